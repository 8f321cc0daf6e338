//! `/admin` (the admin, who is also the director): users — create staff, block and
//! unblock with a reason —, authors' profiles (subjects, rating, limit, availability),
//! the settings with the history of their changes, the catalogue (work types, subjects,
//! extras with their prices) with the history of its changes.

use std::collections::BTreeMap;

use aggregates::order::OrderStatus;
use aggregates::settings::Setting;
use aggregates::Role;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::session::Visitor;
use super::work::{parse_rubles, rubles_value};
use super::{after, page, Form, Frame, PageError, Path};
use crate::app::authors::{AuthorSummary, NewProfile};
use crate::app::views::UserView;
use crate::app::{App, AppError};

/// The roles an admin creates accounts for (clients sign up or check out themselves).
pub const STAFF_ROLES: [Role; 5] = [
    Role::Author,
    Role::Manager,
    Role::PayoutClerk,
    Role::Auditor,
    Role::Admin,
];

pub struct Change {
    pub at: String,
    pub setting: &'static str,
    pub old: i64,
    pub new: i64,
}

#[derive(Template)]
#[template(path = "web/admin.html")]
struct Admin {
    f: Frame,
    /// The admin looking (who cannot block themselves here).
    current: Uuid,
    users: Vec<UserView>,
    authors: Vec<AuthorSummary>,
    roles: Vec<&'static str>,
    threshold: String,
    fee_percent: i64,
    guarantee_days: i64,
    offer_ttl_hours: i64,
    cashback_percent: i64,
    referral_percent: i64,
    /// Each limited status: its form field, its label and its limit (0: none).
    stage_limits: Vec<(&'static str, &'static str, i64)>,
    changes: Vec<Change>,
    /// The catalogue in force, entry by entry.
    catalogue: Vec<CatalogueLine>,
    /// The kinds of entry: their path name and label.
    kinds: Vec<(&'static str, &'static str)>,
    catalogue_changes: Vec<CatalogueChangeLine>,
}

/// One entry of the catalogue in force.
pub struct CatalogueLine {
    /// The path name of its kind (`work-types`, `subjects`, `extras`).
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub code: String,
    pub name: String,
    /// An extra's price in words; empty for the others.
    pub price: String,
}

/// One change of the catalogue, in words.
pub struct CatalogueChangeLine {
    pub at: String,
    pub kind: &'static str,
    pub code: String,
    pub action: &'static str,
    pub old: String,
    pub new: String,
}

/// Path name and label key of each kind of catalogue entry.
const KINDS: [(&str, &str, aggregates::catalogue::EntryKind); 3] = [
    (
        "work-types",
        "catalogue.work_type",
        aggregates::catalogue::EntryKind::WorkType,
    ),
    (
        "subjects",
        "catalogue.subject",
        aggregates::catalogue::EntryKind::Subject,
    ),
    (
        "extras",
        "catalogue.extra",
        aggregates::catalogue::EntryKind::Extra,
    ),
];

