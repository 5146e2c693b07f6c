"""Fields a provider cannot take: named in a header (lenient) or refused with a 400 (strict)."""

from __future__ import annotations

import anthropic
import openai
import pytest

from harness.gateway import Gateway, base_config
from harness.upstream import UPSTREAMS, WITH_MOCK, Upstream, model_for

pytestmark = pytest.mark.gateway

# OpenAI fields with no Anthropic equivalent.
UNCARRIABLE = {"logprobs": True, "top_logprobs": 2, "presence_penalty": 0.5}


# Per inbound API: fields each provider cannot take (sent as request fields, named as dropped),
# and fields a provider of the caller's own API takes as they are.
CANNOT_TAKE = {
    "openai": {"anthropic": ({"logprobs": True, "presence_penalty": 0.5},
                             {"logprobs", "presence_penalty"}),
               "gemini": ({"user": "user-42"}, {"user"})},
    "anthropic": {**{k: ({"top_k": 5}, {"top_k"}) for k in ("openai", "compat", "azure", "mock")},
                  "gemini": ({"metadata": {"user_id": "user-42"}}, {"metadata.user_id"})},
}
CARRIED_AS_IS = {"openai": {"user": "user-42", "logprobs": True},
                 "anthropic": {"top_k": 5, "metadata": {"user_id": "user-42"}}}


@pytest.fixture(scope="module")
def strict_gateway(mocks, tmp_path_factory):
    """A gateway whose default translation mode is strict."""
    workdir = tmp_path_factory.mktemp("strict")
    gw = Gateway(workdir, base_config(mocks, workdir / "data", translation="strict")).start()
    yield gw
    gw.stop()


def upstream(kind, mocks) -> Upstream | None:
    return None if kind == "mock" else Upstream(kind, getattr(mocks, UPSTREAMS[kind][1]))


def call(gw, api: str, kind: str, fields: dict):
    """One chat call through the SDK of ``api`` with extra body fields; the raw response."""
    if api == "openai":
        return gw.openai().chat.completions.with_raw_response.create(
            model=model_for(kind), messages=[{"role": "user", "content": "hi"}],
            extra_body=fields)
    return gw.anthropic().messages.with_raw_response.create(
        model=model_for(kind), max_tokens=50, messages=[{"role": "user", "content": "hi"}],
        extra_body=fields)


def text_of(api: str, raw) -> str:
    r = raw.parse()
    return r.choices[0].message.content if api == "openai" else r.content[0].text


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


@pytest.mark.conformance("dropped_fields", api="openai")
@pytest.mark.parametrize("kind", WITH_MOCK)
def test_lenient_per_provider_openai_caller(kind, gateway, mocks):
    lenient_per_provider("openai", kind, gateway, mocks)


@pytest.mark.conformance("dropped_fields", api="anthropic")
@pytest.mark.parametrize("kind", WITH_MOCK)
def test_lenient_per_provider_anthropic_caller(kind, gateway, mocks):
    lenient_per_provider("anthropic", kind, gateway, mocks)


def lenient_per_provider(api, kind, gateway, mocks):
    up = upstream(kind, mocks)
    if kind in CANNOT_TAKE[api]:
        fields, names = CANNOT_TAKE[api][kind]
        raw = call(gateway, api, kind, fields)
        assert dropped(raw) >= names, dropped(raw)
        if up is not None:
            assert not set(fields) & set(up.body())
    else:
        fields = CARRIED_AS_IS[api]
        raw = call(gateway, api, kind, fields)
        assert dropped(raw) == set(), dropped(raw)
        if up is not None:
            assert {k: up.body().get(k) for k in fields} == fields
    assert text_of(api, raw).endswith("hi")


@pytest.mark.conformance("strict_mode", api="openai")
@pytest.mark.parametrize("kind", WITH_MOCK)
def test_strict_per_provider_openai_caller(kind, strict_gateway, mocks):
    strict_per_provider("openai", kind, strict_gateway, mocks)


@pytest.mark.conformance("strict_mode", api="anthropic")
@pytest.mark.parametrize("kind", WITH_MOCK)
def test_strict_per_provider_anthropic_caller(kind, strict_gateway, mocks):
    strict_per_provider("anthropic", kind, strict_gateway, mocks)


def strict_per_provider(api, kind, gw, mocks):
    up = upstream(kind, mocks)
    if kind in CANNOT_TAKE[api]:
        fields, names = CANNOT_TAKE[api][kind]
        error = openai.BadRequestError if api == "openai" else anthropic.BadRequestError
        with pytest.raises(error) as e:
            call(gw, api, kind, fields)
        body = e.value.body
        message = body["message"] if api == "openai" else body["error"]["message"]
        assert any(n in message for n in names), message
        if up is not None:
            assert up.chat_requests() == [], "a strict refusal must not reach the provider"
        # What the provider can take still goes through.
        assert text_of(api, call(gw, api, kind, {})).endswith("hi")
    else:
        fields = CARRIED_AS_IS[api]
        raw = call(gw, api, kind, fields)
        assert text_of(api, raw).endswith("hi") and dropped(raw) == set()
        if up is not None:
            assert {k: up.body().get(k) for k in fields} == fields
