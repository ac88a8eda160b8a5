//! Charts saved as JSON: Spotify Web API playlist snapshots of editorial chart
//! playlists (`Top 50 - <Country>`, `Viral 50 - <Country>`), as a playlist
//! object (`GET /playlists/{id}`) or a tracks page (`GET /playlists/{id}/tracks`),
//! and Billboard weeks in the layout of the community Hot 100 archive
//! (`{"date", "data": [{"song", "artist", "this_week", "last_week",
//! "peak_position", "weeks_on_chart"}]}`).
//!
//! A file is small (one playlist or one week), so it is parsed whole. Rows are
//! cited by the line their JSON object starts on.

use std::path::Path;

use arrow::array::RecordBatch;
use chartlens_model::{ChartEntriesBuilder, ChartKey, Frequency, Position, Region};
use chrono::NaiveDate;
use serde_json::Value;

use crate::error::{ReadError, Reject, RejectKind};
use crate::number;
use crate::path::parse_date;
use crate::spotify_charts::RankSet;
use crate::{FileSummary, Source};

/// The JSON layouts chartlens reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A Spotify Web API playlist object (`GET /playlists/{id}`).
    SpotifyPlaylist,
    /// A Spotify Web API page of a playlist's tracks (`GET /playlists/{id}/tracks`).
    SpotifyPlaylistTracks,
    /// One week of the community Billboard Hot 100 archive.
    Billboard,
}

impl Layout {
    /// The layout name a chart file of this layout reports (`FileSummary::layout`); playlist snapshots that are not charts report their own.
    pub fn name(self) -> &'static str {
        match self {
            Layout::SpotifyPlaylist => "spotify-playlist",
            Layout::SpotifyPlaylistTracks => "spotify-playlist-tracks",
            Layout::Billboard => "billboard-week",
        }
    }
}

/// Reads one JSON chart file.
pub fn read<E>(
    source: &Source<'_>,
    path: &Path,
    text: &str,
    sink: &mut dyn FnMut(RecordBatch) -> Result<(), E>,
) -> Result<FileSummary, ReadError<E>> {
    let doc = crate::json::parse(text)?;
    let lines = object_lines(text);
    let (layout, items, depth) = if doc.get("tracks").is_some_and(|t| t.get("items").is_some()) {
        (Layout::SpotifyPlaylist, &doc["tracks"]["items"], 4)
    } else if doc.get("items").is_some_and(Value::is_array) {
        (Layout::SpotifyPlaylistTracks, &doc["items"], 3)
    } else if doc.get("date").is_some() && doc.get("data").is_some_and(Value::is_array) {
        (Layout::Billboard, &doc["data"], 3)
    } else {
        return Err(Reject::at(
            RejectKind::Header,
            1,
            "a JSON document chartlens does not know; expected a Spotify playlist object or \
             tracks page, or a Billboard week ({\"date\", \"data\": [...]})",
        )
        .into());
    };
    let items = items.as_array().map(Vec::as_slice).unwrap_or_default();
    let line_of = |i: usize| line_at(&lines, depth, i);
    let mut builder = ChartEntriesBuilder::new(source.display_path, source.hash);
    let mut ranks = RankSet::default();
    let frequency = source.options.frequency.or(source.context.frequency);
    if layout != Layout::Billboard {
        let name = playlist_name(path, &doc);
        if chart_playlist(&name).is_none() && source.options.chart.is_none() {
            return snapshot(source, &doc, &name, items, &line_of, layout);
        }
    }
    let (key, frequency) = match layout {
        Layout::Billboard => (
            billboard_key(source, path, &doc)?,
            frequency.or(Some(Frequency::Weekly)),
        ),
        _ => (playlist_key(source, path, &doc)?, frequency),
    };
    let mut rows = 0u64;
    for (i, item) in items.iter().enumerate() {
        let line = line_of(i);
        let entry = match layout {
            Layout::Billboard => billboard_entry(item, i, line)?,
            _ => match playlist_entry(item, i) {
                Some(entry) => entry,
                // A removed or unavailable track keeps its position empty.
                None => continue,
            },
        };
        if !ranks.insert(entry.rank) {
            return Err(Reject::at(
                RejectKind::DuplicateRank,
                line,
                format!("rank {} appears a second time in chart {key}", entry.rank),
            )
            .into());
        }
        builder.push(
            &key,
            frequency,
            &Position {
                rank: entry.rank,
                track_id: entry.track_id.as_deref(),
                track_name: &entry.track_name,
                artist_names: &entry.artist_names,
                streams: None,
                views: None,
                artist_ids: entry.artist_ids.as_deref(),
                line,
            },
        );
        rows += 1;
    }
    if rows == 0 {
        return Err(Reject::new(RejectKind::Empty, None, "no chart entries in the file").into());
    }
    sink(builder.finish()).map_err(ReadError::Sink)?;
    Ok(FileSummary {
        layout: layout.name(),
        rows,
        charts: vec![(key, rows)],
        flagged: builder.flagged(),
        table_rows: None,
    })
}

