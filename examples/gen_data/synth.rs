//! Fast synthetic SPEC §2 data at any scale (shared by `gen_data` and the
//! benches). Deterministic for a seed: the records are drawn first (compact
//! rows, no per-row allocation) and then written as CSV text in the order a
//! [`Shape`] asks for, so the three orders hold the same records.
#![allow(dead_code, unreachable_pub)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// SplitMix64: small, fast, good enough for shaping test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub contacts: usize,
    pub meetings: usize,
    pub sales: usize,
    pub records: usize,
    pub reps: usize,
    pub bad_rows: usize,
}

/// The order rows are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Each prospect's funnel together (the order the generator draws).
    Prospect,
    /// By occurred/created/held/closed time, the way CRMs export.
    Time,
    /// No order at all.
    Shuffled,
}

impl Order {
    pub const ALL: [Order; 3] = [Order::Prospect, Order::Time, Order::Shuffled];

    pub fn parse(s: &str) -> Option<Order> {
        match s {
            "prospect" => Some(Order::Prospect),
            "time" => Some(Order::Time),
            "shuffled" => Some(Order::Shuffled),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Order::Prospect => "prospect",
            Order::Time => "time",
            Order::Shuffled => "shuffled",
        }
    }
}

/// What to write: how many contacts, from which seed, in which order.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub contacts: usize,
    pub seed: u64,
    pub order: Order,
    /// Sequential ids (`c000000001`, `p1`) instead of scrambled ones
    /// (`c3f9a…`) that, like a CRM's, are in no byte order.
    pub ordered_ids: bool,
    /// Contact rows replaced by rows with one SPEC §3 problem each
    /// (rejected in lenient mode), spread evenly over the file.
    pub bad_rows: usize,
}

impl Shape {
    /// A CRM-like export: time order, scrambled ids, no bad rows.
    pub fn export(contacts: usize) -> Shape {
        Shape {
            contacts,
            seed: 1,
            order: Order::Time,
            ordered_ids: false,
            bad_rows: 0,
        }
    }

    /// The files the generator wrote before it had orders: grouped by
    /// prospect, sequential ids.
    pub fn grouped(contacts: usize) -> Shape {
        Shape {
            order: Order::Prospect,
            ordered_ids: true,
            ..Shape::export(contacts)
        }
    }

    pub fn with_order(self, order: Order) -> Shape {
        Shape { order, ..self }
    }

    /// A short name for bench ids and folders: `grouped` for the files of
    /// [`Shape::grouped`], else the order (and `-seq` for sequential ids).
    pub fn label(&self) -> String {
        match (self.order, self.ordered_ids) {
            (Order::Prospect, true) => "grouped".to_string(),
            (o, true) => format!("{}-seq", o.name()),
            (o, false) => o.name().to_string(),
        }
    }

    /// The grouped files and the two orders CRMs export in, at one size.
    pub fn bench_set(contacts: usize) -> [Shape; 3] {
        [
            Shape::grouped(contacts),
            Shape::export(contacts),
            Shape::export(contacts).with_order(Order::Shuffled),
        ]
    }
}

/// 2026-01-01T00:00:00Z in seconds.
const START: i64 = 1_767_225_600;
const DAY: i64 = 86_400;

const CHANNELS: [&str; 5] = ["phone", "email", "in_person", "internet", "other"];
const OUTCOMES: [&str; 5] = [
    "no_answer",
    "conversation",
    "meeting_booked",
    "not_interested",
    "",
];
const SOURCES: [&str; 6] = [
    "referral",
    "cold_list",
    "inbound",
    "event",
    "existing_customer",
    "other",
];

/// Appends an RFC 3339 UTC time (`2026-03-04T05:06:07Z`).
pub fn push_time(out: &mut String, secs: i64) {
    let days = secs.div_euclid(DAY);
    let rem = secs.rem_euclid(DAY);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
}

/// Working hours: 08:00–18:00 on the given day offset.
fn work_time(rng: &mut Rng, day: i64) -> i64 {
    START + day * DAY + 8 * 3600 + rng.below(10 * 3600) as i64
}

