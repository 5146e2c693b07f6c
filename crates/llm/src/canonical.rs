//! The canonical chat model: what every inbound API is parsed into and every provider request is
//! built from, and what every provider response is parsed into and every inbound response is
//! rendered from.
//!
//! It is a superset of the OpenAI Chat Completions, Anthropic Messages and Gemini
//! generateContent models. Where the three disagree, the canonical form follows the one that
//! carries the most information, and each converter documents what it does with the rest.
//! Nothing here performs I/O.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A chat request, independent of the API it arrived in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The model name the caller asked for (a public alias; the router picks the upstream model).
    pub model: String,
    /// The conversation, in order. System and developer prompts are messages with those roles
    /// (OpenAI allows them anywhere); converters for APIs with a single top-level system prompt
    /// hoist them, in order.
    pub messages: Vec<Message>,
    /// Upper bound on generated tokens (OpenAI `max_completion_tokens` / `max_tokens`, Anthropic
    /// `max_tokens`, Gemini `maxOutputTokens`). `None` = the provider's default (Anthropic requires
    /// one: the converter supplies a documented default).
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    /// Anthropic and Gemini only.
    pub top_k: Option<u32>,
    /// Stop sequences (OpenAI `stop`, Anthropic `stop_sequences`, Gemini `stopSequences`).
    pub stop: Vec<String>,
    /// OpenAI and Gemini only.
    pub presence_penalty: Option<f64>,
    /// OpenAI and Gemini only.
    pub frequency_penalty: Option<f64>,
    /// OpenAI and Gemini only.
    pub seed: Option<i64>,
    /// Number of choices (OpenAI `n`, Gemini `candidateCount`).
    pub n: Option<u32>,
    /// OpenAI `logprobs` / Gemini `responseLogprobs`.
    pub logprobs: Option<bool>,
    pub top_logprobs: Option<u32>,
    /// OpenAI `user`, Anthropic `metadata.user_id`.
    pub user: Option<String>,
    pub tools: Vec<Tool>,
    pub tool_choice: Option<ToolChoice>,
    /// `Some(false)` = at most one tool call per turn (OpenAI `parallel_tool_calls: false`,
    /// Anthropic `tool_choice.disable_parallel_tool_use: true`).
    pub parallel_tool_calls: Option<bool>,
    pub response_format: Option<ResponseFormat>,
    /// Reasoning / extended thinking request.
    pub reasoning: Option<Reasoning>,
    /// Whether the caller asked for a stream.
    pub stream: bool,
    /// Whether the caller asked for the usage chunk in the stream (OpenAI
    /// `stream_options.include_usage`). Portcullis always asks the upstream for usage; this only
    /// decides what the caller sees.
    pub stream_include_usage: bool,
    /// Top-level request fields this model has no place for, verbatim. A converter for the same
    /// API family as [`ChatRequest::source`] forwards them; any other converter reports each one
    /// as dropped.
    pub extra: Map<String, Value>,
    /// The API the request was parsed from (`None` when built in code).
    pub source: Option<WireApi>,
}

/// The wire APIs Portcullis parses and builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireApi {
    /// OpenAI Chat Completions (also Azure OpenAI and every OpenAI-compatible server).
    OpenAiChat,
    /// Anthropic Messages.
    AnthropicMessages,
    /// Google Gemini generateContent.
    GeminiGenerate,
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    /// In order. A user turn may hold `ToolResult` parts (Anthropic style); an assistant turn may
    /// hold `ToolCall` and `Thinking` parts interleaved with text.
    pub content: Vec<Part>,
    /// OpenAI `name` on a message (participant name). Dropped (and reported) elsewhere.
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    /// OpenAI's `developer` role: treated as a system prompt by providers without it.
    Developer,
    User,
    Assistant,
    /// An OpenAI `tool` message. Parsers may produce it; converters treat it like a user turn of
    /// `ToolResult` parts.
    Tool,
}

