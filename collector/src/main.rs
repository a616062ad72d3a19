//! `mc-collector`: the validating collector as a command, with a live timeline.

use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use clap::Parser;
use mc_collector::clock::format_time_of_day;
use mc_collector::{Collector, Finding, Notice, Options, RequestRecord, SessionRecord, Severity, lint_events};
use serde_json::Value;

const AFTER_HELP: &str = "\
OUTPUT:
  The first line is `listening on http://ADDR` (the real port when --listen ends in :0).
  Then one line per request as it is answered:
      12:00:01.234 3fa9c2e1 play ph=12.5 -> 204
  (UTC time on the collector clock, the first 8 characters of the session id, eventType,
  playhead, status), with the failures of a rejected request indented below it. When a
  session completes or ends (sessionComplete, sessionEnd, 10 min idle, 30 min without
  playhead movement, a downloaded batch accepted) its lint findings follow as a block:
      session 3fa9c2e1…: 14 events, 0 errors, 1 warning [sessionEnd]
        warning ts-gap @5 (play): ...
  On SIGINT or SIGTERM it prints the findings of every session not reported since its last
  event, a summary line, writes --report FILE, and exits.

DEBUG ENDPOINTS (JSON):
  GET /__debug/sessions, GET /__debug/sessions/{sid}, GET /__debug/requests, GET /__debug/report,
  POST /__debug/reset, GET|POST /__debug/clock {\"advance_ms\": N},
  GET|POST|DELETE /__debug/faults, where a fault (or an array of them) is
    {\"endpoint\": \"sessions\"|\"events\"|\"downloaded\"|\"any\",
     \"kind\": \"status\"|\"delay\"|\"drop_before_read\"|\"drop_after_read\"|\"hang\",
     \"status\": 503, \"headers\": {\"Retry-After\": \"2\"}, \"body\": \"...\",  (kind status)
     \"ms\": 2000,  (kind delay)   \"times\": N, \"share\": 0.5}  (both optional)
  Details and curl examples: collector/README.md.

EXIT STATUS (after SIGINT or SIGTERM):
  0  no session has a lint finding of severity \"error\", and the collector itself answered
     no request to /api/... with 400 (malformed JSON, invalid UTF-8, nesting deeper than 64,
     schema failure, wrong eventType for the endpoint, media.downloaded rules, bad downloaded
     batch) or 413 (body over 1 MiB).
  1  at least one of those happened. 404 and 410 answers, statuses injected by faults, lint
     warnings and validation warnings do not count.
  2  the collector could not start (bad arguments, address in use) or --report FILE could
     not be written.";

/// A validating local stand-in for Adobe's Media Collection API back end.
///
/// Point a player at it with MC_ENDPOINT=http://ADDR: it answers /api/v1/sessions,
/// /api/v1/sessions/{sid}/events, /api/v1/downloaded and /api/v1/schemas/{type} as the real
/// back end does (201 + Location, 204, 400 with the failures, 404, 410), and shows what the
/// player sends and what is wrong with it.
#[derive(Debug, Parser)]
#[command(name = "mc-collector", version, about, long_about, after_help = AFTER_HELP)]
struct Args {
    /// Address to listen on (IP:PORT or HOST:PORT); port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,

    /// Validate against the documented schemas exactly, instead of the lenient default
    /// (float QoE values, error fields in params or qoeData, customMetadata and unknown
    /// params on other events draw warnings only).
    #[arg(long)]
    strict: bool,

    /// Answer 204 instead of 410 to events for closed sessions (the events are recorded as
    /// dropped either way).
    #[arg(long)]
    silent_drop: bool,

    /// On exit, write the whole record as JSON to FILE: summary, sessions with their events,
    /// dropped events and findings, and every request.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let listen = match resolve(&args.listen) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("mc-collector: --listen {}: {e}", args.listen);
            return ExitCode::from(2);
        }
    };
    let opts = Options { listen, strict: args.strict, silent_drop: args.silent_drop };
    let collector = match Collector::start(opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mc-collector: cannot listen on {listen}: {e}");
            return ExitCode::from(2);
        }
    };
    let signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mc-collector: cannot listen for signals: {e}");
            return ExitCode::from(2);
        }
    };
    let notices = collector.subscribe();
    out(&format!("listening on {}", collector.base_url()));
    let printer = std::thread::spawn(move || print_timeline(notices));
    signals.wait(&collector);

    collector.check_timeouts();
    let sessions = collector.sessions();
    let summary = collector.summary();
    let report = collector.report_json();
    collector.shutdown();
    // The notice channel closes with the collector; the printer has then printed everything.
    let reported = printer.join().unwrap_or_default();

    for s in &sessions {
        if reported.get(&s.sid) != Some(&s.events.len()) {
            print_session(s, "at exit");
        }
    }
    let status = if summary.ok() { 0 } else { 1 };
    out(&format!(
        "summary: {} session{}, {} events, {} lint error{}, {} lint warning{}, {} rejected request{} -> exit {status}",
        summary.sessions,
        plural(summary.sessions),
        summary.events,
        summary.lint_errors,
        plural(summary.lint_errors),
        summary.lint_warnings,
        plural(summary.lint_warnings),
        summary.rejected_requests,
        plural(summary.rejected_requests),
    ));
    if let Some(path) = &args.report {
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text + "\n") {
            eprintln!("mc-collector: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
        out(&format!("report written to {}", path.display()));
    }
    ExitCode::from(status)
}

