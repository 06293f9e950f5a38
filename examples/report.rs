//! The command-line entry for analysts and for checking the crate against
//! other tools: reads a SPEC §2 folder and writes the SPEC §11 tables.
//!
//! ```text
//! cargo run --release --example report -- DATA_DIR OUT_DIR [--clusters FILE]
//!     [--tz ZONE] [--period day|week|month|quarter|year] [--lenient] [--json]
//!     [--detectors all|none|NAME,...] [--detect-period day|week|month|quarter|year]
//!     [--from spec|salesforce|hubspot|pipedrive|MAPPING_FILE] [--currency CODE] [--as-of INSTANT]
//! ```
//!
//! `--from` says what DATA_DIR holds: SPEC §2 files (`spec`, the
//! default), a Salesforce, HubSpot or Pipedrive export (SPEC §12), or any
//! CRM's CSV export described by a mapping file (`docs/import/mapping.md`).
//! An import also writes `import_summary.csv` (every file's rows:
//! imported, skipped, rejected) and `skipped.csv` (each skipped row and
//! why), and its rejections name each row in its own file. `--tz` is
//! also the zone in which the export's dates become instants, `--currency`
//! the currency of amounts whose row names none, and `--as-of` the instant
//! after which meetings are planned, not held (default: the latest
//! creation time in the export).
//!
//! The detectors judge calendar months (in `--tz`) whatever `--period` the
//! reports use — a week is too short for most of their tests — unless
//! `--detect-period` says otherwise; what they could not judge in the
//! periods chosen is printed as a note.
//!
//! Writes into OUT_DIR: `contact_classes.csv`, `period_report.csv`,
//! `revenue.csv`, `cohort_report.csv`, `findings.csv` (gaming detectors,
//! all by default), `prospect_clusters.csv` (the partition used) and
//! `rejections.csv`; with `--json` also a `.json` twin of each table but
//! `prospect_clusters`. Paths need not be UTF-8.
//!
//! OUT_DIR is replaced as a whole, never updated file by file
//! ([`OutputDir`]): the new files are written and synced in a hidden
//! sibling folder `.OUT_DIR-NAME.sm-staging-PID-N`, which is then swapped
//! with OUT_DIR in one step. At every instant OUT_DIR holds the complete
//! result of one run, the previous or the new one, or the error output of
//! a failed run; what a killed run leaves next to it is removed by the next
//! run. Because the whole folder is replaced, an existing OUT_DIR must hold
//! only files this program writes (those above and `error.txt`): anything
//! else makes it refuse before doing anything.
//!
//! What a run leaves and how it exits:
//! - success: the tables above, exit 0;
//! - bad arguments (unknown option, bad `--tz`, `--period` or
//!   `--detectors` value, a value that is not UTF-8, wrong number of
//!   paths): the usage on stderr, exit 2, OUT_DIR untouched;
//! - an OUT_DIR holding other files, or not a folder: the reason on stderr,
//!   exit 1, OUT_DIR untouched;
//! - any other failure (a missing or unreadable file, a missing column,
//!   malformed CSV, invalid UTF-8, a bad `--clusters` file, a write that
//!   fails): the message on stderr and OUT_DIR replaced by `error.txt`
//!   holding that message, exit 1; in strict mode, when records are
//!   rejected, also `rejections.csv` listing every one of them (and
//!   `rejections.json` with `--json`), and no tables. Should even the error
//!   output not be writable (full disk), OUT_DIR is left as it was and
//!   stderr says so.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use sales_metrics::SuppliedPartition;
use sales_metrics::detect::{self, DetectConfig, Detector};
use sales_metrics::import::{ExportFormat, Import, ImportOptions, import_folder};
use sales_metrics::ingest::{OutputDir, Rejections, read_csv_folder};
use sales_metrics::report::{CohortReport, Granularity, PeriodReport, PeriodSpec, Scope};
use sales_metrics::{Classified, ClassifyConfig, Error, Ledger, LedgerBuilder, Mode, classify};

const USAGE: &str = "usage: report DATA_DIR OUT_DIR [--clusters FILE] [--tz ZONE] \
[--period day|week|month|quarter|year] [--lenient] [--json] [--detectors all|none|NAME,...] [--detect-period day|week|month|quarter|year] \
[--from spec|salesforce|hubspot|pipedrive|MAPPING_FILE] [--currency CODE] [--as-of INSTANT]";

