//! The study as one self-contained HTML page (`index.html`): no scripts, no
//! network, plots inline as SVG, every figure captioned with what it counts.

use std::fmt::Write;

use chartlens_stats::bass_cdf;
use chrono::NaiveDate;

use super::svg::{self, LineChart, Series, Style, XAxis, escape};
use super::{
    RobustnessTable, best_result, best_robustness, estimate, leads, measure_rows, most_diverse,
    n_of, n_used, number, robustness_table,
};
use chartlens_study::Report;
use chartlens_study::claim::ClaimKind;
use chartlens_study::measure::{ChartMeasures, Headline, Verdict};
use chartlens_study::robust::Stability;

const STYLE: &str = "
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:960px;padding:1.5rem;color:#1a1a1a;line-height:1.45}
h1{font-size:1.8rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.8rem 0;font-size:.88rem;width:100%}
th,td{border:1px solid #ddd;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:.7rem;font-weight:600;font-size:.85rem}
.supported{background:#d8f0dd;color:#145a24}.contradicted{background:#f8d7d7;color:#7a1616}
.inconclusive{background:#fff1c7;color:#6b4e00}.unanswered{background:#e6e6e6;color:#444}
.mixed{background:#e8dcf5;color:#4a2574}.robust{background:#d8f0dd;color:#145a24}.fragile{background:#f8d7d7;color:#7a1616}
.simulated{background:#fff1c7;border:2px solid #e0b000;padding:.7rem 1rem;font-weight:600}
figure{margin:1.4rem 0}figcaption{font-size:.88rem;color:#444;margin-top:.3rem}
.note{color:#555;font-size:.9rem}details{margin:.6rem 0}summary{cursor:pointer;font-weight:600}
";

/// Renders the whole page.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let w = &mut out;
    let title = escape(&report.title);
    let _ = write!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    if let Some(sim) = &report.simulated {
        let _ = writeln!(
            w,
            "<p class=\"simulated\">Simulated data: {}</p>",
            escape(sim)
        );
    }
    let (a, b) = (&report.cohorts[0], &report.cohorts[1]);
    let _ = writeln!(
        w,
        "<p>This report tests claims that <strong>{}</strong> (first) does more than \
         <strong>{}</strong> (second), on {}. Each claim is measured on every chart on its \
         own, never pooled. chartlens {}.</p>",
        escape(a),
        escape(b),
        escape(&report.filters),
        report.chartlens_version
    );
    verdicts(w, report);
    figures(w, report);
    claims(w, report);
    charts(w, report);
    methods(w, report);
    let _ = writeln!(w, "</body>\n</html>");
    out
}

fn badge(verdict: Verdict) -> String {
    format!("<span class=\"badge {0}\">{0}</span>", verdict.as_str())
}

fn headline_badge(verdict: Headline) -> String {
    format!("<span class=\"badge {0}\">{0}</span>", verdict.as_str())
}

/// A verdict's robustness: a badge, and for fragile ones the flipping checks.
fn robustness_badge(r: &chartlens_study::robust::Robustness) -> String {
    let class = match r.status {
        Stability::Robust => "robust",
        Stability::Fragile => "fragile",
        Stability::NotAssessed => "unanswered",
    };
    let text = escape(&r.summary());
    format!("<span class=\"badge {class}\">{text}</span>")
}

fn verdicts(w: &mut String, report: &Report) {
    let _ = writeln!(
        w,
        "<h2>Verdicts</h2>\n<p class=\"note\">{} Intervals: {} resamples, seed {}, level {}. {}</p>",
        escape(report.verdict_rule),
        report.bootstrap.resamples,
        report.bootstrap.seed,
        report.bootstrap.level,
        escape(report.bootstrap.method)
    );
    let _ = writeln!(
        w,
        "<table><tr><th>#</th><th>Claim</th><th>Verdict</th><th>Robustness (best chart)</th>\
         <th>Best chart</th><th>First [95% CI]</th><th>Second [95% CI]</th>\
         <th>Difference [95% CI]</th><th>Every chart</th></tr>"
    );
    for claim in &report.claims {
        let best = best_result(claim);
        let every: Vec<String> = claim
            .results
            .iter()
            .map(|r| {
                let robust = match r.robustness.status {
                    Stability::NotAssessed => String::new(),
                    Stability::Robust | Stability::Fragile => {
                        format!(" {}", robustness_badge(&r.robustness))
                    }
                };
                format!("{}: {}{robust}", escape(&r.chart), badge(r.verdict))
            })
            .collect();
        let _ = writeln!(
            w,
            "<tr><td>{}</td><td><a href=\"#claim-{0}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"num\"><small>{}</small> {}</td><td class=\"num\"><small>{}</small> {}</td>\
             <td class=\"num\">{}</td><td>{}</td></tr>",
            claim.number,
            escape(&claim.claim),
            headline_badge(claim.verdict),
            escape(&best_robustness(claim)),
            escape(claim.best_chart.as_deref().unwrap_or("–")),
            escape(&claim.columns[0]),
            estimate(best.and_then(|r| r.first.as_ref()), 3),
            escape(&claim.columns[1]),
            estimate(best.and_then(|r| r.second.as_ref()), 3),
            estimate(best.and_then(|r| r.difference.as_ref()), 3),
            if every.is_empty() {
                "–".to_string()
            } else {
                every.join("<br>")
            },
        );
    }
    let _ = writeln!(w, "</table>");
}

/// The chart a figure shows: the best chart of a claim, else the chart with
/// the most markets.
fn chart_for(report: &Report, kind: ClaimKind) -> Option<&ChartMeasures> {
    let best = report
        .claims
        .iter()
        .find(|c| c.kind == kind)
        .and_then(|c| c.best_chart.as_ref());
    best.and_then(|b| report.charts.iter().find(|c| &c.chart == b))
        .or_else(|| report.charts.iter().max_by_key(|c| c.markets.len()))
}

fn figure(w: &mut String, svg: String, caption: &str) {
    let _ = writeln!(
        w,
        "<figure>{svg}<figcaption>{}</figcaption></figure>",
        escape(caption)
    );
}

fn day_of(text: &str) -> Option<f64> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    Some((date - epoch).num_days() as f64)
}

fn figures(w: &mut String, report: &Report) {
    let _ = writeln!(w, "<h2>Figures</h2>");
    let cohorts = &report.cohorts;
    // Cohort share of charts over time, one plot per chart.
    for chart in &report.charts {
        let series: Vec<Series> = cohorts
            .iter()
            .enumerate()
            .filter_map(|(i, cohort)| {
                let s = report
                    .share_by_month
                    .iter()
                    .find(|s| s.chart == chart.chart && &s.cohort == cohort)?;
                Some(Series {
                    name: cohort.clone(),
                    points: s
                        .points
                        .iter()
                        .filter(|(m, _)| !s.partial.contains(m))
                        .filter_map(|(m, v)| Some((day_of(m)?, *v)))
                        .collect(),
                    style: Style::Line,
                    color: i,
                    band: Vec::new(),
                })
            })
            .collect();
        let plot = LineChart {
            title: format!("Cohort share of chart entries per month: {}", chart.chart),
            x_label: "Month".into(),
            y_label: "% of entries".into(),
            x_axis: XAxis::Date,
            series,
            y_range: None,
            x_log: false,
        };
        let partial: std::collections::BTreeSet<&String> = report
            .share_by_month
            .iter()
            .filter(|s| s.chart == chart.chart)
            .flat_map(|s| &s.partial)
            .collect();
        let partial_text = if partial.is_empty() {
            "Every month shown is wholly covered by the data.".to_string()
        } else {
            let months: Vec<&str> = partial.iter().map(|m| &m[..m.len().min(7)]).collect();
            format!(
                "Months only partly covered by the data ({}) are left out.",
                months.join(", ")
            )
        };
        figure(
            w,
            svg::line_chart(&plot),
            &format!(
                "Share of {}'s entries (all its markets, GLOBAL included) whose primary artist \
                 is in each cohort, per calendar month. Entries of artists in no cohort count \
                 in the denominator. {partial_text}",
                chart.chart
            ),
        );
    }
    // Breadth distributions.
    if let Some(chart) = chart_for(report, ClaimKind::Reach) {
        let series = chart
            .cohorts
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let n = m.breadth.len() as f64;
                // Share with at least x markets: 100% from the smallest
                // breadth, then one artist less after each artist's breadth.
                let first = m.breadth.first().map(|&b| (b as f64, 100.0));
                let steps =
                    m.breadth.iter().enumerate().map(|(k, &markets)| {
                        ((markets + 1) as f64, 100.0 * (n - k as f64 - 1.0) / n)
                    });
                Series {
                    name: format!("{} ({} artists)", m.cohort, m.breadth.len()),
                    points: first.into_iter().chain(steps).collect(),
                    style: Style::Step,
                    color: i,
                    band: Vec::new(),
                }
            })
            .collect();
        let plot = LineChart {
            title: format!("Breadth distribution: {}", chart.chart),
            x_label: "Markets reached (at least)".into(),
            y_label: "% of the cohort's artists".into(),
            x_axis: XAxis::Number,
            series,
            y_range: Some((0.0, 100.0)),
            x_log: false,
        };
        figure(
            w,
            svg::line_chart(&plot),
            &format!(
                "Share of each cohort's charting artists that reached at least x markets on {} \
                 (GLOBAL not counted). One point per artist.",
                chart.chart
            ),
        );
    }
    // Diffusion curves with their Bass fits.
    if let Some(chart) = chart_for(report, ClaimKind::Spread) {
        let mut series = Vec::new();
        for (i, m) in chart.cohorts.iter().enumerate() {
            series.push(Series {
                name: format!("{} observed ({} tracks)", m.cohort, m.curve_tracks),
                points: m
                    .curve
                    .iter()
                    .enumerate()
                    .map(|(t, y)| ((t + 1) as f64, 100.0 * y))
                    .collect(),
                style: Style::Points,
                color: i,
                band: Vec::new(),
            });
            // A fit at a bound of its range is no estimate: not drawn.
            if let Some(bass) = m.bass.as_ref().filter(|b| b.at_bound.is_none()) {
                series.push(Series {
                    name: format!(
                        "{} Bass p={:.4} q={:.3}",
                        m.cohort, bass.p.estimate, bass.q.estimate
                    ),
                    points: (0..=4 * m.curve.len())
                        .map(|k| {
                            let t = k as f64 / 4.0;
                            (
                                t,
                                100.0 * bass.m * bass_cdf(t, bass.p.estimate, bass.q.estimate),
                            )
                        })
                        .collect(),
                    style: Style::Dashed,
                    color: i,
                    band: Vec::new(),
                });
            }
        }
        let plot = LineChart {
            title: format!("Diffusion curves: {}", chart.chart),
            x_label: "Weeks since the track's first chart entry".into(),
            y_label: "% of other markets entered".into(),
            x_axis: XAxis::Number,
            series,
            y_range: None,
            x_log: false,
        };
        figure(
            w,
            svg::line_chart(&plot),
            &format!(
                "Mean share of the other {} markets of {} that a cohort's tracks entered within \
                 t weeks of their first entry (points), over tracks whose first {} weeks are in \
                 the data, and the fitted Bass curve m·F(t) (dashed).{}",
                chart.markets.len().saturating_sub(1),
                chart.chart,
                chart.horizon_weeks,
                chart
                    .cohorts
                    .iter()
                    .filter_map(|m| {
                        let bound = m.bass.as_ref()?.at_bound.as_ref()?;
                        Some(format!(
                            " {}'s fit is not drawn: {bound} of its search range, no estimate.",
                            m.cohort
                        ))
                    })
                    .collect::<String>()
            ),
        );
    }
    // Tile-grid maps of each cohort's share per market, on one colour scale.
    if let Some(chart) = report.charts.iter().max_by_key(|c| c.markets.len()) {
        let shared_max = report
            .share_by_market
            .iter()
            .filter(|s| s.chart == chart.chart && cohorts.contains(&s.cohort))
            .flat_map(|s| s.points.iter().filter(|(m, _)| m != "GLOBAL").map(|p| p.1))
            .fold(0.0, f64::max);
        for cohort in cohorts {
            let values: Vec<(String, Option<f64>)> = report
                .share_by_market
                .iter()
                .find(|s| s.chart == chart.chart && &s.cohort == cohort)
                .map(|s| {
                    chart
                        .markets
                        .iter()
                        .map(|m| {
                            let v = s.points.iter().find(|(g, _)| g == m).map_or(0.0, |p| p.1);
                            (m.clone(), Some(v))
                        })
                        .collect()
                })
                // A cohort without entries here holds 0% of every market.
                .unwrap_or_else(|| {
                    chart
                        .markets
                        .iter()
                        .map(|m| (m.clone(), Some(0.0)))
                        .collect()
                });
            figure(
                w,
                svg::tile_map(
                    &format!(
                        "{cohort} share of chart entries per market: {}",
                        chart.chart
                    ),
                    &values,
                    "% of entries",
                    Some(shared_max).filter(|m| *m > 0.0),
                ),
                &format!(
                    "Share of each market's {} entries, over the whole period, whose primary \
                     artist is {cohort}. Grey: market not in the data. Both cohorts' maps share \
                     one colour scale, 0 to {shared_max:.1}%.",
                    chart.chart
                ),
            );
        }
    }
    // Every cohort's share of every market, as stacked bars.
    if let Some(chart) = report.charts.iter().max_by_key(|c| c.markets.len()) {
        // The compared cohorts first, so they keep their colours.
        let mut series: Vec<&chartlens_study::ShareSeries> = report
            .share_by_market
            .iter()
            .filter(|s| s.chart == chart.chart)
            .collect();
        series.sort_by_key(|s| {
            let rank = cohorts.iter().position(|c| c == &s.cohort);
            (rank.unwrap_or(cohorts.len()), s.cohort == "none")
        });
        let categories: Vec<String> = series.iter().map(|s| s.cohort.clone()).collect();
        let share = |s: &chartlens_study::ShareSeries, market: &str| {
            s.points
                .iter()
                .find(|(m, _)| m == market)
                .map_or(0.0, |p| p.1)
        };
        let mut rows: Vec<(String, Vec<f64>)> = chart
            .markets
            .iter()
            .map(|m| (m.clone(), series.iter().map(|s| share(s, m)).collect()))
            .collect();
        let first = categories.iter().position(|c| c == &cohorts[0]);
        if let Some(k) = first {
            rows.sort_by(|a, b| b.1[k].total_cmp(&a.1[k]).then(a.0.cmp(&b.0)));
        }
        figure(
            w,
            svg::stacked_bars(
                &format!("Cohort shares of each market's chart: {}", chart.chart),
                &categories,
                &rows,
            ),
            &format!(
                "Share of each market's {} entries by the cohort of the primary artist \
                 (none: in no cohort or not resolved), markets ordered by the {} share.",
                chart.chart, cohorts[0]
            ),
        );
    }
    // Survival curves.
    if let Some(chart) = chart_for(report, ClaimKind::Reach) {
        let unit = if chart.cadence_days == 7 {
            "weeks"
        } else if chart.cadence_days == 1 {
            "days"
        } else {
            "periods"
        };
        let series = chart
            .cohorts
            .iter()
            .enumerate()
            .map(|(i, m)| Series {
                name: format!("{} ({} runs)", m.cohort, m.runs),
                points: std::iter::once((0.0, 100.0))
                    .chain(m.survival.iter().map(|&(t, s)| (f64::from(t), 100.0 * s)))
                    .collect(),
                style: Style::Step,
                color: i,
                band: Vec::new(),
            })
            .collect();
        let plot = LineChart {
            title: format!("Chart survival: {}", chart.chart),
            x_label: format!("Consecutive chart {unit} since entry"),
            y_label: "% of runs still on the chart".into(),
            x_axis: XAxis::Number,
            series,
            y_range: Some((0.0, 100.0)),
            x_log: false,
        };
        figure(
            w,
            svg::line_chart(&plot),
            &format!(
                "Kaplan-Meier estimate of the share of first runs (one per track and market) \
                 still on {}'s chart after k published {unit}; runs still on at the end of the \
                 data are censored, runs already on at its start are left out.",
                chart.chart
            ),
        );
    }
    // Differences per claim and chart: one panel per claim, so that each
    // axis has one unit.
    for claim in &report.claims {
        let rows: Vec<svg::Interval> = claim
            .results
            .iter()
            .filter_map(|r| {
                let d = r.difference.as_ref()?;
                Some(svg::Interval {
                    label: r.chart.clone(),
                    estimate: d.estimate,
                    low: d.low,
                    high: d.high,
                    color: usize::from(claim.number) - 1,
                })
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let unit = claim.kind.unit();
        figure(
            w,
            svg::intervals(
                &format!("Claim {}: difference per chart", claim.number),
                &format!("Difference, {unit}"),
                &rows,
                Some(0.0),
            ),
            &format!(
                "Claim {}: {} Each row: one chart that answers it, the estimate and its 95% \
                 bootstrap interval, in {unit}; charts where it is unanswered are not drawn.",
                claim.number, claim.claim
            ),
        );
    }
    network_figures(w, report);
}

/// The backbone of lead markets per chart, and the convergence of markets'
/// charts by year.
fn network_figures(w: &mut String, report: &Report) {
    let charts: std::collections::BTreeSet<&String> =
        report.backbone.iter().map(|e| &e.chart).collect();
    for chart in charts {
        let edges: Vec<svg::Edge> = report
            .backbone
            .iter()
            .filter(|e| &e.chart == chart)
            .map(|e| svg::Edge::backbone(&e.from, &e.market, u64::from(e.tracks), e.share))
            .collect();
        figure(
            w,
            svg::network(&format!("Backbone of lead markets: {chart}"), &edges),
            "For each market, an arrow from the market that was most often the last one a \
             track charted in before it (lead network, backbone). Thicker: a larger share of \
             the tracks entering the market after another. Leading is an order of chart \
             entry, not proof of influence.",
        );
    }
    let series: Vec<Series> = {
        let charts: std::collections::BTreeSet<&String> =
            report.convergence.iter().map(|r| &r.chart).collect();
        charts
            .into_iter()
            .enumerate()
            .map(|(i, chart)| {
                let rows: Vec<_> = report
                    .convergence
                    .iter()
                    .filter(|r| &r.chart == chart && r.mean_jaccard.is_some())
                    .collect();
                Series {
                    name: chart.clone(),
                    points: rows
                        .iter()
                        .filter_map(|r| Some((r.year as f64, r.mean_jaccard?)))
                        .collect(),
                    style: Style::Line,
                    color: i,
                    band: rows
                        .iter()
                        .filter_map(|r| Some((r.year as f64, r.low?, r.high?)))
                        .collect(),
                }
            })
            .collect()
    };
    if !series.is_empty() {
        let plot = LineChart {
            title: "Convergence: mean overlap of markets' charts by year".into(),
            x_label: "Year".into(),
            y_label: "Mean Jaccard".into(),
            x_axis: XAxis::Number,
            series,
            y_range: None,
            x_log: false,
        };
        figure(
            w,
            svg::line_chart(&plot),
            "Mean Jaccard overlap of the tracks charting in each pair of markets within a \
             calendar year (markets publishing charts in at least half of the year's periods), \
             with its 95% bootstrap band over markets: up means markets' charts grow alike \
             (convergence), down that they diverge. A year only partly covered turns over \
             fewer tracks: read its point with care.",
        );
    }
}

fn claims(w: &mut String, report: &Report) {
    let _ = writeln!(w, "<h2>Claims</h2>");
    for claim in &report.claims {
        let _ = writeln!(
            w,
            "<h3 id=\"claim-{}\">{}. {} {}</h3>\n<p>{} <span class=\"note\">(metric: {}; \
             needs {})</span></p>\n<p>{}</p>",
            claim.number,
            claim.number,
            escape(&claim.claim),
            headline_badge(claim.verdict),
            escape(&claim.statistic),
            escape(claim.metric),
            escape(claim.needs),
            escape(&claim.best_reason)
        );
        if !claim.results.is_empty() {
            let _ = writeln!(
                w,
                "<table><tr><th>Chart</th><th>{}</th><th>{}</th><th>Difference</th>\
                 <th>n compared</th><th>Verdict</th><th>Robustness</th><th>Note</th></tr>",
                escape(&claim.columns[0]),
                escape(&claim.columns[1])
            );
            for r in &claim.results {
                let n = n_of;
                let _ = writeln!(
                    w,
                    "<tr><td>{}</td><td class=\"num\">{}{}</td><td class=\"num\">{}{}</td>\
                     <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td>\
                     <td>{}</td></tr>",
                    escape(&r.chart),
                    estimate(r.first.as_ref(), 3),
                    n(r.first.as_ref()),
                    estimate(r.second.as_ref(), 3),
                    n(r.second.as_ref()),
                    estimate(r.difference.as_ref(), 3),
                    n_used(r),
                    badge(r.verdict),
                    robustness_badge(&r.robustness),
                    escape(&r.note)
                );
            }
            let _ = writeln!(w, "</table>");
            if let Some(RobustnessTable { labels, rows }) = robustness_table(claim) {
                let _ = write!(w, "<table class=\"checks\"><tr><th>Robustness check</th>");
                for label in labels {
                    let _ = write!(w, "<th>{}</th>", escape(label));
                }
                let _ = writeln!(w, "</tr>");
                for (chart, cells) in rows {
                    let _ = write!(w, "<tr><td>{}</td>", escape(chart));
                    for cell in cells {
                        let _ = write!(w, "<td>{}</td>", escape(&cell));
                    }
                    let _ = writeln!(w, "</tr>");
                }
                let _ = writeln!(w, "</table>");
            }
        }
        let _ = writeln!(w, "<ul class=\"note\">");
        for caveat in &claim.caveats {
            let _ = writeln!(w, "<li>{}</li>", escape(caveat));
        }
        let _ = writeln!(w, "</ul>");
    }
}

fn charts(w: &mut String, report: &Report) {
    let _ = writeln!(
        w,
        "<h2>Charts and measures</h2>\n<table><tr><th>Chart</th><th>Markets</th><th>From</th>\
         <th>To</th><th>Period (days)</th><th>Entries</th><th>Classified</th><th>GLOBAL</th></tr>"
    );
    for c in &report.charts {
        let _ = writeln!(
            w,
            "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{:.1}%</td><td>{}</td></tr>",
            escape(&c.chart),
            c.markets.len(),
            c.first_date,
            c.last_date,
            c.cadence_days,
            c.entries,
            c.classified_pct,
            if c.has_global { "yes" } else { "no" }
        );
    }
    let _ = writeln!(w, "</table>");
    for c in &report.charts {
        let _ = writeln!(
            w,
            "<details open><summary>Measures on {}</summary>\n<table><tr><th>Measure</th>",
            escape(&c.chart)
        );
        for m in &c.cohorts {
            let _ = write!(w, "<th>{}</th>", escape(&m.cohort));
        }
        let _ = writeln!(w, "</tr>");
        for (label, cells) in measure_rows(&c.cohorts) {
            let _ = write!(w, "<tr><td>{}</td>", escape(label));
            for cell in cells {
                let _ = write!(w, "<td class=\"num\">{}</td>", escape(&cell));
            }
            let _ = writeln!(w, "</tr>");
        }
        let _ = writeln!(w, "</table>");
        for m in &c.cohorts {
            let _ = writeln!(
                w,
                "<p>Lead markets of {} (tracks entering there first, of uncensored tracks \
                 reaching 2+ markets; ties count for each): {}.</p>",
                escape(&m.cohort),
                escape(&leads(m))
            );
        }
        let _ = writeln!(
            w,
            "<p>Effective number of cohorts per market (most diverse first): {}.</p>",
            escape(&most_diverse(c))
        );
        let _ = writeln!(w, "</details>");
    }
    let _ = writeln!(
        w,
        "<h3>Trend by year</h3>\n<table><tr><th>Chart</th><th>Year</th><th>Days of data</th><th>Gap in mean markets \
         ({} − {})</th><th>{} artists</th><th>{} artists</th></tr>",
        escape(&report.cohorts[0]),
        escape(&report.cohorts[1]),
        escape(&report.cohorts[0]),
        escape(&report.cohorts[1])
    );
    for t in &report.trend {
        let _ = writeln!(
            w,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&t.chart),
            t.gap.year,
            t.gap.days_covered,
            number(t.gap.gap, 2),
            t.gap.first_artists,
            t.gap.second_artists
        );
    }
    let _ = writeln!(w, "</table>");
}

fn methods(w: &mut String, report: &Report) {
    let _ = writeln!(w, "<h2>Methods</h2>");
    for m in &report.methods {
        let _ = writeln!(
            w,
            "<h3>{}</h3>\n<p><strong>What it measures.</strong> {}</p>\n\
             <p><strong>Formula.</strong> {}</p>\n<p><strong>Caveats.</strong> {}</p>\n\
             <p><strong>Example.</strong> {}</p>",
            escape(m.name),
            escape(m.what),
            escape(m.formula),
            escape(m.caveats),
            escape(m.example)
        );
    }
}
