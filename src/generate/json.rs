//! A minimal streaming JSON writer and the Batch date-time format.
//!
//! The generator writes straight into a byte buffer instead of building a
//! `serde_json::Value` per task, which would cost an allocation per property.

use super::sample::{DAY, SECOND};

/// Days from 0001-01-01 to 1970-01-01, the epoch of the civil-date conversion.
const DAYS_BEFORE_UNIX_EPOCH: i64 = 719_162;

/// 9999-12-31T23:59:59.9999999Z, the last instant a four-digit year can write (and the end
/// of the .NET `DateTime` range).
const MAX_TICKS: i64 = 3_652_059 * DAY - 1;

/// Writes one JSON value into a buffer, putting commas between members and elements.
pub(crate) struct JsonWriter<'a> {
    out: &'a mut Vec<u8>,
    /// True when the next member or element must be preceded by a comma.
    needs_comma: bool,
}

impl<'a> JsonWriter<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> JsonWriter<'a> {
        JsonWriter {
            out,
            needs_comma: false,
        }
    }

    /// Writes a member name and the colon. The member's value must be written next.
    ///
    /// Names are CloudTask property names, ASCII letters only, so they are not escaped.
    pub(crate) fn key(&mut self, name: &str) -> &mut Self {
        debug_assert!(
            name.bytes().all(|byte| byte.is_ascii_alphabetic()),
            "{name}"
        );
        self.separate();
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        self
    }

    pub(crate) fn begin_object(&mut self) {
        self.separate();
        self.out.push(b'{');
    }

    pub(crate) fn end_object(&mut self) {
        self.out.push(b'}');
        self.needs_comma = true;
    }

    pub(crate) fn begin_array(&mut self) {
        self.separate();
        self.out.push(b'[');
    }

    pub(crate) fn end_array(&mut self) {
        self.out.push(b']');
        self.needs_comma = true;
    }

    pub(crate) fn string(&mut self, value: &str) {
        self.string_from(|text| text.push(value));
    }

    /// Writes a string value assembled from pieces, without an intermediate `String`.
    pub(crate) fn string_from(&mut self, build: impl FnOnce(&mut Text<'_>)) {
        self.separate();
        self.out.push(b'"');
        build(&mut Text(self.out));
        self.out.push(b'"');
        self.needs_comma = true;
    }

    pub(crate) fn int(&mut self, value: i64) {
        self.separate();
        if value < 0 {
            self.out.push(b'-');
        }
        push_decimal(self.out, value.unsigned_abs(), 1);
        self.needs_comma = true;
    }

    /// Writes a date-time string from ticks since 0001-01-01T00:00:00Z.
    pub(crate) fn date_time(&mut self, ticks: i64) {
        self.string_from(|text| push_date_time(text.0, ticks));
    }

    /// Writes the comma owed to the previous member or element, and makes the following
    /// value the first of a new object or array until that value ends.
    fn separate(&mut self) {
        if self.needs_comma {
            self.out.push(b',');
        }
        self.needs_comma = false;
    }
}

/// The inside of a JSON string being written.
pub(crate) struct Text<'a>(&'a mut Vec<u8>);

impl Text<'_> {
    /// Appends `text`, escaped for JSON.
    pub(crate) fn push(&mut self, text: &str) {
        push_escaped(self.0, text);
    }

    /// Appends `value` in decimal, zero-padded to at least `min_width` digits.
    pub(crate) fn decimal(&mut self, value: u64, min_width: usize) {
        push_decimal(self.0, value, min_width);
    }

    /// Appends `value` in hexadecimal with `0x` and upper-case digits, as in Batch eTags.
    pub(crate) fn hex_upper(&mut self, value: u64) {
        self.0.extend_from_slice(b"0x");
        push_hex(self.0, value, 1, b"0123456789ABCDEF");
    }

    /// Appends `value` as exactly 16 lower-case hexadecimal digits.
    pub(crate) fn hex_lower_16(&mut self, value: u64) {
        push_hex(self.0, value, 16, b"0123456789abcdef");
    }
}

