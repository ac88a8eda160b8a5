//! The lead network, diversity and alerts against answers worked out by hand
//! on `tests/data/network/` (interchange files: every value visible).
//!
//! `charts.csv`, first dates per track (days from 2021-01-07):
//! Sky (BTS): JP 0, KR 0, US 7 (and GLOBAL, never a market);
//! Lemon (Kenshi Yonezu): KR 0, JP 7; Solo (Nova Ray): JP 14 only;
//! Road (Nova Ray): US 0, JP 14, KR 21.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::{ExpectCode, chartlens, data};

fn store(dir: &Path, file: &str) -> PathBuf {
    let store = dir.join("store");
    chartlens(&store)
        .arg("ingest")
        .arg(data(&format!("network/{file}")))
        .expect_code(0);
    store
}

fn csv(store: &Path, args: &[&str]) -> Vec<Vec<String>> {
    let out = chartlens(store)
        .args(args)
        .args(["--format", "csv"])
        .expect_code(0);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// The first `n` columns of every row after the header, joined by commas.
fn leading(rows: &[Vec<String>], n: usize) -> Vec<String> {
    rows[1..].iter().map(|r| r[..n].join(",")).collect()
}

fn close(text: &str, expected: f64) -> bool {
    text.parse::<f64>()
        .is_ok_and(|v| (v - expected).abs() < 1e-4)
}

#[test]
fn pairs_count_who_charted_first_with_ties_and_wilson_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), "charts.csv");
    let rows = csv(&store, &["network"]);
    assert_eq!(
        rows[0].join(","),
        "source,chart,market_a,market_b,both,a_first,b_first,same,lead_share,lead_low,\
         lead_high,median_lag_days"
    );
    // JP-KR: Sky ties (same), Road JP first by 7 days, Lemon KR first.
    // JP-US: Sky JP first by 7, Road US first by 14. KR-US: Sky KR first by
    // 7, Road US first by 21. Every decided share is 1 of 2: equal Wilson
    // intervals, so the pairs with most tracks in both come first, then codes.
    assert_eq!(
        leading(&rows, 9),
        [
            "spotify,viral50,JP,KR,3,1,1,1,0.5",
            "spotify,viral50,KR,JP,3,1,1,1,0.5",
            "spotify,viral50,JP,US,2,1,1,0,0.5",
            "spotify,viral50,KR,US,2,1,1,0,0.5",
            "spotify,viral50,US,JP,2,1,1,0,0.5",
            "spotify,viral50,US,KR,2,1,1,0,0.5",
        ]
    );
    let lags: Vec<&str> = rows[1..].iter().map(|r| r[11].as_str()).collect();
    assert_eq!(lags, ["7.0", "7.0", "7.0", "7.0", "14.0", "21.0"]);
    for row in &rows[1..] {
        // Wilson for 1 of 2: 0.5 -+ 0.4055.
        assert!(
            close(&row[9], 0.09453) && close(&row[10], 0.90547),
            "{row:?}"
        );
    }
    // --min-both keeps the pairs with at least that many tracks in both.
    let rows = csv(&store, &["network", "--min-both", "3"]);
    assert_eq!(
        leading(&rows, 4),
        ["spotify,viral50,JP,KR", "spotify,viral50,KR,JP"]
    );
    // K-pop alone is Sky: JP and KR tie, so JP-KR has no decided track and
    // no lead share; JP led US by 7 days.
    let rows = csv(&store, &["network", "--cohort", "K-pop"]);
    let pair = |a: &str, b: &str| {
        rows.iter()
            .find(|r| r[2] == a && r[3] == b)
            .unwrap_or_else(|| panic!("no pair {a} {b} in {rows:?}"))
            .join(",")
    };
    assert_eq!(pair("JP", "KR"), "spotify,viral50,JP,KR,1,0,0,1,,,,");
    assert!(pair("JP", "US").starts_with("spotify,viral50,JP,US,1,1,0,0,1.0,"));
    assert!(pair("JP", "US").ends_with(",7.0"));
}

#[test]
fn markets_and_backbone_from_hand_counts() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), "charts.csv");
    // JP: 4 tracks (Solo only there), first for Sky (tied) and Solo: 2/4.
    // KR: first for Sky (tied) and Lemon: 2/3. US: first for Road: 1/2.
    assert_eq!(
        csv(&store, &["network", "--by", "market"])
            .iter()
            .map(|r| r.join(","))
            .collect::<Vec<_>>(),
        [
            "source,chart,market,tracks,shared,led,followed,first_share",
            "spotify,viral50,JP,4,3,2,2,0.5",
            "spotify,viral50,KR,3,3,2,2,0.6666666666666666",
            "spotify,viral50,US,2,2,2,2,0.5",
        ]
    );
    // Before US: JP and KR tie as Sky's last markets (1 each, both 2 each):
    // JP by code. Before JP: KR (Lemon) and US (Road) 1 each; KR shares 3
    // tracks with JP, US 2: KR. Before KR: JP (Road).
    assert_eq!(
        csv(&store, &["network", "--backbone"])
            .iter()
            .map(|r| r.join(","))
            .collect::<Vec<_>>(),
        [
            "source,chart,market,from_market,tracks,both,entered_after,share",
            "spotify,viral50,JP,KR,1,3,2,0.5",
            "spotify,viral50,KR,JP,1,3,1,1.0",
            "spotify,viral50,US,JP,1,2,1,1.0",
        ]
    );
    // GLOBAL alone is no market.
    let out = chartlens(&store)
        .args(["network", "--market", "GLOBAL"])
        .expect_code(1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("GLOBAL is not one"));
}

