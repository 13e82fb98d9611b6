"""bench/servers.py starts a real gunicorn with production settings, and stops it again."""

from __future__ import annotations

import http.client
import subprocess
import sys
from pathlib import Path

import pytest

from bench.servers import ROOT, free_port, production_env, web_server

pytestmark = pytest.mark.slow


def test_web_server_answers_reports_memory_and_stops(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'servers.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=production_env(url),
        check=True,
        timeout=120,
    )
    port = free_port()
    with web_server(url, port=port, workers=1, log_path=tmp_path / "web.log") as server:
        assert server.port == port
        assert server.url == f"http://127.0.0.1:{port}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        assert response.status == 200, body
        assert len(server.worker_pids()) == 1
        assert server.peak_rss_mb() > 10
        process = server.process
    assert process.poll() is not None, "gunicorn still running after the block"
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()


def test_a_server_that_cannot_start_fails_with_its_log(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="exited") as info,
        web_server("nosuchdb://x", workers=1, log_path=tmp_path / "web.log"),
    ):
        pass
    assert "DATABASE_URL" in str(info.value) or "scheme" in str(info.value)
