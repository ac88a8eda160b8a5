//! Readers for the chart exports users have. Each source format sits in its own
//! module behind the same small interface: given a [`Source`] and its bytes, hand
//! `chart_entries` rows to a sink and return a [`FileSummary`], or a [`Reject`]
//! that says which line is wrong and why. Nothing here touches the store.

pub mod artist_lists;
pub mod error;
pub mod interchange;
pub mod json;
pub mod json_charts;
pub mod number;
pub mod path;
pub mod spotify_charts;
pub mod videos;
pub mod youtube_charts;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use chartlens_model::{ChartKey, Frequency, Region};
use chrono::NaiveDate;

pub use error::{ReadError, Reject, RejectKind};
pub use path::PathContext;

/// Overrides and tuning that apply to every file of one ingest.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// `--region`: the market of every file, instead of what rows or paths say.
    pub region: Option<Region>,
    /// `--period`: first and last day of every file's chart.
    pub period: Option<(NaiveDate, NaiveDate)>,
    /// `--chart`: the chart name of every file.
    pub chart: Option<String>,
    /// `--frequency`: how often the charts are published.
    pub frequency: Option<Frequency>,
    /// `--observed`: when every video snapshot was taken.
    pub observed: Option<NaiveDate>,
    /// Rows per batch handed to the sink.
    pub batch_rows: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            region: None,
            period: None,
            chart: None,
            frequency: None,
            observed: None,
            batch_rows: 65_536,
        }
    }
}

/// One input file as a reader sees it.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The path as stored in `source_file` and reported to the user.
    pub display_path: &'a str,
    /// Content hash, stored in `source_hash`.
    pub hash: &'a str,
    /// What the file's path says about its charts.
    pub context: &'a PathContext,
    /// The overrides of this ingest.
    pub options: &'a ReadOptions,
}

/// What a valid file held.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSummary {
    /// Name of the detected layout, e.g. `spotify-legacy-viral`.
    pub layout: &'static str,
    /// Rows the file holds: rows handed to the sink, or those of `table_rows` when the file went to another table.
    pub rows: u64,
    /// Each chart in the file with its number of rows, in order of first row.
    pub charts: Vec<(ChartKey, u64)>,
    /// Rows of `rows` kept but flagged incomplete (`chart_entries.flag`, such
    /// as a position whose track was removed).
    pub flagged: u64,
    /// Rows of another table, stored whole per file: `playlist_snapshots` for a
    /// playlist that is not a chart, `video_snapshots` for video statistics
    /// (then `charts` is empty and nothing went to the sink).
    pub table_rows: Option<(&'static str, RecordBatch)>,
}

/// How many leading bytes decide what kind of file this is.
const SNIFF_BYTES: u64 = 4096;

/// Reads one file of any supported layout. The first bytes tell web pages,
/// UTF-16 and binary files apart from CSV; a UTF-8 byte-order mark is skipped.
pub fn read<R: Read, E>(
    source: &Source<'_>,
    mut input: R,
    sink: &mut dyn FnMut(RecordBatch) -> Result<(), E>,
) -> Result<FileSummary, ReadError<E>> {
    let mut prefix = Vec::with_capacity(SNIFF_BYTES as usize);
    (&mut input)
        .take(SNIFF_BYTES)
        .read_to_end(&mut prefix)
        .map_err(|e| Reject::new(RejectKind::Io, None, e.to_string()))?;
    if prefix.starts_with(b"PAR1") {
        let mut bytes = prefix;
        input
            .read_to_end(&mut bytes)
            .map_err(|e| Reject::new(RejectKind::Io, None, e.to_string()))?;
        return interchange::read_parquet(source, bytes, sink);
    }
    let skip = sniff(&prefix)?;
    prefix.drain(..skip);
    let first = prefix.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if matches!(first, Some(b'{' | b'[')) {
        let mut bytes = prefix;
        input
            .read_to_end(&mut bytes)
            .map_err(|e| Reject::new(RejectKind::Io, None, e.to_string()))?;
        let text = utf8(&bytes)?;
        if let Some(summary) = videos::read(source, text)? {
            return Ok(summary);
        }
        return json_charts::read(source, Path::new(source.display_path), text, sink);
    }
    let dialect = Dialect::sniff(&prefix);
    let first_line = prefix.split(|b| *b == b'\n').next().unwrap_or_default();
    let header: Vec<String> = String::from_utf8_lossy(first_line)
        .split(dialect.delimiter as char)
        .map(|f| f.trim().trim_matches('"').to_lowercase())
        .collect();
    let input = io::Cursor::new(prefix).chain(input);
    if interchange::is_header(&header) {
        return interchange::read(source, dialect, input, sink);
    }
    if youtube_charts::is_header(&header) {
        return youtube_charts::read(source, dialect, input, sink);
    }
    spotify_charts::read(source, dialect, input, sink)
}

