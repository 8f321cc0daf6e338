use thiserror::Error;
use uuid::Uuid;

use super::eligibility::ACTIVE_ORDERS_LIMITS;

/// Why an author refused a command. Each maps to one HTTP status (see
/// [`AuthorError::is_invalid_value`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthorError {
    // --- values out of range: 422 ---
    #[error("an author needs at least one subject")]
    NoSubjects,
    #[error("a subject must not be empty")]
    EmptySubject,
    #[error("a subject is at most {max} characters")]
    SubjectTooLong { max: usize },
    #[error("an author has at most {max} subjects")]
    TooManySubjects { max: usize },
    #[error(
        "the maximum of active orders must be between {} and {}",
        ACTIVE_ORDERS_LIMITS.start(),
        ACTIVE_ORDERS_LIMITS.end()
    )]
    InvalidMaxActiveOrders,
    #[error("a rating is from 1.00 to 5.00")]
    InvalidRating,
    #[error("a client's rating is a whole number from 1 to 5")]
    InvalidClientRating,
    #[error("a new author's profile needs a rating")]
    InitialRatingRequired,

    // --- not allowed in the current state: 409 ---
    #[error("the author has no profile")]
    NoProfile,
    #[error("only an admin sets an author's rating")]
    RatingByAdminOnly,
    #[error("order {order_id} was already rated {stars}")]
    OrderAlreadyRated { order_id: Uuid, stars: u8 },
}

impl AuthorError {
    /// A value out of range (422) rather than a command not allowed in this state (409).
    pub fn is_invalid_value(&self) -> bool {
        matches!(
            self,
            AuthorError::NoSubjects
                | AuthorError::EmptySubject
                | AuthorError::SubjectTooLong { .. }
                | AuthorError::TooManySubjects { .. }
                | AuthorError::InvalidMaxActiveOrders
                | AuthorError::InvalidRating
                | AuthorError::InvalidClientRating
                | AuthorError::InitialRatingRequired
        )
    }
}
