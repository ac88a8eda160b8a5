//! Cohorts: named groups of artists (K-pop, J-pop, ...) defined by ordered
//! rules in a TOML file users can edit. The built-in definitions,
//! `crates/model/data/cohorts.toml`, document the format and the precedence:
//! the first rule that matches an artist decides, an `exclude` rule keeps an
//! artist out of its cohort, and `member_of` rules see the cohorts that the
//! other rules gave to groups.
//!
//! # Evidence must agree
//!
//! A rule that matches on third-party lists alone (idol, group, country and
//! genre lists, which match artists by name) places an artist only when the
//! evidence agrees ([`Basis::Lists`]). The artist is *held back*, in no
//! cohort, when
//! - a genre tag names another scene than the cohort's and no tag names the
//!   cohort's own (a `german hip hop` rapper whom a Japanese country row of
//!   the same name would place in J-pop; see `crate::scene`),
//! - its lists give two origins, or
//! - the placement rests on a K-pop idol list's stage name and no other list
//!   ties the name to the cohort (stage names such as `Joy` or `Mina` are
//!   shared by unrelated acts).
//!
//! Later rules are still tried: one resting on a registry row, or on list
//! evidence that agrees, may place the artist. A rule naming the artist and
//! a registry row (built-in or imported, with its platform ids) are
//! authoritative and place the artist whatever the lists say; `artists
//! audit` still shows the disagreement.

use std::collections::HashSet;
use std::fmt;

use regex::Regex;
use serde::Deserialize;

use crate::Region;
use crate::registry::{Artist, FactKind, IDOL_LIST_LAYOUT, Registry, Resolution};
use crate::scene;

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
    /// Name of the cohort (`K-pop`), unique in the file; rules and reports refer to it.
    pub name: String,
    /// What the cohort holds, in a sentence; empty when the file gives none.
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
    /// Index into `Cohorts::cohorts` of the cohort the rule places artists in (or keeps them out of).
    pub cohort: usize,
    /// Whether the rule keeps matching artists out of its cohort instead of placing them.
    pub exclude: bool,
    /// Names the artist must answer to (any spelling); empty for no name condition.
    pub names: Vec<String>,
    /// Origins; `None` stands for "unknown".
    pub origin: Vec<Option<String>>,
    /// Genre tags (lower case), one of which the artist must carry; empty for no condition.
    pub genres: Vec<String>,
    /// Regular expressions, anchored to match a whole tag, one of which a tag must match.
    pub genre_patterns: Vec<Regex>,
    /// Whether the genre conditions look only at tags from registry files.
    pub curated_only: bool,
    /// Kinds of list (`k-pop idol`, `k-pop group`, lower case) the artist must appear in.
    pub listed: Vec<String>,
    /// Index into `Cohorts::cohorts`: the artist must be a member of a group placed in that cohort.
    pub member_of: Option<usize>,
    /// The rule's note, as `artists explain` and the `artists.rule` column show it.
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
    /// The cohorts, in file order.
    pub cohorts: Vec<Cohort>,
    /// The rules, in file order: the first that matches an artist decides.
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
    /// Per artist id: what kind of evidence placed it.
    pub basis: Vec<Option<Basis>>,
    /// Per artist id: why the evidence held it back from the cohort of the
    /// first matching rule (it is then in no cohort).
    pub held: Vec<Option<Held>>,
}

/// What kind of evidence placed an artist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// A rule of the cohort file names the artist.
    Rule,
    /// A registry row (built-in or imported): its genre tags or its origin.
    Registry,
    /// Third-party lists only (idol, group, country and genre lists).
    Lists,
}

impl Basis {
    /// The kebab-case name of the basis, as the `artists.basis` column stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Rule => "rule",
            Basis::Registry => "registry",
            Basis::Lists => "lists",
        }
    }
}

/// A placement the evidence did not support: the rule that matched, the
/// cohort it would have given, and why it was not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// Index into `Cohorts::rules` of the rule that matched.
    pub rule: usize,
    /// Index into `Cohorts::cohorts` of the cohort the rule would have given.
    pub cohort: usize,
    /// Why the evidence does not support the placement.
    pub why: String,
}

/// The outcome of the rules for one artist.
enum Decision {
    Placed(usize, usize, Basis),
    Held(Held),
    None,
}

/// What one rule said about one artist, for `artists explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Index into `Cohorts::rules` of the rule.
    pub rule: usize,
    /// What the rule did for the artist.
    pub effect: Effect,
    /// Why it matched (with the evidence cited) or which condition failed.
    pub detail: String,
}

