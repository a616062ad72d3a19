/*
 * Reliability row A5 (spec/reliability.md §10.3), with the worker busy: the collector delays
 * every event answer (a fault set by the Rust test), so transfers are in flight when the player
 * forks. In the child every call on the parent's handles returns MC_ERR_FORKED at once, a client
 * of the child's own starts and stops cleanly, and the child exits; the parent carries on and
 * loses nothing (the Rust side checks the wire).
 */
#include <sys/wait.h>
#include <unistd.h>

#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int child(mc_client_t client, mc_tracker_t t) {
    int bad = 0;
    long long t0 = now_us();
    for (int i = 0; i < 1000; i++) {
        bad += mc_track_play(t) != MC_ERR_FORKED;
        bad += mc_update_playhead(t, 9.0) != MC_ERR_FORKED;
    }
    bad += mc_client_flush(client, 5000) != MC_ERR_FORKED;
    bad += mc_client_free(client, 5000) != MC_ERR_FORKED;
    long long took = now_us() - t0;
    /* 2002 calls, none of which may wait on anything: well under a second even under valgrind. */
    bad += took > 1000000;
    mc_client_config cfg;
    harness_config(&cfg);
    mc_client_t c2 = 0;
    bad += mc_client_new(&cfg, &c2) != MC_OK;
    bad += mc_track_play(t) != MC_ERR_FORKED;
    bad += mc_client_free(c2, 2000) != MC_OK;
    printf("child: %d wrong statuses, 2002 calls in %lld us\n", bad, took);
    fflush(stdout);
    return bad;
}

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 600000;
    cfg.ping_interval_ms = 600000;
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, NULL, &t), MC_OK);
    mc_media_info m;
    harness_media(&m, "fork-busy");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    for (int i = 1; i <= 4; i++) {
        CHECK_STATUS(mc_update_playhead(t, (double)i), MC_OK);
        CHECK_STATUS((i % 2) ? mc_track_pause(t) : mc_track_play(t), MC_OK);
    }
    harness_sleep_ms(150); /* the sessionStart is answered; an event request is in flight */

    fflush(stdout);
    pid_t pid = fork();
    /* _exit: the child has none of the parent's threads, so exit-time leak checkers (LSan)
     * would report the parent's live memory as leaked. */
    if (pid == 0) _exit(child(client, t) == 0 ? 0 : 1);
    CHECK(pid > 0);
    int status = 0;
    CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    for (int i = 5; i <= 6; i++) {
        CHECK_STATUS(mc_update_playhead(t, (double)i), MC_OK);
        CHECK_STATUS((i % 2) ? mc_track_pause(t) : mc_track_play(t), MC_OK);
    }
    CHECK_STATUS(mc_update_playhead(t, 7.0), MC_OK);
    CHECK_STATUS(mc_track_complete(t), MC_OK);
    CHECK_STATUS(mc_client_flush(client, 30000), MC_OK);
    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    CHECK_EQ_INT(st.events_delivered, 9);
    CHECK_EQ_INT(st.retries, 0);
    CHECK_STATUS(mc_tracker_free(t), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    return CHECK_DONE();
}
