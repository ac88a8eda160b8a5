//! One module per subcommand, each with a `run` taking its validated settings.

mod alerts;
pub mod artists;
mod audit;
mod check;
mod cluster;
mod cohorts;
mod compact;
mod demo;
mod export;
pub mod ingest;
mod metrics;
mod network;
mod selection;
pub mod serve;
mod simulate;
pub mod sql;
mod study;
mod tables;

use chartlens_store::{Limits, WriteOptions};

use crate::args::{Cli, Command};

/// Runs the chosen subcommand and returns the process exit code. Commands
/// that query the store are async and run on the caller's runtime (the one
/// `main` owns); ingest, compaction and simulation are plain blocking work.
pub async fn run(cli: Cli) -> anyhow::Result<u8> {
    let write = WriteOptions {
        retire_grace_secs: cli.retire_grace_secs,
        ..WriteOptions::default()
    };
    // Every session's memory pool; the deadline is main's (`--timeout`).
    let limits = &cli.limits();
    if let Some(url) = &cli.cluster
        && cli.command.reads_through_sessions()
    {
        chartlens_cluster::init_log();
        chartlens_cluster::connect(&chartlens_cluster::ClusterUrl::parse(url)?).await?;
    }
    match cli.command {
        Command::Ingest(args) => {
            let write = WriteOptions {
                lock_wait: args.wait.map(|w| w.duration()),
                ..write
            };
            if let Some(wait) = args.wait
                && chartlens_store::writer::is_locked(&cli.store)
            {
                let limit = wait.0.map_or("as long as it takes".to_string(), |d| {
                    format!("up to {} s", d.as_secs())
                });
                eprintln!(
                    "another chartlens is writing to {}; waiting for it ({limit}, --wait)",
                    cli.store.display()
                );
            }
            ingest::run(&cli.store, &args.validate()?, write)
        }
        Command::Sql(args) => {
            sql::run(&cli.store, cli.cohort_rules.as_deref(), &args, limits).await
        }
        Command::Artists(command) => {
            artists::run(
                &cli.store,
                cli.cohort_rules.as_deref(),
                &command,
                write,
                limits,
            )
            .await
        }
        Command::Export(args) => export::run(&cli.store, &args, limits).await,
        Command::Reach(args) => {
            metrics::reach(&cli.store, cli.cohort_rules.as_deref(), &args, limits).await
        }
        Command::Spread(args) => {
            metrics::spread(&cli.store, cli.cohort_rules.as_deref(), &args, limits).await
        }
        Command::Share(args) => {
            metrics::share(&cli.store, cli.cohort_rules.as_deref(), &args, limits).await
        }
        Command::Home(args) => {
            metrics::home(&cli.store, cli.cohort_rules.as_deref(), &args, limits).await
        }
        Command::Network(args) => {
            network::network(&cli.store, cli.cohort_rules.as_deref(), &args, limits).await
        }
        Command::Diversity(args) => {
            network::diversity(&cli.store, cli.cohort_rules.as_deref(), &args, limits).await
        }
        Command::Alerts(args) => {
            alerts::run(&cli.store, cli.cohort_rules.as_deref(), &args, limits).await
        }
        Command::Engagement(args) => {
            metrics::engagement(&cli.store, cli.cohort_rules.as_deref(), &args, limits).await
        }
        Command::Metrics(args) => metrics::docs(args.format),
        Command::Study(args) => {
            study::run(&cli.store, cli.cohort_rules.as_deref(), &args, limits).await
        }
        Command::Tables(args) => tables::run(&cli.store, args.format),
        Command::Compact => compact::run(&cli.store, write),
        Command::Check(args) => check::check(&cli.store, &args),
        Command::Repair => check::repair(&cli.store, write),
        Command::Demo(args) => demo::run(&cli.store, &args, write, limits).await,
        Command::Simulate(args) => simulate::run(&args),
        Command::Cluster(command) => cluster::run(&command).await,
        Command::Serve(args) => {
            serve::serve(&cli.store, cli.cohort_rules.as_deref(), &args, limits).await
        }
    }
}

/// A name the user asked for (an artist, a track) that the store does not
/// know: the server answers 404 with the message.
#[derive(Debug)]
pub struct NotFound(pub String);

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotFound {}

/// Opens the store for reading, with a note on standard error when its
/// summary tables do not match its entries (an ingest running, or stopped
/// before it rebuilt them): queries then build them in memory, which is
/// slower. Its sessions' memory pools have the size of `limits`.
fn open_store(dir: &std::path::Path, limits: &Limits) -> anyhow::Result<chartlens_store::Store> {
    let store = chartlens_store::Store::open(dir)?.with_limits(*limits);
    if store.summaries_stale() {
        eprintln!(
            "note: the store's summary tables (track_markets, chart_periods) are out of date \
             (an ingest is running or was stopped, or an older chartlens wrote the store), so queries that read them build them in \
             memory first; `chartlens --store {} compact` rebuilds them",
            dir.display()
        );
    }
    Ok(store)
}
