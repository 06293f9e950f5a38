//! The period aggregate against a direct count (moved from
//! `tests/period_report.rs`: it reads ledger internals).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use crate::report::scope::Calendar;
use crate::report::{Aggregate, Granularity, PeriodAggregate, PeriodSpec, ReportInput, Scope};
use crate::{
    Channel, ClassifyConfig, Contact, Ledger, LedgerBuilder, Meeting, MeetingStatus,
    ProspectRecord, Rep, Sale, Source, SuppliedPartition, TeamId, classify,
};

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

/// The period aggregate counted the plain way: every event of the
/// prospects looked up by id, cells in a map, distinct prospects in sets.
fn direct_aggregate(
    l: &Ledger,
    c: &crate::Classified,
    scope: &Scope,
    cal: &Calendar,
) -> std::collections::BTreeMap<(u32, i64), crate::report::PeriodCounts> {
    use crate::ContactClass;
    use crate::ledger::EventKind;
    use std::collections::{BTreeMap, BTreeSet};
    let reps = scope.rep_mask(l).unwrap();
    let mut cells: BTreeMap<(u32, i64), crate::report::PeriodCounts> = BTreeMap::new();
    let mut new = BTreeSet::new();
    let mut engaged = BTreeSet::new();
    let mut met = BTreeSet::new();
    let channel_of = |i: u32| l.contacts()[i as usize].channel;
    for p in 0..l.prospect_count() as u32 {
        if scope.source.is_some() && l.prospect_source(p) != scope.source {
            continue;
        }
        let first = l.event_offsets()[p as usize] as usize;
        for (k, e) in l.prospect_events(p).iter().enumerate() {
            let pos = first + k;
            let rep = l.event_rep(e);
            if !reps[rep as usize] {
                continue;
            }
            if let Some(want) = scope.channel {
                let channel = match e.kind {
                    EventKind::Contact => Some(channel_of(e.index)),
                    _ => c
                        .event_engagement(pos)
                        .and_then(|g| c.engagement(g))
                        .map(|g| channel_of(g.start_contact)),
                };
                if channel != Some(want) {
                    continue;
                }
            }
            let Some(period) = cal.period(e.time_us) else {
                continue;
            };
            let cell = cells.entry((rep, period)).or_default();
            match e.kind {
                EventKind::Contact => {
                    let row = &l.contacts()[e.index as usize];
                    let class = c.event_class(pos).unwrap();
                    cell.contacts += 1;
                    cell.contacts_by_class[class.index()] += 1;
                    match row.duration_s() {
                        Some(d) => {
                            cell.seconds_by_class[class.index()] += i128::from(d);
                            cell.seconds_by_channel[row.channel.index()] += i128::from(d);
                        }
                        None => {
                            cell.untimed_by_class[class.index()] += 1;
                            cell.untimed_by_channel[row.channel.index()] += 1;
                        }
                    }
                    if class == ContactClass::New && new.insert((rep, period, p)) {
                        cell.new_prospects += 1;
                    }
                    if class.is_prospecting() && engaged.insert((rep, period, p)) {
                        cell.prospects_engaged += 1;
                    }
                }
                EventKind::Meeting => match l.meetings()[e.index as usize].status {
                    MeetingStatus::Held => {
                        cell.meetings_held += 1;
                        if met.insert((rep, period, p)) {
                            cell.prospects_met += 1;
                        }
                    }
                    MeetingStatus::NoShow => cell.meetings_no_show += 1,
                    MeetingStatus::Cancelled => cell.meetings_cancelled += 1,
                },
                EventKind::Sale => {
                    let s = &l.sales()[e.index as usize];
                    cell.sales += 1;
                    if let Some(a) = s.amount_minor() {
                        let revenue = &mut cell.revenue_by_currency;
                        match revenue.iter_mut().find(|(c, _)| *c == s.currency) {
                            Some((_, sum)) => *sum += i128::from(a),
                            None => {
                                revenue.push((s.currency, i128::from(a)));
                                revenue.sort();
                            }
                        }
                    }
                }
            }
        }
    }
    cells
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Every scope, granularity and zone, per-rep newness too, and
    /// calendars that cover only part of the data (events outside their
    /// days take the slow path).
    #[test]
    fn aggregate_matches_a_direct_count(
        s in spec(),
        per_rep in any::<bool>(),
        g in 0usize..5,
        scope_kind in 0usize..4,
        trim_days in (0i64..400, 0i64..400),
    ) {
        let l = build(&s, 0);
        let config = ClassifyConfig {
            newness: if per_rep { crate::Newness::PerRep } else { crate::Newness::Organisation },
            ..ClassifyConfig::default()
        };
        let c = classify(&l, &config);
        let granularity = [Granularity::Day, Granularity::IsoWeek, Granularity::Month, Granularity::Quarter, Granularity::Year][g];
        let spec = PeriodSpec::new(granularity).in_zone_named("America/Sao_Paulo").unwrap();
        let scope = match scope_kind {
            0 => Scope::all(),
            1 => Scope::team("even"),
            2 => Scope::all().with_channel(Channel::ALL[1]),
            _ => Scope::all().with_source(Source::ALL[0]),
        };
        let (lo, hi) = l.time_span_us().unwrap_or((0, 0));
        const DAY_US: i64 = 86_400_000_000;
        let narrow = Calendar::micros(&spec, lo + trim_days.0 * DAY_US, (hi - trim_days.1 * DAY_US).max(lo));
        let (from, to) = (
            chrono::DateTime::from_timestamp_micros(lo + trim_days.0 * DAY_US).unwrap(),
            chrono::DateTime::from_timestamp_micros((hi - trim_days.1 * DAY_US).max(lo)).unwrap(),
        );
        let inputs = [
            ReportInput::new(&c, &scope, &spec).unwrap(),
            ReportInput::between(&c, &scope, &spec, from, to).unwrap(),
        ];
        for (input, cal) in inputs.iter().zip([Calendar::for_ledger(&spec, &l), narrow]) {
            let got = PeriodAggregate::of(input);
            // One part is the whole; parts of parts cover it too.
            let mut merged = PeriodAggregate::default();
            for part in input.parts(3) {
                for piece in part.parts(2) {
                    merged.merge(PeriodAggregate::of(&piece));
                }
            }
            prop_assert_eq!(&PeriodAggregate::of(&input.parts(1)[0]), &got);
            prop_assert_eq!(&merged, &got);
            let want = direct_aggregate(&l, &c, &scope, &cal);
            prop_assert_eq!(got.len(), want.len());
            for ((rep, period), counts) in &want {
                prop_assert_eq!(got.get(*rep, *period), Some(counts));
            }
        }
    }
}
