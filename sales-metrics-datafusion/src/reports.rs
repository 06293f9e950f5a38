//! The SPEC §6, §7 and §11 tables as SQL over `classified_events`, and
//! their results read back into the core's report types (so that they are
//! written by the core's own writers, byte for byte).

use chrono::{NaiveDate, TimeDelta};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Date32Type, Decimal128Type, Int64Type, UInt64Type};
use sales_metrics::report::{
    CohortCounts, CohortReport, CohortRow, Granularity, PeriodCounts, PeriodReport, PeriodRow,
    PeriodSpec, Scope,
};
use sales_metrics::{Channel, ContactClass};

use crate::error::{Error, Result};

/// The literal arguments of `period_label`/`period_start` for `periods`.
pub(crate) fn period_args(periods: &PeriodSpec) -> Result<String> {
    let granularity = periods.granularity().ok_or_else(|| {
        Error::Unsupported(
            "custom periods (the SQL functions take a granularity and a zone)".into(),
        )
    })?;
    let name = match granularity {
        Granularity::Day => "day",
        Granularity::IsoWeek => "week",
        Granularity::Month => "month",
        Granularity::Quarter => "quarter",
        Granularity::Year => "year",
    };
    Ok(format!("'{name}', '{}'", periods.time_zone().name()))
}

