//! The collector as a CI gate: the checks `mc-collector` makes before it exits 0, and the JUnit
//! XML report a CI server shows them in.
//!
//! Every check reads the report (`Collector::report_json`, or a `--report` file read back), so
//! a live run and `mc-collector show` judge the same way.

use serde_json::Value;

use crate::server::known_path;

/// What a run must show to pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    /// At least this many sessions received (default 1: a run that received nothing is a
    /// misconfigured player, not a clean one).
    pub expect_sessions: usize,
}

impl Default for Gate {
    fn default() -> Self {
        Gate { expect_sessions: 1 }
    }
}

/// How the player run by `mc-collector run` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayerExit {
    /// Exit status (0 is success).
    Code(i32),
    /// Killed by this signal.
    Signal(i32),
    /// It could not be started.
    NotStarted(String),
}

impl PlayerExit {
    fn failure(&self) -> Option<String> {
        match self {
            PlayerExit::Code(0) => None,
            PlayerExit::Code(c) => Some(format!("the player exited with status {c}")),
            PlayerExit::Signal(s) => Some(format!("the player was killed by signal {s}")),
            PlayerExit::NotStarted(e) => Some(format!("the player could not be started: {e}")),
        }
    }
}

/// One named check and, when it failed, why in one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub failure: Option<String>,
}

/// The checks of one run, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub checks: Vec<Check>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.failure.is_none())
    }

    /// The failures, one sentence each.
    pub fn failures(&self) -> Vec<&str> {
        self.checks.iter().filter_map(|c| c.failure.as_deref()).collect()
    }
}

fn count(v: &Value, key: &str) -> u64 {
    v.get("summary").and_then(|s| s.get(key)).and_then(Value::as_u64).unwrap_or(0)
}

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A request to a path the API does not have: the player's endpoint is wrong. (Preflight
/// `OPTIONS` is answered on any path and says nothing about the endpoint.)
pub(crate) fn unknown_path(method: &str, path: &str) -> bool {
    method != "OPTIONS" && !known_path(path)
}

