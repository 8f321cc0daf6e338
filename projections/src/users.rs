//! The user directory: id, email, name, role, blocked. No secrets.

use aggregates::user::{Company, UserEvent};
use aggregates::Role;
use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use crate::feed::StoredEvent;
use crate::runner::{Projection, ProjectionError, Reads};
use crate::sql::{Arg, Db, Row, Tx};

pub struct UsersProjection;

/// User events, as the user's own event type.
const READS: Reads = Reads::of::<UserEvent>("User");

/// The PostgreSQL notification channel on which the users projection names the users it
/// has just changed (comma-separated ids, or `*`), when its transaction commits.
pub const USERS_CHANGED: &str = "scriptorium_users_changed";

#[async_trait]
impl Projection for UsersProjection {
    fn name(&self) -> &'static str {
        "users"
    }

    fn reads(&self) -> &'static [Reads] {
        &[READS]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["users"]
    }

    /// The directory is listed filtered by role and sorted by name.
    fn analyzed_tables(&self) -> &'static [&'static str] {
        &["users"]
    }

    async fn apply(&self, tx: &mut Tx, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        // New users are inserted together (one statement for a run of them); a block or
        // unblock first writes the users before it, so events still apply in order.
        let mut new: Vec<Vec<Arg>> = Vec::new();
        let mut changed: Vec<&str> = Vec::new();
        for ev in events.iter().filter(|e| READS.matches(e)) {
            let event: UserEvent = ev.decode().map_err(|e| ProjectionError::decode(ev, e))?;
            let id = ev.aggregate_id.as_str();
            let blocked = match event {
                UserEvent::UserRegistered {
                    email,
                    full_name,
                    role,
                    ..
                }
                | UserEvent::StaffCreated {
                    email,
                    full_name,
                    role,
                    ..
                } => {
                    new.push(
                        crate::args![id, email, full_name, role.as_str(), ev.meta.at.to_rfc3339()]
                            .to_vec(),
                    );
                    continue;
                }
                UserEvent::RegisteredAtCheckout {
                    email, full_name, ..
                } => {
                    new.push(
                        crate::args![
                            id,
                            email,
                            full_name,
                            Role::Client.as_str(),
                            ev.meta.at.to_rfc3339()
                        ]
                        .to_vec(),
                    );
                    continue;
                }
                UserEvent::CompanySet { company, .. } => {
                    insert_new(tx, &mut new).await?;
                    tx.execute(
                        "UPDATE users SET company_name = $1, tax_id = $2, contact_person = $3 \
                         WHERE id = $4",
                        &crate::args![company.name, company.tax_id, company.contact_person, id],
                    )
                    .await?;
                    if !changed.contains(&id) {
                        changed.push(id);
                    }
                    continue;
                }
                UserEvent::CompanyCleared { .. } => {
                    insert_new(tx, &mut new).await?;
                    tx.execute(
                        "UPDATE users SET company_name = NULL, tax_id = NULL, \
                         contact_person = NULL WHERE id = $1",
                        &crate::args![id],
                    )
                    .await?;
                    if !changed.contains(&id) {
                        changed.push(id);
                    }
                    continue;
                }
                UserEvent::UserBlocked { .. } => true,
                UserEvent::UserUnblocked { .. } => false,
                // What the mail worker reads, not the directory.
                UserEvent::CheckoutNoted { .. }
                | UserEvent::PurchaseNoted { .. }
                | UserEvent::LanguageChosen { .. } => continue,
            };
            insert_new(tx, &mut new).await?;
            tx.execute(
                "UPDATE users SET blocked = $1 WHERE id = $2",
                &crate::args![blocked, id],
            )
            .await?;
            if !changed.contains(&id) {
                changed.push(id);
            }
        }
        insert_new(tx, &mut new).await?;
        if tx.is_postgres() && !changed.is_empty() {
            // Every instance remembers who a token belongs to: tell them, at this commit,
            // whose entries are stale (`*`: everybody's, when the list would be long). A
            // new user has no entries yet.
            let payload = if changed.len() > 100 {
                "*".to_string()
            } else {
                changed.join(",")
            };
            tx.execute(
                "SELECT pg_notify($1, $2)",
                &crate::args![USERS_CHANGED, payload],
            )
            .await?;
        }
        Ok(())
    }
}

/// Inserts the users registered since the last write (a user id that is already there,
/// or twice in the list, keeps its first registration, as one statement per event did).
async fn insert_new(tx: &mut Tx, new: &mut Vec<Vec<Arg>>) -> Result<(), ProjectionError> {
    if !new.is_empty() {
        tx.insert_rows(
            "INSERT INTO users (id, email, full_name, role, created_at)",
            "ON CONFLICT (id) DO NOTHING",
            new,
        )
        .await?;
        new.clear();
    }
    Ok(())
}

/// A user as the directory knows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub blocked: bool,
    pub created_at: String,
    /// The company a client's account is for (`None`: an individual).
    pub company: Option<Company>,
}

impl UserRow {
    fn from_row(r: &Row) -> Result<UserRow, sqlx::Error> {
        let role = r.text("role")?;
        Ok(UserRow {
            id: r.uuid("id")?,
            email: r.text("email")?,
            full_name: r.text("full_name")?,
            role: Role::parse(&role).ok_or_else(|| sqlx::Error::ColumnDecode {
                index: "role".into(),
                source: format!("unknown role {role}").into(),
            })?,
            blocked: r.bool("blocked")?,
            created_at: r.text("created_at")?,
            company: match r.opt_text("company_name")? {
                Some(name) => Some(Company {
                    name,
                    tax_id: r.text("tax_id")?,
                    contact_person: r.text("contact_person")?,
                }),
                None => None,
            },
        })
    }
}

const COLUMNS: &str =
    "id, email, full_name, role, blocked, created_at, company_name, tax_id, contact_person";

pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    db.fetch_optional(
        &format!("SELECT {COLUMNS} FROM users WHERE id = $1"),
        &crate::args![id],
    )
    .await?
    .map(|r| UserRow::from_row(&r))
    .transpose()
}

/// The user behind an unexpired session token (by the token's hash), in one round trip.
/// The user of a live session with this token hash, and when the session expires.
pub async fn by_session(
    db: &Db,
    token_hash: &str,
    now: &str,
) -> Result<Option<(UserRow, String)>, sqlx::Error> {
    db.fetch_optional(
        "SELECT u.id, u.email, u.full_name, u.role, u.blocked, u.created_at, u.company_name, \
         u.tax_id, u.contact_person, s.expires_at \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
        &crate::args![token_hash, now],
    )
    .await?
    .map(|r| Ok((UserRow::from_row(&r)?, r.text("expires_at")?)))
    .transpose()
}

pub async fn list(db: &Db, role: Option<Role>) -> Result<Vec<UserRow>, sqlx::Error> {
    let rows = match role {
        Some(role) => {
            db.fetch_all(
                &format!("SELECT {COLUMNS} FROM users WHERE role = $1 ORDER BY full_name, id"),
                &crate::args![role.as_str()],
            )
            .await?
        }
        None => {
            db.fetch_all(
                &format!("SELECT {COLUMNS} FROM users ORDER BY full_name, id"),
                &[],
            )
            .await?
        }
    };
    rows.iter().map(UserRow::from_row).collect()
}
