//! One module per subcommand, each with a `run` taking its validated settings.

pub mod artists;
mod audit;
mod compact;
mod demo;
mod export;
pub mod ingest;
mod metrics;
mod selection;
mod simulate;
pub mod sql;
mod study;
mod tables;

use chartlens_store::WriteOptions;

use crate::args::{Cli, Command};

/// Runs the chosen subcommand and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    let write = WriteOptions {
        retire_grace_secs: cli.retire_grace_secs,
        ..WriteOptions::default()
    };
    match cli.command {
        Command::Ingest(args) => ingest::run(&cli.store, &args.validate()?, write),
        Command::Sql(args) => sql::run(&cli.store, cli.cohort_rules.as_deref(), &args),
        Command::Artists(command) => {
            artists::run(&cli.store, cli.cohort_rules.as_deref(), &command, write)
        }
        Command::Export(args) => export::run(&cli.store, &args),
        Command::Reach(args) => metrics::reach(&cli.store, cli.cohort_rules.as_deref(), &args),
        Command::Spread(args) => metrics::spread(&cli.store, cli.cohort_rules.as_deref(), &args),
        Command::Share(args) => metrics::share(&cli.store, cli.cohort_rules.as_deref(), &args),
        Command::Home(args) => metrics::home(&cli.store, cli.cohort_rules.as_deref(), &args),
        Command::Engagement(args) => {
            metrics::engagement(&cli.store, cli.cohort_rules.as_deref(), &args)
        }
        Command::Metrics => metrics::docs(),
        Command::Study(args) => study::run(&cli.store, cli.cohort_rules.as_deref(), &args),
        Command::Tables => tables::run(&cli.store),
        Command::Compact => compact::run(&cli.store, write),
        Command::Demo(args) => demo::run(&cli.store, &args, write),
        Command::Simulate(args) => simulate::run(&args),
    }
}
