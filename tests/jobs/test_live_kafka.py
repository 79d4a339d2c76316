"""Live jobs on real Kafka, checked against the plain-Python reference.

- people_counter on the local mini-cluster, with an idle camera alone in its own partition
  (the idle timeout must let the windows close) and late events sent after the fact.
- all four jobs submitted with `flink run` to the standalone cluster at once.
- people_counter on the mini-cluster again, on the stream with repeats (tests/jobs/repeats.py):
  the windows of the stream without them.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter

import pytest

from tests.jobs.golden import DELAY_S, JOB_NAMES, expected, golden_streams, stream_for
from tests.jobs.launch import (
    JobTopics,
    cancel,
    job_args,
    job_state,
    kill_local,
    start_local,
    submit,
)
from tests.jobs.reference import assert_rows_match
from tests.jobs.repeats import with_repeats, without_ids

pytestmark = pytest.mark.integration

STREAMS = golden_streams(close_after_s=120)
IDLE_CAMERA = "cam-3"  # goes silent after 70 s; alone in partition 1
# Long enough that partition 1 is read before it counts as idle: the input is produced before
# the job starts, and a partition declared idle before its backlog is read would see that
# backlog arrive behind the other partition's watermark, i.e. late (as it should be).
IDLE_TIMEOUT = "10"


def _partition(camera: str) -> int:
    return 1 if camera == IDLE_CAMERA else 0


def _feed(kafka, stream, hint: str) -> str:
    topic = kafka.topic(hint, partitions=2)
    kafka.produce(topic, stream.lines, partition_of=_partition)
    return topic


def _check_outputs(kafka, job: str, topics: JobTopics, stream) -> None:
    exp = expected(job, stream, closed_only=True)
    assert any(k[0] == IDLE_CAMERA for k in exp), "the idle camera's early windows must close"
    assert_rows_match(kafka.read(topics.output, expect=len(exp), timeout_s=180, settle_s=5), exp)
    dlq = kafka.read(topics.dlq, expect=len(stream.malformed), timeout_s=30, settle_s=2)
    assert sorted(r["payload"] for r in dlq) == sorted(b for _, b in stream.malformed)


def _people_counter_live(kafka, stream, tmp_path) -> tuple[JobTopics, subprocess.Popen]:
    """people_counter on the mini-cluster, reading `stream` fed to a fresh topic."""
    topics = JobTopics.create(kafka, _feed(kafka, stream, "person"), "people_counter")
    args = job_args(kafka, topics, tmp_path / "chk", "--idle-timeout", IDLE_TIMEOUT)
    return topics, start_local("people_counter", args, tmp_path / "job.log")


def test_people_counter_live_on_minicluster(kafka, tmp_path):
    job, stream = "people_counter", STREAMS.person
    topics, proc = _people_counter_live(kafka, stream, tmp_path)
    try:
        _check_outputs(kafka, job, topics, stream)
        # Events ten minutes behind the watermark: routed to the late topic, windows untouched.
        late = [e | {"frame_id": 10_000 + i} for i, e in enumerate(stream.valid[:5])]
        kafka.produce(
            topics.input, [(e["camera_id"], json.dumps(e)) for e in late], partition_of=_partition
        )
        got = kafka.read(topics.late, expect=len(late), timeout_s=60, settle_s=3)
        assert sorted(r["payload"] for r in got) == sorted(json.dumps(e) for e in late)
        assert all(r["job"] == job and r["event_time"] < r["watermark_at"] for r in got)
        assert {r["camera_id"] for r in got} == {e["camera_id"] for e in late}
        assert proc.poll() is None, (tmp_path / "job.log").read_text()[-3000:]
    finally:
        kill_local(proc)


def test_all_jobs_live_on_standalone_cluster(kafka, stack, tmp_path):
    inputs = {
        "person": _feed(kafka, STREAMS.person, "person"),
        "gender": _feed(kafka, STREAMS.gender, "gender"),
    }
    running: dict[str, tuple[str, JobTopics]] = {}
    try:
        for job in JOB_NAMES:
            stream = "person" if job.startswith("people") else "gender"
            topics = JobTopics.create(kafka, inputs[stream], job)
            args = job_args(kafka, topics, tmp_path / job, "--idle-timeout", IDLE_TIMEOUT)
            running[job] = (submit(stack, job, args), topics)
        for job, (job_id, topics) in running.items():
            _check_outputs(kafka, job, topics, stream_for(job, STREAMS))
            assert job_state(stack, job_id) == "RUNNING"
    finally:
        for job_id, _ in running.values():
            cancel(stack, job_id)


def test_people_counter_counts_each_event_once_live(kafka, tmp_path):
    """Repeats through real Kafka: the closed windows and dead letters are the stream's without
    repeats, and copies sent after their windows closed are late, each one. Which of the
    stream's own copies come late depends on how the partitions' watermarks advance live (here
    the idle partition holds them back, and the windows drop them all), so the late topic may
    hold any of them too, but nothing else; file mode counts them exactly
    (tests/jobs/test_repeats.py)."""
    once = without_ids(STREAMS.person, rate=0.1, seed=3)
    again = with_repeats(once, delay_s=DELAY_S)
    topics, proc = _people_counter_live(kafka, again, tmp_path)
    try:
        _check_outputs(kafka, "people_counter", topics, once)
        with_id = {json.dumps(e) for e in once.valid if "event_id" in e}
        after = [(c, x) for c, x in once.lines if x in with_id][:5]  # their windows closed
        kafka.produce(topics.input, after, partition_of=_partition)
        got = kafka.read(topics.late, expect=len(after), timeout_s=60, settle_s=3)
        late, sent_after = Counter(r["payload"] for r in got), Counter(x for _, x in after)
        copies = Counter(x for _, x in again.lines) - Counter(x for _, x in once.lines)
        assert sent_after <= late <= copies + sent_after
        assert proc.poll() is None, (tmp_path / "job.log").read_text()[-3000:]
    finally:
        kill_local(proc)
