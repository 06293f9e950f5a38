//! Contact classes and engagements (SPEC §5).
//!
//! Every contact is `new`, `follow_up`, `reactivated` or `customer`, decided
//! from the events of its *prospect* (cluster of records) that come before
//! it in (time, kind rank, id) order. Engagements are the runs of events
//! from a `new` or `reactivated` contact to just before the next
//! reactivation, or to the prospect's first sale inclusive.
//!
//! One pass per prospect, no allocation per event; prospects are
//! independent, so the work splits across threads (feature `parallel`).
//! A cheap first pass over the events counts each chunk's engagements so
//! that the engagement table is written in place; lookups into the contact
//! and meeting tables (in id order, so random access) are batched so that
//! they overlap rather than stall the per-event work.
//!
//! # Example
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use sales_metrics::{classify, ClassifyConfig, ContactClass};
//! use sales_metrics::{Channel, Contact, LedgerBuilder, ProspectRecord, Rep};
//!
//! let t = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
//! let mut b = LedgerBuilder::new();
//! b.add_rep(Rep::new("ana"));
//! b.add_prospect(ProspectRecord::new("p1"));
//! b.add_contact(Contact::new("c1", "ana", "p1", t, Channel::Phone));
//! b.add_contact(Contact::new("c2", "ana", "p1", t + Duration::days(3), Channel::Email));
//! b.add_contact(Contact::new("c3", "ana", "p1", t + Duration::days(400), Channel::Phone));
//! let ledger = b.build()?;
//! let classified = classify(&ledger, &ClassifyConfig::default());
//! let classes: Vec<_> = classified.contacts().map(|c| c.class).collect();
//! assert_eq!(classes, [ContactClass::New, ContactClass::FollowUp, ContactClass::Reactivated]);
//! assert_eq!(classified.class("c3"), Some(ContactClass::Reactivated));
//! assert_eq!(classified.engagements().len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::ledger::{Event, EventKind, Ledger, NONE};
use crate::model::MeetingStatus;

// One prospect's events classified alone (the live ledger; callers that
// hold the events themselves).
pub(crate) mod sequence;

/// The class of a contact (SPEC §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum ContactClass {
    /// The first time anyone (or, per rep, this rep) reached the prospect.
    New = 0,
    /// A contact of a known prospect within the dormancy window.
    FollowUp = 1,
    /// A known prospect contacted again after more than the dormancy window.
    Reactivated = 2,
    /// The prospect has already bought: serving a customer, not prospecting.
    Customer = 3,
}

impl ContactClass {
    /// Every class, in index order.
    pub const ALL: [ContactClass; 4] = [
        ContactClass::New,
        ContactClass::FollowUp,
        ContactClass::Reactivated,
        ContactClass::Customer,
    ];

    /// The SPEC text form: `new`, `follow_up`, `reactivated`, `customer`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ContactClass::New => "new",
            ContactClass::FollowUp => "follow_up",
            ContactClass::Reactivated => "reactivated",
            ContactClass::Customer => "customer",
        }
    }

    /// Dense index `0..4`, for array tallies.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Whether the contact is prospecting work (`new`, `follow_up` or
    /// `reactivated`), i.e. counts toward `prospects_engaged`.
    pub const fn is_prospecting(self) -> bool {
        !matches!(self, ContactClass::Customer)
    }
}

impl fmt::Display for ContactClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whose history decides newness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Newness {
    /// Organisation-wide (SPEC default): a prospect reached by rep A and then
    /// by rep B is a follow-up for B.
    #[default]
    Organisation,
    /// Per rep: a prospect is new to each rep the first time *that rep*
    /// reaches it; dormancy is measured on that rep's own contacts.
    /// Sales still make a prospect a customer for everyone.
    PerRep,
}

/// Settings of classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassifyConfig {
    /// A gap longer than this since the latest earlier contact makes a
    /// contact `reactivated` (exactly this long is still a follow-up).
    /// Default 180 days.
    #[serde(with = "duration_micros")]
    pub dormancy: TimeDelta,
    /// Organisation-wide or per-rep newness.
    pub newness: Newness,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        Self {
            dormancy: TimeDelta::days(180),
            newness: Newness::Organisation,
        }
    }
}

mod duration_micros {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &TimeDelta, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_microseconds().unwrap_or(i64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeDelta, D::Error> {
        Ok(TimeDelta::microseconds(i64::deserialize(d)?))
    }
}

/// How an engagement ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngagementEnd {
    /// It holds the prospect's first sale.
    Won,
    /// A later reactivation started a new engagement; it ended without a win.
    Lapsed,
    /// Per-rep newness only: the prospect's first sale fell in another
    /// rep's engagement, which ends this one without a win.
    LostToOther,
    /// Still open at the end of the data (censored).
    Open,
}

/// One engagement of a prospect (SPEC §5, §7), by ledger indices (the
/// public view is [`Engagement`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct EngagementData {
    /// Prospect index.
    pub(crate) prospect: u32,
    /// Rep of the starting contact (the cohort's rep).
    pub(crate) rep: u32,
    /// Contact index of the starting contact.
    pub(crate) start_contact: u32,
    /// Start time, µs.
    pub(crate) start_us: i64,
    /// Whether it started with a `reactivated` (rather than `new`) contact.
    pub(crate) reactivation: bool,
    /// Contacts inside it.
    pub(crate) contacts: u32,
    /// Held meetings inside it.
    pub(crate) meetings_held: u32,
    /// Time of the first held meeting, µs.
    pub(crate) first_meeting_us: Option<i64>,
    /// The prospect's first sale, when it falls inside (sale index).
    pub(crate) won_sale: Option<u32>,
    /// Time of that sale, µs.
    pub(crate) won_us: Option<i64>,
    /// How it ended.
    pub(crate) end: EngagementEnd,
    /// When it ended (sale time, or the superseding contact's time), µs.
    pub(crate) end_us: Option<i64>,
}

