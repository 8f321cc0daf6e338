//! Clients' loyalty points: every entry of every client's points with the balance after it
//! (`client_points`, one row per `ClientPoints` event); plus the queries behind
//! `GET /api/me/points` and `GET /api/clients/{id}/points`. Derived from the events alone
//! (the points each carries), never from the settings in force.

use std::collections::HashMap;

use aggregates::points::PointsEvent;
use async_trait::async_trait;
use uuid::Uuid;

use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError, Reads};
use crate::sql::{Arg, Db, Row, Tx};

pub struct PointsProjection;

/// Points events, as the aggregate's own event type.
const READS: Reads = Reads::of::<PointsEvent>("ClientPoints");

const COLUMNS: &[&str] = &[
    "client_id",
    "sequence",
    "position",
    "at",
    "kind",
    "order_id",
    "referred_client",
    "points",
    "balance",
];

#[async_trait]
impl Projection for PointsProjection {
    fn name(&self) -> &'static str {
        "points"
    }

    fn reads(&self) -> &'static [Reads] {
        &[READS]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["client_points"]
    }

    /// One row per event, keyed by the event.
    fn insert_only_tables(&self) -> &'static [&'static str] {
        &["client_points"]
    }

    /// The batch folded in memory: one read of the latest balance of each client it
    /// touches, one insert of its entries.
    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        let mine: Vec<&StoredEvent> = events.iter().filter(|e| READS.matches(e)).collect();
        if mine.is_empty() {
            return Ok(());
        }
        let mut balances: HashMap<String, i64> = HashMap::new();
        for ev in &mine {
            if balances.contains_key(&ev.aggregate_id) {
                continue;
            }
            let balance = tx
                .fetch_optional(
                    "SELECT balance FROM client_points WHERE client_id = $1 \
                     ORDER BY sequence DESC LIMIT 1",
                    &crate::args![ev.aggregate_id.as_str()],
                )
                .await?
                .map(|r| r.int("balance"))
                .transpose()?
                .unwrap_or(0);
            balances.insert(ev.aggregate_id.clone(), balance);
        }
        let mut rows: Vec<Vec<Arg>> = Vec::with_capacity(mine.len());
        for ev in &mine {
            let event: PointsEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
            let balance = balances
                .get_mut(&ev.aggregate_id)
                .expect("every client of the batch was read");
            *balance += event.delta();
            let (order_id, points, at) = event.parts();
            let referred = match &event {
                PointsEvent::ReferralCredited {
                    referred_client, ..
                } => Some(*referred_client),
                _ => None,
            };
            rows.push(
                crate::args![
                    ev.aggregate_id.as_str(),
                    ev.sequence,
                    ev.cursor.position,
                    at.to_rfc3339(),
                    event.kind(),
                    order_id,
                    referred,
                    points,
                    *balance
                ]
                .to_vec(),
            );
        }
        if tx.fresh() {
            tx.copy_rows("client_points", COLUMNS, &rows).await?;
        } else {
            tx.insert_rows(
                &format!("INSERT INTO client_points ({})", COLUMNS.join(", ")),
                "ON CONFLICT (client_id, sequence) DO NOTHING",
                &rows,
            )
            .await?;
        }
        Ok(())
    }
}

/// One entry of a client's points.
#[derive(Debug, Clone, PartialEq)]
pub struct PointsEntry {
    pub sequence: i64,
    pub at: String,
    /// `cashback`, `referral`, `spent` or `returned`.
    pub kind: String,
    pub order_id: Uuid,
    /// The invited client whose order earned a referral entry.
    pub referred_client: Option<Uuid>,
    /// Positive; a spend's is subtracted.
    pub points: i64,
    /// The balance after this entry.
    pub balance: i64,
}

impl PointsEntry {
    fn from_row(r: &Row) -> Result<PointsEntry, sqlx::Error> {
        Ok(PointsEntry {
            sequence: r.int("sequence")?,
            at: r.text("at")?,
            kind: r.text("kind")?,
            order_id: r.uuid("order_id")?,
            referred_client: r.opt_uuid("referred_client")?,
            points: r.int("points")?,
            balance: r.int("balance")?,
        })
    }
}

/// A client's entries, oldest first.
pub async fn entries_of(db: &Db, client_id: Uuid) -> Result<Vec<PointsEntry>, sqlx::Error> {
    let rows = db
        .fetch_all(
            "SELECT sequence, at, kind, order_id, referred_client, points, balance \
             FROM client_points WHERE client_id = $1 ORDER BY sequence",
            &crate::args![client_id],
        )
        .await?;
    rows.iter().map(PointsEntry::from_row).collect()
}
