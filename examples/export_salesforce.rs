//! Writes a SPEC §2 folder as a Salesforce export (one CSV per object:
//! `User.csv`, `Lead.csv`, `Task.csv`, `Event.csv`, `Opportunity.csv`),
//! to try `report --from salesforce` on data whose numbers you know.
//!
//! ```text
//! cargo run --example export_salesforce -- DATA_DIR EXPORT_DIR
//! ```

#[path = "../tests/support/salesforce_export.rs"]
mod salesforce_export;

use std::process::ExitCode;

use sales_metrics::{Mode, load_folder};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [data, out] = args.as_slice() else {
        eprintln!("usage: export_salesforce DATA_DIR EXPORT_DIR");
        return ExitCode::from(2);
    };
    let written = load_folder(data, Mode::Strict)
        .map_err(|e| e.to_string())
        .and_then(|ledger| {
            salesforce_export::write_salesforce(&ledger.to_records(), out.as_ref())
                .map_err(|e| e.to_string())
        });
    match written {
        Ok(()) => {
            println!("wrote a Salesforce export of {data} to {out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("export_salesforce: {e}");
            ExitCode::FAILURE
        }
    }
}