impl EngagementData {
    pub(crate) fn start(
        prospect: u32,
        rep: u32,
        contact: u32,
        time_us: i64,
        reactivation: bool,
    ) -> Self {
        Self {
            prospect,
            rep,
            start_contact: contact,
            start_us: time_us,
            reactivation,
            contacts: 0,
            meetings_held: 0,
            first_meeting_us: None,
            won_sale: None,
            won_us: None,
            end: EngagementEnd::Open,
            end_us: None,
        }
    }

    /// Ends it with the prospect's first sale, `sale`.
    #[inline(always)]
    fn win(&mut self, sale: &Event) {
        self.won_sale = Some(sale.index);
        self.won_us = Some(sale.time_us);
        self.end = EngagementEnd::Won;
        self.end_us = Some(sale.time_us);
    }

    /// Whether it reached a held meeting.
    pub(crate) fn met(&self) -> bool {
        self.meetings_held > 0
    }

    /// Whether it holds the prospect's first sale.
    pub(crate) fn won(&self) -> bool {
        self.won_sale.is_some()
    }
}

/// The result of classification: a class for every contact and an
/// engagement (or none) for every event, bound to the [`Ledger`] it was
/// computed from (so it cannot be combined with another ledger).
///
/// Its contact classes table (`contact_classes.csv`, SPEC §11) is written
/// by [`Classified::write_classes_csv`] and [`Classified::write_classes_json`]
/// (streaming), built by [`Classified::classes_table`] and shown by
/// `Display`, [`Classified::to_html`] and [`Classified::evcxr_display`].
///
/// Contacts and engagements are read by id:
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use sales_metrics::{classify, Channel, ClassifyConfig, Contact, ContactClass, LedgerBuilder,
///     ProspectRecord, Rep};
///
/// let t = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
/// let mut b = LedgerBuilder::new();
/// b.add_rep(Rep::new("ana"));
/// b.add_prospect(ProspectRecord::new("p1"));
/// b.add_contact(Contact::new("c1", "ana", "p1", t, Channel::Phone));
/// b.add_contact(Contact::new("c2", "ana", "p1", t + TimeDelta::days(3), Channel::Email));
/// let ledger = b.build()?;
/// let classified = classify(&ledger, &ClassifyConfig::default());
/// assert_eq!(classified.class("c2"), Some(ContactClass::FollowUp));
/// let c2 = classified.contacts().nth(1).unwrap();
/// assert_eq!((c2.contact_id, c2.prospect_id, c2.engagement), ("c2", "p1", Some("c1")));
/// let g = classified.engagements().next().unwrap();
/// assert_eq!((g.rep_id(), g.start_contact_id(), g.start()), ("ana", "c1", t));
/// assert_eq!(g.contacts(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Classified<'l> {
    ledger: &'l Ledger,
    config: ClassifyConfig,
    /// Aligned with [`Ledger::events`]: the class of contact events.
    event_class: Vec<Option<ContactClass>>,
    /// Aligned with [`Ledger::events`]: engagement index or `NONE`.
    event_engagement: Vec<u32>,
    engagements: Vec<EngagementData>,
}

/// One contact with its class, as [`Classified::contacts`] lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassifiedContact<'a> {
    /// The contact's id.
    pub contact_id: &'a str,
    /// The id of its prospect (the cluster's id).
    pub prospect_id: &'a str,
    /// Its class.
    pub class: ContactClass,
    /// The id of the contact that started its engagement; `None` outside
    /// any engagement and for `customer` contacts.
    pub engagement: Option<&'a str>,
}

/// One engagement (SPEC §5, §7): the run of a prospect's events from a
/// `new` or `reactivated` contact to the next reactivation or the first
/// sale, as [`Classified::engagements`] lists them.
#[derive(Debug, Clone, Copy)]
pub struct Engagement<'a> {
    ledger: &'a Ledger,
    data: &'a EngagementData,
}

impl<'a> Engagement<'a> {
    /// The id of its prospect (the cluster's id).
    pub fn prospect_id(&self) -> &'a str {
        self.ledger.prospect_id(self.data.prospect)
    }

    /// The id of the rep of its starting contact (the cohort's rep).
    pub fn rep_id(&self) -> &'a str {
        self.ledger.rep_id(self.data.rep)
    }

    /// The id of its starting contact.
    pub fn start_contact_id(&self) -> &'a str {
        self.ledger.contact_id(self.data.start_contact)
    }

    /// When it started.
    pub fn start(&self) -> DateTime<Utc> {
        instant(self.data.start_us)
    }

    /// Whether it started with a `reactivated` (rather than `new`) contact.
    pub fn is_reactivation(&self) -> bool {
        self.data.reactivation
    }

    /// Contacts inside it.
    pub fn contacts(&self) -> u32 {
        self.data.contacts
    }

    /// Held meetings inside it.
    pub fn meetings_held(&self) -> u32 {
        self.data.meetings_held
    }

    /// When its first held meeting took place.
    pub fn first_meeting(&self) -> Option<DateTime<Utc>> {
        self.data.first_meeting_us.map(instant)
    }

    /// The id of the prospect's first sale, when it falls inside.
    pub fn won_sale_id(&self) -> Option<&'a str> {
        self.data.won_sale.map(|s| self.ledger.sale_id(s))
    }

    /// When that sale closed.
    pub fn won_at(&self) -> Option<DateTime<Utc>> {
        self.data.won_us.map(instant)
    }

    /// How it ended.
    pub fn end(&self) -> EngagementEnd {
        self.data.end
    }

    /// When it ended (the sale's time, or the superseding contact's);
    /// `None` while open.
    pub fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.data.end_us.map(instant)
    }

    /// From its start to the win (the sales cycle), when won.
    pub fn cycle(&self) -> Option<TimeDelta> {
        self.data
            .won_us
            .map(|w| TimeDelta::microseconds(w.saturating_sub(self.data.start_us)))
    }

    /// Whether it reached a held meeting.
    pub fn met(&self) -> bool {
        self.data.met()
    }

    /// Whether it holds the prospect's first sale.
    pub fn won(&self) -> bool {
        self.data.won()
    }
}

