//! The order services: each turns one request of a caller into one command, with the
//! facts it needs (the clock's time, the order number, the default fee, the chosen
//! author, settings), after the access policy has said yes; and answers with the order
//! as the caller may see it.

use aggregates::order::{
    FileKind, FileRef, Half, Order, OrderChanges, OrderCommand, OrderEvent, OrderSource,
};
use aggregates::Actor;
use chrono::{DateTime, NaiveDate, Utc};
use cqrs_es::Aggregate;
use projections::feed::{self, StoredEvent};
use projections::order_list::{self, FileRow, ListQuery, OrderRow};
use uuid::Uuid;

use super::policy::{self, Action, Sight};
use super::values::{Pages, Rating};
use super::views::{
    EventView, HistoryView, OfferMade, OrderAsOf, OrderPage, OrderSummary, OrderView,
};
use super::{App, AppError, Ctx};

/// A new order, as the client asks for it.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub work_type: String,
    pub subject: String,
    pub topic: String,
    pub pages: i64,
    pub deadline: NaiveDate,
    pub requirements: String,
    /// Where it comes from (the service sets it: `site` for a client's own request).
    pub source: OrderSource,
    /// The finished order it repeats.
    pub repeats: Option<Uuid>,
}

impl NewOrder {
    /// The command placing this order for `client_id`, numbered `number`, routed to
    /// `manager_id` when someone was on shift.
    fn placement(
        &self,
        pages: Pages,
        client_id: Uuid,
        number: i64,
        manager_id: Option<Uuid>,
        corporate: bool,
        at: DateTime<Utc>,
    ) -> OrderCommand {
        OrderCommand::PlaceOrder {
            number,
            client_id,
            work_type: self.work_type.clone(),
            subject: self.subject.clone(),
            topic: self.topic.clone(),
            pages: pages.get(),
            deadline: self.deadline,
            requirements: self.requirements.clone(),
            manager_id,
            source: self.source,
            repeats: self.repeats,
            corporate,
            at,
        }
    }
}

/// The details a manager changes on an order, as asked (pages not yet checked).
#[derive(Debug, Clone, Default)]
pub struct Edits {
    pub topic: Option<String>,
    pub pages: Option<i64>,
    pub deadline: Option<NaiveDate>,
    pub requirements: Option<String>,
    pub work_type: Option<String>,
    pub subject: Option<String>,
}

/// A payment of one half, as the caller (or the provider) states it.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub half: String,
    pub amount: i64,
    pub payment_id: String,
}

/// `first` or `second`.
pub fn parse_half(s: &str) -> Result<Half, AppError> {
    match s {
        "first" => Ok(Half::First),
        "second" => Ok(Half::Second),
        other => Err(AppError::Invalid(format!(
            "half must be \"first\" or \"second\", not {other:?}"
        ))),
    }
}

/// The access policy's yes to an upload on one order, for one caller.
pub struct MaySubmit<'c> {
    ctx: &'c Ctx,
    id: Uuid,
}

/// An uploaded file's bytes and what the caller said of it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub bytes: axum::body::Bytes,
    pub name: String,
    pub content_type: String,
}

impl Upload {
    /// The upload as the service keeps it, or why not: at most `max_bytes` (413), of a
    /// type told by its content (415), named after that type (never a path).
    pub fn checked(self, max_bytes: usize) -> Result<Upload, AppError> {
        if self.bytes.len() > max_bytes {
            return Err(AppError::TooLarge(format!(
                "the file is larger than the limit of {} MiB",
                max_bytes / (1024 * 1024)
            )));
        }
        if self.bytes.is_empty() {
            return Err(AppError::Invalid("the file is empty".into()));
        }
        let kind = crate::files::detect(&self.bytes).ok_or_else(|| {
            AppError::UnsupportedType(format!(
                "the file's content is none of the types taken ({})",
                crate::files::ACCEPTED
            ))
        })?;
        Ok(Upload {
            name: crate::files::stored_name(&self.name, kind),
            content_type: kind.content_type.to_string(),
            bytes: self.bytes,
        })
    }
}

