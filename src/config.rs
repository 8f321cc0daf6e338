//! Configuration from the environment (API.md's table).

use std::path::PathBuf;

use chrono::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub addr: String,
    pub data_dir: PathBuf,
    pub smtp_url: Option<String>,
    /// The sender of every mail (`MAIL_FROM`).
    pub mail_from: String,
    /// The service's address as its users reach it, for the links in mail
    /// (`SCRIPTORIUM_PUBLIC_URL`; default: `http://` and the listen address).
    pub public_url: String,
    /// The key initial passwords (checkout without registration) are derived with
    /// (`SCRIPTORIUM_CREDENTIALS_SECRET`); none: one the service generates and keeps in
    /// its database, shared by every instance.
    pub credentials_secret: Option<String>,
    /// The pause after a mail's first failed attempt, doubled after each next one
    /// (`SCRIPTORIUM_MAIL_RETRY_SECONDS`, default 30).
    pub mail_retry: Duration,
    /// The HMAC key the payment provider signs its notifications with; none: every
    /// notification is refused.
    pub payment_webhook_secret: Option<String>,
    /// The key before the last rotation, still accepted while the provider moves over.
    pub payment_webhook_secret_previous: Option<String>,
    /// Whether a client may pay a half themselves by a test payment (the pages' pay
    /// button; `SCRIPTORIUM_TEST_PAYMENTS`, off by default). For trying the service out:
    /// refused at start-up together with a payment provider's secret.
    pub test_payments: bool,
    /// How long an author has to take an offer.
    pub offer_ttl: Duration,
    /// How long after delivery the client may ask for a revision.
    pub guarantee_days: u32,
    /// The author's fee when the manager sets none, as a share of the price.
    pub author_fee_percent: u32,
    /// The client's cashback on a completed order, in % of the money paid for it, until an
    /// admin sets the setting (`SCRIPTORIUM_CASHBACK_PERCENT`, default 5).
    pub cashback_percent: u32,
    /// The referrer's share of a completed order of a client they invited, in % of the
    /// money paid for it (`SCRIPTORIUM_REFERRAL_PERCENT`, default 3).
    pub referral_percent: u32,
    /// How long a login token lives.
    pub token_ttl: Duration,
    /// Failed log-ins to one account, and from one address, before further tries are
    /// refused (429) until the window has passed since the first of them.
    pub login_failures_per_account: i64,
    pub login_failures_per_address: i64,
    pub login_window: Duration,
    /// How long an emailed password-reset link works (`SCRIPTORIUM_PASSWORD_RESET_TTL_MINUTES`,
    /// default 60).
    pub password_reset_ttl: Duration,
    /// Password-reset requests for one email, and from one address, within
    /// [`Config::login_window`] before further ones are refused (429).
    pub password_resets_per_account: i64,
    pub password_resets_per_address: i64,
    /// The largest upload accepted, in bytes.
    pub max_upload_bytes: usize,
    /// How many log positions the read models may be behind an order command before it
    /// waits for them (backpressure; decision 010).
    pub max_unapplied: i64,
    /// Seeds the random source of the automatic choice of an author (reproducible draws);
    /// `None`: seeded from the operating system's entropy.
    pub random_seed: Option<u64>,
    /// Whether this instance runs the workers (`process::all()`: offer expiry, routing);
    /// `SCRIPTORIUM_RUN_WORKERS=false` leaves them to other instances (or, in a test, to
    /// a later start).
    pub run_workers: bool,
    /// Whether a placement routes its order at once, in its own request
    /// (`SCRIPTORIUM_ROUTE_ON_PLACEMENT`, default true); the router reacting to the
    /// placement routes it otherwise (a test of a crash before routing turns this off).
    pub route_on_placement: bool,
    /// The pause of every worker after a round that left nothing waiting, instead of each
    /// one's own (`SCRIPTORIUM_WORKER_POLL_MS`; unset: the worker's, e.g. 1 s). A worker
    /// that is woken (the router, by a placement) does not wait for it.
    pub worker_poll: Option<std::time::Duration>,
    /// How long the first new message of a conversation waits for others before the
    /// parties are mailed one digest each (`SCRIPTORIUM_MESSAGE_DIGEST_MINUTES`, default
    /// 10), on the service's clock.
    pub message_digest: Duration,
    /// The exact origins (`https://shop.example`) a browser may call the API from, with
    /// CORS (`SCRIPTORIUM_CORS_ORIGINS`, comma-separated); empty (the default): no CORS
    /// header at all, so other origins' scripts cannot read an answer (decision 029).
    pub cors_origins: Vec<String>,
    /// How far behind the log the projections may be, as the age of the oldest event
    /// they have not applied, before `GET /readyz` answers 503
    /// (`SCRIPTORIUM_READY_MAX_LAG_SECS`, default 30), on the service's clock.
    pub ready_max_lag: Duration,
    /// How long a pending mail may stay due and unsent before `GET /readyz` answers 503
    /// (`SCRIPTORIUM_READY_MAX_OUTBOX_AGE_SECS`, default 900), on the service's clock.
    pub ready_max_outbox_age: Duration,
    /// The bearer token `GET /metrics` asks for (`SCRIPTORIUM_METRICS_TOKEN`); unset:
    /// the metrics are public, like `/healthz` (keep the port off the internet then).
    pub metrics_token: Option<String>,
    /// `json`: one JSON object per log line; `text` (the default): human-readable lines
    /// (`SCRIPTORIUM_LOG_FORMAT`).
    pub log_json: bool,
    /// Whether concurrent commands' appends are committed together, in one transaction
    /// (`SCRIPTORIUM_GROUP_COMMIT`, default true; decision 032); false: each in a statement
    /// of its own, as before (for an A/B, or should a database misbehave with it).
    pub group_commit: bool,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A setting the service cannot start with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} must be a number, got {value:?}")]
    NotANumber { name: &'static str, value: String },
    #[error("{name} must be true or false, got {value:?}")]
    NotABool { name: &'static str, value: String },
    #[error("{name} must be one of {allowed}, got {value:?}")]
    NotOneOf {
        name: &'static str,
        allowed: &'static str,
        value: String,
    },
    #[error("SCRIPTORIUM_CORS_ORIGINS: {0:?} is not an origin (scheme://host[:port], no path)")]
    NotAnOrigin(String),
    #[error(
        "SCRIPTORIUM_TEST_PAYMENTS cannot be on with a payment provider (PAYMENT_WEBHOOK_SECRET)"
    )]
    TestPaymentsWithProvider,
}

