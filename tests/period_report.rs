//! The period report (SPEC §6) and its invariants.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::*;
use proptest::prelude::*;
use sales_metrics::report::{
    Aggregate, Granularity, PeriodAggregate, PeriodSpec, ReportInput, Scope,
};
use sales_metrics::{
    Channel, ClassifyConfig, Contact, Ledger, LedgerBuilder, Meeting, MeetingStatus,
    ProspectRecord, Rep, Sale, Source, SuppliedPartition, TeamId, classify,
};

fn report_csv(ledger: &Ledger, scope: &Scope, spec: &PeriodSpec) -> String {
    let c = classify(ledger, &ClassifyConfig::default());
    let r = c.period_report(scope, spec).unwrap();
    let mut out = Vec::new();
    r.table().write_csv(&mut out).unwrap();
    r.revenue_table().write_csv(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn distinct_prospects_rows_and_cancelled_meetings() {
    let mut b = builder(&["ana", "bob"], &["p1", "p2"]);
    contact(&mut b, "c1", "ana", "p1", day(0));
    contact(&mut b, "c2", "ana", "p1", day(1));
    contact(&mut b, "c3", "ana", "p2", day(2));
    meeting(&mut b, "m1", "ana", "p1", day(3));
    meeting(&mut b, "m2", "ana", "p1", day(4));
    // bob only has a cancelled meeting in February: still a row.
    meeting_status(&mut b, "m3", "bob", "p2", day(40), MeetingStatus::Cancelled);
    let mut s = Sale::new("s1", "ana", "p1", day(5));
    s.amount_minor = Some(1500);
    s.currency = Some("RON".into());
    b.add_sale(s);
    let mut s = Sale::new("s2", "ana", "p2", day(6));
    s.amount_minor = Some(700);
    s.currency = Some("EUR".into());
    b.add_sale(s);
    b.add_sale(Sale::new("s3", "ana", "p2", day(7))); // no amount: counts, adds nothing
    let l = b.build().unwrap();
    let c = classify(&l, &ClassifyConfig::default());
    let r = c
        .period_report(&Scope::all(), &PeriodSpec::monthly())
        .unwrap();
    assert_eq!(r.rows.len(), 2);
    let ana = &r.rows[0];
    assert_eq!(ana.counts.contacts, 3);
    assert_eq!(ana.counts.new_prospects, 2);
    assert_eq!(ana.counts.prospects_engaged, 2);
    assert_eq!(ana.counts.meetings_held, 2);
    assert_eq!(ana.counts.prospects_met, 1);
    assert_eq!(ana.counts.sales, 3);
    assert_eq!(
        ana.revenue,
        vec![("EUR".to_owned(), 700), ("RON".to_owned(), 1500)]
    );
    assert_eq!(
        ana.counts.meeting_close_rate().value(),
        Some(1.5),
        "not a proportion"
    );
    assert_eq!(ana.counts.meeting_close_rate().wilson_interval(), None);
    let bob = &r.rows[1];
    assert_eq!(
        (bob.rep_id.as_str(), bob.period.as_str()),
        ("bob", "2026-02")
    );
    assert_eq!(bob.counts.meetings_held, 0);
    assert_eq!(bob.counts.meetings_cancelled, 1);
    assert_eq!(
        bob.counts.meeting_close_rate().value(),
        None,
        "undefined, not NaN"
    );
    let csv = report_csv(&l, &Scope::all(), &PeriodSpec::monthly());
    assert!(
        csv.contains("bob,2026-02,0,0,0,0,0,0,0,0,0,0,,,,\n"),
        "{csv}"
    );
    assert!(csv.contains(
        "rep_id,period,currency,revenue_minor\nana,2026-01,EUR,700\nana,2026-01,RON,1500\n"
    ));
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn local_days_on_bucharest_dst_change_days() {
    let mut b = builder(&["ana"], &["p1"]);
    // Spring forward (2026-03-29): the local day runs 2026-03-28T22:00Z to
    // 2026-03-29T21:00Z (23 h). Fall back (2026-10-25): 2026-10-24T21:00Z
    // to 2026-10-25T22:00Z (25 h).
    for (i, t) in [
        "2026-03-28T21:59:59Z", // 03-28 23:59:59 EET
        "2026-03-28T22:00:00Z", // 03-29 00:00 EET
        "2026-03-29T20:59:59Z", // 03-29 23:59:59 EEST
        "2026-03-29T21:00:00Z", // 03-30 00:00 EEST
        "2026-10-24T20:59:59Z", // 10-24 23:59:59 EEST
        "2026-10-24T21:00:00Z", // 10-25 00:00 EEST
        "2026-10-25T21:59:59Z", // 10-25 23:59:59 EET
        "2026-10-25T22:00:00Z", // 10-26 00:00 EET
    ]
    .iter()
    .enumerate()
    {
        contact(&mut b, &format!("c{i}"), "ana", "p1", at(t));
    }
    let l = b.build().unwrap();
    let spec = PeriodSpec::new(Granularity::Day)
        .in_zone_named("Europe/Bucharest")
        .unwrap();
    let c = classify(&l, &ClassifyConfig::default());
    let r = c.period_report(&Scope::all(), &spec).unwrap();
    let got: Vec<(&str, u64)> = r
        .rows
        .iter()
        .map(|r| (r.period.as_str(), r.counts.contacts))
        .collect();
    assert_eq!(
        got,
        vec![
            ("2026-03-28", 1),
            ("2026-03-29", 2),
            ("2026-03-30", 1),
            ("2026-10-24", 1),
            ("2026-10-25", 2),
            ("2026-10-26", 1)
        ]
    );
    // In UTC the same instants fall on other days.
    let utc = c
        .period_report(&Scope::all(), &PeriodSpec::new(Granularity::Day))
        .unwrap();
    assert_eq!(utc.rows[0].period, "2026-03-28");
    assert_eq!(utc.rows[0].counts.contacts, 2);
}

#[test]
fn every_granularity_labels_periods() {
    let mut b = builder(&["ana"], &["p1"]);
    contact(&mut b, "c1", "ana", "p1", at("2026-06-03T10:00:00Z"));
    contact(&mut b, "c2", "ana", "p1", at("2027-01-01T10:00:00Z"));
    let l = b.build().unwrap();
    let c = classify(&l, &ClassifyConfig::default());
    let labels = |g: Granularity| -> Vec<String> {
        c.period_report(&Scope::all(), &PeriodSpec::new(g))
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r.period)
            .collect()
    };
    assert_eq!(labels(Granularity::Day), ["2026-06-03", "2027-01-01"]);
    assert_eq!(labels(Granularity::IsoWeek), ["2026-W23", "2026-W53"]);
    assert_eq!(labels(Granularity::Month), ["2026-06", "2027-01"]);
    assert_eq!(labels(Granularity::Quarter), ["2026-Q2", "2027-Q1"]);
    assert_eq!(labels(Granularity::Year), ["2026", "2027"]);
}

#[test]
fn scopes_team_rep_channel_source() {
    let mut b = LedgerBuilder::new();
    for (r, t) in [("ana", "north"), ("bob", "south")] {
        let mut rep = Rep::new(r);
        rep.team_id = Some(TeamId::from(t));
        b.add_rep(rep);
    }
    let mut p1 = ProspectRecord::new("p1");
    p1.source = Some(Source::Referral);
    b.add_prospect(p1);
    b.add_prospect(ProspectRecord::new("p2"));
    b.add_contact(Contact::new("c1", "ana", "p1", day(0), Channel::Email));
    b.add_contact(Contact::new("c2", "ana", "p1", day(1), Channel::Phone));
    b.add_contact(Contact::new("c3", "bob", "p2", day(1), Channel::Phone));
    b.add_meeting(Meeting::new("m1", "ana", "p1", day(2)));
    b.add_sale(Sale::new("s1", "bob", "p2", day(3)));
    let l = b.build().unwrap();
    let c = classify(&l, &ClassifyConfig::default());
    let m = PeriodSpec::monthly();
    let rows = |s: Scope| c.period_report(&s, &m).unwrap().rows;
    assert_eq!(rows(Scope::team("north")).len(), 1);
    assert_eq!(rows(Scope::rep("bob"))[0].counts.sales, 1);
    // Email scope: ana's email contact and the meeting of the engagement it
    // opened; bob's phone-opened sale is out.
    let email = rows(Scope::all().with_channel(Channel::Email));
    assert_eq!(email.len(), 1);
    assert_eq!(
        (email[0].counts.contacts, email[0].counts.meetings_held),
        (1, 1)
    );
    let phone = rows(Scope::all().with_channel(Channel::Phone));
    assert_eq!(phone.iter().map(|r| r.counts.contacts).sum::<u64>(), 2);
    assert_eq!(phone.iter().map(|r| r.counts.sales).sum::<u64>(), 1);
    let referral = rows(Scope::all().with_source(Source::Referral));
    assert_eq!(referral.len(), 1);
    assert_eq!(referral[0].counts.contacts, 2);
    assert!(c.period_report(&Scope::rep("nobody"), &m).is_err());
}

// ---- property tests ----

#[derive(Debug, Clone)]
struct Spec {
    reps: usize,
    prospects: usize,
    groups: Vec<usize>,
    contacts: Vec<(usize, usize, i64, usize)>,
    meetings: Vec<(usize, usize, i64, usize)>,
    sales: Vec<(usize, usize, i64, Option<i64>)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (1usize..4, 1usize..8).prop_flat_map(|(reps, prospects)| {
        // Times in hours over ~2 years, so dormancy and month ends occur;
        // coarse enough that ties happen.
        let t = 0i64..(24 * 700);
        (
            Just(reps),
            Just(prospects),
            prop::collection::vec(0..prospects, prospects),
            prop::collection::vec((0..reps, 0..prospects, t.clone(), 0usize..5), 0..60),
            prop::collection::vec((0..reps, 0..prospects, t.clone(), 0usize..3), 0..15),
            prop::collection::vec(
                (0..reps, 0..prospects, t, prop::option::of(0i64..10_000)),
                0..10,
            ),
        )
            .prop_map(
                |(reps, prospects, groups, contacts, meetings, sales)| Spec {
                    reps,
                    prospects,
                    groups,
                    contacts,
                    meetings,
                    sales,
                },
            )
    })
}

fn hours(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 12, 20, 0, 0, 0).unwrap() + Duration::hours(h)
}

/// Builds the ledger, adding records in an order given by `perm_seed`.
fn build(s: &Spec, perm_seed: u64) -> Ledger {
    let mut b = LedgerBuilder::new();
    let order = |n: usize| -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        if perm_seed != 0 {
            let mut x = perm_seed;
            for i in (1..n).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                v.swap(i, (x % (i as u64 + 1)) as usize);
            }
        }
        v
    };
    for i in order(s.reps) {
        let mut rep = Rep::new(format!("r{i}"));
        rep.team_id = Some(TeamId::from(if i % 2 == 0 { "even" } else { "odd" }));
        b.add_rep(rep);
    }
    for i in order(s.prospects) {
        let mut p = ProspectRecord::new(format!("p{i}"));
        p.source = Some(Source::ALL[i % Source::ALL.len()]);
        b.add_prospect(p);
    }
    for i in order(s.contacts.len()) {
        let (r, p, t, ch) = s.contacts[i];
        let mut c = Contact::new(
            format!("c{i}"),
            format!("r{r}"),
            format!("p{p}"),
            hours(t),
            Channel::ALL[ch],
        );
        c.duration_s = (i % 3 != 0).then_some(60 * i as i64);
        b.add_contact(c);
    }
    for i in order(s.meetings.len()) {
        let (r, p, t, st) = s.meetings[i];
        let mut m = Meeting::new(format!("m{i}"), format!("r{r}"), format!("p{p}"), hours(t));
        m.status = MeetingStatus::ALL[st];
        b.add_meeting(m);
    }
    for i in order(s.sales.len()) {
        let (r, p, t, amount) = s.sales[i];
        let mut sale = Sale::new(format!("s{i}"), format!("r{r}"), format!("p{p}"), hours(t));
        sale.amount_minor = amount;
        sale.currency = amount.map(|a| if a % 2 == 0 { "RON" } else { "EUR" }.to_owned());
        b.add_sale(sale);
    }
    let partition: SuppliedPartition = order(s.prospects)
        .into_iter()
        .map(|i| (format!("p{i}"), format!("g{}", s.groups[i])))
        .collect();
    b.partition(partition);
    b.build().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn classes_partition_the_contacts(s in spec()) {
        let l = build(&s, 0);
        let c = classify(&l, &ClassifyConfig::default());
        let counts = c.class_counts();
        prop_assert_eq!(counts.iter().sum::<u64>(), l.accepted_count(sales_metrics::RecordKind::Contact));
        prop_assert_eq!(c.contacts().len(), l.accepted_count(sales_metrics::RecordKind::Contact) as usize);
        for contact in c.contacts() {
            prop_assert_eq!(c.class(contact.contact_id), Some(contact.class));
        }
        // Engagement contacts add up to the non-customer contacts.
        let in_engagements: u64 = c.engagements().map(|g| u64::from(g.contacts())).sum();
        prop_assert_eq!(in_engagements, counts[0] + counts[1] + counts[2]);
        prop_assert_eq!(c.engagements().len() as u64, counts[0] + counts[2]);
    }

    #[test]
    fn results_do_not_depend_on_input_order(s in spec(), seed in 1u64..u64::MAX) {
        let a = build(&s, 0);
        let b = build(&s, seed);
        let classes = |l: &Ledger| {
            let mut out = Vec::new();
            classify(l, &ClassifyConfig::default()).write_classes_csv(&mut out).unwrap();
            out
        };
        prop_assert_eq!(classes(&a), classes(&b));
        for g in [Granularity::Day, Granularity::IsoWeek, Granularity::Month] {
            let spec = PeriodSpec::new(g).in_zone_named("Europe/Bucharest").unwrap();
            prop_assert_eq!(report_csv(&a, &Scope::all(), &spec), report_csv(&b, &Scope::all(), &spec));
        }
    }

    #[test]
    fn per_rep_reports_add_up_to_the_all_reps_report(s in spec()) {
        let l = build(&s, 0);
        let c = classify(&l, &ClassifyConfig::default());
        let spec = PeriodSpec::new(Granularity::IsoWeek);
        let all = c.period_report(&Scope::all(), &spec).unwrap();
        let mut joined = Vec::new();
        for rep in l.reps() {
            joined.extend(c.period_report(&Scope::rep(rep.rep_id.as_str()), &spec).unwrap().rows);
        }
        prop_assert_eq!(&joined, &all.rows);
        let teams: Vec<_> = ["even", "odd"]
            .iter()
            .filter(|t| l.teams().iter().any(|x| x == **t))
            .flat_map(|t| c.period_report(&Scope::team(*t), &spec).unwrap().rows)
            .collect();
        prop_assert_eq!(teams.len(), all.rows.len());
        let total: u64 = all.rows.iter().map(|r| r.counts.contacts).sum();
        prop_assert_eq!(total, l.accepted_count(sales_metrics::RecordKind::Contact));
        let sales: u64 = all.rows.iter().map(|r| r.counts.sales).sum();
        prop_assert_eq!(sales, l.accepted_count(sales_metrics::RecordKind::Sale));
    }

    #[test]
    fn channel_and_source_scopes_partition_contacts(s in spec()) {
        let l = build(&s, 0);
        let c = classify(&l, &ClassifyConfig::default());
        let m = PeriodSpec::monthly();
        let by_channel: u64 = Channel::ALL
            .iter()
            .flat_map(|ch| c.period_report(&Scope::all().with_channel(*ch), &m).unwrap().rows)
            .map(|r| r.counts.contacts)
            .sum();
        prop_assert_eq!(by_channel, l.accepted_count(sales_metrics::RecordKind::Contact));
        let by_source: u64 = Source::ALL
            .iter()
            .flat_map(|so| c.period_report(&Scope::all().with_source(*so), &m).unwrap().rows)
            .map(|r| r.counts.contacts)
            .sum();
        prop_assert_eq!(by_source, l.accepted_count(sales_metrics::RecordKind::Contact));
    }

    #[test]
    fn split_anywhere_merge_equals_all_at_once(s in spec(), n in 1usize..10) {
        let l = build(&s, 0);
        let c = classify(&l, &ClassifyConfig::default());
        let (scope, spec) = (Scope::all(), PeriodSpec::new(Granularity::Day));
        let input = ReportInput::new(&c, &scope, &spec).unwrap();
        let whole = input.run::<PeriodAggregate>();
        let parts: Vec<PeriodAggregate> =
            input.parts(n).iter().map(PeriodAggregate::of).collect();
        // Merge in reverse order too: commutative and associative.
        let mut forward = PeriodAggregate::default();
        for p in parts.iter().cloned() {
            forward.merge(p);
        }
        let mut backward = PeriodAggregate::default();
        for p in parts.into_iter().rev() {
            backward.merge(p);
        }
        prop_assert_eq!(&forward, &backward);
        prop_assert_eq!(&forward.finish(&input), &whole);
        prop_assert_eq!(&backward.finish(&input), &whole);
    }

    #[test]
    fn report_tables_round_trip_through_csv_and_json(s in spec()) {
        let l = build(&s, 0);
        let c = classify(&l, &ClassifyConfig::default());
        let r = c.period_report(&Scope::all(), &PeriodSpec::monthly()).unwrap();
        let t = r.table();
        let mut csv_bytes = Vec::new();
        t.write_csv(&mut csv_bytes).unwrap();
        let mut rd = csv::Reader::from_reader(csv_bytes.as_slice());
        let back: Vec<Vec<String>> = rd.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
        let want: Vec<Vec<String>> = t.rows.iter().map(|row| row.iter().map(|c| c.to_text()).collect()).collect();
        prop_assert_eq!(&back, &want);
        // Floats parse back to the same value.
        for (row, cells) in back.iter().zip(&t.rows) {
            for (text, cell) in row.iter().zip(cells) {
                match cell {
                    sales_metrics::Cell::Float(f) => {
                        prop_assert_eq!(text.parse::<f64>().unwrap(), *f);
                    }
                    sales_metrics::Cell::Rate(r) => match r.value() {
                        Some(v) => prop_assert_eq!(text.parse::<f64>().unwrap(), v),
                        None => prop_assert_eq!(text.as_str(), ""),
                    },
                    _ => {}
                }
            }
        }
        let mut json = Vec::new();
        t.write_json(&mut json).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        prop_assert_eq!(v.as_array().map(Vec::len), Some(t.rows.len()));
        // The report itself round-trips through serde.
        let text = serde_json::to_string(&r).unwrap();
        let again: sales_metrics::report::PeriodReport = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(again, r);
    }
}

