//! `chartlens reach`, `spread` and `metrics`: the metrics of
//! `chartlens_model::metrics`, run on the store and printed.

use std::path::Path;

use chartlens_model::metrics::{self, Filters};
use chartlens_store::Store;

use crate::args::{MetricOutput, ReachArgs, ReachBy, SpreadArgs};
use crate::exit;
use crate::output;

pub fn reach(store_dir: &Path, cohorts: Option<&Path>, args: &ReachArgs) -> anyhow::Result<u8> {
    let filters = args.filters.validate()?;
    let sql = match args.by {
        ReachBy::Track => metrics::breadth_by_track(&filters),
        ReachBy::Artist => metrics::breadth_by_artist(&filters),
        ReachBy::Cohort => metrics::breadth_by_cohort(&filters),
    };
    run(store_dir, cohorts, &filters, &sql, &args.output)
}

pub fn spread(store_dir: &Path, cohorts: Option<&Path>, args: &SpreadArgs) -> anyhow::Result<u8> {
    let filters = args.filters.validate()?;
    let sql = metrics::spread_by_track(&filters, args.track.as_deref());
    run(store_dir, cohorts, &filters, &sql, &args.output)
}

pub fn docs() -> anyhow::Result<u8> {
    for metric in metrics::ALL {
        println!("{}", metric.markdown());
    }
    Ok(exit::OK)
}

fn run(
    store_dir: &Path,
    cohorts: Option<&Path>,
    filters: &Filters,
    sql: &str,
    out: &MetricOutput,
) -> anyhow::Result<u8> {
    if let Some(cohort) = &filters.cohort {
        let (defined, _) = super::artists::load_cohorts(store_dir, cohorts)?;
        if !cohort.eq_ignore_ascii_case("none") && defined.index_of(cohort).is_none() {
            let known: Vec<&str> = defined.cohorts.iter().map(|c| c.name.as_str()).collect();
            anyhow::bail!(
                "--cohort {cohort:?} is not a cohort; the cohorts are {} (or none)",
                known.join(", ")
            );
        }
    }
    let sql = match out.limit {
        Some(n) => format!("{sql} LIMIT {n}"),
        None => sql.to_string(),
    };
    if out.show_sql {
        eprintln!("{sql}\n");
    }
    let (cohorts, _) = super::artists::load_cohorts(store_dir, cohorts)?;
    let store = Store::open(store_dir)?;
    let ctx = store.session_with_artists(cohorts)?;
    output::run_query(&ctx, &sql, out.format, out.max_rows)?;
    Ok(exit::OK)
}
