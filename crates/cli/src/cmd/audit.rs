//! `chartlens artists audit`: the placed artists a journalist should check
//! before publishing, those whose evidence is thin or contradicts itself,
//! ranked by the chart entries they carry, each with its evidence and the
//! registry row that settles it (`chartlens_model::audit` defines the flags).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, Int64Array, Int64Builder, RecordBatch, StringArray, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use chartlens_model::audit::{self, ChartPresence, Flag};
use chartlens_model::cohort::Cohorts;
use chartlens_store::Store;
use chartlens_store::derived::Artists;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;

use crate::args::AuditArgs;
use crate::cmd::cohorts::cohort_name;
use crate::exit;
use crate::output;

/// One row of the audit.
struct Row {
    artist: String,
    cohort: String,
    status: String,
    basis: String,
    entries: u64,
    markets: u64,
    flags: Vec<Flag>,
    fix: String,
}

pub async fn run(
    store_dir: &Path,
    cohorts: Cohorts,
    args: &AuditArgs,
    limits: &chartlens_store::Limits,
) -> anyhow::Result<u8> {
    let only = match args.cohort.as_deref() {
        Some(name) => match cohort_name(&cohorts, name)? {
            Some(name) => Some(name),
            None => anyhow::bail!("--cohort none: artists in no cohort have no placement to audit"),
        },
        None => None,
    };
    let store = super::open_store(store_dir, limits)?;
    let artists = Arc::new(store.artists(cohorts)?);
    if args.show_sql {
        eprintln!("{}\n", audit::PRESENCE_SQL);
    }
    let presence = presence(&store, &artists).await?;
    let rows = rows(
        &artists,
        &presence,
        only.as_deref(),
        args.held,
        !args.doubtful,
    );
    let placed_rows = || rows.iter().filter(|r| r.status == "placed");
    let sum = |rows: &mut dyn Iterator<Item = &Row>| {
        rows.fold((0u64, 0u64), |(n, e), r| (n + 1, e + r.entries))
    };
    let (flagged, entries) = sum(&mut placed_rows());
    let (doubted, doubted_entries) =
        sum(&mut placed_rows().filter(|r| r.flags.iter().any(|f| f.kind.is_doubt())));
    let batch = to_batch(&rows)?;
    let stream = RecordBatchStreamAdapter::new(batch.schema(), futures::stream::iter([Ok(batch)]));
    output::print_stream(Box::pin(stream), args.format, args.max_rows).await?;

    let placed = artists
        .classification
        .cohort
        .iter()
        .flatten()
        .filter(|&&c| {
            only.as_deref()
                .is_none_or(|o| artists.cohorts.cohorts[c].name == o)
        })
        .count();
    eprintln!(
        "{} of {} placed artists flagged, carrying {} chart entries: {} with a reason to doubt \
         ({} entries){}. A registry row (name,country,genres,aliases; `chartlens artists \
         import`) decides over every list: the `fix` column gives one to confirm each, with ?? \
         where the origin is unknown; change the country for a namesake.",
        output::thousands(flagged),
        output::thousands(placed as u64),
        output::thousands(entries),
        output::thousands(doubted),
        output::thousands(doubted_entries),
        match (args.held, args.doubtful) {
            (_, false) => ", the others resting on one file (--doubtful leaves them out)",
            (false, true) => "; --held also lists the artists the evidence kept out of a cohort",
            (true, true) => "",
        }
    );
    Ok(exit::OK)
}

/// Chart presence per artist id, from [`audit::PRESENCE_SQL`].
async fn presence(
    store: &Store,
    artists: &Arc<Artists>,
) -> anyhow::Result<HashMap<usize, Vec<ChartPresence>>> {
    let ctx = store.session_with(artists.clone())?;
    let batches = ctx.sql(audit::PRESENCE_SQL).await?.collect().await?;
    let mut out: HashMap<usize, Vec<ChartPresence>> = HashMap::new();
    for batch in &batches {
        let int = |i: usize| -> anyhow::Result<Int64Array> {
            let cast = arrow::compute::cast(batch.column(i), &DataType::Int64)?;
            Ok(cast
                .as_any()
                .downcast_ref::<Int64Array>()
                .cloned()
                .expect("cast to Int64"))
        };
        let text = |i: usize| -> anyhow::Result<StringArray> {
            let cast = arrow::compute::cast(batch.column(i), &DataType::Utf8)?;
            Ok(cast
                .as_any()
                .downcast_ref::<StringArray>()
                .cloned()
                .expect("cast to Utf8"))
        };
        let (id, source, chart) = (int(0)?, text(1)?, text(2)?);
        let (entries, markets, home, home_in_chart) = (int(3)?, int(4)?, int(5)?, int(6)?);
        let n = |a: &Int64Array, row: usize| u64::try_from(a.value(row)).unwrap_or(0);
        for row in 0..batch.num_rows() {
            out.entry(id.value(row) as usize)
                .or_default()
                .push(ChartPresence {
                    source: source.value(row).to_string(),
                    chart: chart.value(row).to_string(),
                    entries: n(&entries, row),
                    markets: n(&markets, row),
                    home_entries: n(&home, row),
                    home_in_chart: home_in_chart.is_valid(row) && home_in_chart.value(row) == 1,
                });
        }
    }
    Ok(out)
}