#[test]
fn diversity_per_market_year_and_overlap_per_year() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), "diversity.csv");
    // 2021 has 3 periods. JP: Alpha x3 (BTS, from KR), Beta and Gamma
    // (Kenshi Yonezu, from JP): effective artists exp(-(.6 ln .6 + .4 ln .4))
    // = 1.9601, domestic 2 of 5. KR: three artists once each, Nova Ray of
    // unknown origin: domestic 1 of 2 known. US charted 1 of 3 periods: too
    // few for the overlap.
    let rows = csv(&store, &["diversity", "--by", "market-year"]);
    assert_eq!(
        rows.iter().map(|r| r.join(",")).collect::<Vec<_>>(),
        [
            "source,chart,market,year,periods,year_periods,in_overlap,entries,distinct_tracks,\
             distinct_artists,effective_artists,domestic_pct",
            "spotify,top50,JP,2021,3,3,true,5,3,2,1.9601,40.0",
            "spotify,top50,KR,2021,2,3,true,3,3,3,3.0,50.0",
            "spotify,top50,US,2021,1,3,false,1,1,1,1.0,",
            "spotify,top50,JP,2022,1,1,true,1,1,1,1.0,0.0",
            "spotify,top50,KR,2022,1,1,true,1,1,1,1.0,100.0",
            "spotify,top50,US,2022,1,1,true,1,1,1,1.0,",
        ]
    );
    // 2021: JP {A, B, C} and KR {A, B, D}: J = 2/4, one pair, no interval
    // (2 markets). 2022: JP {A}, KR {A}, US {F}: J = 1, 0, 0: mean 1/3.
    let rows = csv(&store, &["diversity"]);
    assert_eq!(
        rows[0].join(","),
        "source,chart,year,markets,pairs,mean_jaccard,low,high"
    );
    assert_eq!(rows[1].join(","), "spotify,top50,2021,2,1,0.5,,");
    assert_eq!(rows[2][..5].join(","), "spotify,top50,2022,3,3");
    assert!(close(&rows[2][5], 1.0 / 3.0), "{:?}", rows[2]);
    let (low, high): (f64, f64) = (rows[2][6].parse().unwrap(), rows[2][7].parse().unwrap());
    assert!(
        (0.0..=1.0 / 3.0).contains(&low) && (1.0 / 3.0..=1.0).contains(&high),
        "{low} {high}"
    );
    // The same seed gives the same interval; the cohort keeps its tracks only:
    // K-pop is Alpha, in JP and KR both years: J = 1; in 2022 US has no
    // K-pop track, so J(JP, US) = J(KR, US) = 0 / 1.
    assert_eq!(csv(&store, &["diversity"]), rows);
    let kpop = csv(&store, &["diversity", "--cohort", "K-pop"]);
    assert_eq!(kpop[1].join(","), "spotify,top50,2021,2,1,1.0,,");
    assert_eq!(kpop[2][..5].join(","), "spotify,top50,2022,3,3");
    assert!(close(&kpop[2][5], 1.0 / 3.0), "{:?}", kpop[2]);
}

