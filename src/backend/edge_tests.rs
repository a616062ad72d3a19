//! The spec's fixtures (media-edge.md §11) as golden request bodies and answers.

use serde_json::{Value, json};

use super::*;

const SID: &str = "5c32e1a6ef6b58be5136ba8db2f79f1d251d3121a898bc8fb60123b8fdb9aa1c";

fn edge() -> MediaEdge {
    MediaEdge::new(EdgeSettings { config_id: "ds-test-1".into(), fpid: Some("fpid-0001".into()) })
}

fn hit(t: EventType, playhead: f64, ts: i64, params: Value) -> Event {
    let mut e = Event::new(t, playhead, ts);
    e.params = params.as_object().cloned().unwrap_or_default();
    e
}

fn body(r: &HttpRequest) -> Value {
    serde_json::from_slice(&r.body).expect("JSON body")
}

fn inner(x: Value) -> Value {
    json!({ "events": [{ "xdm": x }] })
}

fn open(hint: Option<&str>, sid: &str) -> SessionRoute {
    SessionRoute { sid: sid.into(), hint: hint.map(str::to_owned) }
}

fn http(status: u16, body: &str) -> Outcome {
    Outcome::Http { status, location: None, retry_after: None, body: body.as_bytes().to_vec() }
}

/// F1: the hit's MC params become `sessionDetails` (id/name swapped, length an integer), the
/// MC-only params (report suite, tracking server, library version, downloaded) are left out, the
/// FPID goes to `identityMap`, custom metadata becomes `{name, value}` items.
#[test]
fn f1_session_start_body_and_path() {
    let mut e = hit(
        EventType::SessionStart,
        0.2,
        1_680_608_116_000,
        json!({
            "media.id": "Friends", "media.name": "FriendlyName", "media.length": 100.4,
            "media.contentType": "VOD", "media.playerName": "HTML5 player", "media.channel": "broadcastChannel",
            "media.streamType": "video", "media.sdkVersion": "sdk-1.0", "media.show": "Friends Series",
            "media.season": "1521", "media.episode": "4933", "media.genre": "Comedy", "media.resume": false,
            "media.downloaded": false, "media.libraryVersion": "mc-1.0",
            "analytics.trackingServer": "x.hb-api.omtrdc.net", "analytics.reportSuite": "rs",
            "analytics.enableSSL": true, "visitor.marketingCloudOrgId": "ORG@AdobeOrg"
        }),
    );
    e.custom_metadata.insert("_tenant.myCustomValue1".into(), json!("c1"));
    let r = edge().session_start(&e);
    assert_eq!(r.path, "/ee/va/v1/sessionStart?configId=ds-test-1");
    let expected = inner(json!({"eventType":"media.sessionStart","timestamp":"2023-04-04T11:35:16.000Z",
     "identityMap":{"FPID":[{"id":"fpid-0001","authenticatedState":"ambiguous","primary":true}]},
     "mediaCollection":{"playhead":0,
      "sessionDetails":{"name":"Friends","friendlyName":"FriendlyName","length":100,"contentType":"VOD",
       "playerName":"HTML5 player","channel":"broadcastChannel","streamType":"video","appVersion":"sdk-1.0",
       "show":"Friends Series","season":"1521","episode":"4933","genre":"Comedy","hasResume":false},
      "customMetadata":[{"name":"_tenant.myCustomValue1","value":"c1"}]}}));
    assert_eq!(body(&r), expected);
}

/// ECID and customer ids from the hit join the FPID; exactly one identity is primary.
#[test]
fn identity_map_from_visitor_ids() {
    let e = hit(
        EventType::SessionStart,
        0.0,
        0,
        json!({"visitor.marketingCloudUserId": "ecid-1", "visitor.customerIDs": {"crm": {"id": "u7", "authState": 1}}}),
    );
    let ids = &body(&edge().session_start(&e))["events"][0]["xdm"]["identityMap"];
    assert_eq!(ids["ECID"], json!([{"id":"ecid-1","authenticatedState":"ambiguous","primary":true}]));
    assert_eq!(ids["FPID"], json!([{"id":"fpid-0001","authenticatedState":"ambiguous","primary":false}]));
    assert_eq!(ids["crm"], json!([{"id":"u7","authenticatedState":"authenticated","primary":false}]));
}

