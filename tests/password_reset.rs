//! Password reset by an emailed one-time link, with the mail read from a real SMTP server
//! (mailin-embedded): the same answer for any email, the link once and until it expires,
//! every other link and every session ended, the password rules, the limits, and the
//! pages. On SQLite and PostgreSQL.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request};
use common::smtp::{Mail, SmtpServer};
use common::{Backend, Resp, TestApp};
use serde_json::json;

on_both!(
    a_client_sets_a_new_password_with_the_mailed_link,
    an_unknown_or_blocked_email_gets_the_same_answer_and_no_mail,
    a_link_works_once_and_until_it_expires,
    a_new_password_voids_the_other_links,
    weak_passwords_are_refused_and_the_link_still_works,
    requests_are_limited_per_email,
    the_pages_ask_for_a_link_and_set_the_password,
    a_request_a_crash_left_behind_is_still_mailed,
);

const PASSWORD: &str = "correct horse battery";

async fn mail_app(backend: Backend, smtp: &SmtpServer) -> TestApp {
    let port = smtp.port;
    TestApp::spawn_with(backend, |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.worker_poll = Some(Duration::from_millis(50));
        c.password_resets_per_account = 100;
    })
    .await
}

/// Signs a client up through the API; their email.
async fn client(t: &TestApp, name: &str) -> String {
    let email = format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple());
    t.call(
        "POST",
        "/api/auth/register",
        None,
        Some(json!({"email": email, "password": PASSWORD, "full_name": "Olga Smirnova"})),
    )
    .await
    .ok(201);
    email
}

async fn request(t: &TestApp, email: &str) -> Resp {
    t.call(
        "POST",
        "/api/auth/password-reset",
        None,
        Some(json!({ "email": email })),
    )
    .await
}

async fn confirm(t: &TestApp, token: &str, password: &str) -> Resp {
    t.call(
        "POST",
        "/api/auth/password-reset/confirm",
        None,
        Some(json!({"token": token, "new_password": password})),
    )
    .await
}

