//! Given/when/then tests of the `Author` aggregate; table and property tests of the rating
//! formula, the eligibility rule and the weighted choice.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::Aggregate;
use uuid::Uuid;

use super::*;
use crate::order::{FileKind, OrderStatus};
use crate::{Actor, Role};

// ---------------------------------------------------------------- fixtures

fn admin_id() -> Uuid {
    Uuid::from_u128(30)
}
fn admin() -> Actor {
    Actor::new(admin_id(), Role::Admin)
}
fn manager() -> Actor {
    Actor::new(Uuid::from_u128(10), Role::Manager)
}
fn order(n: u128) -> Uuid {
    Uuid::from_u128(1000 + n)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 1, 12, 0, 0).unwrap()
}
fn later(hours: i64) -> DateTime<Utc> {
    now() + TimeDelta::hours(hours)
}

fn rating(hundredths: u16) -> Rating {
    Rating::from_hundredths(hundredths).unwrap()
}

fn given(events: Vec<AuthorEvent>) -> AggregateTestExecutor<Author> {
    TestFramework::<Author>::with(()).given(events)
}

fn state(events: Vec<AuthorEvent>) -> Author {
    let mut author = Author::default();
    for event in events {
        author.apply(event);
    }
    author
}

/// Runs `command` against `events` and appends what it emitted.
fn step(mut events: Vec<AuthorEvent>, command: AuthorCommand) -> Vec<AuthorEvent> {
    let emitted = state(events.clone()).decide(command).unwrap();
    events.extend(emitted);
    events
}

fn strings(subjects: &[&str]) -> Vec<String> {
    subjects.iter().map(|s| s.to_string()).collect()
}

fn set_profile(by: Actor, stars: Option<u16>) -> AuthorCommand {
    AuthorCommand::SetProfile {
        by,
        subjects: strings(&["History", "Economics"]),
        rating: stars.map(rating),
        max_active_orders: 3,
        available: None,
        at: now(),
    }
}

fn profile_set(available: bool) -> AuthorEvent {
    AuthorEvent::ProfileSet {
        subjects: strings(&["History", "Economics"]),
        max_active_orders: 3,
        available,
    }
}

fn set_by_admin(hundredths: u16, counters: (u32, u32, u32), at: DateTime<Utc>) -> AuthorEvent {
    AuthorEvent::RatingChanged {
        rating: rating(hundredths),
        cause: RatingCause::SetByAdmin { by: admin_id() },
        ratings_received: counters.0,
        draft_rejections: counters.1,
        final_rejections: counters.2,
        at,
    }
}

/// A new author rated 4.00 by the admin.
fn profiled() -> Vec<AuthorEvent> {
    vec![profile_set(true), set_by_admin(400, (0, 0, 0), now())]
}

fn client_rating(n: u128, stars: u8) -> AuthorCommand {
    AuthorCommand::RecordClientRating {
        order_id: order(n),
        stars,
        at: later(1),
    }
}

fn rejection(n: u128, kind: FileKind, sequence: u64) -> AuthorCommand {
    AuthorCommand::RecordRejection {
        order_id: order(n),
        kind,
        sequence,
        at: later(1),
    }
}

// ---------------------------------------------------------------- SetProfile

#[test]
fn an_admin_sets_a_new_authors_profile_and_rating() {
    given(vec![])
        .when(set_profile(admin(), Some(400)))
        .then_expect_events(profiled());
    let author = state(profiled());
    assert_eq!(
        author.profile,
        Some(AuthorProfile {
            subjects: strings(&["History", "Economics"]),
            max_active_orders: 3,
            available: true,
        })
    );
    assert_eq!(author.rating, rating(400));
    assert_eq!(author.admin_rating, Some(rating(400)));
    assert_eq!(author.prior(), rating(400));
    assert_eq!(author.weight(), 400);
    assert!(author.evidence.is_empty());
}

#[test]
fn a_new_profile_needs_a_rating() {
    given(vec![])
        .when(set_profile(admin(), None))
        .then_expect_error(AuthorError::InitialRatingRequired);
}

