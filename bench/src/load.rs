//! Virtual clients walking whole order lifecycles over real HTTP, closed-loop (as fast
//! as the service answers) or on a fixed timetable (constant rate, latency measured from
//! the scheduled start so that queueing is not hidden); the projection lag; and the
//! unloaded probes (a fixed number of lifecycles and list reads, one at a time).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

use super::client::{Answer, Api};
use super::progress;
use super::server;
use super::stats::{Samples, Summary};

/// The lifecycle's commands, in order (the endpoints reported).
pub const ENDPOINTS: [&str; 21] = [
    "place",
    "checkout",
    "phone",
    "price",
    "edit",
    "discount",
    "extra",
    "offer",
    "accept",
    "message",
    "pay_first",
    "draft",
    "approve_draft",
    "pay_second",
    "final",
    "approve_final",
    "complete",
    "browse",
    "list_work",
    "buy",
    "pay_purchase",
];

/// A projection-lag sample gives up after this long (and counts as not seen).
const LAG_GIVE_UP: Duration = Duration::from_secs(5);
/// …or after this many reads.
const LAG_MAX_READS: usize = 500;

/// One virtual client's people, logged in once: a client, a manager, an author; every
/// manager on shift (id → token), since an order is priced and reviewed by the manager it
/// is routed to; and every author (id → token), since the system chooses who writes it.
#[derive(Debug, Clone)]
pub struct Team {
    pub client: String,
    /// The client's email: every [`CHECKOUT_EVERY`]-th lifecycle places its order by
    /// checkout without registration with it (no token; an existing client's email).
    pub client_email: String,
    pub manager: String,
    pub author_id: String,
    pub managers: Arc<std::collections::HashMap<String, String>>,
    pub authors: Arc<std::collections::HashMap<String, String>>,
}

/// One lifecycle in this many places its order by checkout without registration.
pub const CHECKOUT_EVERY: u64 = 50;

/// One lifecycle in this many has the client write one plain message once the author
/// took the order (the conversation's event, read model and digest).
pub const MESSAGE_EVERY: u64 = 10;

/// One lifecycle in this many is taken by phone by the team's manager for its client
/// (`POST /api/orders/by-phone`: found by email, routed to that manager).
pub const PHONE_EVERY: u64 = 50;

/// One lifecycle in this many has its manager edit the topic and give a discount once
/// it is priced (`PATCH`, `PUT …/discount`: the halves paid follow the new price).
pub const EDIT_EVERY: u64 = 10;
/// One lifecycle in this many has its manager add an extra of the catalogue once it is
/// priced (`POST …/extras`: the price and the halves paid follow). Not one of those edited.
pub const EXTRA_EVERY: u64 = 10;
/// The extra the bench's admin puts in the catalogue, and its price.
pub const EXTRA: (&str, i64) = ("urgent", 50_000);
/// One lifecycle in this many also browses the shop and buys a ready-made work (listing
/// one first when there is none), paid through the provider.
pub const SHOP_EVERY: u64 = 20;

/// How long a lifecycle waits for its order to be routed before it counts as failed.
const ROUTE_GIVE_UP: Duration = Duration::from_secs(5);

/// How commands are paced.
#[derive(Clone)]
pub enum Pace {
    /// Each virtual client sends its next command when the previous one is answered.
    Closed,
    /// `per_sec` commands per second in total on a fixed timetable from `t0`: command k
    /// is due at t0 + k/per_sec, whoever sends it; its latency counts from then.
    Fixed {
        t0: Instant,
        per_sec: f64,
        next: Arc<AtomicU64>,
    },
}

/// What every virtual client of a phase shares.
struct Phase {
    api: Api,
    pace: Pace,
    deadline: Instant,
    /// Stop after this many lifecycles in all (the probes).
    max_lifecycles: Option<u64>,
    /// Sample the projection lag on every n-th lifecycle (0: never).
    lag_every: u64,
    lifecycles: AtomicU64,
    commands: AtomicU64,
    errors: AtomicU64,
}

/// Why a lifecycle ended early.
enum End {
    /// The phase is over.
    Over,
    /// A command failed (counted); start a new lifecycle.
    Failed,
}

/// What one virtual client measured.
#[derive(Default)]
struct Recorder {
    endpoints: BTreeMap<&'static str, Samples>,
    errors: BTreeMap<&'static str, u64>,
    examples: Vec<String>,
    lag_place: Samples,
    lag_complete: Samples,
    stale_reads: u64,
    lag_not_seen: u64,
    lifecycles: u64,
}

