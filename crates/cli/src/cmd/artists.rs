//! `chartlens artists`: import artist lists, and see who is in which cohort
//! and why. Listing and coverage are SQL over the derived `artists` and
//! `credits` tables (`--show-sql` prints it), so every figure can be
//! re-run and traced with `chartlens sql`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::bail;
use arrow::array::cast::as_primitive_array;
use arrow::datatypes::Int64Type;
use chartlens_ingest::artist_lists;
use chartlens_ingest::path::display;
use chartlens_metrics::{self as metrics, Filters, sql_text};
use chartlens_model::cohort::{Cohorts, Effect};
use chartlens_model::registry::{MatchedBy, Registry, Resolution, builtin_facts};
use chartlens_model::table::ARTIST_FACTS;
use chartlens_store::derived::Artists;
use chartlens_store::{Limits, LogEntry, Status, Store, WriteOptions};
use datafusion::prelude::SessionContext;
use serde_json::json;

use super::cohorts::{cohort_name, load_cohorts};
use crate::args::{
    ArtistsCommand, CoverageArgs, CoverageView, ExplainArgs, ExplainFormat, Format, ImportArgs,
    ListArgs, MetricFilters,
};
use crate::exit;
use crate::output::{self, thousands};

pub async fn run(
    store_dir: &Path,
    cohorts: Option<&Path>,
    command: &ArtistsCommand,
    write: WriteOptions,
    limits: &Limits,
) -> anyhow::Result<u8> {
    match command {
        ArtistsCommand::Import(args) => import(store_dir, cohorts, args, write),
        ArtistsCommand::Explain(args) => explain(store_dir, cohorts, args, limits).await,
        ArtistsCommand::List(args) => list(store_dir, cohorts, args, limits).await,
        ArtistsCommand::Coverage(args) => coverage(store_dir, cohorts, args, limits).await,
        ArtistsCommand::Audit(args) => {
            let (cohorts, _) = load_cohorts(store_dir, cohorts)?;
            crate::cmd::audit::run(store_dir, cohorts, args, limits).await
        }
        ArtistsCommand::Cohorts => {
            let (cohorts, origin) = load_cohorts(store_dir, cohorts)?;
            eprintln!("# in force: {origin}");
            out!("{}", cohorts.text);
            Ok(exit::OK)
        }
    }
}

/// The classified registry of the store, or of the built-in registry alone
/// when there is no store yet.
fn load_artists(
    store_dir: &Path,
    cohorts: Cohorts,
    limits: &Limits,
) -> anyhow::Result<(Option<Store>, Arc<Artists>)> {
    match Store::open(store_dir) {
        Ok(store) => {
            let store = store.with_limits(*limits);
            let artists = store.artists(cohorts)?;
            Ok((Some(store), Arc::new(artists)))
        }
        Err(chartlens_store::StoreError::Missing { .. }) => {
            let artists = Artists::new(Registry::build(builtin_facts()), cohorts);
            Ok((None, Arc::new(artists)))
        }
        Err(e) => Err(e.into()),
    }
}

