//! Realistic event rows, made by the real domain: each order lifecycle is decided by
//! `aggregates::order::Order` (its `decide` and `apply`), so the payloads are the
//! service's own `OrderEvent` JSON and decode in the projections; metadata has the keys
//! the service writes (`actor_id`, `actor_role`, `request_id`, `at`), and each stream is
//! sealed into its hash chain as the service seals it (`prev_hash`, `hash`), so a filled
//! history passes `scriptorium audit verify`.

use aggregates::order::{FileRef, Half, Order, OrderCommand};
use aggregates::purchase::{Purchase, PurchaseCommand, PurchaseEvent, WorkOnSale};
use aggregates::ready_work::{ReadyWork, ReadyWorkCommand, ReadyWorkEvent, WorkFile};
use aggregates::user::UserEvent;
use aggregates::{Actor, Role};
use chrono::{DateTime, Duration, Utc};
use cqrs_es::{Aggregate, DomainEvent};
use rand::Rng;
use serde_json::json;
use uuid::Uuid;

/// One row of the `events` table.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub aggregate_type: &'static str,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: String,
    pub metadata: String,
}

/// The people of one order: who places, prices and writes it.
#[derive(Debug, Clone, Copy)]
pub struct Cast {
    pub client: Uuid,
    pub manager: Uuid,
    pub author: Uuid,
}

/// Commands per lifecycle, and the events they produce (14: setting the price also
/// claims the order for the manager, approving the paid final also delivers it, and the
/// client publishes their review when completing).
pub const COMMANDS_PER_LIFECYCLE: usize = 11;
pub const EVENTS_PER_LIFECYCLE: usize = 14;

const SUBJECTS: [&str; 6] = [
    "History",
    "Economics",
    "Law",
    "Philology",
    "Sociology",
    "Mathematics",
];
/// Topic words; no digits, so a search for an order number finds only that order.
const TOPICS: [&str; 8] = [
    "The Novgorod Republic and its trade",
    "Monetary policy under inflation targeting",
    "Contract law and digital signatures",
    "Dostoevsky and the polyphonic novel",
    "Urban migration in the late Soviet period",
    "Stochastic models of queueing systems",
    "Hanseatic merchants in Novgorod",
    "Corporate governance in family firms",
];

pub fn metadata(actor: Actor, at: DateTime<Utc>) -> String {
    json!({
        "actor_id": actor.id.to_string(),
        "actor_role": actor.role.as_str(),
        "request_id": Uuid::new_v4().to_string(),
        "at": at.to_rfc3339(),
    })
    .to_string()
}

fn file(name: &str, rng: &mut impl Rng) -> FileRef {
    let mut sha = [0u8; 32];
    rng.fill(&mut sha);
    FileRef {
        id: Uuid::new_v4(),
        name: name.to_string(),
        size: rng.gen_range(2_000..400_000),
        content_type: "application/pdf".to_string(),
        sha256: hex::encode(sha),
    }
}

