//! The system's choice of an author for an order.

use aggregates::Role;
use rand::Rng;
use uuid::Uuid;

use crate::app::App;
use crate::app::AppError;

/// Picks an eligible author at random: an active (unblocked) author this order was never
/// offered to before. Every author weighs the same until author ratings exist.
pub async fn choose_author(app: &App, order_id: Uuid) -> Result<Option<Uuid>, AppError> {
    // The offers made so far must be in the table it excludes them by.
    app.fence().await;
    let rows = app
        .db
        .fetch_all(
            "SELECT id FROM users WHERE role = $1 AND blocked = false \
             AND id NOT IN (SELECT author_id FROM order_offers WHERE order_id = $2) ORDER BY id",
            &projections::args![Role::Author.as_str(), order_id],
        )
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let pick = rand::thread_rng().gen_range(0..rows.len());
    Ok(Some(rows[pick].uuid("id")?))
}
