//! Workers: the offer expiry tells a lost race (retried next round, never counted) from a
//! refusal, every worker's command records what caused it, and a reactor follows the log
//! from a checkpoint of its own.

mod common;

use std::sync::Mutex;
use std::time::Duration;

use aggregates::Role;
use common::{order_body, Backend, TestApp};
use scriptorium::app::AppError;
use scriptorium::process::log::{FromLog, Reactor};
use scriptorium::process::offers::{expire_due, OfferExpiry};
use scriptorium::process::Worker;
use scriptorium::App;
use serde_json::{json, Value};

on_both!(
    an_expiry_that_keeps_losing_the_race_is_retried_next_round_and_caused_by_the_offer,
    a_reactor_follows_the_log_from_its_own_checkpoint,
);

/// From now on every append of an `OfferExpired` collides with another append, as when
/// another instance always gets there first: a real unique violation on SQLite (the
/// trigger appends the same sequence first, and the statement is undone with it), the
/// same error code on PostgreSQL.
async fn collide_on_expiry(t: &TestApp) {
    let db = &t.application.app.db;
    let statements: &[&str] = match t.backend {
        Backend::Sqlite => &["CREATE TRIGGER collide BEFORE INSERT ON events \
             WHEN NEW.event_type = 'OfferExpired' BEGIN \
             INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
             VALUES (NEW.aggregate_type, NEW.aggregate_id, NEW.sequence, 'Collision', '1', '{}', '{}'); END"],
        Backend::Postgres => &[
            "CREATE FUNCTION collide() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             RAISE EXCEPTION 'another append came first' USING ERRCODE = 'unique_violation'; END $$",
            "CREATE TRIGGER collide BEFORE INSERT ON events FOR EACH ROW \
             WHEN (NEW.event_type = 'OfferExpired') EXECUTE FUNCTION collide()",
        ],
    };
    for sql in statements {
        db.execute(sql, &[]).await.unwrap();
    }
}

async fn stop_colliding(t: &TestApp) {
    let db = &t.application.app.db;
    let sql = match t.backend {
        Backend::Sqlite => "DROP TRIGGER collide",
        Backend::Postgres => "DROP TRIGGER collide ON events",
    };
    db.execute(sql, &[]).await.unwrap();
}

async fn events_of(t: &TestApp, token: &str, id: &str) -> Vec<Value> {
    t.get(&format!("/api/orders/{id}/events"), token)
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .clone()
}

async fn an_expiry_that_keeps_losing_the_race_is_retried_next_round_and_caused_by_the_offer(
    backend: Backend,
) {
    let t = TestApp::spawn(backend).await;
    let app = &t.application.app;
    let (_, client) = t.user(Role::Client, "Client").await;
    let (_, manager) = t.manager_on_shift("Manager").await;
    let (a, _) = t.user(Role::Author, "Author A").await;
    let (b, _) = t.user(Role::Author, "Author B").await;
    let id = t.post("/api/orders", &client, order_body()).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.put(
        &format!("/api/orders/{id}/price"),
        &manager,
        json!({"price": 100000}),
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/orders/{id}/offer"),
        &manager,
        json!({"author_id": a}),
    )
    .await
    .ok(200);

    // A command made by a request is caused by that request.
    let before = events_of(&t, &manager, &id).await;
    for e in &before {
        let request = e["request_id"].as_str().unwrap();
        // The route too: made by the placement's own request (the router, reacting to
        // the placement, would name the event instead; tests/routing.rs).
        assert_eq!(
            e["causation_id"],
            format!("request:{request}"),
            "{}",
            e["type"]
        );
    }
    let offered = before
        .iter()
        .find(|e| e["type"] == "AuthorOffered")
        .unwrap();

    // Due, but every attempt loses the race: nothing is appended, nothing counted, and the
    // order is left for the next round (the service's own worker meets the same).
    collide_on_expiry(&t).await;
    t.clock.advance(chrono::Duration::hours(25));
    let round = expire_due(app).await.unwrap();
    assert_eq!(round.looked_at, 1, "{round:?}");
    assert_eq!(round.expired, 0, "{round:?}");
    assert_eq!(
        round.no_longer_due, 0,
        "a lost race is not a refusal: {round:?}"
    );
    assert_eq!(round.lost_races, [id.parse::<uuid::Uuid>().unwrap()]);
    let round = OfferExpiry.run_once(app).await.unwrap();
    assert_eq!(round.handled, 0, "a lost race is never counted as handled");
    assert!(!round.more);
    assert_eq!(events_of(&t, &manager, &id).await, before);

    // The next round gets through: this one, or the service's own worker's.
    stop_colliding(&t).await;
    let mut expired = 0;
    let mut events = Vec::new();
    for _ in 0..50 {
        expired += expire_due(app).await.unwrap().expired;
        events = events_of(&t, &manager, &id).await;
        if events.iter().any(|e| e["type"] == "OfferExpired") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(expired <= 1);
    let expiries: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "OfferExpired")
        .collect();
    assert_eq!(expiries.len(), 1, "expired exactly once: {events:?}");
    // The worker's events are caused by the offer they end, made by the system.
    let tail = &events[before.len()..];
    assert_eq!(tail.len(), 2, "{tail:?}");
    assert_eq!(tail[0]["type"], "OfferExpired");
    assert_eq!(tail[1]["type"], "AuthorOffered");
    assert_eq!(tail[1]["data"]["author_id"], b.as_str());
    for e in tail {
        assert_eq!(
            e["causation_id"],
            format!("event:{}", offered["position"]),
            "{e}"
        );
        assert_eq!(e["actor"]["id"], uuid::Uuid::nil().to_string());
    }
    // The audit feed says the same.
    let (_, auditor) = t.user(Role::Auditor, "Alla Auditor").await;
    let feed = t
        .get("/api/audit/events?after=0&limit=1000", &auditor)
        .await
        .ok(200);
    let audited = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "OfferExpired")
        .unwrap()
        .clone();
    assert_eq!(audited["causation_id"], tail[0]["causation_id"]);
}

