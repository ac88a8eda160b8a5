//! `chartlens ingest`: walk the inputs, read files in parallel, and hand whole
//! valid files to the store's single writer in path order. Files too large to
//! hold in memory are streamed into the store and committed only when complete.

use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use arrow::array::RecordBatch;
use chartlens_ingest::path::display;
use chartlens_ingest::{FileSummary, ReadError, ReadOptions, Reject, RejectKind, Source};
use chartlens_store::{FileRows, LogEntry, Status, Store, WriteOptions, Writer};
use indicatif::ProgressStyle;
use rayon::prelude::*;

use crate::args::IngestConfig;
use crate::exit;
use crate::output::{progress_bar, thousands};

/// Files read in parallel before their rows go to the writer, in order.
const CHUNK_FILES: usize = 256;

/// The outcome of reading one file, before the store has seen it.
enum Outcome {
    Parsed {
        path: String,
        hash: String,
        identity: String,
        summary: FileSummary,
        batches: Vec<RecordBatch>,
    },
    Known {
        file: std::path::PathBuf,
        path: String,
        hash: String,
        identity: String,
    },
    Rejected {
        path: String,
        hash: Option<String>,
        reject: Reject,
    },
}

/// Counts for the final summary.
#[derive(Default)]
struct Tally {
    by_status: BTreeMap<Status, u64>,
    rows: u64,
    replaced_rows: u64,
    charts: u64,
    flagged_rows: u64,
    rejects: BTreeMap<RejectKind, u64>,
}

impl Tally {
    fn record(&mut self, entry: &LogEntry) {
        *self.by_status.entry(entry.status).or_default() += 1;
        self.rows += entry.rows;
        self.replaced_rows += entry.replaced_rows;
        self.flagged_rows += entry.flagged_rows;
        if matches!(entry.status, Status::Ingested | Status::Replaced) {
            self.charts += entry.charts;
        }
    }

    fn count(&self, status: Status) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }
}

