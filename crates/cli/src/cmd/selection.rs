//! The chart rows a metric command reads, checked against the store once for
//! every command: an unknown source or chart is an error listing the store's
//! charts, an empty selection says why, and artist and track names are
//! resolved to what the metric SQL filters on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use anyhow::bail;
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use chartlens_metrics::{self as metrics, CreditMatch, Filters, TrackMatch};
use chartlens_model::artist::{exact_form, name_key};
use chartlens_model::registry::Resolution;
use datafusion::prelude::SessionContext;

use crate::args::MetricFilters;

/// A session on the store and the checked filters.
pub struct Selection {
    pub filters: Filters,
    pub ctx: SessionContext,
}

impl Selection {
    /// Runs a query to its batches.
    pub async fn collect(&self, sql: &str) -> anyhow::Result<Vec<RecordBatch>> {
        Ok(self.ctx.sql(sql).await?.collect().await?)
    }
}

/// Names of artists and tracks to find, besides the row filters, and
/// whether the command counts markets only (so that a GLOBAL-only chart
/// gives it no rows, which is then said).
#[derive(Debug, Default, Clone, Copy)]
pub struct Wanted<'a> {
    pub artist: Option<&'a str>,
    pub track: Option<&'a str>,
    pub markets_only: bool,
}

/// Validates `args`, opens the store, refuses a source or chart it does not
/// hold, notes on standard error why the selection (or a named chart) is
/// empty, and resolves `wanted`.
pub async fn select(
    store_dir: &Path,
    cohorts_flag: Option<&Path>,
    args: &MetricFilters,
    wanted: Wanted<'_>,
    limits: &chartlens_store::Limits,
) -> anyhow::Result<Selection> {
    let mut filters = args.validate()?;
    let (cohorts, _) = super::cohorts::load_cohorts(store_dir, cohorts_flag)?;
    if let Some(cohort) = &filters.cohort {
        // `none` stays as given: the metric SQL reads it as "in no cohort".
        if let Some(name) = super::cohorts::cohort_name(&cohorts, cohort)? {
            filters.cohort = Some(name);
        }
    }
    let store = super::open_store(store_dir, limits)?;
    // The registry is built here only when a name must be looked up in it;
    // otherwise the session derives it if a query needs it.
    let (ctx, artists) = match wanted.artist {
        Some(_) => {
            let artists = Arc::new(store.artists(cohorts)?);
            (store.session_with(artists.clone())?, Some(artists))
        }
        None => (store.session_with_artists(cohorts)?, None),
    };
    let mut selection = Selection { filters, ctx };
    let scope = read_scope(&selection).await?;
    for note in check_scope(&selection.filters, &scope, wanted.markets_only)? {
        eprintln!("note: {note}");
    }
    if let (Some(name), Some(artists)) = (wanted.artist, &artists) {
        let unresolved = selection.collect(metrics::UNRESOLVED_CREDITS).await?;
        let credited = texts(&unresolved, "credited_name")?;
        let found = find_artist(artists, name, credited.iter().flatten().map(String::as_str));
        if found.ids.is_empty() && found.names.is_empty() {
            return Err(super::NotFound(format!(
                "--artist {name:?} is no artist the registry knows and no name credited on the \
                 charts; `chartlens artists list` lists the known artists, and \
                 `chartlens artists explain NAME` shows how a name resolves"
            ))
            .into());
        }
        if found.ids.len() > 1 {
            let names: Vec<&str> = found
                .ids
                .iter()
                .filter_map(|&i| usize::try_from(i).ok())
                .filter_map(|i| artists.registry.artists.get(i))
                .map(|a| a.name.as_str())
                .collect();
            eprintln!(
                "note: --artist {name:?} names {} artists ({}): the tracks of each are shown; \
                 `chartlens artists explain {name:?}` tells them apart",
                found.ids.len(),
                names.join(", ")
            );
        }
        selection.filters.artist = Some(found);
    }
    if let Some(text) = wanted.track {
        let batches = selection
            .collect(&metrics::track_names(&selection.filters))
            .await?;
        let (ids, names) = (texts(&batches, "track_id")?, texts(&batches, "track_name")?);
        let pairs = ids
            .iter()
            .zip(&names)
            .filter_map(|(id, name)| match (id, name) {
                (Some(id), Some(name)) => Some((id.as_str(), name.as_str())),
                _ => None,
            });
        let found = find_track(text, pairs);
        if found.keys.is_empty() && found.names.is_empty() {
            return Err(super::NotFound(format!(
                "--track {text:?} is neither the id nor the name of a track on the selected \
                 charts; `chartlens reach --by track` lists them (add --artist NAME to narrow)"
            ))
            .into());
        }
        selection.filters.track = Some(found);
    }
    Ok(selection)
}

