//! The `Order` aggregate's state, its decisions ([`Order::decide`]) and how events change it.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::commands::{NextOffer, OrderChanges, OrderCommand};
use super::error::OrderError;
use super::events::{
    Breach, FileKind, FileRef, Half, OrderEdit, OrderEvent, OrderExtra, OrderSource,
};
use crate::{Actor, Kopecks, Role, CURRENCY};

/// Where an order is in its lifecycle; the codes are those of DESIGN.md and the manager's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed; waiting for a price and an author.
    #[default]
    New,
    /// Offered to an author who has not answered yet.
    Offered,
    /// An author took it; the client must pay the first half.
    AwaitingPrepayment,
    /// The first half is paid and the author is working.
    InProgress,
    /// The manager checks the 50% draft.
    DraftReview,
    /// The draft is approved and previewed by the client.
    HalfReady,
    /// The author must redo the draft or the final work.
    Rework,
    /// The manager checks the final work.
    FinalReview,
    /// The final work is approved; waiting for the second half.
    FullyReady,
    /// The client has the full work; the guarantee period runs.
    Delivered,
    /// Done (terminal).
    Completed,
    /// Cancelled, "сорван" (terminal).
    Failed,
}

impl OrderStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [OrderStatus; 12] = [
        OrderStatus::New,
        OrderStatus::Offered,
        OrderStatus::AwaitingPrepayment,
        OrderStatus::InProgress,
        OrderStatus::DraftReview,
        OrderStatus::HalfReady,
        OrderStatus::Rework,
        OrderStatus::FinalReview,
        OrderStatus::FullyReady,
        OrderStatus::Delivered,
        OrderStatus::Completed,
        OrderStatus::Failed,
    ];

    /// The status's snake_case code, as stored and shown in the manager's table.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "new",
            OrderStatus::Offered => "offered",
            OrderStatus::AwaitingPrepayment => "awaiting_prepayment",
            OrderStatus::InProgress => "in_progress",
            OrderStatus::DraftReview => "draft_review",
            OrderStatus::HalfReady => "half_ready",
            OrderStatus::Rework => "rework",
            OrderStatus::FinalReview => "final_review",
            OrderStatus::FullyReady => "fully_ready",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Completed => "completed",
            OrderStatus::Failed => "failed",
        }
    }

    /// The status with this code, if any.
    pub fn parse(s: &str) -> Option<Self> {
        OrderStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Completed or failed: nothing can happen to the order any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, OrderStatus::Completed | OrderStatus::Failed)
    }

    /// A status in which the order occupies its author, counted against their maximum of
    /// active orders: offered to them (not yet answered) or accepted and not yet completed or
    /// failed, from `offered` up to `delivered` (the guarantee period may bring a revision).
    pub fn occupies_author(self) -> bool {
        match self {
            OrderStatus::New | OrderStatus::Completed | OrderStatus::Failed => false,
            OrderStatus::Offered
            | OrderStatus::AwaitingPrepayment
            | OrderStatus::InProgress
            | OrderStatus::DraftReview
            | OrderStatus::HalfReady
            | OrderStatus::Rework
            | OrderStatus::FinalReview
            | OrderStatus::FullyReady
            | OrderStatus::Delivered => true,
        }
    }

    /// A status in which the second half may be paid (from `in_progress` up to `fully_ready`).
    pub fn accepts_second_half(self) -> bool {
        matches!(
            self,
            OrderStatus::InProgress
                | OrderStatus::DraftReview
                | OrderStatus::HalfReady
                | OrderStatus::Rework
                | OrderStatus::FinalReview
                | OrderStatus::FullyReady
        )
    }
}

impl std::str::FromStr for OrderStatus {
    type Err = crate::common::UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::parse(s).ok_or_else(|| crate::common::UnknownCode {
            what: "order status",
            code: s.to_string(),
        })
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One commissioned work, rebuilt from its events. Fields are for reading only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Whether `OrderPlaced` has happened; every other field is meaningless until it has.
    pub placed: bool,
    /// The human-facing order number allocated by the service.
    pub number: i64,
    /// The client who placed the order.
    pub client_id: Uuid,
    /// Kind of work (essay, term paper, ...).
    pub work_type: String,
    /// Subject area, matched against authors' subjects.
    pub subject: String,
    /// The work's topic.
    pub topic: String,
    /// Number of pages ordered (1..=1000).
    pub pages: u32,
    /// The client's deadline.
    pub deadline: Option<NaiveDate>,
    /// The client's free-text requirements.
    pub requirements: String,
    /// Currency of every amount on the order (always [`CURRENCY`]).
    pub currency: String,
    /// Where the order is in its lifecycle.
    pub status: OrderStatus,
    /// The manager the order is routed to, if any.
    pub manager_id: Option<Uuid>,
    /// The price the client pays, once set.
    pub price: Option<Kopecks>,
    /// The author's fee, once set.
    pub author_fee: Option<Kopecks>,
    /// The first half of the price (`price / 2`, rounded down), once set.
    pub first_half: Option<Kopecks>,
    /// The second half (`price - first_half`), once set.
    pub second_half: Option<Kopecks>,
    /// The provider payment id of the first half, once paid.
    pub first_payment: Option<String>,
    /// The provider payment id of the second half, once paid.
    pub second_payment: Option<String>,
    /// The author with a pending offer.
    pub offered_to: Option<Uuid>,
    /// When the pending offer expires.
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// The author who accepted the order.
    pub author_id: Option<Uuid>,
    /// Authors who declined the order or let the offer expire; they are not offered it again.
    pub declined_by: Vec<Uuid>,
    /// Every uploaded draft and final work, oldest first.
    pub files: Vec<(FileKind, FileRef)>,
    /// How many times a manager rejected a draft.
    pub draft_rejections: u32,
    /// How many times a manager rejected a final work.
    pub final_rejections: u32,
    /// How many revisions the client asked for.
    pub revision_requests: u32,
    /// End of the guarantee period of the latest delivery.
    pub guarantee_until: Option<DateTime<Utc>>,
    /// The client's rating on completion (none when closed after the guarantee).
    pub rating: Option<u8>,
    /// The client's review on completion.
    pub review: Option<String>,
    /// Why the order failed.
    pub failure_reason: Option<String>,
    /// The role of whoever cancelled the order.
    pub failed_by: Option<Role>,
    /// The sum of the refunds recorded; never above [`Order::paid`].
    #[serde(default)]
    pub refunded: Kopecks,
    /// The compensation granted to the author, once it has been.
    #[serde(default)]
    pub compensation: Option<Kopecks>,
    /// Whether the client published their review on the site.
    #[serde(default)]
    pub review_published: bool,
    /// Whether a manager took the published review off the site.
    #[serde(default)]
    pub review_hidden: bool,
    /// How many times the status changed: which stay in a status a stage limit is about.
    #[serde(default)]
    pub stage: u32,
    /// The stage whose time limit was flagged, if any.
    #[serde(default)]
    pub breached_stage: Option<u32>,
    /// Whether the deadline's breach was flagged (once per order).
    #[serde(default)]
    pub deadline_flagged: bool,
    /// Where the order came from.
    #[serde(default)]
    pub source: OrderSource,
    /// The finished order this one repeats.
    #[serde(default)]
    pub repeats: Option<Uuid>,
    /// Placed for a company's account.
    #[serde(default)]
    pub corporate: bool,
    /// A new deadline a manager proposed after the first half, waiting for the client.
    #[serde(default)]
    pub proposed_deadline: Option<NaiveDate>,
    /// The conversation's messages, oldest first (their status, not their text).
    #[serde(default)]
    pub messages: Vec<super::messages::MessageState>,
    /// The extras on the order, in the order they were added, each at its price then.
    #[serde(default)]
    pub extras: Vec<OrderExtra>,
    /// Loyalty points the client paid part of the first half with (kopecks; 0: none).
    #[serde(default)]
    pub points: Kopecks,
}

