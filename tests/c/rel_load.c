/*
 * Reliability row L1 (spec/reliability.md §10.3): MC_L1_THREADS player threads with
 * MC_L1_TRACKERS trackers each make MC_L1_CALLS API calls in all. Every call updates a playhead;
 * every MC_L1_EVENT_EVERY-th call of a tracker is also an event call (pause/play in turn), whose
 * playhead is that tracker's event number, so the Rust side can check 0 loss, 0 duplicates and
 * per-session order on the wire. Calls are paced below the delivery rate (a thread waits while
 * more than MC_L1_BACKLOG accepted events are undelivered), so nothing may be dropped; every
 * call's latency is measured (p99 under MC_L1_P99_NS).
 *
 * Then one unpaced burst on a second client with the smallest queue (16): MC_L1_BURST event
 * calls as fast as one thread can make them. The calls refused with MC_ERR_QUEUE_FULL must be
 * exactly the `queue_overflow` count, and every accepted one (a bitrateChange) is delivered.
 */
#include <pthread.h>
#include <stdint.h>

#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

static mc_client_t client;
static long threads_n, trackers_n, calls_per_tracker, event_every, backlog_max;
static long long *latencies; /* one slice per thread */
static long long lat_per_thread;
static long failures[256];
static long events_per_thread[256];

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Accepted event calls not yet delivered. Warns once when it stops shrinking for 5 s: the
 * worker holds work it is not doing (a lost wake-up would look like this). */
static long backlog(void) {
    static long long stuck_since;
    static long last;
    mc_stats st;
    mc_stats_init(&st);
    if (mc_client_stats(client, &st) != MC_OK) return 0;
    /* Dropped events will never be delivered: leave them out, so a loss fails the checks at the
     * end instead of stalling the pacing. */
    long b = (long)(st.calls_accepted - st.events_delivered - st.ignored_call - st.cache_overflow -
                    st.session_not_created - st.retry_exhausted - st.rejected_400 - st.session_gone);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (b != last) {
        last = b;
        stuck_since = now;
    } else if (stuck_since && now - stuck_since > 5000) {
        fprintf(stderr, "l1: no progress for 5 s: calls_accepted %llu hits_generated %llu delivered %llu "
                "ignored %llu requests_sent %llu overflow %llu/%llu\n",
                (unsigned long long)st.calls_accepted, (unsigned long long)st.hits_generated,
                (unsigned long long)st.events_delivered, (unsigned long long)st.ignored_call,
                (unsigned long long)st.requests_sent, (unsigned long long)st.queue_overflow,
                (unsigned long long)st.cache_overflow);
        stuck_since = 0;
    }
    return b;
}

static void *player(void *arg) {
    int id = (int)(intptr_t)arg;
    mc_tracker_t t[256];
    long events[256] = {0};
    char name[64];
    long long *lat = latencies + (long long)id * lat_per_thread;
    long long n_lat = 0;
    for (int k = 0; k < trackers_n; k++) {
        if (mc_tracker_new(client, NULL, &t[k]) != MC_OK) failures[id]++;
        mc_media_info m;
        snprintf(name, sizeof name, "l1-%d-%d", id, k);
        harness_media(&m, name);
        m.length = 86400;
        if (mc_track_session_start(t[k], &m, NULL, 0) != MC_OK) failures[id]++;
        if (mc_track_play(t[k]) != MC_OK) failures[id]++;
    }
    for (long c = 1; c <= calls_per_tracker; c++) {
        /* Before every round with events: at most one round of events beyond the bound. */
        if (c % event_every == 0) {
            while (backlog() > backlog_max) harness_sleep_ms(1);
        }
        for (int k = 0; k < trackers_n; k++) {
            int is_event = (c % event_every) == 0;
            double ph = is_event ? (double)(events[k] + 1) : (double)events[k];
            long long a = now_ns();
            mc_status s1 = mc_update_playhead(t[k], ph);
            long long b = now_ns();
            lat[n_lat++] = b - a;
            if (s1 != MC_OK) failures[id]++;
            if (is_event) {
                events[k]++;
                a = now_ns();
                mc_status s2 = (events[k] % 2) ? mc_track_pause(t[k]) : mc_track_play(t[k]);
                b = now_ns();
                lat[n_lat++] = b - a;
                if (s2 != MC_OK) failures[id]++;
                events_per_thread[id]++;
            }
        }
    }
    for (int k = 0; k < trackers_n; k++) {
        if (mc_track_complete(t[k]) != MC_OK) failures[id]++;
        if (mc_tracker_free(t[k]) != MC_OK) failures[id]++;
    }
    return NULL;
}

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

