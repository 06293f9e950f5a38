//! Robust baselines and the small statistics the detectors share: median
//! and median absolute deviation, z-scores whose scale never falls below
//! the sampling noise of the rep's own count, binomial tails and the map
//! from a z-score to a finding's score in [0, 1]; all crate-private,
//! public through [`Rule`](super::Rule).

use serde::{Deserialize, Serialize};

/// Consistency constant: MAD × 1.4826 estimates the standard deviation of
/// normally distributed values.
const MAD_TO_SD: f64 = 1.4826;

/// The median of `values` (`None` when empty). Sorts in place.
pub(crate) fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let mid = n / 2;
    if n % 2 == 1 {
        values.get(mid).copied()
    } else {
        Some((values.get(mid - 1)? + values.get(mid)?) / 2.0)
    }
}

/// A robust centre and spread of a group's values — the median and the
/// median absolute deviation (scaled to estimate a standard deviation) —
/// against which the built-in detectors measure a rep's figure as a
/// z-score: [`Baseline::of`] and [`Baseline::excess`] for any figure,
/// [`Baseline::of_rates`] and [`Baseline::rate_excess`] for a count of events
/// among trials (hollow contacts among contacts, …). The public face of it
/// is [`Rule::excess`](super::Rule::excess) and
/// [`Rule::rate_excess`](super::Rule::rate_excess).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Baseline {
    /// Median of the values.
    pub(crate) median: f64,
    /// MAD × 1.4826 (for [`Baseline::of_rates`]: the part of it that is
    /// not the peers' own sampling noise).
    pub(crate) spread: f64,
    /// How many values it rests on.
    pub(crate) n: usize,
}

impl Baseline {
    /// The baseline of `values`, or `None` when there are fewer than
    /// `min_n` of them (too few to judge).
    pub(crate) fn of(values: &[f64], min_n: usize) -> Option<Baseline> {
        if values.len() < min_n.max(1) {
            return None;
        }
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.len() < min_n.max(1) {
            return None;
        }
        let median = median(&mut v)?;
        let mut dev: Vec<f64> = v.iter().map(|x| (x - median).abs()).collect();
        let mad = self::median(&mut dev)?;
        Some(Baseline {
            median,
            spread: mad * MAD_TO_SD,
            n: v.len(),
        })
    }

    /// The baseline of peers' rates, each given as `(k, n)`: `k` events
    /// of interest in `n` trials; `None` when fewer than `min_peers`.
    ///
    /// The peers' rates are smoothed (`(k + ½) / (n + 1)`, so that a peer
    /// with no event in a small month does not claim a rate of exactly
    /// zero); `median` is their median, and `spread` the spread between
    /// peers beyond their own sampling noise: √(max(0, (MAD × 1.4826)² −
    /// median of the peers' binomial variances)), so small peer counts are
    /// not counted twice (the random-effects view of a meta-analysis).
    pub(crate) fn of_rates(peers: &[(u32, u32)], min_peers: usize) -> Option<Baseline> {
        Baseline::of_smoothed(peers, min_peers, 1.0)
    }

    /// [`Baseline::of_rates`] for an event that is rare for every honest
    /// rep and happens independently of their other ones (a burst of
    /// touches): each peer's rate is shrunk toward the team's pooled rate
    /// `p̄` instead of toward ½ (an empirical-Bayes estimate that borrows
    /// strength across the team: `(k + ½) / (n + ½ / p̄)`, half an event at
    /// the team's rate), so a month without the event claims about the
    /// team's rate rather than the rate of half an event in a month. `p̄`
    /// leaves out the highest tenth of the peers' rates, so one gaming
    /// peer does not set it.
    pub(crate) fn of_rare_rates(peers: &[(u32, u32)], min_peers: usize) -> Option<Baseline> {
        Baseline::of_smoothed(peers, min_peers, 0.5 / pooled_rate(peers)?)
    }

