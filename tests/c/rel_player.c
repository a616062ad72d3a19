/*
 * The reliability tests' player: one or more sessions of numbered events, with every time knob
 * and expectation taken from the environment, so one program serves the fault scenarios of
 * tests/reliability_*.rs (spec/reliability.md §10.3). The Rust test sets the faults, runs this,
 * and asserts on what the collector received; this program checks the library's own view
 * (statuses, counters, timings).
 *
 * Each session: sessionStart, play, then MC_STEPS steps of (sleep MC_GAP_MS, playhead = i,
 * pause when i is odd / play when even), then playhead = MC_STEPS + 1 and complete. So every
 * event of a session carries a distinct playhead and the order on the wire is checkable.
 *
 * Knobs (all optional): MC_RETRY_BASE_MS, MC_RETRY_CAP_MS, MC_START_ATTEMPTS,
 * MC_REQUEST_TIMEOUT_MS, MC_CONNECT_TIMEOUT_MS, MC_RETRY_AFTER_CAP_MS, MC_PING_MS, MC_SESSION_QUEUE_CAP, MC_GLOBAL_CAP, MC_CA_FILE,
 * MC_PROXY, MC_TRACKERS, MC_STEPS, MC_GAP_MS, MC_MEDIA_PREFIX, MC_FLUSH_MS, MC_FREE_MS,
 * MC_JUMP_AT_STEP + MC_JUMP_MS (only when built with -DREL_CLOCK_SHIM), and the fleet-safety
 * knobs MC_EVENT_ATTEMPTS, MC_RESTART_BUDGET, MC_RESTART_WINDOW_MS, MC_RESTART_DELAY_MS,
 * MC_RESTART_CAP_MS, MC_OUTAGE_FAILURES, MC_PROBE_MS, MC_RELEASE_MS, MC_EXPIRY_MS, MC_DRAIN_RAMP_MS.
 * Expectations: MC_EXPECT_FLUSH / MC_EXPECT_FREE (status names, default MC_OK),
 * MC_FLUSH_MIN_MS / MC_FLUSH_MAX_MS / MC_FREE_MAX_MS (bounds on how long they blocked),
 * MC_EXPECT="counter=N,counter>=N,..." (mc_stats after the flush) and
 * MC_EXPECT_DROPPED="reason>=N,..." (MC_EVENT_DROPPED notices by reason, after the free).
 */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

#ifdef REL_CLOCK_SHIM
/* A wall clock the test can step: this executable's clock_gettime wins over libc's (symbol
 * interposition), so the library's SystemTime::now() sees the offset while Instant::now()
 * (CLOCK_MONOTONIC) does not. This is the set-top box whose clock NTP steps by a day. */
#include <sys/syscall.h>
#include <unistd.h>
static volatile long long wall_offset_ms = 0;
int clock_gettime(clockid_t id, struct timespec *ts) {
    long rc = syscall(SYS_clock_gettime, id, ts);
    if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) {
        long long off = __atomic_load_n(&wall_offset_ms, __ATOMIC_RELAXED);
        long long ns = (long long)ts->tv_nsec + (off % 1000) * 1000000LL;
        ts->tv_sec += (time_t)(off / 1000);
        while (ns < 0) { ns += 1000000000LL; ts->tv_sec -= 1; }
        while (ns >= 1000000000LL) { ns -= 1000000000LL; ts->tv_sec += 1; }
        ts->tv_nsec = (long)ns;
    }
    return (int)rc;
}
#endif

#define MAX_TRACKERS 64

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct { const char *name; size_t offset; } REL_COUNTERS[] = {
#define C(f) {#f, offsetof(mc_stats, f)}
    C(calls_accepted), C(hits_generated), C(events_delivered), C(sessions_started),
    C(requests_sent), C(retries), C(ignored_call), C(queue_overflow), C(cache_overflow),
    C(session_not_created), C(rejected_400), C(session_gone), C(retry_exhausted), C(shut_down),
    C(clock_jumps), C(panics), C(sessions_resumed), C(restart_budget_exhausted), C(session_expired),
    C(endpoint_pauses),
#undef C
};

static int counter(const mc_stats *st, const char *name, unsigned long long *out) {
    for (size_t i = 0; i < sizeof REL_COUNTERS / sizeof REL_COUNTERS[0]; i++) {
        if (strcmp(REL_COUNTERS[i].name, name) == 0) {
            *out = *(const uint64_t *)((const char *)st + REL_COUNTERS[i].offset);
            return 1;
        }
    }
    return 0;
}

/* Dropped notices by reason (worker thread writes, main thread reads after the free). */
static struct { char reason[32]; int n; } dropped[16];
static int n_dropped_reasons;

/* Warnings and errors of the library, on stdout for the Rust side to read. */
static void on_log(void *userdata, uint32_t level, const char *message) {
    (void)userdata;
    printf("log %d: %s\n", (int)level, message);
    fflush(stdout);
}

