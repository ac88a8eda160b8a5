//! `chartlens study`: tests claims about two cohorts (by default the popular
//! story that K-pop travels and J-pop stays home) on every chart of the store,
//! and writes the evidence as `report.json`, `report.md` and a self-contained
//! `index.html`.
//!
//! The study reads the store through the metrics' SQL ([`data`]), measures
//! each chart on its own ([`measure`]), and the renderers in the `chartlens-report` crate
//! only format what [`Report`] holds, so every number in a page is in the
//! JSON too.

pub mod claim;
pub mod data;
pub mod error;
pub mod measure;
pub mod robust;

pub use error::StudyError;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chartlens_metrics::network::{self, ChartFirsts, TrackFirsts};
use chartlens_metrics::{self as metrics, Filters, MetricDoc, diversity};
use chartlens_model::Region;
use chartlens_stats::Bootstrap;
use chartlens_store::Store;
use chartlens_store::summary::Window;
use rayon::prelude::*;
use serde::Serialize;

use claim::ClaimKind;
use measure::{ChartMeasures, Claim, ClaimResult, Headline};

/// What `chartlens study` was asked.
#[derive(Debug, Clone)]
pub struct StudySettings {
    /// The two cohorts to compare, first and second, by name.
    pub cohorts: Vec<String>,
    /// Which chart rows the study reads.
    pub filters: Filters,
    /// The selection in words, for the report (`every chart in the store`).
    pub filters_text: String,
    /// Resamples, seed and level of the bootstrap intervals.
    pub boot: Bootstrap,
    /// What simulated the data and with which parameters, when it is simulated.
    pub simulated: Option<String>,
}

/// Everything the report says, in the order it says it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The report's title: the question it answers.
    pub title: String,
    /// Version of chartlens that made the report.
    pub chartlens_version: &'static str,
    /// Set when the data is simulated: what simulated it, with which parameters.
    pub simulated: Option<String>,
    /// The two cohorts compared, first and second.
    pub cohorts: Vec<String>,
    /// The market most of each cohort's artists come from.
    pub home_markets: BTreeMap<String, String>,
    /// The chart selection in words.
    pub filters: String,
    /// How the bootstrap intervals were drawn.
    pub bootstrap: BootstrapInfo,
    /// How a claim's verdict follows from its interval ([`measure::VERDICT_RULE`]).
    pub verdict_rule: &'static str,
    /// Every claim, with its result on each chart.
    pub claims: Vec<Claim>,
    /// What was measured on each chart.
    pub charts: Vec<ChartMeasures>,
    /// Per chart and year, the gap between the cohorts' breadth (the reach trend).
    pub trend: Vec<TrendRow>,
    /// Per chart, per month and cohort, the share of entries (for the plot).
    pub share_by_month: Vec<ShareSeries>,
    /// Per chart, per market and cohort, the share of entries (for the map).
    pub share_by_market: Vec<ShareSeries>,
    /// Each chart's backbone of lead markets.
    pub backbone: Vec<BackboneEdge>,
    /// Whether markets' charts converge: mean overlap per chart and year.
    pub convergence: Vec<ConvergenceRow>,
    /// The definition of every metric, as `chartlens metrics` prints it.
    pub methods: Vec<Method>,
}

/// How the bootstrap intervals of the report were drawn.
#[derive(Debug, Clone, Serialize)]
pub struct BootstrapInfo {
    /// Number of resamples.
    pub resamples: usize,
    /// Seed of the random stream.
    pub seed: u64,
    /// Coverage of the two-sided intervals (0.95).
    pub level: f64,
    /// The method in words.
    pub method: &'static str,
}

/// One year of the reach trend on one chart.
#[derive(Debug, Clone, Serialize)]
pub struct TrendRow {
    /// The chart, as `source/chart`.
    pub chart: String,
    /// The year and the cohorts' breadth in it.
    #[serde(flatten)]
    pub gap: measure::YearGap,
}

/// One edge of a chart's backbone (`metrics::NETWORK`): the market most
/// often entered last before `market`.
#[derive(Debug, Clone, Serialize)]
pub struct BackboneEdge {
    /// The chart, as `source/chart`.
    pub chart: String,
    /// The market entered.
    pub market: String,
    /// Its most frequent predecessor.
    pub from: String,
    /// Tracks whose last market before `market` was `from`.
    pub tracks: u32,
    /// That count over the tracks entering `market` after another market.
    pub share: Option<f64>,
}

