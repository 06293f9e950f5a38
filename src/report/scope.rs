//! What a report covers: which reps and events ([`Scope`]), cut into which
//! periods ([`Granularity`], or custom date ranges) of which time zone
//! ([`PeriodSpec`]).
//!
//! Periods are local: an event belongs to the period containing its
//! instant in the configured IANA zone. Local day boundaries are computed
//! once per day the data uses, so DST change days are 23 or 25 hours long
//! as they should be, and classifying an instant costs a short search, not
//! a time-zone conversion. Labels of years outside 0000–9999 use the ISO
//! 8601 expanded form (`-0001-12`, `+10000-Q1`): see
//! [PeriodSpec labels](PeriodSpec#labels).

use std::fmt;
use std::ops::Range;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::model::{Channel, Source};

/// How regular periods are cut (for caller-defined date ranges see
/// [`PeriodSpec::custom`]). Years outside 0000–9999 are written with a
/// sign and at least four digits (`-0001-12-31`, `+10000-W01`): see
/// [PeriodSpec labels](PeriodSpec#labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// `day`, `ISO week`, `month`, `quarter` or `year`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Granularity::Day => "day",
            Granularity::IsoWeek => "ISO week",
            Granularity::Month => "month",
            Granularity::Quarter => "quarter",
            Granularity::Year => "year",
        })
    }
}

/// How periods are cut, custom ranges included (serialized as the
/// `granularity` of a [`PeriodSpec`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Cut {
    Day,
    IsoWeek,
    Month,
    Quarter,
    Year,
    /// Non-overlapping local date ranges; events outside every range are
    /// left out of the report.
    Custom(Vec<CustomRange>),
}

impl From<Granularity> for Cut {
    fn from(g: Granularity) -> Self {
        match g {
            Granularity::Day => Cut::Day,
            Granularity::IsoWeek => Cut::IsoWeek,
            Granularity::Month => Cut::Month,
            Granularity::Quarter => Cut::Quarter,
            Granularity::Year => Cut::Year,
        }
    }
}

impl fmt::Display for Cut {
    /// As [`Granularity`], or `custom periods` and the labels.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cut::Day => Granularity::Day.fmt(f),
            Cut::IsoWeek => Granularity::IsoWeek.fmt(f),
            Cut::Month => Granularity::Month.fmt(f),
            Cut::Quarter => Granularity::Quarter.fmt(f),
            Cut::Year => Granularity::Year.fmt(f),
            Cut::Custom(ranges) => {
                let labels: Vec<&str> = ranges.iter().map(|r| r.label.as_str()).collect();
                write!(f, "custom periods {}", labels.join(", "))
            }
        }
    }
}

/// One custom period: local dates `start` (inclusive) to `end` (exclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CustomRange {
    /// The label written in the period column.
    pub(crate) label: String,
    /// First local day.
    pub(crate) start: NaiveDate,
    /// Day after the last local day.
    pub(crate) end: NaiveDate,
}

/// Periods and time zone of a report: regular periods
/// ([`PeriodSpec::new`], [`PeriodSpec::monthly`]) or caller-defined date
/// ranges ([`PeriodSpec::custom`]), as local days of an IANA zone
/// ([`PeriodSpec::in_zone`], UTC unless set).
///
/// Where an instant falls is answered by [`PeriodSpec::label_of`],
/// [`PeriodSpec::period_start_of`] and [`PeriodSpec::local_date_of`]
/// (reports place their events the same way, faster).
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use sales_metrics::report::{Granularity, PeriodSpec};
///
/// let weeks = PeriodSpec::new(Granularity::IsoWeek).in_zone_named("Europe/Bucharest")?;
/// // Sunday 22:30 UTC is already Monday in Bucharest.
/// let t = Utc.with_ymd_and_hms(2026, 6, 7, 22, 30, 0).unwrap();
/// assert_eq!(weeks.label_of(t).as_deref(), Some("2026-W24"));
/// assert_eq!(weeks.period_start_of(t), NaiveDate::from_ymd_opt(2026, 6, 8));
///
/// let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
/// let halves = PeriodSpec::custom([("H1", d(1, 1)..d(7, 1)), ("H2", d(7, 1)..d(12, 1))])?;
/// assert_eq!(halves.label_of(t).as_deref(), Some("H1"));
/// let december = Utc.with_ymd_and_hms(2026, 12, 24, 12, 0, 0).unwrap();
/// assert_eq!(halves.label_of(december), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Labels
///
/// Periods are labelled `2026-06-01` (day), `2026-W23` (ISO week, with the
/// ISO week-numbering year), `2026-06` (month), `2026-Q2` (quarter) and
/// `2026` (year), custom ranges by their own labels. Years 0000–9999 are
/// written with four digits; any other year in the ISO 8601 expanded form,
/// a sign and at least four digits: `-0001-12-31`, `-0001-W52`,
/// `-0001-12`, `-0001-Q4`, `-0001`, `+10000-01-01`, `+10000-W01`,
/// `+10000-Q1`, `+10000`. The same rule writes instants as text elsewhere
/// in the crate (the CSV and JSON writers, chrono's `Display` and serde
/// forms of dates and times), so a year is spelled the same way in every
/// output.
///
/// Every instant chrono can hold has a period, even when its local date
/// lies beyond [`NaiveDate`]'s range (`DateTime::<Utc>::MAX_UTC` in
/// `Pacific/Kiritimati`): local days are counted in plain integers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PeriodSpecFields")]
pub struct PeriodSpec {
    /// How periods are cut.
    pub(crate) granularity: Cut,
    /// The IANA zone whose local days define periods (default UTC).
    pub(crate) time_zone: Tz,
}

