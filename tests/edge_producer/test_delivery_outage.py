"""`ivica edge run` on a real clip, delivering to a real broker that goes away mid-run.

Each run also writes its events to a JSONL file, configured after the broker sender: a line
there means the event was in the spool (tests/edge_producer/test_spool.py shows the spool keeps
what was appended across kill -9). Afterwards every event of every JSONL file must be in the
broker (event ids at least once), in the camera's capture order, and no more often than the
delivery contract allows (docs/contract.md, "Delivery").

1. The broker is killed with SIGKILL in the middle of a run, and started again after the outage
   (Kafka: 180 s, the long outage, at a rate above the demo's 3 fps; RabbitMQ: 30 s). The
   pipeline keeps going (frames processed, spool growing, /healthz 503 once the backlog is old
   enough), the backlog drains before the run ends, and the edge's memory stays flat: the Kafka
   producer never holds more than one batch of the spool, and its resident memory grows by less
   than RSS_GROWTH_MB from the failed health check to the outage's end.
   Each event of this run arrives once: Kafka's producer hands each event over once per session
   and retries it idempotently; RabbitMQ may publish again the one message that was waiting for
   its confirm on the channel the kill broke.
2. The broker stops cleanly while a second run spools; that run is killed with SIGKILL; the
   broker comes back; a new run on the same spool sends the backlog, then its own events. Only
   the killed run's last batch may arrive twice (its confirmations never reached the spool),
   and the new run's own events arrive once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pika
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from contracts import topics
from infra.services.kafka import Kafka

pytestmark = pytest.mark.integration

CLIP = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "media"
    / ("intel_face_demographics_walking_480x270.mp4")
)
FPS = 4  # processed frames per second of the paced clip: light on two shared cores
OUTAGE_S = {"kafka_broker": 180, "rabbitmq_broker": 30}
"""Kafka's is the long outage (three minutes); RabbitMQ runs the same test with 30 s, enough for
the health check to fail and the backlog to build, and less time of the suite."""
BATCH = 500  # the spool's default batch: what one drain hands over, and the most in flight
RSS_GROWTH_MB = 25
"""Measured here over the 180 s Kafka outage: 2 MB (269 to 271 MB, 1,093 events spooled)."""
BREAK_REPEATS = {"kafka_broker": 0, "rabbitmq_broker": 1}
"""Events that may arrive twice after the broker is killed under a live run: RabbitMQ's one
unconfirmed message on the broken channel; none for Kafka, whose producer retries within its
session."""


@dataclass
class Broker:
    """The broker under test: the sender entry of the edge config, and its outage switches."""

    sender: dict
    stop: Callable[[], None]
    kill: Callable[[], None]  # SIGKILL, as a crash would
    start: Callable[[], None]
    read: Callable[[int], list[dict]]  # every event delivered, in delivery order (>= n)


@pytest.fixture
def kafka_broker(kafka, stack_config) -> Broker:
    person, gender = kafka.topic("person"), kafka.topic("gender")
    service = Kafka(stack_config)

    def read(n: int) -> list[dict]:
        got = kafka.read(person, expect=1, timeout_s=30, settle_s=2)
        got += kafka.read(gender, expect=1, timeout_s=30, settle_s=2)
        assert len(got) >= n, f"{len(got)} events in Kafka, {n} produced"
        return got

    return Broker(
        sender={
            "kind": "kafka",
            "bootstrap": stack_config.kafka_bootstrap,
            "topics": {topics.PERSON_DETECTIONS: person, topics.GENDER_CLASSIFICATIONS: gender},
            "timeout_s": 5,
        },
        stop=service.stop,
        kill=service.kill,
        start=service.start,
        read=read,
    )


@pytest.fixture
def rabbitmq_broker(rabbitmq_server) -> Broker:
    suffix = uuid.uuid4().hex[:8]
    names = {t: f"test.{t}.{suffix}" for t in topics.RAW_TOPICS}
    server = rabbitmq_server

    def read(n: int) -> list[dict]:
        params = pika.ConnectionParameters(server.host, server.port)
        with pika.BlockingConnection(params) as connection:
            channel = connection.channel()
            got = []
            for queue in names.values():
                while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
                    got.append(json.loads(message[2]))
        assert len(got) >= n, f"{len(got)} events in RabbitMQ, {n} produced"
        return got

    return Broker(
        sender={
            "kind": "rabbitmq",
            "host": server.host,
            "port": server.port,
            "topics": names,
            "exchange": f"test.events.{suffix}",
            "timeout_s": 5,
        },
        stop=server.service.stop,
        kill=server.service.kill,
        start=server.service.start,
        read=read,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Edge:
    """One `ivica edge run` process with its config, JSONL record and metrics port."""

    def __init__(self, tmp: Path, name: str, broker: Broker, frames: int) -> None:
        self.events_file = tmp / f"{name}.jsonl"
        self.port = free_port()
        config = {
            "camera_id": "cam-outage",
            "site_id": "site-outage",
            "pipeline": "all",
            "source": {
                "uri": str(CLIP), "loop": True, "realtime": True, "target_fps": FPS,
                "max_frames": frames,
            },
            "senders": [broker.sender, {"kind": "jsonl", "path": str(self.events_file)}],
            "spool": {"dir": str(tmp / "spool"), "max_backoff_s": 2},
            "health": {
                "log_interval_s": 5, "metrics_port": self.port, "spool_growth_unhealthy_s": 15,
            },
        }  # fmt: skip
        path = tmp / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config))
        self.log = open(tmp / f"{name}.log", "w")  # noqa: SIM115 - closed in wait()
        ivica = Path(sys.executable).with_name("ivica")
        self.proc = subprocess.Popen(
            [str(ivica), "edge", "run", "--config", str(path)],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip

    def metrics(self) -> dict[str, float]:
        """Unlabelled samples and those of the broker sender, by name."""
        url = f"http://127.0.0.1:{self.port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as resp:
            text = resp.read().decode()
        return {
            s.name: s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if set(s.labels) <= {"sender"}  # one broker sender per run
        }

    def healthz(self) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def until(self, what: str, check: Callable[[dict[str, float]], bool], timeout_s: float):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the edge exited early; see {self.log.name}"
            try:
                metrics = self.metrics()
            except OSError:
                metrics = {}  # the metrics server is not up yet
            if metrics and check(metrics):
                return metrics
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}; see {self.log.name}")

    def wait(self, timeout_s: float) -> int:
        try:
            return self.proc.wait(timeout=timeout_s)
        finally:
            self.log.close()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.wait(30)

    def produced(self) -> list[dict]:
        return [json.loads(line) for line in self.events_file.read_text().splitlines()]

    def rss_mb(self) -> float:
        """The edge process's resident memory."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return (
            int(next(ln for ln in status.splitlines() if ln.startswith("VmRSS:")).split()[1]) / 1024
        )


