//! The JSON API: `GET /api/v1/<command>` with the command's flags as query
//! parameters, `POST /api/v1/sql`, `POST /api/v1/study`, and the OpenAPI
//! document, which is made from the same clap definitions as the flags.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clap::CommandFactory;
use serde::Deserialize;
use serde_json::{Value, json};

use super::App;
use crate::args::Cli;
use crate::exit;

/// The commands the API answers, as URL paths (`artists/list` is
/// `chartlens artists list`).
pub const COMMANDS: &[&str] = &[
    "reach",
    "spread",
    "share",
    "home",
    "network",
    "diversity",
    "alerts",
    "engagement",
    "artists/list",
    "artists/explain",
    "artists/coverage",
    "artists/audit",
    "tables",
    "metrics",
];

/// Flags a client may not set: they choose the store, the files written or
/// the server's limits, which are the server's to decide.
const SERVER_FLAGS: &[&str] = &[
    "store",
    "cohort-rules",
    "memory-limit",
    "timeout",
    "retire-grace-secs",
    "out",
    "simulated",
    "webhook",
    "help",
    "version",
];

/// An error answer: `{"error": ..., "detail": ...}` with its status.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: String,
    pub detail: String,
}

impl ApiError {
    pub fn new(status: StatusCode, error: String, detail: String) -> ApiError {
        ApiError {
            status,
            error,
            detail,
        }
    }

    pub fn bad(error: String) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, error, String::new())
    }

    /// A failure that is not the client's: logged here with a number the
    /// answer gives, and no internals in the answer.
    pub fn internal(err: impl std::fmt::Display) -> ApiError {
        static INCIDENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = INCIDENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        eprintln!("chartlens serve: incident {n}: {err:#}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error".into(),
            format!("logged on the server as incident {n}"),
        )
    }
}

/// The JSON error body.
pub fn error(status: StatusCode, error: String, detail: String) -> Response {
    (status, Json(json!({"error": error, "detail": detail}))).into_response()
}

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/sql", post(sql))
        .route("/study", post(study))
        .route("/artists/{sub}", get(artists))
        .route("/{command}", get(command))
}

async fn command(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    answer(&app, &name, query.as_deref()).await
}

async fn artists(
    State(app): State<Arc<App>>,
    Path(sub): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    answer(&app, &format!("artists/{sub}"), query.as_deref()).await
}

