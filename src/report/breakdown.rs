//! Where the sales force spends its time, and what each channel and each
//! prospect source brings back (SPEC §6 `time_by_class`,
//! `time_by_channel`, with the outcomes of SPEC §7).
//!
//! The old form counted contacts per channel and nothing else. A
//! breakdown puts beside each channel (or prospect source), per rep and
//! period:
//!
//! * the **work**: contacts of that channel (or to prospects of that
//!   source), by class, and the seconds of logged time they took, by class
//!   (contacts without a duration are counted apart as `untimed`);
//! * what it **brought**: new prospects (distinct prospects first reached
//!   by such a contact), and the engagements *opened* through it with how
//!   many of them met and were won;
//! * the **yield**: each of those per contact and per hour of logged time.
//!
//! Attribution: contacts, time and new prospects go to the contact's own
//! rep, period and channel, like the period report. Engagements, met and
//! won follow the cohort definition (SPEC §7): an engagement counts in the
//! period it *started*, for the rep and channel of its starting contact,
//! with its outcome whenever that came — meetings and sales have no channel
//! of their own, and crediting them to the channel that opened the
//! engagement is what answers "which channel brings sales". A prospect's
//! source is that of its cluster ([`Ledger::prospect_source`]); prospects
//! without one are keyed by an empty cell.
//!
//! Per-hour yields divide by *logged* time only: untimed contacts still
//! bring outcomes, so a channel with many untimed contacts looks better per
//! hour than it is. The `untimed` column says how much that matters.
//!
//! Like the other reports the state is a mergeable aggregate over disjoint
//! prospect sets ([`BreakdownAggregate::merge`]).
//!
//! # Example
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use sales_metrics::{classify, ClassifyConfig};
//! use sales_metrics::report::{PeriodSpec, Scope, BreakdownBy};
//! use sales_metrics::{Channel, Contact, LedgerBuilder, ProspectRecord, Rep, Sale};
//!
//! let t = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
//! let mut b = LedgerBuilder::new();
//! b.add_rep(Rep::new("ana"));
//! b.add_prospect(ProspectRecord::new("p1"));
//! let mut c1 = Contact::new("c1", "ana", "p1", t, Channel::Phone);
//! c1.duration_s = Some(1800);
//! b.add_contact(c1);
//! let mut c2 = Contact::new("c2", "ana", "p1", t + Duration::days(2), Channel::Email);
//! c2.duration_s = Some(600);
//! b.add_contact(c2);
//! b.add_sale(Sale::new("s1", "ana", "p1", t + Duration::days(3)));
//! let ledger = b.build()?;
//! let classified = classify(&ledger, &ClassifyConfig::default());
//! let by_channel = classified.breakdown(&Scope::all(), &PeriodSpec::monthly(), BreakdownBy::Channel)?;
//! let phone = by_channel.rows.iter().find(|r| r.key == "phone").ok_or("no phone row")?;
//! let c = &phone.counts;
//! assert_eq!((c.contacts, c.new_prospects, c.won), (1, 1, 1));
//! assert_eq!(c.won_per_hour(), Some(2.0)); // one win per half hour
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use chrono::NaiveDate;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

use crate::classify::{Classified, ContactClass};
use crate::error::Result;
use crate::ledger::{EventKind, Ledger};
use crate::model::{Channel, Source};
use crate::ratio::Ratio;
use crate::report::aggregate::{Aggregate, ReportInput};
use crate::report::cohort::{EngagementFilter, engagements_of};
use crate::report::merge_cells;
use crate::report::scope::{Calendar, PeriodKey, PeriodSpec, Scope};
use crate::table::{Cell, Table};

/// What a breakdown is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakdownBy {
    /// The contact's channel (engagements: the starting contact's).
    Channel,
    /// The prospect's source.
    Source,
}

impl BreakdownBy {
    /// The key column name: `channel` or `source`.
    pub const fn column(self) -> &'static str {
        match self {
            BreakdownBy::Channel => "channel",
            BreakdownBy::Source => "source",
        }
    }

    /// Key of "no source" (one past the last [`Source`] index).
    const NO_SOURCE: u8 = 6;

    fn label(self, key: u8) -> &'static str {
        match self {
            BreakdownBy::Channel => Channel::ALL.get(key as usize).map_or("", |c| c.as_str()),
            BreakdownBy::Source => Source::ALL.get(key as usize).map_or("", |s| s.as_str()),
        }
    }
}

