//! Who an order is offered to: exactly the eligible authors, drawn weighted by rating from a
//! seeded source; a manager's choice must be eligible too; offers that run out pass on (also
//! after a restart) and the order returns to its manager when nobody is left.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use aggregates::Role;
use common::{default_profile, order_body, Backend, Profile, TestApp};
use serde_json::{json, Value};

on_both!(
    automatic_offers_follow_the_ratings_and_never_reach_an_ineligible_author,
    a_manager_may_offer_only_to_an_eligible_author_and_nobody_eligible_is_a_409,
    expired_and_declined_offers_pass_on_until_the_order_returns_to_its_manager,
    a_pending_offer_expires_and_passes_on_after_a_restart,
    only_the_offered_author_answers_and_an_author_never_sees_the_client,
    two_offers_at_once_never_take_an_author_over_their_limit,
);

fn history(rating: u8) -> Profile {
    Profile {
        rating,
        ..default_profile()
    }
}

async fn place(t: &TestApp, client: &str, manager: &str, subject: &str) -> String {
    let mut body = order_body();
    body["subject"] = json!(subject);
    let id = t.post("/api/orders", client, body).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.put(
        &format!("/api/orders/{id}/price"),
        manager,
        json!({"price": 100000}),
    )
    .await
    .ok(200);
    id
}

async fn offer_to(t: &TestApp, manager: &str, id: &str, author: &str) -> Value {
    t.post(
        &format!("/api/orders/{id}/offer"),
        manager,
        json!({"author_id": author}),
    )
    .await
    .ok(200)
}

async fn order(t: &TestApp, token: &str, id: &str) -> Value {
    t.get(&format!("/api/orders/{id}"), token).await.ok(200)
}

