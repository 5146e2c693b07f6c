"""Embeddings through the gateway with the OpenAI SDK: float and base64 (the SDK's default)."""

from __future__ import annotations

import base64
import struct

import openai
import pytest

from mocks.base import fake_embedding

pytestmark = [pytest.mark.gateway, pytest.mark.conformance(api="openai")]

EMBED_MODELS = {
    "openai": "openai/text-embedding-3-small",
    "compat": "compat/bge-small",
    "azure": "azure/embedding-deployment",
    "gemini": "gemini/gemini-embedding-001",
    "mock": "mock-embed",
}


@pytest.fixture
def client(gateway):
    return gateway.openai()


@pytest.mark.conformance("embeddings_base64")
@pytest.mark.parametrize("kind", list(EMBED_MODELS))
def test_default_sdk_call_uses_base64_and_decodes(kind, client, mocks):
    r = client.embeddings.create(model=EMBED_MODELS[kind], input=["alpha", "beta"])
    assert [d.index for d in r.data] == [0, 1]
    assert all(isinstance(v, float) for v in r.data[0].embedding)
    if kind == "mock":
        assert r.data[0].embedding and r.data[0].embedding != r.data[1].embedding
        return
    assert r.data[0].embedding == fake_embedding("alpha", 8)
    assert r.data[1].embedding == fake_embedding("beta", 8)


@pytest.mark.conformance("embeddings_float")
@pytest.mark.parametrize("kind", list(EMBED_MODELS))
def test_float_format_and_dimensions(kind, client, mocks):
    r = client.embeddings.create(model=EMBED_MODELS[kind], input="alpha", encoding_format="float",
                                 dimensions=4)
    assert r.object == "list" and r.data[0].object == "embedding"
    assert len(r.data[0].embedding) == 4
    if kind != "mock":
        assert r.data[0].embedding == fake_embedding("alpha", 4)


@pytest.mark.conformance("embeddings_base64", provider="gemini")
def test_raw_base64_is_little_endian_float32(gateway):
    with gateway.http() as http:
        r = http.post("/v1/embeddings", headers={"Authorization": "Bearer sk-test-team-a"},
                      json={"model": EMBED_MODELS["gemini"], "input": "alpha",
                            "encoding_format": "base64"})
    assert r.status_code == 200, r.text
    blob = base64.b64decode(r.json()["data"][0]["embedding"])
    assert list(struct.unpack(f"<{len(blob) // 4}f", blob)) == fake_embedding("alpha", 8)


@pytest.mark.conformance("embeddings_base64", provider="gemini")
def test_gemini_receives_batch_embed_request(client, mocks):
    client.embeddings.create(model=EMBED_MODELS["gemini"], input=["a", "b"], dimensions=4)
    rec = mocks.gemini.last(":batchEmbedContents")
    assert rec.path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    reqs = rec.body["requests"]
    assert [r["model"] for r in reqs] == ["models/gemini-embedding-001"] * 2
    assert [r["content"]["parts"][0]["text"] for r in reqs] == ["a", "b"]
    assert [r.get("outputDimensionality", r.get("output_dimensionality")) for r in reqs] == [4, 4]


@pytest.mark.conformance("embeddings_base64", provider="azure")
def test_azure_receives_deployment_path(client, mocks):
    client.embeddings.create(model=EMBED_MODELS["azure"], input="a")
    rec = mocks.azure.last("/embeddings")
    assert rec.path == "/openai/deployments/embedding-deployment/embeddings"
    assert rec.query["api-version"] == "2024-10-21"


@pytest.mark.conformance("usage", provider="openai")
def test_usage_is_reported(client):
    r = client.embeddings.create(model=EMBED_MODELS["openai"], input=["one two", "three"])
    assert r.usage.prompt_tokens == 3 and r.usage.total_tokens == 3


@pytest.mark.conformance("embeddings_float", "embeddings_base64", provider="anthropic",
                         reported="anthropic")
@pytest.mark.parametrize("encoding", ["float", "base64"])
def test_anthropic_has_no_embeddings_and_says_so(encoding, client, mocks):
    with pytest.raises(openai.BadRequestError) as e:
        client.embeddings.create(model="anthropic/claude-mock-1", input="alpha",
                                 encoding_format=encoding)
    assert "embedding" in e.value.body["message"].lower(), e.value.body
    assert mocks.anthropic.requests == []
