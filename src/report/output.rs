//! The contact classes of a classified ledger (`contact_classes.csv` and
//! its JSON twin): writers and displays of [`Classified`].

use std::io::Write;

use crate::classify::Classified;
use crate::error::{Error, Result};
use crate::table::{Table, evcxr_show};

/// Names `contact_classes.csv` output in [`Error::Write`].
const CONTACT_CLASSES_CSV: &str = "contact classes CSV";
/// Names `contact_classes.json` output in [`Error::Write`].
const CONTACT_CLASSES_JSON: &str = "contact classes JSON";

/// The contact classes table (`contact_classes.csv`, SPEC §11:
/// `contact_id,prospect,class,engagement`): one row per contact in contact
/// id byte order; `prospect` is the cluster id; `engagement` is the id of
/// the contact that started the contact's engagement (empty outside any
/// engagement and for `customer` contacts).
///
/// The CSV and JSON writers stream without building the table; `Display`
/// shows it as an aligned text table under an `N contacts` caption.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use sales_metrics::{classify, Channel, ClassifyConfig, Contact, LedgerBuilder, ProspectRecord, Rep};
///
/// let t = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
/// let mut b = LedgerBuilder::new();
/// b.add_rep(Rep::new("ana"));
/// b.add_prospect(ProspectRecord::new("p1"));
/// b.add_contact(Contact::new("c1", "ana", "p1", t, Channel::Phone));
/// let ledger = b.build()?;
/// let classified = classify(&ledger, &ClassifyConfig::default());
/// let mut out = Vec::new();
/// classified.write_classes_csv(&mut out)?;
/// assert_eq!(String::from_utf8(out)?, "contact_id,prospect,class,engagement\nc1,p1,new,c1\n");
/// assert_eq!(classified.classes_table().rows.len(), 1);
/// assert!(classified.to_string().starts_with("1 contact\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Classified<'_> {
    /// Columns of [`Classified::classes_table`], as in `contact_classes.csv`.
    pub const CLASS_COLUMNS: [&'static str; 4] = ["contact_id", "prospect", "class", "engagement"];

    /// Writes `contact_classes.csv`, streaming one row per contact.
    ///
    /// # Errors
    /// [`Error::Write`] when writing fails ([`Error::in_file`] names the file).
    pub fn write_classes_csv<W: Write>(&self, mut w: W) -> Result<()> {
        let ledger = self.ledger();
        let io = |e: std::io::Error| Error::write(CONTACT_CLASSES_CSV, e);
        w.write_all(b"contact_id,prospect,class,engagement\n")
            .map_err(io)?;
        let rows = ContactClassRows::new(ledger, self);
        let n = ledger.contacts().len();
        crate::table::write_chunked(&mut w, CONTACT_CLASSES_CSV, n, |range, buf| {
            for row in rows.range(range) {
                crate::table::push_csv_field(buf, row.contact_id);
                buf.push(b',');
                crate::table::push_csv_field(buf, row.prospect);
                buf.push(b',');
                buf.extend_from_slice(row.class.as_bytes());
                buf.push(b',');
                crate::table::push_csv_field(buf, row.engagement);
                buf.push(b'\n');
            }
            Ok(())
        })?;
        w.flush().map_err(io)
    }

    /// Writes the contact classes (`contact_classes.json`) as a JSON array
    /// of objects with the columns of [`Classified::write_classes_csv`]
    /// (`engagement` is `null` when empty), streaming.
    ///
    /// # Errors
    /// [`Error::Write`] when writing fails ([`Error::in_file`] names the file).
    pub fn write_classes_json<W: Write>(&self, mut w: W) -> Result<()> {
        let ledger = self.ledger();
        let io = |e: std::io::Error| Error::write(CONTACT_CLASSES_JSON, e);
        let json = |e: serde_json::Error| io(std::io::Error::other(e));
        w.write_all(b"[").map_err(io)?;
        let rows = ContactClassRows::new(ledger, self);
        let n = ledger.contacts().len();
        crate::table::write_chunked(&mut w, CONTACT_CLASSES_JSON, n, |range, buf| {
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

    /// The contact classes as a table (`contact_classes.csv`'s rows, one per
    /// contact).
    pub fn classes_table(&self) -> Table {
        let ledger = self.ledger();
        let rows = ContactClassRows::new(ledger, self);
        let mut t = Table::new(&Self::CLASS_COLUMNS);
        for row in rows.range(0..ledger.contacts().len()) {
            t.push(vec![
                row.contact_id.into(),
                row.prospect.into(),
                row.class.into(),
                row.engagement.into(),
            ]);
        }
        t
    }

    /// `N contacts`, the caption of the contact classes table.
    fn classes_caption(&self) -> String {
        match self.ledger().contacts().len() {
            1 => "1 contact".to_owned(),
            n => format!("{n} contacts"),
        }
    }

    /// The contact classes table as HTML, with a caption.
    pub fn to_html(&self) -> String {
        self.classes_table()
            .to_html_captioned(&self.classes_caption())
    }

    /// Renders the contact classes table in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        evcxr_show(
            &self
                .classes_table()
                .html(Some(&self.classes_caption()), Some(Table::NOTEBOOK_ROWS)),
            &self.to_string(),
        );
    }
}

/// The contact classes table under its caption (as
/// [`Classified::to_html`], in text).
impl std::fmt::Display for Classified<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.classes_caption())?;
        write!(f, "{}", self.classes_table())
    }
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
            prospect_ids: ledger.cluster_ids(),
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
