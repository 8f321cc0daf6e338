use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::aggregate::OrderStatus;
use super::messages::ContactKind;
use crate::{Kopecks, Role};

/// Which half of the price a payment is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Half {
    First,
    Second,
}

impl Half {
    /// The half this one is not.
    pub fn other(self) -> Half {
        match self {
            Half::First => Half::Second,
            Half::Second => Half::First,
        }
    }
}

/// A draft (the 50% work) or the final work; also which of them a manager rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Draft,
    Final,
}

impl FileKind {
    /// The kind's wire name (`draft`, `final`), as stored and answered.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Draft => "draft",
            FileKind::Final => "final",
        }
    }
}

impl std::str::FromStr for FileKind {
    type Err = crate::common::UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "draft" => Ok(FileKind::Draft),
            "final" => Ok(FileKind::Final),
            _ => Err(crate::common::UnknownCode {
                what: "file kind",
                code: s.to_string(),
            }),
        }
    }
}

/// An uploaded file, stored by content hash; the event records what it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub id: Uuid,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
}

/// Where an order came from: the client on the site, a guest's checkout without
/// registration, or a manager taking it by phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderSource {
    /// Placed by a logged-in client (and every order placed before sources were recorded).
    #[default]
    Site,
    GuestCheckout,
    Manager,
}

impl OrderSource {
    pub const ALL: [OrderSource; 3] = [
        OrderSource::Site,
        OrderSource::GuestCheckout,
        OrderSource::Manager,
    ];

    /// The wire name (`site`, `guest_checkout`, `manager`), as stored and answered.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderSource::Site => "site",
            OrderSource::GuestCheckout => "guest_checkout",
            OrderSource::Manager => "manager",
        }
    }

    pub fn parse(s: &str) -> Option<OrderSource> {
        OrderSource::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl std::str::FromStr for OrderSource {
    type Err = crate::common::UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderSource::parse(s).ok_or_else(|| crate::common::UnknownCode {
            what: "order source",
            code: s.to_string(),
        })
    }
}

/// One field a manager changed on an order before its first half was paid, with the
/// value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum OrderEdit {
    Topic { old: String, new: String },
    Pages { old: u32, new: u32 },
    Deadline { old: NaiveDate, new: NaiveDate },
    Requirements { old: String, new: String },
    WorkType { old: String, new: String },
    Subject { old: String, new: String },
}

impl OrderEdit {
    /// The field's wire name (`topic`, `pages`, …).
    pub fn field(&self) -> &'static str {
        match self {
            OrderEdit::Topic { .. } => "topic",
            OrderEdit::Pages { .. } => "pages",
            OrderEdit::Deadline { .. } => "deadline",
            OrderEdit::Requirements { .. } => "requirements",
            OrderEdit::WorkType { .. } => "work_type",
            OrderEdit::Subject { .. } => "subject",
        }
    }

    /// The old and the new value, as text.
    pub fn values(&self) -> (String, String) {
        match self {
            OrderEdit::Topic { old, new }
            | OrderEdit::Requirements { old, new }
            | OrderEdit::WorkType { old, new }
            | OrderEdit::Subject { old, new } => (old.clone(), new.clone()),
            OrderEdit::Pages { old, new } => (old.to_string(), new.to_string()),
            OrderEdit::Deadline { old, new } => (old.to_string(), new.to_string()),
        }
    }
}

/// An additional service on an order (from the catalogue), at its price when it was
/// added: a later change of the catalogue's price does not move it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderExtra {
    pub code: String,
    pub name: String,
    pub price: Kopecks,
}

/// A time limit an order broke: the admin's limit on one status (stage), or the client's
/// deadline passing before the work was delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Breach {
    /// The order stayed in `status` (entered at `since`) longer than `limit_hours`.
    StageLimit {
        status: OrderStatus,
        limit_hours: u32,
        since: DateTime<Utc>,
    },
    /// The deadline passed and the full work was not delivered.
    Deadline { deadline: NaiveDate },
}

