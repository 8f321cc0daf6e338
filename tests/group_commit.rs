//! Group commit (decision 032) keeps every command's guarantees: a conflict in a batch
//! fails only its command (and stores none of it), a batch that dies before its commit
//! stores nothing and acknowledges nothing, and concurrent commands over HTTP are really
//! committed together.

mod common;

use std::sync::Arc;
use std::time::Duration;

use aggregates::Role;
use common::*;
use projections::Db;
use scriptorium::commit::{AppendError, Committer, EventRow};

on_both!(
    a_conflict_in_a_batch_fails_only_its_command,
    an_error_in_a_batch_reaches_only_its_command,
    a_batch_that_dies_before_its_commit_stores_and_acknowledges_nothing,
    concurrent_commands_are_committed_together,
);

async fn store(backend: Backend) -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(backend, dir.path()).await;
    let db = scriptorium::db::connect(&url).await.unwrap();
    scriptorium::db::migrate(&db).await.unwrap();
    (db, dir)
}

/// One command's events: `stream` from `first` on, `n` of them.
fn command(stream: &str, first: i64, n: i64) -> Vec<EventRow> {
    (first..first + n)
        .map(|sequence| EventRow {
            aggregate_type: "Test".into(),
            aggregate_id: stream.into(),
            sequence,
            event_type: "Happened".into(),
            event_version: "1".into(),
            payload: format!(r#"{{"n":{sequence}}}"#),
            metadata: "{}".into(),
        })
        .collect()
}

/// The sequences stored for `stream`, in order, with their payloads' `n`.
async fn stored(db: &Db, stream: &str) -> Vec<(i64, i64)> {
    let sql = if db.is_postgres() {
        "SELECT sequence, payload::text AS payload FROM events \
         WHERE aggregate_type = 'Test' AND aggregate_id = $1 ORDER BY sequence"
    } else {
        "SELECT sequence, payload FROM events \
         WHERE aggregate_type = 'Test' AND aggregate_id = $1 ORDER BY sequence"
    };
    db.fetch_all(sql, &projections::args![stream])
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let payload: serde_json::Value =
                serde_json::from_str(&r.text("payload").unwrap()).unwrap();
            (r.int("sequence").unwrap(), payload["n"].as_i64().unwrap())
        })
        .collect()
}

