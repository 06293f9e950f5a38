//! The cells of `examples/notebook.ipynb`, as a program: the notebook is
//! generated from this file, and `tests/notebook.rs` checks that the two
//! agree, so the notebook's code always compiles (and runs) against the
//! current API.
//!
//! ```text
//! cargo run --example notebook_cells --features plot                       # run the cells
//! cargo run --example notebook_cells --features plot -- --write-notebook   # regenerate the notebook, outputs included
//! ```
//!
//! How the file maps to the notebook (see [`notebook_cells`]):
//!
//! * `cell!(markdown);` starts a markdown cell: the `//` comment lines after
//!   it, without the `// ` in front;
//! * `cell!(code);` starts a code cell: the lines after it, one indentation
//!   level less; `// :dep …` lines become evcxr `:dep …` commands;
//! * a code cell's last line `show!(EXPR);` is a bare `EXPR` in the
//!   notebook: evcxr shows the last expression of a cell by calling its
//!   `evcxr_display`, which is what `show!` does here.
//!
//! Outputs are what the cells print when run (`--write-notebook` runs this
//! program again and splits its output at the cell boundaries).

use std::error::Error;
use std::path::Path;

/// Starts a cell. A code cell marks its start in the output when the
/// notebook is being written.
macro_rules! cell {
    (markdown) => {};
    (code) => {
        if std::env::var_os(CAPTURE).is_some() {
            println!("{CELL_MARK}");
        }
    };
}

/// What evcxr does with the last expression of a cell.
macro_rules! show {
    ($e:expr) => {
        $e.evcxr_display()
    };
}

/// Set (to anything) in the environment of the run whose output goes into
/// the notebook.
const CAPTURE: &str = "SALES_METRICS_NOTEBOOK_CAPTURE";
/// Printed at the start of every code cell in such a run.
const CELL_MARK: &str = "\u{1e}notebook-cell\u{1e}";

fn main() -> Result<(), Box<dyn Error>> {
    // The notebook runs in its own folder, `examples/`.
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))?;
    if std::env::args().any(|a| a == "--write-notebook") {
        return write_notebook();
    }
    cells()
}

