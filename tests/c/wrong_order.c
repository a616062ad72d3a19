/*
 * Calls in the wrong order: each is accepted on the calling thread (the rules run on the
 * worker), ignored by the rules, counted as ignored_call and reported through the event
 * callback with the call and the rule; the session on the wire stays clean.
 */
#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

#define MAX_SEEN 32
static char seen[MAX_SEEN][64];
static volatile int n_seen = 0;

static void on_event(void *userdata, const mc_event *ev) {
    (void)userdata;
    if (ev->kind == MC_EVENT_CALL_IGNORED && n_seen < MAX_SEEN) {
        snprintf(seen[n_seen], sizeof seen[0], "%s:%s", ev->call, ev->reason);
        n_seen++;
    }
}

static int saw_call(const char *call) {
    size_t n = strlen(call);
    for (int i = 0; i < n_seen; i++)
        if (strncmp(seen[i], call, n) == 0 && seen[i][n] == ':') return 1;
    return 0;
}

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 600000; /* no content-start play in this short test */
    cfg.event_callback = on_event;
    mc_client_t client = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(client, NULL, &t), MC_OK);

    CHECK_STATUS(mc_track_play(t), MC_OK);                 /* 1: not in a session */
    mc_media_info m;
    harness_media(&m, "wrong-order");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    mc_ad_info a;
    mc_ad_info_init(&a);
    a.id = "ad-1";
    a.name = "Ad";
    a.length = 10;
    CHECK_STATUS(mc_track_ad_start(t, &a, NULL, 0), MC_OK); /* 2: not in an ad break */
    CHECK_STATUS(mc_track_play(t), MC_OK);
    CHECK_STATUS(mc_track_chapter_complete(t), MC_OK);     /* 3: not in a chapter */
    CHECK_STATUS(mc_track_buffer_complete(t), MC_OK);      /* 4: not buffering */
    mc_ad_break_info b;
    mc_ad_break_info_init(&b);
    b.name = "mid";
    b.position = 1;
    CHECK_STATUS(mc_track_ad_break_start(t, &b), MC_OK);
    CHECK_STATUS(mc_track_pause(t), MC_OK);                /* 5: in a break, not in an ad */
    CHECK_STATUS(mc_track_ad_start(t, &a, NULL, 0), MC_OK);
    CHECK_STATUS(mc_track_ad_complete(t), MC_OK);
    CHECK_STATUS(mc_track_ad_complete(t), MC_OK);          /* 6: not in an ad */
    CHECK_STATUS(mc_track_ad_break_complete(t), MC_OK);
    CHECK_STATUS(mc_track_state_end(t, "mute"), MC_OK);    /* 7: state not active */
    CHECK_STATUS(mc_track_complete(t), MC_OK);
    CHECK_STATUS(mc_track_pause(t), MC_OK);                /* 8: the session is over */

    CHECK_STATUS(mc_client_flush(client, 10000), MC_OK);
    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    CHECK_EQ_INT(st.ignored_call, 8);
    CHECK_EQ_INT(n_seen, 8);
    CHECK(saw_call("ad_start"));
    CHECK(saw_call("chapter_complete"));
    CHECK(saw_call("buffer_complete"));
    CHECK(saw_call("ad_complete"));
    CHECK(saw_call("state_end"));
    for (int i = 0; i < n_seen; i++) printf("ignored: %s\n", seen[i]);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    return CHECK_DONE();
}
