//! Replays a SPEC §2 folder through [`LiveLedger`] one record at a time, as
//! a CRM would save them, measures what each append costs, and writes the
//! same SPEC §11 tables as the `report` example from the live ledger.
//!
//! ```text
//! cargo run --release --example live -- DATA_DIR OUT_DIR [--clusters FILE]
//!     [--arrival logged|shuffled:SEED] [--snapshot-every N]
//!     [--period day|week|month|quarter|year] [--tz ZONE]
//!     [--detectors all|none|NAME,...]
//! ```
//!
//! How the records arrive:
//! - the folder is read once into a batch ledger in lenient mode; its
//!   rejections are written to `rejections.csv` and only its accepted
//!   records are replayed (so a run equals `report --lenient`, and equals
//!   `report` whenever nothing is rejected);
//! - all reps, then all prospect records; then the prospects are formed:
//!   with `--clusters FILE` from that partition (each record listed is
//!   merged with the first accepted record of its `cluster_id` group, as a
//!   CRM replays its merge history; unknown or rejected ids are skipped,
//!   as SPEC §4 says), without it from the partition that the batch
//!   deduplication found (the records it joined are merged in the live
//!   ledger: deduplication at entry would see the records in another order
//!   and need not find the same partition);
//! - then contacts, meetings and sales interleaved: `--arrival logged`
//!   (default) by `logged_at` where a contact has one, else the event time
//!   (`occurred_at`, `held_at`, `closed_at`), ties by kind (contact,
//!   meeting, sale) then position (the batch ledger's id order);
//!   `--arrival shuffled:SEED` in a seeded random order.
//!
//! What it prints: a few at-entry messages (the first contact of each
//! class and the first late arrival that changed other contacts), what a
//! CRM would show as the contact is saved; the latency of each
//! `add_contact` (p50, p99, p99.9, max), the append throughput (events per
//! second and contacts per second, over the time spent in the appends),
//! the late arrivals (contacts earlier than an event already in their
//! prospect) and the classes they changed; with `--snapshot-every N`, a
//! postcard (compact binary serde) snapshot of the live ledger every N
//! event appends, streamed to a file in the temporary folder (size and
//! time to write), and the time to read the last one back and restore it;
//! then the time of
//! `to_ledger`, classification, reports and writing.
//!
//! Writes into OUT_DIR what `report` writes (no `--json` twins):
//! `contact_classes.csv`, `period_report.csv`, `revenue.csv`,
//! `cohort_report.csv`, `findings.csv` (all detectors by default),
//! `prospect_clusters.csv` and `rejections.csv`, replaced as a whole
//! ([`OutputDir`]); `diff -r` against `report`'s OUT_DIR for the same
//! options shows no difference. On any failure: the message on stderr,
//! exit 1, OUT_DIR untouched; bad arguments: the usage, exit 2.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use sales_metrics::detect::{self, DetectConfig, Detector};
use sales_metrics::ingest::{OutputDir, OutputFile, Rejections, read_csv_folder};
use sales_metrics::live::{ClassChange, ContactEntry, LiveLedger};
use sales_metrics::report::{Granularity, PeriodSpec, Scope};
use sales_metrics::{
    ClassifyConfig, Contact, ContactClass, LedgerBuilder, Meeting, Mode, RecordKind, Records,
    Rejection, Sale, SuppliedPartition, classify,
};

const USAGE: &str = "usage: live DATA_DIR OUT_DIR [--clusters FILE] \
[--arrival logged|shuffled:SEED] [--snapshot-every N] [--period day|week|month|quarter|year] \
[--tz ZONE] [--detectors all|none|NAME,...]";

/// Every file this program writes into OUT_DIR (an existing OUT_DIR
/// holding anything else is refused; `report`'s other files are allowed so
/// that one folder can be reused by both).
const OUTPUTS: &[&str] = &[
    "contact_classes.csv",
    "period_report.csv",
    "revenue.csv",
    "cohort_report.csv",
    "findings.csv",
    "prospect_clusters.csv",
    "rejections.csv",
    "contact_classes.json",
    "period_report.json",
    "revenue.json",
    "cohort_report.json",
    "findings.json",
    "rejections.json",
    "error.txt",
];

/// How many at-entry messages to show.
const SAMPLES: usize = 5;

