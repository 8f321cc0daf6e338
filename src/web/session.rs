//! Cookie sessions for the pages, and their CSRF tokens.
//!
//! A page session is a session of the API's own kind (a row of `sessions`, opened by
//! [`crate::app::App::log_in`]): its token travels in an `HttpOnly; SameSite=Lax` cookie
//! instead of a bearer header, so a page is refused exactly what the API would refuse.
//! Every form carries a CSRF token derived from the cookie it came with (the session's,
//! or, before log-in, an anonymous visitor's random cookie): a form posted from another
//! site cannot know it. Logging out deletes the session; a blocked user's session ends
//! at their next request.

use std::sync::{Arc, Mutex};

use aggregates::{Actor, Role};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use projections::users::UserRow;
use sha2::{Digest, Sha256};

use super::i18n::{Lang, Tr};
use super::{error_page, Failed, Frame, PageError};
use crate::app::{App, Ctx};

pub const SESSION: &str = "scriptorium_session";
pub const ANON: &str = "scriptorium_visitor";
pub const LANG: &str = "scriptorium_lang";
pub const FLASH: &str = "scriptorium_flash";

/// The `Set-Cookie` values a request's handlers want sent with its answer.
/// Also the frame of the visitor the page saw, for an error page.
#[derive(Clone, Default)]
pub struct Outgoing(Arc<Mutex<(Vec<String>, Option<Frame>)>>);

impl Outgoing {
    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<String>, Option<Frame>)> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn push(&self, cookie: String) {
        self.lock().0.push(cookie);
    }

    fn take(&self) -> (Vec<String>, Option<Frame>) {
        std::mem::take(&mut *self.lock())
    }
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Whether the site is served over TLS (its public address is `https://`, or a proxy in
/// front says so): then every cookie is `Secure`.
fn secure(app: &App, headers: &HeaderMap) -> bool {
    app.config.public_url.starts_with("https://")
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: `HttpOnly; SameSite=Lax; Path=/`, `Secure` over TLS; no
/// `max_age` for one that lasts the browser's session, `Some(0)` to delete it.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// The CSRF token of forms sent with cookie value `value`.
fn csrf_of(value: &str) -> String {
    hex::encode(&Sha256::digest(format!("scriptorium-csrf:{value}").as_bytes())[..16])
}

/// Percent-encodes a flash message for its cookie (and decodes it back).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every page's middleware: gives an anonymous visitor their random cookie (for the
/// CSRF token of the log-in, sign-up and checkout forms), sends the cookies the handlers
/// set, clears a flash message once a page has shown it, and adds the pages' security
/// headers.
pub async fn middleware(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let out = Outgoing::default();
    let secure = secure(&app, req.headers());
    if cookie(req.headers(), SESSION).is_none() && cookie(req.headers(), ANON).is_none() {
        let value = crate::auth::new_token();
        let pair = format!("{ANON}={value}");
        // Seen by this request's extractors as if the browser had sent it.
        if let Ok(v) = HeaderValue::from_str(&pair) {
            req.headers_mut().append(header::COOKIE, v);
        }
        out.push(set_cookie(ANON, &value, None, secure));
    }
    let had_flash = cookie(req.headers(), FLASH).is_some();
    req.extensions_mut().insert(out.clone());
    let mut res = next.run(req).await;
    let (mut cookies, frame) = out.take();
    if let Some(Failed(e)) = res.extensions().get::<Failed>().cloned() {
        let status = res.status();
        res = error_page(frame.unwrap_or_else(Frame::anonymous), status, &e);
    }
    let shown = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    // A page shown now has shown the visitor's flash message: it is not for the next one
    // too. A redirect carries the message set for the page it leads to.
    let flash_set = cookies.iter().any(|c| c.starts_with(FLASH));
    if shown && (had_flash || flash_set) {
        cookies.retain(|c| !c.starts_with(FLASH));
        cookies.push(set_cookie(FLASH, "", Some(0), secure));
    }
    let h = res.headers_mut();
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.append(header::SET_COOKIE, v);
        }
    }
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cache-control", "no-store"),
    ] {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    res
}

/// Whoever is looking at a page: a logged-in, unblocked user or an anonymous visitor,
/// in their language, with the CSRF token their forms must carry.
#[derive(Clone)]
pub struct Visitor {
    pub user: Option<UserRow>,
    pub tr: Tr,
    pub csrf: String,
    /// A message from the action that led here (one page shows it).
    pub flash: Option<String>,
    pub request_id: String,
    pub secure: bool,
    out: Outgoing,
}

impl Visitor {
    pub fn lang(&self) -> Lang {
        self.tr.0
    }

    pub fn role(&self) -> Option<Role> {
        self.user.as_ref().map(|u| u.role)
    }

    pub fn is(&self, role: Role) -> bool {
        self.role() == Some(role)
    }

    /// The logged-in user, or a redirect to the log-in page.
    pub fn require(&self) -> Result<Member, PageError> {
        match &self.user {
            Some(u) => Ok(Member {
                user: u.clone(),
                request_id: self.request_id.clone(),
            }),
            None => Err(PageError::LogIn),
        }
    }

