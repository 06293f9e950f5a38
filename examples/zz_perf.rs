#![allow(missing_docs)]
use sales_metrics::detect::{self, DetectConfig, DetectContext, Detector};
use sales_metrics::{ClassifyConfig, classify};
use std::time::Instant;
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reps: usize = std::env::args().nth(1).map_or(200, |s| s.parse().unwrap());
    let mut c = sales_metrics::sim::SimConfig {
        reps,
        teams: reps / 10,
        months: 12,
        ..Default::default()
    };
    c.plant_random(0.1);
    let t = Instant::now();
    let sim = sales_metrics::sim::simulate(&c)?;
    println!("sim {:?}", t.elapsed());
    let ledger = sim.ledger()?;
    println!(
        "contacts {} events {}",
        ledger.contacts().len(),
        ledger.events().len()
    );
    for _ in 0..3 {
        let t = Instant::now();
        let classified = classify(&ledger, &ClassifyConfig::default());
        let tc = t.elapsed();
        let t = Instant::now();
        let ctx = DetectContext::new(&ledger, &classified, &DetectConfig::default())?;
        let tx = t.elapsed();
        {
            let ctx2 = DetectContext::new(&ledger, &classified, &DetectConfig::default())?;
            let t = Instant::now();
            let n = detect::DuplicateInflation::default().detect(&ctx2).len();
            println!("  fresh dup (entered) {:?} {n}", t.elapsed());
            let t = Instant::now();
            let n = detect::RepeatTouch::default().detect(&ctx2).len();
            println!("  fresh repeat (bursts) {:?} {n}", t.elapsed());
            let t = Instant::now();
            let n = detect::FollowUpPadding::default().detect(&ctx2).len();
            println!("  follow (cached) {:?} {n}", t.elapsed());
        }
        let mut per = Vec::new();
        for d in detect::builtin() {
            let t = Instant::now();
            let n = d.detect(&ctx).len();
            per.push((d.name().to_owned(), t.elapsed(), n));
        }
        let t = Instant::now();
        let f = detect::run(&ctx, &detect::builtin());
        let tr = t.elapsed();
        println!(
            "classify {tc:?} context {tx:?} run(all) {tr:?} findings {}",
            f.len()
        );
        for p in &per {
            println!("  {} {:?} {}", p.0, p.1, p.2);
        }
    }
    Ok(())
}
#[allow(dead_code)]
fn pieces() {}
