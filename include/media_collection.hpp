/*
 * media-collection: a header-only C++17 layer over media_collection.h.
 *
 * Hand-written (not generated). It adds ownership and C++ types, nothing else: every call is
 * one call of the C API, with the same status codes, thread safety and never-blocking rules.
 */
/**
 * @file media_collection.hpp
 * @brief Header-only C++17 RAII layer over the C API (media_collection.h).
 *
 * - mc::Client and mc::Tracker own their handles: move-only, the destructor frees them.
 * - Creating a client or a tracker reports failure by exception (mc::Error, a
 *   `std::system_error` whose what() is mc_last_error(): the field, the value, the limit) or
 *   as an expected-style mc::Result (the `noexcept` `create()` functions).
 * - Tracker calls return mc::Status and never throw: they run on the player's hot path.
 *   Status and Result are `[[nodiscard]]`: a status is checked or explicitly dropped with
 *   `(void)`. Status::throw_if_error() turns a status into an exception where that is wanted;
 *   Status::error_code() gives a `std::error_code` of mc::category().
 * - Every duration is a `std::chrono` duration: ClientConfig has a setter for each interval,
 *   timeout, backoff and budget of mc_client_config.
 * - Strings are `std::string_view`; metadata comes from initializer lists.
 * - Link it like the C API (it needs no extra library): `pkg-config --cflags --libs
 *   media_collection`, or CMake's `PkgConfig::media_collection` target.
 *
 * @code
 * mc::Client client(mc::ClientConfig("https://ns.hb-api.omtrdc.net", "ns.sc.omtrdc.net",
 *                                    "my-rsid", "0123456789ABCDEF@AdobeOrg").ecid(ecid));
 * mc::Tracker player(client);
 * if (mc::Status s = player.session_start(mc::Media("id-42", "A Movie", 5400.0, "vod")); !s)
 *     log_error(mc_last_error());      // e.g. "mc_track_session_start: MC_ERR_INVALID_ARGUMENT: media.name: empty"
 * (void)player.play();                 // or check it: every call returns a [[nodiscard]] mc::Status
 * (void)player.update_playhead(12.0);
 * (void)player.complete();
 * @endcode
 */
#ifndef MEDIA_COLLECTION_HPP
#define MEDIA_COLLECTION_HPP

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "media_collection.h"

/** The C++ layer. Every type here wraps the C type of the same name in media_collection.h. */
namespace mc {

/**
 * A status code of the C API (`mc_status`), with its name. Cheap to copy; comparable with
 * another Status or with an `MC_*` code (`s == MC_ERR_QUEUE_FULL`). `[[nodiscard]]`: every
 * function returning one warns when its result is ignored; write `(void)` to drop it on
 * purpose.
 */
class [[nodiscard]] Status {
  public:
    /**
     * Wraps `code`. Implicit, so every C call's result converts.
     * @param code The C status (default MC_OK).
     */
    constexpr Status(mc_status code = MC_OK) noexcept : code_(code) {}
    /**
     * A failure this C++ layer found before calling the C API (mc_last_error() does not
     * describe it).
     * @param code The status.
     * @param detail What is wrong, a static string.
     */
    constexpr Status(mc_status code, const char *detail) noexcept : code_(code), detail_(detail) {}
    /** @return True for MC_OK. */
    constexpr bool ok() const noexcept { return code_ == MC_OK; }
    /** @return True for MC_OK. */
    constexpr explicit operator bool() const noexcept { return ok(); }
    /** @return The C code. */
    constexpr mc_status code() const noexcept { return code_; }
    /** @return The code's name, e.g. "MC_ERR_TIMEOUT" (a static string, from mc_status_str()). */
    const char *name() const noexcept { return mc_status_str(code_); }
    /**
     * @return What this C++ layer found wrong before any C call (a static string), or nullptr
     * when the status came from the C API: then mc_last_error() describes it.
     */
    constexpr const char *detail() const noexcept { return detail_; }
    /** @return The status as a `std::error_code` of mc::category() (value 0 for MC_OK). */
    inline std::error_code error_code() const noexcept;
    /**
     * Throws mc::Error unless this is MC_OK. Call it right after the call that returned this
     * status, on the same thread: the exception's what() is that call's mc_last_error().
     * @param context What failed, for the message when the C API gave none (a function name).
     */
    inline void throw_if_error(const char *context) const;
    /** @param a A status. @param b Another. @return True for equal codes. */
    friend constexpr bool operator==(Status a, Status b) noexcept { return a.code_ == b.code_; }
    /** @param a A status. @param b Another. @return True for different codes. */
    friend constexpr bool operator!=(Status a, Status b) noexcept { return a.code_ != b.code_; }

  private:
    mc_status code_;
    const char *detail_ = nullptr;
};

/** Implementation details; not part of the API. */
namespace detail {

class Category final : public std::error_category {
  public:
    const char *name() const noexcept override { return "media-collection"; }
    std::string message(int code) const override { return mc_status_str(static_cast<uint32_t>(code)); }
    std::error_condition default_error_condition(int code) const noexcept override {
        switch (code) {
        case MC_ERR_NULL_ARGUMENT:
        case MC_ERR_INVALID_ARGUMENT:
        case MC_ERR_INVALID_UTF8:
        case MC_ERR_STRUCT_SIZE:
        case MC_ERR_INVALID_URL:
        case MC_ERR_INVALID_HANDLE:
            return std::errc::invalid_argument;
        case MC_ERR_TOO_LONG:
            return std::errc::value_too_large;
        case MC_ERR_OUT_OF_RANGE:
            return std::errc::argument_out_of_domain;
        case MC_ERR_QUEUE_FULL:
            return std::errc::resource_unavailable_try_again;
        case MC_ERR_TIMEOUT:
            return std::errc::timed_out;
        case MC_ERR_WOULD_DEADLOCK:
            return std::errc::resource_deadlock_would_occur;
        case MC_ERR_DISK:
            return std::errc::io_error;
        case MC_ERR_STORE_LOCKED:
            return std::errc::device_or_resource_busy;
        case MC_ERR_UNSUPPORTED:
            return std::errc::not_supported;
        case MC_ERR_OPTED_OUT:
            return std::errc::operation_not_permitted;
        default:
            return std::error_condition(code, *this);
        }
    }
};

} // namespace detail

/**
 * The `std::error_category` of the library's status codes: named "media-collection"; an
 * error code's message() is the status name. Codes compare equal to the nearest
 * `std::errc` condition (MC_ERR_TIMEOUT to `std::errc::timed_out`, the argument errors to
 * `std::errc::invalid_argument`, MC_ERR_QUEUE_FULL to
 * `std::errc::resource_unavailable_try_again`, ...).
 * @return The one category object.
 */
inline const std::error_category &category() noexcept {
    static const detail::Category c;
    return c;
}

/**
 * @param status A status.
 * @return `status` as a `std::error_code` of mc::category().
 */
inline std::error_code make_error_code(Status status) noexcept {
    return std::error_code(static_cast<int>(status.code()), category());
}

inline std::error_code Status::error_code() const noexcept { return make_error_code(*this); }

/**
 * The exception of the throwing functions: a `std::system_error` whose code() is the status
 * in mc::category(), and whose what() says what is wrong: mc_last_error() of the failed call,
 * e.g. "mc_client_new: MC_ERR_OUT_OF_RANGE: config.retry_cap_ms (100) is below
 * config.retry_base_ms (500)".
 */
class Error : public std::system_error {
  public:
    /**
     * An error for `status`. Construct it on the thread of the failed call, before any other
     * `mc_*` call: it reads that call's mc_last_error() (a message about another status is not
     * used).
     * @param status The status that caused it.
     * @param context What failed (a function name), for the message when the C API gave none.
     */
    Error(Status status, const char *context)
        : std::system_error(status.error_code(), context), status_(status), what_(describe(status, context)) {}
    /**
     * An error for `status` with a message kept from the failed call (mc::Result does this).
     * @param status The status that caused it.
     * @param context What failed, used when `message` is empty.
     * @param message The failed call's mc_last_error().
     */
    Error(Status status, const char *context, std::string_view message)
        : std::system_error(status.error_code(), context), status_(status),
          what_(message.empty() ? describe(status, context) : std::string(message)) {}
    /** @return The status that caused it. */
    Status status() const noexcept { return status_; }
    /** @return What is wrong, naming the field, the value and the limit where there is one. */
    const char *what() const noexcept override { return what_.what(); }

