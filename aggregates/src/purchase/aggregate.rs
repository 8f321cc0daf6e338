//! The `Purchase` aggregate's state, its decisions ([`Purchase::decide`]) and how events
//! change it.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::commands::PurchaseCommand;
use super::error::PurchaseError;
use super::events::PurchaseEvent;
use crate::common::{Kopecks, Role};

/// Where a purchase stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseStatus {
    /// Made, waiting for its payment in full.
    #[default]
    AwaitingPayment,
    /// Paid: the file is (being) mailed.
    Paid,
}

impl PurchaseStatus {
    /// The status's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PurchaseStatus::AwaitingPayment => "awaiting_payment",
            PurchaseStatus::Paid => "paid",
        }
    }
}

/// One purchase, rebuilt from its events. Fields are for reading only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    /// Whether it was made (a stream with no events is no purchase).
    pub made: bool,
    pub work_id: Uuid,
    pub buyer_id: Uuid,
    pub title: String,
    pub price: Kopecks,
    pub status: PurchaseStatus,
    /// The payment id that paid it, once paid.
    pub payment_id: Option<String>,
}

impl Purchase {
    /// Decides what `command` means for this purchase: the events to record, or why not.
    /// Pure. A payment repeated with the id that paid it records nothing.
    pub fn decide(&self, command: PurchaseCommand) -> Result<Vec<PurchaseEvent>, PurchaseError> {
        match command {
            PurchaseCommand::Make { buyer, work, .. } => {
                if self.made {
                    return Err(PurchaseError::AlreadyMade);
                }
                if buyer.role != Role::Client {
                    return Err(PurchaseError::NotAClient);
                }
                if !work.on_sale || work.price <= 0 {
                    return Err(PurchaseError::WorkNotOnSale);
                }
                Ok(vec![PurchaseEvent::PurchaseMade {
                    work_id: work.work_id,
                    buyer_id: buyer.id,
                    title: work.title,
                    price: work.price,
                }])
            }
            PurchaseCommand::RecordPayment {
                amount, payment_id, ..
            } => {
                if !self.made {
                    return Err(PurchaseError::NotMade);
                }
                let payment_id = payment_id.trim().to_string();
                if payment_id.is_empty() {
                    return Err(PurchaseError::EmptyPaymentId);
                }
                if amount <= 0 {
                    return Err(PurchaseError::InvalidAmount);
                }
                if let Some(paid_with) = &self.payment_id {
                    return if *paid_with == payment_id {
                        Ok(vec![])
                    } else {
                        Err(PurchaseError::AlreadyPaid)
                    };
                }
                if amount != self.price {
                    return Err(PurchaseError::WrongAmount {
                        expected: self.price,
                        got: amount,
                    });
                }
                Ok(vec![PurchaseEvent::PurchasePaid { amount, payment_id }])
            }
        }
    }
}

impl Aggregate for Purchase {
    const TYPE: &'static str = "Purchase";
    type Command = PurchaseCommand;
    type Event = PurchaseEvent;
    type Error = PurchaseError;
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
        match event {
            PurchaseEvent::PurchaseMade {
                work_id,
                buyer_id,
                title,
                price,
            } => {
                self.made = true;
                self.work_id = work_id;
                self.buyer_id = buyer_id;
                self.title = title;
                self.price = price;
            }
            PurchaseEvent::PurchasePaid { payment_id, .. } => {
                self.status = PurchaseStatus::Paid;
                self.payment_id = Some(payment_id);
            }
        }
    }
}
