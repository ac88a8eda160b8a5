//! Diversity and convergence ([`crate::DIVERSITY`]): per market and year, how
//! many tracks and artists share a chart and how much of it is domestic; per
//! year, how alike the markets' charts are (mean Jaccard overlap of their
//! tracks), with a bootstrap interval over markets.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type, Schema, SchemaRef};
use arrow::error::ArrowError;
use chartlens_stats::Bootstrap;

use crate::network::{Rows, float, int, text};
use crate::spread::strs;
use crate::{Filters, Grain, TRACK_KEY, primary_artist_join};

/// The chart rows of the selection, one per entry, with its calendar year
/// and track key.
fn track_rows_cte(filters: &Filters) -> String {
    let grain = Grain::Entries;
    format!(
        "rows AS (\
           SELECT e.source, e.chart, e.region, \
                  CAST(date_part('year', e.period_start) AS INT) AS year, {TRACK_KEY} AS track \
           FROM {} WHERE e.region <> 'GLOBAL' AND {})",
        grain.table(),
        filters.condition_on(grain)
    )
}

/// The chart rows of the selection, one per entry, with its calendar year,
/// track key, primary artist (`who`) and that artist's origin.
fn rows_cte(filters: &Filters) -> String {
    let grain = Grain::Entries;
    format!(
        "rows AS (\
           SELECT e.source, e.chart, e.region, \
                  CAST(date_part('year', e.period_start) AS INT) AS year, {TRACK_KEY} AS track, \
                  coalesce(CAST(a.artist_id AS VARCHAR), 'credit:' || c.credited_name, \
                           'line:' || e.artist_names) AS who, \
                  a.origin_country AS origin \
           FROM {} {} \
           WHERE e.region <> 'GLOBAL' AND {})",
        grain.table(),
        primary_artist_join(),
        filters.condition_on(grain)
    )
}

/// The published periods of each market and year, and of the chart in that
/// year (over all its markets), for the chart rows of `filters` (a cohort
/// does not change which charts were published).
fn periods_cte(filters: &Filters) -> String {
    let cond = filters.chart_rows().condition();
    format!(
        "periods AS (\
           SELECT e.source, e.chart, e.region, \
                  CAST(date_part('year', e.period_start) AS INT) AS year, \
                  count(DISTINCT e.period_start) AS periods \
           FROM chart_periods e WHERE e.region <> 'GLOBAL' AND {cond} \
           GROUP BY e.source, e.chart, e.region, CAST(date_part('year', e.period_start) AS INT)), \
         year_periods AS (\
           SELECT e.source, e.chart, CAST(date_part('year', e.period_start) AS INT) AS year, \
                  count(DISTINCT e.period_start) AS year_periods \
           FROM chart_periods e WHERE e.region <> 'GLOBAL' AND {cond} \
           GROUP BY e.source, e.chart, CAST(date_part('year', e.period_start) AS INT))"
    )
}

/// Per source, chart, market and year: `source, chart, market, year,
/// periods, year_periods, in_overlap, entries, distinct_tracks,
/// distinct_artists, effective_artists, domestic_pct`. `in_overlap`: the
/// market published charts in at least half of the chart's periods that
/// year, so it counts in [`overlap_table`].
pub fn by_market_year(filters: &Filters) -> String {
    format!(
        "WITH {}, {}, \
         per_artist AS (\
           SELECT source, chart, region, year, who, min(origin) AS origin, count(*) AS n \
           FROM rows GROUP BY source, chart, region, year, who), \
         artist_stats AS (\
           SELECT source, chart, region, year, sum(n) AS entries, count(*) AS distinct_artists, \
                  exp(ln(CAST(sum(n) AS DOUBLE)) \
                      - sum(n * ln(CAST(n AS DOUBLE))) / sum(n)) AS effective_artists, \
                  round(100.0 * coalesce(sum(n) FILTER (WHERE origin = region), 0) \
                        / sum(n) FILTER (WHERE origin IS NOT NULL), 2) AS domestic_pct \
           FROM per_artist GROUP BY source, chart, region, year), \
         track_stats AS (\
           SELECT source, chart, region, year, count(*) AS distinct_tracks FROM (\
             SELECT DISTINCT source, chart, region, year, track FROM rows) \
           GROUP BY source, chart, region, year) \
         SELECT p.source, p.chart, p.region AS market, p.year, p.periods, y.year_periods, \
                2 * p.periods >= y.year_periods AS in_overlap, \
                coalesce(a.entries, 0) AS entries, coalesce(t.distinct_tracks, 0) AS distinct_tracks, \
                coalesce(a.distinct_artists, 0) AS distinct_artists, \
                round(a.effective_artists, 4) AS effective_artists, a.domestic_pct \
         FROM periods p \
         JOIN year_periods y ON y.source = p.source AND y.chart = p.chart AND y.year = p.year \
         LEFT JOIN artist_stats a ON a.source = p.source AND a.chart = p.chart \
              AND a.region = p.region AND a.year = p.year \
         LEFT JOIN track_stats t ON t.source = p.source AND t.chart = p.chart \
              AND t.region = p.region AND t.year = p.year \
         ORDER BY p.source, p.chart, p.year, p.region",
        rows_cte(filters),
        periods_cte(filters)
    )
}

