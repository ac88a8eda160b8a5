//! Robustness checks: each claim's verdict recomputed on the same chart with
//! some artists left out (those whose placement the audit doubts, the ones
//! with the most entries, those not placed by the registry). A verdict that holds in every
//! check that could be computed is robust; otherwise it is fragile, and the
//! checks that flip it are named.

use std::collections::BTreeSet;

use chartlens_store::derived::Artists;
use serde::Serialize;

use super::claim::Verdict;
use super::data::ArtistRow;

/// One way of leaving artists out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// Without the artists `chartlens artists audit --doubtful` lists: those
    /// with a reason to doubt their placement (contradicting tag, origin
    /// conflict, origin from a country list only, home market absent: whose
    /// origin market has a chart here but who never chart there). The
    /// `single-source` flag alone does not count ([`Artists::is_flagged`]
    /// ignores it: most list placements rest on one file); check (c),
    /// [`Check::RegistryOnly`], covers those.
    WithoutAudited,
    /// Without the artist of the two cohorts with the most entries.
    WithoutTop1,
    /// Without the 3 artists of the two cohorts with the most entries.
    WithoutTop3,
    /// Without the 5 artists of the two cohorts with the most entries.
    WithoutTop5,
    /// Only artists whose cohort a registry row or a cohort rule naming them
    /// decides (not third-party lists alone).
    RegistryOnly,
}

impl Check {
    /// Every check, in the order the report lists them.
    pub const ALL: [Check; 5] = [
        Check::WithoutAudited,
        Check::WithoutTop1,
        Check::WithoutTop3,
        Check::WithoutTop5,
        Check::RegistryOnly,
    ];

    /// The check in words, as the report names it.
    pub fn label(self) -> &'static str {
        match self {
            Check::WithoutAudited => "without doubtful placements",
            Check::WithoutTop1 => "without the top artist",
            Check::WithoutTop3 => "without the top 3 artists",
            Check::WithoutTop5 => "without the top 5 artists",
            Check::RegistryOnly => "registry-placed artists only",
        }
    }

    fn top(self) -> Option<usize> {
        match self {
            Check::WithoutTop1 => Some(1),
            Check::WithoutTop3 => Some(3),
            Check::WithoutTop5 => Some(5),
            Check::WithoutAudited | Check::RegistryOnly => None,
        }
    }

    /// The artists (registry ids) of the compared cohorts this check leaves
    /// out of `rows`: one chart's artists, or for videos the artists linked
    /// to them with their number of videos as `entries`.
    pub fn left_out(
        self,
        rows: &[&ArtistRow],
        artists: &Artists,
        home_absent: impl Fn(&ArtistRow) -> bool,
    ) -> BTreeSet<i64> {
        let index = |row: &ArtistRow| row.artist_id.and_then(|id| usize::try_from(id).ok());
        if let Some(k) = self.top() {
            let mut ranked: Vec<&&ArtistRow> =
                rows.iter().filter(|r| r.artist_id.is_some()).collect();
            ranked.sort_by(|a, b| b.entries.cmp(&a.entries).then(a.name.cmp(&b.name)));
            return ranked.iter().take(k).filter_map(|r| r.artist_id).collect();
        }
        rows.iter()
            .filter(|row| {
                let Some(i) = index(row) else { return false };
                match self {
                    // The audit's home-market flag, on this chart: list
                    // placements only (`chartlens_model::audit::home_absent`).
                    Check::WithoutAudited => {
                        artists.is_flagged(i)
                            || (home_absent(row) && !artists.placed_by_registry(i))
                    }
                    Check::RegistryOnly => !artists.placed_by_registry(i),
                    Check::WithoutTop1 | Check::WithoutTop3 | Check::WithoutTop5 => false,
                }
            })
            .filter_map(|r| r.artist_id)
            .collect()
    }
}

/// A check's outcome for one claim on one chart.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// Which check this is.
    pub check: Check,
    /// The check in words.
    pub label: &'static str,
    /// Artists of the two cohorts left out.
    pub left_out: usize,
    /// The verdict with them left out; None when it cannot be computed.
    pub verdict: Option<Verdict>,
    /// Whether the verdict is the same as with every artist; None when the
    /// check cannot be computed.
    pub holds: Option<bool>,
    /// What the recomputed verdict says, or why it cannot be computed.
    pub note: String,
}

/// Whether a verdict survives the robustness checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stability {
    /// Holds in every check that could be computed.
    Robust,
    /// Some check flips it (see `flipped_by`).
    Fragile,
    /// The claim is unanswered here, or no check could be computed.
    NotAssessed,
}

