//! Credits: who is on a track. Splits a chart's `artist_names` (`A, B`, `A & B`,
//! `A x B`, `A feat. B`) and the featured artists named in a title
//! (`Song (feat. X)`, `Song [with X & Y]`) into artists with a role.
//!
//! Separators also occur inside real names ("Tyler, The Creator", "Earth, Wind &
//! Fire"), so the splitter takes a predicate of known names and never cuts one.

/// Whether an artist leads the track or is featured on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Named in `artist_names` before any `feat.` marker.
    Lead,
    /// Named after a `feat.` marker, or as featured in the track title.
    Featured,
}

impl Role {
    /// The name of the role as `credits.role` stores it: `lead` or `featured`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Lead => "lead",
            Role::Featured => "featured",
        }
    }
}

/// One credited artist of a track, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    /// The artist's name as credited, trimmed (with stray `,` and `;` removed).
    pub name: String,
    /// Whether the artist leads the track or is featured on it.
    pub role: Role,
    /// Cut from a longer credit on a separator that also occurs inside act
    /// names (`X & Y` may be a duo), while another piece of it is no known
    /// name: the cut is a guess, so the name is weak evidence of who is on
    /// the track.
    pub unconfirmed: bool,
}

/// Words that introduce featured artists, matched case-insensitively as whole words.
const FEATURE_MARKERS: &[&str] = &["feat.", "feat", "ft.", "ft", "featuring"];
/// Separators between co-credited artists, matched with spaces around them.
/// Not ` X ` or ` and `: they occur inside names ("Lil Nas X & B", "Florence and the Machine").
const JOINERS: &[&str] = &[" & ", " x ", " + "];

/// Splits the credits of one chart row. `known` says whether a string is a
/// known artist name; a run of pieces that forms one is kept whole.
pub fn split(artist_names: &str, track_name: &str, known: &dyn Fn(&str) -> bool) -> Vec<Credit> {
    let mut credits: Vec<Credit> = Vec::new();
    let mut add = |(name, unconfirmed): (String, bool), role: Role| {
        let name = name
            .trim()
            .trim_matches(|c: char| c == ',' || c == ';')
            .trim();
        if !name.is_empty() && !credits.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
            credits.push(Credit {
                name: name.to_string(),
                role,
                unconfirmed,
            });
        }
    };
    let (lead, featured) = cut_feature(artist_names);
    for piece in pieces(lead, known) {
        add(piece, Role::Lead);
    }
    if let Some(featured) = featured {
        for piece in pieces(featured, known) {
            add(piece, Role::Featured);
        }
    }
    for group in title_features(track_name) {
        for piece in pieces(&group, known) {
            add(piece, Role::Featured);
        }
    }
    credits
}

/// Like [`split`], for a source that lists every credited artist with its
/// platform id (`artist_ids`, `,`-separated, names joined with `, `). When
/// the names split on `, ` into as many pieces as there are ids, those pieces
/// are the credits, exactly, each with its id; an artist also named as a
/// feature in the title is `featured`, the others `lead`. A name holding
/// `, ` is matched up when known names split the list into one credit per
/// id; otherwise the ids are not used and [`split`] decides.
pub fn split_with_ids(
    artist_names: &str,
    track_name: &str,
    artist_ids: Option<&str>,
    known: &dyn Fn(&str) -> bool,
) -> Vec<(Credit, Option<String>)> {
    let by_name = split(artist_names, track_name, known);
    let Some(ids) = artist_ids.filter(|ids| !ids.is_empty()) else {
        return by_name.into_iter().map(|c| (c, None)).collect();
    };
    let ids: Vec<&str> = ids.split(',').collect();
    let mut names: Vec<&str> = artist_names.split(", ").map(str::trim).collect();
    if names.len() != ids.len() || names.iter().any(|n| n.is_empty()) {
        // A name holding `, `: the split by known names may still give one
        // credit per id.
        let leads: Vec<&str> = by_name
            .iter()
            .filter(|c| c.role == Role::Lead)
            .map(|c| c.name.as_str())
            .collect();
        if leads.len() != ids.len() || leads.join(", ") != artist_names.trim() {
            return by_name.into_iter().map(|c| (c, None)).collect();
        }
        names = leads;
    }
    let featured_in_title: Vec<(String, bool)> = title_features(track_name)
        .iter()
        .flat_map(|group| pieces(group, known))
        .collect();
    let is_featured = |name: &str| {
        featured_in_title
            .iter()
            .any(|(f, _)| f.eq_ignore_ascii_case(name))
    };
    let mut credits: Vec<(Credit, Option<String>)> = names
        .iter()
        .zip(&ids)
        .map(|(name, id)| {
            let role = if is_featured(name) {
                Role::Featured
            } else {
                Role::Lead
            };
            // The platform listed this artist on its own: no guess.
            let credit = Credit {
                name: name.to_string(),
                role,
                unconfirmed: false,
            };
            (credit, (!id.is_empty()).then(|| id.to_string()))
        })
        .collect();
    // Title features the platform did not list are still credits.
    for (name, unconfirmed) in featured_in_title {
        if !credits
            .iter()
            .any(|(c, _)| c.name.eq_ignore_ascii_case(&name))
        {
            credits.push((
                Credit {
                    name,
                    role: Role::Featured,
                    unconfirmed,
                },
                None,
            ));
        }
    }
    credits
}

