//! [`SalesContext`]: a DataFusion session with the crate's functions, the
//! records of a folder and the reports.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use datafusion::arrow::array::RecordBatch;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{DataFrame, SessionContext};
use futures::StreamExt;
use sales_metrics::report::{CohortReport, PeriodReport, PeriodSpec};
use sales_metrics::{ClassifyConfig, Newness, Table};

use crate::error::{Error, Result};
use crate::reports::{self, Columns};
use crate::tables::{self, Format, KINDS};

/// A DataFusion session that computes the metrics: the crate's functions
/// registered, the records of a folder as views, the reports read back
/// into the core's types.
///
/// Any `SessionContext` works: a local one, with any number of target
/// partitions, or one connected to a Ballista cluster (see
/// [`crate::cluster`], feature `ballista`).
#[derive(Clone)]
pub struct SalesContext {
    ctx: SessionContext,
    config: ClassifyConfig,
}

impl std::fmt::Debug for SalesContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SalesContext")
            .field("session_id", &self.ctx.session_id())
            .field("config", &self.config)
            .finish()
    }
}

impl SalesContext {
    /// `ctx` with the crate's functions, classifying with the SPEC defaults.
    pub fn new(ctx: SessionContext) -> Self {
        Self::with_config(ctx, ClassifyConfig::default())
    }

    /// `ctx` with the crate's functions, classifying with `config`.
    pub fn with_config(ctx: SessionContext, config: ClassifyConfig) -> Self {
        crate::functions::register_functions(&ctx);
        Self { ctx, config }
    }

    /// The session, for SQL and DataFrames of your own.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Reads the records of `dir` (SPEC §2 names; see [`Format`]) and
    /// defines the views (see the [crate] docs). A folder with
    /// `prospect_clusters` uses it as the supplied partition (SPEC §4).
    ///
    /// # Errors
    /// [`Error::MissingFile`] or [`Error::MissingColumn`] for a kind that
    /// is not there or lacks a required column; engine errors otherwise.
    pub async fn register_folder(&self, dir: impl AsRef<Path>, format: Format) -> Result<()> {
        tables::register_folder(&self.ctx, dir.as_ref(), format, &self.config).await
    }

    /// Computes `classified_events` once and keeps it in this session's
    /// memory (replacing the view), so that the reports after it read the
    /// classified rows instead of classifying again: [`write_tables`]
    /// classifies once instead of four times. For a local session; on a
    /// cluster the rows would travel to the client, so a cluster
    /// classifies per query (or writes the rows to a shared dataset with
    /// `COPY`).
    ///
    /// [`write_tables`]: SalesContext::write_tables
    ///
    /// # Errors
    /// Engine errors.
    pub async fn materialize(&self) -> Result<()> {
        let cached = self.ctx.table("classified_events").await?.cache().await?;
        self.ctx.deregister_table("classified_events")?;
        self.ctx
            .register_table("classified_events", cached.into_view())?;
        Ok(())
    }

    /// [`materialize`](SalesContext::materialize) for a cluster: writes
    /// the classified rows as a Parquet dataset in `dir` (a path every
    /// node sees) and reads `classified_events` from it from then on, so
    /// the reports after it classify nothing.
    ///
    /// # Errors
    /// Engine errors.
    pub async fn materialize_to(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        let path = dir
            .to_str()
            .ok_or_else(|| Error::MissingFile(dir.to_owned()))?;
        self.ctx
            .table("classified_events")
            .await?
            .write_parquet(path, DataFrameWriteOptions::new(), None)
            .await?;
        self.ctx.deregister_table("classified_events")?;
        self.ctx
            .register_parquet("classified_events", path, Default::default())
            .await?;
        Ok(())
    }

    /// The whole result of `sql`.
    async fn query(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        Ok(self.ctx.sql(sql).await?.collect().await?)
    }

    /// Checks the registered records against SPEC §3 and returns the first
    /// violation found: a missing required field, an unknown enumeration
    /// value, a negative number, a contact logged before it occurred, a
    /// reference to no record, a repeated id. (A time or number that does
    /// not parse fails the query itself, naming the text.)
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the kind, id, field and reason.
    pub async fn check(&self) -> Result<()> {
        for check in tables::checks() {
            let batches = self.query(&check.sql()).await?;
            if let Some(id) = first_text(&batches)? {
                return Err(Error::Invalid {
                    kind: check.kind,
                    id,
                    field: check.field,
                    reason: check.reason,
                });
            }
        }
        Ok(())
    }

    /// Contact classes (SPEC §11 `contact_classes`: `contact_id, prospect,
    /// class, engagement`), by contact id.
    ///
    /// # Errors
    /// Engine errors.
    pub async fn contact_classes(&self) -> Result<DataFrame> {
        Ok(self.ctx.sql(reports::CLASSES_SQL).await?)
    }

    /// The period report (SPEC §6) over `periods` (a granularity and zone;
    /// custom ranges are not supported here), with its revenue.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for custom periods; engine errors.
    pub async fn period_report(&self, periods: &PeriodSpec) -> Result<PeriodReport> {
        let rows = self.query(&reports::period_sql(periods)?).await?;
        let revenue = self.query(&reports::revenue_sql(periods)?).await?;
        reports::period_report(periods, &rows, &revenue)
    }

    /// The cohort report (SPEC §7) over `periods`.
    ///
    /// # Errors
    /// As [`SalesContext::period_report`].
    pub async fn cohort_report(&self, periods: &PeriodSpec) -> Result<CohortReport> {
        let per_rep = self.config.newness == Newness::PerRep;
        let sql = reports::cohort_sql(periods, per_rep)?;
        let rows = self.query(&sql).await?;
        reports::cohort_report(periods, &rows)
    }