pub async fn admin(State(app): State<App>, v: Visitor) -> Result<Response, PageError> {
    let m = v.require()?;
    let actor = m.actor();
    let tr = v.tr;
    let users = app.list_users(&actor).await?;
    let authors = app.list_authors(&actor).await?;
    let settings = app.show_settings(&actor).await?;
    let changes = app
        .settings_history(&actor)
        .await?
        .into_iter()
        .rev()
        .map(|c| Change {
            at: chrono::DateTime::parse_from_rfc3339(&c.at)
                .map(|t| tr.at(&t.to_utc()))
                .unwrap_or(c.at),
            setting: tr.t(&format!("settings.{}", c.setting)),
            old: c.old,
            new: c.new,
        })
        .collect();
    let catalogue = app.catalogue().await?;
    let catalogue_lines = KINDS
        .iter()
        .flat_map(|(path, label, kind)| {
            catalogue.active(*kind).map(move |e| CatalogueLine {
                kind: path,
                kind_label: tr.t(label),
                code: e.code.clone(),
                name: e.name.clone(),
                price: e.price.map(|p| tr.money(p)).unwrap_or_default(),
            })
        })
        .collect();
    let label_of = |kind: &str| {
        KINDS
            .iter()
            .find(|(_, _, k)| k.as_str() == kind)
            .map_or("?", |(_, label, _)| tr.t(label))
    };
    let entry = |name: Option<String>, price: Option<i64>| match (name, price) {
        (Some(n), Some(p)) => format!("{n}, {}", tr.money(p)),
        (Some(n), None) => n,
        (None, _) => "—".to_string(),
    };
    let catalogue_changes = app
        .catalogue_history(&actor)
        .await?
        .into_iter()
        .rev()
        .map(|c| CatalogueChangeLine {
            at: chrono::DateTime::parse_from_rfc3339(&c.at)
                .map(|t| tr.at(&t.to_utc()))
                .unwrap_or(c.at),
            kind: label_of(&c.kind),
            action: tr.t(if c.action == "retired" {
                "catalogue.retired"
            } else {
                "catalogue.set"
            }),
            old: entry(c.old_name, c.old_price),
            new: if c.action == "retired" {
                "—".to_string()
            } else {
                entry(Some(c.name), c.price)
            },
            code: c.code,
        })
        .collect();
    page(Admin {
        f: Frame::of(&v),
        current: actor.id,
        users,
        authors,
        roles: STAFF_ROLES.iter().map(|r| r.as_str()).collect(),
        threshold: rubles_value(settings.payout_threshold),
        fee_percent: settings.author_fee_percent,
        guarantee_days: settings.guarantee_days,
        offer_ttl_hours: settings.offer_ttl_hours,
        cashback_percent: settings.cashback_percent,
        referral_percent: settings.referral_percent,
        stage_limits: OrderStatus::LIMITED
            .into_iter()
            .filter_map(|st| {
                let s = Setting::stage_limit(st)?;
                let hours = settings
                    .stage_limits_hours
                    .get(st.as_str())
                    .copied()
                    .unwrap_or(0);
                Some((s.as_str(), tr.status(st.as_str()), hours))
            })
            .collect(),
        changes,
        catalogue: catalogue_lines,
        kinds: KINDS.iter().map(|(p, l, _)| (*p, tr.t(l))).collect(),
        catalogue_changes,
    })
}

#[derive(Deserialize)]
pub struct CatalogueForm {
    #[serde(default)]
    _csrf: String,
    /// `work-types`, `subjects` or `extras`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    /// Roubles; an extra's only (empty for the others).
    #[serde(default)]
    price: String,
}

/// An entry of the catalogue added or changed, as `PUT /api/catalogue/{kind}/{code}`.
pub async fn set_catalogue_entry(
    State(app): State<App>,
    v: Visitor,
    Form(form): Form<CatalogueForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = async {
        let kind = crate::app::catalogue::kind_of_path(form.kind.trim())
            .ok_or_else(|| AppError::Invalid(format!("«{}» is not a kind of entry", form.kind)))?;
        let price = match form.price.trim() {
            "" => None,
            p => Some(parse_rubles("price", p)?),
        };
        app.set_catalogue_entry(&m.ctx(), kind, form.code.trim(), form.name, price)
            .await
    }
    .await;
    after(&v, "/admin#catalogue", result)
}

/// An entry of the catalogue retired, as `DELETE /api/catalogue/{kind}/{code}`.
pub async fn retire_catalogue_entry(
    State(app): State<App>,
    v: Visitor,
    Path((kind, code)): Path<(String, String)>,
    Form(form): Form<BlockForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = async {
        let kind = crate::app::catalogue::kind_of_path(&kind).ok_or(AppError::NotFound)?;
        app.retire_catalogue_entry(&m.ctx(), kind, &code).await
    }
    .await;
    after(&v, "/admin#catalogue", result)
}

#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// A staff account, as `POST /api/users`.
pub async fn create_user(
    State(app): State<App>,
    v: Visitor,
    Form(form): Form<NewUserForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app
        .create_account(
            &m.ctx(),
            form.email.trim(),
            form.full_name.trim(),
            form.role.trim(),
            &form.password,
        )
        .await;
    after(&v, "/admin", result)
}

#[derive(Deserialize)]
pub struct BlockForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn block(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<BlockForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app
        .block_user(&m.ctx(), id, form.reason.trim().to_string())
        .await;
    after(&v, "/admin", result)
}

