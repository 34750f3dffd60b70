//! ISO 8601 durations, as Batch JSON writes them in fields such as `maxWallClockTime`.
//!
//! The form is `[-]P[nD][T[nH][nM][n[.fffffff]S]]`, such as `PT1H`, `P1DT2H` or
//! `P10675199DT2H48M5.4775807S` (the largest .NET `TimeSpan`, which Batch writes for "no
//! limit"). Years and months are rejected because their length in ticks depends on the
//! calendar.

use super::{DateTimeError, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND};
use crate::span::Span;

/// Parses an ISO 8601 duration into ticks (100 ns units).
///
/// # Errors
///
/// Returns a [`DateTimeError`] whose span points into `text` when the text does not have the
/// form above. Years (`Y`) and months (`M` before `T`) are rejected, and so are repeated or
/// misordered components, seconds with more than 7 fractional digits, and totals that do not
/// fit in an `i64` of ticks.
///
/// ```
/// use batch_odata::datetime::parse_duration;
///
/// assert_eq!(parse_duration("PT1H"), Ok(36_000_000_000));
/// assert_eq!(parse_duration("-PT0.5S"), Ok(-5_000_000));
/// assert_eq!(parse_duration("P10675199DT2H48M5.4775807S"), Ok(i64::MAX));
/// assert!(parse_duration("P1M").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<i64, DateTimeError> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    let negative = bytes.first() == Some(&b'-');
    if negative {
        pos += 1;
    }
    if bytes.get(pos) != Some(&b'P') {
        return Err(error_at(text, pos, "expected 'P' to start the duration"));
    }
    pos += 1;

    // Accumulate the magnitude in i128 so that `-P10675199DT2H48M5.4775808S`, which is
    // i64::MIN, can be read before its sign is applied.
    let mut total: i128 = 0;
    let mut components = 0;
    let mut rank = 0;
    let mut in_time = false;
    while pos < bytes.len() {
        if bytes[pos] == b'T' && !in_time {
            in_time = true;
            rank = Unit::Day.rank();
            pos += 1;
            if pos == bytes.len() {
                return Err(error_at(
                    text,
                    pos,
                    "expected hours, minutes or seconds after 'T'",
                ));
            }
            continue;
        }

        let component = Component::read(text, pos, in_time)?;
        if component.unit.rank() <= rank {
            let reason = "components must appear once each, in the order D, T, H, M, S";
            return Err(DateTimeError::new(reason, component.span));
        }
        rank = component.unit.rank();
        total = component
            .ticks()
            .and_then(|ticks| total.checked_add(ticks))
            .ok_or_else(|| out_of_range(text))?;
        components += 1;
        pos = component.span.end;
    }

    if components == 0 {
        return Err(error_at(
            text,
            pos,
            "expected at least one component, such as PT1H",
        ));
    }
    let signed = if negative { -total } else { total };
    i64::try_from(signed).map_err(|_| out_of_range(text))
}

/// Formats ticks as an ISO 8601 duration that [`parse_duration`] reads back to the same
/// ticks: days, then hours, minutes and seconds, leaving out zero components, with the
/// fractional seconds trimmed of trailing zeros. Zero is `PT0S`.
///
/// ```
/// use batch_odata::datetime::format_duration;
///
/// assert_eq!(format_duration(36_000_000_000), "PT1H");
/// assert_eq!(format_duration(i64::MAX), "P10675199DT2H48M5.4775807S");
/// assert_eq!(format_duration(0), "PT0S");
/// ```
pub fn format_duration(ticks: i64) -> String {
    let mut text = String::from(if ticks < 0 { "-P" } else { "P" });
    // unsigned_abs keeps i64::MIN, whose magnitude does not fit in an i64.
    let magnitude = ticks.unsigned_abs();
    let days = magnitude / TICKS_PER_DAY.unsigned_abs();
    let hours = magnitude % TICKS_PER_DAY.unsigned_abs() / TICKS_PER_HOUR.unsigned_abs();
    let minutes = magnitude % TICKS_PER_HOUR.unsigned_abs() / TICKS_PER_MINUTE.unsigned_abs();
    let seconds = magnitude % TICKS_PER_MINUTE.unsigned_abs() / TICKS_PER_SECOND.unsigned_abs();
    let fraction = magnitude % TICKS_PER_SECOND.unsigned_abs();

    if days > 0 {
        text.push_str(&format!("{days}D"));
    }
    let has_time = hours > 0 || minutes > 0 || seconds > 0 || fraction > 0;
    if has_time || days == 0 {
        text.push('T');
    }
    if hours > 0 {
        text.push_str(&format!("{hours}H"));
    }
    if minutes > 0 {
        text.push_str(&format!("{minutes}M"));
    }
    if seconds > 0 || fraction > 0 || (!has_time && days == 0) {
        text.push_str(&seconds.to_string());
        if fraction > 0 {
            let digits = format!("{fraction:07}");
            text.push('.');
            text.push_str(digits.trim_end_matches('0'));
        }
        text.push('S');
    }
    text
}

