//! `chartlens study` against answers worked out by hand on
//! `tests/data/study/charts.csv`: three K-pop and two J-pop artists on one
//! weekly chart, plus an act in no cohort.

use std::path::Path;

use serde_json::Value;

use crate::{ExpectCode, chartlens, data};

fn study(store: &Path, out: &Path, cohorts: &str) -> Value {
    chartlens(store)
        .args(["study", "--cohorts", cohorts, "--resamples", "200", "--out"])
        .arg(out)
        .expect_code(0);
    let text = std::fs::read_to_string(out.join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn claim(report: &Value, number: u64) -> &Value {
    report["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["number"] == number)
        .unwrap()
}

fn close(value: &Value, expected: f64) {
    let got = value.as_f64().unwrap_or(f64::NAN);
    assert!((got - expected).abs() < 1e-9, "{got} != {expected}");
}

#[test]
fn study_measures_each_claim_against_hand_computed_answers() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    chartlens(&store)
        .arg("ingest")
        .arg(data("study/charts.csv"))
        .expect_code(0);
    let out = dir.path().join("report");
    let report = study(&store, &out, "k-pop,J-POP");
    assert_eq!(report["cohorts"], serde_json::json!(["K-pop", "J-pop"]));
    assert_eq!(report["bootstrap"]["resamples"], 200);
    assert_eq!(report["bootstrap"]["seed"], 42);

    // Claim 1, breadth: BTS KR JP US (GLOBAL left out) = 3, BLACKPINK KR JP
    // US GB = 4, TWICE JP = 1: mean 8/3. Kenshi Yonezu JP = 1, YOASOBI JP US
    // = 2: mean 1.5. Two and three artists are too few for a verdict.
    let reach = &claim(&report, 1)["results"][0];
    assert_eq!(reach["chart"], "spotify/viral50");
    close(&reach["first"]["estimate"], 8.0 / 3.0);
    assert_eq!(reach["first"]["n"], 3);
    close(&reach["second"]["estimate"], 1.5);
    close(&reach["difference"]["estimate"], 8.0 / 3.0 - 1.5);
    assert_eq!(reach["verdict"], "inconclusive");
    assert!(reach["note"].as_str().unwrap().contains("Too few"));
    assert_eq!(claim(&report, 1)["verdict"], "inconclusive");

    // Claim 3, export share (KR and JP are in the data): K-pop entries
    // outside KR: BTS 2 of 3, BLACKPINK 3 of 4, TWICE 1 of 1 = 6 of 8 (75%);
    // J-pop outside JP: Kenshi Yonezu 0 of 2, YOASOBI 1 of 2 = 1 of 4 (25%).
    let export = &claim(&report, 3)["results"][0];
    close(&export["first"]["estimate"], 75.0);
    close(&export["second"]["estimate"], 25.0);
    close(&export["difference"]["estimate"], 50.0);
    // The interval brackets the estimate.
    let d = &export["difference"];
    assert!(d["low"].as_f64().unwrap() <= 50.0 && 50.0 <= d["high"].as_f64().unwrap());

    // Claim 2 needs 8 weeks of horizon; three weeks of data give none.
    assert_eq!(claim(&report, 2)["results"][0]["verdict"], "unanswered");
    // Claim 7 has no data yet and says which data would answer it.
    assert_eq!(claim(&report, 7)["verdict"], "unanswered");
    assert!(
        claim(&report, 7)["best_reason"]
            .as_str()
            .unwrap()
            .contains("videos.list")
    );

    // Per-cohort measures: quartiles as `reach --by cohort` computes them.
    let chart = &report["charts"][0];
    assert_eq!(
        chart["markets"],
        serde_json::json!(["GB", "JP", "KR", "US"])
    );
    let kpop = &chart["cohorts"][0];
    assert_eq!(kpop["breadth"], serde_json::json!([1, 3, 4]));
    close(&kpop["median_markets"], 3.0);
    close(&kpop["q1_markets"], 2.0);
    close(&kpop["q3_markets"], 3.5);
    // Lead markets of K-pop tracks reaching 2+ markets: Sky is left out (on
    // the data's first day, left-censored); Pink entered JP, KR and US on
    // the same day (a tie, counted for each).
    let leads: Vec<(String, u64)> = kpop["lead_markets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["market"].as_str().unwrap().to_string(),
                l["tracks"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        leads,
        [
            ("JP".to_string(), 1),
            ("KR".to_string(), 1),
            ("US".to_string(), 1)
        ]
    );
    // Classification coverage counts every entry, GLOBAL included: 14
    // entries, Nova Ray's one in no cohort.
    assert_eq!(chart["entries"], 14);
    close(&chart["classified_pct"], 100.0 * 13.0 / 14.0);

    // The page and the Markdown carry the same verdicts; the page is
    // self-contained (no scripts, no external references) and has its plots.
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.matches("<svg").count() >= 6, "too few plots");
    for banned in [
        "<script",
        "src=\"http",
        "href=\"http",
        "url(http",
        "NaN",
        "inf<",
    ] {
        assert!(!html.contains(banned), "{banned} in index.html");
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for section in [
        "## Verdicts",
        "## Claims",
        "## Methods",
        "### Bass diffusion fit",
    ] {
        assert!(md.contains(section), "{section} missing from report.md");
    }

    // Same seed, same report; the JSON is the report, byte for byte.
    let again = dir.path().join("again");
    assert_eq!(study(&store, &again, "K-pop,J-pop"), report);
}

#[test]
fn a_cohort_without_tracks_leaves_its_claims_unanswered() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    chartlens(&store)
        .arg("ingest")
        .arg(data("study/charts.csv"))
        .expect_code(0);
    let report = study(&store, &dir.path().join("out"), "K-pop,Latin");
    let latin = &report["charts"][0]["cohorts"][1];
    assert_eq!(latin["artists"], 0);
    assert!(latin["mean_markets"].is_null());
    for number in 1..=4 {
        assert_eq!(
            claim(&report, number)["verdict"],
            "unanswered",
            "claim {number}"
        );
    }
    // Bad cohort lists are usage errors that name the problem.
    for bad in ["K-pop", "K-pop,K-pop", "K-pop,Polka", "K-pop,none"] {
        let out = chartlens(&store)
            .args(["study", "--cohorts", bad, "--out"])
            .arg(dir.path().join("bad"))
            .expect_code(1);
        assert!(!out.stderr.is_empty(), "{bad}");
    }
    assert!(!dir.path().join("bad").exists());
}