async fn log_in(t: &TestApp, email: &str, password: &str) -> Resp {
    t.call(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await
}

/// The reset mails `email` has been sent.
fn resets_to(smtp: &SmtpServer, email: &str) -> Vec<Mail> {
    smtp.received()
        .iter()
        .map(Mail::parse)
        .filter(|m| m.to == [email.to_string()] && m.text().contains("reset-password?token="))
        .collect()
}

/// Waits for the `n`th reset mail to `email`; its link's token.
async fn nth_link(smtp: &SmtpServer, email: &str, n: usize) -> (Mail, String) {
    for _ in 0..600 {
        let mails = resets_to(smtp, email);
        if let Some(m) = mails.get(n - 1) {
            let text = m.text();
            let at = text.find("reset-password?token=").unwrap() + "reset-password?token=".len();
            let token: String = text[at..]
                .chars()
                .take_while(char::is_ascii_hexdigit)
                .collect();
            assert!(token.len() >= 32, "{text}");
            return (m.clone(), token);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no reset mail number {n} to {email} in 30 s");
}

async fn count(t: &TestApp, sql: &str) -> i64 {
    t.application
        .app
        .db
        .fetch_one(sql, &[])
        .await
        .expect("a count")
        .int("n")
        .expect("n")
}

async fn replay_verifies(t: &TestApp) {
    t.workers_caught_up().await;
    let out = common::replay(t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

async fn a_client_sets_a_new_password_with_the_mailed_link(backend: Backend) {
    let smtp = SmtpServer::start();
    let t = mail_app(backend, &smtp).await;
    let email = client(&t, "olga").await;
    let phone = t.login(&email, PASSWORD).await;
    let laptop = t.login(&email, PASSWORD).await;
    let events = t.event_count().await;

    let answer = request(&t, &email).await;
    assert_eq!(answer.status, 202);
    let (mail, token) = nth_link(&smtp, &email, 1).await;
    // Russian by default, the link on the public address, the token never stored as is.
    assert_eq!(mail.subject, "Сброс пароля в Scriptorium");
    assert!(mail.text().contains(&format!(
        "http://scriptorium.test/reset-password?token={token}"
    )));
    assert!(mail.html().contains(&token));
    assert_eq!(token.len(), 64);
    let stored = t
        .application
        .app
        .db
        .fetch_all("SELECT token_hash FROM password_resets", &[])
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].text("token_hash").unwrap(), token);
    assert_eq!(
        stored[0].text("token_hash").unwrap(),
        scriptorium::auth::token_hash(&token)
    );
    let outbox = t
        .application
        .app
        .db
        .fetch_one(
            "SELECT params FROM mail_outbox WHERE kind = 'password_reset'",
            &[],
        )
        .await
        .unwrap()
        .text("params")
        .unwrap();
    assert!(!outbox.contains(&token), "{outbox}");

    confirm(&t, &token, "a brand new secret").await.ok(204);
    // Every session of the account has ended; the new password opens a new one.
    for old in [&phone, &laptop] {
        t.call("GET", "/api/me", Some(old), None).await.problem(401);
    }
    log_in(&t, &email, PASSWORD).await.problem(401);
    let fresh = log_in(&t, &email, "a brand new secret").await.ok(200);
    assert_eq!(fresh["user"]["email"], email);
    // The password's hash is not in the log: no event was appended.
    assert_eq!(t.event_count().await, events);

    // In English for a client who chose it.
    let token = fresh["token"].as_str().unwrap();
    t.put("/api/me/language", token, json!({"language": "en"}))
        .await
        .ok(200);
    request(&t, &email).await.ok(202);
    let (mail, _) = nth_link(&smtp, &email, 2).await;
    assert_eq!(mail.subject, "Reset your Scriptorium password");
    assert!(mail.text().contains("works once"), "{}", mail.text());
    replay_verifies(&t).await;
}

async fn an_unknown_or_blocked_email_gets_the_same_answer_and_no_mail(backend: Backend) {
    let smtp = SmtpServer::start();
    let t = mail_app(backend, &smtp).await;
    let known = client(&t, "known").await;
    let blocked = client(&t, "blocked").await;
    let (_, admin) = t.user(aggregates::Role::Admin, "Anna Admin").await;
    let blocked_id = t
        .get("/api/users", &admin)
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == blocked)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.post(
        &format!("/api/users/{blocked_id}/block"),
        &admin,
        json!({"reason": "fraud"}),
    )
    .await
    .ok(200);

    let unknown = "nobody-here@example.com";
    let a = request(&t, &known).await;
    let b = request(&t, unknown).await;
    let c = request(&t, &blocked).await;
    for r in [&a, &b, &c] {
        assert_eq!(r.status, 202);
        assert_eq!(r.content_type, "application/json");
    }
    assert_eq!(a.bytes, b.bytes);
    assert_eq!(a.bytes, c.bytes);
    nth_link(&smtp, &known, 1).await;
    // Only the registered, unblocked account has a link and a mail.
    assert_eq!(
        count(&t, "SELECT COUNT(*) AS n FROM password_resets").await,
        1
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) AS n FROM mail_outbox WHERE kind = 'password_reset'"
        )
        .await,
        1
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(resets_to(&smtp, unknown).is_empty());
    assert!(resets_to(&smtp, &blocked).is_empty());
    // Not an email at all is a 422 (which tells nothing about any account).
    request(&t, "not an email").await.problem(422);
    replay_verifies(&t).await;
}

async fn a_link_works_once_and_until_it_expires(backend: Backend) {
    let smtp = SmtpServer::start();
    let t = mail_app(backend, &smtp).await;
    let email = client(&t, "once").await;

    request(&t, &email).await.ok(202);
    let (_, token) = nth_link(&smtp, &email, 1).await;
    confirm(&t, &token, "first new secret").await.ok(204);
    let detail = confirm(&t, &token, "second new secret").await.problem(422);
    assert!(detail.contains("not valid"), "{detail}");
    log_in(&t, &email, "first new secret").await.ok(200);
    log_in(&t, &email, "second new secret").await.problem(401);

    // A link an hour (the default) old no longer works, and changes nothing.
    request(&t, &email).await.ok(202);
    let (_, late) = nth_link(&smtp, &email, 2).await;
    t.clock.advance(chrono::Duration::minutes(61));
    confirm(&t, &late, "too late secret").await.problem(422);
    log_in(&t, &email, "first new secret").await.ok(200);

    // Made-up tokens are refused the same way.
    for bogus in ["", "00", &"f".repeat(64), "../../etc/passwd"] {
        confirm(&t, bogus, "made up secret").await.problem(422);
    }
    log_in(&t, &email, "first new secret").await.ok(200);
    replay_verifies(&t).await;
}

async fn a_new_password_voids_the_other_links(backend: Backend) {
    let smtp = SmtpServer::start();
    let t = mail_app(backend, &smtp).await;
    let email = client(&t, "void").await;

    // Two links; the second is used: the first is void.
    request(&t, &email).await.ok(202);
    let (_, first) = nth_link(&smtp, &email, 1).await;
    request(&t, &email).await.ok(202);
    let (_, second) = nth_link(&smtp, &email, 2).await;
    assert_ne!(first, second);
    confirm(&t, &second, "second link secret").await.ok(204);
    confirm(&t, &first, "first link secret").await.problem(422);
    log_in(&t, &email, "second link secret").await.ok(200);

    // A password changed with the old one voids the links asked for before.
    request(&t, &email).await.ok(202);
    let (_, third) = nth_link(&smtp, &email, 3).await;
    let session = t.login(&email, "second link secret").await;
    t.post(
        "/api/me/password",
        &session,
        json!({"old_password": "second link secret", "new_password": "changed by hand"}),
    )
    .await
    .ok(200);
    confirm(&t, &third, "third link secret").await.problem(422);
    log_in(&t, &email, "changed by hand").await.ok(200);
    replay_verifies(&t).await;
}

async fn weak_passwords_are_refused_and_the_link_still_works(backend: Backend) {
    let smtp = SmtpServer::start();
    let t = mail_app(backend, &smtp).await;
    let email = client(&t, "weak").await;
    let session = t.login(&email, PASSWORD).await;
    request(&t, &email).await.ok(202);
    let (_, token) = nth_link(&smtp, &email, 1).await;
    for weak in [
        "short",
        "password1",
        "12345678",
        "aaaaaaaaaa",
        &"x".repeat(257),
    ] {
        confirm(&t, &token, weak).await.problem(422);
    }
    // Nothing changed: the old password and the session still work.
    t.call("GET", "/api/me", Some(&session), None).await.ok(200);
    log_in(&t, &email, PASSWORD).await.ok(200);
    // A body that is not the request's shape is a 400.
    t.call(
        "POST",
        "/api/auth/password-reset/confirm",
        None,
        Some(json!({"token": token})),
    )
    .await
    .problem(400);
    confirm(&t, &token, "a strong new secret").await.ok(204);
    t.call("GET", "/api/me", Some(&session), None)
        .await
        .problem(401);
    replay_verifies(&t).await;
}

async fn requests_are_limited_per_email(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let email = client(&t, "limited").await;
    let unknown = "limited-nobody@example.com";
    for who in [email.as_str(), unknown] {
        for _ in 0..3 {
            request(&t, who).await.ok(202);
        }
        let r = request(&t, who).await;
        let wait: i64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=15 * 60).contains(&wait), "{wait}");
        let detail = r.problem(429);
        assert!(detail.contains("password-reset"), "{detail}");
    }
    // Only the registered account's three requests left links (written after the answer).
    let mut links = 0;
    for _ in 0..200 {
        links = count(&t, "SELECT COUNT(*) AS n FROM password_resets").await;
        if links >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        count(&t, "SELECT COUNT(*) AS n FROM password_resets").await,
        3,
        "{links}"
    );
    // After the window, again.
    t.clock.advance(chrono::Duration::minutes(16));
    request(&t, &email).await.ok(202);
    replay_verifies(&t).await;
}

