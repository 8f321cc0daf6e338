//! Connecting to the database named by `DATABASE_URL` and migrating it.

use std::str::FromStr;
use std::time::Duration;

use projections::Db;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

static PG_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Opens the database: `postgres://…` or `sqlite://…` (the file and its folder are
/// created on first start). SQLite gets one writer connection and a few readers.
pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            // sqlx pings a connection on every acquire by default (a round trip per
            // statement); a broken connection fails its statement instead, and is dropped.
            .test_before_acquire(false)
            .connect(url)
            .await?;
        return Ok(Db::postgres(pool));
    }
    if !url.starts_with("sqlite:") {
        return Err(sqlx::Error::Configuration(
            format!("DATABASE_URL must start with postgres:// or sqlite://, got {url:?}").into(),
        ));
    }
    let opts = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    if let Some(dir) = opts.get_filename().parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        }
    }
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(opts.clone())
        .await?;
    let reader = SqlitePoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(opts.read_only(true))
        .await?;
    Ok(Db::Sqlite { writer, reader })
}

/// Applies the embedded migrations of the backend.
pub async fn migrate(db: &Db) -> Result<(), sqlx::migrate::MigrateError> {
    match db {
        Db::Postgres(pool, _) => PG_MIGRATIONS.run(pool).await,
        Db::Sqlite { writer, .. } => SQLITE_MIGRATIONS.run(writer).await,
    }
}
