//! `mc-collector`: the validating collector as a command, with a live timeline.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use clap::{Parser, Subcommand};
use mc_collector::clock::format_time_of_day;
use mc_collector::edge::mapping::is_edge_event;
use mc_collector::gate::junit_xml;
use mc_collector::{
    Collector, EdgeOptions, Finding, Gate, Notice, Options, PlayerExit, RequestRecord, SessionRecord, Severity,
    lint_events,
};
use serde_json::Value;

const AFTER_HELP: &str = "\
OUTPUT:
  The first line is `listening on http://ADDR` (the real port when --listen ends in :0).
  Then one line per request as it is answered:
      12:00:01.234 3fa9c2e1 play ph=12.5 -> 204
      12:00:01.240 9b0c77d4 media.play ph=12 -> 204        (a Media Edge event)
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
  On Media Edge paths \"sessions\" is /va/v1/sessionStart, \"downloaded\" /va/v1/downloaded and
  \"events\" every other operation.
  Details and curl examples: collector/README.md.

RUN A PLAYER UNDER IT (a CI gate in one command):
  mc-collector [OPTIONS] run -- ./player ARGS...
  listens on 127.0.0.1:0 unless --listen is given, runs the player with MC_ENDPOINT set to
  its address, waits for it to exit, prints the report, and exits with the combined verdict.
  mc-collector show REPORT.json prints the per-session timeline of a --report file.

EXIT STATUS (after SIGINT or SIGTERM, or when the player run by `run` exits):
  0  every check passed: at least --expect-sessions sessions (default 1) were received; no
     request went to a path the API does not have (a misconfigured endpoint); the collector
     answered no request to /api/... with 400 (malformed JSON, invalid UTF-8, nesting deeper
     than 64, schema failure, wrong eventType for the endpoint, media.downloaded rules, bad
     downloaded batch) or 413 (body over 1 MiB), nor any Media Edge request (/ee/...) with 400,
     413 (body over 64 KB), 415 (Content-Type) or a 207 that started no session; no session
     (MC or Media Edge, whose events are linted as the MC events they map to) has a lint
     finding of severity \"error\"; and, with `run`, the player exited 0.
  1  at least one check failed; each failure is printed in one line after the summary.
     404 and 410 answers for sessions, statuses injected by faults, lint warnings and
     validation warnings do not count.
  2  the collector could not start (bad arguments, address in use), --report or --junit
     could not be written, or `show` could not read its report.";

/// A validating local stand-in for Adobe's Media Collection API and Media Edge API back ends.
///
/// Point a player at it with MC_ENDPOINT=http://ADDR: it answers /api/v1/sessions,
/// /api/v1/sessions/{sid}/events, /api/v1/downloaded and /api/v1/schemas/{type} as the real
/// back end does (201 + Location, 204, 400 with the failures, 404, 410), and at the same time
/// the Media Edge paths /ee[/{locationHint}]/va/v1/{eventType}?configId=ID as the Edge Network
/// does (200 with handle[], 204, 207 with errors[], problem+json 400/404/410/413/415), and shows
/// what the player sends and what is wrong with it.
#[derive(Debug, Parser)]
#[command(name = "mc-collector", version, about, long_about, after_help = AFTER_HELP)]
struct Args {
    /// Address to listen on (IP:PORT or HOST:PORT); port 0 picks a free port. Default
    /// 127.0.0.1:8080, or 127.0.0.1:0 with `run`.
    #[arg(long, value_name = "ADDR", global = true)]
    listen: Option<String>,

    /// Fail unless at least N sessions were received (0 accepts a run that received none).
    #[arg(long, value_name = "N", default_value_t = 1, global = true)]
    expect_sessions: usize,

    /// On exit, write a JUnit XML report to FILE: one test case per check and per session.
    #[arg(long, value_name = "FILE", global = true)]
    junit: Option<PathBuf>,

    /// Validate against the documented schemas exactly, instead of the lenient default
    /// (float QoE values, error fields in params or qoeData, customMetadata and unknown
    /// params on other events draw warnings only).
    #[arg(long, global = true)]
    strict: bool,

    /// Answer 204 instead of 410 to events for closed sessions (the events are recorded as
    /// dropped either way).
    #[arg(long, global = true)]
    silent_drop: bool,

    /// Media Edge: the location hint every sessionStart answer gives (the client must then
    /// call /ee/HINT/va/v1/...).
    #[arg(long, value_name = "HINT", default_value = "or2", global = true)]
    location_hint: String,

    /// Media Edge: the status of an event for a session closed by a timeout, 404 or 410
    /// (after a sessionEnd it is always 404).
    #[arg(long, value_name = "STATUS", default_value_t = 410, global = true)]
    edge_expired_status: u16,