/// Splits `A feat. B` into (`A`, Some(`B`)).
fn cut_feature(text: &str) -> (&str, Option<&str>) {
    let lower = text.to_lowercase();
    // Byte offsets of `lower` match `text` only when lower-casing kept lengths;
    // otherwise look for the marker in the original text only.
    let haystack = if lower.len() == text.len() {
        lower.as_str()
    } else {
        text
    };
    for marker in FEATURE_MARKERS {
        let mut from = 0;
        while let Some(pos) = haystack[from..].find(marker) {
            let start = from + pos;
            let end = start + marker.len();
            let before_ok = start == 0 || haystack[..start].ends_with([' ', '(', '[']);
            let after_ok = end == haystack.len() || haystack[end..].starts_with(' ');
            if before_ok && after_ok && start > 0 {
                let lead = text[..start]
                    .trim_end()
                    .trim_end_matches(['(', '[', '-'])
                    .trim_end();
                let rest = text[end..].trim().trim_end_matches([')', ']']).trim();
                return (lead, (!rest.is_empty()).then_some(rest));
            }
            from = end;
        }
    }
    (text, None)
}

/// The featured-artist lists in a title: `(feat. X)`, `[ft. X & Y]`, `(with X)`,
/// `- feat. X`, and the all-caps `FEAT. X.` style of some releases.
fn title_features(title: &str) -> Vec<String> {
    let mut found = Vec::new();
    let lower = title.to_lowercase();
    if lower.len() != title.len() {
        return found;
    }
    let markers: Vec<&str> = FEATURE_MARKERS.iter().copied().chain(["with"]).collect();
    for (open, close) in [('(', ')'), ('[', ']')] {
        let mut rest = 0;
        while let Some(start) = lower[rest..].find(open) {
            let start = rest + start + 1;
            let Some(len) = lower[start..].find(close) else {
                break;
            };
            let inner = &lower[start..start + len];
            for marker in &markers {
                if let Some(names) = inner.strip_prefix(marker).filter(|r| r.starts_with(' ')) {
                    let offset = start + marker.len() + (names.len() - names.trim_start().len());
                    found.push(title[offset..start + len].trim().to_string());
                    break;
                }
            }
            rest = start + len;
        }
    }
    if found.is_empty() {
        // `Song - feat. X` or `SONG. FEAT. X.` without brackets.
        for marker in FEATURE_MARKERS
            .iter()
            .filter(|m| m.ends_with('.') || m.len() > 4)
        {
            if let Some(pos) = lower.find(&format!(" {marker} ")) {
                let names = title[pos + marker.len() + 2..].trim().trim_end_matches('.');
                if !names.is_empty() {
                    found.push(names.to_string());
                }
                break;
            }
        }
    }
    found
}

