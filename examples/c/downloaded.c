/*
 * Downloaded content: a player plays a downloaded movie while the device is offline. The
 * library records the session into its crash-safe store; when the device is back online the
 * whole session is uploaded as one batch (POST /api/v1/downloaded).
 *
 * Environment: MC_ENDPOINT (required), MC_TRACKING_SERVER, MC_RSID, MC_ORG_ID as for player.c;
 * MC_STORE_DIR (default: ./mc-store); MC_DEMO_LOCAL=1 for short intervals.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "media_collection.h"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return (v && *v) ? v : fallback;
}

static int failures = 0;
#define CALL(expr)                                                                  \
    do {                                                                            \
        mc_status s_ = (expr);                                                      \
        if (s_ != MC_OK) {                                                          \
            fprintf(stderr, "downloaded: %s\n", mc_last_error());                   \
            failures++;                                                             \
        }                                                                           \
    } while (0)

int main(void) {
    const char *endpoint = getenv("MC_ENDPOINT");
    if (!endpoint || !*endpoint) {
        fprintf(stderr, "downloaded: set MC_ENDPOINT to the MC API base URL\n");
        return 2;
    }
    mc_client_config config;
    mc_client_config_init(&config);
    config.endpoint = endpoint;
    config.tracking_server = env_or("MC_TRACKING_SERVER", "example.sc.omtrdc.net");
    config.report_suite = env_or("MC_RSID", "demo-rsid");
    config.org_id = env_or("MC_ORG_ID", "0123456789ABCDEF@AdobeOrg");
    config.ecid = env_or("MC_ECID", "12345678901234567890123456789012345678");
    config.player_name = "demo-player";
    config.channel = "demo-channel";
    config.store_dir = env_or("MC_STORE_DIR", "mc-store");
    config.offline_at_start = true; /* the movie plays on a plane */
    if (getenv("MC_DEMO_LOCAL")) {
        config.offline_ping_interval_ms = 500;
        /* A real device waits a random part of 30 s before its first upload once the network is
         * back (a region comes back online together); the local demo need not. */
        config.network_return_window_ms = 200;
    }

    mc_client_t client = 0;
    mc_status s = mc_client_new(&config, &client);
    if (s != MC_OK) {
        fprintf(stderr, "downloaded: %s\n", mc_last_error()); /* names the field, its value, the limit */
        return 1;
    }
    mc_tracker_config tc;
    mc_tracker_config_init(&tc);
    tc.downloaded = true;
    mc_tracker_t t = 0;
    CALL(mc_tracker_new(client, &tc, &t));

    mc_media_info media;
    mc_media_info_init(&media);
    media.id = "downloaded-movie-7";
    media.name = "The Downloaded Movie";
    media.length = 20;
    media.content_type = "vod";
    CALL(mc_track_session_start(t, &media, NULL, 0));
    CALL(mc_track_play(t));
    for (int i = 1; i <= 8; i++) {
        sleep_ms(250);
        CALL(mc_update_playhead(t, i));
    }
    CALL(mc_track_pause(t));
    sleep_ms(600);
    CALL(mc_track_play(t));
    for (int i = 9; i <= 12; i++) {
        sleep_ms(250);
        CALL(mc_update_playhead(t, i));
    }
    CALL(mc_track_complete(t));
    CALL(mc_tracker_free(t));
    /* Everything recorded so far is now on disk: it survives a crash or a power cut. */
    CALL(mc_client_flush(client, 5000));
    printf("downloaded: session recorded offline; back online now\n");

    CALL(mc_client_set_network_available(client, true));
    mc_stats st;
    for (int i = 0; i < 2000; i++) { /* up to 40 s: the network-return window, then the upload */
        mc_stats_init(&st);
        mc_client_stats(client, &st);
        if (st.batches_uploaded + st.quarantined > 0) break;
        sleep_ms(20);
    }
    printf("downloaded: %llu session(s) uploaded, %llu events, %llu quarantined\n",
           (unsigned long long)st.batches_uploaded, (unsigned long long)st.events_delivered,
           (unsigned long long)st.quarantined);
    if (st.batches_uploaded != 1) failures++;
    CALL(mc_client_free(client, 2000));
    return failures ? 1 : 0;
}