/// The first half's "payment id" when the client's points covered it whole.
pub const POINTS_PAYMENT: &str = "points";

impl Order {
    /// The money paid so far: the sum of the paid halves, less the points that paid part
    /// of the first (points are never money, so never refunded as money).
    pub fn paid(&self) -> Kopecks {
        let first = match self.first_payment {
            Some(_) => self.first_half.unwrap_or(0) - self.points,
            None => 0,
        };
        let second = match self.second_payment {
            Some(_) => self.second_half.unwrap_or(0),
            None => 0,
        };
        first + second
    }

    /// The provider payment id recorded for `half`, if it is paid.
    pub fn payment_of(&self, half: Half) -> Option<&str> {
        match half {
            Half::First => self.first_payment.as_deref(),
            Half::Second => self.second_payment.as_deref(),
        }
    }

    /// The money due for `half`, once the price is set: the first half less the points
    /// applied to it.
    pub fn half_amount(&self, half: Half) -> Option<Kopecks> {
        match half {
            Half::First => self.first_half.map(|h| h - self.points),
            Half::Second => self.second_half,
        }
    }

    /// The sum of the extras' prices (part of the price once it is set).
    pub fn extras_total(&self) -> Kopecks {
        self.extras.iter().map(|e| e.price).sum()
    }

    /// Whether both halves of the price have been paid.
    pub fn fully_paid(&self) -> bool {
        self.first_payment.is_some() && self.second_payment.is_some()
    }

    /// Decides what `command` means for this order: the events to record, in order, or why
    /// not. Pure; every check runs before any event is produced.
    pub fn decide(&self, command: OrderCommand) -> Result<Vec<OrderEvent>, OrderError> {
        let placing = matches!(command, OrderCommand::PlaceOrder { .. });
        if placing && self.placed {
            return Err(OrderError::AlreadyPlaced);
        }
        if !placing && !self.placed {
            return Err(OrderError::NotPlaced);
        }
        match command {
            OrderCommand::PlaceOrder {
                number,
                client_id,
                work_type,
                subject,
                topic,
                pages,
                deadline,
                requirements,
                manager_id,
                source,
                repeats,
                corporate,
                at,
            } => Self::place(PlaceOrder {
                number,
                client_id,
                work_type,
                subject,
                topic,
                pages,
                deadline,
                requirements,
                manager_id,
                source,
                repeats,
                corporate,
                at,
            }),
            OrderCommand::RouteToManager { manager_id, .. } => self.route(manager_id),
            OrderCommand::ReassignManager { manager_id, .. } => self.reassign(manager_id),
            OrderCommand::SetPrice {
                actor,
                price,
                author_fee,
                ..
            } => self.set_price(actor, price, author_fee),
            OrderCommand::OfferToAuthor {
                actor,
                author_id,
                expires_at,
                at,
            } => self.offer(actor, author_id, expires_at, at),
            OrderCommand::AcceptOffer { author_id, at } => self.accept_offer(author_id, at),
            OrderCommand::DeclineOffer {
                author_id, reason, ..
            } => self.decline_offer(author_id, reason),
            OrderCommand::ExpireOffer { at, next } => self.expire_offer(at, next),
            OrderCommand::RecordPayment {
                half,
                amount,
                payment_id,
                guarantee_days,
                at,
            } => self.record_payment(half, amount, payment_id, guarantee_days, at),
            OrderCommand::SubmitDraft {
                author_id, file, ..
            } => self.submit_draft(author_id, file),
            OrderCommand::ApproveDraft { actor, .. } => {
                self.review(actor, OrderStatus::DraftReview, OrderEvent::DraftApproved)
            }
            OrderCommand::RejectDraft { actor, comment, .. } => self.review(
                actor,
                OrderStatus::DraftReview,
                OrderEvent::DraftRejected { comment },
            ),
            OrderCommand::SubmitFinal {
                author_id, file, ..
            } => self.submit_final(author_id, file),
            OrderCommand::ApproveFinal {
                actor,
                guarantee_days,
                at,
            } => self.approve_final(actor, guarantee_days, at),
            OrderCommand::RejectFinal { actor, comment, .. } => self.review(
                actor,
                OrderStatus::FinalReview,
                OrderEvent::FinalRejected { comment },
            ),
            OrderCommand::RequestRevision {
                client_id,
                comment,
                at,
            } => self.request_revision(client_id, comment, at),
            OrderCommand::Complete {
                client_id,
                rating,
                review,
                publish,
                ..
            } => self.complete(client_id, rating, review, publish),
            OrderCommand::HideReview { actor, reason, .. } => self.hide_review(actor, reason),
            OrderCommand::PostMessage {
                actor,
                message_id,
                text,
                at,
            } => self.post_message(actor, message_id, text, at),
            OrderCommand::ApproveMessage {
                actor,
                message_id,
                text,
                at,
            } => self.approve_message(actor, message_id, &text, at),
            OrderCommand::RejectMessage {
                actor,
                message_id,
                reason,
                at,
            } => self.reject_message(actor, message_id, reason, at),
            OrderCommand::CloseAfterGuarantee { at } => self.close_after_guarantee(at),
            OrderCommand::FlagProblem { breach, stage, at } => self.flag_problem(breach, stage, at),
            OrderCommand::EditOrder { actor, changes, at } => self.edit(actor, changes, at),
            OrderCommand::WithdrawOffer {
                author_id,
                next,
                at,
            } => self.withdraw_offer(author_id, next, at),
            OrderCommand::ReleaseFromManager { manager_id, .. } => {
                if self.manager_id != Some(manager_id) || self.status.is_terminal() {
                    return Ok(vec![]);
                }
                Ok(vec![OrderEvent::ManagerReleased { manager_id }])
            }
            OrderCommand::GiveDiscount {
                actor,
                price,
                reason,
                ..
            } => self.discount(actor, price, reason),
            OrderCommand::AnswerDeadline {
                client_id, accept, ..
            } => self.answer_deadline(client_id, accept),
            OrderCommand::AddExtra {
                actor,
                code,
                name,
                price,
                ..
            } => self.add_extra(actor, code, name, price),
            OrderCommand::RemoveExtra { actor, code, .. } => self.remove_extra(actor, code),
            OrderCommand::ApplyPoints {
                client_id, points, ..
            } => self.apply_points(client_id, points),
            OrderCommand::Cancel { actor, reason, .. } => self.cancel(actor, reason),
            OrderCommand::RecordRefund {
                actor,
                refund_id,
                amount,
                reason,
                compensation,
                at,
            } => self.refund(
                actor,
                Refund {
                    refund_id,
                    amount,
                    reason,
                    compensation,
                    at,
                },
            ),
        }
    }

