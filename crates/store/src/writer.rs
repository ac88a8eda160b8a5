//! The single writer of a store. It buffers rows of whole files, writes them as
//! large Parquet parts, and commits by replacing the manifest, so a file's rows
//! are all in the store or none are, whenever the process stops. It also decides
//! what a file means for the store: new charts, charts replacing older files'
//! rows, or content already held; and it compacts small parts.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder};
use arrow::datatypes::SchemaRef;
use chartlens_model::ChartKey;
use chartlens_model::table::{
    self, CHART_ENTRIES, CHART_PERIODS, INGEST_LOG, PLAYLIST_SNAPSHOTS, TRACK_MARKETS,
    VIDEO_SNAPSHOTS,
};

use crate::error::StoreError;
use crate::manifest::{ChartRecord, ListRecord, Manifest, Part, RetiredPart, SourceRecord};
use crate::parts::{self, ChartId};
use crate::summary;

/// Tuning of the writer.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// Rows buffered before a part is written (and the store committed).
    pub part_rows: usize,
    /// Compact a table once it has this many parts under half of `part_rows`.
    pub compact_after: usize,
    /// Seconds a replaced or compacted part stays on disk for queries that
    /// were already reading it.
    pub retire_grace_secs: u64,
    /// How long to wait for the lock another writer holds; None fails at once.
    pub lock_wait: Option<std::time::Duration>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            part_rows: 500_000,
            compact_after: 8,
            retire_grace_secs: 600,
            lock_wait: None,
        }
    }
}

/// What happened to one input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Taken in: its charts are new to the store.
    Ingested,
    /// Taken in, superseding older rows of the same charts.
    Replaced,
    /// Its content is already in the store; nothing was added.
    Unchanged,
    /// Not taken in: unreadable or invalid.
    Rejected,
}

impl Status {
    /// The name of the status as `ingest_log.status` stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ingested => "ingested",
            Status::Replaced => "replaced",
            Status::Unchanged => "unchanged",
            Status::Rejected => "rejected",
        }
    }
}

/// One row of `ingest_log`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Path of the file as given or found by the walk.
    pub path: String,
    /// BLAKE3 hash of the content; None when unreadable.
    pub hash: Option<String>,
    /// Detected layout; None when not detected.
    pub layout: Option<String>,
    /// What happened to the file.
    pub status: Status,
    /// Why the file was rejected or left unchanged.
    pub reason: Option<String>,
    /// 1-based line a rejection points at, when there is one.
    pub line: Option<u64>,
    /// Rows added.
    pub rows: u64,
    /// Older rows removed because this file superseded them.
    pub replaced_rows: u64,
    /// Distinct charts (chart, market, period) in the file.
    pub charts: u64,
    /// Rows of `rows` kept but flagged incomplete (`chart_entries.flag`).
    pub flagged_rows: u64,
}

impl LogEntry {
    /// The log entry of a file that was not taken in, and why.
    pub fn rejected(path: &str, hash: Option<&str>, reason: String, line: Option<u64>) -> LogEntry {
        LogEntry {
            path: path.to_string(),
            hash: hash.map(str::to_string),
            layout: None,
            status: Status::Rejected,
            reason: Some(reason),
            line,
            rows: 0,
            replaced_rows: 0,
            charts: 0,
            flagged_rows: 0,
        }
    }
}

/// A file whose rows are complete and valid, ready to be taken in.
pub struct FileRows<'a> {
    /// Path of the file, as its rows' `source_file` gives it.
    pub path: &'a str,
    /// BLAKE3 hash of the file's content.
    pub hash: &'a str,
    /// Content hash plus what the path and flags said: equal identities are the same source.
    pub identity: &'a str,
    /// Detected layout, e.g. `spotify-legacy-viral`.
    pub layout: &'a str,
    /// Each chart of the file with its number of rows.
    pub charts: &'a [(ChartKey, u64)],
    /// Rows kept but flagged incomplete (`chart_entries.flag`).
    pub flagged_rows: u64,
}

