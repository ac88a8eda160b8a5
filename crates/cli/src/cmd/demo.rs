//! `chartlens demo`: the whole product on a simulated world. It simulates a
//! world ([`chartlens_sim`], built-in parameters), then runs the same
//! commands a user would: ingest the files, import the registry, run the
//! study. Every page of the report says the data is simulated, with the
//! parameters used.

use std::ffi::OsString;
use std::fs;
use std::path::Path;

use anyhow::Context;
use chartlens_store::WriteOptions;
use clap::Parser;

use crate::args::{Cli, DemoArgs, SimulateArgs};
use crate::exit;
use chartlens_sim::{self as simulate, Params};

pub async fn run(
    _store: &Path,
    args: &DemoArgs,
    _write: WriteOptions,
    limits: &chartlens_store::Limits,
) -> anyhow::Result<u8> {
    let started = std::time::Instant::now();
    if args.dir.exists() {
        fs::remove_dir_all(&args.dir)
            .with_context(|| format!("clearing {}", args.dir.display()))?;
    }
    let params = super::simulate::params(&SimulateArgs {
        out: args.dir.clone(),
        config: None,
        seed: None,
        entries: None,
        print_config: false,
    })?;
    let world = args.dir.join("world");
    let summary = simulate::write(&params, &world)?;
    println!(
        "1. simulated a world of {} fictional artists and {} tracks over {} weeks: {} chart files \
         ({} entries) and {} YouTube files under {}",
        summary.artists,
        summary.tracks,
        params.weeks,
        summary.chart_files,
        summary.chart_entries,
        summary.video_files,
        world.display()
    );
    // The demo keeps its own store, so it never mixes made-up rows into yours.
    let store = args.dir.join("store");
    let steps: [(&str, Vec<OsString>); 3] = [
        (
            "2. ingest",
            [
                "spotify-viral50-weekly",
                "youtube-charts-weekly",
                "youtube-videos",
            ]
            .iter()
            .map(|d| world.join(d).into())
            .fold(vec!["ingest".into(), "--quiet".into()], |mut v, d| {
                v.push(d);
                v
            }),
        ),
        (
            "3. import the registry",
            vec![
                "artists".into(),
                "import".into(),
                world.join("registry").into(),
            ],
        ),
        (
            "4. study",
            vec![
                "study".into(),
                "--cohorts".into(),
                "K-pop,J-pop".into(),
                "--out".into(),
                args.out.clone().into(),
                "--simulated".into(),
                describe(&params).into(),
            ],
        ),
    ];
    for (label, command) in steps {
        println!(
            "\n{label}: chartlens --store {} {}",
            store.display(),
            shown(&command)
        );
        let argv = ["chartlens".into(), "--store".into(), store.clone().into()]
            .into_iter()
            .chain(command);
        let mut step = Cli::try_parse_from(argv)?;
        // The deadline is the whole demo's (main's); each step's sessions
        // get the demo's memory limit.
        step.memory_limit = Some(limits.memory_bytes);
        let code = Box::pin(super::run(step)).await?;
        if code != exit::OK {
            anyhow::bail!("{label} failed (exit {code})");
        }
    }
    println!(
        "\nThe data is simulated. Open {} in a browser (report.md and report.json beside it); \
         {:.1} s in all.",
        args.out.join("index.html").display(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "To explore the store in a dashboard: chartlens --store {} serve",
        store.display()
    );
    Ok(exit::OK)
}

fn shown(command: &[OsString]) -> String {
    command
        .iter()
        .map(|a| {
            let a = a.to_string_lossy();
            if a.contains(' ') {
                format!("{a:?}")
            } else {
                a.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The parameters in one sentence, for the report's banner.
pub fn describe(params: &Params) -> String {
    let cohorts: Vec<String> = params
        .cohort
        .iter()
        .map(|c| {
            format!(
                "{} (home {}, p = {}, q = {}, reach {})",
                c.name, c.origin, c.p, c.q, c.reach
            )
        })
        .collect();
    format!(
        "fictional artists and tracks from chartlens simulate (seed {}, {} weeks from {}, {} \
         markets, charts of {}); cohorts {}. Nothing here describes real music.",
        params.seed,
        params.weeks,
        params.start,
        params.markets.len(),
        params.chart_size,
        cohorts.join(", ")
    )
}
