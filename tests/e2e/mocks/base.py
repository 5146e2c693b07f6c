"""Shared machinery for the mock upstream servers.

Every mock is an aiohttp application served on 127.0.0.1 on a free port, inside one background
event loop (``MockHost``) so that synchronous tests and the synchronous official SDKs can talk to
them. A mock:

* records every request it receives (method, path, query, headers, JSON body) in ``requests``;
* checks the credential header its provider expects and answers in the provider's error shape;
* answers deterministically: the reply echoes the text of the last user message (see
  ``compose_reply``), so tests can predict it exactly;
* obeys scenario directives written in the last user message, e.g. ``[[mock:status=429]]``
  (see ``DIRECTIVES`` in ``docs/testing.md``), or a per-test queue of programmed responses
  (``enqueue``), which wins over everything but the auth check.
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
import hashlib
import threading
import base64
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

DIRECTIVE_RE = re.compile(r"\[\[mock:([a-z_]+)(?:=([^\]]*))?\]\]")


@dataclass
class RecordedRequest:
    """One request as the mock received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    raw: bytes
    body: Any  # parsed JSON, or None when the body was empty or not JSON

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Programmed:
    """A response a test queued; served to the next request instead of the normal answer."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Message:
    """A provider-neutral view of one conversation turn, built by each mock from its wire format."""

    role: str  # system | user | assistant | tool
    texts: list[str] = field(default_factory=list)
    images: int = 0
    documents: int = 0  # PDFs and other files
    tool_calls: list[str] = field(default_factory=list)  # tool names the assistant called
    tool_results: list[str] = field(default_factory=list)  # result contents (as text)


@dataclass
class Conversation:
    """What a mock understood from a chat request, in neutral terms."""

    model: str
    system: str = ""
    messages: list[Message] = field(default_factory=list)
    tools: dict[str, dict] = field(default_factory=dict)  # name -> JSON schema of the parameters
    stop: list[str] = field(default_factory=list)
    max_tokens: int | None = None
    json_mode: bool = False
    stream: bool = False
    choices: int = 1  # OpenAI `n`, Gemini `candidateCount`: that many identical answers
    include_thoughts: bool = False  # Gemini `thinkingConfig.includeThoughts`


@dataclass
class Reply:
    """The deterministic answer, rendered by each mock in its own wire format."""

    text: str | None
    tool_calls: list[tuple[str, dict]]
    finish: str  # stop | length | tool_calls | stop_sequence
    stop_sequence: str | None
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    thinking: str | None
    directives: dict[str, str]

    def text_pieces(self) -> list[str]:
        """The reply text cut into stream deltas: one word (with its trailing space) each."""
        if not self.text:
            return []
        return re.findall(r"\S+\s*|\s+", self.text)


def parse_directives(text: str) -> tuple[str, dict[str, str]]:
    """Split ``[[mock:name=value]]`` markers out of a text; returns (clean text, directives)."""
    directives = {m.group(1): (m.group(2) or "") for m in DIRECTIVE_RE.finditer(text)}
    clean = DIRECTIVE_RE.sub("", text)
    return " ".join(clean.split()), directives


def count_words(text: str) -> int:
    """Token count used by every mock: whitespace-separated words, directives excluded."""
    return len(DIRECTIVE_RE.sub(" ", text).split())


def fake_arguments(schema: dict | None) -> dict:
    """Deterministic arguments that satisfy a tool's JSON schema well enough for tests."""
    props = (schema or {}).get("properties") or {}
    out: dict[str, Any] = {}
    for name, spec in props.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if isinstance(spec, dict) and spec.get("enum"):
            out[name] = spec["enum"][0]
        elif kind in ("integer", "number"):
            out[name] = 1
        elif kind == "boolean":
            out[name] = True
        elif kind == "array":
            out[name] = []
        elif kind == "object":
            out[name] = {}
        elif name in ("location", "city"):
            out[name] = "Paris"
        else:
            out[name] = "test"
    return out


