//! The cohort report (SPEC §7): what became of the engagements a rep
//! opened in a period — how many met, how many were won, after how many
//! touches and how many days — with the ones still open counted honestly.
//!
//! Period ratios (SPEC §6) relate this month's sales to this month's
//! meetings, which mixes different prospects. A cohort follows the
//! prospects themselves: the cohort of a period is the set of engagements
//! that *start* in it (by the local time of the starting contact, in the
//! report's zone), attributed to the rep of the starting contact; `met` and
//! `won` count whoever held the meeting or closed the sale, whenever that
//! happened.
//!
//! Scope: a rep or team filter applies to the cohort's rep; a channel scope
//! keeps engagements whose *starting* contact used that channel; a source
//! scope keeps engagements of prospects from that source.
//!
//! The state behind a row, [`CohortCounts`], holds only counts and the
//! sorted list of cycle lengths of the won engagements, so partial
//! aggregates over disjoint sets of prospects merge exactly
//! ([`CohortAggregate::merge`]): associative, commutative, with
//! [`Default`] as identity. The parallel path (feature `parallel`) splits
//! prospects into chunks and merges.
//!
//! # Example
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use sales_metrics::{classify, ClassifyConfig};
//! use sales_metrics::report::{PeriodSpec, Scope};
//! use sales_metrics::{Channel, Contact, LedgerBuilder, Meeting, ProspectRecord, Rep, Sale};
//!
//! let t = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
//! let mut b = LedgerBuilder::new();
//! b.add_rep(Rep::new("ana"));
//! b.add_prospect(ProspectRecord::new("p1"));
//! b.add_prospect(ProspectRecord::new("p2"));
//! // p1: opened in March, met, won in April (still March's cohort).
//! b.add_contact(Contact::new("c1", "ana", "p1", t, Channel::Phone));
//! b.add_meeting(Meeting::new("m1", "ana", "p1", t + Duration::days(10)));
//! b.add_sale(Sale::new("s1", "ana", "p1", t + Duration::days(36)));
//! // p2: opened in March, still open.
//! b.add_contact(Contact::new("c2", "ana", "p2", t, Channel::Email));
//! let ledger = b.build()?;
//! let classified = classify(&ledger, &ClassifyConfig::default());
//! let report = classified.cohort_report(&Scope::all(), &PeriodSpec::monthly())?;
//! let row = &report.rows[0];
//! assert_eq!((row.rep_id.as_str(), row.cohort.as_str()), ("ana", "2026-03"));
//! let c = &row.counts;
//! assert_eq!((c.engagements, c.met, c.won, c.open), (2, 1, 1, 1));
//! assert_eq!(c.win_rate().to_string(), "50.0 % (1/2)");
//! assert_eq!(c.cycle_days_median(), Some(36.0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::ops::Range;

use chrono::{NaiveDate, TimeDelta};
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

use crate::classify::{Classified, EngagementData, EngagementEnd};
use crate::error::Result;
use crate::ledger::Ledger;
use crate::ratio::Ratio;
use crate::report::aggregate::{Aggregate, ReportInput};
use crate::report::merge_cells;
use crate::report::period::ScopeFilter;
use crate::report::scope::{Calendar, PeriodKey, PeriodSpec, Scope};
use crate::table::{Cell, Table};

/// Microseconds in a day: cycle days are `(closed_at − start) / 86400 s`.
pub(crate) const MICROS_PER_DAY: f64 = 86_400_000_000.0;

/// Days (decimal) of a span in microseconds.
pub(crate) fn days(span_us: i64) -> f64 {
    span_us as f64 / MICROS_PER_DAY
}

/// The `p`-quantile (`p` in `[0, 1]`) of ascending `sorted` values by linear
/// interpolation between the closest ranks — the default of numpy, pandas
/// and common spreadsheets: with `h = (n − 1)p`, the value is
/// `x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋ + 1] − x[⌊h⌋])`. `None` for no values or a
/// `p` outside `[0, 1]`.
pub(crate) fn quantile_linear(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor();
    let frac = h - lo;
    let i = lo as usize;
    let a = *sorted.get(i)?;
    if frac == 0.0 {
        return Some(a);
    }
    let b = sorted.get(i + 1).copied().unwrap_or(a);
    Some(a + frac * (b - a))
}

