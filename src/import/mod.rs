//! Importing CRM exports (SPEC §12): a Salesforce, HubSpot or Pipedrive
//! export folder, or any CSV export described by a [`Mapping`], becomes
//! the records of SPEC §2, fed to a [`RecordSink`] (a
//! [`LedgerBuilder`](crate::LedgerBuilder)) as they are read.
//!
//! Nothing is lost: every input row is imported, skipped with a reason
//! (a row the mapping excludes on purpose: `deleted`, `open_task`,
//! `no_prospect`, `future_event`, `not_won`, `no_contact`, …) or rejected
//! with a SPEC §3 reason, and [`Import::summary`] adds them up per file
//! (`rows = imported + skipped + rejected` on every line). The mappings
//! are written down in `docs/import/` of the repository.
//!
//! # Example
//! A two-file Salesforce export (the other required files empty):
//! ```
//! use sales_metrics::import::{import_folder, ExportFormat, ImportOptions};
//! use sales_metrics::{LedgerBuilder, Mode, RecordKind};
//!
//! let dir = tempfile_dir()?;
//! let write = |name: &str, text: &str| std::fs::write(dir.join(name), text);
//! write("User.csv", "Id,Name\n005000000000001,Ana Lima\n")?;
//! write("Lead.csv", "Id,FirstName,LastName,Company,CreatedDate,IsDeleted\n\
//!     00Q000000000001,Rui,Sousa,Acme,2026-05-30T10:00:00.000+0000,false\n\
//!     00Q000000000002,Old,Lead,Gone Ltd,2026-05-01T10:00:00.000+0000,true\n")?;
//! write("Task.csv", "Id,OwnerId,WhoId,Status,TaskSubtype,CreatedDate\n\
//!     00T000000000001,005000000000001,00Q000000000001,Completed,Call,2026-06-01T09:00:00.000+0000\n\
//!     00T000000000002,005000000000001,00Q000000000001,Not Started,Call,2026-06-02T09:00:00.000+0000\n")?;
//! write("Event.csv", "Id,OwnerId,WhoId,StartDateTime\n")?;
//! write("Opportunity.csv", "Id,OwnerId,IsWon,CloseDate\n")?;
//!
//! let mut builder = LedgerBuilder::new();
//! builder.mode(Mode::Lenient);
//! let import = import_folder(&dir, &ExportFormat::Salesforce, &ImportOptions::default(), &mut builder)?;
//! let ledger = builder.build()?;
//! assert_eq!(ledger.accepted_count(RecordKind::Contact), 1);
//!
//! let mut summary = Vec::new();
//! import.summary(ledger.rejections()).write_csv(&mut summary)?;
//! assert_eq!(String::from_utf8(summary)?, "\
//! file,rows,imported,skipped,rejected,skip_reason_counts
//! Event.csv,0,0,0,0,
//! Lead.csv,2,1,1,0,deleted=1
//! Opportunity.csv,0,0,0,0,
//! Task.csv,2,1,1,0,open_task=1
//! User.csv,1,1,0,0,
//! ");
//! # fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
//! #     let d = std::env::temp_dir().join(format!("sm-import-doc-{}", std::process::id()));
//! #     std::fs::create_dir_all(&d)?;
//! #     Ok(d)
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cells;
mod hubspot;
mod mapping;
mod outcome;
mod pipedrive;
mod salesforce;
mod sheet;

use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::error::Result;
use crate::ingest::RecordSink;
use crate::model::Outcome;

pub use self::mapping::Mapping;
pub use self::outcome::Import;
use self::outcome::Recorder;

/// Which CRM wrote an export folder.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ExportFormat {
    /// Salesforce object files (`User.csv`, `Lead.csv`, `Task.csv`, …),
    /// SPEC §12.2.
    Salesforce,
    /// HubSpot object exports (`owners.csv`, `contacts.csv`, `calls.csv`,
    /// …), SPEC §12.3 as `docs/import/hubspot.md` maps them.
    HubSpot,
    /// Pipedrive exports (`users.csv`, `persons.csv`, `activities.csv`,
    /// `deals.csv`, …), SPEC §12.3 as `docs/import/pipedrive.md` maps them.
    Pipedrive,
    /// Any CRM's CSV files, as a [`Mapping`] describes them (SPEC §12.4).
    Mapped(Mapping),
}

impl ExportFormat {
    /// The format named `salesforce`, `hubspot` or `pipedrive` (ignoring
    /// case), else the mapping file at path `name` (what `report --from`
    /// takes).
    ///
    /// # Errors
    /// [`Mapping::from_file`]'s, when `name` is no built-in format.
    pub fn parse(name: &str) -> Result<ExportFormat> {
        let named = [
            ("salesforce", ExportFormat::Salesforce),
            ("hubspot", ExportFormat::HubSpot),
            ("pipedrive", ExportFormat::Pipedrive),
        ];
        match named
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some((_, format)) => Ok(format),
            None => Mapping::from_file(name).map(ExportFormat::Mapped),
        }
    }
}

/// How an export is read: the settings SPEC §12.1 leaves to the caller.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The zone in which dates without a time become instants (default
    /// UTC).
    pub time_zone: Tz,
    /// The currency of amounts whose row names none (`--currency`).
    pub currency: Option<String>,
    /// The as-of instant (`--as-of`); `None`: the latest valid creation
    /// time of any row of the export.
    pub as_of: Option<DateTime<Utc>>,
    /// Free-text call dispositions → outcome: the first rule whose text
    /// the disposition contains (ignoring case) wins; none: `other`.
    /// Defaults to SPEC §12.2's rules.
    pub disposition_rules: Vec<(String, Outcome)>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        let rules = [
            ("no answer", Outcome::NoAnswer),
            ("voicemail", Outcome::NoAnswer),
            ("busy", Outcome::NoAnswer),
            ("left message", Outcome::NoAnswer),
            ("not interested", Outcome::NotInterested),
            ("meeting", Outcome::MeetingBooked),
            ("booked", Outcome::MeetingBooked),
            ("connected", Outcome::Conversation),
            ("spoke", Outcome::Conversation),
            ("conversation", Outcome::Conversation),
        ];
        ImportOptions {
            time_zone: Tz::UTC,
            currency: None,
            as_of: None,
            disposition_rules: rules.map(|(t, o)| (t.to_owned(), o)).to_vec(),
        }
    }
}

/// Imports the export folder `dir` written by `format` into `sink`: every
/// row imported (pushed), skipped or rejected; known links (a converted
/// lead and its contact) given to [`RecordSink::link`].
///
/// # Errors
/// A required file or column missing, a file that cannot be read or is
/// not well-formed CSV: naming the file (and the column or position).
pub fn import_folder(
    dir: impl AsRef<Path>,
    format: &ExportFormat,
    options: &ImportOptions,
    sink: &mut dyn RecordSink,
) -> Result<Import> {
    let dir = dir.as_ref();
    let mut recorder = Recorder::new(sink);
    let as_of = match format {
        ExportFormat::Salesforce => salesforce::import(dir, options, &mut recorder)?,
        ExportFormat::HubSpot => hubspot::import(dir, options, &mut recorder)?,
        ExportFormat::Pipedrive => pipedrive::import(dir, options, &mut recorder)?,
        ExportFormat::Mapped(m) => mapping::import(dir, m, options, &mut recorder)?,
    };
    Ok(recorder.finish(as_of))
}
