//! How long engagements really take: Kaplan–Meier survival of engagements
//! (SPEC §7 `time_to_win survival`), with engagements that have not yet
//! reached the milestone counted honestly as *censored*.
//!
//! [`Classified::time_to_win`] estimates `S(t)`, the probability that an engagement is
//! not yet won `t` days after it started; [`Classified::time_to_first_meeting`] does the
//! same for its first held meeting. Both take the same [`Scope`] as the
//! period and cohort reports and an optional as-of instant, and return a
//! [`SurvivalCurve`]: the curve at every event time with 95 % confidence
//! bands ([`SurvivalCurve::table`], for plotting), the median where it is
//! reached ([`SurvivalCurve::median`]), and the naive figures beside it.
//!
//! # Who is censored, and when
//!
//! Each engagement in scope contributes one observation, measured in days
//! (decimal, `µs / 86 400 000 000`) from its start (the starting contact's
//! `occurred_at`):
//!
//! | engagement at the as-of instant `T` | observation |
//! | --- | --- |
//! | reached the milestone at `m ≤ T` | event at `m − start` |
//! | still open at `T` (including milestones and endings after `T`) | censored at `T − start` |
//! | ended without the milestone at `e ≤ T` | censored at `e − start` |
//! | started after `T` | left out |
//!
//! `T` is the caller's `as_of` (a `DateTime<Utc>`) or, by default, the
//! latest event time of the whole ledger. Observed times are whole µs in
//! an `i64`: one longer than about 292,000 years (possible only between
//! instants near both ends of chrono's range) saturates at `i64::MAX` µs,
//! as the cohort report's cycle spans do. Events after `T` are ignored, so a curve "as of"
//! a past date is exactly what the data of that date would have shown
//! (classification only looks backwards in time).
//!
//! An engagement *ends without a win* when a reactivation supersedes it
//! (lapsed) or, with per-rep newness, when the prospect buys inside another
//! rep's engagement. For time to first meeting, a won engagement that never
//! met also ends without the milestone at its sale. These are *competing
//! risks*: such an engagement can no longer be won. This module treats them
//! as censored at their end — the standard simplification, which assumes
//! that what ended them says nothing about how soon they would have been
//! won. It makes `1 − S(t)` the probability of winning by `t` *had the
//! engagement stayed open*, an upper bound of the share actually won by `t`
//! (the cumulative incidence). Lapsing takes more than the dormancy window
//! (180 days by default) of silence, so the two readings agree on the first
//! months, where most wins happen. [`SurvivalCurve::still_open`] and
//! [`SurvivalCurve::ended_without_milestone`] report how many observations
//! were censored for each reason, so the reader can judge.
//!
//! # The estimator
//!
//! At each distinct event time `tᵢ` with `nᵢ` engagements at risk (time
//! ≥ `tᵢ`) and `dᵢ` events, `S(t) = Π_{tᵢ ≤ t} (1 − dᵢ/nᵢ)`. Observations
//! censored at exactly `tᵢ` are still at risk at `tᵢ` (events come first).
//! Greenwood's variance is `Var S(t) = S(t)² Σ_{tᵢ ≤ t} dᵢ / (nᵢ(nᵢ − dᵢ))`.
//! The 95 % band uses the **log-log** (Kalbfleisch–Prentice) transform —
//! the default of SAS and Stata, `conf.type = "log-log"` in R — which
//! stays inside `[0, 1]` and behaves well in the tails:
//! `S(t)^exp(±1.96 σ/|ln S(t)|)` with `σ² = Σ dᵢ / (nᵢ(nᵢ − dᵢ))`. The
//! plain band `S ± 1.96 SE`, clamped to `[0, 1]`, is available as
//! [`SurvivalPoint::plain_band`]. Where `S(t) = 0` the band is undefined
//! (empty cells). The median is the smallest event time with `S(t) ≤ 0.5`
//! (none when the curve never gets there: then more than half of the
//! engagements were not won within the data).
//!
//! # Naive average vs Kaplan–Meier
//!
//! The usual "sales cycle" is the **average days from first contact to sale
//! over the won deals only** ([`SurvivalCurve::naive_mean_days`]). It is
//! biased, and always in the flattering direction:
//!
//! * **It ignores the still-open.** An engagement opened two weeks before
//!   the data ends can only appear among the won if it closed within two
//!   weeks. Recent cohorts contribute their fast wins and none of their slow
//!   ones, so the average is pulled *down*, and the more the business
//!   grows (many recent engagements), the shorter the cycle looks.
//! * **It ignores the lost.** Engagements that ended without a sale simply
//!   vanish, so the figure says nothing about how *likely* a win is by a
//!   given day: "38 days" reads as "a deal takes 38 days" when most deals
//!   never close at all.
//! * **It is an average of a skewed quantity**: a few very long cycles move
//!   it more than the typical deal, while the truncation above removes
//!   exactly those long cycles from recent cohorts.
//!
//! Kaplan–Meier uses every engagement: the still-open count as "not won
//! for at least this long", so the estimate of `P(won by t)` is unbiased
//! under independent censoring, and the curve shows both *how many* win and
//! *how fast*. The honest counterparts of the naive figure are
//! [`SurvivalCurve::median`] (days until half of the engagements are won,
//! often *not reached*, which is itself the finding), the share won by a
//! horizon ([`SurvivalCurve::won_by`]), and the mean time to win among
//! engagements won within a horizon τ estimated from the curve
//! ([`SurvivalCurve::mean_days_to_event_by`]), which corrects the
//! truncation bias of the naive average. The example
//! `examples/sales_cycles.rs` generates a ledger whose true cycles are
//! known and shows how far the naive number is off.
//!
//! # Example
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use sales_metrics::{classify, ClassifyConfig};
//! use sales_metrics::report::Scope;
//! use sales_metrics::{Channel, Contact, LedgerBuilder, ProspectRecord, Rep, Sale};
//!
//! let t = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
//! let mut b = LedgerBuilder::new();
//! b.add_rep(Rep::new("ana"));
//! for (p, won_after) in [("p1", Some(10)), ("p2", Some(20)), ("p3", None), ("p4", None)] {
//!     b.add_prospect(ProspectRecord::new(p));
//!     b.add_contact(Contact::new(format!("c-{p}"), "ana", p, t, Channel::Phone));
//!     if let Some(d) = won_after {
//!         b.add_sale(Sale::new(format!("s-{p}"), "ana", p, t + Duration::days(d)));
//!     }
//! }
//! let ledger = b.build()?;
//! let classified = classify(&ledger, &ClassifyConfig::default());
//! // p3 and p4 are still open 20 days in: censored at day 20.
//! let curve = classified.time_to_win(&Scope::all(), None)?;
//! assert_eq!(curve.survival_at(10.0), 0.75);
//! assert_eq!(curve.survival_at(20.0), 0.5);
//! assert_eq!(curve.median(), Some(20.0));
//! assert_eq!(curve.naive_mean_days, Some(15.0));
//! assert_eq!(curve.table().rows.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::classify::{Classified, EngagementData, EngagementEnd};
use crate::error::Result;
use crate::report::cohort::{EngagementFilter, days, engagements_of, quantile_linear};
use crate::report::scope::Scope;
use crate::table::{Cell, Table};

