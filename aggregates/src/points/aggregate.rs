//! The `ClientPoints` aggregate's state, its decisions ([`ClientPoints::decide`]) and how
//! events change it.

use std::collections::{BTreeMap, BTreeSet};

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::commands::PointsCommand;
use super::error::PointsError;
use super::events::PointsEvent;
use crate::Kopecks;

/// `percent` % of `base` kopecks, rounded down (never negative): the points a share earns.
pub fn share_of(base: Kopecks, percent: i64) -> Kopecks {
    base.max(0).saturating_mul(percent.clamp(0, 100)) / 100
}

/// One client's points, rebuilt from its events. Fields are for reading only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientPoints {
    /// Points the client may spend now; never negative.
    pub balance: Kopecks,
    /// Orders whose cashback was credited.
    pub cashback: BTreeSet<uuid::Uuid>,
    /// Referred clients' orders whose referral share was credited.
    pub referrals: BTreeSet<uuid::Uuid>,
    /// The spends in force, by order.
    pub spent: BTreeMap<uuid::Uuid, Kopecks>,
}

impl ClientPoints {
    /// Decides what `command` means for these points: the events to record, or why not.
    /// Pure; every check runs before any event is produced.
    pub fn decide(&self, command: PointsCommand) -> Result<Vec<PointsEvent>, PointsError> {
        match command {
            PointsCommand::CreditCashback {
                order_id,
                points,
                at,
            } => {
                if points < 0 {
                    return Err(PointsError::NegativeCredit);
                }
                if points == 0 || self.cashback.contains(&order_id) {
                    return Ok(vec![]);
                }
                self.credit(points)?;
                Ok(vec![PointsEvent::CashbackCredited {
                    order_id,
                    points,
                    at,
                }])
            }
            PointsCommand::CreditReferral {
                order_id,
                referred_client,
                points,
                at,
            } => {
                if points < 0 {
                    return Err(PointsError::NegativeCredit);
                }
                if points == 0 || self.referrals.contains(&order_id) {
                    return Ok(vec![]);
                }
                self.credit(points)?;
                Ok(vec![PointsEvent::ReferralCredited {
                    order_id,
                    referred_client,
                    points,
                    at,
                }])
            }
            PointsCommand::Spend {
                order_id,
                points,
                at,
            } => {
                if points <= 0 {
                    return Err(PointsError::NotPositive);
                }
                match self.spent.get(&order_id) {
                    Some(&p) if p == points => return Ok(vec![]),
                    Some(&p) => return Err(PointsError::AlreadySpentOnOrder { points: p }),
                    None => {}
                }
                if points > self.balance {
                    return Err(PointsError::AboveBalance {
                        points,
                        balance: self.balance,
                    });
                }
                Ok(vec![PointsEvent::PointsSpent {
                    order_id,
                    points,
                    at,
                }])
            }
            PointsCommand::Return { order_id, at } => match self.spent.get(&order_id) {
                Some(&points) => {
                    self.credit(points)?;
                    Ok(vec![PointsEvent::PointsReturned {
                        order_id,
                        points,
                        at,
                    }])
                }
                None => Ok(vec![]),
            },
        }
    }

    /// The balance after crediting `points`, or why it cannot hold them.
    fn credit(&self, points: Kopecks) -> Result<Kopecks, PointsError> {
        self.balance
            .checked_add(points)
            .ok_or(PointsError::BalanceOverflow)
    }
}

impl Aggregate for ClientPoints {
    const TYPE: &'static str = "ClientPoints";
    type Command = PointsCommand;
    type Event = PointsEvent;
    type Error = PointsError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        self.balance = self.balance.saturating_add(event.delta());
        match event {
            PointsEvent::CashbackCredited { order_id, .. } => {
                self.cashback.insert(order_id);
            }
            PointsEvent::ReferralCredited { order_id, .. } => {
                self.referrals.insert(order_id);
            }
            PointsEvent::PointsSpent {
                order_id, points, ..
            } => {
                self.spent.insert(order_id, points);
            }
            PointsEvent::PointsReturned { order_id, .. } => {
                self.spent.remove(&order_id);
            }
        }
    }
}
