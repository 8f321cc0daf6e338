//! The public pages: home, log-in, sign-up, checkout (with or without an account), and
//! the header's log-out and language switch.

use aggregates::Role;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::i18n::Lang;
use super::session::{self, Visitor};
use super::{page, Form, Frame, PageError};
use crate::app::checkout::Contact;
use crate::app::orders::NewOrder;
use crate::app::{App, AppError};

/// The work types the order form offers (value, phrase).
/// The work types of the catalogue in force, for a form's select: (code, label in the
/// visitor's words, or the catalogue's name where the site has none).
pub async fn work_type_choices(
    app: &App,
    tr: super::i18n::Tr,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(app
        .catalogue()
        .await?
        .active(aggregates::catalogue::EntryKind::WorkType)
        .map(|e| {
            let label = tr.work_type(&e.code);
            let label = if label == e.code {
                e.name.clone()
            } else {
                label
            };
            (e.code.clone(), label)
        })
        .collect())
}

/// The subjects of the catalogue in force, for a form's select.
pub async fn subject_choices(app: &App) -> Result<Vec<String>, AppError> {
    Ok(app
        .catalogue()
        .await?
        .active(aggregates::catalogue::EntryKind::Subject)
        .map(|e| e.name.clone())
        .collect())
}

/// A published review on the home page.
pub struct ReviewCard {
    pub stars: String,
    pub text: String,
    /// The work type and subject.
    pub what: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "web/home.html")]
struct Home {
    f: Frame,
    /// The ready-made works on sale, filtered as asked.
    shop: super::shop::Catalogue,
    reviews: Vec<ReviewCard>,
    total: i64,
    /// The mean rating of the shown reviews, as the page writes it.
    average: Option<String>,
}

pub async fn home(
    State(app): State<App>,
    v: Visitor,
    filters: Result<
        axum::extract::Query<super::shop::Filters>,
        axum::extract::rejection::QueryRejection,
    >,
) -> Result<Response, PageError> {
    let filters = filters.map(|q| q.0).unwrap_or_default();
    let shop = super::shop::catalogue(&app, &v, filters).await?;
    let tr = v.tr;
    let r = app.list_reviews(1, 6).await?;
    let reviews = r
        .items
        .into_iter()
        .map(|x| ReviewCard {
            stars: "★".repeat(x.rating.clamp(0, 5) as usize)
                + &"☆".repeat((5 - x.rating).clamp(0, 5) as usize),
            text: x.review,
            what: format!("{}, {}", tr.work_type(&x.work_type), x.subject),
            at: chrono::DateTime::parse_from_rfc3339(&x.at)
                .map(|t| tr.date(&t.date_naive()))
                .unwrap_or(x.at),
        })
        .collect();
    let average = r.average.map(|a| {
        let s = format!("{a:.2}");
        if tr.en() {
            s
        } else {
            s.replace('.', ",")
        }
    });
    page(Home {
        f: Frame::of(&v),
        shop,
        reviews,
        total: r.total,
        average,
    })
}

#[derive(Template)]
#[template(path = "web/login.html")]
struct LogIn {
    f: Frame,
    email: String,
    error: Option<String>,
}

pub async fn login_page(v: Visitor) -> Result<Response, PageError> {
    if v.user.is_some() {
        return Ok(Redirect::to(home_of(v.role())).into_response());
    }
    page(LogIn {
        f: Frame::of(&v),
        email: String::new(),
        error: None,
    })
}

/// Where a role's work starts.
pub fn home_of(role: Option<Role>) -> &'static str {
    match role {
        None => "/",
        Some(Role::Author) => "/offers",
        Some(Role::PayoutClerk) => "/payouts",
        Some(Role::Auditor) => "/audit",
        Some(Role::Admin) => "/admin",
        Some(_) => "/orders",
    }
}

#[derive(Deserialize)]
pub struct LogInForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// Opens a session (as `POST /api/auth/login`) and keeps its token in the cookie.
pub async fn login(
    State(app): State<App>,
    v: Visitor,
    headers: HeaderMap,
    crate::http::extract::ClientAddr(address): crate::http::extract::ClientAddr,
    Form(form): Form<LogInForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&form._csrf)?;
    match app.log_in_from(&form.email, &form.password, address).await {
        Ok(s) => {
            start_session(&app, &v, &headers, &s.token).await;
            Ok(Redirect::to(home_of(Some(s.user.role))).into_response())
        }
        Err(
            e @ (AppError::BadCredentials | AppError::Forbidden(_) | AppError::TooManyAttempts(_)),
        ) => {
            let (status, key, wait) = match e {
                AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "login.bad", None),
                AppError::TooManyAttempts(s) => {
                    (StatusCode::TOO_MANY_REQUESTS, "login.too_many", Some(s))
                }
                _ => (StatusCode::FORBIDDEN, "login.blocked", None),
            };
            let mut error = v.tr.t(key).to_string();
            if let Some(s) = wait {
                error = format!("{error} ({} min)", (s + 59) / 60);
            }
            let mut res = page(LogIn {
                f: Frame::of(&v),
                email: form.email,
                error: Some(error),
            })?;
            *res.status_mut() = status;
            if let Some(s) = wait {
                res.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(s.max(1)),
                );
            }
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

