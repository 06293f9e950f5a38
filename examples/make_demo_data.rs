//! Writes the shipped demo data set `data/demo/` (SPEC §2 CSV files and the
//! true `prospect_clusters.csv`) from the simulator with a fixed seed.
//!
//! ```text
//! cargo run --example make_demo_data [-- OUT_DIR]
//! ```

use sales_metrics::sim;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| "data/demo".into(), std::path::PathBuf::from);
    let demo = sim::demo()?;
    demo.write_csv_dir(&dir)?;
    let r = &demo.records;
    println!(
        "wrote {}: {} reps, {} prospect records, {} contacts, {} meetings, {} sales",
        dir.display(),
        r.reps.len(),
        r.prospects.len(),
        r.contacts.len(),
        r.meetings.len(),
        r.sales.len()
    );
    for p in &demo.truth.planted {
        println!(
            "planted: {} {} from {}",
            p.rep_id,
            p.behaviour,
            p.from.format("%Y-%m")
        );
    }
    Ok(())
}
