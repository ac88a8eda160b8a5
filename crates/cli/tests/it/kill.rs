//! Atomicity under SIGKILL: an ingest killed at any moment leaves a readable
//! store holding every row of some files and no row of the others, and the
//! next run completes it without counting anything twice.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::{ExpectCode, chartlens, sql};

const SMALL_FILES: usize = 300;
const SMALL_ROWS: usize = 200;
const BIG_DAYS: usize = 250;

/// Writes the inputs and returns the rows expected from each file.
fn write_inputs(dir: &Path) -> HashMap<String, usize> {
    let mut expected = HashMap::new();
    let start = chrono::NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
    for i in 0..SMALL_FILES {
        let date = start + chrono::Duration::days(i as i64);
        let mut body = String::from("Position,\"Track Name\",Artist,URL\n");
        for rank in 1..=SMALL_ROWS {
            writeln!(body, "{rank},Song {rank},Artist {i},https://open.spotify.com/track/21jGcNKet2qwijlDFuPiPb").unwrap();
        }
        let path = dir.join(format!("viral-gb-daily-{date}.csv"));
        std::fs::write(&path, body).unwrap();
        expected.insert(path.to_string_lossy().into_owned(), SMALL_ROWS);
    }
    // One file large enough to be streamed in many parts.
    let mut big = String::from("title,rank,date,artist,url,region,chart,trend,streams\n");
    for day in 0..BIG_DAYS {
        let date = start + chrono::Duration::days(day as i64);
        for rank in 1..=SMALL_ROWS {
            writeln!(big, "Song,{rank},{date},A,https://open.spotify.com/track/4saklk6nie3yiGePpBwUoc,Argentina,top200,,{}", 1000 + rank).unwrap();
        }
    }
    let path = dir.join("zz-combined.csv");
    std::fs::write(&path, big).unwrap();
    expected.insert(path.to_string_lossy().into_owned(), BIG_DAYS * SMALL_ROWS);
    expected
}

/// Checks that the store holds whole files only, and that the log agrees.
/// Returns how many files are in.
fn assert_whole_files(store: &Path, expected: &HashMap<String, usize>) -> usize {
    // A kill that lands before the first commit leaves no store at all
    // (a busy machine starts the process slowly): nothing partial either.
    if !store.join("manifest.json").exists() {
        return 0;
    }
    let counts = sql(
        store,
        "select source_file, count(*) as n from chart_entries group by source_file",
    );
    let mut files = 0;
    for row in counts.lines().skip(1) {
        let (file, n) = row.rsplit_once(',').unwrap();
        let want = expected
            .get(file)
            .unwrap_or_else(|| panic!("unexpected file {file}"));
        assert_eq!(
            n.parse::<usize>().unwrap(),
            *want,
            "{file} is only partly in the store"
        );
        files += 1;
    }
    let logged = sql(
        store,
        "select count(distinct path) from ingest_log where status = 'ingested'",
    );
    assert_eq!(
        logged.lines().nth(1).unwrap(),
        files.to_string(),
        "log and data disagree"
    );
    files
}

#[test]
fn a_killed_ingest_leaves_whole_files_only() {
    let input = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let expected = write_inputs(input.path());
    let binary = env!("CARGO_BIN_EXE_chartlens");
    let mut killed_while_running = 0;
    for delay in [40u64, 120, 250, 500, 900, 1400] {
        let mut child = Command::new(binary)
            .arg("--store")
            .arg(store.path())
            .args([
                "ingest",
                "--quiet",
                "--part-rows",
                "3000",
                "--stream-above-bytes",
                "1000000",
            ])
            .arg(input.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        if child.try_wait().unwrap().is_none() {
            killed_while_running += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert_whole_files(store.path(), &expected);
    }
    assert!(
        killed_while_running > 0,
        "no kill landed during an ingest; make the input larger"
    );

    chartlens(store.path())
        .args(["ingest", "--quiet"])
        .arg(input.path())
        .expect_code(0);
    assert_eq!(assert_whole_files(store.path(), &expected), expected.len());
    let total: usize = expected.values().sum();
    let rows = sql(store.path(), "select count(*) from chart_entries");
    assert_eq!(rows.lines().nth(1).unwrap(), total.to_string());

    // Leftovers of the killed runs are gone: only listed parts (in a table, or
    // retired and within their grace period) remain on disk.
    let manifest = crate::manifest(store.path());
    let listed = manifest["tables"]["chart_entries"]
        .as_array()
        .unwrap()
        .len();
    let retired = manifest["retired"].as_array().map_or(0, |r| {
        r.iter()
            .filter(|p| p["file"].as_str().unwrap().contains("/chart_entries/"))
            .count()
    });
    assert_eq!(
        crate::part_files(store.path(), "chart_entries"),
        listed + retired
    );
}

/// Makes `store` look as an older chartlens left it: no summary tables and
/// no part hashes, so that `compact` upgrades it.
fn make_old(store: &Path) {
    let path = store.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let object = manifest.as_object_mut().unwrap();
    object.remove("summaries_from");
    let tables = object["tables"].as_object_mut().unwrap();
    tables.remove("track_markets");
    tables.remove("chart_periods");
    for parts in tables.values_mut() {
        for part in parts.as_array_mut().unwrap() {
            part.as_object_mut().unwrap().remove("hash");
        }
    }
    std::fs::write(&path, serde_json::to_vec(&manifest).unwrap()).unwrap();
}

#[test]
fn a_killed_compaction_summary_rebuild_or_upgrade_leaves_a_whole_store() {
    let input = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let expected = write_inputs(input.path());
    // Parts of 3,000 rows: none is small for the ingest, all are for
    // `compact`, which merges them, then rebuilds the summaries.
    chartlens(store.path())
        .args(["ingest", "--quiet", "--part-rows", "3000"])
        .arg(input.path())
        .expect_code(0);
    let total: usize = expected.values().sum();
    let binary = env!("CARGO_BIN_EXE_chartlens");
    let mut killed_while_running = 0;
    for (round, delay) in [30u64, 90, 200, 400, 60, 150, 300].into_iter().enumerate() {
        if round >= 4 {
            // The upgrade of an older store: hashes recorded, summaries built.
            make_old(store.path());
        }
        let mut child = Command::new(binary)
            .arg("--store")
            .arg(store.path())
            .arg("compact")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        if child.try_wait().unwrap().is_none() {
            killed_while_running += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert_whole_files(store.path(), &expected);
        let rows = sql(store.path(), "select count(*) from chart_entries");
        assert_eq!(rows.lines().nth(1).unwrap(), total.to_string());
        chartlens(store.path()).arg("check").expect_code(0);
        // Queries that read the summaries answer whatever they find.
        let periods = sql(store.path(), "select sum(entries) from chart_periods");
        assert_eq!(periods.lines().nth(1).unwrap(), total.to_string());
    }
    assert!(
        killed_while_running > 0,
        "no kill landed during a compaction; make the input larger"
    );
    chartlens(store.path()).arg("compact").expect_code(0);
    chartlens(store.path())
        .args(["check", "--deep"])
        .expect_code(0);
}
