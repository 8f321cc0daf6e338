//! The order endpoints of API.md. Each handler checks the caller's role, finds the order
//! in what the caller may see (404 otherwise), and turns the request into one command.

use std::collections::HashMap;

use aggregates::order::{FileRef, Half, Order, OrderCommand, OrderStatus};
use aggregates::{Actor, Role};
use axum::extract::{Multipart, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::NaiveDate;
use projections::order_list::{self, FileRow, ListQuery, OrderRow, Scope, Sort};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::error::ApiError;
use super::extract::{Body, Caller, OptBody, Path};
use crate::app::App;

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/orders", post(place).get(list))
        .route("/api/orders/{id}", get(show))
        .route("/api/orders/{id}/events", get(events))
        .route("/api/orders/{id}/history", get(history))
        .route("/api/orders/{id}/price", put(set_price))
        .route("/api/orders/{id}/offer", post(offer))
        .route("/api/orders/{id}/offer/accept", post(accept))
        .route("/api/orders/{id}/offer/decline", post(decline))
        .route("/api/orders/{id}/payments", post(payment))
        .route("/api/orders/{id}/draft", post(upload_draft))
        .route("/api/orders/{id}/final", post(upload_final))
        .route("/api/orders/{id}/draft/approve", post(approve_draft))
        .route("/api/orders/{id}/draft/reject", post(reject_draft))
        .route("/api/orders/{id}/final/approve", post(approve_final))
        .route("/api/orders/{id}/final/reject", post(reject_final))
        .route("/api/orders/{id}/revision", post(revision))
        .route("/api/orders/{id}/complete", post(complete))
        .route("/api/orders/{id}/cancel", post(cancel))
        .route("/api/orders/{id}/files/{file_id}", get(download))
}

const STAFF: &[Role] = &[Role::Manager, Role::Admin];

/// The last page the order list serves.
pub(super) const MAX_PAGE: i64 = 1000;
/// Orders per page of the list unless `per_page` says otherwise.
pub(super) const DEFAULT_PER_PAGE: i64 = 20;
/// The largest page of the order list.
pub(super) const MAX_PER_PAGE: i64 = 100;

/// Which orders a caller may see.
pub fn scope(caller: &Caller) -> Scope {
    let id = caller.user.id;
    match caller.role() {
        Role::Client => Scope::Client(id),
        Role::Author => Scope::Author(id),
        Role::Manager => Scope::Manager(id),
        Role::Admin | Role::Auditor | Role::PayoutClerk => Scope::All,
    }
}

