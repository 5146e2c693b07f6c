"""Fixtures shared by the end-to-end suite: the mock upstreams and the gateway launcher."""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mocks import AnthropicMock, AzureMock, GeminiMock, MockHost, OpenAIMock  # noqa: E402

# conformance.plugin records tagged tests' outcomes and writes docs/conformance.md after a full
# run; pytester lets its own tests run small inner suites.
pytest_plugins = ["conformance.plugin", "pytester"]


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


# scripts/test.sh stops a run with SIGTERM (and background jobs inherit an ignored SIGINT):
# both become KeyboardInterrupt, so pytest runs its teardown and every gateway is stopped.
signal.signal(signal.SIGTERM, _interrupt)
signal.signal(signal.SIGINT, _interrupt)

# Credentials the mocks expect from the gateway (provider credentials, never the caller's key).
UPSTREAM_KEYS = {
    "openai": "sk-upstream-openai",
    "compat": "sk-upstream-compat",
    "azure": "azure-upstream-key",
    "anthropic": "sk-ant-upstream",
    "gemini": "AIza-upstream-gemini",
}


@dataclass
class Mocks:
    openai: OpenAIMock
    compat: OpenAIMock
    azure: AzureMock
    anthropic: AnthropicMock
    gemini: GeminiMock

    def all(self):
        return [self.openai, self.compat, self.azure, self.anthropic, self.gemini]


@pytest.fixture(scope="session")
def mocks():
    host = MockHost()
    started = Mocks(
        openai=host.start(OpenAIMock(UPSTREAM_KEYS["openai"])),
        compat=host.start(OpenAIMock(UPSTREAM_KEYS["compat"])),
        azure=host.start(AzureMock(UPSTREAM_KEYS["azure"])),
        anthropic=host.start(AnthropicMock(UPSTREAM_KEYS["anthropic"])),
        gemini=host.start(GeminiMock(UPSTREAM_KEYS["gemini"])),
    )
    started.compat.name = "compat"
    yield started
    host.close()


@pytest.fixture(autouse=True)
def _fresh_mocks(request):
    """Each test starts with empty request records and response queues."""
    if "mocks" in request.fixturenames:
        for mock in request.getfixturevalue("mocks").all():
            mock.reset()
    yield


@pytest.fixture(scope="module")
def gateway(request, mocks, tmp_path_factory):
    """One gateway per test module, configured by ``harness.gateway.base_config``.

    A module may define ``GATEWAY_OVERRIDES`` (a dict merged over the top-level config keys).
    """
    from harness.gateway import Gateway, base_config

    workdir = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    overrides = getattr(request.module, "GATEWAY_OVERRIDES", {})
    gw = Gateway(workdir, base_config(mocks, workdir / "data", **overrides)).start()
    yield gw
    gw.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the tail of the gateway's log to failing tests that used one."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and "gateway" in getattr(item, "funcargs", {}):
        gw = item.funcargs["gateway"]
        report.sections.append(("portcullis log (tail)", "\n".join(gw.log().splitlines()[-40:])))
