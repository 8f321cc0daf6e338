//! The event store: one repository type over postgres-es and sqlite-es, so the whole
//! service has a single `CqrsFramework` type whatever `DATABASE_URL` says. Every event
//! it appends is sealed into its stream's hash chain (src/chain.rs).

use std::collections::HashMap;
use std::sync::Mutex;

use cqrs_es::persist::{
    PersistedEventRepository, PersistedEventStore, PersistenceError, ReplayStream, SerializedEvent,
    SerializedSnapshot,
};
use cqrs_es::{Aggregate, CqrsFramework};
use postgres_es::PostgresEventRepository;
use serde_json::Value;
use sqlite_es::SqliteEventRepository;

use projections::Db;

use crate::chain;

/// Either backend's event repository; every call is delegated, and appended events are
/// sealed into their stream's hash chain first.
pub struct Repo {
    backend: Backend,
    db: Db,
    /// The last event's (sequence, hash) of recently loaded streams, by (type, id).
    heads: Mutex<HashMap<(String, String), (usize, String)>>,
}

enum Backend {
    Postgres(PostgresEventRepository),
    Sqlite(SqliteEventRepository),
}

/// How many stream heads a repository remembers.
const HEADS: usize = 1024;

/// The framework for one aggregate type.
pub type Cqrs<A> = CqrsFramework<A, PersistedEventStore<Repo, A>>;

impl Repo {
    /// A repository on `db`'s events table.
    pub fn new(db: &Db) -> Repo {
        let backend = match db {
            Db::Postgres(pool) => Backend::Postgres(PostgresEventRepository::new(pool.clone())),
            Db::Sqlite { writer, .. } => {
                Backend::Sqlite(SqliteEventRepository::new(writer.clone()))
            }
        };
        Repo {
            backend,
            db: db.clone(),
            heads: Mutex::new(HashMap::new()),
        }
    }

    fn heads(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), (usize, String)>> {
        self.heads.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers the hash of a stream's last event, forgetting some other stream when full.
    fn remember(&self, event: &SerializedEvent, hash: String) {
        let mut heads = self.heads();
        let key = (event.aggregate_type.clone(), event.aggregate_id.clone());
        if heads.len() >= HEADS && !heads.contains_key(&key) {
            if let Some(old) = heads.keys().next().cloned() {
                heads.remove(&old);
            }
        }
        heads.insert(key, (event.sequence, hash));
    }

    /// The hash `event` must link to: [`chain::GENESIS`] for a stream's first event, else
    /// that of the event before it, remembered from the last load or read from the store.
    async fn prev_hash(&self, event: &SerializedEvent) -> Result<String, PersistenceError> {
        if event.sequence <= 1 {
            return Ok(chain::GENESIS.to_string());
        }
        let prev_sequence = event.sequence - 1;
        let key = (event.aggregate_type.clone(), event.aggregate_id.clone());
        if let Some((sequence, hash)) = self.heads().get(&key) {
            // Events never change once stored, so a remembered hash of that very sequence holds.
            if *sequence == prev_sequence {
                return Ok(hash.clone());
            }
        }
        let sql = if self.db.is_postgres() {
            "SELECT event_type, event_version, payload::text AS payload, metadata::text AS metadata \
             FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3"
        } else {
            "SELECT event_type, event_version, payload, metadata \
             FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3"
        };
        let unknown =
            |e: Box<dyn std::error::Error + Send + Sync>| PersistenceError::UnknownError(e);
        let row = self
            .db
            .fetch_optional(
                sql,
                &projections::args![
                    event.aggregate_type.as_str(),
                    event.aggregate_id.as_str(),
                    i64::try_from(prev_sequence).map_err(|e| unknown(e.into()))?
                ],
            )
            .await
            .map_err(|e| unknown(e.into()))?
            .ok_or_else(|| {
                unknown(
                    format!(
                        "{} {} has no event {prev_sequence} to chain event {} to",
                        event.aggregate_type, event.aggregate_id, event.sequence
                    )
                    .into(),
                )
            })?;
        let json = |col: &str| -> Result<Value, PersistenceError> {
            let text = row.text(col).map_err(|e| unknown(e.into()))?;
            serde_json::from_str(&text).map_err(PersistenceError::from)
        };
        let prev = SerializedEvent::new(
            event.aggregate_id.clone(),
            prev_sequence,
            event.aggregate_type.clone(),
            row.text("event_type").map_err(|e| unknown(e.into()))?,
            row.text("event_version").map_err(|e| unknown(e.into()))?,
            json("payload")?,
            json("metadata")?,
        );
        Ok(chain::link_of(&prev))
    }

    /// The events with `prev_hash` and `hash` in their metadata, chained to the store and
    /// to each other.
    async fn seal(
        &self,
        events: &[SerializedEvent],
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        let mut sealed: Vec<SerializedEvent> = Vec::with_capacity(events.len());
        let mut last_hash = String::new();
        for event in events {
            let prev = match sealed.last() {
                Some(before) if chain::follows(before, event) => last_hash.clone(),
                _ => self.prev_hash(event).await?,
            };
            let mut event = event.clone();
            last_hash = chain::seal(&mut event, &prev)
                .map_err(|e| PersistenceError::UnknownError(Box::new(e)))?;
            sealed.push(event);
        }
        Ok(sealed)
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
        let events = match &self.backend {
            Backend::Postgres(r) => r.get_events::<A>(aggregate_id).await,
            Backend::Sqlite(r) => r.get_events::<A>(aggregate_id).await,
        }?;
        if let Some(last) = events.last() {
            self.remember(last, chain::link_of(last));
        }
        Ok(events)
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        match &self.backend {
            Backend::Postgres(r) => r.get_last_events::<A>(aggregate_id, last_sequence).await,
            Backend::Sqlite(r) => r.get_last_events::<A>(aggregate_id, last_sequence).await,
        }
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        match &self.backend {
            Backend::Postgres(r) => r.get_snapshot::<A>(aggregate_id).await,
            Backend::Sqlite(r) => r.get_snapshot::<A>(aggregate_id).await,
        }
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        let sealed = self.seal(events).await?;
        match &self.backend {
            Backend::Postgres(r) => r.persist::<A>(&sealed, snapshot_update).await,
            Backend::Sqlite(r) => r.persist::<A>(&sealed, snapshot_update).await,
        }
        .map_err(conflict_on_unique)?;
        for (i, event) in sealed.iter().enumerate() {
            let next_follows = sealed.get(i + 1).is_some_and(|n| chain::follows(event, n));
            if !next_follows {
                self.remember(event, chain::link_of(event));
            }
        }
        Ok(())
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        match &self.backend {
            Backend::Postgres(r) => r.stream_events::<A>(aggregate_id).await,
            Backend::Sqlite(r) => r.stream_events::<A>(aggregate_id).await,
        }
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        match &self.backend {
            Backend::Postgres(r) => r.stream_all_events::<A>().await,
            Backend::Sqlite(r) => r.stream_all_events::<A>().await,
        }
    }
}
