//! Reading one property from a stored task's JSON, for the properties the store does not
//! index.
//!
//! A store keeps each task's compact JSON as serde_json writes it, and every value in it
//! passed [`TaskRecord`](super::TaskRecord)'s checks when the task was added. So the value
//! of a property is found by one pass that descends the property's path, skips every
//! other member, stops at the value, and converts it as the record did.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::fast::{Scalar, convert};
use crate::plan::Value;
use crate::schema::{PropertyDef, PropertyType};

/// Returns the value of a scalar property in a task's JSON, converted to the property's
/// type, or `None` when the task has none or the text is not a JSON object.
///
/// A `null` counts as no value, as it does for a [`TaskRecord`](super::TaskRecord).
pub(crate) fn stored_value(json: &str, property: &PropertyDef) -> Option<Value> {
    let mut found = None;
    let seed = PathSeed {
        path: property.path,
        ty: property.ty,
        found: &mut found,
    };
    let mut deserializer = serde_json::Deserializer::from_str(json);
    // The pass ends with an error as soon as the value is found, so its result is ignored
    // and `found` contains the outcome.
    let _ = seed.deserialize(&mut deserializer);
    found
}

/// Returns the error that ends the pass once the value is found.
fn found<E: de::Error>() -> E {
    E::custom("found")
}

/// An object along a property's path: `path` is the rest of the path below it.
struct PathSeed<'p, 'f> {
    path: &'p str,
    ty: PropertyType,
    found: &'f mut Option<Value>,
}

impl<'de> DeserializeSeed<'de> for PathSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PathSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (name, rest) = match self.path.split_once('/') {
            Some((name, rest)) => (name, Some(rest)),
            None => (self.path, None),
        };
        while let Some(matched) = map.next_key_seed(NameIs(name))? {
            if !matched {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            // Stored text has no repeated names, so the first match is the only one.
            return match rest {
                Some(rest) => map.next_value_seed(PathSeed {
                    path: rest,
                    ty: self.ty,
                    found: self.found,
                }),
                None => {
                    *self.found = map.next_value_seed(ScalarSeed(self.ty))?;
                    Err(found())
                }
            };
        }
        Ok(())
    }
}

/// A member name, compared with the expected one without copying it.
struct NameIs<'p>(&'p str);

impl<'de> DeserializeSeed<'de> for NameIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NameIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<bool, E> {
        Ok(name == self.0)
    }
}

/// The value at the end of the path, converted to the property's type.
struct ScalarSeed(PropertyType);

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scalar")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(convert(self.0, Scalar::Str(text)))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Self::Value, E> {
        Ok(convert(self.0, Scalar::Signed(number)))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Self::Value, E> {
        Ok(convert(self.0, Scalar::Unsigned(number)))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Self::Value, E> {
        Ok(convert(self.0, Scalar::Float(number)))
    }

    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Self::Value, E> {
        Ok(convert(self.0, Scalar::Bool(flag)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Ok(None)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;
    use crate::task::TaskRecord;

    /// Checks that every scalar value a record extracts is the one read from its text.
    fn agrees_with_record(text: &str) {
        let record = TaskRecord::parse(text).expect(text);
        for property in schema::PROPERTIES.iter() {
            if property.path == "id" || property.is_in_collection() || !property.ty.is_scalar() {
                continue;
            }
            let expected = record.value(property).cloned();
            let read = stored_value(record.json(), property);
            assert_eq!(read, expected, "{} in {text}", property.path);
        }
    }

    #[test]
    fn stored_values_match_the_record() {
        agrees_with_record(
            r#"{"id":"Task-1","displayName":"Frame \"1\" Ü","state":"Running",
                "creationTime":"2018-12-29T09:24:09.3041491Z","unknown":{"id":[1,{"a":2}]},
                "constraints":{"maxWallClockTime":"PT1H","maxTaskRetryCount":-1},
                "executionInfo":{"exitCode":-3,"retryCount":2,"result":"failure",
                "failureInfo":{"category":"userError","code":"X"}},
                "nodeInfo":{"poolId":"Pool","nodeId":null},"multiInstanceSettings":null,
                "requiredSlots":2,"environmentSettings":[{"name":"a","value":"b"}]}"#,
        );
        agrees_with_record(r#"{"id":"a"}"#);
    }

    #[test]
    fn missing_paths_have_no_value() {
        let executed = schema::lookup("executionInfo/exitCode").expect("property");
        assert_eq!(
            stored_value(r#"{"id":"a","executionInfo":null}"#, executed),
            None
        );
        assert_eq!(stored_value(r#"{"id":"a","exitCode":1}"#, executed), None);
        assert_eq!(stored_value("[1]", executed), None);
        assert_eq!(stored_value("", executed), None);
        let value = stored_value(r#"{"executionInfo":{"exitCode":7}}"#, executed);
        assert_eq!(value, Some(Value::Int(7)));
    }
}
