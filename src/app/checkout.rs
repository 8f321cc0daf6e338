//! Checkout without registration: `POST /api/orders` with `contact:{email, full_name}`
//! and no token. A new email gets an account (`RegisteredAtCheckout`) whose initial
//! password the mail worker sends; an existing client's email gets no new account and
//! no password, only the order and a mail telling them to log in (`CheckoutNoted` on
//! both). The answer is the order either way: it never says which case it was.

use aggregates::order::OrderSource;
use aggregates::user::{parse_language, User, UserCommand, UserEvent};
use aggregates::{Actor, Role};
use cqrs_es::Aggregate;
use serde::Deserialize;
use uuid::Uuid;

use super::orders::NewOrder;
use super::values::Email;
use super::views::OrderView;
use super::{App, AppError, Ctx};

/// Who checks out.
#[derive(Debug, Clone)]
pub struct Contact {
    pub email: String,
    pub full_name: String,
    /// `ru` (the default) or `en`: the language of the new account's mail.
    pub language: Option<String>,
}

/// A contact parsed: a well-formed email, a name, a known language.
#[derive(Debug, Clone)]
pub struct Guest {
    pub email: String,
    pub full_name: String,
    pub language: Option<String>,
}

impl Contact {
    /// Bad contact data is a 422 that creates nobody.
    pub fn parse(self) -> Result<Guest, AppError> {
        let email = Email::parse(&self.email)?.as_str().to_string();
        let full_name = self.full_name.trim().to_string();
        if full_name.is_empty() {
            return Err(AppError::Invalid("the full name must not be empty".into()));
        }
        let language = self.language.as_deref().map(parse_language).transpose()?;
        Ok(Guest {
            email,
            full_name,
            language,
        })
    }
}

impl App {
    /// Places `new` for the owner of `contact`'s email, creating their account first
    /// when there is none. Everything is checked before anything is done: bad contact
    /// data or a bad order is a 422 that creates nobody.
    pub async fn checkout(
        &self,
        request_id: &str,
        contact: Contact,
        mut new: NewOrder,
    ) -> Result<OrderView, AppError> {
        new.source = OrderSource::GuestCheckout;
        let guest = contact.parse()?;
        // The order's own checks, before an account exists.
        self.check_placement(&new, Uuid::nil()).await?;
        let client = self.guest_client(request_id, &guest).await?;
        let ctx = Ctx::request(Actor::new(client, Role::Client), request_id);
        let order = self.place_order(&ctx, new).await?;
        self.note_checkout(client, &order, &ctx).await?;
        Ok(order)
    }

    /// A manager (or admin) takes an order by phone for the client with `contact`'s
    /// email, creating their account (its password mailed as at checkout) when there is
    /// none. The order is the manager's own (routed to them; an admin's goes by the
    /// routing rule) and its source is `manager`; every event names the manager as actor.
    pub async fn place_by_phone(
        &self,
        ctx: &Ctx,
        contact: Contact,
        mut new: NewOrder,
    ) -> Result<OrderView, AppError> {
        super::policy::authorize(&ctx.actor, super::policy::Action::PlaceOrderByPhone)?;
        new.source = OrderSource::Manager;
        let guest = contact.parse()?;
        self.check_placement(&new, Uuid::nil()).await?;
        let client = self.guest_client(&ctx.request_id, &guest).await?;
        let taken_by = (ctx.actor.role == Role::Manager).then_some(ctx.actor.id);
        let order = self.place_for(ctx, client, new, taken_by).await?;
        self.note_checkout(client, &order, ctx).await?;
        Ok(order)
    }

    /// Tells the client's account of an order placed for them without their log-in: the
    /// mail worker sends the credentials of a new account, or a notice to log in.
    async fn note_checkout(
        &self,
        client: Uuid,
        order: &OrderView,
        ctx: &Ctx,
    ) -> Result<(), AppError> {
        self.user(
            client,
            UserCommand::NoteCheckout {
                order_id: order.order.id,
                number: order.order.number,
            },
            ctx,
        )
        .await
    }

    /// The client who checks out as `guest`: the existing client with their email, else
    /// a new account (`RegisteredAtCheckout`, its password mailed by the mail worker).
    pub(crate) async fn guest_client(
        &self,
        request_id: &str,
        guest: &Guest,
    ) -> Result<Uuid, AppError> {
        let Guest {
            email,
            full_name,
            language,
        } = guest;
        Ok(match self.client_by_email(email).await? {
            // No password hash to even out the time of the answer: sign-up already says
            // an email is taken (409), and a hash (19 MiB, tens of ms of a core) per
            // returning guest was a tenth of the service's CPU in the benchmark.
            Some(id) => id,
            None => {
                let id = Uuid::new_v4();
                let mut ctx = Ctx::system(request_id);
                ctx.actor = Actor::new(id, Role::Client);
                let password = self.initial_password(id).await?;
                let cmd = UserCommand::RegisterAtCheckout {
                    email: email.clone(),
                    full_name: full_name.clone(),
                    referred_by: None,
                };
                match self.create_user_as(id, email, &password, cmd, &ctx).await {
                    Ok(()) => {
                        if let Some(language) = language {
                            self.user(
                                id,
                                UserCommand::ChooseLanguage {
                                    language: language.clone(),
                                },
                                &ctx,
                            )
                            .await?;
                        }
                        id
                    }
                    // Created meanwhile by another request: theirs now.
                    Err(AppError::Conflict(_)) => self
                        .client_by_email(email)
                        .await?
                        .ok_or_else(|| AppError::infrastructure("an email taken by nobody"))?,
                    Err(e) => return Err(e),
                }
            }
        })
    }

    /// The client whose account has this email; a staff member's, or a blocked
    /// account's, email cannot check out (they log in).
    async fn client_by_email(&self, email: &str) -> Result<Option<Uuid>, AppError> {
        let Some(row) = self
            .db
            .fetch_optional(
                "SELECT user_id FROM credentials WHERE email = $1",
                &projections::args![email],
            )
            .await?
        else {
            return Ok(None);
        };
        let id = row.uuid("user_id")?;
        let user = self.user_state(id).await?;
        if user.role != Some(Role::Client) || user.blocked {
            return Err(AppError::Conflict(
                "this email cannot check out without logging in: log in to place the order".into(),
            ));
        }
        Ok(Some(id))
    }

    /// The caller chooses the language of their mail and pages.
    pub async fn choose_language(&self, ctx: &Ctx, language: &str) -> Result<String, AppError> {
        super::policy::authorize(&ctx.actor, super::policy::Action::ChooseLanguage)?;
        let language = parse_language(language)?;
        self.user(
            ctx.actor.id,
            UserCommand::ChooseLanguage {
                language: language.clone(),
            },
            ctx,
        )
        .await?;
        Ok(language)
    }

    /// The user as their own stream says.
    pub async fn user_state(&self, id: Uuid) -> Result<User, AppError> {
        let stream = self
            .user_repo
            .stream::<User>(&id.to_string())
            .await
            .map_err(AppError::infrastructure)?;
        let mut user = User::default();
        for e in stream.iter() {
            user.apply(UserEvent::deserialize(&e.payload).map_err(AppError::infrastructure)?);
        }
        Ok(user)
    }
}
