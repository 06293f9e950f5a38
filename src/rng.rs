//! The crate's one seeded pseudo-random generator (SplitMix64) and the few
//! distributions its users need: deduplication samples random pairs to
//! estimate u-probabilities, the simulator (feature `sim`) draws
//! behaviour and synthetic CRM records. Written here rather than taken from
//! `rand` because only a handful of draws are needed, they must give the
//! same stream on every platform and version, and the library should not
//! add a dependency for them.

/// SplitMix64 (Steele, Lea, Flood 2014): 64 bits of state, passes BigCrush,
/// and one generator per stream is cheap, so every rep gets its own stream
/// and changing one rep's settings leaves the others' draws alone.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

// The distributions beyond `below` serve the simulator only.
#[cfg_attr(not(feature = "sim"), allow(dead_code))]
impl Rng {
    /// A generator whose state is `state` as given (no decorrelation, no
    /// warm-up draw): the stream a bare SplitMix64 seeded with `state`
    /// gives.
    pub(crate) const fn from_state(state: u64) -> Self {
        Rng { state }
    }

    /// A generator for `seed`, decorrelated from `stream` (for example a rep
    /// index), so that streams of neighbouring seeds do not overlap.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        let mut r = Rng {
            state: seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03),
        };
        // Mix once so that small seeds do not give small first outputs.
        let _ = r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` by multiply-shift (0 when `n == 0`, without a
    /// draw). Unlike [`Rng::index`] it draws for `n == 1` too, so a caller's
    /// stream does not depend on which ranges happened to be trivial.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
        }
    }

    /// Uniform in [0, 1).
    pub(crate) fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p` (clamped to [0, 1]).
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Uniform integer in `lo..=hi` (returns `lo` when `hi < lo`).
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        // Multiply-shift: unbiased enough for simulation, no rejection loop.
        let x = ((u128::from(self.next_u64()) * u128::from(span)) >> 64) as i64;
        lo + x
    }

    /// Uniform index in `0..n` (0 when `n == 0`).
    pub(crate) fn index(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        self.range(0, n as i64 - 1) as usize
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = self.index(items.len());
        items.get(i)
    }

    /// An index drawn with the given non-negative weights.
    pub(crate) fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// Standard normal (Box–Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = self.f64().max(f64::MIN_POSITIVE);
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Log-normal with the given median and log-scale spread.
    pub(crate) fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Poisson with mean `lambda` (Knuth's method for small means, a
    /// rounded normal approximation above 30, which is all a daily count
    /// needs).
    pub(crate) fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            let x = lambda + lambda.sqrt() * self.normal();
            return x.round().max(0.0) as u32;
        }
        let l = (-lambda).exp();
        let mut k = 0u32;
        let mut p = 1.0;
        loop {
            p *= self.f64();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }

    /// Shuffles a slice in place (Fisher–Yates).
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(7, 1);
        let mut b = Rng::new(7, 1);
        let mut c = Rng::new(7, 2);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..5).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn draws_stay_in_range() {
        let mut r = Rng::new(1, 0);
        for _ in 0..10_000 {
            let x = r.range(-3, 4);
            assert!((-3..=4).contains(&x));
            let u = r.f64();
            assert!((0.0..1.0).contains(&u));
        }
        let mean = (0..20_000).map(|_| f64::from(r.poisson(6.0))).sum::<f64>() / 20_000.0;
        assert!((mean - 6.0).abs() < 0.15, "{mean}");
    }
}