/// Counts of one (rep, period, channel or source): the mergeable state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BreakdownCounts {
    /// Contacts.
    pub contacts: u64,
    /// Contacts per class, in [`ContactClass::ALL`] order.
    pub contacts_by_class: [u64; 4],
    /// Distinct prospects with a `new` contact here.
    pub new_prospects: u64,
    /// Engagements opened here (started in the period by the rep, through
    /// the channel or with a prospect of the source).
    pub engagements: u64,
    /// Of those, engagements that reached a held meeting.
    pub met: u64,
    /// Of those, engagements won.
    pub won: u64,
    /// Seconds of logged contact time (sum of `duration_s`). 128 bits: any
    /// number of durations up to `i64::MAX` each sums exactly.
    pub seconds: i128,
    /// Seconds per class, in [`ContactClass::ALL`] order (exact, like
    /// `seconds`).
    pub seconds_by_class: [i128; 4],
    /// Contacts without a duration.
    pub untimed: u64,
}

impl BreakdownCounts {
    /// Adds another cell's counts (over disjoint prospects).
    pub fn merge(&mut self, other: &BreakdownCounts) {
        self.contacts += other.contacts;
        add(&mut self.contacts_by_class, &other.contacts_by_class);
        self.new_prospects += other.new_prospects;
        self.engagements += other.engagements;
        self.met += other.met;
        self.won += other.won;
        self.seconds += other.seconds;
        add(&mut self.seconds_by_class, &other.seconds_by_class);
        self.untimed += other.untimed;
    }

    /// Hours of logged time.
    pub fn hours(&self) -> f64 {
        self.seconds as f64 / 3600.0
    }

    /// new_prospects ÷ contacts.
    pub fn new_prospects_per_contact(&self) -> Ratio {
        Ratio::proportion(self.new_prospects, self.contacts)
    }

    /// met ÷ contacts: engagements opened here that met, per contact.
    pub fn met_per_contact(&self) -> Ratio {
        Ratio::proportion(self.met, self.contacts)
    }

    /// won ÷ contacts: engagements opened here that were won, per contact.
    pub fn won_per_contact(&self) -> Ratio {
        Ratio::proportion(self.won, self.contacts)
    }

    fn per_hour(&self, n: u64) -> Option<f64> {
        (self.seconds > 0).then(|| n as f64 * 3600.0 / self.seconds as f64)
    }

    /// New prospects per hour of logged time; `None` without logged time.
    pub fn new_prospects_per_hour(&self) -> Option<f64> {
        self.per_hour(self.new_prospects)
    }

    /// Met engagements per hour of logged time.
    pub fn met_per_hour(&self) -> Option<f64> {
        self.per_hour(self.met)
    }

    /// Won engagements per hour of logged time.
    pub fn won_per_hour(&self) -> Option<f64> {
        self.per_hour(self.won)
    }

    /// Untimed contacts ÷ contacts: how far per-hour figures can be trusted.
    pub fn untimed_share(&self) -> Ratio {
        Ratio::proportion(self.untimed, self.contacts)
    }
}

fn add<T: Copy + std::ops::AddAssign, const N: usize>(a: &mut [T; N], b: &[T; N]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += *y;
    }
}

fn bump<T: Copy + std::ops::AddAssign, const N: usize>(a: &mut [T; N], i: usize, by: T) {
    if let Some(x) = a.get_mut(i) {
        *x += by;
    }
}

/// Partial breakdown over a set of prospects, keyed by (rep index, period
/// key, channel or source index). Merging over disjoint prospect sets is
/// associative and commutative, with [`Default`] as identity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BreakdownAggregate {
    cells: HashMap<(u32, PeriodKey, u8), BreakdownCounts>,
}

