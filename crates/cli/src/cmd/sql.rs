//! `chartlens sql`: run one read-only DataFusion SQL query on the store, within
//! the memory limit and deadline, and print it.

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use chartlens_store::{Limits, query};

use crate::args::SqlArgs;
use crate::{exit, output};

pub async fn run(
    store_dir: &Path,
    cohorts: Option<&Path>,
    args: &SqlArgs,
    limits: &Limits,
) -> anyhow::Result<u8> {
    let query = if args.query == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the query from standard input")?;
        text
    } else {
        args.query.clone()
    };
    let store = super::open_store(store_dir, limits)?;
    let (cohorts, _) = super::cohorts::load_cohorts(store_dir, cohorts)?;
    let ctx = store.session_with_artists(cohorts)?;
    let stream = query::read_only_sql(&ctx, &query, limits).await?;
    let stream = match args.limit {
        Some(rows) => output::first_rows(stream, rows),
        None => stream,
    };
    output::print_stream(stream, args.format, args.max_rows).await?;
    Ok(exit::OK)
}
