//! What the service answers with: typed views of the read models, built for one caller by
//! the access policy (what they may see of an order, its files, its history).
//!
//! They are also the schemas of the OpenAPI document (`ToSchema`, under the names API.md
//! uses): what is answered and what is documented are one type, so they cannot differ.
//! Every field is required unless the view may leave it out; a field that may be null
//! says `required = true` (utoipa takes an `Option` as "may be absent" otherwise).

use aggregates::order::{FileKind, OrderSource, OrderStatus};
use aggregates::Actor;
use chrono::{DateTime, NaiveDate, Utc};
use projections::client_history::HistoryEntry;
use projections::feed::StoredEvent;
use projections::order_list::{FileRow, OrderRow};
use projections::users::UserRow;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::policy;
use super::schemas::{FileKindSchema, OrderSourceSchema, OrderStatusSchema, RoleSchema};

/// Times are answered as RFC 3339 with a numeric offset (`…+00:00`), as they are stored.
pub mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339())
    }

    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::Serializer;

        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&t.to_rfc3339()),
                None => s.serialize_none(),
            }
        }
    }
}

/// An order as the list shows it. Money is in kopecks.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OrderSummary {
    pub id: Uuid,
    /// 1, 2, 3, … in placement order.
    #[schema(minimum = 1)]
    pub number: i64,
    #[schema(value_type = OrderStatusSchema)]
    pub status: OrderStatus,
    /// Where the order came from.
    #[schema(value_type = OrderSourceSchema)]
    pub source: OrderSource,
    /// The finished order this one repeats (null for a first order).
    #[schema(required = true)]
    pub repeats: Option<Uuid>,
    /// Placed for a company's account (the reports tell them from individuals').
    pub corporate: bool,
    #[schema(examples("term_paper"))]
    pub work_type: String,
    pub subject: String,
    pub topic: String,
    #[schema(minimum = 1, maximum = 1000)]
    pub pages: i64,
    pub deadline: NaiveDate,
    /// A new deadline the manager proposed after the first half, waiting for the client
    /// (null when none).
    #[schema(required = true)]
    pub proposed_deadline: Option<NaiveDate>,
    pub requirements: String,
    #[schema(schema_with = super::schemas::currency)]
    pub currency: String,
    /// Kopecks; null until the order is priced.
    #[schema(required = true)]
    pub price: Option<i64>,
    /// Kopecks paid so far.
    pub paid: i64,
    /// Kopecks refunded so far (never above `paid`).
    #[schema(minimum = 0)]
    pub refunded: i64,
    /// Kopecks granted to the author for their work on the failed order (null: none);
    /// never shown to a client, whose answers leave the field out.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub compensation: Option<Option<i64>>,
    /// Kopecks due before the work starts; null until the order is priced.
    #[schema(required = true)]
    pub first_half: Option<i64>,
    /// Loyalty points (1 point = 1 kopeck) the client paid part of the first half with;
    /// 0 when none. First half = money paid for it + points.
    #[schema(minimum = 0)]
    pub points: i64,
    /// Kopecks of the first half still to be paid in money (`first_half - points`; null
    /// until the order is priced).
    #[schema(required = true)]
    pub first_half_due: Option<i64>,
    /// Kopecks due before the final work is released; null until the order is priced.
    #[schema(required = true)]
    pub second_half: Option<i64>,
    /// What the author is paid, in kopecks (null until the order is priced); never
    /// shown to a client, whose answers leave the field out.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub author_fee: Option<Option<i64>>,
    /// The client; never shown to an author, whose answers leave the field out.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Uuid, required = false)]
    pub client_id: Option<Uuid>,
    #[schema(required = true)]
    pub author_id: Option<Uuid>,
    /// Null until an author accepts.
    #[schema(required = true)]
    pub author_name: Option<String>,
    #[schema(required = true)]
    pub manager_id: Option<Uuid>,
    /// The author the order is offered to now.
    #[schema(required = true)]
    pub offered_to: Option<Uuid>,
    #[serde(with = "rfc3339::option")]
    #[schema(required = true)]
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// Over a time limit: its status's (a stage limit) or the deadline before delivery.
    pub problem: bool,
    /// Which limit, in words (null without a problem), e.g. "in draft_review longer than
    /// its limit of 4 h (since 2030-03-01T12:00:00+00:00)".
    #[schema(required = true)]
    pub problem_reason: Option<String>,
    /// The stage limit broken, in hours (for the pages' own words).
    #[serde(skip)]
    pub stage_limit_hours: Option<i64>,
    /// The deadline passed before delivery (for the pages' own words).
    #[serde(skip)]
    pub deadline_breach: bool,
    #[schema(minimum = 0)]
    pub draft_rejections: i64,
    #[serde(with = "rfc3339::option")]
    #[schema(required = true)]
    pub guarantee_until: Option<DateTime<Utc>>,
    #[schema(required = true, minimum = 1, maximum = 5)]
    pub rating: Option<i64>,
    #[schema(required = true)]
    pub failure_reason: Option<String>,
    #[serde(with = "rfc3339")]
    pub placed_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// The order's problems in words: the stage limit its status broke, the deadline passed.
