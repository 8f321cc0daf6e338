use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::common::{Actor, Kopecks};

/// The facts about the work bought, as its own stream says when the purchase is made
/// (the service reads them; the purchase decides on them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkOnSale {
    pub work_id: Uuid,
    pub title: String,
    pub price: Kopecks,
    /// Listed and not delisted.
    pub on_sale: bool,
}

/// What can happen to a purchase. `at` is the service clock's "now".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PurchaseCommand {
    /// A client buys the work at its price now (a guest is a client created at checkout).
    Make {
        buyer: Actor,
        work: WorkOnSale,
        at: DateTime<Utc>,
    },
    /// The payment in full, by hand or notified by the provider.
    RecordPayment {
        amount: Kopecks,
        payment_id: String,
        at: DateTime<Utc>,
    },
}
