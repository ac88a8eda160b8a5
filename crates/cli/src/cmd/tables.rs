//! `chartlens tables`: the table contract, with row counts of this store.

use std::path::Path;

use chartlens_store::Store;

use crate::exit;
use crate::output::thousands;

pub fn run(store_dir: &Path) -> anyhow::Result<u8> {
    let store = Store::open(store_dir).ok();
    let stored = chartlens_model::table::all_tables()
        .into_iter()
        .map(|t| (t, true));
    let derived = chartlens_model::table::derived_tables()
        .into_iter()
        .map(|t| (t, false));
    for (table, is_stored) in stored.chain(derived) {
        if is_stored {
            let rows = store.as_ref().map_or(0, |s| s.manifest().rows(table.name));
            println!("{} ({} rows): {}", table.name, thousands(rows), table.doc);
        } else {
            println!("{} (derived): {}", table.name, table.doc);
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
