//! A minimal SMTP server that accepts every message and keeps nothing but a count: with
//! `--smtp-sink` the service's mail goes over SMTP (its production path: a pooled
//! connection, a session per message) instead of `.eml` files. It runs in the bench's
//! process, so its CPU is counted as the client's.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A running sink: its `smtp://` URL and how many messages it accepted.
pub struct Sink {
    pub url: String,
    pub accepted: Arc<AtomicU64>,
}

/// Starts a sink on a free loopback port.
pub async fn start() -> Result<Sink, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("the SMTP sink's port: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let accepted = Arc::new(AtomicU64::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let _ = session(stream, &count).await;
            });
        }
    });
    Ok(Sink {
        url: format!("smtp://127.0.0.1:{port}"),
        accepted,
    })
}

/// One SMTP session: every command is answered 250 (DATA 354, QUIT 221), each message's
/// end counted.
async fn session(stream: tokio::net::TcpStream, count: &AtomicU64) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 bench-sink ESMTP\r\n").await?;
    let mut line = String::new();
    let mut in_data = false;
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        if in_data {
            if line == ".\r\n" || line == ".\n" {
                in_data = false;
                count.fetch_add(1, Ordering::Relaxed);
                write.write_all(b"250 OK queued\r\n").await?;
            }
            continue;
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" => b"250-bench-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "DATA" => {
                in_data = true;
                b"354 end with <CRLF>.<CRLF>\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"250 OK\r\n",
        };
        write.write_all(answer).await?;
    }
}
