//! `Idempotency-Key` on POST (API.md): a repeat with the same key and request returns the
//! first answer and appends nothing; another request with the key is a 422; a repeat
//! while the first still runs is a 409. On SQLite and on Postgres.

mod common;

use aggregates::Role;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Request};
use chrono::Duration;
use common::{accepted_order, order_body, Backend, Resp, TestApp};
use scriptorium::http::idempotency::{fingerprint, user_scope, ANONYMOUS_SCOPE, CLAIM_TIMEOUT};
use serde_json::{json, Value};

on_both!(
    the_same_key_and_body_replay_the_first_answer_and_append_nothing,
    a_refused_request_is_replayed_without_running_again,
    the_same_key_with_another_request_is_a_422_and_appends_nothing,
    concurrent_repeats_run_the_request_once,
    a_key_still_in_progress_is_a_409_until_its_claim_is_abandoned_and_taken_over,
    two_users_may_use_the_same_key_independently,
    a_post_without_the_key_behaves_as_before,
    a_malformed_key_is_a_400_and_runs_nothing,
    an_upload_is_replayed_even_when_the_retry_uses_a_new_multipart_boundary,
    a_registration_without_a_token_is_replayed_in_the_anonymous_scope,
    a_server_error_releases_the_key_so_the_client_may_retry,
    a_log_in_is_never_stored_because_its_answer_is_a_live_token,
);

const KEY: &str = "idempotency-key";

/// A JSON POST carrying `key`.
async fn keyed(t: &TestApp, path: &str, token: Option<&str>, body: Value, key: &str) -> Resp {
    t.call_with("POST", path, token, Some(body), &[(KEY, key)])
        .await
}

/// Asserts that `repeat` is `first` given back: same status, content type and body.
#[track_caller]
fn assert_replay(first: &Resp, repeat: &Resp) {
    assert_eq!(first.header("idempotency-replayed"), None, "{}", first.body);
    assert_eq!(repeat.header("idempotency-replayed"), Some("true"));
    assert_eq!(repeat.status, first.status, "{}", repeat.body);
    assert_eq!(repeat.content_type, first.content_type);
    assert_eq!(repeat.bytes, first.bytes);
}

async fn stored_keys(t: &TestApp) -> i64 {
    t.application
        .app
        .db
        .fetch_one("SELECT COUNT(*) AS n FROM idempotency_keys", &[])
        .await
        .expect("count keys")
        .int("n")
        .expect("n")
}

async fn order_total(t: &TestApp, token: &str) -> i64 {
    t.get("/api/orders", token).await.ok(200)["total"]
        .as_i64()
        .expect("total")
}

fn uuid(id: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(id).expect("uuid")
}

async fn the_same_key_and_body_replay_the_first_answer_and_append_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;

    let first = keyed(&t, "/api/orders", Some(&client), order_body(), "order-1").await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["number"], 1);
    let events = t.event_count().await;

    let repeat = keyed(&t, "/api/orders", Some(&client), order_body(), "order-1").await;
    assert_replay(&first, &repeat);
    assert_eq!(repeat.body["id"], first.body["id"]);
    assert_eq!(repeat.body["number"], 1);
    assert_eq!(t.event_count().await, events, "a replay appends nothing");
    assert_eq!(order_total(&t, &client).await, 1);

    // The replay took no order number: the next order is number 2.
    let next = t.post("/api/orders", &client, order_body()).await.ok(201);
    assert_eq!(next["number"], 2);
}

fn pay(half: &str, amount: i64, payment_id: &str) -> Value {
    json!({"half": half, "amount": amount, "payment_id": payment_id})
}

async fn a_refused_request_is_replayed_without_running_again(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = accepted_order(&t).await;
    let path = format!("/api/orders/{}/payments", s.order);

    // The second half before the first: refused.
    let second = pay("second", 125001, "p-2");
    let first = keyed(&t, &path, Some(&s.manager), second.clone(), "pay-2").await;
    assert_eq!(first.status, 409, "{}", first.body);

    // Now the second half would be accepted, but the key's answer is the 409.
    t.post(&path, &s.manager, pay("first", 125000, "p-1"))
        .await
        .ok(200);
    let events = t.event_count().await;
    let repeat = keyed(&t, &path, Some(&s.manager), second.clone(), "pay-2").await;
    assert_replay(&first, &repeat);
    repeat.problem(409);
    assert_eq!(
        t.event_count().await,
        events,
        "the payment did not run again"
    );
    let order = t
        .get(&format!("/api/orders/{}", s.order), &s.manager)
        .await
        .ok(200);
    assert_eq!(order["paid"], 125000);

    // A new key is a new request.
    let o = keyed(&t, &path, Some(&s.manager), second, "pay-2-again")
        .await
        .ok(200);
    assert_eq!(o["paid"], 250001);
}

