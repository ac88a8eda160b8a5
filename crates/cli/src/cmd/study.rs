//! `chartlens study`: runs [`crate::study`] on the store and writes the report.

use std::path::Path;

use anyhow::bail;
use chartlens_model::stats::Bootstrap;
use chartlens_store::Store;

use crate::args::{MetricFilters, StudyArgs};
use crate::exit;
use crate::study::measure::Verdict;
use crate::study::{self, StudySettings};

pub fn run(store_dir: &Path, rules: Option<&Path>, args: &StudyArgs) -> anyhow::Result<u8> {
    let (cohorts, _) = super::artists::load_cohorts(store_dir, rules)?;
    let names = args
        .cohorts
        .iter()
        .map(|c| {
            super::artists::cohort_name(&cohorts, c.trim())?
                .ok_or_else(|| anyhow::anyhow!("--cohorts: `none` is not a cohort to study"))
        })
        .collect::<anyhow::Result<Vec<String>>>()?;
    if names.len() != 2 || names[0] == names[1] {
        bail!("--cohorts takes two different cohorts, as FIRST,SECOND");
    }
    if args.resamples < 100 {
        bail!("--resamples must be at least 100 for 95% intervals");
    }
    let filters = args.rows.validate()?;
    // The metric commands' checks: an unknown chart is an error listing the
    // store's charts, and an empty selection says why.
    let rows = MetricFilters {
        rows: args.rows.clone(),
        cohort: None,
    };
    super::selection::select(store_dir, rules, &rows, Default::default())?;
    let settings = StudySettings {
        cohorts: names,
        filters_text: describe(args),
        filters,
        boot: Bootstrap {
            resamples: args.resamples,
            seed: args.seed,
            level: 0.95,
        },
        simulated: args.simulated.clone(),
    };
    let started = std::time::Instant::now();
    let store = Store::open(store_dir)?;
    let report = study::run(&store, cohorts, &settings)?;
    study::write(&report, &args.out)?;
    eprintln!(
        "study: {} charts, {} claims in {:.1} s",
        report.charts.len(),
        report.claims.len(),
        started.elapsed().as_secs_f64()
    );
    for claim in &report.claims {
        // Every chart that answers, with its robustness: a headline alone
        // would hide disagreement.
        let answered: Vec<String> = claim
            .results
            .iter()
            .filter(|r| r.verdict != Verdict::Unanswered)
            .map(|r| {
                format!(
                    "{} {}, {}",
                    r.chart,
                    r.verdict.as_str(),
                    r.robustness.status.as_str()
                )
            })
            .collect();
        let charts = if answered.is_empty() {
            "no chart answers it: see the report".to_string()
        } else {
            answered.join("; ")
        };
        println!(
            "{}. {:<13} {} ({charts})",
            claim.number,
            claim.verdict.as_str(),
            claim.claim,
        );
    }
    println!(
        "report: {} (also report.md, report.json)",
        args.out.join("index.html").display()
    );
    Ok(exit::OK)
}

/// The selection in words, for the report.
fn describe(args: &StudyArgs) -> String {
    let mut parts = Vec::new();
    for (name, values) in [
        ("source", &args.rows.source),
        ("chart", &args.rows.chart),
        ("market", &args.rows.market),
    ] {
        if !values.is_empty() {
            parts.push(format!("{name} {}", values.join(", ")));
        }
    }
    if let Some(period) = &args.rows.period {
        parts.push(format!("period {period}"));
    }
    if parts.is_empty() {
        "every chart in the store".to_string()
    } else {
        parts.join("; ")
    }
}
