//! SPEC §2 records as DataFusion tables: each kind read from CSV or
//! Parquet, one file or a folder of files (partitioned), exposed as a typed
//! view; the prospect partition (SPEC §4); every event of a prospect in
//! one view, classified in another.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionContext};
use sales_metrics::ClassifyConfig;
use sales_metrics::Newness;

use crate::error::{Error, Result};

/// How a folder's records are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// SPEC §2 CSV: `contacts.csv` or a folder `contacts/` of `.csv` files
    /// sharing one header, and so on for each kind.
    Csv,
    /// Parquet: `contacts.parquet` or a folder `contacts/` of `.parquet`
    /// files, with the SPEC §2 column names (times as timestamps or RFC
    /// 3339 text), as [`crate::SalesContext::write_parquet`] writes them.
    Parquet,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

/// One record kind: its table name and its SPEC §2 columns, required
/// ones first, each with the SQL that types it.
pub(crate) struct Kind {
    pub(crate) table: &'static str,
    /// The record kind as rejections name it (SPEC §3).
    record: &'static str,
    required: &'static [(&'static str, Typed)],
    optional: &'static [(&'static str, Typed)],
}

/// How a column is typed in its view.
#[derive(Clone, Copy)]
enum Typed {
    Text,
    /// An enumeration: compared ignoring ASCII case (SPEC §3).
    Lower,
    Time,
    Integer,
}

impl Typed {
    fn sql(self, column: &str, raw: &DataType) -> String {
        // `arrow_cast` to Utf8, not `CAST(… AS VARCHAR)` (a Utf8View in
        // DataFusion 55): slicing a large view array per window partition
        // copies its whole buffer list, which made 10M contacts take hours.
        let text = format!("NULLIF(arrow_cast(\"{column}\", 'Utf8'), '')");
        match self {
            Typed::Text => format!("{text} AS \"{column}\""),
            Typed::Lower => format!("lower({text}) AS \"{column}\""),
            Typed::Time if matches!(raw, DataType::Timestamp(..)) => {
                format!("to_timestamp_micros(\"{column}\") AS \"{column}\"")
            }
            Typed::Time => format!("to_timestamp_micros({text}) AS \"{column}\""),
            Typed::Integer => format!("CAST({text} AS BIGINT) AS \"{column}\""),
        }
    }

    fn null(self, column: &str) -> String {
        let ty = match self {
            Typed::Text | Typed::Lower => {
                return format!("arrow_cast(NULL, 'Utf8') AS \"{column}\"");
            }
            Typed::Time => "TIMESTAMP",
            Typed::Integer => "BIGINT",
        };
        format!("CAST(NULL AS {ty}) AS \"{column}\"")
    }
}

/// The five record kinds of SPEC §2.
pub(crate) const KINDS: [Kind; 5] = [
    Kind {
        table: "reps",
        record: "rep",
        required: &[("rep_id", Typed::Text)],
        optional: &[
            ("name", Typed::Text),
            ("team_id", Typed::Text),
            ("daily_contact_target", Typed::Integer),
        ],
    },
    Kind {
        table: "prospects",
        record: "prospect",
        required: &[("prospect_id", Typed::Text)],
        optional: &[
            ("name", Typed::Text),
            ("company", Typed::Text),
            ("email", Typed::Text),
            ("phone", Typed::Text),
            ("city", Typed::Text),
            ("country", Typed::Text),
            ("source", Typed::Lower),
            ("created_at", Typed::Time),
            ("created_by", Typed::Text),
        ],
    },
    Kind {
        table: "contacts",
        record: "contact",
        required: &[
            ("contact_id", Typed::Text),
            ("rep_id", Typed::Text),
            ("prospect_id", Typed::Text),
            ("occurred_at", Typed::Time),
            ("channel", Typed::Lower),
        ],
        optional: &[
            ("logged_at", Typed::Time),
            ("direction", Typed::Lower),
            ("duration_s", Typed::Integer),
            ("outcome", Typed::Lower),
        ],
    },
    Kind {
        table: "meetings",
        record: "meeting",
        required: &[
            ("meeting_id", Typed::Text),
            ("rep_id", Typed::Text),
            ("prospect_id", Typed::Text),
            ("held_at", Typed::Time),
        ],
        optional: &[("status", Typed::Lower)],
    },
    Kind {
        table: "sales",
        record: "sale",
        required: &[
            ("sale_id", Typed::Text),
            ("rep_id", Typed::Text),
            ("prospect_id", Typed::Text),
            ("closed_at", Typed::Time),
        ],
        optional: &[("amount_minor", Typed::Integer), ("currency", Typed::Text)],
    },
];

