//! The record sink: where readers put what they parse, as borrowed,
//! already-checked fields (no allocation per record).

use chrono::{DateTime, Utc};

use crate::error::Rejection;
use crate::model::{Channel, Direction, MeetingStatus, Outcome, RecordKind, Rep, Source};
use crate::time::{from_micros, to_micros};

use super::stage::Staging;

/// Receives records as readers parse them: the readers of this module
/// ([`read_csv`](super::read_csv), [`read_json`](super::read_json), …) push
/// every row into a sink, each with its 1-based `row` in its source, and
/// report rows that fail the syntactic checks with [`reject`](Self::reject).
///
/// [`LedgerBuilder`](crate::LedgerBuilder) is the sink that builds a
/// ledger. The same borrowed-field path feeds a builder from a CRM's own
/// types, without building SPEC-shaped text: convert each value into a
/// `*Fields` (ids as `&str`, times as `DateTime<Utc>`) and push it.
///
/// # Example
/// A CRM whose activities are not SPEC-shaped (numeric ids, its own
/// activity kinds) feeds a ledger directly:
/// ```
/// use chrono::{DateTime, Duration, TimeZone, Utc};
/// use std::fmt::Write as _;
/// use sales_metrics::ingest::{ContactFields, MeetingFields, ProspectFields, RecordSink};
/// use sales_metrics::{Channel, LedgerBuilder, RecordKind, Rep};
///
/// // The CRM's own types.
/// enum ActivityKind { Call, Mail, Visit }
/// struct CrmActivity { id: u64, who: u64, account: u64, when: DateTime<Utc>, kind: ActivityKind }
///
/// let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
/// let activities: Vec<CrmActivity> = (0..6)
///     .map(|i| CrmActivity {
///         id: 100 + i,
///         who: 7,
///         account: 40 + i % 2,
///         when: t0 + Duration::days(i as i64),
///         kind: match i % 3 { 0 => ActivityKind::Call, 1 => ActivityKind::Mail, _ => ActivityKind::Visit },
///     })
///     .collect();
///
/// let mut b = LedgerBuilder::new();
/// b.each_record_a_prospect();
/// b.add_rep(Rep::new("7"));
/// for (row, account) in [40u64, 41].iter().enumerate() {
///     b.push_prospect(row as u64 + 1, &ProspectFields::new(&account.to_string()));
/// }
/// // Ids are written into reused buffers: no allocation per activity.
/// let (mut id, mut rep, mut account) = (String::new(), String::new(), String::new());
/// for (row, a) in activities.iter().enumerate() {
///     let row = row as u64 + 1;
///     for (buf, n) in [(&mut id, a.id), (&mut rep, a.who), (&mut account, a.account)] {
///         buf.clear();
///         let _ = write!(buf, "{n}");
///     }
///     match a.kind {
///         ActivityKind::Call => b.push_contact(row, &ContactFields::new(&id, &rep, &account, a.when, Channel::Phone)),
///         ActivityKind::Mail => b.push_contact(row, &ContactFields::new(&id, &rep, &account, a.when, Channel::Email)),
///         ActivityKind::Visit => b.push_meeting(row, &MeetingFields::new(&id, &rep, &account, a.when)),
///     }
/// }
/// let ledger = b.build()?;
/// assert_eq!(ledger.accepted_count(RecordKind::Contact), 4);
/// assert_eq!(ledger.accepted_count(RecordKind::Meeting), 2);
/// assert_eq!(ledger.prospect_count(), 2);
/// # Ok::<(), sales_metrics::Error>(())
/// ```
pub trait RecordSink {
    /// A rep found at `row` of its source.
    fn push_rep(&mut self, row: u64, rep: Rep);
    /// A prospect record found at `row` of its source.
    fn push_prospect(&mut self, row: u64, fields: &ProspectFields<'_>);
    /// A contact found at `row` of its source.
    fn push_contact(&mut self, row: u64, fields: &ContactFields<'_>);
    /// A meeting found at `row` of its source.
    fn push_meeting(&mut self, row: u64, fields: &MeetingFields<'_>);
    /// A sale found at `row` of its source.
    fn push_sale(&mut self, row: u64, fields: &SaleFields<'_>);
    /// A row rejected before it could be pushed (`missing_field`,
    /// `bad_time`, `bad_number`, `unknown_enum`); it counts as one input
    /// record of its kind.
    fn reject(&mut self, rejection: Rejection);
    /// Prospect records `a` and `b` are known to be one prospect, whatever
    /// deduplication (or a supplied partition) says: a must-link, such as
    /// a converted lead and the contact it became. Ids that name no
    /// accepted record are ignored. Does nothing by default.
    fn link(&mut self, a: &str, b: &str) {
        let _ = (a, b);
    }
    /// A hint: about `additional` more records of `kind` follow (readers
    /// estimate it from the file size). Does nothing by default.
    fn reserve(&mut self, kind: RecordKind, additional: usize) {
        let _ = (kind, additional);
    }
    /// The crate's own staging area, when the sink is a ledger builder:
    /// lets readers stage in parallel batches. Not for implementors.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn staging(&mut self) -> Option<&mut Staging> {
        None
    }
}

/// A contact as borrowed, already-parsed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactFields<'a> {
    /// `contact_id`.
    pub contact_id: &'a str,
    /// `rep_id`.
    pub rep_id: &'a str,
    /// `prospect_id` (a prospect record id).
    pub prospect_id: &'a str,
    pub(crate) occurred_us: i64,
    pub(crate) logged_us: Option<i64>,
    /// `channel`.
    pub channel: Channel,
    /// `direction`.
    pub direction: Direction,
    /// `duration_s`.
    pub duration_s: Option<i64>,
    /// `outcome`.
    pub outcome: Option<Outcome>,
}

impl<'a> ContactFields<'a> {
    /// A contact with the required fields; outbound, nothing else given.
    pub fn new(
        contact_id: &'a str,
        rep_id: &'a str,
        prospect_id: &'a str,
        occurred_at: DateTime<Utc>,
        channel: Channel,
    ) -> Self {
        Self {
            contact_id,
            rep_id,
            prospect_id,
            occurred_us: to_micros(occurred_at),
            logged_us: None,
            channel,
            direction: Direction::Outbound,
            duration_s: None,
            outcome: None,
        }
    }

    /// With `logged_at`.
    #[must_use]
    pub fn with_logged_at(mut self, logged_at: DateTime<Utc>) -> Self {
        self.logged_us = Some(to_micros(logged_at));
        self
    }

    /// `occurred_at`.
    pub fn occurred_at(&self) -> DateTime<Utc> {
        from_micros(self.occurred_us)
    }

    /// `logged_at`, if given.
    pub fn logged_at(&self) -> Option<DateTime<Utc>> {
        self.logged_us.map(from_micros)
    }
}

/// A meeting as borrowed, already-parsed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingFields<'a> {
    /// `meeting_id`.
    pub meeting_id: &'a str,
    /// `rep_id`.
    pub rep_id: &'a str,
    /// `prospect_id` (a prospect record id).
    pub prospect_id: &'a str,
    pub(crate) held_us: i64,
    /// `status`.
    pub status: MeetingStatus,
}

impl<'a> MeetingFields<'a> {
    /// A held meeting.
    pub fn new(
        meeting_id: &'a str,
        rep_id: &'a str,
        prospect_id: &'a str,
        held_at: DateTime<Utc>,
    ) -> Self {
        Self {
            meeting_id,
            rep_id,
            prospect_id,
            held_us: to_micros(held_at),
            status: MeetingStatus::Held,
        }
    }

