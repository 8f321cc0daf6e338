//! Operations (decision 029): the security headers on every answer, CORS closed unless
//! configured, `GET /readyz` and its checks, `GET /metrics`, the request id in the
//! events' metadata, JSON logs, and a graceful stop of the real binary.

mod common;

use std::time::{Duration, Instant};

use aggregates::Role;
use common::{fresh_database, order_body, Backend, Resp, Server, TestApp};
use scriptorium::process::Worker;
use serde_json::{json, Value};

on_both!(
    every_answer_carries_the_security_headers,
    cors_is_closed_unless_an_origin_is_configured,
    readyz_is_ready_when_every_check_passes,
    readyz_is_unready_while_the_projections_lag_beyond_the_bound,
    readyz_is_unready_while_a_due_mail_waits_beyond_the_bound,
    metrics_count_requests_by_route_template_and_measure_the_backlog,
    metrics_ask_for_the_configured_token,
    the_request_id_goes_into_the_events_metadata,
    sigterm_finishes_the_request_in_flight_and_exits_zero,
);

/// Asserts the headers every answer must carry; returns its one CSP.
#[track_caller]
fn assert_secured(what: &str, r: &Resp) -> String {
    let csps: Vec<_> = r
        .headers
        .get_all("content-security-policy")
        .iter()
        .collect();
    assert_eq!(csps.len(), 1, "{what}: one CSP, got {csps:?}");
    let csp = csps[0].to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"), "{what}");
    assert!(r.header("referrer-policy").is_some(), "{what}");
    for name in [
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
    ] {
        assert_eq!(
            r.headers.get_all(name).iter().count(),
            1,
            "{what}: one {name}"
        );
    }
    csp
}

async fn every_answer_carries_the_security_headers(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Header Client").await;

    let api = t.call("GET", "/api/me", Some(&client), None).await;
    assert_eq!(api.status, 200);
    let csp = assert_secured("an API answer", &api);
    assert!(csp.starts_with("default-src 'none'"), "{csp}");

    let created = t.post("/api/orders", &client, order_body()).await;
    assert_eq!(created.status, 201);
    assert_secured("a command's answer", &created);

    let missing = t.call("GET", "/api/no-such-thing", None, None).await;
    assert_secured("a 404", &missing);
    missing.problem(404);

    let unauthorized = t.call("GET", "/api/me", None, None).await;
    assert_secured("a 401", &unauthorized);
    unauthorized.problem(401);

    let page = t.call("GET", "/", None, None).await;
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"));
    let csp = assert_secured("a page", &page);
    // The page keeps its own policy (its stylesheet and images), not the API's.
    assert!(csp.contains("style-src 'self'"), "{csp}");

    for path in ["/api/openapi.json", "/metrics", "/healthz", "/readyz"] {
        let r = t.call("GET", path, None, None).await;
        assert_eq!(r.status, 200, "{path}");
        assert_secured(path, &r);
    }
}

/// A preflight from `origin` for a POST with a token and an idempotency key.
async fn preflight(t: &TestApp, origin: &str) -> Resp {
    t.call_with(
        "OPTIONS",
        "/api/orders",
        None,
        None,
        &[
            ("origin", origin),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            ),
        ],
    )
    .await
}

async fn cors_is_closed_unless_an_origin_is_configured(backend: Backend) {
    const SHOP: &str = "https://shop.example";
    let closed = TestApp::spawn(backend).await;
    let r = preflight(&closed, SHOP).await;
    assert_ne!(r.status, 204);
    assert!(r.header("access-control-allow-origin").is_none());
    assert!(r.header("access-control-allow-methods").is_none());
    let r = closed
        .call_with("GET", "/api/catalogue", None, None, &[("origin", SHOP)])
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header("access-control-allow-origin").is_none());

    let open = TestApp::spawn_with(backend, |c| c.cors_origins = vec![SHOP.to_string()]).await;
    let r = preflight(&open, SHOP).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some(SHOP));
    let methods = r.header("access-control-allow-methods").unwrap();
    assert!(
        methods.contains("POST") && methods.contains("GET"),
        "{methods}"
    );
    let headers = r.header("access-control-allow-headers").unwrap();
    for h in ["authorization", "content-type", "idempotency-key"] {
        assert!(headers.contains(h), "{headers}");
    }
    assert!(r.header("access-control-allow-credentials").is_none());
    assert_secured("a preflight", &r);

    let r = preflight(&open, "https://evil.example").await;
    assert_ne!(r.status, 204);
    assert!(r.header("access-control-allow-origin").is_none());

    let r = open
        .call_with("GET", "/api/catalogue", None, None, &[("origin", SHOP)])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(SHOP));
    assert!(r
        .header("access-control-expose-headers")
        .unwrap()
        .contains("x-request-id"));
    let r = open
        .call_with(
            "GET",
            "/api/catalogue",
            None,
            None,
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header("access-control-allow-origin").is_none());
}

