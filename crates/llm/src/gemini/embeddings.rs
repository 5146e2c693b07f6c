//! Embeddings through `models/{model}:batchEmbedContents`.

use serde::{Deserialize, Serialize};

use crate::Converted;
use crate::canonical::{EmbeddingsInput, EmbeddingsRequest, EmbeddingsResponse, Usage};
use crate::error::{ConvertError, UpstreamError};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchRequest<'a> {
    requests: Vec<EmbedRequest<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmbedRequest<'a> {
    model: &'a str,
    content: EmbedContent<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_dimensionality: Option<u32>,
}

#[derive(Serialize)]
struct EmbedContent<'a> {
    parts: [TextPart<'a>; 1],
}

#[derive(Serialize)]
struct TextPart<'a> {
    text: &'a str,
}

/// Builds the body of `models/{upstream_model}:batchEmbedContents`: one request per input text,
/// in input order, each naming the model (`models/<name>`, as the batch endpoint requires) and
/// asking for `outputDimensionality` when the caller set `dimensions`.
///
/// `encoding_format` is not sent (Gemini always answers floats; the gateway encodes for the
/// caller). `user` and every extra field are reported in `dropped`.
///
/// Fails with [`ConvertError`] (param `input`) for pre-tokenised input, which Gemini cannot
/// take, and for an empty list of texts.
pub fn build_embeddings_request(
    req: &EmbeddingsRequest,
    upstream_model: &str,
) -> Result<Converted, ConvertError> {
    let texts: Vec<&str> = match &req.input {
        EmbeddingsInput::Text(text) => vec![text.as_str()],
        EmbeddingsInput::Texts(texts) => texts.iter().map(String::as_str).collect(),
        EmbeddingsInput::Tokens(_) | EmbeddingsInput::TokenBatches(_) => {
            return Err(ConvertError::new(
                "input: Gemini embeddings take text only, not token ids",
                Some("input".to_owned()),
            ));
        }
    };
    if texts.is_empty() {
        return Err(ConvertError::new(
            "input: at least one text to embed is required",
            Some("input".to_owned()),
        ));
    }
    let model = if upstream_model.starts_with("models/") {
        upstream_model.to_owned()
    } else {
        format!("models/{upstream_model}")
    };
    let body = BatchRequest {
        requests: texts
            .into_iter()
            .map(|text| EmbedRequest {
                model: &model,
                content: EmbedContent {
                    parts: [TextPart { text }],
                },
                output_dimensionality: req.dimensions,
            })
            .collect(),
    };
    let mut dropped = Vec::new();
    if req.user.is_some() {
        dropped.push("user".to_owned());
    }
    dropped.extend(req.extra.keys().cloned());
    Ok(Converted {
        body: serde_json::to_vec(&body).map_err(|e| {
            ConvertError::new(format!("could not serialise the Gemini request: {e}"), None)
        })?,
        dropped,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchResponse {
    embeddings: Vec<ContentEmbedding>,
    #[serde(default)]
    usage_metadata: Option<EmbedUsage>,
}

#[derive(Deserialize)]
struct ContentEmbedding {
    values: Vec<f32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmbedUsage {
    #[serde(default)]
    prompt_token_count: u64,
}

/// Parses a successful `batchEmbedContents` answer: `embeddings[].values`, in input order.
///
/// The Gemini API reports no token usage for embeddings, so `usage` is `None`, unless the answer
/// carries a `usageMetadata.promptTokenCount` (as Vertex AI's does), which becomes input tokens.
/// `model` is the upstream model the request was sent to.
///
/// Fails with [`UpstreamError::malformed`] if the body has no `embeddings` array of vectors.
pub fn parse_embeddings_response(
    body: &[u8],
    model: &str,
) -> Result<EmbeddingsResponse, UpstreamError> {
    let response: BatchResponse = serde_json::from_slice(body).map_err(|e| {
        UpstreamError::malformed(format!(
            "Gemini answer is not a BatchEmbedContentsResponse: {e}"
        ))
    })?;
    Ok(EmbeddingsResponse {
        model: model.to_owned(),
        data: response.embeddings.into_iter().map(|e| e.values).collect(),
        usage: response.usage_metadata.map(|u| Usage {
            input_tokens: u.prompt_token_count,
            ..Usage::default()
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn texts_become_one_request_each() {
        let mut req = EmbeddingsRequest {
            model: "embed".into(),
            input: EmbeddingsInput::Texts(vec!["first".into(), "second".into()]),
            dimensions: Some(768),
            user: Some("u-1".into()),
            ..EmbeddingsRequest::default()
        };
        req.extra.insert("task".into(), json!("x"));
        let out = build_embeddings_request(&req, "gemini-embedding-001").unwrap();
        let body: Value = serde_json::from_slice(&out.body).unwrap();
        assert_eq!(
            body,
            json!({"requests": [
                {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "first"}]}, "outputDimensionality": 768},
                {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "second"}]}, "outputDimensionality": 768}
            ]})
        );
        assert_eq!(out.dropped, ["user", "task"]);
    }

    #[test]
    fn model_prefix_is_not_doubled() {
        let req = EmbeddingsRequest {
            input: EmbeddingsInput::Text("one".into()),
            ..EmbeddingsRequest::default()
        };
        let out = build_embeddings_request(&req, "models/text-embedding-004").unwrap();
        let body: Value = serde_json::from_slice(&out.body).unwrap();
        assert_eq!(body["requests"][0]["model"], "models/text-embedding-004");
        assert!(body["requests"][0].get("outputDimensionality").is_none());
    }

    #[test]
    fn token_ids_and_empty_input_are_rejected() {
        for input in [
            EmbeddingsInput::Tokens(vec![1, 2]),
            EmbeddingsInput::TokenBatches(vec![vec![1]]),
            EmbeddingsInput::Texts(vec![]),
        ] {
            let req = EmbeddingsRequest {
                input,
                ..EmbeddingsRequest::default()
            };
            let err = build_embeddings_request(&req, "m").unwrap_err();
            assert_eq!(err.param.as_deref(), Some("input"));
        }
    }

    #[test]
    fn vectors_are_parsed_in_order() {
        let body = br#"{"embeddings": [{"values": [0.25, -1.5]}, {"values": [3e-2, 0]}]}"#;
        let resp = parse_embeddings_response(body, "gemini-embedding-001").unwrap();
        assert_eq!(resp.data, vec![vec![0.25, -1.5], vec![0.03, 0.0]]);
        assert_eq!(resp.usage, None);
        assert_eq!(resp.model, "gemini-embedding-001");
        let body =
            br#"{"embeddings": [{"values": [1]}], "usageMetadata": {"promptTokenCount": 4}}"#;
        let resp = parse_embeddings_response(body, "m").unwrap();
        assert_eq!(resp.usage.map(|u| u.input_tokens), Some(4));
        assert!(parse_embeddings_response(br#"{"embedding": {"values": []}}"#, "m").is_err());
    }
}
