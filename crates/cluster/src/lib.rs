//! chartlens on an Apache Ballista cluster: a scheduler, executors and the
//! client side of a store's sessions, all with chartlens's table codec
//! ([`chartlens_store::remote::TableCodec`]), so a plan that runs here runs
//! there.
//!
//! The client plans locally and submits the logical plan; the scheduler
//! splits it into stages and the executors run them, reading the store's
//! Parquet parts at the same absolute path (a shared file system). The
//! results come back to the client over Arrow Flight.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context, bail};
use ballista::extension::{SessionConfigExt, SessionStateExt};
use ballista_core::serde::BallistaLogicalExtensionCodec;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use chartlens_store::remote::{TableCodec, Upgrade};
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::prelude::SessionConfig;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

/// The scheduler's port when a URL names none (Ballista's).
pub const DEFAULT_PORT: u16 = 50050;

/// How long a client waits for the scheduler to answer before it gives up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A scheduler's address as users write it: `df://host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterUrl {
    /// What the user wrote.
    pub given: String,
    /// Host name or address of the scheduler.
    pub host: String,
    /// Its gRPC port.
    pub port: u16,
}

impl ClusterUrl {
    /// Parses `df://host[:port]` (or `http://`, as Ballista's own clients accept).
    pub fn parse(text: &str) -> anyhow::Result<ClusterUrl> {
        let rest = text
            .strip_prefix("df://")
            .or_else(|| text.strip_prefix("http://"))
            .with_context(|| {
                format!("--cluster {text:?}: a scheduler is named df://HOST:PORT, e.g. df://127.0.0.1:50050")
            })?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>().with_context(|| {
                    format!("--cluster {text:?}: {port:?} is not a port number")
                })?,
            ),
            _ => (rest, DEFAULT_PORT),
        };
        if host.is_empty() {
            bail!("--cluster {text:?}: no host; a scheduler is named df://HOST:PORT");
        }
        Ok(ClusterUrl {
            given: text.to_string(),
            host: host.to_string(),
            port,
        })
    }

    /// The scheduler's gRPC endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }
}

/// The logical codec of every chartlens process of a cluster: the store's
/// tables in front of Ballista's own.
pub fn codec() -> Arc<dyn LogicalExtensionCodec> {
    Arc::new(TableCodec::new(Arc::new(
        BallistaLogicalExtensionCodec::default(),
    )))
}

/// Checks that the scheduler at `url` answers, then makes every session of
/// this process (every [`chartlens_store::Store::session`]) plan here and run
/// there. Fails within [`CONNECT_TIMEOUT`] with the URL and what to do when
/// nothing answers.
pub async fn connect(url: &ClusterUrl) -> anyhow::Result<()> {
    if let Some(connected) = CONNECTED.get() {
        if connected == url {
            return Ok(());
        }
        bail!(
            "this process already runs its queries on {}; it cannot also use {}",
            connected.given,
            url.given
        );
    }
    let endpoint = url.endpoint();
    let unreachable = |reason: String| {
        anyhow::anyhow!(
            "no Ballista scheduler answers at {} ({endpoint}): {reason}. Start one with \
             `chartlens cluster scheduler` or `chartlens cluster local`, or fix --cluster \
             (CHARTLENS_CLUSTER)",
            url.given
        )
    };
    match tokio::time::timeout(
        CONNECT_TIMEOUT,
        SchedulerGrpcClient::connect(endpoint.clone()),
    )
    .await
    {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => return Err(unreachable(error_chain(&err))),
        Err(_) => {
            return Err(unreachable(format!(
                "no answer in {} s",
                CONNECT_TIMEOUT.as_secs()
            )));
        }
    }
    let codec = codec();
    let upgrade: Upgrade = Arc::new(move |state: SessionState| {
        let config = cluster_config(state.config().clone())
            .with_ballista_logical_extension_codec(codec.clone());
        SessionStateBuilder::new_from_existing(state)
            .with_config(config)
            .build()
            .upgrade_for_ballista(endpoint.clone())
    });
    chartlens_store::remote::install(upgrade);
    let _ = CONNECTED.set(url.clone());
    Ok(())
}

static CONNECTED: OnceLock<ClusterUrl> = OnceLock::new();

/// The cluster this process's sessions run on, once [`connect`] succeeded.
pub fn connected() -> Option<&'static ClusterUrl> {
    CONNECTED.get()
}

/// The settings every cluster session runs with, for answers equal to the
/// local engine's. Ballista 55's adaptive planner is off: on a left join
/// whose right side came out empty it dropped the whole result (a `count(*)`
/// gave no row at all), and it reordered hash joins after DataFusion had
/// built their dynamic filters, which failed the job while the client
/// waited forever. Its static planner is Ballista's long-standing one.
/// Dynamic filter pushdown is off for the same join reordering.
pub fn cluster_config(config: SessionConfig) -> SessionConfig {
    config
        .with_ballista_job_name("chartlens")
        .with_ballista_adaptive_query_planner(false)
        .set_bool("datafusion.optimizer.enable_dynamic_filter_pushdown", false)
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(e) = cause {
        let next = e.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = e.source();
    }
    text
}

/// How a scheduler runs.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Address to listen on (port 0: any free port).
    pub bind: SocketAddr,
    /// Host name executors and clients reach it by; default: the bound address.
    pub external_host: Option<String>,
    /// An executor silent this long is taken as lost and its tasks run again elsewhere.
    pub executor_timeout: Duration,
}

