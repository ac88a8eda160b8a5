//! The summaries kept in step with `chart_entries`: `track_markets` (per
//! chart, market, track and credit line: entries, first and last date, best
//! rank, and the track's runs there) and `chart_periods` (every published
//! chart the source index lists). See `chartlens_model::table` for their
//! columns.
//!
//! They are what metrics and the study read instead of every entry, so a
//! query's cost grows with tracks and markets rather than with weeks of
//! charts. The writer rebuilds them at the end of every ingest and
//! compaction that changed the entries ([`crate::Writer::finish`]) and
//! records in the manifest which entry parts they summarise
//! (`summaries_from`); a reader whose summaries do not match its entries
//! (an ingest interrupted between two commits) builds them in memory
//! instead, so they are never read stale.
//!
//! The build is one pass over the entry parts holding one small state per
//! (track, market): runs are kept as disjoint intervals of the market's
//! period numbers, so memory grows with tracks and markets, not entries,
//! and rows may arrive in any order.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use arrow::array::{
    Array, ArrayRef, BooleanBuilder, Date32Array, Date32Builder, Int32Array, Int32Builder,
    Int64Array, Int64Builder, RecordBatch, StringBuilder,
};
use arrow::datatypes::SchemaRef;
use chartlens_model::EntryFlag;
use chartlens_model::chart::days_since_epoch;
use chartlens_model::table::{self, CHART_ENTRIES};
use chrono::NaiveDate;

use crate::derived::{Computed, read_columns, text_column};
use crate::error::StoreError;
use crate::manifest::Manifest;

/// Summaries built on the first scan of either table, for a session whose
/// store has none current (or for a period): a session that never reads
/// them never pays for them.
#[derive(Debug)]
pub(crate) struct Lazy {
    root: std::path::PathBuf,
    /// The manifest of the version the session reads.
    manifest: Manifest,
    window: Window,
    built: OnceLock<Result<Arc<Summaries>, String>>,
}

impl Lazy {
    pub(crate) fn new(root: &Path, manifest: Manifest, window: Window) -> Lazy {
        Lazy {
            root: root.to_path_buf(),
            manifest,
            window,
            built: OnceLock::new(),
        }
    }