/// The mean Jaccard overlap of markets' charts in one year of one chart
/// (`metrics::DIVERSITY`).
#[derive(Debug, Clone, Serialize)]
pub struct ConvergenceRow {
    /// The chart, as `source/chart`.
    pub chart: String,
    /// The calendar year.
    pub year: i64,
    /// Markets that published charts in at least half of the year's periods.
    pub markets: usize,
    /// Pairs of them averaged.
    pub pairs: usize,
    /// The mean Jaccard overlap, and its 95% bootstrap interval over markets.
    pub mean_jaccard: Option<f64>,
    /// Lower end of the interval.
    pub low: Option<f64>,
    /// Upper end of the interval.
    pub high: Option<f64>,
}

/// One cohort's share of entries on one chart, by month or by market.
#[derive(Debug, Clone, Serialize)]
pub struct ShareSeries {
    /// The chart, as `source/chart`.
    pub chart: String,
    /// The cohort's name, or `none`.
    pub cohort: String,
    /// (month or market, entry share in percent)
    pub points: Vec<(String, f64)>,
    /// Months only partly covered by the chart's data (its first period
    /// starts after the month's first day, or its last period ends before
    /// the month's last day): plotted as partial, not as full months.
    pub partial: Vec<String>,
}

/// The documentation of one metric, as the report carries it (see `MetricDoc`).
#[derive(Debug, Clone, Serialize)]
pub struct Method {
    /// Short name of the metric.
    pub name: &'static str,
    /// What it measures.
    pub what: &'static str,
    /// The formula, over the stored tables.
    pub formula: &'static str,
    /// What it cannot tell, and how to read it safely.
    pub caveats: &'static str,
    /// A small worked example.
    pub example: &'static str,
}

impl Method {
    /// The definition as the model holds it, to render with its sections.
    pub fn doc(&self) -> MetricDoc {
        MetricDoc {
            name: self.name,
            what: self.what,
            formula: self.formula,
            caveats: self.caveats,
            example: self.example,
        }
    }
}

impl From<&MetricDoc> for Method {
    fn from(doc: &MetricDoc) -> Method {
        Method {
            name: doc.name,
            what: doc.what,
            formula: doc.formula,
            caveats: doc.caveats,
            example: doc.example,
        }
    }
}

const BOOTSTRAP_METHOD: &str = "Percentile bootstrap: each resample draws, with replacement, as \
    many artists (tracks, videos) as the group has, and recomputes the statistic; the interval is \
    the 2.5% and 97.5% quantiles (type 7) of the resampled statistics. Differences between \
    cohorts resample each cohort independently (stratified); the trend resamples each year and \
    cohort; the collaboration difference resamples the first cohort's tracks. The random stream is ChaCha8 seeded with the stated seed \
    (the Bass fits of the second cohort with seed + 1), so a rerun gives the same intervals.";

