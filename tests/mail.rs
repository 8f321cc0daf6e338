//! Mail that is never lost, against a real SMTP server on a local port (mailin-embedded):
//! one whole order's messages (recipients, subjects, the attachments' exact bytes,
//! nothing twice); an outage that delays mail and loses none; events processed twice;
//! a service killed between the outbox row and its sending; checkout without
//! registration. On SQLite and PostgreSQL.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use aggregates::Role;
use common::smtp::{Mail, Relay, SmtpServer};
use common::{accepted_order, order_body, Backend, TestApp};
use serde_json::{json, Value};

/// A draft and a final work that are not text (sent base64, compared byte for byte).
const DRAFT: &[u8] = b"%PDF-1.4\n\x00\xff\xfe draft, the first half \x80\x81";
const FINAL: &[u8] = b"%PDF-1.4\n\x00\x01\xfe the whole work \xc3\x28 end";

/// A service whose mail goes to `smtp_port`, its workers polling often.
async fn mail_app(backend: Backend, smtp_port: u16) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{smtp_port}"));
        c.worker_poll = Some(Duration::from_millis(50));
    })
    .await
}

async fn scalar(t: &TestApp, sql: &str) -> i64 {
    t.application
        .app
        .db
        .fetch_one(sql, &[])
        .await
        .expect("a count")
        .int("n")
        .expect("n")
}

/// Waits until the mail worker has read the whole log and nothing is waiting to be sent
/// now; panics after 30 s.
async fn mail_settled(t: &TestApp) {
    let app = &t.application.app;
    for _ in 0..600 {
        let head = projections::feed::committed_head(&app.db).await.unwrap();
        let at = projections::Runner::load_checkpoint(&app.db, "process:mail")
            .await
            .unwrap();
        let due = app
            .db
            .fetch_one(
                "SELECT COUNT(*) AS n FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $1",
                &projections::args![scriptorium::app::outbox::stamp(app.clock.now())],
            )
            .await
            .unwrap()
            .int("n")
            .unwrap();
        if head.is_none_or(|h| at >= h) && due == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows = app
        .db
        .fetch_all(
            "SELECT id, status, attempts, last_error, next_attempt_at, claimed_until FROM mail_outbox ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    let rows: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {:?} {} {:?}",
                r.int("id").unwrap(),
                r.text("status").unwrap(),
                r.int("attempts").unwrap(),
                r.opt_text("last_error").unwrap(),
                r.text("next_attempt_at").unwrap(),
                r.opt_text("claimed_until").unwrap()
            )
        })
        .collect();
    panic!("the outbox did not settle in 30 s:\n{}", rows.join("\n"));
}

async fn email_of(t: &TestApp, id: &str) -> String {
    t.application
        .app
        .user_state(id.parse().unwrap())
        .await
        .unwrap()
        .email
}

fn to(mails: &[Mail], email: &str) -> Vec<Mail> {
    mails
        .iter()
        .filter(|m| m.to == [email.to_string()])
        .cloned()
        .collect()
}

/// The mails whose first attachment is named `name`.
fn attaching<'a>(mails: &'a [Mail], name: &str) -> Vec<&'a Mail> {
    mails
        .iter()
        .filter(|m| m.attachments.first().is_some_and(|(n, _)| n == name))
        .collect()
}

/// Every message once: no two with one Message-ID, as many as the outbox sent.
async fn each_once(t: &TestApp, mails: &[Mail]) {
    let ids: HashSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), mails.len(), "a message was sent twice");
    assert!(mails.iter().all(|m| !m.message_id.is_empty()));
    let sent = scalar(
        t,
        "SELECT COUNT(*) AS n FROM mail_outbox WHERE status = 'sent'",
    )
    .await;
    assert_eq!(sent, mails.len() as i64);
}

