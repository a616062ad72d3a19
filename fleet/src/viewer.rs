//! The viewing model: what one household does with its player, as tracker calls on the core.
//!
//! Off for a while (exponential, mean 25 min), then a session: a pre-roll ad break half the
//! time (one to three ads of 15–30 s), content of a mixed length (clips of 2–10 min, episodes of
//! 20–45 min, films of 60–120 min) watched to the end half the time and otherwise abandoned part
//! way, mid-roll breaks every 8–15 min of content, pauses (mean every 20 min, mostly short, some
//! abandoned), buffering (mean every 15 min, 1–5 s). About half the fleet watches at any moment.
//! Players start at random times, some already in a session.

use std::time::Duration;

use media_collection::core::{AdBreakInfo, AdInfo, Call, Core, MediaInfo, Snapshot, Stamp, TrackerId, TrackerSlot};

use crate::rng::Rng;

/// The one tracker of each simulated player.
pub const TRACKER: TrackerId = 1;

const MIN: f64 = 60_000.0;
const MEAN_OFF_MS: f64 = 25.0 * MIN;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Off,
    /// In an ad break; `ads_left` more ads follow the current one.
    Ad,
    Playing,
    Paused,
    Buffering,
}

/// What ends the current stretch of playing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    End,
    MidRoll,
    Pause,
    Buffer,
}

/// One player's viewing state: 32 bytes, so a million of them stay small.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// When the next call is due (virtual ms).
    pub next_at: u64,
    /// When the current stretch of playing began.
    since: u64,
    /// Content position, seconds.
    playhead: f32,
    /// Content still to watch in this session, ms.
    left_ms: u32,
    /// Content until the next mid-roll, ms.
    to_midroll_ms: u32,
    sessions: u16,
    state: State,
    next: Next,
    ads_left: u8,
    ad_position: u8,
    break_position: u8,
    completes: bool,
}

impl Viewer {
    /// A player at virtual time 0: watching already with probability about one half (its
    /// session starts within the first minute), else off for a random while.
    pub fn new(rng: &mut Rng) -> Viewer {
        let next_at = if rng.chance(0.5) { rng.range(0, 60_000) } else { rng.exp(MEAN_OFF_MS) as u64 };
        Viewer {
            next_at,
            since: 0,
            playhead: 0.0,
            left_ms: 0,
            to_midroll_ms: 0,
            sessions: 0,
            state: State::Off,
            next: Next::End,
            ads_left: 0,
            ad_position: 0,
            break_position: 0,
            completes: false,
        }
    }

    /// Makes the calls due at `now` (`next_at`) and schedules the next ones.
    pub fn act(&mut self, now: u64, at: Stamp, core: &mut Core, slot: &TrackerSlot, rng: &mut Rng) {
        let call = |core: &mut Core, playhead: f32, c: Call| {
            slot.set_playhead(playhead as f64);
            core.handle_call(TRACKER, Snapshot { at, playhead: playhead as f64, qoe: None }, c);
        };
        match self.state {
            State::Off => {
                self.start_session(now, at, core, slot, rng);
            }
            State::Ad => {
                call(core, self.playhead, Call::AdComplete);
                if self.ads_left > 0 {
                    self.ads_left -= 1;
                    self.start_ad(now, core, slot, at, rng);
                } else {
                    call(core, self.playhead, Call::AdBreakComplete);
                    call(core, self.playhead, Call::Play);
                    self.play(now, rng);
                }
            }
            State::Playing => {
                let watched = (now - self.since) as u32;
                self.left_ms = self.left_ms.saturating_sub(watched);
                self.to_midroll_ms = self.to_midroll_ms.saturating_sub(watched);
                self.playhead += watched as f32 / 1000.0;
                match self.next {
                    Next::End => {
                        if self.completes {
                            call(core, self.playhead, Call::Complete);
                        }
                        call(core, self.playhead, Call::SessionEnd);
                        self.off(now, rng);
                    }
                    Next::MidRoll => {
                        self.break_position += 1;
                        let pod = AdBreakInfo {
                            name: "mid-roll".into(),
                            position: self.break_position as u32,
                            start_time: self.playhead as f64,
                        };
                        call(core, self.playhead, Call::AdBreakStart(Box::new(pod)));
                        self.ad_position = 0;
                        self.ads_left = rng.range(0, 3) as u8;
                        self.to_midroll_ms = rng.range(8, 16) as u32 * 60_000;
                        self.start_ad(now, core, slot, at, rng);
                    }
                    Next::Pause => {
                        call(core, self.playhead, Call::Pause);
                        self.state = State::Paused;
                        self.next_at = now + (rng.exp(60_000.0) as u64).min(20 * 60_000) + 1_000;
                    }
                    Next::Buffer => {
                        call(core, self.playhead, Call::BufferStart);
                        self.state = State::Buffering;
                        self.next_at = now + rng.range(1_000, 5_000);
                    }
                }
            }
            State::Paused => {
                if rng.chance(0.15) {
                    call(core, self.playhead, Call::SessionEnd);
                    self.off(now, rng);
                } else {
                    call(core, self.playhead, Call::Play);
                    self.play(now, rng);
                }
            }
            State::Buffering => {
                call(core, self.playhead, Call::BufferComplete);
                self.play(now, rng);
            }
        }
    }

