/* Figures 3 and 4 on the library's side: many sessions on one client.
 *
 *   scale throughput N SECS          every session kept busy with bursts of calls (pause and
 *                                    play in turn, one hit each), SECS measured once all N
 *                                    sessions have their sid
 *   scale throughput-host N SECS     the same with a host-driven client (MC_THREADING_HOST):
 *                                    this one thread feeds the calls and runs the client's
 *                                    loop (poll(), mc_client_drive); its CPU is the "worker" CPU
 *   scale pings N INTERVAL_MS SECS   sessions started evenly over one ping interval, then left
 *                                    playing: pings only, SECS measured
 *   scale idle N SECS                wake-ups with no session, then RSS and wake-ups with N
 *                                    paused sessions (pings every 10 s)
 *   scale soak N INTERVAL_MS SECS    N players cycling whole sessions (ads, chapter, buffering)
 *                                    on short intervals; RSS sampled every few seconds
 *   scale upload N GAP_MS            N downloaded sessions (store in MC_STORE_DIR) played to
 *                                    their end, then timed until all N are uploaded, GAP_MS
 *                                    (upload_min_gap_ms) apart
 *
 * MC_ENDPOINT names the server. Prints `RESULT key value` lines; the worker's CPU is its
 * thread's CPU clock, its wake-ups its voluntary context switches. */
#define _GNU_SOURCE
#include "bench.h"

static mc_client_t client;
static mc_tracker_t *trackers;
static pid_t worker;

static uint32_t queue_capacity = 8192;
static int host_driven;

static int make_client(uint32_t ping_ms) {
    mc_client_config *cfg = bench_config();
    cfg->queue_capacity = queue_capacity;
    if (host_driven) cfg->threading = MC_THREADING_HOST;
    cfg->ping_interval_ms = ping_ms;
    cfg->content_start_delay_ms = 1;
    if (!bench_check(mc_client_new(cfg, &client), "mc_client_new")) return 0;
    return 1;
}

static long start_failures;

/* A refused start (a full queue when the worker falls behind) is counted, not fatal: the
 * figures then say how far behind it fell. */
static int start_session(long i) {
    char id[32];
    snprintf(id, sizeof id, "media-%ld", i);
    if (!trackers[i] && !bench_check(mc_tracker_new(client, NULL, &trackers[i]), "mc_tracker_new")) return 0;
    if (mc_track_session_start(trackers[i], bench_media(id), NULL, 0) != MC_OK || mc_track_play(trackers[i]) != MC_OK)
        start_failures++;
    return 1;
}

typedef struct {
    uint64_t t, cpu, pcpu, sleeps;
    mc_stats st;
} snapshot;

static snapshot snap(void) {
    snapshot s = {bench_now_ns(), bench_thread_cpu_ns(worker), bench_process_cpu_ns(), bench_thread_sleeps(worker),
                  bench_stats(client)};
    return s;
}

static void report_window(const char *prefix, snapshot a, snapshot b) {
    char key[96];
    double secs = (double)(b.t - a.t) / 1e9;
    double events = (double)(b.st.events_delivered - a.st.events_delivered);
    double per_k = events > 0 ? 1000.0 / events : 0;
#define R(name, v)                                          \
    do {                                                    \
        snprintf(key, sizeof key, "%s.%s", prefix, name);   \
        bench_result(key, v);                               \
    } while (0)
    R("secs", secs);
    R("events", events);
    R("events_per_s", events / secs);
    R("requests", (double)(b.st.requests_sent - a.st.requests_sent));
    R("worker_cpu_s", (double)(b.cpu - a.cpu) / 1e9);
    R("worker_core_share", (double)(b.cpu - a.cpu) / (double)(b.t - a.t));
    R("worker_cpu_s_per_1000", (double)(b.cpu - a.cpu) / 1e9 * per_k);
    R("process_cpu_s_per_1000", (double)(b.pcpu - a.pcpu) / 1e9 * per_k);
    R("wakeups", (double)(b.sleeps - a.sleeps));
    R("wakeups_per_s", (double)(b.sleeps - a.sleeps) / secs);
    R("retries", (double)(b.st.retries - a.st.retries));
    uint64_t lost = b.st.queue_overflow + b.st.cache_overflow + b.st.session_not_created + b.st.rejected_400 +
                    b.st.retry_exhausted + b.st.session_gone;
    R("lost_total", (double)lost);
    R("rss_kib", (double)bench_rss_kib());
    R("start_failures", (double)start_failures);
#undef R
}

