//! The cell rules every import shares (SPEC §12.1): booleans, instants,
//! dates at a local time of day, decimal amounts in minor units, names
//! from parts.

use chrono::{NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;

use crate::error::Reason;
use crate::ingest::parse::parse_time_micros;
use crate::time::to_micros;

/// A boolean cell: `true`/`false`/`1`/`0` ignoring case; empty is false
/// (an absent column reads as empty cells). `Err` for anything else.
pub(super) fn boolean(cell: &str) -> Result<bool, Reason> {
    if cell.is_empty() || cell == "0" || cell.eq_ignore_ascii_case("false") {
        Ok(false)
    } else if cell == "1" || cell.eq_ignore_ascii_case("true") {
        Ok(true)
    } else {
        Err(Reason::UnknownEnum)
    }
}

/// An instant: RFC 3339 as SPEC §3 says (fractions included), or with a
/// `+hhmm` offset without a colon, as Salesforce tools write it.
pub(super) fn instant(cell: &str) -> Option<i64> {
    let b = cell.as_bytes();
    let n = b.len();
    // `…+hhmm`: the colon put back in a stack buffer (no allocation).
    let colonless = n > 5
        && matches!(b.get(n - 5), Some(b'+' | b'-'))
        && b.get(n - 4..)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        && b.get(n - 6).is_some_and(u8::is_ascii_digit);
    if !colonless {
        return parse_time_micros(cell);
    }
    let mut buf = [0u8; 64];
    let (head, minutes) = b.split_at(n - 2);
    let Some(out) = buf.get_mut(..n + 1) else {
        // Longer than the buffer (a fraction of many digits, which SPEC §3
        // allows): the colon put back in a string.
        let (head, minutes) = cell.split_at_checked(n - 2)?;
        return parse_time_micros(&format!("{head}:{minutes}"));
    };
    out.get_mut(..head.len())?.copy_from_slice(head);
    *out.get_mut(head.len())? = b':';
    out.get_mut(head.len() + 1..)?.copy_from_slice(minutes);
    parse_time_micros(std::str::from_utf8(out).ok()?)
}

/// A date `YYYY-MM-DD` (exactly that form).
pub(super) fn date(cell: &str) -> Option<NaiveDate> {
    let b = cell.as_bytes();
    let digit = |i: usize| {
        b.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| u32::from(c - b'0'))
    };
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let number = |at: &[usize]| {
        at.iter()
            .try_fold(0u32, |acc, &i| Some(acc * 10 + digit(i)?))
    };
    let year = number(&[0, 1, 2, 3])?;
    let month = number(&[5, 6])?;
    let day = number(&[8, 9])?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// The instant of `day` at `time` local to `zone` (in a DST gap, the
/// first local time after the gap; in an overlap, the earlier instant).
pub(super) fn local(day: NaiveDate, time: NaiveTime, zone: Tz) -> i64 {
    use chrono::Timelike;
    let wanted = day.and_time(time);
    if let Some(t) = zone.from_local_datetime(&wanted).earliest() {
        return to_micros(t.with_timezone(&chrono::Utc));
    }
    // In a gap (transitions fall on whole minutes): the next whole
    // minutes, until one exists. Gaps last at most a few hours.
    let mut at = wanted.with_second(0).unwrap_or(wanted);
    for _ in 0..(48 * 60) {
        at += chrono::TimeDelta::minutes(1);
        if let Some(t) = zone.from_local_datetime(&at).earliest() {
            return to_micros(t.with_timezone(&chrono::Utc));
        }
    }
    to_micros(wanted.and_utc())
}

/// The time of day a date alone stands for (SPEC §12.1): noon, so that
/// a zone's offset never moves it to another day.
pub(super) fn noon() -> NaiveTime {
    NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default()
}

/// The time of day of a sale dated by its day alone: it follows every
/// contact of that day.
pub(super) fn end_of_day() -> NaiveTime {
    NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default()
}

/// The latest valid creation time seen in an export: its as-of instant
/// when the caller gives none (SPEC §12.1).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Latest(Option<i64>);

impl Latest {
    /// Notes a row's creation time, if valid.
    pub(super) fn note(&mut self, t: Option<i64>) {
        if let Some(t) = t {
            self.0 = Some(self.0.map_or(t, |l| l.max(t)));
        }
    }

    /// Notes what another part of the export saw.
    pub(super) fn merge(&mut self, other: Latest) {
        self.note(other.0);
    }

    /// The latest time noted.
    pub(super) fn get(self) -> Option<i64> {
        self.0
    }
}

/// The local date (in `zone`) of an instant in µs.
pub(super) fn local_date(us: i64, zone: Tz) -> NaiveDate {
    let t = crate::time::from_micros(us);
    if zone == Tz::UTC {
        return t.date_naive(); // no zone lookup: the common case
    }
    t.with_timezone(&zone).date_naive()
}

/// A decimal amount (`12500`, `12500.5`, `-3.25`) in minor units of a
/// currency with `exponent` fraction digits: more digits than that, or
/// anything but an optional `-` and digits with one `.`, is `bad_number`.
/// A negative amount is returned negative, for the ledger to reject as
/// `negative_number` in SPEC §3 order. `point` is the decimal
/// separator and `grouping` an optional thousands separator to drop
/// (mapping files; `.` and none for the built-in CRMs).
pub(super) fn amount(
    cell: &str,
    exponent: u32,
    point: char,
    grouping: Option<char>,
) -> Result<i64, Reason> {
    let (negative, body) = match cell.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cell),
    };
    let (whole, fraction) = match body.split_once(point) {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    let whole: String = match grouping {
        Some(g) => whole.chars().filter(|&c| c != g).collect(),
        None => whole.to_owned(),
    };
    let fraction = fraction.unwrap_or("");
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let fits = fraction.len() <= exponent as usize;
    if whole.is_empty() || !digits(&whole) || !digits(fraction) || !fits {
        return Err(Reason::BadNumber);
    }
    let scale = 10i64.checked_pow(exponent).ok_or(Reason::BadNumber)?;
    let pad = 10i64
        .checked_pow(exponent - fraction.len() as u32)
        .ok_or(Reason::BadNumber)?;
    let whole: i64 = whole.parse().map_err(|_| Reason::BadNumber)?;
    let fraction: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| Reason::BadNumber)?
    };
    let minor = whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(fraction.checked_mul(pad)?))
        .ok_or(Reason::BadNumber)?;
    Ok(if negative { -minor } else { minor })
}

