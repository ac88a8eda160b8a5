//! Ingest of every supported layout, idempotent re-runs, and replacement.

use std::fs;

use crate::{ExpectCode, chartlens, data, manifest, part_files, scalar, sql, write_viral};

#[test]
fn every_layout_lands_with_market_period_and_counts() {
    let store = tempfile::tempdir().unwrap();
    let out = chartlens(store.path())
        .arg("ingest")
        .arg(data("good"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("ingested 6 files (17 rows in 9 charts)"),
        "{stdout}"
    );

    let rows = sql(
        store.path(),
        "select chart, frequency, region, period_start, period_end, rank, track_id, artist_names, streams \
         from chart_entries order by region, chart, period_start, rank",
    );
    let expected = "\
chart,frequency,region,period_start,period_end,rank,track_id,artist_names,streams
top200,,AR,2017-01-01,2017-01-01,1,7qiZfU4dY1lWllzX7mPBI3,Ed Sheeran,253019
top200,,AR,2017-01-01,2017-01-01,2,6mICuAdrwEjh6Y6lroV2Kg,\"Shakira, Maluma\",223988
top200,,AR,2017-01-02,2017-01-02,1,7qiZfU4dY1lWllzX7mPBI3,Ed Sheeran,240000
top200,,GLOBAL,2017-01-01,2017-01-01,1,7qiZfU4dY1lWllzX7mPBI3,Ed Sheeran,3000000
top200,weekly,GLOBAL,2022-12-30,2023-01-05,1,1Qrg8KqiBpW07V7PNxwwwL,SZA,45678901
top200,weekly,GLOBAL,2022-12-30,2023-01-05,2,0yLdNVWF3Srea0uzk55zFn,Miley Cyrus,43210987
top200,weekly,GLOBAL,2022-12-30,2023-01-05,3,0b9oOr2ZgvyQu88wzixux9,NewJeans,21098765
viral50,,JP,2017-01-01,2017-01-01,1,04TshWXkhV1qkqHzf31Hn6,Kenshi Yonezu,
viral50,weekly,JP,2019-05-02,2019-05-02,1,04TshWXkhV1qkqHzf31Hn6,米津玄師,
viral50,weekly,JP,2019-05-02,2019-05-02,2,3ROfBX6lJLnCmaw1NrZkDh,Official HIGE DANdism,
viral50,weekly,JP,2019-05-02,2019-05-02,3,5tiHnk7zU6ztK2ri8mf6mH,TWICE,
viral50,daily,KR,2023-01-05,2023-01-05,1,0b9oOr2ZgvyQu88wzixux9,NewJeans,
viral50,daily,KR,2023-01-05,2023-01-05,2,3r8RuvgbX9s7ammBn07D3W,\"NewJeans, Guest\",
top200,,SE,2020-02-06,2020-02-13,1,21jGcNKet2qwijlDFuPiPb,Artist A,1234
top200,,US,2020-01-02,2020-01-09,1,21jGcNKet2qwijlDFuPiPb,Post Malone,9876543
top200,,US,2020-01-02,2020-01-09,2,4saklk6nie3yiGePpBwUoc,BTS,8765432
top200,,US,2020-01-02,2020-01-09,3,04TshWXkhV1qkqHzf31Hn6,Kenshi Yonezu,1234567
";
    assert_eq!(rows, expected);

    // A semicolon-separated spreadsheet export with CRLF line ends reads the same.
    assert_eq!(
        scalar(
            store.path(),
            "select track_name from chart_entries where region = 'SE'"
        ),
        "Song; with semicolon"
    );

    // Every row points back to its file and line.
    let lines = sql(
        store.path(),
        "select source_line from chart_entries where source_file like '%us_regional%' order by source_line",
    );
    assert_eq!(lines, "source_line\n3\n4\n5\n");
    let layouts = sql(
        store.path(),
        "select layout, count(*) as n from ingest_log group by layout order by layout",
    );
    assert_eq!(
        layouts,
        "layout,n\nspotify-charts,2\nspotify-combined,1\nspotify-legacy-regional,2\nspotify-legacy-viral,1\n"
    );
}

#[test]
fn running_again_adds_nothing_and_says_so() {
    let store = tempfile::tempdir().unwrap();
    chartlens(store.path())
        .arg("ingest")
        .arg(data("good"))
        .expect_code(0);
    let out = chartlens(store.path())
        .arg("ingest")
        .arg(data("good"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("ingested 0 files (0 rows in 0 charts)"),
        "{stdout}"
    );
    assert!(stdout.contains("6 unchanged"), "{stdout}");
    assert_eq!(
        scalar(store.path(), "select count(*) from chart_entries"),
        "17"
    );
    assert_eq!(
        sql(
            store.path(),
            "select status, count(*) as n from ingest_log group by status order by status"
        ),
        "status,n\ningested,6\nunchanged,6\n"
    );
}

#[test]
fn a_copy_of_a_file_under_another_name_is_not_counted_twice() {
    let dir = tempfile::tempdir().unwrap();
    let src = data("good/legacy/us_regional_top200_2020-01-02_2020-01-09.csv");
    fs::copy(
        &src,
        dir.path()
            .join("us_regional_top200_2020-01-02_2020-01-09 (1).csv"),
    )
    .unwrap();
    let store = tempfile::tempdir().unwrap();
    chartlens(store.path())
        .arg("ingest")
        .arg(&src)
        .arg(dir.path())
        .expect_code(0);
    assert_eq!(
        scalar(store.path(), "select count(*) from chart_entries"),
        "3"
    );
    let reason = scalar(
        store.path(),
        "select reason from ingest_log where status = 'unchanged'",
    );
    assert!(reason.contains("same content as"), "{reason}");
}

#[test]
fn a_different_file_for_the_same_chart_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let name = "viral-gb-daily-2021-06-01.csv";
    let header = "Position,\"Track Name\",Artist,URL\n";
    let first = format!(
        "{header}1,Old,A,https://open.spotify.com/track/21jGcNKet2qwijlDFuPiPb\n\
         2,Kept,B,https://open.spotify.com/track/4saklk6nie3yiGePpBwUoc\n"
    );
    fs::write(dir.path().join(name), &first).unwrap();
    // Another chart in the same store must survive the replacement.
    fs::write(dir.path().join("viral-ie-daily-2021-06-01.csv"), &first).unwrap();
    let store = tempfile::tempdir().unwrap();
    chartlens(store.path())
        .arg("ingest")
        .arg(dir.path())
        .expect_code(0);

    let second = format!(
        "{header}1,New,C,https://open.spotify.com/track/04TshWXkhV1qkqHzf31Hn6\n\
         2,Kept,B,https://open.spotify.com/track/4saklk6nie3yiGePpBwUoc\n\
         3,Also new,D,https://open.spotify.com/track/3ROfBX6lJLnCmaw1NrZkDh\n"
    );
    fs::write(dir.path().join(name), second).unwrap();
    let out = chartlens(store.path())
        .arg("ingest")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 replacing older rows (2 rows removed)"),
        "{stdout}"
    );
    assert_eq!(
        sql(
            store.path(),
            "select region, rank, track_name from chart_entries order by region, rank"
        ),
        "region,rank,track_name\nGB,1,New\nGB,2,Kept\nGB,3,Also new\nIE,1,Old\nIE,2,Kept\n"
    );
    // Running once more changes nothing.
    chartlens(store.path())
        .arg("ingest")
        .arg(dir.path())
        .expect_code(0);
    assert_eq!(
        scalar(store.path(), "select count(*) from chart_entries"),
        "5"
    );
}

