//! Importing a Salesforce export against reading the same records from
//! SPEC §2 files (the target: at most 2× the time), at 1M contacts by
//! default (`SM_IMPORT_CONTACTS=N` for another size).
//!
//! `cargo bench --bench import`: both groups read the folder into a
//! `LedgerBuilder` (each record its own prospect, so that deduplication
//! does not dominate both) and build the ledger.

#![allow(missing_docs)] // criterion_group! generates undocumented items

#[path = "../tests/support/salesforce_export.rs"]
mod salesforce_export;
#[path = "../examples/gen_data/synth.rs"]
mod synth;

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use sales_metrics::import::{ExportFormat, ImportOptions, import_folder};
use sales_metrics::ingest::read_csv_folder;
use sales_metrics::{LedgerBuilder, Mode, RecordKind};

/// The SPEC folder and the Salesforce export of the same records.
fn folders(contacts: usize) -> (PathBuf, PathBuf) {
    let base = std::env::temp_dir().join(format!("sales-metrics-bench-import-{contacts}"));
    let (spec, sf) = (base.join("spec"), base.join("salesforce"));
    if !sf.join("Opportunity.csv").exists() {
        synth::write_folder(&spec, &synth::Shape::grouped(contacts))
            .expect("write the SPEC folder");
        let ledger = sales_metrics::load_folder(&spec, Mode::Strict).expect("read it");
        salesforce_export::write_salesforce(&ledger.to_records(), &sf).expect("write the export");
    }
    (spec, sf)
}

fn builder() -> LedgerBuilder {
    let mut b = LedgerBuilder::new();
    b.mode(Mode::Lenient).each_record_a_prospect();
    b
}

fn read_spec(dir: &Path) -> usize {
    let mut b = builder();
    read_csv_folder(dir, &mut b).expect("read");
    let ledger = b.build().expect("build");
    ledger.accepted_count(RecordKind::Contact) as usize
}

fn import_salesforce(dir: &Path) -> usize {
    let mut b = builder();
    let options = ImportOptions::default();
    import_folder(dir, &ExportFormat::Salesforce, &options, &mut b).expect("import");
    let ledger = b.build().expect("build");
    ledger.accepted_count(RecordKind::Contact) as usize
}

fn bench(c: &mut Criterion) {
    let contacts = std::env::var("SM_IMPORT_CONTACTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (spec, sf) = folders(contacts);
    // Same records both ways.
    assert_eq!(read_spec(&spec), import_salesforce(&sf));
    let mut g = c.benchmark_group(format!("read and build {contacts} contacts"));
    g.sample_size(10);
    g.bench_function("SPEC §2 files", |b| b.iter(|| black_box(read_spec(&spec))));
    g.bench_function("Salesforce export", |b| {
        b.iter(|| black_box(import_salesforce(&sf)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
