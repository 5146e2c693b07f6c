"""Anthropic request fields beyond the basics, through the Anthropic SDK to every upstream.

As in test_openai_request_fields.py: each field is carried in the provider's own terms, or named
in ``x-portcullis-dropped-fields`` where the provider's API has no place for it.
"""

from __future__ import annotations

import base64

import pytest

from harness.upstream import REAL, UPSTREAMS, Upstream, model_for

pytestmark = [pytest.mark.gateway, pytest.mark.conformance(api="anthropic")]

TOOLS = [{"name": "get_weather", "description": "Weather for a city", "input_schema": {
    "type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}]
PDF_B64 = base64.b64encode(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").decode()
OPENAI_WIRE = [k for k in REAL if UPSTREAMS[k][2] == "openai"]


@pytest.fixture
def up(request, mocks):
    kind = request.node.callspec.params["kind"]
    return Upstream(kind, getattr(mocks, UPSTREAMS[kind][1]))


@pytest.fixture
def client(gateway):
    return gateway.anthropic()


def dropped(raw) -> set[str]:
    value = raw.headers.get("x-portcullis-dropped-fields") or ""
    return {f.strip() for f in value.split(",") if f.strip()}


def ask(client, kind, content="hello", max_tokens=100, **fields):
    """One Messages call with extra request fields; returns the raw response."""
    return client.messages.with_raw_response.create(
        model=model_for(kind), max_tokens=max_tokens,
        messages=[{"role": "user", "content": content}], **fields)


@pytest.mark.conformance("image_urls")
@pytest.mark.parametrize("kind", REAL)
def test_image_by_url(kind, client, up):
    url = "https://example.com/cat.png"
    raw = ask(client, kind, [{"type": "image", "source": {"type": "url", "url": url}},
                             {"type": "text", "text": "describe"}])
    assert raw.parse().content[0].text == "describe [images: 1]"
    assert up.image_urls() == [url]


@pytest.mark.conformance("documents")
@pytest.mark.parametrize("kind", REAL)
def test_pdf_document(kind, client, up):
    raw = ask(client, kind, [
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                        "data": PDF_B64}},
        {"type": "text", "text": "summarise"}])
    assert raw.parse().content[0].text == "summarise [documents: 1]"
    assert up.documents() == [("application/pdf", PDF_B64)]


@pytest.mark.conformance("parallel_tool_calls_off", reported=["gemini"])
@pytest.mark.parametrize("kind", REAL)
def test_disable_parallel_tool_use(kind, client, up):
    raw = ask(client, kind, tools=TOOLS,
              tool_choice={"type": "auto", "disable_parallel_tool_use": True})
    assert raw.parse().content[0].text == "hello"
    body = up.body()
    if up.wire == "openai":
        assert body["parallel_tool_calls"] is False
    elif up.wire == "anthropic":
        assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    else:
        assert "tool_choice.disable_parallel_tool_use" in dropped(raw), dropped(raw)


@pytest.mark.conformance("sampling")
@pytest.mark.parametrize("kind", REAL)
def test_temperature_and_top_p(kind, client, up):
    # The 2.x SDK has no sampling arguments any more; the API still takes them in the body.
    raw = ask(client, kind, extra_body={"temperature": 0.5, "top_p": 0.9})
    assert raw.parse().content[0].text == "hello"
    assert up.generation() == {"temperature": 0.5, "top_p": 0.9}
    assert not dropped(raw), dropped(raw)


@pytest.mark.conformance("top_k", reported=OPENAI_WIRE)
@pytest.mark.parametrize("kind", REAL)
def test_top_k(kind, client, up):
    raw = ask(client, kind, extra_body={"top_k": 5})
    assert raw.parse().content[0].text == "hello"
    if up.wire == "openai":
        assert "top_k" in dropped(raw), dropped(raw)
        assert "top_k" not in up.body()
    else:
        assert up.generation() == {"top_k": 5}
        assert not dropped(raw), dropped(raw)


@pytest.mark.conformance("reasoning")
@pytest.mark.parametrize("kind", REAL)
def test_thinking_budget(kind, client, up):
    raw = ask(client, kind, max_tokens=4096,
              thinking={"type": "enabled", "budget_tokens": 2048})
    assert raw.parse().content[-1].text == "hello"
    body = up.body()
    if up.wire == "openai":
        # docs/providers.md: a budget under 4096 tokens is a low effort.
        assert body["reasoning_effort"] == "low"
    elif up.wire == "anthropic":
        assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    else:
        assert up.generation_config()["thinkingConfig"]["thinkingBudget"] == 2048
    assert not dropped(raw), dropped(raw)


# Where the answer's thinking comes from: reasoning_content (DeepSeek-style compatible servers),
# Anthropic thinking blocks, Gemini thought parts. OpenAI and Azure send none in Chat Completions.
@pytest.mark.conformance("thinking")
@pytest.mark.parametrize("kind", ["compat", "anthropic", "gemini"])
def test_thinking_blocks_in_answers(kind, client, up):
    kw = {"model": model_for(kind), "max_tokens": 4096,
          "thinking": {"type": "enabled", "budget_tokens": 2048},
          "messages": [{"role": "user", "content": "why [[mock:thinking]]"}]}
    m = client.messages.create(**kw)
    assert [(b.type, getattr(b, "thinking", None) or getattr(b, "text", None))
            for b in m.content] == [("thinking", "Thinking about: why"), ("text", "why")]
    with client.messages.stream(**kw) as s:
        final = s.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].thinking == "Thinking about: why" and final.content[1].text == "why"


@pytest.mark.conformance("user", reported=["gemini"])
@pytest.mark.parametrize("kind", REAL)
def test_metadata_user_id(kind, client, up):
    raw = ask(client, kind, metadata={"user_id": "user-42"})
    assert raw.parse().content[0].text == "hello"
    body = up.body()
    if up.wire == "openai":
        assert body["user"] == "user-42"
    elif up.wire == "anthropic":
        assert body["metadata"] == {"user_id": "user-42"}
    else:
        assert "metadata.user_id" in dropped(raw), dropped(raw)
