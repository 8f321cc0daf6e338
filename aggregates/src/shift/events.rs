use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

/// Everything that can happen to a manager's shift. Type strings never change once shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShiftEvent {
    /// On shift since `at` (the routing tie-break: on shift longest wins).
    ShiftStarted { at: DateTime<Utc> },
    /// Off shift since `at`.
    ShiftEnded { at: DateTime<Utc> },
}

impl DomainEvent for ShiftEvent {
    fn event_type(&self) -> String {
        match self {
            ShiftEvent::ShiftStarted { .. } => "ShiftStarted",
            ShiftEvent::ShiftEnded { .. } => "ShiftEnded",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
