//! A store that checks itself: missing and changed parts, truncated manifests
//! and indexes, `check` and `repair`, the latest ingest of a chart winning,
//! waiting for the lock, snapshot tables compacted, and exports whose bytes
//! changed after they were written.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::{ExpectCode, chartlens, scalar, write_viral};

/// A store with three viral charts of two markets, one file each.
fn store_of_three(dir: &Path) -> PathBuf {
    let store = dir.join("store");
    let input = dir.join("in");
    fs::create_dir_all(&input).unwrap();
    write_viral(
        &input.join("viral-gb-daily-2020-01-01.csv"),
        &["a", "b", "c"],
    );
    write_viral(&input.join("viral-gb-daily-2020-01-02.csv"), &["a", "b"]);
    write_viral(
        &input.join("viral-fr-daily-2020-01-01.csv"),
        &["x", "y", "z", "w"],
    );
    for file in fs::read_dir(&input).unwrap() {
        // One ingest per file: one part per file, so a damaged part costs one.
        chartlens(&store)
            .args(["ingest", "--quiet"])
            .arg(file.unwrap().path())
            .expect_code(0);
    }
    store
}

/// The entry parts of the store, as the manifest lists them.
fn entry_parts(store: &Path) -> Vec<String> {
    crate::manifest(store)["tables"]["chart_entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["file"].as_str().unwrap().to_string())
        .collect()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_missing_part_is_an_error_naming_it_and_repair_lists_the_file_to_ingest_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_of_three(dir.path());
    assert_eq!(scalar(&store, "select count(*) from chart_entries"), "9");
    let parts = entry_parts(&store);
    assert_eq!(parts.len(), 3);
    fs::remove_file(store.join(&parts[0])).unwrap();

    // Every reader of the table fails, naming the part, instead of answering
    // from what is left.
    let out = chartlens(&store)
        .args(["sql", "select count(*) from chart_entries"])
        .expect_code(1);
    assert!(stderr(&out).contains(&parts[0]), "{}", stderr(&out));
    assert!(stderr(&out).contains("missing"), "{}", stderr(&out));
    assert!(stderr(&out).contains("repair"), "{}", stderr(&out));
    // Tables that do not read the part still answer.
    assert_eq!(scalar(&store, "select count(*) from ingest_log"), "3");
    let tables = chartlens(&store).arg("tables").expect_code(0);
    assert!(
        stdout(&tables).contains("1 parts missing or damaged"),
        "{}",
        stdout(&tables)
    );

    let check = chartlens(&store).arg("check").expect_code(4);
    assert!(stdout(&check).contains(&parts[0]), "{}", stdout(&check));

    let repair = chartlens(&store).arg("repair").expect_code(0);
    let text = stdout(&repair);
    assert!(text.contains("ingest these files again"), "{text}");
    let listed: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  "))
        .map(str::trim)
        .collect();
    assert_eq!(listed.len(), 1, "{text}");
    chartlens(&store).arg("check").expect_code(0);
    let left: u64 = scalar(&store, "select count(*) from chart_entries")
        .parse()
        .unwrap();
    assert!(left < 9, "the lost file's rows are gone: {left}");

    // Ingesting the listed file again makes the store whole.
    chartlens(&store)
        .args(["ingest", "--quiet", listed[0]])
        .expect_code(0);
    assert_eq!(scalar(&store, "select count(*) from chart_entries"), "9");
    chartlens(&store).args(["check", "--deep"]).expect_code(0);
}

#[test]
fn a_changed_byte_in_a_part_is_caught_before_any_sum() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_of_three(dir.path());
    let sum = scalar(&store, "select sum(rank) from chart_entries");
    let part = store.join(&entry_parts(&store)[1]);
    let mut bytes = fs::read(&part).unwrap();
    // A byte inside the data pages, not the footer: the file still decodes.
    bytes[20] ^= 0x01;
    fs::write(&part, &bytes).unwrap();

    let out = chartlens(&store)
        .args(["sql", "select sum(rank) from chart_entries"])
        .expect_code(1);
    let err = stderr(&out);
    assert!(err.contains(&entry_parts(&store)[1]), "{err}");
    assert!(err.contains("does not match the hash"), "{err}");
    assert!(!stdout(&out).contains(&sum));

    // The size is right, so the quick check passes; the deep one hashes.
    chartlens(&store).arg("check").expect_code(0);
    let deep = chartlens(&store).args(["check", "--deep"]).expect_code(4);
    assert!(stdout(&deep).contains("damaged"), "{}", stdout(&deep));
    chartlens(&store).arg("repair").expect_code(0);
    chartlens(&store).args(["check", "--deep"]).expect_code(0);
}