/// The order, if the caller may see it; 404 for unknown and for not theirs alike.
async fn find(app: &App, caller: &Caller, id: Uuid) -> Result<OrderRow, ApiError> {
    let order = order_list::by_id(&app.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if order_list::visible(&app.db, scope(caller), &order).await? {
        Ok(order)
    } else {
        Err(ApiError::NotFound)
    }
}

/// 404 unless the caller may see the order: yes when the order's own state says it
/// concerns the caller (the store usually remembers it: no query), else as [`find`] says
/// on the read model (which also knows offers withdrawn since).
async fn ensure_visible(app: &App, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
    if app.order_state(id).await?.concerns(&caller.actor()) {
        return Ok(());
    }
    // On a command's path (reads are fenced by the router): the table must include every
    // answered command.
    app.fence().await;
    find(app, caller, id).await.map(|_| ())
}

/// Whether a file may reach this caller: a client gets only approved files, and the
/// final work only once both halves are paid.
fn file_visible(caller: &Caller, order: &OrderRow, f: &FileRow) -> bool {
    if caller.role() != Role::Client {
        return true;
    }
    let fully_paid = order.price.is_some_and(|p| order.paid >= p);
    f.approved && (f.kind != "final" || fully_paid)
}

/// The order as the caller may see it: the list fields plus amounts and files.
pub(super) fn order_json(caller: &Caller, o: &OrderRow, files: &[FileRow]) -> Value {
    let mut v = summary_json(caller, o);
    let files: Vec<Value> = files
        .iter()
        .filter(|f| file_visible(caller, o, f))
        .map(|f| {
            json!({
                "id": f.id, "kind": f.kind, "name": f.name, "size": f.size,
                "content_type": f.content_type, "sha256": f.sha256, "uploaded_at": f.uploaded_at,
            })
        })
        .collect();
    v["files"] = Value::Array(files);
    v
}

fn summary_json(caller: &Caller, o: &OrderRow) -> Value {
    let mut v = json!({
        "id": o.id, "number": o.number, "status": o.status, "work_type": o.work_type,
        "subject": o.subject, "topic": o.topic, "pages": o.pages, "deadline": o.deadline,
        "requirements": o.requirements, "currency": o.currency, "price": o.price, "paid": o.paid,
        "first_half": o.first_half, "second_half": o.second_half, "author_fee": o.author_fee,
        "client_id": o.client_id, "author_id": o.author_id, "author_name": o.author_name,
        "manager_id": o.manager_id, "offered_to": o.offered_to,
        "offer_expires_at": o.offer_expires_at, "problem": o.problem,
        "draft_rejections": o.draft_rejections, "guarantee_until": o.guarantee_until,
        "rating": o.rating, "failure_reason": o.failure_reason, "placed_at": o.placed_at,
        "updated_at": o.updated_at,
    });
    if caller.role() == Role::Client {
        // What the author is paid is between the company and the author.
        if let Some(m) = v.as_object_mut() {
            m.remove("author_fee");
        }
    }
    v
}

/// Answers a command with the order as it now stands: folded from its own stream by the
/// order table's code (what the table will show), without waiting for the table.
async fn respond(app: &App, caller: &Caller, id: Uuid) -> Result<Json<Value>, ApiError> {
    let (state, order, files) = app.order_view(id).await?.ok_or(ApiError::NotFound)?;
    // The order's own state says whom it concerns; else the table (which also knows the
    // offers withdrawn since) decides, as for a read.
    if !state.concerns(&caller.actor()) {
        app.fence().await;
        if !order_list::visible(&app.db, scope(caller), &order).await? {
            return Err(ApiError::NotFound);
        }
    }
    Ok(Json(order_json(caller, &order, &files)))
}

#[derive(Deserialize)]
struct PlaceBody {
    work_type: String,
    subject: String,
    topic: String,
    pages: i64,
    deadline: NaiveDate,
    #[serde(default)]
    requirements: String,
}

async fn place(
    State(app): State<App>,
    caller: Caller,
    Body(b): Body<PlaceBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(&[Role::Client])?;
    let pages = u32::try_from(b.pages)
        .map_err(|_| ApiError::Unprocessable("pages must be between 1 and 1000".into()))?;
    let id = Uuid::new_v4();
    app.order_repo
        .expect_new(<Order as cqrs_es::Aggregate>::TYPE, &id.to_string());
    let mut cmd = OrderCommand::PlaceOrder {
        number: 0,
        client_id: caller.user.id,
        work_type: b.work_type,
        subject: b.subject,
        topic: b.topic,
        pages,
        deadline: b.deadline,
        requirements: b.requirements,
        at: app.clock.now(),
    };
    // Numbers are 1, 2, 3, … in placement order: a placement the order would refuse must
    // not take one, so the (pure) decision is made before the number is drawn.
    Order::default()
        .decide(cmd.clone())
        .map_err(|e| ApiError::from(cqrs_es::AggregateError::UserError(e)))?;
    if let OrderCommand::PlaceOrder { number, .. } = &mut cmd {
        *number = app.next_order_number().await?;
    }
    app.order(id, cmd, &caller.ctx()).await?;
    let Json(v) = respond(&app, &caller, id).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Parses the list query by hand so that every bad value gets a precise 422.
fn list_query(params: &HashMap<String, String>) -> Result<ListQuery, ApiError> {
    let bad = |m: String| ApiError::Unprocessable(m);
    let int = |name: &str, default: i64, max: i64| -> Result<i64, ApiError> {
        match params.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(bad(format!(
                    "{name} must be a whole number from 1 to {max}"
                ))),
            },
        }
    };
    Ok(ListQuery {
        status: params
            .get("status")
            .map(|s| OrderStatus::parse(s).ok_or_else(|| bad(format!("unknown status {s:?}"))))
            .transpose()?,
        author_id: params
            .get("author_id")
            .map(|s| Uuid::parse_str(s).map_err(|_| bad("author_id must be a UUID".into())))
            .transpose()?,
        problem: params
            .get("problem")
            .map(|s| match s.as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(bad("problem must be true or false".into())),
            })
            .transpose()?,
        q: params.get("q").cloned(),
        sort: params
            .get("sort")
            .map(|s| {
                Sort::parse(s).ok_or_else(|| {
                    bad("sort must be one of number, -number, deadline, -deadline".into())
                })
            })
            .transpose()?
            .unwrap_or_default(),
        page: int("page", 1, MAX_PAGE)?,
        per_page: int("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
    })
}

