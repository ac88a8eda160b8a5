//! Dependency-free SVG plots for the self-contained HTML report.
//!
//! Every public plotting function returns one `<svg>` element as a string that
//! renders offline inside an HTML page. Output is deterministic, all text is
//! XML-escaped, and non-finite numbers never reach the markup.

use chrono::{Datelike, NaiveDate};
use std::fmt::{self, Write as _};

/// Width of every plot's viewBox.
const WIDTH: f64 = 720.0;
/// Height of the line chart's viewBox.
const HEIGHT: f64 = 400.0;
/// Largest |pixel coordinate| a scale produces, so far-off points stay short.
const COORD_LIMIT: f64 = 1.0e5;
const LEGEND_ROW: f64 = 18.0;
const GRID: &str = r##"stroke="#e5e7eb""##;
const AXIS: &str = r##"stroke="#9ca3af""##;
const SMALL: &str = r##"font-size="11" fill="#4b5563""##;
const NO_DATA_FILL: &str = "#e4e4e7";
/// Okabe–Ito colours, ordered so that the first few contrast well on white.
const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
];
/// Sequential ramp stops, light yellow to dark blue (colour-blind safe).
const RAMP: [[u8; 3]; 5] = [
    [255, 255, 204],
    [161, 218, 180],
    [65, 182, 196],
    [44, 127, 184],
    [37, 52, 148],
];

/// Colour-blind-safe categorical palette (Okabe–Ito), cycled.
pub fn color(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// XML escaping of text and attribute values (&, <, >, ", '); control
/// characters that XML 1.0 forbids are dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A solid line through the points.
    Line,
    /// A solid staircase: horizontal to each point's x, then vertical to its y.
    Step,
    /// A dashed line through the points.
    Dashed,
    /// Dots only, unconnected.
    Points,
}

/// One named series of a line chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// The series' name in the legend.
    pub name: String,
    /// (x, y); non-finite points are skipped (they break a line into segments).
    pub points: Vec<(f64, f64)>,
    /// How the series is drawn.
    pub style: Style,
    /// Palette index; series of the same cohort share a colour (e.g. observed curve Step and its fitted curve Dashed).
    pub color: usize,
    /// Optional shaded band (x, low, high), drawn under the line at low opacity in the same colour.
    pub band: Vec<(f64, f64, f64)>,
}

/// How x values are interpreted and labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XAxis {
    /// x is a plain number, with "nice" rounded ticks.
    Number,
    /// x is days since 1970-01-01; ticks are labelled YYYY-MM (or YYYY when the span is long)
    Date,
}

/// A line chart with one or more series.
#[derive(Debug, Clone)]
pub struct LineChart {
    /// Title above the plot.
    pub title: String,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
    /// How x values are read and labelled.
    pub x_axis: XAxis,
    /// The series, drawn in order.
    pub series: Vec<Series>,
    /// Fixed y range; None = from the data (including 0 when all y >= 0), with "nice" rounded ticks.
    pub y_range: Option<(f64, f64)>,
    /// Log scale on x (for e.g. breadth ECDFs): only when every x > 0 and the
    /// axis is [`XAxis::Number`]; ignored otherwise.
    pub x_log: bool,
}

/// One row of a dot-and-whisker plot.
#[derive(Debug, Clone)]
pub struct Interval {
    /// The row's label, left of the axis (truncated to 48 characters).
    pub label: String,
    /// The point estimate (the dot).
    pub estimate: f64,
    /// Lower end of the whisker.
    pub low: f64,
    /// Upper end of the whisker.
    pub high: f64,
    /// Palette index of the dot and whisker.
    pub color: usize,
}

// ---------------------------------------------------------------- numbers

/// Displays a coordinate with at most 2 decimals and no trailing zeros;
/// non-finite values display as 0.
struct N(f64);

impl fmt::Display for N {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = if self.0.is_finite() { self.0 } else { 0.0 };
        f.write_str(&trim_zeros(format!("{v:.2}")))
    }
}

/// Drops trailing zeros after a decimal point, and the sign of a zero.
fn trim_zeros(s: String) -> String {
    let t = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    match t.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0') => rest.into(),
        _ => t.into(),
    }
}

/// Divisor and suffix used to abbreviate numbers of this magnitude.
fn magnitude_suffix(mag: f64) -> (f64, &'static str) {
    match mag {
        m if m >= 1e9 => (1e9, "B"),
        m if m >= 1e6 => (1e6, "M"),
        m if m >= 1e4 => (1e3, "k"),
        _ => (1.0, ""),
    }
}

/// A data value for labels and tooltips: about 3 significant digits,
/// abbreviated with k/M/B; "n/a" when not finite.
pub fn format_value(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let (div, suffix) = magnitude_suffix(v.abs());
    let x = v / div;
    let decimals = match x.abs() {
        0.0 => 0,
        m => (2.0 - m.log10().floor()).clamp(0.0, 6.0) as usize,
    };
    trim_zeros(format!("{x:.decimals$}")) + suffix
}

/// Labels for evenly spaced ticks: a shared suffix and just enough decimals.
fn tick_labels(ticks: &[f64]) -> Vec<String> {
    let step = ticks
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(f64::INFINITY, f64::min);
    let (div, suffix) = magnitude_suffix(ticks.iter().fold(0.0, |m, t| t.abs().max(m)));
    let decimals = match step / div {
        s if s.is_finite() && s > 0.0 => (-s.log10().floor()).clamp(0.0, 6.0) as usize,
        _ => 0,
    };
    let label = |t: f64| match t {
        0.0 => "0".to_string(),
        t => format!("{:.decimals$}{suffix}", t / div),
    };
    ticks.iter().map(|t| label(*t)).collect()
}

/// Orders and repairs a range so that `lo < hi`, both finite; equal or
/// nearly equal ends are padded so that ticks can be placed.
fn sane_range(a: f64, b: f64) -> (f64, f64) {
    let a = if a.is_finite() {
        a.clamp(-1e300, 1e300)
    } else {
        b
    };
    let b = if b.is_finite() {
        b.clamp(-1e300, 1e300)
    } else {
        a
    };
    if !a.is_finite() {
        return (0.0, 1.0);
    }
    let (lo, hi) = (a.min(b), a.max(b));
    if hi - lo > lo.abs().max(hi.abs()) * 1e-9 {
        return (lo, hi);
    }
    let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
    (lo - pad, hi + pad)
}

/// Rounds a raw step up to 1, 2 or 5 times a power of ten.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let m = match raw / mag {
        f if f <= 1.0 => 1.0,
        f if f <= 2.0 => 2.0,
        f if f <= 5.0 => 5.0,
        _ => 10.0,
    };
    Some(m * mag)
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(1.0)
}

/// "Nice" ticks (1-2-5 steps) with about `target` intervals; the first and
/// last tick enclose `lo..=hi`. Never empty, never non-finite.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let (lo, hi) = sane_range(lo, hi);
    let step = nice_step((hi - lo) / target.max(1) as f64);
    let first = (lo / step).floor();
    let count = ((hi / step).ceil() - first).clamp(1.0, 200.0) as usize;
    (0..=count)
        .map(|i| (first + i as f64) * step)
        .map(|t| if t.abs() < step * 1e-9 { 0.0 } else { t })
        .collect()
}

/// Ticks of a log axis (powers of ten, with 2 and 5 over short spans) and
/// the domain widened to whole decades.
fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, (f64, f64)) {
    let e0 = lo.log10().floor().clamp(-300.0, 300.0) as i32;
    let e1 = (hi.log10().ceil().clamp(-300.0, 300.0) as i32).max(e0 + 1);
    let mults: &[f64] = if e1 - e0 <= 2 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let every = (e1 - e0 + 7) / 8;
    let top = 10f64.powi(e1) * (1.0 + 1e-9);
    let ticks = (e0..=e1)
        .filter(|e| (e - e0) % every == 0)
        .flat_map(|e| mults.iter().map(move |m| m * 10f64.powi(e)))
        .filter(|t| *t <= top)
        .collect();
    (ticks, (10f64.powi(e0), 10f64.powi(e1)))
}

// ---------------------------------------------------------------- dates

/// The date of a day count since 1970-01-01 (held within ±27,000 years).
fn date_of(days: i64) -> NaiveDate {
    let epoch = NaiveDate::default();
    let days = chrono::Duration::days(days.clamp(-10_000_000, 10_000_000));
    epoch.checked_add_signed(days).unwrap_or(epoch)
}

