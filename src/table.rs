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
    /// A fraction that is not a ratio of counts (a survival probability, a
    /// band's end): written like [`Cell::Float`], shown as a percentage.
    Share(f64),
}

impl Cell {
    /// A float cell, or empty when `None` or not finite.
    pub fn float(v: Option<f64>) -> Cell {
        match v {
            Some(v) if v.is_finite() => Cell::Float(v),
            _ => Cell::Empty,
        }
    }

    /// A share cell, or empty when `None` or not finite.
    pub fn share(v: Option<f64>) -> Cell {
        match v {
            Some(v) if v.is_finite() => Cell::Share(v),
            _ => Cell::Empty,
        }
    }

    /// The CSV text of the cell.
    pub fn to_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) | Cell::Share(f) => format_float(*f),
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
            Cell::Share(f) => format!("{:.1} %", f * 100.0),
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
            Cell::Float(f) | Cell::Share(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            Cell::Rate(r) => r
                .value()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number),
        }
    }
}

/// A table row as a JSON object.
struct JsonRow<'a> {
    /// Column names and their cell index, in key order.
    keys: &'a [(&'a str, usize)],
    cells: &'a [Cell],
}

impl serde::Serialize for JsonRow<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let present = || {
            self.keys
                .iter()
                .filter_map(|&(k, i)| Some((k, self.cells.get(i)?)))
        };
        let mut m = s.serialize_map(Some(present().count()))?;
        for (k, cell) in present() {
            match cell {
                // Integers of any size as JSON numbers, exactly: sums of
                // amounts or durations can exceed 64 bits.
                Cell::Int(i) => m.serialize_entry(k, i)?,
                other => m.serialize_entry(k, &other.to_json())?,
            }
        }
        m.end()
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
pub(crate) fn format_float(v: f64) -> String {
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
    /// [`Error::Write`] when writing fails ([`Error::in_file`] names the
    /// file).
    pub fn write_csv<W: Write>(&self, w: W) -> Result<()> {
        let mut out = csv::Writer::from_writer(w);
        let io = |e: csv::Error| Error::write("table CSV", e);
        out.write_record(&self.columns).map_err(io)?;
        let mut record = Vec::with_capacity(self.columns.len());
        for row in &self.rows {
            record.clear();
            record.extend(row.iter().map(Cell::to_text));
            out.write_record(&record).map_err(io)?;
        }
        out.flush().map_err(|e| Error::write("table CSV", e))
    }

    /// Writes the table as a JSON array of objects (one per row, keys in
    /// column order).
    ///
    /// # Errors
    /// [`Error::Write`] when writing fails ([`Error::in_file`] names the
    /// file).
    pub fn write_json<W: Write>(&self, w: W) -> Result<()> {
        // Keys in the order (and with the collapsing of repeated names) of
        // a JSON object map, as rows were always written.
        let mut order = Map::new();
        for (i, c) in self.columns.iter().enumerate() {
            order.insert((*c).to_owned(), Value::from(i));
        }
        let keys: Vec<(&str, usize)> = order
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), usize::try_from(v.as_u64()?).ok()?)))
            .collect();
        let rows: Vec<JsonRow<'_>> = self
            .rows
            .iter()
            .map(|cells| JsonRow { keys: &keys, cells })
            .collect();
        serde_json::to_writer_pretty(w, &rows).map_err(|e| Error::write("table JSON", e))
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
            .map_err(|e| e.in_file(&csv_path))?;
        let f = std::fs::File::create(&json_path).map_err(|e| Error::io(&json_path, e))?;
        let mut w = std::io::BufWriter::new(f);
        self.write_json(&mut w).map_err(|e| e.in_file(&json_path))?;
        w.flush().map_err(|e| Error::io(&json_path, e))
    }
}