  private:
    static std::string describe(Status s, const char *context) {
        std::string prefix = std::string(context) + ": " + s.name();
        if (s.detail()) return prefix + ": " + s.detail();
        std::string last = mc_last_error();
        // Only the message of a call that failed with this very status describes it.
        if (last.find(std::string(": ") + s.name() + ": ") != std::string::npos) return last;
        return prefix;
    }
    Status status_;
    // A std::runtime_error holds its text in a reference-counted string: copying the
    // exception never throws.
    std::runtime_error what_;
};

inline void Status::throw_if_error(const char *context) const {
    if (!ok()) throw Error(*this, context);
}

/**
 * Either a value or the status that prevented it: what the `noexcept` `create()` functions
 * return (an expected-style result; C++17 has no `std::expected`).
 * @tparam T the value type (mc::Client or mc::Tracker).
 */
template <class T> class [[nodiscard]] Result {
  public:
    /** @param value The value (status MC_OK). */
    Result(T &&value) noexcept : value_(std::move(value)) {}
    /**
     * A failed result, keeping the failed call's mc_last_error() for value() to throw.
     * @param status Why there is no value; must not be MC_OK.
     */
    Result(Status status) noexcept : status_(status) {
        if (!status.detail()) {
            try {
                message_ = mc_last_error();
            } catch (...) {
            }
        }
    }
    /** @return True when it holds a value. */
    bool ok() const noexcept { return value_.has_value(); }
    /** @return True when it holds a value. */
    explicit operator bool() const noexcept { return ok(); }
    /** @return MC_OK with a value, else why there is none. */
    Status status() const noexcept { return status_; }
    /**
     * @return What was wrong when there is no value (the failed call's mc_last_error(), or
     * this layer's own detail), else "".
     */
    std::string_view message() const noexcept {
        return status_.detail() ? std::string_view(status_.detail()) : std::string_view(message_);
    }
    /** @return The value; throws mc::Error (with message() in what()) when there is none. */
    T &value() & {
        if (!ok()) throw Error(status_, "mc::Result::value", message());
        return *value_;
    }
    /** @return The value, moved out (`std::move(result).value()`); throws mc::Error when there is none. */
    T &&value() && {
        if (!ok()) throw Error(status_, "mc::Result::value", message());
        return std::move(*value_);
    }
    /** @return The value, unchecked: only after ok() returned true. */
    T &operator*() & noexcept { return *value_; }
    /** @return Member access to the value, unchecked: only after ok() returned true. */
    T *operator->() noexcept { return &*value_; }

  private:
    std::optional<T> value_;
    Status status_ = MC_OK;
    std::string message_;
};

/** Implementation details; not part of the API. */
namespace detail {

/**
 * A NUL-terminated copy of a string_view for one C call, on the stack when short. Never
 * throws: a string with an embedded NUL is MC_ERR_INVALID_ARGUMENT (the C side would silently
 * cut it), one that cannot be copied (out of memory) MC_ERR_TOO_LONG.
 */
class CStr {
  public:
    explicit CStr(std::string_view s) noexcept {
        if (s.find('\0') != std::string_view::npos) {
            status_ = Status(MC_ERR_INVALID_ARGUMENT, "a string argument contains a NUL byte");
            return;
        }
        char *dst = small_;
        if (s.size() >= sizeof small_) {
            big_.reset(new (std::nothrow) char[s.size() + 1]);
            if (!big_) {
                status_ = Status(MC_ERR_TOO_LONG, "no memory to copy a string argument");
                return;
            }
            dst = big_.get();
        }
        if (!s.empty()) std::memcpy(dst, s.data(), s.size());
        dst[s.size()] = '\0';
        ptr_ = dst;
    }
    CStr(const CStr &) = delete;
    CStr &operator=(const CStr &) = delete;
    const char *get() const noexcept { return ptr_; }
    Status status() const noexcept { return status_; }

  private:
    char small_[128];
    std::unique_ptr<char[]> big_;
    const char *ptr_ = nullptr;
    Status status_ = MC_OK;
};

/** The first failed status of `a`, `b`, or MC_OK. */
inline Status first_error(Status a, Status b = MC_OK) noexcept { return a.ok() ? b : a; }

/** A timeout for a C call: negative waits 0 ms, beyond 2^32-1 ms is cut to that. */
inline uint32_t to_ms(std::chrono::milliseconds d) noexcept {
    if (d.count() < 0) return 0;
    if (d.count() > 0xFFFFFFFFLL) return 0xFFFFFFFFu;
    return static_cast<uint32_t>(d.count());
}

/**
 * A configuration duration: a negative one becomes the largest value, which every field's
 * range check refuses (MC_ERR_OUT_OF_RANGE naming the field) instead of turning into 0, a
 * valid value for some fields.
 */
template <class Int> inline Int config_ms(std::chrono::milliseconds d) noexcept {
    constexpr Int max = std::numeric_limits<Int>::max();
    if (d.count() < 0 || static_cast<unsigned long long>(d.count()) > max) return max;
    return static_cast<Int>(d.count());
}

} // namespace detail

/** What the `source` of Tracker::error() says. */
enum class ErrorSource : uint32_t {
    player = MC_ERROR_SOURCE_PLAYER,    /**< The player itself. */
    external = MC_ERROR_SOURCE_EXTERNAL /**< Outside the player: CDN, DRM, network. */
};

/** The user's privacy choice for Client::set_privacy(). */
enum class Privacy : uint32_t {
    opted_in = MC_PRIVACY_OPTED_IN,   /**< Everything is sent (the default). */
    opted_out = MC_PRIVACY_OPTED_OUT, /**< Nothing is tracked; stored sessions are deleted. */
    unknown = MC_PRIVACY_UNKNOWN      /**< Not known yet: uploads of downloaded sessions wait. */
};

/**
 * `{key, value}` metadata for Tracker::session_start(), ad_start() and chapter_start(). Keys
 * must match `[a-zA-Z0-9_.]+`: an entry whose key does not is dropped and the call goes on
 * with the others, as in Adobe's SDK (counted in `metadata_dropped`, reported as
 * MC_EVENT_METADATA_DROPPED); standard keys (`a.media.*`, `a.media.ad.*`) become MC params,
 * the rest `customMetadata`. At most 256 entries per call, values up to 64 KiB. Owns copies
 * of the strings, so it may be built once and reused for every session.
 */
class Metadata {
  public:
    /** No entries. Does not allocate. */
    Metadata() = default;
    /**
     * The entries of a braced list: `{{"a.media.show", "Show"}, {"myKey", "value"}}`.
     * @param entries Key-value pairs (copied).
     */
    Metadata(std::initializer_list<std::pair<std::string_view, std::string_view>> entries) {
        for (const auto &e : entries) add(e.first, e.second);
    }
    /** A copy (the C view is rebuilt to point into the copy). @param o The entries to copy. */
    Metadata(const Metadata &o) : strings_(o.strings_) { rebuild(); }
    /** Moves the entries; the C view stays valid (the strings do not move). @param o The source, left empty. */
    Metadata(Metadata &&o) noexcept = default;
    /** Copy assignment. @param o The entries to copy. @return `*this`. */
    Metadata &operator=(const Metadata &o) {
        if (this != &o) {
            strings_ = o.strings_;
            rebuild();
        }
        return *this;
    }
    /** Move assignment. @param o The source, left empty. @return `*this`. */
    Metadata &operator=(Metadata &&o) noexcept = default;
    /**
     * Appends one entry (copied).
     * @param key The key, `[a-zA-Z0-9_.]+`.
     * @param value The value.
     * @return `*this`, for chaining.
     */
    Metadata &add(std::string_view key, std::string_view value) {
        strings_.emplace_back(key);
        strings_.emplace_back(value);
        rebuild();
        return *this;
    }
    /** @return The C entries, valid while this object lives unchanged; NULL when empty. */
    const mc_metadata *data() const noexcept { return view_.empty() ? nullptr : view_.data(); }
    /** @return The number of entries. */
    size_t size() const noexcept { return view_.size(); }

