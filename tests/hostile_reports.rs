//! Hostile input for the reports (issue 12): revenue memory that grew with
//! cells × currencies (defect 4), sums of durations that overflowed
//! (defect 7), `i64::MIN` read as "absent" (defect 8), and revenue rows
//! of zero amounts that were dropped.
//!
//! The scaling test measures peak live heap bytes with a counting global
//! allocator; every test of this binary takes [`SERIAL`] so that no other
//! test allocates while one measures.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, TimeZone, Utc};
use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};
use sales_metrics::Table;
use sales_metrics::ingest::read_csv;
use sales_metrics::report::{BreakdownBy, PeriodSpec, Scope};
use sales_metrics::report::{ColumnData, Frame};
use sales_metrics::{
    Channel, ClassifyConfig, Contact, ContactClass, Error, Ledger, LedgerBuilder, Mode,
    ProspectRecord, Reason, RecordKind, Rejection, Rep, Sale, classify,
};

#[global_allocator]
static GLOBAL: &PeakMemAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Serialises the tests of this binary (allocation counts are global).
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Peak live heap bytes allocated while `f` runs, above what was live
/// when it started.
fn peak_bytes(f: impl FnOnce()) -> usize {
    GLOBAL.reset_peak_memory();
    f();
    GLOBAL.get_peak_memory()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()
}

/// Loads CSV texts (`(kind, text)`, in load order) through the csv reader.
fn load_csv(mode: Mode, files: &[(RecordKind, &str)]) -> Result<Ledger, Error> {
    let mut b = LedgerBuilder::new();
    b.mode(mode);
    for (kind, text) in files {
        let name = format!("{}s.csv", kind.as_str());
        read_csv(*kind, text.as_bytes(), Path::new(&name), &mut b)?;
    }
    b.build()
}