/// Merges ascending `b` into ascending `a`, keeping `a` ascending.
pub(crate) fn merge_sorted<T: Ord + Copy>(a: &mut Vec<T>, b: &[T]) {
    if b.is_empty() {
        return;
    }
    if a.last()
        .is_none_or(|last| b.first().is_some_and(|f| last <= f))
    {
        a.extend_from_slice(b);
        return;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut x = a.iter().copied().peekable();
    let mut y = b.iter().copied().peekable();
    loop {
        match (x.peek(), y.peek()) {
            (Some(&u), Some(&v)) => {
                if u <= v {
                    out.push(u);
                    x.next();
                } else {
                    out.push(v);
                    y.next();
                }
            }
            (Some(_), None) => {
                out.extend(x);
                break;
            }
            (None, _) => {
                out.extend(y);
                break;
            }
        }
    }
    *a = out;
}

/// Outcomes of one cohort (rep, period): the mergeable state of the cohort
/// report. Rates and percentiles are computed from these only when asked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CohortCounts {
    /// Engagements started.
    pub engagements: u64,
    /// Engagements holding at least one held meeting.
    pub met: u64,
    /// Engagements holding the prospect's first sale.
    pub won: u64,
    /// Engagements both met and won (the numerator of `met_win_rate`).
    pub won_and_met: u64,
    /// Engagements still open at the end of the data (censored).
    pub open: u64,
    /// Engagements superseded by a reactivation without a win.
    pub lapsed: u64,
    /// Per-rep newness only: engagements whose prospect bought inside
    /// another rep's engagement.
    pub lost_to_other: u64,
    /// Contacts inside all the engagements.
    pub contacts: u64,
    /// Contacts inside the won engagements (numerator of `touches_to_win`).
    pub contacts_in_won: u64,
    /// Start-to-sale spans of the won engagements in microseconds, ascending
    /// (one per won engagement); kept whole so that percentiles merge
    /// exactly.
    pub(crate) cycle_us: Vec<i64>,
}

impl CohortCounts {
    /// Adds one engagement, appending its cycle span (if won) unsorted;
    /// the caller sorts `cycle_us` afterwards.
    pub(crate) fn record_unsorted(&mut self, engagement: &EngagementData) -> Option<i64> {
        self.engagements += 1;
        self.contacts += u64::from(engagement.contacts);
        let met = engagement.met();
        self.met += u64::from(met);
        match engagement.end {
            EngagementEnd::Open => self.open += 1,
            EngagementEnd::Lapsed => self.lapsed += 1,
            EngagementEnd::LostToOther => self.lost_to_other += 1,
            EngagementEnd::Won => {}
        }
        if engagement.won() {
            self.won += 1;
            self.won_and_met += u64::from(met);
            self.contacts_in_won += u64::from(engagement.contacts);
            let span = engagement
                .won_us
                .unwrap_or(engagement.start_us)
                .saturating_sub(engagement.start_us);
            self.cycle_us.push(span);
            return Some(span);
        }
        None
    }

    /// Adds another cohort's counts (over disjoint engagements).
    pub fn merge(&mut self, other: &CohortCounts) {
        self.engagements += other.engagements;
        self.met += other.met;
        self.won += other.won;
        self.won_and_met += other.won_and_met;
        self.open += other.open;
        self.lapsed += other.lapsed;
        self.lost_to_other += other.lost_to_other;
        self.contacts += other.contacts;
        self.contacts_in_won += other.contacts_in_won;
        merge_sorted(&mut self.cycle_us, &other.cycle_us);
    }

    /// Sorts the cycle spans recorded with `record_unsorted`.
    pub(crate) fn sort_cycles(&mut self) {
        self.cycle_us.sort_unstable();
    }

    /// Takes back counts added with [`CohortCounts::merge`] (a live
    /// ledger's prospect that changed).
    pub(crate) fn subtract(&mut self, other: &CohortCounts) {
        self.engagements -= other.engagements;
        self.met -= other.met;
        self.won -= other.won;
        self.won_and_met -= other.won_and_met;
        self.open -= other.open;
        self.lapsed -= other.lapsed;
        self.lost_to_other -= other.lost_to_other;
        self.contacts -= other.contacts;
        self.contacts_in_won -= other.contacts_in_won;
        for span in &other.cycle_us {
            if let Ok(i) = self.cycle_us.binary_search(span) {
                self.cycle_us.remove(i);
            }
        }
    }

