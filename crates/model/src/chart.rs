//! Charts as published: the key that names one chart instance (source, chart,
//! market, period) and the builder that turns parsed positions into Arrow rows.

use std::fmt;
use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, Date32Builder, Int32Builder, Int64Builder, RecordBatch, StringBuilder,
};
use chrono::NaiveDate;

use crate::region::Region;
use crate::table;

/// How often a chart is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// Published every day.
    Daily,
    /// Published every week.
    Weekly,
}

impl Frequency {
    /// The name of the frequency as `chart_entries.frequency` stores it: `daily` or `weekly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }

    /// Reads `daily`/`day` or `weekly`/`week`, in any case and trimmed; None otherwise.
    pub fn parse(text: &str) -> Option<Frequency> {
        match text.trim().to_ascii_lowercase().as_str() {
            "daily" | "day" => Some(Frequency::Daily),
            "weekly" | "week" => Some(Frequency::Weekly),
            _ => None,
        }
    }
}

/// One published chart: a ranked list for one market and one period. A file
/// that brings a chart already in the store from a different file replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChartKey {
    /// Platform the chart comes from, e.g. `spotify`.
    pub source: String,
    /// Chart name, e.g. `top200`, `viral50`.
    pub chart: String,
    /// The market, or `GLOBAL` for the worldwide chart.
    pub region: Region,
    /// First day the chart covers.
    pub period_start: NaiveDate,
    /// Last day the chart covers; equal to `period_start` for a daily or single-date chart.
    pub period_end: NaiveDate,
}

impl fmt::Display for ChartKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.source, self.chart, self.region, self.period_start
        )?;
        if self.period_end != self.period_start {
            write!(f, "..{}", self.period_end)?;
        }
        Ok(())
    }
}

/// Why a kept `chart_entries` row is incomplete, as `chart_entries.flag`
/// stores it. A flagged row is real (its chart printed it) and stays, so that
/// ranks and stream totals stay whole; queries that need what it lacks skip it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryFlag {
    /// The position has no track: no track id, no title and no artists (a
    /// Spotify chart keeps the rank and streams of a track taken down since).
    /// It counts in its chart but is no track: `track_markets` leaves it out.
    TrackRemoved,
}

impl EntryFlag {
    /// The name `chart_entries.flag` stores: `track-removed`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryFlag::TrackRemoved => "track-removed",
        }
    }

    /// The flag of a row from its track fields, the one rule every reader and
    /// summary applies: `TrackRemoved` when the row names no track at all.
    pub fn of(track_id: Option<&str>, track_name: &str, artist_names: &str) -> Option<EntryFlag> {
        let blank = |s: &str| s.trim().is_empty();
        (track_id.is_none_or(blank) && blank(track_name) && blank(artist_names))
            .then_some(EntryFlag::TrackRemoved)
    }
}

/// The values of one chart position that vary from row to row.
#[derive(Debug, Clone, Copy)]
pub struct Position<'a> {
    /// Position on the chart, 1 is the top.
    pub rank: i32,
    /// Platform track id, None when the chart has none.
    pub track_id: Option<&'a str>,
    /// Track title as printed on the chart.
    pub track_name: &'a str,
    /// Artists as credited on the chart, unsplit (e.g. `A, B` or `A & B`).
    pub artist_names: &'a str,
    /// Streams in the period, None when the chart has none.
    pub streams: Option<i64>,
    /// Views in the period (video charts), None otherwise.
    pub views: Option<i64>,
    /// Platform artist ids, `,`-separated, in credit order.
    pub artist_ids: Option<&'a str>,
    /// 1-based line of the source file the position was read from.
    pub line: u64,
}

/// Accumulates positions of one source file into `chart_entries` record batches.
pub struct ChartEntriesBuilder {
    source_file: String,
    source_hash: String,
    source: StringBuilder,
    chart: StringBuilder,
    frequency: StringBuilder,
    region: StringBuilder,
    period_start: Date32Builder,
    period_end: Date32Builder,
    rank: Int32Builder,
    track_id: StringBuilder,
    track_name: StringBuilder,
    artist_names: StringBuilder,
    streams: Int64Builder,
    views: Int64Builder,
    file: StringBuilder,
    line: Int64Builder,
    hash: StringBuilder,
    artist_ids: StringBuilder,
    flag: StringBuilder,
    flagged: u64,
}

impl ChartEntriesBuilder {
    /// A builder sized for a typical chart file; it grows for larger ones.
    /// (Arrow's default capacity of 1,024 rows per column would make ten
    /// thousand 50-row files cost a gigabyte.)
    pub fn new(source_file: &str, source_hash: &str) -> Self {
        const ROWS: usize = 64;
        let text = |bytes_per_row: usize| StringBuilder::with_capacity(ROWS, ROWS * bytes_per_row);
        ChartEntriesBuilder {
            source_file: source_file.to_string(),
            source_hash: source_hash.to_string(),
            source: text(8),
            chart: text(8),
            frequency: text(8),
            region: text(2),
            period_start: Date32Builder::with_capacity(ROWS),
            period_end: Date32Builder::with_capacity(ROWS),
            rank: Int32Builder::with_capacity(ROWS),
            track_id: text(22),
            track_name: text(24),
            artist_names: text(16),
            streams: Int64Builder::with_capacity(ROWS),
            views: Int64Builder::with_capacity(ROWS),
            file: text(source_file.len()),
            line: Int64Builder::with_capacity(ROWS),
            hash: text(source_hash.len()),
            artist_ids: text(0),
            flag: text(0),
            flagged: 0,
        }
    }

