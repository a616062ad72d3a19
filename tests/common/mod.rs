//! Support for Rust integration tests that build C (and C++) programs against the freshly built
//! static library and run them. The protocol is in tests/c/README.md.
//!
//! Knobs, read from the environment:
//! - `MC_C_SANITIZE=address`: ASan + UBSan (gcc), with the ordinary static library.
//! - `MC_C_SANITIZE=thread`: TSan, with the library rebuilt by a nightly toolchain under
//!   `-Zsanitizer=thread` and linked with Rust's own TSan runtime (spec/ecosystem.md §5.3). With no
//!   nightly toolchain the program is built and run without TSan, and that is printed: the one
//!   tool that may be skipped.
//! - `MC_C_VALGRIND=1`: run under valgrind (not together with a sanitizer).
//! - `CC`, `CXX`: the compilers (default `cc`, `c++`).

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

pub mod faultnet;
pub mod ffi;
pub mod host_loop;
pub mod rel;
pub mod tls;

use std::env;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// What `--print native-static-libs` asks for, in its order.
pub const NATIVE_STATIC_LIBS: &[&str] = &["-lcurl", "-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"];

/// The repository (the library package's manifest directory).
pub fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>` (or `target/<triple>/<profile>`) of the running test binary, which lives in
/// its `deps/`. Works with `--release`, `--target` and a custom `CARGO_TARGET_DIR`.
pub fn profile_dir() -> PathBuf {
    let mut dir = env::current_exe().expect("current_exe");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir
}

/// The static library cargo built for this very test run. `target/<profile>/libmedia_collection.a`
/// is only copied there by `cargo build`, so it may be missing or stale under `cargo test`.
pub fn static_lib() -> PathBuf {
    let lib = profile_dir().join("deps").join("libmedia_collection.a");
    assert!(lib.is_file(), "{} is missing: run this through `cargo test`", lib.display());
    lib
}

/// The sanitizer a build uses, from `MC_C_SANITIZE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sanitizer {
    None,
    Address,
    Thread,
}

pub fn sanitizer() -> Sanitizer {
    match env::var("MC_C_SANITIZE").unwrap_or_default().as_str() {
        "" | "none" => Sanitizer::None,
        "address" => Sanitizer::Address,
        "thread" => Sanitizer::Thread,
        other => panic!("MC_C_SANITIZE={other:?}: use address or thread"),
    }
}

/// `MC_C_VALGRIND=1`: run programs under valgrind.
pub fn valgrind() -> bool {
    matches!(env::var("MC_C_VALGRIND").as_deref(), Ok("1") | Ok("yes") | Ok("true"))
}

/// What TSan needs beyond gcc: an instrumented build of our library and Rust's TSan runtime.
#[derive(Debug, Clone)]
pub struct TsanToolchain {
    pub static_lib: PathBuf,
    pub runtime: PathBuf,
}

/// The TSan toolchain, built once per test process; `Err` says why TSan cannot run here.
pub fn tsan_toolchain() -> Result<TsanToolchain, String> {
    static TSAN: OnceLock<Result<TsanToolchain, String>> = OnceLock::new();
    TSAN.get_or_init(build_tsan_toolchain).clone()
}

