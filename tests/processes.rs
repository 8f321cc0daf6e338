//! Real service processes: killed with SIGKILL in the middle of a load, and two instances
//! sharing one PostgreSQL with one projection leader at a time.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{cli, fresh_database, http, Backend, Server};
use serde_json::{json, Value};

on_both!(a_sigkill_during_a_load_loses_no_acknowledged_command);

/// An order due two months from the real today (these servers run on the system clock).
fn order_body() -> Value {
    let mut body = common::order_body();
    body["deadline"] =
        json!((chrono::Utc::now().date_naive() + chrono::Duration::days(60)).to_string());
    body
}

async fn login(addr: &str, email: &str) -> String {
    let body = json!({"email": email, "password": "long enough pw"}).to_string();
    let (status, answer) = http(addr, "POST", "/api/auth/login", None, Some(&body))
        .await
        .expect("login answers");
    assert_eq!(status, 200, "{answer}");
    let v: Value = serde_json::from_str(&answer).unwrap();
    v["token"].as_str().unwrap().to_string()
}

fn add_users(url: &str, dir: &std::path::Path) -> String {
    for (email, role) in [
        ("c@example.com", "client"),
        ("m@example.com", "manager"),
        ("b@example.com", "author"),
    ] {
        cli(
            url,
            dir,
            &[
                "user",
                "add",
                "--email",
                email,
                "--name",
                role,
                "--role",
                role,
                "--password",
                "long enough pw",
            ],
        );
    }
    let out = cli(
        url,
        dir,
        &[
            "user",
            "add",
            "--email",
            "a@example.com",
            "--name",
            "Author A",
            "--role",
            "author",
            "--password",
            "long enough pw",
        ],
    );
    out.split("with id ").nth(1).unwrap().trim().to_string()
}

async fn post(addr: &str, token: &str, path: &str, body: Value) -> Option<(u16, Value)> {
    let (s, b) = http(addr, "POST", path, Some(token), Some(&body.to_string())).await?;
    Some((s, serde_json::from_str(&b).unwrap_or(Value::Null)))
}

async fn put(addr: &str, token: &str, path: &str, body: Value) -> Option<(u16, Value)> {
    let (s, b) = http(addr, "PUT", path, Some(token), Some(&body.to_string())).await?;
    Some((s, serde_json::from_str(&b).unwrap_or(Value::Null)))
}

/// Each acknowledged (2xx) command: order id → the event types it must have produced.
type Acks = Arc<Mutex<HashMap<String, Vec<&'static str>>>>;

/// One virtual client: places orders and walks each through price, offer and (unless
/// `accept` is false, leaving the offer to expire) accept, recording every command that
/// got a 2xx, until the server stops answering.
async fn worker(
    addr: String,
    client: String,
    manager: String,
    author: String,
    author_id: String,
    accept: bool,
    acks: Acks,
) {
    loop {
        let Some((201, o)) = post(&addr, &client, "/api/orders", order_body()).await else {
            return;
        };
        let id = o["id"].as_str().unwrap().to_string();
        acks.lock().unwrap().insert(id.clone(), vec!["OrderPlaced"]);
        let ack = |ev: &'static str| acks.lock().unwrap().get_mut(&id).unwrap().push(ev);
        match put(
            &addr,
            &manager,
            &format!("/api/orders/{id}/price"),
            json!({"price": 200000}),
        )
        .await
        {
            Some((200, _)) => ack("PriceSet"),
            _ => return,
        }
        match post(
            &addr,
            &manager,
            &format!("/api/orders/{id}/offer"),
            json!({"author_id": author_id}),
        )
        .await
        {
            Some((200, _)) => ack("AuthorOffered"),
            _ => return,
        }
        if !accept {
            continue;
        }
        match post(
            &addr,
            &author,
            &format!("/api/orders/{id}/offer/accept"),
            json!({}),
        )
        .await
        {
            Some((200, _)) => ack("OfferAccepted"),
            _ => return,
        }
    }
}

