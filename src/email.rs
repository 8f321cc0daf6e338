//! Where mail goes: one [`Mailer`] over lettre's async transports, chosen at start-up
//! from `SMTP_URL` (API.md, Configuration). The outbox's sender (`process::mail_sender`)
//! is its only user.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// SMTP connections in the pool, and mails the sender sends at once.
pub const CONNECTIONS: usize = 8;

/// A message a [`Mailer::Memory`] kept: who it went to and its bytes as sent.
#[derive(Debug, Clone)]
pub struct Kept {
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

/// Delivers one message at a time.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server (`smtp://`, plain or STARTTLS), over our pool of connections.
    Smtp(Arc<SmtpPool>),
    /// An SMTP server over implicit TLS (`smtps://`), over lettre's pool.
    Smtps(AsyncSmtpTransport<Tokio1Executor>),
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
            Some(url) if url.starts_with("smtp://") => {
                Ok(Mailer::Smtp(Arc::new(SmtpPool::new(url)?)))
            }
            Some(url) => Ok(Mailer::Smtps(smtp(url)?)),
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
            Mailer::Smtp(pool) => pool.send(message.envelope(), &message.formatted()).await,
            Mailer::Smtps(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
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

/// How long a pooled connection may sit idle and still be used without a `NOOP` first.
const FRESH: Duration = Duration::from_secs(2);
/// How long an idle connection is kept.
const IDLE: Duration = Duration::from_secs(60);
/// The longest a connection (TCP, greeting, EHLO, STARTTLS, AUTH) or one small message
/// may take; a `NOOP` or `QUIT` gets [`QUICK`].
const TIMEOUT: Duration = Duration::from_secs(20);
/// More time per byte of a message: its body at 100 kB/s at least ...
const BYTES_PER_SECOND: u64 = 100_000;
/// ... and at most RFC 5321's 10 minutes for the server's answer to the final dot.
const LONGEST: Duration = Duration::from_secs(600);
/// How long a `NOOP` check or a `QUIT` may take before the connection is dropped.
const QUICK: Duration = Duration::from_secs(5);

/// How long sending a message of `len` bytes may take.
fn send_limit(len: usize) -> Duration {
    (TIMEOUT + Duration::from_secs(len as u64 / BYTES_PER_SECOND)).min(LONGEST)
}

/// Closes a connection, saying `QUIT` if the server answers within [`QUICK`].
async fn close(mut conn: AsyncSmtpConnection) {
    let _ = tokio::time::timeout(QUICK, conn.abort()).await;
}

/// A TCP connection to an SMTP server, with `TCP_NODELAY` (see [`SmtpPool`]).
async fn open_tcp(host: &str, port: u16) -> std::io::Result<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect((host, port)).await?;
    tcp.set_nodelay(true)?;
    Ok(tcp)
}

/// How an `smtp://` connection is secured.
#[derive(Clone)]
enum Security {
    Plain,
    /// STARTTLS, required (`tls=starttls`, lettre's `tls=required`) or used when offered
    /// (`tls=opportunistic`).
    StartTls {
        parameters: TlsParameters,
        required: bool,
    },
}

/// Sends over SMTP on a pool of at most [`CONNECTIONS`] connections of our own, each with
/// `TCP_NODELAY`: lettre 0.11 writes a message's final `.` in a write of its own, which
/// Nagle's algorithm holds until the server acknowledges the body, and a server's delayed
/// acknowledgement is 40 ms: with lettre's own connections every mail cost 40 ms, and the
/// outbox's sender could not keep up (docs/decisions/033). A pooled connection idle for
/// longer than [`FRESH`] is checked with `NOOP` before use; a message that fails on a
/// reused connection is tried once more on a new one (the server may have closed it).
pub struct SmtpPool {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl SmtpPool {
    /// The pool of an `smtp://` URL (lettre's form: `tls=required` or `tls=opportunistic`
    /// for STARTTLS, `user:password@`, a path as the EHLO name).
    fn new(url: &str) -> Result<SmtpPool, BadSmtpUrl> {
        let bad = |reason: String| BadSmtpUrl {
            url: crate::app::redact(url),
            reason,
        };
        // lettre checks the whole URL as its own transport would.
        let lettre_url = url.replace("tls=starttls", "tls=required");
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url)
            .map_err(|e| bad(e.to_string()))?;
        let parsed = url::Url::parse(&lettre_url).map_err(|e| bad(e.to_string()))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| bad("no host".into()))?
            .to_string();
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_string());
        let security = match tls.as_deref() {
            None => Security::Plain,
            Some(mode @ ("required" | "opportunistic")) => Security::StartTls {
                parameters: TlsParameters::new(host.clone()).map_err(|e| bad(e.to_string()))?,
                required: mode == "required",
            },
            Some(other) => return Err(bad(format!("an unknown tls={other}"))),
        };
        let default_port = if tls.is_some() { 587 } else { 25 };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|e| bad(e.to_string()))
        };
        let credentials = match parsed.password() {
            Some(password) => Some(Credentials::new(
                decode(parsed.username())?,
                decode(password)?,
            )),
            None => None,
        };
        let hello = match parsed.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_string()),
        };
        Ok(SmtpPool {
            port: parsed.port().unwrap_or(default_port),
            host,
            security,
            credentials,
            hello,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// A new connection: TCP with `TCP_NODELAY`, the greeting and EHLO, STARTTLS, AUTH.
    async fn connect(&self) -> Result<AsyncSmtpConnection, String> {
        let tcp = open_tcp(&self.host, self.port)
            .await
            .map_err(|e| format!("connection error: {e}"))?;
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
            .await
            .map_err(|e| e.to_string())?;
        if let Security::StartTls {
            parameters,
            required,
        } = &self.security
        {
            if conn.can_starttls() {
                conn.starttls(parameters.clone(), &self.hello)
                    .await
                    .map_err(|e| e.to_string())?;
            } else if *required {
                close(conn).await;
                return Err("the server does not offer STARTTLS, and it is required".into());
            }
        }
        if let Some(credentials) = &self.credentials {
            if let Err(e) = conn
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
            {
                close(conn).await;
                return Err(e.to_string());
            }
        }
        Ok(conn)
    }

    /// An idle connection that is still good, if any (the rest are closed).
    async fn reuse(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, since) = {
                let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
                idle.pop()?
            };
            let age = since.elapsed();
            if age > IDLE || conn.has_broken() {
                close(conn).await;
                continue;
            }
            if age <= FRESH
                || tokio::time::timeout(QUICK, conn.test_connected())
                    .await
                    .unwrap_or(false)
            {
                return Some(conn);
            }
            // A silent server or a dropped connection: not worth a QUIT.
            drop(conn);
        }
    }

    /// Gives a connection back to the pool, or closes it when the pool is full.
    async fn give_back(&self, conn: AsyncSmtpConnection) {
        {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < CONNECTIONS && !conn.has_broken() {
                idle.push((conn, Instant::now()));
                return;
            }
        }
        close(conn).await;
    }

    /// Sends one message on `conn`, within [`send_limit`] of its size; the connection
    /// back when it is still good.
    async fn send_on(
        &self,
        mut conn: AsyncSmtpConnection,
        envelope: &Envelope,
        raw: &[u8],
    ) -> Result<(), String> {
        let limit = send_limit(raw.len());
        match tokio::time::timeout(limit, conn.send(envelope, raw)).await {
            Ok(Ok(_)) => {
                self.give_back(conn).await;
                Ok(())
            }
            Ok(Err(e)) => {
                close(conn).await;
                Err(e.to_string())
            }
            Err(_) => Err(format!("the server did not answer within {limit:?}")),
        }
    }

    /// Sends one message: on a pooled connection, or on a new one.
    async fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), String> {
        if let Some(conn) = self.reuse().await {
            if self.send_on(conn, envelope, raw).await.is_ok() {
                return Ok(());
            }
        }
        let conn = tokio::time::timeout(TIMEOUT, self.connect())
            .await
            .map_err(|_| format!("no connection within {TIMEOUT:?}"))??;
        self.send_on(conn, envelope, raw).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_may_take_longer_the_larger_it_is_up_to_ten_minutes() {
        assert_eq!(send_limit(5_000), TIMEOUT);
        assert_eq!(send_limit(10_000_000), TIMEOUT + Duration::from_secs(100));
        assert_eq!(send_limit(70_000_000), LONGEST);
    }

    #[tokio::test]
    async fn smtp_connections_send_without_waiting_for_acknowledgements() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tcp = open_tcp("127.0.0.1", port).await.unwrap();
        assert!(tcp.nodelay().unwrap(), "Nagle's algorithm is off");
    }

    #[tokio::test]
    async fn smtp_urls_of_every_form_are_accepted_and_others_refused() {
        let dir = std::env::temp_dir();
        for (url, ours) in [
            ("smtp://127.0.0.1:2525", true),
            ("smtp://user:secret@mail.example.com:587?tls=starttls", true),
            ("smtp://mail.example.com?tls=opportunistic", true),
            ("smtps://user:secret@mail.example.com:465", false),
        ] {
            let mailer = Mailer::from_config(Some(url), &dir);
            assert!(
                matches!(
                    (&mailer, ours),
                    (Ok(Mailer::Smtp(_)), true) | (Ok(Mailer::Smtps(_)), false)
                ),
                "{url}"
            );
        }
        let pool = SmtpPool::new(
            "smtp://us%40er:s%3Acret@mail.example.com/relay.example.org?tls=starttls",
        )
        .unwrap();
        assert_eq!((pool.host.as_str(), pool.port), ("mail.example.com", 587));
        assert!(matches!(
            pool.security,
            Security::StartTls { required: true, .. }
        ));
        assert_eq!(
            pool.credentials,
            Some(Credentials::new("us@er".into(), "s:cret".into()))
        );
        assert_eq!(pool.hello, ClientId::Domain("relay.example.org".into()));
        assert_eq!(SmtpPool::new("smtp://127.0.0.1").unwrap().port, 25);
        for url in [
            "http://user:secret@mail.example.com",
            "smtp://",
            "smtp://user:secret@mail.example.com?tls=sometimes",
        ] {
            let err = Mailer::from_config(Some(url), &dir).err().unwrap();
            assert!(!err.to_string().contains("secret"), "{err}");
        }
    }
}
