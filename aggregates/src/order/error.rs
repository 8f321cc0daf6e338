use thiserror::Error;

use super::aggregate::OrderStatus;
use super::events::Half;

/// Why an order refused a command. Each maps to one HTTP status (see [`OrderError::is_invalid_value`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderError {
    // --- values out of range: 422 ---
    #[error("pages must be between 1 and 1000")]
    InvalidPages,
    #[error("{0} must not be empty")]
    EmptyField(&'static str),
    #[error("{field} must be at most {max} characters long")]
    TooLong { field: &'static str, max: usize },
    #[error("the deadline must not be in the past")]
    DeadlineInPast,
    #[error("the price must be a positive number of kopecks")]
    InvalidPrice,
    #[error("the author's fee must be between 0 and the price")]
    InvalidAuthorFee,
    #[error("a rating is a whole number from 1 to 5")]
    InvalidRating,
    #[error("an offer must expire after it is made")]
    InvalidExpiry,
    #[error("a refund must be a positive number of kopecks")]
    InvalidRefund,
    #[error("a compensation must be a positive number of kopecks")]
    InvalidCompensation,
    #[error("a number of points must be positive")]
    InvalidPoints,
    #[error("points pay at most the first half: {asked} points are above its {half} kopecks")]
    PointsAboveHalf { half: i64, asked: i64 },

    // --- not allowed in the current state: 409 ---
    #[error("the order has already been placed")]
    AlreadyPlaced,
    #[error("the order does not exist")]
    NotPlaced,
    #[error("not allowed while the order is {0}")]
    WrongStatus(OrderStatus),
    #[error("the order is routed to another manager")]
    RoutedToAnotherManager,
    #[error("the price has not been set")]
    PriceNotSet,
    #[error("this author already declined the order")]
    AuthorAlreadyDeclined,
    #[error("the order is not offered to you")]
    NotOfferedToYou,
    #[error("the offer has expired")]
    OfferExpired,
    #[error("the offer has not expired yet")]
    OfferNotExpired,
    #[error("the order is not assigned to you")]
    NotYourWork,
    #[error("the order is not yours")]
    NotYourOrder,
    #[error("the {half:?} half is {expected} kopecks, not {got}")]
    WrongAmount { half: Half, expected: i64, got: i64 },
    #[error("the {0:?} half is already paid")]
    HalfAlreadyPaid(Half),
    #[error("the first half must be paid before the second")]
    FirstHalfNotPaid,
    #[error("the guarantee period has ended")]
    GuaranteeExpired,
    #[error("the guarantee period has not ended yet")]
    GuaranteeRunning,
    #[error("a {0} cannot cancel the order now")]
    NotCancellable(crate::Role),
    #[error("this payment id already paid the {0:?} half")]
    PaymentIdUsedForOtherHalf(Half),
    #[error("a refund is recorded only for a failed order, not one that is {0}")]
    NotRefundable(OrderStatus),
    #[error("a refund of {asked} kopecks is above what was paid: {paid} paid, {refunded} refunded already")]
    RefundAbovePaid {
        paid: i64,
        refunded: i64,
        asked: i64,
    },
    #[error("the order has no author to compensate")]
    NoAuthorToCompensate,
    #[error("a compensation of {asked} kopecks is above the author's fee of {fee}")]
    CompensationAboveFee { fee: i64, asked: i64 },
    #[error("the author has already been compensated for this order")]
    AlreadyCompensated,
    #[error("the order's review is not published")]
    NoPublishedReview,
    #[error("the order's review is already hidden")]
    ReviewAlreadyHidden,
    #[error("the order is not over that time limit yet")]
    LimitNotReached,
    #[error("a stage time limit is a positive number of hours")]
    InvalidLimit,
    #[error("the first half is paid: only the deadline may move, with the client's consent")]
    PaidAlready,
    #[error("a discount lowers the price: {asked} kopecks is not below {price}")]
    NotADiscount { price: i64, asked: i64 },
    #[error("the author's fee of {fee} kopecks would be above the price of {price}")]
    FeeAbovePrice { fee: i64, price: i64 },
    #[error("the first half is paid: extras are added and removed only before it")]
    ExtrasAfterFirstHalf,
    #[error("the order has the extra {0:?} already")]
    ExtraAlreadyAdded(String),
    #[error("the order has no extra {0:?}")]
    ExtraNotOnOrder(String),
    #[error("the extra's {extra} kopecks are not below the order's price of {price} (discounted since it was added)")]
    ExtraAbovePrice { extra: i64, price: i64 },
    #[error("{points} points are already applied to this order")]
    PointsAlreadyApplied { points: i64 },
    #[error("the {points} points applied would be above the first half of {first_half} kopecks")]
    DiscountBelowPoints { points: i64, first_half: i64 },
    #[error("no new deadline is proposed")]
    NoDeadlineProposed,
    #[error("a deadline proposal is already waiting for the client")]
    DeadlineAlreadyProposed,
    #[error("a message is at most {max} characters, this one has {got}")]
    MessageTooLong { max: usize, got: usize },
    #[error("a {0} takes no part in the order's conversation")]
    NotAParty(crate::Role),
    #[error("a message with this id was already posted")]
    DuplicateMessage,
    #[error("the order has no message {0}")]
    UnknownMessage(uuid::Uuid),
    #[error("the message is not held for approval")]
    MessageNotHeld,
    #[error("the message was already rejected")]
    MessageAlreadyRejected,
}

impl OrderError {
    /// A value out of range (422) rather than a command not allowed in this state (409).
    pub fn is_invalid_value(&self) -> bool {
        matches!(
            self,
            OrderError::InvalidPages
                | OrderError::EmptyField(_)
                | OrderError::TooLong { .. }
                | OrderError::DeadlineInPast
                | OrderError::InvalidPrice
                | OrderError::InvalidAuthorFee
                | OrderError::InvalidRating
                | OrderError::InvalidExpiry
                | OrderError::InvalidRefund
                | OrderError::InvalidCompensation
                | OrderError::InvalidPoints
                | OrderError::PointsAboveHalf { .. }
                | OrderError::InvalidLimit
                | OrderError::NotADiscount { .. }
                | OrderError::MessageTooLong { .. }
        )
    }

    /// The command's target does not exist (404).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            OrderError::NotPlaced | OrderError::UnknownMessage(_) | OrderError::ExtraNotOnOrder(_)
        )
    }
}
