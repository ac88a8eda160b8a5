//! Breakout alerts and their back-test ([`crate::ALERTS`]). A track alert
//! fires when a track reaches N markets within D days of its first; an
//! artist alert when the markets an artist charts in jump far above its
//! recent median. The back-test replays the track rule over the whole store
//! and asks how often an alert came before a track's wide success.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;

use crate::network::{ChartFirsts, Rows, TrackFirsts, float, int, text};
use crate::spread::{days, strs};
use crate::{Filters, Grain};

/// The track rule: N markets within D days of the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackRule {
    /// N: markets (at least 2).
    pub markets: usize,
    /// D: days from the track's first date.
    pub within_days: i32,
}

impl Default for TrackRule {
    fn default() -> TrackRule {
        TrackRule {
            markets: 3,
            within_days: 14,
        }
    }
}

impl TrackRule {
    /// The date the track's alert fires: the first date by which it has
    /// charted in N markets, when that is at most D days after its first.
    pub fn fires(&self, track: &TrackFirsts) -> Option<i32> {
        let date = track.firsts.get(self.markets.max(1) - 1)?.0;
        (date - track.first_day() <= self.within_days).then_some(date)
    }
}

/// Which kind of alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertKind {
    /// A track reaching N markets within D days.
    Track,
    /// An artist's markets surging above its recent median.
    Artist,
}

impl AlertKind {
    /// The name in tables and ids.
    pub fn name(self) -> &'static str {
        match self {
            AlertKind::Track => "track",
            AlertKind::Artist => "artist",
        }
    }
}

/// One alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Track or artist.
    pub kind: AlertKind,
    /// The chart's source.
    pub source: String,
    /// The chart.
    pub chart: String,
    /// The day it fires (days since 1970-01-01).
    pub date: i32,
    /// The track's name, or the artist's.
    pub subject: String,
    /// The track key, or the artist's id (`credit:` and the credited name
    /// when it resolves to no artist).
    pub subject_id: String,
    /// The track's credits, or the artist's name.
    pub artists: String,
    /// Track: the markets entered by the date, in order of entry (ties by
    /// code). Artist: the markets it charted in that period, by code.
    pub entered: Vec<String>,
    /// Track: the markets of its first date.
    pub leads: Vec<String>,
    /// Track: its first date.
    pub first_date: Option<i32>,
    /// Artist: the median and median absolute deviation of its markets over
    /// the previous periods (at most 12).
    pub baseline: Option<(f64, f64)>,
}

impl Alert {
    /// A stable identity: the same alert on a rerun has the same id.
    pub fn id(&self) -> String {
        format!(
            "{}/{}/{}/{}/{}",
            self.kind.name(),
            self.source,
            self.chart,
            self.subject_id,
            self.date
        )
    }
}

/// The track alerts of every chart.
pub fn track_alerts(charts: &[ChartFirsts], rule: TrackRule) -> Vec<Alert> {
    let mut out = Vec::new();
    for chart in charts {
        for track in &chart.tracks {
            let Some(date) = rule.fires(track) else {
                continue;
            };
            let code = |m: u16| chart.markets[m as usize].clone();
            out.push(Alert {
                kind: AlertKind::Track,
                source: chart.source.clone(),
                chart: chart.chart.clone(),
                date,
                subject: track.name.clone(),
                subject_id: track.key.clone(),
                artists: track.artists.clone(),
                entered: track
                    .firsts
                    .iter()
                    .take_while(|f| f.0 <= date)
                    .map(|f| code(f.1))
                    .collect(),
                leads: track.leads().map(code).collect(),
                first_date: Some(track.first_day()),
                baseline: None,
            });
        }
    }
    out
}

/// The periods of a series (counts per period, from the artist's first
/// period on) at which it surges: more than `k` median absolute deviations
/// above the median of the previous (at most 12) periods, with at least 6
/// previous periods; a MAD of 0 counts as 1. Each with that median and MAD.
pub fn surges(series: &[u32], k: f64) -> Vec<(usize, f64, f64)> {
    let mut out = Vec::new();
    let mut window = Vec::with_capacity(12);
    for p in 6..series.len() {
        if series[p] == 0 {
            // Nothing exceeds a median of counts >= 0 by k >= 0 MADs at 0.
            continue;
        }
        window.clear();
        window.extend(
            series[p.saturating_sub(12)..p]
                .iter()
                .map(|&c| f64::from(c)),
        );
        let Some(median) = chartlens_stats::median(&window) else {
            continue;
        };
        let deviations: Vec<f64> = window.iter().map(|c| (c - median).abs()).collect();
        let mad = chartlens_stats::median(&deviations).unwrap_or(0.0);
        let scale = if mad == 0.0 { 1.0 } else { mad };
        if f64::from(series[p]) > median + k * scale {
            out.push((p, median, mad));
        }
    }
    out
}

