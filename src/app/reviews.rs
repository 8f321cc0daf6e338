//! The site's public reviews: anyone reads the published ones (never a name), the
//! order's manager or an admin hides one. Both are events on the order.

use aggregates::order::OrderCommand;
use projections::reviews;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::policy::Action;
use super::views::OrderView;
use super::{App, AppError, Ctx};

/// The most reviews on one page.
pub const MAX_PER_PAGE: i64 = 100;

/// A published review: what the client said and of what, never who.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Review)]
pub struct ReviewView {
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    pub review: String,
    pub work_type: String,
    pub subject: String,
    /// When the order was completed and the review published (RFC 3339).
    pub at: String,
}

/// One page of the reviews, how many there are, and their average rating.
#[derive(Debug, Clone, PartialEq)]
pub struct Reviews {
    pub items: Vec<ReviewView>,
    pub total: i64,
    /// The mean rating of every shown review, two decimals; none before the first.
    pub average: Option<f64>,
}

impl App {
    /// The published reviews a manager has not hidden, newest first (anyone, no token).
    pub async fn list_reviews(&self, page: i64, per_page: i64) -> Result<Reviews, AppError> {
        if !(1..=MAX_PER_PAGE).contains(&per_page) || !(1..=10_000).contains(&page) {
            return Err(AppError::Invalid(format!(
                "page is from 1 to 10000 and per_page from 1 to {MAX_PER_PAGE}"
            )));
        }
        let p = reviews::published(&self.db, per_page, (page - 1) * per_page).await?;
        Ok(Reviews {
            average: (p.total > 0)
                .then(|| (p.rating_sum as f64 / p.total as f64 * 100.0).round() / 100.0),
            total: p.total,
            items: p
                .items
                .into_iter()
                .map(|r| ReviewView {
                    rating: r.rating,
                    review: r.review,
                    work_type: r.work_type,
                    subject: r.subject,
                    at: r.at,
                })
                .collect(),
        })
    }

    /// The order's manager (or an admin) takes its published review off the site; the
    /// reason stays in the order's history.
    pub async fn hide_review(
        &self,
        ctx: &Ctx,
        id: Uuid,
        reason: String,
    ) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::HideReview, id).await?;
        let cmd = OrderCommand::HideReview {
            actor: ctx.actor,
            reason: reason.trim().to_string(),
            at: self.clock.now(),
        };
        self.act(ctx, id, cmd).await
    }

    /// Whether the order's review is on the site now (for the order's page).
    pub async fn review_shown(&self, id: Uuid) -> Result<bool, AppError> {
        Ok(reviews::is_shown(&self.db, &id.to_string()).await?)
    }
}
