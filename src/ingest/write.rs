//! Writers of the canonical text forms: rejections (SPEC §3, [`Rejections`]) and records
//! (SPEC §2), which the readers read back to the same ledger.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::OutputFile;
use super::columns;
use super::parse::push_time_micros;
use crate::error::{Error, Rejection, Result};
use crate::model::{Channel, Direction, MeetingStatus, Outcome, RecordKind, Records, Source};
use crate::table::{Table, evcxr_show};
use crate::time::to_micros;

fn write_error(path: &Path, err: impl Into<std::io::Error>) -> Error {
    Error::io(path, err.into())
}

/// Rejections in output order ([`Rejection`]'s order).
fn sorted(rejections: &[Rejection]) -> Vec<&Rejection> {
    let mut v: Vec<&Rejection> = rejections.iter().collect();
    v.sort();
    v
}

/// Rejected input records (SPEC §3) as a result to look at: an aligned
/// text table, HTML and a notebook display, with the columns of
/// `rejections.csv` (`kind,row,id,field,reason`), sorted like it (by kind,
/// then row).
///
/// ```
/// use sales_metrics::ingest::Rejections;
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

    /// Writes the rejections as `rejections.csv` (SPEC §3): header
    /// `kind,row,id,field,reason`, rows sorted by kind text, then row.
    ///
    /// # Errors
    /// [`Error::Write`] when writing fails ([`Error::in_file`] names the file).
    ///
    /// # Example
    /// ```
    /// use sales_metrics::{ingest::Rejections, Reason, RecordKind, Rejection};
    ///
    /// let r = |kind, row, reason| Rejection {
    ///     kind, row, id: format!("x{row}"), field: "f".into(), reason,
    /// };
    /// let list = [
    ///     r(RecordKind::Sale, 1, Reason::UnknownRep),
    ///     r(RecordKind::Contact, 9, Reason::BadTime),
    ///     r(RecordKind::Contact, 2, Reason::DuplicateId),
    /// ];
    /// let mut out = Vec::new();
    /// Rejections(&list).write_csv(&mut out)?;
    /// assert_eq!(String::from_utf8(out)?, "kind,row,id,field,reason\n\
    ///     contact,2,x2,f,duplicate_id\ncontact,9,x9,f,bad_time\nsale,1,x1,f,unknown_rep\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_csv(&self, w: impl Write) -> Result<()> {
        let fail = |e: ::csv::Error| Error::write("rejections CSV", e);
        let mut out = ::csv::Writer::from_writer(w);
        out.write_record(["kind", "row", "id", "field", "reason"])
            .map_err(fail)?;
        for r in sorted(self.0) {
            let row = r.row.to_string();
            out.write_record([
                r.kind.as_str(),
                row.as_str(),
                r.id.as_str(),
                r.field.as_str(),
                r.reason.as_str(),
            ])
            .map_err(fail)?;
        }
        out.flush().map_err(|e| Error::write("rejections CSV", e))
    }

    /// Writes the rejections as a JSON array of objects with the fields of
    /// `rejections.csv`, in the same order, one per line.
    ///
    /// # Errors
    /// [`Error::Write`] when writing fails ([`Error::in_file`] names the file).
    ///
    /// # Example
    /// ```
    /// use sales_metrics::{ingest::Rejections, Reason, RecordKind, Rejection};
    ///
    /// let list = [Rejection {
    ///     kind: RecordKind::Contact, row: 3, id: "c3".into(),
    ///     field: "channel".into(), reason: Reason::UnknownEnum,
    /// }];
    /// let mut out = Vec::new();
    /// Rejections(&list).write_json(&mut out)?;
    /// assert_eq!(String::from_utf8(out)?, "[\n{\"kind\":\"contact\",\"row\":3,\"id\":\"c3\",\
    ///     \"field\":\"channel\",\"reason\":\"unknown_enum\"}\n]\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_json(&self, w: impl Write) -> Result<()> {
        let fail = |e| Error::write("rejections JSON", e);
        let mut w = w;
        write_json_array(&mut w, sorted(self.0)).map_err(fail)?;
        w.flush().map_err(fail)
    }

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

/// `[`, one compact item per line, `]`.
fn write_json_array<W: Write, T: Serialize>(
    w: &mut W,
    items: impl IntoIterator<Item = T>,
) -> std::io::Result<()> {
    w.write_all(b"[")?;
    let mut first = true;
    for item in items {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        serde_json::to_writer(&mut *w, &item)?;
    }
    w.write_all(if first { b"]\n" } else { b"\n]\n" })
}

