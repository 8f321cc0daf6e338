//! The event store: one repository type over postgres-es and sqlite-es, so the whole
//! service has a single `CqrsFramework` type whatever `DATABASE_URL` says. Every event
//! it appends is sealed into its stream's hash chain (projections/src/chain.rs).

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cqrs_es::persist::{
    PersistedEventRepository, PersistedEventStore, PersistenceError, ReplayStream, SerializedEvent,
    SerializedSnapshot,
};
use cqrs_es::{Aggregate, CqrsFramework};
use postgres_es::PostgresEventRepository;
use serde_json::Value;
use sqlite_es::SqliteEventRepository;

use projections::{Cursor, Db};

use crate::chain;
use crate::commit::{AppendError, Committer, EventRow};

/// Either backend's event repository for reads; appends are ours (one statement that
/// also says where the events landed in the global log), sealed into their stream's hash
/// chain first.
pub struct Repo {
    backend: Backend,
    db: Db,
    /// Recently loaded or appended streams, whole, by (type, id): a command on a stream
    /// this process knows needs no read. A stream another process appended to since is
    /// caught at append by the unique (type, id, sequence) key, which forgets it here and
    /// makes the command retry on the stored state; a refusal decided on a remembered
    /// stream is checked again on the stored one (`App::execute`).
    streams: Arc<Mutex<Streams>>,
    /// A test's hook, awaited before every append (shared with clones): [`Repo::before_append`].
    hook: Arc<Mutex<Option<AppendHook>>>,
    /// The link (hash) of the last event this process appended to each stream, by (type,
    /// id): what the next append to it chains to when the stream itself is not remembered
    /// (a snapshotted aggregate's), so sealing it needs no read. Shared with clones.
    links: Arc<Mutex<HashMap<StreamKey, (usize, String)>>>,
    /// Where appends go: with those of every other repository sharing it, in batches
    /// (group commit, src/commit.rs).
    committer: Committer,
}

/// What a test runs before an append, given the sealed events about to be appended.
pub type AppendHook =
    Arc<dyn Fn(&[SerializedEvent]) -> futures::future::BoxFuture<'static, ()> + Send + Sync>;

/// The remembered streams, each with when it was last used: when full, the least recently
/// used one is forgotten. (Forgetting "any" key — the first in the map's order — forgot
/// the streams just remembered about half the time: the lowest buckets are where the
/// newest keys land once the old ones there are gone, so active orders were read again
/// from the store on ~1.4 loads per command.)
#[derive(Default)]
struct Streams {
    map: HashMap<StreamKey, (Arc<Vec<SerializedEvent>>, u64)>,
    clock: u64,
}

impl Streams {
    fn get(&mut self, key: &StreamKey) -> Option<Arc<Vec<SerializedEvent>>> {
        self.clock += 1;
        let now = self.clock;
        self.map.get_mut(key).map(|(s, used)| {
            *used = now;
            s.clone()
        })
    }

    /// Remembers `stream`, unless a longer one is remembered already: events never change
    /// once stored, so the longer is the newer (a slow read of the store must not replace
    /// what a command appended meanwhile — its answer is folded from this stream).
    fn insert(&mut self, key: StreamKey, stream: Arc<Vec<SerializedEvent>>) {
        self.clock += 1;
        if let Some((known, used)) = self.map.get_mut(&key) {
            *used = self.clock;
            if known.len() <= stream.len() {
                *known = stream;
            }
            return;
        }
        if self.map.len() >= STREAMS {
            let oldest = self
                .map
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(old) = oldest {
                self.map.remove(&old);
            }
        }
        self.map.insert(key, (stream, self.clock));
    }

    fn remove(&mut self, key: &StreamKey) {
        self.map.remove(key);
    }
}

/// A repository on the same store that shares what this one remembers.
impl Clone for Repo {
    fn clone(&self) -> Repo {
        Repo {
            streams: self.streams.clone(),
            hook: self.hook.clone(),
            links: self.links.clone(),
            ..Repo::with_committer(&self.db, &self.committer)
        }
    }
}

enum Backend {
    Postgres(PostgresEventRepository),
    Sqlite(SqliteEventRepository),
}

/// How many streams a repository remembers.
const STREAMS: usize = 512;

/// How many streams' last links a repository remembers.
const LINKS: usize = 4096;

