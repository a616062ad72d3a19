//! The fleet on one virtual clock: every player owns a real `Core` (its client's sans-IO core,
//! one tracker) and a viewing model; one queue of wake-up times drives them all against one
//! modelled back end.
//!
//! A player wakes when the first of these comes: a response arriving, its next viewing call, or
//! its core's own deadline (`poll_timeout`). Each wake runs the core exactly as the worker does:
//! responses, calls, `handle_timeout`, then every request `poll_request` gives goes to the back
//! end, whose answer comes back after its latency. Notices are drained as the worker drains
//! them. At the end the requests still in flight get their answers, then every core shuts down,
//! so what the cores counted can be checked against what the back end received, exactly.
//!
//! A fleet runs as independent shards (one per CPU), each with its own share of the players and
//! of the back end's capacity; their records are summed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use media_collection::core::{Core, CoreConfig, Counter, RequestId, Stamp, TrackerConfig, TrackerSlot};
use media_collection::stats::{COUNTERS, Stats};

use crate::backend::{Answer, Backend, FaultWindow};
use crate::record::{Column, Recorder};
use crate::rng::Rng;
use crate::viewer::{TRACKER, Viewer};

/// The wall-clock anchor of virtual time 0 (`playerTime.ts`), November 2025.
const TS0: i64 = 1_763_000_000_000;
const NEVER: u64 = u64::MAX;

/// Requests closer together than `min_gap_ms` from one client inside `[from_ms, to_ms)` are
/// counted (the per-client bound under `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GapCheck {
    pub from_ms: u64,
    pub to_ms: u64,
    pub min_gap_ms: u64,
}

#[derive(Debug, Clone)]
pub struct FleetConfig {
    pub players: u64,
    /// Virtual run length; the viewing model and deadlines stop here.
    pub seconds: u64,
    pub faults: Vec<FaultWindow>,
    /// Seconds `[from, to)` whose request rate a `Capacity` fault multiplies.
    pub steady_window: (u64, u64),
    pub gap_check: Option<GapCheck>,
    pub core: CoreConfig,
    pub seed: u64,
    pub shards: usize,
    /// Print progress every this many virtual seconds (0: never).
    pub progress_every: u64,
}

/// What a fleet run produced: the back end's record and the cores' own counters.
#[derive(Debug, Clone)]
pub struct FleetResult {
    pub rec: Recorder,
    /// Every core's counters, summed.
    pub counters: [u64; COUNTERS],
    /// Events the back end answered 2xx.
    pub accepted_events: u64,
    /// Events still held when the run ended (counted `shut_down` by the final shutdown).
    pub held_at_end: u64,
    /// Requests that came closer than the gap check allows, and the clients that sent them.
    pub gap_violations: u64,
    pub clients_over_gap: u64,
    /// Clients that sent at least one request inside the gap check's window.
    pub clients_in_gap_window: u64,
    pub requests_in_gap_window: u64,
    /// The closest two requests of one client inside the gap check's window, ms.
    pub min_gap_ms: u64,
    pub sessions_viewed: u64,
    pub wall: Duration,
}

impl FleetResult {
    pub fn counter(&self, c: Counter) -> u64 {
        self.counters[c as usize]
    }
}

/// One simulated device: its client's core with one tracker, and what its viewer does.
struct Player {
    core: Core,
    slot: Arc<TrackerSlot>,
    viewer: Viewer,
    rng: Rng,
    /// Requests sent and not yet answered: when the answer arrives, and what it is.
    in_flight: Vec<(u64, RequestId, Answer)>,
    /// The wake-up time this player is filed under in the queue.
    wake: u64,
    /// `pending_events()` at the end of its last wake.
    held: u32,
    last_request_ms: u64,
    over_gap: bool,
}

struct Shard<'a> {
    cfg: &'a FleetConfig,
    base: Instant,
    players: Vec<Player>,
    queue: BinaryHeap<Reverse<(u64, u32)>>,
    backend: Backend,
    held_total: u64,
    gap_violations: u64,
    clients_over_gap: u64,
    clients_in_gap_window: u64,
    requests_in_gap_window: u64,
    min_gap_ms: u64,
}

