//! The `meeting_underreporting` detector.

use super::baseline::{Excess, ProportionTest, median, pct};
use super::{DetectContext, Detector, Finding, Tested};
use super::{RepPeriod, micros};
use crate::ledger::{ContactRow, EventKind};
use crate::model::{MeetingStatus, Outcome};

/// The `meeting_underreporting` detector (SPEC §9; see the [module docs](super) for what it
/// catches, how, and its settings in [`DetectConfig`](super::DetectConfig)).
/// Its fields are its fixed thresholds of minimum data and effect size.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MeetingUnderreporting {
    /// Fewest held meetings (and, for the corroborating figure, bookings)
    /// of the rep in the window (default 10).
    pub(crate) min_meetings: u32,
    /// Smallest excess of the closing share over the team median when it
    /// stands alone (default 0.25: closing a quarter more of one's meetings
    /// than the team's median rep is more than skill varies).
    pub(crate) min_excess: f64,
    /// With outcomes recorded: smallest excess share of bookings never
    /// logged as a meeting over the team median (default 0.1): either
    /// excess makes an effect worth a finding.
    pub(crate) min_unlogged_excess: f64,
}

impl Default for MeetingUnderreporting {
    fn default() -> Self {
        Self {
            min_meetings: 10,
            min_excess: 0.25,
            min_unlogged_excess: 0.1,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Counts {
    held: u32,
    closed: u32,
    sales: u32,
    booked: u32,
    unlogged: u32,
}

impl Detector for MeetingUnderreporting {
    fn name(&self) -> &str {
        "meeting_underreporting"
    }

    fn detect(&self, ctx: &DetectContext<'_>) -> Tested {
        let per = self.counts(ctx);
        let win = self.windows(ctx, &per);
        let tables = Tables::of(self, &win);
        let cands = self.judge(ctx, &per, &tables);
        super::conclude(ctx, &cands, |c| {
            let (rep, period) = (c.rep, c.period);
            let x = win.get(rep, period)?;
            let (t, booked) = tables.tests(ctx, rep, period)?;
            Some(self.finding(ctx, &win, &tables.share, (rep, period, x), (t, booked)))
        })
        .or_untested(
            ctx,
            self.name(),
            format!(
                "at least {} held meetings over the trailing window of periods",
                self.min_meetings
            ),
        )
    }
}

impl MeetingUnderreporting {
    /// For a range of prospects: the meetings its prospect bought after
    /// (into `closed`), and the bookings no meeting of the prospect
    /// follows within the follow-up window (into `unlogged`; bookings too
    /// close to `data_end`, the last event, to tell are left out): part of
    /// the context's one walk over the prospects' timelines, which reads
    /// no contact row (bookings are marked in the context).
    pub(crate) fn walk(
        &self,
        ctx: &DetectContext<'_>,
        (prospects, data_end): (std::ops::Range<u32>, i64),
        closed: &mut Vec<u32>,
        unlogged: &mut Vec<u32>,
    ) {
        let ledger = ctx.ledger();
        let follow_us = micros(ctx.config().booking_window);
        for p in prospects {
            let events = ledger.prospect_events(p);
            if let Some(last_sale) = events
                .iter()
                .rev()
                .find(|e| e.kind == EventKind::Sale)
                .map(|e| e.time_us)
            {
                closed.extend(
                    events
                        .iter()
                        .filter(|e| e.kind == EventKind::Meeting && e.time_us <= last_sale)
                        .map(|e| e.index),
                );
            }
            for (pos, e) in events.iter().enumerate() {
                if e.kind != EventKind::Contact
                    || e.time_us.saturating_add(follow_us) > data_end
                    || !ctx.is_booking(e.index)
                {
                    continue;
                }
                let followed = events
                    .iter()
                    .skip(pos + 1)
                    .take_while(|x| x.time_us <= e.time_us.saturating_add(follow_us))
                    .any(|x| x.kind == EventKind::Meeting);
                if !followed {
                    unlogged.push(e.index);
                }
            }
        }
    }

    /// Whether contact row `c` is a booking that can be judged: outcome
    /// `meeting_booked`, at least the follow-up window before `data_end`.
    pub(crate) fn judged_booking(ctx: &DetectContext<'_>, c: &ContactRow, data_end: i64) -> bool {
        c.outcome == Some(Outcome::MeetingBooked)
            && c.occurred_us
                .saturating_add(micros(ctx.config().booking_window))
                <= data_end
    }

    /// Per rep and period: held meetings, those a sale of the prospect
    /// followed, sales, and bookings with those no meeting followed.
    fn counts(&self, ctx: &DetectContext<'_>) -> RepPeriod<Counts> {
        let ledger = ctx.ledger();
        let shared = ctx.shared();
        let closed = &shared.meeting_closed;
        let mut per = shared.counts.map(|x| Counts {
            booked: x.booked,
            unlogged: x.unlogged,
            ..Counts::default()
        });
        // One flag per meeting: the zip walks every meeting.
        for ((i, m), &was_closed) in ledger.meetings().iter().enumerate().zip(closed) {
            if m.status != MeetingStatus::Held {
                continue;
            }
            if let Some(p) = ctx.meeting_period(i as u32)
                && let Some(x) = per.get_mut(m.rep, p)
            {
                x.held += 1;
                x.closed += u32::from(was_closed);
            }
        }
        for (i, s) in ledger.sales().iter().enumerate() {
            if let Some(p) = ctx.sale_period(i as u32)
                && let Some(x) = per.get_mut(s.rep, p)
            {
                x.sales += 1;
            }
        }
        per
    }

    /// Each period's counts summed with those of the `meeting_window_periods - 1`
    /// periods before it.
    fn windows(&self, ctx: &DetectContext<'_>, per: &RepPeriod<Counts>) -> RepPeriod<Counts> {
        let window = ctx.config().meeting_window_periods.max(1) as u32;
        // Each period's counts go into the windows that end in it and the
        // next `window - 1` periods: the same sums as gathering each
        // window's periods, touching only the cells that have counts.
        let mut win = ctx.rep_period::<Counts>();
        let periods = ctx.period_count() as u32;
        for (rep, period, x) in per.iter() {
            if *x == Counts::default() {
                continue;
            }
            for q in period..period.saturating_add(window).min(periods) {
                if let Some(w) = win.get_mut(rep, q) {
                    w.held += x.held;
                    w.closed += x.closed;
                    w.sales += x.sales;
                    w.booked += x.booked;
                    w.unlogged += x.unlogged;
                }
            }
        }
        win
    }

    /// Every rep-window with enough held meetings, judged: the closing
    /// share, corroborated by vanished bookings where outcomes are
    /// recorded.
    fn judge(
        &self,
        ctx: &DetectContext<'_>,
        per: &RepPeriod<Counts>,
        tables: &Tables,
    ) -> Vec<super::Candidate> {
        tables
            .trials
            .iter()
            .filter_map(|(rep, period, _)| {
                let (t, booked) = tables.tests(ctx, rep, period)?;
                // Bookings that vanish corroborate (Stouffer's sum of the
                // two z-scores); where outcomes are not recorded, the
                // closing share stands alone.
                let z = booked.map_or(t.excess.z, |b| {
                    (t.excess.z + b.excess.z) / std::f64::consts::SQRT_2
                });
                // Adjacent windows share most of their meetings: the window
                // already pools, so the rule's scan must add nothing
                // (persistent share 1).
                let excess = Excess::new(z, 1.0);
                // Either the closing share or the vanished bookings far
                // enough above the team's makes an effect worth a finding.
                let closing = (t.rate - t.baseline) / self.min_excess;
                let vanished =
                    booked.map_or(0.0, |b| (b.rate - b.baseline) / self.min_unlogged_excess);
                let effect = closing.max(vanished);
                // Only periods in which the rep held a meeting get a finding.
                let held_now = per.get(rep, period).is_some_and(|c| c.held > 0);
                Some(super::Candidate::new(rep, period, excess, effect, held_now))
            })
            .collect()
    }

    /// The finding of rep `rep` in the window ending in `period`.
    fn finding(
        &self,
        ctx: &DetectContext<'_>,
        win: &RepPeriod<Counts>,
        share: &RepPeriod<Option<f64>>,
        (rep, period, x): (u32, u32, &Counts),
        (t, booked): (ProportionTest, Option<ProportionTest>),
    ) -> Finding {
        let ledger = ctx.ledger();
        let window = ctx.config().meeting_window_periods.max(1) as u32;
        let booked_text = booked.map_or_else(String::new, |b| {
            format!(
                "; {} of {} meetings booked in contacts then were never logged ({}, team median {})",
                x.unlogged,
                x.booked,
                pct(b.rate),
                pct(b.baseline)
            )
        });
        let mut peer_mps: Vec<f64> = ctx
            .peers(rep, ctx.config().rule.min_peers)
            .iter()
            .filter_map(|&r| {
                let w = win.get(r, period)?;
                (w.held >= self.min_meetings && w.sales > 0)
                    .then(|| f64::from(w.held) / f64::from(w.sales))
            })
            .collect();
        let team_mps = median(&mut peer_mps).map_or_else(|| "–".to_owned(), |v| format!("{v:.1}"));
        let mps = if x.sales > 0 {
            format!("{:.1}", f64::from(x.held) / f64::from(x.sales))
        } else {
            "–".to_owned()
        };
        let own = ctx
            .own_median(share, rep, period)
            .map_or_else(String::new, |o| {
                format!("; {} in their other windows", pct(o))
            });
        let first = (period + 1).saturating_sub(window);
        let span = if first == period {
            ctx.period_label(period)
        } else {
            format!(
                "{} to {}",
                ctx.period_label(first),
                ctx.period_label(period)
            )
        };
        let explanation = format!(
            "From {span} {} of {} held meetings logged by {} were followed by a sale ({}) against {} for the team's median rep{own}: {mps} held meetings per sale against the team's {team_mps}{booked_text}, as if meetings that did not close went unlogged.",
            x.closed,
            x.held,
            ledger.rep_id(rep),
            pct(t.rate),
            pct(t.baseline),
        );
        let evidence = ledger
            .meetings()
            .iter()
            .enumerate()
            .filter(|(i, m)| {
                m.rep == rep
                    && m.status == MeetingStatus::Held
                    && ctx
                        .meeting_period(*i as u32)
                        .is_some_and(|q| q >= first && q <= period)
            })
            .map(|(i, _)| ledger.meeting_id(i as u32).to_owned())
            .collect();
        ctx.finding(self.name(), rep, period, explanation, evidence)
    }
}

/// Per (rep, window): the counts tested.
struct Tables {
    /// (closed, held) where enough meetings were held.
    trials: RepPeriod<Option<(u32, u32)>>,
    /// (unlogged, booked) where enough were booked.
    bookings: RepPeriod<Option<(u32, u32)>>,
    /// Closing share of held meetings.
    share: RepPeriod<Option<f64>>,
}

impl Tables {
    fn of(d: &MeetingUnderreporting, win: &RepPeriod<Counts>) -> Tables {
        Tables {
            trials: win.map(|x| (x.held >= d.min_meetings).then_some((x.closed, x.held))),
            bookings: win.map(|x| (x.booked >= d.min_meetings).then_some((x.unlogged, x.booked))),
            share: win.map(|x| {
                (x.held >= d.min_meetings).then(|| f64::from(x.closed) / f64::from(x.held))
            }),
        }
    }

    /// The closing share's test and, where bookings are recorded, the
    /// vanished bookings' test.
    fn tests(
        &self,
        ctx: &DetectContext<'_>,
        rep: u32,
        period: u32,
    ) -> Option<(ProportionTest, Option<ProportionTest>)> {
        let min_peers = ctx.config().rule.min_peers;
        let t = ctx.proportion_test(&self.trials, rep, period, min_peers)?;
        Some((
            t,
            ctx.proportion_test(&self.bookings, rep, period, min_peers),
        ))
    }
}
