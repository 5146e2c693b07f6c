"""The `check` command and `serve` on the embedded defaults."""

from __future__ import annotations

import os
import subprocess
import time

import httpx
import openai
import pytest
import yaml

from harness.gateway import die_with_parent, base_config, binary_path, free_port, run_cli

pytestmark = pytest.mark.gateway


def test_check_accepts_a_valid_file(mocks, tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump(base_config(mocks, tmp_path / "data")))
    out = run_cli("check", "--config", str(path))
    assert out.returncode == 0, out.stdout + out.stderr


def test_check_reports_every_problem_with_its_path(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({
        "server": {"listen": "not-an-address"},
        "providers": {"openai": {"type": "openai", "base_url": "ftp://example.com"},
                      "mock": {"type": "mock"}},
        "models": [{"name": "a", "targets": [{"provider": "claud"}]},
                   {"name": "b", "targets": []}],
        "api_keys": [{"name": "k", "key": "s1", "hash": "sha256:00"}],
    }))
    out = run_cli("check", "--config", str(path))
    text = out.stdout + out.stderr
    assert out.returncode != 0
    for fragment in ("server.listen", "providers.openai.base_url", "models[0].targets[0].provider",
                     "claud", "models[1].targets", "api_keys[0]"):
        assert fragment in text, f"{fragment!r} missing from:\n{text}"


def test_check_reports_yaml_syntax_errors(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("providers:\n  openai: [unclosed\n")
    out = run_cli("check", "--config", str(path))
    assert out.returncode != 0 and (out.stdout + out.stderr).strip()


def test_serve_without_config_uses_embedded_defaults(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.pop("PORTCULLIS_DEV_KEY", None)
    proc = subprocess.Popen([str(binary_path()), "serve", "--listen", f"127.0.0.1:{port}"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=die_with_parent)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        client = openai.OpenAI(api_key="sk-portcullis-dev", base_url=f"{url}/v1", max_retries=0)
        r = client.chat.completions.create(model="mock-echo",
                                           messages=[{"role": "user", "content": "hi"}])
        assert r.choices[0].message.content
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=15)
    log = out.decode(errors="replace")
    assert proc.returncode == 0, log[-2000:]
    assert "listening" in log.lower(), log[-2000:]
