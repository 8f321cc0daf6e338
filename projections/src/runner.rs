//! Feeds projections from the global log. Each batch of events is applied to every
//! projection of the runner, and the runner's checkpoint is moved, in one transaction:
//! a crash loses nothing and applies nothing twice.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{watch, Notify};

use crate::feed::{self, Cursor, StoredEvent};
use crate::leader::{Leadership, FOLLOWER_RETRY};
use crate::sql::{Db, Tx};

/// Why a projection could not apply an event. The runner retries; it never skips.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error("event {event_type} at position {position} cannot be decoded: {source}")]
    Decode {
        event_type: String,
        position: i64,
        source: serde_json::Error,
    },
}

impl ProjectionError {
    pub fn decode(ev: &StoredEvent, source: serde_json::Error) -> Self {
        ProjectionError::Decode {
            event_type: ev.event_type.clone(),
            position: ev.cursor.position,
            source,
        }
    }
}

/// Events of one aggregate type that a projection reads, and the Rust type it decodes
/// their payloads as: what lets a reader decode a batch ahead of the projections
/// ([`crate::Decoders`]) without a list of its own.
#[derive(Clone, Copy)]
pub struct Reads {
    pub aggregate_type: &'static str,
    decode_ahead: fn(&StoredEvent),
}

impl Reads {
    /// Events of `aggregate_type`, decoded as `E`.
    pub const fn of<E>(aggregate_type: &'static str) -> Reads
    where
        E: serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
    {
        Reads {
            aggregate_type,
            decode_ahead: StoredEvent::decode_ahead::<E>,
        }
    }

    /// Whether `ev` is one of these events.
    pub fn matches(&self, ev: &StoredEvent) -> bool {
        ev.aggregate_type == self.aggregate_type
    }

    /// Decodes `ev`'s payload now, for the projection's later [`StoredEvent::decode`].
    pub fn decode_ahead(&self, ev: &StoredEvent) {
        (self.decode_ahead)(ev)
    }
}

impl std::fmt::Debug for Reads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reads({})", self.aggregate_type)
    }
}

/// A read model folded from the log. Everything the runner, the replay and the
/// verification need to know of it is declared here, so that a new projection is its own
/// file plus one line in [`crate::all`].
#[async_trait]
pub trait Projection: Send + Sync {
    /// A short name, for logs and timings.
    fn name(&self) -> &'static str;
    /// The events it reads (every other event of a batch it skips).
    fn reads(&self) -> &'static [Reads];
    /// The tables this projection owns (for replay and verification).
    fn tables(&self) -> &'static [&'static str];
    /// Folds a batch of events (in feed order) into the read model, inside the runner's
    /// transaction.
    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError>;

    /// Tables of [`Projection::tables`] that get at most one new row per event, are never
    /// read, updated or deleted by the projection, and whose unique keys only guard
    /// against an event applied twice. A fresh load ([`Tx::set_fresh`]) writes them
    /// without `ON CONFLICT`, so a rebuild loads them without any index (built once the
    /// rows are in).
    fn insert_only_tables(&self) -> &'static [&'static str] {
        &[]
    }

    /// Tables of [`Projection::tables`] whose queries filter and sort on more than their
    /// keys: a replay's swap gathers their planner statistics first (the others are read
    /// by key; autovacuum analyzes every new table within a minute or so).
    fn analyzed_tables(&self) -> &'static [&'static str] {
        &[]
    }

    /// Indexes (besides the unique ones, which `ON CONFLICT` needs) that the projection's
    /// own queries look rows up by while it applies events: a rebuild keeps them while it
    /// loads and builds every other index once the rows are in.
    fn indexes_used_while_applying(&self) -> &'static [&'static str] {
        &[]
    }
}

/// Events read per transaction.
pub const BATCH: i64 = 500;

/// A named group of projections sharing one checkpoint. Each batch goes through the
/// projections in list order: a projection may read what an earlier one wrote for the
/// whole batch, or what a later one had written before it.
pub struct Runner {
    db: Db,
    name: String,
    batch: i64,
    projections: Vec<Box<dyn Projection>>,
    wake: Arc<Notify>,
    progress: watch::Sender<Cursor>,
}

/// What the rest of the service holds of a runner: a way to wake it and to wait for it.
#[derive(Clone)]
pub struct RunnerHandle {
    db: Db,
    name: String,
    wake: Arc<Notify>,
    progress: watch::Receiver<Cursor>,
}

