//! The order's conversation between its client, the company (its manager, an admin) and
//! its author: reading what the caller may see of it, posting, and the manager's
//! moderation of held messages (docs/decisions/022). Every message is an event on the
//! order; the list is the `order_messages` read model, filtered by the access policy.

use std::collections::{HashMap, HashSet};

use aggregates::order::{party_of, MessageStatus, OrderCommand, OrderEvent};
use aggregates::{Actor, Role};
use projections::messages::{self as table, MessageRow};
use projections::order_list;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::policy::{self, Action, Parties};
use super::schemas::{ContactKindSchema, MessageStatusSchema, PartySchema};
use super::{App, AppError, Ctx};

/// A message as its reader may see it: never a name, an email or an id of the client to
/// the author or of the author to the client; the company's readers see who wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Message)]
pub struct MessageView {
    pub id: Uuid,
    /// The side that wrote it (an admin writes for the company: `manager`).
    #[schema(value_type = PartySchema)]
    pub from_role: String,
    pub text: String,
    /// When it was posted (RFC 3339).
    #[schema(format = DateTime)]
    pub at: String,
    /// Its sender and the company see `held` and `rejected` ones too; the other parties
    /// only `visible` ones.
    #[schema(value_type = MessageStatusSchema)]
    pub status: String,
    /// Whether it waits for the manager's approval now.
    pub held: bool,
    /// Whether the reader wrote it.
    pub mine: bool,
    /// What a held (or rejected) message seemed to carry; to its sender and the company.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ContactKindSchema>)]
    pub held_for: Option<String>,
    /// Why the manager rejected it; to its sender and the company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who wrote it, to the company only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<Uuid>,
    /// The sender's full name, to the company only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
}

impl MessageView {
    /// The row as `actor` may see it (the caller has checked they see the message).
    fn of(actor: &Actor, m: &MessageRow, names: &HashMap<Uuid, String>) -> MessageView {
        let company = policy::sees_every_message(actor);
        let mine = m.sender_id == actor.id;
        let role = Role::parse(&m.by_role);
        MessageView {
            id: m.id,
            from_role: role.and_then(party_of).unwrap_or("manager").to_string(),
            text: m.text.clone(),
            at: m.at.clone(),
            status: m.status.as_str().to_string(),
            held: m.status == MessageStatus::Held,
            mine,
            held_for: (company || mine).then(|| m.held_for.clone()).flatten(),
            reason: (company || mine).then(|| m.reason.clone()).flatten(),
            sender_id: company.then_some(m.sender_id),
            sender_name: company.then(|| names.get(&m.sender_id).cloned()).flatten(),
        }
    }
}

/// The most held messages one queue shows.
pub const HELD_LIMIT: i64 = 200;

/// A message waiting for the manager, with the order it is on.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = HeldMessage)]
pub struct HeldMessageView {
    pub order_id: Uuid,
    /// The order's number.
    #[schema(minimum = 1)]
    pub number: i64,
    #[serde(flatten)]
    pub message: MessageView,
}

impl App {
    /// The messages waiting for the caller's approval, oldest first: on the orders routed
    /// to a manager, on every order for an admin (at most [`HELD_LIMIT`]).
    pub async fn held_messages(&self, actor: &Actor) -> Result<Vec<HeldMessageView>, AppError> {
        policy::authorize(actor, Action::ModerateMessage)?;
        let manager = (actor.role == Role::Manager).then_some(actor.id);
        let rows = table::held(&self.db, manager, HELD_LIMIT).await?;
        let refs: Vec<&MessageRow> = rows.iter().map(|h| &h.message).collect();
        let names = self.sender_names(actor, &refs).await?;
        Ok(rows
            .iter()
            .map(|h| HeldMessageView {
                order_id: h.message.order_id,
                number: h.number,
                message: MessageView::of(actor, &h.message, &names),
            })
            .collect())
    }

