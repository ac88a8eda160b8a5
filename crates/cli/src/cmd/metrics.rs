//! `chartlens reach`, `spread` and `metrics`: the metrics of
//! `chartlens_metrics`, run on the store and printed.

use std::collections::HashMap;
use std::path::Path;

use arrow::array::{AsArray, BooleanArray, RecordBatch, StringArray};
use arrow::datatypes::DataType;

use anyhow::bail;
use chartlens_metrics::spread::SpreadSort;
use chartlens_metrics::{self as metrics, NoCohortAs};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;

use crate::args::{
    self, EngagementArgs, EngagementBy, HomeArgs, HomeBy, MetricFilters, MetricOutput, ReachArgs,
    ReachBy, RowFilters, ShareArgs, ShareBy, SpreadArgs,
};
use crate::cmd::selection::{self, Selection, Wanted};
use crate::exit;
use crate::output;
use chartlens_store::Limits;

pub async fn reach(
    store_dir: &Path,
    cohorts: Option<&Path>,
    args: &ReachArgs,
    limits: &Limits,
) -> anyhow::Result<u8> {
    let sort = match (args.by, args.sort) {
        (ReachBy::Cohort, Some(_)) => {
            bail!("--sort applies to --by track and --by artist; cohorts are listed by size")
        }
        (ReachBy::Artist, Some(args::ReachSort::FirstDate)) => {
            bail!("--sort first_date applies to --by track; sort artists by markets or entries")
        }
        (_, None | Some(args::ReachSort::Markets)) => metrics::ReachSort::Markets,
        (_, Some(args::ReachSort::Entries)) => metrics::ReachSort::Entries,
        (_, Some(args::ReachSort::FirstDate)) => metrics::ReachSort::FirstDate,
    };
    if args.by == ReachBy::Cohort && args.artist.is_some() {
        bail!("--artist applies to --by track and --by artist");
    }
    let wanted = Wanted {
        artist: args.artist.as_deref(),
        track: None,
        markets_only: false,
    };
    let selection = selection::select(store_dir, cohorts, &args.filters, wanted, limits).await?;
    let filters = &selection.filters;
    let sql = match args.by {
        ReachBy::Track => metrics::breadth_by_track(filters, sort),
        ReachBy::Artist => metrics::breadth_by_artist_as(filters, false, NoCohortAs::Named, sort),
        ReachBy::Cohort => metrics::breadth_by_cohort(filters),
    };
    run_sql(&selection, &sql, &args.output).await
}

/// Spread: the first dates per market come from SQL, T_N from
/// `chartlens_metrics::spread` (ordering each track's markets in Rust).
pub async fn spread(
    store_dir: &Path,
    cohorts: Option<&Path>,
    args: &SpreadArgs,
    limits: &Limits,
) -> anyhow::Result<u8> {
    let markets = &args.filters.rows.market;
    if !markets.is_empty() && markets.iter().all(|m| m.eq_ignore_ascii_case("global")) {
        bail!(
            "--market GLOBAL: spread counts the markets a track entered, and GLOBAL is not one; \
             `chartlens reach` shows which tracks were on the GLOBAL chart (its `global` column)"
        );
    }
    let wanted = Wanted {
        artist: args.artist.as_deref(),
        track: args.track.as_deref(),
        markets_only: true,
    };
    let selection = selection::select(store_dir, cohorts, &args.filters, wanted, limits).await?;
    let firsts_sql = metrics::spread_firsts(&selection.filters);
    let starts_sql = metrics::data_starts(&selection.filters);
    if args.output.show_sql {
        eprintln!(
            "{firsts_sql}\n\n{starts_sql}\n\n(T_N: the days from a track's first to its Nth \
             market, markets ordered by day then code; first_markets: every market of the \
             first day: chartlens_metrics::spread)\n"
        );
    }
    let sort = match args.sort {
        args::SpreadSort::Markets => SpreadSort::Markets,
        args::SpreadSort::T2Days => SpreadSort::Days(0),
        args::SpreadSort::T5Days => SpreadSort::Days(1),
        args::SpreadSort::T10Days => SpreadSort::Days(2),
        args::SpreadSort::T20Days => SpreadSort::Days(3),
        args::SpreadSort::TiedFirst => SpreadSort::TiedFirst,
        args::SpreadSort::FirstDate => SpreadSort::FirstDate,
        args::SpreadSort::TrackName => SpreadSort::TrackName,
    };
    let ctx = &selection.ctx;
    let (firsts, starts) = futures::try_join!(
        async { ctx.sql(&firsts_sql).await?.collect().await },
        async { ctx.sql(&starts_sql).await?.collect().await },
    )?;
    let table = chartlens_metrics::spread::table(&firsts, &starts, sort, args.output.limit)?;
    print_table(
        table,
        &MetricOutput {
            limit: None,
            ..args.output.clone()
        },
    )
    .await
}

/// Prints a table computed in full, at most `out.limit` rows of each source
/// and chart (of the whole table when it has no chart columns).
pub(super) async fn print_table(table: RecordBatch, out: &MetricOutput) -> anyhow::Result<u8> {
    let schema = table.schema();
    let per_chart = ["source", "chart"]
        .iter()
        .all(|c| schema.column_with_name(c).is_some());
    let batches = match out.limit {
        Some(n) if per_chart => limit_per_chart(vec![table], n)?,
        Some(n) => vec![table.slice(0, n.min(table.num_rows()))],
        None => vec![table],
    };
    let stream =
        RecordBatchStreamAdapter::new(schema, futures::stream::iter(batches.into_iter().map(Ok)));
    output::print_stream(Box::pin(stream), out.format, out.max_rows).await?;
    Ok(exit::OK)
}

