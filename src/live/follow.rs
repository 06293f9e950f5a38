//! Reports that follow every update: per tracked [`PeriodSpec`], the
//! (rep, period) cells of the period and cohort reports of the whole
//! ledger as the sum of each prospect's part. An update takes back the
//! parts of the prospects it touched and adds their new parts, so it costs
//! those prospects' events.

use std::collections::BTreeMap;

use hashbrown::HashMap;

use crate::classify::{ContactClass, EngagementData};
use crate::model::MeetingStatus;
use crate::report::SurvivalCurve;
use crate::report::cohort::{CohortCounts, CohortReport, CohortRow};
use crate::report::period::{PeriodCounts, PeriodReport, PeriodRow};
use crate::report::scope::{Calendar, PeriodKey, PeriodSpec, Scope};
use crate::report::survival::{Milestone, curve_of};
use crate::time::from_micros;

/// A cell's key: rep (its slot in the live ledger) and period.
pub(super) type CellKey = (u32, PeriodKey);

/// What one prospect adds to a cell, or a cell's total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Cell {
    /// Events counted (a row exists while this is above 0).
    events: u64,
    counts: PeriodCounts,
    /// Currency code → (sum of amounts, sales with an amount).
    revenue: BTreeMap<String, (i128, u64)>,
}

/// Counts that a prospect's part adds to a cell and takes back.
pub(super) trait Mergeable: Default {
    fn add(&mut self, part: &Self);
    fn subtract(&mut self, part: &Self);
    /// Whether nothing is left (the cell has no row).
    fn is_empty(&self) -> bool;
}

impl Mergeable for CohortCounts {
    fn add(&mut self, part: &Self) {
        self.merge(part);
    }

    fn subtract(&mut self, part: &Self) {
        CohortCounts::subtract(self, part);
    }

    fn is_empty(&self) -> bool {
        self.engagements == 0
    }
}

impl Mergeable for Cell {
    fn is_empty(&self) -> bool {
        self.events == 0
    }

    fn add(&mut self, part: &Cell) {
        self.events += part.events;
        self.counts.merge(&part.counts);
        for (code, &(sum, n)) in &part.revenue {
            let e = self.revenue.entry(code.clone()).or_default();
            e.0 += sum;
            e.1 += n;
        }
    }

    fn subtract(&mut self, part: &Cell) {
        self.events -= part.events;
        self.counts.subtract(&part.counts);
        for (code, &(sum, n)) in &part.revenue {
            if let Some(e) = self.revenue.get_mut(code) {
                e.0 -= sum;
                e.1 -= n;
                if e.1 == 0 {
                    self.revenue.remove(code);
                }
            }
        }
    }
}

/// One event of a prospect as the period report reads it.
pub(super) enum Fact<'a> {
    Contact {
        class: ContactClass,
        channel: crate::model::Channel,
        duration_s: Option<i64>,
    },
    Meeting(MeetingStatus),
    Sale {
        amount_minor: Option<i64>,
        currency: &'a str,
    },
}

/// The period and cohort reports over one tracked spec.
#[derive(Debug, Clone)]
pub(super) struct Tracked {
    pub(super) periods: Following<Cell>,
    pub(super) cohorts: Following<CohortCounts>,
}

impl Tracked {
    pub(super) fn new(spec: PeriodSpec) -> Self {
        Self {
            periods: Following::new(spec.clone()),
            cohorts: Following::new(spec),
        }
    }

    pub(super) fn spec(&self) -> &PeriodSpec {
        self.periods.spec()
    }

    /// Takes prospect `cluster` out of both reports.
    pub(super) fn forget(&mut self, cluster: u32) {
        self.periods.forget(cluster);
        self.cohorts.forget(cluster);
    }
}

/// A prospect's part of the cells of one report.
pub(super) type Part<C> = Vec<(CellKey, C)>;

/// The cells of one report over one tracked spec, and each prospect's
/// part in them.
#[derive(Debug, Clone)]
pub(super) struct Following<C> {
    spec: PeriodSpec,
    calendar: Calendar,
    cells: HashMap<CellKey, C>,
    parts: HashMap<u32, Part<C>>,
}