/// Days since 1970-01-01 of the first day of month `m` of year `y`.
fn days_from_month(y: i32, m: u32) -> i64 {
    NaiveDate::from_ymd_opt(y, m, 1).map_or(0, |d| (d - NaiveDate::default()).num_days())
}

/// Month-aligned ticks inside `lo..=hi` (days since 1970-01-01), labelled
/// YYYY-MM, or YYYY once ticks are a year or more apart. A month-long span
/// holding one month start (a single month's point, padded) keeps that one
/// tick; shorter spans, and spans holding none, get their two ends labelled
/// YYYY-MM-DD.
pub fn date_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let (lo, hi) = sane_range(lo.clamp(-1e7, 1e7), hi.clamp(-1e7, 1e7));
    let months = (hi - lo) / 30.44;
    let step = [1u32, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200]
        .into_iter()
        .find(|s| months / f64::from(*s) <= 7.0)
        .unwrap_or(1200);
    let first = date_of(lo.floor() as i64);
    let (mut y, mut m) = (first.year(), first.month());
    let mut ticks = Vec::new();
    while ticks.len() < 64 {
        let day = days_from_month(y, m) as f64;
        if day > hi {
            break;
        }
        if (i64::from(y) * 12 + i64::from(m) - 1).rem_euclid(i64::from(step)) == 0 && day >= lo {
            let label = if step >= 12 {
                format!("{y}")
            } else {
                format!("{y}-{m:02}")
            };
            ticks.push((day, label));
        }
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    if ticks.is_empty() || (ticks.len() == 1 && hi - lo < 28.0) {
        let label = |d: f64| date_of(d.round() as i64).format("%Y-%m-%d").to_string();
        ticks = vec![(lo, label(lo)), (hi, label(hi))];
    }
    ticks
}

// ---------------------------------------------------------------- layout

/// Approximate rendered width of `s` at `size` px in a system UI font.
fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.56
}

/// `s` cut to at most `max` characters, with an ellipsis when cut.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.into();
    }
    s.chars().take(max.saturating_sub(1)).chain(['…']).collect()
}

/// An axis: domain, scale type, labelled ticks and the pixel range `r0..r1`
/// that the domain maps to (set with [`Axis::placed`]).
struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<(f64, String)>,
    r0: f64,
    r1: f64,
}

impl Axis {
    fn new(lo: f64, hi: f64, log: bool, ticks: Vec<(f64, String)>) -> Axis {
        Axis {
            lo,
            hi,
            log,
            ticks,
            r0: 0.0,
            r1: 1.0,
        }
    }

    /// Linear axis; `extend` widens the domain to the outer nice ticks,
    /// otherwise the domain is `lo..=hi` and only ticks inside it are kept.
    fn number(lo: f64, hi: f64, extend: bool) -> Axis {
        let all = nice_ticks(lo, hi, 5);
        let (lo, hi) = match (all.first(), all.last()) {
            (Some(a), Some(b)) if extend && b > a => (*a, *b),
            _ => sane_range(lo, hi),
        };
        let eps = (hi - lo) * 1e-9;
        let inside: Vec<f64> = all
            .into_iter()
            .filter(|t| *t >= lo - eps && *t <= hi + eps)
            .collect();
        Axis::new(
            lo,
            hi,
            false,
            inside.iter().copied().zip(tick_labels(&inside)).collect(),
        )
    }

    /// Log axis over positive `lo..=hi`, widened to whole decades.
    fn log(lo: f64, hi: f64) -> Axis {
        let (ticks, (lo, hi)) = log_ticks(lo, hi);
        Axis::new(
            lo,
            hi,
            true,
            ticks.into_iter().map(|t| (t, format_value(t))).collect(),
        )
    }

    /// Date axis over `lo..=hi` days since 1970-01-01 (short spans padded).
    fn date(lo: f64, hi: f64) -> Axis {
        let pad = if hi - lo < 1.0 { 15.0 } else { 0.0 };
        let (lo, hi) = (lo - pad, hi + pad);
        Axis::new(lo, hi, false, date_ticks(lo, hi))
    }

    /// The same axis mapped onto pixels `r0..r1`.
    fn placed(self, r0: f64, r1: f64) -> Axis {
        Axis { r0, r1, ..self }
    }

    /// Pixel position of `v`, clamped to a sane range.
    fn map(&self, v: f64) -> f64 {
        let f = |x: f64| if self.log { x.max(1e-300).log10() } else { x };
        let span = f(self.hi) - f(self.lo);
        let t = if span.is_finite() && span != 0.0 {
            (f(v) - f(self.lo)) / span
        } else {
            0.5
        };
        (self.r0 + t * (self.r1 - self.r0)).clamp(-COORD_LIMIT, COORD_LIMIT)
    }
}

/// Running minimum and maximum of finite values.
#[derive(Debug, Clone, Copy)]
struct Extent {
    lo: f64,
    hi: f64,
}

impl Extent {
    const EMPTY: Extent = Extent {
        lo: f64::INFINITY,
        hi: f64::NEG_INFINITY,
    };

    fn add(&mut self, v: f64) {
        if v.is_finite() {
            (self.lo, self.hi) = (self.lo.min(v), self.hi.max(v));
        }
    }

    fn is_empty(&self) -> bool {
        self.lo > self.hi
    }
}

/// Lays out legend items under the title, left to right from x = 16 and
/// wrapping at the plot width, in at most `max_rows` rows. Each item is a
/// `swatch` px swatch and its label. Returns the (x, y) of each placed item
/// and the y below the legend; with items dropped, room is left for "+N more".
fn legend_layout(labels: &[String], swatch: f64, max_rows: usize) -> (Vec<(f64, f64)>, f64) {
    let flow = |avail: f64| {
        let (mut out, mut x, mut row) = (Vec::new(), 0.0, 0.0);
        for w in labels.iter().map(|l| swatch + 14.0 + text_width(l, 12.0)) {
            if x > 0.0 && x + w > avail {
                (x, row) = (0.0, row + 1.0);
            }
            if row >= max_rows as f64 {
                break;
            }
            out.push((16.0 + x, 44.0 + row * LEGEND_ROW));
            x += w;
        }
        out
    };
    let mut places = flow(WIDTH - 32.0);
    if places.len() < labels.len() {
        places = flow(WIDTH - 112.0);
    }
    let end = places.iter().map(|p| p.1 + 14.0).fold(36.0, f64::max);
    (places, end)
}

/// Widest approximate rendered width of `labels` at `size` px.
fn widest(labels: &[String], size: f64) -> f64 {
    labels
        .iter()
        .map(|l| text_width(l, size))
        .fold(0.0, f64::max)
}

// ---------------------------------------------------------------- markup

/// Accumulates the markup of one `<svg>` element.
struct Svg {
    out: String,
}

