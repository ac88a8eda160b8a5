//! The study's measures: per chart and cohort, the metrics of
//! `chartlens_model::metrics` computed on the rows of [`super::data`], with
//! bootstrap intervals, and each claim's verdict by the rule in
//! [`VERDICT_RULE`].

use std::collections::BTreeMap;

use chartlens_model::registry::AUDIO_FEATURES;
use chartlens_model::stats::{self, Bootstrap, Interval, Spell};
use chartlens_store::derived::Artists;
use serde::Serialize;

use super::data::{ArtistRow, ChartData, Track, VideoRow};

/// How a claim's verdict follows from its interval.
pub const VERDICT_RULE: &str = "A claim compares the first cohort with the second (claim 5: the \
    first cohort's collaborations with its other tracks). Supported: the 95% bootstrap interval \
    of the difference lies entirely above 0. Contradicted: entirely below 0. Inconclusive: the \
    interval contains 0, or a group has fewer than 5 observations. Each claim is measured on \
    every chart separately; the verdict shown first is that of the chart that answers it best: \
    the one whose smaller group is largest (ties: more markets).";

/// Fewer observations than this in a group make a claim inconclusive.
pub const MIN_GROUP: usize = 5;

/// A Bass fit needs a diffusion horizon of at least this many weeks.
pub const MIN_BASS_WEEKS: usize = 8;

/// Fits at the upper ends of the Bass search ranges (p 1, q 3 per week) mean
/// a step-like curve, most markets entered in the first week, where p and q
/// cannot be told apart.
const P_BOUND: f64 = 0.99;
const Q_BOUND: f64 = 2.99;

/// A bootstrap estimate of one group.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    /// Observations (artists or tracks) it rests on.
    pub n: usize,
}

impl Estimate {
    fn new(interval: Interval, n: usize) -> Estimate {
        Estimate {
            estimate: interval.estimate,
            low: interval.low,
            high: interval.high,
            n,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Supported,
    Contradicted,
    Inconclusive,
    /// The data cannot answer it (no observations, or no such data yet).
    Unanswered,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::Contradicted => "contradicted",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Unanswered => "unanswered",
        }
    }
}

/// One claim on one chart.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimResult {
    pub chart: String,
    pub first: Option<Estimate>,
    pub second: Option<Estimate>,
    pub difference: Option<Estimate>,
    pub verdict: Verdict,
    pub note: String,
}

/// A claim, measured on every chart.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    pub number: u8,
    pub claim: String,
    /// What the `first` and `second` estimates of its results are.
    pub columns: [String; 2],
    /// The statistic compared, and what the bootstrap resamples.
    pub statistic: String,
    pub metric: &'static str,
    pub results: Vec<ClaimResult>,
    pub best_chart: Option<String>,
    pub best_reason: String,
    pub verdict: Verdict,
    pub caveats: Vec<String>,
}

/// Descriptive measures of one cohort on one chart.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CohortMeasures {
    pub cohort: String,
    pub artists: usize,
    pub q1_markets: Option<f64>,
    pub median_markets: Option<f64>,
    pub q3_markets: Option<f64>,
    pub max_markets: Option<f64>,
    pub pct_10plus: Option<f64>,
    pub pct_30plus: Option<f64>,
    pub mean_markets: Option<Estimate>,
    /// Artists' markets, ascending (the breadth distribution).
    pub breadth: Vec<i64>,
    pub export_pct: Option<Estimate>,
    pub median_artist_export_pct: Option<f64>,
    pub tracks: usize,
    pub median_t2_days: Option<f64>,
    pub median_t5_days: Option<f64>,
    pub pct_tracks_5plus: Option<f64>,
    /// Tracks whose whole diffusion horizon is observed.
    pub curve_tracks: usize,
    /// y(t) for t = 1..=horizon weeks.
    pub curve: Vec<f64>,
    pub bass: Option<BassSummary>,
    pub lead_markets: Vec<LeadMarket>,
    pub runs: usize,
    pub survival: Vec<(u32, f64)>,
    pub median_run_periods: Option<u32>,
    pub gini: Option<f64>,
    pub hhi: Option<f64>,
    /// The artist with the most entries, and its share of the cohort's
    /// artist entries in percent.
    pub top_artist: Option<(String, f64)>,
    pub collab_pct: Option<f64>,
    pub collab_lift: Option<Estimate>,
    pub artists_with_features: usize,
    pub dispersion: Option<Estimate>,
    pub genre_effective_number: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BassSummary {
    pub p: Estimate,
    pub q: Estimate,
    pub m: f64,
    pub r2: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LeadMarket {
    pub market: String,
    pub tracks: usize,
    pub lead_pct: f64,
}

/// Everything measured on one chart.
#[derive(Debug, Clone, Serialize)]
pub struct ChartMeasures {
    pub chart: String,
    pub markets: Vec<String>,
    pub has_global: bool,
    pub first_date: String,
    pub last_date: String,
    pub cadence_days: i32,
    pub horizon_weeks: usize,
    pub entries: i64,
    /// Share of entries whose primary artist is in some cohort.
    pub classified_pct: f64,
    /// Per cohort (and `none`), entries.
    pub entries_by_cohort: BTreeMap<String, i64>,
    pub cohorts: Vec<CohortMeasures>,
    /// Per market, the effective number of cohorts exp(H).
    pub effective_cohorts: BTreeMap<String, f64>,
}

/// The per-cohort inputs of the claims, kept for the bootstrap.
struct Groups<'a> {
    artists: Vec<&'a ArtistRow>,
    exporters: Vec<&'a ArtistRow>,
    tracks: Vec<&'a Track>,
    curves: Vec<Vec<f64>>,
    /// Bass (p, q) refitted on each bootstrap resample of `curves`, in
    /// resample order (None where the fit failed).
    bass_draws: Vec<Option<(f64, f64)>>,
    features: Vec<[f64; 7]>,
}

