//! [`Table`]: the one text form of every result (SPEC §11): CSV and JSON
//! writers with the same columns, rates as shortest round-trip decimals,
//! undefined rates and absent values as empty cells (JSON `null`).

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

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
        }
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
    w: W,
    ledger: &crate::Ledger,
    classified: &crate::Classified,
) -> Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let io = |e: csv::Error| Error::io("<csv output>", std::io::Error::other(e));
    out.write_record(CONTACT_CLASS_COLUMNS).map_err(io)?;
    for row in contact_class_rows(ledger, classified) {
        out.write_record([row.contact_id, row.prospect, row.class, row.engagement])
            .map_err(io)?;
    }
    out.flush().map_err(|e| Error::io("<csv output>", e))
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
    w.write_all(b"[").map_err(io)?;
    for (i, row) in contact_class_rows(ledger, classified).enumerate() {
        if i > 0 {
            w.write_all(b",").map_err(io)?;
        }
        let engagement = if row.engagement.is_empty() {
            Value::Null
        } else {
            Value::from(row.engagement)
        };
        let obj = serde_json::json!({
            "contact_id": row.contact_id,
            "prospect": row.prospect,
            "class": row.class,
            "engagement": engagement,
        });
        w.write_all(b"\n  ").map_err(io)?;
        serde_json::to_writer(&mut w, &obj).map_err(|e| io(std::io::Error::other(e)))?;
    }
    w.write_all(b"\n]\n").map_err(io)?;
    w.flush().map_err(io)
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
    ledger.contacts().iter().enumerate().map(move |(i, c)| {
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
