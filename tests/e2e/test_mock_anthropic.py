"""The Anthropic mock, validated with the official ``anthropic`` SDK directly (no gateway)."""

from __future__ import annotations

import anthropic
import pytest

from conftest import UPSTREAM_KEYS

TOOLS = [{"name": "get_weather", "description": "Weather for a city", "input_schema": {
    "type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}},
    {"name": "get_time", "description": "Time", "input_schema": {
        "type": "object", "properties": {"city": {"type": "string"}}}}]
PNG = "iVBORw0KGgo="


@pytest.fixture
def client(mocks):
    return anthropic.Anthropic(api_key=UPSTREAM_KEYS["anthropic"], base_url=mocks.anthropic.base,
                               max_retries=0)


def test_message_and_request_headers(client, mocks):
    m = client.messages.create(model="claude-mock-1", max_tokens=100, system="Be brief.",
                               messages=[{"role": "user", "content": "hello there"}])
    assert m.content[0].text == "hello there" and m.stop_reason == "end_turn"
    assert m.usage.input_tokens == 2 + 2 + 1 and m.usage.output_tokens == 2
    rec = mocks.anthropic.last("/v1/messages")
    key = UPSTREAM_KEYS["anthropic"]
    assert key == rec.header("x-api-key") or f"Bearer {key}" == rec.header("authorization")
    assert rec.header("anthropic-version")


def test_stream_events_text_thinking_usage(client):
    with client.messages.stream(model="m", max_tokens=50, messages=[
            {"role": "user", "content": "one two three [[mock:thinking]] [[mock:cached=2]]"}]) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == "one two three"
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].thinking == "Thinking about: one two three"
    assert final.content[0].signature
    assert final.usage.output_tokens == 3 and final.usage.cache_read_input_tokens == 2


def test_raw_stream_has_ping_and_all_events(client):
    events = [e.type for e in client.messages.create(
        model="m", max_tokens=50, stream=True, messages=[{"role": "user", "content": "a b"}])]
    assert events == ["message_start", "content_block_start", "content_block_delta",
                      "content_block_delta", "content_block_stop", "message_delta", "message_stop"]


def test_parallel_tool_use_round_trip_streamed(client):
    msgs = [{"role": "user", "content": "go [[mock:tool_call=get_weather,get_time]]"}]
    with client.messages.stream(model="m", max_tokens=50, tools=TOOLS, messages=msgs) as s:
        final = s.get_final_message()
    uses = [b for b in final.content if b.type == "tool_use"]
    assert final.stop_reason == "tool_use"
    assert [(u.name, u.input) for u in uses] == [("get_weather", {"location": "Paris"}),
                                                 ("get_time", {"city": "Paris"})]
    msgs += [{"role": "assistant", "content": [u.model_dump() for u in uses]},
             {"role": "user", "content": [
                 {"type": "tool_result", "tool_use_id": uses[0].id, "content": "sunny"},
                 {"type": "tool_result", "tool_use_id": uses[1].id,
                  "content": [{"type": "text", "text": "noon"}]}]}]
    m = client.messages.create(model="m", max_tokens=50, tools=TOOLS, messages=msgs)
    assert m.content[0].text == "tool results: sunny; noon"


def test_stop_sequence_max_tokens_image(client):
    m = client.messages.create(model="m", max_tokens=50, stop_sequences=["END"],
                               messages=[{"role": "user", "content": "a b END c"}])
    assert (m.content[0].text, m.stop_reason, m.stop_sequence) == ("a b ", "stop_sequence", "END")
    m = client.messages.create(model="m", max_tokens=2,
                               messages=[{"role": "user", "content": "a b c d"}])
    assert (m.content[0].text, m.stop_reason) == ("a b", "max_tokens")
    m = client.messages.create(model="m", max_tokens=50, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "text", "text": "what"}]}])
    assert m.content[0].text == "what [images: 1]"


def test_validation_is_like_anthropic(client, mocks):
    with pytest.raises(anthropic.BadRequestError, match="system"):
        client.messages.create(model="m", max_tokens=5, messages=[
            {"role": "system", "content": "x"}, {"role": "user", "content": "y"}])
    with pytest.raises(anthropic.BadRequestError, match="tool_use_id"):
        client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_x", "content": "r"}]}])
    with pytest.raises(anthropic.BadRequestError, match="temperature"):
        # The 2026 SDKs no longer take `temperature` as a keyword; older callers still send it.
        client.messages.create(model="m", max_tokens=5, extra_body={"temperature": 1.5},
                               messages=[{"role": "user", "content": "y"}])
    with pytest.raises(anthropic.BadRequestError, match="Extra inputs"):
        client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "y"}],
                               extra_body={"n": 2})


def test_errors_and_stream_failures(client, mocks):
    with pytest.raises(anthropic.RateLimitError) as e:
        client.messages.create(model="m", max_tokens=5,
                               messages=[{"role": "user", "content": "[[mock:status=429]]"}])
    assert e.value.body["error"]["type"] == "rate_limit_error"
    with pytest.raises(anthropic.InternalServerError):
        client.messages.create(model="m", max_tokens=5,
                               messages=[{"role": "user", "content": "[[mock:status=529]]"}])
    with pytest.raises(anthropic.APIStatusError, match="overloaded_error"):
        with client.messages.stream(model="m", max_tokens=5, messages=[
                {"role": "user", "content": "a b c [[mock:error_event]]"}]) as s:
            s.get_final_message()
    with pytest.raises(Exception) as cut:
        with client.messages.stream(model="m", max_tokens=50, messages=[
                {"role": "user", "content": "a b c d e [[mock:cut_after=4]]"}]) as s:
            s.get_final_message()
    # The SDK lets the transport's error through for a body cut mid-way.
    assert isinstance(cut.value, anthropic.APIConnectionError) or "incomplete chunked read" in str(
        cut.value)
    bad = anthropic.Anthropic(api_key="wrong", base_url=mocks.anthropic.base, max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        bad.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "y"}])


def test_models_list(client):
    assert "claude-mock-1" in [m.id for m in client.models.list()]


def test_pdf_document_block(client):
    m = client.messages.create(model="claude-mock-1", max_tokens=100, messages=[
        {"role": "user", "content": [
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                            "data": "JVBERi0xLjQK"}},
            {"type": "text", "text": "summarise"}]}])
    assert m.content[0].text == "summarise [documents: 1]"
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model="claude-mock-1", max_tokens=100, messages=[
            {"role": "user", "content": [
                {"type": "document", "source": {"type": "base64", "media_type": "image/png",
                                                "data": PNG}}]}])


def test_structured_output_answers_json(client):
    schema = {"type": "object", "properties": {"echo": {"type": "string"}}}
    m = client.messages.create(model="claude-mock-1", max_tokens=100, messages=[
        {"role": "user", "content": "give json"}],
        extra_body={"output_config": {"format": {"type": "json_schema", "schema": schema}}})
    assert m.content[0].text == '{"echo": "give json"}'
