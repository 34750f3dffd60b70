//! The fast path of [`TaskRecord`] parsing: one borrowing pass over text that is already
//! compact JSON as serde_json writes it, without a `serde_json::Value` per task.
//!
//! Text written by serde_json, such as `batch-odata gen` output or a store's own tasks, is
//! kept as it is, so the record's JSON is the input. The pass gives up, and the caller
//! takes the general path, whenever keeping the text could differ from parsing it into a
//! `Value` and writing it again, or whenever the task is invalid:
//!
//! - whitespace outside strings, or an escape that serde_json writes otherwise, such as
//!   `\/` or `\u0041`;
//! - a number that serde_json would write differently, such as `1e2` or `-0`;
//! - a member name repeated within an object;
//! - any value the schema rejects, so that errors keep the general path's wording.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Member, TaskRecord, schema_members};
use crate::datetime::{self, DateTime};
use crate::fold::fold_case;
use crate::plan::Value;
use crate::schema::{PropertyDef, PropertyType};

/// Significant digits of a decimal that serde_json and Rust parse to the same double: up
/// to 15 digits and no exponent, both take the exact path of multiplying by a power of 10.
const EXACT_DIGITS: usize = 15;

/// Parses a task when its text is already canonical, or returns `None` for the general
/// path to parse it and report any error.
pub(super) fn parse_canonical(text: &str) -> Option<TaskRecord> {
    if !is_canonical(text.as_bytes()) {
        return None;
    }
    let mut found = Found::default();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let seed = ObjectSeed {
        members: schema_members(),
        found: &mut found,
        top: true,
    };
    seed.deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;

    let id = found.id.filter(|id| !id.is_empty())?;
    found
        .values
        .sort_unstable_by_key(|(property, _)| property.id);
    Some(TaskRecord {
        id: id.to_owned(),
        folded_id: fold_case(id),
        json: text.to_owned(),
        values: found.values,
    })
}

/// Returns true when the bytes have no whitespace outside strings, and only escapes and
/// numbers that serde_json writes back the same.
fn is_canonical(bytes: &[u8]) -> bool {
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'"' => {
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' {
                    if bytes[index] == b'\\' {
                        match escape_length(&bytes[index..]) {
                            Some(length) => index += length,
                            None => return false,
                        }
                    } else {
                        index += 1;
                    }
                }
                index += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = index;
                while index < bytes.len()
                    && matches!(bytes[index], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    index += 1;
                }
                if !is_canonical_number(&bytes[start..index]) {
                    return false;
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' => return false,
            _ => index += 1,
        }
    }
    true
}

/// Returns the length of the escape at the start of `bytes` when serde_json writes that
/// char with the same escape, or `None`. It writes `"`, `\\` and the control chars
/// escaped: `\b`, `\f`, `\n`, `\r`, `\t`, and `\u00xx` in lower-case hex for the others.
fn escape_length(bytes: &[u8]) -> Option<usize> {
    match bytes.get(1)? {
        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => Some(2),
        b'u' => {
            let hex = bytes.get(2..6)?;
            let code = match hex {
                [
                    b'0',
                    b'0',
                    high @ (b'0' | b'1'),
                    low @ (b'0'..=b'9' | b'a'..=b'f'),
                ] => {
                    let low = (*low as char).to_digit(16)?;
                    (high - b'0') * 16 + low as u8
                }
                _ => return None,
            };
            let short = matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d);
            (!short).then_some(6)
        }
        _ => None,
    }
}

/// Returns true for a number that serde_json parses and writes back byte for byte.
fn is_canonical_number(token: &[u8]) -> bool {
    let digits = token.strip_prefix(b"-").unwrap_or(token);
    let (whole, fraction) = match digits.iter().position(|&byte| byte == b'.') {
        Some(dot) => (&digits[..dot], Some(&digits[dot + 1..])),
        None => (digits, None),
    };
    let plain = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    if !plain(whole) || (whole.len() > 1 && whole[0] == b'0') {
        return false;
    }
    match fraction {
        // Integers up to 18 digits fit in an i64 or u64, which serde_json writes as read,
        // except `-0`, which it reads as a double.
        None => whole.len() <= 18 && digits != b"0" || token == b"0",
        Some(fraction) => {
            if !plain(fraction) || whole.len() + fraction.len() > EXACT_DIGITS {
                return false;
            }
            // Only ASCII digits, `-` and `.` remain, so the token is valid UTF-8.
            let Ok(text) = std::str::from_utf8(token) else {
                return false;
            };
            let Ok(number) = text.parse::<f64>() else {
                return false;
            };
            let mut written = [0u8; 32];
            let mut cursor = std::io::Cursor::new(&mut written[..]);
            if serde_json::to_writer(&mut cursor, &number).is_err() {
                return false;
            }
            let length = cursor.position() as usize;
            written[..length] == *token
        }
    }
}