async fn a_sigkill_during_a_load_loses_no_acknowledged_command(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(backend, dir.path()).await;
    let data = dir.path().join("data");
    let author_id = add_users(&url, &data);
    // Offers run out after a second: the offer process manager works during the load.
    let ttl = [("SCRIPTORIUM_OFFER_TTL_SECONDS", "1")];
    let mut server = Server::start_with(&url, &data, "first", &ttl).await;
    let addr = server.addr.clone();
    let (client, manager, author) = (
        login(&addr, "c@example.com").await,
        login(&addr, "m@example.com").await,
        login(&addr, "a@example.com").await,
    );
    let acks: Acks = Arc::default();
    let workers: Vec<_> = (0..4)
        .map(|i| {
            tokio::spawn(worker(
                addr.clone(),
                client.clone(),
                manager.clone(),
                author.clone(),
                author_id.clone(),
                i % 2 == 0,
                acks.clone(),
            ))
        })
        .collect();
    // Let the load run, then kill the service mid-flight.
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if acks.lock().unwrap().values().map(Vec::len).sum::<usize>() >= 40 {
            break;
        }
    }
    server.kill();
    for w in workers {
        w.await.unwrap();
    }
    let acks = acks.lock().unwrap().clone();
    let acknowledged: usize = acks.values().map(Vec::len).sum();
    assert!(
        acknowledged >= 10,
        "the load ran: {acknowledged} commands acknowledged"
    );

    // Restart: every acknowledged command has its events.
    let server = Server::start_with(&url, &data, "second", &ttl).await;
    // Let the offer process manager run a few rounds after the restart.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let manager = login(&server.addr, "m@example.com").await;
    let mut expiries = 0;
    for (id, expected) in &acks {
        let (status, body) = http(
            &server.addr,
            "GET",
            &format!("/api/orders/{id}/events"),
            Some(&manager),
            None,
        )
        .await
        .expect("events answer");
        assert_eq!(status, 200, "{body}");
        let events: Value = serde_json::from_str(&body).unwrap();
        let types: Vec<&str> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        for ev in expected {
            assert!(
                types.contains(ev),
                "order {id}: acknowledged {ev} is missing from {types:?}"
            );
        }
        let seqs: Vec<i64> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["sequence"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
        // The offer process manager's effects happened once: nobody was offered an order
        // twice, and every expiry ended exactly one offer.
        let offered: Vec<&str> = events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "AuthorOffered")
            .map(|e| e["data"]["author_id"].as_str().unwrap())
            .collect();
        let unique: std::collections::HashSet<_> = offered.iter().collect();
        assert_eq!(
            unique.len(),
            offered.len(),
            "order {id}: an author was offered twice: {types:?}"
        );
        let expired = types.iter().filter(|t| **t == "OfferExpired").count();
        assert!(expired <= offered.len(), "order {id}: {types:?}");
        expiries += expired;
    }
    assert!(
        expiries > 0,
        "the offer process manager ran during the test"
    );
    // Every projection equals a replay of the log once the restarted service caught up.
    let mut caught_up = false;
    for _ in 0..50 {
        let (_, page) = http(
            &server.addr,
            "GET",
            "/api/orders?per_page=100&page=1",
            Some(&manager),
            None,
        )
        .await
        .unwrap();
        let page: Value = serde_json::from_str(&page).unwrap();
        if page["total"].as_u64().unwrap_or(0) as usize >= acks.len() {
            caught_up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        caught_up,
        "the restarted service shows every acknowledged order"
    );
    let out = cli(&url, &data, &["replay", "--verify"]);
    assert!(out.contains("equal the replay"), "{out}");
    drop(server);
}

/// Which of the servers' logs say they took the runner:main lock.
fn leaders(servers: &[&Server]) -> Vec<usize> {
    servers
        .iter()
        .enumerate()
        .filter(|(_, s)| s.log_text().contains("took the runner:main lock"))
        .map(|(i, _)| i)
        .collect()
}

async fn checkpoint(url: &str) -> (i64, i64) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_as("SELECT tx, position FROM projection_checkpoints WHERE name = 'main'")
        .fetch_optional(&mut conn)
        .await
        .unwrap()
        .unwrap_or((0, 0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_have_one_projection_leader_and_take_over() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(Backend::Postgres, dir.path()).await;
    let data = dir.path().join("data");
    add_users(&url, &data);
    let a = Server::start(&url, &data, "a").await;
    let b = Server::start(&url, &data, "b").await;
    let mut one = Vec::new();
    for _ in 0..100 {
        one = leaders(&[&a, &b]);
        if !one.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let one_after = leaders(&[&a, &b]);
    assert_eq!(one.len(), 1, "exactly one leader: {one:?}");
    assert_eq!(one_after, one, "still exactly one leader after a while");

    // Both instances serve commands and each caller reads their own writes, wherever the
    // projections run.
    let mut servers = [a, b];
    let mut ids = Vec::new();
    for s in &servers {
        let client = login(&s.addr, "c@example.com").await;
        for _ in 0..3 {
            let (status, o) = post(&s.addr, &client, "/api/orders", order_body())
                .await
                .unwrap();
            assert_eq!(status, 201, "{o}");
            let id = o["id"].as_str().unwrap().to_string();
            let (status, seen) = http(
                &s.addr,
                "GET",
                &format!("/api/orders/{id}"),
                Some(&client),
                None,
            )
            .await
            .unwrap();
            assert_eq!(status, 200, "{seen}");
            ids.push(id);
        }
    }
    let before = checkpoint(&url).await;

    // Kill the leader: the other takes over within seconds.
    let leader = one[0];
    let survivor = 1 - leader;
    servers[leader].kill();
    let s = &servers[survivor];
    let mut took_over = false;
    for _ in 0..100 {
        if s.log_text().contains("took the runner:main lock") {
            took_over = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(took_over, "the survivor takes over: {}", s.log_text());
    let client = login(&s.addr, "c@example.com").await;
    let (status, o) = post(&s.addr, &client, "/api/orders", order_body())
        .await
        .unwrap();
    assert_eq!(status, 201, "{o}");
    let (_, page) = http(
        &s.addr,
        "GET",
        "/api/orders?per_page=100",
        Some(&client),
        None,
    )
    .await
    .unwrap();
    let page: Value = serde_json::from_str(&page).unwrap();
    assert_eq!(page["total"], 7, "{page}");
    let after = checkpoint(&url).await;
    assert!(
        after > before,
        "the checkpoint only moves forward: {before:?} → {after:?}"
    );

    // The read models equal a replay of the log.
    let out = cli(&url, &data, &["replay", "--verify"]);
    assert!(out.contains("equal the replay"), "{out}");
}
