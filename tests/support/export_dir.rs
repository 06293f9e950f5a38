//! Helpers the CRM import tests share: scratch export folders, table text,
//! and the forms CRMs write amounts and names in.

#![allow(dead_code)] // each test binary uses its part

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use sales_metrics::Table;

static DIRS: AtomicUsize = AtomicUsize::new(0);

/// A fresh folder under the system temp dir (unique per test and call),
/// removed when dropped.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    pub(crate) fn new(tag: &str) -> Scratch {
        let n = DIRS.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("sm-import-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch folder");
        Scratch(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    pub(crate) fn write(&self, name: &str, text: &str) -> &Self {
        std::fs::write(self.0.join(name), text).expect("write fixture file");
        self
    }

    pub(crate) fn remove(&self, name: &str) -> &Self {
        std::fs::remove_file(self.0.join(name)).expect("remove fixture file");
        self
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A table as its CSV text.
pub(crate) fn csv_text(table: &Table) -> String {
    let mut out = Vec::new();
    table.write_csv(&mut out).expect("write table");
    String::from_utf8(out).expect("UTF-8 table")
}

/// ISO 4217 exponent of the currencies these tests use (ignoring case).
pub(crate) fn exponent(currency: Option<&str>) -> u32 {
    match currency.unwrap_or("").to_ascii_uppercase().as_str() {
        "JPY" | "KRW" => 0,
        "KWD" | "BHD" => 3,
        _ => 2,
    }
}

/// Minor units as a CRM's decimal amount (exactly `exponent` fraction
/// digits).
pub(crate) fn decimal_amount(minor: i64, currency: Option<&str>) -> String {
    let exp = exponent(currency);
    let sign = if minor < 0 { "-" } else { "" };
    let scale = 10u64.pow(exp);
    let (whole, fraction) = (minor.unsigned_abs() / scale, minor.unsigned_abs() % scale);
    if exp == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction:0width$}", width = exp as usize)
    }
}

/// A name as first and last name: split at its first space when both
/// sides are non-empty (imports join them with one space), else all of it
/// in the last name.
pub(crate) fn name_parts(name: Option<&str>) -> (String, String) {
    let name = name.unwrap_or("");
    match name.split_once(' ') {
        Some((first, last)) if !first.is_empty() && !last.is_empty() => {
            (first.to_owned(), last.to_owned())
        }
        _ => (String::new(), name.to_owned()),
    }
}
