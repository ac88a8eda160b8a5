//! The command line as clap sees it, and its validation into the settings the
//! commands run with. Nothing here does I/O.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use chartlens_ingest::path::parse_date;
use chartlens_model::{Frequency, Region};
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

/// The store used when neither --store nor CHARTLENS_STORE is given.
pub const DEFAULT_STORE: &str = "chartlens-store";

#[derive(Debug, Parser)]
#[command(name = "chartlens", version, about, long_about = None)]
pub struct Cli {
    /// Directory of the store (created by the first ingest): a path, or a
    /// file:// URL of a path every machine of a cluster sees.
    #[arg(long, global = true, env = "CHARTLENS_STORE", default_value = DEFAULT_STORE, value_parser = parse_store)]
    pub store: PathBuf,

    /// Run the read commands' queries on the Apache Ballista cluster whose
    /// scheduler is at this URL, e.g. df://sched-host:50050 (see `chartlens
    /// cluster`). Plans are made here; the store must be at the same path on
    /// every machine. Ingest and the other writes stay local.
    #[arg(long, global = true, env = "CHARTLENS_CLUSTER", value_name = "URL")]
    pub cluster: Option<String>,

    /// Seconds a replaced or compacted Parquet part stays on disk for queries
    /// still reading it.
    #[arg(
        long,
        global = true,
        env = "CHARTLENS_RETIRE_GRACE_SECS",
        default_value_t = 600,
        hide = true
    )]
    pub retire_grace_secs: u64,

    /// Cohort definitions (TOML) to classify artists with; default: cohorts.toml
    /// in the store if there is one, else the built-in definitions.
    #[arg(long, global = true, env = "CHARTLENS_COHORTS")]
    pub cohort_rules: Option<PathBuf>,

    /// Memory each query may hold, e.g. 512M or 4G (K, M, G, T: powers of
    /// 1024; a B or iB after them is allowed). Sorts and aggregations spill to
    /// the temporary directory beyond it, other queries stop with an error.
    /// Default: half of physical memory (2 GiB where it cannot be read).
    #[arg(long, global = true, env = "CHARTLENS_MEMORY_LIMIT", value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<usize>,

    /// Stop a query command (sql, reach, spread, share, home, engagement,
    /// artists, export, study, demo) after this many seconds, e.g. 30 or 2.5.
    /// Default: no deadline.
    #[arg(long, global = true, env = "CHARTLENS_TIMEOUT", value_name = "SECS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The query limits the flags ask for, defaults filled in.
    pub fn limits(&self) -> chartlens_store::Limits {
        let defaults = chartlens_store::Limits::default();
        chartlens_store::Limits {
            memory_bytes: self.memory_limit.unwrap_or(defaults.memory_bytes),
            timeout: self.timeout,
        }
    }
}

impl Command {
    /// Whether `--timeout` stops this command: every command that queries the
    /// store, not those that only write it (a write stopped midway is safe,
    /// but `--timeout` promises to stop queries).
    pub fn honours_timeout(&self) -> bool {
        match self {
            Command::Sql(_)
            | Command::Reach(_)
            | Command::Spread(_)
            | Command::Share(_)
            | Command::Home(_)
            | Command::Network(_)
            | Command::Diversity(_)
            | Command::Alerts(_)
            | Command::Engagement(_)
            | Command::Study(_)
            | Command::Export(_)
            | Command::Demo(_) => true,
            Command::Artists(command) => {
                !matches!(command, ArtistsCommand::Import(_) | ArtistsCommand::Cohorts)
            }
            Command::Ingest(_)
            | Command::Metrics(_)
            | Command::Tables(_)
            | Command::Compact
            | Command::Check(_)
            | Command::Repair
            | Command::Simulate(_) => false,
            // The server gives each query the deadline, not itself.
            Command::Serve(_) => false,
            Command::Cluster(_) => false,
        }
    }

    /// Whether this command reads the store through sessions that
    /// `--cluster` sends to a cluster.
    pub fn reads_through_sessions(&self) -> bool {
        match self {
            Command::Artists(command) => !matches!(command, ArtistsCommand::Import(_)),
            Command::Serve(_) => true,
            Command::Demo(_) => false,
            other => other.honours_timeout(),
        }
    }
}

