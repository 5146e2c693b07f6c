"""Health, readiness, metrics, the model list, request ids and inbound authentication."""

from __future__ import annotations

import re

import anthropic
import httpx
import openai
import pytest

from harness.gateway import KEY, KEYS

pytestmark = pytest.mark.gateway


def test_health_and_ready(gateway):
    assert httpx.get(f"{gateway.url}/healthz").status_code == 200
    assert httpx.get(f"{gateway.url}/readyz").status_code == 200


def test_models_list_shows_routes(gateway):
    models = gateway.openai().models.list()
    ids = [m.id for m in models]
    assert "alias-fast" in ids
    assert all(m.object == "model" for m in models)


def test_models_list_needs_a_key(gateway):
    r = httpx.get(f"{gateway.url}/v1/models")
    assert r.status_code == 401
    assert set(r.json()["error"]) >= {"message", "type", "param", "code"}


def test_request_id_is_echoed_or_generated(gateway):
    with gateway.http() as http:
        body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}
        auth = {"Authorization": f"Bearer {KEY}"}
        r = http.post("/v1/chat/completions", json=body, headers={**auth, "x-request-id": "abc-123"})
        assert r.status_code == 200 and r.headers["x-request-id"] == "abc-123"
        r1 = http.post("/v1/chat/completions", json=body, headers=auth)
        r2 = http.post("/v1/chat/completions", json=body, headers=auth)
        assert r1.headers["x-request-id"] and r1.headers["x-request-id"] != r2.headers["x-request-id"]
        # Errors carry one too.
        r = http.post("/v1/chat/completions", json=body, headers={"x-request-id": "err-1"})
        assert r.status_code == 401 and r.headers["x-request-id"] == "err-1"


def test_every_accepted_key_header(gateway):
    body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}
    for headers in ({"Authorization": f"Bearer {KEY}"}, {"api-key": KEY}):
        path = "/v1/chat/completions"
        r = httpx.post(f"{gateway.url}{path}", json=body, headers=headers)
        assert r.status_code == 200, (headers, r.text)
    msg = {"model": "openai/gpt-4o-mini", "max_tokens": 10,
           "messages": [{"role": "user", "content": "x"}]}
    for headers in ({"x-api-key": KEY}, {"Authorization": f"Bearer {KEY}"}):
        r = httpx.post(f"{gateway.url}/v1/messages", json=msg,
                       headers={**headers, "anthropic-version": "2023-06-01"})
        assert r.status_code == 200, (headers, r.text)


def test_wrong_or_missing_key_is_401_in_each_api_format(gateway):
    with pytest.raises(openai.AuthenticationError) as e:
        gateway.openai(key="sk-wrong").chat.completions.create(
            model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    assert set(e.value.body) >= {"message", "type", "param", "code"}
    with pytest.raises(anthropic.AuthenticationError) as e:
        gateway.anthropic(key="sk-wrong").messages.create(
            model="openai/gpt-4o-mini", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert e.value.body["type"] == "error"
    assert e.value.body["error"]["type"] == "authentication_error"
    r = httpx.post(f"{gateway.url}/v1/messages", json={})
    assert r.status_code == 401 and r.json()["type"] == "error"


def test_key_scope_limits_models(gateway):
    scoped = gateway.openai(key=KEYS["team-b"])
    with pytest.raises(openai.APIStatusError) as e:
        scoped.chat.completions.create(model="openai/gpt-4o-mini",
                                       messages=[{"role": "user", "content": "x"}])
    assert e.value.status_code in (403, 404)
    ok = scoped.chat.completions.create(model="mock-echo",
                                        messages=[{"role": "user", "content": "x"}])
    assert ok.choices[0].message.content


def test_metrics_count_requests(gateway):
    gateway.openai().chat.completions.create(model="mock-echo",
                                             messages=[{"role": "user", "content": "x"}])
    text = gateway.metrics()
    counters = [line for line in text.splitlines()
                if not line.startswith("#") and re.match(r"^\w*request\w*_total\b", line)]
    assert counters, text[:2000]
    assert any(float(line.rsplit(" ", 1)[1]) >= 1 for line in counters)
    assert "# TYPE" in text