fn time_text(t: DateTime<Utc>) -> String {
    let mut s = String::with_capacity(27);
    push_time_micros(&mut s, to_micros(t));
    s
}

fn opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(time_text).unwrap_or_default()
}

fn opt_int(n: Option<i64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

fn write_kind_csv(kind: RecordKind, path: &PathBuf, records: &Records) -> std::io::Result<()> {
    let file = File::create(path)?;
    let mut w = ::csv::Writer::from_writer(BufWriter::new(file));
    w.write_record(columns(kind).iter().map(|c| c.name))?;
    match kind {
        RecordKind::Rep => {
            for r in &records.reps {
                w.write_record([
                    r.rep_id.as_str(),
                    r.name.as_deref().unwrap_or(""),
                    r.team_id.as_ref().map_or("", |t| t.as_str()),
                    &opt_int(r.daily_contact_target),
                ])?;
            }
        }
        RecordKind::Prospect => {
            for p in &records.prospects {
                w.write_record([
                    p.prospect_id.as_str(),
                    p.name.as_deref().unwrap_or(""),
                    p.company.as_deref().unwrap_or(""),
                    p.email.as_deref().unwrap_or(""),
                    p.phone.as_deref().unwrap_or(""),
                    p.city.as_deref().unwrap_or(""),
                    p.country.as_deref().unwrap_or(""),
                    p.source.map_or("", Source::as_str),
                    &opt_time(p.created_at),
                    p.created_by.as_ref().map_or("", |r| r.as_str()),
                ])?;
            }
        }
        RecordKind::Contact => {
            for c in &records.contacts {
                w.write_record([
                    c.contact_id.as_str(),
                    c.rep_id.as_str(),
                    c.prospect_id.as_str(),
                    &time_text(c.occurred_at),
                    &opt_time(c.logged_at),
                    c.channel.as_str(),
                    c.direction.as_str(),
                    &opt_int(c.duration_s),
                    c.outcome.map_or("", Outcome::as_str),
                ])?;
            }
        }
        RecordKind::Meeting => {
            for m in &records.meetings {
                w.write_record([
                    m.meeting_id.as_str(),
                    m.rep_id.as_str(),
                    m.prospect_id.as_str(),
                    &time_text(m.held_at),
                    m.status.as_str(),
                ])?;
            }
        }
        RecordKind::Sale => {
            for s in &records.sales {
                w.write_record([
                    s.sale_id.as_str(),
                    s.rep_id.as_str(),
                    s.prospect_id.as_str(),
                    &time_text(s.closed_at),
                    &opt_int(s.amount_minor),
                    s.currency.as_deref().unwrap_or(""),
                ])?;
            }
        }
    }
    w.flush()
}

#[derive(Serialize)]
struct RepOut<'a> {
    rep_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    daily_contact_target: Option<i64>,
}

#[derive(Serialize)]
struct ProspectOut<'a> {
    prospect_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    company: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_by: Option<&'a str>,
}

#[derive(Serialize)]
struct ContactOut<'a> {
    contact_id: &'a str,
    rep_id: &'a str,
    prospect_id: &'a str,
    occurred_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    logged_at: Option<String>,
    channel: Channel,
    direction: Direction,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_s: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<Outcome>,
}

#[derive(Serialize)]
struct MeetingOut<'a> {
    meeting_id: &'a str,
    rep_id: &'a str,
    prospect_id: &'a str,
    held_at: String,
    status: MeetingStatus,
}

#[derive(Serialize)]
struct SaleOut<'a> {
    sale_id: &'a str,
    rep_id: &'a str,
    prospect_id: &'a str,
    closed_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_minor: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<&'a str>,
}

