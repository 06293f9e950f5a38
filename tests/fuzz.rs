//! The stable, seeded mutation fuzzer of issue 12 ("make it stay fixed").
//!
//! Every target of `tests/fuzz_targets/mod.rs` (shared with the cargo-fuzz
//! targets in `fuzz/`) runs on inputs built from `data/demo` and mutated
//! with CSV-aware mutations (quotes, separators, CR/LF/CRLF, truncation,
//! duplicated, swapped and dropped lines, swapped columns, extreme numbers
//! and times, invalid UTF-8, BOM, empty cells, long lines, JSON values),
//! drawn from a SplitMix64 generator: the same seed gives the same inputs.
//!
//! - `SM_FUZZ_ITERS`: iterations per target (default: a few hundred, so
//!   that this file runs in well under a minute in a debug build).
//! - `SM_FUZZ_SEED`: the seed (default fixed; decimal or `0x` hex).
//! - `SM_FUZZ_KNOWN_DEFECTS_FIXED=1`: also fail on the listed defects of
//!   issue 12 (see `KNOWN_DEFECTS_FIXED` in the targets file).
//! - `SM_FUZZ_KEEP_GOING=1`: long runs note each distinct failure once
//!   (message and place), save its input, and go on.
//! - `SM_FUZZ_WRITE_CORPUS=1`: the `write_seed_corpus` test writes the
//!   seed inputs into `fuzz/corpus/TARGET/` for cargo-fuzz.
//!
//! On a failure the test prints the seed, the iteration and the panic, and
//! writes the input to `target/fuzz-failures/TARGET-SEED-ITER.bin`; copy it
//! to `tests/fuzz_corpus/regressions/TARGET--NAME.bin` to replay it in
//! every run (the `regressions` test replays every file there; the part of
//! the name before `--` names the target).
//!
//! A long run of one target (prints executions per second):
//!
//! ```text
//! SM_FUZZ_ITERS=10000000 cargo test --release --test fuzz -- --nocapture TARGET
//! ```
//!
//! with TARGET one of `csv_folder`, `json`, `partition`, `time`,
//! `dedup_normalize`, `pipeline` (add `--exact` to run `json` alone).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod fuzz_targets;

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use fuzz_targets as t;
use sales_metrics::RecordKind;

// ---------------------------------------------------------------------------
// The generator.

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, good enough to pick
/// mutations; the same seed gives the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------
// Seed inputs from data/demo.

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo")
}

