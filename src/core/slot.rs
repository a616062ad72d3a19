//! The per-tracker slot the player's thread writes without blocking: playhead and QoE.
//! `mc_update_playhead` and `mc_update_qoe` only store here; they never touch the channel or
//! wake the worker. Event commands carry a snapshot; pings read the slot when they fire.

use std::sync::atomic::{AtomicU64, Ordering, fence};

/// Quality of experience as the player last reported it. Sent as integers (truncated), as
/// Adobe's SDK does.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Qoe {
    /// Bits per second.
    pub bitrate: f64,
    /// Cumulative dropped frames in the session.
    pub dropped_frames: f64,
    pub fps: f64,
    /// Milliseconds from the play request to the first frame.
    pub startup_time: f64,
}

/// Playhead (an f64 in an atomic) and QoE (a seqlock: a writer bumps `seq` to odd, stores, bumps
/// to even; a reader retries while `seq` is odd or changed). Writers of one tracker are expected
/// to be one thread at a time, as with any tracker call; concurrent writers still never block,
/// and a reader never returns a torn value.
#[derive(Debug)]
pub struct TrackerSlot {
    playhead: AtomicU64,
    seq: AtomicU64,
    qoe: [AtomicU64; 4],
    qoe_set: AtomicU64,
}

impl Default for TrackerSlot {
    fn default() -> Self {
        TrackerSlot::new()
    }
}

impl TrackerSlot {
    pub fn new() -> TrackerSlot {
        TrackerSlot {
            playhead: AtomicU64::new(0f64.to_bits()),
            seq: AtomicU64::new(0),
            qoe: Default::default(),
            qoe_set: AtomicU64::new(0),
        }
    }

    pub fn set_playhead(&self, seconds: f64) {
        self.playhead.store(seconds.to_bits(), Ordering::Release);
    }

    pub fn playhead(&self) -> f64 {
        f64::from_bits(self.playhead.load(Ordering::Acquire))
    }

    pub fn set_qoe(&self, q: Qoe) {
        self.seq.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::Release);
        for (cell, v) in self.qoe.iter().zip([q.bitrate, q.dropped_frames, q.fps, q.startup_time]) {
            cell.store(v.to_bits(), Ordering::Relaxed);
        }
        self.qoe_set.store(1, Ordering::Relaxed);
        self.seq.fetch_add(1, Ordering::Release);
    }

    /// The last QoE stored, or None when the player never set one.
    pub fn qoe(&self) -> Option<Qoe> {
        loop {
            let before = self.seq.load(Ordering::Acquire);
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let v: [f64; 4] = std::array::from_fn(|i| f64::from_bits(self.qoe[i].load(Ordering::Relaxed)));
            let set = self.qoe_set.load(Ordering::Relaxed) == 1;
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) == before {
                return set.then_some(Qoe { bitrate: v[0], dropped_frames: v[1], fps: v[2], startup_time: v[3] });
            }
        }
    }

    /// Forget the QoE (a new tracking session starts from none).
    pub fn clear_qoe(&self) {
        self.seq.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::Release);
        self.qoe_set.store(0, Ordering::Relaxed);
        self.seq.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playhead_and_qoe_round_trip() {
        let s = TrackerSlot::new();
        assert_eq!(s.playhead(), 0.0);
        assert_eq!(s.qoe(), None);
        s.set_playhead(12.5);
        assert_eq!(s.playhead(), 12.5);
        let q = Qoe { bitrate: 1e6, dropped_frames: 2.0, fps: 23.5, startup_time: 20.0 };
        s.set_qoe(q);
        assert_eq!(s.qoe(), Some(q));
        s.clear_qoe();
        assert_eq!(s.qoe(), None);
    }
}