type BoxError = Box<dyn std::error::Error>;

/// The order in which events arrive.
#[derive(Debug, Clone, Copy)]
enum Arrival {
    Logged,
    Shuffled(u64),
}

struct Args {
    data: PathBuf,
    out: PathBuf,
    clusters: Option<PathBuf>,
    arrival: Arrival,
    snapshot_every: Option<u64>,
    periods: PeriodSpec,
    detectors: Vec<Box<dyn Detector>>,
}

/// The text of an option's value; options other than paths must be UTF-8.
fn text_value(name: &str, value: OsString) -> Result<String, String> {
    value
        .into_string()
        .map_err(|v| format!("{name} {}: not valid UTF-8", v.to_string_lossy()))
}

fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut clusters = None;
    let mut arrival = Arrival::Logged;
    let mut snapshot_every = None;
    let mut tz = None;
    let mut period = Granularity::Month;
    let mut detectors = detect::by_names(["all"]).map_err(|e| e.to_string())?;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.to_str() {
            Some("--clusters") => clusters = Some(PathBuf::from(value("--clusters")?)),
            Some("--arrival") => {
                let v = text_value("--arrival", value("--arrival")?)?;
                arrival = match v.split_once(':') {
                    None if v == "logged" => Arrival::Logged,
                    Some(("shuffled", seed)) => Arrival::Shuffled(
                        seed.parse()
                            .map_err(|_| format!("--arrival {v}: SEED is not a number"))?,
                    ),
                    _ => return Err(format!("--arrival {v}: not logged or shuffled:SEED")),
                };
            }
            Some("--snapshot-every") => {
                let v = text_value("--snapshot-every", value("--snapshot-every")?)?;
                let n: u64 = v
                    .parse()
                    .map_err(|_| format!("--snapshot-every {v}: not a number"))?;
                if n == 0 {
                    return Err("--snapshot-every must be at least 1".to_owned());
                }
                snapshot_every = Some(n);
            }
            Some("--tz") => tz = Some(text_value("--tz", value("--tz")?)?),
            Some("--period") => {
                let v = text_value("--period", value("--period")?)?;
                period = Granularity::parse(&v).map_err(|e| e.to_string())?
            }
            Some("--detectors") => {
                let v = text_value("--detectors", value("--detectors")?)?;
                let names = v
                    .split(',')
                    .filter(|n| !n.trim().eq_ignore_ascii_case("none"));
                detectors = detect::by_names(names).map_err(|e| e.to_string())?
            }
            Some("-h" | "--help") => return Err(String::new()),
            _ if a.as_encoded_bytes().starts_with(b"--") => {
                return Err(format!("unknown option {}", a.to_string_lossy()));
            }
            _ => positional.push(PathBuf::from(a)),
        }
    }
    let [data, out]: [PathBuf; 2] = positional.try_into().map_err(|p: Vec<PathBuf>| {
        format!("expected DATA_DIR and OUT_DIR, got {} paths", p.len())
    })?;
    let mut periods = PeriodSpec::new(period);
    if let Some(tz) = tz {
        periods = periods.in_zone_named(&tz).map_err(|e| e.to_string())?;
    }
    Ok(Args {
        data,
        out,
        clusters,
        arrival,
        snapshot_every,
        periods,
        detectors,
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args_os().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("live: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args).and_then(|snapshot| snapshot.map_or(Ok(()), print_restore)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("live: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Replays the folder and writes the outputs; returns the last snapshot
/// taken (its file and the events it holds), restored once everything
/// else is dropped (as a CRM restarting would).
fn run(args: &Args) -> Result<Option<(SnapshotFile, usize)>, BoxError> {
    // Checked first: a folder that cannot be replaced is refused before
    // the work. Dropped unwritten on failure, it leaves OUT_DIR as it was.
    let mut out = OutputDir::begin(&args.out, OUTPUTS)?;
    let t0 = Instant::now();
    let input = load(args)?;
    println!(
        "read {} reps, {} prospect records, {} contacts, {} meetings, {} sales ({} rejected) in {:.3}s",
        input.records.reps.len(),
        input.records.prospects.len(),
        input.records.contacts.len(),
        input.records.meetings.len(),
        input.records.sales.len(),
        input.rejections.len(),
        t0.elapsed().as_secs_f64()
    );
    let rejections = input.rejections;
    let (mut live, snapshot) = replay(args, input.records, &input.merges)?;

    let t = Instant::now();
    let ledger = live.to_ledger()?;
    let t_ledger = t.elapsed();
    let (grown, batch) = (live.heap_bytes(), ledger.heap_bytes());
    live.shrink_to_fit();
    let shrunk = live.heap_bytes();
    let mb = |bytes: usize| bytes as f64 / 1e6;
    println!(
        "memory: the live ledger holds {:.1} MB ({:.2}x the batch ledger's {:.1} MB), \
         {:.1} MB ({:.2}x) without the room its tables keep for growth (shrink_to_fit)",
        mb(grown),
        grown as f64 / batch.max(1) as f64,
        mb(batch),
        mb(shrunk),
        shrunk as f64 / batch.max(1) as f64
    );
    drop(live);
    let t = Instant::now();
    let classified = classify(&ledger, &ClassifyConfig::default());
    let t_classify = t.elapsed();
    let t = Instant::now();
    let report = classified.period_report(&Scope::all(), &args.periods)?;
    let cohorts = classified.cohort_report(&Scope::all(), &args.periods)?;
    let findings = if args.detectors.is_empty() {
        detect::Findings::default()
    } else {
        let detect_config = DetectConfig {
            periods: args.periods.clone(),
            ..DetectConfig::default()
        };
        let ctx = detect::DetectContext::new(&classified, &detect_config)?;
        detect::detect(&ctx, &args.detectors)
    };
    let t_report = t.elapsed();
    let t = Instant::now();
    out.write_file("contact_classes.csv", |w| classified.write_classes_csv(w))?;
    for (name, table) in [
        ("period_report.csv", report.table()),
        ("revenue.csv", report.revenue_table()),
        ("cohort_report.csv", cohorts.table()),
        ("findings.csv", findings.table()),
    ] {
        out.write_file(name, |w| table.write_csv(w))?;
    }
    out.write_file("prospect_clusters.csv", |w| {
        ledger.write_prospect_clusters_csv(w)
    })?;
    out.write_file("rejections.csv", |w| Rejections(&rejections).write_csv(w))?;
    out.commit()?;
    println!(
        "to_ledger {:.3}s, classify {:.3}s, reports and detectors {:.3}s, write {:.3}s; \
         {} period rows, {} cohort rows, {} findings written to {}",
        t_ledger.as_secs_f64(),
        t_classify.as_secs_f64(),
        t_report.as_secs_f64(),
        t.elapsed().as_secs_f64(),
        report.rows.len(),
        cohorts.rows.len(),
        findings.len(),
        args.out.display()
    );
    Ok(snapshot)
}

/// Reads the last snapshot back and restores it.
fn print_restore((file, events): (SnapshotFile, usize)) -> Result<(), BoxError> {
    let (restored, read, took) = restore(&file.0)?;
    println!(
        "restored the last snapshot (taken after {events} events) in {:.3}s \
         from its bytes, after {:.3}s reading its file: {} contacts, {} meetings, {} sales",
        took.as_secs_f64(),
        read.as_secs_f64(),
        restored.count(RecordKind::Contact),
        restored.count(RecordKind::Meeting),
        restored.count(RecordKind::Sale)
    );
    Ok(())
}

/// What the batch read gives the replay.
struct Input {
    /// The accepted records (each kind in id byte order).
    records: Records,
    /// The rejected ones.
    rejections: Vec<Rejection>,
    /// Prospect records to merge, in order: (record, record of the
    /// prospect it joins).
    merges: Vec<(String, String)>,
}

/// Reads the folder into a batch ledger in lenient mode (with the
/// `--clusters` partition, else deduplicating) and takes its accepted
/// records, rejections and prospect merges.
fn load(args: &Args) -> Result<Input, BoxError> {
    let mut builder = LedgerBuilder::new();
    builder.mode(Mode::Lenient);
    let supplied = match &args.clusters {
        Some(path) => {
            let p = SuppliedPartition::from_file(path)?;
            builder.partition(p.clone());
            Some(p)
        }
        None => None,
    };
    read_csv_folder(&args.data, &mut builder)?;
    let ledger = builder.build()?;
    for w in ledger.warnings() {
        eprintln!("live: warning: {w}");
    }
    let records = ledger.to_records();
    let merges = match supplied {
        // The CRM's merge history: each listed record joins the first
        // accepted record of its group.
        Some(p) => {
            let mut first: HashMap<&str, &str> = HashMap::new();
            let mut merges = Vec::new();
            for (id, group) in p.iter() {
                if ledger.prospect_of(id).is_none() {
                    continue; // unknown or rejected: SPEC §4 ignores it
                }
                match first.get(group) {
                    Some(&anchor) => merges.push((id.to_owned(), anchor.to_owned())),
                    None => {
                        first.insert(group, id);
                    }
                }
            }
            merges
        }
        // What the batch deduplication joined.
        None => records
            .prospects
            .iter()
            .filter_map(|r| {
                let id = r.prospect_id.as_str();
                let p = ledger.prospect_of(id)?;
                (p != id).then(|| (id.to_owned(), p.to_owned()))
            })
            .collect(),
    };
    Ok(Input {
        records,
        rejections: ledger.rejections().to_vec(),
        merges,
    })
}

/// A kind of event and its position in its kind's list.
#[derive(Debug, Clone, Copy)]
enum Event {
    Contact(u32),
    Meeting(u32),
    Sale(u32),
}

/// The events in arrival order.
fn arrival_order(
    (contacts, meetings, sales): (&[Contact], &[Meeting], &[Sale]),
    arrival: Arrival,
) -> Vec<Event> {
    let contacts = contacts.iter().enumerate().map(|(i, c)| {
        let at = c.logged_at.unwrap_or(c.occurred_at);
        (at, 0u8, Event::Contact(i as u32))
    });
    let meetings =
        (meetings.iter().enumerate()).map(|(i, m)| (m.held_at, 1u8, Event::Meeting(i as u32)));
    let sales = (sales.iter().enumerate()).map(|(i, s)| (s.closed_at, 2u8, Event::Sale(i as u32)));
    let mut keyed: Vec<_> = contacts.chain(meetings).chain(sales).collect();
    match arrival {
        // Stable: ties by kind keep their position.
        Arrival::Logged => keyed.sort_by_key(|&(at, kind, _)| (at, kind)),
        Arrival::Shuffled(seed) => shuffle(&mut keyed, seed),
    }
    keyed.into_iter().map(|(_, _, e)| e).collect()
}

/// SplitMix64: a tiny seeded generator, enough for a permutation.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..=n` (Lemire's multiply-shift; the bias is below
    /// 2^-32 for the lengths used here).
    fn up_to(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * (n as u128 + 1)) >> 64) as usize
    }
}

