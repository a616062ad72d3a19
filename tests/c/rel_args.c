/*
 * Reliability rows A1 and A2 (spec/reliability.md §10.3), beyond misuse.c: 16 MiB strings,
 * empty strings, invalid UTF-8 in every kind of string argument, control characters in every
 * value that can reach an HTTP header or the request line, non-finite numbers; then 100 000
 * tracker create/free cycles whose stale handles never come back to life. Every call returns
 * its documented status, nothing crashes, and a valid session still goes through afterwards
 * (the Rust side asserts the collector got exactly that one session).
 *
 * Precondition, documented rather than tested: strings are NUL-terminated. A buffer without a
 * NUL is the caller's undefined behaviour (the library reads at most cap + 1 bytes of it).
 */
#include <math.h>
#include <stdint.h>

#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

static const char bad_utf8[] = {'o', 'k', (char)0xc3, (char)0x28, 0};     /* bad continuation */
static const char overlong[] = {(char)0xc0, (char)0xaf, 0};               /* overlong '/' */
static const char surrogate[] = {(char)0xed, (char)0xa0, (char)0x80, 0};  /* UTF-16 surrogate */

int main(void) {
    const size_t big_len = 16u << 20;
    char *big = malloc(big_len + 1);
    CHECK(big != NULL);
    if (!big) return CHECK_DONE();
    memset(big, 'a', big_len);
    big[big_len] = 0;

    /* Client config: long, malformed and header-injecting values are refused. */
    mc_client_config cfg;
    mc_client_t c = 0;
    harness_config(&cfg);
    cfg.endpoint = big;
    CHECK_STATUS(mc_client_new(&cfg, &c), MC_ERR_TOO_LONG);
    harness_config(&cfg);
    cfg.tracking_server = big;
    CHECK_STATUS(mc_client_new(&cfg, &c), MC_ERR_TOO_LONG);
    harness_config(&cfg);
    cfg.user_agent = big;
    CHECK_STATUS(mc_client_new(&cfg, &c), MC_ERR_TOO_LONG);
    const char *injections[] = {"ua\r", "ua\nX-Evil: 1", "ua\r\nX-Evil: 1", "ua\tx", "ua\x01", "ua\x7f", "ua\x1b[0m"};
    for (size_t i = 0; i < sizeof injections / sizeof injections[0]; i++) {
        harness_config(&cfg);
        cfg.user_agent = injections[i];
        CHECK_STATUS(mc_client_new(&cfg, &c), MC_ERR_INVALID_ARGUMENT);
        harness_config(&cfg);
        cfg.proxy = injections[i];
        CHECK_STATUS(mc_client_new(&cfg, &c), MC_ERR_INVALID_ARGUMENT);
    }
    const char *bad_endpoints[] = {"http://h\r\nX-Evil: 1/", "http://h/\n", "http://h/\x01", "http://h\x7f/",
                                   "file:///etc/passwd", "gopher://h", "dict://h", "ftp://h", ""};
    for (size_t i = 0; i < sizeof bad_endpoints / sizeof bad_endpoints[0]; i++) {
        harness_config(&cfg);
        cfg.endpoint = bad_endpoints[i];
        mc_status s = mc_client_new(&cfg, &c);
        CHECK(s == MC_ERR_INVALID_URL || s == MC_ERR_INVALID_ARGUMENT);
    }
    const char *bad_strings[] = {bad_utf8, overlong, surrogate};
    for (size_t i = 0; i < 3; i++) {
        harness_config(&cfg);
        cfg.org_id = bad_strings[i];
        CHECK_STATUS(mc_client_new(&cfg, &c), MC_ERR_INVALID_UTF8);
        harness_config(&cfg);
        cfg.ecid = bad_strings[i];
        CHECK_STATUS(mc_client_new(&cfg, &c), MC_ERR_INVALID_UTF8);
    }
    CHECK_EQ_INT(c, 0);

    harness_config(&cfg);
    cfg.preroll_window_ms = 0;
    cfg.content_start_delay_ms = 600000;
    cfg.ping_interval_ms = 600000;
    cfg.queue_capacity = 1u << 20;
    CHECK_STATUS(mc_client_new(&cfg, &c), MC_OK);
    mc_tracker_t t = 0;
    CHECK_STATUS(mc_tracker_new(c, NULL, &t), MC_OK);

    /* Tracker config. */
    mc_tracker_config tc;
    mc_tracker_config_init(&tc);
    mc_tracker_t t2 = 99;
    tc.player_name = big;
    CHECK_STATUS(mc_tracker_new(c, &tc, &t2), MC_ERR_TOO_LONG);
    tc.player_name = surrogate;
    CHECK_STATUS(mc_tracker_new(c, &tc, &t2), MC_ERR_INVALID_UTF8);
    CHECK_EQ_INT(t2, 99);

    /* Session start: every string field, long, empty and malformed. */
    mc_media_info m;
    const char **fields[] = {&m.id, &m.name, &m.content_type};
    for (size_t f = 0; f < 3; f++) {
        harness_media(&m, "id");
        *fields[f] = big;
        CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_ERR_TOO_LONG);
        harness_media(&m, "id");
        *fields[f] = "";
        CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_ERR_INVALID_ARGUMENT);
        for (size_t i = 0; i < 3; i++) {
            harness_media(&m, "id");
            *fields[f] = bad_strings[i];
            CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_ERR_INVALID_UTF8);
        }
    }
    double bad_numbers[] = {NAN, INFINITY, -INFINITY, -1.0, -0.5};
    for (size_t i = 0; i < 5; i++) {
        harness_media(&m, "id");
        m.length = bad_numbers[i];
        CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_ERR_INVALID_ARGUMENT);
        CHECK_STATUS(mc_update_playhead(t, bad_numbers[i]), MC_ERR_INVALID_ARGUMENT);
        mc_qoe q;
        mc_qoe_init(&q);
        q.fps = bad_numbers[i];
        CHECK_STATUS(mc_update_qoe(t, &q), MC_ERR_INVALID_ARGUMENT);
    }
    harness_media(&m, "id");
    mc_metadata md_big_value[] = {{"k", big}};
    CHECK_STATUS(mc_track_session_start(t, &m, md_big_value, 1), MC_ERR_TOO_LONG);
    mc_metadata md_big_key[] = {{big, "v"}};
    CHECK_STATUS(mc_track_session_start(t, &m, md_big_key, 1), MC_ERR_TOO_LONG);
    mc_metadata md_bad[] = {{"k", overlong}};
    /* An empty key only drops its entry; the call fails on the malformed value after it. */
    mc_metadata md_empty_key[] = {{"", "v"}, {"k", overlong}};
    CHECK_STATUS(mc_track_session_start(t, &m, md_empty_key, 2), MC_ERR_INVALID_UTF8);
    CHECK_STATUS(mc_track_session_start(t, &m, md_bad, 1), MC_ERR_INVALID_UTF8);
    CHECK_STATUS(mc_track_session_start(t, &m, md_bad, SIZE_MAX), MC_ERR_TOO_LONG);

    /* Other calls. */
    CHECK_STATUS(mc_track_error(t, big, MC_ERROR_SOURCE_PLAYER), MC_ERR_TOO_LONG);
    CHECK_STATUS(mc_track_error(t, surrogate, MC_ERROR_SOURCE_PLAYER), MC_ERR_INVALID_UTF8);
    CHECK_STATUS(mc_track_state_start(t, big), MC_ERR_TOO_LONG);
    CHECK_STATUS(mc_track_state_start(t, ""), MC_ERR_INVALID_ARGUMENT);
    mc_ad_info a;
    mc_ad_info_init(&a);
    a.id = "ad";
    a.name = big;
    CHECK_STATUS(mc_track_ad_start(t, &a, NULL, 0), MC_ERR_TOO_LONG);
    a.name = "ad";
    a.length = NAN;
    CHECK_STATUS(mc_track_ad_start(t, &a, NULL, 0), MC_ERR_INVALID_ARGUMENT);
    mc_chapter_info ch;
    mc_chapter_info_init(&ch);
    ch.name = bad_utf8;
    CHECK_STATUS(mc_track_chapter_start(t, &ch, NULL, 0), MC_ERR_INVALID_UTF8);
    mc_ad_break_info b;
    mc_ad_break_info_init(&b);
    b.name = "pod";
    b.start_time = NAN;
    CHECK_STATUS(mc_track_ad_break_start(t, &b), MC_ERR_INVALID_ARGUMENT);

    /* A2: 100 000 create/free cycles. The first handle, once freed, never works again, and
     * no new handle ever equals a freed one still held by the player. */
    mc_tracker_t first = 0;
    CHECK_STATUS(mc_tracker_new(c, NULL, &first), MC_OK);
    CHECK_STATUS(mc_tracker_free(first), MC_OK);
    int revived = 0, failed = 0;
    mc_tracker_t prev = first;
    for (int i = 0; i < 100000; i++) {
        mc_tracker_t h = 0;
        if (mc_tracker_new(c, NULL, &h) != MC_OK) { failed++; continue; }
        if (h == first || h == prev) revived++;
        if (mc_track_play(first) != MC_ERR_INVALID_HANDLE) revived++;
        if (mc_tracker_free(h) != MC_OK) failed++;
        if (mc_tracker_free(h) != MC_ERR_INVALID_HANDLE) failed++;
        prev = h;
    }
    CHECK_EQ_INT(revived, 0);
    CHECK_EQ_INT(failed, 0);
    CHECK_STATUS(mc_update_playhead(first, 1.0), MC_ERR_INVALID_HANDLE);

    /* After all that, a valid session goes through. */
    harness_media(&m, "args-ok");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    CHECK_STATUS(mc_track_complete(t), MC_OK);
    CHECK_STATUS(mc_client_flush(c, 20000), MC_OK);
    mc_stats st;
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(c, &st), MC_OK);
    CHECK_EQ_INT(st.sessions_started, 1);
    CHECK_EQ_INT(st.panics, 0);
    CHECK_STATUS(mc_tracker_free(t), MC_OK);
    CHECK_STATUS(mc_client_free(c, 2000), MC_OK);
    free(big);
    return CHECK_DONE();
}
