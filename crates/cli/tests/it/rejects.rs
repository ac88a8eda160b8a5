//! Bad input: every broken file is rejected with its path, line and reason,
//! logged, and none of its rows are stored; good files beside it still land.

use crate::{ExpectCode, chartlens, data, scalar, sql};

/// (file name, line or empty, words the reason must contain)
const EXPECTED: &[(&str, &str, &str)] = &[
    ("Monaco-2017-01-05--2017-01-05", "1", "HTML web page"),
    (
        "at_regional_top200_2020-01-02_2020-01-09-bad-streams.csv",
        "3",
        "stream count `12k`",
    ),
    (
        "de_regional_top200_2020-01-02_2020-01-09.csv",
        "",
        "the file is empty",
    ),
    (
        "viral-be-daily-2020-01-02-bad-rank.csv",
        "3",
        "rank `second`",
    ),
    (
        "viral-ch-daily-2020-01-02-duplicate-rank.csv",
        "3",
        "rank 1 appears a second time in chart spotify/viral50/CH/2020-01-02",
    ),
    ("viral-dk-undated.csv", "", "pass --period"),
    (
        "viral-es-daily-2020-01-02-truncated.csv",
        "3",
        "is not a Spotify track URL",
    ),
    (
        "viral-fr-daily-2020-01-02-header-only.csv",
        "",
        "no chart rows below the header",
    ),
    (
        "viral-it-daily-2020-01-02-latin1.csv",
        "3",
        "not valid UTF-8",
    ),
    (
        "viral-nl-daily-2020-01-02-unknown-header.csv",
        "1",
        "unknown header `rank,song,performer,link`",
    ),
    (
        "viral-pt-daily-2020-01-02-headerless.csv",
        "1",
        "unknown header",
    ),
    ("viral-se-daily-2020-01-02-bad-url.csv", "2", "album/"),
    ("weekly-chart-2020-01-02.csv", "", "pass --region"),
];

#[test]
fn each_broken_file_is_rejected_with_line_and_reason() {
    let store = tempfile::tempdir().unwrap();
    let out = chartlens(store.path())
        .arg("ingest")
        .arg(data("bad"))
        .arg(data("good/charts"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "exit code 3 means some files were rejected"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("{} rejected", EXPECTED.len())),
        "{stdout}"
    );
    assert!(stdout.contains("rejected files by reason:"), "{stdout}");

    let logged = sql(
        store.path(),
        "select path, line, reason from ingest_log where status = 'rejected' order by path",
    );
    let rows: Vec<&str> = logged.lines().skip(1).collect();
    assert_eq!(rows.len(), EXPECTED.len(), "{logged}");
    for ((name, line, words), row) in EXPECTED.iter().zip(&rows) {
        assert!(row.contains(name), "expected {name} in {row}");
        let after_path = row.split_once(name).unwrap().1;
        assert!(
            after_path.starts_with(&format!(",{line},")),
            "{name}: expected line {line:?} in {row}"
        );
        assert!(row.contains(words), "{name}: expected {words:?} in {row}");
        // The user sees the same on stderr, with the path.
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(name) && l.contains("rejected")),
            "{name} not on stderr"
        );
    }
    // Nothing from a rejected file is stored, and the good files are.
    assert_eq!(
        scalar(
            store.path(),
            "select count(*) from chart_entries where source_file like '%/bad/%'"
        ),
        "0"
    );
    assert_eq!(
        scalar(store.path(), "select count(*) from chart_entries"),
        "5"
    );
}

#[test]
fn a_rejected_file_is_tried_again_once_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("viral-gb-daily-2021-06-01.csv");
    std::fs::write(&file, "Position,\"Track Name\",Artist,URL\nx,A,B,https://open.spotify.com/track/21jGcNKet2qwijlDFuPiPb\n").unwrap();
    let store = tempfile::tempdir().unwrap();
    chartlens(store.path())
        .arg("ingest")
        .arg(&file)
        .expect_code(3);
    std::fs::write(&file, "Position,\"Track Name\",Artist,URL\n1,A,B,https://open.spotify.com/track/21jGcNKet2qwijlDFuPiPb\n").unwrap();
    chartlens(store.path())
        .arg("ingest")
        .arg(&file)
        .expect_code(0);
    assert_eq!(
        scalar(store.path(), "select count(*) from chart_entries"),
        "1"
    );
}

#[test]
fn garbage_never_panics() {
    // Bytes that are none of the layouts, including control characters and
    // quotes that never close.
    let dir = tempfile::tempdir().unwrap();
    let inputs: &[&[u8]] = &[
        b"\"",
        b"Position,\"Track Name\",Artist,URL\n\"1,\"unclosed",
        b"Position,\"Track Name\",Artist,URL\n99999999999999999999,a,b,c\n",
        b"Position,\"Track Name\",Artist,URL\n-1,a,b,https://open.spotify.com/track/21jGcNKet2qwijlDFuPiPb\n",
        b"\x00\x01\x02PAR1",
        b"{\"not\": \"a chart\"}",
        b"\n\n\n",
        b"\xEF\xBB\xBF",
        b"title,rank,date,artist,url,region,chart,trend,streams\nx,1,2017-13-45,a,https://open.spotify.com/track/21jGcNKet2qwijlDFuPiPb,Atlantis,top200,,1\n",
    ];
    for (i, bytes) in inputs.iter().enumerate() {
        std::fs::write(
            dir.path()
                .join(format!("viral-gb-daily-2021-06-{:02}.csv", i + 1)),
            bytes,
        )
        .unwrap();
    }
    let store = tempfile::tempdir().unwrap();
    let out = chartlens(store.path())
        .arg("ingest")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        scalar(
            store.path(),
            "select count(*) from ingest_log where status = 'rejected'"
        ),
        inputs.len().to_string()
    );
}

/// Regression: rows of CRLF files were reported one line early (the csv crate
/// places a record after `\r\n` at the `\n`).
#[test]
fn line_numbers_are_right_in_crlf_files() {
    let dir = tempfile::tempdir().unwrap();
    let url = "https://open.spotify.com/track/21jGcNKet2qwijlDFuPiPb";
    let file = dir.path().join("viral-gb-daily-2020-01-01.csv");
    let body = format!("Position,\"Track Name\",Artist,URL\r\n1,A,B,{url}\r\n1,A,B,{url}\r\n");
    std::fs::write(&file, body).unwrap();
    let store = tempfile::tempdir().unwrap();
    chartlens(store.path())
        .arg("ingest")
        .arg(&file)
        .expect_code(3);
    assert_eq!(scalar(store.path(), "select line from ingest_log"), "3");

    std::fs::write(
        &file,
        format!("Position,\"Track Name\",Artist,URL\r\n1,A,B,{url}\r\n2,A,B,{url}\r\n"),
    )
    .unwrap();
    chartlens(store.path())
        .arg("ingest")
        .arg(&file)
        .expect_code(0);
    assert_eq!(
        crate::sql(
            store.path(),
            "select source_line from chart_entries order by 1"
        ),
        "source_line\n2\n3\n"
    );
}
