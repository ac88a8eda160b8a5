//! The study as Markdown (`report.md`): the same sections as the HTML page,
//! without the plots.

use std::fmt::Write;

use super::{
    RobustnessTable, best_result, best_robustness, estimate, leads, measure_rows, most_diverse,
    n_of, n_used, number, per_chart, robustness_table,
};
use chartlens_study::Report;

/// Renders the whole report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# {}\n", report.title);
    if let Some(sim) = &report.simulated {
        let _ = writeln!(w, "> **Simulated data.** {sim}\n");
    }
    let _ = writeln!(
        w,
        "Cohorts compared: **{}** (first) and **{}** (second). Selection: {}. chartlens {}.\n",
        report.cohorts[0], report.cohorts[1], report.filters, report.chartlens_version
    );
    let _ = writeln!(
        w,
        "Intervals: {} resamples, seed {}, level {}. {}\n\n{}\n",
        report.bootstrap.resamples,
        report.bootstrap.seed,
        report.bootstrap.level,
        report.bootstrap.method,
        report.verdict_rule
    );

    let _ = writeln!(w, "## Verdicts\n");
    let _ = writeln!(
        w,
        "| # | Claim | Verdict | Robustness (best chart) | Best chart | First | Second | Difference | Every chart |\n|---|---|---|---|---|---|---|---|---|"
    );
    for claim in &report.claims {
        let best = best_result(claim);
        let _ = writeln!(
            w,
            "| {} | {} | **{}** | {} | {} | {}: {} | {}: {} | {} | {} |",
            claim.number,
            claim.claim,
            claim.verdict.as_str(),
            best_robustness(claim),
            claim.best_chart.as_deref().unwrap_or("–"),
            claim.columns[0],
            estimate(best.and_then(|r| r.first.as_ref()), 3),
            claim.columns[1],
            estimate(best.and_then(|r| r.second.as_ref()), 3),
            estimate(best.and_then(|r| r.difference.as_ref()), 3),
            per_chart(claim),
        );
    }

    let _ = writeln!(w, "\n## Claims\n");
    for claim in &report.claims {
        let _ = writeln!(w, "### {}. {}\n", claim.number, claim.claim);
        let _ = writeln!(
            w,
            "Verdict: **{}**. Statistic: {} (metric: {}). Needs: {}.\n\n{}\n",
            claim.verdict.as_str(),
            claim.statistic,
            claim.metric,
            claim.needs,
            claim.best_reason
        );
        if !claim.results.is_empty() {
            let _ = writeln!(
                w,
                "| Chart | {} (n) | {} (n) | Difference | n compared | Verdict | Robustness | Note |\n|---|---|---|---|---|---|---|---|",
                claim.columns[0], claim.columns[1]
            );
            for r in &claim.results {
                let n = n_of;
                let _ = writeln!(
                    w,
                    "| {} | {}{} | {}{} | {} | {} | {} | {} | {} |",
                    r.chart,
                    estimate(r.first.as_ref(), 3),
                    n(r.first.as_ref()),
                    estimate(r.second.as_ref(), 3),
                    n(r.second.as_ref()),
                    estimate(r.difference.as_ref(), 3),
                    n_used(r),
                    r.verdict.as_str(),
                    r.robustness.summary(),
                    r.note
                );
            }
            let _ = writeln!(w);
            if let Some(RobustnessTable { labels, rows }) = robustness_table(claim) {
                let _ = writeln!(
                    w,
                    "Robustness checks:\n\n| Chart | {} |\n|---|{}",
                    labels.join(" | "),
                    "---|".repeat(labels.len())
                );
                for (chart, cells) in rows {
                    let _ = writeln!(w, "| {chart} | {} |", cells.join(" | "));
                }
                let _ = writeln!(w);
            }
        }
        for caveat in &claim.caveats {
            let _ = writeln!(w, "- {caveat}");
        }
        let _ = writeln!(w);
    }

    let _ = writeln!(w, "## Charts\n");
    let _ = writeln!(
        w,
        "| Chart | Markets | From | To | Period (days) | Entries | Classified (%) | GLOBAL |\n|---|---|---|---|---|---|---|---|"
    );
    for c in &report.charts {
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {:.1} | {} |",
            c.chart,
            c.markets.len(),
            c.first_date,
            c.last_date,
            c.cadence_days,
            c.entries,
            c.classified_pct,
            if c.has_global { "yes" } else { "no" }
        );
    }

    for c in &report.charts {
        let _ = writeln!(w, "\n## Measures on {}\n", c.chart);
        let head: Vec<&str> = c.cohorts.iter().map(|m| m.cohort.as_str()).collect();
        let _ = writeln!(
            w,
            "| Measure | {} |\n|---|{}",
            head.join(" | "),
            "---|".repeat(head.len())
        );
        for (label, cells) in measure_rows(&c.cohorts) {
            let _ = writeln!(w, "| {label} | {} |", cells.join(" | "));
        }
        for m in &c.cohorts {
            let _ = writeln!(
                w,
                "\nLead markets of {} (tracks entering there first, of uncensored tracks reaching \
                 2+ markets; ties count for each): {}.",
                m.cohort,
                leads(m)
            );
        }
        let _ = writeln!(
            w,
            "\nEffective number of cohorts per market (most diverse first): {}.",
            most_diverse(c)
        );
    }

    let _ = writeln!(w, "\n## Trend by year\n");
    let _ = writeln!(
        w,
        "| Chart | Year | Days of data | Gap in mean markets ({} - {}) | {} artists | {} artists |\n|---|---|---|---|---|---|",
        report.cohorts[0], report.cohorts[1], report.cohorts[0], report.cohorts[1]
    );
    for t in &report.trend {
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} |",
            t.chart,
            t.gap.year,
            t.gap.days_covered,
            number(t.gap.gap, 2),
            t.gap.first_artists,
            t.gap.second_artists
        );
    }

    let _ = writeln!(w, "\n## Convergence: mean overlap of markets' charts\n");
    let _ = writeln!(
        w,
        "| Chart | Year | Markets | Pairs | Mean Jaccard | 95% interval |\n|---|---|---|---|---|---|"
    );
    for r in &report.convergence {
        let interval = match (r.low, r.high) {
            (Some(low), Some(high)) => {
                format!("{} to {}", number(Some(low), 3), number(Some(high), 3))
            }
            _ => "none (fewer than 3 markets)".to_string(),
        };
        let mean = if r.mean_jaccard.is_some() {
            number(r.mean_jaccard, 3)
        } else {
            "unanswered".to_string()
        };
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {mean} | {interval} |",
            r.chart, r.year, r.markets, r.pairs
        );
    }

    let _ = writeln!(w, "\n## Backbone of lead markets\n");
    let _ = writeln!(
        w,
        "| Chart | Market | Most often the last market before it | Tracks | Share |\n|---|---|---|---|---|"
    );
    for e in &report.backbone {
        let share = e.share.map_or(String::new(), |s| {
            format!("{}%", number(Some(100.0 * s), 1))
        });
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {share} |",
            e.chart, e.market, e.from, e.tracks
        );
    }

    let _ = writeln!(w, "\n## Methods\n");
    for m in &report.methods {
        let _ = writeln!(w, "{}", m.doc().markdown());
    }
    out
}