/// Measures one chart for the given cohorts.
pub fn chart(
    data: &ChartData,
    cohorts: &[String],
    artists: &Artists,
    boot: &Bootstrap,
) -> (ChartMeasures, Vec<Option<ClaimResult>>) {
    let horizon = horizon_weeks(data);
    let groups: Vec<Groups> = cohorts
        .iter()
        .enumerate()
        .map(|(i, c)| groups(data, c, artists, horizon, boot, i as u64))
        .collect();
    let measures: Vec<CohortMeasures> = cohorts
        .iter()
        .zip(&groups)
        .map(|(c, g)| cohort_measures(data, c, g, artists, boot))
        .collect();
    let entries_by_cohort: BTreeMap<String, i64> = data
        .entries_by_cohort()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let entries: i64 = entries_by_cohort.values().sum();
    let none = entries_by_cohort.get("none").copied().unwrap_or(0);
    let claims = claims_on_chart(data, cohorts, &groups, &measures, boot);
    let out = ChartMeasures {
        chart: data.name.to_string(),
        markets: data.markets.iter().cloned().collect(),
        has_global: data.has_global,
        first_date: day_text(data.first_day),
        last_date: day_text(data.last_day),
        cadence_days: data.cadence_days,
        horizon_weeks: horizon,
        entries,
        classified_pct: if entries > 0 {
            100.0 * (entries - none) as f64 / entries as f64
        } else {
            0.0
        },
        entries_by_cohort,
        cohorts: measures,
        effective_cohorts: effective_cohorts(data),
    };
    (out, claims)
}

fn groups<'a>(
    data: &'a ChartData,
    cohort: &str,
    artists: &Artists,
    horizon: usize,
    boot: &Bootstrap,
    stream: u64,
) -> Groups<'a> {
    let members: Vec<&ArtistRow> = data
        .artists
        .iter()
        .filter(|a| a.cohort.as_deref() == Some(cohort))
        .collect();
    let exporters = members
        .iter()
        .copied()
        .filter(|a| a.home_in_data && a.home_base.is_some_and(|b| b > 0))
        .collect();
    let tracks: Vec<&Track> = data
        .tracks
        .iter()
        .filter(|t| t.cohort.as_deref() == Some(cohort))
        .collect();
    let curves: Vec<Vec<f64>> = tracks
        .iter()
        .filter_map(|t| curve(data, t, horizon))
        .collect();
    let bass_draws = bass_draws(&curves, boot, stream);
    let features = members
        .iter()
        .filter_map(|a| features(artists, a.artist_id?))
        .collect();
    Groups {
        artists: members,
        exporters,
        tracks,
        curves,
        bass_draws,
        features,
    }
}

/// Bass fits on bootstrap resamples of tracks' curves. Cohort `stream` of
/// a study draws from seed + stream, so two cohorts' resamples are
/// independent and a difference of draw i is a stratified bootstrap draw.
fn bass_draws(curves: &[Vec<f64>], boot: &Bootstrap, stream: u64) -> Vec<Option<(f64, f64)>> {
    if curves.is_empty() || curves[0].len() < MIN_BASS_WEEKS {
        return Vec::new();
    }
    let mut rng = stats::Rng::new(boot.seed.wrapping_add(stream));
    let mut resample: Vec<&Vec<f64>> = Vec::with_capacity(curves.len());
    (0..boot.resamples)
        .map(|_| {
            resample.clear();
            resample.extend((0..curves.len()).map(|_| &curves[rng.index(curves.len())]));
            fit(&resample).map(|f| (f.p, f.q))
        })
        .collect()
}

/// A percentile interval from bootstrap draws (None when fewer than half of
/// the resamples gave a value).
fn percentile(
    estimate: f64,
    draws: impl Iterator<Item = Option<f64>>,
    boot: &Bootstrap,
) -> Option<Interval> {
    boot.from_draws(estimate, draws.flatten().collect())
}

/// The diffusion horizon: 26 weeks, or half the data's span when shorter
/// (at least 1); see `metrics::DIFFUSION`.
fn horizon_weeks(data: &ChartData) -> usize {
    let span_weeks = ((data.last_day - data.first_day).max(0) / 7) as usize;
    (span_weeks / 2).clamp(1, 26)
}

