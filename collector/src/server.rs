//! The HTTP side: hyper's HTTP/1 server, routing, body reading with limits, fault
//! application, the MC endpoints and the `/__debug` endpoints.

use std::fmt;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::edge::{self, EdgePath};
use crate::faults::{Endpoint, Fault, FaultKind};
use crate::shared::Shared;
use crate::state::{Outcome, RequestRecord, State, invalid_message};
use crate::validate::Failure;
use crate::wire::{self, MAX_BODY_BYTES};

pub(crate) type Resp = Response<Full<Bytes>>;

/// Returned from the service to make hyper close the connection without answering.
#[derive(Debug)]
struct Dropped(&'static str);

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection dropped: {}", self.0)
    }
}

impl std::error::Error for Dropped {}

/// Accepts connections until `stop` fires (or its sender is dropped).
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        let svc = service_fn(move |req| handle(shared.clone(), req));
                        // No header read timeout: an idle keep-alive connection stays open until the
                        // client closes it, so a client never races the server closing a pooled
                        // connection. Connection errors (client gone, a fault) end only this one.
                        let _ = http1::Builder::new()
                            .header_read_timeout(None)
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
}

// ---- routing ------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Route {
    Sessions,
    Events(String),
    Downloaded,
    Schema(String),
    /// `/ee[/{hint}]/va/v1/{operation}` (Media Edge).
    Edge(EdgePath),
    Options,
    NotAllowed(&'static str),
    NotFound,
}

impl Route {
    fn endpoint(&self) -> Option<Endpoint> {
        match self {
            Route::Sessions => Some(Endpoint::Sessions),
            Route::Events(_) => Some(Endpoint::Events),
            Route::Downloaded => Some(Endpoint::Downloaded),
            // The same fault endpoints for Media Edge: its sessionStart, its /downloaded, its events.
            Route::Edge(e) => Some(match e.operation {
                "sessionStart" => Endpoint::Sessions,
                "downloaded" => Endpoint::Downloaded,
                _ => Endpoint::Events,
            }),
            _ => None,
        }
    }
}

fn route(method: &Method, path: &str) -> Route {
    if method == Method::OPTIONS {
        return Route::Options;
    }
    let segments: Vec<&str> = path.split('/').collect();
    let (route, allow) = match segments.as_slice() {
        ["", "api", "v1", "sessions"] => (Route::Sessions, "OPTIONS, POST"),
        ["", "api", "v1", "sessions", sid, "events"] if !sid.is_empty() => {
            (Route::Events((*sid).to_string()), "OPTIONS, POST")
        }
        ["", "api", "v1", "downloaded"] => (Route::Downloaded, "OPTIONS, POST"),
        ["", "api", "v1", "schemas", t] if !t.is_empty() => (Route::Schema((*t).to_string()), "OPTIONS, GET"),
        _ => match edge::parse_path(path) {
            Some(e) => (Route::Edge(e), "OPTIONS, POST"),
            None => return Route::NotFound,
        },
    };
    let wanted = if matches!(route, Route::Schema(_)) { Method::GET } else { Method::POST };
    if *method == wanted { route } else { Route::NotAllowed(allow) }
}

/// A path the API has (whatever the method): anything else is a misconfigured endpoint.
pub(crate) fn known_path(path: &str) -> bool {
    route(&Method::POST, path) != Route::NotFound
}

// ---- responses ----------------------------------------------------------------------------

pub(crate) fn cors(b: hyper::http::response::Builder) -> hyper::http::response::Builder {
    b.header("Access-Control-Allow-Origin", "*")
        .header("Access-Control-Allow-Methods", "OPTIONS,POST,PUT")
        .header("Access-Control-Allow-Headers", "Content-Type")
        .header("Access-Control-Expose-Headers", "Location")
}