/// Everything that can happen to an order. Type strings never change once shipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OrderEvent {
    OrderPlaced {
        number: i64,
        client_id: Uuid,
        work_type: String,
        subject: String,
        topic: String,
        pages: u32,
        deadline: NaiveDate,
        requirements: String,
        currency: String,
        /// Where it came from; absent (`site`) in the events placed before it was recorded.
        #[serde(default)]
        source: OrderSource,
        /// The order this one repeats (a finished order the client ordered again).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        repeats: Option<Uuid>,
        /// Placed for a company's account (the reports tell corporate revenue apart); absent
        /// (an individual's) in the events placed before it was recorded.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        corporate: bool,
    },
    RoutedToManager {
        manager_id: Uuid,
    },
    PriceSet {
        price: Kopecks,
        author_fee: Kopecks,
        first_half: Kopecks,
        second_half: Kopecks,
    },
    AuthorOffered {
        author_id: Uuid,
        expires_at: DateTime<Utc>,
    },
    OfferAccepted {
        author_id: Uuid,
    },
    OfferDeclined {
        author_id: Uuid,
        reason: String,
    },
    OfferExpired {
        author_id: Uuid,
    },
    PaymentReceived {
        half: Half,
        amount: Kopecks,
        payment_id: String,
    },
    DraftSubmitted {
        file: FileRef,
    },
    DraftApproved,
    DraftRejected {
        comment: String,
    },
    FinalSubmitted {
        file: FileRef,
    },
    FinalApproved,
    FinalRejected {
        comment: String,
    },
    /// Both halves paid and the final approved: the full work goes to the client.
    OrderDelivered {
        guarantee_until: DateTime<Utc>,
    },
    RevisionRequested {
        comment: String,
    },
    OrderCompleted {
        rating: Option<u8>,
        review: String,
    },
    OrderFailed {
        reason: String,
        by: Role,
    },
    /// The client put their review on the site: what the public list shows, carried by the
    /// event itself (the rating, the text, the work type and subject; never a name).
    ReviewPublished {
        rating: u8,
        review: String,
        work_type: String,
        subject: String,
    },
    /// A manager took the published review off the site.
    ReviewHidden {
        reason: String,
    },
    /// A party wrote in the order's conversation. `held`: it seemed to carry a contact
    /// (`held_for` says which kind) and waits for the manager; only its sender and the
    /// company see it until then.
    MessagePosted {
        message_id: Uuid,
        by: Role,
        sender_id: Uuid,
        text: String,
        held: bool,
        #[serde(default)]
        held_for: Option<ContactKind>,
        at: DateTime<Utc>,
    },
    /// The manager let a held message through: carries what the other parties now see
    /// (the sender's side and the text; never a name or an id).
    MessageApproved {
        message_id: Uuid,
        from: Role,
        text: String,
        at: DateTime<Utc>,
    },
    /// The manager refused a held message: the other parties never see it.
    MessageRejected {
        message_id: Uuid,
        reason: String,
        at: DateTime<Utc>,
    },
    /// Money given back to the client for a failed order (one of possibly several parts;
    /// together never above what was paid).
    RefundRecorded {
        refund_id: Uuid,
        amount: Kopecks,
        reason: String,
        at: DateTime<Utc>,
    },
    /// A payment to the order's author for the work done before it failed (at most their
    /// fee, once per order); the author's ledger credits it.
    CompensationGranted {
        author_id: Uuid,
        amount: Kopecks,
        at: DateTime<Utc>,
    },
    /// The SLA worker found the order over a time limit (once per breach): a problem in
    /// the manager's table until the order moves on (a stage limit: its next status; the
    /// deadline: its delivery or end).
    ProblemFlagged {
        breach: Breach,
        at: DateTime<Utc>,
    },
    /// The author's pending offer ended because they were blocked (the next author, if
    /// any, is offered in the same step).
    OfferWithdrawn {
        author_id: Uuid,
    },
    /// The order's manager was blocked and nobody was on shift to take it: it waits for
    /// the next manager who starts a shift.
    ManagerReleased {
        manager_id: Uuid,
    },
    /// A manager changed the order before its first half was paid.
    OrderEdited {
        edits: Vec<OrderEdit>,
    },
    /// A manager lowered the price, on the whole order, saying why; the halves follow.
    DiscountGiven {
        old_price: Kopecks,
        price: Kopecks,
        first_half: Kopecks,
        second_half: Kopecks,
        reason: String,
    },
    /// A manager added an extra before the first half was paid, at its catalogue price:
    /// the price and the halves follow (none before the order is priced: the price set
    /// then includes the extras).
    ExtraAdded {
        code: String,
        name: String,
        price: Kopecks,
        new_price: Option<Kopecks>,
        first_half: Option<Kopecks>,
        second_half: Option<Kopecks>,
    },
    /// A manager removed an extra before the first half was paid: its price (as added)
    /// comes off the order's, and the halves follow.
    ExtraRemoved {
        code: String,
        name: String,
        price: Kopecks,
        new_price: Option<Kopecks>,
        first_half: Option<Kopecks>,
        second_half: Option<Kopecks>,
    },
    /// After the first half was paid, a manager asks the client to move the deadline.
    DeadlineProposed {
        deadline: NaiveDate,
    },
    /// The client agreed: the deadline moves.
    DeadlineMoved {
        old: NaiveDate,
        new: NaiveDate,
    },
    /// The client refused the proposed deadline; the old one stands.
    DeadlineProposalDeclined {
        deadline: NaiveDate,
    },
    /// The client paid `points` of the first half with loyalty points (1 point = 1
    /// kopeck); `first_half_due` is what is left to pay in money. At 0 the first half is
    /// paid and the work starts.
    PointsApplied {
        points: Kopecks,
        first_half_due: Kopecks,
    },
}

