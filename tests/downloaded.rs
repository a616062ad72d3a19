//! Downloaded content end to end: the C API records into the crash-safe store, the worker
//! uploads each finished session as one batch; asserted on what the collector received
//! (tests/c/README.md). The kill loop SIGKILLs a writer at random moments and checks that every
//! acknowledged record arrives, exactly once.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mc_collector::lint::Severity;
use mc_collector::{Collector, Endpoint, Fault, FaultKind, Options};
use serde_json::Value;

fn exe(name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/c/{name}.c"));
    common::build_c(name, &[src.as_path()], &[])
}

fn store_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn types(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["eventType"].as_str().unwrap_or("?").to_string()).collect()
}

fn run_downloaded(collector: &Collector, store: &Path, extra: &[(&str, &str)]) {
    let url = collector.base_url();
    let dir = store.to_string_lossy().to_string();
    let mut env = vec![("MC_ENDPOINT", url.as_str()), ("MC_STORE_DIR", dir.as_str())];
    env.extend_from_slice(extra);
    let out = common::run_c(&exe("downloaded"), &env, Duration::from_secs(60));
    common::assert_c_passed(&out);
}

fn upload_requests(collector: &Collector, path: &str) -> Vec<mc_collector::RequestRecord> {
    collector.requests().into_iter().filter(|r| r.path == path).collect()
}

fn assert_one_clean_downloaded_session(collector: &Collector) {
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1, "one session");
    let s = &sessions[0];
    assert!(s.downloaded);
    let t = types(&s.events);
    assert_eq!(t.first().map(String::as_str), Some("sessionStart"));
    assert_eq!(s.events[0]["params"]["media.downloaded"], true);
    assert_eq!(t.last().map(String::as_str), Some("sessionComplete"));
    let without_pings: Vec<&str> = t.iter().map(String::as_str).filter(|t| *t != "ping").collect();
    assert_eq!(
        without_pings,
        [
            "sessionStart",
            "play",
            "adBreakStart",
            "adStart",
            "play",
            "adComplete",
            "adBreakComplete",
            "play",
            "pauseStart",
            "play",
            "sessionComplete"
        ]
    );
    assert!(t.iter().filter(|t| *t == "ping").count() >= 2, "offline pings: {t:?}");
    for w in s.events.windows(2) {
        assert!(w[1]["playerTime"]["ts"].as_i64() >= w[0]["playerTime"]["ts"].as_i64(), "in order");
    }
    let errors: Vec<_> = collector.lint(&s.sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(collector.requests().iter().all(|r| !r.path.ends_with("/events")), "nothing real-time");
}

#[test]
fn a_downloaded_session_arrives_as_exactly_one_batch() {
    let collector = Collector::start(Options::default()).expect("collector");
    run_downloaded(&collector, &store_dir("one-batch"), &[]);
    let uploads = upload_requests(&collector, "/api/v1/downloaded");
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].status, 201);
    assert_one_clean_downloaded_session(&collector);
}

#[test]
fn the_deprecated_sessions_array_form() {
    let collector = Collector::start(Options::default()).expect("collector");
    run_downloaded(&collector, &store_dir("deprecated"), &[("MC_DEPRECATED", "1")]);
    let uploads = upload_requests(&collector, "/api/v1/sessions");
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].status, 201);
    assert!(uploads[0].body.trim_start().starts_with('['), "an array body");
    assert_one_clean_downloaded_session(&collector);
}

#[test]
fn a_503_is_retried_then_accepted() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(Fault {
        endpoint: Endpoint::Downloaded,
        kind: FaultKind::Status { status: 503, headers: vec![], body: None },
        times: Some(2),
        share: None,
        after_events: None,
        lasts: None,
    });
    run_downloaded(&collector, &store_dir("503"), &[]);
    let statuses: Vec<u16> = upload_requests(&collector, "/api/v1/downloaded").iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 201]);
    assert_one_clean_downloaded_session(&collector);
}

#[test]
fn retry_after_is_honoured() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(Fault {
        endpoint: Endpoint::Downloaded,
        kind: FaultKind::Status { status: 429, headers: vec![("Retry-After".into(), "1".into())], body: None },
        times: Some(1),
        share: None,
        after_events: None,
        lasts: None,
    });
    run_downloaded(&collector, &store_dir("retry-after"), &[]);
    let uploads = upload_requests(&collector, "/api/v1/downloaded");
    assert_eq!(uploads.iter().map(|r| r.status).collect::<Vec<_>>(), [429, 201]);
    // The backoff alone would be 100 ms: the second try waited for Retry-After (1 s).
    let waited = uploads[1].at_ms - uploads[0].at_ms;
    assert!(waited >= 950, "retried after {waited} ms");
    assert_one_clean_downloaded_session(&collector);
}