#[test]
fn rejected_sales_leave_no_currency_behind() {
    let mut b = builder(&["ana"], &["p1"]);
    b.mode(sales_metrics::Mode::Lenient);
    let mut s = Sale::new("s1", "ana", "p1", day(1));
    s.amount_minor = Some(-5); // negative_number: rejected
    s.currency = Some("XXX".into());
    b.add_sale(s);
    let mut s = Sale::new("s2", "ana", "p1", day(1));
    s.amount_minor = Some(5);
    s.currency = Some("RON".into());
    b.add_sale(s);
    let l = b.build().unwrap();
    assert_eq!(l.currencies(), ["RON".to_owned()]);
    assert_eq!(l.rejections().len(), 1);
}

#[test]
fn contact_classes_csv_and_json_agree_across_chunks() {
    let mut b = builder(&["ana"], &["p\"1", "p,2"]);
    // More contacts than one writer chunk, ids needing CSV quoting and JSON escaping.
    for i in 0..70_000i64 {
        let p = if i % 2 == 0 { "p\"1" } else { "p,2" };
        contact(&mut b, &format!("c{i:05}\"x"), "ana", p, day(i / 500));
    }
    let l = b.build().unwrap();
    let c = classify(&l, &ClassifyConfig::default());
    let mut csv_bytes = Vec::new();
    c.write_classes_csv(&mut csv_bytes).unwrap();
    let mut rd = csv::Reader::from_reader(csv_bytes.as_slice());
    let from_csv: Vec<Vec<String>> = rd
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let mut json = Vec::new();
    c.write_classes_json(&mut json).unwrap();
    let v: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap();
    let rows: Vec<_> = c.contacts().collect();
    assert_eq!(from_csv.len(), 70_000);
    assert_eq!(v.len(), 70_000);
    for ((csv_row, json_row), row) in from_csv.iter().zip(&v).zip(&rows) {
        assert_eq!(csv_row[0], row.contact_id);
        assert_eq!(json_row["contact_id"], row.contact_id);
        assert_eq!(json_row["prospect"], row.prospect_id);
        assert_eq!(csv_row[2], row.class.as_str());
        match row.engagement {
            None => assert!(json_row["engagement"].is_null()),
            Some(start) => assert_eq!(json_row["engagement"], start),
        }
    }
}
