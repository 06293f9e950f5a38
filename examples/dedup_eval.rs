//! Evaluation of deduplication against known truth: Febrl 1 and 2 (from
//! `../shared/data/dedup`) and generated CRM prospect data.
//!
//! ```text
//! cargo run --release --example dedup_eval -- [CRM_RECORDS] [SEED]
//! ```
//! Prints pairwise and cluster-level precision, recall and F1, blocking
//! recall, the largest cluster and elapsed time for each data set.

use std::path::PathBuf;
use std::time::Instant;

use sales_metrics::dedup::{CsvRecords, Dedup, FieldKind, FieldSpec, Profile};
use sales_metrics::sim::{CrmConfig, LinkageScores};

fn febrl_profile() -> Result<Profile, Box<dyn std::error::Error>> {
    Ok(Profile::new(vec![
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
    ])?)
}

fn report(
    name: &str,
    dedup: &Dedup,
    table: &CsvRecords,
    truth_col: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    use sales_metrics::dedup::RecordSource;
    let t = Instant::now();
    let result = dedup.run(table)?;
    let elapsed = t.elapsed();
    let tc = table.column(truth_col).ok_or("no truth column")?;
    let truth: Vec<(&str, &str)> = (0..table.len())
        .map(|i| (table.id(i), table.value(i, tc).unwrap_or("")))
        .collect();
    let pw = LinkageScores::pairwise(result.partition(), truth.iter().copied());
    let cl = LinkageScores::cluster_level(result.partition(), truth.iter().copied());
    let br = result
        .candidate_pairs()
        .map(|c| LinkageScores::blocking_recall(c, truth.iter().copied()));
    let s = result.stats();
    println!("== {name}: {} records", s.records);
    println!("pairwise      {pw}");
    println!("cluster-level {cl}");
    if let Some(br) = br {
        println!(
            "blocking recall {:.4} ({} of {} true pairs; {} candidate pairs)",
            br.recall(),
            br.true_positives,
            br.actual,
            br.predicted
        );
    }
    println!(
        "clusters {} largest {} linked {} refused(conflict {}, size {}) oversized blocks {} prior {:.3e} elapsed {:.3}s (normalise {:.3} s, block {:.3} s, score {:.3} s, cluster {:.3} s)",
        s.clusters,
        s.largest_cluster,
        s.linked_pairs,
        s.merges_refused_conflict,
        s.merges_refused_size,
        s.oversized_blocks,
        s.prior,
        elapsed.as_secs_f64(),
        s.normalize_time.as_seconds_f64(),
        s.block_time.as_seconds_f64(),
        s.score_time.as_seconds_f64(),
        s.cluster_time.as_seconds_f64()
    );
    println!("pairs per rule {:?}", s.pairs_per_rule);
    if std::env::var("DEDUP_HIST").is_ok() {
        error_histograms(&result, &truth);
    }
    if let Some(n) = std::env::var("DEDUP_DEBUG")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        debug_errors(&result, table, &truth, n);
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let crm_records: usize = args.first().map_or(Ok(20_000), |s| s.parse())?;
    let seed: u64 = args.get(1).map_or(Ok(7), |s| s.parse())?;
    // DEDUP_EM=rounds: re-estimate m by EM (the classic baseline).
    let em_rounds = std::env::var("DEDUP_EM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let configured = |dedup: Dedup| dedup.with_candidate_pairs().with_em_rounds(em_rounds);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/dedup");
    for name in ["febrl1", "febrl2"] {
        let path = dir.join(format!("{name}.csv"));
        match std::fs::File::open(&path) {
            Ok(f) => {
                let table = CsvRecords::from_csv_named(f, &path, "rec_id")?;
                let dedup = configured(Dedup::new(febrl_profile()?));
                report(name, &dedup, &table, "cluster_id")?;
            }
            Err(e) => println!("== {name}: skipped ({}: {e})", path.display()),
        }
    }
    if crm_records > 0 {
        let mut cfg = CrmConfig {
            records: crm_records,
            seed,
            ..CrmConfig::default()
        };
        if let Some(m) = std::env::var("DEDUP_MISSING")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            cfg.missing = m;
        }
        let data = cfg.generate();
        let table = data.records()?;
        let dedup = configured(Dedup::prospect());
        report(&format!("crm (seed {seed})"), &dedup, &table, "entity_id")?;
    }
    Ok(())
}

