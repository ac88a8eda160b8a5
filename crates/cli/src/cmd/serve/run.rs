//! Running the command line's commands for the server: on their own
//! runtimes, within the limits, with their output captured and cached per
//! store version.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use arrow::array::RecordBatch;
use axum::http::StatusCode;
use chartlens_store::{Limits, StoreError};
use clap::Parser;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use tokio::sync::Semaphore;

use super::api::ApiError;
use crate::args::Cli;
use crate::exit;

/// Answers kept in memory at most, and their bytes at most.
const CACHE_ENTRIES: usize = 512;
const CACHE_BYTES: usize = 256 << 20;

/// What a command printed, and its exit code.
#[derive(Debug, Clone)]
pub struct Output {
    pub code: u8,
    pub bytes: Arc<Vec<u8>>,
}

/// Rows of a SQL query as JSON, and whether the row cap cut them.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SqlRows {
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
    pub columns: Vec<String>,
    pub truncated: bool,
}

/// Runs commands for requests. Commands run on `queries`, user SQL on
/// `sql`: two Tokio runtimes of their own, so neither stalls the runtime
/// that serves HTTP, and a slow SQL query does not hold up the pages.
pub struct Runner {
    store: PathBuf,
    cohort_rules: Option<PathBuf>,
    limits: Limits,
    sql_rows: usize,
    queries: OwnRuntime,
    sql: OwnRuntime,
    /// Commands running at once, at most; the rest wait their turn.
    command_slots: Semaphore,
    sql_slots: Semaphore,
    cache: Mutex<Cache>,
    scratch: tempfile::TempDir,
    /// The `chartlens` executable user SQL runs in, as a child process that
    /// ends at its deadline whatever the engine is doing; `None`: in this
    /// process (the router's tests, where the executable is the test).
    sql_exe: Option<PathBuf>,
}

/// A runtime that shuts down without waiting when dropped, so that the
/// server (or a test) may drop it from async code.
struct OwnRuntime(Option<tokio::runtime::Runtime>);

impl OwnRuntime {
    fn handle(&self) -> tokio::runtime::Handle {
        match &self.0 {
            Some(runtime) => runtime.handle().clone(),
            None => unreachable!("a runtime is taken only when dropped"),
        }
    }
}

impl Drop for OwnRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

#[derive(Default)]
struct Cache {
    /// The store version the entries belong to.
    stamp: Option<Stamp>,
    entries: HashMap<Vec<String>, Output>,
    order: VecDeque<Vec<String>>,
    bytes: usize,
}

/// The identity of the committed manifest on disk: a commit renames a new
/// file over it, which changes all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    inode: u64,
    modified: std::time::SystemTime,
    len: u64,
}