/// The id and the typed values that one pass found in a task.
#[derive(Default)]
struct Found<'a> {
    id: Option<&'a str>,
    values: Vec<(&'static PropertyDef, Value)>,
}

/// Returns the error that stops the pass. Its message is never shown, because the general
/// path parses the task again and reports its own error.
fn stop<E: de::Error>() -> E {
    E::custom("not on the fast path")
}

/// A JSON object whose members may be in the schema.
struct ObjectSeed<'f, 'a> {
    members: &'static [Member],
    found: &'f mut Found<'a>,
    /// True for the task itself, whose `id` member is the task id.
    top: bool,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut names = Names::default();
        while let Some(name) = map.next_key::<&'de str>()? {
            if !names.insert(name) {
                return Err(stop());
            }
            if self.top && name == "id" {
                self.found.id = Some(map.next_value::<&'de str>()?);
                continue;
            }
            match self
                .members
                .binary_search_by(|member| member.name.cmp(name))
            {
                Ok(index) => map.next_value_seed(MemberSeed {
                    member: &self.members[index],
                    found: &mut *self.found,
                })?,
                Err(_) => map.next_value_seed(Skip)?,
            }
        }
        Ok(())
    }
}

/// The member names of one object, to find a repeated name.
#[derive(Default)]
struct Names<'a> {
    /// One bit per (length, last byte) bucket, so most names skip the list.
    buckets: u64,
    names: Vec<&'a str>,
}

impl<'a> Names<'a> {
    /// Adds a name and returns false when the object already has it.
    fn insert(&mut self, name: &'a str) -> bool {
        let last = name.as_bytes().last().copied().unwrap_or(0) as usize;
        let bit = 1u64 << ((name.len() * 7 + last) % 64);
        if self.buckets & bit != 0 && self.names.contains(&name) {
            return false;
        }
        self.buckets |= bit;
        self.names.push(name);
        true
    }
}

/// The value of a member in the schema.
struct MemberSeed<'f, 'a> {
    member: &'static Member,
    found: &'f mut Found<'a>,
}

impl<'de> DeserializeSeed<'de> for MemberSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> MemberSeed<'_, 'de> {
    /// Stores a scalar value, or stops when the property has another type.
    fn scalar<E: de::Error>(self, value: Scalar<'_>) -> Result<(), E> {
        let Some(property) = self.member.property else {
            return Ok(());
        };
        let value = convert(property.ty, value).ok_or_else(stop)?;
        self.found.values.push((property, value));
        Ok(())
    }

    fn expects(&self, ty: fn(PropertyType) -> bool) -> bool {
        self.member.property.is_none_or(|property| ty(property.ty))
    }
}

/// A JSON scalar as the parser reads it.
#[derive(Clone, Copy)]
pub(super) enum Scalar<'a> {
    Str(&'a str),
    Signed(i64),
    Unsigned(u64),
    Float(f64),
    Bool(bool),
}

/// Converts a scalar to the property's type as `super::convert` does, or `None` where that
/// returns an error.
pub(super) fn convert(ty: PropertyType, value: Scalar) -> Option<Value> {
    let converted = match (ty, value) {
        (PropertyType::String, Scalar::Str(text)) => Value::Str(fold_case(text)),
        (PropertyType::Enum(allowed), Scalar::Str(text)) => {
            let folded = fold_case(text);
            if !allowed.contains(&folded.as_str()) {
                return None;
            }
            Value::Str(folded)
        }
        (PropertyType::Int32, Scalar::Signed(number)) => {
            i32::try_from(number).ok()?;
            Value::Int(number)
        }
        (PropertyType::Int32, Scalar::Unsigned(number)) => {
            Value::Int(i32::try_from(number).ok()?.into())
        }
        (PropertyType::Int64, Scalar::Signed(number)) => Value::Int(number),
        (PropertyType::Int64, Scalar::Unsigned(number)) => Value::Int(i64::try_from(number).ok()?),
        (PropertyType::Double, Scalar::Signed(number)) => Value::Double(number as f64),
        (PropertyType::Double, Scalar::Unsigned(number)) => Value::Double(number as f64),
        (PropertyType::Double, Scalar::Float(number)) => Value::Double(number),
        (PropertyType::Boolean, Scalar::Bool(flag)) => Value::Bool(flag),
        (PropertyType::DateTime, Scalar::Str(text)) => {
            Value::Ticks(DateTime::parse_iso(text).ok()?.ticks())
        }
        (PropertyType::Duration, Scalar::Str(text)) => {
            Value::Ticks(datetime::parse_duration(text).ok()?)
        }
        _ => return None,
    };
    Some(converted)
}

