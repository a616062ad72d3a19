//! `make install` end to end, as a player team uses it: scripts/install.sh installs this test
//! run's libraries (`<target>/<profile>/deps`, via LIBDIR_SRC) into a temporary prefix; the C
//! and C++ examples are built from that prefix alone, with pkg-config (shared and static) and
//! with CMake (examples/cmake/), and run against the collector. Also: DESTDIR staging, the
//! SONAME and its links, and `make docs` (scripts/docs.sh) without a Doxygen warning.
//!
//! A missing tool (pkg-config, cc, c++, cmake, readelf, doxygen) skips a test with a notice,
//! except under `CI=true`, where it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use mc_collector::lint::Severity;
use mc_collector::{Collector, Options};

/// What `-lmedia_collection`'s static archive needs (tests/static_libs.rs pins the same list).
const LIBS_PRIVATE: &str = "-lcurl -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc";

fn soname() -> String {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    if major == "0" {
        format!("libmedia_collection.so.0.{}", env!("CARGO_PKG_VERSION_MINOR"))
    } else {
        format!("libmedia_collection.so.{major}")
    }
}

/// Whether every tool runs; under CI=true a missing one fails the test, else it is skipped.
fn tools(test: &str, names: &[&str]) -> bool {
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|t| Command::new(t).arg("--version").output().map(|o| !o.status.success()).unwrap_or(true))
        .collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!("{test}: missing {} (scripts/install-deps.sh installs them)", missing.join(", "));
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("[mc-install] skipped {msg}");
    false
}

/// A directory of its own for one test, removed when the test ends (pass or fail).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("install-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn check(out: Output, what: &str) -> Output {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// scripts/install.sh PREFIX [DESTDIR], with this test run's libraries.
fn install(prefix: &Path, destdir: Option<&Path>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(common::repo_dir().join("scripts/install.sh"));
    cmd.arg(prefix);
    if let Some(d) = destdir {
        cmd.arg(d);
    }
    // The static library would otherwise come from target/release (a `cargo build --release`).
    cmd.env("LIBDIR_SRC", common::profile_dir().join("deps")).envs(env.iter().copied());
    check(cmd.output().expect("run scripts/install.sh"), "scripts/install.sh")
}

/// Runs `script` with sh in the repository, the prefix's pkg-config directory first on the path.
fn sh(script: &str, prefix: &Path) -> Output {
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(common::repo_dir())
        .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
        .output()
        .expect("run sh");
    check(out, script)
}

fn readelf_dynamic(file: &Path) -> String {
    let out = check(Command::new("readelf").arg("-d").arg(file).output().expect("readelf"), "readelf -d");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs an example against a fresh collector and checks the session reached it lint-clean.
fn run_example(exe: &Path, env: &[(&str, &str)], media_id: &str) {
    let collector = Collector::start(Options::default()).expect("collector");
    let url = collector.base_url();
    let mut vars = vec![("MC_ENDPOINT", url.as_str()), ("MC_DEMO_LOCAL", "1")];
    vars.extend_from_slice(env);
    let out = common::run_c(exe, &vars, Duration::from_secs(90));
    assert!(out.status.success(), "{} failed: {}", exe.display(), out.status);
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1, "{}: one session", exe.display());
    let s = &sessions[0];
    assert_eq!(s.events[0]["params"]["media.id"], media_id);
    assert_eq!(s.events.last().map(|e| e["eventType"].clone()), Some("sessionComplete".into()));
    let errors: Vec<_> = collector.lint(&s.sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "lint errors: {errors:#?}");
}

