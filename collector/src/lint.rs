//! Session lint (spec §14 B): rules over a whole session's events.
//! (Interface fixed; the implementation is being written.)

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One lint finding: rule id, severity, index of the event in the session, message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub index: Option<usize>,
    pub message: String,
}

/// Context the lint needs beyond the events.
#[derive(Debug, Clone, PartialEq)]
pub struct LintOptions {
    /// A downloaded session (50 s pings are expected).
    pub downloaded: bool,
    /// Tolerance on ping cadence, in ms.
    pub ping_tolerance_ms: i64,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions { downloaded: false, ping_tolerance_ms: 1500 }
    }
}

/// Lints the accepted events of one session, in arrival order.
pub fn lint_session(events: &[Value], opts: &LintOptions) -> Vec<Finding> {
    let _ = (events, opts);
    Vec::new()
}
