"""The conformance plugin's pure parts: marker resolution and rendering (no gateway needed)."""

from __future__ import annotations

import pytest

from conformance.features import APIS, FEATURES, PROVIDERS
from conformance.render import Run, render, same_apart_from_date
from conformance.tags import Claim, TagError, resolve

MODULE_DEFAULT = ((), {"api": "openai"})


def test_api_from_module_default_and_provider_from_kind():
    claims = resolve([(("tools", "tool_results"), {}), MODULE_DEFAULT], {"kind": "gemini"})
    assert claims == [Claim("openai", "gemini", "tool_results"),
                      Claim("openai", "gemini", "tools")]


def test_marker_arguments_override_defaults():
    claims = resolve([(("errors",), {"api": ["openai", "anthropic"], "provider": "mock"}),
                      MODULE_DEFAULT], {})
    assert claims == [Claim("anthropic", "mock", "errors"), Claim("openai", "mock", "errors")]


def test_providers_filter_and_reported():
    markers = [(("system",), {"providers": ["openai", "gemini"]}),
               (("json_mode",), {"reported": ["anthropic"]}), MODULE_DEFAULT]
    assert resolve(markers, {"kind": "mock"}) == [Claim("openai", "mock", "json_mode")]
    assert resolve(markers, {"kind": "anthropic"}) == [
        Claim("openai", "anthropic", "json_mode", reported=True)]
    assert resolve(markers, {"kind": "gemini"}) == [Claim("openai", "gemini", "json_mode"),
                                                    Claim("openai", "gemini", "system")]


@pytest.mark.parametrize("markers,params,message", [
    ([(("tool",), {}), MODULE_DEFAULT], {"kind": "openai"}, "unknown feature 'tool'"),
    ([(("chat",), {})], {"kind": "openai"}, "no inbound API"),
    ([(("chat",), {}), MODULE_DEFAULT], {}, "no provider"),
    ([(("chat",), {"provider": "bedrock"}), MODULE_DEFAULT], {}, "unknown provider 'bedrock'"),
    ([(("top_k",), {}), MODULE_DEFAULT], {"kind": "openai"}, "not a row of the openai table"),
    ([(("chat",), {"only": ["openai"]}), MODULE_DEFAULT], {"kind": "openai"},
     "unknown argument 'only'"),
])
def test_mistakes_are_errors(markers, params, message):
    with pytest.raises(TagError, match=message):
        resolve(markers, params)


def run_of(outcomes: dict[str, str], claims: dict[str, list[Claim]]) -> Run:
    return Run(outcomes=outcomes, claims=claims)


def table(text: str, api: str) -> dict[str, list[str]]:
    """feature label -> cells, from the table of one API."""
    section = text.split(f"## {APIS[api]}", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split(" | ") for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("| feature")]
    return {r[0].strip(): [c.strip() for c in r[1:]] for r in rows}


def test_render_cells_counts_and_failures():
    claims = {
        "a.py::test_tools[openai]": [Claim("openai", "openai", "tools")],
        "a.py::test_tools[gemini]": [Claim("openai", "gemini", "tools")],
        "a.py::test_json[anthropic]": [Claim("openai", "anthropic", "json_mode", True)],
        "b.py::test_stream[gemini]": [Claim("openai", "gemini", "tools"),
                                      Claim("anthropic", "gemini", "streaming_text")],
    }
    outcomes = {n: "passed" for n in claims} | {"b.py::test_stream[gemini]": "failed",
                                                "c.py::test_untagged": "passed"}
    text = render(run_of(outcomes, claims), "2026-01-02")
    labels = {f.id: f.label for f in FEATURES}
    columns = list(PROVIDERS)
    openai = table(text, "openai")
    assert openai[labels["tools"]][columns.index("openai")] == "✓"
    assert openai[labels["tools"]][columns.index("gemini")] == "✗ `test_stream[gemini]`"
    assert openai[labels["tools"]][columns.index("mock")] == ""
    assert openai[labels["json_mode"]][columns.index("anthropic")] == "✓ reported"
    assert labels["top_k"] not in openai and labels["top_k"] in table(text, "anthropic")
    assert "Generated on 2026-01-02 from a full run of `tests/e2e`: 5 tests, 4 of them tagged " \
           "(3 passed, 1 failed, 0 skipped); 4 cells with tests: 2 ✓, 2 ✗." in text
    assert "- `b.py::test_stream[gemini]`" in text
    assert "`a.py::test_tools`, `b.py::test_stream`" in text


def test_rendering_is_deterministic_and_only_the_date_may_differ():
    claims = {f"t.py::test_x[{p}]": [Claim("anthropic", p, "chat")] for p in PROVIDERS}
    outcomes = {n: "passed" for n in claims}
    reordered = run_of(dict(reversed(list(outcomes.items()))),
                       dict(reversed(list(claims.items()))))
    first = render(run_of(outcomes, claims), "2026-01-02")
    assert render(reordered, "2026-01-02") == first
    assert same_apart_from_date(first, render(reordered, "2027-03-04"))
    outcomes["t.py::test_x[mock]"] = "failed"
    assert not same_apart_from_date(first, render(run_of(outcomes, claims), "2026-01-02"))