/// The supplied partition (`prospect_clusters`, SPEC §4 and §11).
const CLUSTERS: Kind = Kind {
    table: "prospect_clusters",
    record: "prospect",
    required: &[("prospect_id", Typed::Text), ("cluster_id", Typed::Text)],
    optional: &[],
};

/// Registers the records of `dir` on `ctx`: a typed view per kind
/// (`reps`, `prospects`, `contacts`, `meetings`, `sales`) over a raw table
/// (`<kind>_raw`), `prospect_clusters` when the folder has one, and the
/// views `prospect_map`, `sales_events` and `classified_events`.
pub(crate) async fn register_folder(
    ctx: &SessionContext,
    dir: &Path,
    format: Format,
    config: &ClassifyConfig,
) -> Result<()> {
    for kind in &KINDS {
        let source = locate(dir, kind.table, format)?.ok_or_else(|| {
            Error::MissingFile(dir.join(format!("{}.{}", kind.table, format.extension())))
        })?;
        register_kind(ctx, kind, &source, format).await?;
    }
    let clusters = match locate(dir, CLUSTERS.table, format)? {
        Some(source) => {
            register_kind(ctx, &CLUSTERS, &source, format).await?;
            true
        }
        None => false,
    };
    for sql in [
        prospect_map_sql(clusters),
        EVENTS_SQL.to_owned(),
        classified_sql(config),
    ] {
        ctx.sql(&sql).await?;
    }
    Ok(())
}

/// `dir/<table>.<ext>` or a folder `dir/<table>/`.
fn locate(dir: &Path, table: &str, format: Format) -> Result<Option<PathBuf>> {
    let file = dir.join(format!("{table}.{}", format.extension()));
    let folder = dir.join(table);
    Ok(if file.is_file() {
        Some(file)
    } else if folder.is_dir() {
        Some(folder)
    } else {
        None
    })
}

/// Registers `<kind>_raw` over `source` and the typed view `<kind>`.
async fn register_kind(
    ctx: &SessionContext,
    kind: &Kind,
    source: &Path,
    format: Format,
) -> Result<()> {
    let raw = format!("{}_raw", kind.table);
    let path = source
        .to_str()
        .ok_or_else(|| Error::MissingFile(source.to_owned()))?;
    let columns = match format {
        Format::Csv => {
            let header = csv_header(source)?;
            let schema = Schema::new(
                header
                    .iter()
                    .map(|c| Field::new(c, DataType::Utf8, true))
                    .collect::<Vec<_>>(),
            );
            let options = CsvReadOptions::new()
                .has_header(true)
                .schema(&schema)
                .file_extension(".csv");
            ctx.register_csv(&raw, path, options).await?;
            header
                .into_iter()
                .map(|c| (c, DataType::Utf8))
                .collect::<Vec<_>>()
        }
        Format::Parquet => {
            let options = ParquetReadOptions::default();
            ctx.register_parquet(&raw, path, options).await?;
            let table = ctx.table(raw.as_str()).await?;
            table
                .schema()
                .fields()
                .iter()
                .map(|f| (f.name().clone(), f.data_type().clone()))
                .collect()
        }
    };
    let raw_type = |column: &str| columns.iter().find(|(c, _)| c == column).map(|(_, t)| t);
    let mut select = Vec::new();
    for &(column, typed) in kind.required {
        let Some(raw) = raw_type(column) else {
            return Err(Error::MissingColumn {
                file: source.to_owned(),
                column,
            });
        };
        select.push(typed.sql(column, raw));
    }
    for &(column, typed) in kind.optional {
        select.push(match raw_type(column) {
            Some(raw) => typed.sql(column, raw),
            None => typed.null(column),
        });
    }
    let sql = format!(
        "CREATE OR REPLACE VIEW {} AS SELECT {} FROM {raw}",
        kind.table,
        select.join(", ")
    );
    ctx.sql(&sql).await?;
    Ok(())
}

