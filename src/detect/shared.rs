//! [`Shared`]: the groundwork of the built-in detectors, laid once per
//! context so that no detector walks the ledger again.
//!
//! Three passes do most of it. One walk over the prospects' timelines
//! finds the entered records, the first contact through each record, the
//! repeat-touch bursts, the meetings a sale followed and the bookings no
//! meeting followed (the rows the events point at are read while they are
//! in cache, not once per detector; bookings are told by a bit the
//! context sets, not by their rows). One pass per rep over their contacts
//! with a `logged_at` finds the batched ones. One pass over the contact
//! rows, in their order, then sums every per-(rep, period) count the
//! detectors test. Each rep's contacts per local day are counted last.

use super::backdating::Backdating;
use super::duplicate_inflation::{DuplicateInflation, Entered};
use super::hollow_contacts::max_duration_s;
use super::meeting_underreporting::MeetingUnderreporting;
use super::repeat_touch::RepeatTouch;
use super::{DetectContext, map_prospect_chunks};
use super::{RepPeriod, micros};
use crate::classify::ContactClass;

/// Per-contact flags (one byte per contact).
pub(crate) const IN_BURST: u8 = 1;
/// The contact is the first through its record.
pub(crate) const FIRST_OF_RECORD: u8 = 2;
/// The contact was logged within the batch gap of another entry.
pub(crate) const BATCHED: u8 = 4;
/// The contact is a booking no meeting followed.
pub(crate) const UNLOGGED: u8 = 8;
/// The contact is through a record its rep entered for a prospect already
/// known (`duplicate_inflation`'s case).
pub(crate) const THROUGH_DUPLICATE: u8 = 16;

/// The follow-ups `follow_up_padding` leaves to other detectors: in a
/// burst, the first through their record, or through a record their rep
/// entered for a known prospect.
const LEFT_OUT: u8 = IN_BURST | FIRST_OF_RECORD | THROUGH_DUPLICATE;

/// Every per-(rep, period) count over contacts that a built-in detector
/// tests (sums, so they do not depend on the order of the contacts).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct ContactCounts {
    /// Contacts.
    pub(crate) contacts: u32,
    /// Hollow contacts (`hollow_contacts`).
    pub(crate) hollow: u32,
    /// Contacts with a `logged_at` (`backdating`).
    pub(crate) logged: u32,
    /// Those logged late.
    pub(crate) late: u32,
    /// Those batched.
    pub(crate) batched: u32,
    /// Contacts in repeat-touch bursts (`repeat_touch`).
    pub(crate) in_bursts: u32,
    /// Prospecting contacts (`follow_up_padding`).
    pub(crate) prospecting: u32,
    /// Follow-ups among them that are not another detector's business.
    pub(crate) follow_ups: u32,
    /// Bookings that can be judged (`meeting_underreporting`).
    pub(crate) booked: u32,
    /// Those no meeting followed.
    pub(crate) unlogged: u32,
}

impl ContactCounts {
    fn merge(&mut self, x: &Self) {
        self.contacts += x.contacts;
        self.hollow += x.hollow;
        self.logged += x.logged;
        self.late += x.late;
        self.batched += x.batched;
        self.in_bursts += x.in_bursts;
        self.prospecting += x.prospecting;
        self.follow_ups += x.follow_ups;
        self.booked += x.booked;
        self.unlogged += x.unlogged;
    }
}

/// One run of a rep's contacts on one local day: (day, dense period,
/// contacts).
pub(crate) type DayRun = (i32, u32, u32);

