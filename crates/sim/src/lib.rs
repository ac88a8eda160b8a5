//! A simulated chart world (`chartlens simulate`, and the data of `chartlens
//! demo`): fictional artists of several cohorts release tracks that spread
//! across markets by a discrete Bass process with per-cohort innovation p and
//! imitation q within each artist's reach (see `data/simulate.toml`, which
//! documents every parameter), after a warm-up that is simulated but not
//! written, so that the first written year carries earlier releases as
//! every later year does.
//! The world is written as files in the real source layouts, so that the
//! ingest, the registry and the study read it exactly as they read real data.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use chartlens_model::Region;
use chartlens_stats::Rng;
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;

/// Why a world could not be simulated or written.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The parameters are invalid; the message says which and why.
    #[error("{0}")]
    Params(String),
    /// The parameters are not TOML of the expected shape.
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    /// A file or folder of the world could not be written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: std::path::PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

type Result<T> = std::result::Result<T, SimError>;

/// Returns a [`SimError::Params`] with a formatted message.
macro_rules! invalid {
    ($($arg:tt)*) => {
        return Err(SimError::Params(format!($($arg)*)))
    };
}

/// The default parameters, with their documentation.
pub const DEFAULT: &str = include_str!("../data/simulate.toml");

/// The parameters of a world; see `data/simulate.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Seed of the random stream: the same seed writes the same files.
    pub seed: u64,
    /// First written chart date (weekly charts are dated by their week's Thursday).
    pub start: NaiveDate,
    /// Weeks of charts written.
    pub weeks: usize,
    /// Weeks simulated before `start` and not written.
    #[serde(default = "default_warm_up")]
    pub warm_up_weeks: usize,
    /// Positions of each market's weekly chart; local acts of no cohort fill the places simulated tracks leave.
    pub chart_size: usize,
    /// Weekly probability that a charting track stays on a market's chart.
    pub stay: f64,
    /// Share of videos whose channel hides the like count.
    pub hidden_likes: f64,
    /// Share of tracks that feature an artist of another cohort.
    #[serde(default = "default_collaboration")]
    pub collaboration: f64,
    /// The markets: ISO code and relative size (which drives YouTube views).
    pub markets: Vec<(String, f64)>,
    /// The cohorts of the world.
    pub cohort: Vec<CohortParams>,
}

fn default_collaboration() -> f64 {
    0.1
}

fn default_warm_up() -> usize {
    52
}

/// One cohort of the world.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortParams {
    /// Name of the cohort; it must be a cohort of the rules in force.
    pub name: String,
    /// ISO code of the artists' origin, one of the markets.
    pub origin: String,
    /// The genre tag the registry gives the artists.
    pub genre: String,
    /// Number of artists.
    pub artists: usize,
    /// Tracks each artist releases.
    pub tracks_per_artist: usize,
    /// Bass innovation p: outside influence, per week.
    pub p: f64,
    /// Bass imitation q: word of mouth, per week.
    pub q: f64,
    /// Bass ceiling m: the share of the other markets an artist's tracks
    /// can ever reach (drawn once per artist).
    pub reach: f64,
    /// YouTube likes per view of the cohort's videos.
    pub like_rate: f64,
    /// YouTube comments per view of the cohort's videos.
    pub comment_rate: f64,
}

impl Params {
    /// Parses and checks a parameter file.
    pub fn parse(text: &str) -> Result<Params> {
        let params: Params = toml::from_str(text)?;
        params.check()?;
        Ok(params)
    }

