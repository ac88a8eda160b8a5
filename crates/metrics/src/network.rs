//! Who leads whom ([`crate::NETWORK`]): for every ordered pair of markets,
//! how many tracks charted in both and which market had them first; per
//! market, how often it leads; and the backbone, each market's most frequent
//! predecessor. The first dates come from [`crate::spread_firsts`]; the pairs
//! are counted here, per track, in dense market-by-market arrays (a SQL self
//! join of every track's markets does the same work with far more rows).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;

use crate::spread::{days, strs};

/// One chart's tracks and their first date in each market.
#[derive(Debug, Clone)]
pub struct ChartFirsts {
    /// The chart's source.
    pub source: String,
    /// The chart.
    pub chart: String,
    /// The chart's markets, in code order; tracks refer to them by index.
    pub markets: Vec<String>,
    /// Its tracks, in key order.
    pub tracks: Vec<TrackFirsts>,
    /// Per market, the first day of its chart data, when pairs count only
    /// tracks whose earlier first date both markets' charts cover
    /// ([`ChartFirsts::common_start`]); empty for no such rule.
    pub starts: Vec<i32>,
}

impl ChartFirsts {
    /// Counts a pair of markets for a track only when both markets' chart
    /// data had started by the earlier of its two first dates, so that a
    /// market whose data starts late does not seem to follow every market.
    /// `starts` are the rows of [`crate::market_starts`].
    pub fn common_start(
        charts: &mut [ChartFirsts],
        starts: &[RecordBatch],
    ) -> Result<(), ArrowError> {
        let mut first: HashMap<(String, String, String), i32> = HashMap::new();
        for batch in starts {
            let (source, chart, region, day) = (
                strs(batch, "source")?,
                strs(batch, "chart")?,
                strs(batch, "region")?,
                days(batch)?,
            );
            for i in 0..batch.num_rows() {
                if let (Some(s), Some(c), Some(r), true) =
                    (source[i], chart[i], region[i], day.is_valid(i))
                {
                    first.insert((s.to_string(), c.to_string(), r.to_string()), day.value(i));
                }
            }
        }
        for chart in charts {
            chart.starts = chart
                .markets
                .iter()
                .map(|m| {
                    let key = (chart.source.clone(), chart.chart.clone(), m.clone());
                    first.get(&key).copied().unwrap_or(i32::MIN)
                })
                .collect();
        }
        Ok(())
    }

    /// Whether market `m`'s chart data covers day `day` (always, without
    /// [`ChartFirsts::common_start`]).
    fn covers(&self, m: u16, day: i32) -> bool {
        self.starts.get(m as usize).is_none_or(|&s| s <= day)
    }
}

/// A track's first date (days since 1970-01-01) in each market it charted
/// in, sorted by day, then market code.
#[derive(Debug, Clone)]
pub struct TrackFirsts {
    /// The track key ([`crate::TRACK_KEY`]).
    pub key: String,
    /// The track's name (the smallest, when it charted under several).
    pub name: String,
    /// Its credits as charted (the smallest line).
    pub artists: String,
    /// `(day, market index)`, one per market, earliest first.
    pub firsts: Vec<(i32, u16)>,
}

impl TrackFirsts {
    /// The track's first date in any market.
    pub fn first_day(&self) -> i32 {
        self.firsts.first().map_or(0, |f| f.0)
    }

    /// The markets tied on the first date.
    pub fn leads(&self) -> impl Iterator<Item = u16> + '_ {
        let first = self.first_day();
        self.firsts
            .iter()
            .take_while(move |f| f.0 == first)
            .map(|f| f.1)
    }
}

