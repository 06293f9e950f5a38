#![allow(missing_docs)] // criterion_group! generates undocumented items
//! What running every built-in detector costs next to classification — the
//! one pass over the ledger that every report needs anyway.
//!
//! ```text
//! cargo bench --bench detect
//! ```
//!
//! Data: a simulated team of 200 reps in 20 teams over 12 months (plus two
//! months of history), 10 % of them gaming: about 480,000 contacts. Then
//! the cost target (context and all eight detectors within one
//! classification pass): `classify` beside `context_and_all_detectors` on
//! the SPEC folder of `examples/gen_data` at 1M contacts (10M with
//! `SM_BENCH_10M=1`), written to the same temporary folder as the
//! pipeline bench's, once per size.

#[path = "support/folder.rs"]
mod folder;
#[path = "../examples/gen_data/synth.rs"]
mod synth;

use folder::{data_dir, load};

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sales_metrics::detect::{self, DetectConfig, DetectContext};
use sales_metrics::sim::{SimConfig, simulate};
use sales_metrics::{ClassifyConfig, classify};

fn bench(c: &mut Criterion) {
    let mut config = SimConfig {
        seed: 7,
        reps: 200,
        teams: 20,
        months: 12,
        ..SimConfig::default()
    };
    config.plant_random(0.1);
    let Ok(ledger) = simulate(&config).and_then(|s| s.ledger()) else {
        return;
    };
    let classified = classify(&ledger, &ClassifyConfig::default());
    let Ok(detectors) = detect::by_names(["all"]) else {
        return;
    };
    let settings = DetectConfig::default();

    let mut g = c.benchmark_group(format!(
        "detect_{}_contacts",
        ledger.accepted_count(sales_metrics::RecordKind::Contact)
    ));
    g.sample_size(20);
    g.bench_function("classify", |b| {
        b.iter(|| classify(&ledger, &ClassifyConfig::default()))
    });
    g.bench_function("context", |b| {
        b.iter(|| DetectContext::new(&classified, &settings).map(|c| c.config().max_evidence))
    });
    g.bench_function("all_detectors", |b| {
        b.iter(|| {
            DetectContext::new(&classified, &settings)
                .map(|ctx| detect::detect(&ctx, &detectors).len())
        })
    });
    g.finish();
}

fn sizes() -> Vec<usize> {
    let mut s = vec![1_000_000];
    if std::env::var_os("SM_BENCH_10M").is_some() {
        s.push(10_000_000);
    }
    s
}

/// Classification beside the context and all eight detectors on one
/// ledger: the issue's cost target is the second within the first.
fn cost_target(c: &mut Criterion) {
    let Ok(detectors) = detect::by_names(["all"]) else {
        return;
    };
    let settings = DetectConfig::default();
    for n in sizes() {
        let ledger = load(&data_dir(&synth::Shape::export(n)));
        let config = ClassifyConfig::default();
        let classified = classify(&ledger, &config);
        let mut g = c.benchmark_group("detect_cost");
        g.sample_size(10);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("classify", n), |b| {
            b.iter(|| black_box(classify(&ledger, &config)))
        });
        g.bench_function(BenchmarkId::new("context_and_all_detectors", n), |b| {
            b.iter(|| {
                DetectContext::new(&classified, &settings)
                    .map(|ctx| black_box(detect::detect(&ctx, &detectors).len()))
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench, cost_target);
criterion_main!(benches);
