//! The events of one prospect in SPEC §5 order, and the classes of its
//! contacts computed from them.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use crate::classify::{ClassifyConfig, ContactClass, EngagementData, EngagementEnd, Newness};
pub(crate) use crate::model::EventKind;

/// One event of a prospect: its time, kind and slot in its kind's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Event {
    pub(crate) time_us: i64,
    pub(crate) kind: EventKind,
    pub(crate) slot: u32,
}

/// A prospect's events in SPEC §5 order: two kept inline, more on the
/// heap (most prospects have few events; no allocation for those).
pub(crate) type EventList = tinyvec::TinyVec<[Event; 2]>;

/// What the classifier reads of each event besides its time and kind.
pub(crate) trait EventFacts {
    /// The id of an event (ties at equal time and kind break on it).
    fn id(&self, e: Event) -> &str;
    /// The rep of an event (per-rep newness keys lanes on it).
    fn rep(&self, e: Event) -> u32;
    /// Whether an event is a held meeting.
    fn held(&self, e: Event) -> bool;
}

/// SPEC §5 order: time, kind rank, id in byte order.
pub(crate) fn compare(facts: &impl EventFacts, a: Event, b: Event) -> Ordering {
    (a.time_us, a.kind)
        .cmp(&(b.time_us, b.kind))
        .then_with(|| facts.id(a).as_bytes().cmp(facts.id(b).as_bytes()))
}

/// Where `e` goes in `events` (sorted in SPEC §5 order).
pub(crate) fn insertion_point(facts: &impl EventFacts, events: &[Event], e: Event) -> usize {
    // The common case, an event later than all others, costs one compare.
    match events.last() {
        Some(&last) if compare(facts, last, e) == Ordering::Greater => {
            events.partition_point(|&x| compare(facts, x, e) == Ordering::Less)
        }
        _ => events.len(),
    }
}

/// Merges two lists sorted in SPEC §5 order.
pub(crate) fn merge(facts: &impl EventFacts, a: &[Event], b: &[Event]) -> EventList {
    let mut out = EventList::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        if compare(facts, x, y) == Ordering::Greater {
            out.push(y);
            j += 1;
        } else {
            out.push(x);
            i += 1;
        }
    }
    out.extend_from_slice(a.get(i..).unwrap_or_default());
    out.extend_from_slice(b.get(j..).unwrap_or_default());
    out
}

/// The class of one contact and the engagement it belongs to (the slot of
/// the contact that started it; `None` for a customer contact).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContactState {
    pub(crate) class: ContactClass,
    pub(crate) engagement: Option<u32>,
    /// Contacts of its engagement up to and including it (0 outside any).
    pub(crate) touch: u32,
}

impl ContactState {
    /// Whether two states differ in what a change reports (class or
    /// engagement).
    pub(crate) fn differs(&self, other: &ContactState) -> bool {
        self.class != other.class || self.engagement != other.engagement
    }

    /// The state of a contact `gap_us` after the latest earlier contact
    /// of its lane, whose state was `lane` (`None`: the lane's first);
    /// `slot` is the contact's own. SPEC §5 for a prospect with no sale
    /// before it.
    pub(crate) fn after(lane: Option<(ContactState, i64)>, slot: u32, dormancy_us: i64) -> Self {
        match lane {
            None => ContactState {
                class: ContactClass::New,
                engagement: Some(slot),
                touch: 1,
            },
            Some((_, gap)) if gap > dormancy_us => ContactState {
                class: ContactClass::Reactivated,
                engagement: Some(slot),
                touch: 1,
            },
            Some((last, _)) => ContactState {
                class: ContactClass::FollowUp,
                engagement: last.engagement,
                touch: last.touch + 1,
            },
        }
    }

    /// A contact of a prospect that bought before it.
    pub(crate) const CUSTOMER: ContactState = ContactState {
        class: ContactClass::Customer,
        engagement: None,
        touch: 0,
    };
}

/// Per-lane state: one lane per prospect (organisation-wide newness) or
/// per (prospect, rep).
struct Lane {
    rep: u32,
    last_contact_us: i64,
    last: ContactState,
}

