/*
 * One corrupt record in a stored session loses that record alone. MC_PHASE=record records a
 * downloaded session while offline (nothing is uploaded) and stops; the Rust test then flips a
 * byte in one record of the finished file; MC_PHASE=upload opens the store again (recovery
 * resynchronises past the damage), uploads what survived, and checks the counters:
 * torn_tail_discarded = 1 record, quarantined = 1 (the damaged bytes).
 *   MC_STORE_DIR  the store directory (required)
 */
#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

int main(void) {
    const char *phase = getenv("MC_PHASE");
    int upload = phase && strcmp(phase, "upload") == 0;
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.store_dir = getenv("MC_STORE_DIR");
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 600000;
    cfg.offline_ping_interval_ms = 600000;
    cfg.offline_at_start = !upload;
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_stats st;
    if (upload) {
        for (int i = 0; i < 1000; i++) {
            mc_stats_init(&st);
            mc_client_stats(client, &st);
            if (st.batches_uploaded >= 1) break;
            harness_sleep_ms(10);
        }
        mc_stats_init(&st);
        CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
        CHECK_EQ_INT(st.batches_uploaded, 1);
        CHECK_EQ_INT(st.torn_tail_discarded, 1);
        CHECK_EQ_INT(st.quarantined, 1);
    } else {
        mc_tracker_config tc;
        mc_tracker_config_init(&tc);
        tc.downloaded = true;
        mc_tracker_t t = 0;
        CHECK_STATUS(mc_tracker_new(client, &tc, &t), MC_OK);
        mc_media_info m;
        harness_media(&m, "corrupt-store");
        CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
        for (int i = 1; i <= 40; i++) {
            CHECK_STATUS(mc_update_playhead(t, (double)i), MC_OK);
            CHECK_STATUS((i % 2) ? mc_track_play(t) : mc_track_pause(t), MC_OK);
        }
        CHECK_STATUS(mc_track_complete(t), MC_OK);
        CHECK_STATUS(mc_tracker_free(t), MC_OK);
        CHECK_STATUS(mc_client_flush(client, 10000), MC_OK);
    }
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    return CHECK_DONE();
}
