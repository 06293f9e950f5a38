//! Issue 12, defects 11 and 12: extreme but valid instants (chrono's
//! `MIN_UTC` and `MAX_UTC`, any time zone) never panic and cost what the
//! data holds, not what its time span covers; periods outside years
//! 0000–9999 are labelled in one documented form (ISO 8601 expanded years).

mod common;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use common::*;
use sales_metrics::detect::{DetectConfig, DetectContext, by_names, detect};
use sales_metrics::report::{Granularity, PeriodSpec, ReportInput, Scope};
use sales_metrics::{ClassifyConfig, Ledger, classify};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const GRANULARITIES: [Granularity; 5] = [
    Granularity::Day,
    Granularity::IsoWeek,
    Granularity::Month,
    Granularity::Quarter,
    Granularity::Year,
];

fn zone(name: &str) -> Result<Tz, Box<dyn std::error::Error>> {
    name.parse::<Tz>().map_err(|e| e.to_string().into())
}

/// One rep; prospect `p1` contacted, met and sold at each of `times`.
fn ledger_at(times: &[DateTime<Utc>]) -> Result<Ledger, Box<dyn std::error::Error>> {
    let mut b = builder(&["ana"], &["p1", "p2"]);
    for (i, &t) in times.iter().enumerate() {
        contact(&mut b, &format!("c{i}"), "ana", "p1", t);
        meeting(&mut b, &format!("m{i}"), "ana", "p1", t);
        contact(&mut b, &format!("d{i}"), "ana", "p2", t);
    }
    if let Some(&last) = times.last() {
        sale(&mut b, "s1", "ana", "p1", last);
    }
    Ok(b.build()?)
}

/// Every report of `ledger` in every granularity of `tz`; returns the
/// period report's row count per granularity.
fn every_report(ledger: &Ledger, tz: Tz) -> Result<Vec<usize>, Box<dyn std::error::Error>> {
    let classified = classify(ledger, &ClassifyConfig::default());
    let mut rows = Vec::new();
    for g in GRANULARITIES {
        let spec = PeriodSpec::new(g).in_zone(tz);
        let report = classified.period_report(&Scope::all(), &spec)?;
        for r in &report.rows {
            assert!(!r.period.is_empty(), "empty label in {r:?}");
        }
        rows.push(report.rows.len());
        let cohorts = classified.cohort_report(&Scope::all(), &spec)?;
        assert!(!cohorts.rows.is_empty());
        written(&report.table())?;
        written(&cohorts.table())?;
    }
    let win = classified.time_to_win(&Scope::all(), None)?;
    let _ = win.to_string();
    written(&win.table())?;
    let met = classified.time_to_first_meeting(&Scope::all(), None)?;
    let _ = met.to_string();
    Ok(rows)
}

/// Writes `table` as CSV and JSON, as the `report` example does.
fn written(table: &sales_metrics::Table) -> TestResult {
    let mut out = Vec::new();
    table.write_csv(&mut out)?;
    table.write_json(&mut out)?;
    Ok(())
}

#[test]
fn max_utc_monthly_in_kiritimati() -> TestResult {
    let ledger = ledger_at(&[DateTime::<Utc>::MAX_UTC])?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    // UTC+14: the last instant chrono can hold is a day chrono cannot hold.
    let spec = PeriodSpec::monthly().in_zone(zone("Pacific/Kiritimati")?);
    let report = classified.period_report(&Scope::all(), &spec)?;
    let labels: Vec<&str> = report.rows.iter().map(|r| r.period.as_str()).collect();
    assert_eq!(labels, ["+262143-01"]);
    Ok(())
}

#[test]
fn min_and_max_utc_together_in_every_granularity() -> TestResult {
    let ledger = ledger_at(&[DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC])?;
    for name in ["UTC", "Pacific/Kiritimati", "America/Los_Angeles"] {
        let rows = every_report(&ledger, zone(name)?)?;
        // Two far-apart periods in every granularity.
        assert_eq!(rows, [2, 2, 2, 2, 2], "{name}");
    }
    Ok(())
}

/// Detectors over the longest span an instant allows (190 million days):
/// their tables follow the periods that have events (issue 12 defect 5).
#[test]
fn detectors_on_min_and_max_utc() -> TestResult {
    let ledger = ledger_at(&[DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC])?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    for g in GRANULARITIES {
        let config = DetectConfig {
            periods: PeriodSpec::new(g),
            ..DetectConfig::default()
        };
        detect(
            &DetectContext::new(&classified, &config)?,
            &by_names(["all"])?,
        );
    }
    Ok(())
}

#[test]
fn time_to_win_with_extreme_as_of() -> TestResult {
    let t = Utc
        .with_ymd_and_hms(2026, 6, 1, 9, 0, 0)
        .single()
        .ok_or("t")?;
    let mut b = builder(&["ana"], &["p1", "p2", "p3"]);
    // An engagement open since the first instant chrono can hold, one won
    // in 2026, one open since the last instant.
    contact(&mut b, "c1", "ana", "p1", DateTime::<Utc>::MIN_UTC);
    contact(&mut b, "c2", "ana", "p2", t);
    meeting(&mut b, "m2", "ana", "p2", t + Duration::days(1));
    sale(&mut b, "s2", "ana", "p2", t + Duration::days(3));
    contact(&mut b, "c3", "ana", "p3", DateTime::<Utc>::MAX_UTC);
    let ledger = b.build()?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    for (as_of, subjects) in [(min, 1), (DateTime::UNIX_EPOCH, 1), (max, 3)] {
        for curve in [
            classified.time_to_win(&Scope::all(), Some(as_of))?,
            classified.time_to_first_meeting(&Scope::all(), Some(as_of))?,
        ] {
            assert_eq!(curve.subjects, subjects, "as of {as_of}");
            let _ = curve.to_string();
            written(&curve.table())?;
            written(&curve.full_table())?;
        }
    }
    // The wait of p1 from MIN_UTC to MAX_UTC is longer than i64 µs can
    // hold: it saturates rather than wrapping to a negative time.
    let curve = classified.time_to_win(&Scope::all(), None)?;
    assert_eq!(curve.max_day, Some(i64::MAX as f64 / 86_400_000_000.0));
    assert_eq!(curve.survival_at(3.0), 0.5);
    Ok(())
}