/// The serialized form of a [`PeriodSpec`], checked on the way in.
#[derive(Deserialize)]
struct PeriodSpecFields {
    granularity: Cut,
    time_zone: Tz,
}

impl TryFrom<PeriodSpecFields> for PeriodSpec {
    type Error = Error;

    fn try_from(f: PeriodSpecFields) -> Result<Self> {
        if let Cut::Custom(ranges) = &f.granularity {
            check_custom(ranges)?;
        }
        Ok(Self {
            granularity: f.granularity,
            time_zone: f.time_zone,
        })
    }
}

impl Default for PeriodSpec {
    fn default() -> Self {
        Self::monthly()
    }
}

impl PeriodSpec {
    /// Periods of `granularity` in UTC.
    pub fn new(granularity: Granularity) -> Self {
        Self {
            granularity: granularity.into(),
            time_zone: Tz::UTC,
        }
    }

    /// Monthly periods in UTC.
    pub fn monthly() -> Self {
        Self::new(Granularity::Month)
    }

    /// Caller-defined periods in UTC: each a label (written in the period
    /// column) and a range of local dates, `start..end` (`end` is the day
    /// after the last). Ranges may be given in any order and leave gaps;
    /// events outside every range are left out of the report.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when a range is empty or two overlap.
    pub fn custom<L: Into<String>>(
        ranges: impl IntoIterator<Item = (L, Range<NaiveDate>)>,
    ) -> Result<Self> {
        let ranges: Vec<CustomRange> = ranges
            .into_iter()
            .map(|(label, days)| CustomRange {
                label: label.into(),
                start: days.start,
                end: days.end,
            })
            .collect();
        check_custom(&ranges)?;
        Ok(Self {
            granularity: Cut::Custom(ranges),
            time_zone: Tz::UTC,
        })
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

    /// The granularity of regular periods; `None` for custom ones.
    pub fn granularity(&self) -> Option<Granularity> {
        match self.granularity {
            Cut::Day => Some(Granularity::Day),
            Cut::IsoWeek => Some(Granularity::IsoWeek),
            Cut::Month => Some(Granularity::Month),
            Cut::Quarter => Some(Granularity::Quarter),
            Cut::Year => Some(Granularity::Year),
            Cut::Custom(_) => None,
        }
    }

    /// The time zone whose local days define periods.
    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    /// The label of the period holding `t` (`2026-06`, `2026-W23`, a
    /// custom label, …: see [Labels](PeriodSpec#labels)), or `None` when
    /// it lies outside every custom range.
    pub fn label_of(&self, t: DateTime<Utc>) -> Option<String> {
        let cal = Calendar::bare(self);
        cal.period(t.timestamp_micros()).map(|k| cal.label(k))
    }

    /// The first local day of the period holding `t`, or `None` when it
    /// lies outside every custom range (or chrono cannot hold the day).
    pub fn period_start_of(&self, t: DateTime<Utc>) -> Option<NaiveDate> {
        let cal = Calendar::bare(self);
        cal.period(t.timestamp_micros())
            .and_then(|k| cal.period_start(k))
    }

    /// The local date of `t` in the time zone. Saturates at
    /// [`NaiveDate::MIN`] and [`NaiveDate::MAX`] for the few hours at the
    /// ends of chrono's range whose local date lies beyond it.
    pub fn local_date_of(&self, t: DateTime<Utc>) -> NaiveDate {
        Calendar::bare(self).local_date(t.timestamp_micros())
    }
}

/// Which reps a report covers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RepFilter {
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
    pub(crate) reps: RepFilter,
    /// Only this channel, if set.
    pub(crate) channel: Option<Channel>,
    /// Only prospects of this source, if set.
    pub(crate) source: Option<Source>,
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
    pub(crate) fn rep_mask(&self, ledger: &Ledger) -> Result<Vec<bool>> {
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

/// Local days of a time zone, each mapped to its period: the one place
/// where instants become periods.
///
/// The calendar keeps a table of the local days it expects to be asked
/// about (when each starts, in UTC, and its period), so that classifying an
/// instant costs a short search, not a time-zone conversion; DST change days
/// are 23 or 25 hours long as they should be. The table covers the whole
/// span of the instants when the span is short (up to about two centuries,
/// or as many days as the ledger has events); over a longer span it covers
/// only runs of days around the instants actually used (for
/// `Calendar::for_ledger`, the days of the ledger's events), so that its
/// memory and building time follow the data, not the calendar distance
/// between its earliest and latest instant. Any other instant is converted
/// on the spot, with the same result.
///
/// Every instant chrono can hold, and every `i64` microsecond count, has a
/// period, even when its local date lies beyond [`NaiveDate`]'s range:
/// local days are counted in plain integers. Labels: see
/// [PeriodSpec labels](PeriodSpec#labels).
#[derive(Debug, Clone)]
pub(crate) struct Calendar {
    tz: Tz,
    granularity: Cut,
    /// Custom ranges as local days `[start, end)`, ascending (empty for
    /// the other granularities); a custom period's key is its index here.
    custom: Vec<(i64, i64)>,
    /// Runs of consecutive local days covered by the table, ascending and
    /// disjoint.
    runs: Vec<Run>,
    /// UTC µs of the first instant of each local day, ascending: per run,
    /// one entry per day and one more for the end of its last day.
    day_starts: Vec<i64>,
    /// Period key of each day of the runs, run after run (`OUTSIDE` when
    /// outside every custom range).
    day_period: Vec<PeriodKey>,
}

/// Consecutive local days of a [`Calendar`]'s table.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// The first day (days since 1970-01-01, local).
    first_day: i64,
    /// Number of days.
    len: usize,
    /// Index of the first day in `day_period`.
    period_at: usize,
    /// Index of the first day's start in `day_starts`.
    start_at: usize,
    /// Start of the first day and end of the last (UTC µs).
    start_us: i64,
    end_us: i64,
}

/// Key of a period: chronological order; see [`Calendar::label`].
pub(crate) type PeriodKey = i64;

pub(crate) const OUTSIDE: PeriodKey = i64::MIN;

const DAY_US: i64 = 86_400_000_000;

/// `num_days_from_ce` of 1970-01-01: day keys count days from 0001-01-01
/// (as [`Datelike::num_days_from_ce`]); local days count from the epoch.
const EPOCH_CE: i64 = 719_163;

/// Longest span (days) that always gets one table over all of it: two
/// centuries, a few megabytes.
const DENSE_MAX_DAYS: i64 = 4 * 366 * 50;

/// Saturates a wide value to `i64`.
fn clamp_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// The UTC offset (µs) of `tz` at an instant (clamped to chrono's range:
/// the offset there is fixed).
fn offset_us(tz: &Tz, us: i64) -> i64 {
    if *tz == Tz::UTC {
        return 0;
    }
    let utc = crate::time::from_micros(us).naive_utc();
    i64::from(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc()) * 1_000_000
}

/// The local day (days since 1970-01-01) of an instant, in plain integers
/// so that it exists even where the local date is beyond chrono's range.
fn instant_local_day(tz: &Tz, us: i64) -> i64 {
    let local = i128::from(us) + i128::from(offset_us(tz, us));
    // |local| / day is below 2^37: the cast cannot truncate.
    local.div_euclid(i128::from(DAY_US)) as i64
}

/// The date of a local day, when chrono can hold it and the days around it
/// (so that converting its midnight back to UTC cannot leave the range).
fn date_of_day(day: i64) -> Option<NaiveDate> {
    let ce = i32::try_from(day.checked_add(EPOCH_CE)?).ok()?;
    let date = NaiveDate::from_num_days_from_ce_opt(ce)?;
    date.pred_opt()?.pred_opt()?;
    date.succ_opt()?.succ_opt()?;
    Some(date)
}

/// UTC µs of the first instant of a local day.
fn day_start_us(tz: &Tz, day: i64) -> i64 {
    if let Some(date) = date_of_day(day) {
        // Midnight may fall in a DST gap in some zones; take the first
        // valid local time after it. A day skipped whole (Pacific/Apia,
        // 2011-12-30) starts where the next day starts: it has no instants.
        let mut t = date.and_time(NaiveTime::MIN);
        for _ in 0..(4 * 48) {
            if let Some(dt) = tz.from_local_datetime(&t).earliest() {
                return dt.with_timezone(&Utc).timestamp_micros();
            }
            match t.checked_add_signed(Duration::minutes(15)) {
                Some(next) => t = next,
                None => break,
            }
        }
    }
    // At the ends of chrono's range (and beyond) offsets no longer change:
    // local midnight minus the offset there.
    let midnight = i128::from(day) * i128::from(DAY_US);
    let offset = offset_us(tz, clamp_i64(midnight));
    clamp_i64(midnight - i128::from(offset))
}

/// Checks custom ranges: none empty, none overlapping.
fn check_custom(ranges: &[CustomRange]) -> Result<()> {
    let sorted = sorted_custom(ranges);
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
    Ok(())
}

/// Local days of custom ranges, ascending by start (checked by
/// [`check_custom`] when the [`PeriodSpec`] was made).
fn custom_days(g: &Cut) -> Vec<(i64, i64)> {
    let Cut::Custom(ranges) = g else {
        return Vec::new();
    };
    let day = |d: NaiveDate| i64::from(d.num_days_from_ce()) - EPOCH_CE;
    sorted_custom(ranges)
        .iter()
        .map(|r| (day(r.start), day(r.end)))
        .collect()
}

impl Calendar {
    /// A calendar without a table: every instant converted on the spot.
    pub(crate) fn bare(spec: &PeriodSpec) -> Self {
        Self {
            tz: spec.time_zone,
            granularity: spec.granularity.clone(),
            custom: custom_days(&spec.granularity),
            runs: Vec::new(),
            day_starts: Vec::new(),
            day_period: Vec::new(),
        }
    }

