//! The scenarios of the fleet-safety goals, each a fault script over a steady state, and the
//! figures each is judged by.
//!
//! | scenario | fault | goals |
//! |---|---|---|
//! | outage | total outage: connections refused, then (second half) timing out | rate during it ≤ 20 % of steady; peak in the 10 min after ≤ 2× steady |
//! | throttle | 429 + `Retry-After: 120` | no client sends twice within 120 s; nothing dropped but counted cap overflow (and `session_expired` when the throttle outlasts the back end's session expiry) |
//! | gone | 410 for every session after 3 events | sessionStart rate over its second half-hour ≤ 1.5× steady |
//! | limited | total outage, then capacity 1.5× the steady rate | no minute with more than 10 % 503; time to drain reported |
//!
//! Every scenario also checks the accounting: events generated = delivered + drops counted by
//! reason, exactly, and delivered = what the back end accepted.

use media_collection::core::{CoreConfig, Counter};

use crate::backend::{Fault, FaultWindow};
use crate::record::Column;
use crate::sim::{self, FleetConfig, FleetResult, GapCheck};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Outage,
    Throttle,
    Gone,
    Limited,
}

pub const ALL: [Kind; 4] = [Kind::Outage, Kind::Throttle, Kind::Gone, Kind::Limited];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Outage => "outage",
            Kind::Throttle => "throttle",
            Kind::Gone => "gone",
            Kind::Limited => "limited",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        ALL.into_iter().find(|k| k.name() == s)
    }
}

/// How long the phases last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// The durations: 1 h outage, 30 min throttle, 1 h of 410, 30 min outage before a
    /// limited recovery; 20 min of steady state before each.
    Full,
    /// About 10 virtual minutes per scenario, for the test: 3 min steady, 5 min of fault, 3 min
    /// after (the gone figure then covers the fault's second half).
    Reduced,
}

/// When the phases begin and end, seconds of virtual time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    /// Steady state is measured over `[warmup, fault_start)`.
    pub warmup: u64,
    pub fault_start: u64,
    pub fault_end: u64,
    pub end: u64,
}

/// The throttle's `Retry-After`, seconds.
pub const RETRY_AFTER_S: u32 = 120;
/// The gone scenario: sessions answer 410 after this many events.
pub const GONE_AFTER: u32 = 3;
/// Recovery capacity, multiple of the steady request rate.
pub const RECOVERY_CAPACITY: f64 = 1.5;

pub fn timeline(kind: Kind, scale: Scale) -> Timeline {
    let (warmup, steady, fault, after) = match (scale, kind) {
        (Scale::Full, Kind::Outage) => (300, 1200, 3600, 1800),
        (Scale::Full, Kind::Throttle) => (300, 1200, 1800, 1200),
        (Scale::Full, Kind::Gone) => (300, 1200, 3600, 600),
        (Scale::Full, Kind::Limited) => (300, 1200, 1800, 2400),
        (Scale::Reduced, _) => (60, 180, 300, 180),
    };
    Timeline { warmup, fault_start: steady, fault_end: steady + fault, end: steady + fault + after }
}

fn faults(kind: Kind, t: Timeline) -> Vec<FaultWindow> {
    let (from, to) = (t.fault_start * 1000, t.fault_end * 1000);
    let window = |fault| FaultWindow { from_ms: from, to_ms: to, fault };
    match kind {
        // The first half refuses connections (fast failures), the second black-holes them.
        Kind::Outage => {
            let mid = (from + to) / 2;
            vec![
                FaultWindow { from_ms: from, to_ms: mid, fault: Fault::Outage { timeouts: false } },
                FaultWindow { from_ms: mid, to_ms: to, fault: Fault::Outage { timeouts: true } },
            ]
        }
        Kind::Throttle => vec![window(Fault::Status { status: 429, retry_after: Some(RETRY_AFTER_S) })],
        Kind::Gone => vec![window(Fault::GoneAfter(GONE_AFTER))],
        Kind::Limited => vec![
            window(Fault::Outage { timeouts: false }),
            FaultWindow { from_ms: to, to_ms: u64::MAX, fault: Fault::Capacity(RECOVERY_CAPACITY) },
        ],
    }
}

