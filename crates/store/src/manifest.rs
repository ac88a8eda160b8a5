//! The manifest: the one file that says which Parquet parts make up each table
//! and which source files the store holds. A store is exactly what its manifest
//! lists; parts not listed are leftovers of an interrupted write and are ignored.
//! The manifest is replaced atomically (write, fsync, rename), so a reader sees
//! either the old store or the new one, never a mix.
//!
//! The index of source files (which file provides which chart), needed only by
//! the writer and large for big archives, sits in a file of its own that the
//! manifest names: queries never parse it. It is an append-only log
//! (`sources-<version>.jsonl`, one record per line): a commit appends the
//! records it added or changed and the manifest records how many bytes of the
//! log are committed, so a commit costs what it changed, not the whole index.
//! A later line for the same source id replaces an earlier one. Bytes past the
//! committed length (a commit interrupted before its manifest landed) are
//! ignored and cut off by the next commit. When superseded lines outnumber
//! live ones, the next commit writes the log afresh under a new name.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{Seek, Write};
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// Name of the manifest file in the store root.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Source index files are named `sources-<version>.jsonl` (`.json`: a whole
/// JSON array, as stores before the append-only log wrote it; still read).
pub const SOURCES_PREFIX: &str = "sources-";
/// Folder, in the store root, of the last manifests committed
/// (`manifest-<version>.json`), which `chartlens repair` rolls back to.
pub const HISTORY_DIR: &str = "manifests";
/// How many committed manifests [`HISTORY_DIR`] keeps.
pub const HISTORY_KEEP: usize = 5;
/// Bumped when the manifest or the table layout changes incompatibly.
pub const FORMAT: u32 = 1;

/// The committed state of a store: the parts of every table and the source files taken in.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// Store format, [`FORMAT`] for the stores this chartlens writes.
    pub format: u32,
    /// Increases by one with every commit.
    pub version: u64,
    /// Next free number for part files and source records.
    pub next_id: u64,
    /// Parts of each table, by table name.
    pub tables: BTreeMap<String, Vec<Part>>,
    /// Every source file whose content the store has taken in, including files
    /// whose charts were all superseded later (so re-ingesting them adds nothing).
    /// Loaded only by [`Manifest::load_with_sources`].
    #[serde(skip)]
    pub sources: Vec<SourceRecord>,
    /// The file, relative to the store root, that holds `sources`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources_file: Option<String>,
    /// Bytes of the `sources_file` log that are committed; the rest is ignored.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sources_len: u64,
    /// What the writer has to append at the next save.
    #[serde(skip)]
    log_state: LogState,
    /// Parts dropped from the tables but kept on disk for a while, so queries
    /// that started on an older version can finish reading them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<RetiredPart>,
    /// The `chart_entries` parts (by file) that the summary tables
    /// (`track_markets`, `chart_periods`) were built from; see
    /// [`crate::summary`]. Summaries of other parts are stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summaries_from: Option<Vec<String>>,
    /// Files stored whole, one part each: artist lists (`artist_facts`) and
    /// playlist snapshots (`playlist_snapshots`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<ListRecord>,
}

/// Which source records the log on disk already holds, as the writer tracks it.
#[derive(Debug, Clone, Default)]
struct LogState {
    /// Records `[..logged]` of `sources` have a line in the log.
    logged: usize,
    /// Records below `logged` changed since their line was written.
    changed: std::collections::BTreeSet<usize>,
    /// Lines in the committed log, superseded ones included.
    lines: usize,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A file stored whole as one part of a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ListRecord {
    /// The table its rows are in.
    #[serde(default = "artist_facts_table")]
    pub table: String,
    /// The path it was read from; another file at this path replaces its rows.
    pub path: String,
    /// BLAKE3 of its content.
    pub hash: String,
    /// Layout of the file, e.g. `kpop-idols`.
    pub layout: String,
    /// Its part of the table, if it gave any row.
    pub part: Option<String>,
    /// Rows the file gave.
    pub rows: u64,
}

/// A part no longer in any table, and when it left (Unix seconds).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RetiredPart {
    /// Path of the part, relative to the store root.
    pub file: String,
    /// When it left its table, in Unix seconds.
    pub since: i64,
}

