//! `chartlens tables`: the table contract, with row counts of this store.

use std::path::Path;

use chartlens_model::table;
use chartlens_store::Store;

use crate::args::DocFormat;
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

pub fn run(store_dir: &Path, format: DocFormat) -> anyhow::Result<u8> {
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
    let mut json = Vec::new();
    for (table, kind) in stored.chain(kept).chain(derived) {
        let count = store.as_ref().map_or(0, |s| s.manifest().rows(table.name));
        let damaged = store.as_ref().map_or(0, |s| {
            let parts = s.manifest().parts(table.name);
            parts
                .iter()
                .filter(|p| chartlens_store::integrity::inspect(s.root(), p, false).is_err())
                .count()
        });
        let stale =
            matches!(kind, Kind::Summary) && store.as_ref().is_some_and(Store::summaries_stale);
        if format == DocFormat::Json {
            let columns: Vec<serde_json::Value> = table
                .columns
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "name": c.name,
                        "type": c.data_type.to_string(),
                        "nullable": c.nullable,
                        "doc": c.doc,
                    })
                })
                .collect();
            let (kind, rows) = match kind {
                Kind::Stored => ("stored", Some(count)),
                Kind::Summary => ("summary", Some(count)),
                Kind::Derived => ("derived", None),
            };
            json.push(serde_json::json!({
                "name": table.name,
                "kind": kind,
                "rows": rows,
                "damaged_parts": damaged,
                "stale": stale,
                "doc": table.doc,
                "columns": columns,
            }));
            continue;
        }
        let rows = if damaged == 0 {
            format!("{} rows", thousands(count))
        } else {
            format!(
                "{} rows listed, {damaged} parts missing or damaged: `chartlens check`",
                thousands(count)
            )
        };
        match kind {
            Kind::Stored => outln!("{} ({rows}): {}", table.name, table.doc),
            Kind::Summary => {
                let state = if !stale {
                    rows
                } else {
                    "stale: built in memory by the queries that read it, until the next ingest or compact"
                        .to_string()
                };
                outln!("{} ({state}): {}", table.name, table.doc);
            }
            Kind::Derived => outln!("{} (derived): {}", table.name, table.doc),
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
            outln!("  {:width$}  {:28}  {}", column.name, kind, column.doc);
        }
        outln!();
    }
    if format == DocFormat::Json {
        let out = serde_json::json!({"store_exists": store.is_some(), "tables": json});
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(exit::OK);
    }
    if store.is_none() {
        outln!("(no store at {} yet: counts are zero)", store_dir.display());
    }
    Ok(exit::OK)
}
