"""Fields a provider cannot take: named in a header (lenient) or refused with a 400 (strict)."""

from __future__ import annotations

import anthropic
import openai
import pytest

from harness.gateway import Gateway, base_config

pytestmark = pytest.mark.gateway

# OpenAI fields with no Anthropic equivalent.
UNCARRIABLE = {"logprobs": True, "top_logprobs": 2, "presence_penalty": 0.5}


def dropped(raw) -> set[str]:
    value = raw.headers.get("x-portcullis-dropped-fields") or ""
    return {f.strip() for f in value.split(",") if f.strip()}


@pytest.mark.conformance("dropped_fields", api="openai", provider="anthropic")
def test_lenient_names_dropped_fields(gateway, mocks):
    raw = gateway.openai().chat.completions.with_raw_response.create(
        model="anthropic/claude-mock-1", messages=[{"role": "user", "content": "hi"}],
        **UNCARRIABLE)
    assert raw.parse().choices[0].message.content == "hi"
    assert dropped(raw) >= {"logprobs", "top_logprobs", "presence_penalty"}, dropped(raw)
    sent = mocks.anthropic.last("/v1/messages").body
    assert not set(UNCARRIABLE) & set(sent)


@pytest.mark.conformance("dropped_fields", api="openai", provider="openai")
def test_no_header_when_nothing_is_dropped(gateway):
    raw = gateway.openai().chat.completions.with_raw_response.create(
        model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], **UNCARRIABLE)
    assert raw.headers.get("x-portcullis-dropped-fields") is None


@pytest.mark.conformance("dropped_fields", api="anthropic", provider="openai")
@pytest.mark.conformance("top_k", api="anthropic", provider="openai", reported="openai")
def test_anthropic_inbound_to_openai_reports_dropped(gateway, mocks):
    raw = gateway.anthropic().messages.with_raw_response.create(
        model="openai/gpt-4o-mini", max_tokens=50, messages=[{"role": "user", "content": "hi"}],
        extra_body={"top_k": 5})
    assert raw.parse().content[0].text == "hi"
    assert "top_k" in dropped(raw)
    assert "top_k" not in mocks.openai.last("/chat/completions").body


@pytest.mark.conformance("strict_mode", api="openai", provider="anthropic")
def test_strict_route_rejects_with_field_name(gateway, mocks):
    with pytest.raises(openai.BadRequestError) as e:
        gateway.openai().chat.completions.create(
            model="strict/claude-mock-1", messages=[{"role": "user", "content": "hi"}],
            logprobs=True)
    assert "logprobs" in e.value.body["message"]
    assert mocks.anthropic.requests == [], "a strict refusal must not reach the provider"


@pytest.mark.conformance("strict_mode", api="openai", provider="anthropic")
def test_strict_route_allows_carriable_requests(gateway):
    r = gateway.openai().chat.completions.create(
        model="strict/claude-mock-1", messages=[{"role": "user", "content": "fine"}])
    assert r.choices[0].message.content == "fine"


@pytest.mark.conformance("strict_mode", api="anthropic", provider="gemini")
@pytest.mark.conformance("strict_mode", api="openai", provider="anthropic")
def test_global_strict_mode(mocks, tmp_path):
    gw = Gateway(tmp_path, base_config(mocks, tmp_path / "data", translation="strict")).start()
    try:
        with pytest.raises(anthropic.BadRequestError) as e:
            gw.anthropic().messages.create(
                model="gemini/gemini-2.5-flash", max_tokens=50, extra_body={"top_k": 5},
                messages=[{"role": "user", "content": "hi"}],
                metadata={"user_id": "u1"})
        assert "metadata" in e.value.body["error"]["message"] or \
            "top_k" in e.value.body["error"]["message"]
        assert mocks.gemini.requests == []
        with pytest.raises(openai.BadRequestError) as e:
            gw.openai().chat.completions.create(
                model="anthropic/claude-mock-1", messages=[{"role": "user", "content": "hi"}],
                logprobs=True)
        assert "logprobs" in e.value.body["message"]
    finally:
        gw.stop()