/// F4: an event of an open session goes to the session's location hint, sid in the body.
#[test]
fn f4_play_to_the_location_hint() {
    let r = edge().event(&open(Some("va6"), SID), &hit(EventType::Play, 24.5, 1_646_401_140_000, json!({})));
    assert_eq!(r.path, "/ee/va6/va/v1/play?configId=ds-test-1");
    assert_eq!(
        body(&r),
        inner(json!({"eventType":"media.play","timestamp":"2022-03-04T13:39:00.000Z",
         "mediaCollection":{"sessionID":SID,"playhead":25}}))
    );
    // Without a hint the path has none.
    let r = edge().event(&open(None, SID), &hit(EventType::Ping, 1.0, 0, json!({})));
    assert_eq!(r.path, "/ee/va/v1/ping?configId=ds-test-1");
}

/// F9 and F10: pod, ad and chapter details (id/name swap, capital ID, integers).
#[test]
fn f9_f10_ads_and_chapters() {
    let route = open(None, "{SID}");
    let pod = hit(
        EventType::AdBreakStart,
        15.0,
        1_704_074_415_001,
        json!({"media.ad.podIndex": 0, "media.ad.podSecond": 15.2, "media.ad.podFriendlyName": "Mid-roll break"}),
    );
    assert_eq!(
        body(&edge().event(&route, &pod))["events"][0]["xdm"],
        json!({"eventType":"media.adBreakStart","timestamp":"2024-01-01T02:00:15.001Z","mediaCollection":{"sessionID":"{SID}","playhead":15,
         "advertisingPodDetails":{"index":0,"offset":15,"friendlyName":"Mid-roll break"}}})
    );
    let mut ad = hit(
        EventType::AdStart,
        15.0,
        1_704_074_415_002,
        json!({"media.ad.id": "001", "media.ad.name": "Ad 1", "media.ad.length": 16.0, "media.ad.podPosition": 1,
               "media.ad.playerName": "Sample Player", "media.ad.advertiser": "Ad Guys", "media.ad.campaignId": "1",
               "media.ad.creativeId": "42", "media.ad.creativeURL": "https://example.com",
               "media.ad.placementId": "sample_placement", "media.ad.siteId": "XYZ"}),
    );
    ad.custom_metadata.insert("myCustomData1".into(), json!("CustomData1"));
    assert_eq!(
        body(&edge().event(&route, &ad))["events"][0]["xdm"],
        json!({"eventType":"media.adStart","timestamp":"2024-01-01T02:00:15.002Z","mediaCollection":{"sessionID":"{SID}","playhead":15,
         "advertisingDetails":{"name":"001","friendlyName":"Ad 1","length":16,"podPosition":1,"playerName":"Sample Player",
          "advertiser":"Ad Guys","campaignID":"1","creativeID":"42","creativeURL":"https://example.com","placementID":"sample_placement","siteID":"XYZ"},
         "customMetadata":[{"name":"myCustomData1","value":"CustomData1"}]}})
    );
    let chapter = hit(
        EventType::ChapterStart,
        1.0,
        0,
        json!({"media.chapter.index": 1, "media.chapter.offset": 0.0, "media.chapter.length": 15.0,
               "media.chapter.friendlyName": "Chapter one"}),
    );
    assert_eq!(
        body(&edge().event(&route, &chapter))["events"][0]["xdm"]["mediaCollection"],
        json!({"sessionID":"{SID}","playhead":1,"chapterDetails":{"index":1,"offset":0,"length":15,"friendlyName":"Chapter one"}})
    );
    // Completes carry no details object ("not allowed").
    let done = hit(EventType::AdComplete, 31.0, 0, json!({}));
    assert_eq!(
        body(&edge().event(&route, &done))["events"][0]["xdm"]["mediaCollection"],
        json!({"sessionID":"{SID}","playhead":31})
    );
}