/// A track's share of the other markets entered within t weeks, t =
/// 1..=horizon; `None` when the horizon is not wholly observed or the track is
/// left-censored (see `metrics::DIFFUSION`).
fn curve(data: &ChartData, track: &Track, horizon: usize) -> Option<Vec<f64>> {
    let firsts = track.firsts();
    let first = firsts.first()?.0;
    let others = data.markets.len().checked_sub(1).filter(|&n| n > 0)? as f64;
    if first <= data.first_day || first + 7 * horizon as i32 > data.last_day {
        return None;
    }
    Some(
        (1..=horizon)
            .map(|t| {
                let reached = firsts
                    .iter()
                    .filter(|(d, _)| d - first <= 7 * t as i32)
                    .count();
                (reached - 1) as f64 / others
            })
            .collect(),
    )
}

/// The mean curve of some tracks.
fn mean_curve(curves: &[&Vec<f64>]) -> Option<Vec<f64>> {
    let len = curves.first()?.len();
    let mut sum = vec![0.0; len];
    for c in curves {
        for (s, v) in sum.iter_mut().zip(c.iter()) {
            *s += v;
        }
    }
    Some(sum.into_iter().map(|s| s / curves.len() as f64).collect())
}

fn fit(curves: &[&Vec<f64>]) -> Option<stats::BassFit> {
    let y = mean_curve(curves)?;
    let t: Vec<f64> = (1..=y.len()).map(|t| t as f64).collect();
    stats::fit_bass(&t, &y)
}

/// The seven audio features of an artist, when it has all of them.
fn features(artists: &Artists, id: i64) -> Option<[f64; 7]> {
    let artist = artists.registry.artists.get(usize::try_from(id).ok()?)?;
    let mut out = [0.0; 7];
    for (slot, name) in out.iter_mut().zip(AUDIO_FEATURES) {
        *slot = artist.features.iter().find(|(n, _)| n == name)?.1;
    }
    Some(out)
}

/// Root total variance of feature vectors; see `metrics::SOUND`.
fn dispersion(rows: &[[f64; 7]]) -> Option<f64> {
    if rows.len() < 2 {
        return None;
    }
    let n = rows.len() as f64;
    let mut total = 0.0;
    for k in 0..7 {
        let mean = rows.iter().map(|r| r[k]).sum::<f64>() / n;
        total += rows.iter().map(|r| (r[k] - mean).powi(2)).sum::<f64>() / (n - 1.0);
    }
    Some(total.sqrt())
}

fn mean_markets(artists: &[&ArtistRow]) -> Option<f64> {
    stats::mean(&artists.iter().map(|a| a.markets as f64).collect::<Vec<_>>())
}

/// Pooled export share in percent; see `metrics::HOME`.
fn export_pct(artists: &[&ArtistRow]) -> Option<f64> {
    let base: i64 = artists.iter().filter_map(|a| a.home_base).sum();
    let exported: i64 = artists.iter().filter_map(|a| a.export_entries).sum();
    (base > 0).then(|| 100.0 * exported as f64 / base as f64)
}

/// Mean markets of collaborations minus that of the other tracks; see
/// `metrics::COLLABORATION`.
fn collab_lift(tracks: &[&Track]) -> Option<f64> {
    let mean_of = |collab: bool| {
        stats::mean(
            &tracks
                .iter()
                .filter(|t| t.collaboration == collab)
                .map(|t| t.markets() as f64)
                .collect::<Vec<_>>(),
        )
    };
    Some(mean_of(true)? - mean_of(false)?)
}

