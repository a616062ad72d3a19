/*
 * A disk error while recording a downloaded session: mc_client_flush reports it as MC_ERR_DISK
 * (which wins over MC_ERR_DELIVERY, though the lost events are drops too), the next flush is
 * MC_OK again once writes succeed, and the session is uploaded with what was stored.
 * The "full disk" is RLIMIT_FSIZE: every write past the limit fails (EFBIG), as on ENOSPC.
 *   MC_STORE_DIR  the store directory (required)
 */
#include <signal.h>
#include <sys/resource.h>

#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

static struct rlimit saved;

static void disk_full(int full) {
    if (full) {
        struct rlimit r = saved;
        r.rlim_cur = 1; /* every segment already holds more than this: appends fail */
        CHECK_EQ_INT(setrlimit(RLIMIT_FSIZE, &r), 0);
    } else {
        CHECK_EQ_INT(setrlimit(RLIMIT_FSIZE, &saved), 0);
    }
}

int main(void) {
    signal(SIGXFSZ, SIG_IGN); /* a write past the limit fails with EFBIG instead of killing us */
    CHECK_EQ_INT(getrlimit(RLIMIT_FSIZE, &saved), 0);
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
    harness_media(&m, "disk-full");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    CHECK_STATUS(mc_client_flush(client, 10000), MC_OK);

    disk_full(1);
    CHECK_STATUS(mc_update_playhead(t, 1.0), MC_OK);
    CHECK_STATUS(mc_track_pause(t), MC_OK); /* lost: the disk is full */
    CHECK_STATUS(mc_client_flush(client, 10000), MC_ERR_DISK);
    disk_full(0);

    CHECK_STATUS(mc_update_playhead(t, 2.0), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    CHECK_STATUS(mc_client_flush(client, 10000), MC_OK); /* writing resumed */
    CHECK_STATUS(mc_update_playhead(t, 3.0), MC_OK);
    CHECK_STATUS(mc_track_complete(t), MC_OK);
    CHECK_STATUS(mc_client_flush(client, 10000), MC_OK);

    mc_stats st;
    for (int i = 0; i < 1000; i++) {
        mc_stats_init(&st);
        mc_client_stats(client, &st);
        if (st.batches_uploaded >= 1) break;
        harness_sleep_ms(10);
    }
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    CHECK_EQ_INT(st.batches_uploaded, 1);
    CHECK_EQ_INT(st.disk_error, 1);
    CHECK_STATUS(mc_tracker_free(t), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    return CHECK_DONE();
}
