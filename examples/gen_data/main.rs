//! Writes a large, seeded, realistic-shaped SPEC §2 folder for benchmarks
//! and scale checks (never commit its output).
//!
//! ```text
//! cargo run --release --example gen_data -- OUT_DIR [--contacts N] [--seed S]
//!     [--order prospect|time|shuffled] [--ordered-ids] [--bad-rows N]
//! ```
//!
//! Rows come the way CRMs export them unless asked otherwise: `--order
//! time` (the default) sorts every file by its time column, `shuffled`
//! puts rows in no order, `prospect` keeps each prospect's funnel together.
//! Ids are scrambled 16-hex-digit strings in no byte order; `--ordered-ids`
//! makes them sequential (`c000000001`, `p1`). `--order prospect
//! --ordered-ids` writes the files this generator wrote before it had
//! orders. `--bad-rows N` gives N contact rows, spread over the file, one
//! SPEC §3 problem each (bad time, unknown channel, negative duration,
//! logged before occurred, unknown prospect, repeated id), for `--lenient`
//! runs. The three orders hold the same records for one seed.
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
    let mut shape = synth::Shape::export(1_000_000);
    while let Some(a) = args.next() {
        let mut text = || args.next().and_then(|v| v.into_string().ok());
        match a.to_str() {
            Some("--contacts") => match text().and_then(|v| v.replace('_', "").parse().ok()) {
                Some(n) => shape.contacts = n,
                None => return usage("--contacts needs a number"),
            },
            Some("--seed") => match text().and_then(|v| v.parse().ok()) {
                Some(s) => shape.seed = s,
                None => return usage("--seed needs a number"),
            },
            Some("--order") => match text().as_deref().and_then(synth::Order::parse) {
                Some(o) => shape.order = o,
                None => return usage("--order needs prospect, time or shuffled"),
            },
            Some("--ordered-ids") => shape.ordered_ids = true,
            Some("--bad-rows") => match text().and_then(|v| v.replace('_', "").parse().ok()) {
                Some(n) => shape.bad_rows = n,
                None => return usage("--bad-rows needs a number"),
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
    match synth::write_folder(&out, &shape) {
        Ok(stats) => {
            println!(
                "wrote {} contacts ({} bad), {} meetings, {} sales, {} prospect records, {} reps in {} order to {} in {:.1}s",
                stats.contacts,
                stats.bad_rows,
                stats.meetings,
                stats.sales,
                stats.records,
                stats.reps,
                shape.order.name(),
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
    eprintln!(
        "gen_data: {msg}\nusage: gen_data OUT_DIR [--contacts N] [--seed S] \
         [--order prospect|time|shuffled] [--ordered-ids] [--bad-rows N]"
    );
    ExitCode::from(2)
}
