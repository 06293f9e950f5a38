//! [`Table`]: the one text form of every result (SPEC §11): CSV and JSON
//! writers with the same columns, rates as shortest round-trip decimals,
//! undefined rates and absent values as empty cells (JSON `null`).

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::ratio::{Ratio, RatioKind};

/// One cell of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Absent value or undefined rate: an empty CSV cell, JSON `null`.
    Empty,
    /// Text.
    Text(String),
    /// An integer.
    Int(i128),
    /// A decimal, written in shortest round-trip form (`0.5`,
    /// `0.6666666666666666`).
    Float(f64),
    /// A rate: written as its decimal value (empty when undefined); shown
    /// as a percentage with its counts and interval in text and HTML.
    Rate(Ratio),
}

impl Cell {
    /// A float cell, or empty when `None` or not finite.
    pub fn float(v: Option<f64>) -> Cell {
        match v {
            Some(v) if v.is_finite() => Cell::Float(v),
            _ => Cell::Empty,
        }
    }

    /// The CSV text of the cell.
    pub fn to_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => format_float(*f),
            Cell::Rate(r) => r.value().map(format_float).unwrap_or_default(),
        }
    }

    /// The cell as people read it: rates as `66.7 %` (quotients as `4.00`),
    /// undefined rates as `–`.
    pub fn to_display(&self) -> String {
        match self {
            Cell::Rate(r) => match (r.value(), r.kind) {
                (None, _) => "–".to_owned(),
                (Some(v), RatioKind::Proportion) => format!("{:.1} %", v * 100.0),
                (Some(v), RatioKind::Quotient) => format!("{v:.2}"),
            },
            Cell::Float(f) => format!("{f:.2}"),
            other => other.to_text(),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Cell::Empty => Value::Null,
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Int(i) => i64::try_from(*i)
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(i.to_string())),
            Cell::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Cell::Rate(r) => r
                .value()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number),
        }
    }
}

impl From<Ratio> for Cell {
    fn from(r: Ratio) -> Self {
        Cell::Rate(r)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<u64> for Cell {
    fn from(v: u64) -> Self {
        Cell::Int(i128::from(v))
    }
}

impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(i128::from(v))
    }
}

impl From<i128> for Cell {
    fn from(v: i128) -> Self {
        Cell::Int(v)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// Shortest round-trip decimal form of a finite float (Rust's `Display`
/// for `f64` is exactly that, and never uses an exponent).
pub fn format_float(v: f64) -> String {
    if v == 0.0 {
        // Avoid "-0".
        return "0".to_owned();
    }
    format!("{v}")
}

/// A result table: named columns and rows of cells.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Column names, in order.
    pub columns: Vec<&'static str>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: &[&'static str]) -> Self {
        Self {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// Writes the table as CSV with a header row.
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails.
    pub fn write_csv<W: Write>(&self, w: W) -> Result<()> {
        let mut out = csv::Writer::from_writer(w);
        let io = |e: csv::Error| Error::io("<csv output>", std::io::Error::other(e));
        out.write_record(&self.columns).map_err(io)?;
        let mut record = Vec::with_capacity(self.columns.len());
        for row in &self.rows {
            record.clear();
            record.extend(row.iter().map(Cell::to_text));
            out.write_record(&record).map_err(io)?;
        }
        out.flush().map_err(|e| Error::io("<csv output>", e))
    }

    /// Writes the table as a JSON array of objects (one per row, keys in
    /// column order).
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails.
    pub fn write_json<W: Write>(&self, w: W) -> Result<()> {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|row| {
                let mut m = Map::new();
                for (c, cell) in self.columns.iter().zip(row) {
                    m.insert((*c).to_owned(), cell.to_json());
                }
                Value::Object(m)
            })
            .collect();
        serde_json::to_writer_pretty(w, &rows)
            .map_err(|e| Error::io("<json output>", std::io::Error::other(e)))
    }

    /// Writes `NAME.csv` and `NAME.json` into `dir`.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file that could not be written.
    pub fn write_files(&self, dir: &Path, name: &str) -> Result<()> {
        let csv_path = dir.join(format!("{name}.csv"));
        let json_path = dir.join(format!("{name}.json"));
        let f = std::fs::File::create(&csv_path).map_err(|e| Error::io(&csv_path, e))?;
        self.write_csv(std::io::BufWriter::new(f))
            .map_err(|e| relabel(e, &csv_path))?;
        let f = std::fs::File::create(&json_path).map_err(|e| Error::io(&json_path, e))?;
        let mut w = std::io::BufWriter::new(f);
        self.write_json(&mut w)
            .map_err(|e| relabel(e, &json_path))?;
        w.flush().map_err(|e| Error::io(&json_path, e))
    }
}

