"""Gemini API mock (``/v1beta/models/{model}:generateContent`` and friends).

As the Gemini API reference documents it:

* auth by ``x-goog-api-key`` (or ``?key=``); a missing key gets 403 ``PERMISSION_DENIED``, a
  wrong key 400 ``INVALID_ARGUMENT`` with an ``ErrorInfo`` reason ``API_KEY_INVALID`` (that is
  what Google answers: there is no 401 for API keys);
* errors are ``{"error": {"code", "message", "status"}}``;
* requests: ``contents`` with roles ``user``/``model`` (``function`` tolerated), parts ``text``,
  ``inlineData``, ``functionCall``, ``functionResponse``; ``systemInstruction``; ``tools`` with
  ``functionDeclarations``; ``generationConfig`` (``stopSequences``, at most 5; ``maxOutputTokens``,
  ``responseMimeType``...). Proto JSON accepts camelCase and snake_case names alike; unknown
  top-level fields are rejected. A function-response turn must come right after the
  function-call turn and answer every call in it;
* function calls carry no ``id`` (the gateway has to make its own tool-call ids);
* ``:streamGenerateContent?alt=sse`` sends one ``GenerateContentResponse`` per SSE event framed
  with CRLF, each with the cumulative ``usageMetadata``; without ``alt=sse`` it answers a JSON
  array;
* ``promptTokenCount`` includes ``cachedContentTokenCount``;
* thought summaries (the ``thinking`` directive) are parts marked ``"thought": true``, sent only
  when ``generationConfig.thinkingConfig.includeThoughts`` is true;
* PDFs are ``inlineData`` with ``application/pdf``;
* ``:batchEmbedContents`` / ``:embedContent`` answer ``values`` arrays.
"""

from __future__ import annotations

import base64
import binascii
import json

from aiohttp import web

from .base import (Conversation, Message, MockServer, Reply, compose_reply, fake_embedding,
                   parse_directives)

FINISH = {"stop": "STOP", "stop_sequence": "STOP", "length": "MAX_TOKENS", "tool_calls": "STOP"}
STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
          404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE",
          504: "DEADLINE_EXCEEDED"}
TOP_LEVEL = {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig",
             "safetySettings", "cachedContent", "labels", "model"}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def field(d: dict, camel: str, default=None):
    """Read a proto-JSON field by its camelCase or snake_case name."""
    if camel in d:
        return d[camel]
    return d.get(_snake(camel), default)


class BadRequest(Exception):
    pass


