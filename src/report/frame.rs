//! Typed columns of every result table, ready for DataFrame tools: [`Frame`]
//! (documented there).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ingest::Rejections;
use crate::report::breakdown::Breakdown;
use crate::report::cohort::CohortReport;
use crate::report::period::PeriodReport;
use crate::report::survival::SurvivalCurve;
use crate::table::{Cell, Table};

/// The type of a column (named after the Arrow type it becomes): the
/// variant of its [`ColumnData`], declared per result so that an empty
/// result keeps its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnType {
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

/// The values of one column of a [`Frame`]; `None` is null. The variant
/// is the column's type: `UInt64` for counts, `Int64` for amounts,
/// `Float64` for rates, days and scores, `Utf8` for ids, labels, codes and
/// sums beyond 64 bits, `Date32` for the first day of a period.
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
    fn column_type(&self) -> ColumnType {
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

/// A named column of a [`Frame`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Column {
    /// Column name.
    name: String,
    /// Its values.
    data: ColumnData,
}

impl Column {
    fn new(name: impl Into<String>, data: ColumnData) -> Self {
        Self {
            name: name.into(),
            data,
        }
    }
}

/// A result table as typed columns of equal length, ready for DataFrame
/// tools.
///
/// A [`Table`] is what the SPEC §11 text forms are written from: cells that
/// print well. A [`Frame`] is the same table as typed columns, what Arrow,
/// Polars or pandas want: counts as unsigned integers, amounts as signed
/// ones, rates as floats with *null* where the rate is undefined (never NaN),
/// identifiers and labels as text, and the first local day of each period
/// as a date next to its label (`period` stays the text key, `2026-06`;
/// `period_start` is the date `2026-06-01`). Types are declared per result,
/// so an empty report still has the right schema.
///
/// Sums (seconds of logged time, revenue) are exact 128-bit integers in
/// the tables. One that does not fit its column's 64-bit type (seconds
/// beyond `u64::MAX`: only durations near `i64::MAX` add up to that) is
/// never dropped to null or rounded: that column alone becomes `Utf8`,
/// every value of it the exact decimal text, as in the CSV.
///
/// Every result has a `to_frame()` method: [`PeriodReport::to_frame`],
/// [`CohortReport::to_frame`], [`Breakdown::to_frame`],
/// [`SurvivalCurve::to_frame`], [`Rejections::to_frame`] and
/// `detect::Findings::to_frame` (detect is a layer above), each with its
/// columns' types declared; any other [`Table`] converts with
/// [`Frame::from_table`], which infers them. A frame is read column by
/// column: [`Frame::columns`] yields `(name, values)` pairs in order and
/// [`Frame::column`] finds one by name; the values are a [`ColumnData`],
/// whose variant is the column's type (`Int64`, `UInt64`, `Float64`,
/// `Utf8`, `Date32`, named after the Arrow types they become). With the
/// `arrow` feature a frame converts to an Arrow `RecordBatch`
/// (`Frame::to_record_batch`); the `sales-metrics-polars` crate of this
/// repository turns any result into a `polars::DataFrame`.
///
/// `Display` shows a frame's schema, [`Frame::to_html`] its first rows
/// with each column's type.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use sales_metrics::{classify, ClassifyConfig};
/// use sales_metrics::report::ColumnData;
/// use sales_metrics::report::{PeriodSpec, Scope};
/// use sales_metrics::{Channel, Contact, LedgerBuilder, ProspectRecord, Rep};
///
/// let t = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
/// let mut b = LedgerBuilder::new();
/// b.add_rep(Rep::new("ana"));
/// b.add_prospect(ProspectRecord::new("p1"));
/// b.add_contact(Contact::new("c1", "ana", "p1", t, Channel::Phone));
/// let ledger = b.build()?;
/// let classified = classify(&ledger, &ClassifyConfig::default());
/// let report = classified.period_report(&Scope::all(), &PeriodSpec::monthly())?;
///
/// let frame = report.to_frame();
/// assert_eq!(frame.len(), 1);
/// assert_eq!(&frame.column_names()[..3], ["rep_id", "period", "period_start"]);
/// assert_eq!(frame.column("contacts"), Some(&ColumnData::UInt64(vec![Some(1)])));
/// // No meetings: the meeting close rate is undefined, a null.
/// assert_eq!(frame.column("meeting_close_rate"), Some(&ColumnData::Float64(vec![None])));
/// for (name, values) in frame.columns() {
///     assert_eq!(values.len(), 1, "{name}");
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Frame {
    columns: Vec<Column>,
    rows: usize,
}

