"""`ivica stack` against real processes: lifecycle, idempotence, clean stop, clear failures."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import uuid

import pytest

from contracts.topics import RAW_TOPICS
from infra import stack
from infra.config import REPO_ROOT, StackConfig
from infra.fetch import check_java
from infra.proc import StackError, pid_alive, port_in_use

pytestmark = pytest.mark.integration


@pytest.fixture
def state_dir(request):
    """Under the repo's state/: pytest's tmp dirs are closed to the `postgres` user under root."""
    path = REPO_ROOT / "state" / f"test-{request.node.name[:40]}-{uuid.uuid4().hex[:6]}"
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _config(state_dir, base: int, **over) -> StackConfig:
    data = {
        "state_dir": str(state_dir),
        "kafka": {"port": base + 92, "controller_port": base + 93},
        "connect": {"port": base + 83},
        "postgres": {"port": base + 32},
        "flink": {"rest_port": base + 81, "rpc_port": base + 23},
        "timeouts": {"start_s": 180, "stop_s": 30},
    }
    for key, value in over.items():
        data[key] = {**data.get(key, {}), **value}
    return StackConfig.model_validate(data)


def _pids(cfg: StackConfig) -> list[int]:
    return [p for svc in stack.services(cfg) for p in svc.pids()]


def _cli(cfg_file, action: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ivica.cli", "stack", action, "--config", str(cfg_file)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_up_status_up_down_from_clean_state(tmp_path, state_dir):
    cfg = _config(state_dir, 27000)
    cfg_file = tmp_path / "stack.yaml"
    cfg_file.write_text(cfg.model_dump_json())  # JSON is YAML
    assert not cfg.state.exists()

    pids: list[int] = []
    try:
        up = _cli(cfg_file, "up")
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"raw topics created: {', '.join(RAW_TOPICS)}" in up.stdout, up.stdout
        status = _cli(cfg_file, "status")
        assert status.returncode == 0, status.stdout
        for name, addr in [
            ("kafka", "127.0.0.1:27092"),
            ("postgres", ":27032/ivica"),
            ("connect", "http://127.0.0.1:27083"),
            ("flink", ":27081"),
        ]:
            line = next(ln for ln in status.stdout.splitlines() if ln.startswith(name))
            assert "healthy" in line and addr in line, line
        pids = _pids(cfg)
        assert len(pids) >= 5  # kafka, postgres, connect, jobmanager, taskmanager

        again = _cli(cfg_file, "up")
        assert again.returncode == 0 and again.stdout.count("already running") == 4
        assert "raw topics" not in again.stdout and "retention" not in again.stdout
        assert _pids(cfg) == pids, "a second `up` must not start anything new"
    finally:
        down = _cli(cfg_file, "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert not [p for p in pids if pid_alive(p)], "processes left behind"
    assert not any(port_in_use("127.0.0.1", p) for p in (27092, 27093, 27083, 27032, 27081))
    assert _cli(cfg_file, "status").returncode == 3


def test_port_in_use_is_a_clear_error(state_dir):
    cfg = _config(state_dir, 26000)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", cfg.kafka.port))
        busy.listen()
        with pytest.raises(StackError, match=r"kafka: port\(s\) 26092 on 127.0.0.1 already in use"):
            stack.up(cfg, echo=lambda _: None)
    assert not _pids(cfg)


def test_a_service_that_dies_points_at_its_log(state_dir):
    cfg = _config(state_dir, 25000, kafka={"heap": "1k"})  # the JVM refuses such a heap
    try:
        with pytest.raises(
            StackError, match=r"kafka died while starting\. Its log is .*kafka\.log"
        ):
            stack.up(cfg, echo=lambda _: None)
    finally:
        stack.down(cfg, echo=lambda _: None)


def test_missing_java_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(StackError, match=r"`java` not found on PATH\. Install a JDK 17"):
        check_java()
