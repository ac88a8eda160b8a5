//! SQL from users, run safely: one read-only statement ([`read_only_sql`]),
//! in a session whose memory is bounded, before a deadline ([`Limits`]). The
//! CLI's `sql` and the dashboard both go through here.

use std::error::Error;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::RecordBatchStream;
use datafusion::prelude::{SQLOptions, SessionContext};
use datafusion::sql::parser::{DFParserBuilder, Statement};
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;
use datafusion::sql::sqlparser::dialect::dialect_from_str;
use futures::Stream;
use tokio::time::{Instant, Sleep};

use crate::error::StoreError;

/// Memory used when physical memory cannot be read (no `/proc/meminfo`).
pub const FALLBACK_MEMORY_BYTES: usize = 2 << 30;

/// What one session may use: the bytes of its memory pool and how long each
/// query may run. Front ends set them from `--memory-limit` and `--timeout`,
/// which is why the errors name those flags.
///
/// The pool bounds what DataFusion's operators hold (hash tables, sort and
/// join buffers); sorts and aggregations spill to the system's temporary
/// directory when it is full, other operators fail with
/// [`StoreError::MemoryLimit`]. Batches in flight between operators are not
/// counted, so a process uses somewhat more than the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Size of each session's memory pool, in bytes.
    pub memory_bytes: usize,
    /// How long a query may run, from planning to its last row; `None`: no deadline.
    pub timeout: Option<Duration>,
}

impl Default for Limits {
    /// Half of physical memory ([`default_memory_bytes`]) and no deadline.
    fn default() -> Limits {
        Limits {
            memory_bytes: default_memory_bytes(),
            timeout: None,
        }
    }
}

impl Limits {
    /// A DataFusion runtime with a pool of [`Limits::memory_bytes`], fair
    /// between spilling operators, and spill files in the system's temporary
    /// directory.
    pub fn runtime_env(&self) -> Result<Arc<RuntimeEnv>, StoreError> {
        Ok(RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(FairSpillPool::new(self.memory_bytes)))
            .with_disk_manager_builder(
                DiskManagerBuilder::default().with_mode(DiskManagerMode::OsTmpDirectory),
            )
            .build_arc()?)
    }

    /// The clear form of `err` when it, or an error it wraps, is a query
    /// stopped by one of these limits: DataFusion's "resources exhausted"
    /// for memory (not for spill space), or an error this module made.
    pub fn explain(&self, err: &(dyn Error + 'static)) -> Option<StoreError> {
        let mut cause = Some(err);
        while let Some(e) = cause {
            if let Some(store) = e.downcast_ref::<StoreError>() {
                match store {
                    StoreError::MemoryLimit { limit } => {
                        return Some(StoreError::MemoryLimit { limit: *limit });
                    }
                    StoreError::Deadline { limit } => {
                        return Some(StoreError::Deadline { limit: *limit });
                    }
                    _ => {}
                }
            }
            if let Some(DataFusionError::ResourcesExhausted(message)) =
                e.downcast_ref::<DataFusionError>()
                && !message.contains("disk")
            {
                return Some(StoreError::MemoryLimit {
                    limit: self.memory_bytes,
                });
            }
            cause = e.source();
        }
        None
    }
}

/// Half of the physical memory `/proc/meminfo` reports, else
/// [`FALLBACK_MEMORY_BYTES`]: room for the batches the pool does not count
/// and for other programs.
pub fn default_memory_bytes() -> usize {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_total_bytes(&text))
        .map(|total| usize::try_from(total / 2).unwrap_or(usize::MAX))
        .unwrap_or(FALLBACK_MEMORY_BYTES)
}

/// `MemTotal` of a `/proc/meminfo` text, in bytes.
fn mem_total_bytes(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut words = line["MemTotal:".len()..].split_whitespace();
    let kib: u64 = words.next()?.parse().ok()?;
    (words.next() == Some("kB")).then_some(kib.checked_mul(1024)?)
}

