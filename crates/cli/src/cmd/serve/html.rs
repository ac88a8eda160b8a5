//! The pages' HTML: one layout, tables made from the commands' JSON rows,
//! and escaping. Everything is inline (styles, charts as SVG), so a page
//! works offline and loads nothing from elsewhere.

use std::fmt::Write;

use serde_json::Value;

/// `text` safe inside HTML text and attribute values (the report's XML
/// escaping: `&`, `<`, `>`, `"`, `'`).
pub use chartlens_report::svg::escape;

/// `text` as one query-string value.
pub fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A query string (`?a=1&b=2`) of the pairs whose value is not empty.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let kept: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header{background:#14213d;color:#fff;padding:.6em 1.2em;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header a.brand{font-weight:700;margin-right:.6em}
header form{margin-left:auto}header input{padding:.3em .5em;border-radius:4px;border:0;min-width:16em}
main{padding:1em 1.6em;max-width:1200px}
h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.15em;margin:1.4em 0 .4em}
table{border-collapse:collapse;margin:.3em 0 .2em;font-size:.92em;background:#fff}
th,td{border:1px solid #ddd;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#eef1f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.9em}.csv{font-size:.85em}
form.filters{display:flex;gap:.8em;flex-wrap:wrap;align-items:end;margin:.5em 0 1em}
form.filters label{display:flex;flex-direction:column;font-size:.85em}
.strip{display:flex;gap:1px}.strip span{display:inline-block;width:6px;height:14px}
svg{max-width:100%;height:auto;background:#fff}
.error{background:#fde8e8;border:1px solid #e0a0a0;padding:.6em 1em}
";

/// A whole page: the navigation, the search box (its value `search`), the
/// title and `body`.
pub fn page(title: &str, search: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} · chartlens</title><link rel=\"icon\" href=\"data:,\"><style>{STYLE}</style></head><body>\
         <header><a class=\"brand\" href=\"/\">chartlens</a>\
         <a href=\"/\">Overview</a><a href=\"/market\">Markets</a><a href=\"/cohorts\">Cohorts</a>\
         <a href=\"/network\">Network</a><a href=\"/diversity\">Diversity</a><a href=\"/alerts\">Alerts</a>\
         <a href=\"/study\">Study</a><a href=\"/api/v1/openapi.json\">API</a>\
         <form action=\"/search\" method=\"get\" role=\"search\">\
         <input type=\"search\" name=\"q\" value=\"{search}\" placeholder=\"Artist or track, any script\" aria-label=\"Search\">\
         </form></header><main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title),
        search = escape(search),
    )
}

/// A cell's text: strings as they are, numbers with at most 3 decimals,
/// null as empty.
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => {
                let text = format!("{f:.3}");
                text.trim_end_matches('0').trim_end_matches('.').to_string()
            }
            _ => n.to_string(),
        },
        Value::Array(items) => items.iter().map(cell_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// How a column's cells link somewhere: the column and the link of a row.
pub type Linker<'a> = (
    &'a str,
    &'a dyn Fn(&serde_json::Map<String, Value>) -> Option<String>,
);

/// A table of JSON rows (objects), columns in the first row's order, at
/// most `limit` rows shown; `csv` is the API URL of the same rows as CSV;
/// `links` turn cells of a column into links.
pub fn table(rows: &[Value], limit: usize, csv: Option<&str>, links: &[Linker<'_>]) -> String {
    let mut out = String::new();
    let Some(Value::Object(first)) = rows.first() else {
        out.push_str("<p class=\"note\">No rows.</p>");
        return out;
    };
    let columns: Vec<&String> = first.keys().collect();
    out.push_str("<table><thead><tr>");
    for c in &columns {
        let _ = write!(out, "<th>{}</th>", escape(c));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows.iter().take(limit) {
        let Value::Object(row) = row else { continue };
        out.push_str("<tr>");
        for c in &columns {
            let value = row.get(c.as_str()).unwrap_or(&Value::Null);
            let text = escape(&cell_text(value));
            let class = if value.is_number() {
                " class=\"n\""
            } else {
                ""
            };
            let link = links
                .iter()
                .find(|(col, _)| col == c)
                .and_then(|(_, link)| link(row));
            match link {
                Some(href) => {
                    let _ = write!(
                        out,
                        "<td{class}><a href=\"{}\">{text}</a></td>",
                        escape(&href)
                    );
                }
                None => {
                    let _ = write!(out, "<td{class}>{text}</td>");
                }
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    let shown = rows.len().min(limit);
    let _ = write!(
        out,
        "<p class=\"note\">{shown} of {} rows shown.",
        rows.len()
    );
    if let Some(csv) = csv {
        let _ = write!(
            out,
            " <a class=\"csv\" href=\"{}\">Download as CSV</a>",
            escape(csv)
        );
    }
    out.push_str("</p>");
    out
}

/// A `<select>` of `options` (value, label) with `current` chosen; the
/// first option is `any` (an empty value).
pub fn select(name: &str, label: &str, options: &[String], current: &str, any: &str) -> String {
    let mut out = format!(
        "<label>{}<select name=\"{}\"><option value=\"\">{}</option>",
        escape(label),
        escape(name),
        escape(any)
    );
    for option in options {
        let chosen = if option == current { " selected" } else { "" };
        let _ = write!(
            out,
            "<option value=\"{0}\"{chosen}>{0}</option>",
            escape(option)
        );
    }
    out.push_str("</select></label>");
    out
}

/// A text input with its label.
pub fn input(name: &str, label: &str, value: &str, hint: &str) -> String {
    format!(
        "<label>{}<input name=\"{}\" value=\"{}\" placeholder=\"{}\"></label>",
        escape(label),
        escape(name),
        escape(value),
        escape(hint)
    )
}

/// An error box for a page (the API answers JSON instead).
pub fn error_box(error: &str, detail: &str) -> String {
    format!(
        "<div class=\"error\"><strong>{}</strong><br>{}</div>",
        escape(error),
        escape(detail)
    )
}
