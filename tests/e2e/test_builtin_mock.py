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


@pytest.mark.conformance("max_tokens", "usage", "finish_reasons", api="openai")
def test_openai_max_tokens_and_usage(gateway):
    client = gateway.openai()
    full = client.chat.completions.create(model="mock-echo",
                                          messages=[{"role": "user", "content": "a b c d e f"}])
    assert full.choices[0].message.content == "Echo: a b c d e f"
    u = full.usage
    assert u.prompt_tokens > 0 and u.completion_tokens > 0
    assert u.total_tokens == u.prompt_tokens + u.completion_tokens
    cut = client.chat.completions.create(model="mock-echo", max_tokens=2,
                                         messages=[{"role": "user", "content": "a b c d e f"}])
    # Four characters a token: two tokens leave "Echo: a ".
    assert (cut.choices[0].message.content, cut.choices[0].finish_reason) == ("Echo: a ", "length")


@pytest.mark.conformance("structured_output", api="openai")
def test_openai_json_schema_answer(gateway):
    schema = {"type": "object", "properties": {"echo": {"type": "string"}}, "required": ["echo"]}
    r = gateway.openai().chat.completions.create(
        model="mock-echo", messages=[{"role": "user", "content": "hi"}],
        response_format={"type": "json_schema", "json_schema": {"name": "echo", "schema": schema}})
    assert json.loads(r.choices[0].message.content) == {"echo": "Echo: hi"}


@pytest.mark.conformance("multi_turn", "max_tokens", "finish_reasons", api="anthropic")
def test_anthropic_multi_turn_and_max_tokens(gateway):
    client = gateway.anthropic()
    m = client.messages.create(model="mock-echo", max_tokens=100, messages=[
        {"role": "user", "content": "first"}, {"role": "assistant", "content": "Echo: first"},
        {"role": "user", "content": "second"}])
    assert (m.content[0].text, m.stop_reason) == ("Echo: second", "end_turn")
    m = client.messages.create(model="mock-echo", max_tokens=2,
                               messages=[{"role": "user", "content": "a b c d e f"}])
    assert (m.content[0].text, m.stop_reason) == ("Echo: a ", "max_tokens")


@pytest.mark.conformance("tool_choice", api="openai")
def test_openai_named_tool_choice(gateway):
    r = gateway.openai().chat.completions.create(
        model="mock-echo", tools=OPENAI_TOOLS, messages=[{"role": "user", "content": "time?"}],
        tool_choice={"type": "function", "function": {"name": "get_time"}})
    assert [c.function.name for c in r.choices[0].message.tool_calls] == ["get_time"]


@pytest.mark.conformance("tool_choice", "parallel_tool_calls", api="anthropic")
def test_anthropic_tool_choice_and_parallel_calls(gateway):
    client = gateway.anthropic()
    m = client.messages.create(model="mock-echo", max_tokens=100, tools=ANTHROPIC_TOOLS,
                               tool_choice={"type": "tool", "name": "get_time"},
                               messages=[{"role": "user", "content": "time?"}])
    assert [b.name for b in m.content if b.type == "tool_use"] == ["get_time"]
    m = client.messages.create(model="mock-echo", max_tokens=100, tools=ANTHROPIC_TOOLS,
                               messages=[{"role": "user", "content": "both [[mock:tool_calls=2]]"}])
    uses = [b for b in m.content if b.type == "tool_use"]
    assert [u.name for u in uses] == ["get_weather", "get_time"] and m.stop_reason == "tool_use"
    assert len({u.id for u in uses}) == 2


@pytest.mark.conformance("mid_stream_errors", api=["openai", "anthropic"])
def test_stream_cut_midway_ends_with_an_error_event(gateway):
    text = "a b c d e f g h [[mock:cut_after=4]]"
    got = []
    with pytest.raises(openai.APIError) as e:
        for c in gateway.openai().chat.completions.create(
                model="mock-echo", stream=True, messages=[{"role": "user", "content": text}]):
            got.append(c.choices[0].delta.content or "" if c.choices else "")
    assert not isinstance(e.value, openai.APIConnectionError), \
        "a failed stream must end with an error event, not a broken connection"
    assert "".join(got) and "Echo: a b c d e f g h".startswith("".join(got))
    with pytest.raises(anthropic.APIStatusError) as e:
        with gateway.anthropic().messages.stream(
                model="mock-echo", max_tokens=100,
                messages=[{"role": "user", "content": text}]) as s:
            for _ in s.text_stream:
                pass
    assert e.value.body["type"] == "error" and e.value.body["error"]["type"]
