use std::ops::RangeInclusive;

use chrono::{DateTime, Utc};

use crate::order::OrderStatus;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

/// A setting. Its wire name (`payout_threshold`) is also its name in events and tables,
/// and never changes once shipped. Every value is an integer; a setting with a value per
/// key (the stage limits, per status, to come) will be one setting per key
/// (`stage_limit_hours_<status>`), so the event and the tables keep their shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// Kopecks: an author's balance at or above it is due for a payout.
    PayoutThreshold,
    /// The author's fee when the manager sets none, in % of the price.
    AuthorFeePercent,
    /// How long after delivery a client may ask for a revision.
    GuaranteeDays,
    /// How long an author has to take an offer.
    OfferTtlHours,
    /// The longest an order may stay in one status, in hours (0: no limit); one setting
    /// per status of [`OrderStatus::LIMITED`], named `stage_limit_hours_<status>`.
    StageLimitHoursNew,
    StageLimitHoursOffered,
    StageLimitHoursAwaitingPrepayment,
    StageLimitHoursInProgress,
    StageLimitHoursDraftReview,
    StageLimitHoursHalfReady,
    StageLimitHoursRework,
    StageLimitHoursFinalReview,
    StageLimitHoursFullyReady,
    /// The client's cashback on a completed order, in % of what they paid for it in money
    /// (credited as points, 1 point = 1 kopeck).
    CashbackPercent,
    /// The referrer's share of a completed order of a client they invited, in % of what
    /// that client paid for it in money (credited as points).
    ReferralPercent,
}

impl Setting {
    pub const ALL: [Setting; 15] = [
        Setting::PayoutThreshold,
        Setting::AuthorFeePercent,
        Setting::GuaranteeDays,
        Setting::OfferTtlHours,
        Setting::StageLimitHoursNew,
        Setting::StageLimitHoursOffered,
        Setting::StageLimitHoursAwaitingPrepayment,
        Setting::StageLimitHoursInProgress,
        Setting::StageLimitHoursDraftReview,
        Setting::StageLimitHoursHalfReady,
        Setting::StageLimitHoursRework,
        Setting::StageLimitHoursFinalReview,
        Setting::StageLimitHoursFullyReady,
        Setting::CashbackPercent,
        Setting::ReferralPercent,
    ];

    /// The time limit setting of `status`, if it may be limited.
    pub fn stage_limit(status: OrderStatus) -> Option<Setting> {
        Setting::ALL
            .into_iter()
            .find(|s| s.limited_status() == Some(status))
    }

    /// The status a stage limit setting is about.
    pub fn limited_status(self) -> Option<OrderStatus> {
        use OrderStatus as S;
        Some(match self {
            Setting::StageLimitHoursNew => S::New,
            Setting::StageLimitHoursOffered => S::Offered,
            Setting::StageLimitHoursAwaitingPrepayment => S::AwaitingPrepayment,
            Setting::StageLimitHoursInProgress => S::InProgress,
            Setting::StageLimitHoursDraftReview => S::DraftReview,
            Setting::StageLimitHoursHalfReady => S::HalfReady,
            Setting::StageLimitHoursRework => S::Rework,
            Setting::StageLimitHoursFinalReview => S::FinalReview,
            Setting::StageLimitHoursFullyReady => S::FullyReady,
            Setting::PayoutThreshold
            | Setting::AuthorFeePercent
            | Setting::GuaranteeDays
            | Setting::OfferTtlHours
            | Setting::CashbackPercent
            | Setting::ReferralPercent => return None,
        })
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::PayoutThreshold => "payout_threshold",
            Setting::AuthorFeePercent => "author_fee_percent",
            Setting::GuaranteeDays => "guarantee_days",
            Setting::OfferTtlHours => "offer_ttl_hours",
            Setting::StageLimitHoursNew => "stage_limit_hours_new",
            Setting::StageLimitHoursOffered => "stage_limit_hours_offered",
            Setting::StageLimitHoursAwaitingPrepayment => "stage_limit_hours_awaiting_prepayment",
            Setting::StageLimitHoursInProgress => "stage_limit_hours_in_progress",
            Setting::StageLimitHoursDraftReview => "stage_limit_hours_draft_review",
            Setting::StageLimitHoursHalfReady => "stage_limit_hours_half_ready",
            Setting::StageLimitHoursRework => "stage_limit_hours_rework",
            Setting::StageLimitHoursFinalReview => "stage_limit_hours_final_review",
            Setting::StageLimitHoursFullyReady => "stage_limit_hours_fully_ready",
            Setting::CashbackPercent => "cashback_percent",
            Setting::ReferralPercent => "referral_percent",
        }
    }

    pub fn parse(s: &str) -> Option<Setting> {
        Setting::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The values it may take.
    pub fn range(self) -> RangeInclusive<i64> {
        match self {
            // Up to 10 000 000 RUB.
            Setting::PayoutThreshold => 1..=1_000_000_000,
            Setting::AuthorFeePercent | Setting::CashbackPercent | Setting::ReferralPercent => {
                0..=100
            }
            Setting::GuaranteeDays => 1..=365,
            // Up to 30 days.
            Setting::OfferTtlHours => 1..=720,
            // Up to a year; 0 is no limit.
            _ => 0..=8760,
        }
    }
}

/// One setting's change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingChange {
    pub setting: Setting,
    /// The value before: the one set last, or the configured default.
    pub old: i64,
    pub new: i64,
}

/// Everything that can happen to the settings. Type strings never change once shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SettingsEvent {
    /// An admin changed these settings (each really changed), at once.
    SettingsChanged {
        changes: Vec<SettingChange>,
        at: DateTime<Utc>,
    },
}

impl DomainEvent for SettingsEvent {
    fn event_type(&self) -> String {
        match self {
            SettingsEvent::SettingsChanged { .. } => "SettingsChanged",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
