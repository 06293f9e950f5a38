//! SPEC §10: rep `ana`, June 2026 — 60 contacts (15 new prospects, 45
//! follow-ups), 15 held meetings, 10 sales.

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::*;
use sales_metrics::report::{PeriodSpec, Scope};
use sales_metrics::{ClassifyConfig, classify};

#[test]
fn ana_june_2026() {
    let prospects: Vec<String> = (1..=15).map(|i| format!("p{i:02}")).collect();
    let refs: Vec<&str> = prospects.iter().map(String::as_str).collect();
    let mut b = builder(&["ana"], &refs);
    let june = |d: i64, h: i64| {
        Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap() + Duration::days(d) + Duration::hours(h)
    };
    for (i, p) in prospects.iter().enumerate() {
        let d = i as i64; // first contacts on June 1..15
        contact(&mut b, &format!("c{i:02}-0"), "ana", p, june(d, 0));
        for k in 1..=3 {
            contact(&mut b, &format!("c{i:02}-{k}"), "ana", p, june(d + k, 1));
        }
        meeting(&mut b, &format!("m{i:02}"), "ana", p, june(d + 4, 2));
        if i < 10 {
            sale(&mut b, &format!("s{i:02}"), "ana", p, june(d + 5, 3));
        }
    }
    let ledger = b.build().unwrap();
    let classified = classify(&ledger, &ClassifyConfig::default());
    let report = classified
        .period_report(&Scope::all(), &PeriodSpec::monthly())
        .unwrap();
    assert_eq!(report.rows.len(), 1);
    let r = &report.rows[0];
    assert_eq!((r.rep_id.as_str(), r.period.as_str()), ("ana", "2026-06"));
    assert_eq!(r.counts.contacts, 60);
    assert_eq!(r.counts.new_prospects, 15);
    assert_eq!(r.counts.contacts_by_class, [15, 45, 0, 0]);
    assert_eq!(r.counts.meetings_held, 15);
    assert_eq!(r.counts.sales, 10);
    assert_eq!(r.counts.contact_close_rate().to_string(), "16.7 % (10/60)");
    assert_eq!(r.counts.meeting_close_rate().to_string(), "66.7 % (10/15)");
    assert_eq!(r.counts.follow_up_share().to_string(), "75.0 % (45/60)");
    let mut csv = Vec::new();
    report.table().write_csv(&mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert_eq!(
        text.lines().nth(1).unwrap(),
        "ana,2026-06,60,15,45,0,0,15,15,15,15,10,0.16666666666666666,0.6666666666666666,0.25,0.75"
    );
}