#[test]
fn replacement_within_one_run_keeps_the_later_file() {
    let dir = tempfile::tempdir().unwrap();
    write_viral(
        &dir.path().join("a-viral-gb-daily-2021-06-01.csv"),
        &["First"],
    );
    write_viral(
        &dir.path().join("b-viral-gb-daily-2021-06-01.csv"),
        &["Second"],
    );
    let store = tempfile::tempdir().unwrap();
    chartlens(store.path())
        .arg("ingest")
        .arg(dir.path())
        .expect_code(0);
    assert_eq!(
        scalar(store.path(), "select track_name from chart_entries"),
        "Second"
    );
    // A second run sees both files as known and keeps the result.
    chartlens(store.path())
        .arg("ingest")
        .arg(dir.path())
        .expect_code(0);
    assert_eq!(
        scalar(store.path(), "select track_name from chart_entries"),
        "Second"
    );
}

#[test]
fn flags_override_path_and_a_byte_order_mark_is_fine() {
    let store = tempfile::tempdir().unwrap();
    chartlens(store.path())
        .args([
            "ingest",
            "--region",
            "Korea",
            "--period",
            "2021-01-01..2021-01-07",
            "--chart",
            "Viral 50",
        ])
        .arg(data("bom"))
        .expect_code(0);
    assert_eq!(
        sql(
            store.path(),
            "select region, period_start, period_end, chart, frequency from chart_entries"
        ),
        "region,period_start,period_end,chart,frequency\nKR,2021-01-01,2021-01-07,viral50,daily\n"
    );
}

