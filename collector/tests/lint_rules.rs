//! The session lint (mc-api.md §14 B, corrected by tracker.md §4–§9): Adobe's own SDK output
//! and the docs' sample sessions lint with zero errors, and each rule has a session that passes
//! and one that fails.

use std::path::PathBuf;

use mc_collector::lint::{Finding, LintOptions, Severity, lint_session, rules};
use serde_json::{Value, json};

const T0: i64 = 1_700_000_000_000;

/// `(file, downloaded)`: every fixture, with the lint options the collector would use.
const FIXTURES: [(&str, bool); 14] = [
    ("s1.json", false),
    ("s1_session_end.json", false),
    ("s2.json", false),
    ("s3.json", false),
    ("s4.json", false),
    ("s5.json", false),
    ("s6.json", false),
    ("s7.json", false),
    ("s8.json", false),
    ("tl1_session.json", false),
    ("downloaded_example.json", true),
    ("ads_no_granular.json", false),
    ("downloaded_50s.json", true),
    ("live_states_errors.json", false),
];

fn fixture(name: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn lint(events: &[Value]) -> Vec<Finding> {
    lint_session(events, &LintOptions::default())
}

fn errors(findings: &[Finding]) -> Vec<&Finding> {
    findings.iter().filter(|f| f.severity == Severity::Error).collect()
}

fn find<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

/// Exactly the findings of `rule` are at `indexes`, with `severity`.
fn flagged(findings: &[Finding], rule: &str, severity: Severity, indexes: &[usize]) {
    let got: Vec<&Finding> = find(findings, rule);
    let at: Vec<usize> = got.iter().filter_map(|f| f.index).collect();
    assert_eq!(at, indexes, "{rule}: {findings:#?}");
    assert!(got.iter().all(|f| f.severity == severity && !f.message.is_empty()), "{rule}: {got:#?}");
}

fn clean(findings: &[Finding], rule: &str) {
    assert!(find(findings, rule).is_empty(), "{rule}: {findings:#?}");
}

fn ev(kind: &str, ph: f64, ms: i64) -> Value {
    json!({"eventType": kind, "playerTime": {"playhead": ph, "ts": T0 + ms}})
}

fn with(mut e: Value, key: &str, value: Value) -> Value {
    e[key] = value;
    e
}

fn start_with(length: f64, content_type: &str) -> Value {
    let mut s = fixture("s1.json").remove(0);
    s["params"]["media.length"] = json!(length);
    s["params"]["media.contentType"] = json!(content_type);
    s.as_object_mut().unwrap().remove("customMetadata");
    s
}

fn start() -> Value {
    start_with(600.0, "vod")
}

fn brk(ph: f64, ms: i64) -> Value {
    with(ev("adBreakStart", ph, ms), "params", json!({"media.ad.podIndex": 1, "media.ad.podSecond": ph}))
}

fn ad(ph: f64, ms: i64) -> Value {
    let params =
        json!({"media.ad.id": "a", "media.ad.length": 15, "media.ad.podPosition": 1, "media.ad.playerName": "p"});
    with(ev("adStart", ph, ms), "params", params)
}

fn chapter(ph: f64, ms: i64) -> Value {
    let params = json!({"media.chapter.index": 1, "media.chapter.offset": ph, "media.chapter.length": 30});
    with(ev("chapterStart", ph, ms), "params", params)
}

fn state(kind: &str, name: &str, ms: i64) -> Value {
    with(ev(kind, 1.0, ms), "params", json!({"media.state.name": name}))
}

fn qoe(kind: &str, ph: f64, ms: i64, q: Value) -> Value {
    with(ev(kind, ph, ms), "qoeData", q)
}

#[test]
fn fixtures_lint_without_errors() {
    for (name, downloaded) in FIXTURES {
        let events = fixture(name);
        let findings = lint_session(&events, &LintOptions { downloaded, ..LintOptions::default() });
        assert!(errors(&findings).is_empty(), "{name}: {:#?}", errors(&findings));
        for f in &findings {
            assert!(f.index.is_some_and(|i| i < events.len()), "{name}: {f:?}");
        }
    }
}

#[test]
fn adobe_sdk_sessions_lint_without_cadence_or_structure_warnings() {
    // What Adobe's SDK does is normal: only equal ts, reserved customMetadata prefixes and the
    // seek out of an ad (S8) may draw warnings.
    for (name, downloaded) in FIXTURES {
        let findings = lint_session(&fixture(name), &LintOptions { downloaded, ..LintOptions::default() });
        for f in &findings {
            let expected = matches!(f.rule.as_str(), "ts-equal" | "custom-metadata-prefix")
                || (name == "s8.json" && f.rule == rules::PLAYHEAD_FROZEN_IN_AD);
            assert!(expected, "{name}: {f:?}");
        }
    }
    // The docs' TL1 keeps ts 1 ms apart, so it is clean altogether.
    assert_eq!(lint(&fixture("tl1_session.json")), Vec::new());
}

#[test]
fn downloaded_cadence_depends_on_the_option() {
    let events = fixture("downloaded_50s.json");
    let online = lint(&events);
    assert!(!find(&online, rules::PING_CADENCE).is_empty(), "50 s pings are late for an online session");
    assert!(errors(&online).is_empty(), "{online:#?}");
    let offline = lint_session(&events, &LintOptions { downloaded: true, ..LintOptions::default() });
    clean(&offline, rules::PING_CADENCE);
}

#[test]
fn session_start_first() {
    let ok = [start(), ev("play", 0.0, 1)];
    clean(&lint(&ok), rules::SESSION_START_FIRST);
    let f = lint(&[ev("play", 0.0, 0), start()]);
    flagged(&f, rules::SESSION_START_FIRST, Severity::Error, &[0, 1]);
    let f = lint(&[start(), ev("play", 0.0, 1), start()]);
    flagged(&f, rules::SESSION_START_FIRST, Severity::Error, &[2]);
}

#[test]
fn events_after_end_and_complete() {
    // Adobe's SDK never sends sessionEnd after sessionComplete; either is fine.
    let ok = [
        start(),
        ev("play", 0.0, 1),
        ev("sessionComplete", 5.0, 5001),
        ev("ping", 5.0, 6000),
        ev("sessionEnd", 5.0, 7000),
    ];
    let f = lint(&ok);
    clean(&f, rules::EVENT_AFTER_END);
    clean(&f, rules::EVENT_AFTER_COMPLETE);
    let f = lint(&[
        start(),
        ev("play", 0.0, 1),
        ev("sessionEnd", 1.0, 1001),
        ev("ping", 1.0, 2000),
        ev("sessionEnd", 1.0, 2001),
    ]);
    flagged(&f, rules::EVENT_AFTER_END, Severity::Error, &[3, 4]);
    let f = lint(&[start(), ev("play", 0.0, 1), ev("sessionComplete", 1.0, 1001), ev("play", 1.0, 2000)]);
    flagged(&f, rules::EVENT_AFTER_COMPLETE, Severity::Warning, &[3]);
    assert!(errors(&f).is_empty(), "{f:#?}");
}

#[test]
fn ts_order_and_equal() {
    let f = lint(&[start(), ev("play", 0.0, 1), ev("ping", 10.0, 10_001)]);
    clean(&f, rules::TS_ORDER);
    clean(&f, rules::TS_EQUAL);
    let f = lint(&[start(), ev("play", 0.0, 5000), ev("pauseStart", 1.0, 4000)]);
    flagged(&f, rules::TS_ORDER, Severity::Error, &[2]);
    let f = lint(&[start(), ev("play", 0.0, 0)]);
    flagged(&f, rules::TS_EQUAL, Severity::Warning, &[1]);
    assert!(errors(&f).is_empty(), "{f:#?}");
    // A gap under 1 ms counts as equal.
    let fractional = with(ev("play", 0.0, 0), "playerTime", json!({"playhead": 0, "ts": T0 as f64 + 0.5}));
    let f = lint(&[start(), fractional]);
    flagged(&f, rules::TS_EQUAL, Severity::Warning, &[1]);
}

#[test]
fn ads_belong_inside_breaks() {
    let ok = [
        start(),
        brk(0.0, 1),
        ad(0.0, 2),
        ev("play", 0.0, 3),
        ev("adComplete", 0.0, 5000),
        ev("adBreakComplete", 0.0, 5001),
        ev("play", 0.0, 5002),
    ];
    let f = lint(&ok);
    assert!(f.is_empty(), "{f:#?}");
    let f = lint(&[start(), ev("play", 0.0, 1), ad(5.0, 5000), ev("adComplete", 5.0, 6000), ev("adSkip", 5.0, 6001)]);
    flagged(&f, rules::AD_OUTSIDE_BREAK, Severity::Error, &[2, 3, 4]);
    // Unmatched pairs inside a break are warnings.
    let f = lint(&[
        start(),
        brk(0.0, 1),
        ad(0.0, 2),
        ad(0.0, 3),
        ev("adComplete", 0.0, 4),
        ev("adSkip", 0.0, 5),
        ev("adBreakComplete", 0.0, 6),
        ev("adBreakComplete", 0.0, 7),
        ev("play", 0.0, 8),
    ]);
    flagged(&f, rules::AD_UNMATCHED, Severity::Warning, &[3, 5]);
    flagged(&f, rules::AD_BREAK_UNMATCHED, Severity::Warning, &[7]);
    let f = lint(&[
        start(),
        brk(0.0, 1),
        ad(0.0, 2),
        ev("adBreakComplete", 0.0, 3),
        ev("play", 0.0, 4),
        brk(0.0, 5),
        brk(0.0, 6),
        ev("sessionEnd", 0.0, 7),
    ]);
    flagged(&f, rules::AD_UNCLOSED, Severity::Warning, &[3, 7]);
    flagged(&f, rules::AD_BREAK_UNMATCHED, Severity::Warning, &[6]);
}

#[test]
fn ad_break_gap_allows_pings_only() {
    // Adobe's SDK pings while waiting for a delayed adStart (tracker.md S7).
    let ok = [
        start(),
        ev("play", 0.0, 1),
        ev("play", 1.0, 1000),
        brk(20.0, 20_000),
        ev("ping", 20.0, 30_000),
        ad(20.0, 35_000),
        ev("play", 20.0, 35_001),
    ];
    clean(&lint(&ok), rules::AD_BREAK_GAP);
    let f = lint(&[
        start(),
        ev("play", 0.0, 1),
        ev("ping", 10.0, 10_000),
        brk(20.0, 20_000),
        ev("play", 20.0, 20_001),
        ad(20.0, 20_002),
        ev("adComplete", 20.0, 25_000),
        state("stateStart", "mute", 25_001),
        ad(20.0, 25_002),
    ]);
    flagged(&f, rules::AD_BREAK_GAP, Severity::Warning, &[4, 7]);
    clean(&f, rules::PREROLL_PLAY);
}

#[test]
fn preroll_play() {
    let ok = [start(), brk(0.0, 1), ad(0.0, 2), ev("play", 0.0, 3)];
    clean(&lint(&ok), rules::PREROLL_PLAY);
    // A mid-roll after content played is no pre-roll.
    let midroll = [start(), ev("play", 0.0, 1), ev("ping", 10.0, 10_000), brk(10.0, 10_001), ad(10.0, 10_002)];
    clean(&lint(&midroll), rules::PREROLL_PLAY);
    // A pre-roll: the break starts before any play.
    let f = lint(&[start(), brk(0.0, 1), ev("play", 0.0, 2), ad(0.0, 3)]);
    flagged(&f, rules::PREROLL_PLAY, Severity::Error, &[2]);
    clean(&f, rules::AD_BREAK_GAP);
    // A play first, then a break before content advanced: it looks like a pre-roll, so a warning.
    let f = lint(&[start(), ev("play", 0.0, 1), brk(0.0, 2), ad(0.0, 3)]);
    flagged(&f, rules::PREROLL_PLAY, Severity::Warning, &[1]);
    // A resumed session has no pre-roll: its first break may be one resumed mid-content.
    let mut resumed = start();
    resumed["params"]["media.resume"] = json!(true);
    let f = lint(&[resumed, brk(0.0, 1), ev("play", 0.0, 2), ad(0.0, 3)]);
    clean(&f, rules::PREROLL_PLAY);
    flagged(&f, rules::AD_BREAK_GAP, Severity::Warning, &[2]);
}

#[test]
fn play_after_break() {
    let base = [
        start(),
        brk(0.0, 1),
        ad(0.0, 2),
        ev("play", 0.0, 3),
        ev("adComplete", 0.0, 5000),
        ev("adBreakComplete", 0.0, 5001),
    ];
    let mut ok = base.to_vec();
    ok.extend([ev("ping", 0.0, 5002), chapter(0.0, 5003), ev("play", 0.0, 5004)]);
    clean(&lint(&ok), rules::PLAY_AFTER_BREAK);
    let mut paused = base.to_vec();
    paused.push(ev("pauseStart", 0.0, 5002));
    clean(&lint(&paused), rules::PLAY_AFTER_BREAK);
    let mut ended = base.to_vec();
    ended.push(ev("sessionEnd", 0.0, 5002));
    clean(&lint(&ended), rules::PLAY_AFTER_BREAK);
    let mut bad = base.to_vec();
    bad.extend([ev("ping", 0.0, 5002), ev("bufferStart", 0.0, 5003)]);
    flagged(&lint(&bad), rules::PLAY_AFTER_BREAK, Severity::Warning, &[7]);
}

#[test]
fn chapters() {
    let ok = [
        start(),
        ev("play", 0.0, 1),
        chapter(0.0, 2),
        ev("chapterComplete", 5.0, 5000),
        chapter(5.0, 5001),
        ev("chapterSkip", 6.0, 6000),
    ];
    let f = lint(&ok);
    for rule in [rules::CHAPTER_OVERLAP, rules::CHAPTER_UNCLOSED, rules::CHAPTER_UNMATCHED] {
        clean(&f, rule);
    }
    let f = lint(&[
        start(),
        ev("play", 0.0, 1),
        chapter(0.0, 2),
        chapter(5.0, 5000),
        ev("chapterComplete", 6.0, 6000),
        ev("chapterComplete", 6.0, 6001),
    ]);
    flagged(&f, rules::CHAPTER_OVERLAP, Severity::Error, &[3]);
    flagged(&f, rules::CHAPTER_UNMATCHED, Severity::Warning, &[5]);
    // A session ending with a chapter open closes it implicitly: a warning only.
    let f = lint(&[start(), ev("play", 0.0, 1), chapter(0.0, 2), ev("sessionComplete", 5.0, 5000)]);
    flagged(&f, rules::CHAPTER_UNCLOSED, Severity::Warning, &[3]);
    assert!(errors(&f).is_empty(), "{f:#?}");
}

#[test]
fn ping_cadence_in_content() {
    let ok = [
        start(),
        ev("play", 0.0, 1),
        ev("ping", 10.0, 10_900),
        ev("pauseStart", 12.0, 12_000),
        ev("ping", 12.0, 22_500),
        ev("play", 12.0, 30_000),
        ev("sessionComplete", 14.0, 32_000),
    ];
    let f = lint(&ok);
    clean(&f, rules::PING_CADENCE);
    clean(&f, rules::PING_MISSING);
    // Other events (chapters, states, bitrate) do not reset the cadence.
    let f = lint(&[
        start(),
        ev("play", 0.0, 1),
        chapter(5.0, 5000),
        state("stateStart", "mute", 9000),
        ev("ping", 15.0, 15_000),
    ]);
    flagged(&f, rules::PING_CADENCE, Severity::Warning, &[4]);
    // Pings continue while paused.
    let f = lint(&[
        start(),
        ev("play", 0.0, 1),
        ev("ping", 10.0, 10_000),
        ev("pauseStart", 12.0, 12_000),
        ev("play", 12.0, 40_000),
    ]);
    flagged(&f, rules::PING_CADENCE, Severity::Warning, &[4]);
    // One warning per gap, however many events fall in it.
    let f = lint(&[
        start(),
        ev("play", 0.0, 1),
        chapter(12.0, 12_000),
        ev("chapterComplete", 13.0, 13_000),
        ev("ping", 14.0, 14_000),
    ]);
    flagged(&f, rules::PING_CADENCE, Severity::Warning, &[2]);
    // Nothing is due after sessionComplete.
    let f = lint(&[start(), ev("play", 0.0, 1), ev("sessionComplete", 5.0, 5000), ev("ping", 5.0, 60_000)]);
    clean(&f, rules::PING_CADENCE);
}

#[test]
fn ping_missing_altogether_is_an_error() {
    let f = lint(&[start(), ev("play", 0.0, 1), ev("pauseStart", 30.0, 30_000), ev("sessionComplete", 30.0, 60_000)]);
    flagged(&f, rules::PING_MISSING, Severity::Error, &[2]);
    // A short gap without pings is only a warning.
    let f = lint(&[start(), ev("play", 0.0, 1), ev("sessionEnd", 15.0, 15_000)]);
    flagged(&f, rules::PING_CADENCE, Severity::Warning, &[2]);
    clean(&f, rules::PING_MISSING);
    // With pings elsewhere a long gap (an app that slept) stays a warning.
    let f = lint(&[start(), ev("play", 0.0, 1), ev("ping", 10.0, 10_000), ev("ping", 20.0, 80_000)]);
    flagged(&f, rules::PING_CADENCE, Severity::Warning, &[3]);
    assert!(errors(&f).is_empty(), "{f:#?}");
}

#[test]
fn ping_cadence_in_ads_granular_or_not() {
    // Without granular tracking: 10 s inside ads (Adobe's default).
    let plain = [
        start(),
        brk(0.0, 0),
        ad(0.0, 1),
        ev("play", 0.0, 2),
        ev("ping", 0.0, 10_002),
        ev("ping", 0.0, 20_002),
        ev("adComplete", 0.0, 25_000),
    ];
    clean(&lint(&plain), rules::PING_CADENCE);
    // Granular: 1 s inside ads; a 5 s hole is late.
    let mut granular = vec![start(), brk(0.0, 0), ad(0.0, 1), ev("play", 0.0, 2)];
    granular.extend((1..=5).map(|s| ev("ping", 0.0, s * 1000 + 2)));
    clean(&lint(&granular), rules::PING_CADENCE);
    granular.push(ev("ping", 0.0, 10_002));
    flagged(&lint(&granular), rules::PING_CADENCE, Severity::Warning, &[9]);
    // Between ads the cadence is 10 s again, even in a granular session.
    let mut between = vec![start(), brk(0.0, 0), ad(0.0, 1), ev("play", 0.0, 2)];
    between.extend((1..=3).map(|s| ev("ping", 0.0, s * 1000 + 2)));
    between.extend([ev("adComplete", 0.0, 3500), ev("ping", 0.0, 12_000), ad(0.0, 13_000), ev("ping", 0.0, 14_000)]);
    clean(&lint(&between), rules::PING_CADENCE);
    // Entering a granular ad gives the client one ad interval from the adStart.
    let mut late = vec![
        start(),
        brk(0.0, 0),
        ad(0.0, 1),
        ev("ping", 0.0, 1000),
        ev("ping", 0.0, 2000),
        ev("adComplete", 0.0, 2500),
    ];
    late.extend([ad(0.0, 9000), ev("ping", 0.0, 14_000)]);
    flagged(&lint(&late), rules::PING_CADENCE, Severity::Warning, &[7]);
}

#[test]
fn ping_cadence_downloaded() {
    let events = [
        start(),
        ev("play", 0.0, 0),
        ev("ping", 50.0, 50_500),
        ev("ping", 100.0, 100_800),
        ev("sessionComplete", 120.0, 120_000),
    ];
    let downloaded = LintOptions { downloaded: true, ..LintOptions::default() };
    clean(&lint_session(&events, &downloaded), rules::PING_CADENCE);
    let late = [start(), ev("play", 0.0, 0), ev("ping", 70.0, 70_000)];
    flagged(&lint_session(&late, &downloaded), rules::PING_CADENCE, Severity::Warning, &[2]);
    // The tolerance is an option.
    let tight = LintOptions { downloaded: true, ping_tolerance_ms: 0 };
    flagged(&lint_session(&events, &tight), rules::PING_CADENCE, Severity::Warning, &[2, 3]);
}

#[test]
fn media_length_negative() {
    clean(&lint(&[start_with(0.0, "vod"), ev("play", 0.0, 1)]), rules::MEDIA_LENGTH);
    let f = lint(&[start_with(-1.0, "vod"), ev("play", 0.0, 1)]);
    flagged(&f, rules::MEDIA_LENGTH, Severity::Error, &[0]);
    let m = &f.iter().find(|x| x.rule == rules::MEDIA_LENGTH).unwrap().message;
    assert!(m.contains("media.length is -1"), "{m}");
}

#[test]
fn playhead_range() {
    let ok =
        [start_with(30.0, "vod"), ev("play", 0.0, 1), ev("ping", 30.0, 10_000), ev("sessionComplete", 30.5, 10_001)];
    clean(&lint(&ok), rules::PLAYHEAD_RANGE);
    let f = lint(&[
        start_with(30.0, "vod"),
        ev("play", 0.0, 1),
        ev("ping", 35.0, 10_000),
        ev("sessionComplete", 36.0, 10_001),
    ]);
    flagged(&f, rules::PLAYHEAD_RANGE, Severity::Warning, &[2]);
    let f = lint(&[start_with(30.0, "vod"), ev("play", -1.0, 1)]);
    flagged(&f, rules::PLAYHEAD_RANGE, Severity::Error, &[1]);
    // Live: a second of the day.
    let live = [start_with(86_400.0, "live"), ev("play", 86_399.5, 1), ev("ping", 12.0, 10_000)];
    clean(&lint(&live), rules::PLAYHEAD_RANGE);
    let f = lint(&[start_with(3600.0, "linear"), ev("play", 4000.0, 1), ev("ping", 90_000.0, 10_000)]);
    flagged(&f, rules::PLAYHEAD_RANGE, Severity::Warning, &[2]);
    let f = lint(&[start_with(86_400.0, "vod"), ev("play", 86_400.0, 1)]);
    flagged(&f, rules::PLAYHEAD_RANGE, Severity::Warning, &[1]);
}

#[test]
fn playhead_frozen_in_ad() {
    let ok = [
        start(),
        ev("play", 0.0, 1),
        ev("play", 10.0, 10_000),
        brk(10.0, 10_001),
        ad(10.0, 10_002),
        ev("play", 10.0, 10_003),
        ev("ping", 10.2, 20_000),
        ev("adComplete", 10.0, 25_000),
    ];
    clean(&lint(&ok), rules::PLAYHEAD_FROZEN_IN_AD);
    let bad = [
        start(),
        brk(0.0, 1),
        ad(0.0, 2),
        ev("ping", 10.0, 10_000),
        ev("ping", 20.0, 20_000),
        ev("adComplete", 25.0, 25_000),
        ev("adBreakComplete", 25.0, 25_001),
        ev("play", 26.0, 26_000),
    ];
    let f = lint(&bad);
    flagged(&f, rules::PLAYHEAD_FROZEN_IN_AD, Severity::Warning, &[3]);
    assert!(errors(&f).is_empty(), "{f:#?}");
}

#[test]
fn player_states() {
    let names: Vec<String> = (0..10).map(|i| format!("state{i}")).collect();
    let mut ok = vec![start(), ev("play", 0.0, 1)];
    for (i, n) in names.iter().enumerate() {
        ok.push(state("stateStart", n, 2 + 2 * i as i64));
        ok.push(state("stateEnd", n, 3 + 2 * i as i64));
    }
    ok.push(state("stateStart", "state0", 100)); // restarting a used name counts once
    let f = lint(&ok);
    for rule in [rules::STATES_LIMIT, rules::STATE_END_UNMATCHED, rules::STATE_ALREADY_OPEN] {
        clean(&f, rule);
    }
    let mut eleven = ok.clone();
    eleven.push(state("stateStart", "state10", 200));
    flagged(&lint(&eleven), rules::STATES_LIMIT, Severity::Error, &[23]);
    // statesUpdate counts too.
    let mut update = ok.clone();
    let params = json!({"statesEnd": [{"media.state.name": "state0"}], "statesStart": [{"media.state.name": "pictureInPicture"}]});
    update.push(with(ev("statesUpdate", 1.0, 200), "params", params));
    flagged(&lint(&update), rules::STATES_LIMIT, Severity::Error, &[23]);
    clean(&lint(&update), rules::STATE_END_UNMATCHED);

    let f = lint(&[
        start(),
        ev("play", 0.0, 1),
        state("stateEnd", "mute", 2),
        state("stateStart", "mute", 3),
        state("stateStart", "mute", 4),
    ]);
    flagged(&f, rules::STATE_END_UNMATCHED, Severity::Warning, &[2]);
    flagged(&f, rules::STATE_ALREADY_OPEN, Severity::Warning, &[4]);
    let params = json!({"statesEnd": [{"media.state.name": "fullscreen"}]});
    let f = lint(&[start(), ev("play", 0.0, 1), with(ev("statesUpdate", 1.0, 2), "params", params)]);
    flagged(&f, rules::STATE_END_UNMATCHED, Severity::Warning, &[2]);
}

#[test]
fn dropped_frames_never_decrease() {
    let ok = [
        start(),
        qoe("play", 0.0, 1, json!({"media.qoe.droppedFrames": 0})),
        qoe("ping", 10.0, 10_000, json!({"media.qoe.droppedFrames": 4})),
        qoe("ping", 20.0, 20_000, json!({"media.qoe.droppedFrames": 4})),
    ];
    clean(&lint(&ok), rules::DROPPED_FRAMES_DECREASE);
    let f = lint(&[
        start(),
        qoe("play", 0.0, 1, json!({"media.qoe.droppedFrames": 5})),
        qoe("ping", 10.0, 10_000, json!({"media.qoe.droppedFrames": 2})),
    ]);
    flagged(&f, rules::DROPPED_FRAMES_DECREASE, Severity::Warning, &[2]);
}

#[test]
fn time_to_start_is_fixed_after_first_play() {
    let tts = |v: i64| json!({"media.qoe.timeToStart": v});
    // Set before or at the first play, or first sent after it: fine.
    let ok = [with(start(), "qoeData", tts(900)), qoe("play", 0.0, 1, tts(1200)), qoe("ping", 10.0, 10_000, tts(1200))];
    clean(&lint(&ok), rules::TIME_TO_START_CHANGED);
    let late_first = [start(), ev("play", 0.0, 1), qoe("ping", 10.0, 10_000, tts(1200))];
    clean(&lint(&late_first), rules::TIME_TO_START_CHANGED);
    let f = lint(&[start(), qoe("play", 0.0, 1, tts(1200)), qoe("bitrateChange", 5.0, 5000, tts(1500))]);
    flagged(&f, rules::TIME_TO_START_CHANGED, Severity::Warning, &[2]);
}

#[test]
fn custom_metadata_prefixes() {
    let ok = with(start(), "customMetadata", json!({"show": "x", "media_note": "y"}));
    clean(&lint(&[ok]), rules::CUSTOM_METADATA_PREFIX);
    let f = lint(&[with(start(), "customMetadata", json!({"a.reserved": "x", "media.show": "y", "fine": "z"}))]);
    flagged(&f, rules::CUSTOM_METADATA_PREFIX, Severity::Warning, &[0]);
    assert!(f[0].message.contains("a.reserved") && f[0].message.contains("media.show"), "{f:?}");
}

#[test]
fn error_source() {
    let ok = [
        start(),
        qoe("error", 0.0, 1, json!({"media.qoe.errorID": "e", "media.qoe.errorSource": "player"})),
        with(ev("error", 0.0, 2), "params", json!({"media.errorId": "e", "media.errorSource": "external"})),
        ev("error", 0.0, 3),
    ];
    clean(&lint(&ok), rules::ERROR_SOURCE);
    let f = lint(&[
        start(),
        qoe("error", 0.0, 1, json!({"media.qoe.errorID": "e", "media.qoe.errorSource": "bogus"})),
        with(ev("error", 0.0, 2), "params", json!({"media.errorId": "e", "media.errorSource": 1})),
    ]);
    flagged(&f, rules::ERROR_SOURCE, Severity::Error, &[1, 2]);
}

#[test]
fn findings_are_ordered_by_event() {
    let f = lint(&[ev("play", 0.0, 5000), start(), ev("pauseStart", 0.0, 1)]);
    let idx: Vec<usize> = f.iter().map(|f| f.index.unwrap()).collect();
    let mut sorted = idx.clone();
    sorted.sort();
    assert_eq!(idx, sorted);
}

#[test]
fn any_json_is_linted_without_panic() {
    let odd = [
        json!(null),
        json!(42),
        json!([]),
        json!({"eventType": 5}),
        json!({"eventType": "ping", "playerTime": "x"}),
        json!({"eventType": "ping", "playerTime": {"ts": "1", "playhead": null}}),
        json!({"eventType": "statesUpdate", "params": {"statesStart": [1, null, {"media.state.name": 3}], "statesEnd": "x"}}),
        json!({"eventType": "stateStart", "params": []}),
        json!({"eventType": "play", "playerTime": {"ts": 1e300, "playhead": -1e300}, "qoeData": {"media.qoe.droppedFrames": "x"}}),
        json!({"eventType": "sessionStart", "params": {"media.length": "60", "media.contentType": 1}}),
        json!({"eventType": "error", "qoeData": {"media.qoe.errorSource": null}, "customMetadata": {"a.x": 1}}),
    ];
    assert!(lint(&[]).is_empty());
    for opts in [LintOptions::default(), LintOptions { downloaded: true, ping_tolerance_ms: -5 }] {
        let _ = lint_session(&odd, &opts);
        for v in &odd {
            let _ = lint_session(std::slice::from_ref(v), &opts);
        }
    }
}