    /// The baseline of the peers' rates `(k + ½) / (n + prior_trials)`.
    fn of_smoothed(peers: &[(u32, u32)], min_peers: usize, prior_trials: f64) -> Option<Baseline> {
        let smoothed: Vec<f64> = peers
            .iter()
            .map(|&(pk, pn)| (f64::from(pk) + 0.5) / (f64::from(pn) + prior_trials))
            .collect();
        let base = Baseline::of(&smoothed, min_peers)?;
        let mut sampling: Vec<f64> = peers
            .iter()
            .map(|&(_, pn)| base.median * (1.0 - base.median) / (f64::from(pn) + prior_trials))
            .collect();
        // `Baseline::of` had at least one peer, so there is a median.
        let sampling = median(&mut sampling)?;
        let between = (base.spread * base.spread - sampling).max(0.0).sqrt();
        Some(Baseline {
            spread: between,
            ..base
        })
    }

    /// How far a rate of `k` events in `n` trials lies from a baseline of
    /// rates ([`Baseline::of_rates`]), as a signed robust z-score: the
    /// excess `d = k / n − median` over `√(spread² + noise²)`, where
    /// `noise` is the rep's own sampling noise taken from the *exact*
    /// binomial distribution — `d / z_b` with `z_b` the z-score of the
    /// mid-p tail `P(X > k) + ½ P(X = k)` given `n` and the median (a
    /// normal approximation overstates the evidence of a few events when
    /// the rate is small), the binomial standard error where `d` is too
    /// close to 0 for that ratio.
    pub(crate) fn rate_excess(&self, k: u32, n: u32) -> Excess {
        if n == 0 {
            return Excess::NONE;
        }
        let p0 = self.median;
        let d = f64::from(k) / f64::from(n) - p0;
        let standard_error = (p0 * (1.0 - p0) / f64::from(n)).sqrt();
        let (k, n) = (u64::from(k), u64::from(n));
        let mid_p = 0.5 * (binomial_upper_tail(k, n, p0) + binomial_upper_tail(k + 1, n, p0));
        let zb = z_of_upper_tail(mid_p);
        let noise = if zb.is_finite() && zb * d > 0.0 && zb.abs() > 1e-6 {
            d / zb
        } else {
            standard_error
        };
        Excess::of(d, self.spread, noise)
    }

    /// How far `x` lies from the baseline in units of
    /// `sqrt(spread² + noise²)`, where `noise` is the sampling standard
    /// error of `x` itself: a group that happens to agree closely (MAD near
    /// zero) does not turn small-sample noise into a finding.
    pub(crate) fn excess(&self, x: f64, noise: f64) -> Excess {
        Excess::of(x - self.median, self.spread, noise)
    }
}

/// How far one rep-period's figure lies above their peers', as the
/// evidence [`Rule::conclude`](super::Rule::conclude) pools and tests.
///
/// `z` is a signed robust z-score (about a standard normal for an honest
/// rep); `persistent` is the share of its variance that is the spread
/// between honest reps rather than the sampling noise of this period
/// (`spread² / (spread² + noise²)`, in [0, 1]). An honest rep who simply
/// works differently from the team keeps that difference from period to
/// period, so z-scores of adjacent periods are correlated by about
/// `persistent`: pooling them must not count it as new evidence each
/// time, and with `persistent` near 1 it adds none.
///
/// ```
/// use sales_metrics::detect::Excess;
///
/// let e = Excess::new(3.0, 0.25);
/// assert_eq!((e.z, e.persistent), (3.0, 0.25));
/// assert_eq!(Excess::new(f64::NAN, 2.0).persistent, 1.0); // clamped; NaN z is no evidence
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Excess {
    /// Signed robust z-score of the rep's figure against their peers'.
    pub z: f64,
    /// Share of the z-score's variance that persists from period to
    /// period for an honest rep, in [0, 1].
    pub persistent: f64,
}

impl Excess {
    /// No evidence either way.
    pub(crate) const NONE: Excess = Excess {
        z: 0.0,
        persistent: 1.0,
    };

    /// An excess of `z` with `persistent` clamped into [0, 1] (NaN
    /// becomes 1, which pools nothing) and a NaN `z` read as 0.
    pub fn new(z: f64, persistent: f64) -> Excess {
        Excess {
            z: if z.is_nan() { 0.0 } else { z },
            persistent: if persistent.is_nan() {
                1.0
            } else {
                persistent.clamp(0.0, 1.0)
            },
        }
    }

