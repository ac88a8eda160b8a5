//! One module per subcommand, each with a `run` taking its validated settings.

mod compact;
mod demo;
pub mod ingest;
pub mod sql;
mod tables;

use crate::args::{Cli, Command};

/// Runs the chosen subcommand and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Ingest(args) => ingest::run(&cli.store, &args.validate()?),
        Command::Sql(args) => sql::run(&cli.store, &args),
        Command::Tables => tables::run(&cli.store),
        Command::Compact => compact::run(&cli.store),
        Command::Demo(args) => demo::run(&cli.store, &args),
    }
}