#[test]
fn a_400_is_quarantined_and_never_retried() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(Fault {
        endpoint: Endpoint::Downloaded,
        kind: FaultKind::Status { status: 400, headers: vec![], body: None },
        times: None,
        share: None,
        after_events: None,
        lasts: None,
    });
    let store = store_dir("400");
    run_downloaded(&collector, &store, &[("MC_WAIT_UPLOADED", "0"), ("MC_WAIT_QUARANTINED", "1")]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(upload_requests(&collector, "/api/v1/downloaded").len(), 1, "never retried");
    let quarantined = std::fs::read_dir(store.join("quarantine")).expect("quarantine dir").count();
    assert!(quarantined >= 1, "kept for diagnosis");
}

#[test]
fn a_connection_dropped_after_the_201_gives_at_most_one_duplicate() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(Fault {
        endpoint: Endpoint::Downloaded,
        kind: FaultKind::DropAfterRead,
        times: Some(1),
        share: None,
        after_events: None,
        lasts: None,
    });
    run_downloaded(&collector, &store_dir("dup"), &[]);
    // The first batch was accepted but its answer lost: the retry is the one duplicate the
    // delivery promise allows.
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 2, "accepted twice at most");
    assert_eq!(upload_requests(&collector, "/api/v1/downloaded").len(), 2);
}

/// Runs one killed writer: returns the highest acknowledged event, and whether the store opened.
fn kill_once(exe: &Path, url: &str, store: &Path, media_id: &str, delay: Duration) -> (Option<u32>, bool) {
    let mut child = Command::new(exe)
        .env("MC_ENDPOINT", url)
        .env("MC_STORE_DIR", store)
        .env("MC_MEDIA_ID", media_id)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn writer");
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
    let mut acked = None;
    let mut open_failed = false;
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines().map_while(Result::ok) {
        if let Some(n) = line.strip_prefix("ACK ") {
            acked = n.trim().parse().ok().or(acked);
        }
        if line.starts_with("OPEN ") && line != "OPEN MC_OK" {
            open_failed = true;
        }
    }
    (acked, !open_failed)
}