/// Which markets count in the overlap of each year: `source, chart, market,
/// year, in_overlap`, as in [`by_market_year`] but from the published
/// periods alone (far cheaper).
pub fn overlap_markets(filters: &Filters) -> String {
    format!(
        "WITH {} \
         SELECT p.source, p.chart, p.region AS market, p.year, \
                2 * p.periods >= y.year_periods AS in_overlap \
         FROM periods p \
         JOIN year_periods y ON y.source = p.source AND y.chart = p.chart AND y.year = p.year",
        periods_cte(filters)
    )
}

/// The distinct tracks of each market and year: `source, chart, year,
/// region, track`. [`overlaps`] keeps those of the markets that count (a
/// join here to the periods would cost more than it saves).
pub fn overlap_tracks(filters: &Filters) -> String {
    format!(
        "WITH {} SELECT DISTINCT source, chart, year, region, track FROM rows",
        track_rows_cte(filters)
    )
}

/// The schema of [`overlap_table`]: `source, chart, year, markets, pairs,
/// mean_jaccard, low, high`.
pub fn overlap_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        text("source"),
        text("chart"),
        int("year"),
        int("markets"),
        int("pairs"),
        float("mean_jaccard"),
        float("low"),
        float("high"),
    ]))
}

/// One year of one chart: the markets that count and their pairwise
/// Jaccard overlaps (`None` when neither market has a track).
#[derive(Debug, Clone)]
pub struct YearOverlap {
    /// The chart's source.
    pub source: String,
    /// The chart.
    pub chart: String,
    /// The calendar year.
    pub year: i64,
    /// The markets that count, in code order.
    pub markets: Vec<String>,
    /// Row-major `markets x markets`.
    pub jaccard: Vec<Option<f64>>,
}

impl YearOverlap {
    /// The mean Jaccard over pairs of distinct markets among `picks` (indices
    /// into `markets`, repeats allowed, as in a bootstrap resample; a market
    /// paired with its own copy is not a pair), and the number of pairs.
    pub fn mean(&self, picks: &[usize]) -> (Option<f64>, usize) {
        let n = self.markets.len();
        let (mut sum, mut pairs) = (0.0, 0usize);
        for (i, &a) in picks.iter().enumerate() {
            for &b in &picks[i + 1..] {
                if a != b
                    && let Some(j) = self.jaccard[a * n + b]
                {
                    sum += j;
                    pairs += 1;
                }
            }
        }
        ((pairs > 0).then(|| sum / pairs as f64), pairs)
    }

    /// The mean Jaccard over every pair of the year's markets, the number of
    /// pairs, and the bootstrap interval of the mean over markets (none below
    /// 3 markets: a resample of 2 is often one market twice).
    pub fn summary(
        &self,
        bootstrap: &Bootstrap,
    ) -> (Option<f64>, usize, Option<chartlens_stats::Interval>) {
        let all: Vec<usize> = (0..self.markets.len()).collect();
        let (mean, pairs) = self.mean(&all);
        let interval = if all.len() >= 3 {
            bootstrap.one(&all, |picks| self.mean(picks).0)
        } else {
            None
        };
        (mean, pairs, interval)
    }
}

