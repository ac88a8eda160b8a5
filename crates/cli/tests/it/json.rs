//! JSON chart sources: Spotify playlist snapshots and Billboard weeks, on the
//! fixtures in `tests/data/json`.

use crate::{ExpectCode, chartlens, data, scalar, sql};

#[test]
fn chart_playlists_become_charts_with_artist_ids() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    chartlens(&store)
        .arg("ingest")
        .arg(data("json/playlists"))
        .expect_code(0);
    let rows = sql(
        &store,
        "select chart, region, period_start, rank, track_id, artist_names, artist_ids \
         from chart_entries where source = 'spotify' order by region, period_start, rank",
    );
    assert_eq!(
        rows,
        "chart,region,period_start,rank,track_id,artist_names,artist_ids\n\
         top50,GLOBAL,2021-04-02,1,trk00000000000000000001,Haneul Five,art00000000000000000001\n\
         viral50,JP,2021-04-02,1,trk00000000000000000005,Kaze Band,art00000000000000000005\n\
         top50,KR,2021-04-01,1,trk00000000000000000001,Haneul Five,art00000000000000000001\n\
         top50,KR,2021-04-01,2,trk00000000000000000002,\"Mina, Tyler, The Creator\",\"art00000000000000000002,art00000000000000000003\"\n\
         top50,KR,2021-04-01,4,trk00000000000000000004,,\n"
    );
    // The empty item keeps its position: rank 3 is absent, not renumbered.
    let layouts = sql(
        &store,
        "select layout, count(*) as files from ingest_log group by layout order by layout",
    );
    assert_eq!(
        layouts,
        "layout,files\nspotify-playlist,2\nspotify-playlist-snapshot,1\nspotify-playlist-tracks,1\n"
    );
    // Credits carry the platform's artist ids when the names line up with them.
    assert_eq!(
        sql(
            &store,
            "select distinct credited_name, role, platform_id from credits \
             where track_name in ('Skyline', 'Untitled') order by credited_name"
        ),
        "credited_name,role,platform_id\nHaneul Five,lead,art00000000000000000001\n"
    );
    // A playlist that is not a chart is kept as a snapshot, not as a chart.
    assert_eq!(
        sql(
            &store,
            "select playlist_id, playlist_name, snapshot_date, position, track_id, artist_names \
             from playlist_snapshots"
        ),
        "playlist_id,playlist_name,snapshot_date,position,track_id,artist_names\n\
         pl3,My Road Trip,2021-04-02,1,trk00000000000000000001,\n"
    );
    assert_eq!(
        scalar(
            &store,
            "select count(*) from chart_entries where chart not in ('top50', 'viral50')"
        ),
        "0"
    );
    // Again: nothing new in either table.
    let again = chartlens(&store)
        .arg("ingest")
        .arg(data("json/playlists"))
        .expect_code(0);
    assert!(String::from_utf8_lossy(&again.stdout).contains("4 unchanged"));
    assert_eq!(
        scalar(&store, "select count(*) from playlist_snapshots"),
        "1"
    );
}

#[test]
fn billboard_weeks_take_chart_and_market_from_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    chartlens(&store)
        .arg("ingest")
        .arg(data("json/billboard"))
        .expect_code(0);
    let rows = sql(
        &store,
        "select chart, region, period_start, period_end, frequency, rank, track_name, artist_names, source_line \
         from chart_entries order by chart, rank",
    );
    assert_eq!(
        rows,
        "chart,region,period_start,period_end,frequency,rank,track_name,artist_names,source_line\n\
         global200,GLOBAL,2021-03-28,2021-04-03,weekly,1,Skyline,Haneul Five,1\n\
         hot100,US,2021-03-28,2021-04-03,weekly,1,Up,Cardi B,4\n\
         hot100,US,2021-03-28,2021-04-03,weekly,2,Butter Fly,Haneul Five,5\n"
    );
    // --chart and --region override the path.
    let other = dir.path().join("other");
    chartlens(&other)
        .args(["ingest", "--chart", "japan-hot100", "--region", "JP"])
        .arg(data("json/billboard/hot-100"))
        .expect_code(0);
    assert_eq!(
        scalar(
            &other,
            "select chart || '/' || region from chart_entries limit 1"
        ),
        "japan-hot100/JP"
    );
}

#[test]
fn bad_json_files_are_rejected_with_line_and_reason_and_the_rest_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = chartlens(&store)
        .arg("ingest")
        .arg(data("json"))
        .expect_code(3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("billboard-missing-song.json: line 5: entry 2 has no `song`"),
        "{err}"
    );
    assert!(
        err.contains("truncated.json: line 2: invalid JSON"),
        "{err}"
    );
    // Nothing of the rejected files, all of the good ones.
    assert_eq!(scalar(&store, "select count(*) from chart_entries"), "8");
    assert_eq!(
        scalar(
            &store,
            "select count(*) from chart_entries where source_file like '%bad%'"
        ),
        "0"
    );
    assert_eq!(
        scalar(
            &store,
            "select count(*) from ingest_log where status = 'rejected'"
        ),
        "2"
    );
}
