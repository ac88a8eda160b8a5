//! The dashboard's pages, rendered on the server from the same commands the
//! API runs. The URL carries every choice (filters, names), so a link
//! reproduces the view; each table links its rows as CSV from the API.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chartlens_report::svg;
use serde_json::{Map, Value};

use super::App;
use super::api::{self, ApiError};
use super::html::{self, Linker, escape, query};

/// A column whose cells link where `to` says.
fn link<'a>(column: &'a str, to: &'a dyn Fn(&Map<String, Value>) -> Option<String>) -> Linker<'a> {
    (column, to)
}

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(overview))
        .route("/market", get(markets))
        .route("/market/{code}", get(market))
        .route("/track", get(track))
        .route("/artist", get(artist))
        .route("/cohorts", get(cohorts))
        .route("/network", get(network))
        .route("/diversity", get(diversity))
        .route("/alerts", get(alerts))
        .route("/study", get(study_form))
        .route("/study/run", get(study_run))
        .route("/study/{id}", get(study_page))
        .route("/search", get(search))
        // The study report (the page `study --out` writes) names no icon, so
        // browsers ask for this one: no content, rather than a 404 in their
        // console.
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
}

/// The query parameters of a page.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: Option<&str>) -> Params {
        Params(super::url_pairs(query.unwrap_or("")))
    }

    /// The first value of `key`, or "".
    fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.trim())
    }

    /// The row filters every page shares (source, chart, period), as API query pairs.
    fn filter_pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("source", self.get("source")),
            ("chart", self.get("chart")),
            ("period", self.get("period")),
        ]
    }
}

/// The cache key of a page: its path and its parameters in order.
fn page_key(path: &str, params: &Params) -> String {
    let pairs: Vec<(&str, &str)> = params
        .0
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    format!("{path}{}", query(&pairs))
}

/// A page's answer, or the error it shows (with the status of the error).
type Page = Result<String, ApiError>;

fn respond(title: &str, search: &str, body: Page) -> Response {
    match body {
        Ok(body) => Html(html::page(title, search, &body)).into_response(),
        Err(err) => (
            err.status,
            Html(html::page(
                title,
                search,
                &html::error_box(&err.error, &err.detail),
            )),
        )
            .into_response(),
    }
}

/// The rows of a command's JSON answer (an array of objects).
fn rows(value: Value) -> Vec<Value> {
    match value {
        Value::Array(rows) => rows,
        _ => Vec::new(),
    }
}

fn text<'a>(row: &'a Map<String, Value>, key: &str) -> &'a str {
    row.get(key).and_then(Value::as_str).unwrap_or("")
}

fn number(row: &Map<String, Value>, key: &str) -> Option<f64> {
    row.get(key).and_then(Value::as_f64)
}

/// The API URL of a command with `pairs`, as CSV.
fn csv_link(command: &str, pairs: &[(&str, &str)]) -> String {
    let mut pairs = pairs.to_vec();
    pairs.push(("format", "csv"));
    format!("/api/v1/{command}{}", query(&pairs))
}

/// Runs a command through the API's argument mapping, so that a page and
/// the API answer the same request the same way.
async fn command(app: &App, name: &str, pairs: &[(&str, &str)]) -> Result<Value, ApiError> {
    let owned: Vec<(String, String)> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (args, _) = api::command_args(name, &owned)?;
    app.runner.json(args).await
}

/// A SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The filter form: source, chart and period (and the page's own fields).
fn filter_form(action: &str, params: &Params, extra: &str) -> String {
    format!(
        "<form class=\"filters\" method=\"get\" action=\"{}\">{extra}{}{}{}<button>Show</button></form>",
        escape(action),
        html::input("source", "Source", params.get("source"), "spotify"),
        html::input("chart", "Chart", params.get("chart"), "viral50"),
        html::input(
            "period",
            "Period",
            params.get("period"),
            "2020-01-01..2020-12-31"
        ),
    )
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
fn day_number(date: &str) -> Option<f64> {
    let day = chrono::NaiveDate::parse_from_str(date.get(..10)?, "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    Some((day - epoch).num_days() as f64)
}

// ------------------------------------------------------------- overview

async fn overview(State(app): State<Arc<App>>) -> Response {
    respond(
        "What is in the store",
        "",
        app.runner.page("/".into(), overview_body(&app)).await,
    )
}

async fn overview_body(app: &App) -> Page {
    let mut body = String::new();
    let charts = app
        .runner
        .page_sql(
            "SELECT source, chart, count(DISTINCT region) AS markets, \
             CAST(min(period_start) AS VARCHAR) AS first_day, \
             CAST(max(period_end) AS VARCHAR) AS last_day, count(*) AS entries, \
             count(*) FILTER (WHERE flag IS NOT NULL) AS flagged_entries \
             FROM chart_entries GROUP BY source, chart ORDER BY entries DESC, source, chart"
                .into(),
            1000,
        )
        .await?;
    let charts: Vec<Value> = charts.rows.into_iter().map(Value::Object).collect();
    body.push_str("<h2>Charts</h2><p class=\"note\">Each chart's markets, days and entries (flagged entries: rows kept whose track was removed since). A chart opens its market map.</p>");
    let to_map = |row: &Map<String, Value>| {
        Some(format!(
            "/market{}",
            query(&[
                ("source", text(row, "source")),
                ("chart", text(row, "chart"))
            ])
        ))
    };
    body.push_str(&html::table(&charts, 200, None, &[link("chart", &to_map)]));

    let markets = app
        .runner
        .page_sql(
            "SELECT region AS market, count(DISTINCT source || '/' || chart) AS charts, \
             CAST(min(period_start) AS VARCHAR) AS first_day, \
             CAST(max(period_end) AS VARCHAR) AS last_day, count(*) AS entries \
             FROM chart_entries GROUP BY region ORDER BY region"
                .into(),
            1000,
        )
        .await?;
    let markets: Vec<Value> = markets.rows.into_iter().map(Value::Object).collect();
    body.push_str("<h2>Markets</h2>");
    let to_market =
        |row: &Map<String, Value>| Some(format!("/market/{}", html::encode(text(row, "market"))));
    body.push_str(&html::table(
        &markets,
        300,
        None,
        &[link("market", &to_market)],
    ));

    let coverage = command(app, "artists/coverage", &[("view", "overall")]).await?;
    body.push_str("<h2>Coverage per cohort</h2><p class=\"note\">Share of chart entries and streams whose primary artist is in each cohort (<code>chartlens artists coverage</code>).</p>");
    let coverage = coverage_rows(coverage);
    body.push_str(&html::table(
        &coverage,
        200,
        Some(&csv_link("artists/coverage", &[("view", "overall")])),
        &[],
    ));

    let tables = command(app, "tables", &[]).await?;
    let tables: Vec<Value> = tables["tables"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|t| {
                    serde_json::json!({"table": t["name"], "kind": t["kind"], "rows": t["rows"],
                                       "damaged_parts": t["damaged_parts"], "about": t["doc"]})
                })
                .collect()
        })
        .unwrap_or_default();
    body.push_str("<h2>Tables</h2>");
    body.push_str(&html::table(&tables, 100, None, &[]));
    Ok(body)
}