int main(void) {
    threads_n = harness_env_long("MC_L1_THREADS", 8);
    trackers_n = harness_env_long("MC_L1_TRACKERS", 50);
    long calls = harness_env_long("MC_L1_CALLS", 200000);
    event_every = harness_env_long("MC_L1_EVENT_EVERY", 10);
    backlog_max = harness_env_long("MC_L1_BACKLOG", 2000);
    long long p99_limit = harness_env_long("MC_L1_P99_NS", 100000);
    long burst = harness_env_long("MC_L1_BURST", 20000);
    if (threads_n < 1 || threads_n > 256 || trackers_n < 1 || trackers_n > 256 || event_every < 1) {
        CHECK(!"bad MC_L1_* values");
        return CHECK_DONE();
    }
    /* Calls per tracker: a playhead update each, plus an event every event_every-th. */
    calls_per_tracker = calls / (threads_n * trackers_n) * event_every / (event_every + 1);
    if (calls_per_tracker < event_every) calls_per_tracker = event_every;
    lat_per_thread = (long long)trackers_n * calls_per_tracker * 2;
    latencies = calloc((size_t)(threads_n * lat_per_thread), sizeof(long long));
    CHECK(latencies != NULL);

    mc_client_config cfg;
    harness_config(&cfg);
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 600000;
    cfg.ping_interval_ms = 600000;
    cfg.idle_timeout_ms = 86400000;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);

    long long t0 = now_ns();
    pthread_t th[256];
    for (intptr_t i = 0; i < threads_n; i++) CHECK_EQ_INT(pthread_create(&th[i], NULL, player, (void *)i), 0);
    long total_events = 0, total_failures = 0;
    for (int i = 0; i < threads_n; i++) {
        pthread_join(th[i], NULL);
        total_failures += failures[i];
        total_events += events_per_thread[i];
    }
    long long calls_ns = now_ns() - t0;
    CHECK_STATUS(mc_client_flush(client, 120000), MC_OK);
    long long all_ns = now_ns() - t0;
    CHECK_EQ_INT(total_failures, 0);

    long long n_lat = 0;
    for (int i = 0; i < threads_n; i++)
        for (long long j = 0; j < lat_per_thread; j++)
            if (latencies[i * lat_per_thread + j] > 0) latencies[n_lat++] = latencies[i * lat_per_thread + j];
    qsort(latencies, (size_t)n_lat, sizeof(long long), cmp_ll);
    long long p50 = latencies[n_lat / 2], p99 = latencies[n_lat * 99 / 100], max = latencies[n_lat - 1];
    CHECK(p99 < p99_limit);

    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    long sessions = threads_n * trackers_n;
    CHECK_EQ_INT(st.queue_overflow + st.cache_overflow + st.session_not_created + st.retry_exhausted + st.shut_down, 0);
    CHECK_EQ_INT(st.events_delivered, total_events + 3 * sessions);
    CHECK_EQ_INT(st.sessions_started, sessions);
    printf("l1: %ld threads x %ld trackers, %lld API calls (%ld event calls) in %.2f s, delivered in %.2f s "
           "(%.0f events/s); call latency p50 %lld ns, p99 %lld ns, max %lld ns\n",
           threads_n, trackers_n, n_lat, total_events, calls_ns / 1e9, all_ns / 1e9,
           (double)(total_events + 3 * sessions) / (all_ns / 1e9), p50, p99, max);
    printf("l1-events: %ld\n", total_events);
    CHECK_STATUS(mc_client_free(client, 5000), MC_OK);
    free(latencies);

    /* The unpaced burst. */
    harness_config(&cfg);
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 600000;
    cfg.ping_interval_ms = 600000;
    cfg.queue_capacity = 16;
    cfg.session_queue_cap = 100000;
    cfg.global_pending_cap = 1000000;
    mc_client_t bc = 0;
    CHECK_STATUS(mc_client_new(&cfg, &bc), MC_OK);
    mc_tracker_t bt = 0;
    CHECK_STATUS(mc_tracker_new(bc, NULL, &bt), MC_OK);
    mc_media_info m;
    harness_media(&m, "l1-burst");
    mc_status s;
    long refused = 0, accepted = 0, other = 0;
    /* The first and last calls are retried until taken; each refusal counts all the same. */
    while ((s = mc_track_session_start(bt, &m, NULL, 0)) == MC_ERR_QUEUE_FULL) refused++, harness_sleep_ms(1);
    CHECK_STATUS(s, MC_OK);
    while ((s = mc_track_play(bt)) == MC_ERR_QUEUE_FULL) refused++, harness_sleep_ms(1);
    CHECK_STATUS(s, MC_OK);
    long burst_refused_before = refused;
    for (long i = 1; i <= burst; i++) {
        mc_update_playhead(bt, (double)i);
        /* A bitrate change makes a hit in any state, so every accepted call is one event. */
        s = mc_track_bitrate_change(bt);
        if (s == MC_OK) accepted++;
        else if (s == MC_ERR_QUEUE_FULL) refused++;
        else other++;
    }
    CHECK_EQ_INT(other, 0);
    long burst_refused = refused - burst_refused_before;
    while ((s = mc_track_complete(bt)) == MC_ERR_QUEUE_FULL) refused++, harness_sleep_ms(1);
    CHECK_STATUS(s, MC_OK);
    /* Refused calls are given-up events: the flush says so. */
    CHECK_STATUS(mc_client_flush(bc, 120000), MC_ERR_DELIVERY);
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(bc, &st), MC_OK);
    CHECK_EQ_INT(st.queue_overflow, refused);
    CHECK_EQ_INT(st.events_delivered, accepted + 3);
    CHECK(refused > 0);
    printf("l1-burst: %ld calls, %ld accepted, %ld refused (queue_overflow %llu)\n", burst, accepted, burst_refused,
           (unsigned long long)st.queue_overflow);
    CHECK_STATUS(mc_tracker_free(bt), MC_OK);
    CHECK_STATUS(mc_client_free(bc, 5000), MC_OK);
    return CHECK_DONE();
}
