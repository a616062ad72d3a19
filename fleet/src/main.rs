//! `mc-fleet [--players N] [--scenario outage|throttle|gone|limited|all] [--reduced]
//! [--shards K] [--seed S] [--out DIR]`: runs the scenarios, prints every figure next to its goal
//! and writes DIR/<scenario>.csv, DIR/<scenario>.svg and DIR/report.md (default target/fleet).
//! Exits 1 when a goal is missed.

use std::path::PathBuf;
use std::process::ExitCode;

use mc_fleet::report;
use mc_fleet::scenario::{self, Kind, Scale};

const USAGE: &str = "usage: mc-fleet [--players N] [--scenario outage|throttle|gone|limited|all] [--reduced] \
                     [--shards K] [--seed S] [--out DIR] [--progress]";

struct Args {
    players: u64,
    kinds: Vec<Kind>,
    scale: Scale,
    shards: usize,
    seed: u64,
    out: PathBuf,
    progress: bool,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        players: 100_000,
        kinds: scenario::ALL.to_vec(),
        scale: Scale::Full,
        shards: std::thread::available_parallelism().map_or(1, |n| n.get()),
        seed: 1,
        out: PathBuf::from("target/fleet"),
        progress: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        let number = |v: String| v.replace('_', "").parse::<u64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--players" => a.players = number(value()?)?.max(1),
            "--shards" => a.shards = number(value()?)?.max(1) as usize,
            "--seed" => a.seed = number(value()?)?,
            "--out" => a.out = PathBuf::from(value()?),
            "--reduced" => a.scale = Scale::Reduced,
            "--progress" => a.progress = true,
            "--scenario" => {
                let v = value()?;
                a.kinds = if v == "all" {
                    scenario::ALL.to_vec()
                } else {
                    vec![Kind::parse(&v).ok_or_else(|| format!("unknown scenario {v:?}\n{USAGE}"))?]
                };
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("cannot create {}: {e}", args.out.display());
        return ExitCode::from(2);
    }
    let mut outcomes = Vec::new();
    for kind in &args.kinds {
        let mut cfg = scenario::config(*kind, args.scale, args.players, args.shards, args.seed);
        if args.progress {
            cfg.progress_every = 600;
        }
        let o = scenario::run(*kind, args.scale, &cfg);
        report::print(&o, args.players);
        if let Some(rss) = mc_fleet::peak_rss_bytes() {
            println!(
                "  peak RSS of the process so far {:.2} GiB, {:.1} KiB per player",
                rss as f64 / (1u64 << 30) as f64,
                rss as f64 / 1024.0 / args.players as f64
            );
        }
        let csv = args.out.join(format!("{}.csv", kind.name()));
        let svg = args.out.join(format!("{}.svg", kind.name()));
        if let Err(e) = report::write_csv(&o, &csv) {
            eprintln!("cannot write {}: {e}", csv.display());
        }
        if let Err(e) = report::write_svg(&o, args.players, &svg) {
            eprintln!("cannot write {}: {e}", svg.display());
        }
        println!("  wrote {} and {}", csv.display(), svg.display());
        outcomes.push((args.players, o));
    }
    let md = args.out.join("report.md");
    if let Err(e) = std::fs::write(&md, report::markdown(&outcomes)) {
        eprintln!("cannot write {}: {e}", md.display());
    }
    let missed = outcomes.iter().filter(|(_, o)| !o.all_met()).count();
    println!("\n{} of {} scenarios met every goal; table in {}", outcomes.len() - missed, outcomes.len(), md.display());
    if missed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
