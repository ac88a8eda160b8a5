//! Reach and spread against answers worked out by hand on
//! `tests/data/metrics/charts.csv` (an interchange file: every value visible).

use std::path::PathBuf;

use crate::{ExpectCode, chartlens, data};

fn store(dir: &std::path::Path) -> PathBuf {
    let store = dir.join("store");
    chartlens(&store)
        .arg("ingest")
        .arg(data("metrics/charts.csv"))
        .expect_code(0);
    store
}

fn run(store: &std::path::Path, args: &[&str]) -> String {
    let out = chartlens(store)
        .args(args)
        .args(["--format", "csv"])
        .expect_code(0);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn breadth_counts_markets_without_global_and_keys_tracks_without_ids() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    assert_eq!(
        run(&store, &["reach", "--by", "track"]),
        "source,chart,track_id,track_name,artist_names,markets,global,entries,first_date,last_date\n\
         billboard,hot100,BTS - Dynamite,Dynamite,BTS,1,false,1,2021-01-10,2021-01-10\n\
         spotify,viral50,trk00000000000000000003,Road,Nova Ray,5,false,5,2021-01-14,2021-02-11\n\
         spotify,viral50,trk00000000000000000001,Sky,BTS,3,true,5,2021-01-07,2021-01-21\n\
         spotify,viral50,trk00000000000000000002,Lemon,Kenshi Yonezu,1,false,1,2021-01-14,2021-01-14\n"
    );
    // An artist's markets are counted within each chart, never pooled: on
    // viral50 JP, KR, US (Sky); on the Billboard chart US (Dynamite).
    let artists = run(&store, &["reach", "--by", "artist", "--cohort", "k-pop"]);
    let rows: Vec<Vec<&str>> = artists.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0].join(","),
        "source,chart,artist,cohort,origin_country,artist_id,markets,global,tracks,entries"
    );
    let without_id = |r: &Vec<&str>| [&r[..5], &r[6..]].concat().join(",");
    assert_eq!(
        rows[1..].iter().map(without_id).collect::<Vec<_>>(),
        [
            "billboard,hot100,BTS,K-pop,KR,1,false,1,1",
            "spotify,viral50,BTS,K-pop,KR,3,true,1,5"
        ]
    );
    assert!(rows[1][5].parse::<u64>().is_ok() && rows[1][5] == rows[2][5]);
    // Per chart and cohort: on viral50 BTS (3 markets) alone in K-pop, Kenshi
    // Yonezu (1) in J-pop, Nova Ray (5, not in the registry) in none.
    assert_eq!(
        run(&store, &["reach", "--by", "cohort"]),
        "source,chart,cohort,acts,q1_markets,median_markets,q3_markets,max_markets,pct_10plus,pct_30plus\n\
         billboard,hot100,K-pop,1,1.0,1.0,1.0,1,0.0,0.0\n\
         spotify,viral50,J-pop,1,1.0,1.0,1.0,1,0.0,0.0\n\
         spotify,viral50,K-pop,1,3.0,3.0,3.0,3,0.0,0.0\n\
         spotify,viral50,none,1,5.0,5.0,5.0,5,0.0,0.0\n"
    );
    // Filters: one chart, one period. Sky (JP, US) and Road (US, GB) tie on
    // markets and entries; the track id breaks the tie.
    assert_eq!(
        run(
            &store,
            &[
                "reach",
                "--chart",
                "viral50",
                "--period",
                "2021-01-14..2021-01-31",
                "--limit",
                "1"
            ]
        ),
        "source,chart,track_id,track_name,artist_names,markets,global,entries,first_date,last_date\n\
         spotify,viral50,trk00000000000000000001,Sky,BTS,2,false,2,2021-01-14,2021-01-21\n"
    );
    // A cohort with no tracks: a header and no rows, not an error.
    assert_eq!(
        run(&store, &["reach", "--by", "artist", "--cohort", "Latin"]),
        "source,chart,artist,cohort,origin_country,artist_id,markets,global,tracks,entries\n"
    );
    chartlens(&store)
        .args(["reach", "--cohort", "Polka"])
        .expect_code(1);
}

