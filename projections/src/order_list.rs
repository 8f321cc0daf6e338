//! The manager's order table (`order_list`), the authors each order was offered to
//! (`order_offers`) and its files (`order_files`); plus the scoped, filtered, sorted,
//! paged queries the order endpoints serve.

use aggregates::order::{FileKind, OrderEvent, OrderStatus};
use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError};
use crate::sql::{Arg, Db, Row, Tx};

pub struct OrderListProjection;

#[async_trait]
impl Projection for OrderListProjection {
    fn tables(&self) -> &'static [&'static str] {
        &["order_list", "order_offers", "order_files"]
    }

    async fn apply(&self, tx: &mut Tx, ev: &StoredEvent) -> Result<(), ProjectionError> {
        if ev.aggregate_type != "Order" {
            return Ok(());
        }
        let event: OrderEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
        let id = ev.aggregate_id.as_str();
        let at = ev.meta.at.to_rfc3339();
        if let OrderEvent::OrderPlaced {
            number,
            client_id,
            work_type,
            subject,
            topic,
            pages,
            deadline,
            requirements,
            currency,
        } = &event
        {
            tx.execute(
                "INSERT INTO order_list (id, number, status, work_type, subject, topic, topic_lc, pages, \
                   deadline, requirements, currency, client_id, placed_at, updated_at) \
                 VALUES ($1, $2, 'new', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
                 ON CONFLICT (id) DO NOTHING",
                &crate::args![
                    id,
                    *number,
                    work_type.as_str(),
                    subject.as_str(),
                    topic.as_str(),
                    topic.to_lowercase(),
                    i64::from(*pages),
                    deadline.to_string(),
                    requirements.as_str(),
                    currency.as_str(),
                    *client_id,
                    at.as_str()
                ],
            )
            .await?;
            return Ok(());
        }

        let Some(row) = tx
            .fetch_optional(
                "SELECT status FROM order_list WHERE id = $1",
                &crate::args![id],
            )
            .await?
        else {
            tracing::warn!(order = id, event = %ev.event_type, "event for an order the table does not have");
            return Ok(());
        };
        let current = OrderStatus::parse(&row.text("status")?).unwrap_or_default();
        let status = current.after(&event).as_str();

        // The columns this event sets, besides status and updated_at.
        let (sets, mut args): (&str, Vec<Arg>) = match &event {
            OrderEvent::OrderPlaced { .. } => unreachable!("handled above"),
            OrderEvent::RoutedToManager { manager_id } => {
                ("manager_id = $4", crate::args![*manager_id].to_vec())
            }
            OrderEvent::PriceSet {
                price,
                author_fee,
                first_half,
                second_half,
            } => (
                "price = $4, author_fee = $5, first_half = $6, second_half = $7",
                crate::args![*price, *author_fee, *first_half, *second_half].to_vec(),
            ),
            OrderEvent::AuthorOffered {
                author_id,
                expires_at,
            } => {
                tx.execute(
                    "INSERT INTO order_offers (order_id, author_id, offered_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (order_id, author_id) DO NOTHING",
                    &crate::args![id, *author_id, at.as_str()],
                )
                .await?;
                (
                    "offered_to = $4, offer_expires_at = $5",
                    crate::args![*author_id, expires_at.to_rfc3339()].to_vec(),
                )
            }
            OrderEvent::OfferAccepted { author_id } => (
                "author_id = $4, author_name = (SELECT full_name FROM users WHERE id = $4), \
                 offered_to = NULL, offer_expires_at = NULL",
                crate::args![*author_id].to_vec(),
            ),
            OrderEvent::OfferDeclined { .. } | OrderEvent::OfferExpired { .. } => {
                ("offered_to = NULL, offer_expires_at = NULL", vec![])
            }
            OrderEvent::PaymentReceived { amount, .. } => {
                ("paid = paid + $4", crate::args![*amount].to_vec())
            }
            OrderEvent::DraftSubmitted { file } | OrderEvent::FinalSubmitted { file } => {
                let kind = match event {
                    OrderEvent::DraftSubmitted { .. } => FileKind::Draft,
                    _ => FileKind::Final,
                };
                tx.execute(
                    "INSERT INTO order_files (id, order_id, position, kind, name, size, content_type, sha256, uploaded_at) \
                     VALUES ($1, $2, $9, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
                    &crate::args![
                        file.id,
                        id,
                        kind_str(kind),
                        file.name.as_str(),
                        file.size,
                        file.content_type.as_str(),
                        file.sha256.as_str(),
                        at.as_str(),
                        ev.cursor.position
                    ],
                )
                .await?;
                ("", vec![])
            }
            OrderEvent::DraftRejected { .. } => ("draft_rejections = draft_rejections + 1", vec![]),
            OrderEvent::OrderDelivered { guarantee_until } => (
                "guarantee_until = $4",
                crate::args![guarantee_until.to_rfc3339()].to_vec(),
            ),
            OrderEvent::OrderCompleted { rating, .. } => {
                ("rating = $4", crate::args![rating.map(i64::from)].to_vec())
            }
            OrderEvent::OrderFailed { reason, .. } => (
                "failure_reason = $4",
                crate::args![reason.as_str()].to_vec(),
            ),
            OrderEvent::DraftApproved | OrderEvent::FinalApproved => {
                let kind = if matches!(event, OrderEvent::DraftApproved) {
                    "draft"
                } else {
                    "final"
                };
                // The approved file is the latest of its kind: the one under review.
                tx.execute(
                    "UPDATE order_files SET approved = true WHERE id = \
                     (SELECT id FROM order_files WHERE order_id = $1 AND kind = $2 \
                      ORDER BY position DESC LIMIT 1)",
                    &crate::args![id, kind],
                )
                .await?;
                ("", vec![])
            }
            OrderEvent::FinalRejected { .. } | OrderEvent::RevisionRequested { .. } => ("", vec![]),
        };
        let sets = if sets.is_empty() {
            String::new()
        } else {
            format!(", {sets}")
        };
        let mut all = crate::args![id, status, at.as_str()].to_vec();
        all.append(&mut args);
        tx.execute(
            &format!("UPDATE order_list SET status = $2, updated_at = $3{sets} WHERE id = $1"),
            &all,
        )
        .await?;
        Ok(())
    }
}

