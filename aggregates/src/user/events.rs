use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::company::Company;
use crate::Role;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    UserRegistered {
        email: String,
        full_name: String,
        role: Role,
        /// The client whose referral link they registered through (absent in the events
        /// before referrals, and when there was none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        referred_by: Option<Uuid>,
    },
    StaffCreated {
        email: String,
        full_name: String,
        role: Role,
        created_by: Uuid,
    },
    UserBlocked {
        by: Uuid,
        reason: String,
    },
    UserUnblocked {
        by: Uuid,
    },
    /// A client created at checkout without registration: their initial password is
    /// emailed to them (derived when the mail is sent, never recorded).
    RegisteredAtCheckout {
        email: String,
        full_name: String,
        /// The client whose referral link brought them, as at registration.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        referred_by: Option<Uuid>,
    },
    /// An order was placed at checkout without registration with this existing client's
    /// email: they are told by mail to log in (no new account, no password).
    CheckoutNoted {
        order_id: Uuid,
        number: i64,
    },
    /// A ready-made work was bought without logging in with this client's email (a new
    /// account's or an existing one's): mailed as a checkout is (credentials the first
    /// time for an account created so, else a notice to log in).
    PurchaseNoted {
        purchase_id: Uuid,
        title: String,
    },
    /// The client's account is a company's, with these details (set at registration or
    /// later by the client, a manager or an admin: `by`; absent at registration).
    CompanySet {
        company: Company,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Uuid>,
    },
    /// The client's account is an individual's again.
    CompanyCleared {
        by: Uuid,
    },
    /// The language of the user's mail and pages (`ru`, `en`).
    LanguageChosen {
        language: String,
    },
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            UserEvent::UserRegistered { .. } => "UserRegistered",
            UserEvent::StaffCreated { .. } => "StaffCreated",
            UserEvent::UserBlocked { .. } => "UserBlocked",
            UserEvent::UserUnblocked { .. } => "UserUnblocked",
            UserEvent::RegisteredAtCheckout { .. } => "RegisteredAtCheckout",
            UserEvent::CheckoutNoted { .. } => "CheckoutNoted",
            UserEvent::LanguageChosen { .. } => "LanguageChosen",
            UserEvent::PurchaseNoted { .. } => "PurchaseNoted",
            UserEvent::CompanySet { .. } => "CompanySet",
            UserEvent::CompanyCleared { .. } => "CompanyCleared",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
