//! Markets: ISO 3166-1 alpha-2 codes, the `GLOBAL` pseudo-market, and the English
//! names and variants that chart exports use for them ("USA", "Viet Nam", "Czech Republic").

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// A chart market: a country or territory by its ISO 3166-1 alpha-2 code, or the
/// worldwide chart. `Display` gives the form stored in the `region` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    /// The worldwide chart. Not a market: metrics of breadth leave it out.
    Global,
    /// An ISO 3166-1 alpha-2 code, upper case ASCII.
    Country([u8; 2]),
}

impl Region {
    /// Resolves a code or a name as written in chart exports and file names:
    /// `us`, `US`, `United States`, `USA`, `Viet Nam`, `Global`. Case, accents,
    /// spacing and punctuation do not matter. Returns `None` for anything unknown.
    pub fn parse(text: &str) -> Option<Region> {
        let key = fold(text);
        if key.is_empty() {
            return None;
        }
        if matches!(key.as_str(), "global" | "ww" | "worldwide" | "world") {
            return Some(Region::Global);
        }
        if key.len() == 2 {
            return Region::from_code(&key);
        }
        by_folded_name().get(&key).copied()
    }

    /// Resolves an alpha-2 code only (any case); names are not accepted.
    pub fn from_code(code: &str) -> Option<Region> {
        let upper = code.trim().to_ascii_uppercase();
        COUNTRIES
            .iter()
            .find(|(c, _, _)| *c == upper)
            .map(|(c, _, _)| Region::Country([c.as_bytes()[0], c.as_bytes()[1]]))
    }

    /// The value stored in the `region` column: `GLOBAL` or the alpha-2 code.
    pub fn code(&self) -> &str {
        match self {
            Region::Global => "GLOBAL",
            Region::Country(bytes) => std::str::from_utf8(bytes).unwrap_or("??"),
        }
    }

