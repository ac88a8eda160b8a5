//! What a file's path says about the chart inside: market, dates, chart name and
//! frequency, from the naming schemes of common downloads and scrapers
//! (`United States/United States-2017-01-05--2017-01-05`,
//! `us_regional_top200_2020-01-02_2020-01-09.csv`, `regional-us-weekly-2023-01-05.csv`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chartlens_model::{Frequency, Region};
use chrono::NaiveDate;

/// A path as `source_file` and `ingest_log.path` store it and every message
/// prints it: its bytes as UTF-8 text, except that each byte that is not part
/// of valid UTF-8, and each byte of a control character (newline, tab, ESC,
/// ...), is written `\xNN` (two upper-case hex digits), and a backslash is
/// written `\\`. So the text names exactly one file ([`from_display`] turns
/// it back), fits on one line, and an ordinary name is unchanged.
pub fn display(path: &Path) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str());
    #[cfg(not(unix))]
    let lossy = path.as_os_str().to_string_lossy();
    #[cfg(not(unix))]
    let bytes = lossy.as_bytes();
    escape_bytes(bytes)
}

/// The escaping of [`display`], for any bytes.
pub fn escape_bytes(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let hex = |out: &mut String, b: u8| {
        let _ = write!(out, "\\x{b:02X}");
    };
    let text = |out: &mut String, text: &str| {
        for c in text.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => {
                    for b in c.encode_utf8(&mut [0; 4]).bytes() {
                        hex(out, b);
                    }
                }
                c => out.push(c),
            }
        }
    };
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => {
                text(&mut out, valid);
                return out;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                text(&mut out, std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len());
                for &b in &rest[..bad] {
                    hex(&mut out, b);
                }
                bytes = &rest[bad..];
            }
        }
    }
}

/// The path a [`display`] text names; `None` for text [`display`] does not
/// write (a lone backslash, a bad escape).
pub fn from_display(text: &str) -> Option<PathBuf> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match rest {
            [b'\\', tail @ ..] => {
                bytes.push(b'\\');
                rest = tail;
            }
            [b'x', hi, lo, tail @ ..] if hi.is_ascii_hexdigit() && lo.is_ascii_hexdigit() => {
                let digits = std::str::from_utf8(&[*hi, *lo]).ok()?.to_string();
                bytes.push(u8::from_str_radix(&digits, 16).ok()?);
                rest = tail;
            }
            _ => return None,
        }
    }
    #[cfg(unix)]
    return Some(PathBuf::from(
        <std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(bytes),
    ));
    #[cfg(not(unix))]
    return String::from_utf8(bytes).ok().map(PathBuf::from);
}

/// Facts read off a path. Each is `None` when the path does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathContext {
    /// The market the file name names, or else its nearest directory.
    pub region: Option<Region>,
    /// Dates in the file name in order of appearance (or, failing that, in the
    /// nearest directory name that has any).
    pub dates: Vec<NaiveDate>,
    /// `daily` or `weekly`, when a part of the path says so.
    pub frequency: Option<Frequency>,
    /// `top200` or `viral50` when the path names the chart.
    pub chart: Option<&'static str>,
    /// The file's modification time, microseconds since 1970 (UTC), when
    /// the file exists: the last resort for when a video snapshot was taken.
    pub modified: Option<i64>,
}

/// Words of file names that name a chart, not a market.
const CHART_WORDS: &[&str] = &[
    "regional",
    "viral",
    "viral50",
    "top",
    "top50",
    "top100",
    "top200",
    "50",
    "100",
    "200",
    "weekly",
    "daily",
    "spotify",
    "charts",
    "chart",
    "latest",
    "hot100",
    "global200",
    "playlist",
    "youtube",
    "songs",
    "videos",
];

/// Extensions stripped before reading a file name; other dots are kept.
const EXTENSIONS: &[&str] = &[".csv", ".tsv", ".txt", ".json", ".parquet"];