/// Remembers the positions of the order events it sees; refuses the events of one
/// position, and loses the race once on another.
#[derive(Default)]
struct Seen {
    positions: Mutex<Vec<i64>>,
    refuse: Mutex<Option<i64>>,
    lose_once: Mutex<Option<i64>>,
}

#[async_trait::async_trait]
impl Reactor for Seen {
    fn name(&self) -> &'static str {
        "test-seen"
    }

    fn reads(&self) -> &'static [&'static str] {
        &["Order"]
    }

    async fn react(&self, _: &App, event: &projections::StoredEvent) -> Result<(), AppError> {
        assert_eq!(event.aggregate_type, "Order");
        let at = event.cursor.position;
        if *self.refuse.lock().unwrap() == Some(at) {
            return Err(AppError::Conflict("not any more".into()));
        }
        let mut lose = self.lose_once.lock().unwrap();
        if *lose == Some(at) {
            *lose = None;
            return Err(AppError::LostRace("order"));
        }
        self.positions.lock().unwrap().push(at);
        Ok(())
    }
}

async fn order_positions(app: &App) -> Vec<i64> {
    app.db
        .fetch_all(
            "SELECT position FROM events WHERE aggregate_type = 'Order' ORDER BY position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.int("position").unwrap())
        .collect()
}

async fn a_reactor_follows_the_log_from_its_own_checkpoint(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let app = &t.application.app;
    let (_, client) = t.user(Role::Client, "Client").await;
    t.post("/api/orders", &client, order_body()).await.ok(201);
    let worker = FromLog {
        reactor: Seen::default(),
        every: Duration::from_secs(1),
    };
    assert_eq!(worker.name(), "test-seen");

    // The first rounds react to every order event (and to no user event), once. (On
    // PostgreSQL the feed may stop short of the latest events for a moment, behind a
    // transaction still running anywhere on the cluster: rounds until it gets there.)
    let first = order_positions(app).await;
    assert!(!first.is_empty());
    let handled = rounds_until(&worker, app, |seen| seen.len() >= first.len()).await;
    assert_eq!(handled, first.len());
    assert_eq!(*worker.reactor.positions.lock().unwrap(), first);
    assert_eq!(worker.run_once(app).await.unwrap().handled, 0);
    let checkpoint = projections::Runner::load_checkpoint(&app.db, &worker.checkpoint())
        .await
        .unwrap();
    assert!(checkpoint.position >= *first.last().unwrap());

    // A refusal passes its event; a lost race ends the round before its event, which a
    // later round reacts to.
    t.post("/api/orders", &client, order_body()).await.ok(201);
    t.post("/api/orders", &client, order_body()).await.ok(201);
    let all = order_positions(app).await;
    let new = &all[first.len()..];
    assert!(new.len() >= 2, "{new:?}");
    *worker.reactor.refuse.lock().unwrap() = Some(new[0]);
    *worker.reactor.lose_once.lock().unwrap() = Some(new[1]);
    let handled = rounds_until(&worker, app, |seen| seen.len() >= all.len() - 1).await;
    assert_eq!(handled, new.len() - 1);
    assert_eq!(
        *worker.reactor.lose_once.lock().unwrap(),
        None,
        "it lost once"
    );
    let mut expected = first.clone();
    expected.extend(&new[1..]);
    assert_eq!(*worker.reactor.positions.lock().unwrap(), expected);
    assert_eq!(worker.run_once(app).await.unwrap().handled, 0);
}

/// Runs rounds until what the reactor has seen satisfies `done` (for at most a few
/// seconds); returns how many events the rounds handled. A round that lost a race says
/// there is no more to do at once.
async fn rounds_until(worker: &FromLog<Seen>, app: &App, done: impl Fn(&[i64]) -> bool) -> usize {
    let mut handled = 0;
    for _ in 0..100 {
        let losing = worker.reactor.lose_once.lock().unwrap().is_some();
        let round = worker.run_once(app).await.unwrap();
        handled += round.handled;
        if losing && worker.reactor.lose_once.lock().unwrap().is_none() {
            assert!(!round.more, "a round that lost a race");
        }
        if done(&worker.reactor.positions.lock().unwrap()) {
            return handled;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the reactor never got there: {:?}",
        worker.reactor.positions.lock().unwrap()
    );
}
