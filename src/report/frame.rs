//! Typed columns of every result table, ready for DataFrame tools.
//!
//! A [`Table`] is what the SPEC §11 text forms are written from: cells that
//! print well. A [`Frame`] is the same table as typed columns, what Arrow,
//! Polars or pandas want: counts as unsigned integers, amounts as signed
//! ones, rates as floats with *null* where the rate is undefined (never NaN),
//! identifiers and labels as text, and the first local day of each period
//! as a date next to its label (`period` stays the text key, `2026-06`;
//! `period_start` is the date `2026-06-01`). Types are declared per result,
//! so an empty report still has the right schema.
//!
//! Sums (seconds of logged time, revenue) are exact 128-bit integers in
//! the tables. One that does not fit its column's 64-bit type (seconds
//! beyond `u64::MAX`: only durations near `i64::MAX` add up to that) is
//! never dropped to null or rounded: that column alone becomes `Utf8`,
//! every value of it the exact decimal text, as in the CSV.
//!
//! Every result implements [`ToFrame`]. With the `arrow` feature a frame
//! converts to an Arrow `RecordBatch` (`Frame::to_record_batch`, also
//! `ToFrame::to_record_batch` on any result); the `sales-metrics-polars`
//! crate of this repository turns any of them into a `polars::DataFrame`.
//!
//! # Example
//! ```
//! use chrono::{TimeZone, Utc};
//! use sales_metrics::{classify, ClassifyConfig};
//! use sales_metrics::report::{ColumnData, ToFrame};
//! use sales_metrics::report::{period_report, PeriodSpec, Scope};
//! use sales_metrics::{Channel, Contact, LedgerBuilder, ProspectRecord, Rep};
//!
//! let t = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
//! let mut b = LedgerBuilder::new();
//! b.add_rep(Rep::new("ana"));
//! b.add_prospect(ProspectRecord::new("p1"));
//! b.add_contact(Contact::new("c1", "ana", "p1", t, Channel::Phone));
//! let ledger = b.build()?;
//! let classified = classify(&ledger, &ClassifyConfig::default());
//! let report = period_report(&classified, &Scope::all(), &PeriodSpec::monthly())?;
//!
//! let frame = report.to_frame();
//! assert_eq!(frame.len(), 1);
//! assert_eq!(&frame.column_names()[..3], ["rep_id", "period", "period_start"]);
//! assert_eq!(
//!     frame.column("contacts").map(|c| &c.data),
//!     Some(&ColumnData::UInt64(vec![Some(1)]))
//! );
//! // No meetings: the meeting close rate is undefined, a null.
//! assert_eq!(
//!     frame.column("meeting_close_rate").map(|c| &c.data),
//!     Some(&ColumnData::Float64(vec![None]))
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::report::breakdown::Breakdown;
use crate::report::cohort::CohortReport;
use crate::report::output::Rejections;
use crate::report::period::PeriodReport;
use crate::report::survival::SurvivalCurve;
use crate::table::{Cell, Table};

/// The type of a [`Column`] (named after the Arrow type it becomes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// Signed 64-bit integers (amounts).
    Int64,
    /// Unsigned 64-bit integers (counts).
    UInt64,
    /// 64-bit floats (rates, days, scores).
    Float64,
    /// UTF-8 text (ids, labels, codes).
    Utf8,
    /// Calendar dates (Arrow `Date32`: days since 1970-01-01).
    Date32,
}

/// The values of one column; `None` is null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnData {
    /// Signed integers.
    Int64(Vec<Option<i64>>),
    /// Unsigned integers.
    UInt64(Vec<Option<u64>>),
    /// Floats (never NaN: undefined values are null).
    Float64(Vec<Option<f64>>),
    /// Text.
    Utf8(Vec<Option<String>>),
    /// Dates.
    Date32(Vec<Option<NaiveDate>>),
}