/// Reads what a path says: market, dates, frequency and chart from the file name (or the nearest directory), and the file's modification time.
pub fn infer(path: &Path) -> PathContext {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = file_name.to_ascii_lowercase();
    let stem = EXTENSIONS
        .iter()
        .find_map(|ext| lower.strip_suffix(ext).map(|s| &file_name[..s.len()]))
        .unwrap_or(&file_name);
    let parents: Vec<String> = path
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .rev()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();

    let (stem_dates, stem_rest) = extract_dates(stem);
    let dates = if stem_dates.is_empty() {
        parents
            .iter()
            .map(|p| extract_dates(p).0)
            .find(|d| !d.is_empty())
            .unwrap_or_default()
    } else {
        stem_dates
    };

    let region = region_in(&stem_rest).or_else(|| {
        // Only the nearest directory: names further up (a user's home, `id`, `in`)
        // would too easily read as market codes.
        parents.first().and_then(|p| region_in(&extract_dates(p).1))
    });

    let mut frequency = None;
    let mut chart = None;
    for part in std::iter::once(stem_rest.as_str()).chain(parents.iter().map(String::as_str)) {
        for token in tokens(&part.to_ascii_lowercase()) {
            frequency = frequency.or(Frequency::parse(&token));
            chart = chart.or(match token.as_str() {
                "viral" | "viral50" => Some("viral50"),
                "regional" | "top200" => Some("top200"),
                _ => None,
            });
        }
    }
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_micros()).ok());
    PathContext {
        region,
        dates,
        frequency,
        chart,
        modified,
    }
}

/// Reads a market from a file or directory name with its dates removed: the
/// whole remaining name (`United States`), else a single two-letter code among
/// its tokens (`regional-us-weekly`). Ambiguous names give `None`.
fn region_in(name: &str) -> Option<Region> {
    let words: Vec<String> = tokens(name)
        .into_iter()
        .filter(|t| !CHART_WORDS.contains(&t.to_ascii_lowercase().as_str()))
        .collect();
    if words.is_empty() {
        return None;
    }
    if let Some(region) = Region::parse(&words.join(" ")) {
        return Some(region);
    }
    let mut found = words.iter().filter_map(|w| match w.len() {
        2 => Region::from_code(w),
        _ if w.eq_ignore_ascii_case("global") => Some(Region::Global),
        _ => None,
    });
    let first = found.next()?;
    found.all(|r| r == first).then_some(first)
}

fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| c == '-' || c == '_' || c == '.' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Finds `YYYY-MM-DD` dates (also with `_` or no separator between parts when
/// the digits are delimited) and returns them with the rest of the text.
fn extract_dates(text: &str) -> (Vec<NaiveDate>, String) {
    let bytes = text.as_bytes();
    let mut dates = Vec::new();
    let mut rest = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !bytes[i - 1].is_ascii_digit();
        if boundary && let Some((date, len)) = date_at(&bytes[i..]) {
            dates.push(date);
            rest.push(' ');
            i += len;
            continue;
        }
        if boundary && let Some((monday, len)) = iso_week_at(&bytes[i..]) {
            // An ISO week is a Monday-to-Sunday period.
            dates.push(monday);
            dates.push(monday + chrono::Duration::days(6));
            rest.push(' ');
            i += len;
            continue;
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        rest.push(ch);
        i += ch.len_utf8();
    }
    (dates, rest)
}

fn date_at(bytes: &[u8]) -> Option<(NaiveDate, usize)> {
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let num = |s: &[u8]| std::str::from_utf8(s).ok()?.parse::<u32>().ok();
    let (len, y, m, d) = if bytes.len() >= 10
        && digits(&bytes[..4])
        && matches!(bytes[4], b'-' | b'_')
        && bytes[7] == bytes[4]
        && digits(&bytes[5..7])
        && digits(&bytes[8..10])
    {
        (10, &bytes[..4], &bytes[5..7], &bytes[8..10])
    } else if bytes.len() >= 8 && digits(&bytes[..8]) {
        (8, &bytes[..4], &bytes[4..6], &bytes[6..8])
    } else {
        return None;
    };
    if bytes.get(len).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let year = i32::try_from(num(y)?).ok()?;
    if !(1950..=2100).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, num(m)?, num(d)?).map(|date| (date, len))
}

/// An ISO week `YYYY-Www` (or `YYYYWww`): its Monday and the length matched.
fn iso_week_at(bytes: &[u8]) -> Option<(NaiveDate, usize)> {
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let sep = usize::from(bytes.get(4) == Some(&b'-'));
    let len = 7 + sep;
    if bytes.len() < len
        || !digits(&bytes[..4])
        || !matches!(bytes[4 + sep], b'W' | b'w')
        || !digits(&bytes[5 + sep..len])
        || bytes.get(len).is_some_and(u8::is_ascii_digit)
    {
        return None;
    }
    let year: i32 = std::str::from_utf8(&bytes[..4]).ok()?.parse().ok()?;
    let week: u32 = std::str::from_utf8(&bytes[5 + sep..len])
        .ok()?
        .parse()
        .ok()?;
    if !(1950..=2100).contains(&year) {
        return None;
    }
    NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon).map(|d| (d, len))
}

