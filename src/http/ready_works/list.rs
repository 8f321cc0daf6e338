//! `GET /api/ready-works`: the catalogue, for anyone.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::shop::{Browse, ReadyWorkPage};
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::MaybeCaller;
use crate::http::openapi::PUBLIC;

/// What the catalogue is filtered by.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct BrowseParams {
    /// Only works of this subject (as listed).
    subject: Option<String>,
    /// Only works of this type.
    work_type: Option<String>,
    /// The lowest price, kopecks.
    #[param(minimum = 0)]
    min_price: Option<i64>,
    /// The highest price, kopecks.
    #[param(minimum = 0)]
    max_price: Option<i64>,
    /// Words that must all appear in the title, subject or description (any case).
    q: Option<String>,
    /// Delisted works too (staff only).
    include_delisted: Option<bool>,
    #[param(minimum = 1, maximum = 10000, default = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: Option<i64>,
}

/// Browse the ready-made works
///
/// The works on sale, newest first, filtered and searched. Anyone, without a token; staff
/// also see each work's sales and file name. The file itself is never in the answer.
#[utoipa::path(
    get,
    path = "/api/ready-works",
    tag = "shop",
    operation_id = "browseReadyWorks",
    extensions(("x-roles" = json!(PUBLIC))),
    security((), ("bearer" = [])),
    params(BrowseParams),
    responses(
        (status = 200, description = "one page of the works and how many match", body = ReadyWorkPage),
        (status = 403, description = "include_delisted asked by someone who is not staff"),
        (status = 422, description = "a page, per_page or price out of range or not a number, or include_delisted neither true nor false"),
    ),
)]
pub(super) async fn list(
    State(app): State<App>,
    MaybeCaller(caller): MaybeCaller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<ReadyWorkPage>, ApiError> {
    let int = |k: &str| -> Result<Option<i64>, ApiError> {
        // An empty value is no number either (not the default).
        q.get(k)
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| ApiError::Unprocessable(format!("{k} must be a whole number")))
            })
            .transpose()
    };
    let b = Browse {
        subject: q.get("subject").cloned(),
        work_type: q.get("work_type").cloned(),
        min_price: int("min_price")?,
        max_price: int("max_price")?,
        q: q.get("q").cloned(),
        include_delisted: match q.get("include_delisted").map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                return Err(ApiError::Unprocessable(
                    "include_delisted must be true or false".into(),
                ))
            }
        },
        page: int("page")?.unwrap_or(1),
        per_page: int("per_page")?.unwrap_or(20),
    };
    let actor = caller.map(|c| c.actor());
    Ok(Json(app.browse_ready_works(actor.as_ref(), b).await?))
}
