//! The rating worker: the client's rating at completion and every rejected draft or final
//! move the author's rating (`docs/rating.md`). Reacts to the order events of the log from
//! its own checkpoint (`process:ratings`); each command is caused by its event and the
//! `Author` aggregate counts an order's rating, or a rejection (by its sequence), once, so
//! a reaction repeated after a crash changes nothing.

use std::time::Duration;

use aggregates::author::AuthorCommand;
use aggregates::order::{FileKind, OrderEvent};
use async_trait::async_trait;
use projections::StoredEvent;
use uuid::Uuid;

use super::log::{FromLog, Reactor};
use crate::app::{App, AppError, Ctx};

/// The order events that move a rating.
const REACTS_TO: [&str; 3] = ["OrderCompleted", "DraftRejected", "FinalRejected"];

/// Feeds client ratings and rejections to the authors' ratings.
pub struct Ratings;

/// The worker of the registry.
pub fn worker() -> FromLog<Ratings> {
    FromLog {
        reactor: Ratings,
        every: Duration::from_millis(500),
    }
}

#[async_trait]
impl Reactor for Ratings {
    fn name(&self) -> &'static str {
        "ratings"
    }

    fn reads(&self) -> &'static [&'static str] {
        &["Order"]
    }

    fn payloads_of(&self) -> Option<&'static [&'static str]> {
        Some(&REACTS_TO)
    }

    async fn react(&self, app: &App, ev: &StoredEvent) -> Result<(), AppError> {
        let at = ev.meta.at;
        if !REACTS_TO.contains(&ev.event_type.as_str()) {
            return Ok(());
        }
        let event: OrderEvent = ev.decode().map_err(AppError::infrastructure)?;
        let order_id: Uuid = ev
            .aggregate_id
            .parse()
            .map_err(|_| AppError::infrastructure("an order id that is not a UUID"))?;
        let cmd = match event {
            OrderEvent::OrderCompleted {
                rating: Some(stars),
                ..
            } => AuthorCommand::RecordClientRating {
                order_id,
                stars,
                at,
            },
            OrderEvent::DraftRejected { .. } | OrderEvent::FinalRejected { .. } => {
                let kind = if matches!(event, OrderEvent::DraftRejected { .. }) {
                    FileKind::Draft
                } else {
                    FileKind::Final
                };
                AuthorCommand::RecordRejection {
                    order_id,
                    kind,
                    sequence: u64::try_from(ev.sequence).unwrap_or(0),
                    at,
                }
            }
            _ => return Ok(()),
        };
        // The order's author never changes once they accepted it.
        let Some(author_id) = app.order_state(order_id).await?.author_id else {
            tracing::warn!(order = %order_id, "a rated or rejected order without an author");
            return Ok(());
        };
        let ctx = Ctx::system(&format!("ratings-{}", ev.cursor.position))
            .caused_by_event(ev.cursor.position);
        app.author(author_id, cmd, &ctx).await
    }
}