impl Runner {
    pub fn new(
        store: PathBuf,
        cohort_rules: Option<PathBuf>,
        limits: Limits,
        sql_rows: usize,
        sql_exe: Option<PathBuf>,
    ) -> anyhow::Result<Runner> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let runtime = |name: &str, threads: usize| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .thread_name(name)
                .enable_all()
                .build()
                .map(|r| OwnRuntime(Some(r)))
                .with_context(|| format!("starting the {name} runtime"))
        };
        Ok(Runner {
            store,
            cohort_rules,
            limits,
            sql_rows,
            queries: runtime("chartlens-query", cores)?,
            sql: runtime("chartlens-sql", 1)?,
            command_slots: Semaphore::new(cores * 2),
            sql_slots: Semaphore::new(2),
            cache: Mutex::new(Cache::default()),
            scratch: tempfile::Builder::new()
                .prefix("chartlens-serve-")
                .tempdir()
                .context("making the server's scratch directory")?,
            sql_exe,
        })
    }

    /// A directory the server may write to (study reports), removed when it stops.
    pub fn scratch(&self) -> &Path {
        self.scratch.path()
    }

    /// The most rows a SQL answer holds (`--sql-rows`).
    pub fn sql_rows(&self) -> usize {
        self.sql_rows
    }

    /// The store version, as text that changes with every commit.
    pub fn version_tag(&self) -> String {
        format!("{:?}", self.stamp())
    }

    /// Runs `chartlens <args>` on the store and returns what it printed; a
    /// repeat for the same store version is answered from the cache
    /// (`cache` false: always run, as for a study that writes files).
    pub async fn command(&self, args: Vec<String>, cache: bool) -> Result<Output, ApiError> {
        let stamp = self.stamp();
        if cache && let Some(hit) = self.cached(stamp, &args) {
            return Ok(hit);
        }
        let argv = ["chartlens".to_string(), "--store".to_string()]
            .into_iter()
            .chain([self.store.to_string_lossy().into_owned()])
            .chain(self.cohort_rules.iter().flat_map(|p| {
                [
                    "--cohort-rules".to_string(),
                    p.to_string_lossy().into_owned(),
                ]
            }))
            .chain(args.iter().cloned());
        let mut cli = Cli::try_parse_from(argv).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                first_line(&e.render().to_string()),
                e.render().to_string(),
            )
        })?;
        cli.memory_limit = Some(self.limits.memory_bytes);
        let _slot = self
            .command_slots
            .acquire()
            .await
            .map_err(ApiError::internal)?;
        let limits = self.limits;
        let deadline = limits.timeout.unwrap_or(super::DEFAULT_TIMEOUT);
        let handle = self.queries.handle();
        let running = handle.clone().spawn_blocking(move || {
            handle.block_on(async move {
                let command = Box::pin(crate::cmd::run(cli));
                let (outcome, bytes) = crate::output::captured(async {
                    match tokio::time::timeout(deadline, command).await {
                        Ok(outcome) => outcome,
                        Err(_) => Err(StoreError::Deadline { limit: deadline }.into()),
                    }
                })
                .await;
                (outcome.map_err(|e| classify(&limits, &e)), bytes)
            })
        });
        // The command's own deadline needs its runtime's timers, which a
        // long poll can hold up: this one, on the caller's runtime, answers
        // in time regardless (the command then ends at its own).
        let grace = deadline + std::time::Duration::from_secs(1);
        let (outcome, bytes) = match tokio::time::timeout(grace, running).await {
            Ok(joined) => joined.map_err(ApiError::internal)?,
            Err(_) => return Err(past_deadline(&limits, deadline)),
        };
        let output = Output {
            code: outcome?,
            bytes: Arc::new(bytes),
        };
        if cache && output.code == exit::OK {
            self.keep(stamp, args, output.clone());
        }
        Ok(output)
    }

    /// Runs a command that must print JSON, and parses it.
    pub async fn json(&self, args: Vec<String>) -> Result<serde_json::Value, ApiError> {
        let output = self.command(args, true).await?;
        serde_json::from_slice(&output.bytes).map_err(ApiError::internal)
    }

    /// Runs one read-only SQL query and returns at most `limit` rows (and at
    /// most `--sql-rows`), saying whether there were more. Trusted queries
    /// of the pages go through here too, on the same guards.
    pub async fn sql(&self, query: String, limit: Option<usize>) -> Result<SqlRows, ApiError> {
        let cap = limit.unwrap_or(self.sql_rows).min(self.sql_rows);
        match &self.sql_exe {
            Some(exe) => self.sql_in_child(exe.clone(), query, cap).await,
            None => self.run_sql(query, cap).await,
        }
    }

    /// User SQL in a child `chartlens sql` with the server's limits: a
    /// query the engine cannot stop between batches (a cross join's long
    /// polls) ends with its process at the deadline, and a fault in the
    /// engine cannot take the server down. The statement is checked and
    /// planned here first, so a refused or malformed one gets its answer
    /// without a process, and the plan names the columns.
    async fn sql_in_child(
        &self,
        exe: PathBuf,
        query: String,
        cap: usize,
    ) -> Result<SqlRows, ApiError> {
        let _slot = self.sql_slots.acquire().await.map_err(ApiError::internal)?;
        let limits = self.limits;
        let deadline = limits.timeout.unwrap_or(super::DEFAULT_TIMEOUT);
        let text = query.clone();
        let columns = self
            .on_session(deadline, move |ctx| async move {
                let plan = chartlens_store::query::read_only_plan(&ctx, &text).await?;
                let columns: Vec<String> = plan
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect();
                anyhow::Ok(columns)
            })
            .await?;
        let mut command = std::process::Command::new(exe);
        command.arg("--store").arg(&self.store);
        if let Some(rules) = &self.cohort_rules {
            command.arg("--cohort-rules").arg(rules);
        }
        if let Some(cluster) = chartlens_cluster::connected() {
            command.arg("--cluster").arg(&cluster.given);
        }
        command
            .arg(format!("--memory-limit={}", limits.memory_bytes))
            .arg(format!("--timeout={}", deadline.as_secs_f64()))
            .args([
                "sql",
                "--format",
                "json",
                "--limit",
                &(cap + 1).to_string(),
                "-",
            ]);
        // The child stops itself at the deadline; this is the backstop.
        let kill_at = deadline + std::time::Duration::from_secs(2);
        let (success, stdout, stderr) =
            tokio::task::spawn_blocking(move || run_child(command, &query, kill_at))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?;
        if !success {
            return Err(child_error(&stderr));
        }
        let mut rows: Vec<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_slice(&stdout).map_err(ApiError::internal)?;
        let truncated = rows.len() > cap;
        rows.truncate(cap);
        Ok(SqlRows {
            rows,
            columns,
            truncated,
        })
    }

    /// A query of the pages' own (not a user's): up to `cap` rows whatever
    /// `--sql-rows` says, through the same read-only guard and limits, and
    /// cached per store version like the commands.
    pub async fn page_sql(&self, query: String, cap: usize) -> Result<SqlRows, ApiError> {
        let stamp = self.stamp();
        let key = vec!["\0sql".to_string(), query.clone(), cap.to_string()];
        if let Some(hit) = self.cached(stamp, &key)
            && let Ok(rows) = serde_json::from_slice::<SqlRows>(&hit.bytes)
        {
            return Ok(rows);
        }
        let rows = self.run_sql(query, cap).await?;
        if let Ok(bytes) = serde_json::to_vec(&rows) {
            self.keep(
                stamp,
                key,
                Output {
                    code: exit::OK,
                    bytes: Arc::new(bytes),
                },
            );
        }
        Ok(rows)
    }

    async fn run_sql(&self, query: String, cap: usize) -> Result<SqlRows, ApiError> {
        let _slot = self.sql_slots.acquire().await.map_err(ApiError::internal)?;
        let limits = self.limits;
        let deadline = limits.timeout.unwrap_or(super::DEFAULT_TIMEOUT);
        let started = tokio::time::Instant::now();
        let stream = self
            .on_session(deadline, move |ctx| async move {
                anyhow::Ok(chartlens_store::query::read_only_sql(&ctx, &query, &limits).await?)
            })
            .await?;
        // Execution is a task of the SQL runtime, aborted at the deadline
        // (it stops at the query's next pause between batches).
        let running = self.sql.handle().spawn(collect_rows(stream, cap));
        let abort = running.abort_handle();
        let left = deadline.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, running).await {
            Ok(joined) => joined
                .map_err(ApiError::internal)?
                .map_err(|e| classify(&limits, &e)),
            Err(_) => {
                abort.abort();
                Err(past_deadline(&limits, deadline))
            }
        }
    }

    /// Runs `work` on a session of the store, with the cohorts in force, on
    /// a blocking thread of the SQL runtime (planning holds the SQL parser's
    /// dialect, which is not `Send`). The deadline is kept here, on the
    /// caller's runtime: a query busy in one long poll holds the SQL
    /// runtime's only thread, and with it that runtime's timers.
    async fn on_session<T, F, Fut>(&self, deadline: Duration, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(SessionContext) -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<T>>,
        T: Send + 'static,
    {
        let limits = self.limits;
        let store = self.store.clone();
        let rules = self.cohort_rules.clone();
        let handle = self.sql.handle();
        let planned = handle.clone().spawn_blocking(move || {
            handle.block_on(async move {
                let store_handle = super::super::open_store(&store, &limits)?;
                let (cohorts, _) = super::super::cohorts::load_cohorts(&store, rules.as_deref())?;
                work(store_handle.session_with_artists(cohorts)?).await
            })
        });
        match tokio::time::timeout(deadline, planned).await {
            Ok(joined) => joined
                .map_err(ApiError::internal)?
                .map_err(|e| classify(&limits, &e)),
            Err(_) => Err(past_deadline(&limits, deadline)),
        }
    }

    /// A page's body for `key` (its path and query): from the cache when
    /// the store has not changed since it was rendered, else `render`ed and
    /// kept. Errors are not kept.
    pub async fn page(
        &self,
        key: String,
        render: impl Future<Output = Result<String, ApiError>>,
    ) -> Result<String, ApiError> {
        let stamp = self.stamp();
        let key = vec!["\0page".to_string(), key];
        if let Some(hit) = self.cached(stamp, &key) {
            return Ok(String::from_utf8_lossy(&hit.bytes).into_owned());
        }
        let body = render.await?;
        self.keep(
            stamp,
            key,
            Output {
                code: exit::OK,
                bytes: Arc::new(body.clone().into_bytes()),
            },
        );
        Ok(body)
    }

    /// The committed manifest's identity now (`None` when it cannot be read:
    /// nothing is cached then).
    fn stamp(&self) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let meta =
            std::fs::metadata(self.store.join(chartlens_store::manifest::MANIFEST_FILE)).ok()?;
        Some(Stamp {
            inode: meta.ino(),
            modified: meta.modified().ok()?,
            len: meta.len(),
        })
    }

    fn cached(&self, stamp: Option<Stamp>, args: &[String]) -> Option<Output> {
        let cache = self.cache.lock().ok()?;
        if stamp.is_none() || cache.stamp != stamp {
            return None;
        }
        cache.entries.get(args).cloned()
    }

    fn keep(&self, stamp: Option<Stamp>, args: Vec<String>, output: Output) {
        let Ok(mut cache) = self.cache.lock() else {
            return;
        };
        if stamp.is_none() || output.bytes.len() > CACHE_BYTES / 4 {
            return;
        }
        if cache.stamp != stamp {
            *cache = Cache {
                stamp,
                ..Cache::default()
            };
        }
        cache.bytes += output.bytes.len();
        if let Some(old) = cache.entries.insert(args.clone(), output) {
            cache.bytes -= old.bytes.len();
        } else {
            cache.order.push_back(args);
        }
        while cache.entries.len() > CACHE_ENTRIES || cache.bytes > CACHE_BYTES {
            let Some(oldest) = cache.order.pop_front() else {
                break;
            };
            if let Some(gone) = cache.entries.remove(&oldest) {
                cache.bytes -= gone.bytes.len();
            }
        }
    }
}

