"""Streams carry more than text: finish reasons, stop sequences, cached-token usage and JSON,
through both SDKs and every upstream, exactly as their non-streamed answers do."""

from __future__ import annotations

import json

import pytest

from harness.upstream import REAL, UPSTREAMS, Upstream, model_for

pytestmark = pytest.mark.gateway


@pytest.fixture
def up(request, mocks):
    kind = request.node.callspec.params["kind"]
    return Upstream(kind, getattr(mocks, UPSTREAMS[kind][1]))


def openai_stream(gateway, kind, text, **kw):
    """(text, last finish reason, usage chunk or None) of one streamed chat completion."""
    chunks = list(gateway.openai().chat.completions.create(
        model=model_for(kind), stream=True, messages=[{"role": "user", "content": text}], **kw))
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and
              c.choices[0].finish_reason]
    usage = [c.usage for c in chunks if c.usage]
    return content, finish[-1] if finish else None, usage[-1] if usage else None


def anthropic_stream(gateway, kind, text, max_tokens=100, **kw):
    with gateway.anthropic().messages.stream(model=model_for(kind), max_tokens=max_tokens,
                                             messages=[{"role": "user", "content": text}],
                                             **kw) as s:
        return s.get_final_message()


@pytest.mark.conformance("max_tokens", "finish_reasons", "streaming_text", api="openai")
@pytest.mark.parametrize("kind", REAL)
def test_openai_stream_cut_by_max_tokens(kind, gateway, up):
    text, finish, _ = openai_stream(gateway, kind, "a b c d e", max_completion_tokens=2)
    assert (text, finish) == ("a b", "length")
    assert up.max_tokens() == 2 and up.streamed()


@pytest.mark.conformance("stop_sequences", "finish_reasons", "streaming_text", api="openai")
@pytest.mark.parametrize("kind", REAL)
def test_openai_stream_stop_sequence(kind, gateway, up):
    text, finish, _ = openai_stream(gateway, kind, "alpha beta END gamma", stop=["END"])
    assert (text, finish) == ("alpha beta ", "stop")
    assert up.stop() == ["END"]


@pytest.mark.conformance("cached_tokens", "streaming_usage", api="openai")
@pytest.mark.parametrize("kind", REAL)
def test_openai_stream_usage_with_cached_tokens(kind, gateway):
    _, _, usage = openai_stream(gateway, kind, "w1 w2 w3 w4 [[mock:cached=3]]",
                                stream_options={"include_usage": True})
    assert (usage.prompt_tokens, usage.completion_tokens) == (5, 4)
    assert usage.prompt_tokens_details.cached_tokens == 3


@pytest.mark.conformance("json_mode", api="openai", reported=["anthropic"])
@pytest.mark.parametrize("kind", REAL)
def test_openai_stream_json_mode(kind, gateway, up):
    raw = gateway.openai().chat.completions.with_raw_response.create(
        model=model_for(kind), stream=True, response_format={"type": "json_object"},
        messages=[{"role": "user", "content": "give json"}])
    text = "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)
    if up.wire == "anthropic":
        # No JSON mode at Anthropic: named as dropped, as for non-streamed calls.
        assert "response_format" in (raw.headers.get("x-portcullis-dropped-fields") or "")
    else:
        assert json.loads(text) == {"echo": "give json"}


@pytest.mark.conformance("max_tokens", "finish_reasons", "streaming_text", api="anthropic")
@pytest.mark.parametrize("kind", REAL)
def test_anthropic_stream_cut_by_max_tokens(kind, gateway, up):
    m = anthropic_stream(gateway, kind, "a b c d e", max_tokens=2)
    assert (m.content[0].text, m.stop_reason) == ("a b", "max_tokens")
    assert up.max_tokens() == 2 and up.streamed()


@pytest.mark.conformance("stop_sequences", "finish_reasons", "streaming_text", api="anthropic")
@pytest.mark.parametrize("kind", REAL)
def test_anthropic_stream_stop_sequence(kind, gateway, up):
    m = anthropic_stream(gateway, kind, "alpha beta END gamma", stop_sequences=["END"])
    assert m.content[0].text == "alpha beta "
    if up.wire == "anthropic":
        assert (m.stop_reason, m.stop_sequence) == ("stop_sequence", "END")
    else:
        assert m.stop_reason in ("stop_sequence", "end_turn")


@pytest.mark.conformance("cached_tokens", "streaming_usage", api="anthropic")
@pytest.mark.parametrize("kind", REAL)
def test_anthropic_stream_usage_with_cached_tokens(kind, gateway):
    m = anthropic_stream(gateway, kind, "w1 w2 w3 w4 [[mock:cached=3]]")
    # Anthropic semantics: input_tokens excludes the tokens read from cache.
    assert (m.usage.input_tokens, m.usage.cache_read_input_tokens, m.usage.output_tokens) == \
        (2, 3, 4)
