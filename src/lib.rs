//! # sales-metrics
//!
//! Companies judge salespeople by how many contacts they log. That count
//! cannot tell a new prospect from a follow-up, rewards the easiest
//! contacts, is easy to game and reports a wrong close rate: 10 sales from
//! 15 meetings is 66.7 %, not the 16.7 % that "10 sales / 60 contacts"
//! says. This crate counts the right things.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod dedup;
pub mod error;
mod intern;
pub mod ledger;
pub mod model;

pub use error::{Error, Reason, Rejection, Result, Warning};
pub use ledger::{Ledger, LedgerBuilder, Mode, ProspectIdentity, SuppliedPartition};
pub use model::{
    Channel, Contact, ContactId, Direction, Meeting, MeetingId, MeetingStatus, Money, Outcome,
    ProspectId, ProspectRecord, RecordKind, Records, Rep, RepId, Sale, SaleId, Source, TeamId,
};
