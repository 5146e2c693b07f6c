"""The call log: one record per call, with tokens and statuses, read through the admin API."""

from __future__ import annotations

import uuid

import httpx
import openai
import pytest

from harness.gateway import run_cli

pytestmark = pytest.mark.gateway


def rid() -> str:
    return f"e2e-{uuid.uuid4()}"


def test_chat_record(gateway):
    request_id = rid()
    r = gateway.openai().chat.completions.create(
        model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "one two three"}],
        extra_headers={"x-request-id": request_id})
    rec = gateway.call(request_id)
    assert rec["key_name"] == "team-a"
    assert rec["model"] == "openai/gpt-4o-mini"
    assert rec["provider"] == "openai" and rec["upstream_model"] == "gpt-4o-mini"
    assert rec["route"] == "openai/*"
    assert rec["status"] == 200 and not rec["error_kind"]
    assert rec["stream"] is False
    assert rec["prompt_tokens"] == r.usage.prompt_tokens == 4
    assert rec["completion_tokens"] == r.usage.completion_tokens == 3
    assert rec["latency_ms"] >= 0
    assert "openai" in str(rec["inbound_api"]).lower()


def test_stream_record_has_usage_even_when_caller_did_not_ask(gateway):
    request_id = rid()
    with gateway.openai().chat.completions.with_streaming_response.create(
            model="gemini/gemini-2.5-flash", stream=True,
            messages=[{"role": "user", "content": "a b c d [[mock:cached=2]]"}],
            extra_headers={"x-request-id": request_id}) as resp:
        for _ in resp.iter_lines():
            pass
    rec = gateway.call(request_id)
    assert rec["stream"] is True and rec["status"] == 200
    assert (rec["prompt_tokens"], rec["completion_tokens"], rec["cached_tokens"]) == (5, 4, 2)
    assert rec["ttfb_ms"] is not None and rec["ttfb_ms"] <= rec["latency_ms"]


def test_anthropic_inbound_record(gateway):
    request_id = rid()
    gateway.anthropic().messages.create(
        model="anthropic/claude-mock-1", max_tokens=10, extra_headers={"x-request-id": request_id},
        messages=[{"role": "user", "content": "w1 w2 [[mock:cached=1]]"}])
    rec = gateway.call(request_id)
    assert "anthropic" in str(rec["inbound_api"]).lower()
    # Stored in one convention: prompt tokens include the cached ones.
    assert (rec["prompt_tokens"], rec["cached_tokens"], rec["completion_tokens"]) == (3, 1, 2)


@pytest.mark.parametrize("text,status", [("[[mock:status=429]]", 429), ("[[mock:garbage]]", 502)])
def test_failed_call_records(gateway, text, status):
    request_id = rid()
    with pytest.raises(openai.APIStatusError):
        gateway.openai().chat.completions.create(
            model="compat/llama", messages=[{"role": "user", "content": text}],
            extra_headers={"x-request-id": request_id})
    rec = gateway.call(request_id)
    assert rec["status"] == status and rec["error_kind"]
    assert rec["provider"] == "compat"


def test_stream_cut_midway_is_logged_as_an_error(gateway):
    request_id = rid()
    with pytest.raises(openai.APIError):
        for _ in gateway.openai().chat.completions.create(
                model="anthropic/claude-mock-1", stream=True,
                messages=[{"role": "user", "content": "a b c d e f [[mock:cut_after=4]]"}],
                extra_headers={"x-request-id": request_id}):
            pass
    rec = gateway.call(request_id)
    assert rec["stream"] is True and rec["error_kind"], rec


def test_unknown_model_and_bad_key_are_logged(gateway):
    request_id = rid()
    with pytest.raises(openai.NotFoundError):
        gateway.openai().chat.completions.create(
            model="nope", messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-request-id": request_id})
    rec = gateway.call(request_id)
    assert rec["status"] == 404 and rec["error_kind"] and rec["key_name"] == "team-a"


def test_newest_first_and_limit(gateway):
    ids = [rid() for _ in range(3)]
    for i in ids:
        gateway.openai().chat.completions.create(model="mock-echo", extra_headers={
            "x-request-id": i}, messages=[{"role": "user", "content": "x"}])
    gateway.call(ids[-1])
    recent = [r["request_id"] for r in gateway.calls(limit=3)]
    assert recent == list(reversed(ids))


def test_admin_api_needs_the_token(gateway):
    assert httpx.get(f"{gateway.url}/admin/v1/calls").status_code == 401
    r = httpx.get(f"{gateway.url}/admin/v1/calls", headers={"Authorization": "Bearer sk-test-team-a"})
    assert r.status_code in (401, 403)


def test_calls_cli(gateway):
    request_id = rid()
    gateway.openai().chat.completions.create(model="mock-echo", extra_headers={
        "x-request-id": request_id}, messages=[{"role": "user", "content": "x"}])
    gateway.call(request_id)
    out = run_cli("calls", "--config", str(gateway.config_path), cwd=gateway.workdir)
    assert out.returncode == 0, out.stderr
    assert request_id in out.stdout
