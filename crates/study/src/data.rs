//! What the study reads from the store: the metrics' SQL (breadth, home
//! share, cohort share, engagement from `chartlens_metrics`) run once
//! over every chart, plus reading queries of its own on the summary tables
//! (each market's published periods from `chart_periods`; each track's first
//! day and first run per market with its primary artist's cohort, and the
//! cohorts of each track's credits, from `track_markets`), turned into plain
//! per-chart structures that grow with tracks and markets, not entries. The
//! measures on them are in [`super::measure`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use chartlens_metrics::{self as metrics, Filters, Grain};
use chrono::NaiveDate;

use crate::error::StudyError;

type Result<T> = std::result::Result<T, StudyError>;
use datafusion::prelude::SessionContext;

/// A chart as the study sees it: one source and chart name, never pooled.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChartName {
    /// Platform, e.g. `spotify`.
    pub source: String,
    /// Chart name, e.g. `top200`.
    pub chart: String,
}

impl std::fmt::Display for ChartName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.source, self.chart)
    }
}

/// One track of one chart: where and when it charted.
#[derive(Debug, Clone, Default)]
pub struct Track {
    /// The track key (`chartlens_metrics::TRACK_KEY`): its id, or its credits and title.
    pub key: String,
    /// The cohort of its primary artist.
    pub cohort: Option<String>,
    /// Its primary artist (registry id), when resolved.
    pub artist_id: Option<i64>,
    /// Per market it charted in (GLOBAL left out), by market code.
    pub markets: Vec<TrackMarket>,
    /// T_N for N = 2, 5, 10, 20 (`chartlens_metrics::spread`).
    pub t_days: [Option<i64>; 4],
    /// Another credited artist resolves to a different cohort.
    pub collaboration: bool,
}

/// A track in one market, from `track_markets`.
#[derive(Debug, Clone)]
pub struct TrackMarket {
    /// The market's code.
    pub market: Arc<str>,
    /// The first day (since 1970-01-01) of the first period it charted in.
    pub first_day: i32,
    /// Its first run: consecutive published periods from the first.
    pub first_run: u32,
    /// The first run starts on the market's first period (left-censored).
    pub from_start: bool,
    /// The first run reaches the market's last period (right-censored).
    pub open: bool,
}

impl Track {
    /// Number of markets it charted in (GLOBAL left out).
    pub fn markets(&self) -> usize {
        self.markets.len()
    }

    /// Its first day in each market, ascending by day then market code.
    pub fn firsts(&self) -> Vec<(i32, &str)> {
        let mut firsts: Vec<(i32, &str)> = self
            .markets
            .iter()
            .map(|m| (m.first_day, &*m.market))
            .collect();
        firsts.sort_unstable();
        firsts
    }
}

/// One artist's presence on one chart (from the breadth and home metrics).
#[derive(Debug, Clone)]
pub struct ArtistRow {
    /// The registry artist's name, or the credited name when it does not resolve.
    pub name: String,
    /// The artist's cohort; None when in no cohort.
    pub cohort: Option<String>,
    /// ISO code of the artist's origin, when known.
    pub origin: Option<String>,
    /// Registry id (`artists.artist_id`), None when the name does not resolve.
    pub artist_id: Option<i64>,
    /// Distinct markets the artist charted in (GLOBAL left out).
    pub markets: i64,
    /// Entries crediting the artist.
    pub entries: i64,
    /// Entries outside GLOBAL and the home market, when the origin is known.
    pub export_entries: Option<i64>,
    /// Entries outside GLOBAL, when the origin is known.
    pub home_base: Option<i64>,
    /// The origin market has a chart in the selection.
    pub home_in_data: bool,
}

/// A cohort's share of one group (a month or a market) of a chart.
#[derive(Debug, Clone)]
pub struct ShareRow {
    /// The month (`YYYY-MM-DD`, its first day) or the market code.
    pub group: String,
    /// The cohort's name, or `none`.
    pub cohort: String,
    /// Entries of the cohort in the group.
    pub entries: i64,
    /// The cohort's share of the group's entries, in percent.
    pub entry_pct: f64,
}

