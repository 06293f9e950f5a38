//! `cargo run -p sales-metrics-datafusion --release --example datafusion_report -- DATA_DIR OUT_DIR [--parquet] [--partitions N] [--period month]`
//!
//! Reads a SPEC §2 folder (CSV, or with `--parquet` a dataset written by
//! `SalesContext::write_parquet`) into DataFusion and writes the SPEC §11
//! tables the core's `report` writes (`contact_classes`, `period_report`,
//! `revenue`, `cohort_report`, `prospect_clusters`), then prints the time
//! and the process's peak memory.

use std::time::Instant;

use datafusion::prelude::{SessionConfig, SessionContext};
use sales_metrics::report::{Granularity, PeriodSpec};
use sales_metrics_datafusion::{Format, SalesContext};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(data), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!(
            "usage: datafusion_report DATA_DIR OUT_DIR [--parquet] [--partitions N] [--period month] [--check]"
        );
        std::process::exit(2);
    };
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let partitions = match flag("--partitions") {
        Some(n) => n.parse()?,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let granularity = Granularity::parse(flag("--period").map_or("month", |s| s.as_str()))?;
    let format = if args.iter().any(|a| a == "--parquet") {
        Format::Parquet
    } else {
        Format::Csv
    };
    let t0 = Instant::now();
    let config = SessionConfig::new().with_target_partitions(partitions);
    let sales = SalesContext::new(SessionContext::new_with_config(config));
    sales.register_folder(data, format).await?;
    if args.iter().any(|a| a == "--check") {
        sales.check().await?;
        println!("check: {:.3}s", t0.elapsed().as_secs_f64());
    }
    // Classify once, then every table reads the classified rows.
    sales.materialize().await?;
    sales
        .write_tables(out, &PeriodSpec::new(granularity))
        .await?;
    println!(
        "datafusion ({partitions} partitions): {:.3}s, peak {}",
        t0.elapsed().as_secs_f64(),
        peak_memory()
    );
    Ok(())
}

/// The process's peak resident memory (Linux `VmHWM`), or `?`.
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "?".into())
}