    /// A calendar for the instants `from..=to`: a table of every local day
    /// between them (and one either side) when the span is at most about
    /// two centuries, else of the days around both ends. Instants outside
    /// it still find their periods, more slowly.
    pub(crate) fn new(spec: &PeriodSpec, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        Self::micros(spec, from.timestamp_micros(), to.timestamp_micros())
    }

    /// [`Calendar::new`] for instants in µs.
    pub(crate) fn micros(spec: &PeriodSpec, from_us: i64, to_us: i64) -> Self {
        Self::spanning(spec, from_us, to_us, DENSE_MAX_DAYS)
    }

    /// [`Calendar::new`] with a table over the whole span when it has at
    /// most `dense_max` days.
    fn spanning(spec: &PeriodSpec, from_us: i64, to_us: i64, dense_max: i64) -> Self {
        let mut cal = Self::bare(spec);
        let (lo, hi) = (from_us.min(to_us), from_us.max(to_us));
        let (first, last) = (cal.local_day_of(lo), cal.local_day_of(hi));
        if last - first <= dense_max {
            cal.push_run(first - 1, last + 1);
        } else {
            cal.push_run(first - 1, first + 1);
            cal.push_run(last - 1, last + 1);
        }
        cal
    }

    /// A calendar covering every event of `ledger`: a table of every local
    /// day of its span when the span has at most about two centuries of
    /// days (or no more days than the ledger has events), else of the days
    /// around its events only.
    pub(crate) fn for_ledger(spec: &PeriodSpec, ledger: &Ledger) -> Self {
        let Some((lo, hi)) = ledger.time_span_us() else {
            return Self::micros(spec, 0, 0);
        };
        let span_days = hi.div_euclid(DAY_US) - lo.div_euclid(DAY_US);
        let dense_max =
            DENSE_MAX_DAYS.max(i64::try_from(ledger.events().len()).unwrap_or(i64::MAX));
        if span_days <= dense_max {
            // Local days may differ from UTC days by one at either end.
            return Self::spanning(spec, lo, hi, dense_max + 2);
        }
        let mut cal = Self::bare(spec);
        for (a, b) in event_day_runs(ledger) {
            cal.push_run(a, b);
        }
        cal
    }

