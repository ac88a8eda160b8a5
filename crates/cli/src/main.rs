//! `chartlens`: measure how music travels across markets, from the chart
//! exports you already have. This binary is glue: it parses arguments, runs one
//! subcommand from `cmd/`, and turns the outcome into an exit code.

#[macro_use]
mod output;
mod args;
mod cmd;

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
    let limits = cli.limits();
    let deadline = limits.timeout.filter(|_| cli.command.honours_timeout());
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
    let outcome = match deadline {
        None => runtime.block_on(guarded(cli)),
        Some(limit) => run_before(runtime, cli, limit),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::from(exit::OK);
            }
            match err.chain().find_map(|cause| limits.explain(cause)) {
                Some(clear) => eprintln!("chartlens: error: {clear}"),
                None => eprintln!("chartlens: error: {err:#}"),
            }
            ExitCode::from(exit::ERROR)
        }
    }
}

/// Runs the command on its own thread and gives up on it at `limit`: the
/// runtime is shut down without waiting, which drops every query task, and
/// the process exits while any blocking work (the study's measures on rayon,
/// a table derivation) is still going, so the deadline holds whatever the
/// command is doing.
fn run_before(
    runtime: tokio::runtime::Runtime,
    cli: args::Cli,
    limit: std::time::Duration,
) -> anyhow::Result<u8> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let handle = runtime.handle().clone();
    std::thread::Builder::new()
        .name("chartlens-command".into())
        .spawn(move || {
            // The receiver is gone only after the deadline.
            let _ = sender.send(handle.block_on(guarded(cli)));
        })?;
    match receiver.recv_timeout(limit) {
        Ok(outcome) => outcome,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            // Dropping the runtime would wait for its blocking threads.
            runtime.shutdown_background();
            Err(chartlens_store::StoreError::Deadline { limit }.into())
        }
        // The thread ended without an outcome: it panicked, and said why.
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            anyhow::bail!("the command stopped unexpectedly (see the message above)")
        }
    }
}

/// Runs the command, turning a panic into an error. The query engine
/// re-raises a panic of one of its tasks in the query's caller (DataFusion
/// 55 can panic with "partition not used yet" when an operator fails while
/// another still starts): the command then fails with exit 1 and says so,
/// instead of the process dying with code 101.
async fn guarded(cli: args::Cli) -> anyhow::Result<u8> {
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(cmd::run(cli))
        .catch_unwind()
        .await
    {
        Ok(outcome) => outcome,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            anyhow::bail!(
                "the query engine failed inside ({message}; the panic above says where): a fault \
                 in chartlens or DataFusion, not in your data. Narrow the query, or lower \
                 --memory-limit to stop it earlier; please report it with the query"
            )
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
