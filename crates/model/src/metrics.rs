//! Metrics of reach and spread: each defined once, here, as the SQL that
//! computes it over the store's tables and the text that documents it in fixed
//! sections (what it measures, formula, caveats, example). Commands run the
//! SQL; `chartlens metrics` and reports print the text.
//!
//! Every metric reads `chart_entries` through [`Filters`], and leaves the
//! `GLOBAL` chart out of market counts: it is not a market.

use std::fmt::Write;

/// The documentation of one metric.
#[derive(Debug, Clone, Copy)]
pub struct MetricDoc {
    pub name: &'static str,
    pub what: &'static str,
    pub formula: &'static str,
    pub caveats: &'static str,
    pub example: &'static str,
}

/// Breadth: in how many markets a track or an artist charted.
pub const BREADTH: MetricDoc = MetricDoc {
    name: "breadth",
    what: "How many markets a track, or an artist, reached: the number of distinct markets \
           whose chart it entered in the selected charts and period.",
    formula: "markets(x) = |{ region : x has a row in chart_entries for region, region <> GLOBAL }|. \
              A track is its Spotify track_id, or, for charts without ids, its artist_names and \
              track_name. An artist's rows are those of every track crediting it (lead or \
              featured, from `credits`). Per cohort: the quartiles (continuous interpolation), \
              median and maximum of its artists' markets, and the share of its artists with \
              markets >= 10 and >= 30.",
    caveats: "Counts markets present in the data: a market missing from the store cannot be \
              reached. Charts of different sources or lengths (Viral 50, Top 50, Hot 100) \
              are not comparable; filter with --source and --chart. GLOBAL is reported in its \
              own column, never as a market.",
    example: "A track on the Japanese and Korean Top 50 and on the Global Top 50 has \
              markets = 2 and global = true.",
};

/// Spread: how fast a track reached its Nth market.
pub const SPREAD: MetricDoc = MetricDoc {
    name: "spread",
    what: "How fast a track travelled: the days from its first chart entry in any market to \
           its first entry in its Nth distinct market.",
    formula: "first(x, m) = min(period_start) of x in market m (m <> GLOBAL); order x's markets \
              by first(x, m), ties by market code; T_N(x) = first(x, m_N) - first(x, m_1) in \
              days, empty when x reached fewer than N markets. Reported for N = 2, 5, 10, 20.",
    caveats: "A chart published weekly dates entries to the week, so T_N is a multiple of 7 \
              on weekly charts. A track already charting when the data starts looks as if it \
              entered then (left censoring): tracks whose first date is the first date of the \
              data are flagged in `censored`.",
    example: "First entries JP 2021-03-01, KR 2021-03-01, US 2021-03-15: markets = 3, \
              T_2 = 0, T_5 empty.",
};

/// Cohort share of charts: how much of a market's chart each cohort holds.
pub const SHARE: MetricDoc = MetricDoc {
    name: "cohort share",
    what: "How much of a chart each cohort holds, per source, chart and market (or month): \
           the share of its entries, of its rank-weighted entries, and of its streams.",
    formula: "An entry belongs to the cohort of its primary (first-credited) artist, `none` \
              when that artist is in no cohort or is not resolved. entry_pct(k) = 100 * \
              entries(k) / entries. With N the length of a published chart (its largest \
              rank), an entry at rank r weighs N + 1 - r: weighted_pct(k) = 100 * sum of the \
              weights of k's entries / sum of all weights. stream_pct(k) = 100 * streams(k) / \
              streams, empty when the chart has no stream counts.",
    caveats: "Shares are computed within one source and chart, never pooled across them. \
              Coverage of the cohort classification bounds what `none` means: check \
              `chartlens artists coverage`. GLOBAL appears as its own market.",
    example: "A Japanese chart with Lemon (J-pop) at 1 and Sky (K-pop) at 2 gives each 50% \
              of entries; weighted, Lemon 2/3 and Sky 1/3.",
};

