//! The shipped demo data set `data/demo/`: it loads cleanly through the
//! ledger builder with its true partition, and it holds SPEC §10's worked
//! example (rep `ana`, June 2026) exactly.

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use sales_metrics::EventKind;
use sales_metrics::{
    Contact, Ledger, LedgerBuilder, Meeting, MeetingStatus, ProspectRecord, Records, Rep, Sale,
    SuppliedPartition,
};
use serde::Deserialize;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo");

fn read<T: for<'de> Deserialize<'de>>(file: &str) -> Result<Vec<T>, Box<dyn std::error::Error>> {
    let mut r = csv::Reader::from_path(Path::new(DIR).join(file))?;
    let mut out = Vec::new();
    for row in r.deserialize() {
        out.push(row?);
    }
    Ok(out)
}

#[derive(Deserialize)]
struct ClusterRow {
    prospect_id: String,
    cluster_id: String,
}

fn load() -> Result<(Ledger, Vec<ClusterRow>), Box<dyn std::error::Error>> {
    let records = Records {
        reps: read::<Rep>("reps.csv")?,
        prospects: read::<ProspectRecord>("prospects.csv")?,
        contacts: read::<Contact>("contacts.csv")?,
        meetings: read::<Meeting>("meetings.csv")?,
        sales: read::<Sale>("sales.csv")?,
    };
    let clusters = read::<ClusterRow>("prospect_clusters.csv")?;
    let partition: SuppliedPartition = clusters
        .iter()
        .map(|c| (c.prospect_id.clone(), c.cluster_id.clone()))
        .collect();
    let mut b = LedgerBuilder::new();
    b.add_records(records);
    b.partition(partition);
    Ok((b.build()?, clusters))
}

fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

#[test]
fn demo_loads_cleanly_and_is_the_expected_size() -> TestResult {
    let (ledger, clusters) = load()?;
    assert!(ledger.rejections().is_empty());
    assert!(ledger.warnings().is_empty());
    assert_eq!(ledger.reps().len(), 8);
    assert_eq!(ledger.teams().len(), 2);
    // Every record is listed, under the smallest id of its cluster.
    assert_eq!(clusters.len(), ledger.records().len());
    for c in &clusters {
        assert!(c.cluster_id <= c.prospect_id);
        assert!(clusters.iter().any(|x| x.prospect_id == c.cluster_id));
    }
    assert!(
        ledger.prospect_count() < ledger.records().len(),
        "has duplicates"
    );
    let (lo, hi) = (
        utc(2026, 1, 1).timestamp_micros(),
        utc(2026, 7, 1).timestamp_micros(),
    );
    let in_window = ledger
        .contacts()
        .iter()
        .filter(|c| (lo..hi).contains(&c.occurred_us))
        .count();
    assert!((3_000..=6_000).contains(&in_window), "{in_window}");
    let bytes: u64 = std::fs::read_dir(DIR)?
        .map(|e| e.and_then(|e| e.metadata()).map(|m| m.len()))
        .sum::<Result<u64, _>>()?;
    assert!(bytes < 2_000_000, "{bytes} bytes");
    Ok(())
}

/// SPEC §5 classes computed straight from the ledger's per-prospect event
/// order: 0 new, 1 follow-up, 2 reactivated, 3 customer.
fn classes(ledger: &Ledger) -> Vec<u8> {
    let dormancy = 180 * 86_400 * 1_000_000i64;
    let mut class = vec![u8::MAX; ledger.contacts().len()];
    for p in 0..ledger.prospect_count() as u32 {
        let (mut last, mut sold) = (None::<i64>, false);
        for e in ledger.prospect_events(p) {
            match e.kind {
                EventKind::Contact => {
                    let c = match (sold, last) {
                        (true, _) => 3,
                        (false, None) => 0,
                        (false, Some(t)) if e.time_us - t > dormancy => 2,
                        _ => 1,
                    };
                    class[e.index as usize] = c;
                    last = Some(e.time_us);
                }
                EventKind::Sale => sold = true,
                EventKind::Meeting => {}
            }
        }
    }
    class
}

