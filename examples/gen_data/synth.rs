//! Fast synthetic SPEC §2 data at any scale (shared by `gen_data` and the
//! benches). Deterministic for a seed; written straight to CSV text, no
//! per-row allocation beyond the output buffer.
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

/// Writes reps, prospects, contacts, meetings, sales and
/// prospect_clusters into `dir`.
pub fn write_folder(dir: &Path, contacts: usize, seed: u64) -> std::io::Result<Stats> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng::new(seed);
    let reps = (contacts / 20_000).max(8);
    let records = (contacts / 2).max(10);
    let mut stats = Stats {
        reps,
        records,
        ..Stats::default()
    };

    let mut buf = String::with_capacity(1 << 20);
    buf.push_str("rep_id,name,team_id,daily_contact_target\n");
    for r in 0..reps {
        let _ = writeln!(buf, "r{r},Rep {r},t{},{}", r / 8, 20 + r % 3 * 5);
    }
    std::fs::write(dir.join("reps.csv"), &buf)?;

    // Records: a duplicate points at an earlier record of the same person.
    let mut cluster_of = Vec::with_capacity(records);
    let mut f = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(dir.join("prospects.csv"))?,
    );
    f.write_all(
        b"prospect_id,name,company,email,phone,city,country,source,created_at,created_by\n",
    )?;
    buf.clear();
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
        let creator = rng.below(reps as u64);
        let _ = write!(
            buf,
            "p{i},Person {person},Company {} SRL,person{person}@example.com,+40 7{:08},City {},RO,{},",
            person / 7,
            person % 100_000_000,
            person % 50,
            SOURCES.get(person % 6).copied().unwrap_or("other")
        );
        push_time(&mut buf, START + (i as i64 % 300) * DAY);
        let _ = writeln!(buf, ",r{creator}");
        if buf.len() > (1 << 20) {
            f.write_all(buf.as_bytes())?;
            buf.clear();
        }
    }
    f.write_all(buf.as_bytes())?;
    f.flush()?;
    drop(f);

    buf.clear();
    buf.push_str("prospect_id,cluster_id\n");
    for (i, &c) in cluster_of.iter().enumerate() {
        let _ = writeln!(buf, "p{i},g{c}");
    }
    std::fs::write(dir.join("prospect_clusters.csv"), &buf)?;

    let mut fc = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(dir.join("contacts.csv"))?,
    );
    let mut fm = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(dir.join("meetings.csv"))?,
    );
    let mut fs =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("sales.csv"))?);
    fc.write_all(
        b"contact_id,rep_id,prospect_id,occurred_at,logged_at,channel,direction,duration_s,outcome\n",
    )?;
    fm.write_all(b"meeting_id,rep_id,prospect_id,held_at,status\n")?;
    fs.write_all(b"sale_id,rep_id,prospect_id,closed_at,amount_minor,currency\n")?;
    let (mut bc, mut bm, mut bs) = (String::new(), String::new(), String::new());
    // Walk prospects record by record; each gets a funnel until the contact
    // budget is spent.
    let mut record = 0usize;
    while stats.contacts < contacts {
        let p = record % records;
        record += 1;
        let rep = rng.below(reps as u64);
        let n = 1 + rng.below(4) as usize + usize::from(rng.chance(0.2)) * rng.below(6) as usize;
        let mut day = rng.below(330) as i64;
        for k in 0..n {
            if stats.contacts >= contacts {
                break;
            }
            let t = work_time(&mut rng, day);
            let c = stats.contacts;
            stats.contacts += 1;
            let _ = write!(bc, "c{c:09},r{rep},p{p},");
            push_time(&mut bc, t);
            bc.push(',');
            push_time(&mut bc, t + 60 + rng.below(3600) as i64);
            let channel = CHANNELS
                .get(rng.below(5) as usize)
                .copied()
                .unwrap_or("phone");
            let duration = if rng.chance(0.9) {
                (30 + rng.below(1800)).to_string()
            } else {
                String::new()
            };
            let outcome = OUTCOMES.get(rng.below(5) as usize).copied().unwrap_or("");
            let _ = writeln!(bc, ",{channel},outbound,{duration},{outcome}");
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
            let m = stats.meetings;
            stats.meetings += 1;
            let _ = write!(bm, "m{m:09},r{rep},p{p},");
            push_time(&mut bm, work_time(&mut rng, day + 2));
            let status = if rng.chance(0.85) {
                "held"
            } else if rng.chance(0.5) {
                "no_show"
            } else {
                "cancelled"
            };
            let _ = writeln!(bm, ",{status}");
            if rng.chance(0.3) {
                let s = stats.sales;
                stats.sales += 1;
                let _ = write!(bs, "s{s:09},r{rep},p{p},");
                let close_day = day + 5 + rng.below(20) as i64;
                push_time(&mut bs, work_time(&mut rng, close_day));
                let currency = if rng.chance(0.9) { "RON" } else { "EUR" };
                let _ = writeln!(bs, ",{},{currency}", 10_000 + rng.below(5_000_000));
            }
        }
        for (b, f) in [(&mut bc, &mut fc), (&mut bm, &mut fm), (&mut bs, &mut fs)] {
            if b.len() > (1 << 20) {
                f.write_all(b.as_bytes())?;
                b.clear();
            }
        }
    }
    for (b, f) in [(&mut bc, &mut fc), (&mut bm, &mut fm), (&mut bs, &mut fs)] {
        f.write_all(b.as_bytes())?;
        f.flush()?;
    }
    Ok(stats)
}
