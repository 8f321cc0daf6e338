use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Role;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    UserRegistered {
        email: String,
        full_name: String,
        role: Role,
    },
    StaffCreated {
        email: String,
        full_name: String,
        role: Role,
        created_by: Uuid,
    },
    UserBlocked {
        by: Uuid,
        reason: String,
    },
    UserUnblocked {
        by: Uuid,
    },
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            UserEvent::UserRegistered { .. } => "UserRegistered",
            UserEvent::StaffCreated { .. } => "StaffCreated",
            UserEvent::UserBlocked { .. } => "UserBlocked",
            UserEvent::UserUnblocked { .. } => "UserUnblocked",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
