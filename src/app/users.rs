//! The user services: sign-up, log-in, staff accounts and blocking.

use aggregates::user::{Company, User, UserCommand};
use aggregates::{Actor, Role};
use cqrs_es::Aggregate;
use projections::users::UserRow;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::policy::{self, Action};
use super::values::Email;
use super::views::{CompanyDetails, UserView};
use super::{App, AppError, Ctx};

/// A new session: its bearer token and whose it is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Session {
    /// For `Authorization: Bearer <token>`.
    pub token: String,
    pub user: UserView,
}

/// A password hash of nobody's password, made once: what an unknown email is checked
/// against.
async fn dummy_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async {
        crate::auth::hash_password(crate::auth::new_token())
            .await
            .unwrap_or_default()
    })
    .await
    .clone()
}

/// What a client's own sign-up may bring besides the credentials.
#[derive(Debug, Default)]
struct Signup {
    /// The company the account is for.
    company: Option<Company>,
    /// The client whose referral link they came through.
    referred_by: Option<Uuid>,
}

impl App {
    /// Sessions of these users were just ended: this instance forgets their tokens at
    /// once, and on PostgreSQL every other instance does too, on the channel the users
    /// projection tells them on (else a token another instance had seen would work there
    /// until its cache entry ages out).
    pub(crate) async fn sessions_ended(&self, users: &[Uuid]) {
        self.sessions.forget_users(users);
        if self.db.is_postgres() && !users.is_empty() {
            let ids: Vec<String> = users.iter().map(Uuid::to_string).collect();
            if let Err(e) = self
                .db
                .execute(
                    "SELECT pg_notify($1, $2)",
                    &projections::args![projections::users::USERS_CHANGED, ids.join(",")],
                )
                .await
            {
                tracing::warn!(error = %e, "other instances were not told of ended sessions");
            }
        }
    }

