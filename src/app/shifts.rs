//! The shift services: a manager starts and ends their own shift (the router then hands
//! them orders, `process::routing`), and staff see who is on shift with their open orders.

use aggregates::shift::{Shift, ShiftCommand};
use aggregates::Actor;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::policy::{self, Action};
use super::views::rfc3339;
use super::{App, AppError, Ctx};

/// A manager's shift as it now stands.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Shift)]
pub struct ShiftView {
    pub manager_id: Uuid,
    pub on_shift: bool,
    /// When the current shift started; null when off shift.
    #[serde(with = "rfc3339::option")]
    #[schema(required = true)]
    pub on_shift_since: Option<DateTime<Utc>>,
    /// When the last shift ended; null before the first one ends.
    #[serde(with = "rfc3339::option")]
    #[schema(required = true)]
    pub last_ended_at: Option<DateTime<Utc>>,
    /// How many shifts the manager has started, this one included.
    #[schema(minimum = 0)]
    pub shifts_started: i64,
}

impl ShiftView {
    fn of(manager_id: Uuid, s: &Shift) -> ShiftView {
        ShiftView {
            manager_id,
            on_shift: s.is_on_shift(),
            on_shift_since: s.on_shift_since,
            last_ended_at: s.last_ended_at,
            shifts_started: i64::from(s.shifts_started),
        }
    }
}

/// A manager on shift now.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = OnShift)]
pub struct OnShiftView {
    pub manager_id: Uuid,
    pub full_name: String,
    #[serde(with = "rfc3339")]
    pub on_shift_since: DateTime<Utc>,
    /// Orders routed to them that are neither completed nor failed.
    #[schema(minimum = 0)]
    pub open_orders: i64,
}

impl App {
    /// The caller (a manager) starts their shift: from now on orders are routed to them,
    /// the waiting ones first.
    pub async fn start_shift(&self, ctx: &Ctx) -> Result<ShiftView, AppError> {
        self.shift_command(
            ctx,
            ShiftCommand::StartShift {
                at: self.clock.now(),
            },
        )
        .await
    }

    /// The caller (a manager) ends their shift: no new orders reach them; they keep
    /// those they have.
    pub async fn end_shift(&self, ctx: &Ctx) -> Result<ShiftView, AppError> {
        self.shift_command(
            ctx,
            ShiftCommand::EndShift {
                at: self.clock.now(),
            },
        )
        .await
    }

    async fn shift_command(&self, ctx: &Ctx, cmd: ShiftCommand) -> Result<ShiftView, AppError> {
        policy::authorize(&ctx.actor, Action::WorkShift)?;
        let id = ctx.actor.id;
        self.shift(id, cmd, ctx).await?;
        Ok(ShiftView::of(id, &self.shift_state(id).await?))
    }

    /// A manager's shift as its own events say.
    pub async fn shift_state(&self, id: Uuid) -> Result<Shift, AppError> {
        use cqrs_es::Aggregate;
        use serde::Deserialize;
        let stored = self
            .shift_repo
            .stream::<Shift>(&id.to_string())
            .await
            .map_err(AppError::infrastructure)?;
        let mut state = Shift::default();
        for e in stored.iter() {
            let event = aggregates::shift::ShiftEvent::deserialize(&e.payload).map_err(|e| {
                AppError::Infrastructure(format!("a shift event does not decode: {e}"))
            })?;
            state.apply(event);
        }
        Ok(state)
    }

    /// Who is on shift now, longest on shift first, with their open orders.
    pub async fn on_shift(&self, actor: &Actor) -> Result<Vec<OnShiftView>, AppError> {
        policy::authorize(actor, Action::ReadShifts)?;
        Ok(projections::shifts::on_shift(&self.db)
            .await?
            .into_iter()
            .map(|m| OnShiftView {
                manager_id: m.manager_id,
                full_name: m.full_name,
                on_shift_since: m.on_shift_since,
                open_orders: m.open_orders,
            })
            .collect())
    }
}