impl ColumnData {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Int64(v) => v.len(),
            ColumnData::UInt64(v) => v.len(),
            ColumnData::Float64(v) => v.len(),
            ColumnData::Utf8(v) => v.len(),
            ColumnData::Date32(v) => v.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The type of the values.
    pub fn column_type(&self) -> ColumnType {
        match self {
            ColumnData::Int64(_) => ColumnType::Int64,
            ColumnData::UInt64(_) => ColumnType::UInt64,
            ColumnData::Float64(_) => ColumnType::Float64,
            ColumnData::Utf8(_) => ColumnType::Utf8,
            ColumnData::Date32(_) => ColumnType::Date32,
        }
    }

    /// Number of nulls.
    pub fn null_count(&self) -> usize {
        match self {
            ColumnData::Int64(v) => v.iter().filter(|x| x.is_none()).count(),
            ColumnData::UInt64(v) => v.iter().filter(|x| x.is_none()).count(),
            ColumnData::Float64(v) => v.iter().filter(|x| x.is_none()).count(),
            ColumnData::Utf8(v) => v.iter().filter(|x| x.is_none()).count(),
            ColumnData::Date32(v) => v.iter().filter(|x| x.is_none()).count(),
        }
    }

    /// Converts table cells to `ty`. Cells that do not hold a value of
    /// that type (or do not fit it) are null; empty cells are null.
    fn from_cells<'a>(ty: ColumnType, cells: impl Iterator<Item = &'a Cell>) -> ColumnData {
        match ty {
            ColumnType::Int64 => ColumnData::Int64(
                cells
                    .map(|c| match c {
                        Cell::Int(i) => i64::try_from(*i).ok(),
                        _ => None,
                    })
                    .collect(),
            ),
            ColumnType::UInt64 => ColumnData::UInt64(
                cells
                    .map(|c| match c {
                        Cell::Int(i) => u64::try_from(*i).ok(),
                        _ => None,
                    })
                    .collect(),
            ),
            ColumnType::Float64 => ColumnData::Float64(
                cells
                    .map(|c| match c {
                        Cell::Float(f) | Cell::Share(f) => Some(*f).filter(|f| f.is_finite()),
                        Cell::Rate(r) => r.value(),
                        Cell::Int(i) => Some(*i as f64),
                        _ => None,
                    })
                    .collect(),
            ),
            ColumnType::Utf8 => ColumnData::Utf8(
                cells
                    .map(|c| match c {
                        Cell::Empty => None,
                        other => Some(other.to_text()),
                    })
                    .collect(),
            ),
            ColumnType::Date32 => ColumnData::Date32(
                cells
                    .map(|c| match c {
                        Cell::Text(s) => s.parse::<NaiveDate>().ok(),
                        _ => None,
                    })
                    .collect(),
            ),
        }
    }
}

/// A named column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Its values.
    pub data: ColumnData,
}

impl Column {
    /// A column.
    pub fn new(name: impl Into<String>, data: ColumnData) -> Self {
        Self {
            name: name.into(),
            data,
        }
    }

    /// The type of the values.
    pub fn column_type(&self) -> ColumnType {
        self.data.column_type()
    }
}

/// A table as typed columns of equal length.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Frame {
    columns: Vec<Column>,
    rows: usize,
}

impl Frame {
    /// A frame of these columns.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the columns differ in length or two
    /// share a name.
    pub fn new(columns: Vec<Column>) -> Result<Self> {
        let mut f = Frame::default();
        for c in columns {
            f.push(c)?;
        }
        Ok(f)
    }

    /// Appends a column.
    ///
    /// # Errors
    /// As [`Frame::insert`].
    pub fn push(&mut self, column: Column) -> Result<()> {
        self.insert(self.columns.len(), column)
    }

