use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Kopecks;

/// What can be asked of a client's points. `at` is the service clock's "now"; who asks is
/// in the event's metadata. Amounts are points (1 point = 1 kopeck).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PointsCommand {
    /// The cashback of the client's completed order `order_id`. Crediting an order again
    /// appends nothing; 0 points is nothing to credit.
    CreditCashback {
        order_id: Uuid,
        points: Kopecks,
        at: DateTime<Utc>,
    },
    /// The referral share of `order_id`, the completed order of `referred_client`, whom
    /// this client invited. Once per order; 0 points is nothing to credit.
    CreditReferral {
        order_id: Uuid,
        referred_client: Uuid,
        points: Kopecks,
        at: DateTime<Utc>,
    },
    /// The client spends `points` (positive, at most the balance) on the first half of
    /// `order_id`. The same amount on the same order again is the same spend (nothing
    /// appended); another amount while one is in force is refused.
    Spend {
        order_id: Uuid,
        points: Kopecks,
        at: DateTime<Utc>,
    },
    /// The spend on `order_id` is undone (the order failed, or never took the points):
    /// the points come back. Nothing when no spend on it is in force.
    Return { order_id: Uuid, at: DateTime<Utc> },
}
