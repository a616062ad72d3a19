/*
 * A full tracker scenario in virtual time (host-driven mode with the client on this program's
 * clock): tracker.md S1's start (play, content start, pause), then 30 minutes paused (a ping
 * every 10 s, the idle end at 30 min), a resume on a new session, and the complete. Every
 * request goes through the real transport to the collector; the Rust side checks the hit list
 * with exact timestamps. Prints the real time it took.
 */
#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"
#include "host_loop.h"

static double playhead = 0;

/* tracker.md §7 "tick": the clock moves 1 s, then the playhead moves by k. Deadlines due at the
 * new instant run after the playhead update (they read it), as in Adobe's SDK tests. */
static void tick(mc_client_t client, mc_tracker_t t, int n, double k) {
    for (int i = 0; i < n; i++) {
        host_advance_to(client, host_virtual_ms + 999);
        host_virtual_ms += 1;
        playhead += k;
        CHECK_STATUS(mc_update_playhead(t, playhead), MC_OK);
        host_settle(client);
    }
}

int main(void) {
    long long began = host_real_ms();
    mc_client_config cfg;
    harness_config(&cfg);
    host_use_virtual_clock(&cfg);
    cfg.preroll_window_ms = 0; /* pw=0 */
    cfg.min_ts_gap_ms = 0;     /* Adobe's SDK exactly: hits of one call share their ts */
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    CHECK_EQ_INT(host_thread_count(), 1);
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, NULL, &t), MC_OK);

    mc_media_info m;
    mc_media_info_init(&m);
    m.id = "mediaID";
    m.name = "mediaName";
    m.length = 30;
    m.content_type = "aod";
    m.media_type = MC_MEDIA_TYPE_AUDIO;
    mc_metadata md[] = {{"media.show", "sampleshow"}, {"key1", "value1"}};

    /* t=0: sessionStart, play; 5 s of content; pause. */
    CHECK_STATUS(mc_track_session_start(t, &m, md, 2), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    host_settle(client);
    tick(client, t, 5, 1);
    CHECK_STATUS(mc_track_pause(t), MC_OK);
    /* 30 min and 5 s paused: pings every 10 s, the session ends idle at 30 min. */
    tick(client, t, 1805, 0);
    CHECK_EQ_INT(host_virtual_ms, 1810000);
    /* Play resumes on a new session; 5 s of content; complete. */
    CHECK_STATUS(mc_track_play(t), MC_OK);
    host_settle(client);
    tick(client, t, 5, 1);
    CHECK_STATUS(mc_track_complete(t), MC_OK);
    host_settle(client);
    CHECK_EQ_INT(host_thread_count(), 1);

    CHECK_STATUS(mc_client_flush(client, 5000), MC_OK);
    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    CHECK_EQ_INT(st.sessions_started, 2);
    CHECK_EQ_INT(st.sessions_resumed, 1);
    CHECK_EQ_INT(st.events_delivered, 188);
    CHECK_EQ_INT(st.retries + st.queue_overflow + st.session_not_created + st.retry_exhausted, 0);
    CHECK_STATUS(mc_tracker_free(t), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    printf("virtual %lld ms in %lld ms of real time\n", (long long)host_virtual_ms, host_real_ms() - began);
    return CHECK_DONE();
}
