//! What a report covers: which reps and events ([`Scope`]), cut into which
//! periods ([`Granularity`]) of which time zone ([`PeriodSpec`]).
//!
//! Periods are local: an event belongs to the period containing its
//! instant in the configured IANA zone. Local day boundaries are computed
//! once per day of the data's span (a [`Calendar`]), so DST change days are
//! 23 or 25 hours long as they should be, and classifying an instant costs
//! a binary search, not a time-zone conversion.

use std::fmt;

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::model::{Channel, Source};

/// How periods are cut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// Local calendar days, written `2026-06-01`.
    Day,
    /// ISO weeks (Monday to Sunday), written `2026-W23` with the ISO year.
    IsoWeek,
    /// Calendar months, written `2026-06`.
    Month,
    /// Calendar quarters, written `2026-Q2`.
    Quarter,
    /// Calendar years, written `2026`.
    Year,
    /// Caller-defined, non-overlapping local date ranges; events outside
    /// every range are left out of the report.
    Custom(Vec<CustomRange>),
}

impl Granularity {
    /// Parses `day`, `week`, `month`, `quarter` or `year`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for anything else.
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "day" => Ok(Granularity::Day),
            "week" | "iso_week" | "isoweek" => Ok(Granularity::IsoWeek),
            "month" => Ok(Granularity::Month),
            "quarter" => Ok(Granularity::Quarter),
            "year" => Ok(Granularity::Year),
            _ => Err(Error::invalid(
                "period",
                format!("{s:?} is not one of day, week, month, quarter, year"),
            )),
        }
    }
}

impl fmt::Display for Granularity {
    /// `day`, `ISO week`, `month`, `quarter`, `year`, or the custom labels.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Granularity::Day => f.write_str("day"),
            Granularity::IsoWeek => f.write_str("ISO week"),
            Granularity::Month => f.write_str("month"),
            Granularity::Quarter => f.write_str("quarter"),
            Granularity::Year => f.write_str("year"),
            Granularity::Custom(ranges) => {
                let labels: Vec<&str> = ranges.iter().map(|r| r.label.as_str()).collect();
                write!(f, "custom periods {}", labels.join(", "))
            }
        }
    }
}

/// One custom period: local dates `start` (inclusive) to `end` (exclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomRange {
    /// The label written in the period column.
    pub label: String,
    /// First local day.
    pub start: NaiveDate,
    /// Day after the last local day.
    pub end: NaiveDate,
}

/// Periods and time zone of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodSpec {
    /// How periods are cut.
    pub granularity: Granularity,
    /// The IANA zone whose local days define periods (default UTC).
    pub time_zone: Tz,
}

impl Default for PeriodSpec {
    fn default() -> Self {
        Self {
            granularity: Granularity::Month,
            time_zone: Tz::UTC,
        }
    }
}

impl PeriodSpec {
    /// Periods of `granularity` in UTC.
    pub fn new(granularity: Granularity) -> Self {
        Self {
            granularity,
            time_zone: Tz::UTC,
        }
    }

    /// Monthly periods in UTC.
    pub fn monthly() -> Self {
        Self::new(Granularity::Month)
    }

    /// Sets the time zone.
    pub fn in_zone(mut self, time_zone: Tz) -> Self {
        self.time_zone = time_zone;
        self
    }

    /// Sets the time zone by IANA name.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the name is not an IANA zone.
    pub fn in_zone_named(self, name: &str) -> Result<Self> {
        let tz: Tz = name
            .parse()
            .map_err(|_| Error::invalid("time zone", format!("{name:?} is not an IANA zone")))?;
        Ok(self.in_zone(tz))
    }
}

/// Which reps a report covers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepFilter {
    /// Every rep.
    #[default]
    All,
    /// The reps of one team.
    Team(String),
    /// One rep.
    Rep(String),
}

/// Which events a report covers.
///
/// A channel scope keeps contacts of that channel, and the meetings and
/// sales of engagements *opened* through that channel (meetings and sales
/// have no channel of their own; attributing them to the opening channel
/// answers "which channel brings meetings and sales"). A source scope keeps
/// the events of prospects from that source.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Scope {
    /// Reps covered.
    pub reps: RepFilter,
    /// Only this channel, if set.
    pub channel: Option<Channel>,
    /// Only prospects of this source, if set.
    pub source: Option<Source>,
}