/// Waits until `n` appends are queued for the (held) committer.
async fn queued(committer: &Committer, n: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while committer.queued() < n {
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {n} appends queued",
            committer.queued()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Queues `commands` in order while the committer is held, and
/// lets them go: they are committed in as few batches as the rules allow.
async fn together(
    committer: &Committer,
    commands: Vec<Vec<EventRow>>,
) -> Vec<Result<Option<projections::Cursor>, AppendError>> {
    let gate = committer.hold().await;
    let mut tasks = Vec::new();
    // One after another, so they queue in this order.
    for (k, rows) in commands.into_iter().enumerate() {
        let c = committer.clone();
        tasks.push(tokio::spawn(async move { c.append(rows).await }));
        queued(committer, k as u64 + 1).await;
    }
    drop(gate);
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn a_conflict_in_a_batch_fails_only_its_command(backend: Backend) {
    let (db, _dir) = store(backend).await;
    let committer = Committer::new(&db);
    // Somebody (another instance, say) holds x's first place and y's first two already.
    committer.append(command("x", 1, 1)).await.unwrap();
    committer.append(command("y", 1, 2)).await.unwrap();
    // (A command on a place the last batch took is told at once that it lost, without
    // being written: another batch in between makes the ones below really try.)
    committer.append(command("z", 1, 1)).await.unwrap();
    let before = committer.recent_batches().len();

    let answers = together(
        &committer,
        vec![
            command("a", 1, 2), // fine
            command("x", 1, 1), // x's place 1 is taken: conflict
            command("y", 2, 2), // two events, the first taken: conflict, and neither stored
            command("c", 1, 1), // fine
            command("a", 1, 1), // a neighbour in the batch takes a's place 1 first
        ],
    )
    .await;
    let outcome: Vec<&str> = answers
        .iter()
        .map(|a| match a {
            Ok(Some(_)) => "ok",
            Ok(None) => "none",
            Err(AppendError::Conflict) => "conflict",
            Err(AppendError::Database(_)) => "error",
        })
        .collect();
    assert_eq!(
        outcome,
        ["ok", "conflict", "conflict", "ok", "conflict"],
        "{answers:?}"
    );
    // One batch took the first four: the conflicts were found and the others still
    // committed. The last one clashes with the first inside it, so it waited; once the
    // first committed, it had lost, and was told so at once, without a batch of its own.
    let batches = committer.recent_batches()[before..].to_vec();
    assert_eq!(batches, [4], "batches: {batches:?}");
    assert_eq!(committer.queued(), 0);

    assert_eq!(stored(&db, "a").await, [(1, 1), (2, 2)]);
    assert_eq!(stored(&db, "c").await, [(1, 1)]);
    assert_eq!(stored(&db, "x").await, [(1, 1)]);
    // Of the two-event conflict nothing is stored: y holds only what it held.
    assert_eq!(stored(&db, "y").await, [(1, 1), (2, 2)]);

    // The answers' cursors are where the rows are.
    let a = answers[0].as_ref().unwrap().unwrap();
    let c = answers[3].as_ref().unwrap().unwrap();
    let positions = db
        .fetch_all(
            "SELECT aggregate_id, MAX(position) AS position FROM events \
             WHERE aggregate_type = 'Test' GROUP BY aggregate_id ORDER BY aggregate_id",
            &[],
        )
        .await
        .unwrap();
    let last: Vec<(String, i64)> = positions
        .iter()
        .map(|r| (r.text("aggregate_id").unwrap(), r.int("position").unwrap()))
        .collect();
    assert!(
        last.contains(&("a".to_string(), a.position)),
        "{last:?} {a:?}"
    );
    assert!(
        last.contains(&("c".to_string(), c.position)),
        "{last:?} {c:?}"
    );
    if db.is_postgres() {
        assert_eq!(a.tx, c.tx, "one transaction for the batch");
    }

    // The commands that lost retry on what is stored and succeed.
    committer.append(command("x", 2, 2)).await.unwrap();
    committer.append(command("a", 3, 1)).await.unwrap();
    assert_eq!(stored(&db, "x").await, [(1, 1), (2, 2), (3, 3)]);
    assert_eq!(stored(&db, "a").await, [(1, 1), (2, 2), (3, 3)]);
}

async fn an_error_in_a_batch_reaches_only_its_command(backend: Backend) {
    let (db, _dir) = store(backend).await;
    let committer = Committer::new(&db);
    // A sequence below 0 breaks the table's CHECK: the database refuses the whole
    // statement, and the batch is written again command by command.
    let answers = together(
        &committer,
        vec![
            command("a", 1, 1),
            command("bad", -1, 1),
            command("c", 1, 2),
        ],
    )
    .await;
    assert!(matches!(answers[0], Ok(Some(_))), "{answers:?}");
    assert!(
        matches!(&answers[1], Err(AppendError::Database(e)) if matches!(e.as_ref(), sqlx::Error::Database(_))),
        "{answers:?}"
    );
    assert!(matches!(answers[2], Ok(Some(_))), "{answers:?}");
    assert_eq!(stored(&db, "a").await, [(1, 1)]);
    assert_eq!(stored(&db, "c").await, [(1, 1), (2, 2)]);
    assert_eq!(stored(&db, "bad").await, []);

    // A batch whose committing code panics answers its commands with an error, and the
    // committer goes on.
    committer.before_commit(Some(Arc::new(|_| Box::pin(async { panic!("a bug") }))));
    let answers = together(&committer, vec![command("p", 1, 1), command("q", 1, 1)]).await;
    assert!(
        answers
            .iter()
            .all(|a| matches!(a, Err(AppendError::Database(_)))),
        "{answers:?}"
    );
    committer.before_commit(None);
    assert_eq!(stored(&db, "p").await, []);
    committer.append(command("p", 1, 1)).await.unwrap();
    assert_eq!(stored(&db, "p").await, [(1, 1)]);
}

async fn a_batch_that_dies_before_its_commit_stores_and_acknowledges_nothing(backend: Backend) {
    let (db, _dir) = store(backend).await;
    let committer = Committer::new(&db);
    committer.append(command("before", 1, 1)).await.unwrap();

    // Between the batch's INSERT and its COMMIT the database session dies: on PostgreSQL
    // its backend is terminated from another connection (the committer's transaction is the
    // one idle in one); SQLite's writer cannot be killed from outside, so the hook fails the
    // batch as such a crash would.
    let killer = db.clone();
    committer.before_commit(Some(Arc::new(move |_commands| {
        let killer = killer.clone();
        Box::pin(async move {
            if killer.is_postgres() {
                let killed = killer
                    .fetch_all(
                        "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity \
                         WHERE datname = current_database() AND state = 'idle in transaction' \
                         AND pid <> pg_backend_pid()",
                        &[],
                    )
                    .await
                    .unwrap();
                assert_eq!(
                    killed.len(),
                    1,
                    "the batch's session is the one in a transaction"
                );
                Ok(())
            } else {
                Err("the process died before COMMIT".to_string())
            }
        })
    })));
    let answers = together(
        &committer,
        vec![command("p", 1, 2), command("q", 1, 1), command("r", 1, 3)],
    )
    .await;
    for a in &answers {
        assert!(
            matches!(a, Err(AppendError::Database(_))),
            "no command of a batch that did not commit is acknowledged: {answers:?}"
        );
    }
    for stream in ["p", "q", "r"] {
        assert_eq!(
            stored(&db, stream).await,
            [],
            "{stream}: no half of the batch"
        );
    }
    // What was acknowledged before is there, and the committer goes on.
    committer.before_commit(None);
    assert_eq!(stored(&db, "before").await, [(1, 1)]);
    committer.append(command("p", 1, 2)).await.unwrap();
    assert_eq!(stored(&db, "p").await, [(1, 1), (2, 2)]);
}

async fn concurrent_commands_are_committed_together(backend: Backend) {
    // No workers: nothing but the six placements appends while the committer is held.
    let t = TestApp::spawn_with(backend, |c| c.run_workers = false).await;
    let (_, client) = t.user(Role::Client, "client").await;
    let committer = t.application.app.order_repo.committer().clone();
    let before = committer.recent_batches().len();
    let gate = committer.hold().await;
    let t = Arc::new(t);
    let placing: Vec<_> = (0..6)
        .map(|_| {
            let t = t.clone();
            let client = client.clone();
            tokio::spawn(async move {
                t.post("/api/orders", &client, order_body()).await.ok(201)["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
        })
        .collect();
    queued(&committer, 6).await;
    drop(gate);
    let mut ids = Vec::new();
    for p in placing {
        ids.push(p.await.unwrap());
    }
    let batches = committer.recent_batches()[before..].to_vec();
    assert_eq!(
        batches,
        [6],
        "the six placements were committed in one batch"
    );
    for id in &ids {
        t.get(&format!("/api/orders/{id}"), &client).await.ok(200);
    }
    let out = replay(&t, true);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
