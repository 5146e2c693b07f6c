"""The official OpenAI SDK against the gateway, for every upstream kind.

Each test drives one feature through ``/v1/chat/completions`` and checks both what the SDK got
back and what the provider (the mock) actually received.
"""

from __future__ import annotations

import json

import openai
import pytest

from harness.upstream import REAL, UPSTREAMS, WITH_MOCK, Upstream, model_for

pytestmark = [pytest.mark.gateway, pytest.mark.conformance(api="openai")]

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                   "required": ["location"]}}}, {"type": "function", "function": {
    "name": "get_time", "description": "Local time in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="


@pytest.fixture
def up(request, mocks):
    kind = request.node.callspec.params["kind"]
    if kind == "mock":
        return None
    return Upstream(kind, getattr(mocks, UPSTREAMS[kind][1]))


@pytest.fixture
def client(gateway):
    return gateway.openai()


@pytest.mark.conformance("chat", "finish_reasons")
@pytest.mark.conformance("system", "usage", "credentials", providers=REAL)
@pytest.mark.parametrize("kind", WITH_MOCK)
def test_chat_with_system_prompt(kind, client, up):
    raw = client.chat.completions.with_raw_response.create(
        model=model_for(kind), messages=[{"role": "system", "content": "You are terse."},
                                         {"role": "user", "content": "hello gateway"}])
    r = raw.parse()
    assert raw.headers.get("x-request-id")
    assert r.choices[0].finish_reason == "stop"
    assert r.choices[0].message.role == "assistant"
    if up is None:
        assert r.choices[0].message.content == "Echo: hello gateway"
        return
    assert r.choices[0].message.content == "hello gateway"
    assert (r.usage.prompt_tokens, r.usage.completion_tokens) == (3 + 2 + 1, 2)
    assert r.usage.total_tokens == 8
    assert up.system() == "You are terse."
    assert up.roles() == ["user"]
    assert up.upstream_model() == model_for(kind).split("/", 1)[1]
    up.assert_provider_credential()
    assert not raw.headers.get("x-portcullis-dropped-fields")
    if kind == "anthropic":
        assert up.rec().header("anthropic-version") == "2023-06-01"
    if kind == "azure":
        assert up.rec().query == {"api-version": "2024-10-21"}


@pytest.mark.conformance("streaming_text", "streaming_usage")
@pytest.mark.parametrize("kind", WITH_MOCK)
def test_stream_without_usage(kind, client, up):
    chunks = list(client.chat.completions.create(
        model=model_for(kind), stream=True,
        messages=[{"role": "user", "content": "one two three four"}]))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert [c for c in chunks if c.usage] == [], "usage chunk shown to a caller who did not ask"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    # A caller that did not ask for usage may index choices[0] on every chunk (many do): chunks
    # without a choice, like Azure's prompt-filter prelude, must not reach it.
    odd = [c for c in chunks if c.object != "chat.completion.chunk" or len(c.choices) != 1]
    assert odd == [], odd[0].model_dump() if odd else None
    if up is None:
        assert text == "Echo: one two three four"
        return
    assert text == "one two three four"
    assert up.streamed()
    if up.wire == "openai":
        assert up.include_usage(), "the gateway must always ask OpenAI-format upstreams for usage"


@pytest.mark.conformance("streaming_usage")
@pytest.mark.parametrize("kind", WITH_MOCK)
def test_stream_with_usage(kind, client, up):
    chunks = list(client.chat.completions.create(
        model=model_for(kind), stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "one two three"}]))
    usage = [c for c in chunks if c.usage]
    assert len(usage) == 1 and usage[0] is chunks[-1] and usage[0].choices == []
    if up is not None:
        assert (usage[0].usage.prompt_tokens, usage[0].usage.completion_tokens) == (4, 3)


