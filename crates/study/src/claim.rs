//! The study's claims as one closed set: what each states, the statistic it
//! compares, the metric that defines it and the data it needs. Adding a claim
//! fails to compile until every `match` below (and in the measures) knows it.

use chartlens_metrics as metrics;
use serde::Serialize;

/// One claim of the study. `{a}` and `{b}` in its texts are the two cohorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    /// Claim 1: the first cohort reaches more markets (breadth) than the second.
    Reach,
    /// Claim 2: the first cohort spreads faster by imitation (Bass q) than the second.
    Spread,
    /// Claim 3: the first cohort depends less on its home market (export share) than the second.
    HomeDependence,
    /// Claim 4: the first cohort's sound (audio features) is more diverse than the second's.
    Sound,
    /// Claim 5: the first cohort's cross-cohort collaborations chart in more markets than its other tracks.
    Collaboration,
    /// Claim 6: the first cohort's reach advantage over the second grew over the period covered.
    ReachTrend,
    /// Claim 7: the first cohort's fans engage more per view than the second's.
    Engagement,
    /// Claim 8: the first cohort's tracks break out from markets outside its
    /// home continent more often than the second's.
    BreakoutAbroad,
}

impl ClaimKind {
    /// Every claim, in the order the report states them.
    pub const ALL: [ClaimKind; 8] = [
        ClaimKind::Reach,
        ClaimKind::Spread,
        ClaimKind::HomeDependence,
        ClaimKind::Sound,
        ClaimKind::Collaboration,
        ClaimKind::ReachTrend,
        ClaimKind::Engagement,
        ClaimKind::BreakoutAbroad,
    ];

    /// The claims measured on each chart (engagement is measured per video
    /// platform instead).
    pub const ON_CHARTS: [ClaimKind; 7] = [
        ClaimKind::Reach,
        ClaimKind::Spread,
        ClaimKind::HomeDependence,
        ClaimKind::Sound,
        ClaimKind::Collaboration,
        ClaimKind::ReachTrend,
        ClaimKind::BreakoutAbroad,
    ];

    /// Its number in the report (1-based, the order of [`ClaimKind::ALL`]).
    pub fn number(self) -> u8 {
        match self {
            ClaimKind::Reach => 1,
            ClaimKind::Spread => 2,
            ClaimKind::HomeDependence => 3,
            ClaimKind::Sound => 4,
            ClaimKind::Collaboration => 5,
            ClaimKind::ReachTrend => 6,
            ClaimKind::Engagement => 7,
            ClaimKind::BreakoutAbroad => 8,
        }
    }

