//! # sales-metrics
//!
//! Companies judge salespeople by how many contacts they log. That count
//! treats every contact as a new prospect, cannot tell a new prospect from
//! a follow-up, rewards the easiest contacts, is easy to game, hides where
//! time goes and how long sales really take, and reports a close rate that
//! is wrong: 10 sales from 15 meetings is a 66.7 % meeting close rate, not
//! the 16.7 % that "10 sales / 60 contacts" says. This crate counts the
//! right things and shows the wrong number beside the right one.
//!
//! ## Overview
//!
//! Data flows one way through layers that never point back
//! (`ARCHITECTURE.md` in the repository is the map; a test keeps the code
//! on it):
//!
//! 1. **Records** — [`Rep`], [`ProspectRecord`], [`Contact`], [`Meeting`],
//!    [`Sale`] — come from CSV or JSON ([`ingest`]), a CRM's export
//!    (Salesforce, HubSpot, Pipedrive, or any CSV through a mapping file:
//!    [`import`], SPEC §12), Rust values, or a CRM's own types through
//!    [`ingest::RecordSink`].
//! 2. A [`LedgerBuilder`] validates them (SPEC §3: every record is accepted
//!    or rejected with a [`Rejection`] naming kind, row, id, field and
//!    reason), groups prospect records into prospects (SPEC §4), and builds
//!    a [`Ledger`]: ids interned, events sorted per prospect.
//! 3. [`classify()`] gives every contact a [`ContactClass`] — `new`,
//!    `follow_up`, `reactivated` or `customer` — and finds engagements.
//!    The [`Classified`] result borrows its ledger, so every report and
//!    detector computed from it reads that ledger and no other.
//! 4. [`report`] computes, for any [`Scope`](report::Scope) and
//!    [`PeriodSpec`](report::PeriodSpec) in any IANA time zone: the period
//!    report (SPEC §6), the cohort report of engagements (SPEC §7), the
//!    Kaplan–Meier survival of engagements (time to win, time to first
//!    meeting, censoring the open ones honestly) and breakdowns by channel
//!    and source. Every rate is a [`Ratio`] that keeps its counts and a
//!    Wilson interval; every result becomes a [`Table`]
//!    written as CSV or JSON (SPEC §11).
//! 5. [`detect`] shows where the counts are being gamed (SPEC §9): eight
//!    built-in [`Detector`](detect::Detector)s, chosen by name with
//!    [`by_names`](detect::by_names) and set in one
//!    [`DetectConfig`](detect::DetectConfig), compare each rep with their
//!    team and their own history and return [`Finding`](detect::Finding)s
//!    with the figures and the record ids behind them; callers add their
//!    own detectors through the same trait and flag them with the same
//!    [`Rule`](detect::Rule).
//!
//! [`dedup`] links prospect records (batch, or one at a time as a CRM
//! saves them with [`DedupIndex`](dedup::DedupIndex)); the ledger uses it
//! when no partition is supplied
//! ([`LedgerBuilder::deduplicate_with`] takes other settings or a
//! caller's own [`Deduplicate`](dedup::Deduplicate)).
//!
//! [`live`] is the same pipeline one record at a time, as a CRM saves
//! them (SPEC §13): each contact classified at entry, the changes a late
//! record makes reported, reports kept up to date, snapshots to restart
//! from.
//!
//! Every stage computes on partitions of prospects that merge, so work
//! spreads over all cores (feature `parallel`) and could spread over
//! machines.
//!
//! ## Example
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use sales_metrics::report::{PeriodSpec, Scope};
//! use sales_metrics::{classify, Channel, ClassifyConfig, Contact, LedgerBuilder, Meeting,
//!     ProspectRecord, Rep, Sale};
//!
//! let june = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
//! let mut b = LedgerBuilder::new();
//! b.add_rep(Rep::new("ana"));
//! for p in 0..3 {
//!     let prospect = format!("p{p}");
//!     b.add_prospect(ProspectRecord::new(prospect.as_str()));
//!     for k in 0..4 {
//!         let t = june + Duration::days(p * 5 + k);
//!         b.add_contact(Contact::new(format!("c{p}-{k}"), "ana", prospect.as_str(), t, Channel::Phone));
//!     }
//!     b.add_meeting(Meeting::new(format!("m{p}"), "ana", prospect.as_str(), june + Duration::days(p * 5 + 4)));
//! }
//! b.add_sale(Sale::new("s0", "ana", "p0", june + Duration::days(20)));
//! b.add_sale(Sale::new("s1", "ana", "p1", june + Duration::days(21)));
//! let ledger = b.build()?;
//!
//! let classified = classify(&ledger, &ClassifyConfig::default());
//! let report = classified.period_report(&Scope::all(), &PeriodSpec::monthly())?;
//! let ana = &report.rows[0];
//! assert_eq!(ana.counts.new_prospects, 3);
//! assert_eq!(ana.counts.contact_close_rate().to_string(), "16.7 % (2/12)"); // the misleading number
//! assert_eq!(ana.counts.meeting_close_rate().to_string(), "66.7 % (2/3)"); // the honest one
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Crate features
//!
//! * `parallel` (default): classification and aggregation run on all cores
//!   with rayon. Without it everything runs on one thread, same results.
//! * `sim`: the `sim` module, a seeded behavioural simulator of sales
//!   teams with honest and gaming reps (SPEC §9's behaviours planted on
//!   chosen reps), for demos, tests, benches and what-if analysis. It
//!   generated the shipped demo data in `data/demo/`.
//! * `plot`: SVG charts of the results (`report::funnel_chart` and the other `*_chart` functions): funnels, contact
//!   vs meeting close rates, survival curves with bands, daily contact
//!   histograms with the target marked, activity mix. Pure Rust (plotters'
//!   SVG backend), no system libraries.
//! * `arrow`: every result as an Arrow `RecordBatch`
//!   (`result.to_frame().to_record_batch()`, through [`report::Frame`]).
//!   Polars DataFrames come from the separate `sales-metrics-polars` crate.
//!
//! ## Notebooks
//!
//! Every result renders itself in an evcxr (Jupyter) notebook cell as a
//! table (`evcxr_display`, `to_html`), and every chart as SVG; see
//! `examples/notebook.ipynb`.
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

mod classify;
pub mod dedup;
pub mod detect;
mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod import;
pub mod ingest;
mod intern;
mod ledger;
pub mod live;
mod model;
mod par;
mod ratio;
pub mod report;
mod rng;
#[cfg(feature = "sim")]
pub mod sim;
mod table;
mod time;
mod union_find;

pub use classify::sequence::{HistoryClass, HistoryEvent, classify_history};
pub use classify::{
    Classified, ClassifiedContact, ClassifyConfig, ContactClass, Engagement, EngagementEnd,
    Newness, classify,
};
pub use error::{Error, Reason, Rejection, Result, Warning};
pub use ingest::partition::SuppliedPartition;
pub use ledger::{Ledger, LedgerBuilder, Mode, load_folder};
pub use model::{
    Channel, Contact, ContactId, Direction, EventKind, Meeting, MeetingId, MeetingStatus, Money,
    Outcome, ProspectId, ProspectRecord, ProspectRecordId, RecordKind, Records, Rep, RepId, Sale,
    SaleId, Source, TeamId, UnknownEnum,
};
pub use ratio::Ratio;
pub use table::{Cell, Table};

// The README's Rust examples are doctests: `cargo test` compiles and runs them.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