/// A browser: cookies kept between requests.
struct Browser<'t> {
    t: &'t TestApp,
    cookies: HashMap<String, String>,
}

struct Page {
    status: u16,
    html: String,
    location: Option<String>,
}

impl Page {
    fn csrf(&self) -> String {
        let key = "name=\"_csrf\" value=\"";
        let at = self.html.find(key).expect("a form") + key.len();
        self.html[at..at + self.html[at..].find('"').unwrap()].to_string()
    }
}

impl<'t> Browser<'t> {
    async fn send(&mut self, req: axum::http::request::Builder, body: Body) -> Page {
        let mut req = req;
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header(header::COOKIE, c.join("; "));
        }
        let resp = self.t.send(req.body(body).unwrap()).await;
        for c in resp.headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (k, v) = c.split(';').next().unwrap().split_once('=').unwrap();
            if c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        Page {
            status: resp.status.as_u16(),
            html: String::from_utf8_lossy(&resp.bytes).into_owned(),
            location: resp.header("location").map(str::to_string),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), Body::empty()).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = fields
            .iter()
            .map(|(k, v)| {
                let enc = |s: &str| -> String {
                    s.bytes()
                        .map(|b| {
                            if b.is_ascii_alphanumeric() {
                                (b as char).to_string()
                            } else {
                                format!("%{b:02X}")
                            }
                        })
                        .collect()
                };
                format!("{}={}", enc(k), enc(v))
            })
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from(body),
        )
        .await
    }
}

