//! The interchange layout: a CSV file with the columns of `chart_entries`, so
//! any chart chartlens does not read natively (Oricon, Circle, Melon, Billboard
//! Japan) can come in after a light conversion, and `chartlens export` output
//! goes back in unchanged.
//!
//! Required columns: `source,chart,region,period_start,period_end,rank,
//! track_name,artist_names`. Optional: `frequency`, `track_id`, `streams`,
//! `views`, `artist_ids`. Order is free; other columns are refused, so a typo
//! never drops data silently. Every row names its own chart. The same columns
//! in a Parquet file are read too.

use std::collections::HashMap;
use std::io::Read;

use arrow::array::RecordBatch;
use chartlens_model::{ChartEntriesBuilder, ChartKey, Frequency, Position, Region};
use chrono::NaiveDate;

use crate::error::{ReadError, Reject, RejectKind};
use crate::number;
use crate::path::parse_date;
use crate::spotify_charts::{RankSet, chart_name};
use crate::{Dialect, FileSummary, Source};

/// Layout name of an interchange CSV file, as `ingest_log.layout` records it.
pub const LAYOUT: &str = "chartlens-interchange";
/// Layout name of an interchange Parquet file, as `ingest_log.layout` records it.
pub const LAYOUT_PARQUET: &str = "chartlens-interchange-parquet";

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

/// Positions of the interchange columns in a file.
struct Columns {
    width: usize,
    source: usize,
    chart: usize,
    region: usize,
    start: usize,
    end: usize,
    rank: usize,
    track: usize,
    artists: usize,
    frequency: Option<usize>,
    track_id: Option<usize>,
    streams: Option<usize>,
    views: Option<usize>,
    artist_ids: Option<usize>,
}

impl Columns {
    /// From a header of lower-cased names; unknown or missing columns are refused.
    fn from_header(header: &[String]) -> Result<Columns, Reject> {
        let columns = || {
            format!(
                "{} and optionally {}",
                REQUIRED.join(","),
                OPTIONAL.join(",")
            )
        };
        if let Some(unknown) = header
            .iter()
            .find(|h| !REQUIRED.contains(&h.as_str()) && !OPTIONAL.contains(&h.as_str()))
        {
            return Err(Reject::at(
                RejectKind::Header,
                1,
                format!(
                    "unknown column `{unknown}` in an interchange file; the columns are {}",
                    columns()
                ),
            ));
        }
        let col = |name: &str| header.iter().position(|h| h == name);
        let required = |name: &str| {
            col(name).ok_or_else(|| {
                Reject::at(
                    RejectKind::Header,
                    1,
                    format!(
                        "the interchange column `{name}` is missing; the columns are {}",
                        columns()
                    ),
                )
            })
        };
        Ok(Columns {
            width: header.len(),
            source: required("source")?,
            chart: required("chart")?,
            region: required("region")?,
            start: required("period_start")?,
            end: required("period_end")?,
            rank: required("rank")?,
            track: required("track_name")?,
            artists: required("artist_names")?,
            frequency: col("frequency"),
            track_id: col("track_id"),
            streams: col("streams"),
            views: col("views"),
            artist_ids: col("artist_ids"),
        })
    }
}

/// The charts of one file as its rows arrive.
struct Charts<'s> {
    source: &'s Source<'s>,
    cols: Columns,
    keys: Vec<(ChartKey, u64)>,
    ranks: Vec<RankSet>,
    index: HashMap<(String, String, Region, NaiveDate, NaiveDate), usize>,
    regions: HashMap<String, Region>,
    builder: ChartEntriesBuilder,
    rows: u64,
}

impl<'s> Charts<'s> {
    fn new(source: &'s Source<'s>, cols: Columns) -> Self {
        Charts {
            source,
            cols,
            keys: Vec::new(),
            ranks: Vec::new(),
            index: HashMap::new(),
            regions: HashMap::new(),
            builder: ChartEntriesBuilder::new(source.display_path, source.hash),
            rows: 0,
        }
    }

