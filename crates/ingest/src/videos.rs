//! Video statistics: YouTube Data API v3 `videos.list` responses
//! (`part=snippet,statistics,contentDetails`) and TikTok Research API video
//! query responses, one response per file or several (a JSON array of
//! responses, or one response per line). Rows go to `video_snapshots`, one
//! per video, stamped with when they were observed: `--observed`, else the
//! date or ISO week in the file name, else the file's modification time.
//!
//! Counts arrive as strings (YouTube) or numbers (TikTok); a count that is
//! absent (a channel hiding its likes) is null, never zero.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Int32Builder, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use chartlens_model::table::{self, VIDEO_SNAPSHOTS};
use serde_json::Value;

use crate::error::{Reject, RejectKind};
use crate::json_charts::{line_at, object_lines};
use crate::number;
use crate::{FileSummary, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Platform {
    YouTube,
    TikTok,
}

impl Platform {
    fn name(self) -> &'static str {
        match self {
            Platform::YouTube => "youtube",
            Platform::TikTok => "tiktok",
        }
    }

    fn layout(self) -> &'static str {
        match self {
            Platform::YouTube => "youtube-videos-list",
            Platform::TikTok => "tiktok-research-videos",
        }
    }

    /// Which platform's response a JSON document is, if any.
    fn of(doc: &Value) -> Option<Platform> {
        let youtube = doc["kind"] == "youtube#videoListResponse"
            || doc["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i["kind"] == "youtube#video"))
            || doc["error"]["errors"].is_array();
        let tiktok = doc["data"].is_object() && doc["data"].get("videos").is_some()
            || doc["error"].is_object() && doc["error"].get("code").is_some();
        match (youtube, tiktok) {
            (true, _) => Some(Platform::YouTube),
            (false, true) => Some(Platform::TikTok),
            _ => None,
        }
    }
}

/// Reads a video statistics file; `Ok(None)` when the JSON is not one (other
/// readers then try it).
pub fn read(source: &Source<'_>, text: &str) -> Result<Option<FileSummary>, Reject> {
    // A cheap look first: other JSON (playlists, Billboard weeks) is parsed
    // once, by its own reader.
    if !["youtube#video", "\"videos\"", "\"error\""]
        .iter()
        .any(|marker| text.contains(marker))
    {
        return Ok(None);
    }
    let mut docs = Vec::new();
    for doc in serde_json::Deserializer::from_str(text).into_iter::<crate::json::Unique>() {
        let doc = doc.map_err(|e| crate::json::reject(&e))?.0;
        match doc {
            Value::Array(items) => docs.extend(items),
            other => docs.push(other),
        }
    }
    let Some(platform) = docs.first().and_then(Platform::of) else {
        return Ok(None);
    };
    let observed = observed_at(source)?;
    let lines = object_lines(text);
    // Where a video object opens: its depth below the top of the file.
    let nested = usize::from(text.trim_start().starts_with('['));
    let depth = nested
        + match platform {
            Platform::YouTube => 3,
            Platform::TikTok => 4,
        };
    let line_of = |k: usize| line_at(&lines, depth, k);
    // Where each response opens.
    let doc_line = |d: usize| line_at(&lines, 1 + nested, d);
    let mut rows = Rows::default();
    let mut seen = HashSet::new();
    for (d, doc) in docs.iter().enumerate() {
        if Platform::of(doc) != Some(platform) {
            return Err(Reject::at(
                RejectKind::Header,
                doc_line(d),
                format!("a file mixes {} responses with other JSON", platform.name()),
            ));
        }
        // An error response in place of data: TikTok's `error.code` is "ok"
        // on success; YouTube's errors have a numeric code and `errors`.
        let error = &doc["error"];
        if error.is_object() && error["code"] != "ok" {
            let message = error["message"].as_str().unwrap_or("");
            return Err(Reject::at(
                RejectKind::Row,
                doc_line(d),
                format!(
                    "the {} API returned an error, not data: {}: {message}",
                    platform.name(),
                    text_or_number(&error["code"])
                ),
            ));
        }
        let videos = match platform {
            Platform::YouTube => &doc["items"],
            Platform::TikTok => &doc["data"]["videos"],
        };
        for video in videos.as_array().map(Vec::as_slice).unwrap_or_default() {
            let line = line_of(rows.len());
            let row = match platform {
                Platform::YouTube => youtube(video, line)?,
                Platform::TikTok => tiktok(video, line)?,
            };
            if !seen.insert(row.id.clone()) {
                return Err(Reject::at(
                    RejectKind::DuplicateRank,
                    line,
                    format!("video {} appears twice in one snapshot", row.id),
                ));
            }
            rows.push(row, line);
        }
    }
    if rows.is_empty() {
        return Err(Reject::new(
            RejectKind::Empty,
            None,
            "the response holds no videos",
        ));
    }
    let n = rows.len() as u64;
    let batch = rows
        .finish(platform, observed, source)
        .map_err(|e| Reject::new(RejectKind::Row, None, e.to_string()))?;
    Ok(Some(FileSummary {
        layout: platform.layout(),
        rows: n,
        charts: Vec::new(),
        flagged: 0,
        table_rows: Some((VIDEO_SNAPSHOTS, batch)),
    }))
}

