"""Reload (file edit, SIGHUP, invalid config kept out) and graceful shutdown.

Each test owns its gateway: these tests change config and stop processes.
"""

from __future__ import annotations

import signal
import threading
import time

import openai
import pytest

from harness.gateway import Gateway, base_config, run_cli

pytestmark = pytest.mark.gateway


@pytest.fixture
def gw(mocks, tmp_path):
    g = Gateway(tmp_path, base_config(mocks, tmp_path / "data")).start()
    yield g
    g.stop()


def with_route(mocks, tmp_path, name: str) -> dict:
    cfg = base_config(mocks, tmp_path / "data")
    cfg["models"].insert(0, {"name": name, "targets": [{"provider": "openai",
                                                         "model": "gpt-4o-mini"}]})
    return cfg


def serves(gw: Gateway, model: str) -> bool:
    try:
        gw.openai().chat.completions.create(model=model,
                                            messages=[{"role": "user", "content": "x"}])
        return True
    except openai.NotFoundError:
        return False


def reached(mock, marker: str) -> bool:
    """Whether a request containing ``marker`` has arrived at ``mock``."""
    return any(marker.encode() in r.raw for r in mock.requests)


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_file_edit_reloads(gw, mocks, tmp_path):
    assert not serves(gw, "brand-new")
    gw.write_config(with_route(mocks, tmp_path, "brand-new"))
    assert wait_until(lambda: serves(gw, "brand-new"), 5), gw.log()[-3000:]


def test_sighup_reloads(gw, mocks, tmp_path):
    gw.write_config(with_route(mocks, tmp_path, "via-sighup"))
    gw.signal(signal.SIGHUP)
    assert wait_until(lambda: serves(gw, "via-sighup"), 5), gw.log()[-3000:]


def test_invalid_config_keeps_the_old_one(gw, mocks, tmp_path):
    gw.write_config("providers: [this is: not valid\n")
    gw.signal(signal.SIGHUP)
    time.sleep(2.5)  # longer than the watcher's poll: both reload paths have seen it
    assert gw.proc.poll() is None, "an invalid config must not stop the gateway"
    assert serves(gw, "openai/gpt-4o-mini")
    broken = with_route(mocks, tmp_path, "never-applied")
    broken["models"][0]["targets"] = [{"provider": "no-such-provider"}]
    gw.write_config(broken)
    time.sleep(2.5)
    assert not serves(gw, "never-applied") and serves(gw, "openai/gpt-4o-mini")
    assert "no-such-provider" in gw.log()
    gw.write_config(with_route(mocks, tmp_path, "fixed"))
    assert wait_until(lambda: serves(gw, "fixed"), 5)


def test_reload_changes_keys(gw, mocks, tmp_path):
    cfg = base_config(mocks, tmp_path / "data")
    cfg["api_keys"] = [{"name": "team-c", "key": "sk-test-team-c-new"}]
    gw.write_config(cfg)
    gw.signal(signal.SIGHUP)

    def rotated() -> bool:
        try:
            gw.openai(key="sk-test-team-a").models.list()
            return False
        except openai.AuthenticationError:
            return True

    assert wait_until(rotated, 5), "a key removed from the config must stop working"
    assert gw.openai(key="sk-test-team-c-new").models.list()


def test_in_flight_request_keeps_its_config_across_reload(gw, mocks, tmp_path):
    cfg = with_route(mocks, tmp_path, "going-away")
    gw.write_config(cfg)
    gw.signal(signal.SIGHUP)
    assert wait_until(lambda: serves(gw, "going-away"), 5)
    results: dict = {}

    def slow_call():
        try:
            r = gw.openai().chat.completions.create(
                model="going-away", messages=[{"role": "user", "content": "slow [[mock:delay=1.5]]"}])
            results["content"] = r.choices[0].message.content
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            results["error"] = repr(e)

    t = threading.Thread(target=slow_call)
    t.start()
    assert wait_until(lambda: reached(mocks.openai, "delay=1.5"), 5), "never reached upstream"
    gw.write_config(base_config(mocks, tmp_path / "data"))
    gw.signal(signal.SIGHUP)
    assert wait_until(lambda: not serves(gw, "going-away"), 5)
    t.join(timeout=10)
    assert results == {"content": "slow"}


def test_sigterm_lets_in_flight_requests_finish(gw, mocks):
    results: dict = {}

    def slow_call():
        try:
            r = gw.openai().chat.completions.create(
                model="openai/gpt-4o-mini", extra_headers={"x-request-id": "in-flight-1"},
                messages=[{"role": "user", "content": "slow one [[mock:delay=2]]"}])
            results["content"] = r.choices[0].message.content
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            results["error"] = repr(e)

    t = threading.Thread(target=slow_call)
    t.start()
    assert wait_until(lambda: reached(mocks.openai, "delay=2"), 5), "never reached upstream"
    gw.signal(signal.SIGTERM)
    t.join(timeout=15)
    assert results == {"content": "slow one"}
    assert gw.wait(timeout=15) == 0
    out = run_cli("calls", "--config", str(gw.config_path), cwd=gw.workdir)
    assert out.returncode == 0 and "in-flight-1" in out.stdout, out.stdout + out.stderr


def test_sigterm_lets_in_flight_streams_finish(gw):
    # chunk_delay=0.3 over 5 words: the stream is still running ~1 s after its first chunk.
    chunks: list[str] = []
    errors: list[str] = []

    def slow_stream():
        try:
            for c in gw.openai().chat.completions.create(
                    model="anthropic/claude-mock-1", stream=True,
                    messages=[{"role": "user", "content": "a b c d e [[mock:chunk_delay=0.3]]"}]):
                chunks.append(c.choices[0].delta.content or "" if c.choices else "")
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    t = threading.Thread(target=slow_stream)
    t.start()
    assert wait_until(lambda: chunks, 5), "the stream never started"
    gw.signal(signal.SIGTERM)
    t.join(timeout=15)
    assert errors == [] and "".join(chunks) == "a b c d e"
    assert gw.wait(timeout=15) == 0