fn demo_lines(file: &str) -> Vec<String> {
    std::fs::read_to_string(demo_dir().join(file))
        .expect("data/demo is shipped")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Small folders cut from the demo data: a window of prospects with their
/// contacts, meetings and sales, and every rep.
fn folder_seeds() -> Vec<Vec<u8>> {
    let reps = demo_lines("reps.csv");
    let prospects = demo_lines("prospects.csv");
    let events = [
        demo_lines("contacts.csv"),
        demo_lines("meetings.csv"),
        demo_lines("sales.csv"),
    ];
    // Windows that include meetings and sales (p00043, p00044 close early).
    let mut seeds = Vec::new();
    for (start, len) in [(0, 8), (38, 10), (200, 6), (600, 12), (1000, 5)] {
        let chosen: Vec<&String> = prospects.iter().skip(1 + start).take(len).collect();
        let ids: Vec<&str> = chosen
            .iter()
            .map(|l| l.split(',').next().unwrap_or(""))
            .collect();
        let mut files: [Option<Vec<u8>>; 5] = Default::default();
        files[0] = Some(format!("{}\n", reps.join("\n")).into_bytes());
        let mut p = format!("{}\n", prospects[0]);
        for l in &chosen {
            p.push_str(l);
            p.push('\n');
        }
        files[1] = Some(p.into_bytes());
        for (slot, lines) in files[2..].iter_mut().zip(&events) {
            let mut s = format!("{}\n", lines[0]);
            for l in lines.iter().skip(1) {
                if l.split(',').nth(2).is_some_and(|p| ids.contains(&p)) {
                    s.push_str(l);
                    s.push('\n');
                }
            }
            *slot = Some(s.into_bytes());
        }
        seeds.push(t::join_folder(&files));
    }
    seeds
}

/// The folder seeds as JSON documents (every cell a string, as a CRM
/// export would write them).
fn json_seeds() -> Vec<Vec<u8>> {
    folder_seeds()
        .iter()
        .map(|seed| {
            let files = t::split_folder(seed);
            let mut doc = serde_json::Map::new();
            for (kind, f) in RecordKind::ALL.iter().zip(&files) {
                let bytes = f.as_deref().unwrap_or_default();
                let mut rdr = csv::Reader::from_reader(bytes);
                let head = rdr.headers().expect("demo header").clone();
                let records: Vec<serde_json::Value> = rdr
                    .records()
                    .map(|r| {
                        let r = r.expect("demo row");
                        let mut o = serde_json::Map::new();
                        for (h, v) in head.iter().zip(r.iter()) {
                            if !v.is_empty() {
                                o.insert(h.to_owned(), v.into());
                            }
                        }
                        serde_json::Value::Object(o)
                    })
                    .collect();
                let key = format!("{kind}s");
                doc.insert(key, records.into());
            }
            serde_json::to_vec_pretty(&serde_json::Value::Object(doc)).expect("JSON")
        })
        .collect()
}

fn partition_seeds() -> Vec<Vec<u8>> {
    let lines = demo_lines("prospect_clusters.csv");
    let head = format!("{}\n{}\n", lines[0], lines[1..20].join("\n"));
    // Merged records and extra columns too.
    let merged =
        "prospect_id,cluster_id\np00001,p00001\np00002,p00001\np00003,p00003\np1,p1\np2,p1\n";
    let extra = "cluster_id,note,prospect_id\np00001,\"merged, by hand\",p00002\np00003,,p00003\n";
    vec![head.into_bytes(), merged.into(), extra.into()]
}

fn time_seeds() -> Vec<Vec<u8>> {
    TIMES
        .iter()
        .chain(&[
            "2025-04-01T10:57:00Z",
            "2026-06-01 09:00:00.123456789+05:45",
            "1970-01-01t00:00:00z",
            "15000",
            "-0",
            "+7",
        ])
        .map(|s| s.as_bytes().to_vec())
        .collect()
}

fn dedup_seeds() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for l in demo_lines("prospects.csv").iter().skip(1).take(40) {
        for cell in l.split(',').skip(1).take(6) {
            if !cell.is_empty() {
                out.push(cell.as_bytes().to_vec());
            }
        }
    }
    for s in [
        "ŞTEFĂNESCU-Ionuț, O'Brien",
        "S.C. ALFA Construct S.R.L.",
        "Beta GmbH & Co. KG",
        "mailto:<Ion.Popescu+crm@Example.RO>",
        "i.o.n+x@googlemail.com",
        "+40 721 234 567 ext. 12",
        "0040721234567",
        "București, Sector 3",
        "12/25/2020",
        "Dl. I. Popescu",
        "ﬁnance ǅ ẞ İstanbul ǈ ﬀ",
    ] {
        out.push(s.as_bytes().to_vec());
    }
    out
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    match target {
        "csv_folder" | "pipeline" => folder_seeds(),
        "json" => json_seeds(),
        "partition" => partition_seeds(),
        "time" => time_seeds(),
        "dedup_normalize" => dedup_seeds(),
        other => panic!("unknown target {other}"),
    }
}

// ---------------------------------------------------------------------------
// Mutations.

const NUMBERS: &[&str] = &[
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-0",
    "+0",
    "0",
    "1e3",
    "150.00",
    "-1",
    "1.5",
    "007",
    " 5",
    "18446744073709551616",
];

const TIMES: &[&str] = &[
    "0000-01-01T00:00:00+14:00",
    "0000-01-01T00:00:00+23:59",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59.999999-23:59",
    "9999-12-31T23:59:59Z",
    "2016-12-31T23:59:60Z",
    "2026-06-30T23:59:60+02:00",
    "2026-06-01T09:00:00+24:00",
    "2026-06-01T09:00:00+02:60",
    "2026-06-01T09:00:00\u{2212}02:00",
    "2026-06-01T09:00:00",
    "2026-02-29T00:00:00Z",
    "2024-02-29T00:00:00Z",
    "0206-06-01T09:00:00Z",
    "2026-06-01T09:00:00.9999999Z",
    "2026-03-29T03:30:00+03:00",
    "1969-12-31T23:59:59.999999Z",
];