/// Per source, chart, artist (every credited artist, lead or featured;
/// resolved to the registry or kept as credited) and period: the markets it
/// charted in, one row each: `source, chart, who, artist, day, region`
/// (GLOBAL left out). The cohort filter applies to the artist.
pub fn artist_markets(filters: &Filters) -> String {
    let rows = filters.chart_rows();
    let grain = Grain::Entries;
    let cohort = filters
        .cohort
        .as_deref()
        .map_or(String::new(), |c| format!(" AND {}", crate::artist_in(c)));
    format!(
        "SELECT DISTINCT e.source, e.chart, \
                coalesce(CAST(a.artist_id AS VARCHAR), 'credit:' || c.credited_name) AS who, \
                coalesce(a.name, c.credited_name) AS artist, \
                CAST(e.period_start AS INT) AS day, e.region \
         FROM {} \
         JOIN credits c ON c.artist_names = e.artist_names AND c.track_name = e.track_name \
         LEFT JOIN artists a ON a.artist_id = c.artist_id \
         WHERE e.region <> 'GLOBAL' AND {}{cohort}",
        grain.table(),
        rows.condition_on(grain)
    )
}

/// The published periods of each chart (GLOBAL left out): `source, chart,
/// day`.
pub fn chart_days(filters: &Filters) -> String {
    format!(
        "SELECT DISTINCT e.source, e.chart, CAST(e.period_start AS INT) AS day \
         FROM chart_periods e WHERE e.region <> 'GLOBAL' AND {}",
        filters.chart_rows().condition()
    )
}

/// The artist alerts from the rows of [`artist_markets`] and [`chart_days`],
/// with threshold `k`.
pub fn artist_alerts(
    markets: &[RecordBatch],
    periods: &[RecordBatch],
    k: f64,
) -> Result<Vec<Alert>, ArrowError> {
    type Chart = (String, String);
    let mut chart_days: HashMap<Chart, Vec<i32>> = HashMap::new();
    for batch in periods {
        let (source, chart, day) = (strs(batch, "source")?, strs(batch, "chart")?, days(batch)?);
        for i in 0..batch.num_rows() {
            if day.is_valid(i) {
                let key = (
                    source[i].unwrap_or("").to_string(),
                    chart[i].unwrap_or("").to_string(),
                );
                chart_days.entry(key).or_default().push(day.value(i));
            }
        }
    }
    for list in chart_days.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    // (chart, who) -> (artist name, period index -> markets).
    type Series = (String, HashMap<usize, Vec<String>>);
    let mut artists: HashMap<(Chart, String), Series> = HashMap::new();
    for batch in markets {
        let (source, chart) = (strs(batch, "source")?, strs(batch, "chart")?);
        let (who, artist, region, day) = (
            strs(batch, "who")?,
            strs(batch, "artist")?,
            strs(batch, "region")?,
            days(batch)?,
        );
        for i in 0..batch.num_rows() {
            let (Some(who), Some(region), true) = (who[i], region[i], day.is_valid(i)) else {
                continue;
            };
            let chart = (
                source[i].unwrap_or("").to_string(),
                chart[i].unwrap_or("").to_string(),
            );
            let Some(p) = chart_days
                .get(&chart)
                .and_then(|d| d.binary_search(&day.value(i)).ok())
            else {
                continue;
            };
            let entry = artists
                .entry((chart, who.to_string()))
                .or_insert_with(|| (artist[i].unwrap_or("").to_string(), HashMap::new()));
            entry.1.entry(p).or_default().push(region.to_string());
        }
    }
    let mut out = Vec::new();
    for (((source, chart), who), (name, by_period)) in artists {
        let days = &chart_days[&(source.clone(), chart.clone())];
        let (Some(&start), Some(&end)) = (by_period.keys().min(), by_period.keys().max()) else {
            continue;
        };
        let series: Vec<u32> = (start..=end)
            .map(|p| by_period.get(&p).map_or(0, |m| m.len() as u32))
            .collect();
        for (offset, median, mad) in surges(&series, k) {
            let mut entered = by_period[&(start + offset)].clone();
            entered.sort_unstable();
            out.push(Alert {
                kind: AlertKind::Artist,
                source: source.clone(),
                chart: chart.clone(),
                date: days[start + offset],
                subject: name.clone(),
                subject_id: who.clone(),
                artists: name.clone(),
                entered,
                leads: Vec::new(),
                first_date: None,
                baseline: Some((median, mad)),
            });
        }
    }
    Ok(out)
}