/// `bytes` as a person reads it: `512 MiB`, `1.5 GiB`.
pub fn human_bytes(bytes: usize) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A statement [`read_only_sql`] refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// `COPY ... TO`: writes a file.
    Copy,
    /// `CREATE EXTERNAL TABLE`: reads any file as a table.
    ExternalTable,
    /// Other DDL (`CREATE`, `DROP`, `ALTER`, `TRUNCATE`, `SELECT ... INTO`):
    /// changes the session's tables; the words that name it.
    Definition(String),
    /// DML (`INSERT`, `UPDATE`, `DELETE`, `MERGE`); the words that name it.
    Modification(String),
    /// `SET` or `RESET` of an option (some, such as the spill directory or
    /// the memory limit, reach the filesystem or lift the limits).
    Setting(String),
    /// A table named by a path or URL (`FROM '/etc/passwd'`): a file
    /// outside the store. Such tables are not registered in any case (no URL
    /// tables, no file-reading table functions); this names the refusal.
    File(String),
    /// More than one statement, with how many.
    Several(usize),
    /// No statement at all.
    Empty,
    /// Any other statement kind (transactions, `PREPARE`, ...).
    Other(String),
}

impl Refused {
    /// What to do instead.
    fn advice(&self) -> &'static str {
        match self {
            Refused::Copy => {
                "to write chart entries to a file use `chartlens export` (CSV or Parquet), or \
                 `chartlens sql --format csv` (or json) and redirect its output"
            }
            Refused::ExternalTable => {
                "to query other files, add them to the store with `chartlens ingest` \
                 (`chartlens artists import` for artist lists)"
            }
            Refused::Definition(_) => {
                "name an intermediate result with WITH (a common table expression) inside the query"
            }
            Refused::Modification(_) => {
                "the store changes only through `chartlens ingest` and `chartlens artists import`"
            }
            Refused::Setting(_) => {
                "limits come from --memory-limit and --timeout, and DataFusion's options from \
                 its DATAFUSION_* environment variables"
            }
            Refused::File(_) => {
                "queries read the store's tables (`chartlens tables` lists them); add files to \
                 the store with `chartlens ingest`"
            }
            Refused::Several(_) => "run one statement at a time",
            Refused::Empty => "give a query, such as `select count(*) from chart_entries`",
            Refused::Other(_) => "",
        }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const ALLOWED: &str = "chartlens SQL is read-only: one SELECT, WITH, VALUES, EXPLAIN, \
                               SHOW or DESCRIBE statement";
        match self {
            Refused::Copy => write!(f, "COPY is refused: it writes files, and {ALLOWED}")?,
            Refused::ExternalTable => write!(
                f,
                "CREATE EXTERNAL TABLE is refused: it reads files outside the store, and {ALLOWED}"
            )?,
            Refused::Definition(kind) | Refused::Modification(kind) | Refused::Other(kind) => {
                write!(f, "{kind} is refused: {ALLOWED}")?
            }
            Refused::Setting(kind) => write!(
                f,
                "{kind} is refused: session options are fixed (some reach the filesystem or \
                 lift the limits), and {ALLOWED}"
            )?,
            Refused::File(name) => write!(
                f,
                "reading the file {name:?} is refused: chartlens SQL reads only the store's tables"
            )?,
            Refused::Several(n) => write!(f, "{n} statements are refused: {ALLOWED}")?,
            Refused::Empty => write!(f, "the query is empty: {ALLOWED}")?,
        }
        match self.advice() {
            "" => Ok(()),
            advice => write!(f, "; {advice}"),
        }
    }
}

