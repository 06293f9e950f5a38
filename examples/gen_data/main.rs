//! Writes a large, seeded, realistic-shaped SPEC §2 folder for benchmarks
//! and scale checks (never commit its output).
//!
//! ```text
//! cargo run --release --example gen_data -- OUT_DIR [--contacts N] [--seed S]
//! ```
//!
//! Shape: one rep per ~20,000 contacts (at least 8) in teams of 8; about one
//! prospect record per two contacts, 15 % of them duplicates of another
//! record (listed in `prospect_clusters.csv`); a year of activity with
//! follow-up gaps, dormant prospects coming back, meetings for about one
//! contact in eight and sales for about one in thirty.

mod synth;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    // OUT_DIR need not be UTF-8; option values must be.
    let mut args = std::env::args_os().skip(1);
    let mut out = None;
    let mut contacts = 1_000_000usize;
    let mut seed = 1u64;
    while let Some(a) = args.next() {
        let mut text = || args.next().and_then(|v| v.into_string().ok());
        match a.to_str() {
            Some("--contacts") => match text().and_then(|v| v.replace('_', "").parse().ok()) {
                Some(n) => contacts = n,
                None => return usage("--contacts needs a number"),
            },
            Some("--seed") => match text().and_then(|v| v.parse().ok()) {
                Some(s) => seed = s,
                None => return usage("--seed needs a number"),
            },
            _ if a.as_encoded_bytes().starts_with(b"--") => {
                return usage(&format!("unknown option {}", a.to_string_lossy()));
            }
            _ => out = Some(PathBuf::from(a)),
        }
    }
    let Some(out) = out else {
        return usage("missing OUT_DIR");
    };
    let t = Instant::now();
    match synth::write_folder(&out, contacts, seed) {
        Ok(stats) => {
            println!(
                "wrote {} contacts, {} meetings, {} sales, {} prospect records, {} reps to {} in {:.1}s",
                stats.contacts,
                stats.meetings,
                stats.sales,
                stats.records,
                stats.reps,
                out.display(),
                t.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_data: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("gen_data: {msg}\nusage: gen_data OUT_DIR [--contacts N] [--seed S]");
    ExitCode::from(2)
}
