//! `chartlens alerts`: breakout alerts, the back-test of the track rule, and
//! webhooks that send every new alert once. The rules are
//! `chartlens_metrics::alerts`; this module reads the store, prints, and
//! keeps the record of what was sent in `<store>/alerts/webhooks.jsonl`.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use chartlens_metrics::alerts::{self, Alert, AlertKind, Backtest, TrackRule};
use chartlens_store::Limits;
use chrono::NaiveDate;

use crate::args::{AlertKinds, AlertsArgs};
use crate::cmd::metrics::print_table;
use crate::cmd::network::{firsts, refuse_global_only};
use crate::cmd::selection::{self, Wanted};

/// The rules of `--grid`: N = 2..5 markets, D = 7, 14, 28 days.
const GRID_MARKETS: [usize; 4] = [2, 3, 4, 5];
const GRID_DAYS: [i32; 3] = [7, 14, 28];

pub async fn run(
    store_dir: &Path,
    cohorts: Option<&Path>,
    args: &AlertsArgs,
    limits: &Limits,
) -> anyhow::Result<u8> {
    refuse_global_only(&args.filters, "alerts")?;
    if let Some(url) = &args.webhook {
        check_url(url)?;
    }
    let wanted = Wanted {
        markets_only: true,
        ..Wanted::default()
    };
    let selection = selection::select(store_dir, cohorts, &args.filters, wanted, limits).await?;
    let rule = TrackRule {
        markets: args.markets as usize,
        within_days: args.within as i32,
    };
    let show_sql = args.output.show_sql;
    if args.backtest {
        let charts = firsts(&selection, show_sql).await?;
        let mut rules = vec![rule];
        if args.grid {
            for markets in GRID_MARKETS {
                for within_days in GRID_DAYS {
                    let grid = TrackRule {
                        markets,
                        within_days,
                    };
                    if grid != rule {
                        rules.push(grid);
                    }
                }
            }
        }
        let rows: Vec<Backtest> = charts
            .iter()
            .flat_map(|chart| {
                rules
                    .iter()
                    .map(|&r| alerts::backtest(chart, r, args.target as usize))
            })
            .collect();
        return print_table(alerts::backtest_table(&rows)?, &args.output).await;
    }
    let mut found = Vec::new();
    if args.kind != AlertKinds::Artist {
        let charts = firsts(&selection, show_sql).await?;
        found.extend(alerts::track_alerts(&charts, rule));
    }
    if args.kind != AlertKinds::Track {
        let markets_sql = alerts::artist_markets(&selection.filters);
        let days_sql = alerts::chart_days(&selection.filters);
        if show_sql {
            eprintln!(
                "{markets_sql}\n\n{days_sql}\n\n(each artist's markets per period, and its \
                 surges over the median of the previous 12: chartlens_metrics::alerts)\n"
            );
        }
        let (markets, days) = futures::try_join!(
            selection.collect(&markets_sql),
            selection.collect(&days_sql)
        )?;
        found.extend(alerts::artist_alerts(&markets, &days, args.k)?);
    }
    if let Some(since) = args.since {
        let since = day_number(since);
        found.retain(|a| a.date > since);
    }
    alerts::sort(&mut found);
    if let Some(url) = &args.webhook {
        let sent = Webhook::open(store_dir, url)?.send(&found)?;
        eprintln!(
            "{} new alert(s) sent to {url}; {} sent before and not again",
            sent.new, sent.before
        );
    }
    print_table(alerts::alerts_table(&found)?, &args.output).await
}

/// Days since 1970-01-01.
fn day_number(date: NaiveDate) -> i32 {
    (date - NaiveDate::default()).num_days() as i32
}

/// The date of a day number.
fn date_of(day: i32) -> String {
    (NaiveDate::default() + chrono::Days::new(day.max(0) as u64)).to_string()
}

fn check_url(url: &str) -> anyhow::Result<()> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") {
        bail!(
            "--webhook {url}: this build sends webhooks over plain http only (no TLS); \
             give an http:// URL, e.g. a relay on this machine"
        );
    }
    if !lower.starts_with("http://") || url.len() <= "http://".len() {
        bail!("--webhook {url:?} is not an http:// URL, e.g. http://127.0.0.1:9000/hook");
    }
    Ok(())
}