    fn place(cmd: PlaceOrder) -> Result<Vec<OrderEvent>, OrderError> {
        if !(1..=1000).contains(&cmd.pages) {
            return Err(OrderError::InvalidPages);
        }
        let work_type = non_empty(cmd.work_type, "work_type")?;
        let subject = non_empty(cmd.subject, "subject")?;
        let topic = non_empty(cmd.topic, "topic")?;
        if cmd.deadline < cmd.at.date_naive() {
            return Err(OrderError::DeadlineInPast);
        }
        let mut events = vec![OrderEvent::OrderPlaced {
            number: cmd.number,
            client_id: cmd.client_id,
            work_type,
            subject,
            topic,
            pages: cmd.pages,
            deadline: cmd.deadline,
            requirements: cmd.requirements,
            currency: CURRENCY.to_string(),
            source: cmd.source,
            repeats: cmd.repeats,
            corporate: cmd.corporate,
        }];
        if let Some(manager_id) = cmd.manager_id {
            events.push(OrderEvent::RoutedToManager { manager_id });
        }
        Ok(events)
    }

    /// The router's first routing: a no-op once the order has a manager (any manager).
    fn route(&self, manager_id: Uuid) -> Result<Vec<OrderEvent>, OrderError> {
        if self.manager_id.is_some() && !self.status.is_terminal() {
            return Ok(vec![]);
        }
        self.reassign(manager_id)
    }

    /// Hands the open order to `manager_id` (nothing when it is theirs already).
    fn reassign(&self, manager_id: Uuid) -> Result<Vec<OrderEvent>, OrderError> {
        if self.status.is_terminal() {
            return Err(OrderError::WrongStatus(self.status));
        }
        if self.manager_id == Some(manager_id) {
            return Ok(vec![]);
        }
        Ok(vec![OrderEvent::RoutedToManager { manager_id }])
    }

    /// A manager may act only on orders routed to them (an admin on any). Returns the
    /// `RoutedToManager` event that claims an unrouted order for the acting manager, if needed
    /// (the service's access policy no longer lets a manager reach an unrouted order: the
    /// router hands orders out; the claim remains the rule of the aggregate on its own).
    fn check_manager(&self, actor: Actor) -> Result<Option<OrderEvent>, OrderError> {
        if actor.role != Role::Manager {
            return Ok(None);
        }
        match self.manager_id {
            Some(m) if m != actor.id => Err(OrderError::RoutedToAnotherManager),
            Some(_) => Ok(None),
            None => Ok(Some(OrderEvent::RoutedToManager {
                manager_id: actor.id,
            })),
        }
    }

