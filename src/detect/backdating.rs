//! The `backdating` detector.

use super::baseline::{Excess, ProportionTest, pct, upper_tail_of_z, z_of_upper_tail};
use super::{DetectContext, Detector, Finding, RepPeriod, Tested, hours, micros, seconds};

/// The `backdating` detector (SPEC §9; see the [module docs](super) for what it
/// catches, how, and its settings in [`DetectConfig`](super::DetectConfig)).
/// Its fields are its fixed thresholds of minimum data and effect size.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Backdating {
    /// Fewest contacts with a `logged_at` (default 30).
    pub(crate) min_contacts: u32,
    /// Fewest late or batched contacts in the period (default 5).
    pub(crate) min_flagged: u32,
    /// Smallest excess share over the team median (default 0.1).
    pub(crate) min_excess: f64,
}

impl Default for Backdating {
    fn default() -> Self {
        Self {
            min_contacts: 30,
            min_flagged: 5,
            min_excess: 0.1,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    logged: u32,
    late: u32,
    batched: u32,
}

impl Backdating {
    /// The contacts logged within the batch gap of another entry (of a
    /// different occurrence), per rep: each rep's contacts with a
    /// `logged_at` ordered by (logged, occurred, index), on every thread,
    /// bucket-sorted. Part of the context's groundwork.
    pub(crate) fn batched(ctx: &DetectContext<'_>) -> Vec<Vec<u32>> {
        let ledger = ctx.ledger();
        let contacts = ledger.contacts();
        let gap_us = micros(ctx.config().batch_gap);
        crate::par::map_indices(ledger.reps().len(), |rep| {
            let mut by_logged: Vec<(i64, i64, u32)> = ctx
                .rep_contacts(rep as u32)
                .iter()
                .filter_map(|&i| {
                    let c = contacts.get(i as usize)?;
                    Some((c.logged_us()?, c.occurred_us, i))
                })
                .collect();
            super::context::sort_by_instant(&mut by_logged, |&(logged, _, _)| logged);
            let mut out = Vec::new();
            for pair in by_logged.windows(2) {
                if let [(la, oa, ia), (lb, ob, ib)] = *pair
                    && lb - la <= gap_us
                    && oa != ob
                {
                    out.extend([ia, ib]);
                }
            }
            out
        })
    }

    /// Contact `i`'s marks: (late, batched).
    fn marks(ctx: &DetectContext<'_>, i: u32) -> (bool, bool) {
        let late_us = micros(ctx.config().late_after);
        let Some(c) = ctx.ledger().contacts().get(i as usize) else {
            return (false, false);
        };
        let Some(logged) = c.logged_us() else {
            return (false, false);
        };
        let late = logged.saturating_sub(c.occurred_us) > late_us;
        (late, ctx.shared().flags_of(i) & super::shared::BATCHED != 0)
    }
}

impl Detector for Backdating {
    fn name(&self) -> &str {
        "backdating"
    }

    fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
        let counts = ctx.shared().counts.map(|x| Counts {
            logged: x.logged,
            late: x.late,
            batched: x.batched,
        });
        let shares = Shares::of(self, &counts);
        let cands = self.judge(ctx, &counts, &shares);
        super::conclude(ctx, &cands, |c| {
            self.finding(ctx, &counts, &shares, (c.rep, c.period))
        })
        .or_untested(
            ctx,
            self.name(),
            format!(
                "at least {} contacts with a logged time in the period",
                self.min_contacts
            ),
        )
    }
}

/// One share's test, whether its count reaches the detector's minimum,
/// and its effect over the smallest worth a finding.
type ShareTest = (ProportionTest, bool, f64);

impl Backdating {
    /// Every rep-period with enough logged contacts, judged on the
    /// stronger of its two shares.
    fn judge(
        &self,
        ctx: &DetectContext<'_>,
        counts: &RepPeriod<Counts>,
        shares: &Shares,
    ) -> Vec<super::Candidate> {
        counts
            .iter()
            .filter(|(_, _, x)| x.logged >= self.min_contacts)
            .filter_map(|(rep, period, x)| {
                let (l, b) = shares.tests(self, ctx, (rep, period), x)?;
                // Two shares tested: the stronger one's evidence, its
                // p-value corrected for two tries, so an honest rep's pair
                // stays a normal.
                let excess = stronger_of(l.0.excess, b.0.excess);
                let gated = |t: &ShareTest| if t.1 { t.2 } else { 0.0 };
                let effect = gated(&l).max(gated(&b));
                let reportable = l.1 || b.1;
                Some(super::Candidate::new(
                    rep, period, excess, effect, reportable,
                ))
            })
            .collect()
    }

