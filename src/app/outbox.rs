//! The mail outbox as an admin sees it (what is pending, failed or sent; a failed mail
//! sent again), and the initial passwords of accounts created at checkout
//! (docs/decisions/018).

use chrono::{DateTime, SecondsFormat, Utc};
use projections::sql::Row;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::policy::{self, Action};
use super::{App, AppError, Ctx};

/// The outbox's times: fixed-width UTC, so that they compare as text on both backends.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The statuses of an outbox row.
pub const STATUSES: [&str; 3] = ["pending", "failed", "sent"];

/// The most rows one listing answers.
pub const MAX_LIMIT: i64 = 1000;

/// One mail of the outbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxItem {
    pub id: i64,
    /// What caused it: the event's position in the log (negative: no event, a password reset).
    pub position: i64,
    pub recipient: String,
    /// status, offer, offer_expired, draft, final, receipt, credentials, login_notice,
    /// problem, changed, messages, purchase, password_reset
    pub kind: String,
    pub language: String,
    pub order_id: Option<Uuid>,
    /// pending, failed or sent
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub message_id: String,
    pub created_at: String,
    /// When the sender tries it next (pending).
    pub next_attempt_at: String,
    pub sent_at: Option<String>,
}

const COLUMNS: &str = "id, position, recipient, kind, language, order_id, status, attempts, \
                       last_error, message_id, created_at, next_attempt_at, sent_at";

impl OutboxItem {
    fn from_row(r: &Row) -> Result<OutboxItem, sqlx::Error> {
        Ok(OutboxItem {
            id: r.int("id")?,
            position: r.int("position")?,
            recipient: r.text("recipient")?,
            kind: r.text("kind")?,
            language: r.text("language")?,
            order_id: r.opt_uuid("order_id")?,
            status: r.text("status")?,
            attempts: r.int("attempts")?,
            last_error: r.opt_text("last_error")?,
            message_id: r.text("message_id")?,
            created_at: r.text("created_at")?,
            next_attempt_at: r.text("next_attempt_at")?,
            sent_at: r.opt_text("sent_at")?,
        })
    }
}

impl App {
    /// The outbox's mails, newest first: all, or those of one status.
    pub async fn list_outbox(
        &self,
        ctx: &Ctx,
        status: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Vec<OutboxItem>, AppError> {
        policy::authorize(&ctx.actor, Action::ReadOutbox)?;
        let limit = limit.unwrap_or(100);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::Invalid(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            )));
        }
        let rows = match status {
            Some(s) if STATUSES.contains(&s) => {
                // The status as a literal (one of three known words): the planner then
                // walks its partial index.
                self.db
                    .fetch_all(
                        &format!(
                            "SELECT {COLUMNS} FROM mail_outbox WHERE status = '{s}' ORDER BY id DESC LIMIT $1"
                        ),
                        &projections::args![limit],
                    )
                    .await?
            }
            Some(s) => {
                return Err(AppError::Invalid(format!(
                    "status must be pending, failed or sent, not {s:?}"
                )))
            }
            None => {
                self.db
                    .fetch_all(
                        &format!("SELECT {COLUMNS} FROM mail_outbox ORDER BY id DESC LIMIT $1"),
                        &projections::args![limit],
                    )
                    .await?
            }
        };
        Ok(rows
            .iter()
            .map(OutboxItem::from_row)
            .collect::<Result<_, _>>()?)
    }

    /// Sends a failed (or waiting) mail again now, with a fresh run of attempts; a sent
    /// one, or one a sender holds at this moment, is a conflict.
    pub async fn retry_mail(&self, ctx: &Ctx, id: &str) -> Result<OutboxItem, AppError> {
        policy::authorize(&ctx.actor, Action::RetryMail)?;
        let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
        let now = stamp(self.clock.now());
        let status = self
            .db
            .fetch_optional(
                "SELECT status FROM mail_outbox WHERE id = $1",
                &projections::args![id],
            )
            .await?
            .ok_or(AppError::NotFound)?
            .text("status")?;
        if status == "sent" {
            return Err(AppError::Conflict("this mail has been sent already".into()));
        }
        // Never one a sender holds now: it would be sent twice.
        let changed = self
            .db
            .execute(
                "UPDATE mail_outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, \
                 claimed_until = NULL, claim = NULL \
                 WHERE id = $2 AND status <> 'sent' AND (claimed_until IS NULL OR claimed_until <= $1)",
                &projections::args![now, id],
            )
            .await?;
        if changed == 0 {
            return Err(AppError::Conflict(
                "this mail is being sent right now".into(),
            ));
        }
        let row = self
            .db
            .fetch_one(
                &format!("SELECT {COLUMNS} FROM mail_outbox WHERE id = $1"),
                &projections::args![id],
            )
            .await?;
        self.mail_wake.notify_one();
        Ok(OutboxItem::from_row(&row)?)
    }

    /// The initial password of the account `user` created at checkout: derived from the
    /// credentials key and the user's id, never stored or recorded (the mail that tells it
    /// derives it when it is sent).
    pub async fn initial_password(&self, user: Uuid) -> Result<String, AppError> {
        use base64::Engine;
        use hmac::{Hmac, Mac};
        let key = self.credentials_key().await?;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes())
            .map_err(AppError::infrastructure)?;
        mac.update(b"initial-password:");
        mac.update(user.to_string().as_bytes());
        let digest = mac.finalize().into_bytes();
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..12]))
    }

    /// `SCRIPTORIUM_CREDENTIALS_SECRET`, or the key the service generated once and keeps
    /// in `service_secrets` (the first instance to need it writes it; every one reads it).
    pub(crate) async fn credentials_key(&self) -> Result<String, AppError> {
        if let Some(k) = &self.config.credentials_secret {
            return Ok(k.clone());
        }
        let read = || async {
            self.db
                .fetch_optional(
                    "SELECT value FROM service_secrets WHERE name = 'credentials'",
                    &[],
                )
                .await
        };
        if let Some(r) = read().await? {
            return Ok(r.text("value")?);
        }
        let fresh = {
            use rand::RngCore;
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            hex::encode(bytes)
        };
        self.db
            .execute(
                "INSERT INTO service_secrets (name, value, created_at) VALUES ('credentials', $1, $2) \
                 ON CONFLICT (name) DO NOTHING",
                &projections::args![fresh, self.clock.now().to_rfc3339()],
            )
            .await?;
        let r = read()
            .await?
            .ok_or_else(|| AppError::infrastructure("no credentials key"))?;
        Ok(r.text("value")?)
    }
}