    /// Inserts a column at `index` (at the end when past it).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the column's length differs from
    /// the frame's, or its name is taken.
    pub fn insert(&mut self, index: usize, column: Column) -> Result<()> {
        if !self.columns.is_empty() && column.data.len() != self.rows {
            return Err(Error::invalid(
                "frame column",
                format!(
                    "{:?} has {} values, the frame {} rows",
                    column.name,
                    column.data.len(),
                    self.rows
                ),
            ));
        }
        if self.column(&column.name).is_some() {
            return Err(Error::invalid(
                "frame column",
                format!("{:?} is already a column", column.name),
            ));
        }
        self.rows = column.data.len();
        let at = index.min(self.columns.len());
        self.columns.insert(at, column);
        Ok(())
    }

    /// Inserts `column` right after the column named `after` (at the end if
    /// there is none).
    ///
    /// # Errors
    /// As [`Frame::insert`].
    pub fn insert_after(&mut self, after: &str, column: Column) -> Result<()> {
        let at = self
            .columns
            .iter()
            .position(|c| c.name == after)
            .map_or(self.columns.len(), |i| i + 1);
        self.insert(at, column)
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Column names, in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Converts a table with a declared type per column (`types` as long as
    /// the columns). Cells that do not hold a value of their column's type
    /// become null; an integer column with a value beyond its 64-bit type
    /// becomes `Utf8` with exact decimal text instead (see the module doc).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `types` does not match the columns.
    pub fn from_table_typed(table: &Table, types: &[ColumnType]) -> Result<Self> {
        if types.len() != table.columns.len() {
            return Err(Error::invalid(
                "frame types",
                format!("{} types for {} columns", types.len(), table.columns.len()),
            ));
        }
        Ok(convert(table, types))
    }

    /// Converts any table, inferring each column's type from its cells:
    /// integers only → `Int64` (`UInt64` if one does not fit `Int64`,
    /// `Utf8` of exact decimals if one does not fit either),
    /// numbers and rates → `Float64`, anything with text → `Utf8`. A column
    /// with no value at all is `Utf8` of nulls; results convert with their
    /// declared types instead ([`ToFrame`]).
    pub fn from_table(table: &Table) -> Self {
        let types: Vec<ColumnType> = (0..table.columns.len())
            .map(|i| infer(table.rows.iter().filter_map(|r| r.get(i))))
            .collect();
        convert(table, &types)
    }
}

/// Converts a table's cells to `types` (as many as columns).
fn convert(table: &Table, types: &[ColumnType]) -> Frame {
    let columns = table
        .columns
        .iter()
        .zip(types)
        .enumerate()
        .map(|(i, (name, ty))| {
            let cells = || {
                table
                    .rows
                    .iter()
                    .map(move |r| r.get(i).unwrap_or(&Cell::Empty))
            };
            let ty = if ints_fit(*ty, cells()) {
                *ty
            } else {
                ColumnType::Utf8
            };
            Column::new(*name, ColumnData::from_cells(ty, cells()))
        })
        .collect();
    Frame {
        columns,
        rows: table.rows.len(),
    }
}

impl std::fmt::Display for ColumnType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ColumnType::Int64 => "Int64",
            ColumnType::UInt64 => "UInt64",
            ColumnType::Float64 => "Float64",
            ColumnType::Utf8 => "Utf8",
            ColumnType::Date32 => "Date32",
        })
    }
}

impl std::fmt::Display for Frame {
    /// The schema: `N rows × M columns`, then one `name: Type (k nulls)`
    /// line per column.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} rows × {} columns", self.rows, self.columns.len())?;
        let width = self
            .columns
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        for c in &self.columns {
            write!(f, "  {:<width$}  {}", c.name, c.column_type())?;
            match c.data.null_count() {
                0 => writeln!(f)?,
                n => writeln!(f, " ({n} null)")?,
            }
        }
        Ok(())
    }
}

