//! Record linkage: normalisation, scoring, clustering, evidence, the
//! incremental index and the ledger's default deduplication.

use std::sync::Arc;

use proptest::prelude::*;
use sales_metrics::dedup::{
    Comparator, CsvRecords as Table, Dedup, DedupIndex, FieldKind, FieldSpec, Profile, RecordSource,
};
use sales_metrics::sim::{CrmConfig, CrmData};
use sales_metrics::{Channel, Contact, LedgerBuilder, ProspectRecord, Rep};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const HEADERS: [&str; 7] = [
    "prospect_id",
    "name",
    "company",
    "email",
    "phone",
    "city",
    "country",
];

fn table(rows: &[[&str; 7]]) -> Result<Table, sales_metrics::Error> {
    let mut t = Table::new(HEADERS.map(String::from).to_vec(), "prospect_id")?;
    for r in rows {
        t.push_row(r.iter().copied());
    }
    Ok(t)
}

/// One person entered three ways, a colleague on the switchboard, and a
/// namesake at another company.
fn office() -> Result<Table, sales_metrics::Error> {
    table(&[
        [
            "p1",
            "Ștefan Țurcanu",
            "Alfa Construct SRL",
            "stefan.turcanu@alfaconstruct.ro",
            "+40 721 234 567",
            "București",
            "RO",
        ],
        [
            "p2",
            "TURCANU Ştefan",
            "S.C. ALFA CONSTRUCT S.R.L.",
            "Stefan.Turcanu+crm@AlfaConstruct.ro",
            "0040721234567",
            "Bucharest",
            "RO",
        ],
        [
            "p3",
            "S. Turcanu",
            "Alfa Construct",
            "",
            "0721-234-567",
            "Bucuresti Sector 3",
            "RO",
        ],
        [
            "p4",
            "Maria Ionescu",
            "Alfa Construct SRL",
            "office@alfaconstruct.ro",
            "021 300 4000",
            "București",
            "RO",
        ],
        [
            "p5",
            "Andrei Popa",
            "Alfa Construct SRL",
            "office@alfaconstruct.ro",
            "021 300 4000",
            "București",
            "RO",
        ],
        [
            "p6",
            "Stefan Turcanu",
            "Beta Logistic SA",
            "s.turcanu@betalogistic.ro",
            "0744 555 666",
            "Cluj-Napoca",
            "RO",
        ],
        [
            "p7",
            "Maria Ionescu",
            "Alfa Construct SRL",
            "",
            "021 300 4000",
            "Bucuresti",
            "RO",
        ],
    ])
}

#[test]
fn one_person_three_ways_is_one_prospect() -> TestResult {
    let result = Dedup::prospect().run(&office()?)?;
    assert_eq!(result.cluster_id("p1"), Some("p1"));
    assert_eq!(result.cluster_id("p2"), Some("p1"));
    assert_eq!(result.cluster_id("p3"), Some("p1"));
    // Colleagues sharing switchboard, mailbox, company and city stay apart.
    assert_ne!(result.cluster_id("p4"), result.cluster_id("p5"));
    // A namesake at another company with other contact details is another
    // prospect.
    assert_eq!(result.cluster_id("p6"), Some("p6"));
    // The same colleague entered twice is one prospect.
    assert_eq!(result.cluster_id("p7"), Some("p4"));
    assert_eq!(result.members("p1"), vec!["p1", "p2", "p3"]);
    Ok(())
}