#[test]
fn only_an_admin_gives_a_rating() {
    for role in [Role::Manager, Role::Author, Role::Client] {
        let by = Actor::new(Uuid::from_u128(5), role);
        given(profiled())
            .when(set_profile(by, Some(500)))
            .then_expect_error(AuthorError::RatingByAdminOnly);
    }
}

#[test]
fn a_profile_without_a_rating_keeps_the_rating() {
    given(profiled())
        .when(AuthorCommand::SetProfile {
            by: manager(),
            subjects: strings(&["Law"]),
            rating: None,
            max_active_orders: 5,
            available: None,
            at: later(2),
        })
        .then_expect_events(vec![AuthorEvent::ProfileSet {
            subjects: strings(&["Law"]),
            max_active_orders: 5,
            available: true,
        }]);
}

#[test]
fn the_same_profile_again_changes_nothing() {
    given(profiled())
        .when(set_profile(admin(), Some(400)))
        .then_expect_events(vec![]);
    given(profiled())
        .when(set_profile(admin(), None))
        .then_expect_events(vec![]);
}

#[test]
fn subjects_are_trimmed_collapsed_and_deduplicated_ignoring_case() {
    given(vec![])
        .when(AuthorCommand::SetProfile {
            by: admin(),
            subjects: strings(&[
                "  Art   History ",
                "история",
                "art history",
                "ИСТОРИЯ",
                "Law\t",
            ]),
            rating: Some(rating(300)),
            max_active_orders: 1,
            available: Some(false),
            at: now(),
        })
        .then_expect_events(vec![
            AuthorEvent::ProfileSet {
                subjects: strings(&["Art History", "история", "Law"]),
                max_active_orders: 1,
                available: false,
            },
            AuthorEvent::RatingChanged {
                rating: rating(300),
                cause: RatingCause::SetByAdmin { by: admin_id() },
                ratings_received: 0,
                draft_rejections: 0,
                final_rejections: 0,
                at: now(),
            },
        ]);
}

#[test]
fn bad_subject_lists_are_refused() {
    let too_long = "x".repeat(MAX_SUBJECT_CHARS + 1);
    let too_many: Vec<String> = (0..=MAX_SUBJECTS).map(|i| format!("subject {i}")).collect();
    for (subjects, error) in [
        (vec![], AuthorError::NoSubjects),
        (strings(&["History", " \t "]), AuthorError::EmptySubject),
        (strings(&[""]), AuthorError::EmptySubject),
        (
            vec![too_long],
            AuthorError::SubjectTooLong {
                max: MAX_SUBJECT_CHARS,
            },
        ),
        (too_many, AuthorError::TooManySubjects { max: MAX_SUBJECTS }),
    ] {
        assert_eq!(parse_subjects(subjects.clone()), Err(error.clone()));
        given(vec![])
            .when(AuthorCommand::SetProfile {
                by: admin(),
                subjects,
                rating: Some(rating(400)),
                max_active_orders: 3,
                available: None,
                at: now(),
            })
            .then_expect_error(error);
    }
}

#[test]
fn subject_limits_count_characters_after_cleaning() {
    let longest = "я".repeat(MAX_SUBJECT_CHARS);
    assert_eq!(parse_subjects(vec![longest.clone()]), Ok(vec![longest]));
    // 50 distinct subjects, each given twice in another case: 50 remain.
    let mut fifty: Vec<String> = (0..MAX_SUBJECTS).map(|i| format!("Subject {i}")).collect();
    fifty.extend((0..MAX_SUBJECTS).map(|i| format!("SUBJECT {i}")));
    assert_eq!(parse_subjects(fifty).unwrap().len(), MAX_SUBJECTS);
}

#[test]
fn the_maximum_of_active_orders_is_from_1_to_100() {
    for max in [0, 101, u32::MAX] {
        given(vec![])
            .when(AuthorCommand::SetProfile {
                by: admin(),
                subjects: strings(&["History"]),
                rating: Some(rating(400)),
                max_active_orders: max,
                available: None,
                at: now(),
            })
            .then_expect_error(AuthorError::InvalidMaxActiveOrders);
    }
    for max in [1, 100] {
        let events = given(vec![])
            .when(AuthorCommand::SetProfile {
                by: admin(),
                subjects: strings(&["History"]),
                rating: Some(rating(400)),
                max_active_orders: max,
                available: None,
                at: now(),
            })
            .inspect_result()
            .unwrap();
        assert_eq!(events.len(), 2, "max {max}");
    }
    assert_eq!(
        AuthorError::InvalidMaxActiveOrders.to_string(),
        "the maximum of active orders must be between 1 and 100"
    );
}