fn kind_str(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Draft => "draft",
        FileKind::Final => "final",
    }
}

/// One row of the order table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderRow {
    pub id: Uuid,
    pub number: i64,
    pub status: String,
    pub work_type: String,
    pub subject: String,
    pub topic: String,
    pub pages: i64,
    pub deadline: String,
    pub requirements: String,
    pub currency: String,
    pub price: Option<i64>,
    pub author_fee: Option<i64>,
    pub first_half: Option<i64>,
    pub second_half: Option<i64>,
    pub paid: i64,
    pub client_id: Uuid,
    pub manager_id: Option<Uuid>,
    pub offered_to: Option<Uuid>,
    pub offer_expires_at: Option<String>,
    pub author_id: Option<Uuid>,
    pub author_name: Option<String>,
    pub problem: bool,
    pub draft_rejections: i64,
    pub guarantee_until: Option<String>,
    pub rating: Option<i64>,
    pub failure_reason: Option<String>,
    pub placed_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, number, status, work_type, subject, topic, pages, deadline, requirements, \
     currency, price, author_fee, first_half, second_half, paid, client_id, manager_id, offered_to, \
     offer_expires_at, author_id, author_name, problem, draft_rejections, guarantee_until, rating, \
     failure_reason, placed_at, updated_at";

impl OrderRow {
    fn from_row(r: &Row) -> Result<OrderRow, sqlx::Error> {
        Ok(OrderRow {
            id: r.uuid("id")?,
            number: r.int("number")?,
            status: r.text("status")?,
            work_type: r.text("work_type")?,
            subject: r.text("subject")?,
            topic: r.text("topic")?,
            pages: r.int("pages")?,
            deadline: r.text("deadline")?,
            requirements: r.text("requirements")?,
            currency: r.text("currency")?,
            price: r.opt_int("price")?,
            author_fee: r.opt_int("author_fee")?,
            first_half: r.opt_int("first_half")?,
            second_half: r.opt_int("second_half")?,
            paid: r.int("paid")?,
            client_id: r.uuid("client_id")?,
            manager_id: r.opt_uuid("manager_id")?,
            offered_to: r.opt_uuid("offered_to")?,
            offer_expires_at: r.opt_text("offer_expires_at")?,
            author_id: r.opt_uuid("author_id")?,
            author_name: r.opt_text("author_name")?,
            problem: r.bool("problem")?,
            draft_rejections: r.int("draft_rejections")?,
            guarantee_until: r.opt_text("guarantee_until")?,
            rating: r.opt_int("rating")?,
            failure_reason: r.opt_text("failure_reason")?,
            placed_at: r.text("placed_at")?,
            updated_at: r.text("updated_at")?,
        })
    }
}

/// Whose orders a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Admin, auditor, payout clerk: every order.
    All,
    /// A client: their own orders.
    Client(Uuid),
    /// An author: orders assigned to them or currently offered to them.
    Author(Uuid),
    /// A manager: orders routed to them, and unrouted ones waiting for a manager.
    Manager(Uuid),
}

/// How the list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    NumberAsc,
    NumberDesc,
    DeadlineAsc,
    DeadlineDesc,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "number" => Sort::NumberAsc,
            "-number" => Sort::NumberDesc,
            "deadline" => Sort::DeadlineAsc,
            "-deadline" => Sort::DeadlineDesc,
            _ => return None,
        })
    }

    fn sql(self) -> &'static str {
        match self {
            Sort::NumberAsc => "number ASC",
            Sort::NumberDesc => "number DESC",
            Sort::DeadlineAsc => "deadline ASC, number ASC",
            Sort::DeadlineDesc => "deadline DESC, number DESC",
        }
    }
}

