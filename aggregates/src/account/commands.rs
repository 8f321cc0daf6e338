use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Kopecks;

/// What can be asked of an author's account. `at` is the service clock's "now"; who asks
/// is in the event's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountCommand {
    /// The author's fee for `order_id`, which completed. Crediting an order again appends
    /// nothing; a fee of 0 is nothing to credit.
    CreditFee {
        order_id: Uuid,
        amount: Kopecks,
        at: DateTime<Utc>,
    },
    /// A compensation granted to the author on `order_id` (positive). Crediting an order's
    /// compensation again appends nothing.
    CreditCompensation {
        order_id: Uuid,
        amount: Kopecks,
        at: DateTime<Utc>,
    },
    /// A payout clerk paid the author `amount` (positive, at most the balance) under their
    /// `reference` (non-empty). The same reference and amount again is the same payout and
    /// appends nothing; the same reference with another amount is refused.
    RecordPayout {
        reference: String,
        amount: Kopecks,
        at: DateTime<Utc>,
    },
}
