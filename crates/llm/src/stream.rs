//! The two halves of stream translation: decoders turn one upstream API's SSE events into
//! canonical [`StreamEvent`]s, encoders turn canonical events into one inbound API's SSE bytes.

use crate::canonical::StreamEvent;
use crate::sse::SseEvent;

/// Turns the SSE events of one upstream API into canonical stream events.
///
/// Contract: the first event produced is `Start` — or a lone `Error` when the upstream failed
/// before sending anything, so the gateway can still answer with an error status; the last is
/// `End` or `Error`, and after it the decoder produces nothing more. Malformed upstream data
/// produces `Error` (kind `Upstream`), never a panic.
pub trait StreamDecoder: Send {
    /// Feeds one upstream event; appends the canonical events it yields to `out`.
    fn on_event(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>);
    /// The upstream body ended. If the stream had not completed (no terminal event), appends an
    /// `Error` saying the stream was cut; appends nothing if it had.
    fn on_eof(&mut self, out: &mut Vec<StreamEvent>);
}

/// Turns canonical stream events into the SSE bytes of one inbound API.
pub trait StreamEncoder: Send {
    /// Appends the bytes for `event` (possibly none, possibly several SSE events) to `out`.
    fn encode(&mut self, event: &StreamEvent, out: &mut Vec<u8>);
}
