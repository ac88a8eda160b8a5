//! Statistics used by the study report (K-pop vs J-pop reach).
//!
//! Everything here is deterministic and panic-free: degenerate input (empty
//! slices, NaN, a single element, a zero total) yields `None` (or an empty
//! result) instead of a panic. Each function's doc comment states the formula
//! it computes, so that the report can cite it.
//!
//! Contents:
//! - [`Rng`]: a reproducible random stream (ChaCha8 seeded from a `u64`).
//! - Location: [`quantile`] (type 7), [`median`], [`mean`].
//! - Uncertainty: [`Bootstrap`] percentile intervals ([`Interval`]).
//! - Concentration: [`gini`], [`hhi`], [`entropy`], [`effective_number`].
//! - Survival: [`kaplan_meier`], [`survival_at`], [`median_survival`].
//! - Diffusion: [`bass_cdf`], [`fit_bass`].

use std::cmp::Ordering;

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

// ---------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------

/// Reproducible random stream: ChaCha8 seeded from a `u64`
/// (`rand_chacha::ChaCha8Rng::seed_from_u64`).
///
/// The same seed always gives the same sequence, on every platform.
#[derive(Debug, Clone)]
pub struct Rng {
    inner: ChaCha8Rng,
}

impl Rng {
    /// A stream seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng {
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Uniform index in `0..n` for `n > 0`, without modulo bias.
    ///
    /// Lemire's multiply-shift method: for a uniform word `x` of `w` bits,
    /// `m = x * n` (in `2w` bits); the index is `m >> w`. Draws whose low
    /// half `m mod 2^w` falls below `2^w mod n` are rejected and redrawn,
    /// which makes every index exactly equally likely. 32-bit words are used
    /// when `n` fits in a `u32`, 64-bit words otherwise.
    ///
    /// `n == 0` has no valid index; it returns 0 (as does `n == 1`) without
    /// drawing.
    #[inline]
    pub fn index(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        if let Ok(n32) = u32::try_from(n) {
            let mut product = u64::from(self.inner.next_u32()) * u64::from(n32);
            let mut low = product as u32;
            if low < n32 {
                let threshold = n32.wrapping_neg() % n32;
                while low < threshold {
                    product = u64::from(self.inner.next_u32()) * u64::from(n32);
                    low = product as u32;
                }
            }
            (product >> 32) as usize
        } else {
            let n64 = n as u64;
            let mut product = u128::from(self.inner.next_u64()) * u128::from(n64);
            let mut low = product as u64;
            if low < n64 {
                let threshold = n64.wrapping_neg() % n64;
                while low < threshold {
                    product = u128::from(self.inner.next_u64()) * u128::from(n64);
                    low = product as u64;
                }
            }
            (product >> 64) as usize
        }
    }

    /// Fills `out` with independent uniform indices in `0..n`, drawn as by
    /// repeated [`Rng::index`] calls (a tight loop that does not depend on
    /// the item type being resampled).
    fn fill_indices(&mut self, n: usize, out: &mut [usize]) {
        for slot in out.iter_mut() {
            *slot = self.index(n);
        }
    }
}

// ---------------------------------------------------------------------------
// Location
// ---------------------------------------------------------------------------

/// Quantile with linear interpolation between order statistics (Hyndman–Fan
/// type 7, the same as SQL `percentile_cont`, R's default and NumPy's
/// `linear`).
///
/// With the ascending values `x_0 <= ... <= x_{n-1}` (0-based),
/// `h = (n - 1) q`, `j = floor(h)`:
/// `Q(q) = x_j + (h - j) (x_{j+1} - x_j)` (and `Q(1) = x_{n-1}`).
///
/// `sorted` must be ascending (this is not checked). Returns `None` when
/// `sorted` is empty or `q` is outside `[0, 1]` (or NaN).
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let last = sorted.len() - 1;
    let h = last as f64 * q;
    let j = (h.floor() as usize).min(last);
    let fraction = h - j as f64;
    let lower = sorted[j];
    if fraction == 0.0 || j == last {
        return Some(lower);
    }
    let upper = sorted[j + 1];
    if lower == upper {
        // Also covers equal infinities, where the difference would be NaN.
        return Some(lower);
    }
    Some(lower + fraction * (upper - lower))
}

/// Median of unsorted values; NaN values are ignored.
///
/// With the `n` remaining values in ascending order `x_(1) <= ... <= x_(n)`:
/// `x_((n+1)/2)` for odd `n`, `(x_(n/2) + x_(n/2+1)) / 2` for even `n`
/// (equal to [`quantile`] at `q = 0.5`). Infinite values take part as the
/// extremes they are. Returns `None` when there are no non-NaN values.
///
/// Runs in O(n) expected time (selection, not a full sort); copies the input
/// once.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut kept = values.to_vec();
    // Counting (rather than `any`) compiles to a branch-free, vectorised scan.
    if kept.iter().filter(|v| v.is_nan()).count() > 0 {
        kept.retain(|v| !v.is_nan());
    }
    median_in_place(&mut kept)
}

/// Median of NaN-free values, reordering them. `None` when empty.
fn median_in_place(values: &mut [f64]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mid = n / 2;
    // Without NaN, `partial_cmp` is a total order (and cheaper than `total_cmp`).
    let order = |a: &f64, b: &f64| a.partial_cmp(b).unwrap_or(Ordering::Equal);
    let (below, &mut upper, _) = values.select_nth_unstable_by(mid, order);
    if n % 2 == 1 {
        return Some(upper);
    }
    // Everything in `below` is <= upper; its maximum is the other middle value.
    let lower = maximum(below);
    if lower == upper {
        return Some(lower);
    }
    Some(lower + (upper - lower) / 2.0)
}

/// Largest of NaN-free values (`-inf` when empty), in four interleaved lanes
/// so that the compiler can vectorise it.
fn maximum(values: &[f64]) -> f64 {
    let larger = |max: f64, x: f64| if x > max { x } else { max };
    let mut lanes = [f64::NEG_INFINITY; 4];
    let mut chunks = values.chunks_exact(4);
    for chunk in &mut chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            *lane = larger(*lane, x);
        }
    }
    lanes
        .iter()
        .chain(chunks.remainder())
        .fold(f64::NEG_INFINITY, |max, &x| larger(max, x))
}