/// The single writer of a store: holds the store's lock while it lives, buffers rows and commits them.
pub struct Writer {
    root: PathBuf,
    _lock: File,
    options: WriteOptions,
    run_id: String,
    /// The next version of the manifest; saved by `commit`.
    manifest: Manifest,
    by_identity: HashMap<String, usize>,
    by_chart: HashMap<ChartId, usize>,
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    pending_sources: BTreeSet<u64>,
    /// Parts written for a file still being streamed in, dropped if it fails.
    stream_parts: Option<Vec<String>>,
    /// Files no longer in the working manifest, deleted once it is committed.
    retired: Vec<String>,
    /// Charts of older sources (by content hash) that newer files replaced,
    /// removed from committed parts at the next commit, in one pass.
    doomed: HashMap<String, HashSet<ChartId>>,
    /// Ids of the sources in `doomed`, and of those left with no chart at all.
    doomed_owners: HashSet<u64>,
    emptied: HashSet<u64>,
    log: Vec<LogEntry>,
    schema: SchemaRef,
    /// Whether the working manifest differs from the committed one.
    dirty: bool,
}

const LOCK_FILE: &str = ".lock";
pub(crate) const DATA_DIR: &str = "data";

impl Writer {
    pub(crate) fn open(root: &Path, options: WriteOptions) -> Result<Writer, StoreError> {
        let lock = take_lock(root, options.lock_wait)?;
        // Leftovers go first: after a full disk, they are what frees the
        // space the rest needs.
        let manifest = Manifest::load(root)?;
        remove_leftovers(root, &manifest)?;
        let manifest = manifest.with_sources(root)?;
        Ok(Writer::with_manifest(root, lock, options, manifest))
    }

    /// A writer of `manifest` (the next version to commit), under `lock`.
    pub(crate) fn with_manifest(
        root: &Path,
        lock: File,
        options: WriteOptions,
        manifest: Manifest,
    ) -> Writer {
        let mut writer = Writer {
            root: root.to_path_buf(),
            _lock: lock,
            options,
            run_id: chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ").to_string(),
            by_identity: HashMap::new(),
            by_chart: HashMap::new(),
            manifest,
            pending: Vec::new(),
            pending_rows: 0,
            pending_sources: BTreeSet::new(),
            stream_parts: None,
            retired: Vec::new(),
            doomed: HashMap::new(),
            doomed_owners: HashSet::new(),
            emptied: HashSet::new(),
            log: Vec::new(),
            schema: table::chart_entries().schema(),
            dirty: false,
        };
        for (i, source) in writer.manifest.sources.iter().enumerate() {
            writer.by_identity.insert(source.identity.clone(), i);
            for chart in &source.charts {
                writer.by_chart.insert(chart.key(), i);
            }
        }
        writer
    }

    /// Identifier of this ingest run (its start time, UTC), as `ingest_log.run_id` records it.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The path the same source was first ingested from, if the store still
    /// holds all it gave. A source whose charts a newer file took is not
    /// known: ingesting it again restores them, as the latest ingest wins.
    pub fn known(&self, identity: &str) -> Option<&str> {
        self.by_identity
            .get(identity)
            .map(|&i| &self.manifest.sources[i])
            .filter(|source| source.intact())
            .map(|source| source.path.as_str())
    }

    /// Source identities whose content the store holds whole, for readers
    /// to skip parsing them ([`Writer::known`]).
    pub fn known_identities(&self) -> HashSet<String> {
        self.by_identity
            .iter()
            .filter(|&(_, &i)| self.manifest.sources[i].intact())
            .map(|(identity, _)| identity.clone())
            .collect()
    }

    /// Marks the working manifest as changed, so the next commit writes it.
    pub(crate) fn touch(&mut self) {
        self.dirty = true;
    }

    /// Takes every row of the given sources out of the store (at the next
    /// commit), as when a part holding some of them is lost, and marks them
    /// superseded so that ingesting them again takes them in. Returns their
    /// paths.
    pub(crate) fn forget_sources(&mut self, ids: &HashSet<u64>) -> Result<Vec<String>, StoreError> {
        let mut doomed: HashMap<usize, HashSet<ChartId>> = HashMap::new();
        let mut paths = Vec::new();
        for (i, source) in self.manifest.sources.iter().enumerate() {
            if ids.contains(&source.id) {
                paths.push(source.path.clone());
                doomed
                    .entry(i)
                    .or_default()
                    .extend(source.charts.iter().map(ChartRecord::key));
            }
        }
        for &i in doomed.keys() {
            self.manifest.sources[i].superseded = true;
            self.manifest.source_changed(i);
        }
        self.replace(doomed)?;
        Ok(paths)
    }

    /// Records a file that was not taken in.
    pub fn log(&mut self, entry: LogEntry) {
        self.log.push(entry);
    }

