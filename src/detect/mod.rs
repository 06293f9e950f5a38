//! Gaming detectors (SPEC §9): where a count that people are paid on is
//! being gamed, with evidence a person can check.
//!
//! A [`Detector`] inspects a classified ledger through a [`DetectContext`]
//! (which computes, once, what every detector needs: each contact's period
//! and local day, each rep's contacts in time order) and returns
//! [`Finding`]s: the rep, the period, a score in [0, 1], a one-sentence
//! explanation with the figures, and the ids of the records behind it.
//!
//! Every built-in detector compares a rep with their team in the same
//! period (median and median absolute deviation of the other reps, see
//! [`baseline`]), mentions the rep's own usual figure from their other
//! periods, never relies on a fixed number alone, and says nothing when the
//! data are too few to judge. The rep's excess over the team is measured
//! in robust standard deviations that include both the spread between
//! honest reps and the sampling noise of the rep's own counts, so a small
//! month or a quiet team does not turn chance into a finding.
//!
//! A rep-period becomes a finding when that z-score reaches the detector's
//! `z_flag` (default 4), or when it is at least `z_persist` (default 1.5)
//! in a run of two to four adjacent periods of the rep, each at least
//! `z_persist`, whose Stouffer sum `Σz / √n` reaches `z_flag`: gaming is a
//! habit, chance is not, and for an honest rep either event is about as
//! rare as a normal tail beyond 4 (3 in 100,000). The score is
//! `1 − 0.5^(z / z_flag)`: 0.5 at the threshold, 0.75 at twice it.
//!
//! The built-in set ([`builtin`]):
//!
//! | detector | behaviour |
//! | --- | --- |
//! | [`quota_bunching`] | daily contact counts piling up exactly at the daily target (excess mass against a smooth counterfactual) |
//! | [`follow_up_padding`] | a follow-up share far above the team's, with few meetings coming from them |
//! | [`repeat_touch`] | the same prospect contacted 3 or more times within 24 h |
//! | [`duplicate_inflation`] | records entered for prospects who already existed |
//! | [`backdating`] | contacts logged long after they occurred, or many logged seconds apart |
//! | [`period_end_surge`] | activity piled into the last working days of the period |
//! | [`hollow_contacts`] | contacts with no outcome and no or a few seconds' duration |
//! | [`meeting_underreporting`] | nearly every logged meeting closes: the ones that did not are missing |
//!
//! Detectors are pluggable: a caller's own type implements [`Detector`] and
//! runs beside the built-in ones.
//!
//! # Example
//! ```
//! use sales_metrics::detect::{self, DetectConfig, DetectContext};
//! use sales_metrics::{classify, ClassifyConfig};
//!
//! # #[cfg(feature = "sim")] {
//! let ledger = sales_metrics::sim::demo()?.ledger()?;
//! let classified = classify(&ledger, &ClassifyConfig::default());
//! let ctx = DetectContext::new(&classified, &DetectConfig::default())?;
//! let findings = detect::run(&ctx, &detect::builtin());
//! assert!(findings.iter().any(|f| f.detector == "hollow_contacts" && f.rep_id == "florin"));
//! let mut csv = Vec::new();
//! detect::write_findings_csv(&mut csv, &findings)?;
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod backdating;
pub mod baseline;
pub mod duplicate_inflation;
pub mod follow_up_padding;
pub mod hollow_contacts;
pub mod meeting_underreporting;
pub mod period_end_surge;
pub mod quota_bunching;
pub mod repeat_touch;

use std::cmp::Ordering;
use std::io::Write;
use std::sync::{Arc, OnceLock};

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::classify::Classified;
use crate::error::{Error, Result};
use crate::ledger::{Ledger, NONE};
use crate::report::scope::{Calendar, Granularity, PeriodKey, PeriodSpec};
use crate::table::{Cell, Table};

pub use backdating::Backdating;
pub use baseline::Baseline;
pub use duplicate_inflation::DuplicateInflation;
pub use follow_up_padding::FollowUpPadding;
pub use hollow_contacts::HollowContacts;
pub use meeting_underreporting::MeetingUnderreporting;
pub use period_end_surge::PeriodEndSurge;
pub use quota_bunching::QuotaBunching;
pub use repeat_touch::RepeatTouch;

/// One place where a rep's numbers look gamed (SPEC §9).
///
/// # Example
/// ```
/// use sales_metrics::detect::Finding;
///
/// let f = Finding {
///     detector: "hollow_contacts".into(),
///     rep_id: "florin".into(),
///     period: "2026-03".into(),
///     score: 0.93,
///     explanation: "In 2026-03 florin logged 27 of 111 contacts ...".into(),
///     evidence: vec!["c00412".into(), "c00398".into()],
/// };
/// assert_eq!(f.evidence_text(), "c00398 c00412"); // sorted, space-separated
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The detector's name (`quota_bunching`, …).
    pub detector: String,
    /// The rep.
    pub rep_id: String,
    /// The period label (`2026-06`).
    pub period: String,
    /// How strong the evidence is, in [0, 1].
    pub score: f64,
    /// One sentence with the figures behind the finding.
    pub explanation: String,
    /// Ids of the records that support it (contacts, meetings, sales or
    /// prospect records).
    pub evidence: Vec<String>,
}

impl Finding {
    /// The evidence as SPEC §11 writes it: ids in byte order, separated by
    /// single spaces.
    pub fn evidence_text(&self) -> String {
        let mut ids: Vec<&str> = self.evidence.iter().map(String::as_str).collect();
        ids.sort_unstable();
        ids.join(" ")
    }