async fn list(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let query = list_query(&params)?;
    let page = order_list::list(&app.db, scope(&caller), &query).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|o| summary_json(&caller, o))
        .collect();
    Ok(Json(json!({
        "items": items, "total": page.total, "page": query.page, "per_page": query.per_page,
    })))
}

/// The order now, or with `?as_of=` as it stood then (auditor, admin).
async fn show(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    match params.get("as_of") {
        Some(as_of) => super::audit::order_as_of(&app, &caller, id, as_of).await,
        None => read(&app, &caller, id).await,
    }
}

/// The order as the table shows it (after the read fence): what a read answers with. Not
/// from a stream this instance remembers, which another instance may have moved on.
async fn read(app: &App, caller: &Caller, id: Uuid) -> Result<Json<Value>, ApiError> {
    let (order, files) = order_list::with_files(&app.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !order_list::visible(&app.db, scope(caller), &order).await? {
        return Err(ApiError::NotFound);
    }
    Ok(Json(order_json(caller, &order, &files)))
}

/// The order's whole history from the log, oldest first.
async fn events(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    find(&app, &caller, id).await?;
    let events = projections::feed::stream(&app.db, "Order", &id.to_string()).await?;
    let items: Vec<Value> = events
        .iter()
        .map(|e| {
            let mut data = super::audit::event_data(&e.payload);
            if caller.role() == Role::Client {
                if let Some(m) = data.as_object_mut() {
                    m.remove("author_fee");
                }
            }
            json!({
                "sequence": e.sequence,
                "position": e.cursor.position,
                "type": e.event_type,
                "version": e.event_version,
                "at": e.meta.at.to_rfc3339(),
                "actor": {"id": e.meta.actor_id, "role": e.meta.actor_role},
                "request_id": e.meta.request_id,
                "hash": super::audit::event_hash(e),
                "data": data,
            })
        })
        .collect();
    Ok(Json(Value::Array(items)))
}

/// The client-facing history of the order (status changes with notes).
async fn history(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    find(&app, &caller, id).await?;
    let entries = projections::client_history::for_order(&app.db, id).await?;
    Ok(Json(json!(entries)))
}

#[derive(Deserialize)]
struct PriceBody {
    price: i64,
    author_fee: Option<i64>,
}

async fn set_price(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<PriceBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(STAFF)?;
    ensure_visible(&app, &caller, id).await?;
    let author_fee = b
        .author_fee
        .unwrap_or_else(|| b.price.max(0) * i64::from(app.config.author_fee_percent) / 100);
    let cmd = OrderCommand::SetPrice {
        actor: caller.actor(),
        price: b.price,
        author_fee,
        at: app.clock.now(),
    };
    app.order(id, cmd, &caller.ctx()).await?;
    respond(&app, &caller, id).await
}

#[derive(Deserialize, Default)]
struct OfferBody {
    author_id: Option<Uuid>,
}

async fn offer(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<OfferBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(STAFF)?;
    ensure_visible(&app, &caller, id).await?;
    let author_id = match b.author_id {
        Some(a) => {
            let author = projections::users::by_id(&app.db, a).await?;
            match author {
                Some(u) if u.role == Role::Author && !u.blocked => a,
                Some(u) if u.role == Role::Author => {
                    return Err(ApiError::Conflict("this author is blocked".into()))
                }
                _ => return Err(ApiError::Unprocessable(format!("{a} is not an author"))),
            }
        }
        None => crate::offers::choose_author(&app, id)
            .await?
            .ok_or_else(|| ApiError::Conflict("no author is eligible for this order".into()))?,
    };
    let now = app.clock.now();
    let expires_at = now + app.config.offer_ttl;
    let cmd = OrderCommand::OfferToAuthor {
        actor: caller.actor(),
        author_id,
        expires_at,
        at: now,
    };
    app.order(id, cmd, &caller.ctx()).await?;
    Ok(Json(
        json!({"author_id": author_id, "expires_at": expires_at.to_rfc3339()}),
    ))
}

async fn accept(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Author])?;
    ensure_visible(&app, &caller, id).await?;
    let cmd = OrderCommand::AcceptOffer {
        author_id: caller.user.id,
        at: app.clock.now(),
    };
    app.order(id, cmd, &caller.ctx()).await?;
    respond(&app, &caller, id).await
}

