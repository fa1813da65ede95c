//! Naive local time as integers: timestamps are seconds and dates are days since 1970-01-01.
//!
//! Claims carry naive Asia/Shanghai wall-clock times; no rule needs an instant, only calendar days and
//! differences, so no time zone is applied. Parsers accept the contract's forms and the variants real
//! exports use.

use std::fmt;

/// Seconds since 1970-01-01 00:00:00 of the naive local clock.
pub type Seconds = i64;
/// Days since 1970-01-01.
pub type Days = i32;

/// Sentinel for "no time" in timestamp columns.
pub const NULL_TIME: Seconds = i64::MIN;
/// Sentinel for "no date" in date columns.
pub const NULL_DATE: Days = i32::MIN;

pub const SECONDS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> Days {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// The calendar date of a day number: (year, month, day).
pub fn civil_from_days(z: Days) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Length of a month in days.
pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// The day a timestamp falls on.
pub fn day_of(t: Seconds) -> Days {
    t.div_euclid(SECONDS_PER_DAY) as Days
}

/// Seconds since midnight of a timestamp.
pub fn second_of_day(t: Seconds) -> i64 {
    t.rem_euclid(SECONDS_PER_DAY)
}

/// Midnight at the start of a day.
pub fn start_of_day(d: Days) -> Seconds {
    i64::from(d) * SECONDS_PER_DAY
}

/// Builds a timestamp from wall-clock parts; `None` when a part is out of range.
pub fn timestamp(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<Seconds> {
    let day = date(y, mo, d)?;
    (h < 24 && mi < 60 && s < 60).then(|| start_of_day(day) + i64::from(h * 3600 + mi * 60 + s))
}

/// Builds a date from its parts; `None` when out of range (years 1900-2199 only: anything else in a
/// claims dump is a typo).
pub fn date(y: i32, m: u32, d: u32) -> Option<Days> {
    ((1900..2200).contains(&y) && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m))
        .then(|| days_from_civil(y, m, d))
}

fn num(s: &str, min_len: usize, max_len: usize) -> Option<u32> {
    (s.len() >= min_len && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn parse_date_part(s: &str) -> Option<Days> {
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return date(
            num(&s[..4], 4, 4)? as i32,
            num(&s[4..6], 2, 2)?,
            num(&s[6..], 2, 2)?,
        );
    }
    let sep = if s.contains('-') { '-' } else { '/' };
    let mut parts = s.split(sep);
    let y = num(parts.next()?, 4, 4)? as i32;
    let m = num(parts.next()?, 1, 2)?;
    let d = num(parts.next()?, 1, 2)?;
    if parts.next().is_some() {
        return None;
    }
    date(y, m, d)
}

fn parse_time_part(s: &str) -> Option<i64> {
    // Fractions of a second are dropped: no rule works below one second.
    let s = s.split('.').next()?;
    let mut parts = s.split(':');
    let h = num(parts.next()?, 1, 2)?;
    let mi = num(parts.next()?, 1, 2)?;
    let sec = match parts.next() {
        Some(p) => num(p, 1, 2)?,
        None => 0,
    };
    if parts.next().is_some() || h >= 24 || mi >= 60 || sec >= 60 {
        return None;
    }
    Some(i64::from(h * 3600 + mi * 60 + sec))
}

/// Parses a timestamp: `YYYY-MM-DD HH:MM:SS` and the variants real exports use — `/` as date
/// separator, `T` between date and time, fractional seconds, no seconds, one-digit fields,
/// `YYYYMMDDHHMMSS`, and a date alone (midnight).
pub fn parse_timestamp(text: &str) -> Option<Seconds> {
    let s = text.trim();
    if s.len() == 14 && s.bytes().all(|b| b.is_ascii_digit()) {
        return timestamp(
            num(&s[..4], 4, 4)? as i32,
            num(&s[4..6], 2, 2)?,
            num(&s[6..8], 2, 2)?,
            num(&s[8..10], 2, 2)?,
            num(&s[10..12], 2, 2)?,
            num(&s[12..], 2, 2)?,
        );
    }
    let (d, t) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], Some(s[i + 1..].trim_start())),
        None => (s, None),
    };
    let day = parse_date_part(d)?;
    let secs = match t {
        Some(t) => parse_time_part(t)?,
        None => 0,
    };
    Some(start_of_day(day) + secs)
}