tokio::task_local! {
    /// What the store did for the command being executed (set by `App::execute`).
    pub static COMMAND: CommandTrace;
}

/// What the store did for one command: where its events landed, whether its stream was
/// a remembered one, and whether the next load must read the store.
#[derive(Debug, Default)]
pub struct CommandTrace {
    pub appended: Cell<Option<Cursor>>,
    /// How many events it appended (for the metrics).
    pub events: Cell<usize>,
    pub remembered: Cell<bool>,
    pub reread: Cell<bool>,
}

/// The framework for one aggregate type.
pub type Cqrs<A> = CqrsFramework<A, PersistedEventStore<Repo, A>>;

type StreamKey = (String, String);

impl Repo {
    /// A repository on `db`'s events table, with a committer of its own.
    pub fn new(db: &Db) -> Repo {
        Repo::with_committer(db, &Committer::new(db))
    }

    /// A repository on `db`'s events table whose appends are committed by `committer`
    /// (shared by every repository of a service, so that concurrent commands on any
    /// aggregates are committed together).
    pub fn with_committer(db: &Db, committer: &Committer) -> Repo {
        let backend = match db {
            Db::Postgres(pool, _) => Backend::Postgres(PostgresEventRepository::new(pool.clone())),
            Db::Sqlite { writer, .. } => {
                Backend::Sqlite(SqliteEventRepository::new(writer.clone()))
            }
        };
        Repo {
            backend,
            db: db.clone(),
            streams: Arc::new(Mutex::new(Streams::default())),
            hook: Arc::new(Mutex::new(None)),
            links: Arc::new(Mutex::new(HashMap::new())),
            committer: committer.clone(),
        }
    }

    /// The committer this repository's appends go through.
    pub fn committer(&self) -> &Committer {
        &self.committer
    }

    /// A test hook: `hook` is awaited before every append by this repository and its
    /// clones, once the events are sealed (`None` removes it). Lets a test hold commands
    /// between their decision and their append, e.g. to make two of them race for one
    /// sequence.
    pub fn before_append(&self, hook: Option<AppendHook>) {
        *self.hook.lock().unwrap_or_else(|p| p.into_inner()) = hook;
    }

    fn streams(&self) -> std::sync::MutexGuard<'_, Streams> {
        self.streams.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn remembered(&self, key: &StreamKey) -> Option<Arc<Vec<SerializedEvent>>> {
        self.streams().get(key)
    }

    /// Remembers a whole stream, forgetting some other one when full.
    fn remember(&self, key: StreamKey, stream: Arc<Vec<SerializedEvent>>) {
        self.streams().insert(key, stream);
    }

    /// Remembers that a stream is new (its id was just made up here), so the first
    /// command on it needs no read.
    pub fn expect_new(&self, aggregate_type: &str, aggregate_id: &str) {
        self.remember(
            (aggregate_type.to_string(), aggregate_id.to_string()),
            Arc::new(Vec::new()),
        );
    }

    /// A whole stream: the remembered one (no copy), else read from the store.
    pub async fn stream<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Arc<Vec<SerializedEvent>>, PersistenceError> {
        let key = (A::TYPE.to_string(), aggregate_id.to_string());
        match self.remembered(&key) {
            Some(s) => Ok(s),
            None => Ok(Arc::new(self.get_events::<A>(aggregate_id).await?)),
        }
    }

    /// Forgets a stream: the next load reads it from the store.
    pub fn forget_stream<A: Aggregate>(&self, aggregate_id: &str) {
        self.forget(&(A::TYPE.to_string(), aggregate_id.to_string()));
    }

    fn forget(&self, key: &StreamKey) {
        self.streams().remove(key);
    }

    fn links(&self) -> std::sync::MutexGuard<'_, HashMap<StreamKey, (usize, String)>> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers the link of the event of `sequence`, the last appended to its stream.
    fn remember_link(&self, key: StreamKey, sequence: usize, link: String) {
        let mut links = self.links();
        if links.len() >= LINKS && !links.contains_key(&key) {
            // Any of them is cheap to read again: start over rather than keep an order.
            links.clear();
        }
        links.insert(key, (sequence, link));
    }