async fn the_same_key_with_another_request_is_a_422_and_appends_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let first = keyed(&t, "/api/orders", Some(&client), order_body(), "k").await;
    assert_eq!(first.status, 201, "{}", first.body);
    let id = first.body["id"].as_str().expect("id").to_string();
    let events = t.event_count().await;

    // Another body.
    let mut other = order_body();
    other["topic"] = json!("Another topic");
    let detail = keyed(&t, "/api/orders", Some(&client), other, "k")
        .await
        .problem(422);
    assert!(detail.contains("Idempotency-Key"), "{detail}");
    // Another path, or the same path with a query, with the same body.
    keyed(
        &t,
        &format!("/api/orders/{id}/cancel"),
        Some(&client),
        order_body(),
        "k",
    )
    .await
    .problem(422);
    keyed(&t, "/api/orders?x=1", Some(&client), order_body(), "k")
        .await
        .problem(422);
    assert_eq!(t.event_count().await, events);
    assert_eq!(order_total(&t, &client).await, 1);

    // The key still answers its own request.
    let repeat = keyed(&t, "/api/orders", Some(&client), order_body(), "k").await;
    assert_replay(&first, &repeat);
}

async fn concurrent_repeats_run_the_request_once(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let answers = futures::future::join_all(
        (0..6).map(|_| keyed(&t, "/api/orders", Some(&client), order_body(), "at-once")),
    )
    .await;
    let ran: Vec<&Resp> = answers
        .iter()
        .filter(|r| r.status == 201 && r.header("idempotency-replayed").is_none())
        .collect();
    assert_eq!(ran.len(), 1, "exactly one request runs");
    for r in &answers {
        match r.status.as_u16() {
            201 => assert_eq!(r.body["id"], ran[0].body["id"]),
            409 => assert!(r.body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("still being processed"))),
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert_eq!(order_total(&t, &client).await, 1);
}

async fn a_key_still_in_progress_is_a_409_until_its_claim_is_abandoned_and_taken_over(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let (client_id, client) = t.user(Role::Client, "Anna Client").await;
    // A request that claimed the key and is still running (or died without a word).
    let body = Bytes::from(order_body().to_string());
    let fp = fingerprint("POST", "/api/orders", "application/json", &body).await;
    let now = t.clock.now().to_rfc3339();
    t.application
        .app
        .db
        .execute(
            "INSERT INTO idempotency_keys \
             (scope, key, fingerprint, state, claim_id, created_at, claimed_at) \
             VALUES ($1, $2, $3, 'in_progress', 'the-first-request', $4, $4)",
            &projections::args![user_scope(uuid(&client_id)), "busy", fp, now],
        )
        .await
        .expect("insert a claim");
    let events = t.event_count().await;

    let detail = keyed(&t, "/api/orders", Some(&client), order_body(), "busy")
        .await
        .problem(409);
    assert!(detail.contains("still being processed"), "{detail}");
    // Another request with the key is still another request.
    let mut other = order_body();
    other["pages"] = json!(3);
    keyed(&t, "/api/orders", Some(&client), other, "busy")
        .await
        .problem(422);
    t.clock.advance(CLAIM_TIMEOUT - Duration::seconds(1));
    keyed(&t, "/api/orders", Some(&client), order_body(), "busy")
        .await
        .problem(409);
    assert_eq!(t.event_count().await, events, "nothing ran while claimed");

    // Older than the timeout: abandoned, and the next request takes it over.
    t.clock.advance(Duration::seconds(2));
    let taken = keyed(&t, "/api/orders", Some(&client), order_body(), "busy").await;
    assert_eq!(taken.status, 201, "{}", taken.body);
    assert_eq!(taken.header("idempotency-replayed"), None);
    let events = t.event_count().await;
    let repeat = keyed(&t, "/api/orders", Some(&client), order_body(), "busy").await;
    assert_replay(&taken, &repeat);
    assert_eq!(t.event_count().await, events);
    assert_eq!(order_total(&t, &client).await, 1);
}

async fn two_users_may_use_the_same_key_independently(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, anna) = t.user(Role::Client, "Anna Client").await;
    let (_, boris) = t.user(Role::Client, "Boris Client").await;
    let a = keyed(&t, "/api/orders", Some(&anna), order_body(), "shared").await;
    let b = keyed(&t, "/api/orders", Some(&boris), order_body(), "shared").await;
    for r in [&a, &b] {
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.header("idempotency-replayed"), None);
    }
    assert_ne!(a.body["id"], b.body["id"]);
    assert_eq!(
        (a.body["number"].clone(), b.body["number"].clone()),
        (json!(1), json!(2))
    );
    // And another body under the same key is no conflict across users.
    let mut other = order_body();
    other["topic"] = json!("Boris's own topic");
    let (_, vera) = t.user(Role::Client, "Vera Client").await;
    keyed(&t, "/api/orders", Some(&vera), other, "shared")
        .await
        .ok(201);
    assert_eq!(stored_keys(&t).await, 3);
}