async fn readyz(t: &TestApp) -> (u16, Value) {
    let r = t.call("GET", "/readyz", None, None).await;
    assert_eq!(r.content_type, "application/json");
    (r.status.as_u16(), r.body)
}

async fn readyz_is_ready_when_every_check_passes(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Ready Client").await;
    t.post("/api/orders", &client, order_body()).await.ok(201);
    t.application.app.fence().await;
    let (status, body) = readyz(&t).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["failed"], json!([]));
    assert_eq!(body["checks"]["database"]["ok"], true);
    assert_eq!(body["checks"]["projections"]["ok"], true);
    assert_eq!(body["checks"]["projections"]["lag_events"], 0);
    assert_eq!(body["checks"]["projections"]["max_lag_seconds"], 30);
    assert_eq!(body["checks"]["outbox"]["ok"], true);
    assert_eq!(body["checks"]["outbox"]["max_age_seconds"], 900);
    assert!(body["projection"]["position"].as_i64().unwrap() > 0);
}

/// Polls `/readyz` until it answers `status`; panics after 30 s.
async fn wait_readyz(t: &TestApp, status: u16) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (s, body) = readyz(t).await;
        if s == status {
            return body;
        }
        assert!(Instant::now() < deadline, "readyz stays {s}: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn readyz_is_unready_while_the_projections_lag_beyond_the_bound(backend: Backend) {
    let t = TestApp::spawn_with(backend, |c| c.route_on_placement = false).await;
    let (_, client) = t.user(Role::Client, "Lagging Client").await;
    let db = &t.application.app.db;
    // The order table's projection fails on every try while its table is away: the
    // runner keeps retrying the placement's batch and applies nothing.
    db.execute("ALTER TABLE order_list RENAME TO order_list_away", &[])
        .await
        .unwrap();
    // On PostgreSQL a transaction holding an id keeps the feed's horizon before the
    // placement (as any long transaction in the cluster may): the unapplied event is lag
    // all the same, even while the projections cannot read it yet.
    let mut horizon = if db.is_postgres() {
        let mut tx = db.begin().await.unwrap();
        tx.execute("SELECT pg_current_xact_id()", &[])
            .await
            .unwrap();
        Some(tx)
    } else {
        None
    };
    t.post("/api/orders", &client, order_body()).await.ok(201);
    let (status, body) = readyz(&t).await;
    assert_eq!(status, 200, "a fresh backlog is within the bound: {body}");
    assert!(
        body["checks"]["projections"]["lag_events"]
            .as_i64()
            .unwrap()
            >= 1
    );

    t.clock.advance(chrono::Duration::seconds(31));
    let (status, body) = readyz(&t).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "unready");
    assert_eq!(body["failed"], json!(["projections"]));
    assert_eq!(body["checks"]["projections"]["ok"], false);
    assert!(
        body["checks"]["projections"]["lag_seconds"]
            .as_i64()
            .unwrap()
            >= 31
    );
    assert_eq!(body["checks"]["database"]["ok"], true);
    assert_eq!(body["checks"]["outbox"]["ok"], true);
    if let Some(tx) = horizon.take() {
        tx.rollback().await.unwrap();
    }
    let metrics = t.call("GET", "/metrics", None, None).await;
    let text = String::from_utf8(metrics.bytes).unwrap();
    assert!(
        value(&text, "scriptorium_projection_lag_events", &[]) >= 1.0,
        "{text}"
    );
    assert!(
        value(&text, "scriptorium_projection_lag_seconds", &[]) >= 31.0,
        "{text}"
    );

    // The offers' worker decides on the order table: its rounds fail meanwhile, counted.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = t.call("GET", "/metrics", None, None).await;
        let text = String::from_utf8(r.bytes).unwrap();
        if find(
            &text,
            "scriptorium_worker_errors_total",
            &[("worker", "offers")],
        )
        .is_some_and(|n| n >= 1.0)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no worker error counted:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The table is back: the runner applies the backlog and the instance is ready again.
    db.execute("ALTER TABLE order_list_away RENAME TO order_list", &[])
        .await
        .unwrap();
    let body = wait_readyz(&t, 200).await;
    assert_eq!(body["checks"]["projections"]["lag_events"], 0);
}