    fn order(&self, other: &Self) -> Ordering {
        self.detector
            .cmp(&other.detector)
            .then_with(|| self.rep_id.cmp(&other.rep_id))
            .then_with(|| self.period.cmp(&other.period))
            .then_with(|| other.score.total_cmp(&self.score))
            .then_with(|| self.explanation.cmp(&other.explanation))
            .then_with(|| self.evidence.cmp(&other.evidence))
    }
}

/// A gaming heuristic: reads the classified ledger, returns findings.
///
/// The trait is object-safe; `Box<dyn Detector>`, `Arc<dyn Detector>` and
/// `&dyn Detector` are detectors too, so a caller's own detector runs
/// beside the built-in ones.
///
/// # Example
/// ```
/// use sales_metrics::detect::{self, DetectConfig, DetectContext, Detector, Finding};
/// use sales_metrics::{classify, ClassifyConfig, LedgerBuilder, Rep};
///
/// /// Flags reps who logged nothing at all.
/// struct Silent;
///
/// impl Detector for Silent {
///     fn name(&self) -> &str {
///         "silent"
///     }
///     fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding> {
///         let ledger = ctx.ledger();
///         (0..ledger.reps().len() as u32)
///             .filter(|&r| ctx.rep_contacts(r).is_empty())
///             .map(|r| Finding {
///                 detector: self.name().to_owned(),
///                 rep_id: ledger.rep_id(r).to_owned(),
///                 period: String::new(),
///                 score: 1.0,
///                 explanation: format!("{} logged no contacts", ledger.rep_id(r)),
///                 evidence: Vec::new(),
///             })
///             .collect()
///     }
/// }
///
/// let mut b = LedgerBuilder::new();
/// b.add_rep(Rep::new("ana"));
/// let ledger = b.build()?;
/// let classified = classify(&ledger, &ClassifyConfig::default());
/// let ctx = DetectContext::new(&classified, &DetectConfig::default())?;
/// let mut detectors = detect::builtin();
/// detectors.push(Box::new(Silent));
/// let findings = detect::run(&ctx, &detectors);
/// assert_eq!(findings.len(), 1);
/// assert_eq!(findings[0].detector, "silent");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Detector: Send + Sync {
    /// A short snake_case name, written in the `detector` column.
    fn name(&self) -> &str;

    /// The findings on this ledger, in any order (the runner sorts them).
    fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding>;
}

impl<T: Detector + ?Sized> Detector for Box<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding> {
        (**self).detect(ctx)
    }
}

impl<T: Detector + ?Sized> Detector for Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding> {
        (**self).detect(ctx)
    }
}

impl<T: Detector + ?Sized> Detector for &T {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn detect(&self, ctx: &DetectContext<'_>) -> Vec<Finding> {
        (**self).detect(ctx)
    }
}

/// Settings shared by all detectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectConfig {
    /// The periods findings are about and the time zone of local days
    /// (default: calendar months in UTC).
    pub periods: PeriodSpec,
    /// At most this many record ids per finding (default 50); the
    /// explanation always gives the full count.
    pub max_evidence: usize,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            periods: PeriodSpec::monthly(),
            max_evidence: 50,
        }
    }
}

/// What every detector needs, computed once per ledger: each contact's
/// period and local day, each rep's contacts in time order, the periods
/// that have events.
#[derive(Debug)]
pub struct DetectContext<'a> {
    ledger: &'a Ledger,
    classified: &'a Classified<'a>,
    calendar: Calendar,
    config: DetectConfig,
    period_keys: Vec<PeriodKey>,
    /// Calendar position of each dense period (see [`period_ordinal`]).
    period_ordinals: Vec<i64>,
    contact_period: Vec<u32>,
    contact_day: Vec<i32>,
    meeting_period: Vec<u32>,
    sale_period: Vec<u32>,
    rep_offsets: Vec<u32>,
    rep_contacts: Vec<u32>,
    rep_days: Vec<i32>,
    rep_periods: Vec<u32>,
    team_reps: Vec<Vec<u32>>,
    /// Whether [`RepPeriod`] tables store only their written cells: when
    /// reps × periods is large next to the records (see
    /// [`DetectContext::rep_period`]).
    sparse_tables: bool,
    /// In UTC over a span not much longer than the data: the first day
    /// (days since the epoch) and each day's dense period, for O(1)
    /// lookups.
    utc_days: Option<(i64, Vec<u32>)>,
    /// Shared by detectors that need another's groundwork.
    entered: OnceLock<Vec<duplicate_inflation::Entered>>,
    default_bursts: OnceLock<(Vec<bool>, RepPeriod<u32>)>,
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
}