/// z for a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// Tolerance for "S(t) ≤ 0.5" after a product of floats (a curve that is
/// exactly one half must count as reaching it).
const HALF_TOLERANCE: f64 = 1e-12;

/// The milestone an engagement waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Milestone {
    /// The prospect's first sale inside the engagement.
    Win,
    /// The first held meeting inside the engagement.
    FirstMeeting,
}

impl Milestone {
    /// `time to win` / `time to first meeting`.
    pub(crate) const fn describe(self) -> &'static str {
        match self {
            Milestone::Win => "time to win",
            Milestone::FirstMeeting => "time to first meeting",
        }
    }
}

/// The observations at one distinct time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct SurvivalTime {
    /// Time since the start, µs.
    pub(crate) time_us: i64,
    /// Subjects whose event happened at this time.
    pub events: u64,
    /// Subjects censored at this time.
    pub censored: u64,
}

/// Right-censored observations tallied by distinct time: the mergeable
/// state behind a [`SurvivalCurve`]. Tallies over disjoint subjects merge
/// exactly (associative, commutative, [`Default`] identity).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct SurvivalData {
    /// Ascending, distinct times.
    times: Vec<SurvivalTime>,
}

impl SurvivalData {
    /// No observations.
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Microseconds of a span of `days` days (rounded to the microsecond).
    #[cfg(test)]
    pub(crate) fn micros(days: f64) -> i64 {
        (days * crate::report::cohort::MICROS_PER_DAY).round() as i64
    }

    /// Adds one observation: an event (`event == true`) or a censoring at
    /// `time_us`. For many observations collect from an iterator instead
    /// (one sort rather than an insertion each).
    #[cfg(test)]
    pub(crate) fn add(&mut self, time: TimeDelta, event: bool) {
        self.add_us(span_micros(time), event);
    }

