//! How well the built-in detectors find planted gaming: simulates many
//! teams of every size asked for, runs every detector, and prints per
//! behaviour and intensity the rep-level recall and precision, and per
//! team size the share of honest rep-months with any finding, on teams
//! with some gaming and on teams with none at all (where, with the false
//! discovery rate held at `fdr`, at most that share of runs should have
//! any finding).
//!
//! ```text
//! cargo run --release --example detectors_eval -- [--seeds 20]
//!     [--reps 5,30,100,500] [--intensity 1,0.5,0.25] [--months 6]
//!     [--share 0.1] [--first-seed 1] [--per-day 8] [--target 8]
//!     [--dedup] [--show] [--markdown]
//! ```
//!
//! `--intensity` scales how hard the planted reps game (0.5: half as often
//! or as much), `--per-day` and `--target` set the team's honest daily
//! contacts and daily target, `--dedup` groups prospect records with the
//! crate's deduplication instead of the simulation's true partition,
//! `--show` lists every finding on a rep not planted with the detector's
//! behaviour and every planted rep missed, `--markdown` prints the two
//! summary tables the README shows.

use std::collections::BTreeMap;
use std::time::Instant;

use sales_metrics::detect::{self, DetectConfig, DetectContext};
use sales_metrics::sim::{Evaluation, SimConfig, simulate};
use sales_metrics::{ClassifyConfig, LedgerBuilder, classify};

struct Args {
    seeds: u64,
    first_seed: u64,
    reps: Vec<usize>,
    intensities: Vec<f64>,
    months: u32,
    share: f64,
    per_day: f64,
    target: u32,
    show: bool,
    dedup: bool,
    markdown: bool,
}

const USAGE: &str = "usage: detectors_eval [--seeds N] [--first-seed S] [--reps N,N,...] [--intensity X,X,...] [--months N] [--share X] [--per-day X] [--target N] [--dedup] [--show] [--markdown]";

fn list<T: std::str::FromStr>(v: &str) -> Result<Vec<T>, T::Err> {
    v.split(',').map(|x| x.trim().parse()).collect()
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        seeds: 20,
        first_seed: 1,
        reps: vec![30],
        intensities: vec![1.0],
        months: 6,
        share: 0.1,
        per_day: 8.0,
        target: 8,
        show: false,
        dedup: false,
        markdown: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--show" => a.show = true,
            "--dedup" => a.dedup = true,
            "--markdown" => a.markdown = true,
            _ => {
                let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
                let bad = |e: &dyn std::fmt::Display| format!("{flag} {v}: {e}");
                match flag.as_str() {
                    "--seeds" => a.seeds = v.parse().map_err(|e| bad(&e))?,
                    "--first-seed" => a.first_seed = v.parse().map_err(|e| bad(&e))?,
                    "--reps" => a.reps = list(&v).map_err(|e| bad(&e))?,
                    "--intensity" => a.intensities = list(&v).map_err(|e| bad(&e))?,
                    "--months" => a.months = v.parse().map_err(|e| bad(&e))?,
                    "--share" => a.share = v.parse().map_err(|e| bad(&e))?,
                    "--per-day" => a.per_day = v.parse().map_err(|e| bad(&e))?,
                    "--target" => a.target = v.parse().map_err(|e| bad(&e))?,
                    _ => return Err(format!("unknown option {flag}")),
                }
            }
        }
    }
    Ok(a)
}

/// One simulated team's evaluation and whether the run had any finding.
fn evaluate(
    config: &SimConfig,
    show: bool,
    dedup: bool,
) -> Result<(Evaluation, bool), Box<dyn std::error::Error>> {
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
        show_mistakes(config, &sim, &findings);
    }
    Ok((Evaluation::of(&sim, &findings), !findings.is_empty()))
}

/// Prints findings on reps not planted with the detector's behaviour, and
/// planted reps the detector missed.
fn show_mistakes(
    config: &SimConfig,
    sim: &sales_metrics::sim::Simulation,
    findings: &detect::Findings,
) {
    for f in findings.iter() {
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
                "false (seed {}, {} reps, rep plants {other:?}): [{}] {} {} {:.2}: {}",
                config.seed, config.reps, f.detector, f.rep_id, f.period, f.score, f.explanation
            );
        }
    }
    for p in &sim.truth.planted {
        if !findings
            .iter()
            .any(|f| f.rep_id == p.rep_id.as_str() && f.detector == p.behaviour.as_str())
        {
            println!(
                "missed (seed {}, {} reps): {} {} from month {}",
                config.seed, config.reps, p.rep_id, p.behaviour, p.from_month
            );
        }
    }
}

/// What the honest teams of one size showed.
#[derive(Default)]
struct Honest {
    eval: Evaluation,
    runs: u64,
    runs_with_findings: u64,
}

