//! Spotify chart CSV downloads, in the four layouts users have: the old
//! spotifycharts.com regional and viral downloads, the charts.spotify.com download
//! (2022 on), and the widely shared combined file with one row per chart position.

use std::collections::HashMap;
use std::io::Read;

use arrow::array::RecordBatch;
use chartlens_model::{ChartEntriesBuilder, ChartKey, Frequency, Position, Region};
use chrono::NaiveDate;

use crate::error::{ReadError, Reject, RejectKind};
use crate::number;
use crate::path::parse_date;
use crate::{Dialect, FileSummary, Source};

/// A Spotify chart CSV layout, told apart by its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `Position,"Track Name",Artist,Streams,URL`, sometimes below a note line.
    LegacyRegional,
    /// `Position,"Track Name",Artist,URL`.
    LegacyViral,
    /// `rank,uri,artist_names,track_name,source,peak_rank,previous_rank,
    /// weeks_on_chart|days_on_chart[,streams]`.
    ChartsSpotify,
    /// `title,rank,date,artist,url,region,chart,trend,streams`.
    Combined,
}

impl Layout {
    /// The layout name `FileSummary::layout` reports (`spotify-legacy-regional`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Layout::LegacyRegional => "spotify-legacy-regional",
            Layout::LegacyViral => "spotify-legacy-viral",
            Layout::ChartsSpotify => "spotify-charts",
            Layout::Combined => "spotify-combined",
        }
    }
}

/// Where each needed field sits in a row of a detected layout.
#[derive(Debug, Clone, Copy)]
struct Columns {
    width: usize,
    rank: usize,
    track_name: usize,
    artist: usize,
    url: usize,
    streams: Option<usize>,
    date: Option<usize>,
    region: Option<usize>,
    chart: Option<usize>,
}

fn detect(header: &[String]) -> Option<(Layout, Columns)> {
    let find = |name: &str| header.iter().position(|h| h == name);
    let has = |names: &[&str]| names.iter().all(|n| find(n).is_some());
    let base = |rank: &str, title: &str, artist: &str, url: &str| {
        Some(Columns {
            width: header.len(),
            rank: find(rank)?,
            track_name: find(title)?,
            artist: find(artist)?,
            url: find(url)?,
            streams: find("streams"),
            date: None,
            region: None,
            chart: None,
        })
    };
    if has(&["title", "rank", "date", "artist", "url", "region", "chart"]) {
        let cols = base("rank", "title", "artist", "url")?;
        let cols = Columns {
            date: find("date"),
            region: find("region"),
            chart: find("chart"),
            ..cols
        };
        return Some((Layout::Combined, cols));
    }
    if has(&["rank", "uri", "artist_names", "track_name"]) {
        return Some((
            Layout::ChartsSpotify,
            base("rank", "track_name", "artist_names", "uri")?,
        ));
    }
    if has(&["position", "track name", "artist", "url"]) {
        let cols = base("position", "track name", "artist", "url")?;
        let layout = if cols.streams.is_some() {
            Layout::LegacyRegional
        } else {
            Layout::LegacyViral
        };
        return Some((layout, cols));
    }
    None
}

/// The headers this reader knows, for error messages.
pub const KNOWN_HEADERS: &str = "`Position,\"Track Name\",Artist[,Streams],URL`, \
     `rank,uri,artist_names,track_name,...[,streams]`, \
     `title,rank,date,artist,url,region,chart,trend,streams`";

