//! OpenAI embeddings: requests parsed and built, responses parsed and rendered.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Converted;
use crate::canonical::{
    EmbeddingsInput, EmbeddingsRequest, EmbeddingsResponse, EncodingFormat, Usage,
};
use crate::error::{ConvertError, RequestError, UpstreamError};
use crate::json::{self, index};

/// Parses an OpenAI embeddings request (`POST /v1/embeddings`).
///
/// `input` may be a string, an array of strings, an array of token ids or an array of arrays of
/// token ids; `encoding_format` is `float` (the default) or `base64`. Other fields go to
/// `extra`. Fails with a [`RequestError`] naming the field for a missing `model`/`input`, a
/// mixed or ill-typed `input` array, or an unknown `encoding_format`.
pub fn parse_embeddings_request(body: &[u8]) -> Result<EmbeddingsRequest, RequestError> {
    let map = json::parse_object(body)?;
    let mut req = EmbeddingsRequest::default();
    let mut model = None;
    let mut input = None;
    for (key, value) in map {
        let k = key.as_str();
        match k {
            "model" => model = Some(json::string(value, k)?),
            "input" => input = Some(parse_input(value)?),
            "encoding_format" => {
                req.encoding_format = match json::opt_string(value, k)?.as_deref() {
                    None | Some("float") => EncodingFormat::Float,
                    Some("base64") => EncodingFormat::Base64,
                    Some(other) => {
                        return Err(json::invalid(
                            k,
                            format_args!("unknown value `{other}`; expected float or base64"),
                        ));
                    }
                }
            }
            "dimensions" => req.dimensions = json::opt_u32(value, k)?,
            "user" => req.user = json::opt_string(value, k)?,
            _ => {
                req.extra.insert(key, value);
            }
        }
    }
    req.model = model.ok_or_else(|| json::missing("model"))?;
    req.input = input.ok_or_else(|| json::missing("input"))?;
    Ok(req)
}

fn parse_input(value: Value) -> Result<EmbeddingsInput, RequestError> {
    const WHAT: &str =
        "a string, an array of strings, an array of token ids or an array of arrays of token ids";
    let items = match value {
        Value::String(s) => return Ok(EmbeddingsInput::Text(s)),
        Value::Array(items) => items,
        other => return Err(json::type_error("input", WHAT, &other)),
    };
    match items.first() {
        None | Some(Value::String(_)) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| json::string(v, &index("input", i)))
            .collect::<Result<_, _>>()
            .map(EmbeddingsInput::Texts),
        Some(Value::Number(_)) => tokens(items, "input").map(EmbeddingsInput::Tokens),
        Some(Value::Array(_)) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let path = index("input", i);
                tokens(json::array(v, &path)?, &path)
            })
            .collect::<Result<_, _>>()
            .map(EmbeddingsInput::TokenBatches),
        Some(other) => Err(json::type_error("input[0]", WHAT, other)),
    }
}

fn tokens(items: Vec<Value>, path: &str) -> Result<Vec<u32>, RequestError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let p = index(path, i);
            json::opt_u32(v, &p)?.ok_or_else(|| json::invalid(&p, "expected a token id"))
        })
        .collect()
}

/// Builds an OpenAI embeddings request for `upstream_model`. Always asks for `float` (the
/// gateway encodes base64 for the caller itself, so it can read the vectors); `extra` fields
/// are forwarded verbatim (embeddings requests only arrive in the OpenAI shape). Never fails at
/// present.
pub fn build_embeddings_request(
    req: &EmbeddingsRequest,
    upstream_model: &str,
) -> Result<Converted, ConvertError> {
    #[derive(Serialize)]
    struct Wire<'a> {
        model: &'a str,
        input: &'a EmbeddingsInput,
        encoding_format: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        dimensions: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        user: Option<&'a str>,
        #[serde(flatten)]
        extra: Extra<'a>,
    }
    struct Extra<'a>(&'a serde_json::Map<String, Value>);
    impl Serialize for Extra<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            const KNOWN: &[&str] = &["model", "input", "encoding_format", "dimensions", "user"];
            let mut map = serializer.serialize_map(None)?;
            for (k, v) in self.0.iter().filter(|(k, _)| !KNOWN.contains(&k.as_str())) {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }
    Ok(Converted {
        body: json::to_vec(&Wire {
            model: upstream_model,
            input: &req.input,
            encoding_format: "float",
            dimensions: req.dimensions,
            user: req.user.as_deref(),
            extra: Extra(&req.extra),
        }),
        dropped: Vec::new(),
    })
}

