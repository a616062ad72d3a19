/*
 * The pipeline's guarantees in host-driven mode (MC_THREADING_HOST, the system clock): this
 * program's poll() loop drives the client; the library starts no thread. MC_HOST_CASE picks:
 *
 *   queueing    the collector answers the sessionStart after 2 s (a fault set by the Rust
 *               test); the player keeps calling meanwhile, from the loop's thread: every call
 *               returns at once (a call that waited on the loop would never return here).
 *   concurrent  4 player threads with 4 trackers each call while the main thread drives: their
 *               calls only queue and wake the loop through its eventfd.
 *   retries     the collector answers 503 to the first event requests: retried on backoff.
 *   store       a downloaded session: recorded into MC_STORE_DIR, uploaded as one batch.
 *   bounded     the endpoint accepts and never answers: flush(500) and free(1000) return
 *               within their bounds (they drive the loop themselves meanwhile).
 *   fork        a child gets MC_ERR_FORKED on the parent's handles (mc_client_drive included)
 *               and reports with a host-driven client of its own; the parent goes on.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"
#include "host_loop.h"

static void host_config(mc_client_config *cfg) {
    harness_config(cfg);
    cfg->threading = MC_THREADING_HOST;
    cfg->preroll_window_ms = 0;
}

/* The longest player call, in ms: they only queue, so never the 2 s the sessionStart takes. */
static long long slowest_call_ms = 0;

#define TIMED(call)                                                      \
    do {                                                                 \
        long long t0_ = host_real_ms();                                  \
        CHECK_STATUS(call, MC_OK);                                       \
        long long d_ = host_real_ms() - t0_;                             \
        if (d_ > slowest_call_ms) slowest_call_ms = d_;                  \
    } while (0)

static void queueing(void) {
    mc_client_config cfg;
    host_config(&cfg);
    cfg.content_start_delay_ms = 600000;
    cfg.ping_interval_ms = 600000;
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, NULL, &t), MC_OK);
    mc_media_info m;
    harness_media(&m, "host-queueing-1");
    TIMED(mc_track_session_start(t, &m, NULL, 0));
    host_run_for(client, 100);
    TIMED(mc_track_play(t));
    host_run_for(client, 100);
    TIMED(mc_update_playhead(t, 3.0));
    TIMED(mc_track_pause(t));
    host_run_for(client, 100);
    TIMED(mc_track_play(t));
    host_run_for(client, 100);
    TIMED(mc_update_playhead(t, 5.0));
    TIMED(mc_track_complete(t));
    CHECK(slowest_call_ms < 100);
    CHECK_EQ_INT(host_thread_count(), 1);
    /* Everything was called well before the 201: flush drives the loop until it is all sent. */
    CHECK_STATUS(mc_client_flush(client, 15000), MC_OK);
    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    CHECK_EQ_INT(st.sessions_started, 1);
    CHECK_EQ_INT(st.events_delivered, 5);
    CHECK_EQ_INT(st.queue_overflow + st.cache_overflow + st.session_not_created, 0);
    CHECK_STATUS(mc_tracker_free(t), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    printf("slowest player call: %lld ms\n", slowest_call_ms);
}

#define PLAYERS 4
#define TRACKERS_EACH 4

static atomic_int players_done = 0;