    /// Number of rows pushed since the last `finish`.
    pub fn len(&self) -> usize {
        self.rank.len()
    }

    /// Whether no row was pushed since the last `finish`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rows flagged ([`EntryFlag`]) among all pushed since the builder was made.
    pub fn flagged(&self) -> u64 {
        self.flagged
    }

    /// Appends one `chart_entries` row: the chart's key, its frequency (null
    /// when None) and one position, flagged by [`EntryFlag::of`].
    pub fn push(&mut self, key: &ChartKey, frequency: Option<Frequency>, pos: &Position<'_>) {
        self.source.append_value(&key.source);
        self.chart.append_value(&key.chart);
        self.frequency
            .append_option(frequency.map(Frequency::as_str));
        self.region.append_value(key.region.code());
        self.period_start
            .append_value(days_since_epoch(key.period_start));
        self.period_end
            .append_value(days_since_epoch(key.period_end));
        self.rank.append_value(pos.rank);
        self.track_id.append_option(pos.track_id);
        self.track_name.append_value(pos.track_name);
        self.artist_names.append_value(pos.artist_names);
        self.streams.append_option(pos.streams);
        self.views.append_option(pos.views);
        self.file.append_value(&self.source_file);
        self.line
            .append_value(i64::try_from(pos.line).unwrap_or(i64::MAX));
        self.hash.append_value(&self.source_hash);
        self.artist_ids.append_option(pos.artist_ids);
        let flag = EntryFlag::of(pos.track_id, pos.track_name, pos.artist_names);
        self.flagged += u64::from(flag.is_some());
        self.flag.append_option(flag.map(EntryFlag::as_str));
    }

    /// Takes the rows pushed so far as one batch and leaves the builder empty.
    pub fn finish(&mut self) -> RecordBatch {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.source.finish()),
            Arc::new(self.chart.finish()),
            Arc::new(self.frequency.finish()),
            Arc::new(self.region.finish()),
            Arc::new(self.period_start.finish()),
            Arc::new(self.period_end.finish()),
            Arc::new(self.rank.finish()),
            Arc::new(self.track_id.finish()),
            Arc::new(self.track_name.finish()),
            Arc::new(self.artist_names.finish()),
            Arc::new(self.streams.finish()),
            Arc::new(self.views.finish()),
            Arc::new(self.file.finish()),
            Arc::new(self.line.finish()),
            Arc::new(self.hash.finish()),
            Arc::new(self.artist_ids.finish()),
            Arc::new(self.flag.finish()),
        ];
        RecordBatch::try_new(table::chart_entries().schema(), columns)
            .expect("builder columns follow the chart_entries schema")
    }
}

/// Arrow's `Date32`: days since 1970-01-01.
pub fn days_since_epoch(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX)
}

/// Inverse of [`days_since_epoch`].
pub fn date_from_days(days: i32) -> NaiveDate {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    epoch + chrono::Duration::days(i64::from(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_produces_contract_schema() {
        let key = ChartKey {
            source: "spotify".into(),
            chart: "viral50".into(),
            region: Region::parse("JP").unwrap(),
            period_start: NaiveDate::from_ymd_opt(2019, 5, 2).unwrap(),
            period_end: NaiveDate::from_ymd_opt(2019, 5, 2).unwrap(),
        };
        let mut b = ChartEntriesBuilder::new("a.csv", "h");
        let pos = Position {
            rank: 1,
            track_id: Some("x"),
            track_name: "Lemon",
            artist_names: "Kenshi Yonezu",
            streams: None,
            views: None,
            artist_ids: None,
            line: 2,
        };
        b.push(&key, Some(Frequency::Weekly), &pos);
        let batch = b.finish();
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(batch.schema(), table::chart_entries().schema());
        assert!(b.is_empty());
        assert_eq!(b.flagged(), 0);
        let removed = Position {
            track_id: None,
            track_name: "",
            artist_names: " ",
            streams: Some(10),
            ..pos
        };
        b.push(&key, None, &removed);
        assert_eq!(b.flagged(), 1);
        let batch = b.finish();
        let flag = batch
            .column_by_name("flag")
            .and_then(|c| c.as_any().downcast_ref::<arrow::array::StringArray>())
            .unwrap();
        assert_eq!(flag.value(0), "track-removed");
        assert_eq!(
            date_from_days(days_since_epoch(key.period_start)),
            key.period_start
        );
    }
}
