//! A fleet simulator: many copies of the real sans-IO `Core` (one per simulated device, as the
//! worker drives it) on one virtual clock against a modelled back end in trouble, to show what
//! a whole fleet does to a back end that fails (README, Reliability: "Fleet simulation").
//!
//! - `backend`: the modelled back end (latency, sessions and their expiry, capacity, faults).
//! - `viewer`: the viewing model (sessions, ads, pauses, buffering; random start times).
//! - `sim`: the virtual clock and event queue driving every player's core.
//! - `record`: what the back end saw, per second.
//! - `scenario`: the fault scripts and the figures each is judged by.
//! - `report`: figures next to goals, CSV and SVG.

pub mod backend;
pub mod record;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod viewer;

/// Peak resident memory of this process so far (Linux `VmHWM`), bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
