//! The orders' conversations (`order_messages`): one row per message, as its
//! `MessagePosted` said, with where it stands now (visible, held for the manager,
//! rejected with a reason). Who may read which row is the access policy's business
//! (`src/app/messages.rs`); the table keeps everything, names excepted: there are none.

use aggregates::order::{MessageStatus, OrderEvent};
use async_trait::async_trait;
use uuid::Uuid;

use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError, Reads};
use crate::sql::{Db, Row, Tx};

pub struct MessagesProjection;

/// Order events, as the order's own event type.
const READS: Reads = Reads::of::<OrderEvent>("Order");

#[async_trait]
impl Projection for MessagesProjection {
    fn name(&self) -> &'static str {
        "messages"
    }

    fn reads(&self) -> &'static [Reads] {
        &[READS]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["order_messages"]
    }

    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        for ev in events.iter().filter(|e| {
            READS.matches(e)
                && matches!(
                    e.event_type.as_str(),
                    "MessagePosted" | "MessageApproved" | "MessageRejected"
                )
        }) {
            let event: OrderEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
            match event {
                OrderEvent::MessagePosted {
                    message_id,
                    by,
                    sender_id,
                    text,
                    held,
                    held_for,
                    at,
                } => {
                    let status = if held {
                        MessageStatus::Held
                    } else {
                        MessageStatus::Visible
                    };
                    tx.execute(
                        "INSERT INTO order_messages (message_id, order_id, position, at, by_role, \
                         sender_id, text, status, held_for, moderated_at, reason) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                         ON CONFLICT (message_id) DO NOTHING",
                        &crate::args![
                            message_id,
                            ev.aggregate_id.as_str(),
                            ev.cursor.position,
                            at.to_rfc3339(),
                            by.as_str(),
                            sender_id,
                            text,
                            status.as_str(),
                            held_for.map(|k| k.as_str().to_string()),
                            None::<String>,
                            None::<String>
                        ],
                    )
                    .await?;
                }
                OrderEvent::MessageApproved { message_id, at, .. } => {
                    tx.execute(
                        "UPDATE order_messages SET status = $1, moderated_at = $2 \
                         WHERE message_id = $3",
                        &crate::args![MessageStatus::Visible.as_str(), at.to_rfc3339(), message_id],
                    )
                    .await?;
                }
                OrderEvent::MessageRejected {
                    message_id,
                    reason,
                    at,
                } => {
                    tx.execute(
                        "UPDATE order_messages SET status = $1, moderated_at = $2, reason = $3 \
                         WHERE message_id = $4",
                        &crate::args![
                            MessageStatus::Rejected.as_str(),
                            at.to_rfc3339(),
                            reason,
                            message_id
                        ],
                    )
                    .await?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A message as the table keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    pub id: Uuid,
    pub order_id: Uuid,
    /// Where its `MessagePosted` is in the log.
    pub position: i64,
    /// When it was posted (RFC 3339).
    pub at: String,
    /// The sender's role (`client`, `author`, `manager`, `admin`).
    pub by_role: String,
    pub sender_id: Uuid,
    pub text: String,
    pub status: MessageStatus,
    /// What a held message seemed to carry (`email`, `phone`, `link`, `handle`).
    pub held_for: Option<String>,
    /// When the manager approved or rejected it.
    pub moderated_at: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

fn row(r: &Row) -> Result<MessageRow, sqlx::Error> {
    let status = r.text("status")?;
    Ok(MessageRow {
        id: r.uuid("message_id")?,
        order_id: r.uuid("order_id")?,
        position: r.int("position")?,
        at: r.text("at")?,
        by_role: r.text("by_role")?,
        sender_id: r.uuid("sender_id")?,
        text: r.text("text")?,
        status: MessageStatus::parse(&status).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown message status {status:?}").into())
        })?,
        held_for: r.opt_text("held_for")?,
        moderated_at: r.opt_text("moderated_at")?,
        reason: r.opt_text("reason")?,
    })
}

const COLUMNS: &str = "message_id, order_id, position, at, by_role, sender_id, text, status, \
                       held_for, moderated_at, reason";

/// Every message of the order, oldest first.
pub async fn for_order(db: &Db, order_id: Uuid) -> Result<Vec<MessageRow>, sqlx::Error> {
    db.fetch_all(
        &format!(
            "SELECT {COLUMNS} FROM order_messages WHERE order_id = $1 ORDER BY position, message_id"
        ),
        &crate::args![order_id],
    )
    .await?
    .iter()
    .map(row)
    .collect()
}

/// One message of the order, if it has it.
pub async fn by_id(
    db: &Db,
    order_id: Uuid,
    message_id: Uuid,
) -> Result<Option<MessageRow>, sqlx::Error> {
    db.fetch_optional(
        &format!("SELECT {COLUMNS} FROM order_messages WHERE order_id = $1 AND message_id = $2"),
        &crate::args![order_id, message_id],
    )
    .await?
    .as_ref()
    .map(row)
    .transpose()
}

/// A held message with its order's number.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldRow {
    pub message: MessageRow,
    pub number: i64,
}

/// The messages waiting for a manager's approval, oldest first: on the orders routed to
/// `manager`, or on every order (`None`), at most `limit`.
pub async fn held(db: &Db, manager: Option<Uuid>, limit: i64) -> Result<Vec<HeldRow>, sqlx::Error> {
    let columns = COLUMNS
        .split(',')
        .map(|c| format!("m.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = match manager {
        Some(m) => {
            db.fetch_all(
                &format!(
                    "SELECT {columns}, o.number FROM order_messages m \
                     JOIN order_list o ON o.id = m.order_id \
                     WHERE m.status = $1 AND o.manager_id = $2 ORDER BY m.position LIMIT $3"
                ),
                &crate::args![MessageStatus::Held.as_str(), m, limit],
            )
            .await?
        }
        None => {
            db.fetch_all(
                &format!(
                    "SELECT {columns}, o.number FROM order_messages m \
                     JOIN order_list o ON o.id = m.order_id \
                     WHERE m.status = $1 ORDER BY m.position LIMIT $2"
                ),
                &crate::args![MessageStatus::Held.as_str(), limit],
            )
            .await?
        }
    };
    rows.iter()
        .map(|r| {
            Ok(HeldRow {
                message: row(r)?,
                number: r.int("number")?,
            })
        })
        .collect()
}
