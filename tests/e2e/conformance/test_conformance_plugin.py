"""The plugin inside pytest: small inner suites run with pytester (no gateway needed)."""

from __future__ import annotations

import re

import pytest

SUITE = '''
import pytest

pytestmark = pytest.mark.conformance(api="openai")


@pytest.mark.conformance("chat")
@pytest.mark.parametrize("kind", ["openai", "gemini"])
def test_chat(kind):
    assert kind != "gemini"


def test_untagged():
    pass
'''


@pytest.fixture
def suite(pytester):
    pytester.makepyfile(test_suite=SUITE)
    out = pytester.path / "conformance.md"

    def run(*args):
        return pytester.runpytest("-p", "conformance.plugin", "--conformance-out", str(out),
                                  "-p", "no:cacheprovider", *args)
    return run, out


def test_full_run_writes_the_matrix(suite):
    run, out = suite
    result = run()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["conformance matrix: wrote *conformance.md (2 tagged tests, "
                                 "1 failed)"])
    text = out.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| text in, text out"))
    assert row == "| text in, text out | ✓ |  |  |  | ✗ `test_chat[gemini]` |  |"
    assert "- `test_suite.py::test_chat[gemini]`" in text


@pytest.mark.parametrize("args,reason", [
    (["-k", "openai"], "-k"),
    (["-m", "conformance"], "-m"),
    (["-x"], "tests did not run"),
    (["test_suite.py::test_untagged"], "node ids given"),
])
def test_partial_runs_leave_the_file_alone(suite, args, reason):
    run, out = suite
    result = run(*args)
    result.stdout.fnmatch_lines([f"conformance matrix: * not rewritten: partial run (*{reason}*"])
    assert not out.exists()


def test_only_the_date_changed_keeps_the_file(suite):
    run, out = suite
    run()
    old = re.sub(r"Generated on \d{4}-\d{2}-\d{2}", "Generated on 2000-01-01", out.read_text())
    out.write_text(old)
    run().stdout.fnmatch_lines(["conformance matrix: * unchanged"])
    assert out.read_text() == old


def test_no_conformance_option(suite):
    run, out = suite
    run("--no-conformance").stdout.fnmatch_lines(["conformance matrix: * not written *"])
    assert not out.exists()


def test_bad_marker_is_a_usage_error(pytester):
    pytester.makepyfile(test_bad='''
import pytest

@pytest.mark.conformance("chat", api="openai")
def test_x():
    pass
''')
    result = pytester.runpytest("-p", "conformance.plugin", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_bad.py::test_x: no provider*"])
