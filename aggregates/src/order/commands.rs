use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::events::{Breach, FileRef, Half, OrderSource};
use crate::{Actor, Kopecks};

/// The author an expired offer passes to, chosen by the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextOffer {
    pub author_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// What can be asked of an order. `at` is the service clock's "now".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OrderCommand {
    /// A client places an order; `number` is allocated by the service.
    PlaceOrder {
        number: i64,
        client_id: Uuid,
        work_type: String,
        subject: String,
        topic: String,
        pages: u32,
        deadline: NaiveDate,
        requirements: String,
        /// The on-shift manager the routing rule chose at placement (or the manager who
        /// took it by phone): the order is placed routed to them (one append). `None`:
        /// the router routes it later.
        manager_id: Option<Uuid>,
        source: OrderSource,
        /// The finished order this one repeats, if any.
        repeats: Option<Uuid>,
        /// Whether the client's account is a company's when the order is placed.
        corporate: bool,
        at: DateTime<Utc>,
    },
    /// Routing: the router hands an unrouted order to a manager. Changes nothing on an
    /// order that already has a manager, so a router reacting again (after a crash, a
    /// reset checkpoint) never moves an order (docs/decisions/006).
    RouteToManager {
        manager_id: Uuid,
        at: DateTime<Utc>,
    },
    /// An explicit re-route: the open order moves to `manager_id` whoever had it.
    ReassignManager {
        manager_id: Uuid,
        at: DateTime<Utc>,
    },
    /// A manager (or admin) sets the price and the author's fee.
    SetPrice {
        actor: Actor,
        price: Kopecks,
        author_fee: Kopecks,
        at: DateTime<Utc>,
    },
    /// A manager offers the order to an author (chosen by them or by the system).
    OfferToAuthor {
        actor: Actor,
        author_id: Uuid,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    AcceptOffer {
        author_id: Uuid,
        at: DateTime<Utc>,
    },
    DeclineOffer {
        author_id: Uuid,
        reason: String,
        at: DateTime<Utc>,
    },
    /// The offer's time ran out (issued by the service's timer); with `next`, the order
    /// is offered to the next author in the same step, so a timer that fires twice
    /// (or again after a crash) cannot offer twice.
    ExpireOffer {
        at: DateTime<Utc>,
        next: Option<NextOffer>,
    },
    /// A payment of one half, by hand or from the provider; idempotent per `payment_id`.
    RecordPayment {
        half: Half,
        amount: Kopecks,
        payment_id: String,
        guarantee_days: u32,
        at: DateTime<Utc>,
    },
    SubmitDraft {
        author_id: Uuid,
        file: FileRef,
        at: DateTime<Utc>,
    },
    ApproveDraft {
        actor: Actor,
        at: DateTime<Utc>,
    },
    RejectDraft {
        actor: Actor,
        comment: String,
        at: DateTime<Utc>,
    },
    SubmitFinal {
        author_id: Uuid,
        file: FileRef,
        at: DateTime<Utc>,
    },
    ApproveFinal {
        actor: Actor,
        guarantee_days: u32,
        at: DateTime<Utc>,
    },
    RejectFinal {
        actor: Actor,
        comment: String,
        at: DateTime<Utc>,
    },
    /// The client asks for changes: on the 50% preview, or after delivery within the guarantee.
    RequestRevision {
        client_id: Uuid,
        comment: String,
        at: DateTime<Utc>,
    },
    /// The client accepts the work and rates it 1..5; with `publish` their rating and review
    /// go on the site's public reviews (never their name).
    Complete {
        client_id: Uuid,
        rating: u8,
        review: String,
        publish: bool,
        at: DateTime<Utc>,
    },
    /// A manager (or admin) takes a published review off the site, saying why.
    HideReview {
        actor: Actor,
        reason: String,
        at: DateTime<Utc>,
    },
    /// The guarantee period ended without a revision: completes the order unrated.
    CloseAfterGuarantee {
        at: DateTime<Utc>,
    },
    /// A manager (or admin) gives money back for a failed order, and may compensate its
    /// author for the work done; `refund_id` is allocated by the service.
    RecordRefund {
        actor: Actor,
        refund_id: Uuid,
        amount: Kopecks,
        reason: String,
        compensation: Option<Kopecks>,
        at: DateTime<Utc>,
    },
    /// A party writes in the order's conversation; `message_id` is allocated by the service.
    PostMessage {
        actor: Actor,
        message_id: Uuid,
        text: String,
        at: DateTime<Utc>,
    },
    /// The order's manager (or an admin) lets a held message through; `text` is the
    /// message's own, looked up by the service (the order does not keep texts).
    ApproveMessage {
        actor: Actor,
        message_id: Uuid,
        text: String,
        at: DateTime<Utc>,
    },
    /// The order's manager (or an admin) refuses a held message, saying why.
    RejectMessage {
        actor: Actor,
        message_id: Uuid,
        reason: String,
        at: DateTime<Utc>,
    },
    /// "Сорван": the client before work starts, a manager or admin before delivery.
    Cancel {
        actor: Actor,
        reason: String,
        at: DateTime<Utc>,
    },
    /// The SLA worker flags a breach it found in the order table. `stage` is the order's
    /// stage (how many times its status changed) the worker saw: a stage limit of a stage
    /// the order has left, or a breach already flagged, changes nothing.
    FlagProblem {
        breach: Breach,
        stage: u32,
        at: DateTime<Utc>,
    },
    /// A manager changes any of these fields (the others stay); before the first half is
    /// paid. After it, only the deadline may move, by a proposal the client accepts: a
    /// change of the deadline alone then becomes that proposal.
    EditOrder {
        actor: Actor,
        changes: OrderChanges,
        at: DateTime<Utc>,
    },
    /// The offered author was blocked: their pending offer ends and, with `next`, the
    /// order is offered to the next author in the same step. Nothing when the order is no
    /// longer offered to them.
    WithdrawOffer {
        author_id: Uuid,
        next: Option<NextOffer>,
        at: DateTime<Utc>,
    },
    /// The order's manager was blocked and nobody is on shift: the order waits unrouted.
    /// Nothing when it is no longer theirs.
    ReleaseFromManager {
        manager_id: Uuid,
        at: DateTime<Utc>,
    },
    /// A manager lowers the price (a discount on the whole order, with its reason);
    /// before the first half is paid.
    GiveDiscount {
        actor: Actor,
        price: Kopecks,
        reason: String,
        at: DateTime<Utc>,
    },
    /// A manager adds an extra from the catalogue (its name and price looked up by the
    /// service) before the first half is paid.
    AddExtra {
        actor: Actor,
        code: String,
        name: String,
        price: Kopecks,
        at: DateTime<Utc>,
    },
    /// A manager removes an extra of the order before the first half is paid.
    RemoveExtra {
        actor: Actor,
        code: String,
        at: DateTime<Utc>,
    },
    /// The client pays `points` of the first half with loyalty points (already debited
    /// from their points by the service): at most the half, once, while the first half
    /// is due. A first half covered whole by points is paid.
    ApplyPoints {
        client_id: Uuid,
        points: Kopecks,
        at: DateTime<Utc>,
    },
    /// The client answers the proposed deadline.
    AnswerDeadline {
        client_id: Uuid,
        accept: bool,
        at: DateTime<Utc>,
    },
}

/// The fields of an order a manager may change; `None` leaves one as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderChanges {
    pub topic: Option<String>,
    pub pages: Option<u32>,
    pub deadline: Option<NaiveDate>,
    pub requirements: Option<String>,
    pub work_type: Option<String>,
    pub subject: Option<String>,
}