fn env_bool(name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match env(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if v == "true" || v == "1" => Ok(true),
        Some(v) if v == "false" || v == "0" => Ok(false),
        Some(value) => Err(ConfigError::NotABool { name, value }),
    }
}

fn env_num<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError> {
    match env(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| ConfigError::NotANumber {
            name,
            value: v.clone(),
        }),
    }
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        let config = Config {
            database_url: env("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://data/scriptorium.db".into()),
            addr: env("SCRIPTORIUM_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into()),
            data_dir: PathBuf::from(env("SCRIPTORIUM_DATA_DIR").unwrap_or_else(|| "data".into())),
            smtp_url: env("SMTP_URL"),
            mail_from: env("MAIL_FROM")
                .unwrap_or_else(|| "Scriptorium <no-reply@scriptorium.local>".into()),
            public_url: env("SCRIPTORIUM_PUBLIC_URL").unwrap_or_else(|| {
                format!(
                    "http://{}",
                    env("SCRIPTORIUM_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into())
                )
            }),
            credentials_secret: env("SCRIPTORIUM_CREDENTIALS_SECRET"),
            mail_retry: Duration::seconds(env_num("SCRIPTORIUM_MAIL_RETRY_SECONDS", 30)?.max(1)),
            payment_webhook_secret: env("PAYMENT_WEBHOOK_SECRET"),
            payment_webhook_secret_previous: env("PAYMENT_WEBHOOK_SECRET_PREVIOUS"),
            test_payments: env_bool("SCRIPTORIUM_TEST_PAYMENTS", false)?,
            offer_ttl: Duration::seconds(env_num("SCRIPTORIUM_OFFER_TTL_SECONDS", 86_400)?.max(1)),
            guarantee_days: env_num("SCRIPTORIUM_GUARANTEE_DAYS", 14)?,
            author_fee_percent: env_num("SCRIPTORIUM_AUTHOR_FEE_PERCENT", 50u32)?.min(100),
            cashback_percent: env_num("SCRIPTORIUM_CASHBACK_PERCENT", 5u32)?.min(100),
            referral_percent: env_num("SCRIPTORIUM_REFERRAL_PERCENT", 3u32)?.min(100),
            token_ttl: Duration::hours(env_num("SCRIPTORIUM_TOKEN_TTL_HOURS", 24 * 7)?),
            login_failures_per_account: env_num("SCRIPTORIUM_LOGIN_FAILURES_PER_ACCOUNT", 5i64)?
                .max(1),
            login_failures_per_address: env_num("SCRIPTORIUM_LOGIN_FAILURES_PER_ADDRESS", 30i64)?
                .max(1),
            login_window: Duration::minutes(
                env_num("SCRIPTORIUM_LOGIN_WINDOW_MINUTES", 15i64)?.max(1),
            ),
            password_reset_ttl: Duration::minutes(
                env_num("SCRIPTORIUM_PASSWORD_RESET_TTL_MINUTES", 60i64)?.max(1),
            ),
            password_resets_per_account: env_num("SCRIPTORIUM_PASSWORD_RESETS_PER_ACCOUNT", 3i64)?
                .max(1),
            password_resets_per_address: env_num("SCRIPTORIUM_PASSWORD_RESETS_PER_ADDRESS", 20i64)?
                .max(1),
            max_upload_bytes: env_num("SCRIPTORIUM_MAX_UPLOAD_MB", 50usize)? * 1024 * 1024,
            max_unapplied: env_num("SCRIPTORIUM_MAX_UNAPPLIED", 500i64)?.max(0),
            group_commit: env_bool("SCRIPTORIUM_GROUP_COMMIT", true)?,
            random_seed: match env("SCRIPTORIUM_RANDOM_SEED") {
                None => None,
                Some(_) => Some(env_num("SCRIPTORIUM_RANDOM_SEED", 0u64)?),
            },
            run_workers: env_bool("SCRIPTORIUM_RUN_WORKERS", true)?,
            route_on_placement: env_bool("SCRIPTORIUM_ROUTE_ON_PLACEMENT", true)?,
            worker_poll: match env("SCRIPTORIUM_WORKER_POLL_MS") {
                None => None,
                Some(_) => Some(std::time::Duration::from_millis(env_num(
                    "SCRIPTORIUM_WORKER_POLL_MS",
                    1000u64,
                )?)),
            },
            message_digest: Duration::minutes(
                env_num("SCRIPTORIUM_MESSAGE_DIGEST_MINUTES", 10i64)?.max(0),
            ),
            cors_origins: cors_origins(env("SCRIPTORIUM_CORS_ORIGINS").as_deref())?,
            ready_max_lag: Duration::seconds(
                env_num("SCRIPTORIUM_READY_MAX_LAG_SECS", 30i64)?.max(1),
            ),
            ready_max_outbox_age: Duration::seconds(
                env_num("SCRIPTORIUM_READY_MAX_OUTBOX_AGE_SECS", 900i64)?.max(1),
            ),
            metrics_token: env("SCRIPTORIUM_METRICS_TOKEN"),
            log_json: log_json()?,
        };
        if config.test_payments && config.payment_webhook_secret.is_some() {
            return Err(ConfigError::TestPaymentsWithProvider);
        }
        Ok(config)
    }

    /// A configuration for tests: everything under `data_dir`, on `database_url`.
    pub fn for_tests(database_url: &str, data_dir: PathBuf) -> Config {
        Config {
            database_url: database_url.to_string(),
            addr: "127.0.0.1:0".into(),
            data_dir,
            smtp_url: None,
            mail_from: "Scriptorium <no-reply@scriptorium.test>".into(),
            public_url: "http://scriptorium.test".into(),
            credentials_secret: None,
            mail_retry: Duration::seconds(30),
            payment_webhook_secret: None,
            payment_webhook_secret_previous: None,
            test_payments: true,
            offer_ttl: Duration::hours(24),
            guarantee_days: 14,
            author_fee_percent: 50,
            cashback_percent: 5,
            referral_percent: 3,
            token_ttl: Duration::days(365),
            login_failures_per_account: 5,
            login_failures_per_address: 30,
            login_window: Duration::minutes(15),
            password_reset_ttl: Duration::hours(1),
            password_resets_per_account: 3,
            password_resets_per_address: 20,
            max_upload_bytes: 5 * 1024 * 1024,
            max_unapplied: 500,
            random_seed: Some(11),
            group_commit: true,
            run_workers: true,
            route_on_placement: true,
            worker_poll: None,
            message_digest: Duration::minutes(10),
            cors_origins: Vec::new(),
            ready_max_lag: Duration::seconds(30),
            ready_max_outbox_age: Duration::minutes(15),
            metrics_token: None,
            log_json: false,
        }
    }
}

