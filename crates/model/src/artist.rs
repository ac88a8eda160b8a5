//! Artists and their names: the plain registry CSV (`name,country,genres,aliases`,
//! lists separated by `;`), the small registry built into chartlens, and name
//! the two forms of a name that matching compares.
//!
//! The *exact form* is the name after Unicode NFKC (so full-width `ＢＴＳ` is
//! `BTS` and half-width `ｶﾞ` is `ガ`) with spaces collapsed. The *key* also
//! folds case, Latin accents, punctuation and spacing (`Kenshi Yonezu`, `kenshi yonezu`
//! and `KENSHI-YONEZU` share one). [`crate::registry`] resolves names with them.

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::region::Region;

/// One artist as a registry file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtistRecord {
    /// The artist's name as the file gives it, trimmed; never empty.
    pub name: String,
    /// Country of origin, from a country name or ISO code; None when the column is empty.
    pub country: Option<Region>,
    /// Genre tags, lower case (`k-pop`, `j-rock`).
    pub genres: Vec<String>,
    /// Other names: native script, romanisations, abbreviations.
    pub aliases: Vec<String>,
    /// The artist's platform ids (`spotify:<22-character id>`), from the
    /// optional `ids` column: a chart credit carrying one of them is this
    /// artist whatever its spelling, and a credit of the same name carrying
    /// another id is not.
    pub ids: Vec<String>,
    /// 1-based line of the registry file.
    pub line: u64,
}

impl ArtistRecord {
    /// The name and every alias.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// A registry file that cannot be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    /// 1-based line of the file the error is on (1 for the header).
    pub line: u64,
    /// What is wrong with that line.
    pub message: String,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for RegistryError {}

/// The header of the plain registry CSV.
pub const REGISTRY_HEADER: [&str; 4] = ["name", "country", "genres", "aliases"];
/// The optional fifth column of the registry CSV: platform ids.
pub const REGISTRY_IDS: &str = "ids";

/// Whether a header (lower case, trimmed) is that of a registry CSV.
pub fn is_registry_header(header: &[String]) -> bool {
    header.len() >= 4
        && header[..4] == REGISTRY_HEADER
        && (header.len() == 4 || (header.len() == 5 && header[4] == REGISTRY_IDS))
}

/// A platform id as the registry stores it: `spotify:<id>`. A bare
/// 22-character base-62 id is a Spotify id; `spotify:artist:<id>` and
/// `https://open.spotify.com/artist/<id>` are read too.
pub fn platform_id(text: &str) -> Option<String> {
    let text = text.trim();
    let id = text
        .strip_prefix("https://open.spotify.com/artist/")
        .map(|rest| rest.split(['?', '/']).next().unwrap_or(""))
        .or_else(|| text.strip_prefix("spotify:artist:"))
        .or_else(|| text.strip_prefix("spotify:"))
        .unwrap_or(text);
    (id.len() == 22 && id.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| format!("spotify:{id}"))
}

/// Reads a plain registry CSV: `name,country,genres,aliases` and optionally
/// `ids`, with `country` a country name or ISO code (or empty) and the lists
/// separated by `;`. Strict: the first unusable value is an error (the
/// built-in registry must be whole); [`read_registry_csv`] keeps the rest.
pub fn parse_registry_csv(text: &str) -> Result<Vec<ArtistRecord>, RegistryError> {
    let (records, skipped) = read_registry_csv(text)?;
    match skipped.into_iter().next() {
        Some(first) => Err(first),
        None => Ok(records),
    }
}

/// Reads a registry CSV as [`parse_registry_csv`] does, except that a value
/// that cannot be used (an unknown country, a malformed platform id, a row
/// without a name) is left out and returned with its line and why, and the
/// row's other values are kept. A bad header or a malformed row is an error.
pub fn read_registry_csv(
    text: &str,
) -> Result<(Vec<ArtistRecord>, Vec<RegistryError>), RegistryError> {
    let mut skipped = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| RegistryError {
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    if !is_registry_header(&header) {
        return Err(RegistryError {
            line: 1,
            message: format!(
                "expected the header `{}` (and optionally `,{REGISTRY_IDS}`)",
                REGISTRY_HEADER.join(",")
            ),
        });
    }
    // The csv crate places a record that follows a `\r\n` one line early.
    let crlf = text.contains("\r\n");
    let line_of = |p: &csv::Position| p.line() + u64::from(crlf && p.byte() > 0);
    let list = |field: &str| -> Vec<String> {
        field
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut records = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| RegistryError {
            line: e.position().map_or(0, line_of),
            message: e.to_string(),
        })?;
        let line = row.position().map_or(0, line_of);
        let name = row[0].trim();
        if name.is_empty() {
            skipped.push(RegistryError {
                line,
                message: "the artist name is empty".into(),
            });
            continue;
        }
        let country = match row[1].trim() {
            "" => None,
            text => {
                let region = Region::parse(text);
                if region.is_none() {
                    skipped.push(RegistryError {
                        line,
                        message: format!("`{text}` is not a country name or ISO code"),
                    });
                }
                region
            }
        };
        let mut ids = Vec::new();
        for id in list(row.get(4).unwrap_or("")) {
            match platform_id(&id) {
                Some(id) => ids.push(id),
                None => skipped.push(RegistryError {
                    line,
                    message: format!(
                        "`{id}` is not a platform id (a 22-character Spotify artist id, \
                         `spotify:<id>` or an open.spotify.com/artist/ link)"
                    ),
                }),
            }
        }
        records.push(ArtistRecord {
            name: name.to_string(),
            ids,
            country,
            genres: list(&row[2])
                .into_iter()
                .map(|g| g.to_lowercase())
                .collect(),
            aliases: list(&row[3]),
            line,
        });
    }
    Ok((records, skipped))
}

/// The registry shipped with chartlens: well-known K-pop and J-pop acts with
/// their native-script names and origin, written from general knowledge.
pub fn builtin() -> Vec<ArtistRecord> {
    parse_registry_csv(include_str!("../data/artists.csv"))
        .expect("the built-in registry is valid (checked by its test)")
}

/// A name after NFKC with runs of white space collapsed.
pub fn exact_form(name: &str) -> String {
    if name.is_ascii() {
        // ASCII is already in NFKC.
        return name.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    general_exact_form(name)
}

fn general_exact_form(name: &str) -> String {
    name.nfkc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The matching key of a name: NFKC, lower case, Latin accents removed, and
/// punctuation and spacing reduced to single spaces between words (so CJK and
/// Hangul names are unchanged). Word breaks stay: `Snowman` and `Snow Man`
/// are different keys.
pub fn name_key(name: &str) -> String {
    if name.is_ascii() {
        // No accents, no compatibility forms, no CJK: only case and punctuation.
        let folded: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    ' '
                }
            })
            .collect();
        return folded.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    general_key(name)
}

fn general_key(name: &str) -> String {
    let folded = name
        .nfkc()
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .nfd()
        // Only the combining marks of Latin accents: Japanese voicing marks
        // (U+3099, U+309A) are combining too and must stay.
        .filter(|c| !(is_combining_mark(*c) && ('\u{300}'..='\u{36f}').contains(c)))
        .nfc()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>();
    // Words joined by one space, except between two CJK characters, where
    // spacing is a matter of taste (`藤井 風` and `藤井風`).
    let mut key = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        let joins_cjk =
            key.chars().next_back().is_some_and(is_cjk) && word.chars().next().is_some_and(is_cjk);
        if !key.is_empty() && !joins_cjk {
            key.push(' ');
        }
        key.push_str(word);
    }
    key
}

