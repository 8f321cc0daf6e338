//! The settings services: the settings in force (`GET /api/settings`), an admin's partial
//! change (`PUT /api/settings`) and their history; and what the rest of the service reads
//! of them: a setting an admin set wins over the configuration, which gives the defaults.

use std::collections::BTreeMap;

use aggregates::order::OrderStatus;
use aggregates::settings::{Setting, SettingsCommand};
use aggregates::Actor;
use chrono::Duration;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::policy::{self, Action};
use super::{App, AppError, Ctx};

/// The payout threshold before an admin sets one: 1 000.00 RUB.
pub const DEFAULT_PAYOUT_THRESHOLD: i64 = 100_000;

/// The settings in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SettingsView {
    /// Kopecks: an author's balance at or above it is due for a payout.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub payout_threshold: i64,
    /// The author's fee when the manager sets none, in % of the price (rounded down to the
    /// kopeck).
    #[schema(minimum = 0, maximum = 100)]
    pub author_fee_percent: i64,
    /// How long after delivery a client may ask for a revision.
    #[schema(minimum = 1, maximum = 365)]
    pub guarantee_days: i64,
    /// How long an author has to take an offer (the configured default is shown in whole
    /// hours, rounded down).
    #[schema(minimum = 0, maximum = 720)]
    pub offer_ttl_hours: i64,
    /// The longest an order may stay in a status, in hours, by status code: only the
    /// statuses with a limit (`new` … `fully_ready`; `delivered` has its guarantee period).
    /// An order over it is flagged a problem.
    #[schema(value_type = BTreeMap<String, i64>, example = json!({"offered": 24, "draft_review": 4}))]
    pub stage_limits_hours: BTreeMap<String, i64>,
    /// The client's cashback on a completed order, in % of the money they paid for it,
    /// credited as points (1 point = 1 kopeck, rounded down).
    #[schema(minimum = 0, maximum = 100)]
    pub cashback_percent: i64,
    /// The referrer's share of a completed order of a client who registered through their
    /// link, in % of the money paid for it, credited as points.
    #[schema(minimum = 0, maximum = 100)]
    pub referral_percent: i64,
}

impl SettingsView {
    fn get(&self, s: Setting) -> i64 {
        if let Some(status) = s.limited_status() {
            return self
                .stage_limits_hours
                .get(status.as_str())
                .copied()
                .unwrap_or(0);
        }
        match s {
            Setting::PayoutThreshold => self.payout_threshold,
            Setting::AuthorFeePercent => self.author_fee_percent,
            Setting::GuaranteeDays => self.guarantee_days,
            Setting::OfferTtlHours => self.offer_ttl_hours,
            Setting::CashbackPercent => self.cashback_percent,
            Setting::ReferralPercent => self.referral_percent,
            _ => 0,
        }
    }

    fn set(&mut self, s: Setting, v: i64) {
        if let Some(status) = s.limited_status() {
            let key = status.as_str().to_string();
            if v > 0 {
                self.stage_limits_hours.insert(key, v);
            } else {
                self.stage_limits_hours.remove(&key);
            }
            return;
        }
        match s {
            Setting::PayoutThreshold => self.payout_threshold = v,
            Setting::AuthorFeePercent => self.author_fee_percent = v,
            Setting::GuaranteeDays => self.guarantee_days = v,
            Setting::OfferTtlHours => self.offer_ttl_hours = v,
            Setting::CashbackPercent => self.cashback_percent = v,
            Setting::ReferralPercent => self.referral_percent = v,
            _ => {}
        }
    }

    /// The stage limits in force, by status (only those set).
    pub fn stage_limits(&self) -> Vec<(OrderStatus, i64)> {
        OrderStatus::LIMITED
            .into_iter()
            .filter_map(|st| {
                let h = *self.stage_limits_hours.get(st.as_str())?;
                (h > 0).then_some((st, h))
            })
            .collect()
    }
}

/// One change of one setting.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SettingChangeView {
    /// When (RFC 3339).
    pub at: String,
    /// The setting's name, as in [`SettingsView`].
    #[schema(examples("payout_threshold"))]
    pub setting: String,
    /// The value before: the one set last, or the configured default.
    pub old: i64,
    pub new: i64,
    /// The admin who changed it.
    #[schema(required = true)]
    pub changed_by: Option<Uuid>,
}

/// The settings of stage limits given by status code (`{"offered": 24}`): a code that is
/// no status, or a status that takes no limit, is refused (422).
pub fn stage_limit_settings(
    limits: &BTreeMap<String, i64>,
) -> Result<BTreeMap<Setting, i64>, AppError> {
    limits
        .iter()
        .map(|(code, hours)| {
            OrderStatus::parse(code)
                .and_then(Setting::stage_limit)
                .map(|s| (s, *hours))
                .ok_or_else(|| {
                    AppError::Invalid(format!(
                        "stage_limits_hours: {code:?} is not a status with a time limit (one of {})",
                        OrderStatus::LIMITED.map(|s| s.as_str()).join(", ")
                    ))
                })
        })
        .collect()
}

