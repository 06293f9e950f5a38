//! Writes generated CRM prospect records with known truth as CSV (SPEC §2
//! columns plus `entity_id`), for the `dedup` example and benchmarks.
//!
//! ```text
//! cargo run --release --example dedup_synth -- RECORDS SEED OUT.csv
//! ```

use std::fs::File;
use std::io::BufWriter;

use sales_metrics::dedup::synth::CrmConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let records: usize = args.first().ok_or("RECORDS SEED OUT.csv")?.parse()?;
    let seed: u64 = args.get(1).ok_or("RECORDS SEED OUT.csv")?.parse()?;
    let out = args.get(2).ok_or("RECORDS SEED OUT.csv")?;
    let data = CrmConfig {
        records,
        seed,
        ..CrmConfig::default()
    }
    .generate();
    data.write_csv(BufWriter::new(File::create(out)?))?;
    println!("{} records written to {out}", data.rows.len());
    Ok(())
}