    /// Checks one row (fields by column, trimmed; empty for null) and keeps it.
    fn push(&mut self, fields: &[&str], line: u64) -> Result<(), Reject> {
        let cols = &self.cols;
        let opts = self.source.options;
        let optional = |i: Option<usize>| i.map(|i| fields[i]).filter(|v| !v.is_empty());
        let text = |i: usize, what: &str| -> Result<&str, Reject> {
            match fields[i] {
                "" => Err(Reject::at(
                    RejectKind::Row,
                    line,
                    format!("the {what} is empty"),
                )),
                value => Ok(value),
            }
        };
        let region_text = text(cols.region, "region")?;
        let region = match opts.region {
            Some(region) => region,
            None => match self.regions.get(region_text) {
                Some(region) => *region,
                None => {
                    let region = Region::parse(region_text).ok_or_else(|| {
                        Reject::at(
                            RejectKind::Region,
                            line,
                            format!(
                                "unknown region `{region_text}` (use an ISO 3166-1 alpha-2 code, a \
                                 country name, or GLOBAL)"
                            ),
                        )
                    })?;
                    self.regions.insert(region_text.to_string(), region);
                    region
                }
            },
        };
        let date = |i: usize, what: &str| -> Result<NaiveDate, Reject> {
            parse_date(fields[i]).ok_or_else(|| {
                Reject::at(
                    RejectKind::Date,
                    line,
                    format!("{what} `{}` is not a date (YYYY-MM-DD)", fields[i]),
                )
            })
        };
        let (start, end) = (
            date(cols.start, "period_start")?,
            date(cols.end, "period_end")?,
        );
        if end < start {
            return Err(Reject::at(
                RejectKind::Period,
                line,
                format!("the period ends ({end}) before it starts ({start})"),
            ));
        }
        let rank = number::rank(fields[cols.rank], line)?;
        let frequency = match optional(cols.frequency) {
            None => opts.frequency,
            Some(raw) => Some(Frequency::parse(raw).ok_or_else(|| {
                Reject::at(
                    RejectKind::Row,
                    line,
                    format!("frequency `{raw}` is not daily or weekly"),
                )
            })?),
        };
        let chart = match &opts.chart {
            Some(chart) => chart.clone(),
            None => chart_name(text(cols.chart, "chart name")?),
        };
        let id = (
            text(cols.source, "source")?.to_lowercase(),
            chart,
            region,
            start,
            end,
        );
        let key = match self.index.get(&id) {
            Some(key) => *key,
            None => {
                let key = self.keys.len();
                let chart_key = ChartKey {
                    source: id.0.clone(),
                    chart: id.1.clone(),
                    region,
                    period_start: start,
                    period_end: end,
                };
                self.keys.push((chart_key, 0));
                self.ranks.push(RankSet::default());
                self.index.insert(id, key);
                key
            }
        };
        if !self.ranks[key].insert(rank) {
            return Err(Reject::at(
                RejectKind::DuplicateRank,
                line,
                format!(
                    "rank {rank} appears a second time in chart {}",
                    self.keys[key].0
                ),
            ));
        }
        let count = |i: Option<usize>, what: &str| match i {
            Some(i) => number::count(fields[i], line, what),
            None => Ok(None),
        };
        let position = Position {
            rank,
            track_id: optional(cols.track_id),
            track_name: fields[cols.track],
            artist_names: fields[cols.artists],
            streams: count(cols.streams, "stream count")?,
            views: count(cols.views, "view count")?,
            artist_ids: optional(cols.artist_ids),
            line,
        };
        self.builder.push(&self.keys[key].0, frequency, &position);
        self.keys[key].1 += 1;
        self.rows += 1;
        Ok(())
    }

    fn flush<E>(
        &mut self,
        sink: &mut dyn FnMut(RecordBatch) -> Result<(), E>,
        at_least: usize,
    ) -> Result<(), ReadError<E>> {
        if !self.builder.is_empty() && self.builder.len() >= at_least {
            sink(self.builder.finish()).map_err(ReadError::Sink)?;
        }
        Ok(())
    }

    fn finish<E>(
        mut self,
        sink: &mut dyn FnMut(RecordBatch) -> Result<(), E>,
        layout: &'static str,
    ) -> Result<FileSummary, ReadError<E>> {
        if self.rows == 0 {
            return Err(
                Reject::new(RejectKind::Empty, None, "no chart rows below the header").into(),
            );
        }
        self.flush(sink, 1)?;
        Ok(FileSummary {
            layout,
            rows: self.rows,
            charts: self.keys,
            flagged: self.builder.flagged(),
            table_rows: None,
        })
    }
}

/// Reads an interchange CSV.
pub fn read<R: Read, E>(
    source: &Source<'_>,
    dialect: Dialect,
    input: R,
    sink: &mut dyn FnMut(RecordBatch) -> Result<(), E>,
) -> Result<FileSummary, ReadError<E>> {
    let mut csv = dialect.reader(input);
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
    let mut charts = Charts::new(source, Columns::from_header(&header)?);
    while csv.read_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, |p| dialect.line(p));
        if record.len() == 1 && record[0].trim().is_empty() {
            continue;
        }
        if record.len() != charts.cols.width {
            return Err(Reject::wrong_width(line, charts.cols.width, record.len()).into());
        }
        let fields: Vec<&str> = record.iter().map(str::trim).collect();
        charts.push(&fields, line)?;
        charts.flush(sink, source.options.batch_rows)?;
    }
    charts.finish(sink, LAYOUT)
}

