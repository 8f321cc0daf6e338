//! The order endpoints of API.md, one small file per action. Each handler parses the
//! request, calls one service of the application (which asks the access policy and builds
//! the command) and renders its answer.

mod accept;
mod by_phone;
mod cancel;
mod candidates;
mod complete;
mod deadline;
mod decline;
mod discount;
pub(crate) mod download;
mod edit;
mod events;
mod extras;
mod history;
pub(crate) mod list;
mod messages;
mod moderate_message;
mod offer;
mod offers;
mod payment;
pub(crate) mod place;
mod points;
mod post_message;
mod price;
mod refund;
mod repeat;
mod review;
mod revision;
pub(crate) mod show;
pub(crate) mod upload;

use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

/// The order routes, each documented by its handler's `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(place::place, list::list))
        .routes(routes!(by_phone::by_phone))
        .routes(routes!(repeat::repeat))
        .routes(routes!(show::show, edit::edit))
        .routes(routes!(discount::discount))
        .routes(routes!(extras::add))
        .routes(routes!(extras::remove))
        .routes(routes!(deadline::accept))
        .routes(routes!(deadline::decline))
        .routes(routes!(events::events))
        .routes(routes!(history::history))
        .routes(routes!(price::set_price))
        .routes(routes!(offer::offer))
        .routes(routes!(candidates::candidates))
        .routes(routes!(offers::offers))
        .routes(routes!(accept::accept))
        .routes(routes!(decline::decline))
        .routes(routes!(payment::payment))
        .routes(routes!(refund::refund))
        .routes(routes!(points::spend_points))
        .routes(routes!(upload::upload_draft))
        .routes(routes!(upload::upload_final))
        .routes(routes!(review::approve_draft))
        .routes(routes!(review::reject_draft))
        .routes(routes!(review::approve_final))
        .routes(routes!(review::reject_final))
        .routes(routes!(revision::revision))
        .routes(routes!(complete::complete))
        .routes(routes!(cancel::cancel))
        .routes(routes!(download::download))
        .routes(routes!(messages::messages, post_message::post_message))
        .routes(routes!(moderate_message::approve_message))
        .routes(routes!(moderate_message::reject_message))
}

/// The 404 of an operation on one order.
const NOT_YOURS: &str = "unknown order, or not one the caller may see (never told apart)";

/// Why the offered author declines; the body may be left out.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = DeclineReason)]
pub(crate) struct ReasonBody {
    /// Why; kept in the log.
    #[serde(default)]
    pub reason: String,
}

/// What must change; the body may be left out.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = Comment)]
pub(crate) struct CommentBody {
    /// What must change; shown to the author.
    #[serde(default)]
    pub comment: String,
}
