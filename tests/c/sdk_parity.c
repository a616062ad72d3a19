/*
 * Two of Adobe's SDK test timelines, where the hits must match the SDK's exactly:
 * - QoE is the one of each call's moment: play, bitrate_change, qoe(1,4,3,2), bitrate_change,
 *   bitrate_change, qoe(2.2,4.1,3.1,2.3), bitrate_change, made back to back while the pre-roll
 *   window holds them (the worker handles them all later);
 * - a bad metadata entry (NULL or invalid key, NULL value) is dropped, not the call: the
 *   session starts with the valid entries, and a second start is ignored.
 * What cannot be an entry (NULL array, too many, not UTF-8) still fails the call.
 */
#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

#define MAX_SEEN 8
static char seen[MAX_SEEN][512];
static volatile int n_seen = 0;

static void on_event(void *userdata, const mc_event *ev) {
    (void)userdata;
    if (ev->kind == MC_EVENT_METADATA_DROPPED && n_seen < MAX_SEEN) {
        snprintf(seen[n_seen], sizeof seen[0], "%s: %s", ev->call, ev->reason);
        n_seen++;
    }
}

static void qoe(mc_tracker_t t, double bitrate, double startup, double fps, double dropped) {
    mc_qoe q;
    mc_qoe_init(&q);
    q.bitrate = bitrate;
    q.startup_time = startup;
    q.fps = fps;
    q.dropped_frames = dropped;
    CHECK_STATUS(mc_update_qoe(t, &q), MC_OK);
}

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.content_start_delay_ms = 600000; /* no content-start play in this short test */
    cfg.event_callback = on_event;       /* the default 250 ms pre-roll window stays on */
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, NULL, &t), MC_OK);
    mc_media_info m;
    harness_media(&m, "parity-1");

    /* Still errors: a NULL array with entries, an entry that is not UTF-8, too many entries. */
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 2), MC_ERR_NULL_ARGUMENT);
    const char not_utf8[] = {(char)0xff, (char)0xfe, 0};
    mc_metadata bad_utf8[1] = {{"key", not_utf8}};
    CHECK_STATUS(mc_track_session_start(t, &m, bad_utf8, 1), MC_ERR_INVALID_UTF8);
    static mc_metadata many[257];
    for (int i = 0; i < 257; i++) many[i] = (mc_metadata){"k", "v"};
    CHECK_STATUS(mc_track_session_start(t, &m, many, 257), MC_ERR_TOO_LONG);

    mc_metadata md[6] = {
        {"vAlid_keY.12", "value1"},
        {"invalid-key", "dropped"},
        {"emptyValue", ""},
        {NULL, "dropped"},
        {"a.media.show", "Show"},
        {"nullValue", NULL},
    };
    CHECK_STATUS(mc_track_session_start(t, &m, md, 6), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    CHECK_STATUS(mc_track_bitrate_change(t), MC_OK);
    qoe(t, 1, 4, 3, 2);
    CHECK_STATUS(mc_track_bitrate_change(t), MC_OK);
    CHECK_STATUS(mc_track_bitrate_change(t), MC_OK);
    qoe(t, 2.2, 4.1, 3.1, 2.3);
    CHECK_STATUS(mc_track_bitrate_change(t), MC_OK);
    /* A player that retries the start: ignored, the session is already open. */
    CHECK_STATUS(mc_track_session_start(t, &m, md, 6), MC_OK);
    harness_sleep_ms(400); /* the pre-roll window ends without an ad break */

    mc_ad_break_info b;
    mc_ad_break_info_init(&b);
    b.name = "mid";
    b.position = 1;
    CHECK_STATUS(mc_track_ad_break_start(t, &b), MC_OK);
    mc_ad_info a;
    mc_ad_info_init(&a);
    a.id = "ad-1";
    a.name = "Ad";
    a.position = 1;
    a.length = 10;
    mc_metadata ad_md[2] = {{"a.media.ad.advertiser", "Acme"}, {"bad key", "x"}};
    CHECK_STATUS(mc_track_ad_start(t, &a, ad_md, 2), MC_OK);
    CHECK_STATUS(mc_track_ad_complete(t), MC_OK);
    CHECK_STATUS(mc_track_ad_break_complete(t), MC_OK);
    mc_chapter_info c;
    mc_chapter_info_init(&c);
    c.name = "ch";
    c.position = 1;
    c.length = 100;
    mc_metadata ch_md[2] = {{"chapterKey", "chapterValue"}, {"noValue", NULL}};
    CHECK_STATUS(mc_track_chapter_start(t, &c, ch_md, 2), MC_OK);
    CHECK_STATUS(mc_track_chapter_complete(t), MC_OK);
    CHECK_STATUS(mc_track_complete(t), MC_OK);

    CHECK_STATUS(mc_client_flush(client, 10000), MC_OK);
    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    /* 3 entries from each session start (the ignored one too), 1 from the ad, 1 from the chapter. */
    CHECK_EQ_INT(st.metadata_dropped, 8);
    CHECK_EQ_INT(st.ignored_call, 1);
    CHECK_EQ_INT(n_seen, 4); /* once per call */
    for (int i = 0; i < n_seen; i++) printf("dropped: %s\n", seen[i]);
    CHECK(strstr(seen[0], "session_start: 3 metadata entries dropped: entry 1: key \"invalid-key\"") == seen[0]);
    CHECK(strstr(seen[0], "entry 3: the key is NULL") != NULL);
    CHECK(strstr(seen[0], "entry 5: the value of key \"nullValue\" is NULL") != NULL);
    CHECK(strncmp(seen[2], "ad_start: 1 metadata entry dropped: entry 1", 43) == 0);
    CHECK(strncmp(seen[3], "chapter_start: 1 metadata entry dropped: entry 1", 48) == 0);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    return CHECK_DONE();
}