/// Fisher–Yates.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut rng = SplitMix64(seed);
    for i in (1..items.len()).rev() {
        items.swap(i, rng.up_to(i));
    }
}

/// Writes the live ledger's snapshot to `path` (the one place that
/// chooses the format): postcard, streamed to the file, so that no second
/// copy of the snapshot is held in memory. Returns its size.
fn snapshot(live: &LiveLedger, path: &Path) -> Result<(u64, Duration), BoxError> {
    let t = Instant::now();
    // Straight to the disk in large blocks where the system allows it.
    let file = postcard::to_io(live, OutputFile::create(path)?)?.finish()?;
    let size = file.metadata()?.len();
    Ok((size, t.elapsed()))
}

/// Reads the snapshot file written by [`snapshot`] (time to read the file,
/// time to restore from its bytes).
fn restore(path: &Path) -> Result<(LiveLedger, Duration, Duration), BoxError> {
    let t = Instant::now();
    let bytes = std::fs::read(path)?;
    let read = t.elapsed();
    let t = Instant::now();
    let live = postcard::from_bytes::<LiveLedger>(&bytes)?;
    Ok((live, read, t.elapsed()))
}

/// Where the snapshots go (beside the outputs would spoil the folder's
/// equality with `report`'s), removed when the program ends.
struct SnapshotFile(PathBuf);

