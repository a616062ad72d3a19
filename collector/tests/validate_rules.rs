//! The per-event validation rules (mc-api.md §2–§4, §9, §11, §12, §14 A.8): every fixture is
//! valid, and each rule has a body that passes and one that fails, in both schema sets.

use std::path::PathBuf;

use mc_collector::validate::{EVENT_TYPES, Failure, Mode, Validation, Validator};
use serde_json::{Value, json};

const FIXTURES: [&str; 14] = [
    "s1.json",
    "s1_session_end.json",
    "s2.json",
    "s3.json",
    "s4.json",
    "s5.json",
    "s6.json",
    "s7.json",
    "s8.json",
    "tl1_session.json",
    "downloaded_example.json",
    "ads_no_granular.json",
    "downloaded_50s.json",
    "live_states_errors.json",
];

fn fixture(name: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Validates in both modes and checks the invariant that lenient never rejects what strict
/// accepts, and that lenient warnings are exactly strict failures lenient let through.
fn check(v: &Validator, body: &Value) -> (Validation, Validation) {
    let strict = v.validate_event(body, Mode::Strict);
    let lenient = v.validate_event(body, Mode::Lenient);
    assert!(strict.warnings.is_empty(), "strict mode gives no warnings: {strict:?}");
    if strict.errors.is_empty() {
        assert!(lenient.errors.is_empty() && lenient.warnings.is_empty(), "{body}: {lenient:?}");
    }
    for w in &lenient.warnings {
        assert!(strict.errors.iter().any(|e| e.path == w.path && e.rule == w.rule), "{w:?} not a strict failure");
    }
    (strict, lenient)
}

fn has(failures: &[Failure], path: &str, rule: &str) -> bool {
    failures.iter().any(|f| f.path == path && f.rule == rule)
}

/// Fails in both modes with this path and rule.
fn rejected(v: &Validator, body: &Value, path: &str, rule: &str) {
    let (strict, lenient) = check(v, body);
    assert!(has(&strict.errors, path, rule), "strict {path} {rule}: {strict:?}");
    assert!(has(&lenient.errors, path, rule), "lenient {path} {rule}: {lenient:?}");
    assert!(lenient.errors.iter().chain(&strict.errors).all(|f| !f.message.is_empty()));
}

/// Passes lenient with a warning at this path and rule; strict rejects it.
fn lenient_only(v: &Validator, body: &Value, path: &str, rule: &str) {
    let (strict, lenient) = check(v, body);
    assert!(lenient.errors.is_empty(), "lenient accepts {body}: {lenient:?}");
    assert!(has(&lenient.warnings, path, rule), "lenient warns {path} {rule}: {lenient:?}");
    assert!(has(&strict.errors, path, rule), "strict rejects {path} {rule}: {strict:?}");
}

fn accepted(v: &Validator, body: &Value) {
    let (strict, lenient) = check(v, body);
    assert!(strict.errors.is_empty(), "strict accepts {body}: {strict:?}");
    assert!(lenient.errors.is_empty() && lenient.warnings.is_empty(), "{lenient:?}");
}

fn ev(kind: &str) -> Value {
    json!({"eventType": kind, "playerTime": {"playhead": 12.5, "ts": 1_700_000_000_000i64}})
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

fn session_start() -> Value {
    fixture("s1.json").remove(0)
}

fn set_param(mut body: Value, key: &str, value: Option<Value>) -> Value {
    let params = body["params"].as_object_mut().expect("params");
    match value {
        Some(v) => params.insert(key.to_string(), v),
        None => params.remove(key),
    };
    body
}

#[test]
fn every_fixture_event_is_valid_in_both_sets() {
    let v = Validator::new();
    for name in FIXTURES {
        let events = fixture(name);
        assert_eq!(events[0]["eventType"], "sessionStart", "{name}");
        for (i, e) in events.iter().enumerate() {
            let (strict, lenient) = check(&v, e);
            assert!(lenient.errors.is_empty(), "{name}[{i}] lenient: {lenient:?}");
            assert!(strict.errors.is_empty(), "{name}[{i}] strict: {strict:?}");
        }
    }
}

#[test]
fn fixture_session_starts_carry_the_full_params() {
    let full = [
        "analytics.trackingServer",
        "analytics.reportSuite",
        "visitor.marketingCloudOrgId",
        "visitor.marketingCloudUserId",
        "media.id",
        "media.name",
        "media.length",
        "media.contentType",
        "media.streamType",
        "media.playerName",
        "media.channel",
        "media.resume",
        "media.downloaded",
        "media.libraryVersion",
        "analytics.enableSSL",
    ];
    for name in FIXTURES {
        let start = fixture(name).remove(0);
        for key in full {
            assert!(start["params"].get(key).is_some(), "{name}: {key}");
        }
        let downloaded = name.starts_with("downloaded");
        assert_eq!(start["params"]["media.downloaded"], json!(downloaded), "{name}");
    }
}

#[test]
fn player_time_rules() {
    let v = Validator::new();
    accepted(&v, &ev("play"));
    let mut no_pt = ev("play");
    no_pt.as_object_mut().unwrap().remove("playerTime");
    rejected(&v, &no_pt, "/playerTime", "required");
    rejected(&v, &with(ev("play"), "playerTime", json!({"playhead": 1, "ts": 1.5})), "/playerTime/ts", "type");
    rejected(
        &v,
        &with(ev("play"), "playerTime", json!({"playhead": 1, "ts": "1700000000000"})),
        "/playerTime/ts",
        "type",
    );
    rejected(&v, &with(ev("play"), "playerTime", json!({"playhead": "1", "ts": 1})), "/playerTime/playhead", "type");
    rejected(&v, &with(ev("play"), "playerTime", json!({"ts": 1})), "/playerTime/playhead", "required");
    rejected(
        &v,
        &with(ev("play"), "playerTime", json!({"playhead": 1, "ts": 1, "extra": 0})),
        "/playerTime/extra",
        "additionalProperties",
    );
    rejected(&v, &with(ev("play"), "playerTime", json!([1, 2])), "/playerTime", "type");
    // Floats are fine for the playhead.
    accepted(&v, &with(ev("play"), "playerTime", json!({"playhead": 60.39333333333333, "ts": 1})));
}

#[test]
fn top_level_is_closed() {
    let v = Validator::new();
    rejected(&v, &with(ev("play"), "bogus", json!(1)), "/bogus", "additionalProperties");
    rejected(&v, &with(session_start(), "extra", json!({})), "/extra", "additionalProperties");
    // Empty maps are allowed (the docs' samples send them).
    accepted(&v, &with(with(ev("play"), "params", json!({})), "qoeData", json!({})));
}

#[test]
fn session_start_params() {
    let v = Validator::new();
    accepted(&v, &session_start());
    rejected(
        &v,
        &set_param(session_start(), "media.bogus", Some(json!("x"))),
        "/params/media.bogus",
        "additionalProperties",
    );
    rejected(&v, &set_param(session_start(), "media.length", Some(json!("60"))), "/params/media.length", "type");
    rejected(
        &v,
        &set_param(session_start(), "analytics.enableSSL", Some(json!("true"))),
        "/params/analytics.enableSSL",
        "type",
    );
    rejected(
        &v,
        &set_param(session_start(), "visitor.aamLocationHint", Some(json!(9.5))),
        "/params/visitor.aamLocationHint",
        "type",
    );
    rejected(&v, &set_param(session_start(), "media.downloaded", Some(json!(1))), "/params/media.downloaded", "type");
    for key in [
        "analytics.trackingServer",
        "analytics.reportSuite",
        "visitor.marketingCloudOrgId",
        "media.id",
        "media.length",
        "media.contentType",
        "media.playerName",
        "media.channel",
    ] {
        rejected(&v, &set_param(session_start(), key, None), &format!("/params/{key}"), "required");
    }
    // Optional ones may be left out.
    for key in ["media.name", "media.streamType", "media.resume", "visitor.marketingCloudUserId", "analytics.enableSSL"]
    {
        accepted(&v, &set_param(session_start(), key, None));
    }
    let customer_ids = json!({"userIdType": {"id": "abc", "authState": 1}});
    accepted(&v, &set_param(session_start(), "visitor.customerIDs", Some(customer_ids)));
    let mut no_params = session_start();
    no_params.as_object_mut().unwrap().remove("params");
    rejected(&v, &no_params, "/params", "required");
    // Every failure is named at once.
    let bad = set_param(set_param(session_start(), "media.length", Some(json!("60"))), "media.channel", None);
    assert_eq!(v.validate_event(&bad, Mode::Lenient).errors.len(), 2);
}

#[test]
fn ping_has_no_params() {
    let v = Validator::new();
    accepted(&v, &ev("ping"));
    rejected(&v, &with(ev("ping"), "params", json!({"media.id": "x"})), "/params", "additionalProperties");
    rejected(&v, &with(ev("ping"), "params", json!({})), "/params", "additionalProperties");
    // A ping may carry changed QoE (tracker.md §4.5).
    accepted(&v, &with(ev("ping"), "qoeData", json!({"media.qoe.droppedFrames": 3})));
}

#[test]
fn custom_metadata_rules() {
    let v = Validator::new();
    let start = with(session_start(), "customMetadata", json!({"a_b.C9": "x"}));
    accepted(&v, &start);
    rejected(
        &v,
        &with(session_start(), "customMetadata", json!({"bad key": "x"})),
        "/customMetadata/bad key",
        "additionalProperties",
    );
    rejected(
        &v,
        &with(session_start(), "customMetadata", json!({"a/b": "x"})),
        "/customMetadata/a~1b",
        "additionalProperties",
    );
    rejected(&v, &with(session_start(), "customMetadata", json!({"count": 3})), "/customMetadata/count", "type");
    rejected(&v, &with(session_start(), "customMetadata", json!({"flag": true})), "/customMetadata/flag", "type");
    rejected(&v, &with(session_start(), "customMetadata", json!("x")), "/customMetadata", "type");
    // Allowed on adStart and chapterStart too.
    let ad = fixture("s4.json").remove(2);
    assert_eq!(ad["eventType"], "adStart");
    accepted(&v, &with(ad, "customMetadata", json!({"k": "v"})));
    let chapter = fixture("s7.json").remove(9);
    assert_eq!(chapter["eventType"], "chapterStart");
    accepted(&v, &with(chapter, "customMetadata", json!({"k": "v"})));
    // Elsewhere: a warning in lenient mode, an error in strict mode.
    lenient_only(&v, &with(ev("play"), "customMetadata", json!({"k": "v"})), "/customMetadata", "additionalProperties");
    lenient_only(&v, &with(ev("ping"), "customMetadata", json!({"k": "v"})), "/customMetadata", "additionalProperties");
    let break_start = fixture("s4.json").remove(1);
    lenient_only(
        &v,
        &with(break_start, "customMetadata", json!({"k": "v"})),
        "/customMetadata",
        "additionalProperties",
    );
    // The key pattern and string values hold in lenient mode as well.
    let lenient = v.validate_event(&with(ev("play"), "customMetadata", json!({"k": 1})), Mode::Lenient);
    assert!(has(&lenient.errors, "/customMetadata/k", "type"), "{lenient:?}");
}

#[test]
fn qoe_rules() {
    let v = Validator::new();
    let q = json!({"media.qoe.bitrate": 100000, "media.qoe.droppedFrames": 2, "media.qoe.framesPerSecond": 23, "media.qoe.timeToStart": 20});
    accepted(&v, &with(ev("play"), "qoeData", q));
    lenient_only(
        &v,
        &with(ev("play"), "qoeData", json!({"media.qoe.framesPerSecond": 23.5})),
        "/qoeData/media.qoe.framesPerSecond",
        "type",
    );
    lenient_only(
        &v,
        &with(ev("bitrateChange"), "qoeData", json!({"media.qoe.bitrate": 100000.0})),
        "/qoeData/media.qoe.bitrate",
        "type",
    );
    rejected(
        &v,
        &with(ev("play"), "qoeData", json!({"media.qoe.bitrate": "3200"})),
        "/qoeData/media.qoe.bitrate",
        "type",
    );
    // TL2's unprefixed key is wrong (mc-api.md §9).
    rejected(
        &v,
        &with(ev("bitrateChange"), "qoeData", json!({"bitrate": 10000})),
        "/qoeData/bitrate",
        "additionalProperties",
    );
}

#[test]
fn error_event_forms() {
    let v = Validator::new();
    accepted(&v, &ev("error"));
    let qoe_form = json!({"media.qoe.errorID": "e-1", "media.qoe.errorSource": "player"});
    accepted(&v, &with(ev("error"), "qoeData", qoe_form.clone()));
    let params_form = json!({"media.errorId": "media-error-001", "media.errorSource": "external"});
    accepted(&v, &with(ev("error"), "params", params_form.clone()));
    accepted(&v, &with(with(ev("error"), "params", params_form), "qoeData", qoe_form.clone()));
    // errorSource is player or external wherever it is.
    rejected(
        &v,
        &with(ev("error"), "qoeData", json!({"media.qoe.errorID": "e", "media.qoe.errorSource": "bogus"})),
        "/qoeData/media.qoe.errorSource",
        "enum",
    );
    rejected(
        &v,
        &with(ev("error"), "params", json!({"media.errorId": "e", "media.errorSource": "bogus"})),
        "/params/media.errorSource",
        "enum",
    );
    rejected(&v, &with(ev("error"), "qoeData", json!({"media.qoe.errorID": 7})), "/qoeData/media.qoe.errorID", "type");
    // Error fields on another event: a lenient allowance.
    lenient_only(&v, &with(ev("play"), "qoeData", qoe_form), "/qoeData/media.qoe.errorID", "additionalProperties");
    let lenient =
        v.validate_event(&with(ev("play"), "qoeData", json!({"media.qoe.errorSource": "bogus"})), Mode::Lenient);
    assert!(has(&lenient.errors, "/qoeData/media.qoe.errorSource", "enum"), "{lenient:?}");
}

#[test]
fn unknown_params_outside_session_start_are_a_lenient_allowance() {
    let v = Validator::new();
    lenient_only(
        &v,
        &with(ev("play"), "params", json!({"media.custom": "x"})),
        "/params/media.custom",
        "additionalProperties",
    );
    let ad = fixture("s4.json").remove(2);
    lenient_only(
        &v,
        &set_param(ad, "media.ad.extra", Some(json!(1))),
        "/params/media.ad.extra",
        "additionalProperties",
    );
}

#[test]
fn ad_and_chapter_params() {
    let v = Validator::new();
    let brk = fixture("s4.json").remove(1);
    accepted(&v, &brk);
    rejected(&v, &set_param(brk.clone(), "media.ad.podIndex", Some(json!(1.5))), "/params/media.ad.podIndex", "type");
    rejected(&v, &set_param(brk.clone(), "media.ad.podSecond", None), "/params/media.ad.podSecond", "required");
    accepted(&v, &set_param(brk, "media.ad.podFriendlyName", None));
    rejected(&v, &ev("adBreakStart"), "/params", "required");

    let ad = fixture("s4.json").remove(2);
    for key in ["media.ad.id", "media.ad.length", "media.ad.podPosition", "media.ad.playerName"] {
        rejected(&v, &set_param(ad.clone(), key, None), &format!("/params/{key}"), "required");
    }
    rejected(&v, &set_param(ad.clone(), "media.ad.id", Some(json!(1))), "/params/media.ad.id", "type");
    rejected(&v, &set_param(ad, "media.ad.length", Some(json!("15"))), "/params/media.ad.length", "type");

    let chapter = fixture("s7.json").remove(9);
    accepted(&v, &chapter);
    for key in ["media.chapter.index", "media.chapter.offset", "media.chapter.length"] {
        rejected(&v, &set_param(chapter.clone(), key, None), &format!("/params/{key}"), "required");
    }
    accepted(&v, &set_param(chapter, "media.chapter.friendlyName", None));
}

#[test]
fn state_params() {
    let v = Validator::new();
    for kind in ["stateStart", "stateEnd"] {
        accepted(&v, &with(ev(kind), "params", json!({"media.state.name": "fullscreen"})));
        rejected(&v, &with(ev(kind), "params", json!({})), "/params/media.state.name", "required");
        rejected(&v, &with(ev(kind), "params", json!({"media.state.name": 1})), "/params/media.state.name", "type");
        rejected(&v, &ev(kind), "/params", "required");
    }
    let update = json!({
        "statesStart": [{"media.state.name": "mute"}, {"media.state.name": "pictureInPicture"}],
        "statesEnd": [{"media.state.name": "fullscreen"}]
    });
    accepted(&v, &with(ev("statesUpdate"), "params", update));
    accepted(&v, &with(ev("statesUpdate"), "params", json!({"statesEnd": []})));
    rejected(&v, &with(ev("statesUpdate"), "params", json!({})), "/params", "anyOf");
    rejected(&v, &with(ev("statesUpdate"), "params", json!({"statesStart": "mute"})), "/params/statesStart", "type");
    rejected(
        &v,
        &with(ev("statesUpdate"), "params", json!({"statesStart": [{"name": "mute"}]})),
        "/params/statesStart/0/media.state.name",
        "required",
    );
    rejected(
        &v,
        &with(ev("statesUpdate"), "params", json!({"statesStart": [{"media.state.name": ["mute"]}]})),
        "/params/statesStart/0/media.state.name",
        "type",
    );
}

#[test]
fn event_type_rules() {
    let v = Validator::new();
    for kind in EVENT_TYPES {
        let errors = v.validate_event(&ev(kind), Mode::Lenient).errors;
        assert!(errors.iter().all(|f| f.rule != "eventType"), "{kind}: {errors:?}");
    }
    for body in [
        json!({"eventType": "seekStart", "playerTime": {"playhead": 0, "ts": 1}}),
        json!({"eventType": "Play", "playerTime": {"playhead": 0, "ts": 1}}),
        json!({"eventType": 3, "playerTime": {"playhead": 0, "ts": 1}}),
        json!({"playerTime": {"playhead": 0, "ts": 1}}),
    ] {
        for mode in [Mode::Strict, Mode::Lenient] {
            let r = v.validate_event(&body, mode);
            assert!(has(&r.errors, "/eventType", "eventType"), "{body}: {r:?}");
        }
    }
    for body in [json!(null), json!([]), json!([ev("play")]), json!("play"), json!(42), json!(true)] {
        let r = v.validate_event(&body, Mode::Lenient);
        assert!(has(&r.errors, "", "eventType"), "{body}: {r:?}");
    }
}

#[test]
fn schemas_are_served_as_draft_04_for_all_20_types() {
    let v = Validator::new();
    for kind in EVENT_TYPES {
        let text = v.schema(kind).unwrap_or_else(|| panic!("{kind}"));
        let doc: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(doc["$schema"], "http://json-schema.org/draft-04/schema#", "{kind}");
        assert_eq!(doc["id"], format!("https://mc-collector.local/api/v1/schemas/{kind}"));
        assert_eq!(doc["properties"]["eventType"]["enum"], json!([kind]));
        assert_eq!(doc["additionalProperties"], json!(false));
        assert_eq!(doc["properties"]["playerTime"]["additionalProperties"], json!(false));
        // The served document is the one that judges (strict mode).
        let compiled = jsonschema::draft4::new(&doc).expect("compiles");
        assert!(compiled.is_valid(&ev(kind)) == v.validate_event(&ev(kind), Mode::Strict).errors.is_empty());
    }
    assert_eq!(v.schema("seekStart"), None);
    assert_eq!(v.schema(""), None);
    assert_eq!(v.schema("sessionstart"), None);
    let start: Value = serde_json::from_str(v.schema("sessionStart").unwrap()).unwrap();
    assert_eq!(start["properties"]["params"]["additionalProperties"], json!(false));
    assert!(start["required"].as_array().unwrap().contains(&json!("params")));
    let ping: Value = serde_json::from_str(v.schema("ping").unwrap()).unwrap();
    assert!(ping["properties"].get("params").is_none());
}

#[test]
fn any_json_value_is_handled_without_panic() {
    let v = Validator::new();
    let mut deep = json!("leaf");
    for _ in 0..60 {
        deep = json!({"x": deep});
    }
    let bodies = [
        json!({"eventType": "sessionStart"}),
        json!({"eventType": "sessionStart", "params": null, "playerTime": null, "qoeData": [], "customMetadata": 1}),
        json!({"eventType": "play", "playerTime": {"playhead": 1e308, "ts": u64::MAX}, "x": 1}),
        json!({"eventType": "play", "playerTime": {"playhead": -1, "ts": i64::MIN}, "params": 1}),
        json!({"eventType": "play", "params": deep.clone(), "customMetadata": {"k": deep}}),
        json!({"eventType": "statesUpdate", "params": {"statesStart": [null, 1, [], {"media.state.name": null}]}}),
        json!({"eventType": "play", "customMetadata": {"ключ": "значение", "": "", "~": "x"}}),
        json!({"eventType": "error", "params": {"media.errorSource": {"nested": true}}}),
        json!({"eventType": "play", "x".repeat(10_000): "y".repeat(100_000)}),
    ];
    for body in &bodies {
        for mode in [Mode::Strict, Mode::Lenient] {
            let r = v.validate_event(body, mode);
            assert!(!r.errors.is_empty(), "{body}");
            assert!(
                r.errors.iter().chain(&r.warnings).all(|f| f.message.chars().count() <= 301),
                "messages are clipped"
            );
        }
    }
}
