//! [`DetectContext`]: what every detector needs, computed once per ledger.

use std::cmp::Ordering;

use chrono::{DateTime, Datelike, Utc};

use super::baseline::{self, Baseline};
use super::shared::Shared;
use super::{DetectConfig, Finding, RepPeriod};
use crate::classify::Classified;
use crate::error::Result;
use crate::ledger::{ContactRow, Ledger, NONE};
use crate::model::Outcome;
use crate::report::scope::{Calendar, Cut, PeriodKey};
use crate::time::from_micros;

/// What every detector needs, computed once per ledger: each contact's
/// period, each rep's contacts, the periods that have events, and the
/// built-in detectors' groundwork (one walk over the prospects'
/// timelines and one pass over the contact rows serve all eight).
///
/// Its public methods speak ids and instants; see [`Rule`](super::Rule)
/// for a detector written with them.
#[derive(Debug)]
pub struct DetectContext<'a> {
    ledger: &'a Ledger,
    classified: &'a Classified<'a>,
    calendar: Calendar,
    config: DetectConfig,
    /// Where the events fall on the calendar.
    placement: Placement,
    rep_offsets: Vec<u32>,
    rep_contacts: Vec<u32>,
    /// One bit per contact: whether its outcome is `meeting_booked`.
    bookings: Vec<u64>,
    team_reps: Vec<Vec<u32>>,
    /// Whether [`RepPeriod`] tables store only their written cells: when
    /// reps × periods is large next to the records (see
    /// [`DetectContext::rep_period`]).
    sparse_tables: bool,
    /// The built-in detectors' groundwork, laid once.
    shared: Shared,
}

/// Each rep's contacts in index order: rep `r`'s are at
/// `offsets[r]..offsets[r + 1]` (a counting sort by rep; the readers that
/// need time order sort the one rep's contacts they read).
/// The same pass over the rows marks the bookings (contacts with outcome
/// `meeting_booked`), one bit each, so that the walk over the prospects'
/// timelines can tell them without reading their rows.
struct RepIndex {
    offsets: Vec<u32>,
    contacts: Vec<u32>,
    bookings: Vec<u64>,
}

