// The C++ RAII layer (media_collection.hpp): compiled with -std=c++17 -Wall -Wextra -Werror and
// run against the collector by tests/cpp.rs. One session reaches the collector (id "hpp-1");
// the test asserts on what it received.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
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

    // A refused configuration: an exception from the constructor, a status from create().
    bool threw = false;
    try {
        mc::Client bad(mc::ClientConfig("ftp://nope", "t", "r", "o"));
    } catch (const mc::Error &e) {
        threw = e.status() == MC_ERR_INVALID_URL && std::string(e.what()) == "mc_client_new: MC_ERR_INVALID_URL";
    }
    CHECK(threw);
    auto refused = mc::Client::create(mc::ClientConfig("http://h", "", "r", "o"));
    CHECK(!refused.ok());
    CHECK_EQ_INT(refused.status().code(), MC_ERR_INVALID_ARGUMENT);
    threw = false;
    try {
        (void)refused.value();
    } catch (const mc::Error &e) {
        threw = e.status() == MC_ERR_INVALID_ARGUMENT;
    }
    CHECK(threw);
    threw = false;
    try {
        mc::Status(MC_ERR_QUEUE_FULL).throw_if_error("play");
    } catch (const mc::Error &e) {
        threw = std::string(e.what()) == "play: MC_ERR_QUEUE_FULL";
    }
    CHECK(threw);

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
        CHECK(t.state_start(std::string_view("mute\0x", 6)) == MC_ERR_INVALID_ARGUMENT);
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
    CHECK(mc::Tracker::create(moved, &downloaded).status() == MC_ERR_NO_STORE);
    CHECK(moved.flush(10s).ok());
    mc_stats st = moved.stats();
    CHECK_EQ_INT(st.sessions_started, 1);
    CHECK_EQ_INT(st.ignored_call, 0);
    CHECK_EQ_INT(started.load(), 1);
    CHECK(log_lines.load() > 0);

    // A tracker may outlive its client: its calls then fail cleanly.
    mc::Tracker orphan(moved);
    CHECK(moved.close(2s).ok());
    CHECK(moved.handle() == 0);
    CHECK(orphan.play() == MC_ERR_INVALID_HANDLE);
    CHECK(mc::Tracker::create(moved).status() == MC_ERR_INVALID_HANDLE);
    return CHECK_DONE();
}