impl Table {
    /// The table as plain HTML (`<table>` with a header row), every text
    /// escaped. Rates show as percentages with their counts on a second,
    /// smaller line; hovering shows numerator, denominator and the 95 %
    /// Wilson interval. Headers carry a sort mark (the table itself is
    /// plain HTML, no script).
    ///
    /// ```
    /// use sales_metrics::Table;
    /// use sales_metrics::Ratio;
    ///
    /// let mut t = Table::new(&["rep_id", "meeting_close_rate"]);
    /// t.push(vec!["<ana>".into(), Ratio::proportion(10, 15).into()]);
    /// let html = t.to_html();
    /// assert!(html.contains("&lt;ana&gt;"));
    /// assert!(html.contains("66.7 %"));
    /// assert!(html.contains("10/15"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_html(&self) -> String {
        self.html(None, None)
    }

    /// [`Table::to_html`] with a caption above the table.
    pub fn to_html_captioned(&self, caption: &str) -> String {
        self.html(Some(caption), None)
    }

    /// The HTML of the table with an optional caption, showing at most
    /// `max_rows` rows (the first and the last ones, with a row saying how
    /// many were left out, and a footer with the table's size).
    pub fn html(&self, caption: Option<&str>, max_rows: Option<usize>) -> String {
        let numeric = self.numeric_columns();
        let mut h = String::from(
            "<table class=\"sales-metrics\" style=\"border-collapse:collapse;font-variant-numeric:tabular-nums\">\n",
        );
        if let Some(caption) = caption {
            h.push_str("<caption style=\"caption-side:top;text-align:left;font-weight:bold;padding:2px 8px\">");
            h.push_str(&escape_html(caption));
            h.push_str("</caption>\n");
        }
        h.push_str("<thead><tr>");
        for (c, right) in self.columns.iter().zip(&numeric) {
            h.push_str("<th style=\"border-bottom:1px solid #999;padding:2px 8px;vertical-align:bottom;text-align:");
            h.push_str(if *right { "right" } else { "left" });
            h.push_str("\" title=\"");
            h.push_str(&escape_html(c));
            h.push_str("\">");
            // Long names may wrap after an underscore, so narrow numbers
            // keep narrow columns.
            h.push_str(&escape_html(c).replace('_', "_<wbr>"));
            h.push_str("&nbsp;<span style=\"color:#999\">&#x21C5;</span></th>");
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        let n = self.rows.len();
        let (head, tail) = match max_rows {
            Some(max) if n > max => {
                let tail = (max / 4).max(1).min(max);
                (max - tail, tail)
            }
            _ => (n, 0),
        };
        for row in self.rows.iter().take(head) {
            html_row(&mut h, row);
        }
        if head + tail < n {
            h.push_str("<tr><td colspan=\"");
            h.push_str(&self.columns.len().max(1).to_string());
            h.push_str("\" style=\"padding:2px 8px;text-align:center;color:#777\">… ");
            h.push_str(&(n - head - tail).to_string());
            h.push_str(" more rows …</td></tr>\n");
            for row in self.rows.iter().skip(n - tail) {
                html_row(&mut h, row);
            }
        }
        h.push_str("</tbody></table>\n");
        if head + tail < n {
            h.push_str(&format!(
                "<p style=\"color:#777;margin:2px 8px\">{n} rows × {} columns</p>\n",
                self.columns.len()
            ));
        }
        h
    }

    /// Renders the table in an evcxr (Jupyter) notebook cell (at most
    /// [`Table::NOTEBOOK_ROWS`] rows; [`Table::to_html`] has them all).
    pub fn evcxr_display(&self) {
        evcxr_show(
            &self.html(None, Some(Self::NOTEBOOK_ROWS)),
            &self.to_string(),
        );
    }

    /// Rows shown by the notebook display before it elides the middle.
    pub const NOTEBOOK_ROWS: usize = 60;

    /// Per column: whether it holds numbers (aligned right), judged by its
    /// first non-empty cell.
    fn numeric_columns(&self) -> Vec<bool> {
        (0..self.columns.len())
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .find(|c| !matches!(c, Cell::Empty))
                    .is_some_and(|c| !matches!(c, Cell::Text(_)))
            })
            .collect()
    }
}

/// Prints one evcxr rich output: `html`, with `plain` as the text
/// alternative (evcxr collects the blocks of a cell into one output by
/// MIME type; Jupyter shows the HTML, the terminal REPL the text).
pub(crate) fn evcxr_show(html: &str, plain: &str) {
    println!(
        "EVCXR_BEGIN_CONTENT text/html\n{html}\nEVCXR_END_CONTENT\n\
         EVCXR_BEGIN_CONTENT text/plain\n{}\nEVCXR_END_CONTENT",
        plain.trim_end()
    );
}

