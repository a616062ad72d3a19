// The C++ example: a short VOD session (pre-roll ad, content, a pause, the end) through the
// RAII layer in media_collection.hpp. Built by examples/cmake/ and by the tests.
//
// Configuration from the environment, as examples/c/player.c:
//   MC_ENDPOINT          base URL of the MC API (required), e.g. http://127.0.0.1:8080
//   MC_TRACKING_SERVER   analytics.trackingServer (default: example.sc.omtrdc.net)
//   MC_RSID              analytics.reportSuite    (default: demo-rsid)
//   MC_ORG_ID            visitor.marketingCloudOrgId (default: 0123456789ABCDEF@AdobeOrg)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "media_collection.hpp"

static const char *env_or(const char *name, const char *fallback) {
    const char *v = std::getenv(name);
    return (v && *v) ? v : fallback;
}

int main() {
    using namespace std::chrono_literals;
    const char *endpoint = std::getenv("MC_ENDPOINT");
    if (!endpoint || !*endpoint) {
        std::fprintf(stderr, "cpp player: set MC_ENDPOINT to the MC API base URL\n");
        return 2;
    }
    std::printf("cpp player: media-collection %s (header %s)\n", mc::version().data(), MC_VERSION_STRING);
    if (!mc::version_compatible()) {
        std::fprintf(stderr, "cpp player: the library does not match this header\n");
        return 1;
    }
    try {
        mc::ClientConfig config(endpoint, env_or("MC_TRACKING_SERVER", "example.sc.omtrdc.net"),
                                env_or("MC_RSID", "demo-rsid"), env_or("MC_ORG_ID", "0123456789ABCDEF@AdobeOrg"));
        config.ecid(env_or("MC_ECID", "12345678901234567890123456789012345678"))
            .app_version("cpp-player-1.0")
            .channel("cpp-channel")
            .player_name("cpp-player")
            .ping_interval(1s)
            .on_event([](const mc_event &ev) {
                // The worker thread: keep it short.
                if (ev.kind == MC_EVENT_SESSION_STARTED) std::printf("cpp player: session %s\n", ev.session_id);
                if (ev.kind == MC_EVENT_CALL_IGNORED) std::printf("cpp player: %s ignored (%s)\n", ev.call, ev.reason);
            });
        mc::Client client(config);

        int failed = 0;
        auto call = [&failed](mc::Status s, const char *what) {
            if (!s) {
                std::fprintf(stderr, "cpp player: %s -> %s\n", what, s.name());
                failed++;
            }
        };
        {
            mc::Tracker player(client);
            call(player.session_start(mc::Media("cpp-movie-1", "C++ Movie", 120.0, "vod"),
                                      {{"a.media.show", "C++ Show"}, {"myKey", "my value"}}),
                 "session_start");
            call(player.update_qoe(mc::Qoe{2'000'000, 0, 30, 850}), "update_qoe");
            call(player.ad_break_start("preroll", 1, 0.0), "ad_break_start");
            call(player.ad_start("ad-1", "Ad 1", 1, 2.0, {{"a.media.ad.advertiser", "Demo Advertiser"}}), "ad_start");
            std::this_thread::sleep_for(500ms);
            call(player.ad_complete(), "ad_complete");
            call(player.ad_break_complete(), "ad_break_complete");
            call(player.play(), "play"); // the content's first frame
            for (int i = 1; i <= 8; i++) {
                std::this_thread::sleep_for(250ms);
                call(player.update_playhead(i), "update_playhead");
            }
            call(player.pause(), "pause");
            std::this_thread::sleep_for(300ms);
            call(player.play(), "play");
            call(player.complete(), "complete");
        } // ~Tracker frees the tracker
        mc::Status s = client.flush(10s);
        call(s, "flush");
        std::printf("cpp player: flush -> %s, %llu events delivered\n", s.name(),
                    static_cast<unsigned long long>(client.stats().events_delivered));
        if (failed) {
            std::fprintf(stderr, "cpp player: %d call(s) failed\n", failed);
            return 1;
        }
        std::printf("cpp player: done\n");
        return 0;
    } catch (const mc::Error &e) {
        std::fprintf(stderr, "cpp player: %s\n", e.what());
        return 1;
    }
}