#[test]
fn spread_orders_markets_by_first_date_with_ties_and_flags_censoring() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    assert_eq!(
        run(&store, &["spread", "--chart", "viral50"]),
        "source,chart,track_id,track_name,artist_names,first_date,first_markets,tied_first,markets,t2_days,t5_days,t10_days,t20_days,censored\n\
         spotify,viral50,trk00000000000000000003,Road,Nova Ray,2021-01-14,US,1,5,14,28,,,false\n\
         spotify,viral50,trk00000000000000000001,Sky,BTS,2021-01-07,JP;KR,2,3,0,,,,true\n\
         spotify,viral50,trk00000000000000000002,Lemon,Kenshi Yonezu,2021-01-14,JP,1,1,,,,,false\n"
    );
    assert_eq!(
        run(&store, &["spread", "--track", "trk00000000000000000002"]),
        "source,chart,track_id,track_name,artist_names,first_date,first_markets,tied_first,markets,t2_days,t5_days,t10_days,t20_days,censored\n\
         spotify,viral50,trk00000000000000000002,Lemon,Kenshi Yonezu,2021-01-14,JP,1,1,,,,,false\n"
    );
    // The metric definitions print with their fixed sections.
    let out = chartlens(&store).arg("metrics").expect_code(0);
    let text = String::from_utf8(out.stdout).unwrap();
    for section in ["### breadth", "### spread", "**Formula.**", "**Caveats.**"] {
        assert!(text.contains(section), "{section}");
    }
}

#[test]
fn cohort_share_is_per_source_and_chart_with_a_rank_weighted_variant() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    // JP viral50: 01-07 Sky (K-pop) alone at 1 (weight 1); 01-14 Lemon
    // (J-pop) at 1 and Sky at 2 (weights 2 and 1). Entries K 2 / J 1;
    // weights K 2 / J 2. The Billboard chart is never pooled with Spotify's.
    let out = run(&store, &["share", "--market", "JP", "--market", "US"]);
    assert_eq!(
        out,
        "source,chart,market,cohort,entries,entry_pct,weighted_pct,streams,stream_pct\n\
         billboard,hot100,US,K-pop,1,100.0,100.0,,\n\
         spotify,viral50,JP,K-pop,2,66.67,50.0,,\n\
         spotify,viral50,JP,J-pop,1,33.33,50.0,,\n\
         spotify,viral50,US,K-pop,1,50.0,50.0,,\n\
         spotify,viral50,US,none,1,50.0,50.0,,\n"
    );
    let out = run(&store, &["share", "--by", "month", "--chart", "viral50"]);
    assert!(out.starts_with("source,chart,month,cohort,"), "{out}");
    assert!(
        out.contains("spotify,viral50,2021-02-01,none,3,100.0,100.0,,"),
        "{out}"
    );
    chartlens(&store)
        .args(["share", "--cohort", "K-pop"])
        .expect_code(1);
}

#[test]
fn home_share_says_when_the_home_market_is_not_in_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    // BTS on viral50 outside GLOBAL: JP, KR, JP, US; KR is home: 3 of 4 abroad.
    // On the Billboard chart only US exists, so home is not in the data.
    // (The last column, artist_id, is the registry's own numbering.)
    let artists = run(&store, &["home", "--by", "artist"]);
    let without_id: Vec<&str> = artists
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0)
        .collect();
    assert_eq!(
        without_id,
        [
            "source,chart,artist,cohort,origin_country,entries,home_entries,export_pct,streams,export_stream_pct,home_in_data",
            "billboard,hot100,BTS,K-pop,KR,1,0,100.0,,,false",
            "spotify,viral50,BTS,K-pop,KR,4,1,75.0,,,true",
            "spotify,viral50,Kenshi Yonezu,J-pop,JP,1,1,0.0,,,true"
        ]
    );
    // Per market: JP holds Sky twice (KR act) and Lemon once (JP act); Nova
    // Ray has no known origin.
    let markets = run(&store, &["home", "--by", "market", "--chart", "viral50"]);
    assert!(
        markets.contains("spotify,viral50,JP,3,33.33,0.0\n"),
        "{markets}"
    );
    assert!(
        markets.contains("spotify,viral50,US,2,0.0,50.0\n"),
        "{markets}"
    );
    assert!(!markets.contains("GLOBAL"), "{markets}");
    assert_eq!(
        run(&store, &["home", "--by", "cohort", "--cohort", "j-pop"]),
        "source,chart,cohort,artists,entries,export_pct,median_artist_export_pct,pct_artists_home_in_data\n\
         spotify,viral50,J-pop,1,1,0.0,0.0,100.0\n"
    );
}

