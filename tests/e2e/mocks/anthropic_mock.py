"""Anthropic Messages API mock (``POST /v1/messages``, ``GET /v1/models``).

Follows Anthropic's documented wire format and its validation where a translating gateway is
most likely to go wrong:

* ``x-api-key`` (or ``Authorization: Bearer``) auth (401 ``authentication_error``) and a
  required ``anthropic-version`` header;
* ``max_tokens`` is required; ``temperature`` must be within 0..1; roles are only ``user`` and
  ``assistant`` (the system prompt is the top-level ``system``); unknown top-level fields are
  rejected ("Extra inputs are not permitted");
* every ``tool_use`` must be answered by a ``tool_result`` in the next (user) message and every
  ``tool_result`` must name a ``tool_use`` of the previous message;
* images must be base64 (jpeg/png/gif/webp, valid base64) or URL sources; documents
  base64 PDFs (or text, content, URL or file sources);
* ``output_config.format`` (``json_schema``) makes the answer JSON, like the JSON modes of the
  other mocks;
* responses report ``input_tokens`` *excluding* cached tokens (``cache_read_input_tokens``);
* streams: ``message_start``, ``ping``, per block ``content_block_start`` / ``_delta`` (text_delta,
  input_json_delta, thinking_delta, signature_delta) / ``_stop``, ``message_delta`` with the
  stop reason and output usage, ``message_stop``; ``error`` events on the ``error_event``
  directive. Every event carries an ``event:`` line (the SDK ignores events without one).
"""

from __future__ import annotations

import base64
import binascii
import json

from aiohttp import web

from .base import Conversation, Message, MockServer, Reply, compose_reply

STOP_REASON = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
               "stop_sequence": "stop_sequence"}
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error",
               403: "permission_error", 404: "not_found_error", 413: "request_too_large",
               429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}
KNOWN_FIELDS = {"model", "messages", "max_tokens", "system", "metadata", "stop_sequences",
                "stream", "temperature", "top_p", "top_k", "tools", "tool_choice", "thinking",
                "service_tier", "container", "mcp_servers", "context_management",
                "output_config", "output_format"}
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


class BadRequest(Exception):
    pass


def _blocks(content, where: str) -> list[dict]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise BadRequest(f"{where}: Input should be a valid list")
    return content


