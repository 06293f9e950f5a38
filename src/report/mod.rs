//! Reports over a classified ledger: what a report covers ([`scope`]), the
//! period report ([`period`], SPEC §6), and the text forms of results
//! ([`table`], SPEC §11).

pub mod period;
pub mod scope;
pub mod table;

pub use period::{
    PeriodAggregate, PeriodCounts, PeriodReport, PeriodRow, period_aggregate, period_aggregate_of,
    period_report,
};
pub use scope::{Calendar, CustomRange, Granularity, PeriodSpec, RepFilter, Scope};
pub use table::{Cell, Table};