#[test]
fn kill_loop_keeps_every_acknowledged_record() {
    let kills: usize = std::env::var("MC_KILL_LOOPS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let collector = Collector::start(Options::default()).expect("collector");
    let url = collector.base_url();
    let store = store_dir("kill");
    let writer = exe("kill_writer");
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15 ^ std::process::id() as u64;
    let mut acked: BTreeMap<String, u32> = BTreeMap::new();
    let started = Instant::now();
    for k in 0..kills {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        // Some kills land before the store is even open, most while events are written.
        let delay = Duration::from_millis(10 + rng % 150);
        let id = format!("kill-{k}");
        let (ack, opened) = kill_once(&writer, &url, &store, &id, delay);
        assert!(opened, "the store failed to open after kill {k}");
        if let Some(a) = ack {
            acked.insert(id, a);
        }
    }
    eprintln!("{kills} kills in {:?}; {} sessions acknowledged", started.elapsed(), acked.len());
    assert!(acked.len() >= kills / 3, "most writers got to write something ({} of {kills})", acked.len());

    // Upload everything the killed writers left; stop the uploader once every acknowledged
    // session arrived. Sessions killed before their first flush may arrive too (their bytes were
    // written, only not synced) or not at all.
    let mut uploader = Command::new(&writer)
        .env("MC_ENDPOINT", &url)
        .env("MC_STORE_DIR", &store)
        .env("MC_FINAL", "1")
        .stdout(Stdio::null())
        .spawn()
        .expect("final run");
    let all_in = collector.wait_until(Duration::from_secs(60), |c| {
        let ids: Vec<String> =
            c.sessions().iter().filter_map(|s| s.events[0]["params"]["media.id"].as_str().map(String::from)).collect();
        acked.keys().all(|k| ids.contains(k))
    });
    // Let stragglers (unacknowledged sessions) finish uploading before the check.
    std::thread::sleep(Duration::from_millis(500));
    let _ = uploader.kill();
    let _ = uploader.wait();
    assert!(all_in, "not every acknowledged session was uploaded");
    assert!(
        collector.requests().iter().filter(|r| r.path == "/api/v1/downloaded").all(|r| r.status == 201),
        "every batch accepted"
    );

    let mut seen: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for s in collector.sessions() {
        assert!(s.downloaded);
        let id = s.events[0]["params"]["media.id"].as_str().unwrap_or("?").to_string();
        assert!(seen.insert(id.clone(), s.events.clone()).is_none(), "duplicate upload of {id}");
        let errors: Vec<_> = collector.lint(&s.sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "{id}: {errors:#?}");
    }
    assert!(seen.len() <= kills, "at most one session per writer");
    for (id, max) in &acked {
        let events = seen.get(id).unwrap_or_else(|| panic!("acknowledged session {id} is missing"));
        let playheads: Vec<u32> = events[1..]
            .iter()
            .filter(|e| e["eventType"] == "play" || e["eventType"] == "pauseStart")
            .map(|e| e["playerTime"]["playhead"].as_f64().unwrap_or(-1.0) as u32)
            .collect();
        let expected: Vec<u32> = (1..=*max).collect();
        assert!(
            playheads.len() >= expected.len() && playheads[..expected.len()] == expected[..],
            "{id}: acked {max}, got {playheads:?}"
        );
        assert_eq!(events.last().unwrap()["eventType"], "sessionEnd", "{id}: closed by the upload");
    }
}

/// A disk error while recording: the flush right after it returns MC_ERR_DISK (not
/// MC_ERR_DELIVERY), the next one MC_OK once writes succeed again (checked in the C program);
/// the batch holds every event the store kept and none it lost.
#[test]
fn a_disk_error_makes_the_next_flush_return_mc_err_disk() {
    let collector = Collector::start(Options::default()).expect("collector");
    let store = store_dir("disk-full");
    let url = collector.base_url();
    let dir = store.to_string_lossy().to_string();
    let out = common::run_c(
        &exe("disk_full"),
        &[("MC_ENDPOINT", url.as_str()), ("MC_STORE_DIR", dir.as_str())],
        Duration::from_secs(60),
    );
    common::assert_c_passed(&out);
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1, "one batch");
    let got: Vec<(String, f64)> = sessions[0]
        .events
        .iter()
        .map(|e| {
            (e["eventType"].as_str().unwrap_or("?").to_owned(), e["playerTime"]["playhead"].as_f64().unwrap_or(-1.0))
        })
        .collect();
    let want: Vec<(String, f64)> = [("sessionStart", 0.0), ("play", 0.0), ("play", 2.0), ("sessionComplete", 3.0)]
        .map(|(t, p)| (t.to_owned(), p))
        .into();
    assert_eq!(got, want, "the pause written on the full disk is lost, everything else arrives");
}

/// mc_client_free with an upload in flight to a server that answers after 1 s: free waits for
/// the answer (within its 30 s bound), so the batch is deleted after its 201 and nothing is left
/// for the next start to upload again.
#[test]
fn free_waits_for_an_upload_in_flight_and_nothing_is_uploaded_twice() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(Fault {
        endpoint: Endpoint::Downloaded,
        kind: FaultKind::Delay(Duration::from_secs(1)),
        times: None,
        share: None,
        after_events: None,
        lasts: None,
    });
    let store = store_dir("shutdown-upload");
    run_shutdown_upload(&collector, &store, 30000);
    let uploads = upload_requests(&collector, "/api/v1/downloaded");
    assert_eq!(uploads.iter().map(|r| r.status).collect::<Vec<_>>(), [201], "one upload, accepted");
    assert!(stored_sessions(&store).is_empty(), "the uploaded session was deleted, not kept for a second upload");
    assert_eq!(collector.sessions().len(), 1);
}

/// The same with a 300 ms bound: free returns at its bound, and the batch it cut off stays
/// stored for the next client (the at-least-once case the README documents).
#[test]
fn free_cuts_an_upload_off_only_at_its_bound_and_keeps_the_batch() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(Fault {
        endpoint: Endpoint::Downloaded,
        kind: FaultKind::Delay(Duration::from_secs(1)),
        times: None,
        share: None,
        after_events: None,
        lasts: None,
    });
    let store = store_dir("shutdown-upload-bound");
    run_shutdown_upload(&collector, &store, 300);
    let left = stored_sessions(&store);
    assert_eq!(left.len(), 1, "the batch cut off is kept: {left:?}");
    assert!(left[0].ends_with(".ready"), "{left:?}");
}

