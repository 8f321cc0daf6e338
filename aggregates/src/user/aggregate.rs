//! The `User` aggregate's state, its decisions ([`User::decide`]) and how events change it.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::commands::UserCommand;
use super::company::Company;
use super::error::UserError;
use super::events::UserEvent;
use crate::Role;

/// The longest email address accepted (RFC 5321's path limit).
const MAX_EMAIL_LEN: usize = 254;

/// A user's identity, role and blocking, rebuilt from its events. Fields are for reading only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Whether the user has been registered or created.
    pub exists: bool,
    /// The lowercased email address.
    pub email: String,
    /// The trimmed full name.
    pub full_name: String,
    /// The user's role, once they exist.
    pub role: Option<Role>,
    /// Whether the user is blocked from signing in.
    pub blocked: bool,
    /// The language of their mail and pages, once chosen (`None`: Russian).
    #[serde(default)]
    pub language: Option<String>,
    /// Created at checkout without registration (their initial password is mailed).
    #[serde(default)]
    pub at_checkout: bool,
    /// The company a client's account is for (`None`: an individual).
    #[serde(default)]
    pub company: Option<Company>,
    /// The client who invited them (their referral link), if any.
    #[serde(default)]
    pub referred_by: Option<uuid::Uuid>,
}

/// The languages of mail and pages: Russian (the default) and English.
pub const LANGUAGES: [&str; 2] = ["ru", "en"];

/// `language` trimmed and lowercased if it is one of [`LANGUAGES`].
pub fn parse_language(language: &str) -> Result<String, UserError> {
    let l = language.trim().to_ascii_lowercase();
    if LANGUAGES.contains(&l.as_str()) {
        Ok(l)
    } else {
        Err(UserError::UnknownLanguage)
    }
}

/// Checks an email address (trimmed, one `@`, a dotted domain, no whitespace, at most 254
/// characters) and returns it trimmed and lowercased.
pub fn parse_email(s: &str) -> Result<String, UserError> {
    let email = s.trim();
    if email.is_empty() || email.len() > MAX_EMAIL_LEN || email.chars().any(char::is_whitespace) {
        return Err(UserError::InvalidEmail);
    }
    let mut parts = email.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(UserError::InvalidEmail);
    };
    let dotted_domain = domain.contains('.') && domain.split('.').all(|label| !label.is_empty());
    if local.is_empty() || !dotted_domain {
        return Err(UserError::InvalidEmail);
    }
    Ok(email.to_lowercase())
}

/// `full_name` trimmed, or `EmptyName` if nothing is left.
fn parse_name(full_name: &str) -> Result<String, UserError> {
    let name = full_name.trim();
    if name.is_empty() {
        Err(UserError::EmptyName)
    } else {
        Ok(name.to_string())
    }
}

impl User {
    /// Decides what `command` means for this user: the events to record, or why not. Pure.
    /// `CannotBlockSelf` is the caller's check: the aggregate does not know its own id.
    pub fn decide(&self, command: UserCommand) -> Result<Vec<UserEvent>, UserError> {
        match command {
            UserCommand::Register {
                email,
                full_name,
                company,
                referred_by,
            } => {
                if self.exists {
                    return Err(UserError::AlreadyExists);
                }
                let mut events = vec![UserEvent::UserRegistered {
                    email: parse_email(&email)?,
                    full_name: parse_name(&full_name)?,
                    role: Role::Client,
                    referred_by,
                }];
                if let Some(company) = company {
                    events.push(UserEvent::CompanySet { company, by: None });
                }
                Ok(events)
            }
            UserCommand::SetCompany { company, by } => {
                if !self.exists {
                    return Err(UserError::NotFound);
                }
                if self.role != Some(Role::Client) {
                    return Err(UserError::CompanyForStaff);
                }
                if self.company == company {
                    return Ok(vec![]);
                }
                Ok(vec![match company {
                    Some(company) => UserEvent::CompanySet {
                        company,
                        by: Some(by),
                    },
                    None => UserEvent::CompanyCleared { by },
                }])
            }
            UserCommand::CreateStaff {
                email,
                full_name,
                role,
                created_by,
            } => {
                if self.exists {
                    return Err(UserError::AlreadyExists);
                }
                Ok(vec![UserEvent::StaffCreated {
                    email: parse_email(&email)?,
                    full_name: parse_name(&full_name)?,
                    role,
                    created_by,
                }])
            }
            UserCommand::Block { by, reason } => {
                if !self.exists {
                    return Err(UserError::NotFound);
                }
                if self.blocked {
                    return Err(UserError::AlreadyBlocked);
                }
                Ok(vec![UserEvent::UserBlocked { by, reason }])
            }
            UserCommand::Unblock { by } => {
                if !self.exists {
                    return Err(UserError::NotFound);
                }
                if !self.blocked {
                    return Err(UserError::NotBlocked);
                }
                Ok(vec![UserEvent::UserUnblocked { by }])
            }
            UserCommand::RegisterAtCheckout {
                email,
                full_name,
                referred_by,
            } => {
                if self.exists {
                    return Err(UserError::AlreadyExists);
                }
                Ok(vec![UserEvent::RegisteredAtCheckout {
                    email: parse_email(&email)?,
                    full_name: parse_name(&full_name)?,
                    referred_by,
                }])
            }
            UserCommand::NoteCheckout { order_id, number } => {
                if !self.exists {
                    return Err(UserError::NotFound);
                }
                if self.role != Some(Role::Client) {
                    return Err(UserError::NotAClient);
                }
                Ok(vec![UserEvent::CheckoutNoted { order_id, number }])
            }
            UserCommand::NotePurchase { purchase_id, title } => {
                if !self.exists {
                    return Err(UserError::NotFound);
                }
                if self.role != Some(Role::Client) {
                    return Err(UserError::NotAClient);
                }
                Ok(vec![UserEvent::PurchaseNoted { purchase_id, title }])
            }
            UserCommand::ChooseLanguage { language } => {
                if !self.exists {
                    return Err(UserError::NotFound);
                }
                let language = parse_language(&language)?;
                if self.language.as_deref().unwrap_or("ru") == language {
                    return Ok(vec![]);
                }
                Ok(vec![UserEvent::LanguageChosen { language }])
            }
        }
    }
}

impl Aggregate for User {
    const TYPE: &'static str = "User";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;
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
            UserEvent::UserRegistered {
                email,
                full_name,
                role,
                referred_by,
            } => {
                self.exists = true;
                self.email = email;
                self.full_name = full_name;
                self.role = Some(role);
                self.referred_by = referred_by;
            }
            UserEvent::StaffCreated {
                email,
                full_name,
                role,
                ..
            } => {
                self.exists = true;
                self.email = email;
                self.full_name = full_name;
                self.role = Some(role);
            }
            UserEvent::RegisteredAtCheckout {
                email,
                full_name,
                referred_by,
            } => {
                self.referred_by = referred_by;
                self.exists = true;
                self.at_checkout = true;
                self.email = email;
                self.full_name = full_name;
                self.role = Some(Role::Client);
            }
            UserEvent::UserBlocked { .. } => self.blocked = true,
            UserEvent::UserUnblocked { .. } => self.blocked = false,
            UserEvent::CheckoutNoted { .. } | UserEvent::PurchaseNoted { .. } => {}
            UserEvent::LanguageChosen { language } => self.language = Some(language),
            UserEvent::CompanySet { company, .. } => self.company = Some(company),
            UserEvent::CompanyCleared { .. } => self.company = None,
        }
    }
}