#[test]
fn availability_given_in_the_profile_is_set_and_none_keeps_it() {
    let unavailable = step(profiled(), set_availability(false));
    given(unavailable.clone())
        .when(AuthorCommand::SetProfile {
            by: admin(),
            subjects: strings(&["History", "Economics"]),
            rating: None,
            max_active_orders: 4,
            available: None,
            at: later(3),
        })
        .then_expect_events(vec![AuthorEvent::ProfileSet {
            subjects: strings(&["History", "Economics"]),
            max_active_orders: 4,
            available: false,
        }]);
    given(unavailable)
        .when(AuthorCommand::SetProfile {
            by: admin(),
            subjects: strings(&["History", "Economics"]),
            rating: None,
            max_active_orders: 3,
            available: Some(true),
            at: later(3),
        })
        .then_expect_events(vec![profile_set(true)]);
}

// ---------------------------------------------------------------- the admin's rating

#[test]
fn an_admins_new_rating_replaces_the_evidence_but_not_the_totals() {
    let rated = step(
        step(profiled(), client_rating(1, 5)),
        rejection(1, FileKind::Draft, 7),
    );
    let before = state(rated.clone());
    assert!(!before.evidence.is_empty());
    given(rated.clone())
        .when(AuthorCommand::SetProfile {
            by: admin(),
            subjects: strings(&["History", "Economics"]),
            rating: Some(rating(250)),
            max_active_orders: 3,
            available: None,
            at: later(5),
        })
        .then_expect_events(vec![set_by_admin(250, (1, 1, 0), later(5))]);
    let reset = step(
        rated,
        AuthorCommand::SetProfile {
            by: admin(),
            subjects: strings(&["History", "Economics"]),
            rating: Some(rating(250)),
            max_active_orders: 3,
            available: None,
            at: later(5),
        },
    );
    let author = state(reset.clone());
    assert_eq!(author.rating, rating(250));
    assert_eq!(author.prior(), rating(250));
    assert!(author.evidence.is_empty());
    assert_eq!(author.ratings_received, 1);
    assert_eq!(author.draft_rejections, 1);
    // The causes counted before the new rating are still recognised when they come again.
    given(reset.clone())
        .when(client_rating(1, 5))
        .then_expect_events(vec![]);
    given(reset)
        .when(rejection(1, FileKind::Draft, 7))
        .then_expect_events(vec![]);
}

#[test]
fn the_current_rating_given_again_keeps_the_evidence() {
    let rated = step(profiled(), client_rating(1, 5));
    let current = state(rated.clone()).rating;
    assert_eq!(current, rating(417));
    given(rated)
        .when(set_profile(admin(), Some(417)))
        .then_expect_events(vec![]);
}

// ---------------------------------------------------------------- SetAvailability

fn set_availability(available: bool) -> AuthorCommand {
    AuthorCommand::SetAvailability {
        available,
        at: later(1),
    }
}

#[test]
fn an_author_turns_availability_off_and_on() {
    given(profiled())
        .when(set_availability(false))
        .then_expect_events(vec![profile_set(false)]);
    let off = step(profiled(), set_availability(false));
    assert!(!state(off.clone()).profile.unwrap().available);
    given(off)
        .when(set_availability(true))
        .then_expect_events(vec![profile_set(true)]);
}

#[test]
fn availability_as_it_is_changes_nothing() {
    given(profiled())
        .when(set_availability(true))
        .then_expect_events(vec![]);
}

#[test]
fn availability_needs_a_profile() {
    given(vec![])
        .when(set_availability(true))
        .then_expect_error(AuthorError::NoProfile);
}

// ---------------------------------------------------------------- RecordClientRating

