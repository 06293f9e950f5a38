//! Writers of the tables tied to a ledger: `contact_classes.csv` (and its
//! JSON twin), `prospect_clusters.csv`, and the [`Rejections`] view.

use std::io::Write;

use crate::classify::Classified;
use crate::error::{Error, Rejection, Result};
use crate::table::{Table, evcxr_show};

/// Writes `contact_classes.csv` (SPEC §11:
/// `contact_id,prospect,class,engagement`), streaming one row per contact in
/// contact id byte order. `prospect` is the cluster id; `engagement` is the
/// id of the contact that started the contact's engagement (empty outside
/// any engagement and for `customer` contacts).
///
/// # Errors
/// [`Error::Write`] when writing fails ([`Error::in_file`] names the file).
pub fn write_contact_classes_csv<W: Write>(mut w: W, classified: &Classified<'_>) -> Result<()> {
    let ledger = classified.ledger();
    let io = |e: std::io::Error| Error::write(CONTACT_CLASSES_CSV, e);
    w.write_all(b"contact_id,prospect,class,engagement\n")
        .map_err(io)?;
    let rows = ContactClassRows::new(ledger, classified);
    let n = ledger.contacts().len();
    write_chunked(&mut w, CONTACT_CLASSES_CSV, n, |range, buf| {
        for row in rows.range(range) {
            push_csv_field(buf, row.contact_id);
            buf.push(b',');
            push_csv_field(buf, row.prospect);
            buf.push(b',');
            buf.extend_from_slice(row.class.as_bytes());
            buf.push(b',');
            push_csv_field(buf, row.engagement);
            buf.push(b'\n');
        }
        Ok(())
    })?;
    w.flush().map_err(io)
}

/// Names `contact_classes.csv` output in [`Error::Write`].
const CONTACT_CLASSES_CSV: &str = "contact classes CSV";
/// Names `contact_classes.json` output in [`Error::Write`].
const CONTACT_CLASSES_JSON: &str = "contact classes JSON";
/// Names `prospect_clusters.csv` output in [`Error::Write`].
const PROSPECT_CLUSTERS_CSV: &str = "prospect clusters CSV";

