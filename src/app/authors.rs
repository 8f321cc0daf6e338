//! The author services: an admin sets an author's profile and rating; staff list authors
//! with their load; an author reads their own profile and their queue of offers; a manager
//! reads an order's candidates (with their chances) and its offers. Each asks the access
//! policy first; the answers are the views below (also the OpenAPI schemas).

use aggregates::author::{AuthorCommand, Rating};
use aggregates::Role;
use chrono::NaiveDate;
use projections::authors::{self, AuthorRow, OfferEntry, RatingEntry};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::policy::{self, Action};
use super::{App, AppError, Ctx};

/// A profile as the admin sets it (`PUT /api/authors/{id}`).
#[derive(Debug, Clone)]
pub struct NewProfile {
    pub subjects: Vec<String>,
    /// 1.00..=5.00 (at most two decimals count); `None` keeps the current rating.
    pub rating: Option<f64>,
    pub max_active_orders: i64,
    pub available: Option<bool>,
}

/// A rating in hundredths as a number (437 → 4.37).
fn rating_number(hundredths: i64) -> f64 {
    hundredths as f64 / 100.0
}

/// An author with their load and rating.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuthorSummary {
    pub id: Uuid,
    pub full_name: String,
    /// 1.00..=5.00, also the author's weight in the automatic choice.
    #[schema(minimum = 1, maximum = 5)]
    pub rating: f64,
    /// The subjects as the admin spelled them (empty before a profile is set).
    pub subjects: Vec<String>,
    /// Orders offered to them now, or accepted and not completed or failed.
    #[schema(minimum = 0)]
    pub active_orders: i64,
    /// 0 before a profile is set.
    #[schema(minimum = 0, maximum = 100)]
    pub max_active_orders: i64,
    pub available: bool,
}

impl AuthorSummary {
    fn of(a: &AuthorRow, active_orders: i64) -> AuthorSummary {
        let (subjects, max, available) = match &a.profile {
            Some(p) => (
                p.subjects.clone(),
                i64::from(p.max_active_orders),
                p.available,
            ),
            None => (vec![], 0, false),
        };
        AuthorSummary {
            id: a.id,
            full_name: a.full_name.clone(),
            rating: rating_number(a.rating),
            subjects,
            active_orders,
            max_active_orders: max,
            available,
        }
    }
}

/// One change of an author's rating.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RatingChange {
    /// When (RFC 3339).
    pub at: String,
    /// The rating after it.
    #[schema(minimum = 1, maximum = 5)]
    pub rating: f64,
    /// `set_by_admin`, `client_rating` or `rejection`.
    #[schema(examples("client_rating"))]
    pub cause: String,
    /// The order a client rating or a rejection was about.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Uuid, required = false)]
    pub order_id: Option<Uuid>,
    /// The client's stars (a client rating only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = i64, required = false, minimum = 1, maximum = 5)]
    pub stars: Option<i64>,
}

impl From<&RatingEntry> for RatingChange {
    fn from(e: &RatingEntry) -> RatingChange {
        RatingChange {
            at: e.at.clone(),
            rating: rating_number(e.rating),
            cause: e.cause.clone(),
            order_id: e.order_id,
            stars: e.stars,
        }
    }
}

/// An author with their rating's history, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuthorDetail {
    #[serde(flatten)]
    pub author: AuthorSummary,
    pub rating_history: Vec<RatingChange>,
}

/// An author who may be offered the order, with their chance in the automatic choice.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CandidateView {
    pub author_id: Uuid,
    pub full_name: String,
    #[schema(minimum = 1, maximum = 5)]
    pub rating: f64,
    /// Their chance of being chosen by `POST …/offer {}`; the list's sum to 1.
    #[schema(minimum = 0, maximum = 1)]
    pub probability: f64,
}

/// An offer of an order and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OfferView {
    pub author_id: Uuid,
    pub full_name: String,
    pub offered_at: String,
    #[schema(required = true)]
    pub expires_at: Option<String>,
    /// `pending`, `accepted`, `declined`, `expired` or `withdrawn` (the order failed
    /// while it was offered; `reason` is the order's).
    #[schema(examples("declined"))]
    pub outcome: String,
    /// The author's reason, for a declined offer.
    #[schema(required = true)]
    pub reason: Option<String>,
    #[schema(required = true)]
    pub answered_at: Option<String>,
}

impl From<&OfferEntry> for OfferView {
    fn from(o: &OfferEntry) -> OfferView {
        OfferView {
            author_id: o.author_id,
            full_name: o.full_name.clone(),
            offered_at: o.offered_at.clone(),
            expires_at: o.expires_at.clone(),
            outcome: o.outcome.clone(),
            reason: o.reason.clone(),
            answered_at: o.answered_at.clone(),
        }
    }
}

