/*
 * media-collection: a header-only C++17 layer over media_collection.h.
 *
 * - mc::Client and mc::Tracker own their handles (move-only; the destructor frees them).
 * - Construction reports failures by exception (mc::Error) or, with the noexcept create()
 *   functions, as an expected-style mc::Result<T>.
 * - Tracker calls return mc::Status (never throw): they run on the player's hot path.
 * - Strings are std::string_view; metadata comes from initializer lists.
 *
 *   mc::Client client(mc::ClientConfig("https://ns.hb-api.omtrdc.net", "ns.sc.omtrdc.net", "rsid", "ORG@AdobeOrg"));
 *   mc::Tracker player(client);
 *   player.session_start(mc::Media("id-42", "A Movie", 5400.0, "vod"), {{"a.media.show", "Show"}});
 *   player.play();
 */
#ifndef MEDIA_COLLECTION_HPP
#define MEDIA_COLLECTION_HPP

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "media_collection.h"

namespace mc {

/** A status code with its name. */
class Status {
  public:
    constexpr Status(mc_status code = MC_OK) noexcept : code_(code) {}
    constexpr bool ok() const noexcept { return code_ == MC_OK; }
    constexpr explicit operator bool() const noexcept { return ok(); }
    constexpr mc_status code() const noexcept { return code_; }
    const char *name() const noexcept { return mc_status_str(code_); }
    friend constexpr bool operator==(Status a, Status b) noexcept { return a.code_ == b.code_; }
    friend constexpr bool operator!=(Status a, Status b) noexcept { return a.code_ != b.code_; }

  private:
    mc_status code_;
};

/** Thrown by the throwing constructors. */
class Error : public std::runtime_error {
  public:
    explicit Error(Status s, const char *what)
        : std::runtime_error(std::string(what) + ": " + s.name()), status_(s) {}
    Status status() const noexcept { return status_; }

  private:
    Status status_;
};

/** Either a value or the status that prevented it (an expected-style result). */
template <class T> class Result {
  public:
    Result(T value) : value_(std::move(value)), status_(MC_OK) {}
    Result(Status s) : status_(s) {}
    bool ok() const noexcept { return status_.ok(); }
    explicit operator bool() const noexcept { return ok(); }
    Status status() const noexcept { return status_; }
    /** The value; throws mc::Error when there is none. */
    T &value() & {
        if (!ok()) throw Error(status_, "mc::Result::value");
        return value_;
    }
    T &&value() && {
        if (!ok()) throw Error(status_, "mc::Result::value");
        return std::move(value_);
    }

  private:
    T value_{};
    Status status_;
};

/** Metadata entries; keys must match [a-zA-Z0-9_.]+ (a.media.* keys are standard). */
class Metadata {
  public:
    Metadata() = default;
    Metadata(std::initializer_list<std::pair<std::string_view, std::string_view>> entries) {
        for (const auto &e : entries) add(e.first, e.second);
    }
    Metadata &add(std::string_view key, std::string_view value) {
        keys_.emplace_back(key);
        values_.emplace_back(value);
        return *this;
    }
    /** The C view; valid while this object is alive and unchanged. */
    std::vector<mc_metadata> view() const {
        std::vector<mc_metadata> v;
        v.reserve(keys_.size());
        for (size_t i = 0; i < keys_.size(); i++) v.push_back(mc_metadata{keys_[i].c_str(), values_[i].c_str()});
        return v;
    }

  private:
    std::vector<std::string> keys_, values_;
};

/** The client configuration: the C struct plus owned strings. Set the raw knobs through raw(). */
class ClientConfig {
  public:
    ClientConfig(std::string_view endpoint, std::string_view tracking_server, std::string_view report_suite,
                 std::string_view org_id)
        : endpoint_(endpoint), tracking_server_(tracking_server), report_suite_(report_suite), org_id_(org_id) {
        mc_client_config_init(&raw_);
    }
    ClientConfig &ecid(std::string_view v) { ecid_ = v; return *this; }
    ClientConfig &channel(std::string_view v) { channel_ = v; return *this; }
    ClientConfig &player_name(std::string_view v) { player_name_ = v; return *this; }
    ClientConfig &app_version(std::string_view v) { app_version_ = v; return *this; }
    ClientConfig &ping_interval(std::chrono::milliseconds d) {
        raw_.ping_interval_ms = static_cast<uint32_t>(d.count());
        return *this;
    }
    /** Every other field of mc_client_config (intervals, retries, callbacks, ...). */
    mc_client_config &raw() noexcept { return raw_; }
    /** The C struct with the owned strings filled in; valid while this object lives. */
    const mc_client_config &c_config() {
        raw_.endpoint = endpoint_.c_str();
        raw_.tracking_server = tracking_server_.c_str();
        raw_.report_suite = report_suite_.c_str();
        raw_.org_id = org_id_.c_str();
        raw_.ecid = opt(ecid_);
        raw_.channel = opt(channel_);
        raw_.player_name = opt(player_name_);
        raw_.app_version = opt(app_version_);
        return raw_;
    }

