//! Authors' profiles and ratings (`authors`), their subjects as comparison keys
//! (`author_subjects`) and every change of their rating (`author_rating_history`); plus the
//! queries behind the author endpoints and the choice of an author: the facts the
//! eligibility rule needs (`aggregates::author::check_eligibility`) and each author's active
//! orders, counted from the order table.

use std::collections::HashMap;

use aggregates::author::{subject_key, AuthorEvent, AuthorProfile, RatingCause};
use aggregates::Role;
use async_trait::async_trait;
use uuid::Uuid;

use crate::feed::StoredEvent;
use crate::order_list::{author_scope, AUTHOR_SCOPE_PREFIX};
use crate::runner::{Projection, ProjectionError, Reads};
use crate::sql::{Arg, Db, Row, Tx};

pub struct AuthorsProjection;

/// Author events, as the author's own event type.
const READS: Reads = Reads::of::<AuthorEvent>("Author");

#[async_trait]
impl Projection for AuthorsProjection {
    fn name(&self) -> &'static str {
        "authors"
    }

    fn reads(&self) -> &'static [Reads] {
        &[READS]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["authors", "author_subjects", "author_rating_history"]
    }

    /// The history: one row per event, keyed by the event.
    fn insert_only_tables(&self) -> &'static [&'static str] {
        &["author_rating_history"]
    }

    /// Few events (an admin's edit, a completion, a rejection): one statement each for the
    /// profile, the history in one insert at the end.
    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        let mut history: Vec<Vec<crate::sql::Arg>> = Vec::new();
        for ev in events.iter().filter(|e| READS.matches(e)) {
            let event: AuthorEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
            let id = ev.aggregate_id.as_str();
            let at = ev.meta.at.to_rfc3339();
            match event {
                AuthorEvent::ProfileSet {
                    subjects,
                    max_active_orders,
                    available,
                } => {
                    let json = serde_json::to_string(&subjects).unwrap_or_else(|_| "[]".into());
                    tx.execute(
                        "INSERT INTO authors (id, subjects, max_active_orders, available, has_profile, updated_at) \
                         VALUES ($1, $2, $3, $4, true, $5) ON CONFLICT (id) DO UPDATE SET \
                         subjects = excluded.subjects, max_active_orders = excluded.max_active_orders, \
                         available = excluded.available, has_profile = true, updated_at = excluded.updated_at",
                        &crate::args![id, json, i64::from(max_active_orders), available, at.as_str()],
                    )
                    .await?;
                    tx.execute(
                        "DELETE FROM author_subjects WHERE author_id = $1",
                        &crate::args![id],
                    )
                    .await?;
                    let mut keys: Vec<String> = subjects.iter().map(|s| subject_key(s)).collect();
                    keys.sort();
                    keys.dedup();
                    let rows: Vec<Vec<crate::sql::Arg>> = keys
                        .into_iter()
                        .map(|k| crate::args![id, k].to_vec())
                        .collect();
                    tx.insert_rows(
                        "INSERT INTO author_subjects (author_id, subject_key)",
                        "ON CONFLICT (author_id, subject_key) DO NOTHING",
                        &rows,
                    )
                    .await?;
                }
                AuthorEvent::RatingChanged {
                    rating,
                    cause,
                    ratings_received,
                    draft_rejections,
                    final_rejections,
                    at: when,
                } => {
                    let rating = i64::from(rating.hundredths());
                    tx.execute(
                        "INSERT INTO authors (id, rating, ratings_received, draft_rejections, final_rejections, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET \
                         rating = excluded.rating, ratings_received = excluded.ratings_received, \
                         draft_rejections = excluded.draft_rejections, \
                         final_rejections = excluded.final_rejections, updated_at = excluded.updated_at",
                        &crate::args![
                            id,
                            rating,
                            i64::from(ratings_received),
                            i64::from(draft_rejections),
                            i64::from(final_rejections),
                            at.as_str()
                        ],
                    )
                    .await?;
                    let (order_id, stars) = match cause {
                        RatingCause::SetByAdmin { .. } => (None, None),
                        RatingCause::ClientRating { order_id, stars } => {
                            (Some(order_id), Some(i64::from(stars)))
                        }
                        RatingCause::Rejection { order_id, .. } => (Some(order_id), None),
                    };
                    let row = crate::args![
                        id,
                        ev.cursor.position,
                        when.to_rfc3339(),
                        rating,
                        cause.as_str(),
                        order_id,
                        stars
                    ]
                    .to_vec();
                    history.push(row);
                }
            }
        }
        write_history(tx, &history).await
    }
}

/// Writes a batch's rating history (an event already recorded is left as it is; a fresh
/// load, which sees each event once, copies them in: the table is insert-only).
async fn write_history(tx: &mut Tx, rows: &[Vec<crate::sql::Arg>]) -> Result<(), ProjectionError> {
    const COLUMNS: &[&str] = &[
        "author_id",
        "position",
        "at",
        "rating",
        "cause",
        "order_id",
        "stars",
    ];
    if rows.is_empty() {
        return Ok(());
    }
    if tx.fresh() {
        tx.copy_rows("author_rating_history", COLUMNS, rows).await?;
    } else {
        tx.insert_rows(
            &format!("INSERT INTO author_rating_history ({})", COLUMNS.join(", ")),
            "ON CONFLICT (author_id, position) DO NOTHING",
            rows,
        )
        .await?;
    }
    Ok(())
}

