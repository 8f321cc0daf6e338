//! An author's profile and who may be offered an order: the one statement of the rule, which
//! the service's SQL must agree with (its tests can build an [`AuthorProfile`] and ask).

use std::collections::HashSet;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::error::AuthorError;
use crate::Role;

/// The most subjects one author may list.
pub const MAX_SUBJECTS: usize = 50;

/// The longest subject accepted, in characters.
pub const MAX_SUBJECT_CHARS: usize = 100;

/// The limits an author's maximum number of active orders may be set to.
pub const ACTIVE_ORDERS_LIMITS: RangeInclusive<u32> = 1..=100;

/// What an admin sets about an author, besides the rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorProfile {
    /// The subjects the author writes on: trimmed, inner whitespace collapsed, no two with
    /// the same [`subject_key`], in the order given; 1..=[`MAX_SUBJECTS`] of them.
    pub subjects: Vec<String>,
    /// How many active orders the author may have at once ([`ACTIVE_ORDERS_LIMITS`]).
    pub max_active_orders: u32,
    /// Whether the author takes new orders now.
    pub available: bool,
}

impl AuthorProfile {
    /// Whether one of the author's subjects is `subject`, compared by [`subject_key`].
    pub fn writes_on(&self, subject: &str) -> bool {
        let wanted = subject_key(subject);
        self.subjects.iter().any(|s| subject_key(s) == wanted)
    }

    /// The profile's part of the rule: available, writes on `subject`, and `active_orders`
    /// (see [`CandidateFacts::active_orders`]) below the limit. [`check_eligibility`] is
    /// the whole rule.
    pub fn eligible_for(&self, subject: &str, active_orders: u32) -> bool {
        self.available && active_orders < self.max_active_orders && self.writes_on(subject)
    }
}

/// The form subjects are compared in: trimmed, runs of whitespace as one space, lowercased
/// (Unicode, `str::to_lowercase`). The service must store and compare these keys as
/// computed here, not with SQL `lower()`: SQLite's folds ASCII only ("История").
pub fn subject_key(subject: &str) -> String {
    subject
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Checks an admin's list of subjects and returns it cleaned: each trimmed with inner
/// whitespace collapsed, none blank or over [`MAX_SUBJECT_CHARS`]; duplicates by
/// [`subject_key`] dropped (the first spelling stays); 1..=[`MAX_SUBJECTS`] left.
pub fn parse_subjects(subjects: Vec<String>) -> Result<Vec<String>, AuthorError> {
    let mut cleaned: Vec<String> = Vec::with_capacity(subjects.len());
    let mut keys: HashSet<String> = HashSet::with_capacity(subjects.len());
    for subject in subjects {
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        if subject.is_empty() {
            return Err(AuthorError::EmptySubject);
        }
        if subject.chars().count() > MAX_SUBJECT_CHARS {
            return Err(AuthorError::SubjectTooLong {
                max: MAX_SUBJECT_CHARS,
            });
        }
        if keys.insert(subject_key(&subject)) {
            cleaned.push(subject);
        }
    }
    if cleaned.is_empty() {
        return Err(AuthorError::NoSubjects);
    }
    if cleaned.len() > MAX_SUBJECTS {
        return Err(AuthorError::TooManySubjects { max: MAX_SUBJECTS });
    }
    Ok(cleaned)
}

/// What the service knows about a possible author besides their profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandidateFacts {
    /// The user's role.
    pub role: Role,
    /// Whether the user is blocked.
    pub blocked: bool,
    /// Orders that occupy the author: those offered to them now and those they accepted that
    /// are not completed or failed, i.e. orders whose status
    /// [`crate::order::OrderStatus::occupies_author`]. Counting pending offers keeps two
    /// offers answered at once from taking the author over the limit.
    pub active_orders: u32,
    /// Whether this order was ever offered to them: declined, expired, or offered now.
    pub offered_before: bool,
}

/// Why an author may not be offered an order, in the order the rule checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Ineligible {
    #[error("the user is not an author")]
    NotAnAuthor,
    #[error("the author is blocked")]
    Blocked,
    #[error("the author has no profile")]
    NoProfile,
    #[error("the author is not available")]
    Unavailable,
    #[error("the author does not write on this subject")]
    OtherSubject,
    #[error("the author has as many active orders as they may")]
    AtLimit,
    #[error("the order was offered to this author before")]
    OfferedBefore,
}

/// The eligibility rule for offering an order on `subject` to an author; the system chooses
/// only among those it accepts. An author is eligible when they:
///
/// 1. have the `author` role,
/// 2. are not blocked,
/// 3. have a profile,
/// 4. are available,
/// 5. write on the order's subject ([`subject_key`] of the order's subject equals that of
///    one of theirs),
/// 6. have fewer active orders ([`CandidateFacts::active_orders`]) than their maximum,
/// 7. were never offered this order before (declined, let expire, or offered now).
pub fn check_eligibility(
    profile: Option<&AuthorProfile>,
    subject: &str,
    facts: &CandidateFacts,
) -> Result<(), Ineligible> {
    if facts.role != Role::Author {
        return Err(Ineligible::NotAnAuthor);
    }
    if facts.blocked {
        return Err(Ineligible::Blocked);
    }
    let Some(profile) = profile else {
        return Err(Ineligible::NoProfile);
    };
    if !profile.available {
        return Err(Ineligible::Unavailable);
    }
    if !profile.writes_on(subject) {
        return Err(Ineligible::OtherSubject);
    }
    if facts.active_orders >= profile.max_active_orders {
        return Err(Ineligible::AtLimit);
    }
    if facts.offered_before {
        return Err(Ineligible::OfferedBefore);
    }
    Ok(())
}
