//! The GStreamer integration (examples/gstreamer): builds the plugin, the playbin player and the
//! test driver with their Makefile against the static library of this very `cargo test`, runs
//! them headless against the collector, and asserts on what the collector received.
//!
//! - the `mediacollection` tracer under `gst-launch-1.0` (video, audio, playbin, a filter);
//! - the tracer under `drive`, a plain GStreamer program that pauses, seeks, fails and buffers;
//! - `player`, which owns its bus and uses `mc_gst_handle_message()`, with a pre-roll ad break,
//!   also driving the library from its GLib main loop (`--host-driven`: no library thread);
//! - the plugin exports GStreamer's entry points only (no Rust symbol leaks out of it).
//!
//! Needs pkg-config, GStreamer's development files, gst-launch-1.0 and gst-plugins-base. Without
//! them the tests are skipped with a printed reason, except under `CI=true`, where they fail.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use mc_collector::lint::Severity;
use mc_collector::{Collector, Options, SessionRecord};
use serde_json::Value;

const RUN_TIMEOUT: Duration = Duration::from_secs(60);
const PING_MS: i64 = 200;

/// What every test needs, made once per test binary.
struct Gst {
    out: PathBuf,
    registry: PathBuf,
    content_ogg: PathBuf,
    ad_ogg: PathBuf,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The build, or `None` (after printing why) when GStreamer is missing outside CI.
fn gst() -> Option<&'static Gst> {
    static GST: OnceLock<Result<Gst, String>> = OnceLock::new();
    match GST.get_or_init(setup) {
        Ok(g) => Some(g),
        Err(why) if in_ci() => panic!("GStreamer tests cannot run under CI=true: {why}"),
        Err(why) => {
            let _ = writeln!(std::io::stderr(), "[gstreamer] skipped: {why}");
            None
        }
    }
}