/// A `--store` value: a path, or a `file://` URL of one.
pub fn parse_store(text: &str) -> Result<PathBuf, String> {
    if let Some(path) = text.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(format!(
                "{text:?}: a file:// URL names an absolute path, e.g. file:///shared/store"
            ));
        }
        return Ok(PathBuf::from(path));
    }
    if let Some((scheme, _)) = text.split_once("://") {
        return Err(format!(
            "{text:?}: stores on {scheme}:// are not supported yet; give a path, or a file:// \
             URL of a path every machine of the cluster mounts"
        ));
    }
    Ok(PathBuf::from(text))
}

/// A size such as `512M`, `4GiB` or `1.5g`: a number of bytes, or of K, M, G
/// or T (powers of 1024), with an optional `B` or `iB`.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let wrong = || {
        format!("{text:?} is not a size: give bytes or a number with K, M, G or T, e.g. 512M or 4G")
    };
    let lower = text.trim().to_ascii_lowercase();
    let unitless = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (number, shift) = match unitless.char_indices().last() {
        Some((at, 'k')) => (&unitless[..at], 10),
        Some((at, 'm')) => (&unitless[..at], 20),
        Some((at, 'g')) => (&unitless[..at], 30),
        Some((at, 't')) => (&unitless[..at], 40),
        // "iB" alone is no unit.
        _ if lower.ends_with("ib") => return Err(wrong()),
        _ => (unitless, 0),
    };
    let value: f64 = number.trim().parse().map_err(|_| wrong())?;
    let bytes = value * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes >= usize::MAX as f64 {
        return Err(format!(
            "{text:?} is not a usable memory limit: give at least 1 byte"
        ));
    }
    Ok(bytes as usize)
}

/// A positive number of seconds, such as `10` or `2.5`.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("{text:?} is not a number of seconds above 0, e.g. 30 or 2.5"))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read chart files and folders into the store.
    Ingest(IngestArgs),
    /// Run a SQL query on the store.
    Sql(SqlArgs),
    /// Import artist lists, and see who is in which cohort and why.
    #[command(subcommand)]
    Artists(ArtistsCommand),
    /// Breadth: in how many markets tracks or artists charted.
    Reach(ReachArgs),
    /// Spread: days from a track's first market to its 2nd, 5th, 10th, 20th.
    Spread(SpreadArgs),
    /// Cohort share of charts per source, chart and market or month.
    Share(ShareArgs),
    /// Home and export share per artist or cohort, domestic share per market.
    Home(HomeArgs),
    /// Which markets' charts lead which: per pair of markets, who had their
    /// shared tracks first; per market; or the backbone of predecessors.
    Network(NetworkArgs),
    /// Diversity of each market's chart per year, and whether markets'
    /// charts converge (mean Jaccard overlap of their tracks per year).
    Diversity(DiversityArgs),
    /// Breakout alerts for tracks and artists, a back-test of the track rule,
    /// and webhooks that send each new alert once.
    Alerts(AlertsArgs),
    /// Engagement of videos (likes, comments, shares per view, view velocity)
    /// per video, artist or cohort.
    Engagement(EngagementArgs),
    /// The definition of every metric: what it measures, formula, caveats, example.
    Metrics(DocArgs),
    /// Test claims about two cohorts on every chart, and write the evidence as
    /// index.html, report.md and report.json.
    Study(StudyArgs),
    /// Write chart entries in the interchange layout (CSV or Parquet), which
    /// `chartlens ingest` reads back.
    Export(ExportArgs),
    /// List the stored tables, their columns and what each column means.
    Tables(DocArgs),
    /// Merge small Parquet parts into large ones, and bring the summary tables up to date.
    Compact,
    /// Check that the store is whole: the manifest, every part (present, of
    /// its size; with --deep, of its hash and every row readable), the
    /// source index and the summary tables. Exits 4 when something is damaged.
    Check(CheckArgs),
    /// Make a damaged store whole again: roll back to the newest manifest that
    /// can be read, drop damaged parts with every row of the files they held,
    /// rebuild the summary tables, and list the files to ingest again.
    Repair,
    /// Serve a dashboard and a JSON API over the store, on
    /// http://127.0.0.1:7878/ by default.
    Serve(ServeArgs),
    /// Run an Apache Ballista scheduler, an executor, or both on this machine,
    /// for `--cluster`.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Simulate a chart world, ingest it, import its registry, run the study
    /// and write the report: the whole product on data it makes up.
    Demo(DemoArgs),
    /// Write a simulated chart world (fictional artists spreading by a Bass
    /// process) as files in the real source layouts.
    Simulate(SimulateArgs),
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// The scheduler: takes queries from clients and hands their stages to executors.
    Scheduler(SchedulerArgs),
    /// An executor: runs stages for a scheduler, reading the store's files.
    Executor(ExecutorArgs),
    /// A scheduler and executors in this process, for one machine or a test.
    Local(LocalClusterArgs),
}