/// `SCRIPTORIUM_LOG_FORMAT`: `json` or `text` (the default).
pub fn log_json() -> Result<bool, ConfigError> {
    match env("SCRIPTORIUM_LOG_FORMAT").map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if v == "text" => Ok(false),
        Some(v) if v == "json" => Ok(true),
        Some(value) => Err(ConfigError::NotOneOf {
            name: "SCRIPTORIUM_LOG_FORMAT",
            allowed: "json, text",
            value,
        }),
    }
}

/// The comma-separated origins of `SCRIPTORIUM_CORS_ORIGINS`, each `scheme://host[:port]`
/// as a browser sends it in `Origin` (compared exactly; a trailing `/` is dropped).
pub fn cors_origins(list: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for item in list.unwrap_or_default().split(',') {
        let origin = item.trim().trim_end_matches('/');
        if origin.is_empty() {
            continue;
        }
        let host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        match host {
            Some(h)
                if !h.is_empty() && !h.contains('/') && h.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                out.push(origin.to_ascii_lowercase())
            }
            _ => return Err(ConfigError::NotAnOrigin(item.trim().to_string())),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::cors_origins;

    #[test]
    fn cors_origins_are_exact_origins() {
        assert_eq!(cors_origins(None).unwrap(), Vec::<String>::new());
        assert_eq!(
            cors_origins(Some(" https://a.example , http://b.example:8080/ ,")).unwrap(),
            vec!["https://a.example", "http://b.example:8080"]
        );
        assert!(cors_origins(Some("a.example")).is_err());
        assert!(cors_origins(Some("https://a.example/path")).is_err());
        assert!(cors_origins(Some("*")).is_err());
    }
}