fn tool_works(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>/deps/libmedia_collection.a`: the archive cargo built for this test run.
fn static_lib() -> PathBuf {
    let mut dir = std::env::current_exe().expect("current_exe");
    dir.pop();
    if !dir.ends_with("deps") {
        dir.push("deps");
    }
    let lib = dir.join("libmedia_collection.a");
    assert!(lib.is_file(), "{} is missing: run this through `cargo test`", lib.display());
    lib
}

fn setup() -> Result<Gst, String> {
    if !tool_works("pkg-config", &["--exists", "gstreamer-1.0"]) {
        return Err("pkg-config finds no gstreamer-1.0 (apt-get install libgstreamer1.0-dev)".into());
    }
    if !tool_works("gst-launch-1.0", &["--version"]) {
        return Err("no gst-launch-1.0 (apt-get install gstreamer1.0-tools)".into());
    }
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gstreamer");
    let registry = out.join("registry.bin");
    let _ = std::fs::remove_file(&registry);
    let make = Command::new("make")
        .arg("-C")
        .arg(repo().join("examples/gstreamer"))
        .arg(format!("LIB={}", static_lib().display()))
        .arg(format!("INCLUDE={}", repo().join("include").display()))
        .arg(format!("OUT={}", out.display()))
        .arg("all")
        .output()
        .map_err(|e| format!("cannot run make: {e}"))?;
    assert!(
        make.status.success(),
        "make -C examples/gstreamer failed:\n{}{}",
        String::from_utf8_lossy(&make.stdout),
        String::from_utf8_lossy(&make.stderr)
    );
    let g = Gst { content_ogg: out.join("content.ogg"), ad_ogg: out.join("ad.ogg"), registry, out };

    // Registers the plugin in a registry of our own (never ~/.cache) and checks it loads.
    let inspect = g.command("gst-inspect-1.0").arg("mediacollection").output().expect("gst-inspect-1.0");
    let text = String::from_utf8_lossy(&inspect.stdout);
    assert!(
        inspect.status.success() && text.contains("GstMcTracer"),
        "gst-inspect-1.0 does not find the mediacollection tracer:\n{text}{}",
        String::from_utf8_lossy(&inspect.stderr)
    );

    // Media for playbin: 3 s of content and a 1 s ad, Theora in Ogg (gst-plugins-base).
    for (path, pattern, buffers) in [(&g.content_ogg, "smpte", 90), (&g.ad_ogg, "ball", 30)] {
        let desc = format!(
            "videotestsrc pattern={pattern} num-buffers={buffers} ! video/x-raw,framerate=30/1,width=320,height=240 \
             ! theoraenc ! oggmux ! filesink location={}",
            path.display()
        );
        let o = g.command("gst-launch-1.0").arg("-q").args(desc.split_whitespace()).output().expect("gst-launch-1.0");
        if !o.status.success() {
            return Err(format!(
                "cannot encode a test file (theoraenc, oggmux: apt-get install gstreamer1.0-plugins-base): {}",
                String::from_utf8_lossy(&o.stderr)
            ));
        }
    }
    Ok(g)
}

impl Gst {
    /// A command with the plugin on the path and our registry, without any tracer yet.
    fn command(&self, program: impl AsRef<Path>) -> Command {
        let mut c = Command::new(program.as_ref());
        c.env("GST_PLUGIN_PATH", &self.out)
            .env("GST_REGISTRY", &self.registry)
            .env("GST_DEBUG", "mediacollection:4")
            .env("GST_DEBUG_NO_COLOR", "1")
            .env_remove("GST_TRACERS");
        c
    }

    fn exe(&self, name: &str) -> PathBuf {
        self.out.join(name)
    }
}

/// The tracer's parameters for `collector`, `extra` appended.
fn tracers(collector: &Collector, extra: &str) -> String {
    format!(
        "mediacollection(endpoint={},tracking-server=tracking.example.com,rsid=gst-rsid,\
         org-id=0123456789ABCDEF@AdobeOrg,ping-interval={PING_MS},{extra})",
        collector.base_url()
    )
}

/// Runs to the end (killed after RUN_TIMEOUT), with its output in the test log.
fn run(mut cmd: Command) -> Output {
    let label = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {label}: {e}"));
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let err_reader = thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("{label} still running after {RUN_TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    println!("---- {label}: {status}\n---- stdout\n{}", String::from_utf8_lossy(&stdout));
    println!("---- stderr\n{}", String::from_utf8_lossy(&stderr));
    Output { status, stdout, stderr }
}

fn gst_launch(g: &Gst, collector: &Collector, params: &str, pipeline: &str) -> Output {
    let mut c = g.command("gst-launch-1.0");
    c.env("GST_TRACERS", tracers(collector, params)).args(pipeline.split_whitespace());
    let out = run(c);
    assert!(out.status.success(), "gst-launch-1.0 failed: {}", out.status);
    out
}

fn drive(g: &Gst, collector: &Collector, scenario: &str) -> Output {
    let mut c = g.command(g.exe("drive"));
    c.env("GST_TRACERS", tracers(collector, &format!("media-id=drive-{scenario},content-type=vod"))).arg(scenario);
    let out = run(c);
    let last = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().to_owned();
    assert!(out.status.success() && last.ends_with(" 0 failed"), "drive {scenario} failed: {last}");
    out
}

/// The one session the collector got, once it has ended; its lint must have no error.
fn only_session(collector: &Collector) -> SessionRecord {
    // The programs flush before they exit, so this is at once true; the wait only covers a
    // request still being recorded.
    let ended = |c: &Collector| {
        c.sessions().iter().any(|s| {
            s.events.last().is_some_and(|e| matches!(e["eventType"].as_str(), Some("sessionComplete" | "sessionEnd")))
        })
    };
    assert!(collector.wait_until(Duration::from_secs(10), ended), "no session ended: {:#?}", collector.sessions());
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1, "one session: {sessions:#?}");
    let s = sessions.into_iter().next().unwrap();
    let errors: Vec<_> = collector.lint(&s.sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "lint errors: {errors:#?}\nevents: {:#?}", s.events);
    s
}

fn kind(e: &Value) -> &str {
    e["eventType"].as_str().unwrap_or("?")
}

fn ts(e: &Value) -> i64 {
    e["playerTime"]["ts"].as_i64().expect("ts")
}

fn playhead(e: &Value) -> f64 {
    e["playerTime"]["playhead"].as_f64().expect("playhead")
}

/// The event types without pings, repeats collapsed: the library sends a second `play` 1 s
/// into the content (Adobe's content start), which says nothing about the GStreamer mapping.
fn sequence(s: &SessionRecord) -> Vec<&str> {
    let mut v: Vec<&str> = s.events.iter().map(kind).filter(|k| *k != "ping").collect();
    v.dedup();
    v
}

fn first<'a>(s: &'a SessionRecord, event_type: &str) -> &'a Value {
    s.events.iter().find(|e| kind(e) == event_type).unwrap_or_else(|| panic!("no {event_type}: {:#?}", s.events))
}

/// The event right after the first `after`-typed one that has type `event_type`.
fn next_after<'a>(s: &'a SessionRecord, after: &str, event_type: &str) -> &'a Value {
    let i = s.events.iter().position(|e| kind(e) == after).unwrap_or_else(|| panic!("no {after}"));
    s.events[i + 1..]
        .iter()
        .find(|e| kind(e) == event_type)
        .unwrap_or_else(|| panic!("no {event_type} after {after}: {:#?}", s.events))
}

fn assert_near(what: &str, got: f64, want: f64, tolerance: f64) {
    assert!((got - want).abs() <= tolerance, "{what}: {got}, expected {want} ± {tolerance}");
}

/// Pings came at the configured interval while playing.
fn assert_ping_cadence(s: &SessionRecord, min_pings: usize) {
    let pings: Vec<i64> = s.events.iter().filter(|e| kind(e) == "ping").map(ts).collect();
    assert!(pings.len() >= min_pings, "{} pings, expected at least {min_pings}", pings.len());
    let mut gaps: Vec<i64> = pings.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    assert!(
        (PING_MS - 50..=PING_MS + 150).contains(&median),
        "median ping gap {median} ms, configured {PING_MS} ms: {gaps:?}"
    );
}

#[test]
fn plugin_exports_only_the_gstreamer_entry_points() {
    let Some(g) = gst() else { return };
    let so = g.out.join("libgstmediacollection.so");
    let nm = Command::new("nm").args(["-D", "--defined-only"]).arg(&so).output().expect("nm (binutils)");
    assert!(nm.status.success(), "nm failed: {}", String::from_utf8_lossy(&nm.stderr));
    let text = String::from_utf8_lossy(&nm.stdout);
    let mut symbols: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().nth(2)).collect();
    symbols.sort_unstable();
    // The Rust archive holds thousands of global symbols: -Wl,--exclude-libs,ALL keeps them
    // (and our own C helpers, built hidden) inside the plugin.
    assert_eq!(
        symbols,
        ["gst_plugin_mediacollection_get_desc", "gst_plugin_mediacollection_register"],
        "exported symbols of {}",
        so.display()
    );
}

#[test]
fn tracer_reports_a_gst_launch_video_pipeline() {
    let Some(g) = gst() else { return };
    let collector = Collector::start(Options::default()).expect("collector");
    gst_launch(
        g,
        &collector,
        "media-id=gst-video-1,media-name=\"GStreamer test video, 2 s\",channel=gst-channel,player-name=gst-launch,\
         ecid=12345678901234567890123456789012345678,meta.a.media.show=Demo,meta.test.origin=gstreamer",
        "videotestsrc num-buffers=60 ! video/x-raw,framerate=30/1,width=160,height=120 ! fakesink sync=true",
    );
    let s = only_session(&collector);
    assert_eq!(sequence(&s), ["sessionStart", "play", "sessionComplete"]);

    let start = &s.events[0];
    let p = &start["params"];
    assert_eq!(p["media.id"], "gst-video-1");
    assert_eq!(p["media.name"], "GStreamer test video, 2 s", "a quoted value keeps its comma");
    assert_eq!(p["media.channel"], "gst-channel");
    assert_eq!(p["media.playerName"], "gst-launch");
    assert_eq!(p["media.contentType"], "vod");
    assert_eq!(p["media.streamType"], "video");
    assert_eq!(p["analytics.trackingServer"], "tracking.example.com");
    assert_eq!(p["analytics.reportSuite"], "gst-rsid");
    assert_eq!(p["visitor.marketingCloudOrgId"], "0123456789ABCDEF@AdobeOrg");
    assert_eq!(p["visitor.marketingCloudUserId"], "12345678901234567890123456789012345678", "digits stay a string");
    assert_eq!(p["media.show"], "Demo", "a.media.show is a standard key");
    assert_eq!(start["customMetadata"]["test.origin"], "gstreamer");
    // The duration query (num-buffers at 30 fps).
    assert_eq!(p["media.length"].as_f64(), Some(2.0));

    // The tracer asks for no pre-roll window: play follows at once.
    let play = first(&s, "play");
    assert!(ts(play) - ts(start) < 150, "play {} ms after sessionStart", ts(play) - ts(start));
    assert_ping_cadence(&s, 5);
    // 60 frames at 30 fps: the end is at 2 s.
    assert_near("playhead at sessionComplete", playhead(s.events.last().unwrap()), 2.0, 0.05);
}

#[test]
fn tracer_reports_a_live_gst_launch_audio_pipeline() {
    let Some(g) = gst() else { return };
    let collector = Collector::start(Options::default()).expect("collector");
    gst_launch(
        g,
        &collector,
        "media-id=gst-audio-1,media-type=audio,content-type=live",
        "audiotestsrc is-live=true num-buffers=100 samplesperbuffer=441 ! audio/x-raw,rate=44100 ! audioconvert \
         ! fakesink sync=true",
    );
    let s = only_session(&collector);
    assert_eq!(sequence(&s), ["sessionStart", "play", "sessionComplete"]);
    let p = &s.events[0]["params"];
    assert_eq!(p["media.id"], "gst-audio-1");
    assert_eq!(p["media.name"], "gst-audio-1", "without media-name or a title tag, the id");
    assert_eq!(p["media.streamType"], "audio");
    assert_eq!(p["media.contentType"], "live");
    // A live source has no duration: the MC API's length for live content.
    assert_eq!(p["media.length"].as_f64(), Some(86400.0));
    assert_ping_cadence(&s, 3);
    // Live playheads are the second of the day (UTC), not the position.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64() % 86400.0;
    let ph = playhead(s.events.last().unwrap());
    let off = (ph - now).abs();
    assert!(off.min(86400.0 - off) < 10.0, "live playhead {ph}, second of the day {now}");
}

#[test]
fn tracer_reports_playbin_with_the_duration_and_uri() {
    let Some(g) = gst() else { return };
    let collector = Collector::start(Options::default()).expect("collector");
    let uri = format!("file://{}", g.content_ogg.display());
    gst_launch(
        g,
        &collector,
        "log-level=info",
        &format!("playbin uri={uri} video-sink=\"fakesink sync=true\" audio-sink=fakesink"),
    );
    let s = only_session(&collector);
    assert_eq!(sequence(&s), ["sessionStart", "play", "sessionComplete"]);
    let p = &s.events[0]["params"];
    assert_eq!(p["media.id"], uri.as_str(), "without media-id, playbin's URI");
    assert_near("media.length (the duration query)", p["media.length"].as_f64().unwrap(), 3.0, 0.05);
    assert_near("playhead at sessionComplete", playhead(s.events.last().unwrap()), 3.0, 0.05);
}

#[test]
fn tracer_pipeline_filter_leaves_other_pipelines_alone() {
    let Some(g) = gst() else { return };
    let collector = Collector::start(Options::default()).expect("collector");
    gst_launch(
        g,
        &collector,
        "media-id=filtered,pipeline-filter=player-*",
        "videotestsrc num-buffers=10 ! fakesink sync=false",
    );
    assert!(collector.requests().is_empty(), "pipeline0 does not match player-*: {:#?}", collector.requests());
}

#[test]
fn tracer_maps_pause_and_resume() {
    let Some(g) = gst() else { return };
    let collector = Collector::start(Options::default()).expect("collector");
    drive(g, &collector, "pause");
    let s = only_session(&collector);
    assert_eq!(sequence(&s), ["sessionStart", "play", "pauseStart", "play", "sessionComplete"]);
    let pause = first(&s, "pauseStart");
    let resume = next_after(&s, "pauseStart", "play");
    assert!(ts(resume) - ts(pause) >= 500, "paused for {} ms, the driver pauses 700 ms", ts(resume) - ts(pause));
    assert_near("playhead at pause", playhead(pause), 1.5, 0.4);
    assert_near("playhead at resume", playhead(resume), playhead(pause), 0.05);
    assert_near("playhead at sessionComplete", playhead(s.events.last().unwrap()), 3.0, 0.05);
}

#[test]
fn tracer_maps_a_flushing_seek_to_pause_and_play() {
    let Some(g) = gst() else { return };
    let collector = Collector::start(Options::default()).expect("collector");
    drive(g, &collector, "seek");
    let s = only_session(&collector);
    // The MC API has no seek events: seek start is pauseStart, seek complete play.
    assert_eq!(sequence(&s), ["sessionStart", "play", "pauseStart", "play", "sessionComplete"]);
    assert_near("playhead at seek start", playhead(first(&s, "pauseStart")), 1.5, 0.4);
    assert_near("playhead after the seek (its target)", playhead(next_after(&s, "pauseStart", "play")), 0.5, 0.1);
}

#[test]
fn tracer_maps_an_error_then_ends_the_session_at_teardown() {
    let Some(g) = gst() else { return };
    let collector = Collector::start(Options::default()).expect("collector");
    drive(g, &collector, "error");
    let s = only_session(&collector);
    // One error: GStreamer's follow-up errors (basesrc's "Internal data stream error") are not
    // reported; nor is the PLAYING -> PAUSED of the teardown a pause.
    assert_eq!(sequence(&s), ["sessionStart", "play", "error", "sessionEnd"]);
    let error = first(&s, "error");
    // identity error-after: GST_CORE_ERROR_FAILED.
    assert_eq!(error["qoeData"]["media.qoe.errorID"], "gst-core-error-quark:1");
    assert_eq!(error["qoeData"]["media.qoe.errorSource"], "player");
}

#[test]
fn tracer_maps_buffering() {
    let Some(g) = gst() else { return };
    let collector = Collector::start(Options::default()).expect("collector");
    drive(g, &collector, "buffering");
    let s = only_session(&collector);
    // The driver pauses the pipeline while buffering, as applications do: not a pauseStart.
    assert_eq!(sequence(&s), ["sessionStart", "play", "bufferStart", "play", "sessionComplete"]);
    let start = first(&s, "bufferStart");
    let done = next_after(&s, "bufferStart", "play");
    assert!(ts(done) - ts(start) >= 300, "buffered {} ms, the driver buffers 500 ms", ts(done) - ts(start));
}

#[test]
fn player_reports_a_preroll_ad_break_then_the_content() {
    let Some(g) = gst() else { return };
    let collector = Collector::start(Options::default()).expect("collector");
    let mut c = g.command(g.exe("player"));
    c.env("MC_ENDPOINT", collector.base_url())
        .env("MC_PING_INTERVAL_MS", PING_MS.to_string())
        .args(["--headless", "--media-id", "episode-1", "--media-name", "Episode 1", "--ad"])
        .arg(&g.ad_ogg)
        .arg(&g.content_ogg);
    let out = run(c);
    assert!(out.status.success(), "player failed: {}", out.status);

    let s = only_session(&collector);
    assert_eq!(
        sequence(&s),
        ["sessionStart", "adBreakStart", "adStart", "play", "adComplete", "adBreakComplete", "play", "sessionComplete"]
    );
    let p = &s.events[0]["params"];
    assert_eq!(p["media.id"], "episode-1");
    assert_eq!(p["media.name"], "Episode 1");
    assert_eq!(p["media.playerName"], "gst-player-example");
    assert_near("media.length (the content's)", p["media.length"].as_f64().unwrap(), 3.0, 0.05);
    let ad = &first(&s, "adStart")["params"];
    assert_eq!(ad["media.ad.id"], "preroll-ad-1");
    assert_near("media.ad.length", ad["media.ad.length"].as_f64().unwrap(), 1.0, 0.05);
    // During the ad the content stays at 0; then it plays to its end.
    assert_eq!(playhead(first(&s, "adComplete")), 0.0);
    assert_near("playhead at sessionComplete", playhead(s.events.last().unwrap()), 3.0, 0.05);
    assert_ping_cadence(&s, 5);
}

/// The same player driving the library from its GLib main loop (a GSource, --host-driven): the
/// same complete, lint-clean session (`only_session` lints it), and no thread of the library's in the process (an
/// IP-address endpoint, so libcurl's resolver starts none either). The worker-thread run is
/// the control: the player's thread scan does find the worker there.
#[test]
fn player_driving_the_library_from_its_glib_main_loop_has_no_library_thread() {
    let Some(g) = gst() else { return };
    for host_driven in [true, false] {
        let collector = Collector::start(Options::default()).expect("collector");
        let mut c = g.command(g.exe("player"));
        c.env("MC_ENDPOINT", collector.base_url())
            .env("MC_PING_INTERVAL_MS", PING_MS.to_string())
            .args(["--headless", "--media-id", "glib-1", "--ad"])
            .arg(&g.ad_ogg);
        if host_driven {
            c.arg("--host-driven");
        }
        c.arg(&g.content_ogg);
        let out = run(c);
        assert!(out.status.success(), "player failed: {}", out.status);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let want = if host_driven { "library threads: 0" } else { "library threads: 1" };
        assert!(stdout.contains(want), "host-driven {host_driven}: {stdout}");

        let s = only_session(&collector);
        assert_eq!(
            sequence(&s),
            [
                "sessionStart",
                "adBreakStart",
                "adStart",
                "play",
                "adComplete",
                "adBreakComplete",
                "play",
                "sessionComplete"
            ]
        );
        assert_eq!(s.events[0]["params"]["media.id"], "glib-1");
        assert_ping_cadence(&s, 5);
    }
}

/// gst-launch-1.0 with exactly `tracer` as GST_TRACERS (no defaults added), on a short pipeline.
fn gst_launch_raw(g: &Gst, tracer: &str) -> (Output, String) {
    let mut c = g.command("gst-launch-1.0");
    c.env("GST_TRACERS", tracer).args(
        "videotestsrc num-buffers=10 ! video/x-raw,framerate=30/1,width=64,height=48 ! fakesink sync=true"
            .split_whitespace(),
    );
    let out = run(c);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stderr)
}

fn tracer_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("mediacollection tracer: ")).collect()
}

#[test]
fn tracer_says_on_stderr_what_is_wrong_with_its_configuration() {
    let Some(g) = gst() else { return };
    let collector = Collector::start(Options::default()).expect("collector");
    let url = collector.base_url();

    // A required parameter missing: named, with what it becomes.
    let (out, err) = gst_launch_raw(g, &format!("mediacollection(endpoint={url},rsid=r,org-id=o@AdobeOrg)"));
    assert!(out.status.success(), "not strict: the pipeline plays");
    assert_eq!(
        tracer_lines(&err),
        [
            "mediacollection tracer: the tracking-server parameter (analytics.trackingServer) is missing: nothing will be reported"
        ],
        "{err}"
    );

    // A misspelled parameter: named, with a suggestion; the rest still works.
    let (out, err) = gst_launch_raw(g, &tracers(&collector, "tracking-sever=x"));
    assert!(out.status.success());
    assert!(
        err.contains(
            r#"mediacollection tracer: unknown parameter "tracking-sever" (did you mean "tracking-server"?): ignored"#
        ),
        "{err}"
    );
    assert!(
        collector.wait_until(Duration::from_secs(10), |c| c.sessions().len() == 1),
        "the session is still reported"
    );

    // An endpoint without a scheme: the library's own error text.
    let (out, err) = gst_launch_raw(
        g,
        "mediacollection(endpoint=127.0.0.1:8080,tracking-server=t.example.com,rsid=r,org-id=o@AdobeOrg)",
    );
    assert!(out.status.success());
    let lines = tracer_lines(&err);
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with(
            "mediacollection tracer: cannot create the client: mc_client_new: MC_ERR_INVALID_URL: config.endpoint"
        ),
        "{err}"
    );
    assert!(lines[0].contains("127.0.0.1:8080") && lines[0].ends_with(": nothing will be reported"), "{err}");

    // No parameters at all.
    let (_, err) = gst_launch_raw(g, "mediacollection");
    assert!(err.contains("mediacollection tracer: no parameters: use mediacollection(endpoint=...,"), "{err}");

    // quiet=true: nothing on stderr.
    let (_, err) = gst_launch_raw(g, &format!("mediacollection(endpoint={url},quiet=true)"));
    assert!(tracer_lines(&err).is_empty(), "{err}");
}

#[test]
fn tracer_strict_fails_the_pipeline_instead_of_playing_unreported() {
    let Some(g) = gst() else { return };
    let collector = Collector::start(Options::default()).expect("collector");
    let (out, err) = gst_launch_raw(g, &format!("mediacollection(endpoint={},strict=true)", collector.base_url()));
    assert!(!out.status.success(), "strict: gst-launch must fail\n{err}");
    let all = format!("{err}{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        all.contains("mediacollection tracer: the tracking-server parameter (analytics.trackingServer) is missing"),
        "{all}"
    );
    // gst-launch prints the ERROR message it got from the pipeline's bus.
    assert!(all.contains("ERROR") && all.contains("strict=true"), "{all}");
    // An unknown parameter is a configuration problem in strict mode.
    let (out, err) = gst_launch_raw(g, &tracers(&collector, "strict=true,colour=blue"));
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(r#"unknown parameter "colour": nothing will be reported (strict"#), "{err}");
    assert!(collector.sessions().is_empty());
}

#[test]
fn tracer_warns_about_delivery_failures_without_gst_debug() {
    let Some(g) = gst() else { return };
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let tracer = format!(
        "mediacollection(endpoint=http://127.0.0.1:{port},tracking-server=t.example.com,rsid=r,org-id=o@AdobeOrg,flush-timeout=500)"
    );
    let (out, err) = gst_launch_raw(g, &tracer);
    assert!(out.status.success());
    let lines = tracer_lines(&err);
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "mediacollection tracer: sessionStart to http://127.0.0.1:{port} failed (no answer"
        ))),
        "{err}"
    );
    // Rate limited: a burst of failures prints one line (the default interval is 30 s).
    let failures = lines.iter().filter(|l| l.contains(" failed (")).count();
    assert_eq!(failures, 1, "{err}");

    // https against an http server: the TLS failure is shown.
    let collector = Collector::start(Options::default()).expect("collector");
    let https = collector.base_url().replace("http://", "https://");
    let (_, err) = gst_launch_raw(
        g,
        &format!(
            "mediacollection(endpoint={https},tracking-server=t.example.com,rsid=r,org-id=o@AdobeOrg,flush-timeout=500)"
        ),
    );
    assert!(err.contains(&format!("mediacollection tracer: sessionStart to {https} failed (no answer")), "{err}");
}

#[test]
fn tracer_reports_to_media_edge_with_backend_edge() {
    let Some(g) = gst() else { return };
    let collector = Collector::start(Options::default()).expect("collector");
    // No tracking server, report suite or org id: Media Edge needs the datastream id only.
    let (out, stderr) = gst_launch_raw(
        g,
        &format!(
            "mediacollection(endpoint={},backend=edge,config-id=ds-gst,fpid=fpid-gst,media-id=gst-edge-1,\
             ping-interval={PING_MS})",
            collector.base_url()
        ),
    );
    assert!(out.status.success(), "gst-launch-1.0 failed: {stderr}");
    assert!(tracer_lines(&stderr).is_empty(), "no configuration problem: {stderr}");
    let ended = |c: &Collector| {
        c.sessions().iter().any(|s| s.events.last().is_some_and(|e| e["eventType"] == "media.sessionComplete"))
    };
    assert!(collector.wait_until(Duration::from_secs(10), ended), "no Edge session ended: {:#?}", collector.sessions());
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(s.api, mc_collector::Api::Edge);
    assert_eq!(s.events[0]["eventType"], "media.sessionStart");
    assert_eq!(s.events[0]["mediaCollection"]["sessionDetails"]["name"], "gst-edge-1");
    assert_eq!(s.events[0]["identityMap"]["FPID"][0]["id"], "fpid-gst");
    let errors: Vec<_> = collector.lint(&s.sid).into_iter().filter(|f| f.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "lint errors: {errors:#?}");
    // A backend that does not exist, and Edge without its datastream, are named on stderr.
    let (_, stderr) = gst_launch_raw(g, &format!("mediacollection(endpoint={},backend=edgy)", collector.base_url()));
    assert!(stderr.contains("backend=edgy: use backend=mc"), "{stderr}");
    let (_, stderr) = gst_launch_raw(g, &format!("mediacollection(endpoint={},backend=edge)", collector.base_url()));
    assert!(stderr.contains("the config-id parameter"), "{stderr}");
}
