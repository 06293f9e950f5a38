//! Deduplicates any CSV file.
//!
//! ```text
//! cargo run --release --example dedup -- INPUT.csv OUT.csv --id COLUMN \
//!     [--field COLUMN:KIND]... [--default-country CC] [--explain PAIRS.csv]
//! ```
//!
//! KIND is one of `name`, `given_name`, `surname`, `company`, `email`,
//! `phone`, `city`, `postcode`, `date`, `id`, `text`. Without `--field`,
//! the prospect profile on SPEC §2 column names (`name`, `company`,
//! `email`, `phone`, `city`, with `country` for phone numbers). OUT gets
//! `record_id,cluster_id` (cluster id = smallest record id of the
//! cluster), sorted by record id; `--explain` writes the evidence of every
//! linked pair: per field its level and weight, the total and the
//! threshold. With `DEDUP_TIMINGS=1` it also prints the time per stage.
//! Paths need not be UTF-8.
//!
//! The outputs are all-or-nothing: OUT (and PAIRS) are first written and
//! synced in full as hidden files next to them (`.NAME.sm-tmp-PID`), and
//! renamed into place only when both are complete. Any error (input
//! unreadable, malformed or lacking the id column, an output that cannot be
//! written) exits 1 naming the file and leaves OUT and PAIRS as they were.
//! Temporary files of a killed run are removed by the next run.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use sales_metrics::dedup::{CsvRecords, Dedup, DedupResult, FieldKind, FieldSpec, Profile};

struct Args {
    input: PathBuf,
    output: PathBuf,
    id: String,
    fields: Vec<(String, FieldKind)>,
    default_country: Option<String>,
    explain: Option<PathBuf>,
}

fn usage() -> String {
    "usage: dedup INPUT.csv OUT.csv --id COLUMN [--field COLUMN:KIND]... \
     [--default-country CC] [--explain PAIRS.csv]\n\
     KIND: name given_name surname company email phone city postcode date id text"
        .to_owned()
}

/// The text of an option's value; options other than paths must be UTF-8.
fn text_value(name: &str, value: OsString) -> Result<String, String> {
    value.into_string().map_err(|v| {
        format!(
            "{name} {}: not valid UTF-8\n{}",
            v.to_string_lossy(),
            usage()
        )
    })
}

fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Args, String> {
    let mut it = args.into_iter();
    let mut positional = Vec::new();
    let mut id = None;
    let mut fields = Vec::new();
    let mut default_country = None;
    let mut explain = None;
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.to_str() {
            Some("--id") => id = Some(text_value("--id", value("--id")?)?),
            Some("--field") => {
                let v = text_value("--field", value("--field")?)?;
                let (col, kind) = v
                    .rsplit_once(':')
                    .ok_or(format!("--field {v}: expected COLUMN:KIND"))?;
                let kind = FieldKind::parse(kind).ok_or(format!("--field {v}: unknown kind"))?;
                fields.push((col.to_owned(), kind));
            }
            Some("--default-country") => {
                let v = text_value("--default-country", value("--default-country")?)?;
                default_country = Some(v);
            }
            Some("--explain") => explain = Some(PathBuf::from(value("--explain")?)),
            Some("-h" | "--help") => return Err(usage()),
            _ if a.as_encoded_bytes().starts_with(b"--") => {
                return Err(format!(
                    "unknown option {}\n{}",
                    a.to_string_lossy(),
                    usage()
                ));
            }
            _ => positional.push(PathBuf::from(a)),
        }
    }
    let [input, output]: [PathBuf; 2] = positional
        .try_into()
        .map_err(|_| format!("expected INPUT.csv and OUT.csv\n{}", usage()))?;
    Ok(Args {
        input,
        output,
        id: id.ok_or(format!("--id COLUMN is required\n{}", usage()))?,
        fields,
        default_country,
        explain,
    })
}

