//! Property tests: random bytes and strings fed to the decoders of outside input — JSON
//! bodies and multipart uploads through the real router (never a 5xx, always a
//! problem+json refusal), and the payment webhook's signature header (never a panic,
//! never verified without the secret). On SQLite; a few hundred cases in all.

mod common;

use aggregates::Role;
use axum::body::Body;
use axum::http::Request;
use chrono::TimeZone;
use common::{accepted_order, Backend, Resp, TestApp};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

async fn post(
    t: &TestApp,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> Resp {
    let mut req = Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", content_type);
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    t.send(req.body(Body::from(body)).expect("request")).await
}

/// A refusal as the API gives one: a 4xx problem+json (a 2xx only where `ok_allowed`).
fn refused_well(res: &Resp, what: &str, ok_allowed: bool) -> Result<(), TestCaseError> {
    let status = res.status.as_u16();
    prop_assert!(status < 500, "{what}: a {status}: {:?}", res.body);
    if !(ok_allowed && res.status.is_success()) {
        prop_assert!((400..500).contains(&status), "{what}: a {status}");
        prop_assert_eq!(
            res.content_type.as_str(),
            "application/problem+json",
            "{}",
            what
        );
        prop_assert_eq!(res.body["status"].as_u64(), Some(u64::from(status)));
    }
    Ok(())
}

/// Bytes that are mostly almost-JSON: random bytes, random text, and JSON values with
/// random members.
fn json_ish() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        ".{0,200}".prop_map(String::into_bytes),
        "[\\[\\]{}\":,0-9a-z\\-\\.eE ]{0,120}".prop_map(String::into_bytes),
        proptest::collection::hash_map("[a-z_]{1,12}", any::<i64>(), 0..6)
            .prop_map(|m| serde_json::to_vec(&m).unwrap()),
        (any::<f64>(), "[a-z]{0,20}").prop_map(|(f, s)| json!({
            "email": s, "password": s, "full_name": s, "pages": f, "price": f,
            "topic": s, "deadline": s, "work_type": s, "subject": s, "new_password": s,
            "token": s
        })
        .to_string()
        .into_bytes()),
    ]
}

#[test]
fn random_json_bodies_are_refused_with_a_problem_never_a_5xx() {
    let rt = runtime();
    let t = rt.block_on(TestApp::spawn(Backend::Sqlite));
    let (_, client) = rt.block_on(t.user(Role::Client, "Fuzzy Client"));
    let (_, manager) = rt.block_on(t.user(Role::Manager, "Fuzzy Manager"));
    let before = rt.block_on(t.event_count());
    let endpoints: Vec<(&str, Option<&str>)> = vec![
        ("/api/auth/login", None),
        ("/api/auth/register", None),
        ("/api/auth/password-reset", None),
        ("/api/auth/password-reset/confirm", None),
        ("/api/orders", Some(client.as_str())),
        ("/api/me/password", Some(client.as_str())),
        ("/api/payouts", Some(manager.as_str())),
    ];
    let mut runner = runner(192);
    runner
        .run(
            &(json_ish(), 0..endpoints.len(), any::<bool>()),
            |(body, i, json_type)| {
                let (path, token) = endpoints[i];
                let content_type = if json_type {
                    "application/json"
                } else {
                    "application/json; charset=utf-8"
                };
                let res = rt.block_on(post(&t, path, token, content_type, body));
                refused_well(&res, path, false)
            },
        )
        .unwrap();
    // Nothing random was ever taken: the log is as it was.
    assert_eq!(rt.block_on(t.event_count()), before);
}

