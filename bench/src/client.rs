//! A keep-alive HTTP/1.1 client for the service's JSON API (hyper-util's pooled client).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::{Method, Request};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// No single request may take longer than this; past it, it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The payment provider's secret the bench's service is started with and signs with.
pub const WEBHOOK_SECRET: &str = "bench-payment-provider-secret";

/// The service at one address; cheap to clone (one shared connection pool).
#[derive(Clone)]
pub struct Api {
    http: Client<HttpConnector, Full<Bytes>>,
    base: String,
}

/// A status and a body.
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// A short description for error reports.
    pub fn describe(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text: String = text.chars().take(300).collect();
        format!("HTTP {}: {text}", self.status)
    }
}

impl Api {
    pub fn new(addr: &str) -> Api {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Api {
            http,
            base: format!("http://{addr}"),
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Bytes,
    ) -> Result<Answer, String> {
        self.send_with(method, path, token, content_type, body, None)
            .await
    }

    /// A payment notification as the provider sends it: signed with [`WEBHOOK_SECRET`]
    /// (`X-Signature: t=<now>,v1=<HMAC-SHA256 of "<t>.<body>">`).
    pub async fn webhook(&self, body: &Value) -> Result<Answer, String> {
        use hmac::{Hmac, Mac};
        let body = body.to_string();
        let t = chrono::Utc::now().timestamp();
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes())
            .map_err(|e| e.to_string())?;
        mac.update(format!("{t}.{body}").as_bytes());
        let signature = format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()));
        self.send_with(
            Method::POST,
            "/api/payments/webhook",
            None,
            Some("application/json"),
            Bytes::from(body),
            Some(("x-signature", &signature)),
        )
        .await
    }

    async fn send_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Bytes,
        header: Option<(&str, &str)>,
    ) -> Result<Answer, String> {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some((name, value)) = header {
            req = req.header(name, value);
        }
        if let Some(t) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            req = req.header(CONTENT_TYPE, ct);
        }
        let req = req.body(Full::new(body)).map_err(|e| e.to_string())?;
        let exchange = async {
            let res = self.http.request(req).await.map_err(|e| e.to_string())?;
            let status = res.status().as_u16();
            let body = res
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok(Answer { status, body })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| format!("no answer within {REQUEST_TIMEOUT:?}"))?
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Result<Answer, String> {
        self.send(Method::GET, path, token, None, Bytes::new())
            .await
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Result<Answer, String> {
        self.send(
            Method::POST,
            path,
            token,
            Some("application/json"),
            Bytes::from(body.to_string()),
        )
        .await
    }

    pub async fn put(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Result<Answer, String> {
        self.send(
            Method::PUT,
            path,
            token,
            Some("application/json"),
            Bytes::from(body.to_string()),
        )
        .await
    }

    pub async fn patch(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Result<Answer, String> {
        self.send(
            Method::PATCH,
            path,
            token,
            Some("application/json"),
            Bytes::from(body.to_string()),
        )
        .await
    }

    /// `multipart/form-data` with one `file` part, as a browser sends an upload.
    pub async fn upload(
        &self,
        path: &str,
        token: &str,
        name: &str,
        content: &[u8],
    ) -> Result<Answer, String> {
        self.upload_with(path, token, &[], name, content).await
    }

    /// `multipart/form-data` with text `fields` and one `file` part (a ready-made work).
    pub async fn upload_with(
        &self,
        path: &str,
        token: &str,
        fields: &[(&str, &str)],
        name: &str,
        content: &[u8],
    ) -> Result<Answer, String> {
        const BOUNDARY: &str = "scriptorium-bench-boundary-7f3a9c";
        let mut body = Vec::with_capacity(content.len() + 256);
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        self.send(
            Method::POST,
            path,
            Some(token),
            Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
            Bytes::from(body),
        )
        .await
    }
}