impl Frame {
    /// A frame of these `(name, values)` columns, in order.
    ///
    /// ```
    /// use sales_metrics::report::{ColumnData, Frame};
    ///
    /// let frame = Frame::new([
    ///     ("rep_id", ColumnData::Utf8(vec![Some("ana".into()), Some("bob".into())])),
    ///     ("contacts", ColumnData::UInt64(vec![Some(3), None])),
    /// ])?;
    /// assert_eq!((frame.len(), frame.column_names()), (2, vec!["rep_id", "contacts"]));
    /// assert!(Frame::new([("a", ColumnData::Int64(vec![Some(1)])), ("b", ColumnData::Int64(vec![]))]).is_err());
    /// # Ok::<(), sales_metrics::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the columns differ in length or two
    /// share a name.
    pub fn new<N: Into<String>>(
        columns: impl IntoIterator<Item = (N, ColumnData)>,
    ) -> Result<Self> {
        let mut f = Frame::default();
        for (name, data) in columns {
            f.push(name, data)?;
        }
        Ok(f)
    }

    /// Appends a column.
    ///
    /// # Errors
    /// As [`Frame::insert`].
    pub fn push(&mut self, name: impl Into<String>, data: ColumnData) -> Result<()> {
        self.insert(self.columns.len(), name, data)
    }

    /// Inserts a column at position `index` (at the end when past it).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the column's length differs from
    /// the frame's, or its name is taken.
    pub fn insert(
        &mut self,
        index: usize,
        name: impl Into<String>,
        data: ColumnData,
    ) -> Result<()> {
        let column = Column::new(name, data);
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

    /// Inserts a column right after the column named `after` (at the end
    /// if there is none).
    ///
    /// # Errors
    /// As [`Frame::insert`].
    pub fn insert_after(
        &mut self,
        after: &str,
        name: impl Into<String>,
        data: ColumnData,
    ) -> Result<()> {
        let at = self
            .columns
            .iter()
            .position(|c| c.name == after)
            .map_or(self.columns.len(), |i| i + 1);
        self.insert(at, name, data)
    }

    /// The columns as `(name, values)` pairs, in order.
    pub fn columns(&self) -> impl ExactSizeIterator<Item = (&str, &ColumnData)> + '_ {
        self.columns.iter().map(|c| (c.name.as_str(), &c.data))
    }

