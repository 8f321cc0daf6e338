//! The shop's pages: the catalogue on the home page (filters and search), a work's page
//! with its purchase form (a guest with an email, or a logged-in client), the buyer's
//! purchases with the test payment and the paid file, and the staff's `/shop` (list a
//! work with its file, delist one). Every action is the API's service.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::i18n::Tr;
use super::session::Visitor;
use super::work::parse_rubles;
use super::{after, page, Form, Frame, PageError, Path};
use crate::app::checkout::Contact;
use crate::app::orders::Upload;
use crate::app::policy::{self, Action};
use crate::app::shop::{Browse, NewReadyWork, PurchaseView, ReadyWorkView};
use crate::app::{App, AppError};

/// A work as a card or a row of a page.
pub struct WorkCard {
    pub id: Uuid,
    pub title: String,
    pub what: String,
    pub pages: i64,
    pub price: String,
    pub description: String,
    pub on_sale: bool,
    pub sales: String,
    pub file: String,
}

impl WorkCard {
    pub fn of(tr: Tr, w: ReadyWorkView) -> WorkCard {
        WorkCard {
            id: w.id,
            what: format!("{}, {}", tr.work_type(&w.work_type), w.subject),
            title: w.title,
            pages: w.pages,
            price: tr.money(w.price),
            description: w.description,
            on_sale: w.on_sale,
            sales: w.sales.map(|s| s.to_string()).unwrap_or_default(),
            file: w.file.map(|f| f.name).unwrap_or_default(),
        }
    }
}

/// The catalogue's filters as the home page's form sends them (prices in roubles).
#[derive(Deserialize, Default, Clone)]
pub struct Filters {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub work_type: String,
    #[serde(default)]
    pub min_price: String,
    #[serde(default)]
    pub max_price: String,
}

/// The catalogue as the home page shows it: the works on sale that match, the filters'
/// choices, and why the filters were refused (if they were).
pub struct Catalogue {
    pub works: Vec<WorkCard>,
    pub total: i64,
    pub subjects: Vec<String>,
    pub work_types: Vec<(String, String)>,
    pub filters: Filters,
    pub error: Option<String>,
}

