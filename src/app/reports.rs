//! The director's reports (admin, auditor): money and orders over a period, and per day,
//! from the reports projection (`projections::reports`). Days are UTC dates; both ends of
//! a period are included.

use std::collections::BTreeMap;

use aggregates::Actor;
use chrono::{Days, NaiveDate};
use projections::reports::{self, DaySums};
use serde::Serialize;
use utoipa::ToSchema;

use super::policy::{self, Action};
use super::{App, AppError};

/// The longest period `GET /api/reports/daily` answers, in days.
pub const MAX_DAILY_DAYS: u64 = 366;
/// The period of the daily report when `from` is not given: this many days up to `to`.
pub const DEFAULT_DAILY_DAYS: u64 = 30;

/// A period of the reports: its first and last day, each included; `None`: unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Period {
    fn check(&self) -> Result<(), AppError> {
        if let (Some(f), Some(t)) = (self.from, self.to) {
            if t < f {
                return Err(AppError::Invalid(format!("to ({t}) is before from ({f})")));
            }
        }
        Ok(())
    }
}

/// The report over a period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportSummary)]
pub struct SummaryView {
    /// The first day counted (null: from the beginning).
    #[schema(required = true, value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// The last day counted (null: up to now).
    #[schema(required = true, value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// The orders' payments received less refunds, kopecks (the shop's sales are apart:
    /// `shop_revenue`; decision 021).
    pub revenue: i64,
    /// Ready-made works' purchases paid in the period, kopecks (not in `revenue`).
    pub shop_revenue: i64,
    /// Ready-made works' purchases paid in the period.
    #[schema(minimum = 0)]
    pub shop_sales: i64,
    /// Payments received (both halves, by hand or from the provider), kopecks.
    pub payments: i64,
    /// Refunds recorded, kopecks.
    pub refunds: i64,
    #[schema(minimum = 0)]
    pub orders_placed: i64,
    #[schema(minimum = 0)]
    pub orders_completed: i64,
    #[schema(minimum = 0)]
    pub orders_failed: i64,
    /// The mean price of the orders completed in the period, kopecks (rounded down; 0
    /// when none was).
    pub average_check: i64,
    /// Paid out to authors in the period, kopecks.
    pub payouts_total: i64,
    /// Credited to authors in the period (fees of completed orders, compensations).
    pub author_credits: i64,
    /// What the company owes its authors at the end of the period: everything credited
    /// up to then less everything paid out, kopecks.
    pub author_fees_owed: i64,
    /// The orders placed in the period, by their status now.
    pub by_status: BTreeMap<String, i64>,
    /// Stage time limits and deadlines breached in the period.
    #[schema(minimum = 0)]
    pub sla_breaches: i64,
    /// Revenue and the average check of individuals' and of companies' orders (each
    /// order counted as what its client's account was when it was placed).
    pub by_client_kind: ClientKinds,
    /// Loyalty points credited to clients in the period (cashback and referral shares;
    /// 1 point = 1 kopeck).
    #[schema(minimum = 0)]
    pub points_issued: i64,
    /// Points spent on first halves in the period, less the points that came back
    /// (their order failed).
    pub points_spent: i64,
    /// The points clients hold at the end of the period: everything issued up to then
    /// less everything spent (and not returned).
    pub points_outstanding: i64,
}

/// The orders' money split between individuals and companies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClientKinds {
    pub individual: KindFigures,
    pub corporate: KindFigures,
}

/// One kind of client's part of the orders' money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct KindFigures {
    /// Payments less refunds, kopecks.
    pub revenue: i64,
    /// Payments received, kopecks.
    pub payments: i64,
    /// Refunds recorded, kopecks.
    pub refunds: i64,
    #[schema(minimum = 0)]
    pub orders_completed: i64,
    /// The mean price of these orders completed, kopecks (rounded down; 0 when none was).
    pub average_check: i64,
}

impl ClientKinds {
    fn of(s: &DaySums) -> ClientKinds {
        let figures = |payments: i64, refunds: i64, completed: i64, value: i64| KindFigures {
            revenue: payments - refunds,
            payments,
            refunds,
            orders_completed: completed,
            average_check: average(value, completed),
        };
        ClientKinds {
            individual: figures(
                s.payments - s.payments_corporate,
                s.refunds - s.refunds_corporate,
                s.orders_completed - s.orders_completed_corporate,
                s.completed_value - s.completed_value_corporate,
            ),
            corporate: figures(
                s.payments_corporate,
                s.refunds_corporate,
                s.orders_completed_corporate,
                s.completed_value_corporate,
            ),
        }
    }
}

/// One day of the daily report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ReportDay)]
pub struct DayView {
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// The orders' payments less refunds, kopecks (not the shop's).
    pub revenue: i64,
    /// Ready-made works' purchases paid that day, kopecks.
    pub shop_revenue: i64,
    #[schema(minimum = 0)]
    pub shop_sales: i64,
    pub payments: i64,
    pub refunds: i64,
    #[schema(minimum = 0)]
    pub orders_placed: i64,
    #[schema(minimum = 0)]
    pub orders_completed: i64,
    pub average_check: i64,
    /// Paid out to authors that day, kopecks.
    pub payouts: i64,
    #[schema(minimum = 0)]
    pub sla_breaches: i64,
    /// That day's revenue and average check of individuals' and companies' orders.
    pub by_client_kind: ClientKinds,
    /// Loyalty points credited to clients that day.
    #[schema(minimum = 0)]
    pub points_issued: i64,
    /// Points spent on first halves that day, less the points that came back.
    pub points_spent: i64,
}

