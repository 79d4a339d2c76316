"""`ivica demo`: the whole system on one machine.

Stub until the edge and dashboard issues land: starts the stack, submits the four jobs to
the Flink cluster, publishes synthetic camera streams to Kafka, and prints the people windows
that come back.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime, timedelta

from kafka import KafkaConsumer, KafkaProducer

from connectors import connect
from connectors.migrate import migrate
from contracts import topics
from contracts.connect import unwrap
from edge_producer.simulate import simulate
from infra import stack
from infra.config import REPO_ROOT, StackConfig
from infra.proc import StackError
from infra.services.base import http_json
from infra.services.flink import flink_cli
from infra.services.postgres import Postgres

# One job per stream: each reads its topic once for all of the stream's outputs (docs/jobs.md).
JOBS = ("people", "gender")


def submit(cfg: StackConfig, job: str, echo=print) -> None:
    """Submit a job to the stack's cluster unless it is already running there."""
    overview = http_json(f"{cfg.flink_rest_url}/jobs/overview") or {"jobs": []}
    if any(j["name"] == f"ivica-{job}" and j["state"] == "RUNNING" for j in overview["jobs"]):
        echo(f"{job}: already running on {cfg.flink_rest_url}")
        return
    cmd, env = flink_cli(cfg)
    done = subprocess.run(
        [
            *cmd,
            "run",
            "-d",
            "-m",
            cfg.flink_jobmanager,
            "-py",
            f"jobs/{job}.py",
            "--bootstrap",
            cfg.kafka_bootstrap,
            "--checkpoint-interval",
            "5",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise StackError(f"submitting {job} failed:\n{(done.stdout + done.stderr)[-2000:]}")
    echo(f"{job}: submitted to {cfg.flink_rest_url}")


def run_demo(cfg: StackConfig, minutes: int = 5, echo=print) -> None:
    stack.up(cfg, echo=echo)
    migrate(Postgres(cfg).dsn(), echo=echo)
    states = connect.apply(cfg.connect_url, connect.render(connect.stack_settings(cfg)))
    echo(connect.format_status(states))
    for job in JOBS:
        submit(cfg, job, echo)
    start = _demo_start(cfg, minutes)
    (cfg.state / "demo-last-end.txt").write_text(
        (start + timedelta(seconds=minutes * 60 + 90)).isoformat()
    )
    streams = simulate(
        seed=int(start.timestamp()),
        minutes=minutes,
        close_after_s=90,
        start=start,
        malformed_rate=0.01,
    )
    producer = KafkaProducer(bootstrap_servers=cfg.kafka_bootstrap, acks="all")
    for topic, stream in (
        (topics.PERSON_DETECTIONS, streams.person),
        (topics.GENDER_CLASSIFICATIONS, streams.gender),
    ):
        for camera, line in stream.lines:
            producer.send(topic, key=camera.encode(), value=line.encode())
        echo(f"published {len(stream.lines)} events ({len(stream.malformed)} malformed) to {topic}")
    producer.flush()
    producer.close()
    echo("waiting for people_counter windows ...")
    _print_results(cfg, start, start + timedelta(minutes=minutes), echo)


def _demo_start(cfg: StackConfig, minutes: int) -> datetime:
    """Recent minutes, but after the previous run's last event: a replay of older event time
    would be behind the running job's watermark and land in the late topic instead."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=minutes + 1)
    last = cfg.state / "demo-last-end.txt"
    if last.exists():
        after = datetime.fromisoformat(last.read_text().strip()) + timedelta(minutes=1)
        start = max(start, after.replace(second=0, microsecond=0))
    return start


def _print_results(
    cfg: StackConfig, start: datetime, end: datetime, echo, timeout_s: float = 120
) -> None:
    """Print this run's windows, [start, end), as the job commits them."""
    lo, hi = (t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in (start, end))
    consumer = KafkaConsumer(
        topics.PEOPLE_COUNTER,
        bootstrap_servers=cfg.kafka_bootstrap,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        consumer_timeout_ms=3000,
    )
    seen = 0
    deadline = time.monotonic() + timeout_s
    echo(f"{'camera':<8} {'window_start':<21} {'avg':>6} {'max':>4} {'frames':>6} {'unique':>6}")
    while time.monotonic() < deadline:
        batch = [unwrap(json.loads(m.value)) for m in consumer]
        rows = [r for r in batch if lo <= r["window_start"] < hi]
        for r in rows:
            echo(
                f"{r['camera_id']:<8} {r['window_start']:<21} {r['avg_people']:>6.2f} "
                f"{r['max_people']:>4} {r['frames']:>6} {r['unique_people']:>6}"
            )
        seen += len(rows)
        if seen and not batch:
            break
    consumer.close()
    echo(f"{seen} windows. Flink UI: {cfg.flink_rest_url}. Stop with: ivica stack down")