/// Runs the fleet: `cfg.shards` threads, each a share of the players.
pub fn run(cfg: &FleetConfig) -> FleetResult {
    let started = Instant::now();
    let shards = cfg.shards.max(1).min(cfg.players.max(1) as usize);
    let results: Vec<FleetResult> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..shards)
            .map(|i| {
                let lo = cfg.players * i as u64 / shards as u64;
                let hi = cfg.players * (i as u64 + 1) / shards as u64;
                s.spawn(move || run_shard(cfg, i, lo, hi))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a shard panicked")).collect()
    });
    let mut total = results[0].clone();
    for r in &results[1..] {
        total.rec.merge(&r.rec);
        for (a, b) in total.counters.iter_mut().zip(r.counters) {
            *a += b;
        }
        total.accepted_events += r.accepted_events;
        total.held_at_end += r.held_at_end;
        total.gap_violations += r.gap_violations;
        total.clients_over_gap += r.clients_over_gap;
        total.clients_in_gap_window += r.clients_in_gap_window;
        total.requests_in_gap_window += r.requests_in_gap_window;
        total.min_gap_ms = total.min_gap_ms.min(r.min_gap_ms);
        total.sessions_viewed += r.sessions_viewed;
    }
    total.wall = started.elapsed();
    total
}

fn run_shard(cfg: &FleetConfig, shard: usize, lo: u64, hi: u64) -> FleetResult {
    let stats = Arc::new(Stats::new());
    let base = Instant::now();
    let mut players = Vec::with_capacity((hi - lo) as usize);
    let mut queue = BinaryHeap::with_capacity((hi - lo) as usize);
    for i in lo..hi {
        let mut rng = Rng::new(cfg.seed ^ (i.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
        let slot = Arc::new(TrackerSlot::new());
        let mut core = Core::new(cfg.core.clone(), stats.clone(), rng.next_u64());
        core.add_tracker(TRACKER, TrackerConfig::default(), slot.clone());
        let viewer = Viewer::new(&mut rng);
        let wake = viewer.next_at;
        queue.push(Reverse((wake, (i - lo) as u32)));
        players.push(Player {
            core,
            slot,
            viewer,
            rng,
            in_flight: Vec::new(),
            wake,
            held: 0,
            last_request_ms: NEVER,
            over_gap: false,
        });
    }
    let backend = Backend::new(cfg.faults.clone(), cfg.steady_window, cfg.seconds as usize, cfg.seed ^ shard as u64);
    let mut s = Shard {
        cfg,
        base,
        players,
        queue,
        backend,
        held_total: 0,
        gap_violations: 0,
        clients_over_gap: 0,
        clients_in_gap_window: 0,
        requests_in_gap_window: 0,
        min_gap_ms: NEVER,
    };
    let end_ms = cfg.seconds * 1000;
    let mut second = 0;
    while let Some(&Reverse((t, p))) = s.queue.peek() {
        if t >= end_ms {
            break;
        }
        s.queue.pop();
        while second < t / 1000 {
            s.backend.rec.set(second, Column::Held, s.held_total);
            second += 1;
            if shard == 0 && cfg.progress_every > 0 && second % cfg.progress_every == 0 {
                eprintln!(
                    "  t = {:>5} min: {:>9.0} requests/s, {} events held (shard 0 of {}), {:.0} s wall",
                    second / 60,
                    s.backend.rec.get(second - 1, Column::Requests),
                    s.held_total,
                    cfg.shards,
                    base.elapsed().as_secs_f64()
                );
            }
        }
        if s.players[p as usize].wake == t {
            s.wake(p as usize, t);
        }
    }
    while second < cfg.seconds {
        s.backend.rec.set(second, Column::Held, s.held_total);
        second += 1;
    }
    s.finish(stats)
}

impl Shard<'_> {
    fn stamp(&self, t: u64) -> Stamp {
        Stamp { mono: self.base + Duration::from_millis(t), ts: TS0 + t as i64 }
    }

    /// Virtual ms of a core deadline, rounded up so that a wake at that ms finds it due.
    fn ms_of(&self, at: Instant) -> u64 {
        let ns = at.saturating_duration_since(self.base).as_nanos();
        ns.div_ceil(1_000_000) as u64
    }

    fn wake(&mut self, p: usize, t: u64) {
        let at = self.stamp(t);
        let deadline_due = {
            let pl = &mut self.players[p];
            if !pl.in_flight.is_empty() {
                pl.in_flight.sort_unstable_by_key(|f| f.0);
                let due = pl.in_flight.iter().take_while(|f| f.0 <= t).count();
                for (_, id, answer) in pl.in_flight.drain(..due).collect::<Vec<_>>() {
                    pl.core.handle_response(id, at, answer.outcome());
                }
            }
            if pl.viewer.next_at <= t {
                pl.viewer.act(t, at, &mut pl.core, &pl.slot, &mut pl.rng);
            }
            pl.core.poll_timeout()
        };
        if deadline_due.is_some_and(|d| self.ms_of(d) <= t) {
            self.players[p].core.handle_timeout(at);
        }
        while let Some(req) = self.players[p].core.poll_request() {
            let (latency, answer) = self.backend.handle(t, &req);
            self.players[p].in_flight.push((t + latency, req.id, answer));
            self.check_gap(p, t);
        }
        let pl = &mut self.players[p];
        while pl.core.poll_notice().is_some() {}
        let held = pl.core.pending_events() as u32;
        self.held_total = self.held_total + held as u64 - pl.held as u64;
        pl.held = held;
        let deadline = pl.core.poll_timeout();
        let pl = &self.players[p];
        let mut next = pl.in_flight.iter().map(|f| f.0).min().unwrap_or(NEVER).min(pl.viewer.next_at);
        if let Some(d) = deadline {
            next = next.min(self.ms_of(d));
        }
        // Whatever is due now was handled; a deadline left due is looked at again 1 ms on.
        let next = next.max(t + 1);
        self.players[p].wake = next;
        self.queue.push(Reverse((next, p as u32)));
    }

    fn check_gap(&mut self, p: usize, t: u64) {
        let Some(g) = self.cfg.gap_check else { return };
        if !(g.from_ms..g.to_ms).contains(&t) {
            return;
        }
        self.requests_in_gap_window += 1;
        let pl = &mut self.players[p];
        if pl.last_request_ms == NEVER || pl.last_request_ms < g.from_ms {
            self.clients_in_gap_window += 1;
        } else {
            let gap = t - pl.last_request_ms;
            self.min_gap_ms = self.min_gap_ms.min(gap);
            if gap < g.min_gap_ms {
                self.gap_violations += 1;
                if !pl.over_gap {
                    pl.over_gap = true;
                    self.clients_over_gap += 1;
                }
            }
        }
        pl.last_request_ms = t;
    }

    /// Answers what is in flight (the back end is whatever the script says at the end), then
    /// shuts every core down so that everything still held is counted.
    fn finish(mut self, stats: Arc<Stats>) -> FleetResult {
        let end = self.cfg.seconds * 1000;
        let mut held_at_end = 0;
        let mut sessions_viewed = 0;
        for pl in &mut self.players {
            pl.in_flight.sort_unstable_by_key(|f| f.0);
            for (due, id, answer) in std::mem::take(&mut pl.in_flight) {
                let t = due.max(end);
                let at = Stamp { mono: self.base + Duration::from_millis(t), ts: TS0 + t as i64 };
                pl.core.handle_response(id, at, answer.outcome());
            }
            held_at_end += pl.core.shut_down();
            while pl.core.poll_notice().is_some() {}
            sessions_viewed += pl.viewer.sessions() as u64;
        }
        FleetResult {
            rec: self.backend.rec,
            counters: stats.snapshot(),
            accepted_events: self.backend.accepted_events,
            held_at_end,
            gap_violations: self.gap_violations,
            clients_over_gap: self.clients_over_gap,
            clients_in_gap_window: self.clients_in_gap_window,
            requests_in_gap_window: self.requests_in_gap_window,
            min_gap_ms: self.min_gap_ms,
            sessions_viewed,
            wall: Duration::ZERO,
        }
    }
}
