"""Streams that arrive in awkward pieces, non-ASCII text, and concurrent callers."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.upstream import REAL, UPSTREAMS, model_for

pytestmark = pytest.mark.gateway

TEXT = "héllo wörld 世界 🚀 naïve café"


@pytest.mark.conformance("streaming_text", "streaming_usage", api="openai")
@pytest.mark.parametrize("kind", REAL)
def test_fragmented_utf8_stream_openai_sdk(kind, gateway):
    # The mock writes every SSE frame three bytes at a time: frames, lines and multi-byte
    # characters all arrive split across reads.
    chunks = gateway.openai().chat.completions.create(
        model=model_for(kind), stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": f"{TEXT} [[mock:fragment]]"}])
    got = list(chunks)
    assert "".join(c.choices[0].delta.content or "" for c in got if c.choices) == TEXT
    assert got[-1].usage.completion_tokens == len(TEXT.split())


@pytest.mark.conformance("streaming_text", api="anthropic")
@pytest.mark.parametrize("kind", REAL)
def test_fragmented_utf8_stream_anthropic_sdk(kind, gateway):
    with gateway.anthropic().messages.stream(
            model=model_for(kind), max_tokens=100,
            messages=[{"role": "user", "content": f"{TEXT} [[mock:fragment]]"}]) as s:
        assert "".join(s.text_stream) == TEXT


@pytest.mark.conformance("chat", "system", api="openai")
@pytest.mark.parametrize("kind", REAL)
def test_non_ascii_round_trip(kind, gateway, mocks):
    r = gateway.openai().chat.completions.create(
        model=model_for(kind), messages=[{"role": "system", "content": "Réponds en français"},
                                         {"role": "user", "content": TEXT}])
    assert r.choices[0].message.content == TEXT


def test_concurrent_callers_get_their_own_answers(gateway):
    kinds = REAL * 4

    def one(i: int) -> tuple[str, str]:
        text = f"caller {i} says hi"
        kind = kinds[i]
        if i % 2:
            with gateway.anthropic().messages.stream(
                    model=model_for(kind), max_tokens=100,
                    messages=[{"role": "user", "content": f"{text} [[mock:chunk_delay=0.01]]"}]) as s:
                return text, "".join(s.text_stream)
        r = gateway.openai().chat.completions.create(
            model=model_for(kind), messages=[{"role": "user", "content": text}])
        return text, r.choices[0].message.content

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(one, range(len(kinds))))
    assert all(want == got for want, got in results), results


@pytest.mark.parametrize("kind", REAL)
def test_caller_leaving_mid_stream_releases_the_upstream(kind, gateway, mocks):
    # A caller that hangs up must not keep the provider generating (and billing) tokens.
    mock = getattr(mocks, UPSTREAMS[kind][1])
    request_id = f"leave-{kind}"
    words = " ".join(f"w{i}" for i in range(40))
    stream = gateway.openai().chat.completions.create(
        model=model_for(kind), stream=True, extra_headers={"x-request-id": request_id},
        messages=[{"role": "user", "content": f"{words} [[mock:chunk_delay=0.1]]"}])
    for i, _ in enumerate(stream):
        if i == 3:
            break
    stream.close()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and mock.streams[-1]["state"] == "open":
        time.sleep(0.05)
    assert mock.streams[-1]["state"] == "client_gone", mock.streams
    rec = gateway.call(request_id)
    assert rec["stream"] is True and rec["error_kind"], rec
