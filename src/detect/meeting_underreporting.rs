//! `meeting_underreporting`: the meetings that did not close are missing.
//!
//! **Behaviour.** A rep judged on the meeting close rate (sales ÷ held
//! meetings) logs the meetings that led to a sale and leaves out the ones
//! that did not, and the no-shows. Every logged meeting then closes, and
//! there is about one held meeting per sale.
//!
//! **Signal.** Of the rep's held meetings in a trailing window of periods,
//! the share whose prospect (cluster) bought afterwards — a sale of that
//! prospect, by anyone, at or after the meeting. Meetings are few (a
//! handful a month), so the window is the period and the
//! [`MeetingUnderreporting::window_periods`] − 1 periods before it. Sales
//! made without any logged meeting (by phone, say) do not enter the
//! figure, so a rep who sells without meeting is not mistaken for one who
//! hides meetings.
//!
//! **Baseline.** The share against the team mates' in the same window (all
//! reps when the team is small), tested with [`ProportionTest`](super::baseline::ProportionTest) (the peers'
//! median rate, their spread beyond sampling noise, and the exact binomial
//! tail of the rep's own count). Where contacts record
//! outcomes, a second figure corroborates: the share of the rep's bookings
//! (contacts with outcome `meeting_booked`) that no meeting of the prospect
//! follows within [`MeetingUnderreporting::booking_days`], tested the same
//! way; the two z-scores are summed (Stouffer). Held meetings per sale for
//! the rep and the team are quoted, and the rep's own median share in other
//! windows.
//!
//! **Minimum data.** [`MeetingUnderreporting::min_meetings`] held meetings
//! of the rep in the window and [`MeetingUnderreporting::min_peers`] peers
//! with as many.

use super::baseline::{median, pct};
use super::{DetectContext, Detector, Finding};
use crate::ledger::EventKind;
use crate::model::{MeetingStatus, Outcome};

/// Settings of the `meeting_underreporting` detector; see the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingUnderreporting {
    /// Periods in the trailing window (default 6: half a year of months —
    /// a rep holds a few meetings a month, and a share of a few is noise).
    pub window_periods: usize,
    /// Fewest held meetings (and, for the corroborating figure, bookings)
    /// of the rep in the window (default 10).
    pub min_meetings: u32,
    /// A booking (contact with outcome `meeting_booked`) counts as logged
    /// when any meeting of the prospect follows within this many days
    /// (default 30).
    pub booking_days: i64,
    /// Fewest peers with enough meetings (default 3).
    pub min_peers: usize,
    /// Robust z-score from which a finding is reported (default 3.5: the
    /// counts are small, so the binomial floor already keeps the spread
    /// wide).
    pub z_flag: f64,
    /// z-score from which a period counts toward a finding together with
    /// an adjacent one (see the module docs of [`detect`](super)); default 4,
    /// the same as `z_flag`, which turns that off: adjacent windows share
    /// most of their meetings, so their evidence is not independent.
    pub z_persist: f64,
    /// Smallest excess of the closing share over the team median when it
    /// stands alone (default 0.25: closing a quarter more of one's meetings
    /// than the team's median rep is more than skill varies).
    pub min_excess: f64,
    /// With outcomes recorded: smallest excess share of bookings never
    /// logged as a meeting over the team median (default 0.1). When it is
    /// met, any closing share above the team's will do.
    pub min_unlogged_excess: f64,
}

