//! Handling of one Media Edge request once faults are applied: the checks in the order the
//! Edge Network makes them (size, Content-Type, datastream, JSON, envelope, path/eventType,
//! schema, session), the session change, and the answer (media-edge.md §7, §12).

use std::sync::MutexGuard;

use bytes::Bytes;
use hyper::header::{self, HeaderMap};
use hyper::{Response, StatusCode};
use serde_json::Value;

use super::EdgePath;
use super::check::{Checked, MAX_EDGE_BODY_BYTES};
use super::reply::{self, Details};
use crate::server::{Resp, build, cors};
use crate::shared::Shared;
use crate::state::{Outcome, RequestRecord, State, invalid_message};
use crate::validate::Failure;
use crate::wire::{self, failure};

/// Content types the Edge Network takes (§1.4); anything else is 415.
const ACCEPTED_CONTENT_TYPES: [&str; 4] =
    ["application/json", "application/x-jackson-smile", "text/plain", "text/javascript"];

const BAD_REQUEST: &str = "va-edge-0400-400";

fn json_resp(status: u16, content_type: &'static str, v: &Value) -> Resp {
    let body = serde_json::to_vec_pretty(v).unwrap_or_default();
    build(cors(Response::builder().status(status)).header(header::CONTENT_TYPE, content_type), Bytes::from(body))
}

/// A 200/207 JSON answer; as one streamed record (`\u0000{…}\n`) when the request asked for
/// streaming in `meta.konductorConfig.streaming` (Adobe's Edge extension does, §2).
fn handle_resp(status: u16, v: &Value, streamed: bool) -> Resp {
    if !streamed {
        return json_resp(status, "application/json", v);
    }
    let mut body = vec![0u8];
    body.extend(serde_json::to_vec(v).unwrap_or_default());
    body.push(b'\n');
    build(cors(Response::builder().status(status)).header(header::CONTENT_TYPE, "application/json"), Bytes::from(body))
}

fn streaming_requested(body: &Value) -> bool {
    body.pointer("/meta/konductorConfig/streaming/enabled") == Some(&Value::Bool(true))
}

fn problem_resp(status: u16, v: &Value) -> Resp {
    json_resp(status, "application/problem+json", v)
}