const JSON_VALUES: &[&str] = &[
    "null",
    "true",
    "false",
    "[]",
    "{}",
    "\"\"",
    "0",
    "-0",
    "-0.0",
    "1e3",
    "150.00",
    "1.5",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551616",
    "\"9999-12-31T23:59:59-14:00\"",
    "\"0000-01-01T00:00:00+14:00\"",
    "[1,2]",
    "{\"a\":1}",
    "\"\\u0000\"",
    "\"\\ud800\"",
];

const TOKENS: &[&[u8]] = &[
    b"\"",
    b"\"\"",
    b",",
    b",,",
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\"multi\nline\"",
    b"O\"Brien",
    b"\"called back",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xc3\x28",
    b"\xe2\x80\xa8",
    b"\t",
    b" ",
    b"\0",
    b"\\",
    b"\"a,b\"",
];

/// Byte ranges of the lines of `data` (without their `\n`).
fn lines(data: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in data.iter().enumerate() {
        if b == b'\n' {
            out.push((start, i));
            start = i + 1;
        }
    }
    if start < data.len() {
        out.push((start, data.len()));
    }
    out
}

/// Byte ranges of the cells of one line (split on every comma).
fn cells(data: &[u8], (a, b): (usize, usize)) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = a;
    for (i, &byte) in data.iter().enumerate().take(b).skip(a) {
        if byte == b',' {
            out.push((start, i));
            start = i + 1;
        }
    }
    out.push((start, b));
    out
}

fn replace(data: &mut Vec<u8>, (a, b): (usize, usize), with: &[u8]) {
    data.splice(a..b, with.iter().copied());
}

/// A random cell of a random line.
fn some_cell(rng: &mut Rng, data: &[u8]) -> Option<(usize, usize)> {
    let ls = lines(data);
    if ls.is_empty() {
        return None;
    }
    // Data rows more often than the header.
    let l = if ls.len() > 1 && !rng.chance(8) {
        ls[1 + rng.below(ls.len() - 1)]
    } else {
        ls[0]
    };
    let cs = cells(data, l);
    Some(*rng.pick(&cs))
}

