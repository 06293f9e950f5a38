//! Resource bounds of the detectors (issue 12, defects 3, 5 and 6) as
//! tests of scaling, not of time: each hostile input is run at two sizes
//! and the work — bytes allocated (in total and live at the peak, counted
//! by the global allocator below), after subtracting an empty run — must
//! grow no faster than the input. Defect 6 costs time without allocating,
//! so its test also compares the best of several timings at sizes 1 and
//! 16, where a quadratic walk takes 256 times as long and a linear one 16.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use sales_metrics::SuppliedPartition;
use sales_metrics::detect::{self, DetectConfig};
use sales_metrics::report::{Granularity, PeriodSpec, ReportInput, Scope};
use sales_metrics::{
    Channel, ClassifyConfig, Contact, Ledger, LedgerBuilder, ProspectRecord, Rep, TeamId, classify,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Bytes live now, the most live since the last reset, and allocated in
/// total.
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static TOTAL: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting.
struct Counting;

fn note_alloc(size: usize) {
    let now = CURRENT.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(now, Ordering::Relaxed);
    TOTAL.fetch_add(size, Ordering::Relaxed);
}

fn note_free(size: usize) {
    CURRENT.fetch_sub(size, Ordering::Relaxed);
}

// The one unsafe block of the crate's tests: a global allocator is an
// unsafe trait; every call is passed to `System` unchanged.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note_alloc(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note_alloc(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` through this allocator
        // with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        note_free(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `dealloc`, and `new_size` is the caller's valid size.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note_free(layout.size());
            note_alloc(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One test at a time: the counters are global.
static SERIAL: Mutex<()> = Mutex::new(());

/// What a piece of work allocated.
#[derive(Debug, Clone, Copy)]
struct Usage {
    /// Most bytes live at once beyond those live before.
    peak: usize,
    /// Bytes allocated in all.
    total: usize,
}

impl Usage {
    fn minus(self, base: Usage) -> Usage {
        Usage {
            peak: self.peak.saturating_sub(base.peak),
            total: self.total.saturating_sub(base.total),
        }
    }
}

/// Runs `f` on one thread, so that the peak does not depend on how the
/// detectors' threads happen to overlap.
#[cfg(feature = "parallel")]
fn on_one_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    let pool = POOL.get_or_init(|| rayon::ThreadPoolBuilder::new().num_threads(1).build().ok());
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

#[cfg(not(feature = "parallel"))]
fn on_one_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    f()
}

/// Runs `f` (on one thread) and counts its allocations (what it returns
/// is dropped inside). The first call sets up the thread.
fn measure<T: Send>(f: impl FnOnce() -> T + Send) -> Usage {
    let before = CURRENT.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let total = TOTAL.load(Ordering::SeqCst);
    drop(on_one_thread(f));
    Usage {
        peak: PEAK.load(Ordering::SeqCst).saturating_sub(before),
        total: TOTAL.load(Ordering::SeqCst).saturating_sub(total),
    }
}

/// A ledger's classification (which is not the detectors' work). It
/// borrows the ledger, which lives to the end of the test process.
struct Classified(sales_metrics::Classified<'static>);

fn classified(ledger: Ledger) -> Classified {
    let ledger: &'static Ledger = Box::leak(Box::new(ledger));
    let c = classify(ledger, &ClassifyConfig::default());
    Classified(c)
}

/// Every built-in detector with periods `periods`.
fn run_detectors(data: &Classified, periods: &PeriodSpec) -> Result<usize, sales_metrics::Error> {
    let config = DetectConfig {
        periods: periods.clone(),
        ..DetectConfig::default()
    };
    let ctx = detect::DetectContext::new(&data.0, &config)?;
    Ok(detect::detect(&ctx, &detect::by_names(["all"])?).len())
}

/// Asserts that going from `small` to `big` (inputs `factor` times larger)
/// multiplies the work beyond `base` by at most 1.25 × `factor`.
fn assert_scales(what: &str, base: Usage, small: Usage, big: Usage, factor: f64) {
    let (s, b) = (small.minus(base), big.minus(base));
    let ratio = |b: usize, s: usize| b as f64 / (s.max(1) as f64);
    eprintln!(
        "{what}: base {base:?}, small {s:?}, big {b:?}: peak ×{:.2}, total ×{:.2}",
        ratio(b.peak, s.peak),
        ratio(b.total, s.total)
    );
    let limit = 1.25 * factor;
    assert!(
        ratio(b.peak, s.peak) <= limit,
        "{what}: peak bytes grew ×{:.2} for input ×{factor}",
        ratio(b.peak, s.peak)
    );
    assert!(
        ratio(b.total, s.total) <= limit,
        "{what}: allocated bytes grew ×{:.2} for input ×{factor}",
        ratio(b.total, s.total)
    );
}

fn at(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Defect 3: `n` contacts of one rep with one prospect, all at the same
/// instant — every 24-hour window holds all of them.
fn one_instant(n: usize) -> Result<Ledger, sales_metrics::Error> {
    let mut b = LedgerBuilder::new();
    b.add_rep(Rep::new("r0"));
    b.add_prospect(ProspectRecord::new("p0"));
    let t = at(2026, 6, 1, 9);
    for i in 0..n {
        b.add_contact(Contact::new(format!("c{i}"), "r0", "p0", t, Channel::Phone));
    }
    b.build()
}

#[test]
fn repeat_touch_and_follow_up_padding_memory_is_linear_in_contacts_at_one_instant() -> TestResult {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let monthly = PeriodSpec::monthly();
    let (empty, small, big) = (
        classified(one_instant(0)?),
        classified(one_instant(4_000)?),
        classified(one_instant(8_000)?),
    );
    measure(|| run_detectors(&empty, &monthly)); // sets up the thread
    let base = measure(|| run_detectors(&empty, &monthly));
    let s = measure(|| run_detectors(&small, &monthly));
    let b = measure(|| run_detectors(&big, &monthly));
    assert_scales("contacts at one instant", base, s, b, 2.0);
    Ok(())
}

/// Defect 5: 64 reps, each with one contact on the first day of `from`
/// and one on the last day of `to`.
fn long_span(from: i32, to: i32) -> Result<Ledger, sales_metrics::Error> {
    let mut b = LedgerBuilder::new();
    for r in 0..64 {
        let mut rep = Rep::new(format!("r{r}"));
        rep.team_id = Some(TeamId::from("t1"));
        b.add_rep(rep);
        b.add_prospect(ProspectRecord::new(format!("p{r}")));
        let (first, last) = (at(from, 1, 1, 9), at(to, 12, 31, 9));
        for (k, t) in [first, last].into_iter().enumerate() {
            let id = format!("c{r}-{k}");
            b.add_contact(Contact::new(
                id,
                format!("r{r}"),
                format!("p{r}"),
                t,
                Channel::Phone,
            ));
        }
    }
    b.build()
}

/// The detectors' own work on `ledger`: the whole run less the calendar
/// of local days it builds (the same a [`ReportInput`] lays out, whose
/// size is a matter of its own).
fn detector_layer(data: &Classified, periods: &PeriodSpec) -> Usage {
    let scope = Scope::all();
    let calendar = measure(|| ReportInput::new(&data.0, &scope, periods));
    measure(|| run_detectors(data, periods)).minus(calendar)
}

#[test]
fn detector_memory_follows_the_records_not_the_calendar_span() -> TestResult {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let century = classified(long_span(1900, 1999)?);
    let two = classified(long_span(1900, 2099)?);
    for zone in [chrono_tz::Tz::UTC, chrono_tz::Tz::Europe__Bucharest] {
        for granularity in [Granularity::Day, Granularity::IsoWeek, Granularity::Month] {
            let periods = PeriodSpec::new(granularity).in_zone(zone);
            measure(|| run_detectors(&century, &periods));
            let s = detector_layer(&century, &periods);
            let b = detector_layer(&two, &periods);
            let none = Usage { peak: 0, total: 0 };
            // The same records over twice the span: about the same work.
            assert_scales(&format!("{granularity} in {zone}"), none, s, b, 1.0);
        }
    }
    Ok(())
}

/// Defect 5 as reported: years 0000 and 9999 with daily periods. Neither
/// the detectors' tables nor the calendar of local days depend on the span.
#[test]
fn daily_detectors_over_years_0000_to_9999_stay_small() -> TestResult {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let data = classified(long_span(0, 9999)?);
    let periods = PeriodSpec::new(Granularity::Day);
    let used = measure(|| run_detectors(&data, &periods));
    assert!(used.peak < 16 << 20, "{used:?}");
    Ok(())
}

/// Defect 5, the other way round: `n` reps of one team, each with two
/// contacts on a day of their own, so that there are as many daily periods
/// as reps and a dense table of reps × periods is quadratic.
fn own_days(n: usize) -> Result<Ledger, sales_metrics::Error> {
    let mut b = LedgerBuilder::new();
    let first = at(2020, 1, 1, 9);
    for r in 0..n {
        let mut rep = Rep::new(format!("r{r}"));
        rep.team_id = Some(TeamId::from("t1"));
        b.add_rep(rep);
        b.add_prospect(ProspectRecord::new(format!("p{r}")));
        let day = first + chrono::Duration::days(r as i64);
        for k in 0..2 {
            let t = day + chrono::Duration::hours(k);
            let (id, rep, prospect) = (format!("c{r}-{k}"), format!("r{r}"), format!("p{r}"));
            b.add_contact(Contact::new(id, rep, prospect, t, Channel::Phone));
        }
    }
    b.build()
}

/// Memory (live and allocated) follows the records when every rep works
/// on a day of their own. The time of `own_median` and `peer_values`
/// is not counted here: they now read each rep's sorted values and each
/// period's reps with a value, so their work follows the stored cells
/// too; the allocated total would catch a per-(rep, period) list of all
/// peers.
#[test]
fn detector_memory_is_linear_when_every_rep_has_its_own_day() -> TestResult {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let daily = PeriodSpec::new(Granularity::Day);
    let (empty, small, big) = (
        classified(own_days(0)?),
        classified(own_days(1_000)?),
        classified(own_days(2_000)?),
    );
    measure(|| run_detectors(&empty, &daily)); // sets up the thread
    let base = measure(|| run_detectors(&empty, &daily));
    let s = measure(|| run_detectors(&small, &daily));
    let b = measure(|| run_detectors(&big, &daily));
    assert_scales("reps on days of their own", base, s, b, 2.0);
    Ok(())
}

/// Defect 6: one supplied cluster of `n` prospect records, each contacted
/// once by one of four reps.
fn one_cluster(n: usize) -> Result<Ledger, sales_metrics::Error> {
    let mut b = LedgerBuilder::new();
    for r in 0..4 {
        b.add_rep(Rep::new(format!("r{r}")));
    }
    let mut partition = SuppliedPartition::new();
    let t = at(2026, 3, 2, 0);
    for i in 0..n {
        let id = format!("p{i}");
        partition.insert(&id, "big");
        b.add_prospect(ProspectRecord::new(id.as_str()));
        let when = t + chrono::Duration::minutes(i as i64);
        let rep = format!("r{}", i % 4);
        b.add_contact(Contact::new(format!("c{i}"), rep, id, when, Channel::Phone));
    }
    b.partition(partition);
    b.build()
}

/// The best of five timings of `f`.
fn best_time(mut f: impl FnMut()) -> Duration {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

#[test]
fn detectors_are_near_linear_in_records_per_prospect() -> TestResult {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let monthly = PeriodSpec::monthly();
    let (empty, small, big) = (
        classified(one_cluster(0)?),
        classified(one_cluster(1_000)?),
        classified(one_cluster(16_000)?),
    );
    measure(|| run_detectors(&empty, &monthly));
    let base = measure(|| run_detectors(&empty, &monthly));
    let s = measure(|| run_detectors(&small, &monthly));
    let b = measure(|| run_detectors(&big, &monthly));
    assert_scales("records of one cluster", base, s, b, 16.0);
    let time =
        |data: &Classified| best_time(|| drop(on_one_thread(|| run_detectors(data, &monthly))));
    let (ts, tb) = (time(&small), time(&big));
    let ratio = tb.as_secs_f64() / ts.as_secs_f64().max(1e-6);
    eprintln!("records of one cluster: {ts:?} for 1,000, {tb:?} for 16,000: ×{ratio:.1}");
    // Linear is ×16, quadratic ×256; caches, sorts and a busy machine
    // get slack.
    assert!(ratio <= 64.0, "time grew ×{ratio:.1} for 16× the records");
    Ok(())
}