  private:
    // std::string's buffer may move with the string (small-string storage), so the C view is
    // rebuilt after every change of the vector instead of being kept incrementally.
    void rebuild() {
        view_.clear();
        view_.reserve(strings_.size() / 2);
        for (size_t i = 0; i + 1 < strings_.size(); i += 2)
            view_.push_back(mc_metadata{strings_[i].c_str(), strings_[i + 1].c_str()});
    }
    std::vector<std::string> strings_;
    std::vector<mc_metadata> view_;
};

/** Receives the library's log lines: a level (`MC_LOG_*`) and the message (valid during the call). */
using LogHandler = std::function<void(uint32_t level, std::string_view message)>;
/** Receives delivery and rule notices (mc_event; valid during the call). */
using EventHandler = std::function<void(const mc_event &event)>;

/**
 * The client configuration: mc_client_config plus owned copies of its strings and the C++
 * callbacks. The four constructor arguments are required; everything else has the C
 * defaults (see mc_client_config), set through the named setters or through raw().
 */
class ClientConfig {
  public:
    /**
     * The required settings: the MC API base URL (`https://<namespace>.hb-api.omtrdc.net`;
     * http for local testing), `analytics.trackingServer`, `analytics.reportSuite` and
     * `visitor.marketingCloudOrgId`. Nothing is checked before the client is created.
     * @param endpoint The MC API base URL (copied).
     * @param tracking_server `analytics.trackingServer` (copied).
     * @param report_suite `analytics.reportSuite` (copied).
     * @param org_id `visitor.marketingCloudOrgId` (copied).
     */
    ClientConfig(std::string_view endpoint, std::string_view tracking_server, std::string_view report_suite,
                 std::string_view org_id)
        : endpoint_(endpoint), tracking_server_(tracking_server), report_suite_(report_suite), org_id_(org_id) {
        mc_client_config_init(&raw_);
    }
    /**
     * A configuration for Media Edge (the Edge Network's Media Edge API, `MC_BACKEND_MEDIA_EDGE`):
     * the datastream id and, optionally, the edge domain. Tracking server, report suite and
     * org id are not used; identity goes through ecid(), fpid() and customer_id().
     * @param config_id The datastream id, sent as `configId` (copied).
     * @param endpoint The edge domain's base URL (copied); empty for `https://edge.adobedc.net`.
     * @return The configuration.
     */
    static ClientConfig media_edge(std::string_view config_id, std::string_view endpoint = {}) {
        ClientConfig c(endpoint, {}, {}, {});
        c.edge_ = true;
        c.edge_config_id_.emplace(config_id);
        return c;
    }
    /**
     * Media Edge: a first-party device id, sent as `identityMap.FPID`. Optional.
     * @param v The value (copied).
     * @return `*this`, for chaining.
     */
    ClientConfig &fpid(std::string_view v) { return set(fpid_, v); }
    /**
     * `visitor.marketingCloudUserId` (ECID). Optional, strongly recommended.
     * @param v The value (copied).
     * @return `*this`, for chaining.
     */
    ClientConfig &ecid(std::string_view v) { return set(ecid_, v); }
    /**
     * `analytics.visitorId`. Optional.
     * @param v The value (copied).
     * @return `*this`, for chaining.
     */
    ClientConfig &visitor_id(std::string_view v) { return set(visitor_id_, v); }
    /**
     * `analytics.aid`. Optional.
     * @param v The value (copied).
     * @return `*this`, for chaining.
     */
    ClientConfig &aid(std::string_view v) { return set(aid_, v); }
    /**
     * `appInstallationId`. Optional.
     * @param v The value (copied).
     * @return `*this`, for chaining.
     */
    ClientConfig &app_installation_id(std::string_view v) { return set(app_installation_id_, v); }
    /**
     * `media.sdkVersion`: the player app's version. Optional.
     * @param v The value (copied).
     * @return `*this`, for chaining.
     */
    ClientConfig &app_version(std::string_view v) { return set(app_version_, v); }
    /**
     * Default `media.channel` of the trackers (default "unknown").
     * @param v The value (copied).
     * @return `*this`, for chaining.
     */
    ClientConfig &channel(std::string_view v) { return set(channel_, v); }
    /**
     * Default `media.playerName` of the trackers (default "unknown").
     * @param v The value (copied).
     * @return `*this`, for chaining.
     */
    ClientConfig &player_name(std::string_view v) { return set(player_name_, v); }
    /**
     * `User-Agent` header (default "media-collection/<version>").
     * @param v The value (copied).
     * @return `*this`, for chaining.
     */
    ClientConfig &user_agent(std::string_view v) { return set(user_agent_, v); }
    /**
     * CA bundle file for TLS verification (default: libcurl's).
     * @param v The value (copied).
     * @return `*this`, for chaining.
     */
    ClientConfig &ca_file(std::string_view v) { return set(ca_file_, v); }
    /**
     * CA directory for TLS verification (default: libcurl's).
     * @param v The value (copied).
     * @return `*this`, for chaining.
     */
    ClientConfig &ca_path(std::string_view v) { return set(ca_path_, v); }
    /**
     * Proxy URL (default: libcurl's environment handling, `https_proxy`, `no_proxy`, ...).
     * @param v The value (copied).
     * @return `*this`, for chaining.
     */
    ClientConfig &proxy(std::string_view v) { return set(proxy_, v); }
    /**
     * Directory of the offline store for downloaded content (default none: downloaded trackers
     * are refused with MC_ERR_NO_STORE). One client per directory.
     * @param v The value (copied).
     * @return `*this`, for chaining.
     */
    ClientConfig &store_dir(std::string_view v) { return set(store_dir_, v); }
    /**
     * Adds a `visitor.customerIDs` entry.
     * @param id_type The id type, e.g. "userId" (copied).
     * @param id The customer id (copied).
     * @param auth_state 0 unknown, 1 authenticated, 2 logged out.
     * @return `*this`, for chaining.
     */
    ClientConfig &customer_id(std::string_view id_type, std::string_view id, uint32_t auth_state) {
        customer_ids_.push_back(CustomerId{std::string(id_type), std::string(id), auth_state});
        return *this;
    }
    /**
     * Ping interval in content and in ads without granular tracking (default 10 s).
     * @param d The duration (mc_client_config::ping_interval_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.ping_interval_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &ping_interval(std::chrono::milliseconds d) noexcept {
        raw_.ping_interval_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * Ping interval inside an ad with granular ad tracking (default 1 s).
     * @param d The duration (mc_client_config::granular_ad_ping_interval_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.granular_ad_ping_interval_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &granular_ad_ping_interval(std::chrono::milliseconds d) noexcept {
        raw_.granular_ad_ping_interval_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * Ping interval of downloaded sessions (default 50 s).
     * @param d The duration (mc_client_config::offline_ping_interval_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.offline_ping_interval_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &offline_ping_interval(std::chrono::milliseconds d) noexcept {
        raw_.offline_ping_interval_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * Main content playing this long sends the content-start `play` (default 1 s).
     * @param d The duration (mc_client_config::content_start_delay_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.content_start_delay_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &content_start_delay(std::chrono::milliseconds d) noexcept {
        raw_.content_start_delay_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * Default pre-roll waiting window; 0 disables it (default 250 ms).
     * @param d The duration (mc_client_config::preroll_window_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.preroll_window_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &preroll_window(std::chrono::milliseconds d) noexcept {
        raw_.preroll_window_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * Idle this long ends the session; the next play resumes it (default 30 min).
     * @param d The duration (mc_client_config::idle_timeout_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.idle_timeout_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &idle_timeout(std::chrono::milliseconds d) noexcept {
        raw_.idle_timeout_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * A session this old restarts as a resumed one (default 24 h).
     * @param d The duration (mc_client_config::session_cap_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.session_cap_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &session_cap(std::chrono::milliseconds d) noexcept {
        raw_.session_cap_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * Consecutive `ts` of one session are at least this far apart (default 1 ms; 0 as Adobe's SDK).
     * @param d The duration (mc_client_config::min_ts_gap_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.min_ts_gap_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &min_ts_gap(std::chrono::milliseconds d) noexcept {
        raw_.min_ts_gap_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * TCP/TLS connect timeout (default 5 s).
     * @param d The duration (mc_client_config::connect_timeout_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.connect_timeout_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &connect_timeout(std::chrono::milliseconds d) noexcept {
        raw_.connect_timeout_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * Whole-request timeout (default 10 s).
     * @param d The duration (mc_client_config::request_timeout_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.request_timeout_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &request_timeout(std::chrono::milliseconds d) noexcept {
        raw_.request_timeout_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * First retry backoff, doubling per try with ±20 % jitter (default 500 ms).
     * @param d The duration (mc_client_config::retry_base_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.retry_base_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &retry_base(std::chrono::milliseconds d) noexcept {
        raw_.retry_base_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * Retry backoff cap, at least retry_base() (default 8 s).
     * @param d The duration (mc_client_config::retry_cap_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.retry_cap_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &retry_cap(std::chrono::milliseconds d) noexcept {
        raw_.retry_cap_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * A sessionStart gives up this long after its first try (default 60 s).
     * @param d The duration (mc_client_config::session_start_budget_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.session_start_budget_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &session_start_budget(std::chrono::milliseconds d) noexcept {
        raw_.session_start_budget_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * An event gives up this long after its first try (default 60 s).
     * @param d The duration (mc_client_config::event_retry_budget_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.event_retry_budget_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &event_retry_budget(std::chrono::milliseconds d) noexcept {
        raw_.event_retry_budget_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * `Retry-After` is obeyed up to this (default 5 min).
     * @param d The duration (mc_client_config::retry_after_cap_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.retry_after_cap_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &retry_after_cap(std::chrono::milliseconds d) noexcept {
        raw_.retry_after_cap_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * Sync interval of the store with MC_DURABILITY_INTERVAL (default 1 s).
     * @param d The duration (mc_client_config::store_sync_interval_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.store_sync_interval_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &store_sync_interval(std::chrono::milliseconds d) noexcept {
        raw_.store_sync_interval_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * A stored session older than this is evicted (default 30 days).
     * @param d The duration (mc_client_config::store_max_age_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.store_max_age_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &store_max_age(std::chrono::milliseconds d) noexcept {
        raw_.store_max_age_ms = detail::config_ms<uint64_t>(d);
        return *this;
    }
    /**
     * First upload retry backoff, doubling per try (default 15 s).
     * @param d The duration (mc_client_config::upload_backoff_base_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.upload_backoff_base_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &upload_backoff_base(std::chrono::milliseconds d) noexcept {
        raw_.upload_backoff_base_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * Upload backoff cap, at least upload_backoff_base() (default 1 h).
     * @param d The duration (mc_client_config::upload_backoff_cap_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.upload_backoff_cap_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &upload_backoff_cap(std::chrono::milliseconds d) noexcept {
        raw_.upload_backoff_cap_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * A stored session not uploaded this long after its creation is given up (default 7 days).
     * @param d The duration (mc_client_config::upload_give_up_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.upload_give_up_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &upload_give_up(std::chrono::milliseconds d) noexcept {
        raw_.upload_give_up_ms = detail::config_ms<uint64_t>(d);
        return *this;
    }
    /**
     * Gap between two uploads (default 100 ms).
     * @param d The duration (mc_client_config::upload_min_gap_ms; its range is documented there). A
     *   value outside the range, negative ones included, makes the Client refuse the
     *   configuration with MC_ERR_OUT_OF_RANGE naming `config.upload_min_gap_ms`.
     * @return `*this`, for chaining.
     */
    ClientConfig &upload_min_gap(std::chrono::milliseconds d) noexcept {
        raw_.upload_min_gap_ms = detail::config_ms<uint32_t>(d);
        return *this;
    }
    /**
     * Log lines up to `max_level` go to `handler`, on the library's worker thread (host-driven:
     * inside Client::drive(), on the loop's thread) (and, when
     * the configuration is refused, the refusal on the thread creating the Client). It must
     * not block for long; an exception it throws is caught and dropped (it must not cross the
     * C boundary).
     * @param handler Receives the level and the line.
     * @param max_level `MC_LOG_ERROR` .. `MC_LOG_DEBUG` (default MC_LOG_INFO).
     * @return `*this`, for chaining.
     */
    ClientConfig &on_log(LogHandler handler, uint32_t max_level = MC_LOG_INFO) {
        on_log_ = std::move(handler);
        raw_.log_level = max_level;
        return *this;
    }
    /**
     * Delivery and rule notices go to `handler`, on the library's worker thread (host-driven:
     * inside Client::drive()). Same rules as
     * on_log(). It may call tracker functions, but not Client::flush() or Client::close() on
     * its own client (MC_ERR_WOULD_DEADLOCK) and must not destroy that client.
     * @param handler Receives each notice (valid during the call).
     * @return `*this`, for chaining.
     */
    ClientConfig &on_event(EventHandler handler) {
        on_event_ = std::move(handler);
        return *this;
    }
    /**
     * Host-driven (`MC_THREADING_HOST`): no thread of the library's; the host's event loop
     * drives the client with Client::drive() (README, "Host-driven mode"). The optional watch
     * and timer callbacks, and a caller's clock for tests, are set through raw().
     * @return `*this`, for chaining.
     */
    ClientConfig &host_driven() noexcept {
        raw_.threading = MC_THREADING_HOST;
        return *this;
    }
    /**
     * How long the Client's destructor lets mc_client_free() send what is left: the
     * destructor returns within this bound plus 200 ms (the worker's grace to wind down its
     * aborted transfers). Default 2 s; 0 sends nothing more and returns within 200 ms.
     * @param d The bound (negative counts as 0).
     * @return `*this`, for chaining.
     */
    ClientConfig &close_timeout(std::chrono::milliseconds d) noexcept {
        close_timeout_ = d;
        return *this;
    }
    /**
     * Every other field of mc_client_config: counts, caps, store settings, flags, ...
     * Strings set here are not copied by this object: they must outlive the Client's creation
     * (mc_client_new() copies them). The callbacks set by on_log()/on_event() replace the
     * `log_callback`/`event_callback` set here.
     * @return The C struct this object fills in.
     */
    mc_client_config &raw() noexcept { return raw_; }
    /** @return The C struct with this object's strings filled in; valid while this object lives unchanged. */
    const mc_client_config &c_config() const {
        if (edge_) {
            raw_.backend = MC_BACKEND_MEDIA_EDGE;
            raw_.endpoint = endpoint_.empty() ? nullptr : endpoint_.c_str();
            raw_.tracking_server = nullptr;
            raw_.report_suite = nullptr;
            raw_.org_id = nullptr;
        } else {
            raw_.endpoint = endpoint_.c_str();
            raw_.tracking_server = tracking_server_.c_str();
            raw_.report_suite = report_suite_.c_str();
            raw_.org_id = org_id_.c_str();
        }
        opt(raw_.edge_config_id, edge_config_id_);
        opt(raw_.fpid, fpid_);
        opt(raw_.ecid, ecid_);
        opt(raw_.visitor_id, visitor_id_);
        opt(raw_.aid, aid_);
        opt(raw_.app_installation_id, app_installation_id_);
        opt(raw_.app_version, app_version_);
        opt(raw_.channel, channel_);
        opt(raw_.player_name, player_name_);
        opt(raw_.user_agent, user_agent_);
        opt(raw_.ca_file, ca_file_);
        opt(raw_.ca_path, ca_path_);
        opt(raw_.proxy, proxy_);
        opt(raw_.store_dir, store_dir_);
        if (!customer_ids_.empty()) {
            customer_ids_c_.clear();
            for (const auto &c : customer_ids_)
                customer_ids_c_.push_back(mc_customer_id{c.id_type.c_str(), c.id.c_str(), c.auth_state});
            raw_.customer_ids = customer_ids_c_.data();
            raw_.n_customer_ids = customer_ids_c_.size();
        }
        return raw_;
    }