async fn readyz_is_unready_while_a_due_mail_waits_beyond_the_bound(backend: Backend) {
    // No workers: the test runs the mail worker's rounds itself, and no sender runs (a
    // sender that died, or hangs).
    let t = TestApp::spawn_with(backend, |c| c.run_workers = false).await;
    let app = &t.application.app;
    let (_, client) = t.user(Role::Client, "Mailed Client").await;
    t.post("/api/orders", &client, order_body()).await.ok(201);
    app.fence().await;
    // The outbox's worker derives the placement's mails from the log; nobody sends them.
    scriptorium::process::mail::MailOutbox
        .run_once(app)
        .await
        .unwrap();
    let (status, body) = readyz(&t).await;
    assert_eq!(status, 200, "{body}");
    let pending = body["checks"]["outbox"]["pending"].as_i64().unwrap();
    assert!(pending >= 1, "{body}");

    t.clock.advance(chrono::Duration::minutes(16));
    let (status, body) = readyz(&t).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["failed"], json!(["outbox"]));
    assert_eq!(body["checks"]["outbox"]["ok"], false);
    assert!(
        body["checks"]["outbox"]["oldest_due_seconds"]
            .as_i64()
            .unwrap()
            >= 16 * 60
    );
    assert_eq!(body["checks"]["projections"]["ok"], true);

    // The sender delivers them: ready again.
    scriptorium::process::mail_sender::MailSender
        .run_once(app)
        .await
        .unwrap();
    let (status, body) = readyz(&t).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["outbox"]["pending"], 0);
}

/// The value of the series `name` whose labels include `labels`; panics when there is
/// none.
#[track_caller]
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    find(text, name, labels).unwrap_or_else(|| panic!("no {name} {labels:?} in:\n{text}"))
}

/// The value of the series `name` whose labels include `labels`, if there is one.
fn find(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (series, v) = l.rsplit_once(' ')?;
        let (n, rest) = match series.split_once('{') {
            Some((n, rest)) => (n, rest),
            None => (series, ""),
        };
        let all = labels
            .iter()
            .all(|(k, val)| rest.contains(&format!("{k}=\"{val}\"")));
        (n == name && all).then(|| v.parse().unwrap())
    })
}