static int wait_sessions(uint64_t n, long timeout_ms) {
    uint64_t end = bench_now_ns() + (uint64_t)timeout_ms * 1000000u;
    while (bench_stats(client).sessions_started < n) {
        if (bench_now_ns() > end) {
            fprintf(stderr, "only %llu of %llu sessions started\n", (unsigned long long)bench_stats(client).sessions_started,
                    (unsigned long long)n);
            return 0;
        }
        if (!host_driven)
            bench_sleep_ns(5000000);
        else if (!bench_host_turn(client, 5))
            return fprintf(stderr, "driving the client: %s\n", mc_last_error()), 0;
    }
    return 1;
}

static int throughput(long n, double secs) {
    /* Room for the feeder's backlog (4 calls per session) without drops. */
    queue_capacity = 65536;
    if (!make_client(10000)) return 1;
    trackers = calloc((size_t)n, sizeof *trackers);
    char *paused = calloc((size_t)n, 1);
    for (long i = 0; i < n; i++)
        if (!start_session(i)) return 1;
    if (!wait_sessions((uint64_t)n, 120000)) return 1;
    /* Host-driven, the "worker" is this thread. */
    worker = host_driven ? bench_gettid() : bench_worker_tid();
    /* Enough queued that no session waits for the feeder, few enough to stay under the caps. */
    uint64_t backlog = (uint64_t)(n * 4 < 64 ? 64 : n * 4);
    uint64_t issued = 0, base = bench_stats(client).events_delivered;
    uint64_t start = bench_now_ns(), warm = start + 500000000u, end = warm + (uint64_t)(secs * 1e9);
    long next = 0;
    snapshot a = {0};
    int measuring = 0;
    while (bench_now_ns() < end) {
        if (!measuring && bench_now_ns() >= warm) {
            a = snap();
            measuring = 1;
        }
        uint64_t done = bench_stats(client).events_delivered - base;
        /* Not `issued - done`: the start's own events, delivered after `base` was read, count too. */
        while (issued < done + backlog) {
            mc_status s = paused[next] ? mc_track_play(trackers[next]) : mc_track_pause(trackers[next]);
            if (s != MC_OK) return bench_check(s, "feeding"), 1;
            paused[next] = !paused[next];
            issued++;
            next = (next + 1) % n;
        }
        if (!host_driven)
            bench_sleep_ns(200000);
        else if (!bench_host_turn(client, 200))
            return fprintf(stderr, "driving the client: %s\n", mc_last_error()), 1;
    }
    report_window("tp", a, snap());
    mc_client_free(client, 500);
    return 0;
}

static int pings(long n, long interval_ms, double secs) {
    if (!make_client((uint32_t)interval_ms)) return 1;
    trackers = calloc((size_t)n, sizeof *trackers);
    for (long i = 0; i < n; i++) mc_tracker_new(client, NULL, &trackers[i]);
    worker = bench_worker_tid();
    uint64_t t0 = bench_now_ns(), interval = (uint64_t)interval_ms * 1000000u;
    for (long i = 0; i < n; i++) {
        uint64_t due = t0 + interval * (uint64_t)i / (uint64_t)n, now = bench_now_ns();
        if (due > now) bench_sleep_ns(due - now);
        if (!start_session(i)) return 1;
    }
    bench_sleep_ns(interval / 2);
    snapshot a = snap();
    bench_sleep_ns((uint64_t)(secs * 1e9));
    report_window("pings", a, snap());
    mc_client_free(client, 200);
    return 0;
}

