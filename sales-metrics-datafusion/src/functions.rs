//! The crate's SQL functions: SPEC §5 classification as window functions,
//! SPEC §6 periods as scalar functions.
//!
//! Every setting travels as a literal argument, so a function means the
//! same on every executor of a cluster whatever session registered it.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Builder, LargeStringArray, StringArray,
    StringBuilder, StringViewArray, StructArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Field, FieldRef, Fields, TimeUnit, TimestampMicrosecondType,
};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    ColumnarValue, PartitionEvaluator, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility, WindowUDF, WindowUDFImpl,
};
use datafusion::prelude::SessionContext;
use sales_metrics::report::{Granularity, PeriodSpec};
use sales_metrics::{ClassifyConfig, EventKind, HistoryEvent, Newness, classify_history};

/// Every function of the crate, for a [`SessionContext`] or an executor's
/// function registry: `contact_class` and `contact_engagement` (window
/// functions), `period_label` and `period_start` (scalar functions).
pub fn window_functions() -> Vec<WindowUDF> {
    vec![
        WindowUDF::from(ClassOf::new(Output::Class)),
        WindowUDF::from(ClassOf::new(Output::Engagement)),
        WindowUDF::from(ClassOf::new(Output::Both)),
    ]
}

/// The scalar functions of [`window_functions`]'s family: `period_label`
/// and `period_start`.
pub fn scalar_functions() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::from(PeriodOf::new(PeriodOutput::Label)),
        ScalarUDF::from(PeriodOf::new(PeriodOutput::Start)),
    ]
}

/// Registers the crate's functions on `ctx` (see [`crate`] for their
/// arguments).
pub fn register_functions(ctx: &SessionContext) {
    for f in window_functions() {
        ctx.register_udwf(f);
    }
    for f in scalar_functions() {
        ctx.register_udf(f);
    }
}

/// What a classification window function returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Output {
    /// `contact_class`: the class of a contact (NULL for other events).
    Class,
    /// `contact_engagement`: the id of the contact that started the
    /// event's engagement (NULL outside any).
    Engagement,
    /// `contact_classification`: both, as a struct `{class, engagement}`
    /// (one evaluation instead of two).
    Both,
}

/// `contact_class(kind, at, id, rep_id, held [, dormancy_us, per_rep])`
/// and `contact_engagement(…)` over `PARTITION BY prospect ORDER BY at,
/// kind rank, id`: each partition is one prospect's history, classified
/// whole by [`classify_history`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClassOf {
    output: Output,
    signature: Signature,
}

impl ClassOf {
    fn new(output: Output) -> Self {
        Self {
            output,
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }
}

impl WindowUDFImpl for ClassOf {
    fn name(&self) -> &str {
        match self.output {
            Output::Class => "contact_class",
            Output::Engagement => "contact_engagement",
            Output::Both => "contact_classification",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn partition_evaluator(
        &self,
        _args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(ClassEvaluator {
            output: self.output,
        }))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        let n = field_args.input_fields().len();
        if n != 5 && n != 7 {
            return exec_err!(
                "{}(kind, at, id, rep_id, held [, dormancy_us, per_rep]) takes 5 or 7 arguments, not {n}",
                self.name()
            );
        }
        let data_type = match self.output {
            Output::Both => DataType::Struct(both_fields()),
            Output::Class | Output::Engagement => DataType::Utf8,
        };
        Ok(Arc::new(Field::new(field_args.name(), data_type, true)))
    }
}

#[derive(Debug)]
struct ClassEvaluator {
    output: Output,
}

impl PartitionEvaluator for ClassEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        let history = History::of(values, num_rows)?;
        let config = config_of(values)?;
        let events = history.events(values, num_rows)?;
        let classes = classify_history(&events, &config);
        let class = || {
            let mut out = StringBuilder::with_capacity(num_rows, num_rows * 8);
            for c in &classes {
                out.append_option(c.class.map(|c| c.as_str()));
            }
            Arc::new(out.finish()) as ArrayRef
        };
        let engagement = || {
            let mut out = StringBuilder::with_capacity(num_rows, num_rows * 8);
            for c in &classes {
                out.append_option(c.engagement.and_then(|s| events.get(s)).map(|e| e.id));
            }
            Arc::new(out.finish()) as ArrayRef
        };
        Ok(match self.output {
            Output::Class => class(),
            Output::Engagement => engagement(),
            Output::Both => Arc::new(StructArray::try_new(
                both_fields(),
                vec![class(), engagement()],
                None,
            )?),
        })
    }
}