/// Home and export share: how much of an act's charting is abroad.
pub const HOME: MetricDoc = MetricDoc {
    name: "home and export share",
    what: "How much an act, or a cohort, depends on its home market: the share of its chart \
           entries (and streams) in markets other than its origin; and for a market, the \
           share of its chart held by domestic acts.",
    formula: "For an artist with a known origin o, within one source and chart: export_pct = \
              100 * entries in markets <> o / entries, over every entry crediting the artist \
              (GLOBAL left out of both). Per cohort: the same pooled over its artists with a \
              known origin, and the median of its artists' export_pct. Per market m: \
              domestic_pct = 100 * entries whose primary artist's origin is m / entries; \
              unknown_pct the share whose primary artist has no known origin.",
    caveats: "An act whose home market is not in the data looks 100% exported: the column \
              home_in_data says whether the origin market has any chart in the selection \
              (the Viral 50 set has no South Korea; the Top 50 playlists do). Artists of \
              unknown origin are left out of the artist and cohort views.",
    example: "BTS with 2 entries in JP and US and 1 in KR, KR in the data: export_pct = 66.67, \
              home_in_data = true.",
};

/// Every metric, in the order reports show them.
pub const ALL: [MetricDoc; 4] = [BREADTH, SPREAD, SHARE, HOME];

/// How home shares are grouped, within source and chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeBy {
    Artist,
    Cohort,
    Market,
}

/// Home and export share; see [`HOME`].
pub fn home_share(filters: &Filters, by: HomeBy) -> String {
    let cohort = filters.cohort.as_deref();
    let base = Filters {
        cohort: None,
        ..filters.clone()
    };
    let cohort_filter = match cohort {
        None => String::new(),
        Some(c) if c.eq_ignore_ascii_case("none") => " AND a.cohort IS NULL".to_string(),
        Some(c) => format!(" AND a.cohort = {}", sql_text(c)),
    };
    let markets = format!(
        "markets AS (SELECT DISTINCT e.source, e.chart, e.region FROM chart_entries e WHERE {})",
        base.condition()
    );
    let by_artist = format!(
        "per_artist AS (\
           SELECT e.source, e.chart, a.name AS artist, a.cohort, a.origin_country AS origin, \
                  count(*) AS entries, \
                  count(*) FILTER (WHERE e.region = a.origin_country) AS home_entries, \
                  sum(e.streams) AS streams, \
                  sum(e.streams) FILTER (WHERE e.region <> a.origin_country) AS export_streams \
           FROM chart_entries e \
           JOIN credits c ON c.artist_names = e.artist_names AND c.track_name = e.track_name \
           JOIN artists a ON a.artist_id = c.artist_id \
           WHERE e.region <> 'GLOBAL' AND a.origin_country IS NOT NULL AND {}{cohort_filter} \
           GROUP BY e.source, e.chart, a.name, a.cohort, a.origin_country)",
        base.condition()
    );
    let home = "LEFT JOIN markets m ON m.source = p.source AND m.chart = p.chart \
                AND m.region = p.origin";
    match by {
        HomeBy::Artist => format!(
            "WITH {markets}, {by_artist} \
             SELECT p.source, p.chart, artist, cohort, origin AS origin_country, entries, home_entries, \
                    round(100.0 * (entries - home_entries) / entries, 2) AS export_pct, streams, \
                    round(100.0 * export_streams / streams, 2) AS export_stream_pct, \
                    m.region IS NOT NULL AS home_in_data \
             FROM per_artist p {home} ORDER BY p.source, p.chart, entries DESC, artist"
        ),
        HomeBy::Cohort => format!(
            "WITH {markets}, {by_artist} \
             SELECT p.source, p.chart, coalesce(cohort, 'none') AS cohort, count(*) AS artists, \
                    sum(entries) AS entries, \
                    round(100.0 * sum(entries - home_entries) / sum(entries), 2) AS export_pct, \
                    round(median(100.0 * (entries - home_entries) / entries), 2) AS median_artist_export_pct, \
                    round(100.0 * count(*) FILTER (WHERE m.region IS NOT NULL) / count(*), 2) \
                      AS pct_artists_home_in_data \
             FROM per_artist p {home} GROUP BY p.source, p.chart, coalesce(cohort, 'none') \
             ORDER BY p.source, p.chart, entries DESC, cohort"
        ),
        HomeBy::Market => format!(
            "SELECT e.source, e.chart, e.region AS market, count(*) AS entries, \
                    round(100.0 * count(*) FILTER (WHERE a.origin_country = e.region) / count(*), 2) \
                      AS domestic_pct, \
                    round(100.0 * count(*) FILTER (WHERE a.origin_country IS NULL) / count(*), 2) \
                      AS unknown_pct \
             FROM chart_entries e \
             LEFT JOIN credits c ON c.artist_names = e.artist_names AND c.track_name = e.track_name \
                  AND c.position = 1 \
             LEFT JOIN artists a ON a.artist_id = c.artist_id \
             WHERE e.region <> 'GLOBAL' AND {} \
             GROUP BY e.source, e.chart, e.region ORDER BY e.source, e.chart, e.region",
            base.condition()
        ),
    }
}

