//! Scenes named by genre tags: `german hip hop` is a German scene, `k-rap` a
//! Korean one. A tag of another scene than a cohort's is evidence against a
//! placement that rests on third-party lists (see `cohort`), so a namesake
//! that an idol or country list would place is held back instead.
//!
//! Only tags that name a country, a people or a national industry count;
//! style tags that travel (`anime`, `otacore`, `lo-fi`, `dance pop`) name no
//! scene, since they are put on acts of every country.

/// Latin America, as the Latin scene tags (`latin pop`, `reggaeton`) name it.
const LATAM: &[&str] = &[
    "AR", "BO", "BR", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "HN", "MX", "NI", "PA", "PE", "PR",
    "PY", "SV", "UY", "VE",
];

/// Leading words of a tag (before a space, or the whole tag) and the
/// countries of their scene. A word ending in `-` matches a prefix
/// (`k-` for `k-pop`, `k-rap`, `k-indie`).
const SCENES: &[(&str, &[&str])] = &[
    ("k-", &["KR"]),
    ("korean", &["KR"]),
    ("j-", &["JP"]),
    ("japanese", &["JP"]),
    ("vocaloid", &["JP"]),
    ("visual kei", &["JP"]),
    ("shibuya-kei", &["JP"]),
    ("kayokyoku", &["JP"]),
    ("enka", &["JP"]),
    ("c-pop", &["CN", "TW", "HK"]),
    ("mandopop", &["CN", "TW"]),
    ("chinese", &["CN", "TW", "HK"]),
    ("taiwan", &["TW"]),
    ("taiwanese", &["TW"]),
    ("cantopop", &["HK"]),
    ("german", &["DE", "AT", "CH"]),
    ("deutsch", &["DE", "AT", "CH"]),
    ("austro-german", &["DE", "AT"]),
    ("austrian", &["AT"]),
    ("swiss", &["CH"]),
    ("dutch", &["NL"]),
    ("nederpop", &["NL"]),
    ("belgian", &["BE"]),
    ("french", &["FR", "BE", "CH", "CA"]),
    ("francoton", &["FR"]),
    ("italian", &["IT"]),
    ("italo", &["IT"]),
    ("spanish", &["ES"]),
    ("flamenco", &["ES"]),
    ("portuguese", &["PT"]),
    ("brazilian", &["BR"]),
    ("mpb", &["BR"]),
    ("sertanejo", &["BR"]),
    ("pagode", &["BR"]),
    ("forro", &["BR"]),
    ("swedish", &["SE"]),
    ("norwegian", &["NO"]),
    ("danish", &["DK"]),
    ("finnish", &["FI"]),
    ("icelandic", &["IS"]),
    ("nordic", &["SE", "NO", "DK", "FI", "IS"]),
    ("scandipop", &["SE", "NO", "DK"]),
    ("polish", &["PL"]),
    ("czech", &["CZ"]),
    ("slovak", &["SK"]),
    ("hungarian", &["HU"]),
    ("romanian", &["RO"]),
    ("greek", &["GR", "CY"]),
    ("laiko", &["GR"]),
    ("turkish", &["TR"]),
    ("russian", &["RU"]),
    ("ukrainian", &["UA"]),
    ("croatian", &["HR"]),
    ("israeli", &["IL"]),
    ("persian", &["IR"]),
    ("indian", &["IN"]),
    ("desi", &["IN", "PK"]),
    ("filmi", &["IN"]),
    ("bollywood", &["IN"]),
    ("tamil", &["IN", "LK"]),
    ("pakistani", &["PK"]),
    ("indonesian", &["ID"]),
    ("malaysian", &["MY"]),
    ("thai", &["TH"]),
    ("vietnamese", &["VN"]),
    ("v-pop", &["VN"]),
    ("pinoy", &["PH"]),
    ("opm", &["PH"]),
    ("filipino", &["PH"]),
    ("singaporean", &["SG"]),
    ("nigerian", &["NG"]),
    ("australian", &["AU"]),
    ("aussie", &["AU"]),
    ("nz", &["NZ"]),
    ("kiwi", &["NZ"]),
    ("canadian", &["CA"]),
    ("quebec", &["CA"]),
    ("uk", &["GB"]),
    ("british", &["GB"]),
    ("britpop", &["GB"]),
    ("english", &["GB"]),
    ("scottish", &["GB"]),
    ("welsh", &["GB"]),
    ("irish", &["IE"]),
    ("american", &["US"]),
    ("mexican", &["MX"]),
    ("regional mexican", &["MX"]),
    ("norteno", &["MX"]),
    ("banda", &["MX"]),
    ("corrido", &["MX"]),
    ("corridos", &["MX"]),
    ("ranchera", &["MX"]),
    ("mariachi", &["MX"]),
    ("grupera", &["MX"]),
    ("argentine", &["AR"]),
    ("colombian", &["CO"]),
    ("vallenato", &["CO"]),
    ("chilean", &["CL"]),
    ("peruvian", &["PE"]),
    ("venezuelan", &["VE"]),
    ("puerto rican", &["PR"]),
    ("dominican", &["DO"]),
    ("cuban", &["CU"]),
    ("ecuadorian", &["EC"]),
    ("panamanian", &["PA"]),
    ("latin", LATAM),
    ("reggaeton", LATAM),
    ("urbano latino", LATAM),
    ("trap latino", LATAM),
    ("salsa", LATAM),
    ("bachata", LATAM),
    ("cumbia", LATAM),
    ("merengue", LATAM),
];

/// The countries of the scene a genre tag names (lower case), if it names one.
pub fn countries(tag: &str) -> Option<&'static [&'static str]> {
    let tag = tag.trim();
    SCENES.iter().find_map(|&(word, codes)| {
        let hit = match word.strip_suffix('-') {
            Some(_) => tag.starts_with(word) && tag.len() > word.len(),
            None => {
                tag == word
                    || tag
                        .strip_prefix(word)
                        .is_some_and(|rest| rest.starts_with(' '))
            }
        };
        hit.then_some(codes)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_their_scene_and_styles_name_none() {
        assert_eq!(countries("k-pop"), Some(&["KR"][..]));
        assert_eq!(countries("k-pop boy group"), Some(&["KR"][..]));
        assert_eq!(countries("german hip hop"), Some(&["DE", "AT", "CH"][..]));
        assert_eq!(countries("j-rock"), Some(&["JP"][..]));
        assert_eq!(countries("indonesian pop"), Some(&["ID"][..]));
        assert_eq!(countries("latin"), Some(LATAM));
        assert!(countries("regional mexican").is_some());
        for style in ["anime", "otacore", "dance pop", "pop", "k", "j-", "latinx"] {
            assert_eq!(countries(style), None, "{style}");
        }
        // A word must end at a space: `uk` names a scene, `ukulele` none.
        assert_eq!(countries("uk drill"), Some(&["GB"][..]));
        assert_eq!(countries("ukulele"), None);
    }
}