impl Scope {
    /// Every rep, every event.
    pub fn all() -> Self {
        Self::default()
    }

    /// One team.
    pub fn team(team_id: impl Into<String>) -> Self {
        Self {
            reps: RepFilter::Team(team_id.into()),
            ..Self::default()
        }
    }

    /// One rep.
    pub fn rep(rep_id: impl Into<String>) -> Self {
        Self {
            reps: RepFilter::Rep(rep_id.into()),
            ..Self::default()
        }
    }

    /// Restricts to a channel.
    pub fn with_channel(mut self, channel: Channel) -> Self {
        self.channel = Some(channel);
        self
    }

    /// Restricts to a prospect source.
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = Some(source);
        self
    }

    /// Per rep index: whether the rep is covered.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when a named team or rep does not exist.
    pub fn rep_mask(&self, ledger: &Ledger) -> Result<Vec<bool>> {
        let n = ledger.reps().len();
        match &self.reps {
            RepFilter::All => Ok(vec![true; n]),
            RepFilter::Team(t) => {
                let team = ledger
                    .team_index(t)
                    .ok_or_else(|| Error::invalid("scope", format!("no team {t:?}")))?;
                Ok((0..n as u32)
                    .map(|r| ledger.rep_team(r) == Some(team))
                    .collect())
            }
            RepFilter::Rep(id) => {
                let rep = ledger
                    .rep_index(id)
                    .ok_or_else(|| Error::invalid("scope", format!("no rep {id:?}")))?;
                Ok((0..n as u32).map(|r| r == rep).collect())
            }
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reps {
            RepFilter::All => f.write_str("all reps")?,
            RepFilter::Team(t) => write!(f, "team {t}")?,
            RepFilter::Rep(r) => write!(f, "rep {r}")?,
        }
        if let Some(c) = self.channel {
            write!(f, ", channel {c}")?;
        }
        if let Some(s) = self.source {
            write!(f, ", source {s}")?;
        }
        Ok(())
    }
}

/// Local days of a time zone over a span of instants, each mapped to its
/// period: the one place where instants become periods.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: Tz,
    granularity: Granularity,
    first_day: NaiveDate,
    /// UTC µs of the first instant of each local day, ascending; one more
    /// entry than days (the end of the last day).
    day_starts: Vec<i64>,
    /// Period key of each day (`i64::MIN` when outside every custom range).
    day_period: Vec<i64>,
}

/// Key of a period: chronological order; see [`Calendar::label`].
pub type PeriodKey = i64;

pub(crate) const OUTSIDE: PeriodKey = i64::MIN;

fn local_day_start(tz: &Tz, day: NaiveDate) -> i64 {
    // Midnight may fall in a DST gap in some zones; take the first valid
    // local time after it. A day skipped whole (Pacific/Apia, 2011-12-30)
    // starts where the next day starts: it has no instants.
    let mut t = day.and_time(NaiveTime::MIN);
    for _ in 0..(4 * 48) {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.with_timezone(&Utc).timestamp_micros();
        }
        t += Duration::minutes(15);
    }
    day.and_time(NaiveTime::MIN).and_utc().timestamp_micros()
}