/// Key of the Parquet key-value metadata in which `chartlens export` records
/// the [`ContentHash`] of the rows, checked when the file is ingested again.
pub const CONTENT_HASH_KEY: &str = "chartlens.content_blake3";

/// A hash of an interchange file's values, as ingest reads them: every
/// column cast to text, row by row, each value as its length and bytes (a
/// null apart from every text). Export records it; ingest recomputes it, so
/// that a changed byte that still decodes (a flipped bit in a track id) is
/// caught rather than stored.
#[derive(Default)]
pub struct ContentHash {
    hasher: blake3::Hasher,
    rows: u64,
}

impl ContentHash {
    /// Adds the rows of one batch, given as its columns cast to text.
    pub fn add_texts(&mut self, texts: &[arrow::array::StringArray]) {
        use arrow::array::Array;
        let rows = texts.first().map_or(0, Array::len);
        for i in 0..rows {
            for column in texts {
                if column.is_null(i) {
                    self.hasher.update(&[0xff]);
                } else {
                    let value = column.value(i).as_bytes();
                    self.hasher.update(&[0]);
                    self.hasher.update(&(value.len() as u64).to_le_bytes());
                    self.hasher.update(value);
                }
            }
        }
        self.rows += rows as u64;
    }

    /// Adds a batch of any column types, cast to text as ingest casts them.
    pub fn add_batch(&mut self, batch: &RecordBatch) -> Result<(), arrow::error::ArrowError> {
        self.add_texts(&texts_of(batch)?);
        Ok(())
    }

    /// The value recorded under [`CONTENT_HASH_KEY`]: rows and hash.
    pub fn finish(&self) -> String {
        format!("{}:{}", self.rows, self.hasher.finalize().to_hex())
    }
}

/// The columns of `batch` cast to text.
fn texts_of(
    batch: &RecordBatch,
) -> Result<Vec<arrow::array::StringArray>, arrow::error::ArrowError> {
    use arrow::array::{Array, StringArray};
    batch
        .columns()
        .iter()
        .map(|c| {
            arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8).map(|a| {
                a.as_any()
                    .downcast_ref::<StringArray>()
                    .cloned()
                    .unwrap_or_else(|| StringArray::from(Vec::<&str>::new()))
            })
        })
        .collect()
}

/// Reads an interchange Parquet file (as `chartlens export --format parquet`
/// writes). Rejections cite the row number as the line. When the file
/// records a [`ContentHash`] (every chartlens export does), the rows must
/// match it, or the file is rejected.
pub fn read_parquet<E>(
    source: &Source<'_>,
    bytes: Vec<u8>,
    sink: &mut dyn FnMut(RecordBatch) -> Result<(), E>,
) -> Result<FileSummary, ReadError<E>> {
    use arrow::array::{Array, RecordBatchReader, StringArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let bad = |e: &dyn std::fmt::Display| {
        Reject::new(RejectKind::Row, None, format!("unreadable Parquet: {e}"))
    };
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes)).map_err(|e| bad(&e))?;
    let recorded = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|kv| kv.key == CONTENT_HASH_KEY))
        .and_then(|kv| kv.value.clone());
    let reader = builder
        .with_batch_size(source.options.batch_rows.max(1))
        .build()
        .map_err(|e| bad(&e))?;
    let mut content = ContentHash::default();
    let header: Vec<String> = reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().to_lowercase())
        .collect();
    let mut charts = Charts::new(source, Columns::from_header(&header)?);
    let mut row = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| bad(&e))?;
        let texts: Vec<StringArray> = texts_of(&batch).map_err(|e| bad(&e))?;
        content.add_texts(&texts);
        for i in 0..batch.num_rows() {
            row += 1;
            let fields: Vec<&str> = texts
                .iter()
                .map(|t| if t.is_null(i) { "" } else { t.value(i).trim() })
                .collect();
            charts.push(&fields, row)?;
        }
        charts.flush(sink, source.options.batch_rows)?;
    }
    if let Some(recorded) = recorded
        && recorded != content.finish()
    {
        return Err(Reject::new(
            RejectKind::Row,
            None,
            "the rows do not match the content hash that `chartlens export` recorded in the \
             file: it was changed or damaged after export; export it again"
                .to_string(),
        )
        .into());
    }
    charts.finish(sink, LAYOUT_PARQUET)
}
