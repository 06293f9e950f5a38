//! Result tables as typed columns (`report::frame`), and as Arrow record
//! batches with the `arrow` feature: every cell arrives with its type, no
//! value is lost, undefined rates are nulls, periods keep their text label
//! and gain their first day as a date, and an empty result keeps its
//! schema.

mod common;
use common::demo;

use std::path::Path;

use chrono::NaiveDate;
use sales_metrics::ingest::Rejections;
use sales_metrics::report::{BreakdownBy, PeriodSpec, Scope};
use sales_metrics::report::{ColumnData, Frame};
use sales_metrics::{Cell, Table};
use sales_metrics::{
    ClassifyConfig, LedgerBuilder, Mode, Reason, RecordKind, Rejection, Rep, classify,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The type of a column: the name of its [`ColumnData`] variant.
fn ty(data: &ColumnData) -> &'static str {
    match data {
        ColumnData::Int64(_) => "Int64",
        ColumnData::UInt64(_) => "UInt64",
        ColumnData::Float64(_) => "Float64",
        ColumnData::Utf8(_) => "Utf8",
        ColumnData::Date32(_) => "Date32",
    }
}

/// The types of a frame's columns, in order.
fn types(frame: &Frame) -> Vec<&'static str> {
    frame.columns().map(|(_, data)| ty(data)).collect()
}

/// Every column of `table` is in `frame` under its name, with one value
/// per row, null exactly where the cell is empty (or an undefined rate),
/// and the value the cell's text says.
fn same_values(table: &Table, frame: &Frame) {
    assert_eq!(frame.len(), table.rows.len());
    for (i, name) in table.columns.iter().enumerate() {
        let column = frame
            .column(name)
            .unwrap_or_else(|| panic!("column {name} missing"));
        for (r, row) in table.rows.iter().enumerate() {
            let cell = &row[i];
            let text = cell.to_text();
            let got = match column {
                ColumnData::Int64(v) => v[r].map(|x| x.to_string()),
                ColumnData::UInt64(v) => v[r].map(|x| x.to_string()),
                ColumnData::Float64(v) => v[r].map(|x| sales_metrics::Cell::Float(x).to_text()),
                ColumnData::Utf8(v) => v[r].clone(),
                ColumnData::Date32(v) => v[r].map(|d| d.to_string()),
            };
            assert_eq!(
                got.unwrap_or_default(),
                text,
                "{name} row {r}: {cell:?} became {:?}",
                ty(column)
            );
        }
    }
}

/// The declared type of every column that holds a value is what the cells
/// hold.
fn declared_types_fit(table: &Table, frame: &Frame) {
    let inferred = Frame::from_table(table);
    for (name, data) in inferred.columns() {
        if data.null_count() == data.len() {
            continue;
        }
        let declared = frame.column(name).map(ty);
        let fits = match (ty(data), declared) {
            (a, Some(b)) if a == b => true,
            // Counts are declared unsigned; inference says signed.
            ("Int64", Some("UInt64")) => true,
            _ => false,
        };
        assert!(fits, "{name}: cells {}, declared {declared:?}", ty(data));
    }
}

