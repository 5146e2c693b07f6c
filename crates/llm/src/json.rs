//! Helpers for parsing caller JSON by hand, so that every type error names the field's path in
//! the caller's API (`messages[2].content`), and for small serialisation chores.

use serde_json::{Map, Value};

use crate::error::RequestError;

/// A JSON path in the caller's API, e.g. `messages[2].content[0].image_url.url`.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
pub(crate) fn index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// A short name for the JSON type of `value`, for error messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `path: expected <what>, got <kind>`.
pub(crate) fn type_error(path: &str, what: &str, got: &Value) -> RequestError {
    RequestError::new(
        format!("{path}: expected {what}, got {}", kind(got)),
        Some(path.to_owned()),
    )
}

/// An error about a present field with an unacceptable value.
pub(crate) fn invalid(path: &str, message: impl std::fmt::Display) -> RequestError {
    RequestError::new(format!("{path}: {message}"), Some(path.to_owned()))
}

/// A required field that is absent.
pub(crate) fn missing(path: &str) -> RequestError {
    RequestError::new(
        format!("{path}: this field is required"),
        Some(path.to_owned()),
    )
}

/// Parses a request body into its top-level object. Fails with the JSON error's position, or
/// with "must be a JSON object".
pub(crate) fn parse_object(body: &[u8]) -> Result<Map<String, Value>, RequestError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(RequestError::new(
            "the request body must be a JSON object",
            None,
        )),
        Err(e) => Err(RequestError::new(
            format!("the request body is not valid JSON: {e}"),
            None,
        )),
    }
}

pub(crate) fn object(value: Value, path: &str) -> Result<Map<String, Value>, RequestError> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(type_error(path, "an object", &other)),
    }
}

pub(crate) fn array(value: Value, path: &str) -> Result<Vec<Value>, RequestError> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(type_error(path, "an array", &other)),
    }
}

pub(crate) fn string(value: Value, path: &str) -> Result<String, RequestError> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(type_error(path, "a string", &other)),
    }
}

/// A string, or `None` for `null`.
pub(crate) fn opt_string(value: Value, path: &str) -> Result<Option<String>, RequestError> {
    match value {
        Value::Null => Ok(None),
        other => string(other, path).map(Some),
    }
}

/// A boolean, or `None` for `null`.
pub(crate) fn opt_bool(value: Value, path: &str) -> Result<Option<bool>, RequestError> {
    match value {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        other => Err(type_error(path, "a boolean", &other)),
    }
}

/// A number, or `None` for `null`.
pub(crate) fn opt_f64(value: Value, path: &str) -> Result<Option<f64>, RequestError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_f64()
            .map(Some)
            .ok_or_else(|| invalid(path, "number out of range")),
        other => Err(type_error(path, "a number", &other)),
    }
}

/// A non-negative integer that fits in `u32`, or `None` for `null`. Integral floats (`100.0`)
/// are accepted because some clients serialise every number as a float.
pub(crate) fn opt_u32(value: Value, path: &str) -> Result<Option<u32>, RequestError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => integral(&n)
            .and_then(|i| u32::try_from(i).ok())
            .map(Some)
            .ok_or_else(|| invalid(path, "expected a non-negative integer")),
        other => Err(type_error(path, "an integer", &other)),
    }
}

/// An integer that fits in `i64`, or `None` for `null`.
pub(crate) fn opt_i64(value: Value, path: &str) -> Result<Option<i64>, RequestError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => integral(&n)
            .and_then(|i| i64::try_from(i).ok())
            .map(Some)
            .ok_or_else(|| invalid(path, "expected an integer")),
        other => Err(type_error(path, "an integer", &other)),
    }
}

fn integral(n: &serde_json::Number) -> Option<i128> {
    if let Some(i) = n.as_i64() {
        return Some(i128::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Some(i128::from(u));
    }
    let f = n.as_f64()?;
    // Exactly representable integral floats only; the range check keeps the cast exact.
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "checked integral and within the exactly representable range just above"
        )]
        return Some(f as i128);
    }
    None
}

/// Serialises a JSON value compactly into a string (tool arguments). Serialising a `Value` to a
/// `String` cannot fail; the fallback keeps the function total.
pub(crate) fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| String::from("{}"))
}

/// Serialises `value` into `out` compactly. Writing into a `Vec` fails only for types whose
/// `Serialize` impl errors, which ours never do; such a failure leaves `out` as it was.
pub(crate) fn write<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let len = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(len);
    }
}

/// Serialises `value` into a new buffer (see [`write`]).
pub(crate) fn to_vec<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write(&mut out, value);
    out
}

/// Deserialises a string field leniently: any other JSON type (some servers reuse a field name
/// with an object) reads as `None` instead of failing the whole document.
pub(crate) fn lenient_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    use serde::Deserialize;
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => Some(s),
        _ => None,
    })
}
