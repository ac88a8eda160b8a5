//! The interchange layout and `chartlens export`: converted charts come in,
//! and export then ingest into an empty store gives the same table.

use std::path::Path;

use crate::{ExpectCode, chartlens, data, scalar, sql};

/// Every interchange column of `chart_entries`, in a fixed order.
fn table(store: &Path) -> String {
    sql(
        store,
        "select source, chart, region, period_start, period_end, rank, frequency, track_id, \
         track_name, artist_names, streams, views, artist_ids from chart_entries \
         order by source, chart, region, period_start, period_end, rank",
    )
}

#[test]
fn converted_charts_come_in_and_bad_rows_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    chartlens(&store)
        .arg("ingest")
        .arg(data("interchange/good"))
        .expect_code(0);
    assert_eq!(
        sql(
            &store,
            "select source, chart, region, rank, artist_names, streams from chart_entries order by source, rank"
        ),
        "source,chart,region,rank,artist_names,streams\n\
         circle,digital,KR,1,Haneul Five,1234567\n\
         oricon,singles,JP,1,Haneul Five,\n\
         oricon,singles,JP,2,Kaze Band,\n"
    );
    let out = chartlens(&store)
        .arg("ingest")
        .arg(data("interchange/bad"))
        .expect_code(3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown-region.csv: line 3: unknown region `XK`"),
        "{err}"
    );
    assert!(
        err.contains("unknown-column.csv: line 1: unknown column `sales`"),
        "{err}"
    );
    assert_eq!(scalar(&store, "select count(*) from chart_entries"), "3");
}

#[test]
fn export_then_ingest_into_an_empty_store_gives_the_same_table() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    // Every layout: old and new Spotify CSVs, combined files, playlists,
    // Billboard, interchange.
    for input in [
        "good",
        "json/playlists",
        "json/billboard",
        "interchange/good",
    ] {
        chartlens(&store)
            .arg("ingest")
            .arg(data(input))
            .expect_code(0);
    }
    let original = table(&store);
    assert!(
        original.lines().count() > 20,
        "a real sample: {}",
        original.lines().count()
    );
    for format in ["csv", "parquet"] {
        let out = dir.path().join(format!("export-{format}"));
        chartlens(&store)
            .args(["export", "--format", format, "--out"])
            .arg(&out)
            .expect_code(0);
        let copy = dir.path().join(format!("copy-{format}"));
        chartlens(&copy).arg("ingest").arg(&out).expect_code(0);
        assert_eq!(table(&copy), original, "round trip through {format}");
        // Again: nothing new.
        let again = chartlens(&copy).arg("ingest").arg(&out).expect_code(0);
        assert!(String::from_utf8_lossy(&again.stdout).contains("1 unchanged"));
    }
    // Filters, and no silent overwrite.
    let out = dir.path().join("kr.csv");
    chartlens(&store)
        .args([
            "export",
            "--format",
            "csv",
            "--region",
            "South Korea",
            "--source",
            "spotify",
            "--out",
        ])
        .arg(&out)
        .expect_code(0);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.lines()
            .skip(1)
            .all(|l| l.starts_with("spotify,") && l.contains(",KR,")),
        "{text}"
    );
    assert!(text.lines().count() > 1);
    chartlens(&store)
        .args(["export", "--format", "csv", "--out"])
        .arg(&out)
        .expect_code(1);
}