async fn start_session(app: &App, v: &Visitor, headers: &HeaderMap, token: &str) {
    // The session this browser had (another user's, or the same) ends: one at a time.
    if let Some(old) = session::cookie(headers, session::SESSION) {
        if old != token {
            let _ = session::end_session(app, old).await;
        }
    }
    v.set(
        session::SESSION,
        token,
        Some(app.config.token_ttl.num_seconds()),
    );
    v.set(session::ANON, "", Some(0));
}

#[derive(Template)]
#[template(path = "web/register.html")]
struct Register {
    f: Frame,
    email: String,
    full_name: String,
    company_name: String,
    tax_id: String,
    contact_person: String,
    /// The referral code the visitor came with (`/register?ref=<code>`), kept in the form.
    referral: String,
    error: Option<String>,
}

/// The referral code of `/register?ref=<code>`.
#[derive(Deserialize, Default)]
pub struct RegisterQuery {
    #[serde(default, rename = "ref")]
    referral: String,
}

pub async fn register_page(
    v: Visitor,
    Query(q): Query<RegisterQuery>,
) -> Result<Response, PageError> {
    page(Register {
        f: Frame::of(&v),
        email: String::new(),
        full_name: String::new(),
        company_name: String::new(),
        tax_id: String::new(),
        contact_person: String::new(),
        referral: q.referral.chars().take(64).collect(),
        error: None,
    })
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    password: String,
    /// A company's details, all left empty for an individual's account.
    #[serde(default)]
    company_name: String,
    #[serde(default)]
    tax_id: String,
    #[serde(default)]
    contact_person: String,
    #[serde(default, rename = "ref")]
    referral: String,
}

impl RegisterForm {
    /// The company's details when any of them is filled in (then all are checked).
    fn company(&self) -> Option<crate::app::views::CompanyDetails> {
        let filled = [&self.company_name, &self.tax_id, &self.contact_person]
            .iter()
            .any(|s| !s.trim().is_empty());
        filled.then(|| crate::app::views::CompanyDetails {
            name: self.company_name.clone(),
            tax_id: self.tax_id.clone(),
            contact_person: self.contact_person.clone(),
        })
    }
}

/// Signs a client up (as `POST /api/auth/register`) and logs them in.
pub async fn register(
    State(app): State<App>,
    v: Visitor,
    headers: HeaderMap,
    Form(form): Form<RegisterForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&form._csrf)?;
    let company = form.company();
    let referral = Some(form.referral.as_str()).filter(|r| !r.is_empty());
    let result = app
        .register(
            &v.request_id,
            &form.email,
            &form.full_name,
            &form.password,
            company.as_ref(),
            referral,
        )
        .await;
    match result {
        Ok(_) => {
            let s = app.log_in(&form.email, &form.password).await?;
            start_session(&app, &v, &headers, &s.token).await;
            Ok(Redirect::to("/orders").into_response())
        }
        Err(e) => {
            let (status, message) = refusal(e)?;
            let mut res = page(Register {
                f: Frame::of(&v),
                email: form.email,
                full_name: form.full_name,
                company_name: form.company_name,
                tax_id: form.tax_id,
                contact_person: form.contact_person,
                referral: form.referral,
                error: Some(message),
            })?;
            *res.status_mut() = status;
            Ok(res)
        }
    }
}

/// A refusal's status and words, for a form shown again; anything else is an error page.
fn refusal(e: AppError) -> Result<(StatusCode, String), PageError> {
    use crate::http::error::ApiError;
    match ApiError::from(e) {
        ApiError::Unprocessable(m) => Ok((StatusCode::UNPROCESSABLE_ENTITY, m)),
        ApiError::Conflict(m) => Ok((StatusCode::CONFLICT, m)),
        ApiError::NotFound => Err(PageError::NotFound),
        ApiError::Forbidden(_) => Err(PageError::Forbidden),
        ApiError::Internal(e) => Err(PageError::Internal(e)),
        other => Ok((StatusCode::BAD_REQUEST, other.to_string())),
    }
}

#[derive(Deserialize, Default)]
pub struct OrderForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    work_type: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    pages: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    requirements: String,
}

#[derive(Template)]
#[template(path = "web/checkout.html")]
struct Checkout {
    f: Frame,
    /// A manager taking an order by phone: the client's contact is asked for.
    by_phone: bool,
    form: OrderForm,
    /// The catalogue's work types (code, label) and subjects in force.
    work_types: Vec<(String, String)>,
    subjects: Vec<String>,
    error: Option<String>,
}

