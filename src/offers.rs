//! The system's choice of an author for an order: the eligible authors (the domain's rule,
//! `aggregates::author::check_eligibility`, over facts from the read models) and the draw
//! weighted by rating (`aggregates::author::pick_weighted`) from the service's seeded
//! random source ([`App::draw`]). `POST /api/orders/{id}/offer {}`, the candidate list and
//! the offer-expiry worker all go through here.

use aggregates::author::{
    check_eligibility, pick_weighted, subject_key, CandidateFacts, Ineligible,
};
use std::collections::HashMap;
use std::sync::Arc;

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
    app.fence_for_decision().await?;
    candidates_now(app, order_id).await
}

/// [`candidates`] from the tables as they are (no fence): what an offer draws from before
/// it checks the drawn author again under their lock, after the fence
/// ([`choose_locked`]), so that an offer waits for the read models once, not twice.
async fn candidates_now(app: &App, order_id: Uuid) -> Result<Vec<Candidate>, AppError> {
    let order = app.order_state(order_id).await?;
    if !order.placed {
        return Err(AppError::NotFound);
    }
    let key = subject_key(&order.subject);
    let rows = authors::candidates_on(&app.db, &key, order_id).await?;
    let mut out: Vec<Candidate> = rows
        .iter()
        .filter(|c| {
            let f = facts(&c.author, c.active_orders, c.offered_before);
            check_eligibility(c.author.profile.as_ref(), &order.subject, &f).is_ok()
        })
        .map(|c| Candidate {
            author_id: c.author.id,
            full_name: c.author.full_name.clone(),
            weight: u64::try_from(c.author.rating.max(0)).unwrap_or(0),
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
    app.fence_for_decision().await?;
    draw_now(app, order_id).await
}

/// [`choose_author`] over [`candidates_now`].
async fn draw_now(app: &App, order_id: Uuid) -> Result<Option<Uuid>, AppError> {
    let list = candidates_now(app, order_id).await?;
    Ok(draw_from(app, &list).map(|c| c.author_id))
}

/// Whether a manager's chosen author may be offered the order: the same rule, for one.
/// `Err(AppError::Invalid)` when the user is unknown or not an author.
pub async fn check_chosen(
    app: &App,
    order_id: Uuid,
    author_id: Uuid,
) -> Result<Result<(), Ineligible>, AppError> {
    app.fence_for_decision().await?;
    let order = app.order_state(order_id).await?;
    let c = authors::candidate(&app.db, author_id, order_id)
        .await?
        .filter(|c| c.author.role == aggregates::Role::Author)
        .ok_or_else(|| AppError::Invalid(format!("{author_id} is not an author")))?;
    Ok(check_eligibility(
        c.author.profile.as_ref(),
        &order.subject,
        &facts(&c.author, c.active_orders, c.offered_before),
    ))
}

/// How often an automatic offer draws again when the author it drew stopped being
/// eligible while it waited for their lock (another offer filled them up).
const REDRAWS: usize = 5;

/// The in-process locks of [`lock_author`], one per author (entries nobody holds are
/// dropped as the map grows).
pub type AuthorLocks = std::sync::Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>;

/// Held from the last check of an author's eligibility until the offer to them is
/// committed: two offers to one author (two managers, a manager and the expiry worker,
/// two instances) are decided one after the other, so the second one sees the first
/// in the read models (its check fences) and an author at their limit is never offered
/// another order. In this process a mutex per author; on PostgreSQL also a transaction's
/// advisory lock, for the other instances (it takes no transaction id, so it holds back
/// neither the feed nor vacuum).
pub struct AuthorLock {
    _local: tokio::sync::OwnedMutexGuard<()>,
    _shared: Option<projections::Tx>,
}

/// The advisory-lock key of an author (both halves of the id folded).
fn advisory_key(author_id: Uuid) -> i64 {
    let (hi, lo) = author_id.as_u64_pair();
    (hi ^ lo) as i64
}

/// Waits for the author's lock ([`AuthorLock`]).
pub async fn lock_author(app: &App, author_id: Uuid) -> Result<AuthorLock, AppError> {
    let local = {
        let mut locks = app.author_locks.lock().unwrap_or_else(|p| p.into_inner());
        if locks.len() >= 1024 {
            locks.retain(|_, m| Arc::strong_count(m) > 1);
        }
        locks.entry(author_id).or_default().clone()
    };
    let local = local.lock_owned().await;
    let shared = if app.db.is_postgres() {
        let mut tx = app.db.begin().await?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &projections::args![advisory_key(author_id)],
        )
        .await?;
        Some(tx)
    } else {
        None
    };
    Ok(AuthorLock {
        _local: local,
        _shared: shared,
    })
}

/// The author of an offer, with their lock held: to be dropped once the offer is
/// committed (or refused).
pub enum Choice {
    Author(Uuid, AuthorLock),
    /// The named author may not be offered the order.
    Ineligible(Ineligible),
    /// Nobody may (the automatic choice).
    Nobody,
}

/// The author to offer the order to: `named` (a manager's choice) or the weighted draw
/// over [`candidates`]; the rule is checked again under the author's lock
/// ([`lock_author`]), and a drawn author who filled up meanwhile is drawn again (at most
/// [`REDRAWS`] times, then a lost race).
pub async fn choose_locked(
    app: &App,
    order_id: Uuid,
    named: Option<Uuid>,
) -> Result<Choice, AppError> {
    if let Some(author_id) = named {
        let lock = lock_author(app, author_id).await?;
        return Ok(match check_chosen(app, order_id, author_id).await? {
            Ok(()) => Choice::Author(author_id, lock),
            Err(why) => Choice::Ineligible(why),
        });
    }
    for round in 0..REDRAWS {
        // The first draw from the tables as they are: the drawn author is checked again
        // under the lock, after the fence; a redraw follows that fence.
        let drawn = if round == 0 {
            draw_now(app, order_id).await?
        } else {
            choose_author(app, order_id).await?
        };
        let Some(author_id) = drawn else {
            if round == 0 {
                // Nobody in the unfenced tables: ask the fenced ones before refusing.
                if let Some(author_id) = choose_author(app, order_id).await? {
                    let lock = lock_author(app, author_id).await?;
                    if check_chosen(app, order_id, author_id).await?.is_ok() {
                        return Ok(Choice::Author(author_id, lock));
                    }
                    continue;
                }
            }
            return Ok(Choice::Nobody);
        };
        let lock = lock_author(app, author_id).await?;
        if check_chosen(app, order_id, author_id).await?.is_ok() {
            return Ok(Choice::Author(author_id, lock));
        }
    }
    Err(AppError::LostRace("author"))
}