/// Reads the store, measures every chart, and assembles the report. The
/// queries run on the caller's runtime; the measures and bootstraps run on
/// rayon's pool meanwhile, blocking the calling task (a server calls it from
/// a blocking task).
pub async fn run(
    store: &Store,
    cohorts: chartlens_model::cohort::Cohorts,
    settings: &StudySettings,
) -> Result<Report, StudyError> {
    let [first, second] = settings.cohorts.as_slice() else {
        return Err(StudyError::Cohorts {
            given: settings.cohorts.len(),
        });
    };
    let artists = Arc::new(store.artists(cohorts)?);
    let ctx = store.session_with(artists.clone())?;
    let filters = &settings.filters;
    if filters.from.is_some() || filters.to.is_some() {
        let date = |which: &'static str, d: &Option<String>| {
            d.as_deref()
                .map(|d| {
                    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                        StudyError::Period {
                            which,
                            value: d.to_string(),
                        }
                    })
                })
                .transpose()
        };
        let window = Window::between(date("first", &filters.from)?, date("last", &filters.to)?);
        store.register_summaries_within(&ctx, window)?;
    }
    let charts = data::load(&ctx, &settings.filters).await?;
    let videos = data::videos(&ctx).await?;
    if charts.is_empty() {
        return Err(StudyError::NoEntries);
    }
    let home_markets = home_markets(&charts, &settings.cohorts);
    let convergence = convergence(&ctx, filters, &settings.boot).await?;
    let backbone = backbone(&charts);
    let measured: Vec<(ChartMeasures, Vec<ClaimResult>)> = charts
        .par_iter()
        .map(|c| {
            measure::chart(
                c,
                &settings.cohorts,
                &home_markets,
                &artists,
                &settings.boot,
            )
        })
        .collect();
    let markets: BTreeMap<String, usize> = measured
        .iter()
        .map(|(m, _)| (m.chart.clone(), m.markets.len()))
        .collect();
    // Registry ids by name, for the videos (linked to artists by name).
    let ids: HashMap<String, i64> = charts
        .iter()
        .flat_map(|c| &c.artists)
        .filter_map(|a| Some((a.name.clone(), a.artist_id?)))
        .collect();
    let claims = ClaimKind::ALL
        .iter()
        .map(|&kind| {
            let results: Vec<ClaimResult> = match kind {
                ClaimKind::Engagement => measure::engagement_checked(
                    &videos,
                    &settings.cohorts,
                    &artists,
                    &ids,
                    &settings.boot,
                ),
                ClaimKind::Reach
                | ClaimKind::Spread
                | ClaimKind::HomeDependence
                | ClaimKind::Sound
                | ClaimKind::Collaboration
                | ClaimKind::ReachTrend
                | ClaimKind::BreakoutAbroad => measured
                    .iter()
                    .flat_map(|(_, claims)| claims.iter().filter(|r| r.kind == kind).cloned())
                    .collect(),
            };
            let best = measure::best(&results, &markets);
            Claim {
                number: kind.number(),
                kind,
                claim: kind.text().replace("{a}", first).replace("{b}", second),
                columns: kind.columns(first, second),
                statistic: kind.statistic().to_string(),
                metric: kind.metric(),
                needs: kind.needs(),
                best_chart: best.map(|i| results[i].chart.clone()),
                best_reason: best_reason(kind, &results, best),
                verdict: Headline::of(&results, best),
                caveats: caveats(kind, &measured, &home_markets, &settings.cohorts),
                results,
            }
        })
        .collect();
    let trend = charts
        .iter()
        .flat_map(|c| {
            measure::yearly_gaps(c, &settings.cohorts)
                .into_iter()
                .map(|gap| TrendRow {
                    chart: c.name.to_string(),
                    gap,
                })
        })
        .collect();
    Ok(Report {
        title: format!("Does {first} travel further than {second}?"),
        chartlens_version: env!("CARGO_PKG_VERSION"),
        simulated: settings.simulated.clone(),
        cohorts: settings.cohorts.clone(),
        home_markets,
        filters: settings.filters_text.clone(),
        bootstrap: BootstrapInfo {
            resamples: settings.boot.resamples,
            seed: settings.boot.seed,
            level: settings.boot.level,
            method: BOOTSTRAP_METHOD,
        },
        verdict_rule: measure::VERDICT_RULE,
        claims,
        share_by_month: share_series(&charts, |c| &c.share_by_month, true),
        share_by_market: share_series(&charts, |c| &c.share_by_market, false),
        backbone,
        convergence,
        charts: measured.into_iter().map(|(m, _)| m).collect(),
        trend,
        methods: metrics::ALL.iter().map(Method::from).collect(),
    })
}

/// The backbone of every chart, from the tracks' first dates per market.
fn backbone(charts: &[data::ChartData]) -> Vec<BackboneEdge> {
    let firsts: Vec<ChartFirsts> = charts
        .iter()
        .map(|c| {
            let markets: Vec<String> = c.markets.iter().cloned().collect();
            let index: HashMap<&str, u16> = markets
                .iter()
                .enumerate()
                .map(|(i, m)| (m.as_str(), i as u16))
                .collect();
            let tracks = c
                .tracks
                .iter()
                .map(|t| {
                    let mut firsts: Vec<(i32, u16)> = t
                        .markets
                        .iter()
                        .filter_map(|m| Some((m.first_day, *index.get(&*m.market)?)))
                        .collect();
                    firsts.sort_unstable();
                    TrackFirsts {
                        key: t.key.clone(),
                        name: String::new(),
                        artists: String::new(),
                        firsts,
                    }
                })
                .collect();
            ChartFirsts {
                source: c.name.source.clone(),
                chart: c.name.chart.clone(),
                markets,
                tracks,
                starts: Vec::new(),
            }
        })
        .collect();
    network::backbone(&firsts)
        .into_iter()
        .map(|e| BackboneEdge {
            chart: format!("{}/{}", e.source, e.chart),
            share: (e.entered_after > 0).then(|| f64::from(e.tracks) / f64::from(e.entered_after)),
            market: e.market,
            from: e.from,
            tracks: e.tracks,
        })
        .collect()
}

