//! Artist lists users have, read into facts with the line each came from: the
//! plain registry CSV, `name,country,macro_genre` lists, K-pop idol and group
//! lists, and Spotify artist-genre tables. The layout is told from the header.
//! Facts are evidence, not verdicts: deciding a cohort from them is the
//! registry's job, and every fact keeps its file and line for `explain`.

use std::sync::Arc;

use arrow::array::{Int64Builder, RecordBatch, StringArray, StringBuilder};
use chartlens_model::Region;
use chartlens_model::artist::{is_registry_header, read_registry_csv};
use chartlens_model::registry::{self, FactKind};
use chartlens_model::table;

use crate::Dialect;
use crate::error::{Reject, RejectKind};

/// The artist list layouts chartlens reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListLayout {
    /// `name,country,genres,aliases`, chartlens's own registry format.
    Registry,
    /// `name,country,macro_genre`.
    CountryGenre,
    /// K-pop idols: `Stage Name,Full Name,Korean Name,K. Stage Name,...,Group,Country,...`.
    Idols,
    /// K-pop groups: `Name,Short,Korean Name,Debut,Company,Members,...`.
    Groups,
    /// Spotify artist genres: `genres,artists,...` with a list of tags per artist.
    SpotifyGenres,
}

impl ListLayout {
    /// The layout name stored in `artist_facts.layout` (`artist-registry`, `kpop-idols`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ListLayout::Registry => registry::REGISTRY_LAYOUT,
            ListLayout::CountryGenre => "artist-country-genre",
            ListLayout::Idols => "kpop-idols",
            ListLayout::Groups => "kpop-groups",
            ListLayout::SpotifyGenres => "spotify-artist-genres",
        }
    }
}

/// One fact a list row gives about an artist, before it has a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// 1-based line of the list the fact was read from.
    pub line: u64,
    /// The artist's name as the row gives it.
    pub artist: String,
    /// What the fact says.
    pub kind: FactKind,
    /// The fact's value, as `artist_facts.value` stores it.
    pub value: String,
}

/// Everything read from one list: its layout, its facts, and the values it
/// held that could not be used (such as a country no table knows), by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtistList {
    /// The layout told from the header.
    pub layout: ListLayout,
    /// The facts, in file order.
    pub facts: Vec<Fact>,
    /// Values that could not be used, as (1-based line, why): a row with no artist name, an unknown country.
    pub skipped: Vec<(u64, String)>,
}

/// Reads an artist list from a file's bytes: web pages, UTF-16, binary and
/// invalid UTF-8 are rejected with the line, as chart files are.
pub fn read_bytes(bytes: &[u8]) -> Result<ArtistList, Reject> {
    let skip = crate::sniff(&bytes[..bytes.len().min(4096)])?;
    let text = crate::utf8(&bytes[skip..])?;
    read(text)
}