pub async fn checkout_page(State(app): State<App>, v: Visitor) -> Result<Response, PageError> {
    let work_types = work_type_choices(&app, v.tr).await?;
    let form = OrderForm {
        pages: "10".into(),
        work_type: work_types
            .iter()
            .find(|(code, _)| code == "essay")
            .or(work_types.first())
            .map(|(code, _)| code.clone())
            .unwrap_or_default(),
        ..OrderForm::default()
    };
    page(Checkout {
        f: Frame::of(&v),
        by_phone: takes_phone_orders(&v),
        form,
        work_types,
        subjects: subject_choices(&app).await?,
        error: None,
    })
}

/// Whether the visitor is staff who take orders by phone (the checkout page is then theirs).
fn takes_phone_orders(v: &Visitor) -> bool {
    v.user.as_ref().is_some_and(|u| {
        crate::app::policy::authorize(
            &aggregates::Actor::new(u.id, u.role),
            crate::app::policy::Action::PlaceOrderByPhone,
        )
        .is_ok()
    })
}

/// Places the order: a logged-in client's own (as `POST /api/orders` with a token), or a
/// guest's (checkout without registration: an account for a new email, its password
/// mailed).
pub async fn checkout(
    State(app): State<App>,
    v: Visitor,
    Form(form): Form<OrderForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&form._csrf)?;
    let new = (|| {
        let pages = form
            .pages
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::Invalid("pages must be a whole number".into()))?;
        let deadline = NaiveDate::parse_from_str(form.deadline.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::Invalid("the deadline must be a date".into()))?;
        Ok::<_, AppError>(NewOrder {
            work_type: form.work_type.trim().to_string(),
            subject: form.subject.trim().to_string(),
            topic: form.topic.trim().to_string(),
            pages,
            deadline,
            requirements: form.requirements.trim().to_string(),
            source: aggregates::order::OrderSource::Site,
            repeats: None,
        })
    })();
    let placed = match new {
        Err(e) => Err(e),
        Ok(new) => match v.require() {
            Ok(member) if takes_phone_orders(&v) => {
                let contact = Contact {
                    email: form.email.clone(),
                    full_name: form.full_name.clone(),
                    language: None,
                };
                app.place_by_phone(&member.ctx(), contact, new).await
            }
            Ok(member) => app.place_order(&member.ctx(), new).await,
            Err(_) => {
                let contact = Contact {
                    email: form.email.clone(),
                    full_name: form.full_name.clone(),
                    language: Some(v.lang().code().to_string()),
                };
                app.checkout(&v.request_id, contact, new).await
            }
        },
    };
    match placed {
        Ok(order) if v.user.is_some() => {
            v.flash(v.tr.t("flash.done"));
            Ok(Redirect::to(&format!("/orders/{}", order.order.id)).into_response())
        }
        Ok(order) => {
            v.flash(&format!(
                "{} {}. {} {}",
                v.tr.t("checkout.done"),
                order.order.number,
                v.tr.t("checkout.mail_sent"),
                form.email.trim()
            ));
            Ok(Redirect::to("/login").into_response())
        }
        Err(e) => {
            let (status, message) = refusal(e)?;
            let mut res = page(Checkout {
                f: Frame::of(&v),
                by_phone: takes_phone_orders(&v),
                form,
                work_types: work_type_choices(&app, v.tr).await?,
                subjects: subject_choices(&app).await?,
                error: Some(message),
            })?;
            *res.status_mut() = status;
            Ok(res)
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    _csrf: String,
}

/// Ends the session: its row is deleted, so the cookie (or its token anywhere) no longer
/// opens anything.
pub async fn logout(
    State(app): State<App>,
    v: Visitor,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    // A session that has already ended has nothing left to protect: its cookie is just
    // cleared (its form's token was made from it, and no longer matches).
    if v.user.is_some() {
        v.check_csrf(&form._csrf)?;
        if let Some(token) = session::cookie(&headers, session::SESSION) {
            session::end_session(&app, token).await?;
        }
    }
    v.set(session::SESSION, "", Some(0));
    Ok(Redirect::to("/").into_response())
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    language: String,
}

/// Switches the pages' language; a logged-in user's choice is theirs (mail included).
pub async fn language(
    State(app): State<App>,
    v: Visitor,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&form._csrf)?;
    let lang = Lang::parse(&form.language)
        .ok_or_else(|| PageError::BadRequest("the language is ru or en".into()))?;
    if let Ok(member) = v.require() {
        app.choose_language(&member.ctx(), lang.code()).await?;
    }
    v.set(session::LANG, lang.code(), Some(365 * 24 * 3600));
    Ok(Redirect::to(&back(&headers)).into_response())
}