impl SnapshotFile {
    fn new() -> Self {
        let name = format!("sales-metrics-live-{}.snapshot", std::process::id());
        SnapshotFile(std::env::temp_dir().join(name))
    }
}

impl Drop for SnapshotFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What the replay counts besides the latencies.
#[derive(Default)]
struct Tally {
    /// Time spent inside the meeting and sale appends.
    other_ns: u64,
    /// Contacts earlier than an event already in their prospect.
    late: u64,
    /// Classes (or engagements) of other contacts changed by appends.
    changed: u64,
    /// Appends whose entry reported changes.
    changing_appends: u64,
    /// Time of the latest event of each prospect, in µs.
    latest: HashMap<String, i64>,
    /// At-entry messages shown, and the classes already shown.
    samples: usize,
    shown: [bool; 4],
    shown_late: bool,
    /// Size, time to write and contacts held, per snapshot.
    snapshots: Vec<(usize, Duration, usize)>,
    /// The file of the last snapshot, with the events it holds.
    last_snapshot: Option<(SnapshotFile, usize)>,
}

impl Tally {
    /// Notes an event of `prospect` at `at_us` arrived; whether it is late.
    fn arrived(&mut self, prospect: &str, at_us: i64) -> bool {
        match self.latest.get_mut(prospect) {
            Some(t) if *t > at_us => true,
            Some(t) => {
                *t = at_us;
                false
            }
            None => {
                self.latest.insert(prospect.to_owned(), at_us);
                false
            }
        }
    }

