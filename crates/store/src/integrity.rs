//! Keeping a store whole: every part is checked against what the manifest
//! recorded of it before anything reads it.
//!
//! The manifest records each part's size and the BLAKE3 hash of its bytes,
//! computed while the part is written. Before a query reads a table, and
//! before the writer rewrites a part, the part must exist, have its recorded
//! size, and (once per process: parts never change after they are written)
//! hash to its recorded value. A part that fails is an error naming it, never
//! a smaller answer. The Parquet reader also verifies page checksums where a
//! file carries them (the parquet crate writes none yet, so chartlens' own
//! parts rely on the file hash; files written by other tools may have them).
//!
//! Parts written by chartlens before the hash was recorded have none: their
//! size is still checked, and `chartlens compact` rewrites them with one.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{ScanArgs, ScanResult, Session};
use datafusion::datasource::empty::EmptyTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

use crate::error::StoreError;
use crate::manifest::Part;

/// A writer that hashes what passes through it, so a part's hash costs no
/// second read.
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: blake3::Hasher,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: blake3::Hasher::new(),
        }
    }

    /// The inner writer and the hex hash of everything written.
    pub(crate) fn finish(self) -> (W, String) {
        (self.inner, self.hasher.finalize().to_hex().to_string())
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The hex BLAKE3 hash of a file's bytes.
pub fn hash_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_hex().to_string())
}

/// What is wrong with one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// The file is not there.
    Missing,
    /// The file has another size than the manifest recorded.
    Size {
        /// Bytes on disk.
        found: u64,
        /// Bytes the manifest recorded.
        recorded: u64,
    },
    /// The bytes do not hash to the recorded value.
    Hash,
    /// The file cannot be read at all.
    Unreadable(String),
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Damage::Missing => write!(f, "the file is missing"),
            Damage::Size { found, recorded } => write!(
                f,
                "the file has {found} bytes, the manifest recorded {recorded}"
            ),
            Damage::Hash => write!(
                f,
                "its content does not match the hash the manifest recorded (the file was changed or damaged)"
            ),
            Damage::Unreadable(why) => write!(f, "{why}"),
        }
    }
}

/// Parts (by absolute path and hash) already hashed by this process.
fn verified() -> &'static Mutex<HashSet<(PathBuf, String)>> {
    static VERIFIED: OnceLock<Mutex<HashSet<(PathBuf, String)>>> = OnceLock::new();
    VERIFIED.get_or_init(Default::default)
}

/// Checks one part of `table`: present, of its recorded size, and (when
/// `hash` is set, and not already done by this process) of its recorded
/// hash.
pub fn inspect(root: &Path, part: &Part, hash: bool) -> Result<(), Damage> {
    let path = root.join(&part.file);
    let meta = match std::fs::metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Damage::Missing),
        Err(e) => return Err(Damage::Unreadable(e.to_string())),
    };
    if meta.len() != part.bytes {
        return Err(Damage::Size {
            found: meta.len(),
            recorded: part.bytes,
        });
    }
    let (Some(recorded), true) = (&part.hash, hash) else {
        return Ok(());
    };
    let key = (
        std::path::absolute(&path).unwrap_or(path.clone()),
        recorded.clone(),
    );
    if verified().lock().is_ok_and(|done| done.contains(&key)) {
        return Ok(());
    }
    let found = hash_file(&path).map_err(|e| Damage::Unreadable(e.to_string()))?;
    if &found != recorded {
        return Err(Damage::Hash);
    }
    if let Ok(mut done) = verified().lock() {
        done.insert(key);
    }
    Ok(())
}

/// [`inspect`] with the hash, as an error naming the part: what every reader
/// of a part calls first.
pub fn verify(root: &Path, part: &Part) -> Result<(), StoreError> {
    inspect(root, part, true).map_err(|damage| StoreError::Damaged {
        path: root.join(&part.file),
        table: part.table().to_string(),
        damage,
        store: root.to_path_buf(),
    })
}

/// A stored table whose parts are verified before its first scan, so a
/// query never answers from a part that is missing or changed.
pub(crate) struct VerifiedTable {
    inner: Arc<dyn TableProvider>,
    root: PathBuf,
    table: String,
    parts: Vec<Part>,
}

impl VerifiedTable {
    pub(crate) fn new(
        inner: Arc<dyn TableProvider>,
        root: &Path,
        table: &str,
        parts: &[Part],
    ) -> VerifiedTable {
        VerifiedTable {
            inner,
            root: root.to_path_buf(),
            table: table.to_string(),
            parts: parts.to_vec(),
        }
    }

    /// Where the table's rows are: the store's directory, the table's name
    /// and the parts of the version read.
    pub(crate) fn location(&self) -> (&Path, &str, &[Part]) {
        (&self.root, &self.table, &self.parts)
    }

    fn verify_all(&self) -> datafusion::error::Result<()> {
        for part in &self.parts {
            verify(&self.root, part).map_err(|e| DataFusionError::External(Box::new(e)))?;
        }
        Ok(())
    }
}

impl fmt::Debug for VerifiedTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedTable")
            .field("table", &self.table)
            .field("parts", &self.parts.len())
            .finish()
    }
}

#[async_trait]
impl TableProvider for VerifiedTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        self.verify_all()?;
        self.inner.scan(state, projection, filters, limit).await
    }

    async fn scan_with_args<'a>(
        &self,
        state: &dyn Session,
        args: ScanArgs<'a>,
    ) -> datafusion::error::Result<ScanResult> {
        self.verify_all()?;
        self.inner.scan_with_args(state, args).await
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> datafusion::error::Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }

    fn statistics(&self) -> Option<datafusion::common::Statistics> {
        self.inner.statistics()
    }
}

/// The table `name` of the store at `root` (absolute), reading `parts` and
/// checking each against its recorded size and hash before a scan.
pub(crate) fn stored_table(
    root: &Path,
    name: &str,
    schema: SchemaRef,
    parts: &[Part],
) -> Result<Arc<dyn TableProvider>, StoreError> {
    if parts.is_empty() {
        return Ok(Arc::new(EmptyTable::new(schema)));
    }
    let urls = parts
        .iter()
        .map(|p| ListingTableUrl::parse(root.join(&p.file).to_string_lossy()))
        .collect::<Result<Vec<_>, _>>()?;
    let listing = parquet_listing(urls, schema)?;
    Ok(Arc::new(VerifiedTable::new(listing, root, name, parts)))
}

/// A table over Parquet files with the given schema (none is read to plan it).
pub(crate) fn parquet_listing(
    urls: Vec<ListingTableUrl>,
    schema: SchemaRef,
) -> Result<Arc<ListingTable>, StoreError> {
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(schema);
    Ok(Arc::new(ListingTable::try_new(config)?))
}
