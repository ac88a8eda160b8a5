//! The server through its router, without a socket (`oneshot`), on a small
//! store made here: fictional artists of two cohorts on a few markets.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use clap::Parser;
use serde_json::Value;
use tower::ServiceExt;

use super::{App, Runner, router};
use crate::args::Cli;

const CHARTS: &str = "\
source,chart,region,period_start,period_end,rank,track_id,track_name,artist_names
spotify,viral50,KR,2021-01-07,2021-01-07,1,trk00000000000000000001,Blue Hour,Haneul Five
spotify,viral50,JP,2021-01-14,2021-01-14,3,trk00000000000000000001,Blue Hour,Haneul Five
spotify,viral50,US,2021-01-21,2021-01-21,9,trk00000000000000000001,Blue Hour,Haneul Five
spotify,viral50,GLOBAL,2021-01-21,2021-01-21,20,trk00000000000000000001,Blue Hour,Haneul Five
spotify,viral50,JP,2021-01-07,2021-01-07,1,trk00000000000000000002,Paper Moon,Sora Kisaki
spotify,viral50,JP,2021-01-14,2021-01-14,2,trk00000000000000000002,Paper Moon,Sora Kisaki
spotify,viral50,KR,2021-01-14,2021-01-14,4,trk00000000000000000002,Paper Moon,Sora Kisaki
spotify,viral50,KR,2021-01-21,2021-01-21,2,trk00000000000000000003,Night Drive,Haneul Five
";

const REGISTRY: &str = "\
name,country,genres,aliases
Haneul Five,South Korea,k-pop;k-pop boy group,하늘파이브;H5
Sora Kisaki,JP,j-pop;anime,木崎そら
";

/// Runs `chartlens --store STORE args...` as the command line would.
async fn chartlens(store: &Path, args: &[&str]) -> u8 {
    let store = store.to_string_lossy().into_owned();
    let argv = ["chartlens", "--store", &store]
        .into_iter()
        .chain(args.iter().copied());
    let cli = Cli::try_parse_from(argv).expect("a valid command line");
    Box::pin(crate::cmd::run(cli))
        .await
        .expect("the command runs")
}

/// A store with the charts and the registry above, in `dir`.
async fn fixture(dir: &Path) -> std::path::PathBuf {
    let store = dir.join("store");
    std::fs::write(dir.join("charts.csv"), CHARTS).unwrap();
    std::fs::write(dir.join("registry.csv"), REGISTRY).unwrap();
    let charts = dir.join("charts.csv");
    assert_eq!(
        chartlens(&store, &["ingest", "--quiet", &charts.to_string_lossy()]).await,
        0
    );
    let registry = dir.join("registry.csv");
    assert_eq!(
        chartlens(&store, &["artists", "import", &registry.to_string_lossy()]).await,
        0
    );
    store
}

fn app(store: &Path, token: Option<&str>) -> Arc<App> {
    let limits = chartlens_store::Limits {
        memory_bytes: 256 << 20,
        timeout: Some(std::time::Duration::from_secs(20)),
    };
    Arc::new(App {
        runner: Runner::new(store.to_path_buf(), None, limits, 3, None).unwrap(),
        token: token.map(str::to_string),
        hosts: super::allowed_hosts("127.0.0.1:7878".parse().unwrap()),
    })
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&self.body));
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn send(app: &Arc<App>, request: Request<Body>) -> Answer {
    let response = router(app.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::HOST, "127.0.0.1:7878")
        .body(Body::empty())
        .unwrap()
}