/// Everything the study reads about one chart.
#[derive(Debug, Clone)]
pub struct ChartData {
    /// Which chart this is.
    pub name: ChartName,
    /// Every market with at least one entry (GLOBAL left out).
    pub markets: BTreeSet<String>,
    /// Whether the chart has a GLOBAL edition in the selection.
    pub has_global: bool,
    /// The earliest period start in any market, in days since 1970-01-01.
    pub first_day: i32,
    /// The latest period start in any market, in days since 1970-01-01.
    pub last_day: i32,
    /// Per market, its published periods (days), ascending.
    pub periods: BTreeMap<String, Vec<i32>>,
    /// The usual gap between two published periods, in days (7 for weekly).
    pub cadence_days: i32,
    /// Every track that charted in a market, by key.
    pub tracks: Vec<Track>,
    /// Every artist that charted, with breadth and export share.
    pub artists: Vec<ArtistRow>,
    /// Per calendar year, the artists' breadth within that year.
    pub artists_by_year: BTreeMap<i32, Vec<ArtistRow>>,
    /// Per month, each cohort's share of entries.
    pub share_by_month: Vec<ShareRow>,
    /// Per market, each cohort's share of entries.
    pub share_by_market: Vec<ShareRow>,
}

/// Runs the queries and groups their rows by chart. Tracks are read from
/// `track_markets` (one row per track, credit line and market), so memory
/// grows with tracks and markets, not with entries; with a period filter
/// the session's `track_markets` must summarise that period only
/// ([`crate::run`] registers it so).
pub async fn load(ctx: &SessionContext, filters: &Filters) -> Result<Vec<ChartData>> {
    // `track_markets` and `chart_periods` already hold the period only.
    let chart_rows = Filters {
        from: None,
        to: None,
        ..filters.clone()
    };
    let summary_cond = chart_rows.condition_on(Grain::TrackMarkets);
    let mut charts: BTreeMap<ChartName, ChartData> = BTreeMap::new();
    let periods = query(
        ctx,
        &format!(
            "SELECT e.source, e.chart, e.region, CAST(e.period_start AS INT) AS day \
             FROM chart_periods e WHERE {} ORDER BY e.source, e.chart, e.region, day",
            chart_rows.chart_rows().condition()
        ),
    )
    .await?;
    let mut names: BTreeMap<String, Arc<str>> = BTreeMap::new();
    for batch in &periods {
        let (source, chart) = (strings(batch, "source")?, strings(batch, "chart")?);
        let (region, day) = (strings(batch, "region")?, ints(batch, "day")?);
        for i in 0..batch.num_rows() {
            let (Some(region), Some(day)) = (&region[i], day[i]) else {
                continue;
            };
            let name = chart_name(&source[i], &chart[i]);
            let day = day as i32;
            let data = charts
                .entry(name.clone())
                .or_insert_with(|| ChartData::empty(name));
            data.first_day = data.first_day.min(day);
            data.last_day = data.last_day.max(day);
            data.periods.entry(region.clone()).or_default().push(day);
            if region == "GLOBAL" {
                data.has_global = true;
            } else {
                data.markets.insert(region.clone());
            }
        }
    }
    for data in charts.values_mut() {
        data.cadence_days = cadence(&data.periods);
    }

    let rows = query(
        ctx,
        &format!(
            "SELECT e.source, e.chart, e.track_key AS track, e.region, \
                    CAST(e.first_date AS INT) AS day, e.first_run, e.run_from_start, e.run_open, \
                    a.cohort, a.artist_id \
             FROM track_markets e \
             LEFT JOIN credits c ON c.artist_names = e.artist_names \
                  AND c.track_name = e.track_name AND c.position = 1 \
             LEFT JOIN artists a ON a.artist_id = c.artist_id \
             WHERE e.region <> 'GLOBAL' AND {summary_cond}"
        ),
    )
    .await?;
    let mut tracks: HashMap<(ChartName, String), Track> = HashMap::new();
    for batch in &rows {
        let (source, chart, track) = (
            strings(batch, "source")?,
            strings(batch, "chart")?,
            strings(batch, "track")?,
        );
        let (region, day, cohort) = (
            strings(batch, "region")?,
            ints(batch, "day")?,
            strings(batch, "cohort")?,
        );
        let (first_run, from_start, open) = (
            ints(batch, "first_run")?,
            bools(batch, "run_from_start")?,
            bools(batch, "run_open")?,
        );
        let artist_id = ints(batch, "artist_id")?;
        for i in 0..batch.num_rows() {
            let (Some(region), Some(day)) = (&region[i], day[i]) else {
                continue;
            };
            let day = day as i32;
            let key = track[i].clone().unwrap_or_default();
            let entry = tracks
                .entry((chart_name(&source[i], &chart[i]), key.clone()))
                .or_insert_with(|| Track {
                    key,
                    ..Track::default()
                });
            // One track id can carry different credits across files: take
            // the smallest cohort name seen (then the smallest artist id),
            // whatever the order rows arrive in.
            if let Some(c) = &cohort[i]
                && entry
                    .cohort
                    .as_ref()
                    .is_none_or(|old| c < old || (c == old && artist_id[i] < entry.artist_id))
            {
                entry.cohort = Some(c.clone());
                entry.artist_id = artist_id[i];
            }
            // A track with several credit lines in a market has a row for
            // each, with the same runs: keep its first day.
            match entry.markets.iter_mut().find(|m| *m.market == **region) {
                Some(m) => m.first_day = m.first_day.min(day),
                None => {
                    let market = match names.get(region.as_str()) {
                        Some(m) => m.clone(),
                        None => {
                            let m: Arc<str> = Arc::from(region.as_str());
                            names.insert(region.clone(), m.clone());
                            m
                        }
                    };
                    entry.markets.push(TrackMarket {
                        market,
                        first_day: day,
                        first_run: first_run[i].unwrap_or(0).max(0) as u32,
                        from_start: from_start[i].unwrap_or(true),
                        open: open[i].unwrap_or(true),
                    });
                }
            }
        }
    }

    // Collaborations: the cohorts of every credited artist of each track.
    let credits = query(
        ctx,
        &format!(
            "WITH t AS (SELECT DISTINCT e.source, e.chart, e.track_key AS track, \
                               e.artist_names, e.track_name \
                        FROM track_markets e WHERE e.region <> 'GLOBAL' AND {summary_cond}) \
             SELECT t.source, t.chart, t.track, c.position, a.cohort \
             FROM t JOIN credits c ON c.artist_names = t.artist_names \
                  AND c.track_name = t.track_name \
             JOIN artists a ON a.artist_id = c.artist_id \
             WHERE a.cohort IS NOT NULL"
        ),
    )
    .await?;
    let mut credit_cohorts: HashMap<(ChartName, String), BTreeSet<String>> = HashMap::new();
    for batch in &credits {
        let (source, chart, track, cohort) = (
            strings(batch, "source")?,
            strings(batch, "chart")?,
            strings(batch, "track")?,
            strings(batch, "cohort")?,
        );
        for i in 0..batch.num_rows() {
            if let (Some(track), Some(cohort)) = (&track[i], &cohort[i]) {
                credit_cohorts
                    .entry((chart_name(&source[i], &chart[i]), track.clone()))
                    .or_default()
                    .insert(cohort.clone());
            }
        }
    }

    for ((name, key), mut track) in tracks {
        track.markets.sort_by(|a, b| a.market.cmp(&b.market));
        let id = (name, key);
        track.t_days = chartlens_metrics::spread::days_to_nth(&track.firsts());
        if let (Some(own), Some(cohorts)) = (&track.cohort, credit_cohorts.get(&id)) {
            track.collaboration = cohorts.iter().any(|c| c != own);
        }
        if let Some(data) = charts.get_mut(&id.0) {
            data.tracks.push(track);
        }
    }
    for data in charts.values_mut() {
        data.tracks.sort_by(|a, b| a.key.cmp(&b.key));
    }

    // Artists: breadth with export share, and breadth per calendar year.
    for ((name, _), rows) in artist_rows(ctx, filters, false).await? {
        if let Some(data) = charts.get_mut(&name) {
            data.artists = rows;
        }
    }
    for ((name, year), rows) in artist_rows(ctx, filters, true).await? {
        if let (Some(data), Some(year)) = (charts.get_mut(&name), year) {
            data.artists_by_year.insert(year, rows);
        }
    }

    for (by, month) in [
        (metrics::ShareBy::Month, true),
        (metrics::ShareBy::Market, false),
    ] {
        let batches = query(ctx, &metrics::cohort_share(filters, by)).await?;
        for batch in &batches {
            let (source, chart) = (strings(batch, "source")?, strings(batch, "chart")?);
            let group = strings(batch, if month { "month" } else { "market" })?;
            let (cohort, entries, pct) = (
                strings(batch, "cohort")?,
                ints(batch, "entries")?,
                floats(batch, "entry_pct")?,
            );
            for i in 0..batch.num_rows() {
                let Some(data) = charts.get_mut(&chart_name(&source[i], &chart[i])) else {
                    continue;
                };
                let row = ShareRow {
                    group: group[i].clone().unwrap_or_default(),
                    cohort: cohort[i].clone().unwrap_or_default(),
                    entries: entries[i].unwrap_or(0),
                    entry_pct: pct[i].unwrap_or(0.0),
                };
                if month {
                    data.share_by_month.push(row);
                } else {
                    data.share_by_market.push(row);
                }
            }
        }
    }
    Ok(charts.into_values().collect())
}

