//! Who a chart credit is, by evidence: namesakes from idol lists held back
//! by the tags of another scene, a duo kept whole, origins in conflict,
//! platform ids, key-only matches to thin placements, and `artists audit`
//! (fixtures in `tests/data/identity`).

use std::path::{Path, PathBuf};

use crate::{ExpectCode, chartlens, data, sql};

fn store(dir: &Path) -> PathBuf {
    let store = dir.join("store");
    chartlens(&store)
        .arg("ingest")
        .arg(data("identity/charts"))
        .expect_code(0);
    chartlens(&store)
        .args(["artists", "import"])
        .arg(data("identity/lists"))
        .expect_code(0);
    store
}

/// The credits of one track: `credited_name,resolution,cohort` lines.
fn credits(store: &Path, track: &str) -> String {
    let out = sql(
        store,
        &format!(
            "select c.credited_name, c.resolution, c.cohort from chart_entries e \
             join credits c using (artist_names, track_name) where e.track_name = '{track}' \
             group by 1, 2, 3, c.position order by c.position"
        ),
    );
    out.lines().skip(1).collect::<Vec<_>>().join("\n")
}

fn explain(store: &Path, name: &str) -> serde_json::Value {
    let out = chartlens(store)
        .args(["artists", "explain", name, "--format", "json"])
        .output()
        .expect("runs");
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn a_namesake_with_the_tag_of_another_scene_stays_unplaced() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    // An idol list's `Aurora` and a genre table's `norwegian pop` Aurora.
    assert_eq!(credits(&store, "Borealis"), "Aurora,resolved,");
    let aurora = &explain(&store, "Aurora")["artists"][0];
    assert_eq!(aurora["cohort"], serde_json::Value::Null);
    assert_eq!(aurora["held_back"]["cohort"], "K-pop");
    let why = aurora["held_back"]["why"].as_str().unwrap();
    assert!(
        why.contains("norwegian pop") && why.contains("genres.csv:2"),
        "{why}"
    );
    // The idol whose genre-table row agrees is placed, by lists.
    assert_eq!(credits(&store, "Solo"), "Sun,resolved,K-pop");
    assert_eq!(explain(&store, "Sun")["artists"][0]["basis"], "lists");
    // Two origins (an idol list's Indonesia, a country list's Korea).
    let vena = &explain(&store, "Vena")["artists"][0];
    assert_eq!(vena["cohort"], serde_json::Value::Null);
    assert_eq!(vena["origin_conflict"], true);
    assert!(
        vena["held_back"]["why"]
            .as_str()
            .unwrap()
            .contains("two origins")
    );
}

#[test]
fn a_listed_duo_stays_whole_and_a_guessed_cut_is_unconfirmed() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    // The genre table knows `Sun & Moon`: one act, not the idol Sun.
    assert_eq!(credits(&store, "Duet"), "Sun & Moon,resolved,");
    // `Rain` is no known name: `Sun & Rain` may be one act, so the idol is
    // not taken for it.
    assert_eq!(
        credits(&store, "Weather"),
        "Sun,unconfirmed,\nRain,unknown,"
    );
    let out = chartlens(&store)
        .args(["artists", "explain", "Sun & Rain"])
        .expect_code(1);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"Sun\": unconfirmed"), "{text}");
    // A country list's `Rinno` matches `RINNO` by key only, and that row is
    // all that places it: not taken as the listed artist.
    assert_eq!(credits(&store, "Keine Liebe"), "RINNO,unconfirmed,");
}

#[test]
fn platform_ids_in_a_registry_row_decide_over_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    assert_eq!(credits(&store, "Bright"), "SUNNY DAY!,resolved,K-pop");
    assert_eq!(credits(&store, "Other Sun"), "Sunny Day,unknown,");
    let bad = dir.path().join("bad-ids.csv");
    std::fs::write(&bad, "name,country,genres,aliases,ids\nX,KR,,,not-an-id\n").unwrap();
    // A malformed id costs only itself: a warning, and the row's country lands.
    let out = chartlens(&store)
        .args(["artists", "import"])
        .arg(&bad)
        .expect_code(0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad-ids.csv:2: `not-an-id`"), "{err}");
    assert_eq!(
        sql(
            &store,
            "select kind, value from artist_facts where artist = 'X'"
        ),
        "kind,value\ncountry,KR\n"
    );
}

#[test]
fn audit_lists_doubtful_placements_with_evidence_and_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let out = chartlens(&store)
        .args(["artists", "audit", "--format", "json", "--held"])
        .expect_code(0);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["artist"] == name)
            .unwrap_or_else(|| panic!("{name} not in {rows:#?}"))
    };
    // Ten entries abroad and none in its origin market, which the chart has.
    let hana = row("Hana");
    assert_eq!(hana["flags"], "home-absent");
    assert_eq!(hana["entries"], 10);
    assert_eq!(hana["fix"], "Hana,KR,,");
    // Only a country list, with a genre of no scene, places it.
    let solo = row("Solo Kim");
    assert_eq!(solo["flags"], "list-origin-only");
    assert!(
        solo["evidence"]
            .as_str()
            .unwrap()
            .contains("country-genre.csv")
    );
    // Held back, with why.
    assert_eq!(row("Aurora")["status"], "held back");
    // Ranked by entries.
    assert_eq!(rows[0]["artist"], "Hana");
    // Placements resting on one file are listed too, unless only reasons to
    // doubt are asked for.
    assert!(
        rows.iter()
            .any(|r| r["artist"] == "Rinno" && r["flags"] == "single-source"),
        "{rows:#?}"
    );
    let out = chartlens(&store)
        .args(["artists", "audit", "--format", "json", "--doubtful"])
        .expect_code(0);
    let doubtful: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!doubtful.iter().any(|r| r["flags"] == "single-source"));
    assert!(doubtful.iter().any(|r| r["artist"] == "Hana"));
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains("placed artists flagged") && summary.contains("reason to doubt"),
        "{summary}"
    );
}