  private:
    friend class Client;
    struct CustomerId {
        std::string id_type, id;
        uint32_t auth_state;
    };
    // An unset optional string leaves whatever raw() holds (NULL by default).
    static void opt(const char *&field, const std::optional<std::string> &s) {
        if (s) field = s->c_str();
    }
    ClientConfig &set(std::optional<std::string> &field, std::string_view v) {
        field.emplace(v);
        return *this;
    }
    std::string endpoint_, tracking_server_, report_suite_, org_id_;
    std::optional<std::string> ecid_, visitor_id_, aid_, app_installation_id_, app_version_, channel_, player_name_,
        user_agent_, ca_file_, ca_path_, proxy_, store_dir_, edge_config_id_, fpid_;
    bool edge_ = false;
    std::vector<CustomerId> customer_ids_;
    mutable std::vector<mc_customer_id> customer_ids_c_;
    mutable mc_client_config raw_{};
    LogHandler on_log_;
    EventHandler on_event_;
    std::chrono::milliseconds close_timeout_{2000};
};

/**
 * What is played (mc_media_info): id, name, length in seconds and content type are required;
 * the rest has the C defaults (video, playhead 0, the client's pre-roll window).
 */
class Media {
  public:
    /**
     * `media.id`, `media.name` (both non-empty), `media.length` in seconds (≥ 0; 86400 for
     * live content of unknown length) and `media.contentType` ("vod", "live", "linear", ...).
     * @param id `media.id` (copied).
     * @param name `media.name` (copied).
     * @param length_seconds `media.length` in seconds.
     * @param content_type `media.contentType` (copied).
     */
    Media(std::string_view id, std::string_view name, double length_seconds, std::string_view content_type)
        : id_(id), name_(name), content_type_(content_type) {
        mc_media_info_init(&raw_);
        raw_.length = length_seconds;
    }
    /** Audio content (`media.streamType` "audio"); the default is video. @return `*this`. */
    Media &audio() noexcept {
        raw_.media_type = MC_MEDIA_TYPE_AUDIO;
        return *this;
    }
    /**
     * Pings every `granular_ad_ping_interval_ms` inside ads (default off).
     * @param on Whether to. @return `*this`.
     */
    Media &granular_ad_tracking(bool on = true) noexcept {
        raw_.granular_ad_tracking = on;
        return *this;
    }
    /**
     * `media.resume: true`: this session resumes one closed earlier (default off).
     * @param on Whether it does. @return `*this`.
     */
    Media &resumed(bool on = true) noexcept {
        raw_.resumed = on;
        return *this;
    }
    /** Playhead of the sessionStart (default 0). @param seconds The playhead, ≥ 0. @return `*this`. */
    Media &initial_playhead(double seconds) noexcept {
        raw_.initial_playhead = seconds;
        return *this;
    }
    /**
     * This session's pre-roll waiting window, 0 to 60 s (default: the client's
     * `preroll_window_ms`; a negative value restores that default). A longer one makes
     * Tracker::session_start() return MC_ERR_OUT_OF_RANGE.
     * @param d The window.
     * @return `*this`.
     */
    Media &preroll_wait(std::chrono::milliseconds d) noexcept {
        raw_.preroll_wait_ms = d.count() < 0 ? -1 : d.count() > 60000 ? 60001 : static_cast<int32_t>(d.count());
        return *this;
    }
    /** @return The C struct, pointing into this object; valid while it lives unchanged. */
    mc_media_info c_info() const noexcept {
        mc_media_info info = raw_;
        info.id = id_.c_str();
        info.name = name_.c_str();
        info.content_type = content_type_.c_str();
        return info;
    }

