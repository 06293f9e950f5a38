//! The tables computed through DataFusion equal the core crate's, byte for
//! byte: on the demo data, on random folders (rows in any order, any
//! supplied partition, both newness settings), with any number of target
//! partitions, from CSV and from Parquet.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{TimeDelta, TimeZone, Utc};
use datafusion::prelude::{SessionConfig, SessionContext};
use proptest::prelude::*;
use sales_metrics::ingest::read_csv_folder;
use sales_metrics::report::{Granularity, PeriodSpec, Scope};
use sales_metrics::{
    Channel, ClassifyConfig, Contact, LedgerBuilder, Meeting, MeetingStatus, Newness,
    ProspectRecord, Records, Rep, Sale, SuppliedPartition, classify,
};
use sales_metrics_datafusion::{Format, SalesContext};

type Tables = BTreeMap<String, String>;

const NAMES: [&str; 5] = [
    "contact_classes",
    "period_report",
    "revenue",
    "cohort_report",
    "prospect_clusters",
];

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("smdf-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The five tables as the core writes them from `dir` (its
/// `prospect_clusters.csv`, when there is one, as the supplied partition).
fn core_tables(dir: &Path, config: &ClassifyConfig, periods: &PeriodSpec) -> Tables {
    let mut b = LedgerBuilder::new();
    read_csv_folder(dir, &mut b).unwrap();
    let clusters = dir.join("prospect_clusters.csv");
    if clusters.is_file() {
        b.partition(SuppliedPartition::from_file(&clusters).unwrap());
    }
    let ledger = b.build().unwrap();
    let classified = classify(&ledger, config);
    let report = classified.period_report(&Scope::all(), periods).unwrap();
    let cohorts = classified.cohort_report(&Scope::all(), periods).unwrap();
    let text = |write: &dyn Fn(&mut Vec<u8>)| {
        let mut buf = Vec::new();
        write(&mut buf);
        String::from_utf8(buf).unwrap()
    };
    let mut out = Tables::new();
    out.insert(
        "contact_classes".into(),
        text(&|w| classified.write_classes_csv(w).unwrap()),
    );
    out.insert(
        "period_report".into(),
        text(&|w| report.table().write_csv(w).unwrap()),
    );
    out.insert(
        "revenue".into(),
        text(&|w| report.revenue_table().write_csv(w).unwrap()),
    );
    out.insert(
        "cohort_report".into(),
        text(&|w| cohorts.table().write_csv(w).unwrap()),
    );
    out.insert(
        "prospect_clusters".into(),
        text(&|w| ledger.write_prospect_clusters_csv(w).unwrap()),
    );
    out
}

fn read_tables(dir: &Path) -> Tables {
    NAMES
        .iter()
        .map(|n| {
            let text = std::fs::read_to_string(dir.join(format!("{n}.csv"))).unwrap();
            (n.to_string(), text)
        })
        .collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The five tables computed by DataFusion with `partitions` target
/// partitions.
fn engine_tables(
    dir: &Path,
    format: Format,
    partitions: usize,
    config: &ClassifyConfig,
    periods: &PeriodSpec,
    out: &Path,
) -> Tables {
    runtime().block_on(async {
        let ctx = SessionContext::new_with_config(
            SessionConfig::new().with_target_partitions(partitions),
        );
        let sales = SalesContext::with_config(ctx, *config);
        sales.register_folder(dir, format).await.unwrap();
        sales.check().await.unwrap();
        sales.write_tables(out, periods).await.unwrap();
    });
    read_tables(out)
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/demo")
}

#[test]
fn demo_tables_equal_the_core_with_any_partitions() {
    let config = ClassifyConfig::default();
    let periods = PeriodSpec::monthly();
    let expected = core_tables(&demo(), &config, &periods);
    for partitions in [1, 3, 8] {
        let out = temp_dir(&format!("demo-{partitions}"));
        let got = engine_tables(&demo(), Format::Csv, partitions, &config, &periods, &out);
        for n in NAMES {
            assert_eq!(got[n], expected[n], "{n} with {partitions} partitions");
        }
        let _ = std::fs::remove_dir_all(out);
    }
}

#[test]
fn weeks_in_a_zone_and_per_rep_newness_too() {
    let config = ClassifyConfig {
        dormancy: TimeDelta::days(30),
        newness: Newness::PerRep,
    };
    let periods = PeriodSpec::new(Granularity::IsoWeek)
        .in_zone_named("America/New_York")
        .unwrap();
    let expected = core_tables(&demo(), &config, &periods);
    let out = temp_dir("demo-weeks");
    let got = engine_tables(&demo(), Format::Csv, 4, &config, &periods, &out);
    assert_eq!(got, expected);
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_parquet_dataset_gives_the_same_tables() {
    let config = ClassifyConfig::default();
    let periods = PeriodSpec::monthly();
    let dataset = temp_dir("demo-parquet");
    runtime().block_on(async {
        // Small batches: round-robin spreads them over the 3 files.
        let config = SessionConfig::new().with_batch_size(256);
        let sales = SalesContext::new(SessionContext::new_with_config(config));
        sales.register_folder(demo(), Format::Csv).await.unwrap();
        sales.write_parquet(&dataset, 3).await.unwrap();
    });
    let files = std::fs::read_dir(dataset.join("contacts")).unwrap().count();
    assert!(files >= 2, "{files} files: the dataset is partitioned");
    let out = temp_dir("demo-parquet-out");
    let got = engine_tables(&dataset, Format::Parquet, 5, &config, &periods, &out);
    assert_eq!(got, core_tables(&demo(), &config, &periods));
    let _ = std::fs::remove_dir_all(out);
    let _ = std::fs::remove_dir_all(dataset);
}

#[test]
fn check_names_the_first_broken_reference() {
    let dir = temp_dir("broken");
    let t = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
    let records = Records {
        reps: vec![Rep::new("ana")],
        prospects: vec![ProspectRecord::new("p1")],
        contacts: vec![Contact::new("c1", "bob", "p1", t, Channel::Phone)],
        ..Records::default()
    };
    records.write_csv_folder(&dir).unwrap();
    let err = runtime().block_on(async {
        let sales = SalesContext::new(SessionContext::new());
        sales.register_folder(&dir, Format::Csv).await.unwrap();
        sales.check().await.unwrap_err()
    });
    assert_eq!(err.to_string(), "contact \"c1\": rep_id: unknown_rep");
    let _ = std::fs::remove_dir_all(dir);
}

/// (kind, prospect, rep, day, hour, extra) per event; `extra` picks a
/// meeting status, a sale amount and currency, a contact duration.
fn events() -> impl Strategy<Value = Vec<(u8, u8, u8, i64, i64, u8)>> {
    prop::collection::vec((0u8..3, 0u8..6, 0u8..3, 0i64..420, 0i64..3, 0u8..6), 0..40)
}

fn records(events: &[(u8, u8, u8, i64, i64, u8)]) -> Records {
    let day0 = Utc.with_ymd_and_hms(2025, 12, 29, 22, 0, 0).unwrap();
    let reps = ["r1", "r10", "r2"];
    let mut r = Records {
        reps: reps.iter().map(|&id| Rep::new(id)).collect(),
        prospects: (0..6)
            .map(|p| ProspectRecord::new(format!("p{p}")))
            .collect(),
        ..Records::default()
    };
    for (i, &(kind, p, rep, day, hour, extra)) in events.iter().enumerate() {
        let at = day0 + TimeDelta::days(day) + TimeDelta::hours(hour * 11);
        let (rep, p) = (reps[rep as usize], format!("p{p}"));
        match kind {
            0 => {
                let mut c = Contact::new(
                    format!("c{i}"),
                    rep,
                    p,
                    at,
                    Channel::ALL[extra as usize % 5],
                );
                c.duration_s = (extra > 1).then_some(i64::from(extra) * 60);
                r.contacts.push(c);
            }
            1 => {
                let mut m = Meeting::new(format!("m{i}"), rep, p, at);
                m.status = MeetingStatus::ALL[extra as usize % 3];
                r.meetings.push(m);
            }
            _ => {
                let mut s = Sale::new(format!("s{i}"), rep, p, at);
                s.amount_minor = (extra > 0).then_some(i64::from(extra) * 1000);
                s.currency = match extra {
                    0..=2 => Some("EUR".into()),
                    3 | 4 => Some("USD".into()),
                    _ => None,
                };
                r.sales.push(s);
            }
        }
    }
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn random_folders_give_the_core_tables(
        events in events(),
        per_rep in any::<bool>(),
        groups in prop::collection::vec(0u8..4, 6),
        reverse in any::<bool>(),
        partitions in 1usize..5,
    ) {
        let mut records = records(&events);
        if reverse {
            // Rows in another order: results do not depend on it.
            records.contacts.reverse();
            records.meetings.reverse();
            records.prospects.reverse();
        }
        let dir = temp_dir(&format!("prop-{}", events.len()));
        records.write_csv_folder(&dir).unwrap();
        // A supplied partition: records with the same group are one prospect
        // (group 0: not listed).
        let mut clusters = String::from("prospect_id,cluster_id\n");
        for (p, g) in groups.iter().enumerate().filter(|(_, g)| **g > 0) {
            clusters.push_str(&format!("p{p},g{g}\n"));
        }
        std::fs::write(dir.join("prospect_clusters.csv"), clusters).unwrap();
        let config = ClassifyConfig {
            newness: if per_rep { Newness::PerRep } else { Newness::Organisation },
            ..ClassifyConfig::default()
        };
        let periods = PeriodSpec::monthly();
        let expected = core_tables(&dir, &config, &periods);
        let out = dir.join("out");
        let got = engine_tables(&dir, Format::Csv, partitions, &config, &periods, &out);
        let _ = std::fs::remove_dir_all(&dir);
        prop_assert_eq!(got, expected);
    }
}

#[test]
fn the_window_function_works_in_the_dataframe_api() {
    use datafusion::functions_aggregate::expr_fn::count;
    use datafusion::logical_expr::ExprFunctionExt;
    use datafusion::prelude::{col, lit};
    use sales_metrics::ContactClass;

    let counts = runtime().block_on(async {
        let sales = SalesContext::new(SessionContext::new());
        sales.register_folder(demo(), Format::Csv).await.unwrap();
        let contact_class = sales_metrics_datafusion::window_functions()
            .into_iter()
            .find(|f| f.name() == "contact_class")
            .unwrap();
        let args = ["kind", "at", "id", "rep_id", "held"].map(col).to_vec();
        let class = contact_class
            .call(args)
            .partition_by(vec![col("prospect")])
            .order_by(vec![
                col("at").sort(true, false),
                col("kind_rank").sort(true, false),
                col("id").sort(true, false),
            ])
            .build()
            .unwrap()
            .alias("class");
        let batches = sales
            .context()
            .table("sales_events")
            .await
            .unwrap()
            .select(vec![col("kind"), class])
            .unwrap()
            .filter(col("kind").eq(lit("contact")))
            .unwrap()
            .aggregate(vec![col("class")], vec![count(lit(1)).alias("n")])
            .unwrap()
            .collect()
            .await
            .unwrap();
        let mut counts = BTreeMap::new();
        for b in &batches {
            let (class, n) = (b.column(0), b.column(1));
            let class = datafusion::arrow::compute::cast(
                class,
                &datafusion::arrow::datatypes::DataType::Utf8,
            )
            .unwrap();
            let class = datafusion::arrow::array::AsArray::as_string::<i32>(&class);
            let n = datafusion::arrow::array::AsArray::as_primitive::<
                datafusion::arrow::datatypes::Int64Type,
            >(n);
            for i in 0..b.num_rows() {
                counts.insert(class.value(i).to_owned(), n.value(i) as u64);
            }
        }
        counts
    });
    let mut b = LedgerBuilder::new();
    read_csv_folder(demo(), &mut b).unwrap();
    b.partition(SuppliedPartition::from_file(demo().join("prospect_clusters.csv")).unwrap());
    let ledger = b.build().unwrap();
    let expected = classify(&ledger, &ClassifyConfig::default()).class_counts();
    for (class, n) in ContactClass::ALL.iter().zip(expected) {
        assert_eq!(
            counts.get(class.as_str()).copied().unwrap_or(0),
            n,
            "{class}"
        );
    }
}

#[test]
fn simulated_exports_in_every_order_give_the_core_tables() {
    use sales_metrics::sim::{SimConfig, simulate};

    let config = ClassifyConfig::default();
    let periods = PeriodSpec::new(Granularity::IsoWeek);
    let sim = simulate(&SimConfig {
        seed: 18,
        ..SimConfig::demo()
    })
    .unwrap();
    // A stable scramble of ids (the "shuffled" export).
    let scramble = |id: &str| {
        id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    };
    for order in ["time", "prospect", "shuffled"] {
        let mut r = sim.records.clone();
        match order {
            "time" => {
                r.contacts.sort_by_key(|c| c.occurred_at);
                r.meetings.sort_by_key(|m| m.held_at);
                r.sales.sort_by_key(|s| s.closed_at);
            }
            "prospect" => {
                r.contacts
                    .sort_by(|a, b| a.prospect_id.as_str().cmp(b.prospect_id.as_str()));
                r.meetings
                    .sort_by(|a, b| a.prospect_id.as_str().cmp(b.prospect_id.as_str()));
                r.sales
                    .sort_by(|a, b| a.prospect_id.as_str().cmp(b.prospect_id.as_str()));
            }
            _ => {
                r.contacts.sort_by_key(|c| scramble(c.contact_id.as_str()));
                r.meetings.sort_by_key(|m| scramble(m.meeting_id.as_str()));
                r.sales.sort_by_key(|s| scramble(s.sale_id.as_str()));
                r.prospects
                    .sort_by_key(|p| scramble(p.prospect_id.as_str()));
            }
        }
        let dir = temp_dir(&format!("sim-{order}"));
        r.write_csv_folder(&dir).unwrap();
        let mut clusters = String::from("prospect_id,cluster_id\n");
        for (record, group) in sim.truth.supplied_partition().iter() {
            clusters.push_str(&format!("{record},{group}\n"));
        }
        std::fs::write(dir.join("prospect_clusters.csv"), clusters).unwrap();
        let expected = core_tables(&dir, &config, &periods);
        let got = engine_tables(&dir, Format::Csv, 3, &config, &periods, &dir.join("out"));
        assert_eq!(got, expected, "{order} order");
        let _ = std::fs::remove_dir_all(dir);
    }
}