/// The fields of `contact_classification`'s struct.
fn both_fields() -> Fields {
    Fields::from(vec![
        Field::new("class", DataType::Utf8, true),
        Field::new("engagement", DataType::Utf8, true),
    ])
}

/// A text argument read in place, whatever its string type (casting a
/// slice of a large view array copies its whole buffer list: quadratic
/// over a partitioned window).
enum Text<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> Text<'a> {
    fn of(array: &'a ArrayRef, what: &str) -> Result<Self> {
        Ok(match array.data_type() {
            DataType::Utf8 => Text::Utf8(array.as_string::<i32>()),
            DataType::LargeUtf8 => Text::Large(array.as_string::<i64>()),
            DataType::Utf8View => Text::View(array.as_string_view()),
            other => return exec_err!("contact_class: {what} must be text, not {other}"),
        })
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Text::Utf8(a) => (!a.is_null(i)).then(|| a.value(i)),
            Text::Large(a) => (!a.is_null(i)).then(|| a.value(i)),
            Text::View(a) => (!a.is_null(i)).then(|| a.value(i)),
        }
    }
}

/// The argument columns of one partition.
struct History {
    at: ArrayRef,
    held: BooleanArray,
}

impl History {
    fn of(values: &[ArrayRef], num_rows: usize) -> Result<Self> {
        let at = arg(values, 1, num_rows)?;
        let at = match at.data_type() {
            DataType::Timestamp(TimeUnit::Microsecond, None) => at.clone(),
            _ => cast(at, &DataType::Timestamp(TimeUnit::Microsecond, None))?,
        };
        Ok(Self {
            at,
            held: cast(arg(values, 4, num_rows)?, &DataType::Boolean)?
                .as_boolean()
                .clone(),
        })
    }

    /// The rows as [`HistoryEvent`]s; a NULL in a required argument or an
    /// unknown kind is an error naming the event.
    fn events<'h>(
        &'h self,
        values: &'h [ArrayRef],
        num_rows: usize,
    ) -> Result<Vec<HistoryEvent<'h>>> {
        let kind = Text::of(arg(values, 0, num_rows)?, "kind")?;
        let id = Text::of(arg(values, 2, num_rows)?, "id")?;
        let rep = Text::of(arg(values, 3, num_rows)?, "rep_id")?;
        let at = self.at.as_primitive::<TimestampMicrosecondType>();
        (0..num_rows)
            .map(|i| {
                let id_text = id.get(i).unwrap_or("");
                let kind = match kind.get(i) {
                    Some("contact") => EventKind::Contact,
                    Some("meeting") => EventKind::Meeting,
                    Some("sale") => EventKind::Sale,
                    other => {
                        return exec_err!(
                            "contact_class: event {id_text:?} has kind {other:?}, not contact, meeting or sale"
                        );
                    }
                };
                let time = (!at.is_null(i))
                    .then(|| DateTime::from_timestamp_micros(at.value(i)))
                    .flatten();
                let (Some(time), Some(rep_id), Some(event_id)) = (time, rep.get(i), id.get(i)) else {
                    return exec_err!("contact_class: event {id_text:?} has no time, rep_id or id");
                };
                Ok(HistoryEvent {
                    kind,
                    at: time,
                    id: event_id,
                    rep_id,
                    held: !self.held.is_null(i) && self.held.value(i),
                })
            })
            .collect()
    }
}

/// Argument `i` (0-based) of a window function call.
fn arg(values: &[ArrayRef], i: usize, num_rows: usize) -> Result<&ArrayRef> {
    match values.get(i) {
        Some(a) if a.len() == num_rows => Ok(a),
        _ => exec_err!("contact_class: argument {} missing", i + 1),
    }
}

