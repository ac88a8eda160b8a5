//! A fuzzer for the readers that runs on the stable toolchain: mutates the
//! test fixtures and feeds them to every reader under `catch_unwind`, checking
//! that bad input is a rejection, never a panic, and that accepted input is
//! consistent. A crash is saved to a file and makes the run exit 1.
//!
//!     cargo run --release -p chartlens-ingest --example fuzz -- \
//!         [--seconds 60] [--seed 1] [--corpus DIR]... [--out DIR] [--replay FILE]
//!
//! The corpus defaults to `crates/cli/tests/data`. Each target runs in turn:
//! `chart` (`chartlens_ingest::read` with what the seed's path says),
//! `chart-forced` (the same with `--region`, `--period` and `--chart` given, so
//! layouts that need them get past their header), `artist-list`
//! (`artist_lists::read_bytes`) and `path` (path inference, and that a
//! displayed path turns back into the same bytes) and `manifest` (a store's
//! manifest and its source index, as `Manifest::load_with_sources` and
//! `check --deep` read them; seeded from manifests this harness writes).

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use chartlens_ingest::{PathContext, ReadError, ReadOptions, Source, artist_lists, path};
use chartlens_model::Region;
use chrono::NaiveDate;

/// Inputs larger than this are not seeds (they would slow every execution).
const MAX_SEED_BYTES: usize = 256 * 1024;
/// Accepted mutants kept as further seeds, at most.
const MAX_POOL: usize = 2_000;

/// A small deterministic PRNG (SplitMix64): the same seed gives the same run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// The readers under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Chart,
    ChartForced,
    ArtistList,
    Path,
    Manifest,
}

impl Target {
    const ALL: [Target; 5] = [
        Target::Chart,
        Target::ChartForced,
        Target::ArtistList,
        Target::Path,
        Target::Manifest,
    ];

    fn name(self) -> &'static str {
        match self {
            Target::Chart => "chart",
            Target::ChartForced => "chart-forced",
            Target::ArtistList => "artist-list",
            Target::Path => "path",
            Target::Manifest => "manifest",
        }
    }
}

/// One input: its bytes and the path it claims to have been read from.
#[derive(Clone)]
struct Input {
    path: String,
    bytes: Vec<u8>,
}

/// Runs one input through one target; a panic propagates to the caller.
fn run(target: Target, input: &Input) -> bool {
    match target {
        Target::Chart | Target::ChartForced => {
            let context = path::infer(Path::new(&input.path));
            let mut options = ReadOptions {
                batch_rows: 7,
                ..ReadOptions::default()
            };
            if target == Target::ChartForced {
                let day = NaiveDate::from_ymd_opt(2020, 1, 2).expect("a date");
                options.region = Region::parse("JP");
                options.period = Some((day, day));
                options.chart = Some("top200".into());
            }
            read_chart(input, &context, &options)
        }
        Target::ArtistList => match artist_lists::read_bytes(&input.bytes) {
            Ok(list) => {
                for fact in &list.facts {
                    assert!(fact.line >= 1, "a fact without a line");
                }
                list.to_batch(&input.path, "hash")
                    .expect("facts make a batch");
                true
            }
            Err(reject) => {
                assert!(!reject.message.is_empty(), "a rejection without a reason");
                false
            }
        },
        Target::Path => {
            let bytes = &input.bytes[..input.bytes.len().min(512)];
            let text = path::escape_bytes(bytes);
            assert!(!text.chars().any(char::is_control), "control in {text:?}");
            #[cfg(unix)]
            {
                let back = path::from_display(&text).expect("a displayed path reads back");
                let back = std::os::unix::ffi::OsStrExt::as_bytes(back.as_os_str()).to_vec();
                assert_eq!(back, bytes, "the displayed path {text:?} names other bytes");
                let as_path =
                    Path::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(bytes));
                let _ = path::infer(&as_path.join("x.csv"));
            }
            true
        }
        Target::Manifest => read_manifest(&input.bytes),
    }
}

/// The source index every manifest input may name, as `sources-00000001.jsonl`.
const SOURCES_LOG: &str = concat!(
    r#"{"id":1,"hash":"h1","identity":"i1","path":"a.csv","layout":"spotify-top200","#,
    r#""charts":[{"source":"spotify","chart":"top200","region":"JP","#,
    r#""start":"2020-01-02","end":"2020-01-02","rows":2}]}"#,
    "\n",
    r#"{"id":2,"hash":"h2","identity":"i2","path":"b.csv","layout":"spotify-top200","#,
    r#""charts":[],"superseded":true}"#,
    "\n"
);