/// A manager's verdict on the draft or the final work under review.
#[derive(Debug, Clone)]
pub enum Verdict {
    ApproveDraft,
    RejectDraft { comment: String },
    ApproveFinal,
    RejectFinal { comment: String },
}

/// The payload of an externally tagged event: `{"Type": {...}}` → `{...}`, `"Type"` → `{}`.
pub fn event_data(payload: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match payload {
        Value::Object(m) if m.len() == 1 => m.values().next().cloned().unwrap_or(Value::Null),
        _ => serde_json::json!({}),
    }
}

/// An event's own hash from its metadata (null for one written before the chain).
pub fn event_hash(e: &StoredEvent) -> serde_json::Value {
    e.metadata
        .get(crate::chain::HASH)
        .cloned()
        .unwrap_or(serde_json::Value::Null)
}

impl App {
    /// Whether the caller sees this order row: the policy's rule, with the offers made
    /// before looked up in the table when the rule needs them.
    async fn sees_row(&self, actor: &Actor, order: &OrderRow) -> Result<bool, AppError> {
        Ok(match policy::sight(actor, policy::Parties::from(order)) {
            Sight::Yes => true,
            Sight::No => false,
            Sight::IfOfferedBefore => order_list::was_offered(&self.db, order.id, actor.id).await?,
        })
    }

