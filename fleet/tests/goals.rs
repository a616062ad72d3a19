//! The reduced fleet run: each scenario compressed to about 10 virtual minutes (3 min steady,
//! 5 min of fault, 3 min after) with 5 000 players, so that the dev-profile build runs all four
//! in well under two minutes; the README's "Fleet simulation" gives the full run. Judged on what
//! the modelled back end received and on the cores' own counters.

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

#[test]
fn outage_accounting_is_exact() {
    assert_met(&run(Kind::Outage), &ACCOUNTING);
}

#[test]
fn throttle_accounting_is_exact() {
    assert_met(&run(Kind::Throttle), &ACCOUNTING);
}

#[test]
fn gone_accounting_is_exact() {
    assert_met(&run(Kind::Gone), &ACCOUNTING);
}

#[test]
fn limited_recovery_accounting_is_exact() {
    assert_met(&run(Kind::Limited), &ACCOUNTING);
}