/// The classification settings of the optional arguments 6 and 7
/// (`dormancy_us` as an integer, `per_rep` as a boolean), read from the
/// first row (they are literals); SPEC defaults without them.
fn config_of(values: &[ArrayRef]) -> Result<ClassifyConfig> {
    let mut config = ClassifyConfig::default();
    if let (Some(dormancy), Some(per_rep)) = (values.get(5), values.get(6)) {
        if dormancy.is_empty() {
            return Ok(config);
        }
        let dormancy = cast(dormancy, &DataType::Int64)?;
        let dormancy = dormancy.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let per_rep = cast(per_rep, &DataType::Boolean)?;
        let per_rep = per_rep.as_boolean();
        if dormancy.is_null(0) || dormancy.value(0) < 0 || per_rep.is_null(0) {
            return exec_err!(
                "contact_class: dormancy_us must be a non-negative integer and per_rep a boolean"
            );
        }
        config.dormancy = TimeDelta::microseconds(dormancy.value(0));
        if per_rep.value(0) {
            config.newness = Newness::PerRep;
        }
    }
    Ok(config)
}

/// What a period function returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PeriodOutput {
    /// `period_label`: `2026-06`, `2026-W23`, `2026-06-01`, `2026-Q2`, `2026`.
    Label,
    /// `period_start`: the period's first local day.
    Start,
}

/// `period_label(at, granularity, time_zone)` and `period_start(…)`: the
/// SPEC §6 period of an instant (`granularity`: `day`, `week`, `month`,
/// `quarter`, `year`; `time_zone`: an IANA name), both literals.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PeriodOf {
    output: PeriodOutput,
    signature: Signature,
}

impl PeriodOf {
    fn new(output: PeriodOutput) -> Self {
        Self {
            output,
            signature: Signature::any(3, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for PeriodOf {
    fn name(&self) -> &str {
        match self.output {
            PeriodOutput::Label => "period_label",
            PeriodOutput::Start => "period_start",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.output {
            PeriodOutput::Label => DataType::Utf8,
            PeriodOutput::Start => DataType::Date32,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [at, granularity, zone] = args.args.as_slice() else {
            return exec_err!(
                "{}(at, granularity, time_zone) takes 3 arguments",
                self.name()
            );
        };
        let spec = period_spec(self.name(), granularity, zone)?;
        let at = cast(
            &at.to_array(args.number_rows)?,
            &DataType::Timestamp(TimeUnit::Microsecond, None),
        )?;
        let at = at.as_primitive::<TimestampMicrosecondType>();
        let instants = (0..at.len()).map(|i| {
            (!at.is_null(i))
                .then(|| DateTime::<Utc>::from_timestamp_micros(at.value(i)))
                .flatten()
        });
        let array: ArrayRef = match self.output {
            PeriodOutput::Label => Arc::new(labels(&spec, instants)),
            PeriodOutput::Start => {
                let mut out = Date32Builder::with_capacity(at.len());
                for t in instants {
                    out.append_option(
                        t.and_then(|t| spec.period_start_of(t))
                            .map(days_since_epoch),
                    );
                }
                Arc::new(out.finish())
            }
        };
        Ok(ColumnarValue::Array(array))
    }
}

/// Labels of `instants`, one label computed per local day seen in a run
/// (rows of one period tend to come together).
fn labels(spec: &PeriodSpec, instants: impl Iterator<Item = Option<DateTime<Utc>>>) -> StringArray {
    let mut out = StringBuilder::new();
    let mut last: Option<(NaiveDate, Option<String>)> = None;
    for t in instants {
        let Some(t) = t else {
            out.append_null();
            continue;
        };
        let day = spec.local_date_of(t);
        match &last {
            Some((d, label)) if *d == day => out.append_option(label.as_deref()),
            _ => {
                let label = spec.label_of(t);
                out.append_option(label.as_deref());
                last = Some((day, label));
            }
        }
    }
    out.finish()
}

/// The period spec of the literal arguments.
fn period_spec(
    name: &str,
    granularity: &ColumnarValue,
    zone: &ColumnarValue,
) -> Result<PeriodSpec> {
    let text = |v: &ColumnarValue| match v {
        ColumnarValue::Scalar(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::Utf8View(Some(s))
            | ScalarValue::LargeUtf8(Some(s)),
        ) => Some(s.clone()),
        _ => None,
    };
    let (Some(g), Some(z)) = (text(granularity), text(zone)) else {
        return exec_err!("{name}: granularity and time_zone must be text literals");
    };
    let g = Granularity::parse(&g).or_else(|e| exec_err!("{name}: {e}"))?;
    PeriodSpec::new(g)
        .in_zone_named(&z)
        .or_else(|e| exec_err!("{name}: {e}"))
}

/// Arrow's Date32: days since 1970-01-01.
fn days_since_epoch(d: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((d - epoch).num_days()).unwrap_or(i32::MAX)
}
