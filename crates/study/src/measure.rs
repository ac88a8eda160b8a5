//! The study's measures: per chart and cohort, the metrics of
//! `chartlens_metrics` computed on the rows of [`super::data`], with
//! bootstrap intervals, and each claim's verdict by the rule in
//! [`VERDICT_RULE`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chartlens_model::Region;
use chartlens_model::registry::AUDIO_FEATURES;
use chartlens_stats::{self as stats, Bootstrap, Interval, Spell};
use chartlens_store::derived::Artists;
use serde::Serialize;

use super::claim::ClaimKind;
pub use super::claim::Verdict;
use super::data::{ArtistRow, ChartData, Track, VideoRow};
use super::robust::{Check, Robustness};

/// How a claim's verdict follows from its interval.
pub const VERDICT_RULE: &str = "A claim compares the first cohort with the second (claim 5: the \
    first cohort's collaborations with its other tracks). Supported: the 95% bootstrap interval \
    of the difference lies entirely above 0. Contradicted: entirely below 0. Inconclusive: the \
    interval contains 0. Unanswered, with the reason: the chart lacks the data the measure needs \
    (a second market; the cohorts' home markets; 8 weeks of horizon; two full years), a group \
    has fewer than 5 observations (claim 5: fewer than 5 collaborations or 5 other tracks), a \
    Bass fit sits at a bound of its search range, or the interval has zero width (a degenerate \
    sample). Each claim is measured on every chart separately. The headline verdict is that of \
    the chart that answers it best, the one whose smaller group is largest (ties: more \
    markets), or mixed when one chart supports the claim and another contradicts it; every \
    chart's verdict is listed. Robustness: each verdict is recomputed without the artists \
    `chartlens artists audit --doubtful` lists (a reason to doubt their placement: \
    contradicting tag, origin conflict, origin from a country list only, home market absent; \
    resting on one file alone is no reason, the registry-only check covers that), without the 1, 3 and 5 artists of the two cohorts with the most entries on that \
    chart, and with only artists placed by a registry row or a cohort rule naming them; robust \
    when it holds in every check that can be computed, fragile (naming the checks that flip it) \
    otherwise.";

/// Fewer observations than this in a group leave a claim unanswered.
pub const MIN_GROUP: usize = 5;

/// The collaboration difference needs at least this many collaborations and
/// this many other tracks of the cohort.
pub const MIN_COLLAB_TRACKS: usize = 5;

/// A Bass fit needs a diffusion horizon of at least this many weeks.
pub const MIN_BASS_WEEKS: usize = 8;

/// How close to an end of its search range (`stats::fit_bass`) a Bass
/// parameter counts as at the bound: relative for p (a log scale), absolute
/// for q. At the upper ends the curve is a step (most markets in the first
/// week) whose p and q cannot be told apart; at the lower ends the range, not
/// the data, decides the value.
const BOUND_TOLERANCE: f64 = 0.01;

/// Which bound of its search range a Bass fit hits, if any (the ceiling m
/// at 1: the curve has not bent within the horizon, so m is not identified).
fn bass_bound(p: f64, q: f64, m: f64) -> Option<String> {
    let tol = BOUND_TOLERANCE;
    if m >= 1.0 - tol / 10.0 {
        Some(format!("the ceiling m {m:.3} at its upper bound 1"))
    } else if p >= stats::BASS_P_MAX * (1.0 - tol) {
        Some(format!("p {p:.3} at the upper bound {}", stats::BASS_P_MAX))
    } else if p <= stats::BASS_P_MIN * (1.0 + tol) {
        Some(format!(
            "p {p:.2e} at the lower bound {:.0e}",
            stats::BASS_P_MIN
        ))
    } else if q >= stats::BASS_Q_MAX - tol {
        Some(format!("q {q:.3} at the upper bound {}", stats::BASS_Q_MAX))
    } else if q <= tol {
        Some(format!("q {q:.3} at the lower bound 0"))
    } else {
        None
    }
}

/// A bootstrap estimate of one group.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    /// The statistic on the whole sample.
    pub estimate: f64,
    /// Lower end of the bootstrap interval.
    pub low: f64,
    /// Upper end of the bootstrap interval.
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

/// A claim's verdict over all charts: the best chart's, or mixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Headline {
    /// The best chart supports the claim and no chart contradicts it.
    Supported,
    /// The best chart contradicts the claim and no chart supports it.
    Contradicted,
    /// The best chart's interval contains 0.
    Inconclusive,
    /// No chart answers the claim.
    Unanswered,
    /// One chart supports the claim, another contradicts it.
    Mixed,
}

impl Headline {
    /// Mixed when some result supports and another contradicts; else the
    /// verdict of the best result (unanswered without one).
    pub fn of(results: &[ClaimResult], best: Option<usize>) -> Headline {
        let any = |v: Verdict| results.iter().any(|r| r.verdict == v);
        if any(Verdict::Supported) && any(Verdict::Contradicted) {
            return Headline::Mixed;
        }
        match best.map(|i| results[i].verdict) {
            Some(Verdict::Supported) => Headline::Supported,
            Some(Verdict::Contradicted) => Headline::Contradicted,
            Some(Verdict::Inconclusive) => Headline::Inconclusive,
            Some(Verdict::Unanswered) | None => Headline::Unanswered,
        }
    }

