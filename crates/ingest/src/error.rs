//! Why a file was not ingested. A rejection names the line it points at and a
//! reason a user can act on; `kind` groups rejections in the run summary.

use std::fmt;

/// The class of a rejection, stable across versions so summaries and
/// `ingest_log` queries can group by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectKind {
    /// The file could not be read at all.
    Io,
    /// A saved web page instead of a chart download.
    Html,
    /// Nothing, or only a header, in the file.
    Empty,
    /// Not UTF-8 text.
    Encoding,
    /// No header chartlens knows.
    Header,
    /// A row with the wrong number of fields (often a truncated file).
    Row,
    /// A rank that is not a positive whole number.
    Rank,
    /// The same rank twice in one chart.
    DuplicateRank,
    /// A stream or view count that is not a whole number.
    Count,
    /// A track link or URI without a track id.
    TrackUrl,
    /// A date that cannot be read.
    Date,
    /// The market cannot be found or is unknown.
    Region,
    /// The chart period cannot be found.
    Period,
}

impl RejectKind {
    /// The reason in words, as the run summary groups rejections.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectKind::Io => "unreadable file",
            RejectKind::Html => "HTML page instead of a chart",
            RejectKind::Empty => "empty file",
            RejectKind::Encoding => "not UTF-8 text",
            RejectKind::Header => "unknown or missing header",
            RejectKind::Row => "malformed or truncated row",
            RejectKind::Rank => "bad rank",
            RejectKind::DuplicateRank => "duplicate rank",
            RejectKind::Count => "bad stream or view count",
            RejectKind::TrackUrl => "bad track URL",
            RejectKind::Date => "bad date",
            RejectKind::Region => "market not found",
            RejectKind::Period => "period not found",
        }
    }
}

impl fmt::Display for RejectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file that cannot be ingested, and where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// The class of the problem.
    pub kind: RejectKind,
    /// 1-based line the problem is on, when it is on one.
    pub line: Option<u64>,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

impl Reject {
    /// A row whose number of fields differs from the header's.
    pub fn wrong_width(line: u64, expected: usize, found: usize) -> Reject {
        Reject::at(
            RejectKind::Row,
            line,
            format!(
                "expected {expected} fields as in the header, found {found} (is the file truncated?)"
            ),
        )
    }

    /// A rejection of `kind`, on `line` when there is one.
    pub fn new(kind: RejectKind, line: Option<u64>, message: impl Into<String>) -> Self {
        Reject {
            kind,
            line,
            message: message.into(),
        }
    }

    /// A rejection of `kind` pointing at 1-based `line`.
    pub fn at(kind: RejectKind, line: u64, message: impl Into<String>) -> Self {
        Reject::new(kind, Some(line), message)
    }
}

/// Shown on one line: a control character the message quotes from the file
/// (a newline inside a quoted field, an escape sequence) is written `\xNN`.
impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        for c in self.message.chars() {
            if c.is_control() {
                for b in c.encode_utf8(&mut [0; 4]).bytes() {
                    write!(f, "\\x{b:02X}")?;
                }
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Reject {}

/// What can stop the reading of one file: the file itself, or the place its
/// rows were being written to.
#[derive(Debug)]
pub enum ReadError<E> {
    /// The file cannot be ingested.
    Reject(Reject),
    /// The sink refused the rows; the error is its own.
    Sink(E),
}

impl<E> From<Reject> for ReadError<E> {
    fn from(r: Reject) -> Self {
        ReadError::Reject(r)
    }
}
