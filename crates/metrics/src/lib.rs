//! Metrics of reach and spread: each defined once, here, as the SQL that
//! computes it over the store's tables and the text that documents it in fixed
//! sections (what it measures, formula, caveats, example). Commands run the
//! SQL; `chartlens metrics` and reports print the text.
//!
//! Every metric reads `chart_entries` through [`Filters`], and leaves the
//! `GLOBAL` chart out of market counts: it is not a market.

pub mod alerts;
pub mod diversity;
pub mod network;
pub mod spread;

use std::fmt::Write;

/// The documentation of one metric.
#[derive(Debug, Clone, Copy)]
pub struct MetricDoc {
    /// Short name of the metric (`breadth`), the heading of its section.
    pub name: &'static str,
    /// What it measures, in a sentence or two.
    pub what: &'static str,
    /// The formula, over the stored tables.
    pub formula: &'static str,
    /// What it cannot tell, and how to read it safely.
    pub caveats: &'static str,
    /// A small worked example.
    pub example: &'static str,
}

/// Breadth: in how many markets a track or an artist charted.
pub const BREADTH: MetricDoc = MetricDoc {
    name: "breadth",
    what: "How many markets a track, or an artist, reached: the number of distinct markets \
           whose chart it entered in the selected charts and period.",
    formula: "Within one source and chart: markets(x) = |{ region : x has a row in \
              chart_entries for region, region <> GLOBAL }|. \
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
           its first entry in its Nth distinct market; and where it started.",
    formula: "Within one source and chart: first(x, m) = min(period_start) of x in market m \
              (m <> GLOBAL); order x's markets \
              by first(x, m), ties by market code; T_N(x) = first(x, m_N) - first(x, m_1) in \
              days, empty when x reached fewer than N markets. Reported for N = 2, 5, 10, 20. \
              first_markets = every market m with first(x, m) = first(x, m_1), as sorted \
              ISO codes joined by `;`; tied_first = how many there are.",
    caveats: "A chart published weekly dates entries to the week, so T_N is a multiple of 7 \
              on weekly charts, and a track often enters several markets in its first week: \
              those are ties, all listed in first_markets, and none of them is \
              \"the\" first market (the order by code only numbers them for T_N, which ties \
              do not change). A track already charting when the data starts looks as if it \
              entered then (left censoring): tracks whose first date is the first date of the \
              chart's data are flagged in `censored`.",
    example: "First entries JP 2021-03-01, KR 2021-03-01, US 2021-03-15: markets = 3, \
              first_markets = JP;KR, tied_first = 2, T_2 = 0, T_5 empty.",
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
              known origin, and the median of its artists' export_pct (the study uses only \
              artists whose origin market has a chart in the selection). Per market m: \
              domestic_pct = 100 * entries whose primary artist's origin is m / entries; \
              unknown_pct the share whose primary artist has no known origin.",
    caveats: "An act whose home market is not in the data looks 100% exported: the column \
              home_in_data says whether the origin market has any chart in the selection \
              (the Viral 50 set has no South Korea; the Top 50 playlists do). Artists of \
              unknown origin are left out of the artist and cohort views.",
    example: "BTS with 2 entries in JP and US and 1 in KR, KR in the data: export_pct = 66.67, \
              home_in_data = true.",
};

/// Diffusion curve and lead markets: how a cohort's tracks travel after
/// their first market.
pub const DIFFUSION: MetricDoc = MetricDoc {
    name: "diffusion curve and lead markets",
    what: "How far a cohort's tracks travel, week by week, after their first chart entry; \
           and which markets they tend to enter first.",
    formula: "Within one source and chart with M markets (GLOBAL left out): for track x with \
              first entry day f(x), reached(x, t) = |{ m : first(x, m) - f(x) <= 7 t }| for \
              t = 1, 2, ... weeks (on a weekly chart, t = 1 takes in the next week's chart). The cohort's curve is y(t) = mean over its tracks of \
              (reached(x, t) - 1) / (M - 1): the share of the other markets entered within t \
              weeks. Only tracks whose whole horizon H is observed count: first entry at \
              least 7 H days after the data's first date (a track first seen earlier may \
              have been charting before the data began: left-censored) and at least 7 H \
              days before its last. H = 26 weeks, or a third of the data's span when that \
              is shorter. Lead markets: \
              for each market, lead(m) = number of the cohort's tracks that reached 2+ \
              markets and entered m first (ties on the first day counted for every tied \
              market, so the shares can add up to more than 100), with lead_pct = 100 * \
              lead(m) / tracks with 2+ markets; left-censored tracks are left out.",
    caveats: "A market's chart only shows what is popular enough to enter it: a track can \
              be played in a market long before it charts there. Markets missing from the \
              data cannot be reached, and a cohort's home market, if missing, never leads.",
    example: "In data starting on day 0 with 3 markets and H = 2, tracks A (JP day 14, US \
              day 24) and B (JP day 14 only): y(1) = 0, y(2) = mean(1/2, 0) = 0.25; lead(JP) \
              = 1 (B has one market and is not counted).",
};

/// Bass model fit of the diffusion curve.
pub const BASS: MetricDoc = MetricDoc {
    name: "Bass diffusion fit",
    what: "Whether a cohort's spread looks more like outside influence (innovation p: \
           releases, marketing, playlists) or like imitation (q: word of mouth, virality), \
           by fitting the Bass (1969) model to its diffusion curve.",
    formula: "F(t) = (1 - exp(-(p + q) t)) / (1 + (q / p) exp(-(p + q) t)); fit y(t) ~ \
              m F(t) for t = 1..H weeks by least squares over p in [1e-5, 1], q in [0, 3], \
              ceiling m in (0, 1] (m in closed form for each p, q; p, q by grid search then \
              Nelder-Mead). p and q are per week. Uncertainty: percentile bootstrap over \
              tracks (the curve is recomputed and refitted on each resample).",
    caveats: "The curve pools tracks, so p and q describe the cohort's average track, not \
              any one track. Weekly charts date entries to the week, so sub-week timing is \
              lost. With few tracks or flat curves p and q trade off against each other: \
              read their intervals, and R2, before the point estimates. A fit with p or q at \
              an end of its search range (p 1e-5 or 1, q 0 or 3) is set by the range, not \
              the data (at the upper ends: a step, most markets entered in the first week): \
              the study reports it as no estimate and leaves its claim unanswered. The fit is of the \
              average curve (mean-field): on simulated worlds where each track can reach 7 \
              to 18 markets, it recovers m within 0.05 and p within a factor of 1.6, but \
              puts q 15-45% low, since chance among few markets slows the average curve \
              below the Bass curve. Compare q between cohorts of one chart, not with \
              outside values.",
    example: "p = 0.01, q = 0.4 fits a slow start that accelerates (imitation-led); \
              p = 0.2, q = 0 fits a curve that is steepest in its first week.",
};

