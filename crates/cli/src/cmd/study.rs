//! `chartlens study`: runs [`chartlens_study`] on the store and writes the report.

use std::path::Path;

use anyhow::bail;
use chartlens_model::cohort::Cohorts;
use chartlens_stats::Bootstrap;

use crate::args::{MetricFilters, StudyArgs};
use crate::exit;
use chartlens_study::measure::Verdict;
use chartlens_study::{self as study, StudySettings};

pub async fn run(
    store_dir: &Path,
    rules: Option<&Path>,
    args: &StudyArgs,
    limits: &chartlens_store::Limits,
) -> anyhow::Result<u8> {
    let (cohorts, settings) = settings(store_dir, rules, args, limits).await?;
    let started = std::time::Instant::now();
    let store = super::open_store(store_dir, limits)?;
    let report = study::run(&store, cohorts, &settings)
        .await
        .map_err(|e| match e {
            study::StudyError::NoEntries => anyhow::anyhow!(
                "{e}: ingest charts first (`chartlens ingest`), or widen --source, --chart, \
                 --market or --period"
            ),
            e => e.into(),
        })?;
    chartlens_report::write(&report, &args.out)?;
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
        outln!(
            "{}. {:<13} {} ({charts})",
            claim.number,
            claim.verdict.as_str(),
            claim.claim,
        );
    }
    outln!(
        "report: {} (also report.md, report.json)",
        args.out.join("index.html").display()
    );
    Ok(exit::OK)
}

/// The cohort rules and the study's settings from the command line, checked
/// against the store (an unknown chart is an error listing the store's
/// charts, and an empty selection says why).
async fn settings(
    store_dir: &Path,
    rules: Option<&Path>,
    args: &StudyArgs,
    limits: &chartlens_store::Limits,
) -> anyhow::Result<(Cohorts, StudySettings)> {
    let (cohorts, _) = super::cohorts::load_cohorts(store_dir, rules)?;
    let names = args
        .cohorts
        .iter()
        .map(|c| {
            super::cohorts::cohort_name(&cohorts, c.trim())?
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
    let rows = MetricFilters {
        rows: args.rows.clone(),
        cohort: None,
    };
    super::selection::select(store_dir, rules, &rows, Default::default(), limits).await?;
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
    Ok((cohorts, settings))
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::args::{Cli, Command};

    /// A server handler calls the study on a runtime that is already
    /// running: it must not build or block on one of its own, and it must
    /// give the report the command line writes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_study_runs_inside_a_running_runtime_as_the_command_does() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/study/mixed.csv");
        let out = dir.path().join("report");
        let cli = |args: &[&str]| {
            let base = ["chartlens", "--store", store.to_str().unwrap()];
            Cli::try_parse_from(base.iter().chain(args)).unwrap()
        };
        assert_eq!(crate::cmd::run(cli(&["ingest", fixture])).await.unwrap(), 0);
        let study = [
            "study",
            "--cohorts",
            "K-pop,J-pop",
            "--resamples",
            "200",
            "--out",
        ];
        let mut args = study.to_vec();
        args.push(out.to_str().unwrap());
        assert_eq!(crate::cmd::run(cli(&args)).await.unwrap(), 0);
        let written = std::fs::read_to_string(out.join("report.json")).unwrap();

        let Command::Study(study_args) = cli(&args).command else {
            panic!("parsed as a study")
        };
        let (cohorts, settings) = super::settings(&store, None, &study_args, &Default::default())
            .await
            .unwrap();
        let opened = chartlens_store::Store::open(&store).unwrap();
        let report = chartlens_study::run(&opened, cohorts, &settings)
            .await
            .unwrap();
        // Compared as text: `report.json` is what `study::write` prints.
        let text = serde_json::to_string_pretty(&report).unwrap() + "\n";
        assert!(
            text == written,
            "the study inside a runtime wrote another report"
        );
        assert!(!report.claims.is_empty());
    }
}
