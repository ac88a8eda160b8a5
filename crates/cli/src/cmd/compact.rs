//! `chartlens compact`: merge every table's small parts now, instead of
//! waiting for an ingest to find enough of them, and bring the summary tables
//! up to date (what upgrades a store an older chartlens wrote).

use std::path::Path;

use chartlens_model::table;
use chartlens_store::{Store, WriteOptions};

use crate::exit;

pub fn run(store_dir: &Path, write: WriteOptions) -> anyhow::Result<u8> {
    let store = Store::open(store_dir)?;
    let mut writer = store.writer(write)?;
    let merged = writer.compact(true)?;
    let manifest = writer.finish()?;
    let counts: Vec<String> = table::all_tables()
        .iter()
        .chain(&table::summary_tables())
        .map(|t| format!("{} {} parts", t.name, manifest.parts(t.name).len()))
        .collect();
    println!("merged {merged} parts; now {}", counts.join(", "));
    Ok(exit::OK)
}