static void *player(void *arg) {
    mc_client_t client = *(mc_client_t *)arg;
    static atomic_int next_id = 0;
    mc_tracker_t ts[TRACKERS_EACH];
    mc_media_info m;
    char ids[TRACKERS_EACH][32];
    for (int i = 0; i < TRACKERS_EACH; i++) {
        CHECK_STATUS(mc_tracker_new(client, NULL, &ts[i]), MC_OK);
        snprintf(ids[i], sizeof ids[i], "host-concurrent-%d", atomic_fetch_add(&next_id, 1));
        harness_media(&m, ids[i]);
        CHECK_STATUS(mc_track_session_start(ts[i], &m, NULL, 0), MC_OK);
        CHECK_STATUS(mc_track_play(ts[i]), MC_OK);
    }
    harness_sleep_ms(50);
    for (int i = 0; i < TRACKERS_EACH; i++) {
        CHECK_STATUS(mc_update_playhead(ts[i], 3.0), MC_OK);
        CHECK_STATUS(mc_track_pause(ts[i]), MC_OK);
    }
    harness_sleep_ms(50);
    for (int i = 0; i < TRACKERS_EACH; i++) {
        CHECK_STATUS(mc_track_play(ts[i]), MC_OK);
        CHECK_STATUS(mc_update_playhead(ts[i], 5.0), MC_OK);
        CHECK_STATUS(mc_track_complete(ts[i]), MC_OK);
        CHECK_STATUS(mc_tracker_free(ts[i]), MC_OK);
    }
    atomic_fetch_add(&players_done, 1);
    return NULL;
}

static void concurrent(void) {
    mc_client_config cfg;
    host_config(&cfg);
    cfg.content_start_delay_ms = 600000;
    cfg.ping_interval_ms = 600000;
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    pthread_t threads[PLAYERS];
    for (int i = 0; i < PLAYERS; i++) pthread_create(&threads[i], NULL, player, &client);
    /* The loop runs here while the players call; they wake it through its eventfd. */
    while (atomic_load(&players_done) < PLAYERS) host_loop_once(client, 10);
    for (int i = 0; i < PLAYERS; i++) pthread_join(threads[i], NULL);
    CHECK_STATUS(mc_client_flush(client, 15000), MC_OK);
    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    CHECK_EQ_INT(st.sessions_started, PLAYERS * TRACKERS_EACH);
    CHECK_EQ_INT(st.events_delivered, PLAYERS * TRACKERS_EACH * 5);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
}

static void retries(void) {
    mc_client_config cfg;
    host_config(&cfg);
    cfg.content_start_delay_ms = 600000;
    cfg.ping_interval_ms = 600000;
    cfg.retry_base_ms = 20;
    cfg.retry_cap_ms = 100;
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, NULL, &t), MC_OK);
    mc_media_info m;
    harness_media(&m, "host-retries-1");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    host_run_for(client, 50);
    CHECK_STATUS(mc_update_playhead(t, 2.0), MC_OK);
    CHECK_STATUS(mc_track_complete(t), MC_OK);
    CHECK_STATUS(mc_client_flush(client, 15000), MC_OK);
    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    CHECK(st.retries >= 3);
    CHECK_EQ_INT(st.events_delivered, 3);
    CHECK_EQ_INT(st.retry_exhausted, 0);
    CHECK_STATUS(mc_tracker_free(t), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    printf("retries: %llu\n", (unsigned long long)st.retries);
}

static void store(void) {
    mc_client_config cfg;
    host_config(&cfg);
    cfg.store_dir = getenv("MC_STORE_DIR");
    cfg.offline_ping_interval_ms = 100;
    cfg.content_start_delay_ms = 600000;
    cfg.upload_backoff_base_ms = 100;
    cfg.upload_backoff_cap_ms = 400;
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_config tc;
    mc_tracker_config_init(&tc);
    tc.downloaded = true;
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, &tc, &t), MC_OK);
    mc_media_info m;
    harness_media(&m, "host-downloaded-1");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    host_run_for(client, 250);
    CHECK_STATUS(mc_update_playhead(t, 0.25), MC_OK);
    CHECK_STATUS(mc_track_complete(t), MC_OK);
    CHECK_STATUS(mc_client_flush(client, 10000), MC_OK);
    mc_stats st;
    for (int i = 0; i < 500; i++) {
        mc_stats_init(&st);
        CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
        if (st.batches_uploaded >= 1) break;
        host_run_for(client, 10);
    }
    CHECK_EQ_INT(st.batches_uploaded, 1);
    CHECK_EQ_INT(st.sessions_started, 0);
    CHECK_EQ_INT(host_thread_count(), 1);
    CHECK_STATUS(mc_tracker_free(t), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
}