def compose_reply(conv: Conversation) -> Reply:
    """The mock's answer to a conversation; identical for every provider so tests can compare.

    * The text is the last user message with directives removed (``[images: N]`` appended when it
      carried images, ``[documents: N]`` when it carried documents); after tool results it is
      ``tool results: <r1>; <r2>``.
    * ``json_mode`` wraps the text as ``{"echo": text}``.
    * A stop sequence found in the text cuts it there (finish ``stop_sequence``); more words than
      ``max_tokens`` cut it to ``max_tokens`` words (finish ``length``).
    * Usage: prompt tokens = words in the system prompt and all message texts + one per message;
      completion tokens = words in the reply (10 per tool call); ``cached=N`` reports N cached.
    """
    last = conv.messages[-1] if conv.messages else Message(role="user")
    last_user_text = " ".join(last.texts) if last.role == "user" else ""
    clean, directives = parse_directives(last_user_text)

    tool_calls: list[tuple[str, dict]] = []
    if "tool_call" in directives:
        for name in filter(None, (n.strip() for n in directives["tool_call"].split(","))):
            tool_calls.append((name, fake_arguments(conv.tools.get(name))))

    text: str | None
    finish = "stop"
    stop_sequence = None
    if tool_calls:
        text = None
        finish = "tool_calls"
    else:
        if last.tool_results:
            text = "tool results: " + "; ".join(last.tool_results)
        else:
            text = clean or "ok"
            if last.images:
                text += f" [images: {last.images}]"
            if last.documents:
                text += f" [documents: {last.documents}]"
        if conv.json_mode:
            text = json.dumps({"echo": text})
        hits = [(text.find(s), s) for s in conv.stop if s and s in text]
        if hits:
            pos, stop_sequence = min(hits)
            text = text[:pos]
            finish = "stop_sequence"
        elif conv.max_tokens is not None and count_words(text) > conv.max_tokens:
            text = " ".join(text.split()[: conv.max_tokens])
            finish = "length"

    prompt_tokens = count_words(conv.system) + sum(
        count_words(" ".join(m.texts + m.tool_results)) + 1 for m in conv.messages
    )
    completion_tokens = 10 * len(tool_calls) if tool_calls else count_words(text or "")
    cached = int(directives.get("cached") or 0)
    thinking = f"Thinking about: {clean}" if "thinking" in directives else None
    return Reply(
        text=text,
        tool_calls=tool_calls,
        finish=finish,
        stop_sequence=stop_sequence,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cached_tokens=min(cached, prompt_tokens),
        thinking=thinking,
        directives=directives,
    )


def fake_embedding(text: str, dims: int) -> list[float]:
    """A deterministic unit-ish vector derived from the text (same text, same vector)."""
    seed = hashlib.sha256(text.encode()).digest()
    out = []
    while len(out) < dims:
        seed = hashlib.sha256(seed).digest()
        out.extend((b - 128) / 128.0 for b in seed)
    # Round to float32 precision so base64 and float renderings compare equal.
    return [struct.unpack("<f", struct.pack("<f", v))[0] for v in out[:dims]]