/// A bijection of u64 (SplitMix64's finaliser): scrambled ids stay unique.
fn scramble(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x2545_F491_4F6C_DD1D);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Appends the id of the `n`-th record of a kind.
fn push_id(out: &mut String, prefix: char, n: usize, shape: &Shape) {
    out.push(prefix);
    let _ = match (shape.ordered_ids, prefix) {
        (true, 'p') => write!(out, "{n}"),
        (true, _) => write!(out, "{n:09}"),
        (false, _) => write!(out, "{:016x}", scramble(n as u64 ^ (prefix as u64) << 56)),
    };
}

struct ContactRow {
    id: u32,
    record: u32,
    rep: u32,
    at: i64,
    logged_after: u16,
    duration: Option<u16>,
    channel: u8,
    outcome: u8,
}

struct MeetingRow {
    id: u32,
    record: u32,
    rep: u32,
    at: i64,
    status: &'static str,
}

struct SaleRow {
    id: u32,
    record: u32,
    rep: u32,
    at: i64,
    amount: u64,
    currency: &'static str,
}

#[derive(Default)]
struct Activity {
    contacts: Vec<ContactRow>,
    meetings: Vec<MeetingRow>,
    sales: Vec<SaleRow>,
}

/// Writes reps, prospects, contacts, meetings, sales and
/// prospect_clusters into `dir`.
pub fn write_folder(dir: &Path, shape: &Shape) -> std::io::Result<Stats> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng::new(shape.seed);
    let reps = (shape.contacts / 20_000).max(8);
    let records = (shape.contacts / 2).max(10);
    write_reps(dir, reps)?;
    let (cluster_of, creators) = draw_records(&mut rng, records, reps);
    write_prospects(dir, &cluster_of, &creators, shape)?;
    write_clusters(dir, &cluster_of, shape)?;
    let mut activity = draw_activity(&mut rng, shape.contacts, records, reps);
    arrange(&mut activity, shape);
    let bad_rows = write_contacts(dir, &activity.contacts, shape)?;
    write_meetings(dir, &activity.meetings, shape)?;
    write_sales(dir, &activity.sales, shape)?;
    Ok(Stats {
        contacts: activity.contacts.len(),
        meetings: activity.meetings.len(),
        sales: activity.sales.len(),
        records,
        reps,
        bad_rows,
    })
}

fn write_reps(dir: &Path, reps: usize) -> std::io::Result<()> {
    let mut buf = String::from("rep_id,name,team_id,daily_contact_target\n");
    for r in 0..reps {
        let _ = writeln!(buf, "r{r},Rep {r},t{},{}", r / 8, 20 + r % 3 * 5);
    }
    std::fs::write(dir.join("reps.csv"), &buf)
}

/// The person behind each record (a duplicate points at an earlier record
/// of the same person) and the rep who created it.
fn draw_records(rng: &mut Rng, records: usize, reps: usize) -> (Vec<usize>, Vec<u32>) {
    let mut cluster_of = Vec::with_capacity(records);
    let mut creators = Vec::with_capacity(records);
    for i in 0..records {
        let person = if i > 0 && rng.chance(0.15) {
            cluster_of
                .get(rng.below(i as u64) as usize)
                .copied()
                .unwrap_or(i)
        } else {
            i
        };
        cluster_of.push(person);
        creators.push(rng.below(reps as u64) as u32);
    }
    (cluster_of, creators)
}

/// Record `i` is created on day `i % 300`.
fn created_day(i: usize) -> i64 {
    (i % 300) as i64
}

/// The order records are written in.
fn record_order(records: usize, shape: &Shape) -> Vec<u32> {
    let mut order: Vec<u32> = (0..records as u32).collect();
    match shape.order {
        Order::Prospect => {}
        Order::Time => order.sort_by_key(|&i| (created_day(i as usize), i)),
        Order::Shuffled => shuffle(&mut order, shape.seed),
    }
    order
}

fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut rng = Rng::new(seed ^ 0x5348_5546_464c_4544);
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i as u64 + 1) as usize);
    }
}