#[test]
fn every_result_converts_without_losing_a_value() -> TestResult {
    let ledger = demo()?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    let monthly = PeriodSpec::monthly();
    let period = classified.period_report(&Scope::all(), &monthly)?;
    let cohort = classified.cohort_report(&Scope::all(), &monthly)?;
    let channel = classified.breakdown(&Scope::all(), &monthly, BreakdownBy::Channel)?;
    let source = classified.breakdown(&Scope::all(), &monthly, BreakdownBy::Source)?;
    let curve = classified.time_to_win(&Scope::all(), None)?;
    let checks: [(Table, Frame); 5] = [
        (period.table(), period.to_frame()),
        (cohort.extended_table(), cohort.to_frame()),
        (channel.table(), channel.to_frame()),
        (source.table(), source.to_frame()),
        (curve.table(), curve.to_frame()),
    ];
    for (table, frame) in &checks {
        assert!(!table.rows.is_empty());
        same_values(table, frame);
        declared_types_fit(table, frame);
        for (name, data) in frame.columns() {
            if let ColumnData::Float64(v) = data {
                assert!(v.iter().flatten().all(|x| x.is_finite()), "{name}");
            }
        }
    }
    // Dates beside the period labels.
    let f = period.to_frame();
    assert_eq!(
        &f.column_names()[..4],
        ["rep_id", "period", "period_start", "contacts"]
    );
    let (ColumnData::Utf8(labels), ColumnData::Date32(starts)) = (
        f.column("period").ok_or("period")?,
        f.column("period_start").ok_or("period_start")?,
    ) else {
        panic!("period columns have the wrong types");
    };
    for (label, start) in labels.iter().zip(starts) {
        let label = label.as_deref().ok_or("label")?;
        let start = start.ok_or("start")?;
        assert_eq!(start.format("%Y-%m").to_string(), label);
        assert_eq!(start.format("%d").to_string(), "01");
    }
    let c = cohort.to_frame();
    assert_eq!(c.column_names()[2], "cohort_start");
    assert_eq!(c.column("cohort_start").map(ty), Some("Date32"));
    Ok(())
}

#[test]
fn worked_example_types_and_nulls() -> TestResult {
    let ledger = demo()?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    let report = classified.period_report(&Scope::rep("ana"), &PeriodSpec::monthly())?;
    let f = report.to_frame();
    let june = report
        .rows
        .iter()
        .position(|r| r.period == "2026-06")
        .ok_or("no June")?;
    let value = |name: &str| f.column(name).cloned();
    let Some(ColumnData::Float64(ccr)) = value("contact_close_rate") else {
        panic!("contact_close_rate is not Float64");
    };
    let Some(ColumnData::Float64(mcr)) = value("meeting_close_rate") else {
        panic!("meeting_close_rate is not Float64");
    };
    let Some(ColumnData::UInt64(contacts)) = value("contacts") else {
        panic!("contacts is not UInt64");
    };
    assert_eq!(contacts[june], Some(60));
    assert_eq!(ccr[june], Some(10.0 / 60.0));
    assert_eq!(mcr[june], Some(10.0 / 15.0));
    assert_eq!(
        value("period_start"),
        Some(ColumnData::Date32(
            report.rows.iter().map(|r| r.period_start).collect()
        ))
    );
    assert_eq!(
        report.rows[june].period_start,
        NaiveDate::from_ymd_opt(2026, 6, 1)
    );
    // A month without meetings has an undefined meeting close rate: null.
    let undefined = report
        .rows
        .iter()
        .zip(&mcr)
        .filter(|(r, _)| r.counts.meetings_held == 0)
        .collect::<Vec<_>>();
    assert!(!undefined.is_empty());
    assert!(undefined.iter().all(|(_, v)| v.is_none()));
    Ok(())
}

#[test]
fn empty_results_keep_their_schema() -> TestResult {
    let mut b = LedgerBuilder::new();
    b.add_rep(Rep::new("ana"));
    let ledger = b.build()?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    let monthly = PeriodSpec::monthly();
    let period = classified.period_report(&Scope::all(), &monthly)?;
    let f = period.to_frame();
    assert!(f.is_empty());
    assert_eq!(f.column_names().len(), 17);
    assert_eq!(types(&f)[..4], ["Utf8", "Utf8", "Date32", "UInt64"]);
    assert_eq!(types(&f).last(), Some(&"Float64"));
    let cohort = classified
        .cohort_report(&Scope::all(), &monthly)?
        .to_frame();
    assert_eq!(cohort.column_names().len(), 17);
    let channel = classified
        .breakdown(&Scope::all(), &monthly, BreakdownBy::Channel)?
        .to_frame();
    assert_eq!(channel.column_names().len(), 26);
    let curve = classified.time_to_win(&Scope::all(), None)?.to_frame();
    assert_eq!(types(&curve)[0], "Float64");
    let rejections = Rejections(&[]).to_frame();
    assert_eq!(
        types(&rejections),
        ["Utf8", "UInt64", "Utf8", "Utf8", "Utf8"]
    );
    Ok(())
}

