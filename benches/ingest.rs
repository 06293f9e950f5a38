//! Ingestion throughput: CSV and JSON contacts into a `LedgerBuilder`, and
//! CSV contacts through to a built ledger.
//!
//! `cargo bench --bench ingest`; throughput is reported in contacts/s.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sales_metrics::ingest::{read_csv, read_json};
use sales_metrics::{LedgerBuilder, Mode, RecordKind};

const CONTACTS: usize = 200_000;
const REPS: usize = 50;
const PROSPECTS: usize = 20_000;
const START_US: i64 = 1_780_000_000_000_000;

/// Appends the canonical text of the instant `us` (µs since the epoch) as
/// the crate's writers format it: seconds, a six-digit fraction when not
/// zero, `Z`.
fn push_time_micros(out: &mut String, us: i64) {
    use std::fmt::Write as _;
    let t = chrono::DateTime::from_timestamp_micros(us).unwrap_or_default();
    let _ = write!(out, "{}", t.format("%Y-%m-%dT%H:%M:%S"));
    let frac = us.rem_euclid(1_000_000);
    if frac != 0 {
        let _ = write!(out, ".{frac:06}");
    }
    out.push('Z');
}

const CHANNELS: [&str; 5] = ["phone", "email", "in_person", "internet", "other"];
const OUTCOMES: [&str; 5] = [
    "no_answer",
    "conversation",
    "meeting_booked",
    "not_interested",
    "",
];

/// A deterministic `contacts.csv` of realistic shape (a simple LCG, so no
/// RNG dependency).
fn contacts_csv(n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n * 110);
    s.push_str("contact_id,rep_id,prospect_id,occurred_at,logged_at,channel,direction,duration_s,outcome\n");
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut t = START_US;
    for i in 0..n {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let r = (x >> 33) as usize;
        t += (r % 600_000_000) as i64;
        s.push_str(&format!(
            "c{i:08},r{:03},p{:06},",
            r % REPS,
            (r / 7) % PROSPECTS
        ));
        push_time_micros(&mut s, t);
        s.push(',');
        if r.is_multiple_of(3) {
            push_time_micros(&mut s, t + 90_000_000);
        }
        let outcome = OUTCOMES.get(r % 5).copied().unwrap_or("");
        let channel = CHANNELS.get((r / 5) % 5).copied().unwrap_or("other");
        let direction = if r.is_multiple_of(11) { "inbound" } else { "" };
        s.push_str(&format!(",{channel},{direction},{},{outcome}\n", r % 900));
    }
    s.into_bytes()
}

fn contacts_json(csv: &[u8]) -> Vec<u8> {
    let mut rdr = csv::Reader::from_reader(csv);
    let header = rdr.headers().cloned().unwrap_or_default();
    let mut out = String::from("{\"contacts\":[\n");
    for (i, rec) in rdr.records().flatten().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        let obj: serde_json::Map<String, serde_json::Value> = header
            .iter()
            .zip(rec.iter())
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_owned(), v.into()))
            .collect();
        out.push_str(&serde_json::Value::Object(obj).to_string());
    }
    out.push_str("\n]}\n");
    out.into_bytes()
}

fn people_csv() -> (Vec<u8>, Vec<u8>) {
    let mut reps = String::from("rep_id,team_id\n");
    for r in 0..REPS {
        reps.push_str(&format!("r{r:03},t{}\n", r % 5));
    }
    let mut prospects = String::from("prospect_id,company\n");
    for p in 0..PROSPECTS {
        prospects.push_str(&format!("p{p:06},Company {p}\n"));
    }
    (reps.into_bytes(), prospects.into_bytes())
}

fn bench(c: &mut Criterion) {
    let csv = contacts_csv(CONTACTS);
    let json = contacts_json(&csv);
    let (reps, prospects) = people_csv();
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Elements(CONTACTS as u64));
    g.sample_size(20);

    g.bench_function("csv_contacts_read", |b| {
        b.iter(|| {
            let mut builder = LedgerBuilder::new();
            let r = read_csv(
                RecordKind::Contact,
                csv.as_slice(),
                Path::new("contacts.csv"),
                &mut builder,
            );
            black_box((r.is_ok(), builder))
        })
    });
    g.bench_function("json_contacts_read", |b| {
        b.iter(|| {
            let mut builder = LedgerBuilder::new();
            let r = read_json(json.as_slice(), Path::new("records.json"), &mut builder);
            black_box((r.is_ok(), builder))
        })
    });
    g.bench_function("csv_contacts_read_and_build", |b| {
        b.iter(|| {
            let mut builder = LedgerBuilder::new();
            builder.mode(Mode::Strict);
            let ok = read_csv(
                RecordKind::Rep,
                reps.as_slice(),
                Path::new("reps.csv"),
                &mut builder,
            )
            .is_ok()
                && read_csv(
                    RecordKind::Prospect,
                    prospects.as_slice(),
                    Path::new("prospects.csv"),
                    &mut builder,
                )
                .is_ok()
                && read_csv(
                    RecordKind::Contact,
                    csv.as_slice(),
                    Path::new("contacts.csv"),
                    &mut builder,
                )
                .is_ok();
            let ledger = builder.build();
            black_box((
                ok,
                ledger
                    .map(|l| l.accepted_count(sales_metrics::RecordKind::Contact))
                    .unwrap_or(0),
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
