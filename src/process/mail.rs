//! The mail worker: derives the emails each event owes (`crate::mail::Kind`) and writes
//! them to the outbox **in the transaction that moves its checkpoint** (`process:mail`),
//! each keyed by (event position, recipient, kind) with `ON CONFLICT DO NOTHING`: every
//! event yields its mails once, whether a round is repeated after a crash or the
//! checkpoint is set back (docs/decisions/018). The sender (`mail_sender`) delivers them.
//!
//! What a mail says comes from the aggregates' own streams (the order as it stood after
//! the event, and before it; the recipients' users), never from the read models, so a
//! lagging projection cannot change or delay it.

use std::collections::HashMap;
use std::time::Duration;

use aggregates::order::OrderEdit;
use aggregates::order::{Breach, FileKind, Order, OrderEvent};
use aggregates::purchase::{Purchase, PurchaseEvent};
use aggregates::user::{User, UserEvent};
use async_trait::async_trait;
use cqrs_es::Aggregate;
use projections::{Runner, StoredEvent};
use serde::Deserialize;
use uuid::Uuid;

use super::{Round, Worker};
use crate::app::{App, AppError};
use crate::mail::{AttachmentRef, Kind, Mail, Params};

/// The worker's name and checkpoint (`process:mail`).
pub const NAME: &str = "mail";
/// Events read per round.
const BATCH: i64 = 200;

/// Derives mails from the log into the outbox.
pub struct MailOutbox;

#[async_trait]
impl Worker for MailOutbox {
    fn name(&self) -> &'static str {
        NAME
    }

    fn every(&self) -> Duration {
        Duration::from_millis(500)
    }

    async fn run_once(&self, app: &App) -> Result<Round, AppError> {
        let checkpoint = format!("process:{NAME}");
        let from = Runner::load_checkpoint(&app.db, &checkpoint).await?;
        // No payloads: what each event says is read from its aggregate's stream.
        let batch =
            projections::feed::read_after_with_payloads_of(&app.db, from, BATCH, &[]).await?;
        let Some(last) = batch.last() else {
            return Ok(Round::default());
        };
        let mut deriver = Deriver::new(app);
        let mut mails = Vec::new();
        for ev in &batch {
            mails.extend(deriver.derive(ev).await?);
        }
        let now = crate::app::outbox::stamp(app.clock.now());
        let rows: Vec<Vec<projections::sql::Arg>> = mails
            .iter()
            .map(|m| outbox_row(m, &now))
            .collect::<Result<_, _>>()?;
        let mut tx = app.db.begin().await?;
        let inserted = tx
            .insert_rows(
                "INSERT INTO mail_outbox (position, recipient, kind, language, order_id, params, \
                 attachments, message_id, status, created_at, next_attempt_at)",
                "ON CONFLICT (position, recipient, kind) DO NOTHING",
                &rows,
            )
            .await?;
        Runner::store_checkpoint(
            &mut tx,
            &checkpoint,
            last.cursor,
            &last.meta.at.to_rfc3339(),
        )
        .await?;
        tx.commit().await?;
        if inserted > 0 {
            app.mail_wake.notify_one();
        }
        Ok(Round {
            handled: inserted as usize,
            more: batch.len() as i64 >= BATCH,
        })
    }
}

/// One outbox row's values, in the column order of the insert.
pub(crate) fn outbox_row(m: &Mail, now: &str) -> Result<Vec<projections::sql::Arg>, AppError> {
    let params = serde_json::to_string(&m.params).map_err(AppError::infrastructure)?;
    let attachments = serde_json::to_string(&m.attachments).map_err(AppError::infrastructure)?;
    Ok(projections::args![
        m.position,
        m.recipient.as_str(),
        m.kind.as_str(),
        m.language.as_str(),
        m.params.order_id.map(|id| id.to_string()),
        params,
        attachments,
        Mail::message_id(m.position, &m.recipient, m.kind),
        "pending",
        now,
        now
    ]
    .to_vec())
}