impl Placement {
    /// Places every event of `ledger` on `calendar`.
    fn of(ledger: &Ledger, calendar: &Calendar) -> Self {
        let (lo, hi) = ledger.time_span_us().unwrap_or((0, 0));
        let first = lo.div_euclid(DAY_US);
        let days = (hi.div_euclid(DAY_US) - first).max(0).saturating_add(1);
        let items = ledger.events().len() + ledger.records().len();
        // A table of UTC days makes lookups O(1); it is only worth its
        // memory while the span is not much longer than the data.
        let table_ok = usize::try_from(days).is_ok_and(|d| d <= 4 * items + 4096);
        let mut placed = match usize::try_from(days) {
            Ok(days) if table_ok && calendar.time_zone() == chrono_tz::Tz::UTC => {
                Self::by_utc_day(ledger, calendar, first, days)
            }
            _ => Self::by_calendar(ledger, calendar),
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
    fn by_utc_day(ledger: &Ledger, calendar: &Calendar, first: i64, days: usize) -> Self {
        let day_key: Vec<Option<PeriodKey>> = (0..days as i64)
            .map(|d| calendar.period((first + d) * DAY_US + DAY_US / 2))
            .collect();
        let slot = |us: i64| usize::try_from(us.div_euclid(DAY_US) - first).ok();
        // Each contact's day once (a division per event is most of the
        // cost here): it marks the day and finds the period.
        let contacts = ledger.contacts();
        let contact_day: Vec<i32> = contacts
            .iter()
            .map(|c| i32::try_from(c.occurred_us.div_euclid(DAY_US) + EPOCH_CE).unwrap_or(0))
            .collect();
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
        entries_in_span(ledger).for_each(|t| mark(slot(t)));
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
        let period_in = |d: Option<usize>| -> u32 {
            d.and_then(|d| day_period.get(d).copied()).unwrap_or(NONE)
        };
        let contact_period = contact_day
            .iter()
            .map(|&d| period_in(day_slot(d)))
            .collect();
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
            contact_day,
            meeting_period,
            sale_period,
            utc_days: Some((first, day_period)),
        }
    }

    /// Event by event through the calendar, for local time zones and for
    /// spans far longer than the data.
    fn by_calendar(ledger: &Ledger, calendar: &Calendar) -> Self {
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
        let entry_keys = entries_in_span(ledger).filter_map(|t| calendar.period(t));
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
        }
    }
}

/// The `created_at` instants of prospect records that lie within the
/// span of the events: their periods count as periods with events (a
/// record entered in a quiet month of the span is still entered in it),
/// those outside the span do not.
fn entries_in_span(ledger: &Ledger) -> impl Iterator<Item = i64> + '_ {
    let span = ledger.time_span_us();
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
        Granularity::IsoWeek => calendar.period_start(key).map_or(key, |monday| {
            i64::from(monday.num_days_from_ce()).div_euclid(7)
        }),
        _ => key,
    }
}

impl<'a> DetectContext<'a> {
    /// Prepares `ledger` and its classification for detectors.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid period specification (for
    /// example overlapping custom ranges).
    pub fn new(classified: &'a Classified<'a>, config: &DetectConfig) -> Result<Self> {
        let ledger = classified.ledger();
        let calendar = Calendar::for_ledger(&config.periods, ledger)?;
        let Placement {
            period_keys,
            period_ordinals,
            contact_period,
            contact_day,
            meeting_period,
            sale_period,
            utc_days,
        } = Placement::of(ledger, &calendar);
        let contacts = ledger.contacts();
        // Each rep's contacts in time order: a counting sort by rep (ids
        // are usually issued in time order, so each rep's run is nearly
        // sorted already), then a sort of each run by (time, index).
        let n_reps = ledger.reps().len();
        let mut rep_offsets = vec![0u32; n_reps + 1];
        for c in contacts {
            if let Some(o) = rep_offsets.get_mut(c.rep as usize + 1) {
                *o += 1;
            }
        }
        for i in 1..rep_offsets.len() {
            let prev = rep_offsets.get(i - 1).copied().unwrap_or(0);
            if let Some(o) = rep_offsets.get_mut(i) {
                *o += prev;
            }
        }
        let mut fill = rep_offsets.clone();
        let mut order: Vec<(i64, u32)> = vec![(0, 0); contacts.len()];
        for (i, c) in contacts.iter().enumerate() {
            if let Some(pos) = fill.get_mut(c.rep as usize) {
                if let Some(slot) = order.get_mut(*pos as usize) {
                    *slot = (c.occurred_us, i as u32);
                }
                *pos += 1;
            }
        }
        for w in rep_offsets.windows(2) {
            if let [a, b] = *w
                && let Some(run) = order.get_mut(a as usize..b as usize)
                && !run.is_sorted()
            {
                run.sort_unstable();
            }
        }
        let rep_contacts: Vec<u32> = order.into_iter().map(|(_, i)| i).collect();
        // Day and period in the same order, so per-rep walks read memory in
        // sequence.
        let rep_days: Vec<i32> = rep_contacts
            .iter()
            .map(|&i| contact_day.get(i as usize).copied().unwrap_or(0))
            .collect();
        let rep_periods: Vec<u32> = rep_contacts
            .iter()
            .map(|&i| contact_period.get(i as usize).copied().unwrap_or(NONE))
            .collect();
        let mut team_reps = vec![Vec::new(); ledger.teams().len()];
        for r in 0..n_reps as u32 {
            if let Some(t) = ledger.rep_team(r)
                && let Some(v) = team_reps.get_mut(t as usize)
            {
                v.push(r);
            }
        }
        let items = ledger.events().len() + ledger.records().len();
        let sparse_tables = sparse_tables(n_reps, period_keys.len(), items);
        Ok(Self {
            ledger,
            classified,
            calendar,
            config: config.clone(),
            period_keys,
            period_ordinals,
            contact_period,
            contact_day,
            meeting_period,
            sale_period,
            rep_offsets,
            rep_contacts,
            rep_days,
            rep_periods,
            team_reps,
            sparse_tables,
            utc_days,
            entered: OnceLock::new(),
            default_bursts: OnceLock::new(),
        })
    }

