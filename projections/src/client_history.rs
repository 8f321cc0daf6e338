//! The client's history of each of their orders: one row per change the client may see,
//! with the status it led to. Runs after the order list, whose row it reads.

use aggregates::order::OrderEvent;
use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError};
use crate::sql::{Db, Tx};

pub struct ClientHistoryProjection;

/// What the client is told about an event; `None` for internal steps they never see.
fn note(event: &OrderEvent) -> Option<Option<String>> {
    Some(match event {
        OrderEvent::RoutedToManager { .. }
        | OrderEvent::OfferDeclined { .. }
        | OrderEvent::OfferExpired { .. } => return None,
        OrderEvent::PriceSet { price, .. } => Some(format!("price {price} kopecks")),
        OrderEvent::PaymentReceived { half, amount, .. } => {
            Some(format!("{half:?} half paid: {amount} kopecks").to_lowercase())
        }
        OrderEvent::DraftRejected { comment }
        | OrderEvent::FinalRejected { comment }
        | OrderEvent::RevisionRequested { comment } => Some(comment.clone()),
        OrderEvent::OrderFailed { reason, .. } => Some(reason.clone()),
        OrderEvent::OrderCompleted { rating, .. } => rating.map(|r| format!("rated {r}")),
        _ => None,
    })
}

#[async_trait]
impl Projection for ClientHistoryProjection {
    fn tables(&self) -> &'static [&'static str] {
        &["client_order_history"]
    }

    async fn apply(&self, tx: &mut Tx, ev: &StoredEvent) -> Result<(), ProjectionError> {
        if ev.aggregate_type != "Order" {
            return Ok(());
        }
        let event: OrderEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
        let Some(note) = note(&event) else {
            return Ok(());
        };
        tx.execute(
            "INSERT INTO client_order_history (order_id, position, client_id, number, at, event, status, note) \
             SELECT id, $2, client_id, number, $3, $4, status, $5 FROM order_list WHERE id = $1 \
             ON CONFLICT (order_id, position) DO NOTHING",
            &crate::args![
                ev.aggregate_id.as_str(),
                ev.cursor.position,
                ev.meta.at.to_rfc3339(),
                ev.event_type.as_str(),
                note
            ],
        )
        .await?;
        Ok(())
    }
}

/// One entry of a client's order history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub at: String,
    pub event: String,
    pub status: String,
    pub note: Option<String>,
}

/// An order's history as its client sees it, oldest first.
pub async fn for_order(db: &Db, order_id: Uuid) -> Result<Vec<HistoryEntry>, sqlx::Error> {
    let rows = db
        .fetch_all(
            "SELECT at, event, status, note FROM client_order_history WHERE order_id = $1 ORDER BY position",
            &crate::args![order_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(HistoryEntry {
                at: r.text("at")?,
                event: r.text("event")?,
                status: r.text("status")?,
                note: r.opt_text("note")?,
            })
        })
        .collect()
}
