//! Date-time and duration values with 100-nanosecond precision.
//!
//! A [`DateTime`] counts ticks of 100 ns since 0001-01-01T00:00:00Z, the unit and epoch of
//! .NET's `DateTime`. Batch writes times with 7 fractional digits, which is this precision.
//! A value also keeps the UTC offset it was written with, so that printing a filter
//! reproduces the value as the user wrote it.
//!
//! Two text forms are accepted, as the Batch documentation allows inside `DateTime'...'`:
//!
//! * W3C-DTF, the ISO 8601 profile: `2011-05-08T08:49:37Z`, `2011-05-08T10:49:37.25+02:00`,
//!   `2011-05-08T08:49Z` or a bare date `2011-05-08` (midnight UTC).
//! * RFC 1123: `Sun, 08 May 2011 08:49:37 GMT`.
//!
//! Durations such as `PT1H` are ISO 8601 durations counted in ticks; see [`parse_duration`].

mod duration;
mod parse;

use std::fmt;
use std::str::FromStr;

use crate::span::Span;

pub use duration::{format_duration, parse_duration};

/// Ticks (100 ns units) in one second.
pub const TICKS_PER_SECOND: i64 = 10_000_000;

/// Ticks in one minute.
pub const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;

/// Ticks in one hour.
pub const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MINUTE;

/// Ticks in one day.
pub const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;

/// Ticks of 9999-12-31T23:59:59.9999999Z, the latest instant a [`DateTime`] can be parsed to.
pub const MAX_TICKS: i64 = 3_155_378_975_999_999_999;

/// Days from 0001-01-01 to 1970-01-01, which the calendar functions below count from.
const DAYS_TO_UNIX_EPOCH: i64 = 719_162;

/// An instant with 100-nanosecond precision and the UTC offset it was written with.
///
/// Two values are equal when both the instant and the offset are equal: `08:00Z` and
/// `10:00+02:00` are the same instant but different values.
///
/// ```
/// use batch_odata::datetime::DateTime;
///
/// let time = DateTime::parse("2011-05-08T10:49:37.5+02:00").unwrap();
/// assert_eq!(time.offset_minutes(), 120);
/// assert_eq!(time.to_string(), "2011-05-08T10:49:37.5+02:00");
/// assert_eq!(time.to_utc_string(), "2011-05-08T08:49:37.5000000Z");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    ticks: i64,
    offset_minutes: i16,
}

/// The reason a date-time or duration text was rejected, with the span at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateTimeError {
    /// The problem, a short lower-case message such as `hour 24 is out of range 00 to 23`.
    pub reason: String,
    /// The bytes of the parsed text at fault.
    pub span: Span,
}

impl DateTime {
    /// Creates a UTC date-time from ticks (100 ns units) since 0001-01-01T00:00:00Z.
    pub const fn from_ticks(ticks: i64) -> DateTime {
        DateTime {
            ticks,
            offset_minutes: 0,
        }
    }

    /// Parses a W3C-DTF (ISO 8601) or RFC 1123 date-time.
    ///
    /// The ISO form is `YYYY-MM-DDThh:mm[:ss[.fffffff]]` followed by `Z` or an offset `±hh:mm`,
    /// or a date `YYYY-MM-DD` alone, which means midnight UTC. `T` and `Z` may be lower case.
    /// The RFC 1123 form is `[Sun, ]08 May 2011 08:49[:37] GMT`, with the zone `GMT`, `UTC` or
    /// `Z`. Names are matched without regard to case, and the day name is not checked against
    /// the date.
    ///
    /// # Errors
    ///
    /// Returns a [`DateTimeError`] whose span points into `text` when a field is missing or
    /// out of range, or when there are more than 7 fractional digits (finer than 100 ns). The
    /// instant must also fall within the years 0001 to 9999 once converted to UTC.
    ///
    /// ```
    /// use batch_odata::datetime::DateTime;
    ///
    /// let iso = DateTime::parse("2011-05-08T08:49:37Z").unwrap();
    /// let rfc = DateTime::parse("Sun, 08 May 2011 08:49:37 GMT").unwrap();
    /// assert_eq!(iso, rfc);
    ///
    /// let error = DateTime::parse("2011-05-08T08:49:37 02:00").unwrap_err();
    /// assert!(error.reason.contains("%2B"));
    /// ```
    pub fn parse(text: &str) -> Result<DateTime, DateTimeError> {
        parse::parse_any(text)
    }

    /// Parses only the W3C-DTF (ISO 8601) form described in [`DateTime::parse`], as JSON task
    /// values such as `2018-03-13T07:19:22.319598Z` are written.
    ///
    /// # Errors
    ///
    /// The same as [`DateTime::parse`]. RFC 1123 text is rejected too.
    pub fn parse_iso(text: &str) -> Result<DateTime, DateTimeError> {
        parse::parse_iso(text)
    }