    fn check(&self) -> Result<()> {
        let probability = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                invalid!("{name} = {v} is not a probability between 0 and 1")
            }
        };
        probability("stay", self.stay)?;
        probability("hidden_likes", self.hidden_likes)?;
        probability("collaboration", self.collaboration)?;
        if self.weeks == 0 || self.chart_size == 0 {
            invalid!("weeks and chart_size must be at least 1");
        }
        if self.warm_up_weeks > 10_000 {
            invalid!(
                "warm_up_weeks = {} is too long a warm-up",
                self.warm_up_weeks
            );
        }
        if self.markets.len() < 2 {
            invalid!("a world needs at least two markets");
        }
        for (code, size) in &self.markets {
            if Region::from_code(code).is_none_or(|r| r == Region::Global) {
                invalid!("market {code:?} is not an ISO 3166-1 alpha-2 code");
            }
            if !(size.is_finite() && *size > 0.0) {
                invalid!("market {code}: the size must be positive");
            }
        }
        if self.cohort.is_empty() {
            invalid!("a world needs at least one [[cohort]]");
        }
        for c in &self.cohort {
            if !self.markets.iter().any(|(m, _)| m == &c.origin) {
                invalid!(
                    "cohort {}: its origin {} is not among the markets",
                    c.name,
                    c.origin
                );
            }
            if !(c.p > 0.0 && c.q >= 0.0 && c.p.is_finite() && c.q.is_finite()) {
                invalid!("cohort {}: p must be positive and q at least 0", c.name);
            }
            if !(c.reach > 0.0 && c.reach <= 1.0) {
                invalid!("cohort {}: reach must be above 0 and at most 1", c.name);
            }
            if c.artists == 0 || c.tracks_per_artist == 0 {
                invalid!(
                    "cohort {}: artists and tracks_per_artist must be at least 1",
                    c.name
                );
            }
        }
        let end = i64::try_from(self.weeks)
            .ok()
            .filter(|&w| w <= 100_000)
            .and_then(|w| self.start.checked_add_signed(Duration::weeks(w)));
        let Some(end) = end else {
            invalid!(
                "{} weeks from {} is too long a world",
                self.weeks,
                self.start
            );
        };
        if end.year() > 2099 {
            invalid!(
                "the world would run to {end}; dates after 2099 are not read from file names. \
                 Use fewer weeks, or more markets or a longer chart_size for more entries"
            );
        }
        Ok(())
    }

    /// Sets the number of weeks (and scales the tracks with it) so that the
    /// world holds about `entries` chart entries.
    pub fn scale_to_entries(&mut self, entries: u64) -> Result<()> {
        let per_week = ((self.markets.len() + 1) * self.chart_size) as u64;
        let weeks = usize::try_from(entries.div_ceil(per_week).max(4)).unwrap_or(usize::MAX);
        if weeks > 100_000 {
            invalid!(
                "{entries} entries would take {weeks} weeks of charts; use more markets or a longer chart_size"
            );
        }
        for c in &mut self.cohort {
            c.tracks_per_artist = (c.tracks_per_artist * weeks).div_ceil(self.weeks).max(1);
        }
        self.weeks = weeks;
        self.check()
    }
}

/// What a simulation wrote.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Spotify Viral 50 files written: one per market and week, and the GLOBAL chart's.
    pub chart_files: usize,
    /// Chart entries in those files.
    pub chart_entries: u64,
    /// Weeks written with a YouTube chart and a `videos.list` snapshot (two files each).
    pub video_files: usize,
    /// Tracks simulated, warm-up included.
    pub tracks: usize,
    /// Artists simulated.
    pub artists: usize,
}

struct Artist {
    name: String,
    cohort: usize,
    /// The other markets its tracks can reach: each within it with the
    /// cohort's `reach`, drawn once, so that an artist's breadth (the union
    /// of its tracks' markets) tracks `reach` however many tracks it has.
    potential: Vec<usize>,
}

struct Track {
    id: String,
    video: String,
    title: String,
    artist: usize,
    /// A featured artist of another cohort.
    featuring: Option<usize>,
    release: usize,
    appeal: f64,
    /// Per market: the weeks it is on the chart, `[start, end)`.
    on_chart: Vec<Option<(usize, usize)>>,
    hides_likes: bool,
    noise: f64,
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SYLLABLES: [&str; 16] = [
    "ka", "ri", "mo", "na", "su", "lo", "ve", "ta", "mi", "ro", "sa", "ne", "do", "ya", "zu", "le",
];
const WORDS: [&str; 16] = [
    "Paper",
    "Midnight",
    "Orbit",
    "Honey",
    "Static",
    "Lantern",
    "Summer",
    "Glass",
    "River",
    "Echo",
    "Velvet",
    "Signal",
    "Golden",
    "Satellite",
    "Neon",
    "Tide",
];

fn unit(rng: &mut Rng) -> f64 {
    rng.index(1 << 53) as f64 / (1u64 << 53) as f64
}

fn code(rng: &mut Rng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| alphabet[rng.index(alphabet.len())] as char)
        .collect()
}

fn name(rng: &mut Rng, syllables: usize) -> String {
    let mut s: String = (0..syllables)
        .map(|_| SYLLABLES[rng.index(SYLLABLES.len())])
        .collect();
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    s
}

