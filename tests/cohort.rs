//! Cohort report (SPEC §7, §11): hand-computed cohorts and mergeability.

mod cohort_support;
mod common;

use chrono::Duration;
use common::*;
use proptest::prelude::*;
use sales_metrics::Cell;
use sales_metrics::report::{Aggregate, ReportInput};
use sales_metrics::report::{CohortAggregate, CohortReport, Granularity, PeriodSpec, Scope};
use sales_metrics::{
    Channel, ClassifyConfig, Contact, Ledger, MeetingStatus, ProspectRecord, Source, classify,
};

/// The hand-built ledger of the worked cohorts below.
///
/// * p1 (referral): ana opens it on 21 Jan, bob meets it on 26 Jan, ana
///   follows up on 5 Feb, bob sells on 10 Feb: a January cohort (the start
///   decides), met and won by others, 2 contacts, 20 days.
/// * p2: ana e-mails on 31 Jan 23:00 UTC and sells 2 hours later on 1 Feb:
///   January (in UTC), won without a meeting, 1 contact, 1/12 day.
/// * p3: ana opens it on 11 Jan, follows up on 16 Jan, then nothing for
///   235 days; bob reactivates it on 8 Sep (a second engagement), meets on
///   13 Sep and sells on 18 Sep. Ana's January engagement lapsed without a
///   win; bob's September one is met and won in 10 days.
/// * p4: bob opens it on 6 Jan and sells on 7 Jan without a meeting; ana's
///   meeting on 8 Jan and bob's contact on 9 Jan come after the first sale
///   and belong to no engagement.
/// * p5: ana opens it on 15 Feb; a cancelled meeting on 18 Feb, a held one
///   on 20 Feb; still open.
/// * p6: ana opens it on 13 Jan; still open, never met.
fn worked_ledger() -> Ledger {
    let mut b = builder(&["ana", "bob"], &["p2", "p3", "p4", "p5", "p6"]);
    let mut p1 = ProspectRecord::new("p1");
    p1.source = Some(Source::Referral);
    b.add_prospect(p1);
    contact(&mut b, "a1", "ana", "p1", day(20));
    meeting(&mut b, "m1", "bob", "p1", day(25));
    contact(&mut b, "a2", "ana", "p1", day(35));
    sale(&mut b, "s1", "bob", "p1", day(40));

    b.add_contact(Contact::new(
        "b1",
        "ana",
        "p2",
        day(30) + Duration::hours(23),
        Channel::Email,
    ));
    sale(&mut b, "s2", "ana", "p2", day(31) + Duration::hours(1));

    contact(&mut b, "d1", "ana", "p3", day(10));
    contact(&mut b, "d2", "ana", "p3", day(15));
    contact(&mut b, "d3", "bob", "p3", day(250));
    meeting(&mut b, "m3", "bob", "p3", day(255));
    sale(&mut b, "s3", "bob", "p3", day(260));

    contact(&mut b, "e1", "bob", "p4", day(5));
    sale(&mut b, "s4", "bob", "p4", day(6));
    meeting(&mut b, "m4", "ana", "p4", day(7));
    contact(&mut b, "e2", "bob", "p4", day(8));

    contact(&mut b, "f1", "ana", "p5", day(45));
    meeting_status(
        &mut b,
        "m5a",
        "ana",
        "p5",
        day(48),
        MeetingStatus::Cancelled,
    );
    meeting(&mut b, "m5b", "ana", "p5", day(50));

    contact(&mut b, "g1", "ana", "p6", day(12));
    b.build().unwrap()
}

fn report(ledger: &Ledger, scope: &Scope, periods: &PeriodSpec) -> CohortReport {
    let classified = classify(ledger, &ClassifyConfig::default());
    classified.cohort_report(scope, periods).unwrap()
}

