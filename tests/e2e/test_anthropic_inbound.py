"""The official Anthropic SDK against the gateway's ``/v1/messages``, for every upstream kind."""

from __future__ import annotations

import json

import pytest

from harness.upstream import REAL, UPSTREAMS, WITH_MOCK, Upstream, model_for

pytestmark = [pytest.mark.gateway, pytest.mark.conformance(api="anthropic")]

TOOLS = [{"name": "get_weather", "description": "Weather for a city", "input_schema": {
    "type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}},
    {"name": "get_time", "description": "Local time in a city", "input_schema": {
        "type": "object", "properties": {"city": {"type": "string"}}}}]
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="


@pytest.fixture
def up(request, mocks):
    kind = request.node.callspec.params["kind"]
    if kind == "mock":
        return None
    return Upstream(kind, getattr(mocks, UPSTREAMS[kind][1]))


@pytest.fixture
def client(gateway):
    return gateway.anthropic()


@pytest.mark.conformance("chat", "finish_reasons")
@pytest.mark.conformance("system", "usage", "max_tokens", "credentials", providers=REAL)
@pytest.mark.parametrize("kind", WITH_MOCK)
def test_message_with_system_prompt(kind, client, up):
    raw = client.messages.with_raw_response.create(
        model=model_for(kind), max_tokens=100, system="You are terse.",
        messages=[{"role": "user", "content": "hello gateway"}])
    m = raw.parse()
    assert raw.headers.get("x-request-id")
    assert m.type == "message" and m.role == "assistant" and m.stop_reason == "end_turn"
    if up is None:
        assert m.content[0].text == "Echo: hello gateway"
        return
    assert [b.type for b in m.content] == ["text"] and m.content[0].text == "hello gateway"
    assert (m.usage.input_tokens, m.usage.output_tokens) == (6, 2)
    assert up.system() == "You are terse."
    assert up.roles() == ["user"]
    assert up.max_tokens() == 100
    assert up.upstream_model() == model_for(kind).split("/", 1)[1]
    up.assert_provider_credential()


@pytest.mark.conformance("streaming_text", "streaming_usage")
@pytest.mark.parametrize("kind", WITH_MOCK)
def test_stream(kind, client, up):
    with client.messages.stream(model=model_for(kind), max_tokens=100, messages=[
            {"role": "user", "content": "one two three four"}]) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0
    if up is None:
        assert text == "Echo: one two three four"
        return
    assert text == "one two three four" and final.content[0].text == text
    # Anthropic streams always carry usage, so the gateway must get it from every upstream.
    assert (final.usage.input_tokens, final.usage.output_tokens) == (5, 4)
    assert up.streamed()
    if up.wire == "openai":
        assert up.include_usage()


@pytest.mark.conformance("streaming_text")
@pytest.mark.parametrize("kind", REAL)
def test_raw_stream_event_sequence(kind, client):
    events = [e.type for e in client.messages.create(
        model=model_for(kind), max_tokens=100, stream=True,
        messages=[{"role": "user", "content": "a b"}])]
    assert events[0] == "message_start" and events[-1] == "message_stop"
    assert events[-2] == "message_delta"
    assert "content_block_start" in events and "content_block_stop" in events
    assert events.count("content_block_start") == events.count("content_block_stop")


@pytest.mark.conformance("multi_turn")
@pytest.mark.parametrize("kind", REAL)
def test_multi_turn(kind, client, up):
    m = client.messages.create(model=model_for(kind), max_tokens=100, messages=[
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second question"}])
    assert m.content[0].text == "second question"
    assert up.roles() == ["user", "assistant", "user"]


@pytest.mark.conformance("tools", "tool_results", "finish_reasons")
@pytest.mark.parametrize("kind", REAL)
def test_tool_use_round_trip(kind, client, up):
    model = model_for(kind)
    msgs = [{"role": "user", "content": "weather? [[mock:tool_call=get_weather]]"}]
    m = client.messages.create(model=model, max_tokens=100, tools=TOOLS, messages=msgs)
    assert m.stop_reason == "tool_use"
    (use,) = [b for b in m.content if b.type == "tool_use"]
    assert (use.name, use.input) == ("get_weather", {"location": "Paris"}) and use.id
    assert sorted(up.tool_names()) == ["get_time", "get_weather"]
    msgs += [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in m.content]},
             {"role": "user", "content": [
                 {"type": "tool_result", "tool_use_id": use.id, "content": "sunny, 21C"}]}]
    m2 = client.messages.create(model=model, max_tokens=100, tools=TOOLS, messages=msgs)
    assert m2.content[0].text == "tool results: sunny, 21C"


@pytest.mark.conformance("parallel_tool_calls", "streaming_tool_calls", "tool_results")
@pytest.mark.parametrize("kind", REAL)
def test_parallel_tool_use_streamed(kind, client, up):
    model = model_for(kind)
    msgs = [{"role": "user", "content": "both [[mock:tool_call=get_weather,get_time]]"}]
    with client.messages.stream(model=model, max_tokens=100, tools=TOOLS, messages=msgs) as s:
        final = s.get_final_message()
    uses = [b for b in final.content if b.type == "tool_use"]
    assert final.stop_reason == "tool_use"
    assert [(u.name, u.input) for u in uses] == [("get_weather", {"location": "Paris"}),
                                                 ("get_time", {"city": "Paris"})]
    assert len({u.id for u in uses}) == 2
    msgs += [{"role": "assistant", "content": [u.model_dump(exclude_none=True) for u in uses]},
             {"role": "user", "content": [
                 {"type": "tool_result", "tool_use_id": uses[0].id, "content": "sunny"},
                 {"type": "tool_result", "tool_use_id": uses[1].id,
                  "content": [{"type": "text", "text": "noon"}]}]}]
    m2 = client.messages.create(model=model, max_tokens=100, tools=TOOLS, messages=msgs)
    assert m2.content[0].text == "tool results: sunny; noon"


@pytest.mark.conformance("images")
@pytest.mark.parametrize("kind", REAL)
def test_image_input(kind, client, up):
    m = client.messages.create(model=model_for(kind), max_tokens=100, messages=[
        {"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": PNG_B64}},
            {"type": "text", "text": "describe"}]}])
    assert m.content[0].text == "describe [images: 1]"
    assert up.images() == [("image/png", PNG_B64)]