pub(crate) fn build(b: hyper::http::response::Builder, body: Bytes) -> Resp {
    // Every header set here is valid, so this cannot fail; fall back to a bare 500 all the same.
    b.body(Full::new(body)).unwrap_or_else(|_| {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

fn json_response(status: u16, v: &Value) -> Resp {
    let body = serde_json::to_vec_pretty(v).unwrap_or_default();
    let b = Response::builder().status(status).header(header::CONTENT_TYPE, "application/json");
    build(b, Bytes::from(body))
}

fn error_body(error: &str, failures: &[Failure]) -> Value {
    json!({"error": error, "failures": failures})
}

fn api_error(status: u16, error: &str, failures: &[Failure]) -> Resp {
    let body = serde_json::to_vec_pretty(&error_body(error, failures)).unwrap_or_default();
    let b = cors(Response::builder().status(status).header(header::CONTENT_TYPE, "application/json"));
    build(b, Bytes::from(body))
}

fn outcome_response(o: &Outcome) -> Resp {
    match o {
        Outcome::Created { sid, location } => {
            let mut b = cors(Response::builder().status(201)).header(header::CONTENT_TYPE, "application/octet-stream");
            if *location {
                b = b.header(header::LOCATION, format!("/api/v1/sessions/{sid}"));
            }
            build(b, Bytes::new())
        }
        Outcome::NoContent => build(cors(Response::builder().status(204)), Bytes::new()),
        Outcome::Reject { status, error, failures } => api_error(*status, error, failures),
    }
}

fn fault_response(status: u16, headers: &[(String, String)], body: Option<&str>) -> Resp {
    let mut b = cors(Response::builder().status(status));
    let body = body.unwrap_or_default();
    if !body.is_empty() {
        let ct = if serde_json::from_str::<Value>(body).is_ok() { "application/json" } else { "text/plain" };
        b = b.header(header::CONTENT_TYPE, ct);
    }
    if let Some(h) = b.headers_mut() {
        for (name, value) in headers {
            // Checked when the fault was added; skip anything that still does not parse.
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
                h.append(n, v);
            }
        }
    }
    build(b, Bytes::from(body.to_string()))
}

// ---- bodies -------------------------------------------------------------------------------

enum ReadBody {
    Complete(Bytes),
    TooLarge(usize),
}

/// Reads a body up to [`MAX_BODY_BYTES`]. Past the limit the rest is read and thrown away
/// (up to a bound), so that the client, still sending, can read the 413 instead of a reset.
async fn read_body(mut body: Incoming) -> Result<ReadBody, ()> {
    match Limited::new(&mut body, MAX_BODY_BYTES).collect().await {
        Ok(c) => Ok(ReadBody::Complete(c.to_bytes())),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            let mut total = MAX_BODY_BYTES;
            let drain = async {
                while total < 64 * MAX_BODY_BYTES {
                    match body.frame().await {
                        Some(Ok(f)) => total += f.data_ref().map_or(0, |d| d.len()),
                        _ => break,
                    }
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(10), drain).await;
            Ok(ReadBody::TooLarge(total))
        }
        Err(_) => Err(()),
    }
}

/// Like [`read_body`], for the `/__debug` endpoints: the body or an error response.
async fn read_small(body: Incoming) -> Result<Bytes, Resp> {
    match read_body(body).await {
        Ok(ReadBody::Complete(b)) => Ok(b),
        Ok(ReadBody::TooLarge(_)) => Err(json_response(413, &error_body("body over 1 MiB", &[]))),
        Err(()) => Err(json_response(400, &error_body("could not read the body", &[]))),
    }
}

fn header_pairs(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter().map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect()
}

// ---- the service --------------------------------------------------------------------------

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, Dropped> {
    let at_ms = shared.clock.now_ms();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    if path == "/__debug" || path.starts_with("/__debug/") {
        return Ok(debug(&shared, &parts.method, &path, body).await);
    }
    let route = route(&parts.method, &path);
    let mut rec = RequestRecord {
        seq: shared.next_seq(),
        method: parts.method.to_string(),
        path,
        headers: header_pairs(&parts.headers),
        body: String::new(),
        status: 0,
        at_ms,
        sid: match &route {
            Route::Events(sid) => Some(sid.clone()),
            _ => None,
        },
        error: None,
        errors: Vec::new(),
        warnings: Vec::new(),
        fault: None,
    };

    // A Media Edge event names its session in the body, not the path: read it first, so that
    // the request (and any fault that hits it) is recorded under its session.
    let mut body = Some(body);
    let mut early = None;
    if matches!(&route, Route::Edge(e) if !matches!(e.operation, "sessionStart" | "downloaded")) {
        let read = match body.take() {
            Some(b) => read_body(b).await,
            None => Err(()),
        };
        if let Ok(ReadBody::Complete(b)) = &read {
            rec.sid = edge::body_session_id(b);
        }
        early = Some(read);
    }

    let fault =
        route.endpoint().and_then(|e| crate::faults::take(&mut shared.lock().faults, e, rec.sid.as_deref(), at_ms));
    rec.fault = fault.as_ref().map(FaultKind::describe);
    match &fault {
        Some(FaultKind::DropBeforeRead) => {
            rec.error = Some(if early.is_some() {
                "connection closed without handling the request (injected fault; a Media Edge event's body is read first, for its sessionID)".to_string()
            } else {
                "connection closed before reading the body (injected fault)".to_string()
            });
            shared.lock().record(rec);
            return Err(Dropped("drop_before_read"));
        }
        Some(FaultKind::Delay(d)) => tokio::time::sleep(*d).await,
        _ => {}
    }

    let read = match (early, body) {
        (Some(read), _) => read,
        (None, Some(body)) => read_body(body).await,
        (None, None) => Err(()),
    };
    let bytes = match read {
        Ok(ReadBody::Complete(b)) => b,
        Ok(ReadBody::TooLarge(total)) => {
            rec.body = format!("<{total} bytes or more; not kept>");
            let f = wire::failure("", "size", format!("the body is over the {MAX_BODY_BYTES}-byte limit"));
            rec.errors.push(f);
            Bytes::new()
        }
        Err(()) => {
            rec.error = Some("the connection failed while the body was read".to_string());
            shared.lock().record(rec);
            return Err(Dropped("body read error"));
        }
    };
    if rec.body.is_empty() {
        rec.body = String::from_utf8_lossy(&bytes).into_owned();
    }

    match &fault {
        Some(FaultKind::Status { status, headers, body }) => {
            rec.status = *status;
            rec.error = Some(format!("answered {status} by an injected fault; not accepted"));
            shared.lock().record(rec);
            return Ok(fault_response(*status, headers, body.as_deref()));
        }
        Some(FaultKind::Hang) => {
            rec.error = Some("left without an answer by an injected fault; not accepted".to_string());
            shared.lock().record(rec);
            return std::future::pending().await;
        }
        _ => {}
    }

    // The record is stored under the same lock as the session change it describes.
    let (resp, guard) = answer(&shared, &route, parts.uri.query(), &parts.headers, &bytes, &mut rec);
    let mut st = guard.unwrap_or_else(|| shared.lock());
    if fault == Some(FaultKind::DropAfterRead) {
        rec.error = Some(format!(
            "handled (would have answered {}), then the connection was closed without an answer (injected fault)",
            resp.status().as_u16()
        ));
        st.record(rec);
        return Err(Dropped("drop_after_read"));
    }
    rec.status = resp.status().as_u16();
    if rec.status >= 400 && rec.error.is_none() {
        rec.error = Some(format!("answered {}", rec.status));
    }
    st.record(rec);
    Ok(resp)
}

/// The MC endpoints (and the Media Edge ones, in [`edge::answer`]). Validation runs before the
/// lock is taken; an upload that reaches the sessions returns the lock still held, for the
/// caller to record the request under it.
fn answer<'a>(
    shared: &'a Shared,
    route: &Route,
    query: Option<&str>,
    headers: &HeaderMap,
    bytes: &Bytes,
    rec: &mut RequestRecord,
) -> (Resp, Option<MutexGuard<'a, State>>) {
    match route {
        Route::Options => {
            return (build(cors(Response::builder().status(204)), Bytes::new()), None);
        }
        Route::Edge(e) => return edge::answer::answer(shared, e, query, headers, bytes, rec),
        Route::NotFound if edge::is_edge_path(&rec.path) => {
            rec.error = Some(format!("no such Media Edge operation: {}", rec.path));
            return (edge::answer::unknown_operation(&rec.path), None);
        }
        Route::NotFound => {
            rec.error = Some(format!("no such endpoint: {}", rec.path));
            let msg = format!("no such endpoint: {} {}", rec.method, rec.path);
            return (api_error(404, &msg, &[]), None);
        }
        Route::NotAllowed(allow) => {
            rec.error = Some(format!("method {} not allowed", rec.method));
            let msg = format!("method {} not allowed on {}; allowed: {allow}", rec.method, rec.path);
            let mut r = api_error(405, &msg, &[]);
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
            return (r, None);
        }
        Route::Schema(t) => {
            let resp = match shared.validator.schema(t) {
                Some(schema) => {
                    let b = cors(Response::builder().status(200)).header(header::CONTENT_TYPE, "application/json");
                    build(b, Bytes::from_static(schema.as_bytes()))
                }
                None => {
                    rec.error = Some(format!("no schema for event type {t:?}"));
                    api_error(404, &format!("no schema for event type {t:?}"), &[])
                }
            };
            return (resp, None);
        }
        Route::Sessions | Route::Events(_) | Route::Downloaded => {}
    }
    if rec.errors.iter().any(|f| f.rule == "size") {
        let msg = format!("the body is over the {MAX_BODY_BYTES}-byte limit");
        rec.error = Some(msg.clone());
        return (api_error(413, &msg, &rec.errors), None);
    }
    match headers.get(header::CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()) {
        Some(ct) if wire::is_json_content_type(&ct) => {}
        other => rec.warnings.push(wire::failure(
            "",
            "content-type",
            format!("Content-Type is {}, not application/json (accepted)", other.as_deref().unwrap_or("missing")),
        )),
    }

    let (validator, mode) = (&shared.validator, shared.mode());
    let parsed = wire::parse_body(bytes);
    let validation = match (&parsed, route) {
        (Err(_), _) => None,
        (Ok(v @ Value::Array(_)), Route::Sessions) => Some(wire::check_batch(validator, mode, v, true)),
        (Ok(v), Route::Sessions) => Some(wire::check_session_start(validator, mode, v)),
        (Ok(v), Route::Downloaded) => Some(wire::check_batch(validator, mode, v, false)),
        (Ok(v), _) => Some(wire::check_event(validator, mode, v)),
    };
    let (errors, warnings) = validation.map(|v| (v.errors, v.warnings)).unwrap_or_default();
    rec.warnings.extend(warnings);
    let now = shared.clock.now_ms();

    let mut st = shared.lock();
    let (outcome, note) = match (route, parsed) {
        (Route::Events(sid), parsed) => st.post_event(sid, parsed, &errors, shared.silent_drop, now),
        (_, Err(f)) => (Outcome::Reject { status: 400, error: f.message.clone(), failures: vec![f] }, None),
        (_, Ok(_)) if !errors.is_empty() => {
            let what = if matches!(route, Route::Sessions) { "sessionStart" } else { "downloaded session" };
            (Outcome::Reject { status: 400, error: invalid_message(what, errors.len()), failures: errors }, None)
        }
        (Route::Sessions, Ok(Value::Array(items))) => (st.add_downloaded(items, true, now), None),
        (Route::Sessions, Ok(v)) => (st.start_session(v, now), None),
        (_, Ok(Value::Array(items))) => (st.add_downloaded(items, false, now), None),
        // check_batch has rejected every other body of /api/v1/downloaded.
        (_, Ok(_)) => {
            let e = "a downloaded session must be a JSON array".to_string();
            (Outcome::Reject { status: 400, error: e, failures: Vec::new() }, None)
        }
    };
    match &outcome {
        Outcome::Created { sid, .. } => rec.sid = Some(sid.clone()),
        Outcome::Reject { error, failures, .. } => {
            rec.error = Some(error.clone());
            rec.errors = failures.clone();
        }
        Outcome::NoContent => {}
    }
    if note.is_some() {
        rec.error = note;
    }
    (outcome_response(&outcome), Some(st))
}

// ---- /__debug -----------------------------------------------------------------------------

async fn debug(shared: &Shared, method: &Method, path: &str, body: Incoming) -> Resp {
    let rest = path.trim_start_matches("/__debug").trim_end_matches('/');
    let m = method.as_str();
    match (m, rest) {
        ("OPTIONS", _) => build(cors(Response::builder().status(204)), Bytes::new()),
        ("GET", "/sessions") => json_response(200, &shared.session_list()),
        ("GET", r) if r.starts_with("/sessions/") => {
            let sid = &r["/sessions/".len()..];
            match shared.session_detail(sid) {
                Some(v) => json_response(200, &v),
                None => json_response(404, &error_body(&format!("unknown session {sid}"), &[])),
            }
        }
        ("GET", "/requests") => json_response(200, &serde_json::to_value(shared.requests()).unwrap_or_default()),
        ("GET", "/report") | ("GET", "") => json_response(200, &shared.report_json()),
        ("POST", "/reset") => {
            shared.reset();
            build(Response::builder().status(204), Bytes::new())
        }
        ("GET", "/clock") => json_response(200, &shared.clock_json()),
        ("POST", "/clock") => {
            let bytes = match read_small(body).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            let advance = serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| v.get("advance_ms")?.as_u64());
            match advance {
                Some(ms) => {
                    shared.advance_clock(Duration::from_millis(ms));
                    json_response(200, &shared.clock_json())
                }
                None => {
                    json_response(400, &error_body("expected {\"advance_ms\": N} with N a non-negative integer", &[]))
                }
            }
        }
        ("GET", "/faults") => json_response(200, &serde_json::to_value(shared.faults()).unwrap_or_default()),
        ("DELETE", "/faults") => {
            shared.clear_faults();
            build(Response::builder().status(204), Bytes::new())
        }
        ("POST", "/faults") => {
            let bytes = match read_small(body).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            match parse_faults(&bytes) {
                Ok(faults) => {
                    for f in faults {
                        // parse_faults checked every fault.
                        let _ = shared.add_fault(f);
                    }
                    json_response(200, &serde_json::to_value(shared.faults()).unwrap_or_default())
                }
                Err(e) => json_response(400, &error_body(&format!("invalid fault: {e}"), &[])),
            }
        }
        (_, "/sessions" | "/requests" | "/report" | "/reset" | "/clock" | "/faults" | "") => {
            json_response(405, &error_body(&format!("method {m} not allowed on {path}"), &[]))
        }
        _ => json_response(
            404,
            &error_body(
                &format!(
                    "no such debug endpoint: {path} (sessions, sessions/{{sid}}, requests, report, reset, clock, faults)"
                ),
                &[],
            ),
        ),
    }
}