fn csv_of(t: &Table) -> String {
    let mut out = Vec::new();
    t.write_csv(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn json_of(t: &Table) -> serde_json::Value {
    let mut out = Vec::new();
    t.write_json(&mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

fn json_text_of(t: &Table) -> String {
    let mut out = Vec::new();
    t.write_json(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The rejections of a strict load that must fail.
fn rejections_of(result: Result<Ledger, Error>) -> Vec<Rejection> {
    match result {
        Err(Error::Rejected { rejections }) => rejections,
        Err(e) => panic!("expected rejections, got {e}"),
        Ok(l) => panic!(
            "expected rejections, loaded {} contacts",
            l.accepted_count(RecordKind::Contact)
        ),
    }
}

/// `n` sales, each of its own rep, prospect and currency, in one month:
/// the input that made revenue memory grow with cells × currencies.
fn one_currency_per_rep(n: usize) -> Ledger {
    let mut b = LedgerBuilder::new();
    for i in 0..n {
        b.add_rep(Rep::new(format!("r{i}")));
        b.add_prospect(ProspectRecord::new(format!("p{i}")));
        let mut s = Sale::new(format!("s{i}"), format!("r{i}"), format!("p{i}"), t0());
        s.amount_minor = Some(100);
        s.currency = Some(format!("C{i:05}"));
        b.add_sale(s);
    }
    b.build().unwrap()
}

/// Peak bytes of the period report and its revenue table.
fn period_report_peak(ledger: &Ledger) -> usize {
    let classified = classify(ledger, &ClassifyConfig::default());
    peak_bytes(|| {
        let r = classified
            .period_report(&Scope::all(), &PeriodSpec::monthly())
            .unwrap();
        let t = r.revenue_table();
        assert_eq!(
            t.rows.len(),
            ledger.accepted_count(RecordKind::Sale) as usize,
            "one revenue row per sale"
        );
    })
}

/// Defect 4: 20,000 sales each with its own rep and currency took 6.3 GB.
/// Doubling that input must at most roughly double the peak memory.
#[test]
fn period_report_memory_grows_with_sales_not_cells_times_currencies() {
    let _g = serial();
    // Warm up: the thread pool and other one-time allocations.
    period_report_peak(&one_currency_per_rep(64));
    let n = 3_000;
    let small = period_report_peak(&one_currency_per_rep(n));
    let large = period_report_peak(&one_currency_per_rep(2 * n));
    let ratio = large as f64 / small as f64;
    eprintln!("peak bytes: {small} at {n} sales, {large} at {}", 2 * n);
    assert!(
        ratio <= 2.5,
        "peak bytes {small} at {n} sales, {large} at {} (ratio {ratio:.2})",
        2 * n
    );
    // Dense revenue (cells × currencies × 16 bytes) alone would be 144 MB.
    assert!(small < 16 << 20, "peak {small} bytes at {n} sales");
}

/// Defect 4, the result: many currencies in one cell (past the few kept
/// in the cell's own list) still sum per currency, sorted by code.
#[test]
fn many_currencies_in_one_cell_sum_per_currency() {
    let _g = serial();
    let mut b = LedgerBuilder::new();
    b.add_rep(Rep::new("ana"));
    b.add_prospect(ProspectRecord::new("p1"));
    // 40 currencies, three sales each, in an order that interleaves them.
    for k in 0..120 {
        let mut s = Sale::new(format!("s{k:03}"), "ana", "p1", t0());
        s.amount_minor = Some(k);
        s.currency = Some(format!("C{:02}", (k * 7) % 40));
        b.add_sale(s);
    }
    let l = b.build().unwrap();
    let c = classify(&l, &ClassifyConfig::default());
    let r = c
        .period_report(&Scope::all(), &PeriodSpec::monthly())
        .unwrap();
    let mut want: Vec<(String, i128)> = (0..40)
        .map(|cur| {
            let sum = (0..120i128).filter(|k| (k * 7) % 40 == cur).sum();
            (format!("C{cur:02}"), sum)
        })
        .collect();
    want.sort();
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0].revenue, want);
}

const MAX: i64 = i64::MAX;

/// Defect 7: three contacts of `i64::MAX` seconds panicked in a debug build
/// and wrapped in release; sums are exact, in CSV, JSON and frames.
#[test]
fn duration_sums_are_exact_beyond_64_bits() {
    let _g = serial();
    let contacts = format!(
        "contact_id,rep_id,prospect_id,occurred_at,channel,duration_s\n\
         c1,ana,p1,2026-06-01T09:00:00Z,phone,{MAX}\n\
         c2,ana,p1,2026-06-02T09:00:00Z,phone,{MAX}\n\
         c3,ana,p1,2026-06-03T09:00:00Z,phone,{MAX}\n"
    );
    let sales = format!(
        "sale_id,rep_id,prospect_id,closed_at,amount_minor,currency\n\
         s1,ana,p1,2026-06-04T09:00:00Z,{MAX},EUR\n\
         s2,ana,p1,2026-06-05T09:00:00Z,{MAX},EUR\n"
    );
    let l = load_csv(
        Mode::Strict,
        &[
            (RecordKind::Rep, "rep_id\nana\n"),
            (RecordKind::Prospect, "prospect_id\np1\n"),
            (RecordKind::Contact, &contacts),
            (RecordKind::Sale, &sales),
        ],
    )
    .unwrap();
    let three = 3 * i128::from(MAX);
    let two = 2 * i128::from(MAX);
    assert_eq!(three.to_string(), "27670116110564327421");
    let c = classify(&l, &ClassifyConfig::default());
    let monthly = PeriodSpec::monthly();

    let r = c.period_report(&Scope::all(), &monthly).unwrap();
    let row = &r.rows[0];
    assert_eq!(row.counts.seconds_by_class.iter().sum::<i128>(), three);
    assert_eq!(row.counts.seconds_by_channel[Channel::Phone.index()], three);
    assert_eq!(
        row.counts.seconds_by_class[ContactClass::FollowUp.index()],
        2 * i128::from(MAX)
    );
    let time = r.time_table();
    assert!(
        csv_of(&time).contains(",27670116110564327421,"),
        "{}",
        csv_of(&time)
    );
    // JSON: an exact number (a parser into f64 would round it; the text
    // holds every digit).
    assert!(json_text_of(&time).contains(&format!("\"seconds_phone\": {three},")));
    // Revenue: two amounts of i64::MAX, exact, and a JSON number.
    assert_eq!(row.revenue, vec![("EUR".to_owned(), two)]);
    assert_eq!(
        csv_of(&r.revenue_table()),
        format!("rep_id,period,currency,revenue_minor\nana,2026-06,EUR,{two}\n")
    );
    assert!(json_text_of(&r.revenue_table()).contains(&format!("\"revenue_minor\": {two}")));

    let b = c
        .breakdown(&Scope::all(), &monthly, BreakdownBy::Channel)
        .unwrap();
    let phone = b.rows.iter().find(|r| r.key == "phone").unwrap();
    assert_eq!(phone.counts.seconds, three);
    assert_eq!(phone.counts.seconds_by_class.iter().sum::<i128>(), three);
    assert!(phone.counts.hours() > 7.6e15);
    let table = b.table();
    assert!(csv_of(&table).contains(",27670116110564327421,"));
    let json = json_of(&table);
    let phone_json = json
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel"] == "phone")
        .unwrap();
    assert!(phone_json["seconds"].is_number());
    assert_eq!(phone_json["time_share"], 1.0);
    assert!(json_text_of(&table).contains(&format!("\"seconds\": {three},")));
    // Frames: the seconds column does not fit UInt64, so it is exact text
    // rather than nulls; the other columns keep their types.
    let f: Frame = b.to_frame();
    let seconds = f.column("seconds").unwrap();
    assert!(
        matches!(seconds, ColumnData::Utf8(v) if v.iter().any(|s| s.as_deref() == Some("27670116110564327421"))),
        "{seconds:?}"
    );
    assert!(matches!(
        f.column("contacts").unwrap(),
        ColumnData::UInt64(_)
    ));
    let inferred = Frame::from_table(&table);
    assert!(matches!(
        inferred.column("seconds").unwrap(),
        ColumnData::Utf8(_)
    ));
}

/// The rejection of `field` in `rejections`, if any.
fn rejection<'a>(rejections: &'a [Rejection], field: &str) -> Option<&'a Rejection> {
    rejections.iter().find(|r| r.field == field)
}

/// Defect 8: a duration of `i64::MIN` was read as "absent" (an internal
/// marker); it is a negative number, through CSV and Rust values alike. No
/// other user-writable value may collide with an "absent" marker either.
#[test]
fn min_i64_duration_is_a_negative_number_not_absent() {
    let _g = serial();
    let min = i64::MIN;
    assert_eq!(min.to_string(), "-9223372036854775808");
    let contacts = format!(
        "contact_id,rep_id,prospect_id,occurred_at,channel,duration_s\n\
         c1,ana,p1,2026-06-01T09:00:00Z,phone,{min}\n\
         c2,ana,p1,2026-06-02T09:00:00Z,phone,\n"
    );
    let files = [
        (RecordKind::Rep, "rep_id\nana\n"),
        (RecordKind::Prospect, "prospect_id\np1\n"),
        (RecordKind::Contact, contacts.as_str()),
    ];
    // CSV, strict: the load fails naming the row, id, field and reason.
    let rejected = rejections_of(load_csv(Mode::Strict, &files));
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    let r = &rejected[0];
    assert_eq!(
        (r.kind, r.row, r.id.as_str(), r.field.as_str(), r.reason),
        (
            RecordKind::Contact,
            1,
            "c1",
            "duration_s",
            Reason::NegativeNumber
        )
    );
    // CSV, lenient: c1 is rejected, c2 (no duration) loads as untimed.
    let l = load_csv(Mode::Lenient, &files).unwrap();
    let contacts = l.to_records().contacts;
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].duration_s, None);
    assert_eq!(l.rejections().len(), 1);

    // Rust values: the same contact through `add_contact`.
    let mut b = LedgerBuilder::new();
    b.add_rep(Rep::new("ana"));
    b.add_prospect(ProspectRecord::new("p1"));
    let mut c = Contact::new("c1", "ana", "p1", t0(), Channel::Phone);
    c.duration_s = Some(min);
    b.add_contact(c);
    let rejected = rejections_of(b.build());
    let r = rejection(&rejected, "duration_s").expect("duration_s rejected");
    assert_eq!((r.id.as_str(), r.reason), ("c1", Reason::NegativeNumber));

    // A sale amount of i64::MIN: negative, not absent.
    let mut b = LedgerBuilder::new();
    b.add_rep(Rep::new("ana"));
    b.add_prospect(ProspectRecord::new("p1"));
    let mut s = Sale::new("s1", "ana", "p1", t0());
    s.amount_minor = Some(min);
    b.add_sale(s);
    let rejected = rejections_of(b.build());
    let r = rejection(&rejected, "amount_minor").expect("amount_minor rejected");
    assert_eq!(r.reason, Reason::NegativeNumber);
}