/// F11, F12: errorDetails from the QoE error fields, QoE values as integers; bitrateChange
/// always has `qoeDataDetails`.
#[test]
fn f11_f12_error_and_bitrate() {
    let route = open(None, "{SID}");
    let mut err = hit(EventType::Error, 35.0, 0, json!({}));
    err.qoe_data = json!({"media.qoe.bitrate": 35000, "media.qoe.droppedFrames": 30,
                          "media.qoe.errorID": "test-buffer-start", "media.qoe.errorSource": "player"})
    .as_object()
    .cloned()
    .unwrap_or_default();
    assert_eq!(
        body(&edge().event(&route, &err))["events"][0]["xdm"]["mediaCollection"],
        json!({"sessionID":"{SID}","playhead":35,"qoeDataDetails":{"bitrate":35000,"droppedFrames":30},
               "errorDetails":{"name":"test-buffer-start","source":"player"}})
    );
    let mut br = hit(EventType::BitrateChange, 35.0, 0, json!({}));
    br.qoe_data = json!({"media.qoe.bitrate": 35000, "media.qoe.droppedFrames": 30, "media.qoe.framesPerSecond": 0.6,
                         "media.qoe.timeToStart": 1364})
    .as_object()
    .cloned()
    .unwrap_or_default();
    assert_eq!(
        body(&edge().event(&route, &br))["events"][0]["xdm"]["mediaCollection"]["qoeDataDetails"],
        json!({"bitrate":35000,"droppedFrames":30,"framesPerSecond":1,"timeToStart":1364})
    );
    let empty = hit(EventType::BitrateChange, 35.0, 0, json!({}));
    assert_eq!(body(&edge().event(&route, &empty))["events"][0]["xdm"]["mediaCollection"]["qoeDataDetails"], json!({}));
}

/// F13: states go through statesUpdate, one state per call (stateStart/stateEnd hits) or both
/// lists (a statesUpdate hit).
#[test]
fn f13_states() {
    let route = open(None, "{SID}");
    let start = hit(EventType::StateStart, 3.0, 0, json!({"media.state.name": "mute"}));
    let r = edge().event(&route, &start);
    assert_eq!(r.path, "/ee/va/v1/statesUpdate?configId=ds-test-1");
    assert_eq!(
        body(&r)["events"][0]["xdm"],
        json!({"eventType":"media.statesUpdate","timestamp":"1970-01-01T00:00:00.000Z",
               "mediaCollection":{"sessionID":"{SID}","playhead":3,"statesStart":[{"name":"mute"}]}})
    );
    let end = hit(EventType::StateEnd, 3.0, 0, json!({"media.state.name": "fullscreen"}));
    assert_eq!(
        body(&edge().event(&route, &end))["events"][0]["xdm"]["mediaCollection"]["statesEnd"],
        json!([{"name":"fullscreen"}])
    );
    let both = hit(
        EventType::StatesUpdate,
        3.0,
        0,
        json!({"statesStart": [{"media.state.name": "mute"}, {"media.state.name": "pictureInPicture"}],
               "statesEnd": [{"media.state.name": "fullScreen"}]}),
    );
    let mc = &body(&edge().event(&route, &both))["events"][0]["xdm"]["mediaCollection"];
    assert_eq!(mc["statesStart"], json!([{"name":"mute"},{"name":"pictureInPicture"}]));
    assert_eq!(mc["statesEnd"], json!([{"name":"fullScreen"}]));
}

#[test]
fn timestamps_are_utc_with_milliseconds() {
    assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(iso8601(1_680_608_116_000), "2023-04-04T11:35:16.000Z");
    assert_eq!(iso8601(1_709_164_800_123), "2024-02-29T00:00:00.123Z");
    assert_eq!(iso8601(951_868_799_999), "2000-02-29T23:59:59.999Z");
    assert_eq!(iso8601(-1), "1969-12-31T23:59:59.999Z");
}

