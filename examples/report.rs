//! The command-line entry for analysts and for checking the crate against
//! other tools: reads a SPEC §2 folder and writes the SPEC §11 tables.
//!
//! ```text
//! cargo run --release --example report -- DATA_DIR OUT_DIR [--clusters FILE]
//!     [--tz ZONE] [--period day|week|month|quarter|year] [--lenient] [--json]
//!     [--detectors all|none|NAME,...]
//! ```
//!
//! Writes into OUT_DIR: `contact_classes.csv`, `period_report.csv`,
//! `revenue.csv`, `cohort_report.csv`, `findings.csv` (gaming detectors,
//! all by default), `prospect_clusters.csv` (the partition used) and
//! `rejections.csv`; with `--json` also a `.json` twin
//! of each table. Tables are written to a staging folder first and moved
//! into OUT_DIR only when all of them are complete. Bad arguments,
//! unreadable files and strict-mode rejections exit non-zero with a message
//! on stderr; after strict-mode rejections OUT_DIR holds `rejections.csv`
//! only.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use sales_metrics::detect::{self, DetectConfig, Detector};
use sales_metrics::ingest::{
    read_csv_folder, read_partition_file, write_rejections_csv, write_rejections_json,
};
use sales_metrics::report::table::{
    write_contact_classes_csv, write_contact_classes_json, write_prospect_clusters_csv,
};
use sales_metrics::report::{Granularity, PeriodSpec, Scope, cohort_report, period_report};
use sales_metrics::{ClassifyConfig, Error, Ledger, LedgerBuilder, Mode, classify};

const USAGE: &str = "usage: report DATA_DIR OUT_DIR [--clusters FILE] [--tz ZONE] \
[--period day|week|month|quarter|year] [--lenient] [--json] [--detectors all|none|NAME,...]";

/// Files this program owns in OUT_DIR (removed when a run fails, so that no
/// stale table passes for a result of this run).
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
];

struct Args {
    data: PathBuf,
    out: PathBuf,
    clusters: Option<PathBuf>,
    periods: PeriodSpec,
    mode: Mode,
    json: bool,
    detectors: Vec<Box<dyn Detector>>,
}