fn build_tsan_toolchain() -> Result<TsanToolchain, String> {
    let sysroot = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--print", "sysroot"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .ok_or("no nightly toolchain")?;
    let triple = host_triple();
    let runtime = sysroot.join(format!("lib/rustlib/{triple}/lib/librustc-nightly_rt.tsan.a"));
    if !runtime.is_file() {
        return Err(format!("no TSan runtime at {}", runtime.display()));
    }
    // A target dir of its own: no fight over the outer cargo's lock, no mixing of artefacts.
    let target_dir = profile_dir().parent().expect("target dir").join("mc-tsan");
    // std must be instrumented too (-Zbuild-std, from the rust-src component): TSan does not
    // understand the fences of an uninstrumented Arc and reports every drop of one as a race.
    if !sysroot.join("lib/rustlib/src/rust/library/std").is_dir() {
        return Err("no rust-src for the nightly toolchain (rustup component add rust-src --toolchain nightly)".into());
    }
    let mut cmd = Command::new("rustup");
    cmd.args(["run", "nightly", "cargo", "build", "--lib", "-p", "media-collection", "--target", &triple])
        .args(["-Zbuild-std", "--manifest-path"])
        .arg(repo_dir().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        // With --target, RUSTFLAGS reach our crates and std but not build scripts.
        .env("RUSTFLAGS", "-Zsanitizer=thread")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "RUSTUP_TOOLCHAIN",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC",
        "RUSTC_WRAPPER",
        "RUSTDOC",
        "CARGO_MAKEFLAGS",
    ] {
        cmd.env_remove(var);
    }
    eprintln!("[mc-c] building the TSan library with nightly into {}", target_dir.display());
    let out = cmd.output().map_err(|e| format!("rustup: {e}"))?;
    if !out.status.success() {
        panic!("nightly TSan build of the library failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let static_lib = target_dir.join(&triple).join("debug").join("libmedia_collection.a");
    if !static_lib.is_file() {
        panic!("nightly TSan build left no {}", static_lib.display());
    }
    Ok(TsanToolchain { static_lib, runtime })
}

fn host_triple() -> String {
    let out = Command::new("rustc").arg("-vV").output().expect("rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .unwrap_or_else(|| "x86_64-unknown-linux-gnu".to_owned())
}

/// Prints past the test harness's capture, so a skipped tool shows even when tests pass.
fn notice(msg: &str) {
    let _ = writeln!(std::io::stderr(), "[mc-c] {msg}");
}

fn is_cxx(src: &Path) -> bool {
    matches!(src.extension().and_then(OsStr::to_str), Some("cc" | "cpp" | "cxx" | "C" | "c++"))
}

/// Compiles `sources` (C11; C++17 for `.cc`/`.cpp`/`.cxx`) with warnings as errors and links
/// them with the static library and its native libraries. Returns the executable, written
/// under `CARGO_TARGET_TMPDIR` as `<name>` (`<name>-asan`, `<name>-tsan` when sanitized).
/// `extra_flags` go to every compile and to the link. Panics with the compiler's output on
/// failure.
pub fn build_c(name: &str, sources: &[&Path], extra_flags: &[&str]) -> PathBuf {
    static BUILDS: AtomicUsize = AtomicUsize::new(0);
    let mut san = sanitizer();
    if san != Sanitizer::None && valgrind() {
        panic!("MC_C_VALGRIND and MC_C_SANITIZE do not mix: pick one");
    }
    let mut tsan = None;
    if san == Sanitizer::Thread {
        match tsan_toolchain() {
            Ok(t) => tsan = Some(t),
            Err(why) => {
                notice(&format!("ThreadSanitizer skipped: {why}; building {name} without it"));
                san = Sanitizer::None;
            }
        }
    }
    let suffix = match san {
        Sanitizer::None => "",
        Sanitizer::Address => "-asan",
        Sanitizer::Thread => "-tsan",
    };
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let exe = out_dir.join(format!("{name}{suffix}"));
    // A build directory per call: tests building the same program in parallel never share
    // objects, and the executable appears by rename, whole.
    let work = out_dir.join(format!(
        "c-build-{name}{suffix}-{}-{}",
        std::process::id(),
        BUILDS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&work).expect("build dir");
    let _cleanup = RemoveOnDrop(work.clone());

    let repo = repo_dir();
    let san_flags: &[&str] = match san {
        Sanitizer::None => &[],
        Sanitizer::Address => {
            &["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]
        }
        Sanitizer::Thread => &["-fsanitize=thread", "-fno-omit-frame-pointer"],
    };
    let cc = env::var("CC").unwrap_or_else(|_| "cc".into());
    let cxx = env::var("CXX").unwrap_or_else(|_| "c++".into());
    let mut objects = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        let obj = work.join(format!("{i}.o"));
        let (compiler, std) = if is_cxx(src) { (&cxx, "-std=c++17") } else { (&cc, "-std=c11") };
        let mut cmd = Command::new(compiler);
        cmd.args([std, "-Wall", "-Wextra", "-Werror", "-g"])
            // Strict C11 hides POSIX (nanosleep, fork, pthreads): the programs are POSIX ones.
            .arg("-D_DEFAULT_SOURCE")
            .arg(format!("-I{}", repo.join("include").display()))
            .arg(format!("-I{}", repo.join("tests/c").display()))
            .args(san_flags)
            .args(extra_flags)
            .arg("-c")
            .arg(src)
            .arg("-o")
            .arg(&obj);
        run_tool(&mut cmd, &format!("compiling {}", src.display()));
        objects.push(obj);
    }

    let any_cxx = sources.iter().any(|s| is_cxx(s));
    let mut link = Command::new(if any_cxx { &cxx } else { &cc });
    link.args(&objects);
    match &tsan {
        Some(t) => {
            // Rust's TSan runtime, not gcc's libtsan: the nightly's LLVM emits symbols gcc 12's
            // runtime lacks (spec/ecosystem.md §5.3).
            link.arg(&t.static_lib)
                .arg("-Wl,--whole-archive")
                .arg(&t.runtime)
                .arg("-Wl,--no-whole-archive")
                .arg("-lstdc++");
        }
        None => {
            link.arg(static_lib()).args(san_flags);
        }
    }
    link.args(NATIVE_STATIC_LIBS).args(extra_flags).arg("-g").arg("-o").arg(work.join("exe"));
    run_tool(&mut link, &format!("linking {name}"));
    std::fs::rename(work.join("exe"), &exe).expect("move the executable into place");
    exe
}

/// Removes a build directory however `build_c` ends, a failed compile included.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run_tool(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{what} failed ({}):\n{cmd:?}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// How much longer a program may take under a sanitizer or valgrind.
fn slowdown() -> u32 {
    if valgrind() {
        10
    } else {
        match sanitizer() {
            Sanitizer::None => 1,
            Sanitizer::Address | Sanitizer::Thread => 3,
        }
    }
}

/// Runs `exe` with `env` added to the environment (under valgrind when `MC_C_VALGRIND=1`). It
/// is killed, with every process it started, once `timeout` passes (scaled up under
/// sanitizers and valgrind); its stdout and stderr are printed into the test's output and
/// returned with its exit status.
pub fn run_c(exe: &Path, env: &[(&str, &str)], timeout: Duration) -> Output {
    let mut cmd = if valgrind() {
        let mut c = Command::new("valgrind");
        c.args(["--error-exitcode=33", "--leak-check=full", "--errors-for-leak-kinds=definite", "-q"]).arg(exe);
        c
    } else {
        Command::new(exe)
    };
    match sanitizer() {
        Sanitizer::Address => {
            cmd.env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1");
        }
        Sanitizer::Thread => {
            let supp = repo_dir().join("tests/c/tsan.supp");
            // die_after_fork=0: a child of a threaded player that starts a client (and so a
            // thread) of its own is supported (tests/c/fork.c); TSan would kill it by default.
            let mut opts = "halt_on_error=1:second_deadlock_stack=1:die_after_fork=0".to_owned();
            if supp.is_file() {
                opts.push_str(&format!(":suppressions={}", supp.display()));
            }
            if env::var_os("TSAN_OPTIONS").is_none() {
                cmd.env("TSAN_OPTIONS", opts);
            }
        }
        Sanitizer::None => {}
    }
    cmd.envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout also ends the processes it forked.
        .process_group(0);
    let label = exe.file_name().and_then(OsStr::to_str).unwrap_or("program").to_owned();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });

    let limit = timeout * slowdown();
    let deadline = Instant::now() + limit;
    let mut timed_out = false;
    while !exited(pid) {
        if Instant::now() >= deadline {
            timed_out = true;
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    // The program is a zombie or still running, so its pid, which names its process group,
    // cannot have been reused: this reaches only it and what it forked (leftovers would hold
    // its pipes open forever). ESRCH when nothing is left is harmless.
    // SAFETY: kill(2) takes no memory.
    unsafe { libc::kill(-pid, libc::SIGKILL) };
    let status = child.wait().expect("wait for the program");
    let stdout = out_reader.join().unwrap_or_default();
    let mut stderr = err_reader.join().unwrap_or_default();
    if timed_out {
        stderr.extend_from_slice(format!("[mc-c] {label} killed after {limit:?}\n").as_bytes());
    }
    println!("---- {label} stdout ----\n{}", String::from_utf8_lossy(&stdout));
    println!("---- {label} stderr ----\n{}", String::from_utf8_lossy(&stderr));
    println!("---- {label}: {status} ----");
    Output { status, stdout, stderr }
}

/// Whether the child `pid` has ended, without reaping it (WNOWAIT).
fn exited(pid: libc::pid_t) -> bool {
    // SAFETY: `info` is a valid, zeroed siginfo_t that waitid(2) fills; `pid` is our own child.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let rc = libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT);
        rc != 0 || info.si_pid() != 0
    }
}

/// The last non-empty stdout line as `(passed, failed)`, if it is `N passed, N failed`.
pub fn check_counts(stdout: &[u8]) -> Option<(u64, u64)> {
    let text = String::from_utf8_lossy(stdout);
    let last = text.lines().rev().find(|l| !l.trim().is_empty())?;
    let (passed, failed) = last.trim().split_once(" passed, ")?;
    let failed = failed.strip_suffix(" failed")?;
    Some((passed.parse().ok()?, failed.parse().ok()?))
}

/// A C harness program passed: exit status 0 and a last line `N passed, 0 failed`.
pub fn assert_c_passed(out: &Output) {
    let tail = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    };
    let counts = check_counts(&out.stdout);
    assert!(
        out.status.success() && matches!(counts, Some((_, 0))),
        "the C program failed: {} with {}\n--- stdout (tail) ---\n{}\n--- stderr (tail) ---\n{}",
        out.status,
        match counts {
            Some((p, f)) => format!("{p} passed, {f} failed"),
            None => "no `N passed, N failed` line".to_owned(),
        },
        tail(&out.stdout),
        tail(&out.stderr),
    );
}
