use thiserror::Error;

use crate::Kopecks;

/// Why an author's account refused a command. Each maps to one HTTP status (see
/// [`AccountError::is_invalid_value`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AccountError {
    // --- values out of range: 422 ---
    #[error("an amount must be positive")]
    AmountNotPositive,
    #[error("a fee must not be negative")]
    NegativeFee,
    #[error("a payout needs a reference")]
    EmptyReference,
    #[error("the balance would exceed what an account can hold")]
    BalanceOverflow,

    // --- not allowed in the current state: 409 ---
    #[error("a payout of {amount} kopecks is above the balance of {balance}")]
    AboveBalance { amount: Kopecks, balance: Kopecks },
    #[error("the reference {reference:?} was already used for a payout of {amount} kopecks")]
    ReferenceUsed { reference: String, amount: Kopecks },
}

impl AccountError {
    /// A value out of range (422) rather than a command not allowed in this state (409).
    pub fn is_invalid_value(&self) -> bool {
        matches!(
            self,
            AccountError::AmountNotPositive
                | AccountError::NegativeFee
                | AccountError::EmptyReference
                | AccountError::BalanceOverflow
        )
    }
}
