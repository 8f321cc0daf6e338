//! Given/when/then tests of the `User` aggregate and of email parsing.

use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::Aggregate;
use uuid::Uuid;

use super::*;
use crate::Role;

fn admin_id() -> Uuid {
    Uuid::from_u128(30)
}

fn given(events: Vec<UserEvent>) -> AggregateTestExecutor<User> {
    TestFramework::<User>::with(()).given(events)
}

fn state(events: Vec<UserEvent>) -> User {
    let mut user = User::default();
    for event in events {
        user.apply(event);
    }
    user
}

fn register(email: &str, full_name: &str) -> UserCommand {
    UserCommand::Register {
        email: email.to_string(),
        full_name: full_name.to_string(),
        company: None,
        referred_by: None,
    }
}

fn create_staff(email: &str, full_name: &str, role: Role) -> UserCommand {
    UserCommand::CreateStaff {
        email: email.to_string(),
        full_name: full_name.to_string(),
        role,
        created_by: admin_id(),
    }
}

fn registered() -> Vec<UserEvent> {
    vec![UserEvent::UserRegistered {
        email: "anna@example.com".to_string(),
        full_name: "Anna Petrova".to_string(),
        role: Role::Client,
        referred_by: None,
    }]
}

fn staff() -> Vec<UserEvent> {
    vec![UserEvent::StaffCreated {
        email: "boris@scriptorium.example".to_string(),
        full_name: "Boris Ivanov".to_string(),
        role: Role::Manager,
        created_by: admin_id(),
    }]
}

fn blocked() -> Vec<UserEvent> {
    let mut events = registered();
    events.push(UserEvent::UserBlocked {
        by: admin_id(),
        reason: "spam".to_string(),
    });
    events
}

fn block() -> UserCommand {
    UserCommand::Block {
        by: admin_id(),
        reason: "spam".to_string(),
    }
}

fn unblock() -> UserCommand {
    UserCommand::Unblock { by: admin_id() }
}

// ---------------------------------------------------------------- parse_email

#[test]
fn an_email_is_trimmed_and_lowercased() {
    assert_eq!(
        parse_email("  Anna.Petrova@Example.COM \n"),
        Ok("anna.petrova@example.com".to_string())
    );
    assert_eq!(parse_email("a@b.c"), Ok("a@b.c".to_string()));
}

#[test]
fn malformed_emails_are_refused() {
    let long_local = "a".repeat(250);
    let too_long = format!("{long_local}@ex.com");
    for bad in [
        "",
        "   ",
        "anna",
        "anna@",
        "@example.com",
        "anna@example",
        "anna@@example.com",
        "anna@ex@ample.com",
        "an na@example.com",
        "anna@exa\tmple.com",
        "anna@.example.com",
        "anna@example.com.",
        "anna@example..com",
        too_long.as_str(),
    ] {
        assert_eq!(parse_email(bad), Err(UserError::InvalidEmail), "{bad:?}");
    }
}

#[test]
fn an_email_of_254_characters_is_accepted() {
    let email = format!("{}@ex.com", "a".repeat(247));
    assert_eq!(email.len(), 254);
    assert_eq!(parse_email(&email), Ok(email.clone()));
}

// ---------------------------------------------------------------- Register

#[test]
fn a_client_registers_with_a_normalized_email_and_name() {
    given(vec![])
        .when(register(" Anna@Example.com ", "  Anna Petrova "))
        .then_expect_events(registered());
    let user = state(registered());
    assert!(user.exists);
    assert_eq!(user.email, "anna@example.com");
    assert_eq!(user.full_name, "Anna Petrova");
    assert_eq!(user.role, Some(Role::Client));
    assert!(!user.blocked);
}

#[test]
fn a_user_cannot_register_twice() {
    given(registered())
        .when(register("anna@example.com", "Anna Petrova"))
        .then_expect_error(UserError::AlreadyExists);
    given(staff())
        .when(register("anna@example.com", "Anna Petrova"))
        .then_expect_error(UserError::AlreadyExists);
}

#[test]
fn registering_with_a_bad_email_is_refused() {
    given(vec![])
        .when(register("anna at example.com", "Anna Petrova"))
        .then_expect_error(UserError::InvalidEmail);
}

#[test]
fn registering_without_a_name_is_refused() {
    given(vec![])
        .when(register("anna@example.com", " \t "))
        .then_expect_error(UserError::EmptyName);
}

// ---------------------------------------------------------------- CreateStaff

#[test]
fn an_admin_creates_a_staff_member_with_a_role() {
    given(vec![])
        .when(create_staff(
            "BORIS@scriptorium.example",
            " Boris Ivanov",
            Role::Manager,
        ))
        .then_expect_events(staff());
    let user = state(staff());
    assert!(user.exists);
    assert_eq!(user.role, Some(Role::Manager));
    assert_eq!(user.email, "boris@scriptorium.example");
}