    /// The values of the column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnData> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.data)
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
    pub(crate) fn from_table_typed(table: &Table, types: &[ColumnType]) -> Result<Self> {
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
    /// with no value at all is `Utf8` of nulls. Results convert with their
    /// declared types instead (their `to_frame()` methods, such as
    /// [`PeriodReport::to_frame`]).
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

impl ColumnType {
    /// The type's name, as [`Frame`]'s `Display` and HTML show it.
    fn name(self) -> &'static str {
        match self {
            ColumnType::Int64 => "Int64",
            ColumnType::UInt64 => "UInt64",
            ColumnType::Float64 => "Float64",
            ColumnType::Utf8 => "Utf8",
            ColumnType::Date32 => "Date32",
        }
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
            write!(f, "  {:<width$}  {}", c.name, c.data.column_type().name())?;
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
            h.push_str(c.data.column_type().name());
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

/// Converts with declared types; a mismatch is a bug in this module (the
/// tests cover every result), so it degrades to inference rather than
/// failing a caller.
fn typed(table: &Table, types: &[ColumnType]) -> Frame {
    Frame::from_table_typed(table, types).unwrap_or_else(|_| Frame::from_table(table))
}

/// Adds a date column after `after`; a length mismatch (a bug) leaves the
/// frame without it.
fn with_dates(mut f: Frame, after: &str, name: &str, dates: Vec<Option<NaiveDate>>) -> Frame {
    let _ = f.insert_after(after, name, ColumnData::Date32(dates));
    f
}

use ColumnType::{Float64 as F, UInt64 as U, Utf8 as S};

impl PeriodReport {
    /// The report as typed columns (see [`Frame`]): the columns of
    /// [`PeriodReport::table`] with `period_start` (the first local day of
    /// the period, a date) after `period`.
    pub fn to_frame(&self) -> Frame {
        const TYPES: [ColumnType; 16] = [S, S, U, U, U, U, U, U, U, U, U, U, F, F, F, F];
        let f = typed(&self.table(), &TYPES);
        let dates = self.rows.iter().map(|r| r.period_start).collect();
        with_dates(f, "period", "period_start", dates)
    }
}

impl CohortReport {
    /// The report as typed columns (see [`Frame`]): the columns of
    /// [`CohortReport::extended_table`] (the SPEC columns first) with
    /// `cohort_start` (a date) after `cohort`.
    pub fn to_frame(&self) -> Frame {
        const TYPES: [ColumnType; 16] = [S, S, U, U, U, F, F, F, F, F, F, F, F, U, U, U];
        let f = typed(&self.extended_table(), &TYPES);
        let dates = self.rows.iter().map(|r| r.cohort_start).collect();
        with_dates(f, "cohort", "cohort_start", dates)
    }
}

impl Breakdown {
    /// The breakdown as typed columns (see [`Frame`]): the columns of
    /// [`Breakdown::table`] with `period_start` (a date) after `period`.
    pub fn to_frame(&self) -> Frame {
        const TYPES: [ColumnType; 25] = [
            S, S, S, U, U, U, U, U, U, U, U, U, U, U, F, U, U, U, U, F, F, F, F, F, F,
        ];
        let f = typed(&self.table(), &TYPES);
        let dates = self.rows.iter().map(|r| r.period_start).collect();
        with_dates(f, "period", "period_start", dates)
    }
}

impl SurvivalCurve {
    /// The curve as typed columns (see [`Frame`]): the columns of
    /// [`SurvivalCurve::table`].
    pub fn to_frame(&self) -> Frame {
        const TYPES: [ColumnType; 7] = [F, U, U, F, F, F, F];
        typed(&self.table(), &TYPES)
    }
}

impl Rejections<'_> {
    /// The rejections as typed columns (see [`Frame`]): the columns of
    /// `rejections.csv`; `row` is an unsigned integer.
    pub fn to_frame(&self) -> Frame {
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
        let f = Frame::from_table(&t);
        let types: Vec<ColumnType> = f.columns().map(|(_, c)| c.column_type()).collect();
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
            f.column("rate"),
            Some(&ColumnData::Float64(vec![Some(0.5), None]))
        );
        assert_eq!(f.column("n"), Some(&ColumnData::Int64(vec![Some(3), None])));
    }

    #[test]
    fn columns_must_agree() {
        let mut f = Frame::default();
        assert!(f.push("a", ColumnData::UInt64(vec![Some(1)])).is_ok());
        assert!(f.push("b", ColumnData::UInt64(vec![])).is_err());
        assert!(f.push("a", ColumnData::UInt64(vec![Some(2)])).is_err());
        assert!(
            f.insert_after("a", "c", ColumnData::Utf8(vec![None]))
                .is_ok()
        );
        assert_eq!(f.column_names(), ["a", "c"]);
        assert!(Frame::from_table_typed(&Table::new(&["x"]), &[]).is_err());
    }
}
