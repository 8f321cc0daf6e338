//! The bench's own access to the database: a fresh database per run, and the few
//! queries the harness needs (versions, the feed head, the projection checkpoint).

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, Row};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgres",
        }
    }
}

/// A database made for one run, and the temporary folder holding the service's files
/// (and the SQLite file).
#[derive(Debug, Clone)]
pub struct Fresh {
    pub kind: Kind,
    pub url: String,
    pub dir: PathBuf,
    /// Postgres: the server URL it was created through, and its name.
    created_on: Option<(String, String)>,
}

fn random_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// `url` with its database name replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> Result<String, String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").ok_or("not a URL")? + 3;
    let server = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    Ok(match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    })
}

/// A fresh database: a new `scriptorium_bench_<random>` on the PostgreSQL server of
/// `url`, or (for SQLite or no URL) a new file in a temporary folder.
pub async fn fresh(url: Option<&str>) -> Result<Fresh, String> {
    let suffix = random_suffix();
    let dir = std::env::temp_dir().join(format!("scriptorium-bench-{suffix}"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    match url {
        Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
            let name = format!("scriptorium_bench_{suffix}");
            let mut conn = sqlx::PgConnection::connect(u)
                .await
                .map_err(|e| format!("cannot connect to {}: {e}", redact(u)))?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .map_err(|e| format!("cannot create the database {name}: {e}"))?;
            let _ = conn.close().await;
            Ok(Fresh {
                kind: Kind::Postgres,
                url: with_database(u, &name)?,
                dir,
                created_on: Some((u.to_string(), name)),
            })
        }
        Some(u) if !u.starts_with("sqlite:") => Err(format!(
            "--database-url must start with postgres:// or sqlite:, got {:?}",
            redact(u)
        )),
        _ => Ok(Fresh {
            kind: Kind::Sqlite,
            url: format!("sqlite://{}", dir.join("bench.db").display()),
            dir,
            created_on: None,
        }),
    }
}

impl Fresh {
    /// Drops the database and removes the temporary folder.
    pub async fn remove(&self) -> Result<(), String> {
        if let Some((server, name)) = &self.created_on {
            let mut conn = sqlx::PgConnection::connect(server)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .map_err(|e| format!("cannot drop {name}: {e}"))?;
            let _ = conn.close().await;
        }
        std::fs::remove_dir_all(&self.dir)
            .map_err(|e| format!("cannot remove {}: {e}", self.dir.display()))
    }

    /// The database's name (Postgres) or file (SQLite), for the report.
    pub fn describe(&self) -> String {
        match &self.created_on {
            Some((_, name)) => name.clone(),
            None => self.url.clone(),
        }
    }
}

/// A database URL fit for output (no password).
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// The bench's own connections.
#[derive(Clone)]
pub enum Pool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// A place in the service's feed: `(tx, position)` on Postgres, `(0, position)` on SQLite.
pub type Cursor = (i64, i64);

impl Pool {
    /// Up to `max` connections. SQLite gets the service's settings (WAL, synchronous
    /// NORMAL, 10 s busy timeout).
    pub async fn connect(fresh: &Fresh, max: u32) -> Result<Pool, String> {
        let err = |e: sqlx::Error| format!("cannot connect to {}: {e}", redact(&fresh.url));
        Ok(match fresh.kind {
            Kind::Postgres => Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(max)
                    .acquire_timeout(Duration::from_secs(30))
                    // As the service's pool: no ping round trip before each use.
                    .test_before_acquire(false)
                    .connect(&fresh.url)
                    .await
                    .map_err(err)?,
            ),
            Kind::Sqlite => {
                let opts = SqliteConnectOptions::from_str(&fresh.url)
                    .map_err(err)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10));
                Pool::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(Duration::from_secs(30))
                        .connect_with(opts)
                        .await
                        .map_err(err)?,
                )
            }
        })
    }

    pub async fn close(&self) {
        match self {
            Pool::Postgres(p) => p.close().await,
            Pool::Sqlite(p) => p.close().await,
        }
    }

    pub async fn execute(&self, sql: &str) -> Result<(), String> {
        let r = match self {
            Pool::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
            Pool::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        };
        r.map_err(|e| format!("{sql}: {e}"))
    }

    /// Runs a query returning one row of integers.
    async fn ints(&self, sql: &str, n: usize) -> Result<Option<Vec<i64>>, String> {
        let read =
            |r: &dyn Fn(usize) -> Result<i64, sqlx::Error>| -> Result<Vec<i64>, sqlx::Error> {
                (0..n).map(r).collect()
            };
        let out = match self {
            Pool::Postgres(p) => match sqlx::query(sql).fetch_optional(p).await {
                Ok(Some(row)) => read(&|i| row.try_get::<i64, _>(i)).map(Some),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            },
            Pool::Sqlite(p) => match sqlx::query(sql).fetch_optional(p).await {
                Ok(Some(row)) => read(&|i| row.try_get::<i64, _>(i)).map(Some),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            },
        };
        out.map_err(|e| format!("{sql}: {e}"))
    }

    pub async fn version(&self) -> String {
        let r = match self {
            Pool::Postgres(p) => sqlx::query_scalar::<_, String>("SELECT version()")
                .fetch_one(p)
                .await
                .map(|v| v.split(" on ").next().unwrap_or(&v).to_string()),
            Pool::Sqlite(p) => sqlx::query_scalar::<_, String>("SELECT sqlite_version()")
                .fetch_one(p)
                .await
                .map(|v| format!("SQLite {v}")),
        };
        r.unwrap_or_else(|e| format!("unknown ({e})"))
    }

    /// PostgreSQL: the process ids of the other backends connected to this database
    /// (empty on SQLite, or when they cannot be read).
    pub async fn backend_pids(&self) -> Vec<u32> {
        match self {
            Pool::Postgres(p) => sqlx::query_scalar::<_, i32>(
                "SELECT pid FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .fetch_all(p)
            .await
            .map(|v| {
                v.into_iter()
                    .filter_map(|p| u32::try_from(p).ok())
                    .collect()
            })
            .unwrap_or_default(),
            Pool::Sqlite(_) => Vec::new(),
        }
    }

    /// The size of the whole database in bytes.
    pub async fn size(&self) -> Result<i64, String> {
        let sql = match self {
            Pool::Postgres(_) => "SELECT pg_database_size(current_database())",
            Pool::Sqlite(_) => {
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            }
        };
        Ok(self.ints(sql, 1).await?.map(|v| v[0]).unwrap_or(0))
    }

    /// Postgres: transactions holding a transaction id (writers) open elsewhere on the
    /// cluster — in other databases, and autovacuum workers (anywhere). They hold the
    /// service's feed horizon back (decision 002). `None` on SQLite.
    pub async fn other_writers(&self) -> Option<(i64, i64)> {
        match self {
            Pool::Postgres(_) => self
                .ints(
                    "SELECT COUNT(*) FILTER (WHERE datname IS DISTINCT FROM current_database()), \
                            COUNT(*) FILTER (WHERE backend_type = 'autovacuum worker') \
                     FROM pg_stat_activity WHERE backend_xid IS NOT NULL",
                    2,
                )
                .await
                .ok()
                .flatten()
                .map(|v| (v[0], v[1])),
            Pool::Sqlite(_) => None,
        }
    }

    /// Postgres: scans per table since the database was made, as JSON.
    pub async fn table_scans(&self) -> Option<serde_json::Value> {
        let Pool::Postgres(p) = self else {
            return None;
        };
        sqlx::query_scalar::<_, serde_json::Value>(
            "SELECT COALESCE(json_agg(t ORDER BY t.seq_tup_read DESC), '[]'::json) FROM \
             (SELECT relname AS table, seq_scan, seq_tup_read, idx_scan, n_live_tup \
              FROM pg_stat_user_tables) t",
        )
        .fetch_one(p)
        .await
        .ok()
    }

    /// How many events the log holds.
    pub async fn event_count(&self) -> Result<i64, String> {
        Ok(self
            .ints("SELECT COUNT(*) FROM events", 1)
            .await?
            .map(|v| v[0])
            .unwrap_or(0))
    }

    /// The last event of the feed (as the service's feed orders it).
    pub async fn head(&self) -> Result<Cursor, String> {
        let sql = match self {
            Pool::Postgres(_) => {
                "SELECT tx_id::text::bigint, position FROM events ORDER BY tx_id DESC, position DESC LIMIT 1"
            }
            Pool::Sqlite(_) => "SELECT 0, position FROM events ORDER BY position DESC LIMIT 1",
        };
        Ok(self
            .ints(sql, 2)
            .await?
            .map(|v| (v[0], v[1]))
            .unwrap_or((0, 0)))
    }

    /// Where the service's projection runner ("main") stands.
    pub async fn checkpoint(&self) -> Result<Cursor, String> {
        Ok(self
            .ints(
                "SELECT tx, position FROM projection_checkpoints WHERE name = 'main'",
                2,
            )
            .await?
            .map(|v| (v[0], v[1]))
            .unwrap_or((0, 0)))
    }

    /// Takes the next `count` order numbers (the service is stopped meanwhile); returns the first.
    pub async fn take_order_numbers(&self, count: i64) -> Result<i64, String> {
        match self {
            Pool::Postgres(_) => {
                let first = self
                    .ints("SELECT nextval('order_numbers')", 1)
                    .await?
                    .map(|v| v[0])
                    .ok_or("no order number")?;
                let last = first + count - 1;
                self.ints(&format!("SELECT setval('order_numbers', {last})"), 1)
                    .await?;
                Ok(first)
            }
            Pool::Sqlite(_) => {
                let last = self
                    .ints("SELECT last FROM order_numbers WHERE id = 1", 1)
                    .await?
                    .map(|v| v[0])
                    .ok_or("no order number row")?;
                self.execute(&format!(
                    "UPDATE order_numbers SET last = {} WHERE id = 1",
                    last + count
                ))
                .await?;
                Ok(last + 1)
            }
        }
    }
}