impl<C: Mergeable> Following<C> {
    pub(super) fn new(spec: PeriodSpec) -> Self {
        Self {
            calendar: Calendar::bare(&spec),
            spec,
            cells: HashMap::new(),
            parts: HashMap::new(),
        }
    }

    pub(super) fn spec(&self) -> &PeriodSpec {
        &self.spec
    }

    /// Replaces prospect `cluster`'s part by `part`.
    pub(super) fn set_part(&mut self, cluster: u32, part: Part<C>) {
        self.forget(cluster);
        for (key, c) in &part {
            self.cells.entry(*key).or_default().add(c);
        }
        if !part.is_empty() {
            self.parts.insert(cluster, part);
        }
    }

    /// Takes prospect `cluster`'s part out of the cells.
    pub(super) fn forget(&mut self, cluster: u32) {
        let Some(old) = self.parts.remove(&cluster) else {
            return;
        };
        for (key, c) in &old {
            if let Some(cell) = self.cells.get_mut(key) {
                cell.subtract(c);
                if cell.is_empty() {
                    self.cells.remove(key);
                }
            }
        }
    }

    /// The cells by rep id (byte order) and period, `rep_id` naming a rep
    /// slot.
    fn sorted<'a>(&self, rep_id: impl Fn(u32) -> &'a str) -> Vec<(&'a str, PeriodKey, &C)> {
        let mut rows: Vec<(&str, PeriodKey, &C)> = self
            .cells
            .iter()
            .map(|(&(rep, period), cell)| (rep_id(rep), period, cell))
            .collect();
        rows.sort_unstable_by(|a, b| (a.0.as_bytes(), a.1).cmp(&(b.0.as_bytes(), b.1)));
        rows
    }
}

impl Following<Cell> {
    /// The part of one prospect whose events (in SPEC §5 order) are
    /// `events`: (time µs, rep slot, fact).
    pub(super) fn part_of<'a>(
        &self,
        events: impl Iterator<Item = (i64, u32, Fact<'a>)>,
    ) -> Part<Cell> {
        let mut part: Vec<(CellKey, Cell, [bool; 3])> = Vec::new();
        for (time_us, rep, fact) in events {
            let Some(period) = self.calendar.period(time_us) else {
                continue;
            };
            let key = (rep, period);
            let at = match part.iter().position(|(k, _, _)| *k == key) {
                Some(at) => at,
                None => {
                    part.push((key, Cell::default(), [false; 3]));
                    part.len() - 1
                }
            };
            let Some((_, cell, seen)) = part.get_mut(at) else {
                continue;
            };
            cell.events += 1;
            count(cell, seen, fact);
        }
        part.into_iter().map(|(k, c, _)| (k, c)).collect()
    }

    /// The period report: rows by rep id (byte order) and period;
    /// `currencies` holds the currency code of every accepted sale (in
    /// byte order: the indices of `PeriodCounts`' revenue, as a batch
    /// ledger numbers them).
    pub(super) fn report<'a>(
        &self,
        rep_id: impl Fn(u32) -> &'a str,
        currencies: &BTreeMap<String, u64>,
    ) -> PeriodReport {
        let index: HashMap<&str, u32> = currencies
            .keys()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i as u32))
            .collect();
        let rows = self
            .sorted(rep_id)
            .into_iter()
            .map(|(rep, period, cell)| {
                let mut counts = cell.counts.clone();
                counts.revenue_by_currency = cell
                    .revenue
                    .iter()
                    .filter_map(|(code, &(sum, _))| Some((*index.get(code.as_str())?, sum)))
                    .collect();
                PeriodRow {
                    rep_id: rep.to_owned(),
                    period: self.calendar.label(period),
                    period_start: self.calendar.period_start(period),
                    counts,
                    revenue: cell
                        .revenue
                        .iter()
                        .map(|(code, &(sum, _))| (code.clone(), sum))
                        .collect(),
                }
            })
            .collect();
        PeriodReport {
            scope: Scope::all(),
            periods: self.spec.clone(),
            rows,
        }
    }
}

