//! The auditor's services: the global log in feed order.

use aggregates::Actor;
use projections::feed::{self, StoredEvent};
use projections::Cursor;

use super::policy::{self, Action};
use super::{App, AppError};

/// One page of the global log and where the next one starts.
#[derive(Debug, Clone)]
pub struct LogPage {
    pub events: Vec<StoredEvent>,
    pub next_after: i64,
}

impl App {
    /// Up to `limit` events of the log after the event at `after` (0: from the start),
    /// in feed order; `after` must name an event.
    pub async fn audit_log(
        &self,
        actor: &Actor,
        after: i64,
        limit: i64,
    ) -> Result<LogPage, AppError> {
        policy::authorize(actor, Action::ReadAuditLog)?;
        let cursor = self
            .cursor_at(after)
            .await?
            .ok_or_else(|| AppError::Invalid(format!("there is no event at position {after}")))?;
        let events = feed::read_after(&self.db, cursor, limit, None).await?;
        let next_after = events.last().map_or(after, |e| e.cursor.position);
        Ok(LogPage { events, next_after })
    }

    /// Recomputes the hash chain of one order's stream, as `scriptorium audit verify`
    /// does for the whole log: the events checked and the first broken link, if any.
    pub async fn check_order_chain(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
    ) -> Result<crate::audit::Report, AppError> {
        policy::authorize(actor, Action::ReadAuditLog)?;
        use cqrs_es::Aggregate;
        let events =
            feed::stream(&self.db, aggregates::order::Order::TYPE, &id.to_string()).await?;
        if events.is_empty() {
            return Err(AppError::NotFound);
        }
        let mut walker = crate::audit::Walker::default();
        for e in events {
            walker.push(crate::audit::RawEvent::stored(
                cqrs_es::persist::SerializedEvent::new(
                    e.aggregate_id,
                    usize::try_from(e.sequence).unwrap_or(usize::MAX),
                    e.aggregate_type,
                    e.event_type,
                    e.event_version,
                    e.payload,
                    e.metadata,
                ),
            ));
        }
        Ok(walker.finish())
    }

    /// The feed cursor of the event at `position`; the start of the log for 0.
    async fn cursor_at(&self, position: i64) -> Result<Option<Cursor>, AppError> {
        if position == 0 {
            return Ok(Some(Cursor::default()));
        }
        let sql = if self.db.is_postgres() {
            "SELECT tx_id::text::bigint AS tx, position FROM events WHERE position = $1"
        } else {
            "SELECT 0 AS tx, position FROM events WHERE position = $1"
        };
        let row = self
            .db
            .fetch_optional(sql, &projections::args![position])
            .await?;
        Ok(match row {
            Some(r) => Some(Cursor {
                tx: r.int("tx")?,
                position: r.int("position")?,
            }),
            None => None,
        })
    }
}
