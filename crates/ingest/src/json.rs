//! JSON as the JSON readers parse it: like `serde_json::Value`, except that an
//! object holding the same key twice is an error. serde_json keeps the last
//! value silently, so a file with two `"name"`s would be read as whichever
//! came last; chartlens names the key and the line instead.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::{Reject, RejectKind};

/// A JSON value whose objects were checked for duplicate keys.
pub struct Unique(pub Value);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueVisitor).map(Unique)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Unique::deserialize(deserializer).map(|u| u.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Unique(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "the key `{}` appears twice in one object (which value is meant is unclear)",
                    key.escape_debug()
                )));
            }
            let Unique(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// A parse error as a rejection at its line.
pub(crate) fn reject(e: &serde_json::Error) -> Reject {
    Reject::at(
        RejectKind::Row,
        e.line() as u64,
        format!("invalid JSON: {e}"),
    )
}

/// Parses a whole document, rejecting duplicate keys with their line.
pub(crate) fn parse(text: &str) -> Result<Value, Reject> {
    serde_json::from_str::<Unique>(text)
        .map(|u| u.0)
        .map_err(|e| reject(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_serde_json_reads_them() {
        let text = r#"{"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": 18446744073709551615}"#;
        let expected: Value = serde_json::from_str(text).unwrap();
        assert_eq!(parse(text).unwrap(), expected);
    }

    #[test]
    fn duplicate_keys_are_named_with_their_line() {
        let bad = parse("{\n \"items\": [\n  {\"id\": 1,\n   \"id\": 2}\n ]\n}").unwrap_err();
        assert_eq!((bad.kind, bad.line), (RejectKind::Row, Some(4)));
        assert!(
            bad.message.contains("the key `id` appears twice"),
            "{}",
            bad.message
        );
        // The same key in two objects is fine.
        assert!(parse(r#"[{"id": 1}, {"id": 2}]"#).is_ok());
    }
}
