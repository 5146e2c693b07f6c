//! Server-Sent Events, incrementally decoded from arbitrary byte chunks, and encoded.

/// One event of an SSE stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, if the event had one.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}
