//! Reports over a classified ledger, each a method on
//! [`Classified`](crate::Classified): what a report covers ([`Scope`]),
//! the period report ([`period_report`](crate::Classified::period_report),
//! SPEC §6), the cohort report
//! ([`cohort_report`](crate::Classified::cohort_report), SPEC §7), survival
//! of engagements ([`time_to_win`](crate::Classified::time_to_win)),
//! breakdowns by channel and source
//! ([`breakdown`](crate::Classified::breakdown)), typed columns for
//! DataFrame tools ([`Frame`], from each result's `to_frame()`) and, with
//! the `plot` feature, SVG charts. The contact classes table
//! (`contact_classes.csv`) comes from the classification itself
//! ([`Classified::write_classes_csv`](crate::Classified::write_classes_csv)).
//!
//! Every report has one shape: an [`Aggregate`] computed over the prospects
//! of one [`ReportInput`] (or over each of its
//! [`parts`](ReportInput::parts), merged), and finished into the report.

mod aggregate;
pub(crate) mod breakdown;
#[cfg(feature = "plot")]
mod chart;
pub(crate) mod cohort;
mod frame;
mod output;
pub(crate) mod period;
#[cfg(test)]
#[path = "period_direct_tests.rs"]
mod period_direct_tests;
pub(crate) mod scope;
pub(crate) mod survival;

pub use aggregate::{Aggregate, ReportInput};
pub use breakdown::{Breakdown, BreakdownAggregate, BreakdownBy, BreakdownCounts, BreakdownRow};
#[cfg(feature = "plot")]
pub use chart::{
    SvgChart, activity_breakdown_chart, activity_by_class_chart, close_rates_chart,
    daily_contacts_chart, funnel_chart, survival_chart,
};
pub use cohort::{CohortAggregate, CohortCounts, CohortReport, CohortRow};
pub(crate) use frame::ColumnType;
pub use frame::{ColumnData, Frame};
pub use period::{PeriodAggregate, PeriodCounts, PeriodReport, PeriodRow};
pub use scope::{Granularity, PeriodSpec, Scope};
pub use survival::{SurvivalCurve, SurvivalPoint};

use std::hash::Hash;

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
