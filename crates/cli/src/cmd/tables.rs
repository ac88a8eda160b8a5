//! `chartlens tables`: the table contract, with row counts of this store.

use std::path::Path;

use chartlens_model::table;
use chartlens_store::Store;

use crate::exit;
use crate::output::thousands;

/// How a table comes to be.
enum Kind {
    /// Written by ingest.
    Stored,
    /// Kept in step with `chart_entries` by the writer.
    Summary,
    /// Computed when a query reads it.
    Derived,
}

pub fn run(store_dir: &Path) -> anyhow::Result<u8> {
    // No store yet: the contract alone. A store that cannot be read is an
    // error, not a store of empty tables.
    let store = match Store::open(store_dir) {
        Ok(store) => Some(store),
        Err(chartlens_store::StoreError::Missing { .. }) => None,
        Err(err) => return Err(err.into()),
    };
    let stored = table::all_tables().into_iter().map(|t| (t, Kind::Stored));
    let kept = table::summary_tables()
        .into_iter()
        .map(|t| (t, Kind::Summary));
    let derived = table::derived_tables()
        .into_iter()
        .map(|t| (t, Kind::Derived));
    for (table, kind) in stored.chain(kept).chain(derived) {
        let rows = store.as_ref().map_or(0, |s| s.manifest().rows(table.name));
        let damaged = store.as_ref().map_or(0, |s| {
            let parts = s.manifest().parts(table.name);
            parts
                .iter()
                .filter(|p| chartlens_store::integrity::inspect(s.root(), p, false).is_err())
                .count()
        });
        let rows = if damaged == 0 {
            format!("{} rows", thousands(rows))
        } else {
            format!(
                "{} rows listed, {damaged} parts missing or damaged: `chartlens check`",
                thousands(rows)
            )
        };
        match kind {
            Kind::Stored => println!("{} ({rows}): {}", table.name, table.doc),
            Kind::Summary => {
                let state = if !store.as_ref().is_some_and(Store::summaries_stale) {
                    rows
                } else {
                    "stale: built in memory by the queries that read it, until the next ingest or compact"
                        .to_string()
                };
                println!("{} ({state}): {}", table.name, table.doc);
            }
            Kind::Derived => println!("{} (derived): {}", table.name, table.doc),
        }
        let width = table
            .columns
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0);
        for column in &table.columns {
            let null = if column.nullable { "" } else { " not null" };
            let kind = format!("{}{null}", column.data_type);
            println!("  {:width$}  {:28}  {}", column.name, kind, column.doc);
        }
        println!();
    }
    if store.is_none() {
        println!("(no store at {} yet: counts are zero)", store_dir.display());
    }
    Ok(exit::OK)
}
