//! The `AuthorAccount` aggregate's state, its decisions ([`AuthorAccount::decide`]) and how
//! events change it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::commands::AccountCommand;
use super::error::AccountError;
use super::events::AccountEvent;
use crate::Kopecks;

/// One author's account, rebuilt from its events (or from a snapshot of this very state
/// and the events after it: it is serialized whole). Small on purpose: the balance and
/// what makes each command count once. Fields are for reading only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorAccount {
    /// What the company owes the author now; never negative.
    pub balance: Kopecks,
    /// Orders whose fee was credited.
    pub credited: BTreeSet<Uuid>,
    /// Orders whose compensation was credited.
    pub compensated: BTreeSet<Uuid>,
    /// Every payout's reference with its amount.
    pub payouts: BTreeMap<String, Kopecks>,
}

impl AuthorAccount {
    /// Decides what `command` means for this account: the events to record, or why not.
    /// Pure; every check runs before any event is produced.
    pub fn decide(&self, command: AccountCommand) -> Result<Vec<AccountEvent>, AccountError> {
        match command {
            AccountCommand::CreditFee {
                order_id,
                amount,
                at,
            } => {
                if amount < 0 {
                    return Err(AccountError::NegativeFee);
                }
                if amount == 0 || self.credited.contains(&order_id) {
                    return Ok(vec![]);
                }
                self.credit(amount)?;
                Ok(vec![AccountEvent::FeeCredited {
                    order_id,
                    amount,
                    at,
                }])
            }
            AccountCommand::CreditCompensation {
                order_id,
                amount,
                at,
            } => {
                if amount <= 0 {
                    return Err(AccountError::AmountNotPositive);
                }
                if self.compensated.contains(&order_id) {
                    return Ok(vec![]);
                }
                self.credit(amount)?;
                Ok(vec![AccountEvent::CompensationCredited {
                    order_id,
                    amount,
                    at,
                }])
            }
            AccountCommand::RecordPayout {
                reference,
                amount,
                at,
            } => self.payout(reference, amount, at),
        }
    }

    /// The balance after crediting `amount`, or why it cannot hold it.
    fn credit(&self, amount: Kopecks) -> Result<Kopecks, AccountError> {
        self.balance
            .checked_add(amount)
            .ok_or(AccountError::BalanceOverflow)
    }

    fn payout(
        &self,
        reference: String,
        amount: Kopecks,
        at: DateTime<Utc>,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        let reference = reference.trim().to_string();
        if reference.is_empty() {
            return Err(AccountError::EmptyReference);
        }
        if amount <= 0 {
            return Err(AccountError::AmountNotPositive);
        }
        match self.payouts.get(&reference) {
            Some(&paid) if paid == amount => return Ok(vec![]),
            Some(&paid) => {
                return Err(AccountError::ReferenceUsed {
                    reference,
                    amount: paid,
                })
            }
            None => {}
        }
        if amount > self.balance {
            return Err(AccountError::AboveBalance {
                amount,
                balance: self.balance,
            });
        }
        Ok(vec![AccountEvent::PayoutRecorded {
            reference,
            amount,
            at,
        }])
    }
}

impl Aggregate for AuthorAccount {
    const TYPE: &'static str = "AuthorAccount";
    type Command = AccountCommand;
    type Event = AccountEvent;
    type Error = AccountError;
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
            AccountEvent::FeeCredited { order_id, .. } => {
                self.credited.insert(order_id);
            }
            AccountEvent::CompensationCredited { order_id, .. } => {
                self.compensated.insert(order_id);
            }
            AccountEvent::PayoutRecorded {
                reference, amount, ..
            } => {
                self.payouts.insert(reference, amount);
            }
        }
    }
}