#[test]
fn rejections_convert_and_display() -> TestResult {
    let reps = "rep_id,daily_contact_target\nana,3\nbob,-1\n<b>,x\n";
    let mut b = LedgerBuilder::new();
    b.mode(Mode::Lenient);
    sales_metrics::ingest::read_csv(
        RecordKind::Rep,
        reps.as_bytes(),
        Path::new("reps.csv"),
        &mut b,
    )?;
    let ledger = b.build()?;
    let shown = Rejections(ledger.rejections());
    let mut got = ledger.rejections().to_vec();
    got.sort();
    assert_eq!(
        got,
        [
            Rejection {
                kind: RecordKind::Rep,
                row: 2,
                id: "bob".into(),
                field: "daily_contact_target".into(),
                reason: Reason::NegativeNumber,
            },
            Rejection {
                kind: RecordKind::Rep,
                row: 3,
                id: "<b>".into(),
                field: "daily_contact_target".into(),
                reason: Reason::BadNumber,
            },
        ]
    );
    let f = shown.to_frame();
    assert_eq!(
        f.column("row"),
        Some(&ColumnData::UInt64(vec![Some(2), Some(3)]))
    );
    let html = shown.to_html();
    assert!(html.contains("2 rejected records"));
    assert!(html.contains("&lt;b&gt;") && !html.contains("<b>"));
    let text = shown.to_string();
    assert!(text.starts_with("2 rejected records\n"));
    assert!(text.contains("negative_number") && text.contains("bad_number"));
    Ok(())
}

#[test]
fn any_table_converts_by_inference() {
    let mut t = Table::new(&["rep_id", "n", "share"]);
    t.push(vec!["ana".into(), 3u64.into(), Cell::float(Some(0.5))]);
    let f = Frame::from_table(&t);
    assert_eq!(types(&f), ["Utf8", "Int64", "Float64"]);
}

#[cfg(feature = "arrow")]
#[test]
fn arrow_record_batches_keep_types_and_nulls() -> TestResult {
    use arrow_array::{Array, Date32Array, Float64Array, StringArray, UInt64Array};
    use arrow_schema::DataType;

    let ledger = demo()?;
    let classified = classify(&ledger, &ClassifyConfig::default());
    let report = classified.period_report(&Scope::rep("ana"), &PeriodSpec::monthly())?;
    let batch = report.to_frame().to_record_batch()?;
    assert_eq!(batch.num_rows(), report.rows.len());
    assert_eq!(batch.num_columns(), 17);
    let schema = batch.schema();
    let ty = |name: &str| schema.field_with_name(name).map(|f| f.data_type().clone());
    assert_eq!(ty("rep_id")?, DataType::Utf8);
    assert_eq!(ty("period_start")?, DataType::Date32);
    assert_eq!(ty("contacts")?, DataType::UInt64);
    assert_eq!(ty("meeting_close_rate")?, DataType::Float64);

    let col = |name: &str| batch.column_by_name(name).ok_or(format!("no {name}"));
    let periods = col("period")?;
    let periods = periods
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or("period")?;
    let june = (0..periods.len())
        .find(|&i| periods.value(i) == "2026-06")
        .ok_or("no June")?;
    let contacts = col("contacts")?;
    let contacts = contacts
        .as_any()
        .downcast_ref::<UInt64Array>()
        .ok_or("contacts")?;
    assert_eq!(contacts.value(june), 60);
    let mcr = col("meeting_close_rate")?;
    let mcr = mcr
        .as_any()
        .downcast_ref::<Float64Array>()
        .ok_or("meeting_close_rate")?;
    assert_eq!(mcr.value(june), 10.0 / 15.0);
    let nulls = report
        .rows
        .iter()
        .filter(|r| r.counts.meetings_held == 0)
        .count();
    assert!(nulls > 0);
    assert_eq!(mcr.null_count(), nulls);
    let starts = col("period_start")?;
    let starts = starts
        .as_any()
        .downcast_ref::<Date32Array>()
        .ok_or("period_start")?;
    assert_eq!(
        starts.value_as_date(june),
        NaiveDate::from_ymd_opt(2026, 6, 1)
    );

    // Empty results are empty batches with the full schema.
    let empty = Rejections(&[]).to_frame().to_record_batch()?;
    assert_eq!((empty.num_rows(), empty.num_columns()), (0, 5));
    Ok(())
}

