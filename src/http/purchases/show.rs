//! `GET /api/purchases/{id}`: one purchase, for its buyer or staff.

use axum::extract::State;
use axum::Json;
use uuid::Uuid;

use super::NOT_YOURS;
use crate::app::policy::Action;
use crate::app::shop::PurchaseView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Path};
use crate::http::openapi::{action, roles};

/// Read a purchase
#[utoipa::path(
    get,
    path = "/api/purchases/{id}",
    tag = "shop",
    operation_id = "showPurchase",
    extensions(("x-roles" = json!(roles(Action::ReadPurchases))), ("x-action" = json!(action(Action::ReadPurchases)))),
    params(("id" = Uuid, Path, description = "the purchase")),
    responses(
        (status = 200, description = "the purchase", body = PurchaseView),
        (status = 404, description = NOT_YOURS),
    ),
)]
pub(super) async fn show(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<PurchaseView>, ApiError> {
    Ok(Json(app.show_purchase(&caller.actor(), id).await?))
}
