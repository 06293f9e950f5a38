//! The `repeat_touch` detector.

use super::baseline::{Baseline, pct};

use super::{DetectContext, Detector, Tested, hours, micros};
use crate::ledger::EventKind;

/// The `repeat_touch` detector (SPEC §9; see the [module docs](super) for what it
/// catches, how, and its settings in [`DetectConfig`](super::DetectConfig)).
/// Its fields are its fixed thresholds of minimum data and effect size.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RepeatTouch {
    /// Fewest contacts of the rep in the period (default 30).
    pub(crate) min_contacts: u32,
    /// Fewest bursts in the period before anything is said (default 3: one
    /// or two can be a prospect who is hard to reach that day).
    pub(crate) min_bursts: u32,
    /// Smallest excess share of contacts in bursts (default 0.05).
    pub(crate) min_excess: f64,
}

impl Default for RepeatTouch {
    fn default() -> Self {
        Self {
            min_contacts: 30,
            min_bursts: 3,
            min_excess: 0.05,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    contacts: u32,
    in_bursts: u32,
    bursts: u32,
}

impl RepeatTouch {
    /// Contacts in bursts (into `marked`), and (rep, period) of each
    /// burst's first contact (into `starts`), for a range of prospects:
    /// part of the context's one walk over the prospects' timelines.
    pub(crate) fn bursts_in(
        &self,
        ctx: &DetectContext<'_>,
        prospects: std::ops::Range<u32>,
        marked: &mut Vec<u32>,
        starts: &mut Vec<(u32, u32)>,
    ) {
        let ledger = ctx.ledger();
        let contacts = ledger.contacts();
        let window = micros(ctx.config().repeat_window);
        let need = ctx.config().repeat_touches.max(2);
        let mut buf: Vec<(u32, i64, u32)> = Vec::new();
        for p in prospects {
            let events = ledger.prospect_events(p);
            if events.len() < need {
                continue;
            }
            // Most prospects never get `need` contacts within one window:
            // a cheap look at the timeline settles them.
            let quick = events.windows(need).any(|w| match (w.first(), w.last()) {
                (Some(a), Some(b)) => b.time_us.saturating_sub(a.time_us) <= window,
                _ => false,
            });
            if !quick {
                continue;
            }
            buf.clear();
            buf.extend(
                events
                    .iter()
                    .filter(|e| e.kind == EventKind::Contact)
                    .filter_map(|e| {
                        contacts
                            .get(e.index as usize)
                            .map(|c| (c.rep, e.time_us, e.index))
                    }),
            );
            if buf.len() < need {
                continue;
            }
            // Events are in time order; a stable sort by rep keeps it.
            if buf.windows(2).any(|w| matches!(w, [a, b] if a.0 != b.0)) {
                buf.sort_by_key(|x| x.0);
            }
            let mut start = 0usize;
            let mut in_burst_until = None::<usize>;
            // Contacts before this position are already marked: each is
            // marked once, however many windows hold it (all at one
            // instant, every window holds every contact).
            let mut marked_to = 0usize;
            for j in 0..buf.len() {
                let Some(&(rep, t, _)) = buf.get(j) else {
                    continue;
                };
                while buf
                    .get(start)
                    .is_some_and(|&(r, s, _)| r != rep || t - s > window)
                {
                    start += 1;
                }
                if j + 1 - start >= need {
                    // A new burst unless it continues the previous one.
                    if in_burst_until.is_none_or(|u| u < start)
                        && let Some(&(_, _, first)) = buf.get(start)
                        && let Some(period) = ctx.contact_period(first)
                    {
                        starts.push((rep, period));
                    }
                    let from = start.max(marked_to);
                    // invariant: from <= start <= j < buf.len().
                    #[allow(clippy::indexing_slicing)]
                    marked.extend(buf[from..=j].iter().map(|x| x.2));
                    marked_to = j + 1;
                    in_burst_until = Some(j);
                }
            }
        }
    }
}

impl Detector for RepeatTouch {
    fn name(&self) -> &str {
        "repeat_touch"
    }

    fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
        let ledger = ctx.ledger();
        let shared = ctx.shared();
        let bursts = &shared.bursts;
        let is_marked = |i: u32| shared.flags_of(i) & super::shared::IN_BURST != 0;
        let mut counts = shared.counts.map(|x| Counts {
            contacts: x.contacts,
            in_bursts: x.in_bursts,
            bursts: 0,
        });
        for (rep, period, &b) in bursts.iter() {
            if let Some(x) = counts.get_mut(rep, period) {
                x.bursts = b;
            }
        }
        // The unit of the behaviour is the burst (one conversation split
        // up), so bursts per contact are tested, not contacts in bursts.
        let trials =
            counts.map(|x| (x.contacts >= self.min_contacts).then_some((x.bursts, x.contacts)));
        let share = counts.map(|x| {
            (x.contacts >= self.min_contacts)
                .then(|| f64::from(x.in_bursts) / f64::from(x.contacts.max(1)))
        });
        let min_peers = ctx.config().rule.min_peers;
        let team_share = |rep: u32, period: u32| {
            ctx.peer_baseline(&share, rep, period, min_peers)
                .map_or(0.0, |b| b.median)
        };
        let cands: Vec<super::Candidate> = counts
            .iter()
            .filter_map(|(rep, period, x)| {
                // Bursts are rare for honest reps: their baseline borrows
                // the team's pooled rate.
                let t = ctx.proportion_test_by(
                    &trials,
                    rep,
                    period,
                    min_peers,
                    Baseline::of_rare_rates,
                )?;
                let s = f64::from(x.in_bursts) / f64::from(x.contacts.max(1));
                let effect = (s - team_share(rep, period)) / self.min_excess;
                let reportable = x.bursts >= self.min_bursts;
                Some(super::Candidate::new(
                    rep, period, t.excess, effect, reportable,
                ))
            })
            .collect();
        super::conclude(ctx, &cands, |c| {
            let (rep, period) = (c.rep, c.period);
            let x = counts.get(rep, period)?;
            let s = f64::from(x.in_bursts) / f64::from(x.contacts.max(1));
            let team_share = team_share(rep, period);
            let own = ctx
                .own_median(&share, rep, period)
                .map_or_else(String::new, |o| {
                    format!(", and {} in their other months", pct(o))
                });
            let rep_id = ledger.rep_id(rep);
            let explanation = format!(
                "In {} {} contacted the same prospect {} or more times within {} h on {} occasions: {} of {} contacts ({}) against {} for the team's median rep{own}.",
                ctx.period_label(period),
                rep_id,
                ctx.config().repeat_touches,
                hours(ctx.config().repeat_window),
                x.bursts,
                x.in_bursts,
                x.contacts,
                pct(s),
                pct(team_share),
            );
            let evidence = ctx.contact_ids_in(rep, period, is_marked);
            Some(ctx.finding(self.name(), rep, period, explanation, evidence))
        })
        .or_untested(ctx, self.name(), format!("at least {} contacts in the period", self.min_contacts))
    }
}
