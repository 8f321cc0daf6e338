//! Real service processes: killed with SIGKILL in the middle of a load, and two instances
//! sharing one PostgreSQL with one projection leader at a time.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    let id = out.split("with id ").nth(1).unwrap().trim().to_string();
    // Offered only with a profile on the orders' subject.
    cli(
        url,
        dir,
        &[
            "author",
            "profile",
            "--id",
            &id,
            "--subjects",
            "History",
            "--rating",
            "3",
            "--max-active",
            "100",
        ],
    );
    id
}

async fn post(addr: &str, token: &str, path: &str, body: Value) -> Option<(u16, Value)> {
    let (s, b) = http(addr, "POST", path, Some(token), Some(&body.to_string())).await?;
    Some((s, serde_json::from_str(&b).unwrap_or(Value::Null)))
}

async fn put(addr: &str, token: &str, path: &str, body: Value) -> Option<(u16, Value)> {
    let (s, b) = http(addr, "PUT", path, Some(token), Some(&body.to_string())).await?;
    Some((s, serde_json::from_str(&b).unwrap_or(Value::Null)))
}

/// What the load saw: each acknowledged (2xx) command, as order id → the event types it
/// must have produced, and every answer nobody should get (a 5xx above all).
#[derive(Default)]
struct Load {
    acks: HashMap<String, Vec<&'static str>>,
    unexpected: Vec<String>,
}

impl Load {
    fn acknowledged(&self) -> usize {
        self.acks.values().map(Vec::len).sum()
    }

    fn server_errors(&self) -> usize {
        self.unexpected
            .iter()
            .filter(|u| u.starts_with('5'))
            .count()
    }
}

type Shared = Arc<Mutex<Load>>;

/// Whether `answer` is `expected`; anything else but no answer at all (the service is
/// gone) is recorded as unexpected.
fn expect(load: &Shared, what: &str, answer: &Option<(u16, Value)>, expected: u16) -> bool {
    match answer {
        Some((status, _)) if *status == expected => true,
        Some((status, body)) => {
            load.lock()
                .unwrap()
                .unexpected
                .push(format!("{status} to {what}: {body}"));
            false
        }
        None => false,
    }
}

/// One virtual client: places orders and walks each through price, offer and (unless
/// `accept` is false, leaving the offer to expire) accept, recording every command that
/// got a 2xx, until the server stops answering or gives an answer it should not (recorded
/// too). An accept may find the offer run out (404 or 409: the order moved on to another
/// author): the client goes on with the next order.
async fn worker(
    addr: String,
    client: String,
    manager: String,
    author: String,
    author_id: String,
    accept: bool,
    load: Shared,
) {
    loop {
        let placed = post(&addr, &client, "/api/orders", order_body()).await;
        if !expect(&load, "placing an order", &placed, 201) {
            return;
        }
        let id = placed.unwrap().1["id"].as_str().unwrap().to_string();
        load.lock()
            .unwrap()
            .acks
            .insert(id.clone(), vec!["OrderPlaced"]);
        // The router hands it to the manager on shift within moments; a service that
        // answers but never shows it to them is a failure, not the end of the load.
        match shows(&addr, &manager, &id).await {
            Shown::Yes => {}
            Shown::Gone => return,
            Shown::Never => {
                load.lock()
                    .unwrap()
                    .unexpected
                    .push(format!("order {id} not routed to the manager in 10 s"));
                return;
            }
        }
        let ack = |ev: &'static str| load.lock().unwrap().acks.get_mut(&id).unwrap().push(ev);
        let priced = put(
            &addr,
            &manager,
            &format!("/api/orders/{id}/price"),
            json!({"price": 200000}),
        )
        .await;
        if !expect(&load, "pricing", &priced, 200) {
            return;
        }
        ack("PriceSet");
        let offered = post(
            &addr,
            &manager,
            &format!("/api/orders/{id}/offer"),
            json!({"author_id": author_id}),
        )
        .await;
        if !expect(&load, "offering", &offered, 200) {
            return;
        }
        ack("AuthorOffered");
        if !accept {
            continue;
        }
        let accepted = post(
            &addr,
            &author,
            &format!("/api/orders/{id}/offer/accept"),
            json!({}),
        )
        .await;
        if matches!(accepted, Some((404 | 409, _))) {
            continue;
        }
        if !expect(&load, "accepting", &accepted, 200) {
            return;
        }
        ack("OfferAccepted");
    }
}

/// Waits until the caller sees the order (a manager: once it is routed to them); false
/// when the service is gone or 10 s pass.
/// Whether an order showed to a caller within 10 s.
enum Shown {
    Yes,
    /// It answered 404 all along.
    Never,
    /// The service stopped answering (or answered something else).
    Gone,
}

async fn shows(addr: &str, token: &str, id: &str) -> Shown {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match http(addr, "GET", &format!("/api/orders/{id}"), Some(token), None).await {
            Some((200, _)) => return Shown::Yes,
            Some((404, _)) => tokio::time::sleep(Duration::from_millis(5)).await,
            _ => return Shown::Gone,
        }
    }
    Shown::Never
}

async fn visible(addr: &str, token: &str, id: &str) -> bool {
    matches!(shows(addr, token, id).await, Shown::Yes)
}

