//! Output: each figure next to its goal (as `scripts/bench.sh` prints), the request rate over
//! time as CSV (one row per second) and as an SVG chart.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use plotters::prelude::*;

use crate::record::{COLUMN_NAMES, Column};
use crate::scenario::{Figure, Outcome};

pub fn print(o: &Outcome, players: u64) {
    println!("\n== fleet: {} ({players} players, {} virtual min)", o.kind.name(), o.timeline.end / 60);
    for f in &o.figures {
        println!("{}", line(f));
    }
    println!(
        "  wall {:.1} s, {} sessions viewed, {} requests",
        o.result.wall.as_secs_f64(),
        o.result.sessions_viewed,
        o.result.rec.total(Column::Requests)
    );
}

fn line(f: &Figure) -> String {
    let mark = match f.met {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "",
    };
    format!("  {:<58} {:>30} | goal {:<10} {mark}", f.name, f.value, f.goal)
}

/// A markdown table of every outcome's figures.
pub fn markdown(outcomes: &[(u64, Outcome)]) -> String {
    let mut md = String::from("| scenario | players | figure | value | goal | verdict |\n|---|---|---|---|---|---|\n");
    for (players, o) in outcomes {
        for f in &o.figures {
            let v = match f.met {
                Some(true) => "met",
                Some(false) => "missed",
                None => "",
            };
            let _ = writeln!(md, "| {} | {players} | {} | {} | {} | {v} |", o.kind.name(), f.name, f.value, f.goal);
        }
    }
    md
}

pub fn write_csv(o: &Outcome, path: &Path) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "second,{}", COLUMN_NAMES.join(","))?;
    for (s, row) in o.result.rec.rows().iter().enumerate() {
        let cells: Vec<String> = row.iter().map(u64::to_string).collect();
        writeln!(out, "{s},{}", cells.join(","))?;
    }
    out.flush()
}

/// Requests/s, sessionStarts/s and failed answers/s (10 s means) against virtual minutes, with
/// the fault window marked.
pub fn write_svg(o: &Outcome, players: u64, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let rec = &o.result.rec;
    let end = o.timeline.end;
    let series = |cols: &[Column]| -> Vec<(f64, f64)> {
        (0..end)
            .step_by(10)
            .map(|s| (s as f64 / 60.0, cols.iter().map(|c| rec.mean(*c, s, (s + 10).min(end))).sum::<f64>()))
            .collect()
    };
    let requests = series(&[Column::Requests]);
    let starts = series(&[Column::SessionStarts]);
    let failed = series(&[Column::Unavailable, Column::Throttled, Column::Gone, Column::Failed]);
    let top = requests.iter().map(|p| p.1).fold(1.0, f64::max) * 1.1;
    let root = SVGBackend::new(path, (1000, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let title = format!("{}: {players} players, requests/s (10 s means)", o.kind.name());
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..end as f64 / 60.0, 0.0..top)?;
    chart.configure_mesh().x_desc("virtual minutes").y_desc("requests/s").draw()?;
    let (fs, fe) = (o.timeline.fault_start as f64 / 60.0, o.timeline.fault_end as f64 / 60.0);
    chart.draw_series(std::iter::once(Rectangle::new([(fs, 0.0), (fe, top)], RGBColor(255, 228, 196).filled())))?;
    chart
        .draw_series(LineSeries::new(requests, &BLUE))?
        .label("requests")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE));
    chart
        .draw_series(LineSeries::new(failed, &RED))?
        .label("answered with an error or failed")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], RED));
    chart
        .draw_series(LineSeries::new(starts, &GREEN))?
        .label("sessionStarts")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREEN));
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}
