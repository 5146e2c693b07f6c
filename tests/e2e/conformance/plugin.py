"""The pytest plugin that records tagged tests' outcomes and writes docs/conformance.md.

Loaded by tests/e2e/conftest.py (``pytest_plugins``). At collection it resolves every test's
``conformance`` markers (a bad marker is a usage error, like an unknown marker under
``--strict-markers``); during the run it keeps each test's outcome (the worst of its phases:
a failing setup or teardown fails the test, an xfail counts as a failure, since the feature does
not work); at the end, if the run covered the whole suite, it renders the matrix and writes it,
unless only the date would change.

Options: ``--conformance-out PATH`` (default: docs/conformance.md of this checkout) and
``--no-conformance`` (never write).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from .render import FAILED, PASSED, SKIPPED, Run, render, same_apart_from_date
from .tags import Claim, TagError, resolve

E2E = Path(__file__).resolve().parents[1]
REPO = E2E.parents[1]
DEFAULT_OUT = REPO / "docs" / "conformance.md"
RANK = {PASSED: 0, SKIPPED: 1, FAILED: 2}
INCOMPLETE_EXIT = (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR,
                   pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "conformance matrix (docs/conformance.md)")
    group.addoption("--conformance-out", default=str(DEFAULT_OUT), metavar="PATH",
                    help="where a full run writes the conformance matrix "
                         "(default: docs/conformance.md)")
    group.addoption("--no-conformance", action="store_true",
                    help="do not write the conformance matrix, even after a full run")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "conformance(*features, api=, provider=, providers=, reported=): the "
        "conformance-matrix cells this test proves (tests/e2e/conformance/tags.py)")
    config.pluginmanager.register(Recorder(config), "conformance-recorder")


class Recorder:
    """Per-session state: claims by node id, outcomes by node id, signs of a partial run."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.claims: dict[str, list[Claim]] = {}
        self.outcomes: dict[str, str] = {}
        self.deselected = 0
        self.collect_errors = 0
        self.note = ""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        errors = []
        for item in items:
            markers = [(m.args, m.kwargs) for m in item.iter_markers("conformance")]
            if not markers:
                continue
            params = getattr(getattr(item, "callspec", None), "params", {})
            try:
                claims = resolve(markers, params)
            except TagError as e:
                errors.append(f"{item.nodeid}: {e}")
                continue
            if claims:
                self.claims[item.nodeid] = claims
        if errors:
            raise pytest.UsageError("bad conformance markers:\n  " + "\n  ".join(errors))

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors += 1

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed or (report.skipped and hasattr(report, "wasxfail")):
            outcome = FAILED
        elif report.skipped:
            outcome = SKIPPED
        elif report.when == "call":
            outcome = PASSED
        else:
            return
        old = self.outcomes.get(report.nodeid)
        if old is None or RANK[outcome] > RANK[old]:
            self.outcomes[report.nodeid] = outcome

    def partial(self, session: pytest.Session, exitstatus: int) -> list[str]:
        """Why this run does not speak for the whole suite (empty: it does)."""
        opt = self.config.option
        reasons = []
        if getattr(opt, "keyword", ""):
            reasons.append("-k")
        if getattr(opt, "markexpr", ""):
            reasons.append("-m")
        if self.deselected:
            reasons.append(f"{self.deselected} tests deselected")
        if self.collect_errors:
            reasons.append(f"{self.collect_errors} collection errors")
        if any("::" in arg for arg in self.config.args):
            reasons.append("node ids given")
        # The suite is every test file under the rootdir (tests/e2e, where pytest.ini is).
        collected = {Path(str(item.path)) for item in session.items}
        missing = [p for p in Path(self.config.rootpath).rglob("test_*.py")
                   if p not in collected and ".venv" not in p.parts]
        if missing:
            reasons.append(f"{len(missing)} test files not collected")
        not_run = [i for i in session.items if i.nodeid not in self.outcomes]
        if not_run:
            reasons.append(f"{len(not_run)} tests did not run")
        if exitstatus in INCOMPLETE_EXIT or session.shouldstop or session.shouldfail:
            reasons.append("the run was stopped")
        return reasons

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        out = Path(self.config.getoption("conformance_out"))
        shown = out.relative_to(REPO) if out.is_relative_to(REPO) else out
        if self.config.getoption("no_conformance"):
            self.note = f"{shown} not written (--no-conformance)"
            return
        reasons = self.partial(session, exitstatus)
        if reasons:
            self.note = f"{shown} not rewritten: partial run ({'; '.join(reasons)})"
            return
        run = Run(outcomes=dict(self.outcomes), claims=self.claims)
        text = render(run, datetime.date.today().isoformat()) + "\n"
        if out.exists() and same_apart_from_date(out.read_text(), text):
            self.note = f"{shown} unchanged"
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        failed = sum(1 for n in self.claims if self.outcomes.get(n) == FAILED)
        self.note = f"wrote {shown} ({len(self.claims)} tagged tests, {failed} failed)"

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.note:
            terminalreporter.write_line(f"conformance matrix: {self.note}")