#[derive(Debug, clap::Args)]
pub struct SchedulerArgs {
    /// Address to listen on; port 0 takes any free port.
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub bind: std::net::SocketAddr,
    /// Host name executors and clients reach the scheduler by; default: the bind address.
    #[arg(long)]
    pub external_host: Option<String>,
    /// Seconds without a heartbeat after which an executor is taken as lost
    /// and its tasks run again on the others.
    #[arg(long, default_value_t = 30)]
    pub executor_timeout: u64,
}

#[derive(Debug, clap::Args)]
pub struct ExecutorArgs {
    /// The scheduler to work for, e.g. df://sched-host:50050.
    #[arg(long)]
    pub scheduler: String,
    /// Address the executor's ports listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind_host: String,
    /// Host name the scheduler and clients reach this executor by; default: --bind-host.
    #[arg(long)]
    pub external_host: Option<String>,
    /// Port of its Arrow Flight service, which serves results and shuffle data.
    #[arg(long, default_value_t = 50051)]
    pub port: u16,
    /// Port of its gRPC service, which takes tasks from the scheduler.
    #[arg(long, default_value_t = 50052)]
    pub grpc_port: u16,
    /// Tasks it runs at once; default: the machine's cores.
    #[arg(long)]
    pub concurrent_tasks: Option<usize>,
    /// Directory for its shuffle files; default: a new temporary directory.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct LocalClusterArgs {
    /// Executors to start.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub executors: u16,
    /// The scheduler's address; port 0 takes any free port.
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub bind: std::net::SocketAddr,
    /// Tasks each executor runs at once; default: the machine's cores divided among them.
    #[arg(long)]
    pub concurrent_tasks: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// Files or directories (walked recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Market of every file: a country name, an ISO 3166-1 alpha-2 code, or GLOBAL.
    #[arg(long)]
    pub region: Option<String>,
    /// Period of every file: YYYY-MM-DD, or YYYY-MM-DD..YYYY-MM-DD.
    #[arg(long)]
    pub period: Option<String>,
    /// Chart name of every file, e.g. top200 or viral50.
    #[arg(long)]
    pub chart: Option<String>,
    /// Publication frequency of every file: daily or weekly.
    #[arg(long)]
    pub frequency: Option<String>,
    /// When every video statistics file was observed (YYYY-MM-DD); default:
    /// the date or ISO week in its name, else its modification time.
    #[arg(long)]
    pub observed: Option<String>,
    /// Do not list each rejected file (the summary still counts them).
    #[arg(long, short)]
    pub quiet: bool,
    /// When another chartlens is writing to the store, wait for it:
    /// `--wait=SECS` up to SECS seconds, `--wait` as long as it takes (for
    /// cron jobs). Without it, ingest fails at once.
    #[arg(
        long,
        value_name = "SECS",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "forever"
    )]
    pub wait: Option<Wait>,
    /// Rows buffered per Parquet part; smaller commits more often.
    #[arg(long, default_value_t = 500_000, hide = true)]
    pub part_rows: usize,
    /// Files larger than this are streamed rather than read whole.
    #[arg(long, default_value_t = 32 << 20, hide = true)]
    pub stream_above_bytes: u64,
}

/// How long `--wait` waits for the store's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait(pub Option<std::time::Duration>);

impl std::str::FromStr for Wait {
    type Err = String;

    fn from_str(text: &str) -> Result<Wait, String> {
        if text == "forever" {
            return Ok(Wait(None));
        }
        text.parse::<u64>()
            .map(|secs| Wait(Some(std::time::Duration::from_secs(secs))))
            .map_err(|_| format!("`{text}` is not a number of seconds"))
    }
}

impl Wait {
    /// The wait as the store takes it: a very long one for "forever".
    pub fn duration(self) -> std::time::Duration {
        self.0.unwrap_or(std::time::Duration::MAX)
    }
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Also hash every part and read every row (slower: reads the whole store).
    #[arg(long)]
    pub deep: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    /// One JSON array of row objects.
    Json,
    /// One JSON object per line (JSON Lines).
    Jsonl,
}