/// The class and engagement of every contact among `events` (one
/// prospect's, sorted), in event order: SPEC §5, the same rule as the
/// batch classifier. Meetings do not change a contact's class, and a sale
/// makes every later contact a customer contact outside any engagement.
pub(crate) fn classify_events(
    facts: &impl EventFacts,
    events: &[Event],
    newness: Newness,
    dormancy_us: i64,
) -> Vec<(u32, ContactState)> {
    let mut out = Vec::with_capacity(events.len());
    let mut lanes = Lanes::default();
    classify_into(
        facts,
        events,
        newness,
        dormancy_us,
        &mut lanes,
        |slot, state| {
            out.push((slot, state));
        },
    );
    out
}

/// The lanes of one prospect, reused from one prospect to the next.
#[derive(Default)]
pub(crate) struct Lanes(Vec<Lane>);

/// [`classify_events`] into `sink`, with the lanes' storage reused.
pub(crate) fn classify_into(
    facts: &impl EventFacts,
    events: &[Event],
    newness: Newness,
    dormancy_us: i64,
    lanes: &mut Lanes,
    mut sink: impl FnMut(u32, ContactState),
) {
    let lanes = &mut lanes.0;
    lanes.clear();
    let mut sold = false;
    for &e in events {
        match e.kind {
            EventKind::Sale => sold = true,
            EventKind::Meeting => {}
            EventKind::Contact if sold => sink(e.slot, ContactState::CUSTOMER),
            EventKind::Contact => {
                let key = match newness {
                    Newness::Organisation => 0,
                    Newness::PerRep => facts.rep(e),
                };
                match lanes.iter_mut().find(|l| l.rep == key) {
                    None => {
                        let state = ContactState::after(None, e.slot, dormancy_us);
                        lanes.push(Lane {
                            rep: key,
                            last_contact_us: e.time_us,
                            last: state,
                        });
                        sink(e.slot, state);
                    }
                    Some(lane) => {
                        let gap = e.time_us.saturating_sub(lane.last_contact_us);
                        let state =
                            ContactState::after(Some((lane.last, gap)), e.slot, dormancy_us);
                        lane.last_contact_us = e.time_us;
                        lane.last = state;
                        sink(e.slot, state);
                    }
                }
            }
        }
    }
}

/// A lane of [`engagements_of`]: its key, last contact time and current
/// engagement (an index into the list being built).
struct EngagementLane {
    key: u32,
    last_contact_us: i64,
    current: usize,
}

fn open_at(list: &[EngagementData], i: Option<usize>) -> Option<usize> {
    i.filter(|&i| list.get(i).is_some_and(|g| g.end == EngagementEnd::Open))
}