    /// The hash `event` must link to: [`chain::GENESIS`] for a stream's first event, else
    /// that of the event before it, from the remembered stream or read from the store.
    async fn prev_hash(&self, event: &SerializedEvent) -> Result<String, PersistenceError> {
        if event.sequence <= 1 {
            return Ok(chain::GENESIS.to_string());
        }
        let prev_sequence = event.sequence - 1;
        let key = (event.aggregate_type.clone(), event.aggregate_id.clone());
        if let Some(stream) = self.remembered(&key) {
            // Events never change once stored, so a remembered event of that very sequence holds.
            if let Some(prev) = stream.last().filter(|p| p.sequence == prev_sequence) {
                return Ok(chain::link_of(prev));
            }
        }
        if let Some((sequence, link)) = self.links().get(&key) {
            // The link of an event never changes once stored; a later event appended by
            // another process makes this append conflict, whatever it links to.
            if *sequence == prev_sequence {
                return Ok(link.clone());
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

    /// Appends one command's events through the committer (with other commands', in one
    /// transaction) and returns the cursor of the last of them in the global log.
    async fn append(&self, events: &[SerializedEvent]) -> Result<Option<Cursor>, AppendError> {
        let mut rows = Vec::with_capacity(events.len());
        for e in events {
            rows.push(EventRow {
                aggregate_type: e.aggregate_type.clone(),
                aggregate_id: e.aggregate_id.clone(),
                sequence: i64::try_from(e.sequence).map_err(|err| {
                    AppendError::Database(Arc::new(sqlx::Error::Encode(Box::new(err))))
                })?,
                event_type: e.event_type.clone(),
                event_version: e.event_version.clone(),
                payload: e.payload.to_string(),
                metadata: e.metadata.to_string(),
            });
        }
        self.committer.append(rows).await
    }
}

/// A framework for `A` on `repo`, in event-store mode (no snapshots: see the crate docs).
pub fn cqrs<A>(repo: Repo, services: A::Services) -> Cqrs<A>
where
    A: Aggregate + Send + Sync,
{
    CqrsFramework::new(PersistedEventStore::new_event_store(repo), vec![], services)
}

/// A unique violation on (aggregate, sequence) (`commit::is_unique_violation`) means a
/// concurrent append.
fn conflict_on_unique(err: PersistenceError) -> PersistenceError {
    if let PersistenceError::UnknownError(inner) = &err {
        if inner
            .downcast_ref::<sqlx::Error>()
            .is_some_and(crate::commit::is_unique_violation)
        {
            return PersistenceError::OptimisticLockError;
        }
    }
    err
}

impl PersistedEventRepository for Repo {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        let key = (A::TYPE.to_string(), aggregate_id.to_string());
        let reread = COMMAND.try_with(|t| t.reread.get()).unwrap_or(false);
        if !reread {
            if let Some(stream) = self.remembered(&key) {
                let _ = COMMAND.try_with(|t| t.remembered.set(true));
                return Ok(stream.as_ref().clone());
            }
        }
        let events = match &self.backend {
            Backend::Postgres(r) => r.get_events::<A>(aggregate_id).await,
            Backend::Sqlite(r) => r.get_events::<A>(aggregate_id).await,
        }?;
        if events.is_empty() {
            self.forget(&key);
        } else {
            self.remember(key, Arc::new(events.clone()));
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
        if snapshot_update.is_some() {
            // Snapshots are not used (see `cqrs`); should they be, the libraries write them.
            let sealed = self.seal(events).await?;
            return match &self.backend {
                Backend::Postgres(r) => r.persist::<A>(&sealed, snapshot_update).await,
                Backend::Sqlite(r) => r.persist::<A>(&sealed, snapshot_update).await,
            }
            .map_err(conflict_on_unique);
        }
        let Some(first) = events.first() else {
            return Ok(());
        };
        let key = (first.aggregate_type.clone(), first.aggregate_id.clone());
        let sealed = self.seal(events).await?;
        let hook = self.hook.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(hook) = hook {
            hook(&sealed).await;
        }
        let cursor = match self.append(&sealed).await {
            Ok(c) => c,
            Err(e) => {
                // Most likely somebody else appended first: what we remember is stale.
                self.forget(&key);
                self.links().remove(&key);
                return Err(match e {
                    AppendError::Conflict => PersistenceError::OptimisticLockError,
                    e => PersistenceError::UnknownError(Box::new(e)),
                });
            }
        };
        let _ = COMMAND.try_with(|t| {
            t.appended.set(cursor.max(t.appended.get()));
            t.events.set(t.events.get() + sealed.len());
        });
        let one_stream = sealed
            .iter()
            .all(|e| e.aggregate_type == key.0 && e.aggregate_id == key.1);
        if one_stream {
            if let Some(last) = sealed.last() {
                self.remember_link(key.clone(), last.sequence, chain::link_of(last));
            }
        }
        let known = self.remembered(&key);
        let stream = match known {
            Some(s) if one_stream && s.len() + 1 == first.sequence => {
                let mut s = s.as_ref().clone();
                s.extend(sealed);
                Some(s)
            }
            None if one_stream && first.sequence == 1 => Some(sealed),
            _ => None,
        };
        match stream {
            Some(s) => self.remember(key, Arc::new(s)),
            None => self.forget(&key),
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

/// A framework for `A` whose loads start from its latest snapshot ([`SnapshotStore`]).
pub type Snapshotted<A> = CqrsFramework<A, SnapshotStore<A>>;

/// An event store for aggregates of long streams (an author's account grows by an entry
/// per order): a command loads the aggregate's latest snapshot and only the events after
/// it, not the whole stream. The snapshot is the aggregate's state (`A: Serialize`) after a
/// commit, written once the events after the last one reach `every`, after the commit and
/// outside it: a failed or missing write costs a longer load, never a wrong state, since
/// the state as of a sequence is the same whoever writes it. cqrs-es's own snapshot mode
/// is not used: in 0.5 it applies a command's events a second time to the state it
/// snapshots (docs/decisions/016-author-ledger.md).
pub struct SnapshotStore<A: Aggregate + Send + Sync> {
    events: PersistedEventStore<Repo, A>,
    repo: Repo,
    db: Db,
    every: usize,
    version: &'static str,
    /// The state after this process's last commit on each aggregate, shared by clones: a
    /// command on an aggregate this process moved last needs no read at all. A command
    /// takes the state out (no copy) and its commit puts the new one back; a refused or
    /// failed command leaves nothing, so the next one reads the store. Another process's
    /// append since is caught by the append's unique key (the command retries on the
    /// stored state), and a refusal decided on a remembered state is decided again on
    /// the stored one (`App::execute`), as for remembered streams.
    states: Arc<Mutex<HashMap<String, Remembered<A>>>>,
}

/// An aggregate's state as of `sequence`, and the sequence of its latest snapshot.
struct Remembered<A> {
    state: A,
    sequence: usize,
    snapshot: usize,
}

/// How many aggregates' states a [`SnapshotStore`] remembers.
const STATES: usize = 1024;

impl<A: Aggregate + Send + Sync> Clone for SnapshotStore<A> {
    fn clone(&self) -> SnapshotStore<A> {
        SnapshotStore {
            events: PersistedEventStore::new_event_store(self.repo.clone()),
            repo: self.repo.clone(),
            db: self.db.clone(),
            every: self.every,
            version: self.version,
            states: self.states.clone(),
        }
    }
}

impl<A> SnapshotStore<A>
where
    A: Aggregate + Send + Sync + serde::Serialize + serde::de::DeserializeOwned,
{
    /// A store on `repo` snapshotting every `every` events. `version` names the shape of
    /// `A`'s state: change it when that shape changes, and older snapshots are ignored.
    pub fn new(repo: Repo, every: usize, version: &'static str) -> SnapshotStore<A> {
        SnapshotStore {
            events: PersistedEventStore::new_event_store(repo.clone()),
            db: repo.db.clone(),
            repo,
            every: every.max(1),
            version,
            states: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn states(&self) -> std::sync::MutexGuard<'_, HashMap<String, Remembered<A>>> {
        self.states.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps a command's resulting state, unless a later one is kept already (another
    /// command of this process loaded, committed and kept the next state while this one
    /// was writing its snapshot).
    fn remember(&self, aggregate_id: String, remembered: Remembered<A>) {
        let mut states = self.states();
        if states
            .get(&aggregate_id)
            .is_some_and(|known| known.sequence > remembered.sequence)
        {
            return;
        }
        if states.len() >= STATES && !states.contains_key(&aggregate_id) {
            states.clear();
        }
        states.insert(aggregate_id, remembered);
    }

    /// The aggregate's current state for a read: the remembered one (copied, and kept),
    /// else loaded from its snapshot and the events after it.
    pub async fn current(&self, aggregate_id: &str) -> Result<A, PersistenceError>
    where
        A: Clone,
    {
        if let Some(r) = self.states().get(aggregate_id) {
            return Ok(r.state.clone());
        }
        Ok(self.load_stored(aggregate_id).await?.state)
    }

    /// The aggregate's state as the store has it (its latest snapshot and the events after
    /// it), whatever this process remembers.
    pub async fn stored(&self, aggregate_id: &str) -> Result<A, PersistenceError> {
        Ok(self.load_stored(aggregate_id).await?.state)
    }

    /// Whether this process remembers the aggregate's state (a command on it reads nothing).
    pub fn remembers(&self, aggregate_id: &str) -> bool {
        self.states().contains_key(aggregate_id)
    }

    /// The state from the latest snapshot and the events after it, read from the store.
    async fn load_stored(&self, aggregate_id: &str) -> Result<Remembered<A>, PersistenceError> {
        let (mut state, mut sequence) = self.snapshot(aggregate_id).await?.unwrap_or_default();
        let snapshot = sequence;
        for serialized in self
            .repo
            .get_last_events::<A>(aggregate_id, sequence)
            .await?
        {
            let envelope = cqrs_es::EventEnvelope::<A>::try_from(serialized)?;
            sequence = envelope.sequence;
            state.apply(envelope.payload);
        }
        Ok(Remembered {
            state,
            sequence,
            snapshot,
        })
    }

    /// The latest snapshot of `aggregate_id` of this version: its state and sequence.
    async fn snapshot(&self, aggregate_id: &str) -> Result<Option<(A, usize)>, PersistenceError> {
        let unknown =
            |e: Box<dyn std::error::Error + Send + Sync>| PersistenceError::UnknownError(e);
        let row = self
            .db
            .fetch_optional(
                "SELECT sequence, state FROM aggregate_snapshots \
                 WHERE aggregate_type = $1 AND aggregate_id = $2 AND version = $3",
                &projections::args![A::TYPE, aggregate_id, self.version],
            )
            .await
            .map_err(|e| unknown(e.into()))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let sequence = row.int("sequence").map_err(|e| unknown(e.into()))?;
        let state = row.text("state").map_err(|e| unknown(e.into()))?;
        match serde_json::from_str::<A>(&state) {
            Ok(a) => Ok(Some((a, usize::try_from(sequence).unwrap_or(0)))),
            Err(e) => {
                tracing::warn!(aggregate = A::TYPE, id = aggregate_id, error = %e, "a snapshot does not decode: reading the whole stream");
                Ok(None)
            }
        }
    }

    /// Stores `state` as of `sequence`, unless a later snapshot is there already.
    async fn store_snapshot(
        &self,
        aggregate_id: &str,
        sequence: usize,
        state: &str,
    ) -> Result<(), sqlx::Error> {
        let sequence = i64::try_from(sequence).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        self.db
            .execute(
                "INSERT INTO aggregate_snapshots \
                 (aggregate_type, aggregate_id, sequence, version, state) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET \
                 sequence = excluded.sequence, version = excluded.version, state = excluded.state \
                 WHERE aggregate_snapshots.sequence < excluded.sequence \
                 OR aggregate_snapshots.version <> excluded.version",
                &projections::args![A::TYPE, aggregate_id, sequence, self.version, state],
            )
            .await?;
        Ok(())
    }
}

impl<A> cqrs_es::EventStore<A> for SnapshotStore<A>
where
    A: Aggregate + Send + Sync + serde::Serialize + serde::de::DeserializeOwned,
{
    type AC = cqrs_es::persist::EventStoreAggregateContext<A>;

    async fn load_events(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<cqrs_es::EventEnvelope<A>>, cqrs_es::AggregateError<A::Error>> {
        self.events.load_events(aggregate_id).await
    }

    async fn load_aggregate(
        &self,
        aggregate_id: &str,
    ) -> Result<Self::AC, cqrs_es::AggregateError<A::Error>> {
        let reread = COMMAND.try_with(|t| t.reread.get()).unwrap_or(false);
        let taken = if reread {
            self.states().remove(aggregate_id);
            None
        } else {
            self.states().remove(aggregate_id)
        };
        let r = match taken {
            Some(r) => {
                let _ = COMMAND.try_with(|t| t.remembered.set(true));
                r
            }
            None => self.load_stored(aggregate_id).await?,
        };
        Ok(cqrs_es::persist::EventStoreAggregateContext {
            aggregate_id: aggregate_id.to_string(),
            aggregate: r.state,
            current_sequence: r.sequence,
            current_snapshot: (r.snapshot > 0).then_some(r.snapshot),
        })
    }

    async fn commit(
        &self,
        events: Vec<A::Event>,
        mut context: Self::AC,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<cqrs_es::EventEnvelope<A>>, cqrs_es::AggregateError<A::Error>> {
        let id = context.aggregate_id.clone();
        let after = context.current_sequence + events.len();
        let since = context.current_snapshot.unwrap_or(0);
        // The context's state has the command's events applied once (cqrs-es's sink
        // applies each as the command writes it): the state as of `after`. The event
        // store's commit does not read it (no snapshots there), so it is kept for the next
        // command.
        let state = std::mem::take(&mut context.aggregate);
        // A snapshot is written when the next load from the store would otherwise read
        // `every` events or more after the snapshot (a stream older than its snapshots,
        // or one whose state changed shape, included).
        let snapshot = if !events.is_empty() && after - since >= self.every {
            Some(serde_json::to_string(&state).map_err(PersistenceError::from)?)
        } else {
            None
        };
        let committed = self.events.commit(events, context, metadata).await?;
        // Loads never read the whole stream: do not keep it in memory either.
        self.repo.forget_stream::<A>(&id);
        let mut latest = since;
        if let Some(snapshot) = snapshot {
            match self.store_snapshot(&id, after, &snapshot).await {
                Ok(()) => latest = after,
                Err(e) => {
                    tracing::warn!(aggregate = A::TYPE, id, error = %e, "cannot store a snapshot: later loads read more events")
                }
            }
        }
        self.remember(
            id,
            Remembered {
                state,
                sequence: after,
                snapshot: latest,
            },
        );
        Ok(committed)
    }
}

#[cfg(test)]
mod streams_tests {
    use super::*;

    fn key(i: usize) -> StreamKey {
        ("Order".to_string(), format!("order-{i}"))
    }

    #[test]
    fn the_least_recently_used_stream_is_forgotten_and_an_active_one_never_is() {
        let mut streams = Streams::default();
        for i in 0..STREAMS {
            streams.insert(key(i), Arc::new(Vec::new()));
        }
        let active = key(7);
        for i in STREAMS..STREAMS * 5 {
            assert!(
                streams.get(&active).is_some(),
                "forgot the active stream at {i}"
            );
            streams.insert(key(i), Arc::new(Vec::new()));
            assert_eq!(streams.map.len(), STREAMS);
        }
        // The survivors are the active stream and the most recent ones.
        assert!(streams.get(&active).is_some());
        assert!(streams.get(&key(STREAMS * 5 - 1)).is_some());
        assert!(streams.get(&key(STREAMS * 4 + 1)).is_some());
        assert!(streams.get(&key(STREAMS * 4)).is_none());
        assert!(streams.get(&key(0)).is_none());
    }

    #[test]
    fn a_shorter_copy_of_a_stream_never_replaces_a_longer_one() {
        let event = |sequence: usize| {
            SerializedEvent::new(
                "o-1".into(),
                sequence,
                "Order".into(),
                "OrderPlaced".into(),
                "1".into(),
                serde_json::json!({}),
                serde_json::json!({}),
            )
        };
        let mut streams = Streams::default();
        let key = key(1);
        // A command appended event 2 while a slower read of the store still saw only 1.
        streams.insert(key.clone(), Arc::new(vec![event(1), event(2)]));
        streams.insert(key.clone(), Arc::new(vec![event(1)]));
        assert_eq!(streams.get(&key).unwrap().len(), 2);
        streams.insert(key.clone(), Arc::new(vec![event(1), event(2), event(3)]));
        assert_eq!(streams.get(&key).unwrap().len(), 3);
    }
}