/// What the built-in detectors read instead of the ledger.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Per (rep, period): the records the rep entered that duplicate an
    /// earlier record of their prospect, and all the records they entered
    /// (`duplicate_inflation`). Counts, not the records: a ledger has
    /// millions.
    pub(crate) entered: RepPeriod<(u32, u32)>,
    /// The entered records that duplicate one, in prospect order.
    pub(crate) duplicates: Vec<Entered>,
    /// Per contact: [`IN_BURST`], [`FIRST_OF_RECORD`], [`BATCHED`],
    /// [`UNLOGGED`], [`THROUGH_DUPLICATE`].
    pub(crate) flags: Vec<u8>,
    /// Repeat-touch bursts per (rep, period) of their first contact.
    pub(crate) bursts: RepPeriod<u32>,
    /// Per meeting whether a sale of its prospect followed.
    pub(crate) meeting_closed: Vec<bool>,
    /// The contact counts.
    pub(crate) counts: RepPeriod<ContactCounts>,
    /// Each rep's contacts per local day, in day order: rep `r`'s runs
    /// are at `day_offsets[r]..day_offsets[r + 1]`.
    pub(crate) day_offsets: Vec<u32>,
    pub(crate) day_runs: Vec<DayRun>,
}

/// What one range of prospects' walk gathers.
#[derive(Default)]
struct WalkPart {
    /// (rep, period) of each record entered.
    entered: Vec<(u32, u32)>,
    /// Those that duplicate one.
    duplicates: Vec<Entered>,
    firsts: Vec<u32>,
    through_duplicates: Vec<u32>,
    burst_marked: Vec<u32>,
    burst_starts: Vec<(u32, u32)>,
    closed: Vec<u32>,
    unlogged: Vec<u32>,
}

impl WalkPart {
    /// Keeps of `entered` (emptied) what the counts need: the (rep,
    /// period) of each, and the duplicates whole.
    fn keep_entered(&mut self, entered: &mut Vec<Entered>) {
        for e in entered.drain(..) {
            self.entered.push((e.rep, e.period));
            if e.duplicates.is_some() {
                self.duplicates.push(e);
            }
        }
    }
}

/// Prospects walked together by all three walks, so that the rows their
/// events point at are still in cache for the second and third.
const WALK_BATCH: u32 = 256;

impl Shared {
    /// Lays the groundwork for `ctx` (whose placement and rep index are
    /// ready).
    pub(crate) fn of(ctx: &DetectContext<'_>) -> Self {
        let ledger = ctx.ledger();
        let (parts, batched) = crate::par::join(|| walk(ctx), || Backdating::batched(ctx));
        let mut shared = Shared {
            flags: vec![0u8; ledger.contacts().len()],
            meeting_closed: vec![false; ledger.meetings().len()],
            bursts: ctx.rep_period(),
            entered: ctx.rep_period(),
            ..Shared::default()
        };
        let mark = |flags: &mut [u8], i: u32, bit: u8| {
            if let Some(f) = flags.get_mut(i as usize) {
                *f |= bit;
            }
        };
        for part in parts {
            shared.count_entered(&part);
            shared.duplicates.extend(part.duplicates);
            part.firsts
                .iter()
                .for_each(|&i| mark(&mut shared.flags, i, FIRST_OF_RECORD));
            part.through_duplicates
                .iter()
                .for_each(|&i| mark(&mut shared.flags, i, THROUGH_DUPLICATE));
            part.burst_marked
                .iter()
                .for_each(|&i| mark(&mut shared.flags, i, IN_BURST));
            for (rep, period) in part.burst_starts {
                if let Some(b) = shared.bursts.get_mut(rep, period) {
                    *b += 1;
                }
            }
            part.unlogged
                .iter()
                .for_each(|&i| mark(&mut shared.flags, i, UNLOGGED));
            for m in part.closed {
                if let Some(c) = shared.meeting_closed.get_mut(m as usize) {
                    *c = true;
                }
            }
        }
        for i in batched.into_iter().flatten() {
            mark(&mut shared.flags, i, BATCHED);
        }
        shared.counts = tally(ctx, &shared.flags);
        (shared.day_offsets, shared.day_runs) = day_runs(ctx);
        shared
    }

    /// Adds a part's records entered and duplicates to the counts.
    fn count_entered(&mut self, part: &WalkPart) {
        for &(rep, period) in &part.entered {
            if let Some(x) = self.entered.get_mut(rep, period) {
                x.1 += 1;
            }
        }
        for e in &part.duplicates {
            if let Some(x) = self.entered.get_mut(e.rep, e.period) {
                x.0 += 1;
            }
        }
    }