fn import(
    store_dir: &Path,
    cohorts: Option<&Path>,
    args: &ImportArgs,
    write: WriteOptions,
) -> anyhow::Result<u8> {
    // Fail on a bad cohort file before writing anything.
    let (cohorts, _) = load_cohorts(store_dir, cohorts)?;
    let store = Store::open_or_create(store_dir)?;
    let exclude: Vec<PathBuf> = store_dir.canonicalize().into_iter().collect();
    let found = chartlens_ingest::discover(&args.paths, &exclude)
        .map_err(|(path, e)| anyhow::anyhow!("{}: {e}", display(&path)))?;
    let mut writer = store.writer(write)?;
    let mut counts: BTreeMap<Status, u64> = BTreeMap::new();
    let mut skipped = 0u64;
    for (path, err) in &found.unreadable {
        // Through `Reject` so the message prints on one line.
        let shown =
            chartlens_ingest::Reject::new(chartlens_ingest::RejectKind::Io, None, err.clone());
        eprintln!("rejected {}: {shown}", display(path));
        writer.log(LogEntry::rejected(
            &display(path),
            None,
            err.to_string(),
            None,
        ));
        *counts.entry(Status::Rejected).or_default() += 1;
    }
    for path in &found.files {
        let display = display(path);
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("rejected {display}: {e}");
                writer.log(LogEntry::rejected(&display, None, e.to_string(), None));
                *counts.entry(Status::Rejected).or_default() += 1;
                continue;
            }
        };
        let hash = chartlens_ingest::hash_bytes(&bytes);
        let list = match artist_lists::read_bytes(&bytes) {
            Ok(list) => list,
            Err(reject) => {
                eprintln!("rejected {display}: {reject}");
                writer.log(LogEntry::rejected(
                    &display,
                    Some(&hash),
                    reject.message.clone(),
                    reject.line,
                ));
                *counts.entry(Status::Rejected).or_default() += 1;
                continue;
            }
        };
        let batch = list.to_batch(&display, &hash)?;
        let entry =
            writer.add_whole_file(ARTIST_FACTS, &display, &hash, list.layout.name(), batch)?;
        *counts.entry(entry.status).or_default() += 1;
        if !args.quiet {
            let what = match entry.status {
                Status::Unchanged => entry.reason.clone().unwrap_or_default(),
                Status::Replaced => format!(
                    "{} facts, replacing {} from the earlier file",
                    thousands(entry.rows),
                    thousands(entry.replaced_rows)
                ),
                _ => format!("{} facts", thousands(entry.rows)),
            };
            outln!("{display}: {} ({what})", list.layout.name());
            if !list.skipped.is_empty() {
                outln!(
                    "  {} values not used (the list's other facts kept; warnings on stderr)",
                    thousands(list.skipped.len() as u64)
                );
            }
        }
        // A value left out costs only itself, but the user must hear of it.
        for (line, why) in &list.skipped {
            // Through `Reject` so that the reason prints on one line.
            let why =
                chartlens_ingest::Reject::new(chartlens_ingest::RejectKind::Row, None, why.clone());
            eprintln!("warning: {display}:{line}: {why} (left out; the rest of the list kept)");
        }
        skipped += list.skipped.len() as u64;
    }
    writer.finish()?;
    let summary: Vec<String> = counts
        .iter()
        .map(|(status, n)| format!("{} {}", thousands(*n), status.as_str()))
        .collect();
    outln!("artist lists: {}", summary.join(", "));
    if skipped > 0 {
        outln!(
            "{} values not used (unknown country, bad id, no name), each on stderr with its file and line",
            thousands(skipped)
        );
    }
    let (_, artists) = load_artists(store_dir, cohorts, &Limits::default())?;
    print_registry_summary(&artists)?;
    let rejected = counts.get(&Status::Rejected).copied().unwrap_or(0);
    Ok(if rejected > 0 {
        exit::REJECTED
    } else {
        exit::OK
    })
}

fn print_registry_summary(artists: &Artists) -> std::io::Result<()> {
    let mut per_cohort = vec![0u64; artists.cohorts.cohorts.len()];
    let mut none = 0u64;
    for cohort in &artists.classification.cohort {
        match cohort {
            Some(c) => per_cohort[*c] += 1,
            None => none += 1,
        }
    }
    let mut parts: Vec<String> = artists
        .cohorts
        .cohorts
        .iter()
        .zip(&per_cohort)
        .map(|(c, n)| format!("{} {}", c.name, thousands(*n)))
        .collect();
    parts.push(format!(
        "{} (no cohort) {}",
        metrics::NO_COHORT,
        thousands(none)
    ));
    outln!(
        "registry: {} artists ({})",
        thousands(artists.registry.artists.len() as u64),
        parts.join(", ")
    );
    Ok(())
}