    /// Engagements that ended without a win (lapsed or lost to another
    /// rep). `won + open + ended_without_win() == engagements`.
    pub fn ended_without_win(&self) -> u64 {
        self.lapsed + self.lost_to_other
    }

    /// met ÷ engagements.
    pub fn meeting_rate(&self) -> Ratio {
        Ratio::proportion(self.met, self.engagements)
    }

    /// won ÷ engagements. Open engagements count in the denominator, so a
    /// young cohort's win rate is still rising; see
    /// [`Classified::time_to_win`] for the censoring-aware view.
    pub fn win_rate(&self) -> Ratio {
        Ratio::proportion(self.won, self.engagements)
    }

    /// (won and met) ÷ met — the honest "meeting close rate" by prospect.
    pub fn met_win_rate(&self) -> Ratio {
        Ratio::proportion(self.won_and_met, self.met)
    }

    /// Contacts inside won engagements ÷ won (a quotient, not a share).
    pub fn touches_to_win(&self) -> Ratio {
        Ratio::quotient(self.contacts_in_won, self.won)
    }

    /// Cycle days of the won engagements, ascending:
    /// `(closed_at − start) / 86400 s`.
    pub fn cycle_days(&self) -> Vec<f64> {
        self.cycle_us.iter().map(|&us| days(us)).collect()
    }

    /// Start-to-sale spans of the won engagements, ascending (one per won
    /// engagement).
    pub fn cycles(&self) -> impl ExactSizeIterator<Item = TimeDelta> + '_ {
        self.cycle_us.iter().map(|&us| TimeDelta::microseconds(us))
    }

    /// These counts with the start-to-sale spans of their won engagements
    /// (one per won engagement, in any order), for callers that count
    /// engagements themselves (a query engine's aggregate, a warehouse).
    ///
    /// ```
    /// use chrono::TimeDelta;
    /// use sales_metrics::report::CohortCounts;
    ///
    /// let mut counts = CohortCounts::default();
    /// (counts.engagements, counts.won) = (3, 2);
    /// let counts = counts.with_cycles([TimeDelta::days(30), TimeDelta::days(10)]);
    /// assert_eq!(counts.cycle_days(), [10.0, 30.0]);
    /// assert_eq!(counts.cycle_days_median(), Some(20.0));
    /// ```
    pub fn with_cycles(mut self, cycles: impl IntoIterator<Item = TimeDelta>) -> Self {
        self.cycle_us = cycles
            .into_iter()
            .map(|d| d.num_microseconds().unwrap_or(i64::MAX))
            .collect();
        self.cycle_us.sort_unstable();
        self
    }

    /// The `p`-quantile of cycle days (linear interpolation between the
    /// closest ranks, as numpy and spreadsheets do); `None` when
    /// nothing was won.
    pub fn cycle_days_quantile(&self, p: f64) -> Option<f64> {
        quantile_linear(&self.cycle_days(), p)
    }

    /// Median cycle days.
    pub fn cycle_days_median(&self) -> Option<f64> {
        self.cycle_days_quantile(0.5)
    }

    /// 25th percentile of cycle days.
    pub fn cycle_days_p25(&self) -> Option<f64> {
        self.cycle_days_quantile(0.25)
    }

    /// 75th percentile of cycle days.
    pub fn cycle_days_p75(&self) -> Option<f64> {
        self.cycle_days_quantile(0.75)
    }

    /// 90th percentile of cycle days.
    pub fn cycle_days_p90(&self) -> Option<f64> {
        self.cycle_days_quantile(0.9)
    }
}

/// Partial cohort report over a set of prospects, keyed by (cohort rep
/// index, period key of the start). Merging partial aggregates over
/// disjoint prospect sets is associative and commutative, with [`Default`]
/// as identity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CohortAggregate {
    cells: HashMap<(u32, PeriodKey), CohortCounts>,
}

impl CohortAggregate {
    /// Number of (rep, period) cohorts.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether there are no cohorts.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

/// Which engagements a scope keeps: rep filter on the engagement's (cohort)
/// rep, source on its prospect, channel on its starting contact.
pub(crate) struct EngagementFilter<'a> {
    inner: ScopeFilter<'a>,
    scope: &'a Scope,
}