def parse_generate(body: dict, model: str, stream: bool) -> Conversation:
    known = TOP_LEVEL | {_snake(k) for k in TOP_LEVEL}
    unknown = sorted(set(body) - known)
    if unknown:
        raise BadRequest(f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot '
                         "find field.")
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise BadRequest("* GenerateContentRequest.contents: contents is not specified")
    conv = Conversation(model=model, stream=stream)
    system = field(body, "systemInstruction")
    if system:
        conv.system = " ".join(p.get("text", "") for p in system.get("parts") or [])
    pending_calls = 0
    for i, c in enumerate(contents):
        role = c.get("role", "user")
        if role not in ("user", "model", "function"):
            raise BadRequest("Please use a valid role: user, model.")
        parts = c.get("parts")
        if not isinstance(parts, list) or not parts:
            raise BadRequest(f"* GenerateContentRequest.contents[{i}].parts: contents.parts must "
                             "not be empty.")
        msg = Message("assistant" if role == "model" else "user")
        calls = responses = 0
        for p in parts:
            inline = field(p, "inlineData")
            call = field(p, "functionCall")
            resp = field(p, "functionResponse")
            if "text" in p:
                if not p.get("thought"):
                    msg.texts.append(p["text"])
            elif inline is not None:
                try:
                    base64.b64decode(inline.get("data", ""), validate=True)
                except (binascii.Error, ValueError):
                    raise BadRequest(f"* GenerateContentRequest.contents[{i}]: Invalid value at "
                                     "'inline_data.data' (TYPE_BYTES), Base64 decoding failed")
                mime = str(field(inline, "mimeType", ""))
                if mime == "application/pdf":
                    msg.documents += 1
                elif mime.startswith("image/"):
                    msg.images += 1
                else:
                    raise BadRequest(f"Unsupported MIME type: {mime}")
            elif call is not None:
                calls += 1
                msg.tool_calls.append(call.get("name", ""))
            elif resp is not None:
                responses += 1
                out = resp.get("response")
                if isinstance(out, dict) and len(out) == 1 and isinstance(
                        next(iter(out.values())), str):
                    out = next(iter(out.values()))
                msg.tool_results.append(out if isinstance(out, str) else json.dumps(out))
            elif field(p, "fileData") is not None:
                # Files API URIs and (since 2026) external http(s) URLs are both accepted.
                data = field(p, "fileData")
                if not field(data, "fileUri"):
                    raise BadRequest(f"* GenerateContentRequest.contents[{i}]: file_uri is "
                                     "required")
                if str(field(data, "mimeType", "image/")).startswith("image/"):
                    msg.images += 1
            else:
                raise BadRequest(f"* GenerateContentRequest.contents[{i}].parts: unsupported part")
        if responses and pending_calls == 0:
            raise BadRequest("Please ensure that function response turn comes immediately after "
                             "a function call turn.")
        if pending_calls and responses != pending_calls:
            raise BadRequest("Please ensure that the number of function response parts is equal "
                             "to the number of function call parts of the function call turn.")
        if responses and not msg.texts:
            msg.role = "tool"
        pending_calls = calls
        conv.messages.append(msg)
    for tool in body.get("tools") or []:
        for decl in field(tool, "functionDeclarations", []) or []:
            conv.tools[decl.get("name", "")] = (decl.get("parameters")
                                                or field(decl, "parametersJsonSchema") or {})
    gen = field(body, "generationConfig") or {}
    conv.stop = list(field(gen, "stopSequences", []) or [])
    if len(conv.stop) > 5:
        raise BadRequest("* GenerateContentRequest.generation_config.stop_sequences: at most 5 "
                         "stop sequences are allowed")
    limit = field(gen, "maxOutputTokens")
    conv.max_tokens = int(limit) if limit is not None else None
    conv.json_mode = field(gen, "responseMimeType") == "application/json"
    conv.choices = int(field(gen, "candidateCount") or 1)
    conv.include_thoughts = bool(field(field(gen, "thinkingConfig") or {}, "includeThoughts"))
    return conv


