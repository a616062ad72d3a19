//! `make install` end to end, as a player team uses it: scripts/install.sh installs this test
//! run's libraries (`<target>/<profile>/deps`, via LIBDIR_SRC) and collector into a temporary
//! prefix; fresh external C and C++ projects are built from that prefix alone, with pkg-config
//! (`media_collection` shared, `media_collection-static` static), with CMake's config package
//! (examples/cmake/, `media_collection::shared` and `::static`) and with Meson
//! (examples/meson/), and run against the collector. Also: DESTDIR staging, the SONAME and its
//! links, no debug info in what is installed, the GStreamer plugin and `mc-collector`, and
//! `make docs` (scripts/docs.sh) without a Doxygen warning.
//!
//! A missing tool (pkg-config, cc, c++, cmake, meson, ninja, readelf, doxygen) skips a test with
//! a notice, except under `CI=true`, where it fails.

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

/// The collector binary of this profile (`cargo test` of this package alone does not build it).
fn collector_bin_dir() -> PathBuf {
    let dir = common::profile_dir();
    if !dir.join("mc-collector").is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "-p", "mc-collector", "--bin", "mc-collector"]).current_dir(common::repo_dir());
        if dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        check(build.output().expect("cargo build -p mc-collector"), "cargo build -p mc-collector");
    }
    dir
}

/// scripts/install.sh PREFIX [DESTDIR], with this test run's libraries and collector. The
/// GStreamer plugin is left out unless `env` asks for it (only the layout test builds it).
fn install(prefix: &Path, destdir: Option<&Path>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(common::repo_dir().join("scripts/install.sh"));
    cmd.arg(prefix);
    if let Some(d) = destdir {
        cmd.arg(d);
    }
    // The static library would otherwise come from target/release (a `cargo build --release`).
    cmd.env("LIBDIR_SRC", common::profile_dir().join("deps"))
        .env("BINDIR_SRC", collector_bin_dir())
        .env("GSTREAMER", "no")
        .envs(env.iter().copied());
    check(cmd.output().expect("run scripts/install.sh"), "scripts/install.sh")
}