/// The engagements of one prospect's `events` (sorted) with everything
/// the cohort report reads (SPEC §5, §7; the batch classifier's rule):
/// contacts, held meetings, the win and how each ended. A meeting or sale
/// falls into its rep's own open engagement, else the prospect's latest
/// open one (one lane under organisation-wide newness). `prospect` is
/// stored in each; `rep` and `start_contact` are slots of the live
/// ledger. `owner` hears, for each event in order, the index in the
/// returned list of the engagement it belongs to (`None`: outside any).
pub(crate) fn engagements_of(
    facts: &impl EventFacts,
    events: &[Event],
    newness: Newness,
    dormancy_us: i64,
    prospect: u32,
    mut owner: impl FnMut(Option<usize>),
) -> Vec<EngagementData> {
    let mut list: Vec<EngagementData> = Vec::new();
    let mut lanes: Vec<EngagementLane> = Vec::new();
    let mut latest_open: Option<usize> = None;
    let mut sold = false;
    for &e in events {
        if sold {
            owner(None);
            continue;
        }
        let rep = facts.rep(e);
        let key = match newness {
            Newness::Organisation => 0,
            Newness::PerRep => rep,
        };
        let lane = lanes.iter().position(|l| l.key == key);
        match e.kind {
            EventKind::Contact => {
                let starts = match lane.and_then(|i| lanes.get_mut(i)) {
                    None => Some(false),
                    Some(l) => {
                        let gap = e.time_us.saturating_sub(l.last_contact_us);
                        l.last_contact_us = e.time_us;
                        (gap > dormancy_us).then_some(true)
                    }
                };
                if let Some(reactivation) = starts {
                    if let Some(old) = lane
                        .and_then(|i| lanes.get(i))
                        .and_then(|l| list.get_mut(l.current))
                    {
                        old.end = EngagementEnd::Lapsed;
                        old.end_us = Some(e.time_us);
                    }
                    list.push(EngagementData::start(
                        prospect,
                        rep,
                        e.slot,
                        e.time_us,
                        reactivation,
                    ));
                    let g = list.len() - 1;
                    latest_open = Some(g);
                    match lane.and_then(|i| lanes.get_mut(i)) {
                        Some(l) => l.current = g,
                        None => lanes.push(EngagementLane {
                            key,
                            last_contact_us: e.time_us,
                            current: g,
                        }),
                    }
                }
                let current = lanes.iter().find(|l| l.key == key).map(|l| l.current);
                owner(current);
                if let Some(g) = current.and_then(|g| list.get_mut(g)) {
                    g.contacts += 1;
                }
            }
            EventKind::Meeting => {
                let own = lane.and_then(|i| lanes.get(i)).map(|l| l.current);
                let at = open_at(&list, own).or(open_at(&list, latest_open));
                owner(at);
                if facts.held(e)
                    && let Some(g) = at.and_then(|g| list.get_mut(g))
                {
                    g.meetings_held += 1;
                    g.first_meeting_us.get_or_insert(e.time_us);
                }
            }
            EventKind::Sale => {
                sold = true;
                let own = lane.and_then(|i| lanes.get(i)).map(|l| l.current);
                let at = open_at(&list, own).or(open_at(&list, latest_open));
                owner(at);
                settle_first_sale(&mut list, &lanes, at, e);
            }
        }
    }
    list
}

/// The prospect's first sale `sale` wins engagement `winner` (if any) and
/// ends every other lane's open engagement as lost to another rep.
fn settle_first_sale(
    list: &mut [EngagementData],
    lanes: &[EngagementLane],
    winner: Option<usize>,
    sale: Event,
) {
    for l in lanes {
        if Some(l.current) != winner
            && let Some(other) = list.get_mut(l.current)
            && other.end == EngagementEnd::Open
        {
            other.end = EngagementEnd::LostToOther;
            other.end_us = Some(sale.time_us);
        }
    }
    if let Some(g) = winner.and_then(|g| list.get_mut(g)) {
        g.won_sale = Some(sale.slot);
        g.won_us = Some(sale.time_us);
        g.end = EngagementEnd::Won;
        g.end_us = Some(sale.time_us);
    }
}

/// One event of a prospect's history, as a caller that keeps its own rows
/// (a query engine, a CRM's store) hands it to [`classify_history`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryEvent<'a> {
    /// Contact, meeting or sale.
    pub kind: EventKind,
    /// When it happened (a contact's `occurred_at`, a meeting's `held_at`,
    /// a sale's `closed_at`).
    pub at: DateTime<Utc>,
    /// Its record id (ties at equal time and kind break on it, in byte
    /// order).
    pub id: &'a str,
    /// The rep it is attributed to (per-rep newness keys on it).
    pub rep_id: &'a str,
    /// For a meeting, whether it was held (status `held`); ignored for
    /// other kinds.
    pub held: bool,
}

/// What SPEC §5 says of one event of a history ([`classify_history`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistoryClass {
    /// The class of a contact; `None` for meetings and sales.
    pub class: Option<ContactClass>,
    /// The position, in the history as given, of the contact that started
    /// the engagement this event belongs to; `None` outside any engagement
    /// (customer contacts, events before the prospect's first contact or
    /// after its first sale). An engagement holds a held meeting when one
    /// of its meetings is held, and is won when the first sale belongs to
    /// it (SPEC §7).
    pub engagement: Option<usize>,
}

