//! What can stop a study, in the library's terms: the command line maps
//! these to advice about its flags.

use chartlens_store::StoreError;
use datafusion::error::DataFusionError;

/// Why a study could not be made.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// A study compares exactly two cohorts.
    #[error("a study compares two cohorts, not {given}")]
    Cohorts {
        /// How many cohorts were given.
        given: usize,
    },
    /// A period bound that is not a date.
    #[error("the period's {which} date {value:?} is not a date (YYYY-MM-DD)")]
    Period {
        /// Which bound: `first` or `last`.
        which: &'static str,
        /// The text given for it.
        value: String,
    },
    /// Nothing to measure.
    #[error("the store has no chart entries for this selection")]
    NoEntries,
    /// The store could not be read.
    #[error("reading the store: {0}")]
    Store(#[from] StoreError),
    /// A query of the study failed; `sql` is the query.
    #[error("a query of the study failed: {source}")]
    Query {
        /// The query that failed.
        sql: String,
        /// DataFusion's error.
        #[source]
        source: DataFusionError,
    },
    /// A query's result lacks a column or holds an unexpected type.
    #[error("a query of the study gave an unexpected result: {0}")]
    Result(String),
}

impl From<arrow::error::ArrowError> for StudyError {
    fn from(e: arrow::error::ArrowError) -> StudyError {
        StudyError::Result(e.to_string())
    }
}