async fn metrics_count_requests_by_route_template_and_measure_the_backlog(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Counted Client").await;
    let order = t.post("/api/orders", &client, order_body()).await.ok(201);
    let id = order["id"].as_str().unwrap().to_string();
    for _ in 0..2 {
        t.get(&format!("/api/orders/{id}"), &client).await.ok(200);
    }
    t.call("GET", "/api/no-such-thing", None, None)
        .await
        .problem(404);

    let r = t.call("GET", "/metrics", None, None).await;
    assert_eq!(r.status, 200);
    assert!(
        r.content_type.starts_with("text/plain"),
        "{}",
        r.content_type
    );
    let text = String::from_utf8(r.bytes).unwrap();
    // Requests by route template and status, never by the path itself.
    let show = [
        ("method", "GET"),
        ("route", "/api/orders/{id}"),
        ("status", "200"),
    ];
    assert_eq!(value(&text, "scriptorium_http_requests_total", &show), 2.0);
    assert!(!text.contains(&id), "a raw path in the metrics:\n{text}");
    let placed = [
        ("method", "POST"),
        ("route", "/api/orders"),
        ("status", "201"),
    ];
    assert_eq!(
        value(&text, "scriptorium_http_requests_total", &placed),
        1.0
    );
    let unmatched = [("route", "unmatched"), ("status", "404")];
    assert_eq!(
        value(&text, "scriptorium_http_requests_total", &unmatched),
        1.0
    );
    // The latency histogram of the route: buckets, a count and a sum.
    let route = [("route", "/api/orders/{id}")];
    assert_eq!(
        value(
            &text,
            "scriptorium_http_request_duration_seconds_count",
            &route
        ),
        2.0
    );
    let inf = [("route", "/api/orders/{id}"), ("le", "+Inf")];
    assert_eq!(
        value(
            &text,
            "scriptorium_http_request_duration_seconds_bucket",
            &inf
        ),
        2.0
    );
    assert!(
        value(
            &text,
            "scriptorium_http_request_duration_seconds_sum",
            &route
        ) > 0.0
    );
    assert!(text.contains("# TYPE scriptorium_http_request_duration_seconds histogram"));
    // Events appended by this service, by aggregate type.
    assert!(
        value(
            &text,
            "scriptorium_events_appended_total",
            &[("aggregate_type", "Order")]
        ) >= 1.0
    );
    assert!(
        value(
            &text,
            "scriptorium_events_appended_total",
            &[("aggregate_type", "User")]
        ) >= 1.0
    );
    // Group commit's transactions and the commands in them (at least one each).
    let batches = value(&text, "scriptorium_commit_batches_total", &[]);
    let commands = value(&text, "scriptorium_commit_commands_total", &[]);
    assert!(
        batches >= 1.0 && commands >= batches,
        "{batches} {commands}"
    );
    // Measured at the scrape: the projections' lag and the outbox.
    assert!(value(&text, "scriptorium_projection_lag_events", &[]) >= 0.0);
    let pending = value(&text, "scriptorium_outbox_mails", &[("status", "pending")]);
    assert!(pending >= 0.0);
    assert_eq!(
        value(&text, "scriptorium_outbox_mails", &[("status", "failed")]),
        0.0
    );
    assert!(value(&text, "scriptorium_outbox_oldest_due_seconds", &[]) >= 0.0);
    // The placement's mails (to the client, at least), counted once the sender sent them.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = t.call("GET", "/metrics", None, None).await;
        let text = String::from_utf8(r.bytes).unwrap();
        let sent = find(&text, "scriptorium_mails_sent_total", &[]).unwrap_or(0.0);
        if sent >= 1.0 {
            assert_eq!(
                value(&text, "scriptorium_outbox_mails", &[("status", "failed")]),
                0.0
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no mail counted as sent:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Another service in the same process counts its own requests only.
    let other = TestApp::spawn(backend).await;
    let r = other.call("GET", "/metrics", None, None).await;
    let text = String::from_utf8(r.bytes).unwrap();
    assert!(!text.contains("/api/orders/{id}"), "{text}");
}

async fn metrics_ask_for_the_configured_token(backend: Backend) {
    let t = TestApp::spawn_with(backend, |c| {
        c.metrics_token = Some("scrape-me-please".into())
    })
    .await;
    t.call("GET", "/metrics", None, None).await.problem(401);
    t.call("GET", "/metrics", Some("scrape-me-not"), None)
        .await
        .problem(401);
    let r = t
        .call("GET", "/metrics", Some("scrape-me-please"), None)
        .await;
    assert_eq!(r.status, 200);
    assert!(String::from_utf8(r.bytes)
        .unwrap()
        .contains("scriptorium_http_requests_total"));
}

async fn the_request_id_goes_into_the_events_metadata(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Traced Client").await;
    let app = &t.application.app;

    // The caller's id: answered back, and on every event the request appended.
    let r = t
        .call_with(
            "POST",
            "/api/orders",
            Some(&client),
            Some(order_body()),
            &[("x-request-id", "ops-trace-42")],
        )
        .await;
    assert_eq!(r.header("x-request-id"), Some("ops-trace-42"));
    let id = r.ok(201)["id"].as_str().unwrap().to_string();
    let events = projections::feed::stream(&app.db, "Order", &id)
        .await
        .unwrap();
    assert!(!events.is_empty());
    for e in &events {
        assert_eq!(
            e.meta.request_id.as_deref(),
            Some("ops-trace-42"),
            "{}",
            e.event_type
        );
        assert_eq!(e.meta.causation_id.as_deref(), Some("request:ops-trace-42"));
    }

    // None sent: the id the service made up and answered with is the events' one.
    let r = t.post("/api/orders", &client, order_body()).await;
    let answered = r.header("x-request-id").unwrap().to_string();
    let id = r.ok(201)["id"].as_str().unwrap().to_string();
    let events = projections::feed::stream(&app.db, "Order", &id)
        .await
        .unwrap();
    assert_eq!(
        events[0].meta.request_id.as_deref(),
        Some(answered.as_str())
    );
}

/// Sends a request's head and the first half of its body on a connection of its own;
/// the rest follows when the returned sender is told to go on. Answers the status and
/// body.
async fn slow_post(
    addr: &str,
    path: &str,
    token: &str,
    body: String,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<(u16, String)>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nX-Request-Id: in-flight-1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (first, rest) = body.split_at(body.len() / 2);
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(first.as_bytes()).await.unwrap();
    s.flush().await.unwrap();
    let rest = rest.to_string();
    let (go, wait) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = wait.await;
        s.write_all(rest.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        let out = String::from_utf8_lossy(&out).to_string();
        let status = out
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = out
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    });
    (go, task)
}

async fn sigterm_finishes_the_request_in_flight_and_exits_zero(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(backend, dir.path()).await;
    let data = dir.path().join("data");
    common::cli(&url, &data, &["migrate"]);
    common::cli(
        &url,
        &data,
        &[
            "user",
            "add",
            "--email",
            "late@example.com",
            "--name",
            "Late Client",
            "--role",
            "client",
            "--password",
            "a long enough secret",
        ],
    );
    let mut server =
        Server::start_with(&url, &data, "serve", &[("SCRIPTORIUM_LOG_FORMAT", "json")]).await;
    let (status, login) = common::http(
        &server.addr,
        "POST",
        "/api/auth/login",
        None,
        Some(&json!({"email": "late@example.com", "password": "a long enough secret"}).to_string()),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{login}");
    let token = serde_json::from_str::<Value>(&login).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();

    // A placement whose body is still arriving when the service is told to stop.
    let deadline = (chrono::Utc::now() + chrono::Duration::days(60))
        .format("%Y-%m-%d")
        .to_string();
    let mut body = order_body();
    body["deadline"] = json!(deadline);
    let (go, answer) = slow_post(&server.addr, "/api/orders", &token, body.to_string()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "it exited with a request in flight: {}",
        server.log_text()
    );
    go.send(()).unwrap();
    let (status, answer) = tokio::time::timeout(Duration::from_secs(10), answer)
        .await
        .expect("the request in flight is answered")
        .unwrap();
    assert_eq!(status, 201, "{answer}\n{}", server.log_text());
    let order_id = serde_json::from_str::<Value>(&answer).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // It exits by itself, with 0, once the workers have stopped.
    let started = Instant::now();
    let code = loop {
        if let Some(code) = server.child.try_wait().unwrap() {
            break code;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "still running 15 s after SIGTERM: {}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let log = server.log_text();
    assert_eq!(code.code(), Some(0), "{log}");
    // JSON logs: each line an object; the request's line carries its id.
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "request"
            && l["fields"]["request_id"] == "in-flight-1"
            && l["fields"]["route"] == "/api/orders"
            && l["fields"]["status"] == 201),
        "{log}"
    );
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "stopped"),
        "{log}"
    );

    // What was accepted is there after a restart.
    let server = Server::start(&url, &data, "again").await;
    let (status, order) = common::http(
        &server.addr,
        "GET",
        &format!("/api/orders/{order_id}"),
        Some(&token),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{order}");
    let order: Value = serde_json::from_str(&order).unwrap();
    assert_eq!(order["id"], order_id.as_str());
    assert_eq!(order["deadline"], deadline.as_str());
}
