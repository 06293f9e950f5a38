//! Reports over a classified ledger: what a report covers ([`scope`]), the
//! period report ([`period`], SPEC §6), the cohort report ([`cohort`],
//! SPEC §7), survival of engagements ([`survival`]), breakdowns by channel
//! and source ([`mod@breakdown`]), the ledger's own tables (`contact_classes.csv`,
//! `prospect_clusters.csv`, [`Rejections`]), typed columns for DataFrame
//! tools ([`frame`]) and, with the `plot` feature, SVG charts (`chart`).

pub mod breakdown;
#[cfg(feature = "plot")]
pub mod chart;
pub mod cohort;
pub mod frame;
mod output;
pub mod period;
pub mod scope;
pub mod survival;

pub use breakdown::{
    Breakdown, BreakdownAggregate, BreakdownBy, BreakdownCounts, BreakdownRow, breakdown,
    channel_breakdown, source_breakdown,
};
pub use cohort::{CohortAggregate, CohortCounts, CohortReport, CohortRow, cohort_report};
pub use frame::{Frame, ToFrame};
pub use output::{
    CONTACT_CLASS_COLUMNS, ContactClassRow, Rejections, contact_class_rows,
    write_contact_classes_csv, write_contact_classes_json, write_prospect_clusters_csv,
};
pub use period::{
    PeriodAggregate, PeriodCounts, PeriodReport, PeriodRow, period_aggregate, period_aggregate_of,
    period_report,
};
pub use scope::{Calendar, CustomRange, Granularity, PeriodSpec, RepFilter, Scope};
pub use survival::{
    EngagementCensoring, Milestone, SurvivalCurve, SurvivalData, SurvivalPoint,
    engagement_survival, time_to_first_meeting, time_to_win,
};

use std::hash::Hash;
use std::ops::Range;

use crate::ledger::Ledger;

/// Runs `run` over chunks of prospects (in parallel with the `parallel`
/// feature) and merges the partial results with `merge`.
pub(crate) fn fold_prospects<A, F, M>(ledger: &Ledger, run: F, merge: M) -> A
where
    A: Default + Send,
    F: Fn(Range<usize>) -> A + Sync + Send,
    M: Fn(A, A) -> A + Sync + Send,
{
    fold_prospects_in(ledger, 8, run, merge)
}

/// [`fold_prospects`] over `per_thread` chunks per thread: fewer, larger
/// chunks for aggregates whose per-chunk cost (cells created, merged) is
/// large next to their per-event cost.
pub(crate) fn fold_prospects_in<A, F, M>(ledger: &Ledger, per_thread: usize, run: F, merge: M) -> A
where
    A: Default + Send,
    F: Fn(Range<usize>) -> A + Sync + Send,
    M: Fn(A, A) -> A + Sync + Send,
{
    let chunks = crate::classify::chunk_bounds_per_thread(
        ledger.event_offsets(),
        ledger.prospect_count(),
        ledger.events().len(),
        per_thread,
    );
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        chunks
            .par_iter()
            .map(|&(p0, p1)| run(p0..p1))
            .reduce(A::default, merge)
    }
    #[cfg(not(feature = "parallel"))]
    {
        chunks
            .iter()
            .map(|&(p0, p1)| run(p0..p1))
            .fold(A::default(), merge)
    }
}

/// Merges the cells of one partial aggregate into another (keyed counts
/// over disjoint prospects add up), moving the larger map rather than
/// re-inserting it.
pub(crate) fn merge_cells<K: Hash + Eq, V: Default>(
    into: &mut hashbrown::HashMap<K, V>,
    mut from: hashbrown::HashMap<K, V>,
    merge: impl Fn(&mut V, &V),
) {
    if into.len() < from.len() {
        std::mem::swap(into, &mut from);
    }
    for (k, v) in from {
        merge(into.entry(k).or_default(), &v);
    }
}
