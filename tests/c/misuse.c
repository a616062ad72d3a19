/*
 * Every exported function with NULL, invalid UTF-8, bad values, a stale handle, a handle of the
 * wrong kind and a freed client: each returns its documented status, nothing crashes, and
 * out-params are untouched on failure.
 */
#include <math.h>
#include <stddef.h>

#include "media_collection.h"
#include "mc_check.h"
#include "harness.h"

static const char bad_utf8[] = {(char)0xff, (char)0xfe, 'x', 0};
static mc_client_t the_client;
static volatile int callback_flush = -1, callback_free = -1;

/* A callback may call the API, but not wait on the worker it runs on. */
static void on_event(void *userdata, const mc_event *ev) {
    (void)userdata;
    if (ev->kind == MC_EVENT_SESSION_STARTED && callback_flush < 0) {
        callback_flush = (int)mc_client_flush(the_client, 1000);
        callback_free = (int)mc_client_free(the_client, 1000);
    }
}

static void check_simple_calls(mc_tracker_t t, mc_status expected) {
    CHECK_STATUS(mc_track_play(t), expected);
    CHECK_STATUS(mc_track_pause(t), expected);
    CHECK_STATUS(mc_track_complete(t), expected);
    CHECK_STATUS(mc_track_session_end(t), expected);
    CHECK_STATUS(mc_track_buffer_start(t), expected);
    CHECK_STATUS(mc_track_buffer_complete(t), expected);
    CHECK_STATUS(mc_track_seek_start(t), expected);
    CHECK_STATUS(mc_track_seek_complete(t), expected);
    CHECK_STATUS(mc_track_ad_break_complete(t), expected);
    CHECK_STATUS(mc_track_ad_complete(t), expected);
    CHECK_STATUS(mc_track_ad_skip(t), expected);
    CHECK_STATUS(mc_track_chapter_complete(t), expected);
    CHECK_STATUS(mc_track_chapter_skip(t), expected);
    CHECK_STATUS(mc_track_bitrate_change(t), expected);
    CHECK_STATUS(mc_track_error(t, "e", MC_ERROR_SOURCE_PLAYER), expected);
    CHECK_STATUS(mc_track_state_start(t, "mute"), expected);
    CHECK_STATUS(mc_track_state_end(t, "mute"), expected);
    CHECK_STATUS(mc_update_playhead(t, 1.0), expected);
    mc_qoe q;
    mc_qoe_init(&q);
    CHECK_STATUS(mc_update_qoe(t, &q), expected);
    mc_media_info m;
    harness_media(&m, "x");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), expected);
    mc_ad_break_info b;
    mc_ad_break_info_init(&b);
    b.name = "b";
    CHECK_STATUS(mc_track_ad_break_start(t, &b), expected);
    mc_ad_info a;
    mc_ad_info_init(&a);
    a.id = "a";
    a.name = "a";
    CHECK_STATUS(mc_track_ad_start(t, &a, NULL, 0), expected);
    mc_chapter_info c;
    mc_chapter_info_init(&c);
    c.name = "c";
    CHECK_STATUS(mc_track_chapter_start(t, &c, NULL, 0), expected);
}