async fn explain(
    store_dir: &Path,
    cohorts: Option<&Path>,
    args: &ExplainArgs,
    limits: &Limits,
) -> anyhow::Result<u8> {
    let (store, artists) = load_artists(store_dir, load_cohorts(store_dir, cohorts)?.0, limits)?;
    let registry = &artists.registry;
    let (resolution, how) = registry.index.resolve_how(&args.name);
    let ids = match &resolution {
        Resolution::Unique(id) => vec![*id],
        Resolution::Ambiguous(ids) => ids.clone(),
        Resolution::Unknown => {
            let split = match &store {
                Some(store) => credit_split(store, &artists, &args.name).await?,
                None => Vec::new(),
            };
            if args.format == ExplainFormat::Json {
                let pieces: Vec<serde_json::Value> = split
                    .iter()
                    .map(|(name, status, artist)| {
                        json!({"credited_name": name, "resolution": status, "artist": artist})
                    })
                    .collect();
                outln!(
                    "{}",
                    json!({"query": args.name, "resolution": "unknown", "artists": [],
                           "chart_credit": pieces})
                );
            } else {
                outln!(
                    "No artist answers to {:?}: it is in no registry or list the store holds. \
                     Add it with a registry file (name,country,genres,aliases) and `chartlens artists import`.",
                    args.name
                );
                if !split.is_empty() {
                    outln!("\nAs a chart credit it is read as:");
                    for (name, status, artist) in &split {
                        let artist = artist
                            .as_deref()
                            .map(|a| format!(" -> {a}"))
                            .unwrap_or_default();
                        outln!("  {name:?}: {status}{artist}");
                    }
                    outln!(
                        "(`unconfirmed`: cut from the credit on a separator that also occurs in \
                         act names, with another piece unknown, so not taken as the listed artist. \
                         A registry row for the whole name keeps it whole.)"
                    );
                }
            }
            return Ok(exit::ERROR);
        }
    };
    let presence = match &store {
        Some(store) => chart_presence(store, &artists, &ids).await?,
        None => BTreeMap::new(),
    };
    let how = match how {
        Some(MatchedBy::ExactForm) => "exact form (NFKC, spaces collapsed)",
        Some(MatchedBy::Key) => "key (case, accents, punctuation and spacing folded)",
        None => "",
    };
    let reports: Vec<serde_json::Value> = ids
        .iter()
        .map(|&id| artist_report(&artists, id, presence.get(&id)))
        .collect();
    if args.format == ExplainFormat::Json {
        let status = if ids.len() == 1 {
            "unique"
        } else {
            "ambiguous"
        };
        let out = json!({"query": args.name, "resolution": status, "matched_by": how, "artists": reports});
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(exit::OK);
    }
    if ids.len() > 1 {
        outln!(
            "{:?} is ambiguous: {} artists answer to it by {how}, so chart credits spelled this \
             way stay unresolved. Each is shown below; add a registry row or an alias to decide.\n",
            args.name,
            ids.len()
        );
    } else {
        outln!("{:?} matched by {how}.\n", args.name);
    }
    for report in &reports {
        print_report(report)?;
    }
    Ok(exit::OK)
}

/// How the store's credits read a chart credit line spelled `name`: each
/// credited name, its resolution and the artist it names.
async fn credit_split(
    store: &Store,
    artists: &Arc<Artists>,
    name: &str,
) -> anyhow::Result<Vec<(String, String, Option<String>)>> {
    let ctx = store.session_with(artists.clone())?;
    let query = format!(
        "SELECT c.credited_name, c.resolution, a.name, min(c.position) AS position \
         FROM credits c LEFT JOIN artists a ON a.artist_id = c.artist_id \
         WHERE c.artist_names = {} GROUP BY c.credited_name, c.resolution, a.name \
         ORDER BY position, c.credited_name",
        sql_text(name)
    );
    let batches = ctx.sql(&query).await?.collect().await?;
    let mut out = Vec::new();
    for batch in &batches {
        let text = |i: usize| -> anyhow::Result<arrow::array::StringArray> {
            let cast = arrow::compute::cast(batch.column(i), &arrow::datatypes::DataType::Utf8)?;
            Ok(arrow::array::as_string_array(&cast).clone())
        };
        let (credited, status, artist) = (text(0)?, text(1)?, text(2)?);
        for row in 0..batch.num_rows() {
            use arrow::array::Array;
            out.push((
                credited.value(row).to_string(),
                status.value(row).to_string(),
                artist.is_valid(row).then(|| artist.value(row).to_string()),
            ));
        }
    }
    Ok(out)
}

/// Chart entries per artist id: (entries as lead, as featured, markets).
async fn chart_presence(
    store: &Store,
    artists: &Arc<Artists>,
    ids: &[usize],
) -> anyhow::Result<BTreeMap<usize, (u64, u64, u64)>> {
    let ctx = store.session_with(artists.clone())?;
    let list: Vec<String> = ids.iter().map(usize::to_string).collect();
    let query = format!(
        "SELECT c.artist_id, sum(CASE WHEN c.role = 'lead' THEN 1 ELSE 0 END), \
         sum(CASE WHEN c.role = 'featured' THEN 1 ELSE 0 END), count(DISTINCT e.region) \
         FROM chart_entries e JOIN credits c \
         ON e.artist_names = c.artist_names AND e.track_name = c.track_name \
         WHERE c.artist_id IN ({}) GROUP BY c.artist_id",
        list.join(", ")
    );
    let batches = ctx.sql(&query).await?.collect().await?;
    let mut out = BTreeMap::new();
    for batch in &batches {
        let int = |col: usize| as_primitive_array::<Int64Type>(batch.column(col));
        let (id, lead, featured, markets) = (int(0), int(1), int(2), int(3));
        for row in 0..batch.num_rows() {
            let n = |a: &arrow::array::Int64Array| u64::try_from(a.value(row)).unwrap_or(0);
            out.insert(id.value(row) as usize, (n(lead), n(featured), n(markets)));
        }
    }
    Ok(out)
}