    /// Refused (403) unless the submitted form carries this visitor's CSRF token.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), PageError> {
        if subtle_eq(submitted.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    /// Sends a cookie with the answer.
    pub fn set(&self, name: &str, value: &str, max_age: Option<i64>) {
        self.out.push(set_cookie(name, value, max_age, self.secure));
    }

    /// A message for the next page this visitor sees.
    pub fn flash(&self, message: &str) {
        // A cookie holds about 4 KB, and a refusal may echo what was typed.
        let short: String = if message.chars().count() > 300 {
            message.chars().take(299).chain(['…']).collect()
        } else {
            message.to_string()
        };
        self.set(FLASH, &encode(&short), None);
    }
}

/// Constant-time equality of two byte strings.
fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A logged-in user acting through a page.
#[derive(Clone)]
pub struct Member {
    pub user: UserRow,
    pub request_id: String,
}

impl Member {
    pub fn actor(&self) -> Actor {
        Actor::new(self.user.id, self.user.role)
    }

    pub fn ctx(&self) -> Ctx {
        Ctx::request(self.actor(), &self.request_id)
    }
}

impl FromRequestParts<App> for Visitor {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Visitor, PageError> {
        let out = parts
            .extensions
            .get::<Outgoing>()
            .cloned()
            .unwrap_or_default();
        let secure = secure(app, &parts.headers);
        let request_id = crate::http::extract::request_id(parts);
        let mut user = None;
        let mut csrf_from = cookie(&parts.headers, ANON).map(str::to_string);
        let mut flash = cookie(&parts.headers, FLASH).map(decode);
        let mut session_ended = false;
        if let Some(token) = cookie(&parts.headers, SESSION) {
            let found = app
                .sessions
                .user(
                    &app.db,
                    &crate::auth::token_hash(token),
                    &app.clock.now().to_rfc3339(),
                )
                .await
                .map_err(|e| PageError::Internal(e.to_string()))?;
            match found {
                Some(u) if !u.blocked => {
                    csrf_from = Some(token.to_string());
                    user = Some(u);
                }
                ended => {
                    // Expired, logged out elsewhere, or blocked: the session ends now.
                    if let Some(u) = ended {
                        end_sessions_of(app, u.id).await;
                    }
                    out.push(set_cookie(SESSION, "", Some(0), secure));
                    flash = Some(Tr(Lang::Ru).t("flash.session_ended").to_string());
                    session_ended = true;
                    if csrf_from.is_none() {
                        let value = crate::auth::new_token();
                        out.push(set_cookie(ANON, &value, None, secure));
                        csrf_from = Some(value);
                    }
                }
            }
        }
        let asked = parts
            .uri
            .query()
            .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("lang=")))
            .and_then(Lang::parse);
        if let Some(l) = asked {
            out.push(set_cookie(LANG, l.code(), Some(365 * 24 * 3600), secure));
        }
        let own = match &user {
            Some(u) => app
                .user_state(u.id)
                .await
                .ok()
                .and_then(|s| s.language.as_deref().and_then(Lang::parse)),
            None => None,
        };
        let lang = asked
            .or(own)
            .or_else(|| cookie(&parts.headers, LANG).and_then(Lang::parse))
            .or_else(|| {
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or_default();
        let tr = Tr(lang);
        if flash.as_deref() == Some(Tr(Lang::Ru).t("flash.session_ended")) {
            flash = Some(tr.t("flash.session_ended").to_string());
        }
        if session_ended {
            // Shown by this page, or by the log-in page it redirects to.
            out.push(set_cookie(
                FLASH,
                &encode(tr.t("flash.session_ended")),
                None,
                secure,
            ));
        }
        let visitor = Visitor {
            user,
            tr,
            csrf: csrf_of(csrf_from.as_deref().unwrap_or("")),
            flash,
            request_id,
            secure,
            out,
        };
        visitor.out.lock().1 = Some(Frame::of(&visitor));
        Ok(visitor)
    }
}

/// Ends every session of a user (blocked: none of their browsers stays logged in).
pub async fn end_sessions_of(app: &App, user: uuid::Uuid) {
    if let Err(e) = app
        .db
        .execute(
            "DELETE FROM sessions WHERE user_id = $1",
            &projections::args![user],
        )
        .await
    {
        tracing::warn!(error = %e, "could not end the sessions of a blocked user");
    }
    app.sessions.forget_users(&[user]);
}

/// Ends the session of this token (log-out, as `POST /api/auth/logout`).
pub async fn end_session(app: &App, token: &str) -> Result<(), PageError> {
    app.log_out(token)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_message_survives_its_cookie() {
        for m in ["Готово.", "a; b=c, \"d\" %", ""] {
            assert_eq!(decode(&encode(m)), m);
        }
    }

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        h.append(header::COOKIE, HeaderValue::from_static("c=3"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "c"), Some("3"));
        assert_eq!(cookie(&h, "d"), None);
    }

    #[test]
    fn csrf_tokens_differ_per_cookie_and_compare_exactly() {
        assert_ne!(csrf_of("a"), csrf_of("b"));
        assert_eq!(csrf_of("a").len(), 32);
        assert!(subtle_eq(b"abc", b"abc"));
        assert!(!subtle_eq(b"abc", b"abd"));
        assert!(!subtle_eq(b"abc", b"ab"));
    }
}