class GeminiMock(MockServer):
    """Gemini API mock."""

    name = "gemini"
    models = ("gemini-2.5-flash", "gemini-embedding-001")

    def error_response(self, status: int, message: str, details: list | None = None) -> web.Response:
        err = {"code": status, "message": message, "status": STATUS.get(status, "UNKNOWN")}
        if details:
            err["details"] = details
        return web.json_response({"error": err}, status=status)

    def auth_error(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        if not key:
            return self.error_response(403, "Method doesn't allow unregistered callers (callers "
                                            "without established identity). Please use API Key "
                                            "or other form of API consumer identity to call this "
                                            "API.")
        if key != self.api_key:
            return self.error_response(400, "API key not valid. Please pass a valid API key.", [{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"}}])
        return None

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1beta/models/{spec:[^/]+}", self.dispatch),
                web.get("/v1beta/models", self.list_models)]

    async def list_models(self, request: web.Request) -> web.Response:
        return web.json_response({"models": [
            {"name": f"models/{m}", "displayName": m, "version": "001",
             "supportedGenerationMethods": ["embedContent"] if "embedding" in m
             else ["generateContent", "countTokens"]} for m in self.models]})

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        model, _, method = request.match_info["spec"].partition(":")
        body = self.requests[-1].body
        if not isinstance(body, dict):
            return self.error_response(400, "Invalid JSON payload received.")
        if method in ("generateContent", "streamGenerateContent"):
            return await self.generate(request, model, body, method == "streamGenerateContent")
        if method in ("batchEmbedContents", "embedContent"):
            return await self.embed(model, body, method == "batchEmbedContents")
        return self.error_response(404, f"Method not found: {method}")

    def usage(self, reply: Reply, completion: int | None = None, n: int = 1) -> dict:
        done = (reply.completion_tokens if completion is None else completion) * n
        usage = {"promptTokenCount": reply.prompt_tokens, "candidatesTokenCount": done,
                 "totalTokenCount": reply.prompt_tokens + done,
                 "promptTokensDetails": [{"modality": "TEXT", "tokenCount": reply.prompt_tokens}]}
        if reply.cached_tokens:
            usage["cachedContentTokenCount"] = reply.cached_tokens
        return usage

    def response(self, conv: Conversation, parts: list[dict], finish: str | None,
                 usage: dict, rid: str) -> dict:
        """One GenerateContentResponse with ``conv.choices`` identical candidates."""
        cands = []
        for index in range(conv.choices):
            cand: dict = {"content": {"parts": parts, "role": "model"}, "index": index}
            if finish:
                cand["finishReason"] = finish
            cands.append(cand)
        return {"candidates": cands, "usageMetadata": usage, "modelVersion": conv.model,
                "responseId": rid}

    async def generate(self, request: web.Request, model: str, body: dict,
                       stream: bool) -> web.StreamResponse:
        try:
            conv = parse_generate(body, model, stream)
        except BadRequest as e:
            return self.error_response(400, str(e))
        reply = compose_reply(conv)
        early = await self.common_directives(reply.directives)
        if early is not None:
            return early
        rid = f"mockresp{self.next_id()}"
        calls = [{"functionCall": {"name": n, "args": a}} for n, a in reply.tool_calls]
        # Thought summaries come first, as parts marked `thought`, only when they were asked for.
        thoughts = ([{"text": reply.thinking, "thought": True}]
                    if reply.thinking and conv.include_thoughts else [])
        if not stream:
            if "garbage" in reply.directives:
                return self.garbage_response()
            parts = thoughts + ([{"text": reply.text}] if reply.text is not None else []) + calls
            return web.json_response(self.response(conv, parts, FINISH[reply.finish],
                                                   self.usage(reply, n=conv.choices), rid))
        if request.query.get("alt") != "sse":
            # Without alt=sse Google answers one JSON array of the chunks.
            chunks = [self.response(conv, [{"text": p}], None,
                                    self.usage(reply, 0, conv.choices), rid)
                      for p in reply.text_pieces()]
            chunks.append(self.response(conv, calls or [{"text": ""}], FINISH[reply.finish],
                                        self.usage(reply, n=conv.choices), rid))
            return web.json_response(chunks)
        w = await self.open_stream(request, reply.directives)
        w.newline = "\r\n"
        if "garbage" in reply.directives:
            await w.response.write(b'data: {"candidates": [{"content": \r\n\r\n')
            await w.finish()
            return w.response
        pieces = reply.text_pieces()
        done = 0
        if thoughts:
            await w.send(self.response(conv, thoughts, None, self.usage(reply, 0, conv.choices),
                                       rid))
        for i, piece in enumerate(pieces):
            done += len(piece.split())
            last = i == len(pieces) - 1 and not calls
            usage = self.usage(reply, done if not last else None, conv.choices)
            await w.send(self.response(conv, [{"text": piece}],
                                       FINISH[reply.finish] if last else None, usage, rid))
            if i == 0 and "error_event" in reply.directives:
                await w.send({"error": {"code": 503, "message": "The model is overloaded.",
                                        "status": "UNAVAILABLE"}})
                await w.finish()
                return w.response
        if calls or not pieces:
            await w.send(self.response(conv, calls or [{"text": ""}], FINISH[reply.finish],
                                       self.usage(reply, n=conv.choices), rid))
        await w.finish()
        return w.response

    async def embed(self, model: str, body: dict, batch: bool) -> web.Response:
        requests = body.get("requests") if batch else [body]
        if not isinstance(requests, list) or not requests:
            return self.error_response(400, "* BatchEmbedContentsRequest.requests: requests is "
                                            "not specified")
        out = []
        directives: dict[str, str] = {}
        for i, r in enumerate(requests):
            if batch and r.get("model") != f"models/{model}":
                return self.error_response(400, f"* BatchEmbedContentsRequest.requests[{i}].model"
                                                ": model must be the same as the batch model "
                                                f"models/{model}")
            parts = (r.get("content") or {}).get("parts") or []
            text = " ".join(p.get("text", "") for p in parts)
            if not parts:
                return self.error_response(400, f"* requests[{i}].content: content is not "
                                                "specified")
            directives.update(parse_directives(text)[1])
            dims = int(field(r, "outputDimensionality") or 8)
            out.append({"values": fake_embedding(text, dims)})
        early = await self.common_directives(directives)
        if early is not None:
            return early
        return web.json_response({"embeddings": out} if batch else {"embedding": out[0]})