/// How cohort shares are grouped, besides source and chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareBy {
    Market,
    Month,
    MarketMonth,
}

/// Cohort share of charts: `source, chart, [market,] [month,] cohort,
/// entries, entry_pct, weighted_pct, streams, stream_pct`.
pub fn cohort_share(filters: &Filters, by: ShareBy) -> String {
    let groups: &[(&str, &str)] = match by {
        ShareBy::Market => &[("region", "market")],
        ShareBy::Month => &[("CAST(date_trunc('month', period_start) AS DATE)", "month")],
        ShareBy::MarketMonth => &[
            ("region", "market"),
            ("CAST(date_trunc('month', period_start) AS DATE)", "month"),
        ],
    };
    let keys: Vec<String> = std::iter::once("source".to_string())
        .chain(std::iter::once("chart".to_string()))
        .chain(groups.iter().map(|(expr, _)| expr.to_string()))
        .collect();
    let select: Vec<String> = ["source AS source".to_string(), "chart AS chart".to_string()]
        .into_iter()
        .chain(
            groups
                .iter()
                .map(|(expr, name)| format!("{expr} AS {name}")),
        )
        .collect();
    let within = keys.join(", ");
    let order: Vec<String> = ["source", "chart"]
        .into_iter()
        .map(str::to_string)
        .chain(groups.iter().map(|(_, name)| name.to_string()))
        .collect();
    format!(
        "WITH entry AS (\
           SELECT e.source, e.chart, e.region, e.period_start, e.streams, \
                  max(e.rank) OVER (PARTITION BY e.source, e.chart, e.region, e.period_start, e.period_end) \
                    + 1 - e.rank AS weight, \
                  coalesce(a.cohort, 'none') AS cohort \
           FROM chart_entries e \
           LEFT JOIN credits c ON c.artist_names = e.artist_names AND c.track_name = e.track_name \
                AND c.position = 1 \
           LEFT JOIN artists a ON a.artist_id = c.artist_id \
           WHERE {}) \
         SELECT {}, cohort, count(*) AS entries, \
                round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY {within}), 2) AS entry_pct, \
                round(100.0 * sum(weight) / sum(sum(weight)) OVER (PARTITION BY {within}), 2) AS weighted_pct, \
                sum(streams) AS streams, \
                round(100.0 * sum(streams) / sum(sum(streams)) OVER (PARTITION BY {within}), 2) AS stream_pct \
         FROM entry GROUP BY {within}, cohort ORDER BY {}, entries DESC, cohort",
        filters.condition(),
        select.join(", "),
        order.join(", ")
    )
}

impl MetricDoc {
    /// The documentation as Markdown, with the fixed sections.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### {}\n", self.name);
        for (title, text) in [
            ("What it measures", self.what),
            ("Formula", self.formula),
            ("Caveats", self.caveats),
            ("Example", self.example),
        ] {
            let _ = writeln!(out, "**{title}.** {text}\n");
        }
        out
    }
}

/// Which chart rows a metric reads.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub sources: Vec<String>,
    pub charts: Vec<String>,
    /// ISO codes (or GLOBAL).
    pub regions: Vec<String>,
    /// Inclusive bounds on `period_start`, as `YYYY-MM-DD`.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Only tracks whose primary artist is in this cohort (`none`: in none).
    pub cohort: Option<String>,
}

