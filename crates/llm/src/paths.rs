//! Where a canonical message or part came from in the caller's request, so that builders report
//! dropped fields with paths the caller recognises (`messages[2].content[1]`, `system[0]`).
//!
//! The parsers keep one canonical message per caller message, in order, with one exception:
//! Anthropic's top-level `system` becomes canonical message 0. OpenAI assistant messages put
//! `reasoning_content` first and `tool_calls` last among their parts.

use crate::canonical::{ChatRequest, Part, Role, WireApi};

/// The caller's path of canonical message `msg`.
pub(crate) fn message(req: &ChatRequest, msg: usize) -> String {
    if anthropic_system_offset(req) == 1 {
        if msg == 0 {
            return String::from("system");
        }
        return format!("messages[{}]", msg - 1);
    }
    format!("messages[{msg}]")
}

/// The caller's path of part `part` of canonical message `msg`.
pub(crate) fn part(req: &ChatRequest, msg: usize, part: usize) -> String {
    if anthropic_system_offset(req) == 1 && msg == 0 {
        return format!("system[{part}]");
    }
    let base = message(req, msg);
    if req.source != Some(WireApi::OpenAiChat) {
        return format!("{base}.content[{part}]");
    }
    let Some(message) = req.messages.get(msg) else {
        return format!("{base}.content[{part}]");
    };
    let parts = &message.content;
    match parts.get(part) {
        Some(Part::Thinking { .. }) => format!("{base}.reasoning_content"),
        Some(Part::ToolCall(_)) => {
            let k = parts
                .iter()
                .take(part)
                .filter(|p| matches!(p, Part::ToolCall(_)))
                .count();
            format!("{base}.tool_calls[{k}]")
        }
        Some(Part::ToolResult(_)) if message.role == Role::Tool => format!("{base}.content"),
        _ => {
            let k = parts
                .iter()
                .take(part)
                .filter(|p| !matches!(p, Part::Thinking { .. } | Part::ToolCall(_)))
                .count();
            format!("{base}.content[{k}]")
        }
    }
}

/// 1 when canonical message 0 is an Anthropic request's top-level `system`.
fn anthropic_system_offset(req: &ChatRequest) -> usize {
    let hoisted = req.source == Some(WireApi::AnthropicMessages)
        && req.messages.first().is_some_and(|m| m.role == Role::System);
    usize::from(hoisted)
}