#[test]
fn a_client_rating_moves_the_rating_by_the_formula() {
    given(profiled())
        .when(client_rating(1, 5))
        .then_expect_events(vec![AuthorEvent::RatingChanged {
            rating: rating(417),
            cause: RatingCause::ClientRating {
                order_id: order(1),
                stars: 5,
            },
            ratings_received: 1,
            draft_rejections: 0,
            final_rejections: 0,
            at: later(1),
        }]);
    let author = state(step(profiled(), client_rating(1, 5)));
    assert_eq!(author.rating, rating(417));
    assert_eq!(
        author.evidence,
        Evidence {
            client_ratings: 1,
            client_stars: 5,
            rejections: 0,
        }
    );
    assert_eq!(author.rated_orders.get(&order(1)), Some(&5));
}

#[test]
fn the_same_orders_rating_twice_is_counted_once() {
    let once = step(profiled(), client_rating(1, 5));
    given(once.clone())
        .when(client_rating(1, 5))
        .then_expect_events(vec![]);
    // A second order's rating counts.
    let twice = step(once, client_rating(2, 5));
    assert_eq!(state(twice).ratings_received, 2);
}

#[test]
fn a_different_rating_for_an_already_rated_order_is_refused() {
    given(step(profiled(), client_rating(1, 5)))
        .when(client_rating(1, 2))
        .then_expect_error(AuthorError::OrderAlreadyRated {
            order_id: order(1),
            stars: 5,
        });
}

#[test]
fn a_client_rating_outside_one_to_five_is_refused() {
    for stars in [0, 6, u8::MAX] {
        given(profiled())
            .when(client_rating(1, stars))
            .then_expect_error(AuthorError::InvalidClientRating);
    }
}

#[test]
fn a_rating_before_any_profile_counts_against_the_neutral_prior() {
    given(vec![])
        .when(client_rating(1, 5))
        .then_expect_events(vec![AuthorEvent::RatingChanged {
            // (5·300 + 500) / 6 = 333.33
            rating: rating(333),
            cause: RatingCause::ClientRating {
                order_id: order(1),
                stars: 5,
            },
            ratings_received: 1,
            draft_rejections: 0,
            final_rejections: 0,
            at: later(1),
        }]);
    // The admin's first rating then becomes the prior and the evidence starts again.
    let rated = step(vec![], client_rating(1, 5));
    let profiled = step(rated, set_profile(admin(), Some(333)));
    let author = state(profiled);
    assert_eq!(author.admin_rating, Some(rating(333)));
    assert!(author.evidence.is_empty());
    assert_eq!(author.ratings_received, 1);
}

// ---------------------------------------------------------------- RecordRejection

#[test]
fn a_rejection_moves_the_rating_down() {
    given(profiled())
        .when(rejection(1, FileKind::Draft, 7))
        .then_expect_events(vec![AuthorEvent::RatingChanged {
            // (10·400 + 1·100) / (10 + 1) = 372.73
            rating: rating(373),
            cause: RatingCause::Rejection {
                order_id: order(1),
                kind: FileKind::Draft,
                sequence: 7,
            },
            ratings_received: 0,
            draft_rejections: 1,
            final_rejections: 0,
            at: later(1),
        }]);
}

#[test]
fn the_same_rejection_twice_is_counted_once() {
    let once = step(profiled(), rejection(1, FileKind::Draft, 7));
    given(once.clone())
        .when(rejection(1, FileKind::Draft, 7))
        .then_expect_events(vec![]);
    // Another rejection of the same order (a later sequence, or the final) counts.
    let more = step(
        step(once, rejection(1, FileKind::Draft, 9)),
        rejection(1, FileKind::Final, 12),
    );
    let author = state(more);
    assert_eq!(author.draft_rejections, 2);
    assert_eq!(author.final_rejections, 1);
    assert_eq!(author.evidence.rejections, 3);
}

// ---------------------------------------------------------------- the formula (docs/rating.md)

