//! One shape for every report: an [`Aggregate`] is computed over a [`Part`]
//! of the prospects from one [`ReportInput`], partial aggregates of
//! disjoint parts [`merge`](Aggregate::merge), and the whole
//! [`finish`](Aggregate::finish)es into the report.

use std::ops::Range;

use chrono::{DateTime, Utc};

use crate::classify::Classified;
use crate::error::Result;
use crate::report::breakdown::BreakdownBy;
use crate::report::cohort::EngagementFilter;
use crate::report::scope::{Calendar, PeriodSpec, Scope};

/// What a report is computed from: a classified ledger, what the report
/// covers ([`Scope`]) and its periods ([`PeriodSpec`], laid out as a
/// [`Calendar`]), checked once.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use sales_metrics::report::{Aggregate, PeriodAggregate, PeriodSpec, ReportInput, Scope};
/// use sales_metrics::{classify, Channel, ClassifyConfig, Contact, LedgerBuilder, ProspectRecord, Rep};
///
/// let t = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
/// let mut b = LedgerBuilder::new();
/// b.add_rep(Rep::new("ana"));
/// for p in 0..4 {
///     b.add_prospect(ProspectRecord::new(format!("p{p}")));
///     b.add_contact(Contact::new(format!("c{p}"), "ana", format!("p{p}"), t + TimeDelta::days(p), Channel::Phone));
/// }
/// let ledger = b.build()?;
/// let classified = classify(&ledger, &ClassifyConfig::default());
/// let (scope, periods) = (Scope::all(), PeriodSpec::monthly());
/// let input = ReportInput::new(&classified, &scope, &periods)?;
/// // Each part could be computed elsewhere; merged, they make the whole.
/// let mut total = PeriodAggregate::default();
/// for part in input.parts(3) {
///     total.merge(PeriodAggregate::of(&input, &part));
/// }
/// let report = total.finish(&input);
/// assert_eq!(report, input.run::<PeriodAggregate>());
/// assert_eq!(report.rows[0].counts.new_prospects, 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ReportInput<'a> {
    classified: &'a Classified<'a>,
    scope: &'a Scope,
    periods: &'a PeriodSpec,
    calendar: Calendar,
    filter: EngagementFilter<'a>,
    by: BreakdownBy,
}

impl std::fmt::Debug for ReportInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportInput")
            .field("scope", self.scope)
            .field("periods", self.periods)
            .field("by", &self.by)
            .finish_non_exhaustive()
    }
}

/// A part of a ledger's prospects: the unit of parallel (or distributed)
/// work. Get them from [`ReportInput::parts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    prospects: Range<usize>,
}

impl Part {
    /// The prospect indices of the part.
    pub(crate) fn prospects(&self) -> Range<usize> {
        self.prospects.clone()
    }
}

impl<'a> ReportInput<'a> {
    /// The input of reports over `periods` covering every day of the
    /// ledger's data.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] when the scope names an unknown rep
    /// or team, or custom periods overlap.
    pub fn new(
        classified: &'a Classified<'a>,
        scope: &'a Scope,
        periods: &'a PeriodSpec,
    ) -> Result<Self> {
        let calendar = Calendar::for_ledger(periods, classified.ledger())?;
        Self::with_calendar(classified, scope, periods, calendar)
    }

    /// The input of reports over `periods` whose calendar covers `from` to
    /// `to` (events outside it are still placed in their periods, more
    /// slowly).
    ///
    /// # Errors
    /// As [`ReportInput::new`], and as [`Calendar::new`].
    pub fn between(
        classified: &'a Classified<'a>,
        scope: &'a Scope,
        periods: &'a PeriodSpec,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Self> {
        let calendar = Calendar::new(periods, from, to)?;
        Self::with_calendar(classified, scope, periods, calendar)
    }

    fn with_calendar(
        classified: &'a Classified<'a>,
        scope: &'a Scope,
        periods: &'a PeriodSpec,
        calendar: Calendar,
    ) -> Result<Self> {
        Ok(Self {
            classified,
            scope,
            periods,
            calendar,
            filter: EngagementFilter::new(classified.ledger(), scope)?,
            by: BreakdownBy::Channel,
        })
    }

    /// What breakdowns split by (channel unless set).
    pub fn breakdown_by(mut self, by: BreakdownBy) -> Self {
        self.by = by;
        self
    }

    /// The classified ledger.
    pub fn classified(&self) -> &'a Classified<'a> {
        self.classified
    }

    /// What the reports cover.
    pub fn scope(&self) -> &'a Scope {
        self.scope
    }

    /// The periods.
    pub fn periods(&self) -> &'a PeriodSpec {
        self.periods
    }

    /// The periods' calendar.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// What breakdowns split by.
    pub fn by(&self) -> BreakdownBy {
        self.by
    }

    /// The scope resolved against the ledger.
    pub(crate) fn filter(&self) -> &EngagementFilter<'a> {
        &self.filter
    }

    /// About `n` parts (at least one) holding about equal numbers of
    /// events, covering every prospect once.
    pub fn parts(&self, n: usize) -> Vec<Part> {
        let ledger = self.classified.ledger();
        crate::classify::chunk_bounds_into(
            ledger.event_offsets(),
            ledger.prospect_count(),
            ledger.events().len(),
            n.max(1),
        )
        .into_iter()
        .map(|(p0, p1)| Part { prospects: p0..p1 })
        .collect()
    }

    /// Computes `A` over every prospect (on all cores with the `parallel`
    /// feature) and finishes it.
    pub fn run<A: Aggregate>(&self) -> A::Report {
        let ledger = self.classified.ledger();
        let parts: Vec<Part> = crate::classify::chunk_bounds_per_thread(
            ledger.event_offsets(),
            ledger.prospect_count(),
            ledger.events().len(),
            A::PARTS_PER_THREAD,
        )
        .into_iter()
        .map(|(p0, p1)| Part { prospects: p0..p1 })
        .collect();
        let whole = crate::par::map_reduce(
            &parts,
            |part| A::of(self, part),
            A::default,
            |mut a, b| {
                a.merge(b);
                a
            },
        );
        whole.finish(self)
    }
}

/// A report's mergeable partial result: computed per [`Part`] of the
/// prospects, merged over disjoint parts (associative and commutative,
/// [`Default`] the identity), finished into the report. Implemented by
/// [`PeriodAggregate`](crate::report::PeriodAggregate),
/// [`CohortAggregate`](crate::report::CohortAggregate) and
/// [`BreakdownAggregate`](crate::report::BreakdownAggregate); see
/// [`ReportInput`] for an example.
pub trait Aggregate: Default + Send + Sized {
    /// The finished report.
    type Report;

    /// Parts per thread that [`ReportInput::run`] splits the work into.
    const PARTS_PER_THREAD: usize = 8;

    /// The aggregate of the prospects of `part`.
    fn of(input: &ReportInput<'_>, part: &Part) -> Self;

    /// Adds `other` (over prospects disjoint from `self`'s) into `self`.
    fn merge(&mut self, other: Self);

    /// The report: rows sorted as the report documents.
    fn finish(self, input: &ReportInput<'_>) -> Self::Report;
}
