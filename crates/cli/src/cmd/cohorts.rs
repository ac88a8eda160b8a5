//! The cohort definitions a command classifies artists with, and `--cohort`
//! values checked against them. Shared by every command that reads cohorts.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chartlens_model::cohort::Cohorts;

/// The cohort file read when `--cohort-rules` is not given, inside the store.
pub const STORE_COHORTS: &str = "cohorts.toml";

/// The cohort definitions in force: `--cohort-rules`, else `cohorts.toml` in the
/// store, else the built-in ones. Also says which.
pub fn load_cohorts(store_dir: &Path, flag: Option<&Path>) -> anyhow::Result<(Cohorts, String)> {
    let in_store = store_dir.join(STORE_COHORTS);
    let path: Option<PathBuf> = match flag {
        Some(path) => Some(path.to_path_buf()),
        None if in_store.is_file() => Some(in_store),
        None => None,
    };
    match path {
        None => Ok((Cohorts::builtin(), "the built-in cohorts".to_string())),
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading cohorts from {}", path.display()))?;
            let cohorts = Cohorts::parse(&text)
                .with_context(|| format!("{}: invalid cohort file", path.display()))?;
            Ok((cohorts, path.display().to_string()))
        }
    }
}

/// A `--cohort` value as its definition spells it, or `None` for `none`
/// (artists in no cohort); an unknown name is an error listing the cohorts.
pub fn cohort_name(cohorts: &Cohorts, name: &str) -> anyhow::Result<Option<String>> {
    if name.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    match cohorts.index_of(name) {
        Some(i) => Ok(Some(cohorts.cohorts[i].name.clone())),
        None => {
            let known: Vec<&str> = cohorts.cohorts.iter().map(|c| c.name.as_str()).collect();
            bail!(
                "--cohort {name:?} is not a cohort; the cohorts are {} (or none)",
                known.join(", ")
            );
        }
    }
}
