//! The same tables on a Ballista cluster: a scheduler and two executors
//! started in the test, over a partitioned Parquet dataset.
#![cfg(feature = "ballista")]

use std::path::{Path, PathBuf};

use datafusion::prelude::SessionContext;
use sales_metrics::report::{PeriodSpec, Scope};
use sales_metrics::{ClassifyConfig, LedgerBuilder, SuppliedPartition, classify};
use sales_metrics_datafusion::cluster::{LocalCluster, connect};
use sales_metrics_datafusion::{Format, SalesContext};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/demo")
}

#[test]
fn two_executors_over_parquet_give_the_core_tables() {
    let base = std::env::temp_dir().join(format!("smdf-ballista-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (dataset, out) = (base.join("dataset"), base.join("out"));
    // Ballista plans recurse deeply: the test runs on large stacks.
    let run = {
        let (dataset, out) = (dataset.clone(), out.clone());
        move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(32 << 20)
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    let local = SalesContext::new(SessionContext::new());
                    local.register_folder(demo(), Format::Csv).await.unwrap();
                    local.write_parquet(&dataset, 4).await.unwrap();
                    let cluster = LocalCluster::start(2, 1).await.unwrap();
                    assert_eq!(cluster.executors(), 2);
                    let sales = connect(&cluster.url(), 4, ClassifyConfig::default())
                        .await
                        .unwrap();
                    sales
                        .register_folder(&dataset, Format::Parquet)
                        .await
                        .unwrap();
                    sales
                        .write_tables(&out, &PeriodSpec::monthly())
                        .await
                        .unwrap();
                })
        }
    };
    std::thread::Builder::new()
        .stack_size(32 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();

    let mut b = LedgerBuilder::new();
    sales_metrics::ingest::read_csv_folder(demo(), &mut b).unwrap();
    b.partition(SuppliedPartition::from_file(demo().join("prospect_clusters.csv")).unwrap());
    let ledger = b.build().unwrap();
    let classified = classify(&ledger, &ClassifyConfig::default());
    let report = classified
        .period_report(&Scope::all(), &PeriodSpec::monthly())
        .unwrap();
    let mut period = Vec::new();
    report.table().write_csv(&mut period).unwrap();
    let mut classes = Vec::new();
    classified.write_classes_csv(&mut classes).unwrap();
    assert_eq!(
        std::fs::read(out.join("period_report.csv")).unwrap(),
        period
    );
    assert_eq!(
        std::fs::read(out.join("contact_classes.csv")).unwrap(),
        classes
    );
    let _ = std::fs::remove_dir_all(base);
}