/// Reads an artist list of any known layout.
pub fn read(text: &str) -> Result<ArtistList, Reject> {
    let text = text.trim_start_matches('\u{feff}');
    let dialect = Dialect::sniff(text.as_bytes());
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = reader.records();
    let header: Vec<String> = match rows.next() {
        None => return Err(Reject::new(RejectKind::Empty, None, "the file is empty")),
        Some(row) => row
            .map_err(|e| Reject::at(RejectKind::Row, 1, e.to_string()))?
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect(),
    };
    let col = |name: &str| header.iter().position(|h| h == name);
    let layout = if is_registry_header(&header) {
        ListLayout::Registry
    } else if header == ["name", "country", "macro_genre"] {
        ListLayout::CountryGenre
    } else if col("stage name").is_some() && col("group").is_some() && col("country").is_some() {
        ListLayout::Idols
    } else if col("name").is_some() && col("debut").is_some() && col("company").is_some() {
        ListLayout::Groups
    } else if col("genres").is_some() && col("artists").is_some() {
        ListLayout::SpotifyGenres
    } else {
        let shown: String = header.join(",").chars().take(120).collect();
        return Err(Reject::at(
            RejectKind::Header,
            1,
            format!(
                "unknown header `{shown}`; expected `name,country,genres,aliases`, \
                 `name,country,macro_genre`, an idol list (Stage Name, Group, Country), \
                 a group list (Name, Debut, Company) or a Spotify genre table (genres, artists)"
            ),
        ));
    };
    let mut list = ArtistList {
        layout,
        facts: Vec::new(),
        skipped: Vec::new(),
    };
    if layout == ListLayout::Registry {
        // A value that cannot be used (an unknown country, a malformed id)
        // costs only itself: the row's and the list's other facts stay.
        let (records, skipped) =
            read_registry_csv(text).map_err(|e| Reject::at(RejectKind::Row, e.line, e.message))?;
        list.skipped = skipped.into_iter().map(|e| (e.line, e.message)).collect();
        for record in records {
            let mut fact = |kind, value: String| {
                list.facts.push(Fact {
                    line: record.line,
                    artist: record.name.clone(),
                    kind,
                    value,
                });
            };
            if let Some(country) = record.country {
                fact(FactKind::Country, country.code().to_string());
            }
            for genre in &record.genres {
                fact(FactKind::Genre, genre.clone());
            }
            for alias in &record.aliases {
                fact(FactKind::Alias, alias.clone());
            }
            for id in &record.ids {
                fact(FactKind::PlatformId, id.clone());
            }
        }
        return Ok(list);
    }
    for row in rows {
        let row = row.map_err(|e| {
            Reject::new(
                RejectKind::Row,
                e.position().map(|p| dialect.line(p)),
                e.to_string(),
            )
        })?;
        let line = row.position().map_or(0, |p| dialect.line(p));
        let get = |name: &str| {
            col(name)
                .and_then(|i| row.get(i))
                .map(str::trim)
                .unwrap_or("")
        };
        let artist = match layout {
            ListLayout::Idols => get("stage name"),
            ListLayout::SpotifyGenres => get("artists"),
            _ => get("name"),
        };
        if artist.is_empty() {
            list.skipped.push((line, "no artist name".to_string()));
            continue;
        }
        let mut add = |kind: FactKind, value: &str| {
            if !value.is_empty() {
                list.facts.push(Fact {
                    line,
                    artist: artist.to_string(),
                    kind,
                    value: value.to_string(),
                });
            }
        };
        let mut country = |value: &str, skipped: &mut Vec<(u64, String)>| match Region::parse(value)
        {
            Some(region) => add(FactKind::Country, region.code()),
            None if value.is_empty() => {}
            None => skipped.push((line, format!("unknown country `{value}`"))),
        };
        match layout {
            ListLayout::CountryGenre => {
                country(get("country"), &mut list.skipped);
                add_genre(&mut list.facts, line, artist, get("macro_genre"));
            }
            ListLayout::Idols => {
                country(get("country"), &mut list.skipped);
                let facts = &mut list.facts;
                let mut add = |kind: FactKind, value: &str| {
                    if !value.is_empty() && value != artist {
                        facts.push(Fact {
                            line,
                            artist: artist.to_string(),
                            kind,
                            value: value.to_string(),
                        });
                    }
                };
                add(FactKind::Alias, get("k. stage name"));
                add(FactKind::MemberOf, get("group"));
                add(FactKind::MemberOf, get("other group"));
                add(FactKind::Listed, "k-pop idol");
            }
            ListLayout::Groups => {
                add(FactKind::Alias, get("korean name"));
                add(FactKind::Alias, get("short"));
                add(FactKind::Listed, "k-pop group");
            }
            ListLayout::SpotifyGenres => {
                for genre in genre_list(get("genres")) {
                    add_genre(&mut list.facts, line, artist, &genre);
                }
                for feature in chartlens_model::registry::AUDIO_FEATURES {
                    let value = get(feature);
                    if value.parse::<f64>().is_ok_and(f64::is_finite) {
                        list.facts.push(Fact {
                            line,
                            artist: artist.to_string(),
                            kind: FactKind::Feature,
                            value: format!("{feature}={value}"),
                        });
                    }
                }
            }
            ListLayout::Registry => unreachable!("handled above"),
        }
    }
    Ok(list)
}

impl ArtistList {
    /// The facts as rows of `artist_facts`.
    pub fn to_batch(
        &self,
        path: &str,
        hash: &str,
    ) -> Result<RecordBatch, arrow::error::ArrowError> {
        let n = self.facts.len();
        let mut artist = StringBuilder::new();
        let mut kind = StringBuilder::new();
        let mut value = StringBuilder::new();
        let mut line = Int64Builder::with_capacity(n);
        for fact in &self.facts {
            artist.append_value(&fact.artist);
            kind.append_value(fact.kind.as_str());
            value.append_value(&fact.value);
            line.append_value(i64::try_from(fact.line).unwrap_or(i64::MAX));
        }
        let repeat = |text: &str| Arc::new(StringArray::from(vec![text; n]));
        RecordBatch::try_new(
            table::artist_facts().schema(),
            vec![
                Arc::new(artist.finish()),
                Arc::new(kind.finish()),
                Arc::new(value.finish()),
                repeat(self.layout.name()),
                repeat(path),
                Arc::new(line.finish()),
                repeat(hash),
            ],
        )
    }
}

fn add_genre(facts: &mut Vec<Fact>, line: u64, artist: &str, genre: &str) {
    let genre = genre.trim().to_lowercase();
    if !genre.is_empty() {
        facts.push(Fact {
            line,
            artist: artist.to_string(),
            kind: FactKind::Genre,
            value: genre,
        });
    }
}