/// Manifests to start from: an empty store, and one with parts of two
/// tables, a retired part, a list and the index above.
fn manifest_seeds() -> Vec<Input> {
    let full = format!(
        concat!(
            r#"{{"format":{format},"version":7,"next_id":9,"#,
            r#""tables":{{"chart_entries":[{{"file":"data/chart_entries/part-00000003-a.parquet","#,
            r#""rows":2,"bytes":1200,"hash":"00","sources":[1]}}],"#,
            r#""artist_facts":[{{"file":"data/artist_facts/part-00000004-b.parquet","#,
            r#""rows":5,"bytes":900}}]}},"#,
            r#""sources_file":"sources-00000001.jsonl","sources_len":{len},"#,
            r#""retired":[{{"file":"data/chart_entries/part-00000001-c.parquet","since":1}}],"#,
            r#""summaries_from":["data/chart_entries/part-00000003-a.parquet"],"#,
            r#""lists":[{{"table":"artist_facts","path":"l.csv","hash":"h","layout":"kpop-idols","#,
            r#""part":"data/artist_facts/part-00000004-b.parquet","rows":5}}]}}"#
        ),
        format = chartlens_store::manifest::FORMAT,
        len = SOURCES_LOG.len()
    );
    let empty = serde_json::to_vec(&chartlens_store::manifest::Manifest::empty()).expect("json");
    [empty, full.into_bytes()]
        .into_iter()
        .map(|bytes| Input {
            path: chartlens_store::manifest::MANIFEST_FILE.to_string(),
            bytes,
        })
        .collect()
}

thread_local! {
    /// The store directory the manifest target writes its input into.
    static STORE: tempfile::TempDir = tempfile::tempdir().expect("a temporary directory");
}

/// Loads `bytes` as a store's manifest and, when that succeeds, checks the
/// store deeply: either step may refuse, neither may panic, and a manifest
/// that loads gives a report that names its version.
fn read_manifest(bytes: &[u8]) -> bool {
    use chartlens_store::manifest::{MANIFEST_FILE, Manifest};
    STORE.with(|dir| {
        let root = dir.path();
        std::fs::write(root.join(MANIFEST_FILE), bytes).expect("write the manifest");
        std::fs::write(root.join("sources-00000001.jsonl"), SOURCES_LOG).expect("write the index");
        let Ok(manifest) = Manifest::load_with_sources(root) else {
            return false;
        };
        let report = chartlens_store::check::check(root, true, &mut |_, _| {})
            .expect("a store with a manifest gets a report");
        assert_eq!(
            report.version,
            Some(manifest.version),
            "check read another version"
        );
        true
    })
}

/// Reads a chart file and checks that what was accepted adds up.
fn read_chart(input: &Input, context: &PathContext, options: &ReadOptions) -> bool {
    let display = path::escape_bytes(input.path.as_bytes());
    let source = Source {
        display_path: &display,
        hash: "hash",
        context,
        options,
    };
    let mut rows = 0usize;
    let mut sink = |batch: RecordBatch| -> Result<(), ()> {
        assert!(batch.num_rows() > 0, "an empty batch");
        rows += batch.num_rows();
        Ok(())
    };
    match chartlens_ingest::read(&source, &input.bytes[..], &mut sink) {
        Ok(summary) => {
            assert!(summary.flagged <= summary.rows, "more flagged than rows");
            if summary.table_rows.is_none() {
                assert_eq!(summary.rows, rows as u64, "rows reported and sunk differ");
                let charted: u64 = summary.charts.iter().map(|(_, n)| n).sum();
                assert_eq!(charted, summary.rows, "chart rows and file rows differ");
            }
            true
        }
        Err(ReadError::Reject(reject)) => {
            assert!(!reject.message.is_empty(), "a rejection without a reason");
            false
        }
        Err(ReadError::Sink(())) => unreachable!("the sink never fails"),
    }
}

/// Values that often break number and date parsing.
const TOKENS: &[&[u8]] = &[
    b"0",
    b"-1",
    b"+1",
    b"1.0",
    b"1.5",
    b"1e9",
    b"1,234",
    b"1,2345",
    b"100001",
    b"2147483648",
    b"99999999999999999999999",
    b"NaN",
    b"",
    b"\"",
    b"\"\"",
    b"\r\n",
    b"\n",
    b",",
    b";",
    b"\t",
    b"{",
    b"}",
    b"[",
    b"]",
    b"null",
    b"\xEF\xBB\xBF",
    b"\xFF",
    b"\xC3",
    b"\0",
    b"2020-02-30",
    b"2026-W53",
    b"spotify:track:",
    b"https://open.spotify.com/track/0b9oOr2ZgvyQu88wzixux9",
    b"PAR1",
    b"<html>",
    b"\"name\": 1, \"name\": 2",
];