/// The summary rows of the fixture's viral50 tracks in JP, KR and US:
/// `region, track, entries, first_date, last_date, best_rank, periods,
/// runs, first_run, run_from_start, run_open`.
fn summary(store: &std::path::Path) -> String {
    crate::sql(
        store,
        "select region, track_name, entries, first_date, last_date, best_rank, periods, runs, \
         first_run, run_from_start, run_open from track_markets \
         where chart = 'viral50' and region in ('JP', 'KR', 'US') order by region, track_name",
    )
}

#[test]
fn track_markets_summarises_each_track_in_each_market_and_follows_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    // JP has charts on 01-07 and 01-14: Sky is on both (a run from the
    // data's first period to its last: censored on both sides), Lemon on
    // the last only. US has 01-14 (Road) and 01-21 (Sky).
    assert_eq!(
        summary(&store),
        "region,track_name,entries,first_date,last_date,best_rank,periods,runs,first_run,run_from_start,run_open\n\
         JP,Lemon,1,2021-01-14,2021-01-14,1,1,1,1,false,true\n\
         JP,Sky,2,2021-01-07,2021-01-14,1,2,1,2,true,true\n\
         KR,Sky,1,2021-01-07,2021-01-07,1,1,1,1,true,true\n\
         US,Road,1,2021-01-14,2021-01-14,1,1,1,1,true,false\n\
         US,Sky,1,2021-01-21,2021-01-21,3,1,1,1,false,true\n"
    );
    // Every entry is summarised once.
    assert_eq!(
        crate::sql(&store, "select sum(entries) as n from track_markets"),
        "n\n12\n"
    );
    assert_eq!(
        crate::sql(&store, "select count(*) as n from chart_periods"),
        "n\n11\n"
    );

    // A new JP chart on 01-21 with Lemon and Sky again, then one on 01-28
    // with Sky: Lemon's run grows to 2; Sky has a second run, its first
    // (from the start) no longer reaches the end.
    let more = dir.path().join("more.csv");
    std::fs::write(
        &more,
        "source,chart,region,period_start,period_end,rank,track_id,track_name,artist_names\n\
         spotify,viral50,JP,2021-01-21,2021-01-21,1,trk00000000000000000002,Lemon,Kenshi Yonezu\n\
         spotify,viral50,JP,2021-01-28,2021-01-28,1,trk00000000000000000001,Sky,BTS\n\
         spotify,viral50,JP,2021-02-04,2021-02-04,1,trk00000000000000000002,Lemon,Kenshi Yonezu\n",
    )
    .unwrap();
    chartlens(&store).arg("ingest").arg(&more).expect_code(0);
    let after = summary(&store);
    assert!(
        after.contains("JP,Lemon,3,2021-01-14,2021-02-04,1,3,2,2,false,false\n")
            && after.contains("JP,Sky,3,2021-01-07,2021-01-28,1,3,2,2,true,false\n"),
        "{after}"
    );

    // Summaries that do not match the entries (an ingest stopped before it
    // rebuilt them) are never read: queries build them afresh, and
    // `tables` says so.
    let manifest_path = store.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    manifest["summaries_from"] = serde_json::json!(["data/chart_entries/elsewhere.parquet"]);
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    assert_eq!(summary(&store), after);
    let tables = chartlens(&store).arg("tables").expect_code(0);
    assert!(String::from_utf8_lossy(&tables.stdout).contains("track_markets (stale"));
    // Without the source index (which lists the published periods) the
    // periods are read from the entries themselves: the same summary.
    let mut no_index = manifest.clone();
    no_index.as_object_mut().unwrap().remove("sources_file");
    std::fs::write(&manifest_path, no_index.to_string()).unwrap();
    assert_eq!(summary(&store), after);
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    // The next ingest (even of nothing new) brings them up to date.
    chartlens(&store).arg("ingest").arg(&more).expect_code(0);
    let tables = chartlens(&store).arg("tables").expect_code(0);
    assert!(!String::from_utf8_lossy(&tables.stdout).contains("stale"));
    assert_eq!(summary(&store), after);
}