impl Frame {
    /// The frame as an HTML table with each column's type under its name,
    /// nulls shown as `null`, at most `max_rows` rows (the first ones).
    pub fn to_html(&self, max_rows: usize) -> String {
        use crate::table::escape_html;
        let mut h = format!(
            "<table class=\"sales-metrics-frame\" style=\"border-collapse:collapse;font-variant-numeric:tabular-nums\">\n\
             <caption style=\"caption-side:top;text-align:left;font-weight:bold;padding:2px 8px\">Frame: {} rows × {} columns</caption>\n<thead><tr>",
            self.rows,
            self.columns.len()
        );
        for c in &self.columns {
            h.push_str("<th style=\"border-bottom:1px solid #999;padding:2px 8px;vertical-align:bottom;text-align:left\">");
            h.push_str(&escape_html(&c.name).replace('_', "_<wbr>"));
            h.push_str("<br><small style=\"color:#777;font-weight:normal\">");
            h.push_str(&c.column_type().to_string());
            h.push_str("</small></th>");
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for r in 0..self.rows.min(max_rows) {
            h.push_str("<tr>");
            for c in &self.columns {
                let value = match &c.data {
                    ColumnData::Int64(v) => v.get(r).copied().flatten().map(|x| x.to_string()),
                    ColumnData::UInt64(v) => v.get(r).copied().flatten().map(|x| x.to_string()),
                    ColumnData::Float64(v) => {
                        v.get(r).copied().flatten().map(crate::table::format_float)
                    }
                    ColumnData::Utf8(v) => v.get(r).cloned().flatten(),
                    ColumnData::Date32(v) => v.get(r).copied().flatten().map(|d| d.to_string()),
                };
                h.push_str("<td style=\"padding:2px 8px;text-align:left;white-space:nowrap\">");
                match value {
                    Some(v) => h.push_str(&escape_html(&v)),
                    None => h.push_str("<span style=\"color:#999\">null</span>"),
                }
                h.push_str("</td>");
            }
            h.push_str("</tr>\n");
        }
        if self.rows > max_rows {
            h.push_str(&format!(
                "<tr><td colspan=\"{}\" style=\"padding:2px 8px;color:#777\">… {} more rows</td></tr>\n",
                self.columns.len().max(1),
                self.rows - max_rows
            ));
        }
        h.push_str("</tbody></table>\n");
        h
    }

    /// Shows the frame in an evcxr notebook cell: names, types and the
    /// first rows, values as a DataFrame tool will see them.
    pub fn evcxr_display(&self) {
        crate::table::evcxr_show(&self.to_html(10), &self.to_string());
    }
}

/// Whether every integer cell fits `ty` when it is an integer type: a sum
/// beyond 64 bits must not become a null.
fn ints_fit<'a>(ty: ColumnType, mut cells: impl Iterator<Item = &'a Cell>) -> bool {
    let fits: fn(i128) -> bool = match ty {
        ColumnType::Int64 => |i| i64::try_from(i).is_ok(),
        ColumnType::UInt64 => |i| u64::try_from(i).is_ok(),
        _ => return true,
    };
    cells.all(|c| match c {
        Cell::Int(i) => fits(*i),
        _ => true,
    })
}

fn infer<'a>(cells: impl Iterator<Item = &'a Cell>) -> ColumnType {
    let (mut ints, mut floats, mut texts, mut big) = (false, false, false, false);
    for c in cells {
        match c {
            Cell::Empty => {}
            Cell::Int(i) => {
                ints = true;
                big |= i64::try_from(*i).is_err();
            }
            Cell::Float(_) | Cell::Rate(_) | Cell::Share(_) => floats = true,
            Cell::Text(_) => texts = true,
        }
    }
    match (texts, floats, ints) {
        (true, _, _) | (false, false, false) => ColumnType::Utf8,
        (false, true, _) => ColumnType::Float64,
        (false, false, true) if big => ColumnType::UInt64,
        (false, false, true) => ColumnType::Int64,
    }
}

impl From<&Table> for Frame {
    fn from(table: &Table) -> Self {
        Frame::from_table(table)
    }
}

/// A result that converts to typed columns ([`Frame`]).
///
/// Implemented by every result type: [`PeriodReport`], [`CohortReport`],
/// [`Breakdown`], [`SurvivalCurve`], [`Rejections`], any [`Table`]
/// (types inferred) and [`Frame`] itself.
pub trait ToFrame {
    /// The result as typed columns.
    fn to_frame(&self) -> Frame;

