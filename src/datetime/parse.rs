//! Parsers for the W3C-DTF (ISO 8601) and RFC 1123 date-time forms.

use super::{
    DateTime, DateTimeError, MAX_TICKS, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE,
    TICKS_PER_SECOND, days_from_civil, days_in_month,
};
use crate::span::Span;

/// The largest UTC offset accepted, in minutes: ±14:00, the limit of .NET's `DateTimeOffset`.
const MAX_OFFSET_MINUTES: u32 = 14 * 60;

/// The maximum number of fractional digits of a second, because a tick is 100 ns.
const MAX_FRACTION_DIGITS: usize = 7;

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses either form. RFC 1123 text starts with a day name or with a 1- or 2-digit day and
/// a space, and anything else is parsed as ISO text, which starts with a 4-digit year.
pub(super) fn parse_any(text: &str) -> Result<DateTime, DateTimeError> {
    let bytes = text.as_bytes();
    let leading_digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let starts_rfc = match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() => true,
        Some(_) => matches!(leading_digits, 1 | 2) && bytes.get(leading_digits) == Some(&b' '),
        None => false,
    };
    if starts_rfc {
        parse_rfc1123(text)
    } else {
        parse_iso(text)
    }
}

/// Parses `YYYY-MM-DD[Thh:mm[:ss[.fffffff]](Z|±hh:mm)]`.
pub(super) fn parse_iso(text: &str) -> Result<DateTime, DateTimeError> {
    let mut cursor = Cursor::new(text);
    if text.is_empty() {
        return Err(cursor.error_here("date-time is empty"));
    }

    let date = cursor.iso_date()?;
    if cursor.is_at_end() {
        return date_time(text, date, Time::MIDNIGHT, 0);
    }
    if !cursor.eat_any(b"Tt") {
        return Err(cursor.error_here("expected 'T' and a time after the date"));
    }
    let time = cursor.clock(true)?;
    let offset = cursor.iso_zone()?;
    cursor.expect_end()?;
    date_time(text, date, time, offset)
}

/// Parses `[Sun, ]08 May 2011 08:49[:37] GMT`, with one or more spaces between the parts.
fn parse_rfc1123(text: &str) -> Result<DateTime, DateTimeError> {
    let mut cursor = Cursor::new(text);
    if cursor.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
        cursor.name(&DAY_NAMES, "a day name such as Sun")?;
        cursor.expect(b',', "',' after the day name")?;
        cursor.spaces()?;
    }

    let day_start = cursor.pos;
    if cursor.digits_up_to(2) == 0 {
        return Err(cursor.error_here("expected the day of the month"));
    }
    let day = (cursor.number_since(day_start), cursor.span_from(day_start));
    cursor.spaces()?;
    let (index, month_span) = cursor.name(&MONTH_NAMES, "a month name such as May")?;
    let month = (index as i64 + 1, month_span);
    cursor.spaces()?;
    let year = cursor.year()?;
    let date = check_date(year, month, day)?;
    cursor.spaces()?;

    let time = cursor.clock(false)?;
    cursor.spaces()?;
    let zone = &text[cursor.pos..];
    if !["GMT", "UTC", "Z"]
        .iter()
        .any(|z| zone.eq_ignore_ascii_case(z))
    {
        let span = Span::new(cursor.pos, text.len());
        return Err(DateTimeError::new("expected the zone GMT, UTC or Z", span));
    }
    date_time(text, date, time, 0)
}

/// A validated calendar date.
#[derive(Clone, Copy)]
struct Date {
    year: i64,
    month: i64,
    day: i64,
}

/// A validated time of day.
#[derive(Clone, Copy)]
struct Time {
    hour: i64,
    minute: i64,
    second: i64,
    fraction_ticks: i64,
}

impl Time {
    const MIDNIGHT: Time = Time {
        hour: 0,
        minute: 0,
        second: 0,
        fraction_ticks: 0,
    };
}

/// Combines validated fields into a date-time, rejecting instants outside 0001 to 9999 in
/// UTC. Such instants exist only near the ends of the range with an offset, such as
/// `0001-01-01T00:00:00+01:00`, and .NET rejects them too.
fn date_time(text: &str, date: Date, time: Time, offset: i16) -> Result<DateTime, DateTimeError> {
    let days = days_from_civil(date.year, date.month, date.day);
    let local = days * TICKS_PER_DAY
        + time.hour * TICKS_PER_HOUR
        + time.minute * TICKS_PER_MINUTE
        + time.second * TICKS_PER_SECOND
        + time.fraction_ticks;
    let value = DateTime::from_local(local, offset);
    if (0..=MAX_TICKS).contains(&value.ticks()) {
        Ok(value)
    } else {
        Err(DateTimeError::new(
            "date-time is outside the years 0001 to 9999 when converted to UTC",
            Span::new(0, text.len()),
        ))
    }
}