    /// The claim as stated, with `{a}` and `{b}` for the cohorts. Wording
    /// is of association, never of cause.
    pub fn text(self) -> &'static str {
        match self {
            ClaimKind::Reach => "{a} reaches more markets than {b}.",
            ClaimKind::Spread => "{a} spreads faster by word of mouth (imitation) than {b}.",
            ClaimKind::HomeDependence => "{a} depends less on its home market than {b}.",
            ClaimKind::Sound => "{a}'s sound is more diverse than {b}'s.",
            ClaimKind::Collaboration => {
                "{a}'s cross-cohort collaborations chart in more markets than its other tracks."
            }
            ClaimKind::ReachTrend => "{a}'s reach advantage over {b} grew over the period covered.",
            ClaimKind::Engagement => "{a}'s fans engage more per view than {b}'s.",
            ClaimKind::BreakoutAbroad => {
                "{a}'s tracks break out from more markets outside its home region than {b}'s."
            }
        }
    }

    /// The statistic compared, and what the bootstrap resamples.
    pub fn statistic(self) -> &'static str {
        match self {
            ClaimKind::Reach => {
                "Mean markets per charting artist (breadth); bootstrap over artists."
            }
            ClaimKind::Spread => {
                "Bass imitation coefficient q of the cohort's diffusion curve (per week); \
                 bootstrap over tracks, the curve refitted on each resample: the rate at which \
                 markets follow markets already reached. T_N medians (uncensored tracks) are in \
                 the measures."
            }
            ClaimKind::HomeDependence => {
                "Export share: percent of the cohort's entries outside each artist's origin \
                 market, over artists whose origin market has a chart in the data; bootstrap \
                 over artists."
            }
            ClaimKind::Sound => {
                "Dispersion of the seven 0-1 audio features of the cohort's charting artists; \
                 bootstrap over artists."
            }
            ClaimKind::Collaboration => {
                "Difference in mean markets between the first cohort's cross-cohort \
                 collaborations and its other tracks (an association: collaborations may be \
                 chosen for tracks that would travel anyway); bootstrap over tracks. The second \
                 cohort's difference is shown for comparison."
            }
            ClaimKind::ReachTrend => {
                "Gap = mean markets per artist of the first cohort minus the second's, within a \
                 calendar year; the claim compares the last year with the first (both cohorts \
                 present); bootstrap over artists within each year and cohort."
            }
            ClaimKind::Engagement => {
                "Median engagement rate, (likes + comments) / views at each video's latest \
                 snapshot, per platform; bootstrap over videos. Videos with hidden counts, and \
                 videos whose view count fell between snapshots, are left out and counted."
            }
            ClaimKind::BreakoutAbroad => {
                "Percent of the cohort's tracks whose lead markets (every market of the track's \
                 first chart date) all lie outside the continent of its primary artist's origin, \
                 over tracks that charted in 2+ markets, first charted after the data's first \
                 date (not left-censored) and whose primary artist's origin is known; bootstrap \
                 over tracks."
            }
        }
    }

    /// The metric whose definition (in the methods) the claim uses.
    pub fn metric(self) -> &'static str {
        match self {
            ClaimKind::Reach | ClaimKind::ReachTrend => metrics::BREADTH.name,
            ClaimKind::Spread => metrics::BASS.name,
            ClaimKind::HomeDependence => metrics::HOME.name,
            ClaimKind::Sound => metrics::SOUND.name,
            ClaimKind::Collaboration => metrics::COLLABORATION.name,
            ClaimKind::Engagement => metrics::ENGAGEMENT.name,
            ClaimKind::BreakoutAbroad => metrics::NETWORK.name,
        }
    }

    /// What the `first` and `second` estimates of its results are.
    pub fn columns(self, first: &str, second: &str) -> [String; 2] {
        match self {
            ClaimKind::Collaboration => [
                format!("{first} collaborations minus other tracks"),
                format!("{second} collaborations minus other tracks"),
            ],
            ClaimKind::ReachTrend => ["Gap, first year".to_string(), "Gap, last year".to_string()],
            ClaimKind::Reach
            | ClaimKind::Spread
            | ClaimKind::HomeDependence
            | ClaimKind::Sound
            | ClaimKind::Engagement
            | ClaimKind::BreakoutAbroad => [first.to_string(), second.to_string()],
        }
    }

    /// The unit of its difference (one unit per plotted panel).
    pub fn unit(self) -> &'static str {
        match self {
            ClaimKind::Reach => "markets per artist",
            ClaimKind::Spread => "Bass q per week",
            ClaimKind::HomeDependence => "percentage points of export share",
            ClaimKind::Sound => "audio-feature dispersion",
            ClaimKind::Collaboration => "markets per track",
            ClaimKind::ReachTrend => "markets per artist, last year's gap minus the first's",
            ClaimKind::Engagement => "engagements per view",
            ClaimKind::BreakoutAbroad => "percentage points of tracks breaking out abroad",
        }
    }

    /// What a chart must hold for the claim to be measurable on it, as a
    /// sentence for the methods.
    pub fn needs(self) -> &'static str {
        match self {
            ClaimKind::Reach => "a chart with at least two markets (GLOBAL is not a market)",
            ClaimKind::Spread => {
                "at least two markets and a diffusion horizon of 8 weeks; a Bass fit with p or \
                 q at the bound of its search range is no answer"
            }
            ClaimKind::HomeDependence => {
                "both cohorts' home markets among the chart's markets, and at least two markets"
            }
            ClaimKind::Sound => "imported audio features for at least 5 artists per cohort",
            ClaimKind::Collaboration => {
                "at least two markets and at least 5 cross-cohort collaborations and 5 other \
                 tracks of the first cohort"
            }
            ClaimKind::ReachTrend => {
                "at least two markets and two calendar years with both cohorts and at least 350 \
                 days of data each"
            }
            ClaimKind::Engagement => "video snapshots linked to both cohorts' chart entries",
            ClaimKind::BreakoutAbroad => {
                "markets on at least two continents, and tracks of both cohorts with a known \
                 origin that charted in 2+ markets after the data's first date"
            }
        }
    }
}

/// A claim's verdict on one chart, by the verdict rule
/// (`measure::VERDICT_RULE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The interval of the difference lies entirely above 0.
    Supported,
    /// The interval of the difference lies entirely below 0.
    Contradicted,
    /// The interval of the difference contains 0.
    Inconclusive,
    /// The data cannot answer it; the note says why.
    Unanswered,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_numbered_in_order_and_serialised_by_name() {
        for (i, kind) in ClaimKind::ALL.iter().enumerate() {
            assert_eq!(usize::from(kind.number()), i + 1);
        }
        assert!(
            ClaimKind::ON_CHARTS
                .iter()
                .all(|k| *k != ClaimKind::Engagement)
        );
        assert_eq!(
            serde_json::to_string(&ClaimKind::HomeDependence).unwrap(),
            "\"home_dependence\""
        );
        for kind in ClaimKind::ALL {
            for cause in ["widen", "drive", "because of"] {
                assert!(!kind.text().contains(cause), "{kind:?}");
                assert!(!kind.statistic().contains(cause), "{kind:?}");
            }
        }
    }
}
