"""Restart failed sinks, with backoff: what Kafka Connect does not do by itself.

Connect leaves a task FAILED until someone restarts it. The Debezium JDBC sink fails its task
on a database restart: a pooled connection the server terminated, or a refused one, raises
outside its own flush retries (found with `pg_ctl stop -m fast`: `Failed to check for
existence of table ... terminating connection due to administrator command`). The watcher
polls the worker and restarts each failed connector and task (Connect's
`POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true`); a restarted task resumes
from its last committed offset, and the sinks upsert, so nothing is lost or doubled. While the
database stays down a restarted task fails again at its next write: the watcher waits
longer each time (5 s, doubling to 60 s), and starts over once the sink has run for a minute.
Operators who run Connect elsewhere get the same from Strimzi's `autoRestart`.

    python -m connectors.watch --connect-url http://127.0.0.1:8083   (ivica stack runs it)
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from connectors.connect import ConnectError, restart_failed, status

INTERVAL_S = 5.0
MAX_BACKOFF_S = 60.0
SETTLED_S = 60.0  # running this long after a restart: the next failure starts the backoff over


@dataclass
class Backoff:
    wait_s: float = INTERVAL_S
    next_try: float = 0.0
    restarted_at: float = 0.0


def failed(state: dict) -> bool:
    return state["connector"] == "FAILED" or any(t["state"] == "FAILED" for t in state["tasks"])


def reason(state: dict) -> str:
    traces = [t["trace"] for t in state["tasks"] if "trace" in t]
    return traces[0].splitlines()[0][:200] if traces else "the connector failed"


def watch(
    connect_url: str,
    stop: threading.Event,
    echo: Callable[[str], None] = print,
    interval_s: float = INTERVAL_S,
) -> None:
    """Until `stop` is set: every `interval_s`, restart what failed (each with its backoff)."""
    backoff: dict[str, Backoff] = {}
    while not stop.is_set():
        try:
            states = status(connect_url)
        except ConnectError:  # the worker is down or starting: nothing to restart yet
            stop.wait(interval_s)
            continue
        now = time.monotonic()
        for state in states:
            name = state["name"]
            b = backoff.setdefault(name, Backoff(wait_s=interval_s))
            if not failed(state):
                if b.restarted_at and now - b.restarted_at > SETTLED_S:
                    backoff[name] = Backoff(wait_s=interval_s)
                continue
            if now < b.next_try:
                continue
            echo(f"restarting {name} (next try in {b.wait_s:.0f} s if it fails): {reason(state)}")
            try:
                restart_failed(connect_url, [name], timeout_s=0)
            except ConnectError as exc:
                echo(f"restarting {name} failed: {exc}")
            b.restarted_at, b.next_try = now, now + b.wait_s
            b.wait_s = min(2 * b.wait_s, MAX_BACKOFF_S)
        stop.wait(interval_s)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="connectors.watch", description=__doc__.split("\n")[0])
    p.add_argument("--connect-url", required=True, help="the Connect worker's REST URL")
    p.add_argument("--interval", type=float, default=INTERVAL_S, help="seconds between polls")
    args = p.parse_args(argv)
    stop = threading.Event()
    with contextlib.suppress(KeyboardInterrupt):
        watch(args.connect_url, stop, lambda m: print(m, flush=True), args.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