#[test]
fn many_small_files_become_one_part_and_small_parts_get_compacted() {
    let dir = tempfile::tempdir().unwrap();
    for day in 1..=28 {
        let file = dir
            .path()
            .join(format!("viral-gb-daily-2021-02-{day:02}.csv"));
        write_viral(&file, &[&format!("Song {day}")]);
    }
    let store = tempfile::tempdir().unwrap();
    chartlens(store.path())
        .arg("ingest")
        .arg(dir.path())
        .expect_code(0);
    assert_eq!(part_files(store.path(), "chart_entries"), 1);

    // Ten more runs of one new file each: small parts pile up, then merge.
    for day in 1..=10 {
        let file = dir
            .path()
            .join(format!("viral-gb-daily-2021-03-{day:02}.csv"));
        write_viral(&file, &[&format!("Song {day}")]);
        chartlens(store.path())
            .arg("ingest")
            .arg(&file)
            .expect_code(0);
    }
    let manifest = manifest(store.path());
    let listed = |table: &str| manifest["tables"][table].as_array().unwrap().len();
    assert!(
        listed("chart_entries") < 8,
        "small parts were not compacted"
    );
    assert!(listed("ingest_log") < 8);
    assert_eq!(
        scalar(store.path(), "select count(*) from chart_entries"),
        "38"
    );
    // Merged-away parts stay on disk for a grace period, for queries that
    // were reading them, and are listed as retired until then.
    let retired = manifest["retired"].as_array().unwrap();
    assert!(!retired.is_empty());
    for part in retired {
        assert!(store.path().join(part["file"].as_str().unwrap()).is_file());
    }
    // Without a grace period, compaction leaves exactly one part on disk.
    chartlens(store.path())
        .env("CHARTLENS_RETIRE_GRACE_SECS", "0")
        .arg("compact")
        .expect_code(0);
    assert_eq!(part_files(store.path(), "chart_entries"), 1);
    assert_eq!(
        scalar(
            store.path(),
            "select count(distinct source_file) from chart_entries"
        ),
        "38"
    );
}

#[test]
fn a_streamed_file_replaces_charts_of_small_files_and_is_replaced_in_turn() {
    let dir = tempfile::tempdir().unwrap();
    let url = "https://open.spotify.com/track/21jGcNKet2qwijlDFuPiPb";
    // Two daily charts for Argentina as separate files...
    for day in ["2017-01-01", "2017-01-02"] {
        let body =
            format!("Position,\"Track Name\",Artist,Streams,URL\n1,Small {day},A,10,{url}\n");
        fs::write(
            dir.path()
                .join(format!("ar_regional_top200_{day}_{day}.csv")),
            body,
        )
        .unwrap();
    }
    let store = tempfile::tempdir().unwrap();
    chartlens(store.path())
        .arg("ingest")
        .arg(dir.path())
        .expect_code(0);

    // ...then a combined file, streamed in many parts, holding the first of
    // those charts and 300 others.
    let mut big = String::from("title,rank,date,artist,url,region,chart,trend,streams\n");
    for day in 0..301 {
        let date =
            chrono::NaiveDate::from_ymd_opt(2017, 1, 1).unwrap() + chrono::Duration::days(day * 2);
        for rank in 1..=3 {
            big.push_str(&format!(
                "Big {rank},{rank},{date},B,{url},Argentina,top200,,{}\n",
                100 + rank
            ));
        }
    }
    let big_path = dir.path().join("big").join("combined.csv");
    fs::create_dir_all(big_path.parent().unwrap()).unwrap();
    fs::write(&big_path, big).unwrap();
    let out = chartlens(store.path())
        .args([
            "ingest",
            "--part-rows",
            "100",
            "--stream-above-bytes",
            "1000",
        ])
        .arg(&big_path)
        .expect_code(0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 replacing older rows (1 rows removed)"),
        "{stdout}"
    );
    assert_eq!(
        sql(
            store.path(),
            "select period_start, track_name from chart_entries where period_start <= '2017-01-03' order by 1, 2"
        ),
        "period_start,track_name\n2017-01-01,Big 1\n2017-01-01,Big 2\n2017-01-01,Big 3\n2017-01-02,Small 2017-01-02\n2017-01-03,Big 1\n2017-01-03,Big 2\n2017-01-03,Big 3\n"
    );
    assert_eq!(
        scalar(store.path(), "select count(*) from chart_entries"),
        "904"
    );

    // A corrected single chart replaces that chart's rows inside the streamed parts.
    let fix = format!("Position,\"Track Name\",Artist,Streams,URL\n1,Fixed,C,5,{url}\n");
    fs::write(
        dir.path()
            .join("ar_regional_top200_2017-01-03_2017-01-03.csv"),
        fix,
    )
    .unwrap();
    chartlens(store.path())
        .arg("ingest")
        .arg(
            dir.path()
                .join("ar_regional_top200_2017-01-03_2017-01-03.csv"),
        )
        .expect_code(0);
    assert_eq!(
        sql(
            store.path(),
            "select track_name from chart_entries where period_start = '2017-01-03'"
        ),
        "track_name\nFixed\n"
    );
    assert_eq!(
        scalar(store.path(), "select count(*) from chart_entries"),
        "902"
    );
}

#[test]
fn chart_flag_overrides_the_chart_column_of_a_combined_file() {
    let store = tempfile::tempdir().unwrap();
    chartlens(store.path())
        .args(["ingest", "--chart", "viral50"])
        .arg(data("good/combined/charts.csv"))
        .expect_code(0);
    assert_eq!(
        sql(
            store.path(),
            "select chart, count(*) as n from chart_entries group by chart"
        ),
        "chart,n\nviral50,5\n"
    );
}
