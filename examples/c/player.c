/*
 * A small player simulation: how a C player drives media-collection.
 *
 * It plays one VOD session: a pre-roll break with two ads, a chapter, buffering, a mid-roll
 * break, a pause, and the end of the content. Content time runs 4x faster than the wall clock
 * so the demo takes a few seconds; pings are shortened to match.
 *
 * Configuration comes from the environment:
 *   MC_ENDPOINT          base URL of the MC API (required), e.g. http://127.0.0.1:8080
 *   MC_TRACKING_SERVER   analytics.trackingServer (default: example.sc.omtrdc.net)
 *   MC_RSID              analytics.reportSuite    (default: demo-rsid)
 *   MC_ORG_ID            visitor.marketingCloudOrgId (default: 0123456789ABCDEF@AdobeOrg)
 *   MC_DEMO_LOCAL=1      short intervals for the local collector (pings every 1 s)
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media_collection.h"

static int failures = 0;

#define CALL(expr)                                                                  \
    do {                                                                            \
        mc_status s_ = (expr);                                                      \
        if (s_ != MC_OK) {                                                          \
            fprintf(stderr, "player: %s\n", mc_last_error());                       \
            failures++;                                                             \
        }                                                                           \
    } while (0)

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return (v && *v) ? v : fallback;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Library log lines and notices arrive on the library's worker thread. */
static void on_log(void *userdata, uint32_t level, const char *message) {
    (void)userdata;
    fprintf(stderr, "player: [mc log %u] %s\n", level, message);
}

static void on_event(void *userdata, const mc_event *ev) {
    (void)userdata;
    switch (ev->kind) {
    case MC_EVENT_SESSION_STARTED:
        printf("player: session started: %s\n", ev->session_id);
        break;
    case MC_EVENT_CALL_IGNORED:
        printf("player: call %s ignored (%s)\n", ev->call, ev->reason);
        break;
    case MC_EVENT_DROPPED:
        printf("player: %s dropped (%s)\n", ev->event_type, ev->reason);
        break;
    case MC_EVENT_SESSION_RESTARTED:
        printf("player: session restarted (%s)\n", ev->reason);
        break;
    case MC_EVENT_METADATA_DROPPED:
        printf("player: %s: %s\n", ev->call, ev->reason);
        break;
    default:
        break;
    }
}

/* Plays `seconds` of content at 4x: the playhead advances 1 s every 250 ms. */
static double play_content(mc_tracker_t t, double playhead, int seconds) {
    for (int i = 0; i < seconds; i++) {
        sleep_ms(250);
        playhead += 1.0;
        CALL(mc_update_playhead(t, playhead));
    }
    return playhead;
}