    /// Takes in a whole, valid file held in memory. Returns its log entry.
    pub fn add_file(
        &mut self,
        file: &FileRows<'_>,
        batches: Vec<RecordBatch>,
    ) -> Result<LogEntry, StoreError> {
        if let Some(entry) = self.unchanged(file.path, file.hash, file.identity, Some(file.layout))
        {
            return Ok(entry);
        }
        let (entry, _) = self.accept(file)?;
        for batch in batches {
            self.push_pending(batch)?;
        }
        if self.pending_rows >= self.options.part_rows {
            self.commit()?;
        }
        Ok(entry)
    }

    /// Starts taking in a file too large to hold in memory: its batches go to
    /// parts of their own that only the final commit makes visible.
    pub fn begin_stream(&mut self) -> Result<(), StoreError> {
        self.commit()?;
        self.stream_parts = Some(Vec::new());
        Ok(())
    }

    /// Adds one batch of the file being streamed; a part is written whenever `part_rows` rows are pending.
    pub fn stream_batch(&mut self, batch: RecordBatch) -> Result<(), StoreError> {
        self.push_pending(batch)?;
        if self.pending_rows >= self.options.part_rows {
            let rel = self.flush()?;
            if let (Some(parts), Some(rel)) = (self.stream_parts.as_mut(), rel) {
                parts.push(rel);
            }
        }
        Ok(())
    }

    /// Completes a streamed file and commits it.
    pub fn finish_stream(&mut self, file: &FileRows<'_>) -> Result<LogEntry, StoreError> {
        let (entry, id) = self.accept(file)?;
        let streamed = self.stream_parts.take().unwrap_or_default();
        for part in self
            .manifest
            .tables
            .entry(CHART_ENTRIES.to_string())
            .or_default()
        {
            if streamed.contains(&part.file) {
                part.sources.push(id);
            }
        }
        self.commit()?;
        Ok(entry)
    }

    /// Drops everything written for the file being streamed.
    pub fn abort_stream(&mut self) -> Result<(), StoreError> {
        let parts = self.stream_parts.take().unwrap_or_default();
        self.pending.clear();
        self.pending_rows = 0;
        if let Some(list) = self.manifest.tables.get_mut(CHART_ENTRIES) {
            list.retain(|p| !parts.contains(&p.file));
        }
        for rel in parts {
            let path = self.root.join(&rel);
            fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
        }
        Ok(())
    }

    /// Takes in a file stored whole as one part of `table` (an artist list's
    /// facts, a playlist snapshot). The same content again is unchanged;
    /// another file at the same path replaces the rows it had given. Visible
    /// at the next commit.
    pub fn add_whole_file(
        &mut self,
        table: &str,
        path: &str,
        hash: &str,
        layout: &str,
        rows: RecordBatch,
    ) -> Result<LogEntry, StoreError> {
        let mut entry = LogEntry {
            path: path.to_string(),
            hash: Some(hash.to_string()),
            layout: Some(layout.to_string()),
            status: Status::Ingested,
            reason: None,
            line: None,
            rows: 0,
            replaced_rows: 0,
            charts: 0,
            flagged_rows: 0,
        };
        let lists = &self.manifest.lists;
        if let Some(same) = lists.iter().find(|l| l.table == table && l.hash == hash) {
            entry.status = Status::Unchanged;
            entry.reason = Some(if same.path == path {
                "already in the store".to_string()
            } else {
                format!("same content as {}, already in the store", same.path)
            });
            self.log.push(entry.clone());
            return Ok(entry);
        }
        let same_path = lists
            .iter()
            .position(|l| l.table == table && l.path == path);
        if let Some(at) = same_path {
            let old = self.manifest.lists.remove(at);
            if let Some(file) = old.part {
                self.remove_list_rows(table, &file, &old.hash)?;
            }
            entry.status = Status::Replaced;
            entry.replaced_rows = old.rows;
        }
        let count = rows.num_rows() as u64;
        let part = if count == 0 {
            None
        } else {
            let rel = self.part_name(table);
            let part = parts::write_part(&self.root, &rel, &rows.schema(), &[rows], Vec::new())?;
            self.manifest
                .tables
                .entry(table.to_string())
                .or_default()
                .push(part);
            Some(rel)
        };
        self.manifest.lists.push(ListRecord {
            table: table.to_string(),
            path: path.to_string(),
            hash: hash.to_string(),
            layout: layout.to_string(),
            part,
            rows: count,
        });
        entry.rows = count;
        self.log.push(entry.clone());
        self.dirty = true;
        Ok(entry)
    }