fn parse_args() -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut clusters = None;
    let mut tz = None;
    let mut period = Granularity::Month;
    let mut mode = Mode::Strict;
    let mut json = false;
    let mut detectors = detect::builtin();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--clusters" => clusters = Some(PathBuf::from(value("--clusters")?)),
            "--tz" => tz = Some(value("--tz")?),
            "--period" => {
                period = Granularity::parse(&value("--period")?).map_err(|e| e.to_string())?
            }
            "--lenient" => mode = Mode::Lenient,
            "--json" => json = true,
            "--detectors" => {
                detectors = detect::by_names(&value("--detectors")?).map_err(|e| e.to_string())?
            }
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => positional.push(PathBuf::from(a)),
        }
    }
    let [data, out]: [PathBuf; 2] = positional.try_into().map_err(|p: Vec<PathBuf>| {
        format!("expected DATA_DIR and OUT_DIR, got {} paths", p.len())
    })?;
    let mut periods = PeriodSpec::new(period);
    if let Some(tz) = tz {
        periods = periods.in_zone_named(&tz).map_err(|e| e.to_string())?;
    }
    Ok(Args {
        data,
        out,
        clusters,
        periods,
        mode,
        json,
        detectors,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("report: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("report: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Error> {
    let t0 = Instant::now();
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    let mut builder = LedgerBuilder::new();
    builder.mode(args.mode);
    if let Some(path) = &args.clusters {
        builder.partition(read_partition_file(path)?);
        // With the partition given, names and contact details are not
        // needed: do not hold them in memory.
        builder.keep_prospect_details(false);
    }
    read_csv_folder(&args.data, &mut builder)?;
    let t_read = t0.elapsed();
    let ledger = match builder.build() {
        Ok(l) => l,
        Err(Error::Rejected { rejections }) => {
            clear_outputs(&args.out);
            let path = args.out.join("rejections.csv");
            let f = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
            write_rejections_csv(std::io::BufWriter::new(f), &rejections)?;
            for r in rejections.iter().take(10) {
                eprintln!("  rejected: {r}");
            }
            return Err(Error::invalid(
                "input (strict mode)",
                format!(
                    "{} record(s) rejected; all are listed in {}; no tables were written \
                     (use --lenient to load the rest)",
                    rejections.len(),
                    path.display()
                ),
            ));
        }
        Err(e) => {
            clear_outputs(&args.out);
            return Err(e);
        }
    };
    let t_build = t0.elapsed();
    for w in ledger.warnings() {
        eprintln!("report: warning: {w}");
    }
    let classified = classify(&ledger, &ClassifyConfig::default());
    let t_classify = t0.elapsed();
    let report = period_report(&ledger, &classified, &Scope::all(), &args.periods)?;
    let cohorts = cohort_report(&ledger, &classified, &Scope::all(), &args.periods)?;
    let t_report = t0.elapsed();
    let detect_config = DetectConfig {
        periods: args.periods.clone(),
        ..DetectConfig::default()
    };
    let findings = if args.detectors.is_empty() {
        Vec::new()
    } else {
        detect::detect(&ledger, &classified, &detect_config, &args.detectors)?
    };
    let t_detect = t0.elapsed();

    let staging = staging_dir(&args.out)?;
    let tables = Tables {
        ledger: &ledger,
        classified: &classified,
        report: &report,
        cohorts: &cohorts,
        findings: &findings,
    };
    let written = tables.write(&staging, args.json);
    let moved = written.and_then(|names| move_into(&staging, &args.out, &names));
    let _ = std::fs::remove_dir_all(&staging);
    if let Err(e) = moved {
        clear_outputs(&args.out);
        return Err(e);
    }
    let t_write = t0.elapsed();

    println!(
        "read {} contacts, {} meetings, {} sales, {} prospect records ({} prospects), {} reps; {} rejected",
        ledger.contacts().len(),
        ledger.meetings().len(),
        ledger.sales().len(),
        ledger.records().len(),
        ledger.prospect_count(),
        ledger.reps().len(),
        ledger.rejections().len()
    );
    println!(
        "wrote {} period rows, {} cohort rows and {} findings to {}",
        report.rows.len(),
        cohorts.rows.len(),
        findings.len(),
        args.out.display()
    );
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
    Ok(())
}

fn staging_dir(out: &Path) -> Result<PathBuf, Error> {
    let dir = out.join(format!(".report-staging-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    Ok(dir)
}

fn create(dir: &Path, name: &str) -> Result<std::io::BufWriter<std::fs::File>, Error> {
    let path = dir.join(name);
    let f = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
    Ok(std::io::BufWriter::new(f))
}

struct Tables<'a> {
    ledger: &'a Ledger,
    classified: &'a sales_metrics::Classified,
    report: &'a sales_metrics::report::PeriodReport,
    cohorts: &'a sales_metrics::report::CohortReport,
    findings: &'a [detect::Finding],
}

impl Tables<'_> {
    /// Writes every table into `dir`; returns the file names written.
    fn write(&self, dir: &Path, json: bool) -> Result<Vec<&'static str>, Error> {
        let (ledger, classified) = (self.ledger, self.classified);
        let mut names = vec!["contact_classes.csv"];
        write_contact_classes_csv(create(dir, "contact_classes.csv")?, ledger, classified)?;
        for (name, table) in [
            ("period_report", self.report.table()),
            ("revenue", self.report.revenue_table()),
            ("cohort_report", self.cohorts.table()),
            ("findings", detect::findings_table(self.findings)),
        ] {
            table.write_csv(create(dir, &format!("{name}.csv"))?)?;
            if json {
                table.write_json(create(dir, &format!("{name}.json"))?)?;
            }
        }
        names.extend([
            "period_report.csv",
            "revenue.csv",
            "cohort_report.csv",
            "findings.csv",
        ]);
        write_prospect_clusters_csv(create(dir, "prospect_clusters.csv")?, ledger)?;
        write_rejections_csv(create(dir, "rejections.csv")?, ledger.rejections())?;
        names.extend(["prospect_clusters.csv", "rejections.csv"]);
        if json {
            write_contact_classes_json(create(dir, "contact_classes.json")?, ledger, classified)?;
            write_rejections_json(create(dir, "rejections.json")?, ledger.rejections())?;
            names.extend([
                "contact_classes.json",
                "period_report.json",
                "revenue.json",
                "cohort_report.json",
                "findings.json",
                "rejections.json",
            ]);
        }
        Ok(names)
    }
}

fn move_into(staging: &Path, out: &Path, names: &[&str]) -> Result<(), Error> {
    // Tables of an earlier run that this run does not write (JSON twins)
    // must not pass for results of this run.
    clear_outputs(out);
    for name in names {
        let from = staging.join(name);
        let to = out.join(name);
        std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
    }
    Ok(())
}

fn clear_outputs(out: &Path) {
    for name in OUTPUTS {
        let _ = std::fs::remove_file(out.join(name));
    }
}