    /// `d` against the spread between honest reps and the rep's own
    /// sampling noise.
    pub(crate) fn of(d: f64, spread: f64, noise: f64) -> Excess {
        let (between, within) = (spread * spread, noise * noise);
        let scale = (between + within).sqrt();
        if scale > 0.0 && scale.is_finite() {
            Excess::new(d / scale, between / (between + within))
        } else if scale > 0.0 {
            // Infinite noise: no evidence.
            Excess::NONE
        } else if d > 0.0 {
            Excess::new(f64::INFINITY, 0.0)
        } else {
            Excess::NONE
        }
    }
}

/// A way to make the baseline of peers' `(k, n)` counts given the fewest
/// peers to judge by ([`Baseline::of_rates`], [`Baseline::of_rare_rates`]).
pub(crate) type RatesBaseline = fn(&[(u32, u32)], usize) -> Option<Baseline>;

/// The pooled rate `(Σk + ½) / (Σn + 1)` of `peers` without the highest
/// tenth of their rates (none with fewer than ten peers); `None` without
/// peers.
fn pooled_rate(peers: &[(u32, u32)]) -> Option<f64> {
    if peers.is_empty() {
        return None;
    }
    let mut by_rate: Vec<(f64, u32, u32)> = peers
        .iter()
        .map(|&(k, n)| (f64::from(k) / f64::from(n.max(1)), k, n))
        .collect();
    by_rate.sort_by(|a, b| a.0.total_cmp(&b.0));
    let kept = by_rate.len() - by_rate.len() / 10;
    let (k, n) = by_rate
        .iter()
        .take(kept)
        .fold((0.0, 0.0), |(k, n), &(_, pk, pn)| {
            (k + f64::from(pk), n + f64::from(pn))
        });
    Some((k + 0.5) / (n + 1.0))
}

/// A rep's count of `k` events of interest in `n` trials (hollow contacts
/// among contacts, duplicates among entered records, …) against the same
/// counts of their peers.
///
/// The peers' rates are smoothed (`(k + ½) / (n + 1)`, so that a peer with
/// no event in a small month does not claim a rate of exactly zero); their
/// median is the baseline rate `p₀` and their MAD the spread between honest
/// reps. The rep's excess `d = rate − p₀` is then measured against both
/// sources of variation at once: the spread between reps, and the sampling
/// noise of the rep's own count, taken from the *exact* binomial tail
/// `P(X ≥ k | n, p₀)` (a normal approximation overstates the evidence of a
/// few events when `p₀` is small). `z = d / √(spread² + noise²)` where
/// `noise = d / z_binomial`, and `spread` is the MAD of the peers' rates
/// less the part their own sampling noise explains, so small peer counts
/// are not counted twice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ProportionTest {
    /// The rep's rate, `k / n`.
    pub(crate) rate: f64,
    /// The peers' median (smoothed) rate.
    pub(crate) baseline: f64,
    /// The spread between peers beyond their sampling noise: √(max(0,
    /// (MAD × 1.4826)² − median of the peers' binomial variances)).
    pub(crate) spread: f64,
    /// The excess as evidence (signed z-score and persistent share).
    pub(crate) excess: Excess,
}

impl ProportionTest {
    /// The test of `k` of `n` against `peers` (`(k, n)` each); `None` when
    /// `n` is zero or there are fewer than `min_peers` peers.
    #[cfg(test)]
    pub(crate) fn new(k: u32, n: u32, peers: &[(u32, u32)], min_peers: usize) -> Option<Self> {
        ProportionTest::against(k, n, Baseline::of_rates(peers, min_peers)?)
    }

    /// The test of `k` of `n` against a baseline of the peers' rates.
    pub(crate) fn against(k: u32, n: u32, base: Baseline) -> Option<Self> {
        if n == 0 {
            return None;
        }
        Some(ProportionTest {
            rate: f64::from(k) / f64::from(n),
            baseline: base.median,
            spread: base.spread,
            excess: base.rate_excess(k, n),
        })
    }
}

