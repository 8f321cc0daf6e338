use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::common::Kopecks;

/// Everything that can happen to a purchase. Type strings never change once shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PurchaseEvent {
    /// A client bought the work at `price` (its price then; a later price is not theirs).
    PurchaseMade {
        work_id: Uuid,
        buyer_id: Uuid,
        title: String,
        price: Kopecks,
    },
    /// Paid in full: the file is mailed to the buyer.
    PurchasePaid { amount: Kopecks, payment_id: String },
}

impl DomainEvent for PurchaseEvent {
    fn event_type(&self) -> String {
        match self {
            PurchaseEvent::PurchaseMade { .. } => "PurchaseMade",
            PurchaseEvent::PurchasePaid { .. } => "PurchasePaid",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
