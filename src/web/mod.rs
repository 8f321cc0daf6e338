//! The website: server-rendered pages for every role, from the same binary as the API.
//!
//! Pages call the same application services as the JSON handlers, with the caller of a
//! cookie session ([`session`]): a page never shows or does what the API would refuse.
//! Forms work without JavaScript; every form carries a CSRF token. Templates are askama
//! (`templates/web/`), checked at compile time; the CSS and the logo are ours, served
//! from the binary.

pub mod admin;
pub mod audit;
pub mod i18n;
pub mod messages;
pub mod money;
pub mod orders;
pub mod public;
pub mod reports;
pub mod session;
pub mod shop;
pub mod work;

use aggregates::Role;
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;

use crate::app::policy::{self, Action};
use crate::app::{App, AppError};
use i18n::Tr;
use session::Visitor;

/// Every page and form action.
pub fn router(app: App) -> Router<App> {
    Router::new()
        .route("/", get(public::home))
        .route("/login", get(public::login_page).post(public::login))
        .route(
            "/forgot-password",
            get(public::forgot_password_page).post(public::forgot_password),
        )
        .route(
            "/reset-password",
            get(public::reset_password_page).post(public::reset_password),
        )
        .route(
            "/register",
            get(public::register_page).post(public::register),
        )
        .route(
            "/checkout",
            get(public::checkout_page).post(public::checkout),
        )
        .route("/logout", post(public::logout))
        .route("/language", post(public::language))
        .route("/orders", get(orders::list))
        .route("/orders/{id}", get(orders::show))
        .route("/orders/{id}/files/{file}", get(orders::download))
        .route("/orders/{id}/pay", post(orders::pay))
        .route("/orders/{id}/points", post(orders::spend_points))
        .route("/orders/{id}/revision", post(orders::revision))
        .route("/orders/{id}/complete", post(orders::complete))
        .route("/orders/{id}/cancel", post(orders::cancel))
        .route("/orders/{id}/repeat", post(orders::repeat))
        .route("/orders/{id}/deadline", post(orders::answer_deadline))
        .route("/orders/{id}/edit", post(work::edit))
        .route("/orders/{id}/discount", post(work::discount))
        .route("/orders/{id}/extras", post(work::add_extra))
        .route(
            "/orders/{id}/extras/{code}/remove",
            post(work::remove_extra),
        )
        .route("/orders/{id}/take", post(work::take))
        .route("/orders/{id}/decline", post(work::decline))
        .route("/orders/{id}/draft", post(work::upload_draft))
        .route("/orders/{id}/final", post(work::upload_final))
        .route("/orders/{id}/price", post(work::price))
        .route("/orders/{id}/offer", post(work::offer))
        .route("/orders/{id}/review", post(work::review))
        .route("/orders/{id}/refund", post(work::refund))
        .route("/orders/{id}/hide-review", post(work::hide_review))
        .route("/orders/{id}/messages", post(messages::post))
        .route(
            "/orders/{id}/messages/{message}/approve",
            post(messages::approve),
        )
        .route(
            "/orders/{id}/messages/{message}/reject",
            post(messages::reject),
        )
        .route("/shop", get(shop::stock).post(shop::list))
        .route("/shop/{id}", get(shop::work))
        .route("/shop/{id}/buy", post(shop::buy))
        .route("/shop/{id}/delist", post(shop::delist))
        .route("/shop/{id}/file", get(shop::work_file))
        .route("/purchases", get(shop::purchases))
        .route("/purchases/{id}/pay", post(shop::pay))
        .route("/purchases/{id}/file", get(shop::purchase_file))
        .route("/shift", post(work::shift))
        .route("/offers", get(work::offers))
        .route("/ledger", get(money::ledger))
        .route("/payouts", get(money::payouts).post(money::record))
        .route("/audit", get(audit::audit))
        .route("/admin", get(admin::admin))
        .route("/admin/users", post(admin::create_user))
        .route("/admin/users/{id}/block", post(admin::block))
        .route("/admin/users/{id}/unblock", post(admin::unblock))
        .route("/admin/users/{id}/company", post(admin::company))
        .route("/admin/authors/{id}", post(admin::author))
        .route("/admin/settings", post(admin::settings))
        .route("/admin/catalogue", post(admin::set_catalogue_entry))
        .route(
            "/admin/catalogue/{kind}/{code}/retire",
            post(admin::retire_catalogue_entry),
        )
        .route("/reports", get(reports::reports))
        .route("/static/site.css", get(css))
        .route("/static/logo.svg", get(logo))
        .layer(axum::middleware::from_fn_with_state(
            app,
            session::middleware,
        ))
}

async fn css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/site.css"),
    )
}

