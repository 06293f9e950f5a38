//! Reports over a classified ledger: what a report covers ([`scope`]), the
//! period report ([`period`], SPEC §6), the cohort report ([`cohort`],
//! SPEC §7), survival of engagements ([`survival`]), breakdowns by channel
//! and source ([`mod@breakdown`]), and the text forms of results ([`table`],
//! SPEC §11).

pub mod breakdown;
pub mod cohort;
pub mod period;
pub mod scope;
pub mod survival;
pub mod table;

pub use breakdown::{
    Breakdown, BreakdownAggregate, BreakdownBy, BreakdownCounts, BreakdownRow, breakdown,
    channel_breakdown, source_breakdown,
};
pub use cohort::{CohortAggregate, CohortCounts, CohortReport, CohortRow, cohort_report};
pub use period::{
    PeriodAggregate, PeriodCounts, PeriodReport, PeriodRow, period_aggregate, period_aggregate_of,
    period_report,
};
pub use scope::{Calendar, CustomRange, Granularity, PeriodSpec, RepFilter, Scope};
pub use survival::{
    EngagementCensoring, Milestone, SurvivalCurve, SurvivalData, SurvivalPoint,
    engagement_survival, time_to_first_meeting, time_to_win,
};
pub use table::{Cell, Table};