    /// Appends local days `first..=last` to the table (after every day
    /// already in it; overlap with the last run extends it).
    fn push_run(&mut self, first: i64, last: i64) {
        let first = match self.runs.last() {
            Some(r) => first.max(r.first_day + r.len as i64),
            None => first,
        };
        if last < first {
            return;
        }
        let extends = self
            .runs
            .last()
            .is_some_and(|r| r.first_day + r.len as i64 == first);
        if !extends {
            self.day_starts.push(day_start_us(&self.tz, first));
            self.runs.push(Run {
                first_day: first,
                len: 0,
                period_at: self.day_period.len(),
                start_at: self.day_starts.len() - 1,
                start_us: self.day_starts.last().copied().unwrap_or(0),
                end_us: 0,
            });
        }
        let days = usize::try_from(last - first + 1).unwrap_or(0);
        self.day_starts.reserve(days);
        self.day_period.reserve(days);
        for d in first..=last {
            self.day_starts.push(day_start_us(&self.tz, d + 1));
            self.day_period.push(self.period_of_day(d));
        }
        if let Some(run) = self.runs.last_mut() {
            run.len += days;
            run.end_us = self.day_starts.last().copied().unwrap_or(run.start_us);
        }
    }

    /// The run holding an instant, and the day's index within it.
    #[inline]
    fn locate(&self, us: i64) -> Option<(&Run, usize)> {
        let run = match self.runs.as_slice() {
            [only] => only,
            runs => runs.get(runs.partition_point(|r| r.start_us <= us).checked_sub(1)?)?,
        };
        if us < run.start_us || us >= run.end_us {
            return None;
        }
        let starts = self.day_starts.get(run.start_at..=run.start_at + run.len)?;
        // Local days last 23 to 25 hours, so a guess from the run's start
        // is off by at most one day for runs of decades; the loops correct
        // it in a step or two. Invariant sought:
        // starts[i - 1] <= us < starts[i].
        let guess = us.abs_diff(run.start_us) / DAY_US as u64;
        let mut i = usize::try_from(guess)
            .unwrap_or(usize::MAX)
            .saturating_add(1)
            .min(run.len);
        while i > 1 && starts.get(i - 1).is_some_and(|&s| s > us) {
            i -= 1;
        }
        while i < run.len && starts.get(i).is_some_and(|&s| s <= us) {
            i += 1;
        }
        Some((run, i - 1))
    }

