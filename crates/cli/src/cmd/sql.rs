//! `chartlens sql`: run one DataFusion SQL query on the store and print it.

use std::path::Path;

use chartlens_store::Store;

use crate::args::SqlArgs;
use crate::{exit, output};

pub fn run(store_dir: &Path, args: &SqlArgs) -> anyhow::Result<u8> {
    let store = Store::open(store_dir)?;
    let ctx = store.session()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let frame = ctx.sql(&args.query).await?;
        let stream = frame.execute_stream().await?;
        output::print_stream(stream, args.format, args.max_rows).await
    })?;
    Ok(exit::OK)
}
