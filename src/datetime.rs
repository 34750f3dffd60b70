//! Date-time and duration values with 100-nanosecond precision.
//!
//! Task data writes date-times in ISO 8601 form, as .NET's round-trip format does
//! (`2018-03-13T07:19:20.9236757Z`), and durations as ISO 8601 durations
//! (`P10675199DT2H48M5.4775807S`, which is `i64::MAX` ticks and is what the service writes
//! for an unlimited time). Both become 100 ns ticks so that they compare as integers.

use std::fmt;

/// Ticks in one second.
const TICKS_PER_SECOND: i64 = 10_000_000;

/// Ticks in one day.
const TICKS_PER_DAY: i64 = 86_400 * TICKS_PER_SECOND;

/// An instant with 100-nanosecond precision and the UTC offset it was written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    ticks: i64,
    offset_minutes: i16,
}

/// An error from parsing a date-time or a duration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateTimeError {
    /// The problem, such as `hour out of range`.
    pub reason: String,
}

impl DateTimeError {
    fn new(reason: impl Into<String>) -> Self {
        DateTimeError {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for DateTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for DateTimeError {}

impl DateTime {
    /// Creates a UTC date-time from ticks (100 ns units) since 0001-01-01T00:00:00Z.
    pub const fn from_ticks(ticks: i64) -> DateTime {
        DateTime {
            ticks,
            offset_minutes: 0,
        }
    }

    /// Returns the ticks (100 ns units) since 0001-01-01T00:00:00Z.
    pub const fn ticks(self) -> i64 {
        self.ticks
    }

    /// Returns the UTC offset the value was written with, in minutes.
    pub const fn offset_minutes(self) -> i16 {
        self.offset_minutes
    }

    /// Parses an ISO 8601 date-time of the form `YYYY-MM-DDThh:mm[:ss[.fffffff]]` followed by
    /// `Z` or an offset `±hh:mm` (the colon is optional, and `t` and `z` may be lower case).
    ///
    /// Digits of the fraction past the seventh are below tick precision and are dropped.
    ///
    /// ```
    /// use batch_odata::datetime::DateTime;
    ///
    /// let t = DateTime::parse_iso("0001-01-01T00:00:01.5Z").unwrap();
    /// assert_eq!(t.ticks(), 15_000_000);
    /// let shifted = DateTime::parse_iso("2018-03-13T08:19:20+01:00").unwrap();
    /// assert_eq!(shifted.ticks(), DateTime::parse_iso("2018-03-13T07:19:20Z").unwrap().ticks());
    /// ```
    pub fn parse_iso(text: &str) -> Result<DateTime, DateTimeError> {
        let mut cursor = Cursor::new(text);

        let year = cursor.digits(4, "year")?;
        cursor.expect(b'-', "'-' after the year")?;
        let month = cursor.digits(2, "month")?;
        cursor.expect(b'-', "'-' after the month")?;
        let day = cursor.digits(2, "day")?;
        if !(cursor.eat(b'T') || cursor.eat(b't')) {
            return Err(DateTimeError::new("expected 'T' between date and time"));
        }
        let hour = cursor.digits(2, "hour")?;
        cursor.expect(b':', "':' after the hour")?;
        let minute = cursor.digits(2, "minute")?;
        let (second, fraction) = if cursor.eat(b':') {
            let second = cursor.digits(2, "second")?;
            let fraction = if cursor.eat(b'.') {
                cursor.fraction_ticks()?
            } else {
                0
            };
            (second, fraction)
        } else {
            (0, 0)
        };
        let offset_minutes = cursor.offset()?;
        if !cursor.at_end() {
            return Err(DateTimeError::new("unexpected text after the time zone"));
        }

        if year == 0 {
            return Err(DateTimeError::new("year out of range"));
        }
        if !(1..=12).contains(&month) {
            return Err(DateTimeError::new("month out of range"));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateTimeError::new("day out of range"));
        }
        if hour > 23 {
            return Err(DateTimeError::new("hour out of range"));
        }
        if minute > 59 {
            return Err(DateTimeError::new("minute out of range"));
        }
        if second > 59 {
            return Err(DateTimeError::new("second out of range"));
        }

        let seconds_of_day = hour * 3600 + minute * 60 + second;
        let local = days_since_epoch(year, month, day) * TICKS_PER_DAY
            + seconds_of_day * TICKS_PER_SECOND
            + fraction;
        // Year 9999 and a 23:59 offset keep every operand far inside i64.
        let ticks = local - i64::from(offset_minutes) * 60 * TICKS_PER_SECOND;
        Ok(DateTime {
            ticks,
            offset_minutes,
        })
    }
}

/// Parses an ISO 8601 duration such as `PT1H30M` or `-P1DT0.5S` into 100 ns ticks.
///
/// Days, hours, minutes and seconds are accepted, seconds with up to seven fraction digits
/// that count (further digits are dropped), and weeks as seven days. Years and months are
/// rejected because their length in ticks is not fixed.
///
/// ```
/// use batch_odata::datetime::parse_duration;
///
/// assert_eq!(parse_duration("PT1.5S").unwrap(), 15_000_000);
/// assert_eq!(parse_duration("P10675199DT2H48M5.4775807S").unwrap(), i64::MAX);
/// assert!(parse_duration("P1M").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<i64, DateTimeError> {
    let mut cursor = Cursor::new(text);
    let negative = cursor.eat(b'-');
    if !cursor.eat(b'P') {
        return Err(DateTimeError::new("a duration must start with 'P'"));
    }

    let mut total: i64 = 0;
    let mut in_time = false;
    let mut components = 0;
    while !cursor.at_end() {
        if cursor.eat(b'T') {
            if in_time {
                return Err(DateTimeError::new("'T' appears twice"));
            }
            in_time = true;
            continue;
        }
        let number = cursor.number()?;
        let fraction = if cursor.eat(b'.') {
            cursor.fraction_ticks()?
        } else {
            0
        };
        let designator = cursor
            .next()
            .ok_or_else(|| DateTimeError::new("number without a unit designator"))?;
        let unit_ticks = match (in_time, designator) {
            (false, b'W') => 7 * TICKS_PER_DAY,
            (false, b'D') => TICKS_PER_DAY,
            (true, b'H') => 3600 * TICKS_PER_SECOND,
            (true, b'M') => 60 * TICKS_PER_SECOND,
            (true, b'S') => TICKS_PER_SECOND,
            (false, b'Y' | b'M') => {
                return Err(DateTimeError::new(
                    "years and months have no fixed length; use days",
                ));
            }
            _ => return Err(DateTimeError::new("unknown or misplaced unit designator")),
        };
        if fraction != 0 && designator != b'S' {
            return Err(DateTimeError::new("only seconds may have a fraction"));
        }
        let ticks = number
            .checked_mul(unit_ticks)
            .and_then(|t| t.checked_add(fraction))
            .ok_or_else(|| DateTimeError::new("duration out of range"))?;
        total = total
            .checked_add(ticks)
            .ok_or_else(|| DateTimeError::new("duration out of range"))?;
        components += 1;
    }

    if components == 0 {
        return Err(DateTimeError::new("duration has no components"));
    }
    Ok(if negative { -total } else { total })
}

/// A byte cursor over an ASCII date-time or duration.
struct Cursor<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Cursor {
            bytes: text.as_bytes(),
            position: 0,
        }
    }

    fn at_end(&self) -> bool {
        self.position >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.position += 1;
        Some(byte)
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.position += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), DateTimeError> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(DateTimeError::new(format!("expected {what}")))
        }
    }

    /// Reads exactly `count` decimal digits.
    fn digits(&mut self, count: usize, what: &str) -> Result<i64, DateTimeError> {
        let mut value = 0;
        for _ in 0..count {
            match self.peek() {
                Some(byte @ b'0'..=b'9') => {
                    value = value * 10 + i64::from(byte - b'0');
                    self.position += 1;
                }
                _ => {
                    return Err(DateTimeError::new(format!(
                        "expected {count} digits of {what}"
                    )));
                }
            }
        }
        Ok(value)
    }

    /// Reads one or more decimal digits as an unsigned number.
    fn number(&mut self) -> Result<i64, DateTimeError> {
        let start = self.position;
        let mut value: i64 = 0;
        while let Some(byte @ b'0'..=b'9') = self.peek() {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(i64::from(byte - b'0')))
                .ok_or_else(|| DateTimeError::new("number out of range"))?;
            self.position += 1;
        }
        if self.position == start {
            return Err(DateTimeError::new("expected a number"));
        }
        Ok(value)
    }

    /// Reads the digits after a decimal point as ticks of a second.
    fn fraction_ticks(&mut self) -> Result<i64, DateTimeError> {
        let start = self.position;
        let mut ticks = 0;
        let mut scale = TICKS_PER_SECOND;
        while let Some(byte @ b'0'..=b'9') = self.peek() {
            scale /= 10;
            ticks += scale * i64::from(byte - b'0');
            self.position += 1;
        }
        if self.position == start {
            return Err(DateTimeError::new("expected digits after '.'"));
        }
        Ok(ticks)
    }

    /// Reads `Z` or `±hh:mm` and returns the offset in minutes.
    fn offset(&mut self) -> Result<i16, DateTimeError> {
        if self.eat(b'Z') || self.eat(b'z') {
            return Ok(0);
        }
        let sign = match self.next() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => {
                return Err(DateTimeError::new(
                    "expected 'Z' or a UTC offset such as '+01:00'",
                ));
            }
        };
        let hours = self.digits(2, "offset hours")?;
        self.eat(b':');
        let minutes = self.digits(2, "offset minutes")?;
        if hours > 23 || minutes > 59 {
            return Err(DateTimeError::new("UTC offset out of range"));
        }
        // At most 23 * 60 + 59 minutes, which fits in i16.
        Ok(sign * (hours * 60 + minutes) as i16)
    }
}