impl ChartData {
    fn empty(name: ChartName) -> ChartData {
        ChartData {
            name,
            markets: BTreeSet::new(),
            has_global: false,
            first_day: i32::MAX,
            last_day: i32::MIN,
            periods: BTreeMap::new(),
            cadence_days: 1,
            tracks: Vec::new(),
            artists: Vec::new(),
            artists_by_year: BTreeMap::new(),
            share_by_month: Vec::new(),
            share_by_market: Vec::new(),
        }
    }

    /// The same chart without the given artists (registry ids): their
    /// artist rows, and the tracks whose primary artist they are. Shares of
    /// entries (the plots) are kept as they are.
    pub fn without(&self, left_out: &BTreeSet<i64>) -> ChartData {
        let keep = |id: Option<i64>| id.is_none_or(|id| !left_out.contains(&id));
        let rows = |rows: &[ArtistRow]| -> Vec<ArtistRow> {
            rows.iter().filter(|r| keep(r.artist_id)).cloned().collect()
        };
        ChartData {
            tracks: self
                .tracks
                .iter()
                .filter(|t| keep(t.artist_id))
                .cloned()
                .collect(),
            artists: rows(&self.artists),
            artists_by_year: self
                .artists_by_year
                .iter()
                .map(|(y, r)| (*y, rows(r)))
                .collect(),
            ..self.clone()
        }
    }