/// The score of a finding whose evidence stands `z` robust standard
/// deviations out: 0.5 at `half`, 0.75 at twice it, approaching 1
/// (`1 - 0.5^(z / half)`).
pub(crate) fn score(z: f64, half: f64) -> f64 {
    if !(z.is_finite()) {
        return if z > 0.0 { 1.0 } else { 0.0 };
    }
    let s = 1.0 - 0.5f64.powf(z.max(0.0) / half.max(f64::MIN_POSITIVE));
    // Keep scores short and stable in text: four decimals.
    (s * 10_000.0).round() / 10_000.0
}

/// P(X ≥ k) for X ~ Binomial(n, p), summed in log space.
pub(crate) fn binomial_upper_tail(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    // The first term in log space, the rest by the ratio of successive
    // terms; past the mode they only shrink, so stop when they no longer
    // count.
    let odds = p / (1.0 - p);
    let mut term = (ln_choose(n, k) + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp();
    let mut total = 0.0;
    let mut i = k;
    loop {
        total += term;
        if i >= n || (i as f64 > n as f64 * p && term < total * 1e-12) {
            break;
        }
        term *= (n - i) as f64 / (i + 1) as f64 * odds;
        i += 1;
    }
    total.min(1.0)
}

/// P(X ≥ k) for X ~ Poisson(λ), summed upward from `k` in log space.
pub(crate) fn poisson_upper_tail(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    let mut term = (k as f64 * lambda.ln() - lambda - ln_factorial(k)).exp();
    let mut total = 0.0;
    let mut i = k;
    loop {
        total += term;
        if (i as f64 > lambda && term < total * 1e-12) || i > k + 10_000 {
            break;
        }
        i += 1;
        term *= lambda / i as f64;
    }
    total.min(1.0)
}

/// P(X = k) for a negative binomial with the given mean and
/// over-dispersion `c` (variance `mean + c·mean²`); Poisson when `c` is 0.
pub(crate) fn negative_binomial_pmf(k: u64, mean: f64, c: f64) -> f64 {
    if mean <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    let kf = k as f64;
    if c < 1e-9 {
        return (kf * mean.ln() - mean - ln_factorial(k)).exp();
    }
    let r = 1.0 / c;
    let p = r / (r + mean);
    (ln_gamma(kf + r) - ln_gamma(r) - ln_factorial(k) + r * p.ln() + kf * (1.0 - p).ln()).exp()
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms: 15 significant digits).
pub(crate) fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let [c0, ..] = C;
    let mut a = 0.0;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    a += c0;
    let t = x + G + 0.5;
    0.5 * std::f64::consts::TAU.ln() + (x + 0.5) * t.ln() - t + a.ln()
}

fn ln_choose(n: u64, k: u64) -> f64 {
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
}

fn ln_factorial(n: u64) -> f64 {
    if n < 2 {
        return 0.0;
    }
    // ln n! = ln Γ(n + 1): constant time, 15 significant digits.
    ln_gamma(n as f64 + 1.0)
}

/// `P(Z ≥ z)` for a standard normal `Z`: the one-sided p-value of a
/// z-score (complementary error function by Chebyshev fit, relative error
/// below 1.2e-7 everywhere, so small p-values keep their digits).
pub(crate) fn upper_tail_of_z(z: f64) -> f64 {
    if z.is_nan() {
        return 1.0;
    }
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' `erfcc`).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// The z-score of an upper-tail probability: the `z` with
/// `P(Z ≥ z) = p` for a standard normal (Acklam's rational approximation,
/// relative error below 1.2e-9).
pub(crate) fn z_of_upper_tail(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::INFINITY;
    }
    if p >= 1.0 {
        return f64::NEG_INFINITY;
    }
    -normal_quantile(p)
}

fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let [a0, a1, a2, a3, a4, a5] = A;
    let [b0, b1, b2, b3, b4] = B;
    let [c0, c1, c2, c3, c4, c5] = C;
    let [d0, d1, d2, d3] = D;
    let low = 0.024_25;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5)
            / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q
            / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5)
            / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1.0)
    }
}