static void on_event(void *userdata, const mc_event *ev) {
    (void)userdata;
    if (ev->kind != MC_EVENT_DROPPED || !ev->reason) return;
    for (int i = 0; i < n_dropped_reasons; i++) {
        if (strcmp(dropped[i].reason, ev->reason) == 0) {
            __atomic_fetch_add(&dropped[i].n, 1, __ATOMIC_RELAXED);
            return;
        }
    }
    if (n_dropped_reasons < 16) {
        snprintf(dropped[n_dropped_reasons].reason, sizeof dropped[0].reason, "%s", ev->reason);
        __atomic_store_n(&dropped[n_dropped_reasons].n, 1, __ATOMIC_RELAXED);
        n_dropped_reasons++;
    }
}

static unsigned long long dropped_count(const char *reason) {
    for (int i = 0; i < n_dropped_reasons; i++)
        if (strcmp(dropped[i].reason, reason) == 0) return (unsigned long long)__atomic_load_n(&dropped[i].n, __ATOMIC_RELAXED);
    return 0;
}

/* Checks "name=N" / "name>=N" / "name<=N" items of a comma-separated list. */
static void check_expectations(const char *list, const mc_stats *st, int use_dropped) {
    if (!list || !*list) return;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *item = strtok(buf, ","); item; item = strtok(NULL, ",")) {
        char name[64] = {0};
        char op[3] = {0};
        unsigned long long want = 0;
        size_t n = strcspn(item, "<>=");
        if (n == 0 || n >= sizeof name) { CHECK(!"malformed expectation"); continue; }
        memcpy(name, item, n);
        const char *rest = item + n;
        size_t oplen = strspn(rest, "<>=");
        if (oplen == 0 || oplen > 2) { CHECK(!"malformed expectation operator"); continue; }
        memcpy(op, rest, oplen);
        want = strtoull(rest + oplen, NULL, 10);
        unsigned long long got = 0;
        if (use_dropped) {
            got = dropped_count(name);
        } else if (!counter(st, name, &got)) {
            fprintf(stderr, "unknown counter %s\n", name);
            CHECK(!"unknown counter");
            continue;
        }
        int ok = strcmp(op, "=") == 0 ? got == want : strcmp(op, ">=") == 0 ? got >= want : strcmp(op, "<=") == 0 ? got <= want : 0;
        if (!ok) fprintf(stderr, "expectation %s failed: %s is %llu\n", item, name, got);
        CHECK(ok);
    }
}

static mc_status status_named(const char *name, mc_status fallback) {
    if (!name || !*name) return fallback;
    for (unsigned s = 0; s < 64; s++)
        if (strcmp(mc_status_str(s), name) == 0) return (mc_status)s;
    fprintf(stderr, "unknown status name %s\n", name);
    return (mc_status)9999;
}

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 600000;
    cfg.ping_interval_ms = (uint32_t)harness_env_long("MC_PING_MS", 600000);
    cfg.retry_base_ms = (uint32_t)harness_env_long("MC_RETRY_BASE_MS", cfg.retry_base_ms);
    cfg.retry_cap_ms = (uint32_t)harness_env_long("MC_RETRY_CAP_MS", cfg.retry_cap_ms);
    cfg.session_start_max_attempts = (uint32_t)harness_env_long("MC_START_ATTEMPTS", cfg.session_start_max_attempts);
    cfg.request_timeout_ms = (uint32_t)harness_env_long("MC_REQUEST_TIMEOUT_MS", cfg.request_timeout_ms);
    cfg.connect_timeout_ms = (uint32_t)harness_env_long("MC_CONNECT_TIMEOUT_MS", cfg.connect_timeout_ms);
    cfg.retry_after_cap_ms = (uint32_t)harness_env_long("MC_RETRY_AFTER_CAP_MS", cfg.retry_after_cap_ms);
    cfg.session_queue_cap = (uint32_t)harness_env_long("MC_SESSION_QUEUE_CAP", cfg.session_queue_cap);
    cfg.global_pending_cap = (uint32_t)harness_env_long("MC_GLOBAL_CAP", cfg.global_pending_cap);
    cfg.event_max_attempts = (uint32_t)harness_env_long("MC_EVENT_ATTEMPTS", cfg.event_max_attempts);
    cfg.restart_budget = (uint32_t)harness_env_long("MC_RESTART_BUDGET", cfg.restart_budget);
    cfg.restart_window_ms = (uint32_t)harness_env_long("MC_RESTART_WINDOW_MS", cfg.restart_window_ms);
    cfg.restart_delay_ms = (uint32_t)harness_env_long("MC_RESTART_DELAY_MS", cfg.restart_delay_ms);
    cfg.restart_backoff_cap_ms = (uint32_t)harness_env_long("MC_RESTART_CAP_MS", cfg.restart_backoff_cap_ms);
    cfg.outage_failures = (uint32_t)harness_env_long("MC_OUTAGE_FAILURES", cfg.outage_failures);
    cfg.outage_probe_interval_ms = (uint32_t)harness_env_long("MC_PROBE_MS", cfg.outage_probe_interval_ms);
    cfg.release_window_ms = (uint32_t)harness_env_long("MC_RELEASE_MS", cfg.release_window_ms);
    cfg.drain_ramp_ms = (uint32_t)harness_env_long("MC_DRAIN_RAMP_MS", cfg.drain_ramp_ms);
    cfg.session_expiry_ms = (uint32_t)harness_env_long("MC_EXPIRY_MS", cfg.session_expiry_ms);
    if (getenv("MC_CA_FILE") && *getenv("MC_CA_FILE")) cfg.ca_file = getenv("MC_CA_FILE");
    if (getenv("MC_PROXY")) cfg.proxy = getenv("MC_PROXY");
    cfg.event_callback = on_event;
    cfg.log_callback = on_log;
    cfg.log_level = MC_LOG_WARN;
    cfg.dangerous_disable_tls_verification = harness_env_long("MC_DANGEROUS_NO_TLS_VERIFY", 0) != 0;

    int trackers = (int)harness_env_long("MC_TRACKERS", 1);
    int steps = (int)harness_env_long("MC_STEPS", 4);
    long gap = harness_env_long("MC_GAP_MS", 50);
    long jump_at = harness_env_long("MC_JUMP_AT_STEP", -1);
    long long jump_ms = (long long)harness_env_long("MC_JUMP_MS", 0);
    const char *prefix = getenv("MC_MEDIA_PREFIX") ? getenv("MC_MEDIA_PREFIX") : "rel";
    if (trackers < 1 || trackers > MAX_TRACKERS) trackers = 1;