/// A piece of message content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    Text {
        text: String,
        /// Anthropic prompt-caching marker (`cache_control`), carried verbatim between Anthropic
        /// endpoints; dropped silently elsewhere (it changes cost, not meaning).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<Value>,
    },
    Image {
        source: MediaSource,
        /// OpenAI `detail` (`auto`, `low`, `high`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// A document such as a PDF (Anthropic `document`, OpenAI `file`, Gemini `inlineData`).
    Document {
        source: MediaSource,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// A tool invocation by the assistant.
    ToolCall(ToolCall),
    /// The result of a tool invocation, sent back by the caller.
    ToolResult(ToolResult),
    /// Model reasoning (Anthropic `thinking`, OpenAI-compatible `reasoning_content`, Gemini
    /// thought parts). `signature` must be sent back verbatim to Anthropic.
    Thinking {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
    },
    /// Anthropic `redacted_thinking`: opaque, carried back verbatim to Anthropic only.
    RedactedThinking { data: String },
}

/// Where the bytes of an image or a document are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MediaSource {
    /// A URL the provider fetches (http(s)). Gemini takes `gs://`, Files-API and public HTTPS
    /// URLs as `fileData` when their media type is known; its converter reports others as dropped.
    Url { url: String },
    /// Inline bytes, base64-encoded (no `data:` prefix).
    Base64 { media_type: String, data: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Provider-assigned id (Gemini assigns none: converters synthesise a stable one).
    pub id: String,
    pub name: String,
    /// The arguments as a JSON text, exactly as the model produced them (OpenAI carries a string;
    /// Anthropic and Gemini carry an object and are serialised compactly).
    pub arguments: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResult {
    /// The id of the `ToolCall` this answers.
    pub tool_call_id: String,
    /// The tool's name when known (Gemini needs it; OpenAI `tool` messages do not carry it, so the
    /// parser looks it up from the preceding assistant turn).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Text and image parts only.
    pub content: Vec<Part>,
    pub is_error: bool,
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the arguments (an object schema).
    pub parameters: Value,
    /// OpenAI `strict` function calling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    /// Anthropic `cache_control` on the tool definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides.
    Auto,
    /// No tool may be called.
    None,
    /// Some tool must be called (OpenAI `required`, Anthropic `any`, Gemini mode `ANY`).
    Required,
    /// This tool must be called.
    Tool { name: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    Text,
    /// Any valid JSON object.
    JsonObject,
    /// JSON matching a schema.
    JsonSchema {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        schema: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strict: Option<bool>,
    },
}

/// A request for model reasoning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reasoning {
    /// OpenAI `reasoning_effort` (`minimal`, `low`, `medium`, `high`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    /// Anthropic `thinking.budget_tokens`, Gemini `thinkingConfig.thinkingBudget`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_tokens: Option<u32>,
}

/// A complete (non-streamed) chat response, independent of the API it came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    pub id: String,
    /// The model the upstream says answered (may differ from the alias the caller used).
    pub model: String,
    /// Unix seconds.
    pub created: i64,
    /// At least one; more only when `n > 1` was asked of a provider that supports it.
    pub choices: Vec<Choice>,
    pub usage: Option<Usage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub index: u32,
    /// Text, `ToolCall`, `Thinking` and `RedactedThinking` parts in the order the model produced
    /// them.
    pub content: Vec<Part>,
    /// OpenAI `refusal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    pub finish_reason: Option<FinishReason>,
}

/// Why generation stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FinishReason {
    /// Natural end of turn (OpenAI `stop`, Anthropic `end_turn`, Gemini `STOP`).
    EndTurn,
    /// A stop sequence matched (OpenAI reports `stop`; Anthropic `stop_sequence` with the value).
    StopSequence { sequence: Option<String> },
    /// Token limit reached.
    Length,
    /// The model called one or more tools.
    ToolCalls,
    /// Blocked by the provider's safety system (OpenAI `content_filter`, Anthropic `refusal`,
    /// Gemini `SAFETY`/`RECITATION`/...).
    ContentFilter,
    /// Anthropic `pause_turn` and anything else without a better mapping, verbatim.
    Other { value: String },
}