/// Groups the rows of [`crate::spread_firsts`] (`source, chart, track_id,
/// track_name, artist_names, region, day`) into charts, in source and chart
/// order, tracks in key order. A market listed twice for a track (two credit
/// lines there) counts once, from its earliest day.
pub fn read_firsts(batches: &[RecordBatch]) -> Result<Vec<ChartFirsts>, ArrowError> {
    type Fast = foldhash::fast::RandomState;
    /// A track as read: name, credits, and (day, market in order of first
    /// sight) rows, all borrowed from the batches.
    struct Read<'a> {
        name: &'a str,
        artists: &'a str,
        firsts: Vec<(i32, u16)>,
    }
    #[derive(Default)]
    struct Chart<'a> {
        markets: HashMap<&'a str, u16, Fast>,
        tracks: HashMap<&'a str, Read<'a>, Fast>,
    }
    let columns = batches
        .iter()
        .map(|b| {
            Ok((
                [
                    strs(b, "source")?,
                    strs(b, "chart")?,
                    strs(b, "track_id")?,
                    strs(b, "track_name")?,
                    strs(b, "artist_names")?,
                    strs(b, "region")?,
                ],
                days(b)?,
            ))
        })
        .collect::<Result<Vec<_>, ArrowError>>()?;
    let mut charts: HashMap<(&str, &str), Chart, Fast> = HashMap::default();
    for ([source, chart, id, name, artists, region], day) in &columns {
        for i in 0..day.len() {
            let (Some(id), Some(region), true) = (id[i], region[i], day.is_valid(i)) else {
                continue;
            };
            let key = (source[i].unwrap_or(""), chart[i].unwrap_or(""));
            let chart = charts.entry(key).or_default();
            let next = chart.markets.len() as u16;
            let market = *chart.markets.entry(region).or_insert(next);
            let (name, artists) = (name[i].unwrap_or(""), artists[i].unwrap_or(""));
            let track = chart.tracks.entry(id).or_insert_with(|| Read {
                name,
                artists,
                firsts: Vec::new(),
            });
            track.name = track.name.min(name);
            track.artists = track.artists.min(artists);
            track.firsts.push((day.value(i), market));
        }
    }
    let mut out: Vec<ChartFirsts> = charts
        .into_iter()
        .map(|((source, chart), read)| {
            // Markets in code order, and each first-sight index to its rank.
            let mut markets: Vec<(&str, u16)> = read.markets.into_iter().collect();
            markets.sort_unstable();
            let mut rank = vec![0u16; markets.len()];
            for (r, (_, seen)) in markets.iter().enumerate() {
                rank[*seen as usize] = r as u16;
            }
            let mut tracks: Vec<TrackFirsts> = read
                .tracks
                .into_iter()
                .map(|(key, track)| {
                    let mut firsts: Vec<(i32, u16)> = track
                        .firsts
                        .iter()
                        .map(|&(d, m)| (d, rank[m as usize]))
                        .collect();
                    firsts.sort_unstable_by_key(|f| (f.1, f.0));
                    firsts.dedup_by_key(|f| f.1);
                    firsts.sort_unstable();
                    TrackFirsts {
                        key: key.to_string(),
                        name: track.name.to_string(),
                        artists: track.artists.to_string(),
                        firsts,
                    }
                })
                .collect();
            tracks.sort_unstable_by(|a, b| a.key.cmp(&b.key));
            ChartFirsts {
                source: source.to_string(),
                chart: chart.to_string(),
                markets: markets.into_iter().map(|(m, _)| m.to_string()).collect(),
                tracks,
                starts: Vec::new(),
            }
        })
        .collect();
    out.sort_unstable_by(|a, b| (&a.source, &a.chart).cmp(&(&b.source, &b.chart)));
    Ok(out)
}

/// The pair counts of one chart: `both[a][b]`, `first[a][b]` (tracks first
/// in `a`, strictly before `b`), `same[a][b]`, and the lags of `first[a][b]`.
struct Pairs {
    n: usize,
    both: Vec<u32>,
    first: Vec<u32>,
    same: Vec<u32>,
    lags: Vec<Vec<i32>>,
}

