//! The `quota_bunching` detector.

use super::baseline::{
    Baseline, Excess, median, negative_binomial_pmf, poisson_upper_tail, z_of_upper_tail,
};
use super::{DetectContext, Detector, RepPeriod, Tested};

/// The `quota_bunching` detector (SPEC §9; see the [module docs](super) for what it
/// catches, how, and its settings in [`DetectConfig`](super::DetectConfig)).
/// Its fields are its fixed thresholds of minimum data and effect size.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QuotaBunching {
    /// Fewest days worked (with at least one contact) in the period
    /// (default 10: half a month of working days).
    pub(crate) min_days: u32,
    /// Fewest days at exactly the target (default 5).
    pub(crate) min_days_at_target: u32,
    /// Smallest excess ratio relative to the team's median ratio (default
    /// 2: twice as many days at the target as the smooth fit expects, over
    /// and above whatever heaping is usual in the team).
    pub(crate) min_ratio: f64,
}

impl Default for QuotaBunching {
    fn default() -> Self {
        Self {
            min_days: 10,
            min_days_at_target: 5,
            min_ratio: 2.0,
        }
    }
}

/// Daily counts of one rep in one period.
#[derive(Debug, Clone, Default)]
struct Days {
    counts: Vec<u32>,
}

impl Days {
    fn mean(&self) -> f64 {
        let n = self.counts.len().max(1) as f64;
        self.counts.iter().map(|&c| f64::from(c)).sum::<f64>() / n
    }

    /// Over-dispersion `c` of var = mean + c·mean² (method of moments).
    fn overdispersion(&self) -> Option<f64> {
        let n = self.counts.len();
        if n < 2 {
            return None;
        }
        let m = self.mean();
        if m <= 0.0 {
            return None;
        }
        let var = self
            .counts
            .iter()
            .map(|&c| (f64::from(c) - m).powi(2))
            .sum::<f64>()
            / (n - 1) as f64;
        Some(((var - m) / (m * m)).max(0.0))
    }

    fn at(&self, k: u32) -> u32 {
        self.counts.iter().filter(|&&c| c == k).count() as u32
    }
}

/// The excess-mass estimate of one rep-period.
#[derive(Debug, Clone, Copy)]
struct Bunching {
    observed: u32,
    expected: f64,
    above_observed: u32,
    above_expected: f64,
    mean: f64,
    days: u32,
}

impl Bunching {
    fn of(days: &Days, target: u32, c: f64) -> Bunching {
        let mean = days.mean();
        let n = days.counts.len() as f64;
        let pmf = |k: u32| negative_binomial_pmf(u64::from(k), mean, c);
        Bunching {
            observed: days.at(target),
            expected: n * pmf(target),
            above_observed: days.at(target + 1) + days.at(target + 2),
            above_expected: n * (pmf(target + 1) + pmf(target + 2)),
            mean,
            days: days.counts.len() as u32,
        }
    }

    fn ratio(&self) -> f64 {
        f64::from(self.observed) / self.expected.max(1e-9)
    }

    /// The excess as evidence: the Poisson mid-p tail of the days observed
    /// at the target given those expected (half the point mass, so a
    /// count as expected is no evidence either way), as a z-score. Its
    /// variance is the period's own sampling noise (persistent share 0):
    /// a team that heaps at its targets for an innocent reason is kept
    /// out by the ratio gate against the team, not by this figure.
    fn evidence(&self) -> Excess {
        let k = u64::from(self.observed);
        let at = negative_binomial_pmf(k, self.expected, 0.0);
        let p = (poisson_upper_tail(k, self.expected) - 0.5 * at).clamp(1e-300, 1.0 - 1e-12);
        Excess::new(z_of_upper_tail(p), 0.0)
    }
}

impl Detector for QuotaBunching {
    fn name(&self) -> &str {
        "quota_bunching"
    }

    fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
        let ledger = ctx.ledger();
        let days = daily_counts(ctx);
        let target = |rep: u32| -> Option<u32> {
            ledger
                .reps()
                .get(rep as usize)?
                .daily_contact_target
                .and_then(|t| u32::try_from(t).ok())
                .filter(|&t| t >= 1)
        };
        let enough = |d: &Days| d.counts.len() as u32 >= self.min_days;
        let dispersion = days.map(|d| if enough(d) { d.overdispersion() } else { None });
        let min_peers = ctx.config().rule.min_peers;
        // The rep-period's bunching with the team's dispersion, and the
        // team's median ratio at their own targets.
        let judge = |rep: u32, period: u32| -> Option<(u32, f64, Bunching, f64)> {
            let d = days.get(rep, period).filter(|d| enough(d))?;
            let t = target(rep)?;
            let team_c = ctx.peer_baseline(&dispersion, rep, period, min_peers)?;
            let ex = Bunching::of(d, t, team_c.median);
            // The team's usual heaping at their own targets.
            let mut peer_ratios: Vec<f64> = ctx
                .peers(rep, min_peers)
                .iter()
                .filter_map(|&r| {
                    let pd = days.get(r, period)?;
                    if !enough(pd) {
                        return None;
                    }
                    Some(Bunching::of(pd, target(r)?, team_c.median).ratio())
                })
                .collect();
            let team_ratio = median(&mut peer_ratios).unwrap_or(1.0).max(1.0);
            Some((t, team_c.median, ex, team_ratio))
        };
        let cands: Vec<super::Candidate> = days
            .iter()
            .filter_map(|(rep, period, _)| {
                let (_, _, ex, team_ratio) = judge(rep, period)?;
                let effect = ex.ratio() / (self.min_ratio * team_ratio);
                let reportable = ex.observed >= self.min_days_at_target;
                Some(super::Candidate::new(
                    rep,
                    period,
                    ex.evidence(),
                    effect,
                    reportable,
                ))
            })
            .collect();
        super::conclude(ctx, &cands, |c| {
            let (rep, period) = (c.rep, c.period);
            let (t, team_c, ex, team_ratio) = judge(rep, period)?;
            // The rep's other stored periods (one not stored holds no days).
            let own: Vec<f64> = days
                .row(rep)
                .filter(|&(q, _)| q != period)
                .filter(|&(_, od)| enough(od))
                .map(|(_, od)| Bunching::of(od, t, team_c).ratio())
                .collect();
            let own = Baseline::of(&own, 2).map_or_else(String::new, |b| {
                format!(", and {:.1}× in their other months", b.median)
            });
            let days = |n: u32| if n == 1 { "day" } else { "days" };
            let explanation = format!(
                "In {} {} logged exactly the daily target of {} contacts on {} of {} days worked, where a smooth counterfactual (their mean of {:.1} a day with the team's day-to-day spread) expects {:.1}: {:.1}× as many, with {} {} at {}–{} where {:.1} are expected; the team's median rep: {:.1}×{own}.",
                ctx.period_label(period),
                ledger.rep_id(rep),
                t,
                ex.observed,
                ex.days,
                ex.mean,
                ex.expected,
                ex.ratio(),
                ex.above_observed,
                days(ex.above_observed),
                t + 1,
                t + 2,
                ex.above_expected,
                team_ratio,
            );
            let evidence = at_target(ctx, rep, period, t);
            Some(ctx.finding(self.name(), rep, period, explanation, evidence))
        })
        .or_untested(ctx, self.name(), format!("a daily target and at least {} days worked in the period", self.min_days))
    }
}

/// Each rep's contacts per local day worked, per period.
fn daily_counts(ctx: &DetectContext<'_>) -> RepPeriod<Days> {
    let ledger = ctx.ledger();
    let n_reps = ledger.reps().len() as u32;
    let mut days: RepPeriod<Days> = ctx.rep_period();
    for rep in 0..n_reps {
        // The rep's contacts per day, in day order.
        for &(_, p, n) in ctx.shared().rep_days(rep) {
            if let Some(x) = days.get_mut(rep, p) {
                x.counts.push(n);
            }
        }
    }
    days
}

/// Ids of the rep's contacts in `period` on the days with exactly `t`.
fn at_target(ctx: &DetectContext<'_>, rep: u32, period: u32, t: u32) -> Vec<String> {
    let ledger = ctx.ledger();
    // The rep's contacts in the period by day.
    let mut by_day: Vec<(i32, u32)> = ctx
        .rep_contacts(rep)
        .iter()
        .filter(|&&i| ctx.contact_period(i) == Some(period))
        .map(|&i| (ctx.contact_day(i), i))
        .collect();
    by_day.sort_unstable();
    by_day
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|day| day.len() == t as usize)
        .flatten()
        .map(|&(_, i)| ledger.contact_id(i).to_owned())
        .collect()
}
