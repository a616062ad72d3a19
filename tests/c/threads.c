/*
 * 8 player threads, each with 8 trackers, all at once: every session must arrive whole and in
 * order (the Rust side checks), and no call may fail.
 */
#include <pthread.h>

#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

#define THREADS 8
#define TRACKERS 8

static mc_client_t client;
static int thread_failures[THREADS];

static void *player_thread(void *arg) {
    int id = (int)(long)arg;
    mc_tracker_t t[TRACKERS];
    char ids[TRACKERS][32];
    int bad = 0;
    for (int k = 0; k < TRACKERS; k++) {
        if (mc_tracker_new(client, NULL, &t[k]) != MC_OK) bad++;
        mc_media_info m;
        snprintf(ids[k], sizeof ids[k], "thread-%d-tracker-%d", id, k);
        harness_media(&m, ids[k]);
        if (mc_track_session_start(t[k], &m, NULL, 0) != MC_OK) bad++;
        if (mc_track_play(t[k]) != MC_OK) bad++;
    }
    for (int step = 1; step <= 5; step++) {
        for (int k = 0; k < TRACKERS; k++) {
            if (mc_update_playhead(t[k], step) != MC_OK) bad++;
            if (step == 3 && mc_track_pause(t[k]) != MC_OK) bad++;
            if (step == 4 && mc_track_play(t[k]) != MC_OK) bad++;
        }
        harness_sleep_ms(10);
    }
    for (int k = 0; k < TRACKERS; k++) {
        if (mc_track_complete(t[k]) != MC_OK) bad++;
        if (mc_tracker_free(t[k]) != MC_OK) bad++;
    }
    thread_failures[id] = bad;
    return NULL;
}

int main(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 600000;
    cfg.ping_interval_ms = 600000;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    pthread_t th[THREADS];
    for (long i = 0; i < THREADS; i++) CHECK_EQ_INT(pthread_create(&th[i], NULL, player_thread, (void *)i), 0);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(thread_failures[i], 0);
    }
    CHECK_STATUS(mc_client_flush(client, 20000), MC_OK);
    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    CHECK_EQ_INT(st.sessions_started, THREADS * TRACKERS);
    CHECK_EQ_INT(st.ignored_call, 0);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    return CHECK_DONE();
}