/// Simulates the world and writes it under `dir`.
pub fn write(params: &Params, dir: &Path) -> Result<Summary> {
    let mut rng = Rng::new(params.seed);
    let markets = params.markets.len();
    let market_of = |code: &str| params.markets.iter().position(|(m, _)| m == code);

    let mut artists = Vec::new();
    for (c, cohort) in params.cohort.iter().enumerate() {
        let home = market_of(&cohort.origin).ok_or_else(|| unknown_market(&cohort.origin))?;
        for _ in 0..cohort.artists {
            let name = format!("{} {}", name(&mut rng, 2), name(&mut rng, 3));
            let potential = (0..markets)
                .filter(|&m| m != home && unit(&mut rng) < cohort.reach)
                .collect();
            artists.push(Artist {
                name,
                cohort: c,
                potential,
            });
        }
    }
    // Weeks 0..warm_up are simulated but not written; written week w is
    // simulated week warm_up + w. Tracks are released over both at the
    // same rate, so the written weeks hold `tracks_per_artist` releases.
    let warm_up = params.warm_up_weeks;
    let total_weeks = warm_up + params.weeks;
    let mut tracks = Vec::new();
    for (a, artist) in artists.iter().enumerate() {
        let cohort = &params.cohort[artist.cohort];
        let home = market_of(&cohort.origin).ok_or_else(|| unknown_market(&cohort.origin))?;
        let releases = (cohort.tracks_per_artist * total_weeks).div_ceil(params.weeks);
        for _ in 0..releases {
            let featuring = (unit(&mut rng) < params.collaboration)
                .then(|| rng.index(artists.len()))
                .filter(|&f| artists[f].cohort != artist.cohort);
            let release = rng.index(total_weeks);
            // A collaboration travels only where both artists can reach, so
            // that no artist charts outside its own reach (breadth counts
            // featured credits too).
            let potential: Vec<usize> = match featuring {
                Some(f) => artist
                    .potential
                    .iter()
                    .copied()
                    .filter(|m| artists[f].potential.contains(m))
                    .collect(),
                None => artist.potential.clone(),
            };
            let adopted = spread(
                &mut rng,
                cohort,
                (home, &potential),
                markets,
                release,
                total_weeks,
            );
            let on_chart = adopted
                .iter()
                .map(|start| {
                    let start = (*start)?;
                    let mut end = start + 1;
                    while end < total_weeks && unit(&mut rng) < params.stay {
                        end += 1;
                    }
                    Some((start, end))
                })
                .collect();
            tracks.push(Track {
                id: code(&mut rng, BASE62, 22),
                video: code(&mut rng, BASE62, 11),
                title: format!(
                    "{} {}",
                    WORDS[rng.index(WORDS.len())],
                    WORDS[rng.index(WORDS.len())]
                ),
                artist: a,
                featuring,
                release,
                appeal: 0.5 + unit(&mut rng),
                on_chart,
                hides_likes: unit(&mut rng) < params.hidden_likes,
                noise: 0.8 + 0.4 * unit(&mut rng),
            });
        }
    }

    make_dir(dir)?;
    let mut summary = Summary {
        tracks: tracks.len(),
        artists: artists.len(),
        ..Summary::default()
    };
    write_registry(params, &artists, &dir.join("registry"))?;
    let mut cumulative_views = vec![0u64; tracks.len()];
    for week in 0..total_weeks {
        let written = week >= warm_up;
        let date = params.start + Duration::weeks(week as i64 - warm_up as i64);
        let mut global: Vec<(f64, usize)> = Vec::new();
        for (m, (market, size)) in params.markets.iter().enumerate() {
            // Simulated tracks first, by appeal fading with weeks on chart;
            // local acts of no cohort fill the rest.
            let mut ranked: Vec<(f64, usize)> = tracks
                .iter()
                .enumerate()
                .filter_map(|(t, track)| {
                    let (start, end) = track.on_chart[m]?;
                    (start <= week && week < end)
                        .then(|| (track.appeal * 0.9f64.powi((week - start) as i32), t))
                })
                .collect();
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            ranked.truncate(params.chart_size);
            for (score, t) in &ranked {
                global.push((score * size, *t));
            }
            if !written {
                continue;
            }
            let region = Region::from_code(market).ok_or_else(|| unknown_market(market))?;
            let rows: Vec<(String, String, String)> = ranked
                .iter()
                .map(|(_, t)| spotify_row(&tracks[*t], &artists))
                .chain((ranked.len()..params.chart_size).map(|slot| local_row(market, slot)))
                .collect();
            write_viral(dir, region.name(), date, &rows)?;
            summary.chart_files += 1;
            summary.chart_entries += rows.len() as u64;
        }
        // GLOBAL: the simulated tracks by summed, size-weighted score.
        let mut by_track: BTreeMap<usize, f64> = BTreeMap::new();
        for (score, t) in &global {
            *by_track.entry(*t).or_insert(0.0) += score;
        }
        let mut ranked: Vec<(f64, usize)> = by_track.into_iter().map(|(t, s)| (s, t)).collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.truncate(params.chart_size);
        if written && !ranked.is_empty() {
            let rows: Vec<(String, String, String)> = ranked
                .iter()
                .map(|(_, t)| spotify_row(&tracks[*t], &artists))
                .collect();
            write_viral(dir, "Global", date, &rows)?;
            summary.chart_files += 1;
            summary.chart_entries += rows.len() as u64;
        }
        // YouTube: weekly views of the GLOBAL chart's tracks, as a YouTube
        // chart (at most 100 rows), and the videos.list statistics (lifetime
        // counts) of those videos.
        let weekly: Vec<(u64, usize)> = ranked
            .iter()
            .map(|(score, t)| ((score * 40_000.0 * tracks[*t].noise) as u64 + 1, *t))
            .collect();
        for (views, t) in &weekly {
            cumulative_views[*t] += views;
        }
        if written && !weekly.is_empty() {
            write_youtube(
                params,
                dir,
                date,
                &weekly,
                &tracks,
                &artists,
                &cumulative_views,
            )?;
            summary.video_files += 1;
        }
    }
    Ok(summary)
}