impl Recorder {
    fn merge(&mut self, o: Recorder) {
        for (k, v) in o.endpoints {
            self.endpoints.entry(k).or_default().extend(&v);
        }
        for (k, v) in o.errors {
            *self.errors.entry(k).or_default() += v;
        }
        for e in o.examples {
            if self.examples.len() < 10 {
                self.examples.push(e);
            }
        }
        self.lag_place.extend(&o.lag_place);
        self.lag_complete.extend(&o.lag_complete);
        self.stale_reads += o.stale_reads;
        self.lag_not_seen += o.lag_not_seen;
        self.lifecycles += o.lifecycles;
    }
}

struct Worker {
    phase: Arc<Phase>,
    team: Team,
    rec: Recorder,
}

/// A new order as a client fills it in. The topic has no digits, so `?q=<number>` finds
/// exactly one order.
pub fn order_body() -> Value {
    json!({
        "work_type": "term_paper",
        "subject": "History",
        "topic": "The Novgorod Republic and its trade",
        "pages": 25,
        "deadline": (chrono::Utc::now().date_naive() + chrono::Duration::days(60)).to_string(),
        "requirements": "GOST citations, at least fifteen sources",
    })
}

/// A PDF-ish upload of `size` bytes, unique to this order and kind (files are stored by
/// content hash, so identical uploads would be cheaper than real ones).
fn document(order: &str, kind: &str, size: usize) -> Vec<u8> {
    let mut doc = format!("%PDF-1.4\n% scriptorium bench {kind} of order {order}\n").into_bytes();
    let filler = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod. ";
    while doc.len() < size {
        doc.extend_from_slice(filler);
    }
    doc.truncate(size);
    doc
}

/// Whether a list answer shows order `id` in `status`.
fn shows(list: &Value, id: &str, status: &str) -> bool {
    list["items"].as_array().is_some_and(|items| {
        items
            .iter()
            .any(|o| o["id"].as_str() == Some(id) && o["status"].as_str() == Some(status))
    })
}

impl Worker {
    /// Waits for this command's turn; returns the instant its latency counts from.
    async fn slot(&self) -> Result<Instant, End> {
        let now = Instant::now();
        if now >= self.phase.deadline {
            return Err(End::Over);
        }
        match &self.phase.pace {
            Pace::Closed => Ok(now),
            Pace::Fixed { t0, per_sec, next } => {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let due = *t0 + Duration::from_secs_f64(k as f64 / per_sec);
                if due >= self.phase.deadline {
                    return Err(End::Over);
                }
                tokio::time::sleep_until(due.into()).await;
                Ok(due)
            }
        }
    }

    /// Sends one command when its turn comes and records it.
    async fn cmd(
        &mut self,
        endpoint: &'static str,
        request: impl Future<Output = Result<Answer, String>>,
    ) -> Result<(Answer, Instant), End> {
        let from = self.slot().await?;
        let result = request.await;
        let done = Instant::now();
        match result {
            Ok(a) if a.ok() => {
                self.rec
                    .endpoints
                    .entry(endpoint)
                    .or_default()
                    .push(done - from);
                self.phase.commands.fetch_add(1, Ordering::Relaxed);
                Ok((a, done))
            }
            other => {
                let what = match other {
                    Ok(a) => a.describe(),
                    Err(e) => e,
                };
                *self.rec.errors.entry(endpoint).or_default() += 1;
                if self.rec.examples.len() < 10 {
                    self.rec.examples.push(format!("{endpoint}: {what}"));
                }
                self.phase.errors.fetch_add(1, Ordering::Relaxed);
                Err(End::Failed)
            }
        }
    }

