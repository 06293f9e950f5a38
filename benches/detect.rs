#![allow(missing_docs)] // criterion_group! generates undocumented items
//! What running every built-in detector costs next to classification — the
//! one pass over the ledger that every report needs anyway.
//!
//! ```text
//! cargo bench --bench detect
//! ```
//!
//! Data: a simulated team of 200 reps in 20 teams over 12 months (plus two
//! months of history), 10 % of them gaming: about 480,000 contacts.

use criterion::{Criterion, criterion_group, criterion_main};
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

criterion_group!(benches, bench);
criterion_main!(benches);