/// Parses an OpenAI embeddings response; vectors may be float arrays or base64 strings
/// (little-endian f32), and are put in `index` order.
///
/// Fails with [`UpstreamError::malformed`] for a body that is not an embeddings list, a base64
/// vector that does not decode to whole f32 values, a value that is not a finite f32, or indexes
/// that do not cover `0..n`.
pub fn parse_embeddings_response(body: &[u8]) -> Result<EmbeddingsResponse, UpstreamError> {
    #[derive(Deserialize)]
    struct Wire {
        data: Vec<Item>,
        #[serde(default)]
        model: Option<String>,
        #[serde(default)]
        usage: Option<WireUsage>,
    }
    #[derive(Deserialize)]
    struct Item {
        #[serde(default)]
        index: Option<usize>,
        embedding: Vector,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Vector {
        Floats(Vec<f32>),
        Base64(String),
    }
    #[derive(Deserialize)]
    struct WireUsage {
        #[serde(default)]
        prompt_tokens: Option<u64>,
    }
    let wire: Wire = serde_json::from_slice(body).map_err(|e| {
        UpstreamError::malformed(format!("the embeddings response is not valid: {e}"))
    })?;
    let n = wire.data.len();
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; n];
    for (position, item) in wire.data.into_iter().enumerate() {
        let i = item.index.unwrap_or(position);
        let vector = match item.embedding {
            Vector::Floats(v) => v,
            Vector::Base64(text) => decode_vector(&text).ok_or_else(|| {
                UpstreamError::malformed(format!("embedding {i} is not base64 little-endian f32"))
            })?,
        };
        if !vector.iter().all(|v| v.is_finite()) {
            // JSON cannot carry these back to the caller.
            return Err(UpstreamError::malformed(format!(
                "embedding {i} contains a value that is not a finite number"
            )));
        }
        match slots.get_mut(i) {
            Some(slot @ None) => *slot = Some(vector),
            _ => {
                return Err(UpstreamError::malformed(format!(
                    "embedding index {i} is out of range or repeated"
                )));
            }
        }
    }
    let data = slots
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| UpstreamError::malformed("the embeddings response skips an index"))?;
    Ok(EmbeddingsResponse {
        model: wire.model.unwrap_or_default(),
        data,
        usage: wire.usage.map(|u| Usage {
            input_tokens: u.prompt_tokens.unwrap_or(0),
            ..Usage::default()
        }),
    })
}