    /// Records entered by a rep, and which duplicate a known prospect
    /// (computed once, shared by `duplicate_inflation` and
    /// `follow_up_padding`).
    pub(crate) fn entered(&self) -> &[duplicate_inflation::Entered] {
        self.entered
            .get_or_init(|| DuplicateInflation::entered(self))
    }

    /// Repeat-touch bursts with the default settings (computed once).
    pub(crate) fn default_bursts(&self) -> &(Vec<bool>, RepPeriod<u32>) {
        self.default_bursts
            .get_or_init(|| RepeatTouch::default().bursts(self))
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
    pub fn calendar(&self) -> &Calendar {
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
    /// two indices are adjacent periods is [`DetectContext::periods_adjacent`].
    pub fn period_count(&self) -> usize {
        self.period_keys.len()
    }

    /// The position of dense period `period` on the calendar: adjacent
    /// periods have consecutive ordinals (for custom ranges: consecutive
    /// ranges).
    pub fn period_ordinal(&self, period: u32) -> Option<i64> {
        self.period_ordinals.get(period as usize).copied()
    }

    /// Whether dense period `b` is the period right after `a` on the
    /// calendar.
    pub fn periods_adjacent(&self, a: u32, b: u32) -> bool {
        match (self.period_ordinal(a), self.period_ordinal(b)) {
            (Some(x), Some(y)) => x.checked_add(1) == Some(y),
            _ => false,
        }
    }

    /// The calendar key of dense period `period`.
    pub fn period_key(&self, period: u32) -> Option<PeriodKey> {
        self.period_keys.get(period as usize).copied()
    }

    /// The label of dense period `period` (`2026-06`).
    pub fn period_label(&self, period: u32) -> String {
        self.period_key(period)
            .map_or_else(String::new, |k| self.calendar.label(k))
    }

    /// Dense period of contact `contact` (`None` outside every period).
    pub fn contact_period(&self, contact: u32) -> Option<u32> {
        self.contact_period
            .get(contact as usize)
            .copied()
            .filter(|&p| p != NONE)
    }

    /// Local day of contact `contact` (days from the common era, as
    /// [`chrono::Datelike::num_days_from_ce`]).
    pub fn contact_day(&self, contact: u32) -> i32 {
        self.contact_day.get(contact as usize).copied().unwrap_or(0)
    }

    /// Dense period of meeting `meeting`.
    pub fn meeting_period(&self, meeting: u32) -> Option<u32> {
        self.meeting_period
            .get(meeting as usize)
            .copied()
            .filter(|&p| p != NONE)
    }

    /// Dense period of sale `sale`.
    pub fn sale_period(&self, sale: u32) -> Option<u32> {
        self.sale_period
            .get(sale as usize)
            .copied()
            .filter(|&p| p != NONE)
    }

    /// Dense period of an instant (µs), if it falls in one that has events.
    pub fn period_of(&self, us: i64) -> Option<u32> {
        if let Some((first, table)) = &self.utc_days {
            let d = us.div_euclid(DAY_US) - first;
            if let Some(&p) = usize::try_from(d).ok().and_then(|d| table.get(d)) {
                return (p != NONE).then_some(p);
            }
        }
        let key = self.calendar.period(us)?;
        self.period_keys.binary_search(&key).ok().map(|i| i as u32)
    }

    /// The contacts of rep `rep`, ordered by time (then index).
    pub fn rep_contacts(&self, rep: u32) -> &[u32] {
        let r = rep as usize;
        match (self.rep_offsets.get(r), self.rep_offsets.get(r + 1)) {
            (Some(&a), Some(&b)) => self.rep_contacts.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The contacts of rep `rep` in time order with, at the same positions,
    /// their local days and dense periods (`NONE` outside every period).
    pub fn rep_timeline(&self, rep: u32) -> (&[u32], &[i32], &[u32]) {
        let r = rep as usize;
        let (Some(&a), Some(&b)) = (self.rep_offsets.get(r), self.rep_offsets.get(r + 1)) else {
            return (&[], &[], &[]);
        };
        let range = a as usize..b as usize;
        (
            self.rep_contacts.get(range.clone()).unwrap_or(&[]),
            self.rep_days.get(range.clone()).unwrap_or(&[]),
            self.rep_periods.get(range).unwrap_or(&[]),
        )
    }

    /// The rep's peers: the other reps of their team, or every other rep
    /// when the team has fewer than `min` other reps (or the rep none).
    pub fn peers(&self, rep: u32, min: usize) -> Vec<u32> {
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
    pub fn peer_baseline(
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
    pub fn peer_values<T: Copy + Default>(
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
    pub fn proportion_test(
        &self,
        table: &RepPeriod<Option<(u32, u32)>>,
        rep: u32,
        period: u32,
        min_peers: usize,
    ) -> Option<baseline::ProportionTest> {
        let (k, n) = table.get(rep, period).copied().flatten()?;
        let peers = self.peer_values(table, rep, period, min_peers)?;
        baseline::ProportionTest::new(k, n, &peers, min_peers)
    }

    /// The median of the rep's own figure over their other periods (those
    /// with a value), if there are at least two.
    pub fn own_median(&self, table: &RepPeriod<Option<f64>>, rep: u32, period: u32) -> Option<f64> {
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
    pub fn rep_period<T: Clone + Default>(&self) -> RepPeriod<T> {
        let (reps, periods) = (self.ledger.reps().len(), self.period_count());
        if self.sparse_tables {
            RepPeriod::sparse(reps, periods)
        } else {
            RepPeriod::new(reps, periods)
        }
    }

    /// A finding with evidence sorted in byte order and cut to
    /// [`DetectConfig::max_evidence`] ids.
    pub fn finding(
        &self,
        detector: &str,
        rep: u32,
        period: u32,
        score: f64,
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
            score,
            explanation,
            evidence,
        }
    }
}

/// A rep-period whose evidence passed a detector's effect-size gates and
/// reached [`persistence`](Decision) strength.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Candidate {
    pub(crate) rep: u32,
    pub(crate) period: u32,
    pub(crate) z: f64,
}

/// A rep-period that becomes a finding, with the z-score its score rests
/// on and, when a run of adjacent periods carries it, the run's first and
/// last period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Decision {
    pub(crate) rep: u32,
    pub(crate) period: u32,
    pub(crate) z: f64,
    pub(crate) run: Option<(u32, u32)>,
}

/// Which candidates become findings: a z-score of `z_flag` or more on its
/// own, or — gaming is a habit, chance is not — a z-score of at least
/// `z_persist` in a run of two to four adjacent periods of the same rep,
/// each at least `z_persist`, whose Stouffer sum `Σz / √n` (each z capped
/// at `z_flag`, so one glaring month does not carry a weak one) reaches
/// `z_flag`. For an honest rep that sum is a standard normal, so a run
/// crosses `z_flag` as rarely as one period does.
pub(crate) fn decide(
    cands: &[Candidate],
    ordinal: impl Fn(u32) -> Option<i64>,
    z_flag: f64,
    z_persist: f64,
) -> Vec<Decision> {
    const MAX_RUN: i64 = 4;
    // (rep, calendar ordinal of the period, candidate): dense indices skip
    // periods without events, so adjacency is read off the ordinals.
    let mut sorted: Vec<(u32, i64, &Candidate)> = cands
        .iter()
        .filter(|c| c.z >= z_persist)
        .filter_map(|c| Some((c.rep, ordinal(c.period)?, c)))
        .collect();
    sorted.sort_by_key(|&(rep, o, _)| (rep, o));
    let at = |rep: u32, o: i64| -> Option<&Candidate> {
        sorted
            .binary_search_by_key(&(rep, o), |&(r, q, _)| (r, q))
            .ok()
            .and_then(|i| sorted.get(i))
            .map(|&(_, _, c)| c)
    };
    let mut out = Vec::new();
    for &(rep, o, c) in &sorted {
        // Runs of 2 to 4 adjacent periods that contain this one.
        let mut best: Option<(f64, (u32, u32))> = None;
        let runs = (2..=MAX_RUN).flat_map(|len| {
            (0..len).map(move |k| (o.saturating_sub(k), o.saturating_sub(k) + len - 1))
        });
        for (lo, hi) in runs {
            let zs: Option<Vec<f64>> = (lo..=hi)
                .map(|q| at(rep, q).map(|x| x.z.min(z_flag)))
                .collect();
            let (Some(zs), Some(first), Some(last)) = (zs, at(rep, lo), at(rep, hi)) else {
                continue;
            };
            let z = zs.iter().sum::<f64>() / (zs.len() as f64).sqrt();
            if best.is_none_or(|(bz, _)| z > bz) {
                best = Some((z, (first.period, last.period)));
            }
        }
        // A period stands on its own evidence or on its best run's,
        // whichever is stronger.
        let (z, run) = match best {
            Some((run_z, run)) if run_z > c.z => (run_z, Some(run)),
            _ => (c.z, None),
        };
        if z >= z_flag {
            out.push(Decision {
                rep: c.rep,
                period: c.period,
                z,
                run,
            });
        }
    }
    out
}

/// Turns a detector's candidate findings (built with any score) into its
/// findings: [`decide`]s which stand, scores them from the z-score they rest
/// on, and notes where the adjacent period's evidence was needed.
pub(crate) fn conclude(
    ctx: &DetectContext<'_>,
    pending: Vec<(Candidate, Finding)>,
    z_flag: f64,
    z_persist: f64,
) -> Vec<Finding> {
    let cands: Vec<Candidate> = pending.iter().map(|(c, _)| *c).collect();
    let decisions: std::collections::HashMap<(u32, u32), Decision> =
        decide(&cands, |p| ctx.period_ordinal(p), z_flag, z_persist)
            .into_iter()
            .map(|d| ((d.rep, d.period), d))
            .collect();
    pending
        .into_iter()
        .filter_map(|(c, mut f)| {
            let d = decisions.get(&(c.rep, c.period))?;
            f.score = baseline::score(d.z, z_flag);
            f.explanation.push_str(&persistence_note(ctx, d.run));
            Some(f)
        })
        .collect()
}

/// The sentence that says a finding rests on a run of periods.
pub(crate) fn persistence_note(ctx: &DetectContext<'_>, run: Option<(u32, u32)>) -> String {
    run.map_or_else(String::new, |(lo, hi)| {
        format!(
            " The pattern holds from {} to {}, which together carry the finding.",
            ctx.period_label(lo),
            ctx.period_label(hi)
        )
    })
}

/// Runs `f` over ranges of prospect indices holding roughly equal numbers
/// of events (in parallel with feature `parallel`) and returns the results
/// in prospect order: per-prospect walks touch contacts, meetings and sales
/// out of order, so they are the ones worth spreading over threads.
pub(crate) fn map_prospect_chunks<T: Send>(
    ledger: &Ledger,
    f: impl Fn(std::ops::Range<u32>) -> T + Sync,
) -> Vec<T> {
    let chunks = crate::classify::chunk_bounds(
        ledger.event_offsets(),
        ledger.prospect_count(),
        ledger.events().len(),
    );
    let run = |&(a, b): &(usize, usize)| f(a as u32..b as u32);
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        chunks.par_iter().map(run).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        chunks.iter().map(run).collect()
    }
}

/// A table of one value per (rep, period).
///
/// Stored densely while `reps × periods` is small next to the records;
/// otherwise ([`DetectContext::rep_period`] decides) only the cells that
/// were written are stored, each rep's in a map ordered by period, so a
/// ledger whose reps each work on days of their own costs memory in
/// proportion to its records, not to reps × periods. A cell never written
/// reads as the table's fill value (`T::default()`, or its image under
/// [`RepPeriod::map`]) either way.
#[derive(Debug, Clone)]
pub struct RepPeriod<T> {
    periods: usize,
    cells: Cells<T>,
    /// What a cell that is not stored holds.
    fill: T,
    /// Each rep's `Some` values sorted (for [`DetectContext::own_median`]),
    /// computed on first use and dropped by [`RepPeriod::get_mut`].
    sorted_rows: OnceLock<Vec<Vec<f64>>>,
    /// Each period's reps with a `Some` value, in rep order (for
    /// [`DetectContext::peer_values`]), computed on first use and dropped
    /// by [`RepPeriod::get_mut`].
    columns: OnceLock<Vec<Vec<u32>>>,
}

/// The storage of a [`RepPeriod`].
#[derive(Debug, Clone, PartialEq)]
enum Cells<T> {
    /// `reps × periods` values, rep-major.
    Dense(Vec<T>),
    /// Per rep, the written cells by period.
    Sparse(Vec<std::collections::BTreeMap<u32, T>>),
}

impl<T: PartialEq> PartialEq for RepPeriod<T> {
    /// Equal storage and fill (the caches do not count).
    fn eq(&self, other: &Self) -> bool {
        self.periods == other.periods && self.fill == other.fill && self.cells == other.cells
    }
}

impl<T: Clone + Default> RepPeriod<T> {
    /// `reps × periods` default values, stored densely.
    pub fn new(reps: usize, periods: usize) -> Self {
        Self::with_cells(periods, Cells::Dense(vec![T::default(); reps * periods]))
    }

    /// `reps × periods` default values of which only the written cells
    /// are stored.
    pub(crate) fn sparse(reps: usize, periods: usize) -> Self {
        Self::with_cells(periods, Cells::Sparse(vec![Default::default(); reps]))
    }

    fn with_cells(periods: usize, cells: Cells<T>) -> Self {
        Self {
            periods,
            cells,
            fill: T::default(),
            sorted_rows: OnceLock::new(),
            columns: OnceLock::new(),
        }
    }

    /// The number of reps.
    fn reps(&self) -> usize {
        match &self.cells {
            Cells::Dense(data) => data.len().checked_div(self.periods).unwrap_or(0),
            Cells::Sparse(rows) => rows.len(),
        }
    }

    /// The value of (`rep`, `period`).
    pub fn get(&self, rep: u32, period: u32) -> Option<&T> {
        if period as usize >= self.periods {
            return None;
        }
        match &self.cells {
            Cells::Dense(data) => data.get(rep as usize * self.periods + period as usize),
            Cells::Sparse(rows) => rows
                .get(rep as usize)
                .map(|row| row.get(&period).unwrap_or(&self.fill)),
        }
    }

    /// The value of (`rep`, `period`), mutably (a cell not yet stored is
    /// stored with the fill value first).
    pub fn get_mut(&mut self, rep: u32, period: u32) -> Option<&mut T> {
        if period as usize >= self.periods {
            return None;
        }
        // The caches describe the values, which may be about to change.
        self.sorted_rows.take();
        self.columns.take();
        match &mut self.cells {
            Cells::Dense(data) => data.get_mut(rep as usize * self.periods + period as usize),
            Cells::Sparse(rows) => {
                let fill = &self.fill;
                rows.get_mut(rep as usize)
                    .map(|row| row.entry(period).or_insert_with(|| fill.clone()))
            }
        }
    }

    /// A table of `f(value)`.
    pub fn map<U: Clone + Default>(&self, f: impl Fn(&T) -> U) -> RepPeriod<U> {
        let cells = match &self.cells {
            Cells::Dense(data) => Cells::Dense(data.iter().map(&f).collect()),
            Cells::Sparse(rows) => Cells::Sparse(
                rows.iter()
                    .map(|row| row.iter().map(|(&p, v)| (p, f(v))).collect())
                    .collect(),
            ),
        };
        RepPeriod {
            fill: f(&self.fill),
            ..RepPeriod::with_cells(self.periods, cells)
        }
    }

    /// Every stored `(rep, period, value)`, in (rep, period) order: every
    /// cell of a dense table, the written ones of a sparse table (the
    /// others hold the fill value).
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32, &T)> + '_ {
        let periods = self.periods.max(1);
        let (dense, sparse) = match &self.cells {
            Cells::Dense(data) => (Some(data), None),
            Cells::Sparse(rows) => (None, Some(rows)),
        };
        let dense = dense.into_iter().flat_map(move |data| {
            data.iter()
                .enumerate()
                .map(move |(i, v)| ((i / periods) as u32, (i % periods) as u32, v))
        });
        let sparse = sparse.into_iter().flat_map(|rows| {
            rows.iter()
                .enumerate()
                .flat_map(|(r, row)| row.iter().map(move |(&p, v)| (r as u32, p, v)))
        });
        dense.chain(sparse)
    }

    /// The stored cells of rep `rep` as `(period, value)`, in period order.
    pub(crate) fn row(&self, rep: u32) -> impl Iterator<Item = (u32, &T)> + '_ {
        let periods = self.periods;
        let (dense, sparse) = match &self.cells {
            Cells::Dense(data) => {
                let start = (rep as usize).saturating_mul(periods);
                let end = start.saturating_add(periods);
                (data.get(start..end), None)
            }
            Cells::Sparse(rows) => (None, rows.get(rep as usize)),
        };
        let dense = dense
            .into_iter()
            .flat_map(|row| row.iter().enumerate().map(|(p, v)| (p as u32, v)));
        let sparse = sparse
            .into_iter()
            .flat_map(|row| row.iter().map(|(&p, v)| (p, v)));
        dense.chain(sparse)
    }
}

impl<U: Copy + Default> RepPeriod<Option<U>> {
    /// Whether cells that are not stored hold a value: then every rep
    /// has one in every period and the caches below do not apply.
    fn fill_is_some(&self) -> bool {
        self.fill.is_some()
    }