/// The week each market first charts a track released in its home market in
/// week `release`: a Bass process in daily steps over the markets within the
/// artist's reach (`potential`: each other market is within it with
/// probability `reach`, drawn once per artist).
/// A market adopting on day d after release first shows on the weekly chart
/// of week `release + ceil(d / 7)`, so the study's "markets entered within t
/// weeks" is the process's share at day 7 t.
fn spread(
    rng: &mut Rng,
    cohort: &CohortParams,
    (home, potential): (usize, &[usize]),
    markets: usize,
    release: usize,
    weeks: usize,
) -> Vec<Option<usize>> {
    let mut adopted: Vec<Option<usize>> = vec![None; markets];
    adopted[home] = Some(release);
    let mut waiting = potential.to_vec();
    let mut day = 0usize;
    while !waiting.is_empty() {
        day += 1;
        let week = release + day.div_ceil(7);
        if week >= weeks {
            break;
        }
        let share = (potential.len() - waiting.len()) as f64 / potential.len() as f64;
        let hazard = 1.0 - (-(cohort.p + cohort.q * share) / 7.0).exp();
        waiting.retain(|&m| {
            let adopts = unit(rng) < hazard;
            if adopts {
                adopted[m] = Some(week);
            }
            !adopts
        });
    }
    adopted
}

/// A Spotify Viral 50 row: title (with a featured artist, as the old
/// downloads print features), lead artist, link.
fn spotify_row(track: &Track, artists: &[Artist]) -> (String, String, String) {
    let title = match track.featuring {
        Some(f) => format!("{} (feat. {})", track.title, artists[f].name),
        None => track.title.clone(),
    };
    (
        title,
        artists[track.artist].name.clone(),
        format!("https://open.spotify.com/track/{}", track.id),
    )
}

/// A local act's row: one fixed track per market and chart slot.
fn local_row(market: &str, slot: usize) -> (String, String, String) {
    let id: String = format!("local{market}{slot:03}")
        .chars()
        .chain(std::iter::repeat('0'))
        .take(22)
        .collect();
    (
        format!("Local Song {slot}"),
        format!("Local Act {market} {slot}"),
        format!("https://open.spotify.com/track/{id}"),
    )
}