/// Applies one to eight random mutations to `base`.
fn mutate(rng: &mut Rng, base: &Input, pool: &[Input]) -> Input {
    let mut bytes = base.bytes.clone();
    for _ in 0..1 + rng.below(8) {
        let len = bytes.len();
        match rng.below(11) {
            0 if len > 0 => {
                let i = rng.below(len);
                bytes[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                bytes[i] = rng.next() as u8;
            }
            2 => {
                let at = rng.below(len + 1);
                let token = TOKENS[rng.below(TOKENS.len())];
                bytes.splice(at..at, token.iter().copied());
            }
            3 if len > 0 => {
                let start = rng.below(len);
                let end = (start + 1 + rng.below(16)).min(len);
                bytes.drain(start..end);
            }
            4 if len > 0 => bytes.truncate(rng.below(len)),
            5 if !pool.is_empty() => {
                // Splice: the head of this input, the tail of another.
                let other = &pool[rng.below(pool.len())].bytes;
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                bytes.truncate(cut);
                bytes.extend_from_slice(&other[from..]);
            }
            6 => {
                // Duplicate a line.
                let lines: Vec<usize> = std::iter::once(0)
                    .chain(
                        bytes
                            .iter()
                            .enumerate()
                            .filter(|(_, b)| **b == b'\n')
                            .map(|(i, _)| i + 1),
                    )
                    .collect();
                let start = lines[rng.below(lines.len())];
                let end = bytes[start..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(bytes.len(), |p| start + p + 1);
                let line = bytes[start..end].to_vec();
                bytes.splice(start..start, line);
            }
            7 => {
                // Swap the delimiter everywhere.
                let (from, to) =
                    [(b',', b';'), (b',', b'\t'), (b';', b','), (b'\n', b'\r')][rng.below(4)];
                for b in &mut bytes {
                    if *b == from {
                        *b = to;
                    }
                }
            }
            8 if len > 0 => {
                // Replace a run of digits with a token.
                let i = rng.below(len);
                if let Some(start) = (i..len).find(|&j| bytes[j].is_ascii_digit()) {
                    let end = (start..len)
                        .find(|&j| !bytes[j].is_ascii_digit())
                        .unwrap_or(len);
                    let token = TOKENS[rng.below(12)];
                    bytes.splice(start..end, token.iter().copied());
                }
            }
            9 if len > 0 => {
                // Repeat a block (long lines, many rows).
                let start = rng.below(len);
                let end = (start + 1 + rng.below(256)).min(len);
                let block = bytes[start..end].to_vec();
                for _ in 0..1 + rng.below(4) {
                    bytes.splice(start..start, block.iter().copied());
                }
            }
            _ => {
                let at = rng.below(len + 1);
                bytes.insert(at, rng.next() as u8);
            }
        }
    }
    bytes.truncate(4 * MAX_SEED_BYTES);
    Input {
        path: base.path.clone(),
        bytes,
    }
}

/// Every file under `dirs` as a seed, named by its path below the directory.
fn load_corpus(dirs: &[PathBuf]) -> Vec<Input> {
    let mut seeds = Vec::new();
    for dir in dirs {
        let mut stack = vec![dir.clone()];
        while let Some(at) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&at) else {
                continue;
            };
            let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            entries.sort();
            for entry in entries {
                if entry.is_dir() {
                    stack.push(entry);
                } else if let Ok(bytes) = std::fs::read(&entry)
                    && bytes.len() <= MAX_SEED_BYTES
                {
                    let rel = entry.strip_prefix(dir).unwrap_or(&entry);
                    seeds.push(Input {
                        path: rel.to_string_lossy().into_owned(),
                        bytes,
                    });
                }
            }
        }
    }
    seeds
}

/// A finding: a panic's message, where it was raised, and the saved input.
struct Crash {
    target: Target,
    message: String,
    saved: PathBuf,
}

