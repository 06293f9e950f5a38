//! Kaplan–Meier survival of engagements: the estimator against published
//! values, censoring of engagements, and invariants.

mod cohort_support;
mod common;

use chrono::Duration;
use common::*;
use proptest::prelude::*;
use sales_metrics::Cell;
use sales_metrics::report::{
    PeriodSpec, Scope, SurvivalCurve, SurvivalData, cohort_report, time_to_first_meeting,
    time_to_win,
};
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

fn curve_of(obs: impl IntoIterator<Item = (u32, bool)>) -> SurvivalCurve {
    obs.into_iter()
        .map(|(t, e)| (Duration::days(i64::from(t)), e))
        .collect::<SurvivalData>()
        .curve()
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

/// The 6-MP arm again, built as engagements: each patient is a prospect
/// whose engagement starts with a contact; a relapse is a sale `t` days
/// later; a censored time `t` is an engagement opened `t` days before the
/// as-of instant (day 35).
#[test]
fn engagements_reproduce_the_textbook_curve() {
    let names: Vec<String> = (0..SIX_MP.len()).map(|i| format!("p{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut b = builder(&["ana"], &refs);
    for (i, &(t, event)) in SIX_MP.iter().enumerate() {
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
                day(35 - i64::from(t)),
            );
        }
    }
    let l = b.build().unwrap();
    let classified = classify(&l, &ClassifyConfig::default());
    let as_of = Some(day(35));
    let got = time_to_win(&classified, &Scope::all(), as_of).unwrap();
    let want = curve_of(SIX_MP);
    assert_eq!(got.points, want.points);
    assert_eq!(got.data, want.data);
    let why = got.engagements.as_ref().unwrap();
    assert_eq!((why.still_open, why.ended_without_milestone), (12, 0));
    assert_eq!(got.label, "time to win");
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

fn data(obs: &[(i64, bool)]) -> SurvivalData {
    obs.iter().map(|&(d, e)| (day(d) - day(0), e)).collect()
}

#[test]
fn open_lapsed_and_late_engagements_are_censored_as_documented() {
    let l = censoring_ledger();
    let classified = classify(&l, &ClassifyConfig::default());
    let as_of = Some(day(250));
    let win = time_to_win(&classified, &Scope::all(), as_of).unwrap();
    // p1 won at 10; p2's first engagement ended (lapsed) at 200; bob's p2
    // engagement is open for 50 days; p3 open 250; p5 open 150 (its sale
    // comes after the as-of instant); p4 is left out.
    assert_eq!(
        win.data,
        data(&[
            (10, true),
            (200, false),
            (50, false),
            (250, false),
            (150, false)
        ])
    );
    let why = win.engagements.as_ref().unwrap();
    assert_eq!(
        (
            why.still_open,
            why.ended_without_milestone,
            why.started_after_as_of
        ),
        (3, 1, 1)
    );
    assert_eq!(win.points.len(), 1);
    assert_eq!(win.survival_at(10.0), 0.8);
    assert_eq!(win.median(), None);

    // First meetings: p1 won without meeting (ended at 10), p2's first
    // engagement lapsed at 200, p3 met at 3.
    let meet = time_to_first_meeting(&classified, &Scope::all(), as_of).unwrap();
    assert_eq!(
        meet.data,
        data(&[
            (10, false),
            (200, false),
            (50, false),
            (3, true),
            (150, false)
        ])
    );
    let why = meet.engagements.as_ref().unwrap();
    assert_eq!((why.still_open, why.ended_without_milestone), (2, 2));

    // By default the data end at the latest event (p4's contact, day 300):
    // p5's sale on day 260 now counts, p4 is censored at 0.
    let win = time_to_win(&classified, &Scope::all(), None).unwrap();
    assert_eq!(
        win.data,
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
    let bob = time_to_win(&classified, &Scope::rep("bob"), None).unwrap();
    assert_eq!(bob.subjects, 2);
    assert!(time_to_win(&classified, &Scope::rep("zoe"), None).is_err());
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
    let text = time_to_win(&classified, &Scope::all(), None)
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
        let win = time_to_win(&classified, &Scope::all(), None).unwrap();
        check_curve(&win)?;
        let meet = time_to_first_meeting(&classified, &Scope::all(), None).unwrap();
        check_curve(&meet)?;
        // Up to the data's end, every win is an event and the censored are
        // the open and the ended, as in the cohort report.
        let cohorts = cohort_report(&classified, &Scope::all(), &PeriodSpec::monthly())
            .unwrap()
            .total();
        let why = win.engagements.as_ref().unwrap();
        prop_assert_eq!(win.events, cohorts.counts.won);
        prop_assert_eq!(why.still_open, cohorts.counts.open);
        prop_assert_eq!(why.ended_without_milestone, cohorts.counts.ended_without_win());
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
        let forget_later = |mut c: SurvivalCurve| {
            if let Some(e) = c.engagements.as_mut() {
                e.started_after_as_of = 0;
            }
            c
        };
        for scope in [Scope::all(), Scope::team("t1")] {
            prop_assert_eq!(
                forget_later(time_to_win(&cf, &scope, as_of).unwrap()),
                time_to_win(&cp, &scope, as_of).unwrap()
            );
            prop_assert_eq!(
                forget_later(time_to_first_meeting(&cf, &scope, as_of).unwrap()),
                time_to_first_meeting(&cp, &scope, as_of).unwrap()
            );
        }
    }

    #[test]
    fn survival_data_split_anywhere_merges(
        obs in prop::collection::vec((0i64..50, any::<bool>()), 0..60),
        a in 0usize..60,
        b in 0usize..60,
    ) {
        let n = obs.len();
        let (a, b) = (a.min(b).min(n), a.max(b).min(n));
        let obs: Vec<(Duration, bool)> =
            obs.into_iter().map(|(t, e)| (Duration::microseconds(t), e)).collect();
        let whole: SurvivalData = obs.iter().copied().collect();
        let parts: Vec<SurvivalData> = [&obs[..a], &obs[a..b], &obs[b..]]
            .iter()
            .map(|s| s.iter().copied().collect())
            .collect();
        let mut left = parts[0].clone();
        left.merge(&parts[1]);
        left.merge(&parts[2]);
        let mut right = parts[2].clone();
        right.merge(&parts[1]);
        right.merge(&parts[0]);
        right.merge(&SurvivalData::default());
        prop_assert_eq!(&left, &whole);
        prop_assert_eq!(&right, &whole);
        let mut one_by_one = SurvivalData::new();
        for &(t, e) in &obs {
            one_by_one.add(t, e);
        }
        prop_assert_eq!(&one_by_one, &whole);
        check_curve(&whole.curve())?;
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
    let direct: SurvivalData = classified
        .engagements()
        .filter(|g| g.start().timestamp_micros() <= as_of)
        .map(|g| {
            let start = g.start().timestamp_micros();
            match (
                g.won_at().map(|t| t.timestamp_micros()),
                g.end(),
                g.ended_at().map(|t| t.timestamp_micros()),
            ) {
                (Some(w), _, _) if w <= as_of => (Duration::microseconds(w - start), true),
                (_, EngagementEnd::Lapsed | EngagementEnd::LostToOther, Some(e)) if e <= as_of => {
                    (Duration::microseconds(e - start), false)
                }
                _ => (Duration::microseconds(as_of - start), false),
            }
        })
        .collect();
    let curve = time_to_win(&classified, &Scope::all(), Some(as_of_t)).unwrap();
    assert!(curve.events > 100);
    assert_eq!(curve.data, direct);
}