impl Pairs {
    fn count(chart: &ChartFirsts) -> Pairs {
        let n = chart.markets.len();
        let mut pairs = Pairs {
            n,
            both: vec![0; n * n],
            first: vec![0; n * n],
            same: vec![0; n * n],
            lags: vec![Vec::new(); n * n],
        };
        for track in &chart.tracks {
            let firsts = &track.firsts;
            for (i, &(day_i, a)) in firsts.iter().enumerate() {
                for &(day_j, b) in &firsts[i + 1..] {
                    // Sorted by day: day_i <= day_j.
                    if !(chart.covers(a, day_i) && chart.covers(b, day_i)) {
                        continue;
                    }
                    let (ab, ba) = (a as usize * n + b as usize, b as usize * n + a as usize);
                    pairs.both[ab] += 1;
                    pairs.both[ba] += 1;
                    if day_i == day_j {
                        pairs.same[ab] += 1;
                        pairs.same[ba] += 1;
                    } else {
                        pairs.first[ab] += 1;
                        pairs.lags[ab].push(day_j - day_i);
                    }
                }
            }
        }
        pairs
    }
}

/// The schema of the pair table: `source, chart, market_a, market_b, both,
/// a_first, b_first, same, lead_share, lead_low, lead_high, median_lag_days`.
pub fn pairs_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        text("source"),
        text("chart"),
        text("market_a"),
        text("market_b"),
        int("both"),
        int("a_first"),
        int("b_first"),
        int("same"),
        float("lead_share"),
        float("lead_low"),
        float("lead_high"),
        float("median_lag_days"),
    ]))
}

/// One row per chart and ordered pair of markets with at least `min_both`
/// (and at least 1) tracks in both; within a chart, strongest lead first: by
/// the lower end of the Wilson interval of lead_share, then `both`, then the
/// codes.
pub fn pairs_table(charts: &[ChartFirsts], min_both: u32) -> Result<RecordBatch, ArrowError> {
    let mut rows = Rows::new(pairs_schema());
    for chart in charts {
        let pairs = Pairs::count(chart);
        let n = pairs.n;
        let mut chart_rows = Vec::new();
        for a in 0..n {
            for b in 0..n {
                let ab = a * n + b;
                let both = pairs.both[ab];
                if a == b || both == 0 || both < min_both {
                    continue;
                }
                let (a_first, b_first) = (pairs.first[ab], pairs.first[b * n + a]);
                let decided = u64::from(a_first) + u64::from(b_first);
                let share = (decided > 0).then(|| f64::from(a_first) / decided as f64);
                let interval = chartlens_stats::wilson(u64::from(a_first), decided);
                let lags: Vec<f64> = pairs.lags[ab].iter().map(|&d| f64::from(d)).collect();
                chart_rows.push((
                    a,
                    b,
                    [both, a_first, b_first, pairs.same[ab]],
                    [
                        share,
                        interval.map(|i| i.0),
                        interval.map(|i| i.1),
                        chartlens_stats::median(&lags),
                    ],
                ));
            }
        }
        chart_rows.sort_by(|x, y| {
            let low = |r: &(usize, usize, [u32; 4], [Option<f64>; 4])| r.3[1].unwrap_or(-1.0);
            low(y)
                .total_cmp(&low(x))
                .then(y.2[0].cmp(&x.2[0]))
                .then((x.0, x.1).cmp(&(y.0, y.1)))
        });
        for (a, b, counts, values) in chart_rows {
            rows.text(&[
                &chart.source,
                &chart.chart,
                &chart.markets[a],
                &chart.markets[b],
            ]);
            rows.ints(counts.iter().map(|&c| Some(i64::from(c))));
            rows.floats(values);
        }
    }
    rows.finish()
}

/// The schema of the per-market table: `source, chart, market, tracks,
/// shared, led, followed, first_share`.
pub fn markets_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        text("source"),
        text("chart"),
        text("market"),
        int("tracks"),
        int("shared"),
        int("led"),
        int("followed"),
        float("first_share"),
    ]))
}