    fn get(&self) -> Result<Arc<Summaries>, String> {
        self.built
            .get_or_init(|| {
                // The source index numbers the periods. If a commit landed
                // since the session opened, the index on disk is of another
                // version: the periods are then numbered from the entries.
                let indexed = Manifest::load_with_sources(&self.root).map_err(|e| e.to_string())?;
                let manifest = if entry_parts(&indexed) == entry_parts(&self.manifest) {
                    &indexed
                } else {
                    &self.manifest
                };
                build_within(&self.root, manifest, self.window, &mut |_, _| {})
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }
}

impl Computed for Lazy {
    fn batches(&self, table: &str) -> Result<Vec<RecordBatch>, String> {
        let built = self.get()?;
        match table {
            table::TRACK_MARKETS => Ok(built.track_markets.clone()),
            table::CHART_PERIODS => Ok(built.chart_periods.clone()),
            other => Err(format!("no summary table {other}")),
        }
    }
}

/// Rows per record batch of the built tables.
const BATCH_ROWS: usize = 262_144;

/// The summaries of one version of `chart_entries`.
#[derive(Debug, Default)]
pub struct Summaries {
    /// The rows of `track_markets`.
    pub track_markets: Vec<RecordBatch>,
    /// The rows of `chart_periods`.
    pub chart_periods: Vec<RecordBatch>,
}

/// The entry parts a summary of `manifest` is built from, by file name.
pub fn entry_parts(manifest: &Manifest) -> Vec<String> {
    manifest
        .parts(CHART_ENTRIES)
        .iter()
        .map(|p| p.file.clone())
        .collect()
}

/// Whether the stored summaries of `manifest` summarise its entries.
pub fn is_current(manifest: &Manifest) -> bool {
    manifest.summaries_from.as_ref() == Some(&entry_parts(manifest))
}

/// One chart of one market: (source, chart, region).
type Market = (String, String, String);

/// The published periods of every market, ascending by start day.
#[derive(Debug, Default)]
struct Periods {
    ids: HashMap<Market, u32>,
    markets: Vec<Market>,
    /// Per market: (start day, end day, rows), ascending and distinct.
    periods: Vec<Vec<(i32, i32, u64)>>,
}

impl Periods {
    fn add(&mut self, market: Market, start: i32, end: i32, rows: u64) {
        let next = self.markets.len() as u32;
        let id = *self.ids.entry(market.clone()).or_insert_with(|| {
            self.markets.push(market);
            self.periods.push(Vec::new());
            next
        });
        self.periods[id as usize].push((start, end, rows));
    }

    fn finish(mut self) -> Periods {
        for list in &mut self.periods {
            list.sort_unstable();
            list.dedup_by_key(|p| p.0);
        }
        self
    }

    /// The periods the source index lists.
    fn from_index(manifest: &Manifest, window: Window) -> Periods {
        let mut out = Periods::default();
        for source in &manifest.sources {
            let charts = source.charts.iter();
            for chart in charts.filter(|c| c.rows > 0 && window.holds(days_since_epoch(c.start))) {
                out.add(
                    (
                        chart.source.clone(),
                        chart.chart.clone(),
                        chart.region.clone(),
                    ),
                    days_since_epoch(chart.start),
                    days_since_epoch(chart.end),
                    chart.rows,
                );
            }
        }
        out.finish()
    }

    /// The periods the entries themselves show, for a store whose index does
    /// not cover them.
    fn from_entries(
        root: &Path,
        manifest: &Manifest,
        window: Window,
    ) -> Result<Periods, StoreError> {
        let mut counts: BTreeMap<(Market, i32, i32), u64> = BTreeMap::new();
        let columns = ["source", "chart", "region", "period_start", "period_end"];
        for part in manifest.parts(CHART_ENTRIES) {
            for batch in read_columns(root, part, &columns)? {
                let (source, chart, region) = (
                    text_column(&batch, "source")?,
                    text_column(&batch, "chart")?,
                    text_column(&batch, "region")?,
                );
                let (start, end) = (dates(&batch, "period_start")?, dates(&batch, "period_end")?);
                for i in (0..batch.num_rows()).filter(|&i| window.holds(start.value(i))) {
                    let market = (
                        source.value(i).to_string(),
                        chart.value(i).to_string(),
                        region.value(i).to_string(),
                    );
                    *counts
                        .entry((market, start.value(i), end.value(i)))
                        .or_insert(0) += 1;
                }
            }
        }
        let mut out = Periods::default();
        for ((market, start, end), rows) in counts {
            out.add(market, start, end, rows);
        }
        Ok(out.finish())
    }

    fn id(&self, source: &str, chart: &str, region: &str) -> Option<u32> {
        // Borrowed lookups of a tuple key need an owned key; markets are few
        // and rows of one file share theirs, so the caller caches the result.
        self.ids
            .get(&(source.to_string(), chart.to_string(), region.to_string()))
            .copied()
    }

    /// The number of the period starting on `start` in a market.
    fn number(&self, market: u32, start: i32) -> Option<u32> {
        let list = &self.periods[market as usize];
        list.binary_search_by_key(&start, |p| p.0)
            .ok()
            .map(|i| i as u32)
    }
}

/// One credit line of a track in a market.
#[derive(Debug, Clone, Copy)]
struct Line {
    /// Hash of (artist_names, track_name): a track's lines, rarely more than
    /// one, are told apart by it, so the strings are looked up only once.
    hash: u64,
    artist_names: u32,
    track_name: u32,
    entries: u32,
    first: i32,
    last: i32,
    best_rank: i32,
    /// Sum of the rows' streams, when any row has them.
    streams: Option<i64>,
}

/// A track in a market: its lines and the periods it charted in, as
/// disjoint, ascending intervals of period numbers (both ends included).
#[derive(Debug)]
struct Pair {
    market: u32,
    key: u32,
    runs: Vec<(u32, u32)>,
    lines: Vec<Line>,
}

impl Pair {
    /// Adds period number `p` to the runs.
    fn add_period(&mut self, p: u32) {
        let runs = &mut self.runs;
        // The common case: rows arrive in date order, extending the last run.
        if let Some(last) = runs.last_mut() {
            if p >= last.0 && p <= last.1 {
                return;
            }
            if p == last.1 + 1 {
                last.1 = p;
                return;
            }
        }
        let i = runs.partition_point(|r| r.1 < p);
        if i < runs.len() && runs[i].0 <= p {
            return; // already in a run
        }
        let joins_left = i > 0 && runs[i - 1].1 + 1 == p;
        let joins_right = i < runs.len() && runs[i].0 == p + 1;
        match (joins_left, joins_right) {
            (true, true) => {
                runs[i - 1].1 = runs[i].1;
                runs.remove(i);
            }
            (true, false) => runs[i - 1].1 = p,
            (false, true) => runs[i].0 = p,
            (false, false) => runs.insert(i, (p, p)),
        }
    }
}

/// Strings seen, each stored once, numbered in order of appearance.
#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<Box<str>, u32, foldhash::fast::FixedState>,
}

impl Interner {
    fn id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(text.into(), id);
        id
    }