/// F2, F15 and the other sessionStart answers (§4.2): handles in any order, a streamed body,
/// 207 without a session id, a 200 without the new-session handle, problem+json 400.
#[test]
fn session_start_answers() {
    let f2 = r#"{"requestId":"dd850e05","handle":[
 {"type":"media-analytics:new-session","eventIndex":0,"payload":[{"sessionId":"bfba9a5f"}]},
 {"type":"locationHint:result","payload":[{"scope":"Target","hint":"35"},{"scope":"EdgeNetwork","hint":"va6","ttlSeconds":1800}]},
 {"type":"state:store","payload":[{"key":"kndctr_TEST_AdobeOrg_cluster","value":"va6","maxAge":1800}]}]}"#;
    assert_eq!(edge().classify(&http(200, f2), true), Verdict::Started(open(Some("va6"), "bfba9a5f")));
    let reordered = r#"{"handle":[{"type":"locationHint:result","payload":[{"scope":"EdgeNetwork","hint":"or2"}]},
 {"type":"media-analytics:new-session","payload":[{"sessionId":"s2"}]}]}"#;
    assert_eq!(edge().classify(&http(200, reordered), true), Verdict::Started(open(Some("or2"), "s2")));
    let f15 = "\u{0}{\"handle\":[{\"payload\":[{\"sessionId\":\"99cf\"}],\"type\":\"media-analytics:new-session\",\"eventIndex\":0}]}";
    assert_eq!(edge().classify(&http(200, f15), true), Verdict::Started(open(None, "99cf")));
    // A 207 that still has a session id (an upstream failure) is a success (§4.2).
    let partial = r#"{"handle":[{"type":"media-analytics:new-session","payload":[{"sessionId":"s3"}]}],"errors":[{"status":502}]}"#;
    assert_eq!(edge().classify(&http(207, partial), true), Verdict::Started(open(None, "s3")));
    // A hint that is not a plain path segment is not used.
    let bad_hint = r#"{"handle":[{"type":"media-analytics:new-session","payload":[{"sessionId":"s4"}]},
 {"type":"locationHint:result","payload":[{"scope":"EdgeNetwork","hint":"../x"}]}]}"#;
    assert_eq!(edge().classify(&http(200, bad_hint), true), Verdict::Started(open(None, "s4")));

    let f3 = r#"{"requestId":"d4be","handle":[],"errors":[{"type":"https://ns.adobe.com/aep/errors/va-edge-0400-400",
 "status":400,"title":"Invalid request","report":{"eventIndex":0,"details":[
 {"name":"$.xdm.mediaCollection.sessionDetails.name","reason":"Missing required field"},
 {"name":"$.xdm.timestamp","reason":"Field should respect ISO 8601 standard"}]}}]}"#;
    let Verdict::NotCreated(why) = edge().classify(&http(207, f3), true) else { panic!("207 without a sid") };
    assert!(why.contains("HTTP 207 without a session id"), "{why}");
    assert!(why.contains("va-edge-0400-400: Invalid request"), "{why}");
    assert!(why.contains("$.xdm.mediaCollection.sessionDetails.name Missing required field"), "{why}");
    assert!(why.contains("$.xdm.timestamp Field should respect ISO 8601 standard"), "{why}");

    let no_handle = r#"{"requestId":"x","handle":[{"type":"state:store","payload":[]}]}"#;
    let Verdict::NotCreated(why) = edge().classify(&http(200, no_handle), true) else { panic!("no handle") };
    assert!(why.contains("without a media-analytics:new-session handle"), "{why}");
    assert!(why.contains("ds-test-1"), "{why}");
    let empty_sid = r#"{"handle":[{"type":"media-analytics:new-session","payload":[{"sessionId":""}]}]}"#;
    assert!(matches!(edge().classify(&http(200, empty_sid), true), Verdict::NotCreated(_)));

    let f8 = r#"{"type":"https://ns.adobe.com/aep/errors/EXEG-0003-400","status":400,"title":"Invalid datastream ID",
 "detail":"The datastream ID 'bad' referenced in your request does not exist.","report":{"requestId":"75af"}}"#;
    let Verdict::NotCreated(why) = edge().classify(&http(400, f8), true) else { panic!("400 on a start") };
    assert!(why.contains("HTTP 400") && why.contains("EXEG-0003-400: Invalid datastream ID"), "{why}");
    assert!(why.contains("'bad' referenced in your request does not exist"), "{why}");
}

fn start_path(e: &MediaEdge, ts: i64) -> String {
    e.session_start(&hit(EventType::SessionStart, 0.0, ts, json!({"media.id": "m"}))).path
}

fn answer(sid: &str, hint: &str, ttl: Option<i64>) -> Outcome {
    let ttl = ttl.map(|t| format!(r#","ttlSeconds":{t}"#)).unwrap_or_default();
    http(
        200,
        &format!(
            r#"{{"handle":[{{"type":"media-analytics:new-session","payload":[{{"sessionId":"{sid}"}}]}},
 {{"type":"locationHint:result","payload":[{{"scope":"EdgeNetwork","hint":"{hint}"{ttl}}}]}}]}}"#
        ),
    )
}

