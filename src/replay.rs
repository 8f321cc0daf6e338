//! `scriptorium replay [--verify]`: rebuild every projection from the log into fresh
//! tables, then either swap them in or compare them row by row with the live ones.
//!
//! The rebuild happens in a separate namespace (a PostgreSQL schema, or a second SQLite
//! file that attaches the live one to read its events), with the projections' own code
//! unchanged. The last step holds the live runner's checkpoint lock, so the live tables
//! and the rebuild are compared (or swapped) at exactly the same point of the log.

use std::io::Write;
use std::str::FromStr;
use std::time::{Duration, Instant};

use projections::{Cursor, Db, Runner};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Connection, Executor, Row};

/// The live runner whose read models are rebuilt.
pub const RUNNER: &str = "main";

/// Events per transaction of the rebuild.
const REBUILD_BATCH: i64 = 5000;

/// What a replay found.
#[derive(Debug, Default)]
pub struct Report {
    pub events: usize,
    pub seconds: f64,
    /// Per table: rows only in the live table, rows only in the rebuild (as JSON text).
    pub differences: Vec<(String, Vec<String>, Vec<String>)>,
}

impl Report {
    pub fn differing_rows(&self) -> usize {
        self.differences
            .iter()
            .map(|(_, a, b)| a.len() + b.len())
            .sum()
    }
}

/// Prints progress to stderr at most a few times a second.
struct Progress {
    total: i64,
    started: Instant,
    last: Instant,
}

impl Progress {
    fn new(total: i64) -> Progress {
        let now = Instant::now();
        Progress {
            total,
            started: now,
            last: now - Duration::from_secs(1),
        }
    }

    fn report(&mut self, done: usize, force: bool) {
        if !force && self.last.elapsed() < Duration::from_millis(250) {
            return;
        }
        self.last = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(1e-6);
        let rate = done as f64 / secs;
        let left = (self.total - done as i64).max(0) as f64;
        let eta = if rate > 0.0 { left / rate } else { 0.0 };
        eprint!(
            "\rreplay: {done}/{} events, {rate:.0} events/s, ~{eta:.0}s left   ",
            self.total
        );
        let _ = std::io::stderr().flush();
    }
}

/// The rebuild's namespace and how to reach it.
enum Shadow {
    Postgres { schema: String, live: String },
    Sqlite { path: std::path::PathBuf },
}

/// Rebuilds every projection; with `verify` compares instead of swapping.
pub async fn run(db: &Db, verify: bool) -> Result<Report, String> {
    let started = Instant::now();
    let tables: Vec<&'static str> = projections::all()
        .iter()
        .flat_map(|p| p.tables().iter().copied())
        .collect();
    let (shadow, shadow_db) = create_shadow(db, &tables).await?;
    let result = rebuild_and_finish(db, &shadow, &shadow_db, &tables, verify).await;
    drop_shadow(db, &shadow, shadow_db).await;
    let (events, differences) = result?;
    Ok(Report {
        events,
        seconds: started.elapsed().as_secs_f64(),
        differences,
    })
}