    /// Prints the entry when it is the first of its class, or the first
    /// late arrival that changed other contacts.
    fn maybe_show(&mut self, contact_id: &str, rep_id: &str, entry: &ContactEntry) {
        if self.samples >= SAMPLES {
            return;
        }
        let class = class_index(entry.class);
        let late = !entry.changes.is_empty() && !self.shown_late;
        if self.shown[class] && !late {
            return;
        }
        self.shown[class] = true;
        self.shown_late |= late;
        self.samples += 1;
        println!(
            "  {contact_id} by {rep_id} for {}: {entry}",
            entry.prospect_id
        );
        if !entry.changes.is_empty() {
            println!("      and changed {}", describe_changes(&entry.changes));
        }
    }
}

fn class_index(class: ContactClass) -> usize {
    match class {
        ContactClass::New => 0,
        ContactClass::FollowUp => 1,
        ContactClass::Reactivated => 2,
        ContactClass::Customer => 3,
    }
}

fn describe_changes(changes: &[ClassChange]) -> String {
    let mut parts: Vec<String> = changes
        .iter()
        .take(3)
        .map(|c| format!("{} {} → {}", c.contact_id, c.from, c.to))
        .collect();
    if changes.len() > 3 {
        parts.push(format!("and {} more", changes.len() - 3));
    }
    parts.join(", ")
}

fn micros(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_micros()
}

