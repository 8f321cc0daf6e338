//! Every payment recorded, by the provider's payment id (`payments`): which order and
//! which half each id paid — or which shop purchase it paid in full (`half` = `full`,
//! `order_id` = the purchase's id) — so that an id already used elsewhere is refused
//! before a command is built (one stream only knows its own ids).

use aggregates::order::{Half, OrderEvent};
use aggregates::purchase::PurchaseEvent;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError, Reads};
use crate::sql::{Arg, Db, Row, Tx};

pub struct PaymentsProjection;

/// Order events, as the order's own event type.
const READS: Reads = Reads::of::<OrderEvent>("Order");
/// Purchase events: a purchase's payment in full.
const PURCHASES: Reads = Reads::of::<PurchaseEvent>("Purchase");

#[async_trait]
impl Projection for PaymentsProjection {
    fn name(&self) -> &'static str {
        "payments"
    }

    fn reads(&self) -> &'static [Reads] {
        &[READS, PURCHASES]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["payments"]
    }

    /// One multi-row insert per batch. The first payment of an id in the log keeps it: a
    /// later one (two orders paid with one id at the same moment, before either was in
    /// the table) is left out, in the live run and in a replay alike.
    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        let mut rows: Vec<Vec<Arg>> = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        for ev in events {
            let (half, amount, payment_id) = if READS.matches(ev) {
                if ev.event_type != "PaymentReceived" {
                    continue;
                }
                let event: OrderEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
                let OrderEvent::PaymentReceived {
                    half,
                    amount,
                    payment_id,
                } = event
                else {
                    continue;
                };
                (half_code(half), amount, payment_id)
            } else if PURCHASES.matches(ev) {
                if ev.event_type != "PurchasePaid" {
                    continue;
                }
                let event: PurchaseEvent =
                    ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
                let PurchaseEvent::PurchasePaid { amount, payment_id } = event else {
                    continue;
                };
                (FULL, amount, payment_id)
            } else {
                continue;
            };
            if ids.contains(&payment_id) {
                continue;
            }
            rows.push(
                crate::args![
                    payment_id.as_str(),
                    ev.aggregate_id.as_str(),
                    half,
                    amount,
                    ev.cursor.position,
                    ev.meta.at.to_rfc3339()
                ]
                .to_vec(),
            );
            ids.push(payment_id);
        }
        tx.insert_rows(
            "INSERT INTO payments (payment_id, order_id, half, amount, position, received_at)",
            "ON CONFLICT (payment_id) DO NOTHING",
            &rows,
        )
        .await?;
        Ok(())
    }
}

/// The `half` of a purchase's payment in full.
pub const FULL: &str = "full";

/// `first` or `second`, as stored and as the API names a half.
pub fn half_code(half: Half) -> &'static str {
    match half {
        Half::First => "first",
        Half::Second => "second",
    }
}

/// A recorded payment as the table holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentRow {
    pub payment_id: String,
    /// The order's id, or the purchase's when `half` is `None`.
    pub order_id: Uuid,
    /// The half of the order it paid; `None`: a shop purchase, paid in full.
    pub half: Option<Half>,
    pub amount: i64,
    pub received_at: DateTime<Utc>,
}

impl PaymentRow {
    fn from_row(r: &Row) -> Result<PaymentRow, sqlx::Error> {
        let half = match r.text("half")?.as_str() {
            "first" => Some(Half::First),
            "second" => Some(Half::Second),
            FULL => None,
            other => {
                return Err(sqlx::Error::ColumnDecode {
                    index: "half".into(),
                    source: format!("unknown half {other}").into(),
                })
            }
        };
        Ok(PaymentRow {
            payment_id: r.text("payment_id")?,
            order_id: r.uuid("order_id")?,
            half,
            amount: r.int("amount")?,
            received_at: r.parsed("received_at")?,
        })
    }
}

/// The payment recorded with this provider id, if any.
pub async fn by_id(db: &Db, payment_id: &str) -> Result<Option<PaymentRow>, sqlx::Error> {
    db.fetch_optional(
        "SELECT payment_id, order_id, half, amount, received_at FROM payments \
         WHERE payment_id = $1",
        &crate::args![payment_id],
    )
    .await?
    .map(|r| PaymentRow::from_row(&r))
    .transpose()
}