#[test]
fn install_lays_out_headers_libraries_links_and_the_pc_file() {
    if !tools("install layout", &["readelf"]) {
        return;
    }
    let scratch = Scratch::new("layout");
    let stage = scratch.path().join("stage");
    install(Path::new("/opt/media-collection"), Some(&stage), &[("LIBDIR", "lib/x86_64-linux-gnu")]);

    let root = stage.join("opt/media-collection");
    let lib = root.join("lib/x86_64-linux-gnu");
    for h in ["media_collection.h", "media_collection.hpp"] {
        let installed = std::fs::read(root.join("include").join(h)).expect("installed header");
        assert_eq!(installed, std::fs::read(common::repo_dir().join("include").join(h)).unwrap(), "{h}");
    }
    assert!(lib.join("libmedia_collection.a").is_file());
    let real = format!("libmedia_collection.so.{}", env!("CARGO_PKG_VERSION"));
    assert!(lib.join(&real).is_file() && !lib.join(&real).is_symlink());
    // Relative links, so the staged tree can be moved into place.
    assert_eq!(std::fs::read_link(lib.join(soname())).unwrap(), Path::new(&real));
    assert_eq!(std::fs::read_link(lib.join("libmedia_collection.so")).unwrap(), Path::new(&soname()));
    assert!(readelf_dynamic(&lib.join(&real)).contains(&format!("Library soname: [{}]", soname())));

    // The .pc file names PREFIX, never DESTDIR.
    let pc = std::fs::read_to_string(lib.join("pkgconfig/media_collection.pc")).expect("pc file");
    for line in [
        "prefix=/opt/media-collection".to_owned(),
        "libdir=${prefix}/lib/x86_64-linux-gnu".to_owned(),
        "includedir=${prefix}/include".to_owned(),
        format!("Version: {}", env!("CARGO_PKG_VERSION")),
        "Libs: -L${libdir} -lmedia_collection".to_owned(),
        format!("Libs.private: {LIBS_PRIVATE}"),
        "Cflags: -I${includedir}".to_owned(),
        format!("static_libs=${{libdir}}/libmedia_collection.a {LIBS_PRIVATE}"),
    ] {
        assert!(pc.lines().any(|l| l == line), "{line:?} missing from:\n{pc}");
    }
    assert!(!pc.contains(stage.to_str().unwrap()), "DESTDIR leaked into the pc file:\n{pc}");
}

#[test]
fn install_refuses_a_relative_prefix_and_missing_libraries() {
    let script = common::repo_dir().join("scripts/install.sh");
    let out = Command::new(&script).arg("relative/prefix").output().expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("absolute"));
    let scratch = Scratch::new("nolibs");
    let out = Command::new(&script).arg(scratch.path()).env("LIBDIR_SRC", scratch.path()).output().expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cargo build --release"), "{out:?}");
}

#[test]
fn the_examples_build_from_the_prefix_with_pkg_config_and_run() {
    if !tools("pkg-config examples", &["pkg-config", "cc", "c++", "readelf", "ldd"]) {
        return;
    }
    let scratch = Scratch::new("pkgconfig");
    let prefix = scratch.path().join("prefix");
    install(&prefix, None, &[]);
    let lib = prefix.join("lib");
    let bin = scratch.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let p = |name: &str| bin.join(name).display().to_string();

    let version = sh("pkg-config --modversion media_collection", &prefix);
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), env!("CARGO_PKG_VERSION"));
    let static_flags = sh("pkg-config --libs --static media_collection", &prefix);
    assert!(String::from_utf8_lossy(&static_flags.stdout).contains(LIBS_PRIVATE), "{static_flags:?}");

    // The README's commands: shared, then static.
    sh(
        &format!(
            "cc -std=c11 -Wall -Wextra -Werror examples/c/player.c $(pkg-config --cflags --libs media_collection) -o {}",
            p("player_c_shared")
        ),
        &prefix,
    );
    sh(
        &format!(
            "c++ -std=c++17 -Wall -Wextra -Werror examples/cpp/player.cpp $(pkg-config --cflags media_collection) \
             $(pkg-config --variable=static_libs media_collection) -o {}",
            p("player_cpp_static")
        ),
        &prefix,
    );
    sh(
        &format!(
            "c++ -std=c++17 -Wall -Wextra -Werror examples/cpp/player.cpp $(pkg-config --cflags --libs media_collection) -o {}",
            p("player_cpp_shared")
        ),
        &prefix,
    );

    let shared = bin.join("player_c_shared");
    assert!(readelf_dynamic(&shared).contains(&format!("Shared library: [{}]", soname())));
    assert!(!readelf_dynamic(&bin.join("player_cpp_static")).contains("libmedia_collection"));
    // The loader finds the SONAME link in the prefix through LD_LIBRARY_PATH.
    let ld_path = lib.display().to_string();
    let ldd = check(Command::new("ldd").arg(&shared).env("LD_LIBRARY_PATH", &ld_path).output().unwrap(), "ldd");
    let want = format!("{} => {}", soname(), lib.join(soname()).display());
    assert!(String::from_utf8_lossy(&ldd.stdout).contains(&want), "{want} not in:\n{ldd:?}");

    run_example(&shared, &[("LD_LIBRARY_PATH", &ld_path)], "demo-movie-001");
    run_example(&bin.join("player_cpp_static"), &[], "cpp-movie-1");
    run_example(&bin.join("player_cpp_shared"), &[("LD_LIBRARY_PATH", &ld_path)], "cpp-movie-1");
}