/// The artists `name` stands for: those the registry resolves it to (all of
/// them when it is ambiguous), and the credited names that resolve to no one
/// but fold to the same key.
pub fn find_artist<'a>(
    artists: &chartlens_store::derived::Artists,
    name: &str,
    unresolved: impl Iterator<Item = &'a str>,
) -> CreditMatch {
    let ids: Vec<i64> = match artists.registry.resolve(name) {
        Resolution::Unique(id) => vec![id as i64],
        Resolution::Ambiguous(ids) => ids.iter().map(|&i| i as i64).collect(),
        Resolution::Unknown => Vec::new(),
    };
    let same = folds_like(name);
    let mut names: Vec<String> = unresolved
        .filter(|credited| same(credited))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    CreditMatch { ids, names }
}

/// The tracks `text` stands for: the one whose id it is, or else every track
/// whose name folds to the same key.
pub fn find_track<'a>(text: &str, tracks: impl Iterator<Item = (&'a str, &'a str)>) -> TrackMatch {
    let tracks: Vec<(&str, &str)> = tracks.collect();
    if tracks.iter().any(|(id, _)| *id == text) {
        return TrackMatch {
            keys: vec![text.to_string()],
            names: Vec::new(),
        };
    }
    let same = folds_like(text);
    let names: BTreeSet<String> = tracks
        .iter()
        .filter(|(_, name)| same(name))
        .map(|(_, name)| name.to_string())
        .collect();
    TrackMatch {
        keys: Vec::new(),
        names: names.into_iter().collect(),
    }
}

/// Whether a name matches `query` by the registry's folding (NFKC, case,
/// accents, punctuation); by exact form when the query has no letters or
/// digits to fold (`!!!`).
fn folds_like(query: &str) -> impl Fn(&str) -> bool {
    let key = name_key(query);
    let exact = exact_form(query);
    move |name: &str| {
        if key.is_empty() {
            exact_form(name) == exact
        } else {
            name_key(name) == key
        }
    }
}

/// What the store holds of one source, chart and market.
#[derive(Debug, Clone)]
pub struct ScopeRow {
    pub source: String,
    pub chart: String,
    pub region: String,
    pub first_date: String,
    pub last_date: String,
    pub in_period: i64,
}

async fn read_scope(selection: &Selection) -> anyhow::Result<Vec<ScopeRow>> {
    let batches = selection
        .collect(&metrics::chart_scope(&selection.filters))
        .await?;
    let mut rows = Vec::new();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    for batch in &batches {
        let one = std::slice::from_ref(batch);
        let (source, chart, region) = (
            texts(one, "source")?,
            texts(one, "chart")?,
            texts(one, "region")?,
        );
        let (first, last) = (texts(one, "first_date")?, texts(one, "last_date")?);
        let counts = batch
            .column_by_name("in_period")
            .map(|c| arrow::compute::cast(c, &DataType::Int64))
            .transpose()?
            .ok_or_else(|| anyhow::anyhow!("chart scope without in_period"))?;
        let counts = counts.as_primitive::<Int64Type>();
        for i in 0..batch.num_rows() {
            rows.push(ScopeRow {
                source: text(&source[i]),
                chart: text(&chart[i]),
                region: text(&region[i]),
                first_date: text(&first[i]),
                last_date: text(&last[i]),
                in_period: if counts.is_valid(i) {
                    counts.value(i)
                } else {
                    0
                },
            });
        }
    }
    Ok(rows)
}

