//! Password reset by an emailed one-time link (docs/decisions/030).
//!
//! A request answers the same whatever the email, after the same work (the limits'
//! counters, and the request kept); whether the email is an account's is looked up after
//! the answer, and only then is the request taken and the reset and its mail written, in
//! one transaction; the mail sender takes any request a crash left behind. Only the token's SHA-256
//! is stored; the mail keeps the random id and derives the token
//! again when it is sent (as an initial password, decision 018), so the outbox holds no
//! usable link either.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use uuid::Uuid;

use super::outbox::stamp;
use super::values::Email;
use super::{App, AppError};
use crate::mail::{Kind, Mail, Params};

/// Why a link cannot set a password (unknown, spent, expired: never told apart).
pub const INVALID_LINK: &str =
    "this password-reset link is not valid (unknown, already used or expired): ask for a new one";

impl App {
    /// The token of the reset link with this random id (hex of an HMAC-SHA256 under the
    /// credentials key): what the mail tells and [`App::confirm_password_reset`] takes.
    pub async fn reset_token(&self, reset_id: &str) -> Result<String, AppError> {
        let key = self.credentials_key().await?;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes())
            .map_err(AppError::infrastructure)?;
        mac.update(b"password-reset:");
        mac.update(reset_id.as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// Someone asks for a link to set a new password of `email`'s account. The same
    /// answer (`Ok`) after the same work for every email; the mail goes, after the answer,
    /// only to a registered, unblocked account. Limited per email and per client address
    /// (429).
    pub async fn request_password_reset(
        &self,
        email: &str,
        address: Option<std::net::IpAddr>,
    ) -> Result<(), AppError> {
        let email = Email::parse(email)?.as_str().to_string();
        let mut keys = vec![(
            format!("reset:{email}"),
            self.config.password_resets_per_account,
        )];
        if let Some(a) = address {
            keys.push((
                format!("reset-address:{a}"),
                self.config.password_resets_per_address,
            ));
        }
        for (key, limit) in &keys {
            self.refuse_if_locked(key, *limit)
                .await
                .map_err(|e| match e {
                    AppError::TooManyAttempts(s) => AppError::TooManyResets(s),
                    e => e,
                })?;
        }
        for (key, _) in &keys {
            self.count_failure(key).await?;
        }

        // The request is kept before the answer (the same write for every email); the
        // rest runs after it, so its time cannot tell whether the email is an account's.
        // A crash in between leaves the request to the mail sender's next round.
        self.db
            .execute(
                "INSERT INTO password_reset_requests (id, email, requested_at) \
                 VALUES ($1, $2, $3)",
                &projections::args![Uuid::new_v4().to_string(), email, stamp(self.clock.now())],
            )
            .await?;
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(e) = app.queue_reset_links().await {
                tracing::error!(error = %e, "password-reset links could not be queued");
            }
        });
        Ok(())
    }

    /// Queues the mails of the reset links asked for and not yet queued (after each
    /// request's answer, and in every round of the mail sender, so that none asked for
    /// before a crash is lost); how many requests it took.
    pub async fn queue_reset_links(&self) -> Result<usize, AppError> {
        let rows = self
            .db
            .fetch_all(
                "SELECT id, email FROM password_reset_requests ORDER BY requested_at LIMIT 50",
                &[],
            )
            .await?;
        // One request that cannot be queued now does not hold up the others.
        let mut first_error = None;
        for r in &rows {
            if let Err(e) = self
                .send_reset_link(&r.text("id")?, &r.text("email")?)
                .await
            {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(rows.len()),
        }
    }

    /// Takes the request `request_id` for `email` and queues the mail of a new reset link
    /// if it is a registered, unblocked account's: taking the request, the reset row and
    /// its outbox row in one transaction (of two takers of one request, one finds it).
    async fn send_reset_link(&self, request_id: &str, email: &str) -> Result<(), AppError> {
        let take = "DELETE FROM password_reset_requests WHERE id = $1";
        let account = self
            .db
            .fetch_optional(
                "SELECT user_id FROM credentials WHERE email = $1",
                &projections::args![email],
            )
            .await?
            .map(|r| r.uuid("user_id"))
            .transpose()?;
        let Some(user_id) = account else {
            self.db
                .execute(take, &projections::args![request_id])
                .await?;
            return Ok(());
        };
        let user = self.user_state(user_id).await?;
        if user.blocked {
            self.db
                .execute(take, &projections::args![request_id])
                .await?;
            return Ok(());
        }
        // 128 random bits from the operating system: the reset's id, and through the
        // credentials key its token.
        let mut id_bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut id_bytes);
        let reset_id = hex::encode(id_bytes);
        let token = self.reset_token(&reset_id).await?;
        // A negative outbox position: a mail no event caused (never one of the log's).
        let position = -((rand::rngs::OsRng.next_u64() >> 12) as i64) - 1;
        let now = self.clock.now();
        let expires_at = now + self.config.password_reset_ttl;
        let mail = Mail {
            position,
            recipient: email.to_string(),
            kind: Kind::PasswordReset,
            language: user.language.clone().unwrap_or_else(|| "ru".into()),
            params: Params {
                name: user.full_name.clone(),
                email: Some(email.to_string()),
                expires_at: Some(expires_at.to_rfc3339()),
                reset: Some(reset_id),
                ..Params::default()
            },
            attachments: vec![],
        };
        let mut tx = self.db.begin().await?;
        if tx.execute(take, &projections::args![request_id]).await? != 1 {
            // Another round or instance took it, and queues its mail.
            return Ok(());
        }
        tx.execute(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
            &projections::args![
                crate::auth::token_hash(&token),
                user_id,
                stamp(now),
                stamp(expires_at)
            ],
        )
        .await?;
        tx.insert_rows(
            "INSERT INTO mail_outbox (position, recipient, kind, language, order_id, params, \
             attachments, message_id, status, created_at, next_attempt_at)",
            "ON CONFLICT (position, recipient, kind) DO NOTHING",
            &[crate::process::mail::outbox_row(&mail, &stamp(now))?],
        )
        .await?;
        tx.commit().await?;
        self.mail_wake.notify_one();
        Ok(())
    }

    /// Sets a new password with the token of a reset link: the password is checked as a
    /// sign-up's, the link must be unknown to no one, unused and unexpired; then it and
    /// every other link of the user are spent and every session of the user ends.
    pub async fn confirm_password_reset(
        &self,
        token: &str,
        new_password: &str,
    ) -> Result<(), AppError> {
        crate::auth::check_password(new_password).map_err(|e| AppError::Invalid(e.into()))?;
        let invalid = || AppError::Invalid(INVALID_LINK.into());
        let hash = crate::auth::token_hash(token.trim());
        let now = self.clock.now();
        let row = self
            .db
            .fetch_optional(
                "SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1",
                &projections::args![hash.clone()],
            )
            .await?
            .ok_or_else(invalid)?;
        let expires_at: DateTime<Utc> = DateTime::parse_from_rfc3339(&row.text("expires_at")?)
            .map_err(AppError::infrastructure)?
            .with_timezone(&Utc);
        if row.opt_text("used_at")?.is_some() || expires_at <= now {
            return Err(invalid());
        }
        let user_id = row.uuid("user_id")?;
        let password_hash = crate::auth::hash_password(new_password.to_string())
            .await
            .map_err(AppError::infrastructure)?;
        let at = stamp(now);
        let mut tx = self.db.begin().await?;
        // Spent here, once: of two requests with one link, only one finds it unspent.
        let spent = tx
            .execute(
                "UPDATE password_resets SET used_at = $1 \
                 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
                &projections::args![at.clone(), hash],
            )
            .await?;
        if spent != 1 {
            return Err(invalid());
        }
        tx.execute(
            "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
            &projections::args![at, user_id],
        )
        .await?;
        tx.execute(
            "UPDATE credentials SET password_hash = $1 WHERE user_id = $2",
            &projections::args![password_hash, user_id],
        )
        .await?;
        tx.execute(
            "DELETE FROM sessions WHERE user_id = $1",
            &projections::args![user_id],
        )
        .await?;
        tx.commit().await?;
        self.sessions_ended(&[user_id]).await;
        tracing::info!(user = %user_id, "password set through a reset link");
        Ok(())
    }

    /// Spends every unused reset link of `user` (their password changed another way).
    pub(crate) async fn void_password_resets(&self, user: Uuid) -> Result<(), AppError> {
        self.db
            .execute(
                "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
                &projections::args![stamp(self.clock.now()), user],
            )
            .await?;
        Ok(())
    }
}
