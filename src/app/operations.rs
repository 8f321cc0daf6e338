//! How the service is doing, for `GET /readyz` and `GET /metrics` (decision 029): how far
//! the projections are behind the log and what waits in the mail outbox, measured on the
//! service's clock.

use chrono::{DateTime, Utc};
use projections::feed;

use super::{App, AppError};

/// How far the projections are behind the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectionLag {
    /// The runner's checkpoint (stored, or this process's when further on).
    pub checkpoint: projections::Cursor,
    /// Log positions between the checkpoint and the last committed event.
    pub events: i64,
    /// The age of the oldest committed event the projections have not applied
    /// (0 when they are caught up), in seconds.
    pub seconds: i64,
}

/// What waits in the mail outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxBacklog {
    pub pending: i64,
    pub failed: i64,
    /// How long the longest-due pending mail has waited past its due time, in seconds
    /// (0 with none due).
    pub oldest_due_seconds: i64,
}

impl App {
    /// The projections' lag now. The age is the oldest committed unapplied event's own
    /// time (its metadata's `at`, from the service's clock) against the clock now, whether
    /// or not a running transaction keeps it from the projections yet.
    pub async fn projection_lag(&self) -> Result<ProjectionLag, AppError> {
        let checkpoint = self.projector.stored_checkpoint().await?;
        let head = feed::committed_head(&self.db).await?;
        let events = head.map_or(0, |h| (h.position - checkpoint.position).max(0));
        let oldest = feed::first_committed_after(&self.db, checkpoint).await?;
        let seconds = oldest
            .as_ref()
            .map_or(0, |e| (self.clock.now() - e.meta.at).num_seconds().max(0));
        Ok(ProjectionLag {
            checkpoint,
            events,
            seconds,
        })
    }

    /// The outbox's pending and failed mails, and how overdue the oldest pending one is.
    pub async fn outbox_backlog(&self) -> Result<OutboxBacklog, AppError> {
        let rows = self
            .db
            .fetch_all(
                "SELECT status, COUNT(*) AS n, MIN(next_attempt_at) AS due FROM mail_outbox \
                 WHERE status IN ('pending', 'failed') GROUP BY status",
                &[],
            )
            .await?;
        let mut backlog = OutboxBacklog {
            pending: 0,
            failed: 0,
            oldest_due_seconds: 0,
        };
        for r in rows {
            match r.text("status")?.as_str() {
                "pending" => {
                    backlog.pending = r.int("n")?;
                    let due = r
                        .opt_text("due")?
                        .and_then(|d| DateTime::parse_from_rfc3339(&d).ok())
                        .map(|d| d.with_timezone(&Utc));
                    if let Some(due) = due {
                        backlog.oldest_due_seconds = (self.clock.now() - due).num_seconds().max(0);
                    }
                }
                _ => backlog.failed = r.int("n")?,
            }
        }
        Ok(backlog)
    }
}
