//! Kaplan–Meier survival of engagements: the estimator against published
//! values, censoring of engagements, and invariants.

mod cohort_support;
mod common;

use std::collections::BTreeMap;

use chrono::Duration;
use common::*;
use proptest::prelude::*;
use sales_metrics::Cell;
use sales_metrics::report::{PeriodSpec, Scope, SurvivalCurve};
use sales_metrics::{ClassifyConfig, Ledger, classify};

/// Remission times in weeks of the 6-MP arm of the Freireich et al. (1963)
/// leukaemia trial (`*` = censored), as tabulated by Gehan (1965).
const SIX_MP: [(u32, bool); 21] = [
    (6, true),
    (6, true),
    (6, true),
    (6, false),
    (7, true),
    (9, false),
    (10, true),
    (10, false),
    (11, false),
    (13, true),
    (16, true),
    (17, false),
    (19, false),
    (20, false),
    (22, true),
    (23, true),
    (25, false),
    (32, false),
    (32, false),
    (34, false),
    (35, false),
];

/// The placebo arm of the same trial: no censoring.
const PLACEBO: [u32; 21] = [
    1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23,
];

/// The time-to-win curve of observations `(days, event)` built as
/// engagements: each subject is a prospect whose engagement starts with a
/// contact; an event at `t` is a sale `t` days later; a censored time `t`
/// is an engagement opened `t` days before the as-of instant (the longest
/// time).
fn curve_of(obs: impl IntoIterator<Item = (u32, bool)>) -> SurvivalCurve {
    let obs: Vec<(u32, bool)> = obs.into_iter().collect();
    let end = obs.iter().map(|&(t, _)| i64::from(t)).max().unwrap_or(0);
    let names: Vec<String> = (0..obs.len()).map(|i| format!("p{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut b = builder(&["ana"], &refs);
    for (i, &(t, event)) in obs.iter().enumerate() {
        let p = &names[i];
        if event {
            contact(&mut b, &format!("c{i:02}"), "ana", p, day(0));
            sale(&mut b, &format!("s{i:02}"), "ana", p, day(i64::from(t)));
        } else {
            contact(
                &mut b,
                &format!("c{i:02}"),
                "ana",
                p,
                day(end - i64::from(t)),
            );
        }
    }
    let l = b.build().unwrap();
    let classified = classify(&l, &ClassifyConfig::default());
    classified
        .time_to_win(&Scope::all(), Some(day(end)))
        .unwrap()
}

/// The observations behind a curve, per distinct time: `(days, events,
/// censored)`, from its full table.
fn observations(c: &SurvivalCurve) -> Vec<(f64, i64, i64)> {
    c.full_table()
        .rows
        .iter()
        .map(|r| match (&r[0], &r[2], &r[3]) {
            (Cell::Float(d), Cell::Int(e), Cell::Int(n)) => (*d, *e as i64, *n as i64),
            other => panic!("unexpected row {other:?}"),
        })
        .collect()
}

/// Observations `(time in µs, event)` tallied as [`observations`] lists
/// them.
fn tally_us(obs: impl IntoIterator<Item = (i64, bool)>) -> Vec<(f64, i64, i64)> {
    let mut by_time: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for (t, event) in obs {
        let e = by_time.entry(t).or_default();
        if event {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    by_time
        .into_iter()
        .map(|(t, (e, n))| (t as f64 / 86_400_000_000.0, e, n))
        .collect()
}

fn close(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "got {got}, want {want} ± {tol}");
}

/// Published values for the 6-MP arm:
/// * S(t) and the risk sets: Kleinbaum & Klein, *Survival Analysis: A
///   Self-Learning Text*, 3rd ed. (2012), ch. 2 (also Collett, *Modelling
///   Survival Data in Medical Research*, and Cox & Oakes (1984) §4.3);
/// * Greenwood standard errors and log-log 95 % limits: Venables & Ripley,
///   *Modern Applied Statistics with S*, 4th ed. (2002), §13.1, R
///   `summary(survfit(Surv(time, cens) ~ treat, data = gehan,
///   conf.type = "log-log"))`.
#[test]
fn freireich_six_mp_matches_published_kaplan_meier() {
    let c = curve_of(SIX_MP);
    // (t, n at risk, events, S, SE, lower, upper)
    let published = [
        (6.0, 21, 3, 0.857, 0.0764, 0.620, 0.952),
        (7.0, 17, 1, 0.807, 0.0869, 0.563, 0.923),
        (10.0, 15, 1, 0.753, 0.0963, 0.503, 0.889),
        (13.0, 12, 1, 0.690, 0.1068, 0.432, 0.849),
        (16.0, 11, 1, 0.627, 0.1141, 0.368, 0.805),
        (22.0, 7, 1, 0.538, 0.1282, 0.268, 0.747),
        (23.0, 6, 1, 0.448, 0.1346, 0.188, 0.680),
    ];
    assert_eq!(c.points.len(), published.len());
    for (p, &(t, n, d, s, se, lo, hi)) in c.points.iter().zip(&published) {
        assert_eq!((p.day, p.at_risk, p.events), (t, n, d));
        close(p.survival, s, 5e-4);
        close(p.std_err.unwrap(), se, 5e-5);
        close(p.lower.unwrap(), lo, 5e-4);
        close(p.upper.unwrap(), hi, 5e-4);
    }
    // Exact products: 18/21, then × 16/17, × 14/15.
    close(
        c.survival_at(10.5),
        18.0 / 21.0 * 16.0 / 17.0 * 14.0 / 15.0,
        1e-15,
    );
    assert_eq!(c.survival_at(5.99), 1.0);
    assert_eq!(c.median(), Some(23.0));
    // R: median 23, 95 % limits 13 and NA (log-log band).
    assert_eq!(c.median_interval(), (Some(13.0), None));
    assert_eq!((c.subjects, c.events, c.censored), (21, 9, 12));
    // The plain band at t = 6: 0.857 ± 1.96 × 0.0764, clamped at 1.
    let (lo, hi) = c.points[0].plain_band().unwrap();
    close(lo, 0.7075, 5e-4);
    assert_eq!(hi, 1.0);
}

/// The placebo arm: S(t) = remaining/21 without censoring; median 8 weeks
/// (Kleinbaum & Klein, ch. 2). The first log-log interval, 0.6700 to
/// 0.9753, is Stata's `sts list` output in G. Rodríguez, "The Gehan
/// Survival Data" (Princeton WWS 509 notes).
#[test]
fn freireich_placebo_median_and_band() {
    let c = curve_of(PLACEBO.iter().map(|&t| (t, true)));
    let remaining = [19, 17, 16, 14, 12, 8, 6, 4, 3, 2, 1, 0];
    for (p, r) in c.points.iter().zip(remaining) {
        close(p.survival, f64::from(r) / 21.0, 1e-12);
    }
    assert_eq!(c.median(), Some(8.0));
    close(c.points[0].std_err.unwrap(), 0.0641, 5e-5);
    close(c.points[0].lower.unwrap(), 0.6700, 5e-5);
    close(c.points[0].upper.unwrap(), 0.9753, 5e-5);
    // S reaches 0 at 23: no band, no standard error there.
    let last = c.points.last().unwrap();
    assert_eq!((last.survival, last.lower, last.std_err), (0.0, None, None));
    // Without censoring the naive mean is the true mean (182/21 weeks) and
    // equals the area under the curve.
    close(c.naive_mean_days.unwrap(), 182.0 / 21.0, 1e-12);
    close(c.restricted_mean(23.0), 182.0 / 21.0, 1e-12);
    close(c.mean_days_to_event_by(23.0).unwrap(), 182.0 / 21.0, 1e-12);
}

/// The 6-MP arm again, built as engagements (see [`curve_of`]): the
/// observations are the table's, and the censored are the still open.
#[test]
fn engagements_reproduce_the_textbook_curve() {
    let got = curve_of(SIX_MP);
    let want = tally_us(
        SIX_MP
            .iter()
            .map(|&(t, e)| (i64::from(t) * 86_400_000_000, e)),
    );
    assert_eq!(observations(&got), want);
    assert_eq!((got.still_open(), got.ended_without_milestone()), (12, 0));
    assert_eq!(got.started_after_as_of(), 0);
    assert_eq!(got.as_of(), day(35));
    assert_eq!(got.label, "time to win");
    assert_eq!(got.points[0].time(), Duration::days(6));
}

/// Hand-built censoring cases, as of day 250.
fn censoring_ledger() -> Ledger {
    let mut b = builder(&["ana", "bob"], &["p1", "p2", "p3", "p4", "p5"]);
    // p1: won on day 10 without a meeting.
    contact(&mut b, "a1", "ana", "p1", day(0));
    sale(&mut b, "a9", "ana", "p1", day(10));
    // p2: lapses when bob reactivates it on day 200; bob's engagement is
    // open.
    contact(&mut b, "b1", "ana", "p2", day(0));
    contact(&mut b, "b2", "ana", "p2", day(5));
    contact(&mut b, "b3", "bob", "p2", day(200));
    // p3: met on day 3, open.
    contact(&mut b, "c1", "ana", "p3", day(0));
    meeting(&mut b, "c2", "ana", "p3", day(3));
    // p4: starts after the as-of instant.
    contact(&mut b, "d1", "bob", "p4", day(300));
    // p5: won on day 260, after the as-of instant.
    contact(&mut b, "e1", "ana", "p5", day(100));
    sale(&mut b, "e9", "ana", "p5", day(260));
    b.build().unwrap()
}

fn data(obs: &[(i64, bool)]) -> Vec<(f64, i64, i64)> {
    tally_us(obs.iter().map(|&(d, e)| (d * 86_400_000_000, e)))
}

#[test]
fn open_lapsed_and_late_engagements_are_censored_as_documented() {
    let l = censoring_ledger();
    let classified = classify(&l, &ClassifyConfig::default());
    let as_of = Some(day(250));
    let win = classified.time_to_win(&Scope::all(), as_of).unwrap();
    // p1 won at 10; p2's first engagement ended (lapsed) at 200; bob's p2
    // engagement is open for 50 days; p3 open 250; p5 open 150 (its sale
    // comes after the as-of instant); p4 is left out.
    assert_eq!(
        observations(&win),
        data(&[
            (10, true),
            (200, false),
            (50, false),
            (250, false),
            (150, false)
        ])
    );
    assert_eq!(
        (
            win.still_open(),
            win.ended_without_milestone(),
            win.started_after_as_of()
        ),
        (3, 1, 1)
    );
    assert_eq!(win.points.len(), 1);
    assert_eq!(win.survival_at(10.0), 0.8);
    assert_eq!(win.median(), None);

    // First meetings: p1 won without meeting (ended at 10), p2's first
    // engagement lapsed at 200, p3 met at 3.
    let meet = classified
        .time_to_first_meeting(&Scope::all(), as_of)
        .unwrap();
    assert_eq!(
        observations(&meet),
        data(&[
            (10, false),
            (200, false),
            (50, false),
            (3, true),
            (150, false)
        ])
    );
    assert_eq!((meet.still_open(), meet.ended_without_milestone()), (2, 2));

    // By default the data end at the latest event (p4's contact, day 300):
    // p5's sale on day 260 now counts, p4 is censored at 0.
    let win = classified.time_to_win(&Scope::all(), None).unwrap();
    assert_eq!(
        observations(&win),
        data(&[
            (10, true),
            (200, false),
            (100, false),
            (300, false),
            (0, false),
            (160, true)
        ])
    );
    // Scope: bob's engagements only (p2's second, p4).
    let bob = classified.time_to_win(&Scope::rep("bob"), None).unwrap();
    assert_eq!(bob.subjects, 2);
    assert!(classified.time_to_win(&Scope::rep("zoe"), None).is_err());
}

#[test]
fn tables_and_display() {
    let c = curve_of(SIX_MP);
    let t = c.table();
    assert_eq!(
        t.columns,
        [
            "day", "at_risk", "events", "survival", "std_err", "lower", "upper"
        ]
    );
    assert_eq!(t.rows.len(), 7);
    assert_eq!(t.rows[0][0], Cell::Float(6.0));
    assert_eq!(t.rows[0][1], Cell::Int(21));
    let full = c.full_table();
    assert_eq!(full.columns[3], "censored");
    // Distinct times: 6 7 9 10 11 13 16 17 19 20 22 23 25 32 34 35.
    assert_eq!(full.rows.len(), 16);
    assert_eq!(full.rows[2][0], Cell::Float(9.0));
    assert_eq!(full.rows[2][3], Cell::Int(1));
    // Survival is a share: shown as a percentage, written as a decimal.
    assert_eq!(full.rows[2][4], Cell::Share(c.points[1].survival));
    let mut csv = Vec::new();
    t.write_csv(&mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.starts_with(
            "day,at_risk,events,survival,std_err,lower,upper\n6,21,3,0.857142857142857"
        )
    );

    let l = censoring_ledger();
    let classified = classify(&l, &ClassifyConfig::default());
    let text = classified
        .time_to_win(&Scope::all(), None)
        .unwrap()
        .to_string();
    assert!(
        text.starts_with("time to win (all reps; as of 2026-10-28"),
        "{text}"
    );
    assert!(
        text.contains("6 subjects: 2 reached it, 4 censored (3 still open, 1 ended without it)")
    );
    assert!(text.contains("median: not reached"));
    assert!(text.contains("naive: 85.0 days average over the 2 that reached it only"));
    let text = curve_of(SIX_MP).to_string();
    assert!(
        text.contains("median: 23.0 days (95 % CI 13.0 to –)"),
        "{text}"
    );
}

fn check_curve(c: &SurvivalCurve) -> Result<(), TestCaseError> {
    prop_assert_eq!(c.events + c.censored, c.subjects);
    let mut prev_s = 1.0;
    let mut prev_n = u64::MAX;
    let mut prev_day = f64::NEG_INFINITY;
    for p in &c.points {
        prop_assert!(p.survival >= 0.0 && p.survival <= 1.0);
        prop_assert!(p.survival <= prev_s, "non-increasing");
        prop_assert!(p.at_risk < prev_n || prev_n == u64::MAX);
        prop_assert!(p.day > prev_day);
        prop_assert!(p.events >= 1 && p.events <= p.at_risk);
        if let (Some(lo), Some(hi)) = (p.lower, p.upper) {
            prop_assert!(0.0 <= lo && lo <= p.survival + 1e-12);
            prop_assert!(p.survival <= hi + 1e-12 && hi <= 1.0);
        }
        prev_s = p.survival;
        prev_n = p.at_risk;
        prev_day = p.day;
    }
    if let Some(m) = c.median() {
        prop_assert!(c.survival_at(m) <= 0.5 + 1e-12);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn survival_is_a_non_increasing_probability(
        events in cohort_support::events(),
        per_rep in any::<bool>(),
    ) {
        let l = cohort_support::ledger(&events, None);
        let classified = classify(&l, &cohort_support::config(per_rep));
        let win = classified.time_to_win(&Scope::all(), None).unwrap();
        check_curve(&win)?;
        let meet = classified.time_to_first_meeting(&Scope::all(), None).unwrap();
        check_curve(&meet)?;
        // Up to the data's end, every win is an event and the censored are
        // the open and the ended, as in the cohort report.
        let cohorts = classified.cohort_report(&Scope::all(), &PeriodSpec::monthly())
            .unwrap()
            .total();
        prop_assert_eq!(win.events, cohorts.counts.won);
        prop_assert_eq!(win.still_open(), cohorts.counts.open);
        prop_assert_eq!(win.ended_without_milestone(), cohorts.counts.ended_without_win());
        prop_assert_eq!(win.subjects, cohorts.counts.engagements);
        prop_assert_eq!(cohorts.counts.won + cohorts.counts.open + cohorts.counts.ended_without_win(), cohorts.counts.engagements);
        prop_assert_eq!(meet.subjects, cohorts.counts.engagements);
        prop_assert_eq!(meet.events, cohorts.counts.met);
    }

    #[test]
    fn as_of_is_the_data_of_that_day(
        events in cohort_support::events(),
        per_rep in any::<bool>(),
        cut_day in 0i64..620,
    ) {
        let cut = cohort_support::epoch() + Duration::days(cut_day) + Duration::hours(1);
        let full = cohort_support::ledger(&events, None);
        let past = cohort_support::ledger(&events, Some(cut));
        let cfg = cohort_support::config(per_rep);
        let (cf, cp) = (classify(&full, &cfg), classify(&past, &cfg));
        let as_of = Some(cut);
        // Only the count of engagements left out (started after the as-of
        // instant) can differ: the past ledger never saw them.
        let same = |a: &SurvivalCurve, b: &SurvivalCurve| {
            prop_assert_eq!(&a.points, &b.points);
            prop_assert_eq!(observations(a), observations(b));
            prop_assert_eq!(
                (&a.label, a.subjects, a.events, a.censored, a.max_day),
                (&b.label, b.subjects, b.events, b.censored, b.max_day)
            );
            prop_assert_eq!(
                (a.naive_mean_days, a.naive_median_days),
                (b.naive_mean_days, b.naive_median_days)
            );
            prop_assert_eq!(
                (a.as_of(), a.scope(), a.still_open(), a.ended_without_milestone()),
                (b.as_of(), b.scope(), b.still_open(), b.ended_without_milestone())
            );
            Ok(())
        };
        for scope in [Scope::all(), Scope::team("t1")] {
            same(
                &cf.time_to_win(&scope, as_of).unwrap(),
                &cp.time_to_win(&scope, as_of).unwrap(),
            )?;
            same(
                &cf.time_to_first_meeting(&scope, as_of).unwrap(),
                &cp.time_to_first_meeting(&scope, as_of).unwrap(),
            )?;
        }
    }
}

/// The parallel path against observations computed here directly from the
/// engagements, on a ledger big enough to be split into chunks.
#[test]
fn chunked_survival_equals_direct_observations() {
    use sales_metrics::EngagementEnd;
    let l = cohort_support::big_ledger(9000);
    let classified = classify(&l, &ClassifyConfig::default());
    let as_of_t = cohort_support::epoch() + Duration::days(400);
    let as_of = as_of_t.timestamp_micros();
    let direct = tally_us(
        classified
            .engagements()
            .filter(|g| g.start().timestamp_micros() <= as_of)
            .map(|g| {
                let start = g.start().timestamp_micros();
                match (
                    g.won_at().map(|t| t.timestamp_micros()),
                    g.end(),
                    g.ended_at().map(|t| t.timestamp_micros()),
                ) {
                    (Some(w), _, _) if w <= as_of => (w - start, true),
                    (_, EngagementEnd::Lapsed | EngagementEnd::LostToOther, Some(e))
                        if e <= as_of =>
                    {
                        (e - start, false)
                    }
                    _ => (as_of - start, false),
                }
            }),
    );
    let curve = classified
        .time_to_win(&Scope::all(), Some(as_of_t))
        .unwrap();
    assert!(curve.events > 100);
    assert_eq!(observations(&curve), direct);
}