static int idle(long n, double secs) {
    if (!make_client(10000)) return 1;
    worker = bench_worker_tid();
    bench_sleep_ns(500000000u);
    snapshot a = snap();
    bench_sleep_ns((uint64_t)(secs * 1e9));
    report_window("idle0", a, snap());

    /* Warm the allocator and the connection pool with a few sessions, then measure. */
    trackers = calloc((size_t)n + 16, sizeof *trackers);
    for (long i = n; i < n + 16; i++) start_session(i);
    wait_sessions(16, 10000);
    bench_sleep_ns(300000000u);
    uint64_t rss0 = bench_rss_kib();
    uint64_t t0 = bench_now_ns(), spread = 10000000000u;
    for (long i = 0; i < n; i++) {
        uint64_t due = t0 + spread * (uint64_t)i / (uint64_t)n, now = bench_now_ns();
        if (due > now) bench_sleep_ns(due - now);
        start_session(i);
        mc_track_pause(trackers[i]);
    }
    wait_sessions((uint64_t)n + 16, 30000);
    bench_sleep_ns(1000000000u);
    uint64_t rss1 = bench_rss_kib();
    bench_result("idle.rss_base_kib", (double)rss0);
    bench_result("idle.rss_sessions_kib", (double)rss1);
    bench_result("idle.rss_per_session_bytes", ((double)rss1 - (double)rss0) * 1024.0 / (double)n);
    a = snap();
    bench_sleep_ns((uint64_t)(secs * 1e9));
    snapshot b = snap();
    report_window("idle", a, b);
    bench_result("idle.transfers_per_s", (double)(b.st.requests_sent - a.st.requests_sent) / ((double)(b.t - a.t) / 1e9));
    mc_client_free(client, 200);
    return 0;
}

/* One player's life: a session with a pre-roll, content, buffering, a mid-roll, a chapter,
 * then complete; the next session starts at once. `step` says what comes next. */
typedef struct {
    int step;
    uint64_t next;
} player;

static const mc_metadata MD[3] = {{"a.media.show", "Bench Show"}, {"a.media.season", "1"}, {"custom.key", "value"}};

static void soak_step(long i, player *p, uint64_t now, uint64_t unit) {
    mc_tracker_t t = trackers[i];
    BENCH_ROOMY(mc_ad_break_info, br);
    BENCH_ROOMY(mc_ad_info, ad);
    BENCH_ROOMY(mc_chapter_info, ch);
    mc_ad_break_info_init(br);
    br->name = "mid";
    br->position = 1;
    br->start_time = 10;
    mc_ad_info_init(ad);
    ad->id = "ad-1";
    ad->name = "An Ad";
    ad->position = 1;
    ad->length = 15;
    mc_chapter_info_init(ch);
    ch->name = "Chapter";
    ch->position = 1;
    ch->length = 100;
    char id[32];
    switch (p->step) {
    case 0:
        snprintf(id, sizeof id, "soak-%ld", i);
        mc_track_session_start(t, bench_media(id), MD, 3);
        mc_track_play(t);
        mc_track_chapter_start(t, ch, MD, 3);
        break;
    case 1:
        mc_track_buffer_start(t);
        break;
    case 2:
        mc_track_buffer_complete(t);
        mc_update_playhead(t, 30);
        break;
    case 3:
        mc_track_ad_break_start(t, br);
        mc_track_ad_start(t, ad, MD, 3);
        break;
    case 4:
        mc_track_ad_complete(t);
        mc_track_ad_break_complete(t);
        mc_track_state_start(t, "fullscreen");
        break;
    case 5:
        mc_track_pause(t);
        break;
    case 6:
        mc_track_play(t);
        mc_track_chapter_complete(t);
        mc_track_state_end(t, "fullscreen");
        break;
    default:
        mc_track_complete(t);
        p->step = -1;
        break;
    }
    p->step++;
    p->next = now + unit;
}

