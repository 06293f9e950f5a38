//! Deduplication accuracy against known truth: Febrl 1 and 2 (shipped in
//! `../shared/data/dedup`) and generated CRM prospect data.
//!
//! Pairwise F1 counts pairs of records put together; cluster-level F1
//! counts predicted clusters equal to a true cluster (see
//! `sales_metrics::sim::LinkageScores`). The 200,000-record evaluation is
//! `#[ignore]`d: `cargo test --release --test dedup_eval -- --ignored
//! --nocapture`.

use std::path::PathBuf;
use std::time::Instant;

use sales_metrics::dedup::{
    CsvRecords as Table, Dedup, FieldKind, FieldSpec, Profile, RecordSource,
};
use sales_metrics::sim::{CrmConfig, LinkageScores};

type TestResult = Result<(), Box<dyn std::error::Error>>;

struct Outcome {
    pairwise: LinkageScores,
    cluster: LinkageScores,
    blocking: LinkageScores,
}

fn evaluate(
    dedup: &Dedup,
    table: &Table,
    truth_column: &str,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let start = Instant::now();
    let result = dedup.run(table)?;
    let elapsed = start.elapsed();
    let tc = table.column(truth_column).ok_or("no truth column")?;
    let truth: Vec<(&str, &str)> = (0..table.len())
        .map(|i| (table.id(i), table.value(i, tc).unwrap_or("")))
        .collect();
    let pairwise = LinkageScores::pairwise(result.partition(), truth.iter().copied());
    let cluster = LinkageScores::cluster_level(result.partition(), truth.iter().copied());
    let blocking = LinkageScores::blocking_recall(
        result.candidate_pairs().ok_or("candidates not kept")?,
        truth.iter().copied(),
    );
    let s = result.stats();
    println!(
        "{} records: pairwise {pairwise}\n  cluster-level {cluster}\n  blocking recall {:.4} ({} candidate pairs)\n  clusters {} largest {} elapsed {:.3} s",
        s.records,
        blocking.recall(),
        blocking.predicted,
        s.clusters,
        s.largest_cluster,
        elapsed.as_secs_f64()
    );
    Ok(Outcome {
        pairwise,
        cluster,
        blocking,
    })
}

/// The Febrl field mapping.
fn febrl_profile() -> Result<Profile, sales_metrics::Error> {
    Profile::new(vec![
        FieldSpec::new("given_name", FieldKind::GivenName),
        FieldSpec::new("surname", FieldKind::Surname),
        FieldSpec::new("street_number", FieldKind::Id),
        FieldSpec::new("address_1", FieldKind::Text),
        FieldSpec::new("address_2", FieldKind::Text),
        FieldSpec::new("suburb", FieldKind::City),
        FieldSpec::new("postcode", FieldKind::Postcode),
        FieldSpec::new("state", FieldKind::Id),
        FieldSpec::new("date_of_birth", FieldKind::Date),
        FieldSpec::new("soc_sec_id", FieldKind::Id),
    ])
}

fn febrl(name: &str) -> TestResult {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/dedup")
        .join(format!("{name}.csv"));
    let Ok(file) = std::fs::File::open(&path) else {
        println!("skipped: {} not found", path.display());
        return Ok(());
    };
    let table = Table::from_csv(file, "rec_id")?;
    let dedup = Dedup::new(febrl_profile()?).with_candidate_pairs();
    let o = evaluate(&dedup, &table, "cluster_id")?;
    assert!(o.pairwise.f1() >= 0.995, "{name}: pairwise {}", o.pairwise);
    assert!(
        o.blocking.recall() >= 0.99,
        "{name}: blocking {}",
        o.blocking
    );
    Ok(())
}

#[test]
fn febrl1_pairwise_f1() -> TestResult {
    febrl("febrl1")
}

#[test]
fn febrl2_pairwise_f1() -> TestResult {
    febrl("febrl2")
}

fn crm(records: usize, seed: u64) -> Result<Outcome, Box<dyn std::error::Error>> {
    let table = CrmConfig {
        records,
        seed,
        ..CrmConfig::default()
    }
    .generate()
    .records()?;
    evaluate(
        &Dedup::prospect().with_candidate_pairs(),
        &table,
        "entity_id",
    )
}

#[test]
fn generated_crm_20k_pairwise_and_cluster_f1() -> TestResult {
    let o = crm(20_000, 2026)?;
    assert!(o.pairwise.f1() >= 0.97, "pairwise {}", o.pairwise);
    assert!(o.cluster.f1() >= 0.95, "cluster-level {}", o.cluster);
    assert!(o.blocking.recall() >= 0.97, "blocking {}", o.blocking);
    Ok(())
}

#[test]
#[ignore = "200,000 records: run in release with --ignored --nocapture"]
fn generated_crm_200k_evaluation() -> TestResult {
    let o = crm(200_000, 7)?;
    assert!(o.pairwise.f1() >= 0.97, "pairwise {}", o.pairwise);
    assert!(o.cluster.f1() >= 0.95, "cluster-level {}", o.cluster);
    Ok(())
}