/// Reads one Spotify chart CSV, handing rows to `sink` in batches of at most
/// `source.options.batch_rows`. Either the whole file is valid and its summary is
/// returned, or it is rejected: a caller that discards the batches of a rejected
/// file never stores part of it.
pub fn read<R: Read, E>(
    source: &Source<'_>,
    dialect: Dialect,
    input: R,
    sink: &mut dyn FnMut(RecordBatch) -> Result<(), E>,
) -> Result<FileSummary, ReadError<E>> {
    let mut csv = dialect.reader(input);
    let mut record = csv::ByteRecord::new();

    // The header is the first line, or the second below a one-line note.
    let mut detected = None;
    let mut first_header = String::new();
    for attempt in 0..2 {
        if !next_record(&mut csv, &mut record, dialect)? {
            return Err(if attempt == 0 {
                Reject::new(RejectKind::Empty, None, "the file is empty")
            } else {
                header_reject(&first_header)
            }
            .into());
        }
        let header: Vec<String> = record
            .iter()
            .map(|f| {
                String::from_utf8_lossy(f)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_lowercase()
            })
            .collect();
        if attempt == 0 {
            first_header = header.join(",");
        }
        if let Some(found) = detect(&header) {
            detected = Some(found);
            break;
        }
    }
    let Some((layout, cols)) = detected else {
        return Err(header_reject(&first_header).into());
    };

    let mut state = ChartState::new(source, layout, cols)?;
    let mut builder = ChartEntriesBuilder::new(source.display_path, source.hash);
    let mut rows = 0u64;
    while next_record(&mut csv, &mut record, dialect)? {
        let line = record.position().map_or(0, |p| dialect.line(p));
        if record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if record.len() != cols.width {
            return Err(Reject::wrong_width(line, cols.width, record.len()).into());
        }
        let field = |i: usize| -> Result<&str, Reject> {
            std::str::from_utf8(&record[i]).map(str::trim).map_err(|_| {
                Reject::at(
                    RejectKind::Encoding,
                    line,
                    format!("field {} is not valid UTF-8", i + 1),
                )
            })
        };
        let rank = number::rank(field(cols.rank)?, line)?;
        let (url, track_name, artist_names) = (
            field(cols.url)?,
            field(cols.track_name)?,
            field(cols.artist)?,
        );
        // A track taken down since keeps its rank and streams with no title,
        // artist or link: the row stays (flagged by the builder) so that the
        // chart's ranks and stream totals stay whole.
        let removed = url.is_empty() && track_name.is_empty() && artist_names.is_empty();
        let track_id = match removed {
            true => None,
            false => Some(track_id(url).ok_or_else(|| {
                Reject::at(
                    RejectKind::TrackUrl,
                    line,
                    format!("`{url}` is not a Spotify track URL or URI with a 22-character id"),
                )
            })?),
        };
        let key_index = state.key_for(&record, line)?;
        let streams = match cols.streams {
            Some(i) => number::count(field(i)?, line, "stream count")?,
            None => None,
        };
        if streams.is_none() && cols.streams.is_some() && state.keys[key_index].0.chart != "viral50"
        {
            return Err(Reject::at(RejectKind::Count, line, "the stream count is missing").into());
        }
        state.claim_rank(key_index, rank, line)?;
        let position = Position {
            rank,
            track_id,
            track_name,
            artist_names,
            streams,
            views: None,
            artist_ids: None,
            line,
        };
        let (key, _) = &state.keys[key_index];
        builder.push(key, state.frequency, &position);
        state.keys[key_index].1 += 1;
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
        layout: layout.name(),
        rows,
        charts: state.keys,
        flagged: builder.flagged(),
        table_rows: None,
    })
}

fn next_record<R: Read>(
    csv: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
    dialect: Dialect,
) -> Result<bool, Reject> {
    csv.read_byte_record(record).map_err(|e| {
        let line = e.position().map(|p| dialect.line(p));
        match e.kind() {
            csv::ErrorKind::Io(io) => Reject::new(RejectKind::Io, line, io.to_string()),
            _ => Reject::new(RejectKind::Row, line, e.to_string()),
        }
    })
}

fn header_reject(found: &str) -> Reject {
    let shown: String = found.chars().take(120).collect();
    Reject::at(
        RejectKind::Header,
        1,
        format!("unknown header `{shown}`; expected one of {KNOWN_HEADERS}"),
    )
}

/// Per-file state: the charts seen so far, their ranks, and what the path and
/// flags fixed for the whole file.
struct ChartState<'s> {
    source: &'s Source<'s>,
    cols: Columns,
    frequency: Option<Frequency>,
    /// The key used by every row when the layout has no per-row market and date.
    fixed: Option<usize>,
    keys: Vec<(ChartKey, u64)>,
    index: HashMap<(Region, NaiveDate, usize), usize>,
    /// Chart names seen, interned: `index` keys hold their position.
    chart_names: Vec<String>,
    /// Raw chart fields of rows, to their interned name, so a combined file's
    /// millions of rows do not normalise and allocate a name each.
    charts_by_raw: HashMap<Vec<u8>, usize>,
    ranks: Vec<RankSet>,
    regions: HashMap<Vec<u8>, Region>,
}