/// How `tables` and `metrics` print their documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    /// Text for a person to read.
    Text,
    /// One JSON document, for programs (and `serve`'s API).
    Json,
}

#[derive(Debug, clap::Args)]
pub struct DocArgs {
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    pub format: DocFormat,
}

#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// The query, in DataFusion SQL (tables: chart_entries, ingest_log,
    /// artist_facts, playlist_snapshots, and the derived artists and
    /// credits; `chartlens tables` describes them), or `-`
    /// to read it from standard input.
    pub query: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Rows shown by --format table before it truncates (csv and json print all).
    #[arg(long, default_value_t = 50)]
    pub max_rows: usize,
    /// Stop after this many rows, in every format: the query ends there
    /// instead of computing the rest.
    #[arg(long)]
    pub limit: Option<usize>,
}

/// Which chart rows a metric reads.
#[derive(Debug, Clone, clap::Args)]
pub struct MetricFilters {
    #[command(flatten)]
    pub rows: RowFilters,
    /// Only this cohort (`none`: artists in no cohort): the artist's for
    /// `reach --by artist`, the primary artist's for tracks.
    #[arg(long)]
    pub cohort: Option<String>,
}

/// Which chart rows to read: sources, charts, markets and period.
#[derive(Debug, Clone, clap::Args)]
pub struct RowFilters {
    /// Only these sources (repeatable), e.g. spotify, billboard.
    #[arg(long)]
    pub source: Vec<String>,
    /// Only these charts (repeatable), e.g. viral50, top50. Charts of different
    /// kinds are not comparable: pick one.
    #[arg(long)]
    pub chart: Vec<String>,
    /// Only these markets (repeatable): country names, ISO codes or GLOBAL.
    #[arg(long)]
    pub market: Vec<String>,
    /// Only charts starting in this period: YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD.
    #[arg(long)]
    pub period: Option<String>,
}

impl RowFilters {
    pub fn validate(&self) -> anyhow::Result<chartlens_metrics::Filters> {
        row_filters(
            &self.source,
            &self.chart,
            "market",
            &self.market,
            self.period.as_deref(),
        )
    }
}

impl MetricFilters {
    pub fn validate(&self) -> anyhow::Result<chartlens_metrics::Filters> {
        let mut filters = self.rows.validate()?;
        filters.cohort = self.cohort.clone();
        Ok(filters)
    }
}

