//! The reduced fleet run: each scenario compressed to about 10 virtual minutes (3 min steady,
//! 5 min of fault, 3 min after) with 5 000 players, so that the dev-profile build runs all four
//! in well under two minutes; the README's "Fleet simulation" gives the full run. Judged on what
//! the modelled back end received and on the cores' own counters.
//!
//! Every scenario's accounting is exact. Asserted at this scale: the outage's peak after
//! recovery, the throttle's goals, the limited recovery's 503 share. Not asserted here: the
//! outage's rate during it (the first failures before the outage is recognised weigh too much
//! in a 5-minute outage; met in the full run) and the gone scenario's sessionStart rate (a
//! fresh tracker has three restarts per hour, all spent within 5 minutes of 410s; met only at
//! full length). The README's "Fleet simulation" gives the figures.

use mc_fleet::scenario::{self, Kind, Outcome, Scale};

const PLAYERS: u64 = 5_000;

fn run(kind: Kind) -> Outcome {
    let cfg = scenario::config(kind, Scale::Reduced, PLAYERS, 2, 7);
    scenario::run(kind, Scale::Reduced, &cfg)
}

/// Every figure whose name starts with one of `names` met its goal (and exists).
fn assert_met(o: &Outcome, names: &[&str]) {
    let table: Vec<String> =
        o.figures.iter().map(|f| format!("  {}: {} (goal {}, met {:?})", f.name, f.value, f.goal, f.met)).collect();
    for name in names {
        let f = o.figures.iter().find(|f| f.name.starts_with(name));
        let f = f.unwrap_or_else(|| panic!("{}: no figure {name:?}\n{}", o.kind.name(), table.join("\n")));
        assert_eq!(f.met, Some(true), "{}: {name}\n{}", o.kind.name(), table.join("\n"));
    }
    assert!(o.result.accepted_events > PLAYERS, "{}: the fleet delivered almost nothing", o.kind.name());
}

const ACCOUNTING: [&str; 2] = ["generated = delivered + dropped by reason", "delivered = accepted by the back end"];

/// After the outage the clients drain what they held paced, so the back end sees no burst.
#[test]
fn outage_recovery_peak_is_at_most_twice_steady_and_accounting_is_exact() {
    let o = run(Kind::Outage);
    assert_met(&o, &ACCOUNTING);
    assert_met(&o, &["peak in the 10 min after recovery"]);
}

/// 429 + `Retry-After: 120` for 5 minutes: no client sends twice within 120 s, and nothing is
/// lost but counted cap overflow (the pause is shorter than the back end's session expiry).
#[test]
fn throttle_one_request_per_client_per_retry_after_and_nothing_lost() {
    let o = run(Kind::Throttle);
    assert_met(&o, &ACCOUNTING);
    assert_met(&o, &["clients that sent twice within 120 s", "events dropped other than counted cap overflow"]);
    // Shorter than the back end's session expiry: no session expired either.
    assert_eq!(o.result.counter(media_collection::core::Counter::SessionExpired), 0);
    assert!(o.result.clients_in_gap_window > PLAYERS / 4, "too few clients tried during the throttle to judge");
    assert!(o.result.min_gap_ms >= 120_000, "closest two requests of one client: {} ms", o.result.min_gap_ms);
}

#[test]
fn gone_accounting_is_exact() {
    assert_met(&run(Kind::Gone), &ACCOUNTING);
}

/// Back at 1.5× the steady capacity: the drain pace (which a 503 restarts) keeps every
/// minute's 503 share at or under 10 %, and nothing is lost as a failed sessionStart.
#[test]
fn limited_recovery_keeps_503s_under_10_percent_and_accounting_is_exact() {
    let o = run(Kind::Limited);
    assert_met(&o, &ACCOUNTING);
    assert_met(&o, &["worst minute's 503 share"]);
    assert_eq!(o.result.counter(media_collection::core::Counter::SessionNotCreated), 0);
}
