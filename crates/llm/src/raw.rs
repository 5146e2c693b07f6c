//! A borrowed, order-preserving view of a JSON object's top-level fields, for the same-format
//! fast path: the gateway reads a few fields (`model`, `stream`), patches one or two (`model`,
//! `stream_options`) and writes the body back without re-serialising anything nested.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::RequestError;

/// One top-level value: borrowed from the parsed body, or set by the caller.
#[derive(Debug, Clone)]
pub enum RawField<'a> {
    /// Borrowed from the body given to [`RawObject::parse`].
    Borrowed(&'a RawValue),
    /// Set with [`RawObject::set`].
    Owned(Box<RawValue>),
}

impl RawField<'_> {
    /// The value's JSON text.
    pub fn get(&self) -> &RawValue {
        match self {
            RawField::Borrowed(raw) => raw,
            RawField::Owned(raw) => raw,
        }
    }
}

/// The top-level fields of a JSON object, in document order, values kept as raw JSON text.
///
/// Built by [`RawObject::parse`]; written back with [`RawObject::to_vec`].
#[derive(Debug, Clone, Default)]
pub struct RawObject<'a> {
    fields: Vec<(Cow<'a, str>, RawField<'a>)>,
}

/// Objects up to this many fields are de-duplicated by linear scan; larger ones use a hash map
/// so that a hostile body with many keys costs linear time.
const LINEAR_DEDUP_MAX: usize = 16;

impl<'a> RawObject<'a> {
    /// Parses `body`, which must be one JSON object (surrounding whitespace allowed). The whole
    /// body is validated as JSON, nested values included, but only the top level is materialised.
    ///
    /// A key that appears several times keeps its last value (as serde_json does) at the position
    /// of its first occurrence.
    ///
    /// Fails with a [`RequestError`] whose message says what is wrong: not JSON (with line and
    /// column), or JSON that is not an object.
    pub fn parse(body: &'a [u8]) -> Result<RawObject<'a>, RequestError> {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        match first {
            None => return Err(RequestError::new("the request body is empty", None)),
            Some(b'{') => {}
            Some(_) => {
                // Distinguish "valid JSON of the wrong type" from "not JSON at all".
                return Err(match serde_json::from_slice::<de::IgnoredAny>(body) {
                    Ok(_) => RequestError::new("the request body must be a JSON object", None),
                    Err(err) => invalid_json(&err),
                });
            }
        }
        let FieldList(mut fields) =
            serde_json::from_slice::<FieldList<'a>>(body).map_err(|e| invalid_json(&e))?;
        dedup_keep_last(&mut fields);
        Ok(RawObject {
            fields: fields
                .into_iter()
                .map(|(k, v)| (k, RawField::Borrowed(v)))
                .collect(),
        })
    }

    /// The raw value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.get())
    }

    /// The value of `key` if it is a JSON string (unescaped; borrowed when it has no escapes).
    /// `None` when absent or not a string.
    pub fn get_str(&self, key: &str) -> Option<Cow<'_, str>> {
        let raw = self.get(key)?;
        serde_json::from_str::<CowStr<'_>>(raw.get())
            .ok()
            .map(|s| s.0)
    }

    /// The value of `key` if it is `true` or `false`; `None` when absent or of another type.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        match self.get(key)?.get() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// Sets `key` to `value`: replaces the value in place if the key exists, else appends it.
    pub fn set(&mut self, key: &str, value: Box<RawValue>) {
        match self.fields.iter_mut().find(|(k, _)| k == key) {
            Some((_, slot)) => *slot = RawField::Owned(value),
            None => self
                .fields
                .push((Cow::Owned(key.to_owned()), RawField::Owned(value))),
        }
    }

    /// Removes `key` if present.
    pub fn remove(&mut self, key: &str) {
        self.fields.retain(|(k, _)| k != key);
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == key)
    }

    /// The number of top-level fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the object has no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The fields in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.fields.iter().map(|(k, v)| (k.as_ref(), v.get()))
    }

    /// Writes the object back as compact JSON: keys re-escaped, values copied verbatim (nested
    /// content is never re-serialised, so its formatting is kept).
    pub fn to_vec(&self) -> Vec<u8> {
        let size: usize = self
            .fields
            .iter()
            .map(|(k, v)| k.len() + v.get().get().len() + 4)
            .sum();
        let mut out = Vec::with_capacity(size + 2);
        out.push(b'{');
        for (i, (key, value)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_key(&mut out, key);
            out.push(b':');
            out.extend_from_slice(value.get().get().as_bytes());
        }
        out.push(b'}');
        out
    }
}

/// Builds a raw value from anything serialisable (for [`RawObject::set`]).
///
/// Fails only if `value` cannot be represented as JSON (a map with non-string keys, a
/// serialiser error), which the types used by Portcullis never produce.
pub fn to_raw<T: serde::Serialize + ?Sized>(value: &T) -> Result<Box<RawValue>, serde_json::Error> {
    serde_json::value::to_raw_value(value)
}

fn invalid_json(err: &serde_json::Error) -> RequestError {
    RequestError::new(format!("the request body is not valid JSON: {err}"), None)
}

fn write_key(out: &mut Vec<u8>, key: &str) {
    let plain = key.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
    if plain {
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.push(b'"');
    } else {
        // Writing a `str` into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, key);
    }
}