#[test]
fn the_worked_example_of_docs_rating_md() {
    let mut events = profiled();
    let mut shown = vec![state(events.clone()).rating.to_string()];
    for command in [
        client_rating(1, 5),
        rejection(2, FileKind::Draft, 7),
        client_rating(2, 1),
        rejection(3, FileKind::Final, 11),
        client_rating(3, 4),
    ] {
        events = step(events, command);
        shown.push(state(events.clone()).rating.to_string());
    }
    assert_eq!(shown, ["4.00", "4.17", "3.92", "3.53", "3.38", "3.44"]);
}

#[test]
fn the_formula_table() {
    let e = |n: u32, stars: u64, m: u32| Evidence {
        client_ratings: n,
        client_stars: stars,
        rejections: m,
    };
    for (prior, evidence, expected) in [
        (400, e(0, 0, 0), 400),
        (100, e(0, 0, 0), 100),
        (500, e(0, 0, 0), 500),
        // Round half up: (10·101 + 200·5) / 12 = 167.5.
        (101, e(1, 5, 0), 168),
        (500, e(1, 5, 0), 500),
        (100, e(1, 1, 0), 100),
        (100, e(0, 0, 4), 100),
        (500, e(0, 0, 1), 464),
        // Many ratings of 5 outweigh the prior but never pass 5.00.
        (100, e(1000, 5000, 0), 498),
        (100, e(u32::MAX, 5 * u64::from(u32::MAX), 0), 500),
        (500, e(u32::MAX, u64::from(u32::MAX), u32::MAX), 100),
        // Two rejections weigh one rating of 1.
        (400, e(1, 1, 0), 350),
        (400, e(0, 0, 2), 350),
    ] {
        assert_eq!(
            compute_rating(rating(prior), &evidence).hundredths(),
            expected,
            "prior {prior}, {evidence:?}"
        );
    }
}

/// SplitMix64: a small deterministic generator, so the property and statistical tests are
/// repeatable.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random rating histories: each step a client rating, a rejection, or (rarely) an admin's
/// new rating; every command is also sent twice.
#[test]
fn the_rating_stays_within_one_to_five_moves_the_right_way_and_repeats_change_nothing() {
    let mut rng = SplitMix64(2030);
    for history in 0..200u128 {
        let prior = 100 + rng.below(401) as u16;
        let mut events = step(vec![], set_profile(admin(), Some(prior)));
        for i in 0..60u128 {
            let before = state(events.clone());
            let command = match rng.below(20) {
                0 => set_profile(admin(), Some(100 + rng.below(401) as u16)),
                1..=7 => rejection(
                    history * 100 + i,
                    if rng.below(2) == 0 {
                        FileKind::Draft
                    } else {
                        FileKind::Final
                    },
                    rng.below(50),
                ),
                _ => client_rating(history * 100 + i, 1 + rng.below(5) as u8),
            };
            events = step(events, command.clone());
            let after = state(events.clone());
            assert!((100..=500).contains(&after.rating.hundredths()));
            assert_eq!(after.rating, compute_rating(after.prior(), &after.evidence));
            match &command {
                AuthorCommand::RecordClientRating { stars: 5, .. } => {
                    assert!(after.rating >= before.rating)
                }
                AuthorCommand::RecordClientRating { stars: 1, .. }
                | AuthorCommand::RecordRejection { .. } => {
                    assert!(after.rating <= before.rating)
                }
                _ => {}
            }
            // Delivered again (a worker after a crash): nothing more happens.
            assert_eq!(after.decide(command), Ok(vec![]));
        }
    }
}

#[test]
fn with_little_evidence_a_5_raises_and_a_1_or_a_rejection_lowers_the_rating() {
    // With at most 20 causes, a step is at least ~1.9 hundredths: rounding cannot hide it.
    let mut rng = SplitMix64(7);
    for _ in 0..2000 {
        let prior = rating(100 + rng.below(401) as u16);
        let n = rng.below(11) as u32;
        let evidence = Evidence {
            client_ratings: n,
            client_stars: (0..n).map(|_| 1 + rng.below(5)).sum(),
            rejections: rng.below(11) as u32,
        };
        let r = compute_rating(prior, &evidence);
        let up = compute_rating(prior, &evidence.with_client_rating(5));
        let down = compute_rating(prior, &evidence.with_client_rating(1));
        let rejected = compute_rating(prior, &evidence.with_rejection());
        if r.hundredths() <= 450 {
            assert!(up > r, "{prior} {evidence:?}: {r} → {up}");
        }
        if r.hundredths() >= 150 {
            assert!(down < r, "{prior} {evidence:?}: {r} → {down}");
        }
        if r.hundredths() >= 200 {
            assert!(rejected < r, "{prior} {evidence:?}: {r} → {rejected}");
        }
    }
}

