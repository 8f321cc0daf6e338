use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Kopecks;

/// Everything that can happen to an author's account. Type strings never change once
/// shipped. Who did it (the worker, the payout clerk) is in the event's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountEvent {
    /// The author's fee for a completed order.
    FeeCredited {
        order_id: Uuid,
        amount: Kopecks,
        at: DateTime<Utc>,
    },
    /// A compensation for the author's work on a failed order.
    CompensationCredited {
        order_id: Uuid,
        amount: Kopecks,
        at: DateTime<Utc>,
    },
    /// A payout to the author, under the clerk's reference.
    PayoutRecorded {
        reference: String,
        amount: Kopecks,
        at: DateTime<Utc>,
    },
}

impl AccountEvent {
    /// What the event does to the balance: a credit adds, a payout subtracts.
    pub fn delta(&self) -> Kopecks {
        match self {
            AccountEvent::FeeCredited { amount, .. }
            | AccountEvent::CompensationCredited { amount, .. } => *amount,
            AccountEvent::PayoutRecorded { amount, .. } => -*amount,
        }
    }
}

impl DomainEvent for AccountEvent {
    fn event_type(&self) -> String {
        match self {
            AccountEvent::FeeCredited { .. } => "FeeCredited",
            AccountEvent::CompensationCredited { .. } => "CompensationCredited",
            AccountEvent::PayoutRecorded { .. } => "PayoutRecorded",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
