//! A store's sessions planned here and run elsewhere, on a cluster of
//! processes that see the store at the same path.
//!
//! Two pieces make that work without the store knowing which cluster runs
//! its plans:
//!
//! - [`install`] sets, once per process, how a session becomes a remote one
//!   (the cluster crate installs Ballista's query planner). Every
//!   [`Store::session`](crate::Store::session) after it is remote.
//! - [`TableCodec`] writes the store's tables into a serialized plan and
//!   reads them back in the process that runs it. A stored table travels as
//!   its manifest's parts (paths, sizes and hashes), so the other side reads
//!   exactly this version and checks the same integrity. A table that a
//!   session computes in memory (the artists, the credits, the summaries of
//!   a window) is written once to a Parquet file under `<store>/cluster/`,
//!   named by the hash of its bytes, and travels as that file: the cluster
//!   reads it like any stored part, and the same rows are never written
//!   twice.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::common::TableReference;
use datafusion::datasource::TableProvider;
use datafusion::datasource::empty::EmptyTable;
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan, ScalarUDF, WindowUDF};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use parquet::arrow::ArrowWriter;
use serde::{Deserialize, Serialize};

use crate::derived::LazyTable;
use crate::error::StoreError;
use crate::integrity::{self, VerifiedTable};
use crate::manifest::Part;

/// Turns a local session's state into one whose plans run remotely.
pub type Upgrade = Arc<dyn Fn(SessionState) -> Result<SessionState> + Send + Sync>;

static UPGRADE: OnceLock<Upgrade> = OnceLock::new();

/// Makes every session this process opens after it remote, through
/// `upgrade`. The first call wins; it returns false when one was installed
/// before.
pub fn install(upgrade: Upgrade) -> bool {
    UPGRADE.set(upgrade).is_ok()
}

/// The installed upgrade, if the sessions of this process are remote.
pub(crate) fn upgrade() -> Option<&'static Upgrade> {
    UPGRADE.get()
}

/// The directory under a store where computed tables are written for a
/// cluster to read.
pub const CLUSTER_DIR: &str = "cluster";

/// A table as it travels in a plan.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Encoded {
    /// Stored parts of one manifest version, read and checked where the plan runs.
    Parts {
        root: PathBuf,
        table: String,
        parts: Vec<Part>,
    },
    /// Rows a session computed, written to one Parquet file.
    File { path: PathBuf },
    /// A table without rows.
    Empty,
}

/// The store's tables in Ballista's (or any DataFusion) plan serialization;
/// everything else goes to `inner`, the codec of the engine that runs the
/// plan.
#[derive(Debug)]
pub struct TableCodec {
    inner: Arc<dyn LogicalExtensionCodec>,
}

impl TableCodec {
    /// The store's table codec in front of `inner`.
    pub fn new(inner: Arc<dyn LogicalExtensionCodec>) -> TableCodec {
        TableCodec { inner }
    }
}

fn external(err: impl std::error::Error + Send + Sync + 'static) -> DataFusionError {
    DataFusionError::External(Box::new(err))
}

impl LogicalExtensionCodec for TableCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        _ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        let encoded: Encoded = serde_json::from_slice(buf).map_err(|e| {
            DataFusionError::Plan(format!(
                "table {table_ref} came in a form this chartlens does not read ({e}); \
                 the client, the scheduler and the executors must be the same chartlens"
            ))
        })?;
        match encoded {
            Encoded::Parts { root, table, parts } => {
                integrity::stored_table(&root, &table, schema, &parts).map_err(external)
            }
            Encoded::File { path } => file_table(&path, schema).map_err(external),
            Encoded::Empty => Ok(Arc::new(EmptyTable::new(schema))),
        }
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        let encoded = if let Some(verified) = node.downcast_ref::<VerifiedTable>() {
            let (root, table, parts) = verified.location();
            Encoded::Parts {
                root: root.to_path_buf(),
                table: table.to_string(),
                parts: parts.to_vec(),
            }
        } else if let Some(lazy) = node.downcast_ref::<LazyTable>() {
            let batches = lazy.batches()?;
            if batches.iter().all(|b| b.num_rows() == 0) {
                Encoded::Empty
            } else {
                let dir = lazy.root().join(CLUSTER_DIR);
                Encoded::File {
                    path: write_computed(&dir, lazy.name(), &lazy.schema(), &batches)?,
                }
            }
        } else if node.downcast_ref::<EmptyTable>().is_some() {
            Encoded::Empty
        } else {
            return Err(DataFusionError::NotImplemented(format!(
                "table {table_ref} lives only in this process, so a cluster cannot read it; \
                 run this query without --cluster"
            )));
        };
        serde_json::to_writer(buf, &encoded).map_err(external)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        self.inner.try_decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udf(node, buf)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        self.inner.try_decode_udaf(name, buf)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udaf(node, buf)
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}

/// Writes `batches` of the computed table `name` to `dir/<name>-<hash>.parquet`
/// unless that file is already there, and returns its path. The file is
/// written under a temporary name and renamed, so a reader never sees half
/// of it.
fn write_computed(
    dir: &Path,
    name: &str,
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}-"))
        .suffix(".parquet")
        .tempfile_in(dir)
        .map_err(|e| io_error(dir, e))?;
    let mut writer = ArrowWriter::try_new(temp.as_file_mut(), schema.clone(), None)?;
    for batch in batches {
        writer.write(batch)?;
    }
    writer.close()?;
    let hash = {
        let mut file = File::open(temp.path()).map_err(|e| io_error(temp.path(), e))?;
        let mut hasher = blake3::Hasher::new();
        std::io::copy(&mut file, &mut hasher).map_err(|e| io_error(temp.path(), e))?;
        hasher.finalize().to_hex()
    };
    let path = dir.join(format!("{name}-{}.parquet", &hash[..32]));
    if !path.is_file() {
        temp.persist(&path).map_err(|e| io_error(&path, e.error))?;
    }
    Ok(path)
}

fn io_error(path: &Path, err: std::io::Error) -> DataFusionError {
    DataFusionError::Execution(format!(
        "{}: {err}; a cluster reads the tables chartlens computes from this directory, so the \
         store must be writable by the client",
        path.display()
    ))
}

/// A table of one Parquet file that chartlens wrote (a computed table, [`write_computed`]).
fn file_table(path: &Path, schema: SchemaRef) -> Result<Arc<dyn TableProvider>, StoreError> {
    let url = ListingTableUrl::parse(path.to_string_lossy())?;
    Ok(integrity::parquet_listing(vec![url], schema)?)
}