fn cohort_measures(
    data: &ChartData,
    cohort: &str,
    g: &Groups,
    artists: &Artists,
    boot: &Bootstrap,
) -> CohortMeasures {
    let mut breadth: Vec<i64> = g.artists.iter().map(|a| a.markets).collect();
    breadth.sort_unstable();
    let sorted: Vec<f64> = breadth.iter().map(|&m| m as f64).collect();
    let pct = |part: usize, whole: usize| (whole > 0).then(|| 100.0 * part as f64 / whole as f64);
    let exports: Vec<f64> = g
        .exporters
        .iter()
        .filter_map(|a| Some(100.0 * a.export_entries? as f64 / a.home_base? as f64))
        .collect();
    // T_N of tracks first seen after the data's first day (not left-censored).
    let t_median = |k: usize| {
        stats::median(
            &g.tracks
                .iter()
                .filter(|t| t.firsts().first().is_some_and(|f| f.0 > data.first_day))
                .filter_map(|t| t.t_days[k].map(|d| d as f64))
                .collect::<Vec<_>>(),
        )
    };
    let curves: Vec<&Vec<f64>> = g.curves.iter().collect();
    let long_enough = horizon_weeks(data) >= MIN_BASS_WEEKS;
    let bass = fit(&curves).filter(|_| long_enough).and_then(|f| {
        let p = percentile(f.p, g.bass_draws.iter().map(|d| d.map(|d| d.0)), boot)?;
        let q = percentile(f.q, g.bass_draws.iter().map(|d| d.map(|d| d.1)), boot)?;
        Some(BassSummary {
            p: Estimate::new(p, curves.len()),
            q: Estimate::new(q, curves.len()),
            m: f.m,
            r2: f.r2,
        })
    });
    let spells = spells(data, &g.tracks);
    let steps = stats::kaplan_meier(&spells);
    let entries: Vec<f64> = g.artists.iter().map(|a| a.entries as f64).collect();
    let collabs = g.tracks.iter().filter(|t| t.collaboration).count();
    CohortMeasures {
        cohort: cohort.to_string(),
        artists: g.artists.len(),
        q1_markets: stats::quantile(&sorted, 0.25),
        median_markets: stats::quantile(&sorted, 0.5),
        q3_markets: stats::quantile(&sorted, 0.75),
        max_markets: sorted.last().copied(),
        pct_10plus: pct(breadth.iter().filter(|&&m| m >= 10).count(), breadth.len()),
        pct_30plus: pct(breadth.iter().filter(|&&m| m >= 30).count(), breadth.len()),
        mean_markets: boot
            .one(&g.artists, mean_markets)
            .map(|i| Estimate::new(i, g.artists.len())),
        breadth,
        export_pct: boot
            .one(&g.exporters, export_pct)
            .map(|i| Estimate::new(i, g.exporters.len())),
        median_artist_export_pct: stats::median(&exports),
        tracks: g.tracks.len(),
        median_t2_days: t_median(0),
        median_t5_days: t_median(1),
        pct_tracks_5plus: pct(
            g.tracks.iter().filter(|t| t.markets() >= 5).count(),
            g.tracks.len(),
        ),
        curve_tracks: curves.len(),
        curve: mean_curve(&curves).unwrap_or_default(),
        bass,
        lead_markets: lead_markets(data, &g.tracks),
        runs: spells.len(),
        survival: steps.iter().map(|s| (s.time, s.survival)).collect(),
        median_run_periods: stats::median_survival(&steps),
        gini: stats::gini(&entries),
        hhi: stats::hhi(&entries),
        top_artist: top_artist(&g.artists),
        collab_pct: pct(collabs, g.tracks.len()),
        collab_lift: boot
            .one(&g.tracks, collab_lift)
            .map(|i| Estimate::new(i, g.tracks.len())),
        artists_with_features: g.features.len(),
        dispersion: boot
            .one(&g.features, dispersion)
            .map(|i| Estimate::new(i, g.features.len())),
        genre_effective_number: genre_diversity(&g.artists, artists),
    }
}

fn top_artist(members: &[&ArtistRow]) -> Option<(String, f64)> {
    let total: i64 = members.iter().map(|a| a.entries).sum();
    let top = members
        .iter()
        .max_by(|a, b| a.entries.cmp(&b.entries).then(b.name.cmp(&a.name)))?;
    (total > 0).then(|| (top.name.clone(), 100.0 * top.entries as f64 / total as f64))
}

/// Lead markets of tracks with 2+ markets that entered after the data's
/// first day, most first; see `metrics::DIFFUSION`.
fn lead_markets(data: &ChartData, tracks: &[&Track]) -> Vec<LeadMarket> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut travelled = 0;
    for track in tracks.iter().filter(|t| t.markets() >= 2) {
        let firsts = track.firsts();
        let day = firsts[0].0;
        if day <= data.first_day {
            continue;
        }
        travelled += 1;
        for (_, market) in firsts.iter().take_while(|(d, _)| *d == day) {
            *counts.entry(market).or_insert(0) += 1;
        }
    }
    let mut out: Vec<LeadMarket> = counts
        .into_iter()
        .map(|(market, n)| LeadMarket {
            market: market.to_string(),
            tracks: n,
            lead_pct: 100.0 * n as f64 / travelled as f64,
        })
        .collect();
    out.sort_by(|a, b| b.tracks.cmp(&a.tracks).then(a.market.cmp(&b.market)));
    out
}

/// First runs of tracks per market; see `metrics::LONGEVITY`.
pub fn spells(data: &ChartData, tracks: &[&Track]) -> Vec<Spell> {
    let mut out = Vec::new();
    for track in tracks {
        for (market, days) in &track.days {
            let Some(periods) = data.periods.get(market) else {
                continue;
            };
            let Some(&first) = days.first() else {
                continue;
            };
            let Ok(start) = periods.binary_search(&first) else {
                continue;
            };
            if start == 0 {
                continue; // left-censored: the run began before the data
            }
            let mut run = 1;
            while start + run < periods.len() && days.binary_search(&periods[start + run]).is_ok() {
                run += 1;
            }
            out.push(Spell {
                periods: run as u32,
                censored: start + run == periods.len(),
            });
        }
    }
    out
}

fn genre_diversity(members: &[&ArtistRow], artists: &Artists) -> Option<f64> {
    let mut weights: BTreeMap<&str, f64> = BTreeMap::new();
    for row in members {
        let Some(artist) = row
            .artist_id
            .and_then(|id| artists.registry.artists.get(usize::try_from(id).ok()?))
        else {
            continue;
        };
        let n = artist.genres.len() as f64;
        for genre in &artist.genres {
            *weights.entry(genre).or_insert(0.0) += 1.0 / n;
        }
    }
    stats::effective_number(&weights.into_values().collect::<Vec<_>>())
}

