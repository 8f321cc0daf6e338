//! The site's public reviews (`reviews`): what a client published at completion — the
//! rating, the text, the work type and subject, when; never a name — and whether a manager
//! has hidden it since. The average shown is derived from these rows, so from the events.

use aggregates::order::OrderEvent;
use async_trait::async_trait;

use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError, Reads};
use crate::sql::{Db, Row, Tx};

pub struct ReviewsProjection;

/// Order events, as the order's own event type.
const READS: Reads = Reads::of::<OrderEvent>("Order");

#[async_trait]
impl Projection for ReviewsProjection {
    fn name(&self) -> &'static str {
        "reviews"
    }

    fn reads(&self) -> &'static [Reads] {
        &[READS]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["reviews"]
    }

    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        // One review per completed order at most: a statement per review event.
        for ev in events.iter().filter(|e| {
            READS.matches(e) && matches!(e.event_type.as_str(), "ReviewPublished" | "ReviewHidden")
        }) {
            let event: OrderEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
            let id = ev.aggregate_id.as_str();
            match event {
                OrderEvent::ReviewPublished {
                    rating,
                    review,
                    work_type,
                    subject,
                } => {
                    tx.execute(
                        "INSERT INTO reviews \
                         (order_id, position, at, rating, review, work_type, subject, hidden) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                         ON CONFLICT (order_id) DO NOTHING",
                        &crate::args![
                            id,
                            ev.cursor.position,
                            ev.meta.at.to_rfc3339(),
                            i64::from(rating),
                            review,
                            work_type,
                            subject,
                            false
                        ],
                    )
                    .await?;
                }
                OrderEvent::ReviewHidden { .. } => {
                    tx.execute(
                        "UPDATE reviews SET hidden = $1 WHERE order_id = $2",
                        &crate::args![true, id],
                    )
                    .await?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A published review as the site shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRow {
    pub at: String,
    pub rating: i64,
    pub review: String,
    pub work_type: String,
    pub subject: String,
}

/// One page of the published, unhidden reviews (newest first), how many there are in all,
/// and the sum of their ratings (for the average).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReviewPage {
    pub items: Vec<ReviewRow>,
    pub total: i64,
    pub rating_sum: i64,
}

pub async fn published(db: &Db, limit: i64, offset: i64) -> Result<ReviewPage, sqlx::Error> {
    let rows = db
        .fetch_all(
            "SELECT at, rating, review, work_type, subject FROM reviews WHERE hidden = $1 \
             ORDER BY position DESC LIMIT $2 OFFSET $3",
            &crate::args![false, limit, offset],
        )
        .await?;
    let items = rows
        .iter()
        .map(|r: &Row| {
            Ok(ReviewRow {
                at: r.text("at")?,
                rating: r.int("rating")?,
                review: r.text("review")?,
                work_type: r.text("work_type")?,
                subject: r.text("subject")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let totals = db
        .fetch_one(
            "SELECT CAST(COUNT(*) AS bigint) AS n, CAST(COALESCE(SUM(rating), 0) AS bigint) AS s \
             FROM reviews WHERE hidden = $1",
            &crate::args![false],
        )
        .await?;
    Ok(ReviewPage {
        items,
        total: totals.int("n")?,
        rating_sum: totals.int("s")?,
    })
}

/// Whether the order's review is on the site now.
pub async fn is_shown(db: &Db, order_id: &str) -> Result<bool, sqlx::Error> {
    Ok(db
        .fetch_optional(
            "SELECT 1 AS one FROM reviews WHERE order_id = $1 AND hidden = $2",
            &crate::args![order_id, false],
        )
        .await?
        .is_some())
}
