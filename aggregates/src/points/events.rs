use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Kopecks;

/// Everything that can happen to a client's points. Type strings never change once
/// shipped. Who did it (the worker, the client) is in the event's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PointsEvent {
    /// The cashback of the client's completed order.
    CashbackCredited {
        order_id: Uuid,
        points: Kopecks,
        at: DateTime<Utc>,
    },
    /// The referral share of a completed order of a client this one invited.
    ReferralCredited {
        order_id: Uuid,
        referred_client: Uuid,
        points: Kopecks,
        at: DateTime<Utc>,
    },
    /// Points spent on the first half of one of the client's orders.
    PointsSpent {
        order_id: Uuid,
        points: Kopecks,
        at: DateTime<Utc>,
    },
    /// The points spent on an order came back (the order failed, or never took them).
    PointsReturned {
        order_id: Uuid,
        points: Kopecks,
        at: DateTime<Utc>,
    },
}

impl PointsEvent {
    /// What the event does to the balance: credits and returns add, a spend subtracts.
    pub fn delta(&self) -> Kopecks {
        match self {
            PointsEvent::CashbackCredited { points, .. }
            | PointsEvent::ReferralCredited { points, .. }
            | PointsEvent::PointsReturned { points, .. } => *points,
            PointsEvent::PointsSpent { points, .. } => -*points,
        }
    }

    /// The entry's kind, as stored and answered: `cashback`, `referral`, `spent`,
    /// `returned`.
    pub fn kind(&self) -> &'static str {
        match self {
            PointsEvent::CashbackCredited { .. } => "cashback",
            PointsEvent::ReferralCredited { .. } => "referral",
            PointsEvent::PointsSpent { .. } => "spent",
            PointsEvent::PointsReturned { .. } => "returned",
        }
    }

    /// The order it is about, the number of points (positive) and when.
    pub fn parts(&self) -> (Uuid, Kopecks, DateTime<Utc>) {
        match self {
            PointsEvent::CashbackCredited {
                order_id,
                points,
                at,
            }
            | PointsEvent::ReferralCredited {
                order_id,
                points,
                at,
                ..
            }
            | PointsEvent::PointsSpent {
                order_id,
                points,
                at,
            }
            | PointsEvent::PointsReturned {
                order_id,
                points,
                at,
            } => (*order_id, *points, *at),
        }
    }
}

impl DomainEvent for PointsEvent {
    fn event_type(&self) -> String {
        match self {
            PointsEvent::CashbackCredited { .. } => "CashbackCredited",
            PointsEvent::ReferralCredited { .. } => "ReferralCredited",
            PointsEvent::PointsSpent { .. } => "PointsSpent",
            PointsEvent::PointsReturned { .. } => "PointsReturned",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
