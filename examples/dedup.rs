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

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::process::ExitCode;
use std::time::Instant;

use sales_metrics::dedup::{Dedup, FieldKind, FieldSpec, Profile, Table};

struct Args {
    input: String,
    output: String,
    id: String,
    fields: Vec<(String, FieldKind)>,
    default_country: Option<String>,
    explain: Option<String>,
}

fn usage() -> String {
    "usage: dedup INPUT.csv OUT.csv --id COLUMN [--field COLUMN:KIND]... \
     [--default-country CC] [--explain PAIRS.csv]\n\
     KIND: name given_name surname company email phone city postcode date id text"
        .to_owned()
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut id = None;
    let mut fields = Vec::new();
    let mut default_country = None;
    let mut explain = None;
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--id" => id = Some(value("--id")?),
            "--field" => {
                let v = value("--field")?;
                let (col, kind) = v
                    .rsplit_once(':')
                    .ok_or(format!("--field {v}: expected COLUMN:KIND"))?;
                let kind = FieldKind::parse(kind).ok_or(format!("--field {v}: unknown kind"))?;
                fields.push((col.to_owned(), kind));
            }
            "--default-country" => default_country = Some(value("--default-country")?),
            "--explain" => explain = Some(value("--explain")?),
            "-h" | "--help" => return Err(usage()),
            _ if a.starts_with("--") => return Err(format!("unknown option {a}\n{}", usage())),
            _ => positional.push(a),
        }
    }
    let [input, output]: [String; 2] = positional
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

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let file = File::open(&args.input).map_err(|e| format!("{}: {e}", args.input))?;
    let table = Table::from_csv(BufReader::with_capacity(1 << 20, file), &args.id)?;
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
        if !table.headers().contains(&f.name) {
            eprintln!(
                "warning: no column {:?} in {}; treated as empty",
                f.name, args.input
            );
        }
    }
    let profile = profile.with_default_country(args.default_country.clone());
    let result = Dedup::new(profile).run(&table)?;
    let out = File::create(&args.output).map_err(|e| format!("{}: {e}", args.output))?;
    result.write_csv(BufWriter::with_capacity(1 << 20, out), "record_id")?;
    if let Some(path) = &args.explain {
        let f = File::create(path).map_err(|e| format!("{path}: {e}"))?;
        let mut w = csv::Writer::from_writer(BufWriter::new(f));
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
    }
    let s = result.stats();
    println!("records          {}", s.records);
    println!("candidate pairs  {}", s.candidate_pairs);
    println!("linked pairs     {}", s.linked_pairs);
    println!("clusters         {}", s.clusters);
    println!("largest cluster  {}", s.largest_cluster);
    println!("elapsed          {:.3} s", start.elapsed().as_secs_f64());
    if std::env::var_os("DEDUP_TIMINGS").is_some() {
        println!("stages           {:?}", s.timings);
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_args() {
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