/// Waits (the expiry worker runs every second, and the test may run it too) until the
/// order is no longer offered to `author`.
async fn moves_from(t: &TestApp, token: &str, id: &str, author: &str) -> Value {
    for _ in 0..80 {
        scriptorium::process::offers::expire_offers(&t.application.app)
            .await
            .unwrap();
        let o = order(t, token, id).await;
        if o["offered_to"] != author {
            return o;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the offer to {author} never expired");
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c[key].as_str().unwrap().to_string())
        .collect()
}

fn assert_replay_verifies(t: &TestApp) {
    let out = common::replay(t, true);
    assert!(
        out.status.success(),
        "replay --verify: {}{}",
        common::text(&out.stdout),
        common::text(&out.stderr)
    );
}

async fn automatic_offers_follow_the_ratings_and_never_reach_an_ineligible_author(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let app = &t.application.app;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    // The ineligible: each rated 5, so a slip would show.
    let (decliner, decliner_token) = t.author_with("Dec Liner", history(5)).await;
    let (expirer, _) = t.author_with("Ex Pirer", history(5)).await;
    let (blocked, _) = t.author_with("Blo Cked", history(5)).await;
    let (other, _) = t
        .author_with(
            "Oth Er",
            Profile {
                subjects: vec!["Chemistry"],
                ..history(5)
            },
        )
        .await;
    let (busy, busy_token) = t
        .author_with(
            "Bu Sy",
            Profile {
                max_active_orders: 1,
                ..history(5)
            },
        )
        .await;
    let (unavailable, _) = t
        .author_with(
            "Un Available",
            Profile {
                available: false,
                ..history(5)
            },
        )
        .await;
    t.post(&format!("/api/users/{blocked}/block"), &admin, json!({}))
        .await
        .ok(200);
    // Busy's one active order: one they took.
    let elsewhere = place(&t, &client, &manager, "History").await;
    offer_to(&t, &manager, &elsewhere, &busy).await;
    t.post(
        &format!("/api/orders/{elsewhere}/offer/accept"),
        &busy_token,
        json!({}),
    )
    .await
    .ok(200);

    let id = place(&t, &client, &manager, "History").await;
    offer_to(&t, &manager, &id, &decliner).await;
    t.post(
        &format!("/api/orders/{id}/offer/decline"),
        &decliner_token,
        json!({"reason": "not my period"}),
    )
    .await
    .ok(200);
    offer_to(&t, &manager, &id, &expirer).await;
    t.clock.advance(chrono::Duration::hours(25));
    let o = moves_from(&t, &manager, &id, &expirer).await;
    assert_eq!(o["status"], "new", "nobody else was eligible yet");

    // Now the eligible: rated 1, 2 and 5.
    let (one, _) = t.author_with("One Star", history(1)).await;
    let (two, _) = t.author_with("Two Stars", history(2)).await;
    let (five, _) = t.author_with("Five Stars", history(5)).await;

    let candidates = t
        .get(&format!("/api/orders/{id}/candidates"), &manager)
        .await
        .ok(200);
    let mut want = vec![one.clone(), two.clone(), five.clone()];
    want.sort();
    assert_eq!(ids(&candidates, "author_id"), want, "sorted by id");
    let sum: f64 = candidates
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["probability"].as_f64().unwrap())
        .sum();
    assert!((sum - 1.0).abs() < 1e-9, "{sum}");
    for c in candidates.as_array().unwrap() {
        let rating = c["rating"].as_f64().unwrap();
        let p = c["probability"].as_f64().unwrap();
        assert!((p - rating / 8.0).abs() < 1e-9, "{c}");
    }

    // 8 000 draws through the very function `POST …/offer {}` (and the expiry worker)
    // draws with: the candidate list read from the tables, then one weighted draw from the
    // seeded source. (The offer itself then re-checks the drawn author under their lock.)
    let order_id = id.parse().unwrap();
    let mut counts: HashMap<String, u32> = HashMap::new();
    const DRAWS: u32 = 8_000;
    for _ in 0..DRAWS {
        let c = scriptorium::offers::choose_author(app, order_id)
            .await
            .unwrap()
            .expect("a candidate");
        *counts.entry(c.to_string()).or_default() += 1;
    }
    let mut drawn: Vec<String> = counts.keys().cloned().collect();
    drawn.sort();
    assert_eq!(
        drawn, want,
        "only the three eligible authors are ever drawn"
    );
    for (author, rating) in [(&one, 1.0), (&two, 2.0), (&five, 5.0)] {
        let share = f64::from(counts.get(author).copied().unwrap_or(0)) / f64::from(DRAWS);
        let want = rating / 8.0;
        assert!(
            (share - want).abs() < 0.02,
            "rated {rating}: share {share}, want {want} ± 0.02"
        );
    }

    // Real offers over HTTP: new orders, each offered with `{}`. For them the decliner and
    // the expirer are eligible again (they never saw these orders); the rest never are.
    let never = [&blocked, &other, &busy, &unavailable];
    let mut chosen: HashMap<String, u32> = HashMap::new();
    for _ in 0..40 {
        let order = place(&t, &client, &manager, "History").await;
        let made = t
            .post(&format!("/api/orders/{order}/offer"), &manager, json!({}))
            .await
            .ok(200);
        let to = made["author_id"].as_str().unwrap().to_string();
        assert!(!never.contains(&&to), "offered to an ineligible author");
        *chosen.entry(to).or_default() += 1;
    }
    assert!(chosen.len() >= 3, "{chosen:?}");
    // The first order's automatic offer goes to one of its candidates.
    let made = t
        .post(&format!("/api/orders/{id}/offer"), &manager, json!({}))
        .await
        .ok(200);
    assert!(want.contains(&made["author_id"].as_str().unwrap().to_string()));
    // The authors' list counts each author's active orders.
    let authors = t.get("/api/authors", &manager).await.ok(200);
    let busy_row = authors
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == busy.as_str())
        .unwrap();
    assert_eq!(busy_row["active_orders"], 1);
    assert_eq!(busy_row["max_active_orders"], 1);
    let total: i64 = authors
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["active_orders"].as_i64().unwrap())
        .sum();
    assert_eq!(
        total,
        1 + 40 + 1,
        "every pending offer and accepted order occupies its author"
    );
    assert_replay_verifies(&t);
}