/// An author as the directory and `authors` know them (defaults before any profile).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorRow {
    pub id: Uuid,
    pub full_name: String,
    pub role: Role,
    pub blocked: bool,
    /// `None` until an admin sets a profile.
    pub profile: Option<AuthorProfile>,
    /// Hundredths (437 is 4.37).
    pub rating: i64,
    pub ratings_received: i64,
    pub draft_rejections: i64,
    pub final_rejections: i64,
}

const AUTHOR_COLUMNS: &str = "u.id, u.full_name, u.role, u.blocked, \
    COALESCE(a.has_profile, false) AS has_profile, COALESCE(a.subjects, '[]') AS subjects, \
    COALESCE(a.max_active_orders, 0) AS max_active_orders, COALESCE(a.available, false) AS available, \
    COALESCE(a.rating, 300) AS rating, COALESCE(a.ratings_received, 0) AS ratings_received, \
    COALESCE(a.draft_rejections, 0) AS draft_rejections, COALESCE(a.final_rejections, 0) AS final_rejections";

impl AuthorRow {
    fn from_row(r: &Row) -> Result<AuthorRow, sqlx::Error> {
        let role = r.text("role")?;
        let subjects: Vec<String> =
            serde_json::from_str(&r.text("subjects")?).map_err(|e| sqlx::Error::ColumnDecode {
                index: "subjects".into(),
                source: Box::new(e),
            })?;
        let profile = r.bool("has_profile")?.then(|| AuthorProfile {
            subjects,
            max_active_orders: u32::try_from(r.int("max_active_orders").unwrap_or(0)).unwrap_or(0),
            available: r.bool("available").unwrap_or(false),
        });
        Ok(AuthorRow {
            id: r.uuid("id")?,
            full_name: r.text("full_name")?,
            role: Role::parse(&role).ok_or_else(|| sqlx::Error::ColumnDecode {
                index: "role".into(),
                source: format!("unknown role {role}").into(),
            })?,
            blocked: r.bool("blocked")?,
            profile,
            rating: r.int("rating")?,
            ratings_received: r.int("ratings_received")?,
            draft_rejections: r.int("draft_rejections")?,
            final_rejections: r.int("final_rejections")?,
        })
    }
}

/// Every user with the author role, by name.
pub async fn list(db: &Db) -> Result<Vec<AuthorRow>, sqlx::Error> {
    db.fetch_all(
        &format!(
            "SELECT {AUTHOR_COLUMNS} FROM users u LEFT JOIN authors a ON a.id = u.id \
             WHERE u.role = $1 ORDER BY u.full_name, u.id"
        ),
        &crate::args![Role::Author.as_str()],
    )
    .await?
    .iter()
    .map(AuthorRow::from_row)
    .collect()
}

/// The user `id` with their author profile and rating (whatever their role).
pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<AuthorRow>, sqlx::Error> {
    db.fetch_optional(
        &format!("SELECT {AUTHOR_COLUMNS} FROM users u LEFT JOIN authors a ON a.id = u.id WHERE u.id = $1"),
        &crate::args![id],
    )
    .await?
    .map(|r| AuthorRow::from_row(&r))
    .transpose()
}

/// Active orders per author (orders whose status occupies them: offered to them now, or
/// accepted and not completed or failed), of one author (`Some`) or every author (`None`):
/// the sums of their
/// counters in `order_counts`, kept by the order table's projection, so the answer does
/// not grow with the history.
async fn active_orders_where(
    db: &Db,
    among: Option<Uuid>,
) -> Result<HashMap<Uuid, i64>, sqlx::Error> {
    let (filter, args) = match among {
        Some(id) => ("scope = $1".to_string(), vec![Arg::from(author_scope(id))]),
        None => (format!("scope LIKE '{AUTHOR_SCOPE_PREFIX}%'"), vec![]),
    };
    let rows = db
        .fetch_all(
            &format!(
                "SELECT scope, CAST(SUM(n) AS bigint) AS n FROM order_counts \
                 WHERE {filter} GROUP BY scope"
            ),
            &args,
        )
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in &rows {
        let scope = r.text("scope")?;
        let id = scope
            .strip_prefix(AUTHOR_SCOPE_PREFIX)
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| sqlx::Error::ColumnDecode {
                index: "scope".into(),
                source: format!("{scope:?} is not an author's counter").into(),
            })?;
        out.insert(id, r.int("n")?);
    }
    Ok(out)
}

/// Active orders of every author who has any.
pub async fn active_orders(db: &Db) -> Result<HashMap<Uuid, i64>, sqlx::Error> {
    active_orders_where(db, None).await
}

/// Active orders of one author.
pub async fn active_orders_of(db: &Db, id: Uuid) -> Result<i64, sqlx::Error> {
    Ok(active_orders_where(db, Some(id))
        .await?
        .get(&id)
        .copied()
        .unwrap_or(0))
}

