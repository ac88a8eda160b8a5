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

/// Regression (issue 12, "a demo that tells the truth"): in a world with no
/// trend the study judged the reach trend contradicted (the first year had
/// no carry-over of earlier releases), and cohorts simulated with reach 0.25
/// charted in 25 of 30 markets (reach was drawn per track, so an artist's
/// breadth was the union over all its tracks). Over several seeds, with the
/// built-in parameters on shorter charts (so that it runs in seconds): the
/// trend is neither supported nor contradicted, breadth tracks the reach
/// parameters, and claim 1 follows their order.
#[test]
fn simulated_worlds_give_back_what_was_put_in_over_several_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let defaults = chartlens(dir.path())
        .args(["simulate", "--print-config"])
        .expect_code(0);
    let config = String::from_utf8(defaults.stdout)
        .unwrap()
        .replace("chart_size = 50", "chart_size = 20");
    assert!(config.contains("chart_size = 20"));
    let config_path = dir.path().join("world.toml");
    std::fs::write(&config_path, &config).unwrap();
    let params: toml::Table = toml::from_str(&config).unwrap();
    let reach = |name: &str| cohort(&params, name)["reach"].as_float().unwrap();
    assert!(reach("K-pop") > reach("J-pop"));

    for seed in ["1", "2", "3"] {
        let world = dir.path().join(format!("world-{seed}"));
        let store = dir.path().join(format!("store-{seed}"));
        let out = dir.path().join(format!("report-{seed}"));
        chartlens(&store)
            .args(["simulate", "--seed", seed, "--config"])
            .arg(&config_path)
            .arg("--out")
            .arg(&world)
            .expect_code(0);
        chartlens(&store)
            .args(["ingest", "--quiet"])
            .arg(world.join("spotify-viral50-weekly"))
            .expect_code(0);
        chartlens(&store)
            .args(["artists", "import"])
            .arg(world.join("registry"))
            .expect_code(0);
        chartlens(&store)
            .args(["study", "--cohorts", "K-pop,J-pop", "--resamples", "200"])
            .arg("--out")
            .arg(&out)
            .expect_code(0);
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        let viral = report["charts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["chart"] == "spotify/viral50")
            .unwrap();
        let others = viral["markets"].as_array().unwrap().len() as f64 - 1.0;
        let breadth = |name: &str| {
            viral["cohorts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["cohort"] == name)
                .unwrap()["mean_markets"]["estimate"]
                .as_f64()
                .unwrap()
        };
        // An artist reaches its home market and each other market with the
        // cohort's reach: mean breadth about 1 + reach * (markets - 1).
        for name in ["K-pop", "J-pop"] {
            let expected = 1.0 + reach(name) * others;
            let measured = breadth(name);
            assert!(
                (measured - expected).abs() <= 0.1 * others,
                "seed {seed}, {name}: mean breadth {measured:.2}, reach says {expected:.2}"
            );
        }
        assert!(breadth("K-pop") > breadth("J-pop"), "seed {seed}");
        let verdict = |number: u64| {
            report["claims"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["number"] == number)
                .unwrap()["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["chart"] == "spotify/viral50")
                .unwrap()["verdict"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(verdict(1), "supported", "seed {seed}: claim 1");
        // No trend was put in: measured (two full years), and neither way.
        assert_eq!(verdict(6), "inconclusive", "seed {seed}: claim 6");
    }
}
