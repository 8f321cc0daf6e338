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
use futures::StreamExt;
use tokio::sync::Notify;

use super::{Round, Worker};
use crate::app::outbox::stamp;
use crate::app::{App, AppError};
use crate::mail::{AttachmentRef, Kind, Mail, Params, Secret};

/// Mails claimed per round.
const CLAIM: i64 = 80;
/// Mails sent before they are marked sent (one statement for them all).
const MARK_EVERY: usize = 10;
/// How long a claim keeps other senders off a mail: longer than a round of ordinary mail
/// takes (10 sends in turn on each of 8 connections, each within 20 s and a second per
/// 100 kB). A round slowed past it by large attachments on a slow server may find some of
/// its mails another sender's: those may go twice (at least once), never lost.
const LEASE: chrono::Duration = chrono::Duration::minutes(30);
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
        // Reset links asked for and not queued yet (their request's task died with its
        // process): queued now, and sent below.
        // (An error there is logged and leaves the rest of the mail to go out.)
        if let Err(e) = app.queue_reset_links().await {
            tracing::warn!(error = %e, "password-reset requests left for the next round");
        }
        let now = app.clock.now();
        // This round's claim: only its holder marks the rows it claimed (a round that
        // outlived its lease finds them another sender's and leaves them be).
        let token = uuid::Uuid::new_v4().to_string();
        let claimed = claim(app, now, &token).await?;
        let claimed_n = claimed.len();
        let mut sent = Vec::with_capacity(claimed_n);
        let mut failed = 0;
        // The first database error of the round: the round goes on sending and marking
        // (a delivered mail left unmarked would be sent again), and reports it at the end.
        let mut error: Option<AppError> = None;
        // A few at once: an SMTP session waits on the network for most of its time (and
        // the pool has a connection for each).
        let owner = app.clone();
        let mut deliveries = futures::stream::iter(claimed)
            .map(move |(id, attempts, mail)| {
                let app = owner.clone();
                async move {
                    let delivered = deliver(&app, &mail).await;
                    (id, attempts, delivered)
                }
            })
            .buffer_unordered(crate::email::CONNECTIONS);
        while let Some((id, attempts, delivered)) = deliveries.next().await {
            match delivered {
                Ok(()) => {
                    sent.push(id);
                    // Marked in batches: one statement per few mails, not per mail (a
                    // crash before the mark sends those again, with their Message-ID).
                    if sent.len() >= MARK_EVERY {
                        if let Err(e) = mark_sent(app, &token, &mut sent).await {
                            error.get_or_insert(e);
                        }
                    }
                }
                Err(why) => {
                    failed += 1;
                    if let Err(e) = record_failure(app, &token, id, attempts + 1, &why).await {
                        error.get_or_insert(e);
                    }
                }
            }
        }
        drop(deliveries);
        if let Err(e) = mark_sent(app, &token, &mut sent).await {
            error.get_or_insert(e);
        }
        if let Some(e) = error {
            return Err(e);
        }
        let handled = claimed_n - failed;
        Ok(Round {
            handled,
            more: claimed_n as i64 >= CLAIM && handled > 0,
        })
    }
}

/// Records a failed attempt (the `attempts`-th) of a mail this round holds: pending again
/// after its pause, or failed after [`MAX_ATTEMPTS`].
async fn record_failure(
    app: &App,
    token: &str,
    id: i64,
    attempts: i64,
    why: &str,
) -> Result<(), AppError> {
    let status = if attempts >= MAX_ATTEMPTS {
        "failed"
    } else {
        "pending"
    };
    let next = app.clock.now() + pause(app.config.mail_retry, attempts);
    tracing::warn!(mail = id, attempts, status, error = %why, "a mail was not sent");
    let why: String = why.chars().take(MAX_ERROR).collect();
    app.db
        .execute(
            "UPDATE mail_outbox SET status = $1, attempts = $2, last_error = $3, \
             next_attempt_at = $4, claimed_until = NULL, claim = NULL \
             WHERE id = $5 AND claim = $6 AND status = 'pending'",
            &projections::args![status, attempts, why, stamp(next), id, token],
        )
        .await?;
    Ok(())
}

