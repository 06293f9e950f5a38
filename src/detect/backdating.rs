//! The `backdating` detector.

use super::baseline::{Excess, ProportionTest, pct, upper_tail_of_z, z_of_upper_tail};
use super::{DetectContext, Detector, Tested, hours, micros, seconds};

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
    /// Per contact: (late, batched).
    fn marks(&self, ctx: &DetectContext<'_>) -> Vec<(bool, bool)> {
        let ledger = ctx.ledger();
        let contacts = ledger.contacts();
        let late_us = micros(ctx.config().late_after);
        let gap_us = micros(ctx.config().batch_gap);
        let mut marks = crate::par::map(contacts, |c| {
            let late = c
                .logged_us()
                .is_some_and(|logged| logged.saturating_sub(c.occurred_us) > late_us);
            (late, false)
        });
        // Each rep's contacts with a logged_at ordered by logged_at, on
        // every thread: read from the rep's timeline and bucket-sorted.
        let batched = crate::par::map_indices(ledger.reps().len(), |rep| {
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
        });
        for i in batched.into_iter().flatten() {
            if let Some(m) = marks.get_mut(i as usize) {
                m.1 = true;
            }
        }
        marks
    }
}

impl Detector for Backdating {
    fn name(&self) -> &str {
        "backdating"
    }

    fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
        let ledger = ctx.ledger();
        let marks = self.marks(ctx);
        debug_assert_eq!(marks.len(), ledger.contacts().len());
        // invariant: one mark per contact (asserted above).
        #[allow(clippy::indexing_slicing)]
        let mark = |i: u32| marks[i as usize];
        let counts = ctx.tally_contacts(
            |x: &mut Counts, i, c| {
                if c.logged_us().is_some() {
                    let (late, batched) = mark(i);
                    x.logged += 1;
                    x.late += u32::from(late);
                    x.batched += u32::from(batched);
                }
            },
            |s, x| {
                s.logged += x.logged;
                s.late += x.late;
                s.batched += x.batched;
            },
        );
        let enough = |x: &Counts| x.logged >= self.min_contacts;
        let late_trials = counts.map(|x| enough(x).then_some((x.late, x.logged)));
        let batch_trials = counts.map(|x| enough(x).then_some((x.batched, x.logged)));
        let late = counts.map(|x| enough(x).then(|| f64::from(x.late) / f64::from(x.logged)));
        let min_peers = ctx.config().rule.min_peers;
        // (test, gate passed, effect over the smallest worth a finding) of
        // one share.
        let test = |table: &super::RepPeriod<Option<(u32, u32)>>, rep, period, k: u32| {
            let t = ctx.proportion_test(table, rep, period, min_peers)?;
            let effect = (t.rate - t.baseline) / self.min_excess;
            Some((t, k >= self.min_flagged, effect))
        };
        let tests = |rep, period, x: &Counts| {
            Some((
                test(&late_trials, rep, period, x.late)?,
                test(&batch_trials, rep, period, x.batched)?,
            ))
        };
        let cands: Vec<super::Candidate> = counts
            .iter()
            .filter(|(_, _, x)| enough(x))
            .filter_map(|(rep, period, x)| {
                let (l, b) = tests(rep, period, x)?;
                // Two shares tested: the stronger one's evidence, its
                // p-value corrected for two tries, so an honest rep's pair
                // stays a normal.
                let excess = stronger_of(l.0.excess, b.0.excess);
                let gated = |t: &(ProportionTest, bool, f64)| if t.1 { t.2 } else { 0.0 };
                let effect = gated(&l).max(gated(&b));
                Some(super::Candidate::new(
                    rep,
                    period,
                    excess,
                    effect,
                    l.1 || b.1,
                ))
            })
            .collect();
        super::conclude(ctx, &cands, |c| {
            let (rep, period) = (c.rep, c.period);
            let x = counts.get(rep, period)?;
            let (l, b) = tests(rep, period, x)?;
            // The marks of each share above the team's make the evidence.
            let (use_late, use_batched) = (l.1 && l.2 > 0.0, b.1 && b.2 > 0.0);
            let (l, b) = ((l.0.rate, l.0.baseline), (b.0.rate, b.0.baseline));
            let own = ctx.own_median(&late, rep, period);
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
                pct(l.0),
                pct(l.1),
                x.batched,
                seconds(ctx.config().batch_gap),
                pct(b.0),
                pct(b.1),
            );
            let evidence = ctx
                .rep_contacts(rep)
                .iter()
                .copied()
                .filter(|&i| {
                    ctx.contact_period(i) == Some(period)
                        && marks
                            .get(i as usize)
                            .is_some_and(|&(lt, bt)| (lt && use_late) || (bt && use_batched))
                })
                .map(|i| ledger.contact_id(i).to_owned())
                .collect();
            Some(ctx.finding(self.name(), rep, period, explanation, evidence))
        })
        .or_untested(ctx, self.name(), format!("at least {} contacts with a logged time in the period", self.min_contacts))
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