fn config_of(args: &Args, seed: u64, reps: usize) -> SimConfig {
    SimConfig {
        seed,
        reps,
        teams: (reps / 15).max(1),
        months: args.months,
        contacts_per_rep_day: args.per_day,
        daily_target: args.target,
        ..SimConfig::default()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse().map_err(|e| format!("{e}\n{USAGE}"))?;
    let t0 = Instant::now();
    // Gaming teams per (intensity, size); honest teams per size.
    let mut gaming: BTreeMap<(String, usize), Evaluation> = BTreeMap::new();
    let mut honest: BTreeMap<usize, Honest> = BTreeMap::new();
    for &reps in &args.reps {
        for seed in args.first_seed..args.first_seed + args.seeds {
            for &intensity in &args.intensities {
                let mut config = config_of(&args, seed, reps);
                config.plant_random(args.share);
                for p in &mut config.planted {
                    p.intensity = intensity;
                }
                let (eval, _) = evaluate(&config, args.show, args.dedup)?;
                gaming
                    .entry((intensity.to_string(), reps))
                    .or_default()
                    .merge(&eval);
            }
            let config = config_of(&args, seed + 1_000_000, reps);
            let (eval, any) = evaluate(&config, args.show, args.dedup)?;
            let h = honest.entry(reps).or_default();
            h.eval.merge(&eval);
            h.runs += 1;
            h.runs_with_findings += u64::from(any);
        }
    }
    if args.markdown {
        print!("{}", markdown(&args, &gaming, &honest));
    } else {
        print!("{}", text(&args, &gaming, &honest));
    }
    println!("\n({:.1} s)", t0.elapsed().as_secs_f64());
    Ok(())
}

fn text(
    args: &Args,
    gaming: &BTreeMap<(String, usize), Evaluation>,
    honest: &BTreeMap<usize, Honest>,
) -> String {
    let mut s = String::new();
    for ((intensity, reps), eval) in gaming {
        s += &format!(
            "{} teams of {reps} reps over {} months, {:.0} % of reps gaming (one behaviour each, intensity {intensity}):\n{}\n\n",
            args.seeds,
            args.months,
            100.0 * args.share,
            eval.to_text()
        );
    }
    for (reps, h) in honest {
        s += &format!(
            "{} honest teams of {reps} reps over {} months: {} with any finding\n{}\n\n",
            h.runs,
            args.months,
            h.runs_with_findings,
            h.eval.to_text()
        );
    }
    s
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |v| format!("{:.2}", v))
}

/// The README's tables: recall and precision per behaviour and intensity
/// (all team sizes together), and honest flag rates per team size.
fn markdown(
    args: &Args,
    gaming: &BTreeMap<(String, usize), Evaluation>,
    honest: &BTreeMap<usize, Honest>,
) -> String {
    let intensities: Vec<String> = args.intensities.iter().map(f64::to_string).collect();
    let mut by_intensity: BTreeMap<&str, Evaluation> = BTreeMap::new();
    for ((intensity, _), eval) in gaming {
        by_intensity
            .entry(intensity.as_str())
            .or_default()
            .merge(eval);
    }
    let mut s = String::from("| behaviour |");
    for i in &intensities {
        s += &format!(" recall at {i} | precision at {i} |");
    }
    s += "\n| --- |";
    s += &" ---: | ---: |".repeat(intensities.len());
    s += "\n";
    let names: Vec<String> = by_intensity
        .values()
        .next()
        .map(|e| e.behaviours.keys().cloned().collect())
        .unwrap_or_default();
    for name in &names {
        s += &format!("| {name} |");
        for i in &intensities {
            let b = by_intensity
                .get(i.as_str())
                .and_then(|e| e.behaviours.get(name))
                .copied()
                .unwrap_or_default();
            s += &format!(
                " {} ({}/{}) | {} |",
                pct(b.recall()),
                b.true_positives,
                b.planted,
                pct(b.precision())
            );
        }
        s += "\n";
    }
    s += "\n| team size | honest rep-months flagged, gaming teams (intensity ";
    s += &intensities.join(" / ");
    s += ") | honest rep-months flagged, honest teams | honest runs with any finding |\n| ---: | ---: | ---: | ---: |\n";
    for (reps, h) in honest {
        let rates: Vec<String> = intensities
            .iter()
            .map(|i| {
                gaming.get(&(i.clone(), *reps)).map_or_else(
                    || "–".to_owned(),
                    |e| format!("{:.2} %", 100.0 * e.honest_flag_rate()),
                )
            })
            .collect();
        s += &format!(
            "| {reps} | {} | {:.2} % ({} of {}) | {} of {} |\n",
            rates.join(" / "),
            100.0 * h.eval.honest_flag_rate(),
            h.eval.flagged_honest_rep_months,
            h.eval.honest_rep_months,
            h.runs_with_findings,
            h.runs
        );
    }
    s
}