async fn rebuild_and_finish(
    db: &Db,
    shadow: &Shadow,
    shadow_db: &Db,
    tables: &[&'static str],
    verify: bool,
) -> Result<(usize, Vec<(String, Vec<String>, Vec<String>)>), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let total = projections::feed::count(db).await.map_err(|e| err(&e))?;
    let mut progress = Progress::new(total);
    let runner =
        Runner::new(shadow_db.clone(), RUNNER, projections::all()).with_batch(REBUILD_BATCH);
    let mut done = 0usize;
    for _attempt in 0..600 {
        // Catch the rebuild up to where the live tables are now...
        let target = Runner::load_checkpoint(db, RUNNER)
            .await
            .map_err(|e| err(&e))?;
        done += runner
            .catch_up(Some(target), |n| progress.report(done + n, false))
            .await
            .map_err(|e| err(&e))?;
        // The feed stops short of the target while an older transaction of the cluster is
        // still running (docs/decisions/002): never compare or swap an incomplete rebuild.
        let reached = Runner::load_checkpoint(shadow_db, RUNNER)
            .await
            .map_err(|e| err(&e))?;
        if reached < target {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        // ...then, holding the live checkpoint, compare or swap if it has not moved since.
        if let Some(diffs) = finish(db, shadow, tables, target, verify).await? {
            progress.report(done, true);
            eprintln!();
            return Ok((done, diffs));
        }
    }
    Err("the rebuild could not reach the live projections' checkpoint (they kept moving, or a long \
         transaction elsewhere on the database cluster holds the feed back); try again later"
        .into())
}

/// Creates the shadow namespace with empty copies of the live tables.
async fn create_shadow(db: &Db, tables: &[&'static str]) -> Result<(Shadow, Db), String> {
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..12];
    let mut all: Vec<&str> = tables.to_vec();
    all.push("projection_checkpoints");
    match db {
        Db::Postgres(pool) => {
            let live: String = sqlx::query_scalar("SELECT current_schema()")
                .fetch_one(pool)
                .await
                .map_err(|e| e.to_string())?;
            let schema = format!("replay_{suffix}");
            let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
            tx.execute(format!("CREATE SCHEMA {schema}").as_str())
                .await
                .map_err(|e| e.to_string())?;
            for t in &all {
                tx.execute(
                    format!("CREATE TABLE {schema}.{t} (LIKE {live}.{t} INCLUDING ALL)").as_str(),
                )
                .await
                .map_err(|e| e.to_string())?;
            }
            tx.commit().await.map_err(|e| e.to_string())?;
            let path = format!("SET search_path TO {schema}, {live}");
            let shadow_pool = PgPoolOptions::new()
                .max_connections(2)
                .after_connect(move |conn, _| {
                    let path = path.clone();
                    Box::pin(async move { conn.execute(path.as_str()).await.map(|_| ()) })
                })
                .connect_with((*pool.connect_options()).clone())
                .await
                .map_err(|e| e.to_string())?;
            Ok((Shadow::Postgres { schema, live }, Db::Postgres(shadow_pool)))
        }
        Db::Sqlite { writer, .. } => {
            let live_path = writer.connect_options().get_filename().to_path_buf();
            let path = live_path.with_extension(format!("replay-{suffix}.db"));
            let live_str = live_path.to_string_lossy().replace('\'', "''");
            let attach = format!("ATTACH DATABASE '{live_str}' AS live");
            let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
                .map_err(|e| e.to_string())?
                .create_if_missing(true)
                .busy_timeout(Duration::from_secs(30));
            let shadow_pool = SqlitePoolOptions::new()
                .max_connections(1)
                .after_connect(move |conn, _| {
                    let attach = attach.clone();
                    Box::pin(async move { conn.execute(attach.as_str()).await.map(|_| ()) })
                })
                .connect_with(opts)
                .await
                .map_err(|e| e.to_string())?;
            let list = all
                .iter()
                .map(|t| format!("'{t}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let ddl: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT sql FROM live.sqlite_master WHERE tbl_name IN ({list}) AND sql IS NOT NULL \
                 ORDER BY type DESC"
            ))
            .fetch_all(&shadow_pool)
            .await
            .map_err(|e| e.to_string())?;
            for stmt in ddl {
                sqlx::query(&stmt)
                    .execute(&shadow_pool)
                    .await
                    .map_err(|e| format!("{stmt}: {e}"))?;
            }
            Ok((
                Shadow::Sqlite { path },
                Db::Sqlite {
                    writer: shadow_pool.clone(),
                    reader: shadow_pool,
                },
            ))
        }
    }
}

async fn drop_shadow(db: &Db, shadow: &Shadow, shadow_db: Db) {
    match (db, shadow_db) {
        (Db::Postgres(pool), Db::Postgres(shadow_pool)) => {
            shadow_pool.close().await;
            if let Shadow::Postgres { schema, .. } = shadow {
                if let Err(e) = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(pool)
                    .await
                {
                    tracing::warn!(error = %e, "could not drop the replay schema {schema}");
                }
            }
        }
        (_, Db::Sqlite { writer, .. }) => {
            writer.close().await;
            if let Shadow::Sqlite { path } = shadow {
                for ext in ["", "-wal", "-shm", "-journal"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
                }
            }
        }
        _ => {}
    }
}

type Diffs = Vec<(String, Vec<String>, Vec<String>)>;

/// Holding the live checkpoint: if it is still `at`, compares (or swaps in) the rebuild.
/// `None` when the live tables moved on in the meantime.
async fn finish(
    db: &Db,
    shadow: &Shadow,
    tables: &[&'static str],
    at: Cursor,
    verify: bool,
) -> Result<Option<Diffs>, String> {
    let e = |e: sqlx::Error| e.to_string();
    match (db, shadow) {
        (Db::Postgres(pool), Shadow::Postgres { schema, live }) => {
            let mut tx = pool.begin().await.map_err(e)?;
            let now = lock_pg(&mut tx).await.map_err(e)?;
            if now != at {
                return Ok(None);
            }
            let mut diffs = Vec::new();
            for t in tables {
                let rows = |a: &str, b: &str| {
                    format!("SELECT row_to_json(d)::text FROM (SELECT * FROM {a}.{t} EXCEPT SELECT * FROM {b}.{t}) d ORDER BY 1")
                };
                let only_live: Vec<String> = sqlx::query_scalar(&rows(live, schema))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(e)?;
                let only_rebuilt: Vec<String> = sqlx::query_scalar(&rows(schema, live))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(e)?;
                if !only_live.is_empty() || !only_rebuilt.is_empty() {
                    diffs.push((t.to_string(), only_live, only_rebuilt));
                }
                if !verify {
                    sqlx::query(&format!("DELETE FROM {live}.{t}"))
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    sqlx::query(&format!(
                        "INSERT INTO {live}.{t} SELECT * FROM {schema}.{t}"
                    ))
                    .execute(&mut *tx)
                    .await
                    .map_err(e)?;
                }
            }
            tx.commit().await.map_err(e)?;
            Ok(Some(diffs))
        }
        (Db::Sqlite { writer, .. }, Shadow::Sqlite { path }) => {
            let mut conn = writer.acquire().await.map_err(e)?;
            let shadow_path = path.to_string_lossy().replace('\'', "''");
            conn.execute(format!("ATTACH DATABASE '{shadow_path}' AS shadow").as_str())
                .await
                .map_err(e)?;
            let result = async {
                let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
                let row = sqlx::query("SELECT tx, position FROM main.projection_checkpoints WHERE name = $1")
                    .bind(RUNNER)
                    .fetch_optional(&mut *tx)
                    .await?;
                let now = row
                    .map(|r| -> Result<Cursor, sqlx::Error> {
                        Ok(Cursor { tx: r.try_get("tx")?, position: r.try_get("position")? })
                    })
                    .transpose()?
                    .unwrap_or_default();
                if now != at {
                    return Ok(None);
                }
                let mut diffs = Vec::new();
                for t in tables {
                    let cols: Vec<String> = sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{t}')"))
                        .fetch_all(&mut *tx)
                        .await?;
                    let json = cols.iter().map(|c| format!("'{c}', {c}")).collect::<Vec<_>>().join(", ");
                    let rows = |a: &str, b: &str| {
                        format!("SELECT json_object({json}) FROM (SELECT * FROM {a}.{t} EXCEPT SELECT * FROM {b}.{t}) ORDER BY 1")
                    };
                    let only_live: Vec<String> = sqlx::query_scalar(&rows("main", "shadow")).fetch_all(&mut *tx).await?;
                    let only_rebuilt: Vec<String> = sqlx::query_scalar(&rows("shadow", "main")).fetch_all(&mut *tx).await?;
                    if !only_live.is_empty() || !only_rebuilt.is_empty() {
                        diffs.push((t.to_string(), only_live, only_rebuilt));
                    }
                    if !verify {
                        sqlx::query(&format!("DELETE FROM main.{t}")).execute(&mut *tx).await?;
                        sqlx::query(&format!("INSERT INTO main.{t} SELECT * FROM shadow.{t}"))
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(Some(diffs))
            }
            .await;
            let detached = conn.execute("DETACH DATABASE shadow").await;
            let diffs = result.map_err(e)?;
            detached.map_err(e)?;
            Ok(diffs)
        }
        _ => Err("the rebuild is not on the live database's backend".into()),
    }
}

/// Locks the live runner's checkpoint row (PostgreSQL) and reads it.
async fn lock_pg(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>) -> Result<Cursor, sqlx::Error> {
    sqlx::query(
        "INSERT INTO projection_checkpoints (name, tx, position, updated_at) VALUES ($1, 0, 0, '') \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(RUNNER)
    .execute(&mut **tx)
    .await?;
    let row =
        sqlx::query("SELECT tx, position FROM projection_checkpoints WHERE name = $1 FOR UPDATE")
            .bind(RUNNER)
            .fetch_one(&mut **tx)
            .await?;
    Ok(Cursor {
        tx: row.try_get("tx")?,
        position: row.try_get("position")?,
    })
}
