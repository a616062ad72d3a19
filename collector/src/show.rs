//! `mc-collector show REPORT`: a readable per-session timeline of a `--report` file, for a
//! player engineer reading what a CI run received.

use std::fmt::Write;

use serde_json::Value;

use crate::edge::mapping::mc_view;
use crate::gate::{Gate, unknown_path};

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What an event says besides its type: the playhead and the one or two params that tell
/// events of one type apart.
fn event_details(e: &Value) -> String {
    let e = &*mc_view(e);
    let mut parts = Vec::new();
    if let Some(ph) = e.get("playerTime").and_then(|p| p.get("playhead")) {
        parts.push(format!("ph={ph}"));
    }
    let params = e.get("params");
    for key in ["media.id", "media.ad.id", "media.chapter.index", "media.ad.podIndex", "media.state.name"] {
        if let Some(v) = params.and_then(|p| p.get(key)) {
            parts.push(format!("{key}={v}"));
        }
    }
    if let Some(q) = e.get("qoeData").and_then(Value::as_object).filter(|q| !q.is_empty()) {
        parts.push(format!("qoe={}", Value::Object(q.clone())));
    }
    parts.join(" ")
}

/// Renders a report (the JSON `--report` writes) as text, ending with the gate's verdict.
pub fn render(report: &Value, gate: &Gate) -> String {
    let mut out = String::new();
    let sessions = array(report, "sessions");
    for s in sessions {
        let events = array(s, "events");
        let findings = array(s, "findings");
        let errors = findings.iter().filter(|f| str_of(f, "severity") == "error").count();
        let state = match s.get("closed_reason").and_then(Value::as_str) {
            Some(r) => format!("closed: {r}"),
            None => "open".to_string(),
        };
        let kind = if s.get("downloaded").and_then(Value::as_bool) == Some(true) { "downloaded " } else { "" };
        let api = if str_of(s, "api") == "edge" { "Media Edge " } else { "" };
        let _ = writeln!(
            out,
            "{kind}{api}session {}: {} event{}, {errors} error{}, {} warning{} ({state})",
            str_of(s, "sid"),
            events.len(),
            plural(events.len()),
            plural(errors),
            findings.len() - errors,
            plural(findings.len() - errors),
        );
        let ts_of = |e: &Value| mc_view(e).get("playerTime").and_then(|p| p.get("ts")).and_then(Value::as_f64);
        let t0 = events.iter().find_map(ts_of);
        for (i, e) in events.iter().enumerate() {
            let ts = ts_of(e);
            let at = match (ts, t0) {
                (Some(ts), Some(t0)) => format!("{:+10.3}s", (ts - t0) / 1000.0),
                _ => format!("{:>11}", "?"),
            };
            let kind = e.get("eventType").and_then(Value::as_str).unwrap_or("?");
            let _ = writeln!(out, "  {i:>4} {at}  {kind:<16} {}", event_details(e));
            for f in findings.iter().filter(|f| f.get("index").and_then(Value::as_u64) == Some(i as u64)) {
                let _ =
                    writeln!(out, "       ^ {} {}: {}", str_of(f, "severity"), str_of(f, "rule"), str_of(f, "message"));
            }
        }
        for f in findings.iter().filter(|f| f.get("index").is_none_or(Value::is_null)) {
            let _ = writeln!(out, "       {} {}: {}", str_of(f, "severity"), str_of(f, "rule"), str_of(f, "message"));
        }
        let dropped = array(s, "dropped").len();
        if dropped > 0 {
            let _ = writeln!(out, "  {dropped} event{} posted after the session closed (dropped)", plural(dropped));
        }
        let _ = writeln!(out);
    }
    // What reached no session: requests to unknown paths, rejected sessionStarts (a Media Edge
    // one is answered 207).
    let orphans: Vec<&Value> = array(report, "requests")
        .iter()
        .filter(|r| {
            let status = r.get("status").and_then(Value::as_u64).unwrap_or(0);
            r.get("sid").is_none_or(Value::is_null)
                && (status >= 400 || status == 207 || unknown_path(str_of(r, "method"), str_of(r, "path")))
        })
        .collect();
    if !orphans.is_empty() {
        let _ = writeln!(out, "requests that reached no session:");
        for r in orphans {
            let why = r.get("error").and_then(Value::as_str).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {} -> {} {why}",
                str_of(r, "method"),
                str_of(r, "path"),
                r.get("status").and_then(Value::as_u64).unwrap_or(0)
            );
        }
        let _ = writeln!(out);
    }
    let verdict = gate.judge(report, None);
    if verdict.ok() {
        let _ = writeln!(out, "verdict: pass ({} session{})", sessions.len(), plural(sessions.len()));
    } else {
        let _ = writeln!(out, "verdict: FAIL");
        for f in verdict.failures() {
            let _ = writeln!(out, "  - {f}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_events_with_their_findings_and_the_verdict() {
        let report = json!({
            "summary": {"lint_errors": 1, "rejected_requests": 0},
            "sessions": [{
                "sid": "abc", "downloaded": false, "closed_reason": "sessionEnd",
                "events": [
                    {"eventType": "sessionStart", "playerTime": {"playhead": 0, "ts": 1000}, "params": {"media.id": "m"}},
                    {"eventType": "play", "playerTime": {"playhead": 1.5, "ts": 2500}},
                ],
                "findings": [{"rule": "ts-order", "severity": "error", "index": 1, "message": "went back"}],
                "dropped": []
            }],
            "requests": [{"method": "POST", "path": "/wrong", "status": 404, "sid": null, "error": "no such endpoint: /wrong"}]
        });
        let text = render(&report, &Gate::default());
        assert!(text.contains("session abc: 2 events, 1 error, 0 warnings (closed: sessionEnd)"), "{text}");
        assert!(text.contains("     1     +1.500s  play             ph=1.5"), "{text}");
        assert!(text.contains("       ^ error ts-order: went back"), "{text}");
        assert!(text.contains("  POST /wrong -> 404 no such endpoint: /wrong"), "{text}");
        assert!(text.contains("verdict: FAIL"), "{text}");
    }

    #[test]
    fn renders_media_edge_sessions_through_the_mapping() {
        let report = json!({
            "summary": {"lint_errors": 0, "rejected_requests": 1},
            "sessions": [{
                "sid": "e1", "api": "edge", "downloaded": false, "closed_reason": null,
                "events": [
                    {"eventType": "media.sessionStart", "timestamp": "2024-01-01T00:00:00.000Z",
                     "mediaCollection": {"playhead": 0, "sessionDetails": {"name": "m"}}},
                    {"eventType": "media.play", "timestamp": "2024-01-01T00:00:01.500Z",
                     "mediaCollection": {"sessionID": "e1", "playhead": 1}},
                ],
                "findings": [], "dropped": []
            }],
            "requests": [{"method": "POST", "path": "/ee/va/v1/sessionStart", "status": 207, "sid": null,
                          "error": "sessionStart failed validation (1 failure); answered 207 without a session"}]
        });
        let text = render(&report, &Gate::default());
        assert!(text.contains("Media Edge session e1: 2 events, 0 errors, 0 warnings (open)"), "{text}");
        assert!(text.contains("     0     +0.000s  media.sessionStart ph=0 media.id=\"m\""), "{text}");
        assert!(text.contains("     1     +1.500s  media.play       ph=1"), "{text}");
        assert!(text.contains("  POST /ee/va/v1/sessionStart -> 207 sessionStart failed validation"), "{text}");
    }
}