impl Calendar {
    /// A calendar covering the instants `from_us..=to_us` (µs, UTC).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for overlapping or empty custom ranges.
    pub fn new(spec: &PeriodSpec, from_us: i64, to_us: i64) -> Result<Self> {
        if let Granularity::Custom(ranges) = &spec.granularity {
            let mut sorted: Vec<&CustomRange> = ranges.iter().collect();
            sorted.sort_by_key(|r| r.start);
            for r in &sorted {
                if r.end <= r.start {
                    return Err(Error::invalid(
                        "custom period",
                        format!("{:?} ends before it starts", r.label),
                    ));
                }
            }
            for w in sorted.windows(2) {
                if let [a, b] = w
                    && b.start < a.end
                {
                    return Err(Error::invalid(
                        "custom period",
                        format!("{:?} overlaps {:?}", a.label, b.label),
                    ));
                }
            }
        }
        let tz = spec.time_zone;
        let to_date = |us: i64| {
            crate::ledger::from_micros(us)
                .with_timezone(&tz)
                .date_naive()
        };
        let (lo, hi) = if from_us <= to_us {
            (from_us, to_us)
        } else {
            (to_us, from_us)
        };
        let first_day = to_date(lo).pred_opt().unwrap_or(NaiveDate::MIN);
        let last_day = to_date(hi).succ_opt().unwrap_or(NaiveDate::MAX);
        let days = (last_day - first_day).num_days().max(0) as usize + 1;
        let mut day_starts = Vec::with_capacity(days + 1);
        let mut day_period = Vec::with_capacity(days);
        let mut d = first_day;
        for _ in 0..days {
            day_starts.push(local_day_start(&tz, d));
            day_period.push(period_of_day(&spec.granularity, d));
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
        day_starts.push(local_day_start(&tz, d));
        Ok(Self {
            tz,
            granularity: spec.granularity.clone(),
            first_day,
            day_starts,
            day_period,
        })
    }

    /// A calendar covering every event of `ledger`.
    ///
    /// # Errors
    /// As [`Calendar::new`].
    pub fn for_ledger(spec: &PeriodSpec, ledger: &Ledger) -> Result<Self> {
        let (lo, hi) = ledger.time_span().unwrap_or((0, 0));
        Self::new(spec, lo, hi)
    }

    /// Index `i` such that `day_starts[i - 1] <= us < day_starts[i]`
    /// (0 or `len` when outside the table). Local days last 23 to 25 hours,
    /// so a guess from the first day's start is off by at most one day for
    /// spans of decades; the loop corrects it in a step or two.
    fn day_slot(&self, us: i64) -> usize {
        const DAY_US: i64 = 86_400_000_000;
        let (Some(&first), Some(&last)) = (self.day_starts.first(), self.day_starts.last()) else {
            return 0;
        };
        if us < first {
            return 0;
        }
        if us >= last {
            return self.day_starts.len();
        }
        let mut i = (((us - first) / DAY_US) as usize + 1).min(self.day_starts.len() - 1);
        // Invariant sought: day_starts[i - 1] <= us < day_starts[i].
        while i > 1 && self.day_starts.get(i - 1).is_some_and(|&s| s > us) {
            i -= 1;
        }
        while self.day_starts.get(i).is_some_and(|&s| s <= us) {
            i += 1;
        }
        i
    }

    /// Index into the calendar's days (see [`Calendar::day_periods`]) of
    /// an instant, when the instant lies inside the span of the calendar.
    pub(crate) fn day_index(&self, us: i64) -> Option<usize> {
        let i = self.day_slot(us);
        (i > 0 && i < self.day_starts.len()).then(|| i - 1)
    }

    /// The period key of each day of the calendar (`i64::MIN` when outside
    /// every custom range), indexed like [`Calendar::day_index`].
    pub(crate) fn day_periods(&self) -> &[PeriodKey] {
        &self.day_period
    }

    /// The local date of an instant (µs).
    pub fn local_date(&self, us: i64) -> NaiveDate {
        let i = self.day_slot(us);
        if i == 0 || i >= self.day_starts.len() {
            return crate::ledger::from_micros(us)
                .with_timezone(&self.tz)
                .date_naive();
        }
        self.first_day + Duration::days(i as i64 - 1)
    }

    /// The period of an instant (µs), or `None` when it lies outside every
    /// custom range.
    pub fn period(&self, us: i64) -> Option<PeriodKey> {
        let i = self.day_slot(us);
        let key = if i == 0 || i >= self.day_starts.len() {
            period_of_day(&self.granularity, self.local_date(us))
        } else {
            self.day_period.get(i - 1).copied().unwrap_or(OUTSIDE)
        };
        (key != OUTSIDE).then_some(key)
    }

    /// The label of a period key (`2026-06`, `2026-W23`, `2026-06-01`,
    /// `2026-Q2`, `2026`, or a custom label).
    pub fn label(&self, key: PeriodKey) -> String {
        period_label(&self.granularity, key)
    }

    /// The first local day of a period.
    pub fn period_start(&self, key: PeriodKey) -> Option<NaiveDate> {
        period_start(&self.granularity, key)
    }

    /// The time zone.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// The granularity.
    pub fn granularity(&self) -> &Granularity {
        &self.granularity
    }
}

fn period_of_day(g: &Granularity, d: NaiveDate) -> PeriodKey {
    match g {
        Granularity::Day => i64::from(d.num_days_from_ce()),
        Granularity::IsoWeek => {
            let w = d.iso_week();
            i64::from(w.year()) * 100 + i64::from(w.week())
        }
        Granularity::Month => i64::from(d.year()) * 12 + i64::from(d.month0()),
        Granularity::Quarter => i64::from(d.year()) * 4 + i64::from(d.month0() / 3),
        Granularity::Year => i64::from(d.year()),
        Granularity::Custom(ranges) => {
            let mut sorted: Vec<(usize, &CustomRange)> = ranges.iter().enumerate().collect();
            sorted.sort_by_key(|(_, r)| r.start);
            sorted
                .iter()
                .position(|(_, r)| r.start <= d && d < r.end)
                .map_or(OUTSIDE, |i| i as i64)
        }
    }
}

fn sorted_custom(ranges: &[CustomRange]) -> Vec<&CustomRange> {
    let mut sorted: Vec<&CustomRange> = ranges.iter().collect();
    sorted.sort_by_key(|r| r.start);
    sorted
}

fn period_label(g: &Granularity, key: PeriodKey) -> String {
    match g {
        Granularity::Day => NaiveDate::from_num_days_from_ce_opt(key as i32)
            .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string()),
        Granularity::IsoWeek => format!("{:04}-W{:02}", key.div_euclid(100), key.rem_euclid(100)),
        Granularity::Month => format!("{:04}-{:02}", key.div_euclid(12), key.rem_euclid(12) + 1),
        Granularity::Quarter => format!("{:04}-Q{}", key.div_euclid(4), key.rem_euclid(4) + 1),
        Granularity::Year => format!("{key:04}"),
        Granularity::Custom(ranges) => sorted_custom(ranges)
            .get(key as usize)
            .map_or_else(String::new, |r| r.label.clone()),
    }
}

