#![allow(missing_docs)] // criterion_group! generates undocumented items
//! Stage benches of the main pipeline at 100k and 1M contacts (10M with
//! `SM_BENCH_10M=1`), throughput in contacts per second, for each order a
//! folder comes in: `grouped` (each prospect's rows together, sequential
//! ids), `time` (sorted by time, scrambled ids: how CRMs export) and
//! `shuffled` (no order). Bench ids read `STAGE/ORDER/SIZE`:
//!
//! ```text
//! cargo bench --bench pipeline
//! SM_BENCH_10M=1 cargo bench --bench pipeline
//! cargo bench --bench pipeline -- /time/   # one order
//! ```
//!
//! `write_tables` writes the SPEC §11 tables `report` writes (its
//! detectors' findings aside) into a temporary folder, synced, as
//! `report` does.
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
use sales_metrics::ingest::{OutputDir, Rejections, read_csv_folder};
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
    for shape in sizes().into_iter().flat_map(synth::Shape::bench_set) {
        stages(c, &shape);
    }
}

/// Every stage on one generated folder.
fn stages(c: &mut Criterion, shape: &synth::Shape) {
    let (n, order) = (shape.contacts, shape.label());
    let id = |stage: &str| BenchmarkId::new(format!("{stage}/{order}"), n);
    let dir = data_dir(shape);
    {
        let mut g = c.benchmark_group("pipeline");
        g.sample_size(10);
        g.throughput(Throughput::Elements(n as u64));

        g.bench_with_input(id("csv_ingest"), &dir, |b, dir| {
            b.iter(|| {
                let mut builder = LedgerBuilder::new();
                let r = read_csv_folder(dir, &mut builder);
                black_box((r.is_ok(), builder))
            })
        });
        g.bench_with_input(id("load_and_build"), &dir, |b, dir| {
            b.iter(|| black_box(load(dir)))
        });

        let ledger = load(&dir);
        let config = ClassifyConfig::default();
        g.bench_function(id("classify"), |b| {
            b.iter(|| black_box(classify(&ledger, &config)))
        });
        let classified = classify(&ledger, &config);
        let monthly = PeriodSpec::monthly();
        g.bench_function(id("period_report"), |b| {
            b.iter(|| black_box(classified.period_report(&Scope::all(), &monthly)))
        });
        g.bench_function(id("classify_and_period_report"), |b| {
            b.iter(|| {
                let c = classify(&ledger, &config);
                black_box(c.period_report(&Scope::all(), &monthly))
            })
        });
        let quarterly = PeriodSpec::new(sales_metrics::report::Granularity::Quarter);
        g.bench_function(id("cohort_report"), |b| {
            b.iter(|| black_box(classified.cohort_report(&Scope::all(), &quarterly)))
        });
        // What `report --clusters` does end to end, minus the disk writes of
        // its small tables: load, classify, period and cohort reports, and
        // the contact classes written (to a sink).
        g.bench_with_input(id("report_pipeline"), &dir, |b, dir| {
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
        g.bench_function(id("write_contact_classes"), |b| {
            b.iter(|| {
                let mut out = std::io::sink();
                black_box(classified.write_classes_csv(&mut out))
            })
        });
        // The tables `report` writes (SPEC §11, detectors aside), to files
        // in a folder replaced as a whole, synced: the writers' target.
        let report = classified.period_report(&Scope::all(), &monthly);
        let cohorts = classified.cohort_report(&Scope::all(), &monthly);
        let out_dir = std::env::temp_dir().join(format!("sm-bench-write-{}", std::process::id()));
        if let (Ok(report), Ok(cohorts)) = (&report, &cohorts) {
            g.bench_function(id("write_tables"), |b| {
                b.iter(|| {
                    black_box(write_tables(
                        &out_dir,
                        &ledger,
                        &classified,
                        report,
                        cohorts,
                    ))
                })
            });
        }
        let _ = std::fs::remove_dir_all(&out_dir);
        println!(
            "ledger at {n} contacts ({order}): {} heap bytes, {:.1} bytes per contact",
            ledger.heap_bytes(),
            ledger.heap_bytes() as f64 / n as f64
        );
        g.finish();
    }
}

/// Writes the SPEC §11 tables of a classified ledger into `dir`.
fn write_tables(
    dir: &std::path::Path,
    ledger: &sales_metrics::Ledger,
    classified: &sales_metrics::Classified,
    report: &sales_metrics::report::PeriodReport,
    cohorts: &sales_metrics::report::CohortReport,
) -> Result<(), sales_metrics::Error> {
    const TABLES: [&str; 6] = [
        "contact_classes.csv",
        "period_report.csv",
        "revenue.csv",
        "cohort_report.csv",
        "prospect_clusters.csv",
        "rejections.csv",
    ];
    let mut out = OutputDir::begin(dir, &TABLES)?;
    out.write_file("contact_classes.csv", |w| classified.write_classes_csv(w))?;
    out.write_file("period_report.csv", |w| report.table().write_csv(w))?;
    out.write_file("revenue.csv", |w| report.revenue_table().write_csv(w))?;
    out.write_file("cohort_report.csv", |w| cohorts.table().write_csv(w))?;
    out.write_file("prospect_clusters.csv", |w| {
        ledger.write_prospect_clusters_csv(w)
    })?;
    out.write_file("rejections.csv", |w| {
        Rejections(ledger.rejections()).write_csv(w)
    })?;
    out.commit()
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = bench
}
criterion_main!(benches);