fn parse_faults(bytes: &[u8]) -> Result<Vec<Fault>, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let items = match v {
        Value::Array(items) => items,
        one => vec![one],
    };
    items.into_iter().map(|i| serde_json::from_value::<Fault>(i).map_err(|e| e.to_string())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route(&Method::POST, "/api/v1/sessions"), Route::Sessions);
        assert_eq!(route(&Method::POST, "/api/v1/sessions/abc/events"), Route::Events("abc".into()));
        assert_eq!(route(&Method::POST, "/api/v1/downloaded"), Route::Downloaded);
        assert_eq!(route(&Method::GET, "/api/v1/schemas/play"), Route::Schema("play".into()));
        assert_eq!(route(&Method::OPTIONS, "/anything"), Route::Options);
        assert_eq!(route(&Method::GET, "/api/v1/sessions"), Route::NotAllowed("OPTIONS, POST"));
        assert_eq!(route(&Method::POST, "/api/v1/schemas/play"), Route::NotAllowed("OPTIONS, GET"));
        assert_eq!(route(&Method::POST, "/api/v1/sessions//events"), Route::NotFound);
        assert_eq!(route(&Method::POST, "/api/v2/sessions"), Route::NotFound);
        assert_eq!(route(&Method::POST, "/"), Route::NotFound);
    }
}