/// Longevity: how long tracks stay on a chart.
pub const LONGEVITY: MetricDoc = MetricDoc {
    name: "longevity",
    what: "How long a track stays on a market's chart once it enters: the length of its \
           first run, and the share of a cohort's runs still on the chart after k periods.",
    formula: "Within one source, chart and market, with its published periods in order: a \
              run starts at the track's first period there and lasts while the track is on \
              every next published period (a missing file does not break a run, a published \
              chart without the track does). Runs still going at the market's last period \
              are censored. Survival S(k) = product over periods j <= k of (1 - d_j / n_j) \
              (Kaplan-Meier), d_j runs ending after j periods, n_j runs lasting j or more. \
              Runs that start at the market's first period are left out (their start is \
              not seen).",
    caveats: "Periods are the chart's own (weeks for weekly charts, days for daily ones); \
              only first runs are counted, re-entries are not. Longer charts keep tracks \
              longer: compare cohorts within one chart.",
    example: "Runs of 1, 3 and 4 periods (ended) and 2 (still on): S(1) = 3/4, S(2) = 3/4, \
              S(3) = 3/4 * 1/2 = 0.375 (the censored run is at risk until 2 only), S(4) = 0.",
};

/// Concentration and diversity.
pub const CONCENTRATION: MetricDoc = MetricDoc {
    name: "concentration and diversity",
    what: "Whether a cohort's chart presence is carried by many acts or by a few, and how \
           many cohorts share a market's chart.",
    formula: "Within one source and chart, for a cohort's artists with entries x_i (every \
              entry crediting them, GLOBAL included, as `reach --by artist` counts them): Gini = sum_i sum_j |x_i - x_j| / (2 n^2 mean x); HHI = sum_i s_i^2 \
              with s_i = x_i / sum x (1 = one act holds everything, 1/n = all equal). Per \
              market: Shannon entropy H = -sum_k s_k ln s_k over the entry shares s_k of the \
              cohorts (entries of no cohort left out), and the effective number of cohorts \
              exp(H).",
    caveats: "Gini grows with the number of one-hit acts; HHI falls with the number of acts: \
              compare cohorts of similar size, or read both. A market where most entries \
              are in no cohort (`none`) has an entropy computed on few entries.",
    example: "Entries 10, 0, 0, 0: Gini 0.75, HHI 1. Two cohorts holding 50% each: H = ln 2, \
              effective number 2.",
};

/// Collaborations across cohorts.
pub const COLLABORATION: MetricDoc = MetricDoc {
    name: "collaborations",
    what: "How often a cohort's tracks credit an artist of another cohort, and whether \
           those tracks travel further than the cohort's other tracks.",
    formula: "A track belongs to the cohort of its primary (first-credited) artist. It is a \
              cross-cohort collaboration when another credited artist resolves to a \
              different cohort. collab_pct = 100 * collaborations / tracks; lift = mean \
              markets of collaborations - mean markets of the other tracks, within one \
              source and chart; not computed with fewer than 5 collaborations or 5 other \
              tracks.",
    caveats: "Artists in no cohort (`none`) do not count as another cohort, so a feature \
              with such an artist is not a collaboration: the figure is a lower bound. \
              Collaborations are chosen, not assigned: a lift is an association, not an \
              effect.",
    example: "K-pop tracks: 2 collaborations reaching 10 and 6 markets, 3 others reaching 1, \
              2 and 3: collab_pct = 40, lift = 8 - 2 = 6.",
};

/// Sound diversity.
pub const SOUND: MetricDoc = MetricDoc {
    name: "sound diversity",
    what: "How varied a cohort's sound is: the spread of its charting artists' audio \
           features, and the variety of their genre tags.",
    formula: "Over the cohort's charting artists that have all seven Spotify audio features \
              on a 0-1 scale (acousticness, danceability, energy, instrumentalness, \
              liveness, speechiness, valence; each the artist's mean over tracks): \
              dispersion = sqrt(sum over features of the sample variance, divisor n - 1) \
              (close to the root mean squared distance to the cohort's centroid). Genre diversity: the effective number \
              exp(H) of genre tags, each artist's tags weighing 1 / its number of tags.",
    caveats: "Features are artist means, which hide the variety within an artist. Genre tags \
              follow Spotify's taxonomy, which splits some styles finer than others (many \
              k-pop sub-tags): read genre diversity as indicative only.",
    example: "Two artists with danceability 0.4 and 0.8 and every other feature equal: \
              sample variance (0.2^2 + 0.2^2) / 1 = 0.08, dispersion = sqrt(0.08) = 0.283.",
};

/// Engagement of videos.
pub const ENGAGEMENT: MetricDoc = MetricDoc {
    name: "engagement",
    what: "How much a video's audience does besides watching: likes, comments and shares per \
           view, and how fast its views grow.",
    formula: "Per video, from its latest snapshot in `video_snapshots`: engagement_rate = \
              (likes + comments) / views; like_rate = likes / views; comment_rate = comments / \
              views; share_rate = shares / views (TikTok; YouTube gives no shares); \
              engaged_with_shares = (likes + comments + shares) / views. views_per_day = views \
              / days from publication to the snapshot (at least 1). growth_per_day = (views at \
              the last snapshot - views at the first) / days between them, empty with one \
              snapshot. A video's artist and cohort are those of the first-credited artist of the \
              YouTube chart entries that link to it (`track_id` = video id; the chart's \
              Artist Names through `credits`; the smallest credit line when there are \
              several). Per artist and cohort: the number of videos, and the medians of the \
              per-video rates. views_per_day is empty without a publication time.",
    caveats: "A rate is left out (null) when a count it needs is hidden or absent; \
              `hidden_likes` and `hidden_comments` count such videos. `views_fell` flags \
              videos whose view count dropped between snapshots: the counts are then not \
              lifetime totals (a collector that stored weekly views), and rates per view and \
              growth are not comparable with those of real API snapshots. Rates are per view at \
              one moment: older videos have had longer to collect comments. Videos never on \
              a YouTube chart in the store have no artist (TikTok videos, for now).",
    example: "10,000 views, 500 likes, 100 comments: engagement_rate = 0.06, like_rate = 0.05.",
};

/// How engagement is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngagementBy {
    /// One row per video, at its latest snapshot.
    Video,
    /// One row per platform and artist: counts and medians of its videos' rates.
    Artist,
    /// One row per platform and cohort: counts and medians of its videos' rates.
    Cohort,
}