/// Orders alerts by date, kind, source, chart and subject.
pub fn sort(alerts: &mut [Alert]) {
    alerts.sort_by(|a, b| {
        (
            a.date,
            a.kind,
            &a.source,
            &a.chart,
            &a.subject,
            &a.subject_id,
        )
            .cmp(&(
                b.date,
                b.kind,
                &b.source,
                &b.chart,
                &b.subject,
                &b.subject_id,
            ))
    });
}

/// The schema of the alert table: `date, kind, source, chart, subject,
/// subject_id, artists, markets, entered, lead_markets, first_date,
/// days_from_first, baseline_median, baseline_mad`.
pub fn alerts_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("date", DataType::Date32, true),
        text("kind"),
        text("source"),
        text("chart"),
        text("subject"),
        text("subject_id"),
        text("artists"),
        int("markets"),
        text("entered"),
        text("lead_markets"),
        Field::new("first_date", DataType::Date32, true),
        int("days_from_first"),
        float("baseline_median"),
        float("baseline_mad"),
    ]))
}

/// The alerts as a table, markets joined by `;`.
pub fn alerts_table(alerts: &[Alert]) -> Result<RecordBatch, ArrowError> {
    let mut rows = Rows::new(alerts_schema());
    for a in alerts {
        rows.dates([Some(a.date), a.first_date]);
        rows.text(&[
            a.kind.name(),
            &a.source,
            &a.chart,
            &a.subject,
            &a.subject_id,
            &a.artists,
        ]);
        rows.opt_text([
            Some(a.entered.join(";")),
            (a.kind == AlertKind::Track).then(|| a.leads.join(";")),
        ]);
        rows.ints([
            Some(a.entered.len() as i64),
            a.first_date.map(|f| i64::from(a.date - f)),
        ]);
        rows.floats([a.baseline.map(|b| b.0), a.baseline.map(|b| b.1)]);
    }
    rows.finish()
}

/// One back-test row.
#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    /// The chart's source.
    pub source: String,
    /// The chart.
    pub chart: String,
    /// N and D.
    pub rule: TrackRule,
    /// T: the markets that make a track a wide success.
    pub target: usize,
    /// Tracks with an alert.
    pub alerted: u64,
    /// Tracks that reached T markets.
    pub reached: u64,
    /// Alerted tracks that reached T / alerted.
    pub precision: Option<f64>,
    /// Tracks that reached T and were alerted strictly before the date they
    /// did / reached.
    pub recall: Option<f64>,
    /// Median over the recalled tracks of (date reaching T - alert date).
    pub median_lead_days: Option<f64>,
}

/// The back-test of `rule` against `target` on one chart's tracks.
pub fn backtest(chart: &ChartFirsts, rule: TrackRule, target: usize) -> Backtest {
    let (mut alerted, mut hits, mut reached) = (0u64, 0u64, 0u64);
    let mut leads = Vec::new();
    for track in &chart.tracks {
        let alert = rule.fires(track);
        let success = track.firsts.get(target.max(1) - 1).map(|f| f.0);
        if alert.is_some() {
            alerted += 1;
            if success.is_some() {
                hits += 1;
            }
        }
        if let Some(success) = success {
            reached += 1;
            if let Some(alert) = alert.filter(|&a| a < success) {
                leads.push(f64::from(success - alert));
            }
        }
    }
    let share = |k: u64, n: u64| (n > 0).then(|| k as f64 / n as f64);
    Backtest {
        source: chart.source.clone(),
        chart: chart.chart.clone(),
        rule,
        target,
        alerted,
        reached,
        precision: share(hits, alerted),
        recall: share(leads.len() as u64, reached),
        median_lead_days: chartlens_stats::median(&leads),
    }
}

