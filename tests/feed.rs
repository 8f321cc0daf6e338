//! The global feed on PostgreSQL: an event whose transaction commits after later events
//! is applied once it commits (never skipped, never twice), and a rolled-back gap does
//! not stall the projections.

mod common;

use std::time::Duration;

use aggregates::order::OrderEvent;
use aggregates::Role;
use common::{order_body, Backend, TestApp};
use sqlx::{Connection, Row};

fn placed(number: i64) -> serde_json::Value {
    serde_json::to_value(OrderEvent::OrderPlaced {
        number,
        client_id: uuid::Uuid::new_v4(),
        work_type: "essay".into(),
        subject: "Law".into(),
        topic: format!("Held back {number}"),
        pages: 3,
        deadline: chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
        requirements: String::new(),
        currency: "RUB".into(),
        source: Default::default(),
        repeats: None,
        corporate: false,
    })
    .unwrap()
}

const INSERT: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
     VALUES ('Order', $1, 1, 'OrderPlaced', '1', $2, '{\"actor_role\":\"client\",\"request_id\":\"feed-test\",\"at\":\"2026-03-02T09:00:00+00:00\"}') \
     RETURNING position";

async fn rows_for(t: &TestApp, table: &str, column: &str, id: &str) -> i64 {
    t.application
        .app
        .db
        .fetch_one(
            &format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = $1"),
            &projections::args![id],
        )
        .await
        .unwrap()
        .int("n")
        .unwrap()
}

/// Waits until `cond` holds, for at most five seconds.
async fn eventually(mut cond: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..100 {
        if cond().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_committed_after_later_ones_is_applied_once_and_nothing_is_skipped() {
    let t = TestApp::spawn(Backend::Postgres).await;
    let url = t.application.app.config.database_url.clone();
    let (w, x, y) = (
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().to_string(),
    );

    // A transaction that started first takes a position and stays open for now...
    let mut first = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut early = first.begin().await.unwrap();
    sqlx::query(INSERT)
        .bind(&w)
        .bind(placed(1000))
        .fetch_one(&mut *early)
        .await
        .unwrap();
    // ...then another takes the next position and stays open...
    let mut held = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut tx = held.begin().await.unwrap();
    let px: i64 = sqlx::query(INSERT)
        .bind(&x)
        .bind(placed(1001))
        .fetch_one(&mut *tx)
        .await
        .unwrap()
        .get("position");
    // ...while a later one commits.
    let mut other = sqlx::PgConnection::connect(&url).await.unwrap();
    let py: i64 = sqlx::query(INSERT)
        .bind(&y)
        .bind(placed(1002))
        .fetch_one(&mut other)
        .await
        .unwrap()
        .get("position");
    assert!(py > px, "the committed event comes later in position order");

    // The first transaction commits: the runner applies its event, in a pass that sees
    // the later committed event too; it must not move past the held one.
    early.commit().await.unwrap();
    assert!(
        eventually(async || {
            t.application.app.projector.wake();
            rows_for(&t, "order_list", "id", &w).await == 1
        })
        .await,
        "the runner applies the event of the transaction that committed"
    );
    assert_eq!(rows_for(&t, "order_list", "id", &x).await, 0);
    let held_tx: i64 = sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let checkpoint = t.application.app.projector.checkpoint();
    assert!(
        checkpoint.tx < held_tx,
        "the checkpoint {checkpoint:?} stays below the open transaction {held_tx}"
    );
    assert_eq!(
        rows_for(&t, "order_list", "id", &y).await,
        0,
        "held back behind the open transaction, not skipped past it"
    );

    tx.commit().await.unwrap();
    t.application.app.projector.wake();
    assert!(
        eventually(async || rows_for(&t, "order_list", "id", &x).await == 1
            && rows_for(&t, "order_list", "id", &y).await == 1)
        .await,
        "both events are applied once the held one commits"
    );
    // Exactly once: one table row and one history row each.
    for id in [&w, &x, &y] {
        assert_eq!(rows_for(&t, "order_list", "id", id).await, 1);
        assert_eq!(
            rows_for(&t, "client_order_history", "order_id", id).await,
            1
        );
    }
    let c = t.application.app.projector.checkpoint();
    assert!(
        c.tx > held_tx,
        "the checkpoint {c:?} moved past both events"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolled_back_gap_does_not_stall_the_feed() {
    let t = TestApp::spawn(Backend::Postgres).await;
    let url = t.application.app.config.database_url.clone();
    let (_, client) = t.user(Role::Client, "Gap Client").await;

    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    let gap = uuid::Uuid::new_v4().to_string();
    let gap_position: i64 = sqlx::query(INSERT)
        .bind(&gap)
        .bind(placed(2001))
        .fetch_one(&mut *tx)
        .await
        .unwrap()
        .get("position");
    tx.rollback().await.unwrap();

    // Commands after the gap are answered and shown at once.
    for _ in 0..3 {
        let o = t.post("/api/orders", &client, order_body()).await.ok(201);
        let list = t.get("/api/orders", &client).await.ok(200);
        assert!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == o["id"]),
            "the order placed after the gap is in the table: {list}"
        );
    }
    assert_eq!(rows_for(&t, "order_list", "id", &gap).await, 0);
    // The log holds the user and the three orders, not the rolled-back event; the
    // projections are past its position.
    assert_eq!(t.event_count().await, 4);
    let checkpoint = t.application.app.projector.checkpoint();
    assert!(
        checkpoint.position > gap_position,
        "the checkpoint {checkpoint:?} moved past the gap at {gap_position}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_writers_lose_no_event_in_the_projections() {
    let t = TestApp::spawn(Backend::Postgres).await;
    let (_, client) = t.user(Role::Client, "Busy Client").await;
    let (_, manager) = t.manager_on_shift("Busy Manager").await;
    let calls = (0..24).map(|_| t.post("/api/orders", &client, order_body()));
    let placed: Vec<_> = futures::future::join_all(calls).await;
    assert!(placed.iter().all(|r| r.status == 201));
    let page = t.get("/api/orders?per_page=100", &manager).await.ok(200);
    assert_eq!(page["total"], 24);
    let mut numbers: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_i64().unwrap())
        .collect();
    numbers.sort();
    assert_eq!(numbers, (1..=24).collect::<Vec<_>>());
}