/// Arithmetic mean `(1/n) sum_i x_i`, summed with Neumaier's compensated
/// summation so that the result does not depend on rounding build-up.
///
/// Returns `None` when `values` is empty or the mean is not finite (some
/// value is NaN or infinite, or the sum overflows).
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let average = compensated_sum_of(values) / values.len() as f64;
    average.is_finite().then_some(average)
}

/// 95% Wilson score interval of a proportion of `successes` in `n` trials.
///
/// With `p = successes / n` and `z = 1.959964` (the 97.5% normal quantile):
/// centre `(p + z^2 / 2n) / (1 + z^2 / n)`, half-width
/// `z sqrt(p (1 - p) / n + z^2 / 4n^2) / (1 + z^2 / n)`. Unlike the normal
/// interval it stays within [0, 1] and is not empty at `p = 0` or `1`.
/// Returns `None` when `n` is 0 or `successes > n`.
pub fn wilson(successes: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 || successes > n {
        return None;
    }
    const Z: f64 = 1.959_963_984_540_054;
    let (k, n) = (successes as f64, n as f64);
    let p = k / n;
    let z2 = Z * Z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// Running sum with Neumaier's improved Kahan compensation: the rounding
/// error of every addition is collected separately and added back at the end.
#[derive(Debug, Clone, Copy, Default)]
struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    #[inline]
    fn add(&mut self, value: f64) {
        let next = self.sum + value;
        let lost = if self.sum.abs() >= value.abs() {
            (self.sum - next) + value
        } else {
            (value - next) + self.sum
        };
        self.compensation += lost;
        self.sum = next;
    }

    fn total(self) -> f64 {
        self.sum + self.compensation
    }
}

/// Compensated sum of a sequence of values.
fn compensated_sum(values: impl Iterator<Item = f64>) -> f64 {
    let mut accumulator = CompensatedSum::default();
    values.for_each(|value| accumulator.add(value));
    accumulator.total()
}

/// Compensated sum of a slice, in four interleaved lanes (which the compiler
/// can vectorise), merged at the end.
fn compensated_sum_of(values: &[f64]) -> f64 {
    let mut lanes = [CompensatedSum::default(); 4];
    let mut chunks = values.chunks_exact(4);
    for chunk in &mut chunks {
        for (lane, &value) in lanes.iter_mut().zip(chunk) {
            lane.add(value);
        }
    }
    let mut accumulator = CompensatedSum::default();
    for lane in lanes {
        accumulator.add(lane.sum);
        accumulator.add(lane.compensation);
    }
    chunks
        .remainder()
        .iter()
        .for_each(|&value| accumulator.add(value));
    accumulator.total()
}

// ---------------------------------------------------------------------------
// Bootstrap
// ---------------------------------------------------------------------------

/// A point estimate with a two-sided percentile interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The statistic on the full (original) sample.
    pub estimate: f64,
    /// Lower end of the interval: the `(1 - level)/2` quantile of the
    /// bootstrap distribution.
    pub low: f64,
    /// Upper end of the interval: the `1 - (1 - level)/2` quantile of the
    /// bootstrap distribution.
    pub high: f64,
}

/// Cap on the up-front allocation for resample values (more still fit; the
/// vector then grows), so that an absurd `resamples` cannot abort on
/// allocation before doing any work.
const MAX_PREALLOCATED_DRAWS: usize = 1 << 20;

/// Percentile bootstrap settings.
///
/// Each resample draws `n` items with replacement from the `n` original
/// items (uniformly, with [`Rng::index`]); the interval ends are type-7
/// [`quantile`]s of the statistic over the resamples. The same settings on
/// the same data always give the same interval.
#[derive(Debug, Clone, Copy)]
pub struct Bootstrap {
    /// Number of bootstrap resamples (e.g. 2000).
    pub resamples: usize,
    /// Seed of the [`Rng`] stream that draws the resamples.
    pub seed: u64,
    /// Coverage of the two-sided interval, in `(0, 1)`; e.g. 0.95.
    pub level: f64,
}

impl Bootstrap {
    /// Percentile bootstrap interval of one statistic.
    ///
    /// Estimate = `stat(items)`; interval = the `(1 - level)/2` and
    /// `1 - (1 - level)/2` quantiles (type 7) of `stat` over `resamples`
    /// resamples of `items` drawn with replacement (each the same size as
    /// `items`). Resamples where `stat` returns `None` or a non-finite value
    /// are skipped.
    ///
    /// Returns `None` when `items` is empty, `stat(items)` is `None` or not
    /// finite, `level` is not in `(0, 1)`, or fewer than half of the
    /// resamples (or none at all) are usable.
    ///
    /// One resample buffer is reused across rounds (no allocation per round).
    pub fn one<T: Clone>(
        &self,
        items: &[T],
        stat: impl Fn(&[T]) -> Option<f64>,
    ) -> Option<Interval> {
        if items.is_empty() {
            return None;
        }
        let alpha = self.tail()?;
        let estimate = finite(stat(items))?;
        let mut rng = Rng::new(self.seed);
        let mut resampler = Resampler::new(items);
        let mut draws = Vec::with_capacity(self.resamples.min(MAX_PREALLOCATED_DRAWS));
        for _ in 0..self.resamples {
            if let Some(value) = finite(stat(resampler.draw(&mut rng))) {
                draws.push(value);
            }
        }
        self.interval(estimate, alpha, draws)
    }

    /// Percentile bootstrap interval of the difference
    /// `stat_a(a) - stat_b(b)` between two independent samples.
    ///
    /// Stratified bootstrap: in every round `a` and `b` are each resampled
    /// with replacement at their own size (first `a`, then `b`, from one
    /// [`Rng`] stream seeded with `seed`), and the round's value is
    /// `stat_a(a*) - stat_b(b*)`. Rounds where either statistic is `None`
    /// or the difference is not finite are skipped. Interval ends and `None`
    /// conditions are as in [`Bootstrap::one`] (either sample empty gives
    /// `None`).
    pub fn difference<A: Clone, B: Clone>(
        &self,
        a: &[A],
        b: &[B],
        stat_a: impl Fn(&[A]) -> Option<f64>,
        stat_b: impl Fn(&[B]) -> Option<f64>,
    ) -> Option<Interval> {
        if a.is_empty() || b.is_empty() {
            return None;
        }
        let alpha = self.tail()?;
        let estimate = finite(Some(stat_a(a)? - stat_b(b)?))?;
        let mut rng = Rng::new(self.seed);
        let mut resampler_a = Resampler::new(a);
        let mut resampler_b = Resampler::new(b);
        let mut draws = Vec::with_capacity(self.resamples.min(MAX_PREALLOCATED_DRAWS));
        for _ in 0..self.resamples {
            let value_a = stat_a(resampler_a.draw(&mut rng));
            let value_b = stat_b(resampler_b.draw(&mut rng));
            let round = match (value_a, value_b) {
                (Some(x), Some(y)) => finite(Some(x - y)),
                _ => None,
            };
            if let Some(value) = round {
                draws.push(value);
            }
        }
        self.interval(estimate, alpha, draws)
    }