/// Every file this program may write into OUT_DIR: an existing OUT_DIR
/// holding anything else is refused, since the whole folder is replaced.
const OUTPUTS: &[&str] = &[
    "contact_classes.csv",
    "period_report.csv",
    "revenue.csv",
    "cohort_report.csv",
    "findings.csv",
    "prospect_clusters.csv",
    "rejections.csv",
    "contact_classes.json",
    "period_report.json",
    "revenue.json",
    "cohort_report.json",
    "findings.json",
    "rejections.json",
    "import_summary.csv",
    "import_summary.json",
    "skipped.csv",
    "skipped.json",
    "error.txt",
];

struct Args {
    data: PathBuf,
    out: PathBuf,
    clusters: Option<PathBuf>,
    periods: PeriodSpec,
    /// The periods the detectors judge (months unless `--detect-period`).
    detect_periods: PeriodSpec,
    mode: Mode,
    json: bool,
    detectors: Vec<Box<dyn Detector>>,
    /// `--from` (`None`: SPEC §2 files): a built-in format's name or a
    /// mapping file, read when the run starts.
    from: Option<String>,
    import: ImportOptions,
}

/// The text of an option's value; options other than paths must be UTF-8.
fn text_value(name: &str, value: OsString) -> Result<String, String> {
    value
        .into_string()
        .map_err(|v| format!("{name} {}: not valid UTF-8", v.to_string_lossy()))
}

fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut clusters = None;
    let mut tz = None;
    let mut period = Granularity::Month;
    let mut detect_period = Granularity::Month;
    let mut mode = Mode::Strict;
    let mut json = false;
    let mut detectors = detect::by_names(["all"]).map_err(|e| e.to_string())?;
    let mut from = None;
    let mut import = ImportOptions::default();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.to_str() {
            Some("--clusters") => clusters = Some(PathBuf::from(value("--clusters")?)),
            Some("--tz") => tz = Some(text_value("--tz", value("--tz")?)?),
            Some("--period") => {
                let v = text_value("--period", value("--period")?)?;
                period = Granularity::parse(&v).map_err(|e| e.to_string())?
            }
            Some("--detect-period") => {
                let v = text_value("--detect-period", value("--detect-period")?)?;
                detect_period = Granularity::parse(&v).map_err(|e| e.to_string())?
            }
            Some("--lenient") => mode = Mode::Lenient,
            Some("--json") => json = true,
            Some("--detectors") => {
                let v = text_value("--detectors", value("--detectors")?)?;
                // `none` (or nothing) chooses no detector.
                let names = v
                    .split(',')
                    .filter(|n| !n.trim().eq_ignore_ascii_case("none"));
                detectors = detect::by_names(names).map_err(|e| e.to_string())?
            }
            Some("--from") => {
                let v = text_value("--from", value("--from")?)?;
                from = (!v.eq_ignore_ascii_case("spec")).then_some(v);
            }
            Some("--currency") => {
                import.currency = Some(text_value("--currency", value("--currency")?)?);
            }
            Some("--as-of") => {
                let v = text_value("--as-of", value("--as-of")?)?;
                let t = chrono::DateTime::parse_from_rfc3339(&v)
                    .map_err(|e| format!("--as-of {v}: {e}"))?;
                import.as_of = Some(t.with_timezone(&chrono::Utc));
            }
            Some("-h" | "--help") => return Err(String::new()),
            _ if a.as_encoded_bytes().starts_with(b"--") => {
                return Err(format!("unknown option {}", a.to_string_lossy()));
            }
            _ => positional.push(PathBuf::from(a)),
        }
    }
    let [data, out]: [PathBuf; 2] = positional.try_into().map_err(|p: Vec<PathBuf>| {
        format!("expected DATA_DIR and OUT_DIR, got {} paths", p.len())
    })?;
    let mut periods = PeriodSpec::new(period);
    let mut detect_periods = PeriodSpec::new(detect_period);
    if let Some(tz) = tz {
        periods = periods.in_zone_named(&tz).map_err(|e| e.to_string())?;
        detect_periods = detect_periods
            .in_zone_named(&tz)
            .map_err(|e| e.to_string())?;
        import.time_zone = tz.parse().map_err(|e| format!("--tz {tz}: {e}"))?;
    }
    Ok(Args {
        data,
        out,
        clusters,
        periods,
        detect_periods,
        mode,
        json,
        detectors,
        from,
        import,
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args_os().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("report: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Checked first, so that a folder that cannot be replaced is refused
    // before the work, and untouched.
    let mut out = match OutputDir::begin(&args.out, OUTPUTS) {
        Ok(out) => out,
        Err(e) => {
            eprintln!("report: {e}");
            return ExitCode::FAILURE;
        }
    };
    let t0 = Instant::now();
    let (ledger, import, loaded) = match load(&args, t0) {
        Ok(r) => r,
        Err(e) => return fail(&args, Some(out), e),
    };
    let results = match analyse(&args, &ledger, import, t0, loaded) {
        Ok(r) => r,
        Err(e) => return fail(&args, Some(out), e),
    };
    let written = results.write(&mut out, args.json);
    if let Err(e) = written {
        // The staged tables go; the error output is staged afresh.
        drop(out);
        return fail(&args, None, e);
    }
    if let Err(e) = out.commit() {
        return fail(&args, None, e);
    }
    results.print_summary(&args, t0.elapsed());
    ExitCode::SUCCESS
}

/// Reports `e` on stderr and replaces OUT_DIR with the error output:
/// `error.txt` with the message and, for strict-mode rejections,
/// `rejections.csv` (and `.json`).
fn fail(args: &Args, out: Option<OutputDir>, e: Error) -> ExitCode {
    let message = match &e {
        Error::Rejected { rejections } => {
            for r in rejections.iter().take(10) {
                eprintln!("  rejected: {r}");
            }
            format!(
                "{} record(s) rejected in strict mode; all are listed in {}; no tables were \
                 written (use --lenient to load the rest)",
                rejections.len(),
                args.out.join("rejections.csv").display()
            )
        }
        other => other.to_string(),
    };
    eprintln!("report: {message}");
    let written = match out {
        Some(out) => Ok(out),
        None => OutputDir::begin(&args.out, OUTPUTS),
    }
    .and_then(|out| write_error_output(out, &e, &message, args.json));
    if let Err(w) = written {
        eprintln!(
            "report: the error output could not be written ({w}); {} is left as it was",
            args.out.display()
        );
    }
    ExitCode::FAILURE
}

fn write_error_output(
    mut out: OutputDir,
    e: &Error,
    message: &str,
    json: bool,
) -> Result<(), Error> {
    if let Error::Rejected { rejections } = e {
        out.write_file("rejections.csv", |w| Rejections(rejections).write_csv(w))?;
        if json {
            out.write_file("rejections.json", |w| Rejections(rejections).write_json(w))?;
        }
    }
    out.write_file("error.txt", |w| {
        writeln!(w, "{message}").map_err(|e| Error::write("error message", e))
    })?;
    out.commit()
}

/// Everything a good run writes, and how long each stage took.
struct Results<'l> {
    classified: Classified<'l>,
    report: PeriodReport,
    cohorts: CohortReport,
    findings: detect::Findings,
    /// What an import did with every row (`--from` other than `spec`).
    import: Option<Import>,
    /// Ends of reading, validating, classifying, reports and detectors.
    times: [Duration; 5],
}

/// Reads and validates the data; returns the ledger, what an import did,
/// and the ends of reading and validating.
fn load(args: &Args, t0: Instant) -> Result<(Ledger, Option<Import>, [Duration; 2]), Error> {
    let mut builder = LedgerBuilder::new();
    builder.mode(args.mode);
    if let Some(path) = &args.clusters {
        builder.partition(SuppliedPartition::from_file(path)?);
        // With the partition given, names and contact details are not
        // needed: do not hold them in memory.
        builder.keep_prospect_details(false);
    }
    let import = match &args.from {
        None => {
            read_csv_folder(&args.data, &mut builder)?;
            None
        }
        Some(from) => {
            let format = ExportFormat::parse(from)?;
            Some(import_folder(
                &args.data,
                &format,
                &args.import,
                &mut builder,
            )?)
        }
    };
    let t_read = t0.elapsed();
    let ledger = builder.build().map_err(|e| match (e, &import) {
        // Strict mode: each rejection names its row in its own file.
        (Error::Rejected { rejections }, Some(import)) => Error::Rejected {
            rejections: import.rejections(&rejections),
        },
        (e, _) => e,
    })?;
    let t_build = t0.elapsed();
    for w in ledger.warnings() {
        eprintln!("report: warning: {w}");
    }
    Ok((ledger, import, [t_read, t_build]))
}

/// Classifies `ledger` and computes the reports and findings.
fn analyse<'l>(
    args: &Args,
    ledger: &'l Ledger,
    import: Option<Import>,
    t0: Instant,
    [t_read, t_build]: [Duration; 2],
) -> Result<Results<'l>, Error> {
    let classified = classify(ledger, &ClassifyConfig::default());
    let t_classify = t0.elapsed();
    let report = classified.period_report(&Scope::all(), &args.periods)?;
    let cohorts = classified.cohort_report(&Scope::all(), &args.periods)?;
    let t_report = t0.elapsed();
    let detect_config = DetectConfig {
        periods: args.detect_periods.clone(),
        ..DetectConfig::default()
    };
    let findings = if args.detectors.is_empty() {
        detect::Findings::default()
    } else {
        let ctx = detect::DetectContext::new(&classified, &detect_config)?;
        detect::detect(&ctx, &args.detectors)
    };
    let t_detect = t0.elapsed();
    Ok(Results {
        classified,
        report,
        cohorts,
        findings,
        import,
        times: [t_read, t_build, t_classify, t_report, t_detect],
    })
}