/// Runs the command `name` with the flags of `query` and answers with what
/// it printed.
async fn answer(app: &App, name: &str, query: Option<&str>) -> Response {
    if !COMMANDS.contains(&name) {
        return error(
            StatusCode::NOT_FOUND,
            format!("no API command {name:?}"),
            format!("the commands: {}", COMMANDS.join(", ")),
        );
    }
    let pairs = super::url_pairs(query.unwrap_or(""));
    match run_command(app, name, &pairs).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn run_command(
    app: &App,
    name: &str,
    pairs: &[(String, String)],
) -> Result<Response, ApiError> {
    let (args, csv) = command_args(name, pairs)?;
    let output = app.runner.command(args, true).await?;
    if name == "artists/explain" && output.code == exit::ERROR {
        // The command printed its finding: no artist answers to the name.
        let detail: Value = serde_json::from_slice(&output.bytes).unwrap_or(Value::Null);
        let query = detail["query"].as_str().unwrap_or("").to_string();
        return Ok((
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no artist answers to {query:?}"), "detail": detail})),
        )
            .into_response());
    }
    if output.code != exit::OK {
        return Err(ApiError::internal(format!(
            "`chartlens {name}` exited {} with a 200-less answer",
            output.code
        )));
    }
    let kind = if csv {
        "text/csv; charset=utf-8"
    } else {
        "application/json"
    };
    Ok((
        [(header::CONTENT_TYPE, kind)],
        output.bytes.as_ref().clone(),
    )
        .into_response())
}

/// The clap command of an API path.
fn clap_command(name: &str) -> Option<clap::Command> {
    let mut command = Cli::command();
    for part in name.split('/') {
        command = command.find_subcommand(part)?.clone();
    }
    Some(command)
}

/// The command line of an API request: the path's subcommands, then each
/// query parameter as the flag of the same name (`max_rows` or `max-rows`
/// is `--max-rows`; a repeated parameter is a repeated flag; a switch takes
/// `true` or nothing), then `--format json` unless `format=csv` asked for
/// CSV. Returns it and whether the answer is CSV.
pub fn command_args(
    name: &str,
    pairs: &[(String, String)],
) -> Result<(Vec<String>, bool), ApiError> {
    let command = clap_command(name).ok_or_else(|| ApiError::bad(format!("no command {name}")))?;
    let mut args: Vec<String> = name.split('/').map(str::to_string).collect();
    let mut positional = Vec::new();
    let mut format = None;
    for (key, value) in pairs {
        let flag = key.replace('_', "-");
        if flag == "token" {
            continue;
        }
        if SERVER_FLAGS.contains(&flag.as_str()) {
            return Err(ApiError::bad(format!(
                "parameter {key:?} is the server's to set, not a request's"
            )));
        }
        if flag == "format" {
            if !matches!(value.as_str(), "json" | "csv") {
                return Err(ApiError::bad(format!(
                    "format={value}: the API answers json (the default) or csv"
                )));
            }
            format = Some(value.clone());
            continue;
        }
        let Some(arg) = command.get_arguments().find(|a| {
            a.get_long() == Some(flag.as_str())
                || (a.is_positional() && a.get_id() == flag.as_str())
        }) else {
            let known: Vec<String> = parameters(&command).into_iter().map(|p| p.name).collect();
            return Err(ApiError::bad(format!(
                "unknown parameter {key:?} for {name}; it takes: {}",
                known.join(", ")
            )));
        };
        if arg.is_positional() {
            positional.push(value.clone());
        } else if !arg.get_action().takes_values() {
            match value.as_str() {
                "" | "true" | "1" | "yes" => args.push(format!("--{flag}")),
                "false" | "0" | "no" => {}
                _ => {
                    return Err(ApiError::bad(format!(
                        "{key}={value}: a switch takes true or false"
                    )));
                }
            }
        } else {
            args.push(format!("--{flag}={value}"));
        }
    }
    let csv = format.as_deref() == Some("csv");
    args.push(format!("--format={}", if csv { "csv" } else { "json" }));
    if !positional.is_empty() {
        args.push("--".into());
        args.extend(positional);
    }
    Ok((args, csv))
}

/// One query parameter of a command, as the OpenAPI document lists it.
struct Parameter {
    name: String,
    help: String,
    values: Vec<String>,
    repeatable: bool,
    switch: bool,
    required: bool,
    default: Option<String>,
}

/// The parameters a client may set for `command`.
fn parameters(command: &clap::Command) -> Vec<Parameter> {
    command
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| {
            let name = match a.get_long() {
                Some(long) => long.to_string(),
                None if a.is_positional() => a.get_id().to_string(),
                None => return None,
            };
            if SERVER_FLAGS.contains(&name.as_str()) {
                return None;
            }
            let values = a
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            let default = a
                .get_default_values()
                .first()
                .map(|v| v.to_string_lossy().into_owned());
            Some(Parameter {
                help: a.get_help().map(|h| h.to_string()).unwrap_or_default(),
                values,
                repeatable: matches!(a.get_action(), clap::ArgAction::Append),
                switch: !a.get_action().takes_values(),
                required: a.is_required_set(),
                default,
                name,
            })
        })
        .collect()
}

/// `GET /api/v1/openapi.json`: the API, made from the commands' own
/// definitions, so it cannot drift from them.
async fn openapi() -> Json<Value> {
    Json(openapi_document())
}

