/* Shared helpers of the C bench programs: clocks, per-thread CPU time and wake-ups read from
 * /proc, percentiles, strace markers and the client set-up. Results go to stdout as
 * `RESULT key value` lines, which benches/report.rs parses. */
#ifndef MC_BENCH_H
#define MC_BENCH_H

#include <dirent.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "media_collection.h"

static inline uint64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t bench_clock_ns(clockid_t id) {
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline pid_t bench_gettid(void) { return (pid_t)syscall(SYS_gettid); }

/* CPU time of any thread of this process, in ns: the kernel's per-thread CPU clock id
 * (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)), which needs no pthread_t. */
static inline uint64_t bench_thread_cpu_ns(pid_t tid) {
    clockid_t id = (clockid_t)((~(unsigned)tid << 3) | 6);
    return bench_clock_ns(id);
}

static inline uint64_t bench_process_cpu_ns(void) { return bench_clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

static inline void bench_sleep_ns(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    nanosleep(&ts, NULL);
}

/* Short sleeps stay short (the default 50 us slack would dominate the pacing). */
static inline void bench_tight_timers(void) { prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); }

/* The library's worker thread (named "media-collection"), or 0. */
static inline pid_t bench_worker_tid(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return 0;
    pid_t found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && !found) {
        if (e->d_name[0] == '.') continue;
        char path[64], comm[64] = {0};
        snprintf(path, sizeof path, "/proc/self/task/%d/comm", atoi(e->d_name));
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (fgets(comm, sizeof comm, f) && strncmp(comm, "media-collecti", 14) == 0) found = (pid_t)atoi(e->d_name);
        fclose(f);
    }
    closedir(d);
    return found;
}

/* Voluntary context switches of a thread: each one is the thread going to sleep, so the
 * difference over a window counts its wake-ups. */
static inline uint64_t bench_thread_sleeps(pid_t tid) {
    char path[128], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    uint64_t v = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "voluntary_ctxt_switches:", 24) == 0) v = strtoull(line + 24, NULL, 10);
    fclose(f);
    return v;
}

/* Resident set size of this process, in KiB. */
static inline uint64_t bench_rss_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, resident = 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
    fclose(f);
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) / 1024u;
}

/* A syscall strace shows with its text and that does nothing: brackets a measured window. */
static inline void bench_mark(const char *text) {
    ssize_t r = write(-1, text, strlen(text));
    (void)r;
}

static int bench_cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts `v` and returns the p-th percentile (0..100), nearest rank. */
static inline uint64_t bench_percentile(uint64_t *v, size_t n, double p) {
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, bench_cmp_u64);
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.5);
    if (rank >= n) rank = n - 1;
    return v[rank];
}

static inline void bench_result(const char *key, double value) {
    printf("RESULT %s %.6g\n", key, value);
    fflush(stdout);
}

static inline long bench_env_long(const char *name, long fallback) {
    const char *v = getenv(name);
    return (v && *v) ? strtol(v, NULL, 10) : fallback;
}

/* Room for a library newer than this header: its *_init functions write the struct size they
 * know, which may be longer than the one compiled here. */
#define BENCH_ROOM 4096

static inline mc_stats bench_stats(mc_client_t c) {
    union {
        mc_stats s;
        unsigned char room[BENCH_ROOM];
    } u;
    mc_stats_init(&u.s);
    mc_client_stats(c, &u.s);
    return u.s;
}

/* A client for MC_ENDPOINT with the caps opened wide: a benchmark must measure delivery, not
 * drops at the default caps. */
static inline mc_client_config *bench_config(void) {
    static union {
        mc_client_config c;
        unsigned char room[BENCH_ROOM];
    } u;
    mc_client_config *c = &u.c;
    mc_client_config_init(c);
    c->endpoint = getenv("MC_ENDPOINT");
    c->tracking_server = "bench.sc.omtrdc.net";
    c->report_suite = "bench-rsid";
    c->org_id = "BENCHORG@AdobeOrg";
    c->ecid = "ecid-bench";
    c->channel = "bench";
    c->player_name = "c-bench";
    /* Eagerly allocated by the channel: kept at the default so RSS figures are realistic. */
    c->queue_capacity = 8192;
    c->session_queue_cap = 100000;
    c->global_pending_cap = 1000000;
    return c;
}

/* Declares `type *name` pointing at zeroed storage with BENCH_ROOM bytes of room. */
#define BENCH_ROOMY(type, name)                                                                                \
    union {                                                                                                    \
        type v;                                                                                                \
        unsigned char room[BENCH_ROOM];                                                                        \
    } name##_room;                                                                                             \
    memset(&name##_room, 0, sizeof name##_room);                                                               \
    type *name = &name##_room.v

/* A media info for `id` (static storage: use it before the next call). */
static inline mc_media_info *bench_media(const char *id) {
    static union {
        mc_media_info v;
        unsigned char room[BENCH_ROOM];
    } u;
    mc_media_info *m = &u.v;
    mc_media_info_init(m);
    m->id = id;
    m->name = "Bench Media";
    m->length = 3600;
    m->content_type = "vod";
    m->preroll_wait_ms = 0; /* no pre-roll window: the play goes out at once */
    return m;
}

/* One pass of a plain poll() loop driving a host-driven client (as examples/c/poll_player.c):
 * waits at most `max_wait_ms` (or the client's own timeout, if sooner). 0 on an error. */
static inline int bench_host_turn(mc_client_t c, int max_wait_ms) {
    int32_t fds[16];
    uint32_t evs[16];
    mc_host_wait w;
    mc_host_wait_init(&w);
    if (mc_client_host_poll(c, fds, evs, 16, &w) != MC_OK) return 0;
    struct pollfd p[16];
    for (size_t i = 0; i < w.n_fds; i++) {
        p[i].fd = fds[i];
        p[i].events = (short)(((evs[i] & MC_WATCH_READ) ? POLLIN : 0) | ((evs[i] & MC_WATCH_WRITE) ? POLLOUT : 0));
        p[i].revents = 0;
    }
    int timeout = w.timeout_ms < 0 || w.timeout_ms > max_wait_ms ? max_wait_ms : w.timeout_ms;
    int n = poll(p, w.n_fds, timeout);
    if (n == 0) return w.timeout_ms == timeout ? mc_client_drive(c, MC_DRIVE_TIMEOUT, 0) == MC_OK : 1;
    for (size_t i = 0; i < w.n_fds && n > 0; i++) {
        if (!p[i].revents) continue;
        uint32_t r = ((p[i].revents & POLLIN) ? MC_WATCH_READ : 0) | ((p[i].revents & POLLOUT) ? MC_WATCH_WRITE : 0) |
                     ((p[i].revents & (POLLERR | POLLHUP)) ? MC_WATCH_ERROR : 0);
        if (mc_client_drive(c, p[i].fd, r) != MC_OK) return 0;
    }
    return 1;
}

static inline int bench_check(mc_status s, const char *what) {
    if (s != MC_OK) {
        fprintf(stderr, "%s: %s\n", what, mc_status_str(s));
        return 0;
    }
    return 1;
}

/* Waits until `events_delivered` reaches `target` or `timeout_ms` passes; returns the count. */
static inline uint64_t bench_wait_delivered(mc_client_t c, uint64_t target, long timeout_ms) {
    uint64_t end = bench_now_ns() + (uint64_t)timeout_ms * 1000000u;
    mc_stats s = bench_stats(c);
    while (s.events_delivered < target && bench_now_ns() < end) {
        bench_sleep_ns(2000000);
        s = bench_stats(c);
    }
    return s.events_delivered;
}

#endif