/// Zero revenue: a sale of amount 0 has an amount, so its (rep, period,
/// currency) row is written with 0; a sale without an amount adds no row;
/// an amount without a currency goes to the row of the empty currency.
#[test]
fn zero_amount_sales_get_revenue_rows() {
    let _g = serial();
    let sales = "sale_id,rep_id,prospect_id,closed_at,amount_minor,currency\n\
                 s1,ana,p1,2026-06-04T09:00:00Z,0,EUR\n\
                 s2,bob,p2,2026-06-04T09:00:00Z,,USD\n\
                 s3,ana,p1,2026-06-05T09:00:00Z,0,\n\
                 s4,ana,p1,2026-07-05T09:00:00Z,250,RON\n\
                 s5,ana,p1,2026-07-06T09:00:00Z,0,RON\n";
    let l = load_csv(
        Mode::Strict,
        &[
            (RecordKind::Rep, "rep_id\nana\nbob\n"),
            (RecordKind::Prospect, "prospect_id\np1\np2\n"),
            (RecordKind::Sale, sales),
        ],
    )
    .unwrap();
    let c = classify(&l, &ClassifyConfig::default());
    let r = c
        .period_report(&Scope::all(), &PeriodSpec::monthly())
        .unwrap();
    let revenue = r.revenue_table();
    assert_eq!(
        csv_of(&revenue),
        "rep_id,period,currency,revenue_minor\n\
         ana,2026-06,,0\n\
         ana,2026-06,EUR,0\n\
         ana,2026-07,RON,250\n"
    );
    // bob's sale counts as a sale, with no revenue row.
    let bob = r.rows.iter().find(|r| r.rep_id == "bob").unwrap();
    assert_eq!((bob.counts.sales, bob.revenue.len()), (1, 0));
    // The JSON twin has the same rows, zeros as numbers.
    let json = json_of(&revenue);
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1]["currency"], "EUR");
    assert_eq!(rows[1]["revenue_minor"], 0);
    // Totals per period keep the zero rows too.
    let totals = r.totals_by_period();
    assert_eq!(
        totals[0].revenue,
        vec![(String::new(), 0), ("EUR".to_owned(), 0)]
    );
    // Frames (and Arrow) of the table: the same three rows.
    let f = Frame::from_table(&revenue);
    assert_eq!(f.len(), 3);
    assert_eq!(
        f.column("revenue_minor"),
        Some(&ColumnData::Int64(vec![Some(0), Some(0), Some(250)]))
    );
    #[cfg(feature = "arrow")]
    assert_eq!(f.to_record_batch().unwrap().num_rows(), 3);
}
