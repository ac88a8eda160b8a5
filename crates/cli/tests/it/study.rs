//! `chartlens study` against answers worked out by hand on
//! `tests/data/study/charts.csv`: three K-pop and two J-pop artists on one
//! weekly chart, plus an act in no cohort; and on fixtures built to be
//! unanswerable (`unanswered.csv`), to disagree between charts
//! (`mixed.csv`) and to hang on one artist (`robust.csv`).

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
    // = 2: mean 1.5. Two and three artists are too few for a verdict:
    // unanswered, saying so, and no difference shown as a finding.
    let reach = &claim(&report, 1)["results"][0];
    assert_eq!(reach["chart"], "spotify/viral50");
    close(&reach["first"]["estimate"], 8.0 / 3.0);
    assert_eq!(reach["first"]["n"], 3);
    close(&reach["second"]["estimate"], 1.5);
    assert_eq!(reach["n"], serde_json::json!([3, 2]));
    assert!(reach["difference"].is_null());
    assert_eq!(reach["verdict"], "unanswered");
    assert!(reach["note"].as_str().unwrap().contains("too small"));
    assert_eq!(claim(&report, 1)["verdict"], "unanswered");
    assert_eq!(claim(&report, 1)["kind"], "reach");

    // Claim 3, export share (KR and JP are in the data): K-pop entries
    // outside KR: BTS 2 of 3, BLACKPINK 3 of 4, TWICE 1 of 1 = 6 of 8 (75%);
    // J-pop outside JP: Kenshi Yonezu 0 of 2, YOASOBI 1 of 2 = 1 of 4 (25%).
    let export = &claim(&report, 3)["results"][0];
    close(&export["first"]["estimate"], 75.0);
    close(&export["second"]["estimate"], 25.0);
    // Three and two artists: too few for a verdict.
    assert_eq!(export["n"], serde_json::json!([3, 2]));
    assert_eq!(export["verdict"], "unanswered");

    // Claim 5: no collaborations at all; unanswered, with the counts.
    let collab = &claim(&report, 5)["results"][0];
    assert_eq!(collab["verdict"], "unanswered");
    let note = collab["note"].as_str().unwrap();
    assert!(note.contains("0 cross-cohort collaboration(s)"), "{note}");

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

fn ingest(dir: &Path, fixture: &str) -> std::path::PathBuf {
    let store = dir.join("store");
    chartlens(&store)
        .arg("ingest")
        .arg(data(fixture))
        .expect_code(0);
    store
}

fn result<'a>(report: &'a Value, number: u64, chart: &str) -> &'a Value {
    claim(report, number)["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["chart"] == chart)
        .unwrap_or_else(|| panic!("claim {number} has no result on {chart}"))
}

fn note(result: &Value) -> &str {
    result["note"].as_str().unwrap()
}

#[test]
fn charts_without_the_data_a_measure_needs_leave_it_unanswered_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let store = ingest(dir.path(), "study/unanswered.csv");
    let report = study(&store, &dir.path().join("out"), "K-pop,J-pop");

    // Breadth on a GLOBAL-only chart and on a single-market chart: no
    // "0.000 [0.000, 0.000]", but unanswered and why.
    for (chart, why) in [
        ("spotify/global50", "only GLOBAL"),
        ("spotify/jp50", "a single market (JP)"),
    ] {
        let reach = result(&report, 1, chart);
        assert_eq!(reach["verdict"], "unanswered", "{chart}");
        assert!(
            reach["difference"].is_null() && reach["first"].is_null(),
            "{chart}"
        );
        assert!(
            note(reach).starts_with("Unanswered, because"),
            "{}",
            note(reach)
        );
        assert!(note(reach).contains(why), "{}", note(reach));
    }
    // Home dependence on a chart without the cohorts' home markets.
    let home = result(&report, 3, "spotify/west50");
    assert_eq!(home["verdict"], "unanswered");
    assert!(home["difference"].is_null());
    assert!(
        note(home).contains("KR, the home market of most K-pop artists, has no chart here"),
        "{}",
        note(home)
    );
    // ... while the same chart answers breadth (12 artists in 1 or 2 markets).
    assert_ne!(
        result(&report, 1, "spotify/west50")["verdict"],
        "unanswered"
    );
    // A diffusion whose every track enters all markets in its first week:
    // the Bass fit runs to a bound of its range, which is no answer.
    let spread = result(&report, 2, "spotify/steps");
    assert_eq!(spread["verdict"], "unanswered");
    assert!(spread["difference"].is_null());
    assert!(note(spread).contains("bound"), "{}", note(spread));
    let steps = report["charts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["chart"] == "spotify/steps")
        .unwrap();
    assert!(
        steps["cohorts"][0]["bass"]["at_bound"].is_string(),
        "{steps}"
    );
    // Too few collaborations (none here).
    let collab = result(&report, 5, "spotify/steps");
    assert_eq!(collab["verdict"], "unanswered");
    assert!(
        note(collab).contains("at least 5 of each"),
        "{}",
        note(collab)
    );
    // No zero-width interval is shown as a finding anywhere; notes agree
    // with verdicts.
    for c in report["claims"].as_array().unwrap() {
        for r in c["results"].as_array().unwrap() {
            if let Some(d) = r["difference"].as_object() {
                assert_ne!(d["low"], d["high"], "{r}");
            }
            let text = note(r);
            let verdict = r["verdict"].as_str().unwrap();
            assert_eq!(text.contains("above 0"), verdict == "supported", "{r}");
            assert_eq!(
                text.starts_with("Unanswered"),
                verdict == "unanswered",
                "{r}"
            );
        }
    }
    // The page says it too.
    let md = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(md.contains("has no chart here"));
    assert!(
        !md.contains("0.000 [0.000, 0.000]"),
        "zero-width interval in report.md"
    );
}