/// When the file's statistics were read, in microseconds since 1970 (UTC).
fn observed_at(source: &Source<'_>) -> Result<i64, Reject> {
    let day = |d: chrono::NaiveDate| {
        d.and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .timestamp_micros()
    };
    source
        .options
        .observed
        .or_else(|| source.context.dates.first().copied())
        .map(day)
        .or(source.context.modified)
        .ok_or_else(|| {
            Reject::new(
                RejectKind::Period,
                None,
                "when these statistics were observed is unknown: pass --observed YYYY-MM-DD or \
                 put a date or ISO week in the file name",
            )
        })
}

/// One video's values.
struct Video {
    id: String,
    published: Option<i64>,
    title: Option<String>,
    channel: Option<String>,
    views: Option<i64>,
    likes: Option<i64>,
    comments: Option<i64>,
    shares: Option<i64>,
    duration: Option<i32>,
    region: Option<String>,
    music_id: Option<String>,
    hashtags: Option<String>,
}

fn youtube(item: &Value, line: u64) -> Result<Video, Reject> {
    let id = text(&item["id"])
        .ok_or_else(|| Reject::at(RejectKind::Row, line, "a video without an `id`"))?;
    let stats = &item["statistics"];
    let count = |name: &str| count(&stats[name], line, name);
    let snippet = &item["snippet"];
    Ok(Video {
        id,
        published: time(&snippet["publishedAt"], line)?,
        title: text(&snippet["title"]),
        channel: text(&snippet["channelTitle"]),
        views: count("viewCount")?,
        likes: count("likeCount")?,
        comments: count("commentCount")?,
        shares: None,
        duration: item["contentDetails"]["duration"]
            .as_str()
            .and_then(iso_duration),
        region: None,
        music_id: None,
        hashtags: None,
    })
}

fn tiktok(video: &Value, line: u64) -> Result<Video, Reject> {
    let id = text(&video["id"])
        .ok_or_else(|| Reject::at(RejectKind::Row, line, "a video without an `id`"))?;
    let count = |name: &str| count(&video[name], line, name);
    let published = match &video["create_time"] {
        Value::Null => None,
        v => Some(
            v.as_i64()
                .and_then(|s| s.checked_mul(1_000_000))
                .ok_or_else(|| {
                    Reject::at(
                        RejectKind::Date,
                        line,
                        format!("create_time `{v}` is not a Unix time in seconds"),
                    )
                })?,
        ),
    };
    let hashtags = video["hashtag_names"].as_array().map(|tags| {
        tags.iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(",")
    });
    Ok(Video {
        id,
        published,
        title: text(&video["video_description"]),
        channel: text(&video["username"]),
        views: count("view_count")?,
        likes: count("like_count")?,
        comments: count("comment_count")?,
        shares: count("share_count")?,
        duration: video["duration"]
            .as_i64()
            .and_then(|d| i32::try_from(d).ok()),
        region: text(&video["region_code"]).map(|r| r.to_uppercase()),
        music_id: text(&video["music_id"]),
        hashtags,
    })
}

fn text_or_number(value: &Value) -> String {
    text(value).unwrap_or_else(|| value.to_string())
}

/// A string or number as text; null and empty as `None`.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A count given as a JSON number or a string, in the forms every reader
/// takes ([`number::whole`]); absent is `None`.
fn count(value: &Value, line: u64, name: &str) -> Result<Option<i64>, Reject> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => number::count(s.trim(), line, name),
        Value::Number(n) => number::count(&n.to_string(), line, name),
        _ => number::count(&value.to_string(), line, name),
    }
}

