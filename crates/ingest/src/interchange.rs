//! The interchange layout: a CSV file with the columns of `chart_entries`, so
//! any chart chartlens does not read natively (Oricon, Circle, Melon, Billboard
//! Japan) can come in after a light conversion, and `chartlens export` output
//! goes back in unchanged.
//!
//! Required columns: `source,chart,region,period_start,period_end,rank,
//! track_name,artist_names`. Optional: `frequency`, `track_id`, `streams`,
//! `views`, `artist_ids`. Order is free; other columns are refused, so a typo
//! never drops data silently. Every row names its own chart.

use std::collections::HashMap;
use std::io::Read;

use arrow::array::RecordBatch;
use chartlens_model::{ChartEntriesBuilder, ChartKey, Frequency, Position, Region};
use chrono::NaiveDate;

use crate::error::{ReadError, Reject, RejectKind};
use crate::path::parse_date;
use crate::spotify_charts::{RankSet, chart_name, parse_count};
use crate::{Dialect, FileSummary, Source};

pub const LAYOUT: &str = "chartlens-interchange";

/// Columns a file must have.
pub const REQUIRED: [&str; 8] = [
    "source",
    "chart",
    "region",
    "period_start",
    "period_end",
    "rank",
    "track_name",
    "artist_names",
];
/// Columns a file may have.
pub const OPTIONAL: [&str; 5] = ["frequency", "track_id", "streams", "views", "artist_ids"];

/// Whether a header line (lower-cased fields) is the interchange layout.
pub fn is_header(fields: &[String]) -> bool {
    REQUIRED.iter().all(|c| fields.iter().any(|f| f == c))
}