    /// Takes the rows of one file stored whole (by content hash) out of its
    /// part: the whole part when the file had it alone, else a rewrite of
    /// the part, which compaction shares between files, without them.
    fn remove_list_rows(&mut self, table: &str, file: &str, hash: &str) -> Result<(), StoreError> {
        let Some(parts) = self.manifest.tables.get_mut(table) else {
            return Ok(());
        };
        let Some(at) = parts.iter().position(|p| p.file == file) else {
            return Ok(());
        };
        let part = parts.remove(at);
        self.retired.push(part.file.clone());
        let shared = self
            .manifest
            .lists
            .iter()
            .any(|l| l.table == table && l.part.as_deref() == Some(file));
        if !shared {
            return Ok(());
        }
        let mut kept = Vec::new();
        for batch in parts::read_part(&self.root, &part)? {
            let hashes = crate::derived::text_column(&batch, "source_hash")?;
            let keep: arrow::array::BooleanArray =
                hashes.iter().map(|h| Some(h != Some(hash))).collect();
            kept.push(arrow::compute::filter_record_batch(&batch, &keep)?);
        }
        let Some(schema) = kept.first().map(RecordBatch::schema) else {
            return Ok(());
        };
        let rel = self.part_name(table);
        let new = parts::write_part(&self.root, &rel, &schema, &kept, Vec::new())?;
        for list in &mut self.manifest.lists {
            if list.table == table && list.part.as_deref() == Some(file) {
                list.part = Some(rel.clone());
            }
        }
        self.manifest
            .tables
            .entry(table.to_string())
            .or_default()
            .push(new);
        Ok(())
    }

    /// Logs `path` as unchanged if the same source is already in the store.
    pub fn unchanged(
        &mut self,
        path: &str,
        hash: &str,
        identity: &str,
        layout: Option<&str>,
    ) -> Option<LogEntry> {
        let earlier = self.known(identity)?.to_string();
        let reason = if earlier == path {
            "already in the store".to_string()
        } else {
            format!("same content as {earlier}, already in the store")
        };
        let entry = LogEntry {
            path: path.to_string(),
            hash: Some(hash.to_string()),
            layout: layout.map(str::to_string),
            status: Status::Unchanged,
            reason: Some(reason),
            line: None,
            rows: 0,
            replaced_rows: 0,
            charts: 0,
            flagged_rows: 0,
        };
        self.log.push(entry.clone());
        Some(entry)
    }

    /// Registers a valid file as a source, replacing older rows of its charts.
    /// Returns its log entry and source id.
    fn accept(&mut self, file: &FileRows<'_>) -> Result<(LogEntry, u64), StoreError> {
        let mut doomed: HashMap<usize, HashSet<ChartId>> = HashMap::new();
        for (key, _) in file.charts {
            let id = chart_id(key);
            if let Some(&owner) = self.by_chart.get(&id) {
                doomed.entry(owner).or_default().insert(id);
            }
        }
        let replaced_rows = self.replace(doomed)?;
        let id = self.manifest.take_id();
        let charts: Vec<ChartRecord> = file
            .charts
            .iter()
            .map(|(key, rows)| {
                let (source, chart, region, start, end) = chart_id(key);
                ChartRecord {
                    source,
                    chart,
                    region,
                    start,
                    end,
                    rows: *rows,
                }
            })
            .collect();
        let index = self.manifest.sources.len();
        for chart in &charts {
            self.by_chart.insert(chart.key(), index);
        }
        self.by_identity.insert(file.identity.to_string(), index);
        let rows = charts.iter().map(|c| c.rows).sum();
        self.manifest.sources.push(SourceRecord {
            id,
            hash: file.hash.to_string(),
            identity: file.identity.to_string(),
            path: file.path.to_string(),
            layout: file.layout.to_string(),
            charts,
            superseded: false,
        });
        self.pending_sources.insert(id);
        let entry = LogEntry {
            path: file.path.to_string(),
            hash: Some(file.hash.to_string()),
            layout: Some(file.layout.to_string()),
            status: if replaced_rows > 0 {
                Status::Replaced
            } else {
                Status::Ingested
            },
            reason: None,
            line: None,
            rows,
            replaced_rows,
            charts: file.charts.len() as u64,
            flagged_rows: file.flagged_rows,
        };
        self.log.push(entry.clone());
        self.dirty = true;
        Ok((entry, id))
    }

