//! Cohorts: named groups of artists (K-pop, J-pop, ...) defined by ordered
//! rules in a TOML file users can edit. The built-in definitions,
//! `crates/model/data/cohorts.toml`, document the format and the precedence:
//! the first rule that matches an artist decides, an `exclude` rule keeps an
//! artist out of its cohort, and `member_of` rules see the cohorts that the
//! other rules gave to groups.

use std::collections::HashSet;
use std::fmt;

use regex::Regex;
use serde::Deserialize;

use crate::Region;
use crate::registry::{Artist, FactKind, Registry, Resolution};

/// The cohort definitions built into chartlens.
pub const BUILTIN_TOML: &str = include_str!("../data/cohorts.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    #[serde(default, rename = "cohort")]
    cohorts: Vec<Cohort>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleDef>,
}

/// A cohort as the file names and describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cohort {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    cohort: String,
    #[serde(default)]
    exclude: bool,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    origin: Vec<String>,
    #[serde(default)]
    genres: Vec<String>,
    #[serde(default)]
    genre_patterns: Vec<String>,
    #[serde(default)]
    curated_only: bool,
    #[serde(default)]
    listed: Vec<String>,
    #[serde(default)]
    member_of: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// One rule, checked.
#[derive(Debug, Clone)]
pub struct Rule {
    /// 1-based position in the file, as `artists explain` cites it.
    pub number: usize,
    pub cohort: usize,
    pub exclude: bool,
    pub names: Vec<String>,
    /// Origins; `None` stands for "unknown".
    pub origin: Vec<Option<String>>,
    pub genres: Vec<String>,
    pub genre_patterns: Vec<Regex>,
    pub curated_only: bool,
    pub listed: Vec<String>,
    pub member_of: Option<usize>,
    pub note: Option<String>,
}

/// A cohort file that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortError(pub String);

impl fmt::Display for CohortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CohortError {}

/// Checked cohort definitions.
#[derive(Debug, Clone)]
pub struct Cohorts {
    pub cohorts: Vec<Cohort>,
    pub rules: Vec<Rule>,
    /// The TOML text they were read from.
    pub text: String,
}

/// The cohort of every artist, and the rule that decided it.
#[derive(Debug, Clone)]
pub struct Classification {
    /// Per artist id: index into [`Cohorts::cohorts`].
    pub cohort: Vec<Option<usize>>,
    /// Per artist id: index into [`Cohorts::rules`] of the deciding rule.
    pub rule: Vec<Option<usize>>,
}

/// What one rule said about one artist, for `artists explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub rule: usize,
    pub effect: Effect,
    /// Why it matched (with the evidence cited) or which condition failed.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The first matching rule: it decided the cohort.
    Decided,
    /// Matched after the decision; it had no effect.
    Shadowed,
    /// An exclude rule that matched.
    Excluded,
    /// Matched, but its cohort had been excluded by an earlier rule.
    Blocked,
    NotMatched,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Decided => "decided",
            Effect::Shadowed => "matched, later",
            Effect::Excluded => "excluded",
            Effect::Blocked => "matched, cohort excluded",
            Effect::NotMatched => "no match",
        }
    }
}

impl Cohorts {
    pub fn builtin() -> Cohorts {
        Cohorts::parse(BUILTIN_TOML).expect("the built-in cohorts are valid (checked by a test)")
    }