/// Token usage, in OpenAI's convention: `input_tokens` counts every prompt token, cached ones
/// included (Anthropic's `input_tokens` excludes cache reads and writes; its converter adds them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Prompt tokens served from the provider's prompt cache.
    pub cached_input_tokens: u64,
    /// Prompt tokens written to the provider's prompt cache (Anthropic).
    pub cache_creation_input_tokens: u64,
    /// Output tokens spent on reasoning (included in `output_tokens`).
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Prompt plus completion tokens.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }

    /// Folds another report of the same call's usage into this one, field by field keeping the
    /// larger count. Use it for providers whose stream reports are cumulative but partial
    /// (Anthropic's `message_start` carries the input side, `message_delta` the output).
    pub fn merge_max(&mut self, other: &Usage) {
        self.input_tokens = self.input_tokens.max(other.input_tokens);
        self.output_tokens = self.output_tokens.max(other.output_tokens);
        self.cached_input_tokens = self.cached_input_tokens.max(other.cached_input_tokens);
        self.cache_creation_input_tokens = self
            .cache_creation_input_tokens
            .max(other.cache_creation_input_tokens);
        self.reasoning_tokens = self.reasoning_tokens.max(other.reasoning_tokens);
    }
}

/// One step of a streamed response, independent of the wire format.
///
/// Provider stream decoders turn upstream events into a sequence of these; inbound stream
/// encoders turn the sequence back into the caller's wire format. The sequence is always:
/// `Start`, then any number of content events, then `Finish` per choice, then at most one
/// `Usage`, then `End` — or an `Error` at any point, after which nothing follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    Start {
        id: String,
        model: String,
        created: i64,
    },
    /// Text appended to choice `choice`.
    TextDelta {
        choice: u32,
        text: String,
    },
    /// Reasoning text appended to choice `choice`.
    ThinkingDelta {
        choice: u32,
        text: String,
    },
    /// The signature closing a thinking block (Anthropic).
    ThinkingSignature {
        choice: u32,
        signature: String,
    },
    /// A new tool call starts; `index` numbers the calls of this choice from 0.
    ToolCallStart {
        choice: u32,
        index: u32,
        id: String,
        name: String,
    },
    /// More argument JSON text for tool call `index`.
    ToolCallDelta {
        choice: u32,
        index: u32,
        arguments: String,
    },
    /// OpenAI `refusal` text.
    RefusalDelta {
        choice: u32,
        text: String,
    },
    Finish {
        choice: u32,
        reason: FinishReason,
    },
    Usage(Usage),
    /// The upstream failed mid-stream (or sent an in-stream error event).
    Error(StreamError),
    /// The stream completed normally.
    End,
}

/// An error reported inside a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamError {
    pub kind: ErrorKind,
    pub message: String,
}

/// The family of an error, in terms every API can express. Inbound renderers map it to their
/// own type names (OpenAI `invalid_request_error`, Anthropic `invalid_request_error`, ...) and,
/// outside streams, to a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    InvalidRequest,
    Authentication,
    PermissionDenied,
    NotFound,
    RequestTooLarge,
    RateLimited,
    /// The provider is overloaded (Anthropic 529, Gemini 503).
    Overloaded,
    Timeout,
    /// Something failed in the upstream (5xx, garbage, cut stream).
    Upstream,
    /// Something failed inside Portcullis.
    Internal,
}

/// Embeddings request (OpenAI shape, the only inbound embeddings API).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingsRequest {
    pub model: String,
    pub input: EmbeddingsInput,
    /// `base64` when the caller wants little-endian f32 vectors base64-encoded (the default of the
    /// official OpenAI SDK), `float` otherwise.
    pub encoding_format: EncodingFormat,
    pub dimensions: Option<u32>,
    pub user: Option<String>,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingsInput {
    Text(String),
    Texts(Vec<String>),
    /// Pre-tokenised input (arrays of token ids): only OpenAI-family upstreams accept it.
    Tokens(Vec<u32>),
    TokenBatches(Vec<Vec<u32>>),
}

impl Default for EmbeddingsInput {
    fn default() -> Self {
        EmbeddingsInput::Texts(Vec::new())
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncodingFormat {
    #[default]
    Float,
    Base64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingsResponse {
    pub model: String,
    /// One vector per input, in input order.
    pub data: Vec<Vec<f32>>,
    pub usage: Option<Usage>,
}
