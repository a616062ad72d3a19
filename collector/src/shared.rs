//! What the server tasks and the [`crate::Collector`] handle share: the state behind its one
//! mutex, the validator, the clock and the options. Lint runs outside the lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};

use crate::Options;
use crate::clock::Clock;
use crate::edge::{EdgeOptions, EdgeValidator};
use crate::faults::{Fault, FaultSlot};
use crate::lint::{Finding, Severity};
use crate::state::{self, Notice, RequestRecord, SessionRecord, State, Summary};
use crate::validate::{Mode, Validator};

pub(crate) struct Shared {
    state: Mutex<State>,
    pub(crate) validator: Validator,
    pub(crate) edge_validator: EdgeValidator,
    pub(crate) edge: EdgeOptions,
    pub(crate) clock: Clock,
    pub(crate) strict: bool,
    pub(crate) silent_drop: bool,
    seq: AtomicU64,
}

impl Shared {
    pub(crate) fn new(opts: &Options) -> Shared {
        Shared {
            state: Mutex::new(State::default()),
            validator: Validator::new(),
            edge_validator: EdgeValidator::new(),
            edge: opts.edge.clone(),
            clock: Clock::default(),
            strict: opts.strict,
            silent_drop: opts.silent_drop,
            seq: AtomicU64::new(0),
        }
    }

    pub(crate) fn mode(&self) -> Mode {
        if self.strict { Mode::Strict } else { Mode::Lenient }
    }

    pub(crate) fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::SeqCst)
    }

    /// The state, with timeouts applied at the current collector time.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not take the recording down with it.
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        st.expire(self.clock.now_ms());
        st.flush();
        st
    }

    pub(crate) fn sessions(&self) -> Vec<SessionRecord> {
        self.lock().sessions()
    }

    pub(crate) fn session(&self, sid: &str) -> Option<SessionRecord> {
        self.lock().session(sid)
    }

    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        self.lock().requests()
    }

    pub(crate) fn lint(&self, sid: &str) -> Vec<Finding> {
        let input = self.lock().lint_input(sid);
        input.map(|(events, downloaded)| state::lint_events(&events, downloaded)).unwrap_or_default()
    }

    pub(crate) fn check_timeouts(&self) {
        drop(self.lock());
    }

    pub(crate) fn add_fault(&self, f: Fault) -> Result<(), String> {
        f.check()?;
        let now_ms = self.clock.now_ms();
        self.lock().faults.push(FaultSlot::new(f, now_ms));
        Ok(())
    }

    pub(crate) fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    pub(crate) fn faults(&self) -> Vec<Fault> {
        self.lock().faults.iter().map(|s| s.fault.clone()).collect()
    }

    pub(crate) fn advance_clock(&self, d: Duration) {
        self.clock.advance(d);
        // Apply the timeouts now, so subscribers hear of them at once.
        self.check_timeouts();
    }

    pub(crate) fn reset(&self) {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        st.reset();
        self.clock.reset();
    }

    pub(crate) fn subscribe(&self) -> Receiver<Notice> {
        let (tx, rx) = mpsc::channel();
        self.lock().subscribe(tx);
        rx
    }

    fn linted(&self) -> (Vec<SessionRecord>, Vec<Vec<Finding>>) {
        let sessions = self.sessions();
        let findings = sessions.iter().map(|s| state::lint_events(&s.events, s.downloaded)).collect();
        (sessions, findings)
    }

    fn summary_of(sessions: &[SessionRecord], findings: &[Vec<Finding>], requests: &[RequestRecord]) -> Summary {
        let all = findings.iter().flatten();
        let lint_errors = all.clone().filter(|f| f.severity == Severity::Error).count();
        Summary {
            sessions: sessions.len(),
            events: sessions.iter().map(|s| s.events.len()).sum(),
            lint_errors,
            lint_warnings: all.count() - lint_errors,
            rejected_requests: requests.iter().filter(|r| r.rejected_content()).count(),
            unknown_path_requests: requests.iter().filter(|r| r.unknown_path()).count(),
        }
    }

    pub(crate) fn summary(&self) -> Summary {
        let (sessions, findings) = self.linted();
        Self::summary_of(&sessions, &findings, &self.requests())
    }

    /// `/__debug/sessions`: one line per session.
    pub(crate) fn session_list(&self) -> Value {
        let (sessions, findings) = self.linted();
        Value::Array(sessions.iter().zip(&findings).map(|(s, f)| state::session_summary(s, f)).collect())
    }

    /// `/__debug/sessions/{sid}`: everything about one session.
    pub(crate) fn session_detail(&self, sid: &str) -> Option<Value> {
        let s = self.session(sid)?;
        let findings = state::lint_events(&s.events, s.downloaded);
        Some(detail(&s, &findings, true))
    }

    pub(crate) fn report_json(&self) -> Value {
        let (sessions, findings) = self.linted();
        let requests = self.requests();
        let summary = Self::summary_of(&sessions, &findings, &requests);
        json!({
            "collector": {
                "version": env!("CARGO_PKG_VERSION"),
                "mode": if self.strict { "strict" } else { "lenient" },
                "silent_drop": self.silent_drop,
                "edge": {"location_hint": self.edge.location_hint, "expired_status": self.edge.expired_status, "datastreams": self.edge.datastreams, "datastreams_without_media": self.edge.datastreams_without_media},
                "now_ms": self.clock.now_ms(),
                "clock_offset_ms": self.clock.offset_ms(),
            },
            "summary": summary_json(&summary),
            "sessions": sessions.iter().zip(&findings).map(|(s, f)| detail(s, f, false)).collect::<Vec<_>>(),
            "requests": requests,
        })
    }

    pub(crate) fn clock_json(&self) -> Value {
        json!({"now_ms": self.clock.now_ms(), "offset_ms": self.clock.offset_ms()})
    }
}

pub(crate) fn summary_json(s: &Summary) -> Value {
    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("ok".to_string(), Value::Bool(s.ok()));
    }
    v
}

fn detail(s: &SessionRecord, findings: &[Finding], with_requests: bool) -> Value {
    let mut v = state::session_summary(s, findings);
    if let Value::Object(m) = &mut v {
        m.insert("event_count".to_string(), json!(s.events.len()));
        m.insert("events".to_string(), Value::Array(s.events.clone()));
        m.insert("dropped_count".to_string(), json!(s.dropped.len()));
        m.insert("dropped".to_string(), Value::Array(s.dropped.clone()));
        m.insert("findings".to_string(), serde_json::to_value(findings).unwrap_or(Value::Null));
        if with_requests {
            m.insert("requests".to_string(), serde_json::to_value(&s.requests).unwrap_or(Value::Null));
        } else {
            m.insert("request_seqs".to_string(), json!(s.requests.iter().map(|r| r.seq).collect::<Vec<_>>()));
        }
    }
    v
}