def embedding_base64(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


class SseWriter:
    """Writes Server-Sent Events and can cut the connection after N events (``cut_after``)."""

    def __init__(self, request: web.Request, response: web.StreamResponse, cut_after: int | None,
                 delay: float, fragment: bool = False):
        self.request = request
        self.response = response
        self.cut_after = cut_after
        self.delay = delay
        self.sent = 0
        self.cut = False
        self.newline = "\n"  # Gemini frames its events with CRLF
        self.fragment = fragment
        # What became of this stream, for tests: open | done | cut | client_gone.
        self.state = {"path": request.path, "state": "open"}

    async def send(self, data: Any, event: str | None = None) -> None:
        """Send one event; raises ``StreamCut`` once the cut point is passed."""
        if self.cut_after is not None and self.sent >= self.cut_after:
            await self._cut()
        payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        nl = self.newline
        frame = (f"event: {event}{nl}" if event else "") + f"data: {payload}{nl}{nl}"
        try:
            if self.delay and self.sent:
                await asyncio.sleep(self.delay)
            await self._write(frame.encode())
        except (ConnectionResetError, asyncio.CancelledError):
            # The gateway hung up on us (its caller left, or it gave up).
            self.state["state"] = "client_gone"
            raise
        self.sent += 1

    async def finish(self) -> None:
        """End the stream normally."""
        await self.response.write_eof()
        self.state["state"] = "done"

    async def _write(self, data_bytes: bytes) -> None:
        if self.fragment:
            # Tiny writes with pauses, so frames, lines and even UTF-8 characters arrive split
            # across reads on the other side.
            for start in range(0, len(data_bytes), 3):
                await self.response.write(data_bytes[start:start + 3])
                await asyncio.sleep(0.0005)
        else:
            await self.response.write(data_bytes)

    async def _cut(self) -> None:
        self.cut = True
        self.state["state"] = "cut"
        transport = self.request.transport
        if transport is not None:
            # Abort without the terminating chunk: the client sees a truncated body, as when an
            # upstream dies mid-stream.
            transport.abort()
        raise StreamCut()


class StreamCut(Exception):
    """Raised inside a streaming handler when the scenario cut the connection."""


class MockServer:
    """Base class: recording, auth, programmed queue, common directives. Subclasses add routes."""

    name = "mock"

    def __init__(self, api_key: str | None):
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.streams: list[dict] = []  # one {"path", "state"} per stream opened, oldest first
        self.queue: deque[Programmed] = deque()
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self._counter = 0

    # --- test-facing API -------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        self.requests.clear()
        self.streams.clear()
        self.queue.clear()

    def enqueue(self, status: int = 200, body: Any = b"", content_type: str = "application/json",
                headers: dict[str, str] | None = None, delay: float = 0.0) -> None:
        """Queue a response for the next request (FIFO). Dicts/lists are sent as JSON."""
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self.queue.append(Programmed(status, body, content_type, headers or {}, delay))

    def last(self, path_contains: str = "") -> RecordedRequest:
        """The newest recorded request whose path contains ``path_contains``."""
        for req in reversed(self.requests):
            if path_contains in req.path:
                return req
        raise AssertionError(f"{self.name} mock received no request matching {path_contains!r}; "
                             f"got {[r.path for r in self.requests]}")

    # --- subclass hooks --------------------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    def auth_error(self, request: web.Request) -> web.Response | None:
        """Return the provider's auth error for a request lacking the right credential."""
        raise NotImplementedError

    def error_response(self, status: int, message: str) -> web.Response:
        """The provider's error body for an HTTP status (used by ``status=N`` directives)."""
        raise NotImplementedError

    # --- machinery -------------------------------------------------------------------------
    def next_id(self) -> int:
        self._counter += 1
        return self._counter

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.requests.append(RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            raw=raw,
            body=body,
        ))
        denied = self.auth_error(request)
        if denied is not None:
            return denied
        if self.queue:
            item = self.queue.popleft()
            if item.delay:
                await asyncio.sleep(item.delay)
            return web.Response(status=item.status, body=item.body, headers={
                "Content-Type": item.content_type, **item.headers})
        if raw and body is None and request.method == "POST":
            return self.error_response(400, "We could not parse the JSON body of your request.")
        try:
            return await handler(request)
        except (StreamCut, ConnectionResetError):
            # The connection is already gone; hand aiohttp something it can discard.
            return web.Response(status=200)

    async def common_directives(self, directives: dict[str, str]) -> web.Response | None:
        """Apply ``delay``, ``status`` and ``garbage`` (non-stream). Returns an early answer."""
        if "delay" in directives:
            await asyncio.sleep(float(directives["delay"] or 1))
        if "status" in directives:
            status = int(directives["status"])
            resp = self.error_response(status, f"mock scenario: status {status}")
            if status == 429:
                resp.headers["Retry-After"] = "1"
            return resp
        return None

    def garbage_response(self) -> web.Response:
        return web.Response(status=200, text="<html><body>502 Bad Gateway</body></html>{{{",
                            content_type="application/json")

    async def open_stream(self, request: web.Request, directives: dict[str, str]) -> SseWriter:
        resp = web.StreamResponse(status=200, headers={
            "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        cut = directives.get("cut_after")
        writer = SseWriter(request, resp, int(cut) if cut else None,
                           float(directives.get("chunk_delay") or 0), "fragment" in directives)
        self.streams.append(writer.state)
        return writer

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app.add_routes(self.routes())
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.build_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # noqa: SLF001 - aiohttp exposes the bound port only here
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class MockHost:
    """Runs mock servers on one event loop in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="mocks", daemon=True)
        self.thread.start()
        self.servers: list[MockServer] = []

    def start(self, server: MockServer) -> MockServer:
        asyncio.run_coroutine_threadsafe(server.start(), self.loop).result(timeout=10)
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            asyncio.run_coroutine_threadsafe(server.stop(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