    /// The finding of rep `rep` in `period`: the marks of each share above
    /// the team's make the evidence.
    fn finding(
        &self,
        ctx: &DetectContext<'_>,
        counts: &RepPeriod<Counts>,
        shares: &Shares,
        (rep, period): (u32, u32),
    ) -> Option<Finding> {
        let ledger = ctx.ledger();
        let x = counts.get(rep, period)?;
        let (l, b) = shares.tests(self, ctx, (rep, period), x)?;
        let (use_late, use_batched) = (l.1 && l.2 > 0.0, b.1 && b.2 > 0.0);
        let own = ctx.own_median(&shares.late, rep, period);
        let own = own.map_or_else(String::new, |o| {
            format!(" (own other months: {} late)", pct(o))
        });
        let explanation = format!(
            "In {} {} logged {} of {} contacts more than {} h after they occurred ({}, team median {}) and {} within {} s of another entry ({}, team median {}){own}.",
            ctx.period_label(period),
            ledger.rep_id(rep),
            x.late,
            x.logged,
            hours(ctx.config().late_after),
            pct(l.0.rate),
            pct(l.0.baseline),
            x.batched,
            seconds(ctx.config().batch_gap),
            pct(b.0.rate),
            pct(b.0.baseline),
        );
        let evidence = ctx.contact_ids_in(rep, period, |i| {
            let (lt, bt) = Self::marks(ctx, i);
            (lt && use_late) || (bt && use_batched)
        });
        Some(ctx.finding(self.name(), rep, period, explanation, evidence))
    }
}

/// Per (rep, period) with enough logged contacts: the late and batched
/// counts among them, and the late share.
struct Shares {
    late_trials: RepPeriod<Option<(u32, u32)>>,
    batch_trials: RepPeriod<Option<(u32, u32)>>,
    late: RepPeriod<Option<f64>>,
}

impl Shares {
    fn of(d: &Backdating, counts: &RepPeriod<Counts>) -> Shares {
        let enough = |x: &Counts| x.logged >= d.min_contacts;
        Shares {
            late_trials: counts.map(|x| enough(x).then_some((x.late, x.logged))),
            batch_trials: counts.map(|x| enough(x).then_some((x.batched, x.logged))),
            late: counts.map(|x| enough(x).then(|| f64::from(x.late) / f64::from(x.logged))),
        }
    }

    /// The late and the batched share's tests of the rep-period.
    fn tests(
        &self,
        d: &Backdating,
        ctx: &DetectContext<'_>,
        (rep, period): (u32, u32),
        x: &Counts,
    ) -> Option<(ShareTest, ShareTest)> {
        let min_peers = ctx.config().rule.min_peers;
        let test = |table: &RepPeriod<Option<(u32, u32)>>, k: u32| {
            let t = ctx.proportion_test(table, rep, period, min_peers)?;
            let effect = (t.rate - t.baseline) / d.min_excess;
            Some((t, k >= d.min_flagged, effect))
        };
        Some((
            test(&self.late_trials, x.late)?,
            test(&self.batch_trials, x.batched)?,
        ))
    }
}

/// The stronger of two tests of one rep-period as one z-score: the
/// smaller one-sided p-value corrected for two tries (Šidák, `1 − (1 −
/// p)²`: uniform again when the two are independent), back on the z
/// scale, with the persistent share of the test it came from.
fn stronger_of(a: Excess, b: Excess) -> Excess {
    let top = if a.z >= b.z { a } else { b };
    let p = upper_tail_of_z(top.z);
    // 1 − (1 − p)², written so a tiny p keeps its digits.
    let p = p * (2.0 - p);
    Excess::new(z_of_upper_tail(p), top.persistent)
}
