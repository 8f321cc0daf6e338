//! The client's history of each of their orders: one row per change the client may see,
//! with the status it led to. Written by the order table's projection
//! ([`crate::order_list`]) in the same pass, from the order rows as they stood before
//! each batch: one read of them serves both tables.

use std::collections::HashMap;

use aggregates::order::{OrderEvent, OrderStatus};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::feed::StoredEvent;
use crate::runner::ProjectionError;
use crate::sql::{Arg, Db, Tx};

/// What the client is told about an event; `None` for internal steps they never see.
fn note(event: &OrderEvent) -> Option<Option<String>> {
    Some(match event {
        OrderEvent::RoutedToManager { .. }
        | OrderEvent::OfferDeclined { .. }
        | OrderEvent::OfferExpired { .. }
        | OrderEvent::OfferWithdrawn { .. }
        | OrderEvent::ManagerReleased { .. }
        // The company's own watch over its time limits.
        | OrderEvent::ProblemFlagged { .. }
        // What the author is paid is between the company and the author.
        | OrderEvent::CompensationGranted { .. }
        // The conversation has its own list, where a held message shows to its sender only.
        | OrderEvent::MessagePosted { .. }
        | OrderEvent::MessageApproved { .. }
        | OrderEvent::MessageRejected { .. } => return None,
        OrderEvent::PriceSet { price, .. } => Some(format!("price {price} kopecks")),
        OrderEvent::PaymentReceived { half, amount, .. } => {
            Some(format!("{half:?} half paid: {amount} kopecks").to_lowercase())
        }
        OrderEvent::DraftRejected { comment }
        | OrderEvent::FinalRejected { comment }
        | OrderEvent::RevisionRequested { comment } => Some(comment.clone()),
        OrderEvent::OrderFailed { reason, .. } => Some(reason.clone()),
        OrderEvent::RefundRecorded { amount, reason, .. } => {
            Some(format!("refunded {amount} kopecks: {reason}"))
        }
        OrderEvent::OrderCompleted { rating, .. } => rating.map(|r| format!("rated {r}")),
        OrderEvent::OrderEdited { edits } => Some(
            edits
                .iter()
                .map(|e| {
                    let (old, new) = e.values();
                    format!("{}: {old} → {new}", e.field())
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        OrderEvent::DiscountGiven {
            old_price,
            price,
            reason,
            ..
        } => Some(format!("price {old_price} → {price} kopecks: {reason}")),
        OrderEvent::ExtraAdded {
            name,
            price,
            new_price,
            ..
        } => Some(match new_price {
            Some(p) => format!("extra added: {name}, {price} kopecks; price {p} kopecks"),
            None => format!("extra added: {name}, {price} kopecks"),
        }),
        OrderEvent::ExtraRemoved {
            name,
            price,
            new_price,
            ..
        } => Some(match new_price {
            Some(p) => format!("extra removed: {name}, {price} kopecks; price {p} kopecks"),
            None => format!("extra removed: {name}, {price} kopecks"),
        }),
        OrderEvent::DeadlineProposed { deadline } => {
            Some(format!("a new deadline proposed: {deadline}"))
        }
        OrderEvent::DeadlineMoved { old, new } => Some(format!("deadline {old} → {new}")),
        OrderEvent::DeadlineProposalDeclined { deadline } => {
            Some(format!("the proposed deadline {deadline} declined"))
        }
        OrderEvent::PointsApplied {
            points,
            first_half_due,
        } => Some(format!(
            "{points} points paid the first half, {first_half_due} kopecks left to pay"
        )),
        _ => None,
    })
}

/// What the history needs of an order to record an event: as it stood before the batch.
pub(crate) struct Known {
    pub client_id: String,
    pub number: i64,
    pub status: OrderStatus,
}

/// The history rows of a batch of order events (in feed order), given each order as it
/// stood before the batch (orders placed in the batch need not be there). The order
/// table's projection reads those rows anyway, and calls this before it folds them.
pub(crate) fn batch_rows(
    decoded: &[(&StoredEvent, OrderEvent)],
    mut known: HashMap<String, Known>,
) -> Vec<Vec<Arg>> {
    let mut rows: Vec<Vec<Arg>> = Vec::new();
    for (ev, event) in decoded {
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
    rows
}

/// Writes a batch's history rows (an event already recorded is left as it is; a fresh
/// load, which sees each event once, copies them in as they are: the table is
/// insert-only).
pub(crate) async fn write(tx: &mut Tx, rows: &[Vec<Arg>]) -> Result<(), ProjectionError> {
    const COLUMNS: &[&str] = &[
        "order_id",
        "position",
        "client_id",
        "number",
        "at",
        "event",
        "status",
        "note",
    ];
    if tx.fresh() {
        tx.copy_rows("client_order_history", COLUMNS, rows).await?;
    } else {
        tx.insert_rows(
            &format!("INSERT INTO client_order_history ({})", COLUMNS.join(", ")),
            "ON CONFLICT (order_id, position) DO NOTHING",
            rows,
        )
        .await?;
    }
    Ok(())
}

/// One entry of a client's order history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub event: String,
    pub status: OrderStatus,
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
                at: r.parsed("at")?,
                event: r.text("event")?,
                status: r.parsed("status")?,
                note: r.opt_text("note")?,
            })
        })
        .collect()
}