/// The rows of `artists coverage --format json`, whatever its nesting: the
/// array itself, or the first array member of an object.
fn coverage_rows(value: Value) -> Vec<Value> {
    match value {
        Value::Array(rows) => rows,
        Value::Object(map) => map
            .into_iter()
            .find_map(|(_, v)| match v {
                Value::Array(rows) => Some(rows),
                _ => None,
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

// --------------------------------------------------------------- markets

/// The cohorts the store's artists fall in, for the pickers.
async fn cohort_names(app: &App) -> Vec<String> {
    let Ok(list) = command(app, "artists/list", &[]).await else {
        return Vec::new();
    };
    let mut names: Vec<String> = rows(list)
        .iter()
        .filter_map(|r| r.get("cohort").and_then(Value::as_str).map(str::to_string))
        .filter(|c| !c.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A market's code and its value on a tile map.
type MarketValue = (String, Option<f64>);

async fn markets(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    respond(
        "Market explorer",
        "",
        app.runner
            .page(page_key("/market", &params), markets_body(&app, &params))
            .await,
    )
}

async fn markets_body(app: &App, params: &Params) -> Page {
    let cohorts = cohort_names(app).await;
    let cohort = match params.get("cohort") {
        "" => cohorts.first().cloned().unwrap_or_default(),
        c => c.to_string(),
    };
    let mut body = filter_form(
        "/market",
        params,
        &html::select("cohort", "Cohort", &cohorts, &cohort, "choose"),
    );
    let mut pairs = params.filter_pairs();
    pairs.push(("by", "market"));
    let share = rows(command(app, "share", &pairs).await?);
    let mine: Vec<&Map<String, Value>> = share
        .iter()
        .filter_map(Value::as_object)
        .filter(|r| text(r, "cohort") == cohort)
        .collect();
    // One map per source and chart.
    let mut charts: BTreeMap<(String, String), Vec<MarketValue>> = BTreeMap::new();
    for row in &share {
        let Some(row) = row.as_object() else { continue };
        charts
            .entry((text(row, "source").into(), text(row, "chart").into()))
            .or_default();
    }
    for row in &mine {
        let key = (
            text(row, "source").to_string(),
            text(row, "chart").to_string(),
        );
        if let Some(values) = charts.get_mut(&key) {
            values.push((text(row, "market").into(), number(row, "entry_pct")));
        }
    }
    if charts.is_empty() {
        body.push_str("<p class=\"note\">No chart entries match these filters.</p>");
    }
    for ((source, chart), values) in &charts {
        let title = format!("{cohort}: share of {source} {chart} entries per market (%)");
        body.push_str(&svg::tile_map(&title, values, "% of entries", None));
    }
    let _ = write!(
        body,
        "<h2>{} per market</h2><p class=\"note\">entry_pct: share of the chart's entries; \
         weighted_pct weighs each entry by its rank (size + 1 - rank); stream_pct: of streams \
         where the chart has them (<code>chartlens metrics</code> gives the formulas). A market \
         opens its chart over time.</p>",
        escape(&cohort)
    );
    let rows: Vec<Value> = mine.into_iter().cloned().map(Value::Object).collect();
    let to_market = |row: &Map<String, Value>| {
        Some(format!(
            "/market/{}{}",
            html::encode(text(row, "market")),
            query(&[
                ("source", text(row, "source")),
                ("chart", text(row, "chart"))
            ])
        ))
    };
    body.push_str(&html::table(
        &rows,
        500,
        Some(&csv_link("share", &pairs)),
        &[link("market", &to_market)],
    ));
    Ok(body)
}

async fn market(
    State(app): State<Arc<App>>,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let params = Params::parse(q.as_deref());
    let title = format!("Market {code}");
    respond(
        &title,
        "",
        app.runner
            .page(
                page_key(&format!("/market/{code}"), &params),
                market_body(&app, &code, &params),
            )
            .await,
    )
}

async fn market_body(app: &App, code: &str, params: &Params) -> Page {
    let mut body = filter_form(&format!("/market/{}", html::encode(code)), params, "");
    let mut pairs = params.filter_pairs();
    pairs.push(("market", code));
    let mut by_month = pairs.clone();
    by_month.push(("by", "month"));
    let months = rows(command(app, "share", &by_month).await?);
    let mut series: BTreeMap<(String, String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for row in months.iter().filter_map(Value::as_object) {
        let (Some(x), Some(y)) = (day_number(text(row, "month")), number(row, "entry_pct")) else {
            continue;
        };
        series
            .entry((
                text(row, "source").into(),
                text(row, "chart").into(),
                text(row, "cohort").into(),
            ))
            .or_default()
            .push((x, y));
    }
    let mut per_chart: BTreeMap<(String, String), Vec<svg::Series>> = BTreeMap::new();
    for ((source, chart, cohort), points) in series {
        let list = per_chart.entry((source, chart)).or_default();
        let color = list.len();
        list.push(svg::Series {
            name: cohort,
            points,
            style: svg::Style::Line,
            color,
            band: Vec::new(),
        });
    }
    for ((source, chart), series) in per_chart {
        body.push_str(&svg::line_chart(&svg::LineChart {
            title: format!("{code}: cohort share of {source} {chart} entries per month"),
            x_label: "month".into(),
            y_label: "% of entries".into(),
            x_axis: svg::XAxis::Date,
            series,
            y_range: None,
            x_log: false,
        }));
    }
    body.push_str("<h2>Cohort share per month</h2>");
    body.push_str(&html::table(
        &months,
        300,
        Some(&csv_link("share", &by_month)),
        &[],
    ));

    let mut home = pairs.clone();
    home.push(("by", "market"));
    let domestic = rows(command(app, "home", &home).await?);
    body.push_str("<h2>Domestic share</h2><p class=\"note\">Entries by artists from this market (<code>chartlens home --by market</code>).</p>");
    body.push_str(&html::table(
        &domestic,
        100,
        Some(&csv_link("home", &home)),
        &[],
    ));

    let mut tracks = pairs.clone();
    tracks.extend([("by", "track"), ("limit", "25")]);
    let top = rows(command(app, "reach", &tracks).await?);
    body.push_str("<h2>Tracks that charted here, widest first</h2>");
    let to_track = track_link(params);
    body.push_str(&html::table(
        &top,
        100,
        Some(&csv_link("reach", &tracks)),
        &[link("track_name", &to_track)],
    ));
    Ok(body)
}

/// Links a row's track to its page, with the page's filters.
fn track_link(params: &Params) -> impl Fn(&Map<String, Value>) -> Option<String> + '_ {
    move |row: &Map<String, Value>| {
        let key = match text(row, "track_id") {
            "" => text(row, "track_name"),
            id => id,
        };
        (!key.is_empty()).then(|| {
            format!(
                "/track{}",
                query(&[
                    ("track", key),
                    ("source", text(row, "source")),
                    ("chart", text(row, "chart")),
                    ("period", params.get("period")),
                ])
            )
        })
    }
}

fn artist_link(row: &Map<String, Value>, key: &str) -> Option<String> {
    let name = text(row, key);
    let first = name.split(", ").next().unwrap_or(name);
    (!first.is_empty()).then(|| format!("/artist{}", query(&[("artist", first)])))
}

// ----------------------------------------------------------------- track

async fn track(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    let title = format!("Track {}", params.get("track"));
    respond(
        &title,
        params.get("track"),
        app.runner
            .page(page_key("/track", &params), track_body(&app, &params))
            .await,
    )
}

async fn track_body(app: &App, params: &Params) -> Page {
    let wanted = params.get("track");
    if wanted.is_empty() {
        return Err(ApiError::bad(
            "give ?track=ID or a track name (search finds one)".into(),
        ));
    }
    let mut pairs = params.filter_pairs();
    pairs.push(("track", wanted));
    let spread = rows(command(app, "spread", &pairs).await?);
    let mut body = String::new();
    body.push_str("<h2>Spread</h2><p class=\"note\">first_markets: every market of the first day (tied_first counts them); tN_days: days from the first market to the Nth (<code>chartlens spread</code>).</p>");
    let to_artist = |row: &Map<String, Value>| artist_link(row, "artist_names");
    body.push_str(&html::table(
        &spread,
        50,
        Some(&csv_link("spread", &pairs)),
        &[link("artist_names", &to_artist)],
    ));
    for row in spread.iter().filter_map(Value::as_object) {
        let (source, chart) = (text(row, "source"), text(row, "chart"));
        let id = text(row, "track_id");
        let condition = if id.is_empty() {
            format!(
                "track_id IS NULL AND track_name = {} AND artist_names = {}",
                literal(text(row, "track_name")),
                literal(text(row, "artist_names"))
            )
        } else {
            format!("track_id = {}", literal(id))
        };
        let entries = app
            .runner
            .page_sql(
                format!(
                    "SELECT region, CAST(period_start AS VARCHAR) AS day, min(rank) AS rank \
                     FROM chart_entries WHERE source = {} AND chart = {} AND {condition} \
                     GROUP BY region, period_start ORDER BY region, period_start",
                    literal(source),
                    literal(chart)
                ),
                200_000,
            )
            .await?;
        body.push_str(&track_views(source, chart, row, &entries.rows));
    }
    Ok(body)
}

/// The map of first entries, the timeline, the heat strip of runs and the
/// rank curves of one track on one chart, from its (market, day, rank) rows.
fn track_views(
    source: &str,
    chart: &str,
    spread: &Map<String, Value>,
    entries: &[Map<String, Value>],
) -> String {
    let mut out = String::new();
    let mut by_market: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for row in entries {
        if let (Some(day), Some(rank)) = (day_number(text(row, "day")), number(row, "rank")) {
            by_market
                .entry(text(row, "region").into())
                .or_default()
                .push((day, rank));
        }
    }
    let Some(first) = by_market
        .values()
        .filter_map(|points| points.first().map(|p| p.0))
        .reduce(f64::min)
    else {
        return out;
    };
    let _ = write!(
        out,
        "<h2>{} {}: first entry per market</h2>",
        escape(source),
        escape(chart)
    );
    let firsts: Vec<(String, Option<f64>)> = by_market
        .iter()
        .filter(|(m, _)| m.as_str() != "GLOBAL")
        .map(|(m, points)| (m.clone(), points.first().map(|p| p.0 - first)))
        .collect();
    out.push_str(&svg::tile_map(
        &format!("Days from the track's first market to each market ({source} {chart})"),
        &firsts,
        "days after the first",
        None,
    ));
    let mut order: Vec<(&String, &Vec<(f64, f64)>)> = by_market.iter().collect();
    order.sort_by(|a, b| a.1[0].0.total_cmp(&b.1[0].0).then(a.0.cmp(b.0)));
    let _ = write!(
        out,
        "<p class=\"note\">Tied for first ({}): {}</p>",
        number(spread, "tied_first").unwrap_or(0.0),
        escape(text(spread, "first_markets"))
    );
    // Timeline: the cumulative count of markets over time.
    let timeline: Vec<(f64, f64)> = order
        .iter()
        .enumerate()
        .map(|(i, (_, points))| (points[0].0, (i + 1) as f64))
        .collect();
    out.push_str(&svg::line_chart(&svg::LineChart {
        title: format!("Markets entered over time ({source} {chart})"),
        x_label: "day".into(),
        y_label: "markets".into(),
        x_axis: svg::XAxis::Date,
        series: vec![svg::Series {
            name: "markets so far".into(),
            points: timeline,
            style: svg::Style::Step,
            color: 0,
            band: Vec::new(),
        }],
        y_range: None,
        x_log: false,
    }));
    // Heat strip: one row per market, one cell per week from the first.
    let last = order
        .iter()
        .filter_map(|(_, p)| p.last().map(|q| q.0))
        .fold(first, f64::max);
    let weeks = (((last - first) / 7.0).floor() as usize + 1).min(520);
    out.push_str("<h2>Chart runs per market</h2><p class=\"note\">One cell per week from the track's first entry; darker is a better rank.</p><table><tbody>");
    for (market, points) in &order {
        let mut best = vec![None::<f64>; weeks];
        for (day, rank) in points.iter() {
            let week = (((day - first) / 7.0).floor() as usize).min(weeks - 1);
            best[week] = Some(best[week].map_or(*rank, |b: f64| b.min(*rank)));
        }
        let cells: String = best
            .iter()
            .map(|b| match b {
                None => "<span style=\"background:#eee\"></span>".to_string(),
                Some(rank) => {
                    let shade = (rank.clamp(1.0, 200.0).ln() / 200f64.ln() * 70.0 + 20.0) as u8;
                    format!(
                        "<span title=\"best rank {rank}\" style=\"background:hsl(220,70%,{shade}%)\"></span>"
                    )
                }
            })
            .collect();
        let _ = write!(
            out,
            "<tr><th>{}</th><td class=\"n\">{}</td><td><div class=\"strip\">{cells}</div></td></tr>",
            escape(market),
            points.len()
        );
    }
    out.push_str("</tbody></table>");
    // Rank curves of the markets with the longest runs.
    let mut longest = order.clone();
    longest.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let series: Vec<svg::Series> = longest
        .iter()
        .take(8)
        .enumerate()
        .map(|(i, (market, points))| svg::Series {
            name: (*market).clone(),
            points: points.iter().map(|(d, r)| (*d, -r)).collect(),
            style: svg::Style::Line,
            color: i,
            band: Vec::new(),
        })
        .collect();
    out.push_str(&svg::line_chart(&svg::LineChart {
        title: format!(
            "Rank over time, the 8 longest runs ({source} {chart}; higher is better, -1 is the top)"
        ),
        x_label: "day".into(),
        y_label: "- rank".into(),
        x_axis: svg::XAxis::Date,
        series,
        y_range: None,
        x_log: false,
    }));
    out
}

// ---------------------------------------------------------------- artist

async fn artist(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    let name = params.get("artist").to_string();
    respond(
        &format!("Artist {name}"),
        &name,
        app.runner
            .page(page_key("/artist", &params), artist_body(&app, &params))
            .await,
    )
}

async fn artist_body(app: &App, params: &Params) -> Page {
    let name = params.get("artist");
    if name.is_empty() {
        return Err(ApiError::bad("give ?artist=NAME (search finds one)".into()));
    }
    let mut body = filter_form(
        "/artist",
        params,
        &html::input("artist", "Artist", name, ""),
    );
    let explain = match command(app, "artists/explain", &[("name", name)]).await {
        Ok(explain) => explain,
        // Not in the registry: a credited name still has charts.
        Err(err) if err.status == StatusCode::NOT_FOUND => Value::Null,
        Err(err) => return Err(err),
    };
    let mut pairs = params.filter_pairs();
    pairs.push(("artist", name));
    let mut by_artist = pairs.clone();
    by_artist.push(("by", "artist"));
    let reach = rows(command(app, "reach", &by_artist).await?);
    body.push_str("<h2>Reach</h2>");
    body.push_str(&html::table(
        &reach,
        50,
        Some(&csv_link("reach", &by_artist)),
        &[],
    ));

    for report in explain["artists"].as_array().into_iter().flatten() {
        body.push_str(&evidence(report));
    }
    if explain.is_null() {
        body.push_str("<p class=\"note\">No registry or list names this artist: it is known only as a chart credit, and in no cohort.</p>");
    }

    let months = app
        .runner
        .page_sql(artist_months_sql(name, params), 10_000)
        .await?;
    let points: Vec<(f64, f64)> = months
        .rows
        .iter()
        .filter_map(|r| Some((day_number(text(r, "month"))?, number(r, "markets")?)))
        .collect();
    body.push_str(&svg::line_chart(&svg::LineChart {
        title: format!("{name}: markets charted per month (lead or featured)"),
        x_label: "month".into(),
        y_label: "markets".into(),
        x_axis: svg::XAxis::Date,
        series: vec![svg::Series {
            name: "markets".into(),
            points,
            style: svg::Style::Line,
            color: 0,
            band: Vec::new(),
        }],
        y_range: None,
        x_log: false,
    }));

    let mut by_track = pairs.clone();
    by_track.push(("by", "track"));
    let tracks = rows(command(app, "reach", &by_track).await?);
    body.push_str("<h2>Tracks</h2>");
    let to_track = track_link(params);
    body.push_str(&html::table(
        &tracks,
        200,
        Some(&csv_link("reach", &by_track)),
        &[link("track_name", &to_track)],
    ));

    let mut home = params.filter_pairs();
    home.push(("by", "artist"));
    let key = chartlens_model::artist::name_key(name);
    let export: Vec<Value> = rows(command(app, "home", &home).await?)
        .into_iter()
        .filter(|r| {
            r.as_object()
                .is_some_and(|r| chartlens_model::artist::name_key(text(r, "artist")) == key)
        })
        .collect();
    body.push_str("<h2>Home and export share</h2><p class=\"note\">export_pct: entries outside the artist's home market (<code>chartlens home --by artist</code>).</p>");
    body.push_str(&html::table(
        &export,
        20,
        Some(&csv_link("home", &home)),
        &[],
    ));
    Ok(body)
}

/// Markets per month where a track credits the artist, by the `credits`
/// table's resolution of chart credits (or the credited name itself).
fn artist_months_sql(name: &str, params: &Params) -> String {
    let mut filters = vec![
        "e.region <> 'GLOBAL'".to_string(),
        "e.flag IS NULL".to_string(),
    ];
    for key in ["source", "chart"] {
        if !params.get(key).is_empty() {
            filters.push(format!("e.{key} = {}", literal(params.get(key))));
        }
    }
    format!(
        "SELECT CAST(CAST(date_trunc('month', e.period_start) AS DATE) AS VARCHAR) AS month, \
         count(DISTINCT e.region) AS markets \
         FROM chart_entries e JOIN credits c USING (artist_names, track_name) \
         LEFT JOIN artists a ON a.artist_id = c.artist_id \
         WHERE (a.name = {n} OR c.credited_name = {n}) AND {} \
         GROUP BY 1 ORDER BY 1",
        filters.join(" AND "),
        n = literal(name)
    )
}

/// An artist's cohort, the evidence and the audit flags from `explain`.
fn evidence(report: &Value) -> String {
    let mut out = String::new();
    let s = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => html::cell_text(other),
    };
    let _ = write!(
        out,
        "<h2>Cohort and evidence: {}</h2><table><tbody>",
        escape(&s(&report["name"]))
    );
    for key in [
        "cohort",
        "origin",
        "placed_by",
        "basis",
        "names",
        "genres",
        "groups",
    ] {
        if let Some(value) = report.get(key).filter(|v| !v.is_null()) {
            let _ = write!(
                out,
                "<tr><th>{}</th><td>{}</td></tr>",
                escape(key),
                escape(&html::cell_text(value))
            );
        }
    }
    out.push_str("</tbody></table>");
    for (key, title) in [
        ("evidence", "Evidence (each fact with its file and line)"),
        ("audit", "Audit flags"),
        ("rules", "What each cohort rule said"),
    ] {
        if let Some(Value::Array(items)) = report.get(key)
            && !items.is_empty()
        {
            let _ = write!(out, "<h3>{}</h3>", escape(title));
            out.push_str(&html::table(items, 200, None, &[]));
        }
    }
    out
}

// ------------------------------------------------- network, diversity, alerts

async fn network(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    respond(
        "Lead network",
        "",
        app.runner
            .page(page_key("/network", &params), network_body(&app, &params))
            .await,
    )
}

/// The cohort picker of the network, diversity and alerts pages: any cohort,
/// or all tracks.
async fn cohort_picker(app: &App, params: &Params) -> String {
    let names = cohort_names(app).await;
    html::select(
        "cohort",
        "Cohort",
        &names,
        params.get("cohort"),
        "all tracks",
    )
}

/// The filters with the page's cohort.
fn with_cohort(params: &Params) -> Vec<(&str, &str)> {
    let mut pairs = params.filter_pairs();
    pairs.push(("cohort", params.get("cohort")));
    pairs
}

async fn network_body(app: &App, params: &Params) -> Page {
    let mut body = filter_form("/network", params, &cohort_picker(app, params).await);
    body.push_str(&format!(
        "<p class=\"note\">{}</p>",
        escape(chartlens_metrics::NETWORK.what)
    ));
    let pairs = with_cohort(params);
    let mut backbone_pairs = pairs.clone();
    backbone_pairs.push(("backbone", "true"));
    let backbone = rows(command(app, "network", &backbone_pairs).await?);
    let charts: std::collections::BTreeSet<(String, String)> = backbone
        .iter()
        .filter_map(|r| Some((str_field(r, "source")?, str_field(r, "chart")?)))
        .collect();
    for (source, chart) in &charts {
        let edges: Vec<svg::Edge> = backbone
            .iter()
            .filter(|r| {
                str_field(r, "source").as_ref() == Some(source)
                    && str_field(r, "chart").as_ref() == Some(chart)
            })
            .filter_map(|r| {
                let row = r.as_object()?;
                let (from, to) = (str_field(r, "from_market")?, str_field(r, "market")?);
                let tracks = row.get("tracks").and_then(Value::as_u64).unwrap_or(0);
                Some(svg::Edge::backbone(
                    &from,
                    &to,
                    tracks,
                    number(row, "share"),
                ))
            })
            .collect();
        body.push_str(&svg::network(
            &format!("Backbone: {source}/{chart}"),
            &edges,
        ));
    }
    body.push_str("<h2>Backbone</h2>");
    body.push_str(&html::table(
        &backbone,
        200,
        Some(&csv_link("network", &backbone_pairs)),
        &[],
    ));
    let mut market_pairs = pairs.clone();
    market_pairs.push(("by", "market"));
    let markets = rows(command(app, "network", &market_pairs).await?);
    body.push_str("<h2>Markets: how often each leads</h2>");
    body.push_str(&html::table(
        &markets,
        80,
        Some(&csv_link("network", &market_pairs)),
        &[],
    ));
    let mut strongest = pairs.clone();
    strongest.push(("min_both", "10"));
    let leads = rows(command(app, "network", &strongest).await?);
    body.push_str("<h2>Strongest lead pairs (10+ tracks in both)</h2>");
    body.push_str(&html::table(
        &leads,
        40,
        Some(&csv_link("network", &strongest)),
        &[],
    ));
    Ok(body)
}

async fn diversity(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    respond(
        "Diversity and convergence",
        "",
        app.runner
            .page(
                page_key("/diversity", &params),
                diversity_body(&app, &params),
            )
            .await,
    )
}

async fn diversity_body(app: &App, params: &Params) -> Page {
    let mut body = filter_form("/diversity", params, &cohort_picker(app, params).await);
    body.push_str(&format!(
        "<p class=\"note\">{}</p>",
        escape(chartlens_metrics::DIVERSITY.what)
    ));
    let pairs = with_cohort(params);
    let years = rows(command(app, "diversity", &pairs).await?);
    let mut series: Vec<svg::Series> = Vec::new();
    for r in &years {
        let (Some(source), Some(chart), Some(row)) =
            (str_field(r, "source"), str_field(r, "chart"), r.as_object())
        else {
            continue;
        };
        let name = format!("{source}/{chart}");
        let at = match series.iter().position(|s| s.name == name) {
            Some(at) => at,
            None => {
                series.push(svg::Series {
                    name,
                    points: Vec::new(),
                    style: svg::Style::Line,
                    color: series.len(),
                    band: Vec::new(),
                });
                series.len() - 1
            }
        };
        if let (Some(year), Some(mean)) = (number(row, "year"), number(row, "mean_jaccard")) {
            series[at].points.push((year, mean));
            if let (Some(low), Some(high)) = (number(row, "low"), number(row, "high")) {
                series[at].band.push((year, low, high));
            }
        }
    }
    body.push_str(&svg::line_chart(&svg::LineChart {
        title: "Mean overlap of markets' charts by year (up: convergence)".into(),
        x_label: "Year".into(),
        y_label: "Mean Jaccard".into(),
        x_axis: svg::XAxis::Number,
        series,
        y_range: None,
        x_log: false,
    }));
    body.push_str(&html::table(
        &years,
        100,
        Some(&csv_link("diversity", &pairs)),
        &[],
    ));
    let mut per_market = pairs.clone();
    per_market.push(("by", "market-year"));
    let markets = rows(command(app, "diversity", &per_market).await?);
    body.push_str("<h2>Per market and year</h2>");
    let to_market = |row: &Map<String, Value>| {
        let code = row.get("market")?.as_str()?;
        Some(format!("/market/{}", html::encode(code)))
    };
    body.push_str(&html::table(
        &markets,
        300,
        Some(&csv_link("diversity", &per_market)),
        &[link("market", &to_market)],
    ));
    Ok(body)
}

async fn alerts(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    respond(
        "Breakout alerts",
        "",
        app.runner
            .page(page_key("/alerts", &params), alerts_body(&app, &params))
            .await,
    )
}

async fn alerts_body(app: &App, params: &Params) -> Page {
    let extra = format!(
        "{}{}{}",
        cohort_picker(app, params).await,
        html::input("markets", "Markets (N)", params.get("markets"), "3"),
        html::input("within", "Within days (D)", params.get("within"), "14"),
    );
    let mut body = filter_form("/alerts", params, &extra);
    body.push_str(&format!(
        "<p class=\"note\">{}</p>",
        escape(chartlens_metrics::ALERTS.what)
    ));
    let mut pairs = with_cohort(params);
    pairs.push(("markets", params.get("markets")));
    pairs.push(("within", params.get("within")));
    let mut backtest = pairs.clone();
    backtest.extend([("backtest", "true"), ("grid", "true")]);
    let tested = rows(command(app, "alerts", &backtest).await?);
    body.push_str("<h2>Back-test: would the rule have called wide success?</h2>");
    body.push_str(&html::table(
        &tested,
        100,
        Some(&csv_link("alerts", &backtest)),
        &[],
    ));
    let found = rows(command(app, "alerts", &pairs).await?);
    // The most recent first.
    let recent: Vec<Value> = found.iter().rev().take(100).cloned().collect();
    let _ = write!(
        body,
        "<h2>The latest alerts ({} of {})</h2>",
        recent.len(),
        found.len()
    );
    let to_track = |row: &Map<String, Value>| {
        (row.get("kind")?.as_str()? == "track").then(|| {
            let id = row.get("subject_id").and_then(Value::as_str).unwrap_or("");
            format!("/track{}", query(&[("track", id)]))
        })
    };
    body.push_str(&html::table(
        &recent,
        100,
        Some(&csv_link("alerts", &pairs)),
        &[link("subject", &to_track)],
    ));
    Ok(body)
}

/// A text field of a JSON row.
fn str_field(row: &Value, key: &str) -> Option<String> {
    Some(row.get(key)?.as_str()?.to_string())
}

// --------------------------------------------------------------- cohorts

async fn cohorts(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    respond(
        "Cohorts side by side",
        "",
        app.runner
            .page(page_key("/cohorts", &params), cohorts_body(&app, &params))
            .await,
    )
}

/// Resamples behind the page's intervals, and their seed.
const PAGE_BOOTSTRAP: chartlens_stats::Bootstrap = chartlens_stats::Bootstrap {
    resamples: 400,
    seed: 42,
    level: 0.95,
};

async fn cohorts_body(app: &App, params: &Params) -> Page {
    let names = cohort_names(app).await;
    let (a, b) = (pick(params, "a", &names, 0), pick(params, "b", &names, 1));
    let extra = format!(
        "{}{}",
        html::select("a", "First cohort", &names, &a, "choose"),
        html::select("b", "Second cohort", &names, &b, "choose")
    );
    let mut body = filter_form("/cohorts", params, &extra);
    body.push_str("<p class=\"note\">Intervals: 95% percentile bootstrap over the cohort's artists or tracks (400 resamples, seed 42). The study (<a href=\"/study\">Study</a>) tests claims with its own settings.</p>");
    let mut breadth = Vec::new();
    let mut export = Vec::new();
    let mut survival = Vec::new();
    let mut tables = String::new();
    for (i, cohort) in [&a, &b].into_iter().enumerate() {
        if cohort.is_empty() {
            continue;
        }
        let mut pairs = params.filter_pairs();
        pairs.push(("cohort", cohort));
        let mut artists = pairs.clone();
        artists.push(("by", "artist"));
        let reach = rows(command(app, "reach", &artists).await?);
        let markets: Vec<f64> = reach
            .iter()
            .filter_map(|r| r.as_object().and_then(|r| number(r, "markets")))
            .collect();
        if let Some(ci) = PAGE_BOOTSTRAP.one(&markets, chartlens_stats::median) {
            breadth.push(svg::Interval {
                label: format!("{cohort} (n = {})", markets.len()),
                estimate: ci.estimate,
                low: ci.low,
                high: ci.high,
                color: i,
            });
        }
        let home = rows(command(app, "home", &artists).await?);
        let shares: Vec<f64> = home
            .iter()
            .filter_map(|r| r.as_object().and_then(|r| number(r, "export_pct")))
            .collect();
        if let Some(ci) = PAGE_BOOTSTRAP.one(&shares, chartlens_stats::median) {
            export.push(svg::Interval {
                label: format!("{cohort} (n = {})", shares.len()),
                estimate: ci.estimate,
                low: ci.low,
                high: ci.high,
                color: i,
            });
        }
        let mut tracks = pairs.clone();
        tracks.push(("by", "track"));
        let reach_tracks = rows(command(app, "reach", &tracks).await?);
        let per_track: Vec<f64> = reach_tracks
            .iter()
            .filter_map(|r| r.as_object().and_then(|r| number(r, "markets")))
            .collect();
        survival.push(reach_survival(cohort, i, &per_track));
        let _ = write!(tables, "<h2>{} artists</h2>", escape(cohort));
        let to_artist = |row: &Map<String, Value>| artist_link(row, "artist");
        tables.push_str(&html::table(
            &reach,
            25,
            Some(&csv_link("reach", &artists)),
            &[link("artist", &to_artist)],
        ));
    }
    if a.is_empty() || b.is_empty() {
        body.push_str("<p class=\"note\">The store's artists are in fewer than two cohorts: import artist lists (<code>chartlens artists import</code>).</p>");
    }
    body.push_str(&svg::intervals(
        "Median markets per artist (breadth)",
        "markets",
        &breadth,
        None,
    ));
    body.push_str(&svg::intervals(
        "Median export share per artist (% of entries outside home)",
        "% of entries",
        &export,
        None,
    ));
    body.push_str(&svg::line_chart(&svg::LineChart {
        title: "Share of tracks that reached N markets (T_N survival), 95% bands".into(),
        x_label: "N markets".into(),
        y_label: "share of tracks".into(),
        x_axis: svg::XAxis::Number,
        series: survival,
        y_range: Some((0.0, 1.0)),
        x_log: false,
    }));
    body.push_str(&tables);
    Ok(body)
}

/// The share of tracks with at least N markets, N = 1..=max (to 40), with
/// a bootstrap band.
fn reach_survival(cohort: &str, color: usize, markets: &[f64]) -> svg::Series {
    let top = markets.iter().copied().fold(0.0, f64::max).min(40.0) as usize;
    let mut points = Vec::new();
    let mut band = Vec::new();
    for n in 1..=top {
        let at_least = |sample: &[f64]| {
            (!sample.is_empty()).then(|| {
                sample.iter().filter(|m| **m >= n as f64).count() as f64 / sample.len() as f64
            })
        };
        if let Some(ci) = PAGE_BOOTSTRAP.one(markets, at_least) {
            points.push((n as f64, ci.estimate));
            band.push((n as f64, ci.low, ci.high));
        }
    }
    svg::Series {
        name: format!("{cohort} (n = {})", markets.len()),
        points,
        style: svg::Style::Step,
        color,
        band,
    }
}

/// The cohort a picker shows: the URL's, else the study's default pair
/// (K-pop first, J-pop second) when the store has them, else the store's
/// first or second cohort.
fn pick(params: &Params, key: &str, names: &[String], nth: usize) -> String {
    if !params.get(key).is_empty() {
        return params.get(key).to_string();
    }
    let default = ["K-pop", "J-pop"][nth.min(1)];
    if names.iter().any(|n| n == default) {
        return default.to_string();
    }
    names.get(nth).cloned().unwrap_or_default()
}

// ----------------------------------------------------------------- study

async fn study_form(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    let names = cohort_names(&app).await;
    let pick = |key: &str, fallback: usize| pick(&params, key, &names, fallback);
    let body = format!(
        "<p>The study tests each claim (the first cohort does more than the second) on every \
         chart, with bootstrap intervals and robustness checks, as <code>chartlens study</code> \
         does; the report is the same page <code>study --out</code> writes.</p>\
         <form class=\"filters\" method=\"get\" action=\"/study/run\">{}{}{}{}{}{}<button>Run the study</button></form>",
        html::select("a", "First cohort", &names, &pick("a", 0), "choose"),
        html::select("b", "Second cohort", &names, &pick("b", 1), "choose"),
        html::input("source", "Source", params.get("source"), "all"),
        html::input("chart", "Chart", params.get("chart"), "all"),
        html::input("market", "Market", params.get("market"), "all"),
        html::input("period", "Period", params.get("period"), "all"),
    );
    respond("Study", "", Ok(body))
}

async fn study_run(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    let mut pairs = vec![(
        "cohorts".to_string(),
        format!("{},{}", params.get("a"), params.get("b")),
    )];
    for key in ["source", "chart", "market", "period"] {
        if !params.get(key).is_empty() {
            pairs.push((key.to_string(), params.get(key).to_string()));
        }
    }
    match api::run_study(&app, &pairs).await {
        Ok((id, _)) => Redirect::to(&format!("/study/{id}")).into_response(),
        Err(err) => respond("Study", "", Err(err)),
    }
}

async fn study_page(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return respond(
            "Study",
            "",
            Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no study {id}"),
                String::new(),
            )),
        );
    }
    let path = super::studies_dir(&app.runner).join(&id).join("index.html");
    match std::fs::read(&path) {
        Ok(page) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response(),
        Err(_) => respond(
            "Study",
            "",
            Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no study {id} on this server"),
                "studies live as long as the server: run it again from the Study page".into(),
            )),
        ),
    }
}