fn run(args: Args) -> Result<(), BoxError> {
    let start = Instant::now();
    let input = &args.input;
    let file = File::open(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let reader = BufReader::with_capacity(1 << 20, file);
    let table = CsvRecords::from_csv_named(reader, input, &args.id)?;
    let profile = if args.fields.is_empty() {
        Profile::prospect()
    } else {
        let specs = args
            .fields
            .iter()
            .map(|(col, kind)| FieldSpec::new(col.as_str(), *kind))
            .collect();
        // A `country` column, when present, still gives phone numbers
        // their country.
        let country = table.headers().iter().any(|h| h == "country");
        Profile::new(specs)?.with_country_column(country.then(|| "country".to_owned()))
    };
    for f in profile.fields() {
        if !table.headers().iter().any(|h| h == f.name()) {
            eprintln!(
                "warning: no column {:?} in {}; treated as empty",
                f.name(),
                input.display()
            );
        }
    }
    let profile = profile.with_default_country(args.default_country.clone());
    let result = Dedup::new(profile).run(&table)?;
    // Both outputs are staged in full before either is moved into place.
    let mut staged = vec![stage(&args.output, |w| {
        result.write_csv(w, "record_id").map_err(Into::into)
    })?];
    if let Some(path) = &args.explain {
        staged.push(stage(path, |w| write_explain(w, &result))?);
    }
    for file in &mut staged {
        file.commit()?;
    }
    let s = result.stats();
    println!("records          {}", s.records);
    println!("candidate pairs  {}", s.candidate_pairs);
    println!("linked pairs     {}", s.linked_pairs);
    println!("clusters         {}", s.clusters);
    println!("largest cluster  {}", s.largest_cluster);
    println!("elapsed          {:.3} s", start.elapsed().as_secs_f64());
    if std::env::var_os("DEDUP_TIMINGS").is_some() {
        let secs = |t: chrono::TimeDelta| t.as_seconds_f64();
        println!(
            "stages           normalise {:.3} s, block {:.3} s, score {:.3} s, cluster {:.3} s",
            secs(s.normalize_time),
            secs(s.block_time),
            secs(s.score_time),
            secs(s.cluster_time)
        );
    }
    Ok(())
}

/// An output file written in full under a temporary name next to its
/// final path, then renamed into place; removed if never committed.
struct Staged {
    tmp: PathBuf,
    path: PathBuf,
    done: bool,
}

impl Staged {
    fn commit(&mut self) -> Result<(), String> {
        std::fs::rename(&self.tmp, &self.path)
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

type BoxError = Box<dyn std::error::Error>;

/// Writes `path`'s content with `write` to `.NAME.sm-tmp-PID` beside it,
/// flushed and synced; errors name the file. Temporary files of killed
/// runs for the same output are removed first.
fn stage(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), BoxError>,
) -> Result<Staged, BoxError> {
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".sm-tmp-");
    remove_stale(dir, &prefix);
    let mut tmp_name = prefix;
    tmp_name.push(std::process::id().to_string());
    let tmp = dir.join(tmp_name);
    let file = File::create(&tmp).map_err(|e| format!("{}: {e}", path.display()))?;
    let staged = Staged {
        tmp,
        path: path.to_path_buf(),
        done: false,
    };
    let named = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut w = BufWriter::with_capacity(1 << 20, file);
    write(&mut w).map_err(|e| named(&e))?;
    let file = w.into_inner().map_err(|e| named(&e.into_error()))?;
    file.sync_all().map_err(|e| named(&e))?;
    Ok(staged)
}

/// Removes `PREFIX*` files in `dir` left by runs of other processes.
fn remove_stale(dir: &Path, prefix: &OsString) {
    let own = std::process::id().to_string();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let bytes = name.as_encoded_bytes();
        if let Some(pid) = bytes.strip_prefix(prefix.as_encoded_bytes()) {
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            if is_file && pid != own.as_bytes() && pid.iter().all(u8::is_ascii_digit) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// The `--explain` table: the evidence of every linked pair.
fn write_explain(out: &mut BufWriter<File>, result: &DedupResult) -> Result<(), BoxError> {
    let mut w = csv::Writer::from_writer(out);
    let fields: Vec<String> = result
        .all_evidence()
        .next()
        .map(|e| e.fields.iter().map(|f| f.field.clone()).collect())
        .unwrap_or_default();
    let mut header = vec![
        "left".to_owned(),
        "right".to_owned(),
        "cluster_id".to_owned(),
        "probability".to_owned(),
        "total_bits".to_owned(),
        "threshold_bits".to_owned(),
        "prior_bits".to_owned(),
    ];
    for f in &fields {
        header.push(format!("{f}_level"));
        header.push(format!("{f}_weight"));
    }
    w.write_record(&header)?;
    for e in result.all_evidence() {
        let mut row = vec![
            e.left.clone(),
            e.right.clone(),
            result.cluster_id(&e.left).unwrap_or("").to_owned(),
            e.probability.to_string(),
            e.total.to_string(),
            e.threshold_weight.to_string(),
            e.prior_weight.to_string(),
        ];
        for f in &e.fields {
            row.push(f.level_name.clone());
            row.push(f.weight.to_string());
        }
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

fn main() -> ExitCode {
    match parse_args(std::env::args_os().skip(1)) {
        Ok(args) => match run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
