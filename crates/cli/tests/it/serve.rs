//! `chartlens serve` as a user starts it: a real server on a loopback port,
//! asked over HTTP, its answers compared with the command line's.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};

use super::{ExpectCode, chartlens, data};

/// A running server, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(store: &std::path::Path, extra: &[&str]) -> Server {
        let mut child = chartlens(store)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("http://")
            .and_then(|a| a.strip_suffix('/'))
            .unwrap_or_else(|| panic!("the server printed {line:?}"))
            .to_string();
        Server { child, addr }
    }

    /// GET `path`: the status and the body.
    fn get(&self, path: &str) -> (u16, Vec<u8>) {
        self.ask(&format!("GET {path} HTTP/1.1\r\n"), "")
    }

    /// POST `body` to `path`.
    fn post(&self, path: &str, body: &str) -> (u16, Vec<u8>) {
        self.ask(
            &format!(
                "POST {path} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ),
            body,
        )
    }

    fn ask(&self, head: &str, body: &str) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(
            stream,
            "{head}Host: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr
        )
        .unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let split = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete answer");
        let head = String::from_utf8_lossy(&answer[..split]).to_string();
        assert!(
            !head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "{head}"
        );
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, answer[split + 4..].to_vec())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn store(dir: &std::path::Path) -> std::path::PathBuf {
    let store = dir.join("store");
    chartlens(&store)
        .args(["ingest", "--quiet"])
        .arg(data("metrics/charts.csv"))
        .expect_code(0);
    chartlens(&store)
        .args(["artists", "import"])
        .arg(data("artists/lists"))
        .expect_code(0);
    store
}

#[test]
fn every_api_command_answers_what_the_command_line_prints() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let server = Server::start(&store, &[]);
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("reach", &[]),
        ("reach", &[("by", "artist"), ("sort", "entries")]),
        ("reach", &[("by", "cohort")]),
        (
            "reach",
            &[("market", "JP"), ("market", "KR"), ("limit", "2")],
        ),
        ("spread", &[("chart", "viral50")]),
        ("share", &[("by", "market")]),
        (
            "share",
            &[("by", "month"), ("period", "2021-01-01..2021-12-31")],
        ),
        ("home", &[("by", "artist")]),
        ("home", &[("by", "market")]),
        ("engagement", &[]),
        ("artists/list", &[]),
        ("artists/explain", &[("name", "Haneul Five")]),
        ("artists/coverage", &[]),
        ("artists/audit", &[("held", "true")]),
        ("tables", &[]),
        ("metrics", &[]),
    ];
    for (command, pairs) in cases {
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace(' ', "%20")))
            .collect();
        let (status, body) = server.get(&format!("/api/v1/{command}?{}", query.join("&")));
        let mut cli = chartlens(&store);
        cli.args(command.split('/'));
        for (k, v) in *pairs {
            if *k == "name" {
                continue;
            }
            if *v == "true" {
                cli.arg(format!("--{k}"));
            } else {
                cli.arg(format!("--{k}={v}"));
            }
        }
        cli.arg("--format=json");
        if let Some((_, name)) = pairs.iter().find(|(k, _)| *k == "name") {
            cli.arg(name);
        }
        let out = cli.output().unwrap();
        assert!(
            out.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            status,
            200,
            "{command} {pairs:?}: {}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(&out.stdout),
            "{command} {pairs:?}"
        );
    }
    // CSV too.
    let (status, body) = server.get("/api/v1/reach?by=artist&format=csv");
    assert_eq!(status, 200);
    let out = chartlens(&store)
        .args(["reach", "--by", "artist", "--format", "csv"])
        .expect_code(0);
    assert_eq!(body, out.stdout);
    // And the pages answer.
    for page in ["/", "/market", "/cohorts", "/study", "/search?q=bts"] {
        let (status, body) = server.get(page);
        assert_eq!(status, 200, "{page}: {}", String::from_utf8_lossy(&body));
    }
}

#[test]
fn user_sql_runs_capped_read_only_and_stops_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let server = Server::start(&store, &["--timeout", "2", "--sql-rows", "2"]);
    let json = |(status, body): (u16, Vec<u8>)| {
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        (status, value)
    };
    let (status, rows) = json(server.post(
        "/api/v1/sql",
        r#"{"query": "SELECT region, count(*) AS n FROM chart_entries GROUP BY region ORDER BY region"}"#,
    ));
    assert_eq!(status, 200, "{rows}");
    assert_eq!(rows["columns"], serde_json::json!(["region", "n"]));
    assert_eq!(rows["rows"].as_array().unwrap().len(), 2, "{rows}");
    assert_eq!(rows["truncated"], true);
    // In the query's order.
    assert_eq!(rows["rows"][0]["region"], "DE");
    let target = dir.path().join("copied.csv");
    let copy = serde_json::json!({"query": format!("COPY (SELECT 1) TO '{}'", target.display())});
    let (status, refused) = json(server.post("/api/v1/sql", &copy.to_string()));
    assert_eq!(status, 403, "{refused}");
    assert!(!target.exists());
    // A cross join that runs for minutes: the answer comes at the deadline,
    // and the server goes on answering.
    let started = std::time::Instant::now();
    let (status, slow) = json(server.post(
        "/api/v1/sql",
        r#"{"query": "SELECT count(*) FROM range(100000000) a CROSS JOIN range(100000) b WHERE a.value + b.value = 7"}"#,
    ));
    assert_eq!(status, 408, "{slow}");
    assert!(
        slow["error"].as_str().unwrap().contains("--timeout"),
        "{slow}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    assert_eq!(server.get("/api/v1/tables").0, 200);
}

#[test]
fn an_address_other_machines_reach_needs_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let out = chartlens(&store)
        .args(["serve", "--addr", "0.0.0.0:0"])
        .env_remove("CHARTLENS_TOKEN")
        .expect_code(1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--token"), "{stderr}");
    let missing = chartlens(&dir.path().join("nothing"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .expect_code(1);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no chartlens store"));
}
