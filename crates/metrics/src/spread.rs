//! Spread per track ([`crate::SPREAD`]): from each track's first
//! date in each market to T_N, the days to its Nth market. The rows come from
//! [`crate::spread_firsts`]; ordering a track's markets is done here,
//! per track, rather than by SQL window functions over every row (about three
//! times faster on the Viral 50 archive).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Int64Array, RecordBatch, StringArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef};
use arrow::error::ArrowError;

/// The N of T_N.
pub const NTH: [usize; 4] = [2, 5, 10, 20];

/// T_N for each N of [`NTH`]: the days from the first to the Nth entry of
/// `firsts` (one per market, sorted by day then market), `None` when the
/// track reached fewer than N markets.
pub fn days_to_nth(firsts: &[(i32, &str)]) -> [Option<i64>; 4] {
    NTH.map(|n| {
        let first = firsts.first()?.0;
        firsts.get(n - 1).map(|(day, _)| i64::from(day - first))
    })
}

/// The markets tied on a track's first date (`firsts` sorted by day then
/// market), in code order.
pub fn first_markets<'a>(firsts: &[(i32, &'a str)]) -> Vec<&'a str> {
    let Some(&(first, _)) = firsts.first() else {
        return Vec::new();
    };
    firsts
        .iter()
        .take_while(|(day, _)| *day == first)
        .map(|(_, m)| *m)
        .collect()
}

/// The order of spread rows within each source and chart. Counts sort most
/// first, days and dates earliest first, names alphabetically; empty values
/// last; ties in the default order (markets, first date, track id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpreadSort {
    /// By markets reached, most first (the default).
    #[default]
    Markets,
    /// T_N for N = 2, 5, 10, 20: the index in [`NTH`].
    Days(usize),
    /// By the number of markets tied on the first date, most first.
    TiedFirst,
    /// By the first date, earliest first.
    FirstDate,
    /// By track name, alphabetically.
    TrackName,
}

/// The schema of the spread table: `source, chart, track_id, track_name,
/// artist_names, first_date, first_markets, tied_first, markets, t2_days,
/// t5_days, t10_days, t20_days, censored`.
pub fn schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    let int = |name: &str| Field::new(name, DataType::Int64, true);
    Arc::new(Schema::new(vec![
        text("source"),
        text("chart"),
        text("track_id"),
        text("track_name"),
        text("artist_names"),
        Field::new("first_date", DataType::Date32, true),
        text("first_markets"),
        int("tied_first"),
        int("markets"),
        int("t2_days"),
        int("t5_days"),
        int("t10_days"),
        int("t20_days"),
        Field::new("censored", DataType::Boolean, true),
    ]))
}

/// One track's markets, as read.
struct Track<'a> {
    name: &'a str,
    artists: &'a str,
    firsts: Vec<(i32, &'a str)>,
}

