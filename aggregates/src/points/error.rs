use thiserror::Error;

use crate::Kopecks;

/// Why a client's points refused a command (see [`PointsError::is_invalid_value`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PointsError {
    // --- values out of range: 422 ---
    #[error("a number of points to spend must be positive")]
    NotPositive,
    #[error("a credit of points must not be negative")]
    NegativeCredit,
    #[error("the balance would exceed what an account of points can hold")]
    BalanceOverflow,

    // --- not allowed in the current state: 409 ---
    #[error("{points} points are above the balance of {balance}")]
    AboveBalance { points: Kopecks, balance: Kopecks },
    #[error("{points} points are already spent on this order")]
    AlreadySpentOnOrder { points: Kopecks },
}

impl PointsError {
    /// A value out of range (422) rather than a command not allowed in this state (409).
    pub fn is_invalid_value(&self) -> bool {
        matches!(
            self,
            PointsError::NotPositive | PointsError::NegativeCredit | PointsError::BalanceOverflow
        )
    }
}