// ---------------------------------------------------------------- Rating

#[test]
fn a_rating_is_from_one_to_five_in_hundredths() {
    assert_eq!(Rating::from_hundredths(99), Err(AuthorError::InvalidRating));
    assert_eq!(
        Rating::from_hundredths(501),
        Err(AuthorError::InvalidRating)
    );
    assert_eq!(Rating::from_hundredths(100), Ok(Rating::MIN));
    assert_eq!(Rating::from_hundredths(500), Ok(Rating::MAX));
    assert_eq!(Rating::from_stars(4), Ok(rating(400)));
    for bad in [0, 6] {
        assert_eq!(Rating::from_stars(bad), Err(AuthorError::InvalidRating));
    }
    assert_eq!(Rating::default(), Rating::NEUTRAL);
    assert_eq!(rating(407).to_string(), "4.07");
    assert_eq!(rating(500).to_string(), "5.00");
}

#[test]
fn a_rating_is_stored_as_its_hundredths_and_checked_when_read() {
    assert_eq!(serde_json::to_string(&rating(437)).unwrap(), "437");
    assert_eq!(serde_json::from_str::<Rating>("437").unwrap(), rating(437));
    assert!(serde_json::from_str::<Rating>("99").is_err());
    assert!(serde_json::from_str::<Rating>("501").is_err());
}

#[test]
fn a_rating_changed_event_reads_as_documented() {
    let event = AuthorEvent::RatingChanged {
        rating: rating(392),
        cause: RatingCause::Rejection {
            order_id: order(2),
            kind: FileKind::Draft,
            sequence: 7,
        },
        ratings_received: 1,
        draft_rejections: 1,
        final_rejections: 0,
        at: now(),
    };
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"RatingChanged": {
            "rating": 392,
            "cause": {"type": "rejection", "order_id": order(2), "kind": "draft", "sequence": 7},
            "ratings_received": 1,
            "draft_rejections": 1,
            "final_rejections": 0,
            "at": "2030-03-01T12:00:00Z",
        }})
    );
    assert_eq!(serde_json::from_value::<AuthorEvent>(json).unwrap(), event);
    let admin_cause = RatingCause::SetByAdmin { by: admin_id() };
    assert_eq!(admin_cause.as_str(), "set_by_admin");
    assert_eq!(
        serde_json::to_value(admin_cause).unwrap()["type"],
        "set_by_admin"
    );
}

#[test]
fn author_event_types_are_stable() {
    use cqrs_es::DomainEvent;
    let events = profiled();
    assert_eq!(events[0].event_type(), "ProfileSet");
    assert_eq!(events[1].event_type(), "RatingChanged");
    assert_eq!(events[1].event_version(), "1");
}

#[test]
fn an_author_survives_a_snapshot_round_trip() {
    let events = step(
        step(profiled(), client_rating(1, 3)),
        rejection(1, FileKind::Final, 4),
    );
    let author = state(events);
    let json = serde_json::to_string(&author).unwrap();
    assert_eq!(serde_json::from_str::<Author>(&json).unwrap(), author);
}

#[test]
fn author_errors_say_which_are_invalid_values() {
    for invalid in [
        AuthorError::NoSubjects,
        AuthorError::EmptySubject,
        AuthorError::SubjectTooLong { max: 1 },
        AuthorError::TooManySubjects { max: 1 },
        AuthorError::InvalidMaxActiveOrders,
        AuthorError::InvalidRating,
        AuthorError::InvalidClientRating,
        AuthorError::InitialRatingRequired,
    ] {
        assert!(invalid.is_invalid_value(), "{invalid:?}");
    }
    for conflict in [
        AuthorError::NoProfile,
        AuthorError::RatingByAdminOnly,
        AuthorError::OrderAlreadyRated {
            order_id: order(1),
            stars: 5,
        },
    ] {
        assert!(!conflict.is_invalid_value(), "{conflict:?}");
    }
}