    /// The headline as `report.json` writes it (`supported`, ..., `mixed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Headline::Supported => "supported",
            Headline::Contradicted => "contradicted",
            Headline::Inconclusive => "inconclusive",
            Headline::Unanswered => "unanswered",
            Headline::Mixed => "mixed",
        }
    }
}

impl Verdict {
    /// The verdict as `report.json` writes it (`supported`, ..., `unanswered`).
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
    /// Which claim this is a result of.
    #[serde(skip)]
    pub kind: ClaimKind,
    /// The chart (`source/chart`), or for engagement the video platform.
    pub chart: String,
    /// The first estimate compared (see `Claim::columns`); None when not measured.
    pub first: Option<Estimate>,
    /// The second estimate compared (see `Claim::columns`); None when not measured.
    pub second: Option<Estimate>,
    /// None when the claim is unanswered here: no finding is shown then.
    pub difference: Option<Estimate>,
    /// The sizes of the two groups the verdict compares (artists, tracks,
    /// videos; claim 5: collaborations and other tracks; claim 6: the
    /// smaller cohort in the first and in the last year), as used.
    pub n: [usize; 2],
    /// The verdict on this chart.
    pub verdict: Verdict,
    /// The finding, or why the claim is unanswered, in words.
    pub note: String,
    /// Whether the verdict survives leaving artists out.
    pub robustness: Robustness,
}

impl ClaimResult {
    /// The claim cannot be measured on this chart, for `reason`.
    pub fn unanswered(kind: ClaimKind, chart: &str, reason: String) -> ClaimResult {
        ClaimResult {
            kind,
            chart: chart.to_string(),
            first: None,
            second: None,
            difference: None,
            n: [0, 0],
            verdict: Verdict::Unanswered,
            note: format!("Unanswered, because {reason}"),
            robustness: Robustness::not_assessed(),
        }
    }
}

/// A claim, measured on every chart.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    /// The claim's number in the report, from 1.
    pub number: u8,
    /// Which claim this is.
    pub kind: ClaimKind,
    /// The claim as stated, with the two cohorts' names.
    pub claim: String,
    /// What the `first` and `second` estimates of its results are.
    pub columns: [String; 2],
    /// The statistic compared, and what the bootstrap resamples.
    pub statistic: String,
    /// Name of the metric whose definition the claim uses.
    pub metric: &'static str,
    /// What a chart must hold to answer it.
    pub needs: &'static str,
    /// The claim on every chart (or video platform).
    pub results: Vec<ClaimResult>,
    /// The chart that answers the claim best; None when none answers it.
    pub best_chart: Option<String>,
    /// Why that chart answers best, and whether the charts disagree.
    pub best_reason: String,
    /// The verdict over all charts: the best chart's, or mixed.
    pub verdict: Headline,
    /// What limits the claim: classification coverage, missing home markets, dates.
    pub caveats: Vec<String>,
}

/// Descriptive measures of one cohort on one chart.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CohortMeasures {
    /// The cohort's name.
    pub cohort: String,
    /// Charting artists of the cohort.
    pub artists: usize,
    /// First quartile of the artists' markets; None on a chart with fewer than 2 markets.
    pub q1_markets: Option<f64>,
    /// Median of the artists' markets; None on a chart with fewer than 2 markets.
    pub median_markets: Option<f64>,
    /// Third quartile of the artists' markets; None on a chart with fewer than 2 markets.
    pub q3_markets: Option<f64>,
    /// Most markets of any artist; None on a chart with fewer than 2 markets.
    pub max_markets: Option<f64>,
    /// Percent of the artists in 10 or more markets; None on a chart with fewer than 2 markets.
    pub pct_10plus: Option<f64>,
    /// Percent of the artists in 30 or more markets; None on a chart with fewer than 2 markets.
    pub pct_30plus: Option<f64>,
    /// Mean markets per artist, with its interval (claim 1); None on a chart with fewer than 2 markets.
    pub mean_markets: Option<Estimate>,
    /// Artists' markets, ascending (the breadth distribution).
    pub breadth: Vec<i64>,
    /// Pooled export share of the artists whose origin market has a chart here, in percent, with its interval (claim 3).
    pub export_pct: Option<Estimate>,
    /// Median of those artists' own export shares, in percent.
    pub median_artist_export_pct: Option<f64>,
    /// Tracks whose primary artist is in the cohort.
    pub tracks: usize,
    /// Median T_2 in days, over tracks first seen after the data's first day.
    pub median_t2_days: Option<f64>,
    /// Median T_5 in days, over tracks first seen after the data's first day.
    pub median_t5_days: Option<f64>,
    /// Percent of the tracks in 5 or more markets.
    pub pct_tracks_5plus: Option<f64>,
    /// Tracks whose whole diffusion horizon is observed.
    pub curve_tracks: usize,
    /// y(t) for t = 1..=horizon weeks.
    pub curve: Vec<f64>,
    /// The Bass fit of the mean curve, with intervals of p and q (claim 2); None when the horizon is too short or the fit fails.
    pub bass: Option<BassSummary>,
    /// Markets where the cohort's travelling tracks first entered, most tracks first.
    pub lead_markets: Vec<LeadMarket>,
    /// First runs (one per track and market) in the survival estimate.
    pub runs: usize,
    /// Kaplan-Meier steps: (periods on the chart, share of runs still on).
    pub survival: Vec<(u32, f64)>,
    /// Median first run, in published periods; None when the curve never falls to 0.5.
    pub median_run_periods: Option<u32>,
    /// Gini coefficient of the artists' entries.
    pub gini: Option<f64>,
    /// Herfindahl-Hirschman index of the artists' entries.
    pub hhi: Option<f64>,
    /// The artist with the most entries, and its share of the cohort's
    /// artist entries in percent.
    pub top_artist: Option<(String, f64)>,
    /// Percent of the tracks that are cross-cohort collaborations.
    pub collab_pct: Option<f64>,
    /// Mean markets of collaborations minus that of the other tracks, with its interval (claim 5).
    pub collab_lift: Option<Estimate>,
    /// Artists with all seven audio features.
    pub artists_with_features: usize,
    /// Dispersion (root total variance) of their audio features, with its interval (claim 4).
    pub dispersion: Option<Estimate>,
    /// Effective number of genres over the artists' genre tags, each artist weighing 1.
    pub genre_effective_number: Option<f64>,
}

