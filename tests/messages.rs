//! Order conversations (issue 15): who reads and writes them, the anti-bypass hold and
//! the manager's approval or rejection, what each side never sees of the other, the
//! order's history, and the digest mailed to each party once (a real SMTP server).
//! On SQLite and PostgreSQL; `replay --verify` afterwards.

mod common;

use std::time::Duration;

use aggregates::Role;
use common::smtp::{Mail, SmtpServer};
use common::{accepted_order, order_body, Accepted, Backend, TestApp};
use serde_json::{json, Value};

fn url(a: &Accepted) -> String {
    format!("/api/orders/{}/messages", a.order)
}

async fn list(t: &TestApp, a: &Accepted, token: &str) -> Vec<Value> {
    t.get(&url(a), token)
        .await
        .ok(200)
        .as_array()
        .expect("an array")
        .clone()
}

fn texts(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

async fn email_of(t: &TestApp, id: &str) -> String {
    t.application
        .app
        .user_state(id.parse().unwrap())
        .await
        .unwrap()
        .email
}

/// The order's events as `token` sees them.
async fn events(t: &TestApp, a: &Accepted, token: &str) -> Vec<Value> {
    t.get(&format!("/api/orders/{}/events", a.order), token)
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .clone()
}

/// Asserts that nothing of the other party's identity is in `body`.
#[track_caller]
fn names_none_of(body: &Value, secrets: &[&str]) {
    let text = body.to_string();
    for s in secrets {
        assert!(!text.contains(s), "{s} in {text}");
    }
}

async fn a_plain_message_reaches_every_party_without_names(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let client_email = email_of(&t, &a.client_id).await;
    let author_email = email_of(&t, &a.author_id).await;
    assert!(list(&t, &a, &a.client).await.is_empty());

    let m = t
        .post(
            &url(&a),
            &a.client,
            json!({"text": "  When is the draft due?  "}),
        )
        .await
        .ok(201);
    assert_eq!(m["text"], "When is the draft due?");
    assert_eq!(
        (&m["from_role"], &m["status"], &m["held"], &m["mine"]),
        (
            &json!("client"),
            &json!("visible"),
            &json!(false),
            &json!(true)
        )
    );
    t.clock.advance(chrono::Duration::minutes(1));
    t.post(&url(&a), &a.author, json!({"text": "On Friday."}))
        .await
        .ok(201);
    t.post(
        &url(&a),
        &a.manager,
        json!({"text": "Noted, thank you both."}),
    )
    .await
    .ok(201);

    for token in [&a.client, &a.author, &a.manager] {
        let l = list(&t, &a, token).await;
        assert_eq!(
            texts(&l),
            [
                "When is the draft due?",
                "On Friday.",
                "Noted, thank you both."
            ]
        );
        let from: Vec<&str> = l.iter().map(|m| m["from_role"].as_str().unwrap()).collect();
        assert_eq!(from, ["client", "author", "manager"]);
        assert!(l.iter().all(|m| m["status"] == "visible"));
    }
    // The author never learns who the client is, nor the client who the author is.
    let to_author = t.get(&url(&a), &a.author).await.ok(200);
    names_none_of(&to_author, &["Anna", &a.client_id, &client_email, "sender"]);
    let to_client = t.get(&url(&a), &a.client).await.ok(200);
    names_none_of(&to_client, &["Ivan", &a.author_id, &author_email, "sender"]);
    // Nor in the order's history.
    let history: Value = events(&t, &a, &a.author).await.into();
    let posted: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "MessagePosted")
        .collect();
    assert_eq!(posted.len(), 3);
    names_none_of(&json!(posted), &[&a.client_id, &client_email, "Anna"]);
    let history = events(&t, &a, &a.client).await;
    let posted: Vec<&Value> = history
        .iter()
        .filter(|e| e["type"] == "MessagePosted")
        .collect();
    names_none_of(&json!(posted), &[&a.author_id, &author_email, "Ivan"]);
    // The company sees who wrote each.
    let l = list(&t, &a, &a.manager).await;
    assert_eq!(l[0]["sender_name"], "Anna Client");
    assert_eq!(l[1]["sender_id"], a.author_id.as_str());
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    assert_eq!(list(&t, &a, &admin).await.len(), 3);
    let (_, auditor) = t.user(Role::Auditor, "Otto Auditor").await;
    assert_eq!(list(&t, &a, &auditor).await.len(), 3);
    // An admin writes for the company.
    let m = t
        .post(&url(&a), &admin, json!({"text": "From the office"}))
        .await
        .ok(201);
    assert_eq!(m["from_role"], "manager");
    // Messages move no status, and the client's history of changes leaves them out.
    let o = t
        .get(&format!("/api/orders/{}", a.order), &a.client)
        .await
        .ok(200);
    assert_eq!(o["status"], "awaiting_prepayment");
    let h = t
        .get(&format!("/api/orders/{}/history", a.order), &a.client)
        .await
        .ok(200);
    assert!(!h.to_string().contains("Message"), "{h}");
}

