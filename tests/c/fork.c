/*
 * fork(): threads do not survive it, so in a child the parent's client and trackers answer
 * MC_ERR_FORKED at once; a client the child creates has a worker of its own and delivers. The
 * parent is unaffected. Then the pre-fork model: the parent frees its client and forks a loop
 * of children, each of which reports its own session (MC_FORK_CHILDREN, default 8).
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

/* A short session on a client of the child's own: 0 when every call answered MC_OK. */
static int own_session(const char *media_id) {
    int bad = 0;
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.preroll_window_ms = 0;
    mc_client_t c = 0;
    mc_status s = mc_client_new(&cfg, &c);
    if (s != MC_OK) {
        printf("child %s: mc_client_new: %s\n", media_id, mc_status_str(s));
        return 1;
    }
    mc_tracker_t t = 0;
    bad += mc_tracker_new(c, NULL, &t) != MC_OK;
    mc_media_info m;
    harness_media(&m, media_id);
    bad += mc_track_session_start(t, &m, NULL, 0) != MC_OK;
    bad += mc_track_play(t) != MC_OK;
    bad += mc_update_playhead(t, 1.0) != MC_OK;
    bad += mc_track_complete(t) != MC_OK;
    bad += mc_tracker_free(t) != MC_OK;
    bad += mc_client_flush(c, 10000) != MC_OK;
    bad += mc_client_free(c, 2000) != MC_OK;
    if (bad) printf("child %s: %d calls failed\n", media_id, bad);
    return bad;
}

static int child_checks(mc_client_t client, mc_tracker_t t) {
    int bad = 0;
    bad += mc_track_play(t) != MC_ERR_FORKED;
    bad += mc_update_playhead(t, 1.0) != MC_ERR_FORKED;
    bad += mc_client_flush(client, 100) != MC_ERR_FORKED;
    mc_tracker_t t2 = 0;
    bad += mc_tracker_new(client, NULL, &t2) != MC_ERR_FORKED;
    bad += t2 != 0;
    mc_stats st;
    mc_stats_init(&st);
    bad += mc_client_stats(client, &st) != MC_ERR_FORKED;
    bad += mc_tracker_free(t) != MC_ERR_FORKED;
    bad += mc_client_free(client, 100) != MC_ERR_FORKED;
    if (bad) printf("child: %d calls on the parent's handles did not answer MC_ERR_FORKED\n", bad);
    /* The parent's handles stay refused after the child made a client of its own. */
    bad += own_session("fork-child");
    bad += mc_track_play(t) != MC_ERR_FORKED;
    fflush(stdout);
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

    /* Pre-fork model: no client in the parent, one per child. */
    int children = (int)harness_env_long("MC_FORK_CHILDREN", 8);
    for (int i = 0; i < children; i++) {
        char id[32];
        snprintf(id, sizeof id, "fork-loop-%d", i);
        fflush(stdout);
        pid_t p = fork();
        if (p == 0) _exit(own_session(id) == 0 ? 0 : 1);
        CHECK(p > 0);
        int st = 0;
        CHECK_EQ_INT(waitpid(p, &st, 0), p);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    return CHECK_DONE();
}
