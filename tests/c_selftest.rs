//! The C harness runner checked on a program that needs no library: tests/c/selftest.c, built
//! as C11 and as C++17 through `common::build_c` and run through `common::run_c`.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output};
use std::time::{Duration, Instant};

/// Passing checks in selftest.c: 7 in main, 8 for thread start and join, 4 × 250 in threads.
const PASSED: u64 = 7 + 8 + 4 * 250;

fn selftest_source() -> PathBuf {
    common::repo_dir().join("tests/c/selftest.c")
}

fn build_selftest() -> PathBuf {
    common::build_c("selftest", &[selftest_source().as_path()], &["-pthread"])
}

#[test]
fn the_selftest_passes_and_counts_every_check() {
    let exe = build_selftest();
    let out = common::run_c(&exe, &[("MC_SELFTEST_VALUE", "hello")], Duration::from_secs(20));
    common::assert_c_passed(&out);
    assert_eq!(common::check_counts(&out.stdout), Some((PASSED, 0)));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("value=hello"), "the environment reaches the program: {stdout}");
}

#[test]
fn failed_checks_give_a_non_zero_exit_and_are_named() {
    let exe = build_selftest();
    let out = common::run_c(&exe, &[("MC_SELFTEST_FAIL", "1")], Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(common::check_counts(&out.stdout), Some((PASSED, 3)));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CHECK failed: 1 == 2"), "{stderr}");
    assert!(stderr.contains("CHECK failed: 1 == 2 (1 != 2)"), "{stderr}");
    assert!(stderr.contains("CHECK failed: 3 returned ? (3), expected ? (0)"), "{stderr}");
    let verdict = std::panic::catch_unwind(|| common::assert_c_passed(&out));
    assert!(verdict.is_err(), "assert_c_passed accepted failures");
}

#[test]
fn the_header_compiles_as_cpp17() {
    let cpp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("selftest_cpp.cpp");
    std::fs::copy(selftest_source(), &cpp).expect("copy selftest.c");
    let exe = common::build_c("selftest_cpp", &[cpp.as_path()], &["-pthread"]);
    let out = common::run_c(&exe, &[], Duration::from_secs(20));
    common::assert_c_passed(&out);
    assert_eq!(common::check_counts(&out.stdout), Some((PASSED, 0)));
}

#[test]
fn the_header_asks_for_the_library_header_first() {
    let src = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no_library_header.c");
    std::fs::write(&src, "#include \"mc_check.h\"\nint main(void) { return CHECK_DONE(); }\n").unwrap();
    let verdict = std::panic::catch_unwind(|| common::build_c("no_library_header", &[src.as_path()], &[]));
    let message = match verdict {
        Ok(_) => panic!("mc_check.h compiled without media_collection.h"),
        Err(e) => e.downcast_ref::<String>().cloned().unwrap_or_default(),
    };
    assert!(message.contains("include media_collection.h before mc_check.h"), "{message}");
}

#[test]
fn a_program_past_its_timeout_is_killed_with_its_children() {
    let exe = build_selftest();
    let started = Instant::now();
    let out = common::run_c(&exe, &[("MC_SELFTEST_HANG", "1")], Duration::from_millis(300));
    // Generous: the limit is scaled up under valgrind and the sanitizers.
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("killed after"));
    // run_c returned, so the forked child no longer held the pipes open.
}

#[test]
fn paths_point_at_this_runs_build() {
    let profile = common::profile_dir();
    assert!(profile.join("deps").is_dir(), "{}", profile.display());
    assert!(common::static_lib().ends_with("deps/libmedia_collection.a"));
    assert!(common::static_lib().is_file());
}

fn output(code: i32, stdout: &str) -> Output {
    Output { status: ExitStatus::from_raw(code << 8), stdout: stdout.as_bytes().to_vec(), stderr: Vec::new() }
}

#[test]
fn the_verdict_needs_exit_zero_and_a_clean_last_line() {
    assert_eq!(common::check_counts(b"x\n12 passed, 0 failed\n\n"), Some((12, 0)));
    assert_eq!(common::check_counts(b"12 passed, 3 failed"), Some((12, 3)));
    assert_eq!(common::check_counts(b"12 passed, 0 failed\nmore output\n"), None);
    assert_eq!(common::check_counts(b"passed"), None);

    common::assert_c_passed(&output(0, "log\n5 passed, 0 failed\n"));
    for bad in
        [output(1, "5 passed, 0 failed\n"), output(0, "5 passed, 1 failed\n"), output(0, "no summary\n"), output(0, "")]
    {
        let verdict = std::panic::catch_unwind(|| common::assert_c_passed(&bad));
        assert!(verdict.is_err(), "accepted {bad:?}");
    }
}
