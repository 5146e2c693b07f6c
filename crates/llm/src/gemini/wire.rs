//! Gemini's response-side wire types (what `generateContent` returns and each stream chunk
//! holds), and the mappings shared by the response parser and the stream decoder.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::canonical::{FinishReason, Usage};

/// A `GenerateContentResponse`: the whole answer of `generateContent`, or one stream chunk.
/// Unknown fields (safety ratings, citations, grounding, logprobs...) are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct GenerateResponse {
    pub candidates: Vec<Candidate>,
    pub prompt_feedback: Option<PromptFeedback>,
    pub usage_metadata: Option<UsageMetadata>,
    pub model_version: Option<String>,
    pub response_id: Option<String>,
    /// Sent by Vertex AI (RFC 3339); the Gemini API sends no timestamp.
    pub create_time: Option<String>,
    /// An error object in place of a chunk (streams only).
    pub error: Option<ApiError>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct Candidate {
    pub content: Option<Content>,
    pub finish_reason: Option<String>,
    /// Omitted for candidate 0 (proto3 JSON leaves out default values).
    pub index: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct Content {
    pub parts: Vec<Part>,
}

/// One `Part`. Only the members Portcullis maps are read; inline images, executable code and
/// code execution results in answers are ignored (the canonical model has no place for them).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct Part {
    pub text: Option<String>,
    /// `true` on thought summaries (returned when `includeThoughts` was asked).
    pub thought: bool,
    pub function_call: Option<FunctionCall>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct FunctionCall {
    /// Set by some models; when present it is the tool call id.
    pub id: Option<String>,
    pub name: String,
    /// Kept raw so that the argument order survives (serde_json's map would sort the keys).
    pub args: Option<Box<RawValue>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct PromptFeedback {
    pub block_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct UsageMetadata {
    pub prompt_token_count: u64,
    pub candidates_token_count: u64,
    pub thoughts_token_count: u64,
    pub cached_content_token_count: u64,
    pub tool_use_prompt_token_count: u64,
}

/// Google's error object (`{"error": {"code", "message", "status", "details"}}`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ApiError {
    pub code: Option<u16>,
    pub message: String,
    pub status: Option<String>,
    pub details: Vec<ErrorDetail>,
}

/// One entry of `error.details` (`google.rpc.ErrorInfo`, `google.rpc.BadRequest`, ...).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct ErrorDetail {
    /// `google.rpc.ErrorInfo.reason`, e.g. `API_KEY_INVALID`.
    pub reason: Option<String>,
    /// `google.rpc.BadRequest.fieldViolations`.
    pub field_violations: Vec<FieldViolation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct FieldViolation {
    pub field: Option<String>,
}

impl UsageMetadata {
    /// Gemini's counts in the canonical convention: `promptTokenCount` already includes cached
    /// tokens; tool-use prompt tokens (grounding, URL context) are billed as input; thoughts are
    /// billed as output but reported apart from `candidatesTokenCount`, so they are added.
    pub fn to_usage(&self) -> Usage {
        Usage {
            input_tokens: self
                .prompt_token_count
                .saturating_add(self.tool_use_prompt_token_count),
            output_tokens: self
                .candidates_token_count
                .saturating_add(self.thoughts_token_count),
            cached_input_tokens: self.cached_content_token_count,
            cache_creation_input_tokens: 0,
            reasoning_tokens: self.thoughts_token_count,
        }
    }
}

/// Maps a candidate's `finishReason`. `STOP` is also what Gemini reports when a stop sequence
/// matched (it does not say which), and when the model called functions: `called_tools` turns it
/// into `ToolCalls`. Every safety-family reason (text and image) is a `ContentFilter`; anything
/// else (`MALFORMED_FUNCTION_CALL`, `LANGUAGE`, `OTHER`, reasons added later) is carried verbatim.
pub(super) fn finish_reason(value: &str, called_tools: bool) -> FinishReason {
    match value {
        "STOP" if called_tools => FinishReason::ToolCalls,
        "STOP" => FinishReason::EndTurn,
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION" => FinishReason::ContentFilter,
        other => FinishReason::Other {
            value: other.to_owned(),
        },
    }
}

/// The response id: Gemini's `responseId` when it sent one, else `gen-` and a hash of `seed`
/// (the body, or the first stream chunk) so that the same answer always gets the same id.
pub(super) fn response_id(given: Option<&str>, seed: &[u8]) -> String {
    match given {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => format!("gen-{:016x}", fnv1a(seed)),
    }
}

/// The id of the `n`-th function call (counted over the whole response) that Gemini sent without
/// one. Unique across turns because the response id is, and limited to `[A-Za-z0-9_-]` so that it
/// is valid as an OpenAI and an Anthropic tool call id.
pub(super) fn tool_call_id(given: Option<&str>, response_id: &str, n: u32) -> String {
    if let Some(id) = given.filter(|id| !id.is_empty()) {
        return id.to_owned();
    }
    let clean: String = response_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    format!("call_{clean}_{n}")
}

/// The arguments of a function call as compact JSON text, in the order Gemini produced them.
pub(super) fn arguments_text(args: Option<&RawValue>) -> String {
    match args {
        Some(raw) => compact_json(raw.get()),
        None => "{}".to_owned(),
    }
}

/// Removes the insignificant whitespace of valid JSON text (Gemini pretty-prints its answers).
fn compact_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    out
}

/// 64-bit FNV-1a: a stable, dependency-free hash for synthesised ids (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Unix seconds of an RFC 3339 UTC timestamp such as `2025-03-10T14:54:45.066123Z` (Vertex AI's
/// `createTime`); `None` for anything else, in which case the caller leaves `created` at 0.
pub(super) fn unix_seconds(rfc3339: &str) -> Option<i64> {
    let b = rfc3339.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || !rfc3339.ends_with('Z') {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> { rfc3339.get(range)?.parse().ok() };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // Days from civil date (Howard Hinnant's algorithm), proleptic Gregorian calendar.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_reasons_map_to_canonical() {
        assert_eq!(finish_reason("STOP", false), FinishReason::EndTurn);
        assert_eq!(finish_reason("STOP", true), FinishReason::ToolCalls);
        assert_eq!(finish_reason("MAX_TOKENS", true), FinishReason::Length);
        for blocked in [
            "SAFETY",
            "RECITATION",
            "BLOCKLIST",
            "PROHIBITED_CONTENT",
            "SPII",
        ] {
            assert_eq!(finish_reason(blocked, false), FinishReason::ContentFilter);
        }
        assert_eq!(
            finish_reason("MALFORMED_FUNCTION_CALL", false),
            FinishReason::Other {
                value: "MALFORMED_FUNCTION_CALL".into()
            }
        );
    }

    #[test]
    fn usage_adds_thoughts_to_output_and_tool_prompts_to_input() {
        let meta = UsageMetadata {
            prompt_token_count: 100,
            candidates_token_count: 20,
            thoughts_token_count: 30,
            cached_content_token_count: 64,
            tool_use_prompt_token_count: 5,
        };
        let usage = meta.to_usage();
        assert_eq!(usage.input_tokens, 105);
        assert_eq!(usage.output_tokens, 50);
        assert_eq!(usage.reasoning_tokens, 30);
        assert_eq!(usage.cached_input_tokens, 64);
        assert_eq!(usage.total_tokens(), 155);
    }

    #[test]
    fn ids_are_stable_and_safe() {
        assert_eq!(response_id(Some("abc"), b"x"), "abc");
        let a = response_id(None, b"same body");
        assert_eq!(a, response_id(Some(""), b"same body"));
        assert_ne!(a, response_id(None, b"other body"));
        assert!(a.starts_with("gen-") && a.len() == 20);
        assert_eq!(tool_call_id(None, "Ab+c/d=_-", 2), "call_Abcd_-_2");
        assert_eq!(tool_call_id(Some("fc_1"), "r", 0), "fc_1");
        assert_eq!(tool_call_id(Some(""), "r", 0), "call_r_0");
    }

    #[test]
    fn arguments_are_compacted_in_order() {
        let raw: Box<RawValue> = serde_json::from_str(
            "{\n  \"z\": 1,\n  \"a\": \"two words \\\" and\\\\\",\n \"b\": [ 1, 2 ]\n}",
        )
        .unwrap();
        assert_eq!(
            arguments_text(Some(&raw)),
            r#"{"z":1,"a":"two words \" and\\","b":[1,2]}"#
        );
        assert_eq!(arguments_text(None), "{}");
    }

    #[test]
    fn timestamps_parse_to_unix_seconds() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            unix_seconds("2026-03-10T14:54:45.066123Z"),
            Some(1_773_154_485)
        );
        assert_eq!(unix_seconds("2000-02-29T12:00:00Z"), Some(951_825_600));
        assert_eq!(unix_seconds("2026-03-10T14:54:45+01:00"), None);
        assert_eq!(unix_seconds("yesterday"), None);
    }
}
