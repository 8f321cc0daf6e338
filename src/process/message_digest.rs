//! The message digest: tells each party of an order's conversation about the messages
//! they have not heard of, one mail per (order, recipient) per round instead of one per
//! message (docs/decisions/022).
//!
//! It reads the log after a checkpoint of its own (`process:message-digest`). A round
//! waits until the oldest message event after the checkpoint is `Config.message_digest`
//! old on the service's clock (10 minutes by default): everything up to then is gathered,
//! grouped by order and recipient, and written to the mail outbox **in the transaction
//! that moves the checkpoint**, with a `message_notices` row per message and recipient.
//! A message already noted for a recipient is never mailed to them again, however the
//! rounds are cut or repeated (a crash, a checkpoint set back).
//!
//! Who hears of what: a visible message, every party but its sender (the client, the
//! order's manager, the author who took it); a held one, the order's manager only (it
//! waits for them); once approved, the other parties but the manager, who had it. Each
//! line names the side that wrote it, never a person.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use aggregates::order::{party_of, MessageStatus, Order, OrderEvent};
use aggregates::Role;
use async_trait::async_trait;
use cqrs_es::Aggregate;
use projections::{Runner, StoredEvent};
use uuid::Uuid;

use super::{Round, Worker};
use crate::app::{App, AppError};
use crate::mail::{DigestLine, Kind, Mail, Params};

/// The worker's name and checkpoint (`process:message-digest`).
pub const NAME: &str = "message-digest";
/// Events read per round.
const BATCH: i64 = 500;
/// The event types whose payloads it reads (the others pass by without one).
const TYPES: [&str; 2] = ["MessagePosted", "MessageApproved"];

/// Mails each party one digest of their orders' new messages.
pub struct MessageDigest;

#[async_trait]
impl Worker for MessageDigest {
    fn name(&self) -> &'static str {
        NAME
    }

    fn every(&self) -> Duration {
        Duration::from_secs(15)
    }

    async fn run_once(&self, app: &App) -> Result<Round, AppError> {
        let checkpoint = format!("process:{NAME}");
        let from = Runner::load_checkpoint(&app.db, &checkpoint).await?;
        let batch =
            projections::feed::read_after_with_payloads_of(&app.db, from, BATCH, &TYPES).await?;
        let Some(last) = batch.last() else {
            return Ok(Round::default());
        };
        let is_message = |e: &StoredEvent| {
            e.aggregate_type == Order::TYPE && TYPES.contains(&e.event_type.as_str())
        };
        let full = batch.len() as i64 >= BATCH;
        let Some(first) = batch.iter().position(is_message) else {
            // Nothing to tell: the checkpoint passes these events.
            store(app, &checkpoint, last, Vec::new(), Vec::new()).await?;
            return Ok(Round {
                handled: 0,
                more: full,
            });
        };
        if batch[first].meta.at + app.config.message_digest > app.clock.now() {
            // The oldest new message waits for more; the events before it are passed.
            if first > 0 {
                store(app, &checkpoint, &batch[first - 1], Vec::new(), Vec::new()).await?;
            }
            return Ok(Round::default());
        }
        let mut gather = Gather::new(app);
        for ev in batch.iter().filter(|e| is_message(e)) {
            gather.event(ev).await?;
        }
        let (mails, notices) = gather.digests().await?;
        let handled = mails.len();
        store(app, &checkpoint, last, mails, notices).await?;
        if handled > 0 {
            app.mail_wake.notify_one();
        }
        Ok(Round {
            handled,
            more: full,
        })
    }
}

/// One message a recipient is to hear of.
struct Notice {
    message_id: Uuid,
    position: i64,
    line: DigestLine,
}

/// Writes the digests and their notices, and moves the checkpoint to `to`, in one
/// transaction.
async fn store(
    app: &App,
    checkpoint: &str,
    to: &StoredEvent,
    mails: Vec<Mail>,
    notices: Vec<(Uuid, Uuid, i64)>,
) -> Result<(), AppError> {
    let now = crate::app::outbox::stamp(app.clock.now());
    let mut tx = app.db.begin().await?;
    if !notices.is_empty() {
        let rows: Vec<Vec<projections::sql::Arg>> = notices
            .iter()
            .map(|(m, r, p)| projections::args![*m, *r, *p].to_vec())
            .collect();
        tx.insert_rows(
            "INSERT INTO message_notices (message_id, recipient_id, position)",
            "ON CONFLICT (message_id, recipient_id) DO NOTHING",
            &rows,
        )
        .await?;
    }
    if !mails.is_empty() {
        let rows: Vec<Vec<projections::sql::Arg>> = mails
            .iter()
            .map(|m| super::mail::outbox_row(m, &now))
            .collect::<Result<_, _>>()?;
        tx.insert_rows(
            "INSERT INTO mail_outbox (position, recipient, kind, language, order_id, params, \
             attachments, message_id, status, created_at, next_attempt_at)",
            "ON CONFLICT (position, recipient, kind) DO NOTHING",
            &rows,
        )
        .await?;
    }
    Runner::store_checkpoint(&mut tx, checkpoint, to.cursor, &to.meta.at.to_rfc3339()).await?;
    tx.commit().await?;
    Ok(())
}

/// A round's messages, grouped by order and recipient.
struct Gather<'a> {
    app: &'a App,
    orders: HashMap<Uuid, Order>,
    /// (order, recipient) → what they are to hear of, in log order.
    groups: BTreeMap<(Uuid, Uuid), Vec<Notice>>,
}

