//! Pure translation between the AI provider APIs Portcullis speaks. No I/O happens here.
//!
//! * [`canonical`] — the provider-independent chat and embeddings model.
//! * [`openai`], [`anthropic`], [`gemini`] — each API's wire format: parse what arrives in it,
//!   build what is sent in it, render responses and errors in it, decode and encode its streams.
//! * [`sse`] — the incremental Server-Sent Events decoder and encoder.
//! * [`raw`] — a borrowed view of a JSON object's top level, for the same-format fast path that
//!   forwards a body without re-serialising it.
//!
//! Converters never drop a field silently: every builder returns the fields it could not carry
//! in [`Converted::dropped`], and the caller decides (strict mode rejects, lenient mode reports
//! them in a response header).

pub mod anthropic;
pub mod canonical;
pub mod error;
pub mod gemini;
pub mod openai;
pub mod raw;
pub mod sse;
pub mod stream;

#[doc(hidden)]
pub mod fuzzing;

mod extra;
mod ids;
mod json;
mod paths;
mod upstream_error;

pub use canonical::*;
pub use error::{ConvertError, RequestError, UpstreamError};
pub use stream::{StreamDecoder, StreamEncoder};

/// An upstream request body built from a canonical request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Converted {
    /// The serialised JSON body.
    pub body: Vec<u8>,
    /// Request fields (as JSON paths in the caller's API, e.g. `logprobs`, `messages[2].name`)
    /// that the target API cannot express and that were left out.
    pub dropped: Vec<String>,
}