/// 404 to a path under `/ee` that names no operation (the 19 are listed).
pub(crate) fn unknown_operation(path: &str) -> Resp {
    let detail = format!(
        "no Media Edge operation at {path}: the paths are /ee[/{{locationHint}}]/va/v1/{{operation}} with operation one of {}",
        super::EDGE_OPERATIONS.join(", ")
    );
    let body = reply::problem(404, "EXEG-0004-404", "Not Found", &detail, Details::None, &reply::request_id());
    problem_resp(404, &body)
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The configured datastream ids accept `id` (any non-empty id when none is configured).
fn known_datastream(shared: &Shared, id: &str) -> bool {
    let e = &shared.edge;
    !id.is_empty()
        && (e.datastreams.is_empty() || e.datastreams.iter().chain(&e.datastreams_without_media).any(|d| d == id))
}

/// Answers an Edge request. Like the MC `answer`, an upload that reaches the sessions returns
/// the lock still held, for the caller to record the request under it.
pub(crate) fn answer<'a>(
    shared: &'a Shared,
    path: &EdgePath,
    query: Option<&str>,
    headers: &HeaderMap,
    bytes: &Bytes,
    rec: &mut RequestRecord,
) -> (Resp, Option<MutexGuard<'a, State>>) {
    let request_id = query_param(query, "requestId").filter(|r| !r.is_empty()).unwrap_or_else(reply::request_id);
    let hint = shared.edge.location_hint.as_str();
    let operation = path.operation;
    let refuse = |rec: &mut RequestRecord, status: u16, code: &str, title: &str, detail: String, d: Details| {
        rec.error = Some(detail.clone());
        problem_resp(status, &reply::problem(status, code, title, &detail, d, &request_id))
    };

    // Size: the Edge Network's 64 KB, or the collector's own 1 MiB read limit.
    let oversize = rec.errors.iter().any(|f| f.rule == "size");
    if oversize || bytes.len() > MAX_EDGE_BODY_BYTES {
        let got = if oversize { "over 1 MiB".to_string() } else { format!("{} bytes", bytes.len()) };
        let msg = format!("the body is {got}; the Edge Network accepts at most {MAX_EDGE_BODY_BYTES} bytes (64 KB)");
        rec.errors = vec![failure("", "size", msg.clone())];
        return (refuse(rec, 413, "EXEG-0112-413", "Payload Too Large", msg, Details::None), None);
    }

    let content_type = headers.get(header::CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let media_type = content_type.as_deref().and_then(|c| c.split(';').next()).map(|m| m.trim().to_ascii_lowercase());
    if !media_type.as_deref().is_some_and(|m| ACCEPTED_CONTENT_TYPES.contains(&m)) {
        let msg = format!(
            "Content-Type is {}; the Edge Network takes {}",
            content_type.as_deref().map_or("missing".to_string(), |c| format!("{c:?}")),
            ACCEPTED_CONTENT_TYPES.join(", ")
        );
        rec.errors = vec![failure("", "content-type", msg.clone())];
        return (refuse(rec, 415, "EXEG-0111-415", "Unsupported Media Type", msg, Details::None), None);
    }

    // The datastream: required on sessionStart and /downloaded (SWAGGER); on events the SDK sends
    // it too, and its absence is only a warning (media-edge.md §10.1).
    let config_id = query_param(query, "configId");
    let starts = matches!(operation, "sessionStart" | "downloaded");
    match config_id.as_deref() {
        Some(id) if known_datastream(shared, id) => {}
        None | Some("") if !starts => rec.warnings.push(failure(
            "?configId",
            "configId",
            format!(
                "no configId in the query of media.{operation}: Adobe's clients send the datastream id on every call"
            ),
        )),
        other => {
            let msg = match other {
                None | Some("") => "the query has no configId: the datastream ID is required".to_string(),
                Some(id) => format!(
                    "The datastream ID '{id}' referenced in your request does not exist (this collector knows {})",
                    shared
                        .edge
                        .datastreams
                        .iter()
                        .chain(&shared.edge.datastreams_without_media)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            rec.errors = vec![failure("?configId", "configId", msg.clone())];
            return (refuse(rec, 400, "EXEG-0003-400", "Invalid datastream ID", msg, Details::None), None);
        }
    }

    let body = match wire::parse_body(bytes) {
        Ok(v) => v,
        Err(f) => {
            rec.errors = vec![f.clone()];
            let msg = f.message.clone();
            return (refuse(rec, 400, BAD_REQUEST, "Bad Request", msg, Details::List(&[f])), None);
        }
    };
    let (xdm, items, errors) = match shared.edge_validator.check(operation, &body, shared.mode()) {
        Checked::Envelope(fs) => {
            let msg = "Invalid request: the body must be {\"events\":[{\"xdm\":{…}}]}".to_string();
            rec.errors = fs.clone();
            return (refuse(rec, 400, BAD_REQUEST, "Bad Request", msg, Details::List(&fs)), None);
        }
        Checked::Mismatch { payload, path } => {
            let msg = format!("The payload eventType {payload} was different from the path eventType {path}");
            rec.errors = vec![failure("/events/0/xdm/eventType", "path-eventType", msg.clone())];
            let d = Details::Text(msg.clone());
            return (refuse(rec, 400, BAD_REQUEST, "Bad Request", msg, d), None);
        }
        Checked::Event { xdm, items, errors, warnings } => {
            rec.warnings.extend(warnings);
            (xdm, items, errors)
        }
    };
    if let Some((at, n)) = identities_without_primary(&xdm, &body) {
        let msg = format!("{n} identities in {at} and none is primary: mark one \"primary\": true");
        rec.errors = vec![failure(at, "identity-primary", msg.clone())];
        return (refuse(rec, 400, "EXEG-0306-400", "Invalid identity map", msg, Details::None), None);
    }
    let now = shared.clock.now_ms();
    let streamed = streaming_requested(&body);

    if starts {
        if !errors.is_empty() {
            let what = if operation == "sessionStart" { "sessionStart" } else { "downloaded session" };
            rec.error = Some(format!("{}; answered 207 without a session", invalid_message(what, errors.len())));
            let body = reply::multi_status(&request_id, hint, &errors);
            rec.errors = errors;
            return (handle_resp(207, &body, streamed), None);
        }
        let without_media =
            config_id.as_deref().is_some_and(|id| shared.edge.datastreams_without_media.iter().any(|d| d == id));
        if operation == "sessionStart" && without_media {
            rec.error = Some(format!(
                "datastream {:?} is set up without Media Analytics: answered 200 without a new-session handle; no session",
                config_id.unwrap_or_default()
            ));
            return (handle_resp(200, &reply::location_only(&request_id, hint), streamed), None);
        }
        let mut st = shared.lock();
        let rotation = st.session_count();
        let outcome = if operation == "sessionStart" {
            st.start_edge_session(xdm, hint, now)
        } else {
            st.add_edge_downloaded(items, now)
        };
        let resp = match outcome {
            Outcome::Created { sid, .. } => {
                let body = if operation == "sessionStart" {
                    reply::new_session(&request_id, &sid, hint, rotation)
                } else {
                    reply::location_only(&request_id, hint)
                };
                rec.sid = Some(sid);
                handle_resp(200, &body, streamed)
            }
            other => server_error(rec, &other, &request_id),
        };
        return (resp, Some(st));
    }

    let sid = xdm.get("mediaCollection").and_then(|m| m.get("sessionID")).and_then(Value::as_str).map(str::to_string);
    let Some(sid) = sid.filter(|s| !s.is_empty()) else {
        let msg = invalid_message("event", errors.len().max(1));
        let errors = if errors.is_empty() {
            vec![failure("/events/0/xdm/mediaCollection/sessionID", "required", "Missing required field: sessionID")]
        } else {
            errors
        };
        rec.errors = errors.clone();
        return (refuse(rec, 400, BAD_REQUEST, "Bad Request", msg, Details::List(&errors)), None);
    };
    rec.sid = Some(sid.clone());
    let mut st = shared.lock();
    if let Some(given) = st.edge_hint(&sid) {
        if path.hint.as_deref() != Some(given) {
            let sent = path.hint.as_deref().map_or("no hint".to_string(), |h| format!("hint {h:?}"));
            rec.warnings.push(failure(
                "",
                "location-hint",
                format!(
                    "the sessionStart answer gave location hint {given:?}; this call went with {sent}: put /ee/{given}/va/v1/… on every later call of the session"
                ),
            ));
        }
    }
    let (outcome, note) =
        st.post_edge_event(&sid, Ok(xdm), &errors, shared.silent_drop, shared.edge.expired_status, now);
    let resp = match &outcome {
        Outcome::NoContent => build(cors(Response::builder().status(204)), Bytes::new()),
        Outcome::Reject { status: 400, error, failures } => {
            rec.errors = failures.clone();
            refuse(rec, 400, BAD_REQUEST, "Bad Request", error.clone(), Details::List(failures))
        }
        Outcome::Reject { status: 404, error, .. } => {
            let text = format!(
                "Error processing request ({error}). If the session is longer than 24h, please start a new one. Returning Not Found"
            );
            let detail = "The requested resource could not be found but may be available again in the future.";
            rec.error = Some(error.clone());
            problem_resp(
                404,
                &reply::problem(404, "va-edge-0404-404", "Not Found", detail, Details::Text(text), &request_id),
            )
        }
        Outcome::Reject { status: 410, error, .. } => {
            let text = format!("{error}: the session is no longer computed; start a new session");
            let detail = "The requested session is gone.";
            rec.error = Some(error.clone());
            problem_resp(
                410,
                &reply::problem(410, "va-edge-0410-410", "Gone", detail, Details::Text(text), &request_id),
            )
        }
        other => server_error(rec, other, &request_id),
    };
    if note.is_some() {
        rec.error = note;
    }
    (resp, Some(st))
}

/// With several identities the Edge Network needs one marked primary (§4.1): where an
/// `identityMap` (in the event's `xdm` or the request-level one) breaks that, and how many ids it has.
fn identities_without_primary(xdm: &Value, body: &Value) -> Option<(&'static str, usize)> {
    let maps =
        [("/events/0/xdm/identityMap", xdm.get("identityMap")), ("/xdm/identityMap", body.pointer("/xdm/identityMap"))];
    maps.into_iter().find_map(|(at, map)| {
        let ids: Vec<&Value> = map?.as_object()?.values().filter_map(Value::as_array).flatten().collect();
        let primary = ids.iter().any(|i| i.get("primary") == Some(&Value::Bool(true)));
        (ids.len() > 1 && !primary).then_some((at, ids.len()))
    })
}

fn server_error(rec: &mut RequestRecord, outcome: &Outcome, request_id: &str) -> Resp {
    let (status, error, failures): (u16, String, &[Failure]) = match outcome {
        Outcome::Reject { status, error, failures } => (*status, error.clone(), failures),
        _ => (500, "unexpected outcome".to_string(), &[]),
    };
    rec.error = Some(error.clone());
    let status = StatusCode::from_u16(status).map_or(500, |s| s.as_u16());
    problem_resp(
        status,
        &reply::problem(status, "EXEG-0500-500", "Internal Server Error", &error, Details::List(failures), request_id),
    )
}
