"""The Service plugin base: every part of the local stack starts, stops and reports health."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from pathlib import Path

from infra.config import StackConfig
from infra.proc import check_ports_free, kill_pid, read_pid, spawn, stop_pid, wait_until


class Service(ABC):
    """One process (or process tree) of the stack, with its own directory under the state dir."""

    name: str

    def __init__(self, cfg: StackConfig) -> None:
        self.cfg = cfg
        self.dir: Path = cfg.state / self.name
        self.log: Path = self.dir / f"{self.name}.log"
        self.pidfile: Path = self.dir / f"{self.name}.pid"

    @property
    @abstractmethod
    def ports(self) -> list[int]:
        """Ports this service binds; they must be free before it starts."""

    @property
    @abstractmethod
    def address(self) -> str:
        """What clients connect to."""

    @abstractmethod
    def healthy(self) -> bool:
        """True when the service answers as it should."""

    @abstractmethod
    def command(self) -> list[str]:
        """The foreground command that runs the service (after `prepare`)."""

    def prepare(self) -> None:
        """Write config and initialise storage; runs before every start."""
        return

    def env(self) -> dict[str, str]:
        return {}

    def pids(self) -> list[int]:
        """Live processes of this service (from its pid files)."""
        pid = read_pid(self.pidfile)
        return [pid] if pid is not None else []

    def running(self) -> bool:
        return bool(self.pids())

    def start(self) -> None:
        """Start unless running; either way, wait until healthy."""
        if not self.running():
            check_ports_free(self.name, self.cfg.host, self.ports)
            self.dir.mkdir(parents=True, exist_ok=True)
            self.prepare()
            spawn(self.command(), self.log, self.pidfile, self.env())
        wait_until(
            self.healthy,
            what=self.name,
            timeout_s=self.cfg.timeouts.start_s,
            log=self.log,
            alive=self.running,
        )

    def stop(self) -> None:
        for pid in self.pids():
            stop_pid(pid, self.cfg.timeouts.stop_s)
        self.pidfile.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL every process of the service at once, as a crash would (failure tests);
        `start` brings it back on the data it left."""
        for pid in self.pids():
            kill_pid(pid)
        self.pidfile.unlink(missing_ok=True)


def http_json(url: str, timeout: float = 2.0) -> object | None:
    """GET a JSON document; None when the server does not answer properly."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def java_command(
    classpath: str, main: str, heap: str, *args: str, jvm: list[str] | None = None
) -> list[str]:
    return ["java", f"-Xmx{heap}", f"-Xms{heap}", *(jvm or []), "-cp", classpath, main, *args]