fn time(value: &Value, line: u64) -> Result<Option<i64>, Reject> {
    let Some(text) = value.as_str() else {
        return Ok(None);
    };
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| Some(t.timestamp_micros()))
        .map_err(|_| {
            Reject::at(
                RejectKind::Date,
                line,
                format!("`{text}` is not an RFC 3339 time"),
            )
        })
}

/// Seconds of an ISO 8601 duration such as `PT4M5S` or `P1DT2H`.
pub fn iso_duration(text: &str) -> Option<i32> {
    let rest = text.strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut seconds: i64 = 0;
    let mut parse = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
            } else {
                let unit = units.iter().find(|(u, _)| *u == c)?.1;
                let part = number.parse::<i64>().ok()?.checked_mul(unit)?;
                seconds = seconds.checked_add(part)?;
                number.clear();
            }
        }
        number.is_empty().then_some(())
    };
    parse(days, &[('D', 86_400), ('W', 604_800)])?;
    parse(time, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    i32::try_from(seconds).ok()
}

#[derive(Default)]
struct Rows {
    videos: Vec<(Video, u64)>,
}

impl Rows {
    fn push(&mut self, video: Video, line: u64) {
        self.videos.push((video, line));
    }

    fn len(&self) -> usize {
        self.videos.len()
    }

    fn is_empty(&self) -> bool {
        self.videos.is_empty()
    }

    fn finish(
        self,
        platform: Platform,
        observed: i64,
        source: &Source<'_>,
    ) -> Result<RecordBatch, arrow::error::ArrowError> {
        let n = self.videos.len();
        let strings = |f: &dyn Fn(&Video) -> Option<&str>| -> ArrayRef {
            let mut b = StringBuilder::with_capacity(n, n * 16);
            for (v, _) in &self.videos {
                b.append_option(f(v));
            }
            Arc::new(b.finish())
        };
        let ints = |f: &dyn Fn(&Video) -> Option<i64>| -> ArrayRef {
            let mut b = Int64Builder::with_capacity(n);
            for (v, _) in &self.videos {
                b.append_option(f(v));
            }
            Arc::new(b.finish())
        };
        let times = |f: &dyn Fn(&Video) -> Option<i64>| -> ArrayRef {
            let mut b = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
            for (v, _) in &self.videos {
                b.append_option(f(v));
            }
            Arc::new(b.finish())
        };
        let mut duration = Int32Builder::with_capacity(n);
        for (v, _) in &self.videos {
            duration.append_option(v.duration);
        }
        let constant = |value: &str| -> ArrayRef {
            Arc::new(std::iter::repeat_n(Some(value), n).collect::<arrow::array::StringArray>())
        };
        let mut lines = Int64Builder::with_capacity(n);
        for (_, line) in &self.videos {
            lines.append_value(i64::try_from(*line).unwrap_or(i64::MAX));
        }
        let columns: Vec<ArrayRef> = vec![
            constant(platform.name()),
            strings(&|v| Some(v.id.as_str())),
            times(&|_| Some(observed)),
            times(&|v| v.published),
            strings(&|v| v.title.as_deref()),
            strings(&|v| v.channel.as_deref()),
            ints(&|v| v.views),
            ints(&|v| v.likes),
            ints(&|v| v.comments),
            ints(&|v| v.shares),
            Arc::new(duration.finish()),
            strings(&|v| v.region.as_deref()),
            strings(&|v| v.music_id.as_deref()),
            strings(&|v| v.hashtags.as_deref()),
            constant(source.display_path),
            Arc::new(lines.finish()),
            constant(source.hash),
        ];
        RecordBatch::try_new(table::video_snapshots().schema(), columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_durations() {
        assert_eq!(iso_duration("PT4M5S"), Some(245));
        assert_eq!(iso_duration("PT1H"), Some(3600));
        assert_eq!(iso_duration("P1DT2S"), Some(86_402));
        assert_eq!(iso_duration("PT4X"), None);
        assert_eq!(iso_duration("4M"), None);
        assert_eq!(iso_duration("P99999999999999999999D"), None);
        assert_eq!(iso_duration("P9999999999999W"), None);
    }

    #[test]
    fn counts_are_null_when_absent_and_take_large_values() {
        assert_eq!(count(&Value::Null, 1, "likeCount").unwrap(), None);
        let big = serde_json::json!("3000000000");
        assert_eq!(count(&big, 1, "viewCount").unwrap(), Some(3_000_000_000));
        assert!(count(&serde_json::json!("-1"), 7, "x").is_err());
        assert!(count(&serde_json::json!("many"), 7, "x").is_err());
    }
}