fn csv(report: &CohortReport) -> String {
    let mut out = Vec::new();
    report.table().write_csv(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn f(v: f64) -> String {
    // The crate's cell text: shortest round-trip decimal, never "-0".
    sales_metrics::Cell::Float(v).to_text()
}

#[test]
fn worked_cohorts_by_month() {
    let l = worked_ledger();
    let r = report(&l, &Scope::all(), &PeriodSpec::monthly());
    let twelfth = 2.0 / 24.0; // p2's cycle: 2 hours
    let median = twelfth + 0.5 * (20.0 - twelfth);
    let p90 = twelfth + 0.9 * (20.0 - twelfth);
    let want = format!(
        "rep_id,cohort,engagements,met,won,meeting_rate,win_rate,met_win_rate,touches_to_win,cycle_days_median,cycle_days_p90\n\
         ana,2026-01,4,1,2,0.25,0.5,1,1.5,{},{}\n\
         ana,2026-02,1,1,0,1,0,0,,,\n\
         bob,2026-01,1,0,1,0,1,,1,1,1\n\
         bob,2026-09,1,1,1,1,1,1,1,10,10\n",
        f(median),
        f(p90)
    );
    assert_eq!(csv(&r), want);

    let ana_jan = &r.rows[0];
    assert_eq!(ana_jan.counts.open, 1, "p6");
    assert_eq!(ana_jan.counts.lapsed, 1, "p3's first engagement");
    assert_eq!(ana_jan.counts.ended_without_win(), 1);
    assert_eq!(ana_jan.counts.won_and_met, 1);
    assert_eq!(ana_jan.counts.contacts, 6, "p1: 2, p2: 1, p3: 2, p6: 1");
    assert_eq!(ana_jan.counts.cycle_days(), vec![twelfth, 20.0]);
    assert_eq!(
        ana_jan.counts.cycle_days_p25(),
        Some(twelfth + 0.25 * (20.0 - twelfth))
    );
    assert_eq!(
        ana_jan.counts.cycle_days_p75(),
        Some(twelfth + 0.75 * (20.0 - twelfth))
    );
    assert_eq!(ana_jan.counts.met_win_rate().to_string(), "100.0 % (1/1)");
    assert_eq!(ana_jan.counts.touches_to_win().to_string(), "1.50 (3/2)");
    // bob's January: a sale without a meeting; the meeting after the first
    // sale belongs to no engagement.
    let bob_jan = &r.rows[2];
    assert_eq!((bob_jan.counts.met, bob_jan.counts.won), (0, 1));
    assert_eq!(bob_jan.counts.met_win_rate().value(), None);
    for row in &r.rows {
        assert_eq!(
            row.counts.won + row.counts.open + row.counts.ended_without_win(),
            row.counts.engagements
        );
    }
}

#[test]
fn extended_table_adds_quartiles_and_fates() {
    let l = worked_ledger();
    let r = report(&l, &Scope::all(), &PeriodSpec::monthly());
    let t = r.extended_table();
    assert_eq!(&t.columns[..11], &CohortReport::COLUMNS[..]);
    assert_eq!(
        &t.columns[11..],
        &[
            "cycle_days_p25",
            "cycle_days_p75",
            "won_and_met",
            "open",
            "ended_without_win"
        ]
    );
    let twelfth = 2.0 / 24.0;
    assert_eq!(
        t.rows[0][11..],
        [
            Cell::Float(twelfth + 0.25 * (20.0 - twelfth)),
            Cell::Float(twelfth + 0.75 * (20.0 - twelfth)),
            Cell::Int(1),
            Cell::Int(1),
            Cell::Int(1)
        ]
    );
    assert_eq!(t.rows[1][11..13], [Cell::Empty, Cell::Empty]);
}

#[test]
fn time_zone_moves_a_start_across_the_month_boundary() {
    let l = worked_ledger();
    // p2 starts 31 Jan 23:00 UTC = 1 Feb 01:00 in Bucharest (UTC+2).
    let spec = PeriodSpec::monthly()
        .in_zone_named("Europe/Bucharest")
        .unwrap();
    let r = report(&l, &Scope::all(), &spec);
    let ana: Vec<_> = r
        .rows
        .iter()
        .filter(|r| r.rep_id == "ana")
        .map(|r| (r.cohort.as_str(), r.counts.engagements, r.counts.won))
        .collect();
    assert_eq!(ana, [("2026-01", 3, 1), ("2026-02", 2, 1)]);
}

#[test]
fn other_granularities() {
    let l = worked_ledger();
    let r = report(&l, &Scope::all(), &PeriodSpec::new(Granularity::Quarter));
    let rows: Vec<_> = r
        .rows
        .iter()
        .map(|r| (r.rep_id.as_str(), r.cohort.as_str(), r.counts.engagements))
        .collect();
    assert_eq!(
        rows,
        [
            ("ana", "2026-Q1", 5),
            ("bob", "2026-Q1", 1),
            ("bob", "2026-Q3", 1)
        ]
    );
    let r = report(&l, &Scope::all(), &PeriodSpec::new(Granularity::IsoWeek));
    // 21 Jan 2026 is a Wednesday of ISO week 4.
    assert!(r.rows.iter().any(|r| r.cohort == "2026-W04"));
    let total = r.total();
    assert_eq!(
        (
            total.counts.engagements,
            total.counts.met,
            total.counts.won,
            total.counts.open
        ),
        (7, 3, 4, 2)
    );
    let by_cohort = r.totals_by_cohort();
    assert!(by_cohort.iter().all(|c| c.rep_id == "*"));
    assert_eq!(
        by_cohort.iter().map(|c| c.counts.engagements).sum::<u64>(),
        7
    );
}

#[test]
fn scopes_filter_by_cohort_rep_channel_and_source() {
    let l = worked_ledger();
    let m = PeriodSpec::monthly();
    // Rep filter on the cohort's rep: bob's meeting and sale on ana's p1 stay
    // in ana's cohort, not bob's.
    let bob = report(&l, &Scope::rep("bob"), &m);
    let rows: Vec<_> = bob
        .rows
        .iter()
        .map(|r| {
            (
                r.cohort.as_str(),
                r.counts.engagements,
                r.counts.met,
                r.counts.won,
            )
        })
        .collect();
    assert_eq!(rows, [("2026-01", 1, 0, 1), ("2026-09", 1, 1, 1)]);
    assert_eq!(report(&l, &Scope::team("t1"), &m).rows.len(), 4);
    // Channel: engagements whose starting contact is an e-mail (p2 only).
    let email = report(&l, &Scope::all().with_channel(Channel::Email), &m);
    assert_eq!(email.rows.len(), 1);
    assert_eq!(
        (email.rows[0].counts.engagements, email.rows[0].counts.won),
        (1, 1),
        "p2's later sale counts though sales have no channel"
    );
    // Source: prospect p1 only.
    let referral = report(&l, &Scope::all().with_source(Source::Referral), &m);
    assert_eq!(referral.rows.len(), 1);
    assert_eq!(referral.rows[0].counts.cycle_days_median(), Some(20.0));
    // Unknown rep: an error, not an empty report.
    let classified = classify(&l, &ClassifyConfig::default());
    assert!(classified.cohort_report(&Scope::rep("zoe"), &m).is_err());
}

#[test]
fn empty_ledger_gives_empty_report_with_header() {
    let l = builder(&["ana"], &[]).build().unwrap();
    let r = report(&l, &Scope::all(), &PeriodSpec::monthly());
    assert!(r.rows.is_empty());
    assert_eq!(csv(&r), format!("{}\n", CohortReport::COLUMNS.join(",")));
}

#[test]
fn display_lists_rows() {
    let l = worked_ledger();
    let text = report(&l, &Scope::all(), &PeriodSpec::monthly()).to_string();
    assert!(text.starts_with("Cohort report (all reps;"));
    assert!(text.contains("ana        2026-01"));
    assert_eq!(text.lines().count(), 2 + 4);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn split_anywhere_merge_equals_all_at_once(
        events in cohort_support::events(),
        per_rep in any::<bool>(),
        a in 0usize..=8,
        b in 0usize..=8,
    ) {
        let l = cohort_support::ledger(&events, None);
        let classified = classify(&l, &cohort_support::config(per_rep));
        let (scope, m) = (Scope::all(), PeriodSpec::monthly());
        let input = ReportInput::new(&classified, &scope, &m).unwrap();
        let whole = input.run::<CohortAggregate>();
        let parts: Vec<CohortAggregate> = input
            .parts(1 + a + b)
            .iter()
            .map(CohortAggregate::of)
            .collect();
        // Forward, backward, and with the identity.
        let mut left = CohortAggregate::default();
        for p in parts.iter().cloned() {
            left.merge(p);
        }
        let mut z = CohortAggregate::default();
        for p in parts.into_iter().rev() {
            z.merge(p);
        }
        z.merge(CohortAggregate::default());
        prop_assert_eq!(&left, &z);
        prop_assert_eq!(&left.finish(&input), &whole);
    }

    #[test]
    fn every_engagement_is_won_open_or_ended(
        events in cohort_support::events(),
        per_rep in any::<bool>(),
    ) {
        let l = cohort_support::ledger(&events, None);
        let classified = classify(&l, &cohort_support::config(per_rep));
        let r = classified.cohort_report(&Scope::all(), &PeriodSpec::monthly()).unwrap();
        let mut total = 0;
        for row in &r.rows {
            prop_assert!(row.counts.engagements > 0, "no empty rows");
            prop_assert_eq!(row.counts.won + row.counts.open + row.counts.ended_without_win(), row.counts.engagements);
            prop_assert!(row.counts.won_and_met <= row.counts.met.min(row.counts.won));
            let cycles: Vec<Duration> = row.counts.cycles().collect();
            prop_assert_eq!(cycles.len() as u64, row.counts.won);
            prop_assert!(cycles.windows(2).all(|w| w[0] <= w[1]));
            prop_assert!(cycles.iter().all(|&c| c >= Duration::zero()));
            if let (Some(lo), Some(med), Some(hi)) =
                (row.counts.cycle_days_p25(), row.counts.cycle_days_median(), row.counts.cycle_days_p90())
            {
                prop_assert!(lo <= med && med <= hi);
            }
            total += row.counts.engagements;
        }
        prop_assert_eq!(total as usize, classified.engagements().len());
        // Scopes partition the cohorts: per rep, and per channel.
        let mut by_rep = 0;
        for rep in ["r0", "r1", "r2"] {
            let s = Scope::rep(rep);
            by_rep += classified.cohort_report(&s, &PeriodSpec::monthly())
                .unwrap()
                .total()
                .counts.engagements;
        }
        prop_assert_eq!(by_rep, total);
        let mut by_channel = 0;
        for &c in Channel::ALL {
            let s = Scope::all().with_channel(c);
            by_channel += classified.cohort_report(&s, &PeriodSpec::monthly())
                .unwrap()
                .total()
                .counts.engagements;
        }
        prop_assert_eq!(by_channel, total);
    }
}

#[test]
fn chunked_computation_equals_one_pass() {
    use sales_metrics::report::{BreakdownAggregate, BreakdownBy};
    let l = cohort_support::big_ledger(9000);
    use sales_metrics::RecordKind;
    let events = [RecordKind::Contact, RecordKind::Meeting, RecordKind::Sale]
        .map(|k| l.accepted_count(k))
        .iter()
        .sum::<u64>();
    assert!(events > 40_000, "{events}");
    let classified = classify(&l, &ClassifyConfig::default());
    let (all, m) = (Scope::all(), PeriodSpec::monthly());
    let input = ReportInput::new(&classified, &all, &m).unwrap();
    let one = |n: usize| input.parts(n);
    assert_eq!(one(1).len(), 1);
    let whole = CohortAggregate::of(&one(1)[0]);
    assert_eq!(whole.finish(&input), input.run::<CohortAggregate>());
    for by in [BreakdownBy::Channel, BreakdownBy::Source] {
        let input = ReportInput::new(&classified, &all, &m)
            .unwrap()
            .breakdown_by(by);
        let whole = BreakdownAggregate::of(&input.parts(1)[0]);
        assert_eq!(whole.finish(&input), input.run::<BreakdownAggregate>());
    }
}
