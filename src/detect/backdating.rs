//! The `backdating` detector (see [`Backdating`]).

use super::baseline::pct;
use chrono::TimeDelta;

use super::{DetectContext, Detector, Finding, hours, micros, seconds};

/// `backdating`: contacts typed in long after they happened, in one sitting.
///
/// **Behaviour.** A rep who does not log as they go enters several days of
/// contacts at once — and, once entering from memory, fills the short days
/// too. The entries are logged days after their `occurred_at`, and many of
/// them seconds apart, faster than anyone types a real contact.
///
/// **Signal.** Two shares of the rep's contacts in the period (by
/// `occurred_at`) that have a `logged_at`: *late* — logged more than
/// [`Backdating::late_after`] after they occurred — and *batched* —
/// logged within [`Backdating::batch_gap`] of another of the
/// rep's entries that occurred at a different time. A finding needs either
/// share far above the team's.
///
/// **Baseline.** Each share against the team mates' in the period (all
/// reps when the team is small), tested with [`Baseline::of_rates`](super::Baseline::of_rates) and [`Baseline::rate_z`](super::Baseline::rate_z) (the peers'
/// median rate, their spread beyond sampling noise, and the exact binomial
/// tail of the rep's own count) — so a CRM that
/// imports e-mails for everyone, or a team that logs every evening, is the
/// norm rather than a finding; the rep's own median in other periods is
/// quoted.
///
/// **Minimum data.** [`Backdating::min_contacts`] contacts with a
/// `logged_at`, at least [`Backdating::min_flagged`] late or batched ones,
/// and [`Backdating::min_peers`] peers with enough contacts.
///
/// Its fields are its settings; its `z_flag` and `z_persist` are its
/// [`Rule`](super::Rule).
#[derive(Debug, Clone, PartialEq)]
pub struct Backdating {
    /// Logged more than this long after it occurred is late (default
    /// 24 hours: an evening's or the next morning's catch-up is within it).
    pub late_after: TimeDelta,
    /// Entries this close or closer are batched (default 20 seconds:
    /// typing a contact with its channel, duration and outcome takes
    /// longer).
    pub batch_gap: TimeDelta,
    /// Fewest contacts with a `logged_at` (default 30).
    pub min_contacts: u32,
    /// Fewest late or batched contacts in the period (default 5).
    pub min_flagged: u32,
    /// Fewest peers with enough contacts (default 3).
    pub min_peers: usize,
    /// Robust z-score from which a finding is reported (default 4).
    pub z_flag: f64,
    /// z-score from which a period counts as evidence together with the
    /// adjacent periods of the same rep (default 1.5): a run of two to
    /// four becomes findings when `Σz / √n` reaches `z_flag` — gaming is a
    /// habit, chance is not (see [`Rule`](super::Rule)).
    pub z_persist: f64,
    /// Smallest excess share over the team median (default 0.1).
    pub min_excess: f64,
}