    /// The parties of the order (none: not placed), from its own stream.
    async fn conversation_of(&self, actor: &Actor, id: Uuid) -> Result<Parties, AppError> {
        let state = self.order_state(id).await?;
        let parties = Parties::from(&state);
        if state.placed && policy::sees_conversation(actor, parties) {
            Ok(parties)
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The messages of the order the caller may see, oldest first. Not found for an order
    /// whose conversation is not theirs (an author before they took it included).
    pub async fn messages(&self, actor: &Actor, id: Uuid) -> Result<Vec<MessageView>, AppError> {
        policy::authorize(actor, Action::ReadMessages)?;
        let order = order_list::by_id(&self.db, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !policy::sees_conversation(actor, Parties::from(&order)) {
            return Err(AppError::NotFound);
        }
        let rows = table::for_order(&self.db, id).await?;
        let rows: Vec<&MessageRow> = rows
            .iter()
            .filter(|m| policy::sees_message(actor, m.sender_id, m.status))
            .collect();
        let names = self.sender_names(actor, &rows).await?;
        Ok(rows
            .into_iter()
            .map(|m| MessageView::of(actor, m, &names))
            .collect())
    }

    /// The senders' names, for the company's readers only.
    async fn sender_names(
        &self,
        actor: &Actor,
        rows: &[&MessageRow],
    ) -> Result<HashMap<Uuid, String>, AppError> {
        let mut names = HashMap::new();
        if !policy::sees_every_message(actor) {
            return Ok(names);
        }
        let ids: HashSet<Uuid> = rows.iter().map(|m| m.sender_id).collect();
        for id in ids {
            if let Some(u) = projections::users::by_id(&self.db, id).await? {
                names.insert(id, u.full_name);
            }
        }
        Ok(names)
    }

    /// A party writes in the order's conversation; a message of the client or the author
    /// that seems to carry a contact is held for the manager. Answers with the message as
    /// its sender sees it, from the order's own stream.
    pub async fn post_message(
        &self,
        ctx: &Ctx,
        id: Uuid,
        text: String,
    ) -> Result<MessageView, AppError> {
        policy::authorize(&ctx.actor, Action::PostMessage)?;
        self.conversation_of(&ctx.actor, id).await?;
        let message_id = Uuid::new_v4();
        let cmd = OrderCommand::PostMessage {
            actor: ctx.actor,
            message_id,
            text,
            at: self.clock.now(),
        };
        self.order(id, cmd, ctx).await?;
        self.message_from_stream(&ctx.actor, id, message_id).await
    }

    /// The order's manager (or an admin) lets a held message through.
    pub async fn approve_message(
        &self,
        ctx: &Ctx,
        id: Uuid,
        message_id: Uuid,
    ) -> Result<MessageView, AppError> {
        policy::authorize(&ctx.actor, Action::ModerateMessage)?;
        self.conversation_of(&ctx.actor, id).await?;
        let text = self
            .posted_text(id, message_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let cmd = OrderCommand::ApproveMessage {
            actor: ctx.actor,
            message_id,
            text,
            at: self.clock.now(),
        };
        self.order(id, cmd, ctx).await?;
        self.message_from_stream(&ctx.actor, id, message_id).await
    }

    /// The order's manager (or an admin) refuses a held message, saying why.
    pub async fn reject_message(
        &self,
        ctx: &Ctx,
        id: Uuid,
        message_id: Uuid,
        reason: String,
    ) -> Result<MessageView, AppError> {
        policy::authorize(&ctx.actor, Action::ModerateMessage)?;
        self.conversation_of(&ctx.actor, id).await?;
        let cmd = OrderCommand::RejectMessage {
            actor: ctx.actor,
            message_id,
            reason,
            at: self.clock.now(),
        };
        self.order(id, cmd, ctx).await?;
        self.message_from_stream(&ctx.actor, id, message_id).await
    }

    /// The text of the message as posted, from the order's stream.
    async fn posted_text(&self, id: Uuid, message_id: Uuid) -> Result<Option<String>, AppError> {
        let (_, stream) = self.order_stream(id).await?;
        Ok(stream.into_iter().find_map(|(e, _)| match e {
            OrderEvent::MessagePosted {
                message_id: m,
                text,
                ..
            } if m == message_id => Some(text),
            _ => None,
        }))
    }

    /// The message as it now stands, folded from the order's own stream exactly as the
    /// read model will keep it (an answer does not wait for the table).
    async fn message_from_stream(
        &self,
        actor: &Actor,
        id: Uuid,
        message_id: Uuid,
    ) -> Result<MessageView, AppError> {
        let (_, stream) = self.order_stream(id).await?;
        let mut row: Option<MessageRow> = None;
        for (e, _) in stream {
            match e {
                OrderEvent::MessagePosted {
                    message_id: m,
                    by,
                    sender_id,
                    text,
                    held,
                    held_for,
                    at,
                } if m == message_id => {
                    row = Some(MessageRow {
                        id: m,
                        order_id: id,
                        position: 0,
                        at: at.to_rfc3339(),
                        by_role: by.as_str().to_string(),
                        sender_id,
                        text,
                        status: if held {
                            MessageStatus::Held
                        } else {
                            MessageStatus::Visible
                        },
                        held_for: held_for.map(|k| k.as_str().to_string()),
                        moderated_at: None,
                        reason: None,
                    })
                }
                OrderEvent::MessageApproved {
                    message_id: m, at, ..
                } if m == message_id => {
                    if let Some(r) = row.as_mut() {
                        r.status = MessageStatus::Visible;
                        r.moderated_at = Some(at.to_rfc3339());
                    }
                }
                OrderEvent::MessageRejected {
                    message_id: m,
                    reason,
                    at,
                } if m == message_id => {
                    if let Some(r) = row.as_mut() {
                        r.status = MessageStatus::Rejected;
                        r.moderated_at = Some(at.to_rfc3339());
                        r.reason = Some(reason);
                    }
                }
                _ => {}
            }
        }
        let row = row.ok_or(AppError::NotFound)?;
        let names = self.sender_names(actor, &[&row]).await?;
        Ok(MessageView::of(actor, &row, &names))
    }
}

/// What the order's history (`GET /api/orders/{id}/events`, the page's timeline) shows of
/// its conversation to one reader, by the rule of the list: a held or rejected message to
/// its sender and the company only, an approval (which carries the text) to everyone who
/// reads the conversation, nothing to a role that does not, and no sender's id but one's
/// own to a client or an author.
pub(crate) struct ConversationFilter {
    reads: bool,
    company: bool,
    me: Uuid,
    /// Each message's sender, from its `MessagePosted`.
    senders: HashMap<Uuid, Uuid>,
}

impl ConversationFilter {
    pub(crate) fn new(
        actor: &Actor,
        parties: Parties,
        stream: &[projections::StoredEvent],
    ) -> ConversationFilter {
        let mut senders = HashMap::new();
        for e in stream.iter().filter(|e| e.event_type == "MessagePosted") {
            let data = super::orders::event_data(&e.payload);
            if let (Some(m), Some(s)) = (uuid_of(&data["message_id"]), uuid_of(&data["sender_id"]))
            {
                senders.insert(m, s);
            }
        }
        ConversationFilter {
            // An author the order was only offered to reads its history, not its talk.
            reads: policy::authorize(actor, Action::ReadMessages).is_ok()
                && policy::sees_conversation(actor, parties),
            company: policy::sees_every_message(actor),
            me: actor.id,
            senders,
        }
    }

    /// Whether the event shows at all; when it does, `data` and `actor_id` are stripped
    /// of what the reader may not see.
    pub(crate) fn keep(
        &self,
        event_type: &str,
        data: &mut Value,
        actor_id: &mut Option<Uuid>,
    ) -> bool {
        if !matches!(
            event_type,
            "MessagePosted" | "MessageApproved" | "MessageRejected"
        ) {
            return true;
        }
        if !self.reads {
            return false;
        }
        if self.company {
            return true;
        }
        let sender = uuid_of(&data["message_id"]).and_then(|m| self.senders.get(&m).copied());
        let mine = sender == Some(self.me);
        let keep = match event_type {
            "MessagePosted" => mine || data["held"] != Value::Bool(true),
            "MessageRejected" => mine,
            _ => true,
        };
        if keep {
            if let Some(m) = data.as_object_mut() {
                m.remove("sender_id");
                if !mine {
                    m.remove("held_for");
                }
            }
            if *actor_id != Some(self.me) {
                *actor_id = None;
            }
        }
        keep
    }
}

fn uuid_of(v: &Value) -> Option<Uuid> {
    v.as_str().and_then(|s| s.parse().ok())
}
