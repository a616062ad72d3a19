//! The footprint baseline: the C functions footprint_player.c calls, each touching the
//! dependencies the real library uses (so the linker keeps their code) and nothing more.
#![allow(clippy::missing_safety_doc)]

use std::ffi::{c_char, c_void};
use std::panic::catch_unwind;
use std::sync::OnceLock;

use crossbeam_channel::{Receiver, Sender, bounded};

/// The command queue: both ends, as the real client keeps them.
type Queue = (Sender<Vec<u8>>, Receiver<Vec<u8>>);

static QUEUE: OnceLock<Queue> = OnceLock::new();

fn queue() -> &'static Queue {
    QUEUE.get_or_init(|| bounded(1024))
}

/// Every export goes through this, as every export of the library goes through its boundary.
fn boundary(f: impl FnOnce() -> u32) -> u32 {
    catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(13)
}

fn send(tag: &str) -> u32 {
    boundary(|| {
        let body = serde_json::to_vec(&serde_json::json!({ "eventType": tag })).unwrap_or_default();
        match queue().0.try_send(body) {
            Ok(()) => 0,
            Err(_) => 9,
        }
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_client_config_init_sized(c: *mut c_void, _size: usize) -> u32 {
    if c.is_null() { 1 } else { 0 }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn mc_client_new(c: *const c_void, out: *mut u64) -> u32 {
    boundary(|| {
        if c.is_null() || out.is_null() {
            return 1;
        }
        let rx = queue().1.clone();
        // A worker thread with a libcurl multi and easy handle, fed JSON parsed back from the
        // queue: the shape of the real worker, with no logic.
        let spawned = std::thread::Builder::new().spawn(move || {
            let multi = curl::multi::Multi::new();
            let mut easy = curl::easy::Easy::new();
            while let Ok(body) = rx.recv() {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let _ = easy.url(v["eventType"].as_str().unwrap_or("http://127.0.0.1:9"));
                let _ = multi.poll(&mut [], std::time::Duration::from_millis(1));
            }
        });
        if spawned.is_err() {
            return 22;
        }
        unsafe { out.write(1) };
        0
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn mc_tracker_new(_c: u64, _cfg: *const c_void, out: *mut u64) -> u32 {
    if out.is_null() {
        return 1;
    }
    unsafe { out.write(2) };
    0
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_media_info_init_sized(m: *mut c_void, _size: usize) -> u32 {
    if m.is_null() { 1 } else { 0 }
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_ad_break_info_init_sized(m: *mut c_void, _size: usize) -> u32 {
    if m.is_null() { 1 } else { 0 }
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_ad_info_init_sized(m: *mut c_void, _size: usize) -> u32 {
    if m.is_null() { 1 } else { 0 }
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_track_session_start(_t: u64, _m: *const c_void, _md: *const c_void, _n: usize) -> u32 {
    send("sessionStart")
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_track_play(_t: u64) -> u32 {
    send("play")
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_track_pause(_t: u64) -> u32 {
    send("pauseStart")
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_track_ad_break_start(_t: u64, _b: *const c_void) -> u32 {
    send("adBreakStart")
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_track_ad_start(_t: u64, _a: *const c_void, _md: *const c_void, _n: usize) -> u32 {
    send("adStart")
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_track_ad_complete(_t: u64) -> u32 {
    send("adComplete")
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_track_ad_break_complete(_t: u64) -> u32 {
    send("adBreakComplete")
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_update_playhead(_t: u64, _s: f64) -> u32 {
    0
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_track_complete(_t: u64) -> u32 {
    send("sessionComplete")
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_tracker_free(_t: u64) -> u32 {
    0
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_client_free(_c: u64, _ms: u32) -> u32 {
    0
}

#[unsafe(no_mangle)]
pub extern "C" fn mc_status_str(s: u32) -> *const c_char {
    if s == 0 { c"MC_OK".as_ptr() } else { c"MC_ERR".as_ptr() }
}