fn artist_report(
    artists: &Artists,
    id: usize,
    presence: Option<&(u64, u64, u64)>,
) -> serde_json::Value {
    let registry = &artists.registry;
    let artist = &registry.artists[id];
    let evidence: Vec<serde_json::Value> = artist
        .facts
        .iter()
        .map(|&i| {
            let f = &registry.facts[i];
            json!({"source": f.citation(), "layout": &*f.layout, "name": f.artist,
                   "kind": f.kind.as_str(), "value": f.value})
        })
        .collect();
    let rules: Vec<serde_json::Value> = artists
        .cohorts
        .explain(registry, artist)
        .into_iter()
        .map(|o| {
            let rule = &artists.cohorts.rules[o.rule];
            json!({"rule": rule.number, "cohort": artists.cohorts.cohorts[rule.cohort].name,
                   "exclude": rule.exclude, "note": rule.note, "effect": o.effect.as_str(),
                   "detail": o.detail, "decided": o.effect == Effect::Decided})
        })
        .collect();
    let groups: Vec<&str> = artist
        .groups
        .iter()
        .map(|&g| registry.artists[g].name.as_str())
        .collect();
    let (lead, featured, markets) = presence.copied().unwrap_or_default();
    let held = artists.classification.held[id].as_ref().map(|h| {
        json!({"cohort": artists.cohorts.cohorts[h.cohort].name,
               "rule": artists.cohorts.rules[h.rule].number, "why": h.why})
    });
    let flags: Vec<serde_json::Value> = artists.flags[id]
        .iter()
        .map(|f| json!({"flag": f.kind.as_str(), "detail": f.detail}))
        .collect();
    json!({
        "name": artist.name,
        "cohort": artists.cohort_of(id),
        "basis": artists.classification.basis[id].map(|b| b.as_str()),
        "held_back": held,
        "audit_flags": flags,
        "origin_country": artist.origin,
        "origin_conflict": artist.origin_conflict,
        "names": artist.names,
        "genres": artist.genres,
        "groups": groups,
        "unresolved_groups": artist.unresolved_groups,
        "evidence": evidence,
        "rules": rules,
        "chart_entries": {"lead": lead, "featured": featured, "markets": markets},
    })
}