    /// Takes the `doomed` charts away from their older sources: at once from
    /// the pending buffer, and from committed parts at the next commit (so a
    /// folder of re-downloaded files rewrites each part once, not once per file).
    /// Returns the rows removed.
    fn replace(&mut self, doomed: HashMap<usize, HashSet<ChartId>>) -> Result<u64, StoreError> {
        if doomed.is_empty() {
            return Ok(0);
        }
        let mut removed = 0;
        let mut by_hash: HashMap<String, HashSet<ChartId>> = HashMap::new();
        let mut owners = HashSet::new();
        for (owner, ids) in doomed {
            self.manifest.source_changed(owner);
            let source = &mut self.manifest.sources[owner];
            source.charts.retain(|c| {
                let gone = ids.contains(&c.key());
                removed += if gone { c.rows } else { 0 };
                !gone
            });
            owners.insert(source.id);
            source.superseded = true;
            if source.charts.is_empty() {
                self.emptied.insert(source.id);
            }
            self.doomed
                .entry(source.hash.clone())
                .or_default()
                .extend(ids.iter().cloned());
            by_hash.entry(source.hash.clone()).or_default().extend(ids);
        }
        if self.pending_sources.iter().any(|id| owners.contains(id)) {
            let mut kept = Vec::with_capacity(self.pending.len());
            self.pending_rows = 0;
            for batch in self.pending.drain(..) {
                let batch = parts::drop_charts(&batch, &by_hash)?;
                self.pending_rows += batch.num_rows();
                kept.push(batch);
            }
            self.pending = kept;
        }
        self.doomed_owners.extend(owners);
        self.dirty = true;
        Ok(removed)
    }

    /// Rewrites the committed parts that hold rows of replaced charts.
    fn remove_doomed(&mut self) -> Result<(), StoreError> {
        if self.doomed.is_empty() {
            return Ok(());
        }
        let doomed = std::mem::take(&mut self.doomed);
        let owners = std::mem::take(&mut self.doomed_owners);
        let emptied = std::mem::take(&mut self.emptied);
        self.pending_sources.retain(|id| !emptied.contains(id));
        let old_parts = self
            .manifest
            .tables
            .remove(CHART_ENTRIES)
            .unwrap_or_default();
        let mut new_parts = Vec::with_capacity(old_parts.len());
        for part in old_parts {
            if !part.sources.iter().any(|id| owners.contains(id)) {
                new_parts.push(part);
                continue;
            }
            let batches: Vec<RecordBatch> = parts::read_part(&self.root, &part)?
                .iter()
                .map(|b| parts::adapt(&parts::drop_charts(b, &doomed)?, &self.schema))
                .collect::<Result<_, _>>()?;
            let sources: Vec<u64> = part
                .sources
                .iter()
                .copied()
                .filter(|id| !emptied.contains(id))
                .collect();
            if batches.iter().any(|b| b.num_rows() > 0) {
                let rel = self.part_name(CHART_ENTRIES);
                new_parts.push(parts::write_part(
                    &self.root,
                    &rel,
                    &self.schema,
                    &batches,
                    sources,
                )?);
            }
            self.retired.push(part.file);
        }
        self.manifest
            .tables
            .insert(CHART_ENTRIES.to_string(), new_parts);
        Ok(())
    }

    /// Buffers a batch. Runs of small batches (one per input file) are merged
    /// into one as they accumulate, so memory holds the rows, not thousands of
    /// half-empty buffers, and the Parquet writer gets large batches.
    fn push_pending(&mut self, batch: RecordBatch) -> Result<(), StoreError> {
        const MERGE_ROWS: usize = 65_536;
        self.pending_rows += batch.num_rows();
        self.pending.push(batch);
        let small = self
            .pending
            .iter()
            .rev()
            .take_while(|b| b.num_rows() < MERGE_ROWS)
            .count();
        let small_rows: usize = self
            .pending
            .iter()
            .rev()
            .take(small)
            .map(RecordBatch::num_rows)
            .sum();
        if small > 1 && small_rows >= MERGE_ROWS {
            let tail = self.pending.split_off(self.pending.len() - small);
            self.pending
                .push(arrow::compute::concat_batches(&self.schema, &tail)?);
        }
        Ok(())
    }

    fn part_name(&mut self, table: &str) -> String {
        let id = self.manifest.take_id();
        format!(
            "{DATA_DIR}/{table}/part-{id:08}-{}.parquet",
            std::process::id()
        )
    }

