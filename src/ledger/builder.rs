//! [`LedgerBuilder`]: collects records (Rust values, or readers through
//! [`RecordSink`]) and builds the [`Ledger`].

use super::*;

/// Reads a SPEC §2 CSV folder (`reps.csv`, `prospects.csv`,
/// `contacts.csv`, `meetings.csv`, `sales.csv`) and builds the ledger in
/// `mode`, deduplicating prospect records with
/// [`Dedup::prospect`](crate::dedup::Dedup::prospect) (use a
/// [`LedgerBuilder`] with [`read_csv_folder`](crate::ingest::read_csv_folder)
/// to supply a partition or to group them otherwise).
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when a file is missing or unreadable,
/// [`Error::MissingColumn`](crate::Error::MissingColumn),
/// [`Error::Malformed`](crate::Error::Malformed), and in strict mode
/// [`Error::Rejected`](crate::Error::Rejected) with every rejection.
///
/// # Example
/// ```
/// use sales_metrics::{load_folder, Mode, RecordKind};
///
/// let dir = std::env::temp_dir().join(format!("sm-load-folder-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// std::fs::write(dir.join("reps.csv"), "rep_id,team_id\nana,north\n")?;
/// std::fs::write(dir.join("prospects.csv"), "prospect_id,company\np1,Acme\n")?;
/// std::fs::write(
///     dir.join("contacts.csv"),
///     "contact_id,rep_id,prospect_id,occurred_at,channel\nc1,ana,p1,2026-06-01T09:00:00Z,phone\n",
/// )?;
/// std::fs::write(dir.join("meetings.csv"), "meeting_id,rep_id,prospect_id,held_at\n")?;
/// std::fs::write(dir.join("sales.csv"), "sale_id,rep_id,prospect_id,closed_at\n")?;
///
/// let ledger = load_folder(&dir, Mode::Strict)?;
/// assert_eq!(ledger.accepted_count(RecordKind::Contact), 1);
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_folder(dir: impl AsRef<Path>, mode: Mode) -> Result<Ledger> {
    let mut builder = LedgerBuilder::new();
    builder.mode(mode);
    crate::ingest::read_csv_folder(dir, &mut builder)?;
    builder.build()
}

/// Collects records (from readers or Rust values), then validates them and
/// builds a [`Ledger`]. Readers feed it as a
/// [`RecordSink`](crate::ingest::RecordSink); so can a CRM's own types,
/// through borrowed fields (see the trait's example).
///
/// References resolve against accepted records only, in the load order
/// reps → prospect records → contacts, meetings, sales, so the order in
/// which records are added does not matter.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use sales_metrics::{Channel, Contact, LedgerBuilder, ProspectRecord, Rep};
///
/// let t = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
/// let mut b = LedgerBuilder::new();
/// b.add_rep(Rep::new("ana"));
/// b.add_prospect(ProspectRecord::new("p1"));
/// b.add_contact(Contact::new("c1", "ana", "p1", t, Channel::Phone));
/// let ledger = b.build()?;
/// assert_eq!(ledger.accepted_count(sales_metrics::RecordKind::Contact), 1);
/// # Ok::<(), sales_metrics::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct LedgerBuilder {
    pub(super) mode: Mode,
    pub(super) identity: ProspectIdentity,
    /// Everything added, not yet validated.
    pub(super) staging: Staging,
}

impl LedgerBuilder {
    /// An empty builder in strict mode that deduplicates prospect records
    /// with [`Dedup::prospect`](crate::dedup::Dedup::prospect).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets strict or lenient mode.
    pub fn mode(&mut self, mode: Mode) -> &mut Self {
        self.mode = mode;
        self
    }

    /// Whether prospect records keep their contact details (name, company,
    /// e-mail, phone, city, country). They are kept by default; a load that
    /// only reports, with a supplied partition, can drop them to save
    /// memory (about a hundred bytes per record). Applies to records added
    /// after the call; [`build`](Self::build) refuses to deduplicate
    /// records whose details were dropped.
    pub fn keep_prospect_details(&mut self, keep: bool) -> &mut Self {
        self.staging.drop_prospect_text = !keep;
        self
    }

    /// Groups prospect records into prospects by a caller-supplied
    /// partition (SPEC §4) instead of deduplicating them: records listed
    /// in one group are one prospect, unlisted records stay alone.
    ///
    /// How records become prospects is one choice: this,
    /// [`deduplicate_with`](Self::deduplicate_with) or
    /// [`each_record_a_prospect`](Self::each_record_a_prospect); the last
    /// call wins. Without any, records are deduplicated with
    /// [`Dedup::prospect`](crate::dedup::Dedup::prospect).
    pub fn partition(&mut self, partition: SuppliedPartition) -> &mut Self {
        self.identity = ProspectIdentity::Supplied(partition);
        self
    }

    /// Groups prospect records into prospects with `deduplicator`: a
    /// [`Dedup`](crate::dedup::Dedup) with other settings or another
    /// profile, or a caller's own [`Deduplicate`] (see its example). The
    /// last of [`partition`](Self::partition), this and
    /// [`each_record_a_prospect`](Self::each_record_a_prospect) wins.
    ///
    /// # Example
    /// ```
    /// use sales_metrics::dedup::Dedup;
    /// use sales_metrics::{LedgerBuilder, ProspectRecord};
    ///
    /// let mut b = LedgerBuilder::new();
    /// b.deduplicate_with(Dedup::prospect().with_threshold(0.9));
    /// b.add_prospect(ProspectRecord::new("p1"));
    /// assert_eq!(b.build()?.prospect_count(), 1);
    /// # Ok::<(), sales_metrics::Error>(())
    /// ```
    pub fn deduplicate_with(&mut self, deduplicator: impl Deduplicate + 'static) -> &mut Self {
        self.identity = ProspectIdentity::Deduplicate(Box::new(deduplicator));
        self
    }