#[test]
fn a_truncated_manifest_is_an_error_and_repair_rolls_back_to_the_last_whole_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_of_three(dir.path());
    let manifest = store.join("manifest.json");
    let text = fs::read(&manifest).unwrap();
    fs::write(&manifest, &text[..text.len() / 2]).unwrap();

    // No command answers "0 rows" from an unreadable store.
    for args in [
        vec!["tables"],
        vec!["sql", "select count(*) from chart_entries"],
    ] {
        let out = chartlens(&store).args(&args).expect_code(1);
        assert!(
            stderr(&out).contains("repair"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    chartlens(&store).arg("check").expect_code(4);
    let out = chartlens(&store).arg("repair").expect_code(0);
    assert!(stdout(&out).contains("rolled back"), "{}", stdout(&out));
    chartlens(&store).args(["check", "--deep"]).expect_code(0);
    assert_eq!(scalar(&store, "select count(*) from chart_entries"), "9");
}

#[test]
fn a_truncated_source_index_says_how_to_recover_and_repair_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_of_three(dir.path());
    let index = crate::manifest(&store)["sources_file"]
        .as_str()
        .unwrap()
        .to_string();
    let path = store.join(&index);
    let text = fs::read(&path).unwrap();
    fs::write(&path, &text[..text.len() - 10]).unwrap();

    let extra = dir.path().join("viral-de-daily-2020-01-01.csv");
    write_viral(&extra, &["q"]);
    let out = chartlens(&store)
        .args(["ingest", "--quiet"])
        .arg(&extra)
        .expect_code(1);
    assert!(stderr(&out).contains("source index"), "{}", stderr(&out));
    assert!(stderr(&out).contains("repair"), "{}", stderr(&out));
    // Queries do not need the index.
    assert_eq!(scalar(&store, "select count(*) from chart_entries"), "9");

    chartlens(&store).arg("repair").expect_code(0);
    chartlens(&store).arg("check").expect_code(0);
    chartlens(&store)
        .args(["ingest", "--quiet"])
        .arg(&extra)
        .expect_code(0);
    // Whatever the rollback lost is taken in again, never counted twice.
    chartlens(&store)
        .args(["ingest", "--quiet"])
        .arg(dir.path().join("in"))
        .expect_code(0);
    assert_eq!(scalar(&store, "select count(*) from chart_entries"), "10");
    chartlens(&store).args(["check", "--deep"]).expect_code(0);
}

#[test]
fn ingesting_an_older_file_again_restores_its_chart() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let a = dir.path().join("a/viral-gb-daily-2020-01-01.csv");
    let b = dir.path().join("b/viral-gb-daily-2020-01-01.csv");
    fs::create_dir_all(a.parent().unwrap()).unwrap();
    fs::create_dir_all(b.parent().unwrap()).unwrap();
    write_viral(&a, &["first", "second"]);
    write_viral(&b, &["one", "two", "three"]);
    let titles = |store: &Path| {
        crate::sql(
            store,
            "select string_agg(track_name, ' ' order by rank) from chart_entries",
        )
        .lines()
        .nth(1)
        .unwrap()
        .to_string()
    };
    chartlens(&store).arg("ingest").arg(&a).expect_code(0);
    chartlens(&store).arg("ingest").arg(&b).expect_code(0);
    assert_eq!(titles(&store), "one two three");
    let out = chartlens(&store).arg("ingest").arg(&a).expect_code(0);
    assert!(stdout(&out).contains("1 replacing"), "{}", stdout(&out));
    assert_eq!(titles(&store), "first second");
    // And back: the latest ingest wins each time; a file whose rows are all
    // in the store is still unchanged.
    chartlens(&store).arg("ingest").arg(&b).expect_code(0);
    assert_eq!(titles(&store), "one two three");
    let again = chartlens(&store).arg("ingest").arg(&b).expect_code(0);
    assert!(stdout(&again).contains("unchanged"), "{}", stdout(&again));
    assert_eq!(scalar(&store, "select count(*) from chart_entries"), "3");
    chartlens(&store).args(["check", "--deep"]).expect_code(0);
}

