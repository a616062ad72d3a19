/*
 * A single-threaded player on a libuv loop, driving media-collection in host-driven mode
 * (MC_THREADING_HOST) through the watch and timer callbacks: one uv_poll_t per descriptor the
 * client names, one uv_timer_t for its timeout; the library starts no thread.
 *
 * The "player" is a uv_timer_t timetable on the same loop: session start and play, a pause,
 * play again, the end of the content, 100 ms apart (pings every 200 ms). Then the client is
 * flushed and freed, and the loop runs until every handle closed. It prints the most threads
 * the process had: one with an IP-address endpoint.
 *
 *   MC_ENDPOINT   base URL of the MC API (required), e.g. http://127.0.0.1:8080
 *   MC_TRACKING_SERVER, MC_RSID, MC_ORG_ID   as in player.c
 *
 * Build: cc uv_player.c $(pkg-config --cflags --libs libuv) + the library (see the README).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "media_collection.h"

#define MAX_WATCHES 64

static uv_loop_t *loop;
static mc_client_t client = 0;
static mc_tracker_t player = 0;
static uv_timer_t client_timer, player_timer;
static int failures = 0, step = 0, most_threads = 0, delivered = 0;
static double playhead = 0;

/* One watched descriptor: its uv_poll_t, closed (and freed) when the client drops it. */
typedef struct {
    uv_poll_t poll;
    int fd;
} watch;
static watch *watches[MAX_WATCHES];

#define CALL(expr)                                                          \
    do {                                                                    \
        if ((expr) != MC_OK) {                                              \
            fprintf(stderr, "uv_player: %s\n", mc_last_error());            \
            failures++;                                                     \
        }                                                                   \
    } while (0)

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return (v && *v) ? v : fallback;
}

static int thread_count(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void on_poll(uv_poll_t *h, int status, int uv_events) {
    watch *w = h->data;
    uint32_t revents = ((uv_events & UV_READABLE) ? MC_WATCH_READ : 0) | ((uv_events & UV_WRITABLE) ? MC_WATCH_WRITE : 0) |
                       (status < 0 ? MC_WATCH_ERROR : 0);
    CALL(mc_client_drive(client, w->fd, revents));
}

static void free_watch(uv_handle_t *h) { free(h->data); }

/* The client's watch callback: (re)start or stop the descriptor's uv_poll_t. */
static void on_watch(void *userdata, int32_t fd, uint32_t events) {
    (void)userdata;
    int i = 0;
    while (i < MAX_WATCHES && !(watches[i] && watches[i]->fd == fd)) i++;
    if (events == 0) {
        if (i < MAX_WATCHES) {
            uv_poll_stop(&watches[i]->poll);
            uv_close((uv_handle_t *)&watches[i]->poll, free_watch);
            watches[i] = NULL;
        }
        return;
    }
    if (i == MAX_WATCHES) {
        for (i = 0; i < MAX_WATCHES && watches[i]; i++) {
        }
        if (i == MAX_WATCHES) {
            fprintf(stderr, "uv_player: more than %d descriptors\n", MAX_WATCHES);
            failures++;
            return;
        }
        watches[i] = calloc(1, sizeof(watch));
        watches[i]->fd = fd;
        watches[i]->poll.data = watches[i];
        uv_poll_init(loop, &watches[i]->poll, fd);
    }
    int uv_events = ((events & MC_WATCH_READ) ? UV_READABLE : 0) | ((events & MC_WATCH_WRITE) ? UV_WRITABLE : 0);
    uv_poll_start(&watches[i]->poll, uv_events, on_poll);
}

static void on_client_timer(uv_timer_t *t) {
    (void)t;
    CALL(mc_client_drive(client, MC_DRIVE_TIMEOUT, 0));
}

/* The client's timer callback: one shot in `timeout_ms`, or none. */
static void on_timer(void *userdata, int32_t timeout_ms) {
    (void)userdata;
    if (timeout_ms < 0)
        uv_timer_stop(&client_timer);
    else
        uv_timer_start(&client_timer, on_client_timer, (uint64_t)timeout_ms, 0);
}

static void on_event(void *userdata, const mc_event *ev) {
    (void)userdata;
    if (ev->kind == MC_EVENT_DELIVERED) delivered++;
}

/* The player's timetable: one step every 100 ms. */
static void on_player_step(uv_timer_t *t) {
    mc_media_info media;
    switch (step) {
    case 0:
        mc_media_info_init(&media);
        media.id = "uv-movie-001";
        media.name = "libuv Loop Movie";
        media.length = 120;
        media.content_type = "vod";
        CALL(mc_track_session_start(player, &media, NULL, 0));
        CALL(mc_track_play(player));
        break;
    case 5: CALL(mc_track_pause(player)); break;
    case 7: CALL(mc_track_play(player)); break;
    case 12: CALL(mc_track_complete(player)); break;
    default: break;
    }
    if (step < 5 || step >= 7) playhead += 0.1;
    CALL(mc_update_playhead(player, playhead));
    int n = thread_count();
    if (n > most_threads) most_threads = n;
    if (++step > 12) {
        uv_timer_stop(t);
        /* Flush and free drive the client on this thread; free stops every watch and the timer. */
        CALL(mc_client_flush(client, 5000));
        CALL(mc_tracker_free(player));
        CALL(mc_client_free(client, 2000));
        uv_close((uv_handle_t *)&client_timer, NULL);
        uv_close((uv_handle_t *)&player_timer, NULL);
    }
}

int main(void) {
    const char *endpoint = getenv("MC_ENDPOINT");
    if (!endpoint || !*endpoint) {
        fprintf(stderr, "uv_player: set MC_ENDPOINT to the MC API base URL\n");
        return 2;
    }
    loop = uv_default_loop();
    uv_timer_init(loop, &client_timer);
    uv_timer_init(loop, &player_timer);
    mc_client_config cfg;
    mc_client_config_init(&cfg);
    cfg.endpoint = endpoint;
    cfg.tracking_server = env_or("MC_TRACKING_SERVER", "example.sc.omtrdc.net");
    cfg.report_suite = env_or("MC_RSID", "demo-rsid");
    cfg.org_id = env_or("MC_ORG_ID", "0123456789ABCDEF@AdobeOrg");
    cfg.player_name = "uv-player-example";
    cfg.event_callback = on_event;
    cfg.ping_interval_ms = 200;
    cfg.content_start_delay_ms = 100;
    cfg.preroll_window_ms = 0;
    cfg.threading = MC_THREADING_HOST; /* no thread: this loop drives the client */
    cfg.watch_callback = on_watch;
    cfg.timer_callback = on_timer;
    if (mc_client_new(&cfg, &client) != MC_OK) {
        fprintf(stderr, "uv_player: mc_client_new: %s\n", mc_last_error());
        return 1;
    }
    CALL(mc_tracker_new(client, NULL, &player));
    most_threads = thread_count();
    uv_timer_start(&player_timer, on_player_step, 0, 100);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    printf("uv_player: %d events delivered, most threads seen: %d\n", delivered, most_threads);
    return failures ? 1 : 0;
}
