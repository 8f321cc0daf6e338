//! The scale run's filler: years of realistic order history written straight into the
//! `events` table, fast — PostgreSQL `COPY … FROM STDIN`, SQLite multi-row INSERTs in
//! large transactions — while the service is stopped. Each batch commits on its own
//! (a long transaction would hold the Postgres feed back: decision 002).

use std::time::{Duration, Instant};

use chrono::{Duration as Span, Utc};
use rand::Rng;
use serde::Serialize;
use sqlx::postgres::PgPoolCopyExt;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::db::Pool;
use super::history::{self, Cast, EventRow, EVENTS_PER_LIFECYCLE};

/// One history client per this many orders (most clients order a few times).
const ORDERS_PER_CLIENT: u64 = 3;
/// Events per batch (one COPY, or one SQLite transaction).
const BATCH: usize = 20_000;
/// Rows per SQLite INSERT statement (7 parameters each, under SQLite's 32 766).
const SQLITE_ROWS: usize = 500;
/// The history spans this many days, ending a month ago.
const HISTORY_DAYS: i64 = 5 * 365;

#[derive(Debug, Clone, Serialize)]
pub struct FillReport {
    pub requested_events: u64,
    pub events: u64,
    pub orders: u64,
    pub clients: u64,
    pub method: String,
    pub seconds: f64,
    pub events_per_sec: f64,
    /// The service's projections, started on the filled log: time to reach its head.
    pub catch_up_seconds: f64,
    pub catch_up_events_per_sec: f64,
    /// The whole database (log, read models, indexes) after the catch-up.
    pub database_bytes: i64,
}

/// How many orders and clients make `target` events.
fn plan(target: u64) -> (u64, u64) {
    let (mut events, mut orders, mut clients) = (0u64, 0u64, 0u64);
    while events < target {
        if orders.is_multiple_of(ORDERS_PER_CLIENT) {
            clients += 1;
            events += 1;
        }
        orders += 1;
        events += EVENTS_PER_LIFECYCLE as u64;
    }
    (orders, clients)
}

/// The people of the history: its own clients, and the bench's managers and authors,
/// so their tables carry the history.
pub struct Staff {
    pub managers: Vec<Uuid>,
    pub authors: Vec<Uuid>,
}

/// Writes at least `target` events; the caller has stopped the service.
pub async fn fill(pool: &Pool, target: u64, staff: &Staff) -> Result<FillReport, String> {
    let (orders, clients) = plan(target);
    let first_number = pool.take_order_numbers(orders as i64).await?;
    let (tx, mut rx) = mpsc::channel::<Vec<EventRow>>(4);
    let managers = staff.managers.clone();
    let authors = staff.authors.clone();
    // Generating the JSON is CPU work: a thread of its own, while the database ingests.
    let producer = tokio::task::spawn_blocking(move || {
        let mut rng = rand::thread_rng();
        let end = Utc::now() - Span::days(30);
        let start = end - Span::days(HISTORY_DAYS);
        let step_ms = (HISTORY_DAYS * 86_400_000) / orders.max(1) as i64;
        let mut batch = Vec::with_capacity(BATCH + 64);
        let mut client = Uuid::nil();
        // One ready-made work, bought once every `SHOP_EVERY` orders (as the load does).
        let work = Uuid::new_v4();
        batch.extend(history::ready_work(
            work,
            managers[0],
            start - Span::hours(1),
            &mut rng,
        ));
        for k in 0..orders {
            let placed =
                start + Span::milliseconds(step_ms * k as i64 + rng.gen_range(0..step_ms.max(1)));
            if k.is_multiple_of(ORDERS_PER_CLIENT) {
                client = Uuid::new_v4();
                batch.push(history::registered_client(
                    client,
                    k / ORDERS_PER_CLIENT,
                    placed - Span::minutes(5),
                ));
            }
            let cast = Cast {
                client,
                manager: managers[(k as usize) % managers.len()],
                author: authors[rng.gen_range(0..authors.len())],
            };
            batch.extend(history::lifecycle(
                Uuid::new_v4(),
                first_number + k as i64,
                cast,
                placed,
                &mut rng,
            ));
            if k % super::load::SHOP_EVERY == super::load::SHOP_EVERY / 3 {
                batch.extend(history::purchase(work, client, placed + Span::minutes(1)));
            }
            if batch.len() >= BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH + 64));
                if tx.blocking_send(full).is_err() {
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
    });

    let started = Instant::now();
    let mut written = 0u64;
    let mut last_report = Instant::now();
    let mut rate = super::progress::Rate::new();
    while let Some(batch) = rx.recv().await {
        match pool {
            Pool::Postgres(p) => copy_batch(p, &batch).await?,
            Pool::Sqlite(p) => insert_batch(p, &batch).await?,
        }
        written += batch.len() as u64;
        if last_report.elapsed() >= Duration::from_secs(1) {
            last_report = Instant::now();
            let (now, overall) = rate.update(written);
            eprintln!(
                "[fill {:>4.0}s] {written}/{} events, {now:.0}/s now, {overall:.0}/s overall",
                started.elapsed().as_secs_f64(),
                target
            );
        }
    }
    producer.await.map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "[fill] {written} events ({orders} orders, {clients} clients) in {seconds:.1}s: {:.0} events/s",
        written as f64 / seconds
    );
    Ok(FillReport {
        requested_events: target,
        events: written,
        orders,
        clients,
        method: match pool {
            Pool::Postgres(_) => "COPY events FROM STDIN, 20 000 events per transaction".into(),
            Pool::Sqlite(_) => "multi-row INSERT (500 rows), 20 000 events per transaction".into(),
        },
        seconds,
        events_per_sec: written as f64 / seconds,
        catch_up_seconds: 0.0,
        catch_up_events_per_sec: 0.0,
        database_bytes: 0,
    })
}

