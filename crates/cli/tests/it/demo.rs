//! `chartlens demo` end to end, and the check that the pipeline recovers
//! what the simulator put in: the Bass parameters the study fits on the
//! simulated Viral 50 charts against the simulator's own, within stated
//! tolerances, and the cohort with the larger q judged to spread faster.

use serde_json::Value;

use crate::{ExpectCode, chartlens};

/// The simulator's built-in parameters, as `simulate --print-config` prints them.
fn simulated() -> toml::Table {
    let dir = tempfile::tempdir().unwrap();
    let out = chartlens(dir.path())
        .args(["simulate", "--print-config"])
        .expect_code(0);
    toml::from_str(&String::from_utf8(out.stdout).unwrap()).unwrap()
}

fn cohort<'a>(params: &'a toml::Table, name: &str) -> &'a toml::Table {
    params["cohort"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(toml::Value::as_table)
        .find(|c| c["name"].as_str() == Some(name))
        .unwrap()
}

#[test]
fn demo_recovers_the_simulated_bass_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let report_dir = dir.path().join("report");
    let out = chartlens(&dir.path().join("unused"))
        .arg("demo")
        .arg("--dir")
        .arg(dir.path().join("demo"))
        .arg("--out")
        .arg(&report_dir)
        .expect_code(0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("0 rejected"), "{stdout}");
    assert!(stdout.contains("The data is simulated"), "{stdout}");
    // The demo keeps its own store: nothing went to the --store given.
    assert!(!dir.path().join("unused").exists());

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap())
            .unwrap();
    assert!(
        report["simulated"]
            .as_str()
            .is_some_and(|s| s.contains("fictional"))
    );
    let html = std::fs::read_to_string(report_dir.join("index.html")).unwrap();
    assert!(html.contains("Simulated data"));

    let params = simulated();
    let viral = report["charts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["chart"] == "spotify/viral50")
        .unwrap();
    for name in ["K-pop", "J-pop"] {
        let truth = cohort(&params, name);
        let fitted = viral["cohorts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["cohort"] == name)
            .unwrap();
        let bass = &fitted["bass"];
        let (p, q, m) = (
            bass["p"]["estimate"].as_f64().unwrap(),
            bass["q"]["estimate"].as_f64().unwrap(),
            bass["m"].as_f64().unwrap(),
        );
        let (tp, tq, tm) = (
            truth["p"].as_float().unwrap(),
            truth["q"].as_float().unwrap(),
            truth["reach"].as_float().unwrap(),
        );
        // Tolerances (see the Bass method's caveats): the ceiling within
        // 0.1; p within a factor of 2; q between half and 1.5 times the
        // simulated one (the pooled fit underestimates q when each track can
        // reach only a few markets).
        assert!((m - tm).abs() <= 0.1, "{name}: m {m} vs {tm}");
        assert!(p >= tp / 2.0 && p <= tp * 2.0, "{name}: p {p} vs {tp}");
        assert!(q >= tq * 0.5 && q <= tq * 1.5, "{name}: q {q} vs {tq}");
    }
    // K-pop has the larger q in the simulation: the study must say it
    // spreads faster by word of mouth.
    let spread = report["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["number"] == 2)
        .unwrap();
    assert_eq!(spread["verdict"], "supported", "{spread}");
}