/// A multipart body: random parts around random bytes, or random bytes alone.
fn multipart_ish() -> impl Strategy<Value = (String, Vec<u8>)> {
    let boundary = "[A-Za-z0-9'()+_,\\-./:=?]{1,70}";
    prop_oneof![
        (boundary, proptest::collection::vec(any::<u8>(), 0..1024)),
        (
            boundary,
            proptest::collection::vec(any::<u8>(), 0..512),
            "[ -~]{0,40}",
            "[ -~]{0,40}",
        )
            .prop_map(|(b, content, name, file_name)| {
                let mut body = format!(
                    "--{b}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\r\n"
                )
                .into_bytes();
                body.extend(content);
                body.extend(format!("\r\n--{b}--\r\n").into_bytes());
                (b, body)
            }),
        (boundary, proptest::collection::vec(any::<u8>(), 0..512)).prop_map(|(b, content)| {
            let mut body =
                format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n")
                    .into_bytes();
            body.extend(content);
            // Sometimes unterminated.
            (b, body)
        }),
    ]
}

#[test]
fn random_multipart_uploads_never_get_a_5xx() {
    let rt = runtime();
    let t = rt.block_on(TestApp::spawn(Backend::Sqlite));
    let s = rt.block_on(accepted_order(&t));
    rt.block_on(t.post(
        &format!("/api/orders/{}/payments", s.order),
        &s.manager,
        json!({"half": "first", "amount": 125000, "payment_id": "fuzz-first"}),
    ))
    .ok(200);
    let endpoints = [
        (format!("/api/orders/{}/draft", s.order), s.author.clone()),
        (format!("/api/orders/{}/final", s.order), s.author.clone()),
        ("/api/ready-works".to_string(), s.manager.clone()),
    ];
    let mut runner = runner(192);
    runner
        .run(
            &(multipart_ish(), 0..endpoints.len(), any::<bool>()),
            |((boundary, body), i, quoted)| {
                let (path, token) = &endpoints[i];
                let content_type = if quoted {
                    format!("multipart/form-data; boundary=\"{boundary}\"")
                } else {
                    format!("multipart/form-data; boundary={boundary}")
                };
                let res = rt.block_on(post(&t, path, Some(token), &content_type, body));
                // A random body that happens to be a good upload may be taken.
                refused_well(&res, path, true)
            },
        )
        .unwrap();
}

#[test]
fn random_signature_headers_never_panic_and_never_verify() {
    use scriptorium::app::payments::verify_signature;
    let now = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let secrets = ["whsec_test_secret"];
    let header = prop_oneof![
        ".{0,200}",
        "[tv01=,;a-f0-9 ]{0,120}",
        (any::<i64>(), "[0-9a-fA-F]{0,80}").prop_map(|(t, h)| format!("t={t},v1={h}")),
        (
            (now.timestamp() - 400)..(now.timestamp() + 400),
            proptest::collection::vec("[0-9a-f]{64}", 0..4),
        )
            .prop_map(|(t, sigs)| {
                let mut h = format!("t={t}");
                for s in sigs {
                    h.push_str(&format!(",v1={s}"));
                }
                h
            }),
    ];
    let mut sig_runner = runner(256);
    sig_runner
        .run(
            &(
                proptest::option::of(header),
                proptest::collection::vec(any::<u8>(), 0..256),
            ),
            |(header, body)| {
                let result = verify_signature(&secrets, header.as_deref(), &body, now);
                prop_assert!(result.is_err(), "{header:?} verified");
                Ok(())
            },
        )
        .unwrap();

    // And the webhook route itself: random headers and bodies are a 401 problem.
    let rt = runtime();
    let t = rt.block_on(TestApp::spawn_with(Backend::Sqlite, |c| {
        c.payment_webhook_secret = Some("whsec_test_secret".into());
    }));
    let mut route_runner = runner(64);
    route_runner
        .run(
            &(
                "[ -~]{0,120}",
                proptest::collection::vec(any::<u8>(), 0..256),
            ),
            |(header, body)| {
                let req = Request::builder()
                    .method("POST")
                    .uri("/api/payments/webhook")
                    .header("content-type", "application/json")
                    .header("x-signature", header)
                    .body(Body::from(body))
                    .unwrap();
                let res = rt.block_on(t.send(req));
                prop_assert_eq!(res.status.as_u16(), 401);
                prop_assert_eq!(res.content_type.as_str(), "application/problem+json");
                Ok(())
            },
        )
        .unwrap();
}