/// A `count(*) FILTER (WHERE …) AS name` per class.
fn per_class(name: &str, condition: &str) -> String {
    ContactClass::ALL
        .iter()
        .map(|c| {
            let c = c.as_str();
            format!("count(*) FILTER (WHERE class = '{c}'{condition}) AS {name}_{c}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Seconds and untimed contacts per class and per channel, per prospect.
fn time_columns() -> String {
    let mut cols = Vec::new();
    let seconds = "CAST(CASE WHEN duration_s >= 0 THEN duration_s ELSE 0 END AS DECIMAL(38, 0))";
    for c in ContactClass::ALL {
        let c = c.as_str();
        cols.push(format!(
            "sum({seconds}) FILTER (WHERE class = '{c}') AS seconds_{c}"
        ));
    }
    cols.push(per_class("untimed", " AND duration_s IS NULL"));
    for ch in Channel::ALL {
        let ch = ch.as_str();
        cols.push(format!(
            "sum({seconds}) FILTER (WHERE kind = 'contact' AND channel = '{ch}') AS seconds_ch_{ch}"
        ));
        cols.push(format!(
            "count(*) FILTER (WHERE kind = 'contact' AND channel = '{ch}' AND duration_s IS NULL) AS untimed_ch_{ch}"
        ));
    }
    cols.join(", ")
}

/// The period report (SPEC §6): per (rep, period, prospect) first, so that
/// the distinct-prospect counts are sums, then per (rep, period).
pub(crate) fn period_sql(periods: &PeriodSpec) -> Result<String> {
    let args = period_args(periods)?;
    let mut sums: Vec<String> = ["contacts", "held", "no_show", "cancelled", "sales"]
        .iter()
        .map(|c| format!("sum({c}) AS {c}"))
        .collect();
    for c in ContactClass::ALL {
        for prefix in ["contacts", "seconds", "untimed"] {
            let name = format!("{prefix}_{}", c.as_str());
            sums.push(format!("sum({name}) AS {name}"));
        }
    }
    for ch in Channel::ALL {
        for prefix in ["seconds_ch", "untimed_ch"] {
            let name = format!("{prefix}_{}", ch.as_str());
            sums.push(format!("sum({name}) AS {name}"));
        }
    }
    sums.push("sum(is_new) AS new_prospects".into());
    sums.push("sum(engaged) AS prospects_engaged".into());
    sums.push("count(*) FILTER (WHERE held > 0) AS prospects_met".into());
    Ok(format!(
        "WITH e AS ( \
           SELECT rep_id, period_label(at, {args}) AS period, period_start(at, {args}) AS period_start, \
                  prospect, kind, class, status, channel, duration_s FROM classified_events), \
         per AS ( \
           SELECT rep_id, period, period_start, prospect, \
             count(*) FILTER (WHERE kind = 'contact') AS contacts, \
             {classes}, \
             max(CASE WHEN class = 'new' THEN 1 ELSE 0 END) AS is_new, \
             max(CASE WHEN class IN ('new', 'follow_up', 'reactivated') THEN 1 ELSE 0 END) AS engaged, \
             count(*) FILTER (WHERE kind = 'meeting' AND status = 'held') AS held, \
             count(*) FILTER (WHERE kind = 'meeting' AND status = 'no_show') AS no_show, \
             count(*) FILTER (WHERE kind = 'meeting' AND status = 'cancelled') AS cancelled, \
             count(*) FILTER (WHERE kind = 'sale') AS sales, \
             {time} \
           FROM e WHERE period IS NOT NULL GROUP BY rep_id, period, period_start, prospect) \
         SELECT rep_id, period, period_start, {sums} FROM per \
         GROUP BY rep_id, period, period_start ORDER BY rep_id, period_start, period",
        classes = per_class("contacts", ""),
        time = time_columns(),
        sums = sums.join(", "),
    ))
}

/// Revenue per (rep, period, currency) (SPEC §11 `revenue`): sales with an
/// amount only; the empty code for an amount without a currency.
pub(crate) fn revenue_sql(periods: &PeriodSpec) -> Result<String> {
    let args = period_args(periods)?;
    Ok(format!(
        "SELECT rep_id, period_label(at, {args}) AS period, coalesce(currency, '') AS currency, \
                sum(CAST(amount_minor AS DECIMAL(38, 0))) AS revenue_minor \
         FROM classified_events \
         WHERE kind = 'sale' AND amount_minor IS NOT NULL AND period_label(at, {args}) IS NOT NULL \
         GROUP BY 1, 2, 3"
    ))
}

/// The cohort report (SPEC §7): one row per engagement first (its
/// starting contact's rep and time, contacts, held meetings, the won
/// sale's time and how it ended), then per (rep, cohort).
pub(crate) fn cohort_sql(periods: &PeriodSpec, per_rep: bool) -> Result<String> {
    let args = period_args(periods)?;
    let lane = if per_rep {
        "g.prospect, g.rep_id"
    } else {
        "g.prospect"
    };
    Ok(format!(
        "WITH g AS ( \
           SELECT prospect, engagement, \
             min(CASE WHEN kind = 'contact' AND id = engagement THEN rep_id END) AS rep_id, \
             min(CASE WHEN kind = 'contact' AND id = engagement THEN at END) AS start_at, \
             count(*) FILTER (WHERE kind = 'contact') AS contacts, \
             count(*) FILTER (WHERE kind = 'meeting' AND held) AS meetings_held, \
             min(CASE WHEN kind = 'sale' THEN at END) AS won_at \
           FROM classified_events WHERE engagement IS NOT NULL GROUP BY prospect, engagement), \
         sold AS (SELECT DISTINCT prospect FROM classified_events WHERE kind = 'sale'), \
         ended AS ( \
           SELECT g.*, \
             lead(start_at) OVER (PARTITION BY {lane} ORDER BY g.start_at, g.engagement) IS NOT NULL AS superseded, \
             s.prospect IS NOT NULL AS prospect_sold \
           FROM g LEFT JOIN sold s ON g.prospect = s.prospect) \
         SELECT rep_id, period_label(start_at, {args}) AS cohort, period_start(start_at, {args}) AS cohort_start, \
           count(*) AS engagements, \
           count(*) FILTER (WHERE meetings_held > 0) AS met, \
           count(*) FILTER (WHERE won_at IS NOT NULL) AS won, \
           count(*) FILTER (WHERE won_at IS NOT NULL AND meetings_held > 0) AS won_and_met, \
           count(*) FILTER (WHERE won_at IS NULL AND NOT superseded AND NOT prospect_sold) AS open, \
           count(*) FILTER (WHERE won_at IS NULL AND superseded) AS lapsed, \
           count(*) FILTER (WHERE won_at IS NULL AND NOT superseded AND prospect_sold) AS lost_to_other, \
           sum(contacts) AS contacts, \
           sum(CASE WHEN won_at IS NOT NULL THEN contacts ELSE 0 END) AS contacts_in_won, \
           array_agg(CAST(won_at AS BIGINT) - CAST(start_at AS BIGINT)) FILTER (WHERE won_at IS NOT NULL) AS cycle_us \
         FROM ended GROUP BY 1, 2, 3 HAVING period_label(start_at, {args}) IS NOT NULL \
         ORDER BY rep_id, cohort_start, cohort"
    ))
}

/// Contact classes (SPEC §11 `contact_classes`), by contact id.
pub(crate) const CLASSES_SQL: &str = "SELECT id AS contact_id, prospect, class, \
       CASE WHEN class = 'customer' THEN NULL ELSE engagement END AS engagement \
FROM classified_events WHERE kind = 'contact' ORDER BY contact_id";

/// The partition used (SPEC §11 `prospect_clusters`), by record id.
pub(crate) const CLUSTERS_SQL: &str =
    "SELECT prospect_id, prospect AS cluster_id FROM prospect_map ORDER BY prospect_id";

/// Reads named columns of one batch.
pub(crate) struct Columns<'b> {
    batch: &'b RecordBatch,
}

impl<'b> Columns<'b> {
    pub(crate) fn new(batch: &'b RecordBatch) -> Self {
        Self { batch }
    }

    fn column(&self, name: &str) -> Result<&'b ArrayRef> {
        self.batch
            .column_by_name(name)
            .ok_or_else(|| Error::Shape(format!("no column {name}")))
    }

    /// A text column (NULL as `None`).
    pub(crate) fn text(&self, name: &str) -> Result<Vec<Option<String>>> {
        let a = cast(self.column(name)?, &DataType::Utf8)?;
        let a = a.as_string::<i32>();
        Ok((0..a.len())
            .map(|i| (!a.is_null(i)).then(|| a.value(i).to_owned()))
            .collect())
    }

    /// A count column (NULL as 0: a sum over no rows).
    pub(crate) fn count(&self, name: &str) -> Result<Vec<u64>> {
        let a = cast(self.column(name)?, &DataType::UInt64)?;
        let a = a.as_primitive::<UInt64Type>();
        Ok((0..a.len())
            .map(|i| if a.is_null(i) { 0 } else { a.value(i) })
            .collect())
    }

    /// An exact sum column (NULL as 0: a sum over no rows).
    pub(crate) fn sum(&self, name: &str) -> Result<Vec<i128>> {
        let a = cast(self.column(name)?, &DataType::Decimal128(38, 0))?;
        let a = a.as_primitive::<Decimal128Type>();
        Ok((0..a.len())
            .map(|i| if a.is_null(i) { 0 } else { a.value(i) })
            .collect())
    }

    /// A date column.
    pub(crate) fn date(&self, name: &str) -> Result<Vec<Option<NaiveDate>>> {
        let a = cast(self.column(name)?, &DataType::Date32)?;
        let a = a.as_primitive::<Date32Type>();
        Ok((0..a.len())
            .map(|i| (!a.is_null(i)).then(|| a.value_as_date(i)).flatten())
            .collect())
    }

    /// A list-of-integers column (NULL as empty).
    pub(crate) fn integer_lists(&self, name: &str) -> Result<Vec<Vec<i64>>> {
        let a = self.column(name)?;
        let list = a
            .as_list_opt::<i32>()
            .ok_or_else(|| Error::Shape(format!("{name} is not a list")))?;
        (0..list.len())
            .map(|i| {
                if list.is_null(i) {
                    return Ok(Vec::new());
                }
                let values = cast(&list.value(i), &DataType::Int64)?;
                let values = values.as_primitive::<Int64Type>();
                Ok(values.iter().flatten().collect())
            })
            .collect()
    }
}

/// The period report's rows from the results of [`period_sql`] and
/// [`revenue_sql`].
pub(crate) fn period_report(
    periods: &PeriodSpec,
    batches: &[RecordBatch],
    revenue: &[RecordBatch],
) -> Result<PeriodReport> {
    let mut rows = Vec::new();
    for batch in batches {
        let c = Columns::new(batch);
        let (reps, labels, starts) = (
            c.text("rep_id")?,
            c.text("period")?,
            c.date("period_start")?,
        );
        let count = |name: &str| c.count(name);
        let (contacts, held, no_show, cancelled, sales) = (
            count("contacts")?,
            count("held")?,
            count("no_show")?,
            count("cancelled")?,
            count("sales")?,
        );
        let (new_prospects, engaged, met) = (
            count("new_prospects")?,
            count("prospects_engaged")?,
            count("prospects_met")?,
        );
        let by_class = |prefix: &str| -> Result<Vec<Vec<u64>>> {
            ContactClass::ALL
                .iter()
                .map(|k| count(&format!("{prefix}_{}", k.as_str())))
                .collect()
        };
        let sums_by_class: Vec<Vec<i128>> = ContactClass::ALL
            .iter()
            .map(|k| c.sum(&format!("seconds_{}", k.as_str())))
            .collect::<Result<_>>()?;
        let sums_by_channel: Vec<Vec<i128>> = Channel::ALL
            .iter()
            .map(|ch| c.sum(&format!("seconds_ch_{}", ch.as_str())))
            .collect::<Result<_>>()?;
        let untimed_by_channel: Vec<Vec<u64>> = Channel::ALL
            .iter()
            .map(|ch| count(&format!("untimed_ch_{}", ch.as_str())))
            .collect::<Result<_>>()?;
        let (classes, untimed) = (by_class("contacts")?, by_class("untimed")?);
        for i in 0..batch.num_rows() {
            let at = |v: &Vec<u64>| v.get(i).copied().unwrap_or(0);
            let mut counts = PeriodCounts::default();
            counts.contacts = at(&contacts);
            counts.new_prospects = at(&new_prospects);
            counts.prospects_engaged = at(&engaged);
            counts.meetings_held = at(&held);
            counts.meetings_no_show = at(&no_show);
            counts.meetings_cancelled = at(&cancelled);
            counts.prospects_met = at(&met);
            counts.sales = at(&sales);
            for (k, v) in classes.iter().enumerate() {
                set(&mut counts.contacts_by_class, k, at(v));
            }
            for (k, v) in untimed.iter().enumerate() {
                set(&mut counts.untimed_by_class, k, at(v));
            }
            for (k, v) in sums_by_class.iter().enumerate() {
                set(
                    &mut counts.seconds_by_class,
                    k,
                    v.get(i).copied().unwrap_or(0),
                );
            }
            for (k, v) in sums_by_channel.iter().enumerate() {
                set(
                    &mut counts.seconds_by_channel,
                    k,
                    v.get(i).copied().unwrap_or(0),
                );
            }
            for (k, v) in untimed_by_channel.iter().enumerate() {
                set(&mut counts.untimed_by_channel, k, at(v));
            }
            rows.push(PeriodRow {
                rep_id: required(&reps, i, "rep_id")?,
                period: required(&labels, i, "period")?,
                period_start: starts.get(i).copied().flatten(),
                counts,
                revenue: Vec::new(),
            });
        }
    }
    add_revenue(&mut rows, revenue)?;
    Ok(PeriodReport {
        scope: Scope::all(),
        periods: periods.clone(),
        rows,
    })
}

fn set<T>(array: &mut [T], i: usize, value: T) {
    if let Some(slot) = array.get_mut(i) {
        *slot = value;
    }
}

fn required(column: &[Option<String>], i: usize, name: &str) -> Result<String> {
    column
        .get(i)
        .cloned()
        .flatten()
        .ok_or_else(|| Error::Shape(format!("{name} is NULL")))
}

/// Puts each (rep, period, currency) sum into its row, currencies sorted.
fn add_revenue(rows: &mut [PeriodRow], revenue: &[RecordBatch]) -> Result<()> {
    let mut index: std::collections::HashMap<(String, String), usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| ((r.rep_id.clone(), r.period.clone()), i))
        .collect();
    for batch in revenue {
        let c = Columns::new(batch);
        let (reps, labels, currencies, sums) = (
            c.text("rep_id")?,
            c.text("period")?,
            c.text("currency")?,
            c.sum("revenue_minor")?,
        );
        for i in 0..batch.num_rows() {
            let key = (
                required(&reps, i, "rep_id")?,
                required(&labels, i, "period")?,
            );
            let row = index
                .get_mut(&key)
                .and_then(|&mut r| rows.get_mut(r))
                .ok_or_else(|| Error::Shape(format!("revenue of {key:?} without a period row")))?;
            row.revenue.push((
                currencies.get(i).cloned().flatten().unwrap_or_default(),
                sums.get(i).copied().unwrap_or(0),
            ));
        }
    }
    for row in rows {
        row.revenue.sort();
    }
    Ok(())
}

/// The cohort report's rows from the results of [`cohort_sql`].
pub(crate) fn cohort_report(periods: &PeriodSpec, batches: &[RecordBatch]) -> Result<CohortReport> {
    let mut rows = Vec::new();
    for batch in batches {
        let c = Columns::new(batch);
        let (reps, labels, starts) = (
            c.text("rep_id")?,
            c.text("cohort")?,
            c.date("cohort_start")?,
        );
        let names = [
            "engagements",
            "met",
            "won",
            "won_and_met",
            "open",
            "lapsed",
            "lost_to_other",
            "contacts",
            "contacts_in_won",
        ];
        let counts: Vec<Vec<u64>> = names.iter().map(|n| c.count(n)).collect::<Result<_>>()?;
        let cycles = c.integer_lists("cycle_us")?;
        for i in 0..batch.num_rows() {
            let at = |k: usize| counts.get(k).and_then(|v| v.get(i)).copied().unwrap_or(0);
            let mut row = CohortCounts::default();
            row.engagements = at(0);
            row.met = at(1);
            row.won = at(2);
            row.won_and_met = at(3);
            row.open = at(4);
            row.lapsed = at(5);
            row.lost_to_other = at(6);
            row.contacts = at(7);
            row.contacts_in_won = at(8);
            let spans = cycles.get(i).map_or(&[][..], |v| &v[..]);
            rows.push(CohortRow {
                rep_id: required(&reps, i, "rep_id")?,
                cohort: required(&labels, i, "cohort")?,
                cohort_start: starts.get(i).copied().flatten(),
                counts: row.with_cycles(spans.iter().map(|&us| TimeDelta::microseconds(us))),
            });
        }
    }
    Ok(CohortReport {
        scope: Scope::all(),
        periods: periods.clone(),
        rows,
    })
}
