//! A serde `Deserializer` over [`Node`] that knows the path and line of every value.
//!
//! Errors are located at the innermost value that failed (an unknown key at the key, a missing
//! field at `parent.field`), carry a did-you-mean hint for unknown keys and values, and never
//! quote text that came from the environment.

use serde::de::{self, DeserializeOwned, DeserializeSeed, Unexpected, Visitor};
use std::fmt;

use super::{Node, NodeKind, Scalar, index_path, key_path};
use crate::error::{ConfigError, did_you_mean};

/// Deserializes `T` from `node`, whose path in the file is `path`.
pub(crate) fn from_node<T: DeserializeOwned>(node: &Node, path: &str) -> Result<T, DeError> {
    T::deserialize(NodeDe { node, path })
}

/// A deserialization error; becomes a [`ConfigError`] once located.
#[derive(Debug)]
pub(crate) struct DeError {
    message: String,
    /// The same message without the offending value, for values from the environment.
    redacted: Option<String>,
    /// A field name to append to the located path (missing fields).
    field: Option<&'static str>,
    path: Option<String>,
    line: Option<u32>,
    /// Already reported elsewhere (failed `${ENV}` expansion): do not report again.
    quiet: bool,
}

impl DeError {
    fn new(message: String, redacted: Option<String>) -> Self {
        Self {
            message,
            redacted,
            field: None,
            path: None,
            line: None,
            quiet: false,
        }
    }

    fn quiet() -> Self {
        Self {
            quiet: true,
            ..Self::new(String::new(), None)
        }
    }

    /// Fills in where the error is, unless an inner value already did.
    fn locate(mut self, path: &str, node: &Node) -> Self {
        if self.path.is_none() {
            self.path = Some(match self.field {
                Some(field) => key_path(path, field),
                None => path.to_owned(),
            });
            self.line = Some(node.line);
            if matches!(&node.kind, NodeKind::Scalar(s) if s.from_env) {
                self.message = self.redacted.take().unwrap_or_else(|| {
                    "invalid value (it came from the environment, so it is not shown)".to_owned()
                });
            }
        }
        self
    }

    /// Where the error is (set once located).
    pub(crate) fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The located error, or `None` when it was already reported.
    pub(crate) fn into_config_error(self, fallback_path: &str) -> Option<ConfigError> {
        if self.quiet {
            return None;
        }
        Some(ConfigError {
            path: self.path.unwrap_or_else(|| fallback_path.to_owned()),
            line: self.line,
            message: self.message,
        })
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

fn describe(unexp: &Unexpected<'_>) -> String {
    match unexp {
        Unexpected::Str(s) => format!("{s:?}"),
        Unexpected::Map => "a mapping".to_owned(),
        Unexpected::Seq => "a list".to_owned(),
        Unexpected::Unit | Unexpected::Option => "nothing (null)".to_owned(),
        other => other.to_string(),
    }
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::new(msg.to_string(), None)
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::new(
            format!("expected {exp}, found {}", describe(&unexp)),
            Some(format!(
                "expected {exp} (the value came from the environment, so it is not shown)"
            )),
        )
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::new(
            format!("invalid value {}: expected {exp}", describe(&unexp)),
            Some(format!(
                "invalid value (it came from the environment, so it is not shown): expected {exp}"
            )),
        )
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let hint = did_you_mean(field, expected.iter().copied());
        let message = if hint.is_empty() {
            format!(
                "unknown field `{field}` (known fields: {})",
                expected.join(", ")
            )
        } else {
            format!("unknown field `{field}`{hint}")
        };
        Self::new(message, None)
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let hint = did_you_mean(variant, expected.iter().copied());
        Self::new(
            format!(
                "unknown value `{variant}` (expected one of: {}){hint}",
                expected.join(", ")
            ),
            Some(format!(
                "unknown value from the environment (expected one of: {})",
                expected.join(", ")
            )),
        )
    }

    fn missing_field(field: &'static str) -> Self {
        Self {
            field: Some(field),
            ..Self::new("missing required field".to_owned(), None)
        }
    }
}

struct NodeDe<'a> {
    node: &'a Node,
    path: &'a str,
}