    /// Media Edge: accept only this datastream id as configId (repeat for more); by default any
    /// non-empty id is accepted. Others are answered 400 EXEG-0003-400.
    #[arg(long = "datastream", value_name = "ID", global = true)]
    datastreams: Vec<String>,

    /// Media Edge: a datastream id set up without Media Analytics (repeat for more): a
    /// sessionStart with it is answered 200 without the new-session handle, and no session is made.
    #[arg(long = "datastream-without-media", value_name = "ID", global = true)]
    datastreams_without_media: Vec<String>,

    /// On exit, write the whole record as JSON to FILE: summary, sessions with their events,
    /// dropped events and findings, and every request.
    #[arg(long, value_name = "FILE", global = true)]
    report: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run PLAYER with MC_ENDPOINT set to this collector's address, then report and exit with
    /// the combined verdict (the player's exit status and the collector's checks).
    Run {
        /// The player and its arguments (after `--`).
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "PLAYER")]
        player: Vec<String>,
    },
    /// Print the per-session timeline and the verdict of a report written by --report.
    Show {
        /// The JSON report.
        report: PathBuf,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let gate = Gate { expect_sessions: args.expect_sessions };
    let player = match &args.command {
        Some(Command::Show { report }) => return show(report, &gate),
        Some(Command::Run { player }) => Some(player.clone()),
        None => None,
    };
    let default_listen = if player.is_some() { "127.0.0.1:0" } else { "127.0.0.1:8080" };
    let listen_arg = args.listen.clone().unwrap_or_else(|| default_listen.to_string());
    let listen = match resolve(&listen_arg) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("mc-collector: --listen {listen_arg}: {e}");
            return ExitCode::from(2);
        }
    };
    let edge = EdgeOptions {
        location_hint: args.location_hint.clone(),
        expired_status: args.edge_expired_status,
        datastreams: args.datastreams.clone(),
        datastreams_without_media: args.datastreams_without_media.clone(),
    };
    if let Err(e) = edge.check() {
        eprintln!("mc-collector: {e}");
        return ExitCode::from(2);
    }
    let opts = Options { listen, strict: args.strict, silent_drop: args.silent_drop, edge };
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
    let player_exit = match player {
        Some(cmd) => Some(signals.run_player(&collector, &cmd)),
        None => {
            signals.wait(&collector);
            None
        }
    };

    collector.check_timeouts();
    let sessions = collector.sessions();
    let summary = collector.summary();
    let report = collector.report_json();
    collector.shutdown();
    // The notice channel closes with the collector; the printer has then printed everything.
    let mut shown = printer.join().unwrap_or_default();

    for s in &sessions {
        print_session(s, "at exit", &mut shown);
    }
    let verdict = gate.judge(&report, player_exit.as_ref());
    let status = if verdict.ok() { 0 } else { 1 };
    out(&format!(
        "summary: {} session{}, {} events, {} lint error{}, {} lint warning{}, {} rejected request{}, {} to unknown paths -> exit {status}",
        summary.sessions,
        plural(summary.sessions),
        summary.events,
        summary.lint_errors,
        plural(summary.lint_errors),
        summary.lint_warnings,
        plural(summary.lint_warnings),
        summary.rejected_requests,
        plural(summary.rejected_requests),
        summary.unknown_path_requests,
    ));
    for f in verdict.failures() {
        out(&format!("FAILED: {f}"));
    }
    let mut write_failed = false;
    if let Some(path) = &args.report {
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        write_failed |= !write_file(path, &(text + "\n"), "report");
    }
    if let Some(path) = &args.junit {
        write_failed |= !write_file(path, &junit_xml(&report, &verdict), "JUnit report");
    }
    if write_failed {
        return ExitCode::from(2);
    }
    ExitCode::from(status)
}

fn write_file(path: &Path, text: &str, what: &str) -> bool {
    match std::fs::write(path, text) {
        Ok(()) => {
            out(&format!("{what} written to {}", path.display()));
            true
        }
        Err(e) => {
            eprintln!("mc-collector: cannot write {}: {e}", path.display());
            false
        }
    }
}

