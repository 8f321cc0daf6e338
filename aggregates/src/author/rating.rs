//! An author's rating and the formula that moves it (`docs/rating.md`): a Bayesian average
//! in which the admin's rating weighs as much as [`PRIOR_WEIGHT`] client ratings, computed
//! in integer hundredths so events and state hold no floats.

use serde::{Deserialize, Serialize};

use super::error::AuthorError;

/// How many client ratings the admin's rating weighs (K).
pub const PRIOR_WEIGHT: u64 = 5;

/// The stars a rejected draft or final counts as.
pub const REJECTION_STARS: u64 = 1;

/// The weight of one rejection against one client rating (w = 1/2), as `(numerator,
/// denominator)`, so the arithmetic stays in integers.
pub const REJECTION_WEIGHT: (u64, u64) = (1, 2);

/// A rating from 1.00 to 5.00 in hundredths (100..=500). It is also the author's weight in
/// the choice of an author: the chance of being offered an order is proportional to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct Rating(u16);

impl Rating {
    /// 1.00, the lowest rating.
    pub const MIN: Rating = Rating(100);
    /// 5.00, the highest rating.
    pub const MAX: Rating = Rating(500);
    /// 3.00, the prior of an author no admin has rated yet.
    pub const NEUTRAL: Rating = Rating(300);

    /// The rating of `hundredths` (437 is 4.37), or `InvalidRating` outside 100..=500.
    pub fn from_hundredths(hundredths: u16) -> Result<Rating, AuthorError> {
        if (Self::MIN.0..=Self::MAX.0).contains(&hundredths) {
            Ok(Rating(hundredths))
        } else {
            Err(AuthorError::InvalidRating)
        }
    }

    /// The rating of a whole number of stars (1..=5), or `InvalidRating`.
    pub fn from_stars(stars: u8) -> Result<Rating, AuthorError> {
        if (1..=5).contains(&stars) {
            Ok(Rating(u16::from(stars) * 100))
        } else {
            Err(AuthorError::InvalidRating)
        }
    }

    /// The rating in hundredths, 100..=500.
    pub fn hundredths(self) -> u16 {
        self.0
    }

    /// The author's weight in [`super::pick_weighted`]: the rating in hundredths.
    pub fn weight(self) -> u64 {
        u64::from(self.0)
    }
}

impl Default for Rating {
    fn default() -> Self {
        Rating::NEUTRAL
    }
}

impl TryFrom<u16> for Rating {
    type Error = AuthorError;
    fn try_from(hundredths: u16) -> Result<Self, Self::Error> {
        Rating::from_hundredths(hundredths)
    }
}

impl From<Rating> for u16 {
    fn from(rating: Rating) -> u16 {
        rating.0
    }
}

/// `4.37`: two decimals, as shown to people.
impl std::fmt::Display for Rating {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// What moved the rating since the admin last set it: the sums the formula needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Client ratings received (n).
    pub client_ratings: u32,
    /// The sum of their stars (Σ c).
    pub client_stars: u64,
    /// Drafts and finals rejected by a manager (m).
    pub rejections: u32,
}

impl Evidence {
    /// This evidence plus one client rating of `stars`.
    pub fn with_client_rating(self, stars: u8) -> Evidence {
        Evidence {
            client_ratings: self.client_ratings.saturating_add(1),
            client_stars: self.client_stars.saturating_add(u64::from(stars)),
            ..self
        }
    }

    /// This evidence plus one rejection.
    pub fn with_rejection(self) -> Evidence {
        Evidence {
            rejections: self.rejections.saturating_add(1),
            ..self
        }
    }

    /// No evidence at all: the rating is the prior.
    pub fn is_empty(&self) -> bool {
        *self == Evidence::default()
    }
}

/// The rating that `prior` (the admin's rating) and `evidence` give:
///
/// `R = (K·R0 + Σc + m·w·1) / (K + n + m·w)` with K = [`PRIOR_WEIGHT`], w = [`REJECTION_WEIGHT`],
///
/// in hundredths, rounded half up, clamped to 1.00..=5.00 (a weighted average of values in
/// 1..5 never leaves it; the clamp only guards the arithmetic). Computed from the sums each
/// time, never from the previous rounded rating, so rounding does not drift.
pub fn compute_rating(prior: Rating, evidence: &Evidence) -> Rating {
    let (w_num, w_den) = REJECTION_WEIGHT;
    let (w_num, w_den) = (u128::from(w_num), u128::from(w_den));
    let k = u128::from(PRIOR_WEIGHT);
    let n = u128::from(evidence.client_ratings);
    let m = u128::from(evidence.rejections);
    // Numerator and denominator times w_den, so the weight stays an integer; in hundredths.
    let numerator = w_den * k * u128::from(prior.hundredths())
        + w_den * 100 * u128::from(evidence.client_stars)
        + w_num * 100 * u128::from(REJECTION_STARS) * m;
    let denominator = w_den * k + w_den * n + w_num * m;
    let rounded = (2 * numerator + denominator) / (2 * denominator);
    let clamped = rounded.clamp(u128::from(Rating::MIN.0), u128::from(Rating::MAX.0));
    Rating(u16::try_from(clamped).unwrap_or(Rating::MAX.0))
}
