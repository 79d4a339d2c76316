"""Process helpers for the local stack: spawn detached, wait for readiness, stop cleanly."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class StackError(RuntimeError):
    """A stack operation failed; the message says what to do."""


def require_tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if not path:
        raise StackError(f"`{name}` not found on PATH. {hint}")
    return path


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def check_ports_free(service: str, host: str, ports: list[int]) -> None:
    busy = [p for p in ports if port_in_use(host, p)]
    if busy:
        raise StackError(
            f"{service}: port(s) {', '.join(map(str, busy))} on {host} already in use by another "
            "process. Stop it, or choose other ports in the stack config (--config FILE)."
        )


def log_tail(log: Path, lines: int = 15) -> str:
    if not log.exists():
        return "(no log written)"
    text = log.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join("    " + line for line in text)


def read_pids(pidfile: Path) -> list[int]:
    """The live pids listed in a pid file (Flink's daemon script appends one per start)."""
    try:
        text = pidfile.read_text()
    except FileNotFoundError:
        return []
    return [int(w) for w in text.split() if w.isdigit() and pid_alive(int(w))]


def read_pid(pidfile: Path) -> int | None:
    pids = read_pids(pidfile)
    return pids[0] if pids else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as dead.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, IndexError):
        return True
    return state != "Z"


# Set to a service's directory in the environment of the processes it spawns (RabbitMQ, S3).
SERVICE_DIR_ENV = "IVICA_SERVICE_DIR"


def pids_with_env(name: str, value: str) -> list[int]:
    """Live processes whose environment holds NAME=VALUE exactly: finds what a service's
    processes started in turn (Erlang's helpers, say), which no pid file names."""
    needle = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # gone, or another user's
            continue
        if needle in env and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def spawn(cmd: list[str], log: Path, pidfile: Path, env: dict[str, str] | None = None) -> int:
    """Start `cmd` in its own session, output appended to `log`; returns the pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    pidfile.write_text(f"{proc.pid}\n")
    return proc.pid


def stop_pid(pid: int, timeout_s: float) -> None:
    """SIGTERM `pid` (its whole group if it leads one), then SIGKILL it after `timeout_s`."""
    _signal_until_gone(pid, [(signal.SIGTERM, timeout_s), (signal.SIGKILL, timeout_s)])


def kill_pid(pid: int, timeout_s: float = 30.0) -> None:
    """SIGKILL `pid` (its whole group if it leads one) at once, as a crash would, and wait
    until it is gone."""
    _signal_until_gone(pid, [(signal.SIGKILL, timeout_s)])


def _signal_until_gone(pid: int, steps: list[tuple[signal.Signals, float]]) -> None:
    """Send each signal in turn, waiting up to its seconds for the process to end."""
    try:
        leader = os.getpgid(pid) == pid
    except ProcessLookupError:
        return
    for sig, timeout_s in steps:
        try:
            if leader:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                _reap(pid)
                return
            time.sleep(0.2)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    timeout_s: float,
    log: Path,
    alive: Callable[[], bool] = lambda: True,
) -> None:
    """Poll `ready` until true; fail fast with the log's tail if the process died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready():
            return
        if not alive():
            raise StackError(f"{what} died while starting. Its log is {log}:\n{log_tail(log)}")
        time.sleep(0.5)
    raise StackError(
        f"{what} was not ready after {timeout_s:.0f}s. Its log is {log}:\n{log_tail(log)}"
    )
