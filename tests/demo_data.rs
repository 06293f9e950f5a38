//! The shipped demo data set `data/demo/`: it loads cleanly through the
//! ledger builder with its true partition, and it holds SPEC §10's worked
//! example (rep `ana`, June 2026) exactly.

use std::path::Path;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
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
    assert_eq!(
        clusters.len(),
        ledger.accepted_count(sales_metrics::RecordKind::Prospect) as usize
    );
    for c in &clusters {
        assert!(c.cluster_id <= c.prospect_id);
        assert!(clusters.iter().any(|x| x.prospect_id == c.cluster_id));
    }
    assert!(
        ledger.prospect_count()
            < ledger.accepted_count(sales_metrics::RecordKind::Prospect) as usize,
        "has duplicates"
    );
    let window = utc(2026, 1, 1)..utc(2026, 7, 1);
    let in_window = ledger
        .to_records()
        .contacts
        .iter()
        .filter(|c| window.contains(&c.occurred_at))
        .count();
    assert!((3_000..=6_000).contains(&in_window), "{in_window}");
    let bytes: u64 = std::fs::read_dir(DIR)?
        .map(|e| e.and_then(|e| e.metadata()).map(|m| m.len()))
        .sum::<Result<u64, _>>()?;
    assert!(bytes < 2_000_000, "{bytes} bytes");
    Ok(())
}

/// An event for [`classes`]: (prospect, time, kind rank, id, contact
/// position).
type Event<'a> = (&'a str, DateTime<Utc>, u8, &'a str, Option<usize>);

/// SPEC §5 classes computed straight from the records, in contact id
/// order: 0 new, 1 follow-up, 2 reactivated, 3 customer. Events of a
/// prospect (cluster) are ordered by (time, kind rank, id); meetings change
/// no class, so only contacts (rank 0) and sales (rank 2) are listed.
fn classes(ledger: &Ledger, records: &Records) -> Vec<u8> {
    let dormancy = TimeDelta::days(180);
    let prospect = |record: &str| {
        ledger
            .prospect_of(record)
            .expect("every record has a prospect")
    };
    let mut events: Vec<Event<'_>> = Vec::new();
    for (i, c) in records.contacts.iter().enumerate() {
        let p = prospect(c.prospect_id.as_str());
        events.push((p, c.occurred_at, 0, c.contact_id.as_str(), Some(i)));
    }
    for s in &records.sales {
        let p = prospect(s.prospect_id.as_str());
        events.push((p, s.closed_at, 2, s.sale_id.as_str(), None));
    }
    events.sort_unstable();
    let mut class = vec![u8::MAX; records.contacts.len()];
    for group in events.chunk_by(|a, b| a.0 == b.0) {
        let (mut last, mut sold) = (None::<DateTime<Utc>>, false);
        for &(_, t, _, _, contact) in group {
            let Some(i) = contact else {
                sold = true;
                continue;
            };
            class[i] = match (sold, last) {
                (true, _) => 3,
                (false, None) => 0,
                (false, Some(l)) if t - l > dormancy => 2,
                _ => 1,
            };
            last = Some(t);
        }
    }
    class
}

#[test]
fn ana_june_2026_is_the_worked_example() -> TestResult {
    let (ledger, _) = load()?;
    let records = ledger.to_records();
    let june = utc(2026, 6, 1)..utc(2026, 7, 1);
    let class = classes(&ledger, &records);
    let prospect = |record: &sales_metrics::ProspectRecordId| ledger.prospect_of(record.as_str());
    let contacts: Vec<usize> = (0..records.contacts.len())
        .filter(|&i| {
            let c = &records.contacts[i];
            c.rep_id.as_str() == "ana" && june.contains(&c.occurred_at)
        })
        .collect();
    assert_eq!(contacts.len(), 60);
    let new = contacts.iter().filter(|&&i| class[i] == 0).count();
    let follow_up = contacts.iter().filter(|&&i| class[i] == 1).count();
    assert_eq!((new, follow_up), (15, 45));
    let mut new_prospects: Vec<&str> = contacts
        .iter()
        .filter(|&&i| class[i] == 0)
        .filter_map(|&i| prospect(&records.contacts[i].prospect_id))
        .collect();
    new_prospects.sort_unstable();
    new_prospects.dedup();
    assert_eq!(new_prospects.len(), 15);

    let meetings: Vec<_> = records
        .meetings
        .iter()
        .filter(|m| m.rep_id.as_str() == "ana" && june.contains(&m.held_at))
        .collect();
    assert_eq!(meetings.len(), 15);
    assert!(meetings.iter().all(|m| m.status == MeetingStatus::Held));
    let sales = records
        .sales
        .iter()
        .filter(|s| s.rep_id.as_str() == "ana" && june.contains(&s.closed_at))
        .count();
    assert_eq!(sales, 10);
    // contact_close_rate 10/60 and meeting_close_rate 10/15.
    assert_eq!((sales * 6, sales * 3), (contacts.len(), meetings.len() * 2));

    // Nobody else touches ana's June prospects in June.
    let mut prospects: Vec<&str> = contacts
        .iter()
        .filter_map(|&i| prospect(&records.contacts[i].prospect_id))
        .collect();
    prospects.sort_unstable();
    prospects.dedup();
    let ours = |record: &sales_metrics::ProspectRecordId| {
        prospect(record).is_some_and(|p| prospects.binary_search(&p).is_ok())
    };
    let touches = records
        .contacts
        .iter()
        .filter(|c| ours(&c.prospect_id) && june.contains(&c.occurred_at))
        .map(|c| (c.rep_id.as_str(), c.contact_id.as_str()))
        .chain(
            records
                .meetings
                .iter()
                .filter(|m| ours(&m.prospect_id) && june.contains(&m.held_at))
                .map(|m| (m.rep_id.as_str(), m.meeting_id.as_str())),
        )
        .chain(
            records
                .sales
                .iter()
                .filter(|s| ours(&s.prospect_id) && june.contains(&s.closed_at))
                .map(|s| (s.rep_id.as_str(), s.sale_id.as_str())),
        );
    for (rep, id) in touches {
        assert_eq!(rep, "ana", "{id}");
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
    use sales_metrics::report::{PeriodSpec, Scope};
    use sales_metrics::{ClassifyConfig, ContactClass, classify};

    let (ledger, _) = load()?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    // classify agrees with the direct computation above on every contact.
    let direct = classes(&ledger, &ledger.to_records());
    assert_eq!(classified.contacts().len(), direct.len());
    for (contact, &c) in classified.contacts().zip(&direct) {
        assert_eq!(contact.class as u8, c, "{}", contact.contact_id);
    }
    let report = classified.period_report(&Scope::rep("ana"), &PeriodSpec::monthly())?;
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