async fn the_pages_ask_for_a_link_and_set_the_password(backend: Backend) {
    let smtp = SmtpServer::start();
    let t = mail_app(backend, &smtp).await;
    let email = client(&t, "pages").await;
    let session = t.login(&email, PASSWORD).await;
    let mut b = Browser {
        t: &t,
        cookies: HashMap::new(),
    };

    let login = b.get("/login").await;
    assert_eq!(login.status, 200);
    assert!(
        login.html.contains("href=\"/forgot-password\""),
        "{}",
        login.html
    );

    // Without the CSRF token: refused, nothing sent.
    let page = b.get("/forgot-password").await;
    assert_eq!(page.status, 200);
    let refused = b.post("/forgot-password", &[("email", &email)]).await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    assert_eq!(
        count(&t, "SELECT COUNT(*) AS n FROM password_resets").await,
        0
    );

    let sent = b
        .post(
            "/forgot-password",
            &[("_csrf", &page.csrf()), ("email", &email)],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.html);
    assert!(sent.html.contains("id=\"reset-sent\""), "{}", sent.html);
    let (_, token) = nth_link(&smtp, &email, 1).await;

    let form = b.get(&format!("/reset-password?token={token}")).await;
    assert_eq!(form.status, 200);
    assert!(form.html.contains(&token));
    let weak = b
        .post(
            "/reset-password",
            &[
                ("_csrf", &form.csrf()),
                ("token", &token),
                ("new_password", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status, 422, "{}", weak.html);
    let done = b
        .post(
            "/reset-password",
            &[
                ("_csrf", &form.csrf()),
                ("token", &token),
                ("new_password", "set on the page"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(done.location.as_deref(), Some("/login"));
    t.call("GET", "/api/me", Some(&session), None)
        .await
        .problem(401);
    log_in(&t, &email, "set on the page").await.ok(200);

    // The used link's page says so.
    let again = b
        .post(
            "/reset-password",
            &[
                ("_csrf", &form.csrf()),
                ("token", &token),
                ("new_password", "yet another one"),
            ],
        )
        .await;
    assert_eq!(again.status, 422, "{}", again.html);
    assert!(
        again.html.contains("Ссылка недействительна"),
        "{}",
        again.html
    );
    replay_verifies(&t).await;
}

/// A request kept before its answer whose process died before queuing its mail (as if the
/// task after the answer never ran): the mail sender's next round queues and sends it;
/// one for no account's email is taken with no mail.
async fn a_request_a_crash_left_behind_is_still_mailed(backend: Backend) {
    let smtp = SmtpServer::start();
    let t = mail_app(backend, &smtp).await;
    let email = client(&t, "crashed").await;
    let now = t.clock.now().to_rfc3339();
    for (id, to) in [("left-1", email.as_str()), ("left-2", "nobody@example.com")] {
        t.application
            .app
            .db
            .execute(
                "INSERT INTO password_reset_requests (id, email, requested_at) VALUES ($1, $2, $3)",
                &projections::args![id, to, now.clone()],
            )
            .await
            .expect("a request left behind");
    }
    let (_, token) = nth_link(&smtp, &email, 1).await;
    confirm(&t, &token, "a brand new secret 7").await;
    log_in(&t, &email, "a brand new secret 7").await.ok(200);
    for _ in 0..100 {
        if count(&t, "SELECT COUNT(*) AS n FROM password_reset_requests").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        count(&t, "SELECT COUNT(*) AS n FROM password_reset_requests").await,
        0
    );
    assert!(resets_to(&smtp, "nobody@example.com").is_empty());
    assert_eq!(resets_to(&smtp, &email).len(), 1, "one link, queued once");
    replay_verifies(&t).await;
}
