//! Renderers of a [`chartlens_study::Report`]: Markdown and a self-contained
//! HTML page with inline SVG plots. They format; they compute nothing that
//! is not in the report (and so in `report.json`).

pub mod html;
pub mod markdown;
pub mod svg;

use std::path::Path;

use chartlens_study::Report;
use chartlens_study::measure::{ChartMeasures, Claim, ClaimResult, CohortMeasures, Estimate};
use chartlens_study::robust::{CheckResult, Stability};

/// The result of a claim on the chart that answers it best.
pub fn best_result(claim: &Claim) -> Option<&ClaimResult> {
    let best = claim.best_chart.as_ref()?;
    claim.results.iter().find(|r| &r.chart == best)
}

/// Every chart's verdict with its robustness:
/// `spotify/viral50: supported, robust; youtube/top: unanswered`.
pub fn per_chart(claim: &Claim) -> String {
    let parts: Vec<String> = claim
        .results
        .iter()
        .map(|r| {
            let robust = match r.robustness.status {
                Stability::NotAssessed => String::new(),
                Stability::Robust | Stability::Fragile => format!(", {}", r.robustness.summary()),
            };
            format!("{}: {}{robust}", r.chart, r.verdict.as_str())
        })
        .collect();
    if parts.is_empty() {
        "–".to_string()
    } else {
        parts.join("; ")
    }
}

/// The robustness of the best chart's verdict, or `–`.
pub fn best_robustness(claim: &Claim) -> String {
    best_result(claim).map_or("–".to_string(), |r| r.robustness.summary())
}

/// A claim's robustness checks as a table, for either renderer.
pub struct RobustnessTable<'a> {
    /// The checks' labels, one column each.
    pub labels: Vec<&'static str>,
    /// Per chart whose verdict was checked: its name and one cell per check
    /// ([`check_cell`]).
    pub rows: Vec<(&'a str, Vec<String>)>,
}

/// The robustness table of a claim; `None` when no chart's verdict could be
/// checked.
pub fn robustness_table(claim: &Claim) -> Option<RobustnessTable<'_>> {
    let checked: Vec<&ClaimResult> = claim
        .results
        .iter()
        .filter(|r| !r.robustness.checks.is_empty())
        .collect();
    let labels = checked
        .first()?
        .robustness
        .checks
        .iter()
        .map(|c| c.label)
        .collect();
    let rows = checked
        .into_iter()
        .map(|r| {
            let cells = r.robustness.checks.iter().map(check_cell).collect();
            (r.chart.as_str(), cells)
        })
        .collect();
    Some(RobustnessTable { labels, rows })
}

/// One check's outcome: `holds`, `flips to inconclusive`, or why it
/// cannot be computed; with the number of artists left out.
pub fn check_cell(c: &CheckResult) -> String {
    let outcome = match (c.holds, c.verdict) {
        (Some(true), _) => "holds".to_string(),
        (Some(false), Some(v)) => format!("flips to {}", v.as_str()),
        _ => c.note.clone(),
    };
    format!("{outcome} ({} left out)", c.left_out)
}

/// The group sizes a verdict compares, `12 and 9`.
pub fn n_used(r: &ClaimResult) -> String {
    format!("{} and {}", r.n[0], r.n[1])
}

/// ` (n = 12)` after an estimate, or nothing.
pub fn n_of(e: Option<&Estimate>) -> String {
    e.map_or(String::new(), |e| format!(" (n = {})", e.n))
}

/// The first five lead markets of a cohort, `JP 12 (40.0%)`, or `none`.
pub fn leads(m: &CohortMeasures) -> String {
    let leads: Vec<String> = m
        .lead_markets
        .iter()
        .take(5)
        .map(|l| format!("{} {} ({:.1}%)", l.market, l.tracks, l.lead_pct))
        .collect();
    if leads.is_empty() {
        "none".to_string()
    } else {
        leads.join(", ")
    }
}

/// The five markets with the most cohorts (effective number), `GB 2.31, ...`.
pub fn most_diverse(c: &ChartMeasures) -> String {
    let mut diverse: Vec<(&String, &f64)> = c.effective_cohorts.iter().collect();
    diverse.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
    let shown: Vec<String> = diverse
        .iter()
        .take(5)
        .map(|(m, v)| format!("{m} {v:.2}"))
        .collect();
    shown.join(", ")
}

/// `3.42 [2.90, 4.01]`, or `–` when there is no estimate. A zero-width
/// interval (every resample gave the same value: a degenerate sample) is
/// said, not shown as an interval.
pub fn estimate(e: Option<&Estimate>, decimals: usize) -> String {
    match e {
        Some(e) if chartlens_study::measure::zero_width(e) => format!(
            "{:.d$} (no interval: every resample gives it)",
            e.estimate,
            d = decimals
        ),
        Some(e) => format!(
            "{:.d$} [{:.d$}, {:.d$}]",
            e.estimate,
            e.low,
            e.high,
            d = decimals
        ),
        None => "–".to_string(),
    }
}

