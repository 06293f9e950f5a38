//! How well the built-in detectors find planted gaming: simulates many
//! teams, runs every detector, and prints per behaviour the rep-level
//! recall and precision, and the share of honest rep-months with any
//! finding; then the same on teams with no gaming at all.
//!
//! ```text
//! cargo run --release --example detectors_eval -- [--seeds 20] [--reps 30]
//!     [--months 6] [--share 0.1] [--first-seed 1] [--intensity 1.0]
//!     [--per-day 8] [--target 8] [--dedup] [--show]
//! ```
//!
//! `--intensity` scales how hard the planted reps game (0.5: half as often
//! or as much), `--per-day` and `--target` set the team's honest daily
//! contacts and daily target, `--dedup` groups prospect records with the
//! crate's deduplication instead of the simulation's true partition,
//! `--show` lists every finding on a rep not
//! planted with the detector's behaviour and every planted rep missed.
//!
//! ```text
//! ```

use std::time::Instant;

use sales_metrics::detect::{self, DetectConfig, DetectContext};
use sales_metrics::sim::{Evaluation, SimConfig, simulate};
use sales_metrics::{ClassifyConfig, LedgerBuilder, classify};

struct Args {
    seeds: u64,
    first_seed: u64,
    reps: usize,
    months: u32,
    share: f64,
    intensity: f64,
    per_day: f64,
    target: u32,
    show: bool,
    dedup: bool,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        seeds: 20,
        first_seed: 1,
        reps: 30,
        months: 6,
        share: 0.1,
        intensity: 1.0,
        per_day: 8.0,
        target: 8,
        show: false,
        dedup: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--show" {
            a.show = true;
            continue;
        }
        if flag == "--dedup" {
            a.dedup = true;
            continue;
        }
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {v}: {e}");
        match flag.as_str() {
            "--seeds" => a.seeds = v.parse().map_err(|e| bad(&e))?,
            "--first-seed" => a.first_seed = v.parse().map_err(|e| bad(&e))?,
            "--reps" => a.reps = v.parse().map_err(|e| bad(&e))?,
            "--months" => a.months = v.parse().map_err(|e| bad(&e))?,
            "--share" => a.share = v.parse().map_err(|e| bad(&e))?,
            "--intensity" => a.intensity = v.parse().map_err(|e| bad(&e))?,
            "--per-day" => a.per_day = v.parse().map_err(|e| bad(&e))?,
            "--target" => a.target = v.parse().map_err(|e| bad(&e))?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(a)
}

fn evaluate(
    config: &SimConfig,
    show: bool,
    dedup: bool,
) -> Result<Evaluation, Box<dyn std::error::Error>> {
    let sim = simulate(config)?;
    let ledger = if dedup {
        // The crate's own deduplication instead of the true partition.
        let mut b = LedgerBuilder::new();
        b.add_records(sim.records.clone());
        b.build()?
    } else {
        sim.ledger()?
    };
    let classified = classify(&ledger, &ClassifyConfig::default());
    let ctx = DetectContext::new(&classified, &DetectConfig::default())?;
    let findings = detect::detect(&ctx, &detect::by_names(["all"])?);
    if show {
        // Findings on reps not planted with the detector's behaviour, and
        // planted reps the detector missed.
        for f in &findings {
            let planted = sim
                .truth
                .planted
                .iter()
                .any(|p| p.rep_id.as_str() == f.rep_id && p.behaviour.as_str() == f.detector);
            if !planted {
                let other: Vec<&str> = sim
                    .truth
                    .planted
                    .iter()
                    .filter(|p| p.rep_id.as_str() == f.rep_id)
                    .map(|p| p.behaviour.as_str())
                    .collect();
                println!(
                    "false (seed {}, rep plants {other:?}): [{}] {} {} {:.2}: {}",
                    config.seed, f.detector, f.rep_id, f.period, f.score, f.explanation
                );
            }
        }
        for p in &sim.truth.planted {
            if !findings
                .iter()
                .any(|f| f.rep_id == p.rep_id.as_str() && f.detector == p.behaviour.as_str())
            {
                println!(
                    "missed (seed {}): {} {} from month {}",
                    config.seed, p.rep_id, p.behaviour, p.from_month
                );
            }
        }
    }
    Ok(Evaluation::of(&sim, &findings))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse().map_err(|e| {
        format!("{e}\nusage: detectors_eval [--seeds N] [--first-seed S] [--reps N] [--months N] [--share X] [--intensity X] [--per-day X] [--target N] [--dedup] [--show]")
    })?;
    let t0 = Instant::now();
    let mut gaming = Evaluation::default();
    let mut honest = Evaluation::default();
    for seed in args.first_seed..args.first_seed + args.seeds {
        let mut config = SimConfig {
            seed,
            reps: args.reps,
            months: args.months,
            contacts_per_rep_day: args.per_day,
            daily_target: args.target,
            ..SimConfig::default()
        };
        config.plant_random(args.share);
        for p in &mut config.planted {
            p.intensity = args.intensity;
        }
        gaming.merge(&evaluate(&config, args.show, args.dedup)?);
        config.planted.clear();
        config.seed = seed + 1_000_000;
        honest.merge(&evaluate(&config, args.show, args.dedup)?);
    }
    println!(
        "{} teams of {} reps over {} months, {:.0} % of reps gaming (one behaviour each, intensity {}):\n{}\n",
        args.seeds,
        args.reps,
        args.months,
        100.0 * args.share,
        args.intensity,
        gaming.to_text()
    );
    println!(
        "{} honest teams of {} reps over {} months:\n{}",
        args.seeds,
        args.reps,
        args.months,
        honest.to_text()
    );
    println!("\n({:.1} s)", t0.elapsed().as_secs_f64());
    Ok(())
}