  private:
    static const char *opt(const std::string &s) { return s.empty() ? nullptr : s.c_str(); }
    std::string endpoint_, tracking_server_, report_suite_, org_id_, ecid_, channel_, player_name_, app_version_;
    mc_client_config raw_{};
};

/** What is played. */
class Media {
  public:
    Media(std::string_view id, std::string_view name, double length_seconds, std::string_view content_type)
        : id_(id), name_(name), content_type_(content_type) {
        mc_media_info_init(&raw_);
        raw_.length = length_seconds;
    }
    Media &audio() { raw_.media_type = MC_MEDIA_TYPE_AUDIO; return *this; }
    Media &granular_ad_tracking(bool on = true) { raw_.granular_ad_tracking = on; return *this; }
    Media &resumed(bool on = true) { raw_.resumed = on; return *this; }
    Media &initial_playhead(double s) { raw_.initial_playhead = s; return *this; }
    const mc_media_info &c_info() {
        raw_.id = id_.c_str();
        raw_.name = name_.c_str();
        raw_.content_type = content_type_.c_str();
        return raw_;
    }

  private:
    std::string id_, name_, content_type_;
    mc_media_info raw_{};
};

/** A client: the worker thread and the transport. Move-only. */
class Client {
  public:
    /** Throws mc::Error when the configuration is refused or the worker cannot start. */
    explicit Client(ClientConfig config) {
        Status s = mc_client_new(&config.c_config(), &handle_);
        if (!s) throw Error(s, "mc_client_new");
    }
    /** The noexcept form. */
    static Result<Client> create(ClientConfig config) noexcept {
        Client c;
        Status s = mc_client_new(&config.c_config(), &c.handle_);
        if (!s) return s;
        return Result<Client>(std::move(c));
    }
    Client(Client &&o) noexcept : handle_(std::exchange(o.handle_, 0)) {}
    Client &operator=(Client &&o) noexcept {
        if (this != &o) {
            reset();
            handle_ = std::exchange(o.handle_, 0);
        }
        return *this;
    }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    ~Client() { reset(); }

    /** Waits until everything accepted so far was delivered or given up. */
    Status flush(std::chrono::milliseconds timeout) noexcept {
        return mc_client_flush(handle_, static_cast<uint32_t>(timeout.count()));
    }
    /** Frees the client now, bounding the shutdown by `timeout`. */
    Status close(std::chrono::milliseconds timeout) noexcept {
        Status s = mc_client_free(handle_, static_cast<uint32_t>(timeout.count()));
        handle_ = 0;
        return s;
    }
    mc_stats stats() const noexcept {
        mc_stats st;
        mc_stats_init(&st);
        mc_client_stats(handle_, &st);
        return st;
    }
    mc_client_t handle() const noexcept { return handle_; }

  private:
    Client() = default;
    friend class Result<Client>;
    void reset() noexcept {
        if (handle_) mc_client_free(std::exchange(handle_, 0), 2000);
    }
    mc_client_t handle_ = 0;
};

/** One player instance's tracker. Move-only. Calls never block and never throw. */
class Tracker {
  public:
    explicit Tracker(Client &client) {
        Status s = mc_tracker_new(client.handle(), nullptr, &handle_);
        if (!s) throw Error(s, "mc_tracker_new");
    }
    Tracker(Client &client, std::string_view channel, std::string_view player_name) {
        std::string ch(channel), pn(player_name);
        mc_tracker_config cfg;
        mc_tracker_config_init(&cfg);
        cfg.channel = ch.c_str();
        cfg.player_name = pn.c_str();
        Status s = mc_tracker_new(client.handle(), &cfg, &handle_);
        if (!s) throw Error(s, "mc_tracker_new");
    }
    Tracker(Tracker &&o) noexcept : handle_(std::exchange(o.handle_, 0)) {}
    Tracker &operator=(Tracker &&o) noexcept {
        if (this != &o) {
            if (handle_) mc_tracker_free(handle_);
            handle_ = std::exchange(o.handle_, 0);
        }
        return *this;
    }
    Tracker(const Tracker &) = delete;
    Tracker &operator=(const Tracker &) = delete;
    ~Tracker() {
        if (handle_) mc_tracker_free(handle_);
    }

