//! The manager's order table (`order_list`), the authors each order was offered to
//! (`order_offers`), its files (`order_files`), its extras (`order_extras`) and how many orders each manager (and
//! everyone) has in each status (`order_counts`); plus the scoped, filtered, sorted,
//! paged queries the order endpoints serve.

use std::collections::{BTreeMap, HashMap, HashSet};

use aggregates::order::{
    Breach, FileKind, FileRef, OrderEdit, OrderEvent, OrderExtra, OrderSource, OrderStatus,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::client_history;
use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError, Reads};
use crate::sql::{Arg, Db, Row, Tx};

pub struct OrderListProjection;

/// Order events, as the order's own event type.
const READS: Reads = Reads::of::<OrderEvent>("Order");

/// An order table row being folded in memory during one batch.
struct Folding {
    row: OrderRow,
    /// Not in the table before this batch.
    new: bool,
    /// Where the row counted in `order_counts` before this batch; `None` for a new row.
    was: Option<Counted>,
}

/// A file uploaded in this batch.
struct NewFile {
    order_id: String,
    position: i64,
    kind: FileKind,
    file: FileRef,
    uploaded_at: DateTime<Utc>,
    approved: bool,
}

#[async_trait]
impl Projection for OrderListProjection {
    fn name(&self) -> &'static str {
        "orders"
    }

    fn reads(&self) -> &'static [Reads] {
        &[READS]
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "order_list",
            "order_offers",
            "order_files",
            "order_extras",
            "order_counts",
            "client_order_history",
        ]
    }

    /// The history: one row per event, keyed by the event.
    fn insert_only_tables(&self) -> &'static [&'static str] {
        &["client_order_history"]
    }

    /// Lists filter and sort the orders on many columns.
    fn analyzed_tables(&self) -> &'static [&'static str] {
        &["order_list"]
    }

    /// Approving a file uploaded in an earlier batch finds it by order.
    fn indexes_used_while_applying(&self) -> &'static [&'static str] {
        &["order_files_order"]
    }

    /// Folds a whole batch in memory: one read of the rows it touches, one multi-row
    /// upsert per table, whatever the number of events (the counters: one upsert of the
    /// batch's net changes, and a delete only when one of them reaches zero).
    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        let mut decoded = Vec::new();
        for ev in events.iter().filter(|e| READS.matches(e)) {
            let event: OrderEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
            decoded.push((ev, event));
        }
        if decoded.is_empty() {
            return Ok(());
        }
        let mut rows =
            load_rows(tx, decoded.iter().map(|(ev, _)| ev.aggregate_id.as_str())).await?;
        let history = client_history::batch_rows(
            &decoded,
            rows.iter()
                .map(|(id, f)| {
                    let known = client_history::Known {
                        client_id: f.row.client_id.to_string(),
                        number: f.row.number,
                        status: f.row.status,
                    };
                    (id.clone(), known)
                })
                .collect(),
        );
        client_history::write(tx, &history).await?;
        let names = author_names(tx, &decoded).await?;
        let mut offers: Vec<OfferRow> = Vec::new();
        let mut answers: Vec<OfferRow> = Vec::new();
        let mut files: Vec<NewFile> = Vec::new();
        let mut approvals: Vec<(String, FileKind)> = Vec::new();
        // In the order of the log: an extra added and removed in one batch is gone.
        let mut extras: Vec<ExtraChange> = Vec::new();

        for (ev, event) in &decoded {
            let id = ev.aggregate_id.as_str();
            let at = ev.meta.at;
            if let OrderEvent::OrderPlaced { .. } = event {
                if !rows.contains_key(id) {
                    if let Some(row) = placed_row(id, event, at) {
                        rows.insert(
                            id.to_string(),
                            Folding {
                                row,
                                new: true,
                                was: None,
                            },
                        );
                    }
                }
                continue;
            }
            let Some(f) = rows.get_mut(id) else {
                tracing::warn!(order = id, event = %ev.event_type, "event for an order the table does not have");
                continue;
            };
            let offered_to = f.row.offered_to;
            fold_row(&mut f.row, event, at, &names);
            match event {
                // Failed while offered: the pending offer is withdrawn.
                OrderEvent::OrderFailed { reason, .. } => {
                    if let Some(author_id) = offered_to {
                        let ended = Ended {
                            outcome: "withdrawn",
                            reason: Some(reason.clone()),
                            at,
                        };
                        ended.record(&mut offers, &mut answers, id, author_id);
                    }
                }
                OrderEvent::AuthorOffered {
                    author_id,
                    expires_at,
                } => {
                    let offer = OfferRow {
                        order_id: id.to_string(),
                        author_id: *author_id,
                        offered_at: at.to_rfc3339(),
                        expires_at: Some(expires_at.to_rfc3339()),
                        outcome: "pending",
                        reason: None,
                        answered_at: None,
                    };
                    // One row per (order, author) in the upsert: a repeat replaces it (and
                    // an earlier answer in this batch of the earlier offer).
                    answers.retain(|o| !(o.order_id == id && o.author_id == *author_id));
                    match offers
                        .iter_mut()
                        .find(|o| o.order_id == id && o.author_id == *author_id)
                    {
                        Some(o) => *o = offer,
                        None => offers.push(offer),
                    }
                }
                OrderEvent::OfferAccepted { author_id }
                | OrderEvent::OfferDeclined { author_id, .. }
                | OrderEvent::OfferExpired { author_id }
                | OrderEvent::OfferWithdrawn { author_id } => {
                    let (outcome, reason) = match event {
                        OrderEvent::OfferAccepted { .. } => ("accepted", None),
                        OrderEvent::OfferDeclined { reason, .. } => {
                            ("declined", Some(reason.clone()))
                        }
                        OrderEvent::OfferWithdrawn { .. } => ("withdrawn", None),
                        _ => ("expired", None),
                    };
                    let ended = Ended {
                        outcome,
                        reason,
                        at,
                    };
                    ended.record(&mut offers, &mut answers, id, *author_id);
                }
                OrderEvent::DraftSubmitted { file } | OrderEvent::FinalSubmitted { file } => {
                    files.push(NewFile {
                        order_id: id.to_string(),
                        position: ev.cursor.position,
                        kind: file_kind(event).unwrap_or(FileKind::Draft),
                        file: file.clone(),
                        uploaded_at: at,
                        approved: false,
                    });
                }
                OrderEvent::ExtraAdded {
                    code, name, price, ..
                } => extras.push(ExtraChange::Added {
                    order_id: id.to_string(),
                    position: ev.cursor.position,
                    extra: OrderExtra {
                        code: code.clone(),
                        name: name.clone(),
                        price: *price,
                    },
                }),
                OrderEvent::ExtraRemoved { code, .. } => extras.push(ExtraChange::Removed {
                    order_id: id.to_string(),
                    code: code.clone(),
                }),
                OrderEvent::DraftApproved | OrderEvent::FinalApproved => {
                    let kind = file_kind(event).unwrap_or(FileKind::Draft);
                    // The approved file is the latest of its kind: the one under review.
                    match files
                        .iter_mut()
                        .rev()
                        .find(|f| f.order_id == id && f.kind == kind)
                    {
                        Some(f) => f.approved = true,
                        None => approvals.push((id.to_string(), kind)),
                    }
                }
                _ => {}
            }
        }

        let upserts: Vec<Vec<Arg>> = rows.values().map(|f| row_args(&f.row)).collect();
        let updates = WRITE_COLUMNS
            .iter()
            .filter(|c| **c != "id")
            .map(|c| format!("{c} = excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        tx.insert_rows(
            &format!("INSERT INTO order_list ({})", WRITE_COLUMNS.join(", ")),
            &format!("ON CONFLICT (id) DO UPDATE SET {updates}"),
            &upserts,
        )
        .await?;
        let offer_rows: Vec<Vec<Arg>> = offers
            .iter()
            .map(|o| {
                crate::args![
                    o.order_id.as_str(),
                    o.author_id,
                    o.offered_at.as_str(),
                    o.expires_at.clone(),
                    o.outcome,
                    o.reason.clone(),
                    o.answered_at.clone()
                ]
                .to_vec()
            })
            .collect();
        // An order is offered to an author once; a repeat keeps the latest offer's state.
        tx.insert_rows(
            "INSERT INTO order_offers (order_id, author_id, offered_at, expires_at, outcome, reason, answered_at)",
            "ON CONFLICT (order_id, author_id) DO UPDATE SET offered_at = excluded.offered_at, \
             expires_at = excluded.expires_at, outcome = excluded.outcome, \
             reason = excluded.reason, answered_at = excluded.answered_at",
            &offer_rows,
        )
        .await?;
        for o in &answers {
            tx.execute(
                "UPDATE order_offers SET outcome = $1, reason = $2, answered_at = $3 \
                 WHERE order_id = $4 AND author_id = $5",
                &crate::args![
                    o.outcome,
                    o.reason.clone(),
                    o.answered_at.clone(),
                    o.order_id.as_str(),
                    o.author_id
                ],
            )
            .await?;
        }
        // Approvals of files from earlier batches go before this batch's files are in:
        // each approves the latest file of its kind as it stood before the batch (a newer
        // one submitted later in the batch is not the one that was approved).
        for (id, kind) in approvals {
            tx.execute(
                "UPDATE order_files SET approved = true WHERE id = \
                 (SELECT id FROM order_files WHERE order_id = $1 AND kind = $2 ORDER BY position DESC LIMIT 1)",
                &crate::args![id, kind.as_str()],
            )
            .await?;
        }
        let file_rows: Vec<Vec<Arg>> = files
            .iter()
            .map(|f| {
                crate::args![
                    f.file.id,
                    f.order_id.as_str(),
                    f.position,
                    f.kind.as_str(),
                    f.file.name.as_str(),
                    f.file.size,
                    f.file.content_type.as_str(),
                    f.file.sha256.as_str(),
                    f.uploaded_at.to_rfc3339(),
                    f.approved
                ]
                .to_vec()
            })
            .collect();
        tx.insert_rows(
            "INSERT INTO order_files (id, order_id, position, kind, name, size, content_type, sha256, uploaded_at, approved)",
            "ON CONFLICT (id) DO NOTHING",
            &file_rows,
        )
        .await?;
        for change in &extras {
            change.write(tx).await?;
        }
        write_counts(tx, count_deltas(rows.values())).await?;
        let new = rows.values().filter(|f| f.new).count();
        tracing::trace!(
            events = decoded.len(),
            rows = rows.len(),
            new,
            "order table batch"
        );
        Ok(())
    }
}