/// Refuses a `--source` or `--chart` the store does not hold, and returns
/// the notes that say why a selected chart gives no rows: none of the
/// `--market`s (and which charts have them), or no date in `--period` (and
/// the chart's dates). A chart's emptiness is told when charts were named,
/// or when no selected chart gives rows at all.
pub fn check_scope(
    filters: &Filters,
    scope: &[ScopeRow],
    markets_only: bool,
) -> anyhow::Result<Vec<String>> {
    let charts: BTreeSet<(&str, &str)> = scope
        .iter()
        .map(|r| (r.source.as_str(), r.chart.as_str()))
        .collect();
    let name = |(source, chart): (&str, &str)| format!("{source}/{chart}");
    let listing = || {
        if charts.is_empty() {
            "the store has no chart entries yet (`chartlens ingest PATH` reads some)".to_string()
        } else {
            let all: Vec<String> = charts.iter().map(|&c| name(c)).collect();
            format!("the store's charts (source/chart): {}", all.join(", "))
        }
    };
    for source in &filters.sources {
        if !charts.iter().any(|(s, _)| s == source) {
            bail!("--source {source:?} is not in the store; {}", listing());
        }
    }
    let source_ok = |s: &str| filters.sources.is_empty() || filters.sources.iter().any(|x| x == s);
    for chart in &filters.charts {
        if !charts.iter().any(|&(s, c)| c == chart && source_ok(s)) {
            let of = if filters.sources.is_empty() {
                String::new()
            } else {
                format!(" of --source {}", filters.sources.join(", "))
            };
            bail!(
                "--chart {chart:?} is not a chart{of} in the store; {}",
                listing()
            );
        }
    }
    let selected: Vec<(&str, &str)> = charts
        .iter()
        .copied()
        .filter(|&(s, c)| {
            source_ok(s) && (filters.charts.is_empty() || filters.charts.iter().any(|x| x == c))
        })
        .collect();
    let market_ok = |r: &str| filters.regions.is_empty() || filters.regions.iter().any(|m| m == r);
    let mut notes = Vec::new();
    let mut empty = Vec::new();
    let mut any_rows = false;
    for &chart in &selected {
        let rows: Vec<&ScopeRow> = scope
            .iter()
            .filter(|r| (r.source.as_str(), r.chart.as_str()) == chart && market_ok(&r.region))
            .collect();
        if rows.is_empty() {
            let markets: BTreeSet<&str> = scope
                .iter()
                .filter(|r| (r.source.as_str(), r.chart.as_str()) == chart)
                .map(|r| r.region.as_str())
                .collect();
            empty.push(format!(
                "{} has no chart for --market {} (its markets: {})",
                name(chart),
                filters.regions.join(", "),
                abbreviated(&markets)
            ));
        } else if rows.iter().all(|r| r.in_period == 0) {
            let first = rows
                .iter()
                .map(|r| r.first_date.as_str())
                .min()
                .unwrap_or("");
            let last = rows
                .iter()
                .map(|r| r.last_date.as_str())
                .max()
                .unwrap_or("");
            let period = match (&filters.from, &filters.to) {
                (Some(from), Some(to)) if from == to => from.clone(),
                (Some(from), Some(to)) => format!("{from}..{to}"),
                _ => String::new(),
            };
            let of = if filters.regions.is_empty() {
                String::new()
            } else {
                format!(" in {}", filters.regions.join(", "))
            };
            empty.push(format!(
                "{} has no chart period starting within --period {period}{of} (--period selects \
                 chart periods by the day they start; its periods{of} start between {first} and \
                 {last})",
                name(chart)
            ));
        } else if markets_only && rows.iter().all(|r| r.region == "GLOBAL") {
            empty.push(format!(
                "{} has only GLOBAL, which is not a market: this command counts markets, so it \
                 has no rows for it",
                name(chart)
            ));
        } else {
            any_rows = true;
        }
    }
    if !any_rows || !filters.charts.is_empty() {
        notes.extend(empty);
    }
    for market in &filters.regions {
        let in_selected = scope.iter().any(|r| {
            &r.region == market && selected.contains(&(r.source.as_str(), r.chart.as_str()))
        });
        if !in_selected {
            let with: BTreeSet<String> = scope
                .iter()
                .filter(|r| &r.region == market)
                .map(|r| name((r.source.as_str(), r.chart.as_str())))
                .collect();
            notes.push(if with.is_empty() {
                format!("no chart in the store has --market {market}")
            } else {
                format!(
                    "--market {market} is in none of the selected charts; charts with it: {}",
                    with.into_iter().collect::<Vec<_>>().join(", ")
                )
            });
        }
    }
    if !any_rows && !selected.is_empty() {
        notes.push("the selection is empty: no rows follow".to_string());
    }
    Ok(notes)
}

