//! JSON Schemas on their way to Gemini's `parametersJsonSchema` and `responseJsonSchema`.
//!
//! Both fields take JSON Schema as a free-form value, so keywords outside Gemini's documented
//! subset are not rejected (unlike the OpenAPI-subset `parameters`/`responseSchema` fields, whose
//! parser fails the whole request on `additionalProperties`, `$schema`, `exclusiveMinimum`...).
//! Schemas therefore go through almost untouched; only the root is normalised.

use std::borrow::Cow;

use serde_json::Value;

/// The schema to send as a function's `parametersJsonSchema`, or `None` to leave the field out.
///
/// * No parameters (`null`, `{}`): `None`, as Gemini documents for functions without parameters.
/// * A root without `type` but with `properties` (sent by some MCP tools): `"type": "object"` is
///   added, since Gemini requires the parameters to describe an object.
/// * A root `$schema` (meta-schema URI, meaningless to the model) is removed.
///
/// Borrows the caller's schema when nothing changes.
pub(super) fn function_parameters(parameters: &Value) -> Option<Cow<'_, Value>> {
    match parameters {
        Value::Null => None,
        Value::Object(map) if map.is_empty() => None,
        Value::Object(map) => {
            let add_type = !map.contains_key("type") && map.contains_key("properties");
            if !add_type && !map.contains_key("$schema") {
                return Some(Cow::Borrowed(parameters));
            }
            let mut owned = map.clone();
            owned.shift_remove("$schema");
            if add_type {
                owned.insert("type".to_owned(), Value::String("object".to_owned()));
            }
            Some(Cow::Owned(Value::Object(owned)))
        }
        other => Some(Cow::Borrowed(other)),
    }
}

/// The schema to send as `responseJsonSchema`: the caller's, without a root `$schema`.
pub(super) fn response_schema(schema: &Value) -> Cow<'_, Value> {
    match schema {
        Value::Object(map) if map.contains_key("$schema") => {
            let mut owned = map.clone();
            owned.shift_remove("$schema");
            Cow::Owned(Value::Object(owned))
        }
        other => Cow::Borrowed(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_parameters_are_left_out() {
        assert_eq!(function_parameters(&Value::Null), None);
        assert_eq!(function_parameters(&json!({})), None);
    }

    #[test]
    fn full_json_schema_passes_through_borrowed() {
        let schema = json!({
            "type": "object",
            "properties": {
                "ids": {"type": "array", "items": {"type": "integer"}, "uniqueItems": true},
                "when": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
                "limit": {"type": "integer", "exclusiveMinimum": 0}
            },
            "required": ["ids"],
            "additionalProperties": false
        });
        let out = function_parameters(&schema);
        assert!(matches!(out, Some(Cow::Borrowed(_))));
        assert_eq!(out.as_deref(), Some(&schema));
    }

    #[test]
    fn root_is_normalised_to_an_object_without_meta_schema() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "properties": {"q": {"type": "string", "$schema": "kept: not at the root"}}
        });
        let out = function_parameters(&schema);
        assert_eq!(
            out.as_deref(),
            Some(&json!({
                "type": "object",
                "properties": {"q": {"type": "string", "$schema": "kept: not at the root"}}
            }))
        );
    }

    #[test]
    fn response_schema_drops_only_the_root_meta_schema() {
        let schema = json!({"$schema": "x", "type": "object", "additionalProperties": false});
        assert_eq!(
            response_schema(&schema).as_ref(),
            &json!({"type": "object", "additionalProperties": false})
        );
        let plain = json!({"type": "string"});
        assert!(matches!(response_schema(&plain), Cow::Borrowed(_)));
    }
}
