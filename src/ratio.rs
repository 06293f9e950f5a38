//! [`Ratio`]: a rate that keeps its numerator and denominator (SPEC §8).
//!
//! A rate with a zero denominator is *undefined* (`None`), never NaN,
//! infinity or a panic. Proportions carry a 95 % Wilson score interval;
//! ratios that are not proportions (`contacts_per_sale`) or whose numerator
//! exceeds the denominator (a sale closed this month from last month's
//! meeting) keep their counts but have no interval.
//!
//! # Example
//! ```
//! use sales_metrics::Ratio;
//!
//! let meeting_close_rate = Ratio::proportion(10, 15);
//! assert_eq!(meeting_close_rate.to_string(), "66.7 % (10/15)");
//! let (lo, hi) = meeting_close_rate.wilson_interval().ok_or("no interval")?;
//! assert!(lo < 0.667 && 0.667 < hi);
//! assert_eq!(Ratio::proportion(3, 0).value(), None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::ops::{Add, AddAssign};

use serde::{Deserialize, Serialize};

/// z for a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// What a ratio measures, which decides whether an interval makes sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RatioKind {
    /// A share of something (sales ÷ meetings): shown as a percentage,
    /// with a Wilson interval when numerator ≤ denominator.
    #[default]
    Proportion,
    /// A plain quotient (contacts ÷ sales): shown as a number, no interval.
    Quotient,
}

/// A numerator and a denominator, kept together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Ratio {
    /// The count on top.
    pub numerator: u64,
    /// The count below.
    pub denominator: u64,
    /// Proportion or quotient ([`Ratio::is_proportion`]).
    #[serde(default)]
    pub(crate) kind: RatioKind,
}

impl Ratio {
    /// A proportion `numerator / denominator`.
    pub const fn proportion(numerator: u64, denominator: u64) -> Self {
        Self {
            numerator,
            denominator,
            kind: RatioKind::Proportion,
        }
    }

    /// A quotient that is not a proportion (for example contacts per sale).
    pub const fn quotient(numerator: u64, denominator: u64) -> Self {
        Self {
            numerator,
            denominator,
            kind: RatioKind::Quotient,
        }
    }

    /// Whether it is a share of something (shown as a percentage with a
    /// Wilson interval) rather than a plain quotient such as contacts per
    /// sale.
    pub fn is_proportion(&self) -> bool {
        self.kind == RatioKind::Proportion
    }

    /// The value as a decimal fraction; `None` when undefined (denominator 0).
    pub fn value(&self) -> Option<f64> {
        (self.denominator != 0).then(|| self.numerator as f64 / self.denominator as f64)
    }

    /// The value in percent; `None` when undefined.
    pub fn percent(&self) -> Option<f64> {
        self.value().map(|v| v * 100.0)
    }

    /// Whether the ratio is defined (non-zero denominator).
    pub fn is_defined(&self) -> bool {
        self.denominator != 0
    }

    /// The 95 % Wilson score interval `(lower, upper)` as fractions; `None`
    /// when undefined, not a proportion, or numerator > denominator.
    pub fn wilson_interval(&self) -> Option<(f64, f64)> {
        if self.kind != RatioKind::Proportion
            || self.denominator == 0
            || self.numerator > self.denominator
        {
            return None;
        }
        let n = self.denominator as f64;
        let p = self.numerator as f64 / n;
        let z2 = Z95 * Z95;
        let denom = 1.0 + z2 / n;
        let centre = (p + z2 / (2.0 * n)) / denom;
        let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
        Some(((centre - half).max(0.0), (centre + half).min(1.0)))
    }
}

impl Add for Ratio {
    type Output = Ratio;
    /// Pools two ratios of the same measure (adds numerators and denominators).
    fn add(self, rhs: Ratio) -> Ratio {
        Ratio {
            numerator: self.numerator + rhs.numerator,
            denominator: self.denominator + rhs.denominator,
            kind: self.kind,
        }
    }
}

impl AddAssign for Ratio {
    fn add_assign(&mut self, rhs: Ratio) {
        *self = *self + rhs;
    }
}

impl fmt::Display for Ratio {
    /// `66.7 % (10/15)` for proportions, `6.00 (60/10)` for quotients,
    /// `– (0/0)` when undefined.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.value(), self.kind) {
            (None, _) => write!(f, "– ({}/{})", self.numerator, self.denominator),
            (Some(v), RatioKind::Proportion) => write!(
                f,
                "{:.1} % ({}/{})",
                v * 100.0,
                self.numerator,
                self.denominator
            ),
            (Some(v), RatioKind::Quotient) => {
                write!(f, "{v:.2} ({}/{})", self.numerator, self.denominator)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values() {
        // Newcombe (1998), example: 81/263 → 0.2553 to 0.3662.
        let (lo, hi) = Ratio::proportion(81, 263)
            .wilson_interval()
            .unwrap_or((0.0, 0.0));
        assert!((lo - 0.2553).abs() < 5e-4, "{lo}");
        assert!((hi - 0.3662).abs() < 5e-4, "{hi}");
        // 0/10 → 0 to 0.2775.
        let (lo, hi) = Ratio::proportion(0, 10)
            .wilson_interval()
            .unwrap_or((1.0, 1.0));
        assert_eq!(lo, 0.0);
        assert!((hi - 0.2775).abs() < 5e-4, "{hi}");
    }

    #[test]
    fn undefined_and_non_proportions_have_no_interval() {
        assert_eq!(Ratio::proportion(0, 0).value(), None);
        assert_eq!(Ratio::proportion(0, 0).wilson_interval(), None);
        assert_eq!(Ratio::proportion(5, 3).wilson_interval(), None);
        assert_eq!(Ratio::proportion(5, 3).value(), Some(5.0 / 3.0));
        assert_eq!(Ratio::quotient(60, 10).wilson_interval(), None);
        assert_eq!(Ratio::quotient(60, 10).to_string(), "6.00 (60/10)");
        assert_eq!(Ratio::proportion(1, 0).to_string(), "– (1/0)");
    }

    #[test]
    fn spec_example_display() {
        assert_eq!(Ratio::proportion(10, 60).to_string(), "16.7 % (10/60)");
        assert_eq!(Ratio::proportion(10, 15).to_string(), "66.7 % (10/15)");
    }

    proptest::proptest! {
        #[test]
        fn interval_contains_estimate(n in 1u64..10_000, k in 0u64..10_000) {
            let k = k % (n + 1);
            let r = Ratio::proportion(k, n);
            let (lo, hi) = r.wilson_interval().unwrap_or((2.0, -1.0));
            let p = r.value().unwrap_or(-1.0);
            proptest::prop_assert!(0.0 <= lo && lo <= p + 1e-12 && p <= hi + 1e-12 && hi <= 1.0);
        }
    }
}
