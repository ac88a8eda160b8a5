//! `chartlens sql`: run one DataFusion SQL query on the store and print it.

use std::io::Read;
use std::path::Path;

use anyhow::Context;

use crate::args::SqlArgs;
use crate::{exit, output};

pub async fn run(store_dir: &Path, cohorts: Option<&Path>, args: &SqlArgs) -> anyhow::Result<u8> {
    let query = if args.query == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the query from standard input")?;
        text
    } else {
        args.query.clone()
    };
    let store = super::open_store(store_dir)?;
    let (cohorts, _) = super::cohorts::load_cohorts(store_dir, cohorts)?;
    let ctx = store.session_with_artists(cohorts)?;
    let frame = ctx.sql(&query).await?;
    let stream = frame.execute_stream().await?;
    output::print_stream(stream, args.format, args.max_rows).await?;
    Ok(exit::OK)
}