impl BreakdownAggregate {
    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

fn aggregate_range(
    ledger: &Ledger,
    classified: &Classified,
    calendar: &Calendar,
    filter: &EngagementFilter<'_>,
    by: BreakdownBy,
    prospects: Range<usize>,
) -> BreakdownAggregate {
    let mut agg = BreakdownAggregate::default();
    let events = ledger.events();
    let offsets = ledger.event_offsets();
    let scope_filter = filter.events();
    let source_key = |p: u32| {
        ledger
            .prospect_source(p)
            .map_or(BreakdownBy::NO_SOURCE, |s| s.index() as u8)
    };
    // Cells with a `new` contact of the current prospect, settled into a
    // distinct count when the prospect is done. Reused across prospects.
    let mut new_cells: Vec<(u32, PeriodKey, u8)> = Vec::new();
    for p in prospects.clone() {
        if !scope_filter.prospect(ledger, p as u32) {
            continue;
        }
        let a = crate::classify::offset(offsets, p);
        let b = crate::classify::offset(offsets, p + 1);
        let Some(prospect_events) = events.get(a..b) else {
            continue;
        };
        let source = source_key(p as u32);
        new_cells.clear();
        for (k, e) in prospect_events.iter().enumerate() {
            if e.kind != EventKind::Contact {
                continue;
            }
            let pos = a + k;
            let Some(c) = ledger.contacts().get(e.index as usize) else {
                continue;
            };
            if !scope_filter.rep(c.rep)
                || !scope_filter.channel(ledger, classified, e.kind, e.index, pos)
            {
                continue;
            }
            let Some(period) = calendar.period(e.time_us) else {
                continue;
            };
            let key = match by {
                BreakdownBy::Channel => c.channel.index() as u8,
                BreakdownBy::Source => source,
            };
            let Some(class) = classified.event_class(pos) else {
                debug_assert!(false, "contact events are classified");
                continue;
            };
            let cell = agg.cells.entry((c.rep, period, key)).or_default();
            cell.contacts += 1;
            bump(&mut cell.contacts_by_class, class.index(), 1);
            match c.duration_s() {
                Some(d) => {
                    let d = i128::from(d);
                    cell.seconds += d;
                    bump(&mut cell.seconds_by_class, class.index(), d);
                }
                None => cell.untimed += 1,
            }
            if class == ContactClass::New {
                new_cells.push((c.rep, period, key));
            }
        }
        new_cells.sort_unstable();
        new_cells.dedup();
        for k in &new_cells {
            if let Some(cell) = agg.cells.get_mut(k) {
                cell.new_prospects += 1;
            }
        }
    }
    for g in engagements_of(classified, &prospects) {
        if !filter.keep(ledger, g) {
            continue;
        }
        let Some(period) = calendar.period(g.start_us) else {
            continue;
        };
        let key = match by {
            BreakdownBy::Channel => ledger
                .contacts()
                .get(g.start_contact as usize)
                .map_or(Channel::Other.index() as u8, |c| c.channel.index() as u8),
            BreakdownBy::Source => source_key(g.prospect),
        };
        let cell = agg.cells.entry((g.rep, period, key)).or_default();
        cell.engagements += 1;
        cell.met += u64::from(g.met());
        cell.won += u64::from(g.won());
    }
    agg
}

impl Aggregate for BreakdownAggregate {
    type Report = Breakdown;

    fn of(input: &ReportInput<'_>) -> Self {
        let classified = input.classified();
        aggregate_range(
            classified.ledger(),
            classified,
            input.calendar(),
            input.filter(),
            input.by(),
            input.prospects(),
        )
    }

    fn merge(&mut self, other: Self) {
        merge_cells(&mut self.cells, other.cells, BreakdownCounts::merge);
    }

    fn finish(self, input: &ReportInput<'_>) -> Breakdown {
        Breakdown::from_aggregate(input, self)
    }
}

/// One row: a rep's work and yield through one channel (or with one
/// prospect source) in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakdownRow {
    /// The rep (`*` in totals).
    pub rep_id: String,
    /// The period label (`*` in overall totals).
    pub period: String,
    /// First local day of the period.
    pub period_start: Option<NaiveDate>,
    /// The channel or source (empty: prospects without a source).
    pub key: String,
    /// The counts.
    pub counts: BreakdownCounts,
}

/// A breakdown by channel or by prospect source, sorted by rep id (byte
/// order), period, then key (declaration order of the channel or source).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// Channel or source.
    pub by: BreakdownBy,
    /// What it covers.
    pub scope: Scope,
    /// Periods and zone.
    pub periods: PeriodSpec,
    /// The rows.
    pub rows: Vec<BreakdownRow>,
}