fn period_start(g: &Granularity, key: PeriodKey) -> Option<NaiveDate> {
    let year = |y: i64| i32::try_from(y).ok();
    match g {
        Granularity::Day => NaiveDate::from_num_days_from_ce_opt(i32::try_from(key).ok()?),
        Granularity::IsoWeek => NaiveDate::from_isoywd_opt(
            year(key.div_euclid(100))?,
            u32::try_from(key.rem_euclid(100)).ok()?,
            chrono::Weekday::Mon,
        ),
        Granularity::Month => NaiveDate::from_ymd_opt(
            year(key.div_euclid(12))?,
            u32::try_from(key.rem_euclid(12)).ok()? + 1,
            1,
        ),
        Granularity::Quarter => NaiveDate::from_ymd_opt(
            year(key.div_euclid(4))?,
            u32::try_from(key.rem_euclid(4)).ok()? * 3 + 1,
            1,
        ),
        Granularity::Year => NaiveDate::from_ymd_opt(year(key)?, 1, 1),
        Granularity::Custom(ranges) => sorted_custom(ranges).get(key as usize).map(|r| r.start),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|d| d.timestamp_micros())
            .unwrap_or(0)
    }

    use proptest::prelude::prop_oneof;

    proptest::proptest! {
        #[test]
        fn day_slot_agrees_with_binary_search(
            zone in proptest::sample::select(vec!["UTC", "Europe/Bucharest", "America/Sao_Paulo", "Australia/Lord_Howe", "Pacific/Apia"]),
            start in prop_oneof![0i64..2_000_000_000, 1_325_000_000i64..1_325_400_000],
            offsets in proptest::collection::vec(-200_000i64..4_000_000_000, 1..50),
        ) {
            let tz: Tz = zone.parse().map_err(|_| proptest::test_runner::TestCaseError::fail("tz"))?;
            let spec = PeriodSpec::new(Granularity::Day).in_zone(tz);
            let us = |s: i64| s * 1_000_000;
            let cal = Calendar::new(&spec, us(start), us(start + 3_000_000_000))
                .map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            for o in offsets {
                let t = us(start + o);
                let want = cal.day_starts.partition_point(|&s| s <= t);
                proptest::prop_assert_eq!(cal.day_slot(t), want);
                let direct = crate::ledger::from_micros(t).with_timezone(&tz).date_naive();
                proptest::prop_assert_eq!(cal.local_date(t), direct);
            }
        }
    }

    #[test]
    fn labels() {
        let d = NaiveDate::from_ymd_opt(2026, 6, 3).unwrap_or_default();
        for (g, want) in [
            (Granularity::Day, "2026-06-03"),
            (Granularity::IsoWeek, "2026-W23"),
            (Granularity::Month, "2026-06"),
            (Granularity::Quarter, "2026-Q2"),
            (Granularity::Year, "2026"),
        ] {
            assert_eq!(period_label(&g, period_of_day(&g, d)), want);
        }
        // ISO week-year differs from the calendar year at year ends.
        let d = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default();
        let g = Granularity::IsoWeek;
        assert_eq!(period_label(&g, period_of_day(&g, d)), "2026-W53");
    }

    #[test]
    fn bucharest_dst_days() -> Result<()> {
        let tz: Tz = "Europe/Bucharest"
            .parse()
            .map_err(|_| Error::invalid("tz", "x"))?;
        let spec = PeriodSpec::new(Granularity::Day).in_zone(tz);
        let cal = Calendar::new(
            &spec,
            us("2026-03-01T00:00:00Z"),
            us("2026-11-30T00:00:00Z"),
        )?;
        // Spring forward 2026-03-29 03:00 EET → 04:00 EEST: the local day
        // starts 2026-03-28T22:00Z and lasts 23 hours.
        assert_eq!(
            cal.local_date(us("2026-03-28T21:59:59Z")).to_string(),
            "2026-03-28"
        );
        assert_eq!(
            cal.local_date(us("2026-03-28T22:00:00Z")).to_string(),
            "2026-03-29"
        );
        assert_eq!(
            cal.local_date(us("2026-03-29T20:59:59Z")).to_string(),
            "2026-03-29"
        );
        assert_eq!(
            cal.local_date(us("2026-03-29T21:00:00Z")).to_string(),
            "2026-03-30"
        );
        // Fall back 2026-10-25 04:00 EEST → 03:00 EET: 25-hour day from
        // 2026-10-24T21:00Z to 2026-10-25T22:00Z.
        assert_eq!(
            cal.local_date(us("2026-10-24T20:59:59Z")).to_string(),
            "2026-10-24"
        );
        assert_eq!(
            cal.local_date(us("2026-10-24T21:00:00Z")).to_string(),
            "2026-10-25"
        );
        assert_eq!(
            cal.local_date(us("2026-10-25T21:59:59Z")).to_string(),
            "2026-10-25"
        );
        assert_eq!(
            cal.local_date(us("2026-10-25T22:00:00Z")).to_string(),
            "2026-10-26"
        );
        Ok(())
    }

    #[test]
    fn custom_ranges_exclude_outside_and_reject_overlap() -> Result<()> {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default();
        let spec = PeriodSpec::new(Granularity::Custom(vec![
            CustomRange {
                label: "h2".into(),
                start: d(6, 15),
                end: d(7, 1),
            },
            CustomRange {
                label: "h1".into(),
                start: d(6, 1),
                end: d(6, 15),
            },
        ]));
        let cal = Calendar::new(
            &spec,
            us("2026-05-01T00:00:00Z"),
            us("2026-08-01T00:00:00Z"),
        )?;
        assert_eq!(cal.period(us("2026-05-31T23:59:59Z")), None);
        let k = cal.period(us("2026-06-14T23:59:59Z"));
        assert_eq!(k.map(|k| cal.label(k)), Some("h1".to_owned()));
        let k = cal.period(us("2026-06-15T00:00:00Z"));
        assert_eq!(k.map(|k| cal.label(k)), Some("h2".to_owned()));
        assert_eq!(cal.period(us("2026-07-01T00:00:00Z")), None);
        let bad = PeriodSpec::new(Granularity::Custom(vec![
            CustomRange {
                label: "a".into(),
                start: d(6, 1),
                end: d(6, 20),
            },
            CustomRange {
                label: "b".into(),
                start: d(6, 10),
                end: d(7, 1),
            },
        ]));
        assert!(Calendar::new(&bad, 0, 0).is_err());
        Ok(())
    }
}
