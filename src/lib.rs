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

pub mod error;
pub mod ingest;
mod intern;
pub mod ledger;
pub mod model;

pub use error::{Error, Reason, Rejection, Result, Warning};
pub use ingest::{
    load_folder, read_csv, read_csv_folder, read_json, read_json_file, read_partition_csv,
    read_partition_file, write_records_csv, write_records_json, write_rejections_csv,
    write_rejections_json,
};
pub use ledger::{Ledger, LedgerBuilder, Mode, ProspectIdentity, SuppliedPartition};
pub use model::{
    Channel, Contact, ContactId, Direction, Meeting, MeetingId, MeetingStatus, Money, Outcome,
    ProspectId, ProspectRecord, RecordKind, Records, Rep, RepId, Sale, SaleId, Source, TeamId,
};