/// Up to 20 market codes, then how many more.
fn abbreviated(markets: &BTreeSet<&str>) -> String {
    let shown: Vec<&str> = markets.iter().copied().take(20).collect();
    let mut text = shown.join(", ");
    if markets.len() > shown.len() {
        text.push_str(&format!(" and {} more", markets.len() - shown.len()));
    }
    text
}

/// A text column of every batch, row by row.
pub fn texts(batches: &[RecordBatch], column: &str) -> anyhow::Result<Vec<Option<String>>> {
    let mut out = Vec::new();
    for batch in batches {
        let Some(array) = batch.column_by_name(column) else {
            bail!("query result has no column {column}");
        };
        let array = arrow::compute::cast(array, &DataType::Utf8)?;
        let array = array.as_string::<i32>();
        out.extend(array.iter().map(|v| v.map(str::to_string)));
    }
    Ok(out)
}

/// The distinct platforms of `video_snapshots`, to refuse one it lacks.
pub async fn check_platforms(selection: &Selection, platforms: &[String]) -> anyhow::Result<()> {
    if platforms.is_empty() {
        return Ok(());
    }
    let batches = selection
        .collect("SELECT DISTINCT platform FROM video_snapshots")
        .await?;
    let known: BTreeMap<String, ()> = texts(&batches, "platform")?
        .into_iter()
        .flatten()
        .map(|p| (p, ()))
        .collect();
    for platform in platforms {
        if !known.contains_key(platform) {
            let list: Vec<&str> = known.keys().map(String::as_str).collect();
            bail!(
                "--platform {platform:?} has no video snapshots in the store; {}",
                if list.is_empty() {
                    "the store has none yet (`chartlens ingest` reads videos.list or TikTok \
                     responses)"
                        .to_string()
                } else {
                    format!("its platforms: {}", list.join(", "))
                }
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(source: &str, chart: &str, region: &str, first: &str, last: &str) -> ScopeRow {
        ScopeRow {
            source: source.into(),
            chart: chart.into(),
            region: region.into(),
            first_date: first.into(),
            last_date: last.into(),
            in_period: 0,
        }
    }

    #[test]
    fn tracks_are_found_by_id_or_folded_name() {
        let tracks = [("id1", "Dynamite"), ("id2", "DYNAMITE"), ("id3", "Butter")];
        let by_name = find_track("dynamite", tracks.iter().copied());
        assert_eq!(by_name.names, ["DYNAMITE", "Dynamite"]);
        let by_id = find_track("id3", tracks.iter().copied());
        assert_eq!(by_id.keys, ["id3"]);
        // Full-width forms fold to the same key (NFKC).
        let wide = find_track("Ｂｕｔｔｅｒ", tracks.iter().copied());
        assert_eq!(wide.names, ["Butter"]);
        assert!(find_track("Lemon", tracks.iter().copied()).names.is_empty());
    }

    #[test]
    fn a_market_missing_from_a_named_chart_is_explained() {
        let scope = [
            row("spotify", "viral50", "JP", "2021-01-07", "2021-02-11"),
            row("spotify", "top50", "KR", "2021-01-07", "2021-02-11"),
        ];
        let filters = Filters {
            charts: vec!["viral50".into()],
            regions: vec!["KR".into()],
            ..Filters::default()
        };
        let notes = check_scope(&filters, &scope, false).unwrap();
        assert!(
            notes[0].contains("spotify/viral50 has no chart for --market KR"),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("charts with it: spotify/top50")),
            "{notes:?}"
        );
        let unknown = Filters {
            charts: vec!["viral52".into()],
            ..Filters::default()
        };
        let err = check_scope(&unknown, &scope, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("spotify/top50, spotify/viral50"), "{err}");
    }
}