impl RepIndex {
    #[allow(clippy::indexing_slicing)] // invariant: see the debug_assert
    fn of(ledger: &Ledger) -> Self {
        let contacts = ledger.contacts();
        let n_reps = ledger.reps().len();
        let mut offsets = vec![0u32; n_reps + 1];
        for c in contacts {
            // invariant: every contact's rep is a rep of the ledger.
            debug_assert!((c.rep as usize) < n_reps);
            offsets[c.rep as usize + 1] += 1;
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let mut fill = offsets.clone();
        let mut order = vec![0u32; contacts.len()];
        let mut bookings = vec![0u64; contacts.len().div_ceil(64)];
        for (i, c) in contacts.iter().enumerate() {
            let pos = &mut fill[c.rep as usize];
            order[*pos as usize] = i as u32;
            *pos += 1;
            if c.outcome == Some(Outcome::MeetingBooked) {
                bookings[i / 64] |= 1 << (i % 64);
            }
        }
        Self {
            offsets,
            contacts: order,
            bookings,
        }
    }
}

/// Sorts items whose order is first that of the instant `at` gives
/// (µs): a bucket sort by instant (buckets a power of two of µs wide,
/// about one item each) leaves only a few items per bucket to compare,
/// where a comparison sort of a rep's thousands of contacts would cost
/// several times a classification pass.
pub(crate) fn sort_by_instant<T: Ord + Copy + Default>(run: &mut [T], at: impl Fn(&T) -> i64) {
    if run.is_sorted() {
        return;
    }
    let (lo, hi) = run.iter().fold((i64::MAX, i64::MIN), |(lo, hi), x| {
        (lo.min(at(x)), hi.max(at(x)))
    });
    // hi >= lo: the run is not empty (an empty one is sorted).
    let span = hi.abs_diff(lo);
    let n = run.len() as u64;
    // The narrowest power-of-two width giving at most n buckets.
    let shift = (span / n.max(1)).checked_ilog2().map_or(0, |b| b + 1);
    let slot = |x: &T| (at(x).abs_diff(lo) >> shift) as usize;
    let buckets = (span >> shift) as usize + 1;
    // invariant: slots of the run's instants lie in 0..buckets, and the
    // starts count at most run.len() items.
    #[allow(clippy::indexing_slicing)]
    {
        let mut starts = vec![0u32; buckets + 1];
        for x in run.iter() {
            starts[slot(x) + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut sorted = vec![T::default(); run.len()];
        let mut fill = starts.clone();
        for x in run.iter() {
            let pos = &mut fill[slot(x)];
            sorted[*pos as usize] = *x;
            *pos += 1;
        }
        for w in starts.windows(2) {
            if let [a, b] = *w
                && b - a > 1
            {
                sorted[a as usize..b as usize].sort_unstable();
            }
        }
        run.copy_from_slice(&sorted);
    }
}

/// Microseconds in a UTC day.
const DAY_US: i64 = 86_400_000_000;
/// `num_days_from_ce` of 1970-01-01.
const EPOCH_CE: i64 = 719_163;

/// Where a ledger's events fall on a calendar: the periods that have
/// events (those only, so that memory and time follow the records, not
/// the calendar span a typo year can stretch to millennia), each event's
/// dense period and each contact's local day.
#[derive(Debug)]
struct Placement {
    period_keys: Vec<PeriodKey>,
    period_ordinals: Vec<i64>,
    contact_period: Vec<u32>,
    contact_day: Vec<i32>,
    meeting_period: Vec<u32>,
    sale_period: Vec<u32>,
    utc_days: Option<(i64, Vec<u32>)>,
    /// Earliest and latest event time (µs): a pass over every event,
    /// made once.
    span: Option<(i64, i64)>,
}

impl Placement {
    /// Places every event of `ledger` on `calendar`.
    fn of(ledger: &Ledger, calendar: &Calendar) -> Self {
        let span = ledger.time_span_us();
        // An empty ledger has no events: one day at the epoch, no periods.
        let (lo, hi) = span.unwrap_or_default();
        let first = lo.div_euclid(DAY_US);
        let days = (hi.div_euclid(DAY_US) - first).max(0).saturating_add(1);
        let items = ledger.events().len() + ledger.records().len();
        // A table of UTC days makes lookups O(1); it is only worth its
        // memory while the span is not much longer than the data.
        let table_ok = usize::try_from(days).is_ok_and(|d| d <= 4 * items + 4096);
        let mut placed = match usize::try_from(days) {
            Ok(days) if table_ok && calendar.time_zone() == chrono_tz::Tz::UTC => {
                Self::by_utc_day(ledger, calendar, (first, days), span)
            }
            _ => Self::by_calendar(ledger, calendar, span),
        };
        placed.period_ordinals = placed
            .period_keys
            .iter()
            .map(|&k| period_ordinal(calendar, k))
            .collect();
        placed
    }

    /// Through a table of the span's UTC days, each day's period looked up
    /// once.
    fn by_utc_day(
        ledger: &Ledger,
        calendar: &Calendar,
        (first, days): (i64, usize),
        span: Option<(i64, i64)>,
    ) -> Self {
        let day_key: Vec<Option<PeriodKey>> = (0..days as i64)
            .map(|d| calendar.period((first + d) * DAY_US + DAY_US / 2))
            .collect();
        let slot = |us: i64| usize::try_from(us.div_euclid(DAY_US) - first).ok();
        // Each contact's day once (a division per event is most of the
        // cost here): it marks the day and finds the period.
        let contacts = ledger.contacts();
        let contact_day: Vec<i32> = crate::par::map(contacts, |c| {
            local_day(c.occurred_us.div_euclid(DAY_US) + EPOCH_CE)
        });
        let day_slot = |day: i32| usize::try_from(i64::from(day) - (first + EPOCH_CE)).ok();
        let mut used = vec![false; days];
        let mut mark = |d: Option<usize>| {
            if let Some(u) = d.and_then(|d| used.get_mut(d)) {
                *u = true;
            }
        };
        contact_day.iter().for_each(|&d| mark(day_slot(d)));
        ledger.meetings().iter().for_each(|m| mark(slot(m.held_us)));
        ledger.sales().iter().for_each(|x| mark(slot(x.closed_us)));
        entries_in_span(ledger, span).for_each(|t| mark(slot(t)));
        // Keys grow with the day, so those of used days come sorted.
        let mut period_keys: Vec<PeriodKey> = Vec::new();
        for k in day_key
            .iter()
            .zip(&used)
            .filter_map(|(k, &u)| k.filter(|_| u))
        {
            if period_keys.last() != Some(&k) {
                period_keys.push(k);
            }
        }
        sort_unique(&mut period_keys);
        let day_period: Vec<u32> = day_key.iter().map(|k| dense(&period_keys, *k)).collect();
        // invariant: every event lies within the span the table covers
        // (a day outside every custom range holds NONE there).
        #[allow(clippy::indexing_slicing)]
        let period_in = |d: Option<usize>| -> u32 {
            debug_assert!(d.is_some_and(|d| d < day_period.len()), "{d:?}");
            d.map_or(NONE, |d| day_period[d])
        };
        let contact_period = crate::par::map(&contact_day, |&d| period_in(day_slot(d)));
        let meeting_period = ledger
            .meetings()
            .iter()
            .map(|m| period_in(slot(m.held_us)))
            .collect();
        let sale_period = ledger
            .sales()
            .iter()
            .map(|x| period_in(slot(x.closed_us)))
            .collect();
        Self {
            period_keys,
            period_ordinals: Vec::new(),
            contact_period,
            // The UTC day is a division of the instant: not kept (a
            // column per contact), recomputed where a day is read.
            contact_day: Vec::new(),
            meeting_period,
            sale_period,
            utc_days: Some((first, day_period)),
            span,
        }
    }

    /// Event by event through the calendar, for local time zones and for
    /// spans far longer than the data.
    fn by_calendar(ledger: &Ledger, calendar: &Calendar, span: Option<(i64, i64)>) -> Self {
        let contacts = ledger.contacts();
        let mut contact_key: Vec<Option<PeriodKey>> = Vec::with_capacity(contacts.len());
        let mut contact_day: Vec<i32> = Vec::with_capacity(contacts.len());
        for c in contacts {
            contact_key.push(calendar.period(c.occurred_us));
            contact_day.push(calendar.local_date(c.occurred_us).num_days_from_ce());
        }
        let meeting_key: Vec<Option<PeriodKey>> = ledger
            .meetings()
            .iter()
            .map(|m| calendar.period(m.held_us))
            .collect();
        let sale_key: Vec<Option<PeriodKey>> = ledger
            .sales()
            .iter()
            .map(|x| calendar.period(x.closed_us))
            .collect();
        let entry_keys = entries_in_span(ledger, span).filter_map(|t| calendar.period(t));
        let mut period_keys: Vec<PeriodKey> = Vec::new();
        let event_keys = contact_key.iter().chain(&meeting_key).chain(&sale_key);
        // Neighbouring events mostly share a period: only changes are kept
        // before the sort.
        for k in event_keys.flatten().copied().chain(entry_keys) {
            if period_keys.last() != Some(&k) {
                period_keys.push(k);
            }
        }
        sort_unique(&mut period_keys);
        let to_dense = |keys: &[Option<PeriodKey>]| -> Vec<u32> {
            keys.iter().map(|k| dense(&period_keys, *k)).collect()
        };
        Self {
            contact_period: to_dense(&contact_key),
            meeting_period: to_dense(&meeting_key),
            sale_period: to_dense(&sale_key),
            period_keys,
            period_ordinals: Vec::new(),
            contact_day,
            utc_days: None,
            span,
        }
    }
}

/// The `created_at` instants of prospect records that lie within the
/// span of the events: their periods count as periods with events (a
/// record entered in a quiet month of the span is still entered in it),
/// those outside the span do not.
fn entries_in_span(ledger: &Ledger, span: Option<(i64, i64)>) -> impl Iterator<Item = i64> + '_ {
    let records = ledger.records();
    (0..records.len())
        .filter_map(move |r| records.created_us(r))
        .filter(move |t| span.is_some_and(|(lo, hi)| (lo..=hi).contains(t)))
}

/// Sorts and deduplicates, skipping the sort when already in order.
fn sort_unique(keys: &mut Vec<PeriodKey>) {
    if !keys.is_sorted() {
        keys.sort_unstable();
    }
    keys.dedup();
}

/// A day count from the common era as `i32`: a ledger's instants lie
/// within chrono's range (±262,000 years), whose days fit.
fn local_day(days_from_ce: i64) -> i32 {
    // invariant: the instant came from a `DateTime<Utc>`, so its day
    // count is within chrono's range and fits.
    debug_assert!(i32::try_from(days_from_ce).is_ok(), "{days_from_ce}");
    days_from_ce as i32
}

/// The dense index of `key` among `keys` (`NONE` when absent).
fn dense(keys: &[PeriodKey], key: Option<PeriodKey>) -> u32 {
    key.and_then(|k| keys.binary_search(&k).ok())
        .map_or(NONE, |i| i as u32)
}

/// Whether per-(rep, period) tables should store only their written
/// cells: a dense table is the faster one, but it is only worth its memory
/// while it is not much larger than the records (`items`) that can write
/// to it. Reps that each work on days of their own would otherwise make it
/// quadratic in the records.
fn sparse_tables(reps: usize, periods: usize, items: usize) -> bool {
    let budget = items
        .saturating_add(reps)
        .saturating_mul(4)
        .saturating_add(4096);
    reps.checked_mul(periods).is_none_or(|cells| cells > budget)
}

/// A period's position on the calendar: consecutive periods have
/// consecutive ordinals. Keys are already so, except ISO weeks
/// (`year × 100 + week`), counted here in weeks from the common era.
fn period_ordinal(calendar: &Calendar, key: PeriodKey) -> i64 {
    match calendar.granularity() {
        Cut::IsoWeek => calendar.period_start(key).map_or(key, |monday| {
            i64::from(monday.num_days_from_ce()).div_euclid(7)
        }),
        _ => key,
    }
}

impl<'a> DetectContext<'a> {
    /// Prepares a classified ledger for detectors.
    ///
    /// # Errors
    /// None at present: period specifications are checked when they are
    /// made ([`PeriodSpec::custom`](crate::report::PeriodSpec::custom), or
    /// deserialized).
    pub fn new(classified: &'a Classified<'a>, config: &DetectConfig) -> Result<Self> {
        let ledger = classified.ledger();
        let calendar = Calendar::for_ledger(&config.periods, ledger);
        let placement = Placement::of(ledger, &calendar);
        let index = RepIndex::of(ledger);
        let n_reps = ledger.reps().len();
        let mut team_reps = vec![Vec::new(); ledger.teams().len()];
        for r in 0..n_reps as u32 {
            if let Some(t) = ledger.rep_team(r)
                && let Some(v) = team_reps.get_mut(t as usize)
            {
                v.push(r);
            }
        }
        let items = ledger.events().len() + ledger.records().len();
        let sparse_tables = sparse_tables(n_reps, placement.period_keys.len(), items);
        let mut ctx = Self {
            ledger,
            classified,
            calendar,
            config: config.clone(),
            placement,
            rep_offsets: index.offsets,
            rep_contacts: index.contacts,
            bookings: index.bookings,
            team_reps,
            sparse_tables,
            shared: Shared::default(),
        };
        ctx.shared = Shared::of(&ctx);
        Ok(ctx)
    }

    /// The rep ids, in the ledger's order.
    pub fn reps(&self) -> impl Iterator<Item = &'a str> + 'a {
        let ledger = self.ledger;
        ledger.reps().iter().map(|r| r.rep_id.as_str())
    }

    /// The contacts of rep `rep_id` in time order, as (contact id, when it
    /// occurred); none for an unknown rep.
    pub fn contacts_of(&self, rep_id: &str) -> impl Iterator<Item = (&'a str, DateTime<Utc>)> + '_ {
        let ledger = self.ledger;
        let mut contacts: Vec<(i64, u32)> = self
            .ledger
            .rep_index(rep_id)
            .map_or(&[][..], |r| self.rep_contacts(r))
            .iter()
            .filter_map(|&i| Some((ledger.contacts().get(i as usize)?.occurred_us, i)))
            .collect();
        contacts.sort_unstable();
        contacts.into_iter().filter_map(move |(_, i)| {
            let c = ledger.contacts().get(i as usize)?;
            Some((ledger.contact_id(i), from_micros(c.occurred_us)))
        })
    }

    /// The label of the period that holds `at` (`2026-06`), among the
    /// periods that have events; the label a [`Finding`] of that period
    /// carries.
    pub fn period_at(&self, at: DateTime<Utc>) -> Option<String> {
        let p = self.period_of(at.timestamp_micros())?;
        Some(self.period_label(p))
    }

    /// The peers of rep `rep_id`, whom the built-in detectors compare them
    /// with: the other reps of their team, or every other rep when the team
    /// has fewer than `min` other reps (or the rep none).
    pub fn peers_of(&self, rep_id: &str, min: usize) -> Vec<&'a str> {
        let ledger = self.ledger;
        match ledger.rep_index(rep_id) {
            Some(r) => self
                .peers(r, min)
                .into_iter()
                .map(|p| ledger.rep_id(p))
                .collect(),
            None => self.reps().filter(|&r| r != rep_id).collect(),
        }
    }

    /// Each period's label with its dense period (the first, should
    /// custom ranges share a label).
    pub(crate) fn periods_by_label(&self) -> std::collections::HashMap<String, u32> {
        let mut map = std::collections::HashMap::new();
        for p in 0..self.period_count() as u32 {
            map.entry(self.period_label(p)).or_insert(p);
        }
        map
    }

    /// The built-in detectors' groundwork.
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The ledger.
    pub fn ledger(&self) -> &'a Ledger {
        self.ledger
    }

    /// Its classification.
    pub fn classified(&self) -> &'a Classified<'a> {
        self.classified
    }

    /// The calendar of periods and local days.
    pub(crate) fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The settings.
    pub fn config(&self) -> &DetectConfig {
        &self.config
    }

    /// Number of periods that have events (or a prospect record entered
    /// within the span of the events): dense period indices are
    /// `0..period_count()`, in time order. Periods without events have no
    /// index, so memory follows the records, not the calendar span; whether
    /// two indices are adjacent periods is read off [`DetectContext::period_ordinal`].
    pub(crate) fn period_count(&self) -> usize {
        self.placement.period_keys.len()
    }

    /// The position of dense period `period` on the calendar: adjacent
    /// periods have consecutive ordinals (for custom ranges: consecutive
    /// ranges).
    pub(crate) fn period_ordinal(&self, period: u32) -> Option<i64> {
        self.placement.period_ordinals.get(period as usize).copied()
    }

    /// The calendar key of dense period `period`.
    pub(crate) fn period_key(&self, period: u32) -> Option<PeriodKey> {
        self.placement.period_keys.get(period as usize).copied()
    }

    /// The label of dense period `period` (`2026-06`).
    pub(crate) fn period_label(&self, period: u32) -> String {
        self.period_key(period)
            .map_or_else(String::new, |k| self.calendar.label(k))
    }

    /// Dense period of contact `contact` (`None` outside every period).
    pub(crate) fn contact_period(&self, contact: u32) -> Option<u32> {
        self.placement
            .contact_period
            .get(contact as usize)
            .copied()
            .filter(|&p| p != NONE)
    }

    /// The local days (as [`Self::contact_day`] counts them) of the
    /// earliest and the latest event, if any.
    pub(crate) fn day_span(&self) -> Option<(i32, i32)> {
        let (lo, hi) = self.placement.span?;
        let day = |us: i64| match self.placement.utc_days {
            Some(_) => local_day(us.div_euclid(DAY_US) + EPOCH_CE),
            None => self.calendar.local_date(us).num_days_from_ce(),
        };
        Some((day(lo), day(hi)))
    }

    /// Local day of contact `contact` (days from the common era, as
    /// [`chrono::Datelike::num_days_from_ce`]).
    pub(crate) fn contact_day(&self, contact: u32) -> i32 {
        if let Some(&d) = self.placement.contact_day.get(contact as usize) {
            return d;
        }
        // UTC placement keeps no days: the UTC day of the instant.
        debug_assert!(self.placement.utc_days.is_some());
        let us = self
            .ledger
            .contacts()
            .get(contact as usize)
            .map_or(0, |c| c.occurred_us);
        local_day(us.div_euclid(DAY_US) + EPOCH_CE)
    }

    /// Dense period of meeting `meeting`.
    pub(crate) fn meeting_period(&self, meeting: u32) -> Option<u32> {
        self.placement
            .meeting_period
            .get(meeting as usize)
            .copied()
            .filter(|&p| p != NONE)
    }

    /// Dense period of sale `sale`.
    pub(crate) fn sale_period(&self, sale: u32) -> Option<u32> {
        self.placement
            .sale_period
            .get(sale as usize)
            .copied()
            .filter(|&p| p != NONE)
    }

    /// Earliest and latest event time in µs, if there are events.
    pub(crate) fn time_span_us(&self) -> Option<(i64, i64)> {
        self.placement.span
    }

    /// Dense period of an instant (µs), if it falls in one that has events.
    pub(crate) fn period_of(&self, us: i64) -> Option<u32> {
        if let Some((first, table)) = &self.placement.utc_days {
            let d = us.div_euclid(DAY_US) - first;
            if let Some(&p) = usize::try_from(d).ok().and_then(|d| table.get(d)) {
                return (p != NONE).then_some(p);
            }
        }
        let key = self.calendar.period(us)?;
        self.placement
            .period_keys
            .binary_search(&key)
            .ok()
            .map(|i| i as u32)
    }

    /// The contacts of rep `rep`, in index order.
    pub(crate) fn rep_contacts(&self, rep: u32) -> &[u32] {
        let r = rep as usize;
        let (Some(&a), Some(&b)) = (self.rep_offsets.get(r), self.rep_offsets.get(r + 1)) else {
            return &[];
        };
        self.rep_contacts.get(a as usize..b as usize).unwrap_or(&[])
    }

    /// Whether contact `contact`'s outcome is `meeting_booked`.
    pub(crate) fn is_booking(&self, contact: u32) -> bool {
        let i = contact as usize;
        self.bookings
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// The rep's peers: the other reps of their team, or every other rep
    /// when the team has fewer than `min` other reps (or the rep none).
    pub(crate) fn peers(&self, rep: u32, min: usize) -> Vec<u32> {
        let team: Vec<u32> = self
            .ledger
            .rep_team(rep)
            .and_then(|t| self.team_reps.get(t as usize))
            .map(|v| v.iter().copied().filter(|&r| r != rep).collect())
            .unwrap_or_default();
        if team.len() >= min {
            team
        } else {
            (0..self.ledger.reps().len() as u32)
                .filter(|&r| r != rep)
                .collect()
        }
    }

    /// A [`Baseline`] of a per-(rep, period) figure over the rep's peers in
    /// `period` (see [`DetectContext::peer_values`]).
    pub(crate) fn peer_baseline(
        &self,
        table: &RepPeriod<Option<f64>>,
        rep: u32,
        period: u32,
        min_peers: usize,
    ) -> Option<Baseline> {
        Baseline::of(&self.peer_values(table, rep, period, min_peers)?, min_peers)
    }

    /// The values of a per-(rep, period) figure of the rep's peers in
    /// `period` — team mates that have one, or, when fewer than `min_peers`
    /// do, every other rep that has one; `None` when still fewer.
    pub(crate) fn peer_values<T: Copy + Default>(
        &self,
        table: &RepPeriod<Option<T>>,
        rep: u32,
        period: u32,
        min_peers: usize,
    ) -> Option<Vec<T>> {
        if table.fill_is_some() {
            // Every rep has a value everywhere: nothing to skip.
            return self.peer_values_of_all(table, rep, period, min_peers);
        }
        // Only the reps with a value in the period, in rep order (the order
        // the values were always gathered in).
        let column = table.column(period);
        let values = |keep: &dyn Fn(u32) -> bool| -> Vec<T> {
            column
                .iter()
                .filter(|&&r| r != rep && keep(r))
                .filter_map(|&r| table.get(r, period).copied().flatten())
                .collect()
        };
        // Team mates when the rep has any (as `peers(rep, 1)`), else all.
        let team = self
            .ledger
            .rep_team(rep)
            .filter(|&t| self.team_reps.get(t as usize).is_some_and(|v| v.len() > 1));
        if let Some(t) = team {
            let v = values(&|r| self.ledger.rep_team(r) == Some(t));
            if v.len() >= min_peers {
                return Some(v);
            }
        }
        let v = values(&|_| true);
        (v.len() >= min_peers).then_some(v)
    }

    /// [`DetectContext::peer_values`] by asking every peer.
    fn peer_values_of_all<T: Copy + Default>(
        &self,
        table: &RepPeriod<Option<T>>,
        rep: u32,
        period: u32,
        min_peers: usize,
    ) -> Option<Vec<T>> {
        let values = |reps: &[u32]| -> Vec<T> {
            reps.iter()
                .filter_map(|&r| table.get(r, period).copied().flatten())
                .collect()
        };
        let v = values(&self.peers(rep, 1));
        if v.len() >= min_peers {
            return Some(v);
        }
        let all: Vec<u32> = (0..self.ledger.reps().len() as u32)
            .filter(|&r| r != rep)
            .collect();
        let v = values(&all);
        (v.len() >= min_peers).then_some(v)
    }

    /// A [`ProportionTest`](baseline::ProportionTest) of the rep's `(k, n)`
    /// in `period` against their peers' (see [`DetectContext::peer_values`]).
    pub(crate) fn proportion_test(
        &self,
        table: &RepPeriod<Option<(u32, u32)>>,
        rep: u32,
        period: u32,
        min_peers: usize,
    ) -> Option<baseline::ProportionTest> {
        self.proportion_test_by(table, rep, period, min_peers, Baseline::of_rates)
    }

    /// [`DetectContext::proportion_test`] against the baseline `of` the
    /// peers' counts makes ([`Baseline::of_rare_rates`], …).
    pub(crate) fn proportion_test_by(
        &self,
        table: &RepPeriod<Option<(u32, u32)>>,
        rep: u32,
        period: u32,
        min_peers: usize,
        of: baseline::RatesBaseline,
    ) -> Option<baseline::ProportionTest> {
        let (k, n) = table.get(rep, period).copied().flatten()?;
        let peers = self.peer_values(table, rep, period, min_peers)?;
        baseline::ProportionTest::against(k, n, of(&peers, min_peers)?)
    }

    /// The median of the rep's own figure over their other periods (those
    /// with a value), if there are at least two.
    pub(crate) fn own_median(
        &self,
        table: &RepPeriod<Option<f64>>,
        rep: u32,
        period: u32,
    ) -> Option<f64> {
        if table.fill_is_some() {
            return self.own_median_of_all(table, rep, period);
        }
        // The rep's values sorted once per table; leaving out this
        // period's value (one equal to it: the rest is the same multiset)
        // is an index shift, so the median is read off without a copy.
        let sorted = table.sorted_row(rep);
        let skip = match table.get(rep, period).copied().flatten() {
            Some(x) => {
                let i = sorted.partition_point(|v| v.total_cmp(&x) == Ordering::Less);
                Some(i).filter(|&i| sorted.get(i).is_some_and(|v| v.total_cmp(&x).is_eq()))
            }
            None => None,
        };
        let n = sorted.len() - usize::from(skip.is_some());
        if n < 2 {
            return None;
        }
        let at = |k: usize| {
            sorted.get(if skip.is_some_and(|i| k >= i) {
                k + 1
            } else {
                k
            })
        };
        let mid = n / 2;
        if n % 2 == 1 {
            at(mid).copied()
        } else {
            Some((at(mid - 1)? + at(mid)?) / 2.0)
        }
    }

    /// [`DetectContext::own_median`] over every period.
    fn own_median_of_all(
        &self,
        table: &RepPeriod<Option<f64>>,
        rep: u32,
        period: u32,
    ) -> Option<f64> {
        let mut v: Vec<f64> = (0..self.period_count() as u32)
            .filter(|&p| p != period)
            .filter_map(|p| table.get(rep, p).copied().flatten())
            .collect();
        if v.len() < 2 {
            return None;
        }
        baseline::median(&mut v)
    }

    /// An empty table of per-(rep, period) values.
    ///
    /// Dense while reps × periods is not much larger than the records;
    /// otherwise only written cells are stored, so that memory follows
    /// the records.
    pub(crate) fn rep_period<T: Clone + Default>(&self) -> RepPeriod<T> {
        let (reps, periods) = (self.ledger.reps().len(), self.period_count());
        if self.sparse_tables {
            RepPeriod::sparse(reps, periods)
        } else {
            RepPeriod::new(reps, periods)
        }
    }

    /// A per-(rep, period) table summed over the contacts: `add` puts
    /// contact `i` (row `c`) into its cell, `merge` adds one cell's sum
    /// into another (sums must not depend on the order of contacts).
    /// Contacts outside every period are left out.
    ///
    /// A dense table small next to the contacts is summed on every
    /// thread, each over a range of contacts into a table of its own
    /// (one lookup per contact instead of a checked cell update); any
    /// other is filled contact by contact.
    pub(crate) fn tally_contacts<T: Clone + Default + Send + Sync>(
        &self,
        add: impl Fn(&mut T, u32, &ContactRow) + Sync + Send,
        merge: impl Fn(&mut T, &T) + Sync + Send,
    ) -> RepPeriod<T> {
        let contacts = self.ledger.contacts();
        let (reps, periods) = (self.ledger.reps().len(), self.period_count());
        let cells = reps.saturating_mul(periods);
        if self.sparse_tables || cells.saturating_mul(64) > contacts.len() {
            let mut table = self.rep_period::<T>();
            for (i, c) in contacts.iter().enumerate() {
                if let Some(p) = self.contact_period(i as u32)
                    && let Some(x) = table.get_mut(c.rep, p)
                {
                    add(x, i as u32, c);
                }
            }
            return table;
        }
        let chunk = contacts.len().div_ceil(4 * crate::par::threads()).max(4096);
        let periods_of = &self.placement.contact_period;
        let parts = crate::par::map_chunks_indexed(contacts, chunk, |(k, rows)| {
            let mut local = vec![T::default(); cells];
            let base = k * chunk;
            let places = periods_of.get(base..base + rows.len()).unwrap_or(&[]);
            for (j, (c, &p)) in rows.iter().zip(places).enumerate() {
                let cell = (c.rep as usize) * periods + p as usize;
                // NONE (outside every period) is no dense period.
                if (p as usize) < periods
                    && let Some(x) = local.get_mut(cell)
                {
                    add(x, (base + j) as u32, c);
                }
            }
            local
        });
        let mut parts = parts.into_iter();
        let mut sum = parts.next().unwrap_or_else(|| vec![T::default(); cells]);
        for part in parts {
            for (s, x) in sum.iter_mut().zip(&part) {
                merge(s, x);
            }
        }
        RepPeriod::from_dense(periods, sum)
    }

    /// The ids of rep `rep`'s contacts in `period` that `keep` (by contact
    /// index), in index order: a finding's evidence (which
    /// [`DetectContext::finding`] sorts).
    pub(crate) fn contact_ids_in(
        &self,
        rep: u32,
        period: u32,
        keep: impl Fn(u32) -> bool,
    ) -> Vec<String> {
        self.rep_contacts(rep)
            .iter()
            .copied()
            .filter(|&i| self.contact_period(i) == Some(period) && keep(i))
            .map(|i| self.ledger.contact_id(i).to_owned())
            .collect()
    }

    /// A finding with evidence sorted in byte order and cut to
    /// [`DetectConfig::max_evidence`] ids.
    pub(crate) fn finding(
        &self,
        detector: &str,
        rep: u32,
        period: u32,
        explanation: String,
        mut evidence: Vec<String>,
    ) -> Finding {
        evidence.sort_unstable();
        evidence.dedup();
        evidence.truncate(self.config.max_evidence);
        Finding {
            detector: detector.to_owned(),
            rep_id: self.ledger.rep_id(rep).to_owned(),
            period: self.period_label(period),
            score: 0.0,
            explanation,
            evidence,
            p_value: 1.0,
            q_value: 1.0,
        }
    }
}

/// Runs `f` over ranges of prospect indices holding roughly equal numbers
/// of events (in parallel where enabled) and returns the results
/// in prospect order: per-prospect walks touch contacts, meetings and sales
/// out of order, so they are the ones worth spreading over threads.
pub(crate) fn map_prospect_chunks<T: Send>(
    ledger: &Ledger,
    f: impl Fn(std::ops::Range<u32>) -> T + Sync + Send,
) -> Vec<T> {
    let chunks = crate::classify::chunk_bounds(
        ledger.event_offsets(),
        ledger.prospect_count(),
        ledger.events().len(),
    );
    crate::par::map(&chunks, |&(a, b)| f(a as u32..b as u32))
}