impl<'s> ChartState<'s> {
    fn new(source: &'s Source<'s>, layout: Layout, cols: Columns) -> Result<Self, Reject> {
        let opts = source.options;
        let ctx = source.context;
        let frequency = opts.frequency.or(ctx.frequency);
        let mut state = ChartState {
            source,
            cols,
            frequency,
            fixed: None,
            keys: Vec::new(),
            index: HashMap::new(),
            chart_names: Vec::new(),
            charts_by_raw: HashMap::new(),
            ranks: Vec::new(),
            regions: HashMap::new(),
        };
        if layout == Layout::Combined {
            if let Some(chart) = &opts.chart {
                let id = state.intern(chart);
                state.charts_by_raw.insert(Vec::new(), id);
            }
            return Ok(state);
        }
        let region = crate::file_region(source)?;
        // charts.spotify.com names a weekly chart by the last day of its week.
        let week_ending = layout == Layout::ChartsSpotify && frequency == Some(Frequency::Weekly);
        let (start, end) = crate::file_period(source, week_ending)?;
        let chart = opts
            .chart
            .clone()
            .or_else(|| ctx.chart.map(str::to_string))
            .unwrap_or_else(|| {
                if cols.streams.is_some() {
                    "top200"
                } else {
                    "viral50"
                }
                .to_string()
            });
        let chart = state.intern(&chart);
        state.fixed = Some(state.insert_key(region, start, end, chart));
        Ok(state)
    }

    fn intern(&mut self, chart: &str) -> usize {
        match self.chart_names.iter().position(|c| c == chart) {
            Some(id) => id,
            None => {
                self.chart_names.push(chart.to_string());
                self.chart_names.len() - 1
            }
        }
    }

    fn insert_key(
        &mut self,
        region: Region,
        start: NaiveDate,
        end: NaiveDate,
        chart: usize,
    ) -> usize {
        let key = ChartKey {
            source: "spotify".to_string(),
            chart: self.chart_names[chart].clone(),
            region,
            period_start: start,
            period_end: end,
        };
        let index = self.keys.len();
        self.keys.push((key, 0));
        self.ranks.push(RankSet::default());
        self.index.insert((region, start, chart), index);
        index
    }

    /// The chart a row belongs to: fixed for the file, or read from the row.
    fn key_for(&mut self, record: &csv::ByteRecord, line: u64) -> Result<usize, Reject> {
        if let Some(index) = self.fixed {
            return Ok(index);
        }
        let opts = self.source.options;
        let text = |i: Option<usize>| {
            i.and_then(|i| std::str::from_utf8(&record[i]).ok())
                .map(str::trim)
                .unwrap_or("")
        };
        let region = match opts.region {
            Some(region) => region,
            None => {
                let raw = self.cols.region.map_or(&b""[..], |i| &record[i]);
                match self.regions.get(raw) {
                    Some(region) => *region,
                    None => {
                        let name = text(self.cols.region);
                        let region = Region::parse(name).ok_or_else(|| {
                            Reject::at(
                                RejectKind::Region,
                                line,
                                format!("unknown market `{name}` (use a country name or ISO code)"),
                            )
                        })?;
                        self.regions.insert(raw.to_vec(), region);
                        region
                    }
                }
            }
        };
        let (start, end) = match opts.period {
            Some(period) => period,
            None => {
                let raw = text(self.cols.date);
                let date = parse_date(raw).ok_or_else(|| {
                    Reject::at(
                        RejectKind::Date,
                        line,
                        format!("`{raw}` is not a date (YYYY-MM-DD)"),
                    )
                })?;
                (date, date)
            }
        };
        // With --chart, the empty raw key holds the override for every row.
        let raw = match (&opts.chart, self.cols.chart) {
            (None, Some(i)) => &record[i],
            _ => &b""[..],
        };
        let chart = match self.charts_by_raw.get(raw) {
            Some(id) => *id,
            None => {
                let name = chart_name(text(self.cols.chart));
                if name.is_empty() {
                    return Err(Reject::at(RejectKind::Row, line, "the chart name is empty"));
                }
                let id = self.intern(&name);
                self.charts_by_raw.insert(raw.to_vec(), id);
                id
            }
        };
        if let Some(index) = self.index.get(&(region, start, chart)) {
            return Ok(*index);
        }
        Ok(self.insert_key(region, start, end, chart))
    }