    /// The English short name, for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Region::Global => "Global",
            Region::Country(_) => COUNTRIES
                .iter()
                .find(|(c, _, _)| *c == self.code())
                .map_or("?", |(_, name, _)| name),
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The continents of [`Region::continent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Continent {
    Africa,
    Asia,
    Europe,
    /// North and Central America and the Caribbean.
    NorthAmerica,
    SouthAmerica,
    Oceania,
    Antarctica,
}

impl Continent {
    /// The English name.
    pub fn name(self) -> &'static str {
        match self {
            Continent::Africa => "Africa",
            Continent::Asia => "Asia",
            Continent::Europe => "Europe",
            Continent::NorthAmerica => "North America",
            Continent::SouthAmerica => "South America",
            Continent::Oceania => "Oceania",
            Continent::Antarctica => "Antarctica",
        }
    }
}

/// Alpha-2 codes per continent, by the usual geographic convention
/// (Turkey, Cyprus, the Caucasus and Russia in Europe; the Middle East in
/// Asia; Central America and the Caribbean in North America).
const CONTINENTS: [(Continent, &str); 7] = [
    (
        Continent::Africa,
        "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA \
         MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW",
    ),
    (
        Continent::Asia,
        "AE AF BD BH BN BT CN HK ID IL IN IO IQ IR JO JP KG KH KP KR KW KZ LA LB LK MM MN MO MV \
         MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TW UZ VN YE",
    ),
    (
        Continent::Europe,
        "AD AL AM AT AX AZ BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GE GG GI GR HR HU IE IM \
         IS IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM TR UA VA XK",
    ),
    (
        Continent::NorthAmerica,
        "AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS MX \
         NI PA PM PR SV SX TC TT US VC VG VI",
    ),
    (
        Continent::SouthAmerica,
        "AR BO BR CL CO EC FK GF GY PE PY SR UY VE",
    ),
    (
        Continent::Oceania,
        "AS AU CC CK CX FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS",
    ),
    (Continent::Antarctica, "AQ BV GS HM TF"),
];

impl Region {
    /// The continent of a country; `None` for GLOBAL and unknown codes.
    pub fn continent(&self) -> Option<Continent> {
        let Region::Country(_) = self else {
            return None;
        };
        let code = self.code();
        CONTINENTS
            .iter()
            .find(|(_, codes)| codes.split_ascii_whitespace().any(|c| c == code))
            .map(|(continent, _)| *continent)
    }
}

/// Every English name and variant, folded, to its market. Built once.
fn by_folded_name() -> &'static HashMap<String, Region> {
    static NAMES: OnceLock<HashMap<String, Region>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names = HashMap::new();
        for (code, name, aliases) in COUNTRIES {
            let region = Region::Country([code.as_bytes()[0], code.as_bytes()[1]]);
            for variant in std::iter::once(name).chain(aliases.iter()) {
                names.insert(fold(variant), region);
            }
        }
        names
    })
}

/// Lower-cases, drops accents of Latin letters, turns `&` into `and`, and keeps
/// only letters and digits, so "Côte d'Ivoire" and "cote divoire" compare equal.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.trim().chars().flat_map(char::to_lowercase) {
        let ch = match ch {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            '&' => {
                out.push_str("and");
                continue;
            }
            other => other,
        };
        if ch.is_alphanumeric() {
            out.push(ch);
        }
    }
    out
}

/// ISO 3166-1 alpha-2 code, English short name, and the variants seen in chart
/// exports and playlist names. Written from the standard; no third-party list copied.
const COUNTRIES: &[(&str, &str, &[&str])] = &[
    ("AD", "Andorra", &[]),
    ("AE", "United Arab Emirates", &["UAE"]),
    ("AF", "Afghanistan", &[]),
    ("AG", "Antigua and Barbuda", &[]),
    ("AI", "Anguilla", &[]),
    ("AL", "Albania", &[]),
    ("AM", "Armenia", &[]),
    ("AO", "Angola", &[]),
    ("AQ", "Antarctica", &[]),
    ("AR", "Argentina", &[]),
    ("AS", "American Samoa", &[]),
    ("AT", "Austria", &[]),
    ("AU", "Australia", &[]),
    ("AW", "Aruba", &[]),
    ("AX", "Åland Islands", &["Aland Islands"]),
    ("AZ", "Azerbaijan", &[]),
    ("BA", "Bosnia and Herzegovina", &["Bosnia"]),
    ("BB", "Barbados", &[]),
    ("BD", "Bangladesh", &[]),
    ("BE", "Belgium", &[]),
    ("BF", "Burkina Faso", &[]),
    ("BG", "Bulgaria", &[]),
    ("BH", "Bahrain", &[]),
    ("BI", "Burundi", &[]),
    ("BJ", "Benin", &[]),
    ("BL", "Saint Barthélemy", &[]),
    ("BM", "Bermuda", &[]),
    ("BN", "Brunei", &["Brunei Darussalam"]),
    ("BO", "Bolivia", &["Bolivia, Plurinational State of"]),
    (
        "BQ",
        "Caribbean Netherlands",
        &["Bonaire, Sint Eustatius and Saba"],
    ),
    ("BR", "Brazil", &["Brasil"]),
    ("BS", "Bahamas", &["The Bahamas"]),
    ("BT", "Bhutan", &[]),
    ("BV", "Bouvet Island", &[]),
    ("BW", "Botswana", &[]),
    ("BY", "Belarus", &[]),
    ("BZ", "Belize", &[]),
    ("CA", "Canada", &[]),
    ("CC", "Cocos (Keeling) Islands", &[]),
    (
        "CD",
        "DR Congo",
        &[
            "Democratic Republic of the Congo",
            "Congo, Democratic Republic of the",
        ],
    ),
    ("CF", "Central African Republic", &[]),
    ("CG", "Congo", &["Republic of the Congo"]),
    ("CH", "Switzerland", &[]),
    ("CI", "Côte d'Ivoire", &["Ivory Coast"]),
    ("CK", "Cook Islands", &[]),
    ("CL", "Chile", &[]),
    ("CM", "Cameroon", &[]),
    ("CN", "China", &["People's Republic of China"]),
    ("CO", "Colombia", &[]),
    ("CR", "Costa Rica", &[]),
    ("CU", "Cuba", &[]),
    ("CV", "Cabo Verde", &["Cape Verde"]),
    ("CW", "Curaçao", &[]),
    ("CX", "Christmas Island", &[]),
    ("CY", "Cyprus", &[]),
    ("CZ", "Czechia", &["Czech Republic"]),
    ("DE", "Germany", &["Deutschland"]),
    ("DJ", "Djibouti", &[]),
    ("DK", "Denmark", &[]),
    ("DM", "Dominica", &[]),
    ("DO", "Dominican Republic", &[]),
    ("DZ", "Algeria", &[]),
    ("EC", "Ecuador", &[]),
    ("EE", "Estonia", &[]),
    ("EG", "Egypt", &[]),
    ("EH", "Western Sahara", &[]),
    ("ER", "Eritrea", &[]),
    ("ES", "Spain", &["España"]),
    ("ET", "Ethiopia", &[]),
    ("FI", "Finland", &[]),
    ("FJ", "Fiji", &[]),
    ("FK", "Falkland Islands", &[]),
    ("FM", "Micronesia", &["Micronesia, Federated States of"]),
    ("FO", "Faroe Islands", &[]),
    ("FR", "France", &[]),
    ("GA", "Gabon", &[]),
    ("GB", "United Kingdom", &["UK", "Great Britain", "Britain"]),
    ("GD", "Grenada", &[]),
    ("GE", "Georgia", &[]),
    ("GF", "French Guiana", &[]),
    ("GG", "Guernsey", &[]),
    ("GH", "Ghana", &[]),
    ("GI", "Gibraltar", &[]),
    ("GL", "Greenland", &[]),
    ("GM", "Gambia", &["The Gambia"]),
    ("GN", "Guinea", &[]),
    ("GP", "Guadeloupe", &[]),
    ("GQ", "Equatorial Guinea", &[]),
    ("GR", "Greece", &[]),
    ("GS", "South Georgia and the South Sandwich Islands", &[]),
    ("GT", "Guatemala", &[]),
    ("GU", "Guam", &[]),
    ("GW", "Guinea-Bissau", &[]),
    ("GY", "Guyana", &[]),
    ("HK", "Hong Kong", &["Hong Kong SAR"]),
    ("HM", "Heard Island and McDonald Islands", &[]),
    ("HN", "Honduras", &[]),
    ("HR", "Croatia", &[]),
    ("HT", "Haiti", &[]),
    ("HU", "Hungary", &[]),
    ("ID", "Indonesia", &[]),
    ("IE", "Ireland", &[]),
    ("IL", "Israel", &[]),
    ("IM", "Isle of Man", &[]),
    ("IN", "India", &[]),
    ("IO", "British Indian Ocean Territory", &[]),
    ("IQ", "Iraq", &[]),
    ("IR", "Iran", &["Iran, Islamic Republic of"]),
    ("IS", "Iceland", &[]),
    ("IT", "Italy", &["Italia"]),
    ("JE", "Jersey", &[]),
    ("JM", "Jamaica", &[]),
    ("JO", "Jordan", &[]),
    ("JP", "Japan", &[]),
    ("KE", "Kenya", &[]),
    ("KG", "Kyrgyzstan", &[]),
    ("KH", "Cambodia", &[]),
    ("KI", "Kiribati", &[]),
    ("KM", "Comoros", &[]),
    ("KN", "Saint Kitts and Nevis", &[]),
    (
        "KP",
        "North Korea",
        &["Korea, Democratic People's Republic of"],
    ),
    (
        "KR",
        "South Korea",
        &["Korea", "Republic of Korea", "Korea, Republic of"],
    ),
    ("KW", "Kuwait", &[]),
    ("KY", "Cayman Islands", &[]),
    ("KZ", "Kazakhstan", &[]),
    ("LA", "Laos", &["Lao People's Democratic Republic"]),
    ("LB", "Lebanon", &[]),
    ("LC", "Saint Lucia", &[]),
    ("LI", "Liechtenstein", &[]),
    ("LK", "Sri Lanka", &[]),
    ("LR", "Liberia", &[]),
    ("LS", "Lesotho", &[]),
    ("LT", "Lithuania", &[]),
    ("LU", "Luxembourg", &[]),
    ("LV", "Latvia", &[]),
    ("LY", "Libya", &[]),
    ("MA", "Morocco", &[]),
    ("MC", "Monaco", &[]),
    ("MD", "Moldova", &["Moldova, Republic of"]),
    ("ME", "Montenegro", &[]),
    ("MF", "Saint Martin", &[]),
    ("MG", "Madagascar", &[]),
    ("MH", "Marshall Islands", &[]),
    ("MK", "North Macedonia", &["Macedonia"]),
    ("ML", "Mali", &[]),
    ("MM", "Myanmar", &["Burma"]),
    ("MN", "Mongolia", &[]),
    ("MO", "Macao", &["Macau"]),
    ("MP", "Northern Mariana Islands", &[]),
    ("MQ", "Martinique", &[]),
    ("MR", "Mauritania", &[]),
    ("MS", "Montserrat", &[]),
    ("MT", "Malta", &[]),
    ("MU", "Mauritius", &[]),
    ("MV", "Maldives", &[]),
    ("MW", "Malawi", &[]),
    ("MX", "Mexico", &["México"]),
    ("MY", "Malaysia", &[]),
    ("MZ", "Mozambique", &[]),
    ("NA", "Namibia", &[]),
    ("NC", "New Caledonia", &[]),
    ("NE", "Niger", &[]),
    ("NF", "Norfolk Island", &[]),
    ("NG", "Nigeria", &[]),
    ("NI", "Nicaragua", &[]),
    ("NL", "Netherlands", &["The Netherlands", "Holland"]),
    ("NO", "Norway", &[]),
    ("NP", "Nepal", &[]),
    ("NR", "Nauru", &[]),
    ("NU", "Niue", &[]),
    ("NZ", "New Zealand", &[]),
    ("OM", "Oman", &[]),
    ("PA", "Panama", &[]),
    ("PE", "Peru", &[]),
    ("PF", "French Polynesia", &[]),
    ("PG", "Papua New Guinea", &[]),
    ("PH", "Philippines", &[]),
    ("PK", "Pakistan", &[]),
    ("PL", "Poland", &[]),
    ("PM", "Saint Pierre and Miquelon", &[]),
    ("PN", "Pitcairn", &[]),
    ("PR", "Puerto Rico", &[]),
    ("PS", "Palestine", &["State of Palestine"]),
    ("PT", "Portugal", &[]),
    ("PW", "Palau", &[]),
    ("PY", "Paraguay", &[]),
    ("QA", "Qatar", &[]),
    ("RE", "Réunion", &[]),
    ("RO", "Romania", &[]),
    ("RS", "Serbia", &[]),
    ("RU", "Russia", &["Russian Federation"]),
    ("RW", "Rwanda", &[]),
    ("SA", "Saudi Arabia", &[]),
    ("SB", "Solomon Islands", &[]),
    ("SC", "Seychelles", &[]),
    ("SD", "Sudan", &[]),
    ("SE", "Sweden", &[]),
    ("SG", "Singapore", &[]),
    ("SH", "Saint Helena", &[]),
    ("SI", "Slovenia", &[]),
    ("SJ", "Svalbard and Jan Mayen", &[]),
    ("SK", "Slovakia", &["Slovak Republic"]),
    ("SL", "Sierra Leone", &[]),
    ("SM", "San Marino", &[]),
    ("SN", "Senegal", &[]),
    ("SO", "Somalia", &[]),
    ("SR", "Suriname", &[]),
    ("SS", "South Sudan", &[]),
    ("ST", "Sao Tome and Principe", &[]),
    ("SV", "El Salvador", &[]),
    ("SX", "Sint Maarten", &[]),
    ("SY", "Syria", &["Syrian Arab Republic"]),
    ("SZ", "Eswatini", &["Swaziland"]),
    ("TC", "Turks and Caicos Islands", &[]),
    ("TD", "Chad", &[]),
    ("TF", "French Southern Territories", &[]),
    ("TG", "Togo", &[]),
    ("TH", "Thailand", &[]),
    ("TJ", "Tajikistan", &[]),
    ("TK", "Tokelau", &[]),
    ("TL", "Timor-Leste", &["East Timor"]),
    ("TM", "Turkmenistan", &[]),
    ("TN", "Tunisia", &[]),
    ("TO", "Tonga", &[]),
    ("TR", "Turkey", &["Türkiye", "Turkiye"]),
    ("TT", "Trinidad and Tobago", &[]),
    ("TV", "Tuvalu", &[]),
    ("TW", "Taiwan", &["Taiwan, Province of China"]),
    ("TZ", "Tanzania", &["Tanzania, United Republic of"]),
    ("UA", "Ukraine", &[]),
    ("UG", "Uganda", &[]),
    ("UM", "United States Minor Outlying Islands", &[]),
    (
        "US",
        "United States",
        &["USA", "United States of America", "America"],
    ),
    ("UY", "Uruguay", &[]),
    ("UZ", "Uzbekistan", &[]),
    ("VA", "Holy See", &["Vatican City", "Vatican"]),
    ("VC", "Saint Vincent and the Grenadines", &[]),
    ("VE", "Venezuela", &["Venezuela, Bolivarian Republic of"]),
    ("VG", "British Virgin Islands", &["Virgin Islands, British"]),
    ("VI", "U.S. Virgin Islands", &["Virgin Islands, U.S."]),
    ("VN", "Vietnam", &["Viet Nam"]),
    ("VU", "Vanuatu", &[]),
    ("WF", "Wallis and Futuna", &[]),
    ("WS", "Samoa", &[]),
    ("YE", "Yemen", &[]),
    ("YT", "Mayotte", &[]),
    ("ZA", "South Africa", &[]),
    ("ZM", "Zambia", &[]),
    ("ZW", "Zimbabwe", &[]),
];

#[cfg(test)]
mod tests {

    #[test]
    fn every_country_has_one_continent() {
        for (code, _, _) in COUNTRIES {
            let region = Region::from_code(code).unwrap();
            let found = CONTINENTS
                .iter()
                .filter(|(_, codes)| codes.split_ascii_whitespace().any(|c| c == *code))
                .count();
            assert_eq!(found, 1, "{code} is on {found} continents");
            assert!(region.continent().is_some());
        }
        assert_eq!(
            Region::parse("JP").unwrap().continent(),
            Some(Continent::Asia)
        );
        assert_eq!(Region::Global.continent(), None);
    }

    use super::*;

    #[test]
    fn codes_names_and_variants_resolve() {
        let us = Region::Country(*b"US");
        assert_eq!(Region::parse("us"), Some(us));
        assert_eq!(Region::parse("United States"), Some(us));
        assert_eq!(Region::parse("USA"), Some(us));
        assert_eq!(Region::parse("Viet Nam"), Region::parse("vietnam"));
        assert_eq!(Region::parse("Czech Republic").unwrap().code(), "CZ");
        assert_eq!(Region::parse("Côte d'Ivoire").unwrap().code(), "CI");
        assert_eq!(Region::parse("Türkiye").unwrap().code(), "TR");
        assert_eq!(Region::parse("Global"), Some(Region::Global));
        assert_eq!(Region::Global.code(), "GLOBAL");
    }

    #[test]
    fn unknown_names_and_codes_are_refused() {
        assert_eq!(Region::parse("Atlantis"), None);
        assert_eq!(Region::parse("XX"), None);
        assert_eq!(Region::parse(""), None);
        assert_eq!(Region::from_code("United States"), None);
    }

    #[test]
    fn every_code_is_unique_two_letter_upper_case() {
        let mut seen = std::collections::HashSet::new();
        for (code, name, _) in COUNTRIES {
            assert!(code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(seen.insert(code), "{code} twice");
            assert_eq!(
                Region::parse(name).map(|r| r.code().to_string()).as_deref(),
                Some(*code)
            );
        }
    }
}