/// Appends `text` with `"`, `\` and control characters escaped.
fn push_escaped(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();

    // Nearly every string needs no escape. A fold without early exit lets the compiler check
    // many bytes per instruction.
    let needs_escape = bytes.iter().fold(false, |found, &byte| {
        found | (byte < 0x20) | (byte == b'"') | (byte == b'\\')
    });
    if !needs_escape {
        out.extend_from_slice(bytes);
        return;
    }

    let mut clean_from = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[clean_from..i]);
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            push_hex(out, u64::from(byte), 2, b"0123456789abcdef");
        } else {
            out.extend_from_slice(escape);
        }
        clean_from = i + 1;
    }
    out.extend_from_slice(&bytes[clean_from..]);
}

/// Appends `value` in decimal, zero-padded to at least `min_width` (at most 20) digits.
fn push_decimal(out: &mut Vec<u8>, mut value: u64, min_width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    let start = start.min(digits.len().saturating_sub(min_width));
    out.extend_from_slice(&digits[start..]);
}

/// Appends `value` in hexadecimal, zero-padded to at least `min_width` (at most 16) digits.
fn push_hex(out: &mut Vec<u8>, mut value: u64, min_width: usize, alphabet: &[u8; 16]) {
    let mut digits = [b'0'; 16];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = alphabet[(value & 0xf) as usize];
        value >>= 4;
        if value == 0 {
            break;
        }
    }
    let start = start.min(digits.len().saturating_sub(min_width));
    out.extend_from_slice(&digits[start..]);
}

/// Appends a UTC date-time the way the Batch service writes one: up to seven fractional
/// digits with trailing zeros dropped, and no point when the fraction is zero. The
/// 2018-03-01.6.1 recording shows both `07:19:20.9236757Z` and `07:19:22.319598Z`.
///
/// Ticks outside year 1 to 9999 are clamped to that range, which a four-digit year can show.
pub(crate) fn push_date_time(out: &mut Vec<u8>, ticks: i64) {
    let ticks = ticks.clamp(0, MAX_TICKS);
    let (year, month, day) = civil_from_days(ticks / DAY - DAYS_BEFORE_UNIX_EPOCH);
    let time_of_day = ticks % DAY;
    let seconds = time_of_day / SECOND;
    let fraction = time_of_day % SECOND;

    // Filling a fixed buffer and copying it once is much faster than many small appends.
    let mut text = *b"0000-00-00T00:00:00.0000000Z";
    put_digits(&mut text[0..4], year as u64);
    put_digits(&mut text[5..7], u64::from(month));
    put_digits(&mut text[8..10], u64::from(day));
    put_digits(&mut text[11..13], (seconds / 3600) as u64);
    put_digits(&mut text[14..16], (seconds / 60 % 60) as u64);
    put_digits(&mut text[17..19], (seconds % 60) as u64);
    if fraction == 0 {
        out.extend_from_slice(&text[..19]);
    } else {
        put_digits(&mut text[20..27], fraction as u64);
        let trailing_zeros = text[20..27]
            .iter()
            .rev()
            .take_while(|&&digit| digit == b'0')
            .count();
        out.extend_from_slice(&text[..27 - trailing_zeros]);
    }
    out.push(b'Z');
}