impl Classified<'_> {
    /// Computes the breakdown of `scope` over `periods` by `by`
    /// (`ReportInput::new(self, scope, periods)?.breakdown_by(by).run::<BreakdownAggregate>()`).
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] when the scope names an unknown rep or
    /// team.
    pub fn breakdown(
        &self,
        scope: &Scope,
        periods: &PeriodSpec,
        by: BreakdownBy,
    ) -> Result<Breakdown> {
        Ok(ReportInput::new(self, scope, periods)?
            .breakdown_by(by)
            .run::<BreakdownAggregate>())
    }
}

/// Sort key of a row: rep, period start, period label, key rank.
type RowKey = (String, Option<NaiveDate>, String, u8);

impl Breakdown {
    /// Turns an aggregate into sorted rows.
    fn from_aggregate(input: &ReportInput<'_>, agg: BreakdownAggregate) -> Breakdown {
        let (ledger, calendar, by) = (input.classified().ledger(), input.calendar(), input.by());
        let (scope, periods) = (input.scope(), input.periods());
        let mut cells: Vec<((u32, PeriodKey, u8), BreakdownCounts)> =
            agg.cells.into_iter().collect();
        cells.sort_unstable_by_key(|(k, _)| *k);
        let rows = cells
            .into_iter()
            .map(|((rep, period, key), counts)| BreakdownRow {
                rep_id: ledger.rep_id(rep).to_owned(),
                period: calendar.label(period),
                period_start: calendar.period_start(period),
                key: by.label(key).to_owned(),
                counts,
            })
            .collect();
        Breakdown {
            by,
            scope: scope.clone(),
            periods: periods.clone(),
            rows,
        }
    }

    fn key_rank(&self, key: &str) -> u8 {
        let pos = match self.by {
            BreakdownBy::Channel => Channel::ALL.iter().position(|c| c.as_str() == key),
            BreakdownBy::Source => Source::ALL.iter().position(|s| s.as_str() == key),
        };
        pos.map_or(u8::MAX, |p| p as u8)
    }

    fn collapse(&self, keep_rep: bool, keep_period: bool) -> Breakdown {
        let mut merged: BTreeMap<RowKey, BreakdownRow> = BTreeMap::new();
        for r in &self.rows {
            let rep_id = if keep_rep {
                r.rep_id.clone()
            } else {
                "*".into()
            };
            let (period, period_start) = if keep_period {
                (r.period.clone(), r.period_start)
            } else {
                ("*".into(), None)
            };
            let k = (
                rep_id.clone(),
                period_start,
                period.clone(),
                self.key_rank(&r.key),
            );
            merged
                .entry(k)
                .or_insert_with(|| BreakdownRow {
                    rep_id,
                    period,
                    period_start,
                    key: r.key.clone(),
                    counts: BreakdownCounts::default(),
                })
                .counts
                .merge(&r.counts);
        }
        Breakdown {
            by: self.by,
            scope: self.scope.clone(),
            periods: self.periods.clone(),
            rows: merged.into_values().collect(),
        }
    }

    /// Every rep merged: one row per (period, key), `rep_id` "*".
    pub fn totals_by_period(&self) -> Breakdown {
        self.collapse(false, true)
    }

    /// Every rep and period merged: one row per key, `rep_id` and `period`
    /// "*" — the "where does the time go" overview.
    pub fn totals(&self) -> Breakdown {
        self.collapse(false, false)
    }

    /// Every period merged: one row per (rep, key), `period` "*".
    pub fn totals_by_rep(&self) -> Breakdown {
        self.collapse(true, false)
    }

    /// Column names of [`Breakdown::table`] (the third is `channel` or
    /// `source`).
    pub fn columns(&self) -> [&'static str; 25] {
        [
            "rep_id",
            "period",
            self.by.column(),
            "contacts",
            "contacts_new",
            "contacts_follow_up",
            "contacts_reactivated",
            "contacts_customer",
            "new_prospects",
            "engagements",
            "met",
            "won",
            "seconds",
            "untimed_contacts",
            "time_share",
            "seconds_new",
            "seconds_follow_up",
            "seconds_reactivated",
            "seconds_customer",
            "new_prospects_per_contact",
            "met_per_contact",
            "won_per_contact",
            "new_prospects_per_hour",
            "met_per_hour",
            "won_per_hour",
        ]
    }