impl Table {
    /// The table as plain HTML (`<table>` with a header row), every text
    /// escaped. Rates show as percentages; hovering shows numerator,
    /// denominator and the 95 % Wilson interval.
    pub fn to_html(&self) -> String {
        let mut h = String::from(
            "<table class=\"sales-metrics\" style=\"border-collapse:collapse;font-variant-numeric:tabular-nums\">\n<thead><tr>",
        );
        for c in &self.columns {
            h.push_str(
                "<th style=\"text-align:left;border-bottom:1px solid #999;padding:2px 8px\">",
            );
            h.push_str(&escape_html(c));
            h.push_str(" &#x21C5;</th>");
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            h.push_str("<tr>");
            for cell in row {
                let align = match cell {
                    Cell::Text(_) | Cell::Empty => "left",
                    _ => "right",
                };
                h.push_str("<td style=\"padding:2px 8px;text-align:");
                h.push_str(align);
                h.push('"');
                if let Cell::Rate(r) = cell {
                    h.push_str(" title=\"");
                    h.push_str(&escape_html(&rate_hover(r)));
                    h.push('"');
                }
                h.push('>');
                h.push_str(&escape_html(&cell.to_display()));
                h.push_str("</td>");
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table>\n");
        h
    }

    /// Renders the table in an evcxr (Jupyter) notebook cell.
    pub fn evcxr_display(&self) {
        println!(
            "EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT",
            self.to_html()
        );
    }
}

fn rate_hover(r: &Ratio) -> String {
    match r.wilson_interval() {
        Some((lo, hi)) => format!(
            "{}/{}; 95 % interval {:.1} % to {:.1} %",
            r.numerator,
            r.denominator,
            lo * 100.0,
            hi * 100.0
        ),
        None => format!("{}/{}", r.numerator, r.denominator),
    }
}

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl std::fmt::Display for Table {
    /// An aligned plain-text table: text left, numbers right.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::to_display).collect())
            .collect();
        let mut widths: Vec<usize> = self.columns.iter().map(|c| c.chars().count()).collect();
        for row in &cells {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |f: &mut std::fmt::Formatter<'_>, items: &[String], right: &[bool]| {
            let mut first = true;
            for ((item, w), r) in items.iter().zip(&widths).zip(right) {
                if !first {
                    f.write_str("  ")?;
                }
                first = false;
                if *r {
                    write!(f, "{item:>w$}")?;
                } else {
                    write!(f, "{item:<w$}")?;
                }
            }
            writeln!(f)
        };
        let header: Vec<String> = self.columns.iter().map(|c| (*c).to_owned()).collect();
        let left = vec![false; widths.len()];
        line(f, &header, &left)?;
        for (row, raw) in cells.iter().zip(&self.rows) {
            let right: Vec<bool> = raw
                .iter()
                .map(|c| !matches!(c, Cell::Text(_) | Cell::Empty))
                .collect();
            line(f, row, &right)?;
        }
        Ok(())
    }
}

fn relabel(e: Error, path: &Path) -> Error {
    match e {
        Error::Io { source, .. } => Error::io(path, source),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_shortest_round_trip() {
        assert_eq!(format_float(0.5), "0.5");
        assert_eq!(format_float(2.0 / 3.0), "0.6666666666666666");
        assert_eq!(format_float(10.0 / 60.0), "0.16666666666666666");
        assert_eq!(format_float(1.0), "1");
        assert_eq!(format_float(-0.0), "0");
        assert_eq!(format_float(1e-7), "0.0000001");
    }

    #[test]
    fn csv_and_json_agree() -> Result<()> {
        let mut t = Table::new(&["id", "n", "rate"]);
        t.push(vec!["a,b".into(), 3u64.into(), Cell::float(Some(0.25))]);
        t.push(vec!["c".into(), Cell::Empty, Cell::float(None)]);
        let mut csv = Vec::new();
        t.write_csv(&mut csv)?;
        assert_eq!(
            String::from_utf8_lossy(&csv),
            "id,n,rate\n\"a,b\",3,0.25\nc,,\n"
        );
        let mut json = Vec::new();
        t.write_json(&mut json)?;
        let v: Value =
            serde_json::from_slice(&json).map_err(|e| Error::invalid("json", e.to_string()))?;
        assert_eq!(v[1]["rate"], Value::Null);
        assert_eq!(v[0]["n"], Value::from(3));
        Ok(())
    }

    #[test]
    fn html_escapes_and_shows_intervals() {
        let mut t = Table::new(&["rep_id", "meeting_close_rate"]);
        t.push(vec![
            "<ana & \"co\">".into(),
            Ratio::proportion(10, 15).into(),
        ]);
        t.push(vec!["bob".into(), Ratio::proportion(0, 0).into()]);
        let h = t.to_html();
        assert!(h.contains("&lt;ana &amp; &quot;co&quot;&gt;"));
        assert!(h.contains(">66.7 %</td>"));
        assert!(h.contains("title=\"10/15; 95 % interval"));
        assert!(h.contains(">–</td>"));
        let text = t.to_string();
        assert!(text.contains("66.7 %"));
        let mut csv = Vec::new();
        assert!(t.write_csv(&mut csv).is_ok());
        assert!(String::from_utf8_lossy(&csv).contains("0.6666666666666666"));
    }
}

/// Writes `contact_classes.csv` (SPEC §11:
/// `contact_id,prospect,class,engagement`), streaming one row per contact in
/// contact id byte order. `prospect` is the cluster id; `engagement` is the
/// id of the contact that started the contact's engagement (empty outside
/// any engagement and for `customer` contacts).
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_contact_classes_csv<W: Write>(
    mut w: W,
    ledger: &crate::Ledger,
    classified: &crate::Classified,
) -> Result<()> {
    let io = |e: std::io::Error| Error::io("<csv output>", e);
    w.write_all(b"contact_id,prospect,class,engagement\n")
        .map_err(io)?;
    write_chunked(&mut w, ledger.contacts().len(), |range, buf| {
        let mut out = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(buf);
        for row in contact_class_rows_in(ledger, classified, range) {
            out.write_record([row.contact_id, row.prospect, row.class, row.engagement])
                .map_err(|e| io(std::io::Error::other(e)))?;
        }
        out.flush().map_err(io)
    })
    .map_err(|e| relabel(e, Path::new("<csv output>")))?;
    w.flush().map_err(io)
}

/// Writes the contact classes as a JSON array of objects with the columns of
/// [`write_contact_classes_csv`] (`engagement` is `null` when empty).
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_contact_classes_json<W: Write>(
    mut w: W,
    ledger: &crate::Ledger,
    classified: &crate::Classified,
) -> Result<()> {
    let io = |e: std::io::Error| Error::io("<json output>", e);
    let json = |e: serde_json::Error| io(std::io::Error::other(e));
    w.write_all(b"[").map_err(io)?;
    write_chunked(&mut w, ledger.contacts().len(), |range, buf| {
        let first = range.start == 0;
        for (k, row) in contact_class_rows_in(ledger, classified, range).enumerate() {
            buf.extend_from_slice(if first && k == 0 { b"\n  " } else { b",\n  " });
            buf.extend_from_slice(b"{\"contact_id\":");
            serde_json::to_writer(&mut *buf, row.contact_id).map_err(json)?;
            buf.extend_from_slice(b",\"prospect\":");
            serde_json::to_writer(&mut *buf, row.prospect).map_err(json)?;
            buf.extend_from_slice(b",\"class\":\"");
            buf.extend_from_slice(row.class.as_bytes());
            buf.extend_from_slice(b"\",\"engagement\":");
            if row.engagement.is_empty() {
                buf.extend_from_slice(b"null");
            } else {
                serde_json::to_writer(&mut *buf, row.engagement).map_err(json)?;
            }
            buf.push(b'}');
        }
        Ok(())
    })?;
    w.write_all(b"\n]\n").map_err(io)?;
    w.flush().map_err(io)
}

/// Formats `0..n` in chunks (in parallel with the `parallel` feature, a
/// bounded window at a time so memory stays flat) and writes the chunks in
/// order.
fn write_chunked<W: Write>(
    w: &mut W,
    n: usize,
    format: impl Fn(std::ops::Range<usize>, &mut Vec<u8>) -> Result<()> + Sync,
) -> Result<()> {
    const CHUNK: usize = 1 << 15;
    const WINDOW: usize = 16;
    let chunks: Vec<std::ops::Range<usize>> = (0..n.div_ceil(CHUNK))
        .map(|k| k * CHUNK..((k + 1) * CHUNK).min(n))
        .collect();
    for window in chunks.chunks(WINDOW) {
        let run = |r: &std::ops::Range<usize>| -> Result<Vec<u8>> {
            let mut buf = Vec::with_capacity(r.len() * 48);
            format(r.clone(), &mut buf)?;
            Ok(buf)
        };
        #[cfg(feature = "parallel")]
        let bufs: Vec<Result<Vec<u8>>> = {
            use rayon::prelude::*;
            window.par_iter().map(run).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let bufs: Vec<Result<Vec<u8>>> = window.iter().map(run).collect();
        for buf in bufs {
            w.write_all(&buf?).map_err(|e| Error::io("<output>", e))?;
        }
    }
    Ok(())
}

/// Writes `prospect_clusters.csv` (SPEC §11: `prospect_id,cluster_id`): every
/// accepted prospect record with the id of its cluster (the cluster's
/// smallest `prospect_id`), in record id byte order.
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_prospect_clusters_csv<W: Write>(w: W, ledger: &crate::Ledger) -> Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let io = |e: csv::Error| Error::io("<csv output>", std::io::Error::other(e));
    out.write_record(["prospect_id", "cluster_id"])
        .map_err(io)?;
    for (i, r) in ledger.records().iter().enumerate() {
        let cluster = ledger
            .record_prospect(i as u32)
            .map_or("", |p| ledger.prospect_id(p));
        out.write_record([r.prospect_id, cluster]).map_err(io)?;
    }
    out.flush().map_err(|e| Error::io("<csv output>", e))
}

/// Columns of `contact_classes.csv`.
pub const CONTACT_CLASS_COLUMNS: [&str; 4] = ["contact_id", "prospect", "class", "engagement"];

/// One row of `contact_classes.csv`, borrowed from the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactClassRow<'a> {
    /// The contact.
    pub contact_id: &'a str,
    /// Its prospect's cluster id.
    pub prospect: &'a str,
    /// Its class (`new`, `follow_up`, `reactivated`, `customer`).
    pub class: &'static str,
    /// The id of the contact that started its engagement, or empty.
    pub engagement: &'a str,
}

/// Rows of `contact_classes.csv`, in contact id byte order.
pub fn contact_class_rows<'a>(
    ledger: &'a crate::Ledger,
    classified: &'a crate::Classified,
) -> impl Iterator<Item = ContactClassRow<'a>> + 'a {
    contact_class_rows_in(ledger, classified, 0..ledger.contacts().len())
}

/// Rows of `contact_classes.csv` for the contact indices `range`.
fn contact_class_rows_in<'a>(
    ledger: &'a crate::Ledger,
    classified: &'a crate::Classified,
    range: std::ops::Range<usize>,
) -> impl Iterator<Item = ContactClassRow<'a>> + 'a {
    let contacts = ledger.contacts().get(range.clone()).unwrap_or(&[]);
    contacts.iter().zip(range).map(move |(c, i)| {
        let i = i as u32;
        let class = classified.class(i);
        let engagement = match class {
            Some(crate::ContactClass::Customer) | None => "",
            Some(_) => classified
                .contact_engagement(i)
                .and_then(|g| classified.engagement(g))
                .map_or("", |g| ledger.contact_id(g.start_contact)),
        };
        ContactClassRow {
            contact_id: ledger.contact_id(i),
            prospect: ledger.prospect_id(c.prospect),
            class: class.map_or("", crate::ContactClass::as_str),
            engagement,
        }
    })
}