#[derive(Deserialize, Default)]
struct ReasonBody {
    #[serde(default)]
    reason: String,
}

async fn decline(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<ReasonBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Author])?;
    ensure_visible(&app, &caller, id).await?;
    let cmd = OrderCommand::DeclineOffer {
        author_id: caller.user.id,
        reason: b.reason,
        at: app.clock.now(),
    };
    app.order(id, cmd, &caller.ctx()).await?;
    respond(&app, &caller, id).await
}

#[derive(Deserialize)]
struct PaymentBody {
    half: String,
    amount: i64,
    payment_id: String,
}

async fn payment(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<PaymentBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Manager, Role::PayoutClerk, Role::Admin])?;
    ensure_visible(&app, &caller, id).await?;
    let half = match b.half.as_str() {
        "first" => Half::First,
        "second" => Half::Second,
        other => {
            return Err(ApiError::Unprocessable(format!(
                "half must be \"first\" or \"second\", not {other:?}"
            )))
        }
    };
    let payment_id = b.payment_id.trim().to_string();
    if payment_id.is_empty() || payment_id.len() > 200 {
        return Err(ApiError::Unprocessable(
            "payment_id must be 1 to 200 characters".into(),
        ));
    }
    if b.amount <= 0 {
        return Err(ApiError::Unprocessable(
            "amount must be a positive number of kopecks".into(),
        ));
    }
    let cmd = OrderCommand::RecordPayment {
        half,
        amount: b.amount,
        payment_id,
        guarantee_days: app.config.guarantee_days,
        at: app.clock.now(),
    };
    app.order(id, cmd, &caller.ctx()).await?;
    respond(&app, &caller, id).await
}

/// An upload read into memory: its bytes and what the event will record of it.
struct Upload {
    bytes: axum::body::Bytes,
    file: FileRef,
}

/// Reads the one `file` part of a multipart upload.
async fn read_upload(
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Upload, ApiError> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::BadRequest(format!(
            "expected multipart/form-data with a `file` part: {}",
            e.body_text()
        ))
    })?;
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        ApiError::BadRequest(format!("unreadable multipart body: {}", e.body_text()))
    })? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "upload".to_string());
        let content_type = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_string();
        let bytes = field.bytes().await.map_err(|e| {
            ApiError::BadRequest(format!("unreadable file part: {}", e.body_text()))
        })?;
        if bytes.is_empty() {
            return Err(ApiError::Unprocessable("the file is empty".into()));
        }
        let file = FileRef {
            id: Uuid::new_v4(),
            name,
            size: bytes.len() as i64,
            content_type,
            sha256: crate::files::sha256_hex(&bytes),
        };
        return Ok(Upload { bytes, file });
    }
    Err(ApiError::BadRequest(
        "the multipart body has no `file` part".into(),
    ))
}

