/*
 * fork(): threads do not survive it, so in the child every call returns MC_ERR_FORKED at once
 * and no worker starts; the parent is unaffected and delivers its session.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

static int child_checks(mc_client_t client, mc_tracker_t t) {
    int bad = 0;
    mc_client_config cfg;
    harness_config(&cfg);
    mc_client_t c2 = 0;
    bad += mc_client_new(&cfg, &c2) != MC_ERR_FORKED;
    bad += mc_track_play(t) != MC_ERR_FORKED;
    bad += mc_update_playhead(t, 1.0) != MC_ERR_FORKED;
    bad += mc_client_flush(client, 100) != MC_ERR_FORKED;
    mc_tracker_t t2 = 0;
    bad += mc_tracker_new(client, NULL, &t2) != MC_ERR_FORKED;
    mc_stats st;
    mc_stats_init(&st);
    bad += mc_client_stats(client, &st) != MC_ERR_FORKED;
    bad += mc_tracker_free(t) != MC_ERR_FORKED;
    bad += mc_client_free(client, 100) != MC_ERR_FORKED;
    return bad;
}

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 600000;
    cfg.ping_interval_ms = 600000;
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, NULL, &t), MC_OK);
    mc_media_info m;
    harness_media(&m, "fork-parent");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(child_checks(client, t) == 0 ? 0 : 1);
    CHECK(pid > 0);
    int status = 0;
    CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* The parent goes on as if nothing happened. */
    CHECK_STATUS(mc_update_playhead(t, 2.0), MC_OK);
    CHECK_STATUS(mc_track_pause(t), MC_OK);
    CHECK_STATUS(mc_track_complete(t), MC_OK);
    CHECK_STATUS(mc_client_flush(client, 10000), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    return CHECK_DONE();
}
