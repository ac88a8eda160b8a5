//! Tables derived from the stored ones when a query reads them: `artists`
//! (the registry, classified by the cohort rules in force) and `credits` (the
//! artists of every distinct chart credit). They are computed at most once per
//! session, and only if a query touches them, so queries of `chart_entries`
//! alone pay nothing.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use arrow::array::{Array, Int32Builder, Int64Builder, RecordBatch, StringArray, StringBuilder};
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use chartlens_model::audit;
use chartlens_model::cohort::{Basis, Classification, Cohorts};
use chartlens_model::credits;
use chartlens_model::registry::{self, Fact, FactKind, MatchedBy, Registry, Resolution};
use chartlens_model::table::{self, ARTIST_FACTS, ARTISTS, CHART_ENTRIES, CREDITS};
use datafusion::catalog::Session;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::StoreError;
use crate::manifest::Part;
use crate::{Store, parts};

/// The registry of a store, classified and audited.
#[derive(Debug)]
pub struct Artists {
    /// The artists of the built-in registry and the imported lists.
    pub registry: Registry,
    /// The cohort definitions in force.
    pub cohorts: Cohorts,
    /// Each artist's cohort, and the rule and evidence that placed it.
    pub classification: Classification,
    /// Per artist id, what `artists audit` flags from the registry alone
    /// (see `chartlens_model::audit`; the home-market flag needs charts).
    pub flags: Vec<Vec<audit::Flag>>,
    /// Per artist id, whether its placement is thin ([`audit::thin`]).
    pub thin: Vec<bool>,
}

impl Artists {
    /// Classifies and audits a registry.
    pub fn new(registry: Registry, cohorts: Cohorts) -> Artists {
        let classification = cohorts.classify(&registry);
        let flags = audit::flags(&registry, &cohorts, &classification);
        let thin = registry
            .artists
            .iter()
            .map(|a| audit::thin(&registry, &cohorts, &classification, a))
            .collect();
        Artists {
            registry,
            cohorts,
            classification,
            flags,
            thin,
        }
    }

    /// The cohort name of an artist, if any.
    pub fn cohort_of(&self, artist: usize) -> Option<&str> {
        self.classification.cohort[artist].map(|c| self.cohorts.cohorts[c].name.as_str())
    }

    /// Whether the audit doubts the artist's placement (a flag other than
    /// `single-source`, from the registry alone; see [`Artists::flags`]).
    pub fn is_flagged(&self, artist: usize) -> bool {
        self.flags[artist].iter().any(|f| f.kind.is_doubt())
    }

    /// Whether the artist's cohort was decided by a registry row or a rule
    /// naming it, rather than by third-party lists.
    pub fn placed_by_registry(&self, artist: usize) -> bool {
        matches!(
            self.classification.basis[artist],
            Some(Basis::Registry | Basis::Rule)
        )
    }
}

impl Store {
    /// The built-in registry's facts followed by every imported list's.
    pub fn artist_facts(&self) -> Result<Vec<Fact>, StoreError> {
        let mut facts = registry::builtin_facts();
        for part in self.manifest.parts(ARTIST_FACTS) {
            for batch in parts::read_part(&self.root, part)? {
                let text = |name: &str| text_column(&batch, name);
                let (artist, kind, value) = (text("artist")?, text("kind")?, text("value")?);
                let (layout, source) = (text("layout")?, text("source_file")?);
                let line = batch
                    .column_by_name("source_line")
                    .and_then(|c| c.as_any().downcast_ref::<arrow::array::Int64Array>())
                    .ok_or_else(|| schema_error("source_line"))?;
                let mut last: Option<(Arc<str>, Arc<str>)> = None;
                for i in 0..batch.num_rows() {
                    let Some(kind) = FactKind::parse(kind.value(i)) else {
                        continue;
                    };
                    let (src, lay) = match &last {
                        Some((s, l)) if &**s == source.value(i) && &**l == layout.value(i) => {
                            (s.clone(), l.clone())
                        }
                        _ => {
                            let pair: (Arc<str>, Arc<str>) =
                                (source.value(i).into(), layout.value(i).into());
                            last = Some(pair.clone());
                            pair
                        }
                    };
                    facts.push(Fact {
                        source: src,
                        layout: lay,
                        line: u64::try_from(line.value(i)).unwrap_or(0),
                        artist: artist.value(i).to_string(),
                        kind,
                        value: value.value(i).to_string(),
                    });
                }
            }
        }
        Ok(facts)
    }