/// A validated list query.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub status: Option<OrderStatus>,
    pub author_id: Option<Uuid>,
    pub problem: Option<bool>,
    pub q: Option<String>,
    pub sort: Sort,
    pub page: i64,
    pub per_page: i64,
}

/// One page of orders and how many match in all.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub items: Vec<OrderRow>,
    pub total: i64,
}

pub async fn list(db: &Db, scope: Scope, query: &ListQuery) -> Result<Page, sqlx::Error> {
    let mut conds: Vec<String> = Vec::new();
    let mut args: Vec<Arg> = Vec::new();
    let mut push = |cond: &str, values: &[Arg], args: &mut Vec<Arg>| {
        let mut cond = cond.to_string();
        for (i, v) in values.iter().enumerate() {
            args.push(v.clone());
            cond = cond.replace(
                &format!("${}", (b'a' + i as u8) as char),
                &format!("${}", args.len()),
            );
        }
        conds.push(cond);
    };
    match scope {
        Scope::All => {}
        Scope::Client(id) => push("client_id = $a", &crate::args![id], &mut args),
        Scope::Author(id) => push(
            "(author_id = $a OR offered_to = $a)",
            &crate::args![id],
            &mut args,
        ),
        Scope::Manager(id) => push(
            "(manager_id = $a OR manager_id IS NULL)",
            &crate::args![id],
            &mut args,
        ),
    }
    if let Some(s) = query.status {
        push("status = $a", &crate::args![s.as_str()], &mut args);
    }
    if let Some(a) = query.author_id {
        push("author_id = $a", &crate::args![a], &mut args);
    }
    if let Some(p) = query.problem {
        push("problem = $a", &crate::args![p], &mut args);
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
        match q.trim_start_matches('#').parse::<i64>() {
            Ok(n) => push(
                "(number = $a OR topic_lc LIKE $b ESCAPE '\\')",
                &crate::args![n, pattern],
                &mut args,
            ),
            Err(_) => push(
                "topic_lc LIKE $a ESCAPE '\\'",
                &crate::args![pattern],
                &mut args,
            ),
        }
    }
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let total = db
        .fetch_one(
            &format!("SELECT COUNT(*) AS n FROM order_list {filter}"),
            &args,
        )
        .await?
        .int("n")?;
    let n = args.len();
    args.push(Arg::Int(query.per_page));
    args.push(Arg::Int((query.page - 1) * query.per_page));
    let rows = db
        .fetch_all(
            &format!(
                "SELECT {COLUMNS} FROM order_list {filter} ORDER BY {} LIMIT ${} OFFSET ${}",
                query.sort.sql(),
                n + 1,
                n + 2
            ),
            &args,
        )
        .await?;
    let items = rows
        .iter()
        .map(OrderRow::from_row)
        .collect::<Result<_, _>>()?;
    Ok(Page { items, total })
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<OrderRow>, sqlx::Error> {
    db.fetch_optional(
        &format!("SELECT {COLUMNS} FROM order_list WHERE id = $1"),
        &crate::args![id],
    )
    .await?
    .map(|r| OrderRow::from_row(&r))
    .transpose()
}

/// Whether a caller in `scope` may see this order at all (else they get 404).
pub async fn visible(db: &Db, scope: Scope, order: &OrderRow) -> Result<bool, sqlx::Error> {
    Ok(match scope {
        Scope::All => true,
        Scope::Client(id) => order.client_id == id,
        Scope::Manager(id) => order.manager_id.is_none_or(|m| m == id),
        Scope::Author(id) => {
            order.author_id == Some(id)
                || order.offered_to == Some(id)
                || db
                    .fetch_optional(
                        "SELECT 1 AS one FROM order_offers WHERE order_id = $1 AND author_id = $2",
                        &crate::args![order.id, id],
                    )
                    .await?
                    .is_some()
        }
    })
}

/// A file uploaded to an order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileRow {
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
    pub uploaded_at: String,
    pub approved: bool,
}

pub async fn files(db: &Db, order_id: Uuid) -> Result<Vec<FileRow>, sqlx::Error> {
    let rows = db
        .fetch_all(
            "SELECT id, kind, name, size, content_type, sha256, uploaded_at, approved FROM order_files \
             WHERE order_id = $1 ORDER BY position",
            &crate::args![order_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(FileRow {
                id: r.uuid("id")?,
                kind: r.text("kind")?,
                name: r.text("name")?,
                size: r.int("size")?,
                content_type: r.text("content_type")?,
                sha256: r.text("sha256")?,
                uploaded_at: r.text("uploaded_at")?,
                approved: r.bool("approved")?,
            })
        })
        .collect()
}