    /// The percentile interval of statistics drawn by a caller's own
    /// resampling (several samples, a multi-output fit), by the same rules
    /// as [`Bootstrap::one`]: non-finite draws are dropped, and fewer than
    /// half of `resamples` usable draws, or a non-finite estimate, give `None`.
    pub fn from_draws(&self, estimate: f64, draws: Vec<f64>) -> Option<Interval> {
        let alpha = self.tail()?;
        let estimate = finite(Some(estimate))?;
        let draws = draws.into_iter().filter(|v| v.is_finite()).collect();
        self.interval(estimate, alpha, draws)
    }

    /// `(1 - level) / 2`, or `None` when `level` is not in `(0, 1)`.
    fn tail(&self) -> Option<f64> {
        (self.level > 0.0 && self.level < 1.0).then_some((1.0 - self.level) / 2.0)
    }

    /// Percentile interval from the usable resample values.
    fn interval(&self, estimate: f64, alpha: f64, mut draws: Vec<f64>) -> Option<Interval> {
        if draws.is_empty() || draws.len() < self.resamples.div_ceil(2) {
            return None;
        }
        draws.sort_unstable_by(f64::total_cmp);
        Some(Interval {
            estimate,
            low: quantile(&draws, alpha)?,
            high: quantile(&draws, 1.0 - alpha)?,
        })
    }
}

/// Scratch space for resampling one sample: the resample itself and the
/// drawn indices, both of the sample's size and reused every round.
struct Resampler<'a, T> {
    items: &'a [T],
    resample: Vec<T>,
    indices: Vec<usize>,
}

impl<'a, T: Clone> Resampler<'a, T> {
    fn new(items: &'a [T]) -> Self {
        Resampler {
            items,
            resample: items.to_vec(),
            indices: vec![0; items.len()],
        }
    }

    /// Draws a new resample of the items with replacement (same size).
    fn draw(&mut self, rng: &mut Rng) -> &[T] {
        // Drawing all indices first keeps the random-number loop tight and
        // independent of `T`.
        rng.fill_indices(self.items.len(), &mut self.indices);
        for (slot, &index) in self.resample.iter_mut().zip(&self.indices) {
            if let Some(item) = self.items.get(index) {
                slot.clone_from(item);
            }
        }
        &self.resample
    }
}

/// `Some(v)` only for finite `v`.
fn finite(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

// ---------------------------------------------------------------------------
// Concentration
// ---------------------------------------------------------------------------

/// Gini coefficient of non-negative values: 0 when all are equal, up to
/// `(n - 1)/n` when one value holds everything.
///
/// `G = sum_i sum_j |x_i - x_j| / (2 n^2 mean)`, computed in O(n log n) from
/// the ascending values `x_(1) <= ... <= x_(n)` through the identity
/// `G = sum_{i=1..n} (2i - n - 1) x_(i) / (n sum_i x_i)`.
///
/// Returns `None` when `values` is empty, any value is negative or not
/// finite, or the sum is 0.
pub fn gini(values: &[f64]) -> Option<f64> {
    let total = checked_total(values)?;
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let weighted = compensated_sum(
        sorted
            .iter()
            .enumerate()
            .map(|(i, &x)| (2.0 * (i as f64 + 1.0) - n - 1.0) * x),
    );
    Some((weighted / (n * total)).max(0.0))
}

/// Herfindahl–Hirschman index of non-negative values: `HHI = sum_i s_i^2`
/// with shares `s_i = x_i / sum_j x_j`; it lies in `[1/n, 1]` (1/n for equal
/// values, 1 when one value holds everything).
///
/// Returns `None` when `values` is empty, any value is negative or not
/// finite, or the sum is 0.
pub fn hhi(values: &[f64]) -> Option<f64> {
    let total = checked_total(values)?;
    Some(compensated_sum(values.iter().map(|&x| {
        let share = x / total;
        share * share
    })))
}

/// Shannon entropy in nats of the shares of non-negative weights:
/// `H = -sum_i s_i ln s_i` with `s_i = w_i / sum_j w_j`; zero weights
/// contribute 0 (the limit of `s ln s`). It lies in `[0, ln k]` for `k`
/// non-zero weights.
///
/// Returns `None` when `weights` is empty, any weight is negative or not
/// finite, or the sum is 0.
pub fn entropy(weights: &[f64]) -> Option<f64> {
    let total = checked_total(weights)?;
    let h = compensated_sum(weights.iter().filter(|&&w| w > 0.0).map(|&w| {
        let share = w / total;
        -share * share.ln()
    }));
    Some(h.max(0.0))
}

/// Effective number of categories `exp(H)`, with `H` the [`entropy`] of the
/// shares: `k` for `k` equal non-zero weights, 1 when one weight holds
/// everything. `None` under the same conditions as [`entropy`].
pub fn effective_number(weights: &[f64]) -> Option<f64> {
    entropy(weights).map(f64::exp)
}

/// Sum of `values` when non-empty, all finite and non-negative, and the sum
/// is positive and finite.
fn checked_total(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return None;
    }
    let total = compensated_sum_of(values);
    (total > 0.0 && total.is_finite()).then_some(total)
}

// ---------------------------------------------------------------------------
// Survival
// ---------------------------------------------------------------------------

/// One spell: how many periods an item stayed (>= 1), and whether it was
/// still there when observation ended (censored) rather than seen to leave
/// (event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spell {
    /// Number of periods the item was observed on (e.g. weeks on chart).
    pub periods: u32,
    /// `true` when the item was still on at the end of observation (right
    /// censored); `false` when it was seen to leave after `periods`.
    pub censored: bool,
}