/// What one rule did for one artist (see [`Outcome`]).
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
    /// Matched on third-party lists whose evidence disagrees: the artist is
    /// in no cohort.
    HeldBack,
    /// The rule did not match.
    NotMatched,
}

impl Effect {
    /// How `artists explain` words the effect.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Decided => "decided",
            Effect::Shadowed => "matched, later",
            Effect::Excluded => "excluded",
            Effect::Blocked => "matched, cohort excluded",
            Effect::HeldBack => "matched, held back",
            Effect::NotMatched => "no match",
        }
    }
}

impl Cohorts {
    /// The built-in cohort definitions ([`BUILTIN_TOML`]).
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

    /// Index into `cohorts` of the cohort of this name, compared without ASCII case; None when there is none.
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
        let n = registry.artists.len();
        let mut groups_first = Classification {
            cohort: vec![None; n],
            rule: vec![None; n],
            basis: vec![None; n],
            held: vec![None; n],
        };
        let record = |c: &mut Classification, id: usize, decision: Decision| {
            (c.cohort[id], c.rule[id], c.basis[id], c.held[id]) = match decision {
                Decision::Placed(cohort, rule, basis) => {
                    (Some(cohort), Some(rule), Some(basis), None)
                }
                Decision::Held(held) => (None, None, None, Some(held)),
                Decision::None => (None, None, None, None),
            };
        };
        for artist in &registry.artists {
            let decision = self.decide(registry, artist, &named, None);
            record(&mut groups_first, artist.id, decision);
        }
        let mut result = groups_first.clone();
        for artist in registry.artists.iter().filter(|a| !a.groups.is_empty()) {
            let decision = self.decide(registry, artist, &named, Some(&groups_first));
            record(&mut result, artist.id, decision);
        }
        result
    }

    /// Every rule's outcome for one artist, in order.
    pub fn explain(&self, registry: &Registry, artist: &Artist) -> Vec<Outcome> {
        let named = self.named_artists(registry);
        // Groups' cohorts as the first pass saw them: without member_of rules.
        let mut first_pass = vec![None; registry.artists.len()];
        for group in &registry.artists {
            if let Decision::Placed(cohort, _, _) = self.decide(registry, group, &named, None) {
                first_pass[group.id] = Some(cohort);
            }
        }
        let groups_first = Classification {
            cohort: first_pass,
            rule: Vec::new(),
            basis: Vec::new(),
            held: Vec::new(),
        };
        let mut excluded = HashSet::new();
        let mut decided = false;
        let mut outcomes = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let checked = check(rule, registry, artist, &named[i], Some(&groups_first));
            let mut detail = None;
            let effect = match &checked {
                Err(_) => Effect::NotMatched,
                Ok(_) if rule.exclude => {
                    excluded.insert(rule.cohort);
                    Effect::Excluded
                }
                Ok(_) if excluded.contains(&rule.cohort) => Effect::Blocked,
                Ok(_) if decided => Effect::Shadowed,
                Ok(why) => match self.held_back(registry, artist, rule) {
                    Some(held) => {
                        detail = Some(format!("{why}; held back: {held}"));
                        Effect::HeldBack
                    }
                    None => {
                        decided = true;
                        Effect::Decided
                    }
                },
            };
            outcomes.push(Outcome {
                rule: i,
                effect,
                detail: detail.unwrap_or_else(|| checked.unwrap_or_else(|failed| failed)),
            });
        }
        outcomes
    }

    /// The countries a cohort's origin rules name: its home scenes.
    pub fn homes(&self, cohort: usize) -> Vec<&str> {
        let mut homes: Vec<&str> = self
            .rules
            .iter()
            .filter(|r| r.cohort == cohort && !r.exclude)
            .flat_map(|r| r.origin.iter().flatten().map(String::as_str))
            .collect();
        homes.sort_unstable();
        homes.dedup();
        homes
    }

    /// Whether a genre tag speaks for a cohort (a genre condition of one of
    /// its rules matches it, or it names one of its home scenes), against it
    /// (it names a scene of no home country, or matches another cohort's
    /// genre condition), or neither.
    pub fn tag_stance(&self, tag: &str, cohort: usize) -> Option<bool> {
        let matches = |r: &Rule| {
            !r.exclude
                && (r.genres.iter().any(|g| g == tag)
                    || r.genre_patterns.iter().any(|p| p.is_match(tag)))
        };
        if self.rules.iter().any(|r| r.cohort == cohort && matches(r)) {
            return Some(true);
        }
        let homes = self.homes(cohort);
        if let Some(scene) = scene::countries(tag) {
            return Some(scene.iter().any(|c| homes.contains(c)));
        }
        self.rules
            .iter()
            .any(|r| r.cohort != cohort && matches(r))
            .then_some(false)
    }

    /// The evidence against placing the artist in `cohort`, cited: genre
    /// tags that name another scene when no tag names the cohort's own, and
    /// lists of another cohort's acts (a K-pop group list, for J-pop) when
    /// no list of this cohort's names it.
    pub fn contradictions(
        &self,
        registry: &Registry,
        artist: &Artist,
        cohort: usize,
    ) -> Vec<String> {
        let facts = || artist.facts.iter().map(|&i| &registry.facts[i]);
        let cite = |kind: FactKind, value: &str| {
            facts()
                .find(|f| f.kind == kind && f.value == value)
                .map(|f| format!(" ({})", f.citation()))
                .unwrap_or_default()
        };
        let name = &self.cohorts[cohort].name;
        let mut out = Vec::new();
        let stances: Vec<(&String, Option<bool>)> = artist
            .genres
            .iter()
            .map(|t| (t, self.tag_stance(t, cohort)))
            .collect();
        if !stances.iter().any(|(_, s)| *s == Some(true)) {
            for (tag, _) in stances.iter().filter(|(_, s)| *s == Some(false)) {
                out.push(format!(
                    "genre `{tag}`{} is of another scene than {name}",
                    cite(FactKind::Genre, tag)
                ));
            }
        }
        let lists_of = |c: usize, list: &String| {
            self.rules
                .iter()
                .any(|r| r.cohort == c && !r.exclude && r.listed.contains(list))
        };
        if !artist.listed.iter().any(|l| lists_of(cohort, l)) {
            for list in &artist.listed {
                if let Some(other) =
                    (0..self.cohorts.len()).find(|&c| c != cohort && lists_of(c, list))
                {
                    out.push(format!(
                        "listed as {list}{}, a list of {} acts",
                        cite(FactKind::Listed, list),
                        self.cohorts[other].name
                    ));
                }
            }
        }
        out
    }

    /// The files whose facts speak for placing the artist in `cohort`: a
    /// genre tag of the cohort, an origin among its home countries, a list
    /// the cohort's rules name (idol and group lists), membership of a group
    /// placed there. Two independent files agreeing is what corroboration
    /// means in `artists audit`.
    pub fn supporting_sources<'a>(
        &self,
        registry: &'a Registry,
        artist: &Artist,
        cohort: usize,
        placed: &Classification,
    ) -> Vec<&'a str> {
        let homes = self.homes(cohort);
        let listed: Vec<&String> = self
            .rules
            .iter()
            .filter(|r| r.cohort == cohort && !r.exclude)
            .flat_map(|r| &r.listed)
            .collect();
        let mut sources: Vec<&str> = artist
            .facts
            .iter()
            .map(|&i| &registry.facts[i])
            .filter(|f| match f.kind {
                FactKind::Genre => self.tag_stance(&f.value, cohort) == Some(true),
                FactKind::Country => homes.contains(&f.value.as_str()),
                FactKind::Listed => listed.contains(&&f.value),
                FactKind::MemberOf => matches!(
                    registry.resolve(&f.value),
                    Resolution::Unique(g) if placed.cohort.get(g).copied().flatten() == Some(cohort)
                ),
                _ => false,
            })
            .map(|f| &*f.source)
            .collect();
        sources.sort_unstable();
        sources.dedup();
        sources
    }

    /// The genre a registry row can give to place an artist in `cohort`
    /// whatever its origin: the first genre of a `curated_only` rule of it.
    pub fn registry_tag(&self, cohort: usize) -> Option<&str> {
        self.rules
            .iter()
            .filter(|r| r.cohort == cohort && !r.exclude && r.curated_only)
            .find_map(|r| r.genres.first().map(String::as_str))
    }

    /// What kind of evidence a matching rule rests on.
    fn basis(&self, rule: &Rule, registry: &Registry, artist: &Artist) -> Basis {
        if !rule.names.is_empty() {
            return Basis::Rule;
        }
        let curated_origin = || {
            artist.origin.as_ref().is_some_and(|o| {
                artist
                    .facts
                    .iter()
                    .map(|&i| &registry.facts[i])
                    .any(|f| f.kind == FactKind::Country && &f.value == o && f.curated())
            })
        };
        let by_tags = !rule.genres.is_empty() || !rule.genre_patterns.is_empty();
        let by_lists = !rule.listed.is_empty() || rule.member_of.is_some();
        if (by_tags && rule.curated_only && !by_lists)
            || (!rule.origin.is_empty() && !by_tags && !by_lists && curated_origin())
        {
            Basis::Registry
        } else {
            Basis::Lists
        }
    }

    /// Why a rule's match on third-party lists does not place the artist,
    /// if it does not (see the module documentation).
    fn held_back(&self, registry: &Registry, artist: &Artist, rule: &Rule) -> Option<String> {
        if self.basis(rule, registry, artist) != Basis::Lists {
            return None;
        }
        let contradicting = self.contradictions(registry, artist, rule.cohort);
        if !contradicting.is_empty() {
            return Some(contradicting.join("; "));
        }
        if artist.origin_conflict {
            return Some("its lists give two origins".to_string());
        }
        let facts = || artist.facts.iter().map(|&i| &registry.facts[i]);
        let from_idol_list = |f: &&crate::registry::Fact| &*f.layout == IDOL_LIST_LAYOUT;
        let rests_on_idol_list = (!rule.listed.is_empty()
            && !artist.listed.iter().any(|l| {
                rule.listed.contains(l)
                    && facts()
                        .any(|f| f.kind == FactKind::Listed && &f.value == l && !from_idol_list(&f))
            }))
            || rule.member_of.is_some()
            || (!rule.origin.is_empty()
                && artist.origin.as_ref().is_some_and(|o| {
                    facts()
                        .filter(|f| f.kind == FactKind::Country && &f.value == o)
                        .all(|f| from_idol_list(&f))
                }));
        if !rests_on_idol_list {
            return None;
        }
        let homes = self.homes(rule.cohort);
        let corroborated = facts()
            .filter(|f| !from_idol_list(f))
            .any(|f| match f.kind {
                FactKind::Genre => self.tag_stance(&f.value, rule.cohort) == Some(true),
                FactKind::Country => homes.contains(&f.value.as_str()),
                FactKind::Listed => true,
                _ => false,
            });
        (!corroborated).then(|| {
            format!(
                "only a K-pop idol list's stage name ties this name to {}; no other list \
                 agrees (a genre tag of the scene, an origin, a group list)",
                self.cohorts[rule.cohort].name
            )
        })
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
    ) -> Decision {
        let mut excluded: Vec<usize> = Vec::new();
        let mut held = None;
        for (i, rule) in self.rules.iter().enumerate() {
            if excluded.contains(&rule.cohort) || (rule.member_of.is_some() && groups.is_none()) {
                continue;
            }
            if check(rule, registry, artist, &named[i], groups).is_ok() {
                if rule.exclude {
                    excluded.push(rule.cohort);
                    continue;
                }
                match self.held_back(registry, artist, rule) {
                    // Later rules may still place it on evidence that
                    // agrees (a registry row's origin, say).
                    Some(why) => {
                        held.get_or_insert(Held {
                            rule: i,
                            cohort: rule.cohort,
                            why,
                        });
                    }
                    None => {
                        return Decision::Placed(
                            rule.cohort,
                            i,
                            self.basis(rule, registry, artist),
                        );
                    }
                }
            }
        }
        held.map_or(Decision::None, Decision::Held)
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
    use crate::registry::tests::fact;
    use crate::registry::{REGISTRY_LAYOUT, builtin_facts};

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
            // A US act that a genre table tags k-pop by a name collision: the
            // lists disagree, so it is held back.
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
            // A Korean group tagged j-pop (Japanese releases, or a namesake):
            // held back too, until a registry row says which.
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
                "k-pop",
            ),
            // An idol stage name that a genre table also lists, for a
            // different act: its tags name another scene.
            fact("idols.csv", "kpop-idols", 11, "Joy", Country, "KR"),
            fact("idols.csv", "kpop-idols", 11, "Joy", MemberOf, "Red Velvet"),
            fact("idols.csv", "kpop-idols", 11, "Joy", Listed, "k-pop idol"),
            fact(
                "genres.csv",
                "spotify-artist-genres",
                12,
                "Joy",
                Genre,
                "dutch pop",
            ),
            // The same, with no tags at all: nothing but the idol list ties
            // the name to K-pop.
            fact("idols.csv", "kpop-idols", 13, "Sun", Country, "KR"),
            fact("idols.csv", "kpop-idols", 13, "Sun", Listed, "k-pop idol"),
            fact(
                "genres.csv",
                "spotify-artist-genres",
                14,
                "Sun",
                Feature,
                "energy=0.5",
            ),
            // A German rapper whom a country list's Japanese row of the same
            // name would place in J-pop.
            fact("cg.csv", "artist-country-genre", 15, "Rinno", Country, "JP"),
            fact(
                "genres.csv",
                "spotify-artist-genres",
                16,
                "RINNO",
                Genre,
                "german hip hop",
            ),
            // A singer two lists give two origins.
            fact("cg.csv", "artist-country-genre", 17, "Vena", Country, "KR"),
            fact("idols.csv", "kpop-idols", 18, "Vena", Country, "ID"),
            fact("idols.csv", "kpop-idols", 18, "Vena", Listed, "k-pop idol"),
            fact(
                "genres.csv",
                "spotify-artist-genres",
                19,
                "Vena",
                Genre,
                "k-pop",
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
        // Lists that disagree place nobody: a US origin against a `k-pop`
        // tag, a K-pop group list against `j-pop` tags.
        assert_eq!(of("Nova Ray"), None);
        assert_eq!(of("Haneul Five"), None);
        assert_eq!(of("Folk Crew"), None, "folk-pop is not a Korean tag");
        assert_eq!(of("Daniel"), None, "known only from an idol list");
    }

    #[test]
    fn evidence_that_disagrees_holds_an_artist_back() {
        let registry = shared_like_registry();
        let cohorts = Cohorts::builtin();
        let classification = cohorts.classify(&registry);
        let held = |name: &str| {
            let Resolution::Unique(id) = registry.resolve(name) else {
                panic!("{name}")
            };
            assert_eq!(classification.cohort[id], None, "{name} is placed");
            let held = classification.held[id].clone().expect("held back");
            (cohorts.cohorts[held.cohort].name.clone(), held.why)
        };
        let (cohort, why) = held("Joy");
        assert_eq!(cohort, "K-pop");
        assert!(why.contains("`dutch pop` (genres.csv:12)"), "{why}");
        let (cohort, why) = held("Sun");
        assert_eq!(cohort, "K-pop");
        assert!(why.contains("idol list"), "{why}");
        let (cohort, why) = held("Rinno");
        assert_eq!(cohort, "J-pop");
        assert!(why.contains("german hip hop"), "{why}");
        let (_, why) = held("Vena");
        assert!(why.contains("two origins"), "{why}");
        // The idol the lists agree on is placed, by lists.
        let Resolution::Unique(mina) = registry.resolve("Mina") else {
            panic!()
        };
        assert_eq!(classification.basis[mina], Some(Basis::Lists));
        let Resolution::Unique(bts) = registry.resolve("BTS") else {
            panic!()
        };
        assert_eq!(classification.basis[bts], Some(Basis::Registry));
        // A registry row outweighs the lists: the namesake rule is the
        // user's to overrule.
        let mut facts = registry.facts.clone();
        facts.push(fact(
            "mine.csv",
            REGISTRY_LAYOUT,
            2,
            "Joy",
            FactKind::Country,
            "KR",
        ));
        let registry = Registry::build(facts);
        assert_eq!(
            cohort_of(&registry, &cohorts, "Joy").as_deref(),
            Some("K-pop")
        );
        let Resolution::Unique(joy) = registry.resolve("Joy") else {
            panic!()
        };
        let flags = crate::audit::flags(&registry, &cohorts, &cohorts.classify(&registry));
        assert!(
            flags[joy]
                .iter()
                .any(|f| f.kind == crate::audit::FlagKind::ContradictingTag),
            "{:?}",
            flags[joy]
        );
    }

    #[test]
    fn explain_says_why_an_artist_is_held_back() {
        let registry = shared_like_registry();
        let cohorts = Cohorts::builtin();
        let Resolution::Unique(id) = registry.resolve("Joy") else {
            panic!()
        };
        let outcomes = cohorts.explain(&registry, &registry.artists[id]);
        let held: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| o.effect == Effect::HeldBack)
            .collect();
        // The idol list, the membership and the origin rules all match, and
        // each is held back by the same tag.
        assert!(!held.is_empty());
        for outcome in &held {
            assert!(outcome.detail.contains("dutch pop"), "{}", outcome.detail);
        }
        assert!(!outcomes.iter().any(|o| o.effect == Effect::Decided));
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
