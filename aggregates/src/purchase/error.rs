use thiserror::Error;

use crate::common::Kopecks;

/// Why a purchase refused a command.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PurchaseError {
    // --- values out of range: 422 ---
    #[error("the amount must be a positive number of kopecks")]
    InvalidAmount,
    #[error("payment_id must not be empty")]
    EmptyPaymentId,
    // --- not in this state: 409 ---
    #[error("only a client buys a ready-made work")]
    NotAClient,
    #[error("the work is not on sale (delisted or never listed)")]
    WorkNotOnSale,
    #[error("the purchase is already made")]
    AlreadyMade,
    #[error("the purchase costs {expected} kopecks, not {got}")]
    WrongAmount { expected: Kopecks, got: Kopecks },
    #[error("the purchase is already paid with another payment id")]
    AlreadyPaid,
    // --- unknown: 404 ---
    #[error("no such purchase")]
    NotMade,
}

impl PurchaseError {
    /// A value out of range (422) rather than a state conflict (409).
    pub fn is_invalid_value(&self) -> bool {
        matches!(
            self,
            PurchaseError::InvalidAmount | PurchaseError::EmptyPaymentId
        )
    }

    /// An unknown purchase (404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, PurchaseError::NotMade)
    }
}
