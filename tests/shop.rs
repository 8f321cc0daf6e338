//! The ready-made works shop: staff list and delist works; anyone browses the catalogue
//! with filters and text search, never the file; a client or a guest buys; a purchase is
//! paid in full by hand or by the signed webhook, once (the same payment twice, even at
//! once, records one payment and mails the work once, through a real SMTP server); a
//! wrong amount and a delisted work are refused; a work sells many times; the shop's
//! revenue in the reports; `replay --verify` afterwards. On SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use aggregates::Role;
use axum::body::Body;
use axum::http::Request;
use common::smtp::{Mail, SmtpServer};
use common::{Backend, Resp, TestApp};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

on_both!(
    staff_list_works_and_anyone_browses_them_without_the_file,
    a_client_and_a_guest_buy_and_pay_by_hand_and_by_the_webhook,
    a_purchase_paid_twice_records_one_payment_and_mails_once,
    a_wrong_amount_or_a_payment_id_used_elsewhere_is_a_409,
    a_delisted_work_cannot_be_bought,
    a_work_sells_many_times_and_the_shop_revenue_is_reported,
);

const SECRET: &str = "whsec-shop";
/// A work's file that is not text (sent base64 by mail, compared byte for byte).
const WORK: &[u8] = b"%PDF-1.4\n\x00\xff\xfe the ready-made work \x80 end";

/// A service that verifies the provider's notifications, its mail going to `smtp` when
/// given, its workers polling often.
async fn shop_app(backend: Backend, smtp: Option<u16>) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.payment_webhook_secret = Some(SECRET.into());
        c.smtp_url = smtp.map(|p| format!("smtp://127.0.0.1:{p}"));
        c.worker_poll = Some(Duration::from_millis(50));
    })
    .await
}

/// Lists a work as `multipart/form-data` with these text parts and, when given, a file.
async fn list_with(
    t: &TestApp,
    token: Option<&str>,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Resp {
    let boundary = "shop-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut req = Request::builder()
        .method("POST")
        .uri("/api/ready-works")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        );
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    t.send(req.body(Body::from(body)).unwrap()).await
}

fn fields<'a>(title: &'a str, subject: &'a str, price: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("subject", subject),
        ("work_type", "essay"),
        ("pages", "12"),
        ("price", price),
        ("description", "Реформы и войны, с источниками"),
    ]
}

/// A work listed by `staff`; its id.
async fn listed(t: &TestApp, staff: &str, title: &str, subject: &str, price: i64) -> String {
    let price = price.to_string();
    let w = list_with(
        t,
        Some(staff),
        &fields(title, subject, &price),
        Some(("work.pdf", WORK)),
    )
    .await
    .ok(201);
    w["id"].as_str().unwrap().to_string()
}

async fn browse(t: &TestApp, query: &str) -> Value {
    t.call("GET", &format!("/api/ready-works{query}"), None, None)
        .await
        .ok(200)
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["title"].as_str().unwrap().to_string())
        .collect()
}