fn print_report(report: &serde_json::Value) -> std::io::Result<()> {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    let list = |v: &serde_json::Value| {
        v.as_array()
            .map(|a| a.iter().map(s).collect::<Vec<_>>().join("; "))
            .unwrap_or_default()
    };
    let cohort = report["cohort"].as_str().unwrap_or("none");
    outln!("{}", s(&report["name"]));
    let decided = report["rules"]
        .as_array()
        .and_then(|r| r.iter().find(|o| o["decided"] == true));
    match decided {
        Some(rule) => outln!(
            "  cohort:  {cohort}, by rule {} ({}): {}",
            rule["rule"],
            s(&rule["note"]),
            s(&rule["detail"])
        ),
        None => match report["held_back"].as_object() {
            Some(held) => outln!(
                "  cohort:  none (rule {} would place it in {}, but the evidence disagrees: {})",
                held["rule"],
                s(&held["cohort"]),
                s(&held["why"])
            ),
            None => outln!("  cohort:  none (no rule matched)"),
        },
    }
    if let Some(basis) = report["basis"].as_str() {
        outln!("  placed by: {basis}");
    }
    for flag in report["audit_flags"].as_array().into_iter().flatten() {
        outln!("  audit:   {}: {}", s(&flag["flag"]), s(&flag["detail"]));
    }
    let origin = match (
        report["origin_country"].as_str(),
        report["origin_conflict"] == true,
    ) {
        (Some(code), _) => code.to_string(),
        (None, true) => "unknown (its sources disagree)".to_string(),
        (None, false) => "unknown".to_string(),
    };
    outln!("  origin:  {origin}");
    outln!("  names:   {}", list(&report["names"]));
    if !list(&report["genres"]).is_empty() {
        outln!("  genres:  {}", list(&report["genres"]));
    }
    let mut groups = list(&report["groups"]);
    let unresolved = list(&report["unresolved_groups"]);
    if !unresolved.is_empty() {
        groups = format!("{groups} (unresolved: {unresolved})");
    }
    if !groups.is_empty() {
        outln!("  groups:  {groups}");
    }
    let charts = &report["chart_entries"];
    outln!(
        "  charts:  {} entries as lead, {} as featured, in {} markets",
        thousands(charts["lead"].as_u64().unwrap_or(0)),
        thousands(charts["featured"].as_u64().unwrap_or(0)),
        charts["markets"].as_u64().unwrap_or(0)
    );
    outln!("  evidence:");
    let evidence = report["evidence"].as_array().cloned().unwrap_or_default();
    let width = evidence
        .iter()
        .map(|e| s(&e["source"]).chars().count())
        .max()
        .unwrap_or(0);
    for e in &evidence {
        outln!(
            "    {:width$}  {:10} {}{}",
            s(&e["source"]),
            s(&e["kind"]),
            s(&e["value"]),
            if e["name"] != report["name"] {
                format!("   (as {:?})", s(&e["name"]))
            } else {
                String::new()
            }
        );
    }
    outln!("  rules, in order (the first match decides):");
    for r in report["rules"].as_array().into_iter().flatten() {
        let marker = if r["decided"] == true { "=>" } else { "  " };
        let kind = if r["exclude"] == true { "not " } else { "" };
        outln!(
            "  {marker} {:>2} {kind}{:8} {:26} {}",
            r["rule"].as_u64().unwrap_or(0),
            s(&r["cohort"]),
            s(&r["effect"]),
            s(&r["detail"])
        );
    }
    outln!();
    Ok(())
}

fn session(
    store_dir: &Path,
    cohorts: Cohorts,
    limits: &Limits,
) -> anyhow::Result<(Store, SessionContext)> {
    let store = super::open_store(store_dir, limits)?;
    let ctx = store.session_with_artists(cohorts)?;
    Ok((store, ctx))
}

async fn list(
    store_dir: &Path,
    cohorts_flag: Option<&Path>,
    args: &ListArgs,
    limits: &Limits,
) -> anyhow::Result<u8> {
    let (cohorts, _) = load_cohorts(store_dir, cohorts_flag)?;
    let filter = match args.cohort.as_deref() {
        None => String::new(),
        Some(name) => match cohort_name(&cohorts, name)? {
            None => "WHERE cohort IS NULL".to_string(),
            Some(name) => format!("WHERE cohort = {}", sql_text(&name)),
        },
    };
    let query = format!(
        "SELECT * FROM (\
           SELECT name, origin_country, {} AS cohort, rule, genres, names, groups, facts \
           FROM artists {filter}) \
         ORDER BY cohort = '{none}', cohort, name",
        metrics::cohort_or_none("cohort"),
        none = metrics::NO_COHORT
    );
    if args.show_sql {
        eprintln!("{query}\n");
    }
    let (_, ctx) = session(store_dir, cohorts, limits)?;
    output::run_query(&ctx, &query, args.format, args.max_rows).await?;
    Ok(exit::OK)
}

