//! Reliability matrix row T1 (spec/reliability.md §10.3): TLS verification on by default
//! against a local `openssl s_server` with a certificate from a throw-away CA (refused without
//! the CA, refused for a host name the certificate does not carry, accepted with the CA
//! configured, accepted without it only through the transport's explicit insecure switch);
//! a proxy honoured from the environment and from the configuration. (Redirects never
//! followed: tests/reliability_network.rs `redirects_are_never_followed`.)

mod common;

use std::time::{Duration, Instant};

use common::faultnet::{Act, FaultServer};
use common::rel::{expected_session, keys, player, run_player, stats};
use common::tls::{SServer, make_certs, openssl_available};
use mc_collector::{Collector, Options};
use media_collection::transport::{Completion, Transport, TransportConfig};

/// Without our CA, the handshake fails: the sessionStart is retried, then given up; not one
/// request reaches the server.
#[test]
fn t1_a_self_signed_chain_is_refused_by_default() {
    if !openssl_available() {
        return;
    }
    let certs = make_certs("refused");
    let server = SServer::start(&certs);
    let url = format!("https://localhost:{}", server.port);
    let out = run_player(
        &player(),
        &url,
        &[
            ("MC_STEPS", "1"),
            ("MC_RETRY_BASE_MS", "20"),
            ("MC_START_ATTEMPTS", "2"),
            ("MC_EXPECT_FLUSH", "MC_ERR_DELIVERY"),
            ("MC_EXPECT", "events_delivered=0,session_not_created=4"),
        ],
        Duration::from_secs(30),
    );
    let _ = stats(&out);
    assert!(server.requests().is_empty(), "nothing got through: {:?}", server.requests());
}

/// With the CA configured (`ca_file`), the same server is trusted and the session delivered;
/// a host name outside the certificate (127.0.0.2) is still refused: host verification is on.
#[test]
fn t1_the_configured_ca_is_trusted_and_the_host_name_still_checked() {
    if !openssl_available() {
        return;
    }
    let certs = make_certs("trusted");
    let server = SServer::start(&certs);
    let ca = certs.join("ca.pem");
    let ca = ca.to_str().expect("utf-8 path");
    let url = format!("https://localhost:{}", server.port);
    let out = run_player(
        &player(),
        &url,
        &[("MC_STEPS", "2"), ("MC_CA_FILE", ca), ("MC_EXPECT", "events_delivered=5,sessions_started=1")],
        Duration::from_secs(30),
    );
    let _ = stats(&out);
    let lines = server.requests();
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert!(lines[0].starts_with("POST /api/v1/sessions "));
    assert!(lines[1..].iter().all(|l| l.starts_with("POST /api/v1/sessions/tls0001/events ")));

    let wrong_host = format!("https://127.0.0.2:{}", server.port);
    run_player(
        &player(),
        &wrong_host,
        &[
            ("MC_STEPS", "1"),
            ("MC_CA_FILE", ca),
            ("MC_RETRY_BASE_MS", "20"),
            ("MC_START_ATTEMPTS", "2"),
            ("MC_EXPECT_FLUSH", "MC_ERR_DELIVERY"),
            ("MC_EXPECT", "events_delivered=0"),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(server.requests().len(), 5, "the wrong host name got nothing through");
}

/// The transport's one switch that turns verification off (`insecure_skip_tls_verify`, which
/// the C configuration exposes as a loudly named field that logs a warning) is what it takes to
/// talk to the untrusted server; without it, a TLS error.
#[test]
fn t1_only_the_explicit_insecure_switch_skips_verification() {
    if !openssl_available() {
        return;
    }
    let certs = make_certs("insecure");
    let server = SServer::start(&certs);
    for insecure in [false, true] {
        let mut t = Transport::new(TransportConfig {
            base_url: format!("https://localhost:{}", server.port),
            insecure_skip_tls_verify: insecure,
            ..TransportConfig::default()
        })
        .expect("transport");
        t.start(1, "/api/v1/sessions", b"{}".to_vec()).expect("start");
        let deadline = Instant::now() + Duration::from_secs(10);
        let c = loop {
            if let Some((_, c)) = t.perform().into_iter().next() {
                break c;
            }
            assert!(Instant::now() < deadline);
            t.wait(Some(Duration::from_millis(50)));
        };
        match (insecure, c) {
            (false, Completion::Network { message, .. }) => println!("T1 default: refused ({message})"),
            (true, Completion::Http { status: 201, .. }) => {}
            (i, c) => panic!("insecure={i}: {c:?}"),
        }
    }
}

/// Through the C API: `dangerous_disable_tls_verification` delivers to the untrusted server
/// and the worker logs its warning; without it (the default) nothing gets through.
#[test]
fn t1_the_c_api_switch_is_explicit_and_logged() {
    if !openssl_available() {
        return;
    }
    let certs = make_certs("c-insecure");
    let server = SServer::start(&certs);
    let url = format!("https://localhost:{}", server.port);
    let out = run_player(
        &player(),
        &url,
        &[
            ("MC_STEPS", "2"),
            ("MC_DANGEROUS_NO_TLS_VERIFY", "1"),
            ("MC_EXPECT", "events_delivered=5,sessions_started=1"),
        ],
        Duration::from_secs(30),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| l.starts_with("log ") && l.contains("TLS verification is OFF")),
        "the warning is logged:\n{text}"
    );
    assert_eq!(server.requests().len(), 5, "{:?}", server.requests());
    let text_default = {
        let out = run_player(
            &player(),
            &url,
            &[
                ("MC_STEPS", "1"),
                ("MC_RETRY_BASE_MS", "20"),
                ("MC_START_ATTEMPTS", "2"),
                ("MC_EXPECT_FLUSH", "MC_ERR_DELIVERY"),
                ("MC_EXPECT", "events_delivered=0"),
            ],
            Duration::from_secs(30),
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(!text_default.contains("TLS verification is OFF"), "no warning when verification is on");
    assert_eq!(server.requests().len(), 5, "the default refused the same server");
}

/// A proxy from the configuration (`proxy`) and one from the environment (`http_proxy`) are
/// both honoured: the endpoint's host does not even resolve, only the proxy can reach the
/// collector behind it.
#[test]
fn t1_a_proxy_from_the_config_or_the_environment_is_honoured() {
    let collector = Collector::start(Options::default()).expect("collector");
    let proxy = FaultServer::start(Some(collector.addr()), Act::Forward);
    let endpoint = "http://mc-collector.invalid:8080";
    let proxy_url = proxy.url();
    run_player(
        &player(),
        endpoint,
        &[("MC_STEPS", "1"), ("MC_MEDIA_PREFIX", "via-config"), ("MC_PROXY", &proxy_url)],
        Duration::from_secs(30),
    );
    run_player(
        &player(),
        endpoint,
        &[
            ("MC_STEPS", "1"),
            ("MC_MEDIA_PREFIX", "via-env"),
            ("http_proxy", &proxy_url),
            ("no_proxy", ""),
            ("NO_PROXY", ""),
        ],
        Duration::from_secs(30),
    );
    let seen = proxy.seen();
    assert_eq!(seen.len(), 8, "4 requests per session through the proxy");
    assert!(seen.iter().all(|s| s.absolute()), "every request came in proxy (absolute) form");
    assert!(seen.iter().all(|s| s.line.contains("mc-collector.invalid:8080")));
    let sessions = collector.sessions();
    assert_eq!(sessions.len(), 2);
    for s in &sessions {
        assert_eq!(keys(&s.events), expected_session(1));
    }
}