/// One CSV-aware mutation of `data`, in place.
fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    let n = data.len();
    let at = rng.below(n + 1);
    match rng.below(22) {
        0 => data.insert(at, b'"'),
        1 => {
            // Delete a quote, or a short range.
            if let Some(q) = data
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'"')
                .map(|(i, _)| i)
                .nth(rng.below(4))
            {
                data.remove(q);
            } else if n > 0 {
                let end = (at + 1 + rng.below(8)).min(n);
                data.drain(at.min(n - 1)..end);
            }
        }
        2 => data.insert(at, b','),
        3 => {
            // Line endings: one LF becomes CR or CRLF, or all become CRLF.
            let lfs: Vec<usize> = data
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i)
                .collect();
            if rng.chance(3) {
                let mut out = Vec::with_capacity(n + lfs.len());
                for &b in data.iter() {
                    if b == b'\n' {
                        out.push(b'\r');
                    }
                    out.push(b);
                }
                *data = out;
            } else if !lfs.is_empty() {
                let i = *rng.pick(&lfs);
                if rng.chance(2) {
                    data[i] = b'\r';
                } else {
                    data.insert(i, b'\r');
                }
            }
        }
        4 => data.truncate(at),
        5 => {
            // Duplicate a line.
            let ls = lines(data);
            if !ls.is_empty() {
                let (a, b) = *rng.pick(&ls);
                let mut line = data[a..b].to_vec();
                line.push(b'\n');
                let (_, b2) = *rng.pick(&ls);
                let pos = (b2 + 1).min(data.len());
                data.splice(pos..pos, line);
            }
        }
        6 => {
            // Swap two lines.
            let ls = lines(data);
            if ls.len() >= 2 {
                let i = rng.below(ls.len());
                let j = rng.below(ls.len());
                let (i, j) = (i.min(j), i.max(j));
                if i != j {
                    let (a1, b1) = ls[i];
                    let (a2, b2) = ls[j];
                    let mut out = data[..a1].to_vec();
                    out.extend_from_slice(&data[a2..b2]);
                    out.extend_from_slice(&data[b1..a2]);
                    out.extend_from_slice(&data[a1..b1]);
                    out.extend_from_slice(&data[b2..]);
                    *data = out;
                }
            }
        }
        7 => {
            // Swap two columns in every line.
            let (i, j) = (rng.below(10), rng.below(10));
            let mut out = Vec::with_capacity(n);
            for (k, l) in lines(data).into_iter().enumerate() {
                if k > 0 {
                    out.push(b'\n');
                }
                let mut cs: Vec<&[u8]> = cells(data, l).iter().map(|&(a, b)| &data[a..b]).collect();
                if i < cs.len() && j < cs.len() {
                    cs.swap(i, j);
                }
                out.extend_from_slice(&cs.join(&b","[..]));
            }
            if data.last() == Some(&b'\n') {
                out.push(b'\n');
            }
            *data = out;
        }
        8 => {
            if let Some(c) = some_cell(rng, data) {
                let v = rng.pick(NUMBERS).as_bytes().to_vec();
                replace(data, c, &v);
            }
        }
        9 => {
            if let Some(c) = some_cell(rng, data) {
                let v = rng.pick(TIMES).as_bytes().to_vec();
                replace(data, c, &v);
            }
        }
        10 => {
            let tok = *rng.pick(TOKENS);
            data.splice(at..at, tok.iter().copied());
        }
        11 => {
            // BOM at the start (of this file).
            data.splice(0..0, *b"\xef\xbb\xbf");
        }
        12 => {
            if let Some(c) = some_cell(rng, data) {
                replace(data, c, b"");
            }
        }
        13 => {
            // A long cell or line.
            if let Some((a, b)) = some_cell(rng, data) {
                let cell = if b > a {
                    data[a..b].to_vec()
                } else {
                    b"x".to_vec()
                };
                let most = if rng.chance(20) { 3000 } else { 40 };
                let times = 1 + rng.below(most);
                let long: Vec<u8> = cell
                    .iter()
                    .copied()
                    .cycle()
                    .take((cell.len() * times).min(1 << 16))
                    .collect();
                replace(data, (a, b), &long);
            }
        }
        14 => {
            if n > 0 {
                let i = rng.below(n);
                data[i] ^= 1 << rng.below(8);
            }
        }
        15 => {
            // A line from another input (another seed or this one).
            let ls = lines(other);
            if !ls.is_empty() {
                let (a, b) = *rng.pick(&ls);
                let mut line = other[a..b].to_vec();
                line.push(b'\n');
                data.splice(at..at, line);
            }
        }
        16 => {
            // Drop a line.
            let ls = lines(data);
            if !ls.is_empty() {
                let (a, b) = *rng.pick(&ls);
                data.drain(a..(b + 1).min(data.len()));
            }
        }
        17 => {
            // Quote a cell, maybe badly.
            if let Some((a, b)) = some_cell(rng, data) {
                let mut q = vec![b'"'];
                q.extend_from_slice(&data[a..b]);
                match rng.below(3) {
                    0 => q.push(b'"'),
                    1 => q.extend_from_slice(b"\"x"),
                    _ => {}
                }
                replace(data, (a, b), &q);
            }
        }
        18 => {
            // Copy a cell over another (duplicate ids, references).
            if let (Some((a, b)), Some(dst)) = (some_cell(rng, data), some_cell(rng, data)) {
                let v = data[a..b].to_vec();
                if dst.0 >= b || dst.1 <= a {
                    replace(data, dst, &v);
                }
            }
        }
        19 => {
            // Invalid UTF-8 inside a cell.
            let bad: &[&[u8]] = &[
                b"\xff",
                b"\xc3",
                b"\xed\xa0\x80",
                b"\xf4\x90\x80\x80",
                b"\xc0\xaf",
            ];
            let v = *rng.pick(bad);
            data.splice(at..at, v.iter().copied());
        }
        20 => {
            // A JSON value in place of a string or number literal.
            let v = rng.pick(JSON_VALUES).as_bytes().to_vec();
            let starts: Vec<usize> = data
                .iter()
                .enumerate()
                .filter(|(_, b)| matches!(b, b':' | b'['))
                .map(|(i, _)| i + 1)
                .collect();
            if starts.is_empty() {
                data.splice(at..at, v);
            } else {
                let s = *rng.pick(&starts);
                let s = s + data[s..].iter().take_while(|b| **b == b' ').count();
                let end = value_end(data, s);
                data.splice(s..end, v);
            }
        }
        _ => {
            // Random bytes.
            let k = 1 + rng.below(4);
            let bytes: Vec<u8> = (0..k).map(|_| rng.next() as u8).collect();
            data.splice(at..at, bytes);
        }
    }
}

