//! The system's choice of an author for an order: the eligible authors (the domain's rule,
//! `aggregates::author::check_eligibility`, over facts from the read models) and the draw
//! weighted by rating (`aggregates::author::pick_weighted`) from the service's seeded
//! random source ([`App::draw`]). `POST /api/orders/{id}/offer {}`, the candidate list and
//! the offer-expiry worker all go through here.

use aggregates::author::{
    check_eligibility, pick_weighted, subject_key, CandidateFacts, Ineligible,
};
use projections::authors::{self, AuthorRow};
use uuid::Uuid;

use crate::app::{App, AppError};

/// An author who may be offered the order, with their weight in the draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub author_id: Uuid,
    pub full_name: String,
    /// The rating in hundredths: the chance of being chosen is proportional to it.
    pub weight: u64,
}

/// The facts the rule needs about `a` for this order.
fn facts(a: &AuthorRow, active_orders: i64, offered_before: bool) -> CandidateFacts {
    CandidateFacts {
        role: a.role,
        blocked: a.blocked,
        active_orders: u32::try_from(active_orders.max(0)).unwrap_or(u32::MAX),
        offered_before,
    }
}

/// Exactly the eligible authors for the order, sorted by id (the draw's order). Reads the
/// tables after the read fence, so every offer made so far is in them.
pub async fn candidates(app: &App, order_id: Uuid) -> Result<Vec<Candidate>, AppError> {
    app.fence().await;
    let order = app.order_state(order_id).await?;
    if !order.placed {
        return Err(AppError::NotFound);
    }
    let key = subject_key(&order.subject);
    let writers = authors::writing_on(&app.db, &key).await?;
    let active = authors::active_orders_on(&app.db, &key).await?;
    let offered = authors::offered_before(&app.db, order_id).await?;
    let mut out: Vec<Candidate> = writers
        .iter()
        .filter(|a| {
            let f = facts(
                a,
                active.get(&a.id).copied().unwrap_or(0),
                offered.contains(&a.id),
            );
            check_eligibility(a.profile.as_ref(), &order.subject, &f).is_ok()
        })
        .map(|a| Candidate {
            author_id: a.id,
            full_name: a.full_name.clone(),
            weight: u64::try_from(a.rating.max(0)).unwrap_or(0),
        })
        .collect();
    out.sort_by_key(|c| c.author_id);
    Ok(out)
}

/// The candidate the weighted draw picks with `draw` (`None` for an empty list).
pub fn pick(candidates: &[Candidate], draw: u64) -> Option<&Candidate> {
    let weights: Vec<u64> = candidates.iter().map(|c| c.weight).collect();
    pick_weighted(&weights, draw).map(|i| &candidates[i])
}

/// One draw from the service's random source over `candidates`.
pub fn draw_from<'c>(app: &App, candidates: &'c [Candidate]) -> Option<&'c Candidate> {
    if candidates.is_empty() {
        return None;
    }
    pick(candidates, app.draw())
}

/// The system's choice: one weighted draw over exactly [`candidates`]; `None` when nobody
/// is eligible.
pub async fn choose_author(app: &App, order_id: Uuid) -> Result<Option<Uuid>, AppError> {
    let list = candidates(app, order_id).await?;
    Ok(draw_from(app, &list).map(|c| c.author_id))
}

/// Whether a manager's chosen author may be offered the order: the same rule, for one.
/// `Err(AppError::Invalid)` when the user is unknown or not an author.
pub async fn check_chosen(
    app: &App,
    order_id: Uuid,
    author_id: Uuid,
) -> Result<Result<(), Ineligible>, AppError> {
    app.fence().await;
    let order = app.order_state(order_id).await?;
    let a = authors::by_id(&app.db, author_id)
        .await?
        .filter(|a| a.role == aggregates::Role::Author)
        .ok_or_else(|| AppError::Invalid(format!("{author_id} is not an author")))?;
    let active = authors::active_orders_of(&app.db, author_id).await?;
    let offered = authors::offered_before(&app.db, order_id)
        .await?
        .contains(&author_id);
    Ok(check_eligibility(
        a.profile.as_ref(),
        &order.subject,
        &facts(&a, active, offered),
    ))
}