/// exp(H) of cohort entry shares per market, entries of no cohort left out;
/// see `metrics::CONCENTRATION`.
fn effective_cohorts(data: &ChartData) -> BTreeMap<String, f64> {
    let mut by_market: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for row in &data.share_by_market {
        if row.cohort != "none" && row.group != "GLOBAL" {
            by_market
                .entry(row.group.as_str())
                .or_default()
                .push(row.entries as f64);
        }
    }
    by_market
        .into_iter()
        .filter_map(|(m, w)| Some((m.to_string(), stats::effective_number(&w)?)))
        .collect()
}

/// The claims 1 to 6 on one chart, in order (None when the chart cannot
/// measure a claim at all). The per-cohort estimates are those of the
/// cohort measures; the differences are stratified bootstraps.
fn claims_on_chart(
    data: &ChartData,
    cohorts: &[String],
    groups: &[Groups],
    measures: &[CohortMeasures],
    boot: &Bootstrap,
) -> Vec<Option<ClaimResult>> {
    let ([a, b], [ma, mb]) = (groups, measures) else {
        return Vec::new();
    };
    let chart = data.name.to_string();
    let result = |first: Option<Estimate>,
                  second: Option<Estimate>,
                  diff: Option<Interval>,
                  n: (usize, usize)| {
        let difference = diff.map(|d| Estimate::new(d, n.0.min(n.1)));
        let (verdict, note) = verdict(difference.as_ref(), n.0, n.1);
        Some(ClaimResult {
            chart: chart.clone(),
            first,
            second,
            difference,
            verdict,
            note,
        })
    };
    let reach = result(
        ma.mean_markets.clone(),
        mb.mean_markets.clone(),
        boot.difference(&a.artists, &b.artists, mean_markets, mean_markets),
        (a.artists.len(), b.artists.len()),
    );
    let spread = {
        let q = |m: &CohortMeasures| m.bass.as_ref().map(|b| b.q.clone());
        let diff = ma.bass.as_ref().zip(mb.bass.as_ref()).and_then(|(x, y)| {
            let draws = a.bass_draws.iter().zip(&b.bass_draws);
            percentile(
                x.q.estimate - y.q.estimate,
                draws.map(|(x, y)| Some(x.as_ref()?.1 - y.as_ref()?.1)),
                boot,
            )
        });
        let mut r = result(q(ma), q(mb), diff, (a.curves.len(), b.curves.len()));
        if let Some(r) = r.as_mut() {
            let horizon = horizon_weeks(data);
            if horizon < MIN_BASS_WEEKS {
                r.verdict = Verdict::Unanswered;
                r.note = format!(
                    "The data spans too few weeks for a diffusion fit (horizon {horizon} weeks, \
                     {MIN_BASS_WEEKS} needed)."
                );
            } else if [ma, mb].iter().any(|m| {
                m.bass
                    .as_ref()
                    .is_some_and(|b| b.p.estimate >= P_BOUND || b.q.estimate >= Q_BOUND)
            }) {
                r.verdict = Verdict::Inconclusive;
                r.note = format!(
                    "A fit reached the upper end of the p or q range (p {P_BOUND:.0}, q \
                     {Q_BOUND:.0} per week): most markets are entered in the first week, a \
                     step-like curve whose p and q this chart's time resolution cannot tell \
                     apart. {}",
                    r.note
                );
            }
        }
        r
    };
    let export = result(
        ma.export_pct.clone(),
        mb.export_pct.clone(),
        boot.difference(&a.exporters, &b.exporters, export_pct, export_pct),
        (a.exporters.len(), b.exporters.len()),
    );
    let sound = result(
        ma.dispersion.clone(),
        mb.dispersion.clone(),
        boot.difference(&a.features, &b.features, dispersion, dispersion),
        (a.features.len(), b.features.len()),
    );
    let collab = {
        // The first cohort's lift; its interval is the claim's difference.
        let smaller = |g: &Groups| {
            let n = g.tracks.iter().filter(|t| t.collaboration).count();
            n.min(g.tracks.len() - n)
        };
        let n = smaller(a);
        let mut r = result(
            ma.collab_lift.clone(),
            mb.collab_lift.clone(),
            ma.collab_lift.as_ref().map(|e| Interval {
                estimate: e.estimate,
                low: e.low,
                high: e.high,
            }),
            (n, n),
        );
        if let Some(r) = r.as_mut() {
            r.note.push_str(
                " n is the smaller of the first cohort's collaborations and its other tracks.",
            );
        }
        r
    };
    vec![
        reach,
        spread,
        export,
        sound,
        collab,
        trend(data, cohorts, boot),
    ]
}

/// The markets of a cohort's artists in one year.
fn year_breadth(rows: &[ArtistRow], cohort: &str) -> Vec<f64> {
    rows.iter()
        .filter(|r| r.cohort.as_deref() == Some(cohort))
        .map(|r| r.markets as f64)
        .collect()
}

/// A calendar year counts in the trend when the data covers at least this
/// many of its days: breadth within a few weeks is not comparable with
/// breadth within a year.
pub const MIN_YEAR_DAYS: i32 = 350;

