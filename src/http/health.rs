//! Liveness and readiness.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::PUBLIC;
use crate::app::App;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// The process is up.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Liveness {
    #[schema(inline)]
    pub status: Live,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Live {
    Ok,
}

/// Whether this instance should get traffic: the database answers, the projections
/// are caught up within a bound and the mail outbox is not stuck; each check's figures.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    #[schema(inline)]
    pub status: Ready,
    /// The last event the projections have applied (its transaction and position).
    pub projection: Checkpoint,
    /// The names of the checks that failed (`database`, `projections`, `outbox`); empty
    /// when ready.
    pub failed: Vec<String>,
    pub checks: ReadyChecks,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Ready {
    Ready,
    Unready,
}

/// Each check of [`Readiness`].
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReadyChecks {
    pub database: DatabaseCheck,
    pub projections: ProjectionsCheck,
    pub outbox: OutboxCheck,
}

/// The database answers a query.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DatabaseCheck {
    pub ok: bool,
    /// Why not (no detail of the database's: those go to the log).
    pub error: Option<String>,
}

/// The projections are at most `max_lag_seconds` behind the log: the oldest event they
/// have not applied is no older than that, on the service's clock.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProjectionsCheck {
    pub ok: bool,
    /// Log positions not yet applied (unknown when the database does not answer).
    pub lag_events: Option<i64>,
    /// The age of the oldest event not yet applied, in seconds.
    pub lag_seconds: Option<i64>,
    pub max_lag_seconds: i64,
}

/// No pending mail has been due for longer than `max_age_seconds` (a sender that stopped
/// sending); failed mails wait for an admin and do not count.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutboxCheck {
    pub ok: bool,
    pub pending: Option<i64>,
    pub failed: Option<i64>,
    /// How long the longest-due pending mail has waited past its due time, in seconds.
    pub oldest_due_seconds: Option<i64>,
    pub max_age_seconds: i64,
}

/// A place in the event log.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct Checkpoint {
    pub tx: i64,
    pub position: i64,
}

/// Liveness
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    operation_id = "healthz",
    extensions(("x-roles" = json!(PUBLIC))),
    responses((status = 200, description = "the process is up", body = Liveness)),
)]
async fn healthz() -> Json<Liveness> {
    Json(Liveness { status: Live::Ok })
}

/// Readiness
///
/// Ready (200) when the database answers, the projections are caught up within
/// `SCRIPTORIUM_READY_MAX_LAG_SECS` and no pending mail has been due for longer than
/// `SCRIPTORIUM_READY_MAX_OUTBOX_AGE_SECS`; otherwise 503 with the same body, naming the
/// checks that failed.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    operation_id = "readyz",
    extensions(("x-roles" = json!(PUBLIC))),
    responses(
        (status = 200, description = "ready: every check passed", body = Readiness),
        (status = 503, description = "not ready: `failed` names the checks that failed", body = Readiness),
    ),
)]
async fn readyz(State(app): State<App>) -> (StatusCode, Json<Readiness>) {
    let config = &app.config;
    let mut failed = Vec::new();
    let database = match app.db.fetch_one("SELECT 1 AS one", &[]).await {
        Ok(_) => DatabaseCheck {
            ok: true,
            error: None,
        },
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            failed.push("database");
            DatabaseCheck {
                ok: false,
                error: Some("the database does not answer".into()),
            }
        }
    };
    let max_lag_seconds = config.ready_max_lag.num_seconds();
    let lag = if database.ok {
        app.projection_lag()
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "readiness: cannot measure the lag"))
            .ok()
    } else {
        None
    };
    let projections = ProjectionsCheck {
        ok: lag.is_some_and(|l| l.seconds <= max_lag_seconds),
        lag_events: lag.map(|l| l.events),
        lag_seconds: lag.map(|l| l.seconds),
        max_lag_seconds,
    };
    if !projections.ok {
        failed.push("projections");
    }
    let max_age_seconds = config.ready_max_outbox_age.num_seconds();
    let backlog = if database.ok {
        app.outbox_backlog()
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "readiness: cannot read the outbox"))
            .ok()
    } else {
        None
    };
    let outbox = OutboxCheck {
        ok: backlog.is_some_and(|b| b.oldest_due_seconds <= max_age_seconds),
        pending: backlog.map(|b| b.pending),
        failed: backlog.map(|b| b.failed),
        oldest_due_seconds: backlog.map(|b| b.oldest_due_seconds),
        max_age_seconds,
    };
    if !outbox.ok {
        failed.push("outbox");
    }
    let c = lag.map_or_else(|| app.projector.checkpoint(), |l| l.checkpoint);
    let ready = failed.is_empty();
    let body = Readiness {
        status: if ready { Ready::Ready } else { Ready::Unready },
        projection: Checkpoint {
            tx: c.tx,
            position: c.position,
        },
        failed: failed.into_iter().map(str::to_string).collect(),
        checks: ReadyChecks {
            database,
            projections,
            outbox,
        },
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}
