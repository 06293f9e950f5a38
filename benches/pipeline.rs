#![allow(missing_docs)] // criterion_group! generates undocumented items
//! Stage benches of the main pipeline at 100k and 1M contacts (10M with
//! `SM_BENCH_10M=1`), throughput in contacts per second:
//!
//! ```text
//! cargo bench --bench pipeline
//! SM_BENCH_10M=1 cargo bench --bench pipeline
//! ```
//!
//! Data come from the seeded generator of `examples/gen_data` written to a
//! temporary folder once per size.

#[path = "support/folder.rs"]
mod folder;
#[path = "../examples/gen_data/synth.rs"]
mod synth;

use folder::{data_dir, load};

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sales_metrics::ingest::read_csv_folder;
use sales_metrics::report::{PeriodSpec, Scope};
use sales_metrics::{ClassifyConfig, LedgerBuilder, classify};

fn sizes() -> Vec<usize> {
    let mut s = vec![100_000, 1_000_000];
    if std::env::var_os("SM_BENCH_10M").is_some() {
        s.push(10_000_000);
    }
    s
}

fn bench(c: &mut Criterion) {
    for n in sizes() {
        let dir = data_dir(n);
        let mut g = c.benchmark_group("pipeline");
        g.sample_size(10);
        g.throughput(Throughput::Elements(n as u64));

        g.bench_with_input(BenchmarkId::new("csv_ingest", n), &dir, |b, dir| {
            b.iter(|| {
                let mut builder = LedgerBuilder::new();
                let r = read_csv_folder(dir, &mut builder);
                black_box((r.is_ok(), builder))
            })
        });
        g.bench_with_input(BenchmarkId::new("load_and_build", n), &dir, |b, dir| {
            b.iter(|| black_box(load(dir)))
        });

        let ledger = load(&dir);
        let config = ClassifyConfig::default();
        g.bench_function(BenchmarkId::new("classify", n), |b| {
            b.iter(|| black_box(classify(&ledger, &config)))
        });
        let classified = classify(&ledger, &config);
        let monthly = PeriodSpec::monthly();
        g.bench_function(BenchmarkId::new("period_report", n), |b| {
            b.iter(|| black_box(classified.period_report(&Scope::all(), &monthly)))
        });
        g.bench_function(BenchmarkId::new("classify_and_period_report", n), |b| {
            b.iter(|| {
                let c = classify(&ledger, &config);
                black_box(c.period_report(&Scope::all(), &monthly))
            })
        });
        let quarterly = PeriodSpec::new(sales_metrics::report::Granularity::Quarter);
        g.bench_function(BenchmarkId::new("cohort_report", n), |b| {
            b.iter(|| black_box(classified.cohort_report(&Scope::all(), &quarterly)))
        });
        // What `report --clusters` does end to end, minus the disk writes of
        // its small tables: load, classify, period and cohort reports, and
        // the contact classes written (to a sink).
        g.bench_with_input(BenchmarkId::new("report_pipeline", n), &dir, |b, dir| {
            b.iter(|| {
                let ledger = load(dir);
                let c = classify(&ledger, &config);
                let p = c.period_report(&Scope::all(), &monthly);
                let q = c.cohort_report(&Scope::all(), &monthly);
                let mut out = std::io::sink();
                let w = c.write_classes_csv(&mut out);
                black_box((p.is_ok(), q.is_ok(), w.is_ok()))
            })
        });
        g.bench_function(BenchmarkId::new("write_contact_classes", n), |b| {
            b.iter(|| {
                let mut out = std::io::sink();
                black_box(classified.write_classes_csv(&mut out))
            })
        });
        println!(
            "ledger at {n} contacts: {} heap bytes, {:.1} bytes per contact",
            ledger.heap_bytes(),
            ledger.heap_bytes() as f64 / n as f64
        );
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = bench
}
criterion_main!(benches);