/// One row per chart and market: its tracks, those that also charted
/// elsewhere (`shared`), `led` = sum over other markets B of a_first(m, B),
/// `followed` = sum of b_first, and `first_share` = share of its tracks for
/// which it was among the markets of the earliest first date. Within a
/// chart, most led first, then code.
pub fn markets_table(charts: &[ChartFirsts]) -> Result<RecordBatch, ArrowError> {
    let mut rows = Rows::new(markets_schema());
    for chart in charts {
        let n = chart.markets.len();
        let pairs = Pairs::count(chart);
        let (mut tracks, mut shared, mut first) = (vec![0i64; n], vec![0i64; n], vec![0i64; n]);
        for track in &chart.tracks {
            for &(_, m) in &track.firsts {
                tracks[m as usize] += 1;
                if track.firsts.len() > 1 {
                    shared[m as usize] += 1;
                }
            }
            for m in track.leads() {
                first[m as usize] += 1;
            }
        }
        let mut order: Vec<(usize, i64, i64)> = (0..n)
            .map(|m| {
                let led = (0..n).map(|b| i64::from(pairs.first[m * n + b])).sum();
                let followed = (0..n).map(|b| i64::from(pairs.first[b * n + m])).sum();
                (m, led, followed)
            })
            .collect();
        order.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        for (m, led, followed) in order {
            rows.text(&[&chart.source, &chart.chart, &chart.markets[m]]);
            rows.ints([tracks[m], shared[m], led, followed].map(Some));
            rows.floats([(tracks[m] > 0).then(|| first[m] as f64 / tracks[m] as f64)]);
        }
    }
    rows.finish()
}

/// One edge of the backbone: `from` was most often the last market a track
/// entered strictly before `market`.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// The chart's source.
    pub source: String,
    /// The chart.
    pub chart: String,
    /// B: the market entered.
    pub market: String,
    /// A: the market most often entered last before B.
    pub from: String,
    /// Tracks whose last market before `market` was `from`.
    pub tracks: u32,
    /// Tracks in both markets (the first tie-break).
    pub both: u32,
    /// Tracks that entered `market` strictly after some other market.
    pub entered_after: u32,
}

/// The backbone of each chart: for each market B entered by some track
/// strictly after another market, the market A that most often was the last
/// market the track entered before B (when several markets share that last
/// date, each counts), ties broken by `both`, then by code.
pub fn backbone(charts: &[ChartFirsts]) -> Vec<Edge> {
    let mut edges = Vec::new();
    for chart in charts {
        let n = chart.markets.len();
        let pairs = Pairs::count(chart);
        let mut previous = vec![0u32; n * n];
        let mut after = vec![0u32; n];
        for track in &chart.tracks {
            let firsts = &track.firsts;
            for (j, &(day, b)) in firsts.iter().enumerate() {
                // The markets entered strictly before `day`: all of
                // firsts[..k]; the last of them share firsts[k - 1].0.
                let k = firsts[..j].partition_point(|f| f.0 < day);
                if k == 0 || !chart.covers(b, firsts[0].0) {
                    continue;
                }
                after[b as usize] += 1;
                let last = firsts[k - 1].0;
                for &(_, a) in firsts[..k].iter().rev().take_while(|f| f.0 == last) {
                    previous[a as usize * n + b as usize] += 1;
                }
            }
        }
        for b in 0..n {
            let best = (0..n)
                .filter(|&a| a != b && previous[a * n + b] > 0)
                .max_by(|&x, &y| {
                    (previous[x * n + b], pairs.both[x * n + b])
                        .cmp(&(previous[y * n + b], pairs.both[y * n + b]))
                        .then(y.cmp(&x))
                });
            if let Some(a) = best {
                edges.push(Edge {
                    source: chart.source.clone(),
                    chart: chart.chart.clone(),
                    market: chart.markets[b].clone(),
                    from: chart.markets[a].clone(),
                    tracks: previous[a * n + b],
                    both: pairs.both[a * n + b],
                    entered_after: after[b],
                });
            }
        }
    }
    edges
}

/// The schema of the backbone table: `source, chart, market, from_market,
/// tracks, both, entered_after, share`.
pub fn backbone_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        text("source"),
        text("chart"),
        text("market"),
        text("from_market"),
        int("tracks"),
        int("both"),
        int("entered_after"),
        float("share"),
    ]))
}

