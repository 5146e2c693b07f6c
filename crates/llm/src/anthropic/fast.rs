//! Fast-path inspection of Anthropic stream events that are forwarded untouched.

use serde::Deserialize;

use super::decode::ErrorBody;
use super::wire::{self, WireUsage};
use crate::canonical::{ErrorKind, StreamError, Usage};

/// What the gateway needs to know about one forwarded Anthropic stream event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventInfo {
    /// Usage reported by this event (`message_start`: input side and initial output;
    /// `message_delta`: cumulative output, plus input and cache counts when the API includes
    /// them). Fields the event does not carry are zero, so fold successive reports with
    /// [`Usage::merge_max`] (Anthropic's counts only grow) rather than replacing.
    pub usage: Option<Usage>,
    /// The event is an `error` event.
    pub error: Option<StreamError>,
    /// The event is `message_stop`.
    pub done: bool,
}

/// Inspects one stream event without decoding the content: the event name decides, so the
/// frequent `content_block_*` and `ping` events cost a string comparison; only
/// `message_start`, `message_delta` and `error` are parsed, into structs that skip everything
/// but usage or the error. Without an event name the data's `type` is read first. Data that is
/// not JSON yields the default (nothing to report), except for an `error` event, which is
/// reported with the raw data as its message.
pub fn inspect_event(event: Option<&str>, data: &str) -> EventInfo {
    let peeked;
    let name = match event {
        Some(name) => name,
        None => {
            peeked = serde_json::from_str::<TypeOnly>(data)
                .map(|t| t.kind)
                .unwrap_or_default();
            peeked.as_str()
        }
    };
    match name {
        "message_start" => {
            #[derive(Deserialize)]
            struct Start {
                message: Message,
            }
            #[derive(Deserialize)]
            struct Message {
                #[serde(default)]
                usage: Option<WireUsage>,
            }
            let usage = serde_json::from_str::<Start>(data)
                .ok()
                .and_then(|s| s.message.usage)
                .map(|u| u.to_usage());
            EventInfo {
                usage,
                ..EventInfo::default()
            }
        }
        "message_delta" => {
            #[derive(Deserialize)]
            struct Delta {
                #[serde(default)]
                usage: Option<WireUsage>,
            }
            let usage = serde_json::from_str::<Delta>(data)
                .ok()
                .and_then(|d| d.usage)
                .map(|u| u.to_usage());
            EventInfo {
                usage,
                ..EventInfo::default()
            }
        }
        "message_stop" => EventInfo {
            done: true,
            ..EventInfo::default()
        },
        "error" => {
            #[derive(Deserialize)]
            struct Error {
                #[serde(default)]
                error: Option<ErrorBody>,
            }
            let body = serde_json::from_str::<Error>(data)
                .ok()
                .and_then(|e| e.error);
            let kind = body
                .as_ref()
                .and_then(|b| b.kind.as_deref())
                .and_then(wire::kind_from_type)
                .unwrap_or(ErrorKind::Upstream);
            let message = body
                .and_then(|b| b.message)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| data.trim().to_owned());
            EventInfo {
                error: Some(StreamError { kind, message }),
                ..EventInfo::default()
            }
        }
        _ => EventInfo::default(),
    }
}

#[derive(Deserialize)]
struct TypeOnly {
    #[serde(rename = "type", default)]
    kind: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_usage_errors_and_stop() {
        let start = r#"{"type":"message_start","message":{"id":"msg_1","content":[],"usage":{"input_tokens":20,"cache_read_input_tokens":80,"output_tokens":1}}}"#;
        let info = inspect_event(Some("message_start"), start);
        let mut usage = info.usage.unwrap();
        assert_eq!(
            (
                usage.input_tokens,
                usage.cached_input_tokens,
                usage.output_tokens
            ),
            (100, 80, 1)
        );
        let delta = r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":57}}"#;
        usage.merge_max(&inspect_event(Some("message_delta"), delta).usage.unwrap());
        assert_eq!((usage.input_tokens, usage.output_tokens), (100, 57));
        assert_eq!(
            inspect_event(None, delta).usage.map(|u| u.output_tokens),
            Some(57)
        );
        assert_eq!(
            inspect_event(
                Some("content_block_delta"),
                r#"{"usage":{"output_tokens":5}}"#
            ),
            EventInfo::default()
        );
        assert!(inspect_event(Some("message_stop"), r#"{"type":"message_stop"}"#).done);
        let error = inspect_event(
            Some("error"),
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        )
        .error
        .unwrap();
        assert_eq!(
            (error.kind, error.message.as_str()),
            (ErrorKind::Overloaded, "Overloaded")
        );
        let error = inspect_event(Some("error"), "upstream gone").error.unwrap();
        assert_eq!(error.message, "upstream gone");
    }
}