#[test]
fn ingest_waits_for_the_lock_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_of_three(dir.path());
    let extra = dir.path().join("viral-de-daily-2020-01-01.csv");
    write_viral(&extra, &["q"]);
    let lock = fs::OpenOptions::new()
        .write(true)
        .open(store.join(".lock"))
        .unwrap();
    lock.lock().unwrap();

    let started = Instant::now();
    let out = chartlens(&store).arg("ingest").arg(&extra).expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(stderr(&out).contains("--wait"), "{}", stderr(&out));
    let out = chartlens(&store)
        .args(["ingest", "--wait=1"])
        .arg(&extra)
        .expect_code(1);
    assert!(stderr(&out).contains("waited 1 s"), "{}", stderr(&out));

    let waiting = chartlens(&store)
        .args(["ingest", "--wait"])
        .arg(&extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    lock.unlock().unwrap();
    let out = waiting.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("waiting for it"), "{}", stderr(&out));
    assert_eq!(scalar(&store, "select count(*) from chart_entries"), "10");
}

#[test]
fn snapshot_tables_compact_and_a_replaced_file_leaves_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let input = dir.path().join("videos");
    fs::create_dir_all(&input).unwrap();
    let snapshot = |views: u64| {
        format!(
            r#"{{"kind": "youtube#videoListResponse", "items": [{{"kind": "youtube#video",
            "id": "vidAAAAAAA1", "snippet": {{"title": "Sky", "channelTitle": "BTS"}},
            "statistics": {{"viewCount": "{views}"}}}}]}}"#
        )
    };
    for week in 10..22 {
        fs::write(
            input.join(format!("videos-2026-W{week}.json")),
            snapshot(week * 100),
        )
        .unwrap();
    }
    chartlens(&store).arg("ingest").arg(&input).expect_code(0);
    let total = "select count(*), sum(views) from video_snapshots";
    let before = crate::sql(&store, total);
    chartlens(&store).arg("compact").expect_code(0);
    assert_eq!(crate::part_files(&store, "video_snapshots"), 1 + 12);
    let listed = crate::manifest(&store)["tables"]["video_snapshots"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(listed, 1);
    assert_eq!(crate::sql(&store, total), before);

    // One week observed again: its row changes, the others stay.
    fs::write(input.join("videos-2026-W15.json"), snapshot(9)).unwrap();
    chartlens(&store)
        .arg("ingest")
        .arg(input.join("videos-2026-W15.json"))
        .expect_code(0);
    assert_eq!(
        crate::sql(&store, total),
        format!(
            "count(*),sum(video_snapshots.views)\n12,{}\n",
            (10..22).map(|w| w * 100).sum::<u64>() - 1500 + 9
        )
    );
    chartlens(&store).args(["check", "--deep"]).expect_code(0);
}