    /// [`SurvivalData::add`] with the time in µs.
    #[cfg(test)]
    pub(crate) fn add_us(&mut self, time_us: i64, event: bool) {
        let at = self.times.partition_point(|t| t.time_us < time_us);
        match self.times.get_mut(at) {
            Some(t) if t.time_us == time_us => bump(t, event),
            _ => {
                let mut t = SurvivalTime {
                    time_us,
                    events: 0,
                    censored: 0,
                };
                bump(&mut t, event);
                self.times.insert(at, t);
            }
        }
    }

    /// Adds the observations of `other` (over other subjects).
    pub(crate) fn merge(&mut self, other: &SurvivalData) {
        if other.times.is_empty() {
            return;
        }
        let mut out = Vec::with_capacity(self.times.len() + other.times.len());
        let mut a = self.times.iter().copied().peekable();
        let mut b = other.times.iter().copied().peekable();
        loop {
            match (a.peek().copied(), b.peek().copied()) {
                (Some(x), Some(y)) if x.time_us == y.time_us => {
                    out.push(SurvivalTime {
                        time_us: x.time_us,
                        events: x.events + y.events,
                        censored: x.censored + y.censored,
                    });
                    a.next();
                    b.next();
                }
                (Some(x), Some(y)) => {
                    if x.time_us < y.time_us {
                        out.push(x);
                        a.next();
                    } else {
                        out.push(y);
                        b.next();
                    }
                }
                (Some(_), None) => {
                    out.extend(a);
                    break;
                }
                (None, _) => {
                    out.extend(b);
                    break;
                }
            }
        }
        self.times = out;
    }

    /// The tallies, ascending by time.
    pub(crate) fn times(&self) -> &[SurvivalTime] {
        &self.times
    }

    /// Number of subjects.
    pub(crate) fn subjects(&self) -> u64 {
        self.times.iter().map(|t| t.events + t.censored).sum()
    }

    /// Number of events.
    #[cfg(test)]
    pub(crate) fn events(&self) -> u64 {
        self.times.iter().map(|t| t.events).sum()
    }

    /// Number of censored subjects.
    #[cfg(test)]
    pub(crate) fn censored(&self) -> u64 {
        self.times.iter().map(|t| t.censored).sum()
    }

    /// The Kaplan–Meier curve of these observations, which came about as
    /// `censoring` says.
    pub(crate) fn curve(&self, censoring: EngagementCensoring) -> SurvivalCurve {
        let subjects = self.subjects();
        let mut points = Vec::new();
        let mut at_risk = subjects;
        let mut survival = 1.0f64;
        // Σ d/(n(n−d)); infinite once every subject at risk had the event.
        let mut greenwood = 0.0f64;
        for t in &self.times {
            if t.events > 0 && at_risk > 0 {
                let (n, d) = (at_risk as f64, t.events as f64);
                survival *= (n - d) / n;
                greenwood += if at_risk > t.events {
                    d / (n * (n - d))
                } else {
                    f64::INFINITY
                };
                points.push(SurvivalPoint::new(
                    t.time_us, at_risk, t.events, survival, greenwood,
                ));
            }
            at_risk = at_risk.saturating_sub(t.events + t.censored);
        }
        let mut event_days: Vec<f64> = Vec::new();
        let mut sum = 0.0;
        for t in &self.times {
            for _ in 0..t.events {
                event_days.push(days(t.time_us));
            }
            sum += days(t.time_us) * t.events as f64;
        }
        let events = event_days.len() as u64;
        SurvivalCurve {
            label: censoring.milestone.describe().to_owned(),
            subjects,
            events,
            censored: subjects - events,
            points,
            max_day: self.times.last().map(|t| days(t.time_us)),
            naive_mean_days: (events > 0).then(|| sum / events as f64),
            naive_median_days: quantile_linear(&event_days, 0.5),
            engagements: censoring,
            data: self.clone(),
        }
    }
}

fn bump(t: &mut SurvivalTime, event: bool) {
    if event {
        t.events += 1;
    } else {
        t.censored += 1;
    }
}

/// The µs of a span, saturating beyond ±`i64::MAX` µs (as observed times
/// do; see the module docs).
#[cfg(test)]
fn span_micros(d: TimeDelta) -> i64 {
    d.num_microseconds().unwrap_or(if d < TimeDelta::zero() {
        i64::MIN
    } else {
        i64::MAX
    })
}

#[cfg(test)]
impl FromIterator<(TimeDelta, bool)> for SurvivalData {
    /// Collects `(time since the start, event)` observations.
    fn from_iter<I: IntoIterator<Item = (TimeDelta, bool)>>(iter: I) -> Self {
        Self::from_micros(iter.into_iter().map(|(t, e)| (span_micros(t), e)).collect())
    }
}