/// The days of a calendar year between the chart's first and last period.
pub fn days_covered(data: &ChartData, year: i32) -> i32 {
    let bounds = chrono::NaiveDate::from_ymd_opt(year, 1, 1)
        .zip(chrono::NaiveDate::from_ymd_opt(year, 12, 31))
        .zip(chrono::NaiveDate::from_ymd_opt(1970, 1, 1));
    let Some(((start, end), epoch)) = bounds else {
        return 0;
    };
    let start = (start - epoch).num_days() as i32;
    let end = (end - epoch).num_days() as i32;
    (end.min(data.last_day) - start.max(data.first_day) + 1).max(0)
}

/// One row of the trend table.
#[derive(Debug, Clone, Serialize)]
pub struct YearGap {
    pub year: i32,
    pub days_covered: i32,
    /// Mean markets per artist, first cohort minus second.
    pub gap: Option<f64>,
    pub first_artists: usize,
    pub second_artists: usize,
}

/// Per year: the reach gap and the two cohorts' numbers of artists.
pub fn yearly_gaps(data: &ChartData, cohorts: &[String]) -> Vec<YearGap> {
    data.artists_by_year
        .iter()
        .map(|(year, rows)| {
            let (a, b) = (
                year_breadth(rows, &cohorts[0]),
                year_breadth(rows, &cohorts[1]),
            );
            YearGap {
                year: *year,
                days_covered: days_covered(data, *year),
                gap: stats::mean(&a).zip(stats::mean(&b)).map(|(x, y)| x - y),
                first_artists: a.len(),
                second_artists: b.len(),
            }
        })
        .collect()
}

/// Claim 6: the reach gap in the last year with both cohorts (and at least
/// [`MIN_YEAR_DAYS`] days of data) minus the gap in the first, with a bootstrap stratified by year and cohort.
fn trend(data: &ChartData, cohorts: &[String], boot: &Bootstrap) -> Option<ClaimResult> {
    if cohorts.len() < 2 {
        return None;
    }
    let years: Vec<(i32, [Vec<f64>; 2])> = data
        .artists_by_year
        .iter()
        .map(|(y, rows)| {
            (
                *y,
                [
                    year_breadth(rows, &cohorts[0]),
                    year_breadth(rows, &cohorts[1]),
                ],
            )
        })
        .filter(|(y, pair)| {
            !pair[0].is_empty() && !pair[1].is_empty() && days_covered(data, *y) >= MIN_YEAR_DAYS
        })
        .collect();
    let (Some((first_year, first)), Some((last_year, last))) = (years.first(), years.last()) else {
        return Some(unanswered(data, "No calendar year"));
    };
    if first_year == last_year {
        return Some(unanswered(
            data,
            &format!("Only one calendar year ({first_year})"),
        ));
    }
    let gap = |pair: &[Vec<f64>; 2]| {
        let est = boot.difference(&pair[0], &pair[1], stats::mean, stats::mean);
        est.map(|i| Estimate::new(i, pair[0].len().min(pair[1].len())))
    };
    let samples = [&first[0], &first[1], &last[0], &last[1]];
    let n = samples.iter().map(|s| s.len()).min().unwrap_or(0);
    let change = |s: [&[f64]; 4]| {
        Some((stats::mean(s[2])? - stats::mean(s[3])?) - (stats::mean(s[0])? - stats::mean(s[1])?))
    };
    let difference = stratified4(samples, boot, change).map(|i| Estimate::new(i, n));
    let (verdict, note) = verdict(difference.as_ref(), n, n);
    Some(ClaimResult {
        chart: data.name.to_string(),
        first: gap(first),
        second: gap(last),
        difference,
        verdict,
        note: format!(
            "{note} First: the gap in {first_year}; second: the gap in {last_year}; per-year \
             gaps in the trend table."
        ),
    })
}

/// Claim 6 on a chart without two comparable years.
fn unanswered(data: &ChartData, which: &str) -> ClaimResult {
    ClaimResult {
        chart: data.name.to_string(),
        first: None,
        second: None,
        difference: None,
        verdict: Verdict::Unanswered,
        note: format!("{which} has both cohorts and at least {MIN_YEAR_DAYS} days of data."),
    }
}

/// A percentile bootstrap of a statistic of four samples, each resampled
/// independently from one seeded stream.
fn stratified4(
    samples: [&Vec<f64>; 4],
    boot: &Bootstrap,
    stat: impl Fn([&[f64]; 4]) -> Option<f64>,
) -> Option<Interval> {
    let estimate = stat(samples.map(|s| s.as_slice()))?;
    let mut rng = stats::Rng::new(boot.seed);
    let mut buffers: [Vec<f64>; 4] = samples.map(|s| Vec::with_capacity(s.len()));
    let draws = (0..boot.resamples).map(|_| {
        for (buffer, sample) in buffers.iter_mut().zip(samples) {
            buffer.clear();
            buffer.extend((0..sample.len()).map(|_| sample[rng.index(sample.len())]));
        }
        stat([&buffers[0], &buffers[1], &buffers[2], &buffers[3]])
    });
    let draws: Vec<Option<f64>> = draws.collect();
    percentile(estimate, draws.into_iter(), boot)
}