/// §1.3: the client's first sessionStart goes without a hint; a later one goes to the hint the
/// last answer gave while its ttl holds (counted on the events' clock from the sessionStart that
/// got it); a newer answer replaces it; an expired one, a ttl of 0 or a clock stepped back
/// leave the next sessionStart without one.
#[test]
fn a_later_session_starts_on_the_hint_learned_earlier() {
    let e = edge();
    let t0 = 1_700_000_000_000;
    assert_eq!(start_path(&e, t0), "/ee/va/v1/sessionStart?configId=ds-test-1");
    assert_eq!(e.classify(&answer("s1", "va6", Some(60)), true), Verdict::Started(open(Some("va6"), "s1")));
    assert_eq!(start_path(&e, t0 + 59_999), "/ee/va6/va/v1/sessionStart?configId=ds-test-1");
    // The answer moved the client: the next start follows, and the session keeps its hint.
    assert_eq!(e.classify(&answer("s2", "or2", None), true), Verdict::Started(open(Some("or2"), "s2")));
    assert_eq!(start_path(&e, t0 + 70_000), "/ee/or2/va/v1/sessionStart?configId=ds-test-1");
    // An answer without a hint: the session stays where its sessionStart went.
    let no_hint = r#"{"handle":[{"type":"media-analytics:new-session","payload":[{"sessionId":"s3"}]}]}"#;
    assert_eq!(e.classify(&http(200, no_hint), true), Verdict::Started(open(Some("or2"), "s3")));
    // No ttlSeconds: 1800 s from the latest sessionStart sent before its answer (t0 + 59.999 s).
    assert_eq!(start_path(&e, t0 + 59_999 + 1_799_999), "/ee/or2/va/v1/sessionStart?configId=ds-test-1");
    assert_eq!(start_path(&e, t0 + 59_999 + 1_800_000), "/ee/va/v1/sessionStart?configId=ds-test-1");
    assert_eq!(start_path(&e, t0 + 80_000), "/ee/va/v1/sessionStart?configId=ds-test-1", "expired is forgotten");

    let e = edge();
    start_path(&e, t0);
    e.classify(&answer("s1", "va6", Some(0)), true);
    assert_eq!(start_path(&e, t0 + 1), "/ee/va/v1/sessionStart?configId=ds-test-1", "ttl 0: not kept");

    let e = edge();
    start_path(&e, t0);
    e.classify(&answer("s1", "va6", Some(1800)), true);
    assert_eq!(start_path(&e, t0 - 1), "/ee/va/v1/sessionStart?configId=ds-test-1", "clock stepped back");

    // A 207 that created no session still tells where the client belongs.
    let e = edge();
    start_path(&e, t0);
    let refused = r#"{"handle":[{"type":"locationHint:result","payload":[{"scope":"EdgeNetwork","hint":"irl1"}]}],
 "errors":[{"status":400,"title":"Invalid request"}]}"#;
    assert!(matches!(e.classify(&http(207, refused), true), Verdict::NotCreated(_)));
    assert_eq!(start_path(&e, t0 + 1), "/ee/irl1/va/v1/sessionStart?configId=ds-test-1");
    // Event answers (204, no body) change nothing.
    assert_eq!(e.classify(&http(204, ""), false), Verdict::Accepted);
    assert_eq!(start_path(&e, t0 + 2), "/ee/irl1/va/v1/sessionStart?configId=ds-test-1");
}