fn show(path: &Path, gate: &Gate) -> ExitCode {
    let report: Value = match std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| format!("not a JSON report: {e}")))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("mc-collector: cannot read {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    print!("{}", mc_collector::show::render(&report, gate));
    ExitCode::from(if gate.judge(&report, None).ok() { 0 } else { 1 })
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

impl Signals {
    /// Runs the player with MC_ENDPOINT set to the collector, closing timed-out sessions every
    /// second meanwhile. SIGINT or SIGTERM is passed on to the player, which is then waited for.
    fn run_player(mut self, collector: &Collector, cmd: &[String]) -> PlayerExit {
        // The child is reaped by the runtime's reactor, so it is spawned inside it.
        let entered = self.rt.enter();
        let spawned = tokio::process::Command::new(&cmd[0])
            .args(&cmd[1..])
            .env("MC_ENDPOINT", collector.base_url())
            .kill_on_drop(true)
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                let why = format!("{}: {e}", cmd[0]);
                eprintln!("mc-collector: cannot run {why}");
                return PlayerExit::NotStarted(why);
            }
        };
        drop(entered);
        let status = self.rt.block_on(async {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                #[cfg(unix)]
                let signal = tokio::select! {
                    status = child.wait() => return status,
                    _ = self.term.recv() => libc::SIGTERM,
                    _ = self.int.recv() => libc::SIGINT,
                    _ = tick.tick() => { collector.check_timeouts(); continue; }
                };
                #[cfg(not(unix))]
                let signal = tokio::select! {
                    status = child.wait() => return status,
                    _ = tokio::signal::ctrl_c() => 0,
                    _ = tick.tick() => { collector.check_timeouts(); continue; }
                };
                forward(&child, signal);
            }
        });
        match status {
            Ok(s) => exit_of(s),
            Err(e) => PlayerExit::NotStarted(format!("waiting for {}: {e}", cmd[0])),
        }
    }
}

/// Passes a signal on to the player (it decides how to stop; we keep waiting for it).
#[cfg(unix)]
fn forward(child: &tokio::process::Child, signal: i32) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a pid we spawned and have not yet reaped, and a valid signal.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

#[cfg(not(unix))]
fn forward(_child: &tokio::process::Child, _signal: i32) {}

fn exit_of(s: std::process::ExitStatus) -> PlayerExit {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = s.signal() {
            return PlayerExit::Signal(sig);
        }
    }
    PlayerExit::Code(s.code().unwrap_or(-1))
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

/// The findings printed so far, per session, so a session's findings are printed once (a
/// `sessionEnd` after `sessionComplete`, or the exit, shows only what is new).
type Shown = HashMap<String, HashSet<String>>;

/// Prints notices until the collector shuts down; returns what it printed per session.
fn print_timeline(notices: Receiver<Notice>) -> Shown {
    let mut shown = Shown::new();
    for notice in notices {
        match notice {
            Notice::Request(r) => print_request(&r),
            Notice::Settled { sid, why, downloaded, events } => {
                let findings = lint_events(&events, downloaded);
                print_findings(&sid, &events, &findings, &why, &mut shown);
            }
        }
    }
    shown
}

fn what(r: &RequestRecord) -> String {
    let body: Option<Value> = serde_json::from_str(&r.body).ok();
    // A Media Edge body: its one event's xdm (or the items of a /downloaded).
    let xdm = body.as_ref().and_then(|b| b.get("events")?.get(0)?.get("xdm")).filter(|_| r.method == "POST");
    if let Some(items) = xdm.and_then(|x| x.get("mediaDownloadedEvents")).and_then(Value::as_array) {
        return format!("media.downloaded batch of {} events", items.len());
    }
    if let Some(kind) = xdm.and_then(|x| x.get("eventType")).and_then(Value::as_str) {
        return match xdm.and_then(|x| x.get("mediaCollection")?.get("playhead")) {
            Some(ph) => format!("{kind} ph={ph}"),
            None => kind.to_string(),
        };
    }
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

fn print_session(s: &SessionRecord, why: &str, shown: &mut Shown) {
    let why = s.closed.as_deref().unwrap_or(why);
    let known = shown.contains_key(&s.sid);
    print_findings(&s.sid, &s.events, &lint_events(&s.events, s.downloaded), why, shown);
    if !s.dropped.is_empty() && !known {
        out(&format!("  {} event{} dropped after the session closed", s.dropped.len(), plural(s.dropped.len())));
    }
}

/// Prints a session's block: in full the first time, then only findings not printed before
/// (nothing at all when there are none).
fn print_findings(sid: &str, events: &[Value], findings: &[Finding], why: &str, shown: &mut Shown) {
    let first = !shown.contains_key(sid);
    let seen = shown.entry(sid.to_string()).or_default();
    let key = |f: &Finding| format!("{}|{:?}|{}", f.rule, f.index, f.message);
    let new: Vec<&Finding> = findings.iter().filter(|f| !seen.contains(&key(f))).collect();
    if !first && new.is_empty() {
        return;
    }
    seen.extend(new.iter().map(|f| key(f)));
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings.len() - errors;
    let n_events = events.len();
    let earlier = if first { String::new() } else { format!(", {} shown before", findings.len() - new.len()) };
    let api = if events.first().is_some_and(is_edge_event) { "Media Edge " } else { "" };
    out(&format!(
        "{api}session {}…: {n_events} event{}, {errors} error{}, {warnings} warning{}{earlier} [{why}]",
        short(Some(sid)),
        plural(n_events),
        plural(errors),
        plural(warnings)
    ));
    for f in new {
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