/// The ISO 4217 exponent (minor unit digits) of a currency code; 2 for
/// codes not listed and for an absent currency.
pub(super) fn currency_exponent(code: Option<&str>) -> u32 {
    const ZERO: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF", "XPF",
    ];
    const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    const FOUR: &[&str] = &["CLF", "UYW"];
    let Some(code) = code else { return 2 };
    let is = |list: &[&str]| list.iter().any(|c| c.eq_ignore_ascii_case(code));
    if is(ZERO) {
        0
    } else if is(THREE) {
        3
    } else if is(FOUR) {
        4
    } else {
        2
    }
}

/// A name joined from its parts: the non-empty ones with one space; none
/// gives an absent name.
pub(super) fn joined_name(parts: &[&str]) -> Option<String> {
    let name = parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then_some(name)
}

/// A non-empty cell.
pub(super) fn present(cell: &str) -> Option<&str> {
    (!cell.is_empty()).then_some(cell)
}

/// Whether `text` contains `needle`, ignoring ASCII case.
pub(super) fn contains_ignoring_case(text: &str, needle: &str) -> bool {
    let (t, n) = (text.as_bytes(), needle.as_bytes());
    let Some((first, rest)) = n.split_first() else {
        return true;
    };
    // Most windows fail on their first byte: test it before the rest.
    t.windows(n.len()).any(|w| {
        w.split_first()
            .is_some_and(|(f, r)| f.eq_ignore_ascii_case(first) && r.eq_ignore_ascii_case(rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_with_and_without_colon_agree() {
        let a = instant("2026-06-01T09:00:00.000+0000");
        assert_eq!(a, instant("2026-06-01T09:00:00Z"));
        assert_eq!(
            instant("2026-06-01T11:00:00.000+0200"),
            instant("2026-06-01T09:00:00Z")
        );
        assert_eq!(instant("2026-06-01T09:00:00+00"), None);
        // However many fraction digits (SPEC §3 keeps six), as with a colon.
        let long = format!("2026-06-01T09:00:00.{}", "1".repeat(60));
        assert_eq!(
            instant(&format!("{long}+0000")),
            instant(&format!("{long}+00:00"))
        );
        assert!(instant(&format!("{long}+0000")).is_some());
        assert_eq!(instant("2026-06-01"), None);
    }

    #[test]
    fn amounts_are_exact_minor_units() {
        assert_eq!(amount("12500", 2, '.', None), Ok(1_250_000));
        assert_eq!(amount("12500.5", 2, '.', None), Ok(1_250_050));
        assert_eq!(amount("12500.50", 2, '.', None), Ok(1_250_050));
        assert_eq!(amount("12500.505", 2, '.', None), Err(Reason::BadNumber));
        assert_eq!(amount("1500", 0, '.', None), Ok(1500));
        assert_eq!(amount("1500.5", 0, '.', None), Err(Reason::BadNumber));
        assert_eq!(amount("1.234", 3, '.', None), Ok(1234));
        assert_eq!(amount("-3", 2, '.', None), Ok(-300));
        assert_eq!(amount("-0.00", 2, '.', None), Ok(0));
        assert_eq!(amount("1e3", 2, '.', None), Err(Reason::BadNumber));
        assert_eq!(amount("", 2, '.', None), Err(Reason::BadNumber));
        assert_eq!(amount(".5", 2, '.', None), Err(Reason::BadNumber));
        assert_eq!(amount("12.500,50", 2, ',', Some('.')), Ok(1_250_050));
        assert_eq!(
            amount("99999999999999999999", 2, '.', None),
            Err(Reason::BadNumber)
        );
    }

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(currency_exponent(Some("JPY")), 0);
        assert_eq!(currency_exponent(Some("kwd")), 3);
        assert_eq!(currency_exponent(Some("EUR")), 2);
        assert_eq!(currency_exponent(None), 2);
    }

    #[test]
    fn a_time_in_a_dst_gap_is_the_end_of_the_gap() {
        // Lisbon springs forward at 01:00 → 02:00 on 2026-03-29.
        let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let time = NaiveTime::from_hms_opt(1, 59, 59).unwrap();
        let got = local(day, time, chrono_tz::Europe::Lisbon);
        let two = NaiveTime::from_hms_opt(2, 0, 0).unwrap();
        assert_eq!(got, local(day, two, chrono_tz::Europe::Lisbon));
        assert_eq!(
            got,
            to_micros(chrono::Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap())
        );
    }

    #[test]
    fn booleans() {
        assert_eq!(boolean("TRUE"), Ok(true));
        assert_eq!(boolean("0"), Ok(false));
        assert_eq!(boolean(""), Ok(false));
        assert_eq!(boolean("yes"), Err(Reason::UnknownEnum));
    }
}