#[test]
fn evidence_names_fields_levels_weights_and_threshold() -> TestResult {
    let result = Dedup::prospect().run(&office()?)?;
    let evidence = result.evidence("p1");
    assert!(!evidence.is_empty());
    for e in &evidence {
        assert!(e.probability >= e.threshold, "{e}");
        assert!(e.total >= e.threshold_weight);
        assert_eq!(e.fields.len(), 5);
        let sum: f64 = e.fields.iter().map(|f| f.weight).sum::<f64>() + e.prior_weight;
        assert!((sum - e.total).abs() < 1e-3, "{e}");
        assert!(
            result.cluster_id(&e.left) == Some("p1") && result.cluster_id(&e.right) == Some("p1")
        );
    }
    let p1_p2 = evidence
        .iter()
        .find(|e| (e.left.as_str(), e.right.as_str()) == ("p1", "p2"))
        .ok_or("p1~p2 not linked")?;
    let level = |field: &str| {
        p1_p2
            .fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.level_name.clone())
    };
    assert_eq!(level("name").as_deref(), Some("exact"));
    assert_eq!(level("company").as_deref(), Some("exact"));
    assert_eq!(level("email").as_deref(), Some("exact"));
    assert_eq!(level("phone").as_deref(), Some("exact"));
    assert!(result.evidence("p6").is_empty());
    // Any pair can be explained, linked or not.
    // Colleagues: the shared switchboard and mailbox add at most a bit
    // each, and their different names keep them apart.
    let why_not = result.explain("p4", "p5").ok_or("no evidence")?;
    let field = |name: &str| why_not.fields.iter().find(|f| f.field == name).cloned();
    assert_eq!(
        field("name").map(|f| f.level_name).as_deref(),
        Some("different")
    );
    assert!(
        field("phone").is_some_and(|f| f.weight <= 1.0 + 1e-9),
        "{why_not}"
    );
    assert!(
        field("email").is_some_and(|f| f.weight <= 1.0 + 1e-9),
        "{why_not}"
    );
    Ok(())
}

#[test]
fn partition_csv_is_sorted_by_record_id_with_smallest_id_as_cluster() -> TestResult {
    let mut t = Table::new(vec!["id".into(), "name".into(), "email".into()], "id")?;
    for (id, name, email) in [
        ("r2", "Ion Popescu", "ion@alfa.ro"),
        ("r10", "Popescu Ion", "ION@alfa.ro"),
        ("r1", "Maria Pop", "maria@beta.ro"),
    ] {
        t.push_row([id, name, email]);
    }
    let profile = Profile::new(vec![
        FieldSpec::new("name", FieldKind::PersonName),
        FieldSpec::new("email", FieldKind::Email),
    ])?;
    let result = Dedup::new(profile).run(&t)?;
    let mut out = Vec::new();
    result.write_csv(&mut out, "record_id")?;
    assert_eq!(
        String::from_utf8(out)?,
        "record_id,cluster_id\nr1,r1\nr10,r10\nr2,r10\n"
    );
    Ok(())
}

#[test]
fn duplicate_and_empty_ids_are_errors() -> TestResult {
    let t = table(&[
        ["a", "X", "", "", "", "", ""],
        ["a", "Y", "", "", "", "", ""],
    ])?;
    assert!(Dedup::prospect().run(&t).is_err());
    let t = table(&[["", "X", "", "", "", "", ""]])?;
    assert!(Dedup::prospect().run(&t).is_err());
    let empty = table(&[])?;
    assert_eq!(Dedup::prospect().run(&empty)?.len(), 0);
    Ok(())
}

/// VAT numbers: digits only, exact or different.
#[derive(Debug)]
struct VatNumber;

impl Comparator for VatNumber {
    fn level_names(&self) -> &[&'static str] {
        &["different", "exact"]
    }
    fn normalize(&self, raw: &str, _country: Option<&str>) -> Option<String> {
        let d: String = raw.chars().filter(char::is_ascii_digit).collect();
        (!d.is_empty()).then_some(d)
    }
    fn compare(&self, a: &str, b: &str) -> u8 {
        u8::from(a == b)
    }
    fn default_m(&self) -> Vec<f64> {
        vec![0.02, 0.98]
    }
    fn default_u(&self) -> Vec<f64> {
        vec![0.9999, 0.0001]
    }
}