/// Engagement; see [`ENGAGEMENT`]. Filters: `sources` are platforms, the
/// period bounds the snapshot dates, `cohort` the video's cohort. A video or
/// artist in no cohort has a NULL `cohort` (what the study reads); the
/// cohort view names it [`NO_COHORT`].
pub fn engagement(filters: &Filters, by: EngagementBy) -> String {
    engagement_as(filters, by, NoCohortAs::Null)
}

/// [`engagement`], with videos and artists in no cohort written as `none`.
pub fn engagement_as(filters: &Filters, by: EngagementBy, none: NoCohortAs) -> String {
    let mut conditions = Vec::new();
    if !filters.sources.is_empty() {
        let list: Vec<String> = filters.sources.iter().map(|s| sql_text(s)).collect();
        conditions.push(format!("v.platform IN ({})", list.join(", ")));
    }
    if let Some(from) = &filters.from {
        conditions.push(format!(
            "CAST(v.observed_at AS DATE) >= DATE {}",
            sql_text(from)
        ));
    }
    if let Some(to) = &filters.to {
        conditions.push(format!(
            "CAST(v.observed_at AS DATE) <= DATE {}",
            sql_text(to)
        ));
    }
    let snapshots = if conditions.is_empty() {
        "TRUE".to_string()
    } else {
        conditions.join(" AND ")
    };
    let cohort = match filters.cohort.as_deref() {
        None => String::new(),
        Some(c) if c.eq_ignore_ascii_case(NO_COHORT) => " WHERE cohort IS NULL".to_string(),
        Some(c) => format!(" WHERE cohort = {}", sql_text(c)),
    };
    let none_col = cohort_or_none("cohort");
    let shown = match none {
        NoCohortAs::Null => "cohort",
        NoCohortAs::Named => none_col.as_str(),
    };
    let none = none_col.as_str();
    let videos = format!(
        "WITH snaps AS (\
           SELECT v.*, row_number() OVER (PARTITION BY v.platform, v.video_id \
                                          ORDER BY v.observed_at DESC, v.source_file DESC, \
                                                   v.source_line DESC) AS latest, \
                  count(DISTINCT v.observed_at) OVER (PARTITION BY v.platform, v.video_id) \
                    AS snapshots, \
                  first_value(v.views) OVER (PARTITION BY v.platform, v.video_id \
                                             ORDER BY v.observed_at, v.source_file, \
                                                      v.source_line) AS first_views, \
                  min(v.observed_at) OVER (PARTITION BY v.platform, v.video_id) AS first_observed, \
                  lag(v.views) OVER (PARTITION BY v.platform, v.video_id \
                                     ORDER BY v.observed_at, v.source_file, \
                                              v.source_line) AS previous_views \
           FROM video_snapshots v WHERE {snapshots}), \
         fell AS (\
           SELECT platform, video_id, coalesce(bool_or(views < previous_views), false) AS views_fell \
           FROM snaps GROUP BY platform, video_id), \
         lines AS (\
           SELECT track_id, artist_names, track_name FROM (\
             SELECT track_id, artist_names, track_name, \
                    row_number() OVER (PARTITION BY track_id \
                                       ORDER BY artist_names, track_name) AS k \
             FROM (SELECT DISTINCT track_id, artist_names, track_name FROM chart_entries \
                   WHERE source = 'youtube' AND track_id IS NOT NULL)) \
           WHERE k = 1), \
         links AS (\
           SELECT e.track_id AS video_id, coalesce(a.name, c.credited_name) AS artist, \
                  a.cohort \
           FROM lines e \
           JOIN credits c ON c.artist_names = e.artist_names AND c.track_name = e.track_name \
                AND c.position = 1 \
           LEFT JOIN artists a ON a.artist_id = c.artist_id), \
         videos AS (\
           SELECT s.platform, s.video_id, s.title, s.channel, l.artist, l.cohort, s.snapshots, \
                  CAST(s.first_observed AS DATE) AS first_observed, \
                  CAST(s.observed_at AS DATE) AS last_observed, \
                  s.views, s.likes, s.comments, s.shares, \
                  CAST(s.likes + s.comments AS DOUBLE) / nullif(s.views, 0) AS engagement_rate, \
                  CAST(s.likes + s.comments + s.shares AS DOUBLE) / nullif(s.views, 0) \
                    AS engaged_with_shares, \
                  CAST(s.likes AS DOUBLE) / nullif(s.views, 0) AS like_rate, \
                  CAST(s.comments AS DOUBLE) / nullif(s.views, 0) AS comment_rate, \
                  CAST(s.shares AS DOUBLE) / nullif(s.views, 0) AS share_rate, \
                  CASE WHEN s.published_at IS NOT NULL THEN \
                    CAST(s.views AS DOUBLE) / greatest(1.0, \
                      (CAST(CAST(s.observed_at AS DATE) AS INT) \
                       - CAST(CAST(s.published_at AS DATE) AS INT))) END AS views_per_day, \
                  CASE WHEN s.snapshots > 1 THEN CAST(s.views - s.first_views AS DOUBLE) / \
                    greatest(1, CAST(CAST(s.observed_at AS DATE) AS INT) \
                                - CAST(CAST(s.first_observed AS DATE) AS INT)) END \
                    AS growth_per_day, \
                  f.views_fell \
           FROM snaps s LEFT JOIN links l ON s.platform = 'youtube' AND l.video_id = s.video_id \
           JOIN fell f ON f.platform = s.platform AND f.video_id = s.video_id \
           WHERE s.latest = 1)"
    );
    let medians = "count(*) AS videos, \
                   count(*) FILTER (WHERE likes IS NULL) AS hidden_likes, \
                   count(*) FILTER (WHERE comments IS NULL) AS hidden_comments, \
                   count(*) FILTER (WHERE views_fell) AS views_fell, \
                   median(engagement_rate) AS median_engagement_rate, \
                   median(like_rate) AS median_like_rate, \
                   median(comment_rate) AS median_comment_rate, \
                   median(share_rate) AS median_share_rate, \
                   median(views_per_day) AS median_views_per_day, \
                   median(growth_per_day) AS median_growth_per_day";
    match by {
        EngagementBy::Video => format!(
            "{videos} SELECT platform, video_id, title, channel, artist, {shown} AS cohort, \
                    snapshots, first_observed, last_observed, views, likes, comments, shares, \
                    engagement_rate, engaged_with_shares, like_rate, comment_rate, share_rate, \
                    views_per_day, growth_per_day, views_fell \
             FROM videos{cohort} ORDER BY platform, views DESC, video_id"
        ),
        EngagementBy::Artist => format!(
            "{videos} SELECT platform, artist, {shown} AS cohort, {medians} FROM videos{cohort} \
             GROUP BY platform, artist, cohort ORDER BY platform, videos DESC, artist"
        ),
        EngagementBy::Cohort => format!(
            "{videos} SELECT platform, {none} AS cohort, {medians} \
             FROM videos{cohort} GROUP BY platform, {none} \
             ORDER BY platform, videos DESC, cohort"
        ),
    }
}

