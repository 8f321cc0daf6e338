//! The event store: one repository type over postgres-es and sqlite-es, so the whole
//! service has a single `CqrsFramework` type whatever `DATABASE_URL` says.

use cqrs_es::persist::{
    PersistedEventRepository, PersistedEventStore, PersistenceError, ReplayStream, SerializedEvent,
    SerializedSnapshot,
};
use cqrs_es::{Aggregate, CqrsFramework};
use postgres_es::PostgresEventRepository;
use serde_json::Value;
use sqlite_es::SqliteEventRepository;

use projections::Db;

/// Either backend's event repository; every call is delegated.
pub enum Repo {
    Postgres(PostgresEventRepository),
    Sqlite(SqliteEventRepository),
}

/// The framework for one aggregate type.
pub type Cqrs<A> = CqrsFramework<A, PersistedEventStore<Repo, A>>;

impl Repo {
    pub fn new(db: &Db) -> Repo {
        match db {
            Db::Postgres(pool) => Repo::Postgres(PostgresEventRepository::new(pool.clone())),
            Db::Sqlite { writer, .. } => Repo::Sqlite(SqliteEventRepository::new(writer.clone())),
        }
    }
}

/// A framework for `A` on `db`, in event-store mode (no snapshots: see the crate docs).
pub fn cqrs<A>(db: &Db, services: A::Services) -> Cqrs<A>
where
    A: Aggregate + Send + Sync,
{
    CqrsFramework::new(
        PersistedEventStore::new_event_store(Repo::new(db)),
        vec![],
        services,
    )
}

/// Our SQLite table's uniqueness on (aggregate, sequence) is a UNIQUE constraint (code
/// 2067), not sqlite-es's primary key (1555): either means a concurrent append.
fn conflict_on_unique(err: PersistenceError) -> PersistenceError {
    if let PersistenceError::UnknownError(inner) = &err {
        if let Some(sqlx::Error::Database(db)) = inner.downcast_ref::<sqlx::Error>() {
            if matches!(
                db.code().as_deref(),
                Some("2067") | Some("1555") | Some("23505")
            ) {
                return PersistenceError::OptimisticLockError;
            }
        }
    }
    err
}

impl PersistedEventRepository for Repo {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        match self {
            Repo::Postgres(r) => r.get_events::<A>(aggregate_id).await,
            Repo::Sqlite(r) => r.get_events::<A>(aggregate_id).await,
        }
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        match self {
            Repo::Postgres(r) => r.get_last_events::<A>(aggregate_id, last_sequence).await,
            Repo::Sqlite(r) => r.get_last_events::<A>(aggregate_id, last_sequence).await,
        }
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        match self {
            Repo::Postgres(r) => r.get_snapshot::<A>(aggregate_id).await,
            Repo::Sqlite(r) => r.get_snapshot::<A>(aggregate_id).await,
        }
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        match self {
            Repo::Postgres(r) => r.persist::<A>(events, snapshot_update).await,
            Repo::Sqlite(r) => r.persist::<A>(events, snapshot_update).await,
        }
        .map_err(conflict_on_unique)
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        match self {
            Repo::Postgres(r) => r.stream_events::<A>(aggregate_id).await,
            Repo::Sqlite(r) => r.stream_events::<A>(aggregate_id).await,
        }
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        match self {
            Repo::Postgres(r) => r.stream_all_events::<A>().await,
            Repo::Sqlite(r) => r.stream_all_events::<A>().await,
        }
    }
}