fn write_prospects(
    dir: &Path,
    cluster_of: &[usize],
    creators: &[u32],
    shape: &Shape,
) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(dir.join("prospects.csv"))?,
    );
    f.write_all(
        b"prospect_id,name,company,email,phone,city,country,source,created_at,created_by\n",
    )?;
    let mut buf = String::with_capacity(1 << 20);
    for i in record_order(cluster_of.len(), shape) {
        let i = i as usize;
        let person = cluster_of.get(i).copied().unwrap_or(i);
        push_id(&mut buf, 'p', i, shape);
        let _ = write!(
            buf,
            ",Person {person},Company {} SRL,person{person}@example.com,+40 7{:08},City {},RO,{},",
            person / 7,
            person % 100_000_000,
            person % 50,
            SOURCES.get(person % 6).copied().unwrap_or("other")
        );
        push_time(&mut buf, START + created_day(i) * DAY);
        let _ = writeln!(buf, ",r{}", creators.get(i).copied().unwrap_or(0));
        if buf.len() > (1 << 20) {
            f.write_all(buf.as_bytes())?;
            buf.clear();
        }
    }
    f.write_all(buf.as_bytes())?;
    f.flush()
}

fn write_clusters(dir: &Path, cluster_of: &[usize], shape: &Shape) -> std::io::Result<()> {
    let mut buf = String::from("prospect_id,cluster_id\n");
    for i in record_order(cluster_of.len(), shape) {
        let i = i as usize;
        push_id(&mut buf, 'p', i, shape);
        let _ = writeln!(buf, ",g{}", cluster_of.get(i).copied().unwrap_or(i));
    }
    std::fs::write(dir.join("prospect_clusters.csv"), &buf)
}

/// Walks prospects record by record; each gets a funnel until the contact
/// budget is spent.
fn draw_activity(rng: &mut Rng, contacts: usize, records: usize, reps: usize) -> Activity {
    let mut a = Activity {
        contacts: Vec::with_capacity(contacts),
        ..Activity::default()
    };
    let mut record = 0usize;
    while a.contacts.len() < contacts {
        let p = (record % records) as u32;
        record += 1;
        let rep = rng.below(reps as u64) as u32;
        let n = 1 + rng.below(4) as usize + usize::from(rng.chance(0.2)) * rng.below(6) as usize;
        let mut day = rng.below(330) as i64;
        for k in 0..n {
            if a.contacts.len() >= contacts {
                break;
            }
            let at = work_time(rng, day);
            let logged_after = 60 + rng.below(3600) as u16;
            let channel = rng.below(5) as u8;
            let duration = rng.chance(0.9).then(|| 30 + rng.below(1800) as u16);
            let outcome = rng.below(5) as u8;
            a.contacts.push(ContactRow {
                id: a.contacts.len() as u32,
                record: p,
                rep,
                at,
                logged_after,
                duration,
                channel,
                outcome,
            });
            if k + 1 < n {
                // Follow-ups a few days apart; sometimes a long silence.
                day += if rng.chance(0.05) {
                    190 + rng.below(60) as i64
                } else {
                    1 + rng.below(14) as i64
                };
            }
        }
        if rng.chance(0.4) {
            draw_meeting(rng, &mut a, p, rep, day);
        }
    }
    a
}

/// A meeting two days after the last contact, and sometimes a sale.
fn draw_meeting(rng: &mut Rng, a: &mut Activity, record: u32, rep: u32, day: i64) {
    let at = work_time(rng, day + 2);
    let status = if rng.chance(0.85) {
        "held"
    } else if rng.chance(0.5) {
        "no_show"
    } else {
        "cancelled"
    };
    a.meetings.push(MeetingRow {
        id: a.meetings.len() as u32,
        record,
        rep,
        at,
        status,
    });
    if rng.chance(0.3) {
        let close_day = day + 5 + rng.below(20) as i64;
        let at = work_time(rng, close_day);
        let currency = if rng.chance(0.9) { "RON" } else { "EUR" };
        a.sales.push(SaleRow {
            id: a.sales.len() as u32,
            record,
            rep,
            at,
            amount: 10_000 + rng.below(5_000_000),
            currency,
        });
    }
}

/// Puts each file's rows in the shape's order (ties by draw order).
fn arrange(a: &mut Activity, shape: &Shape) {
    match shape.order {
        Order::Prospect => {}
        Order::Time => {
            a.contacts.sort_by_key(|r| (r.at, r.id));
            a.meetings.sort_by_key(|r| (r.at, r.id));
            a.sales.sort_by_key(|r| (r.at, r.id));
        }
        Order::Shuffled => {
            shuffle(&mut a.contacts, shape.seed);
            shuffle(&mut a.meetings, shape.seed.wrapping_add(1));
            shuffle(&mut a.sales, shape.seed.wrapping_add(2));
        }
    }
}

