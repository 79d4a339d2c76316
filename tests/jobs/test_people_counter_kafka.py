"""people_counter end to end on real Kafka: on the local mini-cluster and on the standalone cluster.

Events are produced with kafka-python, the PyFlink SQL job reads them through the Flink Kafka
connector, and the windowed results it writes back to Kafka must equal the plain-Python
reference (tests/jobs/reference.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request

import pytest

from edge_producer.simulate import person_stream
from infra.services.flink import flink_cli
from tests.jobs.reference import assert_rows_match, final_watermark, people_windows

pytestmark = pytest.mark.integration

DELAY_S = 5.0


def _job_args(kafka, tmp_path, stream_topics) -> list[str]:
    src, out, dlq, late = stream_topics
    return [
        "--bootstrap",
        kafka.bootstrap,
        "--input-topic",
        src,
        "--output-topic",
        out,
        "--dlq-topic",
        dlq,
        "--late-topic",
        late,
        "--group-id",
        f"g-{src}",
        "--watermark-delay",
        str(DELAY_S),
        "--checkpoint-interval",
        "2",
        "--checkpoint-dir",
        str(tmp_path / "checkpoints"),
    ]


def _feed(kafka):
    stream = person_stream(
        seed=11, cameras=3, minutes=3, fps=2, jitter_s=2.0, malformed_rate=0.02, close_after_s=120
    )
    topics = (kafka.topic("in"), kafka.topic("out"), kafka.topic("dlq"), kafka.topic("late"))
    kafka.produce(topics[0], ((c.encode(), line.encode()) for c, line in stream.lines))
    expected = people_windows(
        stream.valid, size=60, watermark=final_watermark(stream.valid, DELAY_S)
    )
    return stream, topics, expected


def _check(kafka, stream, topics, expected) -> None:
    rows = kafka.read(topics[1], expect=len(expected), timeout_s=180, settle_s=5)
    assert_rows_match(rows, expected)
    dlq = kafka.read(topics[2], expect=len(stream.malformed), timeout_s=30, settle_s=2)
    assert sorted(r["payload"] for r in dlq) == sorted(line for _, line in stream.malformed)
    assert all(r["reason"] and r["job"] == "people_counter" for r in dlq)


def test_people_counter_on_minicluster(kafka, tmp_path):
    stream, topics, expected = _feed(kafka)
    assert len(expected) >= 6 and stream.malformed
    log = (tmp_path / "job.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobs.people_counter", *_job_args(kafka, tmp_path, topics)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _check(kafka, stream, topics, expected)
        assert proc.poll() is None, "the streaming job exited by itself"
    finally:
        proc.kill()
        proc.wait()


def test_people_counter_submitted_to_standalone_cluster(kafka, stack, tmp_path):
    stream, topics, expected = _feed(kafka)
    cmd, env = flink_cli(stack)
    done = subprocess.run(
        [
            *cmd,
            "run",
            "-d",
            "-m",
            stack.flink_jobmanager,
            "-py",
            "jobs/people_counter.py",
            *_job_args(kafka, tmp_path, topics),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    job_id = re.search(r"JobID ([0-9a-f]{32})", done.stdout + done.stderr)
    assert job_id, done.stdout[-2000:]
    try:
        _check(kafka, stream, topics, expected)
        job = json.loads(
            urllib.request.urlopen(f"{stack.flink_rest_url}/jobs/{job_id.group(1)}").read()
        )
        assert job["state"] == "RUNNING"
    finally:
        urllib.request.urlopen(
            urllib.request.Request(
                f"{stack.flink_rest_url}/jobs/{job_id.group(1)}?mode=cancel", method="PATCH"
            )
        )