    /// Entries per cohort name (`none` for entries of no cohort).
    pub fn entries_by_cohort(&self) -> BTreeMap<&str, i64> {
        let mut out = BTreeMap::new();
        for row in &self.share_by_market {
            *out.entry(row.cohort.as_str()).or_insert(0) += row.entries;
        }
        out
    }
}

/// One video's engagement at its latest snapshot.
#[derive(Debug, Clone)]
pub struct VideoRow {
    /// Platform of the video, e.g. `youtube`.
    pub platform: String,
    /// The primary artist of the chart entry linked to it (registry name
    /// or credited name).
    pub artist: Option<String>,
    /// The cohort of that artist; None when in no cohort or unlinked.
    pub cohort: Option<String>,
    /// (likes + comments) / views; None when a count is hidden (or views 0).
    pub engagement_rate: Option<f64>,
    /// The view count fell between snapshots: not lifetime totals.
    pub views_fell: bool,
}

/// Every video's engagement, as the engagement metric defines it.
pub async fn videos(ctx: &SessionContext) -> Result<Vec<VideoRow>> {
    let sql = metrics::engagement(&Filters::default(), metrics::EngagementBy::Video);
    let mut out = Vec::new();
    for batch in &query(ctx, &sql).await? {
        let (platform, cohort) = (strings(batch, "platform")?, strings(batch, "cohort")?);
        let artist = strings(batch, "artist")?;
        let rate = floats(batch, "engagement_rate")?;
        let fell = bools(batch, "views_fell")?;
        for i in 0..batch.num_rows() {
            out.push(VideoRow {
                platform: platform[i].clone().unwrap_or_default(),
                artist: artist[i].clone(),
                cohort: cohort[i].clone(),
                engagement_rate: rate[i],
                views_fell: fell[i].unwrap_or(false),
            });
        }
    }
    Ok(out)
}