    /// Index into the calendar's days (see [`Calendar::day_periods`]) of
    /// an instant, when the instant lies on a day of the table.
    #[inline]
    pub(crate) fn day_index(&self, us: i64) -> Option<usize> {
        self.locate(us).map(|(run, i)| run.period_at + i)
    }

    /// The period key of each day of the table (`i64::MIN` when outside
    /// every custom range), indexed like [`Calendar::day_index`].
    pub(crate) fn day_periods(&self) -> &[PeriodKey] {
        &self.day_period
    }

    /// Number of local days in the table (for tests of its size).
    #[cfg(test)]
    fn stored_days(&self) -> usize {
        self.day_period.len()
    }

    /// The local day of an instant (days since 1970-01-01).
    fn local_day_of(&self, us: i64) -> i64 {
        match self.locate(us) {
            Some((run, i)) => run.first_day + i as i64,
            None => instant_local_day(&self.tz, us),
        }
    }

    /// The local date of an instant (µs). Saturates at [`NaiveDate::MIN`]
    /// and [`NaiveDate::MAX`] for the few hours at the ends of chrono's
    /// range whose local date lies beyond it; their period is exact.
    pub(crate) fn local_date(&self, us: i64) -> NaiveDate {
        let day = self.local_day_of(us);
        i32::try_from(day + EPOCH_CE)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .unwrap_or(if day < 0 {
                NaiveDate::MIN
            } else {
                NaiveDate::MAX
            })
    }

    /// The period of an instant (µs), or `None` when it lies outside every
    /// custom range.
    pub(crate) fn period(&self, us: i64) -> Option<PeriodKey> {
        let key = match self.locate(us) {
            Some((run, i)) => self
                .day_period
                .get(run.period_at + i)
                .copied()
                .unwrap_or(OUTSIDE),
            None => self.period_of_day(instant_local_day(&self.tz, us)),
        };
        (key != OUTSIDE).then_some(key)
    }

    /// The period of a local day (days since 1970-01-01).
    fn period_of_day(&self, day: i64) -> PeriodKey {
        match &self.granularity {
            Cut::Custom(_) => {
                let i = self.custom.partition_point(|&(start, _)| start <= day);
                match i.checked_sub(1).and_then(|i| self.custom.get(i)) {
                    Some(&(_, end)) if day < end => (i - 1) as PeriodKey,
                    _ => OUTSIDE,
                }
            }
            g => period_of_day(g, day),
        }
    }

    /// The label of a period key (`2026-06`, `2026-W23`, `2026-06-01`,
    /// `2026-Q2`, `2026`, or a custom label; years outside 0000–9999 as
    /// `-0001`, `+10000`: see [Labels](PeriodSpec#labels)). Empty for a key
    /// no instant has.
    pub(crate) fn label(&self, key: PeriodKey) -> String {
        period_label(&self.granularity, key)
    }

    /// The first local day of a period (`None` when chrono cannot hold it).
    pub(crate) fn period_start(&self, key: PeriodKey) -> Option<NaiveDate> {
        period_start(&self.granularity, key)
    }

    /// The time zone.
    pub(crate) fn time_zone(&self) -> Tz {
        self.tz
    }

