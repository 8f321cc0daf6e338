//! The application's own error: what went wrong in a service's terms. Mapped to HTTP
//! answers only at the edge (`http::error`), so workers and pages can tell a lost race
//! from a refusal without knowing about status codes.

use aggregates::account::AccountError;
use aggregates::author::AuthorError;
use aggregates::catalogue::CatalogueError;
use aggregates::order::OrderError;
use aggregates::points::PointsError;
use aggregates::purchase::PurchaseError;
use aggregates::ready_work::ReadyWorkError;
use aggregates::settings::SettingsError;
use aggregates::shift::ShiftError;
use aggregates::user::UserError;
use cqrs_es::AggregateError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The order refused the command (its precise domain reason).
    #[error(transparent)]
    Order(OrderError),
    /// The user refused the command.
    #[error(transparent)]
    User(UserError),
    /// The author's profile or rating refused the command.
    #[error(transparent)]
    Author(AuthorError),
    /// An author's account refused the command (a payout above the balance, a reference
    /// used for another amount, a value out of range).
    #[error(transparent)]
    Account(AccountError),
    /// A client's points refused the command (a spend above the balance, another spend
    /// on the same order, a value out of range).
    #[error(transparent)]
    Points(PointsError),
    /// The settings refused a value out of range.
    #[error(transparent)]
    Settings(SettingsError),
    /// The catalogue refused an admin's change (a value out of range, no such entry).
    #[error(transparent)]
    Catalogue(CatalogueError),
    /// The manager's shift refused the command (already on shift, not on shift).
    #[error(transparent)]
    Shift(ShiftError),
    /// A ready-made work refused the command (a value out of range, already delisted).
    #[error(transparent)]
    ReadyWork(ReadyWorkError),
    /// A purchase refused the command (the work not on sale, the wrong amount, already
    /// paid with another id).
    #[error(transparent)]
    Purchase(PurchaseError),
    /// Unknown, or not the caller's to see (never told apart).
    #[error("not found")]
    NotFound,
    /// Unknown email, or the wrong password (never told apart).
    #[error("wrong email or password")]
    BadCredentials,
    /// Too many failed log-ins to this account or from this address: try again after
    /// this many seconds.
    #[error("too many failed log-ins: try again in {0} seconds")]
    TooManyAttempts(i64),
    /// Too many password-reset requests for this email or from this address: again
    /// after this many seconds.
    #[error("too many password-reset requests: try again in {0} seconds")]
    TooManyResets(i64),
    /// The access policy does not let this caller do this.
    #[error("{0}")]
    Forbidden(String),
    /// An upload larger than the limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// An upload whose content is none of the types the service takes (415).
    #[error("{0}")]
    UnsupportedType(String),
    /// A value out of range, found while parsing a request into the service's types.
    #[error("{0}")]
    Invalid(String),
    /// Not possible now for a reason outside any one aggregate (an email already taken,
    /// no eligible author).
    #[error("{0}")]
    Conflict(String),
    /// A payment notification whose signature is missing, wrong or stale.
    #[error(transparent)]
    BadSignature(super::payments::SignatureError),
    /// Lost the optimistic-lock race every time it was retried.
    #[error("the {0} was changed by another request at the same time; try again")]
    LostRace(&'static str),
    /// A decision that must read the read models found them behind the log for longer
    /// than a read waits ([`super::App::fence_for_decision`]): deciding on stale tables
    /// could route to a manager who has left or offer to an author who is full.
    #[error("the service's read models are behind its log; try again shortly")]
    Behind,
    /// The database, the disk, a decode: logged in full, never shown.
    #[error("{0}")]
    Infrastructure(String),
}

/// Why the service could not start ([`super::Application::build`]).
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// `url` is fit for a log line (no password).
    #[error("cannot open the database {url}: {source}")]
    Database { url: String, source: sqlx::Error },
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create {}: {source}", path.display())]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot set up mail: {0}")]
    Mail(String),
}

impl AppError {
    pub fn infrastructure(e: impl std::fmt::Display) -> AppError {
        AppError::Infrastructure(e.to_string())
    }