#ifndef REL_CLOCK_SHIM
    CHECK(jump_at < 0);  /* a clock jump needs the shim build */
    (void)jump_ms;
#endif

    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_t t[MAX_TRACKERS];
    char ids[MAX_TRACKERS][64];
    for (int k = 0; k < trackers; k++) {
        CHECK_STATUS(mc_tracker_new(client, NULL, &t[k]), MC_OK);
        mc_media_info m;
        snprintf(ids[k], sizeof ids[k], "%s-%d", prefix, k);
        harness_media(&m, ids[k]);
        CHECK_STATUS(mc_track_session_start(t[k], &m, NULL, 0), MC_OK);
        CHECK_STATUS(mc_track_play(t[k]), MC_OK);
    }
    for (int i = 1; i <= steps; i++) {
        harness_sleep_ms(gap);
#ifdef REL_CLOCK_SHIM
        if (i == jump_at) {
            __atomic_store_n(&wall_offset_ms, jump_ms, __ATOMIC_RELAXED);
            printf("wall clock stepped by %lld ms before step %d\n", jump_ms, i);
        }
#endif
        for (int k = 0; k < trackers; k++) {
            CHECK_STATUS(mc_update_playhead(t[k], (double)i), MC_OK);
            CHECK_STATUS((i % 2) ? mc_track_pause(t[k]) : mc_track_play(t[k]), MC_OK);
        }
    }
    for (int k = 0; k < trackers; k++) {
        CHECK_STATUS(mc_update_playhead(t[k], (double)(steps + 1)), MC_OK);
        CHECK_STATUS(mc_track_complete(t[k]), MC_OK);
    }

    long t0 = now_ms();
    mc_status flushed = mc_client_flush(client, (uint32_t)harness_env_long("MC_FLUSH_MS", 20000));
    long flush_ms = now_ms() - t0;
    CHECK_STATUS(flushed, status_named(getenv("MC_EXPECT_FLUSH"), MC_OK));
    long lo = harness_env_long("MC_FLUSH_MIN_MS", -1), hi = harness_env_long("MC_FLUSH_MAX_MS", -1);
    if (lo >= 0) CHECK(flush_ms >= lo);
    if (hi >= 0) CHECK(flush_ms <= hi);

    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    check_expectations(getenv("MC_EXPECT"), &st, 0);
    printf("stats:");
    for (size_t i = 0; i < sizeof REL_COUNTERS / sizeof REL_COUNTERS[0]; i++) {
        unsigned long long v = 0;
        counter(&st, REL_COUNTERS[i].name, &v);
        printf(" %s=%llu", REL_COUNTERS[i].name, v);
    }
    printf("\n");

    for (int k = 0; k < trackers; k++) CHECK_STATUS(mc_tracker_free(t[k]), MC_OK);
    t0 = now_ms();
    mc_status freed = mc_client_free(client, (uint32_t)harness_env_long("MC_FREE_MS", 2000));
    long free_ms = now_ms() - t0;
    CHECK_STATUS(freed, status_named(getenv("MC_EXPECT_FREE"), MC_OK));
    hi = harness_env_long("MC_FREE_MAX_MS", -1);
    if (hi >= 0) CHECK(free_ms <= hi);
    check_expectations(getenv("MC_EXPECT_DROPPED"), NULL, 1);
    printf("timing: flush_ms=%ld free_ms=%ld\n", flush_ms, free_ms);
    return CHECK_DONE();
}