impl Gate {
    /// Judges a report (the JSON of `Collector::report_json`). `player` is how the player run
    /// by `mc-collector run` ended, if there was one.
    pub fn judge(&self, report: &Value, player: Option<&PlayerExit>) -> Verdict {
        let sessions = array(report, "sessions").len();
        let unknown: Vec<&Value> =
            array(report, "requests").iter().filter(|r| unknown_path(str_of(r, "method"), str_of(r, "path"))).collect();
        let rejected = count(report, "rejected_requests");
        let lint_errors = count(report, "lint_errors");
        let failing_sessions = array(report, "sessions")
            .iter()
            .filter(|s| s.get("errors").and_then(Value::as_u64).unwrap_or(0) > 0)
            .count();

        let mut checks = vec![
            Check {
                name: "sessions received",
                failure: (sessions < self.expect_sessions).then(|| {
                    format!(
                        "received {sessions} session{}, expected at least {} (is the player's MC_ENDPOINT this collector's address?)",
                        plural(sessions),
                        self.expect_sessions
                    )
                }),
            },
            Check {
                name: "endpoint paths",
                failure: unknown.first().map(|first| {
                    format!(
                        "{} request{} to a path the API does not have (first: {} {}): the endpoint is the base URL, the player adds /api/v1/... (MC) or /ee/.../va/v1/... (Media Edge)",
                        unknown.len(),
                        plural(unknown.len()),
                        str_of(first, "method"),
                        str_of(first, "path")
                    )
                }),
            },
            Check {
                name: "request content",
                failure: (rejected > 0).then(|| {
                    format!(
                        "{rejected} request{} rejected for their content (400 or 413; Media Edge also 415 and a 207 that started no session; see the indented failures in the timeline)",
                        plural(rejected as usize)
                    )
                }),
            },
            Check {
                name: "session lint",
                failure: (lint_errors > 0).then(|| {
                    format!(
                        "{lint_errors} lint error{} in {failing_sessions} session{}",
                        plural(lint_errors as usize),
                        plural(failing_sessions)
                    )
                }),
            },
        ];
        if let Some(p) = player {
            checks.push(Check { name: "player exit status", failure: p.failure() });
        }
        Verdict { checks }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Escapes text for XML content and attribute values.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// The JUnit XML report: one test case per gate check and one per session (failing when the
/// session has lint errors; its warnings go to `system-out`).
pub fn junit_xml(report: &Value, verdict: &Verdict) -> String {
    let mut cases = Vec::new();
    for c in &verdict.checks {
        let failure = c.failure.as_ref().map(|f| format!(r#"<failure message="{}"/>"#, xml(f)));
        cases.push(("mc-collector.gate".to_string(), c.name.to_string(), failure, String::new()));
    }
    for s in array(report, "sessions") {
        let sid = str_of(s, "sid");
        let events = array(s, "events").len();
        let findings = array(s, "findings");
        let line = |f: &Value| {
            let at = f.get("index").and_then(Value::as_u64).map(|i| format!(" @{i}")).unwrap_or_default();
            format!("{} {}{at}: {}", str_of(f, "severity"), str_of(f, "rule"), str_of(f, "message"))
        };
        let errors: Vec<String> = findings.iter().filter(|f| str_of(f, "severity") == "error").map(line).collect();
        let warnings: Vec<String> = findings.iter().filter(|f| str_of(f, "severity") != "error").map(line).collect();
        let failure = (!errors.is_empty()).then(|| {
            format!(
                r#"<failure message="{} lint error{}">{}</failure>"#,
                errors.len(),
                plural(errors.len()),
                xml(&errors.join("\n"))
            )
        });
        let api = if str_of(s, "api") == "edge" { "Media Edge " } else { "" };
        let name = format!("{api}session {sid} ({events} event{})", plural(events));
        cases.push(("mc-collector.sessions".to_string(), name, failure, warnings.join("\n")));
    }
    let failures = cases.iter().filter(|c| c.2.is_some()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"mc-collector\" tests=\"{}\" failures=\"{failures}\">\n  <testsuite name=\"mc-collector\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n",
        cases.len(),
        cases.len()
    ));
    for (class, name, failure, out_text) in &cases {
        out.push_str(&format!("    <testcase classname=\"{}\" name=\"{}\"", xml(class), xml(name)));
        if failure.is_none() && out_text.is_empty() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        if let Some(f) = failure {
            out.push_str(&format!("      {f}\n"));
        }
        if !out_text.is_empty() {
            out.push_str(&format!("      <system-out>{}</system-out>\n", xml(out_text)));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn xml_escapes_markup_and_control_characters() {
        assert_eq!(xml(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(xml("x\u{1}y\nz"), "x?y\nz");
    }

    #[test]
    fn an_empty_run_fails_on_sessions_only() {
        let report = json!({"summary": {"lint_errors": 0, "rejected_requests": 0}, "sessions": [], "requests": []});
        let v = Gate::default().judge(&report, None);
        assert!(!v.ok());
        assert_eq!(v.failures().len(), 1, "{v:?}");
        assert!(v.failures()[0].starts_with("received 0 sessions, expected at least 1"), "{v:?}");
        assert!(Gate { expect_sessions: 0 }.judge(&report, None).ok());
    }

    #[test]
    fn unknown_paths_and_the_player_exit_are_checked() {
        let report = json!({
            "summary": {"lint_errors": 0, "rejected_requests": 0},
            "sessions": [{"sid": "s", "events": [], "findings": []}],
            "requests": [
                {"method": "OPTIONS", "path": "/whatever"},
                {"method": "POST", "path": "/api/v1/sessions"},
                {"method": "POST", "path": "/v1/api/v1/sessions"},
            ]
        });
        let v = Gate::default().judge(&report, Some(&PlayerExit::Code(3)));
        let f = v.failures();
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f[0].starts_with("1 request to a path the API does not have (first: POST /v1/api/v1/sessions)"),
            "{f:?}"
        );
        assert_eq!(f[1], "the player exited with status 3");
        let xml = junit_xml(&report, &v);
        assert!(xml.contains(r#"<testsuite name="mc-collector" tests="6" failures="2""#), "{xml}");
    }
}