async fn logo() -> Response {
    asset("image/svg+xml", include_str!("../../static/logo.svg"))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// What every page's frame shows: the visitor's language, who is logged in and the
/// menu their role reaches, the CSRF token of the header's forms, a flash message.
#[derive(Clone)]
pub struct Frame {
    pub tr: Tr,
    pub name: Option<String>,
    pub role: Option<&'static str>,
    pub csrf: String,
    pub flash: Option<String>,
    pub menu: Vec<(&'static str, &'static str)>,
    /// The language the header's switch offers.
    pub other_lang: &'static str,
}

impl Frame {
    /// The frame of a visitor nobody knows yet (an error before the page looked).
    pub fn anonymous() -> Frame {
        Frame {
            tr: Tr::default(),
            name: None,
            role: None,
            csrf: String::new(),
            flash: None,
            menu: vec![("/", "nav.home")],
            other_lang: "en",
        }
    }

    pub fn of(v: &Visitor) -> Frame {
        let mut menu: Vec<(&'static str, &'static str)> = vec![("/", "nav.home")];
        match &v.user {
            None => {
                menu.push(("/checkout", "nav.checkout"));
            }
            Some(u) => {
                let actor = aggregates::Actor::new(u.id, u.role);
                let may = |a| policy::authorize(&actor, a).is_ok();
                if u.role == Role::Client {
                    menu.push(("/orders", "nav.my_orders"));
                    menu.push(("/checkout", "nav.checkout"));
                    menu.push(("/purchases", "nav.purchases"));
                } else {
                    menu.push(("/orders", "nav.orders"));
                }
                if may(Action::PlaceOrderByPhone) {
                    menu.push(("/checkout", "nav.phone_order"));
                }
                if may(Action::ListReadyWork) {
                    menu.push(("/shop", "nav.shop"));
                }
                if may(Action::ReadOffers) {
                    menu.push(("/offers", "nav.offers"));
                }
                if u.role == Role::Author {
                    menu.push(("/ledger", "nav.ledger"));
                }
                if may(Action::ReadPayoutsDue) {
                    menu.push(("/payouts", "nav.payouts"));
                }
                if may(Action::ReadAuditLog) {
                    menu.push(("/audit", "nav.audit"));
                }
                if may(Action::ReadReports) {
                    menu.push(("/reports", "nav.reports"));
                }
                if may(Action::ManageUsers) {
                    menu.push(("/admin", "nav.admin"));
                }
            }
        }
        Frame {
            tr: v.tr,
            name: v.user.as_ref().map(|u| u.full_name.clone()),
            role: v.user.as_ref().map(|u| u.role.as_str()),
            csrf: v.csrf.clone(),
            flash: v.flash.clone(),
            menu,
            other_lang: if v.tr.en() { "ru" } else { "en" },
        }
    }
}

/// A page, rendered.
pub fn page<T: Template>(t: T) -> Result<Response, PageError> {
    let html = t.render().map_err(|e| PageError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

/// Why a page was not shown.
#[derive(Debug)]
pub enum PageError {
    /// Not logged in: to the log-in page.
    LogIn,
    /// A form without this visitor's CSRF token: refused, nothing done.
    Csrf,
    /// Unknown, or not the visitor's to see.
    NotFound,
    Forbidden,
    /// A form's value the page cannot read at all.
    BadRequest(String),
    Internal(String),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        match crate::http::error::ApiError::from(e) {
            crate::http::error::ApiError::NotFound => PageError::NotFound,
            crate::http::error::ApiError::Forbidden(_) => PageError::Forbidden,
            crate::http::error::ApiError::Internal(e) => PageError::Internal(e),
            other => PageError::BadRequest(other.to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorPage {
    f: Frame,
    status: u16,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let PageError::LogIn = self {
            return Redirect::to("/login").into_response();
        }
        // Rendered by the pages' middleware in the visitor's language.
        let status = match &self {
            PageError::Csrf | PageError::Forbidden => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if let PageError::Internal(e) = &self {
            tracing::error!(error = %e, "a page failed");
        }
        let mut res = status.into_response();
        res.extensions_mut()
            .insert(Failed(std::sync::Arc::new(self)));
        res
    }
}

/// An error answer waiting for its page ([`session::middleware`] renders it).
#[derive(Clone)]
pub(crate) struct Failed(pub std::sync::Arc<PageError>);

/// The page of an error answer, in the visitor's language.
pub(crate) fn error_page(f: Frame, status: StatusCode, e: &PageError) -> Response {
    let tr = f.tr;
    let message = match e {
        PageError::Csrf => tr.t("error.csrf").to_string(),
        PageError::NotFound => tr.t("error.404").to_string(),
        PageError::Forbidden => tr.t("error.403").to_string(),
        PageError::BadRequest(m) => m.clone(),
        _ => tr.t("error.500").to_string(),
    };
    let body = ErrorPage {
        f,
        status: status.as_u16(),
        message,
    }
    .render()
    .unwrap_or_else(|_| status.to_string());
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// After a form's action: to `to` with a flash message — "done", or why the service
/// refused (a value out of range, not allowed in the order's state). What the visitor
/// may not see or do is an error page instead.
pub fn after<T>(v: &Visitor, to: &str, result: Result<T, AppError>) -> Result<Response, PageError> {
    use crate::http::error::ApiError;
    match result.map_err(ApiError::from) {
        Ok(_) => {
            v.flash(v.tr.t("flash.done"));
            Ok(Redirect::to(to).into_response())
        }
        Err(ApiError::NotFound) => Err(PageError::NotFound),
        Err(ApiError::Forbidden(_)) => Err(PageError::Forbidden),
        Err(ApiError::Internal(e)) => Err(PageError::Internal(e)),
        Err(refused) => {
            v.flash(&format!("{}: {refused}", v.tr.t("error.title")));
            Ok(Redirect::to(to).into_response())
        }
    }
}

/// A form body; an unreadable one is a 400 page. The CSRF token is checked by the
/// handler, against the visitor.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Form<T> {
    type Rejection = PageError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, PageError> {
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|axum::Form(v)| Form(v))
            .map_err(|e| PageError::BadRequest(e.body_text()))
    }
}

/// A path parameter; one that cannot be an id names nothing (404 page).
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|_| PageError::NotFound)
    }
}
