"""Turns ``@pytest.mark.conformance`` markers into the matrix cells a test claims to prove.

The marker::

    @pytest.mark.conformance("tools", "tool_results")          # features this test proves
    @pytest.mark.conformance("system", providers=REAL)          # ...only for these providers
    @pytest.mark.conformance("json_mode", reported=["anthropic"])
    @pytest.mark.conformance("errors", api=["openai", "anthropic"], provider="gemini")
    pytestmark = pytest.mark.conformance(api="openai")          # module default, no features

* the inbound API is ``api=`` on the marker, else the nearest marker that only sets ``api=``
  (usually the module's ``pytestmark``);
* the provider is ``provider=`` on the marker, else the test's ``kind`` parameter (see
  harness/upstream.py), else a default marker's ``provider=``;
* ``providers=`` limits a marker to some providers (for tests that assert less for the others);
* ``reported=`` names providers that cannot carry the feature, where the test proves the gateway
  says so (a dropped-fields header or a 400 naming the field) instead of dropping it silently.
  It applies to every feature of its marker: give other features their own marker.

Any mistake (unknown feature, a feature the API does not have, no API or provider) raises
``TagError``: the plugin turns it into a usage error, so a typo cannot leave a cell blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .features import APIS, BY_ID, PROVIDERS

KWARGS = {"api", "provider", "providers", "reported"}


class TagError(Exception):
    """A conformance marker that cannot be resolved; the message says what to fix."""


@dataclass(frozen=True, order=True)
class Claim:
    """One cell a test proves: (inbound API, provider, feature)."""

    api: str
    provider: str
    feature: str
    reported: bool = False


def _names(value: Any, what: str, known: Iterable[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    names = (value,) if isinstance(value, str) else tuple(value)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise TagError(f"unknown {what} {unknown[0]!r}; known: {', '.join(known)}")
    return names


def resolve(markers: list[tuple[tuple, dict]], params: dict[str, Any]) -> list[Claim]:
    """The claims of one test item.

    ``markers`` are the (args, kwargs) of its conformance markers, nearest first (function,
    then class, then module), as ``item.iter_markers`` yields them; ``params`` its
    parametrization (``item.callspec.params``, or empty).
    """
    default_api: tuple[str, ...] = ()
    default_provider: tuple[str, ...] = ()
    for args, kwargs in markers:
        if not args:
            default_api = default_api or _names(kwargs.get("api"), "api", APIS)
            default_provider = default_provider or _names(kwargs.get("provider"), "provider",
                                                          PROVIDERS)
    claims: set[Claim] = set()
    for args, kwargs in markers:
        extra = sorted(set(kwargs) - KWARGS)
        if extra:
            raise TagError(f"unknown argument {extra[0]!r}; use {', '.join(sorted(KWARGS))}")
        if not args:
            continue
        apis = _names(kwargs.get("api"), "api", APIS) or default_api
        if not apis:
            raise TagError("no inbound API: give api= on the marker or on the module's "
                           "pytestmark")
        provider = kwargs.get("provider") or params.get("kind")
        providers = _names(provider, "provider", PROVIDERS) or default_provider
        if not providers:
            raise TagError("no provider: parametrize the test by `kind` or give provider=")
        only = _names(kwargs.get("providers"), "provider", PROVIDERS)
        reported = _names(kwargs.get("reported"), "provider", PROVIDERS)
        for feature in args:
            if feature not in BY_ID:
                raise TagError(f"unknown feature {feature!r}; known: {', '.join(BY_ID)}")
            for api in apis:
                if api not in BY_ID[feature].apis:
                    raise TagError(f"feature {feature!r} is not a row of the {api} table")
                for p in providers:
                    if not only or p in only:
                        claims.add(Claim(api, p, feature, p in reported))
    return sorted(claims)
