//! The raw limit: single-row INSERT transactions into `bench_raw_events`, a table shaped
//! like `events` (same columns, primary key and indexes, plus `position`), with the same
//! concurrency and for the same time as the load; rows like the service's own (real
//! payload and metadata JSON, bound as the event stores bind them). The table is dropped after.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::db::Pool;
use super::history::{self, Cast};
use super::stats::{Samples, Summary};

const PG_TABLE: &str = "CREATE TABLE bench_raw_events
(
    position       bigserial                    NOT NULL UNIQUE,
    tx_id          xid8                         NOT NULL DEFAULT pg_current_xact_id(),
    aggregate_type text                         NOT NULL,
    aggregate_id   text                         NOT NULL,
    sequence       bigint CHECK (sequence >= 0) NOT NULL,
    event_type     text                         NOT NULL,
    event_version  text                         NOT NULL,
    payload        json                         NOT NULL,
    metadata       json                         NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);
CREATE INDEX bench_raw_events_feed ON bench_raw_events (tx_id, position);";

const SQLITE_TABLE: &str = "CREATE TABLE bench_raw_events
(
    position       INTEGER PRIMARY KEY AUTOINCREMENT,
    aggregate_type TEXT    NOT NULL,
    aggregate_id   TEXT    NOT NULL,
    sequence       INTEGER NOT NULL CHECK (sequence >= 0),
    event_type     TEXT    NOT NULL,
    event_version  TEXT    NOT NULL,
    payload        TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    UNIQUE (aggregate_type, aggregate_id, sequence)
);";

const INSERT: &str = "INSERT INTO bench_raw_events \
    (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
    VALUES ($1, $2, $3, $4, $5, $6, $7)";

#[derive(Debug, Clone, Serialize)]
pub struct RawReport {
    pub concurrency: usize,
    pub connections: u32,
    pub seconds: f64,
    pub inserts: u64,
    pub inserts_per_sec: f64,
    pub errors: u64,
    pub latency: Summary,
}

/// One row to insert: the columns of the template lifecycle.
struct Template {
    event_type: String,
    event_version: String,
    payload: Value,
    metadata: Value,
}

fn template() -> Vec<Template> {
    let cast = Cast {
        client: Uuid::new_v4(),
        manager: Uuid::new_v4(),
        author: Uuid::new_v4(),
    };
    history::lifecycle(Uuid::new_v4(), 1, cast, Utc::now(), &mut rand::thread_rng())
        .into_iter()
        .map(|r| Template {
            event_type: r.event_type,
            event_version: r.event_version,
            payload: serde_json::from_str(&r.payload).expect("json"),
            metadata: serde_json::from_str(&r.metadata).expect("json"),
        })
        .collect()
}

async fn insert_one(pool: &Pool, id: &str, seq: i64, row: &Template) -> Result<(), sqlx::Error> {
    match pool {
        Pool::Postgres(p) => {
            let mut tx = p.begin().await?;
            sqlx::query(INSERT)
                .bind("Order")
                .bind(id)
                .bind(seq as i32)
                .bind(&row.event_type)
                .bind(&row.event_version)
                .bind(&row.payload)
                .bind(&row.metadata)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        Pool::Sqlite(p) => {
            let mut tx = p.begin().await?;
            sqlx::query(INSERT)
                .bind("Order")
                .bind(id)
                .bind(seq)
                .bind(&row.event_type)
                .bind(&row.event_version)
                .bind(&row.payload)
                .bind(&row.metadata)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
    }
}

/// `concurrency` tasks insert for `duration` on `pool` (its size is the connection count).
pub async fn measure(
    pool: &Pool,
    connections: u32,
    concurrency: usize,
    duration: Duration,
) -> Result<RawReport, String> {
    let ddl = match pool {
        Pool::Postgres(_) => PG_TABLE,
        Pool::Sqlite(_) => SQLITE_TABLE,
    };
    pool.execute("DROP TABLE IF EXISTS bench_raw_events")
        .await?;
    pool.execute(ddl).await?;
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let pool = pool.clone();
            let done = done.clone();
            let failed = failed.clone();
            tokio::spawn(async move {
                let rows = template();
                let mut samples = Samples::default();
                let mut first_error = None;
                'outer: loop {
                    // A new aggregate per lifecycle, its events in sequence: the index
                    // sees what it sees under the real load.
                    let id = Uuid::new_v4().to_string();
                    for (i, row) in rows.iter().enumerate() {
                        if Instant::now() >= deadline {
                            break 'outer;
                        }
                        let t = Instant::now();
                        match insert_one(&pool, &id, i as i64 + 1, row).await {
                            Ok(()) => {
                                samples.push(t.elapsed());
                                done.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => {
                                failed.fetch_add(1, Ordering::Relaxed);
                                first_error.get_or_insert(e.to_string());
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                continue 'outer;
                            }
                        }
                    }
                }
                (samples, first_error)
            })
        })
        .collect();
    let progress = {
        let (done, failed) = (done.clone(), failed.clone());
        let mut rate = super::progress::Rate::new();
        super::progress::every_second("raw", move |_| {
            let n = done.load(Ordering::Relaxed);
            let (now, overall) = rate.update(n);
            format!(
                "{n} single-row insert transactions, {now:.0}/s now, {overall:.0}/s overall, {} errors",
                failed.load(Ordering::Relaxed)
            )
        })
    };
    let mut samples = Samples::default();
    let mut first_error = None;
    for t in tasks {
        let (s, e) = t.await.map_err(|e| e.to_string())?;
        samples.extend(&s);
        if first_error.is_none() {
            first_error = e;
        }
    }
    progress.abort();
    let seconds = started.elapsed().as_secs_f64();
    pool.execute("DROP TABLE bench_raw_events").await?;
    let inserts = done.load(Ordering::Relaxed);
    let errors = failed.load(Ordering::Relaxed);
    if let Some(e) = first_error {
        eprintln!("raw: {errors} insert(s) failed, the first: {e}");
    }
    Ok(RawReport {
        concurrency,
        connections,
        seconds,
        inserts,
        inserts_per_sec: inserts as f64 / seconds,
        errors,
        latency: samples.summary(),
    })
}
