use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rating::Rating;
use crate::order::FileKind;

/// Why an author's rating was (re)computed; serialized with a `type` tag
/// (`{"type": "client_rating", "order_id": …, "stars": 5}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RatingCause {
    /// An admin set the rating: it is the new prior, the evidence starts again.
    SetByAdmin { by: Uuid },
    /// The client of `order_id` rated the work `stars` (1..=5).
    ClientRating { order_id: Uuid, stars: u8 },
    /// A manager rejected the draft or final of `order_id` (the `sequence` of the rejection
    /// in the order's stream).
    Rejection {
        order_id: Uuid,
        kind: FileKind,
        sequence: u64,
    },
}

impl RatingCause {
    /// The cause's code, as in the `type` tag.
    pub fn as_str(&self) -> &'static str {
        match self {
            RatingCause::SetByAdmin { .. } => "set_by_admin",
            RatingCause::ClientRating { .. } => "client_rating",
            RatingCause::Rejection { .. } => "rejection",
        }
    }
}

/// Everything that can happen to an author's profile and rating. Type strings never change
/// once shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthorEvent {
    /// The whole profile as it now is (a read model overwrites its row with it).
    ProfileSet {
        subjects: Vec<String>,
        max_active_orders: u32,
        available: bool,
    },
    /// The rating as `cause` left it. After a client rating or a rejection it is recorded
    /// even when rounding leaves the value as it was, since the evidence (and the record that
    /// the cause was counted) changed. The counters are the author's totals after this event,
    /// over their whole history, so a read model needs no other event to show them.
    RatingChanged {
        rating: Rating,
        cause: RatingCause,
        ratings_received: u32,
        draft_rejections: u32,
        final_rejections: u32,
        at: DateTime<Utc>,
    },
}

impl DomainEvent for AuthorEvent {
    fn event_type(&self) -> String {
        match self {
            AuthorEvent::ProfileSet { .. } => "ProfileSet",
            AuthorEvent::RatingChanged { .. } => "RatingChanged",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
