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
/// let f = Finding::new(
///     "hollow_contacts",
///     "florin",
///     "2026-03",
///     "In 2026-03 florin logged 27 of 111 contacts ...",
///     vec!["c00412".into(), "c00398".into()],
/// );
/// assert_eq!(f.evidence_text(), "c00398 c00412"); // sorted, space-separated
/// assert_eq!((f.score, f.p_value, f.q_value), (1.0, 0.0, 0.0)); // a fact, not a test
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
    /// The one-sided p-value of the evidence: how likely evidence this
    /// strong would be for an honest rep ([`Rule`](super::Rule)); 0 for a
    /// finding that is a fact rather than a test.
    #[serde(default)]
    pub p_value: f64,
    /// The Benjamini–Hochberg q-value over every test of the run: the
    /// smallest false discovery rate at which this finding would stand.
    #[serde(default)]
    pub q_value: f64,
}

impl Finding {
    /// A finding of `detector` about `rep_id` in `period`, with score 1 and
    /// p- and q-value 0 — a fact, as a detector that does not test states
    /// it; [`Rule::conclude`](super::Rule::conclude) sets all three for a
    /// tested one.
    pub fn new(
        detector: &str,
        rep_id: &str,
        period: &str,
        explanation: impl Into<String>,
        evidence: Vec<String>,
    ) -> Finding {
        Finding {
            detector: detector.to_owned(),
            rep_id: rep_id.to_owned(),
            period: period.to_owned(),
            score: 1.0,
            explanation: explanation.into(),
            evidence,
            p_value: 0.0,
            q_value: 0.0,
        }
    }

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

/// What one detector returns: how many rep-periods it tested, the
/// findings that may stand (each with its `p_value`; the run keeps those
/// whose q-value over all its tests is within the false discovery rate),
/// and notes on what it could not test.
///
/// [`Rule::conclude`](super::Rule::conclude) builds it from judged
/// rep-periods; a detector that states facts rather than testing returns
/// its findings `.into()` one (each a test with p-value 0).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tested {
    /// Rep-periods tested (each a hypothesis of the run's false discovery
    /// control, whether or not it could become a finding).
    pub tests: usize,
    /// Findings that may stand, with their p-values.
    pub candidates: Vec<Finding>,
    /// Sentences on what could not be tested and why (periods too short
    /// for the detector's minimum data, …).
    pub notes: Vec<String>,
}

impl Tested {
    /// This with a note when the detector judged no rep-period of a ledger
    /// that has contacts: what each needs (`needs`), and that the periods
    /// (`DetectConfig::periods`) may be too short for it — so an empty
    /// list of findings is not read as a clean bill.
    pub(crate) fn or_untested(
        mut self,
        ctx: &super::DetectContext<'_>,
        detector: &str,
        needs: String,
    ) -> Tested {
        if self.tests == 0 && !ctx.ledger().contacts().is_empty() {
            self.notes.push(format!(
                "{detector} judged no rep-period: each needs {needs}, and no rep had that in any period (periods too short for it?)."
            ));
        }
        self
    }
}

impl From<Vec<Finding>> for Tested {
    fn from(candidates: Vec<Finding>) -> Self {
        Tested {
            tests: candidates.len(),
            candidates,
            notes: Vec::new(),
        }
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
/// let list = Findings::from(vec![Finding::new(
///     "repeat_touch",
///     "<dan>",
///     "2026-03",
///     "dan contacted one prospect 4 times within 24 h",
///     vec!["c3".into(), "c1".into(), "c2".into(), "c4".into()],
/// )]);
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
pub struct Findings {
    list: Vec<Finding>,
    tests: usize,
    notes: Vec<String>,
}

impl From<Vec<Finding>> for Findings {
    /// The findings in the order given ([`detect`](super::detect) sorts),
    /// each a test.
    fn from(list: Vec<Finding>) -> Self {
        Self {
            tests: list.len(),
            list,
            notes: Vec::new(),
        }
    }
}

impl FromIterator<Finding> for Findings {
    fn from_iter<I: IntoIterator<Item = Finding>>(iter: I) -> Self {
        Self::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl std::ops::Deref for Findings {
    type Target = [Finding];
    fn deref(&self) -> &[Finding] {
        &self.list
    }
}

impl IntoIterator for Findings {
    type Item = Finding;
    type IntoIter = std::vec::IntoIter<Finding>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.into_iter()
    }
}

impl<'a> IntoIterator for &'a Findings {
    type Item = &'a Finding;
    type IntoIter = std::slice::Iter<'a, Finding>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
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

    /// The run's findings with its count of tests and its notes.
    pub(crate) fn with_tests(list: Vec<Finding>, tests: usize, notes: Vec<String>) -> Self {
        Self { list, tests, notes }
    }

    /// How many rep-periods the run tested: the `m` of its false discovery
    /// control.
    pub fn tests(&self) -> usize {
        self.tests
    }

    /// Sentences on what the run's detectors could not test and why
    /// (periods too short for a detector's minimum data, …): an empty list
    /// of findings with notes is not a clean bill.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The findings as a plain list.
    pub fn into_vec(self) -> Vec<Finding> {
        self.list
    }

    /// The SPEC §11 table:
    /// `detector,rep_id,period,score,explanation,evidence`, in this order.
    pub fn table(&self) -> Table {
        let mut t = Table::new(&Self::COLUMNS);
        for f in &self.list {
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
        for (row, f) in t.rows.iter_mut().zip(&self.list) {
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
        match self.list.len() {
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
        for finding in &self.list {
            writeln!(f, "  {finding}")?;
        }
        for note in &self.notes {
            writeln!(f, "  note: {note}")?;
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
