/*
 * A single-threaded player with its own poll() loop, driving media-collection in host-driven
 * mode (MC_THREADING_HOST): the library starts no thread; the loop watches the descriptors the
 * client names and calls mc_client_drive() when one is ready or the client's timeout passed.
 *
 * The "player" is a timetable run by the same loop: session start, play, a pause, play again,
 * the end of the content, 100 ms apart (pings every 200 ms, so a few fire while it plays).
 * At the end it prints how many threads the process has: one, the loop's own, when the
 * endpoint is an IP address (a host name makes libcurl's resolver start a thread per lookup).
 *
 * Configuration comes from the environment:
 *   MC_ENDPOINT          base URL of the MC API (required), e.g. http://127.0.0.1:8080
 *   MC_TRACKING_SERVER   analytics.trackingServer (default: example.sc.omtrdc.net)
 *   MC_RSID              analytics.reportSuite    (default: demo-rsid)
 *   MC_ORG_ID            visitor.marketingCloudOrgId (default: 0123456789ABCDEF@AdobeOrg)
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media_collection.h"

#define MAX_FDS 16

static int failures = 0;

#define CALL(expr)                                                                  \
    do {                                                                            \
        mc_status s_ = (expr);                                                      \
        if (s_ != MC_OK) {                                                          \
            fprintf(stderr, "poll_player: %s\n", mc_last_error());                  \
            failures++;                                                             \
        }                                                                           \
    } while (0)

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return (v && *v) ? v : fallback;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The threads of this process, from /proc/self/task. */
static int thread_count(void) {
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

/* Callbacks run inside mc_client_drive(), on this loop's thread. */
static void on_log(void *userdata, uint32_t level, const char *message) {
    (void)userdata;
    fprintf(stderr, "poll_player: [mc log %u] %s\n", level, message);
}

static void on_event(void *userdata, const mc_event *ev) {
    int *delivered = userdata;
    if (ev->kind == MC_EVENT_DELIVERED) (*delivered)++;
    if (ev->kind == MC_EVENT_SESSION_STARTED) printf("poll_player: session started: %s\n", ev->session_id);
}

/* One pass of the loop: ask the client what to watch, poll() until that or `player_due_ms`,
 * then drive the client for each ready descriptor, or for its timeout. */
static void loop_once(mc_client_t client, long long player_due_ms) {
    int32_t fds[MAX_FDS];
    uint32_t events[MAX_FDS];
    mc_host_wait wait;
    mc_host_wait_init(&wait);
    CALL(mc_client_host_poll(client, fds, events, MAX_FDS, &wait));
    struct pollfd pfds[MAX_FDS];
    for (size_t i = 0; i < wait.n_fds; i++) {
        pfds[i].fd = fds[i];
        pfds[i].events = (short)(((events[i] & MC_WATCH_READ) ? POLLIN : 0) | ((events[i] & MC_WATCH_WRITE) ? POLLOUT : 0));
        pfds[i].revents = 0;
    }
    long long until_player = player_due_ms - now_ms();
    int timeout = wait.timeout_ms;
    if (until_player < 0) until_player = 0;
    if (timeout < 0 || until_player < timeout) timeout = (int)until_player;
    int n = poll(pfds, wait.n_fds, timeout);
    if (n > 0) {
        for (size_t i = 0; i < wait.n_fds; i++) {
            if (!pfds[i].revents) continue;
            uint32_t ready = ((pfds[i].revents & POLLIN) ? MC_WATCH_READ : 0) |
                             ((pfds[i].revents & POLLOUT) ? MC_WATCH_WRITE : 0) |
                             ((pfds[i].revents & (POLLERR | POLLHUP)) ? MC_WATCH_ERROR : 0);
            CALL(mc_client_drive(client, pfds[i].fd, ready));
        }
    } else if (n == 0 && wait.timeout_ms >= 0 && wait.timeout_ms <= timeout) {
        CALL(mc_client_drive(client, MC_DRIVE_TIMEOUT, 0));
    }
}

int main(void) {
    const char *endpoint = getenv("MC_ENDPOINT");
    if (!endpoint || !*endpoint) {
        fprintf(stderr, "poll_player: set MC_ENDPOINT to the MC API base URL\n");
        return 2;
    }
    int delivered = 0;
    mc_client_config cfg;
    mc_client_config_init(&cfg);
    cfg.endpoint = endpoint;
    cfg.tracking_server = env_or("MC_TRACKING_SERVER", "example.sc.omtrdc.net");
    cfg.report_suite = env_or("MC_RSID", "demo-rsid");
    cfg.org_id = env_or("MC_ORG_ID", "0123456789ABCDEF@AdobeOrg");
    cfg.player_name = "poll-player-example";
    cfg.log_callback = on_log;
    cfg.log_level = MC_LOG_WARN;
    cfg.event_callback = on_event;
    cfg.event_userdata = &delivered;
    cfg.ping_interval_ms = 200;
    cfg.content_start_delay_ms = 100;
    cfg.preroll_window_ms = 0;
    cfg.threading = MC_THREADING_HOST; /* no thread: this loop drives the client */

    mc_client_t client = 0;
    mc_status s = mc_client_new(&cfg, &client);
    if (s != MC_OK) {
        fprintf(stderr, "poll_player: mc_client_new: %s\n", mc_last_error());
        return 1;
    }
    mc_tracker_t player = 0;
    CALL(mc_tracker_new(client, NULL, &player));
    mc_media_info media;
    mc_media_info_init(&media);
    media.id = "poll-movie-001";
    media.name = "Poll Loop Movie";
    media.length = 120;
    media.content_type = "vod";

    /* The player's timetable, run by the same loop. */
    int most_threads = thread_count();
    double playhead = 0;
    long long start = now_ms();
    for (int step = 0; step <= 12; step++) {
        long long due = start + step * 100;
        while (now_ms() < due) loop_once(client, due);
        switch (step) {
        case 0: CALL(mc_track_session_start(player, &media, NULL, 0)); CALL(mc_track_play(player)); break;
        case 5: CALL(mc_track_pause(player)); break;
        case 7: CALL(mc_track_play(player)); break;
        case 12: CALL(mc_track_complete(player)); break;
        default: break;
        }
        if (step < 5 || step >= 7) playhead += 0.1;
        CALL(mc_update_playhead(player, playhead));
        int t = thread_count();
        if (t > most_threads) most_threads = t;
    }
    /* Flush drives the client on this thread until everything is delivered (or 5 s). */
    CALL(mc_client_flush(client, 5000));
    mc_stats st;
    mc_stats_init(&st);
    CALL(mc_client_stats(client, &st));
    CALL(mc_tracker_free(player));
    CALL(mc_client_free(client, 2000));
    printf("poll_player: %d events delivered (stats: %llu), most threads seen: %d\n", delivered,
           (unsigned long long)st.events_delivered, most_threads);
    return failures ? 1 : 0;
}