/// With `DEDUP_DEBUG=N`: prints N wrongly linked and N missed pairs.
#[allow(dead_code)]
fn debug_errors(
    result: &sales_metrics::dedup::DedupResult,
    table: &CsvRecords,
    truth: &[(&str, &str)],
    n: usize,
) {
    use sales_metrics::dedup::RecordSource;
    use std::collections::HashMap;
    let t: HashMap<&str, &str> = truth.iter().copied().collect();
    let row = |id: &str| -> String {
        let i = (0..table.len()).find(|&i| table.id(i) == id).unwrap_or(0);
        (0..table.headers().len())
            .map(|c| table.value(i, c).unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let mut shown = 0;
    for e in result.all_evidence() {
        if t.get(e.left.as_str()) != t.get(e.right.as_str()) && shown < n {
            shown += 1;
            println!("FP {e}\n   {}\n   {}", row(&e.left), row(&e.right));
        }
    }
    // Missed: true pairs in different predicted clusters.
    let mut by_entity: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, ent) in truth {
        by_entity.entry(ent).or_default().push(id);
    }
    let mut shown = 0;
    for members in by_entity.values() {
        for (x, a) in members.iter().enumerate() {
            for b in members.iter().skip(x + 1) {
                if result.cluster_id(a) != result.cluster_id(b) && shown < n {
                    shown += 1;
                    let why = result
                        .explain(a, b)
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    println!(
                        "FN cand={:?} {why}\n   {}\n   {}",
                        result.is_candidate(a, b),
                        row(a),
                        row(b)
                    );
                }
            }
        }
    }
}

/// With `DEDUP_HIST=1`: histograms of error pairs by field levels.
#[allow(dead_code)]
fn error_histograms(result: &sales_metrics::dedup::DedupResult, truth: &[(&str, &str)]) {
    use std::collections::HashMap;
    let t: HashMap<&str, &str> = truth.iter().copied().collect();
    let key = |e: &sales_metrics::dedup::PairEvidence| -> String {
        e.fields
            .iter()
            .map(|f| format!("{}={}", f.field, f.level_name))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut fp: HashMap<String, usize> = HashMap::new();
    for e in result.all_evidence() {
        if t.get(e.left.as_str()) != t.get(e.right.as_str()) {
            *fp.entry(key(&e)).or_default() += 1;
        }
    }
    let mut by_entity: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, ent) in truth {
        by_entity.entry(ent).or_default().push(id);
    }
    let mut fn_: HashMap<String, usize> = HashMap::new();
    for members in by_entity.values() {
        for (x, a) in members.iter().enumerate() {
            for b in members.iter().skip(x + 1) {
                if result.cluster_id(a) != result.cluster_id(b)
                    && let Some(e) = result.explain(a, b)
                {
                    let c = if result.is_candidate(a, b) == Some(true) {
                        "cand"
                    } else {
                        "NOTCAND"
                    };
                    let above = if e.probability >= e.threshold {
                        "ABOVE"
                    } else {
                        "below"
                    };
                    *fn_.entry(format!("{c} {above} {}", key(&e))).or_default() += 1;
                }
            }
        }
    }
    let mut v: Vec<_> = fp.into_iter().collect();
    v.sort_by_key(|x| std::cmp::Reverse(x.1));
    println!("-- FP pairs by levels (top 25)");
    for (k, n) in v.iter().take(25) {
        println!("{n:6} {k}");
    }
    let mut v: Vec<_> = fn_.into_iter().collect();
    v.sort_by_key(|x| std::cmp::Reverse(x.1));
    println!("-- FN pairs by levels (top 40)");
    for (k, n) in v.iter().take(40) {
        println!("{n:6} {k}");
    }
}