/// The instant of a ledger time in µs.
fn instant(us: i64) -> DateTime<Utc> {
    let t = DateTime::from_timestamp_micros(us);
    // invariant: ledger times come from `DateTime<Utc>`s, so they are in range.
    debug_assert!(t.is_some(), "ledger time {us} µs out of range");
    t.unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl<'l> Classified<'l> {
    /// The ledger it classifies.
    pub fn ledger(&self) -> &'l Ledger {
        self.ledger
    }

    /// The settings used.
    pub fn config(&self) -> &ClassifyConfig {
        &self.config
    }

    /// The class of the contact with id `contact_id` (`None` for an
    /// unknown id).
    pub fn class(&self, contact_id: &str) -> Option<ContactClass> {
        self.class_at(self.contact_index(contact_id)?)
    }

    /// The engagement of the contact with id `contact_id`, if it lies
    /// inside one.
    pub fn engagement_of(&self, contact_id: &str) -> Option<Engagement<'_>> {
        let g = self.contact_engagement(self.contact_index(contact_id)?)?;
        self.engagement_view(g)
    }

    /// Every contact with its prospect, class and engagement, in contact
    /// id byte order.
    pub fn contacts(&self) -> impl ExactSizeIterator<Item = ClassifiedContact<'l>> + '_ {
        let ledger = self.ledger;
        (0..ledger.contacts().len() as u32).map(move |i| self.contact_at(i))
    }

    /// Every engagement, grouped by prospect in prospect order, then by
    /// start.
    pub fn engagements(&self) -> impl ExactSizeIterator<Item = Engagement<'_>> + '_ {
        let ledger = self.ledger;
        self.engagements
            .iter()
            .map(move |data| Engagement { ledger, data })
    }

    /// Number of contacts per class, in [`ContactClass::ALL`] order.
    pub fn class_counts(&self) -> [u64; 4] {
        let mut counts = [0u64; 4];
        for c in self.event_class.iter().flatten() {
            if let Some(n) = counts.get_mut(c.index()) {
                *n += 1;
            }
        }
        counts
    }

    /// The index of the contact with id `contact_id` (contacts are in id
    /// byte order).
    fn contact_index(&self, contact_id: &str) -> Option<u32> {
        let ledger = self.ledger;
        let n = ledger.contacts().len() as u32;
        let (mut lo, mut hi) = (0u32, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if ledger.contact_id(mid) < contact_id {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        (lo < n && ledger.contact_id(lo) == contact_id).then_some(lo)
    }

    /// The row of contact index `i` (`i` below the ledger's contact count).
    fn contact_at(&self, i: u32) -> ClassifiedContact<'l> {
        let ledger = self.ledger;
        let class = self.class_at(i);
        debug_assert!(class.is_some(), "every contact is classified");
        let class = class.unwrap_or(ContactClass::Customer);
        let engagement = match class {
            ContactClass::Customer => None,
            _ => self
                .contact_engagement(i)
                .and_then(|g| self.engagements.get(g as usize))
                .map(|g| ledger.contact_id(g.start_contact)),
        };
        let prospect = ledger.contacts().get(i as usize).map(|c| c.prospect);
        debug_assert!(prospect.is_some(), "contact index in range");
        ClassifiedContact {
            contact_id: ledger.contact_id(i),
            prospect_id: prospect.map_or("", |p| ledger.prospect_id(p)),
            class,
            engagement,
        }
    }

    /// Engagement `index` as its public view.
    fn engagement_view(&self, index: u32) -> Option<Engagement<'_>> {
        let data = self.engagements.get(index as usize)?;
        Some(Engagement {
            ledger: self.ledger,
            data,
        })
    }

    /// The class of contact index `contact`.
    pub(crate) fn class_at(&self, contact: u32) -> Option<ContactClass> {
        let pos = self.ledger.event_position(EventKind::Contact, contact)?;
        self.event_class(pos)
    }

    /// The engagement index of contact index `contact`, if it lies inside
    /// one.
    pub(crate) fn contact_engagement(&self, contact: u32) -> Option<u32> {
        let pos = self.ledger.event_position(EventKind::Contact, contact)?;
        self.event_engagement(pos)
    }

    /// The engagement of the event at `position` of [`Ledger::events`].
    pub(crate) fn event_engagement(&self, position: usize) -> Option<u32> {
        self.event_engagement
            .get(position)
            .copied()
            .filter(|&e| e != NONE)
    }

    /// The class of the event at `position` (contacts only).
    pub(crate) fn event_class(&self, position: usize) -> Option<ContactClass> {
        self.event_class.get(position).copied().flatten()
    }

    /// Every engagement by ledger indices, grouped by prospect in prospect
    /// order, then by start.
    pub(crate) fn engagement_rows(&self) -> &[EngagementData] {
        &self.engagements
    }

    /// Engagement `index`.
    pub(crate) fn engagement(&self, index: u32) -> Option<&EngagementData> {
        self.engagements.get(index as usize)
    }
}

