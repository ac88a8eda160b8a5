//! `chartlens simulate`: writes a simulated chart world; see
//! [`chartlens_sim`].

use anyhow::{Context, bail};

use crate::args::SimulateArgs;
use crate::exit;
use chartlens_sim::{self as simulate, Params};

/// The parameters a simulate or demo run uses: the file's or the built-in
/// ones, with the seed and size overrides.
pub fn params(args: &SimulateArgs) -> anyhow::Result<Params> {
    let text = match &args.config {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
        }
        None => simulate::DEFAULT.to_string(),
    };
    let mut params = Params::parse(&text).with_context(|| match &args.config {
        Some(path) => format!("in {}", path.display()),
        None => "in the built-in parameters".to_string(),
    })?;
    if let Some(seed) = args.seed {
        params.seed = seed;
    }
    if let Some(entries) = args.entries {
        params.scale_to_entries(entries)?;
    }
    Ok(params)
}

pub fn run(args: &SimulateArgs) -> anyhow::Result<u8> {
    if args.print_config {
        print!("{}", simulate::DEFAULT);
        return Ok(exit::OK);
    }
    let params = params(args)?;
    if args.out.exists() && args.out.read_dir()?.next().is_some() {
        bail!("{} is not empty; choose another --out", args.out.display());
    }
    let started = std::time::Instant::now();
    let summary = simulate::write(&params, &args.out)?;
    println!(
        "simulated {} weeks, {} artists, {} tracks: {} chart files ({} entries) and {} video \
         files under {} in {:.1} s",
        params.weeks,
        summary.artists,
        summary.tracks,
        summary.chart_files,
        summary.chart_entries,
        summary.video_files,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(exit::OK)
}