pub fn problem_reason(o: &OrderRow) -> Option<String> {
    let mut reasons = Vec::new();
    if let Some(hours) = o.stage_limit_hours {
        reasons.push(format!(
            "in {} longer than its limit of {hours} h (since {})",
            o.status,
            o.status_since.to_rfc3339()
        ));
    }
    if o.deadline_breach {
        reasons.push(format!(
            "the deadline {} passed before delivery",
            o.deadline
        ));
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

impl OrderSummary {
    /// The row as `actor` may see it.
    pub fn of(actor: &Actor, o: &OrderRow) -> OrderSummary {
        OrderSummary {
            id: o.id,
            number: o.number,
            status: o.status,
            source: o.source,
            repeats: o.repeats,
            corporate: o.corporate,
            proposed_deadline: o.proposed_deadline,
            work_type: o.work_type.clone(),
            subject: o.subject.clone(),
            topic: o.topic.clone(),
            pages: o.pages,
            deadline: o.deadline,
            requirements: o.requirements.clone(),
            currency: o.currency.clone(),
            price: o.price,
            paid: o.paid,
            refunded: o.refunded,
            compensation: policy::sees_author_fee(actor).then_some(o.compensation),
            first_half: o.first_half,
            points: o.points,
            first_half_due: o.first_half.map(|h| h - o.points),
            second_half: o.second_half,
            author_fee: policy::sees_author_fee(actor).then_some(o.author_fee),
            client_id: policy::sees_client(actor).then_some(o.client_id),
            author_id: o.author_id,
            author_name: o.author_name.clone(),
            manager_id: o.manager_id,
            offered_to: o.offered_to,
            offer_expires_at: o.offer_expires_at,
            problem: o.problem,
            problem_reason: problem_reason(o),
            stage_limit_hours: o.stage_limit_hours,
            deadline_breach: o.deadline_breach,
            draft_rejections: o.draft_rejections,
            guarantee_until: o.guarantee_until,
            rating: o.rating,
            failure_reason: o.failure_reason.clone(),
            placed_at: o.placed_at,
            updated_at: o.updated_at,
        }
    }
}

/// A file of an order.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = File)]
pub struct FileView {
    pub id: Uuid,
    #[schema(value_type = FileKindSchema)]
    pub kind: FileKind,
    /// The name it was uploaded with.
    pub name: String,
    /// Bytes.
    #[schema(minimum = 1)]
    pub size: i64,
    pub content_type: String,
    /// Hex SHA-256 of its bytes.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
    #[serde(with = "rfc3339")]
    pub uploaded_at: DateTime<Utc>,
}

impl From<&FileRow> for FileView {
    fn from(f: &FileRow) -> FileView {
        FileView {
            id: f.id,
            kind: f.kind,
            name: f.name.clone(),
            size: f.size,
            content_type: f.content_type.clone(),
            sha256: f.sha256.clone(),
            uploaded_at: f.uploaded_at,
        }
    }
}

/// An extra service on an order, at its price when it was added (part of the price).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = OrderExtra)]
pub struct ExtraView {
    /// The catalogue's code.
    #[schema(examples("urgent"))]
    pub code: String,
    pub name: String,
    /// Kopecks.
    #[schema(minimum = 1)]
    pub price: i64,
}

impl From<&aggregates::order::OrderExtra> for ExtraView {
    fn from(e: &aggregates::order::OrderExtra) -> ExtraView {
        ExtraView {
            code: e.code.clone(),
            name: e.name.clone(),
            price: e.price,
        }
    }
}

/// An order with its extras and the files that reach the caller.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Order)]
pub struct OrderView {
    #[serde(flatten)]
    pub order: OrderSummary,
    /// The extra services on the order, in the order they were added; their prices are
    /// in `price`.
    pub extras: Vec<ExtraView>,
    pub files: Vec<FileView>,
}

impl OrderView {
    pub fn of(
        actor: &Actor,
        o: &OrderRow,
        files: &[FileRow],
        extras: &[aggregates::order::OrderExtra],
    ) -> OrderView {
        OrderView {
            order: OrderSummary::of(actor, o),
            extras: extras.iter().map(ExtraView::from).collect(),
            files: files
                .iter()
                .filter(|f| policy::sees_file_of(actor, o, f))
                .map(FileView::from)
                .collect(),
        }
    }
}

/// An order as it stood at a past moment, rebuilt from the log (`problem` is false).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OrderAsOf {
    #[serde(flatten)]
    pub order: OrderView,
    /// The moment asked for.
    #[serde(with = "rfc3339")]
    pub as_of: DateTime<Utc>,
}

/// One page of the order list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OrderPage {
    /// The page's orders (without their files).
    pub items: Vec<OrderSummary>,
    /// Orders matching, on every page.
    #[schema(minimum = 0)]
    pub total: i64,
    #[schema(minimum = 1)]
    pub page: i64,
    #[schema(minimum = 1)]
    pub per_page: i64,
}