/// Lead and follow between markets.
pub const NETWORK: MetricDoc = MetricDoc {
    name: "lead network",
    what: "Which markets' charts lead which: for every ordered pair of markets, how many \
           tracks charted in both and in which of the two they charted first; per market, \
           how often it leads; and the backbone, the market each market most often follows.",
    formula: "Within one source and chart (GLOBAL left out), for track x (its id, or its \
              artists and title where charts give none): first(x, m) = the start of the first \
              period in which x charted in m. For markets A <> B: both = |{x in A and B}|; \
              a_first = |{x : first(x, A) < first(x, B)}|, b_first the reverse, same = ties; \
              lead_share = a_first / (a_first + b_first), empty when both are 0, with the 95% \
              Wilson interval lead_low..lead_high; median_lag_days = median over the a_first \
              tracks of first(x, B) - first(x, A). Pairs are listed strongest lead first (by \
              lead_low). Per market m: tracks charting in m; shared = those also charting \
              elsewhere; led = sum over B of a_first(m, B); followed = sum of b_first(m, B); \
              first_share = share of m's tracks with first(x, m) = the track's earliest \
              first date. Backbone: for each market B, prev(x, B) = the markets with the \
              latest first date strictly before first(x, B) (every one of them when several \
              share it); B's backbone edge is the A counted most often as prev(x, B), ties \
              broken by both, then by code; share = that count / tracks entering B after \
              some other market.",
    caveats: "Leading is an order of chart entry, not proof of influence: a track released \
              everywhere at once enters first where the chart is most sensitive (a viral \
              chart refreshed daily, a small market). Weekly charts make many ties (`same`). \
              A track already charting when the data starts looks as if it entered then. \
              first_share counts tracks that charted in one market only as first there; \
              compare it with `shared`. Markets missing from the data cannot lead.",
    example: "Track 1: JP day 0, KR day 0, US day 7. Track 2: KR day 0, JP day 7. Pair \
              (JP, KR): both 2, a_first 0, b_first 1, same 1, lead_share 0. Pair (JP, US): \
              both 1, a_first 1, median_lag_days 7. Backbone of US: JP and KR tie as the last \
              market before it (1 each), both 1 each, JP wins by code.",
};

/// Diversity and convergence of charts.
pub const DIVERSITY: MetricDoc = MetricDoc {
    name: "diversity and convergence",
    what: "How varied each market's chart is in a year, how much of it is domestic, and \
           whether markets' charts grow more alike (convergence) or less (divergence) over \
           the years.",
    formula: "Per source, chart, market and calendar year (GLOBAL left out; rows of removed \
              tracks left out): entries; distinct_tracks; distinct_artists (primary, \
              first-credited artists); effective_artists = exp(-sum_i p_i ln p_i) with p_i \
              artist i's share of the entries; domestic_pct = 100 * entries whose primary \
              artist's origin is the market / entries whose primary artist's origin is \
              known. Overlap per source, chart and year, over the markets that published \
              charts in at least half of the chart's periods that year (in_overlap): \
              J(A, B) = |T_A intersect T_B| / |T_A union T_B|, T_X the tracks charting in X \
              that year; mean_jaccard = the mean of J over unordered pairs of those markets \
              (pairs where neither market has a track are left out, which --cohort can \
              cause), with the 95% percentile bootstrap interval over markets (markets \
              resampled with replacement; a market paired with its own copy is no pair; no \
              interval below 3 markets).",
    caveats: "Jaccard depends on chart length and on how often charts refresh: a daily chart \
              turns over more tracks in a year than a weekly one, so compare years within \
              one chart. A year with fewer markets has fewer, and different, pairs: read \
              `markets` beside the mean. Artists of unknown origin are left out of \
              domestic_pct's denominator.",
    example: "Markets A with tracks {1, 2, 3}, B with {2, 3, 4}, C with {5}: J(A, B) = 2/4, \
              J(A, C) = J(B, C) = 0; mean_jaccard = 0.5 / 3 = 0.167. A market with 10 \
              entries, 5 by one artist and 5 by another: effective_artists = 2.",
};

/// Breakout alerts and their back-test.
pub const ALERTS: MetricDoc = MetricDoc {
    name: "breakout alerts",
    what: "Early signals that a track or an artist is breaking out across markets, and how \
           well the track signal would have predicted wide success on the store's own \
           history.",
    formula: "Within one source and chart (GLOBAL left out), first(x, m) as for the lead \
              network. Track alert: fires on the first date d by which the track has charted \
              in N markets (--markets, default 3), when d - its first date <= D days \
              (--within, default 14); it lists the markets entered by d in order of entry \
              (ties by code) and the lead markets (those of its first date). Artist alert \
              (every credited artist, lead or featured): with c_t the markets it charts in \
              in the chart's period t, counted from its first period there (periods without \
              it count 0), fires at t when c_t > median(c_{t-12..t-1}) + K * MAD(c_{t-12..t-1}) \
              (--k, default 3), with at least 6 previous periods; MAD = median |c - median|, \
              0 counted as 1. Back-test at target T (--target, default 10): alerted = tracks \
              with a track alert; reached = tracks that charted in T markets; precision = \
              alerted tracks that reached T / alerted; recall = tracks that reached T with an \
              alert strictly before the date they reached T / reached; median_lead_days = \
              median over those of (date reaching T - alert date).",
    caveats: "The back-test replays the rule on the same data, so it tells how the rule \
              would have done here, not how it will do: choose N and D on some years and \
              check them on others (--period). A track already charting when the data \
              starts looks new then and can fire at once. Precision and recall depend on \
              how many markets the chart covers: T = 10 of 66 markets is not T = 10 of 20.",
    example: "A track entering JP and KR on day 0 and US on day 7 fires on day 7 (N = 3, D = \
              14), leads JP;KR. If it reaches its 10th market on day 35, it is recalled with \
              a lead of 28 days. An artist in 1 market for 6 periods, then in 5: median 1, \
              MAD 0 (counted 1): 5 > 1 + 3 fires.",
};

/// Every metric, in the order reports show them.
pub const ALL: [MetricDoc; 14] = [
    BREADTH,
    SPREAD,
    DIFFUSION,
    NETWORK,
    ALERTS,
    BASS,
    SHARE,
    HOME,
    LONGEVITY,
    CONCENTRATION,
    DIVERSITY,
    COLLABORATION,
    SOUND,
    ENGAGEMENT,
];

