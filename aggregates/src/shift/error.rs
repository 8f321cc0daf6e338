use thiserror::Error;

/// Why a shift refused a command. Both are state conflicts (409).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShiftError {
    #[error("the manager is already on shift")]
    AlreadyOnShift,
    #[error("the manager is not on shift")]
    NotOnShift,
}

impl ShiftError {
    /// A value out of range (422) rather than a state conflict (409): never, for a shift.
    pub fn is_invalid_value(&self) -> bool {
        match self {
            ShiftError::AlreadyOnShift | ShiftError::NotOnShift => false,
        }
    }
}
