//! One command line (issue 12, class 8): ties shown as ties, one name for
//! "no cohort", every command per chart, empty results that say why, tracks
//! and artists found by name in any script, and `--sort`; on
//! `tests/data/cli/charts.csv` (an interchange file: every value visible).

use std::path::{Path, PathBuf};

use crate::{ExpectCode, chartlens, data};

fn store(dir: &Path) -> PathBuf {
    let store = dir.join("store");
    chartlens(&store)
        .arg("ingest")
        .arg(data("cli/charts.csv"))
        .expect_code(0);
    store
}

/// Standard output of a CSV run that must succeed.
fn csv(store: &Path, args: &[&str]) -> String {
    let out = chartlens(store)
        .args(args)
        .args(["--format", "csv"])
        .expect_code(0);
    String::from_utf8(out.stdout).unwrap()
}

/// Standard error of a run that must end with `code`.
fn stderr(store: &Path, args: &[&str], code: i32) -> String {
    let out = chartlens(store).args(args).expect_code(code);
    String::from_utf8(out.stderr).unwrap()
}

/// One column of a CSV output (no quoted commas in these fixtures).
fn column(out: &str, name: &str) -> Vec<String> {
    let mut lines = out.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| l.split(',').nth(i).unwrap().to_string())
        .collect()
}

const SPREAD_HEADER: &str = "source,chart,track_id,track_name,artist_names,first_date,\
    first_markets,tied_first,markets,t2_days,t5_days,t10_days,t20_days,censored\n";

#[test]
fn spread_lists_every_market_tied_on_the_first_date() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    // Dynamite enters US, JP and KR on the same day: three first markets,
    // none of them picked alphabetically as "the" first.
    assert_eq!(
        csv(&store, &["spread", "--chart", "viral50"]),
        format!(
            "{SPREAD_HEADER}\
             spotify,viral50,trk00000000000000000011,Dynamite,BTS,2021-01-07,JP;KR;US,3,4,0,,,,true\n\
             spotify,viral50,trk00000000000000000016,Slow,Nova Ray,2021-01-14,JP,1,3,14,,,,false\n\
             spotify,viral50,trk00000000000000000012,DYNAMITE!,Nova Ray,2021-01-14,JP,1,2,7,,,,false\n\
             spotify,viral50,trk00000000000000000014,Lemon,Kenshi Yonezu & Nova Ray,2021-01-07,JP,1,1,,,,,true\n\
             spotify,viral50,trk00000000000000000013,ダイナマイト,Kenshi Yonezu,2021-01-21,JP,1,1,,,,,false\n"
        )
    );
}

#[test]
fn spread_and_reach_sort_within_each_chart() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let ids = |args: &[&str]| -> Vec<String> {
        column(&csv(&store, args), "track_id")
            .iter()
            .map(|id| id[id.len() - 2..].to_string())
            .collect()
    };
    // Days ascending, never reached last (in the default order).
    assert_eq!(
        ids(&["spread", "--chart", "viral50", "--sort", "t2_days"]),
        ["11", "12", "16", "14", "13"]
    );
    assert_eq!(
        ids(&["spread", "--chart", "viral50", "--sort", "first_date"]),
        ["11", "14", "16", "12", "13"]
    );
    assert_eq!(
        ids(&["spread", "--chart", "viral50", "--sort", "track_name"]),
        ["12", "11", "14", "16", "13"]
    );
    // Sorting never mixes charts: top50 rows stay before viral50's.
    let both = csv(&store, &["spread", "--sort", "t2_days"]);
    assert_eq!(
        column(&both, "chart"),
        [
            "top50", "top50", "viral50", "viral50", "viral50", "viral50", "viral50"
        ]
    );
    assert_eq!(
        ids(&["reach", "--chart", "viral50", "--sort", "entries"]),
        ["11", "16", "13", "12", "14"]
    );
    assert_eq!(
        ids(&["reach", "--chart", "viral50", "--sort", "first_date"]),
        ["11", "14", "16", "12", "13"]
    );
    assert_eq!(
        ids(&["reach", "--chart", "viral50"]),
        ["11", "16", "12", "13", "14"]
    );
    let err = stderr(&store, &["reach", "--by", "cohort", "--sort", "entries"], 1);
    assert!(err.contains("--sort applies to --by track"), "{err}");
}

#[test]
fn tracks_are_found_by_id_or_by_name_in_any_script() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    // Case and punctuation folded: both Dynamites, on both charts, as rows.
    let out = csv(&store, &["spread", "--track", "dynamite"]);
    assert_eq!(
        column(&out, "track_id"),
        [
            "trk00000000000000000011",
            "trk00000000000000000011",
            "trk00000000000000000012"
        ]
    );
    assert_eq!(column(&out, "chart"), ["top50", "viral50", "viral50"]);
    // Half-width katakana is the same name after NFKC.
    let out = csv(&store, &["spread", "--track", "ﾀﾞｲﾅﾏｲﾄ"]);
    assert_eq!(column(&out, "track_name"), ["ダイナマイト"]);
    // An id is an id, and still works.
    let out = csv(&store, &["spread", "--track", "trk00000000000000000012"]);
    assert_eq!(column(&out, "track_name"), ["DYNAMITE!"]);
    let err = stderr(&store, &["spread", "--track", "No Such Song"], 1);
    assert!(
        err.contains("\"No Such Song\"") && err.contains("chartlens reach --by track"),
        "{err}"
    );
}