/// The SPEC §2 text forms of records, as the readers of [`crate::ingest`] read
/// them back.
impl Records {
    /// Writes the records as a SPEC §2 folder (what
    /// [`read_csv_folder`](crate::ingest::read_csv_folder) reads): `reps.csv`, `prospects.csv`,
    /// `contacts.csv`, `meetings.csv` and `sales.csv` in `dir` (created if
    /// needed), every column in SPEC order, absent values as empty cells,
    /// times in UTC with `Z` and a microsecond fraction only when non-zero.
    ///
    /// Reading the folder back gives the same ledger as adding `records`
    /// directly, except for what text cannot hold: an empty string reads back
    /// as absent, and instants outside the years 0000–9999 cannot be written
    /// in RFC 3339.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file when creating or writing fails.
    ///
    /// # Example
    /// ```
    /// use chrono::{DateTime, Utc};
    /// use sales_metrics::{load_folder, Channel, Contact, Mode, ProspectRecord, Records, Rep};
    ///
    /// let t: DateTime<Utc> = "2026-06-01T09:00:00Z".parse()?;
    /// let records = Records {
    ///     reps: vec![Rep::new("ana")],
    ///     prospects: vec![ProspectRecord::new("p1")],
    ///     contacts: vec![Contact::new("c1", "ana", "p1", t, Channel::Phone)],
    ///     ..Records::default()
    /// };
    /// let dir = std::env::temp_dir().join(format!("sm-write-doc-{}", std::process::id()));
    /// records.write_csv_folder(&dir)?;
    /// assert_eq!(
    ///     std::fs::read_to_string(dir.join("contacts.csv"))?,
    ///     "contact_id,rep_id,prospect_id,occurred_at,logged_at,channel,direction,duration_s,outcome\n\
    ///      c1,ana,p1,2026-06-01T09:00:00Z,,phone,outbound,,\n"
    /// );
    /// let ledger = load_folder(&dir, Mode::Strict)?;
    /// assert_eq!(ledger.accepted_count(sales_metrics::RecordKind::Contact), 1);
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_csv_folder(&self, dir: impl AsRef<Path>) -> Result<()> {
        let records = self;
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        for kind in RecordKind::ALL {
            let path = dir.join(kind.file_name());
            write_kind_csv(kind, &path, records).map_err(|e| write_error(&path, e))?;
        }
        Ok(())
    }

    /// Writes the records as one JSON document
    /// `{"reps":[…],"prospects":[…],"contacts":[…],"meetings":[…],"sales":[…]}`
    /// (one record per line; absent fields omitted; times as in
    /// [`Records::write_csv_folder`]), which [`read_json`](crate::ingest::read_json) reads back
    /// to the same ledger.
    ///
    /// # Errors
    /// [`Error::Write`] when writing fails ([`Error::in_file`] names the file).
    ///
    /// # Example
    /// ```
    /// use sales_metrics::{ingest, LedgerBuilder, Records, Rep};
    ///
    /// let records = Records { reps: vec![Rep::new("ana")], ..Records::default() };
    /// let mut out = Vec::new();
    /// records.write_json(&mut out)?;
    /// let mut b = LedgerBuilder::new();
    /// ingest::read_json(out.as_slice(), std::path::Path::new("records.json"), &mut b)?;
    /// assert_eq!(b.build()?.reps()[0].rep_id.as_str(), "ana");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_json(&self, w: impl Write) -> Result<()> {
        let records = self;
        let fail = |e| Error::write("records JSON", e);
        let mut w = w;
        write_document(&mut w, records).map_err(fail)?;
        w.flush().map_err(fail)
    }
}

fn write_document<W: Write>(w: &mut W, r: &Records) -> std::io::Result<()> {
    w.write_all(b"{\"reps\":")?;
    write_json_array(
        w,
        r.reps.iter().map(|r| RepOut {
            rep_id: r.rep_id.as_str(),
            name: r.name.as_deref(),
            team_id: r.team_id.as_ref().map(|t| t.as_str()),
            daily_contact_target: r.daily_contact_target,
        }),
    )?;
    w.write_all(b",\"prospects\":")?;
    write_json_array(
        w,
        r.prospects.iter().map(|p| ProspectOut {
            prospect_id: p.prospect_id.as_str(),
            name: p.name.as_deref(),
            company: p.company.as_deref(),
            email: p.email.as_deref(),
            phone: p.phone.as_deref(),
            city: p.city.as_deref(),
            country: p.country.as_deref(),
            source: p.source,
            created_at: p.created_at.map(time_text),
            created_by: p.created_by.as_ref().map(|r| r.as_str()),
        }),
    )?;
    w.write_all(b",\"contacts\":")?;
    write_json_array(
        w,
        r.contacts.iter().map(|c| ContactOut {
            contact_id: c.contact_id.as_str(),
            rep_id: c.rep_id.as_str(),
            prospect_id: c.prospect_id.as_str(),
            occurred_at: time_text(c.occurred_at),
            logged_at: c.logged_at.map(time_text),
            channel: c.channel,
            direction: c.direction,
            duration_s: c.duration_s,
            outcome: c.outcome,
        }),
    )?;
    w.write_all(b",\"meetings\":")?;
    write_json_array(
        w,
        r.meetings.iter().map(|m| MeetingOut {
            meeting_id: m.meeting_id.as_str(),
            rep_id: m.rep_id.as_str(),
            prospect_id: m.prospect_id.as_str(),
            held_at: time_text(m.held_at),
            status: m.status,
        }),
    )?;
    w.write_all(b",\"sales\":")?;
    write_json_array(
        w,
        r.sales.iter().map(|s| SaleOut {
            sale_id: s.sale_id.as_str(),
            rep_id: s.rep_id.as_str(),
            prospect_id: s.prospect_id.as_str(),
            closed_at: time_text(s.closed_at),
            amount_minor: s.amount_minor,
            currency: s.currency.as_deref(),
        }),
    )?;
    w.write_all(b"}\n")
}

