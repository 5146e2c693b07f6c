"""A provider's "I stopped because of a filter" reaches the caller in the caller's terms:
OpenAI's ``content_filter`` finish reason, Anthropic's ``refusal`` stop reason, Gemini's
``SAFETY`` finish reason (docs/providers.md: "safety → content filter")."""

from __future__ import annotations

import pytest

from harness.upstream import REAL, UPSTREAMS, model_for

pytestmark = pytest.mark.gateway


def filtered_answer(kind: str) -> dict:
    """The provider's own non-streamed answer, cut short by its content filter."""
    wire = UPSTREAMS[kind][2]
    if wire == "openai":
        return {"id": "chatcmpl-filtered", "object": "chat.completion", "created": 1,
                "model": "gpt-4o-mini", "choices": [{
                    "index": 0, "message": {"role": "assistant", "content": "partial",
                                            "refusal": None},
                    "finish_reason": "content_filter", "logprobs": None}],
                "usage": {"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3}}
    if wire == "anthropic":
        return {"id": "msg_filtered", "type": "message", "role": "assistant",
                "model": "claude-mock-1", "content": [{"type": "text", "text": "partial"}],
                "stop_reason": "refusal", "stop_sequence": None,
                "usage": {"input_tokens": 2, "output_tokens": 1}}
    return {"candidates": [{"content": {"parts": [{"text": "partial"}], "role": "model"},
                            "finishReason": "SAFETY", "index": 0}],
            "usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 1,
                              "totalTokenCount": 3},
            "modelVersion": "gemini-2.5-flash", "responseId": "filtered"}


@pytest.mark.conformance("finish_reasons", api="openai")
@pytest.mark.parametrize("kind", REAL)
def test_filtered_answer_openai_caller(kind, gateway, mocks):
    getattr(mocks, UPSTREAMS[kind][1]).enqueue(200, filtered_answer(kind))
    r = gateway.openai().chat.completions.create(model=model_for(kind),
                                                 messages=[{"role": "user", "content": "x"}])
    assert (r.choices[0].finish_reason, r.choices[0].message.content) == \
        ("content_filter", "partial")


@pytest.mark.conformance("finish_reasons", api="anthropic")
@pytest.mark.parametrize("kind", REAL)
def test_filtered_answer_anthropic_caller(kind, gateway, mocks):
    getattr(mocks, UPSTREAMS[kind][1]).enqueue(200, filtered_answer(kind))
    m = gateway.anthropic().messages.create(model=model_for(kind), max_tokens=50,
                                            messages=[{"role": "user", "content": "x"}])
    assert (m.stop_reason, m.content[0].text) == ("refusal", "partial")
