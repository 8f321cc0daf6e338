//! `POST /api/orders`: a client places an order.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::app::orders::NewOrder;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller};

#[derive(Deserialize)]
pub(crate) struct PlaceBody {
    work_type: String,
    subject: String,
    topic: String,
    pages: i64,
    deadline: NaiveDate,
    #[serde(default)]
    requirements: String,
}

pub(super) async fn place(
    State(app): State<App>,
    caller: Caller,
    Body(b): Body<PlaceBody>,
) -> Result<(StatusCode, Json<OrderView>), ApiError> {
    let new = NewOrder {
        work_type: b.work_type,
        subject: b.subject,
        topic: b.topic,
        pages: b.pages,
        deadline: b.deadline,
        requirements: b.requirements,
    };
    let order = app.place_order(&caller.ctx(), new).await?;
    Ok((StatusCode::CREATED, Json(order)))
}