/// A folder of output files replaced as a whole, so that it holds at every
/// instant either its previous content or the complete new one, never a
/// mix (a crash or a full disk included).
///
/// [`OutputDir::begin`] checks the folder, removes what killed runs left
/// behind and makes a hidden staging folder next to it
/// (`.NAME.sm-staging-PID-N`, in the same parent so that it is on the same
/// file system); [`OutputDir::write_file`] writes and syncs each file there;
/// [`OutputDir::commit`] waits for those syncs (which run in the
/// background, while the next files are written) and swaps the staging
/// folder with the target in one step (`renameat2(RENAME_EXCHANGE)` on Linux, its equivalent on Apple
/// systems) and then deletes the previous content. Where no such exchange
/// exists, and on file systems that refuse it, the target is renamed aside
/// (`.NAME.sm-old-PID-N`) and the staging folder renamed into its place:
/// between the two renames the target is briefly absent. An `OutputDir`
/// dropped without `commit` removes its staging folder and leaves the
/// target as it was.
///
/// Only files named in the `owned` list given to `begin` are ever written
/// or deleted: a target folder that holds anything else is refused before
/// anything is done. The swap replaces the folder itself (its permissions
/// are carried over); a symbolic link to it is followed, not replaced.
/// Concurrent runs into one folder are safe on Linux and Apple systems
/// (each staging folder is locked while in use; the last commit wins).
///
/// # Example
/// ```
/// use std::io::Write;
/// use sales_metrics::ingest::OutputDir;
///
/// let target = std::env::temp_dir().join(format!("sm-outdir-doc-{}", std::process::id()));
/// let owned = ["summary.csv", "error.txt"];
/// let mut out = OutputDir::begin(&target, &owned)?;
/// out.write_file("summary.csv", |w| {
///     w.write_all(b"rep_id,contacts\nana,3\n")
///         .map_err(|e| sales_metrics::Error::write("summary", e))
/// })?;
/// out.commit()?;
/// assert_eq!(std::fs::read_to_string(target.join("summary.csv"))?, "rep_id,contacts\nana,3\n");
///
/// // A second run that fails replaces the whole folder with its error.
/// let mut out = OutputDir::begin(&target, &owned)?;
/// out.write_file("error.txt", |w| {
///     w.write_all(b"contacts.csv: missing required column `rep_id`\n")
///         .map_err(|e| sales_metrics::Error::write("error", e))
/// })?;
/// out.commit()?;
/// assert!(!target.join("summary.csv").exists());
/// # std::fs::remove_dir_all(&target)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct OutputDir {
    /// The folder as the caller named it (for messages).
    shown: PathBuf,
    /// The folder, symbolic links resolved: what is swapped.
    target: PathBuf,
    /// The staging folder, a sibling of `target`.
    staging: PathBuf,
    /// Per-process suffix `PID-N` of the staging and old-folder names.
    suffix: String,
    /// File names this program may write and delete.
    owned: Vec<std::ffi::OsString>,
    /// The open staging folder, locked against cleanup by other runs.
    lock: Option<File>,
    /// The syncs of the files written, running in the background.
    syncing: Vec<Syncing>,
    committed: bool,
}

/// A staged file being synced to disk on a thread of its own.
#[derive(Debug)]
struct Syncing {
    path: PathBuf,
    done: std::thread::JoinHandle<std::io::Result<()>>,
}

