//! `chartlens tables`: the table contract, with row counts of this store.

use std::path::Path;

use chartlens_store::Store;

use crate::exit;
use crate::output::thousands;

pub fn run(store_dir: &Path) -> anyhow::Result<u8> {
    let store = Store::open(store_dir).ok();
    for table in chartlens_model::table::all_tables() {
        let rows = store.as_ref().map_or(0, |s| s.manifest().rows(table.name));
        println!("{} ({} rows): {}", table.name, thousands(rows), table.doc);
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