pub async fn unblock(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<BlockForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app.unblock_user(&m.ctx(), id).await;
    after(&v, "/admin", result)
}

#[derive(Deserialize)]
pub struct CompanyForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    company_name: String,
    #[serde(default)]
    tax_id: String,
    #[serde(default)]
    contact_person: String,
    /// Present: make the account an individual's again.
    #[serde(default)]
    clear: Option<String>,
}

/// A client's account made a company's, or an individual's again (as
/// `PUT`/`DELETE /api/users/{id}/company`).
pub async fn company(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<CompanyForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let details = crate::app::views::CompanyDetails {
        name: form.company_name,
        tax_id: form.tax_id,
        contact_person: form.contact_person,
    };
    let company = form.clear.is_none().then_some(&details);
    let result = app.set_company(&m.ctx(), id, company).await;
    after(&v, "/admin", result)
}

#[derive(Deserialize)]
pub struct AuthorForm {
    #[serde(default)]
    _csrf: String,
    /// Comma-separated.
    #[serde(default)]
    subjects: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    max_active_orders: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    available: Option<String>,
}

/// An author's profile, as `PUT /api/authors/{id}`.
pub async fn author(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<AuthorForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = async {
        let rating = match form.rating.trim().replace(',', ".").as_str() {
            "" => None,
            s => Some(s.parse::<f64>().map_err(|_| {
                AppError::Invalid(format!("rating: «{s}» is not a number from 1 to 5"))
            })?),
        };
        let max = form.max_active_orders.trim().parse::<i64>().map_err(|_| {
            AppError::Invalid("the limit of active orders is a whole number".into())
        })?;
        let profile = NewProfile {
            subjects: form
                .subjects
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            rating,
            max_active_orders: max,
            available: Some(form.available.is_some()),
        };
        app.set_author_profile(&m.ctx(), id, profile).await
    }
    .await;
    after(&v, "/admin", result)
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    payout_threshold: String,
    #[serde(default)]
    author_fee_percent: String,
    #[serde(default)]
    guarantee_days: String,
    #[serde(default)]
    offer_ttl_hours: String,
    /// Left empty (a form from before the loyalty settings): unchanged.
    #[serde(default)]
    cashback_percent: String,
    #[serde(default)]
    referral_percent: String,
    /// `stage_limit_hours_<status>` fields: the stage limits.
    #[serde(flatten)]
    stage_limits: BTreeMap<String, String>,
}

/// The settings, as `PUT /api/settings`: each change an attributed event.
pub async fn settings(
    State(app): State<App>,
    v: Visitor,
    Form(form): Form<SettingsForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = async {
        let whole = |name: &str, s: &str| {
            s.trim()
                .parse::<i64>()
                .map_err(|_| AppError::Invalid(format!("{name}: «{s}» is not a whole number")))
        };
        let mut values = BTreeMap::new();
        values.insert(
            Setting::PayoutThreshold,
            parse_rubles("payout_threshold", &form.payout_threshold)?,
        );
        values.insert(
            Setting::AuthorFeePercent,
            whole("author_fee_percent", &form.author_fee_percent)?,
        );
        values.insert(
            Setting::GuaranteeDays,
            whole("guarantee_days", &form.guarantee_days)?,
        );
        values.insert(
            Setting::OfferTtlHours,
            whole("offer_ttl_hours", &form.offer_ttl_hours)?,
        );
        for (setting, value) in [
            (Setting::CashbackPercent, &form.cashback_percent),
            (Setting::ReferralPercent, &form.referral_percent),
        ] {
            if !value.trim().is_empty() {
                values.insert(setting, whole(setting.as_str(), value)?);
            }
        }
        for (name, value) in &form.stage_limits {
            let Some(setting) = Setting::parse(name).filter(|s| s.limited_status().is_some())
            else {
                continue;
            };
            let value = if value.trim().is_empty() { "0" } else { value };
            values.insert(setting, whole(name, value)?);
        }
        app.change_settings_to(&m.ctx(), values).await
    }
    .await;
    after(&v, "/admin", result)
}
