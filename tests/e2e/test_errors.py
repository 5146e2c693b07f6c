"""Every error case of the contract, in the shape of the API the caller used."""

from __future__ import annotations

import time

import anthropic
import httpx
import openai
import pytest

from harness.gateway import KEY
from harness.upstream import REAL, model_for

pytestmark = pytest.mark.gateway

OPENAI_ERROR_KEYS = {"message", "type", "param", "code"}


def chat(client, model, text, **kw):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}],
                                          **kw)


def message(client, model, text, **kw):
    return client.messages.create(model=model, max_tokens=100,
                                  messages=[{"role": "user", "content": text}], **kw)


def assert_openai_error(err: openai.APIStatusError, status: int) -> None:
    assert err.status_code == status, (err.status_code, err.body)
    assert isinstance(err.body, dict) and set(err.body) >= OPENAI_ERROR_KEYS, err.body
    assert err.body["message"]


def assert_anthropic_error(err: anthropic.APIStatusError, status: int) -> None:
    assert err.status_code == status, (err.status_code, err.body)
    assert err.body["type"] == "error" and err.body["error"]["type"] and err.body["error"]["message"]


# --- client errors ------------------------------------------------------------------------------
def test_bad_json_is_400(gateway):
    h = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    r = httpx.post(f"{gateway.url}/v1/chat/completions", content=b"{not json", headers=h)
    assert r.status_code == 400 and set(r.json()["error"]) >= OPENAI_ERROR_KEYS
    r = httpx.post(f"{gateway.url}/v1/messages", content=b"{not json",
                   headers={**h, "anthropic-version": "2023-06-01"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"


def test_missing_fields_are_400(gateway):
    with pytest.raises(openai.BadRequestError) as e:
        gateway.openai().chat.completions.create(model="openai/gpt-4o-mini", messages=[])
    assert_openai_error(e.value, 400)
    r = httpx.post(f"{gateway.url}/v1/chat/completions", json={"model": "openai/gpt-4o-mini"},
                   headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code == 400 and "messages" in r.json()["error"]["message"]
    with pytest.raises(anthropic.BadRequestError) as e:
        gateway.anthropic().messages.create(model="anthropic/claude-mock-1", max_tokens=10,
                                            messages=[{"role": "user", "content": [
                                                {"type": "no-such-block"}]}])
    assert_anthropic_error(e.value, 400)


def test_unknown_model_is_404(gateway):
    with pytest.raises(openai.NotFoundError) as e:
        chat(gateway.openai(), "no-such-model", "x")
    assert_openai_error(e.value, 404)
    assert "no-such-model" in e.value.body["message"]
    with pytest.raises(anthropic.NotFoundError) as e:
        message(gateway.anthropic(), "no-such-model", "x")
    assert_anthropic_error(e.value, 404)


def test_body_too_large_is_413(gateway):
    big = "x " * (600 * 1024)  # 1.2 MB > max_body_size 1MiB
    with pytest.raises(openai.APIStatusError) as e:
        chat(gateway.openai(), "openai/gpt-4o-mini", big)
    assert_openai_error(e.value, 413)
    with pytest.raises(anthropic.APIStatusError) as e:
        message(gateway.anthropic(), "openai/gpt-4o-mini", big)
    assert_anthropic_error(e.value, 413)


# --- upstream errors ----------------------------------------------------------------------------
@pytest.mark.conformance("errors", api=["openai", "anthropic"])
@pytest.mark.parametrize("kind", REAL)
def test_upstream_429_is_429(kind, gateway):
    with pytest.raises(openai.RateLimitError) as e:
        chat(gateway.openai(), model_for(kind), "[[mock:status=429]]")
    assert_openai_error(e.value, 429)
    with pytest.raises(anthropic.RateLimitError) as e:
        message(gateway.anthropic(), model_for(kind), "[[mock:status=429]]")
    assert_anthropic_error(e.value, 429)
    assert e.value.body["error"]["type"] == "rate_limit_error"


@pytest.mark.conformance("errors", api="openai")
@pytest.mark.parametrize("kind", REAL)
def test_upstream_server_error_is_502(kind, gateway):
    with pytest.raises(openai.APIStatusError) as e:
        chat(gateway.openai(), model_for(kind), "[[mock:status=500]]")
    assert_openai_error(e.value, 502)


@pytest.mark.conformance("errors", api=["openai", "anthropic"])
@pytest.mark.parametrize("kind", REAL)
def test_upstream_garbage_is_502(kind, gateway):
    with pytest.raises(openai.APIStatusError) as e:
        chat(gateway.openai(), model_for(kind), "[[mock:garbage]]")
    assert_openai_error(e.value, 502)
    with pytest.raises(anthropic.APIStatusError) as e:
        message(gateway.anthropic(), model_for(kind), "[[mock:garbage]]")
    assert_anthropic_error(e.value, 502)


@pytest.mark.conformance("errors", api="openai", provider="openai")
def test_upstream_truncated_body_is_502(gateway):
    with pytest.raises(openai.APIStatusError) as e:
        chat(gateway.openai(), "openai/gpt-4o-mini", "a b c [[mock:cut_after=1]]")
    assert_openai_error(e.value, 502)


@pytest.mark.conformance("errors", api="openai")
@pytest.mark.parametrize("kind", REAL)
def test_upstream_401_is_not_the_callers_401(kind, gateway):
    with pytest.raises(openai.APIStatusError) as e:
        chat(gateway.openai(), model_for(kind), "[[mock:status=401]]")
    assert e.value.status_code != 401 and e.value.status_code >= 500
    assert_openai_error(e.value, e.value.status_code)


@pytest.mark.conformance("errors", api="openai", provider="gemini")
def test_upstream_wrong_provider_key_is_not_401(gateway, mocks):
    mocks.gemini.enqueue(400, {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                                         "message": "API key not valid. Please pass a valid API key.",
                                         "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                                      "reason": "API_KEY_INVALID"}]}})
    with pytest.raises(openai.APIStatusError) as e:
        chat(gateway.openai(), model_for("gemini"), "x")
    assert e.value.status_code not in (400, 401), "a provider credential problem is the gateway's"


@pytest.mark.conformance("errors", api="openai", provider="openai")
def test_upstream_timeout_is_504(gateway):
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as e:
        chat(gateway.openai(), "short/gpt-4o-mini", "slow [[mock:delay=3]]")
    assert_openai_error(e.value, 504)
    assert time.monotonic() - started < 2.9, "the provider timeout (1s) was not applied"


@pytest.mark.conformance("errors", api="openai", provider="openai")
def test_upstream_timeout_before_a_stream_starts_is_504(gateway):
    with pytest.raises(openai.APIStatusError) as e:
        for _ in chat(gateway.openai(), "short/gpt-4o-mini", "slow [[mock:delay=3]]", stream=True):
            pass
    assert_openai_error(e.value, 504)


@pytest.mark.conformance("errors", api="openai", provider="anthropic")
@pytest.mark.conformance("errors", api="anthropic", provider="openai")
def test_stream_that_fails_before_starting_is_an_http_error(gateway):
    with pytest.raises(openai.RateLimitError):
        for _ in chat(gateway.openai(), "anthropic/claude-mock-1", "[[mock:status=429]]",
                      stream=True):
            pass
    with pytest.raises(anthropic.RateLimitError):
        with gateway.anthropic().messages.stream(
                model="openai/gpt-4o-mini", max_tokens=10,
                messages=[{"role": "user", "content": "[[mock:status=429]]"}]) as s:
            s.get_final_message()


# --- failures in the middle of a stream ---------------------------------------------------------
@pytest.mark.conformance("mid_stream_errors", api="openai")
@pytest.mark.parametrize("kind", REAL)
@pytest.mark.parametrize("scenario", ["cut_after=4", "error_event"])
def test_stream_failure_midway_openai_sdk(kind, scenario, gateway):
    got = []
    with pytest.raises(openai.APIError) as e:
        for c in chat(gateway.openai(), model_for(kind),
                      f"a b c d e f g h [[mock:{scenario}]]", stream=True):
            got.append(c.choices[0].delta.content or "" if c.choices else "")
    assert not isinstance(e.value, openai.APIConnectionError), \
        "the gateway must end a failed stream with an error event, not a broken connection"
    assert "".join(got) and "a b c d e f g h".startswith("".join(got))


@pytest.mark.conformance("mid_stream_errors", api="anthropic")
@pytest.mark.parametrize("kind", REAL)
@pytest.mark.parametrize("scenario", ["cut_after=4", "error_event"])
def test_stream_failure_midway_anthropic_sdk(kind, scenario, gateway):
    with pytest.raises(anthropic.APIStatusError) as e:
        with gateway.anthropic().messages.stream(
                model=model_for(kind), max_tokens=100,
                messages=[{"role": "user", "content": f"a b c d e f g h [[mock:{scenario}]]"}]) as s:
            for _ in s.text_stream:
                pass
    assert e.value.body["type"] == "error" and e.value.body["error"]["type"]