    /// Writes the pending rows as one part of the working manifest.
    fn flush(&mut self) -> Result<Option<String>, StoreError> {
        if self.pending_rows == 0 {
            self.pending.clear();
            return Ok(None);
        }
        let rel = self.part_name(CHART_ENTRIES);
        let sources = std::mem::take(&mut self.pending_sources)
            .into_iter()
            .collect();
        let part = parts::write_part(&self.root, &rel, &self.schema, &self.pending, sources)?;
        self.manifest
            .tables
            .entry(CHART_ENTRIES.to_string())
            .or_default()
            .push(part);
        self.pending.clear();
        self.pending_rows = 0;
        self.dirty = true;
        Ok(Some(rel))
    }

    /// Makes everything taken in so far durable and visible: writes pending
    /// rows and log entries, then atomically replaces the manifest.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        // Before the flush, so the part about to be written is not rewritten.
        self.remove_doomed()?;
        self.flush()?;
        if !self.log.is_empty() {
            let batch = self.log_batch()?;
            let rel = self.part_name(INGEST_LOG);
            let schema = batch.schema();
            let part = parts::write_part(&self.root, &rel, &schema, &[batch], Vec::new())?;
            self.manifest
                .tables
                .entry(INGEST_LOG.to_string())
                .or_default()
                .push(part);
            self.log.clear();
            self.dirty = true;
        }
        if !self.dirty {
            return Ok(());
        }
        let now = chrono::Utc::now().timestamp();
        let retired = self
            .retired
            .drain(..)
            .map(|file| RetiredPart { file, since: now });
        self.manifest.retired.extend(retired);
        let grace = i64::try_from(self.options.retire_grace_secs).unwrap_or(i64::MAX);
        let (expired, kept): (Vec<RetiredPart>, Vec<RetiredPart>) =
            std::mem::take(&mut self.manifest.retired)
                .into_iter()
                .partition(|r| now.saturating_sub(r.since) >= grace);
        self.manifest.retired = kept;
        self.manifest.version += 1;
        self.manifest.save(&self.root)?;
        self.dirty = false;
        for part in expired {
            // The manifest no longer lists it; a failed delete leaves only a leftover.
            let _ = fs::remove_file(self.root.join(part.file));
        }
        Ok(())
    }

    fn log_batch(&self) -> Result<RecordBatch, StoreError> {
        let now = chrono::Utc::now().timestamp_micros();
        let mut run = StringBuilder::new();
        let mut path = StringBuilder::new();
        let mut hash = StringBuilder::new();
        let mut layout = StringBuilder::new();
        let mut status = StringBuilder::new();
        let mut reason = StringBuilder::new();
        let mut line = Int64Builder::new();
        let mut rows = Int64Builder::new();
        let mut replaced = Int64Builder::new();
        let mut charts = Int64Builder::new();
        let mut flagged = Int64Builder::new();
        let mut at = TimestampMicrosecondBuilder::new().with_timezone("UTC");
        let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        for e in &self.log {
            run.append_value(&self.run_id);
            path.append_value(&e.path);
            hash.append_option(e.hash.as_deref());
            layout.append_option(e.layout.as_deref());
            status.append_value(e.status.as_str());
            reason.append_option(e.reason.as_deref());
            line.append_option(e.line.map(int));
            rows.append_value(int(e.rows));
            replaced.append_value(int(e.replaced_rows));
            charts.append_value(int(e.charts));
            flagged.append_value(int(e.flagged_rows));
            at.append_value(now);
        }
        Ok(RecordBatch::try_new(
            table::ingest_log().schema(),
            vec![
                Arc::new(run.finish()),
                Arc::new(path.finish()),
                Arc::new(hash.finish()),
                Arc::new(layout.finish()),
                Arc::new(status.finish()),
                Arc::new(reason.finish()),
                Arc::new(line.finish()),
                Arc::new(rows.finish()),
                Arc::new(replaced.finish()),
                Arc::new(charts.finish()),
                Arc::new(at.finish()),
                Arc::new(flagged.finish()),
            ],
        )?)
    }

    /// Merges small parts of every table into parts of about `part_rows` rows,
    /// sorted so each chart's rows sit together. Returns parts merged away.
    pub fn compact(&mut self, force: bool) -> Result<usize, StoreError> {
        self.commit()?;
        if force {
            self.record_hashes()?;
        }
        let mut merged = 0;
        // Snapshot tables too (one part per input file otherwise); artist
        // facts stay one part per list, as the registry reads lists in order.
        for table in [
            CHART_ENTRIES,
            INGEST_LOG,
            PLAYLIST_SNAPSHOTS,
            VIDEO_SNAPSHOTS,
        ] {
            merged += self.compact_table(table, force)?;
        }
        self.commit()?;
        Ok(merged)
    }

    /// Records the hash of every part an older chartlens wrote without one,
    /// once the part reads back whole (all its rows, as many as recorded).
    fn record_hashes(&mut self) -> Result<(), StoreError> {
        let root = self.root.clone();
        for part in self.manifest.tables.values_mut().flatten() {
            if part.hash.is_some() {
                continue;
            }
            let rows: usize = parts::read_part(&root, part)?
                .iter()
                .map(RecordBatch::num_rows)
                .sum();
            let path = root.join(&part.file);
            if rows as u64 != part.rows {
                return Err(StoreError::Damaged {
                    path,
                    table: part.table().to_string(),
                    damage: crate::integrity::Damage::Unreadable(format!(
                        "it holds {rows} rows, the manifest recorded {}",
                        part.rows
                    )),
                    store: root.clone(),
                });
            }
            part.hash =
                Some(crate::integrity::hash_file(&path).map_err(|e| StoreError::io(&path, e))?);
            self.dirty = true;
        }
        Ok(())
    }

    fn compact_table(&mut self, table: &str, force: bool) -> Result<usize, StoreError> {
        let target = self.options.part_rows as u64;
        let parts = self.manifest.tables.remove(table).unwrap_or_default();
        let small = parts.iter().filter(|p| p.rows < target / 2).count();
        if small < 2 || (!force && small < self.options.compact_after) {
            self.manifest.tables.insert(table.to_string(), parts);
            return Ok(0);
        }
        let (small, mut kept): (Vec<Part>, Vec<Part>) =
            parts.into_iter().partition(|p| p.rows < target / 2);
        let mut groups: Vec<Vec<Part>> = vec![Vec::new()];
        let mut rows = 0;
        for part in small {
            if rows + part.rows > target && !groups.last().is_some_and(Vec::is_empty) {
                groups.push(Vec::new());
                rows = 0;
            }
            rows += part.rows;
            groups.last_mut().expect("one group at least").push(part);
        }
        let (schema, sort_by): (SchemaRef, &[&str]) = match table {
            CHART_ENTRIES => (
                self.schema.clone(),
                &["source", "chart", "region", "period_start", "rank"],
            ),
            PLAYLIST_SNAPSHOTS => (
                table::playlist_snapshots().schema(),
                &["source", "playlist_name", "snapshot_date", "position"],
            ),
            VIDEO_SNAPSHOTS => (
                table::video_snapshots().schema(),
                &["platform", "video_id", "observed_at"],
            ),
            _ => (table::ingest_log().schema(), &[]),
        };
        let mut merged = 0;
        for group in groups {
            if group.len() < 2 {
                kept.extend(group);
                continue;
            }
            let mut batches = Vec::new();
            let mut sources = BTreeSet::new();
            for part in &group {
                for batch in parts::read_part(&self.root, part)? {
                    batches.push(parts::adapt(&batch, &schema)?);
                }
                sources.extend(part.sources.iter().copied());
            }
            let sorted = parts::sort_batches(&schema, &batches, sort_by)?;
            drop(batches);
            let rel = self.part_name(table);
            kept.push(parts::write_part(
                &self.root,
                &rel,
                &schema,
                &[sorted],
                sources.into_iter().collect(),
            )?);
            // Files stored whole now share the merged part.
            for list in &mut self.manifest.lists {
                if list.table == table && group.iter().any(|p| Some(&p.file) == list.part.as_ref())
                {
                    list.part = Some(rel.clone());
                }
            }
            merged += group.len();
            self.retired.extend(group.into_iter().map(|p| p.file));
            self.dirty = true;
        }
        self.manifest.tables.insert(table.to_string(), kept);
        Ok(merged)
    }

    /// Commits, compacts if enough small parts have piled up, and rebuilds
    /// the summary tables if the entries changed.
    pub fn finish(self) -> Result<Manifest, StoreError> {
        self.finish_with(&mut |_, _| {})
    }

    /// [`Writer::finish`], telling `progress` how many entry parts the
    /// summaries have read (of how many) while rebuilding them.
    pub fn finish_with(
        mut self,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Manifest, StoreError> {
        self.commit()?;
        self.compact(false)?;
        // Nothing is taken in any more: the lookups by identity and chart
        // go before the summaries need their memory.
        self.by_identity = HashMap::new();
        self.by_chart = HashMap::new();
        self.refresh_summaries(progress)?;
        Ok(self.manifest)
    }

    /// Rebuilds `track_markets` and `chart_periods` from the committed
    /// entries unless they already summarise them, and commits.
    fn refresh_summaries(
        &mut self,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(), StoreError> {
        if summary::is_current(&self.manifest) {
            return Ok(());
        }
        let built = summary::build(&self.root, &self.manifest, progress)?;
        for (name, batches) in [
            (TRACK_MARKETS, built.track_markets),
            (CHART_PERIODS, built.chart_periods),
        ] {
            let mut new_parts = Vec::new();
            if batches.iter().any(|b| b.num_rows() > 0) {
                let schema = batches[0].schema();
                // Parts of about `part_rows` rows, so readers split the work.
                let mut start = 0;
                while start < batches.len() {
                    let mut rows = 0;
                    let mut end = start;
                    while end < batches.len() && (end == start || rows < self.options.part_rows) {
                        rows += batches[end].num_rows();
                        end += 1;
                    }
                    let rel = self.part_name(name);
                    new_parts.push(parts::write_part(
                        &self.root,
                        &rel,
                        &schema,
                        &batches[start..end],
                        Vec::new(),
                    )?);
                    start = end;
                }
            }
            let old = self.manifest.tables.insert(name.to_string(), new_parts);
            self.retired
                .extend(old.unwrap_or_default().into_iter().map(|p| p.file));
        }
        self.manifest.summaries_from = Some(summary::entry_parts(&self.manifest));
        self.dirty = true;
        self.commit()
    }
}

/// Whether another process holds the store's write lock right now.
pub fn is_locked(root: &Path) -> bool {
    fs::File::open(root.join(LOCK_FILE)).is_ok_and(|f| match f.try_lock_shared() {
        Ok(()) => {
            let _ = f.unlock();
            false
        }
        Err(fs::TryLockError::WouldBlock) => true,
        Err(fs::TryLockError::Error(_)) => false,
    })
}

/// Takes the store's write lock, waiting up to `wait` for another writer.
pub(crate) fn take_lock(
    root: &Path,
    wait: Option<std::time::Duration>,
) -> Result<File, StoreError> {
    fs::create_dir_all(root.join(DATA_DIR)).map_err(|e| StoreError::io(root, e))?;
    let lock_path = root.join(LOCK_FILE);
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| StoreError::io(&lock_path, e))?;
    let started = std::time::Instant::now();
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(lock),
            Err(fs::TryLockError::WouldBlock) => {
                if wait.is_none_or(|w| started.elapsed() >= w) {
                    return Err(StoreError::Locked {
                        path: root.into(),
                        waited: wait,
                    });
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(fs::TryLockError::Error(e)) => return Err(StoreError::io(&lock_path, e)),
        }
    }
}

