//! `chartlens serve`: the dashboard and the JSON API over one store, on axum.
//!
//! Every answer comes from the commands the command line runs: an API
//! request becomes the same argument list (`GET /api/v1/reach?by=artist` is
//! `chartlens reach --by artist --format json`), parsed by the same clap
//! definitions and run by the same code with its output captured (see
//! [`crate::output::captured`]). The pages render those answers. So the API
//! gives byte for byte what `--format json` prints, the errors carry the
//! command line's messages, and there is one implementation of each number.
//!
//! Commands run on their own Tokio runtime, away from the one serving HTTP,
//! and user SQL on a third, so a slow query stalls neither the server nor
//! the pages. Answers are cached per store version (the manifest's identity
//! on disk), so a view that was computed once is served from memory until
//! an ingest changes the store.
//!
//! Security: loopback by default; any other address needs `--token` (a
//! bearer token, or the `token` query parameter once, which sets a cookie);
//! a request whose `Host` is not the bound address or `localhost` is refused
//! (DNS rebinding); no CORS headers; SQL is read-only through
//! [`chartlens_store::query::read_only_sql`] with the limits of
//! `--memory-limit`, `--timeout` and `--sql-rows`.

mod api;
mod html;
mod pages;
mod run;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use chartlens_store::Limits;

use crate::args::ServeArgs;
use crate::exit;

pub use run::Runner;

/// How long a query may run when neither `--timeout` nor the request says.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Everything a request needs, shared by all of them.
pub struct App {
    /// Runs commands and SQL, with the cache.
    pub runner: Runner,
    /// The bearer token every request must carry, when one was set.
    pub token: Option<String>,
    /// `Host` header values the server answers (DNS rebinding guard).
    pub hosts: Vec<String>,
}

/// Starts the server and serves until interrupted, on the caller's runtime
/// (commands run on runtimes of their own, see [`Runner`]).
pub async fn serve(
    store: &Path,
    cohort_rules: Option<&Path>,
    args: &ServeArgs,
    limits: &Limits,
) -> anyhow::Result<u8> {
    let addr: SocketAddr = args.addr.parse().with_context(|| {
        format!(
            "--addr {:?} is not an address such as 127.0.0.1:7878",
            args.addr
        )
    })?;
    let token = args.token.clone().filter(|t| !t.is_empty());
    if !addr.ip().is_loopback() && token.is_none() {
        bail!(
            "--addr {addr} is reachable from other machines: give --token SECRET (or \
             CHARTLENS_TOKEN) so that only holders of the token can read the store, or bind \
             127.0.0.1"
        );
    }
    if !store
        .join(chartlens_store::manifest::MANIFEST_FILE)
        .exists()
    {
        bail!(
            "{}: no chartlens store here (run `chartlens ingest` first, or pass --store)",
            store.display()
        );
    }
    let limits = Limits {
        timeout: Some(limits.timeout.unwrap_or(DEFAULT_TIMEOUT)),
        ..*limits
    };
    let runner = Runner::new(
        store.to_path_buf(),
        cohort_rules.map(Path::to_path_buf),
        limits,
        args.sql_rows,
        Some(std::env::current_exe().context("finding the chartlens executable for SQL")?),
    )?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr} (is another server using it? pass --addr)"))?;
    let bound = listener.local_addr()?;
    let app = Arc::new(App {
        runner,
        token,
        hosts: allowed_hosts(bound),
    });
    println!("http://{bound}/");
    eprintln!(
        "serving {} (queries stop after {} s, SQL answers at most {} rows); Ctrl-C stops",
        store.display(),
        limits.timeout.unwrap_or(DEFAULT_TIMEOUT).as_secs_f64(),
        args.sql_rows
    );
    axum::serve(listener, router(app))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")?;
    eprintln!("stopped");
    Ok(exit::OK)
}

/// The `Host` values a browser sends for `bound`: the address itself and
/// `localhost`, with the port.
fn allowed_hosts(bound: SocketAddr) -> Vec<String> {
    let port = bound.port();
    let mut hosts = vec![bound.to_string(), format!("localhost:{port}")];
    if bound.ip().is_loopback() {
        hosts.push(format!("127.0.0.1:{port}"));
        hosts.push(format!("[::1]:{port}"));
    }
    hosts
}

/// The whole application: pages, API and the guards in front of them.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

/// The name of the cookie that carries the token for a browser.
const TOKEN_COOKIE: &str = "chartlens_token";

/// Refuses requests for another host (DNS rebinding) and, when a token is
/// set, requests without it. A `token` query parameter that matches sets
/// the cookie, so a browser needs the token once.
async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !app.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return api::error(
            StatusCode::MISDIRECTED_REQUEST,
            format!("this server answers only for {}", app.hosts.join(", ")),
            "the Host header names another site: open the address `chartlens serve` printed".into(),
        );
    }
    let Some(token) = &app.token else {
        return next.run(request).await;
    };
    let from_query = request.uri().query().and_then(|q| {
        url_pairs(q)
            .into_iter()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v)
    });
    let presented = bearer(headers)
        .or_else(|| cookie(headers, TOKEN_COOKIE))
        .or(from_query.clone());
    if !presented.is_some_and(|p| constant_time_eq(p.as_bytes(), token.as_bytes())) {
        return api::error(
            StatusCode::UNAUTHORIZED,
            "this server needs its token".into(),
            "send `Authorization: Bearer TOKEN`, or open a page once with ?token=TOKEN".into(),
        );
    }
    let mut response = next.run(request).await;
    if from_query.is_some()
        && let Ok(value) = format!("{TOKEN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/")
            .parse::<axum::http::HeaderValue>()
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Compares without stopping at the first difference, so the time taken
/// says nothing about how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The pairs of a query string, percent-decoded, in order (repeats kept).
pub fn url_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The study reports the server wrote, by id, under this directory.
pub fn studies_dir(runner: &Runner) -> PathBuf {
    runner.scratch().join("studies")
}

impl IntoResponse for api::ApiError {
    fn into_response(self) -> Response {
        api::error(self.status, self.error, self.detail)
    }
}

#[cfg(test)]
mod tests;