#[test]
fn charts_that_disagree_make_the_headline_mixed_and_every_chart_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let store = ingest(dir.path(), "study/mixed.csv");
    let out = dir.path().join("out");
    let report = study(&store, &out, "K-pop,J-pop");
    // K-pop artists reach 3 or 4 markets on viral50 and 1 or 2 on top50;
    // J-pop the reverse.
    assert_eq!(
        result(&report, 1, "spotify/viral50")["verdict"],
        "supported"
    );
    assert_eq!(
        result(&report, 1, "spotify/top50")["verdict"],
        "contradicted"
    );
    assert_eq!(claim(&report, 1)["verdict"], "mixed");
    assert!(
        claim(&report, 1)["best_reason"]
            .as_str()
            .unwrap()
            .contains("disagree")
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let row = md
        .lines()
        .find(|l| l.starts_with("| 1 |"))
        .expect("claim 1 in the verdicts table");
    assert!(row.contains("**mixed**"), "{row}");
    assert!(
        row.contains("spotify/viral50: supported") && row.contains("spotify/top50: contradicted"),
        "{row}"
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<span class=\"badge mixed\">mixed</span>"));

    // Figures that do not mislead. Shares are of one whole: per chart and
    // market, the cohorts' shares (none included) sum to 100%.
    let mut sums: std::collections::BTreeMap<(String, String), f64> = Default::default();
    for series in report["share_by_market"].as_array().unwrap() {
        for point in series["points"].as_array().unwrap() {
            let key = (
                series["chart"].as_str().unwrap().to_string(),
                point[0].as_str().unwrap().to_string(),
            );
            *sums.entry(key).or_insert(0.0) += point[1].as_f64().unwrap();
        }
    }
    assert!(!sums.is_empty());
    for (key, sum) in &sums {
        assert!((sum - 100.0).abs() < 0.05, "{key:?}: shares sum to {sum}");
    }
    // One unit per panel: each claim's differences on their own axis.
    assert!(html.contains("Claim 1: difference per chart"));
    assert!(html.contains("Difference, markets per artist"));
    assert!(!html.contains("Units differ between claims"));
    // The two cohorts' maps share one colour scale.
    let scales: Vec<&str> = html
        .match_indices("share one colour scale, 0 to ")
        .map(|(i, m)| &html[i + m.len()..i + m.len() + 6])
        .collect();
    assert_eq!(scales.len(), 2, "{scales:?}");
    assert_eq!(scales[0], scales[1]);
    // The data starts on 7 January: January is a partial month.
    assert!(
        html.contains("Months only partly covered by the data (2021-01) are left out."),
        "partial month not said"
    );
}

#[test]
fn a_verdict_that_hangs_on_the_top_artist_is_fragile() {
    let dir = tempfile::tempdir().unwrap();
    let store = ingest(dir.path(), "study/robust.csv");
    let out = dir.path().join("out");
    let report = study(&store, &out, "K-pop,J-pop");
    // Export share: BTS carries 40 of K-pop's 60 entries, all in KR; the
    // other five K-pop artists have 3 of 4 entries abroad, J-pop artists 1
    // or 2 of 4. With BTS the pooled K-pop share swings with each resample
    // (inconclusive); without it K-pop is at 75% against J-pop's 25-50%.
    let export = result(&report, 3, "spotify/viral50");
    assert_eq!(export["verdict"], "inconclusive", "{export}");
    let robustness = &export["robustness"];
    assert_eq!(robustness["status"], "fragile", "{robustness}");
    assert_eq!(robustness["flipped_by"][0], "without_top1", "{robustness}");
    let checks = robustness["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 5);
    let top1 = checks
        .iter()
        .find(|c| c["check"] == "without_top1")
        .unwrap();
    assert_eq!(top1["left_out"], 1);
    assert_eq!(top1["verdict"], "supported");
    assert_eq!(top1["holds"], false);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("fragile (flipped by: without the top artist"),
        "report.md"
    );
    assert!(md.contains("Robustness checks:"));
}
