//! How long does a sale really take? The naive "average days over won
//! deals" next to Kaplan–Meier, on a generated ledger whose truth is known.
//!
//! A seeded generator plays two years of a growing sales team (more new
//! prospects every month), then keeps playing for eighteen more months so
//! that every engagement opened in the two years has met its fate. The
//! CRM as it stood on the last day of the two years is what a manager
//! sees; the full history is the truth the manager cannot see yet.
//!
//! ```text
//! cargo run --example sales_cycles            # print the comparison
//! cargo run --example sales_cycles -- out/    # also write the tables there
//! ```
//!
//! The naive cycle is too short (recent engagements can only appear among
//! the won if they closed fast) and the naive win rate too low (open
//! engagements count as lost). Kaplan–Meier on the same data, counting the
//! still-open as censored, lands next to the truth.

use std::error::Error;
use std::path::PathBuf;

use chrono::{DateTime, Duration, TimeZone, Utc};
use sales_metrics::Engagement;
use sales_metrics::report::{BreakdownBy, CohortReport, Granularity, PeriodSpec, Scope};
use sales_metrics::{
    Channel, ClassifyConfig, Contact, Ledger, LedgerBuilder, Meeting, ProspectRecord, Rep, Sale,
    Source, classify,
};

/// splitmix64: small, seeded, good enough for a demo.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next_u64() % items.len() as u64) as usize]
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

const REPS: [&str; 6] = ["ana", "bob", "cris", "dana", "emil", "flor"];

/// The last instant the manager can see: 30 June 2026, end of day.
fn cut() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 30, 23, 59, 59).unwrap()
}

/// Every generated record, with its time, so that the CRM of any date can
/// be rebuilt.
#[derive(Default)]
struct World {
    prospects: Vec<ProspectRecord>,
    contacts: Vec<Contact>,
    meetings: Vec<Meeting>,
    sales: Vec<Sale>,
}

impl World {
    fn contact(&mut self, rng: &mut Rng, rep: &str, p: &str, t: DateTime<Utc>, ch: Channel) {
        let id = format!("c{:06}", self.contacts.len());
        let mut c = Contact::new(id, rep, p, t, ch);
        // One contact in ten is logged without a duration.
        if !rng.chance(0.1) {
            let (lo, hi) = match ch {
                Channel::Phone => (60.0, 900.0),
                Channel::Email => (120.0, 600.0),
                Channel::InPerson => (1800.0, 5400.0),
                Channel::Internet => (60.0, 600.0),
                Channel::Other => (60.0, 1200.0),
            };
            c.duration_s = Some(rng.range(lo, hi) as i64);
        }
        self.contacts.push(c);
    }

    fn meeting(&mut self, rep: &str, p: &str, t: DateTime<Utc>) {
        let id = format!("m{:06}", self.meetings.len());
        self.meetings.push(Meeting::new(id, rep, p, t));
    }

    fn sale(&mut self, rep: &str, p: &str, t: DateTime<Utc>) {
        let id = format!("s{:06}", self.sales.len());
        self.sales.push(Sale::new(id, rep, p, t));
    }

    /// Plays one engagement of prospect `p` opened at `start`.
    fn engagement(
        &mut self,
        rng: &mut Rng,
        p: &str,
        source: Source,
        start: DateTime<Utc>,
        reactivation: bool,
    ) {
        let rep = rng.pick(&REPS);
        let channel = rng.pick(&[
            Channel::Phone,
            Channel::Phone,
            Channel::Phone,
            Channel::Email,
            Channel::Email,
            Channel::InPerson,
            Channel::Internet,
        ]);
        let p_win = match source {
            Source::Referral => 0.45,
            Source::Inbound => 0.40,
            Source::ColdList => 0.15,
            _ => 0.30,
        } * if reactivation { 0.8 } else { 1.0 };
        self.contact(rng, rep, p, start, channel);
        let days = |d: f64| Duration::seconds((d * 86_400.0) as i64);
        if rng.chance(p_win) {
            // Skewed cycle: median 35 days, long tail, at most 170 days.
            let cycle = (35f64.ln() + 0.8 * rng.normal()).exp().clamp(0.5, 170.0);
            let mut t = 0.0;
            loop {
                t += rng.range(4.0, 20.0);
                if t >= cycle {
                    break;
                }
                let ch = if rng.chance(0.7) {
                    channel
                } else {
                    Channel::Email
                };
                self.contact(rng, rep, p, start + days(t), ch);
            }
            if rng.chance(0.8) {
                self.meeting(rep, p, start + days(cycle * rng.range(0.3, 0.9)));
            }
            let closer = if rng.chance(0.9) {
                rep
            } else {
                rng.pick(&REPS)
            };
            self.sale(closer, p, start + days(cycle));
            // Account care after the sale: customer contacts.
            for k in 1..=rng.range(0.0, 3.0) as i64 {
                let t = cycle + 30.0 * k as f64;
                self.contact(rng, rep, p, start + days(t), Channel::Phone);
            }
        } else {
            // Lost: a few touches, maybe a meeting, then silence (the
            // engagement stays open: silence never ends one).
            let mut t = 0.0;
            for _ in 0..rng.range(0.0, 5.0) as usize {
                t += rng.range(3.0, 25.0);
                self.contact(rng, rep, p, start + days(t), channel);
            }
            if rng.chance(0.25) {
                self.meeting(rep, p, start + days(t + rng.range(1.0, 10.0)));
            }
            // Some are tried again after the dormancy window.
            if !reactivation && rng.chance(0.25) {
                let again = start + days(t + rng.range(200.0, 500.0));
                self.engagement(rng, p, source, again, true);
            }
        }
    }
}

