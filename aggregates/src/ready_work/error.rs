use thiserror::Error;

/// Why a ready-made work refused a command.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReadyWorkError {
    // --- values out of range: 422 ---
    #[error("{0} must not be empty")]
    EmptyField(&'static str),
    #[error("pages must be between 1 and 1000")]
    InvalidPages,
    #[error("the price must be a positive number of kopecks")]
    InvalidPrice,
    // --- not in this state: 409 ---
    #[error("only a manager or an admin lists and delists ready-made works")]
    NotStaff,
    #[error("the work is already listed")]
    AlreadyListed,
    #[error("the work is already delisted")]
    AlreadyDelisted,
    // --- unknown: 404 ---
    #[error("no such ready-made work")]
    NotListed,
}

impl ReadyWorkError {
    /// A value out of range (422) rather than a state conflict (409).
    pub fn is_invalid_value(&self) -> bool {
        matches!(
            self,
            ReadyWorkError::EmptyField(_)
                | ReadyWorkError::InvalidPages
                | ReadyWorkError::InvalidPrice
        )
    }

    /// An unknown work (404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadyWorkError::NotListed)
    }
}