    /// Builds the registry from the store's facts and classifies it.
    pub fn artists(&self, cohorts: Cohorts) -> Result<Artists, StoreError> {
        let registry = Registry::build(self.artist_facts()?);
        Ok(Artists::new(registry, cohorts))
    }

    /// Every distinct (artist_names, track_name) of `chart_entries`, with the
    /// artist ids of the first of its rows that has them.
    pub fn distinct_credits(&self) -> Result<Vec<DistinctCredit>, StoreError> {
        // Pairs by hash, with the strings compared on a hash hit: no
        // allocation for the many rows that repeat a pair.
        let state = foldhash::fast::RandomState::default();
        let mut by_hash: HashMap<u64, Vec<usize>, _> = HashMap::with_hasher(state.clone());
        let mut pairs: Vec<DistinctCredit> = Vec::new();
        let columns = ["artist_names", "track_name", "artist_ids"];
        for part in self.manifest.parts(CHART_ENTRIES) {
            for batch in read_columns(&self.root, part, &columns)? {
                let (artists, tracks) = (
                    text_column(&batch, "artist_names")?,
                    text_column(&batch, "track_name")?,
                );
                // Parts written before the column existed have no ids.
                let artist_ids = text_column(&batch, "artist_ids").ok();
                for i in 0..batch.num_rows() {
                    let (a, t) = (artists.value(i), tracks.value(i));
                    let ids = artist_ids.filter(|c| c.is_valid(i)).map(|c| c.value(i));
                    let seen = by_hash.entry(state.hash_one((a, t))).or_default();
                    match seen
                        .iter()
                        .find(|&&id| pairs[id].artist_names == a && pairs[id].track_name == t)
                    {
                        Some(&id) => {
                            if pairs[id].artist_ids.is_none() && ids.is_some() {
                                pairs[id].artist_ids = ids.map(str::to_string);
                            }
                        }
                        None => {
                            seen.push(pairs.len());
                            pairs.push(DistinctCredit {
                                artist_names: a.to_string(),
                                track_name: t.to_string(),
                                artist_ids: ids.map(str::to_string),
                            });
                        }
                    }
                }
            }
        }
        pairs.sort_unstable();
        Ok(pairs)
    }

    /// A session like [`Store::session`] that also offers the derived
    /// `artists` and `credits` tables, classified with `cohorts`. They are
    /// computed when a query first reads them.
    pub fn session_with_artists(
        &self,
        cohorts: Cohorts,
    ) -> Result<datafusion::prelude::SessionContext, StoreError> {
        self.register_derived(Derived {
            store: self.clone(),
            cohorts: Some(cohorts),
            artists: OnceLock::new(),
            credits: OnceLock::new(),
        })
    }

    /// Like [`Store::session_with_artists`], with a registry already built.
    pub fn session_with(
        &self,
        artists: Arc<Artists>,
    ) -> Result<datafusion::prelude::SessionContext, StoreError> {
        self.register_derived(Derived {
            store: self.clone(),
            cohorts: None,
            artists: OnceLock::from(Ok(artists)),
            credits: OnceLock::new(),
        })
    }

    fn register_derived(
        &self,
        derived: Derived,
    ) -> Result<datafusion::prelude::SessionContext, StoreError> {
        let ctx = self.session()?;
        let tables = [table::artists(), table::credits()];
        register_lazy(
            &ctx,
            &self.absolute_root()?,
            Arc::new(derived),
            &tables,
            TableType::View,
        )?;
        Ok(ctx)
    }
}