    /// The result as an Arrow `RecordBatch` (feature `arrow`).
    ///
    /// # Errors
    /// As [`Frame::to_record_batch`].
    #[cfg(feature = "arrow")]
    fn to_record_batch(&self) -> Result<arrow_array::RecordBatch> {
        self.to_frame().to_record_batch()
    }
}

impl ToFrame for Table {
    fn to_frame(&self) -> Frame {
        Frame::from_table(self)
    }
}

impl ToFrame for Frame {
    fn to_frame(&self) -> Frame {
        self.clone()
    }
}

impl<T: ToFrame + ?Sized> ToFrame for &T {
    fn to_frame(&self) -> Frame {
        (**self).to_frame()
    }
}

/// Converts with declared types; a mismatch is a bug in this module (the
/// tests cover every result), so it degrades to inference rather than
/// failing a caller.
fn typed(table: &Table, types: &[ColumnType]) -> Frame {
    Frame::from_table_typed(table, types).unwrap_or_else(|_| Frame::from_table(table))
}

/// Adds a date column after `after`; a length mismatch (a bug) leaves the
/// frame without it.
fn with_dates(mut f: Frame, after: &str, name: &str, dates: Vec<Option<NaiveDate>>) -> Frame {
    let _ = f.insert_after(after, Column::new(name, ColumnData::Date32(dates)));
    f
}

use ColumnType::{Float64 as F, UInt64 as U, Utf8 as S};

impl ToFrame for PeriodReport {
    /// The columns of [`PeriodReport::table`] with `period_start` (the first
    /// local day of the period, a date) after `period`.
    fn to_frame(&self) -> Frame {
        const TYPES: [ColumnType; 16] = [S, S, U, U, U, U, U, U, U, U, U, U, F, F, F, F];
        let f = typed(&self.table(), &TYPES);
        let dates = self.rows.iter().map(|r| r.period_start).collect();
        with_dates(f, "period", "period_start", dates)
    }
}

impl ToFrame for CohortReport {
    /// The columns of [`CohortReport::extended_table`] (the SPEC columns
    /// first) with `cohort_start` (a date) after `cohort`.
    fn to_frame(&self) -> Frame {
        const TYPES: [ColumnType; 16] = [S, S, U, U, U, F, F, F, F, F, F, F, F, U, U, U];
        let f = typed(&self.extended_table(), &TYPES);
        let dates = self.rows.iter().map(|r| r.cohort_start).collect();
        with_dates(f, "cohort", "cohort_start", dates)
    }
}

impl ToFrame for Breakdown {
    /// The columns of [`Breakdown::table`] with `period_start` (a date)
    /// after `period`.
    fn to_frame(&self) -> Frame {
        const TYPES: [ColumnType; 25] = [
            S, S, S, U, U, U, U, U, U, U, U, U, U, U, F, U, U, U, U, F, F, F, F, F, F,
        ];
        let f = typed(&self.table(), &TYPES);
        let dates = self.rows.iter().map(|r| r.period_start).collect();
        with_dates(f, "period", "period_start", dates)
    }
}

impl ToFrame for SurvivalCurve {
    /// The columns of [`SurvivalCurve::table`].
    fn to_frame(&self) -> Frame {
        const TYPES: [ColumnType; 7] = [F, U, U, F, F, F, F];
        typed(&self.table(), &TYPES)
    }
}

impl ToFrame for Rejections<'_> {
    /// The columns of `rejections.csv`; `row` is an unsigned integer.
    fn to_frame(&self) -> Frame {
        const TYPES: [ColumnType; 5] = [S, U, S, S, S];
        typed(&self.table(), &TYPES)
    }
}

#[cfg(feature = "arrow")]
mod arrow {
    //! Frames as Arrow record batches.

    use std::sync::Arc;

    use arrow_array::{
        ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray, UInt64Array,
    };
    use arrow_schema::{DataType, Field, Schema};
    use chrono::NaiveDate;

