//! Cohort report, Kaplan–Meier survival and breakdowns on a generated
//! ledger (default 50 000 prospects, about 300 000 events; set
//! `COHORT_BENCH_PROSPECTS` to change).
//!
//! ```text
//! cargo bench --bench cohort
//! ```

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use sales_metrics::report::{BreakdownBy, PeriodSpec, Scope};
use sales_metrics::{
    Channel, ClassifyConfig, Contact, Ledger, LedgerBuilder, Meeting, ProspectRecord, Rep, Sale,
    Source, classify,
};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Prospects opened over two years by 40 reps: 1–8 contacts each, a
/// meeting for a third, a sale for a quarter, a reactivation for a tenth.
fn generate(prospects: usize) -> Ledger {
    let mut rng = Rng(7);
    let t0 = Utc.with_ymd_and_hms(2024, 7, 1, 8, 0, 0).unwrap();
    let mut b = LedgerBuilder::new();
    let reps: Vec<String> = (0..40).map(|r| format!("r{r:02}")).collect();
    for r in &reps {
        b.add_rep(Rep::new(r.as_str()));
    }
    let (mut nc, mut nm, mut ns) = (0usize, 0usize, 0usize);
    for i in 0..prospects {
        let p = format!("p{i:06}");
        let mut rec = ProspectRecord::new(p.as_str());
        rec.source = Some(Source::ALL[rng.below(6) as usize]);
        b.add_prospect(rec);
        let rep = reps[rng.below(40) as usize].as_str();
        let mut t = t0 + Duration::minutes(rng.below(730 * 24 * 60) as i64);
        let touches = 1 + rng.below(8);
        for k in 0..touches {
            if k > 0 {
                t += Duration::hours(1 + rng.below(20 * 24) as i64);
            }
            let channel = Channel::ALL[rng.below(5) as usize];
            let mut c = Contact::new(format!("c{nc:07}"), rep, p.as_str(), t, channel);
            c.duration_s = (rng.below(10) > 0).then(|| rng.below(1800) as i64);
            b.add_contact(c);
            nc += 1;
        }
        if rng.below(3) == 0 {
            t += Duration::hours(1 + rng.below(240) as i64);
            b.add_meeting(Meeting::new(format!("m{nm:07}"), rep, p.as_str(), t));
            nm += 1;
        }
        if rng.below(4) == 0 {
            t += Duration::hours(1 + rng.below(480) as i64);
            b.add_sale(Sale::new(format!("s{ns:07}"), rep, p.as_str(), t));
            ns += 1;
        } else if rng.below(10) == 0 {
            t += Duration::days(200 + rng.below(200) as i64);
            let c = Contact::new(format!("c{nc:07}"), rep, p.as_str(), t, Channel::Phone);
            b.add_contact(c);
            nc += 1;
        }
    }
    b.build().expect("generated ledger is valid")
}

fn bench(c: &mut Criterion) {
    let prospects = std::env::var("COHORT_BENCH_PROSPECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let ledger = generate(prospects);
    let classified = classify(&ledger, &ClassifyConfig::default());
    let all = Scope::all();
    let monthly = PeriodSpec::monthly();
    eprintln!(
        "{prospects} prospects, {} events, {} engagements",
        [
            sales_metrics::RecordKind::Contact,
            sales_metrics::RecordKind::Meeting,
            sales_metrics::RecordKind::Sale
        ]
        .map(|k| ledger.accepted_count(k))
        .iter()
        .sum::<u64>(),
        classified.engagements().len()
    );
    let mut g = c.benchmark_group("cohort");
    g.sample_size(20);
    g.bench_function("cohort_report_monthly", |b| {
        b.iter(|| black_box(classified.cohort_report(&all, &monthly).unwrap()))
    });
    g.bench_function("time_to_win", |b| {
        b.iter(|| black_box(classified.time_to_win(&all, None).unwrap()))
    });
    g.bench_function("channel_breakdown_monthly", |b| {
        b.iter(|| {
            black_box(
                classified
                    .breakdown(&all, &monthly, BreakdownBy::Channel)
                    .unwrap(),
            )
        })
    });
    g.bench_function("source_breakdown_monthly", |b| {
        b.iter(|| {
            black_box(
                classified
                    .breakdown(&all, &monthly, BreakdownBy::Source)
                    .unwrap(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
