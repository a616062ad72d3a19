/*
 * Session-ID queueing. The collector answers the sessionStart after 2 s (a fault set by the Rust
 * test); meanwhile the player keeps calling. Every event must reach the collector after the
 * sessionStart, in call order, none lost. The Rust side asserts on what it received. Run with
 * MC_BACKEND=edge for the same case on Media Edge (harness.h).
 */
#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.preroll_window_ms = 0;          /* no pre-roll hold: the hit list is exactly the calls */
    cfg.content_start_delay_ms = 600000; /* no content-start play within the test */
    cfg.ping_interval_ms = 600000;       /* no pings within the test */
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, NULL, &t), MC_OK);

    mc_media_info m;
    harness_media(&m, "queueing-1");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    harness_sleep_ms(100);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    harness_sleep_ms(100);
    CHECK_STATUS(mc_update_playhead(t, 3.0), MC_OK);
    CHECK_STATUS(mc_track_pause(t), MC_OK);
    harness_sleep_ms(100);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    harness_sleep_ms(100);
    CHECK_STATUS(mc_update_playhead(t, 5.0), MC_OK);
    CHECK_STATUS(mc_track_buffer_start(t), MC_OK);
    harness_sleep_ms(100);
    CHECK_STATUS(mc_track_buffer_complete(t), MC_OK);
    mc_qoe q;
    mc_qoe_init(&q);
    q.bitrate = 1500000;
    CHECK_STATUS(mc_update_qoe(t, &q), MC_OK);
    CHECK_STATUS(mc_track_bitrate_change(t), MC_OK);
    harness_sleep_ms(100);
    CHECK_STATUS(mc_update_playhead(t, 7.0), MC_OK);
    CHECK_STATUS(mc_track_complete(t), MC_OK);

    /* Everything was called well before the sessionStart's answer (2 s): flush waits for it all. */
    CHECK_STATUS(mc_client_flush(client, 15000), MC_OK);
    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    CHECK_EQ_INT(st.sessions_started, 1);
    CHECK_EQ_INT(st.events_delivered, 8);
    CHECK_EQ_INT(st.queue_overflow + st.cache_overflow + st.session_not_created, 0);
    CHECK_STATUS(mc_tracker_free(t), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    return CHECK_DONE();
}
