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

use projections::{Cursor, Db, Projection, ProjectionError, Runner, StoredEvent, Tx};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Connection, Executor, Row};

/// The live runner whose read models are rebuilt.
pub const RUNNER: &str = projections::MAIN_RUNNER;

/// Why a replay failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    /// A statement of the rebuild's own (creating an index, gathering statistics) failed.
    #[error("{statement}: {source}")]
    Statement {
        statement: String,
        source: sqlx::Error,
    },
    #[error(
        "the rebuild could not reach the live projections' checkpoint (they kept moving, or a long \
         transaction elsewhere on the database cluster holds the feed back); try again later"
    )]
    KeptMoving,
    #[error("the rebuild is not on the live database's backend")]
    OtherBackend,
}

impl ReplayError {
    fn statement(statement: &str) -> impl FnOnce(sqlx::Error) -> ReplayError + '_ {
        move |source| ReplayError::Statement {
            statement: statement.to_string(),
            source,
        }
    }
}

/// What the replay needs to know of the projections, gathered from the registry
/// (`projections::all`).
struct Catalog {
    /// Every table of every projection.
    tables: Vec<&'static str>,
    /// Loaded with plain inserts and without any index (each event is applied once).
    insert_only: Vec<&'static str>,
    /// Analyzed before a swap.
    analyzed: Vec<&'static str>,
    /// Indexes (besides the unique ones) kept while loading.
    used_while_applying: Vec<&'static str>,
}

impl Catalog {
    fn of(projections: &[Box<dyn Projection>]) -> Catalog {
        let gather = |f: fn(&dyn Projection) -> &'static [&'static str]| {
            projections
                .iter()
                .flat_map(|p| f(p.as_ref()).iter().copied())
                .collect()
        };
        Catalog {
            tables: gather(|p| p.tables()),
            insert_only: gather(|p| p.insert_only_tables()),
            analyzed: gather(|p| p.analyzed_tables()),
            used_while_applying: gather(|p| p.indexes_used_while_applying()),
        }
    }
}

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
    Postgres {
        schema: String,
        live: String,
        /// Statements that create the indexes the rebuild does not need while it loads,
        /// run once it has caught up (before a swap).
        later: Vec<String>,
    },
    Sqlite {
        path: std::path::PathBuf,
    },
}

/// Rebuilds every projection; with `verify` compares instead of swapping.
pub async fn run(db: &Db, verify: bool) -> Result<Report, ReplayError> {
    let started = Instant::now();
    let catalog = Catalog::of(&projections::all());
    let (shadow, shadow_db) = create_shadow(db, &catalog).await?;
    let result = rebuild_and_finish(db, &shadow, &shadow_db, &catalog, verify).await;
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
    catalog: &Catalog,
    verify: bool,
) -> Result<(usize, Vec<(String, Vec<String>, Vec<String>)>), ReplayError> {
    let total = projections::feed::count(db).await?;
    let mut progress = Progress::new(total);
    let all = projections::all();
    let decoders = projections::Decoders::of(&all);
    let timings = Timings::new(all.iter().map(|p| p.name()).collect());
    let projections: Vec<Box<dyn Projection>> = all
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            Box::new(Timed {
                inner: p,
                slot: Timings::projection(i),
                timings: timings.clone(),
            }) as Box<dyn Projection>
        })
        .collect();
    let mut done = 0usize;
    let mut prepared = false;
    for _attempt in 0..600 {
        // Catch the rebuild up to where the live tables are now...
        let target = Runner::load_checkpoint(db, RUNNER).await?;
        let t0 = Instant::now();
        done += rebuild(
            db,
            shadow_db,
            &projections,
            &decoders,
            target,
            &timings,
            |n| progress.report(done + n, false),
        )
        .await?;
        tracing::debug!(
            secs = t0.elapsed().as_secs_f64(),
            "replay: caught up ({})",
            timings.summary()
        );
        // The feed stops short of the target while an older transaction of the cluster is
        // still running (docs/decisions/002): never compare or swap an incomplete rebuild.
        let reached = Runner::load_checkpoint(shadow_db, RUNNER).await?;
        if reached < target {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        if !verify && !prepared {
            let t0 = Instant::now();
            prepare_swap(db, shadow, catalog).await?;
            prepared = true;
            tracing::debug!(
                secs = t0.elapsed().as_secs_f64(),
                "replay: prepared the swap"
            );
            continue;
        }
        // ...then, holding the live checkpoint, compare or swap if it has not moved since.
        let t0 = Instant::now();
        let finished = finish(db, shadow, &catalog.tables, target, verify).await?;
        tracing::debug!(
            secs = t0.elapsed().as_secs_f64(),
            "replay: compared/swapped"
        );
        if let Some(diffs) = finished {
            progress.report(done, true);
            eprintln!();
            return Ok((done, diffs));
        }
    }
    Err(ReplayError::KeptMoving)
}

