//! Deduplication speed: end to end on generated CRM prospect records
//! (read CSV, normalise, block, score, cluster, write CSV) and incremental
//! lookups against a large index.
//!
//! ```text
//! cargo bench --bench dedup
//! DEDUP_BENCH_1M=1 cargo bench --bench dedup            # also 1,000,000 end to end
//! DEDUP_BENCH_INDEX_RECORDS=200000 cargo bench --bench dedup   # smaller index
//! ```
//! The lookup bench also prints p50/p99/max latency over 10,000 queries of
//! records not in the index, and the index's heap size.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use sales_metrics::dedup::{CsvRecords, Dedup, DedupIndex, RecordSource};
use sales_metrics::sim::{CrmConfig, CrmData};

fn csv_of(records: usize, seed: u64) -> Vec<u8> {
    let data = CrmConfig {
        records,
        seed,
        ..CrmConfig::default()
    }
    .generate();
    let mut out = Vec::new();
    if let Err(e) = data.write_csv(&mut out) {
        eprintln!("generating CSV failed: {e}");
    }
    out
}

fn end_to_end(csv: &[u8]) -> usize {
    let run = || -> Result<usize, sales_metrics::Error> {
        let table = CsvRecords::from_csv(csv, "prospect_id")?;
        let result = Dedup::prospect().run(&table)?;
        let mut out = Vec::with_capacity(csv.len() / 4);
        result.write_csv(&mut out, "record_id")?;
        Ok(out.len())
    };
    run().unwrap_or(0)
}

fn bench_end_to_end(c: &mut Criterion) {
    let mut g = c.benchmark_group("dedup_end_to_end");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(25));
    let csv = csv_of(200_000, 7);
    g.bench_function("200k_records", |b| b.iter(|| black_box(end_to_end(&csv))));
    if std::env::var_os("DEDUP_BENCH_1M").is_some() {
        let csv = csv_of(1_000_000, 11);
        g.measurement_time(Duration::from_secs(120));
        g.bench_function("1m_records", |b| b.iter(|| black_box(end_to_end(&csv))));
    }
    g.finish();
}

fn split(data: &CrmData, at: usize) -> Result<(CsvRecords, CsvRecords), sales_metrics::Error> {
    let (known, new) = data.rows.split_at(at.min(data.rows.len()));
    let known = CrmData {
        rows: known.to_vec(),
    }
    .records()?;
    let new = CrmData { rows: new.to_vec() }.records()?;
    Ok((known, new))
}

fn bench_lookup(c: &mut Criterion) {
    let records: usize = std::env::var("DEDUP_BENCH_INDEX_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let data = CrmConfig {
        records: records + 10_000,
        seed: 13,
        ..CrmConfig::default()
    }
    .generate();
    // Rows are in random id order: the last 10,000 are unseen queries.
    let Ok((known, queries)) = split(&data, data.rows.len().saturating_sub(10_000)) else {
        return;
    };
    let dedup = Dedup::prospect();
    let mut index = DedupIndex::new(&dedup);
    let t = Instant::now();
    if let Err(e) = index.extend(&known) {
        eprintln!("index build failed: {e}");
        return;
    }
    println!(
        "index: {} records built in {:.1} s, ~{} MiB heap",
        index.len(),
        t.elapsed().as_secs_f64(),
        index.heap_bytes() >> 20
    );
    let mut lat: Vec<Duration> = (0..queries.len())
        .map(|q| {
            let t = Instant::now();
            black_box(index.query(&queries, q));
            t.elapsed()
        })
        .collect();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "lookup over {} queries: p50 {:?} p99 {:?} max {:?}",
        lat.len(),
        pct(0.5),
        pct(0.99),
        lat.last().copied().unwrap_or_default()
    );
    let mut g = c.benchmark_group("dedup_index");
    let mut q = 0usize;
    g.bench_function(format!("query_{records}"), |b| {
        b.iter(|| {
            q = (q + 1) % queries.len().max(1);
            black_box(index.query(&queries, q))
        })
    });
    g.finish();
}

criterion_group!(benches, bench_end_to_end, bench_lookup);
criterion_main!(benches);