    /// How periods are cut.
    pub(crate) fn granularity(&self) -> &Cut {
        &self.granularity
    }
}

/// Runs of local days `(first, last)` that hold every event of `ledger`,
/// ascending and disjoint: an event's local day is its UTC day or a
/// neighbour (offsets stay within ±16 hours), and runs that touch merge.
fn event_day_runs(ledger: &Ledger) -> Vec<(i64, i64)> {
    let mut days: Vec<i64> = Vec::new();
    for e in ledger.events() {
        let d = e.time_us.div_euclid(DAY_US);
        // A prospect's events are in time order: skip repeats cheaply.
        if days.last() != Some(&d) {
            days.push(d);
        }
    }
    days.sort_unstable();
    days.dedup();
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for d in days {
        match runs.last_mut() {
            Some(run) if d - 1 <= run.1 + 1 => run.1 = d + 1,
            _ => runs.push((d - 1, d + 1)),
        }
    }
    runs
}

/// A year as ISO 8601 writes it: four digits for 0000–9999, else a sign
/// and at least four digits.
fn push_year(out: &mut String, year: i64) {
    use std::fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = if (0..=9999).contains(&year) {
        write!(out, "{year:04}")
    } else {
        write!(out, "{year:+05}")
    };
}

/// Largest |year| whose dates the civil-day arithmetic handles exactly.
const MAX_CIVIL_YEAR: i64 = 1_000_000_000;

/// The day (days since 1970-01-01) of a civil date, for years within
/// [`MAX_CIVIL_YEAR`].
fn day_of_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    (year.abs() <= MAX_CIVIL_YEAR).then(|| crate::time::days_from_civil(year, month, day))
}

/// Monday-based weekday (0 = Monday) of a day since 1970-01-01 (a
/// Thursday).
fn weekday0(day: i64) -> i64 {
    (day + 3).rem_euclid(7)
}

fn period_of_day(g: &Cut, day: i64) -> PeriodKey {
    let (year, month, _) = crate::time::civil_from_days(day);
    let month0 = i64::from(month) - 1;
    match g {
        Cut::Day => day + EPOCH_CE,
        Cut::IsoWeek => {
            // The ISO week belongs to the year of its Thursday.
            let thursday = day - weekday0(day) + 3;
            let (iso_year, _, _) = crate::time::civil_from_days(thursday);
            let jan1 = crate::time::days_from_civil(iso_year, 1, 1);
            iso_year * 100 + (thursday - jan1).div_euclid(7) + 1
        }
        Cut::Month => year * 12 + month0,
        Cut::Quarter => year * 4 + month0 / 3,
        Cut::Year => year,
        // Resolved by the calendar, which holds the ranges in day form.
        Cut::Custom(_) => OUTSIDE,
    }
}

fn sorted_custom(ranges: &[CustomRange]) -> Vec<&CustomRange> {
    let mut sorted: Vec<&CustomRange> = ranges.iter().collect();
    sorted.sort_by_key(|r| r.start);
    sorted
}

fn period_label(g: &Cut, key: PeriodKey) -> String {
    let mut out = String::with_capacity(12);
    let mut year_then = |year: i64, rest: std::fmt::Arguments<'_>| {
        push_year(&mut out, year);
        let _ = std::fmt::Write::write_fmt(&mut out, rest);
    };
    match g {
        Cut::Day => {
            let Some(day) = key
                .checked_sub(EPOCH_CE)
                .filter(|d| d.abs() <= MAX_CIVIL_YEAR * 366)
            else {
                return String::new();
            };
            let (y, m, d) = crate::time::civil_from_days(day);
            year_then(y, format_args!("-{m:02}-{d:02}"));
        }
        Cut::IsoWeek => year_then(
            key.div_euclid(100),
            format_args!("-W{:02}", key.rem_euclid(100)),
        ),
        Cut::Month => year_then(
            key.div_euclid(12),
            format_args!("-{:02}", key.rem_euclid(12) + 1),
        ),
        Cut::Quarter => year_then(
            key.div_euclid(4),
            format_args!("-Q{}", key.rem_euclid(4) + 1),
        ),
        Cut::Year => year_then(key, format_args!("")),
        Cut::Custom(ranges) => {
            return usize::try_from(key)
                .ok()
                .and_then(|k| sorted_custom(ranges).get(k).map(|r| r.label.clone()))
                .unwrap_or_default();
        }
    }
    out
}

/// The first day (days since 1970-01-01) of a period.
fn period_start_day(g: &Cut, key: PeriodKey) -> Option<i64> {
    match g {
        Cut::Day => key.checked_sub(EPOCH_CE),
        Cut::IsoWeek => {
            let (year, week) = (key.div_euclid(100), key.rem_euclid(100));
            let jan4 = day_of_civil(year, 1, 4)?;
            let start = jan4 - weekday0(jan4) + (week - 1) * 7;
            // Week 53 of a 52-week year is no period.
            (period_of_day(g, start) == key).then_some(start)
        }
        Cut::Month => day_of_civil(key.div_euclid(12), key.rem_euclid(12) as u32 + 1, 1),
        Cut::Quarter => day_of_civil(key.div_euclid(4), key.rem_euclid(4) as u32 * 3 + 1, 1),
        Cut::Year => day_of_civil(key, 1, 1),
        Cut::Custom(ranges) => {
            let r = sorted_custom(ranges)
                .get(usize::try_from(key).ok()?)
                .copied()?;
            Some(i64::from(r.start.num_days_from_ce()) - EPOCH_CE)
        }
    }
}