impl<'a> EngagementFilter<'a> {
    pub(crate) fn new(ledger: &Ledger, scope: &'a Scope) -> Result<Self> {
        Ok(Self {
            inner: ScopeFilter::new(ledger, scope)?,
            scope,
        })
    }

    /// The event-level filter (contacts by their own rep and channel).
    pub(crate) fn events(&self) -> &ScopeFilter<'a> {
        &self.inner
    }

    pub(crate) fn keep(&self, ledger: &Ledger, g: &EngagementData) -> bool {
        self.inner.rep(g.rep)
            && self.inner.prospect(ledger, g.prospect)
            && self.scope.channel.is_none_or(|want| {
                ledger
                    .contacts()
                    .get(g.start_contact as usize)
                    .is_some_and(|c| c.channel == want)
            })
    }
}

/// The engagements of prospects `prospects` (engagements are grouped by
/// prospect in prospect order).
pub(crate) fn engagements_of<'c>(
    classified: &'c Classified,
    prospects: &Range<usize>,
) -> &'c [EngagementData] {
    let all = classified.engagement_rows();
    let a = all.partition_point(|g| (g.prospect as usize) < prospects.start);
    let b = all.partition_point(|g| (g.prospect as usize) < prospects.end);
    all.get(a..b.max(a)).unwrap_or(&[])
}

fn aggregate_range(
    ledger: &Ledger,
    classified: &Classified,
    calendar: &Calendar,
    filter: &EngagementFilter<'_>,
    prospects: Range<usize>,
) -> CohortAggregate {
    let mut agg = CohortAggregate::default();
    for g in engagements_of(classified, &prospects) {
        if !filter.keep(ledger, g) {
            continue;
        }
        if let Some(period) = calendar.period(g.start_us) {
            let _ = agg
                .cells
                .entry((g.rep, period))
                .or_default()
                .record_unsorted(g);
        }
    }
    // One sort per cell rather than a sorted insert per won engagement.
    for c in agg.cells.values_mut() {
        c.cycle_us.sort_unstable();
    }
    agg
}

impl Aggregate for CohortAggregate {
    type Report = CohortReport;

    fn of(input: &ReportInput<'_>) -> Self {
        let classified = input.classified();
        aggregate_range(
            classified.ledger(),
            classified,
            input.calendar(),
            input.filter(),
            input.prospects(),
        )
    }

    fn merge(&mut self, other: Self) {
        merge_cells(&mut self.cells, other.cells, CohortCounts::merge);
    }

    fn finish(self, input: &ReportInput<'_>) -> CohortReport {
        let ledger = input.classified().ledger();
        let calendar = input.calendar();
        let mut cells: Vec<((u32, PeriodKey), CohortCounts)> = self.cells.into_iter().collect();
        cells.sort_unstable_by_key(|(k, _)| *k);
        let rows = cells
            .into_iter()
            .map(|((rep, period), counts)| CohortRow {
                rep_id: ledger.rep_id(rep).to_owned(),
                cohort: calendar.label(period),
                cohort_start: calendar.period_start(period),
                counts,
            })
            .collect();
        CohortReport {
            scope: input.scope().clone(),
            periods: input.periods().clone(),
            rows,
        }
    }
}

/// One row of the cohort report: the engagements a rep started in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortRow {
    /// The rep of the starting contacts (`*` in totals).
    pub rep_id: String,
    /// The period label of the starts (`2026-03`, `2026-W10`, …).
    pub cohort: String,
    /// First local day of the period.
    pub cohort_start: Option<NaiveDate>,
    /// The outcomes.
    pub counts: CohortCounts,
}

/// The cohort report: one row per (rep, period) with at least one
/// engagement started in scope, sorted by rep id (byte order) and period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortReport {
    /// What it covers.
    pub scope: Scope,
    /// Periods and zone.
    pub periods: PeriodSpec,
    /// The rows.
    pub rows: Vec<CohortRow>,
}

impl Classified<'_> {
    /// Computes the cohort report (SPEC §7) of `scope` over `periods`
    /// (`ReportInput::new(self, scope, periods)?.run::<CohortAggregate>()`).
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] when the scope names an unknown rep or
    /// team.
    pub fn cohort_report(&self, scope: &Scope, periods: &PeriodSpec) -> Result<CohortReport> {
        Ok(ReportInput::new(self, scope, periods)?.run::<CohortAggregate>())
    }
}