fn main() {
    let mut seconds = 60u64;
    let mut seed = 1u64;
    let mut corpus = Vec::new();
    let mut out = std::env::temp_dir().join("chartlens-fuzz");
    let mut replay = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--seconds" => seconds = value().parse().unwrap_or_else(|_| usage("--seconds N")),
            "--seed" => seed = value().parse().unwrap_or_else(|_| usage("--seed N")),
            "--corpus" => corpus.push(PathBuf::from(value())),
            "--out" => out = PathBuf::from(value()),
            "--replay" => replay = Some(PathBuf::from(value())),
            _ => usage(&format!("unknown argument {arg}")),
        }
    }
    if let Some(file) = replay {
        // A saved crash: its first line is the target and path, then the bytes.
        let saved = std::fs::read(&file).unwrap_or_else(|e| usage(&format!("{e}")));
        let (head, bytes) = saved.split_at(saved.iter().position(|b| *b == b'\n').unwrap_or(0));
        let head = String::from_utf8_lossy(head);
        let (name, path) = head.split_once(' ').unwrap_or((&head, ""));
        let target = Target::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .unwrap_or_else(|| usage("not a saved crash"));
        let input = Input {
            path: path.to_string(),
            bytes: bytes.get(1..).unwrap_or_default().to_vec(),
        };
        println!("{}: accepted {}", target.name(), run(target, &input));
        return;
    }
    if corpus.is_empty() {
        corpus.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/data"));
    }
    let mut seeds = load_corpus(&corpus);
    seeds.extend(manifest_seeds());
    if seeds.is_empty() {
        usage("no seed files in the corpus");
    }
    std::fs::create_dir_all(&out).unwrap_or_else(|e| usage(&format!("{}: {e}", out.display())));

    // Panics are findings, reported once each below, not printed as they happen.
    let last_panic = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    {
        let last_panic = last_panic.clone();
        panic::set_hook(Box::new(move |info| {
            let place = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            *last_panic.lock().expect("not poisoned") = format!("{message} at {place}");
        }));
    }

    let mut rng = Rng(seed);
    let mut pool = seeds.clone();
    let started = Instant::now();
    let budget = Duration::from_secs(seconds);
    let mut executions: BTreeMap<Target, u64> = BTreeMap::new();
    let mut accepted: BTreeMap<Target, u64> = BTreeMap::new();
    let mut crashes: Vec<Crash> = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    // The seeds themselves first, then mutants until the time is up.
    let mut round = 0usize;
    while started.elapsed() < budget {
        let target = Target::ALL[round % Target::ALL.len()];
        let input = if round < seeds.len() * Target::ALL.len() {
            seeds[round / Target::ALL.len()].clone()
        } else {
            let base = &pool[rng.below(pool.len())];
            mutate(&mut rng, base, &pool)
        };
        round += 1;
        let at = Instant::now();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| run(target, &input)));
        let took = at.elapsed();
        if took > slowest.0 {
            slowest = (
                took,
                format!("{} on a mutant of {}", target.name(), input.path),
            );
        }
        *executions.entry(target).or_default() += 1;
        match outcome {
            Ok(true) => {
                *accepted.entry(target).or_default() += 1;
                if pool.len() < MAX_POOL && input.bytes.len() <= MAX_SEED_BYTES {
                    pool.push(input);
                }
            }
            Ok(false) => {}
            Err(_) => {
                let message = last_panic.lock().expect("not poisoned").clone();
                if crashes
                    .iter()
                    .any(|c| c.target == target && c.message == message)
                {
                    continue;
                }
                let name = format!(
                    "crash-{}-{}.bin",
                    target.name(),
                    &chartlens_ingest::hash_bytes(&input.bytes)[..12]
                );
                let saved = out.join(name);
                let mut file = format!("{} {}\n", target.name(), input.path).into_bytes();
                file.extend_from_slice(&input.bytes);
                if let Err(e) = std::fs::write(&saved, file) {
                    eprintln!("cannot save {}: {e}", saved.display());
                }
                eprintln!(
                    "CRASH in {}: {message}\n  input saved to {}",
                    target.name(),
                    saved.display()
                );
                crashes.push(Crash {
                    target,
                    message,
                    saved,
                });
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total: u64 = executions.values().sum();
    println!(
        "fuzz: {total} executions in {elapsed:.1}s ({:.0}/s), seed {seed}, {} seed files, \
         {} inputs in the pool, slowest {:.1} ms ({})",
        total as f64 / elapsed.max(1e-9),
        seeds.len(),
        pool.len(),
        slowest.0.as_secs_f64() * 1e3,
        slowest.1
    );
    for (target, n) in &executions {
        println!(
            "  {:<13} {n:>9} executions, {:>8} accepted",
            target.name(),
            accepted.get(target).copied().unwrap_or(0)
        );
    }
    println!("  {} crashes", crashes.len());
    for crash in &crashes {
        println!(
            "  {}: {} ({})",
            crash.target.name(),
            crash.message,
            crash.saved.display()
        );
    }
    if !crashes.is_empty() {
        std::process::exit(1);
    }
}

fn usage(why: &str) -> ! {
    eprintln!(
        "{why}\nusage: fuzz [--seconds N] [--seed N] [--corpus DIR]... [--out DIR] [--replay FILE]"
    );
    std::process::exit(2)
}