/* A short session on a host-driven client: 0 when every call answered MC_OK. */
static int own_session(const char *media_id, mc_client_t *keep) {
    int bad = 0;
    mc_client_config cfg;
    host_config(&cfg);
    mc_client_t c = 0;
    if (mc_client_new(&cfg, &c) != MC_OK) return 1;
    mc_tracker_t t = 0;
    bad += mc_tracker_new(c, NULL, &t) != MC_OK;
    mc_media_info m;
    harness_media(&m, media_id);
    bad += mc_track_session_start(t, &m, NULL, 0) != MC_OK;
    bad += mc_track_play(t) != MC_OK;
    host_run_for(c, 20);
    if (keep) {
        *keep = c;
        return bad;
    }
    bad += mc_update_playhead(t, 1.0) != MC_OK;
    bad += mc_track_complete(t) != MC_OK;
    bad += mc_client_flush(c, 10000) != MC_OK;
    bad += mc_client_free(c, 2000) != MC_OK;
    return bad;
}

static void fork_case(void) {
    mc_client_t parent = 0;
    CHECK_EQ_INT(own_session("host-fork-parent", &parent), 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int bad = 0;
        mc_host_wait w;
        mc_host_wait_init(&w);
        int32_t fd;
        uint32_t ev;
        bad += mc_client_drive(parent, MC_DRIVE_TIMEOUT, 0) != MC_ERR_FORKED;
        bad += mc_client_host_poll(parent, &fd, &ev, 1, &w) != MC_ERR_FORKED;
        bad += mc_client_flush(parent, 100) != MC_ERR_FORKED;
        bad += mc_client_free(parent, 100) != MC_ERR_FORKED;
        bad += own_session("host-fork-child", NULL);
        _exit(bad ? 1 : 0);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The parent's client goes on: its tracker is its first (handles are per client). */
    host_run_for(parent, 20);
    CHECK_STATUS(mc_client_flush(parent, 10000), MC_OK);
    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(parent, &st), MC_OK);
    CHECK_EQ_INT(st.sessions_started, 1);
    CHECK_STATUS(mc_client_free(parent, 2000), MC_OK);
}

static void bounded(void) {
    mc_client_config cfg;
    host_config(&cfg);
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, NULL, &t), MC_OK);
    mc_media_info m;
    harness_media(&m, "host-bounded-1");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    host_run_for(client, 50);
    long long t0 = host_real_ms();
    CHECK_STATUS(mc_client_flush(client, 500), MC_ERR_TIMEOUT);
    long long flush_ms = host_real_ms() - t0;
    CHECK(flush_ms >= 500 && flush_ms < 800);
    t0 = host_real_ms();
    CHECK_STATUS(mc_client_free(client, 1000), MC_OK);
    long long free_ms = host_real_ms() - t0;
    CHECK(free_ms < 1250);
    CHECK_STATUS(mc_track_play(t), MC_ERR_INVALID_HANDLE);
    printf("flush(500) took %lld ms, free(1000) took %lld ms\n", flush_ms, free_ms);
}

int main(void) {
    const char *c = getenv("MC_HOST_CASE");
    if (!c) c = "";
    if (strcmp(c, "queueing") == 0) queueing();
    else if (strcmp(c, "concurrent") == 0) concurrent();
    else if (strcmp(c, "retries") == 0) retries();
    else if (strcmp(c, "store") == 0) store();
    else if (strcmp(c, "bounded") == 0) bounded();
    else if (strcmp(c, "fork") == 0) fork_case();
    else CHECK(!"MC_HOST_CASE: queueing, concurrent, retries, store, bounded or fork");
    return CHECK_DONE();
}
