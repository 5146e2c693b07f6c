//! What builders do with [`ChatRequest::extra`](crate::ChatRequest::extra).
//!
//! Parsers store two kinds of keys there: top-level fields of the caller's API that the
//! canonical model has no place for (`logit_bias`, `service_tier`...), under their own name,
//! and unmodelled fields found deeper in the request, under their full path (`messages[3].audio`,
//! `tools[2]`). A builder for the caller's own API forwards the top-level ones verbatim and
//! appends `tools[N]` entries (tools of a type the model does not describe, such as Anthropic
//! server tools) to its `tools`; everything else is reported as dropped, by path.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// The extras a builder forwards, split out of the request's `extra` map.
pub(crate) struct Extras<'a> {
    /// Top-level fields to write after the modelled ones.
    pub(crate) top_level: TopLevel<'a>,
    /// Raw tool definitions to append to `tools`.
    pub(crate) tools: Vec<&'a Value>,
}

impl<'a> Extras<'a> {
    /// Splits `extra`. With `forward` false (the request came from another API) every key is
    /// reported in `dropped`. Top-level keys listed in `known` are ones the builder writes
    /// itself; they are never forwarded (the parser never puts them in `extra`, so only a
    /// request built in code can have them).
    pub(crate) fn split(
        extra: &'a Map<String, Value>,
        forward: bool,
        known: &[&str],
        dropped: &mut Vec<String>,
    ) -> Extras<'a> {
        let mut top_level = Vec::new();
        let mut tools = Vec::new();
        for (key, value) in extra {
            let nested = key.contains(['.', '[']);
            if forward && !nested {
                if !known.contains(&key.as_str()) {
                    top_level.push((key.as_str(), value));
                }
            } else if forward && is_tool_entry(key) {
                tools.push(value);
            } else {
                dropped.push(key.clone());
            }
        }
        Extras {
            top_level: TopLevel(top_level),
            tools,
        }
    }
}

/// `tools[N]` exactly.
fn is_tool_entry(key: &str) -> bool {
    key.strip_prefix("tools[")
        .and_then(|rest| rest.strip_suffix(']'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Fields serialised as extra entries of the enclosing object (use with `#[serde(flatten)]`).
pub(crate) struct TopLevel<'a>(Vec<(&'a str, &'a Value)>);

impl TopLevel<'_> {
    /// Leaves out `key` when the builder writes that field itself. Parsers keep a field in
    /// `extra` when its value has a form the model lacks (an `allowed_tools` tool choice, an
    /// `adaptive` thinking config); a builder forwards it only if it has nothing of its own.
    pub(crate) fn unless_written(mut self, key: &str, written: bool) -> Self {
        if written {
            self.0.retain(|(k, _)| *k != key);
        }
        self
    }
}

impl Serialize for TopLevel<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_forwards_or_drops() {
        let extra: Map<String, Value> = serde_json::from_str(
            r#"{"logit_bias":{"1":2},"model":"x","messages[1].audio":{},"tools[2]":{"type":"custom"},"tools[x]":1}"#,
        )
        .unwrap();
        let mut dropped = Vec::new();
        let kept = Extras::split(&extra, true, &["model"], &mut dropped);
        assert_eq!(kept.top_level.0.len(), 1);
        assert_eq!(kept.tools.len(), 1);
        assert_eq!(dropped, vec!["messages[1].audio", "tools[x]"]);
        let mut dropped = Vec::new();
        let kept = Extras::split(&extra, false, &["model"], &mut dropped);
        assert!(kept.top_level.0.is_empty() && kept.tools.is_empty());
        assert_eq!(dropped.len(), 5);
    }
}