fn html_row(h: &mut String, row: &[Cell]) {
    h.push_str("<tr>");
    for cell in row {
        let align = match cell {
            Cell::Text(_) | Cell::Empty => "left",
            _ => "right",
        };
        h.push_str("<td style=\"padding:2px 8px;vertical-align:top;text-align:");
        h.push_str(align);
        h.push('"');
        if let Cell::Rate(r) = cell {
            h.push_str(" title=\"");
            h.push_str(&escape_html(&rate_hover(r)));
            h.push('"');
        }
        h.push('>');
        h.push_str(&escape_html(&cell.to_display()));
        if let Cell::Rate(r) = cell {
            h.push_str("<br><small style=\"color:#777\">");
            h.push_str(&r.numerator.to_string());
            h.push('/');
            h.push_str(&r.denominator.to_string());
            h.push_str("</small>");
        }
        h.push_str("</td>");
    }
    h.push_str("</tr>\n");
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
pub(crate) fn escape_html(s: &str) -> String {
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
            let mut text = String::new();
            for (k, ((item, w), r)) in items.iter().zip(&widths).zip(right).enumerate() {
                if k > 0 {
                    text.push_str("  ");
                }
                if *r {
                    text.push_str(&format!("{item:>w$}"));
                } else {
                    text.push_str(&format!("{item:<w$}"));
                }
            }
            // No padding after the last column.
            writeln!(f, "{}", text.trim_end())
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

/// Appends `field` as a CSV field, quoted only when it must be (it holds a
/// comma, a quote or a line break), as the `csv` crate writes it.
pub(crate) fn push_csv_field(buf: &mut Vec<u8>, field: &str) {
    let bytes = field.as_bytes();
    if needs_quotes(bytes) {
        buf.push(b'"');
        for &b in bytes {
            if b == b'"' {
                buf.push(b'"');
            }
            buf.push(b);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(bytes);
    }
}

/// Whether a CSV field must be quoted: it holds a comma, a quote or a line
/// break. Eight bytes at a time (every field of the large tables is
/// checked, most are ids of a dozen bytes or more).
fn needs_quotes(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // Whether a byte of `word` is `b` (exact: a byte of `x` is zero).
    let has = |word: u64, b: u8| {
        let x = word ^ (ONES * u64::from(b));
        x.wrapping_sub(ONES) & !x & HIGHS != 0
    };
    let mut words = bytes.chunks_exact(8);
    for chunk in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        if has(word, b',') | has(word, b'"') | has(word, b'\r') | has(word, b'\n') {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

/// Appends `text` as a JSON string, escaped as `serde_json` escapes it
/// (`\"`, `\\`, the short escapes of control characters, `\u00XX` for
/// the others), without its per-call error path.
pub(crate) fn push_json_str(buf: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf.push(b'"');
    let bytes = text.as_bytes();
    let mut clean = 0;
    for (k, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..0x20 => b"",
            _ => continue,
        };
        buf.extend_from_slice(bytes.get(clean..k).unwrap_or_default());
        clean = k + 1;
        if escape.is_empty() {
            #[allow(clippy::indexing_slicing)] // both nibbles are below 16.
            buf.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            buf.extend_from_slice(escape);
        }
    }
    buf.extend_from_slice(bytes.get(clean..).unwrap_or_default());
    buf.push(b'"');
}

/// Formats `0..n` in chunks (in parallel with the `parallel` feature, a
/// bounded window at a time so memory stays flat) and writes the chunks in
/// order; with `parallel`, the next window is formatted while this one is
/// written.
pub(crate) fn write_chunked<W: Write>(
    w: &mut W,
    what: &str,
    n: usize,
    format: impl Fn(std::ops::Range<usize>, &mut Vec<u8>) -> Result<()> + Sync,
) -> Result<()> {
    const CHUNK: usize = 1 << 15;
    const WINDOW: usize = 16;
    let chunks: Vec<std::ops::Range<usize>> = (0..n.div_ceil(CHUNK))
        .map(|k| k * CHUNK..((k + 1) * CHUNK).min(n))
        .collect();
    // Buffers are reused from window to window (at most two windows are
    // alive), so formatting does not fault in fresh pages each time.
    let run = |(r, mut buf): (&std::ops::Range<usize>, Vec<u8>)| -> Result<Vec<u8>> {
        buf.clear();
        buf.reserve(r.len() * 48);
        format(r.clone(), &mut buf)?;
        Ok(buf)
    };
    let mut spare: Vec<Vec<u8>> = Vec::new();
    let mut write = |bufs: Vec<Result<Vec<u8>>>, spare: &mut Vec<Vec<u8>>| -> Result<()> {
        for buf in bufs {
            let buf = buf?;
            w.write_all(&buf).map_err(|e| Error::write(what, e))?;
            spare.push(buf);
        }
        Ok(())
    };
    let take = |spare: &mut Vec<Vec<u8>>, n: usize| -> Vec<Vec<u8>> {
        (0..n).map(|_| spare.pop().unwrap_or_default()).collect()
    };
    let format_window = |window: &[std::ops::Range<usize>],
                         bufs: Vec<Vec<u8>>|
     -> Vec<Result<Vec<u8>>> { crate::par::map_zip(window, bufs, run) };
    let mut windows = chunks.chunks(WINDOW);
    let mut current = windows
        .next()
        .map(|w| format_window(w, take(&mut spare, w.len())));
    while let Some(bufs) = current.take() {
        let upcoming = windows.next();
        let fresh = upcoming.map(|w| take(&mut spare, w.len()));
        // The next window is formatted while this one is written.
        let (next, written) = crate::par::overlap(
            || {
                upcoming
                    .zip(fresh)
                    .map(|(window, fresh)| format_window(window, fresh))
            },
            || write(bufs, &mut spare),
        );
        written?;
        current = next;
    }
    Ok(())
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
    fn html_preview_elides_the_middle() {
        let mut t = Table::new(&["n"]);
        for i in 0..100u64 {
            t.push(vec![i.into()]);
        }
        let h = t.html(Some("<numbers>"), Some(20));
        assert!(h.contains("<caption"));
        assert!(h.contains("&lt;numbers&gt;"));
        assert!(h.contains(">14</td>"));
        assert!(!h.contains(">15</td>"));
        assert!(h.contains("… 80 more rows …"));
        assert!(h.contains(">95</td>") && h.contains(">99</td>"));
        assert!(!h.contains(">94</td>"));
        assert!(h.contains("100 rows × 1 columns"));
        let full = t.to_html();
        assert!(full.contains(">50</td>") && !full.contains("more rows"));
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
        assert!(h.contains(">66.7 %<br><small style=\"color:#777\">10/15</small></td>"));
        assert!(h.contains("title=\"10/15; 95 % interval"));
        assert!(h.contains(">–<br><small style=\"color:#777\">0/0</small></td>"));
        assert!(h.contains(
            "<th style=\"border-bottom:1px solid #999;padding:2px 8px;vertical-align:bottom;text-align:right\" \
             title=\"meeting_close_rate\">meeting_<wbr>close_<wbr>rate&nbsp;"
        ));
        let text = t.to_string();
        assert!(text.contains("66.7 %"));
        let mut csv = Vec::new();
        assert!(t.write_csv(&mut csv).is_ok());
        assert!(String::from_utf8_lossy(&csv).contains("0.6666666666666666"));
    }

    proptest::proptest! {
        #[test]
        fn json_strings_are_escaped_as_serde_json_escapes_them(text in "[a-c\"\\\\\u{0}-\u{1f}\u{7f}é€😀]{0,8}") {
            let mut ours = Vec::new();
            push_json_str(&mut ours, &text);
            let theirs = serde_json::to_string(&text).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            proptest::prop_assert_eq!(String::from_utf8_lossy(&ours), theirs);
        }

        #[test]
        fn csv_fields_are_written_as_the_csv_crate_writes_them(
            fields in proptest::collection::vec("[a-c ,\"\r\n]{0,4}|[a-c]{0,12}[ ,\"\r\n]?[a-c]{0,12}", 2..5),
        ) {
            let mut ours = Vec::new();
            for (k, f) in fields.iter().enumerate() {
                if k > 0 {
                    ours.push(b',');
                }
                push_csv_field(&mut ours, f);
            }
            ours.push(b'\n');
            let mut theirs = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
            theirs.write_record(&fields).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let theirs = theirs.into_inner().map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            proptest::prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
        }
    }
}