impl DomainEvent for OrderEvent {
    fn event_type(&self) -> String {
        let name = match self {
            OrderEvent::OrderPlaced { .. } => "OrderPlaced",
            OrderEvent::RoutedToManager { .. } => "RoutedToManager",
            OrderEvent::PriceSet { .. } => "PriceSet",
            OrderEvent::AuthorOffered { .. } => "AuthorOffered",
            OrderEvent::OfferAccepted { .. } => "OfferAccepted",
            OrderEvent::OfferDeclined { .. } => "OfferDeclined",
            OrderEvent::OfferExpired { .. } => "OfferExpired",
            OrderEvent::PaymentReceived { .. } => "PaymentReceived",
            OrderEvent::DraftSubmitted { .. } => "DraftSubmitted",
            OrderEvent::DraftApproved => "DraftApproved",
            OrderEvent::DraftRejected { .. } => "DraftRejected",
            OrderEvent::FinalSubmitted { .. } => "FinalSubmitted",
            OrderEvent::FinalApproved => "FinalApproved",
            OrderEvent::FinalRejected { .. } => "FinalRejected",
            OrderEvent::OrderDelivered { .. } => "OrderDelivered",
            OrderEvent::RevisionRequested { .. } => "RevisionRequested",
            OrderEvent::OrderCompleted { .. } => "OrderCompleted",
            OrderEvent::OrderFailed { .. } => "OrderFailed",
            OrderEvent::ReviewPublished { .. } => "ReviewPublished",
            OrderEvent::ReviewHidden { .. } => "ReviewHidden",
            OrderEvent::RefundRecorded { .. } => "RefundRecorded",
            OrderEvent::CompensationGranted { .. } => "CompensationGranted",
            OrderEvent::ProblemFlagged { .. } => "ProblemFlagged",
            OrderEvent::OfferWithdrawn { .. } => "OfferWithdrawn",
            OrderEvent::ManagerReleased { .. } => "ManagerReleased",
            OrderEvent::OrderEdited { .. } => "OrderEdited",
            OrderEvent::DiscountGiven { .. } => "DiscountGiven",
            OrderEvent::ExtraAdded { .. } => "ExtraAdded",
            OrderEvent::ExtraRemoved { .. } => "ExtraRemoved",
            OrderEvent::DeadlineProposed { .. } => "DeadlineProposed",
            OrderEvent::DeadlineMoved { .. } => "DeadlineMoved",
            OrderEvent::DeadlineProposalDeclined { .. } => "DeadlineProposalDeclined",
            OrderEvent::MessagePosted { .. } => "MessagePosted",
            OrderEvent::MessageApproved { .. } => "MessageApproved",
            OrderEvent::MessageRejected { .. } => "MessageRejected",
            OrderEvent::PointsApplied { .. } => "PointsApplied",
        };
        name.to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
