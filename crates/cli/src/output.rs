//! Printing query results as a terminal table, CSV or JSON, streaming where the
//! format allows so large results never sit in memory whole.

use std::io::{self, IsTerminal, Write};

use anyhow::Context;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;

use crate::args::Format;

tokio::task_local! {
    /// What a command prints when `serve` runs it: its results go here, not
    /// to standard output, so the server answers with exactly the bytes the
    /// command line prints.
    static CAPTURE: std::cell::RefCell<Vec<u8>>;
}

/// Runs `command` with its results captured, and returns them with its outcome.
pub async fn captured<T>(command: impl Future<Output = T>) -> (T, Vec<u8>) {
    CAPTURE
        .scope(std::cell::RefCell::new(Vec::new()), async {
            let outcome = command.await;
            (outcome, CAPTURE.with(|buffer| buffer.take()))
        })
        .await
}

/// Writes results: to the capture of [`captured`] when there is one, else
/// to standard output. `outln!` is its `println!`.
pub fn write_out(args: std::fmt::Arguments<'_>) -> io::Result<()> {
    match CAPTURE.try_with(|buffer| buffer.borrow_mut().write_fmt(args)) {
        Ok(written) => written,
        Err(_) => io::stdout().lock().write_fmt(args),
    }
}

/// `println!` for results, through [`write_out`]; an error writing them (a
/// closed pipe) is returned to the command.
macro_rules! outln {
    () => {
        $crate::output::write_out(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::output::write_out(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// `print!` for results, as `outln!`.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_out(format_args!($($arg)*))?
    };
}

/// `text` with control characters (a newline in a file name, say) escaped,
/// so that one message stays one line.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// A progress bar on stderr with `template`, hidden unless stderr is a
/// terminal (so pipes and logs get only the closing summary line).
pub fn progress_bar(template: &str) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
    bar
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Prints a result stream. `table` shows at most `max_rows` rows and says
/// how many it left out, holding only those rows while it counts the rest;
/// `csv`, `json` and `jsonl` print every row as it comes.
pub async fn print_stream(
    stream: SendableRecordBatchStream,
    format: Format,
    max_rows: usize,
) -> anyhow::Result<()> {
    if CAPTURE.try_with(|_| ()).is_ok() {
        let mut buffer = Vec::new();
        write_stream(stream, format, max_rows, &mut buffer).await?;
        CAPTURE.with(|capture| capture.borrow_mut().extend_from_slice(&buffer));
        return Ok(());
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    write_stream(stream, format, max_rows, &mut out).await?;
    out.flush().context("writing results")
}

/// [`print_stream`] into `out`.
async fn write_stream(
    mut stream: SendableRecordBatchStream,
    format: Format,
    max_rows: usize,
    mut out: impl Write,
) -> anyhow::Result<()> {
    let schema: SchemaRef = stream.schema();
    match format {
        Format::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            writer.write(&RecordBatch::new_empty(schema))?;
            while let Some(batch) = stream.next().await {
                writer.write(&batch?)?;
            }
        }
        Format::Json => {
            let mut writer = arrow::json::ArrayWriter::new(&mut out);
            let mut rows = 0;
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                rows += batch.num_rows();
                writer.write(&batch)?;
            }
            if rows == 0 {
                drop(writer);
                out.write_all(b"[]")?;
            } else {
                writer.finish()?;
            }
            out.write_all(b"\n")?;
        }
        Format::Jsonl => {
            let mut writer = arrow::json::LineDelimitedWriter::new(&mut out);
            while let Some(batch) = stream.next().await {
                writer.write(&batch?)?;
            }
            writer.finish()?;
        }
        Format::Table => {
            let mut shown = Vec::new();
            let (mut kept, mut total) = (0usize, 0usize);
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                total += batch.num_rows();
                let take = batch.num_rows().min(max_rows - kept.min(max_rows));
                if take > 0 {
                    // A copy of the rows shown, not a slice: a slice would
                    // keep the whole batch's buffers alive.
                    let rows = arrow::array::UInt32Array::from_iter_values(0..take as u32);
                    shown.push(arrow::compute::take_record_batch(&batch, &rows)?);
                    kept += take;
                }
            }
            if shown.is_empty() {
                shown.push(RecordBatch::new_empty(schema));
            }
            let table = arrow::util::pretty::pretty_format_batches(&shown)?;
            writeln!(out, "{table}")?;
            if total > kept {
                writeln!(
                    out,
                    "({} of {} rows shown; pass --max-rows or use --format csv for all)",
                    thousands(kept as u64),
                    thousands(total as u64)
                )?;
            } else {
                writeln!(out, "({} rows)", thousands(total as u64))?;
            }
        }
    }
    Ok(())
}

/// The first `rows` rows of `stream`; the rest is never asked for, so the
/// query stops there.
pub fn first_rows(stream: SendableRecordBatchStream, rows: usize) -> SendableRecordBatchStream {
    let schema = stream.schema();
    let limited = futures::stream::unfold((stream, rows), |(mut stream, left)| async move {
        if left == 0 {
            return None;
        }
        match stream.next().await? {
            Ok(batch) => {
                let take = batch.num_rows().min(left);
                Some((Ok(batch.slice(0, take)), (stream, left - take)))
            }
            Err(e) => Some((Err(e), (stream, 0))),
        }
    });
    Box::pin(datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(schema, limited))
}

/// Runs a query and prints its result.
pub async fn run_query(
    ctx: &datafusion::prelude::SessionContext,
    query: &str,
    format: Format,
    max_rows: usize,
) -> anyhow::Result<()> {
    let stream = ctx.sql(query).await?.execute_stream().await?;
    print_stream(stream, format, max_rows).await
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