  private:
    std::string id_, name_, content_type_;
    mc_media_info raw_{};
};

/**
 * Quality of experience for Tracker::update_qoe() (mc_qoe). All values ≥ 0, sent as integers.
 * Aggregate: `mc::Qoe{2'000'000, 0, 30, 850}`.
 */
struct Qoe {
    double bitrate = 0;        /**< `media.qoe.bitrate` in bits per second. */
    double dropped_frames = 0; /**< `media.qoe.droppedFrames`, cumulative for the session. */
    double fps = 0;            /**< `media.qoe.framesPerSecond`. */
    double startup_time = 0;   /**< `media.qoe.timeToStart` in milliseconds. */
};

class Tracker;

/**
 * A client (mc_client_t): the library's worker thread and HTTP transport for one MC
 * configuration. Create one per process. Move-only; the destructor calls mc_client_free()
 * (bounded by ClientConfig::close_timeout(), 2 s by default), which ends every open session
 * first. Its methods may be called from any thread; moving or destroying it while another
 * thread uses the same object is a data race, as with any C++ object.
 */
class Client {
  public:
    /**
     * Creates the client (mc_client_new()). Throws mc::Error for a refused configuration
     * (MC_ERR_NULL_ARGUMENT, MC_ERR_INVALID_ARGUMENT, MC_ERR_OUT_OF_RANGE, MC_ERR_INVALID_URL,
     * ...), its what() naming the field, the value and the limit; MC_ERR_INIT when the worker
     * or the transport cannot start.
     * @param config The configuration; copied by the library, so it may be destroyed after.
     */
    explicit Client(const ClientConfig &config) { start(config).throw_if_error("mc_client_new"); }
    /**
     * The same as the constructor, reporting failure as a Result instead of throwing.
     * @param config The configuration; copied by the library, so it may be destroyed after.
     * @return The client, or the status and message of the refusal (Result::message()).
     */
    static Result<Client> create(const ClientConfig &config) noexcept {
        Client c;
        Status s = c.start(config);
        if (!s) return s;
        return Result<Client>(std::move(c));
    }
    /** Takes over `o`'s client. @param o The source, left empty (handle 0). */
    Client(Client &&o) noexcept
        : handle_(std::exchange(o.handle_, 0)), callbacks_(std::move(o.callbacks_)), close_timeout_(o.close_timeout_) {}
    /**
     * Frees this object's client (as the destructor does, within the same bound), then takes
     * over `o`'s.
     * @param o The source, left empty. @return `*this`.
     */
    Client &operator=(Client &&o) noexcept {
        if (this != &o) {
            drop();
            handle_ = std::exchange(o.handle_, 0);
            callbacks_ = std::move(o.callbacks_);
            close_timeout_ = o.close_timeout_;
        }
        return *this;
    }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    /**
     * Frees the client: close() with ClientConfig::close_timeout() (2 s by default). Bounded:
     * it returns within that timeout plus 200 ms, whatever the network does (the worker is
     * then left to finish aborting on its own). Never destroy a Client from its own callback.
     */
    ~Client() { drop(); }

