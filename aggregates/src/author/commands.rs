use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rating::Rating;
use crate::order::FileKind;
use crate::Actor;

/// What can be asked of an author's profile and rating. `at` is the service clock's "now".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AuthorCommand {
    /// An admin sets the profile (`PUT /api/authors/{id}`). `subjects` are cleaned by
    /// [`super::parse_subjects`]. `rating`: `None` keeps the current rating (it is required
    /// the first time); only an admin may give one, and one different from the current
    /// rating replaces it and becomes the new prior, the evidence so far set aside
    /// (`docs/rating.md`); the current rating again changes nothing. `available`: `None`
    /// keeps the current availability (a new profile is available).
    SetProfile {
        by: Actor,
        subjects: Vec<String>,
        rating: Option<Rating>,
        max_active_orders: u32,
        available: Option<bool>,
        at: DateTime<Utc>,
    },
    /// The author (or an admin) turns taking new orders on or off.
    SetAvailability { available: bool, at: DateTime<Utc> },
    /// The client rated the author's work on `order_id` at completion (1..=5 stars), as
    /// recorded in the order's `OrderCompleted`. Recording it again changes nothing.
    RecordClientRating {
        order_id: Uuid,
        stars: u8,
        at: DateTime<Utc>,
    },
    /// A manager rejected the author's draft or final work on `order_id`. `sequence`
    /// identifies this rejection among the order's events and is the same on every delivery:
    /// the sequence number of the `DraftRejected`/`FinalRejected` event in the order's stream.
    /// Recording the same `(order_id, kind, sequence)` again changes nothing.
    RecordRejection {
        order_id: Uuid,
        kind: FileKind,
        sequence: u64,
        at: DateTime<Utc>,
    },
}
