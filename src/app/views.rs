//! What the service answers with: typed views of the read models, built for one caller by
//! the access policy (what they may see of an order, its files, its history).

use aggregates::order::{FileKind, OrderStatus};
use aggregates::Actor;
use chrono::{DateTime, NaiveDate, Utc};
use projections::client_history::HistoryEntry;
use projections::order_list::{FileRow, OrderRow};
use projections::users::UserRow;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::policy;

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

/// One order as a list shows it to one caller (the manager's table's fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderSummary {
    pub id: Uuid,
    pub number: i64,
    pub status: OrderStatus,
    pub work_type: String,
    pub subject: String,
    pub topic: String,
    pub pages: i64,
    pub deadline: NaiveDate,
    pub requirements: String,
    pub currency: String,
    pub price: Option<i64>,
    pub paid: i64,
    pub first_half: Option<i64>,
    pub second_half: Option<i64>,
    /// What the author is paid; absent for a caller kept from it (a client).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_fee: Option<Option<i64>>,
    pub client_id: Uuid,
    pub author_id: Option<Uuid>,
    pub author_name: Option<String>,
    pub manager_id: Option<Uuid>,
    pub offered_to: Option<Uuid>,
    #[serde(with = "rfc3339::option")]
    pub offer_expires_at: Option<DateTime<Utc>>,
    pub problem: bool,
    pub draft_rejections: i64,
    #[serde(with = "rfc3339::option")]
    pub guarantee_until: Option<DateTime<Utc>>,
    pub rating: Option<i64>,
    pub failure_reason: Option<String>,
    #[serde(with = "rfc3339")]
    pub placed_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl OrderSummary {
    /// The row as `actor` may see it.
    pub fn of(actor: &Actor, o: &OrderRow) -> OrderSummary {
        OrderSummary {
            id: o.id,
            number: o.number,
            status: o.status,
            work_type: o.work_type.clone(),
            subject: o.subject.clone(),
            topic: o.topic.clone(),
            pages: o.pages,
            deadline: o.deadline,
            requirements: o.requirements.clone(),
            currency: o.currency.clone(),
            price: o.price,
            paid: o.paid,
            first_half: o.first_half,
            second_half: o.second_half,
            author_fee: policy::sees_author_fee(actor).then_some(o.author_fee),
            client_id: o.client_id,
            author_id: o.author_id,
            author_name: o.author_name.clone(),
            manager_id: o.manager_id,
            offered_to: o.offered_to,
            offer_expires_at: o.offer_expires_at,
            problem: o.problem,
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileView {
    pub id: Uuid,
    pub kind: FileKind,
    pub name: String,
    pub size: i64,
    pub content_type: String,
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

/// One order as one caller may see it: the list's fields and the files that reach them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderView {
    #[serde(flatten)]
    pub order: OrderSummary,
    pub files: Vec<FileView>,
}

impl OrderView {
    pub fn of(actor: &Actor, o: &OrderRow, files: &[FileRow]) -> OrderView {
        OrderView {
            order: OrderSummary::of(actor, o),
            files: files
                .iter()
                .filter(|f| policy::sees_file_of(actor, o, f))
                .map(FileView::from)
                .collect(),
        }
    }
}

/// An order as it stood at a past moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderAsOf {
    #[serde(flatten)]
    pub order: OrderView,
    #[serde(with = "rfc3339")]
    pub as_of: DateTime<Utc>,
}

/// One page of the order list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderPage {
    pub items: Vec<OrderSummary>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The offer just made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfferMade {
    pub author_id: Uuid,
    #[serde(with = "rfc3339")]
    pub expires_at: DateTime<Utc>,
}

/// Who did something, as the log records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActorView {
    pub id: Option<Uuid>,
    pub role: Option<String>,
}

/// One event of an order's history as the log has it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventView {
    pub sequence: i64,
    pub position: i64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: String,
    #[serde(with = "rfc3339")]
    pub at: DateTime<Utc>,
    pub actor: ActorView,
    pub request_id: Option<String>,
    pub causation_id: Option<String>,
    /// The event's link in its stream's hash chain (null before the chain existed).
    pub hash: Value,
    /// The event's own fields, less what the caller may not see.
    pub data: Value,
}

/// One entry of the client-facing history of an order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryView {
    #[serde(with = "rfc3339")]
    pub at: DateTime<Utc>,
    pub event: String,
    pub status: OrderStatus,
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub role: aggregates::Role,
    pub blocked: bool,
}

impl From<&UserRow> for UserView {
    fn from(u: &UserRow) -> UserView {
        UserView {
            id: u.id,
            email: u.email.clone(),
            full_name: u.full_name.clone(),
            role: u.role,
            blocked: u.blocked,
        }
    }
}