/// Time spent per step of the rebuild (nanoseconds), for the debug log: the steps below,
/// then each projection's `apply`.
#[derive(Clone)]
struct Timings {
    slots: std::sync::Arc<[std::sync::atomic::AtomicU64]>,
    projections: std::sync::Arc<[&'static str]>,
}

const T_READ: usize = 0;
const T_WAIT: usize = 1;
const T_BEGIN: usize = 2;
const T_CHECKPOINT: usize = 3;
const T_COMMIT: usize = 4;
const STEPS: [&str; 5] = ["read", "wait", "begin", "checkpoint", "commit"];

impl Timings {
    /// Slots for the steps and for each of these projections (by name).
    fn new(projections: Vec<&'static str>) -> Timings {
        Timings {
            slots: (0..STEPS.len() + projections.len())
                .map(|_| std::sync::atomic::AtomicU64::new(0))
                .collect(),
            projections: projections.into(),
        }
    }

    /// The slot of the `i`th projection.
    fn projection(i: usize) -> usize {
        STEPS.len() + i
    }

    fn add(&self, slot: usize, since: Instant) {
        self.slots[slot].fetch_add(
            since.elapsed().as_nanos() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    fn summary(&self) -> String {
        self.projections
            .iter()
            .chain(STEPS.iter())
            .zip(
                self.slots[STEPS.len()..]
                    .iter()
                    .chain(&self.slots[..STEPS.len()]),
            )
            .map(|(n, v)| {
                format!(
                    "{n} {:.2}s",
                    v.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e9
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

struct Timed {
    inner: Box<dyn Projection>,
    slot: usize,
    timings: Timings,
}

#[async_trait::async_trait]
impl Projection for Timed {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn reads(&self) -> &'static [projections::Reads] {
        self.inner.reads()
    }

    fn tables(&self) -> &'static [&'static str] {
        self.inner.tables()
    }

    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        let t = Instant::now();
        let r = self.inner.apply(tx, events).await;
        self.timings.add(self.slot, t);
        r
    }

    fn insert_only_tables(&self) -> &'static [&'static str] {
        self.inner.insert_only_tables()
    }

    fn analyzed_tables(&self) -> &'static [&'static str] {
        self.inner.analyzed_tables()
    }

    fn indexes_used_while_applying(&self) -> &'static [&'static str] {
        self.inner.indexes_used_while_applying()
    }
}

/// Applies the log after the rebuild's checkpoint, up to `until`, to the shadow tables:
/// the next batch is read from the live database while the current one is applied.
async fn rebuild(
    db: &Db,
    shadow_db: &Db,
    projections: &[Box<dyn Projection>],
    decoders: &projections::Decoders,
    until: Cursor,
    timings: &Timings,
    mut progress: impl FnMut(usize),
) -> Result<usize, ReplayError> {
    let from = Runner::load_checkpoint(shadow_db, RUNNER).await?;
    let (send, mut recv) = tokio::sync::mpsc::channel::<Result<Vec<StoredEvent>, sqlx::Error>>(2);
    let reader_db = db.clone();
    let decoders = decoders.clone();
    let reader_timings = timings.clone();
    let reader = tokio::spawn(async move {
        let mut after = from;
        loop {
            let t = Instant::now();
            let read =
                projections::feed::read_after(&reader_db, after, REBUILD_BATCH, Some(until)).await;
            // Decoded here, in parallel with the apply, and once for all projections.
            if let Ok(events) = &read {
                decoders.decode_ahead(events);
            }
            reader_timings.add(T_READ, t);
            let last = match &read {
                Ok(events) => events.last().map(|e| e.cursor),
                Err(_) => None,
            };
            if send.send(read).await.is_err() {
                return;
            }
            match last {
                Some(c) => after = c,
                None => return,
            }
        }
    });
    let mut total = 0;
    let result = async {
        loop {
            let t = Instant::now();
            let events = recv.recv().await.unwrap_or_else(|| Ok(Vec::new()))?;
            timings.add(T_WAIT, t);
            let Some(last) = events.last() else {
                return Ok(total);
            };
            let t = Instant::now();
            // As the live runner's batches: no waiting for the disk, custom plans; one round trip.
            let mut tx = shadow_db.begin_batch(true).await?;
            timings.add(T_BEGIN, t);
            // The shadow started empty and sees each event once (its checkpoint moves in
            // this transaction).
            tx.set_fresh();
            for p in projections {
                p.apply(&mut tx, &events).await?;
            }
            let t = Instant::now();
            Runner::store_checkpoint(&mut tx, RUNNER, last.cursor, &last.meta.at.to_rfc3339())
                .await?;
            timings.add(T_CHECKPOINT, t);
            let t = Instant::now();
            tx.commit().await?;
            timings.add(T_COMMIT, t);
            total += events.len();
            progress(total);
            // Freeing a batch's JSON takes a while: not on the apply's path.
            tokio::task::spawn_blocking(move || drop(events));
        }
    }
    .await;
    reader.abort();
    result
}

/// Creates the shadow namespace with empty copies of the live tables.
async fn create_shadow(db: &Db, catalog: &Catalog) -> Result<(Shadow, Db), ReplayError> {
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..12];
    let mut all: Vec<&str> = catalog.tables.clone();
    all.push("projection_checkpoints");
    match db {
        Db::Postgres(pool, _) => {
            let live: String = sqlx::query_scalar("SELECT current_schema()")
                .fetch_one(pool)
                .await?;
            let schema = format!("replay_{suffix}");
            let mut tx = pool.begin().await?;
            tx.execute(format!("CREATE SCHEMA {schema}").as_str())
                .await?;
            for t in &all {
                // Without indexes (constraints backed by one included): each is created
                // below, or after the load when the rebuild does not need it.
                tx.execute(
                    format!(
                        "CREATE TABLE {schema}.{t} (LIKE {live}.{t} INCLUDING ALL EXCLUDING INDEXES)"
                    )
                    .as_str(),
                )
                .await?;
            }
            let mut later = Vec::new();
            for index in live_indexes(&mut tx, &live, &all).await? {
                let sql = index.create_in(&schema);
                if index.needed_while_loading(catalog) {
                    tx.execute(sql.as_str())
                        .await
                        .map_err(ReplayError::statement(&sql))?;
                } else {
                    later.push(sql);
                }
            }
            tx.commit().await?;
            let path = format!("SET search_path TO {schema}, {live}");
            let shadow_pool = PgPoolOptions::new()
                .max_connections(2)
                // No ping before each transaction (a round trip per batch).
                .test_before_acquire(false)
                .after_connect(move |conn, _| {
                    let path = path.clone();
                    Box::pin(async move { conn.execute(path.as_str()).await.map(|_| ()) })
                })
                .connect_with((*pool.connect_options()).clone())
                .await?;
            Ok((
                Shadow::Postgres {
                    schema,
                    live,
                    later,
                },
                Db::postgres(shadow_pool),
            ))
        }
        Db::Sqlite { writer, .. } => {
            let live_path = writer.connect_options().get_filename().to_path_buf();
            let path = live_path.with_extension(format!("replay-{suffix}.db"));
            let live_str = live_path.to_string_lossy().replace('\'', "''");
            let attach = format!("ATTACH DATABASE '{live_str}' AS live");
            let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
                .create_if_missing(true)
                .busy_timeout(Duration::from_secs(30));
            let shadow_pool = SqlitePoolOptions::new()
                .max_connections(1)
                .after_connect(move |conn, _| {
                    let attach = attach.clone();
                    Box::pin(async move { conn.execute(attach.as_str()).await.map(|_| ()) })
                })
                .connect_with(opts)
                .await?;
            let list = all
                .iter()
                .map(|t| format!("'{t}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let ddl: Vec<(String, String, String)> = sqlx::query_as(&format!(
                "SELECT type, name, sql FROM live.sqlite_master WHERE tbl_name IN ({list}) \
                 AND sql IS NOT NULL ORDER BY type DESC"
            ))
            .fetch_all(&shadow_pool)
            .await?;
            // The rows are copied into the live tables, which keep their indexes: the
            // shadow needs only the unique ones (`ON CONFLICT`) and those the rebuild
            // looks rows up by.
            for (_, _, stmt) in ddl.into_iter().filter(|(ty, name, sql)| {
                ty != "index"
                    || sql.to_ascii_uppercase().starts_with("CREATE UNIQUE")
                    || catalog.used_while_applying.contains(&name.as_str())
            }) {
                sqlx::query(&stmt)
                    .execute(&shadow_pool)
                    .await
                    .map_err(ReplayError::statement(&stmt))?;
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
        (Db::Postgres(pool, _), Db::Postgres(shadow_pool, spare)) => {
            spare.clear();
            shadow_pool.close().await;
            if let Shadow::Postgres { schema, .. } = shadow {
                for schema in [schema.clone(), format!("{schema}_retired")] {
                    if let Err(e) = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(pool)
                        .await
                    {
                        tracing::warn!(error = %e, "could not drop the replay schema {schema}");
                    }
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
) -> Result<Option<Diffs>, ReplayError> {
    match (db, shadow) {
        (Db::Postgres(pool, _), Shadow::Postgres { schema, live, .. }) => {
            let mut tx = pool.begin().await?;
            // The comparison's hash joins hold a whole table: in memory, not in batches on disk.
            sqlx::query("SELECT set_config('work_mem', '256MB', true)")
                .execute(&mut *tx)
                .await?;
            let now = lock_pg(&mut tx).await?;
            if now != at {
                return Ok(None);
            }
            let mut diffs = Vec::new();
            // A swap replaces the tables whatever they held: only `--verify` compares.
            for t in tables.iter().filter(|_| verify) {
                let t0 = Instant::now();
                let (only_live, only_rebuilt) = compare_pg(&mut tx, live, schema, t).await?;
                tracing::debug!(
                    table = t,
                    secs = t0.elapsed().as_secs_f64(),
                    "replay: compared"
                );
                if !only_live.is_empty() || !only_rebuilt.is_empty() {
                    diffs.push((t.to_string(), only_live, only_rebuilt));
                }
            }
            if !verify {
                let t0 = Instant::now();
                if movable_pg(&mut tx, live, schema, tables).await? {
                    // Move the live tables out of the way and the rebuilt ones in, indexes
                    // and constraints with them: no row is copied. The old tables are
                    // dropped with the shadow.
                    let retired = format!("{schema}_retired");
                    sqlx::query(&format!("CREATE SCHEMA {retired}"))
                        .execute(&mut *tx)
                        .await?;
                    for t in tables {
                        for sql in [
                            format!("ALTER TABLE {live}.{t} SET SCHEMA {retired}"),
                            format!("ALTER TABLE {schema}.{t} SET SCHEMA {live}"),
                        ] {
                            sqlx::query(&sql).execute(&mut *tx).await?;
                        }
                    }
                } else {
                    // Something else hangs on the live tables (grants, views, triggers,
                    // keys…): keep them, and copy the rows.
                    for t in tables {
                        sqlx::query(&format!("DELETE FROM {live}.{t}"))
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query(&format!(
                            "INSERT INTO {live}.{t} SELECT * FROM {schema}.{t}"
                        ))
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                tracing::debug!(secs = t0.elapsed().as_secs_f64(), "replay: swapped");
            }
            tx.commit().await?;
            Ok(Some(diffs))
        }
        (Db::Sqlite { writer, .. }, Shadow::Sqlite { path }) => {
            let mut conn = writer.acquire().await?;
            let shadow_path = path.to_string_lossy().replace('\'', "''");
            conn.execute(format!("ATTACH DATABASE '{shadow_path}' AS shadow").as_str())
                .await?;
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
                    if verify {
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
                    } else {
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
            let diffs = result?;
            detached?;
            Ok(diffs)
        }
        _ => Err(ReplayError::OtherBackend),
    }
}

/// The rows of `live.t` not in `shadow.t` and the other way round, as JSON text, sorted.
/// Tables with a primary key are compared in one pass (a full join on the key); others
/// with `EXCEPT`, both ways.
async fn compare_pg(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    live: &str,
    shadow: &str,
    t: &str,
) -> Result<(Vec<String>, Vec<String>), sqlx::Error> {
    let key: Vec<String> = sqlx::query_scalar(
        "SELECT quote_ident(a.attname) FROM pg_index ix \
         JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = ANY(ix.indkey) \
         WHERE ix.indrelid = to_regclass($1) AND ix.indisprimary ORDER BY a.attnum",
    )
    .bind(format!("{live}.{t}"))
    .fetch_all(&mut **tx)
    .await?;
    let (mut only_live, mut only_rebuilt) = (Vec::new(), Vec::new());
    if key.is_empty() {
        let rows = |a: &str, b: &str| {
            format!("SELECT row_to_json(d)::text FROM (SELECT * FROM {a}.{t} EXCEPT SELECT * FROM {b}.{t}) d")
        };
        only_live = sqlx::query_scalar(&rows(live, shadow))
            .fetch_all(&mut **tx)
            .await?;
        only_rebuilt = sqlx::query_scalar(&rows(shadow, live))
            .fetch_all(&mut **tx)
            .await?;
    } else {
        let on = key
            .iter()
            .map(|k| format!("l.{k} = s.{k}"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let k = &key[0];
        let rows: Vec<(Option<String>, Option<String>)> = sqlx::query_as(&format!(
            "SELECT CASE WHEN l.{k} IS NULL THEN NULL ELSE row_to_json(l)::text END, \
                    CASE WHEN s.{k} IS NULL THEN NULL ELSE row_to_json(s)::text END \
             FROM {live}.{t} l FULL JOIN {shadow}.{t} s ON {on} \
             WHERE ROW(l.*) IS DISTINCT FROM ROW(s.*)"
        ))
        .fetch_all(&mut **tx)
        .await?;
        for (l, s) in rows {
            only_live.extend(l);
            only_rebuilt.extend(s);
        }
    }
    only_live.sort();
    only_rebuilt.sort();
    Ok((only_live, only_rebuilt))
}

/// Whether the rebuilt tables can simply take the live ones' place: nothing but their own
/// indexes, constraints, defaults and row types hangs on the live tables (no grants,
/// views, triggers, foreign keys, policies, sequences, inheritance…), this role owns
/// them, and the rebuilt tables have the same indexes.
async fn movable_pg(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    live: &str,
    shadow: &str,
    tables: &[&str],
) -> Result<bool, sqlx::Error> {
    let tables: Vec<String> = tables.iter().map(|t| t.to_string()).collect();
    let obstacles: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relname = ANY($2) AND ( \
           c.relkind <> 'r' OR c.relacl IS NOT NULL OR c.relrowsecurity OR c.relispartition \
           OR c.relhassubclass OR NOT pg_has_role(c.relowner, 'USAGE') \
           OR EXISTS (SELECT 1 FROM pg_depend d \
                WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid \
                  AND NOT (d.classid IN ('pg_type'::regclass, 'pg_attrdef'::regclass) \
                    OR (d.classid = 'pg_constraint'::regclass AND EXISTS ( \
                          SELECT 1 FROM pg_constraint k WHERE k.oid = d.objid \
                            AND k.conrelid = c.oid AND k.contype IN ('p', 'u', 'x', 'c'))) \
                    OR (d.classid = 'pg_class'::regclass AND EXISTS ( \
                          SELECT 1 FROM pg_class o WHERE o.oid = d.objid AND o.relkind IN ('i', 't'))))))",
    )
    .bind(live)
    .bind(&tables)
    .fetch_one(&mut **tx)
    .await?;
    let index_differences: i64 = sqlx::query_scalar(
        "WITH i AS (SELECT schemaname AS s, tablename, indexname, \
                           regexp_replace(indexdef, ' ON \\S+ USING ', ' USING ') AS def \
                    FROM pg_indexes WHERE schemaname IN ($1, $2) AND tablename = ANY($3)) \
         SELECT count(*) FROM ( \
           (SELECT tablename, indexname, def FROM i WHERE s = $1 \
            EXCEPT SELECT tablename, indexname, def FROM i WHERE s = $2) \
           UNION ALL \
           (SELECT tablename, indexname, def FROM i WHERE s = $2 \
            EXCEPT SELECT tablename, indexname, def FROM i WHERE s = $1)) d",
    )
    .bind(live)
    .bind(shadow)
    .bind(&tables)
    .fetch_one(&mut **tx)
    .await?;
    if obstacles + index_differences > 0 {
        tracing::info!(
            obstacles,
            index_differences,
            "replay: the live tables are kept, the rebuilt rows are copied into them"
        );
    }
    Ok(obstacles + index_differences == 0)
}

/// Before a swap (PostgreSQL): builds the indexes left out while loading and gathers
/// planner statistics, so that the rebuilt tables can take the live ones' place as they are.
async fn prepare_swap(db: &Db, shadow: &Shadow, catalog: &Catalog) -> Result<(), ReplayError> {
    let (Db::Postgres(pool, _), Shadow::Postgres { schema, later, .. }) = (db, shadow) else {
        return Ok(());
    };
    // Tables whose queries filter and sort on more than their keys
    // (`Projection::analyzed_tables`).
    let analyze = catalog
        .analyzed
        .iter()
        .map(|t| format!("ANALYZE {schema}.{t}"));
    // Each statement on its own (a transaction holds the feed back while it runs: decision
    // 002), on one connection whose sorts get the memory to stay off the disk.
    let mut conn = pool.acquire().await?;
    let statements = std::iter::once(format!(
        "SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'"
    ))
    .chain(later.iter().cloned())
    .chain(analyze)
    .chain(std::iter::once("RESET maintenance_work_mem".to_string()));
    for sql in statements {
        let t0 = Instant::now();
        sqlx::query(&sql)
            .execute(&mut *conn)
            .await
            .map_err(ReplayError::statement(&sql))?;
        tracing::debug!(secs = t0.elapsed().as_secs_f64(), "replay: {sql}");
    }
    Ok(())
}

/// Sort memory of the index builds before a swap (the server's default, 64 MB, sorts a
/// million history keys on disk).
const MAINTENANCE_WORK_MEM: &str = "256MB";

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

/// An index of a live table (PostgreSQL), and the constraint it backs if any.
struct LiveIndex {
    table: String,
    name: String,
    definition: String,
    constraint: Option<(String, String)>,
    unique: bool,
}

impl LiveIndex {
    /// Whether the rebuild needs it while it loads: the unique ones (which `ON CONFLICT`
    /// needs) and those a projection's own queries look rows up by
    /// (`Projection::indexes_used_while_applying`). Every other index is built once the
    /// rows are in, which is much cheaper than maintaining it row by row. Insert-only
    /// tables need none (they are loaded without `ON CONFLICT`).
    fn needed_while_loading(&self, catalog: &Catalog) -> bool {
        !catalog.insert_only.contains(&self.table.as_str())
            && (self.unique || catalog.used_while_applying.contains(&self.name.as_str()))
    }

    /// The statement that creates the same index (or constraint), with the same name, on
    /// the table of the same name in `schema`.
    fn create_in(&self, schema: &str) -> String {
        let (table, name) = (&self.table, &self.name);
        match &self.constraint {
            Some((constraint, definition)) => {
                format!("ALTER TABLE {schema}.{table} ADD CONSTRAINT {constraint} {definition}")
            }
            None => {
                // pg_get_indexdef: CREATE [UNIQUE] INDEX name ON [ONLY] schema.table USING …
                let using = self
                    .definition
                    .split_once(" USING ")
                    .map(|(_, rest)| rest)
                    .unwrap_or_default();
                let unique = if self.unique { "UNIQUE " } else { "" };
                format!("CREATE {unique}INDEX {name} ON {schema}.{table} USING {using}")
            }
        }
    }
}

/// Every index of these live tables, primary keys first.
async fn live_indexes(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    live: &str,
    tables: &[&str],
) -> Result<Vec<LiveIndex>, sqlx::Error> {
    let tables: Vec<String> = tables.iter().map(|t| t.to_string()).collect();
    let rows = sqlx::query(
        "SELECT quote_ident(c.relname) AS tbl, quote_ident(i.relname) AS idx, \
                pg_get_indexdef(i.oid) AS def, ix.indisunique AS uniq, \
                quote_ident(con.conname) AS con, pg_get_constraintdef(con.oid) AS condef \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class c ON c.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid AND con.conrelid = c.oid \
              AND con.contype IN ('p', 'u', 'x') \
         WHERE n.nspname = $1 AND c.relname = ANY($2) \
         ORDER BY c.relname, ix.indisprimary DESC, i.relname",
    )
    .bind(live)
    .bind(&tables)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            let con: Option<String> = r.try_get("con")?;
            let condef: Option<String> = r.try_get("condef")?;
            Ok(LiveIndex {
                table: r.try_get("tbl")?,
                name: r.try_get("idx")?,
                definition: r.try_get("def")?,
                unique: r.try_get("uniq")?,
                constraint: con.zip(condef),
            })
        })
        .collect()
}