    /// Whether this is the aggregate's (or the policy's) "not in this state": for a
    /// process manager, an effect that is no longer due. A lost race is not one of them.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            AppError::Order(_)
                | AppError::User(_)
                | AppError::Author(_)
                | AppError::Account(_)
                | AppError::Points(_)
                | AppError::Settings(_)
                | AppError::Catalogue(_)
                | AppError::Shift(_)
                | AppError::ReadyWork(_)
                | AppError::Purchase(_)
                | AppError::Conflict(_)
        )
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Infrastructure(e.to_string())
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::Infrastructure(e.to_string())
    }
}

/// The framework's errors; the aggregate's own are kept precise.
fn from_aggregate<E: std::error::Error>(
    e: AggregateError<E>,
    what: &'static str,
    domain: impl FnOnce(E) -> AppError,
) -> AppError {
    match e {
        AggregateError::UserError(e) => domain(e),
        AggregateError::AggregateConflict => AppError::LostRace(what),
        other => AppError::Infrastructure(other.to_string()),
    }
}

impl From<AggregateError<OrderError>> for AppError {
    fn from(e: AggregateError<OrderError>) -> Self {
        from_aggregate(e, "order", AppError::Order)
    }
}

impl From<AggregateError<UserError>> for AppError {
    fn from(e: AggregateError<UserError>) -> Self {
        from_aggregate(e, "user", AppError::User)
    }
}

impl From<AggregateError<AuthorError>> for AppError {
    fn from(e: AggregateError<AuthorError>) -> Self {
        from_aggregate(e, "author", AppError::Author)
    }
}

impl From<AuthorError> for AppError {
    fn from(e: AuthorError) -> Self {
        AppError::Author(e)
    }
}

impl From<AggregateError<AccountError>> for AppError {
    fn from(e: AggregateError<AccountError>) -> Self {
        from_aggregate(e, "account", AppError::Account)
    }
}

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        AppError::Account(e)
    }
}

impl From<AggregateError<PointsError>> for AppError {
    fn from(e: AggregateError<PointsError>) -> Self {
        from_aggregate(e, "client's points", AppError::Points)
    }
}

impl From<PointsError> for AppError {
    fn from(e: PointsError) -> Self {
        AppError::Points(e)
    }
}

impl From<AggregateError<SettingsError>> for AppError {
    fn from(e: AggregateError<SettingsError>) -> Self {
        from_aggregate(e, "settings", AppError::Settings)
    }
}

impl From<SettingsError> for AppError {
    fn from(e: SettingsError) -> Self {
        AppError::Settings(e)
    }
}

impl From<AggregateError<CatalogueError>> for AppError {
    fn from(e: AggregateError<CatalogueError>) -> Self {
        from_aggregate(e, "catalogue", AppError::Catalogue)
    }
}

impl From<CatalogueError> for AppError {
    fn from(e: CatalogueError) -> Self {
        AppError::Catalogue(e)
    }
}

impl From<AggregateError<ShiftError>> for AppError {
    fn from(e: AggregateError<ShiftError>) -> Self {
        from_aggregate(e, "shift", AppError::Shift)
    }
}

impl From<ShiftError> for AppError {
    fn from(e: ShiftError) -> Self {
        AppError::Shift(e)
    }
}

impl From<AggregateError<ReadyWorkError>> for AppError {
    fn from(e: AggregateError<ReadyWorkError>) -> Self {
        from_aggregate(e, "ready-made work", AppError::ReadyWork)
    }
}

impl From<ReadyWorkError> for AppError {
    fn from(e: ReadyWorkError) -> Self {
        AppError::ReadyWork(e)
    }
}

impl From<AggregateError<PurchaseError>> for AppError {
    fn from(e: AggregateError<PurchaseError>) -> Self {
        from_aggregate(e, "purchase", AppError::Purchase)
    }
}

impl From<PurchaseError> for AppError {
    fn from(e: PurchaseError) -> Self {
        AppError::Purchase(e)
    }
}

impl From<OrderError> for AppError {
    fn from(e: OrderError) -> Self {
        AppError::Order(e)
    }
}

impl From<UserError> for AppError {
    fn from(e: UserError) -> Self {
        AppError::User(e)
    }
}