    /// Reads and checks a cohort file.
    pub fn parse(text: &str) -> Result<Cohorts, CohortError> {
        let file: FileDef = toml::from_str(text).map_err(|e| CohortError(e.to_string()))?;
        let mut seen = HashSet::new();
        for cohort in &file.cohorts {
            if cohort.name.trim().is_empty() {
                return Err(CohortError("a cohort has an empty name".into()));
            }
            if !seen.insert(cohort.name.as_str()) {
                return Err(CohortError(format!(
                    "cohort `{}` is defined twice",
                    cohort.name
                )));
            }
        }
        let cohort_index = |name: &str, number: usize| {
            file.cohorts
                .iter()
                .position(|c| c.name == name)
                .ok_or_else(|| {
                    CohortError(format!(
                        "rule {number}: cohort `{name}` is not defined by a [[cohort]] table"
                    ))
                })
        };
        let mut rules = Vec::new();
        for (i, def) in file.rules.iter().enumerate() {
            let number = i + 1;
            let err = |what: String| CohortError(format!("rule {number} ({}): {what}", def.cohort));
            let origin = def
                .origin
                .iter()
                .map(|o| {
                    if o.eq_ignore_ascii_case("unknown") {
                        Ok(None)
                    } else {
                        Region::parse(o)
                            .map(|r| Some(r.code().to_string()))
                            .ok_or_else(|| err(format!("`{o}` is not a country name or ISO code")))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            let genre_patterns = def
                .genre_patterns
                .iter()
                .map(|p| {
                    Regex::new(&format!("^(?:{p})$"))
                        .map_err(|e| err(format!("genre pattern `{p}`: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let empty = def.names.is_empty()
                && origin.is_empty()
                && def.genres.is_empty()
                && genre_patterns.is_empty()
                && def.listed.is_empty()
                && def.member_of.is_none();
            if empty {
                return Err(err(
                    "the rule has no condition, so it would match everyone".into()
                ));
            }
            rules.push(Rule {
                number,
                cohort: cohort_index(&def.cohort, number)?,
                exclude: def.exclude,
                names: def.names.clone(),
                origin,
                genres: def.genres.iter().map(|g| g.trim().to_lowercase()).collect(),
                genre_patterns,
                curated_only: def.curated_only,
                listed: def.listed.iter().map(|l| l.trim().to_lowercase()).collect(),
                member_of: def
                    .member_of
                    .as_deref()
                    .map(|c| cohort_index(c, number))
                    .transpose()?,
                note: def.note.clone(),
            });
        }
        Ok(Cohorts {
            cohorts: file.cohorts,
            rules,
            text: text.to_string(),
        })
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.cohorts
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Names in rules that do not resolve to exactly one artist, by rule number.
    pub fn unresolved_names(&self, registry: &Registry) -> Vec<(usize, String)> {
        self.rules
            .iter()
            .flat_map(|r| r.names.iter().map(move |n| (r.number, n)))
            .filter(|(_, n)| !matches!(registry.resolve(n), Resolution::Unique(_)))
            .map(|(number, n)| (number, n.clone()))
            .collect()
    }

    /// Places every artist of the registry.
    pub fn classify(&self, registry: &Registry) -> Classification {
        let named = self.named_artists(registry);
        let mut groups_first = Classification {
            cohort: vec![None; registry.artists.len()],
            rule: vec![None; registry.artists.len()],
        };
        for artist in &registry.artists {
            let (cohort, rule) = self.decide(registry, artist, &named, None);
            groups_first.cohort[artist.id] = cohort;
            groups_first.rule[artist.id] = rule;
        }
        let mut result = groups_first.clone();
        for artist in registry.artists.iter().filter(|a| !a.groups.is_empty()) {
            let (cohort, rule) = self.decide(registry, artist, &named, Some(&groups_first));
            result.cohort[artist.id] = cohort;
            result.rule[artist.id] = rule;
        }
        result
    }

    /// Every rule's outcome for one artist, in order.
    pub fn explain(&self, registry: &Registry, artist: &Artist) -> Vec<Outcome> {
        let named = self.named_artists(registry);
        // Groups' cohorts as the first pass saw them: without member_of rules.
        let groups_first = Classification {
            cohort: registry
                .artists
                .iter()
                .map(|a| self.decide(registry, a, &named, None).0)
                .collect(),
            rule: Vec::new(),
        };
        let mut excluded = HashSet::new();
        let mut decided = false;
        let mut outcomes = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let checked = check(rule, registry, artist, &named[i], Some(&groups_first));
            let effect = match &checked {
                Err(_) => Effect::NotMatched,
                Ok(_) if rule.exclude => {
                    excluded.insert(rule.cohort);
                    Effect::Excluded
                }
                Ok(_) if excluded.contains(&rule.cohort) => Effect::Blocked,
                Ok(_) if decided => Effect::Shadowed,
                Ok(_) => {
                    decided = true;
                    Effect::Decided
                }
            };
            outcomes.push(Outcome {
                rule: i,
                effect,
                detail: checked.unwrap_or_else(|failed| failed),
            });
        }
        outcomes
    }

    /// For each rule, the artists its `names` resolve to.
    fn named_artists(&self, registry: &Registry) -> Vec<HashSet<usize>> {
        self.rules
            .iter()
            .map(|r| {
                r.names
                    .iter()
                    .filter_map(|n| match registry.resolve(n) {
                        Resolution::Unique(id) => Some(id),
                        _ => None,
                    })
                    .collect()
            })
            .collect()
    }

    fn decide(
        &self,
        registry: &Registry,
        artist: &Artist,
        named: &[HashSet<usize>],
        groups: Option<&Classification>,
    ) -> (Option<usize>, Option<usize>) {
        let mut excluded: Vec<usize> = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if excluded.contains(&rule.cohort) || (rule.member_of.is_some() && groups.is_none()) {
                continue;
            }
            if check(rule, registry, artist, &named[i], groups).is_ok() {
                if rule.exclude {
                    excluded.push(rule.cohort);
                } else {
                    return (Some(rule.cohort), Some(i));
                }
            }
        }
        (None, None)
    }
}

/// Whether `rule` matches `artist`: `Ok(why)` citing the evidence, or
/// `Err(the first condition that failed)`.
fn check(
    rule: &Rule,
    registry: &Registry,
    artist: &Artist,
    named: &HashSet<usize>,
    groups: Option<&Classification>,
) -> Result<String, String> {
    let mut why = Vec::new();
    let cite = |kind: FactKind, value: &str, curated_only: bool| -> String {
        artist
            .facts
            .iter()
            .map(|&i| &registry.facts[i])
            .find(|f| f.kind == kind && f.value == value && (!curated_only || f.curated()))
            .map(|f| format!(" ({})", f.citation()))
            .unwrap_or_default()
    };
    if !rule.names.is_empty() {
        if !named.contains(&artist.id) {
            return Err("not among the rule's names".into());
        }
        why.push("named by the rule".to_string());
    }
    if !rule.origin.is_empty() {
        if !rule.origin.contains(&artist.origin) {
            let origin = artist.origin.as_deref().unwrap_or("unknown");
            return Err(format!("origin is {origin}"));
        }
        match &artist.origin {
            Some(code) => why.push(format!(
                "origin {code}{}",
                cite(FactKind::Country, code, false)
            )),
            None => why.push("origin unknown".to_string()),
        }
    }
    if !rule.genres.is_empty() || !rule.genre_patterns.is_empty() {
        let tags = if rule.curated_only {
            &artist.curated_genres
        } else {
            &artist.genres
        };
        let hit = tags.iter().find(|t| {
            rule.genres.iter().any(|g| g == *t) || rule.genre_patterns.iter().any(|p| p.is_match(t))
        });
        match hit {
            Some(tag) => why.push(format!(
                "genre `{tag}`{}",
                cite(FactKind::Genre, tag, rule.curated_only)
            )),
            None if rule.curated_only => return Err("no matching genre tag in a registry".into()),
            None => return Err("no matching genre tag".into()),
        }
    }
    if !rule.listed.is_empty() {
        match artist.listed.iter().find(|l| rule.listed.contains(l)) {
            Some(list) => why.push(format!(
                "listed as {list}{}",
                cite(FactKind::Listed, list, false)
            )),
            None => return Err("not in such a list".into()),
        }
    }
    if let Some(cohort) = rule.member_of {
        let group = groups.and_then(|g| {
            artist
                .groups
                .iter()
                .find(|&&id| g.cohort.get(id).copied().flatten() == Some(cohort))
        });
        match group {
            Some(&id) => {
                let name = &registry.artists[id].name;
                let citation = artist
                    .facts
                    .iter()
                    .map(|&i| &registry.facts[i])
                    .find(|f| {
                        f.kind == FactKind::MemberOf
                            && matches!(registry.resolve(&f.value), Resolution::Unique(g) if g == id)
                    })
                    .map(|f| format!(" ({})", f.citation()))
                    .unwrap_or_default();
                why.push(format!("member of {name}{citation}"));
            }
            None => return Err("not a member of a group in that cohort".into()),
        }
    }
    Ok(why.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::builtin_facts;
    use crate::registry::tests::fact;

    fn cohort_of(registry: &Registry, cohorts: &Cohorts, name: &str) -> Option<String> {
        let classification = cohorts.classify(registry);
        match registry.resolve(name) {
            Resolution::Unique(id) => {
                classification.cohort[id].map(|c| cohorts.cohorts[c].name.clone())
            }
            other => panic!("{name}: {other:?}"),
        }
    }

    fn shared_like_registry() -> Registry {
        use FactKind::*;
        let mut facts = builtin_facts();
        facts.extend([
            // A US act that a genre table tags k-pop by a name collision.
            fact(
                "genres.csv",
                "spotify-artist-genres",
                2,
                "Nova Ray",
                Genre,
                "k-pop",
            ),
            fact(
                "genres.csv",
                "spotify-artist-genres",
                2,
                "Nova Ray",
                Genre,
                "k-pop boy group",
            ),
            fact(
                "cg.csv",
                "artist-country-genre",
                5,
                "Nova Ray",
                Country,
                "US",
            ),
            // A Korean group tagged j-pop because it released Japanese songs.
            fact(
                "genres.csv",
                "spotify-artist-genres",
                3,
                "Haneul Five",
                Genre,
                "j-pop",
            ),
            fact(
                "groups.csv",
                "kpop-groups",
                4,
                "Haneul Five",
                Listed,
                "k-pop group",
            ),
            // A Japanese member of a K-pop group, with a genre table's tags.
            fact("idols.csv", "kpop-idols", 6, "Mina", Country, "JP"),
            fact("idols.csv", "kpop-idols", 6, "Mina", MemberOf, "TWICE"),
            fact(
                "genres.csv",
                "spotify-artist-genres",
                9,
                "Mina",
                Genre,
                "pop",
            ),
            // An idol stage name shared by an unrelated act: the idol list alone
            // does not place it.
            fact("idols.csv", "kpop-idols", 10, "Daniel", Country, "KR"),
            fact(
                "idols.csv",
                "kpop-idols",
                10,
                "Daniel",
                Listed,
                "k-pop idol",
            ),
            // Unknown origin: tags decide.
            fact(
                "genres.csv",
                "spotify-artist-genres",
                7,
                "Kaze Band",
                Genre,
                "j-rock",
            ),
            fact(
                "genres.csv",
                "spotify-artist-genres",
                8,
                "Folk Crew",
                Genre,
                "folk-pop",
            ),
        ]);
        Registry::build(facts)
    }

    #[test]
    fn builtin_cohorts_place_the_usual_suspects() {
        let registry = shared_like_registry();
        let cohorts = Cohorts::builtin();
        let of = |name| cohort_of(&registry, &cohorts, name);
        for name in [
            "BTS",
            "BLACKPINK",
            "TWICE",
            "Red Velvet",
            "방탄소년단",
            "LISA",
            "Mina",
        ] {
            assert_eq!(of(name).as_deref(), Some("K-pop"), "{name}");
        }
        for name in [
            "ONE OK ROCK",
            "RADWIMPS",
            "LiSA",
            "BABYMETAL",
            "米津玄師",
            "Kenshi Yonezu",
            "Kaze Band",
        ] {
            assert_eq!(of(name).as_deref(), Some("J-pop"), "{name}");
        }
        assert_eq!(of("Nova Ray").as_deref(), Some("Anglo"));
        assert_eq!(of("Haneul Five").as_deref(), Some("K-pop"));
        assert_eq!(of("Folk Crew"), None, "folk-pop is not a Korean tag");
        assert_eq!(of("Daniel"), None, "known only from an idol list");
    }

    #[test]
    fn explain_cites_evidence_and_marks_the_deciding_rule() {
        let registry = shared_like_registry();
        let cohorts = Cohorts::builtin();
        let classification = cohorts.classify(&registry);
        let Resolution::Unique(id) = registry.resolve("Mina") else {
            panic!()
        };
        let outcomes = cohorts.explain(&registry, &registry.artists[id]);
        let decided: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| o.effect == Effect::Decided)
            .collect();
        assert_eq!(decided.len(), 1);
        assert_eq!(Some(decided[0].rule), classification.rule[id]);
        assert!(
            decided[0].detail.contains("member of TWICE (idols.csv:6)"),
            "{}",
            decided[0].detail
        );
        // The origin rule for Japan matched too, later.
        assert!(
            outcomes
                .iter()
                .any(|o| o.effect == Effect::Shadowed
                    && o.detail.contains("origin JP (idols.csv:6)"))
        );
    }

    #[test]
    fn user_rules_come_first_and_exclude() {
        let registry = shared_like_registry();
        let text = BUILTIN_TOML.replacen(
            "\n[[rule]]\n",
            "\n[[rule]]\ncohort = \"K-pop\"\nexclude = true\nnames = [\"twice\"]\n\n[[rule]]\n",
            1,
        );
        let cohorts = Cohorts::parse(&text).unwrap();
        // Excluded from K-pop; its origin KR cannot place it there either.
        assert_eq!(cohort_of(&registry, &cohorts, "TWICE"), None);
        assert_eq!(
            cohort_of(&registry, &cohorts, "BTS").as_deref(),
            Some("K-pop")
        );
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let err = |text: &str| Cohorts::parse(text).unwrap_err().0;
        assert!(
            err("[[rule]]\ncohort = \"X\"\norigin = [\"KR\"]\n")
                .contains("cohort `X` is not defined")
        );
        assert!(
            err("[[cohort]]\nname = \"X\"\n[[rule]]\ncohort = \"X\"\n").contains("no condition")
        );
        assert!(
            err("[[cohort]]\nname = \"X\"\n[[rule]]\ncohort = \"X\"\norigin = [\"Atlantis\"]\n")
                .contains("Atlantis")
        );
        assert!(
            err("[[cohort]]\nname = \"X\"\n[[rule]]\ncohort = \"X\"\ngenre_patterns = [\"(\"]\n")
                .contains("genre pattern")
        );
        assert!(err("[[cohort]]\nname = \"X\"\ncolour = 1\n").contains("colour"));
        assert!(err("[[cohort]]\nname = \"X\"\n[[cohort]]\nname = \"X\"\n").contains("twice"));
    }
}
