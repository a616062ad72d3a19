//! The bodies of the fuzz targets, shared by the cargo-fuzz binaries (fuzz/fuzz_targets/) and by
//! `tests/fuzz_regressions.rs`, which replays every input kept under fuzz/regressions/<target>/
//! through the very same function on each `cargo test`. Each body panics when an invariant
//! breaks; libFuzzer records such an input as a crash.

#![allow(dead_code)]

use std::ffi::c_char;
use std::sync::OnceLock;

use media_collection::core::{parse_location, parse_retry_after};
use media_collection::ffi::client::*;
use media_collection::ffi::tracker::*;
use media_collection::ffi::types::*;
use media_collection::status::mc_status;
use media_collection::store::{decode_records, encode_record};

/// `Location` → session id: never panics; a sid found is non-empty, one path segment, and free
/// of control characters (it becomes part of the next request line).
pub fn location(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Some(sid) = parse_location(s) {
        assert!(!sid.is_empty(), "empty sid from {s:?}");
        assert!(!sid.contains('/'), "sid {sid:?} spans path segments");
        assert!(!sid.chars().any(char::is_control), "sid {sid:?} has control characters");
        assert_eq!(parse_location(s), Some(sid), "deterministic");
    }
}

/// `Retry-After`: never panics; delay-seconds always parse; a date reads exactly as the
/// `httpdate` crate (an independent parser of the same three forms) reads it, the distance from
/// now to the date (zero in the past), and what it refuses is refused.
pub fn retry_after(data: &[u8]) {
    if data.len() < 8 {
        return;
    }
    let now_ms = i64::from_le_bytes(data[..8].try_into().unwrap_or_default());
    let Ok(value) = std::str::from_utf8(&data[8..]) else { return };
    let got = parse_retry_after(value, now_ms);
    let t = value.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        assert!(got.is_some(), "{value:?} is delay-seconds");
        return;
    }
    // httpdate does not look at the byte between the year and the time of the RFC 850 form
    // (which the grammar says is a space); the library refuses anything else there.
    let lax_rfc850 = t.contains('-') && t.len() > 13 && t.as_bytes()[t.len() - 13] != b' ';
    match httpdate::parse_http_date(t) {
        Ok(date) if !lax_rfc850 => {
            let date_ms = date.duration_since(std::time::UNIX_EPOCH).map(|x| x.as_millis() as i64).unwrap_or(0);
            let want = u64::try_from(date_ms.saturating_sub(now_ms)).unwrap_or(0);
            assert_eq!(got, Some(std::time::Duration::from_millis(want)), "{value:?} at {now_ms}");
        }
        _ => assert_eq!(got, None, "{value:?} is not an HTTP date"),
    }
}

/// The offline store's record decoder: never panics; the good prefix re-encodes to exactly
/// the bytes it came from; a clean decode covers the whole input.
pub fn store_records(data: &[u8]) {
    let (records, good_len, damaged) = decode_records(data);
    assert!(good_len <= data.len());
    let again: Vec<u8> = records.iter().flat_map(|(seq, p)| encode_record(*seq, p)).collect();
    assert_eq!(again.as_slice(), &data[..good_len], "the good prefix round-trips");
    if !damaged {
        assert_eq!(good_len, data.len(), "clean means every byte was a good record");
    }
}

