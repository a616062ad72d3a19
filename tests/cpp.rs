//! The C++ RAII layer (include/media_collection.hpp): tests/c/hpp_test.cpp and the C++ example
//! (examples/cpp/player.cpp), built as C++17 with warnings as errors against this run's static
//! library and run against the collector (tests/c/README.md).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use mc_collector::lint::Severity;
use mc_collector::{Collector, Options};
use serde_json::Value;

fn event_types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["eventType"].as_str().unwrap_or("?")).collect()
}

fn assert_lint_clean(collector: &Collector, sid: &str) {
    let errors: Vec<_> = collector.lint(sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "lint errors in {sid}: {errors:#?}");
}

#[test]
fn the_raii_layer_passes_its_checks_against_the_collector() {
    let collector = Collector::start(Options::default()).expect("collector");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/hpp_test.cpp");
    let exe = common::build_c("hpp_test", &[src.as_path()], &[]);
    let out = common::run_c(&exe, &[("MC_ENDPOINT", collector.base_url().as_str())], Duration::from_secs(60));
    common::assert_c_passed(&out);

    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1, "one session: the trackers without one send nothing");
    let s = &sessions[0];
    let types = event_types(&s.events);
    assert_eq!(types.first(), Some(&"sessionStart"));
    assert_eq!(types.last(), Some(&"sessionComplete"));
    for t in ["stateStart", "stateEnd", "adBreakStart", "adStart", "adComplete", "chapterStart", "error"] {
        assert!(types.contains(&t), "{t} missing from {types:?}");
    }
    let params = &s.events[0]["params"];
    assert_eq!(params["media.id"], "hpp-1");
    assert_eq!(params["media.channel"], "cpp-channel");
    assert_eq!(params["media.playerName"], "cpp-test");
    assert_eq!(params["media.show"], "S");
    assert_eq!(params["visitor.marketingCloudUserId"], "ecid-cpp");
    assert_eq!(params["visitor.customerIDs"]["userId"]["id"], "u-1");
    let custom = &s.events[0]["customMetadata"];
    assert_eq!(custom["k"], "v");
    assert_eq!(custom["k2"].as_str().map(str::len), Some(200));
    let error = s.events.iter().find(|e| e["eventType"] == "error").expect("error event");
    assert_eq!(error["qoeData"]["media.qoe.errorID"], "E42");
    assert_eq!(error["qoeData"]["media.qoe.errorSource"], "external");
    assert_lint_clean(&collector, &s.sid);
}

/// `~Client` returns within `close_timeout` + 200 ms even when every request hangs.
#[test]
fn the_client_destructor_wait_is_bounded() {
    use mc_collector::{Endpoint, Fault, FaultKind};
    let collector = Collector::start(Options::default()).expect("collector");
    collector.add_fault(Fault::every(Endpoint::Any, FaultKind::Hang));
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/hpp_test.cpp");
    let exe = common::build_c("hpp_test", &[src.as_path()], &[]);
    let url = collector.base_url();
    let out = common::run_c(
        &exe,
        &[("MC_ENDPOINT", url.as_str()), ("MC_HANG_ENDPOINT", url.as_str())],
        Duration::from_secs(60),
    );
    common::assert_c_passed(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("destructor waited"));
    let requests = collector.requests();
    assert_eq!(requests.len(), 1, "the sessionStart reached the collector and hung: {requests:?}");
    assert_eq!(requests[0].status, 0, "never answered");
}

