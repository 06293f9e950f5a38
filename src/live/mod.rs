//! Live mode (SPEC §13): a ledger that takes records one at a time, as a
//! CRM saves them, and classifies each contact at entry.
//!
//! A [`LiveLedger`] starts empty ([`LiveLedger::new`], or
//! [`LiveLedger::with_dedup`] to deduplicate prospect records at entry)
//! or from a built [`Ledger`](crate::Ledger) ([`LiveLedger::from_ledger`]), and takes
//! reps, prospect records, contacts, meetings and sales in any arrival
//! order, corrections (`replace_*`: a new version with the same id),
//! deletions (`remove_*`) and prospect merges and splits. Every record is
//! checked as SPEC §3 says; a rejected update returns
//! [`Error::Rejected`](crate::Error::Rejected) with its [`Rejection`](crate::Rejection) and
//! changes nothing. After every update the classes and engagements are
//! exactly what [`classify`](crate::classify) gives on the accepted
//! records ([`LiveLedger::to_ledger`] builds that ledger, with the live
//! prospects as its partition, for anything else).
//!
//! Reports follow the updates: [`LiveLedger::track_periods`] keeps the
//! period and cohort reports of a [`PeriodSpec`](crate::report::PeriodSpec)
//! (scope: everything), [`LiveLedger::track_survival`] the survival
//! curves; [`LiveLedger::period_report`], [`LiveLedger::cohort_report`],
//! [`LiveLedger::time_to_win`] and [`LiveLedger::time_to_first_meeting`]
//! read them without rebuilding anything, equal to the batch reports.
//!
//! # Cost of an update
//! Each prospect keeps its events in SPEC §5 order. A contact later than
//! every event of its prospect is classified from the events just before
//! it; any other update re-classifies the prospects it touches (a merge:
//! both), and with reports kept up to date every update recounts those
//! prospects' parts of them. Nothing costs in proportion to the ledger,
//! except a table growing: [`LiveLedger::reserve`] makes room up front.
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use sales_metrics::live::LiveLedger;
//! use sales_metrics::{Channel, ClassifyConfig, Contact, ContactClass, ProspectRecord, Rep, Sale};
//!
//! let t = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
//! let mut live = LiveLedger::new(ClassifyConfig::default());
//! live.add_rep(&Rep::new("ana"))?;
//! live.add_prospect(&ProspectRecord::new("p1"))?;
//! let first = live.add_contact(&Contact::new("c1", "ana", "p1", t, Channel::Phone))?;
//! assert_eq!(first.class, ContactClass::New);
//! live.add_sale(&Sale::new("s1", "ana", "p1", t + TimeDelta::days(30)))?;
//! let after = live.add_contact(&Contact::new("c2", "ana", "p1", t + TimeDelta::days(40), Channel::Email))?;
//! assert_eq!(after.class, ContactClass::Customer);
//!
//! // A contact logged late, before c1: it is the new one now, and c1 changed.
//! let early = live.add_contact(&Contact::new("c0", "ana", "p1", t - TimeDelta::days(2), Channel::Email))?;
//! assert_eq!(early.class, ContactClass::New);
//! assert_eq!(early.changes[0].contact_id.as_str(), "c1");
//! assert_eq!(early.changes[0].to, ContactClass::FollowUp);
//! # Ok::<(), sales_metrics::Error>(())
//! ```
//!
//! # Concurrency
//! `LiveLedger` is plain data: `Send + Sync`, updated through `&mut self`.
//! Behind a `std::sync::RwLock`, one writer appends while readers take
//! the read lock for a consistent view (every update is applied whole or
//! not at all, so a reader never sees half of one); a dashboard that
//! reads for long clones the ledger or calls [`LiveLedger::to_ledger`]
//! under the read lock and releases it.
//!
//! # Snapshots
//! `LiveLedger` is `Serialize`/`Deserialize` in any serde format (a
//! compact binary one such as postcard or bincode for size and speed):
//! its compact tables (each id once, references as slots, times in µs),
//! its prospects, its settings and which reports it keeps, with a format
//! version. Reading one checks every record and reference again (a
//! damaged snapshot is an error, never a panic) and rebuilds prospects,
//! classes and reports in one pass; a snapshot plus the updates after it
//! gives the state that replaying everything gives. The deduplication
//! index is not part of a snapshot: attach one again with
//! [`LiveLedger::set_dedup`].
//!
//! In a binary format (one that is not human-readable) each big table is
//! packed into a byte string of its own, in postcard, whatever the outer
//! format: the tables are packed and unpacked on every thread, and the
//! ids' hash tables are built on one thread while prospects and classes
//! are rebuilt on another. A human-readable format (JSON) holds the
//! tables as they are. Stream a large snapshot to its file
//! (`postcard::to_io` into an [`OutputFile`](crate::ingest::OutputFile),
//! which writes large blocks straight to the disk):
//! `postcard::to_allocvec` holds a second copy of it in memory.
//!
//! At 10M contacts a snapshot is about 1.15 GB, written in 1.2–1.3 s and
//! restored from its bytes in 2.8–2.9 s on a 2-core virtual machine
//! (reading the file into memory first takes another 0.6–2.4 s). Most of
//! the restore is the kernel handing out the 2.5 GB the ledger takes.
//! [`LiveLedger::shrink_to_fit`] frees the room tables keep for growth
//! after a bulk load; a restored ledger has none. On Linux with glibc
//! 2.35 or later, `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` in the
//! process's environment lets the allocator back the big tables with
//! transparent huge pages, which took about a fifth off in some of our
//! runs and added a fifth or more in others: measure before you set it.

mod check;
mod entry;
mod events;
mod follow;
mod prospects;
mod rebuild;
mod records;
mod reports;
mod snapshot;
mod store;
mod tables;

pub use entry::{ClassChange, ContactEntry, ProspectEntry};
pub use store::LiveLedger;
