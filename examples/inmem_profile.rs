//! Times classification and the reports on an already built ledger (the
//! in-memory part of the pipeline): minimum wall time of N runs and mean
//! CPU time per run, for profiling and before/after comparisons:
//!
//! ```text
//! cargo run --release --example inmem_profile -- [FOLDER] [RUNS] [WHAT]
//! cargo run --release --example inmem_profile -- /tmp/sales-metrics-bench-1000000 20 both
//! ```
//!
//! FOLDER is one written by `examples/gen_data` (default: the 1M-contact
//! folder the `pipeline` bench writes in the temp dir); WHAT is `all`
//! (default), `classify`, `per_rep`, `period`, `period_day`, `parts`,
//! `cohort` or `both`.

use std::time::{Duration, Instant};

use sales_metrics::SuppliedPartition;
use sales_metrics::ingest::read_csv_folder;
use sales_metrics::report::{PeriodSpec, Scope};
use sales_metrics::{ClassifyConfig, LedgerBuilder, classify};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // DIR need not be UTF-8; RUNS and WHAT must be.
    let mut args = std::env::args_os().skip(1);
    // Default: the 1M-contact folder the `pipeline` bench writes.
    let dir = args.next().map_or_else(
        || std::env::temp_dir().join("sales-metrics-bench-1000000"),
        std::path::PathBuf::from,
    );
    let mut text = args.map(|a| a.into_string().map_err(|a| format!("{a:?}: not UTF-8")));
    let runs: usize = text.next().transpose()?.map_or(Ok(10), |s| s.parse())?;
    let what = text.next().transpose()?.unwrap_or_else(|| "all".to_owned());
    let mut b = LedgerBuilder::new();
    b.keep_prospect_details(false);
    b.partition(SuppliedPartition::from_file(
        dir.join("prospect_clusters.csv"),
    )?);
    read_csv_folder(&dir, &mut b)?;
    let ledger = b.build()?;
    println!(
        "{} contacts, {} meetings, {} sales, {} events, {} prospects, {} reps",
        ledger.accepted_count(sales_metrics::RecordKind::Contact),
        ledger.accepted_count(sales_metrics::RecordKind::Meeting),
        ledger.accepted_count(sales_metrics::RecordKind::Sale),
        [
            sales_metrics::RecordKind::Contact,
            sales_metrics::RecordKind::Meeting,
            sales_metrics::RecordKind::Sale
        ]
        .map(|k| ledger.accepted_count(k))
        .iter()
        .sum::<u64>(),
        ledger.prospect_count(),
        ledger.reps().len()
    );
    let config = ClassifyConfig::default();
    let monthly = PeriodSpec::monthly();
    let classified = classify(&ledger, &config);
    // Min wall time, and mean CPU time (all threads) per run: on a shared
    // machine the CPU time is the steadier figure.
    let min_of = |f: &dyn Fn()| {
        let mut best = Duration::MAX;
        let cpu0 = cpu_seconds();
        for _ in 0..runs {
            let t = Instant::now();
            f();
            best = best.min(t.elapsed());
        }
        let cpu = (cpu_seconds() - cpu0) / runs as f64;
        print!("cpu {:>7.2} ms/run  ", cpu * 1e3);
        best
    };
    if what == "all" || what == "classify" {
        let t = min_of(&|| {
            std::hint::black_box(classify(&ledger, &config));
        });
        println!(
            "classify                   {:>8.2} ms",
            t.as_secs_f64() * 1e3
        );
    }
    if what == "all" || what == "per_rep" {
        let per_rep = ClassifyConfig {
            newness: sales_metrics::Newness::PerRep,
            ..ClassifyConfig::default()
        };
        let t = min_of(&|| {
            std::hint::black_box(classify(&ledger, &per_rep));
        });
        println!(
            "classify (per-rep newness) {:>8.2} ms",
            t.as_secs_f64() * 1e3
        );
    }
    if what == "all" || what == "period" {
        let t = min_of(&|| {
            std::hint::black_box(classified.period_report(&Scope::all(), &monthly).ok());
        });
        println!(
            "period_report              {:>8.2} ms",
            t.as_secs_f64() * 1e3
        );
    }
    if what == "all" || what == "period_day" {
        let daily = PeriodSpec::new(sales_metrics::report::Granularity::Day);
        let t = min_of(&|| {
            std::hint::black_box(classified.period_report(&Scope::all(), &daily).ok());
        });
        println!(
            "period_report (daily)      {:>8.2} ms",
            t.as_secs_f64() * 1e3
        );
    }
    if what == "all" || what == "parts" {
        use sales_metrics::report::{Aggregate, PeriodAggregate, ReportInput};
        let all = Scope::all();
        let t = min_of(&|| {
            std::hint::black_box(ReportInput::new(&classified, &all, &monthly).ok());
        });
        println!(
            "  input (calendar, scope)  {:>8.2} ms",
            t.as_secs_f64() * 1e3
        );
        let input = ReportInput::new(&classified, &all, &monthly)?;
        let t = min_of(&|| {
            std::hint::black_box(PeriodAggregate::of(&input));
        });
        println!(
            "  period aggregate (1 part){:>8.2} ms",
            t.as_secs_f64() * 1e3
        );
        let t = min_of(&|| {
            std::hint::black_box(input.run::<PeriodAggregate>());
        });
        println!(
            "  aggregate+finish         {:>8.2} ms",
            t.as_secs_f64() * 1e3
        );
        let t = min_of(&|| {
            let mut acc = 0u64;
            for c in classified.contacts() {
                acc = acc.wrapping_add(c.class as u64);
            }
            std::hint::black_box(acc);
        });
        println!(
            "  walk contact classes (1 thread) {:>8.2} ms",
            t.as_secs_f64() * 1e3
        );
    }
    if what == "all" || what == "cohort" {
        let quarterly = PeriodSpec::new(sales_metrics::report::Granularity::Quarter);
        let t = min_of(&|| {
            std::hint::black_box(classified.cohort_report(&Scope::all(), &quarterly).ok());
        });
        println!(
            "cohort_report              {:>8.2} ms",
            t.as_secs_f64() * 1e3
        );
    }
    if what == "all" || what == "both" {
        let t = min_of(&|| {
            let c = classify(&ledger, &config);
            std::hint::black_box(c.period_report(&Scope::all(), &monthly).ok());
        });
        println!(
            "classify_and_period_report {:>8.2} ms",
            t.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

/// User + system CPU time of this process so far (Linux `/proc/self/stat`,
/// clock ticks of 10 ms); 0 elsewhere.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of the line (utime, stime) are 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}
