"""Health of a running edge: the Prometheus endpoint, /healthz and the log line, read from a
real spool whose broker (a port nobody listens on) never confirms anything."""

from __future__ import annotations

import json
import logging
import socket
import time
import urllib.error
import urllib.request

import pydantic
import pytest
from prometheus_client.parser import text_string_to_metric_families

from contracts.events import PersonDetections
from edge_producer.config import HealthConfig
from edge_producer.health import Health
from edge_producer.report import RunReport
from edge_producer.senders.kafka import KafkaBroker
from edge_producer.senders.spooled import SpooledSender
from edge_producer.spool import Spool


def dead_kafka() -> KafkaBroker:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return KafkaBroker(f"127.0.0.1:{s.getsockname()[1]}", timeout_s=1)


def event(n: int) -> PersonDetections:
    return PersonDetections(
        site_id="s", camera_id="c", frame_id=n, people_count=1, detections=[],
        captured_at="2026-12-02T10:00:00.000Z",
    )  # fmt: skip


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def down_sender(tmp_path):
    sender = SpooledSender(Spool(tmp_path / "spool"), dead_kafka(), name="kafka-main")
    yield sender
    sender.close(timeout_s=0)


def test_metrics_and_health_follow_the_run_and_the_spool(down_sender):
    report = RunReport(frames_read=30, frames=10, person_events=10, seconds=2.0)
    with report.timer.stage("detect_people"):
        time.sleep(0.01)
    for n in range(10):
        down_sender.send(event(n))
    config = HealthConfig(log_interval_s=None, metrics_port=0, spool_growth_unhealthy_s=0.5)
    with Health(config, report, [down_sender]) as health:
        health.start()
        host, port = health.address
        assert host == "127.0.0.1"
        base = f"http://{host}:{port}"

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the oldest unsent event gets older than 0.5 s
            status = get(f"{base}/healthz")
            if status[0] == 503 and down_sender.send_errors:
                break
            time.sleep(0.1)
        code, body = status
        assert code == 503
        problems = json.loads(body)["problems"]
        assert len(problems) == 1 and "spool kafka-main" in problems[0]

        code, body = get(f"{base}/metrics")
        assert code == 200
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(body.decode())
            for s in f.samples
        }
        kafka = (("sender", "kafka-main"),)
        assert samples[("ivica_edge_frames_read_total", ())] == 30
        assert samples[("ivica_edge_frames_processed_total", ())] == 10
        assert samples[("ivica_edge_fps", ())] == 5.0
        assert samples[("ivica_edge_events_total", (("type", "person_detections"),))] == 10
        assert samples[("ivica_edge_events_spooled_total", kafka)] == 10
        assert samples[("ivica_edge_spool_depth", kafka)] == 10
        assert samples[("ivica_edge_events_sent_total", kafka)] == 0
        assert samples[("ivica_edge_send_errors_total", kafka)] >= 1
        assert samples[("ivica_edge_spool_oldest_age_seconds", kafka)] > 0.5
        assert samples[("ivica_edge_stage_calls_total", (("stage", "detect_people"),))] == 1
        assert samples[("ivica_edge_stage_seconds_total", (("stage", "detect_people"),))] >= 0.01
        assert samples[("ivica_edge_healthy", ())] == 0
        assert get(f"{base}/other")[0] == 404

        # the broker confirmed everything: the spool is empty, the edge healthy again
        down_sender.spool.ack(e.seq for e in down_sender.spool.pending())
        assert get(f"{base}/healthz")[0] == 200


def test_the_log_line_says_unhealthy(down_sender, caplog):
    down_sender.send(event(0))
    config = HealthConfig(log_interval_s=0.1, spool_growth_unhealthy_s=0.2)
    health = Health(config, RunReport(), [down_sender])
    with caplog.at_level(logging.INFO, logger="edge_producer.health"), health:
        health.start()
        deadline = time.monotonic() + 30
        while "UNHEALTHY" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.1)
    line = next(r for r in caplog.records if "UNHEALTHY" in r.getMessage())
    assert line.levelno == logging.WARNING
    assert "kafka-main: sent 0, spooled 1" in line.getMessage()


def test_metrics_stay_on_loopback():
    with pytest.raises(pydantic.ValidationError):
        HealthConfig(metrics_host="0.0.0.0")
