//! `generateContent` answers into canonical [`ChatResponse`]s.

use crate::canonical::{ChatResponse, Choice, FinishReason, Part, ToolCall};
use crate::error::UpstreamError;

use super::wire::{self, Candidate, GenerateResponse};

/// Parses the body of a successful `generateContent` answer.
///
/// Runs once per non-streamed Gemini call. `model` is the upstream model the request was sent
/// to; the answer's `modelVersion` wins when present.
///
/// * Each candidate becomes a choice (ordered by its `index`): text parts become `Text`, parts
///   marked `thought` become `Thinking` (adjacent parts of the same kind are joined), function
///   calls become `ToolCall`s, with Gemini's id when it sent one, else
///   `call_<response id>_<n>` (`n` counts the calls of the whole response, so ids stay unique
///   across turns and equal for equal answers). Other part kinds (inline images, code
///   execution) are ignored.
/// * A prompt blocked before generation (`promptFeedback.blockReason`, no candidates) becomes
///   one `ContentFilter` choice with no content, so callers see a normal, filtered answer.
/// * `id` is `responseId`, else a hash of the body; `created` is Vertex AI's `createTime`, else
///   0 (the Gemini API sends no timestamp: the gateway stamps its own clock).
///
/// Fails with [`UpstreamError::malformed`] if the body is not a `GenerateContentResponse` or has
/// neither candidates nor a block reason.
pub fn parse_generate_response(body: &[u8], model: &str) -> Result<ChatResponse, UpstreamError> {
    let response: GenerateResponse = serde_json::from_slice(body).map_err(|e| {
        UpstreamError::malformed(format!(
            "Gemini answer is not a GenerateContentResponse: {e}"
        ))
    })?;
    let id = wire::response_id(response.response_id.as_deref(), body);
    let mut calls = 0;
    let mut choices: Vec<Choice> = response
        .candidates
        .iter()
        .map(|candidate| to_choice(candidate, &id, &mut calls))
        .collect();
    choices.sort_by_key(|c| c.index);
    if choices.is_empty() {
        let blocked = response
            .prompt_feedback
            .as_ref()
            .and_then(|f| f.block_reason.as_ref());
        if blocked.is_none() {
            return Err(UpstreamError::malformed(
                "Gemini answer has no candidates and no prompt block reason",
            ));
        }
        choices.push(Choice {
            index: 0,
            content: Vec::new(),
            refusal: None,
            finish_reason: Some(FinishReason::ContentFilter),
        });
    }
    Ok(ChatResponse {
        id,
        model: response.model_version.unwrap_or_else(|| model.to_owned()),
        created: response
            .create_time
            .as_deref()
            .and_then(wire::unix_seconds)
            .unwrap_or(0),
        choices,
        usage: response.usage_metadata.as_ref().map(|u| u.to_usage()),
    })
}