/// Classifies every contact of `ledger` and finds its engagements.
pub fn classify<'l>(ledger: &'l Ledger, config: &ClassifyConfig) -> Classified<'l> {
    classify_with(ledger, config, false)
}

/// [`classify`], optionally through the general (per-lane) code for
/// organisation-wide newness too, which tests compare with the special one.
fn classify_with<'l>(ledger: &'l Ledger, config: &ClassifyConfig, general: bool) -> Classified<'l> {
    let events = ledger.events();
    let offsets = ledger.event_offsets();
    let prospects = offsets.len().saturating_sub(1);
    let dormancy_us = config.dormancy.num_microseconds().unwrap_or(i64::MAX);
    let newness = config.newness;

    // Split prospects into chunks of roughly equal event counts; each chunk
    // owns disjoint slices of the outputs. A first, cheap pass counts each
    // chunk's engagements so that the second writes them in place: the
    // engagement table is the largest output, and building it per chunk
    // and concatenating would copy it (and fault in its pages) twice.
    let chunks = chunk_bounds(offsets, prospects, events.len());
    let count =
        |&(p0, p1): &(usize, usize)| count_engagements(ledger, newness, dormancy_us, p0..p1);
    let counts: Vec<usize> = crate::par::map(&chunks, count);
    let total: usize = counts.iter().sum();
    // Every slot is overwritten by its chunk (checked below).
    let mut engagements = crate::par::filled(total, EngagementData::start(0, 0, 0, 0, false));
    let mut event_class = vec![None; events.len()];
    let mut event_engagement = vec![NONE; events.len()];

    let mut work: Vec<ChunkWork<'_>> = Vec::with_capacity(chunks.len());
    {
        let mut class_rest: &mut [Option<ContactClass>] = &mut event_class;
        let mut eng_rest: &mut [u32] = &mut event_engagement;
        let mut table_rest: &mut [EngagementData] = &mut engagements;
        let mut at = 0usize;
        let mut base = 0usize;
        for (&(p0, p1), &n) in chunks.iter().zip(&counts) {
            let e0 = crate::classify::offset(offsets, p0);
            let e1 = crate::classify::offset(offsets, p1);
            let len = e1.saturating_sub(e0);
            let skip = e0.saturating_sub(at);
            let c = std::mem::take(&mut class_rest);
            let (_, c) = c.split_at_mut(skip.min(c.len()));
            let g = std::mem::take(&mut eng_rest);
            let (_, g) = g.split_at_mut(skip.min(g.len()));
            let take = len.min(c.len()).min(g.len());
            let (c_here, c_rest) = c.split_at_mut(take);
            let (g_here, g_rest) = g.split_at_mut(take);
            class_rest = c_rest;
            eng_rest = g_rest;
            at = e0 + take;
            let t = std::mem::take(&mut table_rest);
            let (t_here, t_rest) = t.split_at_mut(n.min(t.len()));
            table_rest = t_rest;
            work.push(ChunkWork {
                prospects: (p0, p1),
                first_event: e0,
                classes: c_here,
                engagement: g_here,
                table: EngagementTable {
                    base: base as u32,
                    slots: t_here,
                    len: 0,
                },
            });
            base += n;
        }
    }

    let run = |w: &mut ChunkWork<'_>| match newness {
        Newness::Organisation if !general => classify_chunk_org(ledger, dormancy_us, w),
        _ => classify_chunk(ledger, newness, dormancy_us, w),
    };
    crate::par::for_each_mut(&mut work, run);
    debug_assert!(work.iter().all(|w| w.table.len == w.table.slots.len()));
    drop(work);

    Classified {
        ledger,
        config: *config,
        event_class,
        event_engagement,
        engagements,
    }
}

/// A chunk's part of the engagement table, sized by [`count_engagements`].
struct EngagementTable<'a> {
    /// Global index of `slots[0]`.
    base: u32,
    slots: &'a mut [EngagementData],
    /// Slots filled so far.
    len: usize,
}

impl EngagementTable<'_> {
    /// Stores a new engagement; returns its local index.
    fn push(&mut self, e: EngagementData) -> u32 {
        let i = self.len;
        if let Some(slot) = self.slots.get_mut(i) {
            *slot = e;
        }
        self.len += 1;
        i as u32
    }

    fn get_mut(&mut self, local: u32) -> Option<&mut EngagementData> {
        self.slots.get_mut(local as usize)
    }

    fn is_open(&self, local: u32) -> bool {
        self.slots
            .get(local as usize)
            .is_some_and(|e| e.end == EngagementEnd::Open)
    }

    fn global(&self, local: u32) -> u32 {
        if local == NONE {
            NONE
        } else {
            self.base + local
        }
    }
}

struct ChunkWork<'a> {
    prospects: (usize, usize),
    first_event: usize,
    classes: &'a mut [Option<ContactClass>],
    engagement: &'a mut [u32],
    table: EngagementTable<'a>,
}

