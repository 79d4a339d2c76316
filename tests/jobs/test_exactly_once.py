"""Exactly-once across crashes: kill the job (or the TaskManager) mid-stream, restart from the
last checkpoint, and the committed results downstream equal the reference with nothing lost
or duplicated."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime

import pytest

from infra.proc import pid_alive
from infra.services.flink import Flink
from tests.jobs.geometry import crossings, visits
from tests.jobs.golden import DELAY_S, expected, golden_streams
from tests.jobs.launch import (
    JobTopics,
    cancel,
    job_args,
    job_state,
    kill_local,
    start_local,
    submit,
)
from tests.jobs.reference import assert_rows_match, replay
from tests.jobs.test_golden_file import GEOMETRY

pytestmark = pytest.mark.integration


def _wait_until_mid_stream(kafka, topics: JobTopics, chk) -> None:
    """Some results are committed and a checkpoint is complete: the job is mid-stream."""
    assert kafka.read(topics.output, expect=1, timeout_s=120), "no result before the crash"
    deadline = time.monotonic() + 60
    while not list(chk.glob("*/chk-*/_metadata")) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert list(chk.glob("*/chk-*/_metadata")), "no completed checkpoint"


def test_kill_and_restore_gives_each_window_once(kafka, tmp_path):
    stream = golden_streams(seed=31, close_after_s=120).person
    job, chk = "people_counter", tmp_path / "checkpoints"
    topics = JobTopics.create(kafka, kafka.topic("in"), job)
    half = len(stream.lines) * 6 // 10
    kafka.produce(topics.input, stream.lines[:half])

    first = start_local(job, job_args(kafka, topics, chk), tmp_path / "run1.log")
    try:
        _wait_until_mid_stream(kafka, topics, chk)
    finally:
        kill_local(first)

    kafka.produce(topics.input, stream.lines[half:])
    second = start_local(
        job, job_args(kafka, topics, chk, "--restore", "latest"), tmp_path / "run2.log"
    )
    try:
        exp = expected(job, stream, closed_only=True)
        rows = kafka.read(topics.output, expect=len(exp), timeout_s=180, settle_s=10)
        assert_rows_match(rows, exp)  # includes: no window twice
        assert "restoring from" in (tmp_path / "run2.log").read_text()
    finally:
        kill_local(second)


# Live, no event is sent late: a restored job starts its watermark afresh, so an event late in
# one run may be on time in the next (the golden live streams have none either).
LIVE = {"footfall": crossings(seed=13, late_rate=0.0), "dwell": visits(seed=17, late_rate=0.0)}


def _closed_geometry_windows(job: str, stream) -> dict:
    """The windows of a geometry job that the stream's final watermark closed."""
    _, _, windows, _, time_key = GEOMETRY[job]
    on_time, _, watermark = replay(stream, DELAY_S, time_key=time_key)
    closed = datetime.fromtimestamp(watermark, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {k: r for k, r in windows(on_time).items() if r["window_end"] <= closed}


def test_taskmanager_killed_mid_stream_recovers_exactly_once(kafka, stack, tmp_path):
    """On the standalone cluster: SIGKILL the only TaskManager under three running jobs
    (people_counter, footfall, dwell) mid-stream, start a new one; each job restarts from its
    last checkpoint and every window arrives exactly once."""
    streams = {"people_counter": golden_streams(seed=37, close_after_s=120).person}
    streams |= LIVE
    flink, running = Flink(stack), {}
    try:
        for job, stream in streams.items():
            topics = JobTopics.create(kafka, kafka.topic(f"in-{job}"), job)
            kafka.produce(topics.input, stream.lines[: len(stream.lines) * 6 // 10])
            chk = tmp_path / job
            running[job] = (submit(stack, job, job_args(kafka, topics, chk)), topics, chk)
        for _, topics, chk in running.values():
            _wait_until_mid_stream(kafka, topics, chk)
        victims = flink.taskmanager_pids()
        assert victims
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        while any(pid_alive(p) for p in victims):
            time.sleep(0.1)
        for job, (_, topics, _) in running.items():
            lines = streams[job].lines
            kafka.produce(topics.input, lines[len(lines) * 6 // 10 :])
        flink.add_taskmanager()

        for job, (job_id, topics, _) in running.items():
            if job in GEOMETRY:
                exp, by = _closed_geometry_windows(job, streams[job]), GEOMETRY[job][3]
            else:
                exp, by = expected(job, streams[job], closed_only=True), ("camera_id",)
            rows = kafka.read(topics.output, expect=len(exp), timeout_s=240, settle_s=10)
            assert_rows_match(rows, exp, by)
            assert job_state(stack, job_id) == "RUNNING"
    finally:
        for job_id, _, _ in running.values():
            cancel(stack, job_id)
