//! The `hollow_contacts` detector (see [`HollowContacts`]).

use super::baseline::pct;
use chrono::TimeDelta;

use super::{DetectContext, Detector, Finding, seconds};

/// `hollow_contacts`: contacts that count toward the target but hold
/// nothing — no outcome, and no or only a few seconds' duration.
///
/// **Behaviour.** A rep short of the daily target logs dials that went
/// nowhere, or entries that were never calls, to make the number: the entry
/// has no outcome and a duration of zero, a few seconds, or none.
///
/// **Signal.** The share of the rep's contacts in the period that are
/// hollow: `outcome` absent *and* `duration_s` absent or at most
/// [`HollowContacts::max_duration`]. An honest unanswered call carries
/// the outcome `no_answer`; an honest e-mail without a duration carries an
/// outcome; what is left empty in both fields is what the target alone
/// explains.
///
/// **Baseline.** The share against the team mates' in the period (all
/// other reps when the team is too small), tested with [`Baseline::of_rates`](super::Baseline::of_rates) and [`Baseline::rate_z`](super::Baseline::rate_z) (the peers'
/// median rate, their spread beyond sampling noise, and the exact binomial
/// tail of the rep's own count), so a
/// team that always fills the fields does not make two stray entries a
/// finding. The rep's own median share in their other periods is quoted in
/// the explanation.
///
/// **Minimum data.** At least [`HollowContacts::min_contacts`] contacts of
/// the rep in the period and [`HollowContacts::min_peers`] peers with as
/// many; otherwise nothing is said.
///
/// Its fields are its settings; its `z_flag` and `z_persist` are its
/// [`Rule`](super::Rule).
#[derive(Debug, Clone, PartialEq)]
pub struct HollowContacts {
    /// A contact without outcome lasting at most this long is hollow
    /// (default 30 seconds: shorter than any conversation, longer than a
    /// dial that rings out and is hung up).
    pub max_duration: TimeDelta,
    /// Fewest contacts of the rep in the period to judge (default 30: about
    /// a week and a half of work; below it a few entries swing the share).
    pub min_contacts: u32,
    /// Fewest peers with enough contacts (default 3: a median of fewer is
    /// one person's habit).
    pub min_peers: usize,
    /// Robust z-score from which a finding is reported (default 4: a
    /// one-sided normal tail of 3 in 100,000, so an honest team of 50 reps
    /// crosses it about once in 50 years of months).
    pub z_flag: f64,
    /// z-score from which a period counts as evidence together with the
    /// adjacent periods of the same rep (default 1.5): a run of two to
    /// four becomes findings when `Σz / √n` reaches `z_flag` — gaming is a
    /// habit, chance is not (see [`Rule`](super::Rule)).
    pub z_persist: f64,
    /// Smallest excess share over the team's median worth a manager's time
    /// (default 0.05: one contact in twenty).
    pub min_excess: f64,
}

impl Default for HollowContacts {
    fn default() -> Self {
        Self {
            max_duration: TimeDelta::seconds(30),
            min_contacts: 30,
            min_peers: 3,
            z_flag: 4.0,
            z_persist: 1.5,
            min_excess: 0.05,
        }
    }
}

impl HollowContacts {
    /// The longest hollow duration in whole seconds: durations are whole
    /// seconds, so `d <= max_duration` is `d <= floor(max_duration)`.
    pub(super) fn max_duration_s(&self) -> i64 {
        let s = self.max_duration.num_seconds();
        s - i64::from(self.max_duration < TimeDelta::seconds(s))
    }

    fn is_hollow(c: &crate::ledger::ContactRow, max_duration_s: i64) -> bool {
        c.outcome.is_none() && c.duration_s().is_none_or(|d| d <= max_duration_s)
    }
}

impl Detector for HollowContacts {
    fn name(&self) -> &str {
        "hollow_contacts"
    }

    fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding> {
        let ledger = ctx.ledger();
        let contacts = ledger.contacts();
        let max_s = self.max_duration_s();
        // (hollow, contacts) per rep and period.
        let mut counts = ctx.rep_period::<(u32, u32)>();
        for (i, c) in contacts.iter().enumerate() {
            let Some(p) = ctx.contact_period(i as u32) else {
                continue;
            };
            if let Some(x) = counts.get_mut(c.rep, p) {
                x.1 += 1;
                if Self::is_hollow(c, max_s) {
                    x.0 += 1;
                }
            }
        }
        let trials = counts.map(|&(k, n)| (n >= self.min_contacts).then_some((k, n)));
        let share = counts
            .map(|&(k, n)| (n >= self.min_contacts).then(|| f64::from(k) / f64::from(n.max(1))));
        let mut pending: Vec<(super::Candidate, Finding)> = Vec::new();
        for (rep, period, &(k, n)) in counts.iter() {
            let Some(t) = ctx.proportion_test(&trials, rep, period, self.min_peers) else {
                continue;
            };
            if t.z < self.z_persist || t.rate - t.baseline < self.min_excess {
                continue;
            }
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
                seconds(self.max_duration),
                pct(t.baseline),
            );
            let evidence = ctx
                .rep_contacts(rep)
                .iter()
                .copied()
                .filter(|&i| {
                    ctx.contact_period(i) == Some(period)
                        && contacts
                            .get(i as usize)
                            .is_some_and(|c| Self::is_hollow(c, max_s))
                })
                .map(|i| ledger.contact_id(i).to_owned())
                .collect();
            pending.push((
                super::Candidate {
                    rep,
                    period,
                    z: t.z,
                },
                ctx.finding(self.name(), rep, period, 0.0, explanation, evidence),
            ));
        }
        super::conclude(ctx, pending, self.z_flag, self.z_persist)
    }
}