/// Plans one statement of `sql` on `ctx` and starts it, refusing anything
/// but a query: no statement that writes files, reads files outside the
/// store's tables, changes tables or session options, and no second
/// statement. The statement is checked twice: its syntax before planning,
/// and its plan (through DataFusion's [`SQLOptions`], which forbid DDL, DML
/// and statements), so an `EXPLAIN` or a subquery cannot carry one past.
///
/// The returned stream ends with [`StoreError::Deadline`] (wrapped in a
/// [`DataFusionError::External`]) once `limits.timeout` has passed since
/// this call, and reports a full memory pool as [`StoreError::MemoryLimit`];
/// dropping it cancels the query. `ctx` should come from a [`crate::Store`]
/// session made with the same limits.
pub async fn read_only_sql(
    ctx: &SessionContext,
    sql: &str,
    limits: &Limits,
) -> Result<SendableRecordBatchStream, StoreError> {
    let deadline = limits.timeout.map(|t| (t, Instant::now() + t));
    let start = async {
        let plan = read_only_plan(ctx, sql).await?;
        let frame = ctx.execute_logical_plan(plan).await?;
        Ok::<_, StoreError>(frame.execute_stream().await?)
    };
    let stream = match deadline {
        None => start.await,
        Some((limit, at)) => tokio::time::timeout_at(at, start)
            .await
            .map_err(|_| StoreError::Deadline { limit })?,
    }
    .map_err(|e| limits.explain(&e).unwrap_or(e))?;
    Ok(Box::pin(Limited {
        schema: stream.schema(),
        inner: stream,
        limits: *limits,
        deadline: deadline.map(|(limit, at)| (limit, Box::pin(tokio::time::sleep_until(at)))),
    }))
}

/// The checked logical plan of the one statement of `sql`, refused as
/// [`read_only_sql`] refuses it, without running it (its schema names the
/// columns an answer will have).
pub async fn read_only_plan(ctx: &SessionContext, sql: &str) -> Result<LogicalPlan, StoreError> {
    let state = ctx.state();
    let options = &state.config().options().sql_parser;
    let dialect = dialect_from_str(options.dialect)
        .ok_or_else(|| DataFusionError::Plan(format!("unknown SQL dialect {}", options.dialect)))?;
    let mut statements = DFParserBuilder::new(sql)
        .with_dialect(dialect.as_ref())
        .with_recursion_limit(options.recursion_limit.get())
        .build()?
        .parse_statements()?;
    if statements.len() > 1 {
        return Err(StoreError::ReadOnly(Refused::Several(statements.len())));
    }
    let statement = statements
        .pop_front()
        .ok_or(StoreError::ReadOnly(Refused::Empty))?;
    check(&statement).map_err(StoreError::ReadOnly)?;
    for reference in state.resolve_table_references(&statement)? {
        if names_a_file(reference.table()) {
            return Err(StoreError::ReadOnly(Refused::File(
                reference.table().into(),
            )));
        }
    }
    let plan = state.statement_to_plan(statement).await?;
    let forbid = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    forbid
        .verify_plan(&plan)
        .map_err(|_| StoreError::ReadOnly(refused_plan(&plan)))?;
    Ok(plan)
}

/// Whether a parsed statement is a read-only query (an `EXPLAIN` of one
/// included), and if not, which kind it is.
fn check(statement: &Statement) -> Result<(), Refused> {
    match statement {
        Statement::Statement(inner) => check_sql(inner),
        Statement::CreateExternalTable(_) => Err(Refused::ExternalTable),
        Statement::CopyTo(_) => Err(Refused::Copy),
        Statement::Explain(explain) => check(&explain.statement),
        Statement::Reset(_) => Err(Refused::Setting("RESET".into())),
    }
}

fn check_sql(statement: &SqlStatement) -> Result<(), Refused> {
    match statement {
        SqlStatement::Query(query) if selects_into(query) => {
            Err(Refused::Definition("SELECT ... INTO".into()))
        }
        SqlStatement::Query(_)
        | SqlStatement::ShowTables { .. }
        | SqlStatement::ShowColumns { .. }
        | SqlStatement::ShowVariable { .. }
        | SqlStatement::ExplainTable { .. } => Ok(()),
        SqlStatement::Explain { statement, .. } => check_sql(statement),
        SqlStatement::Copy { .. } => Err(Refused::Copy),
        other => Err(classify(&other.to_string())),
    }
}

/// Whether a query writes its result into a new table (`SELECT ... INTO t`).
fn selects_into(query: &datafusion::sql::sqlparser::ast::Query) -> bool {
    use datafusion::sql::sqlparser::ast::SetExpr;
    matches!(&*query.body, SetExpr::Select(select) if select.into.is_some())
}

