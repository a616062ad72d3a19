/*
 * A downloaded session big enough for Media Edge to take in parts (run with MC_BACKEND=edge):
 * records MC_PAUSES pause/play pairs, completes the session and waits while the worker uploads
 * it, until the Rust test SIGKILLs it between parts (the collector failing the later ones).
 * With MC_FINAL=1 it records nothing and uploads what the killed run left in MC_STORE_DIR.
 */
#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.store_dir = getenv("MC_STORE_DIR");
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 600000;
    cfg.offline_ping_interval_ms = 600000;
    cfg.upload_min_gap_ms = 0;
    cfg.upload_backoff_base_ms = 50;
    cfg.network_return_window_ms = 0;
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);

    if (getenv("MC_FINAL") == NULL) {
        mc_tracker_config tc;
        mc_tracker_config_init(&tc);
        tc.downloaded = true;
        mc_tracker_t t = 0;
        CHECK_STATUS(mc_tracker_new(client, &tc, &t), MC_OK);
        mc_media_info m;
        harness_media(&m, "kill-between-parts");
        m.length = 3600;
        CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
        CHECK_STATUS(mc_track_play(t), MC_OK);
        long pauses = harness_env_long("MC_PAUSES", 700);
        for (long i = 1; i <= pauses; i++) {
            CHECK_STATUS(mc_update_playhead(t, (double)i), MC_OK);
            CHECK_STATUS(mc_track_pause(t), MC_OK);
            CHECK_STATUS(mc_track_play(t), MC_OK);
        }
        CHECK_STATUS(mc_track_complete(t), MC_OK);
        CHECK_STATUS(mc_tracker_free(t), MC_OK);
    }
    /* The worker uploads meanwhile; the Rust side kills this process when it has seen enough. */
    for (int i = 0; i < 3000; i++) {
        mc_stats st;
        mc_stats_init(&st);
        mc_client_stats(client, &st);
        printf("UPLOADED %llu sessions, %llu events\n", (unsigned long long)st.batches_uploaded,
               (unsigned long long)st.events_delivered);
        fflush(stdout);
        harness_sleep_ms(20);
    }
    return 1;
}