impl SurvivalData {
    /// Tallies `(time_us, event)` observations.
    pub(crate) fn from_micros(mut raw: Vec<(i64, bool)>) -> Self {
        raw.sort_unstable();
        let mut times: Vec<SurvivalTime> = Vec::new();
        for (time_us, event) in raw {
            match times.last_mut() {
                Some(t) if t.time_us == time_us => bump(t, event),
                _ => {
                    let mut t = SurvivalTime {
                        time_us,
                        events: 0,
                        censored: 0,
                    };
                    bump(&mut t, event);
                    times.push(t);
                }
            }
        }
        Self { times }
    }
}

#[cfg(test)]
impl Extend<(TimeDelta, bool)> for SurvivalData {
    fn extend<I: IntoIterator<Item = (TimeDelta, bool)>>(&mut self, iter: I) {
        let other: SurvivalData = iter.into_iter().collect();
        self.merge(&other);
    }
}

/// The curve at one event time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SurvivalPoint {
    /// Days since the start (decimal); [`SurvivalPoint::time`] is the
    /// exact span.
    pub day: f64,
    /// The same time in µs.
    pub(crate) time_us: i64,
    /// Subjects at risk just before this time (time ≥ this one).
    pub at_risk: u64,
    /// Events at this time.
    pub events: u64,
    /// `S(t)`: the share not yet reached the milestone after this time.
    pub survival: f64,
    /// Greenwood standard error of `S(t)`; `None` where undefined (after
    /// every subject at risk had the event).
    pub std_err: Option<f64>,
    /// Lower end of the 95 % log-log band.
    pub lower: Option<f64>,
    /// Upper end of the 95 % log-log band.
    pub upper: Option<f64>,
}

impl SurvivalPoint {
    fn new(time_us: i64, at_risk: u64, events: u64, survival: f64, greenwood: f64) -> Self {
        let std_err = greenwood.is_finite().then(|| survival * greenwood.sqrt());
        let band = (greenwood.is_finite() && survival > 0.0 && survival < 1.0).then(|| {
            let sigma = greenwood.sqrt() / survival.ln().abs();
            let lo = survival.powf((Z95 * sigma).exp());
            let hi = survival.powf((-Z95 * sigma).exp());
            (lo.clamp(0.0, 1.0), hi.clamp(0.0, 1.0))
        });
        Self {
            day: days(time_us),
            time_us,
            at_risk,
            events,
            survival,
            std_err,
            lower: band.map(|b| b.0),
            upper: band.map(|b| b.1),
        }
    }

    /// The time since the start (exact to the microsecond; `day` is the
    /// same in decimal days).
    pub fn time(&self) -> TimeDelta {
        TimeDelta::microseconds(self.time_us)
    }

    /// The plain (linear) 95 % band `S ± 1.96 SE`, clamped to `[0, 1]`.
    pub fn plain_band(&self) -> Option<(f64, f64)> {
        self.std_err.map(|se| {
            (
                (self.survival - Z95 * se).clamp(0.0, 1.0),
                (self.survival + Z95 * se).clamp(0.0, 1.0),
            )
        })
    }
}

/// How the observations of an engagement curve came about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EngagementCensoring {
    /// The engagements covered.
    pub(crate) scope: Scope,
    /// The milestone (the curve's label names it).
    pub(crate) milestone: Milestone,
    /// The as-of instant at which open engagements are censored.
    pub(crate) as_of: DateTime<Utc>,
    /// Censored because still open at the as-of instant.
    pub(crate) still_open: u64,
    /// Censored because they ended without the milestone.
    pub(crate) ended_without_milestone: u64,
    /// Engagements left out because they started after the as-of instant.
    pub(crate) started_after_as_of: u64,
}

/// A Kaplan–Meier curve of engagements with its confidence band and
/// summary figures, from [`Classified::time_to_win`] or
/// [`Classified::time_to_first_meeting`]:
/// the curve ([`SurvivalCurve::points`], [`SurvivalCurve::table`]), the
/// observations behind it ([`SurvivalCurve::full_table`], with censoring
/// counts per time), and how they came about: the as-of instant, the
/// scope, and why engagements were censored
/// ([`SurvivalCurve::still_open`],
/// [`SurvivalCurve::ended_without_milestone`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurvivalCurve {
    /// What is measured (`time to win` or `time to first meeting`).
    pub label: String,
    /// Subjects (engagements).
    pub subjects: u64,
    /// Subjects that reached the milestone.
    pub events: u64,
    /// Subjects censored.
    pub censored: u64,
    /// The curve at every distinct event time.
    pub points: Vec<SurvivalPoint>,
    /// The longest observed time, days.
    pub max_day: Option<f64>,
    /// The naive figure: mean days over the subjects that reached the
    /// milestone only (see the module docs for why it is biased).
    pub naive_mean_days: Option<f64>,
    /// Median days over the subjects that reached the milestone only
    /// (linear interpolation) — as biased as the naive mean.
    pub naive_median_days: Option<f64>,
    /// As-of instant, scope and censoring reasons.
    pub(crate) engagements: EngagementCensoring,
    /// The observations behind the curve.
    pub(crate) data: SurvivalData,
}