/// A distinct credit line of `chart_entries`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DistinctCredit {
    /// Artists as credited on the chart, unsplit.
    pub artist_names: String,
    /// Track title as printed on the chart.
    pub track_name: String,
    /// Platform ids of the credited artists, `,`-separated; None when the chart gives none.
    pub artist_ids: Option<String>,
}

/// One credit of a distinct chart credit, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedCredit {
    /// Order of the credit, from 1 (the primary artist).
    pub position: usize,
    /// The artist's name as credited.
    pub name: String,
    /// Whether the artist leads the track or is featured.
    pub role: credits::Role,
    /// The artist the name resolves to, if one.
    pub resolution: Resolution,
    /// The platform's id of this artist, when the chart gives ids and they could be matched to the names.
    pub platform_id: Option<String>,
    /// The name is not taken as the artist it resolves to (`resolution =
    /// 'unconfirmed'`, no `artist_id`): it was cut from a longer credit on a
    /// guess (see [`credits::Credit::unconfirmed`]) and names an artist
    /// that only third-party lists place, or it is one word whose key (not
    /// its exact form) matches an artist whose placement rests on one list
    /// file.
    pub unconfirmed: bool,
}

/// Splits and resolves the credits of one (artist_names, track_name),
/// remembering resolutions in `memo` (credit names repeat a lot).
pub fn resolve_credits(
    artists: &Artists,
    memo: &mut HashMap<String, (Resolution, bool)>,
    line: &DistinctCredit,
) -> Vec<ResolvedCredit> {
    let memo = RefCell::new(memo);
    // The resolution, and whether a one-word name matched only by its key
    // (case or punctuation differ) an artist whose placement rests on one
    // list file: too little to say that this credit is that artist (`RIN`,
    // a German rapper, against a country list's Japanese `Rin`). Longer
    // names that differ in case or accents only are rarely namesakes.
    let resolve = |name: &str| -> (Resolution, bool) {
        if let Some(known) = memo.borrow().get(name) {
            return known.clone();
        }
        let (resolution, how) = artists.registry.index.resolve_how(name);
        let weak = matches!(resolution, Resolution::Unique(id) if artists.thin[id])
            && how == Some(MatchedBy::Key)
            && !name.trim().contains(char::is_whitespace);
        memo.borrow_mut()
            .insert(name.to_string(), (resolution.clone(), weak));
        (resolution, weak)
    };
    let known = |name: &str| resolve(name).0 != Resolution::Unknown;
    let has_ids = !artists.registry.by_platform_id.is_empty();
    let ids = line.artist_ids.as_deref();
    credits::split_with_ids(&line.artist_names, &line.track_name, ids, &known)
        .into_iter()
        .enumerate()
        .map(|(i, (c, platform_id))| {
            let (resolution, weak) = match platform_id.as_deref() {
                Some(id) if has_ids => (artists.registry.resolve_credit(&c.name, Some(id)), false),
                _ => resolve(&c.name),
            };
            let unconfirmed = weak
                || (c.unconfirmed
                    && matches!(resolution, Resolution::Unique(id) if !artists.placed_by_registry(id)));
            ResolvedCredit {
                position: i + 1,
                resolution,
                name: c.name,
                role: c.role,
                platform_id,
                unconfirmed,
            }
        })
        .collect()
}

