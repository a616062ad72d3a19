//! The pre-roll waiting window (tracker.md §4.6). After sessionStart, calls are held for a
//! short time so that an app calling `play` just before the pre-roll's `AdBreakStart` does not
//! report content playing before the ad. A deadline releases the window, or at once a call that
//! can only make sense after it (ad break start/complete, complete, sessionEnd).

use std::time::Instant;

use crate::core::{Call, Qoe, Stamp};

/// Held calls beyond this release the window at once (a runaway player, a huge window).
const MAX_HELD: usize = 1024;

/// One call as it arrived: its own stamp, playhead and QoE snapshots are kept for the replay.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    pub(crate) at: Stamp,
    pub(crate) playhead: f64,
    pub(crate) qoe: Option<Qoe>,
    pub(crate) call: Call,
}

#[derive(Debug, Clone)]
pub(crate) struct Preroll {
    /// None when the window would end beyond the clock's range (then only a call releases it).
    pub(crate) due: Option<Instant>,
    held: Vec<Held>,
}

impl Preroll {
    pub(crate) fn new(due: Option<Instant>) -> Preroll {
        Preroll { due, held: Vec::new() }
    }

    /// Holds a call; true when the window must be released now.
    pub(crate) fn hold(&mut self, h: Held) -> bool {
        let releases =
            matches!(h.call, Call::AdBreakStart(_) | Call::AdBreakComplete | Call::Complete | Call::SessionEnd);
        self.held.push(h);
        releases || self.held.len() >= MAX_HELD
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// The calls to replay, in order, and the plays dropped because they came before the
    /// first held AdBreakStart.
    pub(crate) fn release(self) -> (Vec<Held>, Vec<Held>) {
        let Some(first_break) = self.held.iter().position(|h| matches!(h.call, Call::AdBreakStart(_))) else {
            return (self.held, Vec::new());
        };
        let (mut kept, mut dropped) = (Vec::with_capacity(self.held.len()), Vec::new());
        for (i, h) in self.held.into_iter().enumerate() {
            if i < first_break && h.call == Call::Play {
                dropped.push(h);
            } else {
                kept.push(h);
            }
        }
        (kept, dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::AdBreakInfo;

    fn held(call: Call) -> Held {
        Held { at: Stamp { mono: Instant::now(), ts: 0 }, playhead: 0.0, qoe: None, call }
    }

    #[test]
    fn plays_before_the_first_break_are_dropped() {
        let b = Call::AdBreakStart(Box::new(AdBreakInfo { name: "b".into(), position: 1, start_time: 0.0 }));
        let mut p = Preroll::new(None);
        assert!(!p.hold(held(Call::Play)));
        assert!(!p.hold(held(Call::Pause)));
        assert!(!p.hold(held(Call::Play)));
        assert!(p.hold(held(b.clone())));
        let (kept, dropped) = p.release();
        assert_eq!(kept.iter().map(|h| h.call.name()).collect::<Vec<_>>(), ["pause", "ad_break_start"]);
        assert_eq!(dropped.len(), 2);
    }

    #[test]
    fn without_a_break_everything_is_replayed() {
        let mut p = Preroll::new(None);
        p.hold(held(Call::Play));
        p.hold(held(Call::ChapterSkip));
        let (kept, dropped) = p.release();
        assert_eq!(kept.len(), 2);
        assert!(dropped.is_empty());
    }
}