/// An author with what the eligibility rule needs to know about them for one order.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateRow {
    pub author: AuthorRow,
    /// Active orders ([`active_orders`]).
    pub active_orders: i64,
    /// Whether the order was ever offered to them (a row of `order_offers`).
    pub offered_before: bool,
}

/// The columns of a [`CandidateRow`] beyond the author's, for the order `$2`: one round
/// trip instead of three (the author, their active orders, the order's offers).
fn candidate_columns() -> String {
    format!(
        "{AUTHOR_COLUMNS}, \
         CAST(COALESCE((SELECT SUM(c.n) FROM order_counts c \
            WHERE c.scope = '{AUTHOR_SCOPE_PREFIX}' || u.id), 0) AS bigint) AS active_orders, \
         EXISTS (SELECT 1 FROM order_offers f WHERE f.order_id = $2 AND f.author_id = u.id) \
            AS offered_before"
    )
}

impl CandidateRow {
    fn from_row(r: &Row) -> Result<CandidateRow, sqlx::Error> {
        Ok(CandidateRow {
            author: AuthorRow::from_row(r)?,
            active_orders: r.int("active_orders")?,
            offered_before: r.bool("offered_before")?,
        })
    }
}

/// The authors who write on the subject whose key is `key` (any role, blocked or not: the
/// eligibility rule decides), by id, each with their facts for the order `order_id`.
pub async fn candidates_on(
    db: &Db,
    key: &str,
    order_id: Uuid,
) -> Result<Vec<CandidateRow>, sqlx::Error> {
    db.fetch_all(
        &format!(
            "SELECT {} FROM author_subjects s JOIN users u ON u.id = s.author_id \
             LEFT JOIN authors a ON a.id = s.author_id WHERE s.subject_key = $1 ORDER BY u.id",
            candidate_columns()
        ),
        &crate::args![key, order_id],
    )
    .await?
    .iter()
    .map(CandidateRow::from_row)
    .collect()
}

/// [`by_id`] with the facts for the order `order_id`.
pub async fn candidate(
    db: &Db,
    id: Uuid,
    order_id: Uuid,
) -> Result<Option<CandidateRow>, sqlx::Error> {
    db.fetch_optional(
        &format!(
            "SELECT {} FROM users u LEFT JOIN authors a ON a.id = u.id WHERE u.id = $1",
            candidate_columns()
        ),
        &crate::args![id, order_id],
    )
    .await?
    .map(|r| CandidateRow::from_row(&r))
    .transpose()
}

/// One change of an author's rating.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingEntry {
    pub at: String,
    pub rating: i64,
    pub cause: String,
    pub order_id: Option<Uuid>,
    pub stars: Option<i64>,
}

/// The author's rating history, oldest first.
pub async fn rating_history(db: &Db, id: Uuid) -> Result<Vec<RatingEntry>, sqlx::Error> {
    db.fetch_all(
        "SELECT at, rating, cause, order_id, stars FROM author_rating_history \
         WHERE author_id = $1 ORDER BY position",
        &crate::args![id],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(RatingEntry {
            at: r.text("at")?,
            rating: r.int("rating")?,
            cause: r.text("cause")?,
            order_id: r.opt_uuid("order_id")?,
            stars: r.opt_int("stars")?,
        })
    })
    .collect()
}

/// An offer of an order, as the manager sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferEntry {
    pub author_id: Uuid,
    pub full_name: String,
    pub offered_at: String,
    pub expires_at: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub answered_at: Option<String>,
}

/// Every offer of the order, oldest first.
pub async fn offers_of(db: &Db, order_id: Uuid) -> Result<Vec<OfferEntry>, sqlx::Error> {
    db.fetch_all(
        "SELECT o.author_id, COALESCE(u.full_name, '') AS full_name, o.offered_at, o.expires_at, \
         o.outcome, o.reason, o.answered_at FROM order_offers o LEFT JOIN users u ON u.id = o.author_id \
         WHERE o.order_id = $1 ORDER BY o.offered_at, o.author_id",
        &crate::args![order_id],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(OfferEntry {
            author_id: r.uuid("author_id")?,
            full_name: r.text("full_name")?,
            offered_at: r.text("offered_at")?,
            expires_at: r.opt_text("expires_at")?,
            outcome: r.text("outcome")?,
            reason: r.opt_text("reason")?,
            answered_at: r.opt_text("answered_at")?,
        })
    })
    .collect()
}

/// The orders offered to `author_id` now, from the order table (which says what they need
/// to decide), soonest to expire first.
pub async fn pending_for(
    db: &Db,
    author_id: Uuid,
) -> Result<Vec<crate::order_list::OrderRow>, sqlx::Error> {
    db.fetch_all(
        &format!(
            "SELECT {} FROM order_list WHERE offered_to = $1 ORDER BY offer_expires_at, number",
            crate::order_list::COLUMNS
        ),
        &crate::args![author_id],
    )
    .await?
    .iter()
    .map(crate::order_list::OrderRow::from_row)
    .collect()
}
