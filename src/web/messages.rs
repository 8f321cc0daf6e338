//! The conversation on an order's page: the messages its visitor may see (the same
//! service and access policy as `GET /api/orders/{id}/messages`), a form to write, and
//! for the order's manager (or an admin) approve and reject on held messages.

use aggregates::order::{Order, OrderCommand};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::session::Visitor;
use super::{after, Form, PageError, Path};
use crate::app::messages::MessageView;
use crate::app::policy::{self, Action};
use crate::app::{App, AppError};

/// One message as the page shows it.
pub struct Line {
    pub m: MessageView,
    /// Who wrote it, in words (the side; the company's readers also see the name).
    pub from: String,
    pub at: String,
    /// What it seemed to carry, in words (held and rejected ones, to whom it is shown).
    pub held_for: &'static str,
    /// The order would take the visitor's approval or rejection of it now.
    pub moderate: bool,
}

/// The conversation of the order's page, for a visitor who reads it.
pub struct Conversation {
    pub lines: Vec<Line>,
    /// The visitor may write now (a party, the order not finished).
    pub post: bool,
}

/// The conversation the visitor may read, if any (`None`: not theirs; the page shows
/// no such section).
pub async fn conversation(
    app: &App,
    v: &Visitor,
    id: Uuid,
    state: &Order,
) -> Result<Option<Conversation>, PageError> {
    let Some(user) = &v.user else {
        return Ok(None);
    };
    let actor = aggregates::Actor::new(user.id, user.role);
    let messages = match app.messages(&actor, id).await {
        Ok(m) => m,
        Err(AppError::NotFound | AppError::Forbidden(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let tr = v.tr;
    let at = app.clock.now();
    let may_moderate = policy::authorize(&actor, Action::ModerateMessage).is_ok();
    let lines = messages
        .into_iter()
        .map(|m| {
            let side = tr.role(&m.from_role);
            let from = match (&m.sender_name, m.mine) {
                (_, true) => format!("{} ({side})", tr.t("msg.you")),
                (Some(name), false) => format!("{name} ({side})"),
                (None, false) => side.to_string(),
            };
            let moderate = may_moderate
                && m.held
                && state
                    .decide(OrderCommand::ApproveMessage {
                        actor,
                        message_id: m.id,
                        text: String::new(),
                        at,
                    })
                    .is_ok();
            Line {
                from,
                at: chrono::DateTime::parse_from_rfc3339(&m.at)
                    .map(|t| tr.at(&t.to_utc()))
                    .unwrap_or_default(),
                held_for: match m.held_for.as_deref() {
                    Some("email") => tr.t("msg.held_for.email"),
                    Some("phone") => tr.t("msg.held_for.phone"),
                    Some("link") => tr.t("msg.held_for.link"),
                    Some("handle") => tr.t("msg.held_for.handle"),
                    _ => "",
                },
                moderate,
                m,
            }
        })
        .collect();
    let post = policy::authorize(&actor, Action::PostMessage).is_ok()
        && state
            .decide(OrderCommand::PostMessage {
                actor,
                message_id: Uuid::nil(),
                text: "probe".into(),
                at,
            })
            .is_ok();
    Ok(Some(Conversation { lines, post }))
}

#[derive(Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    text: String,
}

/// Writes a message (held for the manager when it seems to carry a contact).
pub async fn post(
    State(app): State<App>,
    v: Visitor,
    Path(id): Path<Uuid>,
    Form(form): Form<MessageForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app.post_message(&m.ctx(), id, form.text).await;
    let to = format!("/orders/{id}");
    if matches!(&result, Ok(posted) if posted.held) {
        v.flash(v.tr.t("msg.flash_held"));
        return Ok(Redirect::to(&to).into_response());
    }
    after(&v, &to, result)
}

#[derive(Deserialize)]
pub struct ModerateForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    reason: String,
}

/// The order's manager lets a held message through.
pub async fn approve(
    State(app): State<App>,
    v: Visitor,
    Path((id, message_id)): Path<(Uuid, Uuid)>,
    Form(form): Form<ModerateForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app.approve_message(&m.ctx(), id, message_id).await;
    after(&v, &format!("/orders/{id}"), result)
}

/// The order's manager refuses a held message, saying why.
pub async fn reject(
    State(app): State<App>,
    v: Visitor,
    Path((id, message_id)): Path<(Uuid, Uuid)>,
    Form(form): Form<ModerateForm>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    v.check_csrf(&form._csrf)?;
    let result = app
        .reject_message(&m.ctx(), id, message_id, form.reason)
        .await;
    after(&v, &format!("/orders/{id}"), result)
}