/// The notebook, top to bottom.
pub(crate) fn cells() -> Result<(), Box<dyn Error>> {
    cell!(markdown);
    // # Honest sales metrics in a notebook
    //
    // This notebook walks through the demo data shipped in `data/demo/`: a
    // simulated team of eight reps from January to June 2026, with some of
    // the CRM's older history. It runs in Jupyter with the evcxr Rust kernel
    // (`cargo install evcxr_jupyter`, then `evcxr_jupyter --install`). The
    // outputs shown were made by `examples/notebook_cells.rs`, the same
    // cells as a program, so the notebook reads without running it.
    //
    // Every result shows itself as a table or a chart when it is the last
    // expression of a cell, with no extra imports.
    cell!(code);
    // :dep sales-metrics = { path = "..", features = ["plot"] }
    // :dep chrono = "0.4"
    cell!(markdown);
    // ## Load
    //
    // Read the five CSV files (reps, prospect records, contacts, meetings,
    // sales) into a validated ledger. The demo data come with the true
    // grouping of prospect records into prospects
    // (`prospect_clusters.csv`), which we supply here so that the figures
    // below are exact; the next section deduplicates the records itself.
    cell!(code);
    use sales_metrics::ingest::read_csv_folder;
    use sales_metrics::{ClassifyConfig, Ledger, LedgerBuilder, SuppliedPartition, classify};
    use std::path::PathBuf;

    let dir = PathBuf::from("../data/demo");
    let mut builder = LedgerBuilder::new();
    builder.partition(SuppliedPartition::from_file(
        dir.join("prospect_clusters.csv"),
    )?);
    read_csv_folder(&dir, &mut builder)?;
    // Results borrow their ledger; a notebook keeps only owned or
    // `'static` values between cells, so the ledger lives for the session.
    let ledger: &'static Ledger = Box::leak(Box::new(builder.build()?));
    println!(
        "{} reps, {} prospect records ({} distinct prospects), {} contacts, {} meetings, {} sales",
        ledger.reps().len(),
        ledger.accepted_count(sales_metrics::RecordKind::Prospect),
        ledger.prospect_count(),
        ledger.accepted_count(sales_metrics::RecordKind::Contact),
        ledger.accepted_count(sales_metrics::RecordKind::Meeting),
        ledger.accepted_count(sales_metrics::RecordKind::Sale)
    );
    cell!(markdown);
    // ## Deduplicate
    //
    // The same person is often entered twice: name order swapped,
    // diacritics dropped, `SRL` or `S.R.L.`, a `+tag` in the e-mail, another
    // phone format. Deduplication groups the records into prospects without
    // comparing all pairs, and keeps the evidence of every link.
    cell!(code);
    use sales_metrics::dedup::Dedup;

    let dedup = Dedup::prospect().run(ledger.record_source())?;
    show!(dedup);
    cell!(markdown);
    // Why two records were joined: every field's agreement and its weight
    // in bits, against the threshold.
    cell!(code);
    let joined = dedup
        .partition()
        .find(|(record, cluster)| record != cluster)
        .map(|(_, cluster)| cluster.to_owned())
        .ok_or("no cluster of two records")?;
    show!(dedup.cluster_links_table(&joined));
    cell!(markdown);
    // ## Nothing is lost
    //
    // A record that fails validation is not dropped silently: it becomes a
    // *rejection* that names its kind, row, id, field and reason. In
    // lenient mode the rest still loads. Five contacts, four of them bad:
    cell!(code);
    use sales_metrics::ingest::{Rejections, read_csv};
    use sales_metrics::{Mode, RecordKind};
    use std::path::Path;

    let mut lenient = LedgerBuilder::new();
    lenient.mode(Mode::Lenient);
    read_csv(
        RecordKind::Rep,
        "rep_id\nana\n".as_bytes(),
        Path::new("reps.csv"),
        &mut lenient,
    )?;
    read_csv(
        RecordKind::Prospect,
        "prospect_id\np1\n".as_bytes(),
        Path::new("prospects.csv"),
        &mut lenient,
    )?;
    let contacts = "contact_id,rep_id,prospect_id,occurred_at,channel,duration_s\n\
                    c1,ana,p1,2026-06-01T09:00:00Z,phone,300\n\
                    c2,ana,p1,yesterday,phone,60\n\
                    c3,bob,p1,2026-06-01T10:00:00Z,phone,60\n\
                    c4,ana,p1,2026-06-01T11:00:00Z,fax,60\n\
                    c1,ana,p1,2026-06-01T12:00:00Z,email,-5\n";
    read_csv(
        RecordKind::Contact,
        contacts.as_bytes(),
        Path::new("contacts.csv"),
        &mut lenient,
    )?;
    let small = lenient.build()?;
    show!(Rejections(small.rejections()));
    cell!(markdown);
    // ## Classify
    //
    // Every contact gets a class: `new` (the first time anyone reached the
    // prospect), `follow_up`, `reactivated` (after more than 180 days of
    // silence) or `customer` (after a sale). An engagement runs from a new
    // or reactivated contact to the first sale.
    cell!(code);
    let classified = classify(ledger, &ClassifyConfig::default());
    let [new, follow_up, reactivated, customer] = classified.class_counts();
    println!(
        "{new} new, {follow_up} follow-up, {reactivated} reactivated and {customer} customer contacts; {} engagements",
        classified.engagements().len()
    );
    cell!(markdown);
    // ## The period report
    //
    // Per rep and month: contacts by class, new and engaged prospects,
    // meetings, sales, and the rates between them. Each rate shows its
    // counts below it; hover over it for its 95 % interval. The worked
    // example of the specification is `ana` in June 2026: 60 contacts, 15
    // held meetings, 10 sales — a contact close rate of 16.7 % beside a
    // meeting close rate of 66.7 %.
    cell!(code);
    use sales_metrics::report::{PeriodSpec, Scope};

    let ana = classified.period_report(&Scope::rep("ana"), &PeriodSpec::monthly())?;
    show!(ana);
    cell!(markdown);
    // The whole half-year, one row per rep. It is one custom period, so
    // distinct prospects are distinct over all of it.
    cell!(code);
    use chrono::NaiveDate;
    use sales_metrics::report::Granularity;

    let jan1 = NaiveDate::from_ymd_opt(2026, 1, 1).ok_or("bad date")?;
    let jul1 = NaiveDate::from_ymd_opt(2026, 7, 1).ok_or("bad date")?;
    let h1 = PeriodSpec::custom([("2026-H1", jan1..jul1)])?;
    let half_year = classified.period_report(&Scope::all(), &h1)?;
    show!(half_year);
    cell!(markdown);
    // ## The wrong number, as a picture
    //
    // The contact close rate divides sales by every contact logged, so it
    // punishes follow-up work and rewards padding. The meeting close rate
    // divides sales by the meetings that could produce them.
    cell!(code);
    use sales_metrics::report::{close_rates_chart, funnel_chart};

    show!(close_rates_chart(&half_year)?);
    cell!(markdown);
    // Where prospects drop out: contacts, prospects engaged, prospects met
    // and sales, per rep.
    cell!(code);
    show!(funnel_chart(&half_year)?);
    cell!(markdown);
    // ## Cohorts
    //
    // Period ratios relate this month's sales to this month's meetings,
    // which mixes different prospects. A cohort follows the engagements
    // opened in a period to their end: how many met, how many were won,
    // after how many touches and how many days. Young cohorts are still
    // open, so their win rate is still rising. All reps, by quarter:
    cell!(code);
    let quarterly = PeriodSpec::new(Granularity::Quarter);
    let cohorts = classified.cohort_report(&Scope::all(), &quarterly)?;
    let mut by_quarter = cohorts.clone();
    by_quarter.rows = cohorts.totals_by_cohort();
    show!(by_quarter);
    cell!(markdown);
    // ## How long does a sale take?
    //
    // The usual answer averages the days to sale over the won deals only,
    // and so ignores every engagement still open — the slow ones. The
    // Kaplan–Meier estimate counts those as "not won yet, after this many
    // days", and shows how many are ever won, and how fast.
    cell!(code);
    let win = classified.time_to_win(&Scope::all(), None)?;
    show!(win);
    cell!(code);
    use sales_metrics::report::survival_chart;

    let north = classified.time_to_win(&Scope::team("north"), None)?;
    let south = classified.time_to_win(&Scope::team("south"), None)?;
    show!(survival_chart(&[
        ("all reps", &win),
        ("team north", &north),
        ("team south", &south),
    ])?);
    cell!(markdown);
    // ## Where the time goes
    //
    // Contacts, logged hours and what they brought back, by channel, all
    // reps over the half-year.
    cell!(code);
    use sales_metrics::report::BreakdownBy;

    let by_channel = classified.breakdown(&Scope::all(), &h1, BreakdownBy::Channel)?;
    show!(by_channel.totals());
    cell!(markdown);
    // The mix of contacts month by month, by class and by channel:
    cell!(code);
    use sales_metrics::report::{activity_breakdown_chart, activity_by_class_chart};

    let monthly = classified.period_report(&Scope::all(), &PeriodSpec::monthly())?;
    show!(activity_by_class_chart(&monthly)?);
    cell!(code);
    let monthly_channels =
        classified.breakdown(&Scope::all(), &PeriodSpec::monthly(), BreakdownBy::Channel)?;
    show!(activity_breakdown_chart(&monthly_channels)?);
    cell!(markdown);
    // One rep, `dan`, pads his count with follow-ups of known prospects
    // from March 2026 on: his mix shifts away from new prospects. A
    // report's rows are plain data, so keep only 2026's.
    cell!(code);
    let mut dan = classified.period_report(&Scope::rep("dan"), &PeriodSpec::monthly())?;
    dan.rows.retain(|r| r.period.starts_with("2026"));
    show!(activity_by_class_chart(&dan)?);
    cell!(markdown);
    // ## What quota bunching looks like
    //
    // A daily contact target invites stopping as soon as it is met, and
    // padding up to it on a short day. Per rep, the working days of
    // January–June 2026 by the number of contacts logged, with the target
    // marked. One rep's days pile up exactly at the target.
    cell!(code);
    use sales_metrics::report::daily_contacts_chart;

    let mut daily = classified.period_report(&Scope::all(), &PeriodSpec::new(Granularity::Day))?;
    let (jan1, jul1) = (
        NaiveDate::from_ymd_opt(2026, 1, 1),
        NaiveDate::from_ymd_opt(2026, 7, 1),
    );
    daily
        .rows
        .retain(|r| r.period_start >= jan1 && r.period_start < jul1);
    show!(daily_contacts_chart(ledger, &daily)?);
    cell!(markdown);
    // ## Findings
    //
    // The gaming detectors compare each rep with their team and their own
    // history, and say nothing when the data are too few. Each finding
    // names the rep, the period, a score, the figures behind it and the
    // records that support it.
    cell!(code);
    use sales_metrics::detect::{self, DetectConfig, DetectContext};

    let ctx = DetectContext::new(&classified, &DetectConfig::default())?;
    let findings = detect::detect(&ctx, &detect::by_names(["all"])?);
    show!(findings);
    cell!(markdown);
    // ## To DataFrames
    //
    // Every result converts to typed columns: counts as unsigned integers,
    // rates as floats with null where a rate is undefined, the period label
    // as text and its first day as a date. Here `ana`'s months:
    cell!(code);
    let frame = ana.to_frame();
    show!(frame);
    cell!(markdown);
    // With the `arrow` feature, `half_year.to_frame().to_record_batch()?` is an Arrow
    // `RecordBatch`. For polars there is the `sales-metrics-polars` crate
    // of this repository (a crate of its own, because polars takes minutes
    // to compile):
    //
    // ```rust
    // :dep sales-metrics-polars = { path = "../sales-metrics-polars" }
    // use sales_metrics_polars::ToDataFrame;
    // let df = half_year.to_dataframe()?;
    // ```
    //
    // Charts save as SVG files (`chart.save("close_rates.svg")?`), and
    // tables as CSV and JSON (`half_year.table().write_files(&dir, "period_report")?`).
    Ok(())
}

