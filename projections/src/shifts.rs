//! Managers' shifts: who is on shift now and since when (`manager_shifts`), and with their
//! open orders (from `order_counts`) who the router may choose.

use aggregates::order::OrderStatus;
use aggregates::shift::{OnShiftManager, ShiftEvent};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError, Reads};
use crate::sql::{Db, Row, Tx};

pub struct ShiftsProjection;

/// Shift events, as the shift's own event type.
const READS: Reads = Reads::of::<ShiftEvent>("Shift");

#[async_trait]
impl Projection for ShiftsProjection {
    fn name(&self) -> &'static str {
        "shifts"
    }

    fn reads(&self) -> &'static [Reads] {
        &[READS]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["manager_shifts"]
    }

    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        // Shifts start and end a few times a day per manager: one statement per event.
        for ev in events.iter().filter(|e| READS.matches(e)) {
            let event: ShiftEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
            let id = ev.aggregate_id.as_str();
            match event {
                ShiftEvent::ShiftStarted { at } => {
                    tx.execute(
                        "INSERT INTO manager_shifts \
                         (manager_id, on_shift, on_shift_since, last_ended_at, shifts_started) \
                         VALUES ($1, $2, $3, NULL, 1) \
                         ON CONFLICT (manager_id) DO UPDATE SET on_shift = excluded.on_shift, \
                         on_shift_since = excluded.on_shift_since, \
                         shifts_started = manager_shifts.shifts_started + 1",
                        &crate::args![id, true, at.to_rfc3339()],
                    )
                    .await?;
                }
                ShiftEvent::ShiftEnded { at } => {
                    tx.execute(
                        "UPDATE manager_shifts SET on_shift = $1, on_shift_since = NULL, \
                         last_ended_at = $2 WHERE manager_id = $3",
                        &crate::args![false, at.to_rfc3339(), id],
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }
}

/// A manager's shift state as the table holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShiftRow {
    pub manager_id: Uuid,
    pub on_shift: bool,
    pub on_shift_since: Option<DateTime<Utc>>,
    pub last_ended_at: Option<DateTime<Utc>>,
    pub shifts_started: i64,
}

impl ShiftRow {
    fn from_row(r: &Row) -> Result<ShiftRow, sqlx::Error> {
        Ok(ShiftRow {
            manager_id: r.uuid("manager_id")?,
            on_shift: r.bool("on_shift")?,
            on_shift_since: r.opt_parsed("on_shift_since")?,
            last_ended_at: r.opt_parsed("last_ended_at")?,
            shifts_started: r.int("shifts_started")?,
        })
    }
}

/// A manager on shift now, with their open orders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OnShiftRow {
    pub manager_id: Uuid,
    pub full_name: String,
    pub on_shift_since: DateTime<Utc>,
    pub open_orders: i64,
}

impl OnShiftRow {
    /// As the routing rule takes it.
    pub fn candidate(&self) -> OnShiftManager {
        OnShiftManager {
            manager_id: self.manager_id,
            open_orders: u32::try_from(self.open_orders.max(0)).unwrap_or(u32::MAX),
            on_shift_since: self.on_shift_since,
        }
    }
}

/// One manager's shift state (`None` before their first shift).
pub async fn by_manager(db: &Db, manager_id: Uuid) -> Result<Option<ShiftRow>, sqlx::Error> {
    db.fetch_optional(
        "SELECT manager_id, on_shift, on_shift_since, last_ended_at, shifts_started \
         FROM manager_shifts WHERE manager_id = $1",
        &crate::args![manager_id],
    )
    .await?
    .map(|r| ShiftRow::from_row(&r))
    .transpose()
}

/// The managers on shift now, longest on shift first, each with their open orders (not
/// completed, not failed: counted in `order_counts` under `manager:<id>`). A blocked
/// manager is not among them: nothing is routed to them.
pub async fn on_shift(db: &Db) -> Result<Vec<OnShiftRow>, sqlx::Error> {
    Ok(on_shift_at(db).await?.0)
}

/// [`on_shift`], with the main runner's checkpoint the counts were read at (one statement:
/// one snapshot on both backends), so that routes made since can be added.
pub async fn on_shift_at(db: &Db) -> Result<(Vec<OnShiftRow>, crate::Cursor), sqlx::Error> {
    let rows = db
        .fetch_all(
            "SELECT s.manager_id, COALESCE(u.full_name, '') AS full_name, s.on_shift_since, \
             CAST(COALESCE((SELECT p.tx FROM projection_checkpoints p \
                   WHERE p.name = 'main'), 0) AS bigint) AS at_tx, \
             CAST(COALESCE((SELECT p.position FROM projection_checkpoints p \
                   WHERE p.name = 'main'), 0) AS bigint) AS at_position, \
             CAST(COALESCE((SELECT SUM(c.n) FROM order_counts c \
                   WHERE c.scope = 'manager:' || s.manager_id \
                   AND c.status NOT IN ($1, $2)), 0) AS bigint) AS open_orders \
             FROM manager_shifts s LEFT JOIN users u ON u.id = s.manager_id \
             WHERE s.on_shift = $3 AND COALESCE(u.blocked, $4) = $4 \
             ORDER BY s.on_shift_since, s.manager_id",
            &crate::args![
                OrderStatus::Completed.as_str(),
                OrderStatus::Failed.as_str(),
                true,
                false
            ],
        )
        .await?;
    let at = match rows.first() {
        Some(r) => crate::Cursor {
            tx: r.int("at_tx")?,
            position: r.int("at_position")?,
        },
        None => crate::Cursor::default(),
    };
    let managers = rows
        .iter()
        .map(|r| {
            Ok(OnShiftRow {
                manager_id: r.uuid("manager_id")?,
                full_name: r.text("full_name")?,
                on_shift_since: r.parsed("on_shift_since")?,
                open_orders: r.int("open_orders")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((managers, at))
}

/// Unrouted open orders, oldest (lowest number) first: the backlog a new shift takes.
pub async fn unrouted_orders(db: &Db, limit: i64) -> Result<Vec<Uuid>, sqlx::Error> {
    let rows = db
        .fetch_all(
            "SELECT id FROM order_list WHERE manager_id IS NULL AND status NOT IN ($1, $2) \
             ORDER BY number LIMIT $3",
            &crate::args![
                OrderStatus::Completed.as_str(),
                OrderStatus::Failed.as_str(),
                limit
            ],
        )
        .await?;
    rows.iter().map(|r| r.uuid("id")).collect()
}