/// How home shares are grouped, within source and chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeBy {
    /// One row per source, chart and artist of known origin.
    Artist,
    /// One row per source, chart and cohort, over its artists of known origin.
    Cohort,
    /// One row per source, chart and market: the domestic and unknown-origin shares of its entries.
    Market,
}

/// Home and export share; see [`HOME`].
pub fn home_share(filters: &Filters, by: HomeBy) -> String {
    let cohort = filters.cohort.as_deref();
    let base = Filters {
        cohort: None,
        ..filters.clone()
    };
    let cohort_filter = cohort.map_or(String::new(), |c| format!(" AND {}", artist_in(c)));
    let none = cohort_or_none("cohort");
    let grain = Grain::of(&base);
    let (table, entries) = (grain.table(), grain.entries());
    let cond = base.condition_on(grain);
    let markets = format!(
        "markets AS (SELECT DISTINCT e.source, e.chart, e.region FROM {table} WHERE {cond})"
    );
    let home_entries = grain.entries_where("e.region = a.origin_country");
    let by_artist = format!(
        "per_artist AS (\
           SELECT e.source, e.chart, a.artist_id, a.name AS artist, a.cohort, \
                  a.origin_country AS origin, \
                  {entries} AS entries, {home_entries} AS home_entries, \
                  sum(e.streams) AS streams, \
                  sum(e.streams) FILTER (WHERE e.region <> a.origin_country) AS export_streams \
           FROM {table} \
           JOIN credits c ON c.artist_names = e.artist_names AND c.track_name = e.track_name \
           JOIN artists a ON a.artist_id = c.artist_id \
           WHERE e.region <> 'GLOBAL' AND a.origin_country IS NOT NULL AND {cond}{cohort_filter} \
           GROUP BY e.source, e.chart, a.artist_id, a.name, a.cohort, a.origin_country)"
    );
    let home = "LEFT JOIN markets m ON m.source = p.source AND m.chart = p.chart \
                AND m.region = p.origin";
    match by {
        HomeBy::Artist => format!(
            "WITH {markets}, {by_artist} \
             SELECT p.source, p.chart, artist, {none} AS cohort, origin AS origin_country, entries, home_entries, \
                    round(100.0 * (entries - home_entries) / entries, 2) AS export_pct, streams, \
                    round(100.0 * export_streams / streams, 2) AS export_stream_pct, \
                    m.region IS NOT NULL AS home_in_data, artist_id \
             FROM per_artist p {home} ORDER BY p.source, p.chart, entries DESC, artist, artist_id"
        ),
        HomeBy::Cohort => format!(
            "WITH {markets}, {by_artist} \
             SELECT p.source, p.chart, {none} AS cohort, count(*) AS artists, \
                    sum(entries) AS entries, \
                    round(100.0 * sum(entries - home_entries) / sum(entries), 2) AS export_pct, \
                    round(median(100.0 * (entries - home_entries) / entries), 2) AS median_artist_export_pct, \
                    round(100.0 * count(*) FILTER (WHERE m.region IS NOT NULL) / count(*), 2) \
                      AS pct_artists_home_in_data \
             FROM per_artist p {home} GROUP BY p.source, p.chart, {none} \
             ORDER BY p.source, p.chart, entries DESC, cohort"
        ),
        HomeBy::Market => format!(
            "SELECT e.source, e.chart, e.region AS market, {entries} AS entries, \
                    round(100.0 * {} / {entries}, 2) AS domestic_pct, \
                    round(100.0 * {} / {entries}, 2) AS unknown_pct \
             FROM {table} \
             LEFT JOIN credits c ON c.artist_names = e.artist_names AND c.track_name = e.track_name \
                  AND c.position = 1 \
             LEFT JOIN artists a ON a.artist_id = c.artist_id \
             WHERE e.region <> 'GLOBAL' AND {cond} \
             GROUP BY e.source, e.chart, e.region ORDER BY e.source, e.chart, e.region",
            grain.entries_where("a.origin_country = e.region"),
            grain.entries_where("a.origin_country IS NULL"),
        ),
    }
}

/// How cohort shares are grouped, besides source and chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareBy {
    /// Per market.
    Market,
    /// Per calendar month of `period_start`.
    Month,
    /// Per market and month.
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
    // The chart's size (its largest rank among the rows kept) is a grouped
    // query joined back, not a window over every entry: a window sorts all
    // of them in memory. The sizes come first so the join builds its hash
    // table on them and streams the entries.
    let cond = filters.condition();
    format!(
        "WITH size AS (\
           SELECT e.source, e.chart, e.region, e.period_start, e.period_end, max(e.rank) AS size \
           FROM chart_entries e WHERE {cond} \
           GROUP BY e.source, e.chart, e.region, e.period_start, e.period_end), \
         entry AS (\
           SELECT e.source, e.chart, e.region, e.period_start, e.streams, \
                  s.size + 1 - e.rank AS weight, {} AS cohort \
           FROM size s \
           JOIN chart_entries e ON s.source = e.source AND s.chart = e.chart \
                AND s.region = e.region AND s.period_start = e.period_start \
                AND s.period_end = e.period_end \
           LEFT JOIN credits c ON c.artist_names = e.artist_names AND c.track_name = e.track_name \
                AND c.position = 1 \
           LEFT JOIN artists a ON a.artist_id = c.artist_id \
           WHERE {cond}) \
         SELECT {}, cohort, count(*) AS entries, \
                round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY {within}), 2) AS entry_pct, \
                round(100.0 * sum(weight) / sum(sum(weight)) OVER (PARTITION BY {within}), 2) AS weighted_pct, \
                sum(streams) AS streams, \
                round(100.0 * sum(streams) / sum(sum(streams)) OVER (PARTITION BY {within}), 2) AS stream_pct \
         FROM entry GROUP BY {within}, cohort ORDER BY {}, entries DESC, cohort",
        cohort_or_none("a.cohort"),
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
    /// Platforms (`chart_entries.source`); empty for all.
    pub sources: Vec<String>,
    /// Chart names (`chart_entries.chart`); empty for all.
    pub charts: Vec<String>,
    /// ISO codes (or GLOBAL).
    pub regions: Vec<String>,
    /// Inclusive bounds on `period_start`, as `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Inclusive upper bound on `period_start`, as `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Only tracks whose primary artist is in this cohort (`none`: in none).
    pub cohort: Option<String>,
    /// Only tracks crediting one of these artists, lead or featured.
    pub artist: Option<CreditMatch>,
    /// Only these tracks.
    pub track: Option<TrackMatch>,
}