    fn start_session(&mut self, now: u64, at: Stamp, core: &mut Core, slot: &TrackerSlot, rng: &mut Rng) {
        self.sessions = self.sessions.wrapping_add(1);
        let kind = rng.unit();
        let length_min = if kind < 0.4 {
            rng.range(2, 11)
        } else if kind < 0.8 {
            rng.range(20, 46)
        } else {
            rng.range(60, 121)
        };
        let length_ms = length_min as u32 * 60_000;
        self.completes = rng.chance(0.5);
        self.left_ms =
            if self.completes { length_ms } else { (length_ms as f64 * rng.range(5, 100) as f64 / 100.0) as u32 };
        self.to_midroll_ms = rng.range(8, 16) as u32 * 60_000;
        self.playhead = 0.0;
        self.break_position = 0;
        let media = MediaInfo {
            id: format!("media-{}", rng.range(0, 5_000)),
            name: "Fleet title".into(),
            length: (length_ms / 1000) as f64,
            content_type: "vod".into(),
            preroll_wait: Some(Duration::from_millis(250)),
            ..MediaInfo::default()
        };
        slot.set_playhead(0.0);
        core.handle_call(
            TRACKER,
            Snapshot { at, playhead: 0.0, qoe: None },
            Call::SessionStart { media: Box::new(media), metadata: Vec::new() },
        );
        if rng.chance(0.5) {
            self.break_position = 1;
            let pod = AdBreakInfo { name: "pre-roll".into(), position: 1, start_time: 0.0 };
            core.handle_call(TRACKER, Snapshot { at, playhead: 0.0, qoe: None }, Call::AdBreakStart(Box::new(pod)));
            self.ad_position = 0;
            self.ads_left = rng.range(0, 3) as u8;
            self.start_ad(now, core, slot, at, rng);
        } else {
            core.handle_call(TRACKER, Snapshot { at, playhead: 0.0, qoe: None }, Call::Play);
            self.play(now, rng);
        }
    }

    fn start_ad(&mut self, now: u64, core: &mut Core, slot: &TrackerSlot, at: Stamp, rng: &mut Rng) {
        self.ad_position += 1;
        let length_s = rng.range(15, 31);
        let ad = AdInfo {
            id: format!("ad-{}", rng.range(0, 500)),
            name: "Fleet ad".into(),
            position: self.ad_position as u32,
            length: length_s as f64,
        };
        slot.set_playhead(self.playhead as f64);
        core.handle_call(
            TRACKER,
            Snapshot { at, playhead: self.playhead as f64, qoe: None },
            Call::AdStart { ad: Box::new(ad), metadata: Vec::new() },
        );
        self.state = State::Ad;
        self.next_at = now + length_s * 1000;
    }

    /// Content plays from `now` until the end, a mid-roll, a pause or buffering.
    fn play(&mut self, now: u64, rng: &mut Rng) {
        self.state = State::Playing;
        self.since = now;
        let pause = rng.exp(20.0 * MIN) as u64;
        let buffer = rng.exp(15.0 * MIN) as u64;
        let mut next = (self.left_ms as u64, Next::End);
        for candidate in [(self.to_midroll_ms as u64, Next::MidRoll), (pause, Next::Pause), (buffer, Next::Buffer)] {
            if candidate.0 < next.0 {
                next = candidate;
            }
        }
        self.next = next.1;
        self.next_at = now + next.0.max(1);
    }

    fn off(&mut self, now: u64, rng: &mut Rng) {
        self.state = State::Off;
        self.next_at = now + (rng.exp(MEAN_OFF_MS) as u64).max(1_000);
    }

    /// Sessions this player has started.
    pub fn sessions(&self) -> u16 {
        self.sessions
    }
}