impl Results<'_> {
    /// Stages every table in `out`.
    fn write(&self, out: &mut OutputDir, json: bool) -> Result<(), Error> {
        let (ledger, classified) = (self.classified.ledger(), &self.classified);
        out.write_file("contact_classes.csv", |w| classified.write_classes_csv(w))?;
        for (name, table) in [
            ("period_report", self.report.table()),
            ("revenue", self.report.revenue_table()),
            ("cohort_report", self.cohorts.table()),
            ("findings", self.findings.table()),
        ] {
            out.write_file(&format!("{name}.csv"), |w| table.write_csv(w))?;
            if json {
                out.write_file(&format!("{name}.json"), |w| table.write_json(w))?;
            }
        }
        out.write_file("prospect_clusters.csv", |w| {
            ledger.write_prospect_clusters_csv(w)
        })?;
        let rejections = match &self.import {
            Some(import) => import.rejections(ledger.rejections()),
            None => ledger.rejections().to_vec(),
        };
        out.write_file("rejections.csv", |w| Rejections(&rejections).write_csv(w))?;
        if json {
            out.write_file("contact_classes.json", |w| classified.write_classes_json(w))?;
            out.write_file("rejections.json", |w| Rejections(&rejections).write_json(w))?;
        }
        if let Some(import) = &self.import {
            for (name, table) in [
                ("import_summary", import.summary(ledger.rejections())),
                ("skipped", import.skipped()),
            ] {
                out.write_file(&format!("{name}.csv"), |w| table.write_csv(w))?;
                if json {
                    out.write_file(&format!("{name}.json"), |w| table.write_json(w))?;
                }
            }
        }
        Ok(())
    }

    fn print_summary(&self, args: &Args, t_write: Duration) {
        let ledger = self.classified.ledger();
        let [t_read, t_build, t_classify, t_report, t_detect] = self.times;
        println!(
            "read {} contacts, {} meetings, {} sales, {} prospect records ({} prospects), {} reps; {} rejected",
            ledger.accepted_count(sales_metrics::RecordKind::Contact),
            ledger.accepted_count(sales_metrics::RecordKind::Meeting),
            ledger.accepted_count(sales_metrics::RecordKind::Sale),
            ledger.accepted_count(sales_metrics::RecordKind::Prospect),
            ledger.prospect_count(),
            ledger.reps().len(),
            ledger.rejections().len()
        );
        if let Some(import) = &self.import {
            let as_of = import
                .as_of()
                .map_or_else(|| "none".to_owned(), |t| t.to_rfc3339());
            println!(
                "imported {} export: {} rows skipped (skipped.csv), as of {as_of}; \
                 per-file counts in import_summary.csv",
                args.from.as_deref().unwrap_or("spec"),
                import.skipped().rows.len(),
            );
        }
        println!(
            "wrote {} period rows, {} cohort rows and {} findings to {}",
            self.report.rows.len(),
            self.cohorts.rows.len(),
            self.findings.len(),
            args.out.display()
        );
        for note in self.findings.notes() {
            println!("note: {note}");
        }
        println!(
            "time: read {:.3}s, validate+index {:.3}s, classify {:.3}s, reports {:.3}s, detectors {:.3}s, write {:.3}s, total {:.3}s",
            t_read.as_secs_f64(),
            (t_build - t_read).as_secs_f64(),
            (t_classify - t_build).as_secs_f64(),
            (t_report - t_classify).as_secs_f64(),
            (t_detect - t_report).as_secs_f64(),
            (t_write - t_detect).as_secs_f64(),
            t_write.as_secs_f64()
        );
    }
}
