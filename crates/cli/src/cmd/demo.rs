//! `chartlens demo`: writes a small synthetic chart archive (fictional artists
//! and tracks, in two Spotify layouts, plus one broken download), ingests it
//! into the store, and shows what the store answers. No real data is shipped.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::Context;
use chartlens_store::WriteOptions;
use chrono::{Duration, NaiveDate};
use clap::Parser;

use crate::args::{Cli, Command, DemoArgs, Format, SqlArgs};
use crate::cmd::{ingest, sql};
use crate::exit;

/// Markets of the demo: folder name, ISO code, and how big the market is
/// (how many positions its chart fills).
const MARKETS: &[(&str, &str, usize)] = &[
    ("United States", "us", 50),
    ("Japan", "jp", 50),
    ("Brazil", "br", 50),
    ("Germany", "de", 40),
    ("Indonesia", "id", 30),
    ("Global", "global", 50),
];
const WEEKS: i64 = 12;
const TRACKS: usize = 90;
const ARTISTS: &[&str] = &[
    "Aurora Vale",
    "Neon Harbor",
    "Kite Season",
    "Mira Sato",
    "Jun Park",
    "Los Faroles",
    "Velvet Static",
    "Lumen Drive",
    "Tide & Ember",
    "Hoshi Nami",
    "Casa Verde",
    "Northbound",
];
const WORDS: &[&str] = &[
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
    "Wild",
    "Golden",
    "Satellite",
    "Tokyo",
    "Rio",
    "Neon",
];

/// A small deterministic generator (SplitMix64), so the demo is the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Track {
    id: String,
    name: String,
    artist: &'static str,
    origin: usize,
    release_week: i64,
    appeal: f64,
    /// Weeks it takes to reach each market after release; `None` if it never does.
    lag: Vec<Option<i64>>,
}

fn tracks(rng: &mut Rng) -> Vec<Track> {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..TRACKS)
        .map(|i| {
            let id = (0..22).map(|_| BASE62[rng.below(62)] as char).collect();
            let name = format!(
                "{} {}",
                WORDS[rng.below(WORDS.len())],
                WORDS[(i * 7) % WORDS.len()]
            );
            let origin = rng.below(MARKETS.len() - 1);
            let appeal = rng.unit().powi(2);
            let lag = (0..MARKETS.len())
                .map(|m| {
                    if m == origin {
                        Some(0)
                    } else if rng.unit() < appeal * 1.3 {
                        Some(1 + (rng.unit() * 8.0 * (1.2 - appeal)) as i64)
                    } else {
                        None
                    }
                })
                .collect();
            Track {
                id,
                name,
                artist: ARTISTS[rng.below(ARTISTS.len())],
                origin,
                release_week: rng.below(WEEKS as usize) as i64 - 2,
                appeal,
                lag,
            }
        })
        .collect()
}

/// The ranked tracks of one market in one week.
fn chart<'t>(tracks: &'t [Track], market: usize, week: i64, rng: &mut Rng) -> Vec<&'t Track> {
    let global = market == MARKETS.len() - 1;
    let mut scored: Vec<(f64, &Track)> = tracks
        .iter()
        .filter_map(|t| {
            let lag = if global { 1 } else { t.lag[market]? };
            let age = week - t.release_week - lag;
            if age < 0 {
                return None;
            }
            let home = if t.origin == market { 1.5 } else { 1.0 };
            let score = t.appeal * home * (-(age as f64) / 5.0).exp() * (0.7 + 0.6 * rng.unit());
            (score > 0.02).then_some((score, t))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .into_iter()
        .take(MARKETS[market].2)
        .map(|(_, t)| t)
        .collect()
}

/// Writes the archive and returns how many chart files it holds.
fn write_archive(dir: &Path) -> anyhow::Result<usize> {
    let mut rng = Rng(20_170_105);
    let tracks = tracks(&mut rng);
    let first = NaiveDate::from_ymd_opt(2020, 1, 2).expect("valid date");
    let mut files = 0;
    for week in 0..WEEKS {
        let date = first + Duration::weeks(week);
        for (m, (name, code, _)) in MARKETS.iter().enumerate() {
            let ranked = chart(&tracks, m, week, &mut rng);
            if ranked.is_empty() {
                continue;
            }
            // The viral chart in the old spotifycharts.com download layout.
            let mut viral = String::from("Position,\"Track Name\",Artist,URL\n");
            for (i, t) in ranked.iter().enumerate() {
                writeln!(
                    viral,
                    "{},\"{}\",\"{}\",https://open.spotify.com/track/{}",
                    i + 1,
                    t.name,
                    t.artist,
                    t.id
                )?;
            }
            let folder = dir.join("viral50-weekly").join(name);
            fs::create_dir_all(&folder)?;
            fs::write(folder.join(format!("{name}-{date}--{date}")), viral)?;
            // The top chart in the charts.spotify.com layout, named by the week's last day.
            let mut top = String::from(
                "rank,uri,artist_names,track_name,source,peak_rank,previous_rank,weeks_on_chart,streams\n",
            );
            for (i, t) in ranked.iter().enumerate() {
                let streams = (t.appeal * 2_000_000.0 / (i as f64 + 1.0)) as u64 + 1_000;
                writeln!(
                    top,
                    "{},spotify:track:{},\"{}\",\"{}\",Demo Records,{},{},1,{streams}",
                    i + 1,
                    t.id,
                    t.artist,
                    t.name,
                    i + 1,
                    i + 1
                )?;
            }
            let folder = dir.join("top-weekly");
            fs::create_dir_all(&folder)?;
            let end = date + Duration::days(6);
            fs::write(
                folder.join(format!("regional-{code}-weekly-{end}.csv")),
                top,
            )?;
            files += 2;
        }
    }
    // A failed download saved under a chart's name, as real archives have.
    let broken = dir
        .join("viral50-weekly")
        .join("Japan")
        .join(format!("Japan-{first}--{first}-retry"));
    fs::write(
        broken,
        "<!doctype html>\n<html><head><title>Spotify Charts</title></head></html>\n",
    )?;
    Ok(files + 1)
}

pub fn run(store: &Path, args: &DemoArgs, write: WriteOptions) -> anyhow::Result<u8> {
    if args.dir.exists() {
        fs::remove_dir_all(&args.dir)
            .with_context(|| format!("clearing {}", args.dir.display()))?;
    }
    let files =
        write_archive(&args.dir).with_context(|| format!("writing {}", args.dir.display()))?;
    println!(
        "wrote {files} synthetic chart files (fictional artists) under {}",
        args.dir.display()
    );
    // The demo ingests with exactly the defaults a user gets from the command line.
    let cli = Cli::try_parse_from([
        OsStr::new("chartlens"),
        OsStr::new("ingest"),
        args.dir.as_os_str(),
    ])?;
    let Command::Ingest(ingest_args) = cli.command else {
        unreachable!("parsed an ingest command line")
    };
    let code = ingest::run(store, &ingest_args.validate()?, write)?;
    println!("\nhow many viral tracks reached how many markets (GLOBAL left out):");
    let query = "select markets, count(*) as tracks from ( \
                   select track_id, count(distinct region) as markets from chart_entries \
                   where chart = 'viral50' and region <> 'GLOBAL' group by track_id) \
                 group by markets order by markets desc";
    sql::run(
        store,
        None,
        &SqlArgs {
            query: query.to_string(),
            format: Format::Table,
            max_rows: 10,
        },
    )?;
    // The one broken file is expected: it shows how rejects are reported.
    Ok(if code == exit::REJECTED {
        exit::OK
    } else {
        code
    })
}