/// The market of a file whose rows do not say: `--region`, else the path.
pub(crate) fn file_region(source: &Source<'_>) -> Result<Region, Reject> {
    source
        .options
        .region
        .or(source.context.region)
        .ok_or_else(|| {
            Reject::new(
                RejectKind::Region,
                None,
                "the market is not in the file and cannot be read from its path; pass --region \
                 (a country name or ISO code, or GLOBAL)",
            )
        })
}

/// The period of a file whose rows do not say: `--period`, else the two
/// dates (or the ISO week) of its path, else its one date, a one-day period
/// or, when `week_ending`, the week that ends on it.
pub(crate) fn file_period(
    source: &Source<'_>,
    week_ending: bool,
) -> Result<(NaiveDate, NaiveDate), Reject> {
    let (start, end) = match (source.options.period, source.context.dates.as_slice()) {
        (Some(period), _) => period,
        (None, [start, end, ..]) => (*start, *end),
        (None, [date]) if week_ending => (*date - chrono::Duration::days(6), *date),
        (None, [date]) => (*date, *date),
        (None, []) => {
            return Err(Reject::new(
                RejectKind::Period,
                None,
                "the chart date is not in the file and cannot be read from its path (a date, \
                 or an ISO week such as 2026-W10); pass --period YYYY-MM-DD or --period \
                 YYYY-MM-DD..YYYY-MM-DD",
            ));
        }
    };
    if end < start {
        return Err(Reject::new(
            RejectKind::Period,
            None,
            format!("the period ends ({end}) before it starts ({start})"),
        ));
    }
    Ok((start, end))
}

/// The bytes as text, or a rejection naming the line of the first invalid byte.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, Reject> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        Reject::at(
            RejectKind::Encoding,
            line,
            "not valid UTF-8 (save the file as UTF-8)",
        )
    })
}

/// Checks the start of a file; returns how many bytes to skip (a byte-order mark).
pub(crate) fn sniff(prefix: &[u8]) -> Result<usize, Reject> {
    if prefix.is_empty() {
        return Err(Reject::new(RejectKind::Empty, None, "the file is empty"));
    }
    if prefix.starts_with(&[0xFF, 0xFE]) || prefix.starts_with(&[0xFE, 0xFF]) {
        return Err(Reject::new(
            RejectKind::Encoding,
            None,
            "UTF-16 text; save the file as UTF-8 (CSV UTF-8 in spreadsheet programs)",
        ));
    }
    let skip = if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let body = &prefix[skip..];
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |i| &body[i..]);
    if start.is_empty() {
        return Err(Reject::new(
            RejectKind::Empty,
            None,
            "the file holds only blank space",
        ));
    }
    if start[0] == b'<' {
        let head = String::from_utf8_lossy(start).to_ascii_lowercase();
        let message = if head.contains("<html") || head.starts_with("<!doctype html") {
            "an HTML web page, not a chart (the download probably failed or the chart did not exist)"
        } else {
            "XML or HTML markup, not a chart"
        };
        return Err(Reject::at(RejectKind::Html, 1, message));
    }
    if body.contains(&0) {
        return Err(Reject::new(
            RejectKind::Encoding,
            None,
            "a binary file, not CSV text",
        ));
    }
    if let Err(e) = std::str::from_utf8(body) {
        // A multi-byte character cut by the sniff window is not an error.
        if e.error_len().is_some() {
            let line = 1 + body[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            return Err(Reject::at(
                RejectKind::Encoding,
                line,
                "not valid UTF-8 (save the file as UTF-8)",
            ));
        }
    }
    Ok(skip)
}