fn resolve(s: &str) -> std::io::Result<SocketAddr> {
    s.to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "resolves to no address"))
}

/// SIGINT and SIGTERM, listened to from before the first line is printed (a script may
/// signal as soon as it has read it).
struct Signals {
    rt: tokio::runtime::Runtime,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let _entered = rt.enter();
            let term = signal(SignalKind::terminate())?;
            let int = signal(SignalKind::interrupt())?;
            Ok(Signals { rt, term, int })
        }
        #[cfg(not(unix))]
        Ok(Signals { rt })
    }

    /// Blocks until a signal comes, closing timed-out sessions every second meanwhile.
    fn wait(mut self, collector: &Collector) {
        self.rt.block_on(async {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                #[cfg(unix)]
                tokio::select! {
                    _ = self.term.recv() => return,
                    _ = self.int.recv() => return,
                    _ = tick.tick() => collector.check_timeouts(),
                }
                #[cfg(not(unix))]
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => return,
                    _ = tick.tick() => collector.check_timeouts(),
                }
            }
        })
    }
}

fn out(line: &str) {
    let mut stdout = std::io::stdout().lock();
    // A closed stdout (the reader went away) must not stop the collector.
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn short(sid: Option<&str>) -> String {
    match sid {
        Some(s) => s.chars().take(8).collect(),
        None => "--------".to_string(),
    }
}

/// Prints notices until the collector shuts down; returns, per sid, the event count at its
/// last report.
fn print_timeline(notices: Receiver<Notice>) -> HashMap<String, usize> {
    let mut reported = HashMap::new();
    for notice in notices {
        match notice {
            Notice::Request(r) => print_request(&r),
            Notice::Settled { sid, why, downloaded, events } => {
                let findings = lint_events(&events, downloaded);
                print_findings(&sid, events.len(), &events, &findings, &why);
                reported.insert(sid, events.len());
            }
        }
    }
    reported
}

fn what(r: &RequestRecord) -> String {
    let body: Option<Value> = serde_json::from_str(&r.body).ok();
    match body {
        Some(Value::Object(m)) if r.method == "POST" && m.get("eventType").is_some_and(Value::is_string) => {
            let kind = m.get("eventType").and_then(Value::as_str).unwrap_or_default();
            match m.get("playerTime").and_then(|p| p.get("playhead")) {
                Some(ph) => format!("{kind} ph={ph}"),
                None => kind.to_string(),
            }
        }
        Some(Value::Array(items)) if r.method == "POST" => format!("downloaded batch of {} events", items.len()),
        _ => format!("{} {}", r.method, r.path),
    }
}

fn print_request(r: &RequestRecord) {
    let status = if r.status == 0 { "no answer".to_string() } else { r.status.to_string() };
    let mut line = format!("{} {} {} -> {status}", format_time_of_day(r.at_ms), short(r.sid.as_deref()), what(r));
    if let Some(f) = &r.fault {
        line.push_str(&format!(" (fault: {f})"));
    }
    if r.errors.is_empty() && r.status >= 400 {
        if let Some(e) = &r.error {
            line.push_str(&format!(": {e}"));
        }
    }
    out(&line);
    for f in &r.errors {
        out(&format!("    error {} [{}]: {}", or_root(&f.path), f.rule, f.message));
    }
    for f in &r.warnings {
        out(&format!("    warning {} [{}]: {}", or_root(&f.path), f.rule, f.message));
    }
}

fn or_root(path: &str) -> &str {
    if path.is_empty() { "/" } else { path }
}

fn print_session(s: &SessionRecord, why: &str) {
    let why = s.closed.as_deref().unwrap_or(why);
    print_findings(&s.sid, s.events.len(), &s.events, &lint_events(&s.events, s.downloaded), why);
    if !s.dropped.is_empty() {
        out(&format!("  {} event{} dropped after the session closed", s.dropped.len(), plural(s.dropped.len())));
    }
}

fn print_findings(sid: &str, n_events: usize, events: &[Value], findings: &[Finding], why: &str) {
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings.len() - errors;
    out(&format!(
        "session {}…: {n_events} event{}, {errors} error{}, {warnings} warning{} [{why}]",
        short(Some(sid)),
        plural(n_events),
        plural(errors),
        plural(warnings)
    ));
    for f in findings {
        let sev = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let at = match f.index {
            Some(i) => {
                let kind = events.get(i).and_then(|e| e.get("eventType")).and_then(Value::as_str).unwrap_or("?");
                format!(" @{i} ({kind})")
            }
            None => String::new(),
        };
        out(&format!("  {sev} {}{at}: {}", f.rule, f.message));
    }
}