impl Default for Backdating {
    fn default() -> Self {
        Self {
            late_after: TimeDelta::hours(24),
            batch_gap: TimeDelta::seconds(20),
            min_contacts: 30,
            min_flagged: 5,
            min_peers: 3,
            z_flag: 4.0,
            z_persist: 1.5,
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
        let late_us = micros(self.late_after);
        let gap_us = micros(self.batch_gap);
        let mut marks = vec![(false, false); contacts.len()];
        // Contacts with a logged_at grouped by rep (a counting sort read in
        // id order), then each rep's run ordered by logged_at.
        let n_reps = ledger.reps().len();
        let mut offsets = vec![0usize; n_reps + 1];
        for c in contacts {
            if c.logged_us().is_some()
                && let Some(o) = offsets.get_mut(c.rep as usize + 1)
            {
                *o += 1;
            }
        }
        let mut total = 0;
        for o in &mut offsets {
            total += *o;
            *o = total;
        }
        let mut fill = offsets.clone();
        let mut by_logged: Vec<(i64, i64, u32)> = vec![(0, 0, 0); total];
        for (i, c) in contacts.iter().enumerate() {
            let Some(logged) = c.logged_us() else {
                continue;
            };
            if logged.saturating_sub(c.occurred_us) > late_us
                && let Some(m) = marks.get_mut(i)
            {
                m.0 = true;
            }
            if let Some(pos) = fill.get_mut(c.rep as usize) {
                if let Some(slot) = by_logged.get_mut(*pos) {
                    *slot = (logged, c.occurred_us, i as u32);
                }
                *pos += 1;
            }
        }
        for w in offsets.windows(2) {
            let [a, b] = *w else {
                continue;
            };
            let Some(run) = by_logged.get_mut(a..b) else {
                continue;
            };
            run.sort_unstable();
            for pair in run.windows(2) {
                if let [(la, oa, ia), (lb, ob, ib)] = *pair
                    && lb - la <= gap_us
                    && oa != ob
                {
                    for i in [ia, ib] {
                        if let Some(m) = marks.get_mut(i as usize) {
                            m.1 = true;
                        }
                    }
                }
            }
        }
        marks
    }
}

impl Detector for Backdating {
    fn name(&self) -> &str {
        "backdating"
    }

    fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding> {
        let ledger = ctx.ledger();
        let marks = self.marks(ctx);
        let mut counts = ctx.rep_period::<Counts>();
        // One mark per contact: the zip walks every contact.
        for (i, (c, &(late, batched))) in ledger.contacts().iter().zip(&marks).enumerate() {
            if c.logged_us().is_none() {
                continue;
            }
            let Some(p) = ctx.contact_period(i as u32) else {
                continue;
            };
            if let Some(x) = counts.get_mut(c.rep, p) {
                x.logged += 1;
                x.late += u32::from(late);
                x.batched += u32::from(batched);
            }
        }
        let enough = |x: &Counts| x.logged >= self.min_contacts;
        let late_trials = counts.map(|x| enough(x).then_some((x.late, x.logged)));
        let batch_trials = counts.map(|x| enough(x).then_some((x.batched, x.logged)));
        let late = counts.map(|x| enough(x).then(|| f64::from(x.late) / f64::from(x.logged)));
        let mut pending: Vec<(super::Candidate, Finding)> = Vec::new();
        for (rep, period, x) in counts.iter() {
            if !enough(x) {
                continue;
            }
            let test = |table: &super::RepPeriod<Option<(u32, u32)>>, k: u32| {
                let t = ctx.proportion_test(table, rep, period, self.min_peers)?;
                let passes = k >= self.min_flagged
                    && t.z >= self.z_persist
                    && t.rate - t.baseline >= self.min_excess;
                Some((passes, t.z, t.rate, t.baseline))
            };
            let (Some(l), Some(b)) = (test(&late_trials, x.late), test(&batch_trials, x.batched))
            else {
                continue;
            };
            if !l.0 && !b.0 {
                continue;
            }
            let z = if l.0 && b.0 {
                l.1.max(b.1)
            } else if l.0 {
                l.1
            } else {
                b.1
            };
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
                hours(self.late_after),
                pct(l.2),
                pct(l.3),
                x.batched,
                seconds(self.batch_gap),
                pct(b.2),
                pct(b.3),
            );
            let evidence = ctx
                .rep_contacts(rep)
                .iter()
                .copied()
                .filter(|&i| {
                    ctx.contact_period(i) == Some(period)
                        && marks
                            .get(i as usize)
                            .is_some_and(|&(lt, bt)| (lt && l.0) || (bt && b.0))
                })
                .map(|i| ledger.contact_id(i).to_owned())
                .collect();
            pending.push((
                super::Candidate { rep, period, z },
                ctx.finding(self.name(), rep, period, 0.0, explanation, evidence),
            ));
        }
        super::conclude(ctx, pending, self.z_flag, self.z_persist)
    }
}