    /// The reps with a value in `period`, in rep order (computed once for
    /// all periods, in time proportional to the stored cells).
    fn column(&self, period: u32) -> &[u32] {
        let columns = self.columns.get_or_init(|| {
            let mut columns = vec![Vec::new(); self.periods];
            for (r, p, v) in self.iter() {
                if v.is_some()
                    && let Some(c) = columns.get_mut(p as usize)
                {
                    c.push(r);
                }
            }
            columns
        });
        columns.get(period as usize).map_or(&[], Vec::as_slice)
    }
}

impl RepPeriod<Option<f64>> {
    /// Rep `rep`'s values in ascending [`f64::total_cmp`] order (computed
    /// once for all reps, in time proportional to the stored cells).
    fn sorted_row(&self, rep: u32) -> &[f64] {
        let rows = self.sorted_rows.get_or_init(|| {
            let mut rows = vec![Vec::new(); self.reps()];
            for (r, _, v) in self.iter() {
                if let (Some(v), Some(row)) = (v, rows.get_mut(r as usize)) {
                    row.push(*v);
                }
            }
            rows.iter_mut().for_each(|row| row.sort_by(f64::total_cmp));
            rows
        });
        rows.get(rep as usize).map_or(&[], Vec::as_slice)
    }
}

/// Runs `detectors` (in parallel with feature `parallel`) and returns all
/// findings sorted by detector, rep id and period (byte order), then by
/// descending score: deterministic whatever the detectors' own order.
/// Scores are clamped to [0, 1] (NaN becomes 0).
pub fn run<D: Detector>(ctx: &DetectContext<'_>, detectors: &[D]) -> Vec<Finding> {
    #[cfg(feature = "parallel")]
    let mut all: Vec<Finding> = {
        use rayon::prelude::*;
        detectors
            .par_iter()
            .flat_map_iter(|d| d.detect(ctx))
            .collect()
    };
    #[cfg(not(feature = "parallel"))]
    let mut all: Vec<Finding> = detectors.iter().flat_map(|d| d.detect(ctx)).collect();
    for f in &mut all {
        f.score = if f.score.is_nan() {
            0.0
        } else {
            f.score.clamp(0.0, 1.0)
        };
        f.evidence.sort_unstable();
    }
    all.sort_by(Finding::order);
    all
}

/// [`DetectContext::new`] then [`run`].
///
/// # Errors
/// As [`DetectContext::new`].
pub fn detect<D: Detector>(
    classified: &Classified<'_>,
    config: &DetectConfig,
    detectors: &[D],
) -> Result<Vec<Finding>> {
    let ctx = DetectContext::new(classified, config)?;
    Ok(run(&ctx, detectors))
}

/// The eight built-in detectors of SPEC §9 with default settings, in SPEC
/// order.
pub fn builtin() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(QuotaBunching::default()),
        Box::new(FollowUpPadding::default()),
        Box::new(RepeatTouch::default()),
        Box::new(DuplicateInflation::default()),
        Box::new(Backdating::default()),
        Box::new(PeriodEndSurge::default()),
        Box::new(HollowContacts::default()),
        Box::new(MeetingUnderreporting::default()),
    ]
}