pub async fn share(
    store_dir: &Path,
    cohorts: Option<&Path>,
    args: &ShareArgs,
    limits: &Limits,
) -> anyhow::Result<u8> {
    if args.filters.cohort.is_some() {
        bail!("--cohort does not apply to shares: every cohort is shown");
    }
    let selection =
        selection::select(store_dir, cohorts, &args.filters, Wanted::default(), limits).await?;
    let by = match args.by {
        ShareBy::Market => metrics::ShareBy::Market,
        ShareBy::Month => metrics::ShareBy::Month,
        ShareBy::MarketMonth => metrics::ShareBy::MarketMonth,
    };
    run_sql(
        &selection,
        &metrics::cohort_share(&selection.filters, by),
        &args.output,
    )
    .await
}

pub async fn home(
    store_dir: &Path,
    cohorts: Option<&Path>,
    args: &HomeArgs,
    limits: &Limits,
) -> anyhow::Result<u8> {
    let selection =
        selection::select(store_dir, cohorts, &args.filters, Wanted::default(), limits).await?;
    let by = match args.by {
        HomeBy::Artist => metrics::HomeBy::Artist,
        HomeBy::Cohort => metrics::HomeBy::Cohort,
        HomeBy::Market => metrics::HomeBy::Market,
    };
    run_sql(
        &selection,
        &metrics::home_share(&selection.filters, by),
        &args.output,
    )
    .await
}

pub async fn engagement(
    store_dir: &Path,
    cohorts: Option<&Path>,
    args: &EngagementArgs,
    limits: &Limits,
) -> anyhow::Result<u8> {
    let platforms: Vec<String> = args.platform.iter().map(|p| p.to_lowercase()).collect();
    // The period bounds snapshot dates, not chart dates: the chart checks
    // see only the cohort; the platforms are checked against the snapshots.
    let cohort_only = MetricFilters {
        rows: RowFilters {
            source: Vec::new(),
            chart: Vec::new(),
            market: Vec::new(),
            period: None,
        },
        cohort: args.cohort.clone(),
    };
    let mut selection =
        selection::select(store_dir, cohorts, &cohort_only, Wanted::default(), limits).await?;
    selection::check_platforms(&selection, &platforms).await?;
    let period = args.period.as_deref().map(args::parse_period).transpose()?;
    selection.filters.sources = platforms;
    selection.filters.from = period.map(|p| p.0.to_string());
    selection.filters.to = period.map(|p| p.1.to_string());
    let by = match args.by {
        EngagementBy::Video => metrics::EngagementBy::Video,
        EngagementBy::Artist => metrics::EngagementBy::Artist,
        EngagementBy::Cohort => metrics::EngagementBy::Cohort,
    };
    run_sql(
        &selection,
        &metrics::engagement_as(&selection.filters, by, NoCohortAs::Named),
        &args.output,
    )
    .await
}

pub fn docs(format: args::DocFormat) -> anyhow::Result<u8> {
    if format == args::DocFormat::Json {
        let docs: Vec<serde_json::Value> = metrics::ALL
            .iter()
            .map(|m| {
                serde_json::json!({
                    "name": m.name,
                    "what": m.what,
                    "formula": m.formula,
                    "caveats": m.caveats,
                    "example": m.example,
                })
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&docs)?);
        return Ok(exit::OK);
    }
    for metric in metrics::ALL {
        outln!("{}", metric.markdown());
    }
    Ok(exit::OK)
}

/// Runs a metric's SQL and prints it, at most `out.limit` rows per chart.
pub(super) async fn run_sql(
    selection: &Selection,
    sql: &str,
    out: &MetricOutput,
) -> anyhow::Result<u8> {
    if out.show_sql {
        eprintln!("{sql}\n");
    }
    let frame = selection.ctx.sql(sql).await?;
    let schema = frame.schema().clone();
    let per_chart = ["source", "chart"]
        .iter()
        .all(|c| schema.has_column_with_unqualified_name(c));
    let stream = match out.limit {
        // Every chart keeps its first rows: a limit never cuts charts away.
        Some(n) if per_chart => {
            let batches = limit_per_chart(frame.collect().await?, n)?;
            let schema = match batches.first() {
                Some(batch) => batch.schema(),
                None => std::sync::Arc::new(schema.as_arrow().clone()),
            };
            let stream = RecordBatchStreamAdapter::new(
                schema,
                futures::stream::iter(batches.into_iter().map(Ok)),
            );
            Box::pin(stream) as datafusion::execution::SendableRecordBatchStream
        }
        Some(n) => frame.limit(0, Some(n))?.execute_stream().await?,
        None => frame.execute_stream().await?,
    };
    output::print_stream(stream, out.format, out.max_rows).await?;
    Ok(exit::OK)
}

/// The first `n` rows of each (source, chart), in the order given.
fn limit_per_chart(batches: Vec<RecordBatch>, n: usize) -> anyhow::Result<Vec<RecordBatch>> {
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut out = Vec::with_capacity(batches.len());
    for batch in batches {
        let text = |name: &str| -> anyhow::Result<StringArray> {
            let column = batch
                .column_by_name(name)
                .ok_or_else(|| anyhow::anyhow!("the result has no {name} column"))?;
            let cast = arrow::compute::cast(column, &DataType::Utf8)?;
            Ok(cast.as_string::<i32>().clone())
        };
        let (source, chart) = (text("source")?, text("chart")?);
        let keep: BooleanArray = (0..batch.num_rows())
            .map(|i| {
                let count = seen
                    .entry((source.value(i).to_string(), chart.value(i).to_string()))
                    .or_insert(0);
                *count += 1;
                Some(*count <= n)
            })
            .collect();
        out.push(arrow::compute::filter_record_batch(&batch, &keep)?);
    }
    Ok(out)
}