async fn upload(
    app: App,
    caller: Caller,
    id: Uuid,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
    draft: bool,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Author])?;
    ensure_visible(&app, &caller, id).await?;
    let Upload { bytes, file } = read_upload(multipart).await?;
    let (author_id, at) = (caller.user.id, app.clock.now());
    let cmd = if draft {
        OrderCommand::SubmitDraft {
            author_id,
            file,
            at,
        }
    } else {
        OrderCommand::SubmitFinal {
            author_id,
            file,
            at,
        }
    };
    // Refuse before storing anything; the file is on disk before the event names it.
    app.check_order(id, &cmd).await?;
    app.files.put(&bytes).await.map_err(ApiError::internal)?;
    app.order(id, cmd, &caller.ctx()).await?;
    respond(&app, &caller, id).await
}

async fn upload_draft(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<Value>, ApiError> {
    upload(app, caller, id, multipart, true).await
}

async fn upload_final(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<Value>, ApiError> {
    upload(app, caller, id, multipart, false).await
}

#[derive(Deserialize, Default)]
struct CommentBody {
    #[serde(default)]
    comment: String,
}

/// Runs a manager's review command built from the caller and the clock.
async fn review(
    app: App,
    caller: Caller,
    id: Uuid,
    make: impl FnOnce(Actor, chrono::DateTime<chrono::Utc>) -> OrderCommand,
) -> Result<Json<Value>, ApiError> {
    caller.require(STAFF)?;
    ensure_visible(&app, &caller, id).await?;
    let cmd = make(caller.actor(), app.clock.now());
    app.order(id, cmd, &caller.ctx()).await?;
    respond(&app, &caller, id).await
}

async fn approve_draft(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    review(app, caller, id, |actor, at| OrderCommand::ApproveDraft {
        actor,
        at,
    })
    .await
}

async fn reject_draft(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<CommentBody>,
) -> Result<Json<Value>, ApiError> {
    review(app, caller, id, |actor, at| OrderCommand::RejectDraft {
        actor,
        comment: b.comment,
        at,
    })
    .await
}

async fn approve_final(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let guarantee_days = app.config.guarantee_days;
    review(app, caller, id, |actor, at| OrderCommand::ApproveFinal {
        actor,
        guarantee_days,
        at,
    })
    .await
}

async fn reject_final(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<CommentBody>,
) -> Result<Json<Value>, ApiError> {
    review(app, caller, id, |actor, at| OrderCommand::RejectFinal {
        actor,
        comment: b.comment,
        at,
    })
    .await
}

async fn revision(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    OptBody(b): OptBody<CommentBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Client])?;
    ensure_visible(&app, &caller, id).await?;
    let cmd = OrderCommand::RequestRevision {
        client_id: caller.user.id,
        comment: b.comment,
        at: app.clock.now(),
    };
    app.order(id, cmd, &caller.ctx()).await?;
    respond(&app, &caller, id).await
}

#[derive(Deserialize)]
struct CompleteBody {
    rating: i64,
    #[serde(default)]
    review: String,
}

async fn complete(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<CompleteBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Client])?;
    ensure_visible(&app, &caller, id).await?;
    let rating = u8::try_from(b.rating)
        .map_err(|_| ApiError::Unprocessable("a rating is a whole number from 1 to 5".into()))?;
    let cmd = OrderCommand::Complete {
        client_id: caller.user.id,
        rating,
        review: b.review,
        at: app.clock.now(),
    };
    app.order(id, cmd, &caller.ctx()).await?;
    respond(&app, &caller, id).await
}

async fn cancel(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Body(b): Body<ReasonBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Client, Role::Manager, Role::Admin])?;
    ensure_visible(&app, &caller, id).await?;
    let cmd = OrderCommand::Cancel {
        actor: caller.actor(),
        reason: b.reason,
        at: app.clock.now(),
    };
    app.order(id, cmd, &caller.ctx()).await?;
    respond(&app, &caller, id).await
}

async fn download(
    State(app): State<App>,
    caller: Caller,
    Path((id, file_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let order = find(&app, &caller, id).await?;
    let files = order_list::files(&app.db, id).await?;
    let file = files
        .iter()
        .find(|f| f.id == file_id)
        .filter(|f| file_visible(&caller, &order, f))
        .ok_or(ApiError::NotFound)?;
    let bytes = app
        .files
        .get(&file.sha256)
        .await
        .map_err(ApiError::internal)?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        file.name.replace(['"', '\\', '\r', '\n'], "_")
    );
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