fn average(value: i64, count: i64) -> i64 {
    if count > 0 {
        value.div_euclid(count)
    } else {
        0
    }
}

impl DayView {
    fn of(date: NaiveDate, s: &DaySums) -> DayView {
        DayView {
            date,
            revenue: s.payments - s.refunds,
            shop_revenue: s.shop_revenue,
            shop_sales: s.shop_sales,
            payments: s.payments,
            refunds: s.refunds,
            orders_placed: s.orders_placed,
            orders_completed: s.orders_completed,
            average_check: average(s.completed_value, s.orders_completed),
            payouts: s.payouts,
            sla_breaches: s.sla_breaches,
            by_client_kind: ClientKinds::of(s),
            points_issued: s.points_issued,
            points_spent: s.points_spent - s.points_returned,
        }
    }
}

impl App {
    /// The report over `period`.
    pub async fn report_summary(
        &self,
        actor: &Actor,
        period: Period,
    ) -> Result<SummaryView, AppError> {
        policy::authorize(actor, Action::ReadReports)?;
        period.check()?;
        let s = reports::totals(&self.db, period.from, period.to).await?;
        let until = reports::totals(&self.db, None, period.to).await?;
        let by_status = reports::by_status(&self.db, period.from, period.to).await?;
        Ok(SummaryView {
            from: period.from,
            to: period.to,
            revenue: s.payments - s.refunds,
            shop_revenue: s.shop_revenue,
            shop_sales: s.shop_sales,
            payments: s.payments,
            refunds: s.refunds,
            orders_placed: s.orders_placed,
            orders_completed: s.orders_completed,
            orders_failed: s.orders_failed,
            average_check: average(s.completed_value, s.orders_completed),
            payouts_total: s.payouts,
            author_credits: s.author_credits,
            author_fees_owed: until.author_credits - until.payouts,
            by_status,
            sla_breaches: s.sla_breaches,
            by_client_kind: ClientKinds::of(&s),
            points_issued: s.points_issued,
            points_spent: s.points_spent - s.points_returned,
            points_outstanding: until.points_outstanding(),
        })
    }

    /// The report per day over `period`: every day of it, the quiet ones with zeros.
    /// Without `to`, up to today; without `from`, the [`DEFAULT_DAILY_DAYS`] up to `to`;
    /// at most [`MAX_DAILY_DAYS`] days.
    pub async fn report_daily(
        &self,
        actor: &Actor,
        period: Period,
    ) -> Result<Vec<DayView>, AppError> {
        policy::authorize(actor, Action::ReadReports)?;
        period.check()?;
        let to = period.to.unwrap_or_else(|| self.clock.now().date_naive());
        let from = match period.from {
            Some(f) => f,
            None => to
                .checked_sub_days(Days::new(DEFAULT_DAILY_DAYS - 1))
                .unwrap_or(NaiveDate::MIN),
        };
        if from > to {
            return Err(AppError::Invalid(format!(
                "from ({from}) is after today ({to})"
            )));
        }
        let span = u64::try_from((to - from).num_days()).unwrap_or(u64::MAX);
        if span >= MAX_DAILY_DAYS {
            return Err(AppError::Invalid(format!(
                "a daily report covers at most {MAX_DAILY_DAYS} days"
            )));
        }
        let rows = reports::days(&self.db, from, to).await?;
        let mut rows = rows.into_iter().peekable();
        let mut out = Vec::new();
        let mut day = from;
        while day <= to {
            let sums = match rows.peek() {
                Some(r) if r.date == day => rows.next().map(|r| r.sums).unwrap_or_default(),
                _ => DaySums::default(),
            };
            out.push(DayView::of(day, &sums));
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_check_rounds_down_and_is_zero_without_orders() {
        assert_eq!(average(250_001, 2), 125_000);
        assert_eq!(average(0, 0), 0);
        assert_eq!(average(100, 0), 0);
    }

    #[test]
    fn the_individuals_part_is_the_whole_less_the_companies() {
        let s = DaySums {
            payments: 500_000,
            refunds: 20_000,
            orders_completed: 3,
            completed_value: 400_001,
            payments_corporate: 300_000,
            refunds_corporate: 0,
            orders_completed_corporate: 1,
            completed_value_corporate: 250_000,
            ..DaySums::default()
        };
        let k = ClientKinds::of(&s);
        assert_eq!(k.corporate.revenue, 300_000);
        assert_eq!(k.corporate.average_check, 250_000);
        assert_eq!(k.individual.revenue, 180_000);
        assert_eq!(k.individual.orders_completed, 2);
        assert_eq!(k.individual.average_check, 75_000);
        assert_eq!(
            k.individual.revenue + k.corporate.revenue,
            s.payments - s.refunds
        );
    }

    #[test]
    fn a_period_ending_before_it_starts_is_refused() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert!(Period {
            from: d("2026-12-02"),
            to: d("2026-12-01")
        }
        .check()
        .is_err());
        assert!(Period {
            from: d("2026-12-01"),
            to: d("2026-12-01")
        }
        .check()
        .is_ok());
        assert!(Period::default().check().is_ok());
    }
}
