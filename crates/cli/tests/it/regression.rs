//! Regression tests of issue 14 ("Nothing lost, nothing silently wrong"), each
//! named after the bug it pins.

use std::path::Path;

use crate::{ExpectCode, chartlens, data, scalar, sql};

/// A Spotify Top 200 row whose track was removed (rank and streams, no title,
/// artist or link) rejected its whole file, in every layout.
#[test]
fn removed_track_row_cost_its_whole_chart() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = chartlens(&store)
        .arg("ingest")
        .arg(data("removed"))
        .expect_code(0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("kept 6 rows flagged incomplete"),
        "{stdout}"
    );
    // Every layout keeps its rows: ranks and stream totals stay whole.
    assert_eq!(
        sql(
            &store,
            "select region, chart, count(*) as rows, sum(streams) as streams, \
             count(*) filter (where flag = 'track-removed' and track_id is null) as removed \
             from chart_entries group by region, chart order by region, chart"
        ),
        "region,chart,rows,streams,removed\n\
         AR,top200,2,477007,1\n\
         DE,top200,1,1000,1\n\
         JP,top200,2,90000,1\n\
         US,top200,4,14000,2\n\
         US,viral50,2,,1\n"
    );
    assert_eq!(
        sql(
            &store,
            "select layout, rows, flagged_rows from ingest_log order by layout"
        ),
        "layout,rows,flagged_rows\n\
         spotify-charts,2,1\n\
         spotify-combined,3,2\n\
         spotify-legacy-regional,4,2\n\
         spotify-legacy-viral,2,1\n"
    );
    // The removed tracks of a market are not one fake track...
    assert_eq!(
        sql(
            &store,
            "select region, chart, count(*) as tracks, sum(entries) as entries \
             from track_markets group by region, chart order by region, chart"
        ),
        "region,chart,tracks,entries\nAR,top200,1,1\nJP,top200,1,1\nUS,top200,2,2\nUS,viral50,1,1\n"
    );
    // Nor when a period makes the metrics read every entry instead of the
    // summary: both give the same tracks.
    let tracks = |period: &[&str]| {
        let out = chartlens(&store)
            .args(["reach", "--by", "track", "--format", "csv"])
            .args(period)
            .expect_code(0);
        String::from_utf8(out.stdout).unwrap()
    };
    let whole = tracks(&[]);
    assert_eq!(whole, tracks(&["--period", "2000-01-01..2100-01-01"]));
    assert!(!whole.contains(" - "), "{whole}");
    // ...but they count in their chart.
    assert_eq!(
        scalar(
            &store,
            "select entries from chart_periods where region = 'US' and chart = 'top200'"
        ),
        "4"
    );
}

