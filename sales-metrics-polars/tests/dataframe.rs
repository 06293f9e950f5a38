//! Results as polars DataFrames: types kept, undefined rates null, dates
//! beside period labels, empty results with their full schema.

use std::path::Path;

use polars::prelude::*;
use sales_metrics::SuppliedPartition;
use sales_metrics::ingest::Rejections;
use sales_metrics::ingest::read_csv_folder;
use sales_metrics::report::{BreakdownBy, PeriodSpec, Scope};
use sales_metrics::{ClassifyConfig, LedgerBuilder, Rep, classify};
use sales_metrics_polars::ToDataFrame;

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn demo_results_become_typed_dataframes() -> TestResult {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/demo");
    let mut builder = LedgerBuilder::new();
    builder.partition(SuppliedPartition::from_file(
        dir.join("prospect_clusters.csv"),
    )?);
    read_csv_folder(&dir, &mut builder)?;
    let ledger = builder.build()?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    let monthly = PeriodSpec::monthly();

    let report = classified.period_report(&Scope::rep("ana"), &monthly)?;
    let df = report.to_dataframe()?;
    assert_eq!(df.height(), report.rows.len());
    assert_eq!(df.width(), 17);
    assert_eq!(df.column("rep_id")?.dtype(), &DataType::String);
    assert_eq!(df.column("period")?.dtype(), &DataType::String);
    assert_eq!(df.column("period_start")?.dtype(), &DataType::Date);
    assert_eq!(df.column("contacts")?.dtype(), &DataType::UInt64);
    assert_eq!(df.column("contact_close_rate")?.dtype(), &DataType::Float64);

    // SPEC §10: ana, June 2026.
    let june = report
        .rows
        .iter()
        .position(|r| r.period == "2026-06")
        .ok_or("no June")?;
    let contacts = df.column("contacts")?.u64()?;
    assert_eq!(contacts.get(june), Some(60));
    let ccr = df.column("contact_close_rate")?.f64()?;
    let mcr = df.column("meeting_close_rate")?.f64()?;
    assert_eq!(ccr.get(june), Some(10.0 / 60.0));
    assert_eq!(mcr.get(june), Some(10.0 / 15.0));
    let starts = df.column("period_start")?.date()?;
    assert_eq!(
        starts.phys.get(june),
        Some(20_605), // 2026-06-01 in days since 1970-01-01
    );
    // Undefined rates are nulls.
    let no_meetings = report
        .rows
        .iter()
        .filter(|r| r.counts.meetings_held == 0)
        .count();
    assert!(no_meetings > 0);
    assert_eq!(mcr.null_count(), no_meetings);

    let cohort = classified
        .cohort_report(&Scope::all(), &monthly)?
        .to_dataframe()?;
    assert_eq!(cohort.column("cohort_start")?.dtype(), &DataType::Date);
    assert_eq!(cohort.column("win_rate")?.dtype(), &DataType::Float64);
    let channels = classified
        .breakdown(&Scope::all(), &monthly, BreakdownBy::Channel)?
        .to_dataframe()?;
    assert_eq!(channels.column("channel")?.dtype(), &DataType::String);
    let curve = classified
        .time_to_win(&Scope::all(), None)?
        .to_dataframe()?;
    assert_eq!(curve.column("survival")?.dtype(), &DataType::Float64);
    assert_eq!(curve.column("at_risk")?.dtype(), &DataType::UInt64);
    Ok(())
}

#[test]
fn empty_results_keep_their_schema() -> TestResult {
    let mut b = LedgerBuilder::new();
    b.add_rep(Rep::new("ana"));
    let ledger = b.build()?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    let df = classified
        .period_report(&Scope::all(), &PeriodSpec::monthly())?
        .to_dataframe()?;
    assert_eq!((df.height(), df.width()), (0, 17));
    assert_eq!(df.column("period_start")?.dtype(), &DataType::Date);
    let rejections = Rejections(&[]).to_dataframe()?;
    assert_eq!((rejections.height(), rejections.width()), (0, 5));
    assert_eq!(rejections.column("row")?.dtype(), &DataType::UInt64);
    let findings = sales_metrics::detect::Findings::default().to_dataframe()?;
    assert_eq!((findings.height(), findings.width()), (0, 6));
    assert_eq!(findings.column("score")?.dtype(), &DataType::Float64);
    // Any table (types inferred) and any frame.
    let mut t = sales_metrics::Table::new(&["rep_id", "n"]);
    t.push(vec!["ana".into(), 3u64.into()]);
    let table = t.to_dataframe()?;
    assert_eq!(table.column("n")?.dtype(), &DataType::Int64);
    let frame = sales_metrics::report::Frame::from_table(&t).to_dataframe()?;
    assert_eq!(frame.column("rep_id")?.dtype(), &DataType::String);
    Ok(())
}
