//! Reliability matrix rows A1–A5 (spec/reliability.md §10.3): the C API under bad arguments,
//! handle misuse, 64 threads and a concurrent free, injected panics, and fork with transfers in
//! flight. Each C program checks its statuses; the Rust side checks what reached the collector.
//! (tests/c_api.rs `misuse_of_every_export_returns_the_documented_status` and
//! `a_forked_child_gets_mc_err_forked_on_the_parents_handles_and_its_own_client_works` are the
//! base cases.)

mod common;

use std::time::Duration;

use common::rel::{keys, program};
use mc_collector::{Collector, Endpoint, Fault, FaultKind, Options};

fn run(name: &'static str, collector: &Collector, timeout: Duration) -> std::process::Output {
    run_with(name, collector, &[], timeout)
}

fn run_with(
    name: &'static str,
    collector: &Collector,
    env: &[(&str, &str)],
    timeout: Duration,
) -> std::process::Output {
    let exe = program(name, &["-pthread"]);
    let url = collector.base_url();
    let mut all = vec![("MC_ENDPOINT", url.as_str())];
    all.extend_from_slice(env);
    let out = common::run_c(&exe, &all, timeout);
    common::assert_c_passed(&out);
    out
}

/// A1 + A2: 16 MiB strings, empty and malformed UTF-8 in every string argument, control
/// characters in every value that reaches a header or the request line, non-finite numbers,
/// 100 000 tracker create/free cycles. Only the one valid session reaches the collector.
#[test]
fn a1_a2_bad_arguments_and_handle_cycles_return_documented_statuses() {
    let collector = Collector::start(Options::default()).expect("collector");
    run("rel_args", &collector, Duration::from_secs(120));
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].events[0]["params"]["media.id"], "args-ok");
    assert_eq!(
        keys(&sessions[0].events).into_iter().map(|(t, _)| t).collect::<Vec<_>>(),
        ["sessionStart", "play", "sessionComplete"]
    );
    // Nothing but the valid session's three requests went out.
    assert_eq!(collector.requests().len(), 3);
}

/// A3: 64 threads hammer one tracker while another thread frees the client: no deadlock (the
/// program is killed after 60 s), only documented statuses, the free within 2.25 s, and calls
/// after it fail in under 1 ms (p99).
#[test]
fn a3_sixty_four_threads_and_a_concurrent_free() {
    let collector = Collector::start(Options::default()).expect("collector");
    // The 2.25 s bound is for the plain build; under a sanitizer or valgrind every step of the
    // worker is several times slower, and only "bounded" is checked (4 s).
    let free_max_ms = match (common::sanitizer(), common::valgrind()) {
        (common::Sanitizer::None, false) => "2250",
        _ => "4000",
    };
    let out = run_with("rel_threads", &collector, &[("MC_FREE_MAX_MS", free_max_ms)], Duration::from_secs(60));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("a3: "), "the program reports its figures");
    // What was accepted before the free is delivered or counted; the session is well formed
    // up to where the free cut it (sessionStart first, no request after the free's end).
    // Under ThreadSanitizer with 64 spinning threads on two cores the worker may not even get
    // the sessionStart out before the free's deadline (then it is counted `shut_down`); in the
    // plain build it always does.
    let sessions = collector.sessions();
    let plain = common::sanitizer() == common::Sanitizer::None && !common::valgrind();
    assert!(sessions.len() <= 1 && (sessions.len() == 1 || !plain), "{} sessions", sessions.len());
    for s in &sessions {
        assert_eq!(s.events[0]["eventType"], "sessionStart");
    }
}

/// A4: a panic in an API call and one on the worker: the process survives, the call returns
/// MC_ERR_PANIC, the client is poisoned (MC_ERR_POISONED at once), a new client works.
#[test]
fn a4_panics_are_contained_and_poison_only_their_client() {
    let collector = Collector::start(Options::default()).expect("collector");
    run("rel_panic", &collector, Duration::from_secs(60));
    let ids: Vec<String> = collector
        .sessions()
        .iter()
        .map(|s| s.events[0]["params"]["media.id"].as_str().unwrap_or("?").to_owned())
        .collect();
    assert!(ids.contains(&"after-panics".to_owned()), "the fresh client delivered: {ids:?}");
    let after = collector.sessions().into_iter().find(|s| s.events[0]["params"]["media.id"] == "after-panics");
    let after = after.expect("session");
    assert_eq!(
        keys(&after.events).into_iter().map(|(t, _)| t).collect::<Vec<_>>(),
        ["sessionStart", "play", "sessionComplete"]
    );
}

/// A5 with the worker busy: every event answer takes 300 ms, so transfers are in flight when
/// the player forks. The child gets MC_ERR_FORKED from every call on the parent's handles at
/// once, starts and stops a client of its own, and exits; the parent's session arrives whole,
/// in order, once (no loss, no duplicate, no retry).
#[test]
fn a5_fork_with_transfers_in_flight() {
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(Fault {
        endpoint: Endpoint::Events,
        kind: FaultKind::Delay(Duration::from_millis(300)),
        times: None,
        share: None,
        after_events: None,
        lasts: None,
    });
    run("rel_fork_busy", &collector, Duration::from_secs(60));
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1, "only the parent's session");
    let got = keys(&sessions[0].events);
    let mut expected = vec![("sessionStart".to_owned(), 0.0), ("play".to_owned(), 0.0)];
    for i in 1..=6 {
        expected.push((if i % 2 == 1 { "pauseStart" } else { "play" }.to_owned(), i as f64));
    }
    expected.push(("sessionComplete".to_owned(), 7.0));
    assert_eq!(got, expected);
    assert_eq!(collector.requests().len(), 9, "one request per event: nothing sent twice");
}

/// A5 with the handle tables busy: another thread creates and frees trackers in a loop while the
/// player forks 100 children, each creating a client and a tracker of its own. None may hang on
/// a table lock the busy thread held at the fork.
#[test]
fn a5_fork_while_another_thread_works_the_handle_tables() {
    if common::sanitizer() == common::Sanitizer::Address {
        // gcc's ASan allocator is not fork-safe: a child of a parent whose threads allocate
        // inherits its size-class locks held and hangs in malloc (seen in gdb), whatever the
        // library does. The plain build runs this row.
        eprintln!("[mc-c] a5 (tables busy) not run under AddressSanitizer: its allocator is not fork-safe");
        return;
    }
    let collector = Collector::start(Options::default()).expect("collector");
    // The worker drains the busy thread's queued creations and removals before free returns;
    // an instrumented build does that several times slower.
    let free_ms = if common::sanitizer() == common::Sanitizer::None && !common::valgrind() { "2000" } else { "30000" };
    run_with("fork_busy_tables", &collector, &[("MC_FREE_MS", free_ms)], Duration::from_secs(120));
}