/// One notebook cell: `markdown` or `code`, and its source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    /// `markdown` or `code`.
    pub(crate) kind: &'static str,
    /// The source, lines joined with `\n`.
    pub(crate) source: String,
}

/// The cells of the notebook, read from this file's text (`source`).
pub(crate) fn notebook_cells(source: &str) -> Vec<Cell> {
    let body = source
        .split_once("pub(crate) fn cells() -> Result<(), Box<dyn Error>> {\n")
        .map_or("", |(_, rest)| rest);
    let body = body.split_once("\n    Ok(())\n}").map_or(body, |(b, _)| b);
    let mut cells: Vec<(&'static str, Vec<String>)> = Vec::new();
    for line in body.lines() {
        let line = line.strip_prefix("    ").unwrap_or(line.trim_start());
        match line.trim() {
            "cell!(markdown);" => cells.push(("markdown", Vec::new())),
            "cell!(code);" => cells.push(("code", Vec::new())),
            _ => {
                let Some((kind, lines)) = cells.last_mut() else {
                    continue;
                };
                let text = if *kind == "markdown" {
                    let t = line.trim_start();
                    t.strip_prefix("// ")
                        .or_else(|| t.strip_prefix("//"))
                        .unwrap_or(t)
                        .to_owned()
                } else if let Some(dep) = line.strip_prefix("// :dep ") {
                    format!(":dep {dep}")
                } else {
                    line.to_owned()
                };
                lines.push(text);
            }
        }
    }
    cells
        .into_iter()
        .map(|(kind, mut lines)| {
            while lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.pop();
            }
            // `show!(EXPR);`, on one line or several, ends a code cell.
            let show = lines.iter().rposition(|l| l.starts_with("show!("));
            if kind == "code"
                && let Some(first) = show
                && lines.last().is_some_and(|l| l.ends_with(");"))
            {
                if let Some(l) = lines.get_mut(first) {
                    *l = l.replacen("show!(", "", 1);
                }
                if let Some(l) = lines.last_mut() {
                    l.truncate(l.len() - 2);
                }
            }
            Cell {
                kind,
                source: lines.join("\n"),
            }
        })
        .collect()
}