fn run_shutdown_upload(collector: &Collector, store: &Path, free_ms: u32) {
    let url = collector.base_url();
    let dir = store.to_string_lossy().to_string();
    let free_ms = free_ms.to_string();
    let out = common::run_c(
        &exe("shutdown_upload"),
        &[("MC_ENDPOINT", url.as_str()), ("MC_STORE_DIR", dir.as_str()), ("MC_FREE_MS", free_ms.as_str())],
        Duration::from_secs(60),
    );
    common::assert_c_passed(&out);
}

/// The session files (`.seg`, `.ready`) left in a store directory.
fn stored_sessions(store: &Path) -> Vec<String> {
    std::fs::read_dir(store)
        .expect("store dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".ready") || n.ends_with(".seg"))
        .collect()
}

/// The records of a stored segment file (format in the README): (eventType, playhead) of each
/// payload, and where each payload starts and ends in the file.
fn stored_records(bytes: &[u8]) -> Vec<((String, f64), std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut at = 20;
    while at + 22 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 6..at + 10].try_into().unwrap()) as usize;
        let payload = at + 22..at + 22 + len;
        let v: Value = serde_json::from_slice(&bytes[payload.clone()]).expect("JSON payload");
        let key =
            (v["eventType"].as_str().unwrap_or("?").to_owned(), v["playerTime"]["playhead"].as_f64().unwrap_or(-1.0));
        out.push((key, payload.clone()));
        at = payload.end;
    }
    out
}

/// A byte flipped in the middle of a finished session's file loses that one record: the rest
/// is uploaded in order, and the C program sees `torn_tail_discarded` = 1.
#[test]
fn one_corrupt_record_loses_one_record_and_the_rest_is_uploaded() {
    let collector = Collector::start(Options::default()).expect("collector");
    let store = store_dir("corrupt");
    let url = collector.base_url();
    let dir = store.to_string_lossy().to_string();
    let run = |phase: &str| {
        let env = [("MC_ENDPOINT", url.as_str()), ("MC_STORE_DIR", dir.as_str()), ("MC_PHASE", phase)];
        common::assert_c_passed(&common::run_c(&exe("corrupt_store"), &env, Duration::from_secs(60)));
    };
    run("record");
    let ready = stored_sessions(&store);
    assert_eq!(ready.len(), 1, "{ready:?}");
    let path = store.join(&ready[0]);
    let mut bytes = std::fs::read(&path).unwrap();
    let records = stored_records(&bytes);
    assert!(records.len() > 40, "{} records", records.len());
    let hit = records.len() / 2;
    let payload = records[hit].1.clone();
    bytes[(payload.start + payload.end) / 2] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();

    run("upload");
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1);
    let got: Vec<(String, f64)> = sessions[0]
        .events
        .iter()
        .map(|e| {
            (e["eventType"].as_str().unwrap_or("?").to_owned(), e["playerTime"]["playhead"].as_f64().unwrap_or(-1.0))
        })
        .collect();
    let mut want: Vec<(String, f64)> = records.into_iter().map(|(k, _)| k).collect();
    want.remove(hit);
    assert_eq!(got, want, "every record but the damaged one, in order");
    let quarantined = std::fs::read_dir(store.join("quarantine")).expect("quarantine").count();
    assert_eq!(quarantined, 1, "the damaged bytes are kept for diagnosis");
}

/// store_dir permissions through the C API: a world-writable directory that cannot be made
/// private (a shared sticky one) is refused with MC_ERR_STORE_UNSAFE and left untouched; one
/// the process owns is tightened to 0700.
#[test]
fn a_store_dir_writable_by_others_is_tightened_or_refused() {
    use std::os::unix::fs::PermissionsExt;
    let collector = Collector::start(Options::default()).expect("collector");
    let shared = store_dir("shared");
    let ours = store_dir("ours");
    for (d, mode) in [(&shared, 0o1777), (&ours, 0o777)] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let url = collector.base_url();
    let (s, o) = (shared.to_string_lossy().to_string(), ours.to_string_lossy().to_string());
    let env = [("MC_ENDPOINT", url.as_str()), ("MC_STORE_DIR_SHARED", s.as_str()), ("MC_STORE_DIR_OURS", o.as_str())];
    common::assert_c_passed(&common::run_c(&exe("store_dir"), &env, Duration::from_secs(60)));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&shared), 0o1777, "the shared directory is never narrowed");
    assert_eq!(std::fs::read_dir(&shared).unwrap().count(), 0, "nothing was created in it");
    assert_eq!(mode(&ours), 0o700, "ours is tightened");
}