/// Appends one contact row; `defect` (0–5) gives it one SPEC §3 problem.
fn push_contact(out: &mut String, r: &ContactRow, id: usize, defect: Option<usize>, shape: &Shape) {
    push_id(out, 'c', id, shape);
    let _ = write!(out, ",r{},", r.rep);
    if defect == Some(4) {
        out.push_str("no-such-prospect");
    } else {
        push_id(out, 'p', r.record as usize, shape);
    }
    out.push(',');
    if defect == Some(0) {
        out.push_str("2026-13-01T00:00:00Z");
    } else {
        push_time(out, r.at);
    }
    out.push(',');
    let logged = if defect == Some(3) {
        r.at - 3600
    } else {
        r.at + i64::from(r.logged_after)
    };
    push_time(out, logged);
    let channel = match defect {
        Some(1) => "carrier_pigeon",
        _ => CHANNELS
            .get(usize::from(r.channel))
            .copied()
            .unwrap_or("phone"),
    };
    let _ = write!(out, ",{channel},outbound,");
    match (defect, r.duration) {
        (Some(2), _) => out.push_str("-5"),
        (_, Some(d)) => {
            let _ = write!(out, "{d}");
        }
        (_, None) => {}
    }
    let outcome = OUTCOMES.get(usize::from(r.outcome)).copied().unwrap_or("");
    let _ = writeln!(out, ",{outcome}");
}

/// Writes the contacts; returns how many rows were made bad.
fn write_contacts(dir: &Path, rows: &[ContactRow], shape: &Shape) -> std::io::Result<usize> {
    let mut f = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(dir.join("contacts.csv"))?,
    );
    f.write_all(
        b"contact_id,rep_id,prospect_id,occurred_at,logged_at,channel,direction,duration_s,outcome\n",
    )?;
    let every = rows
        .len()
        .checked_div(shape.bad_rows)
        .map_or(usize::MAX, |e| e.max(2));
    let (mut bad, mut previous) = (0usize, None);
    let mut buf = String::with_capacity(1 << 20);
    for (k, r) in rows.iter().enumerate() {
        let defect = (k % every == every - 1 && bad < shape.bad_rows).then_some(bad % 6);
        bad += usize::from(defect.is_some());
        // Defect 5 repeats the id of the row before.
        let id = match (defect, previous) {
            (Some(5), Some(p)) => p,
            _ => r.id as usize,
        };
        push_contact(&mut buf, r, id, defect, shape);
        previous = Some(r.id as usize);
        if buf.len() > (1 << 20) {
            f.write_all(buf.as_bytes())?;
            buf.clear();
        }
    }
    f.write_all(buf.as_bytes())?;
    f.flush()?;
    Ok(bad)
}

fn write_meetings(dir: &Path, rows: &[MeetingRow], shape: &Shape) -> std::io::Result<()> {
    let mut buf = String::from("meeting_id,rep_id,prospect_id,held_at,status\n");
    for r in rows {
        push_id(&mut buf, 'm', r.id as usize, shape);
        let _ = write!(buf, ",r{},", r.rep);
        push_id(&mut buf, 'p', r.record as usize, shape);
        buf.push(',');
        push_time(&mut buf, r.at);
        let _ = writeln!(buf, ",{}", r.status);
    }
    std::fs::write(dir.join("meetings.csv"), &buf)
}

fn write_sales(dir: &Path, rows: &[SaleRow], shape: &Shape) -> std::io::Result<()> {
    let mut buf = String::from("sale_id,rep_id,prospect_id,closed_at,amount_minor,currency\n");
    for r in rows {
        push_id(&mut buf, 's', r.id as usize, shape);
        let _ = write!(buf, ",r{},", r.rep);
        push_id(&mut buf, 'p', r.record as usize, shape);
        buf.push(',');
        push_time(&mut buf, r.at);
        let _ = writeln!(buf, ",{},{}", r.amount, r.currency);
    }
    std::fs::write(dir.join("sales.csv"), &buf)
}