/// The audit's rows, most chart entries first.
fn rows(
    artists: &Artists,
    presence: &HashMap<usize, Vec<ChartPresence>>,
    only: Option<&str>,
    held: bool,
    thin: bool,
) -> Vec<Row> {
    let cohorts = &artists.cohorts;
    let mut rows = Vec::new();
    for artist in &artists.registry.artists {
        let id = artist.id;
        let charts = presence.get(&id).map(Vec::as_slice).unwrap_or_default();
        let entries = charts.iter().map(|p| p.entries).sum();
        let markets = charts.iter().map(|p| p.markets).max().unwrap_or(0);
        let (cohort, status, mut flags) = match (
            artists.classification.cohort[id],
            &artists.classification.held[id],
        ) {
            (Some(c), _) => (
                c,
                "placed".to_string(),
                artists.flags[id]
                    .iter()
                    .filter(|f| thin || f.kind.is_doubt())
                    .cloned()
                    .collect(),
            ),
            (None, Some(h)) if held => (
                h.cohort,
                "held back".to_string(),
                vec![Flag {
                    kind: audit::FlagKind::HeldBack,
                    detail: h.why.clone(),
                }],
            ),
            _ => continue,
        };
        let cohort_name = cohorts.cohorts[cohort].name.as_str();
        if only.is_some_and(|o| o != cohort_name) {
            continue;
        }
        if status == "placed"
            && let Some(flag) = audit::home_absent(artist, artists.classification.basis[id], charts)
        {
            flags.push(flag);
        }
        if flags.is_empty() {
            continue;
        }
        rows.push(Row {
            artist: artist.name.clone(),
            cohort: cohort_name.to_string(),
            status,
            basis: artists.classification.basis[id]
                .map_or("none", |b| b.as_str())
                .to_string(),
            entries,
            markets,
            flags,
            fix: audit::registry_fix(cohorts, artist, cohort),
        });
    }
    rows.sort_by(|a, b| {
        b.entries
            .cmp(&a.entries)
            .then_with(|| a.artist.cmp(&b.artist))
    });
    rows
}

fn to_batch(rows: &[Row]) -> anyhow::Result<RecordBatch> {
    let text_fields = ["artist", "cohort", "status", "basis"];
    let mut fields: Vec<Field> = text_fields
        .iter()
        .map(|n| Field::new(*n, DataType::Utf8, false))
        .collect();
    fields.extend([
        Field::new("entries", DataType::Int64, false),
        Field::new("markets", DataType::Int64, false),
        Field::new("flags", DataType::Utf8, false),
        Field::new("evidence", DataType::Utf8, false),
        Field::new("fix", DataType::Utf8, false),
    ]);
    let mut text: Vec<StringBuilder> = (0..text_fields.len())
        .map(|_| StringBuilder::new())
        .collect();
    let (mut entries, mut markets) = (Int64Builder::new(), Int64Builder::new());
    let (mut flags, mut evidence, mut fix) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
    );
    for row in rows {
        for (builder, value) in
            text.iter_mut()
                .zip([&row.artist, &row.cohort, &row.status, &row.basis])
        {
            builder.append_value(value);
        }
        entries.append_value(i64::try_from(row.entries).unwrap_or(i64::MAX));
        markets.append_value(i64::try_from(row.markets).unwrap_or(i64::MAX));
        let kinds: Vec<&str> = row.flags.iter().map(|f| f.kind.as_str()).collect();
        flags.append_value(kinds.join(";"));
        let details: Vec<&str> = row.flags.iter().map(|f| f.detail.as_str()).collect();
        evidence.append_value(details.join("; "));
        fix.append_value(&row.fix);
    }
    let mut columns: Vec<Arc<dyn Array>> = text
        .into_iter()
        .map(|mut b| Arc::new(b.finish()) as Arc<dyn Array>)
        .collect();
    columns.push(Arc::new(entries.finish()));
    columns.push(Arc::new(markets.finish()));
    columns.push(Arc::new(flags.finish()));
    columns.push(Arc::new(evidence.finish()));
    columns.push(Arc::new(fix.finish()));
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}
