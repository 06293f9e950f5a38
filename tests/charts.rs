//! SVG charts (feature `plot`): every chart draws on the shipped demo data
//! and on empty results, escapes names, marks what it promises (targets,
//! medians, legends) and saves to a file.
#![cfg(feature = "plot")]

mod common;
use common::demo;

use chrono::{Duration, TimeZone, Utc};
use sales_metrics::report::{BreakdownBy, Granularity, PeriodSpec, Scope};
use sales_metrics::report::{
    SvgChart, activity_breakdown_chart, activity_by_class_chart, close_rates_chart,
    daily_contacts_chart, funnel_chart, survival_chart,
};
use sales_metrics::{
    Channel, ClassifyConfig, Contact, LedgerBuilder, Meeting, ProspectRecord, Rep, Sale, classify,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A whole SVG document whose text elements are balanced.
fn well_formed(chart: &SvgChart) {
    let svg = chart.as_str();
    assert!(svg.starts_with("<svg"), "{}", chart.title());
    assert!(svg.trim_end().ends_with("</svg>"), "{}", chart.title());
    assert_eq!(
        svg.matches("<text").count(),
        svg.matches("</text>").count(),
        "{}",
        chart.title()
    );
    assert!(svg.contains(&chart.title().replace('&', "&amp;")));
    let (w, h) = chart.size();
    assert!(svg.contains(&format!("width=\"{w}\"")) && svg.contains(&format!("height=\"{h}\"")));
}

#[test]
fn every_chart_draws_the_demo_data() -> TestResult {
    let ledger = demo()?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    let monthly = PeriodSpec::monthly();
    let report = classified.period_report(&Scope::all(), &monthly)?;
    let daily = classified.period_report(&Scope::all(), &PeriodSpec::new(Granularity::Day))?;
    let win = classified.time_to_win(&Scope::all(), None)?;
    let north = classified.time_to_win(&Scope::team("north"), None)?;
    let charts = [
        funnel_chart(&report)?,
        close_rates_chart(&report)?,
        survival_chart(&[("all reps", &win), ("north", &north)])?,
        daily_contacts_chart(&ledger, &daily)?,
        activity_by_class_chart(&report)?,
        activity_breakdown_chart(&classified.breakdown(
            &Scope::all(),
            &monthly,
            BreakdownBy::Channel,
        )?)?,
        activity_breakdown_chart(&classified.breakdown(
            &Scope::all(),
            &monthly,
            BreakdownBy::Source,
        )?)?,
    ];
    for chart in &charts {
        well_formed(chart);
        for rep in ["ana", "bogdan", "horia"] {
            let per_rep = !chart.title().contains("Kaplan") && !chart.title().contains("mix");
            assert_eq!(chart.as_str().contains(rep), per_rep, "{}", chart.title());
        }
    }
    let [funnel, rates, survival, days, class, channel, source] = &charts;
    assert!(funnel.as_str().contains("prospects engaged"));
    assert!(rates.as_str().contains("contact close rate"));
    assert!(rates.as_str().contains("meeting close rate"));
    assert!(survival.as_str().contains("median not reached"));
    assert!(
        survival
            .as_str()
            .contains(&format!("{} engagements", win.subjects))
    );
    // Targets: ana's is 3, everybody else's 4.
    assert!(days.as_str().contains("ana · target 3"));
    assert!(days.as_str().contains("bogdan · target 4"));
    // One target line label per rep with target 4 (text elements hold
    // their text on a line of its own).
    let labels = |text: &str| days.as_str().lines().filter(|l| l.trim() == text).count();
    assert_eq!((labels("target 3"), labels("target 4")), (1, 7));
    assert!(class.as_str().contains("follow_up") && class.as_str().contains("2026-06"));
    assert!(channel.as_str().contains("in_person"));
    assert!(source.as_str().contains("cold_list"));
    Ok(())
}

#[test]
fn charts_save_and_show_in_notebooks() -> TestResult {
    let ledger = demo()?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    let report = classified.period_report(&Scope::all(), &PeriodSpec::monthly())?;
    let chart = close_rates_chart(&report)?;
    let dir = std::env::temp_dir().join(format!("sm-charts-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("close_rates.svg");
    chart.save(&path)?;
    assert_eq!(std::fs::read_to_string(&path)?, chart.as_str());
    assert!(chart.save(dir.join("missing/folder/x.svg")).is_err());
    std::fs::remove_dir_all(&dir)?;
    assert_eq!(chart.to_html(), chart.as_str());
    assert_eq!(chart.to_string(), chart.as_str());
    assert!(format!("{chart:?}").starts_with("SvgChart { title: \"Contact close rate"));
    Ok(())
}

#[test]
fn daily_chart_needs_days() -> TestResult {
    let ledger = demo()?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    let monthly = classified.period_report(&Scope::all(), &PeriodSpec::monthly())?;
    let err = daily_contacts_chart(&ledger, &monthly)
        .err()
        .ok_or("a monthly report was accepted")?;
    assert!(err.to_string().contains("by day"), "{err}");
    Ok(())
}

#[test]
fn names_are_escaped_and_empty_results_say_so() -> TestResult {
    let t = Utc
        .with_ymd_and_hms(2026, 6, 1, 9, 0, 0)
        .single()
        .ok_or("time")?;
    let mut b = LedgerBuilder::new();
    let mut rep = Rep::new("<ana&co>");
    rep.daily_contact_target = Some(2);
    b.add_rep(rep);
    b.add_rep(Rep::new("idle"));
    b.add_prospect(ProspectRecord::new("p1"));
    b.add_contact(Contact::new("c1", "<ana&co>", "p1", t, Channel::Phone));
    b.add_contact(Contact::new(
        "c2",
        "<ana&co>",
        "p1",
        t + Duration::hours(1),
        Channel::Email,
    ));
    b.add_meeting(Meeting::new("m1", "<ana&co>", "p1", t + Duration::days(1)));
    b.add_sale(Sale::new("s1", "<ana&co>", "p1", t + Duration::days(2)));
    let ledger = b.build()?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    let daily = classified.period_report(&Scope::all(), &PeriodSpec::new(Granularity::Day))?;
    let monthly = classified.period_report(&Scope::all(), &PeriodSpec::monthly())?;
    for chart in [
        funnel_chart(&monthly)?,
        close_rates_chart(&monthly)?,
        daily_contacts_chart(&ledger, &daily)?,
    ] {
        well_formed(&chart);
        assert!(
            chart.as_str().contains("&lt;ana&amp;co&gt;"),
            "{}",
            chart.title()
        );
        assert!(!chart.as_str().contains("<ana&co>"), "{}", chart.title());
    }

    let idle = classified.period_report(&Scope::rep("idle"), &PeriodSpec::monthly())?;
    let nothing = classified.time_to_win(&Scope::rep("idle"), None)?;
    let by_channel = classified.breakdown(
        &Scope::rep("idle"),
        &PeriodSpec::monthly(),
        BreakdownBy::Channel,
    )?;
    for chart in [
        funnel_chart(&idle)?,
        close_rates_chart(&idle)?,
        activity_by_class_chart(&idle)?,
        activity_breakdown_chart(&by_channel)?,
        survival_chart(&[])?,
    ] {
        well_formed(&chart);
        assert!(chart.as_str().contains("no data"), "{}", chart.title());
    }
    // A curve without events is flat, still drawn.
    well_formed(&survival_chart(&[("idle", &nothing)])?);
    Ok(())
}