/// The outputs of a code cell from what it printed, as evcxr makes them:
/// plain lines are the cell's stdout stream; the rich blocks
/// (`EVCXR_BEGIN_CONTENT <mime>` … `EVCXR_END_CONTENT`) are gathered by
/// MIME type into the cell's one result (a later block of a type replaces
/// an earlier one).
fn outputs(printed: &str, execution_count: usize) -> Vec<serde_json::Value> {
    let mut text = String::new();
    let mut data = serde_json::Map::new();
    let mut lines = printed.lines();
    while let Some(line) = lines.next() {
        if let Some(mime) = line.strip_prefix("EVCXR_BEGIN_CONTENT ") {
            let mut content = String::new();
            for l in lines.by_ref() {
                if l == "EVCXR_END_CONTENT" {
                    break;
                }
                content.push_str(l);
                content.push('\n');
            }
            data.insert(
                mime.trim().to_owned(),
                source_lines(content.trim_end()).into(),
            );
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    let mut out = Vec::new();
    if !text.is_empty() {
        out.push(serde_json::json!({
            "output_type": "stream",
            "name": "stdout",
            "text": source_lines(&text),
        }));
    }
    if !data.is_empty() {
        out.push(serde_json::json!({
            "output_type": "execute_result",
            "execution_count": execution_count,
            "data": data,
            "metadata": {},
        }));
    }
    out
}

/// Jupyter's form of a multi-line text: lines, each but the last ending in
/// `\n`.
fn source_lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_owned).collect()
}

