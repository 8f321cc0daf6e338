//! `/reports` (the admin and director, the auditor): the period's figures and three
//! charts the server draws as SVG — revenue by day, orders by status, the average check
//! by day. No script, nothing fetched: each bar or point names its value in a `<title>`.

use std::collections::HashMap;
use std::fmt::Write;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{Days, NaiveDate};

use super::i18n::Tr;
use super::session::Visitor;
use super::{page, Frame, PageError};
use crate::app::reports::{DayView, Period, SummaryView};
use crate::app::App;

/// Text for SVG or HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 8.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 18.0;

/// A day chart's opening: the SVG with its title, the top of the scale and the base line.
fn frame(title: &str, top: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    let _ = write!(
        s,
        r#"<text x="{LEFT}" y="12" class="axis">{}</text><line x1="{LEFT}" y1="{y}" x2="{x2}" y2="{y}" class="base"/>"#,
        esc(top),
        y = H - BOTTOM,
        x2 = W - LEFT
    );
    s
}

/// Vertical bars, one per day; every few days labelled under the axis.
pub fn day_bars(tr: Tr, title: &str, days: &[(NaiveDate, i64)], money: bool) -> String {
    let max = days.iter().map(|d| d.1).max().unwrap_or(0).max(1) as f64;
    let n = days.len().max(1) as f64;
    let slot = (W - LEFT * 2.0) / n;
    let plot = H - BOTTOM - TOP;
    let fmt = |v: i64| if money { tr.money(v) } else { v.to_string() };
    let mut s = frame(title, &fmt(max as i64));
    let every = (days.len() / 6).max(1);
    for (i, (date, v)) in days.iter().enumerate() {
        let h = (*v).max(0) as f64 / max * plot;
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let _ = write!(
            s,
            r#"<rect class="bar" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}"><title>{d}: {val}</title></rect>"#,
            y = H - BOTTOM - h,
            w = slot * 0.7,
            d = esc(&tr.date(date)),
            val = esc(&fmt(*v))
        );
        if i % every == 0 {
            let _ = write!(
                s,
                r#"<text x="{x:.1}" y="{y}" class="axis">{}</text>"#,
                date.format("%d.%m"),
                y = H - 6.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A line through the days that have a value; the others leave a gap.
pub fn day_line(tr: Tr, title: &str, days: &[(NaiveDate, i64)]) -> String {
    let max = days.iter().map(|d| d.1).max().unwrap_or(0).max(1) as f64;
    let n = days.len().max(2) as f64 - 1.0;
    let plot = H - BOTTOM - TOP;
    let x_of = |i: usize| LEFT + (W - LEFT * 2.0) * i as f64 / n;
    let y_of = |v: i64| H - BOTTOM - v as f64 / max * plot;
    let mut s = frame(title, &tr.money(max as i64));
    let points: Vec<(usize, i64)> = days
        .iter()
        .enumerate()
        .filter(|(_, d)| d.1 > 0)
        .map(|(i, d)| (i, d.1))
        .collect();
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .map(|(i, v)| format!("{:.1},{:.1}", x_of(*i), y_of(*v)))
            .collect();
        let _ = write!(s, r#"<polyline class="line" points="{}"/>"#, path.join(" "));
    }
    for (i, v) in &points {
        let _ = write!(
            s,
            r#"<circle class="dot" cx="{:.1}" cy="{:.1}" r="3.5"><title>{}: {}</title></circle>"#,
            x_of(*i),
            y_of(*v),
            esc(&tr.date(&days[*i].0)),
            esc(&tr.money(*v))
        );
    }
    let every = (days.len() / 6).max(1);
    for (i, (date, _)) in days.iter().enumerate().step_by(every) {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" class="axis">{}</text>"#,
            x_of(i),
            H - 6.0,
            date.format("%d.%m")
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars, one per status, labelled with its words and its count.
pub fn status_bars(tr: Tr, title: &str, by_status: &[(String, i64)]) -> String {
    let row = 26.0;
    let label = 190.0;
    let h = row * by_status.len().max(1) as f64 + 8.0;
    let max = by_status.iter().map(|s| s.1).max().unwrap_or(0).max(1) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {h}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, (status, n)) in by_status.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let w = (*n).max(0) as f64 / max * (W - label - 60.0);
        let words = esc(tr.status(status));
        let _ = write!(
            s,
            r#"<text x="0" y="{ty:.1}" class="label">{words}</text><rect class="bar" x="{label}" y="{y:.1}" width="{w:.1}" height="{bh}"><title>{words}: {n}</title></rect><text x="{tx:.1}" y="{ty:.1}" class="label">{n}</text>"#,
            ty = y + 15.0,
            bh = row - 8.0,
            tx = label + w + 6.0
        );
    }
    s.push_str("</svg>");
    s
}

#[derive(Template)]
#[template(path = "web/reports.html")]
struct Reports {
    f: Frame,
    from: String,
    to: String,
    error: Option<String>,
    s: Option<SummaryView>,
    revenue_chart: String,
    status_chart: String,
    check_chart: String,
}

/// The days of the period asked: `from` and `to` as typed, by default the 30 days up
/// to today.
fn period_of(
    q: &HashMap<String, String>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    let date = |k: &str| -> Result<Option<NaiveDate>, String> {
        match q.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| format!("{k}: «{s}» is not a date (YYYY-MM-DD)")),
        }
    };
    let to = date("to")?.unwrap_or(today);
    let from = date("from")?.unwrap_or_else(|| to.checked_sub_days(Days::new(29)).unwrap_or(to));
    Ok((from, to))
}

pub async fn reports(
    State(app): State<App>,
    v: Visitor,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let m = v.require()?;
    let actor = m.actor();
    crate::app::policy::authorize(&actor, crate::app::policy::Action::ReadReports)?;
    let tr = v.tr;
    let today = app.clock.now().date_naive();
    let mut out = Reports {
        f: Frame::of(&v),
        from: String::new(),
        to: String::new(),
        error: None,
        s: None,
        revenue_chart: String::new(),
        status_chart: String::new(),
        check_chart: String::new(),
    };
    let (from, to) = match period_of(&q, today) {
        Ok(p) => p,
        Err(e) => {
            out.error = Some(e);
            period_of(&HashMap::new(), today).expect("the default period")
        }
    };
    out.from = from.to_string();
    out.to = to.to_string();
    let period = || Period {
        from: Some(from),
        to: Some(to),
    };
    let (summary, days) = match (
        app.report_summary(&actor, period()).await,
        app.report_daily(&actor, period()).await,
    ) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(e), _) | (_, Err(e)) if e.is_refusal() => {
            out.error = Some(e.to_string());
            return page(out);
        }
        (Err(e), _) | (_, Err(e)) => return Err(e.into()),
    };
    let series = |f: fn(&DayView) -> i64| -> Vec<(NaiveDate, i64)> {
        days.iter().map(|d| (d.date, f(d))).collect()
    };
    out.revenue_chart = day_bars(
        tr,
        tr.t("reports.revenue_by_day"),
        &series(|d| d.revenue),
        true,
    );
    out.check_chart = day_line(
        tr,
        tr.t("reports.check_by_day"),
        &series(|d| d.average_check),
    );
    let statuses: Vec<(String, i64)> = summary
        .by_status
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    out.status_chart = status_bars(tr, tr.t("reports.by_status"), &statuses);
    out.s = Some(summary);
    page(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    #[test]
    fn the_charts_draw_one_mark_per_value_and_escape_their_words() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 12, n).unwrap();
        let days = [(d(1), 100_000), (d(2), 0), (d(3), 50_000)];
        let bars = day_bars(Tr(Lang::En), "Revenue <by day>", &days, true);
        assert_eq!(bars.matches("<rect").count(), 3);
        assert!(bars.contains("Revenue &lt;by day&gt;"));
        assert!(bars.contains("3 December 2026: 500.00 RUB"));
        let line = day_line(Tr(Lang::Ru), "Средний чек", &days);
        assert_eq!(line.matches("<circle").count(), 2, "the quiet day is a gap");
        assert!(line.contains("<polyline"));
        let st = status_bars(
            Tr(Lang::En),
            "By status",
            &[("completed".into(), 4), ("failed".into(), 1)],
        );
        assert_eq!(st.matches("<rect").count(), 2);
        assert!(st.contains(">4<"));
    }

    #[test]
    fn the_period_defaults_to_thirty_days_and_says_what_is_wrong() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let (from, to) = period_of(&HashMap::new(), today).unwrap();
        assert_eq!(
            (from, to),
            (NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(), today)
        );
        let mut q = HashMap::new();
        q.insert("from".to_string(), "yesterday".to_string());
        assert!(period_of(&q, today).unwrap_err().contains("from"));
    }
}