impl SurvivalCurve {
    /// The instant at which open engagements were censored (the caller's
    /// `as_of`, or the latest event time of the ledger).
    pub fn as_of(&self) -> DateTime<Utc> {
        self.engagements.as_of
    }

    /// The engagements covered.
    pub fn scope(&self) -> &Scope {
        &self.engagements.scope
    }

    /// Engagements censored because still open at the as-of instant
    /// (including those whose milestone or end came after it).
    pub fn still_open(&self) -> u64 {
        self.engagements.still_open
    }

    /// Engagements censored because they ended without the milestone:
    /// lapsed, lost to another rep, or — for first meetings — won without
    /// a meeting (competing risks: see the module docs).
    pub fn ended_without_milestone(&self) -> u64 {
        self.engagements.ended_without_milestone
    }

    /// Engagements left out because they started after the as-of instant.
    pub fn started_after_as_of(&self) -> u64 {
        self.engagements.started_after_as_of
    }

    /// `S(t)` at `day` days: 1 before the first event.
    pub fn survival_at(&self, day: f64) -> f64 {
        self.point_at(day).map_or(1.0, |p| p.survival)
    }

    /// The point in force at `day` (the last event time ≤ `day`).
    pub fn point_at(&self, day: f64) -> Option<&SurvivalPoint> {
        let i = self.points.partition_point(|p| p.day <= day);
        i.checked_sub(1).and_then(|i| self.points.get(i))
    }

    /// `1 − S(t)`: the estimated share that reached the milestone by `day`
    /// (had it stayed open; see the module docs on competing risks).
    pub fn won_by(&self, day: f64) -> f64 {
        1.0 - self.survival_at(day)
    }

    /// The smallest event time `t` (days) with `S(t) ≤ 1 − p`: the time by
    /// which a share `p` reached the milestone. `None` when not reached.
    pub fn quantile(&self, p: f64) -> Option<f64> {
        let target = 1.0 - p + HALF_TOLERANCE;
        self.points
            .iter()
            .find(|pt| pt.survival <= target)
            .map(|pt| pt.day)
    }

    /// The median: smallest event time with `S(t) ≤ 0.5`; `None` when the
    /// curve never gets there (more than half never reached the milestone
    /// within the data).
    pub fn median(&self) -> Option<f64> {
        self.quantile(0.5)
    }

    /// 95 % interval of the median from the band (as R's `survfit`): the
    /// lower limit is the first time the lower band reaches 0.5, the upper
    /// limit the first time the upper band does. Either end is `None` when
    /// not reached.
    pub fn median_interval(&self) -> (Option<f64>, Option<f64>) {
        let first = |f: &dyn Fn(&SurvivalPoint) -> Option<f64>| {
            self.points
                .iter()
                .find(|p| f(p).is_some_and(|v| v <= 0.5 + HALF_TOLERANCE))
                .map(|p| p.day)
        };
        (first(&|p| p.lower), first(&|p| p.upper))
    }

    /// Restricted mean: `∫₀^τ S(t) dt`, the expected days without the
    /// milestone within the first `tau` days.
    pub fn restricted_mean(&self, tau: f64) -> f64 {
        let mut area = 0.0;
        let mut prev_day = 0.0f64;
        let mut s = 1.0;
        for p in &self.points {
            if p.day > tau {
                break;
            }
            area += s * (p.day - prev_day).max(0.0);
            prev_day = p.day.max(0.0);
            s = p.survival;
        }
        area + s * (tau - prev_day).max(0.0)
    }

    /// Mean days to the milestone among the subjects that reach it within
    /// `tau` days, estimated from the curve:
    /// `(∫₀^τ S − τ S(τ)) / (1 − S(τ))`. Unlike the naive mean it is not
    /// shortened by recent, still-open engagements. `None` when nothing
    /// happens by `tau`.
    pub fn mean_days_to_event_by(&self, tau: f64) -> Option<f64> {
        let s_tau = self.survival_at(tau);
        (s_tau < 1.0).then(|| (self.restricted_mean(tau) - tau * s_tau) / (1.0 - s_tau))
    }

    /// Columns of [`SurvivalCurve::table`].
    pub const COLUMNS: [&'static str; 7] = [
        "day", "at_risk", "events", "survival", "std_err", "lower", "upper",
    ];

