//! Helpers shared by the reliability tests (tests/reliability_*.rs): the `rel_player` C program
//! (tests/c/rel_player.c), what it prints, and checks on what the collector received.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::time::Duration;

use mc_collector::{RequestRecord, SessionRecord};
use serde_json::Value;

/// `tests/c/<name>.c` built once per test process (with `flags`).
pub fn program(name: &'static str, flags: &'static [&'static str]) -> PathBuf {
    static BUILT: OnceLock<std::sync::Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let key = format!("{name}{}", flags.join(""));
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = built.get(&key) {
        return p.clone();
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/c/{name}.c"));
    let out_name = if flags.is_empty() { name.to_owned() } else { format!("{name}-{}", flags.len()) };
    let exe = crate::common::build_c(&out_name, &[src.as_path()], flags);
    built.insert(key, exe.clone());
    exe
}

/// The plain rel_player.
pub fn player() -> PathBuf {
    program("rel_player", &[])
}

/// Runs rel_player against `endpoint` with extra `MC_*` variables; checks its verdict.
pub fn run_player(exe: &Path, endpoint: &str, env: &[(&str, &str)], timeout: Duration) -> Output {
    let mut all: Vec<(&str, &str)> = vec![("MC_ENDPOINT", endpoint)];
    all.extend_from_slice(env);
    let out = crate::common::run_c(exe, &all, timeout);
    crate::common::assert_c_passed(&out);
    out
}

/// The `stats: name=value ...` line rel_player prints after its flush.
pub fn stats(out: &Output) -> HashMap<String, u64> {
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find_map(|l| l.strip_prefix("stats:")).expect("a stats line");
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.parse().expect("counter value")))
        .collect()
}

/// `(flush_ms, free_ms)` from the `timing:` line.
pub fn timing(out: &Output) -> (u64, u64) {
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find_map(|l| l.strip_prefix("timing:")).expect("a timing line");
    let get = |k: &str| {
        line.split_whitespace().find_map(|kv| kv.strip_prefix(k)).and_then(|v| v.parse().ok()).expect("timing value")
    };
    (get("flush_ms="), get("free_ms="))
}

/// `(eventType, playhead)` of an event.
pub fn key(e: &Value) -> (String, f64) {
    (e["eventType"].as_str().unwrap_or("?").to_owned(), e["playerTime"]["playhead"].as_f64().unwrap_or(-1.0))
}

/// What one rel_player session sends with `steps` steps, in order.
pub fn expected_session(steps: usize) -> Vec<(String, f64)> {
    let mut v = vec![("sessionStart".to_owned(), 0.0), ("play".to_owned(), 0.0)];
    for i in 1..=steps {
        v.push((if i % 2 == 1 { "pauseStart" } else { "play" }.to_owned(), i as f64));
    }
    v.push(("sessionComplete".to_owned(), (steps + 1) as f64));
    v
}

pub fn keys(events: &[Value]) -> Vec<(String, f64)> {
    events.iter().map(key).collect()
}

/// The session whose sessionStart has `media.id == id`.
pub fn session_for<'a>(sessions: &'a [SessionRecord], id: &str) -> &'a SessionRecord {
    sessions
        .iter()
        .find(|s| s.events.first().is_some_and(|e| e["params"]["media.id"] == id))
        .unwrap_or_else(|| panic!("no session for media.id {id}"))
}

/// The body of a request as JSON (Null when it is not JSON).
pub fn body(r: &RequestRecord) -> Value {
    serde_json::from_str(&r.body).unwrap_or(Value::Null)
}

/// Per-session FIFO on the wire: walking a session's event requests in arrival order, a
/// request carries either the event now at the head (first try or a retry) or, once the head
/// got a 2xx, the next one. So no later event went out while an earlier one was being retried.
/// Returns how many requests each event took.
pub fn assert_fifo(requests: &[RequestRecord], sid: &str, expected: &[(String, f64)]) -> Vec<usize> {
    let mut head = 0usize;
    let mut tries = vec![0usize; expected.len()];
    for r in requests.iter().filter(|r| r.sid.as_deref() == Some(sid) && r.path.ends_with("/events")) {
        let k = key(&body(r));
        assert!(head < expected.len(), "request after the last event: {k:?}");
        assert_eq!(k, expected[head], "session {sid}: request #{} out of order", r.seq);
        tries[head] += 1;
        if (200..300).contains(&r.status) {
            head += 1;
        }
    }
    tries
}