/// A SQL string literal.
pub fn sql_text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Filters {
    /// The `WHERE` conditions on `chart_entries` (aliased `e`), or `TRUE`.
    pub fn condition(&self) -> String {
        let list = |column: &str, values: &[String]| {
            let values: Vec<String> = values.iter().map(|v| sql_text(v)).collect();
            format!("e.{column} IN ({})", values.join(", "))
        };
        let mut parts = Vec::new();
        if !self.sources.is_empty() {
            parts.push(list("source", &self.sources));
        }
        if !self.charts.is_empty() {
            parts.push(list("chart", &self.charts));
        }
        if !self.regions.is_empty() {
            parts.push(list("region", &self.regions));
        }
        if let Some(from) = &self.from {
            parts.push(format!("e.period_start >= DATE {}", sql_text(from)));
        }
        if let Some(to) = &self.to {
            parts.push(format!("e.period_start <= DATE {}", sql_text(to)));
        }
        if let Some(cohort) = &self.cohort {
            let test = if cohort.eq_ignore_ascii_case("none") {
                "a.cohort IS NULL".to_string()
            } else {
                format!("a.cohort = {}", sql_text(cohort))
            };
            parts.push(format!(
                "EXISTS (SELECT 1 FROM credits c LEFT JOIN artists a ON a.artist_id = c.artist_id \
                 WHERE c.artist_names = e.artist_names AND c.track_name = e.track_name \
                 AND c.position = 1 AND {test})"
            ));
        }
        if parts.is_empty() {
            "TRUE".to_string()
        } else {
            parts.join(" AND ")
        }
    }
}

/// The key of a track: its id, or its credits and title where charts give no id.
pub const TRACK_KEY: &str = "coalesce(e.track_id, e.artist_names || ' - ' || e.track_name)";

/// Breadth per track: `track_id, track_name, artist_names, markets, global,
/// entries, first_date, last_date`.
pub fn breadth_by_track(filters: &Filters) -> String {
    // Per track and market first, then per track: cheaper than counting
    // distinct markets over every row.
    format!(
        "WITH per_market AS (\
           SELECT {TRACK_KEY} AS track_id, e.region, min(e.track_name) AS track_name, \
                  min(e.artist_names) AS artist_names, count(*) AS entries, \
                  min(e.period_start) AS first_date, max(e.period_start) AS last_date \
           FROM chart_entries e WHERE {} GROUP BY {TRACK_KEY}, e.region) \
         SELECT track_id, min(track_name) AS track_name, min(artist_names) AS artist_names, \
                count(*) FILTER (WHERE region <> 'GLOBAL') AS markets, \
                bool_or(region = 'GLOBAL') AS global, sum(entries) AS entries, \
                min(first_date) AS first_date, max(last_date) AS last_date \
         FROM per_market GROUP BY track_id ORDER BY markets DESC, entries DESC, track_id",
        filters.condition()
    )
}

/// Breadth per artist: `artist, cohort, origin_country, markets, global,
/// tracks, entries`. Artists are resolved registry artists, or the credited
/// name when it does not resolve; the cohort filter applies to the artist.
pub fn breadth_by_artist(filters: &Filters) -> String {
    let cohort = filters.cohort.as_deref();
    let filters = Filters {
        cohort: None,
        ..filters.clone()
    };
    let cohort_filter = match cohort {
        None => String::new(),
        Some(c) if c.eq_ignore_ascii_case("none") => " AND a.cohort IS NULL".to_string(),
        Some(c) => format!(" AND a.cohort = {}", sql_text(c)),
    };
    format!(
        "SELECT coalesce(a.name, c.credited_name) AS artist, a.cohort AS cohort, \
         a.origin_country AS origin_country, \
         count(DISTINCT CASE WHEN e.region <> 'GLOBAL' THEN e.region END) AS markets, \
         bool_or(e.region = 'GLOBAL') AS global, count(DISTINCT {TRACK_KEY}) AS tracks, \
         count(*) AS entries \
         FROM chart_entries e \
         JOIN credits c ON c.artist_names = e.artist_names AND c.track_name = e.track_name \
         LEFT JOIN artists a ON a.artist_id = c.artist_id \
         WHERE {}{cohort_filter} \
         GROUP BY coalesce(a.name, c.credited_name), a.cohort, a.origin_country \
         ORDER BY markets DESC, entries DESC, artist",
        filters.condition()
    )
}

