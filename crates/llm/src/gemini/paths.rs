//! Field paths in the caller's API, for `Converted::dropped` and error `param`s.
//!
//! A canonical request does not remember where each of its parts came from, so the paths are
//! rebuilt from what the OpenAI and Anthropic parsers are known to produce: OpenAI keeps one
//! canonical message per wire message (tool calls and `reasoning_content` beside `content`);
//! Anthropic's top-level `system` becomes leading system messages and every content block one
//! part. Requests built in code (`source: None`) are described in OpenAI's terms.

use crate::canonical::{ChatRequest, Part, Role, WireApi};

/// Whether paths are written in Anthropic Messages terms (else OpenAI Chat Completions terms).
fn anthropic(req: &ChatRequest) -> bool {
    req.source == Some(WireApi::AnthropicMessages)
}

/// Picks the field name of the caller's API.
pub(super) fn field(req: &ChatRequest, openai: &str, anthropic_name: &str) -> String {
    if anthropic(req) {
        anthropic_name.to_owned()
    } else {
        openai.to_owned()
    }
}

/// `messages[i]` in the caller's numbering (Anthropic's come after its hoisted `system`).
pub(super) fn message(req: &ChatRequest, i: usize) -> String {
    if !anthropic(req) {
        return format!("messages[{i}]");
    }
    let is_system = |role: Role| matches!(role, Role::System | Role::Developer);
    if req.messages.get(i).is_some_and(|m| is_system(m.role)) {
        return "system".to_owned();
    }
    let hoisted = req.messages[..i.min(req.messages.len())]
        .iter()
        .filter(|m| is_system(m.role))
        .count();
    format!("messages[{}]", i - hoisted)
}

/// The path of part `j` of message `i`: a content block (`messages[i].content[j]`), an OpenAI
/// tool call (`messages[i].tool_calls[k]`) or OpenAI `reasoning_content`.
pub(super) fn part(req: &ChatRequest, i: usize, j: usize) -> String {
    let msg = message(req, i);
    if anthropic(req) {
        return format!("{msg}.content[{j}]");
    }
    let parts = req.messages.get(i).map_or(&[][..], |m| &m.content[..]);
    let before = &parts[..j.min(parts.len())];
    match parts.get(j) {
        Some(Part::ToolCall(_)) => {
            let k = before
                .iter()
                .filter(|p| matches!(p, Part::ToolCall(_)))
                .count();
            format!("{msg}.tool_calls[{k}]")
        }
        Some(Part::Thinking { .. } | Part::RedactedThinking { .. }) => {
            format!("{msg}.reasoning_content")
        }
        _ => {
            let k = before.iter().filter(|p| is_openai_content(p)).count();
            format!("{msg}.content[{k}]")
        }
    }
}

/// Whether a part sits in OpenAI's `content` array (rather than beside it).
fn is_openai_content(part: &Part) -> bool {
    !matches!(
        part,
        Part::ToolCall(_) | Part::Thinking { .. } | Part::RedactedThinking { .. }
    )
}

/// The arguments of the tool call at part `j` of message `i`.
pub(super) fn tool_call_arguments(req: &ChatRequest, i: usize, j: usize) -> String {
    let call = part(req, i, j);
    if anthropic(req) {
        format!("{call}.input")
    } else {
        format!("{call}.function.arguments")
    }
}

/// The call id a tool result at part `j` of message `i` answers.
pub(super) fn tool_result_id(req: &ChatRequest, i: usize, j: usize) -> String {
    if anthropic(req) {
        format!("{}.tool_use_id", part(req, i, j))
    } else {
        format!("{}.tool_call_id", message(req, i))
    }
}

/// Part `k` inside the tool result at part `j` of message `i`. An OpenAI tool message holds a
/// single result whose parts are the message's `content`.
pub(super) fn tool_result_part(req: &ChatRequest, i: usize, j: usize, k: usize) -> String {
    if anthropic(req) {
        format!("{}.content[{k}]", part(req, i, j))
    } else {
        format!("{}.content[{k}]", message(req, i))
    }
}

/// The name field of a document at part `j` of message `i`.
pub(super) fn document_name(req: &ChatRequest, i: usize, j: usize) -> String {
    let doc = part(req, i, j);
    if anthropic(req) {
        format!("{doc}.title")
    } else {
        format!("{doc}.file.filename")
    }
}

/// A function definition field (`tools[k].function.<name>` / `tools[k].<name>`).
pub(super) fn tool_field(req: &ChatRequest, k: usize, name: &str) -> String {
    if anthropic(req) {
        format!("tools[{k}].{name}")
    } else {
        format!("tools[{k}].function.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{Message, ToolCall};

    fn msg(role: Role, content: Vec<Part>) -> Message {
        Message {
            role,
            content,
            name: None,
        }
    }

    fn text(t: &str) -> Part {
        Part::Text {
            text: t.into(),
            cache_control: None,
        }
    }

    fn call() -> Part {
        Part::ToolCall(ToolCall {
            id: "c".into(),
            name: "f".into(),
            arguments: "{}".into(),
        })
    }

    fn thinking() -> Part {
        Part::Thinking {
            text: "t".into(),
            signature: None,
        }
    }

    #[test]
    fn openai_paths_separate_content_tool_calls_and_reasoning() {
        let req = ChatRequest {
            messages: vec![
                msg(Role::System, vec![text("s")]),
                msg(
                    Role::Assistant,
                    vec![thinking(), text("a"), call(), text("b"), call()],
                ),
            ],
            source: Some(WireApi::OpenAiChat),
            ..ChatRequest::default()
        };
        assert_eq!(message(&req, 0), "messages[0]");
        assert_eq!(part(&req, 1, 0), "messages[1].reasoning_content");
        assert_eq!(part(&req, 1, 3), "messages[1].content[1]");
        assert_eq!(
            tool_call_arguments(&req, 1, 4),
            "messages[1].tool_calls[1].function.arguments"
        );
        assert_eq!(tool_result_part(&req, 1, 0, 2), "messages[1].content[2]");
        assert_eq!(tool_field(&req, 3, "strict"), "tools[3].function.strict");
        assert_eq!(field(&req, "user", "metadata.user_id"), "user");
    }

    #[test]
    fn anthropic_paths_skip_the_hoisted_system_prompt() {
        let req = ChatRequest {
            messages: vec![
                msg(Role::System, vec![text("s")]),
                msg(Role::User, vec![text("u")]),
                msg(Role::Assistant, vec![thinking(), call()]),
            ],
            source: Some(WireApi::AnthropicMessages),
            ..ChatRequest::default()
        };
        assert_eq!(message(&req, 0), "system");
        assert_eq!(part(&req, 2, 0), "messages[1].content[0]");
        assert_eq!(
            tool_call_arguments(&req, 2, 1),
            "messages[1].content[1].input"
        );
        assert_eq!(
            tool_result_id(&req, 1, 0),
            "messages[0].content[0].tool_use_id"
        );
        assert_eq!(document_name(&req, 1, 0), "messages[0].content[0].title");
        assert_eq!(field(&req, "user", "metadata.user_id"), "metadata.user_id");
    }
}
