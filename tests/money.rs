//! Every kopeck accounted for: random sequences of orders, payments (by hand and signed
//! from the provider), completions, failures, refunds, compensations and payouts, after
//! each of which the money that came in equals refunds + payouts + the authors' balances +
//! the company's share, to the kopeck, and again after a replay. On SQLite and Postgres.

mod common;

use aggregates::Role;
use common::{order_body, Backend, TestApp};
use proptest::prelude::*;
use serde_json::json;

/// One step of a random sequence; indices pick among the orders (authors) there are.
#[derive(Debug, Clone)]
enum Step {
    /// A new order, priced `price` with the fee `fee_percent` of it, taken by an author.
    Place {
        price: i64,
        fee_percent: i64,
    },
    PayFirst(usize),
    /// The second half, the final work and the client's completion.
    Finish(usize),
    /// The manager cancels it (it fails).
    Fail(usize),
    /// A refund of `part`/100 of what is left to refund, with a compensation of
    /// `comp`/100 of the fee on the first refund when `comp` > 0.
    Refund {
        order: usize,
        part: i64,
        comp: i64,
    },
    /// One kopeck more than is left to refund: refused.
    RefundTooMuch(usize),
    /// A payout of `part`/100 of the author's balance.
    Payout {
        author: usize,
        part: i64,
    },
    /// One kopeck more than the balance: refused.
    PayoutTooMuch(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1_000i64..500_001, 0i64..=100)
            .prop_map(|(price, fee_percent)| Step::Place { price, fee_percent }),
        3 => (0usize..8).prop_map(Step::PayFirst),
        3 => (0usize..8).prop_map(Step::Finish),
        2 => (0usize..8).prop_map(Step::Fail),
        2 => (0usize..8, 1i64..=100, 0i64..=100)
            .prop_map(|(order, part, comp)| Step::Refund { order, part, comp }),
        1 => (0usize..8).prop_map(Step::RefundTooMuch),
        2 => (0usize..2, 1i64..=100).prop_map(|(author, part)| Step::Payout { author, part }),
        1 => (0usize..2).prop_map(Step::PayoutTooMuch),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Accepted,
    Paid,
    Completed,
    Failed,
}

/// What the test knows of one order.
#[derive(Debug, Clone)]
struct Model {
    id: String,
    author: usize,
    price: i64,
    fee: i64,
    first: i64,
    paid: i64,
    refunded: i64,
    compensation: i64,
    state: State,
}

impl Model {
    /// What the company keeps of the order's money (negative when a compensation is more
    /// than what is left of it).
    fn company(&self) -> i64 {
        match self.state {
            State::Completed => self.paid - self.fee,
            State::Failed => self.paid - self.refunded - self.compensation,
            State::Accepted | State::Paid => self.paid,
        }
    }
}

struct World {
    client: String,
    manager: String,
    authors: Vec<(String, String)>,
    orders: Vec<Model>,
    balances: Vec<i64>,
    payouts: i64,
    payments: i64,
    refunds: i64,
}

async fn setup(t: &TestApp) -> World {
    let (_, client) = t.user(Role::Client, "Anna Client").await;
    let (_, manager) = t.manager_on_shift("Maria Manager").await;
    let mut authors = Vec::new();
    for name in ["Ivan Petrov", "Olga Sidorova"] {
        authors.push(t.user(Role::Author, name).await);
    }
    World {
        client,
        manager,
        authors,
        orders: Vec::new(),
        balances: vec![0, 0],
        payouts: 0,
        payments: 0,
        refunds: 0,
    }
}