async fn a_manager_may_offer_only_to_an_eligible_author_and_nobody_eligible_is_a_409(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let (_, admin) = t.user(Role::Admin, "Ada Admin").await;
    let (client_id, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (ivan, ivan_token) = t.user(Role::Author, "Ivan Petrov").await;
    let (chemist, _) = t
        .author_with(
            "Chem Ist",
            Profile {
                subjects: vec!["Chemistry"],
                ..history(4)
            },
        )
        .await;
    let (blocked, _) = t.user(Role::Author, "Blo Cked").await;
    let (bare, _) = t.bare_user(Role::Author, "No Profile").await;
    t.post(&format!("/api/users/{blocked}/block"), &admin, json!({}))
        .await
        .ok(200);
    let id = place(&t, &client, &manager, "history").await;
    let before = t.event_count().await;
    for (author, reason) in [
        (&chemist, "does not write on this subject"),
        (&blocked, "blocked"),
        (&bare, "no profile"),
    ] {
        let detail = t
            .post(
                &format!("/api/orders/{id}/offer"),
                &manager,
                json!({"author_id": author}),
            )
            .await
            .problem(409);
        assert!(detail.contains(reason), "{detail}");
    }
    // Not an author at all: 422.
    t.post(
        &format!("/api/orders/{id}/offer"),
        &manager,
        json!({"author_id": client_id}),
    )
    .await
    .problem(422);
    assert_eq!(t.event_count().await, before, "nothing appended");

    // The subject matches whatever its case ("history" for "History").
    offer_to(&t, &manager, &id, &ivan).await;
    t.post(
        &format!("/api/orders/{id}/offer/decline"),
        &ivan_token,
        json!({"reason": "busy"}),
    )
    .await
    .ok(200);
    let detail = t
        .post(
            &format!("/api/orders/{id}/offer"),
            &manager,
            json!({"author_id": ivan}),
        )
        .await
        .problem(409);
    assert!(detail.contains("declined"), "{detail}");
    // Nobody left.
    let candidates = t
        .get(&format!("/api/orders/{id}/candidates"), &manager)
        .await
        .ok(200);
    assert_eq!(candidates, json!([]));
    let detail = t
        .post(&format!("/api/orders/{id}/offer"), &manager, json!({}))
        .await
        .problem(409);
    assert!(detail.contains("no author is eligible"), "{detail}");
    // An order on a subject nobody writes on.
    let astro = place(&t, &client, &manager, "Astrophysics").await;
    t.post(&format!("/api/orders/{astro}/offer"), &manager, json!({}))
        .await
        .problem(409);
    // Subjects compare by their Unicode key, on both backends (SQLite's lower() would not).
    let (russian, _) = t
        .author_with(
            "Рус Ский",
            Profile {
                subjects: vec!["История"],
                ..history(3)
            },
        )
        .await;
    let cyrillic = place(&t, &client, &manager, "  ИСТОРИЯ ").await;
    let candidates = t
        .get(&format!("/api/orders/{cyrillic}/candidates"), &manager)
        .await
        .ok(200);
    assert_eq!(ids(&candidates, "author_id"), vec![russian]);
    // Candidates are the manager's and the admin's to read.
    t.get(&format!("/api/orders/{id}/candidates"), &admin)
        .await
        .ok(200);
    for token in [&client, &ivan_token] {
        t.get(&format!("/api/orders/{id}/candidates"), token)
            .await
            .problem(403);
        t.get(&format!("/api/orders/{id}/offers"), token)
            .await
            .problem(403);
    }
}

async fn expired_and_declined_offers_pass_on_until_the_order_returns_to_its_manager(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let mut tokens = HashMap::new();
    for name in ["Author A", "Author B", "Author C"] {
        let (id, token) = t.user(Role::Author, name).await;
        tokens.insert(id, token);
    }
    let id = place(&t, &client, &manager, "History").await;
    let first = t
        .post(&format!("/api/orders/{id}/offer"), &manager, json!({}))
        .await
        .ok(200)["author_id"]
        .as_str()
        .unwrap()
        .to_string();
    let manager_id = order(&t, &manager, &id).await["manager_id"].clone();

    // The first lets it expire: it passes to a second, by the same draw.
    t.clock.advance(chrono::Duration::hours(25));
    let o = moves_from(&t, &manager, &id, &first).await;
    assert_eq!(o["status"], "offered");
    let second = o["offered_to"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    let queue = t.get("/api/offers", &tokens[&second]).await.ok(200);
    assert_eq!(ids(&queue, "order_id"), vec![id.clone()]);
    assert_eq!(
        t.get("/api/offers", &tokens[&first]).await.ok(200),
        json!([])
    );

    // The second declines: the order is back with its manager, who offers it again.
    t.post(
        &format!("/api/orders/{id}/offer/decline"),
        &tokens[&second],
        json!({"reason": "on holiday"}),
    )
    .await
    .ok(200);
    let third = t
        .post(&format!("/api/orders/{id}/offer"), &manager, json!({}))
        .await
        .ok(200)["author_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(third != first && third != second);

    // The third lets it expire too: nobody is left, the order returns to `new` with its
    // manager.
    t.clock.advance(chrono::Duration::hours(25));
    let o = moves_from(&t, &manager, &id, &third).await;
    assert_eq!(o["status"], "new");
    assert!(o["offered_to"].is_null());
    assert_eq!(o["manager_id"], manager_id);

    // The manager sees why each offer ended.
    let offers = t
        .get(&format!("/api/orders/{id}/offers"), &manager)
        .await
        .ok(200);
    let by: HashMap<String, &Value> = offers
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["author_id"].as_str().unwrap().to_string(), o))
        .collect();
    assert_eq!(by.len(), 3);
    assert_eq!(by[&first]["outcome"], "expired");
    assert_eq!(by[&second]["outcome"], "declined");
    assert_eq!(by[&second]["reason"], "on holiday");
    assert!(by[&second]["answered_at"].is_string());
    assert_eq!(by[&third]["outcome"], "expired");
    assert!(by[&first]["full_name"]
        .as_str()
        .unwrap()
        .starts_with("Author"));
    assert_replay_verifies(&t);
}

async fn a_pending_offer_expires_and_passes_on_after_a_restart(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (a, _) = t.user(Role::Author, "Author A").await;
    let (b, _) = t.user(Role::Author, "Author B").await;
    let id = place(&t, &client, &manager, "History").await;
    offer_to(&t, &manager, &id, &a).await;

    // The service stops with the offer pending and starts again on the same database.
    let url = t.application.app.config.database_url.clone();
    let TestApp {
        application,
        dir,
        backend,
        ..
    } = t;
    application.stop().await;
    let t = TestApp::on(backend, &url, dir).await;
    let o = order(&t, &manager, &id).await;
    assert_eq!(
        o["offered_to"],
        a.as_str(),
        "still pending after the restart"
    );
    t.clock.advance(chrono::Duration::hours(25));
    let o = moves_from(&t, &manager, &id, &a).await;
    assert_eq!(o["status"], "offered");
    assert_eq!(o["offered_to"], b.as_str());
    assert_replay_verifies(&t);
}

async fn only_the_offered_author_answers_and_an_author_never_sees_the_client(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (client_id, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (a, a_token) = t.user(Role::Author, "Author A").await;
    let (_, b_token) = t.user(Role::Author, "Author B").await;
    let id = place(&t, &client, &manager, "History").await;
    offer_to(&t, &manager, &id, &a).await;

    let before = t.event_count().await;
    for path in ["accept", "decline"] {
        let other = t
            .post(
                &format!("/api/orders/{id}/offer/{path}"),
                &b_token,
                json!({}),
            )
            .await;
        assert!(
            matches!(other.status.as_u16(), 404 | 409),
            "another author: {}",
            other.status
        );
        for token in [&manager, &client] {
            t.post(&format!("/api/orders/{id}/offer/{path}"), token, json!({}))
                .await
                .problem(403);
        }
    }
    assert_eq!(t.event_count().await, before, "nothing appended");

    // The author's queue: what they need to decide, never the client.
    let queue = t.get("/api/offers", &a_token).await.ok(200);
    let entry = &queue[0];
    assert_eq!(entry["order_id"], id.as_str());
    assert_eq!(entry["subject"], "History");
    assert_eq!(entry["fee"], 50000);
    assert!(entry["expires_at"].is_string());
    let text = queue.to_string();
    assert!(!text.contains(&client_id), "{text}");
    assert!(!text.contains("Anna"), "{text}");
    for token in [&manager, &client] {
        t.get("/api/offers", token).await.problem(403);
    }

    // Nor anywhere else: the order, the list, the events.
    let assert_no_client = |what: &str, v: &Value| {
        let text = v.to_string();
        assert!(!text.contains(&client_id), "{what}: {text}");
        assert!(!text.contains("Anna"), "{what}: {text}");
    };
    assert_no_client("order", &order(&t, &a_token, &id).await);
    let accepted = t
        .post(
            &format!("/api/orders/{id}/offer/accept"),
            &a_token,
            json!({}),
        )
        .await
        .ok(200);
    assert_no_client("accept's answer", &accepted);
    let list = t.get("/api/orders", &a_token).await.ok(200);
    assert_eq!(list["total"], 1);
    assert_no_client("list", &list);
    let events = t
        .get(&format!("/api/orders/{id}/events"), &a_token)
        .await
        .ok(200);
    assert_eq!(events[0]["type"], "OrderPlaced");
    assert_no_client("events", &events);
    // Staff and the client still see who the client is.
    assert_eq!(
        order(&t, &manager, &id).await["client_id"],
        client_id.as_str()
    );
    assert_eq!(
        order(&t, &client, &id).await["client_id"],
        client_id.as_str()
    );
}

/// An author who may have one active order, offered two orders at the same moment (by name,
/// and by the system's draw where they are the only candidate): one offer is made, the
/// other refused, never both (the author's lock, `offers::lock_author`).
async fn two_offers_at_once_never_take_an_author_over_their_limit(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let (author, _) = t
        .author_with(
            "Only One",
            Profile {
                max_active_orders: 1,
                ..default_profile()
            },
        )
        .await;
    for body in [json!({"author_id": author}), json!({})] {
        let mut ids = Vec::new();
        for _ in 0..4 {
            ids.push(place(&t, &client, &manager, "History").await);
        }
        let paths: Vec<String> = ids
            .iter()
            .map(|id| format!("/api/orders/{id}/offer"))
            .collect();
        let offers = paths
            .iter()
            .map(|path| t.call("POST", path, Some(&manager), Some(body.clone())));
        let answers = futures::future::join_all(offers).await;
        let made: Vec<_> = answers.iter().filter(|a| a.status == 200).collect();
        let all: Vec<_> = answers.iter().map(|a| a.body.to_string()).collect();
        assert_eq!(made.len(), 1, "exactly one offer made with {body}: {all:?}");
        assert!(
            answers.iter().all(|a| a.status == 200 || a.status == 409),
            "the others refused"
        );
        let authors = t.get("/api/authors", &manager).await.ok(200);
        let row = authors
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == author.as_str())
            .unwrap()
            .clone();
        assert_eq!(row["active_orders"], 1, "{row}");
        // The offered order is cancelled: the author is free again for the next round.
        for id in &ids {
            let o = order(&t, &manager, id).await;
            if o["status"] == "offered" {
                t.post(
                    &format!("/api/orders/{id}/cancel"),
                    &manager,
                    json!({"reason": "test"}),
                )
                .await
                .ok(200);
            }
        }
    }
    assert_replay_verifies(&t);
}