/// One step of a Kaplan–Meier curve, at a distinct spell length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalStep {
    /// Time in periods.
    pub time: u32,
    /// Number at risk `n_t`: spells with `periods >= time`.
    pub at_risk: usize,
    /// Number of events `d_t`: uncensored spells with `periods == time`.
    pub events: usize,
    /// Number of censored spells with `periods == time`.
    pub censored: usize,
    /// `S(time)`: probability of still being on after `time` periods.
    pub survival: f64,
}

/// Kaplan–Meier product-limit estimate of the survival function.
///
/// At each distinct time `t` with `d_t` events and `n_t` spells at risk
/// (spells with `periods >= t`): `S(t) = prod_{s <= t} (1 - d_s / n_s)`.
/// Censored spells at `t` count as at risk at `t` (the usual convention:
/// events come before censorings at tied times).
///
/// Returns one step per distinct time (with an event or a censoring), in
/// ascending time. Empty input gives an empty `Vec`.
pub fn kaplan_meier(spells: &[Spell]) -> Vec<SurvivalStep> {
    let mut sorted = spells.to_vec();
    sorted.sort_unstable_by_key(|spell| spell.periods);
    let mut steps = Vec::new();
    let mut survival = 1.0_f64;
    let mut start = 0;
    while start < sorted.len() {
        let time = sorted[start].periods;
        let group = sorted[start..]
            .iter()
            .take_while(|spell| spell.periods == time)
            .count();
        let censored = sorted[start..start + group]
            .iter()
            .filter(|spell| spell.censored)
            .count();
        let events = group - censored;
        let at_risk = sorted.len() - start;
        survival *= 1.0 - events as f64 / at_risk as f64;
        steps.push(SurvivalStep {
            time,
            at_risk,
            events,
            censored,
            survival,
        });
        start += group;
    }
    steps
}

/// `S(k)` read off the steps of [`kaplan_meier`]: the survival of the last
/// step with `time <= k`; 1.0 before the first step; after the last step its
/// value carries on.
pub fn survival_at(steps: &[SurvivalStep], k: u32) -> f64 {
    let count = steps.partition_point(|step| step.time <= k);
    match count.checked_sub(1) {
        Some(last) => steps[last].survival,
        None => 1.0,
    }
}

/// Median survival time: the smallest step time with `S(t) <= 0.5`, or
/// `None` if the curve never gets there.
pub fn median_survival(steps: &[SurvivalStep]) -> Option<u32> {
    steps
        .iter()
        .find(|step| step.survival <= 0.5)
        .map(|step| step.time)
}

// ---------------------------------------------------------------------------
// Bass diffusion
// ---------------------------------------------------------------------------

/// Bass cumulative adoption
/// `F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})` for `t >= 0`,
/// with innovation coefficient `p > 0` and imitation coefficient `q >= 0`.
///
/// `F(0) = 0`, `F` increases to 1. Returns 0 for `t <= 0` and NaN when `t`
/// is NaN or `p`, `q` are outside their domain (or not finite).
pub fn bass_cdf(t: f64, p: f64, q: f64) -> f64 {
    let valid = p > 0.0 && p.is_finite() && q >= 0.0 && q.is_finite();
    if !valid || t.is_nan() {
        return f64::NAN;
    }
    if t <= 0.0 {
        return 0.0;
    }
    // e^{-(p+q)t} - 1 via exp_m1: accurate for small (p + q) t, and one
    // transcendental call for both the numerator and the denominator.
    let decay_minus_one = (-(p + q) * t).exp_m1();
    -decay_minus_one / (1.0 + (q / p) * (1.0 + decay_minus_one))
}

/// A least-squares fit of the Bass model `m F(t; p, q)` (see [`fit_bass`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BassFit {
    /// Innovation coefficient `p`.
    pub p: f64,
    /// Imitation coefficient `q`.
    pub q: f64,
    /// Ceiling: share of potential adopters that eventually adopt.
    pub m: f64,
    /// Sum of squared errors `sum_i (y_i - m F(t_i; p, q))^2`.
    pub sse: f64,
    /// `1 - sse / sum_i (y_i - mean y)^2` (reported as 0 when all shares are
    /// equal, so the total sum of squares is 0).
    pub r2: f64,
    /// Number of points fitted.
    pub points: usize,
}

/// The search range of [`fit_bass`]: `p in [BASS_P_MIN, BASS_P_MAX]`, `q in
/// [0, BASS_Q_MAX]` (per period). A fit at an end of a range is no estimate.
pub const BASS_P_MIN: f64 = 1e-5;
/// See [`BASS_P_MIN`].
pub const BASS_P_MAX: f64 = 1.0;
/// See [`BASS_P_MIN`].
pub const BASS_Q_MAX: f64 = 3.0;
const BASS_M_MIN: f64 = 1e-12;
/// Grid points per decade of `p` in the coarse search.
const BASS_P_PER_DECADE: usize = 6;
/// Step of the linear `q` grid in the coarse search.
const BASS_Q_STEP: f64 = 0.1;

