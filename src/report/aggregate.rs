//! One shape for every report: an [`Aggregate`] is computed over the
//! prospects of one [`ReportInput`] (or of one of its
//! [`parts`](ReportInput::parts)), partial aggregates of disjoint parts
//! [`merge`](Aggregate::merge), and the whole
//! [`finish`](Aggregate::finish)es into the report.

use std::ops::Range;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::classify::Classified;
use crate::error::Result;
use crate::report::breakdown::BreakdownBy;
use crate::report::cohort::EngagementFilter;
use crate::report::scope::{Calendar, PeriodSpec, Scope};

/// What a report is computed from: a classified ledger, what the report
/// covers ([`Scope`]) and its periods ([`PeriodSpec`]), checked once, with
/// the local days of the periods laid out once for all the reports run
/// from it. An input covers every prospect of the ledger, or one part of
/// them ([`ReportInput::parts`]): the unit of parallel or distributed work.
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
///     total.merge(PeriodAggregate::of(&part));
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
    /// Shared by the parts of one input.
    calendar: Arc<Calendar>,
    filter: Arc<EngagementFilter<'a>>,
    by: BreakdownBy,
    /// The prospect indices covered (all, or a part).
    prospects: Range<usize>,
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

impl<'a> ReportInput<'a> {
    /// The input of reports over `periods` covering every day of the
    /// ledger's data.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] when the scope names an unknown rep
    /// or team.
    pub fn new(
        classified: &'a Classified<'a>,
        scope: &'a Scope,
        periods: &'a PeriodSpec,
    ) -> Result<Self> {
        let calendar = Calendar::for_ledger(periods, classified.ledger());
        Self::with_calendar(classified, scope, periods, calendar)
    }

    /// The input of reports over `periods` whose calendar covers `from` to
    /// `to` (events outside it are still placed in their periods, more
    /// slowly).
    ///
    /// # Errors
    /// As [`ReportInput::new`].
    pub fn between(
        classified: &'a Classified<'a>,
        scope: &'a Scope,
        periods: &'a PeriodSpec,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Self> {
        let calendar = Calendar::new(periods, from, to);
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
            calendar: Arc::new(calendar),
            filter: Arc::new(EngagementFilter::new(classified.ledger(), scope)?),
            by: BreakdownBy::Channel,
            prospects: 0..classified.ledger().prospect_count(),
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
    pub(crate) fn calendar(&self) -> &Calendar {
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

    /// The prospect indices covered.
    pub(crate) fn prospects(&self) -> Range<usize> {
        self.prospects.clone()
    }

    /// This input split into about `n` parts (at least one) holding about
    /// equal numbers of events, covering each of its prospects once. Each
    /// part is an input of its own, restricted to its prospects: compute an
    /// [`Aggregate`] of each (anywhere), [`merge`](Aggregate::merge) them
    /// and [`finish`](Aggregate::finish) with any of them, or with this
    /// input (finishing reads only the shared scope and periods).
    pub fn parts(&self, n: usize) -> Vec<ReportInput<'a>> {
        self.split(|offsets, prospects, events| {
            crate::classify::chunk_bounds_into(offsets, prospects, events, n.max(1))
        })
    }

    /// This input restricted to the prospect ranges `bounds` returns for
    /// (event offsets, prospect count, event count) of its own prospects,
    /// counted from its first prospect.
    // invariant: a ledger has one event offset per prospect and one more,
    // and an input's prospects lie within the ledger's.
    #[allow(clippy::indexing_slicing)]
    fn split(
        &self,
        bounds: impl FnOnce(&[u32], usize, usize) -> Vec<(usize, usize)>,
    ) -> Vec<ReportInput<'a>> {
        let offsets = self.classified.ledger().event_offsets();
        let Range { start, end } = self.prospects.clone();
        debug_assert!(start <= end && end < offsets.len());
        let own = &offsets[start..=end];
        let base = own[0];
        let events = (own[end - start] - base) as usize;
        let rebased: Vec<u32>;
        let own = if base == 0 {
            own
        } else {
            rebased = own.iter().map(|&o| o - base).collect();
            &rebased
        };
        bounds(own, end - start, events)
            .into_iter()
            .map(|(p0, p1)| ReportInput {
                calendar: Arc::clone(&self.calendar),
                filter: Arc::clone(&self.filter),
                prospects: start + p0..start + p1,
                ..*self
            })
            .collect()
    }

    /// Computes `A` over the input's prospects (on all cores with the
    /// `parallel` feature) and finishes it.
    pub fn run<A: Aggregate>(&self) -> A::Report {
        let parts = self.split(|offsets, prospects, events| {
            crate::classify::chunk_bounds_per_thread(
                offsets,
                prospects,
                events,
                A::PARTS_PER_THREAD,
            )
        });
        let whole = crate::par::map_reduce(&parts, A::of, A::default, |mut a, b| {
            a.merge(b);
            a
        });
        whole.finish(self)
    }
}

/// A report's mergeable partial result: computed over the prospects of a
/// [`ReportInput`] (the whole or one of its [`parts`](ReportInput::parts)),
/// merged over disjoint parts (associative and commutative, [`Default`] the
/// identity), finished into the report. Implemented by
/// [`PeriodAggregate`](crate::report::PeriodAggregate),
/// [`CohortAggregate`](crate::report::CohortAggregate) and
/// [`BreakdownAggregate`](crate::report::BreakdownAggregate); see
/// [`ReportInput`] for an example.
pub trait Aggregate: Default + Send + Sized {
    /// The finished report.
    type Report;

    /// Parts per thread that [`ReportInput::run`] splits the work into.
    const PARTS_PER_THREAD: usize = 8;

    /// The aggregate of the prospects of `input` (all of the ledger's, or
    /// those of one part).
    fn of(input: &ReportInput<'_>) -> Self;

    /// Adds `other` (over prospects disjoint from `self`'s) into `self`.
    fn merge(&mut self, other: Self);

    /// The report: rows sorted as the report documents.
    fn finish(self, input: &ReportInput<'_>) -> Self::Report;
}
