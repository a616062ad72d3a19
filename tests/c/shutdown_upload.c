/*
 * mc_client_free with a downloaded batch in flight to a slow server (the Rust test delays the
 * answer by 1 s): free waits for the answer within its bound, so the batch is deleted after its
 * 201 and never uploaded twice, and free returns MC_OK well before its 30 s bound. With a bound
 * shorter than the server's delay (MC_FREE_MS), free returns at its bound and the batch cut off
 * stays stored for the next client (the documented at-least-once case).
 *   MC_STORE_DIR  the store directory (required)
 *   MC_FREE_MS    the bound given to mc_client_free (default 30000)
 */
#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.store_dir = getenv("MC_STORE_DIR");
    cfg.offline_ping_interval_ms = 600000;
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 600000;
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_config tc;
    mc_tracker_config_init(&tc);
    tc.downloaded = true;
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, &tc, &t), MC_OK);
    mc_media_info m;
    harness_media(&m, "shutdown-upload");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    CHECK_STATUS(mc_update_playhead(t, 1.0), MC_OK);
    CHECK_STATUS(mc_track_complete(t), MC_OK);
    CHECK_STATUS(mc_tracker_free(t), MC_OK);
    CHECK_STATUS(mc_client_flush(client, 10000), MC_OK);
    harness_sleep_ms(200); /* the upload has started; its answer comes 1 s after it */

    long bound = harness_env_long("MC_FREE_MS", 30000);
    long long t0 = now_ms();
    CHECK_STATUS(mc_client_free(client, (uint32_t)bound), MC_OK);
    long long took = now_ms() - t0;
    printf("mc_client_free(%ld) took %lld ms\n", bound, took);
    if (bound > 1000) {
        CHECK(took >= 500);  /* it waited for the answer ... */
        CHECK(took < 10000); /* ... and not for its whole bound */
    } else {
        CHECK(took >= bound - 50);  /* it waited until its bound ... */
        CHECK(took < bound + 250);  /* ... and no longer */
    }
    return CHECK_DONE();
}
