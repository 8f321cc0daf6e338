//! The `Author` aggregate: an author's profile (subjects, limit, availability) and rating,
//! one per author (id = the author's user id); with the pure rules the service applies
//! around it: the rating formula ([`compute_rating`], `docs/rating.md`), who may be offered
//! an order ([`check_eligibility`]) and the weighted random choice ([`pick_weighted`]).

mod aggregate;
mod choice;
mod commands;
mod eligibility;
mod error;
mod events;
mod rating;
#[cfg(test)]
mod tests;

pub use aggregate::Author;
pub use choice::{pick_weighted, shares, Share};
pub use commands::AuthorCommand;
pub use eligibility::{
    check_eligibility, parse_subjects, subject_key, AuthorProfile, CandidateFacts, Ineligible,
    ACTIVE_ORDERS_LIMITS, MAX_SUBJECTS, MAX_SUBJECT_CHARS,
};
pub use error::AuthorError;
pub use events::{AuthorEvent, RatingCause};
pub use rating::{
    compute_rating, Evidence, Rating, PRIOR_WEIGHT, REJECTION_STARS, REJECTION_WEIGHT,
};
