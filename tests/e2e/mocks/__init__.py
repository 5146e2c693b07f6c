"""Wire-faithful mock upstreams for the end-to-end tests (see docs/testing.md)."""

from .anthropic_mock import AnthropicMock
from .azure_mock import AzureMock
from .base import MockHost, MockServer, RecordedRequest, compose_reply, parse_directives
from .gemini_mock import GeminiMock
from .openai_mock import OpenAIMock

__all__ = ["AnthropicMock", "AzureMock", "GeminiMock", "MockHost", "MockServer", "OpenAIMock",
           "RecordedRequest", "compose_reply", "parse_directives"]