/// The overlaps of every chart and year from the rows of [`overlap_markets`]
/// (or [`by_market_year`]: which markets count) and [`overlap_tracks`].
pub fn overlaps(
    market_years: &[RecordBatch],
    tracks: &[RecordBatch],
) -> Result<Vec<YearOverlap>, ArrowError> {
    type Key = (String, String, i64);
    let mut markets: HashMap<Key, Vec<String>> = HashMap::new();
    for batch in market_years {
        let (source, chart, market) = (
            strs(batch, "source")?,
            strs(batch, "chart")?,
            strs(batch, "market")?,
        );
        let year = ints(batch, "year")?;
        let counts = batch
            .column_by_name("in_overlap")
            .ok_or_else(|| ArrowError::SchemaError("no column in_overlap".into()))?
            .as_boolean()
            .clone();
        for i in 0..batch.num_rows() {
            if counts.is_valid(i) && counts.value(i) {
                let key = (
                    source[i].unwrap_or("").to_string(),
                    chart[i].unwrap_or("").to_string(),
                    year.value(i),
                );
                markets
                    .entry(key)
                    .or_default()
                    .push(market[i].unwrap_or("").to_string());
            }
        }
    }
    // Each track's markets, per chart and year.
    let mut track_markets: HashMap<Key, HashMap<String, Vec<u16>>> = HashMap::new();
    let index: HashMap<Key, HashMap<String, u16>> = markets
        .iter_mut()
        .map(|(key, list)| {
            list.sort_unstable();
            list.dedup();
            let positions = list
                .iter()
                .enumerate()
                .map(|(i, m)| (m.clone(), i as u16))
                .collect();
            (key.clone(), positions)
        })
        .collect();
    for batch in tracks {
        let (source, chart, region, track) = (
            strs(batch, "source")?,
            strs(batch, "chart")?,
            strs(batch, "region")?,
            strs(batch, "track")?,
        );
        let year = ints(batch, "year")?;
        for i in 0..batch.num_rows() {
            let (Some(region), Some(track), true) = (region[i], track[i], year.is_valid(i)) else {
                continue;
            };
            let key = (
                source[i].unwrap_or("").to_string(),
                chart[i].unwrap_or("").to_string(),
                year.value(i),
            );
            let Some(&m) = index.get(&key).and_then(|p| p.get(region)) else {
                continue;
            };
            track_markets
                .entry(key)
                .or_default()
                .entry(track.to_string())
                .or_default()
                .push(m);
        }
    }
    let mut out: Vec<YearOverlap> = markets
        .into_iter()
        .map(|(key, markets)| {
            let n = markets.len();
            let (mut size, mut shared) = (vec![0u32; n], vec![0u32; n * n]);
            if let Some(tracks) = track_markets.get(&key) {
                for list in tracks.values() {
                    let mut list = list.clone();
                    list.sort_unstable();
                    list.dedup();
                    for (i, &a) in list.iter().enumerate() {
                        size[a as usize] += 1;
                        for &b in &list[i + 1..] {
                            shared[a as usize * n + b as usize] += 1;
                            shared[b as usize * n + a as usize] += 1;
                        }
                    }
                }
            }
            let jaccard = (0..n * n)
                .map(|ab| {
                    let (a, b) = (ab / n, ab % n);
                    let union = size[a] + size[b] - shared[ab];
                    (a != b && union > 0).then(|| f64::from(shared[ab]) / f64::from(union))
                })
                .collect();
            let (source, chart, year) = key;
            YearOverlap {
                source,
                chart,
                year,
                markets,
                jaccard,
            }
        })
        .collect();
    out.sort_unstable_by(|a, b| (&a.source, &a.chart, a.year).cmp(&(&b.source, &b.chart, b.year)));
    Ok(out)
}

/// Mean Jaccard per chart and year, with the percentile bootstrap interval
/// of `bootstrap` over markets ([`YearOverlap::summary`]).
pub fn overlap_table(
    years: &[YearOverlap],
    bootstrap: &Bootstrap,
) -> Result<RecordBatch, ArrowError> {
    let mut rows = Rows::new(overlap_schema());
    for year in years {
        let (mean, pairs, interval) = year.summary(bootstrap);
        rows.text(&[&year.source, &year.chart]);
        rows.ints([year.year, year.markets.len() as i64, pairs as i64].map(Some));
        rows.floats([mean, interval.map(|i| i.low), interval.map(|i| i.high)]);
    }
    rows.finish()
}

fn ints(batch: &RecordBatch, name: &str) -> Result<arrow::array::Int64Array, ArrowError> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| ArrowError::SchemaError(format!("no column {name}")))?;
    Ok(cast(column, &DataType::Int64)?
        .as_primitive::<Int64Type>()
        .clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_skips_a_market_paired_with_its_copy() {
        // Three markets: J(A,B) = 0.5, J(A,C) = 0, J(B,C) = 1.
        let j = |a, b| match (a, b) {
            (0, 1) | (1, 0) => Some(0.5),
            (0, 2) | (2, 0) => Some(0.0),
            (1, 2) | (2, 1) => Some(1.0),
            _ => None,
        };
        let year = YearOverlap {
            source: "s".into(),
            chart: "c".into(),
            year: 2021,
            markets: vec!["A".into(), "B".into(), "C".into()],
            jaccard: (0..9).map(|ab| j(ab / 3, ab % 3)).collect(),
        };
        assert_eq!(year.mean(&[0, 1, 2]), (Some(0.5), 3));
        // A, A, B: the pair (A, A) is none; (A, B) twice.
        assert_eq!(year.mean(&[0, 0, 1]), (Some(0.5), 2));
        assert_eq!(year.mean(&[2, 2, 2]), (None, 0));
    }
}