    Status session_start(Media media, const Metadata &md = {}) noexcept {
        auto v = md.view();
        return mc_track_session_start(handle_, &media.c_info(), v.data(), v.size());
    }
    Status play() noexcept { return mc_track_play(handle_); }
    Status pause() noexcept { return mc_track_pause(handle_); }
    Status complete() noexcept { return mc_track_complete(handle_); }
    Status session_end() noexcept { return mc_track_session_end(handle_); }
    Status buffer_start() noexcept { return mc_track_buffer_start(handle_); }
    Status buffer_complete() noexcept { return mc_track_buffer_complete(handle_); }
    Status seek_start() noexcept { return mc_track_seek_start(handle_); }
    Status seek_complete() noexcept { return mc_track_seek_complete(handle_); }
    Status error(std::string_view id, bool external = false) noexcept {
        std::string s(id);
        return mc_track_error(handle_, s.c_str(), external ? MC_ERROR_SOURCE_EXTERNAL : MC_ERROR_SOURCE_PLAYER);
    }
    Status ad_break_start(std::string_view name, uint32_t position, double start_time) noexcept {
        std::string n(name);
        mc_ad_break_info b;
        mc_ad_break_info_init(&b);
        b.name = n.c_str();
        b.position = position;
        b.start_time = start_time;
        return mc_track_ad_break_start(handle_, &b);
    }
    Status ad_break_complete() noexcept { return mc_track_ad_break_complete(handle_); }
    Status ad_start(std::string_view id, std::string_view name, uint32_t position, double length,
                    const Metadata &md = {}) noexcept {
        std::string i(id), n(name);
        mc_ad_info a;
        mc_ad_info_init(&a);
        a.id = i.c_str();
        a.name = n.c_str();
        a.position = position;
        a.length = length;
        auto v = md.view();
        return mc_track_ad_start(handle_, &a, v.data(), v.size());
    }
    Status ad_complete() noexcept { return mc_track_ad_complete(handle_); }
    Status ad_skip() noexcept { return mc_track_ad_skip(handle_); }
    Status chapter_start(std::string_view name, uint32_t position, double start_time, double length,
                         const Metadata &md = {}) noexcept {
        std::string n(name);
        mc_chapter_info c;
        mc_chapter_info_init(&c);
        c.name = n.c_str();
        c.position = position;
        c.start_time = start_time;
        c.length = length;
        auto v = md.view();
        return mc_track_chapter_start(handle_, &c, v.data(), v.size());
    }
    Status chapter_complete() noexcept { return mc_track_chapter_complete(handle_); }
    Status chapter_skip() noexcept { return mc_track_chapter_skip(handle_); }
    Status bitrate_change() noexcept { return mc_track_bitrate_change(handle_); }
    Status state_start(std::string_view name) noexcept {
        std::string n(name);
        return mc_track_state_start(handle_, n.c_str());
    }
    Status state_end(std::string_view name) noexcept {
        std::string n(name);
        return mc_track_state_end(handle_, n.c_str());
    }
    Status playhead(double seconds) noexcept { return mc_update_playhead(handle_, seconds); }
    Status qoe(double bitrate, double dropped_frames, double fps, double startup_ms) noexcept {
        mc_qoe q;
        mc_qoe_init(&q);
        q.bitrate = bitrate;
        q.dropped_frames = dropped_frames;
        q.fps = fps;
        q.startup_time = startup_ms;
        return mc_update_qoe(handle_, &q);
    }
    mc_tracker_t handle() const noexcept { return handle_; }

  private:
    mc_tracker_t handle_ = 0;
};

} // namespace mc

#endif