    /// The strings by id, and each id's rank in sorted order.
    fn into_sorted(self) -> (Vec<Box<str>>, Vec<u32>) {
        let mut names: Vec<Box<str>> = vec![Box::from(""); self.ids.len()];
        for (text, id) in self.ids {
            names[id as usize] = text;
        }
        let mut order: Vec<u32> = (0..names.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
        let mut rank = vec![0; names.len()];
        for (r, &id) in order.iter().enumerate() {
            rank[id as usize] = r as u32;
        }
        (names, rank)
    }
}

/// Builds the summaries of `manifest`'s entries; `manifest` must carry its
/// source index ([`Manifest::load_with_sources`]). `progress` is told the
/// parts read so far and their number.
pub fn build(
    root: &Path,
    manifest: &Manifest,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Summaries, StoreError> {
    build_within(root, manifest, Window::ALL, progress)
}

/// The charts whose period starts between two days (since 1970-01-01),
/// both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First day a chart's period may start on, in days since 1970-01-01.
    pub first: i32,
    /// Last day a chart's period may start on, in days since 1970-01-01.
    pub last: i32,
}

impl Window {
    /// Every chart.
    pub const ALL: Window = Window {
        first: i32::MIN,
        last: i32::MAX,
    };

    /// The charts starting between two dates, either open.
    pub fn between(first: Option<NaiveDate>, last: Option<NaiveDate>) -> Window {
        Window {
            first: first.map_or(i32::MIN, days_since_epoch),
            last: last.map_or(i32::MAX, days_since_epoch),
        }
    }