/// Classifies one prospect's whole history (every contact, meeting and
/// sale of the prospect, in any order): the class of each contact and the
/// engagement of each event, aligned with `events`. The same rule as
/// [`classify`](crate::classify) over a ledger, for callers that hold the
/// events elsewhere, such as a query engine's window function over
/// `PARTITION BY prospect ORDER BY time, kind rank, id`.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use sales_metrics::{classify_history, ClassifyConfig, ContactClass, EventKind, HistoryEvent};
///
/// let t = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
/// let event = |kind, days, id| HistoryEvent {
///     kind, at: t + TimeDelta::days(days), id, rep_id: "ana", held: true,
/// };
/// let history = [
///     event(EventKind::Contact, 0, "c1"),
///     event(EventKind::Meeting, 3, "m1"),
///     event(EventKind::Sale, 9, "s1"),
///     event(EventKind::Contact, 30, "c2"),
/// ];
/// let classes = classify_history(&history, &ClassifyConfig::default());
/// assert_eq!(classes[0].class, Some(ContactClass::New));
/// // The meeting and the (first) sale belong to the engagement c1 started.
/// assert_eq!((classes[1].engagement, classes[2].engagement), (Some(0), Some(0)));
/// assert_eq!(classes[3].class, Some(ContactClass::Customer));
/// assert_eq!(classes[3].engagement, None);
/// ```
pub fn classify_history(events: &[HistoryEvent<'_>], config: &ClassifyConfig) -> Vec<HistoryClass> {
    let facts = HistoryFacts::new(events);
    let mut order: Vec<Event> = events
        .iter()
        .zip(0u32..)
        .map(|(e, slot)| Event {
            time_us: e.at.timestamp_micros(),
            kind: e.kind,
            slot,
        })
        .collect();
    if !order.is_sorted_by(|&a, &b| compare(&facts, a, b).is_le()) {
        order.sort_by(|&a, &b| compare(&facts, a, b));
    }
    let dormancy_us = config.dormancy.num_microseconds().unwrap_or(i64::MAX);
    let mut out = vec![HistoryClass::default(); events.len()];
    let mut lanes = Lanes::default();
    classify_into(
        &facts,
        &order,
        config.newness,
        dormancy_us,
        &mut lanes,
        |slot, state| {
            if let Some(o) = out.get_mut(slot as usize) {
                o.class = Some(state.class);
            }
        },
    );
    let mut owners = Vec::with_capacity(order.len());
    let engagements = engagements_of(&facts, &order, config.newness, dormancy_us, 0, |g| {
        owners.push(g);
    });
    for (e, g) in order.iter().zip(owners) {
        let start = g
            .and_then(|g| engagements.get(g))
            .map(|g| g.start_contact as usize);
        if let Some(o) = out.get_mut(e.slot as usize) {
            o.engagement = start;
        }
    }
    out
}

/// [`EventFacts`] of a caller's history: an event's slot is its position.
struct HistoryFacts<'h, 'a> {
    events: &'h [HistoryEvent<'a>],
    /// Per event, the position of the first event with the same rep.
    rep_keys: Vec<u32>,
}

impl<'h, 'a> HistoryFacts<'h, 'a> {
    fn new(events: &'h [HistoryEvent<'a>]) -> Self {
        // A prospect has few distinct reps: a linear search is cheapest.
        let mut firsts: Vec<(&str, u32)> = Vec::new();
        let rep_keys = events
            .iter()
            .zip(0u32..)
            .map(|(e, i)| match firsts.iter().find(|(r, _)| *r == e.rep_id) {
                Some(&(_, k)) => k,
                None => {
                    firsts.push((e.rep_id, i));
                    i
                }
            })
            .collect();
        Self { events, rep_keys }
    }
}

impl EventFacts for HistoryFacts<'_, '_> {
    fn id(&self, e: Event) -> &str {
        self.events.get(e.slot as usize).map_or("", |h| h.id)
    }

    fn rep(&self, e: Event) -> u32 {
        self.rep_keys.get(e.slot as usize).copied().unwrap_or(0)
    }

    fn held(&self, e: Event) -> bool {
        self.events.get(e.slot as usize).is_some_and(|h| h.held)
    }
}