pub fn run(store_dir: &Path, config: &IngestConfig, write: WriteOptions) -> anyhow::Result<u8> {
    let started = Instant::now();
    let store = Store::open_or_create(store_dir)?;
    let options = WriteOptions {
        part_rows: config.part_rows,
        ..write
    };
    let mut writer = store.writer(options)?;
    let exclude = vec![fs::canonicalize(store_dir).context("locating the store")?];
    let found = chartlens_ingest::discover(&config.paths, &exclude)
        .map_err(|(path, e)| anyhow::anyhow!("{}: {e}", display(&path)))?;
    let (large, small): (Vec<PathBuf>, Vec<PathBuf>) = found.files.into_iter().partition(|p| {
        fs::metadata(p)
            .map(|m| m.len() > config.stream_above_bytes)
            .unwrap_or(false)
    });

    let progress = progress_bar("{bar:40} {pos}/{len} files  {per_sec}  eta {eta}");
    progress.set_length((small.len() + large.len()) as u64);
    let mut tally = Tally::default();
    let report = |reported: Reported, tally: &mut Tally| {
        if let Some(reject) = &reported.reject {
            *tally.rejects.entry(reject.kind).or_default() += 1;
            if !config.quiet {
                let path = &reported.entry.path;
                progress.suspend(|| eprintln!("rejected {path}: {reject}"));
            }
        }
        tally.record(&reported.entry);
        progress.inc(1);
    };

    for (path, why) in found.unreadable {
        let reject = Reject::new(RejectKind::Io, None, why);
        report(
            rejected(&mut writer, &display(&path), None, reject),
            &mut tally,
        );
    }
    let known = writer.known_identities();
    let read = &config.read;
    // Files are read in parallel, a chunk ahead, while this thread hands them
    // to the writer in path order.
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (tx, rx) = crossbeam_channel::bounded::<Vec<Outcome>>(1);
        let known = &known;
        let small = &small;
        scope.spawn(move || {
            for chunk in small.chunks(CHUNK_FILES) {
                let outcomes = chunk
                    .par_iter()
                    .map(|p| read_whole(p, known, read))
                    .collect();
                if tx.send(outcomes).is_err() {
                    break;
                }
            }
        });
        for outcomes in rx {
            for outcome in outcomes {
                report(take_in(&mut writer, outcome, read)?, &mut tally);
            }
        }
        Ok(())
    })?;
    for path in &large {
        report(stream_in(&mut writer, path, read)?, &mut tally);
    }
    let run_id = writer.run_id().to_string();
    // The summary tables are rebuilt from every entry part: the bar counts
    // parts now.
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} parts summarised  eta {eta}")
            .expect("valid template"),
    );
    let manifest = writer.finish_with(&mut |done, parts| {
        progress.set_length(parts as u64);
        progress.set_position(done as u64);
    })?;
    progress.finish_and_clear();

    let rejected = tally.count(Status::Rejected);
    println!(
        "ingested {} files ({} rows in {} charts), {} replacing older rows ({} rows removed), \
         {} unchanged, {} rejected, in {:.2}s",
        thousands(tally.count(Status::Ingested) + tally.count(Status::Replaced)),
        thousands(tally.rows),
        thousands(tally.charts),
        thousands(tally.count(Status::Replaced)),
        thousands(tally.replaced_rows),
        thousands(tally.count(Status::Unchanged)),
        thousands(rejected),
        started.elapsed().as_secs_f64(),
    );
    if tally.flagged_rows > 0 {
        println!(
            "kept {} rows flagged incomplete (a chart position whose track was removed: rank and \
             streams, no id, title or artist); they count in their charts, not as tracks: \
             chartlens --store {} sql \"select source_file, source_line, flag from chart_entries \
             where flag is not null\"",
            thousands(tally.flagged_rows),
            store_dir.display()
        );
    }
    if !tally.rejects.is_empty() {
        println!("rejected files by reason:");
        for (kind, n) in &tally.rejects {
            println!("{:>8}  {kind}", thousands(*n));
        }
        println!(
            "details: chartlens --store {} sql \"select path, line, reason from ingest_log \
             where run_id = '{run_id}' and status = 'rejected'\"",
            store_dir.display()
        );
    }
    let live = manifest
        .sources
        .iter()
        .filter(|s| !s.charts.is_empty())
        .count();
    println!(
        "store {}: {} chart entries from {} files in {} Parquet part(s)",
        store_dir.display(),
        thousands(manifest.rows(chartlens_model::table::CHART_ENTRIES)),
        thousands(live as u64),
        manifest.parts(chartlens_model::table::CHART_ENTRIES).len(),
    );
    Ok(if rejected > 0 {
        exit::REJECTED
    } else {
        exit::OK
    })
}

/// Reads a whole file into memory and parses it, unless its content is known.
fn read_whole(path: &Path, known: &HashSet<String>, options: &ReadOptions) -> Outcome {
    let display = display(path);
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            let reject = Reject::new(RejectKind::Io, None, e.to_string());
            return Outcome::Rejected {
                path: display,
                hash: None,
                reject,
            };
        }
    };
    let hash = chartlens_ingest::hash_bytes(&bytes);
    let context = chartlens_ingest::path::infer(path);
    let identity = chartlens_ingest::source_identity(&hash, &context, options);
    if known.contains(&identity) {
        return Outcome::Known {
            file: path.to_path_buf(),
            path: display,
            hash,
            identity,
        };
    }
    let source = Source {
        display_path: &display,
        hash: &hash,
        context: &context,
        options,
    };
    let mut batches = Vec::new();
    let read = chartlens_ingest::read::<_, Infallible>(&source, &bytes[..], &mut |batch| {
        batches.push(batch);
        Ok(())
    });
    match read {
        Ok(summary) => Outcome::Parsed {
            path: display,
            hash,
            identity,
            summary,
            batches,
        },
        Err(ReadError::Reject(reject)) => Outcome::Rejected {
            path: display,
            hash: Some(hash),
            reject,
        },
        Err(ReadError::Sink(never)) => match never {},
    }
}