/// `window_days` of a team, up to the cut, whose daily intake of new
/// prospects doubles over the window.
fn generate(seed: u64, window_days: i64) -> World {
    let mut rng = Rng(seed);
    let mut world = World::default();
    let window_start = window_start(window_days);
    for day in 0..window_days {
        let rate = 1.5 * (1.0 + day as f64 / window_days as f64);
        let n = rate as usize + usize::from(rng.chance(rate.fract()));
        for _ in 0..n {
            let id = format!("p{:05}", world.prospects.len());
            let source = rng.pick(&[
                Source::Referral,
                Source::ColdList,
                Source::ColdList,
                Source::Inbound,
                Source::Event,
                Source::Other,
            ]);
            let mut record = ProspectRecord::new(id.as_str());
            record.source = Some(source);
            world.prospects.push(record);
            let start = window_start
                + Duration::days(day)
                + Duration::minutes((8.0 * 60.0 + rng.range(0.0, 540.0)) as i64);
            world.engagement(&mut rng, &id, source, start, false);
        }
    }
    world
}

/// The CRM as it stood at `until` (everything, when `None`).
fn ledger(world: &World, until: Option<DateTime<Utc>>) -> Result<Ledger, Box<dyn Error>> {
    let seen = |t: DateTime<Utc>| until.is_none_or(|u| t <= u);
    let mut b = LedgerBuilder::new();
    for r in REPS {
        b.add_rep(Rep::new(r));
    }
    for p in &world.prospects {
        b.add_prospect(p.clone());
    }
    for c in world.contacts.iter().filter(|c| seen(c.occurred_at)) {
        b.add_contact(c.clone());
    }
    for m in world.meetings.iter().filter(|m| seen(m.held_at)) {
        b.add_meeting(m.clone());
    }
    for s in world.sales.iter().filter(|s| seen(s.closed_at)) {
        b.add_sale(s.clone());
    }
    Ok(b.build()?)
}