// ---------------------------------------------------------------- eligibility

fn profile() -> AuthorProfile {
    AuthorProfile {
        subjects: strings(&["History", "Русская литература"]),
        max_active_orders: 2,
        available: true,
    }
}

fn facts() -> CandidateFacts {
    CandidateFacts {
        role: Role::Author,
        blocked: false,
        active_orders: 1,
        offered_before: false,
    }
}

#[test]
fn subjects_match_by_their_key() {
    assert_eq!(subject_key("  Art \t History "), "art history");
    assert_eq!(subject_key("РУССКАЯ  Литература"), "русская литература");
    let p = profile();
    for subject in [
        "history",
        " HISTORY ",
        "русская литература",
        "РУССКАЯ ЛИТЕРАТУРА",
    ] {
        assert!(p.writes_on(subject), "{subject}");
    }
    for subject in ["histor", "history of art", "", "литература"] {
        assert!(!p.writes_on(subject), "{subject}");
    }
}

#[test]
fn the_profile_part_of_the_rule() {
    let p = profile();
    assert!(p.eligible_for("History", 0));
    assert!(p.eligible_for("History", 1));
    assert!(!p.eligible_for("History", 2));
    assert!(!p.eligible_for("Law", 0));
    let away = AuthorProfile {
        available: false,
        ..profile()
    };
    assert!(!away.eligible_for("History", 0));
}

#[test]
fn the_eligibility_rule_names_the_first_reason() {
    let p = profile();
    assert_eq!(check_eligibility(Some(&p), "history", &facts()), Ok(()));
    let away = AuthorProfile {
        available: false,
        ..profile()
    };
    for (profile, subject, facts, expected) in [
        (
            Some(&p),
            "History",
            CandidateFacts {
                role: Role::Manager,
                ..facts()
            },
            Ineligible::NotAnAuthor,
        ),
        (
            Some(&p),
            "History",
            CandidateFacts {
                blocked: true,
                ..facts()
            },
            Ineligible::Blocked,
        ),
        (None, "History", facts(), Ineligible::NoProfile),
        (Some(&away), "History", facts(), Ineligible::Unavailable),
        (Some(&p), "Law", facts(), Ineligible::OtherSubject),
        (
            Some(&p),
            "History",
            CandidateFacts {
                active_orders: 2,
                ..facts()
            },
            Ineligible::AtLimit,
        ),
        (
            Some(&p),
            "History",
            CandidateFacts {
                offered_before: true,
                ..facts()
            },
            Ineligible::OfferedBefore,
        ),
    ] {
        assert_eq!(
            check_eligibility(profile, subject, &facts),
            Err(expected),
            "{expected:?}"
        );
    }
}

#[test]
fn the_whole_rule_agrees_with_the_profile_part_for_a_plain_author() {
    let p = profile();
    for subject in ["History", "Law"] {
        for active in 0..4 {
            let facts = CandidateFacts {
                active_orders: active,
                ..facts()
            };
            assert_eq!(
                check_eligibility(Some(&p), subject, &facts).is_ok(),
                p.eligible_for(subject, active),
                "{subject} {active}"
            );
        }
    }
}

#[test]
fn an_authors_state_answers_the_rule() {
    assert_eq!(
        state(profiled()).check_eligible("Economics", &facts()),
        Ok(())
    );
    assert_eq!(
        Author::default().check_eligible("Economics", &facts()),
        Err(Ineligible::NoProfile)
    );
    let off = step(profiled(), set_availability(false));
    assert_eq!(
        state(off).check_eligible("Economics", &facts()),
        Err(Ineligible::Unavailable)
    );
}

#[test]
fn offered_and_unfinished_orders_occupy_their_author() {
    for status in OrderStatus::ALL {
        let expected = !matches!(
            status,
            OrderStatus::New | OrderStatus::Completed | OrderStatus::Failed
        );
        assert_eq!(status.occupies_author(), expected, "{status}");
    }
}

