//! Breakdowns by channel and by prospect source: where the time goes and
//! what each channel and source brings back.

mod cohort_support;
mod common;

use common::*;
use proptest::prelude::*;
use sales_metrics::Cell;
use sales_metrics::report::{Aggregate, ReportInput};
use sales_metrics::report::{
    Breakdown, BreakdownAggregate, BreakdownBy, BreakdownCounts, PeriodSpec, Scope,
};
use sales_metrics::{
    Channel, ClassifyConfig, Contact, Ledger, ProspectRecord, Ratio, Source, classify,
};

fn timed(
    b: &mut sales_metrics::LedgerBuilder,
    id: &str,
    rep: &str,
    p: &str,
    d: i64,
    channel: Channel,
    seconds: Option<i64>,
) {
    let mut c = Contact::new(id, rep, p, day(d), channel);
    c.duration_s = seconds;
    b.add_contact(c);
}

/// * p1 (referral): ana phones on 1 Jan (600 s, new), e-mails on 3 Jan
///   (120 s); bob meets on 6 Jan and sells on 11 Jan.
/// * p2 (cold list): ana e-mails on 4 Jan (untimed, new), phones on 10 Feb
///   (300 s); open.
/// * p3 (no source): bob visits on 5 Jan (3600 s, new), sells on 7 Jan,
///   phones the new customer on 8 Jan (900 s).
fn worked_ledger() -> Ledger {
    let mut b = builder(&["ana", "bob"], &["p3"]);
    for (p, s) in [("p1", Source::Referral), ("p2", Source::ColdList)] {
        let mut r = ProspectRecord::new(p);
        r.source = Some(s);
        b.add_prospect(r);
    }
    timed(&mut b, "c1", "ana", "p1", 0, Channel::Phone, Some(600));
    timed(&mut b, "c2", "ana", "p1", 2, Channel::Email, Some(120));
    meeting(&mut b, "m1", "bob", "p1", day(5));
    sale(&mut b, "s1", "bob", "p1", day(10));
    timed(&mut b, "c3", "ana", "p2", 3, Channel::Email, None);
    timed(&mut b, "c4", "ana", "p2", 40, Channel::Phone, Some(300));
    timed(&mut b, "c5", "bob", "p3", 4, Channel::InPerson, Some(3600));
    sale(&mut b, "s3", "bob", "p3", day(6));
    timed(&mut b, "c6", "bob", "p3", 7, Channel::Phone, Some(900));
    b.build().unwrap()
}

fn by(ledger: &Ledger, scope: &Scope, by: BreakdownBy) -> Breakdown {
    let classified = classify(ledger, &ClassifyConfig::default());
    let periods = PeriodSpec::monthly();
    classified.breakdown(scope, &periods, by).unwrap()
}

type Key<'a> = (&'a str, &'a str, &'a str);

fn rows(b: &Breakdown) -> Vec<(Key<'_>, [i128; 8])> {
    b.rows
        .iter()
        .map(|r| {
            (
                (r.rep_id.as_str(), r.period.as_str(), r.key.as_str()),
                [
                    r.counts.contacts.into(),
                    r.counts.new_prospects.into(),
                    r.counts.engagements.into(),
                    r.counts.met.into(),
                    r.counts.won.into(),
                    r.counts.seconds,
                    r.counts.untimed.into(),
                    r.counts.contacts_by_class[1].into(),
                ],
            )
        })
        .collect()
}