/// A scheduler bound to its address, not yet serving.
pub struct Scheduler {
    listener: tokio::net::TcpListener,
    config: SchedulerConfig,
}

impl Scheduler {
    /// Binds the scheduler's address.
    pub async fn bind(options: &SchedulerOptions) -> anyhow::Result<Scheduler> {
        let listener = tokio::net::TcpListener::bind(options.bind)
            .await
            .with_context(|| format!("the scheduler cannot listen on {}", options.bind))?;
        let addr = listener.local_addr()?;
        let timeout = options.executor_timeout.as_secs().max(1);
        let config = SchedulerConfig {
            bind_host: addr.ip().to_string(),
            bind_port: addr.port(),
            external_host: options
                .external_host
                .clone()
                .unwrap_or_else(|| addr.ip().to_string()),
            executor_timeout_seconds: timeout,
            expire_dead_executor_interval_seconds: (timeout / 3).max(1),
            no_executors_grace_period_seconds: timeout,
            override_logical_codec: Some(codec()),
            ..SchedulerConfig::default()
        };
        Ok(Scheduler { listener, config })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let config = Arc::new(self.config);
        let cluster = BallistaCluster::new_from_config(&config)
            .await
            .context("starting the scheduler's cluster state")?;
        let scheduler = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config)
            .await
            .context("starting the scheduler")?;
        tokio::select! {
            served = start_grpc_service_with_listener(self.listener, scheduler) => {
                served.context("the scheduler stopped")?;
            }
            () = shutdown => {}
        }
        Ok(())
    }
}

/// How an executor runs.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler it works for.
    pub scheduler: ClusterUrl,
    /// Address its two ports listen on.
    pub bind_host: String,
    /// Host name the scheduler and clients reach it by; default: `bind_host`.
    pub external_host: Option<String>,
    /// Port of its Arrow Flight service (results and shuffle data).
    pub flight_port: u16,
    /// Port of its gRPC service (tasks from the scheduler).
    pub grpc_port: u16,
    /// Tasks it runs at once; default: the machine's cores.
    pub vcores: Option<usize>,
    /// Where its shuffle files go; default: a new temporary directory.
    pub work_dir: Option<PathBuf>,
}

/// Runs an executor until SIGTERM or Ctrl-C (Ballista's executor handles
/// both and deregisters from the scheduler).
pub async fn run_executor(options: ExecutorOptions) -> anyhow::Result<()> {
    let scratch;
    let work_dir = match &options.work_dir {
        Some(dir) => dir.clone(),
        None => {
            scratch = tempfile::Builder::new()
                .prefix("chartlens-executor-")
                .tempdir()
                .context("creating the executor's work directory")?;
            scratch.path().to_path_buf()
        }
    };
    let defaults = ExecutorProcessConfig::default();
    let config = ExecutorProcessConfig {
        bind_host: options.bind_host.clone(),
        external_host: Some(
            options
                .external_host
                .clone()
                .unwrap_or_else(|| options.bind_host.clone()),
        ),
        port: options.flight_port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler.host.clone(),
        scheduler_port: options.scheduler.port,
        scheduler_connect_timeout_seconds: CONNECT_TIMEOUT.as_secs() as u16,
        vcores: options.vcores.unwrap_or(defaults.vcores),
        work_dir: Some(work_dir.to_string_lossy().into_owned()),
        executor_heartbeat_interval_seconds: HEARTBEAT.as_secs(),
        override_logical_codec: Some(codec()),
        ..defaults
    };
    start_executor_process(Arc::new(config))
        .await
        .with_context(|| {
            format!(
                "the executor stopped (scheduler {}); check that it runs and that ports {} and {} \
             are free",
                options.scheduler.given, options.flight_port, options.grpc_port
            )
        })
}

/// How often an executor tells the scheduler it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Prints the log lines of Ballista and DataFusion at `CHARTLENS_LOG`'s
/// level (`error`, `warn`, `info`, `debug`, `trace`) on standard error;
/// nothing when it is unset. For the cluster's processes and its clients.
pub fn init_log() {
    let Some(level) = std::env::var("CHARTLENS_LOG")
        .ok()
        .and_then(|l| l.parse::<log::LevelFilter>().ok())
    else {
        return;
    };
    if log::set_logger(&StderrLog).is_ok() {
        log::set_max_level(level);
    }
}

struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        eprintln!(
            "{} {:5} {}: {}",
            timestamp(),
            record.level(),
            record.target(),
            record.args()
        );
    }

    fn flush(&self) {}
}

/// Seconds since the Unix epoch, with milliseconds.
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:03}", now.as_secs(), now.subsec_millis())
}

/// A free TCP port on `host`, for an executor started in this process.
pub fn free_port(host: &str) -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind((host, 0))
        .with_context(|| format!("finding a free port on {host}"))?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_host_and_a_port() {
        let url = ClusterUrl::parse("df://sched-host:50051").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("sched-host", 50051));
        assert_eq!(url.endpoint(), "http://sched-host:50051");
        let url = ClusterUrl::parse("df://10.0.0.7/").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("10.0.0.7", DEFAULT_PORT));
        for bad in ["sched:50050", "df://", "df://host:port", "s3://bucket"] {
            assert!(ClusterUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
