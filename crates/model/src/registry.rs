//! The artist registry: artists assembled from facts (built-in, imported
//! registries and third-party lists), each fact kept with the file and line
//! it came from.
//!
//! # Who is the same artist
//!
//! Every row of every file *declares* an artist under one or more names (its
//! name plus the aliases on the same row). Declarations are merged into artists
//! in two passes:
//!
//! 1. Declarations sharing an [exact form](crate::artist::exact_form) of a name
//!    (NFKC, spaces collapsed) are one artist.
//! 2. Artists sharing a [key](crate::artist::name_key) (case, accents and
//!    punctuation folded) are one artist.
//!
//! A merge never joins two rows of the same *registry* file (built-in or a
//! `name,country,genres,aliases` import): a registry that lists two rows says
//! they are two artists. When a name would join such rows, nothing is merged on
//! that name and the name is *ambiguous*: chart credits spelled that way stay
//! unresolved and are reported. So `LISA` (TH) and `LiSA` (JP), two rows of the
//! built-in registry, stay apart, and `lisa` resolves to neither.
//!
//! # Names known only from K-pop idol lists
//!
//! Idol stage names are often common names (`Momo`, `Daniel`, `Joy`) that
//! charts also credit to unrelated acts, so a chart credit matching one proves
//! little. An artist known *only* from idol lists keeps its facts as evidence,
//! but they place it nowhere: its origin, list entries and group memberships
//! count only once another kind of source (a registry, a group list, a genre
//! table, a country list) knows the same artist.
//!
//! # Origin
//!
//! Country facts are ranked by where they come from: an imported registry, the
//! built-in registry, a K-pop idol list, a `name,country,macro_genre` list. The
//! best-ranked facts decide; if they disagree among themselves the origin is
//! unknown and the conflict is shown by `artists explain`. A registry row
//! outranks every list, but third-party lists outrank each other only in
//! rarity: when an idol list and a country list give two origins, the
//! origin is unknown too (the two rows may be namesakes), and `artists
//! audit` lists the artist.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::artist::{ArtistRecord, exact_form, name_key};

/// What one fact says about an artist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FactKind {
    /// The artist's origin, as an ISO 3166-1 alpha-2 code.
    Country,
    /// A genre tag, lower case.
    Genre,
    /// Another name of the same artist.
    Alias,
    /// The artist is a member of the named group.
    MemberOf,
    /// The artist appears in a list of one kind of act (`k-pop idol`, `k-pop group`).
    Listed,
    /// A Spotify audio feature averaged over the artist's tracks, as
    /// `name=value` (`danceability=0.61`).
    Feature,
    /// A platform id of the artist (`spotify:<id>`), from a registry row.
    PlatformId,
}

impl FactKind {
    /// The name of the kind as `artist_facts.kind` stores it (`country`, `member_of`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            FactKind::Country => "country",
            FactKind::Genre => "genre",
            FactKind::Alias => "alias",
            FactKind::MemberOf => "member_of",
            FactKind::Listed => "listed",
            FactKind::Feature => "feature",
            FactKind::PlatformId => "platform_id",
        }
    }

    /// Reads a name that [`FactKind::as_str`] gives; None for any other text.
    pub fn parse(text: &str) -> Option<FactKind> {
        Some(match text {
            "country" => FactKind::Country,
            "genre" => FactKind::Genre,
            "alias" => FactKind::Alias,
            "member_of" => FactKind::MemberOf,
            "listed" => FactKind::Listed,
            "feature" => FactKind::Feature,
            "platform_id" => FactKind::PlatformId,
            _ => return None,
        })
    }
}

/// The audio features kept from Spotify artist-genre tables and used by the
/// study's sound diversity: those on a 0 to 1 scale, so that their
/// dispersion can be compared without rescaling.
pub const AUDIO_FEATURES: [&str; 7] = [
    "acousticness",
    "danceability",
    "energy",
    "instrumentalness",
    "liveness",
    "speechiness",
    "valence",
];

/// Layout name of the registry built into chartlens.
pub const BUILTIN_LAYOUT: &str = "built-in";
/// Source name of the facts of the built-in registry.
pub const BUILTIN_SOURCE: &str = "built-in:artists.csv";
/// Layout name of an imported `name,country,genres,aliases` file.
pub const REGISTRY_LAYOUT: &str = "artist-registry";

