//! The `mc-collector` command: first line, timeline, findings, report file and exit status
//! after SIGTERM / SIGINT.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

struct Running {
    child: Child,
    url: String,
    lines: mpsc::Receiver<String>,
}

fn temp_report(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mc-collector-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn spawn(extra: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mc-collector"))
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("mc-collector runs");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).expect("first line");
    let url = first.trim_end().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {first:?}"));
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"), "{url}");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Running { url: url.to_string(), child, lines }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill").args([sig, &child.id().to_string()]).status().expect("kill runs").success();
    assert!(ok, "kill {sig}");
}

fn wait(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(st) = child.try_wait().expect("try_wait") {
            return st;
        }
        assert!(Instant::now() < deadline, "mc-collector did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Everything printed after the first line, once the process has exited.
fn rest(lines: &mpsc::Receiver<String>) -> Vec<String> {
    let mut v = Vec::new();
    while let Ok(l) = lines.recv_timeout(Duration::from_secs(2)) {
        v.push(l);
    }
    v
}

fn post_to(url: &str, path: &str, body: &Value) -> Reply {
    send("POST", &format!("{url}{path}"), Some("application/json"), Some(body.to_string().as_bytes()))
}

#[test]
fn a_clean_session_then_sigterm_exits_0_with_timeline_and_report() {
    let report = temp_report("clean.json");
    let mut run = spawn(&["--report", report.to_str().unwrap()]);
    let r = post_to(&run.url, "/api/v1/sessions", &session_start(T0));
    assert_eq!(r.status, 201);
    let sid = r.header("Location").unwrap().rsplit('/').next().unwrap().to_string();
    for e in
        [event("play", 0.0, T0 + 100), event("sessionComplete", 2.9, T0 + 3000), event("sessionEnd", 2.9, T0 + 3001)]
    {
        assert_eq!(post_to(&run.url, &events_path(&sid), &e).status, 204);
    }
    signal(&run.child, "-TERM");
    let status = wait(&mut run.child);
    let lines = rest(&run.lines);
    let text = lines.join("\n");
    assert!(status.success(), "exit {status:?}\n{text}");

    let short = &sid[..8];
    assert!(lines.iter().any(|l| l.contains(short) && l.contains("sessionStart ph=0 -> 201")), "{text}");
    assert!(lines.iter().any(|l| l.contains(short) && l.contains("play ph=0.0 -> 204")), "{text}");
    // The findings block is printed once, at sessionComplete; the sessionEnd after it adds no
    // finding, so nothing is printed again.
    let blocks: Vec<&String> = lines.iter().filter(|l| l.starts_with(&format!("session {short}…:"))).collect();
    assert_eq!(blocks.len(), 1, "{text}");
    assert!(blocks[0].starts_with(&format!("session {short}…: 3 events")), "{text}");
    assert!(lines.iter().any(|l| l.starts_with("summary: 1 session") && l.ends_with("-> exit 0")), "{text}");

    let v: Value = serde_json::from_str(&std::fs::read_to_string(&report).expect("report file")).unwrap();
    assert_eq!(v["summary"]["ok"], true);
    assert_eq!(v["summary"]["sessions"], 1);
    assert_eq!(v["sessions"][0]["sid"], sid);
    assert_eq!(v["sessions"][0]["events"].as_array().unwrap().len(), 4);
    assert_eq!(v["sessions"][0]["closed_reason"], "sessionEnd");
    assert_eq!(v["requests"].as_array().unwrap().len(), 4);
}

#[test]
fn a_rejected_request_makes_sigint_exit_1() {
    let report = temp_report("rejected.json");
    let mut run = spawn(&["--report", report.to_str().unwrap(), "--silent-drop"]);
    let r = post_to(&run.url, "/api/v1/sessions", &event("play", 0.0, T0));
    assert_eq!(r.status, 400);
    // A session left open is reported at exit.
    assert_eq!(post_to(&run.url, "/api/v1/sessions", &session_start(T0)).status, 201);
    signal(&run.child, "-INT");
    let status = wait(&mut run.child);
    let lines = rest(&run.lines);
    let text = lines.join("\n");
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(lines.iter().any(|l| l.contains("-> 400")), "{text}");
    assert!(lines.iter().any(|l| l.trim_start().starts_with("error /eventType [sessionStart-only]")), "{text}");
    assert!(lines.iter().any(|l| l.starts_with("session ") && l.contains("[at exit]")), "{text}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(v["summary"]["rejected_requests"], 1);
    assert_eq!(v["summary"]["ok"], false);
    assert_eq!(v["collector"]["silent_drop"], true);
}

#[test]
fn debug_endpoints_and_faults_work_on_the_command() {
    // No session is created here: --expect-sessions 0 accepts that.
    let mut run = spawn(&["--expect-sessions", "0"]);
    let r = post_to(&run.url, "/__debug/faults", &json!({"endpoint": "sessions", "kind": "status", "status": 503}));
    assert_eq!(r.status, 200);
    let r = post_to(&run.url, "/api/v1/sessions", &session_start(T0));
    assert_eq!(r.status, 503);
    signal(&run.child, "-TERM");
    let status = wait(&mut run.child);
    let text = rest(&run.lines).join("\n");
    assert!(status.success(), "a fault's status is not the player's fault: {text}");
    assert!(text.contains("-> 503 (fault: status 503)"), "{text}");
}

#[test]
fn help_documents_the_options_and_exit_status() {
    let out = Command::new(env!("CARGO_BIN_EXE_mc-collector")).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--listen",
        "--strict",
        "--silent-drop",
        "--report",
        "--junit",
        "--expect-sessions",
        "run -- ./player",
        "show REPORT.json",
        "EXIT STATUS",
        "SIGTERM",
        "/__debug/faults",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
}

#[test]
fn an_address_in_use_exits_2() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = held.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_mc-collector")).args(["--listen", &addr]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen"));
}