fn post(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::HOST, "localhost:7878")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn api_answers_with_the_commands_json_and_their_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture(dir.path()).await;
    let app = app(&store, None);

    let reach = send(&app, get("/api/v1/reach?by=artist&chart=viral50")).await;
    assert_eq!(reach.status, StatusCode::OK, "{}", reach.text());
    let rows = reach.json();
    let haneul = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["artist"] == "Haneul Five")
        .expect("Haneul Five has a row");
    // KR, JP and US; GLOBAL is no market.
    assert_eq!(haneul["markets"], 3, "{rows}");

    let csv = send(&app, get("/api/v1/reach?by=artist&format=csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(csv.text().starts_with("source,chart,"), "{}", csv.text());

    // A repeated parameter is a repeated flag; underscores are dashes.
    let two = send(&app, get("/api/v1/reach?market=KR&market=JP&max_rows=5")).await;
    assert_eq!(two.status, StatusCode::OK, "{}", two.text());

    // The command line's own refusal, as a 400 with its message.
    let wrong = send(&app, get("/api/v1/reach?by=cohort&sort=entries")).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(
        wrong.json()["error"].as_str().unwrap().contains("--sort"),
        "{}",
        wrong.text()
    );
    let invalid = send(&app, get("/api/v1/reach?by=planet")).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert!(invalid.json()["error"].as_str().unwrap().contains("planet"));
    let unknown = send(&app, get("/api/v1/reach?colour=red")).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.json()["error"].as_str().unwrap().contains("colour"));
    // The store and the limits are the server's.
    for p in [
        "store=/tmp",
        "memory_limit=64G",
        "timeout=9999",
        "format=table",
    ] {
        let refused = send(&app, get(&format!("/api/v1/reach?{p}"))).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{p}");
    }
    // Unknown names are 404s.
    let nobody = send(&app, get("/api/v1/reach?artist=Nobody%20At%20All")).await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND, "{}", nobody.text());
    let explain = send(&app, get("/api/v1/artists/explain?name=Nobody")).await;
    assert_eq!(explain.status, StatusCode::NOT_FOUND);
    assert_eq!(explain.json()["detail"]["resolution"], "unknown");
    let no_track = send(&app, get("/api/v1/spread?track=No%20Such%20Song")).await;
    assert_eq!(no_track.status, StatusCode::NOT_FOUND);
    let no_command = send(&app, get("/api/v1/ingest")).await;
    assert_eq!(no_command.status, StatusCode::NOT_FOUND);

    // Any script: the Hangul alias finds the artist.
    let hangul = send(
        &app,
        get("/api/v1/artists/explain?name=%ED%95%98%EB%8A%98%ED%8C%8C%EC%9D%B4%EB%B8%8C"),
    )
    .await;
    assert_eq!(hangul.status, StatusCode::OK, "{}", hangul.text());
    assert_eq!(hangul.json()["artists"][0]["name"], "Haneul Five");

    let tables = send(&app, get("/api/v1/tables")).await;
    assert_eq!(tables.status, StatusCode::OK);
    let entries = tables.json()["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "chart_entries")
        .cloned()
        .unwrap();
    assert_eq!(entries["rows"], 8);
    let metrics = send(&app, get("/api/v1/metrics")).await;
    assert!(
        metrics
            .json()
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "breadth")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn openapi_lists_every_command_with_its_flags() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture(dir.path()).await;
    let app = app(&store, None);
    let doc = send(&app, get("/api/v1/openapi.json")).await.json();
    for command in super::api::COMMANDS {
        assert!(
            doc["paths"][format!("/api/v1/{command}")]["get"].is_object(),
            "{command}"
        );
    }
    let params = doc["paths"]["/api/v1/reach"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let by = params.iter().find(|p| p["name"] == "by").unwrap();
    assert_eq!(
        by["schema"]["enum"],
        serde_json::json!(["track", "artist", "cohort"])
    );
    let market = params.iter().find(|p| p["name"] == "market").unwrap();
    assert_eq!(market["schema"]["type"], "array");
    assert!(
        !params
            .iter()
            .any(|p| p["name"] == "store" || p["name"] == "timeout")
    );
    assert!(doc["paths"]["/api/v1/sql"]["post"].is_object());
}

#[tokio::test(flavor = "multi_thread")]
async fn sql_is_read_only_and_capped() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture(dir.path()).await;
    let app = app(&store, None);
    let all = send(
        &app,
        post(
            "/api/v1/sql",
            r#"{"query": "SELECT rank FROM chart_entries ORDER BY rank"}"#,
        ),
    )
    .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text());
    let all = all.json();
    // The server's cap is 3 rows here.
    assert_eq!(all["rows"].as_array().unwrap().len(), 3);
    assert_eq!(all["truncated"], true);
    assert_eq!(all["columns"], serde_json::json!(["rank"]));
    let few = send(
        &app,
        post("/api/v1/sql", r#"{"query": "SELECT 1 AS one", "limit": 5}"#),
    )
    .await
    .json();
    assert_eq!(few["truncated"], false);
    assert_eq!(few["rows"], serde_json::json!([{"one": 1}]));

    let target = dir.path().join("written.csv");
    let passwd = "/etc/passwd";
    for query in [
        format!("COPY (SELECT 1) TO '{}' STORED AS CSV", target.display()),
        format!("CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '{passwd}'"),
        "INSERT INTO chart_entries SELECT * FROM chart_entries".to_string(),
        "DROP TABLE chart_entries".to_string(),
        format!("SELECT * FROM '{passwd}'"),
        format!("SELECT * FROM read_csv('{passwd}')"),
    ] {
        let body = serde_json::json!({ "query": query }).to_string();
        let refused = send(&app, post("/api/v1/sql", &body)).await;
        assert!(
            refused.status.is_client_error(),
            "{query}: {} {}",
            refused.status,
            refused.text()
        );
        assert!(
            refused.json()["error"]
                .as_str()
                .is_some_and(|e| !e.is_empty())
        );
    }
    assert!(!target.exists(), "COPY wrote a file");
    let bad = send(
        &app,
        post(
            "/api/v1/sql",
            r#"{"query": "SELECT nonsense FROM nowhere"}"#,
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text());
    let garbage = send(&app, post("/api/v1/sql", "not json")).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_host_and_a_missing_token_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture(dir.path()).await;
    let open = app(&store, None);
    let rebinding = Request::get("/api/v1/tables")
        .header(header::HOST, "attacker.example:7878")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&open, rebinding).await.status,
        StatusCode::MISDIRECTED_REQUEST
    );
    let no_host = Request::get("/").body(Body::empty()).unwrap();
    assert_eq!(
        send(&open, no_host).await.status,
        StatusCode::MISDIRECTED_REQUEST
    );
    // No CORS headers for other origins.
    let cors = send(&open, get("/api/v1/tables")).await;
    assert!(!cors.headers.contains_key("access-control-allow-origin"));

    let locked = app(&store, Some("s3cret"));
    assert_eq!(
        send(&locked, get("/api/v1/tables")).await.status,
        StatusCode::UNAUTHORIZED
    );
    let wrong = Request::get("/api/v1/tables")
        .header(header::HOST, "127.0.0.1:7878")
        .header(header::AUTHORIZATION, "Bearer guess")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&locked, wrong).await.status, StatusCode::UNAUTHORIZED);
    let right = Request::get("/api/v1/tables")
        .header(header::HOST, "127.0.0.1:7878")
        .header(header::AUTHORIZATION, "Bearer s3cret")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&locked, right).await.status, StatusCode::OK);
    let once = send(&locked, get("/?token=s3cret")).await;
    assert_eq!(once.status, StatusCode::OK);
    let cookie = once.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let again = Request::get("/market")
        .header(header::HOST, "127.0.0.1:7878")
        .header(header::COOKIE, cookie.split(';').next().unwrap())
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&locked, again).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_renders_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture(dir.path()).await;
    let app = app(&store, None);
    for (uri, wants) in [
        ("/", "viral50"),
        ("/market?chart=viral50&cohort=K-pop", "K-pop"),
        ("/market/KR?chart=viral50", "Domestic share"),
        (
            "/track?track=trk00000000000000000001",
            "Chart runs per market",
        ),
        ("/artist?artist=Haneul%20Five", "Blue Hour"),
        ("/cohorts?a=K-pop&b=J-pop", "T_N survival"),
        ("/study", "Run the study"),
        ("/search?q=%E6%9C%A8%E5%B4%8E", "Sora Kisaki"),
        ("/search?q=paper", "Paper Moon"),
    ] {
        let page = send(&app, get(uri)).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.text());
        let text = page.text();
        assert!(text.contains(wants), "{uri} lacks {wants:?}");
        // Nothing loaded from elsewhere: no external scripts, styles, fonts or images.
        for outside in ["src=\"http", "href=\"http", "url(http", "@import"] {
            assert!(!text.contains(outside), "{uri} loads {outside}");
        }
    }
    assert_eq!(
        send(&app, get("/favicon.ico")).await.status,
        StatusCode::NO_CONTENT
    );
    let missing = send(&app, get("/track?track=nothing")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text().contains("class=\"error\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_study_runs_once_per_settings_and_its_page_is_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture(dir.path()).await;
    let app = app(&store, None);
    let body = r#"{"cohorts": ["K-pop", "J-pop"], "resamples": 100}"#;
    let study = send(&app, post("/api/v1/study", body)).await;
    assert_eq!(study.status, StatusCode::OK, "{}", study.text());
    assert!(study.json()["claims"].is_array(), "{}", study.text());
    let location = study.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    let page = send(&app, get(&location)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("<html"));
    let again = send(&app, post("/api/v1/study", body)).await;
    assert_eq!(again.headers[header::LOCATION], location.as_str());
    let refused = send(&app, post("/api/v1/study", r#"{"out": "/tmp/x"}"#)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let unknown = send(&app, get("/study/0123456789abcdef")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