async fn a_post_without_the_key_behaves_as_before(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let a = t.post("/api/orders", &client, order_body()).await;
    let b = t.post("/api/orders", &client, order_body()).await;
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (201, 201));
    assert_ne!(a.body["id"], b.body["id"]);
    assert_eq!(b.body["number"], 2);
    assert_eq!(b.header("idempotency-replayed"), None);
    assert_eq!(order_total(&t, &client).await, 2);
    assert_eq!(stored_keys(&t).await, 0, "nothing is stored without a key");
}

async fn a_malformed_key_is_a_400_and_runs_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let events = t.event_count().await;
    let too_long = "k".repeat(256);
    for bad in ["", too_long.as_str(), "with space", "tab\there"] {
        let detail = keyed(&t, "/api/orders", Some(&client), order_body(), bad)
            .await
            .problem(400);
        assert!(detail.contains("Idempotency-Key"), "{bad:?}: {detail}");
    }
    // Not ASCII.
    let mut req = Request::builder()
        .method("POST")
        .uri("/api/orders")
        .header("authorization", format!("Bearer {client}"))
        .header("content-type", "application/json")
        .body(Body::from(order_body().to_string()))
        .expect("request");
    req.headers_mut().insert(
        KEY,
        HeaderValue::from_bytes("ключ".as_bytes()).expect("obs-text header"),
    );
    t.send(req).await.problem(400);
    // Sent twice.
    let req = Request::builder()
        .method("POST")
        .uri("/api/orders")
        .header("authorization", format!("Bearer {client}"))
        .header("content-type", "application/json")
        .header(KEY, "one")
        .header(KEY, "two")
        .body(Body::from(order_body().to_string()))
        .expect("request");
    t.send(req).await.problem(400);
    assert_eq!(t.event_count().await, events);
    assert_eq!(order_total(&t, &client).await, 0);
    assert_eq!(stored_keys(&t).await, 0);

    // The longest key is fine; on a GET the header is ignored.
    keyed(
        &t,
        "/api/orders",
        Some(&client),
        order_body(),
        &"k".repeat(255),
    )
    .await
    .ok(201);
    t.call_with("GET", "/api/me", Some(&client), None, &[(KEY, "")])
        .await
        .ok(200);
}