    /// Columns of [`SurvivalCurve::full_table`].
    pub const FULL_COLUMNS: [&'static str; 8] = [
        "day", "at_risk", "events", "censored", "survival", "std_err", "lower", "upper",
    ];

    /// The curve as a table, one row per event time: `day, at_risk,
    /// events, survival, std_err, lower, upper` (band: log-log, 95 %).
    pub fn table(&self) -> Table {
        let mut t = Table::new(&Self::COLUMNS);
        for p in &self.points {
            t.push(vec![
                Cell::float(Some(p.day)),
                p.at_risk.into(),
                p.events.into(),
                Cell::share(Some(p.survival)),
                Cell::share(p.std_err),
                Cell::share(p.lower),
                Cell::share(p.upper),
            ]);
        }
        t
    }

    /// One row per distinct observed time (events or censorings), with the
    /// censored count, for plotting censoring marks; survival and band are
    /// those in force at that time (1 before the first event).
    pub fn full_table(&self) -> Table {
        let mut t = Table::new(&Self::FULL_COLUMNS);
        let mut at_risk = self.subjects;
        let mut k = 0usize;
        let mut current: Option<&SurvivalPoint> = None;
        for obs in self.data.times() {
            while let Some(p) = self.points.get(k) {
                if p.time_us > obs.time_us {
                    break;
                }
                current = Some(p);
                k += 1;
            }
            let s = current.map_or(1.0, |p| p.survival);
            t.push(vec![
                Cell::float(Some(days(obs.time_us))),
                at_risk.into(),
                obs.events.into(),
                obs.censored.into(),
                Cell::share(Some(s)),
                Cell::share(current.map_or(Some(0.0), |p| p.std_err)),
                Cell::share(current.map_or(Some(1.0), |p| p.lower)),
                Cell::share(current.map_or(Some(1.0), |p| p.upper)),
            ]);
            at_risk = at_risk.saturating_sub(obs.events + obs.censored);
        }
        t
    }
}

impl SurvivalCurve {
    /// The curve as HTML: its summary (what [`Display`](fmt::Display)
    /// prints: subjects, censoring, median with its interval, share
    /// reached by common horizons, the naive figure), then the table of
    /// [`SurvivalCurve::table`], escaped.
    pub fn to_html(&self) -> String {
        self.html(None)
    }

    fn html(&self, max_rows: Option<usize>) -> String {
        let mut h =
            String::from("<div class=\"sales-metrics-survival\">\n<pre style=\"margin:2px 8px\">");
        h.push_str(&crate::table::escape_html(self.to_string().trim_end()));
        h.push_str("</pre>\n");
        h.push_str(&self.table().html(None, max_rows));
        h.push_str("</div>\n");
        h
    }

    /// Renders the curve's summary and table in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        // The summary says most; a curve has a row per event time.
        crate::table::evcxr_show(&self.html(Some(20)), &self.to_string());
    }
}

/// Horizons (days) shown by the `Display` of a curve.
const DISPLAY_HORIZONS: [f64; 6] = [7.0, 30.0, 60.0, 90.0, 180.0, 365.0];

impl fmt::Display for SurvivalCurve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.engagements;
        writeln!(
            f,
            "{} ({}; as of {})",
            self.label,
            e.scope,
            e.as_of.format("%Y-%m-%d %H:%M UTC")
        )?;
        write!(
            f,
            "  {} subjects: {} reached it, {} censored",
            self.subjects, self.events, self.censored
        )?;
        writeln!(
            f,
            " ({} still open, {} ended without it)",
            e.still_open, e.ended_without_milestone
        )?;
        match self.median() {
            Some(m) => {
                let (lo, hi) = self.median_interval();
                let show = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{v:.1}"));
                writeln!(
                    f,
                    "  median: {m:.1} days (95 % CI {} to {})",
                    show(lo),
                    show(hi)
                )?;
            }
            None => writeln!(
                f,
                "  median: not reached (S = {:.3} at the last event time)",
                self.points.last().map_or(1.0, |p| p.survival)
            )?,
        }
        let max = self.max_day.unwrap_or(0.0);
        for h in DISPLAY_HORIZONS.iter().filter(|&&h| h <= max) {
            let p = self.point_at(*h);
            let band = match p.and_then(|p| p.lower.zip(p.upper)) {
                Some((lo, hi)) => {
                    format!(" [{:.1}, {:.1}]", (1.0 - hi) * 100.0, (1.0 - lo) * 100.0)
                }
                None => String::new(),
            };
            writeln!(
                f,
                "  reached by day {h:>3}: {:.1} %{band}",
                self.won_by(*h) * 100.0
            )?;
        }
        if let Some(n) = self.naive_mean_days {
            writeln!(
                f,
                "  naive: {n:.1} days average over the {} that reached it only (ignores the {} censored)",
                self.events, self.censored
            )?;
        }
        Ok(())
    }
}