    /// Makes every prospect record a prospect of its own (no
    /// deduplication, no partition): for data whose records are already
    /// one per person. The last of [`partition`](Self::partition),
    /// [`deduplicate_with`](Self::deduplicate_with) and this wins.
    pub fn each_record_a_prospect(&mut self) -> &mut Self {
        self.identity = ProspectIdentity::Singletons;
        self
    }

    /// Adds every record of a bundle, kind by kind.
    pub fn add_records(&mut self, records: Records) -> &mut Self {
        for r in records.reps {
            self.add_rep(r);
        }
        for p in records.prospects {
            self.add_prospect(p);
        }
        for c in records.contacts {
            self.add_contact(c);
        }
        for m in records.meetings {
            self.add_meeting(m);
        }
        for s in records.sales {
            self.add_sale(s);
        }
        self
    }

    /// Adds a rep.
    pub fn add_rep(&mut self, rep: Rep) -> &mut Self {
        let row = self.staging.next_position(RecordKind::Rep);
        self.staging.push_rep(row, rep);
        self
    }

    /// Adds a prospect record.
    pub fn add_prospect(&mut self, p: ProspectRecord) -> &mut Self {
        let row = self.staging.next_position(RecordKind::Prospect);
        let created_by = p.created_by.as_ref().map(|r| r.as_str());
        let f = ProspectFields {
            prospect_id: p.prospect_id.as_str(),
            name: p.name.as_deref(),
            company: p.company.as_deref(),
            email: p.email.as_deref(),
            phone: p.phone.as_deref(),
            city: p.city.as_deref(),
            country: p.country.as_deref(),
            source: p.source,
            created_us: p.created_at.map(to_micros),
            created_by,
        };
        self.staging.push_prospect(row, &f);
        self
    }

    /// Adds a contact.
    pub fn add_contact(&mut self, c: Contact) -> &mut Self {
        let row = self.staging.next_position(RecordKind::Contact);
        let f = ContactFields {
            contact_id: c.contact_id.as_str(),
            rep_id: c.rep_id.as_str(),
            prospect_id: c.prospect_id.as_str(),
            occurred_us: to_micros(c.occurred_at),
            logged_us: c.logged_at.map(to_micros),
            channel: c.channel,
            direction: c.direction,
            duration_s: c.duration_s,
            outcome: c.outcome,
        };
        self.staging.push_contact(row, &f);
        self
    }

    /// Adds a meeting.
    pub fn add_meeting(&mut self, m: Meeting) -> &mut Self {
        let row = self.staging.next_position(RecordKind::Meeting);
        let f = MeetingFields {
            meeting_id: m.meeting_id.as_str(),
            rep_id: m.rep_id.as_str(),
            prospect_id: m.prospect_id.as_str(),
            held_us: to_micros(m.held_at),
            status: m.status,
        };
        self.staging.push_meeting(row, &f);
        self
    }

    /// Adds a sale.
    pub fn add_sale(&mut self, s: Sale) -> &mut Self {
        let row = self.staging.next_position(RecordKind::Sale);
        let f = SaleFields {
            sale_id: s.sale_id.as_str(),
            rep_id: s.rep_id.as_str(),
            prospect_id: s.prospect_id.as_str(),
            closed_us: to_micros(s.closed_at),
            amount_minor: s.amount_minor,
            currency: s.currency.as_deref(),
        };
        self.staging.push_sale(row, &f);
        self
    }

    /// Validates everything added (SPEC §3), groups prospect records into
    /// prospects (SPEC §4) and builds the ledger.
    ///
    /// # Errors
    /// [`Error::Rejected`] in strict mode when any record was rejected;
    /// whatever a [`Deduplicate`] implementation returns.
    pub fn build(self) -> Result<Ledger> {
        super::build::build(self)
    }
}

impl RecordSink for LedgerBuilder {
    fn push_rep(&mut self, row: u64, rep: Rep) {
        self.staging.push_rep(row, rep);
    }

    fn push_prospect(&mut self, row: u64, fields: &ProspectFields<'_>) {
        self.staging.push_prospect(row, fields);
    }

    fn push_contact(&mut self, row: u64, fields: &ContactFields<'_>) {
        self.staging.push_contact(row, fields);
    }

    fn push_meeting(&mut self, row: u64, fields: &MeetingFields<'_>) {
        self.staging.push_meeting(row, fields);
    }

    fn push_sale(&mut self, row: u64, fields: &SaleFields<'_>) {
        self.staging.push_sale(row, fields);
    }

    fn reject(&mut self, rejection: Rejection) {
        self.staging.reject(rejection);
    }

    fn link(&mut self, a: &str, b: &str) {
        self.staging.links.push((a.into(), b.into()));
    }

    fn reserve(&mut self, kind: RecordKind, additional: usize) {
        self.staging.reserve(kind, additional);
    }

    fn staging(&mut self) -> Option<&mut Staging> {
        Some(&mut self.staging)
    }
}