/// One fact about an artist, and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// The file it came from (as given to `artists import`), or [`BUILTIN_SOURCE`].
    pub source: Arc<str>,
    /// The layout of that file (`artist-registry`, `kpop-idols`, ...).
    pub layout: Arc<str>,
    /// 1-based line of the file.
    pub line: u64,
    /// The artist's name as the row gives it.
    pub artist: String,
    /// What the fact says.
    pub kind: FactKind,
    /// The fact's value: ISO country code, lower-case genre tag, other name, group name, list kind, `name=value` feature or platform id.
    pub value: String,
}

impl Fact {
    /// Whether the fact comes from a registry file (built-in or imported),
    /// which states who is who, rather than from a third-party list.
    pub fn curated(&self) -> bool {
        matches!(&*self.layout, BUILTIN_LAYOUT | REGISTRY_LAYOUT)
    }

    /// Rank of the fact's source for deciding origin: lower wins.
    pub fn origin_rank(&self) -> u8 {
        match &*self.layout {
            REGISTRY_LAYOUT => 0,
            BUILTIN_LAYOUT => 1,
            IDOL_LIST_LAYOUT => 2,
            _ => 3,
        }
    }

    /// `file:line`, as evidence is cited.
    pub fn citation(&self) -> String {
        format!("{}:{}", self.source, self.line)
    }
}

/// The facts of the built-in registry.
pub fn builtin_facts() -> Vec<Fact> {
    records_to_facts(
        &crate::artist::builtin(),
        BUILTIN_SOURCE.into(),
        BUILTIN_LAYOUT.into(),
    )
}

/// Facts of registry records: country, genres and aliases of each row.
pub fn records_to_facts(records: &[ArtistRecord], source: Arc<str>, layout: Arc<str>) -> Vec<Fact> {
    let mut facts = Vec::new();
    for record in records {
        let mut fact = |kind, value: &str| {
            facts.push(Fact {
                source: source.clone(),
                layout: layout.clone(),
                line: record.line,
                artist: record.name.clone(),
                kind,
                value: value.to_string(),
            });
        };
        if let Some(country) = &record.country {
            fact(FactKind::Country, country.code());
        }
        for genre in &record.genres {
            fact(FactKind::Genre, genre);
        }
        for alias in &record.aliases {
            fact(FactKind::Alias, alias);
        }
        for id in &record.ids {
            fact(FactKind::PlatformId, id);
        }
    }
    facts
}

/// What a name resolves to among the registry's artists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Exactly one artist has this name.
    Unique(usize),
    /// Several artists answer to it; nothing is decided.
    Ambiguous(Vec<usize>),
    /// No artist answers to the name.
    Unknown,
}

/// How a name was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    /// By the name's exact form (NFKC, spaces collapsed).
    ExactForm,
    /// By the name's key (case, accents and punctuation folded), the exact form having matched nobody.
    Key,
}

/// Looks names up by exact form, then by key.
#[derive(Debug, Default)]
pub struct NameIndex {
    exact: HashMap<String, Vec<usize>>,
    keyed: HashMap<String, Vec<usize>>,
}