/// End of the JSON scalar (or string) starting at `s`.
fn value_end(data: &[u8], s: usize) -> usize {
    if data.get(s) == Some(&b'"') {
        let mut i = s + 1;
        while i < data.len() {
            match data[i] {
                b'\\' => i += 2,
                b'"' => return i + 1,
                _ => i += 1,
            }
        }
        data.len()
    } else {
        s + data[s..]
            .iter()
            .take_while(|b| !matches!(b, b',' | b'}' | b']' | b'\n'))
            .count()
    }
}

/// A mutant of `base`: 1–4 mutations; for folder inputs, of one file
/// (so that the five-file structure mostly stays).
fn mutate(rng: &mut Rng, target: &str, base: &[u8], other: &[u8]) -> Vec<u8> {
    let rounds = 1 + rng.below(4);
    let folder = matches!(target, "csv_folder" | "pipeline");
    if folder && !rng.chance(20) {
        let mut files = t::split_folder(base);
        let other_files = t::split_folder(other);
        for _ in 0..rounds {
            let k = rng.below(5);
            if rng.chance(40) {
                files[k] = None; // a missing file
                continue;
            }
            let donor = other_files[k].clone().unwrap_or_default();
            let f = files[k].get_or_insert_with(Vec::new);
            mutate_once(rng, f, &donor);
            f.truncate(max_len(target) / 4);
        }
        return t::join_folder(&files);
    }
    let mut data = base.to_vec();
    for _ in 0..rounds {
        mutate_once(rng, &mut data, other);
    }
    data.truncate(max_len(target));
    data
}

/// Longest input kept for a target: cells are short; files are small
/// (big inputs cost time, not coverage).
fn max_len(target: &str) -> usize {
    match target {
        "time" => 96,
        "dedup_normalize" => 400,
        _ => 32 << 10,
    }
}

// ---------------------------------------------------------------------------
// The runner.

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

/// Default iterations per target in a plain `cargo test` (debug build):
/// the whole file stays well under a minute on two cores.
fn default_iters(target: &str) -> u64 {
    match target {
        "csv_folder" => 250,
        "pipeline" => 120,
        "json" => 2000,
        "partition" => 150,
        "time" => 20_000,
        _ => 5000,
    }
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Panics inside targets are expected (caught known defects) or reported
/// by the runner with their input: keep them off stderr, remember the
/// last one with its location.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let loc = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{msg} (at {loc})")));
        }));
    });
}

fn target_fn(name: &str) -> t::Target {
    t::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("unknown target {name}"))
}

/// Runs `f` on `input`; `Err` with the panic message when it fails.
fn run_one(f: t::Target, input: &[u8]) -> Result<(), String> {
    quiet_panics();
    LAST_PANIC.with(|p| *p.borrow_mut() = None);
    catch_unwind(AssertUnwindSafe(|| f(input))).map_err(|_| {
        LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| "panic".to_owned())
    })
}

fn failure_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures")
}