/// The name of the bucket of artists in no cohort (unresolved, ambiguous, or
/// placed by no rule), in every command's output and `--cohort` filter.
pub const NO_COHORT: &str = "none";

/// A cohort column with "in no cohort" (NULL) named [`NO_COHORT`].
pub fn cohort_or_none(column: &str) -> String {
    format!("coalesce({column}, '{NO_COHORT}')")
}

/// How a per-artist or per-video result writes "in no cohort": as NULL (what
/// the study reads) or as [`NO_COHORT`] (what commands print).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoCohortAs {
    /// As NULL.
    Null,
    /// As [`NO_COHORT`].
    Named,
}

/// The artists a name stands for: ids of the derived `artists` table, and
/// credited names (as in `credits.credited_name`) that resolve to no artist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreditMatch {
    /// Ids of the derived `artists` table (`credits.artist_id`).
    pub ids: Vec<i64>,
    /// Credited names (`credits.credited_name`) of credits that resolve to no artist.
    pub names: Vec<String>,
}

impl CreditMatch {
    /// The test on a `credits` row aliased `c`.
    pub fn test(&self, c: &str) -> String {
        let mut any = Vec::new();
        if !self.ids.is_empty() {
            let ids: Vec<String> = self.ids.iter().map(i64::to_string).collect();
            any.push(format!("{c}.artist_id IN ({})", ids.join(", ")));
        }
        if !self.names.is_empty() {
            any.push(format!(
                "({c}.artist_id IS NULL AND {c}.credited_name IN ({}))",
                text_list(&self.names)
            ));
        }
        if any.is_empty() {
            "FALSE".to_string()
        } else {
            format!("({})", any.join(" OR "))
        }
    }
}

/// Tracks by key ([`TRACK_KEY`]: the track id where charts give one) or by
/// their name as charted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackMatch {
    /// Track keys, in the form of [`TRACK_KEY`].
    pub keys: Vec<String>,
    /// Track names as charted (`chart_entries.track_name`).
    pub names: Vec<String>,
}

/// The test that artist `a` (the derived `artists` table) is in a cohort;
/// `none` means in no cohort.
pub(crate) fn artist_in(cohort: &str) -> String {
    if cohort.eq_ignore_ascii_case(NO_COHORT) {
        "a.cohort IS NULL".to_string()
    } else {
        format!("a.cohort = {}", sql_text(cohort))
    }
}

fn text_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| sql_text(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A SQL string literal.
pub fn sql_text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Filters {
    /// The chart-row part of the filters (sources, charts, markets, period),
    /// without those that pick tracks (cohort, artist, track).
    pub fn chart_rows(&self) -> Filters {
        Filters {
            cohort: None,
            artist: None,
            track: None,
            ..self.clone()
        }
    }

    /// The period condition on `chart_entries` (aliased `e`), or `TRUE`.
    pub fn period_condition(&self) -> String {
        Filters {
            from: self.from.clone(),
            to: self.to.clone(),
            ..Filters::default()
        }
        .condition()
    }

    /// The `WHERE` conditions on `chart_entries` (aliased `e`), or `TRUE`.
    pub fn condition(&self) -> String {
        self.condition_on(Grain::Entries)
    }

    /// The `WHERE` conditions on the rows of `grain` (aliased `e`), or `TRUE`.
    pub fn condition_on(&self, grain: Grain) -> String {
        let list =
            |column: &str, values: &[String]| format!("e.{column} IN ({})", text_list(values));
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
            let test = artist_in(cohort);
            parts.push(format!(
                "EXISTS (SELECT 1 FROM credits c LEFT JOIN artists a ON a.artist_id = c.artist_id \
                 WHERE c.artist_names = e.artist_names AND c.track_name = e.track_name \
                 AND c.position = 1 AND {test})"
            ));
        }
        if let Some(artist) = &self.artist {
            parts.push(format!(
                "EXISTS (SELECT 1 FROM credits c WHERE c.artist_names = e.artist_names \
                 AND c.track_name = e.track_name AND {})",
                artist.test("c")
            ));
        }
        if let Some(track) = &self.track {
            let mut any = Vec::new();
            if !track.keys.is_empty() {
                any.push(format!("{} IN ({})", grain.key(), text_list(&track.keys)));
            }
            if !track.names.is_empty() {
                any.push(format!("e.track_name IN ({})", text_list(&track.names)));
            }
            parts.push(if any.is_empty() {
                "FALSE".to_string()
            } else {
                format!("({})", any.join(" OR "))
            });
        }
        if parts.is_empty() {
            "TRUE".to_string()
        } else {
            parts.join(" AND ")
        }
    }
}

/// The join from chart rows (aliased `e`) to their primary (first-credited)
/// artist: `credits` aliased `c` and the derived `artists` aliased `a`, both
/// NULL where the line has no credit or the credit resolves to no artist.
pub fn primary_artist_join() -> &'static str {
    "LEFT JOIN credits c ON c.artist_names = e.artist_names AND c.track_name = e.track_name \
          AND c.position = 1 \
     LEFT JOIN artists a ON a.artist_id = c.artist_id"
}

/// The key of a track: its id, or its credits and title where charts give no id.
pub const TRACK_KEY: &str = "coalesce(e.track_id, e.artist_names || ' - ' || e.track_name)";

/// The rows a query reads, aliased `e`: every chart entry, or the summary
/// `track_markets` (one row per chart, market, track and credit line, with
/// its entries counted), which is far smaller and gives the same answer to
/// every query that does not cut the chart's weeks by a period filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    /// The complete rows of `chart_entries`: a row kept but flagged (a track
    /// removed since, with no id, title or credits) counts in its chart's
    /// size and totals, never as a track, as in `track_markets`.
    Entries,
    /// The `track_markets` summary.
    TrackMarkets,
}

impl Grain {
    /// The summary where `filters` allow it (no period filter), else entries.
    pub fn of(filters: &Filters) -> Grain {
        if filters.from.is_none() && filters.to.is_none() {
            Grain::TrackMarkets
        } else {
            Grain::Entries
        }
    }

    /// The table, aliased `e`.
    pub fn table(self) -> &'static str {
        match self {
            Grain::Entries => "(SELECT * FROM chart_entries WHERE flag IS NULL) e",
            Grain::TrackMarkets => "track_markets e",
        }
    }

    /// The track key ([`TRACK_KEY`]).
    pub fn key(self) -> &'static str {
        match self {
            Grain::Entries => TRACK_KEY,
            Grain::TrackMarkets => "e.track_key",
        }
    }

    /// The number of entries of a group of rows.
    pub fn entries(self) -> &'static str {
        match self {
            Grain::Entries => "count(*)",
            Grain::TrackMarkets => "sum(e.entries)",
        }
    }

    /// The number of entries of a group of rows that pass `test`.
    pub fn entries_where(self, test: &str) -> String {
        match self {
            Grain::Entries => format!("count(*) FILTER (WHERE {test})"),
            Grain::TrackMarkets => format!("coalesce(sum(e.entries) FILTER (WHERE {test}), 0)"),
        }
    }

    /// The earliest and latest period start of a group of rows.
    pub fn first_last(self) -> (&'static str, &'static str) {
        match self {
            Grain::Entries => ("min(e.period_start)", "max(e.period_start)"),
            Grain::TrackMarkets => ("min(e.first_date)", "max(e.last_date)"),
        }
    }
}

