//! Field paths in the caller's API, for `Converted::dropped` and error `param`s: the crate's
//! message and part paths (see [`crate::paths`]) plus the few deeper fields only the Gemini
//! builder reports.

use crate::canonical::{ChatRequest, WireApi};

pub(super) use crate::paths::{message, part};

/// Whether paths are written in Anthropic Messages terms (else OpenAI Chat Completions terms,
/// also used for requests built in code).
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
    use crate::canonical::{Message, Part, Role, ToolCall};

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