/// Marks the mails `sent` (of this round's claim) as sent, in one statement, and
/// empties the list.
async fn mark_sent(app: &App, token: &str, sent: &mut Vec<i64>) -> Result<(), AppError> {
    if sent.is_empty() {
        return Ok(());
    }
    let list = (0..sent.len())
        .map(|i| format!("${}", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let mut args = projections::args![stamp(app.clock.now()), token].to_vec();
    args.extend(sent.iter().map(|id| projections::sql::Arg::from(*id)));
    let delivered = sent.len() as u64;
    app.metrics
        .record(|| metrics::counter!(crate::metrics::MAILS_SENT).increment(delivered));
    let result = app
        .db
        .execute(
            &format!(
                "UPDATE mail_outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, \
                 last_error = NULL, claimed_until = NULL, claim = NULL \
                 WHERE claim = $2 AND status = 'pending' AND id IN ({list})"
            ),
            &args,
        )
        .await;
    sent.clear();
    result?;
    Ok(())
}

/// The pause after the `attempts`-th failed attempt: `first`, doubled each time, at most
/// [`MAX_PAUSE`].
pub fn pause(first: chrono::Duration, attempts: i64) -> chrono::Duration {
    let doublings = (attempts - 1).clamp(0, 20) as u32;
    let pause = first * 2i32.pow(doublings.min(30));
    pause.min(MAX_PAUSE)
}

/// Claims the mails due now (pending, their time come, nobody else's lease running) for
/// this round (`token`). A row that cannot be read is failed with the reason, so that it
/// does not stop the mail behind it.
async fn claim(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    token: &str,
) -> Result<Vec<(i64, i64, Mail)>, AppError> {
    let lock = if app.db.is_postgres() {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE mail_outbox SET claimed_until = $1, claim = $2 WHERE id IN (\
           SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
             AND (claimed_until IS NULL OR claimed_until <= $3) \
           ORDER BY id LIMIT $4 {lock}) \
         RETURNING id, position, recipient, kind, language, params, attachments, attempts"
    );
    let rows = app
        .db
        .write_returning(
            &sql,
            // In the order of their first use: SQLite numbers `$n` by appearance.
            &projections::args![stamp(now + LEASE), token, stamp(now), CLAIM],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id = r.int("id")?;
        match read_mail(r) {
            Ok(mail) => out.push((id, r.int("attempts")?, mail)),
            Err(why) => {
                tracing::error!(mail = id, error = %why, "an outbox row that cannot be read");
                app.db
                    .execute(
                        "UPDATE mail_outbox SET status = 'failed', last_error = $1, \
                         claimed_until = NULL, claim = NULL WHERE id = $2",
                        &projections::args![why, id],
                    )
                    .await?;
            }
        }
    }
    out.sort_by_key(|(id, _, _)| *id);
    Ok(out)
}

/// An outbox row as the mail it is.
fn read_mail(r: &projections::Row) -> Result<Mail, String> {
    let text = |c: &str| r.text(c).map_err(|e| format!("{c}: {e}"));
    let kind = text("kind")?;
    Ok(Mail {
        position: r.int("position").map_err(|e| e.to_string())?,
        recipient: text("recipient")?,
        kind: Kind::parse(&kind).ok_or_else(|| format!("an unknown mail kind {kind:?}"))?,
        language: text("language")?,
        params: serde_json::from_str::<Params>(&text("params")?)
            .map_err(|e| format!("params: {e}"))?,
        attachments: serde_json::from_str::<Vec<AttachmentRef>>(&text("attachments")?)
            .map_err(|e| format!("attachments: {e}"))?,
    })
}

/// Renders and sends one mail; the error, when it was not sent.
async fn deliver(app: &App, mail: &Mail) -> Result<(), String> {
    let password = match (mail.kind, mail.params.user_id) {
        (Kind::Credentials, Some(user)) => Some(
            app.initial_password(user)
                .await
                .map_err(|e| format!("the initial password: {e}"))?,
        ),
        (Kind::PasswordReset, _) => {
            let id = mail
                .params
                .reset
                .as_deref()
                .ok_or("a reset mail without its id")?;
            Some(
                app.reset_token(id)
                    .await
                    .map_err(|e| format!("the reset token: {e}"))?,
            )
        }
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