/// One figure next to its goal.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub name: String,
    pub value: String,
    pub goal: String,
    /// None: reported, not judged.
    pub met: Option<bool>,
}

impl Figure {
    fn judged(name: &str, value: String, goal: &str, met: bool) -> Figure {
        Figure { name: name.into(), value, goal: goal.into(), met: Some(met) }
    }

    fn reported(name: &str, value: String) -> Figure {
        Figure { name: name.into(), value, goal: "reported".into(), met: None }
    }
}

/// Counters that are a reason an event was not delivered.
pub const DROP_REASONS: [Counter; 9] = [
    Counter::CacheOverflow,
    Counter::SessionNotCreated,
    Counter::Rejected400,
    Counter::SessionGone,
    Counter::RetryExhausted,
    Counter::ShutDown,
    Counter::OptedOut,
    Counter::RestartBudgetExhausted,
    Counter::SessionExpired,
];

pub struct Outcome {
    pub kind: Kind,
    pub timeline: Timeline,
    pub result: FleetResult,
    pub figures: Vec<Figure>,
}

impl Outcome {
    pub fn all_met(&self) -> bool {
        self.figures.iter().all(|f| f.met != Some(false))
    }
}

pub fn config(kind: Kind, scale: Scale, players: u64, shards: usize, seed: u64) -> FleetConfig {
    let t = timeline(kind, scale);
    let gap_check = (kind == Kind::Throttle).then_some(GapCheck {
        from_ms: t.fault_start * 1000,
        to_ms: t.fault_end * 1000,
        min_gap_ms: RETRY_AFTER_S as u64 * 1000,
    });
    FleetConfig {
        players,
        seconds: t.end,
        faults: faults(kind, t),
        steady_window: (t.warmup, t.fault_start),
        gap_check,
        core: CoreConfig::default(),
        seed,
        shards,
        progress_every: 0,
    }
}