impl<'a> NodeDe<'a> {
    /// The scalar, or an error saying what was `expected` instead of a list or mapping.
    fn scalar(&self, expected: &dyn de::Expected) -> Result<&'a Scalar, DeError> {
        match &self.node.kind {
            NodeKind::Scalar(s) if s.poisoned => Err(DeError::quiet()),
            NodeKind::Scalar(s) => Ok(s),
            NodeKind::Seq(_) => Err(de::Error::invalid_type(Unexpected::Seq, expected)),
            NodeKind::Map(_) => Err(de::Error::invalid_type(Unexpected::Map, expected)),
        }
    }

    fn unexpected(&self) -> Unexpected<'a> {
        match &self.node.kind {
            NodeKind::Scalar(_) if self.node.is_null() => Unexpected::Unit,
            NodeKind::Scalar(s) => Unexpected::Str(&s.text),
            NodeKind::Seq(_) => Unexpected::Seq,
            NodeKind::Map(_) => Unexpected::Map,
        }
    }

    fn locate<T>(&self, result: Result<T, DeError>) -> Result<T, DeError> {
        result.map_err(|e| e.locate(self.path, self.node))
    }

    fn integer<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = self
            .scalar(&visitor)
            .and_then(|s| match parse_int(&s.text) {
                Some(n) if n < 0 => match i64::try_from(n) {
                    Ok(n) => visitor.visit_i64(n),
                    Err(_) => Err(de::Error::invalid_value(self.unexpected(), &visitor)),
                },
                Some(n) => match u64::try_from(n) {
                    Ok(n) => visitor.visit_u64(n),
                    Err(_) => Err(de::Error::invalid_value(self.unexpected(), &visitor)),
                },
                None => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
            });
        self.locate(result)
    }

    fn float<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = self
            .scalar(&visitor)
            .and_then(|s| match parse_float(&s.text) {
                Some(f) => visitor.visit_f64(f),
                None => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
            });
        self.locate(result)
    }

    fn seq<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.kind {
            NodeKind::Seq(items) => visitor.visit_seq(SeqDe {
                items: items.iter(),
                index: 0,
                path: self.path,
            }),
            _ if self.node.is_null() => visitor.visit_seq(SeqDe {
                items: [].iter(),
                index: 0,
                path: self.path,
            }),
            _ => self
                .scalar(&visitor)
                .and_then(|_| Err(de::Error::invalid_type(self.unexpected(), &visitor))),
        };
        self.locate(result)
    }

    fn map<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.kind {
            NodeKind::Map(entries) => visitor.visit_map(MapDe {
                entries,
                next: 0,
                path: self.path,
                value_path: String::new(),
            }),
            _ if self.node.is_null() => visitor.visit_map(MapDe {
                entries: &[],
                next: 0,
                path: self.path,
                value_path: String::new(),
            }),
            _ => self
                .scalar(&visitor)
                .and_then(|_| Err(de::Error::invalid_type(self.unexpected(), &visitor))),
        };
        self.locate(result)
    }
}