    /// Reads the order (as its client) until the router has given it a manager; returns
    /// that manager's token. A give-up is an error of the `route` endpoint.
    async fn routed_to(&mut self, api: &Api, id: &str) -> Result<String, End> {
        let from = Instant::now();
        let path = format!("/api/orders/{id}");
        while from.elapsed() < ROUTE_GIVE_UP {
            if let Ok(a) = api.get(&path, Some(&self.team.client)).await {
                let m = a.json()["manager_id"].as_str().map(str::to_string);
                if let Some(token) = m.and_then(|m| self.team.managers.get(&m).cloned()) {
                    self.rec
                        .endpoints
                        .entry("route")
                        .or_default()
                        .push(from.elapsed());
                    return Ok(token);
                }
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        *self.rec.errors.entry("route").or_default() += 1;
        if self.rec.examples.len() < 10 {
            self.rec
                .examples
                .push(format!("route: order {id} not routed in {ROUTE_GIVE_UP:?}"));
        }
        self.phase.errors.fetch_add(1, Ordering::Relaxed);
        Err(End::Failed)
    }

    /// Reads the manager's table (`?q=<number>`) until it shows the order in `status`;
    /// the lag is the time from the command's answer to the end of that read.
    async fn lag(
        &mut self,
        api: &Api,
        manager: &str,
        number: i64,
        id: &str,
        status: &str,
        answered: Instant,
    ) -> Option<Duration> {
        let path = format!("/api/orders?q={number}");
        for _ in 0..LAG_MAX_READS {
            if answered.elapsed() > LAG_GIVE_UP {
                break;
            }
            if let Ok(a) = api.get(&path, Some(manager)).await {
                if a.ok() && shows(&a.json(), id, status) {
                    return Some(answered.elapsed());
                }
            }
            self.rec.stale_reads += 1;
        }
        self.rec.lag_not_seen += 1;
        None
    }

    async fn lifecycle(&mut self) -> Result<(), End> {
        let k = self.phase.lifecycles.fetch_add(1, Ordering::Relaxed);
        if self.phase.max_lifecycles.is_some_and(|m| k >= m) {
            return Err(End::Over);
        }
        let sample_lag = self.phase.lag_every > 0 && k.is_multiple_of(self.phase.lag_every);
        let api = self.phase.api.clone();
        let t = self.team.clone();
        let client = Some(t.client.as_str());

        let (placed, at) = if k % PHONE_EVERY == PHONE_EVERY / 4 {
            let mut body = order_body();
            body["client"] = json!({"email": t.client_email, "full_name": "Bench client"});
            self.cmd(
                "phone",
                api.post("/api/orders/by-phone", Some(t.manager.as_str()), &body),
            )
            .await?
        } else if k % CHECKOUT_EVERY == CHECKOUT_EVERY / 2 {
            let mut body = order_body();
            body["contact"] = json!({"email": t.client_email, "full_name": "Bench client"});
            self.cmd("checkout", api.post("/api/orders", None, &body))
                .await?
        } else {
            self.cmd("place", api.post("/api/orders", client, &order_body()))
                .await?
        };
        let placed = placed.json();
        let id = placed["id"].as_str().unwrap_or_default().to_string();
        let number = placed["number"].as_i64().unwrap_or_default();
        // The manager the router chose acts on the order (the placement's lag is to their
        // table: routing included).
        // Routed by the placement itself when a manager is on shift (its answer names
        // them); else by the router a moment later.
        let named = placed["manager_id"]
            .as_str()
            .and_then(|m| t.managers.get(m).cloned());
        let routed = match named {
            Some(token) => token,
            None => self.routed_to(&api, &id).await?,
        };
        let manager = Some(routed.as_str());
        if sample_lag {
            if let Some(d) = self.lag(&api, &routed, number, &id, "new", at).await {
                self.rec.lag_place.push(d);
            }
        }
        let (mut price, fee) = (250_000, 125_000);
        let order = format!("/api/orders/{id}");
        self.cmd(
            "price",
            api.put(
                &format!("{order}/price"),
                manager,
                &json!({"price": price, "author_fee": fee}),
            ),
        )
        .await?;
        if k % EDIT_EVERY == EDIT_EVERY / 3 {
            self.cmd(
                "edit",
                api.patch(
                    &order,
                    manager,
                    &json!({"topic": "The Hanseatic League and Novgorod, revised", "pages": 30}),
                ),
            )
            .await?;
            price = 240_000;
            self.cmd(
                "discount",
                api.put(
                    &format!("{order}/discount"),
                    manager,
                    &json!({"price": price, "reason": "a returning client"}),
                ),
            )
            .await?;
        }
        if k % EXTRA_EVERY == EXTRA_EVERY * 2 / 3 {
            self.cmd(
                "extra",
                api.post(
                    &format!("{order}/extras"),
                    manager,
                    &json!({"code": EXTRA.0}),
                ),
            )
            .await?;
            price += EXTRA.1;
        }
        // The system's weighted draw among the eligible authors; the one drawn writes it.
        let (offer, _) = self
            .cmd(
                "offer",
                api.post(&format!("{order}/offer"), manager, &json!({})),
            )
            .await?;
        let drawn = offer.json()["author_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let Some(author_token) = t.authors.get(&drawn).cloned() else {
            *self.rec.errors.entry("offer").or_default() += 1;
            if self.rec.examples.len() < 10 {
                self.rec
                    .examples
                    .push(format!("offer: drawn author {drawn:?} is not the bench's"));
            }
            self.phase.errors.fetch_add(1, Ordering::Relaxed);
            return Err(End::Failed);
        };
        let author = Some(author_token.as_str());
        self.cmd(
            "accept",
            api.post(&format!("{order}/offer/accept"), author, &json!({})),
        )
        .await?;
        if k % MESSAGE_EVERY == MESSAGE_EVERY / 2 {
            self.cmd(
                "message",
                api.post(
                    &format!("{order}/messages"),
                    client,
                    &json!({"text": "Please keep to the sources in the requirements."}),
                ),
            )
            .await?;
        }
        // Both halves from the payment provider: its signed notification.
        let pay = |half: &str| json!({"payment_id": format!("bench-{}", uuid::Uuid::new_v4()), "order_id": id, "half": half, "amount": price / 2});
        self.cmd("pay_first", api.webhook(&pay("first"))).await?;
        let draft = document(&id, "draft", 4 * 1024);
        self.cmd(
            "draft",
            api.upload(
                &format!("{order}/draft"),
                &author_token,
                "draft.pdf",
                &draft,
            ),
        )
        .await?;
        self.cmd(
            "approve_draft",
            api.post(&format!("{order}/draft/approve"), manager, &json!({})),
        )
        .await?;
        self.cmd("pay_second", api.webhook(&pay("second"))).await?;
        let fin = document(&id, "final", 8 * 1024);
        self.cmd(
            "final",
            api.upload(&format!("{order}/final"), &author_token, "final.pdf", &fin),
        )
        .await?;
        self.cmd(
            "approve_final",
            api.post(&format!("{order}/final/approve"), manager, &json!({})),
        )
        .await?;
        let (_, at) = self
            .cmd(
                "complete",
                api.post(
                    &format!("{order}/complete"),
                    client,
                    &json!({"rating": 5, "review": "Good work", "publish": true}),
                ),
            )
            .await?;
        if sample_lag {
            if let Some(d) = self.lag(&api, &routed, number, &id, "completed", at).await {
                self.rec.lag_complete.push(d);
            }
        }
        if k % SHOP_EVERY == SHOP_EVERY / 3 {
            self.shop(&api, &t).await?;
        }
        self.rec.lifecycles += 1;
        Ok(())
    }

    /// The shop's part of a lifecycle: anyone's search, a work listed by the manager when
    /// the catalogue is empty, the client's purchase and the provider's payment of it.
    async fn shop(&mut self, api: &Api, t: &Team) -> Result<(), End> {
        let (found, _) = self
            .cmd(
                "browse",
                api.get("/api/ready-works?q=bench&per_page=5", None),
            )
            .await?;
        let found = found.json();
        let work = match found["items"][0]["id"].as_str() {
            Some(id) => id.to_string(),
            None => {
                let file = document("shop", "work", 16 * 1024);
                let fields = [
                    ("title", "Bench ready-made essay"),
                    ("subject", "History"),
                    ("work_type", "essay"),
                    ("pages", "15"),
                    ("price", "99000"),
                    ("description", "A bench work"),
                ];
                let (listed, _) = self
                    .cmd(
                        "list_work",
                        api.upload_with("/api/ready-works", &t.manager, &fields, "work.pdf", &file),
                    )
                    .await?;
                listed.json()["id"].as_str().unwrap_or_default().to_string()
            }
        };
        let (bought, _) = self
            .cmd(
                "buy",
                api.post(
                    &format!("/api/ready-works/{work}/purchase"),
                    Some(t.client.as_str()),
                    &json!({}),
                ),
            )
            .await?;
        let bought = bought.json();
        let pay = json!({
            "payment_id": format!("bench-shop-{}", uuid::Uuid::new_v4()),
            "purchase_id": bought["id"],
            "amount": bought["price"],
        });
        self.cmd("pay_purchase", api.webhook(&pay)).await?;
        Ok(())
    }

    async fn run(mut self) -> Recorder {
        loop {
            match self.lifecycle().await {
                Ok(()) => {}
                Err(End::Over) => break,
                Err(End::Failed) => {
                    if Instant::now() >= self.phase.deadline {
                        break;
                    }
                    // Do not spin against a failing service.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        self.rec
    }
}

/// One endpoint's figures.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointReport {
    pub endpoint: String,
    #[serde(flatten)]
    pub latency: Summary,
    pub errors: u64,
}

/// From a command's answer to the first read of the manager's table that shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LagReport {
    /// Every 1 in `every` lifecycles is sampled (its place and its complete).
    pub every: u64,
    pub all: Summary,
    pub place: Summary,
    pub complete: Summary,
    /// Reads that did not show the change yet (0 when the answer waits for the projections).
    pub stale_reads: u64,
    /// Samples given up after 5 s.
    pub not_seen: u64,
}

/// A load phase's figures.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    pub mode: String,
    pub clients: usize,
    /// Constant-rate mode: the commands per second scheduled.
    pub target_rate: Option<f64>,
    pub seconds: f64,
    pub lifecycles: u64,
    pub commands: u64,
    pub errors: u64,
    pub commands_per_sec: f64,
    /// Constant-rate mode: scheduled commands never sent because the clients were behind.
    pub not_issued: Option<u64>,
    pub all_commands: Summary,
    pub endpoints: Vec<EndpointReport>,
    pub lag: LagReport,
    pub error_examples: Vec<String>,
    /// The service's resident memory, sampled every second (MiB).
    pub server_rss_max_mib: f64,
}

pub struct PhaseSpec {
    pub name: &'static str,
    pub pace: Pace,
    pub duration: Duration,
    pub max_lifecycles: Option<u64>,
    pub lag_every: u64,
    pub progress: bool,
}

/// Runs one phase with one virtual client per team.
pub async fn run(api: &Api, teams: &[Team], server_pid: u32, spec: PhaseSpec) -> PhaseReport {
    let started = Instant::now();
    let pace = match spec.pace {
        Pace::Fixed { per_sec, next, .. } => Pace::Fixed {
            t0: started,
            per_sec,
            next,
        },
        Pace::Closed => Pace::Closed,
    };
    let target_rate = match &pace {
        Pace::Fixed { per_sec, .. } => Some(*per_sec),
        Pace::Closed => None,
    };
    let phase = Arc::new(Phase {
        api: api.clone(),
        pace,
        deadline: started + spec.duration,
        max_lifecycles: spec.max_lifecycles,
        lag_every: spec.lag_every,
        lifecycles: AtomicU64::new(0),
        commands: AtomicU64::new(0),
        errors: AtomicU64::new(0),
    });
    let rss_max = Arc::new(AtomicU64::new(0));
    let reporter = {
        let phase = phase.clone();
        let rss_max = rss_max.clone();
        let mut rate = progress::Rate::new();
        let show = spec.progress;
        progress::every_second(spec.name, move |_| {
            let rss = server::memory(server_pid).map(|m| m.rss_kib).unwrap_or(0);
            rss_max.fetch_max(rss, Ordering::Relaxed);
            let n = phase.commands.load(Ordering::Relaxed);
            let (now, overall) = rate.update(n);
            let line = format!(
                "{n} commands, {now:.0}/s now, {overall:.0}/s overall, {} errors, server RSS {:.0} MiB",
                phase.errors.load(Ordering::Relaxed),
                rss as f64 / 1024.0
            );
            if show {
                line
            } else {
                String::new()
            }
        })
    };
    let workers: Vec<_> = teams
        .iter()
        .map(|team| {
            tokio::spawn(
                Worker {
                    phase: phase.clone(),
                    team: team.clone(),
                    rec: Recorder::default(),
                }
                .run(),
            )
        })
        .collect();
    let mut rec = Recorder::default();
    for w in workers {
        if let Ok(r) = w.await {
            rec.merge(r);
        }
    }
    reporter.abort();
    let seconds = started.elapsed().as_secs_f64();
    if let Some(m) = server::memory(server_pid) {
        rss_max.fetch_max(m.rss_kib, Ordering::Relaxed);
    }
    let commands = phase.commands.load(Ordering::Relaxed);
    let errors = phase.errors.load(Ordering::Relaxed);
    let not_issued = target_rate.map(|r| {
        let scheduled = (r * spec.duration.as_secs_f64()).floor() as u64;
        scheduled.saturating_sub(commands + errors)
    });
    let mut all = Samples::default();
    let endpoints = ENDPOINTS
        .iter()
        .map(|&e| {
            let s = rec.endpoints.get(e).cloned().unwrap_or_default();
            all.extend(&s);
            EndpointReport {
                endpoint: e.to_string(),
                latency: s.summary(),
                errors: rec.errors.get(e).copied().unwrap_or(0),
            }
        })
        .collect();
    let mut lag_all = rec.lag_place.clone();
    lag_all.extend(&rec.lag_complete);
    PhaseReport {
        mode: match target_rate {
            Some(_) => "constant-rate".into(),
            None => "closed-loop".into(),
        },
        clients: teams.len(),
        target_rate,
        seconds,
        lifecycles: rec.lifecycles,
        commands,
        errors,
        commands_per_sec: commands as f64 / seconds,
        not_issued,
        all_commands: all.summary(),
        endpoints,
        lag: LagReport {
            every: spec.lag_every,
            all: lag_all.summary(),
            place: rec.lag_place.summary(),
            complete: rec.lag_complete.summary(),
            stale_reads: rec.stale_reads,
            not_seen: rec.lag_not_seen,
        },
        error_examples: rec.examples,
        server_rss_max_mib: rss_max.load(Ordering::Relaxed) as f64 / 1024.0,
    }
}

/// The list endpoint's latency, one request at a time, as one manager.
#[derive(Debug, Clone, Serialize)]
pub struct ReadsReport {
    /// `GET /api/orders`: the manager's first page (20 rows, by number, with the total).
    pub first_page: Summary,
    /// `GET /api/orders?q=<number>`: one order by its number.
    pub q_number: Summary,
    /// `GET /api/orders?q=novgorod`: a topic word many orders share.
    pub q_text: Summary,
    /// `GET /api/orders?status=completed`: the status most of the history ends in.
    pub status: Summary,
    /// The `total` of the manager's first page: how many orders the table holds for them.
    pub manager_total: i64,
    pub errors: u64,
}

pub async fn reads(api: &Api, manager: &str, number: i64, n: usize) -> ReadsReport {
    let mut first = Samples::default();
    let mut by_number = Samples::default();
    let mut text = Samples::default();
    let mut status = Samples::default();
    let mut errors = 0;
    let mut total = 0;
    let q_number = format!("/api/orders?q={number}");
    for _ in 0..n {
        for (path, samples) in [
            ("/api/orders", &mut first),
            (q_number.as_str(), &mut by_number),
            ("/api/orders?q=novgorod", &mut text),
            ("/api/orders?status=completed", &mut status),
        ] {
            let t = Instant::now();
            match api.get(path, Some(manager)).await {
                Ok(a) if a.ok() => {
                    samples.push(t.elapsed());
                    if path == "/api/orders" {
                        total = a.json()["total"].as_i64().unwrap_or(0);
                    }
                }
                _ => errors += 1,
            }
        }
    }
    ReadsReport {
        first_page: first.summary(),
        q_number: by_number.summary(),
        q_text: text.summary(),
        status: status.summary(),
        manager_total: total,
        errors,
    }
}

/// The unloaded probe: `lifecycles` lifecycles one command at a time, then `reads` rounds
/// of the four list reads.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    pub events_in_store: i64,
    pub commands: PhaseReport,
    pub reads: ReadsReport,
}

pub async fn probe(
    api: &Api,
    team: &Team,
    server_pid: u32,
    lifecycles: u64,
    reads_n: usize,
    events_in_store: i64,
) -> ProbeReport {
    let commands = run(
        api,
        std::slice::from_ref(team),
        server_pid,
        PhaseSpec {
            name: "probe",
            pace: Pace::Closed,
            // A bound, not a target: the probe stops after its lifecycles.
            duration: Duration::from_secs(600),
            max_lifecycles: Some(lifecycles),
            lag_every: 1,
            progress: false,
        },
    )
    .await;
    // The newest order of this manager: what `?q=<number>` looks for.
    let newest = api
        .get("/api/orders?sort=-number&per_page=1", Some(&team.manager))
        .await
        .ok()
        .and_then(|a| a.json()["items"][0]["number"].as_i64())
        .unwrap_or(1);
    let reads = reads(api, &team.manager, newest, reads_n).await;
    ProbeReport {
        events_in_store,
        commands,
        reads,
    }
}
