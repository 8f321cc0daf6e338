//! The client's history of each of their orders: one row per change the client may see,
//! with the status it led to. Runs before the order table applies a batch, and reads the
//! rows as they stood before it.

use std::collections::{HashMap, HashSet};

use aggregates::order::{OrderEvent, OrderStatus};
use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError};
use crate::sql::{Arg, Db, Tx};

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

/// What the history needs of an order to record an event.
struct Known {
    client_id: String,
    number: i64,
    status: OrderStatus,
}

#[async_trait]
impl Projection for ClientHistoryProjection {
    fn tables(&self) -> &'static [&'static str] {
        &["client_order_history"]
    }

    /// Runs before the order table applies the batch: each order's status is folded from
    /// its row as it stood before the batch, through every event of the batch.
    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        let mut decoded = Vec::new();
        for ev in events.iter().filter(|e| e.aggregate_type == "Order") {
            let event: OrderEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
            decoded.push((ev, event));
        }
        if decoded.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = decoded
            .iter()
            .map(|(ev, _)| ev.aggregate_id.as_str())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut known: HashMap<String, Known> = HashMap::new();
        for chunk in ids.chunks(500) {
            let args: Vec<Arg> = chunk.iter().map(|i| Arg::from(*i)).collect();
            let sql = format!(
                "SELECT id, client_id, number, status FROM order_list WHERE id IN ({})",
                tx.placeholders(chunk.len())
            );
            for r in tx.fetch_all(&sql, &args).await? {
                known.insert(
                    r.text("id")?,
                    Known {
                        client_id: r.text("client_id")?,
                        number: r.int("number")?,
                        status: OrderStatus::parse(&r.text("status")?).unwrap_or_default(),
                    },
                );
            }
        }
        let mut rows: Vec<Vec<Arg>> = Vec::new();
        for (ev, event) in &decoded {
            let id = ev.aggregate_id.as_str();
            if let OrderEvent::OrderPlaced {
                number, client_id, ..
            } = event
            {
                known.entry(id.to_string()).or_insert(Known {
                    client_id: client_id.to_string(),
                    number: *number,
                    status: OrderStatus::New,
                });
            }
            let Some(k) = known.get_mut(id) else {
                continue;
            };
            k.status = k.status.after(event);
            if let Some(note) = note(event) {
                rows.push(
                    crate::args![
                        id,
                        ev.cursor.position,
                        k.client_id.as_str(),
                        k.number,
                        ev.meta.at.to_rfc3339(),
                        ev.event_type.as_str(),
                        k.status.as_str(),
                        note
                    ]
                    .to_vec(),
                );
            }
        }
        tx.insert_rows(
            "INSERT INTO client_order_history (order_id, position, client_id, number, at, event, status, note)",
            "ON CONFLICT (order_id, position) DO NOTHING",
            &rows,
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
