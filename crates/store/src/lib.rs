//! The chartlens store: a directory of Parquet parts listed by one manifest,
//! written by a single [`Writer`] and queried with DataFusion.
//!
//! Layout: `manifest.json` (the committed state), `sources-<version>.json` (the
//! writer's index of source files), `data/<table>/part-*.parquet`
//! (the rows), `.lock` (held by the writer).

pub mod check;
pub mod derived;
pub mod error;
pub mod integrity;
pub mod manifest;
pub mod parts;
pub mod query;
pub mod remote;
pub mod summary;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chartlens_model::table::{self, Table};
use datafusion::datasource::TableType;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

pub use error::StoreError;
pub use manifest::Manifest;
pub use query::Limits;
pub use summary::Summaries;
pub use writer::{FileRows, LogEntry, Status, WriteOptions, Writer};

/// A store opened for reading at one committed version.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    manifest: Manifest,
    limits: Limits,
}

impl Store {
    /// Opens an existing store; a directory without a manifest is not a store.
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        if !root.join(manifest::MANIFEST_FILE).is_file() {
            return Err(StoreError::Missing {
                path: root.to_path_buf(),
            });
        }
        Ok(Store {
            root: root.to_path_buf(),
            manifest: Manifest::load(root)?,
            limits: Limits::default(),
        })
    }

    /// Opens the store at `root`, creating an empty one if there is none.
    pub fn open_or_create(root: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(root).map_err(|e| StoreError::io(root, e))?;
        Manifest::create_empty(root)?;
        Store::open(root)
    }

    /// The store with sessions bounded by `limits` (the memory pool; the
    /// deadline is the caller's to enforce, as [`query::read_only_sql`] does).
    pub fn with_limits(mut self, limits: Limits) -> Store {
        self.limits = limits;
        self
    }

    /// The limits of this store's sessions.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The store's directory, as it was opened.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The committed state this store reads.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Whether the stored summary tables do not summarise this version's
    /// entries, so that sessions build them in memory ([`summary`]).
    pub fn summaries_stale(&self) -> bool {
        !self.manifest.parts(table::CHART_ENTRIES).is_empty()
            && !summary::is_current(&self.manifest)
    }

    /// Takes the store's write lock. Fails fast if another process holds it.
    pub fn writer(&self, options: WriteOptions) -> Result<Writer, StoreError> {
        Writer::open(&self.root, options)
    }

    /// A DataFusion session with every stored table registered under its
    /// contract name, reading exactly the parts of this manifest version,
    /// with a memory pool of the store's [`Limits`]. Its plans run on a
    /// cluster when one is installed ([`remote::install`]).
    pub fn session(&self) -> Result<SessionContext, StoreError> {
        // DataFusion's defaults (one partition per core), tunable with its
        // own DATAFUSION_* environment variables, such as
        // DATAFUSION_EXECUTION_TARGET_PARTITIONS.
        let config = SessionConfig::from_env()?.with_information_schema(true);
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(self.limits.runtime_env()?)
            .with_default_features()
            .build();
        let state = match remote::upgrade() {
            Some(upgrade) => upgrade(state)?,
            None => state,
        };
        let ctx = SessionContext::new_with_state(state);
        let root = self.absolute_root()?;
        for table in table::all_tables() {
            self.register(&ctx, &root, &table)?;
        }
        self.register_summaries(&ctx)?;
        Ok(ctx)
    }

    /// The store's directory as an absolute path: what a table's files are
    /// named by, in this process and on a cluster.
    pub(crate) fn absolute_root(&self) -> Result<PathBuf, StoreError> {
        std::path::absolute(&self.root).map_err(|e| StoreError::io(&self.root, e))
    }

    /// Registers the summary tables: their stored parts when they summarise
    /// this version's entries, else (an ingest in progress or interrupted)
    /// tables built in memory on their first scan, so they are never read
    /// stale.
    fn register_summaries(&self, ctx: &SessionContext) -> Result<(), StoreError> {
        if !self.summaries_stale() {
            let root = self.absolute_root()?;
            for table in table::summary_tables() {
                self.register(ctx, &root, &table)?;
            }
            return Ok(());
        }
        self.register_summaries_within(ctx, summary::Window::ALL)
    }

    /// Replaces the summary tables of `ctx` (a session of this store) by
    /// summaries of the charts of `window` only, built in memory when a
    /// query first reads them: what a study of one period reads.
    pub fn register_summaries_within(
        &self,
        ctx: &SessionContext,
        window: summary::Window,
    ) -> Result<(), StoreError> {
        let lazy = summary::Lazy::new(&self.root, self.manifest.clone(), window);
        let tables = table::summary_tables();
        derived::register_lazy(
            ctx,
            &self.absolute_root()?,
            Arc::new(lazy),
            &tables,
            TableType::Base,
        )
    }

    fn register(&self, ctx: &SessionContext, root: &Path, table: &Table) -> Result<(), StoreError> {
        let parts = self.manifest.parts(table.name);
        let provider = integrity::stored_table(root, table.name, table.schema(), parts)?;
        ctx.register_table(table.name, provider)?;
        Ok(())
    }
}