/// Whether a table name is a path or URL rather than a table's name.
fn names_a_file(name: &str) -> bool {
    const EXTENSIONS: [&str; 8] = [
        ".csv", ".tsv", ".json", ".ndjson", ".parquet", ".arrow", ".avro", ".txt",
    ];
    let lower = name.to_ascii_lowercase();
    name.contains(['/', '\\'])
        || name.contains("://")
        || EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

/// The kind of a refused statement from its leading keywords, e.g.
/// `DROP TABLE` or `INSERT`.
fn classify(text: &str) -> Refused {
    let words: Vec<String> = text
        .split_whitespace()
        .take(6)
        .map(str::to_ascii_uppercase)
        .collect();
    let first = words.first().map(String::as_str).unwrap_or("");
    // CREATE [OR REPLACE] [TEMPORARY] [EXTERNAL] TABLE: up to the object's word.
    let named = || {
        let end = words
            .iter()
            .position(|w| {
                matches!(
                    w.as_str(),
                    "TABLE"
                        | "VIEW"
                        | "SCHEMA"
                        | "DATABASE"
                        | "CATALOG"
                        | "FUNCTION"
                        | "INDEX"
                        | "TYPE"
                        | "SEQUENCE"
                        | "ROLE"
                )
            })
            .unwrap_or(0);
        words[..=end].join(" ")
    };
    match first {
        "CREATE" | "DROP" | "ALTER" | "TRUNCATE" => Refused::Definition(named()),
        "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "REPLACE" => {
            Refused::Modification(first.to_string())
        }
        "SET" | "RESET" => Refused::Setting(first.to_string()),
        "" => Refused::Empty,
        _ => Refused::Other(first.to_string()),
    }
}

/// The kind of a plan [`SQLOptions`] refused: what its syntax check let
/// through, such as `SELECT ... INTO`.
fn refused_plan(plan: &LogicalPlan) -> Refused {
    let mut found = Refused::Other("the statement".into());
    let _ = plan.apply_with_subqueries(|node| {
        use datafusion::common::tree_node::TreeNodeRecursion;
        let kind = match node {
            LogicalPlan::Ddl(ddl) => Refused::Definition(ddl.name().to_ascii_uppercase()),
            LogicalPlan::Dml(dml) => Refused::Modification(dml.op.to_string().to_ascii_uppercase()),
            LogicalPlan::Copy(_) => Refused::Copy,
            LogicalPlan::Statement(s) => Refused::Other(s.name().to_ascii_uppercase()),
            _ => return Ok(TreeNodeRecursion::Continue),
        };
        found = kind;
        Ok(TreeNodeRecursion::Stop)
    });
    found
}

/// A result stream that stops at the deadline and names the memory limit.
struct Limited {
    schema: SchemaRef,
    inner: SendableRecordBatchStream,
    limits: Limits,
    deadline: Option<(Duration, Pin<Box<Sleep>>)>,
}

impl Stream for Limited {
    type Item = Result<RecordBatch, DataFusionError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some((limit, sleep)) = &mut self.deadline
            && sleep.as_mut().poll(cx).is_ready()
        {
            let limit = *limit;
            self.deadline = None;
            // Drop the plan now: its tasks abort, and the stream ends.
            self.inner = Box::pin(
                datafusion::physical_plan::stream::EmptyRecordBatchStream::new(self.schema.clone()),
            );
            let err = StoreError::Deadline { limit };
            return Poll::Ready(Some(Err(DataFusionError::External(Box::new(err)))));
        }
        match self.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Err(e))) => {
                let e = match self.limits.explain(&e) {
                    Some(clear) => DataFusionError::External(Box::new(clear)),
                    None => e,
                };
                Poll::Ready(Some(Err(e)))
            }
            other => other,
        }
    }
}

impl RecordBatchStream for Limited {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_memory_is_read_from_meminfo() {
        let text = "MemTotal:       16318412 kB\nMemFree:         1000 kB\n";
        assert_eq!(mem_total_bytes(text), Some(16_318_412 * 1024));
        assert_eq!(mem_total_bytes("MemFree: 1 kB\n"), None);
        assert_eq!(mem_total_bytes("MemTotal: lots\n"), None);
    }