/// Replays the records into a new live ledger and prints the measures;
/// gives the ledger and the last snapshot taken.
fn replay(
    args: &Args,
    records: Records,
    merges: &[(String, String)],
) -> Result<(LiveLedger, Option<(SnapshotFile, usize)>), BoxError> {
    let mut live = LiveLedger::new(ClassifyConfig::default());
    // A CRM knows roughly how big it is: room up front, so that no append
    // waits for a table to grow.
    live.reserve(RecordKind::Prospect, records.prospects.len());
    live.reserve(RecordKind::Contact, records.contacts.len());
    live.reserve(RecordKind::Meeting, records.meetings.len());
    live.reserve(RecordKind::Sale, records.sales.len());
    let t = Instant::now();
    let (n_reps, n_prospects) = (records.reps.len(), records.prospects.len());
    for rep in &records.reps {
        live.add_rep(rep)?;
    }
    for p in &records.prospects {
        live.add_prospect(p)?;
    }
    let t_records = t.elapsed();
    let t = Instant::now();
    for (record, joins) in merges {
        live.merge_prospects(record, joins)?;
    }
    println!(
        "live: {n_reps} reps and {n_prospects} prospect records added in {:.3}s; \
         {} merges in {:.3}s",
        t_records.as_secs_f64(),
        merges.len(),
        t.elapsed().as_secs_f64()
    );

    let events = (
        &records.contacts[..],
        &records.meetings[..],
        &records.sales[..],
    );
    let order = arrival_order(events, args.arrival);
    let mut latency: Vec<u64> = Vec::with_capacity(records.contacts.len());
    let mut tally = Tally::default();
    println!("at entry (what a CRM shows as each contact is saved):");
    let t_loop = Instant::now();
    for (n, &event) in order.iter().enumerate() {
        match event {
            Event::Contact(i) => {
                let Some(c) = records.contacts.get(i as usize) else {
                    continue;
                };
                let at_us = micros(c.occurred_at);
                let prospect = live.prospect_of(c.prospect_id.as_str()).unwrap_or_default();
                let late = tally.arrived(prospect, at_us);
                let t = Instant::now();
                let entry = live.add_contact(c);
                latency.push(t.elapsed().as_nanos() as u64);
                let entry = entry?;
                tally.late += u64::from(late);
                tally.changed += entry.changes.len() as u64;
                tally.changing_appends += u64::from(!entry.changes.is_empty());
                tally.maybe_show(c.contact_id.as_str(), c.rep_id.as_str(), &entry);
            }
            Event::Meeting(i) => {
                let Some(m) = records.meetings.get(i as usize) else {
                    continue;
                };
                let prospect = live.prospect_of(m.prospect_id.as_str()).unwrap_or_default();
                tally.arrived(prospect, micros(m.held_at));
                let t = Instant::now();
                let added = live.add_meeting(m);
                tally.other_ns += t.elapsed().as_nanos() as u64;
                added?;
            }
            Event::Sale(i) => {
                let Some(s) = records.sales.get(i as usize) else {
                    continue;
                };
                let prospect = live.prospect_of(s.prospect_id.as_str()).unwrap_or_default();
                tally.arrived(prospect, micros(s.closed_at));
                let t = Instant::now();
                let changes = live.add_sale(s);
                tally.other_ns += t.elapsed().as_nanos() as u64;
                let changes = changes?;
                tally.changed += changes.len() as u64;
                tally.changing_appends += u64::from(!changes.is_empty());
            }
        }
        if let Some(every) = args.snapshot_every
            && (n as u64 + 1).is_multiple_of(every)
        {
            let file = tally
                .last_snapshot
                .take()
                .map_or_else(SnapshotFile::new, |(f, _)| f);
            let (size, took) = snapshot(&live, &file.0)?;
            let held = live.count(RecordKind::Contact);
            tally.snapshots.push((size as usize, took, held));
            tally.last_snapshot = Some((file, n + 1));
        }
    }
    let t_loop = t_loop.elapsed();
    print_measures(&mut latency, &tally, order.len(), t_loop);
    Ok((live, tally.last_snapshot.take()))
}

fn print_measures(latency: &mut [u64], tally: &Tally, events: usize, t_loop: Duration) {
    latency.sort_unstable();
    let pick = |q: f64| -> u64 {
        // Nearest rank.
        let rank = ((q * latency.len() as f64).ceil() as usize).max(1);
        latency.get(rank - 1).copied().unwrap_or_default()
    };
    let contact_ns: u64 = latency.iter().sum();
    let all_ns = contact_ns + tally.other_ns;
    let per_s = |n: usize, ns: u64| n as f64 / (ns.max(1) as f64 / 1e9);
    println!(
        "add_contact latency: p50 {} ns, p99 {} ns, p99.9 {} ns, max {} µs ({} contacts)",
        pick(0.50),
        pick(0.99),
        pick(0.999),
        latency.last().copied().unwrap_or_default() / 1000,
        latency.len()
    );
    println!(
        "throughput: {events} event appends in {:.3}s of append time, {:.0} events/s; \
         contacts {:.0}/s (replay loop with bookkeeping and snapshots {:.3}s)",
        all_ns as f64 / 1e9,
        per_s(events, all_ns),
        per_s(latency.len(), contact_ns),
        t_loop.as_secs_f64()
    );
    println!(
        "late arrivals: {} contacts earlier than an event already in their prospect; \
         {} appends changed {} other contacts' class or engagement",
        tally.late, tally.changing_appends, tally.changed
    );
    if let Some(&(size, _, held)) = tally.snapshots.last() {
        let total: Duration = tally.snapshots.iter().map(|s| s.1).sum();
        let max = tally
            .snapshots
            .iter()
            .map(|s| s.1)
            .max()
            .unwrap_or_default();
        println!(
            "snapshots: {} written (postcard, to a file), last {} bytes ({:.1} bytes per contact), \
             write {:.3}s mean, {:.3}s max",
            tally.snapshots.len(),
            size,
            size as f64 / held.max(1) as f64,
            total.as_secs_f64() / tally.snapshots.len() as f64,
            max.as_secs_f64()
        );
    }
}