#[test]
fn worked_channel_breakdown() {
    let l = worked_ledger();
    let b = by(&l, &Scope::all(), BreakdownBy::Channel);
    //            contacts new eng met won seconds untimed follow-ups
    assert_eq!(
        rows(&b),
        [
            (("ana", "2026-01", "phone"), [1, 1, 1, 1, 1, 600, 0, 0]),
            (("ana", "2026-01", "email"), [2, 1, 1, 0, 0, 120, 1, 1]),
            (("ana", "2026-02", "phone"), [1, 0, 0, 0, 0, 300, 0, 1]),
            (("bob", "2026-01", "phone"), [1, 0, 0, 0, 0, 900, 0, 0]),
            (("bob", "2026-01", "in_person"), [1, 1, 1, 0, 1, 3600, 0, 0]),
        ]
    );
    let phone = &b.rows[0];
    assert_eq!(phone.counts.won_per_hour(), Some(6.0), "1 win / 10 minutes");
    assert_eq!(phone.counts.new_prospects_per_hour(), Some(6.0));
    assert_eq!(phone.counts.won_per_contact().to_string(), "100.0 % (1/1)");
    assert_eq!(b.rows[1].counts.untimed_share().to_string(), "50.0 % (1/2)");
    assert_eq!(
        b.rows[3].counts.seconds_by_class,
        [0, 0, 0, 900],
        "customer care"
    );

    let t = b.table();
    assert_eq!(t.columns[2], "channel");
    assert_eq!(t.columns.len(), t.rows[0].len());
    let col = |name: &str| t.columns.iter().position(|c| *c == name).unwrap();
    // Share of ana's January logged time: 600 of 720 s by phone.
    // Shares are rates (counts kept, shown as percentages); their text is
    // the decimal value.
    assert_eq!(
        t.rows[0][col("time_share")],
        Cell::Rate(Ratio::proportion(600, 720))
    );
    assert_eq!(
        t.rows[0][col("time_share")].to_text(),
        format!("{}", 600.0 / 720.0)
    );
    assert_eq!(t.rows[4][col("time_share")].to_text(), "0.8");
    assert_eq!(t.rows[2][col("won_per_hour")], Cell::Float(0.0));
    assert_eq!(
        t.rows[3][col("new_prospects_per_contact")],
        Cell::Rate(Ratio::proportion(0, 1))
    );
    assert_eq!(t.rows[1][col("met_per_contact")].to_text(), "0");

    // Where does the time go, all reps and months together.
    let totals = b.totals();
    assert_eq!(
        rows(&totals),
        [
            (("*", "*", "phone"), [3, 1, 1, 1, 1, 1800, 0, 1]),
            (("*", "*", "email"), [2, 1, 1, 0, 0, 120, 1, 1]),
            (("*", "*", "in_person"), [1, 1, 1, 0, 1, 3600, 0, 0]),
        ]
    );
    assert_eq!(b.totals_by_period().rows.len(), 4);
    assert_eq!(b.totals_by_rep().rows.len(), 4);
    let text = b.to_string();
    assert!(text.starts_with("Breakdown by channel (all reps;"));
    assert!(text.contains("in_person"));
}

#[test]
fn worked_source_breakdown() {
    let l = worked_ledger();
    let b = by(&l, &Scope::all(), BreakdownBy::Source);
    assert_eq!(
        rows(&b),
        [
            (("ana", "2026-01", "referral"), [2, 1, 1, 1, 1, 720, 0, 1]),
            (("ana", "2026-01", "cold_list"), [1, 1, 1, 0, 0, 0, 1, 0]),
            (("ana", "2026-02", "cold_list"), [1, 0, 0, 0, 0, 300, 0, 1]),
            (("bob", "2026-01", ""), [2, 1, 1, 0, 1, 4500, 0, 0]),
        ]
    );
    // Without logged time there is no per-hour yield.
    assert_eq!(b.rows[1].counts.new_prospects_per_hour(), None);
    let t = b.table();
    assert_eq!(t.columns[2], "source");
    assert_eq!(t.rows[3][2], Cell::Empty, "no source");
    assert!(b.to_string().contains("(none)"));
    // A channel scope keeps contacts of that channel and engagements opened
    // through it.
    let phone = by(
        &l,
        &Scope::all().with_channel(Channel::Phone),
        BreakdownBy::Source,
    );
    assert_eq!(
        rows(&phone),
        [
            (("ana", "2026-01", "referral"), [1, 1, 1, 1, 1, 600, 0, 0]),
            (("ana", "2026-02", "cold_list"), [1, 0, 0, 0, 0, 300, 0, 1]),
            (("bob", "2026-01", ""), [1, 0, 0, 0, 0, 900, 0, 0]),
        ]
    );
    let bob = by(&l, &Scope::rep("bob"), BreakdownBy::Source);
    assert_eq!(bob.rows.len(), 1);
}

