//! `PUT /api/settings`: an admin changes any of the settings.

use std::collections::BTreeMap;

use aggregates::settings::Setting;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::app::policy::Action;
use crate::app::settings::SettingsView;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::extract::{Body, Caller};
use crate::http::openapi::{action, roles};

/// The settings to change; those left out stay as they are. A field this version does not
/// know is refused (400), never silently ignored.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SettingsChange)]
pub(crate) struct SettingsBody {
    /// Kopecks: 1..=1 000 000 000.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    payout_threshold: Option<i64>,
    /// 0..=100.
    #[schema(minimum = 0, maximum = 100)]
    author_fee_percent: Option<i64>,
    /// 1..=365.
    #[schema(minimum = 1, maximum = 365)]
    guarantee_days: Option<i64>,
    /// 1..=720.
    #[schema(minimum = 1, maximum = 720)]
    offer_ttl_hours: Option<i64>,
    /// Stage time limits by status code, in hours (0..=8760; 0 removes the limit); the
    /// statuses left out keep theirs. `new` … `fully_ready`; any other key is refused (422).
    #[schema(value_type = Option<BTreeMap<String, i64>>, example = json!({"offered": 24, "draft_review": 4}))]
    stage_limits_hours: Option<BTreeMap<String, i64>>,
    /// The client's cashback on a completed order, in % of the money paid: 0..=100.
    #[schema(minimum = 0, maximum = 100)]
    cashback_percent: Option<i64>,
    /// The referrer's share of an invited client's completed order, in %: 0..=100.
    #[schema(minimum = 0, maximum = 100)]
    referral_percent: Option<i64>,
}

/// Change settings
///
/// A partial update: only the settings given change, and only those whose value differs
/// from the one in force are recorded (one `SettingsChanged` event with each old and new
/// value; none when nothing changes). A value out of range changes nothing (422).
#[utoipa::path(
    put,
    path = "/api/settings",
    tag = "settings",
    operation_id = "changeSettings",
    extensions(("x-roles" = json!(roles(Action::ManageSettings))), ("x-action" = json!(action(Action::ManageSettings)))),
    request_body = SettingsBody,
    responses(
        (status = 200, description = "the settings now in force", body = SettingsView),
        (status = 422, description = "a value out of its range"),
    ),
)]
pub(super) async fn set(
    State(app): State<App>,
    caller: Caller,
    Body(b): Body<SettingsBody>,
) -> Result<Json<SettingsView>, ApiError> {
    let mut values: BTreeMap<Setting, i64> = [
        (Setting::PayoutThreshold, b.payout_threshold),
        (Setting::AuthorFeePercent, b.author_fee_percent),
        (Setting::GuaranteeDays, b.guarantee_days),
        (Setting::OfferTtlHours, b.offer_ttl_hours),
        (Setting::CashbackPercent, b.cashback_percent),
        (Setting::ReferralPercent, b.referral_percent),
    ]
    .into_iter()
    .filter_map(|(s, v)| v.map(|v| (s, v)))
    .collect();
    if let Some(limits) = &b.stage_limits_hours {
        values.extend(crate::app::settings::stage_limit_settings(limits)?);
    }
    Ok(Json(app.change_settings_to(&caller.ctx(), values).await?))
}