/// The SQL of `artists coverage`, within each source and chart (never
/// pooled across them). An entry belongs to the cohort of its primary
/// (first-credited) artist, or to `none`; the `none` view says why each
/// artist there is in no cohort.
fn coverage_sql(view: CoverageView, filters: &Filters, top: usize) -> String {
    let none = metrics::NO_COHORT;
    let entries = format!(
        "WITH entry AS (\n  SELECT e.source, e.chart, e.region, e.streams, c.credited_name, c.resolution,\n    \
         a.origin_country IS NOT NULL OR a.genres <> '' AS described, a.held_back IS NOT NULL AS held,\n    \
         {} AS cohort\n  \
         FROM chart_entries e\n  \
         LEFT JOIN credits c ON c.artist_names = e.artist_names AND c.track_name = e.track_name AND c.position = 1\n  \
         LEFT JOIN artists a ON a.artist_id = c.artist_id\n  \
         WHERE {})\n",
        metrics::cohort_or_none("a.cohort"),
        filters.condition()
    );
    match view {
        CoverageView::Overall => format!(
            "{entries}SELECT source, chart, cohort, count(*) AS entries,\n  \
             round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY source, chart), 2) AS entry_pct,\n  \
             sum(streams) AS streams,\n  \
             round(100.0 * sum(streams) / sum(sum(streams)) OVER (PARTITION BY source, chart), 2) AS stream_pct\n\
             FROM entry GROUP BY source, chart, cohort ORDER BY source, chart, entries DESC, cohort"
        ),
        CoverageView::Markets => format!(
            "{entries}SELECT source, chart, region AS market, cohort, count(*) AS entries,\n  \
             round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY source, chart, region), 2) AS entry_pct,\n  \
             sum(streams) AS streams,\n  \
             round(100.0 * sum(streams) / sum(sum(streams)) OVER (PARTITION BY source, chart, region), 2) AS stream_pct\n\
             FROM entry GROUP BY source, chart, region, cohort ORDER BY source, chart, market, entries DESC, cohort"
        ),
        CoverageView::NoCohort => format!(
            "{entries}SELECT source, chart, name, reason, entries, markets, streams FROM (\n  \
             SELECT source, chart, coalesce(credited_name, '') AS name,\n    \
             CASE WHEN resolution = 'unknown' THEN 'name in no registry or list'\n      \
             WHEN resolution = 'ambiguous' THEN 'name of several artists'\n      \
             WHEN resolution = 'unconfirmed' THEN 'cut from a longer credit or spelled differently; too little to say who'\n      \
             WHEN resolution = 'resolved' AND held THEN 'held back: its lists disagree (artists explain)'\n      \
             WHEN resolution = 'resolved' AND described THEN 'known, but no cohort rule places it'\n      \
             WHEN resolution = 'resolved' THEN 'no origin or genre known'\n      \
             ELSE 'no artist credited' END AS reason,\n    \
             count(*) AS entries, count(DISTINCT region) AS markets, sum(streams) AS streams,\n    \
             row_number() OVER (PARTITION BY source, chart ORDER BY count(*) DESC, coalesce(credited_name, '')) AS place\n  \
             FROM entry WHERE cohort = '{none}'\n  \
             GROUP BY source, chart, credited_name, resolution, described, held)\n\
             WHERE place <= {top} ORDER BY source, chart, entries DESC, name"
        ),
    }
}

async fn coverage(
    store_dir: &Path,
    cohorts: Option<&Path>,
    args: &CoverageArgs,
    limits: &Limits,
) -> anyhow::Result<u8> {
    let rows = MetricFilters {
        rows: args.rows.clone(),
        cohort: None,
    };
    let selection =
        super::selection::select(store_dir, cohorts, &rows, Default::default(), limits).await?;
    let views: Vec<CoverageView> = match (args.view, args.format) {
        (Some(view), _) => vec![view],
        (None, Format::Table | Format::Json) => {
            vec![
                CoverageView::Overall,
                CoverageView::Markets,
                CoverageView::NoCohort,
            ]
        }
        (None, format @ (Format::Csv | Format::Jsonl)) => {
            let name = if format == Format::Csv {
                "csv"
            } else {
                "jsonl"
            };
            bail!("--format {name} prints one table: add --view overall, markets or none")
        }
    };
    if args.format == Format::Json && views.len() > 1 {
        let mut out = serde_json::Map::new();
        for view in views {
            let query = coverage_sql(view, &selection.filters, args.top);
            if args.show_sql {
                eprintln!("{query}\n");
            }
            let batches = selection.collect(&query).await?;
            let mut writer = arrow::json::ArrayWriter::new(Vec::new());
            for batch in &batches {
                writer.write(batch)?;
            }
            writer.finish()?;
            let bytes = writer.into_inner();
            let value: serde_json::Value = if bytes.is_empty() {
                json!([])
            } else {
                serde_json::from_slice(&bytes)?
            };
            out.insert(view.name().to_string(), value);
        }
        outln!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(exit::OK);
    }
    for view in views {
        let query = coverage_sql(view, &selection.filters, args.top);
        if args.show_sql {
            eprintln!("{query}\n");
        }
        if args.format == Format::Table {
            outln!("{}", view.title());
        }
        let stream = selection.ctx.sql(&query).await?.execute_stream().await?;
        output::print_stream(stream, args.format, args.max_rows).await?;
    }
    Ok(exit::OK)
}