/// The header of a CSV file, or of the first `.csv` file (by name) of a
/// folder (all the files of a folder share it).
fn csv_header(source: &Path) -> Result<Vec<String>> {
    let file = if source.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(source)
            .map_err(|e| Error::Io(source.to_owned(), e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .collect();
        files.sort();
        files
            .into_iter()
            .next()
            .ok_or_else(|| Error::MissingFile(source.join("*.csv")))?
    } else {
        source.to_owned()
    };
    let mut line = String::new();
    BufReader::new(File::open(&file).map_err(|e| Error::Io(file.clone(), e))?)
        .read_line(&mut line)
        .map_err(|e| Error::Io(file.clone(), e))?;
    let line = line
        .trim_end_matches(['\n', '\r'])
        .trim_start_matches('\u{feff}');
    Ok(line
        .split(',')
        .map(|c| c.trim_matches('"').to_owned())
        .collect())
}

/// Each accepted record's prospect (SPEC §4): with a supplied partition,
/// the smallest prospect_id of its group (records not listed are their
/// own); without one, the record itself.
fn prospect_map_sql(clusters: bool) -> String {
    // A group per listed cluster, and one per record not listed; a
    // grouped minimum and a join (a window per group costs far more).
    let body = if clusters {
        "WITH keyed AS ( \
           SELECT p.prospect_id, CASE WHEN c.cluster_id IS NULL \
             THEN concat('r:', p.prospect_id) ELSE concat('g:', c.cluster_id) END AS grp \
           FROM prospects p LEFT JOIN prospect_clusters c ON p.prospect_id = c.prospect_id), \
         firsts AS (SELECT grp, min(prospect_id) AS prospect FROM keyed GROUP BY grp) \
         SELECT k.prospect_id, f.prospect FROM keyed k JOIN firsts f ON k.grp = f.grp"
    } else {
        "SELECT prospect_id, prospect_id AS prospect FROM prospects"
    };
    format!("CREATE OR REPLACE VIEW prospect_map AS {body}")
}

/// Every event with its prospect, kind rank (SPEC §5) and what the
/// reports read.
const EVENTS_SQL: &str = "CREATE OR REPLACE VIEW sales_events AS \
SELECT e.kind, e.kind_rank, e.id, e.rep_id, m.prospect, e.at, e.channel, e.duration_s, \
       e.status, e.amount_minor, e.currency, \
       e.kind <> 'meeting' OR e.status = 'held' AS held \
FROM ( \
  SELECT 'contact' AS kind, 0 AS kind_rank, contact_id AS id, rep_id, prospect_id, \
         occurred_at AS at, channel, duration_s, arrow_cast(NULL, 'Utf8') AS status, \
         CAST(NULL AS BIGINT) AS amount_minor, arrow_cast(NULL, 'Utf8') AS currency FROM contacts \
  UNION ALL \
  SELECT 'meeting', 1, meeting_id, rep_id, prospect_id, held_at, NULL, NULL, \
         coalesce(status, 'held'), NULL, NULL FROM meetings \
  UNION ALL \
  SELECT 'sale', 2, sale_id, rep_id, prospect_id, closed_at, NULL, NULL, NULL, \
         amount_minor, currency FROM sales \
) e JOIN prospect_map m ON e.prospect_id = m.prospect_id";

/// `sales_events` with each contact's class and each event's engagement
/// (SPEC §5), computed per prospect by the window functions.
fn classified_sql(config: &ClassifyConfig) -> String {
    let dormancy = config.dormancy.num_microseconds().unwrap_or(i64::MAX);
    let per_rep = config.newness == Newness::PerRep;
    let args = format!("kind, at, id, rep_id, held, CAST({dormancy} AS BIGINT), {per_rep}");
    let window = "PARTITION BY prospect ORDER BY at, kind_rank, id";
    format!(
        "CREATE OR REPLACE VIEW classified_events AS \
         SELECT kind, kind_rank, id, rep_id, prospect, at, channel, duration_s, status, \
                amount_minor, currency, held, c['class'] AS class, c['engagement'] AS engagement \
         FROM (SELECT *, contact_classification({args}) OVER ({window}) AS c FROM sales_events)"
    )
}

/// One SPEC §3 rule as a query for the id of a record that breaks it.
pub(crate) struct Check {
    pub(crate) kind: &'static str,
    pub(crate) field: &'static str,
    pub(crate) reason: &'static str,
    table: &'static str,
    id: &'static str,
    /// `WHERE` condition, or `None` for a repeated id.
    condition: Option<String>,
}

impl Check {
    pub(crate) fn sql(&self) -> String {
        let (table, id) = (self.table, self.id);
        match &self.condition {
            Some(c) => format!("SELECT \"{id}\" FROM {table} WHERE {c} ORDER BY \"{id}\" LIMIT 1"),
            None => format!(
                "SELECT \"{id}\" FROM {table} GROUP BY \"{id}\" HAVING count(*) > 1 ORDER BY \"{id}\" LIMIT 1"
            ),
        }
    }
}

/// `lower(value) NOT IN (the listed values)`.
fn not_one_of(column: &str, values: impl IntoIterator<Item = &'static str>) -> String {
    let list: Vec<String> = values.into_iter().map(|v| format!("'{v}'")).collect();
    format!(
        "\"{column}\" IS NOT NULL AND \"{column}\" NOT IN ({})",
        list.join(", ")
    )
}

/// Every check, in SPEC §3's order of reasons.
pub(crate) fn checks() -> Vec<Check> {
    use sales_metrics::{Channel, Direction, MeetingStatus, Outcome, Source};
    let mut out = Vec::new();
    let mut add = |table: &'static str,
                   field: &'static str,
                   reason: &'static str,
                   condition: Option<String>| {
        let kind = KINDS.iter().find(|k| k.table == table);
        let id = kind.and_then(|k| k.required.first()).map_or("id", |c| c.0);
        let record = kind.map_or("record", |k| k.record);
        out.push(Check {
            kind: record,
            field,
            reason,
            table,
            id,
            condition,
        });
    };
    for kind in &KINDS {
        for &(column, _) in kind.required {
            add(
                kind.table,
                column,
                "missing_field",
                Some(format!("\"{column}\" IS NULL")),
            );
        }
    }
    let enums = [
        (
            "prospects",
            "source",
            Source::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
        ),
        (
            "contacts",
            "channel",
            Channel::ALL.iter().map(|v| v.as_str()).collect(),
        ),
        (
            "contacts",
            "direction",
            Direction::ALL.iter().map(|v| v.as_str()).collect(),
        ),
        (
            "contacts",
            "outcome",
            Outcome::ALL.iter().map(|v| v.as_str()).collect(),
        ),
        (
            "meetings",
            "status",
            MeetingStatus::ALL.iter().map(|v| v.as_str()).collect(),
        ),
    ];
    for (table, column, values) in enums {
        add(
            table,
            column,
            "unknown_enum",
            Some(not_one_of(column, values)),
        );
    }
    add(
        "reps",
        "daily_contact_target",
        "negative_number",
        Some("daily_contact_target < 0".into()),
    );
    add(
        "contacts",
        "duration_s",
        "negative_number",
        Some("duration_s < 0".into()),
    );
    add(
        "sales",
        "amount_minor",
        "negative_number",
        Some("amount_minor < 0".into()),
    );
    add(
        "contacts",
        "logged_at",
        "logged_before_occurred",
        Some("logged_at < occurred_at".into()),
    );
    add(
        "prospects",
        "created_by",
        "unknown_rep",
        Some("created_by IS NOT NULL AND created_by NOT IN (SELECT rep_id FROM reps)".into()),
    );
    for table in ["contacts", "meetings", "sales"] {
        add(
            table,
            "rep_id",
            "unknown_rep",
            Some("rep_id NOT IN (SELECT rep_id FROM reps)".into()),
        );
        add(
            table,
            "prospect_id",
            "unknown_prospect",
            Some("prospect_id NOT IN (SELECT prospect_id FROM prospects)".into()),
        );
    }
    for kind in &KINDS {
        if let Some(&(id, _)) = kind.required.first() {
            add(kind.table, id, "duplicate_id", None);
        }
    }
    out
}
