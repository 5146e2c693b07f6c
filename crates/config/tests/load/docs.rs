//! `docs/configuration.md` mentions every field of the file, and the JSON schema lists exactly
//! the fields the serde types accept.

use portcullis_config::raw::{
    RawAdmin, RawApiKey, RawCallLog, RawConfig, RawDatabase, RawModelRoute, RawProvider, RawServer,
    RawTargetFull,
};
use serde::Deserialize;
use serde::de::{self, Visitor};
use std::fmt;

/// The field names serde's derive knows for `T`, captured by a deserializer that only records
/// what `deserialize_struct` is asked for.
fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    #[derive(Debug)]
    struct Found(&'static [&'static str]);
    impl fmt::Display for Found {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }
    impl std::error::Error for Found {}
    impl de::Error for Found {
        fn custom<M: fmt::Display>(_: M) -> Self {
            Found(&[])
        }
    }
    struct Grab;
    impl<'de> de::Deserializer<'de> for Grab {
        type Error = Found;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Found> {
            Err(Found(&[]))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Found> {
            Err(Found(fields))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    match T::deserialize(Grab) {
        Err(Found(fields)) => fields,
        Ok(_) => panic!("not a struct"),
    }
}

fn all_structs() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("(top level)", fields_of::<RawConfig>()),
        ("server", fields_of::<RawServer>()),
        ("database", fields_of::<RawDatabase>()),
        ("call_log", fields_of::<RawCallLog>()),
        ("admin", fields_of::<RawAdmin>()),
        ("providers.<name>", fields_of::<RawProvider>()),
        ("models[]", fields_of::<RawModelRoute>()),
        ("models[].targets[]", fields_of::<RawTargetFull>()),
        ("api_keys[]", fields_of::<RawApiKey>()),
    ]
}

#[test]
fn the_reference_mentions_every_field() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/configuration.md"
    ))
    .unwrap();
    let mut missing = Vec::new();
    for (owner, fields) in all_structs() {
        assert!(!fields.is_empty(), "{owner}");
        for field in fields {
            if !doc.contains(&format!("`{field}`")) {
                missing.push(format!("{owner}.{field}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/configuration.md does not mention: {missing:?}"
    );
}

#[test]
fn the_example_uses_every_section() {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../portcullis.example.yaml"
    ))
    .unwrap();
    for section in fields_of::<RawConfig>() {
        assert!(
            example.contains(&format!("\n{section}:")),
            "example lacks `{section}`"
        );
    }
}

#[test]
fn the_schema_lists_exactly_the_fields() {
    let schema = portcullis_config::json_schema();
    let props = |pointer: &str| -> Vec<String> {
        let mut keys: Vec<String> = schema
            .pointer(pointer)
            .and_then(|v| v.as_object())
            .unwrap_or_else(|| panic!("no {pointer}"))
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    let sorted = |fields: &[&str]| {
        let mut v: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        v.sort();
        v
    };
    let structs = all_structs();
    let pointers = [
        "/properties",
        "/properties/server/properties",
        "/properties/database/properties",
        "/properties/call_log/properties",
        "/properties/admin/properties",
        "/properties/providers/additionalProperties/properties",
        "/properties/models/items/properties",
        "/properties/models/items/properties/targets/items/oneOf/1/properties",
        "/properties/api_keys/items/properties",
    ];
    for ((owner, fields), pointer) in structs.iter().zip(pointers) {
        assert_eq!(props(pointer), sorted(fields), "{owner}");
    }
}
