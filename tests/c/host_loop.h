/*
 * A plain poll() loop driving a host-driven client (MC_THREADING_HOST) for the C harness
 * programs, and a virtual clock for the client's clock callbacks (a test facility): time moves
 * only when the program moves it.
 */
#ifndef MC_HOST_LOOP_H
#define MC_HOST_LOOP_H

#include <dirent.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>

#include "media_collection.h"
#include "mc_check.h"

#define HOST_MAX_FDS 64

/* 2026-01-01T00:00:00Z: the virtual wall clock at virtual monotonic 0. */
#define HOST_WALL0 1767225600000LL

static int64_t host_virtual_ms = 0;

static inline int64_t host_virtual_mono(void *userdata) {
    (void)userdata;
    return host_virtual_ms;
}

static inline int64_t host_virtual_wall(void *userdata) {
    (void)userdata;
    return HOST_WALL0 + host_virtual_ms;
}

/* Sets the client to be host-driven on the virtual clock. */
static inline void host_use_virtual_clock(mc_client_config *cfg) {
    cfg->threading = MC_THREADING_HOST;
    cfg->clock_monotonic_ms = host_virtual_mono;
    cfg->clock_wall_ms = host_virtual_wall;
}

/* The threads of this process (/proc/self/task). */
static inline int host_thread_count(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') n++;
    }
    closedir(d);
    return n;
}

/* One poll() on the client's descriptors for as long as the client allows, at most `cap_ms`
 * (-1: no cap), then a drive call per ready descriptor, or one for the timeout when none was.
 * Returns the client's state as it was before the wait. */
static inline mc_host_wait host_loop_once(mc_client_t client, int cap_ms) {
    int32_t fds[HOST_MAX_FDS];
    uint32_t events[HOST_MAX_FDS];
    struct pollfd pfds[HOST_MAX_FDS];
    mc_host_wait w;
    mc_host_wait_init(&w);
    if (mc_client_host_poll(client, fds, events, HOST_MAX_FDS, &w) != MC_OK) {
        CHECK(!"mc_client_host_poll failed");
        return w;
    }
    for (size_t i = 0; i < w.n_fds; i++) {
        pfds[i].fd = fds[i];
        pfds[i].events = (short)(((events[i] & MC_WATCH_READ) ? POLLIN : 0) | ((events[i] & MC_WATCH_WRITE) ? POLLOUT : 0));
        pfds[i].revents = 0;
    }
    int timeout_ms = w.timeout_ms;
    if (cap_ms >= 0 && (timeout_ms < 0 || cap_ms < timeout_ms)) timeout_ms = cap_ms;
    int n = poll(pfds, w.n_fds, timeout_ms);
    if (n > 0) {
        for (size_t i = 0; i < w.n_fds; i++) {
            if (!pfds[i].revents) continue;
            uint32_t ready = ((pfds[i].revents & POLLIN) ? MC_WATCH_READ : 0) |
                             ((pfds[i].revents & POLLOUT) ? MC_WATCH_WRITE : 0) |
                             ((pfds[i].revents & (POLLERR | POLLHUP)) ? MC_WATCH_ERROR : 0);
            CHECK_STATUS(mc_client_drive(client, pfds[i].fd, ready), MC_OK);
        }
    } else if (n == 0) {
        CHECK_STATUS(mc_client_drive(client, MC_DRIVE_TIMEOUT, 0), MC_OK);
    }
    return w;
}

/* Drives the client until it has nothing to do at the current virtual time: no transfer in
 * flight (those are waited for in real time), no command queued, no deadline due. */
static inline void host_settle(mc_client_t client) {
    for (int rounds = 0; rounds < 100000; rounds++) {
        int32_t fds[HOST_MAX_FDS];
        uint32_t events[HOST_MAX_FDS];
        mc_host_wait w;
        mc_host_wait_init(&w);
        if (mc_client_host_poll(client, fds, events, HOST_MAX_FDS, &w) != MC_OK) {
            CHECK(!"mc_client_host_poll failed");
            return;
        }
        int idle = w.transfers == 0 && w.timeout_ms != 0;
        if (idle) {
            /* Only the wake-up descriptor can still have something: look without waiting. */
            struct pollfd p[HOST_MAX_FDS];
            for (size_t i = 0; i < w.n_fds; i++) {
                p[i].fd = fds[i];
                p[i].events = (events[i] & MC_WATCH_READ) ? POLLIN : 0;
                p[i].revents = 0;
            }
            if (poll(p, w.n_fds, 0) <= 0) return;
            host_loop_once(client, 0);
            continue;
        }
        /* A transfer in flight: wait for its socket in real time (libcurl's timer bounds it). */
        host_loop_once(client, 1000);
    }
    CHECK(!"host_settle: the client never went idle");
}

/* Moves the virtual clock to `t_ms`, stopping at each deadline of the client on the way so
 * that every ping is sent at its instant (and waited for) before time moves on. */
static inline void host_advance_to(mc_client_t client, int64_t t_ms) {
    for (;;) {
        host_settle(client);
        int32_t fds[HOST_MAX_FDS];
        uint32_t events[HOST_MAX_FDS];
        mc_host_wait w;
        mc_host_wait_init(&w);
        CHECK_STATUS(mc_client_host_poll(client, fds, events, HOST_MAX_FDS, &w), MC_OK);
        if (w.next_deadline_ms >= 0 && w.next_deadline_ms <= t_ms) {
            if (w.next_deadline_ms > host_virtual_ms) host_virtual_ms = w.next_deadline_ms;
            else if (w.timeout_ms != 0) {
                CHECK(!"host_advance_to: a deadline in the past that is not due");
                return;
            }
            continue;
        }
        host_virtual_ms = t_ms;
        host_settle(client);
        return;
    }
}

static inline long long host_real_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the loop for `ms` of real time (the client on the system clock). */
static inline void host_run_for(mc_client_t client, long ms) {
    long long end = host_real_ms() + ms;
    for (long long left = ms; left > 0; left = end - host_real_ms()) host_loop_once(client, (int)left);
}

#endif