int main(void) {
    /* Version and names. */
    CHECK(strcmp(mc_version(), MC_VERSION_STRING) == 0);
    CHECK(strcmp(mc_status_str(MC_OK), "MC_OK") == 0);
    CHECK(strcmp(mc_status_str(MC_ERR_TIMEOUT), "MC_ERR_TIMEOUT") == 0);
    CHECK(strcmp(mc_status_str(9999), "MC_ERR_UNKNOWN") == 0);
    CHECK(strcmp(mc_event_kind_str(MC_EVENT_DELIVERED), "MC_EVENT_DELIVERED") == 0);
    CHECK(strcmp(mc_event_kind_str(0), "MC_EVENT_UNKNOWN") == 0);
    CHECK(strcmp(mc_last_error(), "") == 0);

    /* Init functions. */
    CHECK_STATUS(mc_client_config_init_sized(NULL, sizeof(mc_client_config)), MC_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mc_tracker_config_init_sized(NULL, sizeof(mc_tracker_config)), MC_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mc_media_info_init_sized(NULL, sizeof(mc_media_info)), MC_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mc_ad_break_info_init_sized(NULL, sizeof(mc_ad_break_info)), MC_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mc_ad_info_init_sized(NULL, sizeof(mc_ad_info)), MC_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mc_chapter_info_init_sized(NULL, sizeof(mc_chapter_info)), MC_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mc_qoe_init_sized(NULL, sizeof(mc_qoe)), MC_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mc_stats_init_sized(NULL, sizeof(mc_stats)), MC_ERR_NULL_ARGUMENT);
    /* An init never writes more than the caller's size, and refuses sizes it cannot fill. */
    struct { mc_qoe q; unsigned char guard[16]; } older;
    memset(&older, 0xAB, sizeof older);
    CHECK_STATUS(mc_qoe_init_sized(&older.q, offsetof(mc_qoe, fps)), MC_OK);
    CHECK_EQ_INT(older.q.struct_size, offsetof(mc_qoe, fps));
    CHECK(((unsigned char *)&older.q)[offsetof(mc_qoe, fps)] == 0xAB);
    CHECK(older.guard[0] == 0xAB);
    CHECK_STATUS(mc_qoe_init_sized(&older.q, 2), MC_ERR_STRUCT_SIZE);
    CHECK_STATUS(mc_qoe_init_sized(&older.q, sizeof(mc_qoe) + 8), MC_ERR_STRUCT_SIZE);

    /* Client creation: every bad config is refused and *out stays untouched. */
    mc_client_config cfg;
    mc_client_t client = 12345;
    CHECK_STATUS(mc_client_new(NULL, &client), MC_ERR_NULL_ARGUMENT);
    harness_config(&cfg);
    CHECK_STATUS(mc_client_new(&cfg, NULL), MC_ERR_NULL_ARGUMENT);
    cfg.endpoint = NULL;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_ERR_NULL_ARGUMENT);
    cfg.endpoint = "ftp://example.com";
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_ERR_INVALID_URL);
    cfg.endpoint = "http://h/?x=1";
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_ERR_INVALID_URL);
    cfg.endpoint = bad_utf8;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_ERR_INVALID_UTF8);
    harness_config(&cfg);
    cfg.tracking_server = "";
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_ERR_INVALID_ARGUMENT);
    harness_config(&cfg);
    cfg.report_suite = bad_utf8;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_ERR_INVALID_UTF8);
    harness_config(&cfg);
    cfg.ping_interval_ms = 0;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_ERR_OUT_OF_RANGE);
    harness_config(&cfg);
    cfg.retry_cap_ms = 10;
    cfg.retry_base_ms = 20;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_ERR_OUT_OF_RANGE);
    /* The refusal in words, valid until this thread's next call. */
    CHECK(strcmp(mc_last_error(),
                 "mc_client_new: MC_ERR_OUT_OF_RANGE: config.retry_cap_ms (10) is below config.retry_base_ms (20)") == 0);
    harness_config(&cfg);
    cfg.log_level = 9;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_ERR_OUT_OF_RANGE);
    harness_config(&cfg);
    cfg.user_agent = "agent\r\nX-Injected: 1";
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_ERR_INVALID_ARGUMENT);
    harness_config(&cfg);
    cfg.struct_size = 3;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_ERR_STRUCT_SIZE);
    harness_config(&cfg);
    cfg.n_customer_ids = 2;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_ERR_NULL_ARGUMENT);
    CHECK_EQ_INT(client, 12345);

    /* A good client. */
    harness_config(&cfg);
    cfg.event_callback = on_event;
    CHECK_STATUS(mc_client_new(&cfg, &client), MC_OK);
    the_client = client;
    CHECK(client != 0 && client != 12345);

    CHECK_STATUS(mc_client_flush(0, 10), MC_ERR_INVALID_HANDLE);
    CHECK_STATUS(mc_client_flush(client + 1, 10), MC_ERR_INVALID_HANDLE);
    CHECK_STATUS(mc_client_free(0, 0), MC_OK);
    mc_stats st;
    CHECK_STATUS(mc_client_stats(client, NULL), MC_ERR_NULL_ARGUMENT);
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(0, &st), MC_ERR_INVALID_HANDLE);
    st.struct_size = 2;
    CHECK_STATUS(mc_client_stats(client, &st), MC_ERR_STRUCT_SIZE);

    /* Trackers. */
    mc_tracker_t t = 777;
    CHECK_STATUS(mc_tracker_new(0, NULL, &t), MC_ERR_INVALID_HANDLE);
    CHECK_STATUS(mc_tracker_new(client, NULL, NULL), MC_ERR_NULL_ARGUMENT);
    mc_tracker_config tc;
    mc_tracker_config_init(&tc);
    tc.downloaded = true;
    CHECK_STATUS(mc_tracker_new(client, &tc, &t), MC_ERR_NO_STORE);
    mc_tracker_config_init(&tc);
    tc.channel = bad_utf8;
    CHECK_STATUS(mc_tracker_new(client, &tc, &t), MC_ERR_INVALID_UTF8);
    CHECK_EQ_INT(t, 777);
    CHECK_STATUS(mc_tracker_new(client, NULL, &t), MC_OK);

    /* A client handle is not a tracker handle, and 0 never is one. */
    check_simple_calls(client, MC_ERR_INVALID_HANDLE);
    check_simple_calls(0, MC_ERR_INVALID_HANDLE);

    /* Session start arguments. */
    mc_media_info m;
    CHECK_STATUS(mc_track_session_start(t, NULL, NULL, 0), MC_ERR_NULL_ARGUMENT);
    harness_media(&m, NULL);
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_ERR_NULL_ARGUMENT);
    harness_media(&m, "");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_ERR_INVALID_ARGUMENT);
    harness_media(&m, "id");
    m.name = bad_utf8;
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_ERR_INVALID_UTF8);
    harness_media(&m, "id");
    m.length = -1;
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_ERR_INVALID_ARGUMENT);
    m.length = NAN;
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_ERR_INVALID_ARGUMENT);
    harness_media(&m, "id");
    m.media_type = 7;
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_ERR_INVALID_ARGUMENT);
    harness_media(&m, "id");
    m.initial_playhead = -3;
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_ERR_INVALID_ARGUMENT);
    harness_media(&m, "id");
    m.preroll_wait_ms = -5;
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_ERR_OUT_OF_RANGE);
    harness_media(&m, "id");
    m.struct_size = 1;
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_ERR_STRUCT_SIZE);
    harness_media(&m, "id");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 2), MC_ERR_NULL_ARGUMENT);
    /* A bad key or a NULL value only drops its entry (tests/c/sdk_parity.c): here the call
     * still fails, on the entry that is not UTF-8. */
    mc_metadata md_dropped_then_bad[] = {{"bad key", "v"}, {"k", NULL}, {"k", bad_utf8}};
    CHECK_STATUS(mc_track_session_start(t, &m, md_dropped_then_bad, 3), MC_ERR_INVALID_UTF8);
    mc_metadata md_bad_value[] = {{"k", bad_utf8}};
    CHECK_STATUS(mc_track_session_start(t, &m, md_bad_value, 1), MC_ERR_INVALID_UTF8);
    mc_metadata md_ok[] = {{"k", "v"}};
    CHECK_STATUS(mc_track_session_start(t, &m, md_ok, 100000), MC_ERR_TOO_LONG);

    /* Other calls' arguments. */
    CHECK_STATUS(mc_track_error(t, NULL, MC_ERROR_SOURCE_PLAYER), MC_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mc_track_error(t, "", MC_ERROR_SOURCE_PLAYER), MC_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mc_track_error(t, "e1", 5), MC_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mc_track_error(t, bad_utf8, MC_ERROR_SOURCE_EXTERNAL), MC_ERR_INVALID_UTF8);
    mc_ad_break_info b;
    CHECK_STATUS(mc_track_ad_break_start(t, NULL), MC_ERR_NULL_ARGUMENT);
    mc_ad_break_info_init(&b);
    CHECK_STATUS(mc_track_ad_break_start(t, &b), MC_ERR_NULL_ARGUMENT);
    b.name = "pod";
    b.position = 0;
    CHECK_STATUS(mc_track_ad_break_start(t, &b), MC_ERR_INVALID_ARGUMENT);
    b.position = 1;
    b.start_time = -1;
    CHECK_STATUS(mc_track_ad_break_start(t, &b), MC_ERR_INVALID_ARGUMENT);
    mc_ad_info a;
    CHECK_STATUS(mc_track_ad_start(t, NULL, NULL, 0), MC_ERR_NULL_ARGUMENT);
    mc_ad_info_init(&a);
    a.id = "";
    a.name = "n";
    CHECK_STATUS(mc_track_ad_start(t, &a, NULL, 0), MC_ERR_INVALID_ARGUMENT);
    a.id = "ad";
    a.length = INFINITY;
    CHECK_STATUS(mc_track_ad_start(t, &a, NULL, 0), MC_ERR_INVALID_ARGUMENT);
    mc_chapter_info c;
    CHECK_STATUS(mc_track_chapter_start(t, NULL, NULL, 0), MC_ERR_NULL_ARGUMENT);
    mc_chapter_info_init(&c);
    c.name = "c";
    c.position = 0;
    CHECK_STATUS(mc_track_chapter_start(t, &c, NULL, 0), MC_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mc_track_state_start(t, NULL), MC_ERR_NULL_ARGUMENT);
    CHECK_STATUS(mc_track_state_start(t, "bad name!"), MC_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mc_track_state_end(t, bad_utf8), MC_ERR_INVALID_UTF8);
    CHECK_STATUS(mc_track_state_start(t, "a_name_that_is_longer_than_sixty_four_characters_is_refused_yes_indeed"),
                 MC_ERR_TOO_LONG);
    CHECK_STATUS(mc_update_playhead(t, -1.0), MC_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mc_update_playhead(t, NAN), MC_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(mc_update_qoe(t, NULL), MC_ERR_NULL_ARGUMENT);
    mc_qoe q;
    mc_qoe_init(&q);
    q.bitrate = -1;
    CHECK_STATUS(mc_update_qoe(t, &q), MC_ERR_INVALID_ARGUMENT);

    /* Calls out of order are accepted here; the worker ignores and reports them. */
    CHECK_STATUS(mc_track_ad_complete(t), MC_OK);
    harness_media(&m, "misuse-1");
    CHECK_STATUS(mc_track_session_start(t, &m, NULL, 0), MC_OK);
    CHECK_STATUS(mc_track_play(t), MC_OK);
    CHECK_STATUS(mc_track_complete(t), MC_OK);
    CHECK_STATUS(mc_client_flush(client, 10000), MC_OK);
    CHECK_EQ_INT(callback_flush, MC_ERR_WOULD_DEADLOCK);
    CHECK_EQ_INT(callback_free, MC_ERR_WOULD_DEADLOCK);
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_OK);
    CHECK(st.ignored_call >= 1);

    /* Stale tracker: freed once, every later use is an invalid handle. */
    CHECK_STATUS(mc_tracker_free(t), MC_OK);
    CHECK_STATUS(mc_tracker_free(t), MC_ERR_INVALID_HANDLE);
    CHECK_STATUS(mc_tracker_free(0), MC_OK);
    check_simple_calls(t, MC_ERR_INVALID_HANDLE);

    /* A freed client: its handle and its trackers' handles are invalid at once. */
    mc_tracker_t t2 = 0;
    CHECK_STATUS(mc_tracker_new(client, NULL, &t2), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_OK);
    CHECK_STATUS(mc_client_free(client, 2000), MC_ERR_INVALID_HANDLE);
    CHECK_STATUS(mc_client_flush(client, 10), MC_ERR_INVALID_HANDLE);
    mc_stats_init(&st);
    CHECK_STATUS(mc_client_stats(client, &st), MC_ERR_INVALID_HANDLE);
    mc_tracker_t t3 = 0;
    CHECK_STATUS(mc_tracker_new(client, NULL, &t3), MC_ERR_INVALID_HANDLE);
    check_simple_calls(t2, MC_ERR_INVALID_HANDLE);
    CHECK_STATUS(mc_tracker_free(t2), MC_ERR_INVALID_HANDLE);
    return CHECK_DONE();
}