    /// Returns the current time from the system clock, in UTC.
    pub fn now() -> DateTime {
        // Ticks from 0001-01-01 to the Unix epoch, 1970-01-01.
        const UNIX_EPOCH_TICKS: i64 = 621_355_968_000_000_000;
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let ticks = i64::try_from(since_epoch.as_nanos() / 100).unwrap_or(0);
        DateTime::from_ticks(UNIX_EPOCH_TICKS + ticks)
    }

    /// Returns the ticks (100 ns units) since 0001-01-01T00:00:00Z.
    pub const fn ticks(self) -> i64 {
        self.ticks
    }

    /// Returns the UTC offset the value was written with, in minutes.
    pub const fn offset_minutes(self) -> i16 {
        self.offset_minutes
    }

    /// Formats the instant in UTC like .NET's round-trip `"o"` format, always with 7
    /// fractional digits, such as `2018-03-13T07:19:20.9236757Z`.
    pub fn to_utc_string(self) -> String {
        let fields = Fields::from_ticks(self.ticks);
        format!("{fields}.{:07}Z", fields.fraction)
    }

    /// Creates a date-time from local ticks and the offset they were written with. The caller
    /// has checked that the offset is within ±14:00.
    fn from_local(local_ticks: i64, offset_minutes: i16) -> DateTime {
        let offset_ticks = i64::from(offset_minutes) * TICKS_PER_MINUTE;
        DateTime {
            ticks: local_ticks.saturating_sub(offset_ticks),
            offset_minutes,
        }
    }

    /// Returns the ticks of the local time as written, that is with the offset added.
    fn local_ticks(self) -> i64 {
        let offset_ticks = i64::from(self.offset_minutes) * TICKS_PER_MINUTE;
        self.ticks.saturating_add(offset_ticks)
    }
}

/// Prints the canonical ISO form of the local time as written: `YYYY-MM-DDThh:mm:ss`, then
/// the fractional seconds without trailing zeros (none when zero), then `Z` for offset zero
/// or `±hh:mm`. [`DateTime::parse`] reads the output back to an equal value for every instant
/// in the years 0001 to 9999.
impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = Fields::from_ticks(self.local_ticks());
        write!(f, "{fields}")?;
        if fields.fraction != 0 {
            let digits = format!("{:07}", fields.fraction);
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }

        let offset = self.offset_minutes;
        if offset == 0 {
            return f.write_str("Z");
        }
        let sign = if offset < 0 { '-' } else { '+' };
        let minutes = offset.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

impl FromStr for DateTime {
    type Err = DateTimeError;

    fn from_str(text: &str) -> Result<DateTime, DateTimeError> {
        DateTime::parse(text)
    }
}

impl DateTimeError {
    /// Creates an error about `span` of the parsed text.
    pub fn new(reason: impl Into<String>, span: Span) -> DateTimeError {
        DateTimeError {
            reason: reason.into(),
            span,
        }
    }
}

impl fmt::Display for DateTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for DateTimeError {}

/// The calendar fields of a tick count, for formatting.
struct Fields {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    fraction: i64,
}

impl Fields {
    fn from_ticks(ticks: i64) -> Fields {
        let days = ticks.div_euclid(TICKS_PER_DAY);
        let time = ticks.rem_euclid(TICKS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Fields {
            year,
            month,
            day,
            hour: time / TICKS_PER_HOUR,
            minute: time % TICKS_PER_HOUR / TICKS_PER_MINUTE,
            second: time % TICKS_PER_MINUTE / TICKS_PER_SECOND,
            fraction: time % TICKS_PER_SECOND,
        }
    }
}

/// Prints `YYYY-MM-DDThh:mm:ss`, without fraction or zone.
impl fmt::Display for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Returns true for leap years of the proleptic Gregorian calendar.
fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Returns the number of days in `month` (1 to 12) of `year`.
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Returns the days from 0001-01-01 to a date of the proleptic Gregorian calendar.
///
/// This is Howard Hinnant's `days_from_civil`, which counts from 1970-01-01 in eras of 400
/// years, shifted to the .NET epoch.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468 + DAYS_TO_UNIX_EPOCH
}

/// Returns the year, month and day of a day count from 0001-01-01, the inverse of
/// [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days - DAYS_TO_UNIX_EPOCH + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400;
    (if month <= 2 { year + 1 } else { year }, month, day)
}

#[cfg(test)]
mod tests {
    #[test]
    fn now_is_after_2020() {
        let now = super::DateTime::now().to_utc_string();
        assert!(now.as_str() > "2020", "{now}");
    }

    use super::*;