    use super::{ColumnData, Frame};
    use crate::error::{Error, Result};

    /// Days from 1970-01-01 (Arrow `Date32`).
    fn epoch_days(d: NaiveDate) -> Option<i32> {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
        i32::try_from(d.signed_duration_since(epoch).num_days()).ok()
    }

    impl Frame {
        /// The frame as an Arrow `RecordBatch` (feature `arrow`): `UInt64`,
        /// `Int64`, `Float64`, `Utf8` and `Date32` columns, all nullable.
        ///
        /// # Errors
        /// [`Error::InvalidArgument`] if Arrow rejects the batch (it
        /// cannot for a frame built by this crate).
        pub fn to_record_batch(&self) -> Result<RecordBatch> {
            let mut fields = Vec::with_capacity(self.columns.len());
            let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.columns.len());
            for c in &self.columns {
                let (ty, array): (DataType, ArrayRef) = match &c.data {
                    ColumnData::Int64(v) => {
                        (DataType::Int64, Arc::new(Int64Array::from(v.clone())))
                    }
                    ColumnData::UInt64(v) => {
                        (DataType::UInt64, Arc::new(UInt64Array::from(v.clone())))
                    }
                    ColumnData::Float64(v) => {
                        (DataType::Float64, Arc::new(Float64Array::from(v.clone())))
                    }
                    ColumnData::Utf8(v) => (
                        DataType::Utf8,
                        Arc::new(v.iter().map(Option::as_deref).collect::<StringArray>()),
                    ),
                    ColumnData::Date32(v) => (
                        DataType::Date32,
                        Arc::new(Date32Array::from(
                            v.iter()
                                .map(|d| d.and_then(epoch_days))
                                .collect::<Vec<Option<i32>>>(),
                        )),
                    ),
                };
                fields.push(Field::new(c.name.clone(), ty, true));
                arrays.push(array);
            }
            let schema = Arc::new(Schema::new(fields));
            let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(self.rows));
            RecordBatch::try_new_with_options(schema, arrays, &options)
                .map_err(|e| Error::invalid("record batch", e.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ratio;

    #[test]
    fn inference_follows_the_cells() {
        let mut t = Table::new(&["id", "n", "rate", "none", "big"]);
        t.push(vec![
            "a".into(),
            3u64.into(),
            Ratio::proportion(1, 2).into(),
            Cell::Empty,
            Cell::Int(i128::from(u64::MAX)),
        ]);
        t.push(vec![
            "b".into(),
            Cell::Empty,
            Ratio::proportion(1, 0).into(),
            Cell::Empty,
            Cell::Int(1),
        ]);
        let f = Frame::from(&t);
        let types: Vec<ColumnType> = f.columns().iter().map(Column::column_type).collect();
        assert_eq!(
            types,
            [
                ColumnType::Utf8,
                ColumnType::Int64,
                ColumnType::Float64,
                ColumnType::Utf8,
                ColumnType::UInt64
            ]
        );
        assert_eq!(
            f.column("rate").map(|c| &c.data),
            Some(&ColumnData::Float64(vec![Some(0.5), None]))
        );
        assert_eq!(
            f.column("n").map(|c| &c.data),
            Some(&ColumnData::Int64(vec![Some(3), None]))
        );
    }

    #[test]
    fn columns_must_agree() {
        let mut f = Frame::default();
        assert!(
            f.push(Column::new("a", ColumnData::UInt64(vec![Some(1)])))
                .is_ok()
        );
        assert!(
            f.push(Column::new("b", ColumnData::UInt64(vec![])))
                .is_err()
        );
        assert!(
            f.push(Column::new("a", ColumnData::UInt64(vec![Some(2)])))
                .is_err()
        );
        assert!(
            f.insert_after("a", Column::new("c", ColumnData::Utf8(vec![None])))
                .is_ok()
        );
        assert_eq!(f.column_names(), ["a", "c"]);
        assert!(Frame::from_table_typed(&Table::new(&["x"]), &[]).is_err());
    }
}