/// Least-squares fit of observed cumulative adoption shares `y_i` at times
/// `t_i` (in periods, `t >= 0`; `y` normally in `[0, 1]`) to `m F(t; p, q)`
/// (see [`bass_cdf`]).
///
/// Minimises `SSE = sum_i (y_i - m F(t_i))^2` over `p in [1e-5, 1]`,
/// `q in [0, 3]`, `m in (0, 1]`. For fixed `(p, q)` the best `m` is closed
/// form, `m = sum_i y_i F_i / sum_i F_i^2`, clamped to `(0, 1]` (the SSE is
/// a parabola in `m`). `(p, q)` is searched on a coarse grid (6 points per
/// decade of `p`, `q` in steps of 0.1), then refined with Nelder–Mead on
/// `(ln p, q)` (twice, the second run restarted from the first's optimum).
///
/// Returns `None` when there are fewer than 3 points, `times` and `shares`
/// differ in length, any input is non-finite, a time is negative, no time is
/// positive (then `F` is identically 0), or all shares are 0.
pub fn fit_bass(times: &[f64], shares: &[f64]) -> Option<BassFit> {
    let points = times.len();
    let valid = points >= 3
        && shares.len() == points
        && times.iter().all(|t| t.is_finite() && *t >= 0.0)
        && times.iter().any(|t| *t > 0.0)
        && shares.iter().all(|y| y.is_finite())
        && shares.iter().any(|y| *y != 0.0);
    if !valid {
        return None;
    }

    let mut objective = BassObjective {
        times,
        shares,
        cdf: vec![0.0; points],
    };
    let ln_p_min = BASS_P_MIN.ln();
    let ln_p_max = BASS_P_MAX.ln();

    // Coarse grid: log-spaced p, linear q. On the grid e^{-(p+q)t} is the
    // product of precomputed e^{-pt} and e^{-qt}, which saves the
    // exponentials.
    let p_steps = BASS_P_PER_DECADE * 5; // five decades from 1e-5 to 1
    let q_steps = (BASS_Q_MAX / BASS_Q_STEP).round() as usize;
    let q_grid: Vec<f64> = (0..=q_steps)
        .map(|j| BASS_Q_MAX * j as f64 / q_steps as f64)
        .collect();
    let q_decays: Vec<f64> = q_grid
        .iter()
        .flat_map(|&q| times.iter().map(move |&t| (-q * t).exp()))
        .collect();
    let mut p_decays = vec![0.0; points];
    let mut best = ([ln_p_min, 0.0], f64::INFINITY);
    for i in 0..=p_steps {
        let ln_p = ln_p_min + (ln_p_max - ln_p_min) * i as f64 / p_steps as f64;
        let p = ln_p.exp();
        for (decay, &t) in p_decays.iter_mut().zip(times) {
            *decay = (-p * t).exp();
        }
        for (&q, q_decay) in q_grid.iter().zip(q_decays.chunks_exact(points)) {
            let (_, sse) = objective.evaluate_from_decays(q / p, &p_decays, q_decay);
            if sse < best.1 {
                best = ([ln_p, q], sse);
            }
        }
    }

    // Refinement on (ln p, q), kept inside the box by a projection penalty.
    let lower = [ln_p_min, 0.0];
    let upper = [ln_p_max, BASS_Q_MAX];
    let mut penalised = |x: [f64; 2]| {
        let (inside, distance2) = project(x, lower, upper);
        objective.evaluate(inside[0].exp(), inside[1]).1 + distance2
    };
    let grid_step = (ln_p_max - ln_p_min) / p_steps as f64;
    let first = nelder_mead_2d(&mut penalised, best.0, [grid_step, BASS_Q_STEP], 400);
    let second = nelder_mead_2d(
        &mut penalised,
        first.0,
        [grid_step / 4.0, BASS_Q_STEP / 4.0],
        400,
    );
    let refined = if second.1 <= first.1 { second } else { first };
    let candidate = if refined.1 <= best.1 {
        refined.0
    } else {
        best.0
    };
    let (x, _) = project(candidate, lower, upper);

    let p = x[0].exp().clamp(BASS_P_MIN, BASS_P_MAX);
    let q = x[1].clamp(0.0, BASS_Q_MAX);
    let (m, sse) = objective.evaluate(p, q);
    let y_mean = compensated_sum_of(shares) / points as f64;
    let total = compensated_sum(shares.iter().map(|y| (y - y_mean) * (y - y_mean)));
    let r2 = if total > 0.0 { 1.0 - sse / total } else { 0.0 };
    Some(BassFit {
        p,
        q,
        m,
        sse,
        r2,
        points,
    })
}

/// The Bass least-squares objective with `m` profiled out.
struct BassObjective<'a> {
    times: &'a [f64],
    shares: &'a [f64],
    /// Scratch space for `F(t_i)`, reused across evaluations.
    cdf: Vec<f64>,
}

impl BassObjective<'_> {
    /// Best `m` for `(p, q)` and the resulting SSE.
    fn evaluate(&mut self, p: f64, q: f64) -> (f64, f64) {
        for (f, &t) in self.cdf.iter_mut().zip(self.times) {
            *f = bass_cdf(t, p, q);
        }
        self.fit_scale()
    }

    /// As [`BassObjective::evaluate`], with `e^{-(p+q)t_i}` given as the
    /// product `p_decay[i] * q_decay[i]` and `ratio = q / p`. Slightly less
    /// accurate than [`bass_cdf`] for tiny `(p+q)t`; used for the grid.
    fn evaluate_from_decays(&mut self, ratio: f64, p_decay: &[f64], q_decay: &[f64]) -> (f64, f64) {
        for ((f, &a), &b) in self.cdf.iter_mut().zip(p_decay).zip(q_decay) {
            let decay = a * b;
            *f = (1.0 - decay) / (1.0 + ratio * decay);
        }
        self.fit_scale()
    }

    /// Given `F(t_i)` in `cdf`: `m = sum y F / sum F^2` clamped to `(0, 1]`,
    /// and `SSE = sum (y - m F)^2`.
    fn fit_scale(&self) -> (f64, f64) {
        let mut cross = 0.0;
        let mut square = 0.0;
        for (&f, &y) in self.cdf.iter().zip(self.shares) {
            cross += y * f;
            square += f * f;
        }
        let m = if square > 0.0 {
            (cross / square).clamp(BASS_M_MIN, 1.0)
        } else {
            1.0
        };
        let sse = self
            .cdf
            .iter()
            .zip(self.shares)
            .map(|(f, y)| {
                let residual = y - m * f;
                residual * residual
            })
            .sum::<f64>();
        // Non-finite values (which valid inputs do not produce) lose every comparison.
        (m, if sse.is_nan() { f64::INFINITY } else { sse })
    }
}

/// `x` clamped into the box `[lower, upper]`, and the squared distance moved.
fn project(x: [f64; 2], lower: [f64; 2], upper: [f64; 2]) -> ([f64; 2], f64) {
    let mut inside = x;
    let mut distance2 = 0.0;
    for k in 0..2 {
        inside[k] = x[k].clamp(lower[k], upper[k]);
        let moved = x[k] - inside[k];
        distance2 += moved * moved;
    }
    (inside, distance2)
}