/// The answer for a query stopped at `deadline`.
fn past_deadline(limits: &Limits, deadline: Duration) -> ApiError {
    classify(limits, &StoreError::Deadline { limit: deadline }.into())
}

/// At most `cap` rows of `stream` as JSON objects, and whether there were more.
async fn collect_rows(
    mut stream: datafusion::execution::SendableRecordBatchStream,
    cap: usize,
) -> anyhow::Result<SqlRows> {
    let schema = stream.schema();
    let mut batches: Vec<RecordBatch> = Vec::new();
    let mut rows = 0usize;
    let mut truncated = false;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let take = batch.num_rows().min(cap - rows);
        truncated = take < batch.num_rows();
        if take > 0 {
            batches.push(batch.slice(0, take));
            rows += take;
        }
        if truncated {
            break;
        }
    }
    let columns = schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut writer = arrow::json::ArrayWriter::new(Vec::new());
    for batch in &batches {
        writer.write(batch)?;
    }
    writer.finish()?;
    let bytes = writer.into_inner();
    let rows = if bytes.is_empty() {
        Vec::new()
    } else {
        serde_json::from_slice(&bytes)?
    };
    Ok(SqlRows {
        rows,
        columns,
        truncated,
    })
}

/// Runs `command` with `input` on its standard input; kills it at `kill_at`.
/// Returns whether it succeeded, its standard output and its standard error.
fn run_child(
    mut command: std::process::Command,
    input: &str,
    kill_at: std::time::Duration,
) -> std::io::Result<(bool, Vec<u8>, String)> {
    use std::io::{Read, Write};
    use std::process::Stdio;
    let started = std::time::Instant::now();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("CHARTLENS_STORE")
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // A child that stopped early closes the pipe: its error says why.
        let _ = stdin.write_all(input.as_bytes());
    }
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() > kill_at {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let stdout = stdout.join().unwrap_or_default();
    let mut stderr = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
    if status.is_none() {
        stderr.push_str(
            "\nchartlens: error: the query ran past its deadline (--timeout) and was killed",
        );
    }
    Ok((status.is_some_and(|s| s.success()), stdout, stderr))
}

