// The C++ RAII layer (media_collection.hpp): compiled with -std=c++17 -Wall -Wextra -Werror and
// run against the collector by tests/cpp.rs. One session reaches the collector (id "hpp-1");
// the test asserts on what it received. With MC_HANG_ENDPOINT (a collector that never answers)
// it also checks the bound on the Client destructor's wait.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>

#include "media_collection.hpp"
#include "mc_check.h"

static_assert(!std::is_copy_constructible_v<mc::Client>, "Client is move-only");
static_assert(!std::is_copy_assignable_v<mc::Client>, "Client is move-only");
static_assert(std::is_nothrow_move_constructible_v<mc::Client>, "Client moves without throwing");
static_assert(std::is_nothrow_move_assignable_v<mc::Client>, "Client moves without throwing");
static_assert(!std::is_copy_constructible_v<mc::Tracker>, "Tracker is move-only");
static_assert(std::is_nothrow_move_constructible_v<mc::Tracker>, "Tracker moves without throwing");
static_assert(noexcept(std::declval<mc::Tracker &>().play()), "tracker calls never throw");
static_assert(noexcept(std::declval<mc::Tracker &>().state_start(std::string_view())), "nor with strings");
static_assert(noexcept(mc::Client::create(std::declval<const mc::ClientConfig &>())), "create() never throws");
static_assert(std::is_base_of_v<std::system_error, mc::Error>, "mc::Error is a std::system_error");

// The destructor of a Client whose requests hang returns within close_timeout + 200 ms.
static int check_destructor_bound(const char *hang_endpoint) {
    using namespace std::chrono;
    mc::ClientConfig config(hang_endpoint, "t.sc.omtrdc.net", "rsid", "ORG@AdobeOrg");
    config.request_timeout(60s).close_timeout(300ms);
    auto start = steady_clock::now();
    {
        mc::Client client(config);
        mc::Tracker t(client);
        CHECK(t.session_start(mc::Media("hang-1", "Hang", 60.0, "vod")).ok());
        std::this_thread::sleep_for(100ms); // the sessionStart is in flight, unanswered
        start = steady_clock::now();
    } // ~Tracker, then ~Client: bounded
    auto waited = duration_cast<milliseconds>(steady_clock::now() - start).count();
    std::printf("destructor waited %lld ms (bound 300 + 200 ms)\n", static_cast<long long>(waited));
    CHECK(waited >= 250);
    CHECK(waited < 500 + 1000); // the bound, plus slack for a loaded machine
    return CHECK_DONE();
}

static mc::ClientConfig test_config(const char *endpoint) {
    mc::ClientConfig config(endpoint, "t.sc.omtrdc.net", "rsid", "ORG@AdobeOrg");
    config.ecid("ecid-cpp").app_version("hpp-test-1");
    config.raw().preroll_window_ms = 0;
    config.raw().content_start_delay_ms = 600000;
    config.raw().ping_interval_ms = 600000;
    return config;
}

