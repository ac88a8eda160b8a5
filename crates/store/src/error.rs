//! Errors of the store, named by the stage that failed. Paths are always the
//! store's own files: problems with input files are rejections, not errors.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: unreadable manifest: {message}", path.display())]
    Manifest { path: PathBuf, message: String },
    #[error("{}: Parquet: {source}", path.display())]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("Arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("query failed: {0}")]
    Query(#[from] datafusion::error::DataFusionError),
    #[error(
        "{}: another chartlens process is writing to this store; wait for it to finish",
        path.display()
    )]
    Locked { path: PathBuf },
    #[error("{}: no chartlens store here (run `chartlens ingest` first, or pass --store)", path.display())]
    Missing { path: PathBuf },
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