/// Nelder–Mead minimisation in two dimensions (reflection 1, expansion 2,
/// contraction 1/2, shrink 1/2). Starts from the simplex `start`,
/// `start + step_0 e_0`, `start + step_1 e_1`; stops when both the spread of
/// values and the simplex size are negligible, or after `max_iterations`.
/// Returns the best vertex and its value.
fn nelder_mead_2d(
    f: &mut impl FnMut([f64; 2]) -> f64,
    start: [f64; 2],
    step: [f64; 2],
    max_iterations: usize,
) -> ([f64; 2], f64) {
    let mut simplex = [
        start,
        [start[0] + step[0], start[1]],
        [start[0], start[1] + step[1]],
    ];
    let mut values = [f(simplex[0]), f(simplex[1]), f(simplex[2])];
    let along = |from: [f64; 2], to: [f64; 2], t: f64| {
        [
            from[0] + t * (to[0] - from[0]),
            from[1] + t * (to[1] - from[1]),
        ]
    };

    for _ in 0..max_iterations {
        // Order the vertices: best, middle, worst.
        let mut order = [0, 1, 2];
        order.sort_unstable_by(|&i, &j| values[i].total_cmp(&values[j]));
        simplex = order.map(|i| simplex[i]);
        values = order.map(|i| values[i]);

        let spread = values[2] - values[0];
        let size = (1..3)
            .flat_map(|v| (0..2).map(move |k| (v, k)))
            .map(|(v, k)| (simplex[v][k] - simplex[0][k]).abs())
            .fold(0.0, f64::max);
        if spread <= 1e-14 * values[0].abs() + 1e-30 && size <= 1e-9 {
            break;
        }

        let centroid = along(simplex[0], simplex[1], 0.5);
        let reflected = along(centroid, simplex[2], -1.0);
        let reflected_value = f(reflected);
        if reflected_value < values[0] {
            let expanded = along(centroid, simplex[2], -2.0);
            let expanded_value = f(expanded);
            if expanded_value < reflected_value {
                (simplex[2], values[2]) = (expanded, expanded_value);
            } else {
                (simplex[2], values[2]) = (reflected, reflected_value);
            }
            continue;
        }
        if reflected_value < values[1] {
            (simplex[2], values[2]) = (reflected, reflected_value);
            continue;
        }
        // Contract towards the better of the reflected and the worst point.
        let (contracted, contracted_value) = if reflected_value < values[2] {
            let outside = along(centroid, simplex[2], -0.5);
            (outside, f(outside))
        } else {
            let inside = along(centroid, simplex[2], 0.5);
            (inside, f(inside))
        };
        if contracted_value < values[2].min(reflected_value) {
            (simplex[2], values[2]) = (contracted, contracted_value);
            continue;
        }
        // Shrink towards the best vertex.
        for v in 1..3 {
            simplex[v] = along(simplex[0], simplex[v], 0.5);
            values[v] = f(simplex[v]);
        }
    }

    let best = (0..3)
        .min_by(|&i, &j| values[i].total_cmp(&values[j]))
        .unwrap_or(0);
    (simplex[best], values[best])
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    #[test]
    fn wilson_interval_matches_hand_computation() {
        // 8 of 10: p = 0.8, z^2 = 3.8415; centre = (0.8 + 0.19207) / 1.38415
        // = 0.71674; half = 1.96 * sqrt(0.016 + 0.0096) / 1.38415 = 0.22657.
        let (low, high) = wilson(8, 10).unwrap();
        assert!((low - 0.4902).abs() < 1e-4, "{low}");
        assert!((high - 0.9433).abs() < 1e-4, "{high}");
        // 0 of 5 still has an upper end; n = 0 has no interval.
        let (low, high) = wilson(0, 5).unwrap();
        assert!(low == 0.0 && (high - 0.4345).abs() < 1e-4, "{high}");
        assert_eq!(wilson(0, 0), None);
        assert_eq!(wilson(3, 2), None);
    }

    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
        (actual - expected).abs() <= tolerance
    }

    fn relative(actual: f64, expected: f64) -> f64 {
        ((actual - expected) / expected).abs()
    }

    #[test]
    fn quantile_type_7() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&x, 0.25), Some(1.75));
        assert_eq!(quantile(&x, 0.5), Some(2.5));
        assert_eq!(quantile(&x, 0.0), Some(1.0));
        assert_eq!(quantile(&x, 1.0), Some(4.0));
        // h = 3 * 0.9 = 2.7 -> 3 + 0.7 * 1
        assert!(close(quantile(&x, 0.9).unwrap(), 3.7, 1e-12));
        assert_eq!(quantile(&[7.0], 0.3), Some(7.0));
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&x, -0.1), None);
        assert_eq!(quantile(&x, 1.1), None);
        assert_eq!(quantile(&x, f64::NAN), None);
    }

    #[test]
    fn median_and_mean() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[1.0, 2.0, 3.0, 4.0]), Some(2.5));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 3.0, 1.0]), Some(2.0));
        assert_eq!(median(&[5.0]), Some(5.0));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN]), None);
        assert_eq!(mean(&[1.0, 2.0, 3.0, 4.0]), Some(2.5));
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[1.0, f64::NAN]), None);
        // Compensated summation: the 1.0s survive next to 1e16.
        assert_eq!(mean(&[1e16, 1.0, 1.0, -1e16]), Some(0.5));
    }

    #[test]
    fn median_matches_quantile_on_random_data() {
        let mut rng = Rng::new(7);
        for n in 1..40 {
            let values: Vec<f64> = (0..n).map(|_| rng.index(50) as f64).collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            assert_eq!(median(&values), quantile(&sorted, 0.5), "n = {n}");
        }
    }

    #[test]
    fn concentration_measures() {
        assert_eq!(gini(&[1.0, 1.0, 1.0, 1.0]), Some(0.0));
        assert!(close(gini(&[0.0, 0.0, 0.0, 10.0]).unwrap(), 0.75, 1e-12));
        assert!(close(gini(&[10.0, 0.0, 0.0, 0.0]).unwrap(), 0.75, 1e-12));
        // Pairwise: |1-2| + |1-3| + |2-3| = 4, doubled 8; 2 n^2 mean = 2*9*2 = 36.
        assert!(close(gini(&[3.0, 1.0, 2.0]).unwrap(), 8.0 / 36.0, 1e-12));
        assert_eq!(gini(&[]), None);
        assert_eq!(gini(&[0.0, 0.0]), None);
        assert_eq!(gini(&[1.0, -1.0]), None);
        assert_eq!(gini(&[1.0, f64::NAN]), None);

        assert!(close(hhi(&[1.0, 1.0]).unwrap(), 0.5, 1e-12));
        assert_eq!(hhi(&[5.0]), Some(1.0));
        // Shares 0.75, 0.25: 0.5625 + 0.0625.
        assert!(close(hhi(&[3.0, 1.0]).unwrap(), 0.625, 1e-12));
        assert_eq!(hhi(&[]), None);
        assert_eq!(hhi(&[0.0]), None);

        assert!(close(entropy(&[1.0, 1.0]).unwrap(), 2f64.ln(), 1e-12));
        assert!(close(entropy(&[1.0, 1.0, 0.0]).unwrap(), 2f64.ln(), 1e-12));
        assert_eq!(entropy(&[4.0]), Some(0.0));
        assert_eq!(entropy(&[]), None);
        assert_eq!(entropy(&[0.0, 0.0]), None);
        assert!(close(
            effective_number(&[1.0, 1.0, 1.0, 1.0]).unwrap(),
            4.0,
            1e-12
        ));
        assert!(close(effective_number(&[2.0, 0.0]).unwrap(), 1.0, 1e-12));
    }

    #[test]
    fn gini_matches_the_pairwise_definition() {
        let mut rng = Rng::new(3);
        for n in 1..30 {
            let x: Vec<f64> = (0..n).map(|_| rng.index(100) as f64 + 1.0).collect();
            let pairs: f64 = x
                .iter()
                .flat_map(|a| x.iter().map(move |b| (a - b).abs()))
                .sum();
            let mean_x = x.iter().sum::<f64>() / n as f64;
            let expected = pairs / (2.0 * (n * n) as f64 * mean_x);
            assert!(close(gini(&x).unwrap(), expected, 1e-12), "n = {n}");
        }
    }

    fn spell(periods: u32, censored: bool) -> Spell {
        Spell { periods, censored }
    }

    #[test]
    fn kaplan_meier_hand_example() {
        let spells = [
            spell(3, false),
            spell(1, false),
            spell(5, true),
            spell(2, true),
            spell(3, false),
        ];
        let steps = kaplan_meier(&spells);
        let expected = [
            (1, 5, 1, 0, 0.8),
            (2, 4, 0, 1, 0.8),
            (3, 3, 2, 0, 0.8 / 3.0),
            (5, 1, 0, 1, 0.8 / 3.0),
        ];
        assert_eq!(steps.len(), expected.len());
        for (step, &(time, at_risk, events, censored, survival)) in steps.iter().zip(&expected) {
            assert_eq!(step.time, time);
            assert_eq!(step.at_risk, at_risk);
            assert_eq!(step.events, events);
            assert_eq!(step.censored, censored);
            assert!(close(step.survival, survival, 1e-12), "{step:?}");
        }
        assert_eq!(median_survival(&steps), Some(3));
        assert!(close(survival_at(&steps, 4), 0.8 / 3.0, 1e-12));
        assert!(close(survival_at(&steps, 2), 0.8, 1e-12));
        assert!(close(survival_at(&steps, 99), 0.8 / 3.0, 1e-12));
        assert_eq!(survival_at(&steps, 0), 1.0);
    }

    #[test]
    fn kaplan_meier_edge_cases() {
        assert!(kaplan_meier(&[]).is_empty());
        assert_eq!(survival_at(&[], 3), 1.0);
        assert_eq!(median_survival(&[]), None);
        // All censored: the curve stays at 1.
        let steps = kaplan_meier(&[spell(2, true), spell(4, true)]);
        assert_eq!(steps.len(), 2);
        assert!(steps.iter().all(|s| s.survival == 1.0));
        assert_eq!(median_survival(&steps), None);
        // All leave at once.
        let steps = kaplan_meier(&[spell(2, false), spell(2, false)]);
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].survival, 0.0);
        assert_eq!(median_survival(&steps), Some(2));
    }

    #[test]
    fn bass_cdf_shape() {
        assert_eq!(bass_cdf(0.0, 0.03, 0.4), 0.0);
        assert_eq!(bass_cdf(-1.0, 0.03, 0.4), 0.0);
        assert!(bass_cdf(1.0, 0.0, 0.4).is_nan());
        assert!(bass_cdf(1.0, 0.03, -0.1).is_nan());
        assert!(close(bass_cdf(f64::INFINITY, 0.03, 0.4), 1.0, 1e-15));
        // q = 0 is the exponential 1 - e^{-pt}.
        assert!(close(bass_cdf(2.0, 0.1, 0.0), 1.0 - (-0.2f64).exp(), 1e-15));
        // Hand value: p = q = 0.5, t = 1: (1 - e^-1) / (1 + e^-1).
        let e = (-1.0f64).exp();
        assert!(close(bass_cdf(1.0, 0.5, 0.5), (1.0 - e) / (1.0 + e), 1e-15));
        let mut previous = 0.0;
        for i in 1..=400 {
            let value = bass_cdf(i as f64 * 0.25, 0.03, 0.4);
            // Strictly increasing until it saturates at 1 in floating point.
            let rising = value > previous || value > 1.0 - 1e-12;
            assert!(rising && value <= 1.0, "t = {}", i as f64 * 0.25);
            previous = value;
        }
    }

    fn bass_points(p: f64, q: f64, m: f64, noise: f64) -> (Vec<f64>, Vec<f64>) {
        let times: Vec<f64> = (1..=30).map(f64::from).collect();
        let shares = times
            .iter()
            .map(|&t| m * bass_cdf(t, p, q) + noise * (1.7 * t).sin())
            .collect();
        (times, shares)
    }

    #[test]
    fn bass_fit_recovers_noise_free_parameters() {
        let (times, shares) = bass_points(0.03, 0.4, 0.8, 0.0);
        let fit = fit_bass(&times, &shares).unwrap();
        assert!(relative(fit.p, 0.03) < 1e-3, "{fit:?}");
        assert!(relative(fit.q, 0.4) < 1e-3, "{fit:?}");
        assert!(relative(fit.m, 0.8) < 1e-3, "{fit:?}");
        assert!(fit.sse < 1e-12 && fit.r2 > 0.999_999, "{fit:?}");
        assert_eq!(fit.points, 30);
    }

    #[test]
    fn bass_fit_recovers_noisy_parameters() {
        let (times, shares) = bass_points(0.03, 0.4, 0.8, 0.005);
        let fit = fit_bass(&times, &shares).unwrap();
        assert!(relative(fit.p, 0.03) < 0.1, "{fit:?}");
        assert!(relative(fit.q, 0.4) < 0.1, "{fit:?}");
        assert!(relative(fit.m, 0.8) < 0.1, "{fit:?}");
        assert!(fit.r2 > 0.99 && fit.r2 < 1.0, "{fit:?}");
    }

    #[test]
    fn bass_fit_pure_innovation() {
        let (times, shares) = bass_points(0.05, 0.0, 0.6, 0.0);
        let fit = fit_bass(&times, &shares).unwrap();
        assert!(relative(fit.p, 0.05) < 1e-3, "{fit:?}");
        assert!(fit.q < 1e-4, "{fit:?}");
        assert!(relative(fit.m, 0.6) < 1e-3, "{fit:?}");
    }

    #[test]
    fn bass_fit_rejects_bad_input() {
        assert_eq!(fit_bass(&[1.0, 2.0], &[0.1, 0.2]), None);
        assert_eq!(fit_bass(&[1.0, 2.0, 3.0], &[0.0, 0.0, 0.0]), None);
        assert_eq!(fit_bass(&[1.0, 2.0, 3.0], &[0.1, f64::NAN, 0.3]), None);
        assert_eq!(fit_bass(&[1.0, f64::INFINITY, 3.0], &[0.1, 0.2, 0.3]), None);
        assert_eq!(fit_bass(&[1.0, 2.0, 3.0], &[0.1, 0.2]), None);
        assert_eq!(fit_bass(&[-1.0, 2.0, 3.0], &[0.1, 0.2, 0.3]), None);
        assert_eq!(fit_bass(&[0.0, 0.0, 0.0], &[0.1, 0.2, 0.3]), None);
        // Degenerate but valid input still fits without panicking.
        let fit = fit_bass(&[1.0, 2.0, 3.0], &[0.5, 0.5, 0.5]).unwrap();
        assert_eq!(fit.r2, 0.0);
        assert!(fit.m > 0.0 && fit.m <= 1.0);
    }

    fn settings(seed: u64) -> Bootstrap {
        Bootstrap {
            resamples: 1000,
            seed,
            level: 0.95,
        }
    }

    #[test]
    fn bootstrap_is_reproducible_and_seed_dependent() {
        let data: Vec<f64> = (1..=100).map(f64::from).collect();
        let first = settings(42).one(&data, mean).unwrap();
        let again = settings(42).one(&data, mean).unwrap();
        let other = settings(43).one(&data, mean).unwrap();
        assert_eq!(first, again);
        assert!(first.low != other.low || first.high != other.high);
        assert_eq!(first.estimate, 50.5);
        assert!(first.low < 50.5 && 50.5 < first.high, "{first:?}");
        // Standard error of the mean is about 2.9; the 95% interval is about +-5.7.
        assert!(
            first.high - first.low > 8.0 && first.high - first.low < 15.0,
            "{first:?}"
        );
    }

    #[test]
    fn bootstrap_difference() {
        let data: Vec<f64> = (1..=50).map(f64::from).collect();
        let same = settings(1).difference(&data, &data, mean, mean).unwrap();
        assert_eq!(same.estimate, 0.0);
        assert!(same.low < 0.0 && 0.0 < same.high, "{same:?}");
        let shifted: Vec<f64> = data.iter().map(|x| x + 100.0).collect();
        let apart = settings(1)
            .difference(&shifted, &data, median, median)
            .unwrap();
        assert_eq!(apart.estimate, 100.0);
        assert!(apart.low > 80.0 && apart.high < 120.0, "{apart:?}");
        assert_eq!(settings(1).difference(&data, &[], mean, mean), None);
        assert_eq!(settings(1).difference(&[], &data, mean, mean), None);
    }

    #[test]
    fn bootstrap_degenerate_cases() {
        assert_eq!(settings(1).one(&[] as &[f64], mean), None);
        let constant = [3.0; 20];
        assert_eq!(
            settings(1).one(&constant, mean),
            Some(Interval {
                estimate: 3.0,
                low: 3.0,
                high: 3.0
            })
        );
        // Statistic undefined on the full sample.
        assert_eq!(settings(1).one(&[1.0, 2.0], |_| None), None);
        // Statistic defined on only about 10% of the resamples.
        let items: Vec<usize> = (0..10).collect();
        let rare = |s: &[usize]| (s[0] == 0).then_some(1.0);
        assert_eq!(settings(1).one(&items, rare), None);
        // Defined on about 65% of the resamples (those containing 0): usable.
        let common = |s: &[usize]| s.contains(&0).then_some(1.0);
        assert!(settings(1).one(&items, common).is_some());
        // Invalid level.
        let mut bad = settings(1);
        bad.level = 1.0;
        assert_eq!(bad.one(&constant, mean), None);
        bad.resamples = 0;
        bad.level = 0.9;
        assert_eq!(bad.one(&constant, mean), None);
    }

    #[test]
    fn rng_index_in_range_and_roughly_uniform() {
        let mut rng = Rng::new(2024);
        let mut counts = [0usize; 10];
        for _ in 0..100_000 {
            counts[rng.index(10)] += 1;
        }
        for (bucket, &count) in counts.iter().enumerate() {
            assert!(
                (8_000..=12_000).contains(&count),
                "bucket {bucket}: {count}"
            );
        }
        for n in [1, 2, 3, 7, 1000, usize::from(u16::MAX) + 3] {
            for _ in 0..1000 {
                assert!(rng.index(n) < n);
            }
        }
        assert_eq!(rng.index(0), 0);
        #[cfg(target_pointer_width = "64")]
        {
            let big = (1usize << 40) + 17;
            assert!((0..1000).all(|_| rng.index(big) < big));
            // The upper half of a 2^41-ish range is reached.
            assert!((0..1000).any(|_| rng.index(big) > big / 2));
        }
        let mut a = Rng::new(5);
        let mut b = Rng::new(5);
        assert!((0..100).all(|_| a.index(1_000_000) == b.index(1_000_000)));
    }
}