async fn a_held_message_is_invisible_to_the_other_party_until_approved(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let held = t
        .post(
            &url(&a),
            &a.client,
            json!({"text": "Call me on +7 900 123-45-67, it is quicker"}),
        )
        .await
        .ok(201);
    assert_eq!(
        (&held["held"], &held["status"], &held["held_for"]),
        (&json!(true), &json!("held"), &json!("phone"))
    );
    let id = held["id"].as_str().unwrap().to_string();
    // A page count and a date are not a phone.
    let plain = t
        .post(
            &url(&a),
            &a.client,
            json!({"text": "25 pages by 2026-04-15, please"}),
        )
        .await
        .ok(201);
    assert_eq!(plain["held"], false);

    // The author sees the plain one only; the sender and the manager both, held.
    assert_eq!(
        texts(&list(&t, &a, &a.author).await),
        ["25 pages by 2026-04-15, please"]
    );
    let mine = list(&t, &a, &a.client).await;
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0]["status"], "held");
    let company = list(&t, &a, &a.manager).await;
    assert_eq!(
        (&company[0]["status"], &company[0]["held_for"]),
        (&json!("held"), &json!("phone"))
    );
    // Nor does the author find it in the order's history.
    let h = events(&t, &a, &a.author).await;
    assert!(
        !json!(h).to_string().contains("+7 900"),
        "the held text reached the author: {h:?}"
    );
    let h = events(&t, &a, &a.client).await;
    assert!(json!(h).to_string().contains("+7 900"));

    // The author may not approve it, the client neither; another manager does not see it.
    let approve = format!("{}/{id}/approve", url(&a));
    t.post(&approve, &a.author, json!({})).await.problem(403);
    t.post(&approve, &a.client, json!({})).await.problem(403);
    let (_, other) = t.user(Role::Manager, "Oleg Other").await;
    t.post(&approve, &other, json!({})).await.problem(404);
    // The managers' queue: the order's manager and an admin find it there, nobody else.
    let queue = t.get("/api/messages/held", &a.manager).await.ok(200);
    let queue = queue.as_array().unwrap();
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(
        (
            &queue[0]["id"],
            &queue[0]["order_id"],
            &queue[0]["held_for"]
        ),
        (&json!(id), &json!(a.order), &json!("phone"))
    );
    assert!(queue[0]["number"].as_i64().unwrap() >= 1);
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    assert_eq!(
        t.get("/api/messages/held", &admin).await.ok(200),
        json!(queue)
    );
    assert_eq!(t.get("/api/messages/held", &other).await.ok(200), json!([]));
    t.get("/api/messages/held", &a.client).await.problem(403);
    t.get("/api/messages/held", &a.author).await.problem(403);
    let before = t.event_count().await;
    let m = t.post(&approve, &a.manager, json!({})).await.ok(200);
    assert_eq!(
        (&m["status"], &m["held"]),
        (&json!("visible"), &json!(false))
    );
    assert_eq!(t.event_count().await, before + 1);
    assert_eq!(
        t.get("/api/messages/held", &a.manager).await.ok(200),
        json!([])
    );
    // Once: a second approval is a conflict and appends nothing.
    t.post(&approve, &a.manager, json!({})).await.problem(409);
    assert_eq!(t.event_count().await, before + 1);

    let seen = list(&t, &a, &a.author).await;
    assert_eq!(
        texts(&seen),
        [
            "Call me on +7 900 123-45-67, it is quicker",
            "25 pages by 2026-04-15, please"
        ]
    );
    assert!(seen[0].get("held_for").is_none(), "{:?}", seen[0]);
    // The approval, with its text, is in the author's history now.
    let h = events(&t, &a, &a.author).await;
    let approved = h
        .iter()
        .find(|e| e["type"] == "MessageApproved")
        .expect("the approval");
    assert_eq!(approved["data"]["from"], "client");
    assert!(approved["data"]["text"]
        .as_str()
        .unwrap()
        .contains("+7 900"));
    // The manager's own messages are never held.
    let m = t
        .post(
            &url(&a),
            &a.manager,
            json!({"text": "Our line: 8 800 555-35-35"}),
        )
        .await
        .ok(201);
    assert_eq!(m["held"], false);

    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

