use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::company::Company;
use crate::Role;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserCommand {
    /// A client signs up (or is created at checkout without registration).
    Register {
        email: String,
        full_name: String,
        /// The company the account is for, if it is one (checked when the command is built).
        company: Option<Company>,
        /// The client whose referral link they came through, if any (looked up by the
        /// service; never the new user themself).
        referred_by: Option<Uuid>,
    },
    /// An admin creates a staff member (or any user) with a role.
    CreateStaff {
        email: String,
        full_name: String,
        role: Role,
        created_by: Uuid,
    },
    Block {
        by: Uuid,
        reason: String,
    },
    Unblock {
        by: Uuid,
    },
    /// A client is created at checkout without registration.
    RegisterAtCheckout {
        email: String,
        full_name: String,
        /// The client whose referral link they came through, if any.
        referred_by: Option<Uuid>,
    },
    /// This existing client's email placed an order at checkout without registration.
    NoteCheckout {
        order_id: Uuid,
        number: i64,
    },
    /// This client (created at checkout, or an existing one's email) bought a ready-made
    /// work without logging in: mailed their credentials or told to log in, as at checkout.
    NotePurchase {
        purchase_id: Uuid,
        title: String,
    },
    /// A client's account becomes a company's (or its details change); `None`: an
    /// individual again. Staff (`by`: the admin or manager, or the client themselves).
    SetCompany {
        company: Option<Company>,
        by: Uuid,
    },
    /// The user chooses the language of their mail and pages.
    ChooseLanguage {
        language: String,
    },
}