/// Writes the last `digits.len()` decimal digits of `value` into `digits`.
fn put_digits(digits: &mut [u8], mut value: u64) {
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Converts days since 1970-01-01 to a proleptic Gregorian `(year, month, day)`.
///
/// This is Howard Hinnant's `civil_from_days`, which counts in 400-year eras of 146,097 days
/// whose years start on 1 March, so that the leap day falls at the end of a year.
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u8;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u8;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::sample::WINDOW_START;

    fn date_time(ticks: i64) -> String {
        let mut out = Vec::new();
        push_date_time(&mut out, ticks);
        String::from_utf8(out).expect("date-times are ASCII")
    }

    fn write(build: impl FnOnce(&mut JsonWriter<'_>)) -> String {
        let mut out = Vec::new();
        build(&mut JsonWriter::new(&mut out));
        String::from_utf8(out).expect("the writer emits UTF-8")
    }

    #[test]
    fn date_time_matches_recorded_values() {
        // Ticks of values in the 2018-03-01.6.1 recording, whose eTags are these ticks in hex.
        assert_eq!(date_time(0x8D588B2BD987D15), "2018-03-13T07:19:20.9236757Z");
        assert_eq!(date_time(0x8D588B2C2C1A1A9), "2018-03-13T07:19:29.5819177Z");
    }

    #[test]
    fn date_time_trims_fraction() {
        assert_eq!(date_time(WINDOW_START), "2018-12-01T00:00:00Z");
        assert_eq!(
            date_time(WINDOW_START + SECOND / 2),
            "2018-12-01T00:00:00.5Z"
        );
        assert_eq!(date_time(WINDOW_START + 10), "2018-12-01T00:00:00.000001Z");
        assert_eq!(date_time(WINDOW_START - 1), "2018-11-30T23:59:59.9999999Z");
    }

    #[test]
    fn date_time_handles_calendar_edges() {
        assert_eq!(date_time(0), "0001-01-01T00:00:00Z");
        assert_eq!(date_time(-5), "0001-01-01T00:00:00Z");
        assert_eq!(date_time(i64::MAX), "9999-12-31T23:59:59.9999999Z");
        let unix_epoch = DAYS_BEFORE_UNIX_EPOCH * DAY;
        assert_eq!(date_time(unix_epoch), "1970-01-01T00:00:00Z");
        // 2000 is a leap year and 1900 is not.
        let feb_29_2000 = unix_epoch + 11_016 * DAY;
        assert_eq!(date_time(feb_29_2000), "2000-02-29T00:00:00Z");
        let mar_1_1900 = unix_epoch - 25_508 * DAY;
        assert_eq!(date_time(mar_1_1900 - DAY), "1900-02-28T00:00:00Z");
        assert_eq!(date_time(mar_1_1900), "1900-03-01T00:00:00Z");
    }

    #[test]
    fn writer_separates_members_and_elements() {
        let text = write(|json| {
            json.begin_object();
            json.key("a").int(-12);
            json.key("b").begin_array();
            json.int(1);
            json.begin_object();
            json.end_object();
            json.string("x");
            json.end_array();
            json.key("c").begin_object();
            json.key("d").int(0);
            json.end_object();
            json.end_object();
        });
        assert_eq!(text, r#"{"a":-12,"b":[1,{},"x"],"c":{"d":0}}"#);
    }

    #[test]
    fn writer_escapes_strings() {
        let text = write(|json| json.string("cmd /c \"a\\b\"\n\u{1}é"));
        assert_eq!(text, r#""cmd /c \"a\\b\"\n\u0001é""#);
        let parsed: String = serde_json::from_str(&text).expect("escaped string parses");
        assert_eq!(parsed, "cmd /c \"a\\b\"\n\u{1}é");
    }

    #[test]
    fn text_writes_numbers() {
        let text = write(|json| {
            json.string_from(|text| {
                text.decimal(12, 7);
                text.push(" ");
                text.decimal(12_345_678, 7);
                text.push(" ");
                text.hex_upper(0x8D4_125F_D1A8_25A4);
                text.push(" ");
                text.hex_lower_16(0xab);
            })
        });
        assert_eq!(
            text,
            r#""0000012 12345678 0x8D4125FD1A825A4 00000000000000ab""#
        );
    }

    #[test]
    fn int_writes_extremes() {
        assert_eq!(write(|json| json.int(i64::MIN)), i64::MIN.to_string());
        assert_eq!(write(|json| json.int(i64::MAX)), i64::MAX.to_string());
        assert_eq!(write(|json| json.int(0)), "0");
    }
}