/// Checks month and day, each with its span, against the calendar of `year`.
fn check_date(
    year: i64,
    (month, month_span): (i64, Span),
    (day, day_span): (i64, Span),
) -> Result<Date, DateTimeError> {
    if !(1..=12).contains(&month) {
        let reason = format!("month {month:02} is out of range 01 to 12");
        return Err(DateTimeError::new(reason, month_span));
    }
    let last_day = days_in_month(year, month);
    if !(1..=last_day).contains(&day) {
        let reason =
            format!("day {day:02} is out of range 01 to {last_day} in {year:04}-{month:02}");
        return Err(DateTimeError::new(reason, day_span));
    }
    Ok(Date { year, month, day })
}

/// A position in the text being parsed. Only ASCII bytes are consumed, so the position is
/// always on a char boundary.
struct Cursor<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Cursor<'a> {
        Cursor {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn is_at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Consumes the next byte if it is one of `choices`.
    fn eat_any(&mut self, choices: &[u8]) -> bool {
        let found = self.peek().is_some_and(|b| choices.contains(&b));
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8, expected: &str) -> Result<(), DateTimeError> {
        if self.eat_any(&[byte]) {
            Ok(())
        } else {
            Err(self.error_here(&format!("expected {expected}")))
        }
    }

    fn expect_end(&self) -> Result<(), DateTimeError> {
        if self.is_at_end() {
            Ok(())
        } else {
            let span = Span::new(self.pos, self.text.len());
            Err(DateTimeError::new(
                "unexpected text after the date-time",
                span,
            ))
        }
    }

    /// Returns an error about the char at the position, or about the end of the text.
    fn error_here(&self, reason: &str) -> DateTimeError {
        let width = self.text[self.pos..]
            .chars()
            .next()
            .map_or(0, char::len_utf8);
        DateTimeError::new(reason, Span::new(self.pos, self.pos + width))
    }

    fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.pos)
    }

    /// Consumes up to `max` ASCII digits and returns how many there were.
    fn digits_up_to(&mut self, max: usize) -> usize {
        let count = self.bytes[self.pos..]
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        self.pos += count;
        count
    }

    /// Returns the value of the digits from `start` to the position, at most 18 of them.
    fn number_since(&self, start: usize) -> i64 {
        self.bytes[start..self.pos]
            .iter()
            .fold(0, |value, b| value * 10 + i64::from(b - b'0'))
    }

    /// Consumes exactly `count` digits and returns their value with their span.
    fn fixed(&mut self, count: usize, field_name: &str) -> Result<(i64, Span), DateTimeError> {
        let start = self.pos;
        if self.digits_up_to(count) != count {
            return Err(self.error_here(&format!("expected {count} digits for the {field_name}")));
        }
        Ok((self.number_since(start), self.span_from(start)))
    }

    /// Consumes one or more spaces.
    fn spaces(&mut self) -> Result<(), DateTimeError> {
        let start = self.pos;
        while self.eat_any(b" ") {}
        if self.pos == start {
            return Err(self.error_here("expected a space"));
        }
        Ok(())
    }

    /// Consumes a three-letter name from `names`, ignoring case, and returns its index and
    /// span.
    fn name(&mut self, names: &[&str], expected: &str) -> Result<(usize, Span), DateTimeError> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        let word = &self.text[start..self.pos];
        let Some(index) = names
            .iter()
            .position(|name| name.eq_ignore_ascii_case(word))
        else {
            let reason = format!("expected {expected}");
            if word.is_empty() {
                return Err(self.error_here(&reason));
            }
            return Err(DateTimeError::new(reason, self.span_from(start)));
        };
        Ok((index, self.span_from(start)))
    }

    fn year(&mut self) -> Result<i64, DateTimeError> {
        let (year, span) = self.fixed(4, "year")?;
        if year == 0 {
            return Err(DateTimeError::new(
                "year 0000 is out of range 0001 to 9999",
                span,
            ));
        }
        Ok(year)
    }

    /// Consumes `YYYY-MM-DD`.
    fn iso_date(&mut self) -> Result<Date, DateTimeError> {
        let year = self.year()?;
        self.expect(b'-', "'-' after the year")?;
        let month = self.fixed(2, "month")?;
        self.expect(b'-', "'-' after the month")?;
        let day = self.fixed(2, "day")?;
        check_date(year, month, day)
    }

    /// Consumes `hh:mm[:ss]`, and in ISO text the fraction that may follow the seconds.
    fn clock(&mut self, iso: bool) -> Result<Time, DateTimeError> {
        let hour = self.field(2, "hour", 23)?;
        self.expect(b':', "':' after the hour")?;
        let minute = self.field(2, "minute", 59)?;
        let mut time = Time {
            hour,
            minute,
            ..Time::MIDNIGHT
        };
        // An ISO offset follows the minutes directly, while RFC 1123 needs a space first, so
        // ':' is the only thing that can start the seconds in either form.
        if self.eat_any(b":") {
            time.second = self.field(2, "second", 59)?;
            if iso && self.eat_any(b".") {
                time.fraction_ticks = self.fraction()?;
            }
        } else if !iso && self.peek() != Some(b' ') && !self.is_at_end() {
            return Err(self.error_here("expected ':' and seconds, or a space and the zone"));
        }
        Ok(time)
    }

    /// Consumes the digits after the decimal point of the seconds and returns them in ticks.
    fn fraction(&mut self) -> Result<i64, DateTimeError> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits = self.pos - start;
        if digits == 0 {
            return Err(self.error_here("expected fractional digits after '.'"));
        }
        if digits > MAX_FRACTION_DIGITS {
            let span = Span::new(start + MAX_FRACTION_DIGITS, self.pos);
            let reason = "more than 7 fractional digits; the precision is 100 ns";
            return Err(DateTimeError::new(reason, span));
        }
        let scale = 10_i64.pow((MAX_FRACTION_DIGITS - digits) as u32);
        Ok(self.number_since(start) * scale)
    }

    /// Consumes a fixed-width number and checks it is at most `max`.
    fn field(&mut self, width: usize, field_name: &str, max: i64) -> Result<i64, DateTimeError> {
        let (value, span) = self.fixed(width, field_name)?;
        if value > max {
            let reason = format!("{field_name} {value:02} is out of range 00 to {max}");
            return Err(DateTimeError::new(reason, span));
        }
        Ok(value)
    }

    /// Consumes `Z` or `±hh:mm` and returns the offset in minutes.
    fn iso_zone(&mut self) -> Result<i16, DateTimeError> {
        if self.eat_any(b"Zz") {
            return Ok(0);
        }
        if self.is_at_end() {
            let reason = "missing time zone; add Z for UTC or an offset such as +01:00";
            return Err(self.error_here(reason));
        }
        if self.peek() == Some(b' ') && self.is_offset_at(self.pos + 1) {
            // In a URL query, '+' means a space, so `+02:00` sent unencoded arrives as ` 02:00`.
            let reason = "the '+' of the offset was decoded as a space; send it as %2B";
            return Err(self.error_here(reason));
        }

        let sign = match self.peek() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Err(self.error_here("expected Z or an offset such as +01:00")),
        };
        let start = self.pos;
        self.pos += 1;
        let hours = self.field(2, "offset hour", 23)?;
        self.expect(b':', "':' in the offset")?;
        let minutes = self.field(2, "offset minute", 59)?;
        let total = hours * 60 + minutes;
        if total > i64::from(MAX_OFFSET_MINUTES) {
            let reason = "offset is outside -14:00 to +14:00";
            return Err(DateTimeError::new(reason, self.span_from(start)));
        }
        // Both factors are bounded above, so the offset fits in an i16.
        Ok((sign * total) as i16)
    }

    /// Returns true when `hh:mm` starts at `index`.
    fn is_offset_at(&self, index: usize) -> bool {
        let shape = b"00:00";
        let Some(candidate) = self.bytes.get(index..index + shape.len()) else {
            return false;
        };
        candidate.iter().zip(shape).all(|(b, s)| {
            if *s == b':' {
                *b == b':'
            } else {
                b.is_ascii_digit()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> String {
        match DateTime::parse(text) {
            Ok(time) => time.to_utc_string(),
            Err(error) => panic!("{text}: {error} at {}", error.span),
        }
    }

    /// Returns the reason and the text under the span.
    fn error(text: &str) -> (String, &str) {
        match DateTime::parse(text) {
            Ok(time) => panic!("{text} parsed as {time}"),
            Err(error) => (error.reason, &text[error.span.range()]),
        }
    }

    #[test]
    fn iso_accepts_w3c_dtf_shapes() {
        assert_eq!(utc("2011-05-08T08:49:37Z"), "2011-05-08T08:49:37.0000000Z");
        assert_eq!(utc("2011-05-08T08:49Z"), "2011-05-08T08:49:00.0000000Z");
        assert_eq!(
            utc("2011-05-08T08:49:37.1Z"),
            "2011-05-08T08:49:37.1000000Z"
        );
        assert_eq!(
            utc("2011-05-08T08:49:37.9236757Z"),
            "2011-05-08T08:49:37.9236757Z"
        );
        assert_eq!(utc("2011-05-08t08:49:37z"), "2011-05-08T08:49:37.0000000Z");
        assert_eq!(utc("2011-05-08"), "2011-05-08T00:00:00.0000000Z");
    }

    #[test]
    fn offsets_cross_midnight() {
        assert_eq!(
            utc("2011-05-08T23:30:00-02:00"),
            "2011-05-09T01:30:00.0000000Z"
        );
        assert_eq!(
            utc("2011-01-01T01:00:00+05:45"),
            "2010-12-31T19:15:00.0000000Z"
        );
        assert_eq!(
            utc("2012-02-28T23:00:00-01:30"),
            "2012-02-29T00:30:00.0000000Z"
        );
        assert_eq!(
            utc("2011-02-28T23:00:00-01:30"),
            "2011-03-01T00:30:00.0000000Z"
        );
    }

    #[test]
    fn offset_limits_are_fourteen_hours() {
        assert_eq!(
            utc("2011-05-08T00:00:00+14:00"),
            "2011-05-07T10:00:00.0000000Z"
        );
        assert_eq!(
            utc("2011-05-08T00:00:00-14:00"),
            "2011-05-08T14:00:00.0000000Z"
        );
        let (reason, at) = error("2011-05-08T00:00:00+14:01");
        assert_eq!(reason, "offset is outside -14:00 to +14:00");
        assert_eq!(at, "+14:01");
    }

    #[test]
    fn leap_days_are_checked() {
        assert_eq!(utc("2000-02-29"), "2000-02-29T00:00:00.0000000Z");
        assert_eq!(utc("2024-02-29"), "2024-02-29T00:00:00.0000000Z");
        let (reason, at) = error("1900-02-29");
        assert_eq!(reason, "day 29 is out of range 01 to 28 in 1900-02");
        assert_eq!(at, "29");
        assert_eq!(
            error("2023-02-29").0,
            "day 29 is out of range 01 to 28 in 2023-02"
        );
        assert_eq!(
            error("2023-04-31").0,
            "day 31 is out of range 01 to 30 in 2023-04"
        );
    }

    #[test]
    fn fields_out_of_range_point_at_field() {
        let cases = [
            ("2011-13-08", "month 13 is out of range 01 to 12", "13"),
            ("2011-00-08", "month 00 is out of range 01 to 12", "00"),
            (
                "2011-05-00",
                "day 00 is out of range 01 to 31 in 2011-05",
                "00",
            ),
            (
                "2011-05-08T24:00:00Z",
                "hour 24 is out of range 00 to 23",
                "24",
            ),
            (
                "2011-05-08T08:60:00Z",
                "minute 60 is out of range 00 to 59",
                "60",
            ),
            (
                "2011-05-08T08:49:60Z",
                "second 60 is out of range 00 to 59",
                "60",
            ),
            (
                "0000-01-01",
                "year 0000 is out of range 0001 to 9999",
                "0000",
            ),
        ];
        for (text, reason, at) in cases {
            assert_eq!(error(text), (reason.to_owned(), at), "{text}");
        }
    }

    #[test]
    fn fraction_is_limited_to_seven_digits() {
        let (reason, at) = error("2011-05-08T08:49:37.12345678Z");
        assert_eq!(
            reason,
            "more than 7 fractional digits; the precision is 100 ns"
        );
        assert_eq!(at, "8");
        assert_eq!(
            error("2011-05-08T08:49:37.Z").0,
            "expected fractional digits after '.'"
        );
    }

    #[test]
    fn decoded_plus_is_explained() {
        let (reason, at) = error("2011-05-08T08:49:37 02:00");
        assert_eq!(
            reason,
            "the '+' of the offset was decoded as a space; send it as %2B"
        );
        assert_eq!(at, " ");
    }

    #[test]
    fn missing_zone_is_explained() {
        let (reason, at) = error("2011-05-08T08:49:37");
        assert_eq!(
            reason,
            "missing time zone; add Z for UTC or an offset such as +01:00"
        );
        assert_eq!(at, "");
        assert_eq!(
            error("2011-05-08T08:49:37 ").0,
            "expected Z or an offset such as +01:00"
        );
    }

    #[test]
    fn malformed_iso_points_at_first_bad_char() {
        let cases = [
            ("", "date-time is empty", ""),
            ("2011", "expected '-' after the year", ""),
            ("2011/05/08", "expected '-' after the year", "/"),
            ("2011-5-08", "expected 2 digits for the month", "-"),
            (
                "2011-05-08 08:49:37Z",
                "expected 'T' and a time after the date",
                " ",
            ),
            ("2011-05-08T8:49Z", "expected 2 digits for the hour", ":"),
            (
                "2011-05-08T08:49:37Zx",
                "unexpected text after the date-time",
                "x",
            ),
            (
                "2011-05-08T08:49:37+0200",
                "expected ':' in the offset",
                "0",
            ),
            (
                "2011-05-08T08:49:37é",
                "expected Z or an offset such as +01:00",
                "é",
            ),
            ("201é-05-08", "expected 4 digits for the year", "é"),
        ];
        for (text, reason, at) in cases {
            assert_eq!(error(text), (reason.to_owned(), at), "{text}");
        }
    }

    #[test]
    fn range_is_checked_in_utc() {
        let (reason, at) = error("0001-01-01T00:00:00+01:00");
        assert_eq!(
            reason,
            "date-time is outside the years 0001 to 9999 when converted to UTC"
        );
        assert_eq!(at, "0001-01-01T00:00:00+01:00");
        assert!(DateTime::parse("9999-12-31T23:59:59-01:00").is_err());
        assert!(DateTime::parse("0001-01-01T00:00:00-01:00").is_ok());
    }

    #[test]
    fn rfc1123_matches_iso() {
        let iso = "2011-05-08T08:49:37.0000000Z";
        assert_eq!(utc("Sun, 08 May 2011 08:49:37 GMT"), iso);
        assert_eq!(utc("Sun, 08 May 2011 08:49:37 UTC"), iso);
        assert_eq!(utc("Sun, 08 May 2011 08:49:37 Z"), iso);
        assert_eq!(utc("sun, 8 may 2011 08:49:37 gmt"), iso);
        assert_eq!(utc("08 May 2011 08:49:37 GMT"), iso);
        assert_eq!(
            utc("Sun,  08 May 2011 08:49 GMT"),
            "2011-05-08T08:49:00.0000000Z"
        );
    }

    #[test]
    fn rfc1123_accepts_any_day_name() {
        assert_eq!(
            utc("Mon, 08 May 2011 08:49:37 GMT"),
            "2011-05-08T08:49:37.0000000Z"
        );
    }

    #[test]
    fn malformed_rfc1123_points_at_part() {
        let cases = [
            (
                "Sunday, 08 May 2011 08:49:37 GMT",
                "expected a day name such as Sun",
                "Sunday",
            ),
            (
                "Sun 08 May 2011 08:49:37 GMT",
                "expected ',' after the day name",
                " ",
            ),
            (
                "Sun, 08 Mai 2011 08:49:37 GMT",
                "expected a month name such as May",
                "Mai",
            ),
            (
                "Sun, 30 Feb 2011 08:49:37 GMT",
                "day 30 is out of range 01 to 28 in 2011-02",
                "30",
            ),
            (
                "Sun, 08 May 11 08:49:37 GMT",
                "expected 4 digits for the year",
                " ",
            ),
            (
                "Sun, 08 May 2011 08:49:37 CET",
                "expected the zone GMT, UTC or Z",
                "CET",
            ),
            ("Sun, 08 May 2011 08:49:37", "expected a space", ""),
            (
                "Sun, 08 May 2011 08:49:37 +0000",
                "expected the zone GMT, UTC or Z",
                "+0000",
            ),
            (
                "Sun, 08 May 2011 25:49:37 GMT",
                "hour 25 is out of range 00 to 23",
                "25",
            ),
            ("Sun, x", "expected the day of the month", "x"),
        ];
        for (text, reason, at) in cases {
            assert_eq!(error(text), (reason.to_owned(), at), "{text}");
        }
    }

    #[test]
    fn parse_iso_rejects_rfc1123() {
        let error = DateTime::parse_iso("Sun, 08 May 2011 08:49:37 GMT").unwrap_err();
        assert_eq!(error.reason, "expected 4 digits for the year");
        assert_eq!(error.span, Span::new(0, 1));
    }
}