impl Stability {
    /// The stability in words (`robust`, `fragile`, `not assessed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Stability::Robust => "robust",
            Stability::Fragile => "fragile",
            Stability::NotAssessed => "not assessed",
        }
    }
}

/// A verdict's robustness over all checks.
#[derive(Debug, Clone, Serialize)]
pub struct Robustness {
    /// Whether the verdict holds in every check.
    pub status: Stability,
    /// The checks that change the verdict.
    pub flipped_by: Vec<Check>,
    /// Every check's outcome, in the order of `Check::ALL`.
    pub checks: Vec<CheckResult>,
}

impl Robustness {
    /// Not assessed, because the verdict itself is no answer.
    pub fn not_assessed() -> Robustness {
        Robustness {
            status: Stability::NotAssessed,
            flipped_by: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// The outcome of every check against the verdict with all artists.
    /// `recomputed` gives, per check, the artists left out and the
    /// recomputed verdict with its note.
    pub fn assess(
        verdict: Verdict,
        recomputed: impl Iterator<Item = (Check, usize, Verdict, String)>,
    ) -> Robustness {
        if verdict == Verdict::Unanswered {
            return Robustness::not_assessed();
        }
        let checks: Vec<CheckResult> = recomputed
            .map(|(check, left_out, v, note)| {
                let computable = v != Verdict::Unanswered;
                CheckResult {
                    check,
                    label: check.label(),
                    left_out,
                    verdict: computable.then_some(v),
                    holds: computable.then_some(v == verdict),
                    note: if computable {
                        note
                    } else {
                        let why = note.strip_prefix("Unanswered, because ").unwrap_or(&note);
                        format!("Cannot be computed: {why}")
                    },
                }
            })
            .collect();
        let flipped_by: Vec<Check> = checks
            .iter()
            .filter(|c| c.holds == Some(false))
            .map(|c| c.check)
            .collect();
        let status = if !flipped_by.is_empty() {
            Stability::Fragile
        } else if checks.iter().any(|c| c.holds == Some(true)) {
            Stability::Robust
        } else {
            Stability::NotAssessed
        };
        Robustness {
            status,
            flipped_by,
            checks,
        }
    }

    /// `robust`, or `fragile (without the top artist; ...)`.
    pub fn summary(&self) -> String {
        match self.status {
            Stability::Fragile => {
                let labels: Vec<&str> = self.flipped_by.iter().map(|c| c.label()).collect();
                format!("fragile (flipped by: {})", labels.join("; "))
            }
            Stability::Robust | Stability::NotAssessed => self.status.as_str().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flipping_check_makes_a_verdict_fragile_and_unanswered_checks_are_said() {
        let run = |v: [Verdict; 2]| {
            Robustness::assess(
                Verdict::Supported,
                [
                    (Check::WithoutTop1, 1, v[0], "a".into()),
                    (Check::RegistryOnly, 0, v[1], "b".into()),
                ]
                .into_iter(),
            )
        };
        let r = run([Verdict::Supported, Verdict::Unanswered]);
        assert_eq!(r.status, Stability::Robust);
        assert_eq!(r.checks[1].holds, None);
        assert!(r.checks[1].note.starts_with("Cannot be computed"));
        let r = run([Verdict::Inconclusive, Verdict::Supported]);
        assert_eq!(r.status, Stability::Fragile);
        assert_eq!(r.flipped_by, [Check::WithoutTop1]);
        assert_eq!(r.summary(), "fragile (flipped by: without the top artist)");
        let r = run([Verdict::Unanswered, Verdict::Unanswered]);
        assert_eq!(r.status, Stability::NotAssessed);
        let r = Robustness::assess(Verdict::Unanswered, std::iter::empty());
        assert_eq!(r.status, Stability::NotAssessed);
    }

    #[test]
    fn the_audit_check_says_it_leaves_out_doubtful_placements_only() {
        // `Artists::is_flagged` ignores `single-source`: no text may promise
        // every flagged artist is left out.
        assert_eq!(Check::WithoutAudited.label(), "without doubtful placements");
        let rule = crate::measure::VERDICT_RULE;
        assert!(
            rule.contains("`chartlens artists audit --doubtful`"),
            "{rule}"
        );
        assert!(!rule.contains("audit flags"), "{rule}");
        for check in Check::ALL {
            assert!(!check.label().contains("audited"), "{}", check.label());
        }
    }
}