#[test]
fn track_alerts_and_backtest_from_hand_counts() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), "charts.csv");
    // N = 3, D = 14: Sky reaches its third market (US) on day 7. Road's
    // third is on day 21: too late. Lemon and Solo never reach 3.
    let rows = csv(&store, &["alerts", "--kind", "track"]);
    assert_eq!(
        rows.iter().map(|r| r.join(",")).collect::<Vec<_>>(),
        [
            "date,kind,source,chart,subject,subject_id,artists,markets,entered,lead_markets,\
             first_date,days_from_first,baseline_median,baseline_mad",
            "2021-01-14,track,spotify,viral50,Sky,trk00000000000000000001,BTS,3,JP;KR;US,JP;KR,\
             2021-01-07,7,,",
        ]
    );
    let within = csv(&store, &["alerts", "--kind", "track", "--within", "21"]);
    assert_eq!(within.len(), 3, "{within:?}");
    assert_eq!(
        within[2][..5].join(","),
        "2021-01-28,track,spotify,viral50,Road"
    );
    assert_eq!(within[2][8], "US;JP;KR");
    // --since leaves out alerts on or before the day.
    assert_eq!(
        csv(
            &store,
            &["alerts", "--kind", "track", "--since", "2021-01-14"]
        )
        .len(),
        1
    );
    // Target 3: Sky and Road reach it (days 7 and 21). At N = 3 only Sky is
    // alerted, on the day it reached 3: precision 1, recall 0. At N = 2 Sky
    // (day 0), Lemon (7) and Road (14) are alerted: precision 2/3, and both
    // reach 3 seven days after their alert: recall 1, lead 7.
    let backtest = csv(&store, &["alerts", "--backtest", "--target", "3"]);
    assert_eq!(
        backtest.iter().map(|r| r.join(",")).collect::<Vec<_>>(),
        [
            "source,chart,markets,within_days,target,alerted,reached,precision,recall,\
             median_lead_days",
            "spotify,viral50,3,14,3,1,2,1.0,0.0,",
        ]
    );
    let two = csv(
        &store,
        &["alerts", "--backtest", "--target", "3", "--markets", "2"],
    );
    assert_eq!(
        two[1].join(","),
        "spotify,viral50,2,14,3,3,2,0.6666666666666666,1.0,7.0"
    );
    // The grid: the given rule first, then N = 2..5 x D = 7, 14, 28.
    let grid = csv(&store, &["alerts", "--backtest", "--target", "3", "--grid"]);
    assert_eq!(grid.len(), 1 + 12);
    assert_eq!(grid[1][2..4].join(","), "3,14");
    let n2d7 = grid.iter().find(|r| r[2] == "2" && r[3] == "7").unwrap();
    // D = 7: Sky (day 0) and Lemon (day 7) are alerted, Road's second
    // market comes 14 days after its first: precision 1/2, recall 1/2.
    assert_eq!(n2d7[5..].join(","), "2,2,0.5,0.5,7.0");
}

#[test]
fn artist_alerts_need_six_periods_and_treat_mad_0_as_1() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), "surge.csv");
    // Wave Rider: 1 market for 6 days, then 5: median 1, MAD 0 (as 1),
    // 5 > 1 + 3. Flat Line: 4 is not above 4. Early Bird: 5 markets after
    // only 5 previous periods.
    let rows = csv(&store, &["alerts", "--kind", "artist"]);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        rows[1].join(","),
        "2021-03-07,artist,spotify,daily,Wave Rider,credit:Wave Rider,Wave Rider,5,\
         FR;GB;JP;KR;US,,,,1.0,0.0"
    );
    // A lower K lets Flat Line's 4 through.
    let lower = csv(&store, &["alerts", "--kind", "artist", "--k", "2"]);
    assert_eq!(lower.len(), 3, "{lower:?}");
}

/// A webhook receiver on a free local port: answers 500 to the first
/// request and 200 after, and keeps every request's body.
fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let bodies: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let first = {
                        let mut seen = seen.lock().unwrap();
                        seen.push(String::from_utf8(body).unwrap());
                        seen.len() == 1
                    };
                    let status = if first {
                        "500 Internal Server Error"
                    } else {
                        "200 OK"
                    };
                    let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
                    if stream.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, bodies)
}

#[test]
fn a_webhook_that_fails_once_gets_each_alert_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), "surge.csv");
    let (url, bodies) = receiver();
    // Three track alerts (Wave, Flat, Early on 2021-03-07) and Wave Rider's
    // artist alert.
    let out = chartlens(&store)
        .args(["alerts", "--webhook", &url, "--format", "jsonl"])
        .expect_code(0);
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(printed.lines().count(), 4, "{printed}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("4 new alert(s) sent"));
    let received = bodies.lock().unwrap().clone();
    // The first POST failed (500) and was retried: 5 requests, 4 alerts.
    assert_eq!(received.len(), 5, "{received:?}");
    assert_eq!(received[0], received[1]);
    let ids: std::collections::BTreeSet<String> = received
        .iter()
        .map(|b| serde_json::from_str::<serde_json::Value>(b).unwrap()["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 4);
    let first: serde_json::Value = serde_json::from_str(&received[1]).unwrap();
    assert_eq!(first["date"], "2021-03-07");
    assert!(first["entered"].is_array());
    // A rerun sends nothing; the record is in the store.
    let out = chartlens(&store)
        .args(["alerts", "--webhook", &url])
        .expect_code(0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 new alert(s) sent"));
    assert_eq!(bodies.lock().unwrap().len(), 5);
    let record = std::fs::read_to_string(store.join("alerts/webhooks.jsonl")).unwrap();
    assert_eq!(record.lines().count(), 4);
    // A webhook that never answers ends the run with what to do next.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let out = chartlens(&store)
        .args(["alerts", "--webhook", &dead])
        .expect_code(1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("0 of 4 new alert(s) sent") && err.contains("rerun"),
        "{err}"
    );
}
