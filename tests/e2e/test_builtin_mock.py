"""The gateway's built-in ``mock`` provider (no network), through both SDKs.

Its behaviour is documented in crates/providers/src/mock.rs: ``Echo: <last user text>``,
``[[mock:...]]`` markers and ``mock-error-NNN`` / ``mock-garbage`` model names.
"""

from __future__ import annotations

import json

import anthropic
import openai
import pytest

pytestmark = [pytest.mark.gateway, pytest.mark.conformance(provider="mock")]

OPENAI_TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "parameters": {"type": "object", "properties": {
        "location": {"type": "string"}}, "required": ["location"]}}},
    {"type": "function", "function": {"name": "get_time", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}}}}]
ANTHROPIC_TOOLS = [{"name": t["function"]["name"], "input_schema": t["function"]["parameters"]}
                   for t in OPENAI_TOOLS]


@pytest.mark.conformance("tools", "tool_results", "finish_reasons", api="openai")
def test_openai_tool_round_trip(gateway):
    client = gateway.openai()
    msgs = [{"role": "user", "content": "weather [[mock:tool_call=get_weather]]"}]
    r = client.chat.completions.create(model="mock-echo", tools=OPENAI_TOOLS, messages=msgs)
    (call,) = r.choices[0].message.tool_calls
    assert r.choices[0].finish_reason == "tool_calls" and call.function.name == "get_weather"
    assert isinstance(json.loads(call.function.arguments)["location"], str)
    msgs += [r.choices[0].message.model_dump(exclude_none=True),
             {"role": "tool", "tool_call_id": call.id, "content": "sunny"}]
    r2 = client.chat.completions.create(model="mock-echo", tools=OPENAI_TOOLS, messages=msgs)
    assert r2.choices[0].message.content == "Tool results: sunny"


@pytest.mark.conformance("parallel_tool_calls", "streaming_tool_calls", api="openai")
def test_openai_parallel_tool_calls_streamed(gateway):
    names = {}
    for c in gateway.openai().chat.completions.create(
            model="mock-echo", tools=OPENAI_TOOLS, stream=True,
            messages=[{"role": "user", "content": "both [[mock:tool_calls=2]]"}]):
        for d in (c.choices[0].delta.tool_calls or []) if c.choices else []:
            if d.function.name:
                names[d.index] = d.function.name
    assert names == {0: "get_weather", 1: "get_time"}


@pytest.mark.conformance("multi_turn", "json_mode", api="openai")
def test_openai_multi_turn_and_json_mode(gateway):
    client = gateway.openai()
    r = client.chat.completions.create(model="mock-echo", messages=[
        {"role": "user", "content": "first"}, {"role": "assistant", "content": "Echo: first"},
        {"role": "user", "content": "second"}])
    assert r.choices[0].message.content == "Echo: second"
    r = client.chat.completions.create(model="mock-echo", response_format={"type": "json_object"},
                                       messages=[{"role": "user", "content": "hi"}])
    assert json.loads(r.choices[0].message.content) == {"echo": "Echo: hi"}


@pytest.mark.conformance("tools", "tool_results", "streaming_tool_calls",
                          "usage", "finish_reasons", api="anthropic")
def test_anthropic_tool_use_round_trip_streamed(gateway):
    client = gateway.anthropic()
    msgs = [{"role": "user", "content": "weather [[mock:tool_call=get_weather]]"}]
    with client.messages.stream(model="mock-echo", max_tokens=100, tools=ANTHROPIC_TOOLS,
                                messages=msgs) as s:
        final = s.get_final_message()
    (use,) = [b for b in final.content if b.type == "tool_use"]
    assert final.stop_reason == "tool_use" and use.name == "get_weather"
    msgs += [{"role": "assistant", "content": [use.model_dump(exclude_none=True)]},
             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                           "content": "sunny"}]}]
    m = client.messages.create(model="mock-echo", max_tokens=100, tools=ANTHROPIC_TOOLS,
                               messages=msgs)
    assert m.content[0].text == "Tool results: sunny"
    assert m.usage.input_tokens > 0 and m.usage.output_tokens > 0


@pytest.mark.conformance("errors", api=["openai", "anthropic"])
def test_failure_models(gateway):
    with pytest.raises(openai.RateLimitError):
        gateway.openai().chat.completions.create(model="mock-error-429",
                                                 messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.APIStatusError) as e:
        gateway.anthropic().messages.create(model="mock-garbage", max_tokens=10,
                                            messages=[{"role": "user", "content": "x"}])
    assert e.value.status_code == 502
