"""A Flink standalone cluster (one JobManager, one TaskManager) from the PyFlink distribution."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from infra.config import StackConfig
from infra.proc import StackError, check_ports_free, read_pids, stop_pid, wait_until
from infra.services.base import Service, http_json


def flink_home() -> Path:
    try:
        import pyflink
    except ImportError as exc:
        raise StackError("PyFlink is not installed: pip install -e '.[jobs]'") from exc
    return Path(pyflink.__file__).parent


def _set(tree: dict, dotted: str, value: object) -> None:
    """Set a dotted Flink key inside the nested config.yaml mapping."""
    *parents, leaf = dotted.split(".")
    node = tree
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value


class Flink(Service):
    name = "flink"

    @property
    def ports(self) -> list[int]:
        return [self.cfg.flink.rest_port, self.cfg.flink.rpc_port]

    @property
    def address(self) -> str:
        return self.cfg.flink_rest_url

    @property
    def conf_dir(self) -> Path:
        return self.dir / "conf"

    @property
    def log_dir(self) -> Path:
        return self.dir / "log"

    def settings(self) -> dict[str, object]:
        f, h = self.cfg.flink, self.cfg.host
        return {
            "jobmanager.rpc.address": h,
            "jobmanager.rpc.port": f.rpc_port,
            "jobmanager.bind-host": h,
            "jobmanager.memory.process.size": f.jobmanager_memory,
            "taskmanager.bind-host": h,
            "taskmanager.host": h,
            "taskmanager.numberOfTaskSlots": f.task_slots,
            "taskmanager.memory.process.size": f.taskmanager_memory,
            "rest.address": h,
            "rest.bind-address": h,
            "rest.port": f.rest_port,
            "env.pid.dir": str(self.dir / "pid"),
            # A local cluster: notice a dead TaskManager in seconds, not the default 50 s.
            "heartbeat.interval": 2000,
            "heartbeat.timeout": 15000,
            "execution.checkpointing.dir": (self.dir / "checkpoints").as_uri(),
            "python.executable": sys.executable,
            "python.client.executable": sys.executable,
            **f.extra,
        }

    def prepare(self) -> None:
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "pid").mkdir(exist_ok=True)
        self.log_dir.mkdir(exist_ok=True)
        shipped = flink_home() / "conf"
        for f in shipped.iterdir():
            if f.is_file() and f.name != "config.yaml":
                shutil.copy(f, self.conf_dir / f.name)
        tree = yaml.safe_load((shipped / "config.yaml").read_text()) or {}
        for key, value in self.settings().items():
            _set(tree, key, value)
        (self.conf_dir / "config.yaml").write_text(yaml.safe_dump(tree, sort_keys=False))
        (self.conf_dir / "workers").write_text("localhost\n")

    def env(self) -> dict[str, str]:
        return {"FLINK_CONF_DIR": str(self.conf_dir), "FLINK_LOG_DIR": str(self.log_dir)}

    def command(self) -> list[str]:
        return [str(flink_home() / "bin" / "start-cluster.sh")]

    def pids(self) -> list[int]:
        return [p for f in sorted((self.dir / "pid").glob("*.pid")) for p in read_pids(f)]

    def taskmanager_pids(self) -> list[int]:
        return [p for f in (self.dir / "pid").glob("*taskexecutor*.pid") for p in read_pids(f)]

    def add_taskmanager(self) -> None:
        """Start one more TaskManager (after one died, say) and wait until it registers."""
        before = set(self.taskmanager_pids())
        subprocess.run(
            [str(flink_home() / "bin" / "taskmanager.sh"), "start"],
            env=self._full_env(),
            capture_output=True,
            check=True,
            start_new_session=True,
        )
        wait_until(
            lambda: bool(set(self.taskmanager_pids()) - before) and self.healthy(),
            what="taskmanager",
            timeout_s=self.cfg.timeouts.start_s,
            log=self._newest_log(),
        )

    def healthy(self) -> bool:
        overview = http_json(f"{self.address}/overview")
        return isinstance(overview, dict) and overview.get("taskmanagers", 0) >= 1

    def start(self) -> None:
        if not self.running():
            check_ports_free(self.name, self.cfg.host, self.ports)
            self.prepare()
            with self.log.open("ab") as out:
                done = subprocess.run(
                    self.command(),
                    env=self._full_env(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=False,
                    start_new_session=True,
                )
            if done.returncode != 0:
                raise StackError(f"start-cluster.sh failed; see {self.log}")
        wait_until(
            self.healthy,
            what="flink",
            timeout_s=self.cfg.timeouts.start_s,
            log=self._newest_log(),
            alive=self.running,
        )

    def stop(self) -> None:
        if self.running():
            stopper = flink_home() / "bin" / "stop-cluster.sh"
            with self.log.open("ab") as out:
                subprocess.run(
                    [str(stopper)],
                    env=self._full_env(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=False,
                    timeout=self.cfg.timeouts.stop_s * 2,
                )
        for pid in self.pids():
            stop_pid(pid, self.cfg.timeouts.stop_s)

    def _full_env(self) -> dict[str, str]:
        return {**os.environ, **self.env()}

    def _newest_log(self) -> Path:
        logs = sorted(self.log_dir.glob("*.log"), key=lambda p: p.stat().st_mtime)
        return logs[-1] if logs else self.log


def flink_cli(cfg: StackConfig) -> tuple[list[str], dict[str, str]]:
    """The `flink` command and environment that submit to this stack's cluster."""
    svc = Flink(cfg)
    return [str(flink_home() / "bin" / "flink")], {**os.environ, **svc.env()}