impl NameIndex {
    /// Indexes `(artist, name)` pairs.
    pub fn new<'a>(names: impl IntoIterator<Item = (usize, &'a str)>) -> NameIndex {
        let mut index = NameIndex::default();
        for (id, name) in names {
            for (map, form) in [
                (&mut index.exact, exact_form(name)),
                (&mut index.keyed, name_key(name)),
            ] {
                let ids = map.entry(form).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        index
    }

    /// The artist a name resolves to, by exact form, then by key.
    pub fn resolve(&self, name: &str) -> Resolution {
        self.resolve_how(name).0
    }

    /// The resolution, and whether the exact form or the key decided it.
    pub fn resolve_how(&self, name: &str) -> (Resolution, Option<MatchedBy>) {
        for (map, form, how) in [
            (&self.exact, exact_form(name), MatchedBy::ExactForm),
            (&self.keyed, name_key(name), MatchedBy::Key),
        ] {
            match map.get(&form).map(Vec::as_slice) {
                Some([one]) => return (Resolution::Unique(*one), Some(how)),
                Some(many) if many.len() > 1 => {
                    return (Resolution::Ambiguous(many.to_vec()), Some(how));
                }
                _ => {}
            }
        }
        (Resolution::Unknown, None)
    }
}

/// One artist of the registry, with everything known about it.
#[derive(Debug, Clone)]
pub struct Artist {
    /// Index in [`Registry::artists`]; stable for one build only.
    pub id: usize,
    /// The name shown: that of the best-ranked declaration.
    pub name: String,
    /// Every distinct name (exact forms), the shown name first.
    pub names: Vec<String>,
    /// Indices into [`Registry::facts`].
    pub facts: Vec<usize>,
    /// The origin and the facts that gave it (none when unknown or conflicting).
    pub origin: Option<String>,
    /// Origin facts that disagree (origin is then unknown): at the best
    /// rank, or between third-party lists of any rank.
    pub origin_conflict: bool,
    /// Origins that lower-ranked lists give against the origin a registry
    /// row decided (shown by `artists audit`, not used).
    pub other_origins: Vec<String>,
    /// A registry row (built-in or imported) declares this artist.
    pub curated: bool,
    /// Genre tags, deduplicated, in order of first appearance.
    pub genres: Vec<String>,
    /// Genre tags from registry files only.
    pub curated_genres: Vec<String>,
    /// Kinds of lists the artist appears in.
    pub listed: Vec<String>,
    /// Groups the artist is a member of (artist ids).
    pub groups: Vec<usize>,
    /// Group names of membership facts that did not resolve to one artist.
    pub unresolved_groups: Vec<String>,
    /// Only K-pop idol lists know this artist, so their facts are shown but
    /// not used (see the module documentation).
    pub only_in_idol_lists: bool,
    /// Audio features (name, value), the first list giving a feature wins.
    pub features: Vec<(String, f64)>,
    /// Platform ids (`spotify:<id>`) that registry rows give the artist.
    pub platform_ids: Vec<String>,
}

/// Layout of idol lists, whose stage names alone do not identify an artist.
pub const IDOL_LIST_LAYOUT: &str = "kpop-idols";

/// All artists, their facts, and the name index.
#[derive(Debug)]
pub struct Registry {
    /// Every fact the registry was built from, in the order given; artists refer to them by index.
    pub facts: Vec<Fact>,
    /// The artists, indexed by [`Artist::id`].
    pub artists: Vec<Artist>,
    /// Every name of every artist, for resolving names.
    pub index: NameIndex,
    /// Artists by platform id; an id two artists claim is left out.
    pub by_platform_id: HashMap<String, usize>,
    /// Names that would have joined two rows of one registry file, so that
    /// nothing was merged on them.
    pub contested: BTreeSet<String>,
}

/// Union-find over declarations, refusing merges that would join two rows of
/// one registry file.
struct Components {
    parent: Vec<usize>,
    /// For each root: (registry source, line) rows it contains.
    rows: Vec<BTreeSet<(Arc<str>, u64)>>,
}

impl Components {
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn conflict(&self, a: usize, b: usize) -> bool {
        let (small, large) = if self.rows[a].len() <= self.rows[b].len() {
            (&self.rows[a], &self.rows[b])
        } else {
            (&self.rows[b], &self.rows[a])
        };
        small
            .iter()
            .any(|(src, line)| large.iter().any(|(s, l)| s == src && l != line))
    }

    /// Merges every member of `group` (roots), unless any two conflict.
    fn merge_all(&mut self, group: &[usize]) -> bool {
        for (i, &a) in group.iter().enumerate() {
            for &b in &group[i + 1..] {
                if self.conflict(a, b) {
                    return false;
                }
            }
        }
        let Some((&first, rest)) = group.split_first() else {
            return true;
        };
        for &other in rest {
            let moved = std::mem::take(&mut self.rows[other]);
            self.rows[first].extend(moved);
            self.parent[other] = first;
        }
        true
    }
}

impl Registry {
    /// Builds the registry from facts (usually the built-in ones followed by
    /// every imported file's).
    pub fn build(facts: Vec<Fact>) -> Registry {
        // Declarations: one per (source, line), with the names that row gives.
        let mut decl_of: HashMap<(Arc<str>, u64, &str), usize> = HashMap::new();
        let mut decls: Vec<(Vec<String>, u8, bool)> = Vec::new(); // names, rank, curated
        let mut fact_decl = Vec::with_capacity(facts.len());
        for fact in &facts {
            let key = (fact.source.clone(), fact.line, fact.artist.as_str());
            let id = *decl_of.entry(key).or_insert_with(|| {
                decls.push((
                    vec![fact.artist.clone()],
                    fact.origin_rank(),
                    fact.curated(),
                ));
                decls.len() - 1
            });
            if fact.kind == FactKind::Alias && !decls[id].0.contains(&fact.value) {
                decls[id].0.push(fact.value.clone());
            }
            fact_decl.push(id);
        }
        let mut comps = Components {
            parent: (0..decls.len()).collect(),
            rows: vec![BTreeSet::new(); decls.len()],
        };
        for ((source, line, _), &id) in &decl_of {
            if decls[id].2 {
                comps.rows[id].insert((source.clone(), *line));
            }
        }
        let mut contested = BTreeSet::new();
        for form in [exact_form as fn(&str) -> String, name_key] {
            let mut by_form: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for (id, (names, _, _)) in decls.iter().enumerate() {
                for name in names {
                    let f = form(name);
                    if !f.is_empty() {
                        by_form.entry(f).or_default().push(id);
                    }
                }
            }
            for (f, ids) in by_form {
                let mut roots: Vec<usize> = ids.into_iter().map(|i| comps.find(i)).collect();
                roots.sort_unstable();
                roots.dedup();
                if roots.len() > 1 && !comps.merge_all(&roots) {
                    contested.insert(f);
                }
            }
        }
        // Artists: one per component, in order of first declaration.
        let mut artist_of_root: HashMap<usize, usize> = HashMap::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        for id in 0..decls.len() {
            let root = comps.find(id);
            let artist = *artist_of_root.entry(root).or_insert_with(|| {
                members.push(Vec::new());
                members.len() - 1
            });
            members[artist].push(id);
        }
        let mut artists: Vec<Artist> = members
            .iter()
            .enumerate()
            .map(|(id, decl_ids)| {
                let best = decl_ids
                    .iter()
                    .copied()
                    .min_by_key(|&d| (decls[d].1, d))
                    .expect("a component has a declaration");
                let name = decls[best].0[0].clone();
                let mut names = vec![exact_form(&name)];
                for &d in decl_ids {
                    for n in &decls[d].0 {
                        let n = exact_form(n);
                        if !names.contains(&n) {
                            names.push(n);
                        }
                    }
                }
                Artist {
                    id,
                    name,
                    names,
                    facts: Vec::new(),
                    origin: None,
                    origin_conflict: false,
                    other_origins: Vec::new(),
                    curated: false,
                    genres: Vec::new(),
                    curated_genres: Vec::new(),
                    listed: Vec::new(),
                    groups: Vec::new(),
                    unresolved_groups: Vec::new(),
                    only_in_idol_lists: false,
                    features: Vec::new(),
                    platform_ids: Vec::new(),
                }
            })
            .collect();
        let artist_of_decl: Vec<usize> = (0..decls.len())
            .map(|d| artist_of_root[&comps.find(d)])
            .collect();
        for (i, &d) in fact_decl.iter().enumerate() {
            artists[artist_of_decl[d]].facts.push(i);
        }
        let index = NameIndex::new(
            artists
                .iter()
                .flat_map(|a| a.names.iter().map(move |n| (a.id, n.as_str()))),
        );
        for artist in &mut artists {
            summarise(artist, &facts, &index);
        }
        let mut claimed: HashMap<String, Vec<usize>> = HashMap::new();
        for artist in &artists {
            for id in &artist.platform_ids {
                claimed.entry(id.clone()).or_default().push(artist.id);
            }
        }
        let by_platform_id = claimed
            .into_iter()
            .filter_map(|(id, owners)| match owners.as_slice() {
                [one] => Some((id, *one)),
                _ => None,
            })
            .collect();
        Registry {
            facts,
            artists,
            index,
            by_platform_id,
            contested,
        }
    }

    /// The artist a name resolves to, by exact form, then by key.
    pub fn resolve(&self, name: &str) -> Resolution {
        self.index.resolve(name)
    }

    /// Resolves a chart credit that may carry the platform's artist id
    /// (`spotify:<id>` form, see [`crate::artist::platform_id`]): an id a
    /// registry row gives decides; a name that resolves to an artist whose
    /// registry rows give other ids is a namesake, unknown; otherwise the
    /// name decides.
    pub fn resolve_credit(&self, name: &str, platform_id: Option<&str>) -> Resolution {
        let id = platform_id.and_then(crate::artist::platform_id);
        if let Some(artist) = id.as_ref().and_then(|id| self.by_platform_id.get(id)) {
            return Resolution::Unique(*artist);
        }
        match self.resolve(name) {
            Resolution::Unique(a) if id.is_some() && !self.artists[a].platform_ids.is_empty() => {
                Resolution::Unknown
            }
            other => other,
        }
    }

    /// Whether any artist answers to `name` (even ambiguously): credit
    /// splitting keeps such a name whole.
    pub fn knows(&self, name: &str) -> bool {
        self.index.resolve(name) != Resolution::Unknown
    }
}

/// Fills origin, genres, lists and groups of an artist from its facts.
fn summarise(artist: &mut Artist, facts: &[Fact], index: &NameIndex) {
    artist.only_in_idol_lists = artist
        .facts
        .iter()
        .all(|&i| &*facts[i].layout == IDOL_LIST_LAYOUT);
    if artist.only_in_idol_lists {
        return;
    }
    artist.curated = artist.facts.iter().any(|&i| facts[i].curated());
    let mut best_rank = u8::MAX;
    let mut origins: BTreeSet<&str> = BTreeSet::new();
    let mut listed_origins: BTreeSet<&str> = BTreeSet::new();
    for &i in &artist.facts {
        let fact = &facts[i];
        match fact.kind {
            FactKind::Country => {
                let rank = fact.origin_rank();
                if !fact.curated() {
                    listed_origins.insert(&fact.value);
                }
                if rank < best_rank {
                    best_rank = rank;
                    origins.clear();
                }
                if rank == best_rank {
                    origins.insert(&fact.value);
                }
            }
            FactKind::Genre => {
                push_new(&mut artist.genres, &fact.value);
                if fact.curated() {
                    push_new(&mut artist.curated_genres, &fact.value);
                }
            }
            FactKind::Listed => push_new(&mut artist.listed, &fact.value),
            FactKind::MemberOf => match index.resolve(&fact.value) {
                Resolution::Unique(group) if group != artist.id => {
                    if !artist.groups.contains(&group) {
                        artist.groups.push(group);
                    }
                }
                Resolution::Unique(_) => {}
                _ => push_new(&mut artist.unresolved_groups, &fact.value),
            },
            FactKind::Feature => {
                if let Some((name, value)) = fact.value.split_once('=')
                    && let Ok(value) = value.parse::<f64>()
                    && value.is_finite()
                    && !artist.features.iter().any(|(n, _)| n == name)
                {
                    artist.features.push((name.to_string(), value));
                }
            }
            FactKind::PlatformId => {
                if fact.curated() {
                    push_new(&mut artist.platform_ids, &fact.value);
                }
            }
            FactKind::Alias => {}
        }
    }
    let decided_by_registry = best_rank <= 1;
    if decided_by_registry {
        artist.other_origins = listed_origins
            .iter()
            .filter(|o| !origins.contains(*o))
            .map(|o| o.to_string())
            .collect();
    } else {
        origins = listed_origins;
    }
    artist.origin_conflict = origins.len() > 1;
    artist.origin = match origins.len() {
        1 => origins.first().map(|s| s.to_string()),
        _ => None,
    };
}

fn push_new(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fact, for tests here and in `cohort`.
    pub(crate) fn fact(
        source: &str,
        layout: &str,
        line: u64,
        artist: &str,
        kind: FactKind,
        value: &str,
    ) -> Fact {
        Fact {
            source: source.into(),
            layout: layout.into(),
            line,
            artist: artist.into(),
            kind,
            value: value.into(),
        }
    }

    fn with_builtin(extra: Vec<Fact>) -> Registry {
        let mut facts = builtin_facts();
        facts.extend(extra);
        Registry::build(facts)
    }

    fn unique<'a>(registry: &'a Registry, name: &str) -> &'a Artist {
        match registry.resolve(name) {
            Resolution::Unique(i) => &registry.artists[i],
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn spellings_from_several_files_make_one_artist() {
        use FactKind::*;
        let registry = with_builtin(vec![
            fact(
                "genres.csv",
                "spotify-artist-genres",
                7,
                "KENSHI YONEZU",
                Genre,
                "j-pop",
            ),
            fact(
                "cg.csv",
                "artist-country-genre",
                3,
                "Kenshi Yonezu",
                Country,
                "JP",
            ),
        ]);
        let a = unique(&registry, "米津玄師");
        assert_eq!(a.name, "Kenshi Yonezu");
        assert_eq!(a.origin.as_deref(), Some("JP"));
        assert!(a.names.iter().any(|n| n == "KENSHI YONEZU"));
        assert_eq!(
            a.facts.len(),
            5,
            "built-in country, genre, alias + the two list facts"
        );
        assert_eq!(a.id, unique(&registry, "kenshi-yonezu").id);
    }

    #[test]
    fn rows_of_one_registry_are_never_merged() {
        use FactKind::*;
        let registry = with_builtin(vec![fact(
            "idols.csv",
            "kpop-idols",
            2,
            "Lisa",
            Country,
            "TH",
        )]);
        assert_eq!(unique(&registry, "LISA").origin.as_deref(), Some("TH"));
        assert_eq!(unique(&registry, "LiSA").origin.as_deref(), Some("JP"));
        // The idol row could be either: it stays an artist of its own, and
        // as only an idol list knows it, its facts place it nowhere.
        let idol = unique(&registry, "Lisa");
        assert_eq!(idol.facts.len(), 1);
        assert!(idol.only_in_idol_lists);
        assert_eq!(idol.origin, None);
        assert!(registry.contested.contains("lisa"));
        assert!(matches!(registry.resolve("lisa"), Resolution::Ambiguous(v) if v.len() == 3));
        // An imported registry listing one name twice leaves it ambiguous.
        let registry = Registry::build(vec![
            fact("r.csv", REGISTRY_LAYOUT, 2, "Sun", Country, "KR"),
            fact("r.csv", REGISTRY_LAYOUT, 3, "Sun", Country, "US"),
        ]);
        assert!(matches!(registry.resolve("Sun"), Resolution::Ambiguous(_)));
    }

    #[test]
    fn platform_ids_decide_over_names() {
        use FactKind::*;
        let id = "spotify:0123456789abcdefABCDEF";
        let registry = with_builtin(vec![
            fact("r.csv", REGISTRY_LAYOUT, 2, "Sunny Day", Country, "KR"),
            fact("r.csv", REGISTRY_LAYOUT, 2, "Sunny Day", PlatformId, id),
        ]);
        let sunny = unique(&registry, "Sunny Day").id;
        // The id decides whatever the spelling.
        assert_eq!(
            registry.resolve_credit("SUNNY DAY (KR)", Some("0123456789abcdefABCDEF")),
            Resolution::Unique(sunny)
        );
        // The same name with another id is a namesake.
        assert_eq!(
            registry.resolve_credit("Sunny Day", Some("ZZZZZZZZZZZZZZZZZZZZZZ")),
            Resolution::Unknown
        );
        // Without an id the name decides.
        assert_eq!(
            registry.resolve_credit("Sunny Day", None),
            Resolution::Unique(sunny)
        );
    }

    #[test]
    fn lists_that_give_two_origins_leave_it_unknown() {
        use FactKind::*;
        let registry = with_builtin(vec![
            fact("cg.csv", "artist-country-genre", 2, "Vena", Country, "KR"),
            fact("idols.csv", "kpop-idols", 3, "Vena", Country, "ID"),
            fact("idols.csv", "kpop-idols", 3, "Vena", Listed, "k-pop idol"),
            fact("g.csv", "spotify-artist-genres", 4, "Vena", Genre, "k-pop"),
            // A registry row decides; the list's other origin is kept aside.
            fact("cg.csv", "artist-country-genre", 5, "TWICE", Country, "JP"),
        ]);
        let vena = unique(&registry, "Vena");
        assert_eq!((vena.origin.as_deref(), vena.origin_conflict), (None, true));
        let twice = unique(&registry, "TWICE");
        assert_eq!(twice.origin.as_deref(), Some("KR"));
        assert_eq!(twice.other_origins, ["JP"]);
        assert!(twice.curated && !vena.curated);
    }

    #[test]
    fn origin_follows_source_rank_and_conflicts_are_unknown() {
        use FactKind::*;
        let registry = with_builtin(vec![
            fact("cg.csv", "artist-country-genre", 2, "TWICE", Country, "US"),
            fact("cg.csv", "artist-country-genre", 3, "Nova", Country, "US"),
            fact("cg2.csv", "artist-country-genre", 3, "Nova", Country, "GB"),
            fact("idols.csv", "kpop-idols", 2, "Momo", MemberOf, "트와이스"),
            fact("idols.csv", "kpop-idols", 2, "Momo", Country, "JP"),
            fact(
                "genres.csv",
                "spotify-artist-genres",
                4,
                "Momo",
                Genre,
                "k-pop",
            ),
        ]);
        assert_eq!(unique(&registry, "TWICE").origin.as_deref(), Some("KR"));
        let nova = unique(&registry, "Nova");
        assert_eq!((nova.origin.as_deref(), nova.origin_conflict), (None, true));
        let momo = unique(&registry, "Momo");
        assert_eq!(momo.groups, [unique(&registry, "TWICE").id]);
        assert_eq!(momo.origin.as_deref(), Some("JP"));
    }
}