#[test]
fn artists_are_found_through_the_registry_or_their_credited_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    // The Hangul alias of the built-in registry's BTS.
    let out = csv(
        &store,
        &["spread", "--artist", "방탄소년단", "--chart", "viral50"],
    );
    assert_eq!(column(&out, "track_name"), ["Dynamite"]);
    // Kenshi Yonezu by his Japanese name: his own track and the one he
    // shares with Nova Ray (credited first).
    let out = csv(&store, &["reach", "--artist", "米津玄師"]);
    assert_eq!(column(&out, "track_name"), ["ダイナマイト", "Lemon"]);
    // Nova Ray is in no registry: the credited name, folded, finds the
    // tracks, featured credit included.
    let out = csv(
        &store,
        &["reach", "--artist", "NOVA  RAY", "--sort", "entries"],
    );
    assert_eq!(column(&out, "track_name"), ["Slow", "DYNAMITE!", "Lemon"]);
    // The artist view shows only that artist, not its co-credits.
    let out = csv(
        &store,
        &["reach", "--by", "artist", "--artist", "kenshi yonezu"],
    );
    assert_eq!(column(&out, "artist"), ["Kenshi Yonezu"]);
    assert_eq!(column(&out, "tracks"), ["2"]);
    let err = stderr(&store, &["spread", "--artist", "Nobody Known"], 1);
    assert!(
        err.contains("\"Nobody Known\"") && err.contains("chartlens artists list"),
        "{err}"
    );
}

#[test]
fn an_unknown_chart_is_an_error_listing_the_charts_and_empty_results_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    // (Were the check missing, the study would write here, not in the tree.)
    let report = dir.path().join("report").to_string_lossy().into_owned();
    for command in [
        &["reach"][..],
        &["spread"],
        &["share"],
        &["home"],
        &["artists", "coverage"],
        &["study", "--out", &report],
    ] {
        let mut args = command.to_vec();
        args.extend(["--chart", "viral52"]);
        let err = stderr(&store, &args, 1);
        assert!(
            err.contains("--chart \"viral52\"") && err.contains("spotify/top50, spotify/viral50"),
            "{args:?}: {err}"
        );
    }
    let err = stderr(&store, &["reach", "--source", "deezer"], 1);
    assert!(err.contains("spotify/top50"), "{err}");
    // A market the chart lacks: an empty result (exit 0), and why.
    let out = chartlens(&store)
        .args([
            "reach", "--chart", "top50", "--market", "JP", "--format", "csv",
        ])
        .expect_code(0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "source,chart,track_id,track_name,artist_names,markets,global,entries,first_date,last_date\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("spotify/top50 has no chart for --market JP (its markets: KR)")
            && err.contains("charts with it: spotify/viral50"),
        "{err}"
    );
    // A period outside the chart's dates: the dates it has.
    let err = stderr(
        &store,
        &[
            "spread",
            "--chart",
            "top50",
            "--period",
            "2020-01-01..2020-12-31",
        ],
        0,
    );
    assert!(
        err.contains(
            "spotify/top50 has no chart period starting within --period 2020-01-01..2020-12-31"
        ) && err.contains("start between 2021-01-07 and 2021-01-14"),
        "{err}"
    );
    // GLOBAL is never a market of spread: said, not an empty table.
    let err = stderr(&store, &["spread", "--market", "global"], 1);
    assert!(err.contains("GLOBAL is not one"), "{err}");
    // No note when the selection has rows.
    let err = stderr(
        &store,
        &["reach", "--chart", "viral50", "--market", "JP"],
        0,
    );
    assert!(!err.contains("note:"), "{err}");
}

#[test]
fn the_bucket_of_artists_in_no_cohort_is_none_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    // Nova Ray (credited only) and Sora Quiet are in no cohort.
    let out = csv(&store, &["reach", "--by", "artist", "--cohort", "none"]);
    assert_eq!(column(&out, "artist"), ["Sora Quiet", "Nova Ray"]);
    assert_eq!(column(&out, "cohort"), ["none", "none"]);
    let out = csv(&store, &["reach", "--by", "cohort", "--chart", "top50"]);
    assert!(out.contains("spotify,top50,none,1,"), "{out}");
    let out = csv(&store, &["share", "--chart", "top50"]);
    assert!(out.contains("spotify,top50,KR,none,1,"), "{out}");
    // Coverage: per source and chart, never pooled, with the same name.
    let out = csv(
        &store,
        &[
            "artists", "coverage", "--view", "overall", "--chart", "top50",
        ],
    );
    assert_eq!(
        out,
        "source,chart,cohort,entries,entry_pct,streams,stream_pct\n\
         spotify,top50,K-pop,2,66.67,,\n\
         spotify,top50,none,1,33.33,,\n"
    );
    let out = csv(&store, &["artists", "coverage", "--view", "none"]);
    assert_eq!(
        out,
        "source,chart,name,reason,entries,markets,streams\n\
         spotify,top50,Sora Quiet,name in no registry or list,1,1,\n\
         spotify,viral50,Nova Ray,name in no registry or list,5,3,\n"
    );
    let out = csv(
        &store,
        &["artists", "coverage", "--view", "markets", "--market", "GB"],
    );
    assert_eq!(
        out,
        "source,chart,market,cohort,entries,entry_pct,streams,stream_pct\n\
         spotify,viral50,GB,K-pop,1,50.0,,\n\
         spotify,viral50,GB,none,1,50.0,,\n"
    );
    // `artists list --cohort none`: see artists.rs (this store's registry
    // places every artist it knows).
}

#[test]
fn a_limit_applies_within_each_chart_and_never_cuts_a_chart_away() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    for command in ["reach", "spread"] {
        let out = csv(&store, &[command, "--limit", "1"]);
        assert_eq!(
            column(&out, "chart"),
            ["top50", "viral50"],
            "{command}: one row of each chart\n{out}"
        );
    }
    let two = csv(&store, &["reach", "--limit", "2"]);
    assert_eq!(
        column(&two, "chart"),
        ["top50", "top50", "viral50", "viral50"]
    );
}