impl Syncing {
    /// Waits for the sync; an error names the file.
    fn wait(self) -> Result<()> {
        match self.done.join() {
            Ok(synced) => synced.map_err(|e| Error::io(&self.path, e)),
            Err(_) => Err(Error::io(
                &self.path,
                std::io::Error::other("the thread syncing it panicked"),
            )),
        }
    }
}

/// Distinguishes the staging folders of one process.
static STAGING_SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl OutputDir {
    /// Prepares to replace the folder `target` (created with its parents if
    /// absent) with a new set of files, all named in `owned`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `target` exists and is not a folder
    /// or holds anything not named in `owned` (the message lists it), or
    /// when a name in `owned` is not a plain file name; [`Error::Io`]
    /// naming the folder when it cannot be read or the staging folder
    /// cannot be made.
    pub fn begin(target: impl AsRef<Path>, owned: &[&str]) -> Result<Self> {
        let shown = target.as_ref().to_path_buf();
        let owned: Vec<std::ffi::OsString> = owned.iter().map(|n| (*n).into()).collect();
        if let Some(bad) = owned.iter().find(|n| !is_plain_name(Path::new(n))) {
            return Err(Error::invalid(
                "output file name",
                format!("{bad:?} is not a plain file name"),
            ));
        }
        let target = resolve_target(&shown)?;
        refuse_foreign(&shown, &target, &owned)?;
        let (parent, name) = split_target(&target)?;
        remove_stale_siblings(&parent, &name, &owned);
        let suffix = format!(
            "{}-{}",
            std::process::id(),
            STAGING_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let staging = parent.join(sibling_name(&name, STAGING_TAG, &suffix));
        std::fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
        let lock = lock_dir(&staging);
        Ok(Self {
            shown,
            target,
            staging,
            suffix,
            owned,
            lock,
            syncing: Vec::new(),
            committed: false,
        })
    }

    /// The staging folder, where [`OutputDir::write_file`] writes.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// Creates `name` in the staging folder, lets `write` fill it (an
    /// [`OutputFile`]: large files go to the disk without passing through
    /// the page cache), then flushes it and starts syncing it to disk in
    /// the background (so that the disk works while the next file is
    /// formatted);
    /// [`OutputDir::commit`] waits for the sync.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `name` is not in the `owned` list;
    /// [`Error::Io`] naming the staged file when it cannot be created or
    /// written (an [`Error::Write`] from `write` is named with
    /// [`Error::in_file`]); any other error of `write` as is. A failed
    /// sync is reported by [`OutputDir::commit`].
    pub fn write_file(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut OutputFile) -> Result<()>,
    ) -> Result<()> {
        if !self.owned.iter().any(|n| n == name) {
            return Err(Error::invalid(
                "output file name",
                format!("{name:?} is not among the files this output folder may hold"),
            ));
        }
        let path = self.staging.join(name);
        let mut w = OutputFile::create(&path).map_err(|e| Error::io(&path, e))?;
        write(&mut w).map_err(|e| e.in_file(&path))?;
        let file = w.finish().map_err(|e| Error::io(&path, e))?;
        // Shared with the thread, so that the file is synced here should
        // the thread not start.
        let file = std::sync::Arc::new(file);
        let shared = std::sync::Arc::clone(&file);
        match std::thread::Builder::new()
            .name("sm-sync".into())
            .spawn(move || shared.sync_all())
        {
            Ok(done) => {
                self.syncing.push(Syncing { path, done });
                Ok(())
            }
            Err(_) => file.sync_all().map_err(|e| Error::io(&path, e)),
        }
    }

    /// Waits for every background sync; the first error, if any.
    fn wait_for_syncs(&mut self) -> Result<()> {
        let mut first = Ok(());
        for sync in self.syncing.drain(..) {
            let synced = sync.wait();
            if first.is_ok() {
                first = synced;
            }
        }
        first
    }

    /// Puts the staged files in place of the target folder's content in one
    /// step, then deletes the previous content.
    ///
    /// # Errors
    /// [`Error::Io`] naming a staged file that could not be synced, or the
    /// target when the swap fails; the target then keeps its previous
    /// content and the staging folder is removed.
    pub fn commit(mut self) -> Result<()> {
        self.wait_for_syncs()?;
        sync_dir(&self.staging);
        let (parent, name) = split_target(&self.target)?;
        let exists = std::fs::symlink_metadata(&self.target).is_ok();
        if exists {
            if let Ok(meta) = std::fs::metadata(&self.target) {
                // The new folder keeps the old one's permissions.
                let _ = std::fs::set_permissions(&self.staging, meta.permissions());
            }
            let old = parent.join(sibling_name(&name, OLD_TAG, &self.suffix));
            let previous = swap_dirs(&self.staging, &self.target, &old)
                .map_err(|e| Error::io(&self.shown, e))?;
            self.committed = true;
            sync_dir(&parent);
            clear_dir(&previous, &self.owned);
        } else {
            std::fs::rename(&self.staging, &self.target).map_err(|e| Error::io(&self.shown, e))?;
            self.committed = true;
            sync_dir(&parent);
        }
        self.lock = None;
        Ok(())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        // No file is deleted while a thread still syncs it.
        let _ = self.wait_for_syncs();
        if !self.committed {
            clear_dir(&self.staging, &self.owned);
        }
    }
}

