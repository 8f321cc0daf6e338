//! The command line: `migrate`, `user add`, and `serve` answering real HTTP.

mod common;

use std::process::Command;

use common::{fresh_database, Backend, TestApp};
use serde_json::json;

on_both!(
    user_add_creates_a_user_who_can_log_in,
    user_add_refuses_an_unknown_role_and_a_duplicate_email,
    serve_answers_health_and_login_over_real_http,
);

fn scriptorium(url: &str, data: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scriptorium"));
    cmd.env("DATABASE_URL", url)
        .env("SCRIPTORIUM_DATA_DIR", data)
        .env("RUST_LOG", "warn");
    cmd
}

async fn user_add_creates_a_user_who_can_log_in(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(backend, dir.path()).await;
    let out = scriptorium(&url, dir.path())
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = scriptorium(&url, dir.path())
        .args([
            "user",
            "add",
            "--email",
            "Boss@Example.com",
            "--name",
            "Big Boss",
            "--role",
            "admin",
        ])
        .args(["--password", "very secret words"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created admin boss@example.com"));

    let t = TestApp::on(backend, &url, dir).await;
    let token = t.login("boss@example.com", "very secret words").await;
    let me = t.get("/api/me", &token).await.ok(200);
    assert_eq!(me["role"], "admin");
    assert_eq!(me["full_name"], "Big Boss");
    // The admin can create staff at once.
    t.post(
        "/api/users",
        &token,
        json!({"email": "m@example.com", "full_name": "M", "role": "manager", "password": "another secret"}),
    )
    .await
    .ok(201);
}

async fn user_add_refuses_an_unknown_role_and_a_duplicate_email(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(backend, dir.path()).await;
    let add = |role: &str| {
        scriptorium(&url, dir.path())
            .args([
                "user",
                "add",
                "--email",
                "a@example.com",
                "--name",
                "A",
                "--role",
                role,
            ])
            .args(["--password", "long enough pw"])
            .output()
            .unwrap()
    };
    let out = add("emperor");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role"));
    assert!(add("author").status.success());
    let out = add("author");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

async fn serve_answers_health_and_login_over_real_http(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(backend, dir.path()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let out = scriptorium(&url, dir.path())
        .args([
            "user",
            "add",
            "--email",
            "c@example.com",
            "--name",
            "C",
            "--role",
            "client",
        ])
        .args(["--password", "long enough pw"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut child = scriptorium(&url, dir.path())
        .env("SCRIPTORIUM_ADDR", &addr)
        .spawn()
        .unwrap();
    let mut health = None;
    for _ in 0..100 {
        health = common::http(&addr, "GET", "/healthz", None, None).await;
        if health.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let login = common::http(
        &addr,
        "POST",
        "/api/auth/login",
        None,
        Some(r#"{"email":"c@example.com","password":"long enough pw"}"#),
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(health.expect("the service answers /healthz").0, 200);
    let (status, body) = login.expect("login answers");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"token\""));
}