/// The unit letter of a duration component.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Day,
    Hour,
    Minute,
    Second,
}

impl Unit {
    /// Returns the position of the unit in the required order, counting from 1.
    fn rank(self) -> u8 {
        match self {
            Unit::Day => 1,
            Unit::Hour => 2,
            Unit::Minute => 3,
            Unit::Second => 4,
        }
    }

    fn ticks(self) -> i128 {
        i128::from(match self {
            Unit::Day => TICKS_PER_DAY,
            Unit::Hour => TICKS_PER_HOUR,
            Unit::Minute => TICKS_PER_MINUTE,
            Unit::Second => TICKS_PER_SECOND,
        })
    }
}

/// One `n[.fffffff]U` component of a duration.
struct Component {
    /// The digits before the unit, without a decimal point.
    digits: String,
    /// How many of `digits` follow the decimal point.
    fraction_digits: usize,
    unit: Unit,
    span: Span,
}

impl Component {
    /// Reads a component starting at `start`, which is within `text`.
    fn read(text: &str, start: usize, in_time: bool) -> Result<Component, DateTimeError> {
        let bytes = text.as_bytes();
        let mut pos = start;
        let mut digits = String::new();
        let mut fraction_digits = None;
        while let Some(&b) = bytes.get(pos) {
            match b {
                b'0'..=b'9' => {
                    digits.push(char::from(b));
                    fraction_digits = fraction_digits.map(|count| count + 1);
                }
                b'.' if fraction_digits.is_none() && !digits.is_empty() => {
                    fraction_digits = Some(0);
                }
                _ => break,
            }
            pos += 1;
        }
        if digits.is_empty() || fraction_digits == Some(0) {
            return Err(error_at(text, pos, "expected a number such as 1 or 1.5"));
        }

        let unit = match (bytes.get(pos), in_time) {
            (Some(b'D'), false) => Unit::Day,
            (Some(b'H'), true) => Unit::Hour,
            (Some(b'M'), true) => Unit::Minute,
            (Some(b'S'), true) => Unit::Second,
            (Some(b'Y' | b'M'), false) => {
                let reason = "years and months have no fixed length; write days, such as P30D";
                return Err(error_at(text, pos, reason));
            }
            (Some(b'H' | b'S'), false) => {
                return Err(error_at(
                    text,
                    pos,
                    "expected 'T' before hours, minutes and seconds",
                ));
            }
            _ if in_time => return Err(error_at(text, pos, "expected H, M or S after the number")),
            _ => return Err(error_at(text, pos, "expected D or 'T' after the number")),
        };

        let fraction_digits = fraction_digits.unwrap_or(0);
        let span = Span::new(start, pos + 1);
        if fraction_digits > 0 && unit != Unit::Second {
            let reason = "only seconds may have a fraction";
            return Err(DateTimeError::new(reason, span));
        }
        if fraction_digits > 7 {
            let reason = "more than 7 fractional digits; the precision is 100 ns";
            return Err(DateTimeError::new(reason, span));
        }
        Ok(Component {
            digits,
            fraction_digits,
            unit,
            span,
        })
    }

    /// Returns the component in ticks, or `None` when it overflows an i128.
    fn ticks(&self) -> Option<i128> {
        let mut value: i128 = 0;
        for b in self.digits.bytes() {
            value = value.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
        }
        // `fraction_digits` is at most 7, so the divisor is at most 10^7 and exact for
        // seconds, where one tick is 10^-7 s.
        let divisor = 10_i128.pow(self.fraction_digits as u32);
        value
            .checked_mul(self.unit.ticks())
            .map(|ticks| ticks / divisor)
    }
}

/// Returns an error about the char at `pos` of `text`, or about its end.
fn error_at(text: &str, pos: usize, reason: &str) -> DateTimeError {
    let width = text
        .get(pos..)
        .and_then(|rest| rest.chars().next())
        .map_or(0, char::len_utf8);
    DateTimeError::new(reason, Span::new(pos, pos + width))
}