/// The `artists` table.
pub fn artists_batch(artists: &Artists) -> Result<RecordBatch, StoreError> {
    let reg = &artists.registry;
    let n = reg.artists.len();
    let mut id = Int64Builder::with_capacity(n);
    let mut name = StringBuilder::new();
    let mut origin = StringBuilder::new();
    let mut cohort = StringBuilder::new();
    let mut rule = StringBuilder::new();
    let mut genres = StringBuilder::new();
    let mut names = StringBuilder::new();
    let mut groups = StringBuilder::new();
    let mut facts = Int64Builder::with_capacity(n);
    let mut basis = StringBuilder::new();
    let mut held = StringBuilder::new();
    for a in &reg.artists {
        basis.append_option(artists.classification.basis[a.id].map(|b| b.as_str()));
        held.append_option(
            artists.classification.held[a.id]
                .as_ref()
                .map(|h| format!("{}: {}", artists.cohorts.cohorts[h.cohort].name, h.why)),
        );
        id.append_value(a.id as i64);
        name.append_value(&a.name);
        origin.append_option(a.origin.as_deref());
        cohort.append_option(artists.cohort_of(a.id));
        rule.append_option(artists.classification.rule[a.id].map(|r| {
            let rule = &artists.cohorts.rules[r];
            match &rule.note {
                Some(note) => format!("{}: {note}", rule.number),
                None => rule.number.to_string(),
            }
        }));
        genres.append_value(a.genres.join(";"));
        names.append_value(a.names.join(";"));
        let group_names: Vec<&str> = a
            .groups
            .iter()
            .map(|&g| reg.artists[g].name.as_str())
            .chain(a.unresolved_groups.iter().map(String::as_str))
            .collect();
        groups.append_value(group_names.join(";"));
        facts.append_value(a.facts.len() as i64);
    }
    Ok(RecordBatch::try_new(
        table::artists().schema(),
        vec![
            Arc::new(id.finish()),
            Arc::new(name.finish()),
            Arc::new(origin.finish()),
            Arc::new(cohort.finish()),
            Arc::new(rule.finish()),
            Arc::new(genres.finish()),
            Arc::new(names.finish()),
            Arc::new(groups.finish()),
            Arc::new(facts.finish()),
            Arc::new(basis.finish()),
            Arc::new(held.finish()),
        ],
    )?)
}

/// The `credits` table for the given distinct credits, split and resolved
/// on every core, in the order of `pairs`.
pub fn credits_batches(
    artists: &Artists,
    pairs: &[DistinctCredit],
) -> Result<Vec<RecordBatch>, StoreError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = pairs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = pairs
            .chunks(chunk)
            .map(|part| scope.spawn(move || credits_batch(artists, part)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("credit resolution does not panic"))
            .collect()
    })
}

/// The `credits` rows of some distinct credits.
fn credits_batch(artists: &Artists, lines: &[DistinctCredit]) -> Result<RecordBatch, StoreError> {
    let mut artist_names = StringBuilder::new();
    let mut track_name = StringBuilder::new();
    let mut position = Int32Builder::new();
    let mut credited = StringBuilder::new();
    let mut role = StringBuilder::new();
    let mut artist_id = Int64Builder::new();
    let mut resolution = StringBuilder::new();
    let mut cohort = StringBuilder::new();
    let mut platform_id = StringBuilder::new();
    let mut memo = HashMap::new();
    for line in lines {
        for credit in resolve_credits(artists, &mut memo, line) {
            artist_names.append_value(&line.artist_names);
            track_name.append_value(&line.track_name);
            platform_id.append_option(credit.platform_id.as_deref());
            position.append_value(i32::try_from(credit.position).unwrap_or(i32::MAX));
            credited.append_value(&credit.name);
            role.append_value(credit.role.as_str());
            let (id, status) = match &credit.resolution {
                Resolution::Unique(_) if credit.unconfirmed => (None, "unconfirmed"),
                Resolution::Unique(id) => (Some(*id), "resolved"),
                Resolution::Ambiguous(_) => (None, "ambiguous"),
                Resolution::Unknown => (None, "unknown"),
            };
            artist_id.append_option(id.map(|i| i as i64));
            resolution.append_value(status);
            cohort.append_option(id.and_then(|i| artists.cohort_of(i)));
        }
    }
    Ok(RecordBatch::try_new(
        table::credits().schema(),
        vec![
            Arc::new(artist_names.finish()),
            Arc::new(track_name.finish()),
            Arc::new(position.finish()),
            Arc::new(credited.finish()),
            Arc::new(role.finish()),
            Arc::new(artist_id.finish()),
            Arc::new(resolution.finish()),
            Arc::new(cohort.finish()),
            Arc::new(platform_id.finish()),
        ],
    )?)
}

type Lazy = OnceLock<Result<Vec<RecordBatch>, String>>;

struct Derived {
    store: Store,
    /// What to classify with, unless `artists` was given built.
    cohorts: Option<Cohorts>,
    artists: OnceLock<Result<Arc<Artists>, String>>,
    credits: Lazy,
}