/// `path` without a `lang=` parameter (which would override the language just chosen).
fn without_lang(path: &str) -> String {
    match path.split_once('?') {
        None => path.to_string(),
        Some((p, q)) => {
            let kept: Vec<&str> = q.split('&').filter(|kv| !kv.starts_with("lang=")).collect();
            if kept.is_empty() {
                p.to_string()
            } else {
                format!("{p}?{}", kept.join("&"))
            }
        }
    }
}

/// The page a form was posted from, when it is one of this site's; else the home page.
pub fn back(headers: &HeaderMap) -> String {
    headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            let rest = r.split_once("://").map(|(_, rest)| rest)?;
            let host = headers.get(header::HOST)?.to_str().ok()?;
            let path = rest.strip_prefix(host)?;
            // `//other.site/…` or `/\other.site` would leave the site.
            let local = path.starts_with('/') && !path[1..].starts_with(['/', '\\']);
            local.then(|| without_lang(path))
        })
        .unwrap_or_else(|| "/".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(referer: &str) -> String {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "shop.test".parse().unwrap());
        h.insert(header::REFERER, referer.parse().unwrap());
        back(&h)
    }

    #[test]
    fn back_goes_only_to_this_sites_pages() {
        assert_eq!(from("http://shop.test/orders?page=2"), "/orders?page=2");
        assert_eq!(
            from("http://shop.test/orders?lang=en&page=2"),
            "/orders?page=2"
        );
        assert_eq!(from("http://shop.test/?lang=en"), "/");
        for away in [
            "http://evil.test/orders",
            "http://shop.test//evil.test/x",
            "http://shop.test/\\evil.test",
            "http://shop.test.evil.test/",
        ] {
            assert_eq!(from(away), "/", "{away}");
        }
    }
}

#[derive(Template)]
#[template(path = "web/forgot_password.html")]
struct ForgotPassword {
    f: Frame,
    email: String,
    sent: bool,
    error: Option<String>,
}

/// The form that asks for a password-reset link (linked from `/login`).
pub async fn forgot_password_page(v: Visitor) -> Result<Response, PageError> {
    page(ForgotPassword {
        f: Frame::of(&v),
        email: String::new(),
        sent: false,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct ForgotPasswordForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    email: String,
}

/// Asks for a link (as `POST /api/auth/password-reset`): the same page for any email.
pub async fn forgot_password(
    State(app): State<App>,
    v: Visitor,
    crate::http::extract::ClientAddr(address): crate::http::extract::ClientAddr,
    Form(form): Form<ForgotPasswordForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&form._csrf)?;
    let (status, sent, error) = match app.request_password_reset(&form.email, address).await {
        Ok(()) => (StatusCode::OK, true, None),
        Err(AppError::TooManyResets(s)) => (
            StatusCode::TOO_MANY_REQUESTS,
            false,
            Some(format!(
                "{} ({} min)",
                v.tr.t("reset.too_many"),
                (s + 59) / 60
            )),
        ),
        Err(AppError::Invalid(why)) => (StatusCode::UNPROCESSABLE_ENTITY, false, Some(why)),
        Err(e) => return Err(e.into()),
    };
    let mut res = page(ForgotPassword {
        f: Frame::of(&v),
        email: if sent { String::new() } else { form.email },
        sent,
        error,
    })?;
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Template)]
#[template(path = "web/reset_password.html")]
struct ResetPassword {
    f: Frame,
    token: String,
    error: Option<String>,
}

/// The token of `/reset-password?token=…`.
#[derive(Deserialize, Default)]
pub struct ResetQuery {
    #[serde(default)]
    token: String,
}

/// The form for a new password, reached from the reset mail's link.
pub async fn reset_password_page(
    v: Visitor,
    Query(q): Query<ResetQuery>,
) -> Result<Response, PageError> {
    page(ResetPassword {
        f: Frame::of(&v),
        token: q.token,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct ResetPasswordForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
}

/// Sets the new password (as `POST /api/auth/password-reset/confirm`), then to `/login`.
pub async fn reset_password(
    State(app): State<App>,
    v: Visitor,
    Form(form): Form<ResetPasswordForm>,
) -> Result<Response, PageError> {
    v.check_csrf(&form._csrf)?;
    match app
        .confirm_password_reset(&form.token, &form.new_password)
        .await
    {
        Ok(()) => {
            v.flash(v.tr.t("reset.done"));
            Ok(Redirect::to("/login").into_response())
        }
        Err(AppError::Invalid(why)) => {
            let error = if why == crate::app::password_reset::INVALID_LINK {
                v.tr.t("reset.bad_link").to_string()
            } else {
                why
            };
            let mut res = page(ResetPassword {
                f: Frame::of(&v),
                token: form.token,
                error: Some(error),
            })?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}