/// A number with fixed decimals, or `–`.
pub fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.decimals$}"))
}

/// The rows of the per-cohort measures table: (label, value per cohort).
pub fn measure_rows(cohorts: &[CohortMeasures]) -> Vec<(&'static str, Vec<String>)> {
    type Cell = fn(&CohortMeasures) -> String;
    let rows: [(&'static str, Cell); 23] = [
        ("Charting artists", |m| m.artists.to_string()),
        ("Markets per artist: median [q1, q3]", |m| {
            format!(
                "{} [{}, {}]",
                number(m.median_markets, 1),
                number(m.q1_markets, 1),
                number(m.q3_markets, 1)
            )
        }),
        ("Markets per artist: max", |m| number(m.max_markets, 0)),
        ("Artists in 10+ markets (%)", |m| number(m.pct_10plus, 1)),
        ("Artists in 30+ markets (%)", |m| number(m.pct_30plus, 1)),
        ("Mean markets per artist [95% CI]", |m| {
            estimate(m.mean_markets.as_ref(), 2)
        }),
        ("Export share of entries, % [95% CI], home in data", |m| {
            estimate(m.export_pct.as_ref(), 1)
        }),
        ("Median artist export share (%), home in data", |m| {
            number(m.median_artist_export_pct, 1)
        }),
        ("Charting tracks", |m| m.tracks.to_string()),
        ("Median T_2 (days; uncensored tracks reaching 2)", |m| {
            number(m.median_t2_days, 0)
        }),
        ("Median T_5 (days; uncensored tracks reaching 5)", |m| {
            number(m.median_t5_days, 0)
        }),
        ("Tracks in 5+ markets (%)", |m| {
            number(m.pct_tracks_5plus, 1)
        }),
        ("Tracks with the whole horizon observed", |m| {
            m.curve_tracks.to_string()
        }),
        ("Bass p per week [95% CI]", |m| match &m.bass {
            Some(b) if b.at_bound.is_some() => "at a bound of the search range: no estimate".into(),
            b => estimate(b.as_ref().map(|b| &b.p), 4),
        }),
        ("Bass q per week [95% CI]", |m| match &m.bass {
            Some(b) if b.at_bound.is_some() => "at a bound of the search range: no estimate".into(),
            b => estimate(b.as_ref().map(|b| &b.q), 3),
        }),
        ("Bass ceiling m, R²", |m| {
            m.bass
                .as_ref()
                .map_or("–".to_string(), |b| format!("{:.3}, {:.3}", b.m, b.r2))
        }),
        (
            "First runs (track, market); median length in chart periods",
            |m| {
                format!(
                    "{}; {}",
                    m.runs,
                    m.median_run_periods
                        .map_or("–".to_string(), |p| p.to_string())
                )
            },
        ),
        ("Gini, HHI of entries over artists", |m| {
            format!("{}, {}", number(m.gini, 3), number(m.hhi, 3))
        }),
        ("Top artist: share of the cohort's artist entries", |m| {
            m.top_artist
                .as_ref()
                .map_or("–".to_string(), |(name, pct)| format!("{name} {pct:.1}%"))
        }),
        ("Cross-cohort collaborations (% of tracks)", |m| {
            number(m.collab_pct, 1)
        }),
        (
            "Collaborations minus other tracks, mean markets [95% CI] (5 of each needed)",
            |m| estimate(m.collab_lift.as_ref(), 2),
        ),
        ("Audio-feature dispersion [95% CI] (artists)", |m| {
            format!(
                "{} ({})",
                estimate(m.dispersion.as_ref(), 3),
                m.artists_with_features
            )
        }),
        ("Effective number of genre tags", |m| {
            number(m.genre_effective_number, 1)
        }),
    ];
    rows.into_iter()
        .map(|(label, cell)| (label, cohorts.iter().map(cell).collect()))
        .collect()
}

/// A report file that could not be written, and why.
#[derive(Debug, thiserror::Error)]
#[error("writing {}: {source}", path.display())]
pub struct WriteError {
    /// The file that could not be written (or its temporary file, or the directory).
    pub path: std::path::PathBuf,
    /// The error the system gave.
    #[source]
    pub source: std::io::Error,
}

/// Writes `report.json`, `report.md` and `index.html` into `out`, each
/// through a temporary file renamed into place.
pub fn write(report: &Report, out: &Path) -> Result<(), WriteError> {
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError { path, source }
    };
    std::fs::create_dir_all(out).map_err(failed(out))?;
    let json = serde_json::to_string_pretty(report).map_err(std::io::Error::other);
    let files = [
        (
            "report.json",
            json.map_err(failed(&out.join("report.json")))? + "\n",
        ),
        ("report.md", markdown::render(report)),
        ("index.html", html::render(report)),
    ];
    for (name, text) in files {
        let path = out.join(name);
        let tmp = out.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).map_err(failed(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(failed(&path))?;
    }
    Ok(())
}
