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
    assert!(lines.iter().any(|l| l.starts_with(&format!("session {short}…: 4 events"))), "{text}");
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
    let mut run = spawn(&[]);
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
    for needle in ["--listen", "--strict", "--silent-drop", "--report", "EXIT STATUS", "SIGTERM", "/__debug/faults"] {
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
