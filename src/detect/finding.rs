//! A finding and the sorted list [`detect`](super::detect) returns, with
//! its SPEC §11 table and writers.

use std::cmp::Ordering;
use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::table::{Cell, Table};

/// One place where a rep's numbers look gamed (SPEC §9).
///
/// # Example
/// ```
/// use sales_metrics::detect::Finding;
///
/// let f = Finding {
///     detector: "hollow_contacts".into(),
///     rep_id: "florin".into(),
///     period: "2026-03".into(),
///     score: 0.93,
///     explanation: "In 2026-03 florin logged 27 of 111 contacts ...".into(),
///     evidence: vec!["c00412".into(), "c00398".into()],
/// };
/// assert_eq!(f.evidence_text(), "c00398 c00412"); // sorted, space-separated
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The detector's name (`quota_bunching`, …).
    pub detector: String,
    /// The rep.
    pub rep_id: String,
    /// The period label (`2026-06`).
    pub period: String,
    /// How strong the evidence is, in [0, 1].
    pub score: f64,
    /// One sentence with the figures behind the finding.
    pub explanation: String,
    /// Ids of the records that support it (contacts, meetings, sales or
    /// prospect records).
    pub evidence: Vec<String>,
}

impl Finding {
    /// The evidence as SPEC §11 writes it: ids in byte order, separated by
    /// single spaces.
    pub fn evidence_text(&self) -> String {
        let mut ids: Vec<&str> = self.evidence.iter().map(String::as_str).collect();
        ids.sort_unstable();
        ids.join(" ")
    }

    pub(super) fn order(&self, other: &Self) -> Ordering {
        self.detector
            .cmp(&other.detector)
            .then_with(|| self.rep_id.cmp(&other.rep_id))
            .then_with(|| self.period.cmp(&other.period))
            .then_with(|| other.score.total_cmp(&self.score))
            .then_with(|| self.explanation.cmp(&other.explanation))
            .then_with(|| self.evidence.cmp(&other.evidence))
    }
}

impl std::fmt::Display for Finding {
    /// `hollow_contacts · florin · 2026-03 · score 0.93: explanation (27
    /// records)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} · {} · {} · score {:.2}: {} ({} record{})",
            self.detector,
            self.rep_id,
            self.period,
            self.score,
            self.explanation,
            self.evidence.len(),
            if self.evidence.len() == 1 { "" } else { "s" }
        )
    }
}

/// The findings of a [`detect`](super::detect) run, sorted by detector,
/// rep id and period, then by descending score: a slice of [`Finding`]s
/// (through `Deref`) that writes itself as SPEC §11 `findings.csv` or JSON,
/// shows as an aligned text table, HTML and a notebook display (with long
/// evidence lists shortened to their count and first ids; [`Findings::table`]
/// and `findings.csv` keep them whole), and gives typed columns
/// ([`Findings::to_frame`]).
///
/// ```
/// use sales_metrics::detect::{Finding, Findings};
///
/// let list = Findings::from(vec![Finding {
///     detector: "repeat_touch".into(),
///     rep_id: "<dan>".into(),
///     period: "2026-03".into(),
///     score: 0.75,
///     explanation: "dan contacted one prospect 4 times within 24 h".into(),
///     evidence: vec!["c3".into(), "c1".into(), "c2".into(), "c4".into()],
/// }]);
/// assert_eq!(list.len(), 1);
/// assert!(list.to_string().starts_with("1 finding\n"));
/// assert!(list.to_html().contains("&lt;dan&gt;"));
/// assert!(list.to_html().contains("4 records: c1 c2 c3 c4"));
/// let mut csv = Vec::new();
/// list.write_csv(&mut csv)?;
/// assert!(String::from_utf8(csv)?.starts_with("detector,rep_id,period,score,explanation,evidence\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Findings(Vec<Finding>);

impl From<Vec<Finding>> for Findings {
    /// The findings in the order given ([`detect`](super::detect) sorts).
    fn from(list: Vec<Finding>) -> Self {
        Self(list)
    }
}

