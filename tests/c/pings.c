/* Pings on a short interval: 100 ms pings while playing for ~1.2 s. */
#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.ping_interval_ms = 100;
    cfg.preroll_window_ms = 0;
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, NULL, &t), MC_OK);
    mc_media_info m;
    harness_media(&m, "pings-1");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    double ph = 0;
    for (int i = 0; i < 24; i++) {
        harness_sleep_ms(50);
        ph += 0.05;
        CHECK_STATUS(mc_update_playhead(t, ph), MC_OK);
    }
    CHECK_STATUS(mc_track_complete(t), MC_OK);
    CHECK_STATUS(mc_client_flush(client, 10000), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    return CHECK_DONE();
}