/// A payment notification, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PaymentReceipt {
    pub order_id: Uuid,
    pub payment_id: String,
    /// `first` or `second`.
    #[schema(examples("first"))]
    pub half: String,
    /// Kopecks.
    #[schema(minimum = 1)]
    pub amount: i64,
    /// True when this notification recorded the payment; false when it had been
    /// recorded before (a repeat changes nothing).
    pub recorded: bool,
}

/// A refund just recorded, with the order's totals after it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Refund)]
pub struct RefundMade {
    pub refund_id: Uuid,
    /// Kopecks given back.
    #[schema(minimum = 1)]
    pub amount: i64,
    pub reason: String,
    /// Kopecks granted to the author with it (null: none).
    #[schema(required = true, minimum = 1)]
    pub compensation: Option<i64>,
    #[serde(with = "rfc3339")]
    pub at: DateTime<Utc>,
    /// Kopecks refunded on the order so far, this refund included.
    #[schema(minimum = 1)]
    pub refunded: i64,
    /// Kopecks paid on the order.
    #[schema(minimum = 0)]
    pub paid: i64,
}

/// The offer just made.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OfferMade {
    /// The author it went to.
    pub author_id: Uuid,
    /// When it passes to the next author unless answered.
    #[serde(with = "rfc3339")]
    pub expires_at: DateTime<Utc>,
}

/// Who caused an event: both null for the system.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActorView {
    #[schema(required = true)]
    pub id: Option<Uuid>,
    #[schema(required = true)]
    pub role: Option<String>,
}