/// Reads an interchange CSV.
pub fn read<R: Read, E>(
    source: &Source<'_>,
    dialect: Dialect,
    input: R,
    sink: &mut dyn FnMut(RecordBatch) -> Result<(), E>,
) -> Result<FileSummary, ReadError<E>> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(dialect.delimiter)
        .from_reader(input);
    let mut record = csv::StringRecord::new();
    let csv_error = |e: csv::Error| {
        let line = e.position().map(|p| dialect.line(p));
        Reject::new(RejectKind::Row, line, e.to_string())
    };
    if !csv.read_record(&mut record).map_err(csv_error)? {
        return Err(Reject::new(RejectKind::Empty, None, "the file is empty").into());
    }
    let header: Vec<String> = record
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    if let Some(unknown) = header
        .iter()
        .find(|h| !REQUIRED.contains(&h.as_str()) && !OPTIONAL.contains(&h.as_str()))
    {
        return Err(Reject::at(
            RejectKind::Header,
            1,
            format!(
                "unknown column `{unknown}` in an interchange file; the columns are {} and optionally {}",
                REQUIRED.join(","),
                OPTIONAL.join(",")
            ),
        )
        .into());
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let required = |name: &str| col(name).expect("checked by is_header");
    let (c_source, c_chart, c_region) = (required("source"), required("chart"), required("region"));
    let (c_start, c_end, c_rank) = (
        required("period_start"),
        required("period_end"),
        required("rank"),
    );
    let (c_track, c_artists) = (required("track_name"), required("artist_names"));
    let (c_freq, c_id, c_streams, c_views, c_ids) = (
        col("frequency"),
        col("track_id"),
        col("streams"),
        col("views"),
        col("artist_ids"),
    );

    let mut keys: Vec<(ChartKey, u64)> = Vec::new();
    let mut ranks: Vec<RankSet> = Vec::new();
    let mut index: HashMap<(String, String, Region, NaiveDate, NaiveDate), usize> = HashMap::new();
    let mut regions: HashMap<String, Region> = HashMap::new();
    let mut builder = ChartEntriesBuilder::new(source.display_path, source.hash);
    let mut rows = 0u64;
    while csv.read_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, |p| dialect.line(p));
        if record.len() == 1 && record[0].trim().is_empty() {
            continue;
        }
        if record.len() != header.len() {
            return Err(Reject::at(
                RejectKind::Row,
                line,
                format!(
                    "expected {} fields as in the header, found {} (is the file truncated?)",
                    header.len(),
                    record.len()
                ),
            )
            .into());
        }
        let field = |i: usize| record[i].trim();
        let optional = |i: Option<usize>| i.map(field).filter(|v| !v.is_empty());
        let text = |i: usize, what: &str| -> Result<&str, Reject> {
            let value = field(i);
            if value.is_empty() {
                return Err(Reject::at(RejectKind::Row, line, format!("the {what} is empty")));
            }
            Ok(value)
        };
        let region_text = text(c_region, "region")?;
        let region = match source.options.region {
            Some(region) => region,
            None => match regions.get(region_text) {
                Some(region) => *region,
                None => {
                    let region = Region::parse(region_text).ok_or_else(|| {
                        Reject::at(
                            RejectKind::Region,
                            line,
                            format!(
                                "unknown region `{region_text}` (use an ISO 3166-1 alpha-2 code, a country name, or GLOBAL)"
                            ),
                        )
                    })?;
                    regions.insert(region_text.to_string(), region);
                    region
                }
            },
        };
        let date = |i: usize, what: &str| -> Result<NaiveDate, Reject> {
            let raw = field(i);
            parse_date(raw).ok_or_else(|| {
                Reject::at(
                    RejectKind::Date,
                    line,
                    format!("{what} `{raw}` is not a date (YYYY-MM-DD)"),
                )
            })
        };
        let (start, end) = (date(c_start, "period_start")?, date(c_end, "period_end")?);
        if end < start {
            return Err(Reject::at(
                RejectKind::Period,
                line,
                format!("the period ends ({end}) before it starts ({start})"),
            )
            .into());
        }
        let raw_rank = field(c_rank);
        let rank = raw_rank
            .parse::<i32>()
            .ok()
            .filter(|r| *r > 0)
            .ok_or_else(|| {
                Reject::at(
                    RejectKind::Rank,
                    line,
                    format!("rank `{raw_rank}` is not a whole number from 1"),
                )
            })?;
        let frequency = match optional(c_freq) {
            None => source.options.frequency,
            Some(raw) => Some(Frequency::parse(raw).ok_or_else(|| {
                Reject::at(
                    RejectKind::Row,
                    line,
                    format!("frequency `{raw}` is not daily or weekly"),
                )
            })?),
        };
        let chart = match &source.options.chart {
            Some(chart) => chart.clone(),
            None => chart_name(text(c_chart, "chart name")?),
        };
        let src = text(c_source, "source")?.to_lowercase();
        let id = (src, chart, region, start, end);
        let key = match index.get(&id) {
            Some(key) => *key,
            None => {
                let key = keys.len();
                keys.push((
                    ChartKey {
                        source: id.0.clone(),
                        chart: id.1.clone(),
                        region,
                        period_start: start,
                        period_end: end,
                    },
                    0,
                ));
                ranks.push(RankSet::default());
                index.insert(id, key);
                key
            }
        };
        if !ranks[key].insert(rank) {
            return Err(Reject::at(
                RejectKind::DuplicateRank,
                line,
                format!("rank {rank} appears a second time in chart {}", keys[key].0),
            )
            .into());
        }
        let count = |i: Option<usize>, what: &str| match i {
            Some(i) => parse_count(field(i), line, what),
            None => Ok(None),
        };
        let position = Position {
            rank,
            track_id: optional(c_id),
            track_name: field(c_track),
            artist_names: field(c_artists),
            streams: count(c_streams, "stream count")?,
            views: count(c_views, "view count")?,
            artist_ids: optional(c_ids),
            line,
        };
        builder.push(&keys[key].0, frequency, &position);
        keys[key].1 += 1;
        rows += 1;
        if builder.len() >= source.options.batch_rows {
            sink(builder.finish()).map_err(ReadError::Sink)?;
        }
    }
    if rows == 0 {
        return Err(Reject::new(RejectKind::Empty, None, "no chart rows below the header").into());
    }
    if !builder.is_empty() {
        sink(builder.finish()).map_err(ReadError::Sink)?;
    }
    Ok(FileSummary {
        layout: LAYOUT,
        rows,
        charts: keys,
    })
}