pub fn openapi_document() -> Value {
    let error = json!({"$ref": "#/components/schemas/Error"});
    let mut paths = serde_json::Map::new();
    for name in COMMANDS {
        let Some(command) = clap_command(name) else {
            continue;
        };
        let params: Vec<Value> = parameters(&command)
            .into_iter()
            .map(|p| {
                let mut schema = if p.switch {
                    json!({"type": "boolean"})
                } else if p.values.is_empty() {
                    json!({"type": "string"})
                } else {
                    json!({"type": "string", "enum": p.values})
                };
                if let (Some(default), false) = (&p.default, p.switch) {
                    schema["default"] = json!(default);
                }
                if p.name == "format" {
                    schema = json!({"type": "string", "enum": ["json", "csv"], "default": "json"});
                }
                if p.repeatable {
                    schema = json!({"type": "array", "items": schema});
                }
                json!({
                    "name": p.name,
                    "in": "query",
                    "required": p.required,
                    "description": p.help,
                    "schema": schema,
                    "explode": true,
                })
            })
            .collect();
        let about = command
            .get_about()
            .map(|a| a.to_string())
            .unwrap_or_default();
        paths.insert(
            format!("/api/v1/{name}"),
            json!({"get": {
                "summary": about,
                "description": format!(
                    "Exactly what `chartlens {}` prints with the same flags and `--format json` \
                     (or `--format csv` with format=csv). A parameter's name is the flag's, with \
                     `_` or `-`; repeat a parameter for a repeatable flag.",
                    name.replace('/', " ")
                ),
                "parameters": params,
                "responses": {
                    "200": {"description": "The command's output.", "content": {
                        "application/json": {}, "text/csv": {}}},
                    "400": {"description": "A flag the command refuses, with its message.",
                            "content": {"application/json": {"schema": error}}},
                    "404": {"description": "An unknown artist or track.",
                            "content": {"application/json": {"schema": error}}},
                    "408": {"description": "The query ran past the server's --timeout.",
                            "content": {"application/json": {"schema": error}}},
                    "413": {"description": "The query needed more than the server's --memory-limit.",
                            "content": {"application/json": {"schema": error}}},
                    "500": {"description": "A server fault, logged there.",
                            "content": {"application/json": {"schema": error}}}
                }
            }}),
        );
    }
    paths.insert(
        "/api/v1/sql".into(),
        json!({"post": {
            "summary": "One read-only SQL query (SELECT, WITH, EXPLAIN, SHOW, DESCRIBE) on the store's tables.",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object", "required": ["query"],
                "properties": {
                    "query": {"type": "string"},
                    "limit": {"type": "integer", "minimum": 0,
                              "description": "At most this many rows (never more than the server's --sql-rows)."}
                }}}}},
            "responses": {
                "200": {"description": "The rows, and whether the row cap cut them.",
                        "content": {"application/json": {"schema": {"type": "object", "properties": {
                            "columns": {"type": "array", "items": {"type": "string"}},
                            "rows": {"type": "array", "items": {"type": "object"}},
                            "truncated": {"type": "boolean"},
                            "row_cap": {"type": "integer"}}}}}},
                "400": {"description": "A query the engine cannot plan.", "content": {"application/json": {"schema": error}}},
                "403": {"description": "A statement that is not read-only, or reads files.", "content": {"application/json": {"schema": error}}},
                "408": {"description": "Past the time limit.", "content": {"application/json": {"schema": error}}},
                "413": {"description": "Past the memory limit.", "content": {"application/json": {"schema": error}}}
            }
        }}),
    );
    paths.insert(
        "/api/v1/study".into(),
        json!({"post": {
            "summary": "Run the study (as `chartlens study`) and answer its report.json; the report page is at the Location header's /study/{id}.",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {
                    "cohorts": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
                    "source": {"type": "array", "items": {"type": "string"}},
                    "chart": {"type": "array", "items": {"type": "string"}},
                    "market": {"type": "array", "items": {"type": "string"}},
                    "period": {"type": "string"},
                    "resamples": {"type": "integer"},
                    "seed": {"type": "integer"}
                }}}}},
            "responses": {
                "200": {"description": "report.json of the study.", "content": {"application/json": {}}},
                "400": {"description": "Settings the study refuses.", "content": {"application/json": {"schema": error}}}
            }
        }}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "chartlens",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The numbers of the chartlens command line over HTTP, for one store."
        },
        "paths": paths,
        "components": {"schemas": {"Error": {"type": "object", "required": ["error"], "properties": {
            "error": {"type": "string"}, "detail": {}}}}}
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlRequest {
    pub query: String,
    #[serde(default)]
    pub limit: Option<usize>,
}

