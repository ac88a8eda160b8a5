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

/// Every file under `dir` with its bytes, to tell that nothing was written.
fn files(dir: &std::path::Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// Issue 14: `chartlens sql` ran any statement, so `COPY ... TO
/// '<store>/manifest.json'` destroyed the store, `COPY` wrote anywhere and
/// `CREATE EXTERNAL TABLE` read any file. Each statement that writes, reads
/// files, changes tables or sets options is refused with its kind and what
/// to use instead, and nothing is written.
#[test]
fn issue14_sql_is_read_only_and_writes_nothing() {
    let store = store_with_fixtures();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("out.csv");
    let spill = elsewhere.path().join("spill");
    std::fs::create_dir(&spill).unwrap();
    let manifest = store.path().join("manifest.json");
    let before = files(store.path());
    let (t, m, s) = (target.display(), manifest.display(), spill.display());
    let cases = [
        (
            format!("COPY (select 1) TO '{m}' STORED AS CSV"),
            "COPY is refused",
        ),
        (
            format!("COPY chart_entries TO '{t}' STORED AS CSV"),
            "COPY is refused",
        ),
        (
            format!("copy (select * from chart_entries) to '{t}.parquet'"),
            "COPY is refused",
        ),
        (
            format!("EXPLAIN COPY chart_entries TO '{t}' STORED AS CSV"),
            "COPY is refused",
        ),
        (
            format!("EXPLAIN ANALYZE COPY (select 1) TO '{t}' STORED AS CSV"),
            "COPY is refused",
        ),
        (
            "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/etc/passwd'".into(),
            "CREATE EXTERNAL TABLE is refused",
        ),
        (
            "EXPLAIN ANALYZE CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/etc/passwd'".into(),
            "CREATE EXTERNAL TABLE is refused",
        ),
        (
            "CREATE TABLE t AS SELECT * FROM chart_entries".into(),
            "CREATE TABLE is refused",
        ),
        ("create view v as select 1".into(), "CREATE VIEW is refused"),
        ("CREATE SCHEMA s".into(), "CREATE SCHEMA is refused"),
        ("DROP TABLE chart_entries".into(), "DROP TABLE is refused"),
        ("DROP VIEW IF EXISTS artists".into(), "DROP VIEW is refused"),
        (
            "SELECT * INTO copied FROM chart_entries".into(),
            "SELECT ... INTO is refused",
        ),
        (
            "INSERT INTO chart_entries SELECT * FROM chart_entries".into(),
            "INSERT is refused",
        ),
        ("DELETE FROM chart_entries".into(), "DELETE is refused"),
        (
            "UPDATE chart_entries SET rank = 0".into(),
            "UPDATE is refused",
        ),
        (
            format!("SET datafusion.runtime.temp_directory = '{s}'"),
            "SET is refused",
        ),
        (
            "SET datafusion.runtime.memory_limit = '1T'".into(),
            "SET is refused",
        ),
        (
            "SET datafusion.catalog.location = '/etc'".into(),
            "SET is refused",
        ),
        (
            "RESET datafusion.execution.batch_size".into(),
            "RESET is refused",
        ),
        (
            format!("select 1; COPY (select 1) TO '{t}' STORED AS CSV"),
            "2 statements are refused",
        ),
        (
            "SELECT * FROM '/etc/passwd'".into(),
            "reading the file \"/etc/passwd\" is refused",
        ),
        (format!("SELECT * FROM '{m}'"), "is refused"),
        ("SELECT * FROM read_csv('/etc/passwd')".into(), "read_csv"),
        (
            "SELECT * FROM read_parquet('/etc/passwd')".into(),
            "read_parquet",
        ),
        ("BEGIN".into(), "BEGIN is refused"),
    ];
    for (query, says) in &cases {
        let out = chartlens(store.path()).args(["sql", query]).expect_code(1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{query}: {stderr}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !stdout.contains("root:"),
            "{query} read /etc/passwd: {stdout}"
        );
        if says.contains("refused") && !says.contains("file") && !says.contains("statements") {
            assert!(
                stderr.contains("chartlens SQL is read-only")
                    || stderr.contains("chartlens SQL reads only the store's tables"),
                "{query}: {stderr}"
            );
        }
    }
    let copy = chartlens(store.path())
        .args(["sql", &format!("COPY chart_entries TO '{t}' STORED AS CSV")])
        .expect_code(1);
    assert!(
        String::from_utf8_lossy(&copy.stderr).contains("chartlens export"),
        "COPY suggests `chartlens export`"
    );
    assert_eq!(files(store.path()), before, "the store changed");
    assert!(!target.exists(), "{t} was written");
    assert!(
        std::fs::read_dir(elsewhere.path()).unwrap().count() == 1
            && std::fs::read_dir(&spill).unwrap().count() == 0,
        "files appeared in {}",
        elsewhere.path().display()
    );
    // What stays allowed: queries, EXPLAIN of them, SHOW and DESCRIBE, and
    // the table functions that make rows rather than read files.
    assert_eq!(
        crate::scalar(store.path(), "select count(*) from chart_entries"),
        "17"
    );
    assert_eq!(
        crate::scalar(store.path(), "select sum(value) from generate_series(1, 4)"),
        "10"
    );
    for query in [
        "EXPLAIN select count(*) from chart_entries",
        "EXPLAIN ANALYZE select count(*) from chart_entries",
        "SHOW TABLES",
        "SHOW COLUMNS FROM chart_entries",
        "DESCRIBE chart_entries",
        "with t as (select region from chart_entries) select count(*) from t",
    ] {
        chartlens(store.path()).args(["sql", query]).expect_code(0);
    }
}

/// A query beyond the pool under an address-space limit, as on a small
/// machine: it stops with the memory limit named, never an abort; and a
/// query on which the engine itself panics (DataFusion 55 does, on this
/// cross join whose hash join fails) ends with exit 1 and a message.
#[test]
fn memory_hungry_joins_under_ulimit_end_with_an_error_not_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    chartlens(&store)
        .args(["ingest", "--quiet"])
        .arg(data("metrics/charts.csv"))
        .expect_code(0);
    let run = |query: &str| {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(
                "ulimit -v 4000000 && exec \"$0\" --store \"$1\" --memory-limit 64M --timeout 60 \
                 sql \"$2\"",
            )
            .arg(env!("CARGO_BIN_EXE_chartlens"))
            .arg(&store)
            .arg(query)
            .output()
            .unwrap()
    };
    // A hash join keeps its build side in memory and cannot spill.
    let out =
        run("SELECT count(*) FROM range(4000000) a JOIN range(4000000) b ON a.value = b.value");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("64 MiB memory limit (--memory-limit)"),
        "{stderr}"
    );
    let out = run(
        "SELECT count(*) FROM chart_entries e CROSS JOIN range(4000000) a \
         JOIN range(4000000) b ON a.value = b.value + e.rank",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--memory-limit"), "{stderr}");
}