fn fuzz(target: &str) {
    let iters = env_u64("SM_FUZZ_ITERS").unwrap_or_else(|| default_iters(target));
    let seed = env_u64("SM_FUZZ_SEED").unwrap_or(0x5eed_1212);
    let f = target_fn(target);
    let corpus = seeds(target);
    // Seeds must pass as they are.
    for (i, s) in corpus.iter().enumerate() {
        if let Err(e) = run_one(f, s) {
            fail(format!("{target}: seed input {i} fails: {e}"));
        }
    }
    // Mutants that passed are kept (bounded) and mutated further.
    let mut pool: Vec<Vec<u8>> = corpus.clone();
    let mut rng = Rng(seed ^ fxhash(target));
    let keep_going = std::env::var_os("SM_FUZZ_KEEP_GOING").is_some();
    let mut distinct = std::collections::BTreeSet::new();
    let started = Instant::now();
    let mut last_print = Instant::now();
    for i in 0..iters {
        let base = &pool[rng.below(pool.len())];
        let other = &pool[rng.below(pool.len())];
        let input = mutate(&mut rng, target, base, other);
        if let Err(e) = run_one(f, &input) {
            if keep_going {
                // Long runs: note each distinct failure (by message head
                // and place) once, save its input, go on.
                let key: String = e
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(80)
                    .collect::<String>()
                    + e.rsplit(" (at ").next().unwrap_or("");
                if distinct.insert(key) {
                    let dir = failure_dir();
                    let _ = std::fs::create_dir_all(&dir);
                    let path = dir.join(format!("{target}-{seed:#x}-{i}.bin"));
                    let _ = std::fs::write(&path, &input);
                    println!(
                        "{target}: FAILURE {} at iteration {i} ({}): {}",
                        distinct.len(),
                        path.display(),
                        e.chars().take(600).collect::<String>()
                    );
                }
                continue;
            }
            let dir = failure_dir();
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!("{target}-{seed:#x}-{i}.bin"));
            let _ = std::fs::write(&path, &input);
            let shown = String::from_utf8_lossy(&input[..input.len().min(2000)]).into_owned();
            fail(format!(
                "fuzz target {target} failed: SM_FUZZ_SEED={seed:#x}, iteration {i}\n\
                 input written to {}\ninput (lossy, first 2000 bytes): {shown:?}\n{e}",
                path.display()
            ));
        }
        if input.len() <= max_len(target) {
            if pool.len() < 256 {
                pool.push(input);
            } else if rng.chance(4) {
                let k = rng.below(pool.len());
                pool[k] = input;
            }
        }
        if last_print.elapsed().as_secs() >= 30 {
            last_print = Instant::now();
            let s = started.elapsed().as_secs_f64();
            println!(
                "{target}: {} executions, {:.0}/s",
                i + 1,
                (i + 1) as f64 / s
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{target}: {iters} executions in {secs:.1} s ({:.0}/s), seed {seed:#x}",
        iters as f64 / secs.max(1e-9)
    );
    if !distinct.is_empty() {
        fail(format!(
            "{target}: {} distinct failures (see above)",
            distinct.len()
        ));
    }
    for (problem, hits, first) in t::known_report() {
        let first: String = first.chars().take(300).collect();
        println!("{target}: {problem} hit {hits} times; first: {first}");
    }
}

/// Fails the test with `msg` on stderr (the quiet panic hook would hide
/// a panic's message).
fn fail(msg: String) -> ! {
    eprintln!("{msg}");
    panic!("{msg}");
}

/// FNV-1a of the target name: each target gets its own stream.
fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[test]
fn csv_folder() {
    fuzz("csv_folder");
}

#[test]
fn json() {
    fuzz("json");
}

#[test]
fn partition() {
    fuzz("partition");
}

#[test]
fn time() {
    fuzz("time");
}

#[test]
fn dedup_normalize() {
    fuzz("dedup_normalize");
}

#[test]
fn pipeline() {
    fuzz("pipeline");
}

/// Replays every saved failure in `tests/fuzz_corpus/regressions/`
/// (`TARGET--NAME.bin`).
#[test]
fn regressions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus/regressions");
    let mut failed = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fuzz_corpus/regressions exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        let target = name.split("--").next().unwrap_or("");
        let input = std::fs::read(&path).expect("readable regression input");
        if let Err(e) = run_one(target_fn(target), &input) {
            failed.push(format!("{name}: {e}"));
        }
    }
    if !failed.is_empty() {
        fail(format!("regressions fail:\n{}", failed.join("\n")));
    }
}

/// With `SM_FUZZ_WRITE_CORPUS=1`: writes the seed inputs into
/// `fuzz/corpus/TARGET/` for cargo-fuzz.
#[test]
fn write_seed_corpus() {
    if std::env::var_os("SM_FUZZ_WRITE_CORPUS").is_none() {
        return;
    }
    for (target, _) in t::TARGETS {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus")
            .join(target);
        std::fs::create_dir_all(&dir).expect("create corpus dir");
        for (i, s) in seeds(target).iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:02}")), s).expect("write seed");
        }
    }
}
