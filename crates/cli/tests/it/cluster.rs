//! `--cluster`: the read commands on a Ballista cluster of this binary on
//! loopback (`chartlens cluster local`) answer exactly as without it, on a
//! small simulated world; an unreachable scheduler is named at once; the
//! cluster stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::{ExpectCode, chartlens};

/// A `chartlens cluster local` process; stopped with SIGTERM when dropped.
struct LocalCluster {
    child: Child,
    url: String,
    lines: mpsc::Receiver<String>,
}

impl LocalCluster {
    fn start(executors: u16) -> LocalCluster {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chartlens"))
            .args(["cluster", "local", "--bind", "127.0.0.1:0", "--executors"])
            .arg(executors.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary runs");
        let (send, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = lines
                .recv_timeout(left)
                .expect("the cluster says where it listens within 30 s");
            if let Some((_, url)) = line.split_once("clients use --cluster ") {
                break url.trim().to_string();
            }
        };
        LocalCluster { child, url, lines }
    }

    /// Sends SIGTERM and waits for the exit; returns its status and what it printed.
    fn stop(&mut self) -> (Option<i32>, Vec<String>) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        (status, self.lines.try_iter().collect())
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.stop();
        }
    }
}

fn simulated_store(dir: &Path) -> PathBuf {
    let world = dir.join("world");
    let store = dir.join("store");
    let out = Command::new(env!("CARGO_BIN_EXE_chartlens"))
        .args(["simulate", "--seed", "11", "--entries", "4000", "--out"])
        .arg(&world)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    chartlens(&store)
        .args(["ingest", "--quiet"])
        .arg(world.join("spotify-viral50-weekly"))
        .arg(world.join("youtube-videos"))
        .expect_code(0);
    chartlens(&store)
        .args(["artists", "import"])
        .arg(world.join("registry"))
        .expect_code(0);
    store
}

fn output(store: &Path, cluster: Option<&str>, args: &[&str]) -> String {
    let mut command = chartlens(store);
    command.env_remove("CHARTLENS_CLUSTER");
    if let Some(url) = cluster {
        command.args(["--cluster", url]);
    }
    let out = command.args(args).expect_code(0);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_read_command_answers_the_same_on_a_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let store = simulated_store(dir.path());
    let mut cluster = LocalCluster::start(2);
    let commands: &[&[&str]] = &[
        &[
            "sql",
            "--format",
            "csv",
            "select region, count(*) as n, count(distinct track_id) as tracks, min(rank) \
             from chart_entries group by region order by region",
        ],
        &[
            "sql",
            "--format",
            "csv",
            "select cohort, count(*) from artists group by cohort order by cohort",
        ],
        &["reach", "--by", "cohort", "--format", "csv"],
        &["reach", "--by", "track", "--limit", "50", "--format", "csv"],
        &["spread", "--limit", "50", "--format", "csv"],
        &["share", "--by", "market", "--format", "csv"],
        &["home", "--by", "cohort", "--format", "csv"],
        &["engagement", "--by", "cohort", "--format", "csv"],
        &["network", "--format", "csv"],
        &["network", "--backbone", "--format", "csv"],
        &["diversity", "--format", "csv"],
        &["alerts", "--backtest", "--format", "csv"],
        &["artists", "list", "--format", "csv"],
    ];
    for args in commands {
        let local = output(&store, None, args);
        assert!(local.lines().count() > 1, "{args:?} printed no rows");
        let remote = output(&store, Some(&cluster.url), args);
        assert_eq!(local, remote, "{args:?} differs on the cluster");
    }
    // The tables computed in this process (artists, credits) went to the
    // cluster as files named by their content: reruns write nothing new.
    let computed = std::fs::read_dir(store.join("cluster")).unwrap().count();
    output(&store, Some(&cluster.url), commands[1]);
    assert_eq!(
        std::fs::read_dir(store.join("cluster")).unwrap().count(),
        computed
    );

    // The study's numbers, everything but its timings and paths.
    let report = |cluster: Option<&str>, out: &Path| {
        let mut args = vec!["study", "--resamples", "100", "--out"];
        args.push(out.to_str().unwrap());
        output(&store, cluster, &args);
        let text = std::fs::read_to_string(out.join("report.json")).unwrap();
        let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
        for volatile in ["generated_at", "elapsed_seconds", "store"] {
            json.as_object_mut().unwrap().remove(volatile);
        }
        json
    };
    let local = report(None, &dir.path().join("local"));
    let remote = report(Some(&cluster.url), &dir.path().join("remote"));
    assert_eq!(local, remote, "the study differs on the cluster");

    let (status, lines) = cluster.stop();
    assert_eq!(
        status,
        Some(0),
        "SIGTERM stops the cluster cleanly: {lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("stopped")), "{lines:?}");
}

#[test]
fn an_unreachable_scheduler_is_named_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    chartlens(&store)
        .arg("ingest")
        .arg(crate::data("network/charts.csv"))
        .expect_code(0);
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("df://127.0.0.1:{port}");
    let started = Instant::now();
    let out = chartlens(&store)
        .args(["--cluster", &url, "reach", "--by", "cohort"])
        .expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&url), "{stderr}");
    assert!(stderr.contains("chartlens cluster"), "{stderr}");
    // A wrong URL and a store on an object store are refused before anything runs.
    let out = chartlens(&store)
        .args(["--cluster", "sched:50050", "reach"])
        .expect_code(1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("df://HOST:PORT"));
    let out = Command::new(env!("CARGO_BIN_EXE_chartlens"))
        .args(["--store", "s3://bucket/store", "reach"])
        .expect_code(2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not supported yet"));
    // Writes stay local: ingest ignores the cluster.
    chartlens(&store)
        .args(["--cluster", &url, "ingest"])
        .arg(crate::data("network/diversity.csv"))
        .expect_code(0);
}