/// Han, kana and Hangul: scripts written without spaces between words.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}' // hiragana, katakana
        | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' // Han
        | '\u{1100}'..='\u{11ff}' | '\u{3130}'..='\u{318f}' | '\u{ac00}'..='\u{d7af}' // Hangul
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn keys_fold_width_case_accents_and_punctuation() {
        assert_eq!(name_key("ＢＴＳ"), "bts");
        assert_ne!(name_key("Snowman"), name_key("Snow Man"));
        assert_eq!(name_key("藤井 風"), name_key("藤井風"));
        assert_eq!(name_key("Fujii Kaze"), "fujii kaze");
        // The ASCII fast paths agree with the general forms.
        for name in [
            "A$AP Rocky",
            " Tyler,  The Creator ",
            "P!nk",
            "(G)I-DLE",
            "Mr.Children",
        ] {
            assert_eq!(name_key(name), general_key(name));
            assert_eq!(exact_form(name), general_exact_form(name));
        }
        assert_eq!(name_key("Kenshi  Yonezu"), name_key("KENSHI-YONEZU"));
        assert_eq!(name_key("ROSÉ"), "rose");
        assert_eq!(name_key("(G)I-DLE"), "g i dle");
        assert_eq!(name_key("米津玄師"), "米津玄師");
        // Half-width katakana with a voicing mark becomes the full-width letter.
        assert_eq!(name_key("ｶﾞｶﾞ"), name_key("ガガ"));
        assert_ne!(name_key("ガ"), name_key("カ"));
        assert_eq!(
            exact_form(" Official  HIGE DANdism "),
            "Official HIGE DANdism"
        );
    }

    #[test]
    fn builtin_registry_is_valid_and_unambiguous_in_exact_form() {
        let artists = builtin();
        assert!(artists.len() >= 100);
        let mut seen = HashMap::new();
        for (i, artist) in artists.iter().enumerate() {
            assert!(artist.country.is_some(), "{} has no country", artist.name);
            for name in artist.names() {
                if let Some(other) = seen.insert(exact_form(name), i) {
                    assert_eq!(other, i, "{name} names two artists");
                }
            }
        }
    }

    #[test]
    fn registry_errors_name_the_line() {
        let bad = "name,country,genres,aliases\nA,KR,k-pop,\nB,Atlantis,,\n";
        let err = parse_registry_csv(bad).unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("Atlantis"));
        assert_eq!(parse_registry_csv("who,where\n").unwrap_err().line, 1);
        let crlf = "name,country,genres,aliases\r\nA,KR,,\r\nB,Atlantis,,\r\n";
        assert_eq!(parse_registry_csv(crlf).unwrap_err().line, 3);
        let err = parse_registry_csv("name,country,genres,aliases\n,KR,,\n").unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (2, "the artist name is empty")
        );
    }

    #[test]
    fn lenient_registry_keeps_the_rest_of_a_row() {
        let text =
            "name,country,genres,aliases,ids\nA,KR,k-pop,,\nB,Atlantis,j-pop,Bee,nope\n,JP,,,\n";
        let (records, skipped) = read_registry_csv(text).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].name, "B");
        assert_eq!(records[1].country, None);
        assert_eq!(records[1].genres, ["j-pop"]);
        assert_eq!(records[1].aliases, ["Bee"]);
        let lines: Vec<u64> = skipped.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 3, 4]);
        assert!(skipped[0].message.contains("Atlantis"));
    }
}
