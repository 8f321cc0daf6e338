//! A command answers with the order folded from its own stream, without waiting for the
//! read models (docs/decisions/010); a read waits for them instead. The answer must be
//! exactly what a read then shows, and a read must show every answered command.

mod common;

use std::time::{Duration, Instant};

use common::{accepted_order, order_body, Backend, Resp, TestApp};
use serde_json::{json, Value};
use sqlx::{Connection, Executor};

on_both!(
    every_answer_is_what_a_read_then_shows,
    a_read_right_after_an_answer_shows_it,
);

/// Checks that a command's answer is what `GET /api/orders/{id}` then shows the same
/// caller, and returns it.
async fn same_as_read(t: &TestApp, id: &str, token: &str, answer: Resp) -> Value {
    let answer = answer.ok(200);
    let read = t.get(&format!("/api/orders/{id}"), token).await.ok(200);
    assert_eq!(answer, read, "the answer differs from what a read shows");
    answer
}

/// `POST /api/orders/{id}/{action}` by `token`, checked by [`same_as_read`].
async fn post(t: &TestApp, id: &str, token: &str, action: &str, body: Value) -> Value {
    let answer = t
        .post(&format!("/api/orders/{id}/{action}"), token, body)
        .await;
    same_as_read(t, id, token, answer).await
}

/// An upload of `kind` (draft, final) by `author`, checked by [`same_as_read`].
async fn upload(t: &TestApp, id: &str, author: &str, kind: &str, name: &str) -> Value {
    let answer = t
        .upload(
            &format!("/api/orders/{id}/{kind}"),
            author,
            name,
            format!("%PDF-1.4 {name}").as_bytes(),
        )
        .await;
    same_as_read(t, id, author, answer).await
}

async fn every_answer_is_what_a_read_then_shows(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = accepted_order(&t).await;
    let (id, manager, client, author) = (s.order.as_str(), &s.manager, &s.client, &s.author);
    let pay = |half: &str, amount: i64| json!({"half": half, "amount": amount, "payment_id": half});

    let o = post(&t, id, manager, "payments", pay("first", 125000)).await;
    assert_eq!(o["author_name"], "Ivan Petrov");
    assert_eq!(o["paid"], 125000);
    // Rework, twice: the approved file is the latest of its kind.
    upload(&t, id, author, "draft", "d1.pdf").await;
    let o = post(
        &t,
        id,
        manager,
        "draft/reject",
        json!({"comment": "Too short"}),
    )
    .await;
    assert_eq!(o["draft_rejections"], 1);
    upload(&t, id, author, "draft", "d2.pdf").await;
    let o = post(&t, id, manager, "draft/approve", json!({})).await;
    let names: Vec<&Value> = o["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["name"])
        .collect();
    assert_eq!(names, vec!["d1.pdf", "d2.pdf"]);
    // The client sees only the approved draft, and no fee, in the answer as in a read.
    let o = post(
        &t,
        id,
        client,
        "revision",
        json!({"comment": "More sources"}),
    )
    .await;
    assert_eq!(o["files"].as_array().unwrap().len(), 1, "{o}");
    assert_eq!(o["files"][0]["name"], "d2.pdf", "only the approved draft");
    assert!(o.get("author_fee").is_none(), "a client never sees the fee");
    upload(&t, id, author, "final", "f1.pdf").await;
    post(
        &t,
        id,
        manager,
        "final/reject",
        json!({"comment": "Formatting"}),
    )
    .await;
    upload(&t, id, author, "final", "f2.pdf").await;
    post(&t, id, manager, "final/approve", json!({})).await;
    let o = post(&t, id, manager, "payments", pay("second", 125001)).await;
    assert_eq!(o["status"], "delivered");
    assert!(o["guarantee_until"].is_string());
    // A repeat that appends nothing answers with the order as it stands.
    post(&t, id, manager, "payments", pay("second", 125001)).await;
    let o = post(&t, id, client, "complete", json!({"rating": 5})).await;
    assert_eq!(o["status"], "completed");
    assert_eq!(o["rating"], 5);

    // A cancelled order's answer carries the reason, as the table does.
    let placed = t.post("/api/orders", client, order_body()).await.ok(201);
    let other = placed["id"].as_str().unwrap().to_string();
    let other = other.as_str();
    let read = t.get(&format!("/api/orders/{other}"), client).await.ok(200);
    // Routed by the placement itself: its answer names the manager already.
    assert!(placed["manager_id"].is_string(), "{placed}");
    assert_eq!(placed, read);
    let o = post(
        &t,
        other,
        client,
        "cancel",
        json!({"reason": "changed my mind"}),
    )
    .await;
    assert_eq!(o["status"], "failed");
    assert_eq!(o["failure_reason"], "changed my mind");
}

async fn a_read_right_after_an_answer_shows_it(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let s = accepted_order(&t).await;
    for _ in 0..25 {
        let placed = t.post("/api/orders", &s.client, order_body()).await.ok(201);
        let number = placed["number"].as_i64().unwrap();
        let id = placed["id"].as_str().unwrap().to_string();
        let page = t
            .get(&format!("/api/orders?q={number}"), &s.manager)
            .await
            .ok(200);
        assert_eq!(page["total"], 1, "a placed order is in the table at once");
        assert_eq!(page["items"][0]["status"], "new");
        t.put(
            &format!("/api/orders/{id}/price"),
            &s.manager,
            json!({"price": 100000, "author_fee": 40000}),
        )
        .await
        .ok(200);
        let page = t
            .get(&format!("/api/orders?q={number}"), &s.manager)
            .await
            .ok(200);
        assert_eq!(page["items"][0]["price"], 100000, "{page}");
        let history = t
            .get(&format!("/api/orders?q={number}"), &s.client)
            .await
            .ok(200);
        assert!(
            history["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["id"] == id.as_str() && o["price"] == 100000),
            "{history}"
        );
    }
}

/// While the projections cannot move (their checkpoint row is locked), a command still
/// answers at once; a read waits for them and then shows it. PostgreSQL only: on SQLite a
/// held write lock stops the commands' appends too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_answer_while_the_projections_are_held_back_and_reads_wait_for_them() {
    let t = TestApp::spawn(Backend::Postgres).await;
    let s = accepted_order(&t).await;
    let id = s.order.clone();
    let url = t.application.app.config.database_url.clone();
    let mut held = sqlx::PgConnection::connect(&url).await.unwrap();
    held.execute("BEGIN").await.unwrap();
    held.execute("SELECT * FROM projection_checkpoints FOR UPDATE")
        .await
        .unwrap();

    let answered = tokio::time::timeout(
        Duration::from_secs(3),
        t.post(
            &format!("/api/orders/{id}/payments"),
            &s.manager,
            json!({"half": "first", "amount": 125000, "payment_id": "p1"}),
        ),
    )
    .await
    .expect("the command answers without the projections")
    .ok(200);
    assert_eq!(answered["status"], "in_progress");
    assert_eq!(answered["paid"], 125000);

    let read = {
        let t = &t;
        let (id, manager) = (id.clone(), s.manager.clone());
        async move { t.get(&format!("/api/orders/{id}"), &manager).await }
    };
    tokio::pin!(read);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), &mut read)
            .await
            .is_err(),
        "a read does not answer before the projections include the answered command"
    );
    held.execute("ROLLBACK").await.unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .expect("the read answers once the projections move")
        .ok(200);
    assert_eq!(seen, answered);
}

