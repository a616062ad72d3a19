//! Helpers shared by the collector's integration tests: a ureq client that reports every
//! status as a value, and bodies the real validator accepts (mc-api.md §3.2, §4.1).
#![allow(dead_code)]

use std::time::Duration;

use mc_collector::Collector;
use serde_json::{Value, json};

/// A base ts (ms since the epoch) for test events.
pub const T0: i64 = 1_700_000_000_000;

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `rule`s of the failures in a JSON error body.
    pub fn failure_rules(&self) -> Vec<String> {
        self.json()["failures"]
            .as_array()
            .expect("failures array")
            .iter()
            .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    pub fn failure_paths(&self) -> Vec<String> {
        self.json()["failures"]
            .as_array()
            .expect("failures array")
            .iter()
            .map(|f| f["path"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

/// No connection reuse: a fault that drops a connection must not leave a dead one in a pool.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections(0)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// Sends one request; `Err` when no answer came (connection closed, timeout).
pub fn try_send(
    method: &str,
    url: &str,
    content_type: Option<&str>,
    body: Option<&[u8]>,
    timeout: Duration,
) -> Result<Reply, ureq::Error> {
    let mut b = ureq::http::Request::builder().method(method).uri(url);
    if let Some(ct) = content_type {
        b = b.header("Content-Type", ct);
    }
    let agent = agent(timeout);
    let mut resp = match body {
        Some(bytes) => agent.run(b.body(bytes.to_vec()).expect("request"))?,
        None => agent.run(b.body(()).expect("request"))?,
    };
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body = resp.body_mut().read_to_string()?;
    Ok(Reply { status, headers, body })
}

pub fn send(method: &str, url: &str, content_type: Option<&str>, body: Option<&[u8]>) -> Reply {
    try_send(method, url, content_type, body, Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{method} {url}: no answer: {e}"))
}

pub fn post_raw(c: &Collector, path: &str, body: &[u8]) -> Reply {
    send("POST", &format!("{}{path}", c.base_url()), Some("application/json"), Some(body))
}

pub fn post(c: &Collector, path: &str, body: &Value) -> Reply {
    post_raw(c, path, body.to_string().as_bytes())
}

pub fn get(c: &Collector, path: &str) -> Reply {
    send("GET", &format!("{}{path}", c.base_url()), None, None)
}

pub fn events_path(sid: &str) -> String {
    format!("/api/v1/sessions/{sid}/events")
}

/// A sessionStart with every required param (mc-api.md §4.1) and some optional ones.
pub fn session_start(ts: i64) -> Value {
    json!({
        "eventType": "sessionStart",
        "playerTime": {"playhead": 0, "ts": ts},
        "params": {
            "analytics.trackingServer": "example.sc.omtrdc.net",
            "analytics.reportSuite": "example-rsid",
            "visitor.marketingCloudOrgId": "0123456789ABCDEF@AdobeOrg",
            "media.id": "test-video-1",
            "media.name": "Test video",
            "media.length": 600.5,
            "media.contentType": "vod",
            "media.playerName": "test-player",
            "media.channel": "test-channel",
            "media.streamType": "video",
            "media.resume": false
        },
        "customMetadata": {"show": "demo"}
    })
}

/// A downloaded-content sessionStart (`media.downloaded: true`).
pub fn downloaded_start(ts: i64) -> Value {
    let mut v = session_start(ts);
    v["params"]["media.downloaded"] = json!(true);
    v
}

/// An event with no params (play, ping, pauseStart, sessionEnd, ...).
pub fn event(kind: &str, playhead: f64, ts: i64) -> Value {
    json!({"eventType": kind, "playerTime": {"playhead": playhead, "ts": ts}})
}

/// A small downloaded session: start, play, two pings 50 s apart, complete.
pub fn downloaded_batch(start: Value) -> Value {
    json!([
        start,
        event("play", 0.0, T0 + 1_000),
        event("ping", 50.0, T0 + 51_000),
        event("ping", 100.0, T0 + 101_000),
        event("sessionComplete", 120.0, T0 + 121_000),
    ])
}

/// Creates a session; returns its sid.
pub fn start(c: &Collector) -> String {
    let r = post(c, "/api/v1/sessions", &session_start(T0));
    assert_eq!(r.status, 201, "sessionStart answered {}: {}", r.status, r.body);
    let loc = r.header("Location").expect("Location").to_string();
    loc.strip_prefix("/api/v1/sessions/").expect("Location form").to_string()
}

pub fn is_sid(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