#[test]
fn the_cpp_example_plays_a_clean_session() {
    let collector = Collector::start(Options::default()).expect("collector");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cpp/player.cpp");
    let exe = common::build_c("cpp_player", &[src.as_path()], &[]);
    let out = common::run_c(&exe, &[("MC_ENDPOINT", collector.base_url().as_str())], Duration::from_secs(60));
    assert!(out.status.success(), "the C++ example failed: {}", out.status);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("cpp player: done"), "{stdout}");
    assert!(stdout.contains("cpp player: session "), "the event handler ran: {stdout}");

    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    let types = event_types(&s.events);
    assert_eq!(types.first(), Some(&"sessionStart"));
    assert_eq!(types.last(), Some(&"sessionComplete"));
    assert!(types.contains(&"adStart") && types.contains(&"pauseStart"), "{types:?}");
    assert_eq!(s.events[0]["params"]["media.id"], "cpp-movie-1");
    assert_lint_clean(&collector, &s.sid);
}

/// Every name the C header declares at global scope must begin with `mc_` or `MC_`: C++ players
/// include it next to their own code, where a global `Counter`, `VERSION` or `RUNNING` collides.
#[test]
fn the_c_header_declares_only_prefixed_names() {
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/media_collection.h"))
        .expect("header");
    let ident = |s: &str| -> String { s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect() };
    let mut names = Vec::new();
    let mut in_enum = false;
    for line in header.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("#define ") {
            names.push(ident(rest));
        } else if let Some(rest) = t.strip_prefix("enum ") {
            names.push(ident(rest));
            in_enum = !t.ends_with(';');
        } else if in_enum && t.starts_with("};") {
            in_enum = false;
        } else if in_enum && t.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
            names.push(ident(t));
        } else if let Some(rest) = t.strip_prefix("} ") {
            names.push(ident(rest));
        } else if t.starts_with("typedef ") && t.ends_with(';') {
            // `typedef uint64_t mc_client_t;` or `typedef void (*mc_log_callback)(...);`
            let name = match t.split_once("(*") {
                Some((_, rest)) => ident(rest),
                None => ident(t.trim_end_matches(';').rsplit(' ').next().unwrap_or("")),
            };
            names.push(name);
        } else if !line.starts_with(' ') && t.contains('(') && !t.starts_with('#') && !t.starts_with("/*") {
            // A prototype: the name is the identifier right before the first '('.
            let before = t.split('(').next().unwrap_or("");
            names.push(ident(before.rsplit([' ', '*']).next().unwrap_or("")));
        }
    }
    let bad: Vec<&String> = names
        .iter()
        .filter(|n| !n.is_empty() && !n.starts_with("mc_") && !n.starts_with("MC_") && *n != "MEDIA_COLLECTION_H")
        .collect();
    assert!(names.iter().any(|n| n == "mc_track_play"), "the scan found the prototypes: {names:?}");
    assert!(bad.is_empty(), "unprefixed names in include/media_collection.h (exclude them in cbindgen.toml): {bad:?}");
}

/// The README's C++ quick start compiles under `-Wall -Wextra -Werror` as written: with
/// `[[nodiscard]]` statuses, an example that drops one without `(void)` would not.
#[test]
fn the_readme_cpp_quick_start_compiles_without_warnings() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README");
    let start = readme.find("## Quick start (C++)\n```cpp\n").expect("the C++ quick start") + 28;
    let snippet = &readme[start..start + readme[start..].find("```").expect("its end")];
    let (includes, body): (Vec<&str>, Vec<&str>) = snippet.lines().partition(|l| l.starts_with("#include"));
    let src = format!(
        "{}\n#include <chrono>\n#include <cstdio>\nint main() {{\n    const char *endpoint = \"http://h\", \
         *tracking_server = \"t\", *report_suite = \"r\", *org_id = \"o\", *ecid = \"e\";\n{}\n    return 0;\n}}\n",
        includes.join("\n"),
        body.join("\n")
    );
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join("readme_quick_start.cpp");
    std::fs::write(&file, src).expect("write the snippet");
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let out = std::process::Command::new(cxx)
        .args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I"])
        .arg(include)
        .arg(&file)
        .output()
        .expect("run the C++ compiler");
    assert!(out.status.success(), "the README's C++ quick start warns:\n{}", String::from_utf8_lossy(&out.stderr));
}