// ---------------------------------------------------------------- search

async fn search(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let params = Params::parse(q.as_deref());
    let q = params.get("q").to_string();
    respond(
        &format!("Search: {q}"),
        &q,
        app.runner
            .page(page_key("/search", &params), search_body(&app, &q))
            .await,
    )
}

async fn search_body(app: &App, q: &str) -> Page {
    let key = chartlens_model::artist::name_key(q);
    if key.is_empty() {
        return Ok("<p class=\"note\">Type an artist or a track, in any script.</p>".into());
    }
    let mut body = String::new();
    let artists: Vec<Value> = rows(command(app, "artists/list", &[]).await?)
        .into_iter()
        .filter(|r| {
            r.as_object().is_some_and(|r| {
                ["name", "names"].iter().any(|column| {
                    chartlens_model::artist::name_key(&html::cell_text(
                        r.get(*column).unwrap_or(&Value::Null),
                    ))
                    .contains(&key)
                })
            })
        })
        .collect();
    body.push_str("<h2>Artists</h2>");
    let to_artist = |row: &Map<String, Value>| artist_link(row, "name");
    body.push_str(&html::table(
        &artists,
        50,
        None,
        &[link("name", &to_artist)],
    ));
    let tracks: Vec<Value> = rows(command(app, "reach", &[("by", "track")]).await?)
        .into_iter()
        .filter(|r| {
            r.as_object().is_some_and(|r| {
                chartlens_model::artist::name_key(text(r, "track_name")).contains(&key)
                    || chartlens_model::artist::name_key(text(r, "artist_names")).contains(&key)
            })
        })
        .collect();
    body.push_str("<h2>Tracks</h2>");
    let none = Params(Vec::new());
    let to_track = track_link(&none);
    let to_artist = |row: &Map<String, Value>| artist_link(row, "artist_names");
    body.push_str(&html::table(
        &tracks,
        100,
        None,
        &[
            link("track_name", &to_track),
            link("artist_names", &to_artist),
        ],
    ));
    Ok(body)
}