#[test]
fn ana_june_2026_is_the_worked_example() -> TestResult {
    let (ledger, _) = load()?;
    let ana = ledger.rep_index("ana").ok_or("no ana")?;
    let june = utc(2026, 6, 1).timestamp_micros()..utc(2026, 7, 1).timestamp_micros();
    let class = classes(&ledger);
    let contacts: Vec<usize> = (0..ledger.contacts().len())
        .filter(|&i| {
            let c = &ledger.contacts()[i];
            c.rep == ana && june.contains(&c.occurred_us)
        })
        .collect();
    assert_eq!(contacts.len(), 60);
    let new = contacts.iter().filter(|&&i| class[i] == 0).count();
    let follow_up = contacts.iter().filter(|&&i| class[i] == 1).count();
    assert_eq!((new, follow_up), (15, 45));
    let mut new_prospects: Vec<u32> = contacts
        .iter()
        .filter(|&&i| class[i] == 0)
        .map(|&i| ledger.contacts()[i].prospect)
        .collect();
    new_prospects.sort_unstable();
    new_prospects.dedup();
    assert_eq!(new_prospects.len(), 15);

    let meetings: Vec<_> = ledger
        .meetings()
        .iter()
        .filter(|m| m.rep == ana && june.contains(&m.held_us))
        .collect();
    assert_eq!(meetings.len(), 15);
    assert!(meetings.iter().all(|m| m.status == MeetingStatus::Held));
    let sales = ledger
        .sales()
        .iter()
        .filter(|s| s.rep == ana && june.contains(&s.closed_us))
        .count();
    assert_eq!(sales, 10);
    // contact_close_rate 10/60 and meeting_close_rate 10/15.
    assert_eq!((sales * 6, sales * 3), (contacts.len(), meetings.len() * 2));

    // Nobody else touches ana's June prospects in June.
    let mut prospects: Vec<u32> = contacts
        .iter()
        .map(|&i| ledger.contacts()[i].prospect)
        .collect();
    prospects.sort_unstable();
    prospects.dedup();
    for &p in &prospects {
        for e in ledger.prospect_events(p) {
            if june.contains(&e.time_us) {
                assert_eq!(ledger.event_rep(e), ana, "{}", ledger.event_id(e));
            }
        }
    }
    Ok(())
}

#[test]
fn demo_is_reproducible() -> TestResult {
    // The files are exactly what the simulator writes for the demo seed.
    let sim = sales_metrics::sim::demo()?;
    let dir = std::env::temp_dir().join(format!("sales-metrics-demo-{}", std::process::id()));
    sim.write_csv_dir(&dir)?;
    for f in [
        "reps.csv",
        "prospects.csv",
        "contacts.csv",
        "meetings.csv",
        "sales.csv",
        "prospect_clusters.csv",
    ] {
        let shipped = std::fs::read(Path::new(DIR).join(f))?;
        let fresh = std::fs::read(dir.join(f))?;
        assert!(
            shipped == fresh,
            "{f} differs from `cargo run --example make_demo_data`"
        );
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn ana_june_2026_through_classify_and_the_period_report() -> TestResult {
    use sales_metrics::report::{PeriodSpec, Scope, period_report};
    use sales_metrics::{ClassifyConfig, ContactClass, classify};

    let (ledger, _) = load()?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    // classify agrees with the direct computation above on every contact.
    let direct = classes(&ledger);
    assert_eq!(classified.contacts().len(), direct.len());
    for (contact, &c) in classified.contacts().zip(&direct) {
        assert_eq!(contact.class as u8, c, "{}", contact.contact_id);
    }
    let report = period_report(&classified, &Scope::rep("ana"), &PeriodSpec::monthly())?;
    let r = report
        .rows
        .iter()
        .find(|r| r.period == "2026-06")
        .ok_or("no ana 2026-06 row")?;
    assert_eq!(r.counts.contacts, 60);
    assert_eq!(r.counts.contacts_of(ContactClass::New), 15);
    assert_eq!(r.counts.contacts_of(ContactClass::FollowUp), 45);
    assert_eq!(r.counts.new_prospects, 15);
    assert_eq!(r.counts.meetings_held, 15);
    assert_eq!(r.counts.sales, 10);
    assert_eq!(r.counts.contact_close_rate().to_string(), "16.7 % (10/60)");
    assert_eq!(r.counts.meeting_close_rate().to_string(), "66.7 % (10/15)");
    assert_eq!(r.counts.follow_up_share().to_string(), "75.0 % (45/60)");
    Ok(())
}
