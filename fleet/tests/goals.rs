//! The reduced fleet run (about 10 virtual minutes per scenario; the README's "Fleet
//! simulation" gives the full one): every scenario against the real core, judged on what the
//! modelled back end received and on the cores' own counters.

use mc_fleet::scenario::{self, Scale};

/// Players per scenario in the reduced run.
const PLAYERS: u64 = 10_000;

#[test]
fn accounting_is_exact_in_every_scenario() {
    for kind in scenario::ALL {
        let cfg = scenario::config(kind, Scale::Reduced, PLAYERS, 2, 7);
        let o = scenario::run(kind, Scale::Reduced, &cfg);
        let table: Vec<String> =
            o.figures.iter().map(|f| format!("{}: {} (goal {})", f.name, f.value, f.goal)).collect();
        let failed: Vec<&str> =
            o.figures.iter().filter(|f| f.goal == "exact" && f.met != Some(true)).map(|f| f.name.as_str()).collect();
        assert!(failed.is_empty(), "{}: {failed:?}\n{}", kind.name(), table.join("\n"));
        assert!(o.result.accepted_events > PLAYERS, "{}: the fleet delivered almost nothing", kind.name());
    }
}
