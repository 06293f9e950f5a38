//! The main job on the data shipped in `data/demo/`: load, validate,
//! classify every contact and show, per rep, the misleading contact close
//! rate next to the honest numbers.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::error::Error;
use std::path::Path;

use chrono::Duration;
use sales_metrics::SuppliedPartition;
use sales_metrics::detect;
use sales_metrics::ingest::read_csv_folder;
use sales_metrics::report::{BreakdownBy, Granularity, PeriodSpec, Scope};
use sales_metrics::{ClassifyConfig, LedgerBuilder, classify};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
    // No partition supplied: the ledger deduplicates prospect records
    // (one person entered three ways is one prospect).
    let mut builder = LedgerBuilder::new();
    read_csv_folder(&dir, &mut builder)?;
    let ledger = builder.build()?;
    let classified = classify(&ledger, &ClassifyConfig::default());

    println!(
        "Loaded {} reps, {} prospect records ({} distinct prospects), {} contacts, {} meetings, {} sales from {}",
        ledger.reps().len(),
        ledger.accepted_count(sales_metrics::RecordKind::Prospect),
        ledger.prospect_count(),
        ledger.accepted_count(sales_metrics::RecordKind::Contact),
        ledger.accepted_count(sales_metrics::RecordKind::Meeting),
        ledger.accepted_count(sales_metrics::RecordKind::Sale),
        dir.display()
    );
    // The demo data ship their true partition: how close did deduplication get?
    let truth = SuppliedPartition::from_file(dir.join("prospect_clusters.csv"))?;
    let true_prospects = truth
        .iter()
        .map(|(_, cluster)| cluster)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    println!(
        "Deduplication: {} records -> {} prospects (the true partition shipped with the data has {true_prospects})",
        ledger.accepted_count(sales_metrics::RecordKind::Prospect),
        ledger.prospect_count()
    );
    let [new, follow_up, reactivated, customer] = classified.class_counts();
    println!(
        "Contacts by class: {new} new, {follow_up} follow-up, {reactivated} reactivated, {customer} customer\n"
    );

    // One period covering all the data, so distinct-prospect counts are
    // distinct over the whole span.
    let (lo, hi) = ledger.time_span().ok_or("no events in the demo data")?;
    let (first, last) = (lo.date_naive(), hi.date_naive());
    let whole =
        PeriodSpec::custom([(format!("{first}..{last}"), first..last + Duration::days(1))])?;
    let report = classified.period_report(&Scope::all(), &whole)?;

    println!("Per rep, {first} to {last}:");
    println!(
        "{:<8} {:>8} {:>8} {:>10} {:>8} {:>6} {:>20} {:>20}",
        "rep",
        "contacts",
        "new",
        "follow-up",
        "meetings",
        "sales",
        "contact close rate",
        "meeting close rate"
    );
    for r in &report.rows {
        println!(
            "{:<8} {:>8} {:>8} {:>10} {:>8} {:>6} {:>20} {:>20}",
            r.rep_id,
            r.counts.contacts,
            r.counts.new_prospects,
            r.counts
                .follow_up_share()
                .percent()
                .map_or_else(|| "–".to_owned(), |p| format!("{p:.0} %")),
            r.counts.meetings_held,
            r.counts.sales,
            r.counts.contact_close_rate().to_string(),
            r.counts.meeting_close_rate().to_string(),
        );
    }
    println!(
        "\nThe contact close rate divides sales by every logged contact, so it punishes follow-up work and rewards padding;\n\
         the meeting close rate divides sales by the meetings that could produce them, and new prospects counts real reach."
    );

    // SPEC §10's worked example is in the data: rep ana, June 2026.
    let monthly = classified.period_report(&Scope::rep("ana"), &PeriodSpec::monthly())?;
    if let Some(june) = monthly.rows.iter().find(|r| r.period == "2026-06") {
        println!(
            "\nana, June 2026: {} contacts ({} new prospects, {} follow-ups), {} meetings held, {} sales:\n  \
             contact close rate {} — meeting close rate {}; follow-up share {}.",
            june.counts.contacts,
            june.counts.new_prospects,
            june.counts
                .contacts_of(sales_metrics::ContactClass::FollowUp),
            june.counts.meetings_held,
            june.counts.sales,
            june.counts.contact_close_rate(),
            june.counts.meeting_close_rate(),
            june.counts.follow_up_share(),
        );
    }

    // Follow the prospects themselves: engagements opened per quarter, and
    // how long a sale really takes when open engagements count too.
    let quarterly = PeriodSpec::new(Granularity::Quarter);
    let cohorts = classified.cohort_report(&Scope::all(), &quarterly)?;
    let mut totals = cohorts.clone();
    totals.rows = cohorts.totals_by_cohort();
    println!("\n{totals}");
    let win = classified.time_to_win(&Scope::all(), None)?;
    println!("\n{win}");

    let by_channel = classified.breakdown(&Scope::all(), &whole, BreakdownBy::Channel)?;
    println!("Where the time goes, by channel:\n{}", by_channel.totals());

    // Where are the counts being gamed? Each finding names the rep, the
    // month, the figures and the records a manager can check.
    let ctx = detect::DetectContext::new(&classified, &detect::DetectConfig::default())?;
    let findings = detect::detect(&ctx, &detect::by_names(["all"])?);
    println!("Gaming detectors: {} findings", findings.len());
    for f in &findings {
        println!(
            "  [{} · {} · {} · score {:.2}] {}",
            f.detector, f.rep_id, f.period, f.score, f.explanation
        );
    }
    Ok(())
}
