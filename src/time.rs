//! The ledger's clock: instants as microseconds since the Unix epoch
//! (`i64`), and their conversions to and from `DateTime<Utc>` and civil
//! dates. Crate-private: the public API speaks `DateTime<Utc>`.

use chrono::{DateTime, TimeZone, Utc};

/// Microseconds since the Unix epoch of an instant (the ledger's clock).
/// Exact for every instant chrono can hold (`MIN_UTC` to `MAX_UTC`, about
/// ±8.3·10¹⁸ µs), so `i64::MIN` is never the time of a record.
pub(crate) fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The instant of a microsecond timestamp, saturating at chrono's range
/// (`DateTime::<Utc>::MIN_UTC` below it, `MAX_UTC` above it: every instant
/// chrono can hold fits in an `i64` of µs, but not every `i64` is one).
pub(crate) fn from_micros(us: i64) -> DateTime<Utc> {
    match Utc.timestamp_micros(us).single() {
        Some(t) => t,
        None if us < 0 => DateTime::<Utc>::MIN_UTC,
        None => DateTime::<Utc>::MAX_UTC,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`). Exact for years within ±10¹²; shared with the
/// period calendar, which must reach dates beyond chrono's range.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`] (for `days` within ±10¹⁴).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_round_trip_and_saturate() {
        for t in [
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::UNIX_EPOCH,
            DateTime::<Utc>::MAX_UTC,
        ] {
            assert_eq!(to_micros(from_micros(to_micros(t))), to_micros(t));
        }
        assert_eq!(from_micros(i64::MIN), DateTime::<Utc>::MIN_UTC);
        assert_eq!(
            to_micros(from_micros(i64::MAX)),
            to_micros(DateTime::<Utc>::MAX_UTC)
        );
    }

    #[test]
    fn civil_days_round_trip() {
        for d in [-1_000_000_i64, -719_468, -1, 0, 1, 20_000, 3_000_000] {
            let (y, m, day) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, day), d);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }
}
