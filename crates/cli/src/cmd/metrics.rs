//! `chartlens reach`, `spread` and `metrics`: the metrics of
//! `chartlens_model::metrics`, run on the store and printed.

use std::path::Path;

use anyhow::bail;
use chartlens_model::cohort::Cohorts;
use chartlens_model::metrics::{self, Filters};
use chartlens_store::Store;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;

use crate::args::{
    EngagementArgs, EngagementBy, HomeArgs, HomeBy, MetricFilters, MetricOutput, ReachArgs,
    ReachBy, RowFilters, ShareArgs, ShareBy, SpreadArgs,
};
use crate::exit;
use crate::output;

pub fn reach(store_dir: &Path, cohorts: Option<&Path>, args: &ReachArgs) -> anyhow::Result<u8> {
    let (filters, cohorts) = filters(store_dir, cohorts, &args.filters)?;
    let sql = match args.by {
        ReachBy::Track => metrics::breadth_by_track(&filters),
        ReachBy::Artist => metrics::breadth_by_artist(&filters, false),
        ReachBy::Cohort => metrics::breadth_by_cohort(&filters),
    };
    run(store_dir, cohorts, &sql, &args.output)
}

/// Spread: the first dates per market come from SQL, T_N from
/// `chartlens_model::spread` (ordering each track's markets in Rust).
pub fn spread(store_dir: &Path, cohorts: Option<&Path>, args: &SpreadArgs) -> anyhow::Result<u8> {
    let (filters, cohorts) = filters(store_dir, cohorts, &args.filters)?;
    let firsts_sql = metrics::spread_firsts(&filters, args.track.as_deref());
    let starts_sql = metrics::data_starts(&filters);
    if args.output.show_sql {
        eprintln!(
            "{firsts_sql}\n\n{starts_sql}\n\n(T_N: the days from a track's first to its Nth \
             market, markets ordered by day then code: chartlens_model::spread)\n"
        );
    }
    let store = Store::open(store_dir)?;
    let ctx = store.session_with_artists(cohorts)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (firsts, starts) = futures::try_join!(
            async { ctx.sql(&firsts_sql).await?.collect().await },
            async { ctx.sql(&starts_sql).await?.collect().await },
        )?;
        let table = chartlens_model::spread::table(&firsts, &starts, args.output.limit)?;
        let schema = table.schema();
        let stream = RecordBatchStreamAdapter::new(schema, futures::stream::iter([Ok(table)]));
        output::print_stream(Box::pin(stream), args.output.format, args.output.max_rows).await
    })?;
    Ok(exit::OK)
}

pub fn share(store_dir: &Path, cohorts: Option<&Path>, args: &ShareArgs) -> anyhow::Result<u8> {
    let (filters, cohorts) = filters(store_dir, cohorts, &args.filters)?;
    if filters.cohort.is_some() {
        bail!("--cohort does not apply to shares: every cohort is shown");
    }
    let by = match args.by {
        ShareBy::Market => metrics::ShareBy::Market,
        ShareBy::Month => metrics::ShareBy::Month,
        ShareBy::MarketMonth => metrics::ShareBy::MarketMonth,
    };
    run(
        store_dir,
        cohorts,
        &metrics::cohort_share(&filters, by),
        &args.output,
    )
}

pub fn home(store_dir: &Path, cohorts: Option<&Path>, args: &HomeArgs) -> anyhow::Result<u8> {
    let (filters, cohorts) = filters(store_dir, cohorts, &args.filters)?;
    let by = match args.by {
        HomeBy::Artist => metrics::HomeBy::Artist,
        HomeBy::Cohort => metrics::HomeBy::Cohort,
        HomeBy::Market => metrics::HomeBy::Market,
    };
    run(
        store_dir,
        cohorts,
        &metrics::home_share(&filters, by),
        &args.output,
    )
}

pub fn engagement(
    store_dir: &Path,
    cohorts: Option<&Path>,
    args: &EngagementArgs,
) -> anyhow::Result<u8> {
    let platforms: Vec<String> = args.platform.iter().map(|p| p.to_lowercase()).collect();
    let as_metric = MetricFilters {
        rows: RowFilters {
            source: platforms,
            chart: Vec::new(),
            market: Vec::new(),
            period: args.period.clone(),
        },
        cohort: args.cohort.clone(),
    };
    let (filters, cohorts) = filters(store_dir, cohorts, &as_metric)?;
    let by = match args.by {
        EngagementBy::Video => metrics::EngagementBy::Video,
        EngagementBy::Artist => metrics::EngagementBy::Artist,
        EngagementBy::Cohort => metrics::EngagementBy::Cohort,
    };
    run(
        store_dir,
        cohorts,
        &metrics::engagement(&filters, by),
        &args.output,
    )
}

pub fn docs() -> anyhow::Result<u8> {
    for metric in metrics::ALL {
        println!("{}", metric.markdown());
    }
    Ok(exit::OK)
}

/// The checked filters, with the cohort spelled as its definition does, and
/// the cohort definitions in force.
fn filters(
    store_dir: &Path,
    flag: Option<&Path>,
    args: &MetricFilters,
) -> anyhow::Result<(Filters, Cohorts)> {
    let mut filters = args.validate()?;
    let (cohorts, _) = super::artists::load_cohorts(store_dir, flag)?;
    if let Some(cohort) = &filters.cohort {
        // `none` stays as given: the metric SQL reads it as "in no cohort".
        if let Some(name) = super::artists::cohort_name(&cohorts, cohort)? {
            filters.cohort = Some(name);
        }
    }
    Ok((filters, cohorts))
}

fn run(store_dir: &Path, cohorts: Cohorts, sql: &str, out: &MetricOutput) -> anyhow::Result<u8> {
    let sql = match out.limit {
        Some(n) => format!("{sql} LIMIT {n}"),
        None => sql.to_string(),
    };
    if out.show_sql {
        eprintln!("{sql}\n");
    }
    let store = Store::open(store_dir)?;
    let ctx = store.session_with_artists(cohorts)?;
    output::run_query(&ctx, &sql, out.format, out.max_rows)?;
    Ok(exit::OK)
}