/// The events of an order as `GET /api/orders/{id}/events` gives them (waiting, for a
/// manager, until the order is routed to them).
async fn events_of(addr: &str, token: &str, id: &str) -> Vec<Value> {
    assert!(visible(addr, token, id).await, "order {id} never showed");
    let (status, body) = http(
        addr,
        "GET",
        &format!("/api/orders/{id}/events"),
        Some(token),
        None,
    )
    .await
    .expect("events answer");
    assert_eq!(status, 200, "{body}");
    let events: Value = serde_json::from_str(&body).unwrap();
    events.as_array().unwrap().clone()
}

/// Whether the order's last offer is still open (neither accepted, declined nor expired).
fn offer_open(events: &[Value]) -> bool {
    events
        .iter()
        .rev()
        .map(|e| e["type"].as_str().unwrap())
        .find(|t| {
            matches!(
                *t,
                "AuthorOffered" | "OfferAccepted" | "OfferDeclined" | "OfferExpired"
            )
        })
        == Some("AuthorOffered")
}

/// Acknowledged commands the load must reach before the service is killed.
const TARGET: usize = 40;

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
    let (status, answer) = http(
        &addr,
        "POST",
        "/api/shifts/start",
        Some(&manager),
        Some("{}"),
    )
    .await
    .expect("the shift starts");
    assert_eq!(status, 200, "{answer}");
    let load: Shared = Arc::default();
    let workers: Vec<_> = (0..4)
        .map(|i| {
            tokio::spawn(worker(
                addr.clone(),
                client.clone(),
                manager.clone(),
                author.clone(),
                author_id.clone(),
                i % 2 == 0,
                load.clone(),
            ))
        })
        .collect();
    // Let the load reach its target, every worker still running, then kill the service
    // mid-flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        // Copied out: a failed assertion must not poison the lock the workers use.
        let (acknowledged, unexpected, server_errors) = {
            let load = load.lock().unwrap();
            (
                load.acknowledged(),
                load.unexpected.clone(),
                load.server_errors(),
            )
        };
        assert!(
            unexpected.is_empty(),
            "{server_errors} server error(s) among the answers during the load: {unexpected:?}"
        );
        if acknowledged >= TARGET {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the load reached {acknowledged} of {TARGET} acknowledged commands"
        );
        assert!(
            workers.iter().all(|w| !w.is_finished()),
            "a worker stopped while the service ran"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        workers.iter().all(|w| !w.is_finished()),
        "every worker runs when the service is killed"
    );
    server.kill();
    for w in workers {
        w.await.unwrap();
    }
    let (acks, unexpected, server_errors) = {
        let load = load.lock().unwrap();
        (
            load.acks.clone(),
            load.unexpected.clone(),
            load.server_errors(),
        )
    };
    assert!(
        unexpected.is_empty(),
        "{server_errors} server error(s) among the answers: {unexpected:?}"
    );
    let acknowledged: usize = acks.values().map(Vec::len).sum();
    assert!(
        acknowledged >= TARGET,
        "{acknowledged} commands acknowledged"
    );

    // Restart: every acknowledged command has its events.
    let server = Server::start_with(&url, &data, "second", &ttl).await;
    let manager = login(&server.addr, "m@example.com").await;
    // The restarted offer process manager expires every offer left open (passing each to
    // the other author, then back to nobody).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut streams = HashMap::new();
    for id in acks.keys() {
        loop {
            let events = events_of(&server.addr, &manager, id).await;
            if !offer_open(&events) {
                streams.insert(id.clone(), events);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "order {id}: an offer stays open after the restart: {events:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let mut expiries = 0;
    for (id, expected) in &acks {
        let events = &streams[id];
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        for ev in expected {
            assert!(
                types.contains(ev),
                "order {id}: acknowledged {ev} is missing from {types:?}"
            );
        }
        let seqs: Vec<i64> = events
            .iter()
            .map(|e| e["sequence"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
        // The offer process manager's effects happened once: nobody was offered an order
        // twice, and every expiry ended exactly one offer.
        let offered: Vec<&str> = events
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

/// Which of the servers' logs say `text`.
fn logged(servers: &[&Server], text: &str) -> Vec<usize> {
    servers
        .iter()
        .enumerate()
        .filter(|(_, s)| s.log_text().contains(text))
        .map(|(i, _)| i)
        .collect()
}

/// Which of the servers' logs say they took the runner:main lock.
fn leaders(servers: &[&Server]) -> Vec<usize> {
    logged(servers, "took the runner:main lock")
}

/// Which of the servers' logs say they found the runner:main lock taken.
fn followers(servers: &[&Server]) -> Vec<usize> {
    logged(servers, "another instance runs runner:main")
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
    // One takes the lock; the other tries, finds it taken, and says so.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut one = leaders(&[&a, &b]);
    while one.len() != 1 || !followers(&[&a, &b]).contains(&(1 - one[0])) {
        assert!(
            one.len() <= 1,
            "exactly one leader: {one:?}\n{}\n{}",
            a.log_text(),
            b.log_text()
        );
        assert!(
            Instant::now() < deadline,
            "no leader with a follower: {one:?}\n{}\n{}",
            a.log_text(),
            b.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        one = leaders(&[&a, &b]);
    }
    assert_eq!(
        leaders(&[&a, &b]),
        one,
        "still exactly one leader once the other found the lock taken"
    );

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
            let seen: Value = serde_json::from_str(&seen).unwrap();
            assert_eq!(
                seen, o,
                "the read shows the order as the command answered it"
            );
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
