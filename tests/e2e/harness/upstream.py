"""The upstream side of the matrix: which public model reaches which mock, and a neutral view
of what that mock received, so one test can assert the same fact for every wire format."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from conftest import UPSTREAM_KEYS
from harness.gateway import KEYS

# Upstream kind -> (public model name, mock attribute on the Mocks fixture, wire format)
UPSTREAMS = {
    "openai": ("openai/gpt-4o-mini", "openai", "openai"),
    "compat": ("compat/llama-3.1-8b", "compat", "openai"),
    "azure": ("azure/my-deployment", "azure", "openai"),
    "anthropic": ("anthropic/claude-mock-1", "anthropic", "anthropic"),
    "gemini": ("gemini/gemini-2.5-flash", "gemini", "gemini"),
}
REAL = list(UPSTREAMS)  # upstreams behind a network mock we can inspect
WITH_MOCK = REAL + ["mock"]  # plus the gateway's built-in `mock` provider
BUILTIN_MOCK_MODEL = "mock-echo"


def model_for(kind: str) -> str:
    return BUILTIN_MOCK_MODEL if kind == "mock" else UPSTREAMS[kind][0]


@dataclass
class Upstream:
    """What one mock received for the newest chat request."""

    kind: str
    mock: Any

    @property
    def wire(self) -> str:
        return UPSTREAMS[self.kind][2]

    def chat_path(self) -> str:
        return {"openai": "/chat/completions", "anthropic": "/v1/messages",
                "gemini": "Content"}[self.wire]

    def rec(self):
        return self.mock.last(self.chat_path())

    def chat_requests(self) -> list:
        return [r for r in self.mock.requests if self.chat_path() in r.path]

    def body(self) -> dict:
        return self.rec().body

    def upstream_model(self) -> str:
        rec = self.rec()
        if self.kind == "azure":
            return rec.path.split("/")[3]
        if self.wire == "gemini":
            return rec.path.rsplit("/", 1)[1].split(":")[0]
        return rec.body["model"]

    def system(self) -> str:
        b = self.body()
        if self.wire == "openai":
            return " ".join(m["content"] if isinstance(m["content"], str) else
                            " ".join(p.get("text", "") for p in m["content"])
                            for m in b["messages"] if m["role"] in ("system", "developer"))
        if self.wire == "anthropic":
            s = b.get("system") or ""
            return s if isinstance(s, str) else " ".join(x.get("text", "") for x in s)
        si = b.get("systemInstruction") or b.get("system_instruction") or {}
        return " ".join(p.get("text", "") for p in si.get("parts", []))

    def roles(self) -> list[str]:
        """Conversation roles in neutral terms (user/assistant), system prompt excluded."""
        b = self.body()
        if self.wire == "openai":
            return [{"tool": "tool"}.get(m["role"], m["role"]) for m in b["messages"]
                    if m["role"] not in ("system", "developer")]
        if self.wire == "anthropic":
            return [m["role"] for m in b["messages"]]
        return [{"model": "assistant"}.get(c.get("role", "user"), "user") for c in b["contents"]]

    def max_tokens(self) -> int | None:
        b = self.body()
        if self.wire == "openai":
            return b.get("max_completion_tokens", b.get("max_tokens"))
        if self.wire == "anthropic":
            return b.get("max_tokens")
        gen = b.get("generationConfig") or b.get("generation_config") or {}
        return gen.get("maxOutputTokens", gen.get("max_output_tokens"))

    def stop(self) -> list[str]:
        b = self.body()
        if self.wire == "openai":
            s = b.get("stop")
            return [s] if isinstance(s, str) else list(s or [])
        if self.wire == "anthropic":
            return b.get("stop_sequences") or []
        gen = b.get("generationConfig") or b.get("generation_config") or {}
        return gen.get("stopSequences", gen.get("stop_sequences")) or []

    def streamed(self) -> bool:
        rec = self.rec()
        if self.wire == "gemini":
            return "streamGenerateContent" in rec.path and rec.query.get("alt") == "sse"
        return bool(rec.body.get("stream"))

    def include_usage(self) -> bool:
        return bool((self.body().get("stream_options") or {}).get("include_usage"))

    def images(self) -> list[tuple[str, str]]:
        """(media type, base64 data) of every image in the newest request."""
        out = []
        b = self.body()
        if self.wire == "openai":
            for m in b["messages"]:
                for p in m["content"] if isinstance(m.get("content"), list) else []:
                    if p.get("type") == "image_url":
                        head, _, data = p["image_url"]["url"].partition(",")
                        out.append((head.removeprefix("data:").removesuffix(";base64"), data))
        elif self.wire == "anthropic":
            for m in b["messages"]:
                for p in m["content"] if isinstance(m["content"], list) else []:
                    if p.get("type") == "image":
                        out.append((p["source"].get("media_type"), p["source"].get("data")))
        else:
            for c in b["contents"]:
                for p in c["parts"]:
                    d = p.get("inlineData") or p.get("inline_data")
                    mime = (d or {}).get("mimeType") or (d or {}).get("mime_type") or ""
                    if d and mime.startswith("image/"):
                        out.append((mime, d["data"]))
        return out

    def documents(self) -> list[tuple[str, str]]:
        """(media type, base64 data) of every inline document (PDF...) in the newest request."""
        out = []
        b = self.body()
        if self.wire == "openai":
            for m in b["messages"]:
                for p in m["content"] if isinstance(m.get("content"), list) else []:
                    if p.get("type") == "file":
                        head, _, data = p["file"].get("file_data", "").partition(",")
                        out.append((head.removeprefix("data:").removesuffix(";base64"), data))
        elif self.wire == "anthropic":
            for m in b["messages"]:
                for p in m["content"] if isinstance(m["content"], list) else []:
                    if p.get("type") == "document" and p["source"].get("type") == "base64":
                        out.append((p["source"].get("media_type"), p["source"].get("data")))
        else:
            for c in b["contents"]:
                for p in c["parts"]:
                    d = p.get("inlineData") or p.get("inline_data")
                    mime = (d or {}).get("mimeType") or (d or {}).get("mime_type") or ""
                    if d and not mime.startswith("image/"):
                        out.append((mime, d["data"]))
        return out

    def generation(self) -> dict:
        """Sampling and related settings as the provider received them, under OpenAI's names
        (temperature, top_p, top_k, seed, presence_penalty, frequency_penalty); absent ones are
        left out."""
        b = self.body()
        if self.wire == "gemini":
            gen = b.get("generationConfig") or b.get("generation_config") or {}
            names = {"temperature": "temperature", "topP": "top_p", "topK": "top_k",
                     "seed": "seed", "presencePenalty": "presence_penalty",
                     "frequencyPenalty": "frequency_penalty"}
            out = {}
            for camel, neutral in names.items():
                snake = "".join("_" + ch.lower() if ch.isupper() else ch for ch in camel)
                if camel in gen or snake in gen:
                    out[neutral] = gen.get(camel, gen.get(snake))
            return out
        names = ("temperature", "top_p", "top_k", "seed", "presence_penalty",
                 "frequency_penalty")
        return {n: b[n] for n in names if n in b}

    def generation_config(self) -> dict:
        """Gemini's ``generationConfig`` (whichever spelling was used)."""
        b = self.body()
        return b.get("generationConfig") or b.get("generation_config") or {}

    def image_urls(self) -> list[str]:
        """URLs of images passed by reference (not inline data) in the newest request."""
        out = []
        b = self.body()
        if self.wire == "openai":
            for m in b["messages"]:
                for p in m["content"] if isinstance(m.get("content"), list) else []:
                    url = (p.get("image_url") or {}).get("url", "")
                    if p.get("type") == "image_url" and not url.startswith("data:"):
                        out.append(url)
        elif self.wire == "anthropic":
            for m in b["messages"]:
                for p in m["content"] if isinstance(m["content"], list) else []:
                    if p.get("type") == "image" and p["source"].get("type") == "url":
                        out.append(p["source"]["url"])
        else:
            for c in b["contents"]:
                for p in c["parts"]:
                    d = p.get("fileData") or p.get("file_data")
                    if d:
                        out.append(d.get("fileUri") or d.get("file_uri"))
        return out

    def tool_names(self) -> list[str]:
        b = self.body()
        if self.wire == "openai":
            return [t["function"]["name"] for t in b.get("tools") or []]
        if self.wire == "anthropic":
            return [t["name"] for t in b.get("tools") or []]
        return [d["name"] for t in b.get("tools") or []
                for d in t.get("functionDeclarations") or t.get("function_declarations") or []]

    def tool_choice(self):
        """Neutral tool choice: "auto" | "required" | "none" | ("tool", name) | None (unset)."""
        b = self.body()
        if self.wire == "openai":
            c = b.get("tool_choice")
            return ("tool", c["function"]["name"]) if isinstance(c, dict) else c
        if self.wire == "anthropic":
            c = b.get("tool_choice")
            if c is None:
                return None
            return {"auto": "auto", "any": "required", "none": "none"}.get(
                c["type"], ("tool", c.get("name")))
        cfg = (b.get("toolConfig") or b.get("tool_config") or {})
        fc = cfg.get("functionCallingConfig") or cfg.get("function_calling_config")
        if not fc:
            return None
        mode = fc.get("mode")
        names = fc.get("allowedFunctionNames") or fc.get("allowed_function_names") or []
        if mode == "ANY" and len(names) == 1:
            return ("tool", names[0])
        return {"AUTO": "auto", "ANY": "required", "NONE": "none"}.get(mode, mode)

    def credential_headers(self) -> dict[str, str]:
        rec = self.rec()
        return {k: v for k, v in rec.headers.items()
                if k in ("authorization", "api-key", "x-api-key", "x-goog-api-key")}

    def assert_provider_credential(self) -> None:
        """The provider's own key went upstream, and no caller key leaked anywhere."""
        rec = self.rec()
        expected = UPSTREAM_KEYS[self.kind]
        header = {"openai": "authorization", "compat": "authorization", "azure": "api-key",
                  "anthropic": "x-api-key", "gemini": "x-goog-api-key"}[self.kind]
        value = rec.header(header) or ""
        assert value in (expected, f"Bearer {expected}"), (header, value)
        blob = json.dumps(rec.headers) + rec.raw.decode(errors="replace") + json.dumps(rec.query)
        for caller_key in KEYS.values():
            assert caller_key not in blob, f"caller key leaked to {self.kind}"