    /// Whether contact `i` is left out of `follow_up_padding`'s counts as
    /// another detector's business: in a burst, the first through its
    /// record, or through a record its rep entered for a known prospect.
    pub(crate) fn left_out(&self, i: u32) -> bool {
        self.flags_of(i) & LEFT_OUT != 0
    }

    /// The flags of contact `i`.
    pub(crate) fn flags_of(&self, i: u32) -> u8 {
        self.flags.get(i as usize).copied().unwrap_or(0)
    }

    /// Rep `rep`'s runs of contacts per local day, in day order.
    pub(crate) fn rep_days(&self, rep: u32) -> &[DayRun] {
        let r = rep as usize;
        match (self.day_offsets.get(r), self.day_offsets.get(r + 1)) {
            (Some(&a), Some(&b)) => self.day_runs.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// The one walk over the prospects' timelines, in chunks of about equal
/// events (results in prospect order).
fn walk(ctx: &DetectContext<'_>) -> Vec<WalkPart> {
    let repeat = RepeatTouch::default();
    let meetings = MeetingUnderreporting::default();
    let data_end = ctx.time_span_us().map_or(i64::MIN, |(_, hi)| hi);
    map_prospect_chunks(ctx.ledger(), |range| {
        let mut part = WalkPart::default();
        let mut entered = Vec::new();
        let mut start = range.start;
        while start < range.end {
            let end = start.saturating_add(WALK_BATCH).min(range.end);
            DuplicateInflation::entered_in(
                ctx,
                start..end,
                &mut entered,
                (&mut part.firsts, &mut part.through_duplicates),
            );
            part.keep_entered(&mut entered);
            repeat.bursts_in(
                ctx,
                start..end,
                &mut part.burst_marked,
                &mut part.burst_starts,
            );
            meetings.walk(
                ctx,
                (start..end, data_end),
                &mut part.closed,
                &mut part.unlogged,
            );
            start = end;
        }
        part
    })
}

/// The one pass over the contact rows behind [`Shared::counts`].
fn tally(ctx: &DetectContext<'_>, flags: &[u8]) -> RepPeriod<ContactCounts> {
    let config = ctx.config();
    let max_s = max_duration_s(config.hollow_max_duration);
    let late_us = micros(config.late_after);
    let classified = ctx.classified();
    let data_end = ctx.time_span_us().map_or(i64::MIN, |(_, hi)| hi);
    debug_assert_eq!(flags.len(), ctx.ledger().contacts().len());
    ctx.tally_contacts(
        |x: &mut ContactCounts, i, c| {
            // invariant: one flag byte per contact (asserted above).
            #[allow(clippy::indexing_slicing)]
            let f = flags[i as usize];
            x.contacts += 1;
            x.hollow += u32::from(c.outcome.is_none() && c.duration_s().is_none_or(|d| d <= max_s));
            if let Some(logged) = c.logged_us() {
                x.logged += 1;
                x.late += u32::from(logged.saturating_sub(c.occurred_us) > late_us);
                x.batched += u32::from(f & BATCHED != 0);
            }
            x.in_bursts += u32::from(f & IN_BURST != 0);
            match classified.class_at(i) {
                Some(ContactClass::FollowUp) if f & LEFT_OUT == 0 => {
                    x.prospecting += 1;
                    x.follow_ups += 1;
                }
                Some(ContactClass::New | ContactClass::Reactivated) => x.prospecting += 1,
                _ => {}
            }
            if MeetingUnderreporting::judged_booking(ctx, c, data_end) {
                x.booked += 1;
                x.unlogged += u32::from(f & UNLOGGED != 0);
            }
        },
        ContactCounts::merge,
    )
}

/// Per (rep, day) cell of a table of reps × `span` days from `lo`: the
/// rep's contacts that day and the day's period (+1; 0 is none), summed
/// over ranges of contacts on every thread. `None` where a day lies in two
/// periods (where chrono's range saturates days; the caller then sorts).
fn day_table(
    ctx: &DetectContext<'_>,
    (lo, span): (i32, usize),
    cells: usize,
) -> Option<Vec<(u32, u32)>> {
    let contacts = ctx.ledger().contacts();
    let chunk = contacts
        .len()
        .div_ceil(2 * crate::par::threads())
        .max(1 << 16);
    let parts = crate::par::map_chunks_indexed(contacts, chunk, |(k, rows)| {
        let mut table = vec![(0u32, 0u32); cells];
        let mut one_period = true;
        for (j, c) in rows.iter().enumerate() {
            let i = (k * chunk + j) as u32;
            let Some(p) = ctx.contact_period(i) else {
                continue;
            };
            let cell = c.rep as usize * span + ctx.contact_day(i).abs_diff(lo) as usize;
            if let Some(x) = table.get_mut(cell) {
                x.0 += 1;
                one_period &= x.1 == 0 || x.1 == p + 1;
                x.1 = p + 1;
            }
        }
        one_period.then_some(table)
    });
    let mut parts = parts.into_iter();
    let mut sum = parts.next().flatten()?;
    for part in parts {
        for (s, x) in sum.iter_mut().zip(part?) {
            if s.1 != 0 && x.1 != 0 && s.1 != x.1 {
                return None;
            }
            s.0 += x.0;
            s.1 = s.1.max(x.1);
        }
    }
    Some(sum)
}

/// Each rep's contacts per local day (those in a period), in day order:
/// the offsets per rep and the runs. A local day lies in one period, so a
/// (rep, day) cell is one run of the rep's time-ordered contacts.
///
/// Counted in a table of reps × days while it is small next to the
/// contacts; otherwise by sorting (rep, day, period) per contact.
fn day_runs(ctx: &DetectContext<'_>) -> (Vec<u32>, Vec<DayRun>) {
    let ledger = ctx.ledger();
    let contacts = ledger.contacts();
    let reps = ledger.reps().len();
    let placed = || {
        contacts.iter().enumerate().filter_map(|(i, c)| {
            Some((
                c.rep,
                ctx.contact_day(i as u32),
                ctx.contact_period(i as u32)?,
            ))
        })
    };
    // Every contact's day lies within the days of the events' span (a
    // local day never falls as time goes on): no pass to find them.
    let (lo, hi) = ctx.day_span().unwrap_or((i32::MAX, i32::MIN));
    let span = if lo <= hi {
        hi.abs_diff(lo) as usize + 1
    } else {
        0
    };
    let cells = reps.saturating_mul(span);
    let mut offsets = vec![0u32; reps + 1];
    let mut runs: Vec<DayRun> = Vec::new();
    let mut table: Vec<(u32, u32)> = Vec::new();
    if cells <= (contacts.len() / 8).max(1 << 16) {
        table = day_table(ctx, (lo, span), cells).unwrap_or_default();
    }
    if !table.is_empty() {
        for (k, &(n, p)) in table.iter().enumerate() {
            if n > 0 {
                let (r, d) = (k / span, (k % span) as i64 + i64::from(lo));
                if let Some(o) = offsets.get_mut(r + 1) {
                    *o += 1;
                }
                runs.push((d as i32, p - 1, n));
            }
        }
    } else {
        let mut keys: Vec<(u32, i32, u32)> = placed().collect();
        keys.sort_unstable();
        for run in keys.chunk_by(|a, b| a == b) {
            if let Some(&(r, d, p)) = run.first() {
                if let Some(o) = offsets.get_mut(r as usize + 1) {
                    *o += 1;
                }
                runs.push((d, p, run.len() as u32));
            }
        }
    }
    for i in 1..offsets.len() {
        // invariant: i - 1 < i < offsets.len().
        #[allow(clippy::indexing_slicing)]
        {
            offsets[i] += offsets[i - 1];
        }
    }
    (offsets, runs)
}
