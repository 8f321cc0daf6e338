//! The order table's projection gives the same rows whatever the batch boundaries: a live
//! runner applies a few events at a time, a replay thousands.

mod common;

use aggregates::order::{FileRef, OrderEvent};
use common::{fresh_database, Backend};
use projections::{Db, Runner};

fn file(name: &str) -> FileRef {
    FileRef {
        id: uuid::Uuid::new_v4(),
        name: name.to_string(),
        size: 3,
        content_type: "text/plain".into(),
        sha256: "0".repeat(64),
    }
}

async fn append(db: &Db, order: &str, sequence: i64, event: &OrderEvent) {
    let payload = serde_json::to_string(event).unwrap();
    let json = if db.is_postgres() { "::json" } else { "" };
    let metadata =
        r#"{"actor_role":"author","request_id":"batches-test","at":"2026-03-02T09:00:00+00:00"}"#;
    db.execute(
        &format!(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
             VALUES ('Order', $1, $2, $3, '1', $4{json}, $5{json})"
        ),
        &projections::args![
            order,
            sequence,
            cqrs_es::DomainEvent::event_type(event),
            payload,
            metadata
        ],
    )
    .await
    .unwrap();
}

/// A final submitted in one batch, then approved, and a newer final submitted, in the
/// next: the approval is the first one's, as when every event has a batch of its own.
async fn an_approval_concerns_the_file_under_review_whatever_the_batches(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(backend, dir.path()).await;
    let db = scriptorium::db::connect(&url).await.unwrap();
    scriptorium::db::migrate(&db).await.unwrap();
    let order = uuid::Uuid::new_v4().to_string();
    let (first, second) = (file("first.txt"), file("second.txt"));
    let events = [
        OrderEvent::OrderPlaced {
            number: 1,
            client_id: uuid::Uuid::new_v4(),
            work_type: "essay".into(),
            subject: "Law".into(),
            topic: "Batches".into(),
            pages: 3,
            deadline: chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
            requirements: String::new(),
            currency: "RUB".into(),
            source: Default::default(),
            repeats: None,
            corporate: false,
        },
        OrderEvent::FinalSubmitted {
            file: first.clone(),
        },
        OrderEvent::FinalApproved,
        OrderEvent::FinalSubmitted {
            file: second.clone(),
        },
    ];
    for (i, e) in events.iter().enumerate() {
        append(&db, &order, i as i64 + 1, e).await;
    }
    // Batch one: placed and the first final; batch two: the approval and the second final.
    let applied = Runner::new(db.clone(), "main", projections::all())
        .with_batch(2)
        .run_once(None)
        .await
        .unwrap();
    assert_eq!(applied, 2);
    let applied = Runner::new(db.clone(), "main", projections::all())
        .run_once(None)
        .await
        .unwrap();
    assert_eq!(applied, 2);
    let approved: Vec<(String, bool)> = db
        .fetch_all(
            "SELECT name, approved FROM order_files WHERE order_id = $1 ORDER BY position",
            &projections::args![order.as_str()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.text("name").unwrap(), r.bool("approved").unwrap()))
        .collect();
    assert_eq!(
        approved,
        [
            ("first.txt".to_string(), true),
            ("second.txt".to_string(), false)
        ],
        "{backend:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_concerns_the_file_under_review_whatever_the_batches_sqlite() {
    an_approval_concerns_the_file_under_review_whatever_the_batches(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_concerns_the_file_under_review_whatever_the_batches_postgres() {
    an_approval_concerns_the_file_under_review_whatever_the_batches(Backend::Postgres).await;
}
