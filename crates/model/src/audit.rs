//! The audit of cohort placements: every placed artist whose evidence is
//! thin or contradicts itself, with the evidence and the one-line fix, so a
//! user can check the artists that carry a study's numbers before publishing.
//!
//! Flags come from the registry and the cohort rules ([`flags`]); the one
//! flag that needs chart data ([`FlagKind::HomeAbsent`]) is added by whoever
//! has the charts (the `artists audit` command and the study).

use std::fmt;

use serde::Serialize;

use crate::cohort::{Basis, Classification, Cohorts};
use crate::registry::{Artist, FactKind, Registry};

/// Why an artist's placement deserves a second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagKind {
    /// A genre tag of another scene than the cohort's (or a list of
    /// another cohort's acts), outweighed by a registry row or a rule
    /// naming the artist.
    ContradictingTag,
    /// Sources disagree on the artist's origin.
    OriginConflict,
    /// Only one list (file) says anything about the artist.
    SingleSource,
    /// The origin that placed the artist comes from a third-party
    /// `name,country,macro_genre` list only.
    ListOriginOnly,
    /// The artist's origin market has a chart in the data, but the artist
    /// never charts there.
    HomeAbsent,
    /// Not placed: a rule matched on lists whose evidence disagrees (see
    /// `crate::cohort`); shown by `artists audit --held`.
    HeldBack,
}

impl FlagKind {
    /// Whether the flag gives a reason to doubt the placement, rather than
    /// only saying it rests on one file (most list placements do: that is
    /// what the study's registry-only check is for).
    pub fn is_doubt(self) -> bool {
        !matches!(self, FlagKind::SingleSource)
    }

    /// The kebab-case name of the flag, as JSON and the `artists audit` output write it.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagKind::ContradictingTag => "contradicting-tag",
            FlagKind::OriginConflict => "origin-conflict",
            FlagKind::SingleSource => "single-source",
            FlagKind::ListOriginOnly => "list-origin-only",
            FlagKind::HomeAbsent => "home-absent",
            FlagKind::HeldBack => "held-back",
        }
    }
}

impl fmt::Display for FlagKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason to doubt a placement, with the evidence cited as `file:line`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// What kind of doubt this is.
    pub kind: FlagKind,
    /// The evidence, in words, citing files as `file:line`.
    pub detail: String,
}

/// Whether the artist's placement rests on third-party lists with at most
/// one file speaking for it: a chart credit then needs the list's exact
/// spelling to be taken as the artist (see `credits` in the store).
pub fn thin(
    registry: &Registry,
    cohorts: &Cohorts,
    classification: &Classification,
    artist: &Artist,
) -> bool {
    match classification.cohort[artist.id] {
        Some(cohort) if classification.basis[artist.id] == Some(Basis::Lists) => {
            cohorts
                .supporting_sources(registry, artist, cohort, classification)
                .len()
                <= 1
        }
        _ => false,
    }
}

/// The flags of every artist, by artist id (empty for artists in no cohort
/// and for well-evidenced placements).
pub fn flags(
    registry: &Registry,
    cohorts: &Cohorts,
    classification: &Classification,
) -> Vec<Vec<Flag>> {
    registry
        .artists
        .iter()
        .map(|artist| match classification.cohort[artist.id] {
            Some(cohort) => artist_flags(registry, cohorts, classification, artist, cohort),
            None => Vec::new(),
        })
        .collect()
}

fn artist_flags(
    registry: &Registry,
    cohorts: &Cohorts,
    classification: &Classification,
    artist: &Artist,
    cohort: usize,
) -> Vec<Flag> {
    let mut out = Vec::new();
    let facts = || artist.facts.iter().map(|&i| &registry.facts[i]);
    for tag in cohorts.contradictions(registry, artist, cohort) {
        out.push(Flag {
            kind: FlagKind::ContradictingTag,
            detail: tag,
        });
    }
    if !artist.other_origins.is_empty() {
        let origins: Vec<String> = facts()
            .filter(|f| f.kind == FactKind::Country)
            .map(|f| format!("{} ({})", f.value, f.citation()))
            .collect();
        out.push(Flag {
            kind: FlagKind::OriginConflict,
            detail: format!("origins given: {}", origins.join(", ")),
        });
    }
    if classification.basis[artist.id] != Some(Basis::Lists) {
        return out;
    }
    if let [only] = cohorts
        .supporting_sources(registry, artist, cohort, classification)
        .as_slice()
    {
        let support: Vec<String> = facts()
            .filter(|f| &*f.source == *only && f.kind != FactKind::Feature)
            .map(|f| format!("{} {}", f.kind.as_str(), f.value))
            .collect();
        let by_origin_only = facts()
            .filter(|f| &*f.source == *only && f.kind != FactKind::Feature)
            .all(|f| f.kind == FactKind::Country || f.kind == FactKind::Genre)
            && facts().any(|f| &*f.source == *only && f.kind == FactKind::Country)
            && !facts().any(|f| {
                &*f.source == *only
                    && f.kind == FactKind::Genre
                    && cohorts.tag_stance(&f.value, cohort) == Some(true)
            });
        let (kind, what) = if by_origin_only {
            (
                FlagKind::ListOriginOnly,
                "only a third-party country list places it",
            )
        } else {
            (
                FlagKind::SingleSource,
                "only one file speaks for the placement",
            )
        };
        out.push(Flag {
            kind,
            detail: format!("{what}: {only} ({})", support.join(", ")),
        });
    }
    out
}