/// With the projections held back, commands answer at once exactly while the backlog is
/// within `max_unapplied` positions; the next one waits for the projections
/// (backpressure), and answers once they move. PostgreSQL only, as above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_backlog_limit_a_command_waits_for_the_projections() {
    use std::sync::atomic::Ordering;
    const LIMIT: i64 = 10;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = common::fresh_database(Backend::Postgres, dir.path()).await;
    let mut config = scriptorium::config::Config::for_tests(&url, dir.path().join("data"));
    config.max_unapplied = LIMIT;
    let clock = scriptorium::clock::Clock::manual(
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 2, 9, 0, 0).unwrap(),
    );
    let application = scriptorium::app::Application::build(config, clock.clone())
        .await
        .expect("build the application");
    let t = TestApp {
        application,
        clock,
        dir,
        backend: Backend::Postgres,
    };
    let app = t.application.app.clone();
    let s = accepted_order(&t).await;
    // A read waits until the projections include every event so far: the backlog is 0.
    t.get(&format!("/api/orders/{}", s.order), &s.manager)
        .await
        .ok(200);
    let head = projections::feed::committed_head(&app.db)
        .await
        .unwrap()
        .expect("events");
    assert_eq!(app.projector.checkpoint(), head, "no backlog to start with");
    assert_eq!(app.held_back.load(Ordering::Relaxed), 0);
    // Nobody on shift: the orders below wait unrouted (the router appends nothing).
    t.post("/api/shifts/end", &s.manager, json!({}))
        .await
        .ok(200);
    let head = projections::feed::committed_head(&app.db)
        .await
        .unwrap()
        .expect("events");
    t.get(&format!("/api/orders/{}", s.order), &s.manager)
        .await
        .ok(200);
    assert_eq!(app.projector.checkpoint(), head, "no backlog to start with");
    let mut held = sqlx::PgConnection::connect(&url).await.unwrap();
    held.execute("BEGIN").await.unwrap();
    held.execute("SELECT * FROM projection_checkpoints FOR UPDATE")
        .await
        .unwrap();

    // Each placement appends one event: the first LIMIT leave the backlog within the limit.
    for n in 1..=LIMIT {
        t.post("/api/orders", &s.client, order_body()).await.ok(201);
        assert_eq!(
            app.held_back.load(Ordering::Relaxed),
            0,
            "command {n}, {n} position(s) ahead of the projections, waited for them"
        );
    }
    assert_eq!(
        app.projector.checkpoint(),
        head,
        "the projections are held back"
    );
    // The next one is beyond it: it waits, and does not answer while the projections cannot move.
    let waiting = t.post("/api/orders", &s.client, order_body());
    tokio::pin!(waiting);
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.held_back.load(Ordering::Relaxed) == 0 {
        assert!(
            Instant::now() < deadline,
            "command {} never waited for the projections",
            LIMIT + 1
        );
        tokio::select! {
            r = &mut waiting => panic!(
                "command {}, beyond the backlog limit, answered without waiting: {}",
                LIMIT + 1,
                r.body
            ),
            _ = tokio::time::sleep(Duration::from_millis(10)) => {}
        }
    }
    assert_eq!(app.held_back.load(Ordering::Relaxed), 1);
    held.execute("ROLLBACK").await.unwrap();
    let placed = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the waiting command answers once the projections move")
        .ok(201);
    let page = t
        .get(&format!("/api/orders?q={}", placed["number"]), &s.client)
        .await
        .ok(200);
    assert_eq!(page["total"], 1);
    assert_eq!(
        app.held_back.load(Ordering::Relaxed),
        1,
        "only that one waited"
    );
}
