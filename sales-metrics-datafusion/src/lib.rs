//! The [`sales_metrics`] definitions on Apache DataFusion, for data past
//! one machine: contact classification (SPEC §5) as window functions, the
//! period, revenue and cohort reports (SPEC §6, §7) as SQL over the
//! classified rows, the same numbers as the core crate, distributed with
//! Ballista (feature `ballista`).
//!
//! # SQL functions
//! [`register_functions`] adds, on any `SessionContext` (a [`SalesContext`]
//! does it for you):
//!
//! * `contact_class(kind, at, id, rep_id, held [, dormancy_us, per_rep])`
//!   `OVER (PARTITION BY prospect ORDER BY at, kind_rank, id)`: the class
//!   of each contact (`new`, `follow_up`, `reactivated`, `customer`; NULL
//!   for meetings and sales). `kind` is `contact`, `meeting` or `sale`,
//!   `at` the event's time, `held` whether a meeting was held; the
//!   optional literals set the dormancy in microseconds and per-rep
//!   newness (SPEC defaults: 180 days, organisation-wide). Each partition
//!   is one prospect's whole history, classified by
//!   [`sales_metrics::classify_history`].
//! * `contact_engagement(…)` with the same arguments: the id of the
//!   contact that started the event's engagement (NULL outside any).
//! * `contact_classification(…)` with the same arguments: both as a
//!   struct `{class, engagement}`, in one evaluation (what the
//!   `classified_events` view uses).
//! * `period_label(at, granularity, time_zone)` and
//!   `period_start(at, granularity, time_zone)`: the SPEC §6 period of an
//!   instant (`day`, `week`, `month`, `quarter`, `year`; an IANA zone) and
//!   its first local day.
//!
//! Settings are literal arguments, never session state, so a function
//! means the same on every executor of a cluster.
//!
//! # Tables and views
//! [`SalesContext::register_folder`] reads SPEC §2 records from CSV or
//! Parquet (one file per kind, or a folder of files per kind) and defines
//! the views `reps`, `prospects`, `contacts`, `meetings`, `sales` (typed),
//! `prospect_map` (each record's prospect, SPEC §4, from the folder's
//! `prospect_clusters` when it has one), `sales_events` (every event with
//! its prospect and kind rank) and `classified_events` (with `class` and
//! `engagement`). Query them with SQL or the DataFrame API.
//!
//! Each query over `classified_events` classifies again;
//! [`SalesContext::materialize`] (local) and
//! [`SalesContext::materialize_to`] (a cluster, through a shared Parquet
//! dataset) classify once for all the queries after them.
//!
//! # Example
//! ```no_run
//! use sales_metrics::report::PeriodSpec;
//! use sales_metrics_datafusion::{Format, SalesContext};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let sales = SalesContext::new(datafusion::prelude::SessionContext::new());
//! sales.register_folder("data/demo", Format::Csv).await?;
//! let monthly = PeriodSpec::monthly();
//! // The core's own report type: printed, charted and written as the core does.
//! let report = sales.period_report(&monthly).await?;
//! println!("{report}");
//! // Or plain SQL over the classified events.
//! sales.context()
//!     .sql("SELECT class, count(*) FROM classified_events WHERE kind = 'contact' GROUP BY class")
//!     .await?
//!     .show()
//!     .await?;
//! // Every SPEC §11 table, as the core's `report` writes them.
//! sales.write_tables("out", &monthly).await?;
//! # Ok(()) }
//! ```
//!
//! # What is not here
//! The engine reads *valid* records: [`SalesContext::check`] finds the
//! SPEC §3 violations a query would trip on (unknown references,
//! duplicate ids, missing fields) and reports the first one as an error,
//! as the core's strict mode does; lenient loading (rejecting rows and
//! carrying on) and deduplication stay with the core crate, whose
//! `prospect_clusters.csv` this crate reads as the supplied partition.

#[cfg(feature = "ballista")]
pub mod cluster;
mod error;
mod functions;
mod reports;
mod session;
mod tables;

pub use error::{Error, Result};
pub use functions::{register_functions, scalar_functions, window_functions};
pub use session::SalesContext;
pub use tables::Format;