#[test]
fn a_caller_adds_a_field_kind() -> TestResult {
    let mut t = Table::new(vec!["id".into(), "company".into(), "vat".into()], "id")?;
    t.push_row(["a", "Alfa SRL", "RO 123456"]);
    t.push_row(["b", "Alfa Construct", "RO123456"]);
    t.push_row(["c", "Alfa SRL", "RO999"]);
    let vat = FieldSpec::custom("vat", Arc::new(VatNumber));
    let profile = Profile::new(vec![FieldSpec::new("company", FieldKind::Company), vat])?;
    let profile = profile.with_blocking(&[&["vat"]])?;
    let result = Dedup::new(profile).without_u_estimation().run(&t)?;
    assert_eq!(result.cluster_id("b"), Some("a"));
    assert_eq!(result.cluster_id("c"), Some("c"));
    Ok(())
}

#[test]
fn a_model_of_other_fields_is_refused() -> TestResult {
    let t = office()?;
    let other = Profile::new(vec![FieldSpec::new("name", FieldKind::PersonName)])?;
    let run = Dedup::new(other).run(&t)?;
    assert!(Dedup::prospect().with_model_of(&run).is_err());
    let same = Dedup::prospect().run(&t)?;
    assert!(Dedup::prospect().with_model_of(&same).is_ok());
    Ok(())
}

#[test]
fn kinds_parse_by_name() {
    for k in FieldKind::ALL {
        assert_eq!(FieldKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(FieldKind::parse("nope"), None);
}

#[test]
fn runaway_clusters_are_guarded() -> TestResult {
    // Thirty records of one unnamed office number and mailbox: the guard
    // caps any cluster at the configured size.
    let rows: Vec<[String; 7]> = (0..30)
        .map(|i| {
            [
                format!("p{i:02}"),
                String::new(),
                "Gamma SRL".into(),
                "g@gamma.ro".into(),
                "0721000000".into(),
                "Iasi".into(),
                "RO".into(),
            ]
        })
        .collect();
    let mut t = Table::new(HEADERS.map(String::from).to_vec(), "prospect_id")?;
    for r in &rows {
        t.push_row(r.iter().map(String::as_str));
    }
    let result = Dedup::prospect().with_max_cluster_size(8).run(&t)?;
    assert!(result.stats().largest_cluster <= 8);
    Ok(())
}

fn crm_table(records: usize, seed: u64) -> Result<Table, sales_metrics::Error> {
    CrmConfig {
        records,
        seed,
        ..CrmConfig::default()
    }
    .generate()
    .records()
}

#[test]
fn index_answers_equal_the_batch_run() -> TestResult {
    let all = crm_table(1500, 3)?;
    // One model for both, so that the answers can be compared.
    let fitted = Dedup::prospect().run(&all)?;
    let dedup = Dedup::prospect()
        .with_candidate_pairs()
        .with_model_of(&fitted)?;
    let batch = dedup.run(&all)?;

    // Inserting one at a time, then asking for the partition, gives the
    // batch partition.
    let mut index = DedupIndex::new(&dedup);
    let mut linked_on_insert = 0;
    for i in 0..all.len() {
        linked_on_insert += index.insert(&all, i)?.len();
    }
    assert!(linked_on_insert > 0);
    let again = index.partition()?;
    assert!(batch.partition().eq(again.partition()));
    assert!(index.insert(&all, 0).is_err(), "ids are unique");

    // A query against every other record matches exactly the batch's
    // linked candidate pairs of that record, with the same scores.
    let ids: Vec<&str> = (0..all.len()).map(|i| all.id(i)).collect();
    for q in (0..all.len()).step_by(97) {
        let mut index = DedupIndex::new(&dedup);
        for i in (0..all.len()).filter(|&i| i != q) {
            index.insert(&all, i)?;
        }
        let mut got: Vec<(String, f64)> = index
            .query(&all, q)
            .into_iter()
            .map(|m| (m.record_id, m.evidence.total))
            .collect();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        let mut want: Vec<(String, f64)> = Vec::new();
        for &other in &ids {
            if other == ids[q] || batch.is_candidate(ids[q], other) != Some(true) {
                continue;
            }
            let e = batch.explain(ids[q], other).ok_or("no evidence")?;
            if e.probability >= e.threshold {
                want.push((other.to_owned(), e.total));
            }
        }
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(got.len(), want.len(), "query {}", ids[q]);
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.0, w.0);
            assert!((g.1 - w.1).abs() < 1e-6, "{} {} vs {}", g.0, g.1, w.1);
        }
    }
    Ok(())
}