// ---------------------------------------------------------------- the weighted choice

#[test]
fn nobody_is_chosen_from_nothing() {
    assert_eq!(pick_weighted(&[], 12345), None);
    assert_eq!(pick_weighted(&[0, 0, 0], 12345), None);
    assert_eq!(pick_weighted(&[0, 0], u64::MAX), None);
}

#[test]
fn a_weight_of_zero_is_never_chosen() {
    let weights = [0, 300, 0, 100, 0];
    let mut rng = SplitMix64(1);
    let draws = [0, 1, u64::MAX / 2, u64::MAX - 1, u64::MAX]
        .into_iter()
        .chain((0..10_000).map(|_| rng.next()));
    for draw in draws {
        let chosen = pick_weighted(&weights, draw).unwrap();
        assert!(weights[chosen] > 0, "draw {draw} chose {chosen}");
    }
}

#[test]
fn the_draw_is_scaled_not_reduced_modulo() {
    // Two equal weights: the lower half of all draws picks the first, the upper the second.
    let half = 1u64 << 63;
    assert_eq!(pick_weighted(&[1, 1], 0), Some(0));
    assert_eq!(pick_weighted(&[1, 1], half - 1), Some(0));
    assert_eq!(pick_weighted(&[1, 1], half), Some(1));
    assert_eq!(pick_weighted(&[1, 1], u64::MAX), Some(1));
    assert_eq!(pick_weighted(&[5], u64::MAX), Some(0));
}

#[test]
fn draws_spread_evenly_choose_exactly_in_proportion() {
    // The first draw of each of the total's equal slices of the u64 range.
    let weights = [100u64, 200, 500, 0, 7];
    let total: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    let mut counts = [0u64; 5];
    for i in 0..total {
        let draw = u64::try_from((i << 64).div_ceil(total)).unwrap();
        counts[pick_weighted(&weights, draw).unwrap()] += 1;
    }
    assert_eq!(counts, weights);
}

#[test]
fn huge_weights_do_not_overflow() {
    let weights = [u64::MAX, u64::MAX, u64::MAX];
    assert_eq!(pick_weighted(&weights, 0), Some(0));
    assert_eq!(pick_weighted(&weights, u64::MAX / 2), Some(1));
    assert_eq!(pick_weighted(&weights, u64::MAX), Some(2));
    let s = shares(&weights);
    assert_eq!(s[0].total, 3 * u128::from(u64::MAX));
}

#[test]
fn shares_are_exact_and_sum_to_one() {
    let s = shares(&[100, 200, 500]);
    assert_eq!(
        s,
        vec![
            Share {
                weight: 100,
                total: 800
            },
            Share {
                weight: 200,
                total: 800
            },
            Share {
                weight: 500,
                total: 800
            },
        ]
    );
    let sum: u128 = s.iter().map(|share| u128::from(share.weight)).sum();
    assert_eq!(sum, s[0].total);
    assert!(shares(&[]).is_empty());
}

#[test]
fn authors_rated_1_2_and_5_are_chosen_in_proportion_to_their_rating() {
    let weights: Vec<u64> = [100, 200, 500].map(|h| rating(h).weight()).to_vec();
    let mut rng = SplitMix64(0x5C21_7070);
    let draws = 8_000;
    let mut counts = [0u32; 3];
    for _ in 0..draws {
        counts[pick_weighted(&weights, rng.next()).unwrap()] += 1;
    }
    for (i, share) in shares(&weights).iter().enumerate() {
        let expected = share.weight as f64 / share.total as f64;
        let observed = f64::from(counts[i]) / f64::from(draws);
        assert!(
            (observed - expected).abs() <= 0.02,
            "author {i}: {observed:.4} vs {expected:.4} ({counts:?})"
        );
    }
}

#[test]
fn the_same_draw_chooses_the_same_author() {
    let weights = [417, 300, 250, 500];
    let mut rng = SplitMix64(99);
    for _ in 0..1000 {
        let draw = rng.next();
        assert_eq!(pick_weighted(&weights, draw), pick_weighted(&weights, draw));
    }
}