#[test]
fn a_staff_member_cannot_be_created_twice() {
    given(staff())
        .when(create_staff("x@y.ru", "X", Role::Author))
        .then_expect_error(UserError::AlreadyExists);
    given(registered())
        .when(create_staff("x@y.ru", "X", Role::Author))
        .then_expect_error(UserError::AlreadyExists);
}

#[test]
fn creating_staff_validates_email_and_name() {
    given(vec![])
        .when(create_staff("boris", "Boris", Role::Author))
        .then_expect_error(UserError::InvalidEmail);
    given(vec![])
        .when(create_staff("boris@ex.com", "", Role::Author))
        .then_expect_error(UserError::EmptyName);
}

// ---------------------------------------------------------------- Block / Unblock

#[test]
fn a_user_is_blocked() {
    given(registered())
        .when(block())
        .then_expect_events(vec![UserEvent::UserBlocked {
            by: admin_id(),
            reason: "spam".to_string(),
        }]);
    assert!(state(blocked()).blocked);
}

#[test]
fn a_missing_user_cannot_be_blocked_or_unblocked() {
    given(vec![])
        .when(block())
        .then_expect_error(UserError::NotFound);
    given(vec![])
        .when(unblock())
        .then_expect_error(UserError::NotFound);
}

#[test]
fn a_blocked_user_cannot_be_blocked_again() {
    given(blocked())
        .when(block())
        .then_expect_error(UserError::AlreadyBlocked);
}

#[test]
fn a_blocked_user_is_unblocked() {
    given(blocked())
        .when(unblock())
        .then_expect_events(vec![UserEvent::UserUnblocked { by: admin_id() }]);
    let mut events = blocked();
    events.push(UserEvent::UserUnblocked { by: admin_id() });
    assert!(!state(events.clone()).blocked);
    given(events)
        .when(block())
        .then_expect_events(vec![UserEvent::UserBlocked {
            by: admin_id(),
            reason: "spam".to_string(),
        }]);
}

#[test]
fn an_unblocked_user_cannot_be_unblocked() {
    given(registered())
        .when(unblock())
        .then_expect_error(UserError::NotBlocked);
}

#[test]
fn a_user_survives_a_snapshot_round_trip() {
    let user = state(blocked());
    let json = serde_json::to_string(&user).unwrap();
    let back: User = serde_json::from_str(&json).unwrap();
    assert_eq!(back, user);
}

// ------------------------------------------------------- checkout and language

#[test]
fn a_client_is_created_at_checkout_with_a_parsed_email() {
    given(vec![])
        .when(UserCommand::RegisterAtCheckout {
            email: " Guest@Example.com ".to_string(),
            full_name: " Guest Person ".to_string(),
            referred_by: None,
        })
        .then_expect_events(vec![UserEvent::RegisteredAtCheckout {
            email: "guest@example.com".to_string(),
            full_name: "Guest Person".to_string(),
            referred_by: None,
        }]);
    let user = state(vec![UserEvent::RegisteredAtCheckout {
        email: "guest@example.com".to_string(),
        full_name: "Guest Person".to_string(),
        referred_by: None,
    }]);
    assert!(user.exists && user.at_checkout);
    assert_eq!(user.role, Some(Role::Client));
    assert!(!state(registered()).at_checkout);
}

#[test]
fn checkout_creates_nobody_twice_and_refuses_bad_contact_data() {
    given(registered())
        .when(UserCommand::RegisterAtCheckout {
            email: "anna@example.com".to_string(),
            full_name: "Anna".to_string(),
            referred_by: None,
        })
        .then_expect_error(UserError::AlreadyExists);
    given(vec![])
        .when(UserCommand::RegisterAtCheckout {
            email: "not an email".to_string(),
            full_name: "Anna".to_string(),
            referred_by: None,
        })
        .then_expect_error(UserError::InvalidEmail);
    given(vec![])
        .when(UserCommand::RegisterAtCheckout {
            email: "a@example.com".to_string(),
            full_name: "  ".to_string(),
            referred_by: None,
        })
        .then_expect_error(UserError::EmptyName);
}

#[test]
fn only_an_existing_client_is_told_of_a_checkout() {
    let order_id = Uuid::from_u128(7);
    given(registered())
        .when(UserCommand::NoteCheckout {
            order_id,
            number: 12,
        })
        .then_expect_events(vec![UserEvent::CheckoutNoted {
            order_id,
            number: 12,
        }]);
    given(staff())
        .when(UserCommand::NoteCheckout {
            order_id,
            number: 12,
        })
        .then_expect_error(UserError::NotAClient);
    given(vec![])
        .when(UserCommand::NoteCheckout {
            order_id,
            number: 12,
        })
        .then_expect_error(UserError::NotFound);
}

#[tokio::test]
async fn only_an_existing_client_is_told_of_a_purchase_without_log_in() {
    let purchase_id = Uuid::from_u128(8);
    let cmd = || UserCommand::NotePurchase {
        purchase_id,
        title: "Peter I".to_string(),
    };
    given(registered())
        .when_async(cmd())
        .await
        .then_expect_events(vec![UserEvent::PurchaseNoted {
            purchase_id,
            title: "Peter I".to_string(),
        }]);
    given(staff())
        .when_async(cmd())
        .await
        .then_expect_error(UserError::NotAClient);
    given(vec![])
        .when_async(cmd())
        .await
        .then_expect_error(UserError::NotFound);
}