/// Parses a date: `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`, or a timestamp (its time is dropped, as
/// exports often write dates as midnight timestamps).
pub fn parse_date(text: &str) -> Option<Days> {
    let s = text.trim();
    parse_date_part(s).or_else(|| parse_timestamp(s).map(day_of))
}

/// Parses a time of day `HH:MM` (or `HH:MM:SS`) into minutes since midnight.
pub fn parse_hhmm(text: &str) -> Option<i32> {
    parse_time_part(text.trim()).map(|s| (s / 60) as i32)
}

/// Parses a month `YYYY-MM` (or `YYYYMM`, `YYYY/MM`) into the day number of its first day.
pub fn parse_month(text: &str) -> Option<Days> {
    let s = text.trim();
    let (y, m) = if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        (&s[..4], &s[4..])
    } else {
        s.split_once(['-', '/'])?
    };
    date(num(y, 4, 4)? as i32, num(m, 1, 2)?, 1)
}

/// A timestamp shown as `YYYY-MM-DD HH:MM:SS`.
#[derive(Clone, Copy)]
pub struct Ts(pub Seconds);

impl fmt::Display for Ts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(day_of(self.0));
        let s = second_of_day(self.0);
        write!(
            f,
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }
}

/// A date shown as `YYYY-MM-DD`.
#[derive(Clone, Copy)]
pub struct Date(pub Days);

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.0);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-800_000, -1, 0, 1, 19_000, 20_513, 60_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 3, 1), 20_513);
    }

    #[test]
    fn parses_timestamp_variants() {
        let want = parse_timestamp("2026-03-02 08:05:09").unwrap();
        assert_eq!(Ts(want).to_string(), "2026-03-02 08:05:09");
        for v in [
            "2026/03/02 08:05:09",
            "2026-03-02T08:05:09",
            "20260302080509",
            "2026-03-02 08:05:09.123",
            "2026/3/2 8:05:09",
            " 2026-03-02 08:05:09 ",
        ] {
            assert_eq!(parse_timestamp(v), Some(want), "{v}");
        }
        let midnight = parse_timestamp("2026-03-02 00:00:00");
        assert_eq!(parse_timestamp("20260302"), midnight);
        assert_eq!(parse_timestamp("2026-03-02"), midnight);
        assert_eq!(parse_timestamp("2026-03-02 08:05"), Some(want - 9));
    }

    #[test]
    fn refuses_impossible_times() {
        for v in [
            "2026-02-30 00:00:00",
            "2026-13-01",
            "2026-03-02 24:00:00",
            "2026-03-02 08:60:00",
            "02/03/2026",
            "yesterday",
            "",
            "2026-03",
        ] {
            assert_eq!(parse_timestamp(v), None, "{v}");
        }
    }

    #[test]
    fn parses_dates_months_and_hours() {
        let d = parse_date("1980-05-01").unwrap();
        assert_eq!(Date(d).to_string(), "1980-05-01");
        assert_eq!(parse_date("19800501"), Some(d));
        assert_eq!(parse_date("1980/5/1 00:00:00"), Some(d));
        assert_eq!(parse_month("2026-03"), parse_date("2026-03-01"));
        assert_eq!(parse_month("202603"), parse_date("2026-03-01"));
        assert_eq!(parse_hhmm("08:30"), Some(510));
        assert_eq!(parse_hhmm("25:00"), None);
        assert!(date(2024, 2, 29).is_some());
        assert!(date(2026, 2, 29).is_none());
    }
}
