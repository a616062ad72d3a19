/*
 * A downloaded session: recorded offline into the store, uploaded as one batch.
 *   MC_STORE_DIR        the store directory (required)
 *   MC_DEPRECATED=1     upload to the deprecated /api/v1/sessions array form
 *   MC_WAIT_UPLOADED=N  wait until N batches were uploaded (default 1)
 *   MC_WAIT_QUARANTINED=N  ... or until N were quarantined (default 0: not waited for)
 */
#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.store_dir = getenv("MC_STORE_DIR");
    cfg.use_deprecated_downloaded_endpoint = getenv("MC_DEPRECATED") != NULL;
    cfg.offline_ping_interval_ms = 150;
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 600000;
    cfg.upload_backoff_base_ms = 100;
    cfg.upload_backoff_cap_ms = 400;
    cfg.retry_after_cap_ms = 2000;
    /* A Retry-After pauses the whole endpoint, then one probe goes within this window. */
    cfg.release_window_ms = 100;
    long want_uploaded = harness_env_long("MC_WAIT_UPLOADED", 1);
    long want_quarantined = harness_env_long("MC_WAIT_QUARANTINED", 0);

    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_config tc;
    mc_tracker_config_init(&tc);
    tc.downloaded = true;
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, &tc, &t), MC_OK);

    mc_media_info m;
    harness_media(&m, "downloaded-1");
    m.granular_ad_tracking = true; /* ignored for downloaded content: pings stay at the offline interval */
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    double ph = 0;
    for (int i = 0; i < 8; i++) {
        harness_sleep_ms(50);
        ph += 0.05;
        CHECK_STATUS(mc_update_playhead(t, ph), MC_OK);
    }
    mc_ad_break_info b;
    mc_ad_break_info_init(&b);
    b.name = "mid";
    b.position = 1;
    b.start_time = ph;
    CHECK_STATUS(mc_track_ad_break_start(t, &b), MC_OK);
    mc_ad_info a;
    mc_ad_info_init(&a);
    a.id = "ad-1";
    a.name = "Ad 1";
    a.length = 5;
    CHECK_STATUS(mc_track_ad_start(t, &a, NULL, 0), MC_OK);
    harness_sleep_ms(200);
    CHECK_STATUS(mc_track_ad_complete(t), MC_OK);
    CHECK_STATUS(mc_track_ad_break_complete(t), MC_OK);
    CHECK_STATUS(mc_track_pause(t), MC_OK);
    harness_sleep_ms(100);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    CHECK_STATUS(mc_update_playhead(t, ph + 1), MC_OK);
    CHECK_STATUS(mc_track_complete(t), MC_OK);
    /* Durable once a flush after it returns MC_OK. A batch already refused (400) is reported as
       a drop since the last flush. */
    mc_status fs = mc_client_flush(client, 10000);
    CHECK(fs == MC_OK || (want_quarantined && fs == MC_ERR_DELIVERY));

    mc_stats st;
    for (int i = 0; i < 1000; i++) {
        mc_stats_init(&st);
        mc_client_stats(client, &st);
        if ((want_uploaded && (long)st.batches_uploaded >= want_uploaded) ||
            (want_quarantined && (long)st.quarantined >= want_quarantined))
            break;
        harness_sleep_ms(10);
    }
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    if (want_uploaded) CHECK_EQ_INT(st.batches_uploaded, want_uploaded);
    if (want_quarantined) CHECK_EQ_INT(st.quarantined, want_quarantined);
    CHECK_EQ_INT(st.sessions_started, 0); /* nothing real-time */
    printf("uploaded %llu, quarantined %llu, rejected %llu, retries-stored %llu\n",
           (unsigned long long)st.batches_uploaded, (unsigned long long)st.quarantined,
           (unsigned long long)st.rejected_400, (unsigned long long)st.retry_exhausted);
    CHECK_STATUS(mc_tracker_free(t), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    return CHECK_DONE();
}