pub async fn catalogue(app: &App, v: &Visitor, filters: Filters) -> Result<Catalogue, PageError> {
    let tr = v.tr;
    let price = |field: &str, s: &str| -> Result<Option<i64>, AppError> {
        let s = s.trim();
        (!s.is_empty()).then(|| parse_rubles(field, s)).transpose()
    };
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let found = async {
        let b = Browse {
            subject: some(&filters.subject),
            work_type: some(&filters.work_type),
            min_price: price("min_price", &filters.min_price)?,
            max_price: price("max_price", &filters.max_price)?,
            q: some(&filters.q),
            include_delisted: false,
            page: 1,
            per_page: 30,
        };
        app.browse_ready_works(None, b).await
    }
    .await;
    let (works, total, error) = match found {
        Ok(p) => (
            p.items.into_iter().map(|w| WorkCard::of(tr, w)).collect(),
            p.total,
            None,
        ),
        Err(e @ AppError::Invalid(_)) => (Vec::new(), 0, Some(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    let (subjects, types) = app.ready_work_facets().await?;
    Ok(Catalogue {
        works,
        total,
        subjects,
        work_types: types.into_iter().map(|t| (tr.work_type(&t), t)).collect(),
        filters,
        error,
    })
}

#[derive(Template)]
#[template(path = "web/work.html")]
struct WorkPage {
    f: Frame,
    w: WorkCard,
    /// A logged-in client buys with one button.
    client: bool,
    /// A visitor who is not logged in buys with a contact.
    guest: bool,
    staff: bool,
}

/// A work's page: what it is, its price, and how to buy it.
pub async fn work(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let actor = v
        .user
        .as_ref()
        .map(|u| aggregates::Actor::new(u.id, u.role));
    let w = app.show_ready_work(actor.as_ref(), id).await?;
    let may = |a| actor.is_some_and(|actor| policy::authorize(&actor, a).is_ok());
    let on_sale = w.on_sale;
    page(WorkPage {
        f: Frame::of(&v),
        w: WorkCard::of(v.tr, w),
        client: on_sale && may(Action::BuyReadyWork),
        guest: on_sale && v.user.is_none(),
        staff: may(Action::DelistReadyWork),
    })
}

#[derive(Deserialize, Default)]
pub struct BuyForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    full_name: String,
}

/// Buys the work: a logged-in client's own purchase, or a guest's with a contact (an
/// account for a new email, its password mailed, as at checkout).
pub async fn buy(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<BuyForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&form._csrf)?;
    match v.require() {
        Ok(member) => {
            let result = app.buy_ready_work(&member.ctx(), id).await;
            let to = if result.is_ok() {
                "/purchases".to_string()
            } else {
                format!("/shop/{id}")
            };
            after(&v, &to, result)
        }
        Err(_) => {
            let contact = Contact {
                email: form.email.clone(),
                full_name: form.full_name.clone(),
                language: Some(v.lang().code().to_string()),
            };
            match app
                .buy_ready_work_as_guest(&v.request_id, contact, id)
                .await
            {
                Ok(p) => {
                    v.flash(&format!(
                        "{} «{}». {} {}",
                        v.tr.t("shop.bought"),
                        p.title,
                        v.tr.t("checkout.mail_sent"),
                        form.email.trim()
                    ));
                    Ok(Redirect::to("/login").into_response())
                }
                Err(e) => after(&v, &format!("/shop/{id}"), Err::<(), _>(e)),
            }
        }
    }
}

/// A purchase as a row of the buyer's page.
pub struct PurchaseRow {
    pub id: Uuid,
    pub title: String,
    pub price: String,
    pub paid: bool,
    pub status: &'static str,
    pub made_at: String,
}

impl PurchaseRow {
    fn of(tr: Tr, p: PurchaseView) -> PurchaseRow {
        let paid = p.status == "paid";
        PurchaseRow {
            id: p.id,
            title: p.title,
            price: tr.money(p.price),
            paid,
            status: tr.t(if paid {
                "purchase.paid"
            } else {
                "purchase.awaiting_payment"
            }),
            made_at: chrono::DateTime::parse_from_rfc3339(&p.made_at)
                .map(|t| tr.at(&t.with_timezone(&chrono::Utc)))
                .unwrap_or(p.made_at),
        }
    }
}

#[derive(Template)]
#[template(path = "web/purchases.html")]
struct Purchases {
    f: Frame,
    rows: Vec<PurchaseRow>,
    /// The buyer may pay by a test payment here.
    pay: bool,
}

/// The caller's purchases (a client's own; staff every one).
pub async fn purchases(State(app): State<App>, v: Visitor) -> Result<Response, PageError> {
    let m = v.require()?;
    let list = app.list_purchases(&m.actor(), 1, 100).await?;
    page(Purchases {
        f: Frame::of(&v),
        rows: list
            .items
            .into_iter()
            .map(|p| PurchaseRow::of(v.tr, p))
            .collect(),
        pay: policy::authorize(&m.actor(), Action::PayTest).is_ok() && app.test_payments(),
    })
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    _csrf: String,
}

/// The buyer pays their purchase by a test payment.
pub async fn pay(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app.pay_purchase_test(&m.ctx(), id).await;
    after(&v, "/purchases", result)
}

/// The work of a paid purchase, for its buyer.
pub async fn purchase_file(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    let (file, bytes) = app.purchase_file(&m.actor(), id).await?;
    Ok(crate::http::orders::download::named_attachment(
        &file.name,
        file.content_type,
        bytes,
    ))
}

/// A work's file, for staff.
pub async fn work_file(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    let (file, bytes) = app.ready_work_file(&m.ctx(), id).await?;
    Ok(crate::http::orders::download::named_attachment(
        &file.name,
        file.content_type,
        bytes,
    ))
}

#[derive(Template)]
#[template(path = "web/shop.html")]
struct Stock {
    f: Frame,
    works: Vec<WorkCard>,
    /// The catalogue's work types in force: (code, label).
    work_types: Vec<(String, String)>,
}

/// Staff's shop: the listing form and every work, delisted ones too.
pub async fn stock(State(app): State<App>, v: Visitor) -> Result<Response, PageError> {
    let m = v.require()?;
    policy::authorize(&m.actor(), Action::ListReadyWork)?;
    let b = Browse {
        include_delisted: true,
        page: 1,
        per_page: 100,
        ..Browse::default()
    };
    let list = app.browse_ready_works(Some(&m.actor()), b).await?;
    page(Stock {
        f: Frame::of(&v),
        works: list
            .items
            .into_iter()
            .map(|w| WorkCard::of(v.tr, w))
            .collect(),
        work_types: super::public::work_type_choices(&app, v.tr).await?,
    })
}

/// Lists a work from the staff's form (multipart: the fields, the price in roubles, the
/// file).
pub async fn list(
    State(app): State<App>,
    v: Visitor,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    let mut multipart = multipart.map_err(|e| PageError::BadRequest(e.body_text()))?;
    let bad = |e: axum::extract::multipart::MultipartError| PageError::BadRequest(e.body_text());
    let mut text = std::collections::HashMap::new();
    let mut file: Option<Upload> = None;
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            file = crate::http::orders::upload::file_part(field)
                .await
                .map_err(bad)?;
        } else {
            text.insert(name, field.text().await.map_err(bad)?);
        }
    }
    let get = |k: &str| text.get(k).cloned().unwrap_or_default();
    v.check_csrf(&get("_csrf"))?;
    let result = async {
        let pages = get("pages")
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::Invalid("pages must be a whole number".into()))?;
        let new = NewReadyWork {
            title: get("title"),
            subject: get("subject"),
            work_type: get("work_type"),
            pages,
            price: parse_rubles("price", &get("price"))?,
            description: get("description"),
            file: file.ok_or_else(|| AppError::Invalid("choose the work's file".into()))?,
        };
        app.list_ready_work(&m.ctx(), new).await
    }
    .await;
    after(&v, "/shop", result)
}

#[derive(Deserialize)]
pub struct DelistForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    reason: String,
}

/// Takes a work off sale.
pub async fn delist(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<DelistForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app.delist_ready_work(&m.ctx(), id, form.reason).await;
    after(&v, &format!("/shop/{id}"), result)
}
