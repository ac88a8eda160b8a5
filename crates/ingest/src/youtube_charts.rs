//! YouTube Charts CSV downloads (`Rank,"Previous Rank","Track Name",
//! "Artist Names","Periods on Chart",Views,Growth,"YouTube URL"`), weekly or
//! daily, global or per country. Rows go to `chart_entries` with source
//! `youtube`, chart `top-songs` (or `--chart`), the views in `views` and the
//! video id in `track_id`; the market and period come from the path
//! (`youtube-charts-global-weekly-2026-W10.csv`: an ISO week is Monday to
//! Sunday) or from `--region` and `--period`.

use std::io::Read;

use arrow::array::RecordBatch;
use chartlens_model::{ChartEntriesBuilder, ChartKey, Position};

use crate::error::{ReadError, Reject, RejectKind};
use crate::number;
use crate::spotify_charts::RankSet;
use crate::{Dialect, FileSummary, Source};

/// Layout name of a YouTube Charts download, as `ingest_log.layout` records it.
pub const LAYOUT: &str = "youtube-charts";

const REQUIRED: [&str; 5] = ["rank", "track name", "artist names", "views", "youtube url"];

/// Whether a lower-cased header is a YouTube Charts download.
pub fn is_header(header: &[String]) -> bool {
    REQUIRED.iter().all(|r| header.iter().any(|h| h == r))
}

/// The video id of `https://www.youtube.com/watch?v=<id>` or
/// `https://youtu.be/<id>`: 11 characters of `[A-Za-z0-9_-]`.
pub fn video_id(url: &str) -> Option<&str> {
    let rest = url
        .split_once("watch?v=")
        .or_else(|| url.split_once("&v="))
        .or_else(|| url.split_once("youtu.be/"))
        .map(|(_, r)| r)?;
    let id = rest.split(['&', '?', '#', '/']).next()?;
    let ok = id.len() == 11
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(id)
}

/// Reads one YouTube Charts CSV; the whole file is valid or it is rejected.
pub fn read<R: Read, E>(
    source: &Source<'_>,
    dialect: Dialect,
    input: R,
    sink: &mut dyn FnMut(RecordBatch) -> Result<(), E>,
) -> Result<FileSummary, ReadError<E>> {
    let (opts, ctx) = (source.options, source.context);
    let region = crate::file_region(source)?;
    let (start, end) = crate::file_period(source, false)?;
    let key = ChartKey {
        source: "youtube".to_string(),
        chart: opts.chart.clone().unwrap_or_else(|| "top-songs".into()),
        region,
        period_start: start,
        period_end: end,
    };
    let frequency = opts.frequency.or(ctx.frequency);
    let mut csv = dialect.reader(input);
    let mut record = csv::StringRecord::new();
    let read = |csv: &mut csv::Reader<R>, record: &mut csv::StringRecord| {
        csv.read_record(record).map_err(|e| {
            let line = e.position().map(|p| dialect.line(p));
            Reject::new(RejectKind::Row, line, e.to_string())
        })
    };
    read(&mut csv, &mut record)?;
    let header: Vec<String> = record
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let [rank, title, artists, views, url] = REQUIRED.map(|name| col(name).unwrap_or(0));
    let mut builder = ChartEntriesBuilder::new(source.display_path, source.hash);
    let mut ranks = RankSet::default();
    let mut rows = 0u64;
    while read(&mut csv, &mut record)? {
        let line = record.position().map_or(0, |p| dialect.line(p));
        if record.len() == 1 && record[0].trim().is_empty() {
            continue;
        }
        if record.len() != header.len() {
            return Err(Reject::wrong_width(line, header.len(), record.len()).into());
        }
        let field = |i: usize| record[i].trim();
        let position = number::rank(field(rank), line)?;
        if !ranks.insert(position) {
            return Err(Reject::at(
                RejectKind::DuplicateRank,
                line,
                format!("rank {position} appears twice in this chart"),
            )
            .into());
        }
        // An empty link leaves the entry without a video id (it is then
        // keyed by its artists and title, as charts without ids are); a link
        // that is not a video's is an error.
        let link = field(url);
        let id = match link {
            "" => None,
            _ => Some(video_id(link).ok_or_else(|| {
                Reject::at(
                    RejectKind::TrackUrl,
                    line,
                    format!("`{link}` is not a YouTube video link with an 11-character id"),
                )
            })?),
        };
        let position = Position {
            rank: position,
            track_id: id,
            track_name: field(title),
            artist_names: field(artists),
            streams: None,
            views: number::count(field(views), line, "view count")?,
            artist_ids: None,
            line,
        };
        builder.push(&key, frequency, &position);
        rows += 1;
        if builder.len() >= opts.batch_rows {
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
        charts: vec![(key, rows)],
        flagged: builder.flagged(),
        table_rows: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_ids_from_links() {
        assert_eq!(
            video_id("https://www.youtube.com/watch?v=GXioir-fujY"),
            Some("GXioir-fujY")
        );
        assert_eq!(
            video_id("https://youtu.be/yebNIHKAC4A?t=3"),
            Some("yebNIHKAC4A")
        );
        assert_eq!(video_id("https://www.youtube.com/watch?v=short"), None);
        assert_eq!(video_id("https://open.spotify.com/track/x"), None);
    }
}