#[test]
fn bulk_loaded_index_clusters_like_the_batch() -> TestResult {
    let all = crm_table(800, 5)?;
    let dedup = Dedup::prospect();
    let batch = dedup.run(&all)?;
    let mut index = DedupIndex::new(&dedup.with_model_of(&batch)?);
    index.extend(&all)?;
    for (id, cluster) in batch.partition() {
        assert_eq!(index.cluster_id(id), Some(cluster));
    }
    Ok(())
}

#[test]
fn an_index_refuses_repeated_ids_in_a_bulk_load() -> TestResult {
    let t = table(&[
        ["p1", "Ion Popescu", "", "", "", "", "RO"],
        ["p1", "Maria Ionescu", "", "", "", "", "RO"],
    ])?;
    let mut index = DedupIndex::new(&Dedup::prospect());
    let err = index.extend(&t).err().ok_or("repeated id accepted")?;
    assert!(err.to_string().contains("p1"), "{err}");
    assert!(index.is_empty(), "nothing is loaded");
    Ok(())
}

#[cfg(feature = "parallel")]
#[test]
fn results_do_not_depend_on_thread_count() -> TestResult {
    let all = crm_table(2000, 9)?;
    let many = Dedup::prospect().run(&all)?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let one = pool.install(|| Dedup::prospect().run(&all))?;
    assert!(many.partition().eq(one.partition()));
    // The same model gives the same evidence, to the last bit.
    assert_eq!(many.stats().prior, one.stats().prior);
    assert!(many.all_evidence().eq(one.all_evidence()));
    Ok(())
}

#[test]
fn the_ledger_deduplicates_prospects_by_default() -> TestResult {
    use chrono::{TimeZone, Utc};
    let t = Utc
        .with_ymd_and_hms(2026, 6, 1, 9, 0, 0)
        .single()
        .ok_or("time")?;
    let mut b = LedgerBuilder::new();
    b.add_rep(Rep::new("ana"));
    let person = |id: &str, name: &str, email: &str| ProspectRecord {
        name: Some(name.into()),
        company: Some("Alfa Construct SRL".into()),
        email: Some(email.into()),
        country: Some("RO".into()),
        ..ProspectRecord::new(id)
    };
    b.add_prospect(person("p1", "Ion Popescu", "ion.popescu@alfa.ro"));
    b.add_prospect(person("p2", "POPESCU Ion", "Ion.Popescu+x@alfa.ro"));
    b.add_prospect(person("p3", "Maria Ionescu", "maria.ionescu@alfa.ro"));
    b.add_contact(Contact::new("c1", "ana", "p2", t, Channel::Phone));
    let ledger = b.build()?;
    assert_eq!(ledger.prospect_count(), 2);
    assert_eq!(ledger.prospect_of("p2"), Some("p1"));
    let mut out = Vec::new();
    ledger.write_prospect_clusters_csv(&mut out)?;
    assert_eq!(
        String::from_utf8(out)?,
        "prospect_id,cluster_id\np1,p1\np2,p1\np3,p3\n"
    );
    Ok(())
}

