//! `chartlens export`: chart entries in the interchange layout (CSV or
//! Parquet), which `chartlens ingest` reads back into the same table.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chartlens_ingest::interchange::{CONTENT_HASH_KEY, ContentHash, OPTIONAL, REQUIRED};
use futures::StreamExt;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::args::{ExportArgs, ExportFormat, row_filters};
use crate::exit;
use crate::output::thousands;

/// The interchange columns, in the order export writes them: the required
/// ones, then the optional ones.
fn columns() -> Vec<&'static str> {
    REQUIRED.iter().chain(OPTIONAL.iter()).copied().collect()
}

/// The SQL that selects what to export: the metric filters' conditions (one
/// definition of source, chart, market and period), plus `--where`.
fn query(args: &ExportArgs) -> anyhow::Result<String> {
    let filters = row_filters(
        &args.source,
        &args.chart,
        "region",
        &args.region,
        args.period.as_deref(),
    )?;
    let extra = match &args.filter {
        Some(condition) => format!(" AND ({condition})"),
        None => String::new(),
    };
    Ok(format!(
        "SELECT {} FROM chart_entries e WHERE {}{extra} \
         ORDER BY source, chart, region, period_start, period_end, rank",
        columns().join(", "),
        filters.condition()
    ))
}

pub async fn run(
    store_dir: &Path,
    args: &ExportArgs,
    limits: &chartlens_store::Limits,
) -> anyhow::Result<u8> {
    let store = super::open_store(store_dir, limits)?;
    let sql = query(args)?;
    let extension = match args.format {
        ExportFormat::Csv => "csv",
        ExportFormat::Parquet => "parquet",
    };
    let out: PathBuf = if args.out.is_dir() || args.out.extension().is_none() {
        fs::create_dir_all(&args.out)
            .with_context(|| format!("creating {}", args.out.display()))?;
        args.out.join(format!("chart_entries.{extension}"))
    } else {
        args.out.clone()
    };
    if out.exists() && !args.force {
        bail!("{} exists; pass --force to replace it", out.display());
    }
    // Written next to the target and renamed into place when complete.
    let partial = out.with_extension(format!("{extension}.partial"));
    let ctx = store.session()?;
    let rows = async {
        let mut stream = ctx.sql(&sql).await?.execute_stream().await?;
        let schema = stream.schema();
        let file =
            File::create(&partial).with_context(|| format!("creating {}", partial.display()))?;
        let mut rows = 0u64;
        match args.format {
            ExportFormat::Csv => {
                let mut writer = arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(file);
                writer.write(&arrow::array::RecordBatch::new_empty(schema))?;
                while let Some(batch) = stream.next().await {
                    let batch = batch?;
                    rows += batch.num_rows() as u64;
                    writer.write(&batch)?;
                }
                writer.into_inner().sync_all()?;
            }
            ExportFormat::Parquet => {
                let props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
                    .build();
                let mut writer = ArrowWriter::try_new(file, schema, Some(props))?;
                let mut content = ContentHash::default();
                while let Some(batch) = stream.next().await {
                    let batch = batch?;
                    rows += batch.num_rows() as u64;
                    content.add_batch(&batch)?;
                    writer.write(&batch)?;
                }
                writer.append_key_value_metadata(KeyValue::new(
                    CONTENT_HASH_KEY.to_string(),
                    content.finish(),
                ));
                writer.into_inner()?.sync_all()?;
            }
        }
        anyhow::Ok(rows)
    }
    .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => {
            let _ = fs::remove_file(&partial);
            return Err(e);
        }
    };
    fs::rename(&partial, &out)
        .with_context(|| format!("moving the export to {}", out.display()))?;
    println!(
        "exported {} chart entries to {}",
        thousands(rows),
        out.display()
    );
    Ok(exit::OK)
}