/// Breadth of a cohort: the distribution of its artists' breadth:
/// `cohort, acts, q1_markets, median_markets, q3_markets, max_markets,
/// pct_10plus, pct_30plus`. Artists in no cohort (or unresolved) are `none`.
pub fn breadth_by_cohort(filters: &Filters) -> String {
    format!(
        "WITH acts AS ({}) \
         SELECT coalesce(cohort, 'none') AS cohort, count(*) AS acts, \
                percentile_cont(0.25) WITHIN GROUP (ORDER BY markets) AS q1_markets, \
                median(markets) AS median_markets, \
                percentile_cont(0.75) WITHIN GROUP (ORDER BY markets) AS q3_markets, \
                max(markets) AS max_markets, \
                round(100.0 * count(*) FILTER (WHERE markets >= 10) / count(*), 2) AS pct_10plus, \
                round(100.0 * count(*) FILTER (WHERE markets >= 30) / count(*), 2) AS pct_30plus \
         FROM acts GROUP BY coalesce(cohort, 'none') ORDER BY acts DESC, cohort",
        breadth_by_artist(filters)
    )
}

/// Spread per track: `track_id, track_name, first_date, first_market,
/// markets, t2_days, t5_days, t10_days, t20_days, censored`.
pub fn spread_by_track(filters: &Filters, track: Option<&str>) -> String {
    let only = match track {
        Some(t) => format!(" AND {TRACK_KEY} = {}", sql_text(t)),
        None => String::new(),
    };
    let t = |n: u32| {
        format!("max(CASE WHEN n = {n} THEN CAST(d AS INT) - CAST(first AS INT) END) AS t{n}_days")
    };
    format!(
        "WITH firsts AS (\
           SELECT {TRACK_KEY} AS track_id, min(e.track_name) AS track_name, e.region, \
                  min(e.period_start) AS d \
           FROM chart_entries e WHERE e.region <> 'GLOBAL' AND {}{only} \
           GROUP BY {TRACK_KEY}, e.region), \
         ordered AS (\
           SELECT track_id, track_name, region, d, \
                  row_number() OVER (PARTITION BY track_id ORDER BY d, region) AS n, \
                  min(d) OVER (PARTITION BY track_id) AS first \
           FROM firsts), \
         start AS (SELECT min(e.period_start) AS data_start FROM chart_entries e WHERE {}) \
         SELECT track_id, min(track_name) AS track_name, min(first) AS first_date, \
                max(CASE WHEN n = 1 THEN region END) AS first_market, count(*) AS markets, \
                {}, {}, {}, {}, \
                min(first) <= (SELECT data_start FROM start) AS censored \
         FROM ordered GROUP BY track_id \
         ORDER BY markets DESC, first_date, track_id",
        filters.condition(),
        filters.condition(),
        t(2),
        t(5),
        t(10),
        t(20)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_quote_values() {
        let filters = Filters {
            charts: vec!["viral50".into()],
            regions: vec!["KR".into(), "O'Hare".into()],
            from: Some("2021-01-01".into()),
            ..Filters::default()
        };
        assert_eq!(
            filters.condition(),
            "e.chart IN ('viral50') AND e.region IN ('KR', 'O''Hare') AND e.period_start >= DATE '2021-01-01'"
        );
        assert_eq!(Filters::default().condition(), "TRUE");
    }

    #[test]
    fn docs_have_every_section() {
        for metric in ALL {
            let md = metric.markdown();
            for section in ["What it measures", "Formula", "Caveats", "Example"] {
                assert!(md.contains(section), "{} lacks {section}", metric.name);
            }
        }
    }
}