    fn claim_rank(&mut self, key: usize, rank: i32, line: u64) -> Result<(), Reject> {
        if self.ranks[key].insert(rank) {
            return Ok(());
        }
        Err(Reject::at(
            RejectKind::DuplicateRank,
            line,
            format!(
                "rank {rank} appears a second time in chart {}",
                self.keys[key].0
            ),
        ))
    }
}

/// Ranks seen in one chart, as a bit set: a combined file can hold hundreds of
/// thousands of charts, so this stays at a few words per chart.
#[derive(Default)]
pub(crate) struct RankSet {
    bits: Vec<u64>,
}

impl RankSet {
    /// Records `rank`; false if it was already taken.
    pub(crate) fn insert(&mut self, rank: i32) -> bool {
        let slot = usize::try_from(rank).unwrap_or(0);
        let (word, bit) = (slot / 64, 1u64 << (slot % 64));
        if word >= self.bits.len() {
            self.bits.resize(word + 1, 0);
        }
        let fresh = self.bits[word] & bit == 0;
        self.bits[word] |= bit;
        fresh
    }
}

/// Normalises chart names as the exports spell them (`top200`, `Top 200`,
/// `regional`, `viral50`, `Viral 50`).
pub fn chart_name(raw: &str) -> String {
    let folded: String = raw
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let known = match folded.as_str() {
        "regional" | "top200" => "top200",
        "viral" | "viral50" => "viral50",
        "top50" => "top50",
        "hot100" => "hot100",
        "global200" => "global200",
        "japanhot100" => "japan-hot100",
        _ => {
            // Other names keep their word breaks as single hyphens.
            let mut name = String::with_capacity(raw.len());
            for c in raw.trim().chars() {
                if c.is_ascii_alphanumeric() {
                    name.push(c.to_ascii_lowercase());
                } else if !name.is_empty() && !name.ends_with('-') {
                    name.push('-');
                }
            }
            return name.trim_end_matches('-').to_string();
        }
    };
    known.to_string()
}

/// The 22-character track id of `https://open.spotify.com/track/<id>[?...]`
/// or `spotify:track:<id>`.
pub fn track_id(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("spotify:track:").or_else(|| {
        url.split_once("open.spotify.com/")
            .and_then(|(_, r)| r.strip_prefix("track/"))
    })?;
    let id = rest.split(['?', '#', '/']).next()?;
    (id.len() == 22 && id.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn track_ids_from_links_and_uris() {
        let id = "0b9oOr2ZgvyQu88wzixux9";
        assert_eq!(
            track_id(&format!("https://open.spotify.com/track/{id}")),
            Some(id)
        );
        assert_eq!(
            track_id(&format!("https://open.spotify.com/track/{id}?si=abc")),
            Some(id)
        );
        assert_eq!(track_id(&format!("spotify:track:{id}")), Some(id));
        assert_eq!(track_id("https://open.spotify.com/track"), None);
        assert_eq!(track_id("https://open.spotify.com/track/short"), None);
        assert_eq!(
            track_id(&format!("https://open.spotify.com/album/{id}")),
            None
        );
    }

    #[test]
    fn chart_names() {
        assert_eq!(chart_name("Top 200"), "top200");
        assert_eq!(chart_name("regional"), "top200");
        assert_eq!(chart_name("viral50"), "viral50");
        assert_eq!(chart_name("Japan Hot 100"), "japan-hot100");
        assert_eq!(chart_name("japan-hot100"), "japan-hot100");
        assert_eq!(chart_name("K-Pop Hot 100!"), "k-pop-hot-100");
    }
}