impl Svg {
    /// Opens an svg of the given height with accessible title and description,
    /// a white background and the visible title.
    fn new(height: f64, title: &str, desc: &str) -> Svg {
        let (w, h, t, d) = (N(WIDTH), N(height), escape(title), escape(desc));
        let mut out = format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" font-family="system-ui, sans-serif" font-size="12" fill="#1f2937"><title>{t}</title><desc>{d}</desc><rect width="{w}" height="{h}" fill="#ffffff"/>"##
        );
        let shown = escape(&truncate(title, 90));
        let _ = write!(
            out,
            r#"<text x="16" y="24" font-size="15" font-weight="600">{shown}</text>"#
        );
        Svg { out }
    }

    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// A text element anchored at "start", "middle" or "end".
    fn text(&mut self, (x, y): (f64, f64), content: &str, anchor: &str, attrs: &str) {
        let (x, y, s) = (N(x), N(y), escape(content));
        let _ = write!(
            self.out,
            r#"<text x="{x}" y="{y}" text-anchor="{anchor}" {attrs}>{s}</text>"#
        );
    }

    fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), attrs: &str) {
        let [x1, y1, x2, y2] = [x1, y1, x2, y2].map(N);
        let _ = write!(
            self.out,
            r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" {attrs}/>"#
        );
    }

    fn rect(&mut self, (x, y): (f64, f64), (w, h): (f64, f64), attrs: &str) {
        let [x, y, w, h] = [x, y, w.max(0.0), h.max(0.0)].map(N);
        let _ = write!(
            self.out,
            r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" {attrs}/>"#
        );
    }

    fn circle(&mut self, (x, y): (f64, f64), r: f64, attrs: &str) {
        let [x, y, r] = [x, y, r].map(N);
        let _ = write!(self.out, r#"<circle cx="{x}" cy="{y}" r="{r}" {attrs}/>"#);
    }

    /// Opens a group whose tooltip is `tip`; close it with `raw("</g>")`.
    fn group(&mut self, tip: &str) {
        let _ = write!(self.out, "<g><title>{}</title>", escape(tip));
    }

    /// Vertical gridlines and labels of an x axis spanning `top..bottom`.
    fn x_ticks(&mut self, axis: &Axis, top: f64, bottom: f64) {
        for (v, label) in &axis.ticks {
            let x = axis.map(*v);
            self.line((x, top), (x, bottom), GRID);
            self.text((x, bottom + 16.0), label, "middle", SMALL);
        }
        self.line((axis.r0, bottom), (axis.r1, bottom), AXIS);
    }

    /// Horizontal gridlines and labels of a y axis spanning `left..right`.
    fn y_ticks(&mut self, axis: &Axis, left: f64, right: f64) {
        for (v, label) in &axis.ticks {
            let y = axis.map(*v);
            self.line((left, y), (right, y), GRID);
            self.text((left - 6.0, y + 4.0), label, "end", SMALL);
        }
        self.line((left, axis.r0), (left, axis.r1), AXIS);
    }

    /// A "+N more" note at the end of the last legend row when items were dropped.
    fn legend_more(&mut self, places: &[(f64, f64)], total: usize) {
        if let Some(&(_, y)) = places.last().filter(|_| places.len() < total) {
            let more = format!("+{} more", total - places.len());
            self.text((WIDTH - 16.0, y + 4.0), &more, "end", SMALL);
        }
    }

    fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

/// An svg that only says "no data" under its title.
fn no_data(title: &str, height: f64) -> String {
    let mut svg = Svg::new(height, title, "No data.");
    svg.text(
        (WIDTH / 2.0, height / 2.0),
        "no data",
        "middle",
        r##"font-size="14" fill="#4b5563""##,
    );
    svg.finish()
}

/// Short deterministic id for a `<clipPath>`, derived from what it clips so
/// that equal ids on one page always mean equal clips.
fn clip_id(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in parts.iter().flat_map(|p| p.bytes().chain([0])) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("clip-{h:016x}")
}

// ---------------------------------------------------------------- line chart

/// Finite x and y extents of all points and bands, or None when empty.
fn extents(series: &[Series]) -> Option<(Extent, Extent)> {
    let (mut xs, mut ys) = (Extent::EMPTY, Extent::EMPTY);
    for s in series {
        let points = s.points.iter().map(|p| (p.0, p.1, p.1));
        for (x, lo, hi) in points.chain(s.band.iter().copied()) {
            if x.is_finite() && lo.is_finite() && hi.is_finite() {
                xs.add(x);
                ys.add(lo);
                ys.add(hi);
            }
        }
    }
    (!xs.is_empty()).then_some((xs, ys))
}

/// Splits points at non-finite values (and x <= 0 on a log scale) into runs
/// mapped to pixels. With `thin`, points within 0.3 px of the previous kept
/// point are dropped (the run still ends at its true last point), so huge
/// series stay compact.
fn pixel_runs(points: &[(f64, f64)], sx: &Axis, sy: &Axis, thin: bool) -> Vec<Vec<(f64, f64)>> {
    let bad = |(x, y): &(f64, f64)| !(x.is_finite() && y.is_finite()) || (sx.log && *x <= 0.0);
    let near = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 0.3 && (a.1 - b.1).abs() < 0.3;
    let map_run = |run: &[(f64, f64)]| {
        let pixel = |(x, y): &(f64, f64)| (sx.map(*x), sy.map(*y));
        let mut out: Vec<(f64, f64)> = Vec::new();
        for p in run.iter().map(pixel) {
            if !(thin && out.last().is_some_and(|q| near(*q, p))) {
                out.push(p);
            }
        }
        if let (true, Some(end)) = (out.len() > 1, run.last().map(pixel)) {
            out.pop();
            out.push(end);
        }
        out
    };
    points
        .split(bad)
        .filter(|r| !r.is_empty())
        .map(map_run)
        .collect()
}

/// Path data for one run: straight segments, or steps (horizontal then vertical).
fn path_data(run: &[(f64, f64)], step: bool) -> String {
    let mut d = String::new();
    for (i, (x, y)) in run.iter().enumerate() {
        let (x, y) = (N(*x), N(*y));
        let _ = match (i, step) {
            (0, _) => write!(d, "M{x} {y}"),
            (_, true) => write!(d, "H{x}V{y}"),
            (_, false) => write!(d, "L{x} {y}"),
        };
    }
    d
}

/// Stroke dash attribute for a style (empty unless dashed).
fn dash(style: Style) -> &'static str {
    if style == Style::Dashed {
        r#" stroke-dasharray="6 4""#
    } else {
        ""
    }
}

