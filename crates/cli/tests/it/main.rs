//! End-to-end tests of the `chartlens` binary on fixtures under `tests/data/`.

mod artists;
mod cluster;
mod command_line;
mod demo;
mod identity;
mod ingest;
mod integrity;
mod interchange;
mod json;
mod kill;
mod metrics;
mod network;
mod regression;
mod rejects;
mod serve;
mod sql;
mod study;
mod videos;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary with `--store` pointing at `store`.
pub fn chartlens(store: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chartlens"));
    cmd.arg("--store").arg(store).env_remove("CHARTLENS_STORE");
    cmd
}

/// Runs a command and checks its exit code, showing its output if it differs.
pub trait ExpectCode {
    /// Runs the command and asserts that it exits with `code`; returns its output.
    fn expect_code(&mut self, code: i32) -> Output;
}

impl ExpectCode for Command {
    fn expect_code(&mut self, code: i32) -> Output {
        let out = self.output().expect("the binary runs");
        assert_eq!(
            out.status.code(),
            Some(code),
            "stdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

/// The path of a fixture, relative to `tests/data/`.
pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// Runs a query and returns its CSV output, header included.
pub fn sql(store: &Path, query: &str) -> String {
    let out = chartlens(store)
        .args(["sql", "--format", "csv", query])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "query failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// The single value of a one-row, one-column query.
pub fn scalar(store: &Path, query: &str) -> String {
    let out = sql(store, query);
    let mut lines = out.lines().skip(1);
    let value = lines.next().unwrap_or_default().to_string();
    assert_eq!(lines.next(), None, "more than one row from {query}");
    value
}

/// Writes a chart in the old viral download layout, one ranked row per title,
/// all by artist `A` on the same track.
pub fn write_viral(path: &Path, titles: &[&str]) {
    let mut body = String::from("Position,\"Track Name\",Artist,URL\n");
    for (i, title) in titles.iter().enumerate() {
        body.push_str(&format!(
            "{},{title},A,https://open.spotify.com/track/21jGcNKet2qwijlDFuPiPb\n",
            i + 1
        ));
    }
    std::fs::write(path, body).expect("fixture written");
}

/// The store's committed manifest.
pub fn manifest(store: &Path) -> serde_json::Value {
    let bytes = std::fs::read(store.join("manifest.json")).expect("a manifest");
    serde_json::from_slice(&bytes).expect("manifest is JSON")
}

/// Parquet files currently in a table's data directory.
pub fn part_files(store: &Path, table: &str) -> usize {
    std::fs::read_dir(store.join("data").join(table))
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "parquet"))
            })
            .count()
        })
        .unwrap_or(0)
}