/// Breadth per artist, grouped by chart (and year when `per_year`), joined
/// with its export share when not per year.
async fn artist_rows(
    ctx: &SessionContext,
    filters: &Filters,
    per_year: bool,
) -> Result<BTreeMap<(ChartName, Option<i32>), Vec<ArtistRow>>> {
    let mut home: HashMap<(ChartName, i64), (i64, i64, bool)> = HashMap::new();
    let home_sql = metrics::home_share(filters, metrics::HomeBy::Artist);
    for batch in if per_year {
        Vec::new()
    } else {
        query(ctx, &home_sql).await?
    } {
        let (source, chart, artist) = (
            strings(&batch, "source")?,
            strings(&batch, "chart")?,
            ints(&batch, "artist_id")?,
        );
        let (entries, home_entries) = (ints(&batch, "entries")?, ints(&batch, "home_entries")?);
        let in_data = bools(&batch, "home_in_data")?;
        for i in 0..batch.num_rows() {
            let Some(id) = artist[i] else { continue };
            let key = (chart_name(&source[i], &chart[i]), id);
            let (n, h) = (entries[i].unwrap_or(0), home_entries[i].unwrap_or(0));
            home.insert(key, (n - h, n, in_data[i].unwrap_or(false)));
        }
    }
    let mut out: BTreeMap<(ChartName, Option<i32>), Vec<ArtistRow>> = BTreeMap::new();
    for batch in &query(ctx, &metrics::breadth_by_artist(filters, per_year)).await? {
        let (source, chart, artist) = (
            strings(batch, "source")?,
            strings(batch, "chart")?,
            strings(batch, "artist")?,
        );
        let year = if per_year {
            ints(batch, "year")?
        } else {
            vec![None; batch.num_rows()]
        };
        let (cohort, origin, id) = (
            strings(batch, "cohort")?,
            strings(batch, "origin_country")?,
            ints(batch, "artist_id")?,
        );
        let (markets, entries) = (ints(batch, "markets")?, ints(batch, "entries")?);
        for i in 0..batch.num_rows() {
            let name = chart_name(&source[i], &chart[i]);
            let artist = artist[i].clone().unwrap_or_default();
            let exported = id[i].and_then(|id| home.get(&(name.clone(), id)));
            let year = year[i].and_then(|y| i32::try_from(y).ok());
            out.entry((name, year)).or_default().push(ArtistRow {
                name: artist,
                cohort: cohort[i].clone(),
                origin: origin[i].clone(),
                artist_id: id[i],
                markets: markets[i].unwrap_or(0),
                entries: entries[i].unwrap_or(0),
                export_entries: exported.map(|e| e.0),
                home_base: exported.map(|e| e.1),
                home_in_data: exported.is_some_and(|e| e.2),
            });
        }
    }
    Ok(out)
}

pub(crate) async fn query(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    let failed = |source| StudyError::Query {
        sql: sql.to_string(),
        source,
    };
    ctx.sql(sql)
        .await
        .map_err(failed)?
        .collect()
        .await
        .map_err(failed)
}

fn chart_name(source: &Option<String>, chart: &Option<String>) -> ChartName {
    ChartName {
        source: source.clone().unwrap_or_default(),
        chart: chart.clone().unwrap_or_default(),
    }
}

/// The most common gap between consecutive published periods of a market.
fn cadence(periods: &BTreeMap<String, Vec<i32>>) -> i32 {
    let mut gaps: HashMap<i32, usize> = HashMap::new();
    for days in periods.values() {
        for pair in days.windows(2) {
            *gaps.entry(pair[1] - pair[0]).or_insert(0) += 1;
        }
    }
    gaps.into_iter()
        .max_by_key(|&(gap, n)| (n, std::cmp::Reverse(gap)))
        .map_or(1, |(gap, _)| gap.max(1))
}

/// The date of a day count since 1970-01-01.
pub fn date(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::days(day.into()))
}

fn column(batch: &RecordBatch, name: &str, to: &DataType) -> Result<Arc<dyn Array>> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| StudyError::Result(format!("no column {name}")))?;
    Ok(cast(column, to)?)
}

fn strings(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>> {
    let array = column(batch, name, &DataType::Utf8)?;
    Ok(array
        .as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

fn ints(batch: &RecordBatch, name: &str) -> Result<Vec<Option<i64>>> {
    let array = column(batch, name, &DataType::Int64)?;
    Ok(array.as_primitive::<Int64Type>().iter().collect())
}

fn floats(batch: &RecordBatch, name: &str) -> Result<Vec<Option<f64>>> {
    let array = column(batch, name, &DataType::Float64)?;
    Ok(array.as_primitive::<Float64Type>().iter().collect())
}

fn bools(batch: &RecordBatch, name: &str) -> Result<Vec<Option<bool>>> {
    let array = column(batch, name, &DataType::Boolean)?;
    Ok(array.as_boolean().iter().collect())
}