async fn a_rejected_message_never_reaches_the_other_party(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    let m = t
        .post(
            &url(&a),
            &a.author,
            json!({"text": "Write to me directly: ivan.petrov@mail.ru"}),
        )
        .await
        .ok(201);
    assert_eq!(m["held_for"], "email");
    let id = m["id"].as_str().unwrap().to_string();
    let reject = format!("{}/{id}/reject", url(&a));
    t.post(&reject, &a.manager, json!({"reason": "  "}))
        .await
        .problem(422);
    t.post(&reject, &a.manager, json!({})).await.problem(422);
    let r = t
        .post(
            &reject,
            &a.manager,
            json!({"reason": "no contacts, please"}),
        )
        .await
        .ok(200);
    assert_eq!(r["status"], "rejected");
    t.post(&reject, &a.manager, json!({"reason": "again"}))
        .await
        .problem(409);
    t.post(&format!("{}/{id}/approve", url(&a)), &a.manager, json!({}))
        .await
        .problem(409);

    assert!(list(&t, &a, &a.client).await.is_empty());
    let h = events(&t, &a, &a.client).await;
    assert!(
        !h.iter()
            .any(|e| e["type"].as_str().is_some_and(|t| t.starts_with("Message"))),
        "{h:?}"
    );
    // Its sender sees it refused, and why.
    let mine = list(&t, &a, &a.author).await;
    assert_eq!(
        (&mine[0]["status"], &mine[0]["reason"]),
        (&json!("rejected"), &json!("no contacts, please"))
    );
    // A plain message is nothing to moderate; an unknown one is not found.
    let plain = t
        .post(&url(&a), &a.author, json!({"text": "Sorry, understood."}))
        .await
        .ok(201);
    let plain_id = plain["id"].as_str().unwrap();
    t.post(
        &format!("{}/{plain_id}/approve", url(&a)),
        &a.manager,
        json!({}),
    )
    .await
    .problem(409);
    t.post(
        &format!("{}/{}/approve", url(&a), uuid::Uuid::new_v4()),
        &a.manager,
        json!({}),
    )
    .await
    .problem(404);
    assert_eq!(
        texts(&list(&t, &a, &a.client).await),
        ["Sorry, understood."]
    );

    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

async fn only_the_orders_parties_reach_its_conversation(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    t.post(&url(&a), &a.client, json!({"text": "hello"}))
        .await
        .ok(201);
    let (_, other_client) = t.user(Role::Client, "Olga Other").await;
    let (_, other_author) = t.user(Role::Author, "Pavel Other").await;
    let (_, other_manager) = t.user(Role::Manager, "Oleg Other").await;
    for token in [&other_client, &other_author, &other_manager] {
        t.get(&url(&a), token).await.problem(404);
        t.post(&url(&a), token, json!({"text": "hi"}))
            .await
            .problem(404);
    }
    // A role with no part in conversations: refused as such.
    let (_, clerk) = t.user(Role::PayoutClerk, "Klara Clerk").await;
    t.get(&url(&a), &clerk).await.problem(403);
    t.post(&url(&a), &clerk, json!({"text": "hi"}))
        .await
        .problem(403);
    let events = t
        .get(&format!("/api/orders/{}/events", a.order), &clerk)
        .await
        .ok(200);
    assert!(!events.to_string().contains("MessagePosted"), "{events}");
    // The auditor reads, and does not write.
    let (_, auditor) = t.user(Role::Auditor, "Otto Auditor").await;
    t.get(&url(&a), &auditor).await.ok(200);
    t.post(&url(&a), &auditor, json!({"text": "hi"}))
        .await
        .problem(403);
    // Unknown order; no token.
    let unknown = format!("/api/orders/{}/messages", uuid::Uuid::new_v4());
    t.get(&unknown, &a.client).await.problem(404);
    t.call("GET", &url(&a), None, None).await.problem(401);

    // An author the order is only offered to: not yet theirs to talk about.
    let (author2_id, author2) = t.user(Role::Author, "Boris Offered").await;
    let o = t.post("/api/orders", &a.client, order_body()).await.ok(201);
    let id = o["id"].as_str().unwrap().to_string();
    let manager = t.wait_routed(&id).await;
    assert_eq!(manager, a.manager_id);
    t.put(
        &format!("/api/orders/{id}/price"),
        &a.manager,
        json!({"price": 100000}),
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/offer"),
        &a.manager,
        json!({"author_id": author2_id}),
    )
    .await
    .ok(200);
    let offered = format!("/api/orders/{id}/messages");
    t.post(
        &offered,
        &a.client,
        json!({"text": "Before anyone took it"}),
    )
    .await
    .ok(201);
    t.get(&format!("/api/orders/{id}"), &author2).await.ok(200);
    // Nor in the order's history, which an offered author reads.
    let history = t
        .get(&format!("/api/orders/{id}/events"), &author2)
        .await
        .ok(200);
    assert!(!history.to_string().contains("Before anyone"), "{history}");
    t.get(&offered, &author2).await.problem(404);
    t.post(&offered, &author2, json!({"text": "hi"}))
        .await
        .problem(404);
    t.post(
        &format!("/api/orders/{id}/offer/accept"),
        &author2,
        json!({}),
    )
    .await
    .ok(200);
    t.post(&offered, &author2, json!({"text": "Taken, thank you"}))
        .await
        .ok(201);
    assert_eq!(
        texts(
            &t.get(&offered, &a.client)
                .await
                .ok(200)
                .as_array()
                .unwrap()
                .clone()
        ),
        ["Before anyone took it", "Taken, thank you"]
    );
}

async fn a_message_is_one_to_4000_characters_and_posted_once_per_key(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let a = accepted_order(&t).await;
    for body in [json!({"text": ""}), json!({"text": " \n\t "}), json!({})] {
        t.post(&url(&a), &a.client, body).await.problem(422);
    }
    t.post(&url(&a), &a.client, json!({"text": "я".repeat(4001)}))
        .await
        .problem(422);
    t.post(&url(&a), &a.client, json!({"text": 5}))
        .await
        .problem(400);
    let full = "я".repeat(4000);
    t.post(&url(&a), &a.client, json!({"text": full}))
        .await
        .ok(201);

    let before = t.event_count().await;
    let key = [("idempotency-key", "message-1")];
    let first = t
        .call_with(
            "POST",
            &url(&a),
            Some(&a.client),
            Some(json!({"text": "Once"})),
            &key,
        )
        .await;
    assert_eq!(first.status, 201);
    let again = t
        .call_with(
            "POST",
            &url(&a),
            Some(&a.client),
            Some(json!({"text": "Once"})),
            &key,
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(t.event_count().await, before + 1);
    assert_eq!(list(&t, &a, &a.author).await.len(), 2);

    // A finished order takes no more messages.
    t.post(
        &format!("/api/orders/{}/cancel", a.order),
        &a.manager,
        json!({"reason": "the client changed their mind"}),
    )
    .await
    .ok(200);
    t.post(&url(&a), &a.client, json!({"text": "wait!"}))
        .await
        .problem(409);
}

/// Waits until the digest has read the whole log and no mail waits to be sent.
async fn digest_settled(t: &TestApp) {
    let app = &t.application.app;
    for _ in 0..600 {
        let head = projections::feed::committed_head(&app.db).await.unwrap();
        let at = projections::Runner::load_checkpoint(&app.db, "process:message-digest")
            .await
            .unwrap();
        let due = app
            .db
            .fetch_one(
                "SELECT COUNT(*) AS n FROM mail_outbox WHERE status = 'pending'",
                &[],
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
    panic!("the digest did not settle in 30 s");
}

fn digests(smtp: &SmtpServer) -> Vec<Mail> {
    smtp.received()
        .iter()
        .map(Mail::parse)
        .filter(|m| m.subject.contains("новые сообщения"))
        .collect()
}

fn to<'a>(mails: &'a [Mail], email: &str) -> Vec<&'a Mail> {
    mails
        .iter()
        .filter(|m| m.to == [email.to_string()])
        .collect()
}

async fn each_party_gets_one_digest_of_several_messages_and_nothing_twice(backend: Backend) {
    let smtp = SmtpServer::start();
    let t = TestApp::spawn_with(backend, |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port));
        c.worker_poll = Some(Duration::from_millis(50));
    })
    .await;
    let a = accepted_order(&t).await;
    let client = email_of(&t, &a.client_id).await;
    let manager = email_of(&t, &a.manager_id).await;
    let author = email_of(&t, &a.author_id).await;
    let number = t
        .get(&format!("/api/orders/{}", a.order), &a.client)
        .await
        .ok(200)["number"]
        .as_i64()
        .unwrap();
    for text in ["First question", "Second question"] {
        t.post(&url(&a), &a.client, json!({"text": text}))
            .await
            .ok(201);
    }
    t.post(&url(&a), &a.author, json!({"text": "An answer"}))
        .await
        .ok(201);
    let held = t
        .post(
            &url(&a),
            &a.client,
            json!({"text": "my mail: anna@example.org"}),
        )
        .await
        .ok(201);
    // Not before the digest's time has come (10 minutes on the service's clock).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(digests(&smtp).is_empty());
    t.clock.advance(chrono::Duration::minutes(11));
    digest_settled(&t).await;

    let mails = digests(&smtp);
    assert_eq!(
        mails.len(),
        3,
        "{:#?}",
        mails.iter().map(|m| &m.to).collect::<Vec<_>>()
    );
    let c = to(&mails, &client);
    let au = to(&mails, &author);
    let m = to(&mails, &manager);
    assert_eq!((c.len(), au.len(), m.len()), (1, 1, 1));
    assert!(
        c[0].subject.contains(&format!("№{number}")),
        "{}",
        c[0].subject
    );
    // The client hears of the author's answer only, the author of the client's two plain
    // questions (not the held one), the manager of all four, the held one as waiting.
    assert!(c[0].text().contains("An answer") && !c[0].text().contains("question"));
    let author_text = au[0].text();
    assert!(author_text.contains("First question") && author_text.contains("Second question"));
    assert!(!author_text.contains("anna@example.org") && !author_text.contains("An answer"));
    let manager_text = m[0].text();
    for s in [
        "First question",
        "Second question",
        "An answer",
        "anna@example.org",
    ] {
        assert!(manager_text.contains(s), "{s} not in {manager_text}");
    }
    assert!(
        manager_text.contains("ждёт вашего одобрения"),
        "{manager_text}"
    );
    // Never the other party's name or address.
    for s in ["Anna Client", &client] {
        assert!(!au[0].raw.contains(s), "{s} in the author's digest");
    }
    for s in ["Ivan Petrov", &author] {
        assert!(!c[0].raw.contains(s), "{s} in the client's digest");
    }
    assert!(au[0].text().contains("Клиент") && c[0].text().contains("Автор"));

    // The digest's round again from the start of the log: nothing is sent twice.
    t.application
        .app
        .db
        .execute(
            "UPDATE projection_checkpoints SET tx = 0, position = 0 WHERE name = 'process:message-digest'",
            &[],
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    digest_settled(&t).await;
    assert_eq!(digests(&smtp).len(), 3, "a digest was sent twice");

    // Approved: the author hears of it in the next digest, the sender not, the manager
    // (who had it as waiting) not again; a manager's message reaches both others; a held
    // message approved before the round reaches the author once, and never the manager.
    let id = held["id"].as_str().unwrap();
    t.post(&format!("{}/{id}/approve", url(&a)), &a.manager, json!({}))
        .await
        .ok(200);
    t.post(&url(&a), &a.manager, json!({"text": "Manager here"}))
        .await
        .ok(201);
    let quick = t
        .post(&url(&a), &a.client, json!({"text": "see anna-notes.ru"}))
        .await
        .ok(201);
    assert_eq!(quick["held"], true);
    let quick_id = quick["id"].as_str().unwrap();
    t.post(
        &format!("{}/{quick_id}/approve", url(&a)),
        &a.manager,
        json!({}),
    )
    .await
    .ok(200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(digests(&smtp).len(), 3, "before its time");
    t.clock.advance(chrono::Duration::minutes(11));
    digest_settled(&t).await;
    let mails = digests(&smtp);
    assert_eq!(
        mails.len(),
        5,
        "{:#?}",
        mails.iter().map(|m| &m.to).collect::<Vec<_>>()
    );
    let au = to(&mails, &author);
    assert_eq!(au.len(), 2);
    let latest = au
        .iter()
        .find(|m| m.text().contains("anna@example.org"))
        .expect("the approved message reached the author");
    let text = latest.text();
    for s in ["Manager here", "see anna-notes.ru"] {
        assert!(text.contains(s), "{s} not in {text}");
    }
    assert_eq!(text.matches("see anna-notes.ru").count(), 1, "{text}");
    assert!(!text.contains("question"), "{text}");
    let c = to(&mails, &client);
    assert_eq!(c.len(), 2);
    assert!(c.iter().any(|m| m.text().contains("Manager here")
        && !m.text().contains("anna-notes")
        && !m.text().contains("anna@example.org")));
    assert_eq!(to(&mails, &manager).len(), 1, "the manager had them all");
    let outbox = t
        .application
        .app
        .db
        .fetch_one(
            "SELECT COUNT(*) AS n FROM mail_outbox WHERE kind = 'messages'",
            &[],
        )
        .await
        .unwrap()
        .int("n")
        .unwrap();
    assert_eq!(outbox, 5);

    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
}

on_both!(
    a_plain_message_reaches_every_party_without_names,
    a_held_message_is_invisible_to_the_other_party_until_approved,
    a_rejected_message_never_reaches_the_other_party,
    only_the_orders_parties_reach_its_conversation,
    a_message_is_one_to_4000_characters_and_posted_once_per_key,
    each_party_gets_one_digest_of_several_messages_and_nothing_twice,
);