    /// Creates a user with a password: the credentials row first (its unique email is the
    /// guard against two accounts for one address), then the event; undone if the event fails.
    pub async fn create_user(
        &self,
        email: &str,
        full_name: &str,
        role: Role,
        password: &str,
        company: Option<Company>,
        ctx: &Ctx,
    ) -> Result<Uuid, AppError> {
        let signup = Signup {
            company,
            referred_by: None,
        };
        self.create_user_referred(email, full_name, role, password, signup, ctx)
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
        signup: Signup,
        ctx: &Ctx,
    ) -> Result<Uuid, AppError> {
        let Signup {
            company,
            referred_by,
        } = signup;
        let email = Email::parse(email)?.as_str().to_string();
        if full_name.trim().is_empty() {
            return Err(AppError::Invalid("the full name must not be empty".into()));
        }
        if full_name.trim().chars().count() > 200 {
            return Err(AppError::Invalid(
                "the full name must be at most 200 characters long".into(),
            ));
        }
        crate::auth::check_password(password).map_err(|e| AppError::Invalid(e.into()))?;
        let id = Uuid::new_v4();
        let cmd = if role == Role::Client && ctx.actor.role != Role::Admin {
            UserCommand::Register {
                email: email.clone(),
                full_name: full_name.to_string(),
                company,
                referred_by,
            }
        } else if company.is_some() {
            // Only a client's own sign-up carries a company; an admin sets it afterwards.
            return Err(AppError::User(aggregates::user::UserError::CompanyForStaff));
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

    /// A new client signs themselves up (a company's account with its details); the event
    /// is attributed to them. `referral`: the referral code they came with, if any; one
    /// that names no client is ignored (a bad link never blocks a registration).
    pub async fn register(
        &self,
        request_id: &str,
        email: &str,
        full_name: &str,
        password: &str,
        company: Option<&CompanyDetails>,
        referral: Option<&str>,
    ) -> Result<UserView, AppError> {
        let mut ctx = Ctx::system(request_id);
        // Self-registration is attributed to the new client once their id exists.
        ctx.actor.role = Role::Client;
        let company = company.map(CompanyDetails::parse).transpose()?;
        let referred_by = self.referrer_of(referral).await?;
        let id = self
            .create_user_referred(
                email,
                full_name,
                Role::Client,
                password,
                Signup {
                    company,
                    referred_by,
                },
                &ctx,
            )
            .await?;
        self.user_view(id).await
    }

    /// Makes a client's account a company's (or changes its details), or, with `None`, an
    /// individual's again: a manager or an admin for any client, a client for themselves.
    /// The orders placed from then on say so (those placed before stay as they were).
    pub async fn set_company(
        &self,
        ctx: &Ctx,
        id: Uuid,
        company: Option<&CompanyDetails>,
    ) -> Result<UserView, AppError> {
        policy::authorize(&ctx.actor, Action::SetCompany)?;
        if ctx.actor.role == Role::Client && ctx.actor.id != id {
            return Err(AppError::NotFound);
        }
        let company = company.map(CompanyDetails::parse).transpose()?;
        // Unknown users (404) and staff (409) are the aggregate's refusals.
        let cmd = UserCommand::SetCompany {
            company,
            by: ctx.actor.id,
        };
        self.user(id, cmd, ctx).await?;
        self.user_view(id).await
    }

    /// Whether the client's account is a company's now (what a new order records).
    pub(crate) async fn is_corporate(&self, client_id: Uuid) -> Result<bool, AppError> {
        Ok(projections::users::by_id(&self.db, client_id)
            .await?
            .is_some_and(|u| u.company.is_some()))
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
            .create_user(email, full_name, role, password, None, ctx)
            .await?;
        self.user_view(id).await
    }

    /// Opens a session for the owner of these credentials; a blocked account is refused.
    pub async fn log_in(&self, email: &str, password: &str) -> Result<Session, AppError> {
        self.log_in_from(email, password, None).await
    }

    /// [`App::log_in`] from a client address (when known): failed tries are counted per
    /// account and per address, and past the limits refused for a while (429).
    pub async fn log_in_from(
        &self,
        email: &str,
        password: &str,
        address: Option<std::net::IpAddr>,
    ) -> Result<Session, AppError> {
        let email = email.trim().to_lowercase();
        let mut keys = vec![(
            format!("account:{email}"),
            self.config.login_failures_per_account,
        )];
        if let Some(a) = address {
            keys.push((
                format!("address:{a}"),
                self.config.login_failures_per_address,
            ));
        }
        for (key, limit) in &keys {
            self.refuse_if_locked(key, *limit).await?;
        }
        match self.check_credentials(&email, password).await {
            Err(AppError::BadCredentials) => {
                for (key, _) in &keys {
                    self.count_failure(key).await?;
                }
                Err(AppError::BadCredentials)
            }
            Err(e) => Err(e),
            Ok(id) => {
                self.db
                    .execute(
                        "DELETE FROM login_failures WHERE key = $1",
                        &projections::args![keys[0].0.clone()],
                    )
                    .await?;
                self.open_session(id).await
            }
        }
    }

    /// 429 while `key` has failed `limit` times within the window.
    pub(crate) async fn refuse_if_locked(&self, key: &str, limit: i64) -> Result<(), AppError> {
        let Some(row) = self
            .db
            .fetch_optional(
                "SELECT failures, since FROM login_failures WHERE key = $1",
                &projections::args![key],
            )
            .await?
        else {
            return Ok(());
        };
        let since = chrono::DateTime::parse_from_rfc3339(&row.text("since")?)
            .map_err(AppError::infrastructure)?
            .with_timezone(&chrono::Utc);
        let until = since + self.config.login_window;
        let now = self.clock.now();
        if row.int("failures")? >= limit && until > now {
            return Err(AppError::TooManyAttempts(
                (until - now).num_seconds().max(1),
            ));
        }
        Ok(())
    }

    /// Counts a failed try of `key` (a new window when the last one has passed).
    pub(crate) async fn count_failure(&self, key: &str) -> Result<(), AppError> {
        let now = self.clock.now();
        let window_start = (now - self.config.login_window).to_rfc3339();
        self.db
            .execute(
                "INSERT INTO login_failures (key, failures, since) VALUES ($1, 1, $2) \
                 ON CONFLICT (key) DO UPDATE SET \
                 failures = CASE WHEN login_failures.since <= $3 THEN 1 \
                                 ELSE login_failures.failures + 1 END, \
                 since = CASE WHEN login_failures.since <= $3 THEN excluded.since \
                              ELSE login_failures.since END",
                &projections::args![key, now.to_rfc3339(), window_start],
            )
            .await?;
        Ok(())
    }

    /// The user whose credentials these are, or `BadCredentials` (the same work and the
    /// same answer whether the email is unknown or the password wrong).
    async fn check_credentials(&self, email: &str, password: &str) -> Result<Uuid, AppError> {
        let row = self
            .db
            .fetch_optional(
                "SELECT user_id, password_hash FROM credentials WHERE email = $1",
                &projections::args![email],
            )
            .await?;
        let Some(row) = row else {
            // An unknown email costs the same hashing as a known one: the time of the
            // answer does not tell whether an address is registered.
            let _ = crate::auth::verify_password(password.to_string(), dummy_hash().await).await;
            return Err(AppError::BadCredentials);
        };
        if !crate::auth::verify_password(password.to_string(), row.text("password_hash")?).await {
            return Err(AppError::BadCredentials);
        }
        Ok(row.uuid("user_id")?)
    }

    /// Ends the session of this token (log-out); an unknown or ended one is no error.
    pub async fn log_out(&self, token: &str) -> Result<(), AppError> {
        let hash = crate::auth::token_hash(token);
        let row = self
            .db
            .fetch_optional(
                "SELECT user_id FROM sessions WHERE token_hash = $1",
                &projections::args![hash.clone()],
            )
            .await?;
        self.db
            .execute(
                "DELETE FROM sessions WHERE token_hash = $1",
                &projections::args![hash],
            )
            .await?;
        if let Some(user) = row.map(|r| r.uuid("user_id")).transpose()? {
            self.sessions_ended(&[user]).await;
        }
        Ok(())
    }

    /// The caller changes their password, giving the current one: every session of theirs
    /// ends (a stolen token stops working), and a new one is opened for this caller.
    pub async fn change_password(
        &self,
        ctx: &Ctx,
        old_password: &str,
        new_password: &str,
    ) -> Result<Session, AppError> {
        policy::authorize(&ctx.actor, Action::OwnAccount)?;
        let id = ctx.actor.id;
        let row = self
            .db
            .fetch_optional(
                "SELECT password_hash FROM credentials WHERE user_id = $1",
                &projections::args![id],
            )
            .await?
            .ok_or(AppError::NotFound)?;
        if !crate::auth::verify_password(old_password.to_string(), row.text("password_hash")?).await
        {
            return Err(AppError::Invalid(
                "the current password is not right".into(),
            ));
        }
        crate::auth::check_password(new_password).map_err(|e| AppError::Invalid(e.into()))?;
        if new_password == old_password {
            return Err(AppError::Invalid(
                "the new password is the current one".into(),
            ));
        }
        let hash = crate::auth::hash_password(new_password.to_string())
            .await
            .map_err(AppError::infrastructure)?;
        self.db
            .execute(
                "UPDATE credentials SET password_hash = $1 WHERE user_id = $2",
                &projections::args![hash, id],
            )
            .await?;
        self.db
            .execute(
                "DELETE FROM sessions WHERE user_id = $1",
                &projections::args![id],
            )
            .await?;
        self.sessions_ended(&[id]).await;
        self.void_password_resets(id).await?;
        self.open_session(id).await
    }

    /// A new session of the user `id` (not blocked).
    async fn open_session(&self, id: Uuid) -> Result<Session, AppError> {
        let user = match projections::users::by_id(&self.db, id).await? {
            Some(user) => user,
            // Credentials without a directory entry: a sign-up whose event the directory
            // has not caught up with yet (a loaded machine); wait for it once.
            None => {
                self.fence().await;
                projections::users::by_id(&self.db, id)
                    .await?
                    .ok_or(AppError::BadCredentials)?
            }
        };
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
