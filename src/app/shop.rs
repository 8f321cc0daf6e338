//! The ready-made works shop (decision 021): staff list a finished work with its file
//! and delist it (`ReadyWork`); anyone browses the catalogue (never the file); a client —
//! or a guest with an email, as at checkout — buys one (`Purchase`, one per sale) and pays
//! it in full, by hand or through the provider's signed notification, with the rules of an
//! order's half; the mail worker mails the file once it is paid.

use aggregates::purchase::{Purchase, PurchaseCommand, PurchaseEvent, WorkOnSale};
use aggregates::ready_work::{ReadyWork, ReadyWorkCommand, ReadyWorkEvent, WorkFile};
use aggregates::user::UserCommand;
use aggregates::{Actor, Role, CURRENCY};
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use projections::feed::EventMeta;
use projections::shop::{self, PurchaseRow, WorkFilter, WorkRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::checkout::Contact;
use super::orders::Upload;
use super::payments::{used_elsewhere, Signed};
use super::policy::{self, Action};
use super::values::{Kopecks, Pages, PaymentId};
use super::{App, AppError, Ctx};

/// The most works or purchases on one page.
pub const MAX_PER_PAGE: i64 = 100;

/// A work's file as staff see it (never its hash or where it is kept).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReadyWorkFile)]
pub struct WorkFileView {
    pub name: String,
    #[schema(minimum = 1)]
    pub size: i64,
    pub content_type: String,
}

/// A ready-made work of the catalogue. The public sees what it is and its price; the
/// file itself is never in it (staff see its name, size and type).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReadyWork)]
pub struct ReadyWorkView {
    pub id: Uuid,
    pub title: String,
    pub subject: String,
    pub work_type: String,
    #[schema(minimum = 1, maximum = 1000)]
    pub pages: i64,
    /// Kopecks, paid in full.
    #[schema(minimum = 1)]
    pub price: i64,
    #[schema(examples("RUB"))]
    pub currency: String,
    pub description: String,
    /// When it was listed (RFC 3339).
    pub listed_at: String,
    /// Whether it can be bought now (false once delisted).
    pub on_sale: bool,
    /// Purchases paid (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub sales: Option<i64>,
    /// The file (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<WorkFileView>,
}

/// One page of the catalogue and how many works match in all.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReadyWorkPage)]
pub struct ReadyWorkPage {
    pub items: Vec<ReadyWorkView>,
    #[schema(minimum = 0)]
    pub total: i64,
}

/// A purchase of a ready-made work.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Purchase)]
pub struct PurchaseView {
    pub id: Uuid,
    pub work_id: Uuid,
    pub buyer_id: Uuid,
    /// The work's title when bought.
    pub title: String,
    /// Kopecks due, in full.
    #[schema(minimum = 1)]
    pub price: i64,
    #[schema(examples("RUB"))]
    pub currency: String,
    /// `awaiting_payment` or `paid`.
    #[schema(examples("awaiting_payment"))]
    pub status: String,
    /// Kopecks paid: 0 or the price.
    #[schema(minimum = 0)]
    pub paid: i64,
    /// The payment's id, once paid.
    #[schema(required = true)]
    pub payment_id: Option<String>,
    /// When it was made (RFC 3339).
    pub made_at: String,
    /// When it was paid (RFC 3339), once paid.
    #[schema(required = true)]
    pub paid_at: Option<String>,
}

/// One page of purchases and how many there are in all.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = PurchasePage)]
pub struct PurchasePage {
    pub items: Vec<PurchaseView>,
    #[schema(minimum = 0)]
    pub total: i64,
}

/// The provider's notification of a purchase's payment, answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = PurchasePaymentReceipt)]
pub struct PurchaseReceipt {
    pub purchase_id: Uuid,
    pub payment_id: String,
    #[schema(minimum = 1)]
    pub amount: i64,
    /// True when this notification recorded the payment; false when it had been
    /// recorded before (a repeat changes nothing).
    pub recorded: bool,
}

/// A work to list, as staff send it.
#[derive(Debug, Clone)]
pub struct NewReadyWork {
    pub title: String,
    pub subject: String,
    pub work_type: String,
    pub pages: i64,
    pub price: i64,
    pub description: String,
    pub file: Upload,
}

/// A purchase's payment in full.
#[derive(Debug, Clone)]
pub struct NewPurchasePayment {
    pub amount: i64,
    pub payment_id: String,
}

/// What the catalogue is asked for.
#[derive(Debug, Clone, Default)]
pub struct Browse {
    pub subject: Option<String>,
    pub work_type: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub q: Option<String>,
    /// Delisted works too (staff only; refused to anyone else).
    pub include_delisted: bool,
    pub page: i64,
    pub per_page: i64,
}

fn check_page(page: i64, per_page: i64) -> Result<(), AppError> {
    if !(1..=MAX_PER_PAGE).contains(&per_page) || !(1..=10_000).contains(&page) {
        return Err(AppError::Invalid(format!(
            "page is from 1 to 10000 and per_page from 1 to {MAX_PER_PAGE}"
        )));
    }
    Ok(())
}

/// Whether the caller is staff who see a work's file and sales.
fn sees_stock(actor: Option<&Actor>) -> bool {
    actor.is_some_and(|a| policy::authorize(a, Action::ListReadyWork).is_ok())
}

impl ReadyWorkView {
    fn of_row(r: WorkRow, staff: bool) -> ReadyWorkView {
        ReadyWorkView {
            id: r.id,
            title: r.title,
            subject: r.subject,
            work_type: r.work_type,
            pages: r.pages,
            price: r.price,
            currency: CURRENCY.to_string(),
            description: r.description,
            listed_at: r.listed_at,
            on_sale: !r.delisted,
            sales: staff.then_some(r.sales),
            file: staff.then_some(WorkFileView {
                name: r.file_name,
                size: r.file_size,
                content_type: r.file_type,
            }),
        }
    }
}

impl PurchaseView {
    fn of_row(r: PurchaseRow) -> PurchaseView {
        let paid = r.status == "paid";
        PurchaseView {
            id: r.id,
            work_id: r.work_id,
            buyer_id: r.buyer_id,
            title: r.title,
            price: r.price,
            currency: CURRENCY.to_string(),
            status: r.status,
            paid: if paid { r.price } else { 0 },
            payment_id: r.payment_id,
            made_at: r.made_at,
            paid_at: r.paid_at,
        }
    }
}

impl App {
    /// An aggregate's stream decoded, each event with its time, and the state it folds
    /// into (the remembered stream when there is one).
    async fn fold<A>(
        &self,
        repo: &crate::store::Repo,
        id: Uuid,
    ) -> Result<(A, Vec<(A::Event, DateTime<Utc>)>), AppError>
    where
        A: Aggregate,
    {
        let stored = repo
            .stream::<A>(&id.to_string())
            .await
            .map_err(AppError::infrastructure)?;
        let mut state = A::default();
        let mut events = Vec::with_capacity(stored.len());
        for e in stored.iter() {
            let event: A::Event = serde_json::from_value(e.payload.clone()).map_err(|e| {
                AppError::Infrastructure(format!("a {} event does not decode: {e}", A::TYPE))
            })?;
            state.apply(event.clone());
            events.push((event, EventMeta::from_json(&e.metadata).at));
        }
        Ok((state, events))
    }

    /// The work as its own events say (the default state when it was never listed).
    pub async fn ready_work_state(&self, id: Uuid) -> Result<ReadyWork, AppError> {
        Ok(self.fold::<ReadyWork>(&self.ready_work_repo, id).await?.0)
    }

    /// The purchase as its own events say (the default state when it was never made).
    pub async fn purchase_state(&self, id: Uuid) -> Result<Purchase, AppError> {
        Ok(self.fold::<Purchase>(&self.purchase_repo, id).await?.0)
    }

    /// The work's view from its own stream (`NotFound` when never listed).
    async fn work_view(&self, id: Uuid, staff: bool) -> Result<ReadyWorkView, AppError> {
        let (w, events) = self.fold::<ReadyWork>(&self.ready_work_repo, id).await?;
        if !w.listed {
            return Err(AppError::NotFound);
        }
        let listed_at = events
            .iter()
            .find(|(e, _)| matches!(e, ReadyWorkEvent::WorkListed { .. }))
            .map(|(_, at)| at.to_rfc3339())
            .unwrap_or_default();
        let sales = if staff {
            self.fence().await;
            shop::work(&self.db, id).await?.map(|r| r.sales)
        } else {
            None
        };
        Ok(ReadyWorkView {
            id,
            on_sale: w.on_sale(),
            pages: i64::from(w.pages),
            price: w.price,
            currency: CURRENCY.to_string(),
            listed_at,
            sales: staff.then(|| sales.unwrap_or(0)),
            file: w.file.filter(|_| staff).map(|f| WorkFileView {
                name: f.name,
                size: f.size,
                content_type: f.content_type,
            }),
            title: w.title,
            subject: w.subject,
            work_type: w.work_type,
            description: w.description,
        })
    }

    /// The purchase's view from its own stream (`NotFound` when never made).
    async fn purchase_view(&self, id: Uuid) -> Result<(Purchase, PurchaseView), AppError> {
        let (p, events) = self.fold::<Purchase>(&self.purchase_repo, id).await?;
        if !p.made {
            return Err(AppError::NotFound);
        }
        let at_of = |paid: bool| {
            events
                .iter()
                .find(|(e, _)| matches!(e, PurchaseEvent::PurchasePaid { .. }) == paid)
                .map(|(_, at)| at.to_rfc3339())
        };
        let paid = p.payment_id.is_some();
        let view = PurchaseView {
            id,
            work_id: p.work_id,
            buyer_id: p.buyer_id,
            title: p.title.clone(),
            price: p.price,
            currency: CURRENCY.to_string(),
            status: p.status.as_str().to_string(),
            paid: if paid { p.price } else { 0 },
            payment_id: p.payment_id.clone(),
            made_at: at_of(false).unwrap_or_default(),
            paid_at: at_of(true),
        };
        Ok((p, view))
    }

    /// Staff list a finished work with its file. Everything is checked before the file is
    /// stored: a refused listing stores nothing.
    pub async fn list_ready_work(
        &self,
        ctx: &Ctx,
        mut new: NewReadyWork,
    ) -> Result<ReadyWorkView, AppError> {
        policy::authorize(&ctx.actor, Action::ListReadyWork)?;
        let pages = Pages::try_from(new.pages)?;
        new.file = new.file.checked(self.config.max_upload_bytes)?;
        let file = WorkFile {
            name: new.file.name.clone(),
            size: new.file.bytes.len() as i64,
            content_type: new.file.content_type.clone(),
            sha256: crate::files::sha256_hex(&new.file.bytes),
        };
        let cmd = ReadyWorkCommand::List {
            actor: ctx.actor,
            title: new.title,
            subject: new.subject,
            work_type: new.work_type,
            pages: pages.get(),
            price: new.price,
            description: new.description,
            file,
            at: self.clock.now(),
        };
        ReadyWork::default().decide(cmd.clone())?;
        if let ReadyWorkCommand::List {
            work_type, subject, ..
        } = &cmd
        {
            self.check_in_catalogue(Some(work_type), Some(subject))
                .await?;
        }
        self.files.put(&new.file.bytes).await?;
        let id = Uuid::new_v4();
        self.ready_work_repo
            .expect_new(ReadyWork::TYPE, &id.to_string());
        self.execute(&self.ready_works, &id.to_string(), cmd, ctx)
            .await?;
        self.projector.wake();
        self.work_view(id, true).await
    }

    /// Staff take a work off sale, saying why.
    pub async fn delist_ready_work(
        &self,
        ctx: &Ctx,
        id: Uuid,
        reason: String,
    ) -> Result<ReadyWorkView, AppError> {
        policy::authorize(&ctx.actor, Action::DelistReadyWork)?;
        let cmd = ReadyWorkCommand::Delist {
            actor: ctx.actor,
            reason,
            at: self.clock.now(),
        };
        self.execute(&self.ready_works, &id.to_string(), cmd, ctx)
            .await?;
        self.projector.wake();
        self.work_view(id, true).await
    }

    /// The catalogue: works on sale (staff may ask for delisted ones too), filtered and
    /// searched, newest first. Anyone, with or without a token.
    pub async fn browse_ready_works(
        &self,
        actor: Option<&Actor>,
        b: Browse,
    ) -> Result<ReadyWorkPage, AppError> {
        check_page(b.page, b.per_page)?;
        let staff = sees_stock(actor);
        if b.include_delisted && !staff {
            return Err(AppError::Forbidden(
                "only staff see delisted works".to_string(),
            ));
        }
        for (what, p) in [("min_price", b.min_price), ("max_price", b.max_price)] {
            if p.is_some_and(|p| p < 0) {
                return Err(AppError::Invalid(format!(
                    "{what} must be a non-negative number of kopecks"
                )));
            }
        }
        let clean = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let filter = WorkFilter {
            subject: clean(b.subject),
            work_type: clean(b.work_type),
            min_price: b.min_price,
            max_price: b.max_price,
            q: clean(b.q),
            include_delisted: b.include_delisted,
        };
        self.fence().await;
        let page = shop::works(&self.db, &filter, b.per_page, (b.page - 1) * b.per_page).await?;
        Ok(ReadyWorkPage {
            total: page.total,
            items: page
                .items
                .into_iter()
                .map(|r| ReadyWorkView::of_row(r, staff))
                .collect(),
        })
    }

    /// One work of the catalogue, delisted or not (anyone).
    pub async fn show_ready_work(
        &self,
        actor: Option<&Actor>,
        id: Uuid,
    ) -> Result<ReadyWorkView, AppError> {
        self.work_view(id, sees_stock(actor)).await
    }

    /// The subjects and work types on sale (the catalogue page's filters).
    pub async fn ready_work_facets(&self) -> Result<(Vec<String>, Vec<String>), AppError> {
        self.fence().await;
        Ok(shop::facets(&self.db).await?)
    }

    /// The work's file, for staff (the public never gets it; a buyer gets it by mail and
    /// from their paid purchase).
    pub async fn ready_work_file(
        &self,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<(WorkFile, Vec<u8>), AppError> {
        policy::authorize(&ctx.actor, Action::ReadWorkFile)?;
        let w = self.ready_work_state(id).await?;
        let file = w.file.filter(|_| w.listed).ok_or(AppError::NotFound)?;
        let bytes = self.files.get(&file.sha256).await?;
        Ok((file, bytes))
    }

    /// A logged-in client buys a work on sale at its price now.
    pub async fn buy_ready_work(&self, ctx: &Ctx, work_id: Uuid) -> Result<PurchaseView, AppError> {
        policy::authorize(&ctx.actor, Action::BuyReadyWork)?;
        let work = self.work_on_sale(work_id).await?;
        self.make_purchase(ctx, work).await
    }

    /// A guest buys a work with their contact, as at checkout: a new email gets an account
    /// whose credentials are mailed, an existing client's email a notice to log in; the
    /// purchase is theirs either way. Nothing is created when the work is not on sale.
    pub async fn buy_ready_work_as_guest(
        &self,
        request_id: &str,
        contact: Contact,
        work_id: Uuid,
    ) -> Result<PurchaseView, AppError> {
        let guest = contact.parse()?;
        let work = self.work_on_sale(work_id).await?;
        // The purchase's own checks, before an account exists.
        Purchase::default().decide(PurchaseCommand::Make {
            buyer: Actor::new(Uuid::nil(), Role::Client),
            work: work.clone(),
            at: self.clock.now(),
        })?;
        let buyer = self.guest_client(request_id, &guest).await?;
        let ctx = Ctx::request(Actor::new(buyer, Role::Client), request_id);
        let purchase = self.make_purchase(&ctx, work).await?;
        self.user(
            buyer,
            UserCommand::NotePurchase {
                purchase_id: purchase.id,
                title: purchase.title.clone(),
            },
            &ctx,
        )
        .await?;
        Ok(purchase)
    }

    /// The work's facts for a purchase: 404 when never listed, 409 when delisted.
    async fn work_on_sale(&self, work_id: Uuid) -> Result<WorkOnSale, AppError> {
        let w = self.ready_work_state(work_id).await?;
        if !w.listed {
            return Err(AppError::NotFound);
        }
        Ok(WorkOnSale {
            work_id,
            on_sale: w.on_sale(),
            title: w.title,
            price: w.price,
        })
    }

    async fn make_purchase(&self, ctx: &Ctx, work: WorkOnSale) -> Result<PurchaseView, AppError> {
        let id = Uuid::new_v4();
        let cmd = PurchaseCommand::Make {
            buyer: ctx.actor,
            work,
            at: self.clock.now(),
        };
        // Decided first: a refusal leaves no stream remembered.
        Purchase::default().decide(cmd.clone())?;
        self.purchase_repo
            .expect_new(Purchase::TYPE, &id.to_string());
        self.execute(&self.purchases, &id.to_string(), cmd, ctx)
            .await?;
        self.projector.wake();
        Ok(self.purchase_view(id).await?.1)
    }

    /// 404 unless the caller may read purchases and sees this one (its buyer, or staff).
    async fn seen_purchase(
        &self,
        actor: &Actor,
        action: Action,
        id: Uuid,
    ) -> Result<(Purchase, PurchaseView), AppError> {
        policy::authorize(actor, action)?;
        let (p, view) = self.purchase_view(id).await?;
        if !policy::sees_purchase(actor, p.buyer_id) {
            return Err(AppError::NotFound);
        }
        Ok((p, view))
    }

    /// One purchase, for its buyer or staff.
    pub async fn show_purchase(&self, actor: &Actor, id: Uuid) -> Result<PurchaseView, AppError> {
        Ok(self
            .seen_purchase(actor, Action::ReadPurchases, id)
            .await?
            .1)
    }

    /// The caller's purchases (a client's own; staff every one), newest first.
    pub async fn list_purchases(
        &self,
        actor: &Actor,
        page: i64,
        per_page: i64,
    ) -> Result<PurchasePage, AppError> {
        policy::authorize(actor, Action::ReadPurchases)?;
        check_page(page, per_page)?;
        let buyer = (actor.role == Role::Client).then_some(actor.id);
        self.fence().await;
        let (rows, total) =
            shop::purchases(&self.db, buyer, per_page, (page - 1) * per_page).await?;
        Ok(PurchasePage {
            items: rows.into_iter().map(PurchaseView::of_row).collect(),
            total,
        })
    }

    /// The file of a paid purchase, for its buyer (and staff).
    pub async fn purchase_file(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<(WorkFile, Vec<u8>), AppError> {
        let (p, _) = self.seen_purchase(actor, Action::ReadPurchases, id).await?;
        if p.payment_id.is_none() {
            return Err(AppError::Conflict(
                "the file is released once the purchase is paid".into(),
            ));
        }
        let w = self.ready_work_state(p.work_id).await?;
        let file = w.file.ok_or(AppError::NotFound)?;
        let bytes = self.files.get(&file.sha256).await?;
        Ok((file, bytes))
    }

    /// A purchase's payment in full taken by hand (manager, payout clerk, admin).
    pub async fn record_purchase_payment(
        &self,
        ctx: &Ctx,
        id: Uuid,
        payment: NewPurchasePayment,
    ) -> Result<PurchaseView, AppError> {
        self.pay_purchase(ctx, Action::RecordPurchasePayment, id, payment)
            .await?;
        Ok(self.purchase_view(id).await?.1)
    }

    /// A purchase's payment the provider notified, recorded by the service itself.
    pub async fn receive_purchase_payment(
        &self,
        _signed: Signed<'_>,
        request_id: &str,
        purchase_id: Uuid,
        payment: NewPurchasePayment,
    ) -> Result<PurchaseReceipt, AppError> {
        let ctx = Ctx::system(request_id);
        let recorded = self
            .pay_purchase(&ctx, Action::ReceivePayment, purchase_id, payment.clone())
            .await?;
        Ok(PurchaseReceipt {
            purchase_id,
            payment_id: payment.payment_id.trim().to_string(),
            amount: payment.amount,
            recorded,
        })
    }

    /// The buyer pays their purchase by a test payment (where test payments are on and no
    /// provider is configured), by the same path as a payment by hand.
    pub async fn pay_purchase_test(&self, ctx: &Ctx, id: Uuid) -> Result<PurchaseView, AppError> {
        let (p, _) = self.seen_purchase(&ctx.actor, Action::PayTest, id).await?;
        if !self.test_payments() {
            return Err(AppError::Conflict(
                "test payments are off: the purchase is paid through the payment provider or \
                 recorded by a manager"
                    .into(),
            ));
        }
        let payment = NewPurchasePayment {
            amount: p.price,
            payment_id: format!("test-{}", Uuid::new_v4()),
        };
        self.pay_purchase(ctx, Action::PayTest, id, payment).await?;
        Ok(self.purchase_view(id).await?.1)
    }

    /// The one way a purchase's payment is recorded: the policy's yes, the values parsed,
    /// a payment id that already paid anything else refused (`payments`, as for orders),
    /// then the purchase's own rules (the exact price; a repeat of the same id changing
    /// nothing). Whether it appended anything.
    async fn pay_purchase(
        &self,
        ctx: &Ctx,
        action: Action,
        id: Uuid,
        payment: NewPurchasePayment,
    ) -> Result<bool, AppError> {
        let (p, _) = self.seen_purchase(&ctx.actor, action, id).await?;
        let payment_id = PaymentId::parse(&payment.payment_id)?;
        let amount = Kopecks::positive(payment.amount)?;
        if let Some(used) = projections::payments::by_id(&self.db, payment_id.as_str()).await? {
            if used.order_id != id || used.half.is_some() {
                return Err(used_elsewhere(&used, id));
            }
        }
        let cmd = PurchaseCommand::RecordPayment {
            amount: amount.get(),
            payment_id: payment_id.into_string(),
            at: self.clock.now(),
        };
        let at = match self
            .execute(&self.purchases, &id.to_string(), cmd, ctx)
            .await
        {
            Ok(at) => at,
            Err(e) => {
                let e = AppError::from(e);
                if let AppError::Purchase(aggregates::purchase::PurchaseError::WrongAmount {
                    expected,
                    got,
                }) = &e
                {
                    tracing::warn!(purchase = %id, expected, got, actor = %ctx.actor.id,
                        price = p.price, "a purchase payment of the wrong amount is refused");
                }
                return Err(e);
            }
        };
        match at {
            Some(_) => {
                self.projector.wake();
                Ok(true)
            }
            None => {
                // A repeat: the answer must not come from a stream another instance moved on.
                self.purchase_repo
                    .forget_stream::<Purchase>(&id.to_string());
                Ok(false)
            }
        }
    }
}