/// The names of the built-in detectors, in SPEC order.
pub const BUILTIN_NAMES: [&str; 8] = [
    "quota_bunching",
    "follow_up_padding",
    "repeat_touch",
    "duplicate_inflation",
    "backdating",
    "period_end_surge",
    "hollow_contacts",
    "meeting_underreporting",
];

/// Built-in detectors chosen by a comma-separated list of names: `all`
/// (every one), `none` or an empty string (no detector), or names from
/// [`BUILTIN_NAMES`] (`quota_bunching,backdating`), in the order given,
/// each once.
///
/// # Errors
/// [`Error::InvalidArgument`] naming an unknown detector and the known ones.
pub fn by_names(list: &str) -> Result<Vec<Box<dyn Detector>>> {
    let list = list.trim();
    if list.eq_ignore_ascii_case("all") {
        return Ok(builtin());
    }
    if list.is_empty() || list.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let mut chosen: Vec<Box<dyn Detector>> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let d = builtin()
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                Error::invalid(
                    "detectors",
                    format!(
                        "unknown detector {name:?}; known: all, none, {}",
                        BUILTIN_NAMES.join(", ")
                    ),
                )
            })?;
        if !chosen.iter().any(|c| c.name() == d.name()) {
            chosen.push(d);
        }
    }
    Ok(chosen)
}

