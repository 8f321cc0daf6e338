//! The order endpoints of API.md, one small file per action. Each handler parses the
//! request, calls one service of the application (which asks the access policy and builds
//! the command) and renders its answer.

mod accept;
mod cancel;
mod complete;
mod decline;
mod download;
mod events;
mod history;
pub(crate) mod list;
mod offer;
mod payment;
mod place;
mod price;
mod review;
mod revision;
pub(crate) mod show;
mod upload;

use axum::routing::{get, post, put};
use axum::Router;
use serde::Deserialize;

use crate::app::App;

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/orders", post(place::place).get(list::list))
        .route("/api/orders/{id}", get(show::show))
        .route("/api/orders/{id}/events", get(events::events))
        .route("/api/orders/{id}/history", get(history::history))
        .route("/api/orders/{id}/price", put(price::set_price))
        .route("/api/orders/{id}/offer", post(offer::offer))
        .route("/api/orders/{id}/offer/accept", post(accept::accept))
        .route("/api/orders/{id}/offer/decline", post(decline::decline))
        .route("/api/orders/{id}/payments", post(payment::payment))
        .route("/api/orders/{id}/draft", post(upload::upload_draft))
        .route("/api/orders/{id}/final", post(upload::upload_final))
        .route(
            "/api/orders/{id}/draft/approve",
            post(review::approve_draft),
        )
        .route("/api/orders/{id}/draft/reject", post(review::reject_draft))
        .route(
            "/api/orders/{id}/final/approve",
            post(review::approve_final),
        )
        .route("/api/orders/{id}/final/reject", post(review::reject_final))
        .route("/api/orders/{id}/revision", post(revision::revision))
        .route("/api/orders/{id}/complete", post(complete::complete))
        .route("/api/orders/{id}/cancel", post(cancel::cancel))
        .route("/api/orders/{id}/files/{file_id}", get(download::download))
}

/// A body with a free-text reason (may be left out).
#[derive(Deserialize, Default)]
pub(crate) struct ReasonBody {
    #[serde(default)]
    pub reason: String,
}

/// A body with a free-text comment (may be left out).
#[derive(Deserialize, Default)]
pub(crate) struct CommentBody {
    #[serde(default)]
    pub comment: String,
}
