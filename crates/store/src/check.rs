//! `chartlens check` and `chartlens repair`: whether a store is whole, and
//! making it whole again.
//!
//! [`check`] reads the manifest, the source index and every part (its
//! presence and size; with `deep`, its hash and every row, which also
//! verifies Parquet page checksums where present), and compares the index,
//! the parts and the summary tables with each other. [`repair`] starts from
//! the newest manifest that can be read with its index (the current one, else
//! the newest of the last few kept in `manifests/`), drops the parts that are
//! damaged, takes the rows of the source files they held out of the store
//! so that no file is left half in it, and lists those files to ingest
//! again. Summary tables are rebuilt rather than listed: they are derived.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use chartlens_model::table::{self, CHART_ENTRIES, CHART_PERIODS};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::StoreError;
use crate::integrity::{self, Damage};
use crate::manifest::{self, Manifest, Part};
use crate::writer::{self, DATA_DIR, WriteOptions, Writer};
use crate::{derived, summary};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The store is not whole: queries of the table fail until `repair`.
    Damage,
    /// Worth knowing; nothing is wrong with the answers.
    Note,
}

/// One thing `check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How much it matters.
    pub severity: Severity,
    /// The file concerned, relative to the store root.
    pub file: String,
    /// What is wrong, in words.
    pub problem: String,
}

/// What `check` found in a store.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// The committed version, when the manifest can be read.
    pub version: Option<u64>,
    /// Parts the manifest lists.
    pub parts: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Parts whose hash was verified.
    pub hashed: usize,
    /// Rows decoded (deep checks only).
    pub rows_read: u64,
    /// Manifests kept for `repair`.
    pub history: usize,
    /// Everything found, damage first.
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// Whether nothing is damaged.
    pub fn whole(&self) -> bool {
        self.findings.iter().all(|f| f.severity != Severity::Damage)
    }

    fn damage(&mut self, file: &str, problem: String) {
        self.findings.push(Finding {
            severity: Severity::Damage,
            file: file.to_string(),
            problem,
        });
    }

    fn note(&mut self, file: &str, problem: String) {
        self.findings.push(Finding {
            severity: Severity::Note,
            file: file.to_string(),
            problem,
        });
    }
}

