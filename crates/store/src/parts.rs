//! Reading and writing one Parquet part of a table, and the row filters used
//! when a newer file replaces charts held in older parts.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, BooleanArray, Date32Array, RecordBatch, StringArray};
use arrow::compute::{SortColumn, SortOptions};
use arrow::compute::{concat_batches, filter_record_batch, lexsort_to_indices, take_record_batch};
use arrow::datatypes::SchemaRef;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::StoreError;
use crate::integrity::{self, HashingWriter};
use crate::manifest::Part;

/// Rows per Parquet row group: small enough that date and market filters skip
/// most of a large part, large enough to keep per-group overhead low.
const ROW_GROUP_ROWS: usize = 131_072;

/// Identity of one chart: (source, chart, region, period_start, period_end).
pub type ChartId = (String, String, String, NaiveDate, NaiveDate);

/// Writes `batches` as one Parquet file at `root/rel`, synced to disk.
pub fn write_part(
    root: &Path,
    rel: &str,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    sources: Vec<u64>,
) -> Result<Part, StoreError> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    }
    let written = write_parquet(&path, rel, schema, batches, sources);
    if written.is_err() {
        // A part that could not be written whole (a full disk) goes at
        // once, so that the space is free for what comes next.
        let _ = fs::remove_file(&path);
    }
    written
}

fn write_parquet(
    path: &Path,
    rel: &str,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    sources: Vec<u64>,
) -> Result<Part, StoreError> {
    let path = path.to_path_buf();
    let file = File::create(&path).map_err(|e| StoreError::io(&path, e))?;
    let file = HashingWriter::new(std::io::BufWriter::with_capacity(1 << 20, file));
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(1).expect("level 1 is valid"),
        ))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
        .map_err(|e| StoreError::parquet(&path, e))?;
    let mut rows = 0u64;
    for batch in batches {
        rows += batch.num_rows() as u64;
        writer
            .write(batch)
            .map_err(|e| StoreError::parquet(&path, e))?;
    }
    let (file, hash) = writer
        .into_inner()
        .map_err(|e| StoreError::parquet(&path, e))?
        .finish();
    let file = file
        .into_inner()
        .map_err(|e| StoreError::io(&path, e.into_error()))?;
    file.sync_all().map_err(|e| StoreError::io(&path, e))?;
    let bytes = file.metadata().map_err(|e| StoreError::io(&path, e))?.len();
    Ok(Part {
        file: rel.to_string(),
        rows,
        bytes,
        hash: Some(hash),
        sources,
    })
}

/// Opens a part for reading once it is verified ([`integrity::verify`]).
pub fn open_part(root: &Path, part: &Part) -> Result<File, StoreError> {
    integrity::verify(root, part)?;
    let path = root.join(&part.file);
    File::open(&path).map_err(|e| StoreError::io(&path, e))
}

/// Reads a whole part back into memory.
pub fn read_part(root: &Path, part: &Part) -> Result<Vec<RecordBatch>, StoreError> {
    let path = root.join(&part.file);
    let file = open_part(root, part)?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(65_536).build())
        .map_err(|e| StoreError::parquet(&path, e))?;
    reader
        .map(|b| b.map_err(|e| StoreError::parquet(&path, e.into())))
        .collect()
}

/// `batch` with the columns of `schema`, in its order: columns an older part
/// lacks (the contract only ever adds nullable ones) become nulls.
pub fn adapt(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, StoreError> {
    if batch.schema().fields() == schema.fields() {
        return Ok(batch.clone());
    }
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) => Ok(Arc::clone(column)),
            None if field.is_nullable() => Ok(arrow::array::new_null_array(
                field.data_type(),
                batch.num_rows(),
            )),
            None => Err(arrow::error::ArrowError::SchemaError(format!(
                "a stored part lacks the column {}",
                field.name()
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Removes from `batch` the rows of the given charts coming from the given
/// source files (by content hash). Other rows, including rows of the same
/// charts from other files, stay.
pub fn drop_charts(
    batch: &RecordBatch,
    doomed: &HashMap<String, HashSet<ChartId>>,
) -> Result<RecordBatch, StoreError> {
    let text = |name: &str| -> Result<&StringArray, StoreError> {
        batch
            .column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .ok_or_else(|| {
                arrow::error::ArrowError::SchemaError(format!("no text column {name}")).into()
            })
    };
    let date = |name: &str| -> Result<&Date32Array, StoreError> {
        batch
            .column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<Date32Array>())
            .ok_or_else(|| {
                arrow::error::ArrowError::SchemaError(format!("no date column {name}")).into()
            })
    };
    let (hash, source, chart, region) = (
        text("source_hash")?,
        text("source")?,
        text("chart")?,
        text("region")?,
    );
    let (start, end) = (date("period_start")?, date("period_end")?);
    let keep: BooleanArray = (0..batch.num_rows())
        .map(|i| {
            let Some(keys) = doomed.get(hash.value(i)) else {
                return Some(true);
            };
            let id = (
                source.value(i).to_string(),
                chart.value(i).to_string(),
                region.value(i).to_string(),
                chartlens_model::chart::date_from_days(start.value(i)),
                chartlens_model::chart::date_from_days(end.value(i)),
            );
            Some(!keys.contains(&id))
        })
        .collect();
    Ok(filter_record_batch(batch, &keep)?)
}

/// Concatenates batches and sorts them by the named columns, so a compacted
/// part keeps each chart's rows together and its row groups prune well.
pub fn sort_batches(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    by: &[&str],
) -> Result<RecordBatch, StoreError> {
    let all = concat_batches(schema, batches)?;
    if by.is_empty() || all.num_rows() == 0 {
        return Ok(all);
    }
    let columns: Vec<SortColumn> = by
        .iter()
        .filter_map(|name| all.column_by_name(name))
        .map(|values| SortColumn {
            values: Arc::clone(values),
            options: Some(SortOptions::default()),
        })
        .collect();
    let indices = lexsort_to_indices(&columns, None)?;
    Ok(take_record_batch(&all, &indices)?)
}