/// Formats a share as a percentage with one decimal (`24.3 %`).
pub(crate) fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad() {
        let b = Baseline::of(&[1.0, 2.0, 3.0, 4.0, 100.0], 3);
        let b = b.unwrap_or(Baseline {
            median: 0.0,
            spread: 0.0,
            n: 0,
        });
        assert_eq!(b.median, 3.0);
        assert!((b.spread - 1.4826).abs() < 1e-12);
        assert!(Baseline::of(&[1.0, 2.0], 3).is_none());
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn tails_and_quantiles() {
        assert!((z_of_upper_tail(0.5)).abs() < 1e-9);
        assert!((z_of_upper_tail(0.025) - 1.959_963_984_5).abs() < 1e-6);
        assert!((z_of_upper_tail(1e-6) - 4.753_424_3).abs() < 1e-5);
        for z in [-3.0, -1.0, 0.0, 1.5, 4.0, 8.0] {
            let p = upper_tail_of_z(z);
            assert!((z_of_upper_tail(p) - z).abs() < 1e-5, "{z}: {p}");
        }
        assert!((upper_tail_of_z(1.959_964) - 0.025).abs() < 1e-8);
        let p = binomial_upper_tail(10, 15, 0.4);
        assert!((p - 0.033_833).abs() < 1e-5, "{p}");
        assert_eq!(binomial_upper_tail(0, 5, 0.3), 1.0);
        // P(X >= 10 | 4) = 0.00813…
        assert!((poisson_upper_tail(10, 4.0) - 0.008_132_8).abs() < 1e-6);
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        // NB with c -> 0 is Poisson; the pmf sums to one.
        let pois = negative_binomial_pmf(3, 4.0, 0.0);
        assert!((pois - 0.195_366_8).abs() < 1e-6);
        let total: f64 = (0..200).map(|k| negative_binomial_pmf(k, 6.0, 0.3)).sum();
        assert!((total - 1.0).abs() < 1e-9);
    }

    #[test]
    fn scores_are_monotone_in_unit_interval() {
        assert_eq!(score(4.0, 4.0), 0.5);
        assert_eq!(score(8.0, 4.0), 0.75);
        assert_eq!(score(f64::INFINITY, 4.0), 1.0);
        assert_eq!(score(-3.0, 4.0), 0.0);
        assert!(score(5.0, 4.0) < score(6.0, 4.0));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        #[test]
        fn binomial_tails_are_probabilities(k in 0u64..60, n in 0u64..60, p in 0.0f64..1.0) {
            let t = binomial_upper_tail(k, n, p);
            proptest::prop_assert!((0.0..=1.0 + 1e-12).contains(&t));
            if k > 0 && k <= n {
                proptest::prop_assert!(binomial_upper_tail(k - 1, n, p) >= t - 1e-12);
            }
        }
    }

    #[test]
    fn baselines_of_figures_and_rates() {
        let team = Baseline::of(&[10.0, 12.0, 11.0, 13.0, 9.0], 3);
        assert!(team.is_some_and(|t| t.median == 11.0 && t.excess(20.0, 0.0).z > 4.0));
        assert!(Baseline::of(&[1.0, 2.0], 3).is_none()); // too few to judge
        // 13 hollow contacts of 30 against peers with about one in forty.
        let peers = Baseline::of_rates(&[(0, 25), (1, 30), (0, 20), (1, 28), (0, 33)], 3);
        assert!(peers.is_some_and(|p| p.rate_excess(13, 30).z > 6.0));
        assert!(peers.is_some_and(|p| p.rate_excess(3, 29).z < 3.0)); // not yet evidence
    }

    #[test]
    fn proportion_test_respects_small_counts() {
        let peers = [(0, 25), (1, 30), (0, 20), (1, 28), (0, 33)];
        // 3 of 29 against peers with about one in forty: not enough.
        let t = ProportionTest::new(3, 29, &peers, 3);
        assert!(t.is_some_and(|t| t.excess.z < 3.0), "{t:?}");
        // 13 of 30 is.
        let t = ProportionTest::new(13, 30, &peers, 3);
        assert!(t.is_some_and(|t| t.excess.z > 6.0), "{t:?}");
        assert!(ProportionTest::new(1, 10, &peers[..2], 3).is_none());
    }
}
