"""Azure OpenAI mock: deployment paths, ``api-version``, the ``api-key`` header, Azure's shapes.

Differences from OpenAI that the gateway must handle, as Azure documents them:

* ``POST /openai/deployments/{deployment}/chat/completions?api-version=YYYY-MM-DD[-preview]``
  (and ``/embeddings``); the body's ``model`` is optional, the deployment names the model.
* Auth by ``api-key: KEY``; a missing or wrong key gets
  ``{"error": {"code": "401", "message": "Access denied due to invalid subscription key..."}}``.
* A missing or unknown ``api-version`` gets 404 ``{"error": {"code": "404", "message":
  "Resource not found"}}``.
* Responses carry ``prompt_filter_results`` and per-choice ``content_filter_results``, and the
  ``model`` field names the underlying model, not the deployment. Streams begin with a chunk
  whose ``choices`` is empty and that carries only ``prompt_filter_results``.
* Rate-limit and server errors use ``{"error": {"code": "429", "message": ...}}``; content
  filtering uses code ``content_filter`` with ``innererror``.
"""

from __future__ import annotations

import re

from aiohttp import web

from .openai_mock import CREATED, OpenAIMock

API_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
FILTER_OK = {sev: {"filtered": False, "severity": "safe"}
             for sev in ("hate", "self_harm", "sexual", "violence")}


class AzureMock(OpenAIMock):
    """Azure OpenAI mock. ``underlying_model`` is what responses report in ``model``."""

    name = "azure"
    prefix = "/openai/deployments/{deployment}"
    underlying_model = "gpt-4o-2024-08-06"

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post(f"{self.prefix}/chat/completions", self.chat),
            web.post(f"{self.prefix}/embeddings", self.embeddings),
            web.get("/openai/models", self.list_models),
        ]

    def error_response(self, status: int, message: str, param: str | None = None) -> web.Response:
        if status == 400:
            # Validation errors keep OpenAI's shape on Azure.
            return web.json_response(self.error_body(400, message, param=param), status=400)
        return web.json_response({"error": {"code": str(status), "message": message}},
                                 status=status, headers={"apim-request-id": f"mock-{self.next_id()}"})

    def auth_error(self, request: web.Request) -> web.Response | None:
        if self.api_key is not None and request.headers.get("api-key") != self.api_key:
            return self.error_response(401, "Access denied due to invalid subscription key or "
                                            "wrong API endpoint. Make sure to provide a valid key "
                                            "for an active subscription and use a correct "
                                            "regional API endpoint for your resource.")
        version = request.query.get("api-version", "")
        if not API_VERSION_RE.match(version):
            return web.json_response({"error": {"code": "404", "message": "Resource not found"}},
                                     status=404)
        return None

    def model_from(self, request: web.Request) -> str | None:
        return request.match_info.get("deployment")

    def response_model(self, conv_model: str) -> str:
        return self.underlying_model

    def content_filter_error(self) -> web.Response:
        return web.json_response({"error": {
            "message": "The response was filtered due to the prompt triggering Azure OpenAI's "
                       "content management policy.",
            "type": None, "param": "prompt", "code": "content_filter", "status": 400,
            "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": {
                **FILTER_OK, "violence": {"filtered": True, "severity": "high"}}}}}, status=400)

    def decorate_completion(self, payload: dict) -> dict:
        payload["prompt_filter_results"] = [{"prompt_index": 0,
                                             "content_filter_results": FILTER_OK}]
        for choice in payload["choices"]:
            choice["content_filter_results"] = FILTER_OK
        payload.pop("service_tier", None)
        return payload

    def decorate_chunk(self, chunk: dict) -> dict:
        for choice in chunk["choices"]:
            choice["content_filter_results"] = {} if choice["finish_reason"] else FILTER_OK
        chunk.pop("service_tier", None)
        return chunk

    async def stream_prelude(self, writer, base: dict) -> None:
        await writer.send({"choices": [], "created": 0, "id": "", "model": "", "object": "",
                           "prompt_filter_results": [{"prompt_index": 0,
                                                      "content_filter_results": FILTER_OK}]})

    async def list_models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [
            {"id": self.underlying_model, "object": "model", "created_at": CREATED,
             "status": "succeeded"}]})