impl Default for MeetingUnderreporting {
    fn default() -> Self {
        Self {
            window_periods: 6,
            min_meetings: 10,
            booking_days: 30,
            min_peers: 3,
            z_flag: 4.0,
            z_persist: 4.0,
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

    fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding> {
        let ledger = ctx.ledger();
        // One walk over each prospect's timeline: which meetings its
        // prospect bought after, and which bookings (contacts with outcome
        // `meeting_booked`) no meeting of the prospect follows within the
        // follow-up window (bookings too close to the end of the data to
        // tell are left out).
        let follow_us = self.booking_days.saturating_mul(86_400_000_000);
        let data_end = ledger.time_span_us().map_or(i64::MIN, |(_, hi)| hi);
        let walks = super::map_prospect_chunks(ledger, |range| {
            let mut closed: Vec<u32> = Vec::new();
            let mut bookings: Vec<(u32, u32, bool)> = Vec::new();
            for p in range {
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
                    {
                        continue;
                    }
                    let Some(c) = ledger.contacts().get(e.index as usize) else {
                        continue;
                    };
                    if c.outcome != Some(Outcome::MeetingBooked) {
                        continue;
                    }
                    let followed = events
                        .iter()
                        .skip(pos + 1)
                        .take_while(|x| x.time_us <= e.time_us.saturating_add(follow_us))
                        .any(|x| x.kind == EventKind::Meeting);
                    if let Some(period) = ctx.contact_period(e.index) {
                        bookings.push((c.rep, period, !followed));
                    }
                }
            }
            (closed, bookings)
        });
        let mut closed = vec![false; ledger.meetings().len()];
        let mut per = ctx.rep_period::<Counts>();
        for (closed_here, bookings) in walks {
            for m in closed_here {
                if let Some(c) = closed.get_mut(m as usize) {
                    *c = true;
                }
            }
            for (rep, period, unlogged) in bookings {
                if let Some(x) = per.get_mut(rep, period) {
                    x.booked += 1;
                    x.unlogged += u32::from(unlogged);
                }
            }
        }
        for (i, m) in ledger.meetings().iter().enumerate() {
            if m.status != MeetingStatus::Held {
                continue;
            }
            if let Some(p) = ctx.meeting_period(i as u32)
                && let Some(x) = per.get_mut(m.rep, p)
            {
                x.held += 1;
                x.closed += u32::from(closed.get(i).copied().unwrap_or(false));
            }
        }
        for (i, s) in ledger.sales().iter().enumerate() {
            if let Some(p) = ctx.sale_period(i as u32)
                && let Some(x) = per.get_mut(s.rep, p)
            {
                x.sales += 1;
            }
        }
        let window = self.window_periods.max(1) as u32;
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
        let trials = win.map(|x| (x.held >= self.min_meetings).then_some((x.closed, x.held)));
        let bookings =
            win.map(|x| (x.booked >= self.min_meetings).then_some((x.unlogged, x.booked)));
        let share = win.map(|x| {
            (x.held >= self.min_meetings).then(|| f64::from(x.closed) / f64::from(x.held))
        });
        let mut pending: Vec<(super::Candidate, Finding)> = Vec::new();
        for (rep, period, x) in win.iter() {
            // Only periods in which the rep held a meeting get a finding.
            if per.get(rep, period).is_none_or(|c| c.held == 0) {
                continue;
            }
            let Some(t) = ctx.proportion_test(&trials, rep, period, self.min_peers) else {
                continue;
            };
            // Bookings that vanish corroborate (Stouffer's sum of the two
            // z-scores); where outcomes are not recorded, the closing share
            // stands alone.
            let booked = ctx.proportion_test(&bookings, rep, period, self.min_peers);
            let z = booked.map_or(t.z, |b| (t.z + b.z) / std::f64::consts::SQRT_2);
            let excess = t.rate - t.baseline;
            let corroborated = booked
                .is_some_and(|b| excess > 0.0 && b.rate - b.baseline >= self.min_unlogged_excess);
            if z < self.z_persist || (excess < self.min_excess && !corroborated) {
                continue;
            }
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
                .peers(rep, self.min_peers)
                .iter()
                .filter_map(|&r| {
                    let w = win.get(r, period)?;
                    (w.held >= self.min_meetings && w.sales > 0)
                        .then(|| f64::from(w.held) / f64::from(w.sales))
                })
                .collect();
            let team_mps =
                median(&mut peer_mps).map_or_else(|| "–".to_owned(), |v| format!("{v:.1}"));
            let mps = if x.sales > 0 {
                format!("{:.1}", f64::from(x.held) / f64::from(x.sales))
            } else {
                "–".to_owned()
            };
            let own = ctx
                .own_median(&share, rep, period)
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
            pending.push((
                super::Candidate { rep, period, z },
                ctx.finding(self.name(), rep, period, 0.0, explanation, evidence),
            ));
        }
        super::conclude(ctx, pending, self.z_flag, self.z_persist)
    }
}
