//! The contact classes of a classified ledger (`contact_classes.csv` and
//! its JSON twin): writers and displays of [`Classified`].

use std::io::Write;

use crate::classify::Classified;
use crate::error::{Error, Result};
use crate::intern::{push_len, read_len};
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
        let rows = ContactClassRows::new(ledger, self, Encoding::Csv);
        let n = ledger.contacts().len();
        crate::table::write_chunked(&mut w, CONTACT_CLASSES_CSV, n, |range, buf| {
            let mut scratch = Vec::new();
            for batch in batches(range) {
                std::hint::black_box(rows.touch(batch.clone()));
                for i in batch {
                    crate::table::push_csv_field(buf, ledger.contact_id(i as u32));
                    buf.push(b',');
                    let (class, prospect, engagement) = rows.fields(i, &mut scratch);
                    buf.extend_from_slice(prospect);
                    buf.push(b',');
                    buf.extend_from_slice(class.as_bytes());
                    buf.push(b',');
                    buf.extend_from_slice(engagement);
                    buf.push(b'\n');
                }
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
        w.write_all(b"[").map_err(io)?;
        let rows = ContactClassRows::new(ledger, self, Encoding::Json);
        let n = ledger.contacts().len();
        crate::table::write_chunked(&mut w, CONTACT_CLASSES_JSON, n, |range, buf| {
            let mut scratch = Vec::new();
            for batch in batches(range) {
                std::hint::black_box(rows.touch(batch.clone()));
                for i in batch {
                    buf.extend_from_slice(if i == 0 { b"\n  " } else { b",\n  " });
                    buf.extend_from_slice(b"{\"contact_id\":");
                    crate::table::push_json_str(buf, ledger.contact_id(i as u32));
                    buf.extend_from_slice(b",\"prospect\":");
                    let (class, prospect, engagement) = rows.fields(i, &mut scratch);
                    buf.extend_from_slice(prospect);
                    buf.extend_from_slice(b",\"class\":\"");
                    buf.extend_from_slice(class.as_bytes());
                    buf.extend_from_slice(b"\",\"engagement\":");
                    buf.extend_from_slice(engagement);
                    buf.push(b'}');
                }
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
        let rows = ContactClassRows::new(ledger, self, Encoding::Text);
        let mut t = Table::new(&Self::CLASS_COLUMNS);
        let mut scratch = Vec::new();
        for i in 0..ledger.contacts().len() {
            let (class, prospect, engagement) = rows.fields(i, &mut scratch);
            t.push(vec![
                ledger.contact_id(i as u32).into(),
                String::from_utf8_lossy(prospect).as_ref().into(),
                class.into(),
                String::from_utf8_lossy(engagement).as_ref().into(),
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

/// `rows` in batches of [`ContactClassRows::touch`]'s size: small enough
/// that the records touched are still in the first-level cache when their
/// rows are formatted.
fn batches(rows: std::ops::Range<usize>) -> impl Iterator<Item = std::ops::Range<usize>> {
    const BATCH: usize = 128;
    let end = rows.end;
    rows.step_by(BATCH).map(move |a| a..(a + BATCH).min(end))
}

/// How [`ContactClassRows`] stores the `prospect` and `engagement` fields:
/// already as CSV fields, as JSON values, or as plain text (for
/// [`Classified::classes_table`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Csv,
    Json,
    Text,
}

impl Encoding {
    /// Appends `text` as a field.
    fn push(self, buf: &mut Vec<u8>, text: &str) {
        match self {
            Encoding::Csv => crate::table::push_csv_field(buf, text),
            Encoding::Json => crate::table::push_json_str(buf, text),
            Encoding::Text => buf.extend_from_slice(text.as_bytes()),
        }
    }

    /// Appends the `engagement` field: empty in CSV and text, `null` in
    /// JSON when there is none.
    fn push_engagement(self, buf: &mut Vec<u8>, text: &str) {
        if self == Encoding::Json && text.is_empty() {
            buf.extend_from_slice(b"null");
        } else {
            self.push(buf, text);
        }
    }
}

/// What the rows of `contact_classes.csv` read, laid out for writing them
/// in contact order.
///
/// A row's `prospect` and `engagement` are the texts of other ids (the
/// prospect's cluster id, the engagement's first contact id), which lie
/// at random places in memory when ids are not in byte order (time-ordered
/// exports): reading them per row stalls on two or four cache misses. They
/// are the same for every contact of a run of one prospect's contacts with
/// the same engagement start (a *group*), so each group's two fields are
/// encoded once, walking the events in order, into one buffer of records
/// (`len prospect len engagement`, lengths as LEB128), in event order. Each
/// contact keeps its class and the offset of its group's record in one
/// entry: a row then reads its own id and entry in order and one short
/// record elsewhere, with no quoting to decide.
struct ContactClassRows<'a> {
    ledger: &'a crate::Ledger,
    encoding: Encoding,
    /// Per contact: its class and the offset of its group's record in
    /// `records` (none for a contact without a contact event, which the
    /// ledger never has).
    entries: Entries,
    /// The group records.
    records: Vec<u8>,
}

/// Each contact's entry: its group record's offset shifted left by
/// [`CLASS_BITS`], then its class index ([`NO_CLASS`] for none); all ones
/// for a contact without a group. One entry, so that the walk storing them
/// by contact (at random places) stores once per contact. 32 bits while
/// the records take less than 512 MiB (always, in practice), else 64.
enum Entries {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

/// Bits of an entry that hold the class.
const CLASS_BITS: u32 = 3;
/// The class code of a contact without a class.
const NO_CLASS: u64 = 4;

impl Entries {
    /// The group record's offset and the class of contact `i`.
    fn get(&self, i: usize) -> (Option<usize>, Option<crate::ContactClass>) {
        let entry = match self {
            Entries::Narrow(v) => v.get(i).filter(|&&e| e != u32::MAX).map(|&e| u64::from(e)),
            Entries::Wide(v) => v.get(i).filter(|&&e| e != u64::MAX).copied(),
        };
        let Some(entry) = entry else {
            return (None, None);
        };
        let class = usize::try_from(entry & ((1 << CLASS_BITS) - 1))
            .ok()
            .and_then(|k| crate::ContactClass::ALL.get(k).copied());
        (usize::try_from(entry >> CLASS_BITS).ok(), class)
    }

    /// An entry's value.
    fn pack(offset: usize, class: Option<crate::ContactClass>) -> u64 {
        let code = class.map_or(NO_CLASS, |c| c.index() as u64);
        ((offset as u64) << CLASS_BITS) | code
    }
}

/// One contact event, as the group walk sees it.
struct GroupStep {
    /// The contact's index.
    contact: usize,
    /// Its class.
    class: Option<crate::ContactClass>,
    /// Its prospect.
    prospect: u32,
    /// The contact that started its engagement (`NONE` for none and for
    /// customer contacts, whose rows name none).
    start: u32,
    /// Whether it begins a new group (its prospect's first contact, or a
    /// start other than the previous contact's).
    new_group: bool,
}

/// Prospects per chunk of the group walk (one task each).
const GROUP_CHUNK: usize = 1 << 12;

impl<'a> ContactClassRows<'a> {
    fn new(ledger: &'a crate::Ledger, classified: &'a Classified, encoding: Encoding) -> Self {
        let offsets = ledger.event_offsets();
        let prospects = offsets.len().saturating_sub(1);
        let chunks: Vec<std::ops::Range<usize>> = (0..prospects.div_ceil(GROUP_CHUNK))
            .map(|k| k * GROUP_CHUNK..((k + 1) * GROUP_CHUNK).min(prospects))
            .collect();
        let parts = crate::par::map(&chunks, |r| {
            group_records(ledger, classified, encoding, r.clone())
        });
        let (records, starts) = concat(parts);
        let total = records.len();
        let work: Vec<(std::ops::Range<usize>, usize)> = chunks.into_iter().zip(starts).collect();
        let contacts = ledger.contacts().len();
        // Offsets below `total` shifted by the class bits: no entry is all
        // ones (the class code never is).
        let entries = if total < 1 << (32 - CLASS_BITS) {
            Entries::Narrow(scatter_groups(
                ledger,
                classified,
                &records,
                &work,
                contacts,
                |e| u32::try_from(e).unwrap_or(u32::MAX),
            ))
        } else {
            Entries::Wide(scatter_groups(
                ledger,
                classified,
                &records,
                &work,
                contacts,
                |e| e,
            ))
        };
        Self {
            ledger,
            encoding,
            entries,
            records,
        }
    }

    /// Reads the group records of the contacts in `rows` in a loop of its
    /// own, before their rows are formatted: the records lie at random
    /// places, and read here their cache misses overlap instead of
    /// stalling each row in turn. Returns a byte that depends on the reads
    /// (for [`std::hint::black_box`], so that they are not left out).
    fn touch(&self, rows: std::ops::Range<usize>) -> u8 {
        let mut seen = 0u8;
        for i in rows {
            if let (Some(at), _) = self.entries.get(i) {
                // A record may span two cache lines.
                let first = self.records.get(at).copied().unwrap_or(0);
                let later = self.records.get(at + 32).copied().unwrap_or(0);
                seen ^= first ^ later;
            }
        }
        seen
    }

    /// The class text and the encoded `prospect` and `engagement` fields
    /// of contact `i`; for a contact without a group (none in a built
    /// ledger), the fields are encoded in `scratch`.
    fn fields<'s>(
        &'s self,
        i: usize,
        scratch: &'s mut Vec<u8>,
    ) -> (&'static str, &'s [u8], &'s [u8]) {
        let (at, class) = self.entries.get(i);
        let class = class.map_or("", |c| c.as_str());
        if let Some((prospect, engagement)) = at.and_then(|at| read_record(&self.records, at)) {
            return (class, prospect, engagement);
        }
        scratch.clear();
        let prospect = self
            .ledger
            .contacts()
            .get(i)
            .map_or("", |c| self.ledger.prospect_id(c.prospect));
        self.encoding.push(scratch, prospect);
        let split = scratch.len();
        self.encoding.push_engagement(scratch, "");
        let (prospect, engagement) = scratch.split_at(split);
        (class, prospect, engagement)
    }
}

/// `parts` one after the other, and where each starts. Copied on every
/// thread (the copy is mostly the kernel handing out fresh pages, which
/// both cores can do), each part freed as soon as it is copied: the
/// records are the writer's largest table, and holding every part until
/// the end would hold it twice.
fn concat(parts: Vec<Vec<u8>>) -> (Vec<u8>, Vec<usize>) {
    let total: usize = parts.iter().map(Vec::len).sum();
    let mut starts = Vec::with_capacity(parts.len());
    // Zeroed by the system: a page is only resident once a part is copied
    // into it.
    let mut records = vec![0u8; total];
    let mut places = Vec::with_capacity(parts.len());
    let mut rest = records.as_mut_slice();
    for part in parts {
        starts.push(total - rest.len());
        let (place, tail) = rest.split_at_mut(part.len().min(rest.len()));
        places.push((place, part));
        rest = tail;
    }
    crate::par::for_each_owned(places, |(place, part)| {
        // Equal lengths: `total` is their sum.
        place
            .iter_mut()
            .zip(&part)
            .for_each(|(to, from)| *to = *from);
    });
    (records, starts)
}

/// Walks the contact events of `prospects` in event order.
fn walk_groups(
    ledger: &crate::Ledger,
    classified: &Classified,
    prospects: std::ops::Range<usize>,
    mut step: impl FnMut(GroupStep),
) {
    let offsets = ledger.event_offsets();
    let events = ledger.events();
    for p in prospects {
        let (Some(&a), Some(&b)) = (offsets.get(p), offsets.get(p + 1)) else {
            continue;
        };
        let Some(slice) = events.get(a as usize..b as usize) else {
            continue;
        };
        let mut previous = None;
        for (k, e) in slice.iter().enumerate() {
            if e.kind != crate::ledger::EventKind::Contact {
                continue;
            }
            let pos = a as usize + k;
            let class = classified.event_class(pos);
            let start = match class {
                Some(crate::ContactClass::Customer) | None => None,
                Some(_) => classified
                    .event_engagement(pos)
                    .and_then(|g| classified.engagement(g))
                    .map(|g| g.start_contact),
            }
            .unwrap_or(crate::ledger::NONE);
            let new_group = previous != Some(start);
            previous = Some(start);
            step(GroupStep {
                contact: e.index as usize,
                class,
                prospect: p as u32,
                start,
                new_group,
            });
        }
    }
}

/// The group records of `prospects`, in event order.
fn group_records(
    ledger: &crate::Ledger,
    classified: &Classified,
    encoding: Encoding,
    prospects: std::ops::Range<usize>,
) -> Vec<u8> {
    let mut groups: Vec<(u32, u32)> = Vec::new();
    walk_groups(ledger, classified, prospects, |s| {
        if s.new_group {
            groups.push((s.prospect, s.start));
        }
    });
    // The start contacts' ids lie at random places in memory: looked up
    // in a loop of their own, their cache misses overlap instead of
    // stalling the encoding one at a time.
    let starts: Vec<&str> = groups
        .iter()
        .map(|&(_, s)| {
            if s == crate::ledger::NONE {
                ""
            } else {
                ledger.contact_id(s)
            }
        })
        .collect();
    let mut out = Vec::new();
    let mut field = Vec::new();
    // The prospect's field, encoded once per prospect.
    let mut prospect_field: (Option<u32>, Vec<u8>) = (None, Vec::new());
    for (&(prospect, _), start) in groups.iter().zip(starts) {
        if prospect_field.0 != Some(prospect) {
            prospect_field.1.clear();
            encoding.push(&mut prospect_field.1, ledger.prospect_id(prospect));
            prospect_field.0 = Some(prospect);
        }
        push_len(&mut out, prospect_field.1.len());
        out.extend_from_slice(&prospect_field.1);
        field.clear();
        encoding.push_engagement(&mut field, start);
        push_len(&mut out, field.len());
        out.extend_from_slice(&field);
    }
    out
}

/// Per contact, its [`Entries`] entry (made a `T` by `entry`), for the
/// chunks of `work` (prospects and the offset of their records), walked as
/// [`group_records`] walked them.
fn scatter_groups<T: Atomic>(
    ledger: &crate::Ledger,
    classified: &Classified,
    records: &[u8],
    work: &[(std::ops::Range<usize>, usize)],
    contacts: usize,
    entry: impl Fn(u64) -> T + Sync + Send,
) -> Vec<T> {
    let at: Vec<T::Cell> = (0..contacts).map(|_| T::cell(T::NONE)).collect();
    // Each contact event is stored once, at its own contact: the chunks
    // write disjoint slots (relaxed atomic stores are plain stores).
    crate::par::for_each_chunk_indexed(work, 1, |(_, chunk)| {
        let Some((prospects, first)) = chunk.first() else {
            return;
        };
        let mut next = *first;
        let mut current = next;
        walk_groups(ledger, classified, prospects.clone(), |s| {
            if s.new_group {
                current = next;
                next = record_end(records, next).unwrap_or(next);
            }
            if let Some(slot) = at.get(s.contact) {
                T::store(slot, entry(Entries::pack(current, s.class)));
            }
        });
    });
    at.into_iter().map(T::into_inner).collect()
}

/// The offsets [`scatter_groups`] stores: `u32` or `u64`, through their
/// atomic cells.
trait Atomic: Sized {
    type Cell: Send + Sync;
    const NONE: Self;
    fn cell(v: Self) -> Self::Cell;
    fn store(cell: &Self::Cell, v: Self);
    fn into_inner(cell: Self::Cell) -> Self;
}

/// [`Atomic`] for an unsigned integer through its atomic cell type.
macro_rules! atomic_offset {
    ($int:ty, $cell:ty) => {
        impl Atomic for $int {
            type Cell = $cell;
            const NONE: Self = <$int>::MAX;
            fn cell(v: Self) -> Self::Cell {
                Self::Cell::new(v)
            }
            fn store(cell: &Self::Cell, v: Self) {
                cell.store(v, std::sync::atomic::Ordering::Relaxed);
            }
            fn into_inner(cell: Self::Cell) -> Self {
                cell.into_inner()
            }
        }
    };
}

atomic_offset!(u32, std::sync::atomic::AtomicU32);
atomic_offset!(u64, std::sync::atomic::AtomicU64);

/// The two fields of the record at `at`.
fn read_record(records: &[u8], at: usize) -> Option<(&[u8], &[u8])> {
    let mut pos = at;
    let len = read_len(records, &mut pos)?;
    let prospect = records.get(pos..pos.checked_add(len)?)?;
    pos += len;
    let len = read_len(records, &mut pos)?;
    let engagement = records.get(pos..pos.checked_add(len)?)?;
    Some((prospect, engagement))
}

/// Where the record at `at` ends.
fn record_end(records: &[u8], at: usize) -> Option<usize> {
    let mut pos = at;
    let len = read_len(records, &mut pos)?;
    pos = pos.checked_add(len)?;
    let len = read_len(records, &mut pos)?;
    pos.checked_add(len)
}