    #[test]
    fn bytes_read_as_people_write_them() {
        assert_eq!(human_bytes(512 << 20), "512 MiB");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
        assert_eq!(human_bytes(100), "100 bytes");
    }

    fn session(limits: &Limits) -> SessionContext {
        let config = datafusion::prelude::SessionConfig::new();
        SessionContext::new_with_config_rt(config, limits.runtime_env().unwrap())
    }

    /// The first error of a query, with how long it took to come.
    async fn first_error(limits: Limits, sql: &str) -> (StoreError, Duration) {
        use futures::StreamExt;
        let ctx = session(&limits);
        let started = std::time::Instant::now();
        let mut stream = match read_only_sql(&ctx, sql, &limits).await {
            Ok(stream) => stream,
            Err(e) => return (e, started.elapsed()),
        };
        while let Some(item) = stream.next().await {
            if let Err(e) = item {
                let clear = limits.explain(&e).unwrap_or(StoreError::Query(e));
                return (clear, started.elapsed());
            }
        }
        panic!("{sql} succeeded");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_query_past_its_deadline_stops_with_the_deadline_named() {
        let limits = Limits {
            memory_bytes: 64 << 20,
            timeout: Some(Duration::from_millis(300)),
        };
        let (err, took) = first_error(limits, "select count(*) from range(1000000000000)").await;
        assert!(matches!(err, StoreError::Deadline { .. }), "{err}");
        assert!(
            err.to_string().contains("0.3 s deadline (--timeout)"),
            "{err}"
        );
        assert!(took < Duration::from_secs(3), "stopped after {took:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_query_beyond_the_pool_stops_with_the_limit_named() {
        let limits = Limits {
            memory_bytes: 4 << 20,
            timeout: Some(Duration::from_secs(60)),
        };
        // A hash join holds its build side in memory and cannot spill.
        let sql =
            "select count(*) from range(3000000) a join range(3000000) b on a.value = b.value";
        let (err, _) = first_error(limits, sql).await;
        assert!(matches!(err, StoreError::MemoryLimit { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("more than the 4 MiB memory limit (--memory-limit)"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn only_one_read_only_statement_runs() {
        let limits = Limits {
            memory_bytes: 64 << 20,
            timeout: None,
        };
        let ctx = session(&limits);
        for (sql, refused) in [
            ("COPY (select 1) TO '/tmp/x.csv'", Refused::Copy),
            ("EXPLAIN COPY (select 1) TO '/tmp/x.csv'", Refused::Copy),
            (
                "EXPLAIN ANALYZE COPY (select 1) TO '/tmp/x.csv'",
                Refused::Copy,
            ),
            ("select 1; select 2", Refused::Several(2)),
            ("  ", Refused::Empty),
            (
                "SET datafusion.execution.batch_size = 1",
                Refused::Setting("SET".into()),
            ),
            (
                "select * into t from (values (1))",
                Refused::Definition("SELECT ... INTO".into()),
            ),
            ("select * from 'x/y.csv'", Refused::File("x/y.csv".into())),
        ] {
            match read_only_sql(&ctx, sql, &limits).await {
                Err(StoreError::ReadOnly(kind)) => assert_eq!(kind, refused, "{sql}"),
                Err(e) => panic!("{sql}: {e}"),
                Ok(_) => panic!("{sql} ran"),
            }
        }
        assert!(read_only_sql(&ctx, "select 1", &limits).await.is_ok());
    }

    #[test]
    fn refused_kinds_are_named_by_their_keywords() {
        assert_eq!(
            classify("DROP TABLE chart_entries"),
            Refused::Definition("DROP TABLE".into())
        );
        assert_eq!(
            classify("CREATE OR REPLACE VIEW v AS SELECT 1"),
            Refused::Definition("CREATE OR REPLACE VIEW".into())
        );
        assert_eq!(
            classify("INSERT INTO t VALUES (1)"),
            Refused::Modification("INSERT".into())
        );
        assert_eq!(
            classify("SET datafusion.runtime.temp_directory = '/'"),
            Refused::Setting("SET".into())
        );
        assert_eq!(classify("BEGIN"), Refused::Other("BEGIN".into()));
    }
}