/// The signed webhook's header for `body` at the service's now.
fn signature(t: &TestApp, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let at = t.clock.now().timestamp();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("a key");
    mac.update(format!("{at}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={at},v1={hex}")
}

const SECRET: &str = "the provider's secret";

/// Pays a half: the first by hand, the second through the signed webhook.
async fn pay(t: &TestApp, w: &World, o: &Model, half: &str, amount: i64) {
    if half == "first" {
        t.post(
            &format!("/api/orders/{}/payments", o.id),
            &w.manager,
            json!({"half": half, "amount": amount, "payment_id": format!("{}-{half}", o.id)}),
        )
        .await
        .ok(200);
    } else {
        let body = json!({"payment_id": format!("{}-{half}", o.id), "order_id": o.id,
                          "half": half, "amount": amount})
        .to_string();
        let req = axum::http::Request::builder()
            .method("POST")
            .uri("/api/payments/webhook")
            .header("content-type", "application/json")
            .header("x-signature", signature(t, &body))
            .body(axum::body::Body::from(body))
            .expect("a request");
        let res = t.send(req).await;
        assert_eq!(res.status, 200, "the webhook: {:?}", res.body);
    }
}

async fn apply(t: &TestApp, w: &mut World, s: &Step) {
    let pick = |w: &World, i: usize| (!w.orders.is_empty()).then(|| i % w.orders.len());
    match *s {
        Step::Place { price, fee_percent } => {
            let author = w.orders.len() % 2;
            let fee = price * fee_percent / 100;
            let id = t.post("/api/orders", &w.client, order_body()).await.ok(201)["id"]
                .as_str()
                .expect("an id")
                .to_string();
            t.wait_routed(&id).await;
            let o = t
                .put(
                    &format!("/api/orders/{id}/price"),
                    &w.manager,
                    json!({"price": price, "author_fee": fee}),
                )
                .await
                .ok(200);
            let first = o["first_half"].as_i64().expect("the first half");
            assert_eq!(first + o["second_half"].as_i64().unwrap(), price);
            t.post(
                &format!("/api/orders/{id}/offer"),
                &w.manager,
                json!({"author_id": w.authors[author].0}),
            )
            .await
            .ok(200);
            t.post(
                &format!("/api/orders/{id}/offer/accept"),
                &w.authors[author].1,
                json!({}),
            )
            .await
            .ok(200);
            w.orders.push(Model {
                id,
                author,
                price,
                fee,
                first,
                paid: 0,
                refunded: 0,
                compensation: 0,
                state: State::Accepted,
            });
        }
        Step::PayFirst(i) => {
            let Some(i) = pick(w, i) else { return };
            let o = w.orders[i].clone();
            if o.state != State::Accepted {
                return;
            }
            pay(t, w, &o, "first", o.first).await;
            w.orders[i].paid = o.first;
            w.orders[i].state = State::Paid;
            w.payments += o.first;
        }
        Step::Finish(i) => {
            let Some(i) = pick(w, i) else { return };
            let o = w.orders[i].clone();
            if o.state != State::Paid {
                return;
            }
            let second = o.price - o.first;
            pay(t, w, &o, "second", second).await;
            let author = &w.authors[o.author].1;
            t.upload(
                &format!("/api/orders/{}/final", o.id),
                author,
                "final.pdf",
                b"the work",
            )
            .await
            .ok(200);
            t.post(
                &format!("/api/orders/{}/final/approve", o.id),
                &w.manager,
                json!({}),
            )
            .await
            .ok(200);
            t.post(
                &format!("/api/orders/{}/complete", o.id),
                &w.client,
                json!({"rating": 5, "review": "Good"}),
            )
            .await
            .ok(200);
            w.payments += second;
            w.balances[o.author] += o.fee;
            let o = &mut w.orders[i];
            o.paid = o.price;
            o.state = State::Completed;
        }
        Step::Fail(i) => {
            let Some(i) = pick(w, i) else { return };
            if !matches!(w.orders[i].state, State::Accepted | State::Paid) {
                return;
            }
            t.post(
                &format!("/api/orders/{}/cancel", w.orders[i].id),
                &w.manager,
                json!({"reason": "the client is gone"}),
            )
            .await
            .ok(200);
            w.orders[i].state = State::Failed;
        }
        Step::Refund { order, part, comp } => {
            let Some(i) = pick(w, order) else { return };
            let o = w.orders[i].clone();
            let left = o.paid - o.refunded;
            if o.state != State::Failed || left == 0 {
                return;
            }
            let amount = (left * part / 100).max(1);
            let compensation =
                (o.compensation == 0 && comp > 0 && o.fee > 0).then(|| (o.fee * comp / 100).max(1));
            let mut body = json!({"amount": amount, "reason": "a refund"});
            if let Some(c) = compensation {
                body["compensation"] = json!(c);
            }
            t.post(&format!("/api/orders/{}/refunds", o.id), &w.manager, body)
                .await
                .ok(201);
            w.refunds += amount;
            w.orders[i].refunded += amount;
            if let Some(c) = compensation {
                w.orders[i].compensation = c;
                w.balances[o.author] += c;
            }
        }
        Step::RefundTooMuch(i) => {
            let Some(i) = pick(w, i) else { return };
            let o = &w.orders[i];
            if o.state != State::Failed || o.paid == 0 {
                return;
            }
            t.post(
                &format!("/api/orders/{}/refunds", o.id),
                &w.manager,
                json!({"amount": o.paid - o.refunded + 1, "reason": "too much"}),
            )
            .await
            .problem(409);
        }
        Step::Payout { author, part } => {
            t.workers_caught_up().await;
            let balance = w.balances[author];
            if balance == 0 {
                return;
            }
            let amount = (balance * part / 100).max(1);
            let reference = uuid::Uuid::new_v4().to_string();
            t.post(
                "/api/payouts",
                &w.clerk(t).await,
                json!({"author_id": w.authors[author].0, "amount": amount, "reference": reference}),
            )
            .await
            .ok(201);
            w.balances[author] -= amount;
            w.payouts += amount;
        }
        Step::PayoutTooMuch(author) => {
            t.workers_caught_up().await;
            let amount = w.balances[author] + 1;
            t.post(
                "/api/payouts",
                &w.clerk(t).await,
                json!({"author_id": w.authors[author].0, "amount": amount, "reference": "too-much"}),
            )
            .await
            .problem(409);
        }
    }
}

impl World {
    /// A payout clerk's token (a new clerk each time: any clerk may pay out).
    async fn clerk(&self, t: &TestApp) -> String {
        t.user(Role::PayoutClerk, "Pavel Clerk").await.1
    }
}

/// Money in = refunds + payouts + balances + the company's share, from the service's own
/// read models (the report, the ledgers) against the test's model, to the kopeck.
async fn check(t: &TestApp, w: &World, auditor: &str) {
    t.workers_caught_up().await;
    let report = t.get("/api/reports/summary", auditor).await.ok(200);
    let payments = report["payments"].as_i64().expect("payments");
    let refunds = report["refunds"].as_i64().expect("refunds");
    let payouts = report["payouts_total"].as_i64().expect("payouts");
    let owed = report["author_fees_owed"].as_i64().expect("owed");
    let mut balances = 0;
    for (i, (id, _)) in w.authors.iter().enumerate() {
        let ledger = t
            .get(&format!("/api/authors/{id}/ledger"), auditor)
            .await
            .ok(200);
        let balance = ledger["balance"].as_i64().expect("a balance");
        assert_eq!(balance, w.balances[i], "author {i}'s balance");
        let last = ledger["entries"]
            .as_array()
            .and_then(|e| e.last())
            .map_or(0, |e| e["balance"].as_i64().expect("a running balance"));
        assert_eq!(last, balance, "the running balance ends at the balance");
        balances += balance;
    }
    let company: i64 = w.orders.iter().map(Model::company).sum();
    assert_eq!(payments, w.payments, "money in");
    assert_eq!(refunds, w.refunds, "refunds");
    assert_eq!(payouts, w.payouts, "payouts");
    assert_eq!(owed, balances, "what is owed to authors is their balances");
    assert_eq!(
        payments,
        refunds + payouts + balances + company,
        "money in = refunds + payouts + balances + the company's share"
    );
}

async fn run(backend: Backend, steps: Vec<Step>) {
    let t = TestApp::spawn_with(backend, |c| {
        c.worker_poll = Some(std::time::Duration::from_millis(20));
        c.payment_webhook_secret = Some(SECRET.to_string());
    })
    .await;
    let (_, auditor) = t.user(Role::Auditor, "Olga Auditor").await;
    let mut w = setup(&t).await;
    for s in &steps {
        apply(&t, &mut w, s).await;
        check(&t, &w, &auditor).await;
    }
    let out = common::replay(&t, true);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let out = common::replay(&t, false);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    check(&t, &w, &auditor).await;
}

fn cases(backend: Backend) {
    let config = ProptestConfig {
        cases: 4,
        max_shrink_iters: 0,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(steps in proptest::collection::vec(step(), 10..25))| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(run(backend, steps));
    });
}

#[test]
fn money_is_conserved_on_sqlite() {
    cases(Backend::Sqlite)
}

#[test]
fn money_is_conserved_on_postgres() {
    cases(Backend::Postgres)
}