/// How often a waiting request looks at the stored checkpoint (the runner may be in
/// another instance of the service).
const WAIT_POLL: Duration = Duration::from_millis(20);

impl RunnerHandle {
    /// Asks the runner to look for new events now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The runner's checkpoint as last seen by this process.
    pub fn checkpoint(&self) -> Cursor {
        *self.progress.borrow()
    }

    /// The runner's checkpoint as stored (by whichever instance runs it), or as last
    /// seen by this process when that is further on.
    pub async fn stored_checkpoint(&self) -> Result<Cursor, sqlx::Error> {
        let stored = Runner::load_checkpoint(&self.db, &self.name).await?;
        Ok(stored.max(self.checkpoint()))
    }

    /// Waits until the runner (here or in another instance) has applied everything up to
    /// `cursor`, or `timeout` passes. Returns whether it got there.
    pub async fn wait_for(&self, cursor: Cursor, timeout: Duration) -> bool {
        let mut rx = self.progress.clone();
        if *rx.borrow_and_update() >= cursor {
            return true;
        }
        self.wake();
        let wait = async {
            loop {
                if *rx.borrow_and_update() >= cursor {
                    return;
                }
                tokio::select! {
                    changed = rx.changed() => {
                        if changed.is_err() {
                            tokio::time::sleep(WAIT_POLL).await;
                        }
                    }
                    _ = tokio::time::sleep(WAIT_POLL) => {
                        if Runner::load_checkpoint(&self.db, &self.name).await.is_ok_and(|c| c >= cursor) {
                            return;
                        }
                        // The runner may have looked too early (the event above the
                        // transaction horizon) and gone back to sleep: wake it again.
                        self.wake();
                    }
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }
}

impl Runner {
    pub fn new(db: Db, name: &str, projections: Vec<Box<dyn Projection>>) -> Runner {
        let (progress, _) = watch::channel(Cursor::default());
        Runner {
            db,
            name: name.to_string(),
            batch: BATCH,
            projections,
            wake: Arc::new(Notify::new()),
            progress,
        }
    }

    /// Reads (and applies) up to `events` events per transaction: larger batches suit a
    /// rebuild, smaller ones keep a live runner's transactions short.
    pub fn with_batch(mut self, events: i64) -> Runner {
        self.batch = events.max(1);
        self
    }

    pub fn handle(&self) -> RunnerHandle {
        RunnerHandle {
            db: self.db.clone(),
            name: self.name.clone(),
            wake: self.wake.clone(),
            progress: self.progress.subscribe(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every table of every projection of this runner.
    pub fn tables(&self) -> Vec<&'static str> {
        self.projections
            .iter()
            .flat_map(|p| p.tables().iter().copied())
            .collect()
    }

    /// The stored checkpoint of a runner (the start of the log when it never ran).
    pub async fn load_checkpoint(db: &Db, name: &str) -> Result<Cursor, sqlx::Error> {
        let row = db
            .fetch_optional(
                "SELECT tx, position FROM projection_checkpoints WHERE name = $1",
                &crate::args![name],
            )
            .await?;
        Ok(match row {
            Some(r) => Cursor {
                tx: r.int("tx")?,
                position: r.int("position")?,
            },
            None => Cursor::default(),
        })
    }

    /// Locks the runner's checkpoint row for the transaction and reads it. Whoever holds
    /// it is the only one applying events or swapping tables until it commits.
    pub async fn lock_checkpoint(tx: &mut Tx, name: &str) -> Result<Cursor, sqlx::Error> {
        // One statement creates the row if need be, locks it and reads it.
        let row = tx
            .fetch_optional(
                "INSERT INTO projection_checkpoints (name, tx, position, updated_at) \
                 VALUES ($1, 0, 0, '') \
                 ON CONFLICT (name) DO UPDATE SET name = excluded.name \
                 RETURNING tx, position",
                &crate::args![name],
            )
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        Ok(Cursor {
            tx: row.int("tx")?,
            position: row.int("position")?,
        })
    }

    /// Moves the checkpoint forward (never back) inside the transaction that applied the events.
    pub async fn store_checkpoint(
        tx: &mut Tx,
        name: &str,
        to: Cursor,
        at: &str,
    ) -> Result<(), sqlx::Error> {
        tx.execute(
            "INSERT INTO projection_checkpoints (name, tx, position, updated_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET tx = excluded.tx, position = excluded.position, \
               updated_at = excluded.updated_at \
             WHERE (projection_checkpoints.tx, projection_checkpoints.position) < (excluded.tx, excluded.position)",
            &crate::args![name, to.tx, to.position, at],
        )
        .await?;
        Ok(())
    }

    fn publish(&self, c: Cursor) {
        self.progress.send_if_modified(|cur| {
            let moved = c > *cur;
            if moved {
                *cur = c;
            }
            moved
        });
    }

    /// Applies the next batch after the stored checkpoint (and not past `until`); returns
    /// how many events it applied.
    pub async fn run_once(&self, until: Option<Cursor>) -> Result<usize, ProjectionError> {
        self.apply_next(until, true, true).await
    }

    /// One batch; with `peek`, first a cheap look without locks (most idle polls find
    /// nothing new), else straight to the locked transaction (woken by a command).
    /// `catching_up`: a long run of full batches may follow (plans per batch).
    async fn apply_next(
        &self,
        until: Option<Cursor>,
        peek: bool,
        catching_up: bool,
    ) -> Result<usize, ProjectionError> {
        if peek {
            let seen = *self.progress.borrow();
            if feed::read_after(&self.db, seen, 1, until).await?.is_empty() {
                // Another instance may have moved the checkpoint: keep waiters informed.
                let stored = Self::load_checkpoint(&self.db, &self.name).await?;
                self.publish(stored);
                return Ok(0);
            }
        }
        let mut tx = self.db.begin_batch(catching_up).await?;
        let (from, batch) = feed::lock_and_read(&mut tx, &self.name, self.batch, until).await?;
        let Some(last) = batch.last() else {
            self.publish(from);
            return Ok(0);
        };
        let to = last.cursor;
        for p in &self.projections {
            p.apply(&mut tx, &batch).await?;
        }
        Self::store_checkpoint(&mut tx, &self.name, to, &last.meta.at.to_rfc3339()).await?;
        tx.commit().await?;
        self.publish(to);
        Ok(batch.len())
    }

    /// Applies batches until the log (up to `until`) is exhausted, reporting the running
    /// total to `progress` after each batch; returns the number of events applied.
    pub async fn catch_up(
        &self,
        until: Option<Cursor>,
        mut progress: impl FnMut(usize),
    ) -> Result<usize, ProjectionError> {
        let mut total = 0;
        loop {
            let n = self.run_once(until).await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
            progress(total);
        }
    }

    /// Runs until `shutdown` fires. On PostgreSQL only the instance holding the runner's
    /// advisory lock applies events; the others wait and take over when it goes away.
    pub async fn run(self, poll: Duration, mut shutdown: watch::Receiver<bool>) {
        let mut leader = Leadership::new(&self.db, &format!("runner:{}", self.name));
        let mut failures = 0u32;
        let mut woken = false;
        // Until a batch comes back short, assume a backlog.
        let mut catching_up = true;
        loop {
            if *shutdown.borrow() {
                return;
            }
            let pause = if !leader.hold().await {
                // A follower: keep the local view of the checkpoint fresh for waiting requests.
                if let Ok(c) = Self::load_checkpoint(&self.db, &self.name).await {
                    self.publish(c);
                }
                FOLLOWER_RETRY.min(poll * 4)
            } else {
                let applied = self
                    .apply_next(None, !std::mem::take(&mut woken), catching_up)
                    .await;
                if let Ok(n) = applied {
                    catching_up = n >= self.batch as usize;
                }
                match applied {
                    Ok(n) if n >= self.batch as usize => {
                        // Catching up: straight on to the next batch.
                        failures = 0;
                        woken = true;
                        continue;
                    }
                    Ok(n) if n > 0 => {
                        // Drained what was there; a command that appended since has
                        // woken us (its wait does), so no look is needed before sleeping.
                        failures = 0;
                        poll
                    }
                    Ok(_) => poll,
                    Err(e) => {
                        failures += 1;
                        tracing::error!(runner = %self.name, error = %e, failures, "projection batch failed; retrying");
                        poll * failures.min(20)
                    }
                }
            };
            tokio::select! {
                _ = self.wake.notified() => woken = true,
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