/// Genre tags as Spotify tables hold them: a Python-style list literal
/// (`['k-pop', "children's music"]`, `[]`) or a plain comma-separated string.
pub fn genre_list(field: &str) -> Vec<String> {
    let inner = field
        .trim()
        .strip_prefix('[')
        .and_then(|f| f.strip_suffix(']'))
        .unwrap_or(field);
    let mut tags = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    for ch in inner.chars() {
        match (quote, ch) {
            (None, '\'' | '"') => quote = Some(ch),
            (Some(q), c) if c == q => quote = None,
            (None, ',') => tags.push(std::mem::take(&mut current)),
            _ => current.push(ch),
        }
    }
    tags.push(current);
    tags.into_iter()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(list: &ArtistList) -> Vec<(u64, &str, &str, &str)> {
        list.facts
            .iter()
            .map(|f| (f.line, f.artist.as_str(), f.kind.as_str(), f.value.as_str()))
            .collect()
    }

    #[test]
    fn registry_lists() {
        let list =
            read("name,country,genres,aliases\nKenshi Yonezu,Japan,j-pop,米津玄師\n").unwrap();
        assert_eq!(list.layout, ListLayout::Registry);
        assert_eq!(
            facts(&list),
            [
                (2, "Kenshi Yonezu", "country", "JP"),
                (2, "Kenshi Yonezu", "genre", "j-pop"),
                (2, "Kenshi Yonezu", "alias", "米津玄師")
            ]
        );
    }

    #[test]
    fn country_genre_lists_keep_unknown_countries_as_skipped() {
        let list =
            read("name,country,macro_genre\n\"Zhou Shen\",China,C-Pop/C-Rock\nX,Unknown,Pop\n")
                .unwrap();
        assert_eq!(list.layout, ListLayout::CountryGenre);
        assert_eq!(
            facts(&list),
            [
                (2, "Zhou Shen", "country", "CN"),
                (2, "Zhou Shen", "genre", "c-pop/c-rock"),
                (3, "X", "genre", "pop")
            ]
        );
        assert_eq!(list.skipped, [(3, "unknown country `Unknown`".to_string())]);
    }

    #[test]
    fn idol_and_group_lists_give_membership_and_aliases() {
        let idols = "\u{feff}Stage Name,Full Name,Korean Name,K. Stage Name,Date of Birth,Group,Country,Birthplace,Other Group,Gender\n\
                     Momo,Hirai Momo,히라이 모모,모모,11/9/96,TWICE,Japan,Kyotanabe,,F\n";
        let list = read(idols).unwrap();
        assert_eq!(list.layout, ListLayout::Idols);
        assert_eq!(
            facts(&list),
            [
                (2, "Momo", "country", "JP"),
                (2, "Momo", "alias", "모모"),
                (2, "Momo", "member_of", "TWICE"),
                (2, "Momo", "listed", "k-pop idol")
            ]
        );
        let groups = "Name,Short,Korean Name,Debut,Company,Members,Orig. Memb.,Fanclub Name,Active\nTWICE,,트와이스,10/20/15,JYP,9,9,ONCE,Yes\n";
        let list = read(groups).unwrap();
        assert_eq!(list.layout, ListLayout::Groups);
        assert_eq!(
            facts(&list),
            [
                (2, "TWICE", "alias", "트와이스"),
                (2, "TWICE", "listed", "k-pop group")
            ]
        );
    }

    #[test]
    fn spotify_genre_tables_in_both_spellings() {
        assert_eq!(
            genre_list("['k-pop', 'k-pop boy group']"),
            ["k-pop", "k-pop boy group"]
        );
        assert_eq!(
            genre_list("[\"children's music\", 'pop']"),
            ["children's music", "pop"]
        );
        assert_eq!(genre_list("dance pop, k-pop"), ["dance pop", "k-pop"]);
        assert!(genre_list("[]").is_empty());
        let list = read("genres,artists,popularity\n\"['j-pop', 'anime']\",LiSA,70\n[],Nobody,1\n")
            .unwrap();
        assert_eq!(list.layout, ListLayout::SpotifyGenres);
        assert_eq!(
            facts(&list),
            [(2, "LiSA", "genre", "j-pop"), (2, "LiSA", "genre", "anime")]
        );
    }

    #[test]
    fn unknown_headers_and_bad_registry_rows_are_rejected_with_lines() {
        let err = read("who,where\nA,B\n").unwrap_err();
        assert_eq!((err.kind, err.line), (RejectKind::Header, Some(1)));
        let err = read("name,country,genres,aliases\nA,KR,,\nB,JP,,,,\n").unwrap_err();
        assert_eq!((err.kind, err.line), (RejectKind::Row, Some(3)));
        assert_eq!(read("").unwrap_err().kind, RejectKind::Empty);
    }

    /// Issue 14: one unknown country rejected a whole registry list.
    #[test]
    fn regression_unknown_country_costs_only_its_fact() {
        let list = read(
            "name,country,genres,aliases,ids\nA,KR,k-pop,,\nB,Atlantis,j-pop,Bee,\nC,JP,,,not-an-id\n",
        )
        .unwrap();
        assert_eq!(list.layout, ListLayout::Registry);
        assert_eq!(
            facts(&list),
            [
                (2, "A", "country", "KR"),
                (2, "A", "genre", "k-pop"),
                (3, "B", "genre", "j-pop"),
                (3, "B", "alias", "Bee"),
                (4, "C", "country", "JP"),
            ]
        );
        let skipped: Vec<u64> = list.skipped.iter().map(|(line, _)| *line).collect();
        assert_eq!(skipped, [3, 4]);
        assert!(
            list.skipped[0].1.contains("`Atlantis`"),
            "{:?}",
            list.skipped
        );
    }
}