fn cycle_days(g: &Engagement<'_>) -> Option<f64> {
    g.cycle()
        .and_then(|d| d.num_microseconds())
        .map(|us| us as f64 / 86_400e6)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    // Linear interpolation between the closest ranks (as the reports do).
    let Some(last) = v.len().checked_sub(1) else {
        return f64::NAN;
    };
    let h = last as f64 * 0.5;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// The first day the CRM holds data.
fn window_start(window_days: i64) -> DateTime<Utc> {
    cut() + Duration::seconds(1) - Duration::days(window_days)
}

/// Naive, Kaplan–Meier and true figures of one generated history.
struct Figures {
    opened: usize,
    won: u64,
    open: u64,
    /// (naive, Kaplan–Meier, truth) per line.
    mean_days: [f64; 3],
    median_days: [f64; 3],
    won_by_30: [f64; 3],
    won_by_90: [f64; 3],
    win_rate: [f64; 3],
}

fn main() -> Result<(), Box<dyn Error>> {
    let out_dir = std::env::args_os().nth(1).map(PathBuf::from);
    // A CRM with two years of history, and one that went live nine months
    // ago: the shorter the history against the length of the cycle, the
    // worse the naive figures.
    let scenarios = [
        ("two years of CRM history", 730),
        ("nine months since the CRM went live", 273),
    ];
    for (label, days) in scenarios {
        let (f, _) = figures(2026, days)?;
        print_figures(label, days, &f);
    }
    // One history is one sample; over many seeds the naive bias stays and
    // the Kaplan–Meier error averages out.
    const SEEDS: u64 = 20;
    println!("== average error over {SEEDS} generated histories (estimate − truth)");
    for (label, days) in scenarios {
        // [days, points] × [naive, Kaplan–Meier]
        let mut err = [[0.0; 2]; 2];
        for seed in 0..SEEDS {
            let (f, _) = figures(seed, days)?;
            let n = SEEDS as f64;
            for (k, e) in err[0].iter_mut().enumerate() {
                *e += (f.mean_days[k] - f.mean_days[2]) / n;
            }
            for (k, e) in err[1].iter_mut().enumerate() {
                *e += 100.0 * (f.win_rate[k] - f.win_rate[2]) / n;
            }
        }
        println!(
            "{label:<36} average days to win: naive {:+.1} d, Kaplan–Meier {:+.1} d; \
             win rate: naive {:+.1} points, Kaplan–Meier {:+.1} points",
            err[0][0], err[0][1], err[1][0], err[1][1]
        );
    }
    println!();

    let (_, crm) = figures(2026, 730)?;
    let classes = classify(&crm, &ClassifyConfig::default());
    let win = classes.time_to_win(&Scope::all(), Some(cut()))?;
    let meet = classes.time_to_first_meeting(&Scope::all(), Some(cut()))?;
    println!("{win}");
    println!("{meet}");

    // The same bias, cohort by cohort: young cohorts look fast and
    // unsuccessful because their slow wins have not happened yet.
    let world = generate(2026, 730);
    let full = ledger(&world, None)?;
    let full_classes = classify(&full, &ClassifyConfig::default());
    let quarterly = PeriodSpec::new(Granularity::Quarter);
    let seen_cohorts = classes.cohort_report(&Scope::all(), &quarterly)?;
    let true_cohorts = full_classes.cohort_report(&Scope::all(), &quarterly)?;
    print_cohorts(&seen_cohorts, &true_cohorts);

    // Where the time goes, and what each channel brings back.
    let channels = classes.breakdown(&Scope::all(), &quarterly, BreakdownBy::Channel)?;
    println!("\n{}", channels.totals());

    if let Some(dir) = out_dir {
        std::fs::create_dir_all(&dir)?;
        win.table().write_files(&dir, "time_to_win")?;
        meet.table().write_files(&dir, "time_to_first_meeting")?;
        seen_cohorts.table().write_files(&dir, "cohort_report")?;
        channels.table().write_files(&dir, "channel_breakdown")?;
        println!("tables written to {}", dir.display());
    }
    Ok(())
}

/// Generates `window_days` of history up to the cut and computes the
/// naive, Kaplan–Meier and true figures; also returns the CRM as it stood
/// at the cut, classified.
fn figures(seed: u64, window_days: i64) -> Result<(Figures, Ledger), Box<dyn Error>> {
    let world = generate(seed, window_days);

    // The truth: every engagement opened in the window, with its fate
    // (the generator plays on well past the cut).
    let full = ledger(&world, None)?;
    let full_classes = classify(&full, &ClassifyConfig::default());
    let opened: Vec<Engagement<'_>> = full_classes
        .engagements()
        .filter(|g| g.start() <= cut())
        .collect();
    let mut true_cycles: Vec<f64> = opened.iter().filter_map(|g| cycle_days(g)).collect();
    let true_share_by =
        |d: f64| true_cycles.iter().filter(|&&c| c <= d).count() as f64 / opened.len() as f64;
    let true_by = [true_share_by(30.0), true_share_by(90.0)];
    let true_win_rate = true_cycles.len() as f64 / opened.len() as f64;
    let true_mean = mean(&true_cycles);
    let true_median = median(&mut true_cycles);

    // What the manager sees at the cut. The naive figures look at the won
    // engagements only, or divide by all engagements as if the open ones
    // were lost.
    let crm = ledger(&world, Some(cut()))?;
    let classes = classify(&crm, &ClassifyConfig::default());
    let win = classes.time_to_win(&Scope::all(), Some(cut()))?;
    let seen: Vec<Engagement<'_>> = classes.engagements().collect();
    let mut naive_cycles: Vec<f64> = seen.iter().filter_map(cycle_days).collect();
    let naive_share_by =
        |d: f64| naive_cycles.iter().filter(|&&c| c <= d).count() as f64 / seen.len() as f64;
    let naive_by = [naive_share_by(30.0), naive_share_by(90.0)];
    let naive_rate = naive_cycles.len() as f64 / seen.len() as f64;
    let naive_mean = win.naive_mean_days.unwrap_or(f64::NAN);
    let naive_median = median(&mut naive_cycles);

    // Kaplan–Meier counterparts. Cycles here never exceed 170 days, so a
    // horizon of 180 days holds every win; among the engagements won by τ,
    // the median is where the curve has gone half of the way it goes by τ.
    let tau = 180.0;
    let km_win_rate = win.won_by(tau);
    let km_mean = win.mean_days_to_event_by(tau).unwrap_or(f64::NAN);
    let km_median = win.quantile(km_win_rate / 2.0).unwrap_or(f64::NAN);

    let f = Figures {
        opened: seen.len(),
        won: win.events,
        open: win.still_open(),
        mean_days: [naive_mean, km_mean, true_mean],
        median_days: [naive_median, km_median, true_median],
        won_by_30: [naive_by[0], win.won_by(30.0), true_by[0]],
        won_by_90: [naive_by[1], win.won_by(90.0), true_by[1]],
        win_rate: [naive_rate, km_win_rate, true_win_rate],
    };
    drop(classes);
    Ok((f, crm))
}

fn print_figures(label: &str, window_days: i64, f: &Figures) {
    println!(
        "== {label}: the CRM on {} vs the truth known 18 months later",
        cut().format("%Y-%m-%d")
    );
    println!(
        "{} engagements opened since {} (intake doubling); {} won by then, {} still open.\n",
        f.opened,
        window_start(window_days).format("%Y-%m-%d"),
        f.won,
        f.open,
    );
    println!(
        "{:<34} {:>18} {:>22} {:>10}",
        "", "naive", "Kaplan–Meier (τ 180 d)", "truth"
    );
    let row = |label: &str, v: [f64; 3], scale: f64, unit: &str| {
        let [naive, km, truth] = v.map(|x| x * scale);
        println!("{label:<34} {naive:>16.1}{unit} {km:>20.1}{unit} {truth:>8.1}{unit}");
    };
    row("average days to win (of the won)", f.mean_days, 1.0, " d");
    row("median days to win (of the won)", f.median_days, 1.0, " d");
    row("won within 30 days", f.won_by_30, 100.0, " %");
    row("won within 90 days", f.won_by_90, 100.0, " %");
    row("win rate (eventually won)", f.win_rate, 100.0, " %");
    let [naive, km, truth] = f.mean_days;
    println!(
        "\nThe naive average is off by {:+.1} days ({:+.0} %); Kaplan–Meier by {:+.1} days ({:+.0} %).",
        naive - truth,
        100.0 * (naive - truth) / truth,
        km - truth,
        100.0 * (km - truth) / truth,
    );
    let [naive, km, truth] = f.win_rate;
    println!(
        "The naive win rate is off by {:+.1} points; Kaplan–Meier by {:+.1} points.\n",
        100.0 * (naive - truth),
        100.0 * (km - truth),
    );
}

fn print_cohorts(seen: &CohortReport, truth: &CohortReport) {
    println!(
        "{:<8} {:>7} {:>6} {:>6} {:>10} {:>10} {:>13} {:>13}",
        "cohort", "opened", "won", "open", "win rate", "(truth)", "median cycle", "(truth)"
    );
    let truth_rows = truth.totals_by_cohort();
    for c in seen.totals_by_cohort() {
        let t = truth_rows.iter().find(|t| t.cohort == c.cohort);
        let pct =
            |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{:.1} %", v * 100.0));
        let d = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{v:.1} d"));
        println!(
            "{:<8} {:>7} {:>6} {:>6} {:>10} {:>10} {:>13} {:>13}",
            c.cohort,
            c.counts.engagements,
            c.counts.won,
            c.counts.open,
            pct(c.counts.win_rate().value()),
            pct(t.and_then(|t| t.counts.win_rate().value())),
            d(c.counts.cycle_days_median()),
            d(t.and_then(|t| t.counts.cycle_days_median())),
        );
    }
}