@pytest.mark.conformance("stop_sequences", "finish_reasons")
@pytest.mark.parametrize("kind", REAL)
def test_stop_sequences(kind, client, up):
    m = client.messages.create(model=model_for(kind), max_tokens=100, stop_sequences=["END"],
                               messages=[{"role": "user", "content": "alpha beta END gamma"}])
    assert m.content[0].text == "alpha beta "
    assert up.stop() == ["END"]
    if up.wire == "anthropic":
        assert (m.stop_reason, m.stop_sequence) == ("stop_sequence", "END")
    else:
        # OpenAI and Gemini do not say which stop ended the text; end_turn is honest too.
        assert m.stop_reason in ("stop_sequence", "end_turn")


@pytest.mark.conformance("max_tokens", "finish_reasons")
@pytest.mark.parametrize("kind", REAL)
def test_max_tokens_stop_reason(kind, client, up):
    m = client.messages.create(model=model_for(kind), max_tokens=2,
                               messages=[{"role": "user", "content": "a b c d e"}])
    assert (m.content[0].text, m.stop_reason) == ("a b", "max_tokens")
    assert up.max_tokens() == 2


@pytest.mark.conformance("cached_tokens", "usage")
@pytest.mark.parametrize("kind", REAL)
def test_cached_tokens(kind, client, up):
    m = client.messages.create(model=model_for(kind), max_tokens=100, messages=[
        {"role": "user", "content": "w1 w2 w3 w4 [[mock:cached=3]]"}])
    # Anthropic semantics: input_tokens excludes the tokens read from cache.
    assert (m.usage.input_tokens, m.usage.cache_read_input_tokens) == (2, 3)


@pytest.mark.conformance("thinking", provider="anthropic")
def test_thinking_passes_through_from_anthropic(client):
    with client.messages.stream(model=model_for("anthropic"), max_tokens=100, messages=[
            {"role": "user", "content": "ponder [[mock:thinking]]"}]) as s:
        final = s.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].thinking == "Thinking about: ponder" and final.content[0].signature


@pytest.mark.conformance("streaming_tool_calls", provider="openai")
def test_tool_input_is_valid_json_for_openai_upstream_stream(client):
    events = list(client.messages.create(
        model=model_for("openai"), max_tokens=100, stream=True, tools=TOOLS,
        messages=[{"role": "user", "content": "[[mock:tool_call=get_weather]]"}]))
    partial = "".join(e.delta.partial_json for e in events
                      if e.type == "content_block_delta" and e.delta.type == "input_json_delta")
    assert json.loads(partial) == {"location": "Paris"}


@pytest.mark.conformance("tool_choice")
@pytest.mark.parametrize("choice,expected", [
    ({"type": "any"}, "required"),
    ({"type": "tool", "name": "get_time"}, ("tool", "get_time")),
    ({"type": "auto"}, "auto"),
    ({"type": "none"}, "none"),
])
@pytest.mark.parametrize("kind", REAL)
def test_tool_choice(kind, choice, expected, client, up):
    client.messages.create(model=model_for(kind), max_tokens=100, tools=TOOLS, tool_choice=choice,
                           messages=[{"role": "user", "content": "x"}])
    got = up.tool_choice()
    assert got == expected or (expected == "auto" and got is None)


@pytest.mark.conformance("system", provider="openai")
def test_system_as_blocks(client, mocks):
    up = Upstream("openai", mocks.openai)
    client.messages.create(model=model_for("openai"), max_tokens=100, system=[
        {"type": "text", "text": "Rule one."}, {"type": "text", "text": "Rule two."}],
        messages=[{"role": "user", "content": "x"}])
    assert "Rule one." in up.system() and "Rule two." in up.system()