/// What happened to one file, with the rejection to show the user, if any.
struct Reported {
    entry: LogEntry,
    reject: Option<Reject>,
}

impl From<LogEntry> for Reported {
    fn from(entry: LogEntry) -> Self {
        Reported {
            entry,
            reject: None,
        }
    }
}

fn rejected(writer: &mut Writer, path: &str, hash: Option<&str>, reject: Reject) -> Reported {
    let entry = LogEntry::rejected(path, hash, reject.message.clone(), reject.line);
    writer.log(entry.clone());
    Reported {
        entry,
        reject: Some(reject),
    }
}

fn take_in(
    writer: &mut Writer,
    outcome: Outcome,
    options: &ReadOptions,
) -> anyhow::Result<Reported> {
    Ok(match outcome {
        Outcome::Parsed {
            path,
            hash,
            identity,
            summary,
            batches,
        } => {
            if let Some((table, rows)) = summary.table_rows {
                return Ok(writer
                    .add_whole_file(table, &path, &hash, summary.layout, rows)?
                    .into());
            }
            let file = FileRows {
                path: &path,
                hash: &hash,
                identity: &identity,
                layout: summary.layout,
                charts: &summary.charts,
                flagged_rows: summary.flagged,
            };
            writer.add_file(&file, batches)?.into()
        }
        Outcome::Known {
            file,
            path,
            hash,
            identity,
        } => match writer.unchanged(&path, &hash, &identity, None) {
            Some(entry) => entry.into(),
            // A file of this run took charts of this one since the run
            // started: it is read after all, and the latest ingest wins.
            None => take_in(writer, read_whole(&file, &HashSet::new(), options), options)?,
        },
        Outcome::Rejected { path, hash, reject } => {
            rejected(writer, &path, hash.as_deref(), reject)
        }
    })
}

/// Streams a large file into the store; its rows become visible only if the
/// whole file is valid.
fn stream_in(writer: &mut Writer, path: &Path, options: &ReadOptions) -> anyhow::Result<Reported> {
    let display = display(path);
    let hash = match chartlens_ingest::hash_file(path) {
        Ok(hash) => hash,
        Err(e) => {
            let reject = Reject::new(RejectKind::Io, None, e.to_string());
            return Ok(rejected(writer, &display, None, reject));
        }
    };
    let context = chartlens_ingest::path::infer(path);
    let identity = chartlens_ingest::source_identity(&hash, &context, options);
    if let Some(entry) = writer.unchanged(&display, &hash, &identity, None) {
        return Ok(entry.into());
    }
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) => {
            let reject = Reject::new(RejectKind::Io, None, e.to_string());
            return Ok(rejected(writer, &display, Some(&hash), reject));
        }
    };
    let source = Source {
        display_path: &display,
        hash: &hash,
        context: &context,
        options,
    };
    writer.begin_stream()?;
    let read = chartlens_ingest::read(&source, std::io::BufReader::new(file), &mut |batch| {
        writer.stream_batch(batch)
    });
    match read {
        Ok(FileSummary {
            table_rows: Some((table, rows)),
            layout,
            ..
        }) => {
            writer.abort_stream()?;
            Ok(writer
                .add_whole_file(table, &display, &hash, layout, rows)?
                .into())
        }
        Ok(summary) => {
            let rows = FileRows {
                path: &display,
                hash: &hash,
                identity: &identity,
                layout: summary.layout,
                charts: &summary.charts,
                flagged_rows: summary.flagged,
            };
            Ok(writer.finish_stream(&rows)?.into())
        }
        Err(ReadError::Reject(reject)) => {
            writer.abort_stream()?;
            Ok(rejected(writer, &display, Some(&hash), reject))
        }
        Err(ReadError::Sink(e)) => {
            writer.abort_stream()?;
            Err(e.into())
        }
    }
}
