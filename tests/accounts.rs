//! Accounts (issue 17): log-out ends a token, a password change ends every session of
//! its owner, common passwords are refused, and log-in answers the same whether or not an
//! email is registered. On SQLite and PostgreSQL.

mod common;

use aggregates::Role;
use common::{Backend, TestApp};
use serde_json::json;

on_both!(
    logging_out_ends_that_token_only,
    a_password_change_ends_every_session_and_opens_a_new_one,
    common_passwords_are_refused_and_an_unknown_email_answers_as_a_wrong_password,
    failed_log_ins_lock_the_account_for_a_while,
    failed_log_ins_from_one_address_are_limited_across_accounts,
    a_token_ends_when_its_time_is_up,
);

async fn register(t: &TestApp, email: &str, password: &str) -> String {
    t.call(
        "POST",
        "/api/auth/register",
        None,
        Some(json!({"email": email, "password": password, "full_name": "Zoe Client"})),
    )
    .await
    .ok(201);
    t.login(email, password).await
}

async fn logging_out_ends_that_token_only(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let first = register(&t, "zoe@example.com", "correct horse battery").await;
    let second = t.login("zoe@example.com", "correct horse battery").await;
    t.get("/api/me", &first).await.ok(200);
    let r = t.call("POST", "/api/auth/logout", Some(&first), None).await;
    assert_eq!(r.status.as_u16(), 204);
    t.get("/api/me", &first).await.problem(401);
    // The same token again: it is no longer anyone's.
    t.call("POST", "/api/auth/logout", Some(&first), None)
        .await
        .problem(401);
    t.call("POST", "/api/auth/logout", None, None)
        .await
        .problem(401);
    // The other device stays logged in.
    t.get("/api/me", &second).await.ok(200);
}

async fn a_password_change_ends_every_session_and_opens_a_new_one(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = register(&t, "zoe@example.com", "correct horse battery").await;
    let b = t.login("zoe@example.com", "correct horse battery").await;
    let change = |old: &str, new: &str| json!({"old_password": old, "new_password": new});

    // Refusals change nothing: both tokens and the old password still work.
    let detail = t
        .post(
            "/api/me/password",
            &a,
            change("wrong horse battery", "a brand new secret"),
        )
        .await
        .problem(422);
    assert!(detail.contains("current password"), "{detail}");
    for (new, says) in [
        ("short", "at least 8"),
        ("password1", "common"),
        ("correct horse battery", "current one"),
    ] {
        let detail = t
            .post("/api/me/password", &a, change("correct horse battery", new))
            .await
            .problem(422);
        assert!(detail.contains(says), "{new}: {detail}");
    }
    t.post("/api/me/password", &a, json!({"old_password": "x"}))
        .await
        .problem(400);
    t.get("/api/me", &a).await.ok(200);
    t.get("/api/me", &b).await.ok(200);

    let session = t
        .post(
            "/api/me/password",
            &a,
            change("correct horse battery", "a brand new secret"),
        )
        .await
        .ok(200);
    let fresh = session["token"].as_str().unwrap().to_string();
    assert_eq!(session["user"]["email"], "zoe@example.com");
    t.get("/api/me", &a).await.problem(401);
    t.get("/api/me", &b).await.problem(401);
    t.get("/api/me", &fresh).await.ok(200);
    t.call(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"email": "zoe@example.com", "password": "correct horse battery"})),
    )
    .await
    .problem(401);
    t.login("zoe@example.com", "a brand new secret").await;

    // Staff change theirs the same way; without a token, nobody.
    let (_, manager) = t.user(Role::Manager, "Maria Manager").await;
    t.post(
        "/api/me/password",
        &manager,
        change("correct horse battery", "another long secret"),
    )
    .await
    .ok(200);
    t.call(
        "POST",
        "/api/me/password",
        None,
        Some(change("a", "another long secret")),
    )
    .await
    .problem(401);
}