/// A user as a mail needs them.
#[derive(Debug, Clone)]
struct Recipient {
    email: String,
    name: String,
    language: String,
    /// Created at checkout without registration.
    at_checkout: bool,
}

/// Derives the mails of a round's events, remembering the orders' states between them.
struct Deriver<'a> {
    app: &'a App,
    /// Each order's state after its last event of the round, and that event's sequence.
    orders: HashMap<Uuid, (i64, Order)>,
    users: HashMap<Uuid, Option<Recipient>>,
    /// The admins, read once a round when a problem is to be told.
    admins: Option<Vec<Uuid>>,
}

impl<'a> Deriver<'a> {
    fn new(app: &'a App) -> Deriver<'a> {
        Deriver {
            app,
            orders: HashMap::new(),
            users: HashMap::new(),
            admins: None,
        }
    }

    async fn derive(&mut self, ev: &StoredEvent) -> Result<Vec<Mail>, AppError> {
        match ev.aggregate_type.as_str() {
            t if t == Order::TYPE => self.order_event(ev).await,
            t if t == User::TYPE => self.user_event(ev).await,
            t if t == Purchase::TYPE && ev.event_type == "PurchasePaid" => {
                self.purchase_paid(ev).await
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The stream of an aggregate up to and including the event at `sequence` (read
    /// again when the one remembered is shorter: another instance appended it).
    async fn stream_to<A: Aggregate>(
        &self,
        repo: &crate::store::Repo,
        id: &str,
        sequence: i64,
    ) -> Result<std::sync::Arc<Vec<cqrs_es::persist::SerializedEvent>>, AppError> {
        let mut stream = repo
            .stream::<A>(id)
            .await
            .map_err(AppError::infrastructure)?;
        if (stream.len() as i64) < sequence {
            repo.forget_stream::<A>(id);
            stream = repo
                .stream::<A>(id)
                .await
                .map_err(AppError::infrastructure)?;
        }
        if (stream.len() as i64) < sequence {
            return Err(AppError::infrastructure(format!(
                "{} {id}: the log has event {sequence}, the stream {} events",
                A::TYPE,
                stream.len()
            )));
        }
        Ok(stream)
    }

    async fn order_event(&mut self, ev: &StoredEvent) -> Result<Vec<Mail>, AppError> {
        let id: Uuid = ev
            .aggregate_id
            .parse()
            .map_err(|_| AppError::infrastructure("an order id that is not a UUID"))?;
        let seq = ev.sequence;
        if seq < 1 {
            return Err(AppError::infrastructure(format!(
                "order {id}: an event of sequence {seq}"
            )));
        }
        let stream = self
            .stream_to::<Order>(&self.app.order_repo, &ev.aggregate_id, seq)
            .await?;
        let decode = |i: usize| {
            OrderEvent::deserialize(&stream[i].payload).map_err(|e| {
                AppError::infrastructure(format!("an order event does not decode: {e}"))
            })
        };
        let before = match self.orders.remove(&id) {
            Some((s, state)) if s == seq - 1 => state,
            _ => {
                let mut state = Order::default();
                for i in 0..(seq - 1).max(0) as usize {
                    state.apply(decode(i)?);
                }
                state
            }
        };
        let event = decode((seq - 1) as usize)?;
        let mut after = before.clone();
        after.apply(event.clone());
        let mails = self.order_mails(ev, id, &before, &after, &event).await?;
        self.orders.insert(id, (seq, after));
        Ok(mails)
    }

    async fn order_mails(
        &mut self,
        ev: &StoredEvent,
        id: Uuid,
        before: &Order,
        after: &Order,
        event: &OrderEvent,
    ) -> Result<Vec<Mail>, AppError> {
        let mut mails = Vec::new();
        let base = Params {
            order_id: Some(id),
            number: Some(after.number),
            topic: after.topic.clone(),
            subject: after.subject.clone(),
            status: Some(after.status.as_str().to_string()),
            ..Params::default()
        };
        // The client's mail of this event, when it is more than a status change.
        let mut client_told = false;
        match event {
            OrderEvent::AuthorOffered {
                author_id,
                expires_at,
            } => {
                let params = Params {
                    expires_at: Some(expires_at.to_rfc3339()),
                    ..base.clone()
                };
                self.push(&mut mails, ev, *author_id, Kind::Offer, params, vec![])
                    .await?;
            }
            OrderEvent::OfferExpired { author_id } => {
                self.push(
                    &mut mails,
                    ev,
                    *author_id,
                    Kind::OfferExpired,
                    base.clone(),
                    vec![],
                )
                .await?;
            }
            OrderEvent::PaymentReceived {
                half,
                amount,
                payment_id,
            } => {
                let params = Params {
                    half: Some(
                        match half {
                            aggregates::order::Half::First => "first",
                            aggregates::order::Half::Second => "second",
                        }
                        .to_string(),
                    ),
                    amount: Some(*amount),
                    payment_id: Some(payment_id.clone()),
                    ..base.clone()
                };
                self.push(
                    &mut mails,
                    ev,
                    after.client_id,
                    Kind::Receipt,
                    params,
                    vec![],
                )
                .await?;
            }
            OrderEvent::DraftApproved => {
                let files = latest(after, FileKind::Draft);
                self.push(
                    &mut mails,
                    ev,
                    after.client_id,
                    Kind::Draft,
                    base.clone(),
                    files,
                )
                .await?;
                client_told = true;
            }
            OrderEvent::OrderDelivered { .. } => {
                // The full work only once both halves are paid (the order delivers only
                // then; checked again here, because this mail is the delivery).
                if after.first_payment.is_some() && after.second_payment.is_some() {
                    let files = latest(after, FileKind::Final);
                    self.push(
                        &mut mails,
                        ev,
                        after.client_id,
                        Kind::Final,
                        base.clone(),
                        files,
                    )
                    .await?;
                    client_told = true;
                } else {
                    tracing::error!(order = %id, "delivered without both halves paid: no final work mailed");
                }
            }
            OrderEvent::OrderEdited { .. }
            | OrderEvent::DiscountGiven { .. }
            | OrderEvent::ExtraAdded { .. }
            | OrderEvent::ExtraRemoved { .. }
            | OrderEvent::DeadlineProposed { .. }
            | OrderEvent::DeadlineMoved { .. } => {
                let params = Params {
                    changes: changes_of(event),
                    reason: match event {
                        OrderEvent::DiscountGiven { reason, .. } => Some(reason.clone()),
                        _ => None,
                    },
                    proposed_deadline: match event {
                        OrderEvent::DeadlineProposed { deadline } => Some(deadline.to_string()),
                        _ => None,
                    },
                    ..base.clone()
                };
                self.push(
                    &mut mails,
                    ev,
                    after.client_id,
                    Kind::Changed,
                    params,
                    vec![],
                )
                .await?;
            }
            OrderEvent::ProblemFlagged { breach, .. } => {
                let (limit_hours, deadline) = match breach {
                    Breach::StageLimit { limit_hours, .. } => (Some(i64::from(*limit_hours)), None),
                    Breach::Deadline { deadline } => (None, Some(deadline.to_string())),
                };
                let params = Params {
                    to_staff: true,
                    limit_hours,
                    deadline,
                    ..base.clone()
                };
                // The order's manager and every admin, each once.
                let mut staff: Vec<Uuid> = after.manager_id.into_iter().collect();
                for admin in self.admins().await? {
                    if !staff.contains(&admin) {
                        staff.push(admin);
                    }
                }
                for who in staff {
                    self.push(&mut mails, ev, who, Kind::Problem, params.clone(), vec![])
                        .await?;
                }
            }
            _ => {}
        }
        let changed = !before.placed || before.status != after.status;
        // A manager hears of an order when it reaches them (routed, or handed over).
        let routed = matches!(event, OrderEvent::RoutedToManager { .. });
        if changed || routed {
            let params = Params {
                status_before: before.placed.then(|| before.status.as_str().to_string()),
                ..base.clone()
            };
            if changed && !client_told {
                self.push(
                    &mut mails,
                    ev,
                    after.client_id,
                    Kind::Status,
                    params.clone(),
                    vec![],
                )
                .await?;
            }
            if let Some(manager) = after.manager_id.filter(|m| *m != after.client_id) {
                let params = Params {
                    to_staff: true,
                    ..params
                };
                self.push(&mut mails, ev, manager, Kind::Status, params, vec![])
                    .await?;
            }
        }
        Ok(mails)
    }

    async fn user_event(&mut self, ev: &StoredEvent) -> Result<Vec<Mail>, AppError> {
        let id: Uuid = ev
            .aggregate_id
            .parse()
            .map_err(|_| AppError::infrastructure("a user id that is not a UUID"))?;
        let stream = self
            .stream_to::<User>(&self.app.user_repo, &ev.aggregate_id, ev.sequence)
            .await?;
        if ev.sequence < 1 {
            return Err(AppError::infrastructure(format!(
                "user {id}: an event of sequence {}",
                ev.sequence
            )));
        }
        let event = UserEvent::deserialize(&stream[(ev.sequence - 1) as usize].payload)
            .map_err(|e| AppError::infrastructure(format!("a user event does not decode: {e}")))?;
        let params = match event {
            UserEvent::CheckoutNoted { order_id, number } => Params {
                order_id: Some(order_id),
                number: Some(number),
                ..Params::default()
            },
            UserEvent::PurchaseNoted { purchase_id, title } => Params {
                purchase_id: Some(purchase_id),
                topic: title,
                ..Params::default()
            },
            _ => return Ok(Vec::new()),
        };
        // The first order or purchase noted on an account created at checkout tells its
        // credentials (also when an interrupted checkout is tried again); every other, to
        // log in.
        let first_noted = stream[..(ev.sequence - 1) as usize]
            .iter()
            .all(|e| e.event_type != "CheckoutNoted" && e.event_type != "PurchaseNoted");
        let Some(who) = self.recipient(id).await? else {
            return Ok(Vec::new());
        };
        let kind = if who.at_checkout && first_noted {
            Kind::Credentials
        } else {
            Kind::LoginNotice
        };
        let params = Params {
            email: Some(who.email.clone()),
            user_id: Some(id),
            ..params
        };
        let mut mails = Vec::new();
        self.push(&mut mails, ev, id, kind, params, vec![]).await?;
        Ok(mails)
    }

    /// A purchase paid: its work, attached, to the buyer (the purchase is paid once, so
    /// this event, and its mail, happen once whatever the deliveries of the payment).
    async fn purchase_paid(&mut self, ev: &StoredEvent) -> Result<Vec<Mail>, AppError> {
        let id: Uuid = ev
            .aggregate_id
            .parse()
            .map_err(|_| AppError::infrastructure("a purchase id that is not a UUID"))?;
        let stream = self
            .stream_to::<Purchase>(&self.app.purchase_repo, &ev.aggregate_id, ev.sequence)
            .await?;
        let mut purchase = Purchase::default();
        let mut amount = 0;
        for e in stream.iter().take(ev.sequence.max(0) as usize) {
            let event = PurchaseEvent::deserialize(&e.payload).map_err(|e| {
                AppError::infrastructure(format!("a purchase event does not decode: {e}"))
            })?;
            if let PurchaseEvent::PurchasePaid { amount: a, .. } = &event {
                amount = *a;
            }
            purchase.apply(event);
        }
        let work = self.app.ready_work_state(purchase.work_id).await?;
        let files: Vec<AttachmentRef> = work
            .file
            .map(|f| AttachmentRef {
                sha256: f.sha256,
                name: f.name,
                content_type: f.content_type,
            })
            .into_iter()
            .collect();
        let params = Params {
            purchase_id: Some(id),
            topic: purchase.title.clone(),
            subject: work.subject,
            amount: Some(amount),
            payment_id: purchase.payment_id.clone(),
            ..Params::default()
        };
        let mut mails = Vec::new();
        self.push(
            &mut mails,
            ev,
            purchase.buyer_id,
            Kind::Purchase,
            params,
            files,
        )
        .await?;
        Ok(mails)
    }

    /// Adds the mail of `kind` to `user` (none when the user is unknown).
    async fn push(
        &mut self,
        mails: &mut Vec<Mail>,
        ev: &StoredEvent,
        user: Uuid,
        kind: Kind,
        params: Params,
        attachments: Vec<AttachmentRef>,
    ) -> Result<(), AppError> {
        let Some(who) = self.recipient(user).await? else {
            tracing::warn!(%user, kind = kind.as_str(), "a mail to an unknown user is not sent");
            return Ok(());
        };
        mails.push(Mail {
            position: ev.cursor.position,
            recipient: who.email.clone(),
            kind,
            language: who.language.clone(),
            params: Params {
                name: who.name.clone(),
                ..params
            },
            attachments,
        });
        Ok(())
    }

    /// The admins who are not blocked (who they are, from the user directory; what their
    /// mail says still comes from their own streams).
    async fn admins(&mut self) -> Result<Vec<Uuid>, AppError> {
        if let Some(ids) = &self.admins {
            return Ok(ids.clone());
        }
        let rows = self
            .app
            .db
            .fetch_all(
                "SELECT id FROM users WHERE role = 'admin' AND blocked = false ORDER BY id",
                &[],
            )
            .await?;
        let ids = rows
            .iter()
            .map(|r| r.uuid("id"))
            .collect::<Result<Vec<_>, _>>()?;
        self.admins = Some(ids.clone());
        Ok(ids)
    }

    /// The user's address, name and language as their own stream says.
    async fn recipient(&mut self, id: Uuid) -> Result<Option<Recipient>, AppError> {
        if let Some(r) = self.users.get(&id) {
            return Ok(r.clone());
        }
        let user = self.app.user_state(id).await?;
        let r = user.exists.then(|| Recipient {
            email: user.email,
            name: user.full_name,
            language: user.language.unwrap_or_else(|| "ru".into()),
            at_checkout: user.at_checkout,
        });
        self.users.insert(id, r.clone());
        Ok(r)
    }
}

/// What an edit, a discount or a moved deadline changed: (field, old, new).
fn changes_of(event: &OrderEvent) -> Vec<(String, String, String)> {
    match event {
        OrderEvent::OrderEdited { edits } => edits
            .iter()
            .map(|e: &OrderEdit| {
                let (old, new) = e.values();
                (e.field().to_string(), old, new)
            })
            .collect(),
        OrderEvent::DiscountGiven {
            old_price, price, ..
        } => vec![("price".into(), old_price.to_string(), price.to_string())],
        OrderEvent::DeadlineMoved { old, new } => {
            vec![("deadline".into(), old.to_string(), new.to_string())]
        }
        // The extra by name, and the price it moved (once the order is priced).
        OrderEvent::ExtraAdded {
            name,
            price,
            new_price,
            ..
        } => std::iter::once(("extra".into(), "—".into(), name.clone()))
            .chain(new_price.map(|p| ("price".into(), (p - price).to_string(), p.to_string())))
            .collect(),
        OrderEvent::ExtraRemoved {
            name,
            price,
            new_price,
            ..
        } => std::iter::once(("extra".into(), name.clone(), "—".into()))
            .chain(new_price.map(|p| ("price".into(), (p + price).to_string(), p.to_string())))
            .collect(),
        _ => Vec::new(),
    }
}

/// The latest file of `kind` on the order, as an attachment.
fn latest(order: &Order, kind: FileKind) -> Vec<AttachmentRef> {
    order
        .files
        .iter()
        .rev()
        .find(|(k, _)| *k == kind)
        .map(|(_, f)| AttachmentRef {
            sha256: f.sha256.clone(),
            name: f.name.clone(),
            content_type: f.content_type.clone(),
        })
        .into_iter()
        .collect()
}