/// The alert as the JSON a webhook receives.
pub fn payload(alert: &Alert) -> serde_json::Value {
    serde_json::json!({
        "id": alert.id(),
        "kind": alert.kind.name(),
        "source": alert.source,
        "chart": alert.chart,
        "date": date_of(alert.date),
        "subject": alert.subject,
        "subject_id": alert.subject_id,
        "artists": alert.artists,
        "markets": alert.entered.len(),
        "entered": alert.entered,
        "lead_markets": (alert.kind == AlertKind::Track).then_some(&alert.leads),
        "first_date": alert.first_date.map(date_of),
        "days_from_first": alert.first_date.map(|f| alert.date - f),
        "baseline_median": alert.baseline.map(|b| b.0),
        "baseline_mad": alert.baseline.map(|b| b.1),
    })
}

/// What a run sent.
struct Sent {
    new: usize,
    before: usize,
}

/// A webhook and the record, in the store, of the alerts it was sent.
struct Webhook {
    url: String,
    path: PathBuf,
    /// Held locked while sending, so two runs cannot send one alert twice.
    record: File,
    sent: HashSet<String>,
    agent: ureq::Agent,
}

/// Attempts per alert, and the wait before the second (doubled each time).
const ATTEMPTS: u32 = 4;
const FIRST_WAIT: Duration = Duration::from_millis(250);

impl Webhook {
    fn open(store_dir: &Path, url: &str) -> anyhow::Result<Webhook> {
        let dir = store_dir.join("alerts");
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("webhooks.jsonl");
        let record = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        record
            .lock()
            .with_context(|| format!("locking {}", path.display()))?;
        let mut sent = HashSet::new();
        for (n, line) in BufReader::new(&record).lines().enumerate() {
            let line = line.with_context(|| format!("reading {}", path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            // A line cut by a crash mid-write is the last one: it recorded
            // nothing complete, so the alert is sent again.
            let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) else {
                eprintln!(
                    "note: {} line {}: not a complete record, ignored",
                    path.display(),
                    n + 1
                );
                continue;
            };
            if entry["url"] == url
                && let Some(id) = entry["id"].as_str()
            {
                sent.insert(id.to_string());
            }
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .http_status_as_error(false)
            .user_agent(concat!("chartlens/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Webhook {
            url: url.to_string(),
            path,
            record,
            sent,
            agent,
        })
    }

    /// Sends every alert not sent before, in order, each recorded as soon as
    /// the webhook accepts it (a 2xx answer). A failure is retried; one that
    /// persists stops the run with the alerts after it unsent, for a rerun.
    fn send(mut self, found: &[Alert]) -> anyhow::Result<Sent> {
        let todo: Vec<&Alert> = found
            .iter()
            .filter(|a| !self.sent.contains(&a.id()))
            .collect();
        let before = found.len() - todo.len();
        let progress = crate::output::progress_bar(
            "{spinner} sending alerts {pos}/{len} [{elapsed_precise}] {msg}",
        );
        progress.set_length(todo.len() as u64);
        for (n, alert) in todo.iter().enumerate() {
            let id = alert.id();
            let body = payload(alert).to_string();
            self.post(&id, &body).with_context(|| {
                format!(
                    "sending alert {id} to {}: {n} of {} new alert(s) sent and recorded; \
                     rerun the same command to send the rest",
                    self.url,
                    todo.len()
                )
            })?;
            let line = serde_json::json!({
                "url": self.url,
                "id": id,
                "sent_at": chrono::Utc::now().to_rfc3339(),
            });
            writeln!(self.record, "{line}")
                .and_then(|()| self.record.sync_data())
                .with_context(|| format!("recording a sent alert in {}", self.path.display()))?;
            self.sent.insert(id);
            progress.inc(1);
        }
        progress.finish_and_clear();
        Ok(Sent {
            new: todo.len(),
            before,
        })
    }

    /// POSTs one alert, retrying a failed connection, a 5xx and a 429.
    fn post(&self, id: &str, body: &str) -> anyhow::Result<()> {
        let mut wait = FIRST_WAIT;
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let answer = self
                .agent
                .post(&self.url)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", id)
                .send(body);
            match answer {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) => {
                    let status = response.status();
                    last = format!("the webhook answered {status}");
                    if !(status.is_server_error() || status.as_u16() == 429) {
                        bail!("{last}, which a retry would not change");
                    }
                }
                Err(err) => last = format!("{err}"),
            }
            if attempt < ATTEMPTS {
                std::thread::sleep(wait);
                wait *= 2;
            }
        }
        bail!("{last} ({ATTEMPTS} attempts)")
    }
}
