//! `PATCH /api/orders/{id}`: a manager changes an order's details.

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::orders::Edits;
use crate::app::policy::Action;
use crate::app::views::OrderView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller, Path};
use crate::http::openapi::{action, roles};

/// The details to change; those left out stay as they are. A field this version does not
/// know is refused (400).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OrderEdits)]
pub(crate) struct EditBody {
    #[schema(min_length = 1)]
    topic: Option<String>,
    #[schema(minimum = 1, maximum = 1000)]
    pages: Option<i64>,
    /// Not in the past. After the first half is paid, the only field allowed: it becomes
    /// a proposal the client accepts or refuses (`proposed_deadline`).
    deadline: Option<NaiveDate>,
    requirements: Option<String>,
    #[schema(min_length = 1)]
    work_type: Option<String>,
    #[schema(min_length = 1)]
    subject: Option<String>,
}

/// Edit an order
///
/// Before the first half is paid, the order's manager (or an admin) changes any of its
/// details: one `OrderEdited` event with each field's old and new value, shown in the
/// client's timeline and mailed to them. After it, only the deadline moves, and only when
/// the client agrees: the new deadline is proposed (`DeadlineProposed`).
#[utoipa::path(
    patch,
    path = "/api/orders/{id}",
    tag = "orders",
    operation_id = "editOrder",
    extensions(("x-roles" = json!(roles(Action::EditOrder))), ("x-action" = json!(action(Action::EditOrder)))),
    params(("id" = Uuid, Path, description = "the order")),
    request_body = EditBody,
    responses(
        (status = 200, description = "the order as it now stands", body = OrderView),
        (status = 404, description = NOT_YOURS),
        (status = 409, description = "the first half is paid (only the deadline may be proposed), a proposal is already waiting, the order is over, or it is another manager's"),
        (status = 422, description = "pages outside 1..1000, an empty field, a deadline in the past"),
    ),
)]
pub(super) async fn edit(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<EditBody>,
) -> Result<Json<OrderView>, ApiError> {
    let edits = Edits {
        topic: b.topic,
        pages: b.pages,
        deadline: b.deadline,
        requirements: b.requirements,
        work_type: b.work_type,
        subject: b.subject,
    };
    Ok(Json(app.edit_order(&caller.ctx(), id, edits).await?))
}
