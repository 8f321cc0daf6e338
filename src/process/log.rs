//! Workers that react to the events of the log (a mail outbox, a ledger credit): a
//! [`Reactor`] says what to do with one event, and [`FromLog`] makes it a [`Worker`] that
//! reads the log after a checkpoint of its own (a `projection_checkpoints` row named
//! `process:<name>`, never touched by a replay).
//!
//! The checkpoint moves after the reactions, not with them: after a crash an event may be
//! reacted to again, so a reaction must be one the aggregate accepts once (a command with
//! [`crate::app::Ctx::caused_by_event`]), or a row keyed by the event, inserted with
//! `ON CONFLICT DO NOTHING` (docs/decisions/006). A new reactor starts at the beginning
//! of the log.

use std::time::Duration;

use async_trait::async_trait;
use projections::{Runner, StoredEvent};
use tokio::sync::Notify;

use super::{Round, Worker};
use crate::app::{App, AppError};

/// Events read per round.
pub const BATCH: i64 = 100;

/// What a worker does with one event of the log.
#[async_trait]
pub trait Reactor: Send + Sync + 'static {
    /// As [`Worker::name`]; also names the checkpoint.
    fn name(&self) -> &'static str;

    /// The aggregate types whose events it reacts to; it never sees the others.
    fn reads(&self) -> &'static [&'static str];

    /// The event types whose payloads it reads, when only some: the others reach
    /// [`Reactor::react`] with a `null` payload, neither sent by the database nor parsed
    /// (a worker reacting to one event in ten reads a tenth of the log's bytes). `None`:
    /// every payload.
    fn payloads_of(&self) -> Option<&'static [&'static str]> {
        None
    }

    /// As [`Worker::wake`].
    fn wake<'a>(&self, _app: &'a App) -> Option<&'a Notify> {
        None
    }

    /// Reacts to one event. A refusal ([`AppError::is_refusal`]: no longer due) passes
    /// the event; a lost race ends the round, and the event is reacted to again in the
    /// next; any other error is the round's.
    async fn react(&self, app: &App, event: &StoredEvent) -> Result<(), AppError>;
}

/// A [`Reactor`] as a [`Worker`]: each round reacts to the next [`BATCH`] events after its
/// checkpoint, and moves the checkpoint past those it is done with.
pub struct FromLog<R> {
    pub reactor: R,
    /// The pause once it has caught up with the log.
    pub every: Duration,
}

impl<R: Reactor> FromLog<R> {
    /// The checkpoint's name.
    pub fn checkpoint(&self) -> String {
        format!("process:{}", self.reactor.name())
    }
}

#[async_trait]
impl<R: Reactor> Worker for FromLog<R> {
    fn name(&self) -> &'static str {
        self.reactor.name()
    }

    fn every(&self) -> Duration {
        self.every
    }

    fn wake<'a>(&self, app: &'a App) -> Option<&'a Notify> {
        self.reactor.wake(app)
    }

    async fn run_once(&self, app: &App) -> Result<Round, AppError> {
        let name = self.checkpoint();
        let from = Runner::load_checkpoint(&app.db, &name).await?;
        let batch = match self.reactor.payloads_of() {
            Some(types) => {
                projections::feed::read_after_with_payloads_of(&app.db, from, BATCH, types).await?
            }
            None => projections::feed::read_after(&app.db, from, BATCH, None).await?,
        };
        let reads = self.reactor.reads();
        let mut done = None;
        let mut handled = 0;
        let mut stopped = None;
        for ev in &batch {
            if reads.contains(&ev.aggregate_type.as_str()) {
                match self.reactor.react(app, ev).await {
                    Ok(()) => handled += 1,
                    Err(e) if e.is_refusal() => {
                        tracing::debug!(worker = self.name(), position = ev.cursor.position, reason = %e, "no longer due");
                    }
                    Err(AppError::LostRace(what)) => {
                        tracing::info!(
                            worker = self.name(),
                            position = ev.cursor.position,
                            what,
                            "lost a race; again next round"
                        );
                        stopped = Some(AppError::LostRace(what));
                        break;
                    }
                    Err(AppError::Behind) => {
                        tracing::info!(
                            worker = self.name(),
                            position = ev.cursor.position,
                            "the read models are behind; again next round"
                        );
                        stopped = Some(AppError::Behind);
                        break;
                    }
                    Err(e) => {
                        stopped = Some(e);
                        break;
                    }
                }
            }
            done = Some(ev);
        }
        if let Some(last) = done {
            let mut tx = app.db.begin().await?;
            Runner::store_checkpoint(&mut tx, &name, last.cursor, &last.meta.at.to_rfc3339())
                .await?;
            tx.commit().await?;
        }
        match stopped {
            Some(AppError::LostRace(_) | AppError::Behind) => Ok(Round {
                handled,
                more: false,
            }),
            Some(e) => Err(e),
            None => Ok(Round {
                handled,
                more: batch.len() as i64 >= BATCH,
            }),
        }
    }
}
