//! The generated SPEC folders the benches share: written once per shape
//! (size, order, ids) to a temporary folder by the seeded generator of
//! `examples/gen_data`, and loaded with their supplied partition.

use std::path::{Path, PathBuf};

use sales_metrics::ingest::read_csv_folder;
use sales_metrics::{Ledger, LedgerBuilder, SuppliedPartition};

use super::synth;

/// The folder of a generated shape, written on first use.
pub(crate) fn data_dir(shape: &synth::Shape) -> PathBuf {
    let name = format!("sales-metrics-bench-{}-{}", shape.contacts, shape.label());
    let dir = std::env::temp_dir().join(name);
    if !dir.join("sales.csv").exists()
        && let Err(e) = synth::write_folder(&dir, shape)
    {
        panic!("cannot write bench data to {}: {e}", dir.display());
    }
    dir
}

/// The ledger of a generated folder, grouped by its supplied partition.
#[allow(dead_code)] // not every bench loads a batch ledger
pub(crate) fn load(dir: &Path) -> Ledger {
    let mut b = LedgerBuilder::new();
    b.keep_prospect_details(false);
    let partition = SuppliedPartition::from_file(dir.join("prospect_clusters.csv"));
    b.partition(partition.unwrap_or_default());
    if let Err(e) = read_csv_folder(dir, &mut b) {
        panic!("bench data unreadable: {e}");
    }
    match b.build() {
        Ok(l) => l,
        Err(e) => panic!("bench data rejected: {e}"),
    }
}
