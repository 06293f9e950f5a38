//! # sales-metrics-polars
//!
//! Every result of [`sales_metrics`] as a [`polars::frame::DataFrame`],
//! with its types kept: counts as `UInt64`, amounts as `Int64`, rates as
//! `Float64` with null where a rate is undefined (never NaN), ids and
//! period labels as `String`, and the first local day of each period as a
//! `Date` next to its label (`period` `2026-06`, `period_start`
//! `2026-06-01`).
//!
//! The conversion goes through the core crate's typed columns
//! ([`sales_metrics::report::Frame`], what each result's `to_frame()`
//! returns): period and cohort reports, breakdowns, survival curves,
//! [`Rejections`], [`Findings`], any [`Table`] (types inferred) and any
//! `Frame` get [`ToDataFrame::to_dataframe`].
//!
//! This is a crate of its own rather than a feature of `sales-metrics`
//! because polars takes minutes to compile; the core crate stays light.
//!
//! # Example
//! ```
//! use polars::prelude::*;
//! use sales_metrics::report::{PeriodSpec, Scope};
//! use sales_metrics::{classify, load_folder, ClassifyConfig, Mode};
//! use sales_metrics_polars::ToDataFrame;
//!
//! let ledger = load_folder(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/demo"), Mode::Strict)?;
//! let classified = classify(&ledger, &ClassifyConfig::default());
//! let report = classified.period_report(&Scope::rep("ana"), &PeriodSpec::monthly())?;
//!
//! let df = report.to_dataframe()?;
//! assert_eq!(df.column("contacts")?.dtype(), &DataType::UInt64);
//! assert_eq!(df.column("period_start")?.dtype(), &DataType::Date);
//! assert_eq!(df.column("meeting_close_rate")?.dtype(), &DataType::Float64);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use polars::prelude::{Column, DataFrame, DataType, NamedFrom, PolarsResult, Series};
use sales_metrics::Table;
use sales_metrics::detect::Findings;
use sales_metrics::ingest::Rejections;
use sales_metrics::report::{
    Breakdown, CohortReport, ColumnData, Frame, PeriodReport, SurvivalCurve,
};

/// A result that converts to a polars `DataFrame`: every result with a
/// `to_frame()` method, any [`Table`] and any [`Frame`].
pub trait ToDataFrame {
    /// The result as a `DataFrame` (types kept, undefined values null).
    ///
    /// # Errors
    /// A `PolarsError` if polars rejects a column (it does not for the
    /// frames of `sales-metrics`).
    fn to_dataframe(&self) -> PolarsResult<DataFrame>;
}

/// Results that convert through their own `to_frame()`.
macro_rules! results_to_dataframe {
    ($($ty:ty),* $(,)?) => {$(
        impl ToDataFrame for $ty {
            fn to_dataframe(&self) -> PolarsResult<DataFrame> {
                frame_to_dataframe(&self.to_frame())
            }
        }
    )*};
}

results_to_dataframe!(
    PeriodReport,
    CohortReport,
    Breakdown,
    SurvivalCurve,
    Rejections<'_>,
    Findings,
);

impl ToDataFrame for Frame {
    fn to_dataframe(&self) -> PolarsResult<DataFrame> {
        frame_to_dataframe(self)
    }
}

impl ToDataFrame for Table {
    /// The table's columns with their types inferred from the cells
    /// ([`Frame::from_table`]).
    fn to_dataframe(&self) -> PolarsResult<DataFrame> {
        frame_to_dataframe(&Frame::from_table(self))
    }
}

impl<T: ToDataFrame + ?Sized> ToDataFrame for &T {
    fn to_dataframe(&self) -> PolarsResult<DataFrame> {
        (**self).to_dataframe()
    }
}

/// Converts typed columns to a `DataFrame`: `Int64`, `UInt64`, `Float64`,
/// `String` and `Date` columns, nulls kept.
fn frame_to_dataframe(frame: &Frame) -> PolarsResult<DataFrame> {
    let columns = frame
        .columns()
        .map(|(name, data)| {
            let name = name.into();
            let series = match data {
                ColumnData::Int64(v) => Series::new(name, v.as_slice()),
                ColumnData::UInt64(v) => Series::new(name, v.as_slice()),
                ColumnData::Float64(v) => Series::new(name, v.as_slice()),
                ColumnData::Utf8(v) => Series::new(
                    name,
                    v.iter()
                        .map(Option::as_deref)
                        .collect::<Vec<Option<&str>>>(),
                ),
                ColumnData::Date32(v) => {
                    let days: Vec<Option<i32>> = v.iter().map(|d| d.and_then(epoch_days)).collect();
                    Series::new(name, days).cast(&DataType::Date)?
                }
            };
            Ok(Column::from(series))
        })
        .collect::<PolarsResult<Vec<Column>>>()?;
    DataFrame::new(frame.len(), columns)
}

/// Days since 1970-01-01 (polars' `Date`).
fn epoch_days(d: chrono::NaiveDate) -> Option<i32> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from(d.signed_duration_since(epoch).num_days()).ok()
}