    /// The breakdown as a table. `time_share` is the row's share of the
    /// logged seconds of its (rep, period) within this breakdown.
    pub fn table(&self) -> Table {
        let mut t = Table::new(&self.columns());
        let mut totals: HashMap<(&str, &str), i128> = HashMap::new();
        for r in &self.rows {
            *totals.entry((&r.rep_id, &r.period)).or_default() += r.counts.seconds;
        }
        for r in &self.rows {
            let c = &r.counts;
            let total = totals
                .get(&(r.rep_id.as_str(), r.period.as_str()))
                .copied()
                .unwrap_or(0);
            let mut row: Vec<Cell> = vec![
                r.rep_id.as_str().into(),
                r.period.as_str().into(),
                if r.key.is_empty() {
                    Cell::Empty
                } else {
                    r.key.as_str().into()
                },
                c.contacts.into(),
            ];
            row.extend(c.contacts_by_class.iter().map(|&v| Cell::from(v)));
            row.extend([
                c.new_prospects.into(),
                c.engagements.into(),
                c.met.into(),
                c.won.into(),
                c.seconds.into(),
                c.untimed.into(),
                time_share(c.seconds, total),
            ]);
            row.extend(c.seconds_by_class.iter().map(|&v| Cell::from(v)));
            row.extend([
                c.new_prospects_per_contact().into(),
                c.met_per_contact().into(),
                c.won_per_contact().into(),
                Cell::float(c.new_prospects_per_hour()),
                Cell::float(c.met_per_hour()),
                Cell::float(c.won_per_hour()),
            ]);
            t.push(row);
        }
        t
    }
}

/// `seconds ÷ total` as a rate that keeps its counts; as a plain share when
/// the seconds exceed a [`Ratio`]'s 64-bit counts (only sums of durations
/// near `i64::MAX` get there), so that the value is still written.
fn time_share(seconds: i128, total: i128) -> Cell {
    match (u64::try_from(seconds), u64::try_from(total)) {
        (Ok(s), Ok(t)) => Ratio::proportion(s, t).into(),
        _ => Cell::share((total != 0).then(|| seconds as f64 / total as f64)),
    }
}

impl Breakdown {
    /// What the breakdown covers, in words: `Breakdown by channel (all
    /// reps; month in UTC)`.
    pub fn caption(&self) -> String {
        format!(
            "Breakdown by {} ({}; {} in {})",
            self.by.column(),
            self.scope,
            self.periods.granularity,
            self.periods.time_zone
        )
    }

    /// The breakdown as an HTML table with a caption: shares as
    /// percentages with their counts below and the 95 % interval on hover.
    pub fn to_html(&self) -> String {
        self.table().to_html_captioned(&self.caption())
    }

    /// Renders the breakdown as a table in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        crate::table::evcxr_show(
            &self
                .table()
                .html(Some(&self.caption()), Some(Table::NOTEBOOK_ROWS)),
            &self.to_string(),
        );
    }
}

impl fmt::Display for Breakdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.caption())?;
        writeln!(
            f,
            "{:<10} {:<10} {:<18} {:>8} {:>7} {:>7} {:>6} {:>6} {:>8} {:>9} {:>8} {:>8} {:>8}",
            "rep",
            "period",
            self.by.column(),
            "contacts",
            "hours",
            "new",
            "met",
            "won",
            "untimed",
            "follow-up",
            "new/h",
            "met/h",
            "won/h"
        )?;
        let per_hour = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"));
        for r in &self.rows {
            let follow_up_hours = r
                .counts
                .seconds_by_class
                .get(ContactClass::FollowUp.index())
                .map_or(0.0, |&s| s as f64 / 3600.0);
            writeln!(
                f,
                "{:<10} {:<10} {:<18} {:>8} {:>7.1} {:>7} {:>6} {:>6} {:>8} {:>8.1}h {:>8} {:>8} {:>8}",
                r.rep_id,
                r.period,
                if r.key.is_empty() { "(none)" } else { &r.key },
                r.counts.contacts,
                r.counts.hours(),
                r.counts.new_prospects,
                r.counts.met,
                r.counts.won,
                r.counts.untimed,
                follow_up_hours,
                per_hour(r.counts.new_prospects_per_hour()),
                per_hour(r.counts.met_per_hour()),
                per_hour(r.counts.won_per_hour()),
            )?;
        }
        Ok(())
    }
}