static int soak(long n, long interval_ms, double secs) {
    if (!make_client((uint32_t)interval_ms)) return 1;
    worker = bench_worker_tid();
    trackers = calloc((size_t)n, sizeof *trackers);
    player *players = calloc((size_t)n, sizeof *players);
    for (long i = 0; i < n; i++) mc_tracker_new(client, NULL, &trackers[i]);
    /* A step every two ping intervals: each state lives long enough to ping. */
    uint64_t unit = (uint64_t)interval_ms * 2000000u, start = bench_now_ns();
    for (long i = 0; i < n; i++) players[i].next = start + unit * (uint64_t)i / (uint64_t)n;
    uint64_t end = start + (uint64_t)(secs * 1e9), every = (uint64_t)(secs * 1e9) / 40, sample = start;
    snapshot a = snap();
    while (bench_now_ns() < end) {
        uint64_t now = bench_now_ns();
        for (long i = 0; i < n; i++)
            if (players[i].next <= now) soak_step(i, &players[i], now, unit);
        if (now >= sample) {
            printf("SAMPLE %.1f %llu\n", (double)(now - start) / 1e9, (unsigned long long)bench_rss_kib());
            fflush(stdout);
            sample += every;
        }
        bench_sleep_ns(5000000);
    }
    report_window("soak", a, snap());
    mc_client_free(client, 1000);
    return 0;
}

static int upload(long n, long gap_ms) {
    mc_client_config *cfg = bench_config();
    cfg->store_dir = getenv("MC_STORE_DIR");
    cfg->upload_min_gap_ms = (uint32_t)gap_ms;
    cfg->store_max_sessions = (uint32_t)(n + 16);
    if (!cfg->store_dir || !bench_check(mc_client_new(cfg, &client), "mc_client_new")) return 1;
    BENCH_ROOMY(mc_tracker_config, tc);
    mc_tracker_config_init(tc);
    tc->downloaded = true;
    trackers = calloc((size_t)n, sizeof *trackers);
    for (long i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "offline-%ld", i);
        if (!bench_check(mc_tracker_new(client, tc, &trackers[i]), "mc_tracker_new (downloaded)")) return 1;
        mc_track_session_start(trackers[i], bench_media(id), NULL, 0);
        mc_track_play(trackers[i]);
        mc_update_playhead(trackers[i], 30);
        mc_track_pause(trackers[i]);
        mc_track_play(trackers[i]);
        mc_update_playhead(trackers[i], 60);
        mc_track_complete(trackers[i]);
    }
    uint64_t t0 = bench_now_ns(), end = t0 + 300000000000u;
    mc_stats st = bench_stats(client);
    while (st.batches_uploaded < (uint64_t)n && bench_now_ns() < end) {
        bench_sleep_ns(2000000);
        st = bench_stats(client);
    }
    double secs = (double)(bench_now_ns() - t0) / 1e9;
    bench_result("upload.sessions", (double)st.batches_uploaded);
    bench_result("upload.secs", secs);
    bench_result("upload.sessions_per_s", (double)st.batches_uploaded / secs);
    bench_result("upload.disk_errors", (double)st.disk_error);
    mc_client_free(client, 1000);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4 || !getenv("MC_ENDPOINT")) {
        fprintf(stderr, "usage: MC_ENDPOINT=URL scale throughput|throughput-host|pings|idle|soak N [INTERVAL_MS] SECS\n");
        return 2;
    }
    bench_tight_timers();
    long n = atol(argv[2]);
    if (n < 1) return 2;
    if (strcmp(argv[1], "throughput") == 0) return throughput(n, atof(argv[3]));
    if (strcmp(argv[1], "throughput-host") == 0) {
        host_driven = 1;
        return throughput(n, atof(argv[3]));
    }
    if (strcmp(argv[1], "idle") == 0) return idle(n, atof(argv[3]));
    if (strcmp(argv[1], "upload") == 0) return upload(n, atol(argv[3]));
    if (argc < 5) return 2;
    if (strcmp(argv[1], "pings") == 0) return pings(n, atol(argv[3]), atof(argv[4]));
    if (strcmp(argv[1], "soak") == 0) return soak(n, atol(argv[3]), atof(argv[4]));
    return 2;
}
