//! The `Author` aggregate's state, its decisions ([`Author::decide`]) and how events change it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::commands::AuthorCommand;
use super::eligibility::{
    check_eligibility, parse_subjects, AuthorProfile, CandidateFacts, Ineligible,
    ACTIVE_ORDERS_LIMITS,
};
use super::error::AuthorError;
use super::events::{AuthorEvent, RatingCause};
use super::rating::{compute_rating, Evidence, Rating};
use crate::order::FileKind;
use crate::{Actor, Role};

/// One author's profile and rating (one per author, id = the author's user id), rebuilt
/// from its events. Fields are for reading only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The profile, once an admin has set one; an author without one is never eligible.
    pub profile: Option<AuthorProfile>,
    /// The current rating (and weight); [`Rating::NEUTRAL`] until an admin sets one.
    pub rating: Rating,
    /// The rating an admin last set: the prior of the formula.
    pub admin_rating: Option<Rating>,
    /// Client ratings and rejections since the admin last set the rating.
    pub evidence: Evidence,
    /// Client ratings received, over the author's whole history.
    pub ratings_received: u32,
    /// Drafts rejected by a manager, over the author's whole history.
    pub draft_rejections: u32,
    /// Final works rejected by a manager, over the author's whole history.
    pub final_rejections: u32,
    /// Every order whose client rating was counted, with its stars (kept across admin
    /// ratings, so a late repeat is still recognised).
    pub rated_orders: BTreeMap<Uuid, u8>,
    /// Every rejection counted, as `(order_id, kind, sequence)`.
    pub counted_rejections: BTreeSet<(Uuid, FileKind, u64)>,
}

impl Author {
    /// The prior of the formula: the admin's rating, or [`Rating::NEUTRAL`] before one.
    pub fn prior(&self) -> Rating {
        self.admin_rating.unwrap_or(Rating::NEUTRAL)
    }

    /// The author's weight in the choice of an author ([`super::pick_weighted`]).
    pub fn weight(&self) -> u64 {
        self.rating.weight()
    }

    /// The whole eligibility rule ([`check_eligibility`]) for an order on `subject`.
    pub fn check_eligible(&self, subject: &str, facts: &CandidateFacts) -> Result<(), Ineligible> {
        check_eligibility(self.profile.as_ref(), subject, facts)
    }

    /// Decides what `command` means for this author: the events to record, in order, or why
    /// not. Pure; every check runs before any event is produced.
    pub fn decide(&self, command: AuthorCommand) -> Result<Vec<AuthorEvent>, AuthorError> {
        match command {
            AuthorCommand::SetProfile {
                by,
                subjects,
                rating,
                max_active_orders,
                available,
                at,
            } => self.set_profile(by, subjects, rating, max_active_orders, available, at),
            AuthorCommand::SetAvailability { available, .. } => self.set_availability(available),
            AuthorCommand::RecordClientRating {
                order_id,
                stars,
                at,
            } => self.record_client_rating(order_id, stars, at),
            AuthorCommand::RecordRejection {
                order_id,
                kind,
                sequence,
                at,
            } => self.record_rejection(order_id, kind, sequence, at),
        }
    }

    fn set_profile(
        &self,
        by: Actor,
        subjects: Vec<String>,
        rating: Option<Rating>,
        max_active_orders: u32,
        available: Option<bool>,
        at: DateTime<Utc>,
    ) -> Result<Vec<AuthorEvent>, AuthorError> {
        if rating.is_some() && by.role != Role::Admin {
            return Err(AuthorError::RatingByAdminOnly);
        }
        let subjects = parse_subjects(subjects)?;
        if !ACTIVE_ORDERS_LIMITS.contains(&max_active_orders) {
            return Err(AuthorError::InvalidMaxActiveOrders);
        }
        if rating.is_none() && self.admin_rating.is_none() {
            return Err(AuthorError::InitialRatingRequired);
        }
        let available = available
            .or(self.profile.as_ref().map(|p| p.available))
            .unwrap_or(true);
        let profile = AuthorProfile {
            subjects,
            max_active_orders,
            available,
        };
        let mut events = self.profile_events(profile);
        if let Some(rating) = rating {
            if self.admin_rating.is_none() || rating != self.rating {
                events.push(self.rating_changed(rating, RatingCause::SetByAdmin { by: by.id }, at));
            }
        }
        Ok(events)
    }

