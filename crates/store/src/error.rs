//! Errors of the store, named by the stage that failed. Paths are always the
//! store's own files: problems with input files are rejections, not errors.

use std::path::{Path, PathBuf};

/// What can go wrong reading or writing the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or directory of the store could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error the system gave.
        source: std::io::Error,
    },
    /// The manifest or the source index cannot be read, or is of another store format.
    #[error(
        "{}: the store's {} cannot be read: {message}; `chartlens --store {} check` shows what \
         is damaged and `chartlens --store {} repair` rolls the store back to its last \
         consistent version",
        path.display(),
        if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with(crate::manifest::SOURCES_PREFIX)) { "source index" } else { "manifest" },
        store_of(path).display(),
        store_of(path).display()
    )]
    Manifest {
        /// The manifest or source index file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The store was written in a format this chartlens does not read.
    #[error(
        "{}: store format {found} is not the format {} this chartlens reads; use the chartlens \
         that wrote it, or a newer one",
        path.display(), crate::manifest::FORMAT
    )]
    Format {
        /// The manifest file.
        path: PathBuf,
        /// The format it gives.
        found: u32,
    },
    /// A Parquet part could not be read or written.
    #[error("{}: Parquet: {source}", path.display())]
    Parquet {
        /// The part's file.
        path: PathBuf,
        /// The error the Parquet library gave.
        source: parquet::errors::ParquetError,
    },
    /// A part the manifest lists is missing or not what was written: the
    /// store is not whole, so nothing is answered from it.
    #[error(
        "{}: a part of table {table} is damaged: {damage}. The store is not whole, so \
         chartlens answers nothing from this table; `chartlens --store {} check` lists \
         every damaged file and `chartlens --store {} repair` fixes the store",
        path.display(), store.display(), store.display()
    )]
    Damaged {
        /// The part's file.
        path: PathBuf,
        /// The table it belongs to.
        table: String,
        /// What is wrong with it.
        damage: crate::integrity::Damage,
        /// The store's directory, for the commands to run next.
        store: PathBuf,
    },
    /// `repair` found no state of the store it can return to.
    #[error(
        "{}: the store cannot be repaired: {message}. Ingest the source files again into a new store",
        path.display()
    )]
    Unrepairable {
        /// The store's directory.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Arrow refused a batch or a column.
    #[error("Arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// DataFusion could not plan or run a query.
    #[error("query failed: {0}")]
    Query(#[from] datafusion::error::DataFusionError),
    /// Another process holds the writer's lock.
    #[error(
        "{}: another chartlens process is writing to this store{}; wait for it to finish, \
         or give `ingest` a longer `--wait SECS`",
        path.display(),
        waited.map(|w| format!(" (waited {} s for it)", w.as_secs())).unwrap_or_default()
    )]
    Locked {
        /// The store's directory.
        path: PathBuf,
        /// How long this process waited for the lock.
        waited: Option<std::time::Duration>,
    },
    /// The directory holds no manifest, so no store.
    #[error("{}: no chartlens store here (run `chartlens ingest` first, or pass --store)", path.display())]
    Missing {
        /// The directory opened as a store.
        path: PathBuf,
    },
    /// A statement `chartlens sql` does not run, because it writes or reads
    /// files, or changes tables or settings ([`crate::query::read_only_sql`]).
    #[error("{0}")]
    ReadOnly(crate::query::Refused),
    /// A query needed more memory than the session's pool ([`crate::query::Limits`]).
    #[error(
        "the query needed more than the {} memory limit (--memory-limit); raise it or narrow the query",
        crate::query::human_bytes(*limit)
    )]
    MemoryLimit {
        /// The pool's size, in bytes.
        limit: usize,
    },
    /// A query ran past its deadline and was stopped ([`crate::query::Limits`]).
    #[error(
        "the query ran longer than the {} s deadline (--timeout) and was stopped; raise it or narrow the query",
        limit.as_secs_f64()
    )]
    Deadline {
        /// The time the query was given.
        limit: std::time::Duration,
    },
}

/// The store directory of a manifest or source index file.
fn store_of(path: &Path) -> &Path {
    path.parent().unwrap_or(path)
}

impl StoreError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn parquet(path: &Path, source: parquet::errors::ParquetError) -> StoreError {
        StoreError::Parquet {
            path: path.to_path_buf(),
            source,
        }
    }
}
