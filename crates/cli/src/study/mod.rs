//! `chartlens study`: tests claims about two cohorts (by default the popular
//! story that K-pop travels and J-pop stays home) on every chart of the store,
//! and writes the evidence as `report.json`, `report.md` and a self-contained
//! `index.html`.
//!
//! The study reads the store through the metrics' SQL ([`data`]), measures
//! each chart on its own ([`measure`]), and the renderers in `crate::report`
//! only format what [`Report`] holds, so every number in a page is in the
//! JSON too.

pub mod data;
pub mod measure;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use chartlens_model::Region;
use chartlens_model::metrics::{self, Filters, MetricDoc};
use chartlens_model::stats::Bootstrap;
use chartlens_store::Store;
use rayon::prelude::*;
use serde::Serialize;

use measure::{ChartMeasures, Claim, ClaimResult, Verdict};

/// The study's claims, with the statistic each compares and the metric that
/// defines it. `{a}` and `{b}` are the two cohorts.
const CLAIMS: [(&str, &str, &str); 7] = [
    (
        "{a} reaches more markets than {b}.",
        "Mean markets per charting artist (breadth); bootstrap over artists.",
        metrics::BREADTH.name,
    ),
    (
        "{a} spreads faster by word of mouth (imitation) than {b}.",
        "Bass imitation coefficient q of the cohort's diffusion curve (per week); bootstrap \
         over tracks, the curve refitted on each resample: the rate at which markets follow \
         markets already reached. T_N medians (uncensored tracks) are in the measures.",
        metrics::BASS.name,
    ),
    (
        "{a} depends less on its home market than {b}.",
        "Export share: percent of the cohort's entries outside each artist's origin market, \
         over artists whose origin market has a chart in the data; bootstrap over artists.",
        metrics::HOME.name,
    ),
    (
        "{a}'s sound is more diverse than {b}'s.",
        "Dispersion of the seven 0-1 audio features of the cohort's charting artists; \
         bootstrap over artists.",
        metrics::SOUND.name,
    ),
    (
        "Collaborations with artists of other cohorts widen {a}'s reach.",
        "Lift: mean markets of the first cohort's cross-cohort collaborations minus that of its \
         other tracks; bootstrap over tracks. The second cohort's lift is shown for comparison.",
        metrics::COLLABORATION.name,
    ),
    (
        "{a}'s reach advantage over {b} grew over the period covered.",
        "Gap = mean markets per artist of the first cohort minus the second's, within a \
         calendar year; the claim compares the last year with the first (both cohorts \
         present); bootstrap over artists within each year and cohort.",
        metrics::BREADTH.name,
    ),
    (
        "{a}'s fans engage more per view than {b}'s.",
        "Median engagement rate, (likes + comments) / views at each video's latest snapshot, \
         per platform; bootstrap over videos. Videos with hidden counts, and videos whose view \
         count fell between snapshots, are left out and counted.",
        metrics::ENGAGEMENT.name,
    ),
];

/// What `chartlens study` was asked.
#[derive(Debug, Clone)]
pub struct StudySettings {
    pub cohorts: Vec<String>,
    pub filters: Filters,
    pub filters_text: String,
    pub boot: Bootstrap,
    pub simulated: Option<String>,
}