    /// Writes the SPEC §11 tables the core's `report` writes from the same
    /// records, byte for byte: `contact_classes.csv`, `period_report.csv`,
    /// `revenue.csv`, `cohort_report.csv` and `prospect_clusters.csv`.
    ///
    /// # Errors
    /// Engine errors; [`Error::Core`] when a file cannot be written.
    pub async fn write_tables(&self, dir: impl AsRef<Path>, periods: &PeriodSpec) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::Io(dir.to_owned(), e))?;
        let report = self.period_report(periods).await?;
        let cohorts = self.cohort_report(periods).await?;
        for (name, table) in [
            ("period_report", report.table()),
            ("revenue", report.revenue_table()),
            ("cohort_report", cohorts.table()),
        ] {
            write_table(
                &dir.join(format!("{name}.csv")),
                |w| Ok(table.write_csv(w)?),
            )?;
        }
        for (name, sql, columns) in [
            (
                "contact_classes",
                reports::CLASSES_SQL,
                &CLASSES_COLUMNS[..],
            ),
            (
                "prospect_clusters",
                reports::CLUSTERS_SQL,
                &CLUSTERS_COLUMNS[..],
            ),
        ] {
            let path = dir.join(format!("{name}.csv"));
            let file = File::create(&path).map_err(|e| Error::Io(path.clone(), e))?;
            let mut w = TextWriter::new(BufWriter::new(file), columns, &path);
            // Batch by batch: the largest tables never sit whole in memory.
            let mut stream = self.ctx.sql(sql).await?.execute_stream().await?;
            while let Some(batch) = stream.next().await {
                w.push(&batch?)?;
            }
            w.finish()?;
        }
        Ok(())
    }

    /// Writes the registered records as a Parquet dataset in `out`: a
    /// folder per kind (`out/contacts/…`) of about `files` files each,
    /// typed (times as timestamps), which [`Format::Parquet`] reads back;
    /// with the supplied partition when one is registered.
    ///
    /// # Errors
    /// Engine errors.
    pub async fn write_parquet(&self, out: impl AsRef<Path>, files: usize) -> Result<()> {
        let out = out.as_ref();
        let mut names: Vec<&str> = KINDS.iter().map(|k| k.table).collect();
        if self.ctx.table_exist("prospect_clusters")? {
            names.push("prospect_clusters");
        }
        for name in names {
            let path = out.join(name);
            let path = path
                .to_str()
                .ok_or_else(|| Error::MissingFile(path.clone()))?;
            self.ctx
                .table(name)
                .await?
                .repartition(datafusion::logical_expr::Partitioning::RoundRobinBatch(
                    files.max(1),
                ))?
                .write_parquet(path, DataFrameWriteOptions::new(), None)
                .await?;
        }
        Ok(())
    }
}

const CLASSES_COLUMNS: [&str; 4] = ["contact_id", "prospect", "class", "engagement"];
const CLUSTERS_COLUMNS: [&str; 2] = ["prospect_id", "cluster_id"];

/// The first column's first value of `batches`, if any row.
fn first_text(batches: &[RecordBatch]) -> Result<Option<String>> {
    let Some(b) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Ok(None);
    };
    let name = b.schema().field(0).name().clone();
    let first = Columns::new(b).text(&name)?.into_iter().next().flatten();
    Ok(Some(first.unwrap_or_default()))
}

/// Creates `path` and writes it with `body`.
fn write_table(path: &Path, body: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let file = File::create(path).map_err(|e| Error::Io(path.to_owned(), e))?;
    let mut w = BufWriter::new(file);
    body(&mut w)?;
    w.flush().map_err(|e| Error::Io(path.to_owned(), e))
}

/// Text columns written as the core writes a table (its CSV quoting),
/// batch by batch, with one header.
struct TextWriter<'p, W: Write> {
    w: W,
    columns: &'static [&'static str],
    path: &'p Path,
    header: bool,
    buf: Vec<u8>,
}

impl<'p, W: Write> TextWriter<'p, W> {
    fn new(w: W, columns: &'static [&'static str], path: &'p Path) -> Self {
        Self {
            w,
            columns,
            path,
            header: true,
            buf: Vec::new(),
        }
    }

    fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        let c = Columns::new(batch);
        let values: Vec<Vec<Option<String>>> = self
            .columns
            .iter()
            .map(|n| c.text(n))
            .collect::<Result<_>>()?;
        let mut table = Table::new(self.columns);
        for i in 0..batch.num_rows() {
            table.push(
                values
                    .iter()
                    .map(|v| v.get(i).cloned().flatten().into())
                    .collect(),
            );
        }
        self.buf.clear();
        table.write_csv(&mut self.buf)?;
        let body = if self.header {
            &self.buf[..]
        } else {
            // Each table brings its header line: keep only the first.
            let start = self
                .buf
                .iter()
                .position(|&b| b == b'\n')
                .map_or(self.buf.len(), |p| p + 1);
            self.buf.get(start..).unwrap_or_default()
        };
        self.w
            .write_all(body)
            .map_err(|e| Error::Io(self.path.to_owned(), e))?;
        self.header = false;
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        if self.header {
            Table::new(self.columns).write_csv(&mut self.w)?;
        }
        self.w
            .flush()
            .map_err(|e| Error::Io(self.path.to_owned(), e))
    }
}