int main() {
    using namespace std::chrono_literals;
    const char *endpoint = std::getenv("MC_ENDPOINT");
    if (!endpoint) {
        std::fprintf(stderr, "set MC_ENDPOINT\n");
        return 2;
    }
    CHECK(mc::version() == MC_VERSION_STRING);
    CHECK(mc::version_compatible());
    CHECK(mc::Status().ok());
    CHECK(std::string(mc::Status(MC_ERR_TIMEOUT).name()) == "MC_ERR_TIMEOUT");
    CHECK(mc::Status(MC_ERR_TIMEOUT) == MC_ERR_TIMEOUT);
    if (const char *hang = std::getenv("MC_HANG_ENDPOINT")) return check_destructor_bound(hang);

    // Media Edge: the datastream and the FPID reach the C struct, the Analytics fields stay NULL
    // and no endpoint means Adobe's edge domain.
    {
        mc::ClientConfig edge = mc::ClientConfig::media_edge("ds-hpp").fpid("fpid-hpp");
        const mc_client_config &c = edge.c_config();
        CHECK(c.backend == MC_BACKEND_MEDIA_EDGE);
        CHECK(std::string(c.edge_config_id) == "ds-hpp");
        CHECK(std::string(c.fpid) == "fpid-hpp");
        CHECK(c.endpoint == nullptr);
        CHECK(c.tracking_server == nullptr && c.report_suite == nullptr && c.org_id == nullptr);
        mc::ClientConfig local = mc::ClientConfig::media_edge("ds-hpp", endpoint);
        CHECK(std::string(local.c_config().endpoint) == endpoint);
    }

    // std::error_code: the category, the names, the nearest std::errc conditions.
    std::error_code ec = mc::Status(MC_ERR_TIMEOUT).error_code();
    CHECK(ec.category() == mc::category() && ec.value() == MC_ERR_TIMEOUT);
    CHECK(std::string(ec.category().name()) == "media-collection" && ec.message() == "MC_ERR_TIMEOUT");
    CHECK(ec == std::errc::timed_out);
    CHECK(mc::make_error_code(MC_ERR_NULL_ARGUMENT) == std::errc::invalid_argument);
    CHECK(mc::make_error_code(MC_ERR_QUEUE_FULL) == std::errc::resource_unavailable_try_again);
    CHECK(!mc::Status().error_code());

    // A refused configuration: an exception from the constructor whose what() is
    // mc_last_error(), a status and the same message from create().
    bool threw = false;
    try {
        mc::Client bad(mc::ClientConfig("ftp://nope", "t", "r", "o"));
    } catch (const mc::Error &e) {
        threw = e.status() == MC_ERR_INVALID_URL && e.code() == mc::make_error_code(MC_ERR_INVALID_URL) &&
                std::string(e.what()) ==
                    "mc_client_new: MC_ERR_INVALID_URL: config.endpoint (\"ftp://nope\"): the scheme must be http "
                    "or https, not ftp";
    }
    CHECK(threw);
    threw = false;
    try {
        mc::Client bad(mc::ClientConfig("http://h", "t", "r", "o").retry_base(500ms).retry_cap(100ms));
    } catch (const std::system_error &e) {
        threw = std::string(e.what()) ==
                "mc_client_new: MC_ERR_OUT_OF_RANGE: config.retry_cap_ms (100) is below config.retry_base_ms (500)";
    }
    CHECK(threw);
    auto refused = mc::Client::create(mc::ClientConfig("http://h", "", "r", "o"));
    CHECK(!refused.ok());
    CHECK_EQ_INT(refused.status().code(), MC_ERR_INVALID_ARGUMENT);
    CHECK(refused.message() == "mc_client_new: MC_ERR_INVALID_ARGUMENT: config.tracking_server: empty");
    CHECK(mc::Status(mc_client_free(0, 0)).ok()); // a call in between clears mc_last_error()...
    threw = false;
    try {
        (void)refused.value(); // ...but the Result kept the refusal's text
    } catch (const mc::Error &e) {
        threw = e.status() == MC_ERR_INVALID_ARGUMENT &&
                std::string(e.what()) == "mc_client_new: MC_ERR_INVALID_ARGUMENT: config.tracking_server: empty";
    }
    CHECK(threw);
    // A status without a message from the C API (a stale mc_last_error() is not borrowed).
    threw = false;
    try {
        mc::Status(MC_ERR_QUEUE_FULL).throw_if_error("play");
    } catch (const mc::Error &e) {
        threw = std::string(e.what()) == "play: MC_ERR_QUEUE_FULL";
    }
    CHECK(threw);
    // Every duration setter reaches its field; a negative duration is refused by name.
    {
        mc::ClientConfig d("http://h", "t", "r", "o");
        d.ping_interval(2s).granular_ad_ping_interval(3s).offline_ping_interval(4s).content_start_delay(5s);
        d.preroll_window(0ms).idle_timeout(std::chrono::minutes(1)).session_cap(std::chrono::hours(2));
        d.min_ts_gap(0ms).connect_timeout(6s).request_timeout(7s).retry_base(8ms).retry_cap(9s);
        d.session_start_budget(10s).event_retry_budget(11s).retry_after_cap(12s).store_sync_interval(13ms);
        d.store_max_age(std::chrono::hours(24 * 400)).upload_backoff_base(14s).upload_backoff_cap(15s);
        d.upload_give_up(std::chrono::hours(24 * 300)).upload_min_gap(16ms);
        const mc_client_config &c = d.raw();
        CHECK(c.ping_interval_ms == 2000 && c.granular_ad_ping_interval_ms == 3000);
        CHECK(c.offline_ping_interval_ms == 4000 && c.content_start_delay_ms == 5000);
        CHECK(c.preroll_window_ms == 0 && c.idle_timeout_ms == 60000 && c.session_cap_ms == 7200000);
        CHECK(c.min_ts_gap_ms == 0 && c.connect_timeout_ms == 6000 && c.request_timeout_ms == 7000);
        CHECK(c.retry_base_ms == 8 && c.retry_cap_ms == 9000 && c.session_start_budget_ms == 10000);
        CHECK(c.event_retry_budget_ms == 11000 && c.retry_after_cap_ms == 12000 && c.store_sync_interval_ms == 13);
        CHECK(c.store_max_age_ms == 400ull * 86400000 && c.upload_backoff_base_ms == 14000);
        CHECK(c.upload_backoff_cap_ms == 15000 && c.upload_give_up_ms == 300ull * 86400000);
        CHECK(c.upload_min_gap_ms == 16);
        auto negative = mc::Client::create(mc::ClientConfig("http://h", "t", "r", "o").preroll_window(-1ms));
        CHECK(negative.status() == MC_ERR_OUT_OF_RANGE);
        CHECK(negative.message().find("config.preroll_window_ms (4294967295) is outside 0..=60000 ms") !=
              std::string_view::npos);
    }

    // Handlers run on the worker thread; the session-started notice proves they are wired.
    std::atomic<int> started{0};
    std::atomic<int> log_lines{0};
    mc::ClientConfig config = test_config(endpoint);
    config.on_event([&started](const mc_event &ev) {
        if (ev.kind == MC_EVENT_SESSION_STARTED) started++;
    });
    config.on_log([&log_lines](uint32_t, std::string_view) { log_lines++; }, MC_LOG_DEBUG);
    config.customer_id("userId", "u-1", 1);
    auto created = mc::Client::create(config);
    CHECK(created.ok());
    if (!created.ok()) return CHECK_DONE();
    mc::Client client = std::move(created).value();
    mc::Client moved = std::move(client);
    CHECK(client.handle() == 0 && moved.handle() != 0);
    CHECK(client.flush(10ms) == MC_ERR_INVALID_HANDLE);
    CHECK(client.close(10ms).ok());

    mc::Metadata show{{"a.media.show", "S"}, {"k", "v"}};
    mc::Metadata copy = show;
    copy.add("k2", std::string(200, 'x'));
    CHECK_EQ_INT(show.size(), 2);
    CHECK_EQ_INT(copy.size(), 3);
    CHECK(std::string(copy.data()[1].value) == "v" && copy.data()[1].value != show.data()[1].value);
    {
        mc::Tracker t(moved, "cpp-channel", "cpp-test");
        CHECK(t.session_start(mc::Media("hpp-1", "Hpp", 60.0, "vod"), copy).ok());
        CHECK(t.update_qoe(mc::Qoe{1'500'000, 0, 25, 700}).ok());
        CHECK(t.play().ok());
        CHECK(t.update_playhead(2.0).ok());
        CHECK(t.update_playhead(-1.0) == MC_ERR_INVALID_ARGUMENT);
        CHECK(t.state_start("bad name") == MC_ERR_INVALID_ARGUMENT);
        mc::Status nul = t.state_start(std::string_view("mute\0x", 6));
        CHECK(nul == MC_ERR_INVALID_ARGUMENT && std::string(nul.detail()) == "a string argument contains a NUL byte");
        threw = false;
        try {
            nul.throw_if_error("state_start");
        } catch (const mc::Error &e) {
            threw = std::string(e.what()) == "state_start: MC_ERR_INVALID_ARGUMENT: a string argument contains a NUL byte";
        }
        CHECK(threw);
        mc::Status bad_name = t.state_start("bad name");
        threw = false;
        try {
            bad_name.throw_if_error("state_start");
        } catch (const mc::Error &e) {
            threw = std::string(e.what()) ==
                    "mc_track_state_start: MC_ERR_INVALID_ARGUMENT: name (\"bad name\"): must match [a-zA-Z0-9_.]{1,64}";
        }
        CHECK(threw);
        CHECK(t.error(std::string(5000, 'e')) == MC_ERR_TOO_LONG);
        CHECK(t.state_start("fullscreen").ok());
        CHECK(t.state_end("fullscreen").ok());
        CHECK(t.ad_break_start("mid", 1, 2.0).ok());
        CHECK(t.ad_start("ad", "Ad", 1, 10.0, {{"a.media.ad.advertiser", "X"}}).ok());
        CHECK(t.ad_complete().ok());
        CHECK(t.ad_break_complete().ok());
        CHECK(t.chapter_start("c1", 1, 2.0, 30.0).ok());
        CHECK(t.error("E42", mc::ErrorSource::external).ok());
        CHECK(t.chapter_complete().ok());
        CHECK(t.complete().ok());
        mc::Tracker t2 = std::move(t);
        CHECK(t.handle() == 0 && t2.handle() != 0);
        CHECK(t.play() == MC_ERR_INVALID_HANDLE);
        auto t3 = mc::Tracker::create(moved);
        CHECK(t3.ok() && t3->handle() != 0);
    }
    CHECK(moved.set_network_available(true).ok());
    CHECK(moved.set_privacy(mc::Privacy::opted_in).ok());
    CHECK(client.set_privacy(mc::Privacy::opted_out) == MC_ERR_INVALID_HANDLE);
    mc_tracker_config downloaded;
    mc_tracker_config_init(&downloaded);
    downloaded.downloaded = true;
    auto no_store = mc::Tracker::create(moved, &downloaded);
    CHECK(no_store.status() == MC_ERR_NO_STORE);
    CHECK(no_store.message() == "mc_tracker_new: MC_ERR_NO_STORE: config.downloaded is true but the client has no "
                                "store (set store_dir in its configuration)");
    threw = false;
    try {
        mc::Tracker t(moved, &downloaded);
    } catch (const mc::Error &e) {
        threw = std::string(e.what()) == no_store.message();
    }
    CHECK(threw);
    CHECK(moved.flush(10s).ok());
    mc_stats st = moved.stats();
    CHECK_EQ_INT(st.sessions_started, 1);
    CHECK_EQ_INT(st.ignored_call, 0);
    CHECK_EQ_INT(started.load(), 1);
    CHECK(log_lines.load() > 0);

    // Host-driven: the thin wrappers reach mc_client_drive() and mc_client_host_poll().
    CHECK(moved.drive() == MC_ERR_UNSUPPORTED);
    {
        auto host = mc::Client::create(test_config(endpoint).host_driven());
        CHECK(host.ok());
        if (host.ok()) {
            int32_t fds[8];
            uint32_t events[8];
            mc_host_wait wait;
            CHECK(host->host_poll(fds, events, 8, wait).ok());
            CHECK(wait.n_fds == 1 && events[0] == MC_WATCH_READ && wait.timeout_ms == 0);
            CHECK(host->drive(fds[0], MC_WATCH_READ).ok());
            CHECK(host->drive().ok());
            CHECK(host->flush(2s).ok());
            CHECK(host->close(2s).ok());
        }
    }

    // A tracker may outlive its client: its calls then fail cleanly.
    mc::Tracker orphan(moved);
    CHECK(moved.close(2s).ok());
    CHECK(moved.handle() == 0);
    CHECK(orphan.play() == MC_ERR_INVALID_HANDLE);
    CHECK(mc::Tracker::create(moved).status() == MC_ERR_INVALID_HANDLE);
    return CHECK_DONE();
}
