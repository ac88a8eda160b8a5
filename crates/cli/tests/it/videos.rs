//! YouTube chart CSVs, YouTube `videos.list` snapshots and TikTok Research API
//! responses, on fixtures written from the APIs' documentation
//! (`tests/data/videos`), and the engagement metric worked out by hand.

use std::path::Path;

use crate::{ExpectCode, chartlens, data};

fn sql(store: &Path, query: &str) -> String {
    let out = chartlens(store)
        .args(["sql", "--format", "csv", query])
        .expect_code(0);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn video_snapshots_keep_hidden_counts_null_and_weeks_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    chartlens(&store)
        .arg("ingest")
        .arg(data("videos/youtube"))
        .arg(data("videos/tiktok-2026-07-20.json"))
        .expect_code(0);
    // One video in two weekly snapshots is two rows, observed on the ISO
    // weeks' Mondays; a hidden like count is null, not zero; a count above
    // 2^31 is kept whole.
    assert_eq!(
        sql(
            &store,
            "select platform, video_id, cast(observed_at as date) as observed, views, likes, \
             comments, shares, duration_seconds from video_snapshots order by observed, video_id"
        ),
        "platform,video_id,observed,views,likes,comments,shares,duration_seconds\n\
         youtube,vidAAAAAAA1,2026-04-06,10000,500,100,,200\n\
         youtube,vidBBBBBBB2,2026-04-06,3000000000,,30000,,240\n\
         youtube,vidAAAAAAA1,2026-04-13,24000,1000,200,,200\n\
         tiktok,7028743950684943000,2026-07-20,2000,300,20,80,\n"
    );
    // The chart rows: source youtube, views, the video id; the row without a
    // link has no id.
    assert_eq!(
        sql(
            &store,
            "select source, chart, region, period_start, period_end, rank, track_id, views \
             from chart_entries order by rank"
        ),
        "source,chart,region,period_start,period_end,rank,track_id,views\n\
         youtube,top-songs,GLOBAL,2026-04-06,2026-04-12,1,vidAAAAAAA1,10000\n\
         youtube,top-songs,GLOBAL,2026-04-06,2026-04-12,2,vidBBBBBBB2,3000000000\n\
         youtube,top-songs,GLOBAL,2026-04-06,2026-04-12,3,,900\n"
    );
    // Ingesting again adds nothing.
    let out = chartlens(&store)
        .arg("ingest")
        .arg(data("videos"))
        .expect_code(3);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("0 rows"), "{text}");
    assert_eq!(
        sql(&store, "select count(*) as n from video_snapshots"),
        "n\n4\n"
    );

    // Engagement of Sky at its latest snapshot (week 16): (1000 + 200) /
    // 24000 = 0.05; views per day 24000 / 12 days since 2026-04-01; growth
    // (24000 - 10000) / 7 days = 2000. Lemon's likes are hidden: no rate.
    let videos = chartlens(&store)
        .args([
            "engagement",
            "--by",
            "video",
            "--platform",
            "youtube",
            "--format",
            "csv",
        ])
        .expect_code(0);
    let videos = String::from_utf8(videos.stdout).unwrap();
    let rows: Vec<Vec<&str>> = videos.lines().map(|l| l.split(',').collect()).collect();
    let col = |name: &str| rows[0].iter().position(|c| *c == name).unwrap();
    let sky = rows.iter().find(|r| r[1] == "vidAAAAAAA1").unwrap();
    assert_eq!(sky[col("engagement_rate")], "0.05");
    assert_eq!(sky[col("artist")], "BTS");
    assert_eq!(sky[col("cohort")], "K-pop");
    assert_eq!(sky[col("snapshots")], "2");
    assert_eq!(sky[col("views_per_day")], "2000.0");
    assert_eq!(sky[col("growth_per_day")], "2000.0");
    let lemon = rows.iter().find(|r| r[1] == "vidBBBBBBB2").unwrap();
    assert_eq!(lemon[col("engagement_rate")], "");
    assert_eq!(lemon[col("cohort")], "J-pop");
    // Per cohort: the hidden count is counted, not averaged as zero.
    let cohorts = chartlens(&store)
        .args(["engagement", "--by", "cohort", "--format", "csv"])
        .expect_code(0);
    let cohorts = String::from_utf8(cohorts.stdout).unwrap();
    assert!(cohorts.contains("youtube,J-pop,1,1,0,0,,"), "{cohorts}");
    assert!(cohorts.contains("youtube,K-pop,1,0,0,0,0.05,"), "{cohorts}");
    // TikTok: shares count, (300 + 20) / 2000 = 0.16, with shares 0.2.
    assert!(cohorts.contains("tiktok,none,1,0,0,0,0.16,"), "{cohorts}");
    // A video of no known artist is in the cohort `none` in the per-video
    // view too, and a platform with no snapshots is an error naming those
    // there are.
    let tiktok = chartlens(&store)
        .args([
            "engagement",
            "--by",
            "video",
            "--platform",
            "TikTok",
            "--format",
            "csv",
        ])
        .expect_code(0);
    let tiktok = String::from_utf8(tiktok.stdout).unwrap();
    let rows: Vec<Vec<&str>> = tiktok.lines().map(|l| l.split(',').collect()).collect();
    let cohort = rows[0].iter().position(|c| *c == "cohort").unwrap();
    assert_eq!(rows.len(), 2, "{tiktok}");
    assert_eq!(rows[1][cohort], "none", "{tiktok}");
    let out = chartlens(&store)
        .args(["engagement", "--platform", "vimeo"])
        .expect_code(1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"vimeo\"") && err.contains("tiktok, youtube"),
        "{err}"
    );
}

#[test]
fn broken_video_files_are_rejected_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = chartlens(&store)
        .arg("ingest")
        .arg(data("videos/bad"))
        .expect_code(3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tiktok-error-2026-07-20.json")
            && err.contains("tiktok API returned an error")
            && err.contains("invalid_params: Invalid start_date"),
        "{err}"
    );
    assert!(
        err.contains("videos-2026-W17.json") && err.contains("invalid JSON"),
        "{err}"
    );
    assert_eq!(
        sql(&store, "select count(*) as n from video_snapshots"),
        "n\n0\n"
    );
    assert_eq!(
        sql(
            &store,
            "select count(*) as n from ingest_log where status = 'rejected'"
        ),
        "n\n2\n"
    );
}
