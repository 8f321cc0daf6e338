//! Where mail goes: one [`Mailer`] over lettre's async transports, chosen at start-up
//! from `SMTP_URL` (API.md, Configuration). The outbox's sender (`process::mail_sender`)
//! is its only user.

use std::path::Path;
use std::sync::{Arc, Mutex};

use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// SMTP connections in the pool, and mails the sender sends at once.
pub const CONNECTIONS: usize = 4;

/// A message a [`Mailer::Memory`] kept: who it went to and its bytes as sent.
#[derive(Debug, Clone)]
pub struct Kept {
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

/// Delivers one message at a time.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server (`SMTP_URL`), over a pool of connections.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// One `.eml` file per message under `<data dir>/outbox/` (no `SMTP_URL`).
    File(AsyncFileTransport<Tokio1Executor>),
    /// Kept in memory (tests).
    Memory(Arc<Mutex<Vec<Kept>>>),
}

/// An `SMTP_URL` the service cannot use.
#[derive(Debug, thiserror::Error)]
#[error("SMTP_URL {url:?} is not usable: {reason}")]
pub struct BadSmtpUrl {
    pub url: String,
    pub reason: String,
}

impl Mailer {
    /// The mailer `SMTP_URL` asks for: `smtp://host:port` (plain), `smtp://…?tls=starttls`
    /// (STARTTLS required), `smtps://…` (implicit TLS), with `user:password@` when the
    /// server wants them; none: `.eml` files under `data_dir/outbox/`.
    pub fn from_config(smtp_url: Option<&str>, data_dir: &Path) -> Result<Mailer, BadSmtpUrl> {
        match smtp_url {
            Some(url) => Ok(Mailer::Smtp(smtp(url)?)),
            None => {
                let dir = data_dir.join("outbox");
                std::fs::create_dir_all(&dir).map_err(|e| BadSmtpUrl {
                    url: String::new(),
                    reason: format!("cannot create {}: {e}", dir.display()),
                })?;
                Ok(Mailer::File(AsyncFileTransport::new(dir)))
            }
        }
    }

    /// A mailer that keeps what it is given, and what it has kept.
    pub fn memory() -> (Mailer, Arc<Mutex<Vec<Kept>>>) {
        let kept = Arc::new(Mutex::new(Vec::new()));
        (Mailer::Memory(kept.clone()), kept)
    }

    /// Sends one message; an error is the transport's (the outbox retries it).
    pub async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Mailer::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Mailer::File(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Mailer::Memory(kept) => {
                let to = message
                    .envelope()
                    .to()
                    .iter()
                    .map(|a| a.to_string())
                    .collect();
                let raw = message.formatted();
                kept.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(Kept { to, raw });
                Ok(())
            }
        }
    }
}

/// The SMTP transport of `url`: lettre's URL form, with `tls=starttls` spelled as lettre's
/// `tls=required`.
fn smtp(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, BadSmtpUrl> {
    let bad = |reason: String| BadSmtpUrl {
        url: crate::app::redact(url),
        reason,
    };
    let lettre_url = url.replace("tls=starttls", "tls=required");
    if !(lettre_url.starts_with("smtp://") || lettre_url.starts_with("smtps://")) {
        return Err(bad("the scheme must be smtp:// or smtps://".into()));
    }
    let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url)
        .map_err(|e| bad(e.to_string()))?;
    Ok(builder
        .timeout(Some(std::time::Duration::from_secs(20)))
        .pool_config(PoolConfig::new().max_size(CONNECTIONS as u32))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn smtp_urls_of_every_form_are_accepted_and_others_refused() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://user:secret@mail.example.com:587?tls=starttls",
            "smtps://user:secret@mail.example.com:465",
        ] {
            assert!(smtp(url).is_ok(), "{url}");
        }
        let err = smtp("http://user:secret@mail.example.com").err().unwrap();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(smtp("smtp://").is_err());
    }
}