/// Chart-row filters from command-line values: chart names folded as ingest
/// folds them, markets as ISO codes (`flag` names the option in errors), and
/// the period as inclusive dates.
pub fn row_filters(
    sources: &[String],
    charts: &[String],
    flag: &str,
    markets: &[String],
    period: Option<&str>,
) -> anyhow::Result<chartlens_metrics::Filters> {
    let regions = markets
        .iter()
        .map(|m| {
            Region::parse(m)
                .map(|r| r.code().to_string())
                .with_context(|| {
                    format!("--{flag} {m:?} is not a country name, ISO code or GLOBAL")
                })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (from, to) = match period {
        None => (None, None),
        Some(p) => {
            let (start, end) = parse_period(p)?;
            (Some(start.to_string()), Some(end.to_string()))
        }
    };
    Ok(chartlens_metrics::Filters {
        sources: sources.to_vec(),
        charts: charts
            .iter()
            .map(|c| chartlens_ingest::spotify_charts::chart_name(c))
            .collect(),
        regions,
        from,
        to,
        ..Default::default()
    })
}

/// How a metric prints.
#[derive(Debug, Clone, clap::Args)]
pub struct MetricOutput {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// At most this many rows of each source and chart (of the whole result
    /// where rows have no chart, as for engagement); csv and json print
    /// every row otherwise.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Rows shown by --format table before it truncates.
    #[arg(long, default_value_t = 50)]
    pub max_rows: usize,
    /// Print the SQL behind the figures on standard error.
    #[arg(long)]
    pub show_sql: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReachBy {
    Track,
    Artist,
    /// The distribution of artist breadth per cohort.
    Cohort,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngagementBy {
    Video,
    Artist,
    Cohort,
}

#[derive(Debug, clap::Args)]
pub struct EngagementArgs {
    /// One row per video (its latest snapshot), per artist or per cohort
    /// (medians over their videos).
    #[arg(long, value_enum, default_value_t = EngagementBy::Cohort)]
    pub by: EngagementBy,
    /// Only these platforms (repeatable): youtube, tiktok.
    #[arg(long)]
    pub platform: Vec<String>,
    /// Only snapshots taken in this period: YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD.
    #[arg(long)]
    pub period: Option<String>,
    /// Only videos of this cohort (`none`: in none).
    #[arg(long)]
    pub cohort: Option<String>,
    #[command(flatten)]
    pub output: MetricOutput,
}

#[derive(Debug, clap::Args)]
pub struct StudyArgs {
    /// The two cohorts to compare, FIRST,SECOND: each claim says the first
    /// does more than the second.
    #[arg(long, value_delimiter = ',', default_value = "K-pop,J-pop")]
    pub cohorts: Vec<String>,
    /// Directory for index.html, report.md and report.json (created).
    #[arg(long, default_value = "chartlens-report")]
    pub out: PathBuf,
    /// Bootstrap resamples per interval.
    #[arg(long, default_value_t = 1000)]
    pub resamples: usize,
    /// Seed of the bootstrap's random stream.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[command(flatten)]
    pub rows: RowFilters,
    /// Marks the report as made from simulated data, with this description.
    #[arg(long, hide = true)]
    pub simulated: Option<String>,
}

/// The order of `reach` rows within each source and chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReachSort {
    /// Most markets first (the default).
    Markets,
    /// Most entries first.
    Entries,
    /// Earliest first chart date first (--by track only).
    #[value(name = "first_date", alias = "first-date")]
    FirstDate,
}

#[derive(Debug, clap::Args)]
pub struct ReachArgs {
    /// One row per track, per artist, or per cohort (its artists' breadth).
    #[arg(long, value_enum, default_value_t = ReachBy::Track)]
    pub by: ReachBy,
    #[command(flatten)]
    pub filters: MetricFilters,
    /// Only tracks crediting this artist, lead or featured (--by track), or
    /// only this artist (--by artist); any spelling or script the registry
    /// knows, or a credited name.
    #[arg(long)]
    pub artist: Option<String>,
    /// Order within each source and chart (ties: markets, entries, name).
    #[arg(long, value_enum)]
    pub sort: Option<ReachSort>,
    #[command(flatten)]
    pub output: MetricOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShareBy {
    Market,
    Month,
    MarketMonth,
}

#[derive(Debug, clap::Args)]
pub struct ShareArgs {
    /// Group by market, by month, or by both (always within source and chart).
    #[arg(long, value_enum, default_value_t = ShareBy::Market)]
    pub by: ShareBy,
    #[command(flatten)]
    pub filters: MetricFilters,
    #[command(flatten)]
    pub output: MetricOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HomeBy {
    Artist,
    Cohort,
    Market,
}

#[derive(Debug, clap::Args)]
pub struct HomeArgs {
    /// Per artist, per cohort, or per market (within source and chart).
    #[arg(long, value_enum, default_value_t = HomeBy::Cohort)]
    pub by: HomeBy,
    #[command(flatten)]
    pub filters: MetricFilters,
    #[command(flatten)]
    pub output: MetricOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NetworkBy {
    /// One row per ordered pair of markets.
    Pair,
    /// One row per market: tracks, led, followed, first_share.
    Market,
}

#[derive(Debug, clap::Args)]
pub struct NetworkArgs {
    /// One row per ordered pair of markets, or per market.
    #[arg(long, value_enum, default_value_t = NetworkBy::Pair)]
    pub by: NetworkBy,
    /// Instead: for each market, the market most often entered last before
    /// it (its predecessor on the backbone), with its count.
    #[arg(long, conflicts_with = "min_both")]
    pub backbone: bool,
    /// Count a track for a pair (and the backbone) only when both markets'
    /// chart data had started by its earlier first date: a market whose data
    /// starts late then does not seem to follow every other.
    #[arg(long)]
    pub common_start: bool,
    /// Only pairs with at least this many tracks in both markets.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub min_both: u32,
    #[command(flatten)]
    pub filters: MetricFilters,
    #[command(flatten)]
    pub output: MetricOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiversityBy {
    /// Mean Jaccard overlap between markets per year, with its interval.
    Year,
    /// Per market and year: tracks, artists, effective artists, domestic share.
    #[value(name = "market-year", alias = "market_year")]
    MarketYear,
}

#[derive(Debug, clap::Args)]
pub struct DiversityArgs {
    /// The overlap per year, or the diversity of each market per year.
    #[arg(long, value_enum, default_value_t = DiversityBy::Year)]
    pub by: DiversityBy,
    /// Bootstrap resamples per interval.
    #[arg(long, default_value_t = 1000)]
    pub resamples: usize,
    /// Seed of the bootstrap's random stream.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[command(flatten)]
    pub filters: MetricFilters,
    #[command(flatten)]
    pub output: MetricOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlertKinds {
    /// Track and artist alerts.
    All,
    Track,
    Artist,
}

#[derive(Debug, clap::Args)]
pub struct AlertsArgs {
    /// Which alerts.
    #[arg(long, value_enum, default_value_t = AlertKinds::All)]
    pub kind: AlertKinds,
    /// A track alert fires when the track has charted in this many markets...
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(2..))]
    pub markets: u32,
    /// ...within this many days of its first chart date.
    #[arg(long, value_name = "DAYS", default_value_t = 14, value_parser = clap::value_parser!(u32).range(0..=36600))]
    pub within: u32,
    /// An artist alert fires when its markets exceed the median of its
    /// previous 12 periods by more than K median absolute deviations.
    #[arg(long, default_value_t = 3.0, value_parser = parse_k)]
    pub k: f64,
    /// Instead of alerts: how well the track rule predicted reaching
    /// --target markets, per chart, over the whole store.
    #[arg(long, conflicts_with_all = ["since", "webhook"])]
    pub backtest: bool,
    /// The back-test's wide success: charting in this many markets.
    #[arg(long, default_value_t = 10, requires = "backtest", value_parser = clap::value_parser!(u32).range(2..))]
    pub target: u32,
    /// With --backtest: also every rule of N = 2..5 markets and D = 7, 14, 28 days.
    #[arg(long, requires = "backtest")]
    pub grid: bool,
    /// Only alerts dated after this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub since: Option<NaiveDate>,
    /// POST each alert not sent before to this URL as JSON (http only), and
    /// record it in the store so that a rerun sends it no more.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    #[command(flatten)]
    pub filters: MetricFilters,
    #[command(flatten)]
    pub output: MetricOutput,
}

/// A non-negative, finite number of deviations.
fn parse_k(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|k| k.is_finite() && *k >= 0.0)
        .ok_or_else(|| format!("{text:?} is not a number of deviations of 0 or more, e.g. 3"))
}

/// A day, YYYY-MM-DD.
fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date: give YYYY-MM-DD, e.g. 2021-03-01"))
}

/// The order of `spread` rows within each source and chart: counts most
/// first, days and dates earliest first, empty values last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SpreadSort {
    /// Most markets first (the default).
    Markets,
    /// Fewest days to the 2nd market first.
    #[value(name = "t2_days", alias = "t2")]
    T2Days,
    /// Fewest days to the 5th market first.
    #[value(name = "t5_days", alias = "t5")]
    T5Days,
    /// Fewest days to the 10th market first.
    #[value(name = "t10_days", alias = "t10")]
    T10Days,
    /// Fewest days to the 20th market first.
    #[value(name = "t20_days", alias = "t20")]
    T20Days,
    /// Most markets tied on the first date first.
    #[value(name = "tied_first", alias = "tied-first")]
    TiedFirst,
    /// Earliest first date first.
    #[value(name = "first_date", alias = "first-date")]
    FirstDate,
    /// By track name.
    #[value(name = "track_name", alias = "track-name")]
    TrackName,
}

#[derive(Debug, clap::Args)]
pub struct SpreadArgs {
    /// Only this track: its id, or else its name in any spelling or script
    /// (case, accents and width folded as for artist names); every track of
    /// that name is shown.
    #[arg(long)]
    pub track: Option<String>,
    /// Only tracks crediting this artist, lead or featured: any spelling or
    /// script the registry knows, or a credited name.
    #[arg(long)]
    pub artist: Option<String>,
    /// Order within each source and chart (ties: markets, first date, id).
    #[arg(long, value_enum, default_value_t = SpreadSort::Markets)]
    pub sort: SpreadSort,
    #[command(flatten)]
    pub filters: MetricFilters,
    #[command(flatten)]
    pub output: MetricOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Parquet,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// A file, or a directory to write chart_entries.csv or .parquet into.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t = ExportFormat::Parquet)]
    pub format: ExportFormat,
    /// Only these sources (repeatable), e.g. spotify, billboard.
    #[arg(long)]
    pub source: Vec<String>,
    /// Only these charts (repeatable), e.g. viral50, top50, hot100.
    #[arg(long)]
    pub chart: Vec<String>,
    /// Only these markets (repeatable): country names, ISO codes or GLOBAL.
    #[arg(long)]
    pub region: Vec<String>,
    /// Only charts starting in this period: YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD.
    #[arg(long)]
    pub period: Option<String>,
    /// Any further SQL condition on chart_entries columns.
    #[arg(long = "where")]
    pub filter: Option<String>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum ArtistsCommand {
    /// Read artist lists into the store; the layout is told from the header.
    Import(ImportArgs),
    /// Show an artist's names, every fact with its file and line, and what
    /// each cohort rule said.
    Explain(ExplainArgs),
    /// One row per artist: name, origin_country, cohort and the deciding rule.
    List(ListArgs),
    /// Share of chart entries and streams per cohort within each source and
    /// chart, overall and per market, and the artists in no cohort that
    /// chart most.
    Coverage(CoverageArgs),
    /// Placed artists whose evidence is thin or contradicts itself, ranked
    /// by chart entries, with the evidence and the registry row that settles
    /// each.
    Audit(AuditArgs),
    /// Print the cohort definitions in force, to save as cohorts.toml and edit.
    Cohorts,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Only artists of this cohort.
    #[arg(long)]
    pub cohort: Option<String>,
    /// Also list artists the evidence held back from a cohort (in no
    /// cohort now), with why.
    #[arg(long)]
    pub held: bool,
    /// Only reasons to doubt a placement: leave out `single-source` (a
    /// placement resting on one file, as most list placements do).
    #[arg(long)]
    pub doubtful: bool,
    /// Rows shown by --format table before it truncates.
    #[arg(long, default_value_t = 50)]
    pub max_rows: usize,
    /// Print the SQL behind the chart figures on standard error.
    #[arg(long)]
    pub show_sql: bool,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Files or directories (walked recursively) of artist lists: registry
    /// (name,country,genres,aliases), name,country,macro_genre, K-pop idol or
    /// group lists, Spotify artist-genre tables.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print only the summary.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The artist's name, in any spelling or script.
    pub name: String,
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Only artists of this cohort (`none`: artists in no cohort).
    #[arg(long)]
    pub cohort: Option<String>,
    /// Rows shown by --format table before it truncates.
    #[arg(long, default_value_t = 50)]
    pub max_rows: usize,
    /// Print the SQL that produces the list on standard error.
    #[arg(long)]
    pub show_sql: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoverageView {
    /// Per cohort, over all markets.
    Overall,
    /// Per market and cohort.
    Markets,
    /// The artists in no cohort (`none`) with the most chart entries, and why.
    #[value(name = "none", alias = "unclassified")]
    NoCohort,
}

impl CoverageView {
    pub fn name(self) -> &'static str {
        match self {
            CoverageView::Overall => "overall",
            CoverageView::Markets => "markets",
            CoverageView::NoCohort => "none",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            CoverageView::Overall => {
                "Chart entries by cohort of the primary artist, per chart, all markets"
            }
            CoverageView::Markets => "Per chart and market",
            CoverageView::NoCohort => {
                "Artists in no cohort (none) with the most chart entries, per chart"
            }
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct CoverageArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print one view only (needed with --format csv).
    #[arg(long, value_enum)]
    pub view: Option<CoverageView>,
    /// How many artists in no cohort to list per chart.
    #[arg(long, default_value_t = 25)]
    pub top: usize,
    #[command(flatten)]
    pub rows: RowFilters,
    /// Rows shown per view by --format table before it truncates.
    #[arg(long, default_value_t = 500)]
    pub max_rows: usize,
    /// Print the SQL of each view on standard error.
    #[arg(long)]
    pub show_sql: bool,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the simulated files are written (replaced if it exists).
    #[arg(long, default_value = "chartlens-demo")]
    pub dir: PathBuf,
    /// Where the study report is written.
    #[arg(long, default_value = "chartlens-report")]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. Anything but a loopback address needs --token.
    #[arg(long, default_value = "127.0.0.1:7878")]
    pub addr: String,
    /// A secret every request must carry (`Authorization: Bearer TOKEN`, or
    /// `?token=TOKEN` once in a browser, which sets a cookie).
    #[arg(long, env = "CHARTLENS_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The most rows `POST /api/v1/sql` answers; a longer result is cut and
    /// marked `truncated`.
    #[arg(long, default_value_t = 10_000)]
    pub sql_rows: usize,
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Directory to write the world into (created; must be empty or absent).
    #[arg(long, default_value = "chartlens-sim")]
    pub out: PathBuf,
    /// Parameters (TOML); default: the built-in ones (see --print-config).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Seed of the random stream, instead of the parameters' own.
    #[arg(long)]
    pub seed: Option<u64>,
    /// About this many chart entries (sets the number of weeks).
    #[arg(long)]
    pub entries: Option<u64>,
    /// Print the built-in parameters, documented, and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// Ingest settings after validation.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    pub paths: Vec<PathBuf>,
    pub read: chartlens_ingest::ReadOptions,
    pub quiet: bool,
    pub part_rows: usize,
    pub stream_above_bytes: u64,
}

impl IngestArgs {
    pub fn validate(&self) -> anyhow::Result<IngestConfig> {
        let region = match &self.region {
            None => None,
            Some(text) => Some(Region::parse(text).with_context(|| {
                format!(
                    "--region {text:?} is not a country name, ISO 3166-1 alpha-2 code or GLOBAL"
                )
            })?),
        };
        let period = self.period.as_deref().map(parse_period).transpose()?;
        let frequency = match &self.frequency {
            None => None,
            Some(text) => Some(
                Frequency::parse(text)
                    .with_context(|| format!("--frequency {text:?} is not daily or weekly"))?,
            ),
        };
        let chart = self
            .chart
            .as_deref()
            .map(chartlens_ingest::spotify_charts::chart_name);
        if chart.as_deref() == Some("") {
            bail!("--chart needs a name such as top200 or viral50");
        }
        if self.part_rows == 0 {
            bail!("--part-rows must be at least 1");
        }
        let observed = match &self.observed {
            None => None,
            Some(text) => Some(
                parse_date(text)
                    .with_context(|| format!("--observed {text:?} is not a date YYYY-MM-DD"))?,
            ),
        };
        Ok(IngestConfig {
            paths: self.paths.clone(),
            read: chartlens_ingest::ReadOptions {
                region,
                period,
                chart,
                frequency,
                observed,
                batch_rows: self.part_rows.min(65_536),
            },
            quiet: self.quiet,
            part_rows: self.part_rows,
            stream_above_bytes: self.stream_above_bytes,
        })
    }
}

/// `YYYY-MM-DD` or `YYYY-MM-DD..YYYY-MM-DD` (also `--` between the dates).
pub fn parse_period(text: &str) -> anyhow::Result<(NaiveDate, NaiveDate)> {
    let (start, end) = text
        .split_once("..")
        .or_else(|| text.split_once("--"))
        .unwrap_or((text, text));
    let date = |s: &str| {
        parse_date(s)
            .with_context(|| format!("--period {text:?}: {s:?} is not a date (YYYY-MM-DD)"))
    };
    let (start, end) = (date(start)?, date(end)?);
    if end < start {
        bail!("--period {text:?} ends before it starts");
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let d = |s| parse_date(s).unwrap();
        assert_eq!(
            parse_period("2020-01-02").unwrap(),
            (d("2020-01-02"), d("2020-01-02"))
        );
        assert_eq!(
            parse_period("2020-01-02..2020-01-08").unwrap(),
            (d("2020-01-02"), d("2020-01-08"))
        );
        assert!(parse_period("2020-01-08..2020-01-02").is_err());
        assert!(parse_period("yesterday").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("4gib"), Ok(4 << 30));
        assert_eq!(parse_size("64KB"), Ok(64 << 10));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("100B"), Ok(100));
        for junk in ["", "M", "lots", "4X", "-1G", "0", "iB", "4 G B", "NaNG"] {
            assert!(parse_size(junk).is_err(), "{junk:?} parsed");
        }
    }

    #[test]
    fn seconds() {
        assert_eq!(parse_seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_seconds("2.5"), Ok(Duration::from_millis(2500)));
        for junk in ["", "0", "-3", "soon", "inf", "1e30"] {
            assert!(parse_seconds(junk).is_err(), "{junk:?} parsed");
        }
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
