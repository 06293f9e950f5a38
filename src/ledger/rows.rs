//! The ledger's rows: contacts, meetings and sales with dense indices
//! instead of ids, and the events of prospects' timelines.

use crate::model::MeetingStatus;

// The one event kind of the crate (SPEC §5 rank order).
pub(crate) use crate::model::EventKind;

/// One event of a prospect's timeline: 16 bytes, no strings.
///
/// Sorting by `(time_us, kind, index)` is SPEC §5's order, because indices
/// within a kind follow the byte order of ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Event {
    /// When, in microseconds since the epoch.
    pub(crate) time_us: i64,
    /// Which kind.
    pub(crate) kind: EventKind,
    /// Index into the ledger's contacts, meetings or sales.
    pub(crate) index: u32,
}

/// An accepted meeting, with dense indices instead of ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MeetingRow {
    /// Rep index.
    pub(crate) rep: u32,
    /// Prospect record index.
    pub(crate) record: u32,
    /// Prospect (cluster) index.
    pub(crate) prospect: u32,
    /// `held_at`, µs since the epoch.
    pub(crate) held_us: i64,
    /// Status.
    pub(crate) status: MeetingStatus,
}

/// An accepted sale, with dense indices instead of ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SaleRow {
    /// Rep index.
    pub(crate) rep: u32,
    /// Prospect record index.
    pub(crate) record: u32,
    /// Prospect (cluster) index.
    pub(crate) prospect: u32,
    /// `closed_at`, µs since the epoch.
    pub(crate) closed_us: i64,
    pub(super) amount: i64,
    /// Currency index into [`Ledger::currencies`](super::Ledger::currencies) (the empty code when the
    /// sale gave none).
    pub(crate) currency: u32,
    // Whether `amount` was given (a flag, like [`ContactRow`]'s).
    pub(super) has_amount: bool,
}

impl SaleRow {
    /// `amount_minor`, if given.
    pub(crate) fn amount_minor(&self) -> Option<i64> {
        self.has_amount.then_some(self.amount)
    }
}