    fn holds(self, day: i32) -> bool {
        (self.first..=self.last).contains(&day)
    }
}

/// [`build`] over the charts of a window only, as if the store held
/// nothing else: runs start and end within it.
pub fn build_within(
    root: &Path,
    manifest: &Manifest,
    window: Window,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Summaries, StoreError> {
    let periods = Periods::from_index(manifest, window);
    match summarise(root, manifest, &periods, window, progress)? {
        Some(built) => Ok(built),
        // An entry of a chart the index does not list: number the periods
        // the entries show instead.
        None => {
            let periods = Periods::from_entries(root, manifest, window)?;
            summarise(root, manifest, &periods, window, progress)?.ok_or_else(|| {
                arrow::error::ArrowError::InvalidArgumentError(
                    "chart_entries changed while being summarised".into(),
                )
                .into()
            })
        }
    }
}

/// The pass over the entries; `None` when a row's chart is not in `periods`.
fn summarise(
    root: &Path,
    manifest: &Manifest,
    periods: &Periods,
    window: Window,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Option<Summaries>, StoreError> {
    let mut keys = Interner::default();
    let mut texts = Interner::default();
    let mut pair_ids: HashMap<(u32, u32), u32, foldhash::fast::FixedState> = HashMap::default();
    let mut pairs: Vec<Pair> = Vec::new();
    let hasher = foldhash::fast::FixedState::default();
    let columns = [
        "source",
        "chart",
        "region",
        "period_start",
        "rank",
        "track_id",
        "track_name",
        "artist_names",
        "streams",
    ];
    let parts = manifest.parts(CHART_ENTRIES);
    let mut key_buf = String::new();
    for (done, part) in parts.iter().enumerate() {
        for batch in read_columns(root, part, &columns)? {
            let (source, chart, region) = (
                text_column(&batch, "source")?,
                text_column(&batch, "chart")?,
                text_column(&batch, "region")?,
            );
            let (track_id, track_name, artist_names) = (
                text_column(&batch, "track_id")?,
                text_column(&batch, "track_name")?,
                text_column(&batch, "artist_names")?,
            );
            let start = dates(&batch, "period_start")?;
            let rank = batch
                .column_by_name("rank")
                .and_then(|c| c.as_any().downcast_ref::<Int32Array>())
                .ok_or_else(|| column_error("rank"))?;
            let streams = batch
                .column_by_name("streams")
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
                .ok_or_else(|| column_error("streams"))?;
            let mut last_market: Option<(usize, u32)> = None;
            for i in (0..batch.num_rows()).filter(|&i| window.holds(start.value(i))) {
                // Rows of one file share their market: look it up on change.
                let market = match last_market {
                    Some((row, id))
                        if source.value(row) == source.value(i)
                            && chart.value(row) == chart.value(i)
                            && region.value(row) == region.value(i) =>
                    {
                        id
                    }
                    _ => match periods.id(source.value(i), chart.value(i), region.value(i)) {
                        Some(id) => id,
                        None => return Ok(None),
                    },
                };
                last_market = Some((i, market));
                let day = start.value(i);
                let Some(period) = periods.number(market, day) else {
                    return Ok(None);
                };
                let (artists, title) = (artist_names.value(i), track_name.value(i));
                let id = track_id.is_valid(i).then(|| track_id.value(i));
                // A position without a track (removed since) counts in its
                // chart (`chart_periods`) but is no track: one `" - "` key
                // would lump every removed track of a market together.
                if EntryFlag::of(id, title, artists).is_some() {
                    continue;
                }
                let key = if track_id.is_valid(i) {
                    keys.id(track_id.value(i))
                } else {
                    key_buf.clear();
                    key_buf.push_str(artists);
                    key_buf.push_str(" - ");
                    key_buf.push_str(title);
                    keys.id(&key_buf)
                };
                let next = pairs.len() as u32;
                let id = *pair_ids.entry((market, key)).or_insert(next);
                if id == next {
                    pairs.push(Pair {
                        market,
                        key,
                        runs: Vec::with_capacity(1),
                        lines: Vec::with_capacity(1),
                    });
                }
                let pair = &mut pairs[id as usize];
                pair.add_period(period);
                let r = rank.value(i);
                let played = streams.is_valid(i).then(|| streams.value(i));
                let hash = hasher.hash_one((artists, title));
                match pair.lines.iter_mut().find(|l| l.hash == hash) {
                    Some(line) => {
                        line.entries += 1;
                        line.first = line.first.min(day);
                        line.last = line.last.max(day);
                        line.best_rank = line.best_rank.min(r);
                        if let Some(n) = played {
                            line.streams = Some(line.streams.unwrap_or(0).saturating_add(n));
                        }
                    }
                    None => {
                        let line = Line {
                            hash,
                            artist_names: texts.id(artists),
                            track_name: texts.id(title),
                            entries: 1,
                            first: day,
                            last: day,
                            best_rank: r,
                            streams: played,
                        };
                        pair.lines.push(line);
                    }
                }
            }
        }
        progress(done + 1, parts.len());
    }
    Ok(Some(Summaries {
        track_markets: track_markets(periods, keys, texts, pairs)?,
        chart_periods: chart_periods(periods)?,
    }))
}

/// The `track_markets` rows, ordered by market, track key and line.
fn track_markets(
    periods: &Periods,
    keys: Interner,
    texts: Interner,
    mut pairs: Vec<Pair>,
) -> Result<Vec<RecordBatch>, StoreError> {
    let (keys, key_rank) = keys.into_sorted();
    let (texts, text_rank) = texts.into_sorted();
    let mut market_order: Vec<u32> = (0..periods.markets.len() as u32).collect();
    market_order
        .sort_unstable_by(|&a, &b| periods.markets[a as usize].cmp(&periods.markets[b as usize]));
    let mut market_rank = vec![0u32; market_order.len()];
    for (r, &m) in market_order.iter().enumerate() {
        market_rank[m as usize] = r as u32;
    }
    pairs.sort_unstable_by_key(|p| (market_rank[p.market as usize], key_rank[p.key as usize]));
    let schema = table::track_markets().schema();
    let mut out = Vec::new();
    let mut rows = Rows::default();
    for pair in &mut pairs {
        pair.lines.sort_unstable_by_key(|l| {
            (
                text_rank[l.artist_names as usize],
                text_rank[l.track_name as usize],
            )
        });
        let (source, chart, region) = &periods.markets[pair.market as usize];
        let last_period = periods.periods[pair.market as usize].len() as u32 - 1;
        let first_run = pair.runs.first().copied().unwrap_or((0, 0));
        let charted: u32 = pair.runs.iter().map(|r| r.1 - r.0 + 1).sum();
        for (i, line) in pair.lines.iter().enumerate() {
            rows.first_line.append_value(i == 0);
            rows.source.append_value(source);
            rows.chart.append_value(chart);
            rows.region.append_value(region);
            rows.track_key.append_value(&keys[pair.key as usize]);
            rows.artist_names
                .append_value(&texts[line.artist_names as usize]);
            rows.track_name
                .append_value(&texts[line.track_name as usize]);
            rows.entries.append_value(i64::from(line.entries));
            rows.first_date.append_value(line.first);
            rows.last_date.append_value(line.last);
            rows.best_rank.append_value(line.best_rank);
            rows.streams.append_option(line.streams);
            rows.periods.append_value(charted as i32);
            rows.runs.append_value(pair.runs.len() as i32);
            rows.first_run
                .append_value((first_run.1 - first_run.0 + 1) as i32);
            rows.run_from_start.append_value(first_run.0 == 0);
            rows.run_open.append_value(first_run.1 == last_period);
            rows.len += 1;
        }
        if rows.len >= BATCH_ROWS {
            out.push(std::mem::take(&mut rows).finish(&schema)?);
        }
    }
    if rows.len > 0 || out.is_empty() {
        out.push(rows.finish(&schema)?);
    }
    Ok(out)
}

/// Column builders of `track_markets`.
#[derive(Default)]
struct Rows {
    len: usize,
    source: StringBuilder,
    chart: StringBuilder,
    region: StringBuilder,
    track_key: StringBuilder,
    artist_names: StringBuilder,
    track_name: StringBuilder,
    entries: Int64Builder,
    first_date: Date32Builder,
    last_date: Date32Builder,
    best_rank: Int32Builder,
    streams: Int64Builder,
    first_line: BooleanBuilder,
    periods: Int32Builder,
    runs: Int32Builder,
    first_run: Int32Builder,
    run_from_start: BooleanBuilder,
    run_open: BooleanBuilder,
}

impl Rows {
    fn finish(mut self, schema: &SchemaRef) -> Result<RecordBatch, StoreError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.source.finish()),
            Arc::new(self.chart.finish()),
            Arc::new(self.region.finish()),
            Arc::new(self.track_key.finish()),
            Arc::new(self.artist_names.finish()),
            Arc::new(self.track_name.finish()),
            Arc::new(self.entries.finish()),
            Arc::new(self.first_date.finish()),
            Arc::new(self.last_date.finish()),
            Arc::new(self.best_rank.finish()),
            Arc::new(self.streams.finish()),
            Arc::new(self.first_line.finish()),
            Arc::new(self.periods.finish()),
            Arc::new(self.runs.finish()),
            Arc::new(self.first_run.finish()),
            Arc::new(self.run_from_start.finish()),
            Arc::new(self.run_open.finish()),
        ];
        Ok(RecordBatch::try_new(schema.clone(), columns)?)
    }
}