/// Writes the contact classes as a JSON array of objects with the columns of
/// [`write_contact_classes_csv`] (`engagement` is `null` when empty).
///
/// # Errors
/// [`Error::Write`] when writing fails ([`Error::in_file`] names the file).
pub fn write_contact_classes_json<W: Write>(mut w: W, classified: &Classified<'_>) -> Result<()> {
    let ledger = classified.ledger();
    let io = |e: std::io::Error| Error::write(CONTACT_CLASSES_JSON, e);
    let json = |e: serde_json::Error| io(std::io::Error::other(e));
    w.write_all(b"[").map_err(io)?;
    let rows = ContactClassRows::new(ledger, classified);
    let n = ledger.contacts().len();
    write_chunked(&mut w, CONTACT_CLASSES_JSON, n, |range, buf| {
        let first = range.start == 0;
        for (k, row) in rows.range(range).enumerate() {
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

/// Appends `field` as a CSV field, quoted only when it must be (it holds a
/// comma, a quote or a line break), as the `csv` crate writes it.
fn push_csv_field(buf: &mut Vec<u8>, field: &str) {
    let bytes = field.as_bytes();
    if bytes
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
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

/// Formats `0..n` in chunks (in parallel with the `parallel` feature, a
/// bounded window at a time so memory stays flat) and writes the chunks in
/// order; with `parallel`, the next window is formatted while this one is
/// written.
fn write_chunked<W: Write>(
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

/// Writes `prospect_clusters.csv` (SPEC §11: `prospect_id,cluster_id`): every
/// accepted prospect record with the id of its cluster (the cluster's
/// smallest `prospect_id`), in record id byte order.
///
/// # Errors
/// [`Error::Write`] when writing fails ([`Error::in_file`] names the file).
pub fn write_prospect_clusters_csv<W: Write>(mut w: W, ledger: &crate::Ledger) -> Result<()> {
    let io = |e: std::io::Error| Error::write(PROSPECT_CLUSTERS_CSV, e);
    w.write_all(b"prospect_id,cluster_id\n").map_err(io)?;
    let records = ledger.records();
    let cluster_ids = cluster_ids(ledger);
    let n = records.len();
    write_chunked(&mut w, PROSPECT_CLUSTERS_CSV, n, |range, buf| {
        for i in range {
            let Some(id) = records.prospect_id(i) else {
                continue;
            };
            let Some(p) = ledger.record_prospect(i as u32) else {
                return Err(Error::invalid(
                    "prospect clusters",
                    format!("record {id} belongs to no prospect"),
                ));
            };
            #[allow(clippy::indexing_slicing)] // invariant: one cluster id per prospect.
            let cluster = cluster_ids[p as usize];
            push_csv_field(buf, id);
            buf.push(b',');
            push_csv_field(buf, cluster);
            buf.push(b'\n');
        }
        Ok(())
    })?;
    w.flush().map_err(io)
}

/// One row of `contact_classes.csv`, borrowed from the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ContactClassRow<'a> {
    /// The contact.
    contact_id: &'a str,
    /// Its prospect's cluster id.
    prospect: &'a str,
    /// Its class (`new`, `follow_up`, `reactivated`, `customer`).
    class: &'static str,
    /// The id of the contact that started its engagement, or empty.
    engagement: &'a str,
}

/// The cluster id of every prospect, in prospect order. Built in one pass
/// in that order, it spares the tables written per contact or record a
/// chain of look-ups (cluster, its first record, that record's id) that
/// misses the cache at each step when prospects come in another order.
fn cluster_ids(ledger: &crate::Ledger) -> Vec<&str> {
    crate::par::map_indices(ledger.prospect_count(), |p| ledger.prospect_id(p as u32))
}

/// What the rows of `contact_classes.csv` read, laid out in contact order.
///
/// The ledger keeps classes and engagements in event order (by prospect)
/// and cluster ids per prospect; read per contact, each is a cache miss at
/// millions of contacts. Walking the events in order and storing by
/// contact turns those reads into writes, which do not stall.
struct ContactClassRows<'a> {
    ledger: &'a crate::Ledger,
    /// The cluster id of each prospect.
    prospect_ids: Vec<&'a str>,
    /// Per contact: its class index (`NO_CLASS` for none).
    class: Vec<u8>,
    /// Per contact: the contact that started its engagement (`NONE` for
    /// none, and for customer contacts, whose rows name none).
    start: Vec<u32>,
}

const NO_CLASS: u8 = u8::MAX;

impl<'a> ContactClassRows<'a> {
    fn new(ledger: &'a crate::Ledger, classified: &'a crate::Classified) -> Self {
        use std::sync::atomic::Ordering::Relaxed;
        use std::sync::atomic::{AtomicU8, AtomicU32};
        const CHUNK: usize = 1 << 16;
        let contacts = ledger.contacts().len();
        let events = ledger.events();
        let class_at: Vec<AtomicU8> = (0..contacts).map(|_| AtomicU8::new(NO_CLASS)).collect();
        let start_at: Vec<AtomicU32> = (0..contacts)
            .map(|_| AtomicU32::new(crate::ledger::NONE))
            .collect();
        // Each contact event is stored once, at its own contact: the
        // chunks write disjoint slots (relaxed atomic stores are plain
        // stores).
        let scatter = |(k, chunk): (usize, &[crate::ledger::Event])| {
            for (j, e) in chunk.iter().enumerate() {
                if e.kind != crate::ledger::EventKind::Contact {
                    continue;
                }
                let pos = k * CHUNK + j;
                let class = classified.event_class(pos);
                let start = match class {
                    Some(crate::ContactClass::Customer) | None => None,
                    Some(_) => classified
                        .event_engagement(pos)
                        .and_then(|g| classified.engagement(g))
                        .map(|g| g.start_contact),
                };
                if let Some(slot) = class_at.get(e.index as usize) {
                    slot.store(class.map_or(NO_CLASS, |c| c.index() as u8), Relaxed);
                }
                if let (Some(slot), Some(start)) = (start_at.get(e.index as usize), start) {
                    slot.store(start, Relaxed);
                }
            }
        };
        crate::par::for_each_chunk_indexed(events, CHUNK, scatter);
        Self {
            ledger,
            prospect_ids: cluster_ids(ledger),
            class: class_at.into_iter().map(AtomicU8::into_inner).collect(),
            start: start_at.into_iter().map(AtomicU32::into_inner).collect(),
        }
    }

    /// The row of contact `i`.
    fn row(&self, i: usize) -> Option<ContactClassRow<'a>> {
        let ledger = self.ledger;
        let c = ledger.contacts().get(i)?;
        let class = self
            .class
            .get(i)
            .and_then(|&k| crate::ContactClass::ALL.get(usize::from(k)));
        let engagement = match self.start.get(i) {
            Some(&s) if s != crate::ledger::NONE => ledger.contact_id(s),
            _ => "",
        };
        Some(ContactClassRow {
            contact_id: ledger.contact_id(i as u32),
            #[allow(clippy::indexing_slicing)] // invariant: one cluster id per prospect.
            prospect: self.prospect_ids[c.prospect as usize],
            class: class.map_or("", |c| c.as_str()),
            engagement,
        })
    }

    /// The rows of the contacts in `range`.
    fn range(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = ContactClassRow<'a>> + '_ {
        range.filter_map(|i| self.row(i))
    }
}

/// Rejected input records (SPEC §3) as a result to look at: an aligned
/// text table, HTML and a notebook display, with the columns of
/// `rejections.csv` (`kind,row,id,field,reason`), sorted like it (by kind,
/// then row).
///
/// ```
/// use sales_metrics::report::Rejections;
/// use sales_metrics::{Reason, RecordKind, Rejection};
///
/// let list = [Rejection {
///     kind: RecordKind::Contact,
///     row: 7,
///     id: "c7".into(),
///     field: "occurred_at".into(),
///     reason: Reason::BadTime,
/// }];
/// let shown = Rejections(&list);
/// assert_eq!(
///     shown.to_string(),
///     "1 rejected record\n\
///      kind     row  id  field        reason\n\
///      contact    7  c7  occurred_at  bad_time\n"
/// );
/// assert!(shown.to_html().contains("<td style=\"padding:2px 8px;vertical-align:top;text-align:left\">bad_time</td>"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejections<'a>(pub &'a [Rejection]);

impl Rejections<'_> {
    /// Columns of [`Rejections::table`], as in `rejections.csv`.
    pub const COLUMNS: [&'static str; 5] = ["kind", "row", "id", "field", "reason"];

    /// The rejections as a table.
    pub fn table(&self) -> Table {
        let mut sorted: Vec<&Rejection> = self.0.iter().collect();
        sorted.sort();
        let mut t = Table::new(&Self::COLUMNS);
        for r in sorted {
            t.push(vec![
                r.kind.as_str().into(),
                r.row.into(),
                r.id.as_str().into(),
                r.field.as_str().into(),
                r.reason.as_str().into(),
            ]);
        }
        t
    }

    fn caption(&self) -> String {
        match self.0.len() {
            0 => "No rejected records".to_owned(),
            1 => "1 rejected record".to_owned(),
            n => format!("{n} rejected records"),
        }
    }

    /// The rejections as an HTML table.
    pub fn to_html(&self) -> String {
        self.table().to_html_captioned(&self.caption())
    }

    /// Renders the rejections as a table in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        evcxr_show(
            &self
                .table()
                .html(Some(&self.caption()), Some(Table::NOTEBOOK_ROWS)),
            &self.to_string(),
        );
    }
}

impl std::fmt::Display for Rejections<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.caption())?;
        if self.0.is_empty() {
            return Ok(());
        }
        write!(f, "{}", self.table())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn csv_fields_are_written_as_the_csv_crate_writes_them(
            fields in proptest::collection::vec("[a-c ,\"\r\n]{0,4}", 2..5),
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