/// Claim 7 per platform: the median engagement rate of the first cohort's
/// videos minus the second's, bootstrapping videos. Videos whose counts are
/// hidden are left out, and the note says how many.
pub fn engagement(videos: &[VideoRow], cohorts: &[String], boot: &Bootstrap) -> Vec<ClaimResult> {
    let platforms: std::collections::BTreeSet<&str> =
        videos.iter().map(|v| v.platform.as_str()).collect();
    let mut out = Vec::new();
    for platform in platforms {
        // (rates, videos without a rate, videos whose views fell)
        let of = |cohort: &str| -> (Vec<f64>, usize, usize) {
            let mine: Vec<&VideoRow> = videos
                .iter()
                .filter(|v| v.platform == platform && v.cohort.as_deref() == Some(cohort))
                .collect();
            let fell = mine.iter().filter(|v| v.views_fell).count();
            let usable = mine.iter().filter(|v| !v.views_fell);
            let rates: Vec<f64> = usable.clone().filter_map(|v| v.engagement_rate).collect();
            let unrated = usable.count() - rates.len();
            (rates, unrated, fell)
        };
        let ((a, hidden_a, fell_a), (b, hidden_b, fell_b)) = (of(&cohorts[0]), of(&cohorts[1]));
        if a.is_empty() && b.is_empty() && fell_a + fell_b + hidden_a + hidden_b == 0 {
            continue;
        }
        let est = |x: &Vec<f64>| {
            boot.one(x, stats::median)
                .map(|i| Estimate::new(i, x.len()))
        };
        let diff = boot
            .difference(&a, &b, stats::median, stats::median)
            .map(|i| Estimate::new(i, a.len().min(b.len())));
        let (verdict, note) = verdict(diff.as_ref(), a.len(), b.len());
        out.push(ClaimResult {
            chart: format!("{platform} videos"),
            first: est(&a),
            second: est(&b),
            difference: diff,
            verdict,
            note: format!(
                "{note} Left out: {hidden_a} and {hidden_b} videos with hidden counts or no \
                 views; {fell_a} and {fell_b} whose view count fell between snapshots (not \
                 lifetime totals, so not a rate per view)."
            ),
        });
    }
    out
}

/// The verdict of a difference, by [`VERDICT_RULE`].
pub fn verdict(
    difference: Option<&Estimate>,
    n_first: usize,
    n_second: usize,
) -> (Verdict, String) {
    let Some(d) = difference else {
        return (
            Verdict::Unanswered,
            format!("Not measurable here (n = {n_first} and {n_second})."),
        );
    };
    if n_first < MIN_GROUP || n_second < MIN_GROUP {
        return (
            Verdict::Inconclusive,
            format!("Too few observations (n = {n_first} and {n_second}; {MIN_GROUP} needed)."),
        );
    }
    if d.low > 0.0 {
        (Verdict::Supported, "Interval above 0.".to_string())
    } else if d.high < 0.0 {
        (Verdict::Contradicted, "Interval below 0.".to_string())
    } else {
        (Verdict::Inconclusive, "Interval contains 0.".to_string())
    }
}

/// The chart that answers a claim best: the largest smaller group, then the
/// most markets.
pub fn best(results: &[ClaimResult], markets: &BTreeMap<String, usize>) -> Option<usize> {
    results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.difference.is_some())
        .max_by_key(|(_, r)| {
            let n = r.difference.as_ref().map_or(0, |d| d.n);
            (n, markets.get(&r.chart).copied().unwrap_or(0))
        })
        .map(|(i, _)| i)
}