/// The order of breadth rows within each source and chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReachSort {
    /// Most markets first (then most entries).
    #[default]
    Markets,
    /// Most entries first (then most markets).
    Entries,
    /// Earliest first date first (tracks only).
    FirstDate,
}

/// Breadth per track, within each source and chart: `source, chart,
/// track_id, track_name, artist_names, markets, global, entries, first_date,
/// last_date`, in the order of `sort` within each chart (ties by markets,
/// entries, then track id).
pub fn breadth_by_track(filters: &Filters, sort: ReachSort) -> String {
    let order = match sort {
        ReachSort::Markets => "markets DESC, entries DESC",
        ReachSort::Entries => "entries DESC, markets DESC",
        ReachSort::FirstDate => "first_date, markets DESC, entries DESC",
    };
    let grain = Grain::of(filters);
    let (key, table, entries) = (grain.key(), grain.table(), grain.entries());
    let (first, last) = grain.first_last();
    let cond = filters.condition_on(grain);
    let picks_lines =
        filters.cohort.is_some() || filters.artist.is_some() || filters.track.is_some();
    if grain == Grain::TrackMarkets && !picks_lines {
        // One row per track, credit line and market: a market is counted
        // once, on the track's first line there.
        return format!(
            "SELECT e.source, e.chart, {key} AS track_id, min(e.track_name) AS track_name, \
                    min(e.artist_names) AS artist_names, \
                    count(*) FILTER (WHERE e.region <> 'GLOBAL' AND e.first_line) AS markets, \
                    bool_or(e.region = 'GLOBAL') AS global, {entries} AS entries, \
                    {first} AS first_date, {last} AS last_date \
             FROM {table} WHERE {cond} GROUP BY e.source, e.chart, {key} \
             ORDER BY source, chart, {order}, track_id"
        );
    }
    // Per track and market first, then per track: cheaper than counting
    // distinct markets over every row.
    format!(
        "WITH per_market AS (\
           SELECT e.source, e.chart, {key} AS track_id, e.region, \
                  min(e.track_name) AS track_name, min(e.artist_names) AS artist_names, \
                  {entries} AS entries, {first} AS first_date, {last} AS last_date \
           FROM {table} WHERE {cond} GROUP BY e.source, e.chart, {key}, e.region) \
         SELECT source, chart, track_id, min(track_name) AS track_name, \
                min(artist_names) AS artist_names, \
                count(*) FILTER (WHERE region <> 'GLOBAL') AS markets, \
                bool_or(region = 'GLOBAL') AS global, sum(entries) AS entries, \
                min(first_date) AS first_date, max(last_date) AS last_date \
         FROM per_market GROUP BY source, chart, track_id \
         ORDER BY source, chart, {order}, track_id"
    )
}

/// Breadth per artist, within each source and chart (and calendar year when
/// `per_year`): `source, chart, [year,] artist, cohort, origin_country,
/// artist_id, markets, global, tracks, entries` (`artist_id` as in the
/// derived `artists` table, empty when unresolved). Artists are resolved
/// registry artists, or the credited name when it does not resolve; the
/// cohort and artist filters apply to the artist. An artist in no cohort has
/// a NULL `cohort` (what the study reads).
pub fn breadth_by_artist(filters: &Filters, per_year: bool) -> String {
    breadth_by_artist_as(filters, per_year, NoCohortAs::Null, ReachSort::Markets)
}

/// [`breadth_by_artist`], with the cohort of artists in no cohort written
/// as `none` or NULL, in the order of `sort` within each chart (and year).
/// `ReachSort::FirstDate` orders as `Markets`: artists have no first date.
pub fn breadth_by_artist_as(
    filters: &Filters,
    per_year: bool,
    none: NoCohortAs,
    sort: ReachSort,
) -> String {
    let cohort = filters.cohort.as_deref();
    let artist = filters.artist.as_ref();
    let filters = Filters {
        cohort: None,
        artist: None,
        ..filters.clone()
    };
    let mut cohort_filter = cohort.map_or(String::new(), |c| format!(" AND {}", artist_in(c)));
    if let Some(artist) = artist {
        cohort_filter.push_str(&format!(" AND {}", artist.test("c")));
    }
    let cohort_out = match none {
        NoCohortAs::Null => "min(p.cohort)".to_string(),
        NoCohortAs::Named => cohort_or_none("min(p.cohort)"),
    };
    let order = match sort {
        ReachSort::Markets | ReachSort::FirstDate => "markets DESC, entries DESC",
        ReachSort::Entries => "entries DESC, markets DESC",
    };
    let (year, year_key, year_out, year_order) = if per_year {
        (
            "CAST(date_part('year', e.period_start) AS INT) AS year, ",
            "year, ",
            "p.year, ",
            "p.year, ",
        )
    } else {
        ("", "", "", "")
    };
    // Entries are first counted per credit line, track and market, so the
    // join to `credits` and the counts of distinct markets and tracks run on
    // far fewer rows than the chart has (DataFusion's DISTINCT aggregates
    // are slow with many groups). Years need every entry's date.
    let grain = if per_year {
        Grain::Entries
    } else {
        Grain::of(&filters)
    };
    let (key, table, entries) = (grain.key(), grain.table(), grain.entries());
    let lines = match grain {
        // The summary is already one row per line, track and market.
        Grain::TrackMarkets => format!(
            "SELECT e.source, e.chart, e.artist_names, e.track_name, {key} AS track, e.region, \
                    e.entries FROM {table} WHERE {}",
            filters.condition_on(grain)
        ),
        Grain::Entries => format!(
            "SELECT e.source, e.chart, {year}e.artist_names, e.track_name, {key} AS track, \
                    e.region, {entries} AS entries \
             FROM {table} WHERE {} \
             GROUP BY e.source, e.chart, {year_key}e.artist_names, e.track_name, {key}, e.region",
            filters.condition_on(grain)
        ),
    };
    format!(
        "WITH lines AS ({lines}), \
         credited AS (\
           SELECT l.source, l.chart, {year_key}\
                  coalesce(CAST(a.artist_id AS VARCHAR), 'credit:' || c.credited_name) AS who, \
                  coalesce(a.name, c.credited_name) AS artist, a.cohort, a.origin_country, \
                  a.artist_id, l.track, l.region, l.entries \
           FROM lines l \
           JOIN credits c ON c.artist_names = l.artist_names AND c.track_name = l.track_name \
           LEFT JOIN artists a ON a.artist_id = c.artist_id \
           WHERE TRUE{cohort_filter}), \
         per_market AS (\
           SELECT source, chart, {year_key}who, min(artist) AS artist, min(cohort) AS cohort, \
                  min(origin_country) AS origin_country, min(artist_id) AS artist_id, region, \
                  sum(entries) AS entries \
           FROM credited GROUP BY source, chart, {year_key}who, region), \
         per_track AS (\
           SELECT source, chart, {year_key}who, count(*) AS tracks FROM (\
             SELECT DISTINCT source, chart, {year_key}who, track FROM credited) \
           GROUP BY source, chart, {year_key}who) \
         SELECT p.source, p.chart, {year_out}min(p.artist) AS artist, {cohort_out} AS cohort, \
                min(p.origin_country) AS origin_country, min(p.artist_id) AS artist_id, \
                count(*) FILTER (WHERE p.region <> 'GLOBAL') AS markets, \
                bool_or(p.region = 'GLOBAL') AS global, min(t.tracks) AS tracks, \
                sum(p.entries) AS entries \
         FROM per_market p JOIN per_track t ON t.source = p.source AND t.chart = p.chart \
              AND {} t.who = p.who \
         GROUP BY p.source, p.chart, {year_out}p.who \
         ORDER BY p.source, p.chart, {year_order}{order}, artist, artist_id",
        if per_year { "t.year = p.year AND" } else { "" },
    )
}

