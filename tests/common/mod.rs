//! Test harness: a real service on a fresh database (a SQLite file in a temporary folder,
//! or a new PostgreSQL database on `TEST_POSTGRES_URL`), driven through the real router.
#![allow(dead_code)]

pub mod doc;
pub mod schema;
pub mod smtp;

use std::path::PathBuf;

use aggregates::Role;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use scriptorium::{Application, Clock, Config, Ctx};
use serde_json::{json, Value};
use tower::ServiceExt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per backend for an `async fn(Backend)`.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Backend::Postgres).await })*
        }
    };
}

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A fresh, empty database URL for one test.
pub async fn fresh_database(backend: Backend, dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("test.db").display()),
        Backend::Postgres => {
            use sqlx::Connection;
            let admin = postgres_admin_url();
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| {
                    panic!("the Postgres tests need a server at TEST_POSTGRES_URL ({admin}): {e}")
                });
            let name = format!("scriptorium_test_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create the test database");
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            format!("{base}/{name}")
        }
    }
}

pub struct TestApp {
    pub application: Application,
    pub clock: Clock,
    pub dir: tempfile::TempDir,
    pub backend: Backend,
}

pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub headers: HeaderMap,
}

impl Resp {
    #[track_caller]
    pub fn ok(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected answer: {}",
            self.body
        );
        self.body
    }

    /// A header of the answer, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json answer with this status; returns its detail.
    #[track_caller]
    pub fn problem(self, status: u16) -> String {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected answer: {}",
            self.body
        );
        assert_eq!(self.content_type, "application/problem+json");
        assert_eq!(self.body["status"], status);
        assert!(self.body["title"].is_string() && self.body["type"].is_string());
        self.body["detail"].as_str().unwrap_or_default().to_string()
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_database(backend, dir.path()).await;
        TestApp::on(backend, &url, dir).await
    }

    /// [`TestApp::spawn`] with the configuration edited first (e.g. workers off).
    pub async fn spawn_with(backend: Backend, edit: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_database(backend, dir.path()).await;
        TestApp::on_with(backend, &url, dir, edit).await
    }

    /// A service on an existing database, with its files under `dir`.
    pub async fn on(backend: Backend, url: &str, dir: tempfile::TempDir) -> TestApp {
        TestApp::on_with(backend, url, dir, |_| {}).await
    }

    /// [`TestApp::on`] with the configuration edited first.
    pub async fn on_with(
        backend: Backend,
        url: &str,
        dir: tempfile::TempDir,
        edit: impl FnOnce(&mut Config),
    ) -> TestApp {
        let mut config = Config::for_tests(url, dir.path().join("data"));
        edit(&mut config);
        let clock = Clock::manual(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap());
        let application = Application::build(config, clock.clone())
            .await
            .expect("build the application");
        TestApp {
            application,
            clock,
            dir,
            backend,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let res = self
            .application
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("the router answers");
        let status = res.status();
        let headers = res.headers().clone();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = res
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            content_type,
            bytes,
            headers,
        }
    }

    /// A JSON request (`body` `None` sends no body).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        self.call_with(method, path, token, body, &[]).await
    }

    /// A JSON request with extra headers.
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .expect("request");
        let routes = method == "POST" && matches!(path, "/api/orders" | "/api/shifts/start");
        let res = self.send(req).await;
        // The router reacts to a placement and to a shift's start: a test's next step
        // finds the order routed (or left waiting when nobody is on shift).
        if routes && res.status.is_success() {
            self.settle_routing().await;
        }
        res
    }

    /// Waits until the router has reacted to every event committed so far (no-op when
    /// this instance runs no workers, or nobody is on shift: nothing to route). Panics
    /// after 30 s (another test's transaction may hold the log's horizon back a while).
    pub async fn settle_routing(&self) {
        let app = &self.application.app;
        if !app.config.run_workers
            || projections::shifts::on_shift(&app.db)
                .await
                .expect("who is on shift")
                .is_empty()
        {
            return;
        }
        let Some(head) = projections::feed::committed_head(&app.db)
            .await
            .expect("the log's head")
        else {
            return;
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let at = projections::Runner::load_checkpoint(&app.db, "process:routing")
                .await
                .expect("the router's checkpoint");
            if at >= head {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the router did not catch up with the log in 30 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// Polls until the order has a manager (as its own events say); returns the manager.
    /// Panics after 10 s.
    pub async fn wait_routed(&self, order_id: &str) -> String {
        let id = uuid::Uuid::parse_str(order_id).expect("an order id");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let order = self
                .application
                .app
                .order_state(id)
                .await
                .expect("the order's state");
            if let Some(m) = order.manager_id {
                return m.to_string();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "order {order_id} was not routed in 10 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// A manager (created and logged in) who has started a shift: orders placed from now
    /// on, and those waiting, may be routed to them. Returns (id, token).
    pub async fn manager_on_shift(&self, name: &str) -> (String, String) {
        let (id, token) = self.user(Role::Manager, name).await;
        self.post("/api/shifts/start", &token, json!({}))
            .await
            .ok(200);
        (id, token)
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call("POST", path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call("PUT", path, Some(token), Some(body)).await
    }

    /// Uploads a file as `multipart/form-data` with one `file` part.
    pub async fn upload(&self, path: &str, token: &str, name: &str, content: &[u8]) -> Resp {
        self.upload_with(path, token, name, content, "scriptorium-test-boundary", &[])
            .await
    }

    /// An upload with a chosen multipart boundary and extra headers.
    pub async fn upload_with(
        &self,
        path: &str,
        token: &str,
        name: &str,
        content: &[u8],
        boundary: &str,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut req = Request::builder()
            .method("POST")
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            );
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = req.body(Body::from(body)).expect("request");
        self.send(req).await
    }

    /// Creates a user directly (as the CLI does) and logs them in; returns (id, token).
    /// An author gets [`default_profile`] (writes on [`order_body`]'s subject).
    pub async fn user(&self, role: Role, name: &str) -> (String, String) {
        let (id, token) = self.bare_user(role, name).await;
        if role == Role::Author {
            self.set_profile(&id, default_profile()).await;
        }
        (id, token)
    }

    /// Creates a user (an author without a profile) and logs them in; returns (id, token).
    pub async fn bare_user(&self, role: Role, name: &str) -> (String, String) {
        let email = format!(
            "{}-{}@example.com",
            name.to_lowercase().replace(' ', "."),
            uuid::Uuid::new_v4().simple()
        );
        let ctx = Ctx::system("test-setup");
        let id = self
            .application
            .app
            .create_user(&email, name, role, "correct horse battery", None, &ctx)
            .await
            .expect("create user");
        let token = self.login(&email, "correct horse battery").await;
        (id.to_string(), token)
    }

    /// An author with this profile; returns (id, token).
    pub async fn author_with(&self, name: &str, profile: Profile) -> (String, String) {
        let (id, token) = self.bare_user(Role::Author, name).await;
        self.set_profile(&id, profile).await;
        (id, token)
    }

    /// Sets an author's profile as an admin would (the service, not HTTP).
    pub async fn set_profile(&self, id: &str, p: Profile) {
        let cmd = aggregates::author::AuthorCommand::SetProfile {
            by: aggregates::Actor::system(),
            subjects: p.subjects.iter().map(|s| s.to_string()).collect(),
            rating: Some(aggregates::author::Rating::from_stars(p.rating).expect("a rating")),
            max_active_orders: p.max_active_orders,
            available: Some(p.available),
            at: self.clock.now(),
        };
        self.application
            .app
            .author(id.parse().expect("an id"), cmd, &Ctx::system("test-setup"))
            .await
            .expect("set the author's profile");
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let body = self
            .call(
                "POST",
                "/api/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await
            .ok(200);
        body["token"].as_str().expect("token").to_string()
    }

    /// Waits until the log reactors (the rating and routing workers) have reacted to every
    /// event in the log, so that no worker appends behind a test's count.
    pub async fn workers_caught_up(&self) {
        if !self.application.app.config.run_workers {
            return;
        }
        let db = &self.application.app.db;
        for _ in 0..200 {
            let head = projections::feed::committed_head(db)
                .await
                .expect("the head");
            let mut behind = false;
            for reactor in [
                "process:ratings",
                "process:routing",
                "process:ledger",
                "process:points",
                "process:blocking",
            ] {
                let done = projections::Runner::load_checkpoint(db, reactor)
                    .await
                    .expect("the checkpoint");
                behind |= head.is_some_and(|h| done < h);
            }
            if !behind {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the log reactors never caught up with the log");
    }

    /// The number of events in the log.
    pub async fn event_count(&self) -> i64 {
        self.application
            .app
            .db
            .fetch_one("SELECT COUNT(*) AS n FROM events", &[])
            .await
            .expect("count events")
            .int("n")
            .expect("n")
    }
}

/// An author's profile for [`TestApp::author_with`].
#[derive(Debug, Clone)]
pub struct Profile {
    pub subjects: Vec<&'static str>,
    /// 1..=5 stars.
    pub rating: u8,
    pub max_active_orders: u32,
    pub available: bool,
}

/// What [`TestApp::user`] gives an author: writes on History (and Law), rated 3, up to 100
/// active orders, available.
pub fn default_profile() -> Profile {
    Profile {
        subjects: vec!["History", "Law"],
        rating: 3,
        max_active_orders: 100,
        available: true,
    }
}

/// A fresh order body.
pub fn order_body() -> Value {
    json!({
        "work_type": "term_paper",
        "subject": "History",
        "topic": "The Novgorod Republic and its trade",
        "pages": 25,
        "deadline": "2026-04-15",
        "requirements": "GOST citations",
    })
}

/// A plain HTTP/1.1 request over TCP to a running service; `None` when it cannot be reached
/// or answers nothing. Returns (status, body).
pub async fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let body = body.unwrap_or("");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.ok()?;
    let out = String::from_utf8_lossy(&out).to_string();
    let status = out.split(' ').nth(1)?.parse().ok()?;
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    // Bodies of our JSON answers come with a length, or chunked: undo the chunking.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut rest = body;
        let mut plain = String::new();
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            if n == 0 {
                break;
            }
            plain.push_str(tail.get(..n)?);
            rest = tail.get(n + 2..)?;
        }
        plain
    } else {
        body.to_string()
    };
    Some((status, body))
}

/// A `scriptorium serve` process on a free port, its log in a file.
pub struct Server {
    pub child: std::process::Child,
    pub addr: String,
    pub log: PathBuf,
}

impl Server {
    /// Starts the binary on `url` and waits until `/healthz` answers.
    pub async fn start(url: &str, data_dir: &std::path::Path, name: &str) -> Server {
        Server::start_with(url, data_dir, name, &[]).await
    }

    /// [`Server::start`] with extra environment variables.
    pub async fn start_with(
        url: &str,
        data_dir: &std::path::Path,
        name: &str,
        env: &[(&str, &str)],
    ) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let log = data_dir.join(format!("{name}.log"));
        std::fs::create_dir_all(data_dir).unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_scriptorium"))
            .env("DATABASE_URL", url)
            .env("SCRIPTORIUM_DATA_DIR", data_dir)
            .env("SCRIPTORIUM_ADDR", &addr)
            .env("RUST_LOG", "info,sqlx=warn")
            .envs(env.iter().copied())
            .stderr(std::fs::File::create(&log).unwrap())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start scriptorium serve");
        let server = Server { child, addr, log };
        for _ in 0..200 {
            if http(&server.addr, "GET", "/healthz", None, None)
                .await
                .is_some()
            {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the service did not start: {}", server.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no shutdown, no flush, nothing.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `scriptorium <args>` on `url`; panics with its output unless it succeeds.
pub fn cli(url: &str, data_dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scriptorium"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("SCRIPTORIUM_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run scriptorium");
    assert!(
        out.status.success(),
        "scriptorium {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// People and an order accepted by its author, waiting for the first half.
pub struct Accepted {
    pub client: String,
    pub client_id: String,
    pub manager: String,
    pub manager_id: String,
    pub author: String,
    pub author_id: String,
    pub order: String,
}

/// [`accepted_order_priced`] at 250 001 kopecks (halves 125 000 and 125 001), fee 100 000.
pub async fn accepted_order(t: &TestApp) -> Accepted {
    accepted_order_priced(t, json!({"price": 250001, "author_fee": 100000})).await
}

/// A client's order, priced with `price` (the body of `PUT /price`) by a manager, offered
/// to an author who accepted it.
pub async fn accepted_order_priced(t: &TestApp, price: Value) -> Accepted {
    let (client_id, client) = t.user(Role::Client, "Anna Client").await;
    let (manager_id, manager) = t.manager_on_shift("Maria Manager").await;
    let (author_id, author) = t.user(Role::Author, "Ivan Petrov").await;
    let order = t.post("/api/orders", &client, order_body()).await.ok(201);
    let id = order["id"].as_str().expect("id").to_string();
    if t.wait_routed(&id).await != manager_id {
        // Another manager of the test, on shift longer with as few orders, got it: hand it
        // over (an explicit re-route), so the people returned are the order's.
        let manager = uuid::Uuid::parse_str(&manager_id).expect("an id");
        t.application
            .app
            .order(
                uuid::Uuid::parse_str(&id).expect("an id"),
                aggregates::order::OrderCommand::ReassignManager {
                    manager_id: manager,
                    at: t.clock.now(),
                },
                &Ctx::system("test-setup"),
            )
            .await
            .expect("hand the order over");
    }
    t.put(&format!("/api/orders/{id}/price"), &manager, price)
        .await
        .ok(200);
    t.post(
        &format!("/api/orders/{id}/offer"),
        &manager,
        json!({"author_id": author_id}),
    )
    .await
    .ok(200);
    let o = t
        .post(
            &format!("/api/orders/{id}/offer/accept"),
            &author,
            json!({}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "awaiting_prepayment");
    Accepted {
        client,
        client_id,
        manager,
        manager_id,
        author,
        author_id,
        order: id,
    }
}

/// Runs the `scriptorium` binary with `args` against the test's database and files.
pub fn scriptorium(t: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_scriptorium"))
        .args(args)
        .env("DATABASE_URL", &t.application.app.config.database_url)
        .env("SCRIPTORIUM_DATA_DIR", t.data_dir())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run scriptorium")
}

/// Runs `scriptorium audit verify` against the test's database.
pub fn audit_verify(t: &TestApp) -> std::process::Output {
    scriptorium(t, &["audit", "verify"])
}

/// Runs `scriptorium replay` (with `--verify` when asked) against the test's database.
pub fn replay(t: &TestApp, verify: bool) -> std::process::Output {
    if verify {
        scriptorium(t, &["replay", "--verify"])
    } else {
        scriptorium(t, &["replay"])
    }
}

/// A process's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Pays, uploads, approves and delivers an accepted order through the API, then the
/// client completes it with `completion` (the body of `POST /complete`).
pub async fn delivered_and_completed(t: &TestApp, a: &Accepted, completion: Value) {
    let id = &a.order;
    t.post(
        &format!("/api/orders/{id}/payments"),
        &a.manager,
        json!({"half": "first", "amount": 125000, "payment_id": format!("{id}-1")}),
    )
    .await
    .ok(200);
    completed_after_first_half(t, a, completion).await;
}

/// [`delivered_and_completed`] of an order whose first half is paid already.
pub async fn completed_after_first_half(t: &TestApp, a: &Accepted, completion: Value) {
    let id = &a.order;
    let pay = |half: &str, amount: i64, pid: &str| json!({"half": half, "amount": amount, "payment_id": pid});
    t.upload(
        &format!("/api/orders/{id}/draft"),
        &a.author,
        "d.txt",
        b"half",
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/draft/approve"),
        &a.manager,
        json!({}),
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/payments"),
        &a.manager,
        pay("second", 125001, &format!("{id}-2")),
    )
    .await
    .ok(200);
    t.upload(
        &format!("/api/orders/{id}/final"),
        &a.author,
        "f.txt",
        b"all",
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/final/approve"),
        &a.manager,
        json!({}),
    )
    .await
    .ok(200);
    t.post(&format!("/api/orders/{id}/complete"), &a.client, completion)
        .await
        .ok(200);
}