/// `POST /api/v1/sql`.
async fn sql(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    let request: SqlRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("the body is not {{\"query\": \"...\"}}: {e}"),
                String::new(),
            );
        }
    };
    match app.runner.sql(request.query, request.limit).await {
        Ok(rows) => Json(json!({
            "columns": rows.columns,
            "rows": rows.rows,
            "truncated": rows.truncated,
            "row_cap": request.limit.unwrap_or(app.runner.sql_rows()).min(app.runner.sql_rows()),
        }))
        .into_response(),
        Err(err) => err.into_response(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyRequest {
    #[serde(default)]
    pub cohorts: Vec<String>,
    #[serde(default)]
    pub source: Vec<String>,
    #[serde(default)]
    pub chart: Vec<String>,
    #[serde(default)]
    pub market: Vec<String>,
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub resamples: Option<usize>,
    #[serde(default)]
    pub seed: Option<u64>,
}

impl StudyRequest {
    /// The `study` flags it stands for, as query pairs.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        if !self.cohorts.is_empty() {
            pairs.push(("cohorts".to_string(), self.cohorts.join(",")));
        }
        for (key, values) in [
            ("source", &self.source),
            ("chart", &self.chart),
            ("market", &self.market),
        ] {
            pairs.extend(values.iter().map(|v| (key.to_string(), v.clone())));
        }
        if let Some(period) = &self.period {
            pairs.push(("period".into(), period.clone()));
        }
        if let Some(n) = self.resamples {
            pairs.push(("resamples".into(), n.to_string()));
        }
        if let Some(seed) = self.seed {
            pairs.push(("seed".into(), seed.to_string()));
        }
        pairs
    }
}

/// `POST /api/v1/study`: runs the study into the server's scratch directory
/// (once per settings and store version) and answers its report.json.
async fn study(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    let request: StudyRequest = if body.is_empty() {
        StudyRequest::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(request) => request,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("the body: {e}"),
                    String::new(),
                );
            }
        }
    };
    match run_study(&app, &request.pairs()).await {
        Ok((id, report)) => (
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (header::LOCATION, format!("/study/{id}")),
            ],
            report,
        )
            .into_response(),
        Err(err) => err.into_response(),
    }
}

/// Runs `study` with `pairs` as its flags; returns the report's id and its
/// report.json. A report already written for the same flags and store
/// version is reused.
pub async fn run_study(
    app: &App,
    pairs: &[(String, String)],
) -> Result<(String, Vec<u8>), ApiError> {
    let mut args = vec!["study".to_string()];
    let command = clap_command("study").ok_or_else(|| ApiError::bad("no study".into()))?;
    for (key, value) in pairs {
        let flag = key.replace('_', "-");
        if SERVER_FLAGS.contains(&flag.as_str())
            || !command
                .get_arguments()
                .any(|a| a.get_long() == Some(flag.as_str()) && a.get_action().takes_values())
        {
            return Err(ApiError::bad(format!("the study takes no setting {key:?}")));
        }
        args.push(format!("--{flag}={value}"));
    }
    let stamp = app.runner.version_tag();
    let id =
        blake3::hash(format!("{stamp}\n{}", args.join("\n")).as_bytes()).to_hex()[..16].to_string();
    let dir = super::studies_dir(&app.runner).join(&id);
    let report = dir.join("report.json");
    if !report.exists() {
        args.push(format!("--out={}", dir.display()));
        app.runner.command(args, false).await?;
    }
    let bytes = std::fs::read(&report).map_err(ApiError::internal)?;
    Ok((id, bytes))
}