#[test]
fn a_run_that_received_nothing_fails() {
    let junit = temp_report("empty.xml");
    let mut run = spawn(&["--junit", junit.to_str().unwrap()]);
    signal(&run.child, "-TERM");
    let status = wait(&mut run.child);
    let text = rest(&run.lines).join("\n");
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("-> exit 1"), "{text}");
    assert!(text.contains("FAILED: received 0 sessions, expected at least 1"), "{text}");
    let xml = std::fs::read_to_string(&junit).expect("junit file");
    assert!(xml.contains(r#"<testcase classname="mc-collector.gate" name="sessions received">"#), "{xml}");
    assert!(xml.contains(r#"<failure message="received 0 sessions"#), "{xml}");
}

#[test]
fn requests_to_an_unknown_path_fail_the_run_even_with_a_session() {
    let mut run = spawn(&[]);
    assert_eq!(post_to(&run.url, "/api/v1/sessions", &session_start(T0)).status, 201);
    // A player whose endpoint carries the API path twice.
    assert_eq!(post_to(&run.url, "/api/v1/api/v1/sessions", &session_start(T0)).status, 404);
    signal(&run.child, "-TERM");
    let status = wait(&mut run.child);
    let text = rest(&run.lines).join("\n");
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("1 to unknown paths -> exit 1"), "{text}");
    assert!(
        text.contains("FAILED: 1 request to a path the API does not have (first: POST /api/v1/api/v1/sessions)"),
        "{text}"
    );
}

/// Not a test of its own: the player that `run_reports_the_players_session` runs. It posts a
/// clean session to MC_ENDPOINT when started by the collector, and does nothing otherwise.
#[test]
fn player_for_run() {
    let Ok(url) = std::env::var("MC_ENDPOINT") else { return };
    if std::env::var("MC_TEST_PLAYER").is_err() {
        return;
    }
    let r = post_to(&url, "/api/v1/sessions", &session_start(T0));
    assert_eq!(r.status, 201);
    let sid = r.header("Location").unwrap().rsplit('/').next().unwrap().to_string();
    for e in [event("play", 0.0, T0 + 100), event("sessionEnd", 1.0, T0 + 1100)] {
        assert_eq!(post_to(&url, &events_path(&sid), &e).status, 204);
    }
    let code: i32 = std::env::var("MC_TEST_PLAYER").unwrap().parse().unwrap();
    std::process::exit(code);
}

fn run_player(exit_code: i32, extra: &[&str]) -> (Option<i32>, String) {
    let me = std::env::current_exe().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mc-collector"))
        .args(extra)
        .args(["run", "--", me.to_str().unwrap(), "--exact", "player_for_run", "--nocapture", "--test-threads=1"])
        .env("MC_TEST_PLAYER", exit_code.to_string())
        .output()
        .expect("mc-collector runs");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn run_reports_the_players_session_and_its_exit_status() {
    let report = temp_report("run.json");
    let (code, text) = run_player(0, &["--report", report.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.starts_with("listening on http://127.0.0.1:"), "{text}");
    assert!(text.contains("sessionStart ph=0 -> 201"), "{text}");
    assert!(text.contains("summary: 1 session, 3 events"), "{text}");

    // `show` reads the report back.
    let out =
        Command::new(env!("CARGO_BIN_EXE_mc-collector")).args(["show", report.to_str().unwrap()]).output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains(": 3 events, 0 errors, 0 warnings (closed: sessionEnd)"), "{shown}");
    assert!(shown.contains("+1.100s  sessionEnd"), "{shown}");
    assert!(shown.contains("verdict: pass (1 session)"), "{shown}");

    // A player that fails fails the run, although its session was clean.
    let (code, text) = run_player(3, &["--expect-sessions", "1"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAILED: the player exited with status 3"), "{text}");
    // More sessions expected than received.
    let (code, text) = run_player(0, &["--expect-sessions", "2"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAILED: received 1 session, expected at least 2"), "{text}");
}

#[test]
fn run_without_a_player_program_fails() {
    let out =
        Command::new(env!("CARGO_BIN_EXE_mc-collector")).args(["run", "--", "/nonexistent/player"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot run /nonexistent/player"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAILED: the player could not be started"));
}

#[test]
fn show_of_a_missing_report_exits_2() {
    let out =
        Command::new(env!("CARGO_BIN_EXE_mc-collector")).args(["show", "/nonexistent/report.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/report.json"));
}

/// A Media Edge body: one event's `xdm` in the envelope.
fn edge_body(xdm: Value) -> Value {
    json!({"events": [{"xdm": xdm}]})
}

#[test]
fn a_media_edge_session_is_shown_linted_and_judged_like_an_mc_one() {
    let report = temp_report("edge.json");
    let junit = temp_report("edge.xml");
    let mut r =
        spawn(&["--location-hint", "va6", "--report", report.to_str().unwrap(), "--junit", junit.to_str().unwrap()]);
    let start = edge_body(json!({"eventType": "media.sessionStart", "timestamp": "2024-01-01T02:00:00.000Z",
        "mediaCollection": {"playhead": 0, "sessionDetails": {"name": "id-1", "length": 60, "contentType": "VOD",
            "playerName": "p", "channel": "c"}}}));
    let answer = post_to(&r.url, "/ee/va/v1/sessionStart?configId=ds-1", &start);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let handle = answer.json()["handle"].clone();
    let hint = handle.as_array().unwrap().iter().find(|h| h["type"] == "locationHint:result").unwrap();
    assert_eq!(hint["payload"][0]["hint"], "va6");
    let sid = handle.as_array().unwrap().iter().find(|h| h["type"] == "media-analytics:new-session").unwrap()
        ["payload"][0]["sessionId"]
        .as_str()
        .unwrap()
        .to_string();
    for (kind, ts, ph) in [("play", "00.001", 0), ("ping", "10.001", 10), ("sessionEnd", "12.000", 12)] {
        let body =
            edge_body(json!({"eventType": format!("media.{kind}"), "timestamp": format!("2024-01-01T02:00:{ts}Z"),
            "mediaCollection": {"sessionID": sid, "playhead": ph}}));
        assert_eq!(post_to(&r.url, &format!("/ee/va6/va/v1/{kind}?configId=ds-1"), &body).status, 204);
    }
    signal(&r.child, "-TERM");
    let status = wait(&mut r.child);
    let lines = rest(&r.lines);
    let text = lines.join("\n");
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(lines.iter().any(|l| l.ends_with(&format!("{} media.sessionStart ph=0 -> 200", &sid[..8]))), "{text}");
    assert!(lines.iter().any(|l| l.ends_with("media.ping ph=10 -> 204")), "{text}");
    assert!(
        text.contains(&format!("Media Edge session {}…: 4 events, 0 errors, 0 warnings [sessionEnd]", &sid[..8])),
        "{text}"
    );
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(saved["sessions"][0]["api"], "edge");
    assert_eq!(saved["collector"]["edge"]["location_hint"], "va6");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(&format!("name=\"Media Edge session {sid} (4 events)\"")), "{xml}");
}

#[test]
fn a_refused_media_edge_start_fails_the_run_and_bad_edge_options_do_not_start() {
    let mut r = spawn(&[]);
    let bad = edge_body(
        json!({"eventType": "media.sessionStart", "timestamp": "yesterday", "mediaCollection": {"playhead": 0}}),
    );
    assert_eq!(post_to(&r.url, "/ee/va/v1/sessionStart?configId=ds-1", &bad).status, 207);
    signal(&r.child, "-TERM");
    let status = wait(&mut r.child);
    let text = rest(&r.lines).join("\n");
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("media.sessionStart ph=0 -> 207"), "{text}");
    assert!(text.contains("error /events/0/xdm/timestamp [pattern]: Field should respect ISO 8601 standard"), "{text}");

    let out = Command::new(env!("CARGO_BIN_EXE_mc-collector"))
        .args(["--listen", "127.0.0.1:0", "--edge-expired-status", "500"])
        .output()
        .expect("mc-collector runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expired status 500: expected 404 or 410"));
}
