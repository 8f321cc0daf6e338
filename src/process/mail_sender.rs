//! The outbox's sender: claims the mails due (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
//! two senders never take one row; SQLite has one writer), renders and sends each, and
//! marks it sent, or records the error and tries again later, at pauses doubling from
//! [`Config::mail_retry`] up to [`MAX_PAUSE`]; after [`MAX_ATTEMPTS`] it is failed and
//! waits for an admin (`POST /api/admin/outbox/{id}/retry`). An SMTP outage delays mail
//! and loses none (docs/decisions/018).
//!
//! A claim is a lease ([`LEASE`]): a sender that dies with mails claimed leaves them to
//! be claimed again once it ends. A crash after the server took a mail and before it
//! was marked sent sends it again, with the same `Message-ID`: at least once, never
//! lost.
//!
//! [`Config::mail_retry`]: crate::config::Config::mail_retry

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;

use super::{Round, Worker};
use crate::app::outbox::stamp;
use crate::app::{App, AppError};
use crate::mail::{AttachmentRef, Kind, Mail, Params, Secret};

/// Mails claimed per round.
const CLAIM: i64 = 50;
/// Mails sent before they are marked sent (one statement for them all).
const MARK_EVERY: usize = 25;
/// How long a claim keeps other senders off a mail.
const LEASE: chrono::Duration = chrono::Duration::minutes(5);
/// Attempts before a mail is failed.
pub const MAX_ATTEMPTS: i64 = 10;
/// The longest pause between two attempts.
const MAX_PAUSE: chrono::Duration = chrono::Duration::hours(2);
/// The longest error kept.
const MAX_ERROR: usize = 1000;

/// Sends the outbox's mails.
pub struct MailSender;

#[async_trait]
impl Worker for MailSender {
    fn name(&self) -> &'static str {
        "mail-sender"
    }

    fn every(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn wake<'a>(&self, app: &'a App) -> Option<&'a Notify> {
        Some(&app.mail_wake)
    }

    async fn run_once(&self, app: &App) -> Result<Round, AppError> {
        let now = app.clock.now();
        let claimed = claim(app, now).await?;
        let mut sent = Vec::with_capacity(claimed.len());
        let mut failed = 0;
        for (id, attempts, mail) in &claimed {
            match deliver(app, mail).await {
                Ok(()) => {
                    sent.push(*id);
                    // Marked in batches: one statement per few mails, not per mail (a
                    // crash before the mark sends those again, with their Message-ID).
                    if sent.len() >= MARK_EVERY {
                        mark_sent(app, &mut sent).await?;
                    }
                }
                Err(error) => {
                    failed += 1;
                    let attempts = attempts + 1;
                    let status = if attempts >= MAX_ATTEMPTS {
                        "failed"
                    } else {
                        "pending"
                    };
                    let next = app.clock.now() + pause(app.config.mail_retry, attempts);
                    tracing::warn!(
                        mail = id,
                        attempts,
                        status,
                        error = %error,
                        "a mail was not sent"
                    );
                    let error: String = error.chars().take(MAX_ERROR).collect();
                    app.db
                        .execute(
                            "UPDATE mail_outbox SET status = $1, attempts = $2, last_error = $3, \
                             next_attempt_at = $4, claimed_until = NULL WHERE id = $5",
                            &projections::args![status, attempts, error, stamp(next), *id],
                        )
                        .await?;
                }
            }
        }
        let handled = claimed.len() - failed;
        mark_sent(app, &mut sent).await?;
        Ok(Round {
            handled,
            more: claimed.len() as i64 >= CLAIM && handled > 0,
        })
    }
}

/// Marks the mails `sent` as sent, in one statement, and empties the list.
async fn mark_sent(app: &App, sent: &mut Vec<i64>) -> Result<(), AppError> {
    if sent.is_empty() {
        return Ok(());
    }
    let list = (0..sent.len())
        .map(|i| format!("${}", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let mut args = projections::args![stamp(app.clock.now())].to_vec();
    args.extend(sent.iter().map(|id| projections::sql::Arg::from(*id)));
    app.db
        .execute(
            &format!(
                "UPDATE mail_outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, \
                 last_error = NULL, claimed_until = NULL WHERE id IN ({list})"
            ),
            &args,
        )
        .await?;
    sent.clear();
    Ok(())
}

/// The pause after the `attempts`-th failed attempt: `first`, doubled each time, at most
/// [`MAX_PAUSE`].
pub fn pause(first: chrono::Duration, attempts: i64) -> chrono::Duration {
    let doublings = (attempts - 1).clamp(0, 20) as u32;
    let pause = first * 2i32.pow(doublings.min(30));
    pause.min(MAX_PAUSE)
}

/// Claims the mails due now (pending, their time come, nobody else's lease running).
async fn claim(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(i64, i64, Mail)>, AppError> {
    let lock = if app.db.is_postgres() {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE mail_outbox SET claimed_until = $1 WHERE id IN (\
           SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $2 \
             AND (claimed_until IS NULL OR claimed_until <= $2) \
           ORDER BY id LIMIT $3 {lock}) \
         RETURNING id, position, recipient, kind, language, params, attachments, attempts"
    );
    let rows = app
        .db
        .write_returning(
            &sql,
            &projections::args![stamp(now + LEASE), stamp(now), CLAIM],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let kind = r.text("kind")?;
        let mail = Mail {
            position: r.int("position")?,
            recipient: r.text("recipient")?,
            kind: Kind::parse(&kind)
                .ok_or_else(|| AppError::infrastructure(format!("an unknown mail kind {kind}")))?,
            language: r.text("language")?,
            params: serde_json::from_str::<Params>(&r.text("params")?)
                .map_err(AppError::infrastructure)?,
            attachments: serde_json::from_str::<Vec<AttachmentRef>>(&r.text("attachments")?)
                .map_err(AppError::infrastructure)?,
        };
        out.push((r.int("id")?, r.int("attempts")?, mail));
    }
    out.sort_by_key(|(id, _, _)| *id);
    Ok(out)
}

/// Renders and sends one mail; the error, when it was not sent.
async fn deliver(app: &App, mail: &Mail) -> Result<(), String> {
    let password = match (mail.kind, mail.params.user_id) {
        (Kind::Credentials, Some(user)) => Some(
            app.initial_password(user)
                .await
                .map_err(|e| format!("the initial password: {e}"))?,
        ),
        _ => None,
    };
    let rendered = crate::mail::render(mail, &Secret { password }, &app.config.public_url)?;
    let mut files = Vec::with_capacity(mail.attachments.len());
    for a in &mail.attachments {
        let bytes = app
            .files
            .get(&a.sha256)
            .await
            .map_err(|e| format!("the attachment {} ({}): {e}", a.name, a.sha256))?;
        files.push((a.clone(), bytes));
    }
    let message = crate::mail::message(mail, rendered, &app.config.mail_from, files)?;
    app.mailer.send(message).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_two_hours() {
        let first = chrono::Duration::seconds(30);
        assert_eq!(pause(first, 1), chrono::Duration::seconds(30));
        assert_eq!(pause(first, 2), chrono::Duration::seconds(60));
        assert_eq!(pause(first, 5), chrono::Duration::seconds(480));
        assert_eq!(pause(first, 9), MAX_PAUSE);
        assert_eq!(pause(first, 1000), MAX_PAUSE);
    }
}
