//! `chartlens`: measure how music travels across markets, from the chart
//! exports you already have. This binary is glue: it parses arguments, runs one
//! subcommand from `cmd/`, and turns the outcome into an exit code.

mod args;
mod cmd;
mod output;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: the registry and credit derivations make hundreds of thousands
/// of small strings, where glibc's allocator spent a third of the time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes, documented in the README.
pub mod exit {
    /// Everything succeeded.
    pub const OK: u8 = 0;
    /// An error stopped the command (bad store, I/O failure, bad query).
    pub const ERROR: u8 = 1;
    // 2 is clap's own code for a wrong command line.
    /// The ingest finished, but some input files were rejected.
    pub const REJECTED: u8 = 3;
    /// `check` found the store damaged (`repair` fixes it).
    pub const DAMAGED: u8 = 4;
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    // The process's one runtime: every query of every command runs on it.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("chartlens: error: starting the query runtime: {err}");
            return ExitCode::from(exit::ERROR);
        }
    };
    match runtime.block_on(cmd::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::from(exit::OK);
            }
            eprintln!("chartlens: error: {err:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}

/// A reader that went away (`chartlens sql ... | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause.to_string().contains("Broken pipe")
    })
}
