//! Writes generated CRM prospect records with known truth as CSV (SPEC §2
//! columns plus `entity_id`), for the `dedup` example and benchmarks.
//!
//! ```text
//! cargo run --release --example dedup_synth -- RECORDS SEED OUT.csv
//! ```

use std::fs::File;
use std::io::{BufWriter, Write};

use sales_metrics::sim::CrmConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // OUT.csv need not be UTF-8; the numbers must be.
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let number = |k: usize| -> Result<&str, String> {
        let a = args
            .get(k)
            .ok_or("usage: dedup_synth RECORDS SEED OUT.csv")?;
        a.to_str()
            .ok_or_else(|| format!("{}: not a number", a.to_string_lossy()))
    };
    let records: usize = number(0)?.parse()?;
    let seed: u64 = number(1)?.parse()?;
    let out = std::path::Path::new(
        args.get(2)
            .ok_or("usage: dedup_synth RECORDS SEED OUT.csv")?,
    );
    let data = CrmConfig {
        records,
        seed,
        ..CrmConfig::default()
    }
    .generate();
    let file = File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut w = BufWriter::new(file);
    data.write_csv(&mut w).map_err(|e| e.in_file(out))?;
    w.flush().map_err(|e| format!("{}: {e}", out.display()))?;
    println!("{} records written to {}", data.rows.len(), out.display());
    Ok(())
}