fn dedup_keep_last<V>(fields: &mut Vec<(Cow<'_, str>, V)>) {
    // For each field, the index of the first field with the same key.
    let firsts: Vec<usize> = if fields.len() <= LINEAR_DEDUP_MAX {
        fields
            .iter()
            .enumerate()
            .map(|(i, (key, _))| fields.iter().position(|(k, _)| k == key).unwrap_or(i))
            .collect()
    } else {
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(fields.len());
        fields
            .iter()
            .enumerate()
            .map(|(i, (key, _))| *seen.entry(key.as_ref()).or_insert(i))
            .collect()
    };
    if firsts.iter().enumerate().all(|(i, &first)| i == first) {
        return;
    }
    let mut slots: Vec<Option<(Cow<'_, str>, V)>> = fields.drain(..).map(Some).collect();
    // Later duplicates overwrite earlier ones in document order, so the last value wins.
    for (i, first) in firsts.into_iter().enumerate() {
        if i == first {
            continue;
        }
        let value = slots.get_mut(i).and_then(Option::take).map(|(_, v)| v);
        if let (Some(value), Some(Some(target))) = (value, slots.get_mut(first)) {
            target.1 = value;
        }
    }
    fields.extend(slots.into_iter().flatten());
}

/// A string that borrows from the input when it contains no escapes.
struct CowStr<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// The top-level `(key, raw value)` pairs of an object, duplicates included.
struct FieldList<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for FieldList<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FieldList<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some((CowStr(key), value)) = map.next_entry::<CowStr<'de>, &RawValue>()? {
                    fields.push((key, value));
                }
                Ok(FieldList(fields))
            }
        }
        deserializer.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_byte_for_byte_when_compact() {
        let body = br#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi \u00e9"}],"stream":true}"#;
        let obj = RawObject::parse(body).unwrap();
        assert_eq!(obj.to_vec(), body.to_vec());
        assert_eq!(obj.len(), 3);
    }

    #[test]
    fn nested_formatting_is_kept_and_top_level_whitespace_dropped() {
        let body = b" { \"a\" : [1,  2] ,\n \"b\":{ \"c\" : null } } \n";
        let obj = RawObject::parse(body).unwrap();
        assert_eq!(
            obj.to_vec(),
            b"{\"a\":[1,  2],\"b\":{ \"c\" : null }}".to_vec()
        );
    }

    #[test]
    fn getters() {
        let body = br#"{"model":"gpt\"4o","plain":"x","stream":true,"n":1,"s":false,"nul":null}"#;
        let obj = RawObject::parse(body).unwrap();
        assert_eq!(obj.get_str("model").as_deref(), Some("gpt\"4o"));
        assert!(matches!(obj.get_str("plain"), Some(Cow::Borrowed("x"))));
        assert_eq!(obj.get_str("n"), None);
        assert_eq!(obj.get_str("missing"), None);
        assert_eq!(obj.get_bool("stream"), Some(true));
        assert_eq!(obj.get_bool("s"), Some(false));
        assert_eq!(obj.get_bool("nul"), None);
        assert_eq!(obj.get("n").map(RawValue::get), Some("1"));
    }

    #[test]
    fn set_replaces_in_place_or_appends_and_remove_deletes() {
        let body = br#"{"model":"alias","stream":true,"user":"u"}"#;
        let mut obj = RawObject::parse(body).unwrap();
        obj.set("model", to_raw("gpt-4o-2024-08-06").unwrap());
        obj.set(
            "stream_options",
            to_raw(&serde_json::json!({"include_usage": true})).unwrap(),
        );
        obj.set("we\"ird", to_raw(&1).unwrap());
        obj.remove("user");
        assert_eq!(
            String::from_utf8(obj.to_vec()).unwrap(),
            r#"{"model":"gpt-4o-2024-08-06","stream":true,"stream_options":{"include_usage":true},"we\"ird":1}"#
        );
        assert!(!obj.contains("user"));
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let obj = RawObject::parse(br#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(obj.to_vec(), br#"{"a":3,"b":2}"#.to_vec());
        // Same through the hash-map path.
        let mut body = String::from("{");
        for i in 0..40 {
            body.push_str(&format!("\"k{i}\":{i},"));
        }
        body.push_str("\"k3\":\"last\",\"k\\u0033\":\"escaped\"}");
        let obj = RawObject::parse(body.as_bytes()).unwrap();
        assert_eq!(obj.len(), 40);
        assert_eq!(obj.get("k3").map(RawValue::get), Some("\"escaped\""));
        let reparsed: serde_json::Value = serde_json::from_slice(&obj.to_vec()).unwrap();
        let expected: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(reparsed, expected);
    }

    #[test]
    fn errors_are_clear() {
        let msg = |b: &[u8]| RawObject::parse(b).unwrap_err().message;
        assert_eq!(msg(b"  "), "the request body is empty");
        assert_eq!(msg(b"[1,2]"), "the request body must be a JSON object");
        assert_eq!(msg(b"\"s\""), "the request body must be a JSON object");
        assert!(msg(b"nope").starts_with("the request body is not valid JSON"));
        assert!(msg(br#"{"a":[1,}"#).starts_with("the request body is not valid JSON"));
        assert!(msg(br#"{"a":1} x"#).contains("trailing characters"));
        assert!(msg(b"{\"a\":\"\xff\"}").starts_with("the request body is not valid JSON"));
    }
}