    fn require_status(&self, allowed: &[OrderStatus]) -> Result<(), OrderError> {
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(OrderError::WrongStatus(self.status))
        }
    }

    fn set_price(
        &self,
        actor: Actor,
        price: Kopecks,
        author_fee: Kopecks,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let claim = self.check_manager(actor)?;
        self.require_status(&[OrderStatus::New])?;
        if price <= 0 || price > MAX_PRICE {
            return Err(OrderError::InvalidPrice);
        }
        // The price asked is the work's; the extras already on the order come on top.
        let price = price.saturating_add(self.extras_total());
        if !(0..=price).contains(&author_fee) {
            return Err(OrderError::InvalidAuthorFee);
        }
        let first_half = price / 2;
        Ok(claimed(
            claim,
            OrderEvent::PriceSet {
                price,
                author_fee,
                first_half,
                second_half: price - first_half,
            },
        ))
    }

    fn offer(
        &self,
        actor: Actor,
        author_id: Uuid,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let claim = self.check_manager(actor)?;
        self.require_status(&[OrderStatus::New])?;
        if self.price.is_none() {
            return Err(OrderError::PriceNotSet);
        }
        if self.declined_by.contains(&author_id) {
            return Err(OrderError::AuthorAlreadyDeclined);
        }
        if expires_at <= at {
            return Err(OrderError::InvalidExpiry);
        }
        Ok(claimed(
            claim,
            OrderEvent::AuthorOffered {
                author_id,
                expires_at,
            },
        ))
    }

    fn accept_offer(
        &self,
        author_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.require_status(&[OrderStatus::Offered])?;
        if self.offered_to != Some(author_id) {
            return Err(OrderError::NotOfferedToYou);
        }
        match self.offer_expires_at {
            Some(expires_at) if at < expires_at => {
                Ok(vec![OrderEvent::OfferAccepted { author_id }])
            }
            _ => Err(OrderError::OfferExpired),
        }
    }

    fn decline_offer(
        &self,
        author_id: Uuid,
        reason: String,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.require_status(&[OrderStatus::Offered])?;
        if self.offered_to != Some(author_id) {
            return Err(OrderError::NotOfferedToYou);
        }
        Ok(vec![OrderEvent::OfferDeclined { author_id, reason }])
    }

    fn expire_offer(
        &self,
        at: DateTime<Utc>,
        next: Option<NextOffer>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.require_status(&[OrderStatus::Offered])?;
        let Some(author_id) = self.offered_to else {
            return Err(OrderError::WrongStatus(self.status));
        };
        if self
            .offer_expires_at
            .is_some_and(|expires_at| at < expires_at)
        {
            return Err(OrderError::OfferNotExpired);
        }
        let mut events = vec![OrderEvent::OfferExpired { author_id }];
        if let Some(next) = next {
            if next.author_id == author_id || self.declined_by.contains(&next.author_id) {
                return Err(OrderError::AuthorAlreadyDeclined);
            }
            if next.expires_at <= at {
                return Err(OrderError::InvalidExpiry);
            }
            events.push(OrderEvent::AuthorOffered {
                author_id: next.author_id,
                expires_at: next.expires_at,
            });
        }
        Ok(events)
    }

    /// A blocked author's pending offer ends (nothing when it is no longer theirs), and
    /// the order passes to `next` in the same step.
    fn withdraw_offer(
        &self,
        author_id: Uuid,
        next: Option<NextOffer>,
        at: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        if self.status != OrderStatus::Offered || self.offered_to != Some(author_id) {
            return Ok(vec![]);
        }
        let mut events = vec![OrderEvent::OfferWithdrawn { author_id }];
        if let Some(next) = next {
            if next.author_id == author_id || self.declined_by.contains(&next.author_id) {
                return Err(OrderError::AuthorAlreadyDeclined);
            }
            if next.expires_at <= at {
                return Err(OrderError::InvalidExpiry);
            }
            events.push(OrderEvent::AuthorOffered {
                author_id: next.author_id,
                expires_at: next.expires_at,
            });
        }
        Ok(events)
    }

    fn record_payment(
        &self,
        half: Half,
        amount: Kopecks,
        payment_id: String,
        guarantee_days: u32,
        at: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        match self.payment_of(half) {
            Some(recorded) if recorded == payment_id => return Ok(vec![]),
            Some(_) => return Err(OrderError::HalfAlreadyPaid(half)),
            None => {}
        }
        if self.payment_of(half.other()) == Some(payment_id.as_str()) {
            return Err(OrderError::PaymentIdUsedForOtherHalf(half.other()));
        }
        match half {
            Half::First => self.require_status(&[OrderStatus::AwaitingPrepayment])?,
            Half::Second => {
                if self.first_payment.is_none() {
                    return Err(OrderError::FirstHalfNotPaid);
                }
                if !self.status.accepts_second_half() {
                    return Err(OrderError::WrongStatus(self.status));
                }
            }
        }
        let Some(expected) = self.half_amount(half) else {
            return Err(OrderError::PriceNotSet);
        };
        if payment_id.trim().is_empty() {
            return Err(OrderError::EmptyField("payment_id"));
        }
        if amount != expected {
            return Err(OrderError::WrongAmount {
                half,
                expected,
                got: amount,
            });
        }
        let mut events = vec![OrderEvent::PaymentReceived {
            half,
            amount,
            payment_id,
        }];
        if half == Half::Second && self.status == OrderStatus::FullyReady {
            events.push(OrderEvent::OrderDelivered {
                guarantee_until: guarantee_end(at, guarantee_days),
            });
        }
        Ok(events)
    }

    /// The author of an upload must be the one who accepted the order; an order without an
    /// author is not in a status that takes uploads.
    fn check_author(&self, author_id: Uuid) -> Result<(), OrderError> {
        match self.author_id {
            Some(assigned) if assigned == author_id => Ok(()),
            Some(_) => Err(OrderError::NotYourWork),
            None => Err(OrderError::WrongStatus(self.status)),
        }
    }

    fn submit_draft(&self, author_id: Uuid, file: FileRef) -> Result<Vec<OrderEvent>, OrderError> {
        self.check_author(author_id)?;
        self.require_status(&[OrderStatus::InProgress, OrderStatus::Rework])?;
        Ok(vec![OrderEvent::DraftSubmitted { file }])
    }

    fn submit_final(&self, author_id: Uuid, file: FileRef) -> Result<Vec<OrderEvent>, OrderError> {
        self.check_author(author_id)?;
        self.require_status(&[
            OrderStatus::InProgress,
            OrderStatus::HalfReady,
            OrderStatus::Rework,
        ])?;
        Ok(vec![OrderEvent::FinalSubmitted { file }])
    }

    /// A manager's verdict that needs no more than the status: approve/reject a draft, reject a final.
    fn review(
        &self,
        actor: Actor,
        required: OrderStatus,
        verdict: OrderEvent,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let claim = self.check_manager(actor)?;
        self.require_status(&[required])?;
        Ok(claimed(claim, verdict))
    }

    fn approve_final(
        &self,
        actor: Actor,
        guarantee_days: u32,
        at: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let claim = self.check_manager(actor)?;
        self.require_status(&[OrderStatus::FinalReview])?;
        let mut events = claimed(claim, OrderEvent::FinalApproved);
        if self.fully_paid() {
            events.push(OrderEvent::OrderDelivered {
                guarantee_until: guarantee_end(at, guarantee_days),
            });
        }
        Ok(events)
    }

    fn check_client(&self, client_id: Uuid) -> Result<(), OrderError> {
        if client_id == self.client_id {
            Ok(())
        } else {
            Err(OrderError::NotYourOrder)
        }
    }

    fn request_revision(
        &self,
        client_id: Uuid,
        comment: String,
        at: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.check_client(client_id)?;
        match self.status {
            OrderStatus::HalfReady => {}
            OrderStatus::Delivered => {
                if self.guarantee_until.is_none_or(|until| at > until) {
                    return Err(OrderError::GuaranteeExpired);
                }
            }
            status => return Err(OrderError::WrongStatus(status)),
        }
        Ok(vec![OrderEvent::RevisionRequested { comment }])
    }

    fn complete(
        &self,
        client_id: Uuid,
        rating: u8,
        review: String,
        publish: bool,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.check_client(client_id)?;
        self.require_status(&[OrderStatus::Delivered])?;
        if !(1..=5).contains(&rating) {
            return Err(OrderError::InvalidRating);
        }
        let mut events = vec![OrderEvent::OrderCompleted {
            rating: Some(rating),
            review: review.clone(),
        }];
        if publish {
            events.push(OrderEvent::ReviewPublished {
                rating,
                review,
                work_type: self.work_type.clone(),
                subject: self.subject.clone(),
            });
        }
        Ok(events)
    }

    /// The order's manager (or an admin) hides its published review.
    fn hide_review(&self, actor: Actor, reason: String) -> Result<Vec<OrderEvent>, OrderError> {
        if !matches!(actor.role, Role::Manager | Role::Admin) {
            return Err(OrderError::NotYourOrder);
        }
        if actor.role == Role::Manager && self.manager_id != Some(actor.id) {
            return Err(OrderError::RoutedToAnotherManager);
        }
        if !self.review_published {
            return Err(OrderError::NoPublishedReview);
        }
        if self.review_hidden {
            return Err(OrderError::ReviewAlreadyHidden);
        }
        if reason.trim().is_empty() {
            return Err(OrderError::EmptyField("reason"));
        }
        if reason.trim().chars().count() > max_chars("reason") {
            return Err(OrderError::TooLong {
                field: "reason",
                max: max_chars("reason"),
            });
        }
        Ok(vec![OrderEvent::ReviewHidden { reason }])
    }

    fn close_after_guarantee(&self, at: DateTime<Utc>) -> Result<Vec<OrderEvent>, OrderError> {
        self.require_status(&[OrderStatus::Delivered])?;
        if self.guarantee_until.is_some_and(|until| at <= until) {
            return Err(OrderError::GuaranteeRunning);
        }
        Ok(vec![OrderEvent::OrderCompleted {
            rating: None,
            review: String::new(),
        }])
    }

    fn cancel(&self, actor: Actor, reason: String) -> Result<Vec<OrderEvent>, OrderError> {
        let claim = match actor.role {
            Role::Client => {
                self.check_client(actor.id)?;
                let before_work = matches!(
                    self.status,
                    OrderStatus::New | OrderStatus::Offered | OrderStatus::AwaitingPrepayment
                );
                if !before_work {
                    return Err(OrderError::NotCancellable(actor.role));
                }
                None
            }
            Role::Manager | Role::Admin => {
                let claim = self.check_manager(actor)?;
                let before_delivery = !matches!(
                    self.status,
                    OrderStatus::Delivered | OrderStatus::Completed | OrderStatus::Failed
                );
                if !before_delivery {
                    return Err(OrderError::NotCancellable(actor.role));
                }
                claim
            }
            role => return Err(OrderError::NotCancellable(role)),
        };
        if reason.trim().is_empty() {
            return Err(OrderError::EmptyField("reason"));
        }
        if reason.trim().chars().count() > max_chars("reason") {
            return Err(OrderError::TooLong {
                field: "reason",
                max: max_chars("reason"),
            });
        }
        Ok(claimed(
            claim,
            OrderEvent::OrderFailed {
                reason,
                by: actor.role,
            },
        ))
    }

    /// A refund of part (or the rest) of what was paid for a failed order, with the
    /// author's compensation if asked: values first (422), then the state (409).
    fn refund(&self, actor: Actor, r: Refund) -> Result<Vec<OrderEvent>, OrderError> {
        if r.amount <= 0 {
            return Err(OrderError::InvalidRefund);
        }
        let reason = non_empty(r.reason, "reason")?;
        if r.compensation.is_some_and(|c| c <= 0) {
            return Err(OrderError::InvalidCompensation);
        }
        let claim = self.check_manager(actor)?;
        if self.status != OrderStatus::Failed {
            return Err(OrderError::NotRefundable(self.status));
        }
        let paid = self.paid();
        if r.amount > paid - self.refunded {
            return Err(OrderError::RefundAbovePaid {
                paid,
                refunded: self.refunded,
                asked: r.amount,
            });
        }
        let mut events = claimed(
            claim,
            OrderEvent::RefundRecorded {
                refund_id: r.refund_id,
                amount: r.amount,
                reason,
                at: r.at,
            },
        );
        if let Some(amount) = r.compensation {
            let Some(author_id) = self.author_id else {
                return Err(OrderError::NoAuthorToCompensate);
            };
            if self.compensation.is_some() {
                return Err(OrderError::AlreadyCompensated);
            }
            let fee = self.author_fee.unwrap_or(0);
            if amount > fee {
                return Err(OrderError::CompensationAboveFee { fee, asked: amount });
            }
            events.push(OrderEvent::CompensationGranted {
                author_id,
                amount,
                at: r.at,
            });
        }
        Ok(events)
    }

    /// Before the first half: the fields that really change, checked as at placement, in
    /// one `OrderEdited` (none when nothing changes). After it: a deadline alone becomes a
    /// proposal to the client; anything else is refused.
    fn edit(
        &self,
        actor: Actor,
        c: OrderChanges,
        at: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        // Values first (422), then the state (409).
        if c.pages.is_some_and(|p| !(1..=1000).contains(&p)) {
            return Err(OrderError::InvalidPages);
        }
        if c.deadline.is_some_and(|d| d < at.date_naive()) {
            return Err(OrderError::DeadlineInPast);
        }
        let text = |v: Option<String>, field| v.map(|v| non_empty(v, field)).transpose();
        let topic = text(c.topic, "topic")?;
        let work_type = text(c.work_type, "work_type")?;
        let subject = text(c.subject, "subject")?;
        let requirements = c.requirements.map(|r| r.trim().to_string());
        let claim = self.check_manager(actor)?;
        if self.status.is_terminal() {
            return Err(OrderError::WrongStatus(self.status));
        }
        if self.first_payment.is_some() {
            let only_deadline = topic.is_none()
                && c.pages.is_none()
                && requirements.is_none()
                && work_type.is_none()
                && subject.is_none();
            let Some(deadline) = c.deadline.filter(|_| only_deadline) else {
                return Err(OrderError::PaidAlready);
            };
            if !self.status.awaits_delivery() {
                return Err(OrderError::WrongStatus(self.status));
            }
            if self.deadline == Some(deadline) || self.proposed_deadline == Some(deadline) {
                return Ok(vec![]);
            }
            if self.proposed_deadline.is_some() {
                return Err(OrderError::DeadlineAlreadyProposed);
            }
            return Ok(claimed(claim, OrderEvent::DeadlineProposed { deadline }));
        }
        let mut edits = Vec::new();
        if let Some(new) = topic.filter(|t| *t != self.topic) {
            edits.push(OrderEdit::Topic {
                old: self.topic.clone(),
                new,
            });
        }
        if let Some(new) = c.pages.filter(|p| *p != self.pages) {
            edits.push(OrderEdit::Pages {
                old: self.pages,
                new,
            });
        }
        if let (Some(new), Some(old)) = (c.deadline, self.deadline) {
            if new != old {
                edits.push(OrderEdit::Deadline { old, new });
            }
        }
        if let Some(new) = requirements.filter(|r| *r != self.requirements) {
            edits.push(OrderEdit::Requirements {
                old: self.requirements.clone(),
                new,
            });
        }
        if let Some(new) = work_type.filter(|w| *w != self.work_type) {
            edits.push(OrderEdit::WorkType {
                old: self.work_type.clone(),
                new,
            });
        }
        if let Some(new) = subject.filter(|s| *s != self.subject) {
            edits.push(OrderEdit::Subject {
                old: self.subject.clone(),
                new,
            });
        }
        if edits.is_empty() {
            return Ok(vec![]);
        }
        Ok(claimed(claim, OrderEvent::OrderEdited { edits }))
    }

    /// A lower price on the whole order before the first half; the halves follow it, to
    /// the kopeck, and the author's fee must still fit in it.
    fn discount(
        &self,
        actor: Actor,
        price: Kopecks,
        reason: String,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        if price <= 0 {
            return Err(OrderError::InvalidPrice);
        }
        let reason = non_empty(reason, "reason")?;
        let claim = self.check_manager(actor)?;
        if self.status.is_terminal() {
            return Err(OrderError::WrongStatus(self.status));
        }
        if self.first_payment.is_some() {
            return Err(OrderError::PaidAlready);
        }
        let Some(old_price) = self.price else {
            return Err(OrderError::PriceNotSet);
        };
        if price >= old_price {
            return Err(OrderError::NotADiscount {
                price: old_price,
                asked: price,
            });
        }
        let fee = self.author_fee.unwrap_or(0);
        if fee > price {
            return Err(OrderError::FeeAbovePrice { fee, price });
        }
        let first_half = price / 2;
        if self.points > first_half {
            return Err(OrderError::DiscountBelowPoints {
                points: self.points,
                first_half,
            });
        }
        Ok(claimed(
            claim,
            OrderEvent::DiscountGiven {
                old_price,
                price,
                first_half,
                second_half: price - first_half,
                reason,
            },
        ))
    }

    /// The checks an extra's change shares: the order's manager (or an admin), open, and
    /// its first half not paid.
    fn check_extras_open(&self, actor: Actor) -> Result<Option<OrderEvent>, OrderError> {
        let claim = self.check_manager(actor)?;
        if self.status.is_terminal() {
            return Err(OrderError::WrongStatus(self.status));
        }
        if self.first_payment.is_some() {
            return Err(OrderError::ExtrasAfterFirstHalf);
        }
        Ok(claim)
    }

    /// The price and halves once `delta` is added to a set price (none before it is set).
    fn moved_price(&self, delta: Kopecks) -> (Option<Kopecks>, Option<Kopecks>, Option<Kopecks>) {
        match self.price {
            Some(p) => {
                let price = p + delta;
                let first_half = price / 2;
                (Some(price), Some(first_half), Some(price - first_half))
            }
            None => (None, None, None),
        }
    }

    /// An extra at its catalogue price, before the first half; once per extra.
    fn add_extra(
        &self,
        actor: Actor,
        code: String,
        name: String,
        price: Kopecks,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let code = non_empty(code, "code")?;
        let name = non_empty(name, "name")?;
        if price <= 0 {
            return Err(OrderError::InvalidPrice);
        }
        let claim = self.check_extras_open(actor)?;
        if self.extras.iter().any(|e| e.code == code) {
            return Err(OrderError::ExtraAlreadyAdded(code));
        }
        let (new_price, first_half, second_half) = self.moved_price(price);
        Ok(claimed(
            claim,
            OrderEvent::ExtraAdded {
                code,
                name,
                price,
                new_price,
                first_half,
                second_half,
            },
        ))
    }

    /// An extra of the order taken off, before the first half: its price as added comes
    /// off, never below the author's fee nor to nothing.
    fn remove_extra(&self, actor: Actor, code: String) -> Result<Vec<OrderEvent>, OrderError> {
        let code = code.trim().to_string();
        let claim = self.check_extras_open(actor)?;
        let Some(extra) = self.extras.iter().find(|e| e.code == code) else {
            return Err(OrderError::ExtraNotOnOrder(code));
        };
        let (new_price, first_half, second_half) = self.moved_price(-extra.price);
        if let (Some(old), Some(price)) = (self.price, new_price) {
            if price <= 0 {
                return Err(OrderError::ExtraAbovePrice {
                    extra: extra.price,
                    price: old,
                });
            }
            let fee = self.author_fee.unwrap_or(0);
            if fee > price {
                return Err(OrderError::FeeAbovePrice { fee, price });
            }
        }
        // Points already paying part of the first half stay within it.
        if let Some(half) = first_half {
            if self.points > half {
                return Err(OrderError::DiscountBelowPoints {
                    points: self.points,
                    first_half: half,
                });
            }
        }
        Ok(claimed(
            claim,
            OrderEvent::ExtraRemoved {
                code,
                name: extra.name.clone(),
                price: extra.price,
                new_price,
                first_half,
                second_half,
            },
        ))
    }

    /// The client's points pay part (or all) of the first half: while it is due (an
    /// author took the order and it is not paid), at most the half, once.
    fn apply_points(
        &self,
        client_id: Uuid,
        points: Kopecks,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        if points <= 0 {
            return Err(OrderError::InvalidPoints);
        }
        self.check_client(client_id)?;
        if self.points == points && self.points > 0 {
            return Ok(vec![]);
        }
        if self.points > 0 {
            return Err(OrderError::PointsAlreadyApplied {
                points: self.points,
            });
        }
        self.require_status(&[OrderStatus::AwaitingPrepayment])?;
        let Some(half) = self.first_half else {
            return Err(OrderError::PriceNotSet);
        };
        if points > half {
            return Err(OrderError::PointsAboveHalf {
                half,
                asked: points,
            });
        }
        Ok(vec![OrderEvent::PointsApplied {
            points,
            first_half_due: half - points,
        }])
    }

    /// The client takes or refuses the deadline a manager proposed.
    fn answer_deadline(
        &self,
        client_id: Uuid,
        accept: bool,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.check_client(client_id)?;
        let Some(deadline) = self.proposed_deadline else {
            return Err(OrderError::NoDeadlineProposed);
        };
        if !self.status.awaits_delivery() {
            return Err(OrderError::WrongStatus(self.status));
        }
        if !accept {
            return Ok(vec![OrderEvent::DeadlineProposalDeclined { deadline }]);
        }
        let Some(old) = self.deadline else {
            return Err(OrderError::NotPlaced);
        };
        Ok(vec![OrderEvent::DeadlineMoved { old, new: deadline }])
    }

    /// A breach the SLA worker found: flagged once; nothing when the order has moved on
    /// since the worker looked (another stage, delivered, ended) or it is flagged already.
    fn flag_problem(
        &self,
        breach: Breach,
        stage: u32,
        at: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        match &breach {
            Breach::StageLimit {
                status,
                limit_hours,
                since,
            } => {
                if *limit_hours == 0 {
                    return Err(OrderError::InvalidLimit);
                }
                if *status != self.status
                    || stage != self.stage
                    || self.breached_stage == Some(self.stage)
                {
                    return Ok(vec![]);
                }
                let due = TimeDelta::try_hours(i64::from(*limit_hours))
                    .and_then(|d| since.checked_add_signed(d));
                if due.is_none_or(|due| at < due) {
                    return Err(OrderError::LimitNotReached);
                }
            }
            Breach::Deadline { deadline } => {
                if !self.status.awaits_delivery()
                    || self.deadline != Some(*deadline)
                    || self.deadline_flagged
                {
                    return Ok(vec![]);
                }
                // The deadline day is the client's to the end.
                if at.date_naive() <= *deadline {
                    return Err(OrderError::LimitNotReached);
                }
            }
        }
        Ok(vec![OrderEvent::ProblemFlagged { breach, at }])
    }

    /// A new deadline: a breach of the old one no longer counts, the new one may be.
    fn move_deadline(&mut self, deadline: NaiveDate) {
        self.deadline = Some(deadline);
        self.deadline_flagged = false;
    }

    /// The price and halves an extra's event carries, once the order is priced.
    fn follow_price(
        &mut self,
        price: Option<Kopecks>,
        first_half: Option<Kopecks>,
        second_half: Option<Kopecks>,
    ) {
        if let (Some(p), Some(a), Some(b)) = (price, first_half, second_half) {
            self.price = Some(p);
            self.first_half = Some(a);
            self.second_half = Some(b);
        }
    }

    fn clear_offer(&mut self) {
        self.offered_to = None;
        self.offer_expires_at = None;
    }

    /// The author declined or let the offer lapse: never offer them this order again.
    fn mark_declined(&mut self, author_id: Uuid) {
        if !self.declined_by.contains(&author_id) {
            self.declined_by.push(author_id);
        }
        self.clear_offer();
    }
}

