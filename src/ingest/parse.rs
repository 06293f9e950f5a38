//! Cell parsers of SPEC §3: instants, integers, and the text form of
//! instants that the writers use.
//!
//! These are the *syntactic* checks a reader applies to a text cell. They
//! work on bytes, never allocate, and never panic: anything that is not
//! exactly the accepted form is `None`.
//!
//! Enumerations are parsed with the model's own `parse_text` (for example
//! [`Channel::parse_text`](crate::Channel::parse_text)), which compares
//! ignoring ASCII case; a cell of spaces is a value, so `" phone"` is not a
//! channel.

use std::fmt::Write as _;

use crate::time::{civil_from_days, days_from_civil};

const MICROS_PER_SEC: i64 = 1_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// Parses SPEC §3's subset of RFC 3339 into microseconds since the Unix
/// epoch (UTC).
///
/// Accepted, and nothing else:
/// `YYYY-MM-DD`, then `T`, `t` or a space, then `hh:mm:ss` (hours 00–23,
/// minutes 00–59, seconds 00–59: no leap second), then optionally `.` and
/// one or more digits (kept to microseconds; further digits are truncated),
/// then `Z`, `z` or `±hh:mm` (offset hours 00–23, minutes 00–59). The day
/// must exist in its month (leap years follow the proleptic Gregorian
/// calendar). No surrounding spaces.
///
/// Every string it accepts, chrono's RFC 3339 parser accepts with the same
/// instant (truncated to microseconds). Chrono additionally accepts leap
/// seconds (`:60`) and U+2212 as the offset's minus sign; this parser does
/// not.
pub(crate) fn parse_time_micros(s: &str) -> Option<i64> {
    let [
        y0,
        y1,
        y2,
        y3,
        b'-',
        mo0,
        mo1,
        b'-',
        d0,
        d1,
        sep,
        h0,
        h1,
        b':',
        mi0,
        mi1,
        b':',
        s0,
        s1,
        rest @ ..,
    ] = s.as_bytes()
    else {
        return None;
    };
    if !matches!(sep, b'T' | b't' | b' ') {
        return None;
    }
    let year = i64::from(two(*y0, *y1)?) * 100 + i64::from(two(*y2, *y3)?);
    let month = two(*mo0, *mo1)?;
    let day = two(*d0, *d1)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let hour = two(*h0, *h1)?;
    let minute = two(*mi0, *mi1)?;
    let second = two(*s0, *s1)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }

    // Optional fraction: '.' then at least one digit; the first six are
    // microseconds, the rest truncated (as chrono keeps nanoseconds and
    // `timestamp_micros` truncates).
    let (frac_us, rest) = match rest {
        [b'.', tail @ ..] => {
            let digits = tail.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            let mut us: i64 = 0;
            for (i, b) in tail.iter().take(digits).enumerate() {
                if i < 6 {
                    us = us * 10 + i64::from(b - b'0');
                }
            }
            for _ in digits..6 {
                us *= 10;
            }
            (us, tail.get(digits..).unwrap_or(&[]))
        }
        _ => (0, rest),
    };

    let offset_secs: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), oh0, oh1, b':', om0, om1] => {
            let oh = two(*oh0, *oh1)?;
            let om = two(*om0, *om1)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = i64::from(oh) * 3600 + i64::from(om) * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };

    let days = days_from_civil(year, month, day);
    let local_secs =
        days * SECS_PER_DAY + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    Some((local_secs - offset_secs) * MICROS_PER_SEC + frac_us)
}

/// Parses an integer cell: an optional `+` or `-` sign and one or more
/// ASCII digits, fitting `i64`. Nothing else: no spaces, no decimal point,
/// no exponent, no digit separators. `-0` is zero.
pub(crate) fn parse_i64(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        all => (false, all),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulate negatively so that i64::MIN fits.
    let mut v: i64 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_sub(i64::from(d))?;
    }
    if negative { Some(v) } else { v.checked_neg() }
}