/// A whole order lifecycle (place → … → complete) that started at `placed`, as the
/// service would have recorded it.
pub fn lifecycle(
    order_id: Uuid,
    number: i64,
    cast: Cast,
    placed: DateTime<Utc>,
    rng: &mut impl Rng,
) -> Vec<EventRow> {
    let client = Actor::new(cast.client, Role::Client);
    let manager = Actor::new(cast.manager, Role::Manager);
    let author = Actor::new(cast.author, Role::Author);
    let price = rng.gen_range(50..2_000) * 1000;
    let hours = |h: i64| placed + Duration::hours(h);
    let topic = TOPICS[rng.gen_range(0..TOPICS.len())];
    let steps: Vec<(Actor, DateTime<Utc>, OrderCommand)> = vec![
        (
            client,
            placed,
            OrderCommand::PlaceOrder {
                number,
                client_id: cast.client,
                work_type: ["essay", "term_paper", "thesis", "translation"][rng.gen_range(0..4)]
                    .to_string(),
                subject: SUBJECTS[rng.gen_range(0..SUBJECTS.len())].to_string(),
                topic: topic.to_string(),
                pages: rng.gen_range(5..80),
                deadline: (placed + Duration::days(rng.gen_range(14..60))).date_naive(),
                requirements: "GOST citations, at least fifteen sources, originality above \
                               seventy per cent, a table of contents and an appendix with the data"
                    .to_string(),
                manager_id: None,
                source: aggregates::order::OrderSource::Site,
                repeats: None,
                corporate: false,
                at: placed,
            },
        ),
        (
            manager,
            hours(1),
            OrderCommand::SetPrice {
                actor: manager,
                price,
                author_fee: price / 2,
                at: hours(1),
            },
        ),
        (
            manager,
            hours(1),
            OrderCommand::OfferToAuthor {
                actor: manager,
                author_id: cast.author,
                expires_at: hours(2),
                at: hours(1),
            },
        ),
        (
            author,
            hours(2) - Duration::minutes(20),
            OrderCommand::AcceptOffer {
                author_id: cast.author,
                at: hours(2) - Duration::minutes(20),
            },
        ),
        (
            manager,
            hours(24),
            OrderCommand::RecordPayment {
                half: Half::First,
                amount: price / 2,
                payment_id: format!("pay-{}", Uuid::new_v4()),
                guarantee_days: 14,
                at: hours(24),
            },
        ),
        (
            author,
            hours(5 * 24),
            OrderCommand::SubmitDraft {
                author_id: cast.author,
                file: file("draft.pdf", rng),
                at: hours(5 * 24),
            },
        ),
        (
            manager,
            hours(6 * 24),
            OrderCommand::ApproveDraft {
                actor: manager,
                at: hours(6 * 24),
            },
        ),
        (
            manager,
            hours(7 * 24),
            OrderCommand::RecordPayment {
                half: Half::Second,
                amount: price - price / 2,
                payment_id: format!("pay-{}", Uuid::new_v4()),
                guarantee_days: 14,
                at: hours(7 * 24),
            },
        ),
        (
            author,
            hours(10 * 24),
            OrderCommand::SubmitFinal {
                author_id: cast.author,
                file: file("final.pdf", rng),
                at: hours(10 * 24),
            },
        ),
        (
            manager,
            hours(11 * 24),
            OrderCommand::ApproveFinal {
                actor: manager,
                guarantee_days: 14,
                at: hours(11 * 24),
            },
        ),
        (
            client,
            hours(12 * 24),
            OrderCommand::Complete {
                client_id: cast.client,
                rating: rng.gen_range(3..=5),
                review: "Thank you, well written and on time".to_string(),
                publish: true,
                at: hours(12 * 24),
            },
        ),
    ];
    debug_assert_eq!(steps.len(), COMMANDS_PER_LIFECYCLE);
    let mut order = Order::default();
    let mut rows = Vec::with_capacity(EVENTS_PER_LIFECYCLE);
    let id = order_id.to_string();
    for (actor, at, cmd) in steps {
        let meta = metadata(actor, at);
        let events = order
            .decide(cmd)
            .unwrap_or_else(|e| panic!("the generated lifecycle is legal: {e}"));
        for event in events {
            rows.push(EventRow {
                aggregate_type: Order::TYPE,
                aggregate_id: id.clone(),
                sequence: rows.len() as i64 + 1,
                event_type: event.event_type(),
                event_version: event.event_version(),
                payload: serde_json::to_string(&event).expect("events serialise"),
                metadata: meta.clone(),
            });
            order.apply(event);
        }
    }
    debug_assert_eq!(rows.len(), EVENTS_PER_LIFECYCLE);
    sealed(rows)
}

/// One whole stream's rows (sequence 1, 2, …) with `prev_hash` and `hash` in their
/// metadata, linked as the service links what it appends (`projections::chain`).
fn sealed(mut rows: Vec<EventRow>) -> Vec<EventRow> {
    let mut prev = projections::chain::GENESIS.to_string();
    for row in &mut rows {
        let mut event = cqrs_es::persist::SerializedEvent::new(
            row.aggregate_id.clone(),
            row.sequence as usize,
            row.aggregate_type.to_string(),
            row.event_type.clone(),
            row.event_version.clone(),
            serde_json::from_str(&row.payload).expect("payload is JSON"),
            serde_json::from_str(&row.metadata).expect("metadata is JSON"),
        );
        prev = projections::chain::seal(&mut event, &prev).expect("metadata is an object");
        row.metadata = event.metadata.to_string();
    }
    rows
}

/// A client who registered on the website at `at`.
pub fn registered_client(id: Uuid, serial: u64, at: DateTime<Utc>) -> EventRow {
    let event = UserEvent::UserRegistered {
        email: format!("history-client-{serial}@example.com"),
        full_name: format!("History Client {serial}"),
        role: Role::Client,
        referred_by: None,
    };
    // Self-registration is attributed to the (new) client role, as the service does.
    let actor = Actor::new(Uuid::nil(), Role::Client);
    let row = EventRow {
        aggregate_type: "User",
        aggregate_id: id.to_string(),
        sequence: 1,
        event_type: event.event_type(),
        event_version: event.event_version(),
        payload: serde_json::to_string(&event).expect("events serialise"),
        metadata: metadata(actor, at),
    };
    sealed(vec![row]).remove(0)
}

/// The rows of one stream of `A`, each event decided by the aggregate from the commands.
fn stream_of<A: DecideFor>(
    id: Uuid,
    steps: Vec<(A::Command, Actor, DateTime<Utc>)>,
) -> Vec<EventRow> {
    let mut state = A::default();
    let mut rows = Vec::new();
    for (cmd, actor, at) in steps {
        for event in A::decide_for(&state, cmd) {
            rows.push(EventRow {
                aggregate_type: A::TYPE,
                aggregate_id: id.to_string(),
                sequence: rows.len() as i64 + 1,
                event_type: event.event_type(),
                event_version: event.event_version(),
                payload: serde_json::to_string(&event).expect("events serialise"),
                metadata: metadata(actor, at),
            });
            state.apply(event);
        }
    }
    sealed(rows)
}