fn out_of_range(text: &str) -> DateTimeError {
    let reason = "duration is out of range; the largest is P10675199DT2H48M5.4775807S";
    DateTimeError::new(reason, Span::new(0, text.len()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Returns the reason and the text under the span.
    fn error(text: &str) -> (String, &str) {
        match parse_duration(text) {
            Ok(ticks) => panic!("{text} parsed as {ticks}"),
            Err(error) => (error.reason, &text[error.span.range()]),
        }
    }

    #[test]
    fn parses_batch_durations() {
        assert_eq!(parse_duration("PT1H"), Ok(TICKS_PER_HOUR));
        assert_eq!(
            parse_duration("P1DT2H"),
            Ok(TICKS_PER_DAY + 2 * TICKS_PER_HOUR)
        );
        assert_eq!(parse_duration("-PT5M"), Ok(-5 * TICKS_PER_MINUTE));
        assert_eq!(parse_duration("P7D"), Ok(7 * TICKS_PER_DAY));
        assert_eq!(parse_duration("PT0.0000001S"), Ok(1));
        assert_eq!(parse_duration("PT90M"), Ok(90 * TICKS_PER_MINUTE));
        assert_eq!(parse_duration("P10675199DT2H48M5.4775807S"), Ok(i64::MAX));
        assert_eq!(parse_duration("-P10675199DT2H48M5.4775808S"), Ok(i64::MIN));
    }

    #[test]
    fn rejects_overflow() {
        let too_big = "P10675199DT2H48M5.4775808S";
        assert_eq!(
            error(too_big).0,
            "duration is out of range; the largest is P10675199DT2H48M5.4775807S"
        );
        let huge = format!("PT{}S", "9".repeat(100));
        assert!(parse_duration(&huge).is_err());
    }

    #[test]
    fn rejects_years_and_months() {
        let reason = "years and months have no fixed length; write days, such as P30D";
        assert_eq!(error("P1Y"), (reason.to_owned(), "Y"));
        assert_eq!(error("P1M"), (reason.to_owned(), "M"));
    }

    #[test]
    fn rejects_malformed_text() {
        let cases = [
            ("", "expected 'P' to start the duration", ""),
            ("1H", "expected 'P' to start the duration", "1"),
            ("P", "expected at least one component, such as PT1H", ""),
            ("PT", "expected hours, minutes or seconds after 'T'", ""),
            ("P1DT", "expected hours, minutes or seconds after 'T'", ""),
            ("P1H", "expected 'T' before hours, minutes and seconds", "H"),
            ("PT1D", "expected H, M or S after the number", "D"),
            ("P1", "expected D or 'T' after the number", ""),
            ("PT1.S", "expected a number such as 1 or 1.5", "S"),
            ("PTH", "expected a number such as 1 or 1.5", "H"),
            ("PT1.5H", "only seconds may have a fraction", "1.5H"),
            (
                "PT0.12345678S",
                "more than 7 fractional digits; the precision is 100 ns",
                "0.12345678S",
            ),
            (
                "PT1M1H",
                "components must appear once each, in the order D, T, H, M, S",
                "1H",
            ),
            (
                "PT1H1H",
                "components must appear once each, in the order D, T, H, M, S",
                "1H",
            ),
            ("PT1HT1M", "expected a number such as 1 or 1.5", "T"),
        ];
        for (text, reason, at) in cases {
            assert_eq!(error(text), (reason.to_owned(), at), "{text}");
        }
    }

    #[test]
    fn formats_components() {
        assert_eq!(format_duration(0), "PT0S");
        assert_eq!(format_duration(TICKS_PER_DAY), "P1D");
        assert_eq!(
            format_duration(TICKS_PER_DAY + 2 * TICKS_PER_HOUR),
            "P1DT2H"
        );
        assert_eq!(format_duration(-5 * TICKS_PER_MINUTE), "-PT5M");
        assert_eq!(format_duration(1), "PT0.0000001S");
        assert_eq!(format_duration(i64::MIN), "-P10675199DT2H48M5.4775808S");
    }

    proptest! {
        #[test]
        fn format_round_trips(ticks in any::<i64>()) {
            prop_assert_eq!(parse_duration(&format_duration(ticks)), Ok(ticks));
        }

        #[test]
        fn parse_never_panics(text in "-?P[0-9DTHMS.Y]{0,30}") {
            let _ = parse_duration(&text);
        }
    }
}