impl FromIterator<Finding> for Findings {
    fn from_iter<I: IntoIterator<Item = Finding>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl std::ops::Deref for Findings {
    type Target = [Finding];
    fn deref(&self) -> &[Finding] {
        &self.0
    }
}

impl IntoIterator for Findings {
    type Item = Finding;
    type IntoIter = std::vec::IntoIter<Finding>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Findings {
    type Item = &'a Finding;
    type IntoIter = std::slice::Iter<'a, Finding>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Findings {
    /// Columns of [`Findings::table`] (SPEC §11 `findings.csv`).
    pub const COLUMNS: [&'static str; 6] = [
        "detector",
        "rep_id",
        "period",
        "score",
        "explanation",
        "evidence",
    ];

    /// Evidence ids shown before "…" in the display table.
    const SHOWN_IDS: usize = 6;

    /// The findings as a plain list.
    pub fn into_vec(self) -> Vec<Finding> {
        self.0
    }

    /// The SPEC §11 table:
    /// `detector,rep_id,period,score,explanation,evidence`, in this order.
    pub fn table(&self) -> Table {
        let mut t = Table::new(&Self::COLUMNS);
        for f in &self.0 {
            t.push(vec![
                f.detector.as_str().into(),
                f.rep_id.as_str().into(),
                f.period.as_str().into(),
                Cell::float(Some(f.score)),
                f.explanation.as_str().into(),
                f.evidence_text().into(),
            ]);
        }
        t
    }

    /// Writes `findings.csv` (SPEC §11) to `w`.
    ///
    /// # Errors
    /// [`Error::Write`](crate::Error::Write) when writing fails.
    pub fn write_csv<W: Write>(&self, w: W) -> Result<()> {
        self.table().write_csv(w)
    }

    /// Writes the findings as a JSON array of objects with the same fields
    /// as `findings.csv`.
    ///
    /// # Errors
    /// [`Error::Write`](crate::Error::Write) when writing fails.
    pub fn write_json<W: Write>(&self, w: W) -> Result<()> {
        self.table().write_json(w)
    }

    /// The table people read: evidence as its count and first ids.
    pub fn display_table(&self) -> Table {
        let mut t = self.table();
        for (row, f) in t.rows.iter_mut().zip(&self.0) {
            let mut ids: Vec<&str> = f.evidence.iter().map(String::as_str).collect();
            ids.sort_unstable();
            let mut shown = ids
                .iter()
                .take(Self::SHOWN_IDS)
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            if ids.len() > Self::SHOWN_IDS {
                shown.push_str(" …");
            }
            let n = ids.len();
            let text = format!("{n} record{}: {shown}", if n == 1 { "" } else { "s" });
            if let Some(cell) = row.last_mut() {
                *cell = text.into();
            }
        }
        t
    }

    fn caption(&self) -> String {
        match self.0.len() {
            0 => "No findings".to_owned(),
            1 => "1 finding".to_owned(),
            n => format!("{n} findings"),
        }
    }

    /// The findings as an HTML table with a caption.
    pub fn to_html(&self) -> String {
        self.display_table().to_html_captioned(&self.caption())
    }

    /// Renders the findings as a table in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        crate::table::evcxr_show(
            &self
                .display_table()
                .html(Some(&self.caption()), Some(Table::NOTEBOOK_ROWS)),
            &self.to_string(),
        );
    }
}

impl std::fmt::Display for Findings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.caption())?;
        for finding in &self.0 {
            writeln!(f, "  {finding}")?;
        }
        Ok(())
    }
}

impl Findings {
    /// The findings as typed columns ([`Frame`](crate::report::Frame)): the
    /// columns of `findings.csv`, text, `score` as a float, `evidence` as
    /// space-separated ids.
    pub fn to_frame(&self) -> crate::report::Frame {
        use crate::report::{ColumnType, Frame};
        let types = [
            ColumnType::Utf8,
            ColumnType::Utf8,
            ColumnType::Utf8,
            ColumnType::Float64,
            ColumnType::Utf8,
            ColumnType::Utf8,
        ];
        let table = self.table();
        Frame::from_table_typed(&table, &types).unwrap_or_else(|_| Frame::from_table(&table))
    }
}
