//! Value types a request is parsed into once, at the edge of the application: a service
//! takes a `Pages`, never an `i64` it would have to check again. The aggregates keep the
//! business rules (a price above zero, the half that is due); these say only what a
//! well-formed value is.

use aggregates::order::OrderError;
use aggregates::user::UserError;

use super::AppError;

/// An amount of money: a whole, non-negative number of kopecks (no floats, ever).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Kopecks(i64);

impl Kopecks {
    pub fn get(self) -> i64 {
        self.0
    }

    /// The largest amount taken: the largest price an order may have.
    pub const MAX: i64 = aggregates::order::MAX_PRICE;

    /// An amount above zero (a payment), at most [`Kopecks::MAX`].
    pub fn positive(n: i64) -> Result<Kopecks, AppError> {
        if n > Kopecks::MAX {
            Err(AppError::Invalid(format!(
                "amount must be at most {} kopecks",
                Kopecks::MAX
            )))
        } else if n > 0 {
            Ok(Kopecks(n))
        } else {
            Err(AppError::Invalid(
                "amount must be a positive number of kopecks".into(),
            ))
        }
    }
}

/// A number of pages of a work: 1 to 1000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pages(u32);

impl Pages {
    pub const MAX: u32 = 1000;

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Pages {
    type Error = AppError;
    fn try_from(n: i64) -> Result<Pages, AppError> {
        u32::try_from(n)
            .ok()
            .filter(|n| (1..=Pages::MAX).contains(n))
            .map(Pages)
            .ok_or(AppError::Order(OrderError::InvalidPages))
    }
}

/// A client's rating of a work: 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rating(u8);

impl Rating {
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Rating {
    type Error = AppError;
    fn try_from(n: i64) -> Result<Rating, AppError> {
        u8::try_from(n)
            .ok()
            .filter(|n| (1..=5).contains(n))
            .map(Rating)
            .ok_or(AppError::Order(OrderError::InvalidRating))
    }
}

/// An email address, trimmed and lowercased (see `aggregates::user::parse_email`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Email, AppError> {
        aggregates::user::parse_email(s)
            .map(Email)
            .map_err(|e: UserError| AppError::Invalid(e.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The payment provider's id of a payment: 1 to 200 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentId(String);

impl PaymentId {
    pub const MAX_LEN: usize = 200;

    pub fn parse(s: &str) -> Result<PaymentId, AppError> {
        let id = s.trim();
        if id.is_empty() || id.len() > PaymentId::MAX_LEN {
            return Err(AppError::Invalid(format!(
                "payment_id must be 1 to {} characters",
                PaymentId::MAX_LEN
            )));
        }
        Ok(PaymentId(id.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_in_range_and_refuse_the_rest() {
        assert_eq!(Pages::try_from(1).unwrap().get(), 1);
        assert_eq!(Pages::try_from(1000).unwrap().get(), 1000);
        for bad in [0, -1, 1001, i64::MAX] {
            assert!(Pages::try_from(bad).is_err(), "{bad} pages");
        }
        assert_eq!(Rating::try_from(5).unwrap().get(), 5);
        for bad in [0, 6, -5, 256] {
            assert!(Rating::try_from(bad).is_err(), "rating {bad}");
        }
        assert_eq!(Kopecks::positive(1).unwrap().get(), 1);
        assert!(Kopecks::positive(0).is_err());
        assert_eq!(Email::parse(" A@B.ru ").unwrap().as_str(), "a@b.ru");
        assert!(Email::parse("nobody").is_err());
        assert_eq!(PaymentId::parse(" p-1 ").unwrap().into_string(), "p-1");
        assert!(PaymentId::parse("  ").is_err());
        assert!(PaymentId::parse(&"x".repeat(201)).is_err());
        assert!(PaymentId::parse(&"x".repeat(200)).is_ok());
    }
}