/// Everything the report says, in the order it says it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub title: String,
    pub chartlens_version: &'static str,
    /// Set when the data is simulated: what simulated it, with which parameters.
    pub simulated: Option<String>,
    pub cohorts: Vec<String>,
    /// The market most of each cohort's artists come from.
    pub home_markets: BTreeMap<String, String>,
    pub filters: String,
    pub bootstrap: BootstrapInfo,
    pub verdict_rule: &'static str,
    pub claims: Vec<Claim>,
    pub charts: Vec<ChartMeasures>,
    pub trend: Vec<TrendRow>,
    /// Per chart, per month and cohort, the share of entries (for the plot).
    pub share_by_month: Vec<ShareSeries>,
    /// Per chart, per market and cohort, the share of entries (for the map).
    pub share_by_market: Vec<ShareSeries>,
    pub methods: Vec<Method>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BootstrapInfo {
    pub resamples: usize,
    pub seed: u64,
    pub level: f64,
    pub method: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrendRow {
    pub chart: String,
    #[serde(flatten)]
    pub gap: measure::YearGap,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShareSeries {
    pub chart: String,
    pub cohort: String,
    /// (month or market, entry share in percent)
    pub points: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Method {
    pub name: &'static str,
    pub what: &'static str,
    pub formula: &'static str,
    pub caveats: &'static str,
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
    cohort; the collaboration lift resamples the first cohort's tracks. The random stream is ChaCha8 seeded with the stated seed \
    (the Bass fits of the second cohort with seed + 1), so a rerun gives the same intervals.";

/// Reads the store, measures every chart, and assembles the report.
pub fn run(
    store: &Store,
    cohorts: chartlens_model::cohort::Cohorts,
    settings: &StudySettings,
) -> anyhow::Result<Report> {
    let [first, second] = settings.cohorts.as_slice() else {
        bail!("--cohorts takes two cohorts, as FIRST,SECOND");
    };
    let artists = Arc::new(store.artists(cohorts)?);
    let ctx = store.session_with(artists.clone())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let charts = runtime
        .block_on(data::load(&ctx, &settings.filters))
        .context("reading the store")?;
    let videos = runtime
        .block_on(data::videos(&ctx))
        .context("reading video engagement")?;
    if charts.is_empty() {
        bail!("the store has no chart entries for this selection; ingest charts first");
    }
    let measured: Vec<(ChartMeasures, Vec<Option<ClaimResult>>)> = charts
        .par_iter()
        .map(|c| measure::chart(c, &settings.cohorts, &artists, &settings.boot))
        .collect();
    let markets: BTreeMap<String, usize> = measured
        .iter()
        .map(|(m, _)| (m.chart.clone(), m.markets.len()))
        .collect();
    let home_markets = home_markets(&charts, &settings.cohorts);
    let claims = CLAIMS
        .iter()
        .enumerate()
        .map(|(k, (claim, statistic, metric))| {
            let results: Vec<ClaimResult> = if k == 6 {
                measure::engagement(&videos, &settings.cohorts, &settings.boot)
            } else {
                measured
                    .iter()
                    .filter_map(|(_, claims)| claims.get(k).cloned().flatten())
                    .collect()
            };
            let best = measure::best(&results, &markets);
            let caveats = caveats(k, &measured, &home_markets, &settings.cohorts);
            let columns = match k {
                4 => [format!("{first} lift"), format!("{second} lift")],
                5 => ["Gap, first year".to_string(), "Gap, last year".to_string()],
                _ => [first.clone(), second.clone()],
            };
            Claim {
                number: k as u8 + 1,
                claim: claim.replace("{a}", first).replace("{b}", second),
                columns,
                statistic: statistic.to_string(),
                metric,
                best_chart: best.map(|i| results[i].chart.clone()),
                best_reason: best_reason(k, best.map(|i| &results[i]), !results.is_empty()),
                verdict: best.map_or(Verdict::Unanswered, |i| results[i].verdict),
                results,
                caveats,
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
        share_by_month: share_series(&charts, |c| &c.share_by_month),
        share_by_market: share_series(&charts, |c| &c.share_by_market),
        charts: measured.into_iter().map(|(m, _)| m).collect(),
        trend,
        methods: metrics::ALL.iter().map(Method::from).collect(),
    })
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

fn share_series(
    charts: &[data::ChartData],
    rows: impl Fn(&data::ChartData) -> &Vec<data::ShareRow>,
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
            out.push(ShareSeries {
                chart: chart.name.to_string(),
                cohort: cohort.to_string(),
                points,
            });
        }
    }
    out
}

/// Why the chosen chart answers a claim best.
fn best_reason(claim: usize, best: Option<&ClaimResult>, measured: bool) -> String {
    let Some(best) = best else {
        return if measured {
            "No chart or platform gives both cohorts usable observations: see the notes in \
             the table (for videos: hidden counts, and view counts that fell between \
             snapshots)."
                .to_string()
        } else if claim == 6 {
            "No engagement data links videos to both cohorts: ingesting YouTube Data API \
             videos.list snapshots (or TikTok Research API video queries) of videos that are \
             on a YouTube chart in the store would answer it."
                .to_string()
        } else {
            "No chart in the selection could measure it.".to_string()
        };
    };
    let n = best.difference.as_ref().map_or(0, |d| d.n);
    format!(
        "{} has the largest smaller group (n = {n}) among the charts that measure this claim.",
        best.chart
    )
}

/// What limits a claim: classification coverage, missing home markets, and
/// the dates, per chart.
fn caveats(
    claim: usize,
    measured: &[(ChartMeasures, Vec<Option<ClaimResult>>)],
    homes: &BTreeMap<String, String>,
    cohorts: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    if claim == 6 {
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
    match claim {
        1 => out.push(
            "Bass fits use only tracks whose whole horizon is observed; see the diffusion \
             curve method."
                .to_string(),
        ),
        2 => out.push(
            "Artists whose home market is not in a chart are left out of that chart's export \
             share: without it, every entry would look exported."
                .to_string(),
        ),
        3 => out.push(
            "Audio features come from imported Spotify artist-genre tables; artists without \
             them are left out."
                .to_string(),
        ),
        5 => out.push(format!(
            "Breadth within a year grows with the days covered: only years with at least {} \
             days of data are compared, and levels of different charts are not comparable. \
             The data's first year has no carry-over of earlier releases, which lowers every \
             cohort's breadth there, and a cohort near its ceiling cannot gain as much: on \
             simulated data with no trend at all this alone can move the gap.",
            measure::MIN_YEAR_DAYS
        )),
        _ => {}
    }
    out
}

/// Writes `report.json`, `report.md` and `index.html` into `out`.
pub fn write(report: &Report, out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let files = [
        ("report.json", serde_json::to_string_pretty(report)? + "\n"),
        ("report.md", crate::report::markdown::render(report)),
        ("index.html", crate::report::html::render(report)),
    ];
    for (name, text) in files {
        let path = out.join(name);
        let tmp = out.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