fn period_start(g: &Cut, key: PeriodKey) -> Option<NaiveDate> {
    let day = period_start_day(g, key)?;
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(day.checked_add(EPOCH_CE)?).ok()?)
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
            let cal = Calendar::micros(&spec, us(start), us(start + 3_000_000_000));
            for o in offsets {
                let t = us(start + o);
                let want = cal.day_starts.partition_point(|&s| s <= t);
                let inside = want > 0 && want < cal.day_starts.len();
                proptest::prop_assert_eq!(cal.day_index(t), inside.then(|| want - 1));
                let direct = crate::time::from_micros(t).with_timezone(&tz).date_naive();
                proptest::prop_assert_eq!(cal.local_date(t), direct);
                // The on-the-spot conversion agrees with the table.
                let bare = Calendar::bare(&spec);
                proptest::prop_assert_eq!(bare.local_date(t), direct);
            }
        }
    }

    /// Days since 1970-01-01 of a date.
    fn day(y: i32, m: u32, d: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d).map_or(0, |d| i64::from(d.num_days_from_ce()) - EPOCH_CE)
    }

    #[test]
    fn labels() {
        let d = day(2026, 6, 3);
        for (g, want) in [
            (Cut::Day, "2026-06-03"),
            (Cut::IsoWeek, "2026-W23"),
            (Cut::Month, "2026-06"),
            (Cut::Quarter, "2026-Q2"),
            (Cut::Year, "2026"),
        ] {
            assert_eq!(period_label(&g, period_of_day(&g, d)), want);
        }
        // ISO week-year differs from the calendar year at year ends.
        let g = Cut::IsoWeek;
        assert_eq!(
            period_label(&g, period_of_day(&g, day(2027, 1, 1))),
            "2026-W53"
        );
    }

    proptest::proptest! {
        /// Keys, labels and starts agree with chrono wherever it has dates.
        #[test]
        fn periods_agree_with_chrono(ce in -95_000_000i32..95_000_000) {
            let Some(date) = NaiveDate::from_num_days_from_ce_opt(ce) else {
                return Ok(());
            };
            let d = i64::from(ce) - EPOCH_CE;
            let w = date.iso_week();
            let year = |y: i32| if (0..=9999).contains(&y) { format!("{y:04}") } else { format!("{y:+05}") };
            for (g, key, label, start) in [
                (Cut::Day, i64::from(ce), date.to_string(), Some(date)),
                (
                    Cut::IsoWeek,
                    i64::from(w.year()) * 100 + i64::from(w.week()),
                    format!("{}-W{:02}", year(w.year()), w.week()),
                    NaiveDate::from_isoywd_opt(w.year(), w.week(), chrono::Weekday::Mon),
                ),
                (
                    Cut::Month,
                    i64::from(date.year()) * 12 + i64::from(date.month0()),
                    format!("{}-{:02}", year(date.year()), date.month()),
                    date.with_day(1),
                ),
                (
                    Cut::Quarter,
                    i64::from(date.year()) * 4 + i64::from(date.month0() / 3),
                    format!("{}-Q{}", year(date.year()), date.month0() / 3 + 1),
                    NaiveDate::from_ymd_opt(date.year(), date.month0() / 3 * 3 + 1, 1),
                ),
                (
                    Cut::Year,
                    i64::from(date.year()),
                    year(date.year()),
                    NaiveDate::from_ymd_opt(date.year(), 1, 1),
                ),
            ] {
                proptest::prop_assert_eq!(period_of_day(&g, d), key, "{} of {}", g, date);
                proptest::prop_assert_eq!(period_label(&g, key), label.clone(), "{}", g);
                proptest::prop_assert_eq!(period_start(&g, key), start, "{}", g);
            }
        }
    }

    #[test]
    fn extreme_instants_have_periods() -> Result<()> {
        let (min, max) = (
            crate::time::to_micros(chrono::DateTime::<Utc>::MIN_UTC),
            crate::time::to_micros(chrono::DateTime::<Utc>::MAX_UTC),
        );
        let kiritimati: Tz = "Pacific/Kiritimati"
            .parse()
            .map_err(|_| Error::invalid("tz", "x"))?;
        let cal = Calendar::micros(&PeriodSpec::monthly().in_zone(kiritimati), max, max);
        // UTC+14: the last instant is already in a year chrono has no date of.
        let key = cal.period(max);
        assert_eq!(key.map(|k| cal.label(k)).as_deref(), Some("+262143-01"));
        assert_eq!(key.and_then(|k| cal.period_start(k)), None);
        assert_eq!(cal.local_date(max), NaiveDate::MAX);
        let cal = Calendar::micros(&PeriodSpec::new(Granularity::Day), i64::MIN, i64::MAX);
        for us in [i64::MIN, min, min + 1, 0, max, i64::MAX] {
            let key = cal.period(us);
            assert!(key.is_some_and(|k| !cal.label(k).is_empty()), "{us}");
        }
        assert_eq!(
            cal.period(i64::MIN).map(|k| cal.label(k)).as_deref(),
            Some("-290308-12-21")
        );
        Ok(())
    }

    #[test]
    fn stored_days_follow_the_data_not_the_span() -> Result<()> {
        let (min, max) = (
            crate::time::to_micros(chrono::DateTime::<Utc>::MIN_UTC),
            crate::time::to_micros(chrono::DateTime::<Utc>::MAX_UTC),
        );
        let bucharest: Tz = "Europe/Bucharest"
            .parse()
            .map_err(|_| Error::invalid("tz", "x"))?;
        for g in [Granularity::Day, Granularity::IsoWeek, Granularity::Year] {
            let spec = PeriodSpec::new(g).in_zone(bucharest);
            let cal = Calendar::micros(&spec, min, max);
            assert!(cal.stored_days() <= 6, "{}", cal.stored_days());
            // A short span keeps one table over all of it.
            let cal = Calendar::micros(&spec, 0, 400 * DAY_US);
            assert_eq!(cal.stored_days(), 403);
            assert_eq!(cal.runs.len(), 1);
        }
        // A ledger: a year of daily events plus one at each end of time.
        let mut b = crate::ledger::LedgerBuilder::new();
        b.add_rep(crate::model::Rep::new("ana"));
        b.add_prospect(crate::model::ProspectRecord::new("p1"));
        let t0 = chrono::DateTime::<Utc>::from_timestamp(1_780_000_000, 0).unwrap_or_default();
        let mut add = |i: usize, t: chrono::DateTime<Utc>| {
            b.add_contact(crate::model::Contact::new(
                format!("c{i}"),
                "ana",
                "p1",
                t,
                crate::model::Channel::Phone,
            ));
        };
        add(0, chrono::DateTime::<Utc>::MIN_UTC);
        add(1, chrono::DateTime::<Utc>::MAX_UTC);
        for i in 0..365 {
            add(i + 2, t0 + Duration::days(i as i64));
        }
        let ledger = b.build()?;
        let cal = Calendar::for_ledger(
            &PeriodSpec::new(Granularity::Day).in_zone(bucharest),
            &ledger,
        );
        // 365 days and one either side, and three around each end.
        assert_eq!(cal.stored_days(), 367 + 3 + 3);
        assert_eq!(cal.runs.len(), 3);
        for e in ledger.events() {
            assert!(cal.day_index(e.time_us).is_some());
            let direct = crate::time::from_micros(e.time_us).with_timezone(&bucharest);
            if e.time_us != max {
                assert_eq!(cal.local_date(e.time_us), direct.date_naive());
            }
        }
        Ok(())
    }

    #[test]
    fn bucharest_dst_days() -> Result<()> {
        let tz: Tz = "Europe/Bucharest"
            .parse()
            .map_err(|_| Error::invalid("tz", "x"))?;
        let spec = PeriodSpec::new(Granularity::Day).in_zone(tz);
        let cal = Calendar::micros(
            &spec,
            us("2026-03-01T00:00:00Z"),
            us("2026-11-30T00:00:00Z"),
        );
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
        let spec = PeriodSpec::custom([("h2", d(6, 15)..d(7, 1)), ("h1", d(6, 1)..d(6, 15))])?;
        let cal = Calendar::micros(
            &spec,
            us("2026-05-01T00:00:00Z"),
            us("2026-08-01T00:00:00Z"),
        );
        assert_eq!(cal.period(us("2026-05-31T23:59:59Z")), None);
        let k = cal.period(us("2026-06-14T23:59:59Z"));
        assert_eq!(k.map(|k| cal.label(k)), Some("h1".to_owned()));
        let k = cal.period(us("2026-06-15T00:00:00Z"));
        assert_eq!(k.map(|k| cal.label(k)), Some("h2".to_owned()));
        assert_eq!(cal.period(us("2026-07-01T00:00:00Z")), None);
        assert!(PeriodSpec::custom([("a", d(6, 1)..d(6, 20)), ("b", d(6, 10)..d(7, 1))]).is_err());
        assert!(PeriodSpec::custom([("a", d(6, 1)..d(6, 1))]).is_err());
        // Deserializing checks the same.
        let bad = r#"{"granularity":{"custom":[{"label":"a","start":"2026-06-01","end":"2026-06-20"},{"label":"b","start":"2026-06-10","end":"2026-07-01"}]},"time_zone":"UTC"}"#;
        assert!(serde_json::from_str::<PeriodSpec>(bad).is_err());
        let good =
            serde_json::to_string(&spec).map_err(|e| Error::invalid("json", e.to_string()))?;
        assert_eq!(serde_json::from_str::<PeriodSpec>(&good).ok(), Some(spec));
        Ok(())
    }
}
