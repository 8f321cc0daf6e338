//! The status an order moves to with each event: the one place the lifecycle table of
//! DESIGN.md is encoded, used by the aggregate's `apply` and by the read models.

use super::aggregate::OrderStatus;
use super::events::{Half, OrderEvent};

impl OrderStatus {
    /// The status after `event`, from this one.
    pub fn after(self, event: &OrderEvent) -> OrderStatus {
        use OrderStatus as S;
        match event {
            OrderEvent::OrderPlaced { .. } => S::New,
            OrderEvent::RoutedToManager { .. }
            | OrderEvent::PriceSet { .. }
            | OrderEvent::RefundRecorded { .. }
            | OrderEvent::CompensationGranted { .. } => self,
            OrderEvent::AuthorOffered { .. } => S::Offered,
            OrderEvent::OfferAccepted { .. } => S::AwaitingPrepayment,
            OrderEvent::OfferDeclined { .. }
            | OrderEvent::OfferExpired { .. }
            | OrderEvent::OfferWithdrawn { .. } => S::New,
            OrderEvent::PaymentReceived {
                half: Half::First, ..
            } => S::InProgress,
            OrderEvent::PaymentReceived {
                half: Half::Second, ..
            } => self,
            OrderEvent::DraftSubmitted { .. } => S::DraftReview,
            OrderEvent::DraftApproved => S::HalfReady,
            OrderEvent::DraftRejected { .. }
            | OrderEvent::FinalRejected { .. }
            | OrderEvent::RevisionRequested { .. } => S::Rework,
            OrderEvent::FinalSubmitted { .. } => S::FinalReview,
            OrderEvent::FinalApproved => S::FullyReady,
            OrderEvent::OrderDelivered { .. } => S::Delivered,
            OrderEvent::OrderCompleted { .. } => S::Completed,
            OrderEvent::OrderFailed { .. } => S::Failed,
            OrderEvent::ReviewPublished { .. }
            | OrderEvent::ReviewHidden { .. }
            | OrderEvent::ProblemFlagged { .. }
            | OrderEvent::ManagerReleased { .. }
            | OrderEvent::OrderEdited { .. }
            | OrderEvent::DiscountGiven { .. }
            | OrderEvent::ExtraAdded { .. }
            | OrderEvent::ExtraRemoved { .. }
            | OrderEvent::DeadlineProposed { .. }
            | OrderEvent::DeadlineMoved { .. }
            | OrderEvent::DeadlineProposalDeclined { .. } => self,
            OrderEvent::MessagePosted { .. }
            | OrderEvent::MessageApproved { .. }
            | OrderEvent::MessageRejected { .. } => self,
            // Points that cover the whole first half pay it.
            OrderEvent::PointsApplied {
                first_half_due: 0, ..
            } => S::InProgress,
            OrderEvent::PointsApplied { .. } => self,
        }
    }
}

impl OrderStatus {
    /// The statuses an admin may limit in time: every open one but `delivered` (its
    /// guarantee period is its own limit).
    pub const LIMITED: [OrderStatus; 9] = [
        OrderStatus::New,
        OrderStatus::Offered,
        OrderStatus::AwaitingPrepayment,
        OrderStatus::InProgress,
        OrderStatus::DraftReview,
        OrderStatus::HalfReady,
        OrderStatus::Rework,
        OrderStatus::FinalReview,
        OrderStatus::FullyReady,
    ];

    /// The work is still owed to the client: a deadline passing now is a breach.
    pub fn awaits_delivery(self) -> bool {
        !matches!(
            self,
            OrderStatus::Delivered | OrderStatus::Completed | OrderStatus::Failed
        )
    }
}
