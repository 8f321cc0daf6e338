//! The user services: sign-up, log-in, staff accounts and blocking.

use aggregates::user::{User, UserCommand};
use aggregates::{Actor, Role};
use cqrs_es::Aggregate;
use projections::users::UserRow;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::policy::{self, Action};
use super::values::Email;
use super::views::UserView;
use super::{App, AppError, Ctx};

/// A new session: its bearer token and whose it is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Session {
    /// For `Authorization: Bearer <token>`.
    pub token: String,
    pub user: UserView,
}

impl App {
    /// Creates a user with a password: the credentials row first (its unique email is the
    /// guard against two accounts for one address), then the event; undone if the event fails.
    pub async fn create_user(
        &self,
        email: &str,
        full_name: &str,
        role: Role,
        password: &str,
        ctx: &Ctx,
    ) -> Result<Uuid, AppError> {
        self.create_user_referred(email, full_name, role, password, None, ctx)
            .await
    }

    /// [`App::create_user`] for a client who came through the referral link of
    /// `referred_by` (recorded in their registration).
    async fn create_user_referred(
        &self,
        email: &str,
        full_name: &str,
        role: Role,
        password: &str,
        referred_by: Option<Uuid>,
        ctx: &Ctx,
    ) -> Result<Uuid, AppError> {
        let email = Email::parse(email)?.as_str().to_string();
        if full_name.trim().is_empty() {
            return Err(AppError::Invalid("the full name must not be empty".into()));
        }
        crate::auth::check_password(password).map_err(|e| AppError::Invalid(e.into()))?;
        let id = Uuid::new_v4();
        let cmd = if role == Role::Client && ctx.actor.role != Role::Admin {
            UserCommand::Register {
                email: email.clone(),
                full_name: full_name.to_string(),
                referred_by,
            }
        } else {
            UserCommand::CreateStaff {
                email: email.clone(),
                full_name: full_name.to_string(),
                role,
                created_by: ctx.actor.id,
            }
        };
        self.create_user_as(id, &email, password, cmd, ctx).await?;
        Ok(id)
    }

    /// Creates the user `id` (`cmd`: its first command) with the credentials `email` and
    /// `password`: the credentials row first (its unique email is the guard against two
    /// accounts for one address: [`AppError::Conflict`]), then the event; undone if the
    /// event fails.
    pub(crate) async fn create_user_as(
        &self,
        id: Uuid,
        email: &str,
        password: &str,
        cmd: UserCommand,
        ctx: &Ctx,
    ) -> Result<(), AppError> {
        let hash = crate::auth::hash_password(password.to_string())
            .await
            .map_err(AppError::infrastructure)?;
        self.user_repo.expect_new(User::TYPE, &id.to_string());
        let inserted = self
            .db
            .execute(
                "INSERT INTO credentials (user_id, email, password_hash, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (email) DO NOTHING",
                &projections::args![id, email, hash, self.clock.now().to_rfc3339()],
            )
            .await?;
        if inserted == 0 {
            self.user_repo.forget_stream::<User>(&id.to_string());
            return Err(AppError::Conflict(
                "a user with this email already exists".into(),
            ));
        }
        if let Err(e) = self.user(id, cmd, ctx).await {
            self.db
                .execute(
                    "DELETE FROM credentials WHERE user_id = $1",
                    &projections::args![id],
                )
                .await?;
            return Err(e);
        }
        Ok(())
    }

    /// A new client signs themselves up; the event is attributed to them. `referral`: the
    /// referral code they came with, if any; one that names no client is ignored (a bad
    /// link never blocks a registration).
    pub async fn register(
        &self,
        request_id: &str,
        email: &str,
        full_name: &str,
        password: &str,
        referral: Option<&str>,
    ) -> Result<UserView, AppError> {
        let mut ctx = Ctx::system(request_id);
        // Self-registration is attributed to the new client once their id exists.
        ctx.actor.role = Role::Client;
        let referred_by = self.referrer_of(referral).await?;
        let id = self
            .create_user_referred(email, full_name, Role::Client, password, referred_by, &ctx)
            .await?;
        self.user_view(id).await
    }

    /// An admin creates an account with any role, named by its wire name (read after
    /// the policy's yes, like every value of the request).
    pub async fn create_account(
        &self,
        ctx: &Ctx,
        email: &str,
        full_name: &str,
        role: &str,
        password: &str,
    ) -> Result<UserView, AppError> {
        policy::authorize(&ctx.actor, Action::ManageUsers)?;
        let role =
            Role::parse(role).ok_or_else(|| AppError::Invalid(format!("unknown role {role:?}")))?;
        let id = self
            .create_user(email, full_name, role, password, ctx)
            .await?;
        self.user_view(id).await
    }

    /// Opens a session for the owner of these credentials; a blocked account is refused.
    pub async fn log_in(&self, email: &str, password: &str) -> Result<Session, AppError> {
        let email = email.trim().to_lowercase();
        let row = self
            .db
            .fetch_optional(
                "SELECT user_id, password_hash FROM credentials WHERE email = $1",
                &projections::args![email],
            )
            .await?
            .ok_or(AppError::BadCredentials)?;
        if !crate::auth::verify_password(password.to_string(), row.text("password_hash")?).await {
            return Err(AppError::BadCredentials);
        }
        let user = projections::users::by_id(&self.db, row.uuid("user_id")?)
            .await?
            .ok_or(AppError::BadCredentials)?;
        if user.blocked {
            return Err(AppError::Forbidden("this account is blocked".into()));
        }
        let token = crate::auth::new_token();
        let now = self.clock.now();
        self.db
            .execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                &projections::args![
                    crate::auth::token_hash(&token),
                    user.id,
                    now.to_rfc3339(),
                    (now + self.config.token_ttl).to_rfc3339()
                ],
            )
            .await?;
        Ok(Session {
            token,
            user: UserView::from(&user),
        })
    }

    /// Every user, for an admin.
    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<UserView>, AppError> {
        policy::authorize(actor, Action::ManageUsers)?;
        let users = projections::users::list(&self.db, None).await?;
        Ok(users.iter().map(UserView::from).collect())
    }

    /// An admin blocks a user (never themselves): their tokens stop working at once.
    pub async fn block_user(
        &self,
        ctx: &Ctx,
        id: Uuid,
        reason: String,
    ) -> Result<UserView, AppError> {
        policy::authorize(&ctx.actor, Action::ManageUsers)?;
        if id == ctx.actor.id {
            return Err(AppError::Conflict(
                "an admin cannot block themselves".into(),
            ));
        }
        let cmd = UserCommand::Block {
            by: ctx.actor.id,
            reason,
        };
        self.user(id, cmd, ctx).await?;
        self.user_view(id).await
    }

    /// An admin unblocks a user.
    pub async fn unblock_user(&self, ctx: &Ctx, id: Uuid) -> Result<UserView, AppError> {
        policy::authorize(&ctx.actor, Action::ManageUsers)?;
        self.user(id, UserCommand::Unblock { by: ctx.actor.id }, ctx)
            .await?;
        self.user_view(id).await
    }

    /// A user as the directory shows them.
    async fn user_view(&self, id: Uuid) -> Result<UserView, AppError> {
        let user: UserRow = projections::users::by_id(&self.db, id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(UserView::from(&user))
    }
}
