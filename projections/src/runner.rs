//! Feeds projections from the global log. Each batch of events is applied to every
//! projection of the runner, and the runner's checkpoint is moved, in one transaction:
//! a crash loses nothing and applies nothing twice.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{watch, Notify};

use crate::feed::{self, Cursor, StoredEvent};
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

/// A read model folded from the log.
#[async_trait]
pub trait Projection: Send + Sync {
    /// The tables this projection owns (for replay and verification).
    fn tables(&self) -> &'static [&'static str];
    /// Folds one event into the read model, inside the runner's transaction.
    async fn apply(&self, tx: &mut Tx, event: &StoredEvent) -> Result<(), ProjectionError>;
}

/// Events read per transaction.
pub const BATCH: i64 = 500;

/// A named group of projections sharing one checkpoint, applied in list order (so a
/// later projection may read what an earlier one wrote for the same event).
pub struct Runner {
    db: Db,
    name: String,
    projections: Vec<Box<dyn Projection>>,
    wake: Arc<Notify>,
    progress: watch::Sender<Cursor>,
}

/// What the rest of the service holds of a runner: a way to wake it and to wait for it.
#[derive(Clone)]
pub struct RunnerHandle {
    wake: Arc<Notify>,
    progress: watch::Receiver<Cursor>,
}

impl RunnerHandle {
    /// Asks the runner to look for new events now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The runner's checkpoint as last seen by this process.
    pub fn checkpoint(&self) -> Cursor {
        *self.progress.borrow()
    }

    /// Waits until the runner has applied everything up to `cursor`, or `timeout` passes.
    /// Returns whether it got there.
    pub async fn wait_for(&self, cursor: Cursor, timeout: Duration) -> bool {
        self.wake();
        let mut rx = self.progress.clone();
        tokio::time::timeout(timeout, rx.wait_for(|c| *c >= cursor))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

impl Runner {
    pub fn new(db: Db, name: &str, projections: Vec<Box<dyn Projection>>) -> Runner {
        let (progress, _) = watch::channel(Cursor::default());
        Runner {
            db,
            name: name.to_string(),
            projections,
            wake: Arc::new(Notify::new()),
            progress,
        }
    }

    pub fn handle(&self) -> RunnerHandle {
        RunnerHandle {
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

    /// Applies the next batch after the stored checkpoint; returns how many events it applied.
    pub async fn run_once(&self) -> Result<usize, ProjectionError> {
        let from = Self::load_checkpoint(&self.db, &self.name).await?;
        self.progress.send_if_modified(|c| {
            let moved = from > *c;
            if moved {
                *c = from;
            }
            moved
        });
        let batch = feed::read_after(&self.db, from, BATCH).await?;
        let Some(last) = batch.last() else {
            return Ok(0);
        };
        let to = last.cursor;
        let mut tx = self.db.begin().await?;
        for ev in &batch {
            for p in &self.projections {
                p.apply(&mut tx, ev).await?;
            }
        }
        // The checkpoint only moves forward, even with two runners racing.
        tx.execute(
            "INSERT INTO projection_checkpoints (name, tx, position, updated_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET tx = excluded.tx, position = excluded.position, \
               updated_at = excluded.updated_at \
             WHERE (projection_checkpoints.tx, projection_checkpoints.position) < (excluded.tx, excluded.position)",
            &crate::args![self.name.as_str(), to.tx, to.position, last.meta.at.to_rfc3339()],
        )
        .await?;
        tx.commit().await?;
        self.progress.send_replace(to);
        Ok(batch.len())
    }

    /// Applies batches until the log is exhausted; returns the number of events applied.
    pub async fn catch_up(&self) -> Result<usize, ProjectionError> {
        let mut total = 0;
        loop {
            let n = self.run_once().await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    /// Runs until `shutdown` fires: applies what is new, then sleeps until woken or `poll`.
    pub async fn run(self, poll: Duration, mut shutdown: watch::Receiver<bool>) {
        let mut failures = 0u32;
        loop {
            if *shutdown.borrow() {
                return;
            }
            let pause = match self.run_once().await {
                Ok(n) if n > 0 => {
                    failures = 0;
                    continue;
                }
                Ok(_) => poll,
                Err(e) => {
                    failures += 1;
                    tracing::error!(runner = %self.name, error = %e, failures, "projection batch failed; retrying");
                    poll * failures.min(20)
                }
            };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