/// One Parquet file of a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Part {
    /// Path relative to the store root.
    pub file: String,
    /// Rows in the part.
    pub rows: u64,
    /// Size of the part's file in bytes.
    pub bytes: u64,
    /// BLAKE3 of the part's bytes, recorded when it was written (None in
    /// stores written before chartlens recorded it); see [`crate::integrity`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Ids of the source records with rows in this part (chart tables only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<u64>,
}

/// A source file taken into the store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SourceRecord {
    /// Number of the record, unique in the store; parts list it in `sources`.
    pub id: u64,
    /// BLAKE3 of the file's content (the `source_hash` of its rows).
    pub hash: String,
    /// Content hash plus what the path and flags said; equal identities are
    /// the same source, so re-ingesting it adds nothing.
    pub identity: String,
    /// The file's path as ingested (`source_file` of its rows).
    pub path: String,
    /// Detected layout of the file, e.g. `spotify-legacy-viral`.
    pub layout: String,
    /// The charts this file still provides; a chart moves to the newer file
    /// that replaces it.
    pub charts: Vec<ChartRecord>,
    /// Whether a newer file took some of its charts: ingesting this file
    /// again then restores them (the latest ingest of a chart wins).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub superseded: bool,
}

impl SourceRecord {
    /// Whether the store still holds everything this file gave, so that
    /// ingesting it again changes nothing. Records of older stores carry no
    /// `superseded` flag: one left with no chart at all was superseded.
    pub fn intact(&self) -> bool {
        !self.superseded && !self.charts.is_empty()
    }
}

/// One chart (source, chart, market, period) provided by a source file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChartRecord {
    /// Platform the chart comes from, e.g. `spotify`.
    pub source: String,
    /// Chart name, e.g. `top200`.
    pub chart: String,
    /// Market code, or `GLOBAL`.
    pub region: String,
    /// First day the chart covers.
    pub start: NaiveDate,
    /// Last day the chart covers.
    pub end: NaiveDate,
    /// Rows of this chart the file gave.
    pub rows: u64,
}

impl Part {
    /// The table the part belongs to, from its path (`data/<table>/...`).
    pub fn table(&self) -> &str {
        self.file.split('/').nth(1).unwrap_or(&self.file)
    }
}

impl ChartRecord {
    /// Identity of the chart, without its row count.
    pub fn key(&self) -> (String, String, String, NaiveDate, NaiveDate) {
        (
            self.source.clone(),
            self.chart.clone(),
            self.region.clone(),
            self.start,
            self.end,
        )
    }
}

fn artist_facts_table() -> String {
    chartlens_model::table::ARTIST_FACTS.to_string()
}

impl Manifest {
    /// The manifest of an empty store, in the current [`FORMAT`].
    pub fn empty() -> Manifest {
        Manifest {
            format: FORMAT,
            ..Manifest::default()
        }
    }

    /// Reads the manifest and the source index, as the writer needs them.
    pub fn load_with_sources(root: &Path) -> Result<Manifest, StoreError> {
        let mut manifest = Manifest::load(root)?;
        manifest.read_sources(root)?;
        Ok(manifest)
    }

    fn read_sources(&mut self, root: &Path) -> Result<(), StoreError> {
        let manifest = self;
        let Some(rel) = manifest.sources_file.clone() else {
            return Ok(());
        };
        let path = root.join(&rel);
        let bad = |message: String| StoreError::Manifest {
            path: path.clone(),
            message,
        };
        let text = fs::read(&path).map_err(|e| StoreError::io(&path, e))?;
        if !rel.ends_with(".jsonl") {
            manifest.sources = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
            // Rewritten as a log at the next save.
            manifest.log_state.lines = usize::MAX;
            return Ok(());
        }
        let committed = usize::try_from(manifest.sources_len).unwrap_or(usize::MAX);
        let Some(text) = text.get(..committed) else {
            return Err(bad(format!(
                "the source index holds {} bytes, the manifest says {committed} are committed",
                text.len()
            )));
        };
        let mut at: HashMap<u64, usize> = HashMap::new();
        for (n, line) in text.split(|&b| b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let record: SourceRecord =
                serde_json::from_slice(line).map_err(|e| bad(format!("line {}: {e}", n + 1)))?;
            manifest.log_state.lines += 1;
            match at.get(&record.id) {
                Some(&i) => manifest.sources[i] = record,
                None => {
                    at.insert(record.id, manifest.sources.len());
                    manifest.sources.push(record);
                }
            }
        }
        manifest.log_state.logged = manifest.sources.len();
        Ok(())
    }

