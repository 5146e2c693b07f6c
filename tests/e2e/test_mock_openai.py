"""The OpenAI and Azure mocks, validated with the official ``openai`` SDK directly (no gateway).

If the SDK cannot parse a mock's answer, the mock is wrong: these tests keep the mocks honest so
that gateway tests built on them mean something.
"""

from __future__ import annotations

import json

import openai
import pytest

from conftest import UPSTREAM_KEYS

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                   "required": ["location"]}}}, {"type": "function", "function": {
    "name": "get_time", "description": "Time in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]


@pytest.fixture(params=["openai", "azure"])
def client(request, mocks):
    if request.param == "openai":
        return openai.OpenAI(api_key=UPSTREAM_KEYS["openai"], base_url=f"{mocks.openai.base}/v1",
                             max_retries=0)
    return openai.AzureOpenAI(api_key=UPSTREAM_KEYS["azure"], azure_endpoint=mocks.azure.base,
                              api_version="2024-10-21", max_retries=0)


def model_for(client) -> str:
    return "my-deployment" if isinstance(client, openai.AzureOpenAI) else "gpt-4o-mini"


def test_chat_echoes_last_user_message(client, mocks):
    r = client.chat.completions.create(model=model_for(client), messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hello there"}])
    assert r.choices[0].message.content == "hello there"
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.prompt_tokens == 2 + 3  # words + one per message
    assert r.usage.completion_tokens == 2


def test_azure_request_shape(mocks):
    c = openai.AzureOpenAI(api_key=UPSTREAM_KEYS["azure"], azure_endpoint=mocks.azure.base,
                           api_version="2024-10-21", max_retries=0)
    r = c.chat.completions.create(model="dep-1", messages=[{"role": "user", "content": "x"}])
    rec = mocks.azure.last("/chat/completions")
    assert rec.path == "/openai/deployments/dep-1/chat/completions"
    assert rec.query["api-version"] == "2024-10-21"
    assert rec.header("api-key") == UPSTREAM_KEYS["azure"]
    assert r.model == mocks.azure.underlying_model
    assert r.prompt_filter_results[0]["content_filter_results"]["hate"]["filtered"] is False


def test_stream_with_and_without_usage(client):
    for include in (True, False):
        kwargs = {"stream_options": {"include_usage": True}} if include else {}
        chunks = list(client.chat.completions.create(
            model=model_for(client), messages=[{"role": "user", "content": "one two three"}],
            stream=True, **kwargs))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == "one two three"
        finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
        assert finishes[-1] == "stop"
        usage = [c.usage for c in chunks if c.usage]
        assert (usage[-1].completion_tokens == 3) if include else not usage


def test_parallel_tool_calls_and_round_trip(client):
    model = model_for(client)
    msgs = [{"role": "user", "content": "weather? [[mock:tool_call=get_weather,get_time]]"}]
    r = client.chat.completions.create(model=model, messages=msgs, tools=TOOLS)
    calls = r.choices[0].message.tool_calls
    assert r.choices[0].finish_reason == "tool_calls"
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]
    assert json.loads(calls[0].function.arguments) == {"location": "Paris"}
    msgs.append(r.choices[0].message.model_dump(exclude_none=True))
    msgs += [{"role": "tool", "tool_call_id": calls[0].id, "content": "sunny"},
             {"role": "tool", "tool_call_id": calls[1].id, "content": "noon"}]
    r2 = client.chat.completions.create(model=model, messages=msgs, tools=TOOLS)
    assert r2.choices[0].message.content == "tool results: sunny; noon"


def test_streamed_tool_calls(client):
    stream = client.chat.completions.create(
        model=model_for(client), tools=TOOLS, stream=True,
        messages=[{"role": "user", "content": "[[mock:tool_call=get_weather,get_time]]"}])
    args: dict[int, str] = {}
    names: dict[int, str] = {}
    for c in stream:
        for d in (c.choices[0].delta.tool_calls or []) if c.choices else []:
            args[d.index] = args.get(d.index, "") + (d.function.arguments or "")
            if d.function.name:
                names[d.index] = d.function.name
    assert names == {0: "get_weather", 1: "get_time"}
    assert json.loads(args[0]) == {"location": "Paris"} and json.loads(args[1]) == {"city": "Paris"}


def test_fragmented_stream_still_parses(client):
    text = "héllo 世界 🚀"
    chunks = list(client.chat.completions.create(
        model=model_for(client), stream=True,
        messages=[{"role": "user", "content": f"{text} [[mock:fragment]]"}]))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == text


def test_n_choices(client):
    r = client.chat.completions.create(model=model_for(client), n=2,
                                       messages=[{"role": "user", "content": "a b"}])
    assert [(c.index, c.message.content) for c in r.choices] == [(0, "a b"), (1, "a b")]
    assert r.usage.completion_tokens == 4
    texts: dict[int, str] = {}
    for c in client.chat.completions.create(model=model_for(client), n=2, stream=True,
                                            messages=[{"role": "user", "content": "a b"}]):
        for ch in c.choices:
            texts[ch.index] = texts.get(ch.index, "") + (ch.delta.content or "")
    assert texts == {0: "a b", 1: "a b"}


def test_stream_helper_accumulates(mocks):
    c = openai.OpenAI(api_key=UPSTREAM_KEYS["openai"], base_url=f"{mocks.openai.base}/v1",
                      max_retries=0)
    with c.chat.completions.stream(model="gpt-4o-mini",
                                   messages=[{"role": "user", "content": "a b"}]) as s:
        final = s.get_final_completion()
    assert final.choices[0].message.content == "a b"


def test_stop_max_tokens_json_and_image(client):
    model = model_for(client)
    r = client.chat.completions.create(model=model, stop=["END"], messages=[
        {"role": "user", "content": "alpha beta END gamma"}])
    assert r.choices[0].message.content == "alpha beta "
    r = client.chat.completions.create(model=model, max_tokens=2, messages=[
        {"role": "user", "content": "one two three four"}])
    assert (r.choices[0].message.content, r.choices[0].finish_reason) == ("one two", "length")
    r = client.chat.completions.create(model=model, response_format={"type": "json_object"},
                                       messages=[{"role": "user", "content": "hi"}])
    assert json.loads(r.choices[0].message.content) == {"echo": "hi"}
    r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}])
    assert r.choices[0].message.content == "what is this [images: 1]"


