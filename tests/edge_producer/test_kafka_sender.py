"""The spooled Kafka sender against the real broker of the test stack: events arrive in each
camera's order, events spooled while Kafka was unreachable are sent after a restart, and the
drainer's retries while Kafka does not answer hand no event to the producer twice."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from contracts import topics
from contracts.events import PersonDetections
from edge_producer.senders.kafka import KafkaBroker
from edge_producer.senders.spooled import SpooledSender
from edge_producer.spool import Spool
from infra.services.kafka import Kafka

pytestmark = pytest.mark.integration


def frame(camera: str, n: int) -> PersonDetections:
    return PersonDetections(
        site_id="s", camera_id=camera, frame_id=n, people_count=0, detections=[],
        captured_at=f"2026-12-01T10:00:{n % 60:02d}.{n // 60:03d}Z",
    )  # fmt: skip


def test_events_arrive_in_camera_order(kafka, tmp_path):
    topic = kafka.topic("person", partitions=2)
    sender = SpooledSender(
        Spool(tmp_path / "spool"),
        KafkaBroker(kafka.bootstrap),
        topics={topics.PERSON_DETECTIONS: topic},
    )
    events = [frame(f"cam-{i % 3}", i) for i in range(90)]
    for e in events:
        sender.send(e)
    assert sender.flush(timeout_s=60), "the spool did not drain"
    assert sender.spool.depth == 0 and sender.sent == 90
    sender.close()

    got = kafka.read(topic, expect=90, timeout_s=60)
    for cam in ("cam-0", "cam-1", "cam-2"):
        frames = [r["frame_id"] for r in got if r["camera_id"] == cam]
        assert frames == [e.frame_id for e in events if e.camera_id == cam]


def test_events_spooled_during_an_outage_are_sent_after_a_restart(kafka, tmp_path):
    with socket.socket() as s:  # a port nobody listens on: Kafka is down
        s.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{s.getsockname()[1]}"
    topic = kafka.topic("person")
    mapping = {topics.PERSON_DETECTIONS: topic}
    down = SpooledSender(Spool(tmp_path / "spool"), KafkaBroker(dead, timeout_s=1), topics=mapping)
    for i in range(20):
        down.send(frame("cam-0", i))  # returns at once: the event is on disk
    assert not down.flush(timeout_s=3), "nothing can drain while Kafka is down"
    assert down.spool.depth == 20 and down.sent == 0 and down.send_errors >= 1
    down.close(timeout_s=0)  # what is left stays on disk

    # Restarted with Kafka back: the backlog goes first, then the live events.
    broker = KafkaBroker(kafka.bootstrap)
    sender = SpooledSender(Spool(tmp_path / "spool"), broker, topics=mapping)
    for i in range(20, 30):
        sender.send(frame("cam-0", i))
    assert sender.flush(timeout_s=60)
    sender.close()
    got = kafka.read(topic, expect=30, timeout_s=60)
    assert [r["frame_id"] for r in got] == list(range(30))


@contextmanager
def paused(service: Kafka) -> Iterator[None]:
    """The broker stopped with SIGSTOP: its connections stay open and nothing is answered."""
    pids = service.pids()
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def test_retries_while_kafka_does_not_answer_send_each_event_once(kafka, stack_config, tmp_path):
    topic = kafka.topic("person")
    broker = KafkaBroker(kafka.bootstrap, timeout_s=1)
    sender = SpooledSender(
        Spool(tmp_path / "spool"), broker, topics={topics.PERSON_DETECTIONS: topic},
        max_backoff_s=0.2,
    )  # fmt: skip
    sender.send(frame("cam-0", 0))
    assert sender.flush(timeout_s=60), "the producer must connect first"
    with paused(Kafka(stack_config)):
        for i in range(1, 51):
            sender.send(frame("cam-0", i))
        deadline = time.monotonic() + 30
        while sender.send_errors < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sender.send_errors >= 3, "the drainer must have timed out and retried"
        assert broker.in_flight == 50 and sender.spool.depth == 50
    assert sender.flush(timeout_s=60), "the backlog did not drain"
    sender.close()
    got = kafka.read(topic, expect=51, timeout_s=60, settle_s=3)
    assert [r["frame_id"] for r in got] == list(range(51)), "each event once, in order"