fn decode_vector(text: &str) -> Option<Vec<f32>> {
    let bytes = BASE64.decode(text).ok()?;
    if bytes.len() % 4 != 0 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

/// Renders embeddings in OpenAI's list shape for the caller: `{"object": "list", "data":
/// [{"object": "embedding", "index", "embedding"}], "model", "usage": {"prompt_tokens",
/// "total_tokens"}}`. With [`EncodingFormat::Base64`] each vector is its little-endian f32 bytes
/// base64-encoded, which is what the official SDKs request and decode by default.
pub fn render_embeddings_response(
    resp: &EmbeddingsResponse,
    model: &str,
    format: EncodingFormat,
) -> Vec<u8> {
    #[derive(Serialize)]
    struct Wire<'a> {
        object: &'static str,
        data: Vec<Item<'a>>,
        model: &'a str,
        usage: WireUsage,
    }
    #[derive(Serialize)]
    struct Item<'a> {
        object: &'static str,
        index: usize,
        embedding: Vector<'a>,
    }
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Vector<'a> {
        Floats(&'a [f32]),
        Base64(String),
    }
    #[derive(Serialize)]
    struct WireUsage {
        prompt_tokens: u64,
        total_tokens: u64,
    }
    let data = resp
        .data
        .iter()
        .enumerate()
        .map(|(index, vector)| Item {
            object: "embedding",
            index,
            embedding: match format {
                EncodingFormat::Float => Vector::Floats(vector),
                EncodingFormat::Base64 => Vector::Base64(encode_vector(vector)),
            },
        })
        .collect();
    let prompt = resp.usage.map_or(0, |u| u.input_tokens);
    json::to_vec(&Wire {
        object: "list",
        data,
        model,
        usage: WireUsage {
            prompt_tokens: prompt,
            total_tokens: prompt,
        },
    })
}

fn encode_vector(vector: &[f32]) -> String {
    let mut bytes = Vec::with_capacity(vector.len() * 4);
    for value in vector {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    BASE64.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_shapes() {
        let parse = |b: &str| parse_embeddings_request(b.as_bytes()).map(|r| r.input);
        assert_eq!(
            parse(r#"{"model":"m","input":"a"}"#),
            Ok(EmbeddingsInput::Text("a".into()))
        );
        assert_eq!(
            parse(r#"{"model":"m","input":["a","b"]}"#),
            Ok(EmbeddingsInput::Texts(vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            parse(r#"{"model":"m","input":[1,2]}"#),
            Ok(EmbeddingsInput::Tokens(vec![1, 2]))
        );
        assert_eq!(
            parse(r#"{"model":"m","input":[[1],[2,3]]}"#),
            Ok(EmbeddingsInput::TokenBatches(vec![vec![1], vec![2, 3]]))
        );
        let err = parse(r#"{"model":"m","input":["a",2]}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("input[1]"));
        let err = parse(r#"{"model":"m","input":[1,-2]}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("input[1]"));
        assert_eq!(
            parse(r#"{"model":"m"}"#).unwrap_err().param.as_deref(),
            Some("input")
        );
    }

    #[test]
    fn base64_round_trip_and_order() {
        let vector = [0.5f32, -1.25, 3.0e-8];
        let resp = EmbeddingsResponse {
            model: "m".into(),
            data: vec![vector.to_vec()],
            usage: Some(Usage {
                input_tokens: 4,
                ..Usage::default()
            }),
        };
        let body = render_embeddings_response(&resp, "alias", EncodingFormat::Base64);
        let parsed = parse_embeddings_response(&body).unwrap();
        assert_eq!(parsed.data, vec![vector.to_vec()]);
        assert_eq!(parsed.usage.map(|u| u.input_tokens), Some(4));
        let body = br#"{"object":"list","data":[{"index":1,"embedding":[2.0]},{"index":0,"embedding":[1.0]}],"model":"m"}"#;
        assert_eq!(
            parse_embeddings_response(body).unwrap().data,
            vec![vec![1.0], vec![2.0]]
        );
        let body = br#"{"data":[{"index":1,"embedding":[2.0]}]}"#;
        assert!(parse_embeddings_response(body).is_err());
    }

    #[test]
    fn build_asks_for_floats_and_forwards_extra() {
        let req = parse_embeddings_request(
            br#"{"model":"alias","input":"hi","encoding_format":"base64","dimensions":256,"custom":1}"#,
        )
        .unwrap();
        assert_eq!(req.encoding_format, EncodingFormat::Base64);
        let built = build_embeddings_request(&req, "text-embedding-3-small").unwrap();
        assert_eq!(
            String::from_utf8(built.body).unwrap(),
            r#"{"model":"text-embedding-3-small","input":"hi","encoding_format":"float","dimensions":256,"custom":1}"#
        );
    }
}