int main(void) {
    const char *endpoint = getenv("MC_ENDPOINT");
    const char *backend = getenv("MC_BACKEND");
    int edge = backend && strcmp(backend, "edge") == 0;
    if (!edge && (!endpoint || !*endpoint)) {
        fprintf(stderr, "player: set MC_ENDPOINT to the MC API base URL (or MC_BACKEND=edge)\n");
        return 2;
    }
    int local = getenv("MC_DEMO_LOCAL") != NULL;
    printf("player: media-collection %s (header %s)\n", mc_version(), MC_VERSION_STRING);

    mc_client_config config;
    mc_client_config_init(&config);
    config.endpoint = endpoint && *endpoint ? endpoint : NULL;
    if (edge) {
        /* Media Edge: a datastream instead of the Analytics identifiers; the endpoint is the
         * edge domain (NULL: https://edge.adobedc.net). */
        config.backend = MC_BACKEND_MEDIA_EDGE;
        config.edge_config_id = env_or("MC_EDGE_CONFIG_ID", "demo-datastream");
        config.fpid = getenv("MC_FPID");
    } else {
        config.tracking_server = env_or("MC_TRACKING_SERVER", "example.sc.omtrdc.net");
        config.report_suite = env_or("MC_RSID", "demo-rsid");
        config.org_id = env_or("MC_ORG_ID", "0123456789ABCDEF@AdobeOrg");
    }
    config.ecid = env_or("MC_ECID", "12345678901234567890123456789012345678");
    config.app_version = "demo-player-1.0";
    config.channel = "demo-channel";
    config.player_name = "demo-player";
    config.log_callback = on_log;
    config.log_level = MC_LOG_WARN;
    config.event_callback = on_event;
    if (local) {
        config.ping_interval_ms = 1000;          /* content runs 4x: ~4 content-seconds */
        config.granular_ad_ping_interval_ms = 250;
    }

    mc_client_t client = 0;
    mc_status s = mc_client_new(&config, &client);
    if (s != MC_OK) {
        fprintf(stderr, "player: %s\n", mc_last_error()); /* names the field, its value, the limit */
        return 1;
    }

    mc_tracker_config tcfg;
    mc_tracker_config_init(&tcfg);
    mc_tracker_t t = 0;
    CALL(mc_tracker_new(client, &tcfg, &t));

    mc_media_info media;
    mc_media_info_init(&media);
    media.id = "demo-movie-001";
    media.name = "The Demo Movie";
    media.length = 40.0;
    media.content_type = "vod";
    media.media_type = MC_MEDIA_TYPE_VIDEO;
    media.granular_ad_tracking = true;
    mc_metadata metadata[] = {
        {"a.media.show", "Demo Show"},     /* a standard key: sent as media.show */
        {"a.media.season", "1"},
        {"myCustomKey", "custom value"},   /* anything else: customMetadata */
    };
    CALL(mc_track_session_start(t, &media, metadata, 3));

    mc_qoe qoe;
    mc_qoe_init(&qoe);
    qoe.bitrate = 2000000;
    qoe.fps = 30;
    qoe.startup_time = 850;
    CALL(mc_update_qoe(t, &qoe));

    /* The player asks to play, then the pre-roll starts: the early play is held back. */
    CALL(mc_track_play(t));
    mc_ad_break_info preroll;
    mc_ad_break_info_init(&preroll);
    preroll.name = "preroll";
    preroll.position = 1;
    preroll.start_time = 0;
    CALL(mc_track_ad_break_start(t, &preroll));

    for (int i = 1; i <= 2; i++) {
        char id[16], name[16];
        snprintf(id, sizeof id, "ad-%d", i);
        snprintf(name, sizeof name, "Ad %d", i);
        mc_ad_info ad;
        mc_ad_info_init(&ad);
        ad.id = id;
        ad.name = name;
        ad.position = (uint32_t)i;
        ad.length = 3;
        mc_metadata admeta[] = {{"a.media.ad.advertiser", "Demo Advertiser"}, {"campaign", "winter"}};
        CALL(mc_track_ad_start(t, &ad, admeta, 2));
        sleep_ms(750); /* 3 s of ad at 4x; the playhead stays at the content position */
        CALL(mc_track_ad_complete(t));
    }
    CALL(mc_track_ad_break_complete(t));

    mc_chapter_info chapter;
    mc_chapter_info_init(&chapter);
    chapter.name = "Chapter One";
    chapter.position = 1;
    chapter.start_time = 0;
    chapter.length = 20;
    CALL(mc_track_chapter_start(t, &chapter, NULL, 0));
    CALL(mc_track_play(t));

    double ph = play_content(t, 0, 6);

    CALL(mc_track_buffer_start(t));
    sleep_ms(500);
    CALL(mc_track_buffer_complete(t));

    ph = play_content(t, ph, 6);

    /* A mid-roll break with one ad; a bitrate switch comes with it. */
    mc_ad_break_info midroll;
    mc_ad_break_info_init(&midroll);
    midroll.name = "midroll";
    midroll.position = 2;
    midroll.start_time = ph;
    CALL(mc_track_ad_break_start(t, &midroll));
    mc_ad_info ad3;
    mc_ad_info_init(&ad3);
    ad3.id = "ad-3";
    ad3.name = "Ad 3";
    ad3.position = 1;
    ad3.length = 2;
    CALL(mc_track_ad_start(t, &ad3, NULL, 0));
    sleep_ms(500);
    CALL(mc_track_ad_complete(t));
    CALL(mc_track_ad_break_complete(t));

    qoe.bitrate = 4000000;
    CALL(mc_update_qoe(t, &qoe));
    CALL(mc_track_bitrate_change(t));

    ph = play_content(t, ph, 6);
    CALL(mc_track_chapter_complete(t));

    CALL(mc_track_state_start(t, "fullscreen"));
    CALL(mc_track_pause(t));
    sleep_ms(1200);
    CALL(mc_track_play(t));
    ph = play_content(t, ph, 4);
    CALL(mc_track_state_end(t, "fullscreen"));

    CALL(mc_track_complete(t));
    CALL(mc_tracker_free(t));

    s = mc_client_flush(client, 10000);
    if (s != MC_OK) {
        fprintf(stderr, "player: mc_client_flush -> %s\n", mc_status_str(s));
        failures++;
    }

    mc_stats stats;
    mc_stats_init(&stats);
    CALL(mc_client_stats(client, &stats));
    printf("player: %llu calls, %llu events generated, %llu delivered, %llu ignored, %llu dropped\n",
           (unsigned long long)stats.calls_accepted, (unsigned long long)stats.hits_generated,
           (unsigned long long)stats.events_delivered, (unsigned long long)stats.ignored_call,
           (unsigned long long)(stats.queue_overflow + stats.cache_overflow + stats.session_not_created +
                                stats.rejected_400 + stats.retry_exhausted + stats.shut_down));
    CALL(mc_client_free(client, 2000));
    if (failures) {
        fprintf(stderr, "player: %d call(s) failed\n", failures);
        return 1;
    }
    printf("player: done\n");
    return 0;
}
