//! The `hollow_contacts` detector.

use super::baseline::pct;
use chrono::TimeDelta;

use super::{DetectContext, Detector, Tested, seconds};

/// The `hollow_contacts` detector (SPEC §9; see the [module docs](super) for what it
/// catches, how, and its settings in [`DetectConfig`](super::DetectConfig)).
/// Its fields are its fixed thresholds of minimum data and effect size.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HollowContacts {
    /// Fewest contacts of the rep in the period to judge (default 30: about
    /// a week and a half of work; below it a few entries swing the share).
    pub(crate) min_contacts: u32,
    /// Smallest excess share over the team's median worth a manager's time
    /// (default 0.05: one contact in twenty).
    pub(crate) min_excess: f64,
}

impl Default for HollowContacts {
    fn default() -> Self {
        Self {
            min_contacts: 30,
            min_excess: 0.05,
        }
    }
}

/// The longest hollow duration in whole seconds: durations are whole
/// seconds, so `d <= max_duration` is `d <= floor(max_duration)`.
pub(super) fn max_duration_s(max_duration: TimeDelta) -> i64 {
    let s = max_duration.num_seconds();
    s - i64::from(max_duration < TimeDelta::seconds(s))
}

impl HollowContacts {
    fn is_hollow(c: &crate::ledger::ContactRow, max_duration_s: i64) -> bool {
        c.outcome.is_none() && c.duration_s().is_none_or(|d| d <= max_duration_s)
    }
}

impl Detector for HollowContacts {
    fn name(&self) -> &str {
        "hollow_contacts"
    }

    fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
        let ledger = ctx.ledger();
        let contacts = ledger.contacts();
        let max_s = max_duration_s(ctx.config().hollow_max_duration);
        // (hollow, contacts) per rep and period.
        let counts = ctx.shared().counts.map(|x| (x.hollow, x.contacts));
        let trials = counts.map(|&(k, n)| (n >= self.min_contacts).then_some((k, n)));
        let share = counts
            .map(|&(k, n)| (n >= self.min_contacts).then(|| f64::from(k) / f64::from(n.max(1))));
        let min_peers = ctx.config().rule.min_peers;
        let cands: Vec<super::Candidate> = counts
            .iter()
            .filter_map(|(rep, period, _)| {
                let t = ctx.proportion_test(&trials, rep, period, min_peers)?;
                let effect = (t.rate - t.baseline) / self.min_excess;
                Some(super::Candidate::new(rep, period, t.excess, effect, true))
            })
            .collect();
        super::conclude(ctx, &cands, |c| {
            let (rep, period) = (c.rep, c.period);
            let &(k, n) = counts.get(rep, period)?;
            let t = ctx.proportion_test(&trials, rep, period, min_peers)?;
            let own = ctx
                .own_median(&share, rep, period)
                .map_or_else(String::new, |o| {
                    format!(", and {} in their other months", pct(o))
                });
            let rep_id = ledger.rep_id(rep);
            let explanation = format!(
                "In {} {rep_id} logged {k} of {n} contacts ({}) with no outcome and at most {} s duration, against {} for the team's median rep{own}.",
                ctx.period_label(period),
                pct(t.rate),
                seconds(ctx.config().hollow_max_duration),
                pct(t.baseline),
            );
            let evidence = ctx.contact_ids_in(rep, period, |i| contacts
                            .get(i as usize)
                            .is_some_and(|c| Self::is_hollow(c, max_s)));
            Some(ctx.finding(self.name(), rep, period, explanation, evidence))
        })
        .or_untested(ctx, self.name(), format!("at least {} contacts in the period", self.min_contacts))
    }
}
