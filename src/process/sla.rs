//! The SLA worker: orders over a time limit are flagged a problem. A stage limit is the
//! admin's maximum time in one status (settings `stage_limit_hours_<status>`); the
//! deadline is the client's, passed before delivery. Each breach is one `FlagProblem`
//! command the order takes once (a stage it has left, or a breach flagged already, changes
//! nothing), so the worker keeps no state: its timers are the order table's
//! `status_since` and `deadline` against the clock, and survive any restart.

use std::time::Duration;

use aggregates::order::{Breach, OrderCommand, OrderStatus};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use uuid::Uuid;

use super::offers::{classify, Outcome};
use super::{Round, Worker};
use crate::app::{App, AppError, Ctx};

/// Orders looked at per query and round.
const ROUND: i64 = 100;

/// Flags the orders over a limit (`process:sla`).
pub struct SlaWatch;

#[async_trait]
impl Worker for SlaWatch {
    fn name(&self) -> &'static str {
        "sla"
    }

    fn every(&self) -> Duration {
        Duration::from_secs(5)
    }

    async fn run_once(&self, app: &App) -> Result<Round, AppError> {
        let r = flag_due(app).await?;
        Ok(Round {
            handled: r.flagged,
            more: r.full && r.flagged > 0,
        })
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Orders found over a limit when the round began.
    pub looked_at: usize,
    /// Breaches flagged.
    pub flagged: usize,
    /// Found over a limit, but the order had moved on (or was flagged) meanwhile.
    pub no_longer_due: usize,
    /// Kept losing the race to other commands: again next round.
    pub lost_races: usize,
    /// A query filled its page: more may be waiting.
    pub full: bool,
}

/// One order over a limit, as the order table says.
struct Due {
    id: Uuid,
    stage: u32,
    breach: Breach,
}

/// Flags every order over its stage limit or past its deadline undelivered (up to
/// [`ROUND`] of each limit per round), as of the clock's now.
pub async fn flag_due(app: &App) -> Result<Sweep, AppError> {
    let now = app.clock.now();
    // The table must include every status change answered so far.
    app.fence_for_decision().await?;
    let mut due = Vec::new();
    let mut full = false;
    for (status, hours) in app.current_settings().await?.stage_limits() {
        let found = over_stage_limit(app, status, hours, now).await?;
        full |= found.len() as i64 >= ROUND;
        due.extend(found);
    }
    let found = past_deadline(app, now.date_naive()).await?;
    full |= found.len() as i64 >= ROUND;
    due.extend(found);

    let mut sweep = Sweep {
        looked_at: due.len(),
        full,
        ..Sweep::default()
    };
    for d in due {
        let cause = match &d.breach {
            Breach::StageLimit { status, .. } => format!("sla:{}:{status}:{}", d.id, d.stage),
            Breach::Deadline { deadline } => format!("sla:{}:deadline:{deadline}", d.id),
        };
        let ctx = Ctx::system(&format!("sla-{}", d.id)).caused_by(cause);
        let cmd = OrderCommand::FlagProblem {
            breach: d.breach.clone(),
            stage: d.stage,
            at: now,
        };
        match classify(app.order(d.id, cmd, &ctx).await)? {
            Outcome::Expired => {
                sweep.flagged += 1;
                tracing::info!(order = %d.id, breach = ?d.breach, "order flagged a problem");
            }
            Outcome::NoLongerDue => sweep.no_longer_due += 1,
            Outcome::LostRace => {
                sweep.lost_races += 1;
                tracing::warn!(order = %d.id, "flagging a problem kept losing the race; again next round");
            }
        }
    }
    Ok(sweep)
}

/// Orders in `status` since `hours` or longer whose stay there is not flagged yet.
async fn over_stage_limit(
    app: &App,
    status: OrderStatus,
    hours: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Due>, AppError> {
    let Some(cutoff) = TimeDelta::try_hours(hours).and_then(|d| now.checked_sub_signed(d)) else {
        return Ok(Vec::new());
    };
    let limit_hours = u32::try_from(hours).map_err(AppError::infrastructure)?;
    let rows = app
        .db
        .fetch_all(
            "SELECT id, stage, status_since FROM order_list \
             WHERE status = $1 AND stage_limit_hours IS NULL AND status_since <= $2 \
             ORDER BY status_since LIMIT $3",
            &projections::args![status.as_str(), cutoff.to_rfc3339(), ROUND],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Due {
                id: r.uuid("id")?,
                stage: u32::try_from(r.int("stage")?).map_err(AppError::infrastructure)?,
                breach: Breach::StageLimit {
                    status,
                    limit_hours,
                    since: r.parsed("status_since")?,
                },
            })
        })
        .collect()
}

/// Orders whose deadline was before `today` and whose work is still owed, not yet flagged.
async fn past_deadline(app: &App, today: NaiveDate) -> Result<Vec<Due>, AppError> {
    let rows = app
        .db
        .fetch_all(
            "SELECT id, stage, deadline FROM order_list \
             WHERE deadline_flagged = false AND status NOT IN ('delivered', 'completed', 'failed') \
             AND deadline < $1 ORDER BY deadline LIMIT $2",
            &projections::args![today.to_string(), ROUND],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Due {
                id: r.uuid("id")?,
                stage: u32::try_from(r.int("stage")?).map_err(AppError::infrastructure)?,
                breach: Breach::Deadline {
                    deadline: r.parsed("deadline")?,
                },
            })
        })
        .collect()
}