#[test]
fn prospect_records_are_a_record_source() -> TestResult {
    let records = CrmConfig {
        records: 300,
        seed: 4,
        ..CrmConfig::default()
    }
    .generate()
    .prospect_records();
    let from_records = Dedup::prospect().run(&records)?;
    let from_table = Dedup::prospect().run(&crm_table(300, 4)?)?;
    assert!(from_records.partition().eq(from_table.partition()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn shuffled_input_gives_the_same_partition(seed in 0u64..1000, perm_seed in any::<u64>()) {
        let data = CrmConfig { records: 300, seed, ..CrmConfig::default() }.generate();
        let mut rows = data.rows.clone();
        // Fisher–Yates with a small LCG, so the order is arbitrary.
        let mut x = perm_seed | 1;
        for i in (1..rows.len()).rev() {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = (x >> 33) as usize % (i + 1);
            rows.swap(i, j);
        }
        let shuffled = CrmData { rows };
        let a = Dedup::prospect().run(&data.records()?).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let b = Dedup::prospect().run(&shuffled.records()?).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(a.partition().eq(b.partition()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_strings_never_panic(rows in proptest::collection::vec(
        proptest::collection::vec(any::<String>(), 6), 0..12)) {
        let mut t = Table::new(HEADERS.map(String::from).to_vec(), "prospect_id")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (i, r) in rows.iter().enumerate() {
            let id = format!("id{i}");
            t.push_row(std::iter::once(id.as_str()).chain(r.iter().map(String::as_str)));
        }
        let result = Dedup::prospect().run(&t).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(result.len(), rows.len());
        for (id, cluster) in result.partition() {
            prop_assert!(cluster <= id);
            prop_assert_eq!(result.cluster_id(cluster), Some(cluster));
        }
        let fitted = Dedup::prospect()
            .with_model_of(&result)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut index = DedupIndex::new(&fitted);
        for i in 0..t.len() {
            index.insert(&t, i).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
    }

    #[test]
    fn normalisers_never_panic(s in any::<String>(), cc in "[A-Za-z]{0,3}") {
        let phone = FieldKind::Phone.comparator();
        let _ = phone.normalize(&s, Some(&cc));
        for k in FieldKind::ALL {
            let c = k.comparator();
            if let Some(v) = c.normalize(&s, None) {
                let top = c.level_names().len() as u8 - 1;
                prop_assert_eq!(c.compare(&v, &v), top);
                let mut keys = Vec::new();
                c.block_keys(&v, &mut keys);
            }
        }
    }
}

#[test]
fn phones_fold_to_one_form() {
    let phone =
        |raw: &str, country: Option<&str>| FieldKind::Phone.comparator().normalize(raw, country);
    let forms = [
        "+40 721 234 567",
        "0040721234567",
        "0721-234-567",
        "0721.234.567",
        "(0721) 234 567",
    ];
    for f in forms {
        assert_eq!(phone(f, Some("RO")).as_deref(), Some("40721234567"), "{f}");
    }
    assert_eq!(
        phone("+49 30 1234567", Some("RO")).as_deref(),
        Some("49301234567")
    );
    assert_eq!(
        phone("030 1234567", Some("DE")).as_deref(),
        Some("49301234567")
    );
}

#[test]
fn names_fold_diacritics_order_and_titles() {
    let person_name = |raw: &str| FieldKind::PersonName.comparator().normalize(raw, None);
    let company = |raw: &str| FieldKind::Company.comparator().normalize(raw, None);
    let email = |raw: &str| FieldKind::Email.comparator().normalize(raw, None);
    for n in [
        "Ștefan Țurcanu",
        "Ştefan Ţurcanu",
        "TURCANU, Stefan",
        "Dl. Stefan  Turcanu",
    ] {
        assert_eq!(person_name(n).as_deref(), Some("stefan turcanu"), "{n}");
    }
    for c in [
        "Alfa SRL",
        "ALFA S.R.L.",
        "S.C. Alfa S.R.L.",
        "Alfa S.A.",
        "alfa pfa",
        "Alfa Inc.",
        "Alfa LLC",
        "Alfa Ltd",
        "Alfa GmbH",
    ] {
        assert_eq!(company(c).as_deref(), Some("alfa"), "{c}");
    }
    assert_eq!(
        email("Ion.Pop+news@Alfa.RO").as_deref(),
        Some("ion.pop@alfa.ro")
    );
}