/// An extra added to or removed from an order in this batch (a few: one statement each).
enum ExtraChange {
    Added {
        order_id: String,
        position: i64,
        extra: OrderExtra,
    },
    Removed {
        order_id: String,
        code: String,
    },
}

impl ExtraChange {
    async fn write(&self, tx: &mut Tx) -> Result<(), ProjectionError> {
        match self {
            ExtraChange::Added {
                order_id,
                position,
                extra,
            } => {
                tx.execute(
                    "INSERT INTO order_extras (order_id, code, position, name, price) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id, code) DO UPDATE SET \
                     position = excluded.position, name = excluded.name, price = excluded.price",
                    &crate::args![
                        order_id.as_str(),
                        extra.code.as_str(),
                        *position,
                        extra.name.as_str(),
                        extra.price
                    ],
                )
                .await?;
            }
            ExtraChange::Removed { order_id, code } => {
                tx.execute(
                    "DELETE FROM order_extras WHERE order_id = $1 AND code = $2",
                    &crate::args![order_id.as_str(), code.as_str()],
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// An offer of an order to an author, as `order_offers` keeps it.
struct OfferRow {
    order_id: String,
    author_id: Uuid,
    offered_at: String,
    expires_at: Option<String>,
    /// `pending`, `accepted`, `declined` or `expired`.
    outcome: &'static str,
    reason: Option<String>,
    answered_at: Option<String>,
}

/// How an offer ended (answered, expired, or withdrawn with its order).
struct Ended {
    outcome: &'static str,
    reason: Option<String>,
    at: DateTime<Utc>,
}

impl Ended {
    /// Ends the offer of `order_id` to `author_id`: the one made in this batch, else a
    /// row of `answers` that updates the one made before it.
    fn record(
        self,
        offers: &mut [OfferRow],
        answers: &mut Vec<OfferRow>,
        order_id: &str,
        author_id: Uuid,
    ) {
        let end = |o: &mut OfferRow| {
            o.outcome = self.outcome;
            o.reason = self.reason.clone();
            o.answered_at = Some(self.at.to_rfc3339());
        };
        match offers
            .iter_mut()
            .rev()
            .find(|o| o.order_id == order_id && o.author_id == author_id)
        {
            Some(o) => end(o),
            None => {
                let mut o = OfferRow {
                    order_id: order_id.to_string(),
                    author_id,
                    offered_at: String::new(),
                    expires_at: None,
                    outcome: self.outcome,
                    reason: None,
                    answered_at: None,
                };
                end(&mut o);
                answers.push(o);
            }
        }
    }
}

/// How one event after the placement changes its order's row: the one fold of the table's
/// row, shared by the projection and by [`view`] (a command's answer).
fn fold_row(
    o: &mut OrderRow,
    event: &OrderEvent,
    at: DateTime<Utc>,
    names: &HashMap<Uuid, String>,
) {
    let status = o.status.after(event);
    if status != o.status {
        // A new stage: its own time limit, not yet broken.
        o.stage += 1;
        o.status_since = at;
        o.stage_limit_hours = None;
        if !status.awaits_delivery() {
            o.deadline_breach = false;
        }
    }
    o.status = status;
    o.updated_at = at;
    match event {
        OrderEvent::OrderPlaced { .. } => {}
        OrderEvent::RoutedToManager { manager_id } => o.manager_id = Some(*manager_id),
        OrderEvent::PriceSet {
            price,
            author_fee,
            first_half,
            second_half,
        } => {
            o.price = Some(*price);
            o.author_fee = Some(*author_fee);
            o.first_half = Some(*first_half);
            o.second_half = Some(*second_half);
        }
        OrderEvent::AuthorOffered {
            author_id,
            expires_at,
        } => {
            o.offered_to = Some(*author_id);
            o.offer_expires_at = Some(*expires_at);
        }
        OrderEvent::OfferAccepted { author_id } => {
            o.author_id = Some(*author_id);
            o.author_name = names.get(author_id).cloned();
            o.offered_to = None;
            o.offer_expires_at = None;
        }
        OrderEvent::ManagerReleased { .. } => o.manager_id = None,
        OrderEvent::OfferDeclined { .. }
        | OrderEvent::OfferExpired { .. }
        | OrderEvent::OfferWithdrawn { .. } => {
            o.offered_to = None;
            o.offer_expires_at = None;
        }
        OrderEvent::PaymentReceived { amount, .. } => o.paid += amount,
        OrderEvent::RefundRecorded { amount, .. } => o.refunded += amount,
        OrderEvent::CompensationGranted { amount, .. } => o.compensation = Some(*amount),
        OrderEvent::DraftRejected { .. } => o.draft_rejections += 1,
        OrderEvent::OrderDelivered { guarantee_until } => {
            o.guarantee_until = Some(*guarantee_until);
        }
        OrderEvent::OrderCompleted { rating, .. } => o.rating = rating.map(i64::from),
        OrderEvent::OrderFailed { reason, .. } => {
            o.failure_reason = Some(reason.clone());
            // A pending offer ends with the order (withdrawn).
            o.offered_to = None;
            o.offer_expires_at = None;
        }
        OrderEvent::DraftSubmitted { .. }
        | OrderEvent::FinalSubmitted { .. }
        | OrderEvent::DraftApproved
        | OrderEvent::FinalApproved
        | OrderEvent::FinalRejected { .. }
        | OrderEvent::RevisionRequested { .. }
        | OrderEvent::ReviewPublished { .. }
        | OrderEvent::ReviewHidden { .. } => {}
        OrderEvent::OrderEdited { edits } => {
            for e in edits {
                match e {
                    OrderEdit::Topic { new, .. } => o.topic = new.clone(),
                    OrderEdit::Pages { new, .. } => o.pages = i64::from(*new),
                    OrderEdit::Deadline { new, .. } => move_deadline(o, *new),
                    OrderEdit::Requirements { new, .. } => o.requirements = new.clone(),
                    OrderEdit::WorkType { new, .. } => o.work_type = new.clone(),
                    OrderEdit::Subject { new, .. } => o.subject = new.clone(),
                }
            }
        }
        OrderEvent::DiscountGiven {
            price,
            first_half,
            second_half,
            ..
        } => {
            o.price = Some(*price);
            o.first_half = Some(*first_half);
            o.second_half = Some(*second_half);
        }
        OrderEvent::ExtraAdded {
            new_price,
            first_half,
            second_half,
            ..
        }
        | OrderEvent::ExtraRemoved {
            new_price,
            first_half,
            second_half,
            ..
        } => {
            if let (Some(p), Some(a), Some(b)) = (new_price, first_half, second_half) {
                o.price = Some(*p);
                o.first_half = Some(*a);
                o.second_half = Some(*b);
            }
        }
        OrderEvent::DeadlineProposed { deadline } => o.proposed_deadline = Some(*deadline),
        OrderEvent::DeadlineMoved { new, .. } => {
            o.proposed_deadline = None;
            move_deadline(o, *new);
        }
        OrderEvent::DeadlineProposalDeclined { .. } => o.proposed_deadline = None,
        OrderEvent::ProblemFlagged { breach, .. } => match breach {
            Breach::StageLimit { limit_hours, .. } => {
                o.stage_limit_hours = Some(i64::from(*limit_hours));
            }
            Breach::Deadline { .. } => {
                o.deadline_breach = true;
                o.deadline_flagged = true;
            }
        },
        OrderEvent::MessagePosted { .. }
        | OrderEvent::MessageApproved { .. }
        | OrderEvent::MessageRejected { .. } => {}
        OrderEvent::PointsApplied { points, .. } => o.points = *points,
    }
    o.problem = o.stage_limit_hours.is_some() || o.deadline_breach;
}

/// A new deadline: the old one's breach no longer counts; the new one may be breached.
fn move_deadline(o: &mut OrderRow, deadline: NaiveDate) {
    o.deadline = deadline;
    o.deadline_breach = false;
    o.deadline_flagged = false;
}

/// The kind of file an upload or an approval is about.
fn file_kind(event: &OrderEvent) -> Option<FileKind> {
    match event {
        OrderEvent::DraftSubmitted { .. } | OrderEvent::DraftApproved => Some(FileKind::Draft),
        OrderEvent::FinalSubmitted { .. } | OrderEvent::FinalApproved => Some(FileKind::Final),
        _ => None,
    }
}

/// The order's row and files as this projection writes them, folded from the order's own
/// stream (`(event, time)`, oldest first) by the same code: what a command answers with,
/// without waiting for the table. `names`: the full name of every author who accepted it.
/// `None` before the placement.
pub fn view(
    id: Uuid,
    stream: &[(OrderEvent, DateTime<Utc>)],
    names: &HashMap<Uuid, String>,
) -> Option<(OrderRow, Vec<FileRow>)> {
    let ((first, placed_at), rest) = stream.split_first()?;
    let mut row = placed_row(&id.to_string(), first, *placed_at)?;
    let mut files: Vec<FileRow> = Vec::new();
    for (event, at) in rest {
        if let OrderEvent::OrderPlaced { .. } = event {
            continue;
        }
        let at = *at;
        fold_row(&mut row, event, at, names);
        match event {
            OrderEvent::DraftSubmitted { file } | OrderEvent::FinalSubmitted { file } => {
                files.push(FileRow {
                    id: file.id,
                    kind: file_kind(event).unwrap_or(FileKind::Draft),
                    name: file.name.clone(),
                    size: file.size,
                    content_type: file.content_type.clone(),
                    sha256: file.sha256.clone(),
                    uploaded_at: at,
                    approved: false,
                });
            }
            OrderEvent::DraftApproved | OrderEvent::FinalApproved => {
                let kind = file_kind(event).unwrap_or(FileKind::Draft);
                if let Some(f) = files.iter_mut().rev().find(|f| f.kind == kind) {
                    f.approved = true;
                }
            }
            _ => {}
        }
    }
    Some((row, files))
}

/// The extras on the order as its stream (oldest first) leaves them, in the order they
/// were added: what `order_extras` holds of it.
pub fn extras_in(stream: &[(OrderEvent, DateTime<Utc>)]) -> Vec<OrderExtra> {
    let mut extras: Vec<OrderExtra> = Vec::new();
    for (event, _) in stream {
        match event {
            OrderEvent::ExtraAdded {
                code, name, price, ..
            } => {
                extras.retain(|e| e.code != *code);
                extras.push(OrderExtra {
                    code: code.clone(),
                    name: name.clone(),
                    price: *price,
                });
            }
            OrderEvent::ExtraRemoved { code, .. } => extras.retain(|e| e.code != *code),
            _ => {}
        }
    }
    extras
}

/// The extras on an order, in the order they were added.
pub async fn extras(db: &Db, order_id: Uuid) -> Result<Vec<OrderExtra>, sqlx::Error> {
    let rows = db
        .fetch_all(
            "SELECT code, name, price FROM order_extras WHERE order_id = $1 ORDER BY position",
            &crate::args![order_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(OrderExtra {
                code: r.text("code")?,
                name: r.text("name")?,
                price: r.int("price")?,
            })
        })
        .collect()
}

/// The authors an order stream names as having accepted it.
pub fn accepted_authors(stream: &[(OrderEvent, DateTime<Utc>)]) -> Vec<Uuid> {
    stream
        .iter()
        .filter_map(|(e, _)| match e {
            OrderEvent::OfferAccepted { author_id } => Some(*author_id),
            _ => None,
        })
        .collect()
}

/// The columns the projection writes, in the order of [`row_args`].
const WRITE_COLUMNS: [&str; 41] = [
    "id",
    "number",
    "status",
    "work_type",
    "subject",
    "topic",
    "topic_lc",
    "pages",
    "deadline",
    "requirements",
    "currency",
    "price",
    "author_fee",
    "first_half",
    "second_half",
    "paid",
    "refunded",
    "compensation",
    "client_id",
    "manager_id",
    "offered_to",
    "offer_expires_at",
    "author_id",
    "author_name",
    "problem",
    "draft_rejections",
    "guarantee_until",
    "rating",
    "failure_reason",
    "placed_at",
    "updated_at",
    "stage",
    "status_since",
    "stage_limit_hours",
    "deadline_breach",
    "deadline_flagged",
    "source",
    "repeats",
    "proposed_deadline",
    "corporate",
    "points",
];

fn row_args(o: &OrderRow) -> Vec<Arg> {
    crate::args![
        o.id,
        o.number,
        o.status.as_str(),
        o.work_type.as_str(),
        o.subject.as_str(),
        o.topic.as_str(),
        o.topic.to_lowercase(),
        o.pages,
        o.deadline.to_string(),
        o.requirements.as_str(),
        o.currency.as_str(),
        o.price,
        o.author_fee,
        o.first_half,
        o.second_half,
        o.paid,
        o.refunded,
        o.compensation,
        o.client_id,
        o.manager_id,
        o.offered_to,
        o.offer_expires_at.map(|t| t.to_rfc3339()),
        o.author_id,
        o.author_name.clone(),
        o.problem,
        o.draft_rejections,
        o.guarantee_until.map(|t| t.to_rfc3339()),
        o.rating,
        o.failure_reason.clone(),
        o.placed_at.to_rfc3339(),
        o.updated_at.to_rfc3339(),
        o.stage,
        o.status_since.to_rfc3339(),
        o.stage_limit_hours,
        o.deadline_breach,
        o.deadline_flagged,
        o.source.as_str(),
        o.repeats,
        o.proposed_deadline.map(|d| d.to_string()),
        o.corporate,
        o.points
    ]
    .to_vec()
}

/// The new row of a placed order.
fn placed_row(id: &str, event: &OrderEvent, at: DateTime<Utc>) -> Option<OrderRow> {
    let OrderEvent::OrderPlaced {
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
    } = event
    else {
        return None;
    };
    Some(OrderRow {
        id: Uuid::parse_str(id).ok()?,
        number: *number,
        status: OrderStatus::New,
        work_type: work_type.clone(),
        subject: subject.clone(),
        topic: topic.clone(),
        pages: i64::from(*pages),
        deadline: *deadline,
        requirements: requirements.clone(),
        currency: currency.clone(),
        price: None,
        author_fee: None,
        first_half: None,
        second_half: None,
        paid: 0,
        refunded: 0,
        compensation: None,
        client_id: *client_id,
        manager_id: None,
        offered_to: None,
        offer_expires_at: None,
        author_id: None,
        author_name: None,
        problem: false,
        draft_rejections: 0,
        guarantee_until: None,
        rating: None,
        failure_reason: None,
        placed_at: at,
        updated_at: at,
        source: *source,
        repeats: *repeats,
        proposed_deadline: None,
        corporate: *corporate,
        stage: 0,
        status_since: at,
        stage_limit_hours: None,
        deadline_breach: false,
        deadline_flagged: false,
        points: 0,
    })
}

/// The rows of these orders that are already in the table.
async fn load_rows<'a>(
    tx: &mut Tx,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, Folding>, ProjectionError> {
    let ids: Vec<&str> = ids.collect::<HashSet<_>>().into_iter().collect();
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let args: Vec<Arg> = chunk.iter().map(|i| Arg::from(*i)).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM order_list WHERE id IN ({})",
            tx.placeholders(chunk.len())
        );
        for r in tx.fetch_all(&sql, &args).await? {
            let row = OrderRow::from_row(&r)?;
            let was = Some(Counted::of(&row));
            out.insert(
                row.id.to_string(),
                Folding {
                    row,
                    new: false,
                    was,
                },
            );
        }
    }
    Ok(out)
}

/// The `order_counts` scope of everyone's orders.
const SCOPE_ALL: &str = "all";
/// The `order_counts` scope of the orders no manager has yet (`?unrouted=true`).
const SCOPE_UNASSIGNED: &str = "unassigned";

/// The `order_counts` scope of one manager's orders.
fn manager_scope(manager_id: Uuid) -> String {
    format!("manager:{manager_id}")
}

/// What of an order's row decides the counters it counts in: its manager, its status and
/// the author it occupies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counted {
    manager: Option<Uuid>,
    status: OrderStatus,
    occupant: Option<Uuid>,
}

impl Counted {
    fn of(row: &OrderRow) -> Counted {
        Counted {
            manager: row.manager_id,
            status: row.status,
            occupant: occupant(row),
        }
    }

    /// The counters it counts in (each with its status): everyone's, its manager's (or the
    /// unrouted ones), and the author's it occupies, if any.
    fn scopes(&self) -> Vec<String> {
        let mut scopes = vec![
            SCOPE_ALL.to_string(),
            self.manager
                .map_or_else(|| SCOPE_UNASSIGNED.to_string(), manager_scope),
        ];
        if let Some(author) = self.occupant {
            scopes.push(author_scope(author));
        }
        scopes
    }
}

/// The author an order occupies (it counts against their limit of active orders): the one
/// it is offered to now, or the one who accepted it until it is completed or failed.
fn occupant(row: &OrderRow) -> Option<Uuid> {
    match row.status {
        OrderStatus::Offered => row.offered_to,
        s if s.occupies_author() => row.author_id,
        _ => None,
    }
}

/// The `order_counts` scope of the orders occupying one author: its sum is their number
/// of active orders ([`crate::authors`]), read by key instead of counted over the table.
pub(crate) fn author_scope(author_id: Uuid) -> String {
    format!("{AUTHOR_SCOPE_PREFIX}{author_id}")
}

/// What [`author_scope`] puts before the author's id.
pub(crate) const AUTHOR_SCOPE_PREFIX: &str = "author:";

/// The net change a batch makes to each counter, (scope, status) → delta; no zeros.
fn count_deltas<'a>(rows: impl Iterator<Item = &'a Folding>) -> BTreeMap<(String, String), i64> {
    let mut deltas: BTreeMap<(String, String), i64> = BTreeMap::new();
    for f in rows {
        let now = Counted::of(&f.row);
        if let Some(was) = f.was {
            if was == now {
                continue;
            }
            for scope in was.scopes() {
                *deltas
                    .entry((scope, was.status.as_str().to_string()))
                    .or_default() -= 1;
            }
        }
        for scope in now.scopes() {
            *deltas
                .entry((scope, now.status.as_str().to_string()))
                .or_default() += 1;
        }
    }
    deltas.retain(|_, n| *n != 0);
    deltas
}

/// Counter rows per statement (three parameters each: well under SQLite's limit).
const COUNT_ROWS: usize = 5000;

/// Adds a batch's deltas to `order_counts`: one upsert (per 5 000 counters), and a
/// delete of the counters it brought to zero, so the table holds exactly the non-zero
/// counts whatever the batch boundaries were (a replay, in larger batches, must find
/// the same rows).
async fn write_counts(
    tx: &mut Tx,
    deltas: BTreeMap<(String, String), i64>,
) -> Result<(), ProjectionError> {
    let deltas: Vec<((String, String), i64)> = deltas.into_iter().collect();
    let mut zeroed: Vec<Arg> = Vec::new();
    for chunk in deltas.chunks(COUNT_ROWS) {
        let mut values = Vec::with_capacity(chunk.len());
        let mut args: Vec<Arg> = Vec::with_capacity(chunk.len() * 3);
        for ((scope, status), n) in chunk {
            let k = args.len();
            values.push(format!(
                "({}, {}, {})",
                tx.placeholder(k + 1),
                tx.placeholder(k + 2),
                tx.placeholder(k + 3)
            ));
            args.extend(crate::args![scope.as_str(), status.as_str(), *n]);
        }
        let sql = format!(
            "INSERT INTO order_counts (scope, status, n) VALUES {} \
             ON CONFLICT (scope, status) DO UPDATE SET n = order_counts.n + excluded.n \
             RETURNING scope, n",
            values.join(", ")
        );
        for r in tx.fetch_all(&sql, &args).await? {
            if r.int("n")? == 0 {
                zeroed.push(Arg::from(r.text("scope")?));
            }
        }
    }
    if !zeroed.is_empty() {
        zeroed.sort_by_key(|a| format!("{a:?}"));
        zeroed.dedup();
        for chunk in zeroed.chunks(COUNT_ROWS) {
            let sql = format!(
                "DELETE FROM order_counts WHERE n = 0 AND scope IN ({})",
                tx.placeholders(chunk.len())
            );
            tx.execute(&sql, chunk).await?;
        }
    }
    Ok(())
}

/// Full names of the authors who accept an order in this batch.
async fn author_names(
    tx: &mut Tx,
    decoded: &[(&StoredEvent, OrderEvent)],
) -> Result<HashMap<Uuid, String>, ProjectionError> {
    let ids: Vec<Uuid> = decoded
        .iter()
        .filter_map(|(_, e)| match e {
            OrderEvent::OfferAccepted { author_id } => Some(*author_id),
            _ => None,
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut names = HashMap::new();
    for chunk in ids.chunks(500) {
        let args: Vec<Arg> = chunk.iter().map(|i| Arg::from(*i)).collect();
        let sql = format!(
            "SELECT id, full_name FROM users WHERE id IN ({})",
            tx.placeholders(chunk.len())
        );
        for r in tx.fetch_all(&sql, &args).await? {
            names.insert(r.uuid("id")?, r.text("full_name")?);
        }
    }
    Ok(names)
}

/// One row of the order table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderRow {
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
    pub author_fee: Option<i64>,
    pub first_half: Option<i64>,
    pub second_half: Option<i64>,
    pub paid: i64,
    /// The sum of the refunds recorded (never above `paid`).
    pub refunded: i64,
    /// What the author was granted for their work on a failed order, if anything.
    pub compensation: Option<i64>,
    pub client_id: Uuid,
    pub manager_id: Option<Uuid>,
    pub offered_to: Option<Uuid>,
    pub offer_expires_at: Option<DateTime<Utc>>,
    pub author_id: Option<Uuid>,
    pub author_name: Option<String>,
    pub problem: bool,
    pub draft_rejections: i64,
    pub guarantee_until: Option<DateTime<Utc>>,
    pub rating: Option<i64>,
    pub failure_reason: Option<String>,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// How many times the status changed (the order aggregate's `stage`).
    pub stage: i64,
    /// When the order entered its status.
    pub status_since: DateTime<Utc>,
    /// The limit in hours the current stage broke, once flagged (cleared on the next status).
    pub stage_limit_hours: Option<i64>,
    /// The deadline passed before delivery (flagged; cleared on delivery or end).
    pub deadline_breach: bool,
    /// The deadline's breach was flagged once (it stays).
    pub deadline_flagged: bool,
    /// Where the order came from.
    pub source: OrderSource,
    /// The finished order this one repeats.
    pub repeats: Option<Uuid>,
    /// A new deadline proposed to the client after the first half, until they answer.
    pub proposed_deadline: Option<NaiveDate>,
    /// Placed for a company's account.
    pub corporate: bool,
    /// The loyalty points that paid part of the first half (0: none); the money due for
    /// it is `first_half - points`.
    pub points: i64,
}

pub(crate) const COLUMNS: &str = "id, number, status, work_type, subject, topic, pages, deadline, requirements, \
     currency, price, author_fee, first_half, second_half, paid, refunded, compensation, client_id, \
     manager_id, offered_to, \
     offer_expires_at, author_id, author_name, problem, draft_rejections, guarantee_until, rating, \
     failure_reason, placed_at, updated_at, stage, status_since, stage_limit_hours, deadline_breach, \
     deadline_flagged, source, repeats, \
     proposed_deadline, corporate, points";

impl OrderRow {
    pub(crate) fn from_row(r: &Row) -> Result<OrderRow, sqlx::Error> {
        Ok(OrderRow {
            id: r.uuid("id")?,
            number: r.int("number")?,
            status: r.parsed("status")?,
            work_type: r.text("work_type")?,
            subject: r.text("subject")?,
            topic: r.text("topic")?,
            pages: r.int("pages")?,
            deadline: r.parsed("deadline")?,
            requirements: r.text("requirements")?,
            currency: r.text("currency")?,
            price: r.opt_int("price")?,
            author_fee: r.opt_int("author_fee")?,
            first_half: r.opt_int("first_half")?,
            second_half: r.opt_int("second_half")?,
            paid: r.int("paid")?,
            refunded: r.int("refunded")?,
            compensation: r.opt_int("compensation")?,
            client_id: r.uuid("client_id")?,
            manager_id: r.opt_uuid("manager_id")?,
            offered_to: r.opt_uuid("offered_to")?,
            offer_expires_at: r.opt_parsed("offer_expires_at")?,
            author_id: r.opt_uuid("author_id")?,
            author_name: r.opt_text("author_name")?,
            problem: r.bool("problem")?,
            draft_rejections: r.int("draft_rejections")?,
            guarantee_until: r.opt_parsed("guarantee_until")?,
            rating: r.opt_int("rating")?,
            failure_reason: r.opt_text("failure_reason")?,
            placed_at: r.parsed("placed_at")?,
            updated_at: r.parsed("updated_at")?,
            stage: r.int("stage")?,
            status_since: r.parsed("status_since")?,
            stage_limit_hours: r.opt_int("stage_limit_hours")?,
            deadline_breach: r.bool("deadline_breach")?,
            deadline_flagged: r.bool("deadline_flagged")?,
            source: r.parsed("source")?,
            repeats: r.opt_uuid("repeats")?,
            proposed_deadline: r.opt_parsed("proposed_deadline")?,
            corporate: r.bool("corporate")?,
            points: r.int("points")?,
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
    /// A manager: orders routed to them.
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
    /// Only orders from this source.
    pub source: Option<OrderSource>,
    /// Only companies' orders (`true`) or individuals' (`false`).
    pub corporate: Option<bool>,
    /// Only orders no manager has yet.
    pub unrouted: bool,
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
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
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
        Scope::Manager(id) => push("manager_id = $a", &crate::args![id], &mut args),
    }
    if query.unrouted {
        push("manager_id IS NULL", &[], &mut args);
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
    if let Some(s) = query.source {
        push("source = $a", &crate::args![s.as_str()], &mut args);
    }
    if let Some(c) = query.corporate {
        push("corporate = $a", &crate::args![c], &mut args);
    }
    if let Some(q) = q {
        let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
        match q.trim_start_matches('#').parse::<i64>() {
            // A number is an order number: the unique index finds it, whatever the table's size.
            Ok(n) => push("number = $a", &crate::args![n], &mut args),
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
    let counted = if query.author_id.is_none()
        && query.problem.is_none()
        && query.source.is_none()
        && query.corporate.is_none()
        && q.is_none()
    {
        counted_total(db, scope, query.unrouted, query.status).await?
    } else {
        None
    };
    let total = match counted {
        Some(n) => n,
        None => db
            .fetch_one(
                &format!("SELECT COUNT(*) AS n FROM order_list {filter}"),
                &args,
            )
            .await?
            .int("n")?,
    };
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

/// The total of a list filtered at most by status (and `unrouted`), from `order_counts`
/// (a few rows, whatever the size of the history); `None` for the scopes it does not count.
async fn counted_total(
    db: &Db,
    scope: Scope,
    unrouted: bool,
    status: Option<OrderStatus>,
) -> Result<Option<i64>, sqlx::Error> {
    let mut args: Vec<Arg> = match (scope, unrouted) {
        (Scope::All, false) => crate::args![SCOPE_ALL].to_vec(),
        (Scope::All, true) => crate::args![SCOPE_UNASSIGNED].to_vec(),
        (Scope::Manager(id), false) => crate::args![manager_scope(id)].to_vec(),
        // A manager's orders are all routed.
        (Scope::Manager(_), true) => return Ok(Some(0)),
        (Scope::Client(_) | Scope::Author(_), _) => return Ok(None),
    };
    let scopes = (1..=args.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let status = match status {
        Some(s) => {
            args.push(Arg::from(s.as_str()));
            format!("AND status = ${}", args.len())
        }
        None => String::new(),
    };
    let row = db
        .fetch_one(
            &format!(
                "SELECT CAST(COALESCE(SUM(n), 0) AS bigint) AS n FROM order_counts \
                 WHERE scope IN ({scopes}) {status}"
            ),
            &args,
        )
        .await?;
    Ok(Some(row.int("n")?))
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

/// Whether the order was ever offered to this author (declined, expired or withdrawn
/// since included): a fact the access policy asks for.
pub async fn was_offered(db: &Db, order_id: Uuid, author_id: Uuid) -> Result<bool, sqlx::Error> {
    Ok(db
        .fetch_optional(
            "SELECT 1 AS one FROM order_offers WHERE order_id = $1 AND author_id = $2",
            &crate::args![order_id, author_id],
        )
        .await?
        .is_some())
}

/// A file uploaded to an order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileRow {
    pub id: Uuid,
    pub kind: FileKind,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
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
                kind: r.parsed("kind")?,
                name: r.text("name")?,
                size: r.int("size")?,
                content_type: r.text("content_type")?,
                sha256: r.text("sha256")?,
                uploaded_at: r.parsed("uploaded_at")?,
                approved: r.bool("approved")?,
            })
        })
        .collect()
}

/// An order and its files, in one round trip (what a read of the order shows).
pub async fn with_files(
    db: &Db,
    id: Uuid,
) -> Result<Option<(OrderRow, Vec<FileRow>)>, sqlx::Error> {
    let order_columns = COLUMNS
        .split(',')
        .map(|c| format!("o.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = db
        .fetch_all(
            &format!(
                "SELECT {order_columns}, f.id AS f_id, f.kind AS f_kind, f.name AS f_name, \
                 f.size AS f_size, f.content_type AS f_content_type, f.sha256 AS f_sha256, \
                 f.uploaded_at AS f_uploaded_at, f.approved AS f_approved \
                 FROM order_list o LEFT JOIN order_files f ON f.order_id = o.id \
                 WHERE o.id = $1 ORDER BY f.position"
            ),
            &crate::args![id],
        )
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let order = OrderRow::from_row(first)?;
    let mut files = Vec::new();
    for r in &rows {
        if let Some(id) = r.opt_uuid("f_id")? {
            files.push(FileRow {
                id,
                kind: r.parsed("f_kind")?,
                name: r.text("f_name")?,
                size: r.int("f_size")?,
                content_type: r.text("f_content_type")?,
                sha256: r.text("f_sha256")?,
                uploaded_at: r.parsed("f_uploaded_at")?,
                approved: r.bool("f_approved")?,
            });
        }
    }
    Ok(Some((order, files)))
}

#[cfg(test)]
mod count_tests {
    use super::*;

    fn row() -> OrderRow {
        let placed = OrderEvent::OrderPlaced {
            number: 1,
            client_id: Uuid::new_v4(),
            work_type: "essay".into(),
            subject: "History".into(),
            topic: "Rome".into(),
            pages: 5,
            deadline: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
            requirements: String::new(),
            currency: "RUB".into(),
            source: Default::default(),
            repeats: None,
            corporate: false,
        };
        placed_row(&Uuid::new_v4().to_string(), &placed, Utc::now()).unwrap()
    }

    /// The deltas of one order moving from `was` to `now` (a new row when `was` is None).
    fn moved(was: Option<&OrderRow>, now: &OrderRow) -> BTreeMap<(String, String), i64> {
        let f = Folding {
            row: now.clone(),
            new: was.is_none(),
            was: was.map(Counted::of),
        };
        count_deltas(std::iter::once(&f))
    }

    fn key(scope: &str, status: &str) -> (String, String) {
        (scope.to_string(), status.to_string())
    }

    #[test]
    fn an_order_occupies_the_author_offered_it_then_the_one_who_took_it_until_it_ends() {
        let (a, manager) = (Uuid::new_v4(), Uuid::new_v4());
        let mut new = row();
        new.manager_id = Some(manager);
        let d = moved(None, &new);
        assert!(
            d.keys().all(|(s, _)| !s.starts_with(AUTHOR_SCOPE_PREFIX)),
            "{d:?}"
        );

        let mut offered = new.clone();
        offered.status = OrderStatus::Offered;
        offered.offered_to = Some(a);
        let d = moved(Some(&new), &offered);
        assert_eq!(d.get(&key(&author_scope(a), "offered")), Some(&1), "{d:?}");

        // Accepted: the offer's counter goes, the assigned one comes, for the same author.
        let mut taken = offered.clone();
        taken.status = OrderStatus::AwaitingPrepayment;
        taken.offered_to = None;
        taken.author_id = Some(a);
        let d = moved(Some(&offered), &taken);
        assert_eq!(d.get(&key(&author_scope(a), "offered")), Some(&-1), "{d:?}");
        assert_eq!(
            d.get(&key(&author_scope(a), "awaiting_prepayment")),
            Some(&1),
            "{d:?}"
        );

        // Completed: the author is free again.
        let mut done = taken.clone();
        done.status = OrderStatus::Completed;
        let d = moved(Some(&taken), &done);
        assert_eq!(
            d.get(&key(&author_scope(a), "awaiting_prepayment")),
            Some(&-1),
            "{d:?}"
        );
        assert!(
            !d.contains_key(&key(&author_scope(a), "completed")),
            "{d:?}"
        );

        // Declined: back to new, nobody occupied.
        let d = moved(Some(&offered), &new);
        assert_eq!(d.get(&key(&author_scope(a), "offered")), Some(&-1), "{d:?}");
        assert_eq!(
            d.iter()
                .filter(|((s, _), _)| s.starts_with(AUTHOR_SCOPE_PREFIX))
                .count(),
            1
        );
    }
}