def check_delivered(broker: Broker, runs: list[Edge]) -> Counter[str]:
    """Every event the runs spooled is in the broker, and the camera's order holds; the copies
    of each event id that arrived."""
    produced = [e for run in runs for e in run.produced()]
    got = broker.read(len(produced))
    copies = Counter(e["event_id"] for e in got)
    missing = [e for e in produced if e["event_id"] not in copies]
    assert not missing, f"{len(missing)} of {len(produced)} events never arrived: {missing[:3]}"
    for kind in ("detections", "track_id"):  # person_detections, gender_classifications
        first_seen = list(dict.fromkeys(e["event_id"] for e in got if kind in e))
        at = {e["event_id"]: e["captured_at"] for e in got}
        times = [at[i] for i in first_seen]
        assert times == sorted(times), f"{kind}: capture order broken on the way"
    return copies


def repeated(copies: Counter[str], run: Edge) -> list[int]:
    """How often each of the run's events that arrived more than once arrived."""
    return [copies[e["event_id"]] for e in run.produced() if copies[e["event_id"]] > 1]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("broker_fixture", ["kafka_broker", "rabbitmq_broker"])
def test_broker_outage_and_kill_9(broker_fixture, request, tmp_path):
    broker: Broker = request.getfixturevalue(broker_fixture)
    outage_s = OUTAGE_S[broker_fixture]

    # 1. The broker killed in the middle of a run that lasts 75 s longer than the outage.
    run = Edge(tmp_path, "run1", broker, frames=FPS * (outage_s + 75))
    run.until("events sent", lambda m: m["ivica_edge_events_sent_total"] >= 20, 120)
    broker.kill()
    back_at = time.monotonic() + outage_s
    rss: list[float] = []
    in_flight: list[float] = []
    try:
        before = run.metrics()
        run.until(
            "the health check to fail",
            lambda m: m["ivica_edge_healthy"] == 0 and m["ivica_edge_spool_depth"] >= 20,
            outage_s,
        )
        assert run.healthz() == 503
        while time.monotonic() < back_at:
            in_flight.append(run.metrics()["ivica_edge_sender_in_flight"])
            rss.append(run.rss_mb())
            time.sleep(min(5.0, max(0.0, back_at - time.monotonic())))
        during = run.metrics()
    finally:
        broker.start()
    depth = during["ivica_edge_spool_depth"]
    print(
        f"{broker_fixture}: outage {outage_s} s, spool depth {depth:.0f}, in flight max"
        f" {max(in_flight):.0f}, RSS MB {[round(r) for r in rss]}"
    )
    assert during["ivica_edge_frames_processed_total"] > before["ivica_edge_frames_processed_total"]
    assert during["ivica_edge_send_errors_total"] >= 1
    assert max(in_flight) <= BATCH, "the producer must hold at most one batch of the spool"
    assert len(rss) >= 2 and max(rss) - rss[0] < RSS_GROWTH_MB, f"memory grew: {rss}"
    after = run.until("the backlog to drain", lambda m: m["ivica_edge_spool_depth"] == 0, 120)
    assert run.healthz() == 200
    assert after["ivica_edge_events_sent_total"] >= during["ivica_edge_spool_depth"]
    assert run.wait(180) == 0, f"see {run.log.name}"

    # 2. A clean stop while the next run spools, kill -9 of that run, then a new run.
    run2 = Edge(tmp_path, "run2", broker, frames=FPS * 300)
    run2.until("events sent", lambda m: m["ivica_edge_events_sent_total"] >= 10, 120)
    broker.stop()
    try:
        run2.until("events to pile up", lambda m: m["ivica_edge_spool_depth"] >= 20, 60)
        run2.kill()
    finally:
        broker.start()
    run3 = Edge(tmp_path, "run3", broker, frames=FPS * 10)
    assert run3.wait(180) == 0, f"see {run3.log.name}"

    copies = check_delivered(broker, [run, run2, run3])
    twice = {
        name: repeated(copies, r) for name, r in (("run1", run), ("run2", run2), ("run3", run3))
    }
    print(
        f"{broker_fixture}: {sum(copies.values())} records for {len(copies)} events;"
        f" repeated per run { ({k: len(v) for k, v in twice.items()}) }"
    )
    assert len(twice["run1"]) <= BREAK_REPEATS[broker_fixture], twice["run1"]
    assert all(n == 2 for n in twice["run1"]), "a repeat is at most one more copy"
    assert len(twice["run2"]) <= BATCH and all(n == 2 for n in twice["run2"]), twice["run2"]
    assert twice["run3"] == [], "the new session sends its own events once"