const STAGING_TAG: &str = "sm-staging";
const OLD_TAG: &str = "sm-old";

/// `.NAME.TAG-SUFFIX`.
fn sibling_name(name: &std::ffi::OsStr, tag: &str, suffix: &str) -> std::ffi::OsString {
    let mut s = std::ffi::OsString::from(".");
    s.push(name);
    s.push(format!(".{tag}-{suffix}"));
    s
}

/// A name that stays inside its folder: one normal path component.
fn is_plain_name(name: &Path) -> bool {
    let mut parts = name.components();
    matches!(
        (parts.next(), parts.next()),
        (Some(std::path::Component::Normal(_)), None)
    )
}

/// The folder to swap: symbolic links and `.`/`..` resolved when it
/// exists; otherwise its parent is created and resolved.
fn resolve_target(shown: &Path) -> Result<PathBuf> {
    match std::fs::metadata(shown) {
        Ok(meta) if meta.is_dir() => std::fs::canonicalize(shown).map_err(|e| Error::io(shown, e)),
        Ok(_) => Err(Error::invalid(
            "output folder",
            format!("{} exists and is not a folder", shown.display()),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let name = shown.file_name().ok_or_else(|| {
                Error::invalid(
                    "output folder",
                    format!("{} does not name a folder", shown.display()),
                )
            })?;
            let parent = match shown.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            let parent = std::fs::canonicalize(parent).map_err(|e| Error::io(parent, e))?;
            Ok(parent.join(name))
        }
        Err(e) => Err(Error::io(shown, e)),
    }
}

/// The parent folder and the file name of a resolved target.
fn split_target(target: &Path) -> Result<(PathBuf, std::ffi::OsString)> {
    match (target.parent(), target.file_name()) {
        (Some(parent), Some(name)) => Ok((parent.to_path_buf(), name.to_owned())),
        _ => Err(Error::invalid(
            "output folder",
            format!("{} has no parent folder to stage in", target.display()),
        )),
    }
}

/// Refuses a target folder holding anything this program did not write, so
/// that replacing it can never delete a user's file.
fn refuse_foreign(shown: &Path, target: &Path, owned: &[std::ffi::OsString]) -> Result<()> {
    let entries = match std::fs::read_dir(target) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(shown, e)),
    };
    let mut foreign = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(shown, e))?;
        let name = entry.file_name();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !is_file || !owned.contains(&name) {
            foreign.push(name.to_string_lossy().into_owned());
        }
    }
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    const SHOWN: usize = 5;
    let more = foreign.len().saturating_sub(SHOWN);
    foreign.truncate(SHOWN);
    let mut list = foreign.join(", ");
    if more > 0 {
        list.push_str(&format!(" and {more} more"));
    }
    Err(Error::invalid(
        "output folder",
        format!(
            "{} holds files this program did not write ({list}); it replaces the whole \
             folder, so name a new or empty folder, or one holding only its outputs",
            shown.display()
        ),
    ))
}

/// Removes `.NAME.sm-staging-*` folders of runs that are no longer alive
/// (their lock is free) and `.NAME.sm-old-*` folders: what a killed run
/// left behind. Only owned files are deleted; a folder that holds anything
/// else stays.
fn remove_stale_siblings(parent: &Path, name: &std::ffi::OsStr, owned: &[std::ffi::OsString]) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let prefix = |tag: &str| sibling_name(name, tag, "").into_encoded_bytes();
    let (staging, old) = (prefix(STAGING_TAG), prefix(OLD_TAG));
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let bytes = file_name.as_encoded_bytes();
        let path = entry.path();
        if bytes.starts_with(&staging) {
            // A live run holds the lock on its staging folder.
            if lock_dir(&path).is_some() || !LOCKS_SUPPORTED {
                clear_dir(&path, owned);
            }
        } else if bytes.starts_with(&old) {
            clear_dir(&path, owned);
        }
    }
}