/// §7.2 and §10.12: the Edge retry table, and problem+json bodies in the messages (F5, F6, F7).
#[test]
fn retry_table() {
    let e = edge();
    for s in [408, 429, 502, 503, 504] {
        assert!(matches!(e.classify(&http(s, ""), false), Verdict::Retry(_)), "{s}");
        assert!(matches!(e.classify(&http(s, ""), true), Verdict::Retry(_)), "{s} on a start");
    }
    assert!(matches!(e.classify(&http(500, ""), false), Verdict::Reject(_)), "500 is not retried");
    assert!(matches!(e.classify(&http(500, ""), true), Verdict::NotCreated(_)));
    assert_eq!(e.classify(&http(204, ""), false), Verdict::Accepted);
    assert_eq!(e.classify(&http(200, ""), false), Verdict::Accepted);
    let f7 = r#"{"type":"https://ns.adobe.com/aep/errors/va-edge-0404-404","status":404,"title":"Not Found",
 "report":{"details":"Error processing request. If the session is longer than 24h, please start a new one."}}"#;
    assert_eq!(e.classify(&http(404, f7), false), Verdict::Gone);
    assert_eq!(e.classify(&http(410, ""), false), Verdict::Gone);
    assert!(matches!(e.classify(&http(404, f7), true), Verdict::NotCreated(_)));
    let f5 = r#"{"type":"https://ns.adobe.com/aep/errors/va-edge-0400-400","status":400,"title":"Bad Request",
 "detail":"Invalid request.","report":{"details":[{"name":"$.events[0].xdm.mediaCollection.playhead","reason":"Missing required field"}]}}"#;
    let Verdict::Reject(why) = e.classify(&http(400, f5), false) else { panic!("400") };
    assert!(why.contains("$.events[0].xdm.mediaCollection.playhead Missing required field"), "{why}");
    let f6 = r#"{"type":"https://ns.adobe.com/aep/errors/va-edge-0400-400","status":400,"title":"Bad Request",
 "report":{"details":"The payload eventType adBreakStart was different from the path eventType chapterStart"}}"#;
    let Verdict::Reject(why) = e.classify(&http(400, f6), false) else { panic!("400") };
    assert!(why.contains("was different from the path eventType chapterStart"), "{why}");
    let Verdict::Reject(why) = e.classify(&http(413, "not json"), false) else { panic!("413") };
    assert_eq!(why, "HTTP 413: rejected");
    let net = Outcome::Network { message: "connect refused".into(), timed_out: false };
    assert_eq!(e.classify(&net, true), Verdict::Retry("connect refused".into()));
}

fn stored(t: EventType, playhead: f64, ts: i64, params: Value) -> Value {
    serde_json::from_slice(&hit(t, playhead, ts, params).to_json()).expect("hit JSON")
}

/// F14: a stored session goes up as one `media.downloaded` request (the fixture's `+00:00`
/// timestamps are the same instants as ours).
#[test]
fn f14_downloaded_session() {
    let mut play = hit(EventType::Play, 0.0, 1_758_901_945_000, json!({}));
    play.qoe_data.insert("media.qoe.timeToStart".into(), json!(12));
    let batch = vec![
        stored(
            EventType::SessionStart,
            0.0,
            1_758_901_944_000,
            json!({"media.id": "123456789", "media.length": 100, "media.contentType": "VOD",
                   "media.playerName": "playerName", "media.channel": "channel", "media.downloaded": true}),
        ),
        serde_json::from_slice(&play.to_json()).expect("hit"),
        stored(EventType::Ping, 20.0, 1_758_901_965_000, json!({})),
        stored(EventType::SessionComplete, 30.0, 1_758_901_988_000, json!({})),
    ];
    let parts = edge().downloaded(&batch, 0, "/api/v1/downloaded");
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].events, 4);
    assert_eq!(parts[0].request.path, "/ee/va/v1/downloaded?configId=ds-test-1");
    assert_eq!(
        body(&parts[0].request),
        inner(json!({"eventType":"media.downloaded",
         "identityMap":{"FPID":[{"id":"fpid-0001","authenticatedState":"ambiguous","primary":true}]},
         "mediaDownloadedEvents":[
          {"mediaEventType":"media.sessionStart","mediaEventTimestamp":"2025-09-26T15:52:24.000Z","mediaCollection":{"playhead":0,
            "sessionDetails":{"name":"123456789","length":100,"contentType":"VOD","playerName":"playerName","channel":"channel"}}},
          {"mediaEventType":"media.play","mediaEventTimestamp":"2025-09-26T15:52:25.000Z","mediaCollection":{"playhead":0,"qoeDataDetails":{"timeToStart":12}}},
          {"mediaEventType":"media.ping","mediaEventTimestamp":"2025-09-26T15:52:45.000Z","mediaCollection":{"playhead":20}},
          {"mediaEventType":"media.sessionComplete","mediaEventTimestamp":"2025-09-26T15:53:08.000Z","mediaCollection":{"playhead":30}}]}))
    );
}