/// The backbone as a table, markets in code order within each chart.
pub fn backbone_table(edges: &[Edge]) -> Result<RecordBatch, ArrowError> {
    let mut rows = Rows::new(backbone_schema());
    for e in edges {
        rows.text(&[&e.source, &e.chart, &e.market, &e.from]);
        rows.ints([e.tracks, e.both, e.entered_after].map(|v| Some(i64::from(v))));
        rows.floats([
            (e.entered_after > 0).then(|| f64::from(e.tracks) / f64::from(e.entered_after))
        ]);
    }
    rows.finish()
}

pub(crate) fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

pub(crate) fn int(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}

pub(crate) fn float(name: &str) -> Field {
    Field::new(name, DataType::Float64, true)
}

/// Row-wise building of a table whose columns are text, integers, floats
/// and dates: each call appends values to the next columns of its type, in
/// schema order, wrapping to the first at the end of a row.
pub(crate) struct Rows {
    schema: SchemaRef,
    texts: Vec<Vec<Option<String>>>,
    ints: Vec<Vec<Option<i64>>>,
    floats: Vec<Vec<Option<f64>>>,
    dates: Vec<Vec<Option<i32>>>,
    at: (usize, usize, usize, usize),
}

impl Rows {
    pub(crate) fn new(schema: SchemaRef) -> Rows {
        let count = |t: &DataType| {
            schema
                .fields()
                .iter()
                .filter(|f| f.data_type() == t)
                .count()
        };
        let (t, i, f, d) = (
            count(&DataType::Utf8),
            count(&DataType::Int64),
            count(&DataType::Float64),
            count(&DataType::Date32),
        );
        Rows {
            texts: vec![Vec::new(); t],
            ints: vec![Vec::new(); i],
            floats: vec![Vec::new(); f],
            dates: vec![Vec::new(); d],
            at: (0, 0, 0, 0),
            schema,
        }
    }

    pub(crate) fn text(&mut self, values: &[&str]) {
        self.opt_text(values.iter().map(|v| Some(v.to_string())));
    }

    pub(crate) fn opt_text(&mut self, values: impl IntoIterator<Item = Option<String>>) {
        for v in values {
            push(&mut self.texts, &mut self.at.0, v);
        }
    }

    pub(crate) fn ints(&mut self, values: impl IntoIterator<Item = Option<i64>>) {
        for v in values {
            push(&mut self.ints, &mut self.at.1, v);
        }
    }

    pub(crate) fn floats(&mut self, values: impl IntoIterator<Item = Option<f64>>) {
        for v in values {
            push(&mut self.floats, &mut self.at.2, v);
        }
    }

    /// Dates as days since 1970-01-01.
    pub(crate) fn dates(&mut self, values: impl IntoIterator<Item = Option<i32>>) {
        for v in values {
            push(&mut self.dates, &mut self.at.3, v);
        }
    }

    /// The table, its columns taken by type in the order of the schema.
    pub(crate) fn finish(self) -> Result<RecordBatch, ArrowError> {
        let (mut texts, mut ints, mut floats, mut dates) = (
            self.texts.into_iter(),
            self.ints.into_iter(),
            self.floats.into_iter(),
            self.dates.into_iter(),
        );
        let columns = self
            .schema
            .fields()
            .iter()
            .map(|f| -> ArrayRef {
                match f.data_type() {
                    DataType::Utf8 => Arc::new(StringArray::from(texts.next().unwrap_or_default())),
                    DataType::Int64 => Arc::new(Int64Array::from(ints.next().unwrap_or_default())),
                    DataType::Date32 => {
                        Arc::new(Date32Array::from(dates.next().unwrap_or_default()))
                    }
                    _ => Arc::new(Float64Array::from(floats.next().unwrap_or_default())),
                }
            })
            .collect();
        RecordBatch::try_new(self.schema, columns)
    }
}

/// Appends `v` to column `at` of `columns` and moves on, wrapping.
fn push<T>(columns: &mut [Vec<T>], at: &mut usize, v: T) {
    if let Some(column) = columns.get_mut(*at) {
        column.push(v);
    }
    *at = (*at + 1) % columns.len().max(1);
}