/// Whether an ELF file (or every member of an archive) carries DWARF debug info.
fn has_debug_info(file: &Path) -> bool {
    let out = check(Command::new("readelf").arg("-S").arg("-W").arg(file).output().expect("readelf"), "readelf -S");
    String::from_utf8_lossy(&out.stdout).contains(".debug_info")
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
    if !tools("install layout", &["readelf", "strip"]) {
        return;
    }
    let gst = Command::new("pkg-config").args(["--exists", "gstreamer-1.0"]).status().is_ok_and(|s| s.success());
    if !gst && !tools("install layout with the GStreamer plugin", &["gst-launch-1.0"]) {
        return;
    }
    let scratch = Scratch::new("layout");
    let stage = scratch.path().join("stage");
    let out = install(
        Path::new("/opt/media-collection"),
        Some(&stage),
        &[("LIBDIR", "lib/x86_64-linux-gnu"), ("GSTREAMER", "yes")],
    );
    let printed = String::from_utf8_lossy(&out.stdout);

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

    // The .pc files name PREFIX, never DESTDIR.
    let pc = std::fs::read_to_string(lib.join("pkgconfig/media_collection.pc")).expect("pc file");
    for line in [
        "prefix=/opt/media-collection".to_owned(),
        "libdir=${prefix}/lib/x86_64-linux-gnu".to_owned(),
        "includedir=${prefix}/include".to_owned(),
        format!("Version: {}", env!("CARGO_PKG_VERSION")),
        "Libs: -L${libdir} -lmedia_collection".to_owned(),
        format!("Libs.private: {LIBS_PRIVATE}"),
        "Cflags: -I${includedir}".to_owned(),
    ] {
        assert!(pc.lines().any(|l| l == line), "{line:?} missing from:\n{pc}");
    }
    let pc_static = std::fs::read_to_string(lib.join("pkgconfig/media_collection-static.pc")).expect("static pc file");
    for line in [
        "prefix=/opt/media-collection".to_owned(),
        "Name: media_collection-static".to_owned(),
        format!("Libs: ${{libdir}}/libmedia_collection.a {LIBS_PRIVATE}"),
        "Cflags: -I${includedir}".to_owned(),
    ] {
        assert!(pc_static.lines().any(|l| l == line), "{line:?} missing from:\n{pc_static}");
    }
    let stage_str = stage.to_str().unwrap();
    assert!(!pc.contains(stage_str) && !pc_static.contains(stage_str), "DESTDIR leaked into a pc file");

    // The CMake config package: relative to itself, never naming DESTDIR.
    let cmake_dir = lib.join("cmake/media_collection");
    let config = std::fs::read_to_string(cmake_dir.join("media_collection-config.cmake")).expect("cmake config");
    assert!(
        config.contains(r#"get_filename_component(_mc_libdir "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)"#),
        "{config}"
    );
    assert!(config.contains(&format!("IMPORTED_SONAME \"{}\"", soname())), "{config}");
    assert!(config.contains("INTERFACE_LINK_LIBRARIES \"curl;gcc_s;util;rt;pthread;m;dl\""), "{config}");
    assert!(!config.contains(stage_str) && !config.contains("/opt/"), "absolute path in the config:\n{config}");
    let version = std::fs::read_to_string(cmake_dir.join("media_collection-config-version.cmake")).unwrap();
    assert!(version.contains(&format!("set(PACKAGE_VERSION \"{}\")", env!("CARGO_PKG_VERSION"))), "{version}");

    // The collector and the GStreamer plugin.
    let collector = root.join("bin/mc-collector");
    let help =
        check(Command::new(&collector).arg("--version").output().expect("installed mc-collector"), "mc-collector");
    assert!(String::from_utf8_lossy(&help.stdout).contains(env!("CARGO_PKG_VERSION")));
    let plugin = lib.join("gstreamer-1.0/libgstmediacollection.so");
    assert!(plugin.is_file(), "no GStreamer plugin installed:\n{printed}");

    // Nothing installed carries debug info; the build it came from does.
    assert!(has_debug_info(&common::profile_dir().join("deps/libmedia_collection.a")), "the build keeps debug info");
    for f in [lib.join("libmedia_collection.a"), lib.join(&real), collector.clone(), plugin.clone()] {
        assert!(!has_debug_info(&f), "{} carries debug info", f.display());
    }
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    println!(
        "installed sizes: .a {} KiB, .so {} KiB, plugin {} KiB, mc-collector {} KiB",
        size(&lib.join("libmedia_collection.a")) / 1024,
        size(&lib.join(&real)) / 1024,
        size(&plugin) / 1024,
        size(&collector) / 1024
    );
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
    let static_flags = sh("pkg-config --libs media_collection-static", &prefix);
    let static_flags = String::from_utf8_lossy(&static_flags.stdout).into_owned();
    assert!(static_flags.contains("libmedia_collection.a") && static_flags.contains(LIBS_PRIVATE), "{static_flags}");

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
            "cc -std=c11 -Wall -Wextra -Werror examples/c/player.c $(pkg-config --cflags --libs media_collection-static) -o {}",
            p("player_c_static")
        ),
        &prefix,
    );
    sh(
        &format!(
            "c++ -std=c++17 -Wall -Wextra -Werror examples/cpp/player.cpp $(pkg-config --cflags --libs media_collection-static) -o {}",
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
    for exe in ["player_c_static", "player_cpp_static"] {
        assert!(!readelf_dynamic(&bin.join(exe)).contains("libmedia_collection"), "{exe} links the .so");
    }
    // The loader finds the SONAME link in the prefix through LD_LIBRARY_PATH.
    let ld_path = lib.display().to_string();
    let ldd = check(Command::new("ldd").arg(&shared).env("LD_LIBRARY_PATH", &ld_path).output().unwrap(), "ldd");
    let want = format!("{} => {}", soname(), lib.join(soname()).display());
    assert!(String::from_utf8_lossy(&ldd.stdout).contains(&want), "{want} not in:\n{ldd:?}");

    run_example(&shared, &[("LD_LIBRARY_PATH", &ld_path)], "demo-movie-001");
    run_example(&bin.join("player_c_static"), &[], "demo-movie-001");
    run_example(&bin.join("player_cpp_static"), &[], "cpp-movie-1");
    run_example(&bin.join("player_cpp_shared"), &[("LD_LIBRARY_PATH", &ld_path)], "cpp-movie-1");
}

#[test]
fn the_cmake_example_finds_the_config_package_and_runs() {
    if !tools("CMake example", &["cmake", "c++", "readelf"]) {
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
        // CMAKE_PREFIX_PATH alone must be enough (the README says so): the config package,
        // not pkg-config.
        configure.env_remove("PKG_CONFIG_PATH").env("PKG_CONFIG", "/nonexistent/pkg-config");
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
fn the_meson_example_finds_the_pc_files_and_runs() {
    if !tools("Meson example", &["meson", "ninja", "pkg-config", "c++", "readelf"]) {
        return;
    }
    let scratch = Scratch::new("meson");
    let prefix = scratch.path().join("prefix");
    install(&prefix, None, &[]);
    let source = common::repo_dir().join("examples/meson");
    let ld_path = prefix.join("lib").display().to_string();

    for (build, option) in [("build-shared", "-Dstatic=false"), ("build-static", "-Dstatic=true")] {
        let dir = scratch.path().join(build);
        let mut setup = Command::new("meson");
        setup.arg("setup").arg(&dir).arg(&source).arg(option).env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"));
        check(setup.output().expect("meson setup"), "meson setup");
        check(
            Command::new("meson").arg("compile").arg("-C").arg(&dir).output().expect("meson compile"),
            "meson compile",
        );
        let exe = dir.join("player");
        let dynamic = readelf_dynamic(&exe);
        if option.ends_with("false") {
            assert!(dynamic.contains(&format!("Shared library: [{}]", soname())), "{dynamic}");
            run_example(&exe, &[("LD_LIBRARY_PATH", &ld_path)], "cpp-movie-1");
        } else {
            assert!(!dynamic.contains("libmedia_collection"), "{dynamic}");
            run_example(&exe, &[], "cpp-movie-1");
        }
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