    /// The order's row, if the caller may see it; not found for unknown and for not
    /// theirs alike.
    async fn visible_row(&self, actor: &Actor, id: Uuid) -> Result<OrderRow, AppError> {
        let order = order_list::by_id(&self.db, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if self.sees_row(actor, &order).await? {
            Ok(order)
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Not found unless the caller may see the order: yes when the order's own state
    /// says so (the store usually remembers it: no query), else as the read model says
    /// (which also knows offers withdrawn since).
    async fn ensure_visible(&self, actor: &Actor, id: Uuid) -> Result<(), AppError> {
        if policy::sees_order_state(actor, &self.order_state(id).await?) {
            return Ok(());
        }
        // On a command's path (reads are fenced by the router): the table must include
        // every answered command.
        self.fence().await;
        self.visible_row(actor, id).await.map(|_| ())
    }

    /// The policy's yes to `action` on this order (forbidden, else not found unless the
    /// caller sees it), before its command is built.
    pub(crate) async fn authorize_on(
        &self,
        ctx: &Ctx,
        action: Action,
        id: Uuid,
    ) -> Result<(), AppError> {
        policy::authorize(&ctx.actor, action)?;
        self.ensure_visible(&ctx.actor, id).await
    }

    /// [`App::authorize_on`] for a request that has more to read after the yes (an
    /// upload's body): the proof of it, which [`App::submit_work`] takes.
    pub async fn may_submit_work<'c>(
        &self,
        ctx: &'c Ctx,
        id: Uuid,
    ) -> Result<MaySubmit<'c>, AppError> {
        self.authorize_on(ctx, Action::SubmitWork, id).await?;
        Ok(MaySubmit { ctx, id })
    }

    /// The order as it now stands, for the caller who just changed it: folded from its
    /// own stream by the order table's code (what the table will show), without waiting
    /// for the table.
    pub(super) async fn answer(&self, actor: &Actor, id: Uuid) -> Result<OrderView, AppError> {
        let (state, order, files) = self.order_view(id).await?.ok_or(AppError::NotFound)?;
        // The order's own state says whom it concerns; else the table (which also knows
        // the offers withdrawn since) decides, as for a read.
        if !policy::sees_order_state(actor, &state) {
            self.fence().await;
            if !self.sees_row(actor, &order).await? {
                return Err(AppError::NotFound);
            }
        }
        Ok(OrderView::of(actor, &order, &files, &state.extras))
    }

    /// Runs `cmd` on an order the caller may act on, and answers with the order.
    pub(crate) async fn act(
        &self,
        ctx: &Ctx,
        id: Uuid,
        cmd: OrderCommand,
    ) -> Result<OrderView, AppError> {
        self.order(id, cmd, ctx).await?;
        self.answer(&ctx.actor, id).await
    }

    /// Whether an order would take `new` from `client_id` now (the order's own, pure
    /// decision, and its work type and subject in the catalogue: no number drawn, nothing
    /// stored); its pages when it would.
    pub(crate) async fn check_placement(
        &self,
        new: &NewOrder,
        client_id: Uuid,
    ) -> Result<Pages, AppError> {
        let pages = Pages::try_from(new.pages)?;
        Order::default().decide(new.placement(
            pages,
            client_id,
            0,
            None,
            false,
            self.clock.now(),
        ))?;
        self.check_in_catalogue(Some(&new.work_type), Some(&new.subject))
            .await?;
        Ok(pages)
    }

    /// A client places an order; it gets the next number.
    pub async fn place_order(&self, ctx: &Ctx, new: NewOrder) -> Result<OrderView, AppError> {
        policy::authorize(&ctx.actor, Action::PlaceOrder)?;
        self.place_for(ctx, ctx.actor.id, new, None).await
    }

    /// Places `new` for `client_id` (the caller, or the client a manager took it from by
    /// phone), routed to `taken_by` when a manager took it, else by the routing rule.
    pub(crate) async fn place_for(
        &self,
        ctx: &Ctx,
        client_id: Uuid,
        new: NewOrder,
        taken_by: Option<Uuid>,
    ) -> Result<OrderView, AppError> {
        // Numbers are 1, 2, 3, … in placement order: a placement the order would refuse
        // must not take one, so the (pure) decision is made before the number is drawn.
        let pages = self.check_placement(&new, client_id).await?;
        // A company's order says so from the start (the reports split by it).
        let corporate = self.is_corporate(client_id).await?;
        let id = Uuid::new_v4();
        self.order_repo.expect_new(Order::TYPE, &id.to_string());
        let place = |number, manager_id| {
            new.placement(
                pages,
                client_id,
                number,
                manager_id,
                corporate,
                self.clock.now(),
            )
        };
        // Placed routed when someone is on shift (one append; the answer names the
        // manager). Otherwise the router, woken, routes it (or a shift's start will).
        let manager = if taken_by.is_some() {
            taken_by
        } else if self.config.route_on_placement {
            crate::process::routing::manager_for_placement(self)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "routing at placement failed; the router will");
                    None
                })
        } else {
            None
        };
        let cmd = place(self.next_order_number().await?, manager);
        let at = self.order_at(id, cmd, ctx).await?;
        match (manager, at) {
            (Some(m), Some(at)) => crate::process::routing::routed_in_flight(self, at, m),
            _ => self.routing_wake.notify_one(),
        }
        self.answer(&ctx.actor, id).await
    }

    /// One page of the orders the caller may see.
    pub async fn list_orders(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<OrderPage, AppError> {
        policy::authorize(actor, Action::ReadOrders)?;
        let page = order_list::list(&self.db, policy::scope(actor), query).await?;
        Ok(OrderPage {
            items: page
                .items
                .iter()
                .map(|o| OrderSummary::of(actor, o))
                .collect(),
            total: page.total,
            page: query.page,
            per_page: query.per_page,
        })
    }

    /// The order as the table shows it (after the read fence): what a read answers with.
    /// Not from a stream this instance remembers, which another instance may have moved on.
    pub async fn show_order(&self, actor: &Actor, id: Uuid) -> Result<OrderView, AppError> {
        policy::authorize(actor, Action::ReadOrders)?;
        let (order, files) = order_list::with_files(&self.db, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !self.sees_row(actor, &order).await? {
            return Err(AppError::NotFound);
        }
        let extras = order_list::extras(&self.db, id).await?;
        Ok(OrderView::of(actor, &order, &files, &extras))
    }

    /// The order as it stood at `as_of`, folded from its events up to then by the order
    /// table's own fold; not found if it had not been placed by then.
    pub async fn order_as_of(
        &self,
        actor: &Actor,
        id: Uuid,
        as_of: DateTime<Utc>,
    ) -> Result<OrderAsOf, AppError> {
        policy::authorize(actor, Action::ReadPastState)?;
        let events = feed::stream(&self.db, Order::TYPE, &id.to_string()).await?;
        // Times never go backwards within a stream, so this is the prefix up to `as_of`.
        let mut past: Vec<(OrderEvent, DateTime<Utc>)> = Vec::new();
        for e in events.iter().take_while(|e| e.meta.at <= as_of) {
            let event: OrderEvent = e.decode().map_err(|err| {
                AppError::infrastructure(format!(
                    "order {id} event {} cannot be decoded: {err}",
                    e.sequence
                ))
            })?;
            past.push((event, e.meta.at));
        }
        let names = self
            .author_names(&order_list::accepted_authors(&past))
            .await?;
        let (row, files) = order_list::view(id, &past, &names).ok_or(AppError::NotFound)?;
        Ok(OrderAsOf {
            order: OrderView::of(actor, &row, &files, &order_list::extras_in(&past)),
            as_of,
        })
    }

    /// The order's whole history from the log, oldest first, less what the caller may
    /// not see of each event.
    pub async fn order_events(&self, actor: &Actor, id: Uuid) -> Result<Vec<EventView>, AppError> {
        policy::authorize(actor, Action::ReadOrders)?;
        let row = self.visible_row(actor, id).await?;
        let events = feed::stream(&self.db, Order::TYPE, &id.to_string()).await?;
        let fee = policy::sees_author_fee(actor);
        let client = policy::sees_client(actor);
        let conversation =
            super::messages::ConversationFilter::new(actor, policy::Parties::from(&row), &events);
        Ok(events
            .iter()
            // What the author is paid is between the company and the author.
            .filter(|e| fee || e.event_type != "CompensationGranted")
            .filter_map(|e| {
                let mut data = event_data(&e.payload);
                if let Some(m) = data.as_object_mut() {
                    if !fee {
                        m.remove("author_fee");
                    }
                    if !client {
                        m.remove("client_id");
                    }
                }
                let mut view = EventView::of(e, data);
                if !client && view.actor.role.as_deref() == Some(aggregates::Role::Client.as_str())
                {
                    // The client's id is theirs to keep from an author.
                    view.actor.id = None;
                }
                // The conversation's events as its list shows them (a held message
                // only to its sender and the company).
                conversation
                    .keep(&e.event_type, &mut view.data, &mut view.actor.id)
                    .then_some(view)
            })
            .collect())
    }

    /// The client-facing history of the order (status changes with notes).
    pub async fn order_history(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<Vec<HistoryView>, AppError> {
        policy::authorize(actor, Action::ReadOrders)?;
        self.visible_row(actor, id).await?;
        let entries = projections::client_history::for_order(&self.db, id).await?;
        Ok(entries.iter().map(HistoryView::from).collect())
    }

    /// A manager prices the order; without a fee the author gets the configured share.
    pub async fn set_price(
        &self,
        ctx: &Ctx,
        id: Uuid,
        price: i64,
        author_fee: Option<i64>,
    ) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::SetPrice, id).await?;
        let author_fee = match author_fee {
            Some(fee) => fee,
            None => self.default_author_fee(price).await?,
        };
        let cmd = OrderCommand::SetPrice {
            actor: ctx.actor,
            price,
            author_fee,
            at: self.clock.now(),
        };
        self.act(ctx, id, cmd).await
    }

    /// A manager offers the order to an author of their choice, or to the one the
    /// system picks; the offer runs out after the configured time.
    pub async fn offer_order(
        &self,
        ctx: &Ctx,
        id: Uuid,
        author_id: Option<Uuid>,
    ) -> Result<OfferMade, AppError> {
        self.authorize_on(ctx, Action::OfferOrder, id).await?;
        use crate::offers::Choice;
        // Held until the offer is committed: no other offer to this author is decided
        // meanwhile (their limit).
        let (author_id, _lock) = match crate::offers::choose_locked(self, id, author_id).await? {
            Choice::Author(a, lock) => (a, lock),
            Choice::Ineligible(why) => {
                let a = author_id.unwrap_or_default();
                return Err(self.ineligible(id, a, why).await?);
            }
            Choice::Nobody => {
                return Err(AppError::Conflict(
                    "no author is eligible for this order (none writes on its subject, is \
                     available, under their limit and was never offered it)"
                        .into(),
                ))
            }
        };
        let now = self.clock.now();
        let expires_at = now + self.offer_ttl().await?;
        let cmd = OrderCommand::OfferToAuthor {
            actor: ctx.actor,
            author_id,
            expires_at,
            at: now,
        };
        self.order(id, cmd, ctx).await?;
        Ok(OfferMade {
            author_id,
            expires_at,
        })
    }

    /// The 409 of a manager's choice the rule refuses, naming the reason (and, for an
    /// author offered the order before, how that offer ended).
    async fn ineligible(
        &self,
        id: Uuid,
        author_id: Uuid,
        why: aggregates::author::Ineligible,
    ) -> Result<AppError, AppError> {
        let mut detail = format!("this author may not be offered the order: {why}");
        if why == aggregates::author::Ineligible::OfferedBefore {
            let offers = projections::authors::offers_of(&self.db, id).await?;
            if let Some(o) = offers.iter().find(|o| o.author_id == author_id) {
                detail.push_str(match o.outcome.as_str() {
                    "declined" => " (they declined it)",
                    "expired" => " (they let the offer expire)",
                    "withdrawn" => " (the offer to them was withdrawn)",
                    "pending" => " (it is offered to them now)",
                    _ => " (they accepted it)",
                });
            }
        }
        Ok(AppError::Conflict(detail))
    }

    /// The offered author takes the order.
    pub async fn accept_offer(&self, ctx: &Ctx, id: Uuid) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::AnswerOffer, id).await?;
        let cmd = OrderCommand::AcceptOffer {
            author_id: ctx.actor.id,
            at: self.clock.now(),
        };
        self.act(ctx, id, cmd).await
    }

    /// The offered author declines the order.
    pub async fn decline_offer(
        &self,
        ctx: &Ctx,
        id: Uuid,
        reason: String,
    ) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::AnswerOffer, id).await?;
        let cmd = OrderCommand::DeclineOffer {
            author_id: ctx.actor.id,
            reason,
            at: self.clock.now(),
        };
        self.act(ctx, id, cmd).await
    }

    /// The assigned author uploads the draft or the final work. The order is asked first,
    /// so nothing is stored for a refused upload; the file is on disk (synced) before the
    /// event names it.
    pub async fn submit_work(
        &self,
        may: MaySubmit<'_>,
        kind: FileKind,
        upload: Upload,
    ) -> Result<OrderView, AppError> {
        let MaySubmit { ctx, id } = may;
        let upload = upload.checked(self.config.max_upload_bytes)?;
        let file = FileRef {
            id: Uuid::new_v4(),
            name: upload.name,
            size: upload.bytes.len() as i64,
            content_type: upload.content_type,
            sha256: crate::files::sha256_hex(&upload.bytes),
        };
        let (author_id, at) = (ctx.actor.id, self.clock.now());
        let cmd = match kind {
            FileKind::Draft => OrderCommand::SubmitDraft {
                author_id,
                file,
                at,
            },
            FileKind::Final => OrderCommand::SubmitFinal {
                author_id,
                file,
                at,
            },
        };
        self.check_order(id, &cmd).await?;
        self.files.put(&upload.bytes).await?;
        self.act(ctx, id, cmd).await
    }

    /// A manager's verdict on the work under review.
    pub async fn review(
        &self,
        ctx: &Ctx,
        id: Uuid,
        verdict: Verdict,
    ) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::Review, id).await?;
        let (actor, at) = (ctx.actor, self.clock.now());
        let cmd = match verdict {
            Verdict::ApproveDraft => OrderCommand::ApproveDraft { actor, at },
            Verdict::RejectDraft { comment } => OrderCommand::RejectDraft { actor, comment, at },
            Verdict::ApproveFinal => OrderCommand::ApproveFinal {
                actor,
                guarantee_days: self.guarantee_days().await?,
                at,
            },
            Verdict::RejectFinal { comment } => OrderCommand::RejectFinal { actor, comment, at },
        };
        self.act(ctx, id, cmd).await
    }

    /// The client asks for changes.
    pub async fn request_revision(
        &self,
        ctx: &Ctx,
        id: Uuid,
        comment: String,
    ) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::RequestRevision, id).await?;
        let cmd = OrderCommand::RequestRevision {
            client_id: ctx.actor.id,
            comment,
            at: self.clock.now(),
        };
        self.act(ctx, id, cmd).await
    }

    /// The client accepts the work and rates it.
    pub async fn complete_order(
        &self,
        ctx: &Ctx,
        id: Uuid,
        rating: i64,
        review: String,
        publish: bool,
    ) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::CompleteOrder, id).await?;
        let rating = Rating::try_from(rating)?;
        let cmd = OrderCommand::Complete {
            client_id: ctx.actor.id,
            rating: rating.get(),
            review,
            publish,
            at: self.clock.now(),
        };
        self.act(ctx, id, cmd).await
    }

    /// The client (before work starts) or a manager (before delivery) cancels the order.
    pub async fn cancel_order(
        &self,
        ctx: &Ctx,
        id: Uuid,
        reason: String,
    ) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::CancelOrder, id).await?;
        let cmd = OrderCommand::Cancel {
            actor: ctx.actor,
            reason,
            at: self.clock.now(),
        };
        self.act(ctx, id, cmd).await
    }

    /// A manager changes an order's details (`None` leaves a field as it is): before the
    /// first half, any of them (one `OrderEdited` with each old and new value); after it,
    /// the deadline alone, as a proposal the client answers.
    pub async fn edit_order(
        &self,
        ctx: &Ctx,
        id: Uuid,
        changes: Edits,
    ) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::EditOrder, id).await?;
        let pages = changes.pages.map(Pages::try_from).transpose()?;
        // A new work type or subject must be in the catalogue; the order's own (retired
        // since, perhaps) may be sent back as it is.
        let now = self.order_state(id).await?;
        let changed = |asked: &Option<String>, current: &str| {
            asked
                .as_deref()
                .filter(|a| a.trim() != current)
                .map(str::to_string)
        };
        self.check_in_catalogue(
            changed(&changes.work_type, &now.work_type).as_deref(),
            changed(&changes.subject, &now.subject).as_deref(),
        )
        .await?;
        let cmd = OrderCommand::EditOrder {
            actor: ctx.actor,
            changes: OrderChanges {
                topic: changes.topic,
                pages: pages.map(Pages::get),
                deadline: changes.deadline,
                requirements: changes.requirements,
                work_type: changes.work_type,
                subject: changes.subject,
            },
            at: self.clock.now(),
        };
        self.act(ctx, id, cmd).await
    }

    /// A manager lowers the order's price, saying why (before the first half).
    pub async fn give_discount(
        &self,
        ctx: &Ctx,
        id: Uuid,
        price: i64,
        reason: String,
    ) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::EditOrder, id).await?;
        let cmd = OrderCommand::GiveDiscount {
            actor: ctx.actor,
            price,
            reason,
            at: self.clock.now(),
        };
        self.act(ctx, id, cmd).await
    }

    /// A manager adds an extra of the catalogue (in force) to the order, at its price now,
    /// before the first half: the price and the halves follow.
    pub async fn add_extra(&self, ctx: &Ctx, id: Uuid, code: &str) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::ChangeExtras, id).await?;
        let catalogue = self.catalogue().await?;
        let extra = catalogue.extra(code).ok_or_else(|| {
            AppError::Invalid(format!(
                "the catalogue has no extra {:?} in force (one of: {})",
                code.trim(),
                catalogue
                    .active(aggregates::catalogue::EntryKind::Extra)
                    .map(|e| e.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let cmd = OrderCommand::AddExtra {
            actor: ctx.actor,
            code: extra.code.clone(),
            name: extra.name.clone(),
            price: extra.price.unwrap_or(0),
            at: self.clock.now(),
        };
        self.act(ctx, id, cmd).await
    }

    /// A manager removes an extra from the order before the first half: the price it was
    /// added at comes off.
    pub async fn remove_extra(
        &self,
        ctx: &Ctx,
        id: Uuid,
        code: &str,
    ) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::ChangeExtras, id).await?;
        let cmd = OrderCommand::RemoveExtra {
            actor: ctx.actor,
            code: code.to_string(),
            at: self.clock.now(),
        };
        self.act(ctx, id, cmd).await
    }

    /// The client accepts (or refuses) the deadline their order's manager proposed.
    pub async fn answer_deadline(
        &self,
        ctx: &Ctx,
        id: Uuid,
        accept: bool,
    ) -> Result<OrderView, AppError> {
        self.authorize_on(ctx, Action::AnswerDeadline, id).await?;
        let cmd = OrderCommand::AnswerDeadline {
            client_id: ctx.actor.id,
            accept,
            at: self.clock.now(),
        };
        self.act(ctx, id, cmd).await
    }

    /// The client orders a finished order (completed or failed) again: a new order with
    /// the same work type, subject, topic, pages and requirements, by `deadline`, that
    /// names the first (`repeats`). 404 for an order not theirs, 409 for one not finished.
    pub async fn repeat_order(
        &self,
        ctx: &Ctx,
        id: Uuid,
        deadline: NaiveDate,
    ) -> Result<OrderView, AppError> {
        policy::authorize(&ctx.actor, Action::PlaceOrder)?;
        self.ensure_visible(&ctx.actor, id).await?;
        let first = self.order_state(id).await?;
        if !first.placed || first.client_id != ctx.actor.id {
            return Err(AppError::NotFound);
        }
        if !first.status.is_terminal() {
            return Err(AppError::Conflict(format!(
                "only a finished order can be repeated; this one is {}",
                first.status
            )));
        }
        let new = NewOrder {
            work_type: first.work_type,
            subject: first.subject,
            topic: first.topic,
            pages: i64::from(first.pages),
            deadline,
            requirements: first.requirements,
            source: OrderSource::Site,
            repeats: Some(id),
        };
        self.place_for(ctx, ctx.actor.id, new, None).await
    }

    /// A file of the order, if it reaches the caller, with its bytes.
    pub async fn download(
        &self,
        actor: &Actor,
        id: Uuid,
        file_id: Uuid,
    ) -> Result<(FileRow, Vec<u8>), AppError> {
        policy::authorize(actor, Action::ReadOrders)?;
        let order = self.visible_row(actor, id).await?;
        let files = order_list::files(&self.db, id).await?;
        let file = files
            .into_iter()
            .find(|f| f.id == file_id)
            .filter(|f| policy::sees_file_of(actor, &order, f))
            .ok_or(AppError::NotFound)?;
        let bytes = self.files.get(&file.sha256).await?;
        Ok((file, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_data_unwraps_the_tag() {
        use serde_json::json;
        assert_eq!(
            event_data(&json!({"PriceSet": {"price": 1}})),
            json!({"price": 1})
        );
        assert_eq!(event_data(&json!("DraftApproved")), json!({}));
    }
}