impl ChunkWork<'_> {
    /// Stores the class and (local) engagement of the event at `pos`.
    #[inline(always)]
    fn store(&mut self, pos: usize, class: Option<ContactClass>, engagement: u32) {
        let local = pos - self.first_event;
        if let Some(slot) = self.classes.get_mut(local) {
            *slot = class;
        }
        if let Some(slot) = self.engagement.get_mut(local) {
            *slot = self.table.global(engagement);
        }
    }
}

/// The number of engagements of prospects `prospects`: one per `new` or
/// `reactivated` contact, i.e. per contact before the first sale that is
/// its lane's first or comes more than the dormancy after the lane's
/// previous contact (the same rule as [`step`], without its bookkeeping).
fn count_engagements(
    ledger: &Ledger,
    newness: Newness,
    dormancy_us: i64,
    prospects: std::ops::Range<usize>,
) -> usize {
    let events = ledger.events();
    let offsets = ledger.event_offsets();
    let mut count = 0usize;
    // (rep, last contact time) per lane (per-rep newness).
    let mut lanes: Vec<(u32, i64)> = Vec::new();
    let chunk_end = crate::classify::offset(offsets, prospects.end);
    let mut reps = [NONE; GATHER_BLOCK];
    let mut held = [false; GATHER_BLOCK];
    let (mut block_start, mut block_end) = (0usize, 0usize);
    for p in prospects {
        let (a, b) = (
            crate::classify::offset(offsets, p),
            crate::classify::offset(offsets, p + 1),
        );
        #[allow(clippy::indexing_slicing)] // invariant: offsets ascend within the events.
        let prospect_events = &events[a..b];
        match newness {
            Newness::Organisation => {
                // Branch-free but for the sale: whether a contact starts an
                // engagement is unpredictable.
                let mut seen = false;
                let mut last = 0i64;
                for e in prospect_events {
                    if e.kind == EventKind::Sale {
                        break;
                    }
                    let contact = e.kind == EventKind::Contact;
                    let starts = !seen || e.time_us.saturating_sub(last) > dormancy_us;
                    count += usize::from(contact & starts);
                    seen |= contact;
                    last = if contact { e.time_us } else { last };
                }
            }
            Newness::PerRep => {
                lanes.clear();
                for (k, e) in prospect_events.iter().enumerate() {
                    match e.kind {
                        EventKind::Sale => break,
                        EventKind::Meeting => {}
                        EventKind::Contact => {
                            let pos = a + k;
                            if pos >= block_end {
                                block_start = pos;
                                block_end = (pos + GATHER_BLOCK).min(chunk_end.max(pos + 1));
                                #[allow(clippy::indexing_slicing)]
                                // invariant: blocks lie within the chunk's events.
                                let block = &events[block_start..block_end];
                                gather_block(ledger, block, &mut reps, &mut held);
                            }
                            #[allow(clippy::indexing_slicing)]
                            // invariant: a block holds at most GATHER_BLOCK events.
                            let rep = reps[pos - block_start];
                            match lanes.iter_mut().find(|l| l.0 == rep) {
                                None => {
                                    count += 1;
                                    lanes.push((rep, e.time_us));
                                }
                                Some(lane) => {
                                    if e.time_us.saturating_sub(lane.1) > dormancy_us {
                                        count += 1;
                                    }
                                    lane.1 = e.time_us;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    count
}

/// Where the events of prospect `p` start in [`Ledger::events`] (for `p`
/// equal to the prospect count: the number of events).
#[inline(always)]
#[allow(clippy::indexing_slicing)] // invariant: `offsets` holds one entry per prospect and one more.
pub(crate) fn offset(offsets: &[u32], p: usize) -> usize {
    debug_assert!(p < offsets.len(), "prospect {p} of {}", offsets.len());
    offsets[p] as usize
}

/// Prospect ranges `[p0, p1)` holding roughly equal numbers of events,
/// eight per thread.
pub(crate) fn chunk_bounds(
    offsets: &[u32],
    prospects: usize,
    events: usize,
) -> Vec<(usize, usize)> {
    chunk_bounds_per_thread(offsets, prospects, events, 8)
}

/// [`chunk_bounds`] with `per_thread` chunks per thread.
pub(crate) fn chunk_bounds_per_thread(
    offsets: &[u32],
    prospects: usize,
    events: usize,
    per_thread: usize,
) -> Vec<(usize, usize)> {
    const MIN_EVENTS_PER_CHUNK: usize = 1 << 14;
    let target_chunks = (crate::par::threads() * per_thread.max(1))
        .min(events / MIN_EVENTS_PER_CHUNK)
        .max(1);
    chunk_bounds_into(offsets, prospects, events, target_chunks)
}

/// Prospect ranges `[p0, p1)` covering `0..prospects`, about
/// `target_chunks` of them (at least one) holding roughly equal numbers of
/// events (fewer when single prospects hold more than a chunk's share).
pub(crate) fn chunk_bounds_into(
    offsets: &[u32],
    prospects: usize,
    events: usize,
    target_chunks: usize,
) -> Vec<(usize, usize)> {
    let target_chunks = target_chunks.max(1);
    let per_chunk = events.div_ceil(target_chunks).max(1);
    let mut bounds = Vec::with_capacity(target_chunks + 1);
    // Each chunk ends at the first prospect whose events reach the next
    // cut: found by binary search (offsets ascend), not by a walk over
    // every prospect.
    let ends = offsets.get(1..=prospects).unwrap_or(&[]);
    debug_assert_eq!(
        ends.len(),
        prospects,
        "one offset per prospect and one more"
    );
    let mut start = 0usize;
    let mut next_cut = per_chunk;
    while start < prospects {
        let rest = ends.get(start..).unwrap_or(&[]);
        let p = start + rest.partition_point(|&o| (o as usize) < next_cut);
        let Some(&end) = ends.get(p) else {
            break;
        };
        bounds.push((start, p + 1));
        start = p + 1;
        next_cut = end as usize + per_chunk;
    }
    if start < prospects || bounds.is_empty() {
        bounds.push((start, prospects));
    }
    bounds
}

/// Per-lane state: one lane per prospect (organisation-wide newness) or per
/// (prospect, rep) (per-rep newness).
#[derive(Clone, Copy)]
struct Lane {
    rep: u32,
    last_contact_us: i64,
    /// Local engagement index, or NONE.
    current: u32,
}

/// Events whose rep and meeting status are looked up together, ahead of
/// the branchy per-event work: the lookups are random accesses into the
/// contact, meeting and sale tables (ordered by id, not by prospect), and
/// done in a tight loop of independent loads they overlap instead of each
/// waiting behind a mispredicted branch.
const GATHER_BLOCK: usize = 256;

/// Rep and held flag of each event of `block`.
fn gather_block(ledger: &Ledger, block: &[Event], reps: &mut [u32], held: &mut [bool]) {
    let (contacts, meetings, sales) = (ledger.contacts(), ledger.meetings(), ledger.sales());
    for ((e, rep), held) in block.iter().zip(reps.iter_mut()).zip(held.iter_mut()) {
        let i = e.index as usize;
        (*rep, *held) = match e.kind {
            EventKind::Contact => (contacts.get(i).map_or(NONE, |c| c.rep), false),
            EventKind::Meeting => meetings
                .get(i)
                .map_or((NONE, false), |m| (m.rep, m.status == MeetingStatus::Held)),
            EventKind::Sale => (sales.get(i).map_or(NONE, |s| s.rep), false),
        };
    }
}

fn classify_chunk(ledger: &Ledger, newness: Newness, dormancy_us: i64, w: &mut ChunkWork<'_>) {
    let events = ledger.events();
    let offsets = ledger.event_offsets();
    let mut lanes: Vec<Lane> = Vec::new();
    let chunk_end = crate::classify::offset(offsets, w.prospects.1);
    let mut reps = [NONE; GATHER_BLOCK];
    let mut held = [false; GATHER_BLOCK];
    // Events [block_start, block_end) have been gathered.
    let (mut block_start, mut block_end) = (0usize, 0usize);
    for p in w.prospects.0..w.prospects.1 {
        let (a, b) = (
            crate::classify::offset(offsets, p),
            crate::classify::offset(offsets, p + 1),
        );
        let Some(prospect_events) = events.get(a..b) else {
            continue;
        };
        lanes.clear();
        let mut sold = false;
        // Most recently started open engagement of the prospect (per-rep
        // mode attributes other reps' meetings and sales to it).
        let mut latest_open = NONE;
        for (k, e) in prospect_events.iter().enumerate() {
            let pos = a + k;
            if pos >= block_end {
                block_start = pos;
                block_end = (pos + GATHER_BLOCK).min(chunk_end.max(pos + 1));
                #[allow(clippy::indexing_slicing)]
                // invariant: blocks lie within the chunk's events.
                let block = &events[block_start..block_end];
                gather_block(ledger, block, &mut reps, &mut held);
            }
            let slot = pos - block_start;
            #[allow(clippy::indexing_slicing)]
            // invariant: a block holds at most GATHER_BLOCK events.
            let rep = reps[slot];
            #[allow(clippy::indexing_slicing)]
            // invariant: a block holds at most GATHER_BLOCK events.
            let meeting_held = held[slot];
            let local = pos - w.first_event;
            let (class, engagement) = step(
                p as u32,
                e,
                rep,
                meeting_held,
                newness,
                dormancy_us,
                &mut lanes,
                &mut sold,
                &mut latest_open,
                &mut w.table,
            );
            if let Some(slot) = w.classes.get_mut(local) {
                *slot = class;
            }
            if let Some(slot) = w.engagement.get_mut(local) {
                *slot = w.table.global(engagement);
            }
        }
    }
}

/// Meeting held flags of the events of `block` (see [`gather_block`]).
fn gather_held(ledger: &Ledger, block: &[Event], held: &mut [bool]) {
    let meetings = ledger.meetings();
    for (e, held) in block.iter().zip(held.iter_mut()) {
        *held = e.kind == EventKind::Meeting
            && meetings
                .get(e.index as usize)
                .is_some_and(|m| m.status == MeetingStatus::Held);
    }
}

/// Engagements whose rep is looked up in one go (see [`gather_block`]).
const PENDING_REPS: usize = 64;

/// Sets the rep of engagements `pending` (local indices) from their
/// starting contacts.
fn resolve_reps(ledger: &Ledger, table: &mut EngagementTable<'_>, pending: &[u32]) {
    let contacts = ledger.contacts();
    for &g in pending {
        if let Some(e) = table.get_mut(g) {
            e.rep = contacts
                .get(e.start_contact as usize)
                .map_or(NONE, |c| c.rep);
        }
    }
}

/// [`classify_chunk`] for organisation-wide newness, where each prospect
/// has one lane: its only open engagement is the latest one, meetings and
/// sales fall into it, and a contact's rep matters only when it starts an
/// engagement. Those reps are looked up in batches after the fact, so that
/// the contact table is read for under half the contacts and the reads
/// overlap.
fn classify_chunk_org(ledger: &Ledger, dormancy_us: i64, w: &mut ChunkWork<'_>) {
    let events = ledger.events();
    let offsets = ledger.event_offsets();
    let chunk_end = crate::classify::offset(offsets, w.prospects.1);
    let mut held = [false; GATHER_BLOCK];
    let (mut block_start, mut block_end) = (0usize, 0usize);
    let mut pending = [NONE; PENDING_REPS];
    let mut pending_len = 0usize;
    for p in w.prospects.0..w.prospects.1 {
        let (a, b) = (
            crate::classify::offset(offsets, p),
            crate::classify::offset(offsets, p + 1),
        );
        let Some(prospect_events) = events.get(a..b) else {
            continue;
        };
        let mut sold = false;
        // Local index of the prospect's latest engagement (open until the
        // sale), and the time of its latest contact.
        let mut current = NONE;
        let mut last_contact_us = 0i64;
        for (k, e) in prospect_events.iter().enumerate() {
            let pos = a + k;
            let (class, engagement) = if sold {
                let class = (e.kind == EventKind::Contact).then_some(ContactClass::Customer);
                (class, NONE)
            } else {
                match e.kind {
                    EventKind::Contact => {
                        let starts = current == NONE
                            || e.time_us.saturating_sub(last_contact_us) > dormancy_us;
                        last_contact_us = e.time_us;
                        let class = if starts {
                            let reactivation = current != NONE;
                            if let Some(old) = w.table.get_mut(current) {
                                old.end = EngagementEnd::Lapsed;
                                old.end_us = Some(e.time_us);
                            }
                            current = w.table.push(EngagementData::start(
                                p as u32,
                                NONE,
                                e.index,
                                e.time_us,
                                reactivation,
                            ));
                            if let Some(slot) = pending.get_mut(pending_len) {
                                *slot = current;
                            }
                            pending_len += 1;
                            if pending_len == PENDING_REPS {
                                resolve_reps(ledger, &mut w.table, &pending);
                                pending_len = 0;
                            }
                            if reactivation {
                                ContactClass::Reactivated
                            } else {
                                ContactClass::New
                            }
                        } else {
                            ContactClass::FollowUp
                        };
                        if let Some(g) = w.table.get_mut(current) {
                            g.contacts += 1;
                        }
                        (Some(class), current)
                    }
                    EventKind::Meeting => {
                        if pos >= block_end {
                            block_start = pos;
                            block_end = (pos + GATHER_BLOCK).min(chunk_end.max(pos + 1));
                            #[allow(clippy::indexing_slicing)]
                            // invariant: blocks lie within the chunk's events.
                            let block = &events[block_start..block_end];
                            gather_held(ledger, block, &mut held);
                        }
                        #[allow(clippy::indexing_slicing)]
                        // invariant: a block holds at most GATHER_BLOCK events.
                        let meeting_held = held[pos - block_start];
                        if meeting_held && let Some(g) = w.table.get_mut(current) {
                            g.meetings_held += 1;
                            g.first_meeting_us.get_or_insert(e.time_us);
                        }
                        (None, current)
                    }
                    EventKind::Sale => {
                        sold = true;
                        if let Some(g) = w.table.get_mut(current) {
                            g.win(e);
                        }
                        (None, current)
                    }
                }
            };
            w.store(pos, class, engagement);
        }
    }
    #[allow(clippy::indexing_slicing)] // invariant: pending_len < PENDING_REPS here.
    let pending = &pending[..pending_len];
    resolve_reps(ledger, &mut w.table, pending);
}

#[allow(clippy::too_many_arguments)]
fn step(
    prospect: u32,
    e: &Event,
    rep: u32,
    meeting_held: bool,
    newness: Newness,
    dormancy_us: i64,
    lanes: &mut Vec<Lane>,
    sold: &mut bool,
    latest_open: &mut u32,
    engagements: &mut EngagementTable<'_>,
) -> (Option<ContactClass>, u32) {
    let lane_key = match newness {
        Newness::Organisation => 0,
        Newness::PerRep => rep,
    };
    match e.kind {
        EventKind::Contact => {
            if *sold {
                return (Some(ContactClass::Customer), NONE);
            }
            let lane_ix = lanes.iter().position(|l| l.rep == lane_key);
            let (class, engagement) = match lane_ix.and_then(|i| lanes.get_mut(i)) {
                None => {
                    let g = engagements.push(EngagementData::start(
                        prospect, rep, e.index, e.time_us, false,
                    ));
                    lanes.push(Lane {
                        rep: lane_key,
                        last_contact_us: e.time_us,
                        current: g,
                    });
                    *latest_open = g;
                    (ContactClass::New, g)
                }
                Some(lane) => {
                    let gap = e.time_us.saturating_sub(lane.last_contact_us);
                    lane.last_contact_us = e.time_us;
                    if gap > dormancy_us {
                        if let Some(old) = engagements.get_mut(lane.current) {
                            old.end = EngagementEnd::Lapsed;
                            old.end_us = Some(e.time_us);
                        }
                        let g = engagements.push(EngagementData::start(
                            prospect, rep, e.index, e.time_us, true,
                        ));
                        lane.current = g;
                        *latest_open = g;
                        (ContactClass::Reactivated, g)
                    } else {
                        (ContactClass::FollowUp, lane.current)
                    }
                }
            };
            if let Some(g) = engagements.get_mut(engagement) {
                g.contacts += 1;
            }
            (Some(class), engagement)
        }
        EventKind::Meeting | EventKind::Sale if *sold => (None, NONE),
        EventKind::Meeting => {
            let g = owning_engagement(lanes, lane_key, *latest_open, engagements);
            if meeting_held && let Some(eng) = engagements.get_mut(g) {
                eng.meetings_held += 1;
                eng.first_meeting_us.get_or_insert(e.time_us);
            }
            (None, g)
        }
        EventKind::Sale => {
            *sold = true;
            let g = owning_engagement(lanes, lane_key, *latest_open, engagements);
            for lane in lanes.iter() {
                if lane.current != g
                    && let Some(other) = engagements.get_mut(lane.current)
                    && other.end == EngagementEnd::Open
                {
                    other.end = EngagementEnd::LostToOther;
                    other.end_us = Some(e.time_us);
                }
            }
            if let Some(eng) = engagements.get_mut(g) {
                eng.won_sale = Some(e.index);
                eng.won_us = Some(e.time_us);
                eng.end = EngagementEnd::Won;
                eng.end_us = Some(e.time_us);
            }
            (None, g)
        }
    }
}

/// The engagement a meeting or sale of `lane_key`'s rep falls into: the
/// rep's own open engagement, else the prospect's latest open one.
fn owning_engagement(
    lanes: &[Lane],
    lane_key: u32,
    latest_open: u32,
    engagements: &EngagementTable<'_>,
) -> u32 {
    let own = lanes
        .iter()
        .find(|l| l.rep == lane_key)
        .map_or(NONE, |l| l.current);
    if engagements.is_open(own) {
        own
    } else if engagements.is_open(latest_open) {
        latest_open
    } else {
        NONE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Contact, Meeting, ProspectRecord, Rep, Sale};
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    /// (kind: contact below 15, meeting below 19, else sale; rep, prospect,
    /// day, meeting status) per record.
    fn records() -> impl Strategy<Value = Vec<(u8, usize, usize, i64, usize)>> {
        prop::collection::vec((0u8..20, 0usize..3, 0usize..6, 0i64..90, 0usize..3), 0..80)
    }

    fn ledger(recs: &[(u8, usize, usize, i64, usize)]) -> Ledger {
        let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single();
        let t0 = t0.unwrap_or_default();
        let mut b = crate::LedgerBuilder::new();
        for r in 0..3 {
            b.add_rep(Rep::new(format!("r{r}")));
        }
        for p in 0..6 {
            b.add_prospect(ProspectRecord::new(format!("p{p}")));
        }
        for (i, &(kind, rep, prospect, day, status)) in recs.iter().enumerate() {
            let (rep, prospect) = (format!("r{rep}"), format!("p{prospect}"));
            // Hours too, so that ties and the dormancy boundary both occur.
            let t = t0 + TimeDelta::days(day) + TimeDelta::hours((i % 2) as i64);
            match kind {
                0..15 => {
                    b.add_contact(Contact::new(
                        format!("c{i}"),
                        rep,
                        prospect,
                        t,
                        Channel::Phone,
                    ));
                }
                15..19 => {
                    let mut m = Meeting::new(format!("m{i}"), rep, prospect, t);
                    m.status = MeetingStatus::ALL[status];
                    b.add_meeting(m);
                }
                _ => {
                    b.add_sale(Sale::new(format!("s{i}"), rep, prospect, t));
                }
            }
        }
        b.build().unwrap_or_else(|e| panic!("{e}"))
    }

    /// The walk over every prospect that [`chunk_bounds`] shortens.
    fn chunk_bounds_by_walk(
        offsets: &[u32],
        prospects: usize,
        per_chunk: usize,
    ) -> Vec<(usize, usize)> {
        let mut bounds = Vec::new();
        let mut start = 0usize;
        let mut next_cut = per_chunk;
        for p in 0..prospects {
            let end_events = offsets.get(p + 1).copied().unwrap_or(0) as usize;
            if end_events >= next_cut {
                bounds.push((start, p + 1));
                start = p + 1;
                next_cut = end_events + per_chunk;
            }
        }
        if start < prospects || bounds.is_empty() {
            bounds.push((start, prospects));
        }
        bounds
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn chunk_bounds_match_the_walk(sizes in prop::collection::vec(0u32..40_000, 0..200)) {
            let mut offsets = vec![0u32];
            for s in &sizes {
                offsets.push(offsets.last().copied().unwrap_or(0) + s);
            }
            let events = offsets.last().copied().unwrap_or(0) as usize;
            let got = chunk_bounds(&offsets, sizes.len(), events);
            let threads = crate::par::threads();
            let target = (threads * 8).min(events / (1 << 14)).max(1);
            let want = chunk_bounds_by_walk(&offsets, sizes.len(), events.div_ceil(target).max(1));
            prop_assert_eq!(got, want);
        }

        /// The single-lane path for organisation-wide newness agrees with
        /// the general one in every output.
        #[test]
        fn organisation_path_matches_the_general_one(recs in records(), dormancy in 1i64..40) {
            let l = ledger(&recs);
            let config = ClassifyConfig { dormancy: TimeDelta::days(dormancy), ..ClassifyConfig::default() };
            let fast = classify_with(&l, &config, false);
            let general = classify_with(&l, &config, true);
            prop_assert_eq!(&fast.event_class, &general.event_class);
            prop_assert_eq!(&fast.event_engagement, &general.event_engagement);
            prop_assert_eq!(&fast.engagements, &general.engagements);
        }
    }
}