impl<'a> Gather<'a> {
    fn new(app: &'a App) -> Gather<'a> {
        Gather {
            app,
            orders: HashMap::new(),
            groups: BTreeMap::new(),
        }
    }

    /// The order as it stands now (its parties), read once a round.
    async fn order(&mut self, id: Uuid) -> Result<&Order, AppError> {
        if !self.orders.contains_key(&id) {
            let state = self.app.order_state(id).await?;
            self.orders.insert(id, state);
        }
        Ok(&self.orders[&id])
    }

    async fn event(&mut self, ev: &StoredEvent) -> Result<(), AppError> {
        let order_id: Uuid = ev
            .aggregate_id
            .parse()
            .map_err(|_| AppError::infrastructure("an order id that is not a UUID"))?;
        let event: OrderEvent = ev.decode().map_err(|e| {
            AppError::infrastructure(format!("an order event does not decode: {e}"))
        })?;
        let order = self.order(order_id).await?.clone();
        let parties = |except: &[Option<Uuid>]| -> Vec<Uuid> {
            [Some(order.client_id), order.manager_id, order.author_id]
                .into_iter()
                .flatten()
                .filter(|p| !except.contains(&Some(*p)))
                .collect::<Vec<_>>()
        };
        let (message_id, recipients, line) = match event {
            OrderEvent::MessagePosted {
                message_id,
                by,
                sender_id,
                text,
                held,
                at,
                ..
            } => {
                // A held message waits for the manager: they hear of it while it does.
                let waits = order
                    .message(message_id)
                    .is_some_and(|m| m.status == MessageStatus::Held);
                let recipients = if held {
                    order
                        .manager_id
                        .filter(|m| *m != sender_id && waits)
                        .into_iter()
                        .collect()
                } else {
                    parties(&[Some(sender_id)])
                };
                (message_id, recipients, digest_line(by, text, at, held))
            }
            OrderEvent::MessageApproved {
                message_id,
                from,
                text,
                ..
            } => {
                let sender = order.message(message_id).map(|m| m.sender_id);
                (
                    message_id,
                    parties(&[sender, order.manager_id]),
                    digest_line(from, text, ev.meta.at, false),
                )
            }
            _ => return Ok(()),
        };
        for r in recipients {
            self.groups.entry((order_id, r)).or_default().push(Notice {
                message_id,
                position: ev.cursor.position,
                line: line.clone(),
            });
        }
        Ok(())
    }

    /// One mail per (order, recipient) of the messages they were not told of before, and
    /// the notices that record them.
    async fn digests(self) -> Result<(Vec<Mail>, Vec<(Uuid, Uuid, i64)>), AppError> {
        let told = self.told().await?;
        let mut mails = Vec::new();
        let mut notices = Vec::new();
        for ((order_id, recipient), items) in self.groups {
            let mut seen = HashSet::new();
            let new: Vec<Notice> = items
                .into_iter()
                .filter(|n| !told.contains(&(n.message_id, recipient)))
                // A message approved in the same round as it was posted: once.
                .filter(|n| seen.insert(n.message_id))
                .collect();
            let Some(position) = new.iter().map(|n| n.position).max() else {
                continue;
            };
            let who = self.app.user_state(recipient).await?;
            if !who.exists || who.blocked {
                tracing::warn!(%recipient, "no digest to an unknown or blocked user");
                continue;
            }
            let order = &self.orders[&order_id];
            notices.extend(new.iter().map(|n| (n.message_id, recipient, n.position)));
            mails.push(Mail {
                position,
                recipient: who.email.clone(),
                kind: Kind::Messages,
                language: who.language.clone().unwrap_or_else(|| "ru".into()),
                params: Params {
                    name: who.full_name.clone(),
                    order_id: Some(order_id),
                    number: Some(order.number),
                    topic: order.topic.clone(),
                    subject: order.subject.clone(),
                    to_staff: who
                        .role
                        .is_some_and(|r| r != Role::Client && r != Role::Author),
                    messages: new.into_iter().map(|n| n.line).collect(),
                    ..Params::default()
                },
                attachments: Vec::new(),
            });
        }
        Ok((mails, notices))
    }

    /// The (message, recipient) pairs of this round already told.
    async fn told(&self) -> Result<HashSet<(Uuid, Uuid)>, AppError> {
        let ids: HashSet<Uuid> = self
            .groups
            .values()
            .flat_map(|v| v.iter().map(|n| n.message_id))
            .collect();
        let mut told = HashSet::new();
        let ids: Vec<Uuid> = ids.into_iter().collect();
        for chunk in ids.chunks(200) {
            let list = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let args: Vec<projections::sql::Arg> = chunk
                .iter()
                .map(|id| projections::sql::Arg::from(*id))
                .collect();
            let rows = self
                .app
                .db
                .fetch_all(
                    &format!(
                        "SELECT message_id, recipient_id FROM message_notices \
                         WHERE message_id IN ({list})"
                    ),
                    &args,
                )
                .await?;
            for r in rows {
                told.insert((r.uuid("message_id")?, r.uuid("recipient_id")?));
            }
        }
        Ok(told)
    }
}

/// A digest's line: the side that wrote, never who.
fn digest_line(
    by: Role,
    text: String,
    at: chrono::DateTime<chrono::Utc>,
    held: bool,
) -> DigestLine {
    DigestLine {
        from: party_of(by).unwrap_or("manager").to_string(),
        text,
        at: at.to_rfc3339(),
        held,
    }
}