/// The findings as a SPEC §11 table:
/// `detector,rep_id,period,score,explanation,evidence`.
pub fn findings_table(findings: &[Finding]) -> Table {
    let mut t = Table::new(&[
        "detector",
        "rep_id",
        "period",
        "score",
        "explanation",
        "evidence",
    ]);
    for f in findings {
        t.push(vec![
            f.detector.as_str().into(),
            f.rep_id.as_str().into(),
            f.period.as_str().into(),
            Cell::float(Some(f.score)),
            f.explanation.as_str().into(),
            f.evidence_text().into(),
        ]);
    }
    t
}

/// Writes `findings.csv` (SPEC §11) to `w`, in the order given ([`run`]
/// sorts).
///
/// # Errors
/// [`Error::Write`] when writing fails.
pub fn write_findings_csv<W: Write>(w: W, findings: &[Finding]) -> Result<()> {
    findings_table(findings).write_csv(w)
}

/// Writes the findings as a JSON array of objects with the same fields as
/// `findings.csv`.
///
/// # Errors
/// [`Error::Write`] when writing fails.
pub fn write_findings_json<W: Write>(w: W, findings: &[Finding]) -> Result<()> {
    findings_table(findings).write_json(w)
}

impl std::fmt::Display for Finding {
    /// `hollow_contacts · florin · 2026-03 · score 0.93: explanation (27
    /// records)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} · {} · {} · score {:.2}: {} ({} record{})",
            self.detector,
            self.rep_id,
            self.period,
            self.score,
            self.explanation,
            self.evidence.len(),
            if self.evidence.len() == 1 { "" } else { "s" }
        )
    }
}