/// The identity of a chart as parts and the source index compare it: source, chart, market code, first and last day.
pub fn chart_id(key: &ChartKey) -> ChartId {
    (
        key.source.clone(),
        key.chart.clone(),
        key.region.code().to_string(),
        key.period_start,
        key.period_end,
    )
}

/// Deletes what an interrupted writer left: parts the manifest does not list
/// and temporary manifests. Runs under the lock, so nothing is mid-write.
pub(crate) fn remove_leftovers(root: &Path, manifest: &Manifest) -> Result<(), StoreError> {
    let listed = manifest.listed_files();
    let data = root.join(DATA_DIR);
    let files = crate::manifest::data_files(root).map_err(|e| StoreError::io(&data, e))?;
    for (rel, path) in files {
        if !listed.contains(rel.as_str()) {
            let _ = fs::remove_file(&path);
        }
    }
    // Indexes that a kept manifest names stay, for `repair`.
    let named: HashSet<String> = Manifest::history(root)
        .into_iter()
        .filter_map(|(_, m)| m.ok()?.sources_file)
        .chain(manifest.sources_file.clone())
        .collect();
    for entry in fs::read_dir(root)
        .map_err(|e| StoreError::io(root, e))?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let temporary = name.starts_with(crate::manifest::MANIFEST_FILE) && name.ends_with(".tmp");
        let stale_index =
            name.starts_with(crate::manifest::SOURCES_PREFIX) && !named.contains(&name);
        if temporary || stale_index {
            let _ = fs::remove_file(entry.path());
        }
    }
    Ok(())
}