/// Breadth of a cohort, within each source and chart: the distribution of
/// its artists' breadth: `source, chart, cohort, acts, q1_markets, median_markets, q3_markets, max_markets,
/// pct_10plus, pct_30plus`. Artists in no cohort (or unresolved) are `none`.
pub fn breadth_by_cohort(filters: &Filters) -> String {
    let none = cohort_or_none("cohort");
    format!(
        "WITH acts AS ({}) \
         SELECT source, chart, {none} AS cohort, count(*) AS acts, \
                percentile_cont(0.25) WITHIN GROUP (ORDER BY markets) AS q1_markets, \
                median(markets) AS median_markets, \
                percentile_cont(0.75) WITHIN GROUP (ORDER BY markets) AS q3_markets, \
                max(markets) AS max_markets, \
                round(100.0 * count(*) FILTER (WHERE markets >= 10) / count(*), 2) AS pct_10plus, \
                round(100.0 * count(*) FILTER (WHERE markets >= 30) / count(*), 2) AS pct_30plus \
         FROM acts GROUP BY source, chart, {none} \
         ORDER BY source, chart, acts DESC, cohort",
        breadth_by_artist(filters, false)
    )
}

/// The first chart date of each track in each market (GLOBAL left out),
/// within each source and chart: `source, chart, track_id, track_name,
/// artist_names, region, day` (days since 1970-01-01), the input of
/// [`crate::spread`]: one row per track and market, or per credit line
/// there when read from `track_markets`.
pub fn spread_firsts(filters: &Filters) -> String {
    let grain = Grain::of(filters);
    let (key, table) = (grain.key(), grain.table());
    let cond = filters.condition_on(grain);
    match grain {
        // Already per line, track and market: a track with two lines in a
        // market gives two rows, which [`crate::spread`] merges.
        Grain::TrackMarkets => format!(
            "SELECT e.source, e.chart, {key} AS track_id, e.track_name, e.artist_names, \
                    e.region, CAST(e.first_date AS INT) AS day \
             FROM {table} WHERE e.region <> 'GLOBAL' AND {cond}"
        ),
        Grain::Entries => format!(
            "SELECT e.source, e.chart, {key} AS track_id, min(e.track_name) AS track_name, \
                    min(e.artist_names) AS artist_names, \
                    e.region, CAST(min(e.period_start) AS INT) AS day \
             FROM {table} WHERE e.region <> 'GLOBAL' AND {cond} \
             GROUP BY e.source, e.chart, {key}, e.region"
        ),
    }
}

/// The first date of the selected chart rows of each source and chart,
/// GLOBAL included: `source, chart, day`. A track first seen then is
/// left-censored. Filters that pick tracks (cohort, artist, track) do not
/// move it: the data starts when the chart's rows do.
pub fn data_starts(filters: &Filters) -> String {
    format!(
        "SELECT e.source, e.chart, CAST(min(e.period_start) AS INT) AS day \
         FROM chart_periods e WHERE {} GROUP BY e.source, e.chart",
        filters.chart_rows().condition()
    )
}

/// The first date of each market's chart data, within each source and
/// chart (GLOBAL left out): `source, chart, region, day`.
pub fn market_starts(filters: &Filters) -> String {
    format!(
        "SELECT e.source, e.chart, e.region, CAST(min(e.period_start) AS INT) AS day \
         FROM chart_periods e WHERE e.region <> 'GLOBAL' AND {} \
         GROUP BY e.source, e.chart, e.region",
        filters.chart_rows().condition()
    )
}

/// What the store holds per source, chart and market, and how many of those
/// rows start in the period of `filters`: `source, chart, region,
/// first_date, last_date, in_period`. Commands read it to refuse an unknown
/// chart and to say why a selection is empty.
pub fn chart_scope(filters: &Filters) -> String {
    format!(
        "SELECT e.source, e.chart, e.region, CAST(min(e.period_start) AS VARCHAR) AS first_date, \
                CAST(max(e.period_start) AS VARCHAR) AS last_date, \
                coalesce(sum(e.entries) FILTER (WHERE {}), 0) AS in_period \
         FROM chart_periods e GROUP BY e.source, e.chart, e.region",
        filters.period_condition()
    )
}

/// The distinct tracks of the selected chart rows, to find one by id or
/// name: `track_id` (as [`TRACK_KEY`]), `track_name`.
pub fn track_names(filters: &Filters) -> String {
    let rows = filters.chart_rows();
    let grain = Grain::of(&rows);
    format!(
        "SELECT DISTINCT {} AS track_id, e.track_name FROM {} WHERE {}",
        grain.key(),
        grain.table(),
        rows.condition_on(grain)
    )
}

/// Credited names that resolve to no artist (unknown or ambiguous), to find
/// an artist the registry does not know: `credited_name`.
pub const UNRESOLVED_CREDITS: &str =
    "SELECT DISTINCT credited_name FROM credits WHERE artist_id IS NULL";

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
