/*
 * The kill loop's child: records one downloaded session into the store, flushing after every
 * event and printing "ACK <n>" once the flush returned MC_OK (event n is durable). The Rust
 * test SIGKILLs it at a random moment. With MC_FINAL=1 it records nothing and uploads what the
 * killed children left, until MC_FINAL_SESSIONS batches were uploaded.
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
    cfg.store_max_sessions = 100000;
    int final_run = getenv("MC_FINAL") != NULL;
    /* Killed writers never upload: everything is checked after the final run. */
    cfg.offline_at_start = !final_run;
    mc_client_t client = 0;
    mc_status s = mc_client_new(&cfg, &client);
    printf("OPEN %s\n", mc_status_str(s));
    fflush(stdout);
    if (s != MC_OK) return 1;

    if (final_run) {
        /* Uploads what the killed writers left, until the Rust side saw it all and stops us. */
        for (int i = 0; i < 6000; i++) {
            mc_stats st;
            mc_stats_init(&st);
            mc_client_stats(client, &st);
            printf("FINAL uploaded %llu torn %llu quarantined %llu\n", (unsigned long long)st.batches_uploaded,
                   (unsigned long long)st.torn_tail_discarded, (unsigned long long)st.quarantined);
            fflush(stdout);
            harness_sleep_ms(10);
        }
        return 1;
    }
    mc_tracker_config tc;
    mc_tracker_config_init(&tc);
    tc.downloaded = true;
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, &tc, &t), MC_OK);
    mc_media_info m;
    harness_media(&m, getenv("MC_MEDIA_ID"));
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    for (int i = 1; i < 100000; i++) {
        CHECK_STATUS(mc_update_playhead(t, (double)i), MC_OK);
        CHECK_STATUS((i % 2) ? mc_track_play(t) : mc_track_pause(t), MC_OK);
        if (mc_client_flush(client, 5000) == MC_OK) {
            printf("ACK %d\n", i);
            fflush(stdout);
        }
    }
    return CHECK_DONE();
}