/// The mean overlap of markets' charts per chart and year.
async fn convergence(
    ctx: &datafusion::prelude::SessionContext,
    filters: &Filters,
    boot: &Bootstrap,
) -> Result<Vec<ConvergenceRow>, StudyError> {
    let market_years = data::query(ctx, &diversity::overlap_markets(filters)).await?;
    let tracks = data::query(ctx, &diversity::overlap_tracks(filters)).await?;
    let years = diversity::overlaps(&market_years, &tracks)?;
    Ok(years
        .iter()
        .map(|y| {
            let (mean, pairs, interval) = y.summary(boot);
            ConvergenceRow {
                chart: format!("{}/{}", y.source, y.chart),
                year: y.year,
                markets: y.markets.len(),
                pairs,
                mean_jaccard: mean,
                low: interval.map(|i| i.low),
                high: interval.map(|i| i.high),
            }
        })
        .collect())
}

/// Per cohort, the origin most of its charting artists share.
fn home_markets(charts: &[data::ChartData], cohorts: &[String]) -> BTreeMap<String, String> {
    let mut counts: HashMap<(&str, &str), usize> = HashMap::new();
    for chart in charts {
        for artist in &chart.artists {
            if let (Some(c), Some(o)) = (&artist.cohort, &artist.origin) {
                *counts.entry((c.as_str(), o.as_str())).or_insert(0) += 1;
            }
        }
    }
    cohorts
        .iter()
        .filter_map(|cohort| {
            let home = counts
                .iter()
                .filter(|((c, _), _)| c == cohort)
                .max_by_key(|((_, o), n)| (**n, std::cmp::Reverse(*o)))?;
            Some((cohort.clone(), home.0.1.to_string()))
        })
        .collect()
}

/// Whether the month starting on `month` (`YYYY-MM-DD`) is only partly
/// covered by a chart's periods, from its first period's start to its last
/// period's end (start plus the cadence).
fn partial_month(chart: &data::ChartData, month: &str) -> bool {
    use chrono::{Datelike, Months, NaiveDate};
    let (Ok(start), Some(epoch)) = (
        NaiveDate::parse_from_str(month, "%Y-%m-%d"),
        NaiveDate::from_ymd_opt(1970, 1, 1),
    ) else {
        return false;
    };
    let start = start.with_day(1).unwrap_or(start);
    let Some(next) = start.checked_add_months(Months::new(1)) else {
        return false;
    };
    let (first, last) = ((start - epoch).num_days(), (next - epoch).num_days() - 1);
    let covered_to = i64::from(chart.last_day) + i64::from(chart.cadence_days) - 1;
    first < i64::from(chart.first_day) || last > covered_to
}

fn share_series(
    charts: &[data::ChartData],
    rows: impl Fn(&data::ChartData) -> &Vec<data::ShareRow>,
    months: bool,
) -> Vec<ShareSeries> {
    let mut out = Vec::new();
    for chart in charts {
        let mut by_cohort: BTreeMap<&str, Vec<(String, f64)>> = BTreeMap::new();
        for row in rows(chart) {
            by_cohort
                .entry(row.cohort.as_str())
                .or_default()
                .push((row.group.clone(), row.entry_pct));
        }
        for (cohort, mut points) in by_cohort {
            points.sort_by(|a, b| a.0.cmp(&b.0));
            let partial = points
                .iter()
                .filter(|(g, _)| months && partial_month(chart, g))
                .map(|(g, _)| g.clone())
                .collect();
            out.push(ShareSeries {
                chart: chart.name.to_string(),
                cohort: cohort.to_string(),
                points,
                partial,
            });
        }
    }
    out
}