fn sum_where<'a>(
    rows: impl Iterator<Item = &'a sales_metrics::report::BreakdownRow>,
) -> BreakdownCounts {
    let mut c = BreakdownCounts::default();
    for r in rows {
        c.merge(&r.counts);
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn split_anywhere_merge_equals_all_at_once(
        events in cohort_support::events(),
        per_rep in any::<bool>(),
        source in any::<bool>(),
        a in 0usize..=8,
        b in 0usize..=8,
    ) {
        let l = cohort_support::ledger(&events, None);
        let key = if source { BreakdownBy::Source } else { BreakdownBy::Channel };
        let classified = classify(&l, &cohort_support::config(per_rep));
        let (scope, m) = (Scope::all(), PeriodSpec::monthly());
        let input = ReportInput::new(&classified, &scope, &m).unwrap().breakdown_by(key);
        let whole = input.run::<BreakdownAggregate>();
        let parts: Vec<BreakdownAggregate> = input
            .parts(1 + a + b)
            .iter()
            .map(BreakdownAggregate::of)
            .collect();
        let mut left = BreakdownAggregate::default();
        for p in parts.iter().cloned() {
            left.merge(p);
        }
        let mut right = BreakdownAggregate::default();
        for p in parts.into_iter().rev() {
            right.merge(p);
        }
        right.merge(BreakdownAggregate::default());
        prop_assert_eq!(&left, &right);
        prop_assert_eq!(&left.finish(&input), &whole);
    }

    #[test]
    fn breakdowns_add_up_to_the_period_and_cohort_reports(
        events in cohort_support::events(),
        per_rep in any::<bool>(),
    ) {
        let l = cohort_support::ledger(&events, None);
        let classified = classify(&l, &cohort_support::config(per_rep));
        let m = PeriodSpec::monthly();
        let period = classified.period_report(&Scope::all(), &m).unwrap();
        let cohorts = classified.cohort_report(&Scope::all(), &m).unwrap();
        let channels = classified.breakdown(&Scope::all(), &m, BreakdownBy::Channel).unwrap();
        let sources = classified.breakdown(&Scope::all(), &m, BreakdownBy::Source).unwrap();
        for b in [&channels, &sources] {
            for p in &period.rows {
                let s = sum_where(b.rows.iter().filter(|r| r.rep_id == p.rep_id && r.period == p.period));
                prop_assert_eq!(s.contacts, p.counts.contacts);
                prop_assert_eq!(s.contacts_by_class, p.counts.contacts_by_class);
                prop_assert_eq!(s.seconds_by_class, p.counts.seconds_by_class);
                prop_assert_eq!(s.untimed, p.counts.untimed_by_class.iter().sum::<u64>());
                prop_assert_eq!(s.new_prospects, p.counts.new_prospects);
            }
            for c in &cohorts.rows {
                let s = sum_where(b.rows.iter().filter(|r| r.rep_id == c.rep_id && r.period == c.cohort));
                prop_assert_eq!((s.engagements, s.met, s.won), (c.counts.engagements, c.counts.met, c.counts.won));
            }
            let all = sum_where(b.rows.iter());
            prop_assert_eq!(all.engagements, cohorts.total().counts.engagements);
        }
        // Per channel, the seconds match the period report's time_by_channel.
        for p in &period.rows {
            for &ch in Channel::ALL {
                let s = sum_where(channels.rows.iter().filter(|r| {
                    r.rep_id == p.rep_id && r.period == p.period && r.key == ch.as_str()
                }));
                prop_assert_eq!(s.seconds, p.counts.seconds_by_channel[ch.index()]);
                prop_assert_eq!(s.untimed, p.counts.untimed_by_channel[ch.index()]);
            }
        }
        // A channel scope on the source breakdown is that channel's row of
        // the channel breakdown.
        for &ch in Channel::ALL {
            let scoped = classified.breakdown(&Scope::all().with_channel(ch), &m, BreakdownBy::Source).unwrap();
            let via_sources = sum_where(scoped.rows.iter());
            let direct = sum_where(channels.rows.iter().filter(|r| r.key == ch.as_str()));
            prop_assert_eq!(via_sources, direct);
        }
    }
}