async fn pay(t: &TestApp, manager: &str, id: &str, half: &str, amount: i64) {
    t.post(
        &format!("/api/orders/{id}/payments"),
        manager,
        json!({"half": half, "amount": amount, "payment_id": format!("pay-{half}")}),
    )
    .await
    .ok(200);
}

async fn one_whole_order_mails_everyone_once_with_the_works_attached(backend: Backend) {
    let smtp = SmtpServer::start();
    let t = mail_app(backend, smtp.port).await;
    let a = accepted_order(&t).await;
    let id = a.order.clone();
    let number = t.get(&format!("/api/orders/{id}"), &a.client).await.ok(200)["number"]
        .as_i64()
        .unwrap();
    pay(&t, &a.manager, &id, "first", 125000).await;
    t.upload(
        &format!("/api/orders/{id}/draft"),
        &a.author,
        "draft.pdf",
        DRAFT,
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/draft/approve"),
        &a.manager,
        json!({}),
    )
    .await
    .ok(200);
    t.upload(
        &format!("/api/orders/{id}/final"),
        &a.author,
        "final.pdf",
        FINAL,
    )
    .await
    .ok(200);
    let o = t
        .post(
            &format!("/api/orders/{id}/final/approve"),
            &a.manager,
            json!({}),
        )
        .await
        .ok(200);
    assert_eq!(o["status"], "fully_ready");
    mail_settled(&t).await;

    let client = email_of(&t, &a.client_id).await;
    let manager = email_of(&t, &a.manager_id).await;
    let author = email_of(&t, &a.author_id).await;
    // Approved, but the second half is not paid: the full work is not mailed.
    let before: Vec<Mail> = smtp.received().iter().map(Mail::parse).collect();
    assert!(
        before
            .iter()
            .all(|m| m.attachments.iter().all(|(_, b)| b != FINAL)),
        "the final work was mailed before it was paid for"
    );
    assert_eq!(
        scalar(
            &t,
            "SELECT COUNT(*) AS n FROM mail_outbox WHERE kind = 'final'"
        )
        .await,
        0
    );
    pay(&t, &a.manager, &id, "second", 125001).await;
    let o = t.get(&format!("/api/orders/{id}"), &a.client).await.ok(200);
    assert_eq!(o["status"], "delivered");
    mail_settled(&t).await;

    let mails: Vec<Mail> = smtp.received().iter().map(Mail::parse).collect();
    each_once(&t, &mails).await;
    // The sender's connections are pooled: a handful for all of the order's mails.
    assert!(
        smtp.connections() <= scriptorium::email::CONNECTIONS,
        "{} connections for {} mails",
        smtp.connections(),
        mails.len()
    );
    for m in &mails {
        assert!(
            m.subject.contains(&number.to_string()),
            "a subject without the order number: {}",
            m.subject
        );
        assert_eq!(m.to.len(), 1);
        assert!(
            [&client, &manager, &author].contains(&&m.to[0]),
            "mail to a stranger: {:?}",
            m.to
        );
        assert!(
            !m.text().trim().is_empty() && m.html().contains("<p>"),
            "{}",
            m.raw
        );
    }

    let c = to(&mails, &client);
    let drafts = attaching(&c, "draft.pdf");
    assert_eq!(drafts.len(), 1, "one draft mail");
    assert_eq!(
        drafts[0].attachments,
        vec![("draft.pdf".to_string(), DRAFT.to_vec())]
    );
    assert!(
        drafts[0].subject.contains("черновик"),
        "{}",
        drafts[0].subject
    );
    let finals = attaching(&c, "final.pdf");
    assert_eq!(finals.len(), 1, "one final mail");
    assert_eq!(
        finals[0].attachments,
        vec![("final.pdf".to_string(), FINAL.to_vec())]
    );
    assert!(
        finals[0].subject.contains("работа готова"),
        "{}",
        finals[0].subject
    );
    let receipts: Vec<&Mail> = c
        .iter()
        .filter(|m| m.subject.contains("оплата получена"))
        .collect();
    assert_eq!(receipts.len(), 2, "a receipt per half");
    assert!(receipts
        .iter()
        .any(|m| m.text().contains("1\u{a0}250,00\u{a0}₽")));
    assert!(receipts
        .iter()
        .any(|m| m.text().contains("1\u{a0}250,01\u{a0}₽")));
    // A mail per status change: new, offered, awaiting_prepayment, in_progress,
    // draft_review, rework-free half_ready (the draft mail), final_review, fully_ready,
    // delivered (the final mail).
    let statuses = c
        .iter()
        .filter(|m| m.attachments.is_empty() && !m.subject.contains("оплата"))
        .count();
    assert_eq!(
        statuses,
        7,
        "{:#?}",
        c.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );

    let m = to(&mails, &manager);
    assert!(m.iter().all(|m| m.attachments.is_empty()));
    // Routed at placement: every change after it, and the placement.
    assert_eq!(
        m.len(),
        9,
        "{:#?}",
        m.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let au = to(&mails, &author);
    assert_eq!(au.len(), 1);
    assert!(au[0].subject.contains("предложен"), "{}", au[0].subject);

    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

async fn an_smtp_outage_delays_mail_and_loses_none(backend: Backend) {
    let smtp = SmtpServer::start();
    let relay = Relay::new(smtp.port);
    relay.start().await;
    let t = mail_app(backend, relay.port).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let a = accepted_order(&t).await;
    mail_settled(&t).await;
    let delivered_before = smtp.received().len();
    assert!(delivered_before > 0);

    // The server goes away: the order keeps working, its mails wait.
    relay.stop().await;
    pay(&t, &a.manager, &a.order, "first", 125000).await;
    t.upload(
        &format!("/api/orders/{}/draft", a.order),
        &a.author,
        "draft.pdf",
        DRAFT,
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{}/draft/approve", a.order),
        &a.manager,
        json!({}),
    )
    .await
    .ok(200);
    mail_settled(&t).await; // derived, tried once, waiting for their next attempt
    let pending = t
        .get("/api/admin/outbox?status=pending", &admin)
        .await
        .ok(200);
    let pending = pending.as_array().unwrap().clone();
    assert!(pending.len() >= 4, "{pending:#?}");
    for m in &pending {
        assert_eq!(m["status"], "pending");
        assert!(m["attempts"].as_i64().unwrap() >= 1, "{m}");
        assert!(
            m["last_error"].as_str().is_some_and(|e| !e.is_empty()),
            "{m}"
        );
    }
    assert_eq!(smtp.received().len(), delivered_before);

    // Still down after the next attempt: one more attempt each, still pending.
    t.clock.advance(chrono::Duration::seconds(31));
    tokio::time::sleep(Duration::from_millis(300)).await;
    mail_settled(&t).await;
    let again = t
        .get("/api/admin/outbox?status=pending", &admin)
        .await
        .ok(200);
    assert!(again
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["attempts"].as_i64().unwrap() >= 2));

    // Back: everything arrives once the pause is over.
    relay.start().await;
    t.clock.advance(chrono::Duration::minutes(5));
    mail_settled(&t).await;
    let mails: Vec<Mail> = smtp.received().iter().map(Mail::parse).collect();
    each_once(&t, &mails).await;
    assert_eq!(mails.len(), delivered_before + pending.len());
    assert!(mails
        .iter()
        .any(|m| m.attachments == vec![("draft.pdf".to_string(), DRAFT.to_vec())]));
    let sent = t.get("/api/admin/outbox?status=sent", &admin).await.ok(200);
    assert_eq!(sent.as_array().unwrap().len(), mails.len());
    assert!(t
        .get("/api/admin/outbox?status=failed", &admin)
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .is_empty());

    // The admin's controls: a bad status, a mail sent already, an unknown one, a clerk.
    t.get("/api/admin/outbox?status=lost", &admin)
        .await
        .problem(422);
    t.get("/api/admin/outbox?limit=0", &admin)
        .await
        .problem(422);
    let first = sent.as_array().unwrap()[0]["id"].as_i64().unwrap();
    t.post(
        &format!("/api/admin/outbox/{first}/retry"),
        &admin,
        json!({}),
    )
    .await
    .problem(409);
    t.post("/api/admin/outbox/999999/retry", &admin, json!({}))
        .await
        .problem(404);
    t.get("/api/admin/outbox", &a.manager).await.problem(403);

    // A mail failed for good is sent again when an admin asks.
    t.application
        .app
        .db
        .execute(
            "UPDATE mail_outbox SET status = 'failed', attempts = 10, sent_at = NULL WHERE id = $1",
            &projections::args![first],
        )
        .await
        .unwrap();
    let failed = t
        .get("/api/admin/outbox?status=failed", &admin)
        .await
        .ok(200);
    assert_eq!(failed.as_array().unwrap().len(), 1);
    let retried = t
        .post(
            &format!("/api/admin/outbox/{first}/retry"),
            &admin,
            json!({}),
        )
        .await
        .ok(200);
    assert_eq!(retried["status"], "pending");
    assert_eq!(retried["attempts"], 0);
    mail_settled(&t).await;
    assert_eq!(
        smtp.received().len(),
        mails.len() + 1,
        "sent again, on request"
    );
}

async fn events_processed_twice_mail_once(backend: Backend) {
    let smtp = SmtpServer::start();
    let t = mail_app(backend, smtp.port).await;
    let a = accepted_order(&t).await;
    pay(&t, &a.manager, &a.order, "first", 125000).await;
    mail_settled(&t).await;
    let sent = smtp.received().len();
    let rows = scalar(&t, "SELECT COUNT(*) AS n FROM mail_outbox").await;
    assert!(sent > 5);

    // A restart from an older checkpoint: the worker reads every event again.
    t.application
        .app
        .db
        .execute(
            "UPDATE projection_checkpoints SET tx = 0, position = 0 WHERE name = 'process:mail'",
            &[],
        )
        .await
        .unwrap();
    mail_settled(&t).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    mail_settled(&t).await;
    assert_eq!(
        scalar(&t, "SELECT COUNT(*) AS n FROM mail_outbox").await,
        rows
    );
    let mails: Vec<Mail> = smtp.received().iter().map(Mail::parse).collect();
    assert_eq!(mails.len(), sent, "no mail twice");
    each_once(&t, &mails).await;
}

async fn checkout_without_registration(backend: Backend) {
    let smtp = SmtpServer::start();
    let t = mail_app(backend, smtp.port).await;
    let (_, _manager) = t.manager_on_shift("Maria Manager").await;
    let guest = |email: &str| {
        let mut body = order_body();
        body["contact"] = json!({"email": email, "full_name": "Guest Person"});
        body
    };
    let events = t.event_count().await;
    // Bad contact data: 422, and nothing happens.
    for (contact, status) in [
        (json!({"email": "not-an-email", "full_name": "Guest"}), 422),
        (json!({"email": "g@example.com", "full_name": "  "}), 422),
        (
            json!({"email": "g@example.com", "full_name": "Guest", "language": "de"}),
            422,
        ),
        // Not the shape of a contact at all.
        (json!({"email": "g@example.com"}), 400),
    ] {
        let mut body = order_body();
        body["contact"] = contact.clone();
        t.call("POST", "/api/orders", None, Some(body))
            .await
            .problem(status);
    }
    let mut bad_order = guest("g@example.com");
    bad_order["pages"] = json!(0);
    t.call("POST", "/api/orders", None, Some(bad_order))
        .await
        .problem(422);
    t.call("POST", "/api/orders", None, Some(order_body()))
        .await
        .problem(401);
    let (_, client) = t.user(Role::Client, "Logged In").await;
    t.post("/api/orders", &client, guest("h@example.com"))
        .await
        .problem(422);
    assert_eq!(
        t.event_count().await,
        events + 1,
        "only the client's creation"
    );
    assert_eq!(
        scalar(&t, "SELECT COUNT(*) AS n FROM credentials WHERE email IN ('g@example.com', 'h@example.com')").await,
        0
    );

    // A new email: an account, the order, and the credentials by mail.
    let first = t
        .call(
            "POST",
            "/api/orders",
            None,
            Some(guest("New.Guest@Example.com")),
        )
        .await
        .ok(201);
    assert_eq!(first["status"], "new");
    mail_settled(&t).await;
    let mails: Vec<Mail> = smtp.received().iter().map(Mail::parse).collect();
    let to_guest = to(&mails, "new.guest@example.com");
    let creds: Vec<&Mail> = to_guest
        .iter()
        .filter(|m| m.text().contains("Пароль:"))
        .collect();
    assert_eq!(creds.len(), 1, "{to_guest:#?}");
    let number = first["number"].as_i64().unwrap();
    assert!(creds[0].subject.contains(&number.to_string()));
    let password = creds[0]
        .text()
        .lines()
        .find_map(|l| l.strip_prefix("Пароль: ").map(str::to_string))
        .unwrap();
    assert!(creds[0].html().contains(&password));
    let token = t.login("new.guest@example.com", &password).await;
    let me = t.get("/api/me", &token).await.ok(200);
    assert_eq!(me["role"], "client");
    assert_eq!(me["id"], first["client_id"]);
    // Nothing secret in the log or the outbox.
    let payload = if backend == Backend::Postgres {
        "payload::text"
    } else {
        "payload"
    };
    let logged = scalar(
        &t,
        &format!("SELECT COUNT(*) AS n FROM events WHERE {payload} LIKE '%{password}%'"),
    )
    .await;
    assert_eq!(logged, 0);
    assert_eq!(
        scalar(
            &t,
            &format!("SELECT COUNT(*) AS n FROM mail_outbox WHERE params LIKE '%{password}%'")
        )
        .await,
        0
    );

    // The same email again: no new account, no password; a mail to log in.
    let users = scalar(&t, "SELECT COUNT(*) AS n FROM credentials").await;
    let second = t
        .call(
            "POST",
            "/api/orders",
            None,
            Some(guest("new.guest@example.com")),
        )
        .await
        .ok(201);
    assert_eq!(
        scalar(&t, "SELECT COUNT(*) AS n FROM credentials").await,
        users
    );
    assert_eq!(second["client_id"], first["client_id"]);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&first), keys(&second), "the answers look alike");
    t.login("new.guest@example.com", &password).await;
    mail_settled(&t).await;
    let mails: Vec<Mail> = smtp.received().iter().map(Mail::parse).collect();
    let to_guest = to(&mails, "new.guest@example.com");
    let number = second["number"].as_i64().unwrap();
    let notices: Vec<&Mail> = to_guest
        .iter()
        .filter(|m| m.subject.contains("войдите"))
        .collect();
    assert_eq!(notices.len(), 1, "{to_guest:#?}");
    assert!(notices[0].subject.contains(&number.to_string()));
    assert!(!notices[0].raw.contains(&password));
    assert_eq!(
        to_guest
            .iter()
            .filter(|m| m.text().contains("Пароль:"))
            .count(),
        1
    );
    let mine = t.get("/api/orders", &token).await.ok(200);
    assert_eq!(mine["total"], 2);

    // A staff member's email does not check out: they log in.
    let (mid, _) = t.user(Role::Manager, "Staff Member").await;
    let staff = email_of(&t, &mid).await;
    t.call("POST", "/api/orders", None, Some(guest(&staff)))
        .await
        .problem(409);

    // English, when the guest asks for it.
    let mut en = guest("english@example.com");
    en["contact"]["language"] = json!("en");
    t.call("POST", "/api/orders", None, Some(en)).await.ok(201);
    mail_settled(&t).await;
    let mails: Vec<Mail> = smtp.received().iter().map(Mail::parse).collect();
    let english = to(&mails, "english@example.com");
    assert!(
        english.iter().any(|m| m.text().contains("Password: ")),
        "{english:#?}"
    );
    assert!(
        english.iter().all(|m| m.subject.starts_with("Order #")),
        "{english:#?}"
    );

    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