pub fn day_text(day: i32) -> String {
    super::data::date(day).map_or_else(|| day.to_string(), |d| d.to_string())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::study::data::ChartName;

    /// A chart over `markets` with weekly periods from day 0 to `last_day`.
    fn chart(markets: &[&str], last_day: i32, tracks: Vec<Track>) -> ChartData {
        let weeks: Vec<i32> = (0..=last_day / 7).map(|w| w * 7).collect();
        ChartData {
            name: ChartName {
                source: "spotify".into(),
                chart: "viral50".into(),
            },
            markets: markets
                .iter()
                .map(|m| m.to_string())
                .collect::<BTreeSet<_>>(),
            has_global: false,
            first_day: 0,
            last_day,
            periods: markets
                .iter()
                .map(|m| (m.to_string(), weeks.clone()))
                .collect(),
            cadence_days: 7,
            tracks,
            artists: Vec::new(),
            artists_by_year: BTreeMap::new(),
            share_by_month: Vec::new(),
            share_by_market: Vec::new(),
        }
    }

    fn track(key: &str, days: &[(&str, &[i32])]) -> Track {
        Track {
            key: key.into(),
            cohort: Some("K-pop".into()),
            days: days
                .iter()
                .map(|(m, d)| (m.to_string(), d.to_vec()))
                .collect(),
            ..Track::default()
        }
    }

    #[test]
    fn diffusion_curve_and_lead_markets_follow_the_documented_example() {
        // metrics::DIFFUSION: A enters JP on day 7 and US on day 17; B only
        // JP. Three markets, so two others.
        let a = track("A", &[("JP", &[7]), ("US", &[17])]);
        let b = track("B", &[("JP", &[7])]);
        let data = chart(&["JP", "KR", "US"], 70, vec![a.clone(), b.clone()]);
        let (ca, cb) = (curve(&data, &a, 2).unwrap(), curve(&data, &b, 2).unwrap());
        assert_eq!(ca, vec![0.0, 0.5]);
        assert_eq!(mean_curve(&[&ca, &cb]).unwrap(), vec![0.0, 0.25]);
        // Left-censored (first entry on the data's first day) or not observed
        // for the whole horizon: no curve.
        assert!(curve(&data, &track("C", &[("JP", &[0])]), 2).is_none());
        assert!(curve(&data, &track("D", &[("JP", &[63])]), 2).is_none());
        let leads = lead_markets(&data, &[&a, &b]);
        assert_eq!(leads.len(), 1);
        assert_eq!((leads[0].market.as_str(), leads[0].tracks), ("JP", 1));
        assert_eq!(leads[0].lead_pct, 100.0);
        // A tie on the first day counts for both markets.
        let tie = track("E", &[("KR", &[14]), ("US", &[14])]);
        let leads = lead_markets(&data, &[&a, &tie]);
        let counts: Vec<(&str, usize)> = leads
            .iter()
            .map(|l| (l.market.as_str(), l.tracks))
            .collect();
        assert_eq!(counts, [("JP", 1), ("KR", 1), ("US", 1)]);
    }

    #[test]
    fn first_runs_are_censored_at_the_end_and_skip_the_start() {
        // Weekly periods 0..=35 (6 periods). In JP: a run of 2 from day 7
        // ending at 21; in KR: on from 21 to the end (censored); in US: on
        // from day 0 (left out); a re-entry after a gap is not a new run.
        let t = track(
            "A",
            &[("JP", &[7, 14, 28]), ("KR", &[21, 28, 35]), ("US", &[0, 7])],
        );
        let data = chart(&["JP", "KR", "US"], 35, vec![t.clone()]);
        let spells = spells(&data, &[&t]);
        assert_eq!(
            spells,
            vec![
                Spell {
                    periods: 2,
                    censored: false
                },
                Spell {
                    periods: 3,
                    censored: true
                }
            ]
        );
    }

    #[test]
    fn collaboration_lift_and_dispersion_follow_the_documented_examples() {
        // metrics::COLLABORATION: collaborations reach 10 and 6 markets, the
        // others 1, 2 and 3: lift 8 - 2 = 6.
        let markets = ["AR", "AT", "AU", "BE", "BR", "CA", "CH", "CL", "CO", "DE"];
        let make = |n: usize, collab: bool| {
            let days: Vec<(&str, &[i32])> = markets[..n].iter().map(|m| (*m, &[7][..])).collect();
            Track {
                collaboration: collab,
                ..track("x", &days)
            }
        };
        let tracks = [
            make(10, true),
            make(6, true),
            make(1, false),
            make(2, false),
            make(3, false),
        ];
        let refs: Vec<&Track> = tracks.iter().collect();
        assert_eq!(collab_lift(&refs), Some(6.0));
        assert_eq!(collab_lift(&refs[2..]), None);
        // metrics::SOUND: danceability 0.4 and 0.8, all else equal: sample
        // variance 0.08, dispersion sqrt(0.08).
        let mut low = [0.5; 7];
        let mut high = [0.5; 7];
        low[1] = 0.4;
        high[1] = 0.8;
        let d = dispersion(&[low, high]).unwrap();
        assert!((d - 0.08f64.sqrt()).abs() < 1e-12, "{d}");
        assert_eq!(dispersion(&[low]), None);
    }

    #[test]
    fn verdicts_follow_the_rule() {
        let e = |low: f64, high: f64| Estimate {
            estimate: (low + high) / 2.0,
            low,
            high,
            n: 10,
        };
        assert_eq!(verdict(Some(&e(0.1, 2.0)), 10, 10).0, Verdict::Supported);
        assert_eq!(
            verdict(Some(&e(-2.0, -0.1)), 10, 10).0,
            Verdict::Contradicted
        );
        assert_eq!(
            verdict(Some(&e(-1.0, 1.0)), 10, 10).0,
            Verdict::Inconclusive
        );
        // Too few observations in one group, however clear the interval.
        assert_eq!(verdict(Some(&e(0.1, 2.0)), 4, 10).0, Verdict::Inconclusive);
        assert_eq!(verdict(None, 0, 10).0, Verdict::Unanswered);
    }

    #[test]
    fn years_count_by_the_days_the_data_covers() {
        // Day 0 is 1970-01-01; data to 1971-01-10.
        let data = chart(&["JP"], 374, Vec::new());
        assert_eq!(days_covered(&data, 1970), 365);
        assert_eq!(days_covered(&data, 1971), 10);
        assert_eq!(days_covered(&data, 1972), 0);
    }
}