/// Integers: optional sign, decimal digits, `_` allowed between digits (`10_000`).
fn parse_int(text: &str) -> Option<i128> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    let (negative, digits) = match digits.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, digits),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let value: i128 = digits.replace('_', "").parse().ok()?;
    Some(if negative { -value } else { value })
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" => Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => Some(f64::NAN),
        _ if text.chars().any(|c| c.is_ascii_digit()) => text.replace('_', "").parse().ok(),
        _ => None,
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Seq(_) => self.seq(visitor),
            NodeKind::Map(_) => self.map(visitor),
            NodeKind::Scalar(_) if self.node.is_null() => self.locate(visitor.visit_unit()),
            NodeKind::Scalar(s) if s.plain => {
                if let Some(b) = parse_bool(&s.text) {
                    self.locate(visitor.visit_bool(b))
                } else if parse_int(&s.text).is_some() {
                    self.integer(visitor)
                } else if parse_float(&s.text).is_some() {
                    self.float(visitor)
                } else {
                    self.locate(visitor.visit_str(&s.text))
                }
            }
            NodeKind::Scalar(_) => self.deserialize_str(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = self
            .scalar(&"true or false")
            .and_then(|s| match parse_bool(&s.text) {
                Some(b) => visitor.visit_bool(b),
                None => Err(de::Error::invalid_type(self.unexpected(), &"true or false")),
            });
        self.locate(result)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.integer(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.integer(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.integer(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.integer(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.integer(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.integer(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.integer(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.integer(visitor)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.float(visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.float(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = self
            .scalar(&visitor)
            .and_then(|s| visitor.visit_str(&s.text));
        self.locate(result)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            self.locate(visitor.visit_none())
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            self.locate(visitor.visit_unit())
        } else {
            let err = de::Error::invalid_type(self.unexpected(), &visitor);
            self.locate(Err(err))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.seq(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.map(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // Only unit variants are used in the file format: an enum is a plain word.
        let result = self
            .scalar(&visitor)
            .and_then(|s| visitor.visit_enum(de::value::StrDeserializer::<DeError>::new(&s.text)));
        self.locate(result)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct SeqDe<'a> {
    items: std::slice::Iter<'a, Node>,
    index: usize,
    path: &'a str,
}

impl<'de> de::SeqAccess<'de> for SeqDe<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(node) = self.items.next() else {
            return Ok(None);
        };
        let path = index_path(self.path, self.index);
        self.index += 1;
        seed.deserialize(NodeDe { node, path: &path }).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<'a> {
    entries: &'a [(Node, Node)],
    next: usize,
    path: &'a str,
    value_path: String,
}

impl<'de> de::MapAccess<'de> for MapDe<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, _)) = self.entries.get(self.next) else {
            return Ok(None);
        };
        let Some(text) = key.key_text() else {
            let err: DeError =
                de::Error::custom("mapping keys must be plain text, not lists or mappings");
            return Err(err.locate(self.path, key));
        };
        self.value_path = key_path(self.path, text);
        if let Some((first, _)) = self.entries[..self.next]
            .iter()
            .find(|(k, _)| k.key_text() == Some(text))
        {
            let err: DeError = de::Error::custom(format!(
                "duplicate key `{text}` (first written at line {})",
                first.line
            ));
            return Err(err.locate(&self.value_path, key));
        }
        // A key is never secret: deserialize it from its text with the key's own location.
        let result = seed.deserialize(de::value::StrDeserializer::<DeError>::new(text));
        result
            .map(Some)
            .map_err(|e: DeError| e.locate(&self.value_path, key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let index = self.next;
        self.next += 1;
        match self.entries.get(index) {
            Some((_, node)) => seed.deserialize(NodeDe {
                node,
                path: &self.value_path,
            }),
            None => Err(de::Error::custom(
                "value requested past the end of a mapping",
            )),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len().saturating_sub(self.next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;
    use crate::yaml::{expand_env, parse};
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        port: u16,
        name: Option<String>,
        #[serde(default)]
        flags: Vec<bool>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        inner: Inner,
        #[serde(default)]
        list: Vec<Inner>,
        mode: Option<Mode>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        Lenient,
        Strict,
    }

    fn load<T: DeserializeOwned>(yaml: &str) -> Result<T, ConfigError> {
        let mut node = parse(yaml).unwrap();
        let env = MapEnv::from_pairs([("PORT", "9000"), ("SECRET", "hunter2")]);
        let mut errors = Vec::new();
        expand_env(&mut node, "", &env, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        from_node::<T>(&node, "").map_err(|e| e.into_config_error("").unwrap())
    }

    #[test]
    fn typed_by_target() {
        let v: Outer =
            load("inner:\n  port: ${PORT}\n  name: 0123\n  flags: [true, 'false']\nmode: strict\n")
                .unwrap();
        assert_eq!(v.inner.port, 9000);
        assert_eq!(v.inner.name.as_deref(), Some("0123"));
        assert_eq!(v.inner.flags, vec![true, false]);
        assert_eq!(v.mode, Some(Mode::Strict));
        let v: Outer = load("inner: {port: 1, name: ~}\nmode:\n").unwrap();
        assert_eq!(v.inner.name, None);
        assert_eq!(v.mode, None);
    }

    #[test]
    fn unknown_field_at_key_with_suggestion() {
        let err = load::<Outer>("inner:\n  port: 1\n  nmae: x\n").unwrap_err();
        assert_eq!(err.path, "inner.nmae");
        assert_eq!(err.line, Some(3));
        assert!(
            err.message.contains("did you mean `name`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn missing_field_names_the_field() {
        let err = load::<Outer>("inner:\n  name: x\n").unwrap_err();
        assert_eq!(err.path, "inner.port");
        assert_eq!(err.line, Some(2));
        assert_eq!(err.message, "missing required field");
    }

    #[test]
    fn wrong_types_and_ranges_in_lists() {
        let err =
            load::<Outer>("inner: {port: 1}\nlist:\n  - port: 2\n  - port: 70000\n").unwrap_err();
        assert_eq!(err.path, "list[1].port");
        assert_eq!(err.line, Some(4));
        assert!(err.message.contains("70000"), "{}", err.message);
        let err = load::<Outer>("inner: {port: [1]}\n").unwrap_err();
        assert_eq!(err.path, "inner.port");
        assert!(err.message.contains("found a list"), "{}", err.message);
    }

    #[test]
    fn unknown_enum_value_suggests() {
        let err = load::<Outer>("inner: {port: 1}\nmode: strikt\n").unwrap_err();
        assert_eq!(err.path, "mode");
        assert!(
            err.message.contains("did you mean `strict`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn env_values_are_never_quoted_in_errors() {
        let err = load::<Outer>("inner: {port: '${SECRET}'}\n").unwrap_err();
        assert_eq!(err.path, "inner.port");
        assert!(!err.message.contains("hunter2"), "{}", err.message);
        assert!(err.message.contains("environment"), "{}", err.message);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = load::<BTreeMap<String, u32>>("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.path, "a");
        assert_eq!(err.line, Some(3));
        assert!(
            err.message.contains("first written at line 1"),
            "{}",
            err.message
        );
    }

    #[test]
    fn integers_with_underscores_and_signs() {
        assert_eq!(parse_int("10_000"), Some(10_000));
        assert_eq!(parse_int("-5"), Some(-5));
        assert_eq!(parse_int("_1"), None);
        assert_eq!(parse_int("1e3"), None);
        assert_eq!(parse_float("1.5"), Some(1.5));
        assert_eq!(parse_float("abc"), None);
    }
}