/// Bytes → a sequence of C API calls on one client (whose endpoint refuses connections, so
/// nothing leaves the machine), with fuzzed strings, numbers and handles: live, freed, foreign,
/// zero and random. No call may panic (MC_ERR_PANIC / MC_ERR_POISONED / a non-zero `panics`).
pub fn c_api_sequence(data: &[u8]) {
    let client = shared_client();
    let mut input = Input(data);
    let mut live: Vec<mc_tracker_t> = Vec::new();
    let mut freed: Vec<mc_tracker_t> = Vec::new();
    let mut steps = 0;
    while let Some(op) = input.byte() {
        steps += 1;
        if steps > 256 {
            break;
        }
        let t = input.handle(&live, &freed, client);
        let status = match op % 26 {
            0 if live.len() < 8 => {
                let mut cfg: mc_tracker_config = unsafe { std::mem::zeroed() };
                mc_tracker_config_init_sized(&mut cfg, std::mem::size_of_val(&cfg));
                let channel = input.string();
                if input.bool() {
                    cfg.channel = channel.as_ptr();
                }
                let mut out = 0;
                let s = mc_tracker_new(client, if input.bool() { &cfg } else { std::ptr::null() }, &mut out);
                if s == mc_status::MC_OK {
                    live.push(out);
                }
                s
            }
            1 => {
                let s = mc_tracker_free(t);
                if let Some(i) = live.iter().position(|&x| x == t) {
                    freed.push(live.swap_remove(i));
                }
                s
            }
            2 => {
                let (id, name, ct) = (input.string(), input.string(), input.string());
                let mut m: mc_media_info = unsafe { std::mem::zeroed() };
                mc_media_info_init_sized(&mut m, std::mem::size_of_val(&m));
                m.id = id.as_ptr();
                m.name = name.as_ptr();
                m.content_type = ct.as_ptr();
                m.length = input.f64();
                m.initial_playhead = input.f64();
                m.media_type = input.byte().unwrap_or(0) as u32 % 3;
                m.preroll_wait_ms = input.byte().unwrap_or(0) as i32 - 8;
                let (k, v) = (input.string(), input.string());
                let md = [mc_metadata { key: k.as_ptr(), value: v.as_ptr() }];
                let n = input.byte().unwrap_or(0) as usize % 2;
                mc_track_session_start(t, &m, md.as_ptr(), n)
            }
            3 => mc_track_play(t),
            4 => mc_track_pause(t),
            5 => mc_track_complete(t),
            6 => mc_track_session_end(t),
            7 => mc_track_buffer_start(t),
            8 => mc_track_buffer_complete(t),
            9 => mc_track_seek_start(t),
            10 => mc_track_seek_complete(t),
            11 => mc_track_ad_break_complete(t),
            12 => mc_track_ad_complete(t),
            13 => mc_track_ad_skip(t),
            14 => mc_track_chapter_complete(t),
            15 => mc_track_chapter_skip(t),
            16 => mc_track_bitrate_change(t),
            17 => mc_update_playhead(t, input.f64()),
            18 => {
                let mut q: mc_qoe = unsafe { std::mem::zeroed() };
                mc_qoe_init_sized(&mut q, std::mem::size_of_val(&q));
                q.bitrate = input.f64();
                q.fps = input.f64();
                q.dropped_frames = input.f64();
                q.startup_time = input.f64();
                mc_update_qoe(t, &q)
            }
            19 => {
                let name = input.string();
                let mut b: mc_ad_break_info = unsafe { std::mem::zeroed() };
                mc_ad_break_info_init_sized(&mut b, std::mem::size_of_val(&b));
                b.name = name.as_ptr();
                b.position = input.byte().unwrap_or(1) as u32;
                b.start_time = input.f64();
                mc_track_ad_break_start(t, &b)
            }
            20 => {
                let (id, name) = (input.string(), input.string());
                let mut a: mc_ad_info = unsafe { std::mem::zeroed() };
                mc_ad_info_init_sized(&mut a, std::mem::size_of_val(&a));
                a.id = id.as_ptr();
                a.name = name.as_ptr();
                a.position = input.byte().unwrap_or(1) as u32;
                a.length = input.f64();
                mc_track_ad_start(t, &a, std::ptr::null(), 0)
            }
            21 => {
                let name = input.string();
                let mut c: mc_chapter_info = unsafe { std::mem::zeroed() };
                mc_chapter_info_init_sized(&mut c, std::mem::size_of_val(&c));
                c.name = name.as_ptr();
                c.position = input.byte().unwrap_or(1) as u32;
                c.start_time = input.f64();
                c.length = input.f64();
                mc_track_chapter_start(t, &c, std::ptr::null(), 0)
            }
            22 => {
                let id = input.string();
                mc_track_error(t, id.as_ptr(), input.byte().unwrap_or(0) as u32 % 3)
            }
            23 => {
                let name = input.string();
                if input.bool() { mc_track_state_start(t, name.as_ptr()) } else { mc_track_state_end(t, name.as_ptr()) }
            }
            24 => {
                let mut st: mc_stats = unsafe { std::mem::zeroed() };
                mc_stats_init_sized(&mut st, std::mem::size_of_val(&st));
                st.struct_size = if input.bool() { st.struct_size } else { input.byte().unwrap_or(0) as u32 };
                let s = mc_client_stats(t, &mut st);
                if t == client && s == mc_status::MC_OK {
                    assert_eq!(st.panics, 0, "a panic was caught inside the library");
                }
                s
            }
            _ => {
                // A second client with fuzzed endpoint and user agent, freed at once.
                let (endpoint, ua) = (input.string(), input.string());
                let mut cfg: mc_client_config = unsafe { std::mem::zeroed() };
                mc_client_config_init_sized(&mut cfg, std::mem::size_of_val(&cfg));
                cfg.endpoint = endpoint.as_ptr();
                cfg.user_agent = if input.bool() { ua.as_ptr() } else { std::ptr::null() };
                cfg.tracking_server = c"t".as_ptr();
                cfg.report_suite = c"r".as_ptr();
                cfg.org_id = c"o@AdobeOrg".as_ptr();
                let mut out = 0;
                let s = mc_client_new(&cfg, &mut out);
                if s == mc_status::MC_OK {
                    assert_eq!(mc_client_free(out, 0), mc_status::MC_OK);
                }
                s
            }
        };
        assert!(
            !matches!(status, mc_status::MC_ERR_PANIC | mc_status::MC_ERR_POISONED),
            "op {op} on handle {t:#x}: {status:?}"
        );
    }
    for t in live {
        assert_eq!(mc_tracker_free(t), mc_status::MC_OK);
    }
}

