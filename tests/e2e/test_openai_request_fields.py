"""OpenAI request fields beyond the basics, through the OpenAI SDK to every upstream.

Each test checks what the caller got and what the provider received: carried in the provider's
own terms, or, where the provider's API has no place for the field, named in the
``x-portcullis-dropped-fields`` header (lenient mode) instead of vanishing.
"""

from __future__ import annotations

import base64
import json

import pytest

from harness.upstream import REAL, UPSTREAMS, Upstream, model_for

pytestmark = [pytest.mark.gateway, pytest.mark.conformance(api="openai")]

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                   "required": ["location"]}}}]
PDF_B64 = base64.b64encode(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").decode()
ECHO_SCHEMA = {"type": "object", "properties": {"echo": {"type": "string"}},
               "required": ["echo"], "additionalProperties": False}


@pytest.fixture
def up(request, mocks):
    kind = request.node.callspec.params["kind"]
    return Upstream(kind, getattr(mocks, UPSTREAMS[kind][1]))


@pytest.fixture
def client(gateway):
    return gateway.openai()


def dropped(raw) -> set[str]:
    value = raw.headers.get("x-portcullis-dropped-fields") or ""
    return {f.strip() for f in value.split(",") if f.strip()}


def ask(client, kind, text="hello", **fields):
    """One chat call with extra request fields; returns the raw response (headers + parse())."""
    return client.chat.completions.with_raw_response.create(
        model=model_for(kind), messages=[{"role": "user", "content": text}], **fields)


@pytest.mark.conformance("documents")
@pytest.mark.parametrize("kind", REAL)
def test_pdf_file_part(kind, client, up):
    raw = client.chat.completions.with_raw_response.create(
        model=model_for(kind), messages=[{"role": "user", "content": [
            {"type": "text", "text": "summarise"},
            {"type": "file", "file": {"filename": "report.pdf",
                                      "file_data": f"data:application/pdf;base64,{PDF_B64}"}}]}])
    assert raw.parse().choices[0].message.content == "summarise [documents: 1]"
    assert up.documents() == [("application/pdf", PDF_B64)]


@pytest.mark.conformance("parallel_tool_calls_off", reported=["gemini"])
@pytest.mark.parametrize("kind", REAL)
def test_parallel_tool_calls_false(kind, client, up):
    raw = ask(client, kind, tools=TOOLS, parallel_tool_calls=False)
    assert raw.parse().choices[0].message.content == "hello"
    body = up.body()
    if up.wire == "openai":
        assert body["parallel_tool_calls"] is False
    elif up.wire == "anthropic":
        assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    else:
        # Gemini has no switch for it: the caller must be told.
        assert "parallel_tool_calls" in dropped(raw), dropped(raw)


@pytest.mark.conformance("structured_output")
@pytest.mark.parametrize("kind", REAL)
def test_json_schema_response_format(kind, client, up):
    raw = ask(client, kind, "give json", response_format={"type": "json_schema", "json_schema": {
        "name": "echo", "schema": ECHO_SCHEMA, "strict": True}})
    assert json.loads(raw.parse().choices[0].message.content) == {"echo": "give json"}
    body = up.body()
    if up.wire == "openai":
        assert body["response_format"]["json_schema"]["schema"] == ECHO_SCHEMA
    elif up.wire == "anthropic":
        assert body["output_config"]["format"] == {"type": "json_schema", "schema": ECHO_SCHEMA}
    else:
        gen = up.generation_config()
        assert gen["responseMimeType"] == "application/json"
        assert gen["responseJsonSchema"]["properties"] == ECHO_SCHEMA["properties"]
        assert gen["responseJsonSchema"]["required"] == ["echo"]
    assert not dropped(raw), dropped(raw)


@pytest.mark.conformance("sampling")
@pytest.mark.parametrize("kind", REAL)
def test_temperature_and_top_p(kind, client, up):
    raw = ask(client, kind, temperature=0.5, top_p=0.9)
    assert raw.parse().choices[0].message.content == "hello"
    assert up.generation() == {"temperature": 0.5, "top_p": 0.9}
    assert not dropped(raw), dropped(raw)


@pytest.mark.conformance("penalties_seed", reported=["anthropic"])
@pytest.mark.parametrize("kind", REAL)
def test_penalties_and_seed(kind, client, up):
    fields = {"presence_penalty": 0.5, "frequency_penalty": 0.25, "seed": 7}
    raw = ask(client, kind, **fields)
    assert raw.parse().choices[0].message.content == "hello"
    if up.wire == "anthropic":
        assert dropped(raw) >= set(fields), dropped(raw)
        assert not set(fields) & set(up.generation())
    else:
        assert up.generation() == fields
        assert not dropped(raw), dropped(raw)


@pytest.mark.conformance("logprobs", reported=["anthropic"])
@pytest.mark.parametrize("kind", REAL)
def test_logprobs_request(kind, client, up):
    raw = ask(client, kind, logprobs=True, top_logprobs=2)
    assert raw.parse().choices[0].message.content == "hello"
    body = up.body()
    if up.wire == "openai":
        assert (body["logprobs"], body["top_logprobs"]) == (True, 2)
    elif up.wire == "anthropic":
        assert dropped(raw) >= {"logprobs", "top_logprobs"}, dropped(raw)
    else:
        gen = up.generation_config()
        assert (gen["responseLogprobs"], gen["logprobs"]) == (True, 2)


@pytest.mark.conformance("reasoning")
@pytest.mark.parametrize("kind", REAL)
def test_reasoning_effort(kind, client, up):
    raw = ask(client, kind, reasoning_effort="low")
    assert raw.parse().choices[0].message.content == "hello"
    body = up.body()
    if up.wire == "openai":
        assert body["reasoning_effort"] == "low"
    elif up.wire == "anthropic":
        # docs/providers.md: low is a 1024-token thinking budget (Anthropic's minimum).
        assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
        assert body["max_tokens"] > 1024
    else:
        assert up.generation_config()["thinkingConfig"]["thinkingBudget"] == 1024
    assert not dropped(raw), dropped(raw)


# OpenAI and Azure never put reasoning text in a Chat Completions answer; DeepSeek-style
# compatible servers do (`reasoning_content`), Anthropic (thinking blocks) and Gemini (thought
# parts) do when asked.
@pytest.mark.conformance("thinking")
@pytest.mark.parametrize("kind", ["compat", "anthropic", "gemini"])
def test_thinking_reaches_the_caller_as_reasoning_content(kind, client, up):
    msgs = [{"role": "user", "content": "why [[mock:thinking]]"}]
    r = client.chat.completions.create(model=model_for(kind), messages=msgs,
                                       reasoning_effort="low")
    assert r.choices[0].message.content == "why"
    assert (r.choices[0].message.model_extra or {}).get("reasoning_content") == \
        "Thinking about: why"
    chunks = list(client.chat.completions.create(model=model_for(kind), messages=msgs,
                                                 reasoning_effort="low", stream=True))
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    assert "".join((d.model_extra or {}).get("reasoning_content") or "" for d in deltas) == \
        "Thinking about: why"
    assert "".join(d.content or "" for d in deltas) == "why"


@pytest.mark.conformance("user", reported=["gemini"])
@pytest.mark.parametrize("kind", REAL)
def test_user(kind, client, up):
    raw = ask(client, kind, user="user-42")
    assert raw.parse().choices[0].message.content == "hello"
    body = up.body()
    if up.wire == "openai":
        assert body["user"] == "user-42"
    elif up.wire == "anthropic":
        assert body["metadata"] == {"user_id": "user-42"}
    else:
        assert "user" in dropped(raw), dropped(raw)
