//! Given/when/then tests of the `Settings` aggregate.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 1, 12, 0, 0).unwrap()
}

fn given(events: Vec<SettingsEvent>) -> AggregateTestExecutor<Settings> {
    TestFramework::<Settings>::with(()).given(events)
}

fn defaults() -> BTreeMap<Setting, i64> {
    BTreeMap::from([
        (Setting::PayoutThreshold, 100_000),
        (Setting::AuthorFeePercent, 50),
        (Setting::GuaranteeDays, 14),
        (Setting::OfferTtlHours, 24),
    ])
}

fn change(values: &[(Setting, i64)]) -> SettingsCommand {
    SettingsCommand::Change {
        values: values.iter().copied().collect(),
        defaults: defaults(),
        at: now(),
    }
}

fn changed(changes: &[(Setting, i64, i64)]) -> SettingsEvent {
    SettingsEvent::SettingsChanged {
        changes: changes
            .iter()
            .map(|&(setting, old, new)| SettingChange { setting, old, new })
            .collect(),
        at: now(),
    }
}

#[tokio::test]
async fn a_first_change_names_the_default_it_replaces() {
    given(vec![])
        .when_async(change(&[(Setting::PayoutThreshold, 50_000)]))
        .await
        .then_expect_events(vec![changed(&[(
            Setting::PayoutThreshold,
            100_000,
            50_000,
        )])]);
}

#[tokio::test]
async fn only_real_changes_are_recorded_in_one_event() {
    let history = vec![changed(&[(Setting::PayoutThreshold, 100_000, 50_000)])];
    given(history.clone())
        .when_async(change(&[
            (Setting::PayoutThreshold, 50_000),
            (Setting::AuthorFeePercent, 40),
            (Setting::GuaranteeDays, 14),
        ]))
        .await
        .then_expect_events(vec![changed(&[(Setting::AuthorFeePercent, 50, 40)])]);
    given(history.clone())
        .when_async(change(&[(Setting::PayoutThreshold, 50_000)]))
        .await
        .then_expect_events(vec![]);
    given(history)
        .when_async(change(&[]))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn a_value_out_of_range_changes_nothing() {
    for (setting, bad, min, max) in [
        (Setting::PayoutThreshold, 0, 1, 1_000_000_000),
        (Setting::AuthorFeePercent, 101, 0, 100),
        (Setting::GuaranteeDays, 0, 1, 365),
        (Setting::OfferTtlHours, 721, 1, 720),
        (Setting::CashbackPercent, 101, 0, 100),
        (Setting::CashbackPercent, -1, 0, 100),
        (Setting::ReferralPercent, 101, 0, 100),
    ] {
        given(vec![])
            .when_async(change(&[(Setting::AuthorFeePercent, 30), (setting, bad)]))
            .await
            .then_expect_error(SettingsError::OutOfRange { setting, min, max });
    }
}

#[test]
fn the_state_holds_the_last_value_of_each_setting() {
    use cqrs_es::Aggregate;
    let mut settings = Settings::default();
    settings.apply(changed(&[(Setting::PayoutThreshold, 100_000, 50_000)]));
    settings.apply(changed(&[
        (Setting::PayoutThreshold, 50_000, 70_000),
        (Setting::OfferTtlHours, 24, 2),
    ]));
    assert_eq!(
        settings.values.get(&Setting::PayoutThreshold),
        Some(&70_000)
    );
    assert_eq!(settings.values.get(&Setting::OfferTtlHours), Some(&2));
    assert_eq!(settings.values.get(&Setting::GuaranteeDays), None);
    for s in Setting::ALL {
        assert_eq!(Setting::parse(s.as_str()), Some(s));
    }
}

#[test]
fn every_limited_status_has_its_stage_limit_setting_named_after_it() {
    use crate::order::OrderStatus;
    for status in OrderStatus::LIMITED {
        let s = Setting::stage_limit(status).expect("a setting");
        assert_eq!(s.as_str(), format!("stage_limit_hours_{status}"));
        assert_eq!(s.limited_status(), Some(status));
        // The wire name is the serde name: events and tables agree.
        assert_eq!(
            serde_json::to_value(s).unwrap(),
            serde_json::json!(s.as_str())
        );
        assert_eq!(s.range(), 0..=8760);
    }
    assert_eq!(Setting::stage_limit(OrderStatus::Delivered), None);
    assert_eq!(Setting::stage_limit(OrderStatus::Completed), None);
    assert_eq!(Setting::PayoutThreshold.limited_status(), None);
}

#[tokio::test]
async fn the_loyalty_shares_are_plain_percent_settings() {
    assert_eq!(
        Setting::parse("cashback_percent"),
        Some(Setting::CashbackPercent)
    );
    assert_eq!(
        Setting::parse("referral_percent"),
        Some(Setting::ReferralPercent)
    );
    assert_eq!(Setting::CashbackPercent.limited_status(), None);
    let mut defaults = defaults();
    defaults.insert(Setting::CashbackPercent, 5);
    defaults.insert(Setting::ReferralPercent, 3);
    given(vec![])
        .when_async(SettingsCommand::Change {
            values: [(Setting::CashbackPercent, 0), (Setting::ReferralPercent, 3)]
                .into_iter()
                .collect(),
            defaults,
            at: now(),
        })
        .await
        .then_expect_events(vec![changed(&[(Setting::CashbackPercent, 5, 0)])]);
}