/// Checks the store at `root`; `progress` hears bytes checked of bytes to
/// check. A missing store is an error; a damaged one is a report.
pub fn check(
    root: &Path,
    deep: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<CheckReport, StoreError> {
    if !root.join(manifest::MANIFEST_FILE).exists() {
        return Err(StoreError::Missing {
            path: root.to_path_buf(),
        });
    }
    let mut report = CheckReport {
        history: Manifest::history(root).len(),
        ..CheckReport::default()
    };
    let manifest = match Manifest::load(root) {
        Ok(manifest) => manifest,
        Err(err) => {
            report.damage(manifest::MANIFEST_FILE, err.to_string());
            return Ok(report);
        }
    };
    report.version = Some(manifest.version);
    let indexed = match manifest.clone().with_sources(root) {
        Ok(full) => Some(full),
        Err(err) => {
            let file = manifest.sources_file.clone().unwrap_or_default();
            report.damage(&file, err.to_string());
            None
        }
    };
    let all: Vec<&Part> = manifest.tables.values().flatten().collect();
    report.parts = all.len();
    report.bytes = all.iter().map(|p| p.bytes).sum();
    let mut done = 0;
    for part in &all {
        match inspect_part(root, part, deep) {
            Ok(rows) => {
                report.hashed += usize::from(deep && part.hash.is_some());
                report.rows_read += rows.unwrap_or(0);
            }
            Err(damage) => report.damage(
                &part.file,
                format!("part of table {}: {damage}", part.table()),
            ),
        }
        done += part.bytes;
        progress(done, report.bytes);
    }
    if let Some(full) = &indexed {
        compare_index(full, &mut report);
    }
    for list in &manifest.lists {
        let Some(file) = &list.part else { continue };
        if !manifest.parts(&list.table).iter().any(|p| &p.file == file) {
            report.damage(
                file,
                format!(
                    "{} names this part of {} for its rows, but the table does not list it",
                    list.path, list.table
                ),
            );
        }
    }
    let entries = manifest.rows(CHART_ENTRIES);
    if entries > 0 && !summary::is_current(&manifest) {
        report.note(
            CHART_PERIODS,
            "the summary tables do not summarise the current entries; queries build them in \
             memory until `chartlens compact` rebuilds them"
                .to_string(),
        );
    } else if deep && entries > 0 {
        let mut summarised = 0u64;
        for part in manifest.parts(CHART_PERIODS) {
            if integrity::inspect(root, part, false).is_err() {
                continue;
            }
            for batch in derived::read_columns(root, part, &["entries"])? {
                let column = batch.column(0);
                if let Some(n) = column.as_any().downcast_ref::<arrow::array::Int64Array>() {
                    summarised += n.iter().flatten().map(|v| v.max(0) as u64).sum::<u64>();
                }
            }
        }
        if summarised != entries {
            report.damage(
                CHART_PERIODS,
                format!("the summary counts {summarised} entries, chart_entries holds {entries}"),
            );
        }
    }
    let (files, bytes) = leftovers(root, &manifest);
    if files > 0 {
        report.note(
            DATA_DIR,
            format!(
                "{files} files ({bytes} bytes) that no table lists, left by an interrupted \
                 write; the next ingest, compact or repair deletes them"
            ),
        );
    }
    report.findings.sort_by_key(|f| f.severity);
    Ok(report)
}

/// Checks one part: present and of its size; with `deep`, of its hash, and
/// every row decoded and counted. Returns the rows read.
fn inspect_part(root: &Path, part: &Part, deep: bool) -> Result<Option<u64>, Damage> {
    integrity::inspect(root, part, deep)?;
    if !deep {
        return Ok(None);
    }
    let path = root.join(&part.file);
    let unreadable = |e: &dyn std::fmt::Display| Damage::Unreadable(format!("Parquet: {e}"));
    let file = fs::File::open(&path).map_err(|e| Damage::Unreadable(e.to_string()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(65_536).build())
        .map_err(|e| unreadable(&e))?;
    let mut rows = 0u64;
    for batch in reader {
        rows += batch.map_err(|e| unreadable(&e))?.num_rows() as u64;
    }
    if rows != part.rows {
        return Err(Damage::Unreadable(format!(
            "it holds {rows} rows, the manifest recorded {}",
            part.rows
        )));
    }
    Ok(Some(rows))
}

/// The index and the entry parts must tell the same story: every source a
/// part names is in the index, and the index's rows add up to the entries.
fn compare_index(manifest: &Manifest, report: &mut CheckReport) {
    let ids: HashSet<u64> = manifest.sources.iter().map(|s| s.id).collect();
    for part in manifest.parts(CHART_ENTRIES) {
        if let Some(id) = part.sources.iter().find(|id| !ids.contains(id)) {
            report.damage(
                &part.file,
                format!("the part holds rows of source {id}, which the source index does not know"),
            );
        }
    }
    let indexed: u64 = manifest
        .sources
        .iter()
        .flat_map(|s| &s.charts)
        .map(|c| c.rows)
        .sum();
    let stored = manifest.rows(CHART_ENTRIES);
    if indexed != stored {
        let file = manifest.sources_file.clone().unwrap_or_default();
        report.damage(
            &file,
            format!(
                "the source index accounts for {indexed} entries, chart_entries holds {stored}"
            ),
        );
    }
}

/// Files under `data/` that neither a table nor the retired list names.
fn leftovers(root: &Path, manifest: &Manifest) -> (usize, u64) {
    let listed = manifest.listed_files();
    manifest::data_files(root)
        .unwrap_or_default()
        .into_iter()
        .filter(|(rel, _)| !listed.contains(rel.as_str()))
        .fold((0, 0), |(n, bytes), (_, path)| {
            (n + 1, bytes + fs::metadata(path).map_or(0, |m| m.len()))
        })
}

/// What `repair` did.
#[derive(Debug, Clone, Default)]
pub struct RepairReport {
    /// The version the store was rolled back to, when the current manifest
    /// or its index could not be read.
    pub rolled_back_to: Option<u64>,
    /// Parts dropped: file, table and why.
    pub dropped: Vec<(String, String, String)>,
    /// Source files whose rows left the store with a dropped part: ingest
    /// them again to have them back.
    pub reingest: Vec<String>,
    /// Whether the summary tables were rebuilt.
    pub rebuilt_summaries: bool,
    /// The version committed, or the current one when nothing was wrong.
    pub version: u64,
}

impl RepairReport {
    /// Whether the store was whole already.
    pub fn nothing_to_do(&self) -> bool {
        self.rolled_back_to.is_none() && self.dropped.is_empty() && !self.rebuilt_summaries
    }
}

/// Makes the store whole again (see the module docs), under the write lock.
pub fn repair(
    root: &Path,
    options: WriteOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<RepairReport, StoreError> {
    if !root.join(manifest::MANIFEST_FILE).exists() {
        return Err(StoreError::Missing {
            path: root.to_path_buf(),
        });
    }
    let lock = writer::take_lock(root, options.lock_wait)?;
    let mut report = RepairReport::default();
    let mut base = match Manifest::load(root).and_then(|m| m.with_sources(root)) {
        Ok(current) => current,
        Err(current_err) => {
            let newest = Manifest::history(root)
                .into_iter()
                .find_map(|(_, m)| m.and_then(|m| m.with_sources(root)).ok());
            let Some(mut older) = newest else {
                return Err(StoreError::Unrepairable {
                    path: root.to_path_buf(),
                    message: format!(
                        "{current_err}; and no kept manifest (in {}/) can be read with its \
                         source index",
                        manifest::HISTORY_DIR
                    ),
                });
            };
            report.rolled_back_to = Some(older.version);
            // The next commit gets a version above every one written before.
            let newest_version = Manifest::history(root)
                .into_iter()
                .filter_map(|(_, m)| m.ok().map(|m| m.version))
                .max()
                .unwrap_or(older.version);
            older.version = newest_version;
            older
        }
    };
    let mut doomed_sources = HashSet::new();
    let mut summaries_damaged = false;
    let tables: Vec<String> = base.tables.keys().cloned().collect();
    for name in tables {
        let parts = base.tables.remove(&name).unwrap_or_default();
        let mut kept = Vec::with_capacity(parts.len());
        for part in parts {
            // Parts without a recorded hash are decoded instead.
            let damage = match integrity::inspect(root, &part, true) {
                Err(damage) => Some(damage),
                Ok(()) if part.hash.is_none() => inspect_part(root, &part, true).err(),
                Ok(()) => None,
            };
            let Some(damage) = damage else {
                kept.push(part);
                continue;
            };
            if name == CHART_ENTRIES {
                doomed_sources.extend(part.sources.iter().copied());
            }
            if table::summary_tables().iter().any(|t| t.name == name) {
                summaries_damaged = true;
            }
            let owners: Vec<usize> = base
                .lists
                .iter()
                .enumerate()
                .filter(|(_, l)| l.part.as_deref() == Some(part.file.as_str()))
                .map(|(i, _)| i)
                .collect();
            for i in owners.into_iter().rev() {
                report.reingest.push(base.lists.remove(i).path);
            }
            report
                .dropped
                .push((part.file.clone(), name.clone(), damage.to_string()));
        }
        base.tables.insert(name, kept);
    }
    if summaries_damaged {
        for t in table::summary_tables() {
            base.tables.remove(t.name);
        }
        base.summaries_from = None;
        report.rebuilt_summaries = true;
    }
    if report.nothing_to_do() {
        report.version = base.version;
        return Ok(report);
    }
    writer::remove_leftovers(root, &base)?;
    let mut writer = Writer::with_manifest(root, lock, options, base);
    writer.touch();
    report
        .reingest
        .extend(writer.forget_sources(&doomed_sources)?);
    report.reingest.sort();
    report.reingest.dedup();
    let manifest = writer.finish_with(progress)?;
    report.version = manifest.version;
    Ok(report)
}
