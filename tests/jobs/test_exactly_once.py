"""Exactly-once across crashes: kill the job (or the TaskManager) mid-stream, restart from the
last checkpoint, and the committed results downstream equal the reference with nothing lost
or duplicated."""

from __future__ import annotations

import os
import signal
import time

import pytest

from infra.proc import pid_alive
from infra.services.flink import Flink
from tests.jobs.golden import expected, golden_streams
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


def test_taskmanager_killed_mid_stream_recovers_exactly_once(kafka, stack, tmp_path):
    """On the standalone cluster: SIGKILL the only TaskManager mid-stream, start a new one;
    the job restarts from its last checkpoint and every window arrives exactly once."""
    stream = golden_streams(seed=37, close_after_s=120).person
    job, chk = "people_counter", tmp_path / "checkpoints"
    topics = JobTopics.create(kafka, kafka.topic("in"), job)
    half = len(stream.lines) * 6 // 10
    kafka.produce(topics.input, stream.lines[:half])
    flink = Flink(stack)
    job_id = submit(stack, job, job_args(kafka, topics, chk))
    try:
        _wait_until_mid_stream(kafka, topics, chk)
        victims = flink.taskmanager_pids()
        assert victims
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        while any(pid_alive(p) for p in victims):
            time.sleep(0.1)
        kafka.produce(topics.input, stream.lines[half:])
        flink.add_taskmanager()

        exp = expected(job, stream, closed_only=True)
        rows = kafka.read(topics.output, expect=len(exp), timeout_s=240, settle_s=10)
        assert_rows_match(rows, exp)
        assert job_state(stack, job_id) == "RUNNING"
    finally:
        cancel(stack, job_id)