/// A session over 64 KB is cut into requests under the cap; each later part starts with the
/// sessionStart again (`hasResume: true`, 1 ms before its first event); every event is in
/// exactly one part, in order.
#[test]
fn downloaded_session_over_64_kb_is_split_without_loss() {
    let start = json!({"media.id": "big", "media.length": 7200, "media.contentType": "VOD",
                       "media.playerName": "p", "media.channel": "c", "media.resume": false});
    let mut batch = vec![stored(EventType::SessionStart, 0.0, 1_000_000, start)];
    let n = 3000;
    for i in 1..=n {
        batch.push(stored(EventType::Ping, f64::from(i), 1_000_000 + i64::from(i) * 1000, json!({})));
    }
    batch.push(stored(EventType::SessionComplete, 7200.0, 1_000_000 + i64::from(n + 1) * 1000, json!({})));
    let parts = edge().downloaded(&batch, 0, "/api/v1/downloaded");
    assert!(parts.len() >= 3, "{} parts", parts.len());
    assert_eq!(parts.iter().map(|p| p.events).sum::<usize>(), batch.len(), "the parts' events add up");
    let mut pings = Vec::new();
    let mut last_ts = String::new();
    for (k, p) in parts.iter().map(|p| &p.request).enumerate() {
        assert!(p.body.len() <= MAX_REQUEST_BYTES, "part {k}: {} bytes", p.body.len());
        let items = body(p)["events"][0]["xdm"]["mediaDownloadedEvents"].as_array().cloned().unwrap_or_default();
        assert_eq!(items[0]["mediaEventType"], "media.sessionStart", "part {k} starts a session");
        assert_eq!(items[0]["mediaCollection"]["sessionDetails"]["hasResume"], json!(k > 0), "part {k}");
        if k > 0 {
            assert_eq!(items[0]["mediaCollection"]["playhead"], items[1]["mediaCollection"]["playhead"]);
        }
        for it in &items {
            let ts = it["mediaEventTimestamp"].as_str().unwrap_or_default().to_owned();
            assert!(ts > last_ts, "timestamps increase: {ts} after {last_ts}");
            last_ts = ts;
        }
        pings.extend(
            items
                .iter()
                .filter(|i| i["mediaEventType"] == "media.ping")
                .map(|i| i["mediaCollection"]["playhead"].clone()),
        );
    }
    let expected: Vec<Value> = (1..=n).map(|i| json!(i)).collect();
    assert_eq!(pings, expected, "every ping once, in order");
    let last = body(&parts.last().expect("a part").request);
    let items = last["events"][0]["xdm"]["mediaDownloadedEvents"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.last().map(|i| i["mediaEventType"].clone()), Some(json!("media.sessionComplete")));
}

/// After a restart with the first parts acknowledged, the upload covers the rest: the same parts
/// as before from there on, the first of them beginning with the resumed sessionStart; nothing
/// when every event was acknowledged.
#[test]
fn downloaded_session_resumes_after_the_acknowledged_parts() {
    let start = json!({"media.id": "big", "media.length": 7200, "media.contentType": "VOD",
                       "media.playerName": "p", "media.channel": "c", "media.resume": false});
    let mut batch = vec![stored(EventType::SessionStart, 0.0, 1_000_000, start)];
    for i in 1..=3000 {
        batch.push(stored(EventType::Ping, f64::from(i), 1_000_000 + i64::from(i) * 1000, json!({})));
    }
    batch.push(stored(EventType::SessionComplete, 7200.0, 1_000_000 + 3001 * 1000, json!({})));
    let whole = edge().downloaded(&batch, 0, "");
    assert!(whole.len() >= 3);
    let acked = whole[0].events;
    let rest = edge().downloaded(&batch, acked, "");
    assert_eq!(rest, whole[1..].to_vec(), "the parts not yet acknowledged, unchanged");
    assert_eq!(rest.iter().map(|p| p.events).sum::<usize>(), batch.len() - acked);
    // From any event on: the first part begins with the resumed sessionStart 1 ms before it.
    let rest = edge().downloaded(&batch, 10, "");
    let items = body(&rest[0].request)["events"][0]["xdm"]["mediaDownloadedEvents"].clone();
    assert_eq!(items[0]["mediaEventType"], "media.sessionStart");
    assert_eq!(items[0]["mediaCollection"]["sessionDetails"]["hasResume"], true);
    assert_eq!(items[0]["mediaCollection"]["playhead"], 10);
    assert_eq!(items[0]["mediaEventTimestamp"], "1970-01-01T00:16:49.999Z");
    assert_eq!(items[1]["mediaCollection"]["playhead"], 10);
    assert_eq!(rest.iter().map(|p| p.events).sum::<usize>(), batch.len() - 10);
    assert!(edge().downloaded(&batch, batch.len(), "").is_empty(), "nothing left");
}