/// Hex HMAC-SHA256 of `"<t>.<body>"` under the secret.
fn sign(t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Posts `body` to the webhook, signed now.
async fn deliver(t: &TestApp, body: &Value) -> Resp {
    let ts = t.clock.now().timestamp();
    let header = format!("t={ts},v1={}", sign(ts, &body.to_string()));
    t.call_with(
        "POST",
        "/api/payments/webhook",
        None,
        Some(body.clone()),
        &[("x-signature", &header)],
    )
    .await
}

async fn buy(t: &TestApp, work: &str, client: &str) -> Value {
    t.call(
        "POST",
        &format!("/api/ready-works/{work}/purchase"),
        Some(client),
        None,
    )
    .await
    .ok(201)
}

async fn pay_by_hand(t: &TestApp, staff: &str, purchase: &str, amount: i64, id: &str) -> Resp {
    t.post(
        &format!("/api/purchases/{purchase}/payments"),
        staff,
        json!({"amount": amount, "payment_id": id}),
    )
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

/// Waits until the mail worker has read the whole log and nothing waits to be sent.
async fn mail_settled(t: &TestApp) {
    let app = &t.application.app;
    for _ in 0..600 {
        let head = projections::feed::committed_head(&app.db).await.unwrap();
        let at = projections::Runner::load_checkpoint(&app.db, "process:mail")
            .await
            .unwrap();
        let due = scalar(
            t,
            "SELECT COUNT(*) AS n FROM mail_outbox WHERE status = 'pending'",
        )
        .await;
        if head.is_none_or(|h| at >= h) && due == 0 {
            // The SMTP server has taken what was marked sent.
            tokio::time::sleep(Duration::from_millis(100)).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox did not settle in 30 s");
}

async fn email_of(t: &TestApp, id: &str) -> String {
    t.application
        .app
        .user_state(id.parse().unwrap())
        .await
        .unwrap()
        .email
}

/// The mails to `email` that carry the work.
fn works_to(mails: &[Mail], email: &str) -> Vec<Mail> {
    mails
        .iter()
        .filter(|m| m.to == [email.to_string()] && !m.attachments.is_empty())
        .cloned()
        .collect()
}

fn replay_verifies(t: &TestApp) {
    let out = common::replay(t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

async fn staff_list_works_and_anyone_browses_them_without_the_file(backend: Backend) {
    let t = shop_app(backend, None).await;
    let (_, manager) = t.user(Role::Manager, "Maria Manager").await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;

    // Who may not, and what is malformed: nothing is listed.
    let good = fields("Пётр I", "История", "150000");
    let file = Some(("work.pdf", WORK));
    list_with(&t, None, &good, file).await.problem(401);
    list_with(&t, Some(&client), &good, file).await.problem(403);
    let events = t.event_count().await;
    for (name, value, status) in [
        ("pages", "0", 422),
        ("pages", "1001", 422),
        ("price", "0", 422),
        ("title", "  ", 422),
        ("pages", "twelve", 400),
    ] {
        let mut f = good.clone();
        for (n, v) in f.iter_mut() {
            if *n == name {
                *v = value;
            }
        }
        list_with(&t, Some(&manager), &f, file)
            .await
            .problem(status);
    }
    list_with(&t, Some(&manager), &good, None)
        .await
        .problem(400);
    list_with(&t, Some(&manager), &good[..2], file)
        .await
        .problem(400);
    list_with(&t, Some(&manager), &good, Some(("empty.pdf", b"")))
        .await
        .problem(422);
    assert_eq!(t.event_count().await, events, "nothing listed");

    // A manager and an admin list; the staff answer names the file, never its hash.
    let w = list_with(&t, Some(&manager), &good, file).await.ok(201);
    assert_eq!(w["title"], "Пётр I");
    assert_eq!(
        (w["price"].as_i64(), w["currency"].as_str()),
        (Some(150_000), Some("RUB"))
    );
    assert_eq!(w["on_sale"], true);
    assert_eq!(w["file"]["name"], "work.pdf");
    assert_eq!(w["file"]["size"], WORK.len());
    assert_eq!(w["sales"], 0);
    let peter = w["id"].as_str().unwrap().to_string();
    listed(&t, &admin, "Cell biology basics", "Biology", 90_000).await;
    let mut report = fields("Annual report", "Economics", "300000");
    report[2] = ("work_type", "report");
    list_with(&t, Some(&admin), &report, file).await.ok(201);

    // Anyone browses, newest first, with filters and the text search.
    let all = browse(&t, "").await;
    assert_eq!(all["total"], 3);
    assert_eq!(
        titles(&all),
        ["Annual report", "Cell biology basics", "Пётр I"]
    );
    let text = all.to_string();
    let sha = scriptorium::files::sha256_hex(WORK);
    for secret in [sha.as_str(), "work.pdf", "file", "sales", "files/"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(
        titles(&browse(&t, "?subject=Biology").await),
        ["Cell biology basics"]
    );
    assert_eq!(
        titles(&browse(&t, "?work_type=report").await),
        ["Annual report"]
    );
    assert_eq!(
        titles(&browse(&t, "?min_price=100000&max_price=200000").await),
        ["Пётр I"]
    );
    assert_eq!(browse(&t, "?max_price=89999").await["total"], 0);
    // Any case, Cyrillic too, every word, in the title, subject or description.
    assert_eq!(
        titles(&browse(&t, "?q=%D0%9F%D0%81%D0%A2%D0%A0").await),
        ["Пётр I"]
    );
    assert_eq!(
        titles(&browse(&t, "?q=CELL%20basics").await),
        ["Cell biology basics"]
    );
    assert_eq!(
        browse(&t, "?q=%D1%80%D0%B5%D1%84%D0%BE%D1%80%D0%BC%D1%8B").await["total"],
        3
    );
    assert_eq!(browse(&t, "?q=cell%20peter").await["total"], 0);
    assert_eq!(browse(&t, "?q=100%25").await["total"], 0);
    let page = browse(&t, "?per_page=2&page=2").await;
    assert_eq!((page["total"].as_i64(), titles(&page).len()), (Some(3), 1));
    for bad in ["?per_page=0", "?page=x", "?min_price=-1", "?max_price=a"] {
        t.call("GET", &format!("/api/ready-works{bad}"), None, None)
            .await
            .problem(422);
    }
    t.call(
        "GET",
        "/api/ready-works?include_delisted=true",
        Some(&client),
        None,
    )
    .await
    .problem(403);
    // Staff see the file's name and the sales in the list too.
    let staff = t.get("/api/ready-works", &manager).await.ok(200);
    assert_eq!(staff["items"][2]["file"]["name"], "work.pdf");

    // One work, for anyone; never the file.
    let one = t
        .call("GET", &format!("/api/ready-works/{peter}"), None, None)
        .await
        .ok(200);
    assert_eq!(one["title"], "Пётр I");
    assert!(one.get("file").is_none() && !one.to_string().contains(&sha));
    t.call(
        "GET",
        &format!("/api/ready-works/{}", uuid::Uuid::new_v4()),
        None,
        None,
    )
    .await
    .problem(404);
    // The file: refused to the public and to clients, staff download it.
    let file_path = format!("/api/ready-works/{peter}/file");
    t.call("GET", &file_path, None, None).await.problem(401);
    t.get(&file_path, &client).await.problem(403);
    let f = t.get(&file_path, &manager).await;
    assert_eq!(f.status, 200);
    assert_eq!(f.bytes, WORK);
    assert!(f
        .header("content-disposition")
        .is_some_and(|d| d.contains("work.pdf")));
    replay_verifies(&t);
}

async fn a_client_and_a_guest_buy_and_pay_by_hand_and_by_the_webhook(backend: Backend) {
    let smtp = SmtpServer::start();
    let t = shop_app(backend, Some(smtp.port)).await;
    let (_, manager) = t.user(Role::Manager, "Maria Manager").await;
    let (client_id, client) = t.user(Role::Client, "Anna Client").await;
    let (_, other) = t.user(Role::Client, "Other Client").await;
    let (_, author) = t.user(Role::Author, "Ivan Author").await;
    let work = listed(&t, &manager, "Пётр I", "История", 150_000).await;
    let path = format!("/api/ready-works/{work}/purchase");

    // Who may not: no token and no contact, staff and authors by role.
    t.call("POST", &path, None, None).await.problem(401);
    t.post(&path, &manager, json!({})).await.problem(403);
    t.post(&path, &author, json!({})).await.problem(403);
    t.post(
        &path,
        &client,
        json!({"contact": {"email": "x@example.com", "full_name": "X"}}),
    )
    .await
    .problem(422);
    t.call(
        "POST",
        &format!("/api/ready-works/{}/purchase", uuid::Uuid::new_v4()),
        Some(&client),
        None,
    )
    .await
    .problem(404);

    // A logged-in client buys: a purchase to pay, theirs alone.
    let mine = buy(&t, &work, &client).await;
    assert_eq!(mine["status"], "awaiting_payment");
    assert_eq!(
        (mine["price"].as_i64(), mine["paid"].as_i64()),
        (Some(150_000), Some(0))
    );
    assert_eq!(mine["buyer_id"], client_id.as_str());
    assert_eq!(mine["title"], "Пётр I");
    let mine_id = mine["id"].as_str().unwrap().to_string();
    t.get(&format!("/api/purchases/{mine_id}"), &client)
        .await
        .ok(200);
    t.get(&format!("/api/purchases/{mine_id}"), &other)
        .await
        .problem(404);
    t.get(&format!("/api/purchases/{mine_id}"), &author)
        .await
        .problem(403);
    // Not paid: no file yet.
    t.get(&format!("/api/purchases/{mine_id}/file"), &client)
        .await
        .problem(409);
    // The client pays nothing themself: a payment by hand is staff's.
    pay_by_hand(&t, &client, &mine_id, 150_000, "bank-1")
        .await
        .problem(403);
    let paid = pay_by_hand(&t, &manager, &mine_id, 150_000, "bank-1")
        .await
        .ok(200);
    assert_eq!(paid["status"], "paid");
    assert_eq!(
        (paid["paid"].as_i64(), paid["payment_id"].as_str()),
        (Some(150_000), Some("bank-1"))
    );
    assert!(paid["paid_at"].is_string());
    let f = t
        .get(&format!("/api/purchases/{mine_id}/file"), &client)
        .await;
    assert_eq!((f.status.as_u16(), f.bytes.as_slice()), (200, WORK));

    // A guest buys with a contact, as at checkout; bad contact data creates nobody.
    let events = t.event_count().await;
    t.call(
        "POST",
        &path,
        None,
        Some(json!({"contact": {"email": "nope", "full_name": "G"}})),
    )
    .await
    .problem(422);
    assert_eq!(t.event_count().await, events);
    let guest = t
        .call(
            "POST",
            &path,
            None,
            Some(json!({"contact": {"email": "Guest.Buyer@Example.com", "full_name": "Guest Buyer"}})),
        )
        .await
        .ok(201);
    let guest_id = guest["id"].as_str().unwrap().to_string();
    assert_eq!(guest["status"], "awaiting_payment");
    // The provider notifies its payment: by purchase_id, no half.
    let body = json!({"payment_id": "prov-77", "purchase_id": guest_id, "amount": 150_000});
    let r = deliver(&t, &body).await.ok(200);
    assert_eq!(
        (r["recorded"].as_bool(), r["purchase_id"].as_str()),
        (Some(true), Some(guest_id.as_str()))
    );
    // Unsigned: 401.
    t.call("POST", "/api/payments/webhook", None, Some(body.clone()))
        .await
        .problem(401);
    let after = t
        .get(&format!("/api/purchases/{guest_id}"), &manager)
        .await
        .ok(200);
    assert_eq!(after["status"], "paid");

    // Mail: each buyer the work once, byte for byte; the guest their credentials.
    mail_settled(&t).await;
    let mails: Vec<Mail> = smtp.received().iter().map(Mail::parse).collect();
    let client_email = email_of(&t, &client_id).await;
    let to_client = works_to(&mails, &client_email);
    assert_eq!(to_client.len(), 1, "{mails:#?}");
    assert_eq!(
        to_client[0].attachments,
        [("work.pdf".to_string(), WORK.to_vec())]
    );
    assert!(
        to_client[0].subject.contains("Пётр I"),
        "{}",
        to_client[0].subject
    );
    let to_guest: Vec<&Mail> = mails
        .iter()
        .filter(|m| m.to == ["guest.buyer@example.com"])
        .collect();
    assert_eq!(to_guest.len(), 2, "{to_guest:#?}");
    assert_eq!(works_to(&mails, "guest.buyer@example.com").len(), 1);
    let creds: Vec<&&Mail> = to_guest
        .iter()
        .filter(|m| m.text().contains("Пароль:"))
        .collect();
    assert_eq!(creds.len(), 1);
    assert!(creds[0].text().contains("Пётр I"));
    let password = creds[0]
        .text()
        .lines()
        .find_map(|l| l.strip_prefix("Пароль: ").map(str::to_string))
        .unwrap();
    // The guest logs in and finds their purchase, paid.
    let token = t.login("guest.buyer@example.com", &password).await;
    let theirs = t.get("/api/purchases", &token).await.ok(200);
    assert_eq!(theirs["total"], 1);
    assert_eq!(theirs["items"][0]["id"], guest_id.as_str());
    assert_eq!(theirs["items"][0]["status"], "paid");
    // Staff see every purchase.
    assert_eq!(t.get("/api/purchases", &manager).await.ok(200)["total"], 2);

    // The same guest again: no second account, a notice to log in.
    t.call(
        "POST",
        &path,
        None,
        Some(json!({"contact": {"email": "guest.buyer@example.com", "full_name": "Guest Buyer"}})),
    )
    .await
    .ok(201);
    mail_settled(&t).await;
    let mails: Vec<Mail> = smtp.received().iter().map(Mail::parse).collect();
    let to_guest: Vec<&Mail> = mails
        .iter()
        .filter(|m| m.to == ["guest.buyer@example.com"])
        .collect();
    assert_eq!(to_guest.len(), 3);
    assert_eq!(
        to_guest
            .iter()
            .filter(|m| m.text().contains("Пароль:"))
            .count(),
        1
    );
    assert_eq!(
        scalar(
            &t,
            "SELECT COUNT(*) AS n FROM credentials WHERE email = 'guest.buyer@example.com'"
        )
        .await,
        1
    );
    replay_verifies(&t);
}

async fn a_purchase_paid_twice_records_one_payment_and_mails_once(backend: Backend) {
    let smtp = SmtpServer::start();
    let t = shop_app(backend, Some(smtp.port)).await;
    let (_, manager) = t.user(Role::Manager, "Maria Manager").await;
    let (_, clerk) = t.user(Role::PayoutClerk, "Petr Clerk").await;
    let (client_id, client) = t.user(Role::Client, "Anna Client").await;
    let work = listed(&t, &manager, "Пётр I", "История", 150_000).await;

    // By hand, twice at once, and again: one payment.
    let by_hand = buy(&t, &work, &client).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let events = t.event_count().await;
    let (a, b) = tokio::join!(
        pay_by_hand(&t, &manager, &by_hand, 150_000, "twice-1"),
        pay_by_hand(&t, &clerk, &by_hand, 150_000, "twice-1"),
    );
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (200, 200));
    pay_by_hand(&t, &manager, &by_hand, 150_000, "twice-1")
        .await
        .ok(200);
    assert_eq!(t.event_count().await, events + 1, "one PurchasePaid");

    // By the webhook, twice at once, and again: one payment, the repeats say so.
    let notified = buy(&t, &work, &client).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"payment_id": "twice-2", "purchase_id": notified, "amount": 150_000});
    let events = t.event_count().await;
    let (a, b) = tokio::join!(deliver(&t, &body), deliver(&t, &body));
    let (a, b) = (a.ok(200), b.ok(200));
    assert_eq!(
        [
            a["recorded"].as_bool().unwrap(),
            b["recorded"].as_bool().unwrap()
        ]
        .iter()
        .filter(|r| **r)
        .count(),
        1,
        "{a} {b}"
    );
    assert_eq!(deliver(&t, &body).await.ok(200)["recorded"], false);
    assert_eq!(t.event_count().await, events + 1, "one PurchasePaid");
    t.application.app.fence().await;
    assert_eq!(
        scalar(
            &t,
            "SELECT COUNT(*) AS n FROM payments WHERE payment_id IN ('twice-1', 'twice-2')"
        )
        .await,
        2
    );

    // One mail per purchase, whatever the deliveries.
    mail_settled(&t).await;
    let mails: Vec<Mail> = smtp.received().iter().map(Mail::parse).collect();
    let to_client = works_to(&mails, &email_of(&t, &client_id).await);
    assert_eq!(to_client.len(), 2, "{to_client:#?}");
    assert_ne!(to_client[0].message_id, to_client[1].message_id);
    assert_eq!(
        scalar(
            &t,
            "SELECT COUNT(*) AS n FROM mail_outbox WHERE kind = 'purchase'"
        )
        .await,
        2
    );
    replay_verifies(&t);
}

async fn a_wrong_amount_or_a_payment_id_used_elsewhere_is_a_409(backend: Backend) {
    let t = shop_app(backend, None).await;
    let (_, manager) = t.user(Role::Manager, "Maria Manager").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let work = listed(&t, &manager, "Пётр I", "История", 150_000).await;
    let p = buy(&t, &work, &client).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let q = buy(&t, &work, &client).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let events = t.event_count().await;
    // A wrong amount, by hand and notified: 409, nothing recorded.
    pay_by_hand(&t, &manager, &p, 149_999, "w-1")
        .await
        .problem(409);
    deliver(
        &t,
        &json!({"payment_id": "w-1", "purchase_id": p, "amount": 150_001}),
    )
    .await
    .problem(409);
    // Out of range: 422; unknown purchase: 404.
    pay_by_hand(&t, &manager, &p, 0, "w-1").await.problem(422);
    pay_by_hand(&t, &manager, &p, 150_000, " ")
        .await
        .problem(422);
    pay_by_hand(
        &t,
        &manager,
        &uuid::Uuid::new_v4().to_string(),
        150_000,
        "w-1",
    )
    .await
    .problem(404);
    assert_eq!(t.event_count().await, events);
    // Paid; another id for it then is a 409; its id for another purchase too.
    pay_by_hand(&t, &manager, &p, 150_000, "w-1").await.ok(200);
    pay_by_hand(&t, &manager, &p, 150_000, "w-2")
        .await
        .problem(409);
    t.application.app.fence().await;
    let detail = pay_by_hand(&t, &manager, &q, 150_000, "w-1")
        .await
        .problem(409);
    assert!(detail.contains("already paid"), "{detail}");
    // And an order's half cannot be paid with a purchase's payment id.
    let a = common::accepted_order(&t).await;
    let detail = t
        .post(
            &format!("/api/orders/{}/payments", a.order),
            &a.manager,
            json!({"half": "first", "amount": 125_000, "payment_id": "w-1"}),
        )
        .await
        .problem(409);
    assert!(detail.contains("purchase"), "{detail}");
    replay_verifies(&t);
}

async fn a_delisted_work_cannot_be_bought(backend: Backend) {
    let t = shop_app(backend, None).await;
    let (_, manager) = t.user(Role::Manager, "Maria Manager").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let work = listed(&t, &manager, "Пётр I", "История", 150_000).await;
    let before = buy(&t, &work, &client).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let delist = format!("/api/ready-works/{work}/delist");
    t.post(&delist, &client, json!({"reason": "x"}))
        .await
        .problem(403);
    t.post(&delist, &manager, json!({"reason": " "}))
        .await
        .problem(422);
    t.post(
        &format!("/api/ready-works/{}/delist", uuid::Uuid::new_v4()),
        &manager,
        json!({"reason": "x"}),
    )
    .await
    .problem(404);
    let w = t
        .post(&delist, &manager, json!({"reason": "plagiarism"}))
        .await
        .ok(200);
    assert_eq!(w["on_sale"], false);
    t.post(&delist, &manager, json!({"reason": "again"}))
        .await
        .problem(409);

    // Not bought any more, by a client or a guest, and nobody is created for it.
    let events = t.event_count().await;
    let path = format!("/api/ready-works/{work}/purchase");
    t.post(&path, &client, json!({})).await.problem(409);
    t.call(
        "POST",
        &path,
        None,
        Some(json!({"contact": {"email": "late@example.com", "full_name": "Late Guest"}})),
    )
    .await
    .problem(409);
    assert_eq!(t.event_count().await, events);
    // Gone from the catalogue; still readable, off sale; staff can list it.
    assert_eq!(browse(&t, "").await["total"], 0);
    let one = t
        .call("GET", &format!("/api/ready-works/{work}"), None, None)
        .await
        .ok(200);
    assert_eq!(one["on_sale"], false);
    let staff = t
        .get("/api/ready-works?include_delisted=true", &manager)
        .await
        .ok(200);
    assert_eq!(
        (
            staff["total"].as_i64(),
            staff["items"][0]["on_sale"].as_bool()
        ),
        (Some(1), Some(false))
    );
    // A purchase made before stays payable.
    pay_by_hand(&t, &manager, &before, 150_000, "before-1")
        .await
        .ok(200);
    replay_verifies(&t);
}

async fn a_work_sells_many_times_and_the_shop_revenue_is_reported(backend: Backend) {
    let t = shop_app(backend, None).await;
    let (_, manager) = t.user(Role::Manager, "Maria Manager").await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (_, anna) = t.user(Role::Client, "Anna Client").await;
    let (_, boris) = t.user(Role::Client, "Boris Client").await;
    let work = listed(&t, &manager, "Пётр I", "История", 150_000).await;
    let a = buy(&t, &work, &anna).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = buy(&t, &work, &boris).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let unpaid = buy(&t, &work, &anna).await;
    assert_ne!(a, b);
    pay_by_hand(&t, &manager, &a, 150_000, "sale-1")
        .await
        .ok(200);
    deliver(
        &t,
        &json!({"payment_id": "sale-2", "purchase_id": b, "amount": 150_000}),
    )
    .await
    .ok(200);
    // The next day, a third sale.
    t.clock.advance(chrono::TimeDelta::days(1));
    let c = buy(&t, &work, &boris).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    pay_by_hand(&t, &manager, &c, 150_000, "sale-3")
        .await
        .ok(200);

    let w = t
        .get(&format!("/api/ready-works/{work}"), &manager)
        .await
        .ok(200);
    assert_eq!(w["sales"], 3);
    assert_eq!(t.get("/api/purchases", &anna).await.ok(200)["total"], 2);
    assert_eq!(unpaid["status"], "awaiting_payment");

    let s = t.get("/api/reports/summary", &admin).await.ok(200);
    assert_eq!(s["shop_revenue"], 450_000);
    assert_eq!(s["shop_sales"], 3);
    assert_eq!(s["revenue"], 0, "revenue stays the orders'");
    let day = t
        .get("/api/reports/summary?from=2026-03-02&to=2026-03-02", &admin)
        .await
        .ok(200);
    assert_eq!(day["shop_revenue"], 300_000);
    let daily = t
        .get("/api/reports/daily?from=2026-03-01&to=2026-03-03", &admin)
        .await
        .ok(200);
    let shop: Vec<i64> = daily
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["shop_revenue"].as_i64().unwrap())
        .collect();
    assert_eq!(shop, [0, 300_000, 150_000]);
    replay_verifies(&t);
    // The works' and purchases' streams are sealed into their hash chains like any other.
    let out = common::audit_verify(&t);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}
