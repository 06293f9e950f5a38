#![allow(missing_docs)] // criterion_group! generates undocumented items
//! What one update of a [`LiveLedger`] costs on a ledger of about 1M
//! contacts (500k prospect records), as a CRM saves records one at a time:
//!
//! ```text
//! cargo bench --bench live
//! ```
//!
//! - `add_contact_in_order`: a contact later than every event of its
//!   prospect (the common case), on existing prospects;
//! - `add_contact_out_of_order`: a contact earlier than every event of its
//!   prospect (logged late): it becomes the prospect's `new` contact and
//!   the others are classified again;
//! - `add_prospect`: a new prospect record, no deduplication at entry;
//! - `live_snapshot_*/write` and `restore`: a postcard snapshot of the
//!   ledger written (streamed, no disk) and restored from its bytes.
//!
//! Every iteration adds a record with a fresh id; building it is set-up,
//! outside the timing. The ledger grows by the records added (a few
//! hundred thousand at most, next to the million loaded). Data: the seeded
//! generator of `examples/gen_data` (the folder the `pipeline` bench
//! writes), loaded with [`LiveLedger::from_ledger`].

#[path = "support/folder.rs"]
mod folder;
#[path = "../examples/gen_data/synth.rs"]
mod synth;

use folder::data_dir;

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use sales_metrics::live::LiveLedger;
use sales_metrics::{
    Channel, ClassifyConfig, Contact, LedgerBuilder, ProspectRecord, RecordKind, SuppliedPartition,
};

const CONTACTS: usize = 1_000_000;

/// The live ledger of the generated folder, and its prospect record ids.
fn load() -> (LiveLedger, Vec<String>) {
    let dir = data_dir(&synth::Shape::export(CONTACTS));
    let mut b = LedgerBuilder::new();
    let partition = SuppliedPartition::from_file(dir.join("prospect_clusters.csv"));
    b.partition(partition.unwrap_or_default());
    if let Err(e) = sales_metrics::ingest::read_csv_folder(&dir, &mut b) {
        panic!("bench data unreadable: {e}");
    }
    let ledger = match b.build() {
        Ok(l) => l,
        Err(e) => panic!("bench data rejected: {e}"),
    };
    let records = ledger
        .to_records()
        .prospects
        .into_iter()
        .map(|p| p.prospect_id.as_str().to_owned())
        .collect();
    match LiveLedger::from_ledger(&ledger, ClassifyConfig::default()) {
        Ok(live) => (live, records),
        Err(e) => panic!("bench data not loaded live: {e}"),
    }
}

/// Cycles through the prospect records, with a fresh contact id each time.
struct Contacts<'a> {
    records: &'a [String],
    next: usize,
    prefix: &'static str,
}

impl Contacts<'_> {
    /// The next contact, of the next record, at `at(n)`.
    fn make(&mut self, at: impl Fn(usize) -> DateTime<Utc>) -> Contact {
        let n = self.next;
        self.next += 1;
        // A stride coprime with the count spreads consecutive contacts
        // over the ledger, as real arrivals are.
        let i = n.wrapping_mul(7919) % self.records.len().max(1);
        let record = self.records.get(i).map_or("", String::as_str);
        Contact::new(
            format!("{}{n}", self.prefix),
            "r0",
            record,
            at(n),
            Channel::Phone,
        )
    }
}

fn bench(c: &mut Criterion) {
    let (mut live, records) = load();
    let mut g = c.benchmark_group(format!("live_{}_contacts", live.count(RecordKind::Contact)));
    g.sample_size(20);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));

    // The generated history ends in 2027: later than all of it, one
    // second apart per contact.
    let late = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).single();
    let early = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single();
    let (Some(late), Some(early)) = (late, early) else {
        return;
    };

    let mut in_order = Contacts {
        records: &records,
        next: 0,
        prefix: "bench-in-",
    };
    g.bench_function("add_contact_in_order", |b| {
        b.iter_batched(
            || in_order.make(|n| late + TimeDelta::seconds(n as i64)),
            |contact| black_box(live.add_contact(&contact)),
            BatchSize::SmallInput,
        )
    });

    // Earlier than every event, and earlier than the previous
    // out-of-order contact of the same record: each one changes classes.
    let mut out_of_order = Contacts {
        records: &records,
        next: 0,
        prefix: "bench-early-",
    };
    g.bench_function("add_contact_out_of_order", |b| {
        b.iter_batched(
            || out_of_order.make(|n| early - TimeDelta::seconds(n as i64)),
            |contact| black_box(live.add_contact(&contact)),
            BatchSize::SmallInput,
        )
    });

    let mut next_prospect = 0usize;
    g.bench_function("add_prospect", |b| {
        b.iter_batched(
            || {
                next_prospect += 1;
                ProspectRecord::new(format!("bench-p{next_prospect}"))
            },
            |record| black_box(live.add_prospect(&record)),
            BatchSize::SmallInput,
        )
    });
    g.finish();
    snapshots(c, &live);
}

/// Writing a snapshot of the ledger (postcard, streamed to a sink: the
/// packing and the stream, no disk) and restoring one from its bytes
/// (every record checked, prospects, events and classes rebuilt).
fn snapshots(c: &mut Criterion, live: &LiveLedger) {
    let mut g = c.benchmark_group(format!(
        "live_snapshot_{}_contacts",
        live.count(RecordKind::Contact)
    ));
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("write", |b| {
        b.iter(|| black_box(postcard::to_io(live, std::io::sink()).is_ok()))
    });
    let Ok(bytes) = postcard::to_allocvec(live) else {
        return;
    };
    g.bench_function("restore", |b| {
        b.iter(|| black_box(postcard::from_bytes::<LiveLedger>(&bytes).is_ok()))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = bench
}
criterion_main!(benches);