fn to_choice(candidate: &Candidate, id: &str, calls: &mut u32) -> Choice {
    let mut content: Vec<Part> = Vec::new();
    let mut called_tools = false;
    let parts = candidate.content.iter().flat_map(|c| c.parts.iter());
    for part in parts {
        if let Some(call) = &part.function_call {
            called_tools = true;
            content.push(Part::ToolCall(ToolCall {
                id: wire::tool_call_id(call.id.as_deref(), id, *calls),
                name: call.name.clone(),
                arguments: wire::arguments_text(call.args.as_deref()),
            }));
            *calls += 1;
            continue;
        }
        let Some(text) = part.text.as_deref().filter(|t| !t.is_empty()) else {
            continue;
        };
        match (content.last_mut(), part.thought) {
            (Some(Part::Text { text: prev, .. }), false)
            | (Some(Part::Thinking { text: prev, .. }), true) => prev.push_str(text),
            (_, false) => content.push(Part::Text {
                text: text.to_owned(),
                cache_control: None,
            }),
            (_, true) => content.push(Part::Thinking {
                text: text.to_owned(),
                signature: None,
            }),
        }
    }
    Choice {
        index: candidate.index.unwrap_or(0),
        content,
        refusal: None,
        finish_reason: candidate
            .finish_reason
            .as_deref()
            .map(|r| wire::finish_reason(r, called_tools)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::Usage;

    #[test]
    fn text_thoughts_and_calls_become_one_choice() {
        let body = br#"{
          "candidates": [{
            "content": {"role": "model", "parts": [
              {"text": "Planning ", "thought": true},
              {"text": "the call.", "thought": true},
              {"text": "Let me check."},
              {"functionCall": {"name": "get_weather", "args": {"city": "Paris", "unit": "celsius"}},
               "thoughtSignature": "c2ln"},
              {"functionCall": {"name": "get_time", "args": {}}}
            ]},
            "finishReason": "STOP"
          }],
          "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "thoughtsTokenCount": 7, "totalTokenCount": 22},
          "modelVersion": "gemini-2.5-flash",
          "responseId": "resp1"
        }"#;
        let resp = parse_generate_response(body, "gemini-flash-latest").unwrap();
        assert_eq!(resp.id, "resp1");
        assert_eq!(resp.model, "gemini-2.5-flash");
        assert_eq!(resp.created, 0);
        let choice = &resp.choices[0];
        assert_eq!(choice.finish_reason, Some(FinishReason::ToolCalls));
        assert_eq!(
            choice.content,
            vec![
                Part::Thinking {
                    text: "Planning the call.".into(),
                    signature: None
                },
                Part::Text {
                    text: "Let me check.".into(),
                    cache_control: None
                },
                Part::ToolCall(ToolCall {
                    id: "call_resp1_0".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"city":"Paris","unit":"celsius"}"#.into()
                }),
                Part::ToolCall(ToolCall {
                    id: "call_resp1_1".into(),
                    name: "get_time".into(),
                    arguments: "{}".into()
                }),
            ]
        );
        assert_eq!(
            resp.usage,
            Some(Usage {
                input_tokens: 10,
                output_tokens: 12,
                reasoning_tokens: 7,
                ..Usage::default()
            })
        );
    }

    #[test]
    fn blocked_prompt_is_a_filtered_empty_choice() {
        let body = br#"{"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": []},
                        "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8}}"#;
        let resp = parse_generate_response(body, "gemini-2.5-pro").unwrap();
        assert_eq!(resp.model, "gemini-2.5-pro");
        assert!(resp.id.starts_with("gen-"));
        assert_eq!(resp.choices.len(), 1);
        assert!(resp.choices[0].content.is_empty());
        assert_eq!(
            resp.choices[0].finish_reason,
            Some(FinishReason::ContentFilter)
        );
    }

    #[test]
    fn candidates_are_ordered_by_index_and_ids_count_across_them() {
        let body = br#"{"responseId": "r", "candidates": [
            {"index": 1, "content": {"parts": [{"functionCall": {"name": "b"}}]}, "finishReason": "STOP"},
            {"content": {"parts": [{"functionCall": {"name": "a", "id": "given"}}, {"functionCall": {"name": "c"}}]},
             "finishReason": "MAX_TOKENS"}
        ]}"#;
        let resp = parse_generate_response(body, "m").unwrap();
        assert_eq!(resp.choices[0].index, 0);
        assert_eq!(resp.choices[0].finish_reason, Some(FinishReason::Length));
        let ids: Vec<_> = resp
            .choices
            .iter()
            .flat_map(|c| c.content.iter())
            .map(|p| match p {
                Part::ToolCall(call) => call.id.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(ids, ["given", "call_r_2", "call_r_0"]);
    }

    #[test]
    fn garbage_and_empty_answers_are_malformed() {
        assert!(parse_generate_response(b"not json", "m").is_err());
        assert!(parse_generate_response(b"[]", "m").is_err());
        let err = parse_generate_response(b"{}", "m").unwrap_err();
        assert_eq!(err.status, 200);
        assert!(err.message.contains("no candidates"));
    }

    #[test]
    fn vertex_create_time_sets_created() {
        let body =
            br#"{"candidates": [{"content": {"parts": [{"text": "hi"}]}, "finishReason": "STOP"}],
                        "createTime": "2026-03-10T14:54:45.066123Z"}"#;
        let resp = parse_generate_response(body, "m").unwrap();
        assert_eq!(resp.created, 1_773_154_485);
        assert_eq!(resp.usage, None);
    }
}