/// (count, fewest attempts, sent) of the outbox.
async fn outbox_state(db: &projections::Db) -> (i64, i64, i64) {
    let r = db
        .fetch_one(
            "SELECT COUNT(*) AS n, COALESCE(MIN(attempts), 0) AS tried, \
             COALESCE(SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END), 0) AS sent FROM mail_outbox",
            &[],
        )
        .await
        .unwrap();
    (
        r.int("n").unwrap(),
        r.int("tried").unwrap(),
        r.int("sent").unwrap(),
    )
}

async fn a_service_killed_before_sending_sends_after_restart_once(backend: Backend) {
    let smtp = SmtpServer::start();
    // Not started: the first service finds the server unreachable.
    let relay = Relay::new(smtp.port);
    let dir = tempfile::tempdir().unwrap();
    let url = common::fresh_database(backend, dir.path()).await;
    let data = dir.path().join("data");
    let smtp_url = format!("smtp://127.0.0.1:{}", relay.port);
    let env = [
        ("SMTP_URL", smtp_url.as_str()),
        ("SCRIPTORIUM_MAIL_RETRY_SECONDS", "1"),
        ("SCRIPTORIUM_WORKER_POLL_MS", "50"),
    ];
    let mut first = common::Server::start_with(&url, &data, "first", &env).await;
    let mut body = order_body();
    body["contact"] = json!({"email": "killed@example.com", "full_name": "Kill Test"});
    // The binary runs on the real clock.
    body["deadline"] = json!((chrono::Utc::now() + chrono::Duration::days(30))
        .date_naive()
        .to_string());
    let (status, answer) = common::http(
        &first.addr,
        "POST",
        "/api/orders",
        None,
        Some(&body.to_string()),
    )
    .await
    .expect("an answer");
    assert_eq!(status, 201, "{answer}");
    let db = scriptorium::db::connect(&url).await.unwrap();
    let mut state = (0, 0, 0);
    for _ in 0..400 {
        state = outbox_state(&db).await;
        if state.0 >= 2 && state.1 >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        state.0 >= 2 && state.1 >= 1,
        "rows written and tried: {state:?}"
    );
    // SIGKILL with the rows written and not sent.
    first.kill();
    assert_eq!(outbox_state(&db).await.2, 0);
    assert!(smtp.received().is_empty());

    relay.start().await;
    let second = common::Server::start_with(&url, &data, "second", &env).await;
    for _ in 0..400 {
        state = outbox_state(&db).await;
        if state.2 == state.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        state.2,
        state.0,
        "every mail sent after the restart: {}",
        second.log_text()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mails: Vec<Mail> = smtp.received().iter().map(Mail::parse).collect();
    assert_eq!(mails.len() as i64, state.0, "each once");
    let ids: HashSet<String> = mails.iter().map(|m| m.message_id.clone()).collect();
    let stored: HashSet<String> = db
        .fetch_all("SELECT message_id FROM mail_outbox", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.text("message_id").unwrap())
        .collect();
    assert_eq!(ids, stored);
    assert!(mails.iter().all(|m| m.to == ["killed@example.com"]));
}

on_both!(
    a_service_killed_before_sending_sends_after_restart_once,
    one_whole_order_mails_everyone_once_with_the_works_attached,
    an_smtp_outage_delays_mail_and_loses_none,
    events_processed_twice_mail_once,
    checkout_without_registration,
);