    /**
     * Waits until every event accepted before the call was delivered or given up
     * (mc_client_flush()). Blocks the calling thread up to `timeout`.
     * @param timeout The bound.
     * @return MC_OK: all delivered; MC_ERR_DELIVERY: some were dropped (see stats());
     *   MC_ERR_TIMEOUT: still sending, nothing lost; the other statuses of mc_client_flush().
     */
    Status flush(std::chrono::milliseconds timeout) noexcept {
        return mc_client_flush(handle_, detail::to_ms(timeout));
    }
    /**
     * Ends open sessions, sends what it can within `timeout`, stops the worker and frees the
     * client now (mc_client_free()); the object is empty afterwards. Returns within `timeout`
     * plus 200 ms.
     * @param timeout The bound on sending what is left.
     * @return MC_OK (also on an empty object); MC_ERR_TIMEOUT: the worker is left to finish by
     *   itself, and the callbacks stay allocated for it; MC_ERR_WOULD_DEADLOCK: called from a
     *   callback, nothing was freed.
     */
    Status close(std::chrono::milliseconds timeout) noexcept {
        if (!handle_) return MC_OK;
        Status s = mc_client_free(handle_, detail::to_ms(timeout));
        if (s == MC_ERR_WOULD_DEADLOCK) return s;
        handle_ = 0;
        // A worker left running after a timeout may still call the handlers: never free them
        // under it (a small, deliberate leak in a rare case).
        if (s == MC_ERR_TIMEOUT) (void)callbacks_.release();
        callbacks_.reset();
        return s;
    }
    /**
     * The user's privacy choice (mc_client_set_privacy()). Never blocks.
     * @param privacy The choice.
     * @return The status of mc_client_set_privacy().
     */
    Status set_privacy(Privacy privacy) noexcept {
        return mc_client_set_privacy(handle_, static_cast<uint32_t>(privacy));
    }
    /**
     * Whether the device is online (mc_client_set_network_available()): coming back online
     * uploads stored sessions at once; while offline, uploads wait. Never blocks.
     * @param available True when online.
     * @return The status of mc_client_set_network_available().
     */
    Status set_network_available(bool available) noexcept {
        return mc_client_set_network_available(handle_, available);
    }
    /**
     * A snapshot of the counters (mc_client_stats()); lock-free, any thread, callbacks
     * included.
     * @return The counters; all zero when the object is empty or the handle is invalid.
     */
    mc_stats stats() const noexcept {
        mc_stats st;
        mc_stats_init(&st);
        if (mc_client_stats(handle_, &st) != MC_OK) mc_stats_init(&st);
        return st;
    }
    /**
     * Host-driven: one turn of the client on this thread, the host's loop (mc_client_drive()).
     * Never blocks.
     * @param fd The ready descriptor, or MC_DRIVE_TIMEOUT when the client's timeout passed.
     * @param revents MC_WATCH_READ | MC_WATCH_WRITE | MC_WATCH_ERROR; 0 with MC_DRIVE_TIMEOUT.
     * @return The status of mc_client_drive(): MC_ERR_UNSUPPORTED on a worker-thread client,
     *   MC_ERR_BUSY while another thread drives it.
     */
    Status drive(int32_t fd = MC_DRIVE_TIMEOUT, uint32_t revents = 0) noexcept {
        return mc_client_drive(handle_, fd, revents);
    }
    /**
     * Host-driven, for a plain poll() loop: the descriptors to watch and how long to wait
     * (mc_client_host_poll()). Never blocks.
     * @param fds Receives up to `cap` descriptors.
     * @param events Receives what to watch each for (MC_WATCH_READ | MC_WATCH_WRITE).
     * @param cap The room in `fds` and `events`.
     * @param wait Receives the count, the timeout, the transfers in flight and the next
     *   deadline; initialised here.
     * @return The status of mc_client_host_poll().
     */
    Status host_poll(int32_t *fds, uint32_t *events, size_t cap, mc_host_wait &wait) noexcept {
        mc_host_wait_init(&wait);
        return mc_client_host_poll(handle_, fds, events, cap, &wait);
    }
    /** @return The C handle (0 when empty), for calling the C API directly. Still owned by this object. */
    mc_client_t handle() const noexcept { return handle_; }

