//! Google Gemini API (`generativelanguage.googleapis.com`, v1beta): build `generateContent` and
//! `batchEmbedContents` bodies from canonical requests, parse its responses, stream chunks and
//! errors back into the canonical model.
//!
//! Only the body is built here: the provider client puts the model in the URL
//! (`models/{model}:generateContent`, `models/{model}:streamGenerateContent?alt=sse`,
//! `models/{model}:batchEmbedContents`) and sends the credentials.
//!
//! Decisions that shape what reaches Gemini (each is also stated where it is implemented):
//! * System and developer messages, wherever they appear, become `systemInstruction`, in order.
//! * Tool schemas are sent as `parametersJsonSchema` / `responseJsonSchema`, which take JSON
//!   Schema as it is (Gemini's older `parameters` / `responseSchema` fields take an OpenAPI subset
//!   and reject whole requests over keywords such as `additionalProperties`).
//! * Gemini calls carry no ids: tool call ids are synthesised deterministically from the response
//!   id (`call_<response id>_<n>`), and tool results are matched to calls by position and name.
//! * Gemini 3 rejects a function call replayed in history without its thought signature. Callers
//!   of the OpenAI and Anthropic APIs cannot hand one back, so the first function call of every
//!   model turn carries the documented validator-skipping signature instead.
//! * Images and documents by URL go as `fileData`, which Gemini fetches itself: `gs://`, Gemini
//!   Files API and (since January 2026) public or pre-signed HTTPS URLs whose file type is known
//!   from the extension. Any other URL is left out and reported as dropped.

mod embeddings;
mod error;
mod paths;
mod request;
mod response;
mod schema;
mod stream;
mod wire;

pub use embeddings::{build_embeddings_request, parse_embeddings_response};
pub use error::parse_error;
pub use request::build_generate_request;
pub use response::parse_generate_response;
pub use stream::GenerateStreamDecoder;

/// The `thoughtSignature` Gemini documents for function calls it did not sign itself (history
/// from another model or hand-built): it makes Gemini 3 skip its signature validation instead of
/// answering 400.
pub const SKIP_THOUGHT_SIGNATURE: &str = "skip_thought_signature_validator";
