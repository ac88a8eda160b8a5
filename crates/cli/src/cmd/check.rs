//! `chartlens check` and `chartlens repair`: is the store whole, and make it
//! whole again. The work is `chartlens_store::check`; this prints it.

use std::path::Path;

use chartlens_store::WriteOptions;
use chartlens_store::check::{self, Severity};

use crate::args::CheckArgs;
use crate::exit;
use crate::output::{escape, progress_bar, thousands};

pub fn check(store_dir: &Path, args: &CheckArgs) -> anyhow::Result<u8> {
    let progress = progress_bar("{bar:40} {bytes}/{total_bytes} checked  eta {eta}");
    let report = check::check(store_dir, args.deep, &mut |done, total| {
        progress.set_length(total);
        progress.set_position(done);
    })?;
    progress.finish_and_clear();
    for finding in &report.findings {
        let label = match finding.severity {
            Severity::Damage => "damaged",
            Severity::Note => "note",
        };
        println!(
            "{label}: {}: {}",
            escape(&finding.file),
            escape(&finding.problem)
        );
    }
    let damaged = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Damage)
        .count();
    let version = report
        .version
        .map_or("unreadable".to_string(), |v| v.to_string());
    let depth = if args.deep {
        format!(
            ", {} hashed, {} rows read",
            report.hashed,
            thousands(report.rows_read)
        )
    } else {
        String::new()
    };
    println!(
        "{}: version {version}, {} parts ({} bytes){depth}, {} manifests kept for repair: {}",
        store_dir.display(),
        report.parts,
        thousands(report.bytes),
        report.history,
        if damaged == 0 {
            "whole".to_string()
        } else {
            format!(
                "{damaged} problems; `chartlens --store {} repair` fixes them",
                store_dir.display()
            )
        }
    );
    Ok(if report.whole() {
        exit::OK
    } else {
        exit::DAMAGED
    })
}

pub fn repair(store_dir: &Path, write: WriteOptions) -> anyhow::Result<u8> {
    let progress = progress_bar("{bar:40} {pos}/{len} parts summarised  eta {eta}");
    let report = check::repair(store_dir, write, &mut |done, total| {
        progress.set_length(total as u64);
        progress.set_position(done as u64);
    })?;
    progress.finish_and_clear();
    if report.nothing_to_do() {
        println!(
            "{}: nothing to repair (version {}): the manifest, the source index and every part are whole",
            store_dir.display(),
            report.version
        );
        return Ok(exit::OK);
    }
    if let Some(version) = report.rolled_back_to {
        println!(
            "rolled back to version {version}, the newest whose manifest and source index can be read"
        );
    }
    for (file, table, why) in &report.dropped {
        println!("dropped {} (table {table}): {}", escape(file), escape(why));
    }
    if report.rebuilt_summaries {
        println!("rebuilt the summary tables");
    }
    if !report.reingest.is_empty() {
        println!("ingest these files again to have their rows back:");
        for path in &report.reingest {
            println!("  {}", escape(path));
        }
    }
    println!(
        "{}: repaired, now version {}: {} parts dropped, {} files to ingest again",
        store_dir.display(),
        report.version,
        report.dropped.len(),
        report.reingest.len()
    );
    Ok(exit::OK)
}
