/*
 * A session the back end forgot: the Rust side makes the collector answer 410 to an event in
 * the middle of the session. The library must start a resumed session (`media.resume: true`)
 * and re-send the open context (chapter, player state, play), then carry on.
 */
#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

static int restarted = 0;

static void on_event(void *userdata, const mc_event *ev) {
    (void)userdata;
    if (ev->kind == MC_EVENT_SESSION_RESTARTED && ev->reason && strcmp(ev->reason, "session_gone") == 0)
        restarted++;
}

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.ping_interval_ms = 100;
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 50;
    /* The restart waits a random delay up to this (10 s by default). */
    cfg.restart_delay_ms = 50;
    cfg.event_callback = on_event;
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, NULL, &t), MC_OK);
    mc_media_info m;
    harness_media(&m, "gone-1");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    mc_chapter_info ch;
    mc_chapter_info_init(&ch);
    ch.name = "chapter-1";
    ch.position = 1;
    ch.length = 60;
    CHECK_STATUS(mc_track_chapter_start(t, &ch, NULL, 0), MC_OK);
    CHECK_STATUS(mc_track_state_start(t, "fullscreen"), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    /* The Rust side injects the 410 once the first pings arrived; keep playing meanwhile. */
    double ph = 0;
    for (int i = 0; i < 40; i++) {
        harness_sleep_ms(50);
        ph += 0.05;
        CHECK_STATUS(mc_update_playhead(t, ph), MC_OK);
    }
    CHECK_STATUS(mc_track_complete(t), MC_OK);
    /* The event answered 410 was lost with its session: flush says so. */
    CHECK_STATUS(mc_client_flush(client, 10000), MC_ERR_DELIVERY);
    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    CHECK_EQ_INT(st.session_gone, 1);
    CHECK_EQ_INT(st.sessions_resumed, 1);
    CHECK_EQ_INT(st.sessions_started, 2);
    CHECK_EQ_INT(restarted, 1);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    return CHECK_DONE();
}
