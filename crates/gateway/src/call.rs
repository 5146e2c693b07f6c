//! A chat call's body: validated once, then turned into each candidate target's wire format —
//! forwarded with minimal patching when caller and target speak the same API (the fast path),
//! translated through the canonical model otherwise.

use std::borrow::Cow;

use bytes::Bytes;
use portcullis_config::TranslationMode;
use portcullis_llm::openai::{MaxTokensField, OpenAiBuildOptions};
use portcullis_llm::raw::RawObject;
use portcullis_llm::{ChatRequest, Converted, RequestError, WireApi};
use portcullis_providers::Provider;
use serde_json::value::RawValue;

use crate::context::InboundApi;
use crate::error::GatewayError;

/// How the upstream body was made, which decides how the response is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Same API on both sides: forwarded, response forwarded (inspected for usage only).
    Passthrough,
    /// Translated: the response is parsed into the canonical model and rendered for the caller.
    Translate,
}

/// The parsed body of a chat call (OpenAI chat completions or Anthropic messages).
pub(crate) struct ChatCall<'a> {
    pub api: InboundApi,
    pub wire: WireApi,
    raw: RawObject<'a>,
    body: &'a [u8],
    pub model: Cow<'a, str>,
    pub stream: bool,
    /// OpenAI `stream_options.include_usage` as the caller sent it.
    pub include_usage: bool,
    /// The canonical request, parsed the first time a target needs translation.
    canonical: Option<ChatRequest>,
}

impl<'a> ChatCall<'a> {
    /// Phase 3 of the chain: the body must be a JSON object with a string `model`; `stream`, if
    /// present, a boolean.
    pub fn parse(api: InboundApi, body: &'a [u8]) -> Result<ChatCall<'a>, GatewayError> {
        let wire = match api {
            InboundApi::AnthropicMessages => WireApi::AnthropicMessages,
            _ => WireApi::OpenAiChat,
        };
        let raw = RawObject::parse(body).map_err(GatewayError::InvalidRequest)?;
        let model = match raw.get("model") {
            None => return Err(invalid("`model` is required", "model")),
            Some(_) => raw
                .get_str("model")
                .filter(|m| !m.is_empty())
                .ok_or_else(|| invalid("`model` must be a non-empty string", "model"))?,
        };
        let model = Cow::Owned(model.into_owned());
        let stream = match raw.get("stream") {
            None => false,
            Some(v) if v.get() == "null" => false,
            Some(_) => raw
                .get_bool("stream")
                .ok_or_else(|| invalid("`stream` must be a boolean", "stream"))?,
        };
        let include_usage = raw
            .get("stream_options")
            .and_then(|v| serde_json::from_str::<StreamOptions>(v.get()).ok())
            .and_then(|o| o.include_usage)
            .unwrap_or(false);
        Ok(ChatCall {
            api,
            wire,
            raw,
            body,
            model,
            stream,
            include_usage,
            canonical: None,
        })
    }

    /// The canonical form of the request (parsed on first use).
    pub fn canonical(&mut self) -> Result<&ChatRequest, GatewayError> {
        if self.canonical.is_none() {
            let parsed = match self.wire {
                WireApi::AnthropicMessages => {
                    portcullis_llm::anthropic::parse_messages_request(self.body)
                }
                _ => portcullis_llm::openai::parse_chat_request(self.body),
            }
            .map_err(GatewayError::InvalidRequest)?;
            self.canonical = Some(parsed);
        }
        self.canonical
            .as_ref()
            .ok_or_else(|| GatewayError::Internal("canonical request missing".to_string()))
    }

    /// The body to send to `provider` for `upstream_model`, how it was made, and the request
    /// fields it leaves out. In strict mode a body that would leave fields out is refused.
    pub fn upstream_body(
        &mut self,
        provider: &Provider,
        upstream_model: &str,
        mode: TranslationMode,
    ) -> Result<(Bytes, Plan, Vec<String>), GatewayError> {
        if provider.wire() == self.wire {
            return Ok((
                self.passthrough_body(upstream_model)?,
                Plan::Passthrough,
                Vec::new(),
            ));
        }
        let request = self.canonical()?;
        let converted = build_for(provider, request, upstream_model)?;
        if mode == TranslationMode::Strict && !converted.dropped.is_empty() {
            return Err(GatewayError::StrictTranslation {
                provider: provider.name().to_string(),
                fields: converted.dropped,
            });
        }
        Ok((
            Bytes::from(converted.body),
            Plan::Translate,
            converted.dropped,
        ))
    }

    /// The caller's body with the upstream model name and, for OpenAI streams, the usage
    /// request. Nested content is copied, not re-serialised.
    fn passthrough_body(&self, upstream_model: &str) -> Result<Bytes, GatewayError> {
        let needs_model = self.model != upstream_model;
        let needs_usage = self.wire == WireApi::OpenAiChat && self.stream && !self.include_usage;
        if !needs_model && !needs_usage {
            return Ok(Bytes::copy_from_slice(self.body));
        }
        let mut raw = self.raw.clone();
        if needs_model {
            raw.set("model", to_raw(&upstream_model)?);
        }
        if needs_usage {
            // Keep any other stream option the caller set.
            let mut options = raw
                .get("stream_options")
                .and_then(|v| {
                    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(v.get()).ok()
                })
                .unwrap_or_default();
            options.insert("include_usage".to_string(), serde_json::Value::Bool(true));
            raw.set("stream_options", to_raw(&options)?);
        }
        Ok(Bytes::from(raw.to_vec()))
    }
}

#[derive(serde::Deserialize)]
struct StreamOptions {
    include_usage: Option<bool>,
}

fn invalid(message: &str, param: &str) -> GatewayError {
    GatewayError::InvalidRequest(RequestError::new(message, Some(param.to_string())))
}

fn to_raw<T: serde::Serialize + ?Sized>(value: &T) -> Result<Box<RawValue>, GatewayError> {
    serde_json::value::to_raw_value(value).map_err(|e| GatewayError::Internal(e.to_string()))
}

/// Translates a canonical request into `provider`'s wire format.
fn build_for(
    provider: &Provider,
    request: &ChatRequest,
    upstream_model: &str,
) -> Result<Converted, GatewayError> {
    let converted = match provider.wire() {
        WireApi::OpenAiChat => {
            let options = OpenAiBuildOptions {
                max_tokens_field: if provider.wants_max_completion_tokens() {
                    MaxTokensField::MaxCompletionTokens
                } else {
                    MaxTokensField::MaxTokens
                },
            };
            portcullis_llm::openai::build_chat_request(request, upstream_model, &options)
        }
        WireApi::AnthropicMessages => portcullis_llm::anthropic::build_messages_request(
            request,
            upstream_model,
            provider.default_max_tokens(),
        ),
        WireApi::GeminiGenerate => portcullis_llm::gemini::build_generate_request(request),
    };
    converted.map_err(GatewayError::NotTranslatable)
}