#[test]
fn calendar_for_min_and_max_is_small() -> TestResult {
    let ledger = ledger_at(&[DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC])?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    let scope = Scope::all();
    let started = std::time::Instant::now();
    for g in GRANULARITIES {
        for name in ["UTC", "Europe/Bucharest"] {
            let spec = PeriodSpec::new(g).in_zone(zone(name)?);
            // Lays out the local days of the ledger's periods.
            let input = ReportInput::new(&classified, &scope, &spec)?;
            let periods = input.periods();
            let lo = periods.label_of(DateTime::<Utc>::MIN_UTC);
            let hi = periods.label_of(DateTime::<Utc>::MAX_UTC);
            assert!(lo.is_some() && hi.is_some() && lo != hi);
            assert!(
                periods.local_date_of(DateTime::<Utc>::MIN_UTC)
                    < periods.local_date_of(DateTime::<Utc>::MAX_UTC)
            );
        }
    }
    // Not a timing assertion: a calendar of every day between would take
    // minutes and gigabytes, so a hang here is the failure.
    let _ = started.elapsed();
    Ok(())
}

/// The label of the period holding local date `d` (in UTC).
fn label(g: &Granularity, d: NaiveDate) -> Result<String, Box<dyn std::error::Error>> {
    let t = d.and_hms_opt(12, 0, 0).ok_or("time")?.and_utc();
    let spec = PeriodSpec::new(*g);
    assert_eq!(spec.period_start_of(t).map(|s| s <= d), Some(true));
    Ok(spec.label_of(t).ok_or("no period")?)
}

#[test]
fn labels_outside_years_0000_to_9999_use_expanded_years() -> TestResult {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).ok_or("date");
    let cases = [
        (
            d(-1, 12, 31)?,
            ["-0001-12-31", "-0001-W52", "-0001-12", "-0001-Q4", "-0001"],
        ),
        (
            d(0, 6, 15)?,
            ["0000-06-15", "0000-W24", "0000-06", "0000-Q2", "0000"],
        ),
        (
            d(9999, 12, 31)?,
            ["9999-12-31", "9999-W52", "9999-12", "9999-Q4", "9999"],
        ),
        (
            d(10000, 1, 3)?,
            [
                "+10000-01-03",
                "+10000-W01",
                "+10000-01",
                "+10000-Q1",
                "+10000",
            ],
        ),
    ];
    for (date, want) in cases {
        for (g, want) in GRANULARITIES.iter().zip(want) {
            assert_eq!(label(g, date)?, want, "{g} of {date}");
        }
    }
    Ok(())
}

#[test]
fn labels_after_the_time_zone_shift_use_expanded_years() -> TestResult {
    // Valid SPEC §3 instants whose local dates leave years 0000–9999.
    let late = Utc
        .with_ymd_and_hms(9999, 12, 31, 23, 0, 0)
        .single()
        .ok_or("t")?;
    let early = Utc
        .with_ymd_and_hms(0, 1, 1, 0, 30, 0)
        .single()
        .ok_or("t")?;
    let ledger = ledger_at(&[early, late])?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    // 0000-01-01 and 10000-01-01 are Saturdays: their ISO weeks are the
    // last of the year before.
    let cases = [
        (
            "Europe/Bucharest",
            ["0000-01-01", "+10000-01-01"],
            ["0000-01", "+10000-01"],
        ),
        (
            "America/New_York",
            ["-0001-12-31", "9999-12-31"],
            ["-0001-12", "9999-12"],
        ),
    ];
    for (name, days, months) in cases {
        for (g, want) in [
            (Granularity::Day, days),
            (Granularity::IsoWeek, ["-0001-W52", "9999-W52"]),
            (Granularity::Month, months),
        ] {
            let spec = PeriodSpec::new(g).in_zone(zone(name)?);
            let report = classified.period_report(&Scope::all(), &spec)?;
            let labels: Vec<&str> = report.rows.iter().map(|r| r.period.as_str()).collect();
            assert_eq!(labels, want, "{name}");
            let cohorts = classified.cohort_report(&Scope::all(), &spec)?;
            let labels: Vec<&str> = cohorts.rows.iter().map(|r| r.cohort.as_str()).collect();
            assert_eq!(labels, want, "{name}");
        }
    }
    Ok(())
}

#[test]
fn daily_periods_over_ten_millennia_follow_the_events() -> TestResult {
    // One event day per century of 0000–9999: a calendar of every day
    // between would hold 3.65 million days.
    let times: Vec<DateTime<Utc>> = (0..100)
        .filter_map(|c| Utc.with_ymd_and_hms(c * 100 + 50, 6, 1, 9, 0, 0).single())
        .collect();
    let ledger = ledger_at(&times)?;
    let rows = every_report(&ledger, zone("Europe/Bucharest")?)?;
    // Days, weeks, months, quarters and years: one each per century.
    assert_eq!(rows, [100, 100, 100, 100, 100]);
    Ok(())
}