    /// Notes that `sources[index]` changed, so the next save logs it again.
    pub fn source_changed(&mut self, index: usize) {
        if index < self.log_state.logged {
            self.log_state.changed.insert(index);
        }
    }

    /// Reads the manifest of the store at `root`, without the source index; a
    /// missing file is an empty store.
    pub fn load(root: &Path) -> Result<Manifest, StoreError> {
        let path = root.join(MANIFEST_FILE);
        if !path.exists() {
            return Ok(Manifest::empty());
        }
        read_manifest(&path)
    }

    /// Every file under `data/` this manifest names: the parts of its tables
    /// and the retired parts that queries may still be reading. Anything else
    /// there is a leftover of an interrupted write.
    pub fn listed_files(&self) -> std::collections::HashSet<&str> {
        self.tables
            .values()
            .flatten()
            .map(|p| p.file.as_str())
            .chain(self.retired.iter().map(|r| r.file.as_str()))
            .collect()
    }

    /// Reads the source index of this manifest (see [`Manifest::load_with_sources`]).
    pub fn with_sources(self, root: &Path) -> Result<Manifest, StoreError> {
        let mut manifest = self;
        manifest.sources.clear();
        manifest.log_state = LogState::default();
        manifest.read_sources(root)?;
        Ok(manifest)
    }
}