/// The fields of `OrderCommand::PlaceOrder`, so `place` takes one argument.
struct PlaceOrder {
    number: i64,
    client_id: Uuid,
    work_type: String,
    subject: String,
    topic: String,
    pages: u32,
    deadline: NaiveDate,
    requirements: String,
    manager_id: Option<Uuid>,
    source: OrderSource,
    repeats: Option<Uuid>,
    corporate: bool,
    at: DateTime<Utc>,
}

/// The fields of `OrderCommand::RecordRefund` but the actor.
struct Refund {
    refund_id: Uuid,
    amount: Kopecks,
    reason: String,
    compensation: Option<Kopecks>,
    at: DateTime<Utc>,
}

/// The most a price may be: 1 000 000 000.00 RUB, far above any work, far below overflow.
pub const MAX_PRICE: Kopecks = 100_000_000_000;

/// The longest text of each field, in characters (a topic is a line; a reason a paragraph).
pub fn max_chars(field: &str) -> usize {
    match field {
        "topic" => 500,
        "work_type" | "subject" | "code" | "name" => 200,
        _ => 4000,
    }
}

/// `value` trimmed, or `EmptyField(field)` if nothing is left, or `TooLong` past the
/// field's [`max_chars`].
fn non_empty(value: String, field: &'static str) -> Result<String, OrderError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Err(OrderError::EmptyField(field))
    } else if trimmed.chars().count() > max_chars(field) {
        Err(OrderError::TooLong {
            field,
            max: max_chars(field),
        })
    } else {
        Ok(trimmed.to_string())
    }
}

