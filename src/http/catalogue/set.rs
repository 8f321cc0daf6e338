//! `PUT /api/catalogue/{kind}/{code}`: an admin adds or changes an entry.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::app::catalogue::CatalogueView;
use crate::app::policy::Action;
use crate::app::schemas::CatalogueKindSchema;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{shape, Body, Caller, Path};
use crate::http::openapi::{action, roles};

/// An entry's name and (an extra's) price.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CatalogueEntry)]
pub(crate) struct EntryBody {
    /// How it reads (for a subject: what orders name, matched whatever its case).
    #[schema(min_length = 1, max_length = 200, examples("Urgent delivery"))]
    name: String,
    /// Kopecks: an extra's price, required (1..=100 000 000); none for a work type or a
    /// subject.
    #[schema(minimum = 1, maximum = 100_000_000)]
    price: Option<i64>,
}

/// Set a catalogue entry
///
/// Adds the entry, changes its name or price, or brings a retired one back: one
/// `CatalogueEntrySet` event with the entry before and after (none when nothing changes).
/// An extra's new price applies to orders it is added to from now on; orders that have it
/// keep the price they got it at.
#[utoipa::path(
    put,
    path = "/api/catalogue/{kind}/{code}",
    tag = "catalogue",
    operation_id = "setCatalogueEntry",
    extensions(("x-roles" = json!(roles(Action::ManageCatalogue))), ("x-action" = json!(action(Action::ManageCatalogue)))),
    params(
        ("kind" = CatalogueKindSchema, Path, description = "`work-types`, `subjects` or `extras`"),
        ("code" = String, Path, description = "the entry's code: 1 to 40 of a-z, 0-9, _ and -"),
    ),
    request_body = EntryBody,
    responses(
        (status = 200, description = "the catalogue now in force", body = CatalogueView),
        (status = 404, description = "a kind that is none of the three"),
        (status = 422, description = "a bad code or name, an extra without a price in range, a price on another kind, or a subject's name another subject has"),
    ),
)]
pub(super) async fn set(
    State(app): State<App>,
    caller: Caller,
    Path((kind, code)): Path<(String, String)>,
    Body(body): Body<serde_json::Value>,
) -> Result<Json<CatalogueView>, ApiError> {
    // The policy's no before the path's kind and the body's shape.
    caller.may(Action::ManageCatalogue)?;
    let kind = super::kind(&kind)?;
    let b: EntryBody = shape(body)?;
    Ok(Json(
        app.set_catalogue_entry(&caller.ctx(), kind, &code, b.name, b.price)
            .await?,
    ))
}