/// Reads one manifest file, of the current [`FORMAT`].
fn read_manifest(path: &Path) -> Result<Manifest, StoreError> {
    let text = fs::read(path).map_err(|e| StoreError::io(path, e))?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| StoreError::Manifest {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if manifest.format != FORMAT {
        return Err(StoreError::Format {
            path: path.to_path_buf(),
            found: manifest.format,
        });
    }
    Ok(manifest)
}

/// The files of the table directories under `data/`, each with its path
/// relative to `root` (`data/<table>/<file>`, as parts name them). A missing
/// `data/` is an empty list.
pub(crate) fn data_files(root: &Path) -> std::io::Result<Vec<(String, std::path::PathBuf)>> {
    let data = root.join(crate::writer::DATA_DIR);
    let tables = match fs::read_dir(&data) {
        Ok(tables) => tables,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut found = Vec::new();
    for dir in tables {
        let dir = dir?;
        let Ok(files) = fs::read_dir(dir.path()) else {
            continue;
        };
        for file in files.flatten() {
            let rel = format!(
                "{}/{}/{}",
                crate::writer::DATA_DIR,
                dir.file_name().to_string_lossy(),
                file.file_name().to_string_lossy()
            );
            found.push((rel, file.path()));
        }
    }
    Ok(found)
}

fn history_name(version: u64) -> String {
    format!("manifest-{version:08}.json")
}

/// The files of [`HISTORY_DIR`] with their versions, oldest first.
fn history_files(root: &Path) -> Vec<(u64, std::path::PathBuf)> {
    let Ok(entries) = fs::read_dir(root.join(HISTORY_DIR)) else {
        return Vec::new();
    };
    let mut found: Vec<(u64, std::path::PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let version = name.strip_prefix("manifest-")?.strip_suffix(".json")?;
            Some((version.parse().ok()?, e.path()))
        })
        .collect();
    found.sort();
    found
}

/// Keeps the newest [`HISTORY_KEEP`] manifests of the history; returns the
/// source index files they name.
fn prune_history(root: &Path) -> std::collections::HashSet<String> {
    let mut found = history_files(root);
    let doomed = found.len().saturating_sub(HISTORY_KEEP);
    for (_, path) in found.drain(..doomed) {
        let _ = fs::remove_file(path);
    }
    found
        .iter()
        .filter_map(|(_, path)| read_manifest(path).ok()?.sources_file)
        .collect()
}

impl Manifest {
    /// Brings the source index up to date, then writes the manifest naming it,
    /// atomically: a temporary file is written and synced, then renamed over
    /// the old one, and the directory is synced. A replaced index is deleted
    /// last.
    pub fn save(&mut self, root: &Path) -> Result<(), StoreError> {
        let path = root.join(MANIFEST_FILE);
        if !self.sources.is_empty() {
            self.save_sources(root)?;
        }
        let tmp = root.join(format!("{MANIFEST_FILE}.{}.tmp", std::process::id()));
        write_synced(&tmp, &to_json(&*self, &path)?)?;
        // The same bytes, kept for `repair`: a link costs no space and no
        // write. Best effort: a store without history is still a store.
        let history = root.join(HISTORY_DIR);
        if fs::create_dir_all(&history).is_ok() {
            let kept = history.join(history_name(self.version));
            let _ = fs::remove_file(&kept);
            if fs::hard_link(&tmp, &kept).is_err() {
                let _ = fs::copy(&tmp, &kept);
            }
        }
        fs::rename(&tmp, &path).map_err(|e| StoreError::io(&path, e))?;
        sync_dir(root);
        // Indexes nothing names any more go, whether this save replaced the
        // index or pruned the last kept manifest naming an older one; a failed
        // delete leaves only a leftover. An index that a kept manifest names
        // stays, so that `repair` can roll back to it.
        let named = prune_history(root);
        for entry in fs::read_dir(root).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(SOURCES_PREFIX)
                && Some(&name) != self.sources_file.as_ref()
                && !named.contains(&name)
            {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    /// The committed manifests kept in [`HISTORY_DIR`], newest first, with
    /// their paths; unreadable ones come with why.
    pub fn history(root: &Path) -> Vec<(std::path::PathBuf, Result<Manifest, StoreError>)> {
        let mut found = history_files(root);
        found.reverse();
        found
            .into_iter()
            .map(|(_, path)| {
                let manifest = read_manifest(&path);
                (path, manifest)
            })
            .collect()
    }

    /// Appends the new and changed source records to the log, or writes the
    /// log afresh when it has none yet, is of the older whole-array kind, or
    /// holds more superseded lines than live ones.
    fn save_sources(&mut self, root: &Path) -> Result<(), StoreError> {
        let state = &self.log_state;
        let appended = self.sources.len() - state.logged + state.changed.len();
        let fresh = self
            .sources_file
            .as_ref()
            .is_none_or(|f| !f.ends_with(".jsonl"))
            || state.lines.saturating_add(appended) > 2 * self.sources.len() + 64;
        let (rel, records, offset): (String, Vec<usize>, u64) = if fresh {
            let rel = format!("{SOURCES_PREFIX}{:08}.jsonl", self.version);
            (rel, (0..self.sources.len()).collect(), 0)
        } else {
            let rel = self.sources_file.clone().unwrap_or_default();
            let records = state
                .changed
                .iter()
                .copied()
                .chain(state.logged..self.sources.len());
            (rel, records.collect(), self.sources_len)
        };
        let path = root.join(&rel);
        let mut bytes = Vec::new();
        for &i in &records {
            bytes.extend(to_json(&self.sources[i], &path)?);
            bytes.push(b'\n');
        }
        let mut file = fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(fresh)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        // Cuts off what an interrupted commit appended past the committed end.
        file.set_len(offset).map_err(|e| StoreError::io(&path, e))?;
        file.seek(std::io::SeekFrom::Start(offset))
            .map_err(|e| StoreError::io(&path, e))?;
        file.write_all(&bytes)
            .map_err(|e| StoreError::io(&path, e))?;
        file.sync_all().map_err(|e| StoreError::io(&path, e))?;
        self.sources_len = offset + bytes.len() as u64;
        self.log_state = LogState {
            logged: self.sources.len(),
            changed: Default::default(),
            lines: if fresh { 0 } else { self.log_state.lines } + records.len(),
        };
        self.sources_file = Some(rel);
        Ok(())
    }

    /// Creates the manifest of an empty store unless one exists. The file is
    /// linked into place, which fails rather than overwrite a manifest that
    /// another process committed in the meantime.
    pub fn create_empty(root: &Path) -> Result<(), StoreError> {
        let path = root.join(MANIFEST_FILE);
        if path.exists() {
            // Nothing to write: on a full disk, writing even the temporary
            // file would fail before the writer could free any space.
            return Ok(());
        }
        let tmp = root.join(format!("{MANIFEST_FILE}.{}.new.tmp", std::process::id()));
        write_synced(&tmp, &to_json(&Manifest::empty(), &path)?)?;
        let result = match fs::hard_link(&tmp, &path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            // File systems without hard links: check, then rename. The window
            // between the two is the only race left there.
            Err(_) if !path.exists() => {
                fs::rename(&tmp, &path).map_err(|e| StoreError::io(&path, e))
            }
            Err(_) => Ok(()),
        };
        let _ = fs::remove_file(&tmp);
        sync_dir(root);
        result
    }

    /// The parts of `table`; empty when the table has none.
    pub fn parts(&self, table: &str) -> &[Part] {
        self.tables.get(table).map_or(&[], Vec::as_slice)
    }

    /// Rows of `table`, over all its parts.
    pub fn rows(&self, table: &str) -> u64 {
        self.parts(table).iter().map(|p| p.rows).sum()
    }

    /// Takes the next free id (for a part file or a source record).
    pub fn take_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

fn to_json<T: Serialize>(value: &T, path: &Path) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Manifest {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut file = File::create(path).map_err(|e| StoreError::io(path, e))?;
    file.write_all(bytes).map_err(|e| StoreError::io(path, e))?;
    file.sync_all().map_err(|e| StoreError::io(path, e))
}

/// Makes a rename durable. Not every platform can open a directory; where it
/// cannot, the rename is still atomic, only its durability is up to the OS.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `name` in the store root is the history folder or an index a
    /// kept manifest names.
    fn kept_by_history(root: &Path, name: &str) -> bool {
        name == HISTORY_DIR
            || Manifest::history(root)
                .into_iter()
                .any(|(_, m)| m.is_ok_and(|m| m.sources_file.as_deref() == Some(name)))
    }

    fn record(id: u64) -> SourceRecord {
        SourceRecord {
            id,
            hash: "h".into(),
            identity: "i".into(),
            path: "a.csv".into(),
            layout: "l".into(),
            charts: Vec::new(),
            superseded: false,
        }
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest::empty();
        m.version = 3;
        m.tables.insert(
            "t".into(),
            vec![Part {
                file: "data/t/a.parquet".into(),
                rows: 5,
                bytes: 10,
                hash: None,
                sources: vec![1],
            }],
        );
        m.sources.push(record(1));
        m.save(dir.path()).unwrap();
        let back = Manifest::load(dir.path()).unwrap();
        assert_eq!(back.version, 3);
        assert_eq!(back.parts("t"), m.parts("t"));
        assert_eq!(back.rows("t"), 5);
        // Readers do not load the source index; the writer does.
        assert!(back.sources.is_empty());
        assert_eq!(
            Manifest::load_with_sources(dir.path()).unwrap().sources,
            m.sources
        );

        // A commit that changed no source appends nothing; one that did
        // appends only its records, and a later line for an id wins.
        let log = dir.path().join("sources-00000003.jsonl");
        let len = fs::metadata(&log).unwrap().len();
        m.version = 4;
        m.save(dir.path()).unwrap();
        assert_eq!(fs::metadata(&log).unwrap().len(), len);
        let mut m = Manifest::load_with_sources(dir.path()).unwrap();
        m.sources[0].path = "renamed.csv".into();
        m.source_changed(0);
        let mut second = m.sources[0].clone();
        second.id = 2;
        m.sources.push(second);
        m.version = 5;
        m.save(dir.path()).unwrap();
        let text = fs::read_to_string(&log).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        let back = Manifest::load_with_sources(dir.path()).unwrap();
        assert_eq!(back.sources.len(), 2);
        assert_eq!(back.sources[0].path, "renamed.csv");
        assert_eq!(back.sources, m.sources);

        // Bytes an interrupted commit appended past the committed end are
        // ignored, then cut off by the next commit.
        fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .unwrap()
            .write_all(b"{torn")
            .unwrap();
        let mut m = Manifest::load_with_sources(dir.path()).unwrap();
        assert_eq!(m.sources, back.sources);
        m.sources[1].layout = "other".into();
        m.source_changed(1);
        m.version = 6;
        m.save(dir.path()).unwrap();
        let back = Manifest::load_with_sources(dir.path()).unwrap();
        assert_eq!(back.sources[1].layout, "other");
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.retain(|n| n == "sources-00000003.jsonl" || !kept_by_history(dir.path(), n));
        names.sort();
        assert_eq!(names, [MANIFEST_FILE, "sources-00000003.jsonl"]);
    }

    #[test]
    fn an_index_of_mostly_superseded_lines_is_written_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest::empty();
        m.sources.push(record(1));
        for version in 1..=100 {
            m.version = version;
            m.source_changed(0);
            m.save(dir.path()).unwrap();
        }
        let file = m.sources_file.clone().unwrap();
        let lines = fs::read_to_string(dir.path().join(&file))
            .unwrap()
            .lines()
            .count();
        assert!(lines <= 66, "{lines} lines for one source");
        assert_eq!(
            Manifest::load_with_sources(dir.path()).unwrap().sources,
            m.sources
        );
        let indexes = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(SOURCES_PREFIX)
            })
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                let name = name.to_string_lossy();
                name == file.as_str() || !kept_by_history(dir.path(), &name)
            })
            .count();
        assert_eq!(
            indexes, 1,
            "an index no kept manifest names is deleted, however it was replaced"
        );
        assert_eq!(Manifest::history(dir.path()).len(), HISTORY_KEEP);
    }

    #[test]
    fn an_index_written_as_one_json_array_is_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let record = record(1);
        fs::write(
            dir.path().join("sources-00000001.json"),
            serde_json::to_vec(&[&record]).unwrap(),
        )
        .unwrap();
        let mut m = Manifest::empty();
        m.version = 1;
        m.sources_file = Some("sources-00000001.json".into());
        fs::write(
            dir.path().join(MANIFEST_FILE),
            serde_json::to_vec(&m).unwrap(),
        )
        .unwrap();
        let mut m = Manifest::load_with_sources(dir.path()).unwrap();
        assert_eq!(m.sources, [record]);
        m.version = 2;
        m.save(dir.path()).unwrap();
        assert_eq!(m.sources_file.as_deref(), Some("sources-00000002.jsonl"));
        assert!(!dir.path().join("sources-00000001.json").exists());
        assert_eq!(
            Manifest::load_with_sources(dir.path()).unwrap().sources,
            m.sources
        );
    }

    #[test]
    fn creating_an_empty_store_never_overwrites_a_manifest() {
        let dir = tempfile::tempdir().unwrap();
        Manifest::create_empty(dir.path()).unwrap();
        assert_eq!(Manifest::load(dir.path()).unwrap().version, 0);
        let mut m = Manifest::empty();
        m.version = 7;
        m.save(dir.path()).unwrap();
        Manifest::create_empty(dir.path()).unwrap();
        assert_eq!(Manifest::load(dir.path()).unwrap().version, 7);
        let names = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name() != HISTORY_DIR)
            .count();
        assert_eq!(names, 1, "no temporary file is left");
    }

    #[test]
    fn a_missing_manifest_is_an_empty_store_and_a_broken_one_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Manifest::load(dir.path()).unwrap().version, 0);
        fs::write(dir.path().join(MANIFEST_FILE), "{not json").unwrap();
        assert!(matches!(
            Manifest::load(dir.path()),
            Err(StoreError::Manifest { .. })
        ));
    }
}