/// The answer for a child `chartlens sql` that failed, from its last error
/// line: a limit is a 4xx naming it, a fault inside the engine a 500, and
/// anything else the user's query (400 with the command line's message).
fn child_error(stderr: &str) -> ApiError {
    let message = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("chartlens: error: "))
        .unwrap_or("the query failed")
        .to_string();
    if message.contains("(--timeout)") {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            message,
            "a server limit stopped the query".into(),
        )
    } else if message.contains("(--memory-limit)") && !message.contains("failed inside") {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            message,
            "a server limit stopped the query".into(),
        )
    } else if message.contains("failed inside") {
        ApiError::internal(stderr)
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, message, String::new())
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or(text);
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

/// The HTTP status and message of a command's error: the user's mistakes
/// (a flag's value, a query the engine refuses, an unknown name) are 4xx
/// with the command line's message; a limit is 4xx naming it; a damaged or
/// unreadable store and anything unexpected is a 500 whose details go to
/// the server's log, not to the client.
pub fn classify(limits: &Limits, err: &anyhow::Error) -> ApiError {
    if let Some(clear) = err.chain().find_map(|cause| limits.explain(cause)) {
        let status = match clear {
            StoreError::Deadline { .. } => StatusCode::REQUEST_TIMEOUT,
            _ => StatusCode::PAYLOAD_TOO_LARGE,
        };
        return ApiError::new(
            status,
            clear.to_string(),
            "a server limit stopped the query".into(),
        );
    }
    if let Some(missing) = err.downcast_ref::<super::super::NotFound>() {
        return ApiError::new(StatusCode::NOT_FOUND, missing.0.clone(), String::new());
    }
    for cause in err.chain() {
        if let Some(store) = cause.downcast_ref::<StoreError>() {
            match store {
                StoreError::ReadOnly(refused) => {
                    return ApiError::new(
                        StatusCode::FORBIDDEN,
                        refused.to_string(),
                        "the API runs read-only SQL: SELECT, WITH, EXPLAIN, SHOW and DESCRIBE"
                            .into(),
                    );
                }
                StoreError::Query(df) => {
                    use datafusion::error::DataFusionError as E;
                    if matches!(
                        df.find_root(),
                        E::Plan(_) | E::SQL(..) | E::SchemaError(..) | E::NotImplemented(_)
                    ) {
                        return ApiError::new(
                            StatusCode::BAD_REQUEST,
                            store.to_string(),
                            String::new(),
                        );
                    }
                }
                _ => {}
            }
            return ApiError::internal(err);
        }
        if let Some(df) = cause.downcast_ref::<datafusion::error::DataFusionError>() {
            use datafusion::error::DataFusionError as E;
            if matches!(
                df.find_root(),
                E::Plan(_) | E::SQL(..) | E::SchemaError(..) | E::NotImplemented(_)
            ) {
                return ApiError::new(StatusCode::BAD_REQUEST, df.to_string(), String::new());
            }
            return ApiError::internal(err);
        }
        if cause.is::<std::io::Error>()
            || cause.is::<arrow::error::ArrowError>()
            || cause.is::<parquet::errors::ParquetError>()
            || cause.is::<serde_json::Error>()
        {
            return ApiError::internal(err);
        }
    }
    // What is left is a command's own refusal (`bail!`): the user's mistake.
    ApiError::new(StatusCode::BAD_REQUEST, format!("{err:#}"), String::new())
}
