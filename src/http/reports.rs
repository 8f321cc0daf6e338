//! The report endpoints of API.md (admin, auditor): `GET /api/reports/summary` and
//! `GET /api/reports/daily`, each over `from` and `to` (dates, both included).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::policy::Action;
use crate::app::reports::{DayView, Period, SummaryView};
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::openapi::{action, roles};

/// The report routes, each documented by its handler's `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(daily))
}

/// The period of a report, for the document ([`period`] reads it by hand, so that a bad
/// date gets a precise 422).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct PeriodParams {
    /// The first day (UTC, `YYYY-MM-DD`), included.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<String>,
    /// The last day (UTC, `YYYY-MM-DD`), included.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<String>,
}

fn period(params: &HashMap<String, String>) -> Result<Period, ApiError> {
    let date = |name: &str| {
        params
            .get(name)
            .map(|v| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                    ApiError::Unprocessable(format!("{name} must be a date, YYYY-MM-DD"))
                })
            })
            .transpose()
    };
    Ok(Period {
        from: date("from")?,
        to: date("to")?,
    })
}

/// The report over a period
///
/// Revenue (payments less refunds), orders completed and the average check, payouts,
/// what is owed to authors at the period's end, the period's orders by status now, and
/// SLA breaches. Without `from` from the beginning; without `to` up to now.
#[utoipa::path(
    get,
    path = "/api/reports/summary",
    tag = "reports",
    operation_id = "reportSummary",
    extensions(("x-roles" = json!(roles(Action::ReadReports))), ("x-action" = json!(action(Action::ReadReports)))),
    params(PeriodParams),
    responses(
        (status = 200, description = "the report", body = SummaryView),
        (status = 422, description = "a date that is not YYYY-MM-DD, or to before from"),
    ),
)]
async fn summary(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<SummaryView>, ApiError> {
    let period = period(&params)?;
    Ok(Json(app.report_summary(&caller.actor(), period).await?))
}

/// The report per day
///
/// Every day of the period, the quiet ones with zeros. Without `to` up to today; without
/// `from` the 30 days up to `to`; at most 366 days.
#[utoipa::path(
    get,
    path = "/api/reports/daily",
    tag = "reports",
    operation_id = "reportDaily",
    extensions(("x-roles" = json!(roles(Action::ReadReports))), ("x-action" = json!(action(Action::ReadReports)))),
    params(PeriodParams),
    responses(
        (status = 200, description = "one entry per day, oldest first", body = Vec<DayView>),
        (status = 422, description = "a date that is not YYYY-MM-DD, to before from, or more than 366 days"),
    ),
)]
async fn daily(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Vec<DayView>>, ApiError> {
    let period = period(&params)?;
    Ok(Json(app.report_daily(&caller.actor(), period).await?))
}