/// Deletes the owned files of `dir`, then `dir` if it is then empty.
/// Best effort: what cannot be removed stays (and is tried again by the
/// next run).
fn clear_dir(dir: &Path, owned: &[std::ffi::OsString]) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if owned.contains(&entry.file_name()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// Makes renames and new files in `dir` durable. Best effort: some file
/// systems and platforms cannot sync a folder.
fn sync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
const LOCKS_SUPPORTED: bool = true;
#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
const LOCKS_SUPPORTED: bool = false;

/// Opens `dir` and takes an exclusive advisory lock on it without waiting;
/// `None` when it is locked by another run (or cannot be opened).
#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
fn lock_dir(dir: &Path) -> Option<File> {
    let f = File::open(dir).ok()?;
    rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive).ok()?;
    Some(f)
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
fn lock_dir(_dir: &Path) -> Option<File> {
    None
}

/// Puts `staging` in place of `target`; returns where the previous content
/// of `target` now is. One atomic exchange where the system has it,
/// else two renames through `old`.
fn swap_dirs(staging: &Path, target: &Path, old: &Path) -> std::io::Result<PathBuf> {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, staging, CWD, target, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(staging.to_path_buf()),
            // Kernels or file systems without the exchange (or refusing
            // it for these folders, as overlayfs may): fall back.
            Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP | Errno::XDEV) => {}
            Err(e) => return Err(e.into()),
        }
    }
    swap_by_renames(staging, target, old)
}

/// The swap without an exchange: `target` renamed to `old`, `staging` to
/// `target` (the target is absent in between); on failure the previous
/// content is put back.
fn swap_by_renames(staging: &Path, target: &Path, old: &Path) -> std::io::Result<PathBuf> {
    std::fs::rename(target, old)?;
    if let Err(e) = std::fs::rename(staging, target) {
        let _ = std::fs::rename(old, target);
        return Err(e);
    }
    Ok(old.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::io::Result<PathBuf> {
        let dir = std::env::temp_dir().join(format!("sm-write-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    #[test]
    fn the_swap_without_exchange_replaces_the_folder_or_keeps_it() -> std::io::Result<()> {
        let root = scratch("renames")?;
        let (staging, target, old) = (root.join("s"), root.join("t"), root.join("o"));
        for (dir, text) in [(&staging, "new"), (&target, "old")] {
            std::fs::create_dir(dir)?;
            std::fs::write(dir.join("a.csv"), text)?;
        }
        assert_eq!(swap_by_renames(&staging, &target, &old)?, old);
        assert_eq!(std::fs::read_to_string(target.join("a.csv"))?, "new");
        assert_eq!(std::fs::read_to_string(old.join("a.csv"))?, "old");
        // A staging folder that is gone: the target keeps its content.
        assert!(swap_by_renames(&staging, &target, &root.join("o2")).is_err());
        assert_eq!(std::fs::read_to_string(target.join("a.csv"))?, "new");
        std::fs::remove_dir_all(&root)
    }

    #[test]
    fn output_dir_refuses_names_outside_its_list_and_folders_that_are_files() -> Result<()> {
        let root = scratch("names").map_err(|e| Error::io("scratch", e))?;
        assert!(OutputDir::begin(root.join("t"), &["../x.csv"]).is_err());
        let mut out = OutputDir::begin(root.join("t"), &["a.csv"])?;
        assert!(out.write_file("b.csv", |_| Ok(())).is_err());
        drop(out);
        std::fs::write(root.join("f"), "").map_err(|e| Error::io("f", e))?;
        let err = OutputDir::begin(root.join("f"), &["a.csv"]).map(|_| ());
        assert!(matches!(err, Err(Error::InvalidArgument { .. })), "{err:?}");
        // Nothing was left beside the target.
        let left: Vec<_> = std::fs::read_dir(&root)
            .map_err(|e| Error::io(&root, e))?
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, ["f"]);
        std::fs::remove_dir_all(&root).map_err(|e| Error::io(&root, e))
    }
}