impl Following<CohortCounts> {
    /// The part of one prospect whose engagements are `engagements` (rep
    /// slots): each counts in the cohort of its rep and start period.
    pub(super) fn part_of(&self, engagements: &[EngagementData]) -> Part<CohortCounts> {
        let mut part: Part<CohortCounts> = Vec::new();
        for g in engagements {
            let Some(period) = self.calendar.period(g.start_us) else {
                continue;
            };
            let key = (g.rep, period);
            let at = match part.iter().position(|(k, _)| *k == key) {
                Some(at) => at,
                None => {
                    part.push((key, CohortCounts::default()));
                    part.len() - 1
                }
            };
            if let Some((_, c)) = part.get_mut(at) {
                let _ = c.record_unsorted(g);
            }
        }
        for (_, c) in &mut part {
            c.sort_cycles();
        }
        part
    }

    /// The cohort report: rows by rep id (byte order) and period.
    pub(super) fn report<'a>(&self, rep_id: impl Fn(u32) -> &'a str) -> CohortReport {
        let rows = self
            .sorted(rep_id)
            .into_iter()
            .map(|(rep, period, counts)| CohortRow {
                rep_id: rep.to_owned(),
                cohort: self.calendar.label(period),
                cohort_start: self.calendar.period_start(period),
                counts: counts.clone(),
            })
            .collect();
        CohortReport {
            scope: Scope::all(),
            periods: self.spec.clone(),
            rows,
        }
    }
}

/// Counts one event into a prospect's cell; `seen` settles the prospect's
/// distinct counts (new, engaged, met) in the cell.
fn count(cell: &mut Cell, seen: &mut [bool; 3], fact: Fact<'_>) {
    match fact {
        Fact::Contact {
            class,
            channel,
            duration_s,
        } => {
            let first_new = class == ContactClass::New && !seen[0];
            let first_engaged = class.is_prospecting() && !seen[1];
            seen[0] |= class == ContactClass::New;
            seen[1] |= class.is_prospecting();
            cell.counts
                .count_contact(class, channel, duration_s, first_new, first_engaged);
        }
        Fact::Meeting(MeetingStatus::Held) => {
            cell.counts.meetings_held += 1;
            cell.counts.prospects_met += u64::from(!seen[2]);
            seen[2] = true;
        }
        Fact::Meeting(MeetingStatus::NoShow) => cell.counts.meetings_no_show += 1,
        Fact::Meeting(MeetingStatus::Cancelled) => cell.counts.meetings_cancelled += 1,
        Fact::Sale {
            amount_minor,
            currency,
        } => {
            cell.counts.sales += 1;
            if let Some(amount) = amount_minor.filter(|&a| a >= 0) {
                let e = cell.revenue.entry(currency.to_owned()).or_default();
                e.0 += i128::from(amount);
                e.1 += 1;
            }
        }
    }
}

/// The engagements of every prospect, kept for the survival curves, and
/// the times of all events (the default as-of instant is the latest).
#[derive(Debug, Clone, Default)]
pub(super) struct Survival {
    parts: HashMap<u32, Vec<EngagementData>>,
    event_times: BTreeMap<i64, u32>,
}

impl Survival {
    pub(super) fn set_part(&mut self, cluster: u32, engagements: Vec<EngagementData>) {
        if engagements.is_empty() {
            self.parts.remove(&cluster);
        } else {
            self.parts.insert(cluster, engagements);
        }
    }

    pub(super) fn forget(&mut self, cluster: u32) {
        self.parts.remove(&cluster);
    }

    /// Counts an event time in (`by` 1) or out (`by` -1).
    pub(super) fn count_time(&mut self, time_us: i64, by: i32) {
        let n = self.event_times.entry(time_us).or_default();
        *n = n.saturating_add_signed(by);
        if *n == 0 {
            self.event_times.remove(&time_us);
        }
    }

    /// The Kaplan–Meier curve of every engagement waiting for `milestone`,
    /// censored at `as_of` (default: the latest event time).
    pub(super) fn curve(
        &self,
        milestone: Milestone,
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    ) -> SurvivalCurve {
        let as_of = as_of.unwrap_or_else(|| {
            self.event_times
                .last_key_value()
                .map_or(chrono::DateTime::UNIX_EPOCH, |(&t, _)| from_micros(t))
        });
        curve_of(
            self.parts.values().flatten(),
            &Scope::all(),
            milestone,
            as_of,
        )
    }
}