/// Parses a date as written in chart rows and flags: `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    match date_at(t.as_bytes()) {
        Some((date, len)) if len == t.len() => Some(date),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn country_folder_layout() {
        let ctx = infer(Path::new(
            "data/spotify-viral50-weekly/United States/United States-2017-01-05--2017-01-05",
        ));
        assert_eq!(ctx.region.unwrap().code(), "US");
        assert_eq!(ctx.dates, vec![d("2017-01-05"), d("2017-01-05")]);
        assert_eq!(ctx.frequency, Some(Frequency::Weekly));
        assert_eq!(ctx.chart, Some("viral50"));
    }

    #[test]
    fn code_and_chart_in_file_name() {
        let ctx = infer(Path::new("x/jp_regional_top200_2020-01-02_2020-01-09.csv"));
        assert_eq!(ctx.region.unwrap().code(), "JP");
        assert_eq!(ctx.dates, vec![d("2020-01-02"), d("2020-01-09")]);
        assert_eq!(ctx.chart, Some("top200"));

        let ctx = infer(Path::new("regional-global-weekly-2023-01-05.csv"));
        assert_eq!(ctx.region, Some(Region::Global));
        assert_eq!(ctx.frequency, Some(Frequency::Weekly));

        let ctx = infer(Path::new("/home/id/viral-vn-daily-2022-05-01.csv"));
        assert_eq!(ctx.region.unwrap().code(), "VN");
        assert_eq!(ctx.frequency, Some(Frequency::Daily));
    }

    #[test]
    fn names_with_hyphens_and_dates_in_folders() {
        let ctx = infer(Path::new(
            "Guinea-Bissau/Guinea-Bissau-2019-01-03--2019-01-10",
        ));
        assert_eq!(ctx.region.unwrap().code(), "GW");
        let ctx = infer(Path::new("2021-03-06/Top 50 - USA.json"));
        assert_eq!(ctx.region.unwrap().code(), "US");
        assert_eq!(ctx.dates, vec![d("2021-03-06")]);
    }

    #[test]
    fn nothing_is_guessed_from_far_directories() {
        let ctx = infer(Path::new("/home/in/charts/week-2020-01-02.csv"));
        assert_eq!(ctx.region, None);
        let ctx = infer(Path::new("chart.csv"));
        assert_eq!(ctx, PathContext::default());
    }

    #[test]
    fn displayed_paths_name_one_file_on_one_line() {
        assert_eq!(
            display(Path::new("charts/Top 50 - USA.json")),
            "charts/Top 50 - USA.json"
        );
        assert_eq!(
            display(Path::new("a\nb\t\u{1b}[31m.csv")),
            "a\\x0Ab\\x09\\x1B[31m.csv"
        );
        assert_eq!(
            display(Path::new(r"back\slash\x41.csv")),
            r"back\\slash\\x41.csv"
        );
        assert_eq!(display(Path::new("caf\u{e9}\u{85}")), "caf\u{e9}\\xC2\\x85");
        assert_eq!(escape_bytes(b"caf\xE9.csv"), "caf\\xE9.csv");
        assert_eq!(escape_bytes(b"\xF0\x9F"), "\\xF0\\x9F");
        for name in [
            &b"plain.csv"[..],
            b"caf\xE9\n.csv",
            b"a\\xE9",
            b"\\\\x",
            b"\xFF\xFE\x00\x7F",
            "米津玄師.csv".as_bytes(),
        ] {
            let text = escape_bytes(name);
            assert!(!text.chars().any(char::is_control), "{text}");
            #[cfg(unix)]
            assert_eq!(
                std::os::unix::ffi::OsStrExt::as_bytes(from_display(&text).unwrap().as_os_str()),
                name,
                "{text}"
            );
        }
        assert_eq!(from_display(r"lone\"), None);
        assert_eq!(from_display(r"bad\xZZ"), None);
    }

    #[test]
    fn bad_dates_are_not_dates() {
        assert_eq!(parse_date("2017-02-30"), None);
        assert_eq!(parse_date("2017-01-05x"), None);
        assert_eq!(extract_dates("123456789").0, vec![]);
    }
}
