//! The `backdating` detector.

use super::baseline::pct;

use super::{DetectContext, Detector, Finding, hours, micros, seconds};

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
                let t = ctx.proportion_test(table, rep, period, ctx.config().rule.min_peers)?;
                let passes = k >= self.min_flagged
                    && t.z >= ctx.config().rule.z_persist
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
                hours(ctx.config().late_after),
                pct(l.2),
                pct(l.3),
                x.batched,
                seconds(ctx.config().batch_gap),
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
        super::conclude(
            ctx,
            pending,
            ctx.config().rule.z_flag,
            ctx.config().rule.z_persist,
        )
    }
}