  private:
    struct Callbacks {
        LogHandler log;
        EventHandler event;
    };
    Client() = default;
    void drop() noexcept {
        // From the client's own callback nothing can be freed: the worker that runs the
        // handlers goes on, so they must stay allocated.
        if (close(close_timeout_) == MC_ERR_WOULD_DEADLOCK) {
            (void)callbacks_.release();
            handle_ = 0;
        }
    }
    // Exceptions must not unwind into the library's (Rust) frames: catch everything here.
    static void log_trampoline(void *userdata, uint32_t level, const char *message) noexcept {
        try {
            static_cast<Callbacks *>(userdata)->log(level, message ? std::string_view(message) : std::string_view());
        } catch (...) {
        }
    }
    static void event_trampoline(void *userdata, const mc_event *event) noexcept {
        try {
            if (event) static_cast<Callbacks *>(userdata)->event(*event);
        } catch (...) {
        }
    }
    Status start(const ClientConfig &config) noexcept {
        close_timeout_ = config.close_timeout_;
        mc_client_config c = config.c_config();
        if (config.on_log_ || config.on_event_) {
            // The handlers live on the heap so their address survives moves of the Client.
            callbacks_.reset(new (std::nothrow) Callbacks);
            if (!callbacks_) return Status(MC_ERR_INIT, "no memory for the callbacks");
            try {
                callbacks_->log = config.on_log_;
                callbacks_->event = config.on_event_;
            } catch (...) {
                return Status(MC_ERR_INIT, "the callbacks could not be copied");
            }
            if (callbacks_->log) {
                c.log_callback = &Client::log_trampoline;
                c.log_userdata = callbacks_.get();
            }
            if (callbacks_->event) {
                c.event_callback = &Client::event_trampoline;
                c.event_userdata = callbacks_.get();
            }
        }
        Status s = mc_client_new(&c, &handle_);
        if (!s) callbacks_.reset();
        return s;
    }
    mc_client_t handle_ = 0;
    std::unique_ptr<Callbacks> callbacks_;
    std::chrono::milliseconds close_timeout_{2000};
};

/**
 * One player instance's tracker (mc_tracker_t): one media session at a time. Move-only; the
 * destructor calls mc_tracker_free(), which ends an open session (never blocks).
 *
 * Every call is `noexcept` and returns the C call's status: it checks its arguments, stamps
 * the time and queues a command, and never blocks. Calls on one tracker should come from one
 * thread at a time (their order is the session's order). A tracker may outlive its Client:
 * its calls then return MC_ERR_INVALID_HANDLE. String arguments are copied for the call
 * (on the stack up to 127 bytes); one containing a NUL byte returns MC_ERR_INVALID_ARGUMENT.
 */
class Tracker {
  public:
    /**
     * A tracker with the client's channel and player name. Throws mc::Error on failure.
     * @param client The client; the tracker may outlive it (its calls then fail cleanly).
     */
    explicit Tracker(const Client &client) { start(client, nullptr).throw_if_error("mc_tracker_new"); }
    /**
     * A tracker with its own `media.channel` and `media.playerName`. Throws mc::Error on failure.
     * @param client The client.
     * @param channel `media.channel` of its sessions (copied).
     * @param player_name `media.playerName` of its sessions (copied).
     */
    Tracker(const Client &client, std::string_view channel, std::string_view player_name) {
        detail::CStr ch(channel), pn(player_name);
        detail::first_error(ch.status(), pn.status()).throw_if_error("mc_tracker_new");
        mc_tracker_config cfg;
        mc_tracker_config_init(&cfg);
        cfg.channel = ch.get();
        cfg.player_name = pn.get();
        start(client, &cfg).throw_if_error("mc_tracker_new");
    }
    /**
     * A tracker from a C configuration (NULL for the defaults), e.g. with `downloaded = true`
     * for downloaded content. Throws mc::Error on failure.
     * @param client The client.
     * @param config The C configuration, read during the call, or NULL.
     */
    Tracker(const Client &client, const mc_tracker_config *config) {
        start(client, config).throw_if_error("mc_tracker_new");
    }
    /**
     * The non-throwing form.
     * @param client The client.
     * @param config The C configuration, read during the call, or NULL for the defaults.
     * @return The tracker, or the status and message of mc_tracker_new().
     */
    static Result<Tracker> create(const Client &client, const mc_tracker_config *config = nullptr) noexcept {
        Tracker t;
        Status s = t.start(client, config);
        if (!s) return s;
        return Result<Tracker>(std::move(t));
    }
    /** Takes over `o`'s tracker. @param o The source, left empty (handle 0). */
    Tracker(Tracker &&o) noexcept : handle_(std::exchange(o.handle_, 0)) {}
    /** Frees this object's tracker, then takes over `o`'s. @param o The source, left empty. @return `*this`. */
    Tracker &operator=(Tracker &&o) noexcept {
        if (this != &o) {
            if (handle_) mc_tracker_free(handle_);
            handle_ = std::exchange(o.handle_, 0);
        }
        return *this;
    }
    Tracker(const Tracker &) = delete;
    Tracker &operator=(const Tracker &) = delete;
    /** mc_tracker_free(): ends an open session; its queued events are still delivered. Never blocks. */
    ~Tracker() {
        if (handle_) mc_tracker_free(handle_);
    }