pub fn run(kind: Kind, scale: Scale, cfg: &FleetConfig) -> Outcome {
    let t = timeline(kind, scale);
    let result = sim::run(cfg);
    let figures = judge(kind, scale, t, &result);
    Outcome { kind, timeline: t, result, figures }
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn judge(kind: Kind, scale: Scale, t: Timeline, r: &FleetResult) -> Vec<Figure> {
    let rec = &r.rec;
    let steady = rec.mean(Column::Requests, t.warmup, t.fault_start);
    let mut f = vec![Figure::reported("steady-state request rate", format!("{steady:.1} requests/s"))];
    match kind {
        Kind::Outage => {
            let during = rec.mean(Column::Requests, t.fault_start, t.fault_end);
            f.push(Figure::judged(
                "request rate during the outage / steady",
                pct(during / steady),
                "≤ 20 %",
                during <= 0.2 * steady,
            ));
            let after_end = (t.fault_end + 600).min(t.end);
            let peak = rec.peak(Column::Requests, t.fault_end, after_end, 10);
            f.push(Figure::judged(
                "peak in the 10 min after recovery / steady (10 s means)",
                format!("{:.2}×", peak / steady),
                "≤ 2×",
                peak <= 2.0 * steady,
            ));
        }
        Kind::Throttle => {
            f.push(Figure::judged(
                "clients that sent twice within 120 s during the throttle",
                format!("{} of {}", r.clients_over_gap, r.clients_in_gap_window),
                "0",
                r.clients_over_gap == 0,
            ));
            f.push(Figure::reported(
                "closest two requests of one client during the throttle",
                if r.min_gap_ms == u64::MAX {
                    "no client sent twice".into()
                } else {
                    format!("{:.1} s", r.min_gap_ms as f64 / 1000.0)
                },
            ));
            // The promise (README, "What we promise a back end"): nothing is dropped but counted
            // cap overflow, and, when the pause outlasts the back end's session expiry, the
            // held events of the sessions it closed meanwhile, counted `session_expired` (their
            // players go on in restarted sessions).
            let lost: u64 = DROP_REASONS
                .iter()
                .filter(|c| !matches!(c, Counter::CacheOverflow | Counter::ShutDown | Counter::SessionExpired))
                .map(|c| r.counter(*c))
                .sum();
            f.push(Figure::judged(
                "events dropped other than counted cap overflow and session expiry",
                format!(
                    "{lost} (cache_overflow {}, session_expired {})",
                    r.counter(Counter::CacheOverflow),
                    r.counter(Counter::SessionExpired)
                ),
                "0",
                lost == 0,
            ));
        }
        Kind::Gone => {
            let steady_starts = rec.mean(Column::SessionStarts, t.warmup, t.fault_start);
            // Minutes 30-60 of the hour of 410s; the reduced run's fault is 5 min: its second half.
            let from = match scale {
                Scale::Full => t.fault_start + 1800,
                Scale::Reduced => (t.fault_start + t.fault_end) / 2,
            };
            let during = rec.mean(Column::SessionStarts, from, t.fault_end);
            f.push(Figure::reported("steady sessionStart rate", format!("{steady_starts:.2} /s")));
            f.push(Figure::judged(
                "sessionStart rate late in the 410 period / steady",
                format!("{:.2}×", during / steady_starts),
                "≤ 1.5×",
                during <= 1.5 * steady_starts,
            ));
            let peak = rec.peak(Column::Requests, t.fault_start, t.fault_end, 10);
            f.push(Figure::reported(
                "peak request rate during the 410 period / steady",
                format!("{:.2}×", peak / steady),
            ));
        }
        Kind::Limited => {
            let mut worst: f64 = 0.0;
            let mut s = t.fault_end;
            while s < t.end {
                let e = (s + 60).min(t.end);
                let answered = rec.sum(Column::Requests, s, e).max(1) as f64;
                worst = worst.max(rec.sum(Column::Unavailable, s, e) as f64 / answered);
                s = e;
            }
            f.push(Figure::judged("worst minute's 503 share after recovery", pct(worst), "≤ 10 %", worst <= 0.10));
            let steady_held = rec.mean(Column::Held, t.warmup, t.fault_start);
            let drained = (t.fault_end..t.end).find(|s| rec.get(*s, Column::Held) as f64 <= 1.1 * steady_held);
            let peak_held = (t.fault_start..t.end).map(|s| rec.get(s, Column::Held)).max().unwrap_or(0);
            f.push(Figure::reported("events held: steady mean, peak", format!("{steady_held:.0}, {peak_held}")));
            // Reported, as the issue asks: at 1.5× capacity a backlog of the outage's length
            // takes at least twice that long to drain, longer than the reduced run lasts.
            f.push(Figure::reported(
                "time to drain the backlog (held ≤ 1.1× steady)",
                drained.map_or("not drained by the end of the run".into(), |s| format!("{} s", s - t.fault_end)),
            ));
        }
    }
    f.extend(accounting(r));
    f
}

/// generated = delivered + drops by reason, exactly; delivered = accepted by the back end.
pub fn accounting(r: &FleetResult) -> Vec<Figure> {
    let generated = r.counter(Counter::HitsGenerated);
    let delivered = r.counter(Counter::EventsDelivered);
    let drops: u64 = DROP_REASONS.iter().map(|c| r.counter(*c)).sum();
    let by_reason: Vec<String> = DROP_REASONS
        .iter()
        .filter(|c| r.counter(**c) > 0)
        .map(|c| format!("{} {}", media_collection::stats::COUNTER_NAMES[*c as usize], r.counter(*c)))
        .collect();
    vec![
        Figure::judged(
            "generated = delivered + dropped by reason",
            format!("{generated} = {delivered} + {drops}"),
            "exact",
            generated == delivered + drops,
        ),
        Figure::reported(
            "drops by reason (shut_down: held at the end of the run)",
            if by_reason.is_empty() { "none".into() } else { by_reason.join(", ") },
        ),
        Figure::judged(
            "delivered = accepted by the back end",
            format!("{delivered} = {}", r.accepted_events),
            "exact",
            delivered == r.accepted_events,
        ),
    ]
}
