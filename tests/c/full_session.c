/*
 * A full session on short intervals: a pre-roll with two ads (granular ad pings), a chapter,
 * buffering, a mid-roll, a pause, complete. The Rust side checks the hit sequence and the lint.
 */
#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

static mc_tracker_t t;

static void ad(const char *id, uint32_t pos, long play_ms) {
    mc_ad_info a;
    mc_ad_info_init(&a);
    a.id = id;
    a.name = id;
    a.position = pos;
    a.length = 15;
    mc_metadata md[] = {{"a.media.ad.advertiser", "Acme"}, {"creative", "blue"}};
    CHECK_STATUS(mc_track_ad_start(t, &a, md, 2), MC_OK);
    harness_sleep_ms(play_ms);
    CHECK_STATUS(mc_track_ad_complete(t), MC_OK);
}

static double content(double ph, int steps) {
    for (int i = 0; i < steps; i++) {
        harness_sleep_ms(50);
        ph += 0.5;
        CHECK_STATUS(mc_update_playhead(t, ph), MC_OK);
    }
    return ph;
}

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.ping_interval_ms = 500;
    cfg.granular_ad_ping_interval_ms = 100;
    cfg.content_start_delay_ms = 200;
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    CHECK_STATUS(mc_tracker_new(client, NULL, &t), MC_OK);

    mc_media_info m;
    harness_media(&m, "full-session");
    m.granular_ad_tracking = true;
    mc_metadata md[] = {{"a.media.show", "Show"}, {"a.media.episode", "7"}, {"custom", "yes"}};
    CHECK_STATUS(mc_track_session_start(t, &m, md, 3), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK); /* held by the pre-roll window, then dropped */

    mc_ad_break_info pre;
    mc_ad_break_info_init(&pre);
    pre.name = "preroll";
    pre.position = 1;
    CHECK_STATUS(mc_track_ad_break_start(t, &pre), MC_OK);
    ad("ad-1", 1, 350);
    ad("ad-2", 2, 350);
    CHECK_STATUS(mc_track_ad_break_complete(t), MC_OK);

    mc_chapter_info ch;
    mc_chapter_info_init(&ch);
    ch.name = "chapter-1";
    ch.position = 1;
    ch.length = 100;
    CHECK_STATUS(mc_track_chapter_start(t, &ch, NULL, 0), MC_OK);
    double ph = content(0, 10); /* 500 ms: the content-start play comes after 200 ms */

    CHECK_STATUS(mc_track_buffer_start(t), MC_OK);
    harness_sleep_ms(200);
    CHECK_STATUS(mc_track_buffer_complete(t), MC_OK);
    ph = content(ph, 6);

    mc_ad_break_info mid;
    mc_ad_break_info_init(&mid);
    mid.name = "midroll";
    mid.position = 2;
    mid.start_time = ph;
    CHECK_STATUS(mc_track_ad_break_start(t, &mid), MC_OK);
    ad("ad-3", 1, 250);
    CHECK_STATUS(mc_track_ad_break_complete(t), MC_OK);
    ph = content(ph, 4);

    CHECK_STATUS(mc_track_pause(t), MC_OK);
    harness_sleep_ms(700); /* a ping comes while paused */
    CHECK_STATUS(mc_track_play(t), MC_OK);
    ph = content(ph, 4);
    CHECK_STATUS(mc_track_chapter_complete(t), MC_OK);
    CHECK_STATUS(mc_track_complete(t), MC_OK);

    CHECK_STATUS(mc_client_flush(client, 15000), MC_OK);
    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    CHECK_EQ_INT(st.ignored_call, 1); /* the early play, dropped by the pre-roll window */
    CHECK_EQ_INT(st.sessions_started, 1);
    CHECK_STATUS(mc_tracker_free(t), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    return CHECK_DONE();
}
