//! Every artist list under `../shared/data/artists` reads with the right layout
//! and yields the facts its rows hold. Skips, saying so, when the data is absent.

use std::path::PathBuf;

use chartlens_ingest::artist_lists::{self, ListLayout};
use chartlens_model::registry::FactKind;

fn shared(name: &str) -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/artists")
        .join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(_) => {
            eprintln!(
                "skipped: {} is absent (it exists beside the project in CI)",
                path.display()
            );
            None
        }
    }
}

fn has(list: &artist_lists::ArtistList, artist: &str, kind: FactKind, value: &str) -> bool {
    list.facts
        .iter()
        .any(|f| f.artist == artist && f.kind == kind && f.value == value)
}

#[test]
fn shared_artist_lists_read() {
    let cases = [
        ("artist-country-genre.csv", ListLayout::CountryGenre, 2567),
        ("kpop_idols.csv", ListLayout::Idols, 1310),
        ("kpop_idols_boy_groups.csv", ListLayout::Groups, 147),
        ("kpop_idols_girl_groups.csv", ListLayout::Groups, 152),
        (
            "spotify-artist-genres.csv",
            ListLayout::SpotifyGenres,
            28680,
        ),
    ];
    for (name, layout, rows) in cases {
        let Some(text) = shared(name) else { return };
        let list = artist_lists::read(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(list.layout, layout, "{name}");
        let mut lines: Vec<u64> = list
            .facts
            .iter()
            .map(|f| f.line)
            .chain(list.skipped.iter().map(|s| s.0))
            .collect();
        lines.sort_unstable();
        lines.dedup();
        // Every data row either gave a fact or was reported as skipped, except
        // Spotify rows with an empty genre list, which say nothing.
        if layout != ListLayout::SpotifyGenres {
            assert_eq!(lines.len(), rows, "{name}");
        }
        assert!(
            lines.iter().all(|l| (2..=rows as u64 + 1).contains(l)),
            "{name}: lines {:?} to {:?}",
            lines.first(),
            lines.last()
        );
    }
    let Some(groups) = shared("kpop_idols_girl_groups.csv") else {
        return;
    };
    let groups = artist_lists::read(&groups).unwrap();
    assert!(has(&groups, "TWICE", FactKind::Listed, "k-pop group"));
    let Some(genres) = shared("spotify-artist-genres.csv") else {
        return;
    };
    let genres = artist_lists::read(&genres).unwrap();
    assert!(has(&genres, "BTS", FactKind::Genre, "k-pop"));
    assert!(
        has(&genres, "RADWIMPS", FactKind::Genre, "j-pop")
            || has(&genres, "RADWIMPS", FactKind::Genre, "j-rock")
    );
}