/// The aggregates' pure decisions, for [`stream_of`] (a refusal is a bug of the generator).
trait DecideFor: Aggregate {
    fn decide_for(&self, cmd: Self::Command) -> Vec<Self::Event>;
}

impl DecideFor for ReadyWork {
    fn decide_for(&self, cmd: ReadyWorkCommand) -> Vec<ReadyWorkEvent> {
        self.decide(cmd).expect("the generator lists a valid work")
    }
}

impl DecideFor for Purchase {
    fn decide_for(&self, cmd: PurchaseCommand) -> Vec<PurchaseEvent> {
        self.decide(cmd).expect("the generator buys a work on sale")
    }
}

/// The price of the history's ready-made work, kopecks.
pub const WORK_PRICE: i64 = 99_000;

/// A ready-made work listed by `manager` at `at`, as the service would have recorded it.
pub fn ready_work(id: Uuid, manager: Uuid, at: DateTime<Utc>, rng: &mut impl Rng) -> Vec<EventRow> {
    let f = file("work.pdf", rng);
    let actor = Actor::new(manager, Role::Manager);
    let cmd = ReadyWorkCommand::List {
        actor,
        title: "History ready-made essay".into(),
        subject: "History".into(),
        work_type: "essay".into(),
        pages: 15,
        price: WORK_PRICE,
        description: "A work of the generated history".into(),
        file: WorkFile {
            name: f.name,
            size: f.size,
            content_type: f.content_type,
            sha256: f.sha256,
        },
        at,
    };
    stream_of::<ReadyWork>(id, vec![(cmd, actor, at)])
}

/// A purchase of the work by `buyer` at `at`, paid through the provider a minute later.
pub fn purchase(work_id: Uuid, buyer: Uuid, at: DateTime<Utc>) -> Vec<EventRow> {
    let client = Actor::new(buyer, Role::Client);
    let paid_at = at + Duration::minutes(1);
    stream_of::<Purchase>(
        Uuid::new_v4(),
        vec![
            (
                PurchaseCommand::Make {
                    buyer: client,
                    work: WorkOnSale {
                        work_id,
                        title: "History ready-made essay".into(),
                        price: WORK_PRICE,
                        on_sale: true,
                    },
                    at,
                },
                client,
                at,
            ),
            (
                PurchaseCommand::RecordPayment {
                    amount: WORK_PRICE,
                    payment_id: format!("history-{}", Uuid::new_v4()),
                    at: paid_at,
                },
                Actor::system(),
                paid_at,
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aggregates::order::OrderEvent;

    #[test]
    fn a_generated_purchase_is_of_the_listed_work_and_paid() {
        let mut rng = rand::thread_rng();
        let work = Uuid::new_v4();
        let listed = ready_work(work, Uuid::new_v4(), Utc::now(), &mut rng);
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].event_type, "WorkListed");
        let rows = purchase(work, Uuid::new_v4(), Utc::now());
        let types: Vec<&str> = rows.iter().map(|r| r.event_type.as_str()).collect();
        assert_eq!(types, ["PurchaseMade", "PurchasePaid"]);
        assert_eq!((rows[0].sequence, rows[1].sequence), (1, 2));
        assert!(rows[1].metadata.contains("prev_hash"));
    }

    #[test]
    fn a_generated_lifecycle_decodes_and_completes() {
        let cast = Cast {
            client: Uuid::new_v4(),
            manager: Uuid::new_v4(),
            author: Uuid::new_v4(),
        };
        let rows = lifecycle(Uuid::new_v4(), 7, cast, Utc::now(), &mut rand::thread_rng());
        assert_eq!(rows.len(), EVENTS_PER_LIFECYCLE);
        let mut order = Order::default();
        for r in &rows {
            let e: OrderEvent = serde_json::from_str(&r.payload).unwrap();
            assert_eq!(e.event_type(), r.event_type);
            order.apply(e);
        }
        assert_eq!(order.status.as_str(), "completed");
        assert_eq!(rows.last().unwrap().sequence, EVENTS_PER_LIFECYCLE as i64);
        // Each event links to the one before it (the first to the genesis), and its hash
        // is that of its content.
        let mut prev = projections::chain::GENESIS.to_string();
        for r in &rows {
            let event = cqrs_es::persist::SerializedEvent::new(
                r.aggregate_id.clone(),
                r.sequence as usize,
                r.aggregate_type.to_string(),
                r.event_type.clone(),
                r.event_version.clone(),
                serde_json::from_str(&r.payload).unwrap(),
                serde_json::from_str(&r.metadata).unwrap(),
            );
            assert_eq!(
                projections::chain::stored_prev_hash(&event),
                Some(prev.as_str())
            );
            let hash = projections::chain::stored_hash(&event).unwrap().to_string();
            assert_eq!(hash, projections::chain::event_hash(&event));
            prev = hash;
        }
    }
}