impl App {
    /// The configured defaults of every setting.
    pub fn default_settings(&self) -> SettingsView {
        SettingsView {
            payout_threshold: DEFAULT_PAYOUT_THRESHOLD,
            author_fee_percent: i64::from(self.config.author_fee_percent),
            guarantee_days: i64::from(self.config.guarantee_days),
            offer_ttl_hours: self.config.offer_ttl.num_hours(),
            stage_limits_hours: BTreeMap::new(),
            cashback_percent: i64::from(self.config.cashback_percent),
            referral_percent: i64::from(self.config.referral_percent),
        }
    }

    /// The settings in force: those an admin set over the configured defaults. Read from
    /// the table, which a change is in before it is answered ([`App::change_settings`]).
    pub async fn current_settings(&self) -> Result<SettingsView, AppError> {
        let mut view = self.default_settings();
        for (s, v) in projections::settings::current(&self.db).await? {
            view.set(s, v);
        }
        Ok(view)
    }

    /// One setting in force.
    async fn setting(&self, s: Setting) -> Result<Option<i64>, AppError> {
        Ok(projections::settings::value_of(&self.db, s).await?)
    }

    /// The payout threshold in force.
    pub async fn payout_threshold(&self) -> Result<i64, AppError> {
        Ok(self
            .setting(Setting::PayoutThreshold)
            .await?
            .unwrap_or(DEFAULT_PAYOUT_THRESHOLD))
    }

    /// The author's fee when the manager sets none: the share in force of the price,
    /// rounded down to the kopeck.
    pub async fn default_author_fee(&self, price: i64) -> Result<i64, AppError> {
        let percent = self
            .setting(Setting::AuthorFeePercent)
            .await?
            .unwrap_or(i64::from(self.config.author_fee_percent));
        Ok(price.max(0).saturating_mul(percent) / 100)
    }

    /// The cashback share in force, in %.
    pub async fn cashback_percent(&self) -> Result<i64, AppError> {
        Ok(self
            .setting(Setting::CashbackPercent)
            .await?
            .unwrap_or(i64::from(self.config.cashback_percent)))
    }

    /// The referral share in force, in %.
    pub async fn referral_percent(&self) -> Result<i64, AppError> {
        Ok(self
            .setting(Setting::ReferralPercent)
            .await?
            .unwrap_or(i64::from(self.config.referral_percent)))
    }

    /// The guarantee period in force, in days.
    pub async fn guarantee_days(&self) -> Result<u32, AppError> {
        Ok(match self.setting(Setting::GuaranteeDays).await? {
            Some(days) => u32::try_from(days).unwrap_or(self.config.guarantee_days),
            None => self.config.guarantee_days,
        })
    }

    /// How long an offer runs, in force.
    pub async fn offer_ttl(&self) -> Result<Duration, AppError> {
        Ok(match self.setting(Setting::OfferTtlHours).await? {
            Some(hours) => Duration::hours(hours),
            None => self.config.offer_ttl,
        })
    }

    /// The settings in force (staff).
    pub async fn show_settings(&self, actor: &Actor) -> Result<SettingsView, AppError> {
        policy::authorize(actor, Action::ReadSettings)?;
        self.current_settings().await
    }

    /// An admin changes any of the settings (the others stay as they are); a value equal
    /// to the one in force changes nothing, a value out of range nothing at all (422).
    pub async fn change_settings_to(
        &self,
        ctx: &Ctx,
        values: BTreeMap<Setting, i64>,
    ) -> Result<SettingsView, AppError> {
        policy::authorize(&ctx.actor, Action::ManageSettings)?;
        let defaults = self.default_settings();
        let cmd = SettingsCommand::Change {
            values,
            defaults: Setting::ALL.iter().map(|&s| (s, defaults.get(s))).collect(),
            at: self.clock.now(),
        };
        self.change_settings(cmd, ctx).await?;
        self.current_settings().await
    }

    /// Every change of the settings, oldest first (admin, auditor).
    pub async fn settings_history(
        &self,
        actor: &Actor,
    ) -> Result<Vec<SettingChangeView>, AppError> {
        policy::authorize(actor, Action::ReadSettingsHistory)?;
        let rows = projections::settings::history(&self.db).await?;
        Ok(rows
            .into_iter()
            .map(|r| SettingChangeView {
                at: r.at,
                setting: r.name,
                old: r.old_value,
                new: r.new_value,
                changed_by: r.changed_by,
            })
            .collect())
    }
}