@pytest.mark.conformance("multi_turn")
@pytest.mark.parametrize("kind", REAL)
def test_multi_turn(kind, client, up):
    r = client.chat.completions.create(model=model_for(kind), messages=[
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second question"}])
    assert r.choices[0].message.content == "second question"
    assert up.roles() == ["user", "assistant", "user"]


@pytest.mark.conformance("tools", "tool_results", "finish_reasons")
@pytest.mark.parametrize("kind", REAL)
def test_tool_call_and_result_round_trip(kind, client, up):
    model = model_for(kind)
    msgs = [{"role": "user", "content": "weather in Paris? [[mock:tool_call=get_weather]]"}]
    r = client.chat.completions.create(model=model, messages=msgs, tools=TOOLS)
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.id
    assert (call.function.name, json.loads(call.function.arguments)) == (
        "get_weather", {"location": "Paris"})
    assert sorted(up.tool_names()) == ["get_time", "get_weather"]
    msgs += [choice.message.model_dump(exclude_none=True),
             {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"}]
    r2 = client.chat.completions.create(model=model, messages=msgs, tools=TOOLS)
    assert r2.choices[0].message.content == "tool results: sunny, 21C"
    assert up.roles()[-2:] in (["assistant", "tool"], ["assistant", "user"])


@pytest.mark.conformance("parallel_tool_calls", "tool_results")
@pytest.mark.parametrize("kind", REAL)
def test_parallel_tool_calls(kind, client, up):
    model = model_for(kind)
    msgs = [{"role": "user", "content": "both [[mock:tool_call=get_weather,get_time]]"}]
    r = client.chat.completions.create(model=model, messages=msgs, tools=TOOLS)
    calls = r.choices[0].message.tool_calls
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]
    assert len({c.id for c in calls}) == 2, "tool call ids must be distinct"
    msgs += [r.choices[0].message.model_dump(exclude_none=True),
             {"role": "tool", "tool_call_id": calls[0].id, "content": "sunny"},
             {"role": "tool", "tool_call_id": calls[1].id, "content": "noon"}]
    r2 = client.chat.completions.create(model=model, messages=msgs, tools=TOOLS)
    assert r2.choices[0].message.content == "tool results: sunny; noon"


@pytest.mark.conformance("streaming_tool_calls", "parallel_tool_calls")
@pytest.mark.parametrize("kind", REAL)
def test_streamed_parallel_tool_calls(kind, client, up):
    stream = client.chat.completions.create(
        model=model_for(kind), tools=TOOLS, stream=True,
        messages=[{"role": "user", "content": "both [[mock:tool_call=get_weather,get_time]]"}])
    names, args, ids, finish = {}, {}, {}, None
    for c in stream:
        if not c.choices:
            continue
        finish = c.choices[0].finish_reason or finish
        for d in c.choices[0].delta.tool_calls or []:
            args[d.index] = args.get(d.index, "") + (d.function.arguments or "")
            if d.function.name:
                names[d.index] = d.function.name
            if d.id:
                ids[d.index] = d.id
    assert finish == "tool_calls"
    assert names == {0: "get_weather", 1: "get_time"}
    assert json.loads(args[0]) == {"location": "Paris"} and json.loads(args[1]) == {"city": "Paris"}
    assert len(set(ids.values())) == 2


@pytest.mark.conformance("images")
@pytest.mark.parametrize("kind", REAL)
def test_image_input(kind, client, up):
    r = client.chat.completions.create(model=model_for(kind), messages=[{"role": "user", "content": [
        {"type": "text", "text": "describe"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}}]}])
    assert r.choices[0].message.content == "describe [images: 1]"
    assert up.images() == [("image/png", PNG_B64)]


@pytest.mark.conformance("image_urls")
@pytest.mark.parametrize("kind", REAL)
def test_image_by_url(kind, client, up):
    url = "https://example.com/cat.png"
    try:
        raw = client.chat.completions.with_raw_response.create(
            model=model_for(kind), messages=[{"role": "user", "content": [
                {"type": "text", "text": "describe"},
                {"type": "image_url", "image_url": {"url": url}}]}])
    except openai.BadRequestError as e:
        # A provider that cannot take image URLs may be refused up front, with a reason.
        assert up.wire == "gemini" and "image" in e.body["message"].lower(), e.body
        assert up.chat_requests() == []
        return
    if up.image_urls() == [url]:
        assert raw.parse().choices[0].message.content == "describe [images: 1]"
    else:
        assert raw.headers.get("x-portcullis-dropped-fields"), "image dropped silently"


@pytest.mark.conformance("json_mode", reported=["anthropic"])
@pytest.mark.parametrize("kind", REAL)
def test_json_mode(kind, client, up):
    raw = client.chat.completions.with_raw_response.create(
        model=model_for(kind), response_format={"type": "json_object"},
        messages=[{"role": "user", "content": "give json"}])
    content = raw.parse().choices[0].message.content
    if up.wire == "anthropic":
        # Anthropic has no JSON mode: the gateway must not drop it silently.
        dropped = raw.headers.get("x-portcullis-dropped-fields", "")
        assert "response_format" in dropped or "JSON" in up.system().upper(), dropped
    else:
        assert json.loads(content) == {"echo": "give json"}


@pytest.mark.conformance("stop_sequences", "finish_reasons")
@pytest.mark.parametrize("kind", REAL)
def test_stop_sequences(kind, client, up):
    r = client.chat.completions.create(model=model_for(kind), stop=["END"],
                                       messages=[{"role": "user", "content": "alpha beta END gamma"}])
    assert r.choices[0].message.content == "alpha beta "
    assert r.choices[0].finish_reason == "stop"
    assert up.stop() == ["END"]


@pytest.mark.conformance("max_tokens", "finish_reasons")
@pytest.mark.parametrize("param", ["max_tokens", "max_completion_tokens"])
@pytest.mark.parametrize("kind", REAL)
def test_max_tokens_and_length_finish(kind, param, client, up):
    r = client.chat.completions.create(model=model_for(kind), **{param: 2},
                                       messages=[{"role": "user", "content": "a b c d e"}])
    assert (r.choices[0].message.content, r.choices[0].finish_reason) == ("a b", "length")
    assert up.max_tokens() == 2


@pytest.mark.conformance("max_tokens", provider="anthropic")
def test_anthropic_gets_default_max_tokens(client, mocks):
    client.chat.completions.create(model=model_for("anthropic"),
                                   messages=[{"role": "user", "content": "x"}])
    assert mocks.anthropic.last("/v1/messages").body["max_tokens"] == 1234


@pytest.mark.conformance("cached_tokens", "usage")
@pytest.mark.parametrize("kind", REAL)
def test_cached_tokens_are_reported(kind, client, up):
    r = client.chat.completions.create(model=model_for(kind), messages=[
        {"role": "user", "content": "w1 w2 w3 w4 [[mock:cached=3]]"}])
    # Anthropic reports cached tokens apart from input_tokens; OpenAI's prompt_tokens includes them.
    assert r.usage.prompt_tokens == 5
    assert r.usage.prompt_tokens_details.cached_tokens == 3


def test_alias_route(client, mocks):
    r = client.chat.completions.create(model="alias-fast",
                                       messages=[{"role": "user", "content": "via alias"}])
    assert r.choices[0].message.content == "via alias"
    assert mocks.openai.last("/chat/completions").body["model"] == "gpt-4o-mini"


@pytest.mark.conformance("tool_choice")
@pytest.mark.parametrize("choice,expected", [
    ("required", "required"),
    ({"type": "function", "function": {"name": "get_time"}}, ("tool", "get_time")),
    ("none", "none"),
])
@pytest.mark.parametrize("kind", REAL)
def test_tool_choice(kind, choice, expected, client, up):
    client.chat.completions.create(model=model_for(kind), tools=TOOLS, tool_choice=choice,
                                   messages=[{"role": "user", "content": "x"}])
    if expected == "none" and not up.tool_names():
        return  # leaving the tools out is an honest translation of "none"
    assert up.tool_choice() == expected


def test_fallback_to_next_target_on_retryable_error(client, mocks):
    mocks.compat.enqueue(503, {"error": {"message": "overloaded", "type": "server_error",
                                         "param": None, "code": None}})
    r = client.chat.completions.create(model="fallback",
                                       messages=[{"role": "user", "content": "still here"}])
    assert r.choices[0].message.content == "still here"
    assert [q.body["model"] for q in mocks.compat.requests] == ["flaky"]
    assert mocks.openai.last("/chat/completions").body["model"] == "gpt-4o-mini"


@pytest.mark.conformance("system", provider="anthropic")
def test_developer_and_multiple_system_messages(client, mocks):
    up = Upstream("anthropic", mocks.anthropic)
    client.chat.completions.create(model=model_for("anthropic"), messages=[
        {"role": "developer", "content": "Rule one."},
        {"role": "system", "content": [{"type": "text", "text": "Rule two."}]},
        {"role": "user", "content": "x"}])
    assert "Rule one." in up.system() and "Rule two." in up.system()
    assert up.roles() == ["user"]


@pytest.mark.conformance("n_choices", reported=["anthropic"])
@pytest.mark.parametrize("kind", REAL)
def test_n_choices(kind, client, up):
    raw = client.chat.completions.with_raw_response.create(
        model=model_for(kind), n=2, messages=[{"role": "user", "content": "a b"}])
    r = raw.parse()
    dropped = raw.headers.get("x-portcullis-dropped-fields") or ""
    if up.wire == "anthropic":
        # Anthropic answers one message per request: `n` cannot be carried, so it must be named.
        assert "n" in [f.strip() for f in dropped.split(",")], dropped
        assert len(r.choices) == 1
    else:
        assert [(c.index, c.message.content) for c in r.choices] == [(0, "a b"), (1, "a b")]
        assert r.usage.completion_tokens == 4


@pytest.mark.conformance("sampling", "dropped_fields", provider="anthropic")
def test_out_of_range_temperature_is_not_changed_silently(client, mocks):
    # OpenAI takes temperature up to 2, Anthropic up to 1: a gateway that clamps must say so
    # (lenient header); one that cannot carry the value may refuse it (400).
    try:
        raw = client.chat.completions.with_raw_response.create(
            model=model_for("anthropic"), temperature=1.5,
            messages=[{"role": "user", "content": "x"}])
    except openai.BadRequestError as e:
        assert "temperature" in e.value.body["message"]
        return
    sent = mocks.anthropic.last("/v1/messages").body.get("temperature")
    if sent != 1.5:
        assert "temperature" in (raw.headers.get("x-portcullis-dropped-fields") or ""), sent