/// The schema of the back-test table: `source, chart, markets,
/// within_days, target, alerted, reached, precision, recall,
/// median_lead_days`.
pub fn backtest_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        text("source"),
        text("chart"),
        int("markets"),
        int("within_days"),
        int("target"),
        int("alerted"),
        int("reached"),
        float("precision"),
        float("recall"),
        float("median_lead_days"),
    ]))
}

/// The back-test rows as a table.
pub fn backtest_table(rows_in: &[Backtest]) -> Result<RecordBatch, ArrowError> {
    let mut rows = Rows::new(backtest_schema());
    for b in rows_in {
        rows.text(&[&b.source, &b.chart]);
        rows.ints([
            Some(b.rule.markets as i64),
            Some(i64::from(b.rule.within_days)),
            Some(b.target as i64),
            Some(b.alerted as i64),
            Some(b.reached as i64),
        ]);
        rows.floats([b.precision, b.recall, b.median_lead_days]);
    }
    rows.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(firsts: &[(i32, u16)]) -> TrackFirsts {
        TrackFirsts {
            key: "t".into(),
            name: "T".into(),
            artists: "A".into(),
            firsts: firsts.to_vec(),
        }
    }

    #[test]
    fn track_rule_fires_at_the_nth_market_within_d_days() {
        let rule = TrackRule::default();
        // Markets on days 0, 0, 14: the third on day 14 = 0 + 14: fires.
        assert_eq!(rule.fires(&track(&[(0, 0), (0, 1), (14, 2)])), Some(14));
        // The third on day 15: too late.
        assert_eq!(rule.fires(&track(&[(0, 0), (0, 1), (15, 2)])), None);
        // One market only: never.
        assert_eq!(rule.fires(&track(&[(3, 0)])), None);
    }

    #[test]
    fn surges_need_six_previous_periods_and_treat_mad_0_as_1() {
        // Six periods of 1 market, then 5: median 1, MAD 0 -> 1: 5 > 1 + 3.
        assert_eq!(surges(&[1, 1, 1, 1, 1, 1, 5], 3.0), [(6, 1.0, 0.0)]);
        // 4 is not above 1 + 3 * 1; nor is 5 above 1 + 4.
        assert!(surges(&[1, 1, 1, 1, 1, 1, 4], 3.0).is_empty());
        assert!(surges(&[1, 1, 1, 1, 1, 1, 5], 4.0).is_empty());
        // Five previous periods are not enough.
        assert!(surges(&[1, 1, 1, 1, 1, 9], 3.0).is_empty());
        // A wider baseline: 1, 3, 1, 3, 1, 3: median 2, MAD 1; 6 > 2 + 3.
        assert_eq!(surges(&[1, 3, 1, 3, 1, 3, 6], 3.0), [(6, 2.0, 1.0)]);
        assert!(surges(&[1, 3, 1, 3, 1, 3, 5], 3.0).is_empty());
        // Only the previous 12 periods count.
        let mut long = vec![9; 6];
        long.extend([1; 12]);
        long.push(5);
        assert_eq!(surges(&long, 3.0), [(18, 1.0, 0.0)]);
    }

    #[test]
    fn backtest_counts_alerts_before_the_target() {
        let chart = ChartFirsts {
            source: "s".into(),
            chart: "c".into(),
            markets: (0..4).map(|m| m.to_string()).collect(),
            tracks: vec![
                // Alerted on day 7 (3rd market), reaches 4 on day 21: lead 14.
                track(&[(0, 0), (0, 1), (7, 2), (21, 3)]),
                // Alerted on day 0, never reaches 4: a false alarm.
                track(&[(0, 0), (0, 1), (0, 2)]),
                // Reaches 4, but slowly: never alerted, missed.
                track(&[(0, 0), (10, 1), (20, 2), (30, 3)]),
                // All four on day 0: alerted on the day it reached 4, not before.
                track(&[(0, 0), (0, 1), (0, 2), (0, 3)]),
            ],
            starts: Vec::new(),
        };
        let b = backtest(&chart, TrackRule::default(), 4);
        assert_eq!((b.alerted, b.reached), (3, 3));
        assert_eq!(b.precision, Some(2.0 / 3.0));
        assert_eq!(b.recall, Some(1.0 / 3.0));
        assert_eq!(b.median_lead_days, Some(14.0));
    }
}