fn csv_field(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The old spotifycharts.com viral download, at its archive path.
fn write_viral(
    dir: &Path,
    market: &str,
    date: NaiveDate,
    rows: &[(String, String, String)],
) -> Result<()> {
    let mut text = String::from("Position,\"Track Name\",Artist,URL\n");
    for (i, (title, artist, url)) in rows.iter().enumerate() {
        let _ = writeln!(
            text,
            "{},{},{},{url}",
            i + 1,
            csv_field(title),
            csv_field(artist)
        );
    }
    let folder = dir.join("spotify-viral50-weekly").join(market);
    make_dir(&folder)?;
    write_file(&folder.join(format!("{market}-{date}--{date}")), text)
}

fn write_youtube(
    params: &Params,
    dir: &Path,
    date: NaiveDate,
    weekly: &[(u64, usize)],
    tracks: &[Track],
    artists: &[Artist],
    cumulative: &[u64],
) -> Result<()> {
    let week = date.iso_week();
    let stamp = format!("{}-W{:02}", week.year(), week.week());
    let mut chart = String::from(
        "Rank,\"Previous Rank\",\"Track Name\",\"Artist Names\",\"Periods on Chart\",Views,Growth,\"YouTube URL\"\n",
    );
    let mut items = Vec::new();
    for (i, (views, t)) in weekly.iter().take(100).enumerate() {
        let track = &tracks[*t];
        let artist = &artists[track.artist].name;
        let credits = match track.featuring {
            Some(f) => format!("{artist} & {}", artists[f].name),
            None => artist.clone(),
        };
        let _ = writeln!(
            chart,
            "{},,{},{},1,{views},,https://www.youtube.com/watch?v={}",
            i + 1,
            csv_field(&track.title),
            csv_field(&credits),
            track.video
        );
        let cohort = &params.cohort[artists[track.artist].cohort];
        let total = cumulative[*t];
        let mut statistics = serde_json::json!({
            "viewCount": total.to_string(),
            "commentCount": ((total as f64 * cohort.comment_rate * track.noise) as u64).to_string(),
        });
        if !track.hides_likes {
            statistics["likeCount"] = ((total as f64 * cohort.like_rate * track.noise) as u64)
                .to_string()
                .into();
        }
        // Published on the Monday of its release week, so that no snapshot
        // (stamped with its ISO week's Monday) comes before it.
        let released =
            params.start + Duration::weeks(track.release as i64 - params.warm_up_weeks as i64);
        let published = released.week(chrono::Weekday::Mon).first_day();
        items.push(serde_json::json!({
            "kind": "youtube#video",
            "id": track.video,
            "snippet": {
                "title": track.title,
                "channelTitle": artist,
                "publishedAt": format!("{published}T00:00:00Z"),
            },
            "statistics": statistics,
            "contentDetails": {"duration": "PT3M30S"},
        }));
    }
    let folder = dir.join("youtube-charts-weekly");
    make_dir(&folder)?;
    write_file(
        &folder.join(format!("youtube-charts-global-weekly-{stamp}.csv")),
        chart,
    )?;
    let folder = dir.join("youtube-videos");
    make_dir(&folder)?;
    let response = serde_json::json!({"kind": "youtube#videoListResponse", "items": items});
    let path = folder.join(format!("videos-{stamp}.json"));
    let text = serde_json::to_string_pretty(&response).map_err(|e| SimError::Io {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    write_file(&path, text + "\n")
}

/// The registry of the simulated artists: `name,country,genres,aliases`.
fn write_registry(params: &Params, artists: &[Artist], dir: &Path) -> Result<()> {
    let mut text = String::from("name,country,genres,aliases\n");
    for artist in artists {
        let cohort = &params.cohort[artist.cohort];
        let _ = writeln!(
            text,
            "{},{},{},",
            csv_field(&artist.name),
            cohort.origin,
            csv_field(&cohort.genre)
        );
    }
    make_dir(dir)?;
    write_file(&dir.join("artists.csv"), text)
}

/// Creates a folder of the world.
fn make_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|source| SimError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes a file of the world.
fn write_file(path: &Path, text: String) -> Result<()> {
    fs::write(path, text).map_err(|source| SimError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A market code the parameters' check should have refused.
fn unknown_market(code: &str) -> SimError {
    SimError::Params(format!("market {code:?} is not an ISO 3166-1 alpha-2 code"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_parameters_parse_and_bad_ones_are_named() {
        let params = Params::parse(DEFAULT).unwrap();
        assert_eq!(params.cohort.len(), 3);
        let broken = DEFAULT.replace("stay = 0.8", "stay = 1.8");
        let err = Params::parse(&broken).unwrap_err().to_string();
        assert!(err.contains("stay"), "{err}");
        let unknown = format!("{DEFAULT}\nspeed = 3\n");
        assert!(Params::parse(&unknown).is_err());
    }

    #[test]
    fn scaling_to_entries_sets_the_weeks() {
        let mut params = Params::parse(DEFAULT).unwrap();
        params.scale_to_entries(1_000_000).unwrap();
        let per_week = (params.markets.len() + 1) * params.chart_size;
        assert_eq!(params.weeks, 1_000_000usize.div_ceil(per_week));
        assert!(params.scale_to_entries(100_000_000).is_err());
    }
}