/// One client for the whole process; its endpoint is a closed port, so requests fail fast
/// and are counted, and nothing leaves the machine.
fn shared_client() -> mc_client_t {
    static CLIENT: OnceLock<mc_client_t> = OnceLock::new();
    *CLIENT.get_or_init(|| {
        let mut cfg: mc_client_config = unsafe { std::mem::zeroed() };
        mc_client_config_init_sized(&mut cfg, std::mem::size_of_val(&cfg));
        cfg.endpoint = c"http://127.0.0.1:1".as_ptr();
        cfg.tracking_server = c"fuzz.sc.omtrdc.net".as_ptr();
        cfg.report_suite = c"fuzz".as_ptr();
        cfg.org_id = c"FUZZ@AdobeOrg".as_ptr();
        cfg.connect_timeout_ms = 50;
        cfg.request_timeout_ms = 100;
        cfg.retry_base_ms = 10;
        cfg.retry_cap_ms = 50;
        // Requests fail fast (nothing listens): few attempts, a short outage probe, so held
        // events stay few.
        cfg.event_max_attempts = 3;
        cfg.outage_probe_interval_ms = 200;
        cfg.release_window_ms = 50;
        cfg.queue_capacity = 1024;
        let mut out = 0;
        assert_eq!(mc_client_new(&cfg, &mut out), mc_status::MC_OK);
        out
    })
}

/// A cursor over the fuzz input.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn bool(&mut self) -> bool {
        self.byte().is_some_and(|b| b & 1 == 1)
    }

    /// A NUL-terminated string of up to 63 fuzzed bytes (an interior NUL just ends it early).
    fn string(&mut self) -> Vec<c_char> {
        let n = self.byte().unwrap_or(0) as usize % 64;
        let take = n.min(self.0.len());
        let mut s: Vec<c_char> = self.0[..take].iter().map(|&b| b as c_char).collect();
        self.0 = &self.0[take..];
        s.push(0);
        s
    }

    /// Mostly small, sometimes NaN, infinite, negative or huge.
    fn f64(&mut self) -> f64 {
        match self.byte().unwrap_or(0) % 8 {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => -1.0,
            3 => f64::MAX,
            _ => self.byte().unwrap_or(0) as f64,
        }
    }

    /// A live tracker mostly; else a freed one, 0, the client handle or random bits.
    fn handle(&mut self, live: &[u64], freed: &[u64], client: u64) -> u64 {
        let b = self.byte().unwrap_or(0);
        match b % 8 {
            0 => freed.get(b as usize / 8 % freed.len().max(1)).copied().unwrap_or(0),
            1 => 0,
            2 => client,
            3 => u64::from(b).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            _ => live.get(b as usize / 8 % live.len().max(1)).copied().unwrap_or(0),
        }
    }
}