/// The Bass diffusion fit of a cohort's mean curve.
#[derive(Debug, Clone, Serialize)]
pub struct BassSummary {
    /// Innovation coefficient p (per week), with its interval.
    pub p: Estimate,
    /// Imitation coefficient q (per week), with its interval.
    pub q: Estimate,
    /// Ceiling: share of the other markets eventually reached.
    pub m: f64,
    /// Coefficient of determination of the fit.
    pub r2: f64,
    /// Set when p, q or m sits at a bound of its search range: then the fit is
    /// no estimate of either, and claim 2 is unanswered.
    pub at_bound: Option<String>,
}

/// A market where a cohort's tracks first entered.
#[derive(Debug, Clone, Serialize)]
pub struct LeadMarket {
    /// The market's code.
    pub market: String,
    /// Tracks (2 or more markets, first seen after the data's first day) that first entered here, ties included.
    pub tracks: usize,
    /// Those tracks as a percent of all such tracks of the cohort.
    pub lead_pct: f64,
}

/// Everything measured on one chart.
#[derive(Debug, Clone, Serialize)]
pub struct ChartMeasures {
    /// The chart, as `source/chart`.
    pub chart: String,
    /// Its markets (GLOBAL left out), by code.
    pub markets: Vec<String>,
    /// Whether it has a GLOBAL edition.
    pub has_global: bool,
    /// Start of its first period, `YYYY-MM-DD`.
    pub first_date: String,
    /// Start of its last period, `YYYY-MM-DD`.
    pub last_date: String,
    /// The usual gap between two published periods, in days (7 for weekly).
    pub cadence_days: i32,
    /// The diffusion horizon in weeks: 26, or a third of the data's span when shorter.
    pub horizon_weeks: usize,
    /// Entries of the chart in the selection, GLOBAL included.
    pub entries: i64,
    /// Share of entries whose primary artist is in some cohort.
    pub classified_pct: f64,
    /// Per cohort (and `none`), entries.
    pub entries_by_cohort: BTreeMap<String, i64>,
    /// The measures of each compared cohort, in the study's order.
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

/// Measures one chart for the given cohorts (`homes`: each cohort's home
/// market), with every claim's verdict and its robustness checks.
pub fn chart(
    data: &ChartData,
    cohorts: &[String],
    homes: &BTreeMap<String, String>,
    artists: &Artists,
    boot: &Bootstrap,
) -> (ChartMeasures, Vec<ClaimResult>) {
    let (measures, mut claims) = measure(data, cohorts, homes, artists, boot);
    if claims.iter().any(|c| c.verdict != Verdict::Unanswered) {
        let members: Vec<&ArtistRow> = data
            .artists
            .iter()
            .filter(|a| a.cohort.as_ref().is_some_and(|c| cohorts.contains(c)))
            .collect();
        let rechecked: Vec<(Check, usize, Vec<ClaimResult>)> = Check::ALL
            .iter()
            .map(|&check| {
                let left_out = check.left_out(&members, artists, home_absent);
                let results = if left_out.is_empty() {
                    claims
                        .iter()
                        .map(|c| ClaimResult {
                            note: "No artist of the two cohorts to leave out here: the same \
                                   verdict."
                                .to_string(),
                            ..c.clone()
                        })
                        .collect()
                } else {
                    measure(&data.without(&left_out), cohorts, homes, artists, boot).1
                };
                (check, left_out.len(), results)
            })
            .collect();
        for (i, claim) in claims.iter_mut().enumerate() {
            claim.robustness = Robustness::assess(
                claim.verdict,
                rechecked
                    .iter()
                    .map(|(check, n, r)| (*check, *n, r[i].verdict, r[i].note.clone())),
            );
        }
    }
    let entries_by_cohort: BTreeMap<String, i64> = data
        .entries_by_cohort()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let entries: i64 = entries_by_cohort.values().sum();
    let none = entries_by_cohort.get("none").copied().unwrap_or(0);
    let out = ChartMeasures {
        chart: data.name.to_string(),
        markets: data.markets.iter().cloned().collect(),
        has_global: data.has_global,
        first_date: day_text(data.first_day),
        last_date: day_text(data.last_day),
        cadence_days: data.cadence_days,
        horizon_weeks: horizon_weeks(data),
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

/// An artist whose origin market has a chart here, who has at least
/// [`chartlens_model::audit::HOME_ABSENT_MIN_ENTRIES`] entries on it but none
/// in that market ([`chartlens_model::audit::FlagKind::HomeAbsent`]): the
/// audit flag that needs chart data, so the study computes it per chart.
pub fn home_absent(row: &ArtistRow) -> bool {
    row.home_in_data
        && row.home_base.is_some()
        && row.home_base == row.export_entries
        && u64::try_from(row.entries).unwrap_or(0)
            >= chartlens_model::audit::HOME_ABSENT_MIN_ENTRIES
}

/// The cohort measures and the claims of one chart (robustness not yet
/// assessed).
fn measure(
    data: &ChartData,
    cohorts: &[String],
    homes: &BTreeMap<String, String>,
    artists: &Artists,
    boot: &Bootstrap,
) -> (Vec<CohortMeasures>, Vec<ClaimResult>) {
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
    let claims = claims_on_chart(data, cohorts, homes, &groups, &measures, boot);
    (measures, claims)
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

/// The diffusion horizon: 26 weeks, or a third of the data's span when
/// shorter (at least 1); see `metrics::DIFFUSION`.
fn horizon_weeks(data: &ChartData) -> usize {
    let span_weeks = ((data.last_day - data.first_day).max(0) / 7) as usize;
    (span_weeks / 3).clamp(1, 26)
}

/// A track's share of the other markets entered within t weeks, t =
/// 1..=horizon; `None` when the horizon is not wholly observed or the track
/// may be left-censored: first seen within the data's first `horizon` weeks,
/// it may have been charting (elsewhere, or before a market's data began)
/// for a while already (see `metrics::DIFFUSION`).
fn curve(data: &ChartData, track: &Track, horizon: usize) -> Option<Vec<f64>> {
    let firsts = track.firsts();
    let first = firsts.first()?.0;
    let others = data.markets.len().checked_sub(1).filter(|&n| n > 0)? as f64;
    let window = 7 * horizon as i32;
    if first < data.first_day + window || first + window > data.last_day {
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
    // Breadth and export share need a second market: on a GLOBAL-only or
    // single-market chart they are no measure (not 0 or 1 for everyone).
    let multi = data.markets.len() >= 2;
    let sorted: Vec<f64> = if multi {
        breadth.iter().map(|&m| m as f64).collect()
    } else {
        Vec::new()
    };
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
            at_bound: bass_bound(f.p, f.q, f.m),
        })
    });
    let spells = spells(&g.tracks);
    let steps = stats::kaplan_meier(&spells);
    let entries: Vec<f64> = g.artists.iter().map(|a| a.entries as f64).collect();
    let collabs = g.tracks.iter().filter(|t| t.collaboration).count();
    let enough_collabs = collabs.min(g.tracks.len() - collabs) >= MIN_COLLAB_TRACKS;
    CohortMeasures {
        cohort: cohort.to_string(),
        artists: g.artists.len(),
        q1_markets: stats::quantile(&sorted, 0.25),
        median_markets: stats::quantile(&sorted, 0.5),
        q3_markets: stats::quantile(&sorted, 0.75),
        max_markets: sorted.last().copied(),
        pct_10plus: pct(sorted.iter().filter(|&&m| m >= 10.0).count(), sorted.len()),
        pct_30plus: pct(sorted.iter().filter(|&&m| m >= 30.0).count(), sorted.len()),
        mean_markets: boot
            .one(&g.artists, mean_markets)
            .filter(|_| multi)
            .map(|i| Estimate::new(i, g.artists.len())),
        breadth,
        export_pct: boot
            .one(&g.exporters, export_pct)
            .filter(|_| multi)
            .map(|i| Estimate::new(i, g.exporters.len())),
        median_artist_export_pct: stats::median(&exports).filter(|_| multi),
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
            .filter(|_| enough_collabs)
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

/// Claim 8's sample ([`ClaimKind::BreakoutAbroad`]): per track of `tracks`
/// that charted in 2+ markets after the data's first date and whose primary
/// artist's origin is on a known continent, 1 when every market of its
/// first chart date lies outside that continent, else 0.
pub fn breakouts(data: &ChartData, tracks: &[&Track]) -> Vec<f64> {
    let origin: HashMap<i64, &str> = data
        .artists
        .iter()
        .filter_map(|a| Some((a.artist_id?, a.origin.as_deref()?)))
        .collect();
    let continent = |code: &str| Region::from_code(code).and_then(|r| r.continent());
    tracks
        .iter()
        .filter(|t| t.markets() >= 2)
        .filter_map(|t| {
            let firsts = t.firsts();
            let day = firsts[0].0;
            if day <= data.first_day {
                return None;
            }
            let home = continent(origin.get(&t.artist_id?)?)?;
            let abroad = firsts
                .iter()
                .take_while(|f| f.0 == day)
                .all(|(_, m)| continent(m) != Some(home));
            Some(if abroad { 1.0 } else { 0.0 })
        })
        .collect()
}

/// The percent of ones in a 0/1 sample.
fn percent(values: &[f64]) -> Option<f64> {
    stats::mean(values).map(|m| 100.0 * m)
}

/// First runs of tracks per market; see `metrics::LONGEVITY`. A run that
/// began on the market's first period may have begun before the data
/// (left-censored) and is left out.
pub fn spells(tracks: &[&Track]) -> Vec<Spell> {
    tracks
        .iter()
        .flat_map(|t| &t.markets)
        .filter(|m| !m.from_start && m.first_run > 0)
        .map(|m| Spell {
            periods: m.first_run,
            censored: m.open,
        })
        .collect()
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

/// Why a chart cannot measure a claim at all, when it cannot: each measure
/// declares the data it needs ([`ClaimKind::needs`]).
fn unmet(
    kind: ClaimKind,
    data: &ChartData,
    cohorts: &[String],
    homes: &BTreeMap<String, String>,
) -> Option<String> {
    let single = match data.markets.len() {
        0 => Some(
            "the chart has no market of its own, only GLOBAL (GLOBAL is not a market)".to_string(),
        ),
        1 => Some(format!(
            "the chart has a single market ({}): every artist and track reaches exactly one \
             (GLOBAL is not a market)",
            data.markets.iter().next().map_or("", String::as_str)
        )),
        _ => None,
    };
    match kind {
        ClaimKind::Reach | ClaimKind::Collaboration | ClaimKind::ReachTrend => single,
        ClaimKind::Spread => single.or_else(|| {
            let horizon = horizon_weeks(data);
            (horizon < MIN_BASS_WEEKS).then(|| {
                format!(
                    "the data spans too few weeks for a diffusion fit (horizon {horizon} \
                     weeks, {MIN_BASS_WEEKS} needed)"
                )
            })
        }),
        ClaimKind::HomeDependence => single.or_else(|| {
            let missing: Vec<String> = cohorts
                .iter()
                .filter_map(|c| match homes.get(c) {
                    None => Some(format!("no home market is known for {c}")),
                    Some(h) if !data.markets.contains(h) => Some(format!(
                        "{h}, the home market of most {c} artists, has no chart here"
                    )),
                    Some(_) => None,
                })
                .collect();
            (!missing.is_empty()).then(|| {
                format!(
                    "{}: without the home market every entry would look exported",
                    missing.join("; ")
                )
            })
        }),
        ClaimKind::Sound => None,
        ClaimKind::Engagement => Some("engagement is measured per video platform".to_string()),
        ClaimKind::BreakoutAbroad => single.or_else(|| {
            let continents: BTreeSet<_> = data
                .markets
                .iter()
                .filter_map(|m| Region::from_code(m)?.continent())
                .collect();
            (continents.len() < 2).then(|| {
                "the chart's markets are all on one continent: no track can break out \
                 outside its home region"
                    .to_string()
            })
        }),
    }
}

/// The claims measured on charts ([`ClaimKind::ON_CHARTS`]) on one chart,
/// in order. The per-cohort estimates are those of the cohort measures; the
/// differences are stratified bootstraps.
fn claims_on_chart(
    data: &ChartData,
    cohorts: &[String],
    homes: &BTreeMap<String, String>,
    groups: &[Groups],
    measures: &[CohortMeasures],
    boot: &Bootstrap,
) -> Vec<ClaimResult> {
    let chart = data.name.to_string();
    let ([a, b], [ma, mb]) = (groups, measures) else {
        return ClaimKind::ON_CHARTS
            .iter()
            .map(|&k| ClaimResult::unanswered(k, &chart, "the study compares two cohorts".into()))
            .collect();
    };
    let result = |kind: ClaimKind,
                  first: Option<Estimate>,
                  second: Option<Estimate>,
                  diff: Option<Interval>,
                  n: [usize; 2]| {
        let difference = diff.map(|d| Estimate::new(d, n[0].min(n[1])));
        let (verdict, note) = verdict(difference.as_ref(), n[0], n[1]);
        ClaimResult {
            kind,
            chart: chart.clone(),
            first,
            second,
            difference: difference.filter(|_| verdict != Verdict::Unanswered),
            n,
            verdict,
            note,
            robustness: Robustness::not_assessed(),
        }
    };
    ClaimKind::ON_CHARTS
        .iter()
        .map(|&kind| {
            if let Some(reason) = unmet(kind, data, cohorts, homes) {
                return ClaimResult::unanswered(kind, &chart, format!("{reason}."));
            }
            match kind {
                ClaimKind::Reach => result(
                    kind,
                    ma.mean_markets.clone(),
                    mb.mean_markets.clone(),
                    boot.difference(&a.artists, &b.artists, mean_markets, mean_markets),
                    [a.artists.len(), b.artists.len()],
                ),
                ClaimKind::Spread => spread(kind, &chart, [a, b], [ma, mb], boot, result),
                ClaimKind::HomeDependence => result(
                    kind,
                    ma.export_pct.clone(),
                    mb.export_pct.clone(),
                    boot.difference(&a.exporters, &b.exporters, export_pct, export_pct),
                    [a.exporters.len(), b.exporters.len()],
                ),
                ClaimKind::Sound => result(
                    kind,
                    ma.dispersion.clone(),
                    mb.dispersion.clone(),
                    boot.difference(&a.features, &b.features, dispersion, dispersion),
                    [a.features.len(), b.features.len()],
                ),
                ClaimKind::Collaboration => {
                    let collabs = a.tracks.iter().filter(|t| t.collaboration).count();
                    let others = a.tracks.len() - collabs;
                    if collabs.min(others) < MIN_COLLAB_TRACKS {
                        return ClaimResult::unanswered(
                            kind,
                            &chart,
                            format!(
                                "{}'s difference would rest on {collabs} cross-cohort \
                                 collaboration(s) and {others} other track(s); at least \
                                 {MIN_COLLAB_TRACKS} of each are needed.",
                                ma.cohort
                            ),
                        );
                    }
                    // The first cohort's difference; its interval is the claim's.
                    let mut r = result(
                        kind,
                        ma.collab_lift.clone(),
                        mb.collab_lift.clone(),
                        ma.collab_lift.as_ref().map(|e| Interval {
                            estimate: e.estimate,
                            low: e.low,
                            high: e.high,
                        }),
                        [collabs, others],
                    );
                    r.note.push_str(&format!(
                        " n: {collabs} collaborations and {others} other tracks of {}.",
                        ma.cohort
                    ));
                    r
                }
                ClaimKind::ReachTrend => trend(data, cohorts, boot),
                ClaimKind::BreakoutAbroad => {
                    let (fa, fb) = (breakouts(data, &a.tracks), breakouts(data, &b.tracks));
                    let estimate =
                        |v: &[f64]| boot.one(v, percent).map(|i| Estimate::new(i, v.len()));
                    result(
                        kind,
                        estimate(&fa),
                        estimate(&fb),
                        boot.difference(&fa, &fb, percent, percent),
                        [fa.len(), fb.len()],
                    )
                }
                ClaimKind::Engagement => unreachable!("not in ON_CHARTS"),
            }
        })
        .collect()
}

/// Claim 2: the difference of the cohorts' Bass q, unanswered when a fit is
/// missing or sits at a bound of its search range.
fn spread(
    kind: ClaimKind,
    chart: &str,
    [a, b]: [&Groups; 2],
    [ma, mb]: [&CohortMeasures; 2],
    boot: &Bootstrap,
    result: impl Fn(
        ClaimKind,
        Option<Estimate>,
        Option<Estimate>,
        Option<Interval>,
        [usize; 2],
    ) -> ClaimResult,
) -> ClaimResult {
    for m in [ma, mb] {
        match &m.bass {
            None => {
                return ClaimResult::unanswered(
                    kind,
                    chart,
                    format!(
                        "{} has no Bass fit ({} tracks with the whole horizon observed).",
                        m.cohort, m.curve_tracks
                    ),
                );
            }
            Some(bass) => {
                if let Some(bound) = &bass.at_bound {
                    return ClaimResult::unanswered(
                        kind,
                        chart,
                        format!(
                            "{}'s Bass fit has {bound} of its search range: the range, not the \
                             data, sets it (a step-like curve, most markets entered in the \
                             first week, whose p and q this chart cannot tell apart).",
                            m.cohort
                        ),
                    );
                }
            }
        }
    }
    let q = |m: &CohortMeasures| m.bass.as_ref().map(|b| b.q.clone());
    let diff = ma.bass.as_ref().zip(mb.bass.as_ref()).and_then(|(x, y)| {
        let draws = a.bass_draws.iter().zip(&b.bass_draws);
        percentile(
            x.q.estimate - y.q.estimate,
            draws.map(|(x, y)| Some(x.as_ref()?.1 - y.as_ref()?.1)),
            boot,
        )
    });
    result(kind, q(ma), q(mb), diff, [a.curves.len(), b.curves.len()])
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
    /// The calendar year.
    pub year: i32,
    /// Days of the year between the chart's first and last period.
    pub days_covered: i32,
    /// Mean markets per artist, first cohort minus second.
    pub gap: Option<f64>,
    /// Charting artists of the first cohort in the year.
    pub first_artists: usize,
    /// Charting artists of the second cohort in the year.
    pub second_artists: usize,
}

/// Per year: the reach gap and the two cohorts' numbers of artists. A chart
/// with fewer than 2 markets (GLOBAL is not one) has no breadth to compare,
/// so it gives no rows.
pub fn yearly_gaps(data: &ChartData, cohorts: &[String]) -> Vec<YearGap> {
    if data.markets.len() < 2 {
        return Vec::new();
    }
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
fn trend(data: &ChartData, cohorts: &[String], boot: &Bootstrap) -> ClaimResult {
    let kind = ClaimKind::ReachTrend;
    let chart = data.name.to_string();
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
    let need = format!("both cohorts and at least {MIN_YEAR_DAYS} days of data");
    let (Some((first_year, first)), Some((last_year, last))) = (years.first(), years.last()) else {
        return ClaimResult::unanswered(kind, &chart, format!("no calendar year has {need}."));
    };
    if first_year == last_year {
        return ClaimResult::unanswered(
            kind,
            &chart,
            format!("only one calendar year ({first_year}) has {need}."),
        );
    }
    let gap = |pair: &[Vec<f64>; 2]| {
        let est = boot.difference(&pair[0], &pair[1], stats::mean, stats::mean);
        est.map(|i| Estimate::new(i, pair[0].len() + pair[1].len()))
    };
    let samples = [&first[0], &first[1], &last[0], &last[1]];
    let n = samples.iter().map(|s| s.len()).min().unwrap_or(0);
    let change = |s: [&[f64]; 4]| {
        Some((stats::mean(s[2])? - stats::mean(s[3])?) - (stats::mean(s[0])? - stats::mean(s[1])?))
    };
    let difference = stratified4(samples, boot, change).map(|i| Estimate::new(i, n));
    let n_years = [
        first[0].len().min(first[1].len()),
        last[0].len().min(last[1].len()),
    ];
    let (verdict, note) = verdict(difference.as_ref(), n_years[0], n_years[1]);
    ClaimResult {
        kind,
        chart,
        first: gap(first),
        second: gap(last),
        difference: difference.filter(|_| verdict != Verdict::Unanswered),
        n: n_years,
        verdict,
        note: format!(
            "{note} First: the gap in {first_year}; second: the gap in {last_year}; per-year \
             gaps in the trend table."
        ),
        robustness: Robustness::not_assessed(),
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

/// Claim 7 per platform with its robustness checks: the videos of the
/// artists each check leaves out are left out (the audit's home-market flag
/// needs a chart, so for videos only the registry flags count). `ids` maps
/// artist names to registry ids.
pub fn engagement_checked(
    videos: &[VideoRow],
    cohorts: &[String],
    artists: &Artists,
    ids: &HashMap<String, i64>,
    boot: &Bootstrap,
) -> Vec<ClaimResult> {
    let mut results = engagement(videos, cohorts, boot);
    if results.iter().all(|r| r.verdict == Verdict::Unanswered) {
        return results;
    }
    // Per artist of the two cohorts, its videos, as rows the checks rank.
    let mut counts: BTreeMap<(&str, i64), i64> = BTreeMap::new();
    for v in videos {
        if let (Some(name), Some(c)) = (&v.artist, &v.cohort)
            && cohorts.contains(c)
            && let Some(&id) = ids.get(name)
        {
            *counts.entry((name.as_str(), id)).or_insert(0) += 1;
        }
    }
    let rows: Vec<ArtistRow> = counts
        .into_iter()
        .map(|((name, id), n)| ArtistRow {
            name: name.to_string(),
            cohort: None,
            origin: None,
            artist_id: Some(id),
            markets: 0,
            entries: n,
            export_entries: None,
            home_base: None,
            home_in_data: false,
        })
        .collect();
    let refs: Vec<&ArtistRow> = rows.iter().collect();
    let rechecked: Vec<(Check, usize, Vec<ClaimResult>)> = Check::ALL
        .iter()
        .map(|&check| {
            let left_out: BTreeSet<i64> = check.left_out(&refs, artists, |_| false);
            let kept: Vec<VideoRow> = videos
                .iter()
                .filter(|v| {
                    let id = v.artist.as_ref().and_then(|a| ids.get(a));
                    id.is_none_or(|id| !left_out.contains(id))
                })
                .cloned()
                .collect();
            (check, left_out.len(), engagement(&kept, cohorts, boot))
        })
        .collect();
    for claim in &mut results {
        let outcomes = rechecked.iter().map(|(check, n, rs)| {
            match rs.iter().find(|r| r.chart == claim.chart) {
                Some(r) => (*check, *n, r.verdict, r.note.clone()),
                None => (
                    *check,
                    *n,
                    Verdict::Unanswered,
                    "no videos left.".to_string(),
                ),
            }
        });
        claim.robustness = Robustness::assess(claim.verdict, outcomes);
    }
    results
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
            kind: ClaimKind::Engagement,
            chart: format!("{platform} videos"),
            first: est(&a),
            second: est(&b),
            difference: diff.filter(|_| verdict != Verdict::Unanswered),
            n: [a.len(), b.len()],
            verdict,
            robustness: Robustness::not_assessed(),
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
    if n_first < MIN_GROUP || n_second < MIN_GROUP {
        return (
            Verdict::Unanswered,
            format!(
                "Unanswered, because a group is too small: n = {n_first} and {n_second}, at \
                 least {MIN_GROUP} needed in each."
            ),
        );
    }
    let Some(d) = difference else {
        return (
            Verdict::Unanswered,
            format!(
                "Unanswered, because the statistic cannot be computed on these groups (n = \
                 {n_first} and {n_second})."
            ),
        );
    };
    if zero_width(d) {
        return (
            Verdict::Unanswered,
            format!(
                "Unanswered, because the interval has zero width ({:.3} in every resample): a \
                 degenerate sample, not a finding.",
                d.estimate
            ),
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

/// An interval whose ends coincide: every resample gave the same value.
pub fn zero_width(e: &Estimate) -> bool {
    (e.high - e.low).abs() <= 1e-12 * e.estimate.abs().max(1.0)
}

/// The chart that answers a claim best: among the answered ones, the
/// largest smaller group, then the most markets.
pub fn best(results: &[ClaimResult], markets: &BTreeMap<String, usize>) -> Option<usize> {
    results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.verdict != Verdict::Unanswered)
        .max_by_key(|(_, r)| {
            let n = r.n[0].min(r.n[1]);
            (n, markets.get(&r.chart).copied().unwrap_or(0))
        })
        .map(|(i, _)| i)
}

/// A day since 1970-01-01 as `YYYY-MM-DD` (the number itself when out of range).
pub fn day_text(day: i32) -> String {
    super::data::date(day).map_or_else(|| day.to_string(), |d| d.to_string())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::data::{ChartName, TrackMarket};
    use std::sync::Arc;

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

    /// A track charting in each market on the given days of weekly
    /// periods from day 0 (as `track_markets` would summarise them: its
    /// first run is the consecutive weeks from its first day).
    fn track(key: &str, days: &[(&str, &[i32])]) -> Track {
        Track {
            key: key.into(),
            cohort: Some("K-pop".into()),
            markets: days
                .iter()
                .map(|(m, d)| TrackMarket {
                    market: Arc::from(*m),
                    first_day: d[0],
                    first_run: d.windows(2).take_while(|w| w[1] - w[0] == 7).count() as u32 + 1,
                    from_start: d[0] == 0,
                    open: false,
                })
                .collect(),
            ..Track::default()
        }
    }

    #[test]
    fn breakouts_count_tracks_whose_lead_markets_are_all_abroad() {
        // The primary artist (id 1) is from KR, in Asia.
        let by = |mut t: Track, id: i64| {
            t.artist_id = Some(id);
            t
        };
        let tracks = vec![
            // Tied first in JP (Asia) and US: not abroad.
            by(track("A", &[("JP", &[14]), ("US", &[14])]), 1),
            // First in US, then GB: abroad.
            by(track("B", &[("US", &[14]), ("GB", &[21])]), 1),
            // First on the data's first day (left-censored): left out.
            by(track("C", &[("US", &[0]), ("JP", &[7])]), 1),
            // One market only: left out.
            by(track("D", &[("US", &[14])]), 1),
            // An artist of unknown origin: left out.
            by(track("E", &[("US", &[14]), ("GB", &[21])]), 2),
        ];
        let mut data = chart(&["GB", "JP", "US"], 70, tracks);
        data.artists.push(ArtistRow {
            name: "BTS".into(),
            cohort: Some("K-pop".into()),
            origin: Some("KR".into()),
            artist_id: Some(1),
            markets: 3,
            entries: 10,
            export_entries: None,
            home_base: None,
            home_in_data: false,
        });
        let all: Vec<&Track> = data.tracks.iter().collect();
        let sample = breakouts(&data, &all);
        assert_eq!(sample, [0.0, 1.0]);
        assert_eq!(percent(&sample), Some(50.0));
    }

    #[test]
    fn diffusion_curve_and_lead_markets_follow_the_documented_example() {
        // metrics::DIFFUSION: A enters JP on day 14 and US on day 24; B only
        // JP. Three markets, so two others; horizon 2 weeks.
        let a = track("A", &[("JP", &[14]), ("US", &[24])]);
        let b = track("B", &[("JP", &[14])]);
        let data = chart(&["JP", "KR", "US"], 70, vec![a.clone(), b.clone()]);
        let (ca, cb) = (curve(&data, &a, 2).unwrap(), curve(&data, &b, 2).unwrap());
        assert_eq!(ca, vec![0.0, 0.5]);
        assert_eq!(mean_curve(&[&ca, &cb]).unwrap(), vec![0.0, 0.25]);
        // Possibly left-censored (first seen on the data's first day, or
        // within its first horizon: it may have charted before the data) or
        // not observed for the whole horizon: no curve.
        assert!(curve(&data, &track("C", &[("JP", &[0])]), 2).is_none());
        assert!(curve(&data, &track("C", &[("JP", &[7])]), 2).is_none());
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
        let mut t = track(
            "A",
            &[("JP", &[7, 14, 28]), ("KR", &[21, 28, 35]), ("US", &[0, 7])],
        );
        t.markets[1].open = true;
        let spells = spells(&[&t]);
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
        // Too few observations in one group, however clear the interval:
        // unanswered, saying why.
        let (v, note) = verdict(Some(&e(0.1, 2.0)), 4, 10);
        assert_eq!(v, Verdict::Unanswered);
        assert!(
            note.contains("too small") && note.contains("n = 4"),
            "{note}"
        );
        assert_eq!(verdict(None, 10, 10).0, Verdict::Unanswered);
        // A zero-width interval is a degenerate sample, not a finding.
        let (v, note) = verdict(Some(&e(0.0, 0.0)), 10, 10);
        assert_eq!(v, Verdict::Unanswered);
        assert!(note.contains("zero width"), "{note}");
        // Notes agree with verdicts.
        assert!(!verdict(Some(&e(-1.0, 1.0)), 10, 10).1.contains("above"));
        assert!(verdict(Some(&e(0.1, 2.0)), 10, 10).1.contains("above"));
    }

    #[test]
    fn bass_fits_at_a_bound_of_the_search_range_are_named() {
        assert!(
            bass_bound(1.0, 0.4, 0.5)
                .unwrap()
                .contains("p 1.000 at the upper bound")
        );
        assert!(bass_bound(1e-5, 0.4, 0.5).unwrap().contains("lower bound"));
        assert!(
            bass_bound(0.02, 3.0, 0.5)
                .unwrap()
                .contains("q 3.000 at the upper")
        );
        assert!(
            bass_bound(0.02, 0.0, 0.5)
                .unwrap()
                .contains("q 0.000 at the lower")
        );
        assert_eq!(bass_bound(0.02, 0.45, 0.5), None);
        assert!(bass_bound(0.02, 0.45, 1.0).unwrap().contains("ceiling m"));
    }

    #[test]
    fn charts_with_fewer_than_two_markets_give_no_trend_rows() {
        let row = |cohort: &str, markets: i64| ArtistRow {
            name: format!("{cohort}{markets}"),
            cohort: Some(cohort.into()),
            origin: None,
            artist_id: None,
            markets,
            entries: 1,
            export_entries: None,
            home_base: None,
            home_in_data: false,
        };
        let cohorts = ["K-pop".to_string(), "J-pop".to_string()];
        let with = |markets: &[&str]| {
            let mut data = chart(markets, 374, Vec::new());
            data.artists_by_year
                .insert(1970, vec![row("K-pop", 2), row("J-pop", 1)]);
            data
        };
        // GLOBAL only (no market of its own), and a single market.
        let mut global = with(&[]);
        global.has_global = true;
        assert!(yearly_gaps(&global, &cohorts).is_empty());
        assert!(yearly_gaps(&with(&["JP"]), &cohorts).is_empty());
        let rows = yearly_gaps(&with(&["JP", "KR"]), &cohorts);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].gap, Some(1.0));
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
