/*
 * Reliability row A4 (spec/reliability.md §10.3): a panic inside an API call and one inside the
 * worker. The host process survives; the call that panicked returns MC_ERR_PANIC; the client is
 * poisoned and every later call on it fails fast with MC_ERR_POISONED; its counters still read
 * (`panics`); a fresh client works normally afterwards.
 *
 * The panics come from the debug-build-only hook `mc_debug_inject_panic(client, site)` (site 1:
 * panic in this call on the caller's thread; site 2: panic on the worker while it handles the
 * next command). It is not in the public header; it is declared weak here so that a build
 * without it fails this program with a clear line instead of a link error.
 */
#include <stdint.h>

#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

extern mc_status mc_debug_inject_panic(mc_client_t client, uint32_t site) __attribute__((weak));

static mc_client_t new_client(void) {
    mc_client_config cfg;
    harness_config(&cfg);
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 600000;
    cfg.ping_interval_ms = 600000;
    mc_client_t c = 0;
    CHECK_STATUS(mc_client_new(&cfg, &c), MC_OK);
    return c;
}

static void start_session(mc_client_t c, mc_tracker_t *t, const char *id) {
    CHECK_STATUS(mc_tracker_new(c, NULL, t), MC_OK);
    mc_media_info m;
    harness_media(&m, id);
    CHECK_STATUS(mc_track_session_start(*t, &m, NULL, 0), MC_OK);
}

static void check_poisoned(mc_client_t c, mc_tracker_t t) {
    CHECK_STATUS(mc_track_play(t), MC_ERR_POISONED);
    CHECK_STATUS(mc_update_playhead(t, 2.0), MC_ERR_POISONED);
    CHECK_STATUS(mc_client_flush(c, 1000), MC_ERR_POISONED);
    mc_tracker_t t2 = 0;
    CHECK_STATUS(mc_tracker_new(c, NULL, &t2), MC_ERR_POISONED);
    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(c, &st), MC_OK);
    CHECK_EQ_INT(st.panics, 1);
    CHECK_STATUS(mc_client_free(c, 2000), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_ERR_INVALID_HANDLE);
}

int main(void) {
    if (!mc_debug_inject_panic) {
        printf("rel_panic: mc_debug_inject_panic is not in this build of the library "
               "(it exists in debug builds only): panic containment cannot be exercised\n");
        CHECK(!"mc_debug_inject_panic present");
        return CHECK_DONE();
    }
    /* A panic inside an API call. */
    mc_client_t a = new_client();
    mc_tracker_t ta = 0;
    start_session(a, &ta, "panic-api");
    CHECK_STATUS(mc_debug_inject_panic(a, 1), MC_ERR_PANIC);
    check_poisoned(a, ta);

    /* A panic on the worker thread. */
    mc_client_t b = new_client();
    mc_tracker_t tb = 0;
    start_session(b, &tb, "panic-worker");
    CHECK_STATUS(mc_debug_inject_panic(b, 2), MC_OK);
    mc_status s = MC_OK;
    for (int i = 0; i < 200 && (s = mc_track_play(tb)) != MC_ERR_POISONED; i++) harness_sleep_ms(10);
    CHECK_STATUS(s, MC_ERR_POISONED);
    check_poisoned(b, tb);

    /* The process and the library go on: a fresh client delivers its session. */
    mc_client_t c = new_client();
    mc_tracker_t tc = 0;
    start_session(c, &tc, "after-panics");
    CHECK_STATUS(mc_track_play(tc), MC_OK);
    CHECK_STATUS(mc_track_complete(tc), MC_OK);
    CHECK_STATUS(mc_client_flush(c, 20000), MC_OK);
    CHECK_STATUS(mc_tracker_free(tc), MC_OK);
    CHECK_STATUS(mc_client_free(c, 2000), MC_OK);
    return CHECK_DONE();
}