/// Returns true for leap years of the proleptic Gregorian calendar.
fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Returns the days from 0001-01-01 to the date, in the proleptic Gregorian calendar.
fn days_since_epoch(year: i64, month: i64, day: i64) -> i64 {
    const CUMULATIVE: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let y = year - 1;
    let leap_day = i64::from(month > 2 && is_leap_year(year));
    y * 365 + y / 4 - y / 100 + y / 400 + CUMULATIVE[(month - 1) as usize] + leap_day + day - 1
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.ticks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticks(text: &str) -> i64 {
        DateTime::parse_iso(text).expect(text).ticks()
    }

    #[test]
    fn parse_iso_counts_ticks_from_year_one() {
        // Expected values computed with Python's datetime: (t - datetime(1, 1, 1)) in 100 ns.
        assert_eq!(
            ticks("2018-03-13T07:19:20.9236757Z"),
            636_565_223_609_236_757
        );
        assert_eq!(ticks("0001-01-01T00:00:00Z"), 0);
        assert_eq!(
            ticks("9999-12-31T23:59:59.9999999Z"),
            3_155_378_975_999_999_999
        );
    }

    #[test]
    fn parse_iso_applies_offset() {
        assert_eq!(
            ticks("2018-03-13T02:19:20-05:00"),
            ticks("2018-03-13T07:19:20Z")
        );
        let parsed = DateTime::parse_iso("2018-03-13T02:19-0500").expect("offset without colon");
        assert_eq!(parsed.offset_minutes(), -300);
    }

    #[test]
    fn parse_iso_handles_leap_days() {
        assert_eq!(
            ticks("2020-03-01T00:00:00Z") - ticks("2020-02-28T00:00:00Z"),
            2 * TICKS_PER_DAY
        );
        assert!(DateTime::parse_iso("2019-02-29T00:00:00Z").is_err());
        assert!(DateTime::parse_iso("2000-02-29T00:00:00Z").is_ok());
    }

    #[test]
    fn parse_iso_rejects_malformed_text() {
        for text in [
            "",
            "2018-03-13",
            "2018-03-13T07:19:20",
            "2018-13-01T00:00:00Z",
            "2018-03-13T24:00:00Z",
            "2018-03-13T07:19:20.Z",
            "2018-03-13T07:19:20Zx",
            "２018-03-13T07:19:20Z",
        ] {
            assert!(DateTime::parse_iso(text).is_err(), "{text}");
        }
    }

    #[test]
    fn parse_duration_reads_components() {
        assert_eq!(parse_duration("PT1H"), Ok(3600 * TICKS_PER_SECOND));
        assert_eq!(
            parse_duration("P1DT1M"),
            Ok(TICKS_PER_DAY + 60 * TICKS_PER_SECOND)
        );
        assert_eq!(parse_duration("P1W"), Ok(7 * TICKS_PER_DAY));
        assert_eq!(parse_duration("-PT0.0000001S"), Ok(-1));
        assert_eq!(parse_duration("PT0S"), Ok(0));
    }

    #[test]
    fn parse_duration_rejects_malformed_text() {
        for text in [
            "",
            "P",
            "PT",
            "1H",
            "PT1",
            "P1H",
            "PT1.5M",
            "P99999999999999999999D",
        ] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
        assert!(parse_duration("P10675199DT2H48M5.4775808S").is_err());
    }
}