/// Why the chosen chart answers a claim best, and whether charts disagree.
fn best_reason(kind: ClaimKind, results: &[ClaimResult], best: Option<usize>) -> String {
    let measured = !results.is_empty();
    let Some(best) = best.map(|i| &results[i]) else {
        return if measured {
            "No chart or platform gives both cohorts usable observations: see the notes in \
             the table (for videos: hidden counts, and view counts that fell between \
             snapshots)."
                .to_string()
        } else if kind == ClaimKind::Engagement {
            "No engagement data links videos to both cohorts: ingesting YouTube Data API \
             videos.list snapshots (or TikTok Research API video queries) of videos that are \
             on a YouTube chart in the store would answer it."
                .to_string()
        } else {
            "No chart in the selection could measure it.".to_string()
        };
    };
    let n = best.n[0].min(best.n[1]);
    let mut text = format!(
        "{} has the largest smaller group (n = {n}) among the charts that answer this claim.",
        best.chart
    );
    if Headline::of(results, None) == Headline::Mixed {
        text.push_str(
            " The charts disagree: at least one supports the claim and another contradicts it, \
             so the headline is mixed; every chart's verdict is in the table.",
        );
    }
    text
}

/// What limits a claim: classification coverage, missing home markets, and
/// the dates, per chart.
fn caveats(
    kind: ClaimKind,
    measured: &[(ChartMeasures, Vec<ClaimResult>)],
    homes: &BTreeMap<String, String>,
    cohorts: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    if kind == ClaimKind::Engagement {
        out.push(
            "Videos are linked to artists through the YouTube chart entries that point to them; \
             videos never on a chart in the store, and TikTok videos, have no cohort yet. Every \
             video snapshot in the store is read, whatever the chart selection."
                .to_string(),
        );
        return out;
    }
    for (m, _) in measured {
        let missing: Vec<String> = cohorts
            .iter()
            .filter_map(|c| {
                let home = homes.get(c)?;
                (!m.markets.contains(home)).then(|| {
                    let name =
                        Region::from_code(home).map_or(home.clone(), |r| r.name().to_string());
                    format!("{name} (home of most {c} artists)")
                })
            })
            .collect();
        let mut text = format!(
            "{}: {} markets, {} to {}, {:.1}% of entries by an artist of some cohort.",
            m.chart,
            m.markets.len(),
            m.first_date,
            m.last_date,
            m.classified_pct
        );
        if !missing.is_empty() {
            text.push_str(&format!(" Not in the data: {}.", missing.join(", ")));
        }
        out.push(text);
    }
    match kind {
        ClaimKind::Spread => out.push(
            "Bass fits use only tracks whose whole horizon is observed; see the diffusion \
             curve method."
                .to_string(),
        ),
        ClaimKind::HomeDependence => out.push(
            "Artists whose home market is not in a chart are left out of that chart's export \
             share, and a chart without a cohort's home market leaves the claim unanswered: \
             without it, every entry would look exported."
                .to_string(),
        ),
        ClaimKind::Sound => out.push(
            "Audio features come from imported Spotify artist-genre tables; artists without \
             them are left out."
                .to_string(),
        ),
        ClaimKind::Collaboration => out.push(
            "An association, not an effect: artists may collaborate on the tracks they expect \
             to travel. Robustness checks leave out tracks by their primary artist; a \
             collaboration keeps counting as one when only its featured artist is left out."
                .to_string(),
        ),
        ClaimKind::ReachTrend => out.push(format!(
            "Breadth within a year grows with the days covered: only years with at least {} \
             days of data are compared, and levels of different charts are not comparable. \
             The data's first year may hold fewer tracks released before it than later years \
             do, and a cohort near its ceiling cannot gain as much.",
            measure::MIN_YEAR_DAYS
        )),
        ClaimKind::BreakoutAbroad => out.push(
            "A track's lead markets are where it charted first, which depends on how sensitive \
             each chart is (a viral chart reacts faster than a top chart) as much as on where \
             listeners found it. Continents are geographic (Turkey and Russia in Europe, \
             Central America in North America); tracks of artists of unknown origin, and tracks \
             already charting when the data starts, are left out."
                .to_string(),
        ),
        ClaimKind::Reach | ClaimKind::Engagement => {}
    }
    out
}