def _check_image(block: dict, where: str) -> None:
    src = block.get("source") or {}
    if src.get("type") == "base64":
        if src.get("media_type") not in IMAGE_TYPES:
            raise BadRequest(f"{where}.source.media_type: Input should be 'image/jpeg', "
                             "'image/png', 'image/gif' or 'image/webp'")
        try:
            base64.b64decode(src.get("data", ""), validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest(f"{where}.source.data: invalid base64 data") from None
    elif src.get("type") != "url":
        raise BadRequest(f"{where}.source: Input tag '{src.get('type')}' found using 'type' does "
                         "not match any of the expected tags: 'base64', 'url'")


def _check_document(block: dict, where: str) -> None:
    src = block.get("source") or {}
    kind = src.get("type")
    if kind == "base64":
        if src.get("media_type") != "application/pdf":
            raise BadRequest(f"{where}.source.media_type: Input should be 'application/pdf'")
        try:
            base64.b64decode(src.get("data", ""), validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest(f"{where}.source.data: invalid base64 data") from None
    elif kind not in ("text", "url", "content", "file"):
        raise BadRequest(f"{where}.source: Input tag '{kind}' found using 'type' does not match "
                         "any of the expected tags: 'base64', 'text', 'content', 'url', 'file'")


def _result_text(content) -> str:
    if isinstance(content, str):
        return content
    return " ".join(b.get("text", "") for b in content or [] if b.get("type") == "text")


def parse_messages_request(body: dict) -> Conversation:
    """Validate like the real Messages API and read the request neutrally."""
    extra = sorted(set(body) - KNOWN_FIELDS)
    if extra:
        raise BadRequest(f"{extra[0]}: Extra inputs are not permitted")
    if not isinstance(body.get("model"), str):
        raise BadRequest("model: Field required")
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        raise BadRequest("max_tokens: Field required")
    temp = body.get("temperature")
    if temp is not None and not 0 <= temp <= 1:
        raise BadRequest("temperature: Input should be less than or equal to 1")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise BadRequest("messages: Field required")
    conv = Conversation(model=body["model"], stream=bool(body.get("stream")),
                        max_tokens=body["max_tokens"])
    system = body.get("system")
    if system is not None:
        conv.system = " ".join(b.get("text", "") for b in _blocks(system, "system"))
    previous_tool_ids: list[str] = []
    for i, m in enumerate(msgs):
        role = m.get("role")
        where = f"messages.{i}"
        if role not in ("user", "assistant"):
            raise BadRequest(f"{where}.role: Unexpected role \"{role}\". The Messages API accepts "
                             "a top-level `system` parameter, not \"system\" as an input message "
                             "role." if role == "system" else
                             f"{where}.role: Input should be 'user' or 'assistant'")
        blocks = _blocks(m.get("content"), f"{where}.content")
        msg = Message(role)
        answered: list[str] = []
        tool_ids: list[str] = []
        for j, b in enumerate(blocks):
            kind = b.get("type")
            bw = f"{where}.content.{j}"
            if kind == "text":
                msg.texts.append(b.get("text", ""))
            elif kind == "image":
                _check_image(b, bw)
                msg.images += 1
            elif kind == "tool_use":
                if role != "assistant":
                    raise BadRequest(f"{bw}: tool_use blocks are only allowed in assistant turns")
                if not isinstance(b.get("input"), dict):
                    raise BadRequest(f"{bw}.input: Input should be a valid dictionary")
                tool_ids.append(b.get("id", ""))
                msg.tool_calls.append(b.get("name", ""))
            elif kind == "tool_result":
                if b.get("tool_use_id") not in previous_tool_ids:
                    raise BadRequest(f"{bw}: unexpected `tool_use_id` found in `tool_result` "
                                     f"blocks: {b.get('tool_use_id')}. Each `tool_result` block "
                                     "must have a corresponding `tool_use` block in the previous "
                                     "message.")
                answered.append(b["tool_use_id"])
                msg.tool_results.append(_result_text(b.get("content")))
            elif kind == "document":
                _check_document(b, bw)
                msg.documents += 1
            elif kind in ("thinking", "redacted_thinking"):
                pass
            else:
                raise BadRequest(f"{bw}.type: Input tag '{kind}' found using 'type' does not "
                                 "match any of the expected tags")
        missing = [t for t in previous_tool_ids if t not in answered]
        if missing:
            raise BadRequest(f"messages.{i - 1}: `tool_use` ids were found without "
                             f"`tool_result` blocks immediately after: {', '.join(missing)}. "
                             "Each `tool_use` block must have a corresponding `tool_result` "
                             "block in the next message.")
        if msg.tool_results and not msg.texts:
            msg.role = "tool"
        previous_tool_ids = tool_ids
        conv.messages.append(msg)
    if previous_tool_ids:
        raise BadRequest(f"messages.{len(msgs) - 1}: `tool_use` ids were found without "
                         "`tool_result` blocks immediately after")
    for k, t in enumerate(body.get("tools") or []):
        schema = t.get("input_schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            raise BadRequest(f"tools.{k}.custom.input_schema: Field required")
        conv.tools[t.get("name", "")] = schema
    conv.stop = list(body.get("stop_sequences") or [])
    # Structured outputs: `output_config.format` (GA) or the older beta `output_format`.
    fmt = (body.get("output_config") or {}).get("format") or body.get("output_format") or {}
    conv.json_mode = fmt.get("type") == "json_schema"
    return conv


class AnthropicMock(MockServer):
    """Anthropic Messages mock."""

    name = "anthropic"
    models = ("claude-mock-1", "claude-mock-2")

    def error_response(self, status: int, message: str) -> web.Response:
        rid = f"req_mock{self.next_id()}"
        return web.json_response(
            {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"),
                                        "message": message}, "request_id": rid},
            status=status, headers={"request-id": rid})

    def auth_error(self, request: web.Request) -> web.Response | None:
        # Anthropic takes the key as x-api-key or, since the 2026 SDKs, as a Bearer token.
        auth = request.headers.get("Authorization", "")
        bearer = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        key = request.headers.get("x-api-key") or bearer
        if self.api_key is not None and key != self.api_key:
            return self.error_response(401, "invalid x-api-key")
        if not request.headers.get("anthropic-version"):
            return self.error_response(400, "anthropic-version: header is required")
        return None

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/messages", self.messages), web.get("/v1/models", self.list_models)]

    async def list_models(self, request: web.Request) -> web.Response:
        data = [{"type": "model", "id": m, "display_name": m, "created_at": "2025-09-29T00:00:00Z"}
                for m in self.models]
        return web.json_response({"data": data, "has_more": False, "first_id": data[0]["id"],
                                  "last_id": data[-1]["id"]})

    async def messages(self, request: web.Request) -> web.StreamResponse:
        body = self.requests[-1].body
        if not isinstance(body, dict):
            return self.error_response(400, "There was an issue with the body of your request")
        try:
            conv = parse_messages_request(body)
        except BadRequest as e:
            return self.error_response(400, str(e))
        reply = compose_reply(conv)
        early = await self.common_directives(reply.directives)
        if early is not None:
            return early
        if conv.stream:
            return await self.stream(request, conv, reply)
        if "garbage" in reply.directives:
            return self.garbage_response()
        return web.json_response(self.message(conv, reply),
                                 headers={"request-id": f"req_mock{self.next_id()}"})

    def usage(self, reply: Reply, output_tokens: int | None = None) -> dict:
        return {"input_tokens": reply.prompt_tokens - reply.cached_tokens,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": reply.cached_tokens,
                "output_tokens": reply.completion_tokens if output_tokens is None
                else output_tokens,
                "service_tier": "standard"}

    def content(self, reply: Reply) -> list[dict]:
        blocks: list[dict] = []
        if reply.thinking:
            blocks.append({"type": "thinking", "thinking": reply.thinking,
                           "signature": "bW9jay1zaWduYXR1cmU="})
        if reply.text is not None:
            blocks.append({"type": "text", "text": reply.text})
        for name, args in reply.tool_calls:
            blocks.append({"type": "tool_use", "id": f"toolu_mock{self.next_id():04d}",
                           "name": name, "input": args})
        return blocks

    def message(self, conv: Conversation, reply: Reply) -> dict:
        return {"id": f"msg_mock{self.next_id()}", "type": "message", "role": "assistant",
                "model": conv.model, "content": self.content(reply),
                "stop_reason": STOP_REASON[reply.finish], "stop_sequence": reply.stop_sequence,
                "usage": self.usage(reply)}

    async def stream(self, request: web.Request, conv: Conversation,
                     reply: Reply) -> web.StreamResponse:
        w = await self.open_stream(request, reply.directives)
        if "garbage" in reply.directives:
            await w.response.write(b"event: message_start\ndata: {\"type\": \"message_st\n\n")
            await w.finish()
            return w.response
        start = self.message(conv, reply)
        start.update(content=[], stop_reason=None, stop_sequence=None,
                     usage=self.usage(reply, output_tokens=1))
        await w.send({"type": "message_start", "message": start}, "message_start")
        await w.send({"type": "ping"}, "ping")
        for index, block in enumerate(self.content(reply)):
            kind = block["type"]
            empty = {"thinking": {"type": "thinking", "thinking": "", "signature": ""},
                     "text": {"type": "text", "text": ""},
                     "tool_use": {**block, "input": {}}}[kind]
            await w.send({"type": "content_block_start", "index": index,
                          "content_block": empty}, "content_block_start")
            if kind == "thinking":
                await w.send({"type": "content_block_delta", "index": index, "delta": {
                    "type": "thinking_delta", "thinking": block["thinking"]}},
                    "content_block_delta")
                await w.send({"type": "content_block_delta", "index": index, "delta": {
                    "type": "signature_delta", "signature": block["signature"]}},
                    "content_block_delta")
            elif kind == "text":
                for i, piece in enumerate(reply.text_pieces()):
                    await w.send({"type": "content_block_delta", "index": index, "delta": {
                        "type": "text_delta", "text": piece}}, "content_block_delta")
                    if i == 0 and "error_event" in reply.directives:
                        await w.send({"type": "error", "error": {
                            "type": "overloaded_error", "message": "Overloaded"}}, "error")
                        await w.finish()
                        return w.response
            else:
                text = json.dumps(block["input"])
                await w.send({"type": "content_block_delta", "index": index, "delta": {
                    "type": "input_json_delta", "partial_json": ""}}, "content_block_delta")
                for s in range(0, len(text), 7):
                    await w.send({"type": "content_block_delta", "index": index, "delta": {
                        "type": "input_json_delta", "partial_json": text[s:s + 7]}},
                        "content_block_delta")
            await w.send({"type": "content_block_stop", "index": index}, "content_block_stop")
        await w.send({"type": "message_delta",
                      "delta": {"stop_reason": STOP_REASON[reply.finish],
                                "stop_sequence": reply.stop_sequence},
                      "usage": {"output_tokens": reply.completion_tokens}}, "message_delta")
        await w.send({"type": "message_stop"}, "message_stop")
        await w.finish()
        return w.response