#[test]
fn an_export_changed_after_it_was_written_is_rejected() {
    use arrow::array::{Array, RecordBatch, StringArray};
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::file::properties::WriterProperties;

    let dir = tempfile::tempdir().unwrap();
    let store = store_of_three(dir.path());
    let export = dir.path().join("export.parquet");
    chartlens(&store)
        .args(["export", "--format", "parquet", "--out"])
        .arg(&export)
        .expect_code(0);
    // The export goes back in as it is.
    let copy = dir.path().join("copy");
    chartlens(&copy).arg("ingest").arg(&export).expect_code(0);
    assert_eq!(scalar(&copy, "select count(*) from chart_entries"), "9");

    // The same file with one track id changed and its recorded hash kept,
    // as a flipped bit that still decodes would leave it.
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(fs::File::open(&export).unwrap()).unwrap();
    let kv = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .cloned()
        .unwrap();
    assert!(kv.iter().any(|kv| kv.key == "chartlens.content_blake3"));
    let batches: Vec<RecordBatch> = builder.build().unwrap().map(Result::unwrap).collect();
    let schema = batches[0].schema();
    let at = schema.index_of("track_id").unwrap();
    let changed: Vec<RecordBatch> = batches
        .iter()
        .map(|b| {
            let ids = b.column(at).as_any().downcast_ref::<StringArray>().unwrap();
            let flipped: StringArray = (0..ids.len())
                .map(|i| {
                    (!ids.is_null(i)).then(|| {
                        let id = ids.value(i);
                        if i == 0 {
                            id.replacen('2', "3", 1)
                        } else {
                            id.to_string()
                        }
                    })
                })
                .collect();
            let mut columns = b.columns().to_vec();
            columns[at] = std::sync::Arc::new(flipped);
            RecordBatch::try_new(schema.clone(), columns).unwrap()
        })
        .collect();
    let tampered = dir.path().join("tampered.parquet");
    let kv = kv
        .into_iter()
        .filter(|kv| kv.key != "ARROW:schema")
        .collect();
    let props = WriterProperties::builder()
        .set_key_value_metadata(Some(kv))
        .build();
    let mut writer =
        ArrowWriter::try_new(fs::File::create(&tampered).unwrap(), schema, Some(props)).unwrap();
    for batch in &changed {
        writer.write(batch).unwrap();
    }
    writer.close().unwrap();
    let other = dir.path().join("other");
    let out = chartlens(&other)
        .arg("ingest")
        .arg(&tampered)
        .expect_code(3);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("content hash"), "{text}");
}

/// A tmpfs of `size` at `dir`, unmounted when dropped; None where this
/// process may not mount (not root), so the test says so and passes.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        fs::create_dir_all(dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).output();
    }
}

#[test]
fn a_full_disk_fails_cleanly_and_the_next_writer_frees_the_space_first() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(&dir.path().join("disk"), "2m") else {
        eprintln!("skipped: mounting a tmpfs needs root (CI runs as root)");
        return;
    };
    let store = disk.0.join("store");
    let small = dir.path().join("viral-gb-daily-2020-01-01.csv");
    write_viral(&small, &["a", "b"]);
    chartlens(&store).arg("ingest").arg(&small).expect_code(0);

    // Rows that compress badly, far more than the disk holds.
    let big = dir.path().join("big");
    fs::create_dir_all(&big).unwrap();
    let mut seed = 7u64;
    for day in 1..=30 {
        let mut body = String::from("Position,\"Track Name\",Artist,URL\n");
        for rank in 1..=8000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            writeln!(
                body,
                "{rank},T{seed:x},A{:x},https://open.spotify.com/track/21jGcNKet2qwijlDFuPiPb",
                seed >> 7
            )
            .unwrap();
        }
        fs::write(
            big.join(format!("viral-fr-daily-2021-01-{day:02}.csv")),
            body,
        )
        .unwrap();
    }
    let out = chartlens(&store)
        .args(["ingest", "--quiet"])
        .arg(&big)
        .expect_code(1);
    assert!(stderr(&out).contains("No space left"), "{}", stderr(&out));
    // The store still answers, with whole files only: the failure came
    // before the commit, or after it (in the summaries or the log).
    let held = scalar(&store, "select count(*) from chart_entries");
    assert!(held == "2" || held == "240002", "{held}");
    chartlens(&store).args(["check", "--deep"]).expect_code(0);

    // An interrupted writer's leftover fills what is left of the disk: the
    // next writer deletes it before it needs any space.
    let leftover = store.join("data/chart_entries/part-99999999-1.parquet");
    let mut file = fs::File::create(&leftover).unwrap();
    let chunk = vec![0u8; 64 << 10];
    while std::io::Write::write_all(&mut file, &chunk).is_ok() {}
    drop(file);
    let other = dir.path().join("viral-de-daily-2020-01-01.csv");
    write_viral(&other, &["c"]);
    chartlens(&store).arg("ingest").arg(&other).expect_code(0);
    assert!(!leftover.exists());
    let after: u64 = scalar(&store, "select count(*) from chart_entries")
        .parse()
        .unwrap();
    assert_eq!(after, held.parse::<u64>().unwrap() + 1);
    chartlens(&store).args(["check", "--deep"]).expect_code(0);
}
