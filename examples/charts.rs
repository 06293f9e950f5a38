//! Writes every chart of the shipped demo data (`data/demo/`) as SVG files,
//! so they can be looked at without a notebook.
//!
//! ```text
//! cargo run --example charts --features plot            # into target/charts/
//! cargo run --example charts --features plot -- out/dir # or a folder of your choice
//! ```

use std::error::Error;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use sales_metrics::SuppliedPartition;
use sales_metrics::ingest::read_csv_folder;
use sales_metrics::report::{BreakdownBy, Granularity, PeriodSpec, Scope};
use sales_metrics::report::{
    activity_breakdown_chart, activity_by_class_chart, close_rates_chart, daily_contacts_chart,
    funnel_chart, survival_chart,
};
use sales_metrics::{ClassifyConfig, LedgerBuilder, classify};

fn main() -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::args_os()
        .nth(1)
        .map_or_else(|| root.join("target/charts"), PathBuf::from);
    std::fs::create_dir_all(&out)?;

    let dir = root.join("data/demo");
    let mut builder = LedgerBuilder::new();
    builder.partition(SuppliedPartition::from_file(
        dir.join("prospect_clusters.csv"),
    )?);
    read_csv_folder(&dir, &mut builder)?;
    let ledger = builder.build()?;
    let classified = classify(&ledger, &ClassifyConfig::default());

    // The demo's active half-year as one period: distinct prospects are
    // distinct over all of it.
    let date = |m, d| NaiveDate::from_ymd_opt(2026, m, d).ok_or("bad date");
    let (jan1, jul1) = (date(1, 1)?, date(7, 1)?);
    let h1 = PeriodSpec::custom([("2026-H1", jan1..jul1)])?;
    let monthly = PeriodSpec::monthly();
    let half_year = classified.period_report(&Scope::all(), &h1)?;

    let mut daily = classified.period_report(&Scope::all(), &PeriodSpec::new(Granularity::Day))?;
    daily
        .rows
        .retain(|r| r.period_start.is_some_and(|d| jan1 <= d && d < jul1));

    let north = classified.time_to_win(&Scope::team("north"), None)?;
    let south = classified.time_to_win(&Scope::team("south"), None)?;
    let all_win = classified.time_to_win(&Scope::all(), None)?;
    let all_meet = classified.time_to_first_meeting(&Scope::all(), None)?;

    let charts = [
        ("funnel", funnel_chart(&half_year)?),
        ("close_rates", close_rates_chart(&half_year)?),
        (
            "time_to_win",
            survival_chart(&[
                ("all reps", &all_win),
                ("team north", &north),
                ("team south", &south),
            ])?,
        ),
        (
            "time_to_first_meeting",
            survival_chart(&[("all reps", &all_meet)])?,
        ),
        ("daily_contacts", daily_contacts_chart(&ledger, &daily)?),
        (
            "activity_by_class",
            activity_by_class_chart(&classified.period_report(&Scope::all(), &monthly)?)?,
        ),
        (
            "activity_by_class_dan",
            activity_by_class_chart(&classified.period_report(&Scope::rep("dan"), &monthly)?)?,
        ),
        (
            "activity_by_channel",
            activity_breakdown_chart(&classified.breakdown(
                &Scope::all(),
                &monthly,
                BreakdownBy::Channel,
            )?)?,
        ),
    ];
    for (name, chart) in &charts {
        let path = out.join(format!("{name}.svg"));
        chart.save(&path)?;
        println!("{:<48} {}", chart.title(), path.display());
    }
    Ok(())
}
