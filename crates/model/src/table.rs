//! The table contract: names, types and meaning of every column that chartlens
//! stores. Other tools and later features query these names, so they change only
//! by adding columns. `chartlens tables` prints this text.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// One column of a stored table, with the sentence that documents it.
#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub data_type: DataType,
    pub nullable: bool,
    pub doc: &'static str,
}

/// A stored table and its columns, in order.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub doc: &'static str,
    pub columns: Vec<Column>,
}

impl Table {
    /// The Arrow schema the Parquet files of this table are written with.
    pub fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| Field::new(c.name, c.data_type.clone(), c.nullable))
            .collect();
        Arc::new(Schema::new(fields))
    }
}

fn col(name: &'static str, data_type: DataType, nullable: bool, doc: &'static str) -> Column {
    Column {
        name,
        data_type,
        nullable,
        doc,
    }
}

pub const CHART_ENTRIES: &str = "chart_entries";
pub const INGEST_LOG: &str = "ingest_log";

/// `chart_entries`: one row per position of one published chart.
pub fn chart_entries() -> Table {
    use DataType::{Date32, Int32, Int64, Utf8};
    Table {
        name: CHART_ENTRIES,
        doc: "One row per chart position: which track held which rank in which market and period.",
        columns: vec![
            col(
                "source",
                Utf8,
                false,
                "Platform the chart comes from, e.g. `spotify`.",
            ),
            col(
                "chart",
                Utf8,
                false,
                "Chart name, e.g. `top200`, `viral50`.",
            ),
            col(
                "frequency",
                Utf8,
                true,
                "`daily` or `weekly` when the export or its path says so, else null.",
            ),
            col(
                "region",
                Utf8,
                false,
                "ISO 3166-1 alpha-2 market code in upper case, or `GLOBAL` for the worldwide chart.",
            ),
            col("period_start", Date32, false, "First day the chart covers."),
            col(
                "period_end",
                Date32,
                false,
                "Last day the chart covers; equal to `period_start` for a daily or single-date chart.",
            ),
            col("rank", Int32, false, "Position on the chart, 1 is the top."),
            col(
                "track_id",
                Utf8,
                true,
                "Platform track id (the 22-character Spotify id), null when the chart has none.",
            ),
            col(
                "track_name",
                Utf8,
                false,
                "Track title as printed on the chart.",
            ),
            col(
                "artist_names",
                Utf8,
                false,
                "Artists as credited on the chart, unsplit (e.g. `A, B` or `A & B`).",
            ),
            col(
                "streams",
                Int64,
                true,
                "Streams in the period, null when the chart has none.",
            ),
            col(
                "views",
                Int64,
                true,
                "Views in the period (video charts), null otherwise.",
            ),
            col(
                "source_file",
                Utf8,
                false,
                "Path of the file the row was read from.",
            ),
            col(
                "source_line",
                Int64,
                false,
                "Line of that file the row was read from (1-based).",
            ),
            col(
                "source_hash",
                Utf8,
                false,
                "BLAKE3 hash of the file's content; joins to `ingest_log.content_hash`.",
            ),
        ],
    }
}

/// `ingest_log`: one row per file seen by each ingest run.
pub fn ingest_log() -> Table {
    use DataType::{Int64, Timestamp, Utf8};
    Table {
        name: INGEST_LOG,
        doc: "One row per file seen by each ingest run, with what happened to it and why.",
        columns: vec![
            col(
                "run_id",
                Utf8,
                false,
                "Identifier of the ingest run (its start time).",
            ),
            col(
                "path",
                Utf8,
                false,
                "Path of the file as given or found by the walk.",
            ),
            col(
                "content_hash",
                Utf8,
                true,
                "BLAKE3 hash of the content, null when unreadable.",
            ),
            col(
                "layout",
                Utf8,
                true,
                "Detected layout, e.g. `spotify-legacy-viral`.",
            ),
            col(
                "status",
                Utf8,
                false,
                "`ingested`, `replaced` (ingested, superseding older rows of the same charts), \
                 `unchanged` (content already in the store) or `rejected`.",
            ),
            col(
                "reason",
                Utf8,
                true,
                "Why the file was rejected or skipped.",
            ),
            col(
                "line",
                Int64,
                true,
                "Line the rejection points at, when there is one.",
            ),
            col("rows", Int64, false, "Rows added to `chart_entries`."),
            col(
                "replaced_rows",
                Int64,
                false,
                "Older rows removed because this file superseded them.",
            ),
            col(
                "charts",
                Int64,
                false,
                "Distinct charts (chart, market, period) in the file.",
            ),
            col(
                "ingested_at",
                Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
                "When the file was processed.",
            ),
        ],
    }
}

/// Every stored table, in the order `chartlens tables` lists them.
pub fn all_tables() -> Vec<Table> {
    vec![chart_entries(), ingest_log()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_columns_are_present() {
        let schema = chart_entries().schema();
        for name in [
            "source",
            "chart",
            "region",
            "period_start",
            "period_end",
            "rank",
            "track_id",
            "track_name",
            "artist_names",
            "streams",
            "source_file",
            "source_line",
        ] {
            assert!(schema.field_with_name(name).is_ok(), "{name} missing");
        }
    }
}