/// Writes an instant (µs since the epoch) in the canonical text form:
/// RFC 3339 in UTC with `Z`, seconds always, and a six-digit fraction only
/// when the fraction is non-zero (`2026-06-01T09:00:00Z`,
/// `2026-06-01T09:00:00.250000Z`).
///
/// Years 0000–9999 round-trip through [`parse_time_micros`]; instants
/// outside them are written with a signed, expanded year that RFC 3339
/// cannot hold (and the readers reject).
pub(crate) fn push_time_micros(out: &mut String, us: i64) {
    let secs = us.div_euclid(MICROS_PER_SEC);
    let frac = us.rem_euclid(MICROS_PER_SEC);
    let days = secs.div_euclid(SECS_PER_DAY);
    let sod = secs.rem_euclid(SECS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    // Writing to a String cannot fail.
    let _ = if (0..=9999).contains(&year) {
        write!(out, "{year:04}")
    } else {
        write!(out, "{year:+05}")
    };
    let _ = write!(
        out,
        "-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
    if frac != 0 {
        let _ = write!(out, ".{frac:06}");
    }
    out.push('Z');
}

/// [`push_time_micros`] into a new `String`.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn format_time_micros(us: i64) -> String {
    let mut s = String::with_capacity(27);
    push_time_micros(&mut s, us);
    s
}

/// Two ASCII digits as a number.
#[inline]
fn two(a: u8, b: u8) -> Option<u32> {
    let (a, b) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
    (a <= 9 && b <= 9).then(|| u32::from(a) * 10 + u32::from(b))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use proptest::prelude::*;

    #[test]
    fn example_parse_time_micros() {
        assert_eq!(parse_time_micros("1970-01-01T00:00:01Z"), Some(1_000_000));
        assert_eq!(
            parse_time_micros("1970-01-01 02:00:00.5+02:00"),
            Some(500_000)
        );
        assert_eq!(
            parse_time_micros("2026-06-01t09:00:00.1234567z"),
            Some(1_780_304_400_123_456)
        );
        assert_eq!(parse_time_micros("2026-02-29T00:00:00Z"), None); // not a leap year
        assert_eq!(parse_time_micros("2026-06-30T23:59:60Z"), None); // no leap second
        assert_eq!(parse_time_micros("2026-06-01T09:00:00"), None); // no offset
    }

    #[test]
    fn example_parse_i64() {
        assert_eq!(parse_i64("15000"), Some(15_000));
        assert_eq!(parse_i64("+7"), Some(7));
        assert_eq!(parse_i64("-0"), Some(0));
        for bad in [
            "",
            "+",
            "-",
            " 5",
            "5 ",
            "150.00",
            "1e3",
            "9223372036854775808",
        ] {
            assert_eq!(parse_i64(bad), None);
        }
    }

    #[test]
    fn example_push_time_micros() {
        let mut s = String::new();
        push_time_micros(&mut s, 1_500_000);
        assert_eq!(s, "1970-01-01T00:00:01.500000Z");
        assert_eq!(parse_time_micros(&s), Some(1_500_000));
    }

    #[test]
    fn example_format_time_micros() {
        assert_eq!(format_time_micros(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time_micros(-1), "1969-12-31T23:59:59.999999Z");
    }

    fn chrono_micros(s: &str) -> Option<i64> {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_micros())
    }

    #[test]
    fn accepts_the_documented_forms() {
        let base = Some(1_780_304_400_000_000); // 2026-06-01T09:00:00Z
        for s in [
            "2026-06-01T09:00:00Z",
            "2026-06-01t09:00:00Z",
            "2026-06-01 09:00:00Z",
            "2026-06-01T09:00:00z",
            "2026-06-01T11:00:00+02:00",
            "2026-06-01T06:30:00-02:30",
            "2026-06-01T09:00:00+00:00",
            "2026-06-01T09:00:00-00:00",
            "2026-06-01T09:00:00.0Z",
            "2026-06-01T09:00:00.000000000000Z",
        ] {
            assert_eq!(parse_time_micros(s), base, "{s}");
        }
        assert_eq!(
            parse_time_micros("2026-06-01T09:00:00.1Z"),
            Some(1_780_304_400_100_000)
        );
        assert_eq!(
            parse_time_micros("2026-06-01T09:00:00.123456789Z"),
            Some(1_780_304_400_123_456)
        );
        assert_eq!(
            parse_time_micros("2024-02-29T00:00:00Z"),
            chrono_micros("2024-02-29T00:00:00Z")
        );
        assert_eq!(
            parse_time_micros("2000-02-29T00:00:00Z"),
            chrono_micros("2000-02-29T00:00:00Z")
        );
        assert_eq!(
            parse_time_micros("0000-01-01T00:00:00+23:59"),
            chrono_micros("0000-01-01T00:00:00+23:59")
        );
        assert_eq!(
            parse_time_micros("9999-12-31T23:59:59.999999-23:59"),
            chrono_micros("9999-12-31T23:59:59.999999-23:59")
        );
        assert_eq!(parse_time_micros("1969-12-31T23:59:59.9999999Z"), Some(-1));
    }

    #[test]
    fn rejects_everything_else() {
        for s in [
            "",
            "2026-06-01",
            "2026-06-01T09:00Z",
            "2026-06-01T09:00:00",
            "2026-06-01T09:00:00 Z",
            " 2026-06-01T09:00:00Z",
            "2026-06-01T09:00:00Z ",
            "2026-06-01_09:00:00Z",
            "2026-06-01T09:00:00.Z",
            "2026-06-01T09:00:00,5Z",
            "2026-06-01T09:00:00+0200",
            "2026-06-01T09:00:00+02",
            "2026-06-01T09:00:00+24:00",
            "2026-06-01T09:00:00+02:60",
            "2026-06-01T09:00:00\u{2212}02:00",
            "2026-06-01T09:00:00UTC",
            "2026-06-01T24:00:00Z",
            "2026-06-01T09:60:00Z",
            "2026-06-30T23:59:60Z",
            "2026-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-06-00T00:00:00Z",
            "+2026-06-01T09:00:00Z",
            "20260-06-01T09:00:00Z",
            "2026-6-01T09:00:00Z",
            "２026-06-01T09:00:00Z",
            "2026-06-01T09:00:00ZZ",
        ] {
            assert_eq!(parse_time_micros(s), None, "{s:?}");
        }
    }

    #[test]
    fn integers() {
        assert_eq!(parse_i64("0"), Some(0));
        assert_eq!(parse_i64("-0"), Some(0));
        assert_eq!(parse_i64("+0"), Some(0));
        assert_eq!(parse_i64("007"), Some(7));
        assert_eq!(parse_i64("-15"), Some(-15));
        assert_eq!(parse_i64("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64("-9223372036854775808"), Some(i64::MIN));
        for s in [
            "",
            "+",
            "-",
            "--1",
            "+-1",
            " 5",
            "5 ",
            "150.00",
            "1e3",
            "1_000",
            "1,000",
            "0x10",
            "9223372036854775808",
            "-9223372036854775809",
            "٣",
        ] {
            assert_eq!(parse_i64(s), None, "{s:?}");
        }
    }

    #[test]
    fn formats_canonically() {
        assert_eq!(
            format_time_micros(1_780_304_400_000_000),
            "2026-06-01T09:00:00Z"
        );
        assert_eq!(
            format_time_micros(1_780_304_400_000_001),
            "2026-06-01T09:00:00.000001Z"
        );
        assert_eq!(
            format_time_micros(-62_167_219_200_000_000),
            "0000-01-01T00:00:00Z"
        );
        assert_eq!(
            format_time_micros(-62_167_219_200_000_001),
            "-0001-12-31T23:59:59.999999Z"
        );
        assert_eq!(
            format_time_micros(253_402_300_800_000_000),
            "+10000-01-01T00:00:00Z"
        );
    }

    /// The earliest and latest instants whose canonical form has a
    /// four-digit year.
    const MIN_US: i64 = -62_167_219_200_000_000;
    const MAX_US: i64 = 253_402_300_799_999_999;

    fn valid_time() -> impl Strategy<Value = String> {
        (
            0u32..=9999,
            1u32..=12,
            1u32..=31,
            0u32..24,
            0u32..60,
            0u32..60,
            prop::option::of("[0-9]{1,12}"),
            prop_oneof![Just('T'), Just('t'), Just(' ')],
            prop_oneof![
                Just("Z".to_owned()),
                Just("z".to_owned()),
                (prop_oneof![Just('+'), Just('-')], 0u32..24, 0u32..60)
                    .prop_map(|(s, h, m)| format!("{s}{h:02}:{m:02}")),
            ],
        )
            .prop_map(|(y, mo, d, h, mi, s, frac, sep, off)| {
                let d = d.min(days_in_month(i64::from(y), mo));
                let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
                format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}{frac}{off}")
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn agrees_with_chrono_on_valid_input(s in valid_time()) {
            let ours = parse_time_micros(&s);
            prop_assert!(ours.is_some(), "{} rejected", s);
            prop_assert_eq!(ours, chrono_micros(&s), "{}", s);
        }

        #[test]
        fn never_accepts_what_chrono_rejects(s in "\\PC{0,40}") {
            if let Some(us) = parse_time_micros(&s) {
                prop_assert_eq!(Some(us), chrono_micros(&s), "{}", s);
            }
        }

        #[test]
        fn near_misses_of_valid_input_are_consistent(s in valid_time(), i in 0usize..40, c in any::<char>()) {
            // Replace one character: we either reject, or agree with chrono.
            let mut chars: Vec<char> = s.chars().collect();
            let i = i % chars.len();
            chars[i] = c;
            let t: String = chars.into_iter().collect();
            if let Some(us) = parse_time_micros(&t) {
                prop_assert_eq!(Some(us), chrono_micros(&t), "{}", t);
            } else if let Some(us) = chrono_micros(&t) {
                // Chrono accepts a leap second and U+2212; nothing else.
                prop_assert!(t.contains(":60") || t.contains('\u{2212}'), "{} -> {}", t, us);
            }
        }

        #[test]
        fn no_panic_on_any_bytes(b in prop::collection::vec(any::<u8>(), 0..40)) {
            let s = String::from_utf8_lossy(&b);
            let _ = parse_time_micros(&s);
            let _ = parse_i64(&s);
        }

        #[test]
        fn format_round_trips(us in MIN_US..=MAX_US) {
            let s = format_time_micros(us);
            prop_assert_eq!(parse_time_micros(&s), Some(us), "{}", s);
            prop_assert_eq!(chrono_micros(&s), Some(us), "{}", s);
        }

        #[test]
        fn integers_agree_with_std(n in any::<i64>(), plus in any::<bool>()) {
            let s = if plus && n >= 0 { format!("+{n}") } else { n.to_string() };
            prop_assert_eq!(parse_i64(&s), Some(n));
        }

        #[test]
        fn integer_strings_agree_with_std(s in "[-+0-9 .e]{0,22}") {
            prop_assert_eq!(parse_i64(&s), s.parse::<i64>().ok(), "{}", s);
        }
    }
}