/// Per-chunk state: raw observations and censoring reasons.
#[derive(Default)]
struct Partial {
    data: SurvivalData,
    still_open: u64,
    ended: u64,
    after: u64,
}

impl Partial {
    fn merge(mut self, other: Partial) -> Partial {
        self.data.merge(&other.data);
        self.still_open += other.still_open;
        self.ended += other.ended;
        self.after += other.after;
        self
    }
}

/// How one engagement is seen at an as-of instant, waiting for a
/// milestone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Observation {
    /// Started after the as-of instant: left out.
    After,
    /// Reached the milestone after this span (µs): an event.
    Reached(i64),
    /// Ended without the milestone after this span: censored.
    Ended(i64),
    /// Still open at the as-of instant, this long after its start:
    /// censored.
    Open(i64),
}

impl Observation {
    /// The observation of engagement `g` at `as_of` (µs).
    pub(crate) fn of(g: &EngagementData, milestone: Milestone, as_of: i64) -> Self {
        if g.start_us > as_of {
            return Observation::After;
        }
        let reached = match milestone {
            Milestone::Win => g.won_us,
            Milestone::FirstMeeting => g.first_meeting_us,
        };
        // What can end the wait without the milestone.
        let ended = match (milestone, g.end) {
            (_, EngagementEnd::Open) => None,
            (Milestone::Win, EngagementEnd::Won) => None,
            _ => g.end_us,
        };
        // Spans beyond i64 µs (about 292,000 years: only between instants
        // near both ends of chrono's range, or an extreme as-of) saturate,
        // as cohort cycle spans do.
        match (reached, ended) {
            (Some(m), _) if m <= as_of => Observation::Reached(m.saturating_sub(g.start_us)),
            (_, Some(e)) if e <= as_of => Observation::Ended(e.saturating_sub(g.start_us)),
            _ => Observation::Open(as_of.saturating_sub(g.start_us)),
        }
    }
}

/// The curve of engagements `engagements` at `as_of` (µs; the instant
/// `as_of_time`), waiting for `milestone`.
pub(crate) fn curve_of<'g>(
    engagements: impl Iterator<Item = &'g EngagementData>,
    scope: &Scope,
    milestone: Milestone,
    as_of_time: DateTime<Utc>,
) -> SurvivalCurve {
    let part = observe(engagements, milestone, as_of_time.timestamp_micros());
    part.data.curve(EngagementCensoring {
        scope: scope.clone(),
        milestone,
        as_of: as_of_time,
        still_open: part.still_open,
        ended_without_milestone: part.ended,
        started_after_as_of: part.after,
    })
}

fn observe<'g>(
    engagements: impl Iterator<Item = &'g EngagementData>,
    milestone: Milestone,
    as_of: i64,
) -> Partial {
    let mut part = Partial::default();
    let mut raw: Vec<(i64, bool)> = Vec::new();
    for g in engagements {
        match Observation::of(g, milestone, as_of) {
            Observation::After => part.after += 1,
            Observation::Reached(span) => raw.push((span, true)),
            Observation::Ended(span) => {
                part.ended += 1;
                raw.push((span, false));
            }
            Observation::Open(span) => {
                part.still_open += 1;
                raw.push((span, false));
            }
        }
    }
    part.data = SurvivalData::from_micros(raw);
    part
}

/// Kaplan–Meier curve of the time from engagement start to `milestone`
/// for the engagements of `scope`, censored as described in the module
/// docs. `as_of` is the instant at which open engagements are censored;
/// `None` means the latest event time of the ledger.
///
/// # Errors
/// [`crate::Error::InvalidArgument`] when the scope names an unknown rep or
/// team.
pub(crate) fn engagement_survival(
    classified: &Classified<'_>,
    scope: &Scope,
    milestone: Milestone,
    as_of: Option<DateTime<Utc>>,
) -> Result<SurvivalCurve> {
    let ledger = classified.ledger();
    let filter = EngagementFilter::new(ledger, scope)?;
    let as_of = as_of.unwrap_or_else(|| {
        ledger
            .time_span()
            .map(|(_, hi)| hi)
            // An empty ledger has no engagements: any instant does.
            .unwrap_or(DateTime::UNIX_EPOCH)
    });
    let as_of_us = as_of.timestamp_micros();
    let parts = crate::classify::chunk_bounds(
        ledger.event_offsets(),
        ledger.prospect_count(),
        ledger.events().len(),
    );
    let part = crate::par::map_reduce(
        &parts,
        |&(p0, p1)| {
            let kept = engagements_of(classified, &(p0..p1))
                .iter()
                .filter(|g| filter.keep(ledger, g));
            observe(kept, milestone, as_of_us)
        },
        Partial::default,
        Partial::merge,
    );
    Ok(part.data.curve(EngagementCensoring {
        scope: scope.clone(),
        milestone,
        as_of,
        still_open: part.still_open,
        ended_without_milestone: part.ended,
        started_after_as_of: part.after,
    }))
}