async fn common_passwords_are_refused_and_an_unknown_email_answers_as_a_wrong_password(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    for common in ["password", "12345678", "Qwertyuiop", "aaaaaaaaaa"] {
        let detail = t
            .call(
                "POST",
                "/api/auth/register",
                None,
                Some(json!({"email": "new@example.com", "password": common, "full_name": "N"})),
            )
            .await
            .problem(422);
        assert!(detail.contains("common"), "{common}: {detail}");
    }
    t.call(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"email": "new@example.com", "password": "anything long"})),
    )
    .await
    .problem(401);
    register(&t, "known@example.com", "correct horse battery").await;
    let login = |email: &str| {
        t.call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"email": email, "password": "not the password"})),
        )
    };
    let known = login("known@example.com").await;
    let unknown = login("unknown@example.com").await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(
        known.bytes, unknown.bytes,
        "the same answer, registered or not"
    );
}

async fn failed_log_ins_lock_the_account_for_a_while(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    register(&t, "zoe@example.com", "correct horse battery").await;
    let try_with = |password: &str| {
        t.call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"email": "Zoe@Example.com", "password": password})),
        )
    };
    // Four failures, then a success: the count starts again.
    for _ in 0..4 {
        try_with("not the password").await.problem(401);
    }
    try_with("correct horse battery").await.ok(200);
    for _ in 0..5 {
        try_with("not the password").await.problem(401);
    }
    // The sixth try is refused whatever it says, with how long to wait.
    let r = try_with("correct horse battery").await;
    assert_eq!(r.status.as_u16(), 429);
    let wait: i64 = r.header("retry-after").unwrap().parse().unwrap();
    assert_eq!(wait, 15 * 60);
    assert!(r.problem(429).contains("too many failed log-ins"));
    // Another account is not locked by this one's failures.
    register(&t, "ann@example.com", "another long secret").await;
    // Until the window has passed.
    t.clock.advance(chrono::Duration::minutes(10));
    let r = try_with("correct horse battery").await;
    assert_eq!(r.header("retry-after"), Some("300"));
    t.clock.advance(chrono::Duration::minutes(5));
    try_with("correct horse battery").await.ok(200);
    // A failure after a window has passed starts a new count.
    for _ in 0..5 {
        try_with("not the password").await.problem(401);
    }
    t.clock.advance(chrono::Duration::minutes(16));
    try_with("not the password").await.problem(401);
    try_with("correct horse battery").await.ok(200);
}

async fn failed_log_ins_from_one_address_are_limited_across_accounts(backend: Backend) {
    let t = TestApp::spawn_with(backend, |c| c.login_failures_per_address = 3).await;
    register(&t, "zoe@example.com", "correct horse battery").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let service = t
        .application
        .router
        .clone()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    let login = |email: &str, password: &str| {
        let body = json!({"email": email, "password": password}).to_string();
        let addr = addr.clone();
        async move {
            common::http(&addr, "POST", "/api/auth/login", None, Some(&body))
                .await
                .expect("an answer")
        }
    };
    // Three accounts tried from one address, one failure each.
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        assert_eq!(login(email, "guess one two").await.0, 401);
    }
    // The address is refused now, for any account, the right password too.
    let (status, body) = login("zoe@example.com", "correct horse battery").await;
    assert_eq!(status, 429, "{body}");
    // The same account through the in-process router (no address) still logs in.
    t.login("zoe@example.com", "correct horse battery").await;
}

/// A session lasts `SCRIPTORIUM_TOKEN_TTL_HOURS` from its log-in, by the service's clock,
/// and not a minute more (a token cached by the instance included).
async fn a_token_ends_when_its_time_is_up(backend: Backend) {
    let t = TestApp::spawn_with(backend, |c| c.token_ttl = chrono::Duration::hours(2)).await;
    let token = register(&t, "ttl@example.com", "correct horse battery").await;
    t.get("/api/me", &token).await.ok(200);
    t.clock.advance(chrono::Duration::minutes(119));
    t.get("/api/me", &token).await.ok(200);
    t.clock.advance(chrono::Duration::minutes(2));
    t.get("/api/me", &token).await.problem(401);
    t.call(
        "POST",
        "/api/orders",
        Some(&token),
        Some(common::order_body()),
    )
    .await
    .problem(401);
    // A new log-in opens a new session of the full length.
    let again = t.login("ttl@example.com", "correct horse battery").await;
    t.get("/api/me", &again).await.ok(200);
    t.clock.advance(chrono::Duration::minutes(119));
    t.get("/api/me", &again).await.ok(200);
}