/// Ranks and counts parsed differently by layout, and `1,234,567` (as
/// spreadsheets save it) was rejected everywhere.
#[test]
fn numbers_parsed_differently_by_layout() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    std::fs::create_dir(&good).unwrap();
    let id = "https://open.spotify.com/track/7qiZfU4dY1lWllzX7mPBI3";
    let write =
        |dir: &Path, name: &str, body: String| std::fs::write(dir.join(name), body).unwrap();
    let files = |dir: &Path, value: &str, rank: &str| {
        write(
            dir,
            "us_regional_top200_2020-01-02_2020-01-09.csv",
            format!("Position,\"Track Name\",Artist,Streams,URL\n{rank},A,B,\"{value}\",{id}\n"),
        );
        write(
            dir,
            "regional-jp-weekly-2023-01-05.csv",
            format!(
                "rank,uri,artist_names,track_name,source,peak_rank,previous_rank,weeks_on_chart,streams\n\
                 {rank},spotify:track:0b9oOr2ZgvyQu88wzixux9,A,B,L,1,1,1,\"{value}\"\n"
            ),
        );
        write(
            dir,
            "combined.csv",
            format!(
                "title,rank,date,artist,url,region,chart,trend,streams\n\
                 A,\"{rank}\",2017-01-01,B,{id},Argentina,top200,SAME_POSITION,\"{value}\"\n"
            ),
        );
        write(
            dir,
            "youtube-charts-global-weekly-2026-W10.csv",
            format!(
                "Rank,\"Previous Rank\",\"Track Name\",\"Artist Names\",\"Periods on Chart\",Views,Growth,\"YouTube URL\"\n\
                 {rank},,A,B,1,\"{value}\",0%,https://www.youtube.com/watch?v=dQw4w9WgXcQ\n"
            ),
        );
        write(
            dir,
            "interchange.csv",
            format!(
                "source,chart,region,period_start,period_end,rank,track_name,artist_names,streams\n\
                 oricon,singles,JP,2020-01-06,2020-01-12,\"{rank}\",A,B,\"{value}\"\n"
            ),
        );
        write(
            dir,
            "hot100-2020-01-04.json",
            format!(
                "{{\"date\": \"2020-01-04\", \"data\": [{{\"song\": \"A\", \"artist\": \"B\", \
                 \"this_week\": \"{rank}\"}}]}}"
            ),
        );
    };
    files(&good, "1,234,567", "1.0");
    let store = dir.path().join("store");
    chartlens(&store).arg("ingest").arg(&good).expect_code(0);
    assert_eq!(
        sql(
            &store,
            "select source, rank, coalesce(streams, views) as n from chart_entries order by source"
        ),
        "source,rank,n\nbillboard,1,\noricon,1,1234567\nspotify,1,1234567\nspotify,1,1234567\n\
         spotify,1,1234567\nyoutube,1,1234567\n"
    );
    // The same wrong value is rejected by every layout, with line and value.
    for (value, rank) in [
        ("1234.5", "1"),
        ("1 234", "1"),
        ("5", "+1"),
        ("5", "100001"),
    ] {
        let bad = dir.path().join(format!("bad-{value}-{rank}"));
        std::fs::create_dir(&bad).unwrap();
        files(&bad, value, rank);
        let out = chartlens(&dir.path().join(format!("store-{value}-{rank}")))
            .arg("ingest")
            .arg(&bad)
            .expect_code(3);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let rejected = stderr
            .lines()
            .filter(|l| l.starts_with("rejected "))
            .count();
        // The Billboard week has no count: only a bad rank rejects it.
        let expected = if value == "5" { 6 } else { 5 };
        assert_eq!(rejected, expected, "{value} {rank}: {stderr}");
        let shown = if value == "5" { rank } else { value };
        for line in stderr.lines().filter(|l| l.starts_with("rejected ")) {
            assert!(line.contains(&format!("`{shown}`")), "{line}");
            assert!(line.contains("line 2") || line.contains("line 1"), "{line}");
        }
    }
}

