"""Starts the real ``portcullis`` binary for a test module and talks to it.

The binary is ``$PORTCULLIS_BIN`` when set, else ``$CARGO_TARGET_DIR/debug/portcullis`` (default
target dir: ``<repo>/target``). scripts/test.sh builds it before running pytest.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import yaml

REPO = Path(__file__).resolve().parents[3]
ADMIN_TOKEN = "admin-secret-token"
KEYS = {"team-a": "sk-test-team-a", "team-b": "sk-test-team-b"}
KEY = KEYS["team-a"]


def die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the test process dies, so no gateway outlives
    an interrupted or crashed run (Linux PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except OSError:
        pass


def binary_path() -> Path:
    if os.environ.get("PORTCULLIS_BIN"):
        return Path(os.environ["PORTCULLIS_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    return target / "debug" / "portcullis"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_config(mocks, data_dir: Path, **overrides: Any) -> dict:
    """A config routing ``<provider>/<model>`` to each mock, plus the built-in mock provider.

    Routes: ``openai/*``, ``compat/*``, ``azure/*`` (deployment = captured part),
    ``anthropic/*``, ``gemini/*``, ``mock-*``; ``short/*`` goes to the OpenAI mock through a
    provider with a 1 s timeout; ``strict/*`` is the anthropic route in strict translation mode;
    ``alias-fast`` is an exact alias of ``openai/gpt-4o-mini``; ``fallback`` tries ``compat``
    (model ``flaky``) first, then ``openai`` (``gpt-4o-mini``).
    """
    from conftest import UPSTREAM_KEYS

    cfg = {
        "server": {"data_dir": str(data_dir), "max_body_size": "1MiB",
                   "shutdown_grace": "10s"},
        "translation": "lenient",
        "call_log": {"flush_interval": "50ms"},
        "admin": {"token": ADMIN_TOKEN},
        "providers": {
            "openai": {"type": "openai", "base_url": f"{mocks.openai.base}/v1",
                       "api_key": UPSTREAM_KEYS["openai"]},
            "openai-short": {"type": "openai", "base_url": f"{mocks.openai.base}/v1",
                             "api_key": UPSTREAM_KEYS["openai"], "timeout": "1s"},
            "compat": {"type": "openai_compatible", "base_url": f"{mocks.compat.base}/v1",
                       "api_key": UPSTREAM_KEYS["compat"]},
            "azure": {"type": "azure", "base_url": mocks.azure.base,
                      "api_key": UPSTREAM_KEYS["azure"], "api_version": "2024-10-21"},
            "anthropic": {"type": "anthropic", "base_url": mocks.anthropic.base,
                          "api_key": UPSTREAM_KEYS["anthropic"], "default_max_tokens": 1234},
            "gemini": {"type": "gemini", "base_url": mocks.gemini.base,
                       "api_key": UPSTREAM_KEYS["gemini"]},
            "mock": {"type": "mock"},
        },
        "models": [
            {"name": "alias-fast", "targets": [{"provider": "openai", "model": "gpt-4o-mini"}]},
            {"name": "fallback", "targets": [{"provider": "compat", "model": "flaky"},
                                             {"provider": "openai", "model": "gpt-4o-mini"}]},
            {"name": "strict/*", "translation": "strict", "targets": ["anthropic"]},
            {"name": "short/*", "targets": ["openai-short"]},
            {"name": "openai/*", "targets": ["openai"]},
            {"name": "compat/*", "targets": ["compat"]},
            {"name": "azure/*", "targets": ["azure"]},
            {"name": "anthropic/*", "targets": ["anthropic"]},
            {"name": "gemini/*", "targets": ["gemini"]},
            {"name": "mock-*", "targets": [{"provider": "mock", "model": "mock-*"}]},
        ],
        "api_keys": [
            {"name": "team-a", "key": KEYS["team-a"]},
            {"name": "team-b", "key": KEYS["team-b"], "models": ["mock-*"]},
        ],
    }
    cfg.update(overrides)
    return cfg


class Gateway:
    """One ``portcullis serve`` process with its config file, data dir and log."""

    def __init__(self, workdir: Path, config: dict, extra_env: dict[str, str] | None = None):
        self.workdir = workdir
        self.config_path = workdir / "portcullis.yaml"
        self.log_path = workdir / "portcullis.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None
        self.write_config(config)

    # --- lifecycle -------------------------------------------------------------------------
    def write_config(self, config: dict | str) -> None:
        text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(self.config_path)  # atomic: the watcher never sees half a file

    def start(self, timeout: float = 30.0) -> "Gateway":
        binary = binary_path()
        if not binary.exists():
            raise RuntimeError(f"gateway binary {binary} not found: build it with "
                               "`cargo build -p portcullis` or set PORTCULLIS_BIN")
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "info"), **self.extra_env}
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--config", str(self.config_path), "--listen",
             f"127.0.0.1:{self.port}"],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, env=env,
            preexec_fn=die_with_parent)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"portcullis exited with {self.proc.returncode} before it was "
                                   f"healthy; log:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"portcullis not healthy after {timeout}s; log:\n{self.log()}")

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 20.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # --- clients ---------------------------------------------------------------------------
    def openai(self, key: str = KEY, **kwargs: Any) -> openai.OpenAI:
        kwargs.setdefault("timeout", 20)
        return openai.OpenAI(api_key=key, base_url=f"{self.url}/v1", max_retries=0, **kwargs)

    def anthropic(self, key: str = KEY, **kwargs: Any) -> anthropic.Anthropic:
        kwargs.setdefault("timeout", 20)
        return anthropic.Anthropic(api_key=key, base_url=self.url, max_retries=0, **kwargs)

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=20)

    # --- admin -----------------------------------------------------------------------------
    def calls(self, limit: int = 50) -> list[dict]:
        r = httpx.get(f"{self.url}/admin/v1/calls", params={"limit": limit},
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)
        r.raise_for_status()
        return r.json()["data"]

    def call(self, request_id: str, timeout: float = 5.0) -> dict:
        """The call-log record of one request; records are written asynchronously, so poll."""
        deadline = time.monotonic() + timeout
        while True:
            for rec in self.calls():
                if rec.get("request_id") == request_id:
                    return rec
            if time.monotonic() > deadline:
                raise AssertionError(f"no call-log record for request {request_id}")
            time.sleep(0.05)

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=10).text


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None,
            timeout: float = 30) -> subprocess.CompletedProcess:
    """Run ``portcullis ARGS`` and capture its output."""
    return subprocess.run([str(binary_path()), *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=timeout)