/// The name of a playlist: its `name`, or for a tracks page the file name.
fn playlist_name(path: &Path, doc: &Value) -> String {
    match doc.get("name").and_then(Value::as_str) {
        Some(name) => name.to_string(),
        None => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

/// A playlist that is not a chart, as rows of `playlist_snapshots`.
fn snapshot<E>(
    source: &Source<'_>,
    doc: &Value,
    name: &str,
    items: &[Value],
    line_of: &dyn Fn(usize) -> u64,
    layout: Layout,
) -> Result<FileSummary, ReadError<E>> {
    use std::sync::Arc;

    use arrow::array::{Date32Builder, Int32Builder, Int64Builder, StringArray, StringBuilder};

    let (date, _) = period(source, "the snapshot date")?;
    let n = items.len();
    let (mut position, mut line) = (
        Int32Builder::with_capacity(n),
        Int64Builder::with_capacity(n),
    );
    let mut date_col = Date32Builder::with_capacity(n);
    let (mut track_id, mut track_name) = (StringBuilder::new(), StringBuilder::new());
    let (mut artist_names, mut artist_ids) = (StringBuilder::new(), StringBuilder::new());
    let mut rows = 0usize;
    for (i, item) in items.iter().enumerate() {
        let Some(entry) = playlist_entry(item, i) else {
            continue;
        };
        position.append_value(entry.rank);
        date_col.append_value(chartlens_model::chart::days_since_epoch(date));
        track_id.append_option(entry.track_id.as_deref());
        track_name.append_value(&entry.track_name);
        artist_names.append_value(&entry.artist_names);
        artist_ids.append_option(entry.artist_ids.as_deref());
        line.append_value(i64::try_from(line_of(i)).unwrap_or(i64::MAX));
        rows += 1;
    }
    let repeat = |text: &str| Arc::new(StringArray::from(vec![text; rows]));
    let id = doc.get("id").and_then(Value::as_str);
    let batch = RecordBatch::try_new(
        chartlens_model::table::playlist_snapshots().schema(),
        vec![
            repeat("spotify"),
            Arc::new(StringArray::from(vec![id; rows])),
            repeat(name),
            Arc::new(date_col.finish()),
            Arc::new(position.finish()),
            Arc::new(track_id.finish()),
            Arc::new(track_name.finish()),
            Arc::new(artist_names.finish()),
            Arc::new(artist_ids.finish()),
            repeat(source.display_path),
            Arc::new(line.finish()),
            repeat(source.hash),
        ],
    )
    .map_err(|e| Reject::new(RejectKind::Row, None, e.to_string()))?;
    Ok(FileSummary {
        layout: match layout {
            Layout::SpotifyPlaylistTracks => "spotify-playlist-tracks-snapshot",
            _ => "spotify-playlist-snapshot",
        },
        rows: rows as u64,
        charts: Vec::new(),
        flagged: 0,
        table_rows: Some((chartlens_model::table::PLAYLIST_SNAPSHOTS, batch)),
    })
}

struct Entry {
    rank: i32,
    track_id: Option<String>,
    track_name: String,
    artist_names: String,
    artist_ids: Option<String>,
}

/// The chart of an editorial playlist, from its name (or, for a tracks page,
/// the file name), the snapshot date from the path or `--period`. A path that
/// names another market than the playlist does is rejected, naming both: one
/// of them is wrong, and storing either silently would misfile the chart.
fn playlist_key(source: &Source<'_>, path: &Path, doc: &Value) -> Result<ChartKey, Reject> {
    let name = playlist_name(path, doc);
    let parsed = chart_playlist(&name);
    let region = match (source.options.region, parsed) {
        (Some(region), _) => region,
        (None, Some((_, market))) => {
            let region = Region::parse(market).ok_or_else(|| {
                Reject::new(
                    RejectKind::Region,
                    None,
                    format!("unknown market `{market}` in playlist `{name}`; pass --region"),
                )
            })?;
            match source.context.region {
                Some(named) if named != region => {
                    return Err(Reject::new(
                        RejectKind::Region,
                        None,
                        format!(
                            "the path names the market {named} but the playlist `{name}` names \
                             {region}; rename the file, or pass --region to say which is right"
                        ),
                    ));
                }
                _ => region,
            }
        }
        (None, None) => {
            return Err(Reject::new(
                RejectKind::Region,
                None,
                format!(
                    "playlist `{name}` does not name a market (`Top 50 - <Country>`); pass --region"
                ),
            ));
        }
    };
    let chart = match (&source.options.chart, parsed) {
        (Some(chart), _) => chart.clone(),
        (None, Some((chart, _))) => chart.to_string(),
        (None, None) => unreachable!("a playlist without a chart name is a snapshot"),
    };
    let (start, end) = period(source, "the snapshot date")?;
    Ok(ChartKey {
        source: "spotify".into(),
        chart,
        region,
        period_start: start,
        period_end: end,
    })
}

/// `Top 50 - South Korea` -> (`top50`, `South Korea`).
pub fn chart_playlist(name: &str) -> Option<(&'static str, &str)> {
    let (kind, market) = name.split_once(" - ")?;
    let chart = match kind.trim().to_ascii_lowercase().as_str() {
        "top 50" => "top50",
        "viral 50" => "viral50",
        _ => return None,
    };
    Some((chart, market.trim()))
}

fn period(source: &Source<'_>, what: &str) -> Result<(NaiveDate, NaiveDate), Reject> {
    if let Some(period) = source.options.period {
        return Ok(period);
    }
    match source.context.dates.as_slice() {
        [start, end, ..] => Ok((*start, *end)),
        [date] => Ok((*date, *date)),
        [] => Err(Reject::new(
            RejectKind::Period,
            None,
            format!("{what} is not in the path; pass --period YYYY-MM-DD"),
        )),
    }
}

/// One item of a playlist: `None` when the item holds no track.
fn playlist_entry(item: &Value, index: usize) -> Option<Entry> {
    let track = item.get("track").filter(|t| t.is_object())?;
    let artists = track
        .get("artists")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let text = |v: &Value, key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let names: Vec<String> = artists.iter().map(|a| text(a, "name")).collect();
    let ids: Vec<String> = artists.iter().map(|a| text(a, "id")).collect();
    Some(Entry {
        rank: i32::try_from(index + 1).unwrap_or(i32::MAX),
        track_id: track.get("id").and_then(Value::as_str).map(str::to_string),
        track_name: text(track, "name"),
        artist_names: names.join(", "),
        artist_ids: ids.iter().any(|id| !id.is_empty()).then(|| ids.join(",")),
    })
}

/// The chart of a Billboard week: its name from `--chart` or the path, the
/// market from the chart (Global 200 is GLOBAL, Japan Hot 100 is JP, others
/// US) unless `--region` says, and the week ending on `date`.
fn billboard_key(source: &Source<'_>, path: &Path, doc: &Value) -> Result<ChartKey, Reject> {
    let folded: String = path
        .to_string_lossy()
        .to_ascii_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let from_path = ["japanhot100", "global200", "billboard200", "hot100"]
        .into_iter()
        .find(|c| folded.contains(c));
    let chart = source
        .options
        .chart
        .clone()
        .or_else(|| {
            from_path.map(|c| {
                if c == "japanhot100" {
                    "japan-hot100".into()
                } else {
                    c.into()
                }
            })
        })
        .unwrap_or_else(|| "hot100".into());
    let region = source.options.region.unwrap_or(match chart.as_str() {
        "global200" => Region::Global,
        c if c.starts_with("japan") => Region::parse("JP").expect("JP is a market"),
        _ => Region::parse("US").expect("US is a market"),
    });
    let (start, end) = match source.options.period {
        Some(period) => period,
        None => {
            let raw = doc.get("date").and_then(Value::as_str).unwrap_or("");
            let date = parse_date(raw).ok_or_else(|| {
                Reject::at(
                    RejectKind::Date,
                    1,
                    format!("`{raw}` is not a chart date (YYYY-MM-DD)"),
                )
            })?;
            // A Billboard chart is dated by the last day of its tracking week.
            (date - chrono::Duration::days(6), date)
        }
    };
    Ok(ChartKey {
        source: "billboard".into(),
        chart,
        region,
        period_start: start,
        period_end: end,
    })
}

fn billboard_entry(item: &Value, index: usize, line: u64) -> Result<Entry, Reject> {
    let missing = |field: &str| {
        Reject::at(
            RejectKind::Row,
            line,
            format!("entry {} has no `{field}`", index + 1),
        )
    };
    let text = |field: &str| {
        item.get(field)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| missing(field))
    };
    let rank = item.get("this_week").ok_or_else(|| missing("this_week"))?;
    // A rank as a JSON number or a string, in the forms every reader takes.
    let rank = match rank {
        Value::String(s) => number::rank(s, line)?,
        Value::Number(n) => number::rank(&n.to_string(), line)?,
        other => number::rank(&other.to_string(), line)?,
    };
    Ok(Entry {
        rank,
        track_id: None,
        track_name: text("song")?,
        artist_names: text("artist")?,
        artist_ids: None,
    })
}

/// The line of the `i`th object opening at `depth` in [`object_lines`]'s
/// map, or 1 when there is none.
pub(crate) fn line_at(
    lines: &std::collections::HashMap<usize, Vec<u64>>,
    depth: usize,
    i: usize,
) -> u64 {
    lines
        .get(&depth)
        .and_then(|l| l.get(i))
        .copied()
        .unwrap_or(1)
}

/// Lines on which JSON objects open, by nesting depth (of objects and arrays
/// together; the top level is 1).
pub(crate) fn object_lines(text: &str) -> std::collections::HashMap<usize, Vec<u64>> {
    let mut out: std::collections::HashMap<usize, Vec<u64>> = std::collections::HashMap::new();
    let (mut depth, mut line, mut in_string, mut escaped) = (0usize, 1u64, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                b'\n' => line += 1,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'\n' => line += 1,
            b'{' => {
                depth += 1;
                out.entry(depth).or_default().push(line);
            }
            b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_playlists_by_name() {
        assert_eq!(
            chart_playlist("Top 50 - South Korea"),
            Some(("top50", "South Korea"))
        );
        assert_eq!(
            chart_playlist("Viral 50 - Global"),
            Some(("viral50", "Global"))
        );
        assert_eq!(chart_playlist("Today's Top Hits"), None);
        assert_eq!(chart_playlist("K-Pop Daebak - Best of"), None);
    }

    #[test]
    fn object_lines_skip_braces_in_strings() {
        let text = "{\n \"data\": [\n  {\"song\": \"{x}\"},\n  {\"song\": \"]\"}\n ]\n}\n";
        let lines = object_lines(text);
        assert_eq!(lines[&1], [1]);
        assert_eq!(lines[&3], [3, 4]);
    }
}