impl<'de> Visitor<'de> for MemberSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a task property")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        self.scalar(Scalar::Str(text))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<(), E> {
        self.scalar(Scalar::Signed(number))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<(), E> {
        self.scalar(Scalar::Unsigned(number))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<(), E> {
        self.scalar(Scalar::Float(number))
    }

    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<(), E> {
        self.scalar(Scalar::Bool(flag))
    }

    /// Ignores a `null`, which counts as absent.
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        if !self.expects(|ty| ty == PropertyType::Object) {
            return Err(stop());
        }
        let seed = ObjectSeed {
            members: &self.member.members,
            found: self.found,
            top: false,
        };
        seed.visit_map(map)
    }

    /// Paths inside arrays are not extracted, so the items are only checked for repeated
    /// names.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        if !self.expects(|ty| ty == PropertyType::Array) {
            return Err(stop());
        }
        Skip.visit_seq(seq)
    }
}

/// A value outside the schema, checked only for repeated member names.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut names = Names::default();
        while let Some(name) = map.next_key::<&'de str>()? {
            if !names.insert(name) {
                return Err(stop());
            }
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_written_back_the_same_are_canonical() {
        for token in [
            "0",
            "7",
            "-12",
            "1.5",
            "-0.25",
            "100.0",
            "123456789012345678",
        ] {
            assert!(is_canonical_number(token.as_bytes()), "{token}");
        }
    }

    #[test]
    fn numbers_written_differently_are_not_canonical() {
        let tokens = [
            "-0",
            "01",
            "1e2",
            "1E2",
            "1.",
            "1.50",
            "0.1000000000000000055",
            "12345678901234567890",
        ];
        for token in tokens {
            assert!(!is_canonical_number(token.as_bytes()), "{token}");
        }
    }

    #[test]
    fn fast_path_matches_general_path() {
        let texts = [
            r#"{"id":"Task-1","state":"Active","executionInfo":{"exitCode":-3,"result":"Failure"}}"#,
            r#"{"id":"a","stats":{"readIOGiB":1.5,"readIOps":9},"runElevated":true,"x":[{"y":1}]}"#,
            r#"{"id":"b","creationTime":"2018-01-01T00:00:01.5Z","constraints":{"maxWallClockTime":"PT1S"}}"#,
            r#"{"id":"c","state":null,"executionInfo":null,"unknown":{"state":7}}"#,
            r#"{"id":"d","commandLine":"cmd /c \"echo\" \\ \n \u001f","x":["\t"]}"#,
        ];
        for text in texts {
            let fast = parse_canonical(text).expect(text);
            let json: serde_json::Value = serde_json::from_str(text).expect(text);
            let general = TaskRecord::build(json).map_err(|error| error.reason);
            assert_eq!(Ok(fast), general, "{text}");
        }
    }

    #[test]
    fn fast_path_leaves_other_text_to_general_path() {
        let texts = [
            r#"{"id": "a"}"#,
            r#"{"id":"a\u0041"}"#,
            r#"{"id":"a","commandLine":"a\/b"}"#,
            r#"{"id":"a","commandLine":"a\u000a"}"#,
            r#"{"id":"a","x":1,"x":2}"#,
            r#"{"id":"a","x":{"y":1,"y":2}}"#,
            r#"{"id":"a","x":1e2}"#,
            r#"{"id":"a","state":"sleeping"}"#,
            r#"{"id":"a","executionInfo":{"exitCode":1.5}}"#,
            r#"{"id":"a","executionInfo":[]}"#,
            r#"{"id":""}"#,
            r#"{"state":"active"}"#,
            r#"{"id":"a"} x"#,
            "[1]",
        ];
        for text in texts {
            assert_eq!(parse_canonical(text), None, "{text}");
        }
    }
}