    fn ticks_of(text: &str) -> i64 {
        DateTime::parse(text)
            .map(DateTime::ticks)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn epoch_is_tick_zero() {
        assert_eq!(ticks_of("0001-01-01T00:00:00Z"), 0);
        assert_eq!(DateTime::from_ticks(0).to_string(), "0001-01-01T00:00:00Z");
    }

    #[test]
    fn max_value_matches_dotnet() {
        assert_eq!(ticks_of("9999-12-31T23:59:59.9999999Z"), MAX_TICKS);
        assert_eq!(
            DateTime::from_ticks(MAX_TICKS).to_utc_string(),
            "9999-12-31T23:59:59.9999999Z"
        );
    }

    #[test]
    fn unix_epoch_matches_dotnet_ticks() {
        // .NET: new DateTime(1970, 1, 1).Ticks == 621355968000000000.
        assert_eq!(ticks_of("1970-01-01T00:00:00Z"), 621_355_968_000_000_000);
    }

    #[test]
    fn civil_round_trips_every_day() {
        let last = days_from_civil(9999, 12, 31);
        for days in 0..=last {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
            assert!((1..=days_in_month(year, month)).contains(&day));
        }
    }

    #[test]
    fn leap_years_follow_gregorian_rules() {
        assert!(is_leap_year(2000));
        assert!(is_leap_year(2024));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2023));
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
    }

    #[test]
    fn display_trims_fraction() {
        let cases = [
            ("2011-05-08T08:49:37Z", "2011-05-08T08:49:37Z"),
            ("2011-05-08T08:49:37.5000000Z", "2011-05-08T08:49:37.5Z"),
            (
                "2011-05-08T08:49:37.0000001Z",
                "2011-05-08T08:49:37.0000001Z",
            ),
            ("2011-05-08T08:49:37.000Z", "2011-05-08T08:49:37Z"),
            ("2011-05-08t08:49z", "2011-05-08T08:49:00Z"),
            ("2011-05-08", "2011-05-08T00:00:00Z"),
        ];
        for (text, shown) in cases {
            assert_eq!(
                DateTime::parse(text).map(|t| t.to_string()),
                Ok(shown.to_owned())
            );
        }
    }

    #[test]
    fn display_keeps_written_offset() {
        let time = DateTime::parse("2011-05-08T01:30:00-05:30").unwrap();
        assert_eq!(time.to_string(), "2011-05-08T01:30:00-05:30");
        assert_eq!(time.to_utc_string(), "2011-05-08T07:00:00.0000000Z");
    }

    #[test]
    fn negative_zero_offset_is_utc() {
        let time = DateTime::parse("2011-05-08T08:49:37-00:00").unwrap();
        assert_eq!(time, DateTime::parse("2011-05-08T08:49:37Z").unwrap());
        assert_eq!(time.to_string(), "2011-05-08T08:49:37Z");
    }

    #[test]
    fn utc_string_has_seven_digits() {
        let time = DateTime::parse("2018-03-13T07:19:22.319598Z").unwrap();
        assert_eq!(time.to_utc_string(), "2018-03-13T07:19:22.3195980Z");
    }

    #[test]
    fn from_str_parses() {
        let time: Result<DateTime, _> = "Sun, 08 May 2011 08:49:37 GMT".parse();
        assert_eq!(
            time.map(|t| t.to_string()),
            Ok("2011-05-08T08:49:37Z".to_owned())
        );
    }

    #[test]
    fn display_survives_any_ticks() {
        for ticks in [i64::MIN, -1, MAX_TICKS + 1, i64::MAX] {
            let time = DateTime::from_ticks(ticks);
            assert!(!time.to_string().is_empty());
            assert!(!time.to_utc_string().is_empty());
        }
    }

    mod laws {
        use proptest::prelude::*;

        use super::*;

        fn date_time() -> impl Strategy<Value = DateTime> {
            let offset = -(14 * 60)..=14 * 60_i16;
            (0..=MAX_TICKS, offset).prop_filter_map("outside 0001 to 9999", |(local, offset)| {
                let time = DateTime::from_local(local, offset);
                (0..=MAX_TICKS).contains(&time.ticks()).then_some(time)
            })
        }

        proptest! {
            #[test]
            fn display_round_trips(time in date_time()) {
                prop_assert_eq!(DateTime::parse(&time.to_string()), Ok(time));
            }

            #[test]
            fn utc_string_round_trips_instant(time in date_time()) {
                let utc = DateTime::parse(&time.to_utc_string());
                prop_assert_eq!(utc, Ok(DateTime::from_ticks(time.ticks())));
            }

            #[test]
            fn parse_never_panics(text in "\\PC{0,40}") {
                let _ = DateTime::parse(&text);
            }

            #[test]
            fn parse_never_panics_near_iso(
                text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9:.+Zz -]{0,20}"
            ) {
                let _ = DateTime::parse(&text);
            }
        }
    }
}