/// COPY text format: backslash, tab, newline and carriage return escaped.
fn copy_field(out: &mut Vec<u8>, s: &str) {
    projections::sql::copy_text(out, s);
}

async fn copy_batch(pool: &sqlx::PgPool, batch: &[EventRow]) -> Result<(), String> {
    let mut data = Vec::with_capacity(batch.len() * 700);
    for r in batch {
        copy_field(&mut data, r.aggregate_type);
        data.push(b'\t');
        copy_field(&mut data, &r.aggregate_id);
        data.push(b'\t');
        data.extend_from_slice(r.sequence.to_string().as_bytes());
        data.push(b'\t');
        copy_field(&mut data, &r.event_type);
        data.push(b'\t');
        copy_field(&mut data, &r.event_version);
        data.push(b'\t');
        copy_field(&mut data, &r.payload);
        data.push(b'\t');
        copy_field(&mut data, &r.metadata);
        data.push(b'\n');
    }
    let err = |e: sqlx::Error| format!("COPY into events failed: {e}");
    let mut copy = pool
        .copy_in_raw(
            "COPY events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) FROM STDIN",
        )
        .await
        .map_err(err)?;
    for chunk in data.chunks(1 << 20) {
        copy.send(chunk).await.map_err(err)?;
    }
    copy.finish().await.map_err(err)?;
    Ok(())
}

async fn insert_batch(pool: &sqlx::SqlitePool, batch: &[EventRow]) -> Result<(), String> {
    let err = |e: sqlx::Error| format!("INSERT into events failed: {e}");
    let mut tx = pool.begin().await.map_err(err)?;
    for rows in batch.chunks(SQLITE_ROWS) {
        let values: Vec<String> = (0..rows.len())
            .map(|i| {
                let b = i * 7;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for r in rows {
            q = q
                .bind(r.aggregate_type)
                .bind(r.aggregate_id.as_str())
                .bind(r.sequence)
                .bind(r.event_type.as_str())
                .bind(r.event_version.as_str())
                .bind(r.payload.as_str())
                .bind(r.metadata.as_str());
        }
        q.execute(&mut *tx).await.map_err(err)?;
    }
    tx.commit().await.map_err(err)
}

/// Waits until the service's projections have applied the whole log, with progress;
/// returns the seconds it took. Gives up after `limit`.
pub async fn catch_up(pool: &Pool, events: u64, limit: Duration) -> Result<f64, String> {
    let head = pool.head().await?;
    let started = Instant::now();
    let first = pool.checkpoint().await?.1;
    let mut rate = super::progress::Rate::new();
    loop {
        let at = pool.checkpoint().await?;
        if at >= head {
            let secs = started.elapsed().as_secs_f64();
            eprintln!("[catch-up] the projections reached the head of the log in {secs:.1}s");
            return Ok(secs);
        }
        if started.elapsed() > limit {
            return Err(format!(
                "the projections did not catch up within {limit:?} (at position {} of {})",
                at.1, head.1
            ));
        }
        // Positions are dense after the fill: a fair measure of the progress.
        let done = (at.1 - first).max(0) as u64;
        let (now, overall) = rate.update(done);
        eprintln!(
            "[catch-up {:>4.0}s] position {}/{} (~{} of {events} filled events), {now:.0}/s now, {overall:.0}/s overall",
            started.elapsed().as_secs_f64(),
            at.1,
            head.1,
            done.min(events),
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_covers_the_target() {
        let (orders, clients) = plan(1_000);
        assert_eq!(clients, orders.div_ceil(ORDERS_PER_CLIENT));
        let events = orders * EVENTS_PER_LIFECYCLE as u64 + clients;
        assert!((1_000..1_000 + 14 + 1).contains(&events));
    }

    #[test]
    fn copy_fields_are_escaped() {
        let mut out = Vec::new();
        copy_field(&mut out, "a\\b\tc\nd");
        assert_eq!(out, b"a\\\\b\\tc\\nd");
    }
}
