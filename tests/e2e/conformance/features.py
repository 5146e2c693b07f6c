"""The axes of the conformance matrix: inbound APIs, providers (upstream kinds) and features.

The order here is the order of the tables in docs/conformance.md. Feature rows follow the "What
is carried" table of docs/providers.md; a feature that only exists in one inbound API (JSON mode,
``n``, embeddings for OpenAI callers; ``top_k`` for Anthropic callers) is a row of that API's
table only.
"""

from __future__ import annotations

from dataclasses import dataclass

OPENAI = "openai"
ANTHROPIC = "anthropic"
BOTH = (OPENAI, ANTHROPIC)

# Inbound API -> heading of its table.
APIS = {
    OPENAI: "OpenAI callers (`/v1/chat/completions`, `/v1/embeddings`)",
    ANTHROPIC: "Anthropic callers (`/v1/messages`)",
}

# Upstream kind (the `kind` parameter of the tests, see harness/upstream.py) -> column heading.
PROVIDERS = {
    "openai": "OpenAI",
    "compat": "OpenAI-compatible",
    "azure": "Azure OpenAI",
    "anthropic": "Anthropic",
    "gemini": "Gemini",
    "mock": "built-in mock",
}


@dataclass(frozen=True)
class Feature:
    id: str
    label: str
    apis: tuple[str, ...] = BOTH


FEATURES = [
    Feature("chat", "text in, text out"),
    Feature("system", "system / developer prompt"),
    Feature("multi_turn", "multi-turn conversation"),
    Feature("images", "images: base64 / `data:` URL"),
    Feature("image_urls", "images: http(s) URL"),
    Feature("documents", "documents (PDF)"),
    Feature("tools", "tool definitions and calls"),
    Feature("tool_choice", "tool choice (auto, none, required / any, a named tool)"),
    Feature("tool_results", "tool results"),
    Feature("parallel_tool_calls", "parallel tool calls"),
    Feature("parallel_tool_calls_off",
            "`parallel_tool_calls: false` / `disable_parallel_tool_use`"),
    Feature("json_mode", "JSON mode (`json_object`)", (OPENAI,)),
    Feature("structured_output", "structured output (`json_schema`)", (OPENAI,)),
    Feature("stop_sequences", "stop sequences"),
    Feature("sampling", "temperature, top_p"),
    Feature("top_k", "top_k", (ANTHROPIC,)),
    Feature("penalties_seed", "presence / frequency penalty, seed", (OPENAI,)),
    Feature("n_choices", "`n` > 1", (OPENAI,)),
    Feature("logprobs", "logprobs", (OPENAI,)),
    Feature("max_tokens", "max tokens"),
    Feature("reasoning", "reasoning effort / thinking budget"),
    Feature("thinking", "thinking in answers"),
    Feature("user", "`user` / `metadata.user_id`"),
    Feature("finish_reasons", "finish / stop reasons"),
    Feature("usage", "usage"),
    Feature("cached_tokens", "cached tokens"),
    Feature("credentials", "provider credential sent, caller's key never forwarded"),
    Feature("streaming_text", "streaming: text"),
    Feature("streaming_tool_calls", "streaming: tool calls"),
    Feature("streaming_usage", "streaming: usage"),
    Feature("mid_stream_errors", "mid-stream errors in the caller's format"),
    Feature("errors", "upstream errors in the caller's format"),
    Feature("embeddings_float", "embeddings: float", (OPENAI,)),
    Feature("embeddings_base64", "embeddings: base64", (OPENAI,)),
    Feature("dropped_fields", "dropped fields named (`x-portcullis-dropped-fields`)"),
    Feature("strict_mode", "strict mode refuses what cannot be carried"),
]

BY_ID = {f.id: f for f in FEATURES}