impl CohortReport {
    /// `cohort_report.csv` columns (SPEC §11).
    pub const COLUMNS: [&'static str; 11] = [
        "rep_id",
        "cohort",
        "engagements",
        "met",
        "won",
        "meeting_rate",
        "win_rate",
        "met_win_rate",
        "touches_to_win",
        "cycle_days_median",
        "cycle_days_p90",
    ];

    /// Columns of [`CohortReport::extended_table`]: the SPEC columns, then
    /// `cycle_days_p25`, `cycle_days_p75`, `won_and_met`, `open`,
    /// `ended_without_win`.
    pub const EXTENDED_COLUMNS: [&'static str; 16] = [
        "rep_id",
        "cohort",
        "engagements",
        "met",
        "won",
        "meeting_rate",
        "win_rate",
        "met_win_rate",
        "touches_to_win",
        "cycle_days_median",
        "cycle_days_p90",
        "cycle_days_p25",
        "cycle_days_p75",
        "won_and_met",
        "open",
        "ended_without_win",
    ];

    fn spec_cells(r: &CohortRow) -> Vec<Cell> {
        let c = &r.counts;
        let days = c.cycle_days();
        vec![
            r.rep_id.as_str().into(),
            r.cohort.as_str().into(),
            c.engagements.into(),
            c.met.into(),
            c.won.into(),
            c.meeting_rate().into(),
            c.win_rate().into(),
            c.met_win_rate().into(),
            c.touches_to_win().into(),
            Cell::float(quantile_linear(&days, 0.5)),
            Cell::float(quantile_linear(&days, 0.9)),
        ]
    }

    /// The SPEC §11 `cohort_report` table (exactly its columns).
    pub fn table(&self) -> Table {
        let mut t = Table::new(&Self::COLUMNS);
        for r in &self.rows {
            t.push(Self::spec_cells(r));
        }
        t
    }

    /// The SPEC table plus quartiles of cycle days and the fate of the
    /// engagements ([`CohortReport::EXTENDED_COLUMNS`]).
    pub fn extended_table(&self) -> Table {
        let mut t = Table::new(&Self::EXTENDED_COLUMNS);
        for r in &self.rows {
            let c = &r.counts;
            let mut row = Self::spec_cells(r);
            row.extend([
                Cell::float(c.cycle_days_p25()),
                Cell::float(c.cycle_days_p75()),
                c.won_and_met.into(),
                c.open.into(),
                c.ended_without_win().into(),
            ]);
            t.push(row);
        }
        t
    }

    /// What the report covers, in words: `Cohort report (all reps;
    /// engagements by start month in UTC)`.
    pub fn caption(&self) -> String {
        format!(
            "Cohort report ({}; engagements by start {} in {})",
            self.scope, self.periods.granularity, self.periods.time_zone
        )
    }

    /// The report as an HTML table with a caption (the columns of
    /// [`CohortReport::extended_table`]): rates as percentages with their
    /// counts below and the 95 % interval on hover.
    pub fn to_html(&self) -> String {
        self.extended_table().to_html_captioned(&self.caption())
    }

    /// Renders the report as a table in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        crate::table::evcxr_show(
            &self
                .extended_table()
                .html(Some(&self.caption()), Some(Table::NOTEBOOK_ROWS)),
            &self.to_string(),
        );
    }

    /// Merges every rep's cohort of each period into one row per period
    /// (`rep_id` "*"), in period order.
    pub fn totals_by_cohort(&self) -> Vec<CohortRow> {
        let mut by_period: std::collections::BTreeMap<(Option<NaiveDate>, String), CohortRow> =
            std::collections::BTreeMap::new();
        for r in &self.rows {
            by_period
                .entry((r.cohort_start, r.cohort.clone()))
                .or_insert_with(|| CohortRow {
                    rep_id: "*".to_owned(),
                    cohort: r.cohort.clone(),
                    cohort_start: r.cohort_start,
                    counts: CohortCounts::default(),
                })
                .counts
                .merge(&r.counts);
        }
        by_period.into_values().collect()
    }

    /// Every row merged into one (`rep_id` "*", `cohort` "*").
    pub fn total(&self) -> CohortRow {
        let mut counts = CohortCounts::default();
        for r in &self.rows {
            counts.merge(&r.counts);
        }
        CohortRow {
            rep_id: "*".to_owned(),
            cohort: "*".to_owned(),
            cohort_start: None,
            counts,
        }
    }
}