/// How a CSV file is written, as far as reading it needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// The field separator: `,`, `;` or tab.
    pub delimiter: u8,
    /// Lines end with `\r\n`.
    pub crlf: bool,
}

impl Dialect {
    /// Reads the dialect off the first bytes of a file.
    pub fn sniff(prefix: &[u8]) -> Dialect {
        let crlf = prefix.windows(2).any(|w| w == b"\r\n");
        Dialect {
            delimiter: delimiter(prefix),
            crlf,
        }
    }

    /// A CSV reader for this dialect that hands the header over as a record
    /// (readers detect layouts from it) and accepts rows of any width (readers
    /// reject a wrong width with its line).
    pub fn reader<R: Read>(&self, input: R) -> csv::Reader<R> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(input)
    }

    /// The 1-based line a record starts on. The csv crate places a record
    /// that follows a `\r\n` at the `\n`, one line early; this corrects it.
    pub fn line(&self, position: &csv::Position) -> u64 {
        position.line() + u64::from(self.crlf && position.byte() > 0)
    }
}

/// The field separator of a CSV file, from its first lines: a comma, or the
/// semicolon or tab that spreadsheet programs write in some locales.
fn delimiter(prefix: &[u8]) -> u8 {
    let mut best = (0, b',');
    for line in prefix.split(|b| *b == b'\n').take(2) {
        for candidate in [b',', b';', b'\t'] {
            let mut quoted = false;
            let mut count = 0;
            for &b in line {
                match b {
                    b'"' => quoted = !quoted,
                    b if b == candidate && !quoted => count += 1,
                    _ => {}
                }
            }
            if count > best.0 {
                best = (count, candidate);
            }
        }
    }
    best.1
}