impl fmt::Debug for Derived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Derived")
            .field("store", &self.store.root)
            .finish_non_exhaustive()
    }
}

impl Derived {
    fn artists(&self) -> Result<Arc<Artists>, String> {
        self.artists
            .get_or_init(|| {
                let cohorts = self.cohorts.clone().unwrap_or_else(Cohorts::builtin);
                self.store
                    .artists(cohorts)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }
}

impl Computed for Derived {
    fn batches(&self, table: &str) -> Result<Vec<RecordBatch>, String> {
        match table {
            ARTISTS => Ok(vec![
                artists_batch(&*self.artists()?).map_err(|e| e.to_string())?,
            ]),
            CREDITS => self
                .credits
                .get_or_init(|| {
                    // The chart credits are read while the registry is built.
                    let (artists, pairs) = std::thread::scope(|scope| {
                        let pairs = scope.spawn(|| self.store.distinct_credits());
                        (self.artists(), pairs.join())
                    });
                    let pairs = pairs
                        .map_err(|_| "reading the chart credits failed".to_string())?
                        .map_err(|e| e.to_string())?;
                    credits_batches(&*artists?, &pairs).map_err(|e| e.to_string())
                })
                .clone(),
            other => Err(format!("no derived table {other}")),
        }
    }
}

/// Tables a session computes when a query first reads them, by name.
pub(crate) trait Computed: fmt::Debug + Send + Sync {
    /// The rows of `table`, computed at most once per session.
    fn batches(&self, table: &str) -> Result<Vec<RecordBatch>, String>;
}

/// Registers `tables` in `ctx` (replacing tables of the same names) as
/// tables that `source` computes on their first scan.
pub(crate) fn register_lazy(
    ctx: &datafusion::prelude::SessionContext,
    root: &Path,
    source: Arc<dyn Computed>,
    tables: &[table::Table],
    kind: TableType,
) -> Result<(), StoreError> {
    for table in tables {
        let provider = LazyTable {
            root: root.to_path_buf(),
            source: source.clone(),
            name: table.name,
            schema: table.schema(),
            kind,
        };
        ctx.deregister_table(table.name)?;
        ctx.register_table(table.name, Arc::new(provider))?;
    }
    Ok(())
}

/// A table computed on its first scan.
#[derive(Debug)]
pub(crate) struct LazyTable {
    /// The store's directory, absolute ([`crate::remote`] writes the rows under it).
    root: std::path::PathBuf,
    source: Arc<dyn Computed>,
    name: &'static str,
    schema: SchemaRef,
    kind: TableType,
}

impl LazyTable {
    /// The store's directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The table's name.
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// The table's rows, computed on the first call.
    pub(crate) fn batches(&self) -> datafusion::error::Result<Vec<RecordBatch>> {
        self.source
            .batches(self.name)
            .map_err(DataFusionError::Execution)
    }
}

#[async_trait]
impl TableProvider for LazyTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        self.kind
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let batches = self.batches()?;
        Ok(MemorySourceConfig::try_new_exec(
            &[batches],
            self.schema.clone(),
            projection.cloned(),
        )?)
    }
}

fn schema_error(name: &str) -> StoreError {
    arrow::error::ArrowError::SchemaError(format!("no column {name}")).into()
}

pub(crate) fn text_column<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<&'a StringArray, StoreError> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .ok_or_else(|| schema_error(name))
}

/// Reads some columns of a part.
pub(crate) fn read_columns(
    root: &Path,
    part: &Part,
    columns: &[&str],
) -> Result<Vec<RecordBatch>, StoreError> {
    let path = root.join(&part.file);
    let file = parts::open_part(root, part)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| StoreError::parquet(&path, e))?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
    let reader = builder
        .with_projection(mask)
        .with_batch_size(65_536)
        .build()
        .map_err(|e| StoreError::parquet(&path, e))?;
    reader
        .map(|b| b.map_err(|e| StoreError::parquet(&path, e.into())))
        .collect()
}