/// The one-line registry row that settles an artist's placement in
/// `cohort`: a row of a `name,country,genres,aliases` file to `artists
/// import`. It states the origin the evidence gives (`??` when unknown:
/// fill it in), and the cohort's registry tag when that origin alone would
/// not place the artist there (a Thai member of a K-pop group).
pub fn registry_fix(cohorts: &Cohorts, artist: &Artist, cohort: usize) -> String {
    let country = artist.origin.as_deref().unwrap_or("??");
    let tag = if cohorts.homes(cohort).contains(&country) {
        ""
    } else {
        cohorts.registry_tag(cohort).unwrap_or("")
    };
    format!("{},{country},{tag},", csv_field(&artist.name))
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Per artist and chart: the artist's entries (any credit, `GLOBAL`
/// included), the markets it charts in and its entries in its origin market
/// (`GLOBAL` is never a market), with whether that chart has the origin
/// market at all. The chart figures of `artists audit` and the
/// [`FlagKind::HomeAbsent`] flag come from it.
pub const PRESENCE_SQL: &str = "\
WITH chart_markets AS (SELECT DISTINCT source, chart, region FROM chart_entries), \
credited AS ( \
  SELECT e.source, e.chart, e.region, c.artist_id \
  FROM chart_entries e JOIN credits c \
    ON e.artist_names = c.artist_names AND e.track_name = c.track_name \
  WHERE c.artist_id IS NOT NULL) \
SELECT cr.artist_id, cr.source, cr.chart, count(*) AS entries, \
  count(DISTINCT CASE WHEN cr.region <> 'GLOBAL' THEN cr.region END) AS markets, \
  sum(CASE WHEN cr.region = a.origin_country THEN 1 ELSE 0 END) AS home_entries, \
  max(CASE WHEN m.region IS NULL THEN 0 ELSE 1 END) AS home_in_chart \
FROM credited cr JOIN artists a ON a.artist_id = cr.artist_id \
LEFT JOIN chart_markets m \
  ON m.source = cr.source AND m.chart = cr.chart AND m.region = a.origin_country \
GROUP BY cr.artist_id, cr.source, cr.chart \
ORDER BY cr.artist_id, cr.source, cr.chart";

/// Entries on one chart below which never charting at home is no evidence.
pub const HOME_ABSENT_MIN_ENTRIES: u64 = 10;

/// An artist's presence on one chart, as [`PRESENCE_SQL`] gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartPresence {
    /// Platform of the chart, e.g. `spotify`.
    pub source: String,
    /// Chart name, e.g. `top200`.
    pub chart: String,
    /// Entries crediting the artist on this chart, `GLOBAL` included.
    pub entries: u64,
    /// Distinct markets the artist charts in on this chart (`GLOBAL` excluded).
    pub markets: u64,
    /// Entries of the artist in its origin market on this chart.
    pub home_entries: u64,
    /// Whether this chart has the artist's origin market at all.
    pub home_in_chart: bool,
}

/// The home-market flag: on some chart that has the artist's origin market,
/// the artist charts, but never there. A namesake charting abroad under a
/// listed artist's name looks like this (so does an act with no following
/// at home, which is why it is a flag and not a rule: chart presence never
/// decides a cohort).
///
/// Only placements by third-party lists are flagged (a registry row has
/// settled the others), and only on a chart where the artist has at least
/// [`HOME_ABSENT_MIN_ENTRIES`] entries, so one week abroad is no evidence.
pub fn home_absent(
    artist: &Artist,
    basis: Option<Basis>,
    presence: &[ChartPresence],
) -> Option<Flag> {
    let origin = artist.origin.as_deref()?;
    if basis != Some(Basis::Lists) {
        return None;
    }
    let charts: Vec<String> = presence
        .iter()
        .filter(|p| p.home_in_chart && p.home_entries == 0 && p.entries >= HOME_ABSENT_MIN_ENTRIES)
        .map(|p| format!("{}/{} ({} entries)", p.source, p.chart, p.entries))
        .collect();
    (!charts.is_empty()).then(|| Flag {
        kind: FlagKind::HomeAbsent,
        detail: format!(
            "never charts in its origin market {origin}, which {} has: {}",
            if charts.len() == 1 {
                "this chart"
            } else {
                "these charts"
            },
            charts.join(", ")
        ),
    })
}
