"""OpenAI Chat Completions / Embeddings / Models mock (also serves as an OpenAI-compatible server).

Wire format as documented in OpenAI's API reference: ``Authorization: Bearer`` auth, the
``{"error": {"message", "type", "param", "code"}}`` error body, ``chat.completion`` objects, and
``chat.completion.chunk`` streams ending in ``data: [DONE]`` with the extra usage chunk
(``choices: []``) when ``stream_options.include_usage`` is true.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .base import (Conversation, Message, MockServer, Reply, compose_reply, count_words,
                   embedding_base64, fake_embedding, parse_directives)

FINISH = {"stop": "stop", "stop_sequence": "stop", "length": "length", "tool_calls": "tool_calls"}
CREATED = 1_700_000_000


class BadRequest(Exception):
    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


def _content_parts(content: Any, where: str) -> tuple[list[str], int, int]:
    """Texts, image count and file count of an OpenAI message ``content`` (string or parts)."""
    if content is None:
        return [], 0, 0
    if isinstance(content, str):
        return [content], 0, 0
    if not isinstance(content, list):
        raise BadRequest(f"Invalid type for '{where}': expected a string or an array.", where)
    texts, images, files = [], 0, 0
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            texts.append(part.get("text", ""))
        elif kind == "image_url":
            url = (part.get("image_url") or {}).get("url", "")
            if not (url.startswith("data:image/") or url.startswith("http")):
                raise BadRequest("Invalid image URL: expected a data: URL or an http(s) URL.",
                                 f"{where}[{i}].image_url.url")
            images += 1
        elif kind == "file":
            file = part.get("file") or {}
            if not (file.get("file_data") or file.get("file_id")):
                raise BadRequest("Missing required parameter: 'file.file_data' or "
                                 "'file.file_id'.", f"{where}[{i}].file")
            files += 1
        elif kind in ("input_audio", "refusal"):
            pass
        else:
            raise BadRequest(f"Invalid value: '{kind}'. Supported values are: 'text', "
                             "'image_url', 'input_audio', 'refusal' and 'file'.",
                             f"{where}[{i}].type")
    return texts, images, files


def parse_chat(body: dict, model: str | None) -> Conversation:
    """Validate an OpenAI chat request the way the real API does and read it neutrally."""
    if model is None:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise BadRequest("you must provide a model parameter", "model")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise BadRequest("'messages' must contain at least one message.", "messages")
    if body.get("stream_options") is not None and not body.get("stream"):
        raise BadRequest("The 'stream_options' parameter is only allowed when 'stream' is "
                         "enabled.", "stream_options")
    conv = Conversation(model=model, stream=bool(body.get("stream")))
    pending_ids: list[str] = []
    for i, m in enumerate(msgs):
        role = m.get("role") if isinstance(m, dict) else None
        where = f"messages[{i}]"
        if role != "tool" and pending_ids:
            raise BadRequest("An assistant message with 'tool_calls' must be followed by tool "
                             "messages responding to each 'tool_call_id'. The following "
                             f"tool_call_ids did not have response messages: {', '.join(pending_ids)}",
                             "messages")
        if role in ("system", "developer"):
            texts, _, _ = _content_parts(m.get("content"), f"{where}.content")
            conv.system = (conv.system + " " + " ".join(texts)).strip()
        elif role == "user":
            texts, images, files = _content_parts(m.get("content"), f"{where}.content")
            conv.messages.append(Message("user", texts, images, files))
        elif role == "assistant":
            texts, _, _ = _content_parts(m.get("content"), f"{where}.content")
            calls = m.get("tool_calls") or []
            for c in calls:
                if not c.get("id") or not (c.get("function") or {}).get("name"):
                    raise BadRequest("Missing required parameter: 'tool_calls[].id' or "
                                     "'tool_calls[].function.name'.", f"{where}.tool_calls")
                try:
                    json.loads(c["function"].get("arguments") or "{}")
                except ValueError:
                    raise BadRequest("tool call arguments must be a JSON string",
                                     f"{where}.tool_calls") from None
            pending_ids = [c["id"] for c in calls]
            conv.messages.append(Message("assistant", texts,
                                         tool_calls=[c["function"]["name"] for c in calls]))
        elif role == "tool":
            call_id = m.get("tool_call_id")
            if call_id not in pending_ids:
                raise BadRequest("Invalid parameter: messages with role 'tool' must be a "
                                 "response to a preceeding message with 'tool_calls'.",
                                 f"{where}.role")
            pending_ids.remove(call_id)
            texts, _, _ = _content_parts(m.get("content"), f"{where}.content")
            if conv.messages and conv.messages[-1].role == "tool":
                conv.messages[-1].tool_results.append(" ".join(texts))
            else:
                conv.messages.append(Message("tool", tool_results=[" ".join(texts)]))
        else:
            raise BadRequest(f"Invalid value: '{role}'. Supported values are: 'system', "
                             "'assistant', 'user', 'function', 'tool', and 'developer'.",
                             f"{where}.role")
    if pending_ids:
        raise BadRequest("An assistant message with 'tool_calls' must be followed by tool "
                         "messages responding to each 'tool_call_id'.", "messages")
    for t in body.get("tools") or []:
        fn = t.get("function") or {}
        if t.get("type") != "function" or not fn.get("name"):
            raise BadRequest("Missing required parameter: 'tools[].function.name'.", "tools")
        conv.tools[fn["name"]] = fn.get("parameters") or {}
    stop = body.get("stop")
    conv.stop = [stop] if isinstance(stop, str) else list(stop or [])
    if len(conv.stop) > 4:
        raise BadRequest("'stop' supports at most 4 sequences", "stop")
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    conv.max_tokens = int(limit) if limit is not None else None
    conv.choices = int(body.get("n") or 1)
    fmt = (body.get("response_format") or {}).get("type")
    conv.json_mode = fmt in ("json_object", "json_schema")
    return conv


class OpenAIMock(MockServer):
    """OpenAI (``/v1/...``) mock. ``models`` is what ``GET /v1/models`` lists."""

    name = "openai"
    prefix = "/v1"
    models = ("gpt-4o-mini", "gpt-4o", "text-embedding-3-small")

    # --- errors ----------------------------------------------------------------------------
    def error_body(self, status: int, message: str, etype: str | None = None,
                   code: str | None = None, param: str | None = None) -> dict:
        defaults = {
            400: ("invalid_request_error", None),
            401: ("invalid_request_error", "invalid_api_key"),
            403: ("invalid_request_error", "unsupported_country_region_territory"),
            404: ("invalid_request_error", "model_not_found"),
            429: ("requests", "rate_limit_exceeded"),
            500: ("server_error", None),
            503: ("server_error", None),
        }
        d_type, d_code = defaults.get(status, ("server_error", None))
        return {"error": {"message": message, "type": etype or d_type, "param": param,
                          "code": code if code is not None else d_code}}

    def error_response(self, status: int, message: str, param: str | None = None) -> web.Response:
        return web.json_response(self.error_body(status, message, param=param), status=status,
                                 headers={"x-request-id": f"req_mock{self.next_id()}"})

    def auth_error(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return self.error_response(401, "You didn't provide an API key. You need to provide "
                                            "your API key in an Authorization header using Bearer "
                                            "auth (i.e. Authorization: Bearer YOUR_KEY).")
        key = auth[len("Bearer "):]
        if key != self.api_key:
            return self.error_response(401, f"Incorrect API key provided: {key[:3]}...{key[-4:]}. "
                                            "You can find your API key in your account settings.")
        return None

    # --- routes ----------------------------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        return [
            web.post(f"{self.prefix}/chat/completions", self.chat),
            web.post(f"{self.prefix}/embeddings", self.embeddings),
            web.get(f"{self.prefix}/models", self.list_models),
        ]

    def model_from(self, request: web.Request) -> str | None:
        """The model the request names in its path (Azure deployments); None = from the body."""
        return None

    def response_model(self, conv_model: str) -> str:
        return conv_model

    async def list_models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [
            {"id": m, "object": "model", "created": CREATED, "owned_by": "system"}
            for m in self.models]})

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = self.requests[-1].body
        if not isinstance(body, dict):
            return self.error_response(400, "We could not parse the JSON body of your request.")
        try:
            conv = parse_chat(body, self.model_from(request))
        except BadRequest as e:
            return self.error_response(400, str(e), e.param)
        reply = compose_reply(conv)
        early = await self.common_directives(reply.directives)
        if early is not None:
            return early
        if "content_filter" in reply.directives:
            return self.content_filter_error()
        if conv.stream:
            return await self.stream_chat(request, body, conv, reply)
        if "garbage" in reply.directives:
            return self.garbage_response()
        payload = self.completion(conv, reply)
        if "cut_after" in reply.directives:
            return await self.truncated(request, payload)
        return web.json_response(payload, headers={"x-request-id": f"req_mock{self.next_id()}"})

    def content_filter_error(self) -> web.Response:
        return self.error_response(400, "content filtered")

    async def truncated(self, request: web.Request, payload: dict) -> web.StreamResponse:
        """Send half of a JSON body, then drop the connection."""
        data = json.dumps(payload).encode()
        resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        resp.content_length = len(data)
        await resp.prepare(request)
        await resp.write(data[: len(data) // 2])
        if request.transport is not None:
            request.transport.abort()
        return resp

    def usage(self, reply: Reply, n: int = 1) -> dict:
        return {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens * n,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens * n,
            "prompt_tokens_details": {"cached_tokens": reply.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0,
                                          "rejected_prediction_tokens": 0},
        }

    def tool_call_id(self, n: int) -> str:
        return f"call_mock{n:04d}"

    def completion(self, conv: Conversation, reply: Reply) -> dict:
        choices = []
        for index in range(conv.choices):
            message: dict[str, Any] = {"role": "assistant", "content": reply.text,
                                       "refusal": None, "annotations": []}
            if reply.thinking:
                # DeepSeek-style servers (and vLLM, OpenRouter) put reasoning beside the content.
                message["reasoning_content"] = reply.thinking
            if reply.tool_calls:
                message["tool_calls"] = [
                    {"id": self.tool_call_id(self.next_id()), "type": "function",
                     "function": {"name": name, "arguments": json.dumps(args)}}
                    for name, args in reply.tool_calls]
            choices.append({"index": index, "message": message, "logprobs": None,
                            "finish_reason": FINISH[reply.finish]})
        return self.decorate_completion({
            "id": f"chatcmpl-mock{self.next_id()}", "object": "chat.completion",
            "created": CREATED, "model": self.response_model(conv.model),
            "choices": choices, "usage": self.usage(reply, conv.choices),
            "service_tier": "default", "system_fingerprint": "fp_mock",
        })

    def decorate_completion(self, payload: dict) -> dict:
        return payload

    def decorate_chunk(self, chunk: dict) -> dict:
        return chunk

    async def stream_prelude(self, writer, base: dict) -> None:
        """Chunks a provider sends before the first choice delta (Azure: filter results)."""

    async def stream_chat(self, request: web.Request, body: dict, conv: Conversation,
                          reply: Reply) -> web.StreamResponse:
        writer = await self.open_stream(request, reply.directives)
        if "garbage" in reply.directives:
            await writer.response.write(b'data: {"id": "chatcmpl-x", "choices": [ oops\n\n')
            await writer.finish()
            return writer.response
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        base = {"id": f"chatcmpl-mock{self.next_id()}", "object": "chat.completion.chunk",
                "created": CREATED, "model": self.response_model(conv.model),
                "service_tier": "default", "system_fingerprint": "fp_mock"}

        async def chunk(delta: dict, finish: str | None = None, choice: int = 0) -> None:
            c = {**base, "choices": [{"index": choice, "delta": delta, "logprobs": None,
                                      "finish_reason": finish}]}
            if include_usage:
                c["usage"] = None
            await writer.send(self.decorate_chunk(c))

        await self.stream_prelude(writer, base)
        # With n > 1 the choices are streamed one after the other, each with its own index.
        for choice in range(conv.choices):
            await chunk({"role": "assistant", "content": "", "refusal": None}, None, choice)
            if reply.thinking:
                await chunk({"reasoning_content": reply.thinking}, None, choice)
            for i, piece in enumerate(reply.text_pieces()):
                await chunk({"content": piece}, None, choice)
                if i == 0 and "error_event" in reply.directives:
                    await writer.send({"error": {"message": "mock scenario: error mid-stream",
                                                 "type": "server_error", "param": None,
                                                 "code": None}})
                    await writer.finish()
                    return writer.response
            for index, (name, args) in enumerate(reply.tool_calls):
                await chunk({"tool_calls": [{"index": index,
                                             "id": self.tool_call_id(self.next_id()),
                                             "type": "function",
                                             "function": {"name": name, "arguments": ""}}]},
                            None, choice)
                text = json.dumps(args)
                for start in range(0, len(text), 7):
                    await chunk({"tool_calls": [{"index": index, "function": {
                        "arguments": text[start:start + 7]}}]}, None, choice)
            await chunk({}, FINISH[reply.finish], choice)
        if include_usage:
            await writer.send({**base, "choices": [], "usage": self.usage(reply, conv.choices)})
        await writer.send("[DONE]")
        await writer.finish()
        return writer.response

    async def embeddings(self, request: web.Request) -> web.Response:
        body = self.requests[-1].body
        if not isinstance(body, dict):
            return self.error_response(400, "We could not parse the JSON body of your request.")
        model = self.model_from(request) or body.get("model")
        if not model:
            return self.error_response(400, "you must provide a model parameter", "model")
        raw = body.get("input")
        if isinstance(raw, str):
            inputs = [raw]
        elif isinstance(raw, list) and raw and all(isinstance(x, str) for x in raw):
            inputs = raw
        elif isinstance(raw, list) and raw and all(isinstance(x, int) for x in raw):
            inputs = [" ".join(map(str, raw))]
        elif isinstance(raw, list) and raw and all(isinstance(x, list) for x in raw):
            inputs = [" ".join(map(str, x)) for x in raw]
        else:
            return self.error_response(400, "'input' must be a string, an array of strings or "
                                            "an array of token arrays", "input")
        directives: dict[str, str] = {}
        for text in inputs:
            directives.update(parse_directives(text)[1])
        early = await self.common_directives(directives)
        if early is not None:
            return early
        fmt = body.get("encoding_format", "float")
        if fmt not in ("float", "base64"):
            return self.error_response(400, "encoding_format must be 'float' or 'base64'",
                                       "encoding_format")
        dims = int(body.get("dimensions") or 8)
        data = []
        for i, text in enumerate(inputs):
            vec = fake_embedding(text, dims)
            data.append({"object": "embedding", "index": i,
                         "embedding": embedding_base64(vec) if fmt == "base64" else vec})
        tokens = sum(count_words(t) for t in inputs)
        return web.json_response({"object": "list", "data": data,
                                  "model": self.response_model(model),
                                  "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
