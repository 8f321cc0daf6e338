use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UserError {
    #[error("not a valid email address")]
    InvalidEmail,
    #[error("the full name must not be empty")]
    EmptyName,
    #[error("the user already exists")]
    AlreadyExists,
    #[error("the user does not exist")]
    NotFound,
    #[error("the user is already blocked")]
    AlreadyBlocked,
    #[error("the user is not blocked")]
    NotBlocked,
    #[error("an admin cannot block themselves")]
    CannotBlockSelf,
    #[error("the language must be \"ru\" or \"en\"")]
    UnknownLanguage,
    #[error("only a client's account places orders at checkout")]
    NotAClient,
    #[error("the company's {0} must be 1 to 200 characters")]
    InvalidCompany(&'static str),
    #[error("the tax id must be an INN: 10 or 12 digits with the right check digits")]
    InvalidTaxId,
    #[error("only a client's account can be a company")]
    CompanyForStaff,
}

impl UserError {
    /// A value out of range (422) rather than a state conflict (409).
    pub fn is_invalid_value(&self) -> bool {
        matches!(
            self,
            UserError::InvalidEmail
                | UserError::EmptyName
                | UserError::UnknownLanguage
                | UserError::InvalidCompany(_)
                | UserError::InvalidTaxId
        )
    }
}
