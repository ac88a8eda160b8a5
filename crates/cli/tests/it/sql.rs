//! `chartlens sql` and `chartlens tables`: formats, truncation, and errors.

use crate::{ExpectCode, chartlens, data};

fn store_with_fixtures() -> tempfile::TempDir {
    let store = tempfile::tempdir().unwrap();
    chartlens(store.path())
        .arg("ingest")
        .arg(data("good"))
        .expect_code(0);
    store
}

#[test]
fn formats() {
    let store = store_with_fixtures();
    let query = "select region, count(*) as n from chart_entries group by region order by region";
    let csv = chartlens(store.path())
        .args(["sql", "--format", "csv", query])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&csv.stdout),
        "region,n\nAR,3\nGLOBAL,4\nJP,4\nKR,2\nSE,1\nUS,3\n"
    );

    let json = chartlens(store.path())
        .args(["sql", "--format", "json", query])
        .output()
        .unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(parsed[1]["region"], "GLOBAL");
    assert_eq!(parsed[1]["n"], 4);

    let table = chartlens(store.path())
        .args(["sql", "--max-rows", "2", query])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("| AR ") && text.contains("| GLOBAL "),
        "{text}"
    );
    assert!(!text.contains("| JP "), "{text}");
    assert!(text.contains("(2 of 6 rows shown"), "{text}");

    let empty = chartlens(store.path())
        .args([
            "sql",
            "--format",
            "json",
            "select * from chart_entries where rank < 0",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&empty.stdout), "[]\n");
}

#[test]
fn a_long_query_can_come_from_standard_input() {
    use std::io::Write;
    let store = store_with_fixtures();
    let mut child = chartlens(store.path())
        .args(["sql", "--format", "csv", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let query = "select count(*) as n\nfrom chart_entries\nwhere region = 'JP'\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(query.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "n\n4\n");
}

#[test]
fn tables_and_columns_can_be_listed() {
    let store = store_with_fixtures();
    let out = chartlens(store.path()).arg("tables").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("chart_entries (17 rows)"), "{text}");
    assert!(text.contains("ingest_log (6 rows)"), "{text}");
    assert!(text.contains("period_start"), "{text}");
    // The SQL catalogue agrees.
    let cols = crate::sql(
        store.path(),
        "select column_name from information_schema.columns where table_name = 'chart_entries'",
    );
    for name in [
        "source",
        "chart",
        "region",
        "period_start",
        "period_end",
        "rank",
        "track_id",
        "track_name",
        "artist_names",
        "streams",
        "source_file",
        "source_line",
    ] {
        assert!(
            cols.lines().any(|l| l == name),
            "{name} missing from {cols}"
        );
    }
}

#[test]
fn errors_are_clear_and_exit_one() {
    let store = store_with_fixtures();
    let out = chartlens(store.path())
        .args(["sql", "select nope from chart_entries"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));

    let missing = tempfile::tempdir().unwrap();
    let out = chartlens(&missing.path().join("none"))
        .args(["sql", "select 1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no chartlens store here"));

    let out = chartlens(store.path())
        .args(["ingest", "--region", "Atlantis"])
        .arg(data("good"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--region \"Atlantis\""));

    let out = chartlens(store.path())
        .args(["ingest"])
        .arg(missing.path().join("nothing-here"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing-here"));
}