def test_embeddings_float_and_base64(client):
    model = "emb" if isinstance(client, openai.AzureOpenAI) else "text-embedding-3-small"
    default = client.embeddings.create(model=model, input=["a", "b"])  # SDK asks for base64
    floats = client.embeddings.create(model=model, input=["a", "b"], encoding_format="float")
    assert [d.embedding for d in default.data] == [d.embedding for d in floats.data]
    assert len(floats.data[0].embedding) == 8 and floats.usage.prompt_tokens == 2
    sized = client.embeddings.create(model=model, input="a", dimensions=4)
    assert sized.data[0].embedding == floats.data[0].embedding[:4]


def test_models_list(mocks):
    c = openai.OpenAI(api_key=UPSTREAM_KEYS["openai"], base_url=f"{mocks.openai.base}/v1")
    assert "gpt-4o-mini" in [m.id for m in c.models.list()]


def test_errors_are_parsed_by_the_sdk(client, mocks):
    model = model_for(client)
    with pytest.raises(openai.RateLimitError) as e:
        client.chat.completions.create(model=model, messages=[
            {"role": "user", "content": "[[mock:status=429]]"}])
    assert e.value.response.headers["retry-after"] == "1"
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model=model, messages=[
            {"role": "user", "content": "[[mock:status=500]]"}])
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=model, messages=[
            {"role": "tool", "tool_call_id": "nope", "content": "x"}])
    assert "tool" in str(e.value)


def test_wrong_key_is_401_in_provider_shape(mocks):
    c = openai.OpenAI(api_key="wrong", base_url=f"{mocks.openai.base}/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as e:
        c.models.list()
    assert e.value.body["code"] == "invalid_api_key"
    a = openai.AzureOpenAI(api_key="wrong", azure_endpoint=mocks.azure.base,
                           api_version="2024-10-21", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as e:
        a.chat.completions.create(model="d", messages=[{"role": "user", "content": "x"}])
    assert e.value.body["code"] == "401"


def test_stream_error_event_and_cut(client):
    model = model_for(client)
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(model=model, stream=True, messages=[
                {"role": "user", "content": "a b c [[mock:error_event]]"}]):
            pass
    with pytest.raises(openai.APIConnectionError):
        for _ in client.chat.completions.create(model=model, stream=True, messages=[
                {"role": "user", "content": "a b c d e f [[mock:cut_after=3]]"}]):
            pass


def test_programmed_queue_wins(mocks):
    c = openai.OpenAI(api_key=UPSTREAM_KEYS["openai"], base_url=f"{mocks.openai.base}/v1",
                      max_retries=0)
    mocks.openai.enqueue(503, {"error": {"message": "busy", "type": "server_error",
                                         "param": None, "code": None}})
    with pytest.raises(openai.InternalServerError):
        c.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    ok = c.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert ok.choices[0].message.content == "x"
    assert len(mocks.openai.requests) == 2


def test_pdf_file_part_and_reasoning_content(client):
    pdf = "JVBERi0xLjQK"
    r = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": [
        {"type": "text", "text": "summarise [[mock:thinking]]"},
        {"type": "file", "file": {"filename": "a.pdf",
                                  "file_data": f"data:application/pdf;base64,{pdf}"}}]}])
    assert r.choices[0].message.content == "summarise [documents: 1]"
    # DeepSeek-style reasoning beside the content: the SDK keeps unknown fields as extras.
    assert r.choices[0].message.model_extra["reasoning_content"] == "Thinking about: summarise"
    chunks = list(client.chat.completions.create(
        model="gpt-4o-mini", stream=True,
        messages=[{"role": "user", "content": "why [[mock:thinking]]"}]))
    reasoning = "".join((c.choices[0].delta.model_extra or {}).get("reasoning_content") or ""
                        for c in chunks if c.choices)
    assert reasoning == "Thinking about: why"
