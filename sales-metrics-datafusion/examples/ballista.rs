//! `cargo run -p sales-metrics-datafusion --release --features ballista --example ballista -- DATA_DIR OUT_DIR [--executors N | --scheduler df://HOST:PORT] [--partitions N] [--files N]`
//!
//! The metrics on a Ballista cluster: starts a scheduler and `--executors`
//! executors (default 2) in this process (or uses the running cluster
//! whose scheduler `--scheduler` names, such as `sales-metrics-ballista`
//! processes), writes the SPEC §2 folder
//! DATA_DIR as a partitioned Parquet dataset (`--files` files per kind,
//! default 4) next to OUT_DIR, and writes the SPEC §11 tables computed on
//! the cluster from that dataset into OUT_DIR: the same files, byte for
//! byte, as the core's `report` writes from DATA_DIR.

use std::path::PathBuf;
use std::time::Instant;

use datafusion::prelude::SessionContext;
use sales_metrics::ClassifyConfig;
use sales_metrics::report::PeriodSpec;
use sales_metrics_datafusion::cluster::{LocalCluster, connect};
use sales_metrics_datafusion::{Format, SalesContext};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Ballista's planning recurses deeply: large stacks, as its own
    // binaries use.
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 * 1024 * 1024)
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(data), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!(
            "usage: ballista DATA_DIR OUT_DIR [--executors N | --scheduler df://HOST:PORT] [--partitions N] [--files N]"
        );
        std::process::exit(2);
    };
    let number = |name: &str, default: usize| -> Result<usize, std::num::ParseIntError> {
        match args
            .iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
        {
            Some(n) => n.parse(),
            None => Ok(default),
        }
    };
    let (executors, partitions, files) = (
        number("--executors", 2)?,
        number("--partitions", 4)?,
        number("--files", 4)?,
    );
    let out = PathBuf::from(out);
    let dataset = std::path::absolute(out.with_extension("parquet"))?;

    let t0 = Instant::now();
    let local = SalesContext::new(SessionContext::new());
    local.register_folder(data, Format::Csv).await?;
    let _ = std::fs::remove_dir_all(&dataset);
    local.write_parquet(&dataset, files).await?;
    let t_parquet = t0.elapsed();

    let scheduler = args
        .iter()
        .position(|a| a == "--scheduler")
        .and_then(|i| args.get(i + 1));
    let url = match scheduler {
        Some(url) => url.clone(),
        None => LocalCluster::start(executors, 1).await?.url(),
    };
    let where_ = match scheduler {
        Some(url) => format!("cluster at {url}"),
        None => format!("{executors} executors in this process"),
    };
    let sales = connect(&url, partitions, ClassifyConfig::default()).await?;
    sales.register_folder(&dataset, Format::Parquet).await?;
    // Classify once on the cluster, into a dataset every report reads.
    let classified = dataset.join("classified_events");
    sales.materialize_to(&classified).await?;
    sales.write_tables(&out, &PeriodSpec::monthly()).await?;
    println!(
        "ballista ({where_}, {partitions} partitions, {files} Parquet files per kind): \
         parquet {:.3}s, cluster start + query + write {:.3}s",
        t_parquet.as_secs_f64(),
        (t0.elapsed() - t_parquet).as_secs_f64()
    );
    Ok(())
}