fn opt_days(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |d| format!("{d:.1}"))
}

fn percent(r: Ratio) -> String {
    r.percent()
        .map_or_else(|| "–".to_owned(), |p| format!("{p:.1} %"))
}

impl fmt::Display for CohortRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        write!(
            f,
            "{:<10} {:<10} {:>6} {:>5} {:>5} {:>5} {:>8} {:>8} {:>8} {:>7} {:>7} {:>7} {:>7}",
            self.rep_id,
            self.cohort,
            c.engagements,
            c.met,
            c.won,
            c.open,
            percent(c.meeting_rate()),
            percent(c.win_rate()),
            percent(c.met_win_rate()),
            c.touches_to_win()
                .value()
                .map_or_else(|| "–".to_owned(), |v| format!("{v:.1}")),
            opt_days(c.cycle_days_p25()),
            opt_days(c.cycle_days_median()),
            opt_days(c.cycle_days_p90()),
        )
    }
}

impl fmt::Display for CohortReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.caption())?;
        writeln!(
            f,
            "{:<10} {:<10} {:>6} {:>5} {:>5} {:>5} {:>8} {:>8} {:>8} {:>7} {:>7} {:>7} {:>7}",
            "rep",
            "cohort",
            "engag.",
            "met",
            "won",
            "open",
            "meet %",
            "win %",
            "met→win",
            "touches",
            "d p25",
            "d med",
            "d p90"
        )?;
        for r in &self.rows {
            writeln!(f, "{r}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy_linear() {
        // numpy.percentile([1, 2, 3, 4, 10], [25, 50, 75, 90]) =
        // [2, 3, 4, 7.6].
        let x = [1.0, 2.0, 3.0, 4.0, 10.0];
        let got: Vec<_> = [0.25, 0.5, 0.75, 0.9]
            .iter()
            .filter_map(|&p| quantile_linear(&x, p))
            .collect();
        assert_eq!(got.len(), 4);
        for (g, w) in got.iter().zip([2.0, 3.0, 4.0, 7.6]) {
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
        assert_eq!(quantile_linear(&[7.0], 0.9), Some(7.0));
        assert_eq!(quantile_linear(&x, 1.0), Some(10.0));
        assert_eq!(quantile_linear(&x, 0.0), Some(1.0));
        assert_eq!(quantile_linear(&x, 1.5), None);
    }

    #[test]
    fn record_keeps_cycles_sorted() {
        let won = |start: i64, won: i64| EngagementData {
            prospect: 0,
            rep: 0,
            start_contact: 0,
            start_us: start,
            reactivation: false,
            contacts: 2,
            meetings_held: 0,
            first_meeting_us: None,
            won_sale: Some(0),
            won_us: Some(won),
            end: EngagementEnd::Won,
            end_us: Some(won),
        };
        let mut c = CohortCounts::default();
        for (s, w) in [(0, 30), (5, 15), (0, 20)] {
            c.record_unsorted(&won(s, w));
        }
        c.cycle_us.sort_unstable();
        assert_eq!(c.cycle_us, [10, 20, 30]);
        assert_eq!((c.won, c.contacts_in_won, c.met), (3, 6, 0));
        assert_eq!(c.touches_to_win().value(), Some(2.0));
    }

    #[test]
    fn quantiles_interpolate_between_ranks() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_linear(&x, 0.5), Some(2.5));
        assert_eq!(quantile_linear(&x, 0.9), Some(3.7));
        assert_eq!(quantile_linear(&[], 0.5), None);
    }

    #[test]
    fn merge_sorted_interleaves() {
        let mut a = vec![1, 4, 9];
        merge_sorted(&mut a, &[2, 4, 10]);
        assert_eq!(a, [1, 2, 4, 4, 9, 10]);
        let mut e: Vec<i64> = Vec::new();
        merge_sorted(&mut e, &[3]);
        assert_eq!(e, [3]);
        merge_sorted(&mut e, &[5]);
        assert_eq!(e, [3, 5]);
    }
}