    /// `held_at`.
    pub fn held_at(&self) -> DateTime<Utc> {
        from_micros(self.held_us)
    }
}

/// A sale as borrowed, already-parsed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaleFields<'a> {
    /// `sale_id`.
    pub sale_id: &'a str,
    /// `rep_id`.
    pub rep_id: &'a str,
    /// `prospect_id` (a prospect record id).
    pub prospect_id: &'a str,
    pub(crate) closed_us: i64,
    /// `amount_minor`.
    pub amount_minor: Option<i64>,
    /// `currency`.
    pub currency: Option<&'a str>,
}

impl<'a> SaleFields<'a> {
    /// A sale with no amount.
    pub fn new(
        sale_id: &'a str,
        rep_id: &'a str,
        prospect_id: &'a str,
        closed_at: DateTime<Utc>,
    ) -> Self {
        Self {
            sale_id,
            rep_id,
            prospect_id,
            closed_us: to_micros(closed_at),
            amount_minor: None,
            currency: None,
        }
    }

    /// `closed_at`.
    pub fn closed_at(&self) -> DateTime<Utc> {
        from_micros(self.closed_us)
    }
}

/// A prospect record as borrowed, already-parsed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProspectFields<'a> {
    /// `prospect_id` (the record's id).
    pub prospect_id: &'a str,
    /// `name`.
    pub name: Option<&'a str>,
    /// `company`.
    pub company: Option<&'a str>,
    /// `email`.
    pub email: Option<&'a str>,
    /// `phone`.
    pub phone: Option<&'a str>,
    /// `city`.
    pub city: Option<&'a str>,
    /// `country`.
    pub country: Option<&'a str>,
    /// `source`.
    pub source: Option<Source>,
    pub(crate) created_us: Option<i64>,
    /// `created_by`.
    pub created_by: Option<&'a str>,
}

impl<'a> ProspectFields<'a> {
    /// A record with only its id.
    pub fn new(prospect_id: &'a str) -> Self {
        Self {
            prospect_id,
            ..Self::default()
        }
    }

    /// With `created_at`.
    #[must_use]
    pub fn with_created_at(mut self, created_at: DateTime<Utc>) -> Self {
        self.created_us = Some(to_micros(created_at));
        self
    }

    /// `created_at`, if given.
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        self.created_us.map(from_micros)
    }
}