/// One event of an order's stream as the log has it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventView {
    /// 1, 2, 3, … within its stream.
    #[schema(minimum = 1)]
    pub sequence: i64,
    /// Its place in the global log.
    pub position: i64,
    #[serde(rename = "type")]
    #[schema(examples("OrderPlaced"))]
    pub event_type: String,
    pub version: String,
    /// When it happened.
    #[serde(with = "rfc3339")]
    pub at: DateTime<Utc>,
    #[schema(inline)]
    pub actor: ActorView,
    /// The request that caused it.
    #[schema(required = true)]
    pub request_id: Option<String>,
    /// What caused it: `request:<request id>`, or `event:<position>` for a worker's
    /// command; null before it was recorded.
    #[schema(required = true)]
    pub causation_id: Option<String>,
    /// Hex SHA-256 of the event, its link in its stream's hash chain; null for one
    /// written before the chain.
    #[schema(value_type = Option<String>, required = true, pattern = "^[0-9a-f]{64}$")]
    pub hash: Value,
    /// The event's own fields, less what the caller may not see.
    #[schema(value_type = Object)]
    pub data: Value,
}

impl EventView {
    /// The stored event with `data` as its fields.
    pub fn of(e: &StoredEvent, data: Value) -> EventView {
        EventView {
            sequence: e.sequence,
            position: e.cursor.position,
            event_type: e.event_type.clone(),
            version: e.event_version.clone(),
            at: e.meta.at,
            actor: ActorView {
                id: e.meta.actor_id,
                role: e.meta.actor_role.clone(),
            },
            request_id: e.meta.request_id.clone(),
            causation_id: e.meta.causation_id.clone(),
            hash: super::orders::event_hash(e),
            data,
        }
    }
}

/// One entry of an order's history as its client sees it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = HistoryEntry)]
pub struct HistoryView {
    #[serde(with = "rfc3339")]
    pub at: DateTime<Utc>,
    pub event: String,
    /// The status the order had after it.
    #[schema(value_type = OrderStatusSchema)]
    pub status: OrderStatus,
    #[schema(required = true)]
    pub note: Option<String>,
}

impl From<&HistoryEntry> for HistoryView {
    fn from(h: &HistoryEntry) -> HistoryView {
        HistoryView {
            at: h.at,
            event: h.event.clone(),
            status: h.status,
            note: h.note.clone(),
        }
    }
}

/// A user as others see them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserView {
    pub id: Uuid,
    #[schema(format = Email)]
    pub email: String,
    pub full_name: String,
    #[schema(value_type = RoleSchema)]
    pub role: aggregates::Role,
    /// A blocked user can neither log in nor use a token issued before.
    pub blocked: bool,
    /// The company a client's account is for (null: an individual).
    #[schema(required = true)]
    pub company: Option<CompanyDetails>,
}

/// A company's details: a client's account that is a company's.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct CompanyDetails {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The taxpayer number (INN): 10 digits for an organisation, 12 for a sole trader,
    /// with the right check digits.
    #[schema(min_length = 10, max_length = 12, examples("7707083893"))]
    pub tax_id: String,
    #[schema(min_length = 1, max_length = 200)]
    pub contact_person: String,
}

impl CompanyDetails {
    /// The details checked (422 when not).
    pub fn parse(&self) -> Result<aggregates::user::Company, super::AppError> {
        aggregates::user::Company::parse(&self.name, &self.tax_id, &self.contact_person)
            .map_err(|e| super::AppError::Invalid(e.to_string()))
    }
}

impl From<&aggregates::user::Company> for CompanyDetails {
    fn from(c: &aggregates::user::Company) -> CompanyDetails {
        CompanyDetails {
            name: c.name.clone(),
            tax_id: c.tax_id.clone(),
            contact_person: c.contact_person.clone(),
        }
    }
}

impl From<&UserRow> for UserView {
    fn from(u: &UserRow) -> UserView {
        UserView {
            id: u.id,
            email: u.email.clone(),
            full_name: u.full_name.clone(),
            role: u.role,
            blocked: u.blocked,
            company: u.company.as_ref().map(CompanyDetails::from),
        }
    }
}