/// The `chart_periods` rows, ordered by market and period.
fn chart_periods(periods: &Periods) -> Result<Vec<RecordBatch>, StoreError> {
    let mut order: Vec<usize> = (0..periods.markets.len()).collect();
    order.sort_unstable_by(|&a, &b| periods.markets[a].cmp(&periods.markets[b]));
    let (mut source, mut chart, mut region) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    let (mut start, mut end, mut entries) = (
        Date32Builder::new(),
        Date32Builder::new(),
        Int64Builder::new(),
    );
    for m in order {
        let (s, c, r) = &periods.markets[m];
        for &(first, last, rows) in &periods.periods[m] {
            source.append_value(s);
            chart.append_value(c);
            region.append_value(r);
            start.append_value(first);
            end.append_value(last);
            entries.append_value(i64::try_from(rows).unwrap_or(i64::MAX));
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(source.finish()),
        Arc::new(chart.finish()),
        Arc::new(region.finish()),
        Arc::new(start.finish()),
        Arc::new(end.finish()),
        Arc::new(entries.finish()),
    ];
    Ok(vec![RecordBatch::try_new(
        table::chart_periods().schema(),
        columns,
    )?])
}

fn column_error(name: &str) -> StoreError {
    arrow::error::ArrowError::SchemaError(format!(
        "chart_entries: no column {name} of the expected type"
    ))
    .into()
}

fn dates<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a Date32Array, StoreError> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<Date32Array>())
        .ok_or_else(|| column_error(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> Pair {
        Pair {
            market: 0,
            key: 0,
            runs: Vec::new(),
            lines: Vec::new(),
        }
    }

    #[test]
    fn runs_merge_whatever_the_order() {
        let mut in_order = pair();
        let mut shuffled = pair();
        for p in [0, 1, 2, 5, 6, 9] {
            in_order.add_period(p);
        }
        for p in [9, 6, 1, 5, 2, 0, 1, 6] {
            shuffled.add_period(p);
        }
        assert_eq!(in_order.runs, vec![(0, 2), (5, 6), (9, 9)]);
        assert_eq!(shuffled.runs, in_order.runs);
        // A period between two runs joins them.
        let mut gap = pair();
        for p in [3, 5, 4] {
            gap.add_period(p);
        }
        assert_eq!(gap.runs, vec![(3, 5)]);
    }
}