    /**
     * Starts a session (mc_track_session_start()).
     * @param media What is played.
     * @param metadata Standard (`a.media.*`) and custom metadata.
     * @return The status of mc_track_session_start(); on a refusal mc_last_error() names the field.
     */
    Status session_start(const Media &media, const Metadata &metadata = {}) noexcept {
        mc_media_info info = media.c_info();
        return mc_track_session_start(handle_, &info, metadata.data(), metadata.size());
    }
    /**
     * Playing: first frame, or resumed after pause, buffering or seeking (mc_track_play()).
     * @return The status of mc_track_play(): MC_OK once queued, even when the tracker rules will
     *   reject the call (that is reported through the event callback).
     */
    Status play() noexcept { return mc_track_play(handle_); }
    /**
     * Paused (mc_track_pause()).
     * @return The status of mc_track_pause(): MC_OK once queued, even when the tracker rules will
     *   reject the call (that is reported through the event callback).
     */
    Status pause() noexcept { return mc_track_pause(handle_); }
    /**
     * The content reached its end; the session is over (mc_track_complete()).
     * @return The status of mc_track_complete(): MC_OK once queued, even when the tracker rules will
     *   reject the call (that is reported through the event callback).
     */
    Status complete() noexcept { return mc_track_complete(handle_); }
    /**
     * The viewer left for good (mc_track_session_end()).
     * @return The status of mc_track_session_end(): MC_OK once queued, even when the tracker rules will
     *   reject the call (that is reported through the event callback).
     */
    Status session_end() noexcept { return mc_track_session_end(handle_); }
    /**
     * Buffering started (mc_track_buffer_start()).
     * @return The status of mc_track_buffer_start(): MC_OK once queued, even when the tracker rules will
     *   reject the call (that is reported through the event callback).
     */
    Status buffer_start() noexcept { return mc_track_buffer_start(handle_); }
    /**
     * Buffering ended (mc_track_buffer_complete()).
     * @return The status of mc_track_buffer_complete(): MC_OK once queued, even when the tracker rules will
     *   reject the call (that is reported through the event callback).
     */
    Status buffer_complete() noexcept { return mc_track_buffer_complete(handle_); }
    /**
     * Seeking started (mc_track_seek_start()).
     * @return The status of mc_track_seek_start(): MC_OK once queued, even when the tracker rules will
     *   reject the call (that is reported through the event callback).
     */
    Status seek_start() noexcept { return mc_track_seek_start(handle_); }
    /**
     * Seeking ended (mc_track_seek_complete()).
     * @return The status of mc_track_seek_complete(): MC_OK once queued, even when the tracker rules will
     *   reject the call (that is reported through the event callback).
     */
    Status seek_complete() noexcept { return mc_track_seek_complete(handle_); }
    /**
     * A playback error (mc_track_error()); the session goes on.
     * @param id The player's error id, non-empty.
     * @param source Where it comes from.
     * @return The status of mc_track_error().
     */
    Status error(std::string_view id, ErrorSource source = ErrorSource::player) noexcept {
        detail::CStr i(id);
        if (!i.status()) return i.status();
        return mc_track_error(handle_, i.get(), static_cast<uint32_t>(source));
    }
    /**
     * An ad break starts (mc_track_ad_break_start()): `media.ad.podFriendlyName` (non-empty),
     * `media.ad.podIndex` (≥ 1) and the content second where it starts (≥ 0).
     * @param name `media.ad.podFriendlyName`.
     * @param position `media.ad.podIndex`, ≥ 1.
     * @param start_time The content second where it starts, ≥ 0.
     * @return The status of mc_track_ad_break_start().
     */
    Status ad_break_start(std::string_view name, uint32_t position, double start_time) noexcept {
        detail::CStr n(name);
        if (!n.status()) return n.status();
        mc_ad_break_info b;
        mc_ad_break_info_init(&b);
        b.name = n.get();
        b.position = position;
        b.start_time = start_time;
        return mc_track_ad_break_start(handle_, &b);
    }
    /**
     * The ad break ended (mc_track_ad_break_complete()).
     * @return The status of mc_track_ad_break_complete(): MC_OK once queued, even when the tracker rules will
     *   reject the call (that is reported through the event callback).
     */
    Status ad_break_complete() noexcept { return mc_track_ad_break_complete(handle_); }
    /**
     * An ad starts inside the current break (mc_track_ad_start()): `media.ad.id` and
     * `media.ad.name` (non-empty), `media.ad.podPosition` (≥ 1), length in seconds (≥ 0), and
     * metadata (standard `a.media.ad.` keys become params, the rest custom metadata).
     * @param id `media.ad.id`.
     * @param name `media.ad.name`.
     * @param position `media.ad.podPosition`, ≥ 1.
     * @param length The ad's length in seconds, ≥ 0.
     * @param metadata Standard (`a.media.ad.*`) and custom metadata.
     * @return The status of mc_track_ad_start().
     */
    Status ad_start(std::string_view id, std::string_view name, uint32_t position, double length,
                    const Metadata &metadata = {}) noexcept {
        detail::CStr i(id), n(name);
        if (Status s = detail::first_error(i.status(), n.status()); !s) return s;
        mc_ad_info a;
        mc_ad_info_init(&a);
        a.id = i.get();
        a.name = n.get();
        a.position = position;
        a.length = length;
        return mc_track_ad_start(handle_, &a, metadata.data(), metadata.size());
    }
    /**
     * The ad played to its end (mc_track_ad_complete()).
     * @return The status of mc_track_ad_complete(): MC_OK once queued, even when the tracker rules will
     *   reject the call (that is reported through the event callback).
     */
    Status ad_complete() noexcept { return mc_track_ad_complete(handle_); }
    /**
     * The ad was skipped (mc_track_ad_skip()).
     * @return The status of mc_track_ad_skip(): MC_OK once queued, even when the tracker rules will
     *   reject the call (that is reported through the event callback).
     */
    Status ad_skip() noexcept { return mc_track_ad_skip(handle_); }
    /**
     * A chapter starts (mc_track_chapter_start()): `media.chapter.friendlyName` (non-empty),
     * index (≥ 1), offset and length in seconds (≥ 0), and metadata (all custom).
     * @param name `media.chapter.friendlyName`.
     * @param position `media.chapter.index`, ≥ 1.
     * @param start_time `media.chapter.offset` in seconds, ≥ 0.
     * @param length `media.chapter.length` in seconds, ≥ 0.
     * @param metadata Custom metadata.
     * @return The status of mc_track_chapter_start().
     */
    Status chapter_start(std::string_view name, uint32_t position, double start_time, double length,
                         const Metadata &metadata = {}) noexcept {
        detail::CStr n(name);
        if (!n.status()) return n.status();
        mc_chapter_info c;
        mc_chapter_info_init(&c);
        c.name = n.get();
        c.position = position;
        c.start_time = start_time;
        c.length = length;
        return mc_track_chapter_start(handle_, &c, metadata.data(), metadata.size());
    }
    /**
     * The chapter ended (mc_track_chapter_complete()).
     * @return The status of mc_track_chapter_complete(): MC_OK once queued, even when the tracker rules will
     *   reject the call (that is reported through the event callback).
     */
    Status chapter_complete() noexcept { return mc_track_chapter_complete(handle_); }
    /**
     * The chapter was skipped (mc_track_chapter_skip()).
     * @return The status of mc_track_chapter_skip(): MC_OK once queued, even when the tracker rules will
     *   reject the call (that is reported through the event callback).
     */
    Status chapter_skip() noexcept { return mc_track_chapter_skip(handle_); }
    /**
     * The bitrate changed; call update_qoe() first (mc_track_bitrate_change()).
     * @return The status of mc_track_bitrate_change(): MC_OK once queued, even when the tracker rules will
     *   reject the call (that is reported through the event callback).
     */
    Status bitrate_change() noexcept { return mc_track_bitrate_change(handle_); }
    /**
     * A player state starts (mc_track_state_start()).
     * @param name The state, e.g. "fullscreen", "mute".
     * @return The status of mc_track_state_start().
     */
    Status state_start(std::string_view name) noexcept {
        detail::CStr n(name);
        if (!n.status()) return n.status();
        return mc_track_state_start(handle_, n.get());
    }
    /**
     * A player state ends (mc_track_state_end()).
     * @param name The state.
     * @return The status of mc_track_state_end().
     */
    Status state_end(std::string_view name) noexcept {
        detail::CStr n(name);
        if (!n.status()) return n.status();
        return mc_track_state_end(handle_, n.get());
    }
    /**
     * The current playhead in seconds (mc_update_playhead()): content position, or the second
     * of the day for live. Call it about every second. Only stores a number (no syscall).
     * @param seconds The playhead, finite and ≥ 0.
     * @return The status of mc_update_playhead().
     */
    Status update_playhead(double seconds) noexcept { return mc_update_playhead(handle_, seconds); }
    /**
     * The current quality of experience (mc_update_qoe()). Only stores it (no syscall).
     * @param qoe The values, each ≥ 0.
     * @return The status of mc_update_qoe().
     */
    Status update_qoe(const Qoe &qoe) noexcept {
        mc_qoe q;
        mc_qoe_init(&q);
        q.bitrate = qoe.bitrate;
        q.dropped_frames = qoe.dropped_frames;
        q.fps = qoe.fps;
        q.startup_time = qoe.startup_time;
        return mc_update_qoe(handle_, &q);
    }
    /** @return The C handle (0 when empty), for calling the C API directly. Still owned by this object. */
    mc_tracker_t handle() const noexcept { return handle_; }

  private:
    Tracker() = default;
    Status start(const Client &client, const mc_tracker_config *config) noexcept {
        return mc_tracker_new(client.handle(), config, &handle_);
    }
    mc_tracker_t handle_ = 0;
};

/** @return The library's version at run time (mc_version()), e.g. "0.1.0". */
inline std::string_view version() noexcept { return mc_version(); }

/**
 * Whether the library linked at run time can serve this header: the same major version and,
 * while it is 0, the same minor version (the SONAME rule). A shared library loaded from an
 * unexpected path is the usual cause of a mismatch.
 * @return True when they match.
 */
inline bool version_compatible() noexcept {
    std::string_view v = mc_version();
    auto number = [&v]() {
        unsigned n = 0;
        while (!v.empty() && v.front() >= '0' && v.front() <= '9') {
            n = n * 10 + static_cast<unsigned>(v.front() - '0');
            v.remove_prefix(1);
        }
        if (!v.empty() && v.front() == '.') v.remove_prefix(1);
        return n;
    };
    unsigned major = number(), minor = number();
    return major == MC_VERSION_MAJOR && (MC_VERSION_MAJOR != 0 || minor == MC_VERSION_MINOR);
}

} // namespace mc

#endif /* MEDIA_COLLECTION_HPP */