    fn set_availability(&self, available: bool) -> Result<Vec<AuthorEvent>, AuthorError> {
        let Some(profile) = &self.profile else {
            return Err(AuthorError::NoProfile);
        };
        Ok(self.profile_events(AuthorProfile {
            available,
            ..profile.clone()
        }))
    }

    /// `ProfileSet` with `profile`, unless that is the profile already.
    fn profile_events(&self, profile: AuthorProfile) -> Vec<AuthorEvent> {
        if self.profile.as_ref() == Some(&profile) {
            return vec![];
        }
        vec![AuthorEvent::ProfileSet {
            subjects: profile.subjects,
            max_active_orders: profile.max_active_orders,
            available: profile.available,
        }]
    }

    fn record_client_rating(
        &self,
        order_id: Uuid,
        stars: u8,
        at: DateTime<Utc>,
    ) -> Result<Vec<AuthorEvent>, AuthorError> {
        if !(1..=5).contains(&stars) {
            return Err(AuthorError::InvalidClientRating);
        }
        match self.rated_orders.get(&order_id) {
            Some(&counted) if counted == stars => return Ok(vec![]),
            Some(&counted) => {
                return Err(AuthorError::OrderAlreadyRated {
                    order_id,
                    stars: counted,
                })
            }
            None => {}
        }
        let rating = compute_rating(self.prior(), &self.evidence.with_client_rating(stars));
        Ok(vec![self.rating_changed(
            rating,
            RatingCause::ClientRating { order_id, stars },
            at,
        )])
    }

    fn record_rejection(
        &self,
        order_id: Uuid,
        kind: FileKind,
        sequence: u64,
        at: DateTime<Utc>,
    ) -> Result<Vec<AuthorEvent>, AuthorError> {
        if self
            .counted_rejections
            .contains(&(order_id, kind, sequence))
        {
            return Ok(vec![]);
        }
        let rating = compute_rating(self.prior(), &self.evidence.with_rejection());
        Ok(vec![self.rating_changed(
            rating,
            RatingCause::Rejection {
                order_id,
                kind,
                sequence,
            },
            at,
        )])
    }

    /// `RatingChanged` to `rating` by `cause`, with the totals as they will be after it.
    fn rating_changed(&self, rating: Rating, cause: RatingCause, at: DateTime<Utc>) -> AuthorEvent {
        let (mut ratings, mut drafts, mut finals) = (
            self.ratings_received,
            self.draft_rejections,
            self.final_rejections,
        );
        match cause {
            RatingCause::SetByAdmin { .. } => {}
            RatingCause::ClientRating { .. } => ratings = ratings.saturating_add(1),
            RatingCause::Rejection {
                kind: FileKind::Draft,
                ..
            } => drafts = drafts.saturating_add(1),
            RatingCause::Rejection {
                kind: FileKind::Final,
                ..
            } => finals = finals.saturating_add(1),
        }
        AuthorEvent::RatingChanged {
            rating,
            cause,
            ratings_received: ratings,
            draft_rejections: drafts,
            final_rejections: finals,
            at,
        }
    }
}

impl Aggregate for Author {
    const TYPE: &'static str = "Author";
    type Command = AuthorCommand;
    type Event = AuthorEvent;
    type Error = AuthorError;
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
            AuthorEvent::ProfileSet {
                subjects,
                max_active_orders,
                available,
            } => {
                self.profile = Some(AuthorProfile {
                    subjects,
                    max_active_orders,
                    available,
                });
            }
            AuthorEvent::RatingChanged {
                rating,
                cause,
                ratings_received,
                draft_rejections,
                final_rejections,
                ..
            } => {
                match cause {
                    RatingCause::SetByAdmin { .. } => {
                        self.admin_rating = Some(rating);
                        self.evidence = Evidence::default();
                    }
                    RatingCause::ClientRating { order_id, stars } => {
                        self.evidence = self.evidence.with_client_rating(stars);
                        self.rated_orders.insert(order_id, stars);
                    }
                    RatingCause::Rejection {
                        order_id,
                        kind,
                        sequence,
                    } => {
                        self.evidence = self.evidence.with_rejection();
                        self.counted_rejections.insert((order_id, kind, sequence));
                    }
                }
                self.rating = rating;
                self.ratings_received = ratings_received;
                self.draft_rejections = draft_rejections;
                self.final_rejections = final_rejections;
            }
        }
    }
}