/// A forked child that lives on does not keep its parent's store locked (the parent's next
/// client opens the store), while a client the child makes on the held store is refused.
#[test]
fn a_forked_child_does_not_hold_the_parents_store_lock() {
    let collector = Collector::start(Options::default()).expect("collector");
    let store = store_dir("fork-lock");
    let url = collector.base_url();
    let dir = store.to_string_lossy().to_string();
    let env = [("MC_ENDPOINT", url.as_str()), ("MC_STORE_DIR", dir.as_str())];
    common::assert_c_passed(&common::run_c(&exe("fork_store"), &env, Duration::from_secs(60)));
    assert!(collector.requests().is_empty(), "nothing to send");
}

/// Media Edge takes a big session in parts. The uploader is SIGKILLed after the first part went
/// through (the collector fails the later ones); the next run on the same store uploads only the
/// parts not yet acknowledged: every event reaches the collector exactly once, in order, each
/// part a lint-clean session, the first part not repeated.
#[test]
fn on_media_edge_a_kill_between_parts_uploads_only_the_parts_not_yet_acknowledged() {
    let collector = Collector::start(Options::default()).expect("collector");
    // The first upload passes, the next 998 fail (share 0.999: the n-th request is hit when
    // floor(n * 0.999) grows, which it does from the 2nd on).
    collector.add_fault(Fault {
        endpoint: Endpoint::Downloaded,
        kind: FaultKind::Status { status: 503, headers: Vec::new(), body: None },
        times: None,
        share: Some(0.999),
        after_events: None,
        lasts: None,
    });
    let url = collector.base_url();
    let store = store_dir("edge-kill");
    let uploader = exe("kill_uploader");
    let run = |final_run: bool| {
        let mut c = Command::new(&uploader);
        c.env("MC_ENDPOINT", &url).env("MC_STORE_DIR", &store).env("MC_BACKEND", "edge").env("MC_PAUSES", "700");
        if final_run {
            c.env("MC_FINAL", "1");
        }
        c.stdout(Stdio::null()).spawn().expect("spawn the uploader")
    };
    let uploads =
        |c: &Collector| c.requests().into_iter().filter(|r| r.path.ends_with("/va/v1/downloaded")).collect::<Vec<_>>();
    let accepted = |c: &Collector| uploads(c).into_iter().filter(|r| r.status / 100 == 2).collect::<Vec<_>>();

    let mut child = run(false);
    let seen = collector.wait_until(Duration::from_secs(30), |c| uploads(c).len() >= 3);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        seen,
        "the first part and two failures: {:?}",
        uploads(&collector).iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let first_run = accepted(&collector);
    assert_eq!(first_run.len(), 1, "one part went through before the kill");

    collector.clear_faults();
    let mut child = run(true);
    let pauses = |c: &Collector| {
        c.sessions()
            .iter()
            .filter(|s| s.downloaded)
            .flat_map(|s| s.events.clone())
            .filter(|e| e["eventType"] == "media.pauseStart")
            .count()
    };
    let done = collector.wait_until(Duration::from_secs(30), |c| {
        pauses(c) >= 700
            && c.sessions()
                .iter()
                .filter(|s| s.downloaded)
                .any(|s| s.events.last().is_some_and(|e| e["eventType"] == "media.sessionComplete"))
    });
    // Anything sent twice would have arrived by now too.
    std::thread::sleep(Duration::from_millis(300));
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&store);
    assert!(done, "the other parts");

    let accepted = accepted(&collector);
    assert!(accepted.len() >= 3, "{} parts", accepted.len());
    assert_eq!(accepted[0].body, first_run[0].body, "the first part went once, before the kill");
    let sessions: Vec<_> = collector.sessions().into_iter().filter(|s| s.downloaded).collect();
    assert_eq!(sessions.len(), accepted.len(), "one session per accepted part, none twice");
    let mut playheads = Vec::new();
    for (k, s) in sessions.iter().enumerate() {
        assert_eq!(s.events[0]["eventType"], "media.sessionStart");
        assert_eq!(s.events[0]["mediaCollection"]["sessionDetails"]["hasResume"], k > 0, "part {k}");
        playheads.extend(
            s.events
                .iter()
                .filter(|e| e["eventType"] == "media.pauseStart")
                .map(|e| e["mediaCollection"]["playhead"].as_i64().unwrap_or(-1)),
        );
        let errors: Vec<_> = collector.lint(&s.sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "part {k}: {errors:#?}");
    }
    assert_eq!(playheads, (1..=700).collect::<Vec<i64>>(), "every pause exactly once, in order");
}
