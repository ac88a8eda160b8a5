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
    #[error("{}: unreadable manifest: {message}", path.display())]
    Manifest {
        /// The manifest or source index file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A Parquet part could not be read or written.
    #[error("{}: Parquet: {source}", path.display())]
    Parquet {
        /// The part's file.
        path: PathBuf,
        /// The error the Parquet library gave.
        source: parquet::errors::ParquetError,
    },
    /// Arrow refused a batch or a column.
    #[error("Arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// DataFusion could not plan or run a query.
    #[error("query failed: {0}")]
    Query(#[from] datafusion::error::DataFusionError),
    /// Another process holds the writer's lock.
    #[error(
        "{}: another chartlens process is writing to this store; wait for it to finish",
        path.display()
    )]
    Locked {
        /// The store's directory.
        path: PathBuf,
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