/// The BLAKE3 hash of a file's content in hex, the identity that makes re-ingest
/// idempotent.
pub fn hash_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// The identity of a source file for idempotent re-ingest: its content hash plus
/// everything outside the content that decides which charts it holds (market,
/// dates, chart and frequency read off the path, and the override flags). The
/// same bytes saved as two markets' charts are two sources; a copy of a file
/// under another name in the same place is one.
pub fn source_identity(content_hash: &str, context: &PathContext, options: &ReadOptions) -> String {
    let dates = |d: &[NaiveDate]| {
        d.iter()
            .map(NaiveDate::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let text = format!(
        "{content_hash}|{}|{}|{}|{}|{}|{}|{}|{}{}",
        context
            .region
            .map(|r| r.code().to_string())
            .unwrap_or_default(),
        dates(&context.dates),
        context.frequency.map_or("", Frequency::as_str),
        context.chart.unwrap_or(""),
        options
            .region
            .map(|r| r.code().to_string())
            .unwrap_or_default(),
        options
            .period
            .map(|(s, e)| dates(&[s, e]))
            .unwrap_or_default(),
        options.chart.as_deref().unwrap_or(""),
        options.frequency.map_or("", Frequency::as_str),
        // Only when given, so identities of stores made before the flag hold.
        options
            .observed
            .map(|d| format!("|observed {d}"))
            .unwrap_or_default(),
    );
    hash_bytes(text.as_bytes())
}

/// Hashes a file without loading it whole.
pub fn hash_file(path: &Path) -> io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(File::open(path)?)?;
    Ok(hasher.finalize().to_hex().to_string())
}

/// The files found under the inputs, and the entries that could not be read.
#[derive(Debug, Default)]
pub struct Discovered {
    /// The files found, in path order.
    pub files: Vec<PathBuf>,
    /// Entries the walk could not read (permissions, broken links), with why.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Every file under `inputs`, recursively, in path order. Hidden files and
/// directories (names starting with `.`) and anything under `exclude` are
/// skipped. An input that does not exist is an error; an unreadable entry
/// below an input is reported and the walk goes on.
///
/// A pipe or FIFO named as an input (`chartlens ingest <(zcat charts.csv.gz)`)
/// is a file to read, once, as a stream. One met while walking a folder is
/// reported as unreadable by name instead: nothing may be writing to it, and
/// reading it would wait forever. Sockets and devices are reported wherever
/// they are met.
pub fn discover(
    inputs: &[PathBuf],
    exclude: &[PathBuf],
) -> Result<Discovered, (PathBuf, io::Error)> {
    let mut found = Discovered::default();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| (input.clone(), e))?;
        if meta.is_file() || is_fifo(&meta.file_type()) {
            found.files.push(input.clone());
            continue;
        }
        if !meta.is_dir() {
            let why = format!(
                "{}, not a file or folder: not read",
                special_kind(&meta.file_type())
            );
            found.unreadable.push((input.clone(), why));
            continue;
        }
        let files = &mut found.files;
        let walk = walkdir::WalkDir::new(input)
            .follow_links(true)
            .sort_by_file_name();
        let walk = walk.into_iter().filter_entry(|entry| {
            let hidden = entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.');
            // Only directories need resolving: a file is excluded with its folder.
            let excluded = entry.file_type().is_dir()
                && exclude.iter().any(|x| {
                    entry
                        .path()
                        .canonicalize()
                        .map(|p| p.starts_with(x))
                        .unwrap_or(false)
                });
            !hidden && !excluded
        });
        for entry in walk {
            match entry {
                Ok(entry) if entry.file_type().is_file() => files.push(entry.into_path()),
                Ok(entry) if entry.file_type().is_dir() => {}
                Ok(entry) => {
                    let kind = special_kind(&entry.file_type());
                    let why = format!(
                        "{kind} inside a folder, not a regular file: not read (reading it could \
                         wait forever); to read a pipe, give it by name"
                    );
                    found.unreadable.push((entry.into_path(), why));
                }
                Err(e) => {
                    let path = e.path().map_or_else(|| input.clone(), Path::to_path_buf);
                    found.unreadable.push((path, e.to_string()));
                }
            }
        }
    }
    Ok(found)
}

/// Whether a file type is a pipe or FIFO.
fn is_fifo(file_type: &std::fs::FileType) -> bool {
    #[cfg(unix)]
    return std::os::unix::fs::FileTypeExt::is_fifo(file_type);
    #[cfg(not(unix))]
    return {
        let _ = file_type;
        false
    };
}

/// What a path that is neither a regular file nor a folder is, in words.
fn special_kind(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    let _ = file_type;
    "a special file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"\xEF\xBB\xBFPosition").unwrap(), 3);
        assert_eq!(sniff(b"Position").unwrap(), 0);
        assert_eq!(sniff(b"").unwrap_err().kind, RejectKind::Empty);
        assert_eq!(
            sniff(b"  \n<!doctype html><html>").unwrap_err().kind,
            RejectKind::Html
        );
        assert_eq!(
            sniff(b"\xFF\xFEP\0").unwrap_err().kind,
            RejectKind::Encoding
        );
        let bad = sniff(b"a,b\nc,\xFF\xFF\n").unwrap_err();
        assert_eq!((bad.kind, bad.line), (RejectKind::Encoding, Some(2)));
        assert_eq!(
            delimiter(b"Position,\"Track Name\",Artist,URL\n1,a,b,c"),
            b','
        );
        assert_eq!(delimiter(b"Position;\"Track; Name\";Artist;URL\n"), b';');
        assert_eq!(delimiter(b"rank\turi\tartist_names\n"), b'\t');
        assert_eq!(delimiter(b"\"a;b;c;d\",x\n"), b',');
        // A character cut at the end of the window is fine.
        assert_eq!(sniff("a,é".as_bytes().split_last().unwrap().1).unwrap(), 0);
    }
}
