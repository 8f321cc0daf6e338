//! A real SMTP server for the mail tests (`mailin-embedded`, on its own threads), a TCP
//! relay in front of it that a test stops and starts again (an outage the service sees as
//! refused connections), and what a test reads of a received message.

use std::sync::{Arc, Mutex};

use base64::Engine;
use mailin_embedded::{response, Handler, Response, Server, SslConfig};

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope's recipients.
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

#[derive(Clone)]
struct Collect {
    got: Arc<Mutex<Vec<Received>>>,
    /// Greetings (`EHLO`/`HELO`): one per connection a client opened.
    hellos: Arc<std::sync::atomic::AtomicUsize>,
    to: Vec<String>,
    buf: Vec<u8>,
}

impl Handler for Collect {
    fn helo(&mut self, _ip: std::net::IpAddr, _domain: &str) -> Response {
        self.hellos
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        response::OK
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.buf.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let message = Received {
            to: std::mem::take(&mut self.to),
            raw: std::mem::take(&mut self.buf),
        };
        self.got.lock().unwrap().push(message);
        response::OK
    }
}

/// A running SMTP server: its port and what it received.
pub struct SmtpServer {
    pub port: u16,
    got: Arc<Mutex<Vec<Received>>>,
    hellos: Arc<std::sync::atomic::AtomicUsize>,
}

impl SmtpServer {
    /// Starts a server on a free local port (it runs until the test process ends).
    pub fn start() -> SmtpServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let hellos = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let handler = Collect {
            got: got.clone(),
            hellos: hellos.clone(),
            to: Vec::new(),
            buf: Vec::new(),
        };
        let mut server = Server::new(handler);
        server
            .with_name("smtp.test")
            // A thread per connection: the service's pool keeps up to 8 open, and a test
            // process runs several services at once.
            .with_num_threads(32)
            .with_ssl(SslConfig::None)
            .expect("no TLS")
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer { port, got, hellos }
    }

    /// How many connections clients have opened (greeted) so far.
    pub fn connections(&self) -> usize {
        self.hellos.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every message received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// A TCP relay on `port` to the SMTP server; while stopped its port refuses connections.
pub struct Relay {
    pub port: u16,
    target: u16,
    tasks: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    /// A relay to `target` on a free port, not yet started.
    pub fn new(target: u16) -> Relay {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Relay {
            port,
            target,
            tasks: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Listens and relays until [`Relay::stop`].
    pub async fn start(&self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("the relay's port");
        let target = self.target;
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let conn = tokio::spawn(async move {
                    if let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", target)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(conn);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// Closes the listener and every relayed connection: the server is unreachable.
    pub async fn stop(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
        // The aborted listener's socket is closed once its task is dropped.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A received message, read as a test needs it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub raw: String,
    /// Each attachment's file name and decoded bytes.
    pub attachments: Vec<(String, Vec<u8>)>,
}

impl Mail {
    pub fn parse(r: &Received) -> Mail {
        let raw = String::from_utf8_lossy(&r.raw).replace("\r\n", "\n");
        let (head, _) = raw.split_once("\n\n").unwrap_or((&raw, ""));
        let header = |name: &str| -> String {
            let mut out = String::new();
            let mut on = false;
            for line in head.lines() {
                if on && (line.starts_with(' ') || line.starts_with('\t')) {
                    out.push_str(line.trim_start());
                    continue;
                }
                on = false;
                if let Some((n, v)) = line.split_once(':') {
                    if n.eq_ignore_ascii_case(name) && out.is_empty() {
                        out.push_str(v.trim());
                        on = true;
                    }
                }
            }
            out
        };
        Mail {
            to: r.to.clone(),
            subject: decode_words(&header("Subject")),
            message_id: header("Message-ID"),
            attachments: attachments(&raw),
            raw,
        }
    }

    /// The plain-text part, decoded.
    pub fn text(&self) -> String {
        part_body(&self.raw, "text/plain").unwrap_or_default()
    }

    /// The HTML part, decoded.
    pub fn html(&self) -> String {
        part_body(&self.raw, "text/html").unwrap_or_default()
    }
}

/// RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) decoded; other text kept.
pub fn decode_words(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let word = &rest[start + 2..];
        let parts: Vec<&str> = word.splitn(3, '?').collect();
        if parts.len() < 3 {
            out.push_str(&rest[start..]);
            return out;
        }
        let Some(end) = parts[2].find("?=") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let text = &parts[2][..end];
        let bytes = if parts[1].eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap_or_default()
        } else {
            quoted_printable(&text.replace('_', " "))
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
        let consumed = start + 2 + parts[0].len() + 1 + parts[1].len() + 1 + end + 2;
        rest = &rest[consumed..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

fn quoted_printable(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() + 1 {
            if b.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if let Some(hex) = s.get(i + 1..i + 3) {
                if let Ok(v) = u8::from_str_radix(hex, 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// The MIME parts of a message (headers, body), at any depth.
fn parts(raw: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in raw.lines() {
        if let Some(b) = line
            .trim()
            .strip_prefix("boundary=")
            .or_else(|| line.split("boundary=").nth(1))
        {
            let boundary = b.trim_matches(|c| c == '"' || c == ';').to_string();
            let sep = format!("--{boundary}");
            for chunk in raw.split(&sep).skip(1) {
                if chunk.starts_with("--") {
                    continue;
                }
                let chunk = chunk.trim_start_matches('\n');
                if let Some((h, body)) = chunk.split_once("\n\n") {
                    out.push((h.to_string(), body.trim_end_matches('\n').to_string()));
                }
            }
        }
    }
    out
}

fn decode_body(headers: &str, body: &str) -> Vec<u8> {
    let h = headers.to_ascii_lowercase();
    if h.contains("content-transfer-encoding: base64") {
        let joined: String = body.lines().map(str::trim).collect();
        base64::engine::general_purpose::STANDARD
            .decode(joined)
            .unwrap_or_default()
    } else if h.contains("content-transfer-encoding: quoted-printable") {
        quoted_printable(body)
    } else {
        body.as_bytes().to_vec()
    }
}

fn part_body(raw: &str, content_type: &str) -> Option<String> {
    parts(raw)
        .into_iter()
        .find(|(h, _)| {
            h.to_ascii_lowercase()
                .contains(&format!("content-type: {content_type}"))
                && !h.to_ascii_lowercase().contains("attachment")
        })
        .map(|(h, b)| String::from_utf8_lossy(&decode_body(&h, &b)).into_owned())
}

fn attachments(raw: &str) -> Vec<(String, Vec<u8>)> {
    parts(raw)
        .into_iter()
        .filter(|(h, _)| {
            h.to_ascii_lowercase()
                .contains("content-disposition: attachment")
        })
        .map(|(h, b)| {
            let name = h
                .split("filename=")
                .nth(1)
                .map(|n| {
                    decode_words(
                        n.lines()
                            .next()
                            .unwrap_or_default()
                            .trim_matches(|c| c == '"' || c == ';'),
                    )
                })
                .unwrap_or_default();
            (name, decode_body(&h, &b))
        })
        .collect()
}