#[test]
fn a_language_is_chosen_once_and_only_a_known_one() {
    given(registered())
        .when(UserCommand::ChooseLanguage {
            language: "EN".to_string(),
        })
        .then_expect_events(vec![UserEvent::LanguageChosen {
            language: "en".to_string(),
        }]);
    // Russian is the default: choosing it changes nothing.
    given(registered())
        .when(UserCommand::ChooseLanguage {
            language: "ru".to_string(),
        })
        .then_expect_events(vec![]);
    given(registered())
        .when(UserCommand::ChooseLanguage {
            language: "de".to_string(),
        })
        .then_expect_error(UserError::UnknownLanguage);
    let mut events = registered();
    events.push(UserEvent::LanguageChosen {
        language: "en".to_string(),
    });
    assert_eq!(state(events).language.as_deref(), Some("en"));
}

fn acme() -> Company {
    Company::parse("Acme LLC", "7707083893", "Ivan Petrov").unwrap()
}

#[test]
fn a_company_registers_with_its_details_in_the_same_append() {
    given(vec![])
        .when(UserCommand::Register {
            email: "buyer@acme.example".to_string(),
            full_name: "Ivan Petrov".to_string(),
            company: Some(acme()),
            referred_by: None,
        })
        .then_expect_events(vec![
            UserEvent::UserRegistered {
                email: "buyer@acme.example".to_string(),
                full_name: "Ivan Petrov".to_string(),
                role: Role::Client,
                referred_by: None,
            },
            UserEvent::CompanySet {
                company: acme(),
                by: None,
            },
        ]);
}

#[test]
fn a_client_becomes_a_company_and_an_individual_again() {
    let set = UserEvent::CompanySet {
        company: acme(),
        by: Some(admin_id()),
    };
    given(registered())
        .when(UserCommand::SetCompany {
            company: Some(acme()),
            by: admin_id(),
        })
        .then_expect_events(vec![set.clone()]);
    let mut with_company = registered();
    with_company.push(set);
    assert_eq!(state(with_company.clone()).company, Some(acme()));
    // The same details again change nothing.
    given(with_company.clone())
        .when(UserCommand::SetCompany {
            company: Some(acme()),
            by: admin_id(),
        })
        .then_expect_events(vec![]);
    given(with_company.clone())
        .when(UserCommand::SetCompany {
            company: None,
            by: admin_id(),
        })
        .then_expect_events(vec![UserEvent::CompanyCleared { by: admin_id() }]);
    with_company.push(UserEvent::CompanyCleared { by: admin_id() });
    assert_eq!(state(with_company).company, None);
    // An individual made an individual: nothing.
    given(registered())
        .when(UserCommand::SetCompany {
            company: None,
            by: admin_id(),
        })
        .then_expect_events(vec![]);
}

#[test]
fn staff_and_strangers_are_not_companies() {
    given(staff())
        .when(UserCommand::SetCompany {
            company: Some(acme()),
            by: admin_id(),
        })
        .then_expect_error(UserError::CompanyForStaff);
    given(vec![])
        .when(UserCommand::SetCompany {
            company: Some(acme()),
            by: admin_id(),
        })
        .then_expect_error(UserError::NotFound);
}

#[test]
fn a_registration_event_without_by_still_reads() {
    let json = serde_json::json!({"CompanySet": {"company": {"name": "A", "tax_id": "7707083893", "contact_person": "B"}}});
    let e: UserEvent = serde_json::from_value(json).unwrap();
    assert_eq!(
        e,
        UserEvent::CompanySet {
            company: Company::parse("A", "7707083893", "B").unwrap(),
            by: None
        }
    );
}

#[test]
fn a_client_registered_through_a_referral_link_remembers_who_invited_them() {
    let friend = Uuid::from_u128(77);
    given(vec![])
        .when(UserCommand::Register {
            email: "b@example.com".to_string(),
            full_name: "Boris".to_string(),
            company: None,
            referred_by: Some(friend),
        })
        .then_expect_events(vec![UserEvent::UserRegistered {
            email: "b@example.com".to_string(),
            full_name: "Boris".to_string(),
            role: Role::Client,
            referred_by: Some(friend),
        }]);
    let user = state(vec![UserEvent::UserRegistered {
        email: "b@example.com".to_string(),
        full_name: "Boris".to_string(),
        role: Role::Client,
        referred_by: Some(friend),
    }]);
    assert_eq!(user.referred_by, Some(friend));
    // An event from before referrals reads as no referrer, and one without a referrer
    // is written as before.
    let old: UserEvent = serde_json::from_value(serde_json::json!({"UserRegistered": {
        "email": "a@example.com", "full_name": "A", "role": "client"}}))
    .unwrap();
    assert_eq!(state(vec![old.clone()]).referred_by, None);
    assert!(!serde_json::to_string(&old).unwrap().contains("referred_by"));
}