/// Findings as a result to look at: an aligned text table, HTML and a
/// notebook display (with long evidence lists shortened to their count and
/// first ids; [`Findings::table`] and `findings.csv` keep them whole), and
/// typed columns ([`ToFrame`](crate::report::ToFrame)).
///
/// ```
/// use sales_metrics::detect::{Finding, Findings};
///
/// let list = [Finding {
///     detector: "repeat_touch".into(),
///     rep_id: "<dan>".into(),
///     period: "2026-03".into(),
///     score: 0.75,
///     explanation: "dan contacted one prospect 4 times within 24 h".into(),
///     evidence: vec!["c3".into(), "c1".into(), "c2".into(), "c4".into()],
/// }];
/// let shown = Findings(&list);
/// assert!(shown.to_string().starts_with("1 finding\n"));
/// assert!(shown.to_html().contains("&lt;dan&gt;"));
/// assert!(shown.to_html().contains("4 records: c1 c2 c3 c4"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Findings<'a>(pub &'a [Finding]);

impl Findings<'_> {
    /// Columns of [`Findings::table`] (SPEC §11 `findings.csv`).
    pub const COLUMNS: [&'static str; 6] = [
        "detector",
        "rep_id",
        "period",
        "score",
        "explanation",
        "evidence",
    ];

    /// Evidence ids shown before "…" in the display table.
    const SHOWN_IDS: usize = 6;

    /// The SPEC §11 table ([`findings_table`]).
    pub fn table(&self) -> Table {
        findings_table(self.0)
    }

    /// The table people read: evidence as its count and first ids.
    pub fn display_table(&self) -> Table {
        let mut t = self.table();
        for (row, f) in t.rows.iter_mut().zip(self.0) {
            let mut ids: Vec<&str> = f.evidence.iter().map(String::as_str).collect();
            ids.sort_unstable();
            let mut shown = ids
                .iter()
                .take(Self::SHOWN_IDS)
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            if ids.len() > Self::SHOWN_IDS {
                shown.push_str(" …");
            }
            let n = ids.len();
            let text = format!("{n} record{}: {shown}", if n == 1 { "" } else { "s" });
            if let Some(cell) = row.last_mut() {
                *cell = text.into();
            }
        }
        t
    }

    fn caption(&self) -> String {
        match self.0.len() {
            0 => "No findings".to_owned(),
            1 => "1 finding".to_owned(),
            n => format!("{n} findings"),
        }
    }

    /// The findings as an HTML table with a caption.
    pub fn to_html(&self) -> String {
        self.display_table().to_html_captioned(&self.caption())
    }

    /// Renders the findings as a table in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        crate::table::evcxr_show(
            &self
                .display_table()
                .html(Some(&self.caption()), Some(Table::NOTEBOOK_ROWS)),
            &self.to_string(),
        );
    }
}

impl std::fmt::Display for Findings<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.caption())?;
        for finding in self.0 {
            writeln!(f, "  {finding}")?;
        }
        Ok(())
    }
}

impl crate::report::ToFrame for Findings<'_> {
    /// The columns of `findings.csv`: text, `score` as a float, `evidence`
    /// as space-separated ids.
    fn to_frame(&self) -> crate::report::Frame {
        use crate::report::{ColumnType, Frame};
        let types = [
            ColumnType::Utf8,
            ColumnType::Utf8,
            ColumnType::Utf8,
            ColumnType::Float64,
            ColumnType::Utf8,
            ColumnType::Utf8,
        ];
        let table = self.table();
        Frame::from_table_typed(&table, &types).unwrap_or_else(|_| Frame::from_table(&table))
    }
}