/// The notebook as Jupyter writes it (nbformat 4), with the outputs of a
/// run of the cells.
pub(crate) fn notebook_json(cells: &[Cell], printed: &str) -> serde_json::Value {
    // Output of each code cell, in order (the first part is before any).
    let mark = format!("{CELL_MARK}\n");
    let mut printed = printed.split(mark.as_str()).skip(1);
    let mut count = 0;
    let cells: Vec<serde_json::Value> = cells
        .iter()
        .map(|c| {
            if c.kind == "markdown" {
                return serde_json::json!({
                    "cell_type": "markdown",
                    "metadata": {},
                    "source": source_lines(&c.source),
                });
            }
            count += 1;
            serde_json::json!({
                "cell_type": "code",
                "execution_count": count,
                "metadata": {},
                "outputs": outputs(printed.next().unwrap_or(""), count),
                "source": source_lines(&c.source),
            })
        })
        .collect();
    serde_json::json!({
        "cells": cells,
        "metadata": {
            "kernelspec": { "display_name": "Rust", "language": "rust", "name": "rust" },
            "language_info": {
                "codemirror_mode": "rust",
                "file_extension": ".rs",
                "mimetype": "text/rust",
                "name": "Rust",
                "pygment_lexer": "rust",
                "version": ""
            }
        },
        "nbformat": 4,
        "nbformat_minor": 4
    })
}

/// Runs this program again with the cell marks on, and writes
/// `examples/notebook.ipynb` from this file's cells and that run's output.
fn write_notebook() -> Result<(), Box<dyn Error>> {
    let run = std::process::Command::new(std::env::current_exe()?)
        .env(CAPTURE, "1")
        .output()?;
    if !run.status.success() {
        return Err(format!("the cells failed: {}", String::from_utf8_lossy(&run.stderr)).into());
    }
    let printed = String::from_utf8(run.stdout)?;
    let cells = notebook_cells(include_str!("notebook_cells.rs"));
    let notebook = notebook_json(&cells, &printed);
    let mut text = Vec::new();
    let mut writer = serde_json::Serializer::with_formatter(
        &mut text,
        serde_json::ser::PrettyFormatter::with_indent(b" "),
    );
    serde::Serialize::serialize(&notebook, &mut writer)?;
    text.push(b'\n');
    let path = Path::new("notebook.ipynb");
    std::fs::write(path, text)?;
    println!(
        "wrote {} ({} cells)",
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(path)
            .display(),
        cells.len()
    );
    Ok(())
}
