//! `chartlens network` and `chartlens diversity`: who leads whom, and
//! whether markets' charts converge. The rows come from SQL on the store;
//! the pairs are counted by `chartlens_metrics::network` and `::diversity`.

use std::path::Path;

use anyhow::bail;
use chartlens_metrics::network::{self, ChartFirsts};
use chartlens_metrics::{self as metrics, diversity};
use chartlens_stats::Bootstrap;
use chartlens_store::Limits;

use crate::args::{DiversityArgs, DiversityBy, MetricFilters, NetworkArgs, NetworkBy};
use crate::cmd::metrics::{print_table, run_sql};
use crate::cmd::selection::{self, Selection, Wanted};

/// Every track's first date in each market of the selection, per chart.
pub async fn firsts(selection: &Selection, show_sql: bool) -> anyhow::Result<Vec<ChartFirsts>> {
    let sql = metrics::spread_firsts(&selection.filters);
    if show_sql {
        eprintln!(
            "{sql}\n\n(pairs, markets and backbone counted per track from these rows: \
             chartlens_metrics::network)\n"
        );
    }
    Ok(network::read_firsts(&selection.collect(&sql).await?)?)
}

/// Refuses a selection of GLOBAL alone: it is not a market, so no pair.
pub fn refuse_global_only(filters: &MetricFilters, command: &str) -> anyhow::Result<()> {
    let markets = &filters.rows.market;
    if !markets.is_empty() && markets.iter().all(|m| m.eq_ignore_ascii_case("global")) {
        bail!(
            "--market GLOBAL: {command} compares markets, and GLOBAL is not one; pick two or \
             more countries, or no --market for all"
        );
    }
    Ok(())
}

pub async fn network(
    store_dir: &Path,
    cohorts: Option<&Path>,
    args: &NetworkArgs,
    limits: &Limits,
) -> anyhow::Result<u8> {
    refuse_global_only(&args.filters, "network")?;
    if args.backbone && args.by == NetworkBy::Market {
        bail!("--backbone is one row per market already; leave out --by market");
    }
    let wanted = Wanted {
        markets_only: true,
        ..Wanted::default()
    };
    let selection = selection::select(store_dir, cohorts, &args.filters, wanted, limits).await?;
    let mut charts = firsts(&selection, args.output.show_sql).await?;
    if args.common_start {
        let starts = selection
            .collect(&metrics::market_starts(&selection.filters))
            .await?;
        ChartFirsts::common_start(&mut charts, &starts)?;
    }
    let table = if args.backbone {
        network::backbone_table(&network::backbone(&charts))?
    } else {
        match args.by {
            NetworkBy::Pair => network::pairs_table(&charts, args.min_both)?,
            NetworkBy::Market => network::markets_table(&charts)?,
        }
    };
    print_table(table, &args.output).await
}

pub async fn diversity(
    store_dir: &Path,
    cohorts: Option<&Path>,
    args: &DiversityArgs,
    limits: &Limits,
) -> anyhow::Result<u8> {
    refuse_global_only(&args.filters, "diversity")?;
    let wanted = Wanted {
        markets_only: true,
        ..Wanted::default()
    };
    let selection = selection::select(store_dir, cohorts, &args.filters, wanted, limits).await?;
    if args.by == DiversityBy::MarketYear {
        let sql = diversity::by_market_year(&selection.filters);
        return run_sql(&selection, &sql, &args.output).await;
    }
    let markets_sql = diversity::overlap_markets(&selection.filters);
    let tracks_sql = diversity::overlap_tracks(&selection.filters);
    if args.output.show_sql {
        eprintln!(
            "{markets_sql}\n\n{tracks_sql}\n\n(Jaccard per pair of markets and its bootstrap \
             over markets: chartlens_metrics::diversity)\n"
        );
    }
    let bootstrap = bootstrap(args.resamples, args.seed)?;
    let (market_years, tracks) = futures::try_join!(
        selection.collect(&markets_sql),
        selection.collect(&tracks_sql)
    )?;
    let years = diversity::overlaps(&market_years, &tracks)?;
    let table = diversity::overlap_table(&years, &bootstrap)?;
    print_table(table, &args.output).await
}

/// Bootstrap settings of 95% intervals.
pub fn bootstrap(resamples: usize, seed: u64) -> anyhow::Result<Bootstrap> {
    if resamples == 0 {
        bail!("--resamples 0 gives no interval; give 1000 or more");
    }
    Ok(Bootstrap {
        resamples,
        seed,
        level: 0.95,
    })
}
