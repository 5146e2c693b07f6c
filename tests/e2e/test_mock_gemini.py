"""The Gemini mock, validated with the official ``google-genai`` SDK directly (no gateway)."""

from __future__ import annotations

import pytest
from google import genai
from google.genai import errors, types

from conftest import UPSTREAM_KEYS

WEATHER = types.FunctionDeclaration(
    name="get_weather", description="Weather for a city",
    parameters=types.Schema(type="OBJECT", properties={"location": types.Schema(type="STRING")}))
TIME = types.FunctionDeclaration(
    name="get_time", description="Time", parameters=types.Schema(
        type="OBJECT", properties={"city": types.Schema(type="STRING")}))


def make_client(mocks, key=UPSTREAM_KEYS["gemini"]):
    return genai.Client(api_key=key, http_options=types.HttpOptions(
        base_url=mocks.gemini.base, api_version="v1beta"))


@pytest.fixture
def client(mocks):
    return make_client(mocks)


def test_generate_content(client, mocks):
    r = client.models.generate_content(
        model="gemini-2.5-flash", contents="hello there",
        config=types.GenerateContentConfig(system_instruction="Be brief."))
    assert r.text == "hello there"
    assert r.candidates[0].finish_reason == types.FinishReason.STOP
    assert r.usage_metadata.prompt_token_count == 2 + 2 + 1
    rec = mocks.gemini.last(":generateContent")
    assert rec.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert rec.header("x-goog-api-key") == UPSTREAM_KEYS["gemini"]
    assert rec.body["systemInstruction"]["parts"][0]["text"] == "Be brief."


def test_stream_sse(client, mocks):
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash",
                                                        contents="one two three"))
    assert "".join(c.text or "" for c in chunks) == "one two three"
    assert chunks[-1].usage_metadata.candidates_token_count == 3
    assert mocks.gemini.last("stream").query.get("alt") == "sse"


def test_parallel_function_calls_round_trip(client):
    tools = [types.Tool(function_declarations=[WEATHER, TIME])]
    cfg = types.GenerateContentConfig(
        tools=tools, automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True))
    first = types.Content(role="user", parts=[types.Part(
        text="go [[mock:tool_call=get_weather,get_time]]")])
    r = client.models.generate_content(model="g", contents=[first], config=cfg)
    calls = r.function_calls
    assert [(c.name, c.args) for c in calls] == [("get_weather", {"location": "Paris"}),
                                                 ("get_time", {"city": "Paris"})]
    reply = types.Content(role="user", parts=[
        types.Part.from_function_response(name="get_weather", response={"result": "sunny"}),
        types.Part.from_function_response(name="get_time", response={"result": "noon"})])
    r2 = client.models.generate_content(
        model="g", contents=[first, r.candidates[0].content, reply], config=cfg)
    assert r2.text == "tool results: sunny; noon"


def test_stop_max_tokens_json_image(client):
    r = client.models.generate_content(model="g", contents="a b END c",
                                       config=types.GenerateContentConfig(stop_sequences=["END"]))
    assert r.text == "a b "
    r = client.models.generate_content(model="g", contents="a b c d",
                                       config=types.GenerateContentConfig(max_output_tokens=2))
    assert r.text == "a b" and r.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    r = client.models.generate_content(model="g", contents="hi", config=types.GenerateContentConfig(
        response_mime_type="application/json"))
    assert r.parsed is None and r.text == '{"echo": "hi"}'
    r = client.models.generate_content(model="g", contents=[
        types.Part.from_bytes(data=b"\x89PNG", mime_type="image/png"), "what"])
    assert r.text == "what [images: 1]"


def test_candidate_count(client):
    r = client.models.generate_content(model="g", contents="a b",
                                       config=types.GenerateContentConfig(candidate_count=2))
    assert [c.content.parts[0].text for c in r.candidates] == ["a b", "a b"]
    assert r.usage_metadata.candidates_token_count == 4


def test_batch_embeddings(client, mocks):
    r = client.models.embed_content(model="gemini-embedding-001", contents=["a", "b"],
                                    config=types.EmbedContentConfig(output_dimensionality=4))
    assert [len(e.values) for e in r.embeddings] == [4, 4]
    assert mocks.gemini.last("").path.endswith(":batchEmbedContents")


def test_errors(client, mocks):
    with pytest.raises(errors.ClientError) as e:
        client.models.generate_content(model="g", contents="[[mock:status=429]]")
    assert e.value.code == 429 and e.value.status == "RESOURCE_EXHAUSTED"
    with pytest.raises(errors.ClientError) as e:
        wrong = make_client(mocks, "wrong")
        wrong.models.generate_content(model="g", contents="x")
    assert e.value.code == 400 and "API key not valid" in e.value.message
    with pytest.raises(errors.ServerError):
        client.models.generate_content(model="g", contents="[[mock:status=500]]")
    with pytest.raises(errors.ClientError, match="valid role"):
        client.models.generate_content(model="g", contents=[
            types.Content(role="assistant", parts=[types.Part(text="x")])])


def test_models_list(client):
    assert "models/gemini-2.5-flash" in [m.name for m in client.models.list()]


def test_pdf_and_thought_summaries(client):
    pdf = types.Part.from_bytes(data=b"%PDF-1.4\n", mime_type="application/pdf")
    r = client.models.generate_content(model="gemini-2.5-flash",
                                       contents=[pdf, "summarise [[mock:thinking]]"])
    assert r.text == "summarise [documents: 1]"
    assert not any(p.thought for p in r.candidates[0].content.parts), \
        "thoughts without includeThoughts"
    config = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(
        thinking_budget=1024, include_thoughts=True))
    r = client.models.generate_content(model="gemini-2.5-flash", config=config,
                                       contents="why [[mock:thinking]]")
    parts = r.candidates[0].content.parts
    assert [(p.thought, p.text) for p in parts] == [(True, "Thinking about: why"), (None, "why")]
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash", config=config,
                                                        contents="why [[mock:thinking]]"))
    thought = [p.text for c in chunks for p in c.candidates[0].content.parts if p.thought]
    assert thought == ["Thinking about: why"]
