//! Value types shared by every aggregate.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Money is always an integer number of kopecks.
pub type Kopecks = i64;

/// The only currency Scriptorium sells in.
pub const CURRENCY: &str = "RUB";

/// What a user is allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Client,
    Author,
    Manager,
    PayoutClerk,
    Auditor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Client,
        Role::Author,
        Role::Manager,
        Role::PayoutClerk,
        Role::Auditor,
        Role::Admin,
    ];

    /// The role's wire name, as in API.md.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Author => "author",
            Role::Manager => "manager",
            Role::PayoutClerk => "payout_clerk",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who issued a command: every event is attributed to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: Uuid,
    pub role: Role,
}

impl Actor {
    pub fn new(id: Uuid, role: Role) -> Self {
        Self { id, role }
    }

    /// The service itself (process managers, timers).
    pub fn system() -> Self {
        Self {
            id: Uuid::nil(),
            role: Role::Admin,
        }
    }
}

/// A stored or sent code (a status, a kind) that names nothing this version knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {code:?}")]
pub struct UnknownCode {
    pub what: &'static str,
    pub code: String,
}