/// The spread table from the rows of [`crate::spread_firsts`] and
/// [`crate::data_starts`], ordered by source, chart, then `sort`
/// (by default markets, most first), first date and track id, at most
/// `limit` rows per source and chart.
pub fn table(
    firsts: &[RecordBatch],
    starts: &[RecordBatch],
    sort: SpreadSort,
    limit: Option<usize>,
) -> Result<RecordBatch, ArrowError> {
    let mut start: HashMap<(String, String), i32> = HashMap::new();
    for batch in starts {
        let (source, chart, day) = (strs(batch, "source")?, strs(batch, "chart")?, days(batch)?);
        for i in 0..batch.num_rows() {
            if let (Some(source), Some(chart), true) = (source[i], chart[i], day.is_valid(i)) {
                start.insert((source.to_string(), chart.to_string()), day.value(i));
            }
        }
    }
    let charts = crate::network::read_firsts(firsts)?;
    // Markets are in code order within a chart, so (day, index) order is
    // (day, code) order.
    let rows: Vec<((&str, &str, &str), Track)> = charts
        .iter()
        .flat_map(|c| {
            c.tracks.iter().map(move |t| {
                let firsts = t
                    .firsts
                    .iter()
                    .map(|&(day, m)| (day, c.markets[m as usize].as_str()))
                    .collect();
                let track = Track {
                    name: &t.name,
                    artists: &t.artists,
                    firsts,
                };
                ((c.source.as_str(), c.chart.as_str(), t.key.as_str()), track)
            })
        })
        .collect();
    let mut rows: Vec<_> = rows
        .into_iter()
        .map(|(key, track)| {
            let t = days_to_nth(&track.firsts);
            (key, track, t)
        })
        .collect();
    rows.sort_unstable_by(|(a, ta, da), (b, tb, db)| {
        let chosen = match sort {
            SpreadSort::Markets => std::cmp::Ordering::Equal,
            // Reached (Some) before never reached (None), then fewest days.
            SpreadSort::Days(k) => (da[k].is_none(), da[k]).cmp(&(db[k].is_none(), db[k])),
            SpreadSort::TiedFirst => first_markets(&tb.firsts)
                .len()
                .cmp(&first_markets(&ta.firsts).len()),
            SpreadSort::FirstDate => ta.firsts[0].0.cmp(&tb.firsts[0].0),
            SpreadSort::TrackName => ta.name.cmp(tb.name),
        };
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then(chosen)
            .then(tb.firsts.len().cmp(&ta.firsts.len()))
            .then(ta.firsts[0].0.cmp(&tb.firsts[0].0))
            .then(a.2.cmp(b.2))
    });
    // The limit applies within each source and chart, never across them.
    if let Some(limit) = limit {
        let mut kept: Option<((&str, &str), usize)> = None;
        rows.retain(|(key, _, _)| {
            let chart = (key.0, key.1);
            let n = match kept {
                Some((c, n)) if c == chart => n + 1,
                _ => 1,
            };
            kept = Some((chart, n));
            n <= limit
        });
    }

    let t: Vec<[Option<i64>; 4]> = rows.iter().map(|r| r.2).collect();
    let rows: Vec<((&str, &str, &str), Track)> =
        rows.into_iter().map(|(k, tr, _)| (k, tr)).collect();
    let firsts: Vec<Vec<&str>> = rows
        .iter()
        .map(|(_, tr)| first_markets(&tr.firsts))
        .collect();
    let ints = |k: usize| -> ArrayRef { Arc::new(t.iter().map(|t| t[k]).collect::<Int64Array>()) };
    let columns: Vec<ArrayRef> = vec![
        strings(&rows, |r| r.0.0),
        strings(&rows, |r| r.0.1),
        strings(&rows, |r| r.0.2),
        strings(&rows, |r| r.1.name),
        strings(&rows, |r| r.1.artists),
        Arc::new(
            rows.iter()
                .map(|(_, tr)| Some(tr.firsts[0].0))
                .collect::<Date32Array>(),
        ),
        Arc::new(
            firsts
                .iter()
                .map(|m| Some(m.join(";")))
                .collect::<StringArray>(),
        ),
        Arc::new(
            firsts
                .iter()
                .map(|m| Some(m.len() as i64))
                .collect::<Int64Array>(),
        ),
        Arc::new(
            rows.iter()
                .map(|(_, tr)| Some(tr.firsts.len() as i64))
                .collect::<Int64Array>(),
        ),
        ints(0),
        ints(1),
        ints(2),
        ints(3),
        Arc::new(
            rows.iter()
                .map(|((source, chart, _), tr)| {
                    let key = (source.to_string(), chart.to_string());
                    start.get(&key).map(|&s| tr.firsts[0].0 <= s)
                })
                .collect::<BooleanArray>(),
        ),
    ];
    RecordBatch::try_new(schema(), columns)
}

fn strings<'a, T>(rows: &'a [T], f: impl Fn(&'a T) -> &'a str) -> ArrayRef {
    Arc::new(rows.iter().map(|r| Some(f(r))).collect::<StringArray>())
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef, ArrowError> {
    batch
        .column_by_name(name)
        .ok_or_else(|| ArrowError::SchemaError(format!("no column {name}")))
}

/// A text column's values, borrowed (no copy of the strings).
pub(crate) fn strs<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<Vec<Option<&'a str>>, ArrowError> {
    let column = column(batch, name)?;
    Ok(match column.data_type() {
        DataType::Utf8View => column.as_string_view().iter().collect(),
        DataType::Utf8 => column.as_string::<i32>().iter().collect(),
        DataType::LargeUtf8 => column.as_string::<i64>().iter().collect(),
        other => {
            return Err(ArrowError::SchemaError(format!(
                "column {name} is {other}, not text"
            )));
        }
    })
}

pub(crate) fn days(batch: &RecordBatch) -> Result<arrow::array::Int32Array, ArrowError> {
    Ok(cast(column(batch, "day")?, &DataType::Int32)?
        .as_primitive::<Int32Type>()
        .clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_to_nth_counts_from_the_first_market() {
        // metrics::SPREAD: JP and KR on day 0, US on day 14.
        let firsts = [(0, "JP"), (0, "KR"), (14, "US")];
        assert_eq!(days_to_nth(&firsts), [Some(0), None, None, None]);
        let many: Vec<(i32, &str)> = (0..20).map(|i| (i * 7, "XX")).collect();
        assert_eq!(days_to_nth(&many), [Some(7), Some(28), Some(63), Some(133)]);
        assert_eq!(days_to_nth(&[]), [None; 4]);
    }

    #[test]
    fn ties_on_the_first_date_are_all_first_markets() {
        // metrics::SPREAD: JP and KR tie on day 0; US comes later.
        assert_eq!(
            first_markets(&[(0, "JP"), (0, "KR"), (14, "US")]),
            ["JP", "KR"]
        );
        assert_eq!(first_markets(&[(3, "US")]), ["US"]);
        assert!(first_markets(&[]).is_empty());
    }
}