/// Splits a list of co-credited names on commas and joiners, keeping any run
/// of pieces that `known` recognises as one name. Each name comes with
/// whether the cut is unconfirmed: when some piece is no known name, the
/// separators may belong to one act's name.
fn pieces(text: &str, known: &dyn Fn(&str) -> bool) -> Vec<(String, bool)> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    if known(text.trim()) {
        return vec![(text.trim().to_string(), false)];
    }
    // Cut at every separator, remembering the separator text so runs can be rejoined.
    let mut parts: Vec<(String, String)> = Vec::new(); // (piece, separator before it)
    let mut current = String::new();
    let mut sep_before = String::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        let rest = &text[i..];
        let sep = if bytes[i] == b',' || bytes[i] == b';' {
            Some(&rest[..1])
        } else {
            JOINERS
                .iter()
                .find(|j| rest.starts_with(*j))
                .map(|j| &rest[..j.len()])
        };
        match sep {
            Some(sep) => {
                parts.push((current.trim().to_string(), sep_before.clone()));
                current.clear();
                sep_before = sep.to_string();
                i += sep.len();
            }
            None => {
                let ch = rest.chars().next().unwrap_or(' ');
                current.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    parts.push((current.trim().to_string(), sep_before));
    // Greedily rejoin the longest run starting at each piece that is a known name.
    let mut out = Vec::new();
    let mut start = 0;
    while start < parts.len() {
        let mut taken = 1;
        for end in (start + 2..=parts.len()).rev() {
            let mut joined = parts[start].0.clone();
            for (piece, sep) in &parts[start + 1..end] {
                joined.push_str(if sep == "," || sep == ";" { ", " } else { sep });
                joined.push_str(piece);
            }
            if known(&joined) {
                out.push(joined);
                taken = end - start;
                break;
            }
        }
        if taken == 1 && !parts[start].0.is_empty() {
            out.push(parts[start].0.clone());
        }
        start += taken;
    }
    let unconfirmed = out.len() > 1 && !out.iter().all(|name| known(name));
    out.into_iter().map(|name| (name, unconfirmed)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(credits: &[Credit]) -> Vec<(&str, &str)> {
        credits
            .iter()
            .map(|c| (c.name.as_str(), c.role.as_str()))
            .collect()
    }

    fn nobody(_: &str) -> bool {
        false
    }

    #[test]
    fn separators_and_roles() {
        assert_eq!(
            names(&split("A, B", "Song", &nobody)),
            [("A", "lead"), ("B", "lead")]
        );
        assert_eq!(
            names(&split("A & B", "Song", &nobody)),
            [("A", "lead"), ("B", "lead")]
        );
        assert_eq!(
            names(&split("A x B", "Song", &nobody)),
            [("A", "lead"), ("B", "lead")]
        );
        assert_eq!(
            names(&split("A feat. B", "Song", &nobody)),
            [("A", "lead"), ("B", "featured")]
        );
        assert_eq!(
            names(&split("A Feat. B & C", "Song", &nobody)),
            [("A", "lead"), ("B", "featured"), ("C", "featured")]
        );
        assert_eq!(
            names(&split("A ft. B", "Song", &nobody)),
            [("A", "lead"), ("B", "featured")]
        );
    }

    #[test]
    fn featured_artists_in_titles() {
        assert_eq!(
            names(&split("A", "Song (feat. X)", &nobody)),
            [("A", "lead"), ("X", "featured")]
        );
        assert_eq!(
            names(&split("A", "Song [with X & Y]", &nobody)),
            [("A", "lead"), ("X", "featured"), ("Y", "featured")]
        );
        assert_eq!(
            names(&split("Kendrick Lamar", "LOYALTY. FEAT. RIHANNA.", &nobody)),
            [("Kendrick Lamar", "lead"), ("RIHANNA", "featured")]
        );
        // A title word that only looks like a marker is not one.
        assert_eq!(names(&split("A", "Without You", &nobody)), [("A", "lead")]);
        assert_eq!(
            names(&split("A", "Song (Live with Orchestra)", &nobody)),
            [("A", "lead")]
        );
    }

    #[test]
    fn platform_ids_fix_the_credit_list() {
        let with = |names, title, ids| -> Vec<(String, &'static str, Option<String>)> {
            split_with_ids(names, title, ids, &nobody)
                .into_iter()
                .map(|(c, id)| (c.name, c.role.as_str(), id))
                .collect()
        };
        let s = |v: &str| v.to_string();
        // A comma inside a name: matched up when the name is known, else
        // the ids are not guessed at.
        let tyler = |n: &str| n == "Tyler, The Creator";
        let credits: Vec<(String, Option<String>)> =
            split_with_ids("Mina, Tyler, The Creator", "Duet", Some("a1,a2"), &tyler)
                .into_iter()
                .map(|(c, id)| (c.name, id))
                .collect();
        assert_eq!(
            credits,
            [
                (s("Mina"), Some(s("a1"))),
                (s("Tyler, The Creator"), Some(s("a2")))
            ]
        );
        assert_eq!(
            with("Mina, Tyler, The Creator", "Duet", Some("a1,a2")),
            [
                (s("Mina"), "lead", None::<String>),
                (s("Tyler"), "lead", None),
                (s("The Creator"), "lead", None)
            ]
        );
        assert_eq!(
            with("Mina, Joy", "Duet (feat. Joy)", Some("a1,a2")),
            [
                (s("Mina"), "lead", Some(s("a1"))),
                (s("Joy"), "featured", Some(s("a2")))
            ]
        );
        assert_eq!(
            with("Mina", "Duet (with Dara)", Some("a1")),
            [
                (s("Mina"), "lead", Some(s("a1"))),
                (s("Dara"), "featured", None)
            ]
        );
        // Without ids, the plain split.
        assert_eq!(
            with("A & B", "Song", None),
            [(s("A"), "lead", None), (s("B"), "lead", None)]
        );
    }

    #[test]
    fn a_cut_with_an_unknown_piece_is_unconfirmed() {
        let unconfirmed = |names: &str, known: &dyn Fn(&str) -> bool| -> Vec<(String, bool)> {
            split(names, "Song", known)
                .into_iter()
                .map(|c| (c.name, c.unconfirmed))
                .collect()
        };
        let s = |v: &str| v.to_string();
        // `Sun & Moon` may be a duo: with `Moon` unknown, the cut is a guess.
        let sun = |n: &str| n == "Sun";
        assert_eq!(
            unconfirmed("Sun & Moon", &sun),
            [(s("Sun"), true), (s("Moon"), true)]
        );
        // Both pieces known: two artists.
        let both = |n: &str| n == "Sun" || n == "Moon";
        assert_eq!(
            unconfirmed("Sun & Moon", &both),
            [(s("Sun"), false), (s("Moon"), false)]
        );
        // The duo listed as a whole: one credit, kept whole.
        let duo = |n: &str| n == "Sun & Moon" || n == "Sun";
        assert_eq!(unconfirmed("Sun & Moon", &duo), [(s("Sun & Moon"), false)]);
        // `feat.` is no guess; the pieces after it are cut on their own.
        assert_eq!(
            unconfirmed("Sun feat. Moon", &sun),
            [(s("Sun"), false), (s("Moon"), false)]
        );
    }

    #[test]
    fn known_names_with_separators_stay_whole() {
        let known = |n: &str| {
            matches!(
                n,
                "Tyler, The Creator" | "Earth, Wind & Fire" | "Simon & Garfunkel"
            )
        };
        assert_eq!(
            names(&split("Tyler, The Creator", "Song", &known)),
            [("Tyler, The Creator", "lead")]
        );
        assert_eq!(
            names(&split("Earth, Wind & Fire, B", "Song", &known)),
            [("Earth, Wind & Fire", "lead"), ("B", "lead")]
        );
        assert_eq!(
            names(&split("A feat. Simon & Garfunkel", "Song", &known)),
            [("A", "lead"), ("Simon & Garfunkel", "featured")]
        );
    }

    #[test]
    fn the_same_artist_twice_is_one_credit_and_empty_is_none() {
        assert_eq!(
            names(&split("A", "Song (feat. A)", &nobody)),
            [("A", "lead")]
        );
        assert!(split("", "Song", &nobody).is_empty());
        // Scripts other than Latin pass through untouched.
        assert_eq!(
            names(&split("米津玄師", "Lemon", &nobody)),
            [("米津玄師", "lead")]
        );
    }
}