/// The event list of a manager's command: the claiming `RoutedToManager` (if any), then `event`.
fn claimed(claim: Option<OrderEvent>, event: OrderEvent) -> Vec<OrderEvent> {
    claim.into_iter().chain(std::iter::once(event)).collect()
}

/// `at` plus `days` days; saturates at the latest representable time instead of overflowing.
fn guarantee_end(at: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    TimeDelta::try_days(i64::from(days))
        .and_then(|delta| at.checked_add_signed(delta))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl Aggregate for Order {
    const TYPE: &'static str = "Order";
    type Command = OrderCommand;
    type Event = OrderEvent;
    type Error = OrderError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        // The lifecycle table lives in one place, shared with the read models.
        let status = self.status.after(&event);
        if status != self.status {
            self.stage = self.stage.saturating_add(1);
        }
        self.status = status;
        match event {
            OrderEvent::OrderPlaced {
                number,
                client_id,
                work_type,
                subject,
                topic,
                pages,
                deadline,
                requirements,
                currency,
                source,
                repeats,
                corporate,
            } => {
                self.placed = true;
                self.corporate = corporate;
                self.source = source;
                self.repeats = repeats;
                self.number = number;
                self.client_id = client_id;
                self.work_type = work_type;
                self.subject = subject;
                self.topic = topic;
                self.pages = pages;
                self.deadline = Some(deadline);
                self.requirements = requirements;
                self.currency = currency;
            }
            OrderEvent::RoutedToManager { manager_id } => self.manager_id = Some(manager_id),
            OrderEvent::ManagerReleased { .. } => self.manager_id = None,
            OrderEvent::PriceSet {
                price,
                author_fee,
                first_half,
                second_half,
            } => {
                self.price = Some(price);
                self.author_fee = Some(author_fee);
                self.first_half = Some(first_half);
                self.second_half = Some(second_half);
            }
            OrderEvent::AuthorOffered {
                author_id,
                expires_at,
            } => {
                self.offered_to = Some(author_id);
                self.offer_expires_at = Some(expires_at);
            }
            OrderEvent::OfferAccepted { author_id } => {
                self.author_id = Some(author_id);
                self.clear_offer();
            }
            OrderEvent::OfferDeclined { author_id, .. }
            | OrderEvent::OfferExpired { author_id }
            | OrderEvent::OfferWithdrawn { author_id } => {
                self.mark_declined(author_id);
            }
            OrderEvent::PaymentReceived {
                half, payment_id, ..
            } => match half {
                Half::First => self.first_payment = Some(payment_id),
                Half::Second => self.second_payment = Some(payment_id),
            },
            OrderEvent::DraftSubmitted { file } => {
                self.files.push((FileKind::Draft, file));
            }
            OrderEvent::DraftApproved | OrderEvent::FinalApproved => {}
            OrderEvent::DraftRejected { .. } => {
                self.draft_rejections = self.draft_rejections.saturating_add(1);
            }
            OrderEvent::FinalSubmitted { file } => {
                self.files.push((FileKind::Final, file));
            }
            OrderEvent::FinalRejected { .. } => {
                self.final_rejections = self.final_rejections.saturating_add(1);
            }
            OrderEvent::OrderDelivered { guarantee_until } => {
                self.guarantee_until = Some(guarantee_until);
            }
            OrderEvent::RevisionRequested { .. } => {
                self.revision_requests = self.revision_requests.saturating_add(1);
            }
            OrderEvent::OrderCompleted { rating, review } => {
                self.rating = rating;
                self.review = Some(review);
            }
            OrderEvent::OrderFailed { reason, by } => {
                self.failure_reason = Some(reason);
                self.failed_by = Some(by);
                self.clear_offer();
            }
            OrderEvent::RefundRecorded { amount, .. } => self.refunded += amount,
            OrderEvent::CompensationGranted { amount, .. } => self.compensation = Some(amount),
            OrderEvent::ReviewPublished { .. } => self.review_published = true,
            OrderEvent::ReviewHidden { .. } => self.review_hidden = true,
            OrderEvent::ProblemFlagged { breach, .. } => match breach {
                Breach::StageLimit { .. } => self.breached_stage = Some(self.stage),
                Breach::Deadline { .. } => self.deadline_flagged = true,
            },
            OrderEvent::OrderEdited { edits } => {
                for e in edits {
                    match e {
                        OrderEdit::Topic { new, .. } => self.topic = new,
                        OrderEdit::Pages { new, .. } => self.pages = new,
                        OrderEdit::Deadline { new, .. } => self.move_deadline(new),
                        OrderEdit::Requirements { new, .. } => self.requirements = new,
                        OrderEdit::WorkType { new, .. } => self.work_type = new,
                        OrderEdit::Subject { new, .. } => self.subject = new,
                    }
                }
            }
            OrderEvent::DiscountGiven {
                price,
                first_half,
                second_half,
                ..
            } => {
                self.price = Some(price);
                self.first_half = Some(first_half);
                self.second_half = Some(second_half);
            }
            OrderEvent::ExtraAdded {
                code,
                name,
                price,
                new_price,
                first_half,
                second_half,
            } => {
                self.extras.push(OrderExtra { code, name, price });
                self.follow_price(new_price, first_half, second_half);
            }
            OrderEvent::ExtraRemoved {
                code,
                new_price,
                first_half,
                second_half,
                ..
            } => {
                self.extras.retain(|e| e.code != code);
                self.follow_price(new_price, first_half, second_half);
            }
            OrderEvent::DeadlineProposed { deadline } => self.proposed_deadline = Some(deadline),
            OrderEvent::DeadlineMoved { new, .. } => {
                self.proposed_deadline = None;
                self.move_deadline(new);
            }
            OrderEvent::DeadlineProposalDeclined { .. } => self.proposed_deadline = None,
            OrderEvent::PointsApplied {
                points,
                first_half_due,
            } => {
                self.points = points;
                if first_half_due == 0 {
                    self.first_payment = Some(POINTS_PAYMENT.to_string());
                }
            }
            OrderEvent::MessagePosted { .. }
            | OrderEvent::MessageApproved { .. }
            | OrderEvent::MessageRejected { .. } => self.apply_message(&event),
        }
    }
}
