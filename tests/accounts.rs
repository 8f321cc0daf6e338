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