impl Classified<'_> {
    /// Kaplan–Meier curve of days from engagement start to the win (the
    /// prospect's first sale), SPEC §7 `time_to_win survival`, for the
    /// engagements of `scope`, censored as described in the module docs.
    /// `as_of` is the instant at which open engagements are censored; `None`
    /// means the latest event time of the ledger.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] when the scope names an unknown rep or
    /// team.
    pub fn time_to_win(
        &self,
        scope: &Scope,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<SurvivalCurve> {
        engagement_survival(self, scope, Milestone::Win, as_of)
    }

    /// Kaplan–Meier curve of days from engagement start to its first held
    /// meeting; otherwise as [`time_to_win`](Classified::time_to_win).
    ///
    /// # Errors
    /// As [`time_to_win`](Classified::time_to_win).
    pub fn time_to_first_meeting(
        &self,
        scope: &Scope,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<SurvivalCurve> {
        engagement_survival(self, scope, Milestone::FirstMeeting, as_of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(obs: &[(f64, bool)]) -> SurvivalCurve {
        SurvivalData::from_micros(
            obs.iter()
                .map(|&(d, e)| (SurvivalData::micros(d), e))
                .collect(),
        )
        .curve(EngagementCensoring {
            scope: Scope::all(),
            milestone: Milestone::Win,
            as_of: DateTime::UNIX_EPOCH,
            still_open: 0,
            ended_without_milestone: 0,
            started_after_as_of: 0,
        })
    }

    #[test]
    fn no_events_means_flat_curve_and_no_median() {
        let c = curve(&[(1.0, false), (2.0, false)]);
        assert!(c.points.is_empty());
        assert_eq!(c.survival_at(5.0), 1.0);
        assert_eq!(c.median(), None);
        assert_eq!(c.naive_mean_days, None);
        assert_eq!(c.restricted_mean(3.0), 3.0);
    }

    #[test]
    fn all_events_reach_zero_with_undefined_band() {
        let c = curve(&[(1.0, true), (2.0, true)]);
        let last = c.points.last().copied();
        assert_eq!(last.map(|p| p.survival), Some(0.0));
        assert_eq!(last.and_then(|p| p.lower), None);
        assert_eq!(last.and_then(|p| p.std_err), None);
        assert_eq!(c.median(), Some(1.0));
        // ∫ S over [0, 2] = 1·1 + 0.5·1.
        assert!((c.restricted_mean(2.0) - 1.5).abs() < 1e-12);
        assert_eq!(c.mean_days_to_event_by(2.0), Some(1.5));
    }

    proptest::proptest! {
        #[test]
        fn survival_data_split_anywhere_merges(
            obs in proptest::collection::vec((0i64..50, proptest::prelude::any::<bool>()), 0..60),
            a in 0usize..60,
            b in 0usize..60,
        ) {
            let n = obs.len();
            let (a, b) = (a.min(b).min(n), a.max(b).min(n));
            let obs: Vec<(TimeDelta, bool)> =
                obs.into_iter().map(|(t, e)| (TimeDelta::microseconds(t), e)).collect();
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
            proptest::prop_assert_eq!(&left, &whole);
            proptest::prop_assert_eq!(&right, &whole);
            let mut one_by_one = SurvivalData::new();
            for &(t, e) in &obs {
                one_by_one.add(t, e);
            }
            proptest::prop_assert_eq!(&one_by_one, &whole);
            let mut extended = SurvivalData::new();
            extended.extend(obs.iter().copied());
            proptest::prop_assert_eq!(&extended, &whole);
            proptest::prop_assert_eq!(whole.events() + whole.censored(), whole.subjects());
        }
    }

    #[test]
    fn add_and_collect_agree() {
        let obs = [(3, true), (1, false), (3, false), (2, true), (1, true)];
        let mut a = SurvivalData::new();
        for &(t, e) in &obs {
            a.add(TimeDelta::microseconds(t), e);
        }
        let b: SurvivalData = obs
            .into_iter()
            .map(|(t, e)| (TimeDelta::microseconds(t), e))
            .collect();
        assert_eq!(a, b);
        assert_eq!(a.subjects(), 5);
        assert_eq!(a.events(), 3);
    }
}