/// A JSON object with a duplicate key was read as its last value, silently.
#[test]
fn duplicate_json_key_was_read_silently() {
    let dir = tempfile::tempdir().unwrap();
    let day = dir.path().join("2021-04-01");
    std::fs::create_dir(&day).unwrap();
    std::fs::write(
        day.join("Top 50 - Japan.json"),
        "{\"name\": \"Top 50 - Japan\",\n \"tracks\": {\"items\": [\n  {\"track\": {\"id\": \"trk00000000000000000001\", \"name\": \"A\",\n   \"name\": \"B\", \"artists\": []}}\n ]}}\n",
    )
    .unwrap();
    let out = chartlens(&dir.path().join("store"))
        .arg("ingest")
        .arg(&day)
        .expect_code(3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Top 50 - Japan.json: line 4:"), "{stderr}");
    assert!(stderr.contains("the key `name` appears twice"), "{stderr}");
}

/// A playlist file named for one market holding another market's playlist
/// was stored under the content's market without a word.
#[test]
fn playlist_market_disagreeing_with_its_file_name_was_stored_silently() {
    let dir = tempfile::tempdir().unwrap();
    let day = dir.path().join("2021-04-01");
    std::fs::create_dir(&day).unwrap();
    let playlist = "{\"name\": \"Top 50 - Japan\", \"tracks\": {\"items\": [{\"track\": \
                    {\"id\": \"trk00000000000000000001\", \"name\": \"A\", \"artists\": []}}]}}";
    std::fs::write(day.join("Top 50 - USA.json"), playlist).unwrap();
    std::fs::write(day.join("Top 50 - Japan.json"), playlist).unwrap();
    let store = dir.path().join("store");
    let out = chartlens(&store).arg("ingest").arg(&day).expect_code(3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Top 50 - USA.json: the path names the market US but the playlist `Top 50 - Japan` names JP"),
        "{stderr}"
    );
    assert_eq!(
        sql(
            &store,
            "select region, source_file like '%Japan.json' as ok from chart_entries"
        ),
        "region,ok\nJP,true\n"
    );
}

/// A file name that is not UTF-8 was stored with replacement characters, and
/// a newline in one split the reject line on stderr.
#[cfg(unix)]
#[test]
fn file_names_not_utf8_or_with_newlines_were_stored_lossily() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let dir = tempfile::tempdir().unwrap();
    let charts = dir.path().join("charts");
    std::fs::create_dir(&charts).unwrap();
    let latin1 = charts.join(OsStr::from_bytes(b"viral-fr-daily-2020-01-02-caf\xE9.csv"));
    crate::write_viral(&latin1, &["One"]);
    let newline = charts.join("viral-de-daily-2020-01-02\nx.csv");
    std::fs::write(&newline, "not,a,chart\n").unwrap();
    let store = dir.path().join("store");
    let out = chartlens(&store).arg("ingest").arg(&charts).expect_code(3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rejected: Vec<&str> = stderr.lines().filter(|l| l.contains("rejected")).collect();
    assert_eq!(rejected.len(), 1, "{stderr}");
    assert!(
        rejected[0].contains("viral-de-daily-2020-01-02\\x0Ax.csv: line 1: unknown header"),
        "{stderr}"
    );
    let stored = scalar(&store, "select distinct source_file from chart_entries");
    assert!(
        stored.ends_with("viral-fr-daily-2020-01-02-caf\\xE9.csv"),
        "{stored}"
    );
    let back = chartlens_ingest::path::from_display(&stored).unwrap();
    assert_eq!(back, latin1);
    let logged = scalar(
        &store,
        "select path from ingest_log where status = 'rejected'",
    );
    assert_eq!(
        chartlens_ingest::path::from_display(&logged).unwrap(),
        newline
    );
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

/// A FIFO or pipe given to ingest was skipped without a word.
#[cfg(unix)]
#[test]
fn fifo_given_to_ingest_was_skipped_silently() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("viral-us-daily-2020-01-02.csv");
    mkfifo(&fifo);
    let body = "Position,\"Track Name\",Artist,URL\n1,One,A,https://open.spotify.com/track/21jGcNKet2qwijlDFuPiPb\n";
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, body).unwrap())
    };
    let store = dir.path().join("store");
    chartlens(&store).arg("ingest").arg(&fifo).expect_code(0);
    // Before the writer is joined: a FIFO nobody read would block it forever.
    assert_eq!(
        sql(
            &store,
            "select region, track_name, source_hash from chart_entries"
        ),
        format!(
            "region,track_name,source_hash\nUS,One,{}\n",
            chartlens_ingest::hash_bytes(body.as_bytes())
        )
    );
    writer.join().unwrap();

    // A FIFO met while walking a folder is rejected by name, not read.
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    crate::write_viral(&folder.join("viral-jp-daily-2020-01-02.csv"), &["Two"]);
    mkfifo(&folder.join("viral-kr-daily-2020-01-02.csv"));
    let out = chartlens(&store).arg("ingest").arg(&folder).expect_code(3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("viral-kr-daily-2020-01-02.csv: a named pipe (FIFO) inside a folder"),
        "{stderr}"
    );
    assert_eq!(
        sql(
            &store,
            "select status, reason like '%named pipe%' as fifo from ingest_log \
             where path like '%viral-kr%'"
        ),
        "status,fifo\nrejected,true\n"
    );
    assert_eq!(
        scalar(
            &store,
            "select count(*) from chart_entries where region = 'JP'"
        ),
        "1"
    );
}

/// One unknown country rejected a whole artist list.
#[test]
fn unknown_country_rejected_a_whole_artist_list() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("registry.csv");
    std::fs::write(
        &list,
        "name,country,genres,aliases\nHaneul Five,KR,k-pop,\nNobody,Atlantis,j-pop,\nKaze Band,JP,j-pop,\n",
    )
    .unwrap();
    let store = dir.path().join("store");
    let out = chartlens(&store)
        .args(["artists", "import"])
        .arg(&list)
        .expect_code(0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "warning: {}:3: `Atlantis` is not a country name or ISO code",
            list.display()
        )),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 values not used"), "{stdout}");
    assert_eq!(
        sql(
            &store,
            "select artist, kind, value, source_line from artist_facts order by source_line, kind"
        ),
        "artist,kind,value,source_line\nHaneul Five,country,KR,2\nHaneul Five,genre,k-pop,2\n\
         Nobody,genre,j-pop,3\nKaze Band,country,JP,4\nKaze Band,genre,j-pop,4\n"
    );
}