/// Draws one series: its band, then its line, steps or points.
fn draw_series(svg: &mut Svg, s: &Series, sx: &Axis, sy: &Axis) {
    let c = color(s.color);
    // Mask each edge with the other's finiteness so upper and lower runs align.
    let edge = |upper: bool| -> Vec<(f64, f64)> {
        let y = |b: &(f64, f64, f64)| if upper { b.2 } else { b.1 };
        let ok = |b: &(f64, f64, f64)| (b.1 + b.2).is_finite();
        s.band
            .iter()
            .map(|b| (b.0, if ok(b) { y(b) } else { f64::NAN }))
            .collect()
    };
    let upper = pixel_runs(&edge(true), sx, sy, false);
    let lower = pixel_runs(&edge(false), sx, sy, false);
    for (u, l) in upper.iter().zip(&lower) {
        let ring: Vec<(f64, f64)> = u.iter().chain(l.iter().rev()).copied().collect();
        let d = path_data(&ring, false);
        svg.raw(&format!(
            r#"<path d="{d}Z" fill="{c}" fill-opacity="0.15"/>"#
        ));
    }
    for run in pixel_runs(&s.points, sx, sy, true) {
        if s.style == Style::Points || run.len() == 1 {
            let attrs = format!(r#"fill="{c}" fill-opacity="0.85""#);
            run.iter().for_each(|p| svg.circle(*p, 2.5, &attrs));
        } else {
            let (d, dash) = (path_data(&run, s.style == Style::Step), dash(s.style));
            svg.raw(&format!(
                r#"<path d="{d}" fill="none" stroke="{c}" stroke-width="2"{dash}/>"#
            ));
        }
    }
}

/// Draws the legend swatch of `s` with its left edge at (x, y).
fn line_swatch(svg: &mut Svg, s: &Series, (x, y): (f64, f64)) {
    let c = color(s.color);
    if !s.band.is_empty() {
        svg.rect(
            (x, y - 6.0),
            (22.0, 12.0),
            &format!(r#"fill="{c}" fill-opacity="0.15""#),
        );
    }
    let stroke = format!(r#"stroke="{c}" stroke-width="2"{}"#, dash(s.style));
    match s.style {
        Style::Points => svg.circle((x + 11.0, y), 3.5, &format!(r#"fill="{c}""#)),
        _ => svg.line((x, y), (x + 22.0, y), &stroke),
    }
}

/// Text for the `<desc>` of a line chart: its series and point counts.
fn series_desc(series: &[Series]) -> String {
    let mut desc = format!("Line chart with {} series:", series.len());
    for s in series.iter().take(20) {
        let _ = write!(desc, " {} ({} points);", s.name, s.points.len());
    }
    if series.len() > 20 {
        let _ = write!(desc, " and {} more.", series.len() - 20);
    }
    desc
}

/// One `<svg>` element (viewBox 0 0 720 400, width 100%, role="img", with `<title>` and a `<desc>` listing the series), with axes, nice ticks (1-2-5 steps), gridlines, axis labels, and a legend that does not overlap the plot. Empty series or no finite points: an svg that says "no data" in the middle.
pub fn line_chart(chart: &LineChart) -> String {
    let Some((xe, ye)) = extents(&chart.series) else {
        return no_data(&chart.title, HEIGHT);
    };
    let x_axis = match chart.x_axis {
        XAxis::Date => Axis::date(xe.lo, xe.hi),
        XAxis::Number if chart.x_log && xe.lo > 0.0 => Axis::log(xe.lo, xe.hi),
        XAxis::Number => Axis::number(xe.lo, xe.hi, false),
    };
    let fixed = chart
        .y_range
        .filter(|(a, b)| a.is_finite() && b.is_finite() && a != b);
    let y_axis = match fixed {
        Some((a, b)) => Axis::number(a.min(b), a.max(b), false),
        None => Axis::number(ye.lo.min(0.0), ye.hi, true),
    };

    // Legend rows under the title decide where the plot starts.
    let named: Vec<&Series> = chart.series.iter().filter(|s| !s.name.is_empty()).collect();
    let labels: Vec<String> = named.iter().map(|s| truncate(&s.name, 40)).collect();
    let (places, top) = legend_layout(&labels, 28.0, 3);
    let tick_labels: Vec<String> = y_axis.ticks.iter().map(|t| t.1.clone()).collect();
    let left = (widest(&tick_labels, 11.0) + 38.0).clamp(48.0, 160.0);
    let (right, bottom) = (WIDTH - 24.0, HEIGHT - 52.0);
    let (sx, sy) = (x_axis.placed(left, right), y_axis.placed(bottom, top + 8.0));

    let mut svg = Svg::new(HEIGHT, &chart.title, &series_desc(&chart.series));
    svg.y_ticks(&sy, left, right);
    svg.x_ticks(&sx, sy.r1, bottom);
    let (x, y, w, h) = (N(left), N(sy.r1), N(right - left), N(bottom - sy.r1));
    let rect = format!(r#"x="{x}" y="{y}" width="{w}" height="{h}""#);
    let id = clip_id(&[&chart.title, &rect]);
    let clip = format!(r#"<clipPath id="{id}"><rect {rect}/></clipPath>"#);
    svg.raw(&format!(r#"<defs>{clip}</defs><g clip-path="url(#{id})">"#));
    for s in &chart.series {
        draw_series(&mut svg, s, &sx, &sy);
    }
    svg.raw("</g>");
    let (cx, cy) = ((left + right) / 2.0, (sy.r1 + bottom) / 2.0);
    svg.text((cx, HEIGHT - 12.0), &chart.x_label, "middle", "");
    let rotate = format!(r#"transform="rotate(-90 16 {})""#, N(cy));
    svg.text((16.0, cy), &chart.y_label, "middle", &rotate);
    for ((s, label), &(x, y)) in named.iter().zip(&labels).zip(&places) {
        line_swatch(&mut svg, s, (x, y));
        svg.text((x + 28.0, y + 4.0), label, "start", "");
    }
    svg.legend_more(&places, named.len());
    svg.finish()
}

// ---------------------------------------------------------------- intervals

/// Dot-and-whisker ("forest") plot of estimates with intervals, one row per item: label, estimate, low, high, colour index. A vertical reference line at `reference` when given (e.g. 0 for differences). Height grows with the number of rows.
pub fn intervals(title: &str, x_label: &str, rows: &[Interval], reference: Option<f64>) -> String {
    const ROW: f64 = 24.0;
    let reference = reference.filter(|r| r.is_finite());
    let mut ext = Extent::EMPTY;
    rows.iter()
        .flat_map(|r| [r.estimate, r.low, r.high])
        .for_each(|v| ext.add(v));
    if ext.is_empty() {
        return no_data(title, 160.0);
    }
    reference.into_iter().for_each(|r| ext.add(r));
    let labels: Vec<String> = rows.iter().map(|r| truncate(&r.label, 48)).collect();
    let left = (widest(&labels, 12.0) + 28.0).clamp(80.0, 320.0);
    let (top, bottom) = (44.0, 44.0 + rows.len() as f64 * ROW);
    let sx = Axis::number(ext.lo, ext.hi, true).placed(left, WIDTH - 150.0);

    let desc = format!("Dot-and-whisker plot of {} estimates.", rows.len());
    let mut svg = Svg::new(bottom + 52.0, title, &desc);
    for i in (0..rows.len()).step_by(2) {
        let y = top + i as f64 * ROW;
        svg.rect((8.0, y), (WIDTH - 16.0, ROW), r##"fill="#f6f7f9""##);
    }
    svg.x_ticks(&sx, top, bottom);
    if let Some(x) = reference.map(|r| sx.map(r)) {
        let attrs = r##"stroke="#6b7280" stroke-dasharray="4 3""##;
        svg.line((x, top), (x, bottom), attrs);
    }
    for (i, (row, label)) in rows.iter().zip(&labels).enumerate() {
        interval_row(&mut svg, row, label, &sx, top + (i as f64 + 0.5) * ROW);
    }
    svg.text(
        ((sx.r0 + sx.r1) / 2.0, bottom + 40.0),
        x_label,
        "middle",
        "",
    );
    svg.finish()
}

/// Draws one interval row centred at `y`: label, whisker, dot and value text.
fn interval_row(svg: &mut Svg, row: &Interval, label: &str, sx: &Axis, y: f64) {
    let c = color(row.color);
    let [est, low, high] = [row.estimate, row.low, row.high].map(format_value);
    let value = format!("{est} [{low}, {high}]");
    svg.group(&format!("{}: {value}", row.label));
    svg.text((sx.r0 - 12.0, y + 4.0), label, "end", "");
    if row.low.is_finite() && row.high.is_finite() {
        let (a, b) = (sx.map(row.low.min(row.high)), sx.map(row.low.max(row.high)));
        let stroke = format!(r#"stroke="{c}" stroke-width="2""#);
        svg.line((a, y), (b, y), &stroke);
        svg.line((a, y - 5.0), (a, y + 5.0), &stroke);
        svg.line((b, y - 5.0), (b, y + 5.0), &stroke);
    }
    if row.estimate.is_finite() {
        let attrs = format!(r##"fill="{c}" stroke="#ffffff" stroke-width="1.5""##);
        svg.circle((sx.map(row.estimate), y), 5.0, &attrs);
    }
    svg.text((sx.r1 + 16.0, y + 4.0), &value, "start", SMALL);
    svg.raw("</g>");
}

// ---------------------------------------------------------------- stacked bars

/// Text colour readable on a `#rrggbb` fill.
fn text_on(fill: &str) -> &'static str {
    let channel = |i: usize| {
        let v = fill
            .get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        f64::from(v.unwrap_or(0)) / 255.0
    };
    let lum = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    if lum > 0.45 { "#1f2937" } else { "#ffffff" }
}

/// Horizontal stacked 100% bars, one bar per row label, segments per category (e.g. each market's chart share per cohort). `values[row][category]` are shares in percent (need not sum to exactly 100; draw what is given). Category legend on top.
/// Each row's values are shares in percent of one whole: the axis runs from
/// 0 to 100%, and a row whose shares sum to more (rounding) is scaled to its
/// whole, so that no bar runs past 100%.
pub fn stacked_bars(title: &str, categories: &[String], rows: &[(String, Vec<f64>)]) -> String {
    const PITCH: f64 = 26.0;
    const BAR: f64 = 18.0;
    if rows.is_empty() {
        return no_data(title, 160.0);
    }
    let shown = |v: &&f64| v.is_finite() && **v > 0.0;
    let rows: Vec<(String, Vec<f64>)> = rows
        .iter()
        .map(|(label, values)| {
            let sum: f64 = values.iter().filter(shown).sum();
            let scale = if sum > 100.0 { 100.0 / sum } else { 1.0 };
            (label.clone(), values.iter().map(|v| v * scale).collect())
        })
        .collect();
    let mut axis = Axis::number(0.0, 100.0, false);
    axis.ticks.iter_mut().for_each(|t| t.1.push('%'));
    let names: Vec<String> = categories.iter().map(|c| truncate(c, 32)).collect();
    let (places, top) = legend_layout(&names, 20.0, 4);
    let labels: Vec<String> = rows.iter().map(|(l, _)| truncate(l, 40)).collect();
    let left = (widest(&labels, 12.0) + 24.0).clamp(60.0, 300.0);
    let top = top + 6.0;
    let bottom = top + rows.len() as f64 * PITCH;
    let sx = axis.placed(left, WIDTH - 24.0);

    let desc = format!(
        "Stacked bars for {} rows by {}.",
        rows.len(),
        categories.join(", ")
    );
    let mut svg = Svg::new(bottom + 32.0, title, &desc);
    svg.x_ticks(&sx, top, bottom);
    for (j, (name, &(x, y))) in names.iter().zip(&places).enumerate() {
        svg.rect(
            (x, y - 6.0),
            (14.0, 12.0),
            &format!(r#"fill="{}""#, color(j)),
        );
        svg.text((x + 20.0, y + 4.0), name, "start", "");
    }
    svg.legend_more(&places, names.len());
    for (i, ((row, values), label)) in rows.iter().zip(&labels).enumerate() {
        let y = top + i as f64 * PITCH + (PITCH - BAR) / 2.0;
        svg.text((left - 8.0, y + BAR / 2.0 + 4.0), label, "end", "");
        let mut start = 0.0;
        for (j, v) in values.iter().enumerate().filter(|(_, v)| shown(v)) {
            let (x0, x1, fill) = (sx.map(start), sx.map(start + v), color(j));
            let category = categories.get(j).map_or("?", String::as_str);
            svg.group(&format!("{row} — {category}: {}%", format_value(*v)));
            svg.rect(
                (x0, y),
                (x1 - x0, BAR),
                &format!(r##"fill="{fill}" stroke="#ffffff""##),
            );
            if x1 - x0 >= 30.0 {
                let attrs = format!(r#"font-size="10" fill="{}""#, text_on(fill));
                let pos = ((x0 + x1) / 2.0, y + BAR / 2.0 + 3.5);
                svg.text(pos, &format!("{v:.0}%"), "middle", &attrs);
            }
            svg.raw("</g>");
            start += v;
        }
    }
    svg.finish()
}

// ---------------------------------------------------------------- tile map

/// Tile grid of markets as `CODE column row Name` entries separated by `|`
/// or newlines: the Americas, Europe and West Asia, Asia, then Africa.
const TILE_TABLE: &str = "\
CA 1 0 Canada|US 1 1 United States|MX 0 2 Mexico|CU 2 2 Cuba|GT 0 3 Guatemala|HN 1 3 Honduras
JM 2 3 Jamaica|HT 3 3 Haiti|DO 4 3 Dominican Republic|PR 5 3 Puerto Rico|SV 0 4 El Salvador
NI 1 4 Nicaragua|CR 1 5 Costa Rica|PA 2 5 Panama|TT 4 5 Trinidad and Tobago|EC 1 6 Ecuador
CO 2 6 Colombia|VE 3 6 Venezuela|PE 2 7 Peru|BO 3 7 Bolivia|BR 4 7 Brazil|CL 2 8 Chile
PY 3 8 Paraguay|UY 4 8 Uruguay|AR 3 9 Argentina
IS 7 0 Iceland|NO 10 0 Norway|SE 11 0 Sweden|FI 12 0 Finland|EE 12 1 Estonia|IE 7 2 Ireland
GB 8 2 United Kingdom|DK 10 2 Denmark|LV 12 2 Latvia|NL 9 3 Netherlands|DE 10 3 Germany
PL 11 3 Poland|LT 12 3 Lithuania|BY 13 3 Belarus|RU 14 3 Russia|BE 8 4 Belgium
LU 9 4 Luxembourg|CZ 10 4 Czechia|SK 11 4 Slovakia|UA 13 4 Ukraine|KZ 16 4 Kazakhstan
FR 8 5 France|CH 9 5 Switzerland|AT 10 5 Austria|HU 11 5 Hungary|RO 12 5 Romania
MD 13 5 Moldova|PT 6 6 Portugal|ES 7 6 Spain|AD 8 6 Andorra|IT 9 6 Italy|SI 10 6 Slovenia
HR 11 6 Croatia|RS 12 6 Serbia|BG 13 6 Bulgaria|GE 15 6 Georgia|MT 9 7 Malta
BA 11 7 Bosnia and Herzegovina|AL 12 7 Albania|GR 13 7 Greece|TR 14 7 Turkey|AM 15 7 Armenia
AZ 16 7 Azerbaijan|CY 13 8 Cyprus|LB 14 8 Lebanon|SY 15 8 Syria|IQ 16 8 Iraq|IR 17 8 Iran
IL 13 9 Israel|JO 14 9 Jordan|SA 15 9 Saudi Arabia|KW 16 9 Kuwait|BH 17 9 Bahrain
YE 15 10 Yemen|QA 16 10 Qatar|AE 17 10 United Arab Emirates|OM 18 10 Oman
UZ 17 5 Uzbekistan|KG 18 5 Kyrgyzstan|MN 19 5 Mongolia|KP 20 5 North Korea|TM 17 6 Turkmenistan
TJ 18 6 Tajikistan|CN 19 6 China|KR 20 6 South Korea|JP 21 6 Japan|AF 18 7 Afghanistan
NP 19 7 Nepal|HK 20 7 Hong Kong|TW 21 7 Taiwan|PK 18 8 Pakistan|IN 19 8 India
BD 20 8 Bangladesh|MM 21 8 Myanmar|LA 22 8 Laos|PH 24 8 Philippines|LK 19 9 Sri Lanka
TH 21 9 Thailand|KH 22 9 Cambodia|VN 23 9 Vietnam|MY 21 10 Malaysia|SG 21 11 Singapore
ID 22 11 Indonesia|PG 24 11 Papua New Guinea|AU 23 12 Australia|NZ 25 13 New Zealand
MA 7 9 Morocco|DZ 8 9 Algeria|TN 9 9 Tunisia|LY 10 9 Libya|EG 11 9 Egypt|SN 6 10 Senegal
ML 7 10 Mali|NE 8 10 Niger|TD 9 10 Chad|SD 10 10 Sudan|ER 11 10 Eritrea|CI 6 11 Côte d'Ivoire
GH 7 11 Ghana|NG 8 11 Nigeria|CM 9 11 Cameroon|SS 10 11 South Sudan|ET 11 11 Ethiopia
SO 12 11 Somalia|CD 9 12 DR Congo|UG 10 12 Uganda|KE 11 12 Kenya|AO 9 13 Angola
TZ 10 13 Tanzania|NA 8 14 Namibia|ZM 9 14 Zambia|MW 10 14 Malawi|MG 12 14 Madagascar
ZA 9 15 South Africa|ZW 10 15 Zimbabwe|MZ 11 15 Mozambique";

/// One market's place on the tile grid.
#[derive(Debug, Clone, Copy)]
struct Tile {
    code: &'static str,
    col: usize,
    row: usize,
    name: &'static str,
}

/// The parsed tile table (malformed entries are skipped).
fn tile_table() -> Vec<Tile> {
    let parse = |entry: &'static str| {
        let mut parts = entry.trim().splitn(4, ' ');
        let code = parts.next()?;
        let (col, row) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
        Some(Tile {
            code,
            col,
            row,
            name: parts.next().unwrap_or(code),
        })
    };
    TILE_TABLE.split(['|', '\n']).filter_map(parse).collect()
}

/// Colour of the sequential ramp at `t` in 0..=1.
fn ramp(t: f64) -> String {
    let pos = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    } * (RAMP.len() - 1) as f64;
    let i = (pos.floor() as usize).min(RAMP.len() - 2);
    let (a, b, f) = (RAMP[i], RAMP[i + 1], pos - i as f64);
    let mix = |k: usize| (f64::from(a[k]) + (f64::from(b[k]) - f64::from(a[k])) * f).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(0), mix(1), mix(2))
}

/// Tile-grid world map: one square tile per market on a fixed grid that roughly follows geography, filled on a light-yellow-to-dark-blue ramp from 0 to `max` (or the data's max when None). Markets with None, and markets of the built-in table not in `values`, are light grey ("no data"); codes the table lacks go in a final row. Each tile has a `<title>` tooltip "Name: value unit"; a ramp legend with 0 and max labels and a "no data" swatch sit below.
pub fn tile_map(
    title: &str,
    values: &[(String, Option<f64>)],
    unit: &str,
    max: Option<f64>,
) -> String {
    let table = tile_table();
    let mut given: Vec<(String, Option<f64>)> = Vec::new();
    for (code, v) in values {
        let code = code.trim().to_ascii_uppercase();
        if !given.iter().any(|g| g.0 == code) {
            given.push((code, v.filter(|x| x.is_finite())));
        }
    }
    let cols = table.iter().map(|t| t.col + 1).max().unwrap_or(1);
    let grid_rows = table.iter().map(|t| t.row + 1).max().unwrap_or(0);
    let unknown: Vec<&(String, Option<f64>)> = given
        .iter()
        .filter(|g| !table.iter().any(|t| t.code == g.0))
        .collect();
    let total_rows = grid_rows + unknown.len().div_ceil(cols) + usize::from(!unknown.is_empty());
    let data_max = given.iter().filter_map(|g| g.1).fold(0.0, f64::max);
    let scale = (
        unit,
        max.filter(|m| m.is_finite() && *m > 0.0)
            .unwrap_or(data_max),
    );
    let (pitch, top) = ((WIDTH - 32.0) / cols as f64, 44.0);
    let legend_y = top + total_rows as f64 * pitch + 18.0;

    let with_data = given.iter().filter(|g| g.1.is_some()).count();
    let desc = format!(
        "Tile map of {} markets, {with_data} with values ({unit}).",
        given.len()
    );
    let mut svg = Svg::new(legend_y + 44.0, title, &desc);
    let cell = |col: usize, row: usize| (16.0 + col as f64 * pitch, top + row as f64 * pitch);
    for t in &table {
        let value = given.iter().find(|g| g.0 == t.code).and_then(|g| g.1);
        draw_tile(
            &mut svg,
            cell(t.col, t.row),
            pitch,
            (t.code, t.name),
            value,
            scale,
        );
    }
    if !unknown.is_empty() {
        let y = top + (grid_rows as f64 + 0.5) * pitch + 4.0;
        svg.text((16.0, y), "Not on the grid:", "start", SMALL);
    }
    for (i, (code, value)) in unknown.iter().enumerate() {
        let pos = cell(i % cols, grid_rows + 1 + i / cols);
        draw_tile(&mut svg, pos, pitch, (code, code), *value, scale);
    }
    map_legend(&mut svg, legend_y, scale);
    svg.finish()
}

/// One edge of a [`network`] figure: `from` leads to `to`, with a weight
/// in 0..=1 (the stroke's width and opacity) and a tooltip.
#[derive(Debug, Clone)]
pub struct Edge {
    /// The market the arrow starts from.
    pub from: String,
    /// The market it points to.
    pub to: String,
    /// 0 to 1: how strong the edge is.
    pub weight: f64,
    /// The edge's tooltip.
    pub tip: String,
}

impl Edge {
    /// A backbone edge (lead network): `tracks` entered `to` right after
    /// `from`, a `share` (0 to 1) of the tracks entering `to` after another
    /// market. The weight doubles the share: shares seldom pass a half.
    pub fn backbone(from: &str, to: &str, tracks: u64, share: Option<f64>) -> Edge {
        let percent = share.map_or("?".to_string(), |s| format!("{:.0}", 100.0 * s));
        Edge {
            from: from.to_string(),
            to: to.to_string(),
            weight: (share.unwrap_or(0.0) * 2.0).min(1.0),
            tip: format!(
                "{from} -> {to}: {tracks} tracks ({percent}% of those entering {to} after \
                 another market)"
            ),
        }
    }
}

/// A network of markets drawn on the tile-grid world map's positions: one
/// dot per market of an edge, one arrow per edge (wider and darker with its
/// weight), each with a tooltip. Markets the grid lacks go in a final row.
pub fn network(title: &str, edges: &[Edge]) -> String {
    let table = tile_table();
    let mut codes: Vec<String> = edges
        .iter()
        .flat_map(|e| [e.from.to_ascii_uppercase(), e.to.to_ascii_uppercase()])
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let cols = table.iter().map(|t| t.col + 1).max().unwrap_or(1);
    let grid_rows = table.iter().map(|t| t.row + 1).max().unwrap_or(0);
    let off_grid: Vec<&String> = codes
        .iter()
        .filter(|c| !table.iter().any(|t| t.code == c.as_str()))
        .collect();
    let rows = grid_rows + off_grid.len().div_ceil(cols);
    let (pitch, top) = ((WIDTH - 32.0) / cols as f64, 44.0);
    let centre = |code: &str| -> (f64, f64) {
        let (col, row) = match table.iter().find(|t| t.code == code) {
            Some(t) => (t.col, t.row),
            None => {
                let i = off_grid
                    .iter()
                    .position(|c| c.as_str() == code)
                    .unwrap_or(0);
                (i % cols, grid_rows + i / cols)
            }
        };
        (
            16.0 + (col as f64 + 0.5) * pitch,
            top + (row as f64 + 0.5) * pitch,
        )
    };
    let height = top + rows as f64 * pitch + 40.0;
    let desc = format!(
        "Network of {} markets and {} edges, on a tile grid that roughly follows geography.",
        codes.len(),
        edges.len()
    );
    let mut svg = Svg::new(height, title, &desc);
    svg.raw(
        r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#0072b2"/></marker></defs>"##,
    );
    let radius = (pitch * 0.22).max(3.0);
    for e in edges {
        let (a, b) = (
            centre(&e.from.to_ascii_uppercase()),
            centre(&e.to.to_ascii_uppercase()),
        );
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let length = (dx * dx + dy * dy).sqrt();
        if length <= 2.0 * radius {
            continue;
        }
        // From the edge of one dot to the edge of the other.
        let (ux, uy) = (dx / length, dy / length);
        let start = (a.0 + ux * radius, a.1 + uy * radius);
        let end = (b.0 - ux * radius, b.1 - uy * radius);
        let w = e.weight.clamp(0.0, 1.0);
        svg.group(&e.tip);
        svg.line(
            start,
            end,
            &format!(
                r##"stroke="#0072b2" stroke-width="{}" stroke-opacity="{}" marker-end="url(#arrow)""##,
                N(0.8 + 3.2 * w),
                N(0.35 + 0.6 * w)
            ),
        );
        svg.raw("</g>");
    }
    for code in &codes {
        let c = centre(code);
        let name = table
            .iter()
            .find(|t| t.code == code.as_str())
            .map_or(code.as_str(), |t| t.name);
        svg.group(name);
        svg.circle(
            c,
            radius,
            r##"fill="#ffffff" stroke="#374151" stroke-width="1""##,
        );
        svg.text(
            (c.0, c.1 + 3.0),
            code,
            "middle",
            r#"font-size="8" font-weight="600""#,
        );
        svg.raw("</g>");
    }
    svg.text(
        (16.0, height - 14.0),
        "Arrow: from a market to the market that most often charted a track next.",
        "start",
        SMALL,
    );
    svg.finish()
}

/// One tile at `pos` with its code, fill and tooltip; `scale` is (unit, max).
fn draw_tile(
    svg: &mut Svg,
    pos: (f64, f64),
    pitch: f64,
    (code, name): (&str, &str),
    value: Option<f64>,
    scale: (&str, f64),
) {
    let (unit, max) = scale;
    let size = pitch - 2.0;
    let (fill, ink, tip) = match value {
        Some(v) => {
            let fill = ramp(if max > 0.0 { v / max } else { 0.0 });
            let ink = text_on(&fill);
            (fill, ink, format!("{name}: {} {unit}", format_value(v)))
        }
        None => (
            NO_DATA_FILL.to_string(),
            "#71717a",
            format!("{name}: no data"),
        ),
    };
    let _ = write!(
        svg.out,
        r#"<g data-code="{}"><title>{}</title>"#,
        escape(code),
        escape(tip.trim_end())
    );
    svg.rect(pos, (size, size), &format!(r#"rx="3" fill="{fill}""#));
    let attrs = format!(r#"font-size="9.5" font-weight="600" fill="{ink}""#);
    svg.text(
        (pos.0 + size / 2.0, pos.1 + size / 2.0 + 3.5),
        &truncate(code, 3),
        "middle",
        &attrs,
    );
    svg.raw("</g>");
}

/// Colour ramp with 0 and max labels, then a "no data" swatch, at `y`.
fn map_legend(svg: &mut Svg, y: f64, (unit, max): (&str, f64)) {
    const STEPS: usize = 24;
    const RAMP_W: f64 = 192.0;
    let w = RAMP_W / STEPS as f64;
    for i in 0..STEPS {
        let fill = ramp(i as f64 / (STEPS - 1) as f64);
        svg.rect(
            (16.0 + i as f64 * w, y),
            (w + 0.5, 12.0),
            &format!(r#"fill="{fill}""#),
        );
    }
    svg.text((16.0, y + 26.0), "0", "start", SMALL);
    let top_label = format!("{} {unit}", format_value(max));
    svg.text(
        (16.0 + RAMP_W, y + 26.0),
        top_label.trim_end(),
        "end",
        SMALL,
    );
    let x = 16.0 + RAMP_W + 40.0;
    svg.rect(
        (x, y),
        (12.0, 12.0),
        &format!(r#"rx="2" fill="{NO_DATA_FILL}""#),
    );
    svg.text((x + 18.0, y + 10.5), "no data", "start", SMALL);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks that tags nest (every `<tag` is closed unless self-closing
    /// `/>`), that there is one root `<svg>`, and that every `&` starts one
    /// of the entities `escape` writes.
    fn well_formed(svg: &str) -> Result<(), String> {
        let mut stack: Vec<&str> = Vec::new();
        let mut rest = svg.strip_prefix("<svg ").ok_or("no <svg> root")?;
        stack.push("svg");
        while let Some(i) = rest.find('<') {
            if stack.is_empty() {
                return Err("content after the root element".into());
            }
            let end = rest[i..].find('>').ok_or("unterminated tag")? + i;
            let tag = &rest[i + 1..end];
            if let Some(name) = tag.strip_prefix('/') {
                let open = stack.pop().ok_or(format!("stray </{name}>"))?;
                if open != name {
                    return Err(format!("<{open}> closed by </{name}>"));
                }
            } else if !tag.ends_with('/') {
                stack.push(tag.split(' ').next().unwrap_or_default());
            }
            rest = &rest[end + 1..];
        }
        let entities = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"];
        if let Some((i, _)) = svg
            .match_indices('&')
            .find(|(i, _)| !entities.iter().any(|e| svg[*i..].starts_with(e)))
        {
            return Err(format!("bare & at {i}"));
        }
        match stack.is_empty() && rest.is_empty() {
            true => Ok(()),
            false => Err(format!("unclosed {stack:?}")),
        }
    }

    /// Every number inside an attribute value has at most 2 decimals, and
    /// no NaN or infinity appears anywhere.
    fn numbers_clean(svg: &str) {
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        for value in svg.split('"').skip(1).step_by(2) {
            for token in value.split([' ', ',', '(', ')', 'M', 'L', 'H', 'V', 'Z']) {
                if token.parse::<f64>().is_ok() {
                    let decimals = token.split('.').nth(1).map_or(0, str::len);
                    assert!(decimals <= 2, "{token} in {value}");
                }
            }
        }
    }

    /// Asserts that `svg` is well formed with clean numbers.
    fn check(svg: &str) {
        if let Err(e) = well_formed(svg) {
            panic!("{e}: {svg}");
        }
        numbers_clean(svg);
    }

    /// Height of the svg's viewBox.
    fn view_height(svg: &str) -> f64 {
        let view_box = svg.split("viewBox=\"0 0 ").nth(1).unwrap_or_default();
        let h = view_box.split(['"', ' ']).nth(1).unwrap_or_default();
        h.parse().unwrap_or(f64::NAN)
    }

    #[test]
    fn checker_rejects_broken_markup() {
        assert!(well_formed("<svg a><g><rect/></g></svg>").is_ok());
        assert!(well_formed("<svg a><g></svg>").is_err());
        assert!(well_formed("<svg a><g></text></g></svg>").is_err());
        assert!(well_formed("<svg a>Tom & Jerry</svg>").is_err());
        assert!(well_formed("<svg a></svg><svg a></svg>").is_err());
        assert_eq!(view_height(r#"<svg viewBox="0 0 720 400">"#), 400.0);
    }

    fn series(name: &str, points: Vec<(f64, f64)>, style: Style) -> Series {
        Series {
            name: name.into(),
            points,
            style,
            color: 0,
            band: Vec::new(),
        }
    }

    fn chart(series: Vec<Series>) -> LineChart {
        LineChart {
            title: "Reach <K-pop> & \"J-pop\"".into(),
            x_label: "Month".into(),
            y_label: "Markets".into(),
            x_axis: XAxis::Number,
            series,
            y_range: None,
            x_log: false,
        }
    }

    #[test]
    fn escape_covers_xml_specials() {
        let text = r#"<a href="x">Tom & Jerry's</a>"#;
        let want = "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;";
        assert_eq!(escape(text), want);
        assert_eq!(escape("a\u{0}b\u{1b}c — ü"), "abc — ü");
    }

    #[test]
    fn nice_ticks_use_1_2_5_steps() {
        assert_eq!(nice_ticks(0.0, 37.0, 5), [0.0, 10.0, 20.0, 30.0, 40.0]);
        assert_eq!(
            nice_ticks(-3.0, 7.0, 5),
            [-4.0, -2.0, 0.0, 2.0, 4.0, 6.0, 8.0]
        );
        for (lo, hi) in [(0.0, 0.93), (12.0, 13.1), (-5e6, 2e7), (1e-6, 3e-6)] {
            let ticks = nice_ticks(lo, hi, 5);
            let step = ticks[1] - ticks[0];
            let mantissa = step / 10f64.powf(step.log10().floor());
            let nice = [1.0, 2.0, 5.0].iter().any(|m| (mantissa - m).abs() < 1e-6);
            assert!(nice, "{lo}..{hi}: {ticks:?}");
            assert!(ticks[0] <= lo && *ticks.last().unwrap() >= hi && ticks.len() <= 12);
        }
    }

    #[test]
    fn nice_ticks_survive_degenerate_ranges() {
        let cases = [
            (5.0, 5.0),
            (0.0, 0.0),
            (f64::NAN, f64::NAN),
            (f64::INFINITY, -1.0),
        ];
        let more = [
            (1e308, -1e308),
            (0.0, 5e-324),
            (-2.0, -2.0),
            (1e15, 1e15 + 1e-3),
        ];
        for (lo, hi) in cases.into_iter().chain(more) {
            let ticks = nice_ticks(lo, hi, 5);
            assert!(ticks.len() >= 2, "{lo}..{hi}: {ticks:?}");
            assert!(ticks.iter().all(|t| t.is_finite()), "{lo}..{hi}: {ticks:?}");
        }
        let equal = nice_ticks(5.0, 5.0, 5);
        assert!(equal[0] < 5.0 && *equal.last().unwrap() > 5.0);
    }

    #[test]
    fn tick_labels_share_suffix_and_decimals() {
        assert_eq!(tick_labels(&[0.0, 0.5, 1.0]), ["0", "0.5", "1.0"]);
        assert_eq!(
            tick_labels(&[0.0, 5e5, 1e6, 1.5e6]),
            ["0", "0.5M", "1.0M", "1.5M"]
        );
        assert_eq!(tick_labels(&[-10000.0, 0.0, 10000.0]), ["-10k", "0", "10k"]);
        assert_eq!(format_value(0.12345), "0.123");
        assert_eq!(format_value(12_345_678.0), "12.3M");
        assert_eq!(format_value(-0.0), "0");
        assert_eq!(format_value(f64::NAN), "n/a");
    }

    #[test]
    fn days_are_dates() {
        assert_eq!(date_of(0).to_string(), "1970-01-01");
        assert_eq!(date_of(19_782).to_string(), "2024-02-29");
        assert_eq!(date_of(-1).to_string(), "1969-12-31");
        assert_eq!(days_from_month(2024, 1), 19_723);
        assert_eq!(days_from_month(1969, 12), -31);
    }

    #[test]
    fn date_ticks_for_three_years_are_half_yearly() {
        let (lo, hi) = (
            days_from_month(2021, 1) as f64,
            days_from_month(2024, 1) as f64,
        );
        let labels: Vec<String> = date_ticks(lo, hi).into_iter().map(|t| t.1).collect();
        let want = [
            "2021-01", "2021-07", "2022-01", "2022-07", "2023-01", "2023-07", "2024-01",
        ];
        assert_eq!(labels, want);
        let long = date_ticks(
            days_from_month(2000, 1) as f64,
            days_from_month(2020, 6) as f64,
        );
        assert!(long.iter().all(|t| t.1.len() == 4) && long.iter().any(|t| t.1 == "2010"));
        let short = date_ticks(19_723.0, 19_730.0);
        assert_eq!(short[0].1, "2024-01-01");
        // One month's point, padded by 15 days each side: its month alone.
        let april = days_from_month(2021, 4) as f64;
        let one = date_ticks(april - 15.0, april + 15.0);
        assert_eq!(one, vec![(april, "2021-04".to_string())]);
        assert!(date_ticks(f64::NAN, f64::INFINITY).len() >= 2);
    }

    #[test]
    fn line_chart_has_frame_legend_and_escaped_text() {
        let mut c = chart(vec![
            series(
                "K-pop observed",
                vec![(0.0, 1.0), (5.0, 9.0), (10.0, 30.0)],
                Style::Step,
            ),
            series(
                "K-pop fitted",
                vec![(0.0, 2.0), (10.0, 28.0)],
                Style::Dashed,
            ),
        ]);
        c.series[1].band = vec![(0.0, 1.0, 3.0), (10.0, 25.0, 31.0)];
        let svg = line_chart(&c);
        check(&svg);
        for want in [
            r#"viewBox="0 0 720 400""#,
            r#"width="100%""#,
            r#"role="img""#,
        ] {
            assert!(svg.contains(want), "{want}");
        }
        assert!(svg.contains("<title>Reach &lt;K-pop&gt; &amp; &quot;J-pop&quot;</title>"));
        assert!(svg.contains("<desc>") && svg.contains("K-pop fitted (2 points)"));
        assert!(svg.contains(">K-pop observed</text>") && svg.contains("stroke-dasharray"));
        assert!(
            svg.contains(">0</text>") && svg.contains(">30</text>"),
            "y from 0, nice top"
        );
        assert_eq!(svg, line_chart(&c), "deterministic");
    }

    #[test]
    fn line_chart_skips_non_finite_points() {
        let (nan, inf) = (f64::NAN, f64::INFINITY);
        let points = vec![
            (0.0, 1.0),
            (1.0, 2.0),
            (2.0, nan),
            (3.0, 4.0),
            (inf, 1.0),
            (5.0, 6.0),
        ];
        let mut s = series("a", points, Style::Line);
        s.band = vec![
            (0.0, nan, 1.0),
            (1.0, 0.0, 3.0),
            (2.0, 1.0, 4.0),
            (nan, 0.0, 1.0),
        ];
        let mut c = chart(vec![s, series("b", vec![(nan, nan)], Style::Points)]);
        c.y_range = Some((nan, 5.0));
        let svg = line_chart(&c);
        check(&svg);
        assert_eq!(
            svg.matches(r#"fill="none""#).count(),
            1,
            "one 2-point segment"
        );
        assert_eq!(svg.matches(r#"r="2.5""#).count(), 2, "two isolated points");
    }

    #[test]
    fn line_chart_edge_cases_do_not_panic() {
        let empty = line_chart(&chart(Vec::new()));
        check(&empty);
        assert!(empty.contains(">no data</text>"));
        let only_nan = line_chart(&chart(vec![series(
            "x",
            vec![(f64::NAN, 1.0)],
            Style::Line,
        )]));
        assert!(only_nan.contains(">no data</text>"));
        let cases = [
            vec![(3.0, 3.0)],
            vec![(1.0, 7.0), (2.0, 7.0)],
            vec![(-5.0, -1e9), (-1.0, -2.0)],
        ];
        for points in cases {
            for (x_axis, x_log) in [
                (XAxis::Number, false),
                (XAxis::Number, true),
                (XAxis::Date, false),
            ] {
                let mut c = chart(vec![series("s", points.clone(), Style::Step)]);
                (c.x_axis, c.x_log, c.y_range) = (x_axis, x_log, Some((10.0, -10.0)));
                check(&line_chart(&c));
                c.y_range = None;
                check(&line_chart(&c));
            }
        }
        let huge: Vec<(f64, f64)> = (0..50_000)
            .map(|i| (f64::from(i), f64::from(i % 7)))
            .collect();
        let mut c = chart(vec![series("huge", huge.clone(), Style::Line)]);
        c.series.extend((0..12).map(|i| {
            series(
                &format!("series number {i} with a long name"),
                huge.clone(),
                Style::Points,
            )
        }));
        let svg = line_chart(&c);
        check(&svg);
        assert!(svg.contains("+") && svg.contains(" more</text>"));
    }

    #[test]
    fn log_axis_labels_decades() {
        let points: Vec<(f64, f64)> = (1..=70)
            .map(|i| (f64::from(i), f64::from(i) / 70.0))
            .collect();
        let mut c = chart(vec![series("ecdf", points, Style::Step)]);
        c.x_log = true;
        let svg = line_chart(&c);
        check(&svg);
        for label in [">1</text>", ">10</text>", ">100</text>", ">20</text>"] {
            assert!(svg.contains(label), "{label}");
        }
    }

    #[test]
    fn intervals_grow_and_handle_bad_rows() {
        let row = |label: &str, estimate: f64, low: f64, high: f64| Interval {
            label: label.into(),
            estimate,
            low,
            high,
            color: 1,
        };
        let rows = vec![
            row("KR <&>", 0.1, -0.2, 0.3),
            row("JP", f64::NAN, 0.5, 0.1),
            row("US", 2.0, 1.0, f64::NAN),
        ];
        let small = intervals("Diff", "Δ share", &rows, Some(0.0));
        check(&small);
        assert!(small.contains(">KR &lt;&amp;&gt;</text>") && small.contains("n/a [0.5, 0.1]"));
        let many: Vec<Interval> = (0..40)
            .map(|i| row(&format!("m{i}"), 1.0, 0.0, 2.0))
            .collect();
        let big = intervals("Diff", "Δ", &many, Some(f64::NAN));
        check(&big);
        assert!(view_height(&big) > view_height(&small) + 30.0 * 24.0);
        assert!(intervals("t", "x", &[], None).contains(">no data</text>"));
        check(&intervals(
            "t",
            "x",
            &[row("x", f64::NAN, f64::NAN, f64::NAN)],
            Some(1.0),
        ));
    }

    #[test]
    fn stacked_bars_draw_what_is_given() {
        let cats: Vec<String> = ["K-pop", "J-pop", "Other"].map(String::from).to_vec();
        let rows = vec![
            ("KR".to_string(), vec![60.0, 10.0, 30.0]),
            ("Odd & ends".to_string(), vec![f64::NAN, -5.0, 70.0, 50.0]),
            ("Empty".to_string(), Vec::new()),
        ];
        let svg = stacked_bars("Share", &cats, &rows);
        check(&svg);
        assert!(svg.contains("<title>KR — K-pop: 60%</title>") && svg.contains(">60%</text>"));
        // Shares of one whole: the axis stops at 100%, and a row summing to
        // 120% is scaled to its whole (70 and 50 of 120).
        assert!(
            svg.contains("Odd &amp; ends — ?: 41.7%"),
            "value without a category, scaled"
        );
        assert!(svg.contains(">100%</text>"), "axis to 100%");
        assert!(!svg.contains(">120%</text>") && !svg.contains(">150%</text>"));
        assert!(stacked_bars("t", &cats, &[]).contains(">no data</text>"));
        check(&stacked_bars("t", &[], &rows));
    }

    #[test]
    fn tile_table_is_consistent_and_complete() {
        let table = tile_table();
        for (i, a) in table.iter().enumerate() {
            for b in &table[i + 1..] {
                assert!(
                    a.code != b.code && (a.col, a.row) != (b.col, b.row),
                    "{a:?} {b:?}"
                );
            }
        }
        let required = "AD AE AR AT AU BE BG BO BR BY CA CH CL CO CR CY CZ DE DK DO EC EE EG ES FI FR \
            GB GR GT HK HN HU ID IE IL IN IS IT JP KR KZ LT LU LV MA MT MX MY NG NI NL NO NZ PA PE PH PK \
            PL PT PY RO RU SA SE SG SK SV TH TR TW UA US UY VN ZA CN IR IQ KE GH DZ LK BD VE CU JM RS HR \
            SI BA MD GE AM AZ UZ KW QA BH OM JO LB MN KH LA MM NP TN ET TZ UG SN CI CM AO ZW ZM";
        for code in required.split_whitespace() {
            assert!(table.iter().any(|t| t.code == code), "{code} missing");
        }
    }

    #[test]
    fn tile_map_shows_every_code_and_no_data() {
        let values: Vec<(String, Option<f64>)> = vec![
            ("KR".into(), Some(80.0)),
            ("jp".into(), Some(20.0)),
            ("US".into(), None),
            ("XK".into(), Some(5.0)),
            ("ZZ<&>".into(), Some(f64::NAN)),
            ("KR".into(), Some(1.0)),
        ];
        let svg = tile_map("K-pop share", &values, "%", None);
        check(&svg);
        for code in ["KR", "JP", "US", "XK", "ZZ&lt;&amp;&gt;", "FR"] {
            assert!(svg.contains(&format!(r#"data-code="{code}""#)), "{code}");
        }
        assert_eq!(svg.matches("data-code=").count(), tile_table().len() + 2);
        assert!(svg.contains("<title>South Korea: 80 %</title>") && svg.contains("XK: 5 %"));
        assert!(svg.contains("<title>United States: no data</title>"));
        assert!(svg.contains("<title>France: no data</title>") && svg.contains(">no data</text>"));
        assert!(
            svg.contains(&format!(r#"fill="{}""#, ramp(1.0))),
            "max value gets the darkest colour"
        );
        let capped = tile_map("t", &values, "", Some(160.0));
        assert!(
            capped.contains(&format!(r#"fill="{}""#, ramp(0.5)))
                && capped.contains("<title>Japan: 20</title>")
        );
        check(&tile_map("Empty", &[], "", Some(f64::NAN)));
        check(&tile_map(
            "Negative",
            &[("KR".into(), Some(-3.0))],
            "x",
            None,
        ));
    }
}