/// An offer waiting for the author's answer: what they need to decide, never who the
/// client is.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PendingOffer {
    pub order_id: Uuid,
    #[schema(minimum = 1)]
    pub number: i64,
    pub work_type: String,
    pub subject: String,
    pub topic: String,
    #[schema(minimum = 1)]
    pub pages: i64,
    pub deadline: NaiveDate,
    /// What the author is paid, in kopecks.
    #[schema(required = true)]
    pub fee: Option<i64>,
    #[schema(required = true)]
    pub expires_at: Option<String>,
}

impl App {
    /// An admin sets an author's profile (and rating); answers with the author.
    pub async fn set_author_profile(
        &self,
        ctx: &Ctx,
        id: Uuid,
        new: NewProfile,
    ) -> Result<AuthorDetail, AppError> {
        policy::authorize(&ctx.actor, Action::ManageAuthors)?;
        let user = projections::users::by_id(&self.db, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if user.role != Role::Author {
            return Err(AppError::Invalid(format!("{id} is not an author")));
        }
        let rating = match new.rating {
            None => None,
            Some(r) if r.is_finite() && (1.0..=5.0).contains(&r) => {
                Some(Rating::from_hundredths((r * 100.0).round() as u16)?)
            }
            Some(_) => return Err(aggregates::author::AuthorError::InvalidRating.into()),
        };
        let max_active_orders = u32::try_from(new.max_active_orders)
            .map_err(|_| aggregates::author::AuthorError::InvalidMaxActiveOrders)?;
        let cmd = AuthorCommand::SetProfile {
            by: ctx.actor,
            subjects: new.subjects,
            rating,
            max_active_orders,
            available: new.available,
            at: self.clock.now(),
        };
        self.author(id, cmd, ctx).await?;
        self.author_detail(id).await
    }

    async fn author_detail(&self, id: Uuid) -> Result<AuthorDetail, AppError> {
        // The history is read first: its projection commits with the author's row, so the
        // row read after it is at least as new, and the rating never lags its own history.
        let history = authors::rating_history(&self.db, id).await?;
        let a = authors::by_id(&self.db, id)
            .await?
            .filter(|a| a.role == Role::Author)
            .ok_or(AppError::NotFound)?;
        let active = authors::active_orders_of(&self.db, id).await?;
        Ok(AuthorDetail {
            author: AuthorSummary::of(&a, active),
            rating_history: history.iter().map(RatingChange::from).collect(),
        })
    }

    /// Every author with their load and rating.
    pub async fn list_authors(
        &self,
        actor: &aggregates::Actor,
    ) -> Result<Vec<AuthorSummary>, AppError> {
        policy::authorize(actor, Action::ListAuthors)?;
        let list = authors::list(&self.db).await?;
        let active = authors::active_orders(&self.db).await?;
        Ok(list
            .iter()
            .map(|a| AuthorSummary::of(a, active.get(&a.id).copied().unwrap_or(0)))
            .collect())
    }

    /// One author with their rating's history: staff, or the author themself.
    pub async fn show_author(
        &self,
        actor: &aggregates::Actor,
        id: Uuid,
    ) -> Result<AuthorDetail, AppError> {
        policy::authorize(actor, Action::ReadAuthors)?;
        if !policy::sees_author(actor, id) {
            return Err(AppError::NotFound);
        }
        self.author_detail(id).await
    }

    /// The order's eligible authors with their chances (the order's manager, an admin).
    pub async fn order_candidates(
        &self,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<Vec<CandidateView>, AppError> {
        self.authorize_on(ctx, Action::ReadCandidates, id).await?;
        let list = crate::offers::candidates(self, id).await?;
        let total: u64 = list.iter().map(|c| c.weight).sum();
        Ok(list
            .iter()
            .map(|c| CandidateView {
                author_id: c.author_id,
                full_name: c.full_name.clone(),
                rating: c.weight as f64 / 100.0,
                probability: if total == 0 {
                    0.0
                } else {
                    c.weight as f64 / total as f64
                },
            })
            .collect())
    }

    /// Every offer of the order and how it ended (the order's manager, an admin).
    pub async fn order_offers(&self, ctx: &Ctx, id: Uuid) -> Result<Vec<OfferView>, AppError> {
        self.authorize_on(ctx, Action::ReadCandidates, id).await?;
        let offers = authors::offers_of(&self.db, id).await?;
        Ok(offers.iter().map(OfferView::from).collect())
    }

    /// The caller's pending offers (an author's queue), soonest to expire first.
    pub async fn my_offers(
        &self,
        actor: &aggregates::Actor,
    ) -> Result<Vec<PendingOffer>, AppError> {
        policy::authorize(actor, Action::ReadOffers)?;
        let rows = authors::pending_for(&self.db, actor.id).await?;
        Ok(rows
            .iter()
            .map(|o| PendingOffer {
                order_id: o.id,
                number: o.number,
                work_type: o.work_type.clone(),
                subject: o.subject.clone(),
                topic: o.topic.clone(),
                pages: o.pages,
                deadline: o.deadline,
                fee: o.author_fee,
                expires_at: o.offer_expires_at.map(|t| t.to_rfc3339()),
            })
            .collect())
    }
}