#[test]
fn the_cmake_example_finds_the_prefix_and_runs() {
    if !tools("CMake example", &["cmake", "pkg-config", "c++", "readelf"]) {
        return;
    }
    let scratch = Scratch::new("cmake");
    let prefix = scratch.path().join("prefix");
    install(&prefix, None, &[]);
    let source = common::repo_dir().join("examples/cmake");

    for (build, extra) in [("build-shared", None), ("build-static", Some("-DMC_STATIC=ON"))] {
        let dir = scratch.path().join(build);
        let mut configure = Command::new("cmake");
        configure.arg("-S").arg(&source).arg("-B").arg(&dir).arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display()));
        configure.args(extra);
        // CMAKE_PREFIX_PATH alone must be enough (the README says so): no PKG_CONFIG_PATH.
        configure.env_remove("PKG_CONFIG_PATH");
        check(configure.output().expect("cmake"), "cmake configure");
        check(Command::new("cmake").arg("--build").arg(&dir).output().expect("cmake --build"), "cmake --build");

        let exe = dir.join("player");
        let dynamic = readelf_dynamic(&exe);
        if extra.is_none() {
            assert!(dynamic.contains(&format!("Shared library: [{}]", soname())), "{dynamic}");
            // CMake's build RUNPATH points into the prefix: no LD_LIBRARY_PATH needed.
            assert!(dynamic.contains(&prefix.join("lib").display().to_string()), "{dynamic}");
        } else {
            assert!(!dynamic.contains("libmedia_collection"), "{dynamic}");
        }
        run_example(&exe, &[], "cpp-movie-1");
    }
}

#[test]
fn make_docs_builds_the_api_reference_without_warnings() {
    if !tools("API reference", &["doxygen"]) {
        return;
    }
    let scratch = Scratch::new("docs");
    let out = Command::new(common::repo_dir().join("scripts/docs.sh"))
        .env("MC_DOCS_OUT", scratch.path())
        .output()
        .expect("run scripts/docs.sh");
    check(out, "scripts/docs.sh (Doxygen warnings are errors)");
    let html = scratch.path().join("html");
    let file_page = std::fs::read_to_string(html.join("media__collection_8h.html")).expect("the C header's page");
    for name in ["mc_client_new", "mc_track_play", "MC_ERR_QUEUE_FULL", "MC_VERSION_STRING"] {
        assert!(file_page.contains(name), "{name} missing from the reference");
    }
    assert!(html.join("classmc_1_1Tracker.html").is_file(), "the C++ layer's mc::Tracker page");
    assert!(html.join("index.html").is_file());
}