async fn an_upload_is_replayed_even_when_the_retry_uses_a_new_multipart_boundary(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = accepted_order(&t).await;
    t.post(
        &format!("/api/orders/{}/payments", s.order),
        &s.manager,
        pay("first", 125000, "p-1"),
    )
    .await
    .ok(200);
    let path = format!("/api/orders/{}/draft", s.order);
    let up = |boundary: &'static str, content: &'static [u8]| {
        let (t, path, author) = (&t, &path, &s.author);
        async move {
            t.upload_with(
                path,
                author,
                "draft.pdf",
                content,
                boundary,
                &[(KEY, "draft-1")],
            )
            .await
        }
    };

    let first = up("boundary-one", b"%PDF draft half").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["status"], "draft_review");
    let events = t.event_count().await;

    // Run again, a second draft would be refused (409): the replay runs nothing.
    let repeat = up("boundary-two", b"%PDF draft half").await;
    assert_replay(&first, &repeat);
    assert_eq!(t.event_count().await, events);
    let order = t
        .get(&format!("/api/orders/{}", s.order), &s.manager)
        .await
        .ok(200);
    assert_eq!(order["files"].as_array().map(Vec::len), Some(1));

    // Another file under the same key is another request.
    up("boundary-one", b"%PDF another draft").await.problem(422);
    assert_eq!(t.event_count().await, events);
}

async fn a_registration_without_a_token_is_replayed_in_the_anonymous_scope(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let register = |email: &str| json!({"email": email, "password": "long enough password", "full_name": "Olga Smirnova"});
    let first = keyed(
        &t,
        "/api/auth/register",
        None,
        register("olga@example.com"),
        "sign-up",
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let events = t.event_count().await;

    // Run again it would be a 409 (the email is taken): the replay is the 201.
    let repeat = keyed(
        &t,
        "/api/auth/register",
        None,
        register("olga@example.com"),
        "sign-up",
    )
    .await;
    assert_replay(&first, &repeat);
    assert_eq!(repeat.body["id"], first.body["id"]);
    assert_eq!(t.event_count().await, events);
    keyed(
        &t,
        "/api/auth/register",
        None,
        register("petr@example.com"),
        "sign-up",
    )
    .await
    .problem(422);
    assert_eq!(t.event_count().await, events);

    let scope: String = t
        .application
        .app
        .db
        .fetch_one(
            "SELECT scope FROM idempotency_keys WHERE key = $1",
            &projections::args!["sign-up"],
        )
        .await
        .expect("the stored key")
        .text("scope")
        .expect("scope");
    assert_eq!(scope, ANONYMOUS_SCOPE);
}

async fn a_server_error_releases_the_key_so_the_client_may_retry(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let db = &t.application.app.db;
    // Break the order numbers: placing an order fails with a 500 before appending.
    let (drop, restore) = match backend {
        Backend::Postgres => (
            "DROP SEQUENCE order_numbers",
            "CREATE SEQUENCE order_numbers",
        ),
        Backend::Sqlite => (
            "DROP TABLE order_numbers",
            "CREATE TABLE order_numbers (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER NOT NULL); \
             INSERT INTO order_numbers (id, last) VALUES (1, 0)",
        ),
    };
    db.execute(drop, &[]).await.expect("break the numbers");
    let events = t.event_count().await;
    keyed(&t, "/api/orders", Some(&client), order_body(), "retry-me")
        .await
        .problem(500);
    assert_eq!(t.event_count().await, events);
    assert_eq!(stored_keys(&t).await, 0, "a 5xx is not kept");

    for statement in restore.split("; ") {
        db.execute(statement, &[])
            .await
            .expect("restore the numbers");
    }
    let retry = keyed(&t, "/api/orders", Some(&client), order_body(), "retry-me").await;
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert_eq!(retry.header("idempotency-replayed"), None);
    assert_eq!(retry.body["number"], 1);
}

async fn a_log_in_is_never_stored_because_its_answer_is_a_live_token(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    t.call(
        "POST",
        "/api/auth/register",
        None,
        Some(json!({"email": "olga@example.com", "password": "long enough password", "full_name": "Olga Smirnova"})),
    )
    .await
    .ok(201);
    let login = json!({"email": "olga@example.com", "password": "long enough password"});
    let a = keyed(&t, "/api/auth/login", None, login.clone(), "log-in").await;
    let b = keyed(&t, "/api/auth/login", None, login, "log-in").await;
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (200, 200));
    assert_eq!(b.header("idempotency-replayed"), None);
    assert_ne!(a.body["token"], b.body["token"]);
    assert_eq!(stored_keys(&t).await, 0, "no token is stored");
    // A malformed key is still refused.
    keyed(
        &t,
        "/api/auth/login",
        None,
        json!({"email": "olga@example.com", "password": "long enough password"}),
        "",
    )
    .await
    .problem(400);
}