#[test]
fn findings_and_dedup_evidence_display_and_convert() -> TestResult {
    use sales_metrics::dedup::{CsvRecords as Records, Dedup};
    use sales_metrics::detect::{Finding, Findings};

    let findings = Findings::from(vec![Finding {
        detector: "quota_bunching".into(),
        rep_id: "bogdan".into(),
        period: "2026-03".into(),
        score: 0.8,
        explanation: "17 of 20 days at exactly 4 contacts".into(),
        evidence: (1..=9).map(|i| format!("c{i}")).collect(),
        p_value: 0.0,
        q_value: 0.0,
    }]);
    let shown = &findings;
    let f = shown.to_frame();
    assert_eq!(
        types(&f),
        ["Utf8", "Utf8", "Utf8", "Float64", "Utf8", "Utf8"]
    );
    assert_eq!(
        f.column("evidence"),
        Some(&ColumnData::Utf8(vec![Some(
            "c1 c2 c3 c4 c5 c6 c7 c8 c9".into()
        )]))
    );
    // People see the count and the first ids; the CSV keeps them all.
    assert!(shown.to_html().contains("9 records: c1 c2 c3 c4 c5 c6 …"));
    assert!(
        shown
            .to_string()
            .contains("quota_bunching · bogdan · 2026-03 · score 0.80")
    );
    assert_eq!(Findings::default().to_frame().column_names().len(), 6);

    let csv = "prospect_id,name,company,email,phone,city,country\n\
               p1,Ion Popescu,Alfa Construct SRL,ion.popescu@alfa.ro,0721 234 567,București,RO\n\
               p2,POPESCU ION,S.C. Alfa Construct S.R.L.,Ion.Popescu+crm@alfa.ro,+40 721 234 567,Bucharest,RO\n\
               p3,Maria <Popescu>,Alfa Construct,maria@alfa.ro,021 300 4000,Bucuresti,RO\n";
    let result = Dedup::prospect().run(&Records::from_csv(csv.as_bytes(), "prospect_id")?)?;
    let clusters = result.clusters_table();
    assert_eq!(
        clusters.columns,
        sales_metrics::dedup::DedupResult::CLUSTER_COLUMNS
    );
    assert_eq!(clusters.rows.len(), 1);
    assert_eq!(clusters.rows[0][2], Cell::from("p1 p2"));
    let links = result.links_table();
    assert_eq!(links.rows.len(), 1);
    assert_eq!(result.cluster_links_table("p1"), links);
    let fields = links.rows[0][7].to_text();
    assert!(
        fields.contains("email") && fields.contains("name"),
        "{fields}"
    );
    let html = result.to_html();
    assert!(html.contains("Deduplication: 3 records in 2 clusters"));
    assert!(result.to_string().contains("p1 p2"));
    let evidence = result.evidence("p1");
    let first = evidence.first().ok_or("no evidence")?;
    assert!(first.to_html().contains("p1 ~ p2: match probability"));
    assert_eq!(first.table().rows.len(), first.fields.len());
    let frame = Frame::from_table(&links);
    assert_eq!(frame.column("probability").map(ty), Some("Float64"));
    Ok(())
}
